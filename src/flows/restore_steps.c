/* restore_steps: what several steps of the restore share; see
 * restore_int.h.  Each step is a file of its own (restore_<name>.c). */
#include "config.h"
#include "i18n.h"
#include "restore.h"
#include "restore_int.h"
#include "bisocli.h"
#include "conf.h"
#include "fsrestore.h"
#include "journal.h"
#include "manifest.h"
#include "runcmd.h"
#include "strbuf.h"
#include "backupset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void restore_files_summary(struct step_out *out, const struct fsrestore_result *res)
{
	out->refused = res->refused;
	free(out->summary);
	free(out->summary_l10n);
	/* English for the log, and the screen's translation */
	for (int l10n = 0; l10n < 2; l10n++) {
		struct strbuf sb = STRBUF_INIT;
		int was = i18n_english(!l10n);
		unsigned long long n;
		fsrestore_add_counts_l10n(&sb, res);
		strbuf_addstr(&sb, ", ");
		strbuf_humanise_bytes(&sb, res->bytes);
		if ((n = res->refused))
			strbuf_addf(&sb, P_(", %llu member refused (listed in the log), not restored",
					    ", %llu members refused (listed in the log), not restored",
					    n), n);
		if ((n = res->modes_changed))
			strbuf_addf(&sb, P_(", %llu mode without set-id/world-write (see the log)",
					    ", %llu modes without set-id/world-write (see the log)",
					    n), n);
		i18n_english(was);
		*(l10n ? &out->summary_l10n : &out->summary) = strbuf_detach(&sb, NULL);
	}
	if (res->kept_as) {
		free(out->kept_as);
		out->kept_as = xstrdup(res->kept_as);
	}
}

char **restore_source_excludes(const struct restore *rs, const char *src, const char *sub,
			       char *const *conf_ex)
{
	const char *root = rs->conf->backup_root;
	size_t rl = root ? strlen(root) : 0, sl = strlen(sub);
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	/* the directory itself, not a snapshot in it: <root>/<sub>[/] */
	if (src && root && !strncmp(src, root, rl) && src[rl] == '/' &&
	    !strncmp(src + rl + 1, sub, sl) && strspn(src + rl + 1 + sl, "/") == strlen(src + rl + 1 + sl))
		return backupset_flat_excludes(src, (const char *const *)conf_ex);
	return backupset_flat_excludes("", (const char *const *)conf_ex);
}

/* The dump check passed, then the services are stopped: right before
 * the swap, never for a refused dump. */
static int wait_checks(void *run, struct report *r, struct err *e)
{
	return run_before_change(run, r, e);
}

int restore_journaled_fsrestore(struct restore *rs, const struct fsrestore_opts *o,
				struct report *r, struct fsrestore_result *res, struct err *e)
{
	char *kept = o->kept ? xstrdup(o->kept) : xstrfmt("%s.pre-restore-%s", o->target, rs->stamp);
	char *staging = o->staging ? xstrdup(o->staging) : xstrfmt("%s.restoring", o->target);
	int ret = journal_begin(rs->conf->log_dir, rs->stamp, JOURNAL_FILES, o->target, kept,
				staging, e);
	if (ret == 0) {
		struct err jerr = ERR_INIT;
		struct fsrestore_opts wo = *o;
		/* the staging tree is built beside the dump check, with the
		 * services up; the swap waits for it and stops them
		 * (STEP_F_WAITS_CHECKS) */
		wo.before_swap = wait_checks;
		wo.before_swap_ctx = rs->run;
		ret = fsrestore_run(&wo, r, res, e);
		if (journal_done(rs->conf->log_dir, rs->stamp, JOURNAL_FILES, o->target, &jerr) < 0)
			report_log_l10n(r, LOG_WARN, jerr.lmsg, "%s", jerr.msg);
		err_clear(&jerr);
	}
	free(kept);
	free(staging);
	return ret;
}

int restore_resumed_swap(struct restore *rs, const char *target, const char *kept,
			 struct step_out *out, struct report *r)
{
	char *path = kept ? xstrdup(kept) : xstrfmt("%s.pre-restore-%s", target, rs->stamp);
	int done = run_resumed(rs->run) && path_exists(path) && path_exists(target);
	if (done) {
		report_log(r, LOG_INFO, "the interrupted run had replaced %s already (the old one is "
			   "kept as %s): not copied again", target, path);
		free(out->kept_as);
		out->kept_as = path;
		step_out_summaryf(out, "replaced by the interrupted run");
		return 1;
	}
	free(path);
	return 0;
}

/* The config and datadir steps add and rename entries in the webroot,
 * which moves its mtime away from what the webroot step restored from the
 * backup: files-verify of the webroot then found one difference, "."
 * (issue 9.10). */
int restore_dir_times_get(const char *dir, struct timespec ts[2])
{
	struct stat st;
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	return 1;
}

void restore_dir_times_put(const char *dir, const struct timespec ts[2], struct report *r)
{
	if (utimensat(AT_FDCWD, dir, ts, AT_SYMLINK_NOFOLLOW) < 0)
		report_log(r, LOG_WARN, "cannot put back the times of %s: %s", dir, strerror(errno));
}

int restore_dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;
	if (!d)
		return 1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

size_t restore_list_index(const struct backup_list *l, const char *now)
{
	size_t cur = l ? l->n : 0;
	for (size_t i = 0; l && now && i < l->n; i++)
		if (!strcmp(now, l->items[i].path))
			cur = i;
	return cur;
}

enum restore_source_state restore_source_state(const struct restore *rs,
					       const struct backup_list *l, size_t i,
					       uint64_t *bytes, const char *part)
{
	struct manifest m;
	struct err e = ERR_INIT;
	const struct manifest_part *p;
	enum restore_source_state st = SOURCE_NO_MANIFEST;
	int rc;

	if (!l || i >= l->n || !rs->backups)
		return st;
	rc = manifest_of_part(rs->backups->root, l->items[i].path, &m, &e);
	if (rc > 0 && rs->dump_refused_damaged && rs->dump_refused &&
	    !strcmp(l->items[i].path, rs->dump_refused))
		st = SOURCE_DAMAGED; /* this run's preflight: newer than backup-verify's */
	else if (rc < 0)
		st = SOURCE_UNREADABLE;
	else if (rc > 0 && manifest_state(&m) == MANIFEST_UNVERIFIED)
		st = SOURCE_UNVERIFIED;
	else if (rc > 0)
		st = manifest_state(&m) == MANIFEST_VERIFIED ? SOURCE_VERIFIED : SOURCE_DAMAGED;
	if (rc > 0 && bytes && part && (p = manifest_part(&m, part)))
		*bytes = p->bytes;
	manifest_release(&m);
	err_clear(&e);
	return st;
}

void restore_source_note(const struct restore *rs, const struct backup_list *l, size_t i,
			 const char *part, struct strbuf *out, uint64_t *bytes)
{
	switch (restore_source_state(rs, l, i, bytes, part)) {
	case SOURCE_NO_MANIFEST: break;
	case SOURCE_UNREADABLE: strbuf_addstr(out, _("manifest unreadable")); break; /* the preflight names why */
	case SOURCE_UNVERIFIED: strbuf_addstr(out, _("unverified")); break;
	/* TRANSLATORS: the state of a backup, in the backup chooser */
	case SOURCE_VERIFIED: strbuf_addstr(out, _("verified")); break;
	case SOURCE_DAMAGED: strbuf_addstr(out, _("DAMAGED")); break;
	}
}

void restore_log_refused_source(struct report *r, const char *step, const char *name,
				const char *old, const struct err *e)
{
	struct strbuf en = STRBUF_INIT, l10n = STRBUF_INIT;
	char *shown;
	/* the log gets the English error, the screen its translation */
	err_format(e, &en);
	err_format_l10n(e, &l10n);
	shown = xstrfmt(_("step %s: %s cannot be used; the step keeps %s: %s"), step, name,
			orq(old), l10n.buf);
	report_log_l10n(r, LOG_ERROR, shown, "step %s: %s cannot be used; the step keeps %s: %s",
			step, name, orq_en(old), en.buf);
	free(shown);
	strbuf_release(&en);
	strbuf_release(&l10n);
}

void restore_add_bisocli_cmd(struct strbuf *out, const struct restore *rs,
			     const char *const *sub)
{
	const char **argv = bisocli_argv(rs->conf, sub);
	strbuf_addstr(out, "     cd ");
	runcmd_format_argv((const char *const[]){ rs->webroot, NULL }, out);
	strbuf_addstr(out, " && ");
	/* as the run does it: as the web user when it switches to it */
	if (bisocli_switches_user(rs->conf)) {
		runcmd_format_argv((const char *const[]){ "runuser", "-u", rs->conf->web_user, "--", NULL }, out);
		strbuf_addch(out, ' ');
	}
	runcmd_format_argv(argv, out);
	strbuf_addch(out, '\n');
	free(argv);
}

void restore_add_rsync(struct strbuf *out, const struct restore *rs, const char *sub,
		       const char *const *opts, const char *src, const char *dst)
{
	char **flat = restore_source_excludes(rs, src, sub, NULL);
	size_t n = 0, k = 0;
	const char **argv;
	char *from = xstrfmt("%s/", src);
	for (const char *const *o = opts; *o; o++)
		n++;
	for (char **x = flat; *x; x++)
		n += 2;
	argv = xcalloc(n + 5, sizeof *argv);
	argv[k++] = "rsync";
	argv[k++] = "-a";
	for (const char *const *o = opts; *o; o++)
		argv[k++] = *o;
	for (char **x = flat; *x; x++) {
		argv[k++] = "--exclude";
		argv[k++] = *x;
	}
	argv[k++] = from;
	argv[k++] = dst;
	strbuf_addstr(out, "     ");
	runcmd_format_argv(argv, out);
	strbuf_addch(out, '\n');
	free(argv);
	free(from);
	backupset_excludes_free(flat);
}

void restore_add_cmd(struct strbuf *out, int pipe_at, ...)
{
	const char *argv[32];
	int n = 0;
	va_list ap;
	va_start(ap, pipe_at);
	while (n < 31 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	strbuf_addstr(out, "     ");
	if (pipe_at > 0 && pipe_at < n) {
		const char *first[32];
		memcpy(first, argv, (size_t)pipe_at * sizeof *argv);
		first[pipe_at] = NULL;
		runcmd_format_argv(first, out);
		strbuf_addstr(out, " | ");
		runcmd_format_argv(argv + pipe_at, out);
	} else {
		runcmd_format_argv(argv, out);
	}
	strbuf_addch(out, '\n');
}
