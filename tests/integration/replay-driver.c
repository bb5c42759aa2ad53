/*
 * replay-driver: a small front end to replay_run() and dumpinfo_scan() for
 * the integration tests (the real CLI is biso-recover db-restore).
 *
 *   replay-driver [--continue] [--single-transaction] [--jobs N] [--check]
 *                 [--info] [--split-min BYTES] [--progress] CONNINFO DUMP
 *   replay-driver --inspect DUMP
 *
 * --progress prints every progress report to stderr as "PROGRESS DONE/TOTAL
 * CURRENT", on a fake clock that lets each one pass the throttle.
 *
 * Log lines go to stderr as "LEVEL: text"; the final error (if any) is
 * printed with err_format(); statistics go to stdout.  Exit 0 on success,
 * 1 on failure, 2 on usage errors.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dumpinfo.h"
#include "err.h"
#include "replay.h"
#include "report.h"
#include "strbuf.h"

static void log_line(void *ctx, enum log_level level, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s: %s\n", log_level_name(level), line);
}

static void show_progress(void *ctx, const struct progress *p)
{
	(void)ctx;
	fprintf(stderr, "PROGRESS %llu/%llu %s\n", (unsigned long long)p->done_bytes,
		(unsigned long long)p->total_bytes, p->current ? p->current : "-");
}

/* A second per call: every report passes report_progress()'s throttle. */
static int64_t fake_clock(void)
{
	static int64_t ns;
	return ns += 1000000000;
}

static int inspect(const char *path)
{
	struct dumpinfo di;
	struct err e = ERR_INIT;
	struct report r = { .log = log_line };
	struct strbuf sb = STRBUF_INIT;
	if (dumpinfo_scan(path, &di, &r, &e) < 0) {
		err_format(&e, &sb);
		fprintf(stderr, "%s\n", sb.buf);
		return 1;
	}
	printf("pg_dump_version: %s\n", di.pg_dump_version ? di.pg_dump_version : "");
	printf("server_version: %s\n", di.server_version ? di.server_version : "");
	printf("restrict_key: %s\n", di.restrict_key ? "yes" : "no");
	printf("complete: %d\n", di.complete);
	for (size_t i = 0; i < di.n_types; i++)
		printf("type %s: %lu\n", di.types[i].type, (unsigned long)di.types[i].count);
	for (size_t i = 0; i < di.n_tables; i++)
		printf("table %s: rows=%llu bytes=%llu line=%ld%s\n", di.tables[i].name,
		       (unsigned long long)di.tables[i].rows, (unsigned long long)di.tables[i].bytes,
		       di.tables[i].line, di.tables[i].clustered ? " clustered" : "");
	dumpinfo_release(&di);
	return 0;
}

int main(int argc, char **argv)
{
	struct replay_opts o = { 0 };
	struct replay_stats st;
	struct err e = ERR_INIT;
	struct report r = { .log = log_line };
	int i = 1, rc, want_info = 0;
	struct dumpinfo di = { 0 };

	o.on_error_stop = 1;
	o.jobs = 1;
	if (argc == 3 && !strcmp(argv[1], "--inspect"))
		return inspect(argv[2]);
	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--continue"))
			o.on_error_stop = 0;
		else if (!strcmp(argv[i], "--single-transaction"))
			o.single_transaction = 1;
		else if (!strcmp(argv[i], "--jobs") && i + 1 < argc)
			o.jobs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--check"))
			o.check_hint = "(the dump check refused it)";
		else if (!strcmp(argv[i], "--info"))
			want_info = 1; /* scanned before, as the restore step does */
		else if (!strcmp(argv[i], "--split-min") && i + 1 < argc)
			o.split_min = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--progress")) {
			r.progress = show_progress;
			report_set_clock(fake_clock);
		} else
			break;
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: replay-driver [--continue] [--single-transaction] [--jobs N] [--check] "
				"[--info] [--split-min BYTES] [--progress] CONNINFO DUMP\n"
				"       replay-driver --inspect DUMP\n");
		return 2;
	}
	o.conninfo = argv[i];
	o.dump_path = argv[i + 1];
	if (want_info) {
		if (dumpinfo_scan(o.dump_path, &di, NULL, &e) < 0) {
			fprintf(stderr, "FAILED: --info: %s\n", e.msg);
			return 1;
		}
		o.info = &di;
	}
	rc = replay_run(&o, &r, &st, &e);
	dumpinfo_release(&di);
	printf("statements=%llu copy_blocks=%llu copy_rows=%llu skipped_rows=%llu errors=%llu "
	       "warnings=%llu bytes_read=%llu bytes_sql=%llu\n",
	       (unsigned long long)st.statements, (unsigned long long)st.copy_blocks,
	       (unsigned long long)st.copy_rows, (unsigned long long)st.copy_rows_skipped,
	       (unsigned long long)st.errors, (unsigned long long)st.warnings,
	       (unsigned long long)st.bytes_read, (unsigned long long)st.bytes_sql);
	if (rc < 0) {
		struct strbuf sb = STRBUF_INIT;
		err_format(&e, &sb);
		fprintf(stderr, "FAILED: %s\n", sb.buf);
		strbuf_release(&sb);
		err_clear(&e);
		return 1;
	}
	/* continue mode: the replay ran to the end, but errors are a failure
	 * for the tests, as psql -v ON_ERROR_STOP=0 ends 0 yet printed them */
	return st.errors ? 1 : 0;
}
