/* restore_dumpcheck: the checks of the plan's dumps before the database
 * step: each read once whole, compared with the live database's tables,
 * and the database server's free space for the new database; see
 * restore_int.h. */
#include "config.h"
#include "i18n.h"
#include "restore.h"
#include "restore_int.h"
#include "backupset.h"
#include "conf.h"
#include "conninfo.h"
#include "dbadmin.h"
#include "dbreplace.h"
#include "dumpinfo.h"
#include "dumpread.h"
#include "magic.h"
#include "strbuf.h"
#include "timestamp.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

/* Read the whole dump once before anything is touched: a dump that was cut
 * off, or a cluster dump that would \connect to other databases, is refused
 * here rather than after the webroot and datadir were replaced. */
static int check_dump(const struct restore *rs, const char *dump, struct restore_found *to,
		      struct report *cancel, int *cut, struct report *r, struct err *e);

int restore_check_dump(struct restore *rs, const char *dump, struct report *r, struct err *e)
{
	int cut;
	return check_dump(rs, dump, &rs->found, NULL, &cut, r, e);
}

/* restore_check_dump() into @to (rs->found, or on the slow checks' thread
 * rs->checks_found), with @cancel (NULL: none) as the reading's progress
 * and cancellation, and *@cut = 1 when @dump was refused because it is cut
 * off (dumpinfo's cut), else 0. */
static int check_dump(const struct restore *rs, const char *dump, struct restore_found *to,
		      struct report *cancel, int *cut, struct report *r, struct err *e)
{
	struct dumpinfo di = { 0 };
	int ret = 0;
	*cut = 0;
	if (!dump || !strcmp(dump, "-"))
		return 0; /* standard input can be read only once: by the replay */
	if (dump == rs->dump && to->dump_info)
		return 0; /* read whole already (restore_check_plan_dump()) */
	report_log(r, LOG_INFO, "reading %s once to check it", dump);
	/* @cancel: beside the first steps, whose run may end first */
	if (dumpinfo_check(dump, &di, 0, N_("Use a complete dump (restore: --dump FILE or --at; the "
			   "wizard: o on the database step); biso-recover db-inspect DUMP shows what a "
			   "dump holds."), cancel, e) < 0) {
		*cut = di.cut;
		ret = -1;
	} else if (di.has_connect) {
		err_set(e, "%s is a cluster dump (pg_dumpall): its \\connect lines would restore "
			"into other databases", dump);
		err_hint(e, "Restore it with psql as the cluster's superuser, or use a pg_dump of "
			    "the BISO database.");
		ret = -1;
	} else {
		if (di.pg_dump_version)
			report_log(r, LOG_INFO, "%s: pg_dump %s, %zu tables with data, complete", dump,
				   di.pg_dump_version, di.n_tables);
		else
			report_log(r, LOG_INFO, "%s: pg_dump of an unknown version, %zu tables with "
				   "data, complete", dump, di.n_tables);
		/* Kept for the row-count checks (the dump is read once more, not
		 * twice) and the comparison with the live database's tables. */
		struct dumpinfo **keep = dump == rs->dump ? &to->dump_info
					 : dump == rs->log_dump ? &to->log_dump_info : NULL;
		if (keep && !*keep) {
			*keep = xmalloc(sizeof di);
			**keep = di;
			return 0;
		}
	}
	dumpinfo_release(&di);
	return ret;
}

/* Append a warning to *@warning when fewer than half of the tables of
 * the live database @dbname (reached through @conninfo) are in @di. */
static void compare_one(const struct restore *rs, char **warning, char **warning_l10n, PGconn *admin,
			const char *conninfo, const char *dbname, const char *dump,
			const struct dumpinfo *di, struct report *r)
{
	struct err e = ERR_INIT;
	char *ci = NULL, **names;
	PGconn *live = NULL;
	long n_live = 0, found = 0;
	int exists = 0;

	if (!di || !dbname || dbadmin_exists(admin, dbname, &exists, &e) < 0 || !exists)
		goto out; /* a new database replaces nothing */
	if (!(ci = conninfo_with_dbname(conninfo, dbname, &e)) ||
	    !(live = dbadmin_connect(ci, &e))) {
		report_log(r, LOG_WARN, "cannot compare the tables of the live database \"%s\" with "
			   "the dump: %s", dbname, orq_en(e.msg));
		goto out;
	}
	names = xcalloc(di->n_tables ? di->n_tables : 1, sizeof *names);
	for (size_t i = 0; i < di->n_tables; i++)
		names[i] = di->tables[i].name;
	if (dbadmin_tables_named(live, names, di->n_tables, &n_live, &found, &e) < 0) {
		report_log(r, LOG_WARN, "cannot compare the tables of the live database \"%s\" with "
			   "the dump: %s", dbname, orq_en(e.msg));
	} else if (n_live > 0 && found * 2 < n_live) {
		struct strbuf w = STRBUF_INIT, wl = STRBUF_INIT;
		size_t start, start_l10n;
		const char *base = strrchr(dump, '/') ? strrchr(dump, '/') + 1 : dump;
		if (*warning)
			strbuf_addf(&w, "%s; ", *warning);
		if (*warning_l10n)
			strbuf_addf(&wl, "%s; ", *warning_l10n);
		start = w.len;
		start_l10n = wl.len;
		strbuf_addf(&w, "%s does not look like a dump of \"%s\": only %ld of its %ld "
			    "tables are in it (restoring replaces it anyway; the old one is kept as "
			    "\"%s_pre_restore_%s\")", base, dbname, found, n_live, dbname, rs->stamp);
		strbuf_addf(&wl, _("%s does not look like a dump of \"%s\": only %ld of its %ld "
				   "tables are in it (restoring replaces it anyway; the old one is kept as "
				   "\"%s_pre_restore_%s\")"), base, dbname, found, n_live, dbname, rs->stamp);
		report_log_l10n(r, LOG_WARN, wl.buf + start_l10n, "%s", w.buf + start);
		free(*warning);
		*warning = strbuf_detach(&w, NULL);
		free(*warning_l10n);
		*warning_l10n = strbuf_detach(&wl, NULL);
	} else {
		report_log(r, LOG_INFO, "%ld of the %ld tables of the live database \"%s\" are in "
			   "the dump", found, n_live, dbname);
	}
	free(names);
out:
	if (live)
		PQfinish(live);
	free(ci);
	err_clear(&e);
}

void restore_check_live_tables(const struct restore *rs, struct restore_found *f,
			       struct report *r)
{
	struct err e = ERR_INIT;
	char **warning = &f->db_warning, **warning_l10n = &f->db_warning_l10n;
	PGconn *admin;

	free(*warning);
	*warning = NULL;
	free(*warning_l10n);
	*warning_l10n = NULL;
	if (!(rs->selected & STEP_BIT(STEP_DATABASE)) || !rs->conninfo)
		return;
	{
		/* a mistyped --dbname restores into a database the application
		 * never reads: first, so that it leads the warning */
		struct strbuf w = STRBUF_INIT, wl = STRBUF_INIT;
		if (restore_app_db_differs(rs, &w, &wl)) {
			report_log_l10n(r, LOG_WARN, wl.buf, "%s", w.buf);
			*warning = strbuf_detach(&w, NULL);
			*warning_l10n = strbuf_detach(&wl, NULL);
		}
		strbuf_release(&w);
		strbuf_release(&wl);
	}
	if (!(admin = dbadmin_connect(rs->admin_conninfo, &e))) {
		report_log(r, LOG_WARN, "cannot compare the tables of the live database with the "
			   "dump: %s", orq_en(e.msg));
		err_clear(&e);
		return;
	}
	compare_one(rs, warning, warning_l10n, admin, rs->conninfo, rs->dbname, rs->dump, f->dump_info, r);
	if (rs->log_dump && rs->log_dbname)
		compare_one(rs, warning, warning_l10n, admin, nonempty(rs->conf->log_database.conninfo) ?
			    rs->conf->log_database.conninfo : rs->conninfo, rs->log_dbname,
			    rs->log_dump, f->log_dump_info, r);
	PQfinish(admin);
}

/* The newest dump of the backup set older than the plan's (any, when the
 * plan's is not one of the set) that passes check_dump() (@to, @cancel):
 * each is read whole, newest first, until one does.  NULL when none does. */
static const struct backup_item *usable_older_dump(const struct restore *rs,
						   struct restore_found *to,
						   struct report *cancel, struct report *r)
{
	const struct backup_list *l = rs->backups ? &rs->backups->dumps : NULL;
	size_t cur = restore_list_index(l, rs->dump);
	for (size_t i = l && cur < l->n ? cur + 1 : 0; l && i < l->n; i++) {
		struct err e = ERR_INIT;
		int bad, cut;
		if (dumpread_kind_check(l->items[i].path, l->items[i].kind, NULL) < 0)
			continue;
		bad = check_dump(rs, l->items[i].path, to, cancel, &cut, r, &e) < 0;
		if (bad) {
			err_prefix(&e, "%s cannot be used either", l->items[i].name);
			report_log_l10n(r, LOG_WARN, e.lmsg, "%s", e.msg);
		}
		err_clear(&e);
		if (!bad)
			return &l->items[i];
	}
	return NULL;
}

/* check_dump() of the plan's dump into @to (@cancel as there); when it
 * cannot be used, name the newest one that can: in the refusal's hint
 * (--dump, --at), or, with rs->allow_bad_dump and @to the plan's own
 * rs->found, in a warning, and remember both for the wizard (the slow
 * checks' thread refuses: it writes nothing of the chooser's). */
static int plan_dump_check(struct restore *rs, struct restore_found *to, struct report *cancel,
			   struct report *r, struct err *e)
{
	const struct backup_item *ok, *bad;
	struct strbuf alt[2] = { STRBUF_INIT, STRBUF_INIT }, hint[2] = { STRBUF_INIT, STRBUF_INIT };
	char stamp[16] = "";
	int cut;

	if (rs->dump_refused_damaged && to == &rs->found && rs->dump_refused &&
	    !strcmp(rs->dump_refused, rs->dump)) {
		/* its backup's checksums failed (restore_preflight()): not
		 * read, whatever its gzip stream says */
		err_set_l10n(e, rs->dump_refused_why_l10n, "%s", rs->dump_refused_why);
		cut = 0;
	} else if (check_dump(rs, rs->dump, to, cancel, &cut, r, e) == 0) {
		return 0;
	}
	if (!rs->backups || !rs->backups->root) {
		/* one dump named on the command line, no backup set
		 * (db-restore --create) */
		err_hint(e, "biso-recover db-inspect %s shows what it holds; use an older, complete "
			    "dump.", rs->dump);
		return -1;
	}
	bad = restore_dump_item(rs, rs->dump);
	ok = usable_older_dump(rs, to, cancel, r);
	if (ok)
		timestamp_name(ok->when, stamp);
	/* alt[0] English for the log, alt[1] the screen's translation; so
	 * the hint */
	for (int l10n = 0; l10n < 2; l10n++) {
		int was = i18n_english(!l10n);
		if (ok && bad && bad->when > ok->when) {
			struct strbuf age = STRBUF_INIT;
			strbuf_humanise_age_l10n(&age, (long long)(bad->when - ok->when));
			strbuf_addf(&alt[l10n], _("The newest complete dump is %s, %s older"), ok->path,
				    age.buf);
			strbuf_release(&age);
		} else if (ok) {
			strbuf_addf(&alt[l10n], _("The newest complete dump is %s"), ok->path);
		} else if (bad) {
			strbuf_addf(&alt[l10n], _("No older dump in %s/db is complete"), rs->conf->backup_root);
		} else {
			strbuf_addf(&alt[l10n], _("No other dump in %s/db is complete"), rs->conf->backup_root);
		}
		if (ok)
			strbuf_addf(&hint[l10n], _("%s: give --dump %s (the database only), or --at %s (the "
						   "webroot and datadir of then too)."), alt[l10n].buf, ok->path, stamp);
		else
			strbuf_addf(&hint[l10n], _("%s. biso-recover db-inspect DUMP shows what a dump holds."),
				    alt[l10n].buf);
		i18n_english(was);
	}
	if (!rs->allow_bad_dump || to != &rs->found) {
		err_hint_l10n(e, hint[1].buf, "%s", hint[0].buf);
		for (int k = 0; k < 2; k++) {
			strbuf_release(&alt[k]);
			strbuf_release(&hint[k]);
		}
		return -1;
	}
	/* the warning stands alone on the wizard's first screen: name the cut
	 * dump when the message does not (a gzip error names no file) */
	struct strbuf why = STRBUF_INIT, why_l10n = STRBUF_INIT;
	const char *base = strrchr(rs->dump, '/') ? strrchr(rs->dump, '/') + 1 : rs->dump;
	if (!strstr(e->msg, base)) {
		char bstamp[16] = "";
		if (bad)
			timestamp_name(bad->when, bstamp);
		for (int l10n = 0; l10n < 2; l10n++) {
			struct strbuf *w = l10n ? &why_l10n : &why;
			int was = i18n_english(!l10n);
			strbuf_addstr(w, base);
			if (*bstamp && !strstr(base, bstamp))
				strbuf_addf(w, _(" (of %s)"), bstamp);
			if (e->offset >= 0)
				strbuf_addf(w, _(" is cut at byte %lld"), (long long)e->offset);
			strbuf_addstr(w, ": ");
			i18n_english(was);
		}
	}
	strbuf_addstr(&why, e->msg);
	strbuf_addstr(&why_l10n, e->lmsg ? e->lmsg : e->msg);
	set_str(&rs->dump_refused, rs->dump);
	set_str(&rs->dump_refused_why, why.buf);
	set_str(&rs->dump_refused_why_l10n, why_l10n.buf);
	rs->dump_refused_cut = cut;
	set_str(&rs->dump_usable, ok ? ok->path : NULL);
	{
		char *shown = ok ? xstrfmt(_("%s. %s: choose it with o on the database step"),
					   why_l10n.buf, alt[1].buf)
				 : xstrfmt("%s. %s", why_l10n.buf, alt[1].buf);
		report_log_l10n(r, LOG_WARN, shown, "%s. %s%s", why.buf, alt[0].buf,
				ok ? ": choose it with o on the database step" : "");
		free(shown);
	}
	err_clear(e);
	strbuf_release(&why);
	strbuf_release(&why_l10n);
	for (int k = 0; k < 2; k++) {
		strbuf_release(&alt[k]);
		strbuf_release(&hint[k]);
	}
	return 0;
}

int restore_check_plan_dump(struct restore *rs, struct report *r, struct err *e)
{
	return plan_dump_check(rs, &rs->found, NULL, r, e);
}

int restore_check_db_space_on(const struct restore *rs, const struct restore_found *f,
			      PGconn *admin, struct report *r, struct err *e)
{
	const char *live[3] = { rs->dbname, rs->log_dump ? rs->log_dbname : NULL, NULL };
	uint64_t sql = 0;
	if (f->dump_info)
		sql += f->dump_info->bytes_sql;
	if (f->log_dump_info)
		sql += f->log_dump_info->bytes_sql;
	return dbreplace_check_space(admin, sql, live, r, e);
}

int restore_check_db_space(const struct restore *rs, const struct restore_found *f,
			   struct report *r, struct err *e)
{
	struct err ce = ERR_INIT;
	PGconn *admin;
	int ret;

	if (!rs->admin_conninfo)
		return 0;
	if (!(admin = dbadmin_connect(rs->admin_conninfo, &ce))) {
		/* the error in the screen's language too */
		char *shown = xstrfmt(_("free space for the new database: not checked (%s)"),
				      ce.lmsg ? ce.lmsg : ce.msg);
		report_log_l10n(r, LOG_WARN, shown, "free space for the new database: not checked (%s)",
				ce.msg);
		free(shown);
		err_clear(&ce);
		return 0;
	}
	ret = restore_check_db_space_on(rs, f, admin, r, e);
	PQfinish(admin);
	return ret;
}

const struct backup_item *restore_dump_item(const struct restore *rs, const char *path)
{
	const struct backup_list *l = rs->backups ? &rs->backups->dumps : NULL;
	for (size_t i = 0; l && path && i < l->n; i++)
		if (!strcmp(l->items[i].path, path))
			return &l->items[i];
	return NULL;
}

int restore_slow_checks(struct restore *rs, struct report *r, struct err *e)
{
	struct restore_found *to = &rs->checks_found;
	int cut;

	if (!rs->checks_later)
		return 0;
	/* @r is the thread's own report: the run's end stops the reading */
	if (plan_dump_check(rs, to, r, r, e) < 0 ||
	    (rs->log_dump && check_dump(rs, rs->log_dump, to, r, &cut, r, e) < 0) ||
	    restore_check_db_space(rs, to, r, e) < 0)
		return -1;
	restore_check_live_tables(rs, to, r);
	to->compared = 1;
	return 0;
}

/* Free *@di (may be NULL) and forget it. */
static void info_free(struct dumpinfo **di)
{
	if (*di) {
		dumpinfo_release(*di);
		free(*di);
		*di = NULL;
	}
}

/* Move *@from (owned, may be NULL) into *@to, freeing what was there. */
static void move_info(struct dumpinfo **to, struct dumpinfo **from)
{
	if (!*from)
		return;
	info_free(to);
	*to = *from;
	*from = NULL;
}

void restore_checks_done(struct restore *rs)
{
	struct restore_found *from = &rs->checks_found, *to = &rs->found;

	move_info(&to->dump_info, &from->dump_info);
	move_info(&to->log_dump_info, &from->log_dump_info);
	if (from->compared) {
		free(to->db_warning);
		to->db_warning = from->db_warning;
		free(to->db_warning_l10n);
		to->db_warning_l10n = from->db_warning_l10n;
		to->compared = 1;
		from->db_warning = NULL;
		from->db_warning_l10n = NULL;
		from->compared = 0;
	}
}

void restore_found_release(struct restore_found *f)
{
	info_free(&f->dump_info);
	info_free(&f->log_dump_info);
	free(f->db_warning);
	f->db_warning = NULL;
	free(f->db_warning_l10n);
	f->db_warning_l10n = NULL;
	f->compared = 0;
}
