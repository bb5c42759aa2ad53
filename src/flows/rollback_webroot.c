/* rollback_webroot: put back the webroot a run replaced; see rollback.h. */
#include "config.h"
#include "i18n.h"
#include "rollback_int.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

static void webroot_describe(const struct run *run, struct strbuf *out)
{
	const struct rollback *rb = rollback_of(run);
	strbuf_addf(out, _("source: %s (kept by the %s of %s)\ntarget: %s\n"),
		    orq(rb->kept[RB_WEBROOT]), orq(rb->flow), orq(rb->kept_of[RB_WEBROOT]), rb->rs.webroot);
	if (rb->kept_inside)
		strbuf_addf(out, _("with it: the datadir kept in it (%s)\n"), rb->kept[RB_DATADIR]);
}

static int webroot_destructive(const struct run *run, struct strbuf *what)
{
	const struct rollback *rb = rollback_of(run);
	char *keep;
	if (!path_exists(rb->rs.webroot))
		return 0;
	keep = rollback_keep_name(rb, rb->rs.webroot);
	if (what)
		strbuf_addf(what, _("replaces %s with %s (the current one kept as %s)"), rb->rs.webroot,
			    orq(rb->kept[RB_WEBROOT]), keep);
	free(keep);
	return 1;
}

static const char *webroot_skip(const struct run *run)
{
	const struct rollback *rb = rollback_of(run);
	return rb->kept[RB_WEBROOT] ? NULL : N_("that run did not replace the webroot");
}

static int webroot_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct rollback *rb = rollback_of(run);
	const char *webroot = rb->rs.webroot, *back = rb->kept[RB_WEBROOT];
	const char *rel = inside(rb->rs.datadir, webroot), *carry = NULL;
	char *keep = rollback_keep_name(rb, webroot);

	if (rel) {
		char *in_back = xstrfmt("%s/%s", back, rel), *in_live = xstrfmt("%s/%s", webroot, rel);
		if (path_exists(in_back)) {
			/* the old datadir, kept in the old webroot by the restore
			 * (for root only): it comes back with the live one's mode */
			rollback_copy_mode(in_back, in_live, r);
		} else if (path_exists(in_live)) {
			/* that run did not replace the datadir: the live one stays */
			carry = rel;
		}
		free(in_back);
		free(in_live);
	}
	if (rollback_swap_tree(rb, webroot, back, keep, carry, "webroot", out, r, e) < 0)
		return -1;
	if (rel && !carry) {
		/* the datadir now kept with the webroot: for root only */
		char *k = xstrfmt("%s/%s", out->kept_as, rel);
		if (path_exists(k))
			(void)chmod(k, 0700);
		free(k);
	}
	return 0;
}

const struct step_def rollback_step_webroot = {
	.name = "webroot",
	.title = N_("Put back the webroot"),
	.explain = N_("Swaps the webroot the run replaced back in with one exchange of names; "
		"the current webroot is kept as <webroot>.pre-rollback-<time>. A datadir "
		"that run kept inside the old webroot comes back with it."),
	.flags = STEP_F_STOPS_SERVICES | STEP_F_FILES,
	.describe = webroot_describe,
	.destructive = webroot_destructive,
	.skip = webroot_skip,
	.run = webroot_run,
};
