/*
 * restore: the documented restore order as a flow (flow.h) of six steps,
 * driven through a struct run (run.h) by every front end:
 *
 *   webroot -> config -> datadir -> database -> migrations -> verify
 *
 * run_prepare() resolves the plan (which backup, which targets, which
 * database) without touching anything; run_preflight() checks up front
 * what would make a step fail half way and takes the locks; each step then
 * replaces its part through a staging copy swapped in only when complete,
 * so a step that fails leaves the old data in place.  The steps are one
 * file each (restore_webroot.c ...); the flow's table and hooks are in
 * restore_flow.c; what they share is restore_int.h.
 *
 * The functions below are the restore's own, for the commands that use a
 * part of it: cleanup (the instance without a backup set) and db-restore
 * --create (the dump checked before anything is created).  Each takes a
 * run of restore_flow.
 */
#ifndef BR_RESTORE_H
#define BR_RESTORE_H

#include "err.h"
#include "keptcopies.h"
#include "report.h"

struct run;
struct flow_def;

extern const struct flow_def restore_flow;

/*
 * Resolve only the instance, for biso-recover cleanup: without the backup
 * set, which a full or lost backup disk (when an admin cleans up) leaves
 * unreadable.  The webroot from the configuration; the datadir and the
 * database from config.php (--config-php, else the live WEBROOT/config.php)
 * unless the configuration overrides them, or from it alone when it cannot
 * be read.  No step is selected.  What stays unknown is a warning through
 * @r (its copies are not looked for), not an error: -1 with @e only when
 * no webroot is configured.
 */
int restore_instance_prepare(struct run *run, struct report *r, struct err *e);
/* The webroot of the run's instance (borrowed), once known. */
const char *restore_instance_webroot(const struct run *run);
/* Where the copies earlier restores kept of a run's instance are, for
 * keptcopies_find(): the webroot, the datadir, and the databases whenever
 * the target is known, whatever steps run (the target database, else the
 * one the conninfo names; the log database with it when log_database is
 * enabled).  @where borrows from the run and from here. */
struct restore_kept {
	struct kept_where where;
	const char *dbs[3];
	char *dbname;           /* owned: derived from the conninfo, or NULL */
	char *admin_conninfo;   /* owned: derived here, or NULL */
};
/* Fill @k for @run; release with restore_kept_release() before the run. */
void restore_instance_kept(const struct run *run, struct restore_kept *k);
void restore_kept_release(struct restore_kept *k);
/* Take the run's own run lock (<log_dir>/run-<stamp>.lock, by which the
 * journal tells a live run from an interrupted one), as run_preflight()
 * takes it; no step is selected, so no target lock is taken (as cleanup
 * always locked).  Released by run_free().  -1 with @e naming the other
 * run. */
int restore_instance_lock(struct run *run, struct err *e);
/* The preflight's check of the plan's dump (read whole once, as the
 * preflight reads it; it is not read again there), for a front end that
 * refuses a cut dump before it creates anything (db-restore --create,
 * before its run log).  0, or -1 with @e whose hint names the newest
 * usable dump of the backup set, or without a backup set db-inspect of the
 * dump. */
int restore_dump_check(struct run *run, struct report *r, struct err *e);

#endif
