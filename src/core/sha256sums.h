/*
 * sha256sums: a SHA256SUMS file as coreutils' sha256sum writes and
 * `sha256sum -c` checks it, for the backup's files.
 *
 * Each line is "<64 hex digits><2 spaces><path>", the path relative to a
 * base directory (the backup root: `cd ROOT && sha256sum -c FILE` checks it
 * by hand).  A path holding a backslash or a newline is written as
 * sha256sum writes it: the line starts with '\' and the path has "\\" and
 * "\n" for them.  Only regular files are listed; a tree's symbolic links,
 * devices and sockets are counted in `skipped` and left out (sha256sum
 * would follow a link out of the backup).
 *
 * The writer streams each file through SHA-256 (64 KiB at a time; a tree's
 * files on several threads) and writes the list under "<path>.partial",
 * renamed into place by sha256sums_close().  The verifier streams both the list and the files.
 */
#ifndef BR_SHA256SUMS_H
#define BR_SHA256SUMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct err;
struct report;

struct sha256sums_known;

struct sha256sums {
	FILE *f;         /* the list being written */
	char *path;      /* its final name */
	char *partial;   /* "<path>.partial" */
	char *base;      /* the directory paths are relative to */
	uint64_t files;  /* entries written so far */
	uint64_t bytes;  /* their bytes */
	uint64_t reused; /* of files: digests taken over (sha256sums_reuse()) */
	int threads;     /* sha256sums_add_tree()'s threads; 0 (what
			    sha256sums_open() sets): the online CPUs, at
			    most 8 */
	struct sha256sums_known *known; /* those digests; private */
};

/* What one sha256sums_add_*() call listed. */
struct sha256sums_count {
	uint64_t files, bytes; /* regular files listed and their bytes */
	uint64_t skipped;      /* other entries left out (symlinks ...) */
};

/* Start writing @path (mode 0600) for files under @base.  Returns 0, or -1
 * with @e set (cannot create "<path>.partial"). */
int sha256sums_open(struct sha256sums *s, const char *base, const char *path, struct err *e);
/*
 * Take over the digests of the earlier list @list (relative to the same
 * base, e.g. an earlier backup's SHA256SUMS) for the files under @old_rel:
 * a file that sha256sums_add_tree() later finds under @new_rel and that is
 * a hard link to the file at the same place under @old_rel (same device
 * and inode: the same bytes) is listed with that digest instead of being
 * read again (a linked snapshot's unchanged files).  May be called once per
 * pair of trees.  Memory: about 100 bytes per file of @old_rel.  Returns
 * 0, or -1 with @e naming the list (unreadable; a malformed line, with its
 * number); nothing is taken over then.
 */
int sha256sums_reuse(struct sha256sums *s, const char *list, const char *old_rel,
		     const char *new_rel, struct err *e);

/* Add the regular file @rel (relative to base).  @c (may be NULL) gets the
 * counts added.  Returns 0, or -1 with @e naming the file. */
int sha256sums_add_file(struct sha256sums *s, const char *rel, struct sha256sums_count *c,
			struct report *r, struct err *e);
/*
 * Add every regular file under the directory @rel, in name order (byte
 * order, as `LC_ALL=C ls`), without following symbolic links.  @c (may be
 * NULL) gets the counts added.
 *
 * Threads: the files are read and hashed on s->threads threads (the
 * caller's and up to 7 workers, started and joined within the call; the
 * workers take queued files 16 at a time), a window of at most 64 files
 * per thread ahead of the list's last written line; the lines are written
 * in list order on the caller's thread, so the list is byte for byte the
 * same for any number of threads.  Files are opened relative to their
 * directory's descriptor (openat) and read to the end (a short read that
 * reaches the size fstatat() gave ends a small file), and a
 * taken-over digest's earlier file is compared by fstatat() relative to
 * the earlier snapshot's directory.  Memory: the window, a 64 KiB buffer
 * per thread, and the name lists of at most 128 open directories (plus
 * those the walk is in).
 *
 * @r is called on the caller's thread only: progress per written line,
 * the cancel check at every directory, every 64 files, and every 50 ms
 * while a worker's file is hashed (workers stop within one 64 KiB chunk).
 * Returns 0, or -1 with @e naming the file or directory; of several
 * errors the first to happen is reported and stops the other threads.
 */
int sha256sums_add_tree(struct sha256sums *s, const char *rel, struct sha256sums_count *c,
			struct report *r, struct err *e);
/* Finish: flush, fsync, rename into place.  Returns 0, or -1 with @e set
 * (the .partial is removed).  @s is released either way. */
int sha256sums_close(struct sha256sums *s, struct err *e);
/* Drop an unfinished list: remove the .partial and release @s. */
void sha256sums_abort(struct sha256sums *s);

/* One file that did not check out. */
struct sha256sums_bad {
	char *path;  /* as listed (relative to base) */
	char *why;   /* "checksum mismatch", "missing", "unreadable: ...": English */
	char *why_l10n; /* the same in the operator's language (the screen) */
};

struct sha256sums_result {
	uint64_t checked;            /* entries read */
	uint64_t bytes;              /* bytes hashed */
	struct sha256sums_bad *bad;  /* in list order */
	size_t n_bad;
};

/* Add a file that did not check out to @res: @why in English, @why_l10n
 * the same in the operator's language (NULL: @why).  Copied. */
void sha256sums_add_bad(struct sha256sums_result *res, const char *path, const char *why,
			const char *why_l10n);

/*
 * Check every entry of the list @path against the files under @base, as
 * `sha256sum -c` does, except that an absolute path or one with a ".."
 * component is not read but counted as damaged (we never list one).
 * Progress to @r (phase "checking", done_bytes,
 * done_items, current = the path).  Returns 0 when every file matches, 1
 * when some do not (@res->bad names each), -1 with @e set when the check
 * could not be made (list unreadable, a malformed line: file and line
 * named; or cancelled).  @res is zeroed first and must be released.
 */
int sha256sums_verify(const char *base, const char *path, struct sha256sums_result *res,
		      struct report *r, struct err *e);
/* sha256sums_verify() that also calls @each (unless NULL) with each listed
 * path and its bytes, in list order, for a caller that counts them. */
int sha256sums_verify_each(const char *base, const char *path, struct sha256sums_result *res,
			   void (*each)(void *ctx, const char *rel, uint64_t bytes), void *ctx,
			   struct report *r, struct err *e);
/* Free what @res holds and zero it. */
void sha256sums_result_release(struct sha256sums_result *res);

/* The SHA-256 of the file @path as 64 hex digits in @hex.  Adds its size
 * to *@bytes when not NULL.  Returns 0, or -1 with @e naming the file. */
int sha256sums_file(const char *path, char hex[65], uint64_t *bytes, struct report *r,
		    struct err *e);

#endif
