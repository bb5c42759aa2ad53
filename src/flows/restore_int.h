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
#include "strbuf.h"

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
