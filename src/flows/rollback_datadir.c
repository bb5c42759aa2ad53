/* rollback_datadir: put back the datadir a run replaced; see rollback.h. */
#include "config.h"
#include "i18n.h"
#include "rollback_int.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Where the current datadir is kept: beside the kept one (the same
 * filesystem, which the exchange needs), as the restore names it:
 * <dir>/<webroot name>.<rel with '/' as '-'>.pre-rollback-<stamp> for a
 * datadir inside the webroot, else <datadir>.pre-rollback-<stamp>. */
static char *datadir_keep(const struct rollback *rb)
{
	const struct restore *rs = &rb->rs;
	const char *rel = inside(rs->datadir, rs->webroot), *name = strrchr(rs->webroot, '/');
	char *dir, *flat, *path;
	if (!rel || !rb->kept[RB_DATADIR])
		return rollback_keep_name(rb, rs->datadir);
	dir = xstrdup(rb->kept[RB_DATADIR]);
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	flat = xstrdup(rel);
	for (char *p = flat; *p; p++)
		if (*p == '/')
			*p = '-';
	path = xstrfmt("%s/%s.%s.pre-rollback-%s", dir, name ? name + 1 : rs->webroot, flat,
		       rs->stamp);
	free(flat);
	free(dir);
	return path;
}

static void datadir_describe(const struct run *run, struct strbuf *out)
{
	const struct rollback *rb = rollback_of(run);
	strbuf_addf(out, _("source: %s (kept by the %s of %s)\ntarget: %s\n"),
		    orq(rb->kept[RB_DATADIR]), orq(rb->flow), orq(rb->kept_of[RB_DATADIR]), orq(rb->rs.datadir));
}

/* The datadir kept inside the kept webroot came back with it. */
static int with_webroot(const struct run *run)
{
	const struct rollback *rb = rollback_of(run);
	return rb->kept_inside && run_step_selected(run, RB_WEBROOT) &&
	       run_step_state(run, RB_WEBROOT) != STEP_SKIPPED;
}

static int datadir_destructive(const struct run *run, struct strbuf *what)
{
	const struct rollback *rb = rollback_of(run);
	char *keep;
	if (with_webroot(run) || !rb->rs.datadir || !path_exists(rb->rs.datadir))
		return 0;
	keep = datadir_keep(rb);
	if (what)
		strbuf_addf(what, _("replaces %s with %s (the current one kept as %s)"), rb->rs.datadir,
			    orq(rb->kept[RB_DATADIR]), keep);
	free(keep);
	return 1;
}

static const char *datadir_skip(const struct run *run)
{
	const struct rollback *rb = rollback_of(run);
	if (!rb->kept[RB_DATADIR])
		return N_("that run did not replace the datadir");
	if (with_webroot(run))
		return N_("it came back with the webroot");
	return NULL;
}

static int datadir_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct rollback *rb = rollback_of(run);
	const char *datadir = rb->rs.datadir, *back = rb->kept[RB_DATADIR];
	char *keep;
	if (!datadir)
		return err_set(e, "no datadir known"),
		       err_hint(e, "Give --datadir DIR."), -1;
	keep = datadir_keep(rb);
	/* the restore kept the old datadir for root only: it goes back live
	 * with the owner and mode of the one it replaces */
	rollback_copy_mode(back, datadir, r);
	if (rollback_swap_tree(rb, datadir, back, keep, NULL, "datadir", out, r, e) < 0)
		return -1;
	(void)chmod(out->kept_as, 0700); /* personal data: the kept copy for root only */
	return 0;
}

const struct step_def rollback_step_datadir = {
	.name = "datadir",
	.title = N_("Put back the datadir"),
	.explain = N_("Swaps the datadir the run replaced back in (unless it came back with the "
		"webroot); the current one is kept beside it, for root only."),
	.flags = STEP_F_STOPS_SERVICES | STEP_F_FILES,
	.describe = datadir_describe,
	.destructive = datadir_destructive,
	.skip = datadir_skip,
	.run = datadir_run,
};
