/* restore_flow: the restore as a flow of six steps (flow.h): its table and
 * the hooks around the steps; see restore.h. */
#include "config.h"
#include "i18n.h"
#include "restore.h"
#include "restore_int.h"
#include "backupset.h"
#include "conf.h"
#include "conninfo.h"
#include "journal.h"
#include "strbuf.h"
#include "timestamp.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* In the documented order; enum step_id is the index. */
static const struct step_def *const restore_steps[STEP_COUNT] = {
	[STEP_WEBROOT] = &restore_step_webroot,
	[STEP_CONFIG] = &restore_step_config,
	[STEP_DATADIR] = &restore_step_datadir,
	[STEP_DATABASE] = &restore_step_database,
	[STEP_MIGRATIONS] = &restore_step_migrations,
	[STEP_VERIFY] = &restore_step_verify,
};

/* The plan's sources in the journal's start record (flow_def.journal_plan),
 * the keys resume_sources() reads back. */
static const struct {
	const char *key;
	size_t off;
} plan_keys[] = {
	{ "webroot_src", offsetof(struct restore, webroot_src) },
	{ "datadir_src", offsetof(struct restore, datadir_src) },
	{ "dump", offsetof(struct restore, dump) },
	{ "log_dump", offsetof(struct restore, log_dump) },
	{ "config_php", offsetof(struct restore, config_php_src) },
};

/* A resumed run uses exactly the backups the interrupted one chose:
 * restore_prepare() picks none where one is set. */
static void resume_sources(struct restore *rs)
{
	for (size_t k = 0; k < sizeof plan_keys / sizeof *plan_keys; k++) {
		const char *v = run_resume_value(rs->run, plan_keys[k].key);
		if (v && *v)
			set_str((char **)((char *)rs + plan_keys[k].off), v);
	}
}

static void restore_journal_plan(const struct run *run, struct strbuf *out)
{
	const struct restore *rs = restore_of(run);
	const struct backup_item *it = NULL;
	for (size_t k = 0; k < sizeof plan_keys / sizeof *plan_keys; k++) {
		const char *v = *(char *const *)((const char *)rs + plan_keys[k].off);
		/* a value is one line of the record; a path with a newline
		 * is not recorded, and a resume would choose anew */
		strbuf_addf(out, "%s=%s\n", plan_keys[k].key, v && !strchr(v, '\n') ? v : "");
	}
	if (rs->backups) {
		size_t i = restore_list_index(&rs->backups->webroot, rs->webroot_src);
		if (i < rs->backups->webroot.n)
			it = &rs->backups->webroot.items[i];
		else if ((i = restore_list_index(&rs->backups->data, rs->datadir_src)) <
			 rs->backups->data.n)
			it = &rs->backups->data.items[i];
		else
			it = rs->dump ? restore_dump_item(rs, rs->dump) : NULL;
	}
	if (it) {
		char when[20];
		timestamp_human(it->when, when);
		strbuf_addf(out, "taken=%.16s\n", when);
	}
}

/* flow_def.source_opts: the dump the run replays, by name, and the newest
 * time of the dated backups it chose, as --at: a command that finishes a
 * half-done run later must not take a newer dump (a nightly pg_dump) or
 * webroot than the steps already done used.  A path with a newline is left
 * out (the journal keeps one line). */
static void restore_source_opts(const struct run *run, struct strbuf *out)
{
	const struct restore *rs = restore_of(run);
	time_t at = 0;
	if (rs->dump && !strchr(rs->dump, '\n'))
		run_dump_opt(rs->dump, out);
	if (rs->backups) {
		const struct backup_list *lists[] = { &rs->backups->webroot, &rs->backups->data,
						      &rs->backups->log_dumps };
		const char *paths[] = { rs->webroot_src, rs->datadir_src, rs->log_dump };
		const struct backup_item *d = rs->dump ? restore_dump_item(rs, rs->dump) : NULL;
		for (size_t k = 0; k < 3; k++) {
			size_t i = paths[k] ? restore_list_index(lists[k], paths[k]) : lists[k]->n;
			if (i < lists[k]->n && !lists[k]->items[i].undated && lists[k]->items[i].when > at)
				at = lists[k]->items[i].when;
		}
		if (d && !d->undated && d->when > at)
			at = d->when;
	}
	if (!at)
		at = rs->at;
	if (at) {
		char name[16];
		timestamp_name(at, name);
		strbuf_addf(out, " --at %s", name);
	}
}

/* How far each step gets before its swap, for a run interrupted in it
 * ("step 4, database, was interrupted %s"; msgids, translated where
 * used). */
static const char *const interrupted_in[STEP_COUNT] = {
	[STEP_WEBROOT] = N_("while the new webroot was built in its staging tree"),
	[STEP_CONFIG] = N_("while config.php was written"),
	[STEP_DATADIR] = N_("while the new datadir was built in its staging tree"),
	[STEP_DATABASE] = N_("during the replay"),
	[STEP_MIGRATIONS] = N_("during the migrations"),
	[STEP_VERIFY] = N_("during the verification"),
};

/* A swap the interrupted run began and never closed says more than the
 * step: it stopped between two renames. */
static void restore_interrupted_at(const struct run *run, size_t step, const char *stamp,
				   struct strbuf *out)
{
	struct journal_entry *v;
	size_t n;
	struct err e = ERR_INIT;
	const char *swap = NULL;
	if (journal_pending(run_conf(run)->log_dir, &v, &n, &e) == 0) {
		for (size_t i = 0; i < n; i++)
			if (!strcmp(v[i].stamp, stamp) && v[i].kind != JOURNAL_SERVICES)
				swap = v[i].live;
		if (swap)
			strbuf_addf(out, _("during its swap of %s"), swap);
		journal_entries_free(v, n);
	}
	err_clear(&e);
	if (!swap && step < STEP_COUNT)
		strbuf_addstr(out, _(interrupted_in[step]));
}

static void *restore_create(struct run *run)
{
	struct restore *rs = xcalloc(1, sizeof *rs);
	const struct run_opts *o = run_opts(run);
	rs->run = run;
	rs->conf = run_conf(run);
	/* resuming: the interrupted run's stamp names the kept copies */
	rs->stamp = run_origin_stamp(run);
	for (size_t i = 0; i < STEP_COUNT; i++)
		if (run_step_selected(run, i))
			rs->selected |= STEP_BIT(i);
	rs->dry_run = o->dry_run;
	rs->at = o->at;
	rs->allow_bad_dump = o->allow_bad_dump;
	if (o->dump)
		rs->dump = xstrdup(o->dump);
	if (run_resumed(run))
		resume_sources(rs);
	return rs;
}

static void restore_free(void *data)
{
	restore_release(data);
	free(data);
}

static int restore_flow_prepare(struct run *run, struct report *r, struct err *e)
{
	return restore_prepare(restore_of(run), r, e);
}

static int restore_flow_preflight(struct run *run, struct report *r, struct err *e)
{
	return restore_preflight(restore_of(run), r, e);
}

static int restore_flow_slow_checks(struct run *run, struct report *r, struct err *e)
{
	return restore_slow_checks(restore_of(run), r, e);
}

static void restore_flow_checks_done(struct run *run)
{
	restore_checks_done(restore_of(run));
}

static int restore_flow_stop_services(struct run *run, struct report *r, struct err *e)
{
	return restore_stop_services(restore_of(run), r, e);
}

/* At the end of a run: start the services this run stopped and did not
 * start yet (services.start_services). */
static int restore_flow_finish(struct run *run, struct report *r)
{
	struct err e = ERR_INIT;
	int ret = 0;
	if (restore_start_services(restore_of(run), r, &e) < 0) {
		err_prefix(&e, "starting services failed");
		report_log_l10n(r, LOG_ERROR, e.lmsg, "%s", e.msg);
		ret = -1;
	}
	err_clear(&e);
	return ret;
}

static void list_one(const struct backup_list *l, const char *what, const char *chosen,
		     struct strbuf *out)
{
	strbuf_addf(out, "  %s:%s\n", _(what), l->n ? "" : _(" none"));
	for (size_t i = 0; i < l->n && i < 5; i++) {
		const struct backup_item *it = &l->items[i];
		char when[20];
		timestamp_human(it->when, when);
		strbuf_addf(out, "  %c %s  ", chosen && !strcmp(chosen, it->path) ? '*' : ' ', when);
		if (it->kind == MAGIC_DIR) {
			strbuf_addstr(out, _("  directory"));
		} else {
			struct strbuf sz = STRBUF_INIT;
			strbuf_humanise_bytes(&sz, it->size);
			strbuf_addf(out, "%11s", sz.buf);
			strbuf_release(&sz);
		}
		/* a directory is said so in the size column already */
		if (it->kind == MAGIC_DIR)
			strbuf_addf(out, "  %s\n", it->name);
		else
			strbuf_addf(out, "  %s (%s)\n", it->name, _(magic_name(it->kind)));
	}
	if (l->n > 5)
		strbuf_addf(out, _("    ... and %zu older\n"), l->n - 5);
}

/* The backups found, newest first, with time, size and kind; the chosen
 * ones marked with '*'. */
static void list_backups(const struct restore *rs, struct strbuf *out)
{
	const struct backupset *bs = rs->backups;
	strbuf_addf(out, _("Backups in %s, newest first (* = chosen):\n"), bs->root);
	list_one(&bs->webroot, N_("webroot"), rs->webroot_src, out);
	list_one(&bs->data, N_("datadir"), rs->datadir_src, out);
	list_one(&bs->dumps, N_("database dumps"), rs->dump, out);
	if (rs->conf->log_database.enabled)
		list_one(&bs->log_dumps, N_("log database dumps"), rs->log_dump, out);
}

/* The plan's head: the locks a real run takes, the backups found. */
static void restore_plan_head(const struct run *run, struct strbuf *out)
{
	const struct restore *rs = restore_of(run);
	char *lock = restore_webroot_lock_path(rs), *dblock = restore_database_lock_path(rs);
	char *loglock = restore_log_database_lock_path(rs);
	strbuf_addf(out, _("Restore plan (%s), nothing has been touched:\n"), rs->stamp);
	strbuf_addf(out, _("locks: webroot %s; database %s"), lock, dblock ? dblock : "(not known)");
	if (loglock)
		strbuf_addf(out, _("; log database %s"), loglock);
	strbuf_addstr(out, "\n\n");
	free(lock);
	free(dblock);
	free(loglock);
	if (rs->backups) {
		list_backups(rs, out);
		strbuf_addch(out, '\n');
	}
}

/* The migrations are not run (@plan: will not be) on a restored database:
 * the command that runs them, or, when the application reads another
 * database than the one restored, why none does: migrations,verify is
 * refused for it by design (biso-cli works on config.php's database). */
static void add_migrations_left(const struct run *run, const struct restore *rs, int plan,
				struct strbuf *out)
{
	/* a command to paste stands on its own line, with the instance's
	 * options: never wrapped, it works from any directory */
	if (!restore_app_db_differs(rs, NULL, NULL))
		strbuf_addf(out, plan ? _("warning: migrations will not be run; run them afterwards with:\n"
					  "  biso-recover restore --only migrations,verify%s\n")
				      : _("warning: migrations were not run; run them with:\n"
					  "  biso-recover restore --only migrations,verify%s\n"),
			    run_instance_opts(run));
	else
		strbuf_addf(out, plan ? _("warning: migrations will not be run on \"%s\": biso-cli runs "
					  "them on the database config.php names (\"%s\"); run them once the "
					  "application reads \"%s\" (its config.php names it)\n")
				      : _("warning: migrations were not run on \"%s\": biso-cli runs them on "
					  "the database config.php names (\"%s\"); run them once the "
					  "application reads \"%s\" (its config.php names it)\n"),
			    rs->dbname, rs->app_dbname, rs->dbname);
}

static void restore_plan_tail(const struct run *run, int plan, struct strbuf *out)
{
	const struct restore *rs = restore_of(run);
	enum step_state db = restore_state(rs, STEP_DATABASE);

	if (plan) {
		/* a restored dump may be older than the webroot's code */
		if ((rs->selected & STEP_BIT(STEP_DATABASE)) &&
		    !(rs->selected & STEP_BIT(STEP_MIGRATIONS)))
			add_migrations_left(run, rs, 1, out);
		return;
	}
	if (db == STEP_DONE && restore_state(rs, STEP_MIGRATIONS) != STEP_DONE)
		add_migrations_left(run, rs, 0, out);
	if (rs->found.db_warning && db != STEP_PENDING && (rs->selected & STEP_BIT(STEP_DATABASE)))
		strbuf_addf(out, _("warning: %s\n"), restore_db_warning(rs));
	/* which dump: the operator may have chosen another than the newest */
	if (rs->dump && (db == STEP_DONE || db == STEP_FAILED))
		strbuf_addf(out, _("dump: %s\n"), rs->dump);
	/* what it replaced can be put back (the wizard's summary shows it too) */
	for (size_t i = 0; i < STEP_COUNT; i++)
		if (i != STEP_CONFIG && restore_kept_of(rs, (enum step_id)i)) {
			strbuf_addf(out, _("to put back what this restore replaced, run:\n"
					   "  biso-recover rollback%s\n"), run_instance_opts(run));
			break;
		}
}

/* The title line: the short database name first, a long webroot is what
 * gets cut. */
static void restore_target_text(const struct run *run, struct strbuf *out)
{
	const struct restore *rs = restore_of(run);
	if (rs->dbname)
		strbuf_addf(out, _("  database %s"), rs->dbname);
	if (rs->webroot)
		strbuf_addf(out, _("  webroot %s"), rs->webroot);
}

void restore_finish_hint(const struct run *run, enum step_id s, struct err *e)
{
	const struct restore *rs = restore_of(run);
	if (e->hint || (restore_state(rs, STEP_DATABASE) != STEP_DONE &&
			restore_state(rs, STEP_WEBROOT) != STEP_DONE))
		return;
	/* with the run's instance options: pasted, it finishes this
	 * instance (newcomer 8.4) */
	if (s == STEP_MIGRATIONS)
		err_hint(e, "What was restored before stays in place; finish with "
			    "biso-recover restore --only migrations,verify%s.", run_instance_opts(run));
	else if (s == STEP_VERIFY)
		err_hint(e, "What was restored before stays in place; finish with "
			    "biso-recover restore --only verify%s.", run_instance_opts(run));
}

/* For a drill's guard: every place the restore writes or reads, every
 * server it connects to. */
static void restore_targets(const struct run *run, struct strbuf *out)
{
	const struct restore *rs = restore_of(run);
	const struct conf *c = rs->conf;
	const char *paths[] = { rs->webroot ? rs->webroot : c->webroot, rs->datadir, c->log_dir,
				c->keep_dir, c->backup_root, rs->config_php_src, rs->dump,
				rs->log_dump };
	for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
		if (paths[i] && *paths[i])
			strbuf_addf(out, "path %s\n", paths[i]);
	conninfo_target_server(rs->conninfo, out);
	conninfo_target_server(rs->admin_conninfo, out);
	if (c->log_database.enabled)
		conninfo_target_server(c->log_database.conninfo ? c->log_database.conninfo : rs->conninfo, out);
}

const struct flow_def restore_flow = {
	.name = "restore",
	.title = N_("Restore"),
	.steps = restore_steps,
	.n_steps = STEP_COUNT,
	.create = restore_create,
	.release = restore_free,
	.prepare = restore_flow_prepare,
	.preflight = restore_flow_preflight,
	.slow_checks = restore_flow_slow_checks,
	.slow_checks_what = N_("the dump check"),
	.slow_checks_done = restore_flow_checks_done,
	.stop_services = restore_flow_stop_services,
	.finish = restore_flow_finish,
	.plan_head = restore_plan_head,
	.plan_tail = restore_plan_tail,
	.target_text = restore_target_text,
	.targets = restore_targets,
	.journal_plan = restore_journal_plan,
	.source_opts = restore_source_opts,
	.interrupted_at = restore_interrupted_at,
	.undo = "rollback",
};

/* ---- the restore's own functions (restore.h) ---- */

int restore_instance_prepare(struct run *run, struct report *r, struct err *e)
{
	return restore_prepare_instance(restore_of(run), r, e);
}

const char *restore_instance_webroot(const struct run *run)
{
	return restore_of(run)->webroot;
}

void restore_instance_kept(const struct run *run, struct restore_kept *k)
{
	restore_kept_where(restore_of(run), k);
}

int restore_instance_lock(struct run *run, struct err *e)
{
	struct restore *rs = restore_of(run);
	/* no step runs: the run lock only, as restore_instance_prepare()
	 * selects none */
	rs->selected = 0;
	return restore_lock(rs, e);
}

int restore_dump_check(struct run *run, struct report *r, struct err *e)
{
	return restore_check_plan_dump(restore_of(run), r, e);
}
