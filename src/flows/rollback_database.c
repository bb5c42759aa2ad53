/* rollback_database: put back the database a run replaced; see
 * rollback.h. */
#include "config.h"
#include "rollback_int.h"
#include "conf.h"
#include "dbadmin.h"
#include "i18n.h"
#include "journal.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

static char *db_keep(const struct rollback *rb)
{
	return xstrfmt("%s_pre_rollback_%s", orq(rb->rs.dbname), rb->rs.stamp);
}

static void database_describe(const struct run *run, struct strbuf *out)
{
	const struct rollback *rb = rollback_of(run);
	strbuf_addf(out, _("source: database \"%s\" (kept by the %s of %s)\ntarget: database "
		    "\"%s\"\n"), orq(rb->kept[RB_DATABASE]), orq(rb->flow), orq(rb->of),
		    orq(rb->rs.dbname));
}

static int database_destructive(const struct run *run, struct strbuf *what)
{
	const struct rollback *rb = rollback_of(run);
	char *keep = db_keep(rb);
	if (what)
		strbuf_addf(what, _("replaces database \"%s\" with \"%s\" (the current one kept as "
			    "\"%s\")"), orq(rb->rs.dbname), orq(rb->kept[RB_DATABASE]), keep);
	free(keep);
	return 1;
}

static const char *database_confirm_word(const struct run *run)
{
	return rollback_of(run)->rs.dbname;
}

static const char *database_skip(const struct run *run)
{
	const struct rollback *rb = rollback_of(run);
	return rb->kept[RB_DATABASE] ? NULL : N_("that run did not replace the database");
}

static int database_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct rollback *rb = rollback_of(run);
	const struct restore *rs = &rb->rs;
	const char *dir = rs->conf->log_dir, *db = rs->dbname, *back = rb->kept[RB_DATABASE];
	char *keep = db_keep(rb);
	struct err jerr = ERR_INIT;
	PGconn *admin;
	int swapped, jret = 0;

	if (!(admin = dbadmin_connect_report(rs->admin_conninfo, r, e))) {
		free(keep);
		return -1;
	}
	if (dbadmin_try_lock(admin, db, e) < 0 ||
	    journal_begin(dir, rs->stamp, JOURNAL_DATABASE, db, keep, back, e) < 0) {
		PQfinish(admin);
		free(keep);
		return -1;
	}
	swapped = dbadmin_swap(admin, db, back, keep, r, e);
	/* as the restore's swap: "failed" only for a transaction that rolled
	 * back; a lost connection leaves the entry for the next run */
	if (swapped == 0)
		jret = journal_done(dir, rs->stamp, JOURNAL_DATABASE, db, &jerr);
	else if (PQstatus(admin) == CONNECTION_OK && PQtransactionStatus(admin) == PQTRANS_IDLE)
		jret = journal_failed(dir, rs->stamp, JOURNAL_DATABASE, db, &jerr);
	if (jret < 0)
		report_log(r, LOG_WARN, "%s", jerr.msg);
	err_clear(&jerr);
	PQfinish(admin);
	if (swapped < 0) {
		free(keep);
		return -1;
	}
	report_log(r, LOG_INFO, "database \"%s\" is \"%s\" again; the current one is kept as \"%s\"",
		   db, back, keep);
	out->kept_as = keep;
	out->source = xstrdup(back);
	step_out_summaryf(out, "put back \"%s\"", back);
	return 0;
}

const struct step_def rollback_step_database = {
	.name = "database",
	.title = N_("Put back the database"),
	.explain = N_("Renames the database the run kept back to its name and the current one "
		"to <db>_pre_rollback_<time>, both in one transaction."),
	.flags = STEP_F_STOPS_SERVICES | STEP_F_DATABASE,
	.describe = database_describe,
	.destructive = database_destructive,
	.confirm_word = database_confirm_word,
	.confirm_label = N_("the database name"),
	.skip = database_skip,
	.run = database_run,
};
