/* backup_datadir: the datadir as a dated snapshot, while maintenance mode
 * is on; see backup.h. */
#include "config.h"
#include "i18n.h"
#include "backup_int.h"
#include "conf.h"
#include "fault.h"
#include "strbuf.h"

static void datadir_describe(const struct run *run, struct strbuf *out)
{
	const struct backup *b = backup_of(run);
	strbuf_addf(out, _("source: %s\ntarget: %s\n"), b->datadir, b->data.final);
	if (b->prev_data)
		strbuf_addf(out, _("unchanged files: hard links to %s\n"), b->prev_data);
}

static void datadir_manual(const struct run *run, struct strbuf *out)
{
	const struct backup *b = backup_of(run);
	backup_copy_cmd(b, &b->data, b->datadir, b->prev_data,
			(const char *const *)b->conf->datadir_excludes, out);
}

static int datadir_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct backup *b = backup_of(run);
	fault_point("backup.datadir.start");
	return backup_copy_tree(b, &b->data, b->datadir, b->prev_data,
				(const char *const *)b->conf->datadir_excludes, out, r, e);
}

const struct step_def backup_step_datadir = {
	.name = "datadir",
	.title = N_("Copy the datadir"),
	.explain = N_("Copies the datadir without tmp/, *.log and maintenance.on (the manual's "
		"excludes) into a dated snapshot directory; files unchanged since the last "
		"snapshot become hard links to it, so a nightly backup costs little. It runs "
		"while maintenance mode is on, so it matches the dump."),
	.flags = STEP_F_FILES,
	.describe = datadir_describe,
	.manual = datadir_manual,
	.run = datadir_run,
};
