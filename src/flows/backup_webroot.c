/* backup_webroot: the webroot without the datadir, as a dated snapshot,
 * after maintenance mode is off again; see backup.h. */
#include "config.h"
#include "i18n.h"
#include "backup_int.h"
#include "strbuf.h"

static void webroot_describe(const struct run *run, struct strbuf *out)
{
	const struct backup *b = backup_of(run);
	strbuf_addf(out, _("source: %s\ntarget: %s\n"), b->webroot, b->web.final);
	if (b->prev_webroot)
		strbuf_addf(out, _("unchanged files: hard links to %s\n"), b->prev_webroot);
}

static void webroot_manual(const struct run *run, struct strbuf *out)
{
	const struct backup *b = backup_of(run);
	backup_copy_cmd(b, &b->web, b->webroot, b->prev_webroot,
			(const char *const *)b->webroot_excludes, out);
}

static int webroot_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct backup *b = backup_of(run);
	return backup_copy_tree(b, &b->web, b->webroot, b->prev_webroot,
				(const char *const *)b->webroot_excludes, out, r, e);
}

const struct step_def backup_step_webroot = {
	.name = "webroot",
	.title = N_("Copy the webroot"),
	.explain = N_("Copies the webroot (code, config.php, biso-cli) without the datadir into a "
		"dated snapshot directory. It only changes with updates, so it is copied after "
		"maintenance mode is off: the instance is unavailable for a shorter time."),
	.flags = STEP_F_FILES,
	.describe = webroot_describe,
	.manual = webroot_manual,
	.run = webroot_run,
};
