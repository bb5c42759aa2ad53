/* backup_maint_off: maintenance mode off once the dump and the datadir are
 * copied; see backup.h. */
#include "config.h"
#include "i18n.h"
#include "backup_int.h"
#include "strbuf.h"

static void maint_off_describe(const struct run *run, struct strbuf *out)
{
	const struct backup *b = backup_of(run);
	strbuf_addf(out, _("webroot: %s\n"), b->webroot);
}

static void maint_off_manual(const struct run *run, struct strbuf *out)
{
	backup_maint_cmd(backup_of(run), 0, out);
}

static int maint_off_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct backup *b = backup_of(run);
	(void)out; /* how long it was on: the summary's footer (backup_summary()) says it once */
	if (backup_maintenance(b, 0, r, e) < 0)
		return -1;
	return 0;
}

const struct step_def backup_step_maint_off = {
	.name = "maintenance-off",
	.title = N_("Switch maintenance mode off"),
	.explain = N_("Runs biso-cli maintenance off as soon as the dump and the datadir are "
		"copied: the webroot only changes with updates and is copied afterwards, so "
		"the instance is back for its users as early as possible."),
	.flags = STEP_F_FILES,
	.describe = maint_off_describe,
	.manual = maint_off_manual,
	.run = maint_off_run,
};
