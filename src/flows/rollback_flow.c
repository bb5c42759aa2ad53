/* rollback_flow: the rollback as a flow of three steps (flow.h): its
 * table, the run it rolls back (from the journal) and the hooks around
 * the steps; see rollback.h. */
#include "config.h"
#include "i18n.h"
#include "rollback_int.h"
#include "backupset.h"
#include "conf.h"
#include "dbadmin.h"
#include "journal.h"
#include "strbuf.h"
#include "swap.h"
#include "timestamp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const struct step_def *const rollback_steps[RB_COUNT] = {
	[RB_WEBROOT] = &rollback_step_webroot,
	[RB_DATADIR] = &rollback_step_datadir,
	[RB_DATABASE] = &rollback_step_database,
};

static void *rollback_create(struct run *run)
{
	struct rollback *rb = xcalloc(1, sizeof *rb);
	struct restore *rs = &rb->rs;
	rs->run = run;
	rs->conf = run_conf(run);
	rs->stamp = run_origin_stamp(run);
	for (size_t i = 0; i < RB_COUNT; i++)
		if (run_step_selected(run, i))
			rs->selected |= STEP_BIT(i);
	rs->dry_run = run_dry_run(run);
	return rb;
}

static void rollback_free(void *data)
{
	struct rollback *rb = data;
	restore_release(&rb->rs);
	free(rb->of);
	free(rb->flow);
	for (size_t i = 0; i < RB_COUNT; i++)
		free(rb->kept[i]);
	free(rb->kept_log);
	free(rb->log_db);
	free(rb);
}

/* The live database a kept copy "<db>_pre_restore_<time>" (a rollback's:
 * "_pre_rollback_") was, malloc'd; NULL for another name. */
static char *live_name(const char *kept)
{
	const char *cut = NULL;
	for (const char *p = kept; (p = strstr(p, "_pre_r")); p++)
		if (!strncmp(p, "_pre_restore_", 13) || !strncmp(p, "_pre_rollback_", 14))
			cut = p;
	return cut && cut > kept ? xstrndup(kept, (size_t)(cut - kept)) : NULL;
}

/* The database step's kept copies, "<db>_pre_restore_<time>[,
 * <logdb>_pre_restore_<time>]": the live database's (by its name; without
 * a known name, the first) into kept[RB_DATABASE], the optional log
 * database's into kept_log with the name it is put back as. */
static void take_kept_databases(struct rollback *rb, const char *list)
{
	free(rb->kept[RB_DATABASE]);
	free(rb->kept_log);
	free(rb->log_db);
	rb->kept[RB_DATABASE] = rb->kept_log = rb->log_db = NULL;
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		char *name = xstrndup(p, len), *live = live_name(name);
		int main_db = rb->rs.dbname ? live && !strcmp(live, rb->rs.dbname) : !rb->kept[RB_DATABASE];
		if (main_db && !rb->kept[RB_DATABASE]) {
			rb->kept[RB_DATABASE] = name;
			free(live);
		} else if (!main_db && live && !rb->kept_log) {
			rb->kept_log = name;
			rb->log_db = live;
		} else {
			free(name);
			free(live);
		}
		p += len;
		p += strspn(p, ", ");
	}
}

/* The newest restore or rollback in the journal (runs of other flows
 * after it, the nightly backup, do not count) and what its steps kept:
 * rb->of, rb->kept[], rb->kept_log.  0, or -1 with @e when there is none to roll back. */
static int find_run(struct rollback *rb, struct err *e)
{
	static const char *const flows[] = { "restore", "rollback", NULL };
	const char *dir = rb->rs.conf->log_dir;
	struct journal_step_rec *v;
	size_t n;
	if (journal_steps_of(dir, flows, &v, &n, e) < 0)
		return -1;
	if (!n) {
		err_set(e, "no restore to roll back in the journal of %s", dir);
		err_detail(e, "It records no restore or rollback run.");
		err_hint(e, "Give the --log-dir of the restore to roll back.");
		journal_steps_free(v, n);
		return -1;
	}
	rb->of = xstrdup(v[0].stamp);
	rb->flow = xstrdup(v[0].flow);
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < RB_COUNT; i++) {
			char *kept, *from, *at;
			if (strcmp(v[k].step, rollback_steps[i]->name) || strcmp(v[k].event, "done"))
				continue;
			run_done_parse(v[k].detail, &kept, &from, &at);
			free(from);
			free(at);
			if (kept && i == RB_DATABASE) {
				take_kept_databases(rb, kept);
				free(kept);
				continue;
			}
			free(rb->kept[i]);
			rb->kept[i] = kept;
		}
	}
	journal_steps_free(v, n);
	return 0;
}

/* When the run rolled back ran, into @when: its stamp in the readable
 * form, or the stamp itself when it is none (a hand-edited journal). */
static const char *rb_when(const struct rollback *rb, char when[20])
{
	time_t t;
	size_t len;
	if (rb->of && backupset_parse_stamp(rb->of, 0, &t, &len) && !rb->of[len])
		timestamp_human(t, when);
	else
		snprintf(when, 20, "%s", rb->of ? rb->of : "?");
	return when;
}

static int rollback_prepare(struct run *run, struct report *r, struct err *e)
{
	struct rollback *rb = rollback_of(run);
	struct restore *rs = &rb->rs;
	size_t len;
	char when[20];

	if (restore_prepare_instance(rs, r, e) < 0)
		return -1;
	for (size_t i = 0; i < RB_COUNT; i++)
		if (run_step_selected(run, i))
			rs->selected |= STEP_BIT(i);
	if (rs->conninfo && restore_resolve_database(rs, e) < 0)
		return -1;
	if (find_run(rb, e) < 0)
		return -1;
	if (rb->kept[RB_WEBROOT] && rb->kept[RB_DATADIR] &&
	    (len = strlen(rb->kept[RB_WEBROOT])) &&
	    !strncmp(rb->kept[RB_DATADIR], rb->kept[RB_WEBROOT], len) &&
	    rb->kept[RB_DATADIR][len] == '/')
		rb->kept_inside = 1;
	report_log(r, LOG_INFO, "rolling back the %s of %s (%s)", rb->flow, rb->of,
		   rb_when(rb, when));
	return 0;
}

/* Steps that have something to put back and are selected. */
static unsigned to_do(const struct rollback *rb)
{
	unsigned m = 0;
	for (size_t i = 0; i < RB_COUNT; i++)
		if (rb->kept[i] && (rb->rs.selected & STEP_BIT(i)))
			m |= STEP_BIT(i);
	return m;
}

static int rollback_preflight(struct run *run, struct report *r, struct err *e)
{
	struct rollback *rb = rollback_of(run);
	struct restore *rs = &rb->rs;
	unsigned m = to_do(rb);

	if (!m) {
		err_set(e, "the %s of %s replaced nothing that can be put back", rb->flow, rb->of);
		err_hint(e, "Its journal records no kept webroot, datadir or database for the steps "
			    "chosen.");
		return -1;
	}
	if ((m & STEP_BIT(RB_DATABASE)) && !rs->admin_conninfo) {
		err_set(e, "no database known to put \"%s\" back into", rb->kept[RB_DATABASE]);
		err_hint(e, "Give --dbname CONNINFO, or roll back the files only with "
			    "--only webroot,datadir.");
		return -1;
	}
	if (!rs->dry_run && restore_lock(rs, e) < 0)
		return -1;
	/* a swap an earlier run (this rollback's too) left half done */
	if (restore_check_journal(rs, r, e) < 0)
		return -1;
	for (size_t i = RB_WEBROOT; i <= RB_DATADIR; i++) {
		/* the datadir kept inside the kept webroot comes back with it */
		if (!(m & STEP_BIT(i)) || (i == RB_DATADIR && rb->kept_inside &&
					     (m & STEP_BIT(RB_WEBROOT))))
			continue;
		if (!path_exists(rb->kept[i])) {
			err_set(e, "the %s kept by the %s of %s is gone: %s", rollback_steps[i]->name,
				rb->flow, rb->of, rb->kept[i]);
			err_hint(e, "Nothing was changed.  Roll back the other parts with --only.");
			return -1;
		}
	}
	if (m & STEP_BIT(RB_DATABASE)) {
		/* the database's kept copy, and the log database's */
		const char *kept[2] = { rb->kept[RB_DATABASE], rb->kept_log };
		PGconn *admin = dbadmin_connect(rs->admin_conninfo, e);
		if (!admin)
			return -1;
		for (size_t k = 0; k < 2 && kept[k]; k++) {
			int exists = 0;
			if (dbadmin_exists(admin, kept[k], &exists, e) < 0) {
				PQfinish(admin);
				return -1;
			}
			if (!exists) {
				PQfinish(admin);
				err_set(e, "the database \"%s\" kept by the %s of %s is gone",
					kept[k], rb->flow, rb->of);
				err_hint(e, "Nothing was changed.  Roll back the files with --only "
					    "webroot,datadir.");
				return -1;
			}
		}
		PQfinish(admin);
	}
	return 0;
}

static int rollback_stop_services(struct run *run, struct report *r, struct err *e)
{
	return restore_stop_services(&rollback_of(run)->rs, r, e);
}

static int rollback_finish(struct run *run, struct report *r)
{
	struct err e = ERR_INIT;
	int ret = 0;
	if (restore_start_services(&rollback_of(run)->rs, r, &e) < 0) {
		report_log(r, LOG_ERROR, "starting services failed: %s", e.msg);
		ret = -1;
	}
	err_clear(&e);
	return ret;
}

static void rollback_plan_head(const struct run *run, struct strbuf *out)
{
	const struct rollback *rb = rollback_of(run);
	char when[20];
	strbuf_addf(out, _("Rollback plan (%s), nothing has been touched:\n"), rb->rs.stamp);
	strbuf_addf(out, _("puts back what the %s of %s (run %s) replaced; what is live now is "
			   "kept\n\n"),
		    rb->flow ? rb->flow : "?", rb_when(rb, when), rb->of ? rb->of : "?");
}

static void rollback_plan_tail(const struct run *run, int plan, struct strbuf *out)
{
	const struct rollback *rb = rollback_of(run);
	if (!plan && rb->of)
		strbuf_addf(out, _("rolled back: the %s of %s; to undo this rollback: biso-recover "
			    "rollback%s\n"), rb->flow, rb->of, run_instance_opts(run));
}

static void rollback_target_text(const struct run *run, struct strbuf *out)
{
	const struct restore *rs = &rollback_of(run)->rs;
	if (rs->dbname)
		strbuf_addf(out, _("  database %s"), rs->dbname);
	if (rs->webroot)
		strbuf_addf(out, _("  webroot %s"), rs->webroot);
}

const struct flow_def rollback_flow = {
	.name = "rollback",
	.title = N_("Rollback"),
	.steps = rollback_steps,
	.n_steps = RB_COUNT,
	.create = rollback_create,
	.release = rollback_free,
	.prepare = rollback_prepare,
	.preflight = rollback_preflight,
	.stop_services = rollback_stop_services,
	.finish = rollback_finish,
	.plan_head = rollback_plan_head,
	.plan_tail = rollback_plan_tail,
	.target_text = rollback_target_text,
};

/* ---- what the steps share ---- */

char *rollback_keep_name(const struct rollback *rb, const char *live)
{
	return xstrfmt("%s.pre-rollback-%s", live, rb->rs.stamp);
}

void rollback_copy_mode(const char *dir, const char *like, struct report *r)
{
	struct stat st;
	if (lstat(like, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	if ((geteuid() == 0 && lchown(dir, st.st_uid, st.st_gid) < 0) ||
	    chmod(dir, st.st_mode & 07777) < 0)
		report_log(r, LOG_WARN, "cannot give %s the owner and mode of %s: %s", dir, like,
			   strerror(errno));
}

int rollback_swap_tree(struct rollback *rb, const char *live, const char *back,
		       const char *keep, const char *carry, const char *what,
		       struct report *r, struct err *e)
{
	const char *dir = rb->rs.conf->log_dir;
	char *old_at = NULL;
	struct err jerr = ERR_INIT;
	int ret;
	if (journal_begin(dir, rb->rs.stamp, JOURNAL_FILES, live, keep, back, e) < 0)
		return -1;
	ret = swap_trees(live, back, keep, carry, what, &old_at, r, e);
	if (journal_done(dir, rb->rs.stamp, JOURNAL_FILES, live, &jerr) < 0)
		report_log(r, LOG_WARN, "%s", jerr.msg);
	err_clear(&jerr);
	free(old_at);
	return ret;
}
