/*
 * replay_pgrestore: custom-format ("PGDMP") and tar-format dumps are not
 * SQL; they are handed to pg_restore with the replay's connection (see
 * replay.h).
 *
 * pg_restore gets the target as a conninfo string in -d, without the
 * password: that goes in PGPASSWORD in the child's environment, never on
 * its command line (visible to every user in ps).  --no-password keeps it
 * from prompting.  It runs with --verbose; each of its lines goes to the
 * log as it prints (errors at LOG_ERROR) and becomes the progress label.
 * Stop mode adds --exit-on-error; --single-transaction and --jobs (custom
 * format only, as pg_restore can) are passed on.
 */
#include "config.h"
#include "i18n.h"
#include "replay_int.h"
#include "report.h"
#include "runcmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pgr {
	struct report *r;
	struct replay_stats *st;
	struct strbuf first_error;
	uint64_t lines;
};

static void on_line(void *ctx, int is_stderr, const char *line)
{
	struct pgr *g = ctx;
	struct progress p = { 0 };
	int error = strstr(line, "error: ") != NULL;
	(void)is_stderr;
	if (error) {
		g->st->errors++;
		if (!g->first_error.len)
			strbuf_addstr(&g->first_error, line);
	}
	if (strstr(line, "warning: "))
		g->st->warnings++;
	report_log(g->r, error ? LOG_ERROR : LOG_INFO, "pg_restore: %s",
		   !strncmp(line, "pg_restore: ", 12) ? line + 12 : line);
	g->lines++;
	p.phase = N_("pg_restore");
	p.done_items = g->lines;
	p.current = line;
	report_progress(g->r, &p, 0);
}

/* libpq conninfo value quoting: 'value' with \ and ' escaped. */
static void add_quoted(struct strbuf *sb, const char *v)
{
	strbuf_addch(sb, '\'');
	for (; *v; v++) {
		if (*v == '\'' || *v == '\\')
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, *v);
	}
	strbuf_addch(sb, '\'');
}

int replay_pgrestore(const struct replay_opts *o, int tar, struct report *r,
		     struct replay_stats *st, struct err *e)
{
	PQconninfoOption *params, *opt;
	char *errmsg = NULL;
	struct strbuf conninfo = STRBUF_INIT, jobs = STRBUF_INIT, pw = STRBUF_INIT;
	const char *argv[16];
	const char *env[2] = { NULL, NULL };
	struct child_process cp;
	struct pgr g;
	int n = 0, status = 0, rc;
	const char *name = o->display_name ? o->display_name : o->dump_path;

	params = PQconninfoParse(o->conninfo ? o->conninfo : "", &errmsg);
	if (!params) {
		err_set(e, "invalid connection string: %s", errmsg ? errmsg : "out of memory");
		PQfreemem(errmsg);
		return -1;
	}
	for (opt = params; opt->keyword; opt++) {
		if (!opt->val || !*opt->val)
			continue;
		if (!strcmp(opt->keyword, "password")) {
			strbuf_addf(&pw, "PGPASSWORD=%s", opt->val);
			env[0] = pw.buf;
			continue;
		}
		if (conninfo.len)
			strbuf_addch(&conninfo, ' ');
		strbuf_addf(&conninfo, "%s=", opt->keyword);
		add_quoted(&conninfo, opt->val);
	}
	PQconninfoFree(params);

	argv[n++] = "pg_restore";
	argv[n++] = "--verbose";
	argv[n++] = "--no-password";
	argv[n++] = "-d";
	argv[n++] = conninfo.buf;
	if (o->on_error_stop)
		argv[n++] = "--exit-on-error";
	if (o->single_transaction)
		argv[n++] = "--single-transaction";
	else if (o->jobs > 1 && !tar) {
		strbuf_addf(&jobs, "--jobs=%d", o->jobs);
		argv[n++] = jobs.buf;
	}
	argv[n++] = o->dump_path;
	argv[n] = NULL;

	report_log(r, LOG_INFO, "%s is a %s-format dump: restoring it with pg_restore", name,
		   tar ? "tar" : "custom");
	memset(&g, 0, sizeof(g));
	g.r = r;
	g.st = st;
	strbuf_init(&g.first_error, 0);
	memset(&cp, 0, sizeof(cp));
	cp.argv = argv;
	cp.env = env[0] ? env : NULL;
	cp.on_line = on_line;
	cp.ctx = &g;
	cp.report = r;
	rc = runcmd_run(&cp, &status, e);
	if (rc < 0) {
		if (!report_cancelled(r))
			err_hint(e, "%s is a %s-format dump, which only pg_restore reads. Install the "
				 "PostgreSQL client tools (pg_restore of the dump's version or newer), or "
				 "run: pg_restore -d DBNAME %s", name, tar ? "tar" : "custom", name);
	} else if (rc > 0) {
		if (!st->errors)
			st->errors = 1;
		err_set(e, "pg_restore failed (exit status %d) on %s", status, name);
		if (g.first_error.len)
			err_detail(e, "first error: %s", g.first_error.buf);
		err_hint(e, "The log has every line pg_restore printed.%s",
			 o->on_error_stop ? "" : " In continue mode it goes on after errors and "
			 "exits non-zero at the end.");
		err_where(e, name, 0, -1);
	}
	strbuf_release(&g.first_error);
	strbuf_release(&conninfo);
	strbuf_release(&jobs);
	strbuf_release(&pw);
	return err_isset(e) ? -1 : 0;
}
