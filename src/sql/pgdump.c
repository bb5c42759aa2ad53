/* pgdump: pg_dump into the parallel gzip writer; see pgdump.h. */
#include "config.h"
#include "i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conninfo.h"
#include "cpus.h"
#include "err.h"
#include "pgdump.h"
#include "pgzip.h"
#include "report.h"
#include "runcmd.h"
#include "strbuf.h"

#define HEAD_MAX 4096    /* the header comments are in the first lines */
#define TAIL_MAX 512     /* the trailer, and a \unrestrict line after it */
#define STDERR_MAX 8192  /* of pg_dump's stderr kept for the error's detail */
#define TRAILER "-- PostgreSQL database dump complete\n"

struct dumpctx {
	struct pgzip *z;
	struct report *r;
	const char *name;      /* the file's name, for progress */
	uint64_t sql_bytes;
	struct strbuf head;    /* the first HEAD_MAX bytes */
	char tail[TAIL_MAX];   /* the last TAIL_MAX bytes written */
	size_t tail_len;
	struct strbuf errtext; /* pg_dump's stderr (the first STDERR_MAX bytes) */
};

static int on_stdout(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct dumpctx *d = ctx;
	const char *p = buf;
	struct progress pr = { 0 };

	if (pgzip_write(d->z, buf, len, e) < 0)
		return -1;
	d->sql_bytes += len;
	if (d->head.len < HEAD_MAX)
		strbuf_add(&d->head, p, len < HEAD_MAX - d->head.len ? len : HEAD_MAX - d->head.len);
	if (len >= TAIL_MAX) {
		memcpy(d->tail, p + len - TAIL_MAX, TAIL_MAX);
		d->tail_len = TAIL_MAX;
	} else {
		size_t keep = d->tail_len + len > TAIL_MAX ? TAIL_MAX - len : d->tail_len;
		memmove(d->tail, d->tail + d->tail_len - keep, keep);
		memcpy(d->tail + keep, p, len);
		d->tail_len = keep + len;
	}
	pr.phase = N_("dumping");
	pr.done_bytes = d->sql_bytes;
	pr.current = d->name;
	report_progress(d->r, &pr, 0);
	return 0;
}

static void on_line(void *ctx, int is_stderr, const char *line)
{
	struct dumpctx *d = ctx;
	(void)is_stderr; /* stdout goes to on_stdout() */
	report_log(d->r, LOG_WARN, "pg_dump: %s",
		   !strncmp(line, "pg_dump: ", 9) ? line + 9 : line);
	if (d->errtext.len < STDERR_MAX) {
		if (d->errtext.len)
			strbuf_addch(&d->errtext, '\n');
		strbuf_addstr(&d->errtext, line);
	}
}

/* The value of the header comment "@key" ("-- Dumped by pg_dump version ")
 * up to the line's end, malloc'd, or NULL. */
static char *header_value(const struct strbuf *head, const char *key)
{
	const char *p = strstr(head->buf, key);
	if (!p)
		return NULL;
	p += strlen(key);
	return xstrndup(p, strcspn(p, "\r\n"));
}

static int has_trailer(const struct dumpctx *d)
{
	size_t n = strlen(TRAILER);
	for (size_t i = 0; i + n <= d->tail_len; i++)
		if (!memcmp(d->tail + i, TRAILER, n))
			return 1;
	return 0;
}

char *pgdump_file_name(const char *prefix, time_t when)
{
	struct tm tm;
	char stamp[32];
	localtime_r(&when, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", &tm);
	return xstrfmt("%s%s.sql.gz", prefix ? prefix : "", stamp);
}

/* fsync the directory @dir, so that the rename survives a crash. */
static int sync_dir(const char *dir, struct err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		err_errno(e, errno, "cannot sync directory %s", dir);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int pgdump_run(const struct pgdump_opts *o, struct pgdump_result *res, struct report *r,
	       struct err *e)
{
	struct dumpctx d;
	struct child_process cp;
	struct pgzip_opts zo = { o->level ? o->level : PGDUMP_LEVEL_DEFAULT, o->threads, 0 };
	struct strbuf cmd = STRBUF_INIT;
	char *name = pgdump_file_name(o->prefix, o->when);
	char *path = xstrfmt("%s/%s", o->dir, name);
	char *partial = xstrfmt("%s.partial", path);
	char *pwenv = NULL, *target = NULL;
	const char *env[2] = { NULL, NULL };
	struct stat st;
	int fd = -1, created = 0, status = 0, rc, ret = -1;

	memset(res, 0, sizeof *res);
	memset(&d, 0, sizeof d);
	if (!zo.threads) {
		/* one CPU stays with pg_dump and its server backend, which make
		 * the SQL: on two CPUs one deflate thread (level 3 keeps up with
		 * the server) dumped in 1.1-1.2 s where two took 1.4-2.0 s, the
		 * threads taking turns with the backend (bench/README.md) */
		int n = cpus_usable();
		zo.threads = n > 1 ? n - 1 : 1;
	}
	strbuf_init(&d.head, 0);
	strbuf_init(&d.errtext, 0);

	if (lstat(path, &st) == 0) {
		err_set(e, "%s exists already", path);
		err_hint(e, "Each backup gets a new name from its time; wait a second or move the file away.");
		goto out;
	}
	target = conninfo_for_child(o->conninfo, o->dbname, &pwenv, e);
	if (!target)
		goto out;
	fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_errno(e, errno, "cannot create %s", partial);
		if (errno == EEXIST)
			err_hint(e, "Another backup may be writing it; if none runs, remove the file.");
		goto out;
	}
	created = 1;
	d.z = pgzip_open(fd, partial, &zo, e);
	if (!d.z)
		goto out;
	d.r = r;
	d.name = name;

	const char *argv[] = { o->pg_dump ? o->pg_dump : "pg_dump", "--no-owner",
			       "--no-privileges", "--clean", "--if-exists", "--no-password",
			       "-d", target, NULL };
	env[0] = pwenv;
	memset(&cp, 0, sizeof cp);
	cp.argv = argv;
	cp.env = pwenv ? env : NULL;
	cp.on_line = on_line;
	cp.on_stdout = on_stdout;
	cp.ctx = &d;
	cp.report = r;
	{
		char *shown = conninfo_redacted(target);
		const char *shown_argv[] = { argv[0], argv[1], argv[2], argv[3], argv[4], argv[5],
					     argv[6], shown, NULL };
		runcmd_format_argv(shown_argv, &cmd);
		free(shown);
	}
	report_log(r, LOG_INFO, "running: %s > %s", cmd.buf, partial);

	rc = runcmd_run(&cp, &status, e);
	if (rc < 0)
		goto out;
	if (rc > 0) {
		err_set(e, "pg_dump failed (exit status %d) dumping database %s", status,
			o->dbname ? o->dbname : "(the connection's)");
		strbuf_rtrim(&d.errtext);
		if (d.errtext.len)
			err_detail(e, "%s", d.errtext.buf);
		err_hint(e, "Check the database name and the connection (%s); pg_dump's output is in the log.",
			 cmd.buf);
		goto out;
	}
	if (!has_trailer(&d)) {
		err_set(e, "pg_dump's output ended without the \"-- PostgreSQL database dump complete\" trailer");
		err_detail(e, "%llu bytes of SQL were written; the dump is cut off.",
			   (unsigned long long)d.sql_bytes);
		err_hint(e, "pg_dump exited 0 nevertheless: check its version and the log.");
		goto out;
	}
	if (pgzip_finish(d.z, e) < 0)
		goto out;
	if (fsync(fd) < 0) {
		err_errno(e, errno, "cannot write %s", partial);
		goto out;
	}
	res->gz_bytes = pgzip_bytes_out(d.z);
	rc = close(fd);
	fd = -1;
	if (rc < 0) {
		err_errno(e, errno, "cannot write %s", partial);
		goto out;
	}
	if (rename(partial, path) < 0) {
		err_errno(e, errno, "cannot rename %s to %s", partial, path);
		goto out;
	}
	if (sync_dir(o->dir, e) < 0)
		goto out;

	res->path = path;
	path = NULL;
	res->sql_bytes = d.sql_bytes;
	res->server_version = header_value(&d.head, "-- Dumped from database version ");
	res->pg_dump_version = header_value(&d.head, "-- Dumped by pg_dump version ");
	{
		struct progress pr = { 0 };
		pr.phase = N_("dumping");
		pr.done_bytes = pr.total_bytes = d.sql_bytes;
		pr.current = name;
		report_progress(r, &pr, 1);
	}
	ret = 0;
out:
	pgzip_free(d.z);
	if (fd >= 0)
		close(fd);
	if (ret < 0 && created)
		unlink(partial); /* never a half dump under either name */
	if (pwenv) {
		memset(pwenv, 0, strlen(pwenv));
		free(pwenv);
	}
	free(target);
	free(partial);
	free(path);
	free(name);
	strbuf_release(&cmd);
	strbuf_release(&d.head);
	strbuf_release(&d.errtext);
	return ret;
}

void pgdump_result_release(struct pgdump_result *res)
{
	free(res->path);
	free(res->server_version);
	free(res->pg_dump_version);
	memset(res, 0, sizeof *res);
}
