/*
 * fsrestore_int: what the files of the file restore engine share.  Not a
 * public API.
 *
 *   fsrestore.c         the run: context, shared helpers, source setup,
 *                       space checks, staging tree and swap (fsrestore_run)
 *   fsrestore_names.c   member names (fsrestore_clean_name), symlinks that
 *                       leave the tree, the name set (struct linkset)
 *   fsrestore_walk.c    one pass over a source through libarchive: scan,
 *                       extract (archive members, merge, in place), verify
 *   fsrestore_xpool.c   the small files of an archive written by worker
 *                       threads while the walk reads on (a fresh tree)
 *   fsrestore_copy.c    a directory source without libarchive: the scan and
 *                       the copy into a fresh staging tree, in threads
 *                       (worker ctxs from fsrestore_ctx_fork)
 *   fsrestore_verify.c  comparing what was written, or an existing tree
 *                       (fsrestore_verify), with the source
 *   fsrestore_tree.c    tree helpers: remove, owner, size, root mode
 *   fsrestore_remote.c  the fetch of a host:path source
 *   fsrestore_size.c    sizes and messages for the space checks
 *
 * Functions taking a struct ctx report through it: warnings and
 * differences are counted in c->res, errors go to c->e (and they return
 * -1).  A ctx belongs to one thread: the directory copier's and the
 * extraction's workers each have one of their own (fsrestore_ctx_fork),
 * whose report forwards to the caller's under a mutex; see "Threads" in
 * fsrestore_copy.c and "Extracting in threads" in fsrestore_xpool.c.
 */
#ifndef BR_FSRESTORE_INT_H
#define BR_FSRESTORE_INT_H

#include "magic.h"
#include "report.h"
#include "sha256.h"
#include "strbuf.h"

#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

struct archive;
struct archive_entry;
struct archive_entry_linkresolver;
struct err;
struct exclude_list;
struct fsrestore_ahead;
struct fsrestore_opts;
struct fsrestore_result;
struct report;

/* PASS_SCAN counts the source, PASS_EXTRACT writes it, PASS_VERIFY
 * compares it with an existing tree (fsrestore_verify). */
enum pass { PASS_SCAN, PASS_EXTRACT, PASS_VERIFY };

/* Relative paths of the symlinks written so far (chained hash set). */
struct linknode {
	struct linknode *next;
	char name[];
};
struct linkset {
	struct linknode **b;
	size_t nb, n;
};

/* A directory written, checked after the last entry (its times change
 * while entries go into it). */
struct dirrec {
	char *rel;
	mode_t perm;
	int mtime_set;
	struct timespec times[2];
	int64_t uid, gid;
};

struct ctx {
	const struct fsrestore_opts *o;
	const char *source;  /* local source: o->source, or the fetched copy */
	struct report *r;
	struct err *e;
	struct fsrestore_result *res;
	struct exclude_list *ex;
	enum magic_kind kind;
	int is_dir;          /* source is a directory */
	int compressed;      /* archive behind a compression filter */
	char *src_root;      /* source without trailing slashes (directories) */
	uint64_t file_size;  /* archive size in bytes */
	const char *dest;    /* absolute, canonical directory written to */
	int root;            /* running as root */
	/* scan totals */
	int scanned;
	uint64_t scan_bytes, scan_items, need_bytes;
	/* running */
	uint64_t done_bytes, done_items;
	struct strbuf path;  /* scratch: dest/rel */
	struct strbuf path2; /* scratch: dest/hardlink */
	int quiet;           /* scan pass: count, do not log */
	int verify;          /* check each entry after writing it */
	int out_of_space;    /* a write failed with ENOSPC/EDQUOT */
	uint64_t avail_at_start; /* free bytes when the extraction started */
	/* directories written, fixed up and checked after the last entry */
	struct dirrec *dirs;
	size_t ndirs, adirs;
	struct linkset dirnames; /* the rel of each directory entry remembered */
	/* --checksum: SHA-256 of the source data of the current file */
	struct sha256 sha;
	uint64_t sha_pos;
	char *iobuf;         /* read buffer for the checksum of written files */
	/* compressed archives: decompressed ahead in a reader thread */
	struct fsrestore_ahead *ahead;
	/* writing into a fresh tree: the symlinks this walk made there, so
	 * that nothing is written through one (see link_guard) */
	int track_links;
	struct linkset links;
	struct archive *ext;  /* the disk writer of the walk */
	int ext_flags;
	/* differences: those of one path are joined into one line */
	fsrestore_diff_fn *on_diff; /* NULL: logged as warnings */
	void *diff_ctx;
	int diff_pending;
	struct strbuf diff_rel, diff_what, diff_what_l10n; /* what: English */
	/* fsrestore_verify: comparing an existing tree, nothing written */
	int verify_only;
	struct linkset names; /* archive source: every name, "dir/" for directories */
	struct linkset changed; /* PASS_VERIFY: files with more links that differ, so
				 * their other names are named too (as rsync does) */
	struct strbuf okdir;  /* the last parent directory found to be a real one */
	int link_fd;          /* SNAPSHOT: o->link_dest opened, or -1 */
	int forked;           /* fsrestore_ctx_fork(): ex, src_root and link_fd
			       * are the run's (borrowed, not freed) */
};

/* ---- fsrestore.c: context and shared helpers --------------------------- */

/* Set up @c for a run of @o (zeroes @res); fsrestore_ctx_release frees
 * what it holds (not @o, @r, @res, @e). */
void fsrestore_ctx_init(struct ctx *c, const struct fsrestore_opts *o, struct report *r,
			struct fsrestore_result *res, struct err *e);
void fsrestore_ctx_release(struct ctx *c);
/* A worker's ctx for the threads of fsrestore_copy_tree() and
 * fsrestore_xpool: @c's settings
 * and what it borrows (options, source, excludes, destination, scan
 * totals, the earlier snapshot's fd) with its own result @res (zeroed),
 * error @e, report @r and scratch (paths, SHA-256 state, pending
 * difference, dirs, progress counts).  fsrestore_ctx_release(@w) frees
 * only what is its own.  @c must outlive @w and not change meanwhile. */
void fsrestore_ctx_fork(struct ctx *w, const struct ctx *c, struct report *r,
			struct fsrestore_result *res, struct err *e);
/* A worker pool's calls into the caller's report @r (the directory
 * copier's, the extraction's), made under the pool's @mu so that the
 * caller's callbacks run one thread at a time.  fsrestore_pool_cancelled()
 * is also 1 once *@stop is set (a worker failed: all stop); @stop may be
 * NULL. */
void fsrestore_pool_line(pthread_mutex_t *mu, struct report *r, enum log_level level,
			 const char *line, const char *shown);
int fsrestore_pool_cancelled(pthread_mutex_t *mu, struct report *r, const int *stop);
/* What kind of source c->source is (directory or archive, by content),
 * its size, and the exclude patterns.  Returns 0, or -1 with c->e set. */
int fsrestore_source_setup(struct ctx *c);
/* Canonical absolute target: realpath of the target if it exists, else of
 * its parent plus the base name.  Caller frees; NULL with @e set. */
char *fsrestore_canonical_target(const char *target, struct err *e);
/* A warning: counted, logged unless c->quiet. */
void fsrestore_warn(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A member not restored because it is unsafe or cannot be written: counted
 * in skipped and refused, logged as a warning. */
void fsrestore_refuse(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The one decision about an entry found in a source: excluded (counted,
 * not descended), special file (FIFO, socket, device: counted, warned) or
 * kept.  Returns 1 to keep it. */
int fsrestore_keep_entry(struct ctx *c, const char *rel, int is_dir, int special);
/* c->dest joined with @rel in @sb; returns sb->buf. */
const char *fsrestore_dest_path(struct ctx *c, struct strbuf *sb, const char *rel);
/* Report progress of @phase at @cur (may be NULL); @force skips the throttle. */
void fsrestore_progress(struct ctx *c, const char *phase, const char *cur, int force);
/* 1 with c->e set when the run was asked to stop, else 0. */
int fsrestore_cancelled(struct ctx *c);
/*
 * A directory read for a walk: its entries in batches of up to 4,096, each
 * batch in inode order.  Files are then read about in the order they were
 * written and lie on the disk; readdir's order is the name hash's, a seek
 * per file when the source is not in the page cache (100 folders of 1,000
 * files took five times rsync's time; rsync's sender reads ahead of its
 * receiver, tar reads one stream).  fsrestore_dir_open takes @fd (closed
 * by fsrestore_dir_close, which keeps errno); NULL with errno set.
 */
struct fsrestore_dir;
struct fsrestore_dir *fsrestore_dir_open(int fd);
int fsrestore_dir_fd(struct fsrestore_dir *dr);
void fsrestore_dir_close(struct fsrestore_dir *dr);
/* The next entry of @dr other than "." and "..", with @rel set to the first
 * @keep bytes of it, "/" and the entry's name.  NULL at the end (errno 0)
 * or on a read error (errno set).  Valid until the next call. */
struct dirent *fsrestore_next_entry(struct fsrestore_dir *dr, struct strbuf *rel, size_t keep);
/* The entry @k places after the one fsrestore_next_entry returned last
 * (0: that one), within the batch read; NULL past its end.  For reading
 * ahead: valid until the next call of fsrestore_next_entry. */
const struct dirent *fsrestore_dir_peek(const struct fsrestore_dir *dr, size_t k);

/* ---- fsrestore_names.c ------------------------------------------------- */

/* Does symlink @target, stored at relative path @rel, point out of the tree? */
int fsrestore_link_leaves_tree(const char *rel, const char *target);
/* The node slot of the first @len bytes of @name, or of where it would go
 * (NULL while the set is empty). */
struct linknode **fsrestore_linkset_find(struct linkset *ls, const char *name, size_t len);
/* Add a copy of @name (once). */
void fsrestore_linkset_add(struct linkset *ls, const char *name);
/* Remove the first @len bytes of @name if present; 1 if it was there. */
int fsrestore_linkset_del(struct linkset *ls, const char *name, size_t len);
void fsrestore_linkset_free(struct linkset *ls);
/* The name in @ls among the leading directories of @rel, or NULL: its
 * length in *@len. */
const char *fsrestore_linkset_prefix(struct linkset *ls, const char *rel, size_t *len);

/* ---- fsrestore_walk.c -------------------------------------------------- */

/* One pass over the source.  Returns 0 or -1 with c->e set. */
int fsrestore_walk(struct ctx *c, enum pass pass);
/* The data of the current entry of @in into @out, or with @out NULL only
 * through the checksum (verification of an existing tree). */
int fsrestore_copy_data(struct ctx *c, struct archive *in, struct archive *out, const char *rel);
/* Feed zeros (a hole of a sparse file) into the checksum up to @to. */
void fsrestore_hash_zeros(struct ctx *c, uint64_t to);
/* The status @r of a call on the disk writer @ext for @rel: 0 when the
 * walk goes on (a warning logged; ARCHIVE_FAILED for this entry only:
 * warned "refused" and *@refused set when @refused is given), -1 with
 * c->e set when the run stops (out of space, I/O error, read-only). */
int fsrestore_ext_status(struct ctx *c, struct archive *ext, int r, const char *rel, int *refused);
/* A new record of the directory written at @rel (copied) for
 * fsrestore_fixup_dirs(), zeroed but for rel: the caller fills it in. */
struct dirrec *fsrestore_add_dir(struct ctx *c, const char *rel);
/* Remember the directory entry @ent written at @rel for fsrestore_fixup_dirs
 * (a directory named again: the later entry's mode, owner and times). */
void fsrestore_remember_dir(struct ctx *c, struct archive_entry *ent, const char *rel);
void fsrestore_free_dirs(struct ctx *c);
/* After the last entry: give every directory written its owner (root
 * only), mode and times, deepest first; then check them (c->verify). */
int fsrestore_fixup_dirs(struct ctx *c);

/* ---- fsrestore_copy.c -------------------------------------------------- */

/* PASS_SCAN of a directory source, with fstatat only (files that
 * fsrestore_link_same() finds unchanged need no space). */
int fsrestore_scan_dir(struct ctx *c);
/* 1 when the earlier snapshot's directory @ldfd (the one matching the
 * source file's, -1: none) holds a regular file @name that the source file
 * @st may be a hard link to: same size, mtime (to the nanosecond), mode
 * and, as root, owner.  0 otherwise (missing, changed). */
int fsrestore_link_same(struct ctx *c, int ldfd, const char *name, const struct stat *st);
/* Can the source be copied by fsrestore_copy_tree() instead of fsrestore_walk()? */
int fsrestore_copy_tree_fits(struct ctx *c);
/* PASS_EXTRACT of a directory source into the new, empty c->dest. */
int fsrestore_copy_tree(struct ctx *c);
/* Threads for the copier and the extraction: o->threads, or with 0 the
 * CPUs we may use (cpus_usable()); 1 when differences go to c->on_diff
 * (called directly, not through the report). */
int fsrestore_threads(const struct ctx *c);

/* ---- fsrestore_xpool.c: small files of an archive in threads ----------- */

struct xpool;
/* Start the workers for the walk's PASS_EXTRACT of an archive into a
 * fresh tree (c->track_links), each with a disk writer with options
 * @flags, into *@out; while they run c->r is a forwarder that calls the
 * caller's report under the pool's mutex.  *@out NULL (nothing started)
 * for one thread, a directory source, a merge.  0, or -1 with c->e set
 * (a disk writer could not be made: no memory). */
int fsrestore_xpool_start(struct ctx *c, int flags, struct xpool **out);
/* May @ent (its pathname already the destination's) go to the workers:
 * a regular file without hardlink or holes of at most 256 KiB?  0 for a
 * NULL pool. */
int fsrestore_xpool_fits(struct xpool *p, struct archive_entry *ent);
/* Queue the entry @ent (cloned) at @rel with its data @data of @len bytes
 * (taken over, freed here); first a barrier when @rel touches a path
 * still queued.  0, or -1 when the pool stopped (the error comes from
 * fsrestore_xpool_end) or with c->e set. */
int fsrestore_xpool_queue(struct xpool *p, struct archive_entry *ent, const char *rel, char *data,
			  size_t len);
/* The barrier: wait until every queued file is written.  0, or -1 when
 * the pool stopped.  0 for NULL. */
int fsrestore_xpool_drain(struct xpool *p);
/* Stop (@failed: the walk failed, queued files are dropped) or finish
 * the queue, join the workers, add their counts into c->res, give c->r
 * back and free @p (NULL is fine).  0, or -1 with c->e set (unless set
 * already) by the first worker that failed. */
int fsrestore_xpool_end(struct xpool *p, int failed);

/* ---- fsrestore_verify.c ------------------------------------------------ */

/* Record a difference at @rel; those of one path are joined into one.
 * @fmt is a msgid (po/Makevars): the English text and its translation are
 * formatted with the same arguments. */
void fsrestore_differs(struct ctx *c, const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same with the screen's text @shown built by the caller (an argument
 * in two languages: a file type). */
void fsrestore_differs_l10n(struct ctx *c, const char *rel, const char *shown, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Pass on the pending difference (one path, all that differs in it). */
void fsrestore_diff_flush(struct ctx *c);
/* Hash the file written at @p and compare with the source's digest. */
void fsrestore_verify_content(struct ctx *c, const char *p, const char *rel, uint64_t size);
/* The permission bits an entry of @type with the source's @perm is
 * written with (set-id and world-write cleared unless kept): a change is
 * counted and logged. */
mode_t fsrestore_restore_perm(struct ctx *c, mode_t type, mode_t perm, const char *rel);
/* Compare mode and (when @mtime_set) mtime of @st with the source's. */
void fsrestore_verify_mode_time(struct ctx *c, const char *rel, const struct stat *st, mode_t perm,
				int mtime_set, const struct timespec *mt);
/* Compare what was just written for @rel with the source entry @ent
 * (pathname and hardlink already point into the destination). */
void fsrestore_verify_entry(struct ctx *c, struct archive_entry *ent, const char *rel);
/* Compare every directory remembered with the one at the destination. */
void fsrestore_check_dirs(struct ctx *c);
/* An archive source names @rel (a directory when @is_dir): remember it. */
void fsrestore_names_add(struct ctx *c, const char *rel, int is_dir);
/* PASS_VERIFY of one entry of the source.  Returns 0 or -1 with c->e set. */
int fsrestore_verify_source_entry(struct ctx *c, struct archive *a, struct archive_entry *ent,
				  struct archive_entry_linkresolver *lr, const char *rel);

/* ---- fsrestore_tree.c -------------------------------------------------- */

/* Allocated bytes of the tree at @name (like du; hardlinked files share). */
uint64_t fsrestore_du_at(int dfd, const char *name);
/* A libarchive object could not be made (its constructors fail only
 * without memory, where bsdtar stops too; test builds fail them by name,
 * BR_FAULT_FAIL=files.new.*): c->e says "cannot create @what for SOURCE"
 * with ENOMEM's reason, @what an msgid (N_(), translated on the screen).
 * Returns -1. */
int fsrestore_no_memory(struct ctx *c, const char *what);
/* Remove everything inside the directory @path, keeping @path. */
int fsrestore_empty_dir(const char *path, struct err *e);

#endif
