/*
 * magic: what a backup file is, by its first bytes, never by its name.
 *
 * Gzip is looked into (the first 512 decompressed bytes, through zlib) to
 * tell a .tar.gz from a gzipped plain-format dump, since both are called
 * "*.gz" in the wild.  xz, zstd and bzip2 are reported as such; among the
 * inputs biso-recover knows they only ever hold tar archives.
 */
#ifndef BR_MAGIC_H
#define BR_MAGIC_H

#include <stddef.h>
#include <stdint.h>

struct err;

enum magic_kind {
	MAGIC_UNKNOWN = 0,
	MAGIC_MISSING,   /* no such file */
	MAGIC_DIR,       /* a directory (an rsync copy) */
	MAGIC_EMPTY,     /* a zero-byte file */
	MAGIC_SQL,       /* plain text: a plain-format dump (maybe with a UTF-8 BOM) */
	MAGIC_GZIP_SQL,  /* gzip whose content is not a tar archive */
	MAGIC_PGDMP,     /* pg_dump custom format ("PGDMP") */
	MAGIC_TAR,       /* uncompressed tar (ustar, pax, GNU, v7) */
	MAGIC_GZIP_TAR,  /* gzip-compressed tar */
	MAGIC_XZ,        /* xz: a .tar.xz */
	MAGIC_ZSTD,      /* zstd: a .tar.zst */
	MAGIC_BZIP2,     /* bzip2: a .tar.bz2 */
	MAGIC_ZIP,       /* zip */
};

/*
 * Classify @path.  Follows a symlink given as @path itself (the operator
 * named it).  Returns 0 and sets *@kind, or -1 with @e set when the file
 * exists but cannot be read (permission, I/O error).  A missing file is
 * not an error: *@kind = MAGIC_MISSING.
 */
int magic_detect(const char *path, enum magic_kind *kind, struct err *e);

/* Classify a prefix of a file already in memory (at least 512 bytes for
 * tar; shorter inputs are classified as far as possible).  A gzip prefix
 * is reported as MAGIC_GZIP_SQL unless it can be inflated far enough to
 * see a tar header. */
enum magic_kind magic_of_bytes(const unsigned char *buf, size_t len);

/* Human name: "gzip-compressed plain-format SQL dump", "tar archive", ...;
 * static, English, a msgid (N_()): text for the screen takes _() of it. */
const char *magic_name(enum magic_kind kind);
/* 1 if the kind is something libarchive restores as a file tree
 * (directory or archive), 0 otherwise. */
int magic_is_tree(enum magic_kind kind);

#endif
