/*
 * dumpread: a streaming reader of plain-format dumps, plain or gzip.
 *
 * The format is told by the first bytes, never by the name: gzip (also
 * several concatenated members, as `pg_dump | gzip >> file` makes) is
 * inflated with zlib's inflate() directly so that the compressed offset of
 * a truncated or corrupt stream is known (gzread() hides it).  Anything
 * after the last gzip member that is not another member is a warning.  A
 * UTF-8 byte order mark at the very start is skipped.  A NUL byte anywhere
 * is an error naming its offset (psql would stop reading the line there).
 * Custom-format ("PGDMP") and tar dumps are refused with a hint to use
 * pg_restore.
 *
 * The reader hands out the input in lines: each piece ends with '\n', or is
 * the last line of the file without one, or is a chunk of at most
 * DUMPREAD_CHUNK bytes of a longer line.  Reading and inflating run ahead
 * in a second thread (ahead.h: 8 blocks of 256 KiB), as gunzip runs beside
 * psql.  Memory is bounded by these buffers (about 2.5 MiB), whatever the
 * dump and its line lengths.  A reader is used by one thread at a time.
 */
#ifndef BR_DUMPREAD_H
#define BR_DUMPREAD_H

#include <stddef.h>
#include <stdint.h>

struct err;
struct report;
#include "magic.h"

struct dumpread;

/* Longest piece dumpread_line() returns, in bytes. */
#define DUMPREAD_CHUNK (256 * 1024)

/*
 * The one decision whether a file of @kind (magic.h) is replayed as a
 * plain-format dump: text and gzipped text are (an unreadable byte in them
 * is then named by the scanner or the dump check, with its offset); a
 * custom- or tar-format dump, a compressed archive, a directory or a
 * missing file are not.  0, or -1 with @e saying what @name is and what to
 * do with it (pg_restore for pg_dump's other formats).  @e may be NULL.
 */
int dumpread_kind_check(const char *name, enum magic_kind kind, struct err *e);

/*
 * Open @path ("-" reads standard input; the descriptor is not closed).
 * @r (may be NULL) receives warnings such as trailing garbage after the
 * last gzip member; it must outlive the reader.  On success *@out is a new
 * reader the caller frees with dumpread_close().  Returns 0, or -1 with @e
 * set (missing file, unreadable, custom/tar format: e->hint says what to do).
 */
int dumpread_open(struct dumpread **out, const char *path, struct report *r,
		  struct err *e);

/*
 * Next piece of input (see above).  *@p points into the reader's buffer and
 * stays valid until the next call; *@len > 0.  Returns 1 for a piece, 0 at
 * the end of input, -1 with @e set (e->file = name, e->offset = offset of
 * the problem: the uncompressed offset of a NUL byte, the compressed offset
 * where a gzip stream is cut off or corrupt).
 */
int dumpread_line(struct dumpread *dr, const char **p, size_t *len, struct err *e);

/* Bytes of the file consumed so far (compressed bytes for gzip). */
uint64_t dumpread_raw_offset(const struct dumpread *dr);
/* Uncompressed bytes handed out so far (BOM included). */
uint64_t dumpread_sql_offset(const struct dumpread *dr);
/* Size of the file in bytes, 0 when unknown (a pipe, stdin). */
uint64_t dumpread_total(const struct dumpread *dr);
/* 1 when the input is gzip-compressed. */
int dumpread_is_gzip(const struct dumpread *dr);
/* 1 after dumpread_line() failed because the file ends inside a gzip
 * member (cut off), as opposed to corrupt data or a read error. */
int dumpread_truncated(const struct dumpread *dr);
/* Number of gzip members seen so far (0 for plain input). */
unsigned dumpread_members(const struct dumpread *dr);
/* 1 when a UTF-8 BOM was skipped at the start. */
int dumpread_had_bom(const struct dumpread *dr);
/* Close the file (unless stdin) and free @dr; NULL is allowed. */
void dumpread_close(struct dumpread *dr);

#endif
