/* refresh_datadir: the refresh's third step, the test datadir replaced by
 * production's, its attachment folders as the attachments policy says:
 * copied, left empty, or one placeholder file for each attachment (same
 * path and name, none of the original's bytes); see refresh.h. */
#include "config.h"
#include "i18n.h"
#include "refresh_int.h"
#include "backupset.h"
#include "conf.h"
#include "fsrestore.h"
#include "keptcopies.h"
#include "maintenance.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void datadir_describe(const struct run *run, struct strbuf *out)
{
	const struct refresh *rf = refresh_of(run);
	strbuf_addf(out, _("source: %s\ntarget: %s\nattachments ("), rf_orq(rf->datadir_src),
		    rf_orq(rf->datadir));
	for (char **d = rf->conf->refresh.attachment_dirs; *d; d++)
		strbuf_addf(out, "%s%s/", d == rf->conf->refresh.attachment_dirs ? "" : ", ", *d);
	strbuf_addf(out, _("): %s\n"), refresh_attachments_name(rf->attachments));
}

static int datadir_destructive(const struct run *run, struct strbuf *what)
{
	const struct refresh *rf = refresh_of(run);
	if (what) {
		strbuf_addf(what, _("replaces the test datadir %s with production's"), rf_orq(rf->datadir));
		if (rf->attachments == RF_ATT_COPY)
			strbuf_addstr(what, _(", attachments included: real personal files reach the "
				      "test system"));
		else
			strbuf_addf(what, _(", attachments: %s"), refresh_attachments_name(rf->attachments));
	}
	return 1;
}

/* The attachments policy copy is acknowledged by typing "copy". */
static const char *datadir_confirm_word(const struct run *run)
{
	return refresh_of(run)->attachments == RF_ATT_COPY ? "copy" : NULL;
}

static const char placeholder_text[] =
	"PLACEHOLDER\n"
	"This file stands in for an attachment of the production system.  The test\n"
	"system was refreshed with biso-recover refresh --attachments placeholder:\n"
	"no byte of the original file was copied.\n";

/* One placeholder for each regular file under @src (relative @rel) into
 * @dst, directories made as in the source, owned by @uid:@gid.  0, or -1
 * with @e. */
static int write_placeholders(const char *src, const char *dst, uid_t uid, gid_t gid,
			      uint64_t *count, struct err *e)
{
	DIR *d = opendir(src);
	struct dirent *de;
	int ret = 0;

	if (!d)
		return errno == ENOENT ? 0 : err_errno(e, errno, "cannot read %s", src);
	if (mkdir(dst, 0750) < 0 && errno != EEXIST) {
		closedir(d);
		return err_errno(e, errno, "cannot create %s", dst);
	}
	if (chown(dst, uid, gid) < 0 && geteuid() == 0)
		ret = err_errno(e, errno, "cannot give %s to the web user", dst);
	while (!ret && (de = readdir(d))) {
		char *s, *t;
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		s = xstrfmt("%s/%s", src, de->d_name);
		t = xstrfmt("%s/%s", dst, de->d_name);
		if (lstat(s, &st) < 0) {
			ret = err_errno(e, errno, "cannot read %s", s);
		} else if (S_ISDIR(st.st_mode)) {
			ret = write_placeholders(s, t, uid, gid, count, e);
		} else if (S_ISREG(st.st_mode)) {
			int fd = open(t, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
			ssize_t n = fd < 0 ? -1 : write(fd, placeholder_text, sizeof placeholder_text - 1);
			if (fd < 0 || n != (ssize_t)(sizeof placeholder_text - 1))
				ret = err_errno(e, errno, "cannot write the placeholder %s", t);
			else if (fchown(fd, uid, gid) < 0 && geteuid() == 0)
				ret = err_errno(e, errno, "cannot give %s to the web user", t);
			else
				(*count)++;
			if (fd >= 0 && close(fd) < 0 && !ret)
				ret = err_errno(e, errno, "cannot write the placeholder %s", t);
		}
		/* symlinks and special files: no placeholder, nothing of them */
		free(s);
		free(t);
	}
	closedir(d);
	return ret;
}

const char **refresh_datadir_excludes(const struct refresh *rf)
{
	const struct conf *c = rf->conf;
	size_t n = 0, k = 0;
	const char **ex;
	for (char **p = c->datadir_excludes; *p; p++)
		n++;
	for (char **p = c->refresh.attachment_dirs; *p; p++)
		n++;
	ex = xcalloc(n + 1, sizeof *ex);
	for (char **p = c->datadir_excludes; *p; p++)
		ex[k++] = xstrdup(*p);
	if (rf->attachments != RF_ATT_COPY)
		for (char **p = c->refresh.attachment_dirs; *p; p++)
			ex[k++] = xstrfmt("/%s/", *p);
	if (rf->datadir_src_flat) {
		/* the snapshots beside the manual's flat copy are no part of it */
		char **flat = backupset_flat_excludes(rf->datadir_src, NULL);
		for (n = 0; flat[n]; n++)
			;
		ex = xrealloc(ex, (k + n + 1) * sizeof *ex);
		for (size_t i = 0; i < n; i++)
			ex[k++] = flat[i];
		ex[k] = NULL;
		free(flat);
	}
	return ex;
}

static int datadir_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct refresh *rf = refresh_of(run);
	const struct conf *c = rf->conf;
	struct fsrestore_opts o = { 0 };
	struct fsrestore_result res = { 0 };
	const char **ex = refresh_datadir_excludes(rf);
	char *base = keptcopies_keep_base(c->keep_dir, rf->webroot, rf->datadir, NULL);
	const char *name = strrchr(rf->datadir, '/') ? strrchr(rf->datadir, '/') + 1 : rf->datadir;
	char *staging = xstrfmt("%s/%s.refreshing", base, name);
	char *kept = xstrfmt("%s/%s.pre-refresh-%s", base, name, rf->stamp);
	int ret = -1;

	if (conf_web_owner(c, &o.uid, &o.gid, e) < 0)
		goto out;
	o.set_owner = 1;
	o.source = rf->datadir_src;
	o.target = rf->datadir;
	o.excludes = ex;
	o.name = "datadir";
	o.mode = FSRESTORE_REPLACE;
	o.stamp = rf->stamp;
	o.staging = staging;
	o.kept = kept;
	out->source = xstrdup(rf->datadir_src);
	if (fsrestore_run(&o, r, &res, e) < 0)
		goto out;
	/* the new datadir has no maintenance.on: the instance is still in
	 * maintenance until the refresh ends */
	if (rf->maintenance_on && maintenance_set(c, rf->webroot, 1, rf->stamp, r, e) < 0)
		goto out;
	for (char **d = c->refresh.attachment_dirs; *d; d++) {
		char *src = xstrfmt("%s/%s", rf->datadir_src, *d), *dst = xstrfmt("%s/%s", rf->datadir, *d);
		int bad = 0;
		if (rf->attachments == RF_ATT_PLACEHOLDER) {
			bad = write_placeholders(src, dst, o.uid, o.gid, &rf->placeholders, e) < 0;
		} else if (rf->attachments == RF_ATT_SKIP) {
			if (mkdir(dst, 0750) < 0 && errno != EEXIST)
				bad = err_errno(e, errno, "cannot create %s", dst) < 0;
			else if (chown(dst, o.uid, o.gid) < 0 && geteuid() == 0)
				bad = err_errno(e, errno, "cannot give %s to the web user", dst) < 0;
		}
		free(src);
		free(dst);
		if (bad)
			goto out;
	}
	if (rf->attachments == RF_ATT_PLACEHOLDER) {
		if (rf->placeholders == 1)
			report_log(r, LOG_INFO, "attachments: 1 placeholder file, none of production's bytes");
		else
			report_log(r, LOG_INFO, "attachments: %llu placeholder files, none of production's "
				   "bytes", (unsigned long long)rf->placeholders);
	} else if (rf->attachments == RF_ATT_SKIP)
		report_log(r, LOG_INFO, "attachments: left out, the folders are empty");
	else
		report_log(r, LOG_INFO, "attachments: copied from production");
	if (res.kept_as && !c->refresh.keep_old) {
		struct err re = ERR_INIT;
		if (fsrestore_rmtree(res.kept_as, &re) < 0) {
			report_log(r, LOG_WARN, "the previous test datadir %s could not be removed: %s",
				   res.kept_as, re.msg);
			out->kept_as = xstrdup(res.kept_as);
		} else {
			report_log(r, LOG_INFO, "removed the previous test datadir (%s)", res.kept_as);
		}
		err_clear(&re);
	} else if (res.kept_as) {
		out->kept_as = xstrdup(res.kept_as);
	}
	/* English for the log, and the screen's translation */
	for (int l10n = 0; l10n < 2; l10n++) {
		struct strbuf sb = STRBUF_INIT;
		int was = i18n_english(!l10n);
		fsrestore_add_counts_l10n(&sb, &res);
		strbuf_addf(&sb, _(", attachments %s"), refresh_attachments_name(rf->attachments));
		i18n_english(was);
		*(l10n ? &out->summary_l10n : &out->summary) = strbuf_detach(&sb, NULL);
	}
	ret = 0;
out:
	for (size_t i = 0; ex[i]; i++)
		free((char *)ex[i]);
	free(ex);
	free(base);
	free(staging);
	free(kept);
	fsrestore_result_release(&res);
	return ret;
}

const struct step_def refresh_step_datadir = {
	.name = "datadir",
	.title = N_("Replace the test datadir"),
	.explain = N_("Copies production's datadir (letter templates, fonts, FOP configuration ...) "
		"into a staging tree and swaps it in; the attachment folders as the attachments "
		"policy says: copy (real personal files, acknowledged by typing copy), skip (left "
		"empty) or placeholder (a small file of the same path and name for each, no byte "
		"of the original)."),
	.flags = STEP_F_STOPS_SERVICES | STEP_F_FILES,
	.describe = datadir_describe,
	.destructive = datadir_destructive,
	.confirm_word = datadir_confirm_word,
	.confirm_label = N_("the word that lets real attachments reach the test system"),
	.run = datadir_run,
};
