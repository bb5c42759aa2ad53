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
#include "runcmd.h"
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
	for (size_t i = 0; i < RB_COUNT; i++) {
		free(rb->kept[i]);
		free(rb->kept_of[i]);
		free(rb->left[i]);
	}
	free(rb->left_of);
	free(rb->earlier);
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

/* What run @stamp of flow @flow kept the old data as, per step (its "done"
 * records; the database's as the step's list of names), into @kept:
 * malloc'd, NULL for nothing. */
static void run_kept(const struct journal_step_rec *v, size_t n, const char *stamp,
		     const char *flow, char *kept[RB_COUNT])
{
	for (size_t i = 0; i < RB_COUNT; i++)
		kept[i] = NULL;
	for (size_t k = 0; k < n; k++) {
		if (strcmp(v[k].stamp, stamp) || strcmp(v[k].flow, flow) ||
		    strcmp(v[k].event, "done"))
			continue;
		for (size_t i = 0; i < RB_COUNT; i++) {
			char *kp, *from, *at;
			if (strcmp(v[k].step, rollback_steps[i]->name))
				continue;
			run_done_parse(v[k].detail, &kp, &from, &at);
			free(from);
			free(at);
			free(kept[i]);
			kept[i] = kp;
		}
	}
}

/* 1 when run @stamp of @flow ended before finishing every step it had
 * selected (its "start" record's first line): no "end", an exit code
 * other than 0, or a selected step neither done nor skipped. */
static int run_unfinished(const struct journal_step_rec *v, size_t n, const char *stamp,
			  const char *flow, const char *selected)
{
	int ended = 0, code = 0;
	size_t len;
	for (size_t k = 0; k < n; k++)
		if (!strcmp(v[k].stamp, stamp) && !strcmp(v[k].flow, flow) && !*v[k].step &&
		    !strcmp(v[k].event, "end")) {
			ended = 1;
			code = atoi(v[k].detail);
		}
	if (!ended || code)
		return 1;
	for (const char *p = selected; *p && *p != '\n'; p += len, p += *p == ',') {
		int finished = 0;
		len = strcspn(p, ",\n");
		for (size_t k = 0; k < n && !finished; k++)
			finished = !strcmp(v[k].stamp, stamp) && !strcmp(v[k].flow, flow) &&
				   strlen(v[k].step) == len && !strncmp(v[k].step, p, len) &&
				   (!strcmp(v[k].event, "done") || !strcmp(v[k].event, "skipped"));
		if (len && !finished)
			return 1;
	}
	return 0;
}

/* The "origin=" line of a "start" record's @detail (the run a --resume
 * continues; a fresh run's own stamp): a pointer into it, its length in
 * *@len; NULL when there is none (an older journal). */
static const char *start_origin(const char *detail, size_t *len)
{
	const char *p = strstr(detail, "\norigin=");
	if (!p)
		return NULL;
	p += 8;
	*len = strcspn(p, "\n");
	return p;
}

/* 1 when run @later (a restore's "start" record) continues the unfinished
 * restore run @earlier: it is that run's --resume (the same origin), or it
 * selected only steps that run had selected and not done (its "restore
 * --only database,migrations,verify" after it stopped before the
 * database).  Any other restore in between is a restore of its own. */
static int run_continues(const struct journal_step_rec *v, size_t n,
			 const struct journal_step_rec *later, const struct journal_step_rec *earlier)
{
	size_t lo, eo, len;
	const char *o1 = start_origin(later->detail, &lo), *o2 = start_origin(earlier->detail, &eo);
	const char *sel = earlier->detail;
	size_t sel_len = strcspn(sel, "\n");
	if (o1 && o2 && lo == eo && !strncmp(o1, o2, lo))
		return 1;
	if (!*later->detail || *later->detail == '\n')
		return 0;
	for (const char *p = later->detail; *p && *p != '\n'; p += len, p += *p == ',') {
		int in = 0;
		len = strcspn(p, ",\n");
		/* one of the earlier run's selected steps ... */
		for (const char *q = sel; q < sel + sel_len && !in; q += strcspn(q, ",\n"), q += *q == ',')
			in = strcspn(q, ",\n") == len && !strncmp(q, p, len);
		if (!in)
			return 0;
		/* ... that it did not do */
		for (size_t k = 0; k < n; k++)
			if (!strcmp(v[k].stamp, earlier->stamp) && !strcmp(v[k].flow, earlier->flow) &&
			    !strcmp(v[k].event, "done") && strlen(v[k].step) == len &&
			    !strncmp(v[k].step, p, len))
				return 0;
	}
	return 1;
}

/* 1 when what the earlier restore run @stamp kept (@kept, run_kept())
 * belongs to this instance: its kept trees carry that run's stamp and the
 * kept webroot this webroot's name; its kept database is named after this
 * database. */
static int kept_belongs(const struct rollback *rb, const char *stamp, char *const kept[RB_COUNT])
{
	const struct restore *rs = &rb->rs;
	char *mark = xstrfmt("pre-restore-%s", stamp);
	int ok = 1;
	for (size_t i = RB_WEBROOT; i <= RB_DATADIR && ok; i++)
		if (kept[i] && !strstr(kept[i], mark))
			ok = 0;
	if (ok && kept[RB_WEBROOT]) {
		const char *base = strrchr(rs->webroot ? rs->webroot : "", '/');
		const char *kbase = strrchr(kept[RB_WEBROOT], '/');
		base = base ? base + 1 : rs->webroot;
		kbase = kbase ? kbase + 1 : kept[RB_WEBROOT];
		ok = base && *base && !strncmp(kbase, base, strlen(base)) &&
		     kbase[strlen(base)] == '.';
	}
	if (ok && kept[RB_DATABASE] && rs->dbname) {
		size_t len = strcspn(kept[RB_DATABASE], ",");
		char *first = xstrndup(kept[RB_DATABASE], len), *live = live_name(first);
		ok = live && !strcmp(live, rs->dbname);
		free(first);
		free(live);
	}
	free(mark);
	return ok;
}

/* 1 when @s is the start of a restore that only verified (restore --only
 * verify): it replaced nothing. */
static int only_verified(const struct journal_step_rec *s)
{
	return !strcmp(s->flow, "restore") && run_start_reads_only(&restore_flow, s->detail);
}

/* The newest restore or rollback in the journal (runs of other flows
 * after it, the nightly backup, and restores that only verified do not
 * count) and what its steps kept:
 * rb->of, rb->kept[], rb->kept_log.  A restore that the operator split
 * over several runs (one ended before its last step, "restore --only" did
 * the rest) is one restore: the earlier runs right before it (nothing
 * between them but backups, which replace nothing) that ended unfinished
 * and that the later run continues (run_continues()) add what they kept, and for a part two of them replaced the earliest
 * copy goes back, what was live before the whole restore (rb->earlier,
 * rb->kept_of[]).  0, or -1 with @e when there is none to roll back. */
static int find_run(struct rollback *rb, struct err *e)
{
	const char *dir = rb->rs.conf->log_dir;
	struct journal_step_rec *v;
	size_t n, last = (size_t)-1;
	char *kept[RB_COUNT];
	const char **chain = NULL; /* the earlier runs, newest first; borrowed */
	const struct journal_step_rec *cur; /* the oldest run of the restore so far */
	size_t n_chain = 0;
	if (journal_steps_all(dir, &v, &n, e) < 0)
		return -1;
	for (size_t k = 0; k < n; k++)
		if (!*v[k].step && !strcmp(v[k].event, "start") &&
		    (!strcmp(v[k].flow, "restore") || !strcmp(v[k].flow, "rollback")) &&
		    !only_verified(&v[k]))
			last = k;
	if (last == (size_t)-1) {
		err_set(e, "no restore to roll back in the journal of %s", dir);
		err_detail(e, "It records no restore or rollback run.");
		err_hint(e, "Give the --log-dir of the restore to roll back.");
		journal_steps_free(v, n);
		return -1;
	}
	cur = &v[last];
	rb->of = xstrdup(v[last].stamp);
	rb->flow = xstrdup(v[last].flow);
	run_kept(v, n, rb->of, rb->flow, kept);
	for (size_t i = 0; i < RB_COUNT; i++) {
		rb->kept[i] = kept[i];
		rb->kept_of[i] = kept[i] ? xstrdup(rb->of) : NULL;
	}
	for (size_t k = last; k-- > 0 && !strcmp(rb->flow, "restore");) {
		const struct journal_step_rec *s = &v[k];
		int own, unfinished;
		if (*s->step || strcmp(s->event, "start") || !strcmp(s->stamp, rb->of))
			continue;
		if (!strcmp(s->flow, "backup") || only_verified(s))
			continue; /* a backup or a verification replaces nothing */
		if (strcmp(s->flow, "restore"))
			break; /* another rollback or refresh */
		run_kept(v, n, s->stamp, s->flow, kept);
		own = kept_belongs(rb, s->stamp, kept);
		unfinished = run_unfinished(v, n, s->stamp, s->flow, s->detail);
		if (!own || !unfinished || !run_continues(v, n, cur, s)) {
			/* a restore of another instance logging here, or a
			 * restore of its own (it finished, or the later run
			 * neither resumed it nor did only the steps it left):
			 * what it kept of a part this rollback leaves (of an
			 * unfinished one: every part) is named, not put back */
			for (size_t i = 0; i < RB_COUNT; i++) {
				if (own && kept[i] && (!rb->kept[i] || unfinished)) {
					rb->left[i] = kept[i];
					kept[i] = NULL;
					if (!rb->left_of)
						rb->left_of = xstrdup(s->stamp);
					rb->left_unfinished = unfinished;
				}
				free(kept[i]);
			}
			break;
		}
		cur = s;
		for (size_t i = 0; i < RB_COUNT; i++) {
			if (!kept[i])
				continue;
			/* the earlier copy is what was live before the restore */
			free(rb->kept[i]);
			free(rb->kept_of[i]);
			rb->kept[i] = kept[i];
			rb->kept_of[i] = xstrdup(s->stamp);
		}
		chain = xrealloc(chain, (n_chain + 1) * sizeof *chain);
		chain[n_chain++] = s->stamp;
	}
	if (n_chain) {
		struct strbuf sb = STRBUF_INIT;
		for (size_t c = n_chain; c-- > 0;)
			strbuf_addf(&sb, "%s%s", chain[c], c ? ", " : "");
		rb->earlier = strbuf_detach(&sb, NULL);
		rb->n_earlier = n_chain;
	}
	free(chain);
	if (rb->kept[RB_DATABASE]) {
		char *list = rb->kept[RB_DATABASE];
		rb->kept[RB_DATABASE] = NULL;
		take_kept_databases(rb, list);
		free(list);
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

/* The warning for what the restore run before the rolled-back one kept
 * and this rollback leaves (rb->left), in the language of _(), into @out:
 * which run, each part and where it stays, and the commands that put it
 * back by hand.  0 when nothing is left. */
static int left_warning(const struct rollback *rb, struct strbuf *out)
{
	const struct restore *rs = &rb->rs;
	struct strbuf parts = STRBUF_INIT, how = STRBUF_INIT;
	const char *w = rb->left[RB_WEBROOT], *d = rb->left[RB_DATADIR];
	int with_w = w && (rs->selected & STEP_BIT(RB_WEBROOT)) && path_exists(w);
	int in_w = with_w && d && inside(d, w);

	for (size_t i = 0; i < RB_COUNT; i++) {
		const char *left = rb->left[i], *live;
		char *db = NULL;
		if (!left || !(rs->selected & STEP_BIT(i)))
			continue;
		if (i == RB_DATABASE)
			left = db = xstrndup(left, strcspn(left, ","));
		else if (!path_exists(left) || (i == RB_DATADIR && in_w))
			continue;
		if (parts.len)
			strbuf_addstr(&parts, "; ");
		if (how.len)
			strbuf_addstr(&how, "; ");
		if (i == RB_WEBROOT && in_w)
			strbuf_addf(&parts, _("the webroot as %s (the datadir in it)"), left);
		else if (i == RB_WEBROOT)
			strbuf_addf(&parts, _("the webroot as %s"), left);
		else if (i == RB_DATADIR)
			strbuf_addf(&parts, _("the datadir as %s"), left);
		else
			strbuf_addf(&parts, _("the database as \"%s\""), left);
		if (i == RB_DATABASE) {
			char *keep_as = xstrfmt("%s_pre_rollback_by_hand", orq(rs->dbname));
			restore_add_swap_psql(&how, rs, keep_as, left);
			free(keep_as);
		} else {
			/* a datadir in the webroot is parked beside its kept
			 * copy, out of the webroot, as the restore keeps it:
			 * the web server must not serve its personal data */
			char *park;
			live = i == RB_WEBROOT ? rs->webroot : rs->datadir;
			park = xstrfmt("%s.pre-rollback-by-hand",
				       i == RB_DATADIR && live && inside(live, rs->webroot) ? left : live);
			runcmd_format_argv((const char *const[]){ "mv", live, park, NULL }, &how);
			strbuf_addstr(&how, " && ");
			runcmd_format_argv((const char *const[]){ "mv", left, live, NULL }, &how);
			free(park);
		}
		free(db);
	}
	if (parts.len) {
		if (rb->left_unfinished)
			strbuf_addf(out, _("not put back: the restore run %s before the restore of %s ended "
					   "unfinished and is a restore of its own (the later one neither "
					   "resumed it nor did only the steps it left); it kept what was "
					   "there before it, which stays where it is: %s. If that run "
					   "belongs to this one, put it back by hand, with maintenance mode "
					   "on: %s"),
				    rb->left_of, rb->of, parts.buf, how.buf);
		else
			strbuf_addf(out, _("not put back: the restore of %s did not replace it; the restore "
					   "run %s before it (finished on its own) kept what was there "
					   "before it, which stays where it is: %s. If that restore belongs "
					   "to this one, put it back by hand, with maintenance mode on: %s"),
				    rb->of, rb->left_of, parts.buf, how.buf);
	}
	strbuf_release(&parts);
	strbuf_release(&how);
	return out->len > 0;
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
	if (!strcmp(rb->flow, "rollback"))
		report_log(r, LOG_INFO, "rolling back the rollback of %s (%s)", rb->of,
			   rb_when(rb, when));
	else
		report_log(r, LOG_INFO, "rolling back the restore of %s (%s)", rb->of,
			   rb_when(rb, when));
	if (rb->earlier)
		report_log(r, LOG_INFO, "with the earlier run(s) %s of the same restore, which "
			   "ended before the last step: what they replaced goes back too",
			   rb->earlier);
	if (rb->left_of) {
		/* one warning for every part that run kept (the webroot and the
		 * datadir kept in it are one copy), in the log's English and the
		 * screen's language */
		struct strbuf en = STRBUF_INIT, shown = STRBUF_INIT;
		int was = i18n_english(1);
		if (left_warning(rb, &en)) {
			i18n_english(was);
			left_warning(rb, &shown);
			report_log_l10n(r, LOG_WARN, shown.buf, "%s", en.buf);
		}
		i18n_english(was);
		strbuf_release(&en);
		strbuf_release(&shown);
	}
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
		/* the datadir kept inside the kept webroot too, which comes
		 * back with it: without it the webroot's swap would carry the
		 * live datadir into the old webroot, and the datadir step, skipped,
		 * would leave that one live */
		if (!(m & STEP_BIT(i)))
			continue;
		if (!path_exists(rb->kept[i])) {
			err_set(e, "the %s kept by the %s of %s is gone: %s", rollback_steps[i]->name,
				rb->flow, rb->kept_of[i], rb->kept[i]);
			/* (the refusal says "nothing was touched" already) */
			err_hint(e, "Roll back the other parts with --only.");
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
					kept[k], rb->flow, rb->kept_of[RB_DATABASE]);
				err_hint(e, "Roll back the files with --only webroot,datadir.");
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
		err_prefix(&e, "starting services failed");
		report_log_l10n(r, LOG_ERROR, e.lmsg, "%s", e.msg);
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
	if (rb->earlier)
		strbuf_addf(out, P_("It also puts back what the earlier run %s of the same restore "
				    "replaced: that run ended before its last step, the later one "
				    "finished the restore.\n\n",
				    "It also puts back what the earlier runs %s of the same restore "
				    "replaced: they ended before their last step, the later one "
				    "finished the restore.\n\n",
				    rb->n_earlier),
			    rb->earlier);
}

static void rollback_plan_tail(const struct run *run, int plan, struct strbuf *out)
{
	const struct rollback *rb = rollback_of(run);
	if (!plan && rb->of)
		strbuf_addf(out, _("rolled back: the %s of %s; to undo this rollback, run:\n"
				   "  biso-recover rollback%s\n"), rb->flow, rb->of, run_instance_opts(run));
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

int rollback_swap_tree(struct rollback *rb, const char *live, const char *back, char *keep,
		       const char *carry, const char *what, struct step_out *out,
		       struct report *r, struct err *e)
{
	const char *dir = rb->rs.conf->log_dir;
	char *old_at = NULL;
	struct err jerr = ERR_INIT;
	int ret;
	if (journal_begin(dir, rb->rs.stamp, JOURNAL_FILES, live, keep, back, e) < 0) {
		free(keep);
		return -1;
	}
	ret = swap_trees(live, back, keep, carry, what, &old_at, r, e);
	if (journal_done(dir, rb->rs.stamp, JOURNAL_FILES, live, &jerr) < 0)
		report_log_l10n(r, LOG_WARN, jerr.lmsg, "%s", jerr.msg);
	err_clear(&jerr);
	free(old_at);
	if (ret < 0) {
		free(keep);
		return -1;
	}
	out->kept_as = keep;
	out->source = xstrdup(back);
	/* the path on a row of its own (put_back), as the restore's kept
	 * copy: the table's result column would break it */
	out->put_back = xstrdup(back);
	step_out_summaryf(out, "put back the kept copy");
	return 0;
}
