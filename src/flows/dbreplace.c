/* dbreplace: a database replaced by a new one replayed from a plain-format
 * dump, for the restore's and the refresh's database steps; see
 * dbreplace.h. */
#include "config.h"
#include "dbreplace.h"
#include "conf.h"
#include "conninfo.h"
#include "dbadmin.h"
#include "journal.h"
#include "replay.h"
#include "strbuf.h"
#include "verify.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <sys/statvfs.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *orq(const char *s)
{
	return s ? s : "(unknown)";
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

int dbreplace_run(const struct dbreplace_opts *o, struct step_out *so, struct replay_stats *stats,
		  struct dbreplace_result *res, struct report *r, struct err *e)
{
	const struct conf *c = o->conf;
	const char *dump = o->dump, *dbname = o->dbname, *conninfo = o->conninfo;
	struct dbadmin_create_opts co = { 0 };
	struct replay_opts ro = { 0 };
	char *staging = xstrfmt("%s_restoring", dbname);
	const char *keep = o->keep_as;
	char *staging_ci = NULL, *owner = NULL;
	PGconn *admin = NULL;
	int exists = 0, ret = -1;

	if (!(admin = dbadmin_connect_report(o->admin_conninfo, r, e))) {
		err_hint(e, "Check database.admin_conninfo (default: the target conninfo with "
			    "dbname=postgres); it needs CREATEDB and may be a superuser.");
		goto out;
	}
	/* One restore of a database at a time, across machines too. */
	if (dbadmin_try_lock(admin, dbname, e) < 0)
		goto out;
	/* The locale and the live database's settings were checked by
	 * restore_preflight(), which every front end runs first. */
	if (dbadmin_exists(admin, staging, &exists, e) < 0)
		goto out;
	if (exists) {
		report_log(r, LOG_WARN, "dropping \"%s\" left over from an earlier attempt", staging);
		if (dbadmin_drop(admin, staging, e) < 0)
			goto out;
	}
	owner = nonempty(c->database.owner) ? xstrdup(c->database.owner) : conninfo_get(conninfo, "user");
	co.owner = owner;
	co.encoding = c->database.encoding;
	co.lc_collate = c->database.lc_collate;
	co.lc_ctype = c->database.lc_ctype;
	if (owner)
		report_log(r, LOG_INFO, "creating database \"%s\" (owner %s, %s, %s)", staging, owner,
			   orq(co.encoding), orq(co.lc_collate));
	else
		report_log(r, LOG_INFO, "creating database \"%s\" (owned by the connecting user, %s, "
			   "%s)", staging, orq(co.encoding), orq(co.lc_collate));
	if (dbadmin_create(admin, staging, &co, e) < 0)
		goto out;

	if (!(staging_ci = conninfo_with_dbname(conninfo, staging, e)))
		goto out;
	ro.conninfo = staging_ci;
	ro.dump_path = dump;
	ro.on_error_stop = (c->database.on_error != CONF_ON_ERROR_CONTINUE);
	ro.jobs = o->jobs;
	ro.info = o->info; /* weighs the post-data work */
	ro.check_hint = o->check_hint;
	report_log(r, LOG_INFO, "replaying %s into \"%s\"", dump, staging);
	if (replay_run(&ro, r, stats, e) < 0) {
		so->err_logged = stats->errors > 0;
		if (stats->conn_lost)
			/* the server went away (issue 16.7: its disk filled and
			 * it stayed down): say only what is known */
			report_log(r, LOG_ERROR, "the server went away during the replay, at line %ld "
				   "of %s; nothing was swapped: \"%s\" was not renamed by this run; "
				   "look in the PostgreSQL server log and at the free disk space of its "
				   "data directory, and check that it accepts connections again before "
				   "the next attempt (which drops \"%s\")", stats->conn_lost_line, dump,
				   dbname, staging);
		else
			report_log(r, LOG_ERROR, "the replay failed; the live database \"%s\" is "
				   "untouched; \"%s\" is left for inspection and dropped on the next "
				   "attempt", dbname, staging);
		/* the summary says it too (newcomer 8.2: only the log did) */
		if (!stats->conn_lost && e->hint)
			err_hint(e, "%s The live database \"%s\" is untouched; \"%s\" is left for "
				 "inspection and dropped by the next attempt.", e->hint, dbname, staging);
		else if (!stats->conn_lost)
			err_hint(e, "The live database \"%s\" is untouched; \"%s\" is left for "
				 "inspection and dropped by the next attempt.", dbname, staging);
		goto out;
	}
	if (stats->errors) {
		/* on_error = continue: the operator chose to go past errors. */
		report_log(r, LOG_WARN, "the replay had %llu error(s), went on as configured "
			   "(on_error = continue)", (unsigned long long)stats->errors);
		so->went_past = 1;
	}
	report_log(r, LOG_INFO, "replayed %llu statements, %llu COPY rows",
		   (unsigned long long)stats->statements, (unsigned long long)stats->copy_rows);
	/* Compare row counts with the dump before the swap: a database that
	 * lost rows never replaces the live one. */
	{
		PGconn *sdb = dbadmin_connect(staging_ci, e);
		unsigned tables = 0;
		int complete = 0, bad;
		if (!sdb)
			goto out;
		bad = verify_row_counts(sdb, dump, o->info, r,
					 LOG_ERROR, &tables, &complete, e);
		PQfinish(sdb);
		if (bad < 0)
			goto out;
		if (bad) {
			err_set(e, "%d of %u tables in \"%s\" have other row counts than their COPY "
				"blocks in %s", bad, tables, staging, dump);
			err_hint(e, "The live database \"%s\" was not touched; the tables are listed "
				 "in the log.", dbname);
			goto out;
		}
		if (!complete) {
			/* A dump cut after its data section restores without indexes,
			 * keys and triggers, and still has every row. */
			err_set(e, "%s has no \"dump complete\" trailer: it was cut off", dump);
			err_detail(e, "Everything after the cut (indexes, keys, constraints, triggers "
				      "usually come last) is missing from \"%s\".", staging);
			err_hint(e, "The live database \"%s\" was not touched. Use an older, complete "
				    "dump (biso-recover db-inspect DUMP shows what one holds).", dbname);
			goto out;
		}
		report_log(r, LOG_INFO, "row counts of all %u tables equal their COPY blocks", tables);
		res->tables = tables;
	}
	if (o->before_swap && o->before_swap(o->ctx, staging_ci, r, e) < 0) {
		if (!e->hint)
			err_hint(e, "The live database \"%s\" was not touched; \"%s\" is dropped on "
				    "the next attempt.", dbname, staging);
		goto out;
	}
	if (dbadmin_exists(admin, dbname, &exists, e) < 0)
		goto out;
	/* The last moment to stop: after the swap there is nothing to abort. */
	if (report_cancelled(r)) {
		err_set(e, "aborted before the swap: %s", report_stop_reason(r));
		err_hint(e, "The live database \"%s\" was not touched; \"%s\" holds the restored "
			    "data and is dropped on the next attempt.", dbname, staging);
		goto out;
	}
	if (dbreplace_swap(admin, c->log_dir, o->stamp, dbname, staging, keep, r, e) < 0)
		goto out;
	report_log(r, LOG_INFO, "database \"%s\" is now the restored one", dbname);
	if (exists)
		res->kept_as = xstrdup(keep);
	/* ANALYZE failing is no reason to undo a good restore. */
	{
		struct err aerr = ERR_INIT;
		struct progress ap = { "ANALYZE", 0, 0, 0, 0, dbname }; /* the last phase */
		report_progress(r, &ap, 1);
		if (dbadmin_analyze(conninfo, r, &aerr) < 0) {
			err_prefix(&aerr, "ANALYZE failed");
			report_log_l10n(r, LOG_WARN, aerr.lmsg, "%s", aerr.msg);
		}
		err_clear(&aerr);
	}
	ret = 0;
out:
	if (admin)
		PQfinish(admin);
	free(staging);
	free(staging_ci);
	free(owner);
	return ret;
}

int dbreplace_check_create(PGconn *admin, const struct conf *c, const char *conninfo,
			   const char *dbname, struct err *e)
{
	struct dbadmin_create_opts co = { 0 };
	char *owner = nonempty(c->database.owner) ? xstrdup(c->database.owner)
						   : conninfo_get(conninfo, "user");
	char *probe = xstrfmt("%s_localeprobe_%ld", dbname, (long)getpid());
	int ret;
	co.owner = nonempty(owner);
	co.encoding = nonempty(c->database.encoding);
	co.lc_collate = nonempty(c->database.lc_collate);
	co.lc_ctype = nonempty(c->database.lc_ctype);
	ret = dbadmin_check_create(admin, probe, &co, e);
	free(probe);
	free(owner);
	return ret;
}

int dbreplace_swap(PGconn *admin, const char *log_dir, const char *stamp, const char *dbname,
		   const char *in, const char *keep, struct report *r, struct err *e)
{
	struct err jerr = ERR_INIT;
	int swapped, jret = 0;

	if (journal_begin(log_dir, stamp, JOURNAL_DATABASE, dbname, keep, in, e) < 0)
		return -1;
	swapped = dbadmin_swap(admin, dbname, in, keep, r, e);
	/* "done" only once the transaction committed; one that rolled back is
	 * "failed"; a lost connection (did the COMMIT arrive?) leaves the
	 * entry open for the next run to look at */
	if (swapped == 0)
		jret = journal_done(log_dir, stamp, JOURNAL_DATABASE, dbname, &jerr);
	else if (PQstatus(admin) == CONNECTION_OK && PQtransactionStatus(admin) == PQTRANS_IDLE)
		jret = journal_failed(log_dir, stamp, JOURNAL_DATABASE, dbname, &jerr);
	if (jret < 0)
		report_log_l10n(r, LOG_WARN, jerr.lmsg, "%s", jerr.msg);
	err_clear(&jerr);
	return swapped < 0 ? -1 : 0;
}

/* The size of database @db on @admin's server in bytes, 0 when there is
 * none or it cannot be read (no CONNECT privilege). */
static unsigned long long database_size(PGconn *admin, const char *db)
{
	PGresult *res = db ? dbadmin_query1(admin, "SELECT pg_database_size(oid) FROM pg_database "
					  "WHERE datname = $1", db, NULL) : NULL;
	unsigned long long n = res && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)
			       ? strtoull(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	return n;
}

/* 1 when @host (PQhost()) is this machine: a Unix socket or a loopback name. */
static int local_host(const char *host)
{
	return !host || !*host || host[0] == '/' || !strcmp(host, "localhost") ||
	       !strcmp(host, "127.0.0.1") || !strcmp(host, "::1");
}

/* A replay that fills the server's disk crashes the server half way.
 * Where the server is local and lets us read its data_directory, refuse
 * when the new database will not fit: the bigger of two estimates, the
 * uncompressed dump(s) and half again for indexes, or the live database(s)
 * (indexes included), plus 10% and 64 MiB for WAL and the catalog.  The old
 * database is kept, so that is needed on top of what is used now.  Where
 * it cannot be checked: a warning. */
int dbreplace_check_space(PGconn *admin, uint64_t sql_bytes, const char *const *live_dbs,
			  struct report *r, struct err *e)
{
	const char *host = PQhost(admin), *port = PQport(admin);
	unsigned long long sql = 0, live, need, avail;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	struct statvfs vfs;
	PGresult *res;
	char *dir = NULL, *pidfile = NULL, line[256];
	FILE *fp;
	int n = 0, same = 0, ret = 0;

	if (!local_host(host)) {
		report_log(r, LOG_WARN, "free space for the new database: not checked (the server "
			   "%s is not on this machine); check it there (df)", host);
		return 0;
	}
	res = PQexec(admin, "SHOW data_directory");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		report_log(r, LOG_WARN, "free space for the new database: not checked (%s); the "
			   "admin connection needs superuser or pg_read_all_settings for that",
			   PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) ?
			   PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : "SHOW data_directory failed");
		PQclear(res);
		return 0;
	}
	dir = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	/* Is that path this server's on this host (not a container's path that
	 * happens to exist here)?  Its postmaster.pid names the port (line 4). */
	pidfile = xstrfmt("%s/postmaster.pid", dir);
	if ((fp = fopen(pidfile, "r"))) {
		while (fgets(line, sizeof line, fp) && ++n < 4)
			;
		same = n == 4 && atoi(line) == atoi(port && *port ? port : "5432");
		fclose(fp);
	}
	if (!fp || !same || statvfs(dir, &vfs) < 0) {
		report_log(r, LOG_WARN, "free space for the new database: not checked (cannot look at "
			   "the server's data directory %s from this host: %s)", dir,
			   !fp ? strerror(errno) : !same ? "its postmaster.pid names another port"
			   : strerror(errno));
		goto out;
	}
	sql = sql_bytes;
	live = 0;
	for (size_t i = 0; live_dbs && live_dbs[i]; i++)
		live += database_size(admin, live_dbs[i]);
	need = sql + sql / 2 > live ? sql + sql / 2 : live;
	need += need / 10 + 64ULL * 1024 * 1024;
	avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
	strbuf_humanise_bytes(&a, avail);
	strbuf_humanise_bytes(&b, need);
	if (avail < need) {
		struct strbuf u = STRBUF_INIT, l = STRBUF_INIT;
		strbuf_humanise_bytes(&u, sql);
		strbuf_humanise_bytes(&l, live);
		err_set(e, "not enough free space for the new database: %s free in the database "
			"server's data directory %s, about %s needed", a.buf, dir, b.buf);
		err_detail(e, "Estimate: the bigger of the uncompressed dump (%s) and half again for "
			      "indexes, or the live database (%s), plus 10%% and 64 MiB; the old database "
			      "is kept beside the new one.", u.buf, l.buf);
		err_hint(e, "Free space on that filesystem (old *_pre_restore_*, *_pre_refresh_* databases: DROP "
			    "DATABASE), or give the server more disk, then run again.");
		strbuf_release(&u);
		strbuf_release(&l);
		ret = -1;
	} else {
		report_log(r, LOG_INFO, "free space for the new database: %s in %s, about %s needed",
			   a.buf, dir, b.buf);
	}
out:
	strbuf_release(&a);
	strbuf_release(&b);
	free(pidfile);
	free(dir);
	return ret;
}
