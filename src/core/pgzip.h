/*
 * pgzip: a streaming gzip writer that deflates on several threads and still
 * writes one standard gzip member (RFC 1952) that gunzip and gzip -t read.
 *
 * The pigz technique with zlib: the input is cut into blocks (128 KiB by
 * default); each block is deflated raw on a worker thread, primed with the
 * previous block's last 32 KiB as dictionary (deflateSetDictionary), so the
 * ratio stays close to gzip's.  Every block but the last ends with a sync
 * flush (byte-aligned, empty stored block), the last with Z_FINISH; the
 * compressed blocks are written in order after one gzip header, and the
 * trailer's CRC-32 is joined from the blocks' CRCs with crc32_combine().
 *
 * Memory is bounded: a ring of 2 x threads + 1 blocks (input, output and
 * dictionary each), about 300 KiB a block, whatever the input's size.  The
 * caller's thread copies input and writes finished blocks to the file; the
 * workers only deflate.
 *
 * Errors are returned in struct err; a write error (ENOSPC, EIO) names the
 * file and the output offset.  After an error every later call fails with
 * the same message; pgzip_free() still frees everything.
 */
#ifndef BR_PGZIP_H
#define BR_PGZIP_H

#include <stddef.h>
#include <stdint.h>

struct err;
struct pgzip;

#define PGZIP_BLOCK_DEFAULT (128 * 1024)

struct pgzip_opts {
	int level;    /* zlib level 1..9; 0 means 6, gzip's default */
	int threads;  /* deflate threads; 0 means the online CPUs (at most 64) */
	size_t block; /* input bytes a block; 0 means PGZIP_BLOCK_DEFAULT
			 (at least 32 KiB) */
};

/*
 * Start a gzip stream into @fd, which stays the caller's (pgzip never
 * closes or syncs it).  @name is the file's name for messages (copied).
 * @o may be NULL (defaults).  Writes nothing yet.  Returns the writer, or
 * NULL with @e set (a thread or a zlib stream could not be created).
 */
struct pgzip *pgzip_open(int fd, const char *name, const struct pgzip_opts *o, struct err *e);

/* Add @len bytes at @buf to the stream.  Blocks while all blocks are busy.
 * Returns 0, or -1 with @e set (write error naming the file). */
int pgzip_write(struct pgzip *z, const void *buf, size_t len, struct err *e);

/* Deflate what is left, wait for every block, write them and the trailer.
 * After it only pgzip_free() and the counters may be used.  Returns 0, or
 * -1 with @e set. */
int pgzip_finish(struct pgzip *z, struct err *e);

/* Stop the workers and free everything (also after an error or without
 * pgzip_finish(), when the output is incomplete).  NULL is allowed. */
void pgzip_free(struct pgzip *z);

/* Bytes handed to pgzip_write() so far. */
uint64_t pgzip_bytes_in(const struct pgzip *z);
/* Bytes written to the file so far (header, blocks, trailer). */
uint64_t pgzip_bytes_out(const struct pgzip *z);

#endif
