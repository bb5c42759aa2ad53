/*
 * backup-driver: a small front end to the backup's building blocks for the
 * integration tests and bench/backup.sh, until `biso-recover backup` runs
 * them as steps of a flow.
 *
 *   backup-driver gzip OUT [THREADS]   stdin -> OUT through pgzip
 *   backup-driver dump CONNINFO DBNAME DIR PREFIX
 *                   pgdump_run() at the current time (pg_dump from $PG_DUMP
 *                   when set; $PGZIP_LEVEL and $PGZIP_THREADS set the zlib
 *                   level and the threads, for bench/backup.sh); prints path=, sql_bytes=, gz_bytes=,
 *                   server_version=, pg_dump_version=
 *   backup-driver seal ROOT ID NAME=PATH[@PREV]...
 *                   manifest_seal(): SHA256SUMS and MANIFEST of backup ID
 *                   with these parts (PATH relative to ROOT; PREV: the
 *                   earlier snapshot the part's unchanged files are hard
 *                   links into, e.g. data/ID0, for bench/seal.sh)
 *
 * The error (if any) is printed with err_format() on stderr.  Exit 0 on
 * success, 1 on failure, 2 on usage errors.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "manifest.h"
#include "pgdump.h"
#include "pgzip.h"
#include "report.h"
#include "strbuf.h"

static int fail(struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	err_format(e, &sb);
	fprintf(stderr, "%s\n", sb.buf);
	strbuf_release(&sb);
	err_clear(e);
	return 1;
}

static int gzip_cmd(const char *out, int threads)
{
	static char buf[1 << 16];
	struct err e = ERR_INIT;
	struct pgzip_opts o = { 0, threads, 0 };
	ssize_t n;
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_errno(&e, errno, "cannot create %s", out);
		return fail(&e);
	}
	struct pgzip *z = pgzip_open(fd, out, &o, &e);
	if (!z)
		return fail(&e);
	while ((n = read(0, buf, sizeof buf)) > 0)
		if (pgzip_write(z, buf, (size_t)n, &e) < 0)
			break;
	if (n < 0)
		err_errno(&e, errno, "cannot read standard input");
	if (!err_isset(&e))
		pgzip_finish(z, &e);
	pgzip_free(z);
	if (close(fd) < 0 && !err_isset(&e))
		err_errno(&e, errno, "cannot write %s", out);
	return err_isset(&e) ? fail(&e) : 0;
}

static void log_line(void *ctx, enum log_level level, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s: %s\n", log_level_name(level), line);
}

static int dump_cmd(char **argv)
{
	struct pgdump_opts o = { 0 };
	struct pgdump_result res;
	struct err e = ERR_INIT;
	struct report r = { .log = log_line };
	o.conninfo = argv[0];
	o.dbname = argv[1];
	o.dir = argv[2];
	o.prefix = argv[3];
	o.when = time(NULL);
	o.pg_dump = getenv("PG_DUMP");
	o.level = getenv("PGZIP_LEVEL") ? atoi(getenv("PGZIP_LEVEL")) : 0;
	o.threads = getenv("PGZIP_THREADS") ? atoi(getenv("PGZIP_THREADS")) : 0;
	if (pgdump_run(&o, &res, &r, &e) < 0)
		return fail(&e);
	printf("path=%s\nsql_bytes=%llu\ngz_bytes=%llu\nserver_version=%s\npg_dump_version=%s\n",
	       res.path, (unsigned long long)res.sql_bytes, (unsigned long long)res.gz_bytes,
	       res.server_version ? res.server_version : "", res.pg_dump_version ? res.pg_dump_version : "");
	pgdump_result_release(&res);
	return 0;
}

static int seal_cmd(int argc, char **argv)
{
	struct manifest m;
	struct err e = ERR_INIT;
	struct report r = { .log = log_line };
	const char **prev = calloc((size_t)argc, sizeof *prev);
	if (!prev)
		return 1;
	manifest_init(&m, argv[1], time(NULL));
	for (int i = 2; i < argc; i++) {
		char *eq = strchr(argv[i], '='), *at;
		if (!eq)
			return 2;
		*eq = '\0';
		if ((at = strchr(eq + 1, '@'))) {
			*at = '\0';
			prev[i - 2] = at + 1;
		}
		manifest_add_part(&m, argv[i], 0, 0, eq + 1);
	}
	int rc = manifest_seal(argv[0], &m, prev, &r, &e);
	manifest_release(&m);
	free(prev);
	return rc < 0 ? fail(&e) : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "seal"))
		return seal_cmd(argc - 2, argv + 2);
	if (argc == 6 && !strcmp(argv[1], "dump"))
		return dump_cmd(argv + 2);
	if (argc >= 3 && !strcmp(argv[1], "gzip"))
		return gzip_cmd(argv[2], argc > 3 ? atoi(argv[3]) : 0);
	fprintf(stderr, "usage: backup-driver gzip OUT [THREADS]\n"
			"       backup-driver dump CONNINFO DBNAME DIR PREFIX\n"
			"       backup-driver seal ROOT ID NAME=PATH[@PREV]...\n");
	return 2;
}
