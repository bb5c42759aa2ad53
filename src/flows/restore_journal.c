/* restore_journal: what an earlier, interrupted run left half done,
 * found in the journal and put right before this run changes anything;
 * see restore_int.h and journal.h. */
#include "config.h"
#include "restore.h"
#include "restore_int.h"
#include "conf.h"
#include "dbadmin.h"
#include "journal.h"
#include "runcmd.h"
#include "strbuf.h"
#include "swap.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The live datadir inside the webroot is carried into the staging tree just
 * before the swap.  A run killed in between leaves it only there; the next
 * run must not remove that staging tree.  -1 with @e and the mv that puts
 * it back when that is the case. */
int restore_stranded_datadir(struct restore *rs, const char *live, const char *staging,
			    struct err *e)
{
	const char *rel = inside(rs->datadir, live);
	char *in_live, *in_staging;
	int stranded;
	if (!rel)
		return 0;
	in_live = xstrfmt("%s/%s", live, rel);
	in_staging = xstrfmt("%s/%s", staging, rel);
	stranded = !path_exists(in_live) && path_exists(in_staging);
	if (stranded) {
		err_set(e, "the live datadir is in the staging tree %s of an interrupted run",
			staging);
		err_detail(e, "%s is missing; %s holds it.", in_live, in_staging);
		err_hint(e, "Put it back first: mv '%s' '%s'; then run biso-recover again (it "
			    "removes the rest of the staging tree).", in_staging, in_live);
	}
	free(in_live);
	free(in_staging);
	return stranded ? -1 : 0;
}

/* Earlier versions of the database swap closed the live database to new
 * connections before renaming it, and a run killed in between left it
 * refusing them; dbadmin_swap() now renames both in one transaction and
 * never changes the connection setting, so only such an old run (or an
 * admin) leaves a database closed.  Allow connections again. */
static int reopen_database(PGconn *admin, const char *db, int fix, struct report *r,
			   struct err *e)
{
	PGresult *res = dbadmin_query1(admin, "SELECT datallowconn FROM pg_database WHERE datname = $1",
				       db, NULL);
	int closed = res && PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), "f");
	PQclear(res);
	if (!closed)
		return 0;
	if (!fix) {
		report_log(r, LOG_WARN, "database \"%s\" does not accept connections (left so by an "
			   "interrupted run); a real run allows them again", db);
		return 0;
	}
	if (dbadmin_allow_connections(admin, db, 1, e) < 0)
		return -1;
	report_log(r, LOG_WARN, "database \"%s\" did not accept connections (left so by an "
		   "interrupted run): allowed them again", db);
	return 0;
}

/* An earlier run stopped the services and never started them again (it was
 * killed): they may still be down.  This run takes them over: it starts
 * them at its end (restore_finish) and journals that under its own stamp;
 * a dry run only says so. */
static int stale_services(struct restore *rs, const struct journal_entry *j, struct report *r,
			  struct err *e)
{
	struct strbuf cmds = STRBUF_INIT;
	for (char ***l = rs->conf->services.start_services; l && *l; l++) {
		strbuf_addstr(&cmds, cmds.len ? "; " : "");
		runcmd_format_argv((const char *const *)*l, &cmds);
	}
	if (rs->dry_run) {
		report_log(r, LOG_WARN, "the run of %s stopped the services and did not start them "
			   "again; a real run starts them at its end (%s)", j->stamp,
			   cmds.len ? cmds.buf : "no start commands configured");
		strbuf_release(&cmds);
		return 0;
	}
	strbuf_release(&cmds);
	if (!rs->services_stopped &&
	    journal_begin(rs->conf->log_dir, rs->stamp, JOURNAL_SERVICES, "services", "", "", e) < 0)
		return -1;
	rs->services_stopped = 1;
	if (journal_done(rs->conf->log_dir, j->stamp, JOURNAL_SERVICES, "services", e) < 0)
		return -1;
	report_log(r, LOG_WARN, "the run of %s stopped the services and did not start them again; "
		   "this run starts them at its end", j->stamp);
	return 0;
}

/* @what at @from goes back to @to, or (dry run: returns 1) would: a
 * journaled swap left it there, so where it belongs is known.  0, or -1
 * with @e. */
static int put_back(struct restore *rs, const struct journal_entry *j, const char *what,
		    const char *from, const char *to, struct report *r, struct err *e)
{
	if (rs->dry_run) {
		report_log(r, LOG_WARN, "the run of %s was killed during its swap of %s: %s is at %s; "
			   "a real run moves it to %s", j->stamp, j->live, what, from, to);
		return 1;
	}
	if (path_exists(to)) {
		err_set(e, "the run of %s was killed during its swap of %s: %s is at %s", j->stamp,
			j->live, what, from);
		err_detail(e, "It belongs at %s, which exists.", to);
		err_hint(e, "Move %s away, then run biso-recover again (it moves %s there).", to, from);
		return -1;
	}
	if (rename(from, to) < 0)
		return err_errno(e, errno, "cannot move %s back to %s", from, to);
	report_log(r, LOG_WARN, "the run of %s was killed during its swap of %s: moved %s from %s "
		   "to %s", j->stamp, j->live, what, from, to);
	return 0;
}

/* The live datadir (@rel inside the webroot) that a swap of @j carried
 * into its staging tree goes back into the live webroot (put_back()),
 * unless the live webroot has one.  0 (1: a dry run said so), or -1. */
static int put_back_carried(struct restore *rs, const struct journal_entry *j, const char *rel,
			    struct report *r, struct err *e)
{
	char *in_live = xstrfmt("%s/%s", j->live, rel);
	char *in_staging = xstrfmt("%s/%s", j->staging, rel);
	int ret = 0;
	if (!path_exists(in_live) && path_exists(in_staging))
		ret = put_back(rs, j, "the live datadir", in_staging, in_live, r, e);
	free(in_live);
	free(in_staging);
	return ret;
}

/* A tree swap of an earlier run that was killed: finish what the journal
 * proves.  The live tree's identity at "begin" (j->live_id) tells whether
 * the exchange happened; the tree at the staging name is then the old
 * one and goes to its kept name.  Before the exchange, a datadir carried
 * into the staging tree goes back into the live webroot.  With two renames
 * (a filesystem without exchange, or an older version's journal) a
 * missing live name gets the old tree back, and the datadir they carried
 * into the staging tree with it.  0 (1: a dry run that only
 * said so), or -1 with @e. */
static int finish_files_swap(struct restore *rs, const struct journal_entry *j,
			     struct report *r, struct err *e)
{
	char *now = journal_path_id(j->live), *at_staging = journal_path_id(j->staging);
	char *at_kept = journal_path_id(j->kept);
	const char *rel = inside(rs->datadir, j->live);
	int ret = 0;

	if (*j->live_id && now && strcmp(now, j->live_id)) {
		if (at_staging && !strcmp(at_staging, j->live_id)) {
			/* killed between the exchange of the trees and that of the
			 * carried datadir: the live one is a link into the old tree */
			if (rel && !rs->dry_run && swap_finish_carry(j->live, j->staging, rel, r, e) < 0) {
				ret = -1;
				goto out;
			}
			ret = put_back(rs, j, "the old tree", j->staging, j->kept, r, e);
		}
		/* a kept datadir is for root only, as the datadir step keeps it
		 * (a run killed before it did) */
		if (ret == 0 && !rs->dry_run && rs->datadir && !strcmp(j->live, rs->datadir)) {
			char *k = journal_path_id(j->kept);
			if (k && !strcmp(k, j->live_id))
				(void)chmod(j->kept, 0700);
			free(k);
		}
	} else if (!now && *j->live_id && at_kept && !strcmp(at_kept, j->live_id)) {
		ret = put_back(rs, j, "the old tree", j->kept, j->live, r, e);
		/* two renames carry the live datadir into the staging tree first */
		if (ret >= 0 && at_staging && rel) {
			int carried = put_back_carried(rs, j, rel, r, e);
			ret = carried < 0 ? -1 : ret | carried;
		}
	} else if (now && at_staging && rel) {
		ret = put_back_carried(rs, j, rel, r, e);
	}
out:
	free(now);
	free(at_staging);
	free(at_kept);
	return ret;
}

/* An earlier run killed during a swap: put right what the journal proves
 * (finish_files_swap); where it cannot, say exactly how to put the live
 * name back, and touch nothing. */
int restore_check_journal(struct restore *rs, struct report *r, struct err *e)
{
	const struct conf *c = rs->conf;
	struct journal_entry *v;
	size_t n;
	PGconn *admin = NULL;
	int ret = 0;

	if (journal_pending(c->log_dir, &v, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n && ret == 0; i++) {
		struct journal_entry *j = &v[i];
		int live = 0, kept = 0;
		if (strcmp(j->stamp, rs->stamp) && run_alive(c->log_dir, j->stamp)) {
			/* another run, on other targets (the locks say so), is at it */
			report_log(r, LOG_INFO, "the run of %s is still running; its swap of %s is "
				   "its own", j->stamp, j->live);
			continue;
		}
		if (j->kind == JOURNAL_SERVICES) {
			ret = stale_services(rs, j, r, e);
			continue;
		}
		if (j->kind == JOURNAL_FILES) {
			int fixed = finish_files_swap(rs, j, r, e);
			if (fixed < 0) {
				ret = -1;
				break;
			}
			if (fixed > 0) {
				rs->journal_repairs++;
				continue; /* a dry run named what a real run moves */
			}
			live = path_exists(j->live);
			kept = path_exists(j->kept);
		} else {
			if (!admin && !(admin = dbadmin_connect(rs->admin_conninfo, e))) {
				ret = -1;
				break;
			}
			if (dbadmin_exists(admin, j->live, &live, e) < 0 ||
			    dbadmin_exists(admin, j->kept, &kept, e) < 0) {
				ret = -1;
				break;
			}
		}
		if (!live && kept) {
			err_set(e, "the run of %s was interrupted in the middle of a swap: %s%s%s is "
				"missing", j->stamp, j->kind == JOURNAL_DATABASE ? "database \"" : "",
				j->live, j->kind == JOURNAL_DATABASE ? "\"" : "");
			err_detail(e, "The old one is %s; the restored one, if complete, is %s.",
				   j->kept, j->staging);
			if (j->kind == JOURNAL_FILES)
				err_hint(e, "Put the old one back (mv '%s' '%s') or the restored one in "
					    "place, then run biso-recover again.", j->kept, j->live);
			else
				err_hint(e, "Put the old one back (ALTER DATABASE \"%s\" RENAME TO "
					    "\"%s\") or the restored one in place, then run again.",
					 j->kept, j->live);
			ret = -1;
			break;
		}
		if (j->kind == JOURNAL_FILES && path_exists(j->staging)) {
			/* Killed after the live datadir was carried into the staging
			 * tree and before the swap: the staging tree may hold it. */
			if (restore_stranded_datadir(rs, j->live, j->staging, e) < 0) {
				ret = -1;
				break;
			}
		}
		if (j->kind == JOURNAL_DATABASE && admin &&
		    reopen_database(admin, j->live, !rs->dry_run, r, e) < 0) {
			ret = -1;
			break;
		}
		if (rs->dry_run) {
			report_log(r, LOG_WARN, "the run of %s stopped around its swap of %s, which is "
				   "in place; a real run closes that journal entry", j->stamp, j->live);
			continue;
		}
		/* The live name is there: the swap either never started or ended. */
		if (journal_done(c->log_dir, j->stamp, j->kind, j->live, e) < 0) {
			ret = -1;
			break;
		}
		report_log(r, LOG_WARN, "the run of %s stopped around its swap of %s, which is "
			   "in place; closed that journal entry", j->stamp, j->live);
	}
	if (admin)
		PQfinish(admin);
	journal_entries_free(v, n);
	return ret;
}
