/* rollback_database: put back the database a run replaced; see
 * rollback.h. */
#include "config.h"
#include "rollback_int.h"
#include "conf.h"
#include "dbadmin.h"
#include "dbreplace.h"
#include "i18n.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

static char *db_keep(const struct rollback *rb, const char *db)
{
	return xstrfmt("%s_pre_rollback_%s", orq(db), rb->rs.stamp);
}

static void database_describe(const struct run *run, struct strbuf *out)
{
	const struct rollback *rb = rollback_of(run);
	strbuf_addf(out, _("source: database \"%s\" (kept by the %s of %s)\ntarget: database "
		    "\"%s\"\n"), orq(rb->kept[RB_DATABASE]), orq(rb->flow), orq(rb->kept_of[RB_DATABASE]),
		    orq(rb->rs.dbname));
	if (rb->kept_log)
		strbuf_addf(out, _("also:   log database \"%s\" -> \"%s\"\n"), rb->kept_log,
			    rb->log_db);
}

static int database_destructive(const struct run *run, struct strbuf *what)
{
	const struct rollback *rb = rollback_of(run);
	char *keep = db_keep(rb, rb->rs.dbname);
	if (what)
		strbuf_addf(what, _("replaces database \"%s\" with \"%s\" (the current one kept as "
			    "\"%s\")"), orq(rb->rs.dbname), orq(rb->kept[RB_DATABASE]), keep);
	free(keep);
	if (what && rb->kept_log) {
		keep = db_keep(rb, rb->log_db);
		strbuf_addf(what, _(", and the log database \"%s\" with \"%s\" (the current one "
				    "kept as \"%s\")"), rb->log_db, rb->kept_log, keep);
		free(keep);
	}
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

/* Database @db becomes @back again, the current one kept as @keep: both
 * renames in one transaction, journaled as the restore's swap is
 * (dbreplace_swap()).  0, or -1 with @e. */
static int put_back(const struct rollback *rb, PGconn *admin, const char *db, const char *back,
		    const char *keep, struct report *r, struct err *e)
{
	if (dbadmin_try_lock(admin, db, e) < 0 ||
	    dbreplace_swap(admin, rb->rs.conf->log_dir, rb->rs.stamp, db, back, keep, r, e) < 0)
		return -1;
	report_log(r, LOG_INFO, "database \"%s\" is \"%s\" again; the current one is kept as \"%s\"",
		   db, back, keep);
	return 0;
}

/* The database, then the optional log database the run replaced with it
 * (its second kept copy). */
static int database_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct rollback *rb = rollback_of(run);
	const struct restore *rs = &rb->rs;
	const char *back = rb->kept[RB_DATABASE];
	char *keep = db_keep(rb, rs->dbname), *keep_log = NULL;
	PGconn *admin;

	if (!(admin = dbadmin_connect_report(rs->admin_conninfo, r, e))) {
		free(keep);
		return -1;
	}
	if (put_back(rb, admin, rs->dbname, back, keep, r, e) < 0) {
		PQfinish(admin);
		free(keep);
		return -1;
	}
	if (rb->kept_log) {
		keep_log = db_keep(rb, rb->log_db);
		if (put_back(rb, admin, rb->log_db, rb->kept_log, keep_log, r, e) < 0) {
			/* the database is back already: the summary names it */
			err_prefix(e, "database \"%s\" is \"%s\" again, but the log database %s",
				   rs->dbname, back, rb->log_db);
			PQfinish(admin);
			free(keep);
			free(keep_log);
			return -1;
		}
	}
	PQfinish(admin);
	if (keep_log) {
		/* both, as the restore names them: a second rollback finds both */
		out->kept_as = xstrfmt("%s, %s", keep, keep_log);
		out->source = xstrfmt("%s, %s", back, rb->kept_log);
		step_out_summaryf(out, "put back \"%s\" and the log database \"%s\"", back,
				  rb->kept_log);
		free(keep);
		free(keep_log);
	} else {
		out->kept_as = keep;
		out->source = xstrdup(back);
		step_out_summaryf(out, "put back \"%s\"", back);
	}
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
