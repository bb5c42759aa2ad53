/* refresh_maintenance: the refresh's first step, the test instance in
 * maintenance mode until the refresh ends (its cleanup switches it off on
 * every exit path but one: a failed anonymization check); see refresh.h. */
#include "config.h"
#include "i18n.h"
#include "refresh_int.h"
#include "bisocli.h"
#include "conf.h"
#include "maintenance.h"
#include "runcmd.h"
#include "strbuf.h"

#include <stdlib.h>

static void maintenance_describe(const struct run *run, struct strbuf *out)
{
	const struct refresh *rf = refresh_of(run);
	const char **argv = bisocli_argv(rf->conf, (const char *const[]){ "maintenance", "on", NULL });
	strbuf_addstr(out, _("run:    "));
	runcmd_format_argv(argv, out);
	strbuf_addf(out, _("\nin:     %s (off again when the refresh ends)\n"), rf->webroot);
	free(argv);
}

static int maintenance_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct refresh *rf = refresh_of(run);
	/* counted as on from here: the cleanup switches it off even after a
	 * biso-cli that failed half way */
	rf->maintenance_on = 1;
	if (maintenance_set(rf->conf, rf->webroot, 1, rf->stamp, r, e) < 0)
		return -1;
	step_out_summaryf(out, "maintenance mode on");
	return 0;
}

static void maintenance_cleanup(struct run *run, struct report *r)
{
	struct refresh *rf = refresh_of(run);
	struct err e = ERR_INIT;
	if (!rf->maintenance_on)
		return;
	if (rf->keep_maintenance) {
		/* no later command may switch it off through the marker */
		maintenance_leave_on(rf->conf);
		report_log(r, LOG_WARN, "maintenance mode stays ON on purpose: the anonymization "
			   "check found production data in the test system; switch it off (biso-cli "
			   "maintenance off in %s) only once the data is anonymized", rf->webroot);
		return;
	}
	if (maintenance_set(rf->conf, rf->webroot, 0, rf->stamp, r, &e) < 0)
		report_log(r, LOG_ERROR, "cannot switch maintenance mode off: %s; %s", e.msg,
			   e.hint ? e.hint : "");
	else {
		rf->maintenance_on = 0;
		rf->maintenance_off = 1;
	}
	err_clear(&e);
}

const struct step_def refresh_step_maintenance = {
	.name = "maintenance",
	.title = N_("Maintenance mode on"),
	.explain = N_("Switches the test instance into maintenance mode (biso-cli maintenance on) so "
		"that nobody works on it while its data is replaced. It is switched off when the "
		"refresh ends, however it ends, except after a failed anonymization check."),
	.flags = STEP_F_FILES,
	.describe = maintenance_describe,
	.run = maintenance_run,
	.cleanup = maintenance_cleanup,
};
