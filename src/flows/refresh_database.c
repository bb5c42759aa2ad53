/* refresh_database: the refresh's second step, the test database replaced
 * by production's dump through <db>_restoring and a swap (dbreplace.h, as
 * the restore does), the test's rows of refresh.keep_tables put back
 * before the swap, the previous test database dropped after it unless
 * --keep-old; see refresh.h. */
#include "config.h"
#include "i18n.h"
#include "refresh_int.h"
#include "conf.h"
#include "conninfo.h"
#include "dbadmin.h"
#include "dbreplace.h"
#include "replay.h"
#include "strbuf.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

static void database_describe(const struct run *run, struct strbuf *out)
{
	const struct refresh *rf = refresh_of(run);
	const struct conf *c = rf->conf;
	strbuf_addf(out, _("source: %s\ntarget: database \"%s\" (staging \"%s_restoring\")\n"),
		    rf_orq(rf->dump), rf_orq(rf->dbname), rf_orq(rf->dbname));
	if (c->refresh.keep_tables[0]) {
		strbuf_addstr(out, _("keeps:  the test system's rows of"));
		for (char **t = c->refresh.keep_tables; *t; t++)
			strbuf_addf(out, " %s", *t);
		strbuf_addch(out, '\n');
	}
}

static int database_destructive(const struct run *run, struct strbuf *what)
{
	const struct refresh *rf = refresh_of(run);
	if (what)
		strbuf_addf(what, rf->conf->refresh.keep_old
			    ? _("replaces the test database \"%s\" with production's dump %s (the old "
				"one is kept as <db>_pre_refresh_<time>)")
			    : _("replaces the test database \"%s\" with production's dump %s (the old "
				"one is dropped once the new one is in place)"),
			    rf_orq(rf->dbname), rf_orq(rf->dump));
	return 1;
}

static const char *database_confirm_word(const struct run *run)
{
	return refresh_of(run)->dbname;
}

/* "schema"."table" or "table", quoted for SQL; NULL with @e. */
static char *quote_table(PGconn *c, const char *name, struct err *e)
{
	const char *dot = strchr(name, '.');
	char *a, *b = NULL, *q;
	if (dot) {
		char *schema = xstrndup(name, (size_t)(dot - name));
		a = PQescapeIdentifier(c, schema, strlen(schema));
		free(schema);
		b = PQescapeIdentifier(c, dot + 1, strlen(dot + 1));
	} else {
		a = PQescapeIdentifier(c, name, strlen(name));
	}
	if (!a || (dot && !b)) {
		dbadmin_result_error(c, NULL, e);
		PQfreemem(a);
		PQfreemem(b);
		return NULL;
	}
	q = b ? xstrfmt("%s.%s", a, b) : xstrdup(a);
	PQfreemem(a);
	PQfreemem(b);
	return q;
}

/* The columns of @table on @c as a quoted list ("id, kunde, wert"), or
 * NULL when the table does not exist (*@missing 1) or on an error (@e). */
static char *table_columns(PGconn *c, const char *table, int *missing, struct err *e)
{
	PGresult *res = dbadmin_query1(c, "SELECT string_agg(quote_ident(attname), ', ' ORDER BY "
				       "attnum) FROM pg_attribute WHERE attrelid = to_regclass($1) "
				       "AND attnum > 0 AND NOT attisdropped AND attgenerated = ''",
				       table, e);
	char *cols = NULL;
	*missing = 0;
	if (!res)
		return NULL;
	if (PQgetisnull(res, 0, 0))
		*missing = 1;
	else
		cols = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return cols;
}

/* Copy the rows of @table from @from into @to (emptied first), streamed
 * through COPY.  0, or -1 with @e. */
static int copy_rows(PGconn *from, PGconn *to, const char *table, const char *cols,
		     long *rows, struct err *e)
{
	char *qt = quote_table(to, table, e), *sql = NULL, *buf;
	PGresult *res;
	int n, ret = -1;

	*rows = 0;
	if (!qt)
		return -1;
	sql = xstrfmt("BEGIN; DELETE FROM %s", qt);
	if (dbadmin_exec(to, sql, e) < 0)
		goto out;
	free(sql);
	sql = xstrfmt("COPY %s (%s) FROM STDIN", qt, cols);
	res = PQexec(to, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		dbadmin_result_error(to, res, e);
		PQclear(res);
		goto out;
	}
	PQclear(res);
	free(sql);
	sql = xstrfmt("COPY %s (%s) TO STDOUT", qt, cols);
	res = PQexec(from, sql);
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		dbadmin_result_error(from, res, e);
		PQclear(res);
		PQputCopyEnd(to, "source failed");
		goto drain;
	}
	PQclear(res);
	while ((n = PQgetCopyData(from, &buf, 0)) > 0) {
		int ok = PQputCopyData(to, buf, n) == 1;
		PQfreemem(buf);
		if (!ok)
			break;
		(*rows)++;
	}
	res = PQgetResult(from);
	if (n != -1 || PQresultStatus(res) != PGRES_COMMAND_OK) {
		dbadmin_result_error(from, res, e);
		PQclear(res);
		while ((res = PQgetResult(from)))
			PQclear(res);
		PQputCopyEnd(to, "source failed");
		goto drain;
	}
	PQclear(res);
	while ((res = PQgetResult(from)))
		PQclear(res);
	if (PQputCopyEnd(to, NULL) != 1) {
		dbadmin_result_error(to, NULL, e);
		goto drain;
	}
	res = PQgetResult(to);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		dbadmin_result_error(to, res, e);
		PQclear(res);
		goto drain;
	}
	PQclear(res);
	while ((res = PQgetResult(to)))
		PQclear(res);
	ret = dbadmin_exec(to, "COMMIT", e);
	goto out;
drain:
	while ((res = PQgetResult(to)))
		PQclear(res);
	PQclear(PQexec(to, "ROLLBACK"));
out:
	free(sql);
	free(qt);
	return ret;
}

/* dbreplace's hook before the swap: the test system's rows of each
 * refresh.keep_tables table, copied from the live test database into the
 * new one (which holds production's). */
static int keep_tables(void *ctx, const char *staging_ci, struct report *r, struct err *e)
{
	struct refresh *rf = ctx;
	char **tables = rf->conf->refresh.keep_tables;
	PGconn *live = NULL, *to = NULL;
	int ret = -1;

	if (!tables[0])
		return 0;
	if (!(live = dbadmin_connect(rf->conninfo, e)) || !(to = dbadmin_connect(staging_ci, e)))
		goto out;
	for (char **t = tables; *t; t++) {
		int missing = 0;
		long rows = 0;
		char *cols = table_columns(live, *t, &missing, e);
		if (!cols && missing) {
			report_log(r, LOG_WARN, "keep table %s: the test database has no such table; "
				   "production's rows stay", *t);
			continue;
		}
		if (!cols)
			goto out;
		if (copy_rows(live, to, *t, cols, &rows, e) < 0) {
			free(cols);
			err_prefix(e, "cannot keep the test system's rows of %s", *t);
			goto out;
		}
		free(cols);
		report_log(r, LOG_INFO, "kept the test system's %ld row(s) of %s", rows, *t);
	}
	ret = 0;
out:
	if (live)
		PQfinish(live);
	if (to)
		PQfinish(to);
	return ret;
}

static int database_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct refresh *rf = refresh_of(run);
	const struct conf *c = rf->conf;
	struct dbreplace_opts o = { 0 };
	struct dbreplace_result res = { 0 };
	struct replay_stats stats = { 0 };
	char *keep = xstrfmt("%s_pre_refresh_%s", rf->dbname, rf->stamp);
	int ret;

	o.conf = c;
	o.stamp = rf->stamp;
	o.admin_conninfo = rf->admin_conninfo;
	o.conninfo = rf->conninfo;
	o.dbname = rf->dbname;
	o.dump = rf->dump;
	/* the dump is checked beside the replay, not read twice: a cut dump
	 * is refused before the swap and the test database stays */
	o.check_hint = N_("Take another dump of production (--dump FILE, --at).");
	o.jobs = c->database.jobs > 0 ? c->database.jobs : 2;
	o.keep_as = keep;
	o.before_swap = keep_tables;
	o.ctx = rf;
	out->source = xstrdup(rf->dump);
	ret = dbreplace_run(&o, out, &stats, &res, r, e);
	free(keep);
	if (ret < 0) {
		free(res.kept_as);
		return -1;
	}
	rf->old_db = res.kept_as;
	if (rf->old_db && !c->refresh.keep_old) {
		PGconn *admin = dbadmin_connect(rf->admin_conninfo, e);
		if (!admin || dbadmin_drop(admin, rf->old_db, e) < 0) {
			if (admin)
				PQfinish(admin);
			report_log(r, LOG_WARN, "the previous test database \"%s\" could not be dropped: "
				   "%s", rf->old_db, e->msg);
			err_clear(e);
			out->kept_as = xstrdup(rf->old_db);
		} else {
			PQfinish(admin);
			report_log(r, LOG_INFO, "dropped the previous test database (\"%s\")", rf->old_db);
		}
	} else if (rf->old_db) {
		out->kept_as = xstrdup(rf->old_db);
	}
	/* English for the log, and the screen's translation */
	for (int l10n = 0; l10n < 2; l10n++) {
		struct strbuf sb = STRBUF_INIT;
		int was = i18n_english(!l10n);
		unsigned long long n = stats.copy_rows;
		strbuf_addf(&sb, P_("%llu COPY row", "%llu COPY rows", n), n);
		n = stats.copy_blocks;
		strbuf_addf(&sb, P_(" in %llu table", " in %llu tables", n), n);
		i18n_english(was);
		*(l10n ? &out->summary_l10n : &out->summary) = strbuf_detach(&sb, NULL);
	}
	return 0;
}

const struct step_def refresh_step_database = {
	.name = "database",
	.title = N_("Replace the test database"),
	.explain = N_("Creates <db>_restoring, replays production's plain-format dump into it (checked "
		"beside the replay), puts back the test system's rows of the kept tables, and only "
		"then swaps it in; the previous test database is dropped unless --keep-old. A failed "
		"replay leaves the test database as it was."),
	.flags = STEP_F_STOPS_SERVICES | STEP_F_DATABASE,
	.describe = database_describe,
	.destructive = database_destructive,
	.confirm_word = database_confirm_word,
	.confirm_label = N_("the database name"),
	.run = database_run,
};
