/*
 * backupset: find the copies in a backup root laid out as the BISO manual
 * makes it (issue 2, section 4):
 *
 *   <root>/webroot/   rsync copy of the webroot, or archives / dated copies
 *   <root>/data/      the same for the datadir
 *   <root>/db/        <prefix>YYYYMMDD_HHMMSS.sql[.gz] dumps
 *
 * Kinds come from magic_detect() (content, never the name).  Nothing is
 * read beyond the first bytes of each file; directories are not walked.
 */
#ifndef BR_BACKUPSET_H
#define BR_BACKUPSET_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "magic.h"

struct err;

struct backup_item {
	char *path;           /* full path, malloc'd */
	char *name;           /* base name, malloc'd */
	time_t when;          /* from YYYYMMDD_HHMMSS in the name (local time); the
				 flat copy: see @flat; the one copy: mtime */
	uint64_t size;        /* bytes (directories: 0, they are not scanned) */
	enum magic_kind kind; /* MAGIC_DIR, an archive kind, MAGIC_SQL, MAGIC_GZIP_SQL, MAGIC_PGDMP ... */
	int undated;          /* the one copy kept up to date in place (rsync): its
				 mtime is the source's, not the backup's */
	int flat;             /* that copy (the directory itself) beside dated
				 snapshots or archives in the same directory:
				 dated by the newest ctime of its own entries,
				 chosen by time as they are (undated 0); copy it
				 without them (backupset_flat_excludes()) */
};

struct backup_list {
	struct backup_item *items; /* newest first (ties: name descending) */
	size_t n;
};

struct backupset {
	char *root;                    /* as given, malloc'd */
	struct backup_list webroot;    /* candidates for the webroot */
	struct backup_list data;       /* candidates for the datadir */
	struct backup_list dumps;      /* main database dumps */
	struct backup_list log_dumps;  /* second database (biso_log) dumps */
};

/* 0 when the backup root @root can be read (a directory that opens), else
 * -1 with @e = "cannot read backup root ROOT: <reason>" and a hint where to
 * point --backup-root: the one check backupset_scan(), backup-verify and
 * backup-prune make before they read it (an unmounted backup disk must not
 * look like an empty root). */
int backupset_root_check(const char *root, struct err *e);

/*
 * Scan @root.  webroot/ and data/: candidates are archive files (by magic)
 * whose name carries a timestamp (YYYYMMDD_HHMMSS, '-' or 'T' also accepted
 * as separator) and subdirectories whose whole name is one; when there are none, the directory
 * itself is the one copy (kind MAGIC_DIR, as the manual's rsync makes it),
 * dated by the directory's mtime (undated: that is the source's).
 * Names ending in ".partial" (a backup being written) are left out, and a
 * directory holding one and nothing else is not taken for the one copy.
 * A directory holding both layouts (the manual's rsync copy and dated
 * snapshots or archives beside it, as "backup" adds them) lists the flat
 * copy too (flat 1) when its own entries hold a directory (loose files
 * beside archives, notes or checksums, are no copy), dated by the newest
 * ctime of its own top-level entries, when the copy was written (rsync -a
 * keeps the source's mtimes; the directory's own mtime changes with every
 * snapshot added or pruned).  Its other entries, "old_20250101_010101/" or
 * "notes.zip", belong to it.
 * db/: files named exactly <dump_prefix>YYYYMMDD_HHMMSS.sql or .sql.gz
 * (kind by magic: a custom-format dump is listed as MAGIC_PGDMP so the
 * caller can say so; other kinds, e.g. an empty file, are listed as found).
 * @dump_prefix NULL means "biso_"; @log_dump_prefix NULL lists no log dumps.
 * The part after the prefix must be exactly the timestamp, so
 * "biso_log_20260101_010101.sql.gz" is not a "biso_" dump.
 * Missing subdirectories give empty lists.  Returns 0 and fills @bs (the
 * caller releases it with backupset_release()), or -1 with @e set when the
 * root or a subdirectory cannot be read.  @bs is zeroed first.
 */
int backupset_scan(const char *root, const char *dump_prefix, const char *log_dump_prefix,
		   struct backupset *bs, struct err *e);
/* What in the directory @dir (a backup root's webroot/ or data/ holding
 * the flat copy, backup_item.flat) is no part of that copy: its dated
 * snapshot directories, archives and "*.partial" entries, as anchored
 * rsync patterns ("/20261206_215821/", "/webroot_20261206.tar.gz") for
 * fsrestore_opts.excludes, NULL-terminated after @extra's patterns (may be
 * NULL), malloc'd with the strings: free with backupset_excludes_free().
 * Read when the copy is made, so a snapshot a backup wrote since the scan
 * is left out too.  Never fails: an unreadable @dir gives @extra's. */
char **backupset_flat_excludes(const char *dir, const char *const *extra);
void backupset_excludes_free(char **v);
/* Free everything in @bs and zero it. */
void backupset_release(struct backupset *bs);
/* The newest item of @l taken at or before @at (0: the newest of all); the
 * undated copy when no dated one is that old (it is all there is); NULL
 * when every item is newer (or @l is empty).  Borrowed from @l. */
const struct backup_item *backupset_pick(const struct backup_list *l, time_t at);
/* Parse the operator's "YYYYMMDD_HHMMSS" or "YYYYMMDD" (the end of that
 * day), local time, into *@at.  Returns 1, or 0 when @s is neither. */
int backupset_parse_at(const char *s, time_t *at);

/*
 * Find "YYYYMMDD_HHMMSS" (separator '_', '-' or 'T') at the start of @s
 * (if @anywhere is 0) or anywhere in it.  Returns 1 and sets *@when (local
 * time) and *@len (characters matched, 15), 0 if none or not a valid date.
 */
int backupset_parse_stamp(const char *s, int anywhere, time_t *when, size_t *len);

#endif
