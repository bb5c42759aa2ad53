/* restore_datadir: the restore's third step, the datadir from its backup,
 * given to the web user; see restore.h. */
#include "config.h"
#include "i18n.h"
#include "restore.h"
#include "restore_int.h"
#include "backupset.h"
#include "conf.h"
#include "fsrestore.h"
#include "keptcopies.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The directory for the staging and kept copies of a datadir inside the
 * webroot (keptcopies_keep_base(), which cleanup asks too); @why (may be
 * NULL) says why keep_dir is not used.  malloc'd. */
static char *keep_base(const struct restore *rs, const char **why)
{
	return keptcopies_keep_base(rs->conf->keep_dir, rs->webroot, rs->datadir, why);
}

/* <base>/<webroot's name>.<rel with '/' as '-'>.<suffix> */
static char *beside_name(const struct restore *rs, const char *base, const char *suffix)
{
	const char *rel = inside(rs->datadir, rs->webroot), *name = strrchr(rs->webroot, '/');
	char *flat = xstrdup(rel), *path;
	for (char *p = flat; *p; p++)
		if (*p == '/')
			*p = '-';
	path = xstrfmt("%s/%s.%s.%s", strcmp(base, "/") ? base : "", name ? name + 1 : rs->webroot,
		       flat, suffix);
	free(flat);
	return path;
}

/* Where the old datadir goes when it lives inside the webroot: beside the
 * old webroot's other files when that is kept in this run (and has no such
 * folder), else <keep_base>/<webroot name>.<rel>.pre-restore-<stamp>
 * (keep_base(): keep_dir or beside the webroot).  Before the webroot step
 * ran (the plan, a dry run) it is where that step will keep the old
 * webroot: the live datadir is carried into the new webroot, so the old
 * webroot holds no such folder then.  NULL when the datadir is not inside
 * the webroot.  malloc'd. */
static char *kept_datadir_dest(const struct restore *rs)
{
	const char *rel = inside(rs->datadir, rs->webroot);
	char *dest = NULL, *base, *suffix;
	if (!rel)
		return NULL;
	if (restore_kept_of(rs, STEP_WEBROOT)) {
		dest = xstrfmt("%s/%s", restore_kept_of(rs, STEP_WEBROOT), rel);
		if (!path_exists(dest))
			return dest;
		free(dest);
	} else if ((rs->selected & STEP_BIT(STEP_WEBROOT)) &&
		   restore_state(rs, STEP_WEBROOT) == STEP_PENDING && path_exists(rs->webroot)) {
		return xstrfmt("%s.pre-restore-%s/%s", rs->webroot, rs->stamp, rel);
	}
	base = keep_base(rs, NULL);
	suffix = xstrfmt("pre-restore-%s", rs->stamp);
	dest = beside_name(rs, base, suffix);
	free(suffix);
	free(base);
	return dest;
}

/* Where the datadir step builds the new datadir: beside the webroot (or in
 * keep_dir) when the datadir lives inside the webroot, so that personal
 * data never sits where the web server serves; it must be on the
 * datadir's filesystem for the swap, else <datadir>.restoring, with a
 * warning through @r.  malloc'd. */
static char *datadir_staging(const struct restore *rs, struct report *r)
{
	const char *why = NULL;
	char *base, *path;
	struct stat a, b;
	if (!inside(rs->datadir, rs->webroot))
		return xstrfmt("%s.restoring", rs->datadir);
	base = keep_base(rs, &why);
	if (why)
		report_log(r, LOG_WARN, "keep_dir %s is not used: %s; the datadir's copies go to %s",
			   rs->conf->keep_dir, why, base);
	if (stat(base, &a) == 0 && path_exists(rs->datadir) && stat(rs->datadir, &b) == 0 &&
	    a.st_dev != b.st_dev) {
		report_log(r, LOG_WARN, "%s is on another filesystem than the datadir %s, and the swap "
			   "needs both on one: the new datadir is built inside the webroot, at "
			   "%s.restoring (mode 0700 while it is built); set keep_dir to a directory "
			   "on the datadir's filesystem", base, rs->datadir, rs->datadir);
		free(base);
		return xstrfmt("%s.restoring", rs->datadir);
	}
	path = beside_name(rs, base, "restoring");
	free(base);
	return path;
}

static int datadir_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct restore *rs = restore_of(run);
	const struct conf *c = rs->conf;
	struct fsrestore_opts o = { 0 };
	struct fsrestore_result res = { 0 };
	struct timespec ts[2];
	char *parent = NULL, *staging, *kept, **ex;
	int ret, had = 0;

	if (!rs->datadir)
		return err_set(e, "no datadir known"),
		       err_hint(e, "Run the config step first or give --datadir DIR."), -1;
	if (conf_web_owner(c, &o.uid, &o.gid, e) < 0)
		return -1;
	/* an empty backup directory was refused by the preflight */
	o.set_owner = 1;
	o.source = rs->datadir_src;
	o.target = rs->datadir;
	o.excludes = (const char *const *)c->datadir_excludes;
	o.name = "datadir";
	o.mode = FSRESTORE_REPLACE;
	o.stamp = rs->stamp;
	if (inside(rs->datadir, rs->webroot)) {
		/* the staging tree, the swap and the kept copy pass through the
		 * datadir's parent, a directory of the restored webroot */
		parent = xstrdup(rs->datadir);
		*strrchr(parent, '/') = '\0';
		had = restore_dir_times_get(parent, ts);
	}
	/* the staging and kept copies never inside the webroot (issue 16.5) */
	staging = datadir_staging(rs, r);
	kept = kept_datadir_dest(rs);
	if (run_resumed(run) && inside(rs->datadir, rs->webroot) && restore_kept_of(rs, STEP_WEBROOT)) {
		/* the interrupted run kept the old datadir inside the old
		 * webroot, which kept_datadir_dest() now finds taken */
		char *in_old = xstrfmt("%s/%s", restore_kept_of(rs, STEP_WEBROOT),
				       inside(rs->datadir, rs->webroot));
		if (restore_resumed_swap(rs, rs->datadir, in_old, out, r)) {
			free(in_old);
			free(kept);
			free(staging);
			free(parent);
			return 0;
		}
		free(in_old);
	}
	if (restore_resumed_swap(rs, rs->datadir, kept, out, r)) {
		free(kept);
		free(staging);
		free(parent);
		return 0;
	}
	o.staging = staging;
	o.kept = kept;
	out->source = rs->datadir_src ? xstrdup(rs->datadir_src) : NULL;
	ex = restore_source_excludes(rs, rs->datadir_src, "data", c->datadir_excludes);
	o.excludes = (const char *const *)ex;
	ret = restore_journaled_fsrestore(rs, &o, r, &res, e);
	backupset_excludes_free(ex);
	if (ret == 0) {
		/* personal data: the kept copy for root only (where it is
		 * kept, the swap's line has said) */
		if (res.kept_as && chmod(res.kept_as, 0700) == 0)
			report_log(r, LOG_INFO, "the kept datadir is for root only now (mode 0700)");
		restore_files_summary(out, &res);
	}
	free(staging);
	free(kept);
	if (had)
		restore_dir_times_put(parent, ts, r);
	free(parent);
	fsrestore_result_release(&res);
	return ret;
}

static void datadir_describe(const struct run *run, struct strbuf *out)
{
	const struct restore *rs = restore_of(run);
	strbuf_addf(out, _("source: %s (%s)\ntarget: %s\nowner:  %s:%s\n"),
		    orq(rs->datadir_src), _(magic_name(rs->datadir_src_kind)),
		    orq(rs->datadir), rs->conf->web_user, rs->conf->web_group);
}

static int datadir_destructive(const struct run *run, struct strbuf *what)
{
	const struct restore *rs = restore_of(run);
	if (!rs->datadir || !(path_exists(rs->datadir) ||
			      (inside(rs->datadir, rs->webroot) &&
			       (rs->selected & STEP_BIT(STEP_WEBROOT)) &&
			       restore_state(rs, STEP_WEBROOT) == STEP_PENDING)))
		return 0;
	if (what) {
		char *dest = kept_datadir_dest(rs);
		if (dest)
			strbuf_addf(what, _("replaces %s (the old one is moved out of the webroot, "
				    "to %s)"), rs->datadir, dest);
		free(dest);
		if (!dest)
			strbuf_addf(what, _("replaces %s (kept as %s.pre-restore-%s)"), rs->datadir,
				    rs->datadir, rs->stamp);
	}
	return 1;
}

static void datadir_manual(const struct run *run, struct strbuf *out)
{
	const struct restore *rs = restore_of(run);
	const struct conf *c = rs->conf;
	char *chown_spec = xstrfmt("%s:%s", c->web_user, c->web_group), *src = NULL;
	/* where the step keeps the old one: out of the webroot when it lives
	 * inside it (the same path the step itself uses) */
	char *kept = kept_datadir_dest(rs);
	if (!kept)
		kept = xstrfmt("%s.pre-restore-%s", orq(rs->datadir), rs->stamp);
	restore_add_cmd(out, 0, "mv", orq(rs->datadir), kept, NULL);
	if (rs->datadir_src_kind == MAGIC_DIR) {
		static const char *const opts[] = { "--exclude", "tmp/", "--exclude", "*.log",
						    "--exclude", "maintenance.on", NULL };
		restore_add_rsync(out, rs, "data", opts, orq(rs->datadir_src), orq(rs->datadir));
	} else {
		restore_add_cmd(out, 0, "mkdir", orq(rs->datadir), NULL);
		restore_add_cmd(out, 0, "bsdtar", "-xpf", orq(rs->datadir_src), "-C",
				orq(rs->datadir), NULL);
	}
	restore_add_cmd(out, 0, "chown", "-R", chown_spec, orq(rs->datadir), NULL);
	restore_add_cmd(out, 0, "chmod", "-R", "u+rwX", orq(rs->datadir), NULL);
	free(kept);
	free(src);
	free(chown_spec);
}

/* The datadir backups of the backup set; NULL without one. */
static const struct backup_list *datadir_sources(const struct run *run, size_t *cur)
{
	const struct restore *rs = restore_of(run);
	const struct backup_list *l = rs->backups ? &rs->backups->data : NULL;
	if (cur)
		*cur = restore_list_index(l, rs->datadir_src);
	return l;
}

static void datadir_source_note(const struct run *run, size_t i, struct strbuf *out,
				uint64_t *bytes)
{
	restore_source_note(restore_of(run), datadir_sources(run, NULL), i, "datadir", out, bytes);
}

/* Another datadir backup, after the preflight's checks of its layout. */
static int datadir_use_source(struct run *run, size_t i, struct report *r, struct err *e)
{
	struct restore *rs = restore_of(run);
	size_t cur;
	const struct backup_list *l = datadir_sources(run, &cur);
	char *old = rs->datadir_src;
	enum magic_kind old_kind = rs->datadir_src_kind;

	if (!l || i >= l->n)
		return err_set(e, "no such backup to choose for step %s", "datadir");
	if (i == cur)
		return 0;
	rs->datadir_src = xstrdup(l->items[i].path);
	if (magic_detect(rs->datadir_src, &rs->datadir_src_kind, e) < 0 ||
	    restore_check_archives(rs, e) < 0) {
		restore_log_refused_source(r, "datadir", l->items[i].name, old, e);
		free(rs->datadir_src);
		rs->datadir_src = old;
		rs->datadir_src_kind = old_kind;
		return -1;
	}
	report_log(r, LOG_INFO, "step %s: the operator chose %s instead of %s", "datadir",
		   rs->datadir_src, orq_en(old));
	free(old);
	return 0;
}

const struct step_def restore_step_datadir = {
	.name = "datadir",
	.title = N_("Restore the datadir"),
	.explain = N_("Copies attachments, letter templates, invoices, the import inbox and fonts "
		"into the datadir of config.php and gives them to the web user (u+rwX). It "
		"comes before the database, so that no document the database points to is "
		"missing."),
	.flags = STEP_F_STOPS_SERVICES | STEP_F_FILES | STEP_F_WAITS_CHECKS,
	.describe = datadir_describe,
	.destructive = datadir_destructive,
	.manual = datadir_manual,
	.sources = datadir_sources,
	.source_note = datadir_source_note,
	.use_source = datadir_use_source,
	.run = datadir_run,
};
