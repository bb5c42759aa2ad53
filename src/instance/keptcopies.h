/*
 * keptcopies: the copies a restore keeps of what it replaced, found again
 * and removed on request.
 *
 * A restore never throws the old data away: it renames the webroot, the
 * datadir and config.php to NAME.pre-restore-YYYYMMDD_HHMMSS beside the
 * live one (a datadir inside the webroot leaves the webroot as
 * WEBROOT.data.pre-restore-...), and the database to
 * DB_pre_restore_YYYYMMDD_HHMMSS.  A rollback keeps what it replaces the
 * same way, as NAME.pre-rollback-... and DB_pre_rollback_...; those form
 * groups of their own ("rollback: webroot").  Nothing removes them, so
 * they pile up.
 *
 * What is found is decided by the name pattern and the locations, not by
 * a run's journal: in the directory of the webroot every entry named
 * <webroot's name>[.WHAT].pre-restore-<stamp>, in the directory of a
 * datadir outside the webroot every <datadir's name>[.WHAT].pre-restore-<stamp>,
 * in keptcopies_keep_base() (keep_dir) every <webroot's name>.WHAT.pre-restore-<stamp>,
 * and on the server every database <db>_pre_restore_<stamp> of the named
 * databases.  Copies of one thing (the same location and WHAT, or the same
 * database) form a group; the newest of each group is never removed: it is
 * what a failed restore goes back to.
 *
 * Nothing here prints; progress and log lines go through struct report.
 */
#ifndef BR_KEPTCOPIES_H
#define BR_KEPTCOPIES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct err;
struct report;
struct strbuf;

/* Where to look: the instance as a restore names it. */
struct kept_where {
	const char *webroot;          /* the live webroot (required) */
	const char *datadir;          /* the live datadir, or NULL */
	const char *admin_conninfo;   /* maintenance connection, or NULL: no databases */
	const char *const *dbnames;   /* NULL-terminated database names (biso, biso_log) */
	uint64_t max_entries;         /* 0: size every tree whole; else stat at most this
					 many entries in all the trees (a quick look:
					 the sizes past it are lower bounds) */
	const char *keep_dir;         /* the keep_dir setting, or NULL: the copies of a
					 datadir inside the webroot may be there
					 (keptcopies_keep_base()) */
};

enum kept_kind { KEPT_TREE, KEPT_FILE, KEPT_DATABASE };

struct kept_copy {
	enum kept_kind kind;
	char *name;       /* full path, or the database name; owned */
	char *group;      /* what it is a copy of: "webroot", "webroot (data)",
			     "webroot (config.php)", "datadir", "database biso";
			     "rollback: webroot" ... for a rollback's; owned */
	time_t when;      /* from the stamp in the name (local time) */
	uint64_t bytes;   /* space used: a tree's blocks (st_blocks, hardlinks once),
			     a database's pg_database_size() */
	int partial;      /* bytes is a lower bound: max_entries stopped the walk */
	int newest;       /* the newest of its group: never removed */
	int fs_known;     /* fs_dev and fs_free are known */
	dev_t fs_dev;     /* the filesystem it lives on (a database: the server's
			     data directory, when that is readable here) */
	uint64_t fs_free; /* bytes free there for an unprivileged user (f_bavail) */
};

struct kept_list {
	struct kept_copy *items; /* grouped as found, newest first in each group */
	size_t n;
	int dbs_unlisted;        /* the kept databases could not be listed (a
				    warning through the report said why) */
};

/*
 * Find the kept copies of @w.  A database server that cannot be reached
 * is a warning through @r (the files are still listed), not an error.
 * Returns 0 and fills @out (release with keptcopies_release()), or -1 with
 * @e set when a location cannot be read.
 */
int keptcopies_find(const struct kept_where *w, struct kept_list *out, struct report *r,
		    struct err *e);
/*
 * The directory where a restore stages and keeps the datadir when it lives
 * inside the webroot: @keep_dir (may be NULL or ""), or the webroot's
 * parent.  A keep_dir that is missing, not a directory or on another
 * filesystem than @datadir (or @webroot when there is no datadir; the swap
 * exchanges names on one filesystem) is not used: *@why (@why may be NULL)
 * then says why, else NULL.  The restore and keptcopies_find() both ask
 * here, so that copies are looked for where they were put.  malloc'd.
 */
char *keptcopies_keep_base(const char *keep_dir, const char *webroot, const char *datadir,
			   const char **why);
/* Free everything in @l and zero it. */
void keptcopies_release(struct kept_list *l);

/*
 * Remove copy @c of a list keptcopies_find(@w) returned: the tree, the file
 * or DROP DATABASE.  Refuses the newest of a group and anything whose name
 * does not follow the pattern.  Returns 0, or -1 with @e set.
 */
int keptcopies_remove(const struct kept_where *w, const struct kept_copy *c, struct report *r,
		      struct err *e);

/* Bytes of the copies in @l that live on the filesystem of @l->items[@i]
 * (all copies with the same fs_dev), for comparing with its fs_free. */
uint64_t keptcopies_bytes_on_fs(const struct kept_list *l, size_t i);

/* Log @l through @r: one INFO line per copy (what it is a copy of, its
 * age at @now, its size: "at least" one when partial), their total, and a
 * WARN for each filesystem where the kept copies take more than the space
 * still free there; English in the log, the operator's language on the
 * screen.  Returns the number of such warnings. */
int keptcopies_report(const struct kept_list *l, time_t now, struct report *r);

/* What a kept copy is a copy of (its group: "webroot", "webroot (data)",
 * "database biso") in the operator's language, appended to @out. */
void keptcopies_group_text(const char *group, struct strbuf *out);

#endif
