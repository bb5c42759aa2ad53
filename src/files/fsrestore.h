/*
 * fsrestore: restore a file tree (webroot, datadir) from a directory or an
 * archive exactly as `rsync -a` would copy it, without ever losing the old
 * tree (issue 4).
 *
 * Reading: archive_read_disk for a directory (symlinks never followed,
 * hardlinks found through archive_entry_linkresolver), archive_read with
 * every filter and format for an archive (tar ustar/pax/GNU, gzip, bzip2,
 * xz, zstd, zip), chosen by content (magic_detect), never by name;
 * compressed archives are decompressed ahead in a reader thread
 * (fsrestore_ahead.h).
 * Writing: archive_write_disk driven as bsdtar/cpio drive it, with
 * ARCHIVE_EXTRACT_TIME|PERM|SECURE_NODOTDOT (+SECURE_SYMLINKS in merge
 * mode; replace and in-place write into a fresh tree and check paths
 * against the symlinks written so far instead) (+OWNER when run as root,
 * +ACL/XATTR when asked); every status is checked, warnings are logged and
 * counted, a fatal one stops.  A directory source in replace mode without
 * xattrs/ACLs is copied with openat/fstatat relative to directory fds and
 * copy_file_range instead (same fidelity, a third of the system calls),
 * in several threads that copy different directories at the same time
 * (@threads: the kernel work of creating many small files spreads over
 * the cores, as rsync's three processes do), and pre-scanned with
 * fstatat only.  An archive written into a fresh tree has its small files
 * written by worker threads while the walk reads on (fsrestore_xpool.c).
 * Member names are checked
 * before libarchive sees them: absolute paths, "..", drive letters and UNC
 * paths are refused and listed; hardlinks to such names are refused;
 * symlinks pointing out of the tree are kept but reported.  FIFOs, sockets
 * and device files are skipped with a warning.
 */
#ifndef BR_FSRESTORE_H
#define BR_FSRESTORE_H

#include <stdint.h>
#include <sys/types.h>

struct report;
struct strbuf;
struct err;

enum fsrestore_mode {
	FSRESTORE_REPLACE, /* staging beside the target, verify, swap (old kept) */
	FSRESTORE_MERGE,   /* write into the existing tree like rsync -a, never delete */
	FSRESTORE_INPLACE, /* empty the target, then write into it (no old tree kept);
			    * only with confirm_inplace and only when replace has no room */
	FSRESTORE_SNAPSHOT, /* a directory source into the new directory target, which
			     * must not exist, as rsync -a [--link-dest] copies it: no
			     * staging, no swap, no old tree (the caller publishes it) */
};

struct fsrestore_opts {
	const char *source;          /* directory or archive, detected by content */
	const char *target;          /* final path, e.g. /var/www/biso */
	const char *const *excludes; /* NULL-terminated rsync patterns (exclude.h), or NULL */
	enum fsrestore_mode mode;
	const char *stamp;           /* "YYYYMMDD_HHMMSS"; NULL: now, local time */
	const char *carry;           /* relative path moved from the old target into the new
				      * tree before the swap when only the old one has it
				      * (the live datadir inside the webroot); NULL: none */
	int set_owner;               /* after restore: fsrestore_set_owner(new tree, uid, gid) */
	uid_t uid;
	gid_t gid;
	int dry_run;                 /* only scan the source and fill the result totals */
	int scan_only;               /* with dry_run: the scan is a check inside a real run
				      * (a preflight's space check): its log line says what
				      * the source holds without "dry run:" */
	int xattrs;                  /* keep extended attributes (rsync --xattrs) */
	int acls;                    /* keep ACLs (rsync --acls) */
	int no_verify;               /* skip the comparison of the new tree with the source */
	int checksum;                /* verification adds SHA-256 of every file's content */
	int confirm_inplace;         /* the operator confirmed FSRESTORE_INPLACE */
	int keep_special_modes;      /* 0: files lose set-uid/set-gid, every entry loses
				      * world-write (each change logged at LOG_WARN and
				      * counted in modes_changed); 1: modes as in the
				      * source (files-restore --keep-special-modes) */
	const char *rsh;             /* remote source: rsync -e command (NULL: rsync's
				      * default, which honours RSYNC_RSH, else ssh) */
	const char *staging;         /* REPLACE: where the new tree is built; NULL:
				      * "<target>.restoring".  Must be on the target's
				      * filesystem (the swap exchanges the two names) */
	const char *kept;            /* REPLACE: where the old tree is kept; NULL:
				      * "<target>.pre-restore-<stamp>" */
	const char *name;            /* what the tree is ("webroot", "datadir"), for the
				      * fault points of its swap (fault.h); NULL: "tree" */
	const char *link_dest;       /* SNAPSHOT: an earlier snapshot; a regular file found
				      * there under the same relative path with the same
				      * size, mtime, mode (and owner, as root) becomes a hard
				      * link to it instead of a copy (rsync --link-dest),
				      * and is not counted in the space check; NULL: none */
	const char *doing;           /* SNAPSHOT: what the copy does, for the space error
				      * ("copy the datadir"); NULL: "copy SOURCE" */
	int threads;                 /* the directory copier (a directory source in REPLACE
				      * or SNAPSHOT mode): threads copying directories at
				      * the same time; an archive written into a fresh tree
				      * (REPLACE, INPLACE): threads writing its small
				      * files; 0: the CPUs it may run on (online, its
				      * affinity), at most 8; 1: one thread (tests force a
				      * number) */
	/* REPLACE: called once the staging tree is complete, verified and
	 * owned, right before the swap (and before @carry is moved): the
	 * last moment at which nothing changed.  0, or -1 with @e: no swap,
	 * the staging tree is removed.  NULL: none. */
	int (*before_swap)(void *ctx, struct report *r, struct err *e);
	void *before_swap_ctx;
};

struct fsrestore_result {
	char *kept_as;      /* malloc'd path of the kept old tree, NULL if there was none */
	uint64_t files;     /* regular files written (hardlinks included) */
	uint64_t dirs;      /* directories, the root included */
	uint64_t symlinks;
	uint64_t bytes;     /* content bytes of regular files */
	uint64_t skipped;   /* refused members, special files (excluded ones not counted) */
	uint64_t refused;   /* of skipped: members refused as unsafe or not writable (names
			     * out of the tree, links through symlinks, ...), each logged at
			     * LOG_WARN as "refused ..."; errors gone past, as bsdtar's
			     * delayed error exit counts them */
	uint64_t excluded;  /* entries left out by the exclude patterns (dirs count once) */
	uint64_t warnings;  /* warnings logged */
	uint64_t differences; /* paths that differ in the verification (0 on success) */
	uint64_t modes_changed; /* entries restored without the set-id or world-write
				 * bits the source has (see keep_special_modes) */
	int target_refused; /* the run failed because the target names a system
			     * directory (pathguard_target()), before anything
			     * was read or written: a usage error */
	uint64_t linked;    /* SNAPSHOT: files made hard links to o->link_dest (in files) */
	int no_space;       /* the run failed in its space check, nothing written */
};

/*
 * Restore @o->source into @o->target.
 *
 * A source "host:path" (a colon before the first slash, as rsync reads it)
 * is first fetched with `rsync -a` (argv, no shell; -e @o->rsh) into
 * "<target>.fetching" beside the target, with progress (phase "fetching",
 * parsed from rsync --info=progress2), then restored from there as a local
 * source; the fetched copy is removed afterwards, also on failure.
 *
 * REPLACE: pre-scan (directories and uncompressed archives) for totals;
 * compressed archives are estimated from their trailer (gzip ISIZE, xz
 * index, zstd frame header) or, where there is none (bzip2), pre-scanned by
 * reading the headers without writing; hardlinks count once.  Space and
 * inode check on the target filesystem (nothing written if it does not
 * fit: the error gives needed and free bytes), extract into "<target>.restoring" beside the target (a
 * left-over one from an earlier run is removed first), compare it with the
 * source (type, size, mode, mtime, link target, and with @o->checksum the
 * SHA-256 of the content: each entry is checked right after it is
 * written against the source's metadata and data stream, directories
 * after the last entry, so the source is read once), set the owner if asked,
 * carry @o->carry over, then swap the staging tree in (swap_trees(): one
 * exchange of the two names, then the old tree renamed to
 * "<target>.pre-restore-<stamp>").  On any
 * failure or cancel: the staging tree is removed, the target is untouched,
 * -1 is returned with @e filled (member name, offset in the archive where
 * known, what to do).  Running out of space part way: the error gives the
 * bytes needed (counted by reading the rest of the source) and free.
 * MERGE: write into the target (created if missing), never deleting;
 * existing directories get the source's mode and times (as rsync -a).
 * INPLACE: refused unless @o->confirm_inplace and the space check for
 * REPLACE fails while the one for writing over the old tree passes; then
 * the target's content is removed and the source written into it.  A
 * failure part way leaves a partial tree (the error says so).
 *
 * Progress (@r may be NULL): phase "scanning", "copying" (then "verifying"), done/total
 * bytes (for compressed archives: compressed bytes read of the file size),
 * done/total items, current relative path.  Cancellation is checked per
 * member and per data block.  The directory copier's and the extraction's
 * threads call @r's
 * callbacks too, one thread at a time (under a mutex; never two calls at
 * once), so a callback must not block on the thread that called
 * fsrestore_run(); all are joined before it returns.
 * @res is zeroed first and filled; release it with fsrestore_result_release().
 * Returns 0 on success.
 */
int fsrestore_run(const struct fsrestore_opts *o, struct report *r, struct fsrestore_result *res,
		  struct err *e);
/* Free what @res owns (kept_as) and zero it. */
void fsrestore_result_release(struct fsrestore_result *res);
/* Append "N files, N directories, N symlinks" of @res to @sb. */
void fsrestore_add_counts(struct strbuf *sb, const struct fsrestore_result *res);
/* The same in the operator's language (i18n.h), for the screen; a log
 * takes fsrestore_add_counts(). */
void fsrestore_add_counts_l10n(struct strbuf *sb, const struct fsrestore_result *res);

/*
 * One difference found by fsrestore_verify(): @rel is the path relative
 * to the tree's root ("." for the root itself; the bytes as on disk, so it
 * may hold newlines or invalid UTF-8), @what says what differs, e.g.
 * "mode 0600, source 0644", "SHA-256 <hex>, source <hex>", "missing",
 * "symlink to x, source to y", "a directory, source a file", "not in the
 * source (a file)"; several differences of one path come joined with
 * "; ".  @what is English (a log, the tests), @what_l10n the same in the
 * operator's language (the screen).  The strings are valid during the
 * call only.
 */
typedef void fsrestore_diff_fn(void *ctx, const char *rel, const char *what, const char *what_l10n);

/*
 * Compare the existing tree @o->target with the backup @o->source (a local
 * directory or archive, detected as fsrestore_run() detects it; a remote
 * "host:path" is refused), without writing anything, as the verification
 * after a restore compares: for every entry of the source that the
 * @o->excludes patterns keep, its type, the size of files, the permission
 * bits as fsrestore_run() leaves them (set-id and world-write bits cleared
 * unless @o->keep_special_modes; set-id and sticky bits are compared when
 * run as root), the mtime to the
 * nanosecond (to the second where an archive stores whole seconds: ustar,
 * GNU tar, zip), the target of symlinks, hardlinks being one inode, and with
 * @o->checksum the SHA-256 of every file's content (holes read as zeros).
 * Owner, group, atime, xattrs and ACLs are not compared.  An entry of the
 * target the source does not have counts too (an extra directory once,
 * its content not listed), unless the exclude patterns match it: the
 * patterns protect an entry on both sides, as rsync leaves excluded files
 * on the receiving side.  Symlinks in the target are never followed:
 * what lies below one is reported missing.  FIFOs, sockets and devices in
 * the source are skipped with a warning (they are never restored); a
 * target entry of the same name is not an extra.  The other fields of @o
 * are ignored.
 *
 * Each path that differs is passed to @on_diff (with @diff_ctx) once, or
 * logged through @r at LOG_WARN when @on_diff is NULL; progress (@r may
 * be NULL) is phase "verifying".  An archive source's names are kept in
 * memory for the extras check (about the size of its member list).
 * @res is zeroed first and filled: the entries compared (files, dirs,
 * symlinks, bytes of content), skipped, excluded, warnings, and
 * differences: the number of paths that differ.  Returns 0 when the
 * comparison was made (whatever differences it found), -1 with @e set
 * when it could not be (target missing, source unreadable, damaged
 * archive, cancelled).  Release @res with fsrestore_result_release().
 */
int fsrestore_verify(const struct fsrestore_opts *o, fsrestore_diff_fn *on_diff, void *diff_ctx,
		     struct report *r, struct fsrestore_result *res, struct err *e);

/*
 * `chown -R -P uid:gid PATH; chmod -R u+rwX PATH` without child processes:
 * fchownat(AT_SYMLINK_NOFOLLOW) on every entry (symlinks themselves
 * included, never their targets), then u+rw on every non-symlink and u+x
 * on directories and on files with any x bit.  Directories are opened with
 * O_NOFOLLOW, so a symlink is never descended.  Returns 0, or -1 with @e
 * naming the path that failed.
 */
int fsrestore_set_owner(const char *path, uid_t uid, gid_t gid, struct report *r, struct err *e);

/*
 * The root @root of a tree restored (FSRESTORE_REPLACE) from an archive
 * without a "./" entry, which says nothing about the root's mode: the
 * staging directory's 0700 would stay, and the web server could not enter
 * it.  When @root is still 0700 it gets the owner (when run as root) and
 * the mode of the old tree @kept (may be NULL), world-write cleared, or
 * else the mode a new directory gets, 0755 minus the umask.  Logged
 * through @r; a failure is a warning.
 */
void fsrestore_fix_root_mode(const char *root, const char *kept, struct report *r);

/*
 * Remove the tree at @path (like `rm -rf`, never following symlinks;
 * read-only directories are made writable first).  A missing @path is not
 * an error.  Returns 0, or -1 with @e set.
 */
int fsrestore_rmtree(const char *path, struct err *e);

/*
 * Check a member name from an archive.  Returns 1 and puts the cleaned
 * relative path into *@out (malloc'd; "" for the root, "./" prefixes and
 * duplicate slashes removed), or 0 and sets *@why (static string) when the
 * name is absolute, has a ".." component (also with '\' separators), a
 * drive letter ("C:") or is a UNC path.
 */
int fsrestore_clean_name(const char *name, char **out, const char **why);

/* 1 if @source names a remote source "host:path" (a ':' before any '/',
 * as rsync decides), else 0. */
int fsrestore_is_remote(const char *source);

/*
 * Fetch the remote @source ("host:path") with `rsync -a` into the directory
 * @into (created; must not exist), as `rsync -a -H [-X] [-A] [-e RSH]
 * --info=progress2 host:path into/`.
 *
 * Before anything is written, the same command is run with --dry-run
 * --stats: the bytes it will write ("Total transferred file size", each of
 * its "Number of files" entries rounded up to a 4 KiB block) plus the
 * margin of the restore's space check (2 %, and 1/8 of the bytes, at least
 * 1 MiB, at most 16 MiB) must fit into the
 * free space (statvfs f_bavail) of the filesystem holding @into's parent,
 * and the entries (+1000) into its free inodes; otherwise -1 is returned
 * with @e giving the source's bytes and entries, the bytes needed and the
 * bytes free, and @into is not created.  The restore from the fetched copy
 * makes its own space check afterwards.
 *
 * Progress is reported as phase "fetching" with the bytes rsync reports.
 * On success *@local gets the malloc'd local path of what was fetched
 * (into/<base name of path>).  Returns 0, or -1 with @e set (rsync's last
 * error lines in the detail); cancel stops rsync.  @into, when created,
 * is left for the caller to remove.
 */
int fsrestore_fetch(const char *source, const char *into, const char *rsh, int xattrs, int acls,
		    struct report *r, char **local, struct err *e);

/*
 * Estimate the uncompressed size of the compressed archive @path of kind
 * @kind (magic.h) from its trailer, without decompressing: gzip's ISIZE
 * (mod 2^32: for files of 4 GiB or more raised past the file size; for
 * smaller files an ISIZE under half the file size is taken as unknown, as
 * it means several members or a wrap), xz's index, zstd's frame content
 * size.  Returns 1 and sets *@bytes, 0 when the format keeps no such
 * number (bzip2, a zstd frame without it, damaged trailer).  A gzip file
 * of several members reports only the last member's size: an estimate,
 * never a promise.
 */
int fsrestore_estimate_size(const char *path, int kind, uint64_t *bytes);

/* @bytes plus the margin every space check adds: 2 %, and an eighth of
 * @bytes, at least 1 MiB and at most 16 MiB.  Public so that every space
 * check (the backup's too) adds the same. */
uint64_t fsrestore_with_margin(uint64_t bytes);

/*
 * Fill @e with "not enough space in @dir to @doing", the detail giving
 * @need (margin included) and @avail in bytes, humanised and exact;
 * @what_free names what @avail is ("free", "free when the restore
 * started" ...).  The caller adds the hint.
 */
void fsrestore_space_error(struct err *e, const char *dir, const char *doing, uint64_t need,
			   uint64_t avail, const char *what_free);

#endif
