/* dbadmin: create, check, swap and analyze databases; see dbadmin.h. */
#include "config.h"
#include "dbadmin.h"
#include "err.h"
#include "fault.h"
#include "report.h"
#include "strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <unistd.h>

/* Server notices must never reach stderr (the wizard owns the screen):
 * forward them to the report the connection was opened for, if any. */
static void notice_to_report(void *arg, const PGresult *res)
{
	struct report *r = arg;
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (!r || !msg)
		return;
	report_log(r, sev && !strcmp(sev, "WARNING") ? LOG_WARN : LOG_INFO, "server: %s", msg);
}

PGconn *dbadmin_connect_report(const char *conninfo, struct report *r, struct err *e)
{
	PGconn *c = dbadmin_connect(conninfo, e);
	if (c)
		PQsetNoticeReceiver(c, notice_to_report, r);
	return c;
}

PGconn *dbadmin_connect(const char *conninfo, struct err *e)
{
	PGconn *c = PQconnectdb(conninfo);
	if (!c) {
		err_set(e, "cannot allocate a database connection");
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addstr(&sb, PQerrorMessage(c));
		strbuf_rtrim(&sb);
		err_set(e, "cannot connect to database \"%s\" (host %s, port %s)",
			PQdb(c) ? PQdb(c) : "?", PQhost(c) ? PQhost(c) : "default",
			PQport(c) ? PQport(c) : "default");
		err_detail(e, "%s", sb.buf);
		err_hint(e, "Check the database settings in config.php or database.conninfo, "
			    "and that the server is running.");
		strbuf_release(&sb);
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeReceiver(c, notice_to_report, NULL);
	/* Messages from the server in a stable language for the log. */
	PQclear(PQexec(c, "SET lc_messages TO 'C'"));
	return c;
}

int dbadmin_result_error(PGconn *c, PGresult *res, struct err *e)
{
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (msg) {
		const char *d = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		const char *h = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
		err_set(e, "%s", msg);
		if (d)
			err_detail(e, "%s", d);
		if (h)
			err_hint(e, "%s", h);
	} else {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addstr(&sb, PQerrorMessage(c));
		strbuf_rtrim(&sb);
		err_set(e, "%s", sb.len ? sb.buf : "unknown database error");
		strbuf_release(&sb);
	}
	return -1;
}

int dbadmin_exec(PGconn *c, const char *sql, struct err *e)
{
	PGresult *res = PQexec(c, sql);
	int st = PQresultStatus(res);
	int ret = 0;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		ret = dbadmin_result_error(c, res, e);
	PQclear(res);
	return ret;
}

PGresult *dbadmin_query1(PGconn *c, const char *sql, const char *param, struct err *e)
{
	const char *params[1] = { param };
	PGresult *res = PQexecParams(c, sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		dbadmin_result_error(c, res, e);
		PQclear(res);
		return NULL;
	}
	return res;
}

int dbadmin_exists(PGconn *c, const char *dbname, int *exists, struct err *e)
{
	PGresult *res = dbadmin_query1(c, "SELECT 1 FROM pg_database WHERE datname = $1", dbname, e);
	if (!res)
		return -1;
	*exists = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}

/* Append @s to @sb quoted by libpq as an identifier (@ident) or a literal;
 * -1 with @e if libpq refuses it (e.g. invalid encoding). */
static int add_quoted(PGconn *c, struct strbuf *sb, const char *s, int ident, struct err *e)
{
	char *q = ident ? PQescapeIdentifier(c, s, strlen(s)) : PQescapeLiteral(c, s, strlen(s));
	if (!q)
		return dbadmin_result_error(c, NULL, e);
	strbuf_addstr(sb, q);
	PQfreemem(q);
	return 0;
}
#define add_ident(c, sb, s, e) add_quoted((c), (sb), (s), 1, (e))
#define add_literal(c, sb, s, e) add_quoted((c), (sb), (s), 0, (e))

int dbadmin_check_create(PGconn *c, const char *probe, const struct dbadmin_create_opts *o,
			 struct err *e)
{
	struct err inner = ERR_INIT;
	const char *msg;
	if (dbadmin_create(c, probe, o, &inner) == 0) {
		int ret = dbadmin_drop(c, probe, e);
		if (ret < 0)
			err_hint(e, "Drop the empty probe database \"%s\" by hand.", probe);
		return ret;
	}
	msg = inner.msg ? inner.msg : "";
	if (strstr(msg, "invalid locale name")) {
		const char *bad = o->lc_collate && strstr(msg, o->lc_collate) ? o->lc_collate
				  : o->lc_ctype ? o->lc_ctype : "?";
		err_set(e, "the database server has no locale \"%s\"", bad);
		err_detail(e, "%s", msg);
		/* de_CH.utf8 is listed as de_CH.UTF-8 in /etc/locale.gen. */
		struct strbuf gen = STRBUF_INIT;
		const char *dot = strchr(bad, '.');
		if (dot && !strcasecmp(dot + 1, "utf8"))
			strbuf_addf(&gen, "%.*s.UTF-8", (int)(dot - bad), bad);
		else
			strbuf_addstr(&gen, bad);
		err_hint(e, "On the database server: enable %s in /etc/locale.gen (or "
			    "dpkg-reconfigure locales), run locale-gen, then restart PostgreSQL; or set "
			    "database.lc_collate and database.lc_ctype to a locale that exists.", gen.buf);
		strbuf_release(&gen);
	} else {
		err_set(e, "the database server refuses CREATE DATABASE ... ENCODING %s LC_COLLATE %s "
			"LC_CTYPE %s%s%s, which the database step needs", o->encoding ? o->encoding : "(default)",
			o->lc_collate ? o->lc_collate : "(default)",
			o->lc_ctype ? o->lc_ctype : "(default)", o->owner ? " OWNER " : "",
			o->owner ? o->owner : "");
		err_detail(e, "%s%s%s", msg, inner.detail ? ": " : "", inner.detail ? inner.detail : "");
		err_hint(e, "%s", inner.hint ? inner.hint :
			 "The admin connection (database.admin_conninfo) needs CREATEDB and "
			 "membership in the owner role; check database.encoding, lc_collate, lc_ctype "
			 "and owner.");
	}
	err_clear(&inner);
	return -1;
}

int dbadmin_create(PGconn *c, const char *dbname, const struct dbadmin_create_opts *o,
		   struct err *e)
{
	struct strbuf sql = STRBUF_INIT;
	int ret = -1;

	strbuf_addstr(&sql, "CREATE DATABASE ");
	if (add_ident(c, &sql, dbname, e) < 0)
		goto out;
	strbuf_addstr(&sql, " TEMPLATE template0");
	{
		const struct { const char *kw, *val; int ident; } opt[] = {
			{ " OWNER ", o->owner, 1 },
			{ " ENCODING ", o->encoding, 0 },
			{ " LC_COLLATE ", o->lc_collate, 0 },
			{ " LC_CTYPE ", o->lc_ctype, 0 },
		};
		for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++) {
			if (!opt[i].val || !*opt[i].val)
				continue;
			strbuf_addstr(&sql, opt[i].kw);
			if (add_quoted(c, &sql, opt[i].val, opt[i].ident, e) < 0)
				goto out;
		}
	}
	ret = dbadmin_exec(c, sql.buf, e);
	if (ret < 0)
		err_prefix(e, "cannot create database \"%s\"", dbname);
out:
	strbuf_release(&sql);
	return ret;
}

int dbadmin_drop(PGconn *c, const char *dbname, struct err *e)
{
	struct strbuf sql = STRBUF_INIT;
	int ret = -1;
	strbuf_addstr(&sql, "DROP DATABASE IF EXISTS ");
	if (add_ident(c, &sql, dbname, e) == 0) {
		strbuf_addstr(&sql, " WITH (FORCE)");
		ret = dbadmin_exec(c, sql.buf, e);
		if (ret < 0)
			err_prefix(e, "cannot drop database \"%s\"", dbname);
	}
	strbuf_release(&sql);
	return ret;
}

/* ALTER DATABASE @from RENAME TO @to.  *@in_use (may be NULL) is set when
 * it failed because sessions are still connected to @from. */
static int rename_db(PGconn *c, const char *from, const char *to, int *in_use, struct err *e)
{
	struct strbuf sql = STRBUF_INIT;
	int ret = -1;
	if (in_use)
		*in_use = 0;
	strbuf_addstr(&sql, "ALTER DATABASE ");
	if (add_ident(c, &sql, from, e) == 0) {
		strbuf_addstr(&sql, " RENAME TO ");
		if (add_ident(c, &sql, to, e) == 0) {
			PGresult *res = PQexec(c, sql.buf);
			if (PQresultStatus(res) == PGRES_COMMAND_OK) {
				ret = 0;
			} else {
				const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
				/* 55006 another session is connected; 55P03 lock_timeout */
				if (in_use && state && !strcmp(state, "55006"))
					*in_use = 1;
				else if (in_use && state && !strcmp(state, "55P03"))
					*in_use = 2;
				dbadmin_result_error(c, res, e);
			}
			PQclear(res);
		}
	}
	if (ret < 0)
		err_prefix(e, "cannot rename database \"%s\" to \"%s\"", from, to);
	strbuf_release(&sql);
	return ret;
}

int dbadmin_allow_connections(PGconn *c, const char *db, int allow, struct err *e)
{
	struct strbuf sql = STRBUF_INIT;
	int ret = -1;
	strbuf_addstr(&sql, "ALTER DATABASE ");
	if (add_ident(c, &sql, db, e) == 0) {
		strbuf_addf(&sql, " WITH ALLOW_CONNECTIONS %s", allow ? "true" : "false");
		ret = dbadmin_exec(c, sql.buf, e);
	}
	strbuf_release(&sql);
	return ret;
}

/* The client sessions on @db (not this one), each as "pid N (user U,
 * application A, from ADDR)" joined by "; " into @out; with @terminate
 * ended by pg_terminate_backend() in the same query.  Returns their number,
 * or -1 with @e. */
static int sessions(PGconn *c, const char *db, int terminate, struct strbuf *out, struct err *e)
{
	PGresult *res = dbadmin_query1(c, terminate ?
		"SELECT pid, usename, application_name, client_addr, pg_terminate_backend(pid) "
		"FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() "
		"AND backend_type = 'client backend' ORDER BY pid" :
		"SELECT pid, usename, application_name, client_addr FROM pg_stat_activity "
		"WHERE datname = $1 AND pid <> pg_backend_pid() "
		"AND backend_type = 'client backend' ORDER BY pid", db, e);
	int n;
	if (!res)
		return -1;
	n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		const char *app = PQgetvalue(res, i, 2);
		strbuf_addf(out, "%spid %s (user %s, application %s, from %s)", i ? "; " : "",
			    PQgetvalue(res, i, 0),
			    PQgetisnull(res, i, 1) ? "(none)" : PQgetvalue(res, i, 1),
			    *app ? app : "(none)",
			    PQgetisnull(res, i, 3) ? "the local socket" : PQgetvalue(res, i, 3));
	}
	PQclear(res);
	return n;
}

int dbadmin_sessions(PGconn *c, const char *db, struct strbuf *out, struct err *e)
{
	return sessions(c, db, 0, out, e);
}

/* How long the swap's renames wait for another session's lock on the
 * database before the transaction fails and rolls back. */
#define SWAP_LOCK_TIMEOUT "10s"

/* The other sessions holding a granted lock on database @a or @b, or
 * whose open transaction changed its pg_database row (ALTER DATABASE: the
 * rename waits for that transaction to end) (best
 * effort: nothing is appended when the query fails), appended to @out as
 * "pid N (user U, application A, state S: QUERY)" joined by "; ".  Asked
 * after the rollback: pg_blocking_pids() needs the waiter, gone by then. */
static void lock_holders(PGconn *c, const char *a, const char *b, struct strbuf *out)
{
	const char *params[2] = { a, b };
	PGresult *res = PQexecParams(c,
		"SELECT DISTINCT l.pid, coalesce(s.usename, ''), coalesce(s.application_name, ''), "
		"coalesce(s.state, ''), left(coalesce(s.query, ''), 120) "
		"FROM pg_locks l JOIN pg_database d ON (l.locktype = 'object' "
		"AND l.classid = 'pg_database'::regclass AND l.objid = d.oid) "
		"OR (l.locktype = 'transactionid' AND l.transactionid = d.xmax) "
		"LEFT JOIN pg_stat_activity s ON s.pid = l.pid "
		"WHERE d.datname IN ($1, $2) AND l.granted AND l.pid <> pg_backend_pid() "
		"ORDER BY 1", 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		for (int i = 0; i < PQntuples(res); i++)
			strbuf_addf(out, "%spid %s (user %s, application %s, %s: %s)", i ? "; " : "",
				    PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
				    *PQgetvalue(res, i, 2) ? PQgetvalue(res, i, 2) : "-",
				    PQgetvalue(res, i, 3), PQgetvalue(res, i, 4));
	}
	PQclear(res);
}

int dbadmin_swap(PGconn *c, const char *dbname, const char *staging, const char *keep_as,
		 struct report *r, struct err *e)
{
	int exists = 0, n, in_use = 0;
	if (dbadmin_exists(c, dbname, &exists, e) < 0)
		return -1;
	fault_point("swap.database.before");
	/* Both renames in one transaction: a kill or a lost connection rolls
	 * both back.  ALTER DATABASE ... RENAME locks the database against new
	 * sessions until the commit, so no ALLOW_CONNECTIONS false is needed
	 * (it would outlive a killed run); it fails while a session is still
	 * connected, so sessions are ended and the transaction tried again. */
	for (int attempt = 0;; attempt++) {
		struct err rerr = ERR_INIT;
		in_use = 0;
		if (dbadmin_exec(c, "BEGIN", e) < 0)
			return -1;
		/* a session holding a lock on the database (an open ALTER
		 * DATABASE) would block the renames without end, deaf to SIGHUP */
		if (dbadmin_exec(c, "SET LOCAL lock_timeout = '" SWAP_LOCK_TIMEOUT "'", e) < 0)
			goto rollback;
		if (exists) {
			struct strbuf who = STRBUF_INIT;
			n = sessions(c, dbname, 1, &who, e);
			if (n > 0)
				report_log(r, LOG_INFO, "terminated %d session(s) on database \"%s\": %s",
					   n, dbname, who.buf);
			strbuf_release(&who);
			if (n < 0)
				goto rollback;
			if (rename_db(c, dbname, keep_as, &in_use, &rerr) < 0) {
				if (in_use == 1 && attempt < 9) {
					err_clear(&rerr);
					PQclear(PQexec(c, "ROLLBACK"));
					usleep(200000);
					continue;
				}
				err_move(e, &rerr);
				goto rollback;
			}
			in_use = 0;
			fault_point("swap.database.between");
		}
		if (rename_db(c, staging, dbname, &in_use, e) < 0)
			goto rollback;
		fault_point("swap.database.renamed");
		if (dbadmin_exec(c, "COMMIT", e) < 0) {
			err_prefix(e, "cannot swap database \"%s\" in", staging);
			return -1;
		}
		break;
	}
	fault_point("swap.database.after");
	if (exists)
		report_log(r, LOG_INFO, "kept the old database as \"%s\"", keep_as);
	return 0;
rollback:
	PQclear(PQexec(c, "ROLLBACK"));
	if (in_use == 2) {
		struct strbuf who = STRBUF_INIT;
		lock_holders(c, dbname, staging, &who);
		err_hint(e, "Another session holds a lock on the database%s%s; the old database "
			    "\"%s\" is kept as it was.  End that session (or wait for it) and run the "
			    "restore again.", who.len ? ": " : "", who.buf, dbname);
		strbuf_release(&who);
	}
	return -1;
}

int dbadmin_analyze(const char *conninfo, struct report *r, struct err *e)
{
	PGconn *c = dbadmin_connect_report(conninfo, r, e);
	int ret;
	if (!c)
		return -1;
	report_log(r, LOG_INFO, "running ANALYZE on \"%s\"", PQdb(c));
	/* A non-superuser owner gets one "only superuser can analyze it"
	 * warning per shared catalog: not worth the operator's attention. */
	PQclear(PQexec(c, "SET client_min_messages TO error"));
	ret = dbadmin_exec(c, "ANALYZE", e);
	PQfinish(c);
	return ret;
}

/* Split a name as pg_dump writes it in a COPY line (public.person,
 * public."Odd ""name""") into its unquoted parts.  Returns the number of
 * parts (1 or 2), 0 if malformed. */
int dbadmin_split_qualified_name(const char *s, char *parts[2])
{
	int n = 0;
	parts[0] = parts[1] = NULL;
	while (*s && n < 2) {
		struct strbuf sb = STRBUF_INIT;
		if (*s == '"') {
			for (s++; *s; s++) {
				if (*s == '"' && s[1] == '"') {
					strbuf_addch(&sb, '"');
					s++;
				} else if (*s == '"') {
					break;
				} else {
					strbuf_addch(&sb, *s);
				}
			}
			if (*s != '"') {
				strbuf_release(&sb);
				goto bad;
			}
			s++;
		} else {
			while (*s && *s != '.')
				strbuf_addch(&sb, *s++);
		}
		parts[n++] = strbuf_detach(&sb, NULL);
		if (*s == '.')
			s++;
		else if (*s)
			goto bad;
	}
	if (*s)
		goto bad;
	return n;
bad:
	free(parts[0]);
	free(parts[1]);
	parts[0] = parts[1] = NULL;
	return 0;
}


int dbadmin_try_lock(PGconn *c, const char *dbname, struct err *e)
{
	PGresult *res = dbadmin_query1(c,
		"SELECT pg_try_advisory_lock(hashtext('biso-recover ' || $1))", dbname, e);
	int ret = 0;
	if (!res)
		return -1;
	if (strcmp(PQgetvalue(res, 0, 0), "t")) {
		err_set(e, "another biso-recover is restoring database \"%s\" right now", dbname);
		err_hint(e, "Wait for it to finish; pg_stat_activity shows its session.");
		ret = -1;
	}
	PQclear(res);
	return ret;
}

int dbadmin_settings_differ(PGconn *c, const char *dbname, const char *encoding,
			    const char *lc_collate, const char *lc_ctype, struct strbuf *diff)
{
	PGresult *res = dbadmin_query1(c,
		"SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database "
		"WHERE datname = $1", dbname, NULL);
	const char *want[3] = { encoding, lc_collate, lc_ctype };
	const char *what[3] = { "encoding", "LC_COLLATE", "LC_CTYPE" };
	int differs = 0;
	if (!res)
		return -1;
	for (int i = 0; PQntuples(res) == 1 && i < 3; i++) {
		const char *have = PQgetvalue(res, 0, i);
		if (!want[i] || !*want[i] || !strcasecmp(have, want[i]))
			continue;
		/* "UTF8" and "utf-8" spellings of one locale are the same locale. */
		if (i > 0) {
			struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
			for (const char *p = have; *p; p++)
				if (*p != '-')
					strbuf_addch(&a, tolower((unsigned char)*p));
			for (const char *p = want[i]; *p; p++)
				if (*p != '-')
					strbuf_addch(&b, tolower((unsigned char)*p));
			int same = !strcmp(a.buf, b.buf);
			strbuf_release(&a);
			strbuf_release(&b);
			if (same)
				continue;
		}
		strbuf_addf(diff, "%shas %s %s, not %s", differs ? ", " : "", what[i], have, want[i]);
		differs = 1;
	}
	PQclear(res);
	return differs;
}

int dbadmin_tables_named(PGconn *c, char *const *names, size_t n, long *n_live, long *found,
			 struct err *e)
{
	/* Plain tables only: a partitioned table has no COPY block of its own. */
	PGresult *res = PQexec(c, "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
				  "ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname "
				  "NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE "
				  "'pg\\_toast%'");
	char *(*parts)[2];
	int *nparts;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		dbadmin_result_error(c, res, e);
		PQclear(res);
		return -1;
	}
	/* Unquote the names once; a malformed one matches nothing. */
	parts = xcalloc(n ? n : 1, sizeof *parts);
	nparts = xcalloc(n ? n : 1, sizeof *nparts);
	for (size_t i = 0; i < n; i++)
		nparts[i] = dbadmin_split_qualified_name(names[i], parts[i]);
	*n_live = PQntuples(res);
	*found = 0;
	for (int t = 0; t < PQntuples(res); t++) {
		const char *nsp = PQgetvalue(res, t, 0), *rel = PQgetvalue(res, t, 1);
		for (size_t i = 0; i < n; i++)
			if ((nparts[i] == 2 && !strcmp(parts[i][0], nsp) && !strcmp(parts[i][1], rel)) ||
			    (nparts[i] == 1 && !strcmp(parts[i][0], rel))) {
				(*found)++;
				break;
			}
	}
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < nparts[i]; k++)
			free(parts[i][k]);
	free(parts);
	free(nparts);
	PQclear(res);
	return 0;
}
