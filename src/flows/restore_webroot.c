/* restore_webroot: the restore's first step, the webroot from its backup;
 * see restore.h. */
#include "config.h"
#include "i18n.h"
#include "restore.h"
#include "restore_int.h"
#include "backupset.h"
#include "conf.h"
#include "fsrestore.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

static void webroot_describe(const struct run *run, struct strbuf *out)
{
	const struct restore *rs = restore_of(run);
	strbuf_addf(out, _("source: %s (%s)\ntarget: %s\n"), orq(rs->webroot_src),
		    _(magic_name(rs->webroot_src_kind)), rs->webroot);
}

static int webroot_destructive(const struct run *run, struct strbuf *what)
{
	const struct restore *rs = restore_of(run);
	if (!path_exists(rs->webroot))
		return 0;
	if (what)
		strbuf_addf(what, _("replaces %s (kept as %s.pre-restore-%s)"), rs->webroot,
			    rs->webroot, rs->stamp);
	return 1;
}

static void webroot_manual(const struct run *run, struct strbuf *out)
{
	const struct restore *rs = restore_of(run);
	char *kept = xstrfmt("%s.pre-restore-%s", rs->webroot, rs->stamp);
	char *src = NULL;
	restore_add_cmd(out, 0, "mv", rs->webroot, kept, NULL);
	if (rs->webroot_src_kind == MAGIC_DIR) {
		static const char *const opts[] = { "--exclude", "/data", NULL };
		restore_add_rsync(out, rs, "webroot", opts, orq(rs->webroot_src), rs->webroot);
	} else {
		restore_add_cmd(out, 0, "mkdir", rs->webroot, NULL);
		restore_add_cmd(out, 0, "bsdtar", "-xpf", orq(rs->webroot_src), "-C", rs->webroot,
				NULL);
	}
	if (inside(rs->datadir, rs->webroot)) {
		free(src);
		src = xstrfmt("%s/%s", kept, inside(rs->datadir, rs->webroot));
		restore_add_cmd(out, 0, "mv", src, rs->datadir, NULL);
	}
	free(src);
	free(kept);
}

static int webroot_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct restore *rs = restore_of(run);
	const struct conf *c = rs->conf;
	struct fsrestore_opts o = { 0 };
	struct fsrestore_result res = { 0 };
	const char *rel = inside(rs->datadir, rs->webroot);
	char **ex;
	int ret;

	o.source = rs->webroot_src;
	o.target = rs->webroot;
	o.excludes = (const char *const *)c->webroot_excludes;
	o.name = "webroot";
	o.mode = FSRESTORE_REPLACE;
	o.stamp = rs->stamp;
	/* The webroot backup leaves data/ out: never take the live datadir away
	 * with the old webroot.  It is carried over even when the datadir step
	 * follows, so that a failed or skipped datadir step never leaves the
	 * live webroot without one. */
	if (rel)
		o.carry = rel;
	/* a left-over staging tree holding the live datadir and a webroot
	 * backup without biso-cli were refused by the preflight */
	out->source = rs->webroot_src ? xstrdup(rs->webroot_src) : NULL;
	if (restore_resumed_swap(rs, rs->webroot, NULL, out, r))
		return 0;
	ex = restore_source_excludes(rs, rs->webroot_src, "webroot", c->webroot_excludes);
	o.excludes = (const char *const *)ex;
	ret = restore_journaled_fsrestore(rs, &o, r, &res, e);
	backupset_excludes_free(ex);
	if (ret == 0) {
		if (rs->webroot_src_kind != MAGIC_DIR)
			fsrestore_fix_root_mode(rs->webroot, res.kept_as, r);
		restore_files_summary(out, &res);
	}
	fsrestore_result_release(&res);
	return ret;
}

const struct step_def restore_step_webroot = {
	.name = "webroot",
	.title = N_("Restore the webroot"),
	.explain = N_("Copies the PHP code, templates, migrations and biso-cli from the webroot "
		"backup into a staging directory next to the live webroot, then swaps it in "
		"with one rename (the old one is kept, see below). It comes first because "
		"config.php, the datadir location and biso-cli all live in it."),
	.flags = STEP_F_STOPS_SERVICES | STEP_F_FILES | STEP_F_WAITS_CHECKS,
	.describe = webroot_describe,
	.destructive = webroot_destructive,
	.manual = webroot_manual,
	.run = webroot_run,
};
