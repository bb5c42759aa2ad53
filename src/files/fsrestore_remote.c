/* fsrestore_remote: fetch a "host:path" source with rsync -a before the
 * restore; see fsrestore.h.  rsync runs from an argv (no shell) through
 * runcmd.  The size the fetch will write is asked first from a dry run of
 * the same command (--dry-run --stats); the fetch's own --info=progress2
 * lines end in '\r', so its stdout is taken as read (runcmd's on_stdout)
 * and split here on '\r' and '\n'. */
#include "config.h"
#include "i18n.h"
#include "fsrestore.h"
#include "fsrestore_int.h"
#include "err.h"
#include "report.h"
#include "runcmd.h"
#include "strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

int fsrestore_is_remote(const char *source)
{
	const char *colon = source ? strchr(source, ':') : NULL;
	const char *slash = source ? strchr(source, '/') : NULL;
	return colon && colon != source && (!slash || colon < slash);
}

struct fetch {
	struct report *r;
	struct strbuf line;   /* partial output line */
	struct strbuf errs;   /* last stderr lines, for the error */
	uint64_t done, total;
};

/* "  1,234,567  45%  10.50MB/s  0:00:12 (xfr#3, to-chk=10/20)" */
static void progress_line(struct fetch *f, const char *s)
{
	uint64_t done = 0;
	int digits = 0, pct;
	struct progress p;
	while (*s == ' ')
		s++;
	for (; (*s >= '0' && *s <= '9') || *s == ','; s++)
		if (*s != ',') {
			done = done * 10 + (uint64_t)(*s - '0');
			digits++;
		}
	if (!digits || *s != ' ')
		return;
	while (*s == ' ')
		s++;
	pct = atoi(s);
	if (!strchr(s, '%'))
		return;
	f->done = done;
	if (pct > 0)
		f->total = done * 100 / (uint64_t)pct;
	memset(&p, 0, sizeof p);
	p.phase = N_("fetching");
	p.done_bytes = f->done;
	p.total_bytes = f->total > f->done ? f->total : f->done;
	report_progress(f->r, &p, 0);
}

/* runcmd's on_stdout: rsync's progress lines end in '\r', so stdout is
 * taken as it comes and split here. */
static int feed_stdout(void *ctx, const void *buf, size_t n, struct err *e)
{
	struct fetch *f = ctx;
	const char *s = buf;
	(void)e;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\r' && s[i] != '\n') {
			strbuf_addch(&f->line, s[i]);
			continue;
		}
		if (f->line.len)
			progress_line(f, f->line.buf);
		strbuf_reset(&f->line);
	}
	return 0;
}

/* runcmd's on_line, for stderr (stdout goes to feed_stdout): logged, and
 * the last lines kept for the error. */
static void feed_stderr(void *ctx, int is_stderr, const char *line)
{
	struct fetch *f = ctx;
	(void)is_stderr;
	if (!*line)
		return;
	report_log(f->r, LOG_WARN, "rsync: %s", line);
	if (f->errs.len > 2000)
		strbuf_reset(&f->errs);
	strbuf_addf(&f->errs, "%s%s", f->errs.len ? "\n" : "", line);
}

/* ---- the size of the fetch, before it --------------------------------- */

struct drystats {
	int have_total, have_xfer, have_files;
	uint64_t total, xfer, files;
	struct strbuf errs;
};

/* The number after "@label: " in @line ("Total file size: 1,234 bytes"),
 * thousands separators of any locale skipped.  1 if @line has it. */
static int stat_number(const char *line, const char *label, uint64_t *v)
{
	size_t n = strlen(label);
	int digits = 0;
	if (strncmp(line, label, n) || line[n] != ':')
		return 0;
	*v = 0;
	for (line += n + 1; *line == ' '; line++)
		;
	for (; *line; line++) {
		if (*line >= '0' && *line <= '9') {
			*v = *v * 10 + (uint64_t)(*line - '0');
			digits++;
		} else if (!digits || !strchr(",.'", *line) || !(line[1] >= '0' && line[1] <= '9')) {
			break;
		}
	}
	return digits > 0;
}

static void dry_line(void *ctx, int is_stderr, const char *line)
{
	struct drystats *d = ctx;
	if (is_stderr) {
		if (d->errs.len < 2000)
			strbuf_addf(&d->errs, "%s%s", d->errs.len ? "\n" : "", line);
		return;
	}
	if (stat_number(line, "Number of files", &d->files))
		d->have_files = 1;
	else if (stat_number(line, "Total file size", &d->total))
		d->have_total = 1;
	else if (stat_number(line, "Total transferred file size", &d->xfer))
		d->have_xfer = 1;
}

/*
 * Ask rsync what fetching @argv (the fetch's argv; "--dry-run --stats"
 * are put in after "-a") will write, and compare it with the free space
 * and inodes of the filesystem of @into's parent directory.  The bytes:
 * "Total transferred file size" (hardlinks once; into a fresh directory
 * that is every file), each entry of "Number of files" rounded up to a
 * 4 KiB block, plus the margin.  Returns 0 when it fits, -1 with @e set
 * when not (the numbers in the detail) or when the dry run fails.
 */
static int fetch_space_check(const char *const *argv, const char *source, const char *into,
			     struct report *r, struct err *e)
{
	const char *dry[24];
	const char *const env[] = { "LC_ALL=C", NULL };
	struct child_process cp;
	struct drystats d;
	struct statvfs sv;
	char *dir = xstrdup(into), *slash;
	uint64_t bytes, need, avail;
	int status = 0, rc = -1, run;
	size_t n = 0;

	memset(&d, 0, sizeof d);
	strbuf_init(&d.errs, 128);
	slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else {
		free(dir);
		dir = xstrdup(".");
	}
	for (size_t i = 0; argv[i] && n < sizeof dry / sizeof *dry - 4; i++) {
		if (!strncmp(argv[i], "--info=", 7))
			continue;
		dry[n++] = argv[i];
		if (i == 1) {
			dry[n++] = "--dry-run";
			dry[n++] = "--stats";
			dry[n++] = "--no-human-readable";
		}
	}
	dry[n] = NULL;
	{
		struct strbuf sb = STRBUF_INIT;
		runcmd_format_argv(dry, &sb);
		report_log(r, LOG_INFO, "size of %s before fetching it: %s", source, sb.buf);
		strbuf_release(&sb);
	}
	memset(&cp, 0, sizeof cp);
	cp.argv = dry;
	cp.env = env;
	cp.on_line = dry_line;
	cp.ctx = &d;
	cp.report = r;
	run = runcmd_run(&cp, &status, e);
	if (run < 0)
		goto out;
	if (run > 0 || !d.have_files || (!d.have_xfer && !d.have_total)) {
		if (run > 0)
			err_set(e, "rsync could not list %s (exit status %d)", source, status);
		else
			err_set(e, "rsync --dry-run --stats did not say how big %s is", source);
		if (d.errs.len)
			err_detail(e, "%s", d.errs.buf);
		err_hint(e, "check that the host is reachable over ssh and the path exists; "
			    "or copy the backup over first and restore from the local copy");
		goto out;
	}
	bytes = d.have_xfer ? d.xfer : d.total;
	need = fsrestore_with_margin(bytes + d.files * 4096);
	if (statvfs(dir, &sv) < 0) {
		err_errno(e, errno, "cannot check free space in %s", dir);
		goto out;
	}
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	report_log(r, LOG_INFO, "%s: %llu bytes in %llu entries to fetch; %llu bytes free in %s",
		   source, (unsigned long long)bytes, (unsigned long long)d.files,
		   (unsigned long long)avail, dir);
	if (avail < need) {
		char *doing = xstrfmt("fetch %s (%llu bytes in %llu entries)", source,
				      (unsigned long long)bytes, (unsigned long long)d.files);
		fsrestore_space_error(e, dir, doing, need, avail, "free");
		free(doing);
		err_hint(e, "nothing was fetched; free space on that filesystem, or copy the backup "
			    "to a filesystem with room and restore from the local copy");
		goto out;
	}
	if (sv.f_files && (uint64_t)sv.f_favail < d.files + 1000) {
		err_set(e, "not enough inodes in %s to fetch %s", dir, source);
		err_detail(e, "needed %llu, free %llu", (unsigned long long)(d.files + 1000),
			   (unsigned long long)sv.f_favail);
		err_hint(e, "nothing was fetched; remove files on that filesystem first");
		goto out;
	}
	rc = 0;
out:
	strbuf_release(&d.errs);
	free(dir);
	return rc;
}

int fsrestore_fetch(const char *source, const char *into, const char *rsh, int xattrs, int acls,
		    struct report *r, char **local, struct err *e)
{
	const char *argv[16];
	char *src = xstrdup(source), *base, *dst = xstrfmt("%s/", into);
	size_t len = strlen(src), n = 0;
	int status = 0, rc = -1, run;
	struct child_process cp;
	struct fetch f;

	*local = NULL;
	memset(&f, 0, sizeof f);
	f.r = r;
	strbuf_init(&f.line, 128);
	strbuf_init(&f.errs, 128);
	while (len > 1 && src[len - 1] == '/' && src[len - 2] != ':')
		src[--len] = '\0';
	base = strrchr(src, '/');
	base = base ? base + 1 : strchr(src, ':') + 1;
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		err_set(e, "remote source %s does not name a file or directory", source);
		err_hint(e, "give host:/path/to/backup");
		goto out;
	}
	argv[n++] = "rsync";
	argv[n++] = "-a";
	argv[n++] = "-H";
	if (xattrs)
		argv[n++] = "-X";
	if (acls)
		argv[n++] = "-A";
	argv[n++] = "--info=progress2";
	argv[n++] = "--no-inc-recursive";
	if (rsh) {
		argv[n++] = "-e";
		argv[n++] = rsh;
	}
	argv[n++] = "--";
	argv[n++] = src;
	argv[n++] = dst;
	argv[n] = NULL;
	if (fetch_space_check(argv, source, into, r, e) < 0)
		goto out;
	if (mkdir(into, 0700) < 0) {
		err_errno(e, errno, "cannot create %s for the fetched copy", into);
		goto out;
	}
	{
		struct strbuf sb = STRBUF_INIT;
		runcmd_format_argv(argv, &sb);
		report_log(r, LOG_INFO, "fetching %s: %s", source, sb.buf);
		strbuf_release(&sb);
	}
	memset(&cp, 0, sizeof cp);
	cp.argv = argv;
	cp.on_stdout = feed_stdout;
	cp.on_line = feed_stderr;
	cp.ctx = &f;
	cp.report = r;
	run = runcmd_run(&cp, &status, e);
	if (f.line.len) /* the last progress line, without its '\r' */
		progress_line(&f, f.line.buf);
	if (run < 0) {
		if (report_cancelled(r))
			err_set(e, "fetching %s aborted: %s", source, report_stop_reason(r));
		goto out;
	}
	if (run > 0) {
		err_set(e, "rsync could not fetch %s (exit status %d)", source, status);
		if (f.errs.len)
			err_detail(e, "%s", f.errs.buf);
		err_hint(e, "check that the host is reachable over ssh and the path exists; "
			    "or copy the backup over first and restore from the local copy");
		goto out;
	}
	{
		struct progress p;
		memset(&p, 0, sizeof p);
		p.phase = N_("fetching");
		p.done_bytes = p.total_bytes = f.done;
		report_progress(r, &p, 1);
	}
	*local = xstrfmt("%s/%s", into, base);
	rc = 0;
out:
	strbuf_release(&f.line);
	strbuf_release(&f.errs);
	free(src);
	free(dst);
	return rc;
}
