/*
 * restore_int: what the files of the restore flow share: its state (struct
 * restore, run_data() of a restore run), its steps' table index, and the
 * functions several of them call.  restore_flow.c holds the flow's table
 * and hooks; restore_prepare.c the plan; restore_lock.c, restore_journal.c,
 * restore_preflight.c and restore_dumpcheck.c the checks before the first
 * step; restore_steps.c what the steps share; restore_<step>.c and
 * verify.c one step each.  Not a public API.
 */
#ifndef BR_RESTORE_INT_H
#define BR_RESTORE_INT_H

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "restore.h"
#include "run.h"
#include "flow.h"
#include "magic.h"
#include "pathguard.h"
#include "i18n.h"
#include "strbuf.h"

struct conf;
struct strbuf;
struct backupset;
struct backup_list;
struct backup_item;
struct dumpinfo;
struct fsrestore_opts;
struct fsrestore_result;

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
	return pathguard_inside(datadir, webroot);
}

/* @s, or "(unknown)" in the operator's language, for the texts built
 * with _() (plans, descriptions: built again in English for the log). */
static inline const char *orq(const char *s)
{
	return s ? s : _("(unknown)");
}

/* @s, or "(unknown)" in English: an argument of a log line, an error or a
 * journal record (one argument for both languages; logs stay English). */
static inline const char *orq_en(const char *s)
{
	return s ? s : "(unknown)";
}


/* ---- the plan: the flow's state (run_data() of a restore run) ---- */
/* The restore's steps: their index in restore_flow's table, by which a
 * step reads another's state (run_step_state()). */
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


/* What the checks of the plan's dumps found (restore_dumpcheck.c).  A
 * restore has two: its plan's (struct restore.found) and the slow checks'
 * own while they run on their thread (struct restore.checks_found); each
 * check is told which one it fills. */
struct restore_found {
	struct dumpinfo *dump_info;     /* rs->dump read whole; owned */
	struct dumpinfo *log_dump_info; /* likewise rs->log_dump; owned */
	char *db_warning;               /* why the dump may not be one of the live
					   database, or NULL; owned.  Shown in the
					   plan, the confirmation and the summary
					   (restore_db_warning()). */
	char *db_warning_l10n;          /* the same in the operator's language */
	int compared;                   /* restore_check_live_tables() set
					   db_warning (the slow checks got that far) */
};

struct restore {
	struct run *run;          /* the run this is the state of (back pointer) */
	struct conf *conf;        /* run_conf(): borrowed; outlives the struct restore */
	const char *stamp;        /* run_stamp(): YYYYMMDD_HHMMSS of this run, for
				     pre-restore names; the run's, stays valid */
	unsigned selected;        /* STEP_BIT mask of the steps to run (the run's
				     selection, copied by the flow's create) */

	/* The plan: resolved by restore_prepare(); strings owned. */
	char *webroot_src;        /* webroot backup: directory or archive */
	enum magic_kind webroot_src_kind;
	char *webroot;            /* target webroot */
	char *config_php_src;     /* operator's config.php, or NULL: the backup's */
	char *datadir_src;        /* datadir backup */
	enum magic_kind datadir_src_kind;
	char *datadir;            /* target datadir (from config.php unless overridden) */
	char *dump;               /* plain-format dump to replay (run_opts' dump, else
				     picked from the backup set) */
	enum magic_kind dump_kind;
	char *dbname;             /* target database name */
	char *conninfo;           /* target conninfo (holds the password: never log) */
	char *admin_conninfo;     /* maintenance connection for CREATE/ALTER DATABASE */
	char *log_dump;           /* optional second database's dump, or NULL */
	char *log_dbname;
	char *env;                /* config.php env, once known */
	char *env_warned;         /* the env value preflight already warned about */
	int jobs;                 /* replay connections */
	time_t at;                /* run_opts' at: use the newest backups taken at or
				     before this time (0: the newest of all) */

	struct backupset *backups; /* what restore_prepare() found; owned */
	struct restore_found found; /* what the checks of the plan's dumps found:
				     written and read on the run's thread only
				     (the steps, their views, the plan text, the
				     summary) */
	int allow_bad_dump;       /* run_opts' allow_bad_dump (the wizard): a plan's
				     dump that cannot be used (cut off ...) does not
				     stop restore_preflight(); it is named below, and
				     the database step is blocked until another is
				     chosen */
	int checks_later;         /* the dumps' checks, the server's space for them
				     and the live tables' comparison are left to
				     restore_slow_checks(), beside the first steps
				     (not the wizard's: it offers another dump on
				     its first screen) */
	char *dump_refused;       /* that dump, or NULL; owned.  This and the four
				     below are written on the run's thread only:
				     the slow checks never run with allow_bad_dump
				     (their refusal ends the run instead) */
	char *dump_refused_why;   /* why, one line; owned */
	char *dump_refused_why_l10n; /* the same in the operator's language; owned */
	int dump_refused_cut;     /* 1: refused because it is cut off (dumpinfo's cut);
				     the chooser marks it CUT OFF by this, not by
				     the words of dump_refused_why */
	int dump_refused_damaged; /* 1: refused because its backup's checksums fail
				     (the manifest; restore_preflight() sets it
				     and the three above, only for the wizard's
				     run): the chooser marks it DAMAGED, and
				     plan_dump_check() takes it as unusable
				     without reading it */
	char *dump_usable;        /* the newest usable dump of the backup set older than
				     it, or NULL when there is none; owned */
	char *app_dbname;         /* the database config.php's gaia.db names: the one
				     the application reads, or NULL; owned */
	long app_db_line;         /* its line in config.php */
	int db_missing;           /* the target database does not exist
				     (restore_preflight()): the database step
				     creates it */
	struct restore_found checks_found; /* the same as restore_slow_checks()
				     finds it: written only on the slow checks'
				     thread (not even the chooser's dump_refused
				     ... above); restore_checks_done() moves it
				     into found on the run's thread after the
				     join (run_wait_checks()), so no screen ever
				     reads what that thread writes */

	int rows_verified;        /* the database step compared row counts with the dump */
	unsigned rows_verified_tables;
	int services_stopped;     /* services.stop_services ran in this run (or an
				     interrupted earlier run left them stopped) */
	int services_started;     /* services.start_services ran afterwards */
	int journal_repairs;      /* dry run: half-done swaps a real run would finish */
	int *lock_fds;            /* restore_lock()'s descriptors (flock held) */
	char **lock_paths;        /* their files (lock_release() unlinks them) */
	size_t n_lock_fds;
	int dry_run;              /* run_dry_run(): preflight only looks */
};


/* The restore's state of @run (a run of restore_flow). */
static inline struct restore *restore_of(const struct run *run)
{
	return (struct restore *)run_data(run);
}

/* The state of step @s of @rs's run, and what it kept the old data as
 * (borrowed, NULL when nothing). */
static inline enum step_state restore_state(const struct restore *rs, enum step_id s)
{
	return run_step_state(rs->run, (size_t)s);
}

static inline const char *restore_kept_of(const struct restore *rs, enum step_id s)
{
	return run_step_kept(rs->run, (size_t)s);
}

/* The steps, one file each (restore_<name>.c, verify.c). */
extern const struct step_def restore_step_webroot, restore_step_config, restore_step_datadir,
	restore_step_database, restore_step_migrations, restore_step_verify;


/* ---- restore_prepare.c: the plan ---- */
/*
 * Resolve the plan of @rs (rs->conf, rs->selected, rs->at, rs->dump preset
 * from the run's options) from the configuration and the backup set under
 * c->backup_root: newest webroot/data backups and dump unless given,
 * config.php of the backup (read without running PHP) for datadir and
 * database; with rs->at set, the newest of each taken at or before it (an
 * error names the oldest when a selected step has none that old).  Touches
 * nothing.  Returns 0, or -1 with @e set (e.g. no dump found,
 * custom-format dump, unreadable config.php with its line).  Log lines go
 * to @r.
 */
int restore_prepare(struct restore *rs, struct report *r, struct err *e);
/* restore_instance_prepare() (restore.h) on the state: sets rs->webroot,
 * rs->datadir and rs->conninfo; no step is selected. */
int restore_prepare_instance(struct restore *rs, struct report *r, struct err *e);
/* Load config.php from @path with __DIR__ = the target webroot and take the
 * plan's env, datadir and database settings from it where the configuration
 * does not set them.  0, or -1 with @e (file and line). */
int restore_adopt_config_php(struct restore *rs, const char *path, struct report *r,
			     struct err *e);
/* 1 when the target database is not the one config.php names (rs->app_dbname):
 * then "the application reads database "biso" (config.php line 17); you
 * restore into "bsio"" is appended to @why (English) and @why_l10n (the
 * operator's language); either may be NULL. */
int restore_app_db_differs(const struct restore *rs, struct strbuf *why, struct strbuf *why_l10n);
/* rs->found.db_warning in the language _() speaks now (the screen's, or
 * English inside i18n_english(1)), or NULL. */
const char *restore_db_warning(const struct restore *rs);
/* Derive the database name and the admin conninfo from rs->conninfo.
 * 0, or -1 with @e. */
int restore_resolve_database(struct restore *rs, struct err *e);
/* Free everything restore_prepare() and the checks allocated, and the
 * locks. */
void restore_release(struct restore *rs);

/* ---- restore_lock.c ---- */
/* Lock what this run restores (flock, held until restore_unlock()), so
 * that two runs never restore one target at once while runs on other
 * targets go side by side: the webroot (restore_webroot_lock_path()) when a
 * step changes files or runs biso-cli, the database (host, port, dbname:
 * restore_database_lock_path()) when one changes the database, and the
 * run's own run_lock_path() (run.h), by which the journal tells a live
 * run's swaps from interrupted ones (run_alive()).  lock_take() (lock.h) takes each: the
 * file says who holds it (pid, process start time, host); a killed run's
 * flocks go with it.  restore_preflight()
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

/* ---- restore_journal.c ---- */
/* An earlier run killed during a swap: put right what the journal proves;
 * where it cannot, -1 with @e saying exactly how to put the live name
 * back, touching nothing.  A dry run only says what a real run would do
 * (counted in rs->journal_repairs). */
int restore_check_journal(struct restore *rs, struct report *r, struct err *e);
/* A staging tree @staging of @live left by a killed run may hold the live
 * datadir: -1 with @e saying how to move it back, else 0. */
int restore_stranded_datadir(struct restore *rs, const char *live, const char *staging,
			     struct err *e);

/* ---- restore_preflight.c ---- */
/* Check up front what would make a step fail half way: the web user and
 * group, the php binary, the admin connection and the locale on the
 * server; takes the locks unless rs->dry_run.  Warns (through @r) about env
 * and a live database whose encoding or locale differs.  Touches nothing.
 * 0, or -1 with @e. */
int restore_preflight(struct restore *rs, struct report *r, struct err *e);
/* The checks restore_preflight() makes of the webroot and datadir archives
 * (their layout, read from the first headers).  0, or -1 with @e set. */
int restore_check_archives(struct restore *rs, struct err *e);
/* Fill @k for @rs (restore_instance_kept(), restore.h). */
void restore_kept_where(const struct restore *rs, struct restore_kept *k);
/* Stop the services (services.stop_services) once per run, journaled
 * first; start them again once (also those an interrupted earlier run left
 * stopped), closing the journal entry.  0, or -1 with @e. */
int restore_stop_services(struct restore *rs, struct report *r, struct err *e);
int restore_start_services(struct restore *rs, struct report *r, struct err *e);

/* ---- restore_dumpcheck.c ---- */
/* Read @dump once whole: complete, no \connect; a complete rs->dump's
 * counts are kept in rs->found.dump_info (rs->log_dump's in
 * rs->found.log_dump_info).  On the run's thread.  0, or -1 with @e set. */
int restore_check_dump(struct restore *rs, const char *dump, struct report *r, struct err *e);
/* restore_dump_check() (restore.h) on the state: rs->dump checked into
 * rs->found; when it cannot be used, the newest one that can is named in
 * the refusal's hint, or, with rs->allow_bad_dump, in a warning, and both
 * are remembered for the chooser (rs->dump_refused ...).  On the run's
 * thread. */
int restore_check_plan_dump(struct restore *rs, struct report *r, struct err *e);
/* The checks restore_preflight() leaves to a thread beside the first
 * steps (flow_def.slow_checks, rs->checks_later): the plan's dumps read
 * whole, the server's space for them, their tables against the live
 * database's.  What they find goes into rs->checks_found only (nothing
 * else of @rs is written: the run's thread reads the rest meanwhile); a
 * dump that cannot be used is refused.  0, or -1 with @e. */
int restore_slow_checks(struct restore *rs, struct report *r, struct err *e);
/* flow_def.slow_checks_done: on the run's thread, after the slow checks
 * were joined, rs->checks_found becomes rs->found (the dumps' counts, and
 * the live tables' warning when they got that far), for the database
 * step's confirmation, the row-count checks and the summary. */
void restore_checks_done(struct restore *rs);
/* Free what @f holds (restore_release()). */
void restore_found_release(struct restore_found *f);
/* Set @f->db_warning (freed first; malloc'd or NULL) and log it when the
 * target database is not the one config.php names
 * (restore_app_db_differs()), and add to it when fewer than half of the
 * tables of the live database(s) are in the dump(s) read into @f
 * (restore_check_dump()).  Never stops a run: in a disaster the live
 * database is often empty, damaged or half restored, and it is kept as
 * <db>_pre_restore_<time> anyway.  Cannot look: a warning. */
void restore_check_live_tables(const struct restore *rs, struct restore_found *f,
			       struct report *r);
/* The free-space check of the database server's disk for the new
 * database(s) (the dumps read into @f, the live size) on @admin.  A server
 * it cannot look at is a warning.  0, or -1 with @e set when the new
 * database does not fit. */
int restore_check_db_space_on(const struct restore *rs, const struct restore_found *f,
			      PGconn *admin, struct report *r, struct err *e);
/* The same on a connection of its own: for a dump chosen after the
 * preflight. */
int restore_check_db_space(const struct restore *rs, const struct restore_found *f,
			   struct report *r, struct err *e);
/* The item of the backup set's dumps at @path, or NULL.  Borrowed. */
const struct backup_item *restore_dump_item(const struct restore *rs, const char *path);

/* ---- restore_steps.c: what several steps share ---- */
/* The index in @l of the backup at @now, or @l's length (0 for no list). */
size_t restore_list_index(const struct backup_list *l, const char *now);
/* The chooser's note for item @i of @l (flow.h: source_note): the state
 * of the backup it belongs to from its manifest, and the size of its part
 * @part ("db", "datadir") in *@bytes. */
void restore_source_note(const struct restore *rs, const struct backup_list *l, size_t i,
			 const char *part, struct strbuf *out, uint64_t *bytes);
/* The state behind that note, read from the manifest alone (cheap):
 * whether the backup item @i of @l belongs to can be offered. */
enum restore_source_state {
	SOURCE_NO_MANIFEST,  /* none (a manual-layout backup): nothing known */
	SOURCE_UNVERIFIED,   /* a manifest, no backup-verify yet */
	SOURCE_VERIFIED,     /* backup-verify said ok */
	SOURCE_DAMAGED,      /* backup-verify or this run's preflight found damage */
	SOURCE_UNREADABLE,   /* its manifest cannot be read */
};
enum restore_source_state restore_source_state(const struct restore *rs,
					       const struct backup_list *l, size_t i,
					       uint64_t *bytes, const char *part);
/* A chosen backup that cannot be used: logged here in full, as the engine
 * logs a step's error ("step datadir: NAME cannot be used; the step keeps
 * OLD: ..."): the log line English, the screen's with @e's translation. */
void restore_log_refused_source(struct report *r, const char *step, const char *name,
				const char *old, const struct err *e);
/* Append one shell command line (each word quoted where needed), or
 * several joined by " | " when @pipe_at > 0 (the index of the word where
 * the second command starts), led by five spaces; the words end with NULL. */
void restore_add_cmd(struct strbuf *out, int pipe_at, ...);
/* Append the psql command (one line: no indent, no newline; words quoted
 * by runcmd_format_argv(), identifiers and literals quoted for SQL) that
 * swaps databases by hand as the database step does, as postgres on
 * rs->conninfo's host and port: in one transaction the sessions on
 * rs->dbname are ended (RENAME refuses while one is left) and it is
 * renamed to @keep_as (both skipped when @keep_as is NULL: there is no
 * live one), then @take is renamed to rs->dbname. */
void restore_add_swap_psql(struct strbuf *out, const struct restore *rs, const char *keep_as,
			   const char *take);
/* "     rsync -a OPTS... SRC/ DST" (restore_add_cmd()), with the excludes of
 * the snapshots beside the manual's flat copy when @src is one
 * (restore_source_excludes(), @sub "webroot" or "data"). */
void restore_add_rsync(struct strbuf *out, const struct restore *rs, const char *sub,
		       const char *const *opts, const char *src, const char *dst);
/* "     cd WEBROOT && [runuser -u WEB_USER --] php biso-cli SUB...", quoted
 * for a shell. */
/* The hint of a failed migrations or verify step (@s) once something was
 * restored: what stays, and the command that finishes the restore, with
 * the run's instance options.  Nothing when @e has a hint already. */
void restore_finish_hint(const struct run *run, enum step_id s, struct err *e);
void restore_add_bisocli_cmd(struct strbuf *out, const struct restore *rs,
			     const char *const *sub);
/* A files step's summary ("1234 files, 56.0 MiB", refused members, modes
 * changed), refused count and kept copy from @res into @out. */
void restore_files_summary(struct step_out *out, const struct fsrestore_result *res);
/* A resumed run (run_resumed()) whose interrupted run swapped @target in
 * already: its kept copy (@kept, or NULL: <target>.pre-restore-<stamp>)
 * exists.  Then 1, @out says so, and the step must not copy again (a
 * second pre-restore copy); else 0. */
int restore_resumed_swap(struct restore *rs, const char *target, const char *kept,
			 struct step_out *out, struct report *r);
/* The excludes to copy the backup @src with: @conf_ex (the configuration's),
 * and when @src is the manual's flat copy in the backup root (<root>/
 * @sub: "webroot" or "data") the snapshots, archives and partial backups
 * beside it (backupset_flat_excludes()).  malloc'd, free with
 * backupset_excludes_free(). */
char **restore_source_excludes(const struct restore *rs, const char *src, const char *sub,
			       char *const *conf_ex);
/* fsrestore_run() with the swap recorded in the journal (see journal.h),
 * waiting for the flow's slow checks right before it (run_wait_checks()). */
int restore_journaled_fsrestore(struct restore *rs, const struct fsrestore_opts *o,
				struct report *r, struct fsrestore_result *res, struct err *e);
/* 1 when the directory @path has no entries (or cannot be read). */
int restore_dir_is_empty(const char *path);
/* The times of directory @dir into @ts: 1, or 0 when it cannot (nothing to
 * put back); restore_dir_times_put() sets them again (the config and
 * datadir steps rename entries in the webroot, which moves its mtime away
 * from the backup's). */
int restore_dir_times_get(const char *dir, struct timespec ts[2]);
void restore_dir_times_put(const char *dir, const struct timespec ts[2], struct report *r);

#endif
