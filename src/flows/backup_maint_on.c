/* backup_maint_on: the backup's first step, maintenance mode on, and its
 * cleanup, which switches it off again on every exit path; see backup.h. */
#include "config.h"
#include "i18n.h"
#include "backup_int.h"
#include "strbuf.h"

#include <string.h>

static void maint_on_describe(const struct run *run, struct strbuf *out)
{
	const struct backup *b = backup_of(run);
	strbuf_addf(out, _("webroot: %s\n"), b->webroot);
}

static void maint_on_manual(const struct run *run, struct strbuf *out)
{
	backup_maint_cmd(backup_of(run), 1, out);
}

static int maint_on_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	if (backup_maintenance(backup_of(run), 1, r, e) < 0)
		return -1;
	step_out_summaryf(out, "maintenance mode is on");
	return 0;
}

/* Whatever ended the run (a failed step, Ctrl-C, SIGTERM, a hangup),
 * maintenance mode goes off before the process does. */
static void maint_on_cleanup(struct run *run, struct report *r)
{
	struct backup *b = backup_of(run);
	struct report q;
	struct err e = ERR_INIT;
	if (!b->maint_on)
		return;
	/* the run may end because it was cancelled: biso-cli must still run */
	q = *r;
	q.cancelled = NULL;
	report_log(&q, LOG_INFO, "switching maintenance mode off again");
	b->maint_cleanup = 1;
	if (backup_maintenance(b, 0, &q, &e) < 0) {
		struct strbuf sb = STRBUF_INIT;
		b->maint_cleanup = -1;
		err_format(&e, &sb);
		report_log(&q, LOG_ERROR, "%s", sb.buf);
		strbuf_release(&sb);
		err_clear(&e);
	}
}

const struct step_def backup_step_maint_on = {
	.name = "maintenance-on",
	.title = N_("Switch maintenance mode on"),
	.explain = N_("Runs biso-cli maintenance on, so that nobody changes the database or the "
		"datadir while they are copied: the dump and the datadir then belong together. "
		"It is switched off again right after the datadir, and on every way out."),
	.flags = STEP_F_FILES,
	.describe = maint_on_describe,
	.manual = maint_on_manual,
	.run = maint_on_run,
	.cleanup = maint_on_cleanup,
};
