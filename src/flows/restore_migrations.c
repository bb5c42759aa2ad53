/* restore_migrations: the restore's fifth step, biso-cli migration exec,
 * the scheduler and queue runner checked and the services started again;
 * see restore.h. */
#include "config.h"
#include "i18n.h"
#include "restore.h"
#include "restore_int.h"
#include "bisocli.h"
#include "conf.h"
#include "runcmd.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void migrations_describe(const struct run *run, struct strbuf *out)
{
	const struct restore *rs = restore_of(run);
	const char **argv = bisocli_argv(rs->conf, (const char *const[]){ "migration", "exec", NULL });
	strbuf_addstr(out, _("run:    "));
	runcmd_format_argv(argv, out);
	strbuf_addf(out, _("\nin:     %s\n"), rs->webroot);
	free(argv);
}

static void migrations_manual(const struct run *run, struct strbuf *out)
{
	restore_add_bisocli_cmd(out, restore_of(run),
				(const char *const[]){ "migration", "exec", NULL });
}

static int migrations_do(struct run *run, struct step_out *out, struct report *r, struct err *e);

static int migrations_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	if (migrations_do(run, out, r, e) == 0)
		return 0;
	restore_finish_hint(run, STEP_MIGRATIONS, e);
	return -1;
}

static int migrations_do(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct restore *rs = restore_of(run);
	const struct conf *c = rs->conf;
	unsigned restarted = 0;

	if (bisocli_run(c, rs->webroot, (const char *const[]){ "migration", "exec", NULL }, NULL, r,
			e) < 0)
		return -1;
	if (nonempty(c->services.scheduler_cron)) {
		FILE *fp = fopen(c->services.scheduler_cron, "r");
		char line[4096];
		int found = 0;
		if (fp) {
			while (fgets(line, sizeof line, fp))
				if (line[0] != '#' && strstr(line, "biso-cli"))
					found = 1;
			fclose(fp);
		}
		if (found)
			report_log(r, LOG_INFO, "scheduler: %s has a biso-cli entry", c->services.scheduler_cron);
		else
			report_log(r, LOG_WARN, "scheduler: %s %s", c->services.scheduler_cron,
				   fp ? "has no biso-cli entry" : "does not exist");
	} else {
		report_log(r, LOG_INFO, "scheduler: not checked (services.scheduler_cron is not set)");
	}
	if (c->services.queue_runner_check && c->services.queue_runner_check[0]) {
		struct err qe = ERR_INIT;
		if (runcmd_logged((const char *const *)c->services.queue_runner_check, NULL, NULL, r, &qe) < 0) {
			err_prefix(&qe, "queue runner check");
			report_log_l10n(r, LOG_WARN, qe.lmsg, "%s", qe.msg);
		} else {
			report_log(r, LOG_INFO, "queue runner: running");
		}
		err_clear(&qe);
	} else {
		report_log(r, LOG_INFO, "queue runner: not checked (services.queue_runner_check is not set)");
	}
	if (restore_start_services(rs, r, e) < 0)
		return -1;
	for (char ***w = c->services.restart_workers; w && *w; w++) {
		if (runcmd_logged((const char *const *)*w, NULL, NULL, r, e) < 0)
			return -1;
		restarted++;
	}
	if (restarted == 1)
		step_out_summaryf(out, "migrations applied, 1 worker command run");
	else
		step_out_summaryf(out, "migrations applied, %u worker commands run", restarted);
	return 0;
}

const struct step_def restore_step_migrations = {
	.name = "migrations",
	.title = N_("Run migrations, restart services"),
	.explain = N_("Runs php biso-cli migration exec in the webroot so that the restored "
		"database matches the restored code, then checks the scheduler and the "
		"queue runner and restarts the workers. It needs the database and the code "
		"in place, so it comes after both."),
	.flags = STEP_F_FILES | STEP_F_DATABASE,
	.failed_note = N_("The restored files and database are in place; the migration's output "
		"is in the log."),
	.describe = migrations_describe,
	.manual = migrations_manual,
	.run = migrations_run,
};
