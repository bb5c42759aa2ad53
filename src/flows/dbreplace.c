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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	report_log(r, LOG_INFO, "creating database \"%s\" (owner %s, %s, %s)", staging,
		   owner ? owner : "(connecting user)", orq(co.encoding), orq(co.lc_collate));
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
	if (journal_begin(c->log_dir, o->stamp, JOURNAL_DATABASE, dbname, keep, staging, e) < 0)
		goto out;
	{
		struct err jerr = ERR_INIT;
		int swapped = dbadmin_swap(admin, dbname, staging, keep, r, e), jret = 0;
		/* "done" only once the transaction committed; one that rolled
		 * back is "failed"; a lost connection (did the COMMIT arrive?)
		 * leaves the entry open for the next run to look at */
		if (swapped == 0)
			jret = journal_done(c->log_dir, o->stamp, JOURNAL_DATABASE, dbname, &jerr);
		else if (PQstatus(admin) == CONNECTION_OK &&
			 PQtransactionStatus(admin) == PQTRANS_IDLE)
			jret = journal_failed(c->log_dir, o->stamp, JOURNAL_DATABASE, dbname, &jerr);
		if (jret < 0)
			report_log(r, LOG_WARN, "%s", jerr.msg);
		err_clear(&jerr);
		if (swapped < 0)
			goto out;
	}
	report_log(r, LOG_INFO, "database \"%s\" is now the restored one", dbname);
	if (exists)
		res->kept_as = xstrdup(keep);
	/* ANALYZE failing is no reason to undo a good restore. */
	{
		struct err aerr = ERR_INIT;
		struct progress ap = { "ANALYZE", 0, 0, 0, 0, dbname }; /* the last phase */
		report_progress(r, &ap, 1);
		if (dbadmin_analyze(conninfo, r, &aerr) < 0)
			report_log(r, LOG_WARN, "ANALYZE failed: %s", aerr.msg);
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
