/* refresh_flow: the refresh as a flow of five steps (flow.h): its table
 * and the hooks around the steps; see refresh.h. */
#include "config.h"
#include "i18n.h"
#include "refresh.h"
#include "refresh_int.h"
#include "conf.h"
#include "fsrestore.h"
#include "conninfo.h"
#include "maintenance.h"
#include "strbuf.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct step_def *const refresh_steps[RF_COUNT] = {
	[RF_MAINTENANCE] = &refresh_step_maintenance,
	[RF_FETCH] = &refresh_step_fetch,
	[RF_DATABASE] = &refresh_step_database,
	[RF_DATADIR] = &refresh_step_datadir,
	[RF_ANONYMIZE] = &refresh_step_anonymize,
	[RF_CHECK] = &refresh_step_check,
};

static void *refresh_create(struct run *run)
{
	struct refresh *rf = xcalloc(1, sizeof *rf);
	const struct run_opts *o = run_opts(run);
	rf->run = run;
	rf->conf = run_conf(run);
	rf->stamp = run_stamp(run);
	rf->dry_run = o->dry_run;
	rf->at = o->at;
	rf->webroot_lock_fd = rf->db_lock_fd = -1;
	if (o->dump)
		rf->dump = xstrdup(o->dump);
	return rf;
}

static void refresh_free(void *data)
{
	refresh_unlock(data);
	refresh_release(data);
	free(data);
}

static int refresh_flow_prepare(struct run *run, struct report *r, struct err *e)
{
	struct refresh *rf = refresh_of(run);
	/* the stamp is final now (run_restamp() comes before) */
	rf->stamp = run_stamp(run);
	free(rf->report_path);
	rf->report_path = xstrfmt("%s/refresh-%s.txt", rf->conf->log_dir, rf->stamp);
	return refresh_prepare(rf, r, e);
}

static int refresh_flow_preflight(struct run *run, struct report *r, struct err *e)
{
	return refresh_preflight(refresh_of(run), r, e);
}

static int refresh_stop_services(struct run *run, struct report *r, struct err *e)
{
	struct refresh *rf = refresh_of(run);
	if (rf->services_stopped || !maintenance_has_lists(rf->conf->services.stop_services))
		return 0;
	rf->services_stopped = 1; /* counted as stopped even if a command failed */
	report_log(r, LOG_INFO, "stopping the test instance's services");
	if (maintenance_run_lists(rf->conf->services.stop_services, r, e) < 0) {
		err_prefix(e, "cannot stop services");
		return -1;
	}
	return 0;
}

/* The report file: what was carried, the attachments policy, the
 * anonymization check's figures (0600, in log_dir). */
static void write_report(struct refresh *rf, struct report *r)
{
	struct strbuf sb = STRBUF_INIT;
	const char *path = rf->report_path;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	strbuf_addf(&sb, "biso-recover refresh %s\ntarget: %s (database \"%s\", datadir %s)\n"
		    "source: dump %s, datadir %s\nattachments: %s\n", rf->stamp, rf->webroot,
		    rf_orq(rf->dbname), rf_orq(rf->datadir), rf_orq(rf->dump),
		    rf_orq(rf->datadir_src), refresh_attachments_name(rf->attachments));
	if (rf->attachments == RF_ATT_PLACEHOLDER)
		strbuf_addf(&sb, "placeholders: %llu\n", (unsigned long long)rf->placeholders);
	for (char **t = rf->conf->refresh.keep_tables; *t; t++)
		strbuf_addf(&sb, "kept from the test system: %s\n", *t);
	strbuf_addf(&sb, "anonymizer: %s\n", rf->anonymized ? "ran, exit 0" : "not run");
	strbuf_addf(&sb, "anonymization check:\n%s", rf->check_text ? rf->check_text : "  not run\n");
	strbuf_addf(&sb, "maintenance mode: %s\n", rf->keep_maintenance ? "left ON (check failed)"
		    : rf->maintenance_on ? "still on (could not switch off)" : "off");
	if (fd < 0 || write(fd, sb.buf, sb.len) != (ssize_t)sb.len)
		report_log(r, LOG_WARN, "cannot write the report %s", path);
	else
		report_log(r, LOG_INFO, "report: %s", path);
	if (fd >= 0)
		close(fd);
	strbuf_release(&sb);
}

/* Every exit path: the services started again (the steps' cleanups, run
 * before this, switched maintenance off), the report written. */
static int refresh_finish(struct run *run, struct report *r)
{
	struct refresh *rf = refresh_of(run);
	struct err e = ERR_INIT;
	int ret = 0;
	if (rf->services_stopped && !rf->services_started) {
		rf->services_started = 1;
		report_log(r, LOG_INFO, "starting the test instance's services");
		if (maintenance_run_lists(rf->conf->services.start_services, r, &e) < 0) {
			err_prefix(&e, "starting services failed");
			report_log_l10n(r, LOG_ERROR, e.lmsg, "%s", e.msg);
			ret = -1;
		}
	}
	err_clear(&e);
	/* production's data does not stay on the test host */
	if (rf->fetched) {
		if (fsrestore_rmtree(rf->fetched, &e) < 0) {
			report_log(r, LOG_ERROR, "cannot delete the fetched production dump %s: %s; "
				   "delete it by hand", rf->fetched, e.msg);
			ret = -1;
		} else {
			report_log(r, LOG_INFO, "deleted the fetched production dump (%s)", rf->fetched);
		}
		err_clear(&e);
	}
	if (!rf->dry_run)
		write_report(rf, r);
	return ret;
}

static void refresh_plan_head(const struct run *run, struct strbuf *out)
{
	const struct refresh *rf = refresh_of(run);
	strbuf_addf(out, _("Refresh plan (%s), nothing has been touched:\n"), rf->stamp);
	strbuf_addf(out, _("target: %s, env %s, database \"%s\", datadir %s\n"), rf_orq(rf->webroot),
		    rf_orq(rf->env), rf_orq(rf->dbname), rf_orq(rf->datadir));
	strbuf_addf(out, _("source: %s\nattachments: %s\n\n"), rf_orq(rf->source),
		    refresh_attachments_name(rf->attachments));
}

static void refresh_plan_tail(const struct run *run, int plan, struct strbuf *out)
{
	const struct refresh *rf = refresh_of(run);
	if (plan)
		return;
	if (rf->check_text)
		strbuf_addf(out, _("anonymization check:\n%s"),
			    i18n_is_english() || !rf->check_text_l10n ? rf->check_text : rf->check_text_l10n);
	if (rf->keep_maintenance)
		strbuf_addstr(out, _("MAINTENANCE MODE STAYS ON: the test system still holds "
			      "production's personal data\n"));
	else if (rf->maintenance_off)
		strbuf_addstr(out, _("maintenance mode: off again\n"));
	else if (rf->maintenance_on)
		strbuf_addstr(out, _("maintenance mode: STILL ON (it could not be switched off; "
				     "the log says why)\n"));
	if (rf->report_path && !rf->dry_run)
		strbuf_addf(out, _("report: %s (written when the refresh ends)\n"), rf->report_path);
}

static void refresh_target_text(const struct run *run, struct strbuf *out)
{
	const struct refresh *rf = refresh_of(run);
	if (rf->dbname)
		strbuf_addf(out, _("  database %s"), rf->dbname);
	if (rf->webroot)
		strbuf_addf(out, _("  webroot %s"), rf->webroot);
}

/* For a drill's guard: every place the refresh writes or reads, every
 * server it connects to (production's too, for the identity check). */
static void refresh_targets(const struct run *run, struct strbuf *out)
{
	const struct refresh *rf = refresh_of(run);
	const struct conf *c = rf->conf;
	const char *paths[] = { rf->webroot, rf->config_php, rf->datadir, c->log_dir, rf->source,
				rf->dump, rf->datadir_src, c->refresh.production_config };
	for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
		if (paths[i] && *paths[i])
			strbuf_addf(out, "path %s\n", paths[i]);
	conninfo_target_server(rf->conninfo, out);
	conninfo_target_server(rf->admin_conninfo, out);
	conninfo_target_server(c->refresh.production_conninfo, out);
}

const struct flow_def refresh_flow = {
	.name = "refresh",
	.whole = 1,
	.title = N_("Test system refresh"),
	.steps = refresh_steps,
	.n_steps = RF_COUNT,
	.create = refresh_create,
	.release = refresh_free,
	.prepare = refresh_flow_prepare,
	.preflight = refresh_flow_preflight,
	.stop_services = refresh_stop_services,
	.finish = refresh_finish,
	.plan_head = refresh_plan_head,
	.plan_tail = refresh_plan_tail,
	.target_text = refresh_target_text,
	.targets = refresh_targets,
};
