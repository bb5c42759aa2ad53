/*
 * restore_int: what the files of the restore share (restore.c, the plan
 * and driving the steps; restore_steps.c, the steps themselves;
 * restore_check.c, the guards and preflight checks and the services;
 * restore_plan.c, the plan and summary as text).  Not a public API.
 */
#ifndef BR_RESTORE_INT_H
#define BR_RESTORE_INT_H

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "restore.h"
#include "run.h"
#include "flow.h"
#include "magic.h"
#include "strbuf.h"

struct conf;
struct strbuf;
struct backupset;
struct backup_list;
struct backup_item;
struct dumpinfo;

struct report;

/* 1 when @p exists (lstat: a dangling symlink counts). */
static inline int path_exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

/* Replace the owned string *@dst with a copy of @src (NULL frees it). */
static inline void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? xstrdup(src) : NULL;
}

/* @s unless it is NULL or empty. */
static inline const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* Relative path of @datadir inside @webroot ("data"), or NULL if outside. */
static inline const char *inside(const char *datadir, const char *webroot)
{
	size_t n = strlen(webroot);
	while (n > 1 && webroot[n - 1] == '/')
		n--;
	if (!datadir || strncmp(datadir, webroot, n) || datadir[n] != '/' || !datadir[n + 1])
		return NULL;
	return datadir + n + 1;
}

/* @s, or "(unknown)" for messages. */
static inline const char *orq(const char *s)
{
	return s ? s : "(unknown)";
}


/* ---- the plan: the flow's state (run_data() of a restore run) ---- */
/* The restore's steps, in the order of restore_flow's table. */
enum step_id {
	STEP_WEBROOT,
	STEP_CONFIG,
	STEP_DATADIR,
	STEP_DATABASE,
	STEP_MIGRATIONS,
	STEP_VERIFY,
	STEP_COUNT
};

#define STEP_BIT(s) (1u << (s))
#define STEP_ALL ((1u << STEP_COUNT) - 1)

enum check_result { CHECK_PASS, CHECK_WARN, CHECK_FAIL };


struct restore {
	struct conf *conf;        /* borrowed; must outlive the struct restore */
	char stamp[16];           /* YYYYMMDD_HHMMSS of this run, for pre-restore names */
	unsigned selected;        /* STEP_BIT mask of the steps to run */

	/* The plan: resolved by restore_prepare(); strings owned. */
	char *webroot_src;        /* webroot backup: directory or archive */
	enum magic_kind webroot_src_kind;
	char *webroot;            /* target webroot */
	char *config_php_src;     /* operator's config.php, or NULL: the backup's */
	char *datadir_src;        /* datadir backup */
	enum magic_kind datadir_src_kind;
	char *datadir;            /* target datadir (from config.php unless overridden) */
	char *dump;               /* plain-format dump to replay */
	enum magic_kind dump_kind;
	char *dbname;             /* target database name */
	char *conninfo;           /* target conninfo (holds the password: never log) */
	char *admin_conninfo;     /* maintenance connection for CREATE/ALTER DATABASE */
	char *log_dump;           /* optional second database's dump, or NULL */
	char *log_dbname;
	char *env;                /* config.php env, once known */
	char *env_warned;         /* the env value preflight already warned about */
	int jobs;                 /* replay connections */
	time_t at;                /* set by the caller: use the newest backups taken at or
				     before this time (0: the newest of all) */

	struct backupset *backups; /* what restore_prepare() found; owned */
	struct dumpinfo *dump_info; /* the dump as restore_preflight() read it; owned */
	struct dumpinfo *log_dump_info; /* likewise the log database's dump; owned */
	int allow_bad_dump;       /* set by the caller (the wizard): a plan's dump that
				     cannot be used (cut off ...) does not stop
				     restore_preflight(); it is named below, and the
				     database step refuses it until another is chosen */
	char *dump_refused;       /* that dump, or NULL; owned */
	char *dump_refused_why;   /* why, one line; owned */
	int dump_refused_cut;     /* 1: refused because it is cut off (dumpinfo's cut);
				     the wizard marks it CUT OFF by this, not by
				     the words of dump_refused_why */
	char *dump_usable;        /* the newest usable dump of the backup set older than
				     it, or NULL when there is none; owned */
	char *app_dbname;         /* the database config.php's gaia.db names: the one
				     the application reads, or NULL; owned */
	long app_db_line;         /* its line in config.php */
	int db_missing;           /* the target database does not exist
				     (restore_preflight()): the database step
				     creates it */
	char *db_warning;         /* why the dump may not be one of the live database
				     (restore_preflight()), or NULL; owned.  Shown in
				     the plan, the confirmation and the summary. */

	struct step_status st[STEP_COUNT];
	char *report_path;        /* verification report file, once written */
	const char *log_path;     /* the run log, if the caller set one; borrowed */
	int continued_past_failure; /* a failed step was skipped by the operator */
	int stopped;              /* set by the front end when the run ended early not
				     by a failed step: a report cancel code (1: the
				     operator; REPORT_STOP_SIGNAL(sig)): the summary
				     says why */
	int rows_verified;        /* the database step compared row counts with the dump */
	int services_stopped;     /* services.stop_services ran in this run */
	int journal_repairs;      /* dry run: half-done swaps a real run would finish */
	int services_started;     /* services.start_services ran afterwards */
	int *lock_fds;            /* restore_lock()'s descriptors (flock held) */
	size_t n_lock_fds;
	int dry_run;              /* set by the caller: preflight only looks */
	int err_logged;           /* the running step logged its error in full already
				     (the replay logs every error as it happens) */
	unsigned rows_verified_tables;
};


/* The restore's state of @run (a run of restore_flow). */
static inline struct restore *restore_of(const struct run *run)
{
	return (struct restore *)run_data(run);
}

/* Short machine name of a step: "webroot", "config", ... */
const char *step_name(enum step_id s);
/* Title for screens: "Restore the webroot" ... */
const char *step_title(enum step_id s);
/* A paragraph: what the step does and why it comes at this place in the
 * order.  Static text, no trailing newline. */
const char *step_explain(enum step_id s);
/* "pending", "running", "done", "failed", "skipped". */
const char *step_state_name(enum step_state st);
/* Parse "webroot,database" into a STEP_BIT mask; -1 with @e on an unknown name. */
int step_parse_list(const char *list, unsigned *mask, struct err *e);

/*
 * Resolve the plan from @c.  @rs must be zeroed by the caller; rs->stamp may
 * be preset (tests). (borrowed, must outlive @rs) and the backup set
 * under c->backup_root: newest webroot/data backups and dump unless given,
 * config.php of the backup (read without running PHP) for datadir and
 * database; with rs->at set, the newest of each taken at or before it (an
 * error names the oldest when a selected step has none that old).  Touches
 * nothing.  @selected is a STEP_BIT mask.  Returns 0, or
 * -1 with @e set (e.g. no dump found, custom-format dump, unreadable
 * config.php with its line).  Log lines go to @r.
 */
int restore_prepare(struct restore *rs, struct conf *c, unsigned selected,
		    struct report *r, struct err *e);
/*
 * Resolve only the instance, for biso-recover cleanup: without the backup
 * set, which a full or lost backup disk (when an admin cleans up) leaves
 * unreadable.  The webroot from @c; the datadir and the database from
 * config.php (--config-php, else the live WEBROOT/config.php) unless @c
 * overrides them, or from @c alone when it cannot be read.  Sets
 * rs->webroot, rs->datadir and rs->conninfo; no step is selected.  What
 * stays unknown is a warning through @r (its copies are not looked for),
 * not an error: -1 with @e only when no webroot is configured.
 */
int restore_prepare_instance(struct restore *rs, struct conf *c, struct report *r,
			     struct err *e);
/* Where the copies earlier restores kept of a run's instance are, for
 * keptcopies_find(): the webroot, the datadir, and the databases whenever
 * the target is known, whatever steps run (rs->dbname, else the one
 * rs->conninfo names; the log database with it when log_database is
 * enabled).  @where borrows from the struct restore and from here. */
struct restore_kept {
	struct kept_where where;
	const char *dbs[3];
	char *dbname;           /* owned: derived from rs->conninfo, or NULL */
	char *admin_conninfo;   /* owned: derived here, or NULL */
};
/* Fill @k for @rs; release with restore_kept_release() before @rs. */
void restore_kept_where(const struct restore *rs, struct restore_kept *k);
void restore_kept_release(struct restore_kept *k);
/* Lock what this run restores (flock, held until restore_release()), so
 * that two runs never restore one target at once while runs on other
 * targets go side by side: the webroot (restore_webroot_lock_path()) when a
 * step changes files or runs biso-cli, the database (host, port, dbname:
 * restore_database_lock_path()) when one changes the database, and the
 * run's own <log_dir>/run-<stamp>.lock, by which the journal tells a live
 * run's swaps from interrupted ones.  Each file says who holds it (pid,
 * host, start time); a killed run's flocks go with it.  restore_preflight()
 * calls it (not in a dry run) once the targets are known; a second call
 * does nothing.  -1 with @e naming the other run and the target. */
int restore_lock(struct restore *rs, struct err *e);
/* Release restore_lock()'s locks (restore_release() does). */
void restore_unlock(struct restore *rs);
/* /run/lock/biso-recover-webroot-<hash of the webroot path>.lock (malloc'd). */
char *restore_webroot_lock_path(const struct restore *rs);
/* /run/lock/biso-recover-database-<hash of conninfo_target_key()>.lock
 * (malloc'd), NULL when the target database is not known. */
char *restore_database_lock_path(const struct restore *rs);
/* The same for the log database the database step restores too, NULL when
 * there is none. */
char *restore_log_database_lock_path(const struct restore *rs);
/* The backups the operator may choose from for step @s, newest first: the
 * datadir backups for STEP_DATADIR, the dumps for STEP_DATABASE; NULL for
 * the other steps (the webroot backup decides config.php, from which the
 * plan was made: choose it with rs->at before restore_prepare()) or when
 * there is no backup set.  Borrowed from @rs.  *@cur (when @cur is not
 * NULL) gets the index of the one in the plan, or the list's length. */
const struct backup_list *restore_sources(const struct restore *rs, enum step_id s, size_t *cur);
/* Use item @i of restore_sources(@rs, @s) for step @s, after the checks
 * restore_preflight() makes of it (an archive's layout; a dump is read once
 * whole, which takes a while for a big one: run it where waiting is fine).
 * Returns 0, or -1 with @e set (and logged in full through @r) and the
 * step's source unchanged. */
int restore_use_source(struct restore *rs, enum step_id s, size_t i, struct report *r,
		       struct err *e);
/* Check up front what would make a step fail half way: the web user and
 * group, the php binary, the admin connection and the locale on the
 * server.  Warns (through @r) about env and a live database whose encoding
 * or locale differs.  Touches nothing.  0, or -1 with @e. */
int restore_preflight(struct restore *rs, struct report *r, struct err *e);
/* The preflight's check of the plan's dump (rs->dump, read whole once, as
 * restore_preflight() reads it; it is not read again there), for a front
 * end that refuses a cut dump before it creates anything (db-restore
 * --create, before its run log).  0, or -1 with @e whose hint names the
 * newest usable dump of the backup set, or without a backup set
 * db-inspect of the dump. */
int restore_check_plan_dump(struct restore *rs, struct report *r, struct err *e);
/* At the end of a run: start the services this run stopped and did not
 * start yet (services.start_services).  0, or -1 after logging the error. */
int restore_finish(struct restore *rs, struct report *r);
/* Free everything restore_prepare() and the steps allocated. */
void restore_release(struct restore *rs);

/* Append "source: ...\ntarget: ...\n" lines for step @s to @out. */
void restore_describe_step(const struct restore *rs, enum step_id s, struct strbuf *out);
/* 1 if step @s would replace existing data; then @what (may be NULL) gets a
 * one-line description ("replaces /var/www/biso (kept as ...)"). */
int restore_step_destructive(const struct restore *rs, enum step_id s, struct strbuf *what);
/* 1 when step @s cannot run as planned: its dump is rs->dump_refused
 * (restore_preflight() with rs->allow_bad_dump).  @why (may be NULL) then
 * gets what is wrong and the newest complete dump, how much older. */
int restore_step_blocked(const struct restore *rs, enum step_id s, struct strbuf *why);
/* The item of the backup set's dumps at @path, or NULL.  Borrowed. */
const struct backup_item *restore_dump_item(const struct restore *rs, const char *path);
/* Append "; this dump is 1 day 2 hours older than NAME, which cannot be
 * used" (rs->dump_refused set, rs->dump another dump) to @out. */
void restore_add_dump_age(const struct restore *rs, struct strbuf *out);
/* The word the operator must type to confirm step @s (the database name for
 * the database step), or NULL when a yes is enough. */
const char *restore_confirm_word(const struct restore *rs, enum step_id s);

/*
 * Run step @s.  Fills rs->st[s] (state, seconds, summary, kept_as, err) and
 * returns 0 on success (warnings allowed) or -1 with @e set and the old data
 * untouched.  Cancellation through report_cancelled() is an error too
 * ("aborted by the operator").
 */
int restore_run_step(struct restore *rs, enum step_id s, struct report *r, struct err *e);
/* Mark step @s skipped by the operator (after a failure: remembered for
 * the exit code). */
void restore_skip_step(struct restore *rs, enum step_id s);

/* The dry-run plan: for each selected step the source, target, what will be
 * renamed, and the equivalent commands from the manual. */
void restore_plan_text(const struct restore *rs, struct strbuf *out);
/* The backups found, newest first, with time, size and kind; the chosen
 * ones marked with '*'. */
void restore_list_backups(const struct restore *rs, struct strbuf *out);
/* The end-of-run summary: state and time per step, what was kept as
 * pre-restore, why the run ended early ("the run ended early: " and
 * report_reason(rs->stopped), or the step that failed with steps left
 * undone), a "warning:" line per files step that refused archive members,
 * where the report and log are. */
void restore_summary(const struct restore *rs, struct strbuf *out);
/* Exit code per the documented table: 0 all done, 1 a step failed (and was
 * not skipped), 3 finished with errors gone past: the operator skipped a
 * failed step and went on, or a files step refused archive members. */
int restore_exit_code(const struct restore *rs);
/* The run log's last line, for every front end: how the run ended with its
 * exit @code ("finished (exit 0)", "failed (exit 1)", "finished with errors
 * gone past (exit 3)", "aborted (exit 130): " and report_reason(rs->stopped)
 * ...), appended to @out.  @rs may be NULL. */
void restore_end_text(const struct restore *rs, int code, struct strbuf *out);


/* ---- restore.c ---- */
/* Load config.php from @path with __DIR__ = the target webroot and take the
 * plan's env, datadir and database settings from it where the configuration
 * does not set them.  0, or -1 with @e (file and line). */
int restore_adopt_config_php(struct restore *rs, const char *path, struct report *r,
			     struct err *e);
/* 1 when the target database is not the one config.php names (rs->app_dbname):
 * then "the application reads database "biso" (config.php line 17); you
 * restore into "bsio"" is appended to @why (may be NULL). */
int restore_app_db_differs(const struct restore *rs, struct strbuf *why);
/* Derive the database name and the admin conninfo from rs->conninfo.
 * 0, or -1 with @e. */
int restore_resolve_database(struct restore *rs, struct err *e);

/* ---- restore_steps.c: one function per step, called by restore_run_step()
 * with the step's counting report; 0, or -1 with @e set (the old data is
 * still in place unless the error says otherwise). ---- */
int restore_run_webroot(struct restore *rs, struct report *r, struct err *e);
int restore_run_config(struct restore *rs, struct report *r, struct err *e);
int restore_run_datadir(struct restore *rs, struct report *r, struct err *e);
int restore_run_database(struct restore *rs, struct report *r, struct err *e);
int restore_run_migrations(struct restore *rs, struct report *r, struct err *e);
/* Where the old datadir goes when it lives inside the webroot (malloc'd),
 * or NULL when it does not. */
char *restore_kept_datadir_dest(const struct restore *rs);
/* 1 when the directory @path has no entries (or cannot be read). */
int restore_dir_is_empty(const char *path);

/* ---- restore_check.c ---- */
/* Log the copies earlier restores kept (keptcopies_report()): each with
 * its age and size, and a warning where they take more than the space
 * still free.  Part of restore_preflight(). */
void restore_report_kept(const struct restore *rs, struct report *r);
/* The checks restore_preflight() makes of the webroot and datadir archives
 * (their layout, read from the first headers) and of a dump (read once
 * whole: complete, no \connect; a complete rs->dump's counts are kept in
 * rs->dump_info).  0, or -1 with @e set. */
int restore_check_archives(struct restore *rs, struct err *e);
int restore_check_dump(struct restore *rs, const char *dump, struct report *r, struct err *e);
/* Set rs->db_warning (and log it) when the target database is not the one
 * config.php names (restore_app_db_differs()), and add to it when fewer
 * than half of the tables of the live database(s) are in the dump(s) read
 * by restore_check_dump().  Never stops a run: in a disaster the live
 * database is often empty, damaged or half restored, and it is kept as
 * <db>_pre_restore_<time> anyway.  Cannot look: a warning. */
void restore_check_live_tables(struct restore *rs, struct report *r);
/* The free-space check of the database server's disk for the new
 * database(s) (rs->dump_info, the live size), as restore_preflight() makes
 * it, on a connection of its own: for a dump chosen after the preflight.
 * A server it cannot reach is a warning.  0, or -1 with @e set when the new
 * database does not fit. */
int restore_check_db_space(struct restore *rs, struct report *r, struct err *e);
/* A staging tree @staging of @live left by a killed run may hold the live
 * datadir: -1 with @e saying how to move it back, else 0. */
int restore_stranded_datadir(struct restore *rs, const char *live, const char *staging,
			     struct err *e);
/* Stop the services (services.stop_services) once per run, journaled
 * first; start them again once (also those an interrupted earlier run left
 * stopped), closing the journal entry.  0, or -1 with @e. */
int restore_stop_services(struct restore *rs, struct report *r, struct err *e);
int restore_start_services(struct restore *rs, struct report *r, struct err *e);

#endif
