/*
 * fsrestore_ahead: decompress an archive ahead of its reader, in a second
 * thread (issue 4, speed against `tar -xzf`, which runs gzip as a separate
 * process).
 *
 * A reader thread opens the file with every libarchive filter (gzip with
 * several members, bzip2, xz, zstd, ...) and the "raw" format, and fills a
 * bounded ring of blocks (FSRESTORE_AHEAD_BLOCKS x FSRESTORE_AHEAD_BLOCK
 * bytes, so memory stays bounded) with the decompressed bytes.  The
 * archive given to fsrestore_ahead_open() reads those blocks through its
 * client callbacks, without filters of its own, so parsing the tar and
 * writing the files (one core) overlap with inflating (the other core).
 * Internal to the fsrestore module.
 */
#ifndef BR_FSRESTORE_AHEAD_H
#define BR_FSRESTORE_AHEAD_H

#include <stdint.h>

struct archive;
struct fsrestore_ahead;

#define FSRESTORE_AHEAD_BLOCK (256 * 1024)
#define FSRESTORE_AHEAD_BLOCKS 8

/*
 * Open @a (a new archive_read with its formats set up and no filters) on
 * the compressed file @path, decompressed ahead by a reader thread.  The
 * file is opened and its compression recognised before this returns.
 * Returns 0, or -1 with the message in @a's error (archive_error_string).
 * *@out is set whenever the thread was started (also when the open of @a
 * failed afterwards, as libarchive may still call the close callback) and
 * is NULL otherwise.  The handle stays owned by the caller: free it with
 * fsrestore_ahead_free() after archive_read_free(@a).
 * A read error of the thread (damaged or truncated stream) reaches @a as a
 * fatal read error with the filter's message.
 */
int fsrestore_ahead_open(struct archive *a, const char *path, struct fsrestore_ahead **out);

/* Compressed bytes of the file read so far (for progress); 0 for NULL. */
uint64_t fsrestore_ahead_bytes(struct fsrestore_ahead *h);

/* Stop and join the reader thread if it still runs, and free @h (NULL is
 * fine). */
void fsrestore_ahead_free(struct fsrestore_ahead *h);

#endif
