/* restore_database: the restore's fourth step, the database replayed from
 * its plain-format dump into a new database swapped in when complete; see
 * restore.h. */
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
#include "journal.h"
#include "replay.h"
#include "runcmd.h"
#include "strbuf.h"
#include "verify.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void database_describe(const struct run *run, struct strbuf *out)
{
	const struct restore *rs = restore_of(run);
	strbuf_addf(out, _("source: %s\ntarget: database \"%s\" (staging \"%s_restoring\")\n"),
		    orq(rs->dump), orq(rs->dbname), orq(rs->dbname));
	if (rs->log_dump)
		strbuf_addf(out, _("also:   %s -> \"%s\"\n"), rs->log_dump, orq(rs->log_dbname));
}

/* "; sessions on it now, ended at the swap: pid N (...)" for the live
 * database, when it has any: the operator confirms knowing whom the swap
 * disconnects.  Nothing when the server cannot be asked within 5 s. */
static void add_live_sessions(const struct restore *rs, struct strbuf *what)
{
	char *db = rs->admin_conninfo ? conninfo_get(rs->admin_conninfo, "dbname") : NULL;
	char *ci = rs->admin_conninfo ? conninfo_with_dbname(rs->admin_conninfo,
							  db ? db : "postgres", NULL) : NULL;
	struct strbuf who = STRBUF_INIT;
	PGconn *c = NULL;
	if (ci) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addstr(&sb, ci);
		conninfo_append(&sb, "connect_timeout", "5");
		c = dbadmin_connect(sb.buf, NULL);
		strbuf_release(&sb);
	}
	if (c && rs->dbname && dbadmin_sessions(c, rs->dbname, &who, NULL) > 0)
		strbuf_addf(what, _("; sessions on it now, ended at the swap: %s"), who.buf);
	if (c)
		PQfinish(c);
	strbuf_release(&who);
	free(db);
	free(ci);
}

/* ", 1 day 2 hours older" when @newer was taken after @older. */
static void add_older(struct strbuf *out, const struct backup_item *newer,
		      const struct backup_item *older)
{
	if (!newer || !older || newer->when <= older->when)
		return;
	struct strbuf age = STRBUF_INIT;
	strbuf_humanise_age_l10n(&age, (long long)(newer->when - older->when));
	strbuf_addf(out, _(", %s older"), age.buf);
	strbuf_release(&age);
}

/* Append "; this dump is 1 day 2 hours older than NAME, which cannot be
 * used" (rs->dump_refused set, rs->dump another dump) to @out. */
static void add_dump_age(const struct restore *rs, struct strbuf *out)
{
	const struct backup_item *newest = restore_dump_item(rs, rs->dump_refused);
	const struct backup_item *now = restore_dump_item(rs, rs->dump);
	const char *name = strrchr(rs->dump_refused, '/') ? strrchr(rs->dump_refused, '/') + 1
							   : rs->dump_refused;
	if (newest && now && newest->when > now->when) {
		struct strbuf age = STRBUF_INIT;
		strbuf_humanise_age_l10n(&age, (long long)(newest->when - now->when));
		strbuf_addf(out, _("; this dump is %s older than %s, which cannot be used"),
			    age.buf, name);
		strbuf_release(&age);
	} else {
		strbuf_addf(out, _("; %s cannot be used"), name);
	}
}

static int database_destructive(const struct run *run, struct strbuf *what)
{
	const struct restore *rs = restore_of(run);
	if (what && rs->db_missing)
		strbuf_addf(what, _("creates database \"%s\" (none exists) with %s"), orq(rs->dbname),
			    rs->dump && strrchr(rs->dump, '/') ? strrchr(rs->dump, '/') + 1 : orq(rs->dump));
	else if (what)
		strbuf_addf(what, _("replaces database \"%s\" (kept as \"%s_pre_restore_%s\") "
			    "with %s"), orq(rs->dbname), orq(rs->dbname), rs->stamp,
			    rs->dump && strrchr(rs->dump, '/') ? strrchr(rs->dump, '/') + 1 : orq(rs->dump));
	if (what && !rs->db_missing)
		add_live_sessions(rs, what);
	if (what && rs->found.db_warning)
		strbuf_addf(what, _("; warning: %s"), restore_db_warning(rs));
	if (what && rs->dump_refused && rs->dump && strcmp(rs->dump, rs->dump_refused))
		add_dump_age(rs, what);
	return 1;
}

/* The database name: typed to confirm the replacement. */
static const char *database_confirm_word(const struct run *run)
{
	return restore_of(run)->dbname;
}

/* @s quoted as an SQL identifier (@q '"') or literal (@q '\''): @q
 * around it, doubled inside, as quote_ident() and quote_literal() do. */
static void add_sql_quoted(struct strbuf *out, char q, const char *s)
{
	strbuf_addch(out, q);
	for (; *s; s++) {
		if (*s == q)
			strbuf_addch(out, q);
		strbuf_addch(out, *s);
	}
	strbuf_addch(out, q);
}

void restore_add_swap_psql(struct strbuf *out, const struct restore *rs, const char *keep_as,
			   const char *take)
{
	char *host = NULL, *port = NULL, *sql;
	struct strbuf q = STRBUF_INIT;

	if (rs->conninfo) {
		host = conninfo_get(rs->conninfo, "host");
		port = conninfo_get(rs->conninfo, "port");
	}
	/* as the step swaps: the sessions on the live database ended (RENAME
	 * refuses while one is left), both renames in one transaction */
	strbuf_addstr(&q, "BEGIN; ");
	if (keep_as) {
		strbuf_addstr(&q, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
			      "WHERE datname = ");
		add_sql_quoted(&q, '\'', orq(rs->dbname));
		strbuf_addstr(&q, " AND pid <> pg_backend_pid(); ALTER DATABASE ");
		add_sql_quoted(&q, '"', orq(rs->dbname));
		strbuf_addstr(&q, " RENAME TO ");
		add_sql_quoted(&q, '"', keep_as);
		strbuf_addstr(&q, "; ");
	}
	strbuf_addstr(&q, "ALTER DATABASE ");
	add_sql_quoted(&q, '"', take);
	strbuf_addstr(&q, " RENAME TO ");
	add_sql_quoted(&q, '"', orq(rs->dbname));
	strbuf_addstr(&q, "; COMMIT;");
	sql = strbuf_detach(&q, NULL);
	runcmd_format_argv((const char *const[]){ "psql", "-X", "-v", "ON_ERROR_STOP=1", "-h",
						  host ? host : "localhost", "-p", port ? port : "5432",
						  "-U", "postgres", "-d", "postgres", "-c", sql, NULL },
			   out);
	free(host);
	free(port);
	free(sql);
}

static void database_manual(const struct run *run, struct strbuf *out)
{
	const struct restore *rs = restore_of(run);
	const struct conf *c = rs->conf;
	char *owner = NULL, *host = NULL, *port = NULL, *user = NULL;
	char *staging = xstrfmt("%s_restoring", orq(rs->dbname));
	char *keepdb = xstrfmt("%s_pre_restore_%s", orq(rs->dbname), rs->stamp);
	const char *h, *pt;

	if (rs->conninfo) {
		host = conninfo_get(rs->conninfo, "host");
		port = conninfo_get(rs->conninfo, "port");
		user = conninfo_get(rs->conninfo, "user");
	}
	owner = nonempty(c->database.owner) ? xstrdup(c->database.owner) : user ? xstrdup(user) : NULL;
	h = host ? host : "localhost";
	pt = port ? port : "5432";
	restore_add_cmd(out, 0, "createdb", "-h", h, "-p", pt, "-U", "postgres", "-T", "template0",
			"-O", owner ? owner : "postgres", "-E", orq(c->database.encoding),
			"--lc-collate", orq(c->database.lc_collate), "--lc-ctype",
			orq(c->database.lc_ctype), staging, NULL);
	if (rs->dump_kind == MAGIC_GZIP_SQL)
		restore_add_cmd(out, 3, "gunzip", "-c", orq(rs->dump), "psql", "-X", "-q", "-v",
				"ON_ERROR_STOP=1", "-h", h, "-p", pt, "-U", owner ? owner : "postgres",
				"-d", staging, NULL);
	else
		restore_add_cmd(out, 0, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", h, "-p", pt,
				"-U", owner ? owner : "postgres", "-d", staging, "-f", orq(rs->dump),
				NULL);
	strbuf_addstr(out, "     ");
	restore_add_swap_psql(out, rs, rs->db_missing ? NULL : keepdb, staging);
	strbuf_addch(out, '\n');
	restore_add_cmd(out, 0, "psql", "-h", h, "-p", pt, "-U", owner ? owner : "postgres", "-d",
			orq(rs->dbname), "-c", "ANALYZE", NULL);
	free(owner);
	free(host);
	free(port);
	free(user);
	free(staging);
	free(keepdb);
}

/* Blocked while the plan's dump is the one restore_preflight() found
 * unusable (rs->allow_bad_dump): @why gets what is wrong and the newest
 * complete dump, how much older; @e why a run of the step fails. */
static int database_blocked(const struct run *run, struct strbuf *why, struct err *e)
{
	const struct restore *rs = restore_of(run);
	if (!rs->dump_refused || !rs->dump || strcmp(rs->dump, rs->dump_refused))
		return 0;
	if (e) {
		err_set(e, "%s", orq_en(rs->dump_refused_why));
		err_hint(e, "Choose another dump (the wizard: o on this step).");
	}
	if (why) {
		strbuf_addf(why, _("%s."), orq(i18n_is_english() || !rs->dump_refused_why_l10n
					       ? rs->dump_refused_why : rs->dump_refused_why_l10n));
		if (rs->dump_usable) {
			const struct backup_item *ok = restore_dump_item(rs, rs->dump_usable);
			strbuf_addf(why, _(" The newest complete dump is %s"), ok ? ok->name : rs->dump_usable);
			add_older(why, restore_dump_item(rs, rs->dump_refused), ok);
			strbuf_addch(why, '.');
		} else {
			strbuf_addstr(why, _(" No older dump of the backup set is complete."));
		}
	}
	return 1;
}

/* The dumps of the backup set; NULL without one. */
static const struct backup_list *database_sources(const struct run *run, size_t *cur)
{
	const struct restore *rs = restore_of(run);
	const struct backup_list *l = rs->backups ? &rs->backups->dumps : NULL;
	if (cur)
		*cur = restore_list_index(l, rs->dump);
	return l;
}

/* Another dump, read once whole as the preflight reads the plan's (which
 * takes a while for a big one), its free space on the server checked
 * again and its tables compared with the live database's. */
static int database_use_source(struct run *run, size_t i, struct report *r, struct err *e)
{
	struct restore *rs = restore_of(run);
	size_t cur;
	const struct backup_list *l = database_sources(run, &cur);
	char *old = rs->dump;
	enum magic_kind old_kind = rs->dump_kind;
	struct dumpinfo *old_info = rs->found.dump_info;
	int ret;

	if (!l || i >= l->n)
		return err_set(e, "no such backup to choose for step %s", "database");
	if (i == cur)
		return 0;
	rs->dump = xstrdup(l->items[i].path);
	ret = magic_detect(rs->dump, &rs->dump_kind, e);
	if (ret == 0 && rs->dump_refused_damaged && !strcmp(rs->dump, rs->dump_refused)) {
		/* its backup's checksums failed: the gzip stream may still read */
		err_set_l10n(e, rs->dump_refused_why_l10n, "%s", rs->dump_refused_why);
		ret = -1;
	} else if (ret == 0 && dumpread_kind_check(rs->dump, rs->dump_kind, e) < 0) {
		ret = -1;
	} else if (ret == 0) {
		rs->found.dump_info = NULL; /* restore_check_dump() keeps the new dump's counts */
		ret = restore_check_dump(rs, rs->dump, r, e);
		/* another dump, another size: does it fit as the plan's did? */
		if (ret == 0 && (rs->selected & STEP_BIT(STEP_DATABASE)))
			ret = restore_check_db_space(rs, &rs->found, r, e);
	}
	if (ret < 0) {
		restore_log_refused_source(r, "database", l->items[i].name, old, e);
		if (rs->found.dump_info && rs->found.dump_info != old_info) {
			dumpinfo_release(rs->found.dump_info);
			free(rs->found.dump_info);
		}
		rs->found.dump_info = old_info;
		free(rs->dump);
		rs->dump = old;
		rs->dump_kind = old_kind;
		return -1;
	}
	if (old_info) {
		dumpinfo_release(old_info);
		free(old_info);
	}
	restore_check_live_tables(rs, &rs->found, r);
	report_log(r, LOG_INFO, "step %s: the operator chose %s instead of %s", "database",
		   rs->dump, orq_en(old));
	free(old);
	return 0;
}

/* The chooser's marks: the dump the preflight found unusable (cut off or
 * unreadable), and the newest complete one older than it. */
static const char *database_source_mark(const struct run *run, size_t i)
{
	const struct restore *rs = restore_of(run);
	const struct backup_list *l = database_sources(run, NULL);
	if (!l || i >= l->n)
		return NULL;
	/* (a damaged one's state column says DAMAGED: restore_source_note()) */
	if (rs->dump_refused && !strcmp(l->items[i].path, rs->dump_refused))
		return rs->dump_refused_cut ? N_("CUT OFF") : rs->dump_refused_damaged ? NULL
										 : N_("UNUSABLE");
	if (rs->dump_usable && !strcmp(l->items[i].path, rs->dump_usable))
		return RUN_MARK_USABLE;
	return NULL;
}

static void database_source_note(const struct run *run, size_t i, struct strbuf *out,
				 uint64_t *bytes)
{
	restore_source_note(restore_of(run), database_sources(run, NULL), i, "db", out, bytes);
}

/* Replay @dump into @dbname via a fresh <db>_restoring and swap it in
 * (dbreplace_run()); the old database is kept as <db>_pre_restore_<time>. */
static int restore_one_database(struct restore *rs, const char *dump, const char *dbname,
				const char *conninfo, struct step_out *so, struct report *r,
				struct err *e, char **kept_as, struct replay_stats *stats)
{
	struct dbreplace_opts o = { 0 };
	struct dbreplace_result res = { 0 };
	char *keep = xstrfmt("%s_pre_restore_%s", dbname, rs->stamp);
	int ret;

	o.conf = rs->conf;
	o.stamp = rs->stamp;
	o.admin_conninfo = rs->admin_conninfo;
	o.conninfo = conninfo;
	o.dbname = dbname;
	o.dump = dump;
	o.info = dump == rs->dump ? rs->found.dump_info : NULL;
	o.jobs = rs->jobs;
	o.keep_as = keep;
	if (run_resumed(rs->run)) {
		/* the interrupted run swapped this database in already (its
		 * kept name exists): never a second pre-restore copy */
		PGconn *admin = dbadmin_connect_report(rs->admin_conninfo, r, e);
		int exists = 0;
		if (!admin || dbadmin_exists(admin, keep, &exists, e) < 0) {
			if (admin)
				PQfinish(admin);
			free(keep);
			return -1;
		}
		PQfinish(admin);
		if (exists) {
			report_log(r, LOG_INFO, "the interrupted run had replaced database \"%s\" "
				   "already (the old one is kept as \"%s\"): not replayed again",
				   dbname, keep);
			*kept_as = keep;
			return 0;
		}
	}
	ret = dbreplace_run(&o, so, stats, &res, r, e);
	if (ret == 0 && !strcmp(dbname, rs->dbname ? rs->dbname : "")) {
		rs->rows_verified = 1;
		rs->rows_verified_tables = res.tables;
	}
	*kept_as = res.kept_as;
	free(keep);
	return ret;
}

static int database_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct restore *rs = restore_of(run);
	struct replay_stats stats = { 0 };
	char *kept = NULL;
	/* found by the preflight; the operator saw it in the plan and the
	 * confirmation: say it again where the step's warnings are counted */
	if (rs->found.db_warning)
		report_log_l10n(r, LOG_WARN, rs->found.db_warning_l10n, "%s", rs->found.db_warning);
	out->source = rs->log_dump ? xstrfmt("%s, %s", orq_en(rs->dump), rs->log_dump)
				   : rs->dump ? xstrdup(rs->dump) : NULL;
	if (restore_one_database(rs, rs->dump, rs->dbname, rs->conninfo, out, r, e, &kept,
				 &stats) < 0)
		return -1;
	{
		/* English for the log, and the screen's translation */
		for (int l10n = 0; l10n < 2; l10n++) {
			struct strbuf sb = STRBUF_INIT;
			int was = i18n_english(!l10n);
			unsigned long long n = stats.statements;
			strbuf_addf(&sb, P_("%llu statement", "%llu statements", n), n);
			n = stats.copy_rows;
			strbuf_addf(&sb, P_(", %llu COPY row", ", %llu COPY rows", n), n);
			n = stats.copy_blocks;
			strbuf_addf(&sb, P_(" in %llu table", " in %llu tables", n), n);
			i18n_english(was);
			*(l10n ? &out->summary_l10n : &out->summary) = strbuf_detach(&sb, NULL);
		}
	}
	out->kept_as = kept;
	if (rs->log_dump && rs->log_dbname) {
		const char *ci_src = nonempty(rs->conf->log_database.conninfo) ? rs->conf->log_database.conninfo
									: rs->conninfo;
		char *ci = conninfo_with_dbname(ci_src, rs->log_dbname, e);
		char *kept2 = NULL;
		struct replay_stats st2 = { 0 };
		if (!ci)
			return -1;
		int ret = restore_one_database(rs, rs->log_dump, rs->log_dbname, ci, out, r, e, &kept2,
					       &st2);
		free(ci);
		if (kept2) {
			/* both kept databases are named in the summary */
			char *both = kept ? xstrfmt("%s, %s", kept, kept2) : xstrdup(kept2);
			free(out->kept_as);
			out->kept_as = both;
		}
		free(kept2);
		if (ret < 0)
			return -1;
	}
	return 0;
}

const struct step_def restore_step_database = {
	.name = "database",
	.title = N_("Restore the database"),
	.explain = N_("Creates <db>_restoring (TEMPLATE template0, UTF8, de_CH.utf8), replays the "
		"plain-format dump into it through libpq, and only when that succeeded "
		"renames the live database to <db>_pre_restore_<time> and the new one into "
		"place, then runs ANALYZE. A failed replay leaves the live database alone."),
	.flags = STEP_F_STOPS_SERVICES | STEP_F_DATABASE,
	.choose_note = N_(" (the dump is read once, whole)"),
	.describe = database_describe,
	.destructive = database_destructive,
	.confirm_word = database_confirm_word,
	.confirm_label = N_("the database name"),
	.manual = database_manual,
	.blocked = database_blocked,
	.sources = database_sources,
	.use_source = database_use_source,
	.source_mark = database_source_mark,
	.source_note = database_source_note,
	.run = database_run,
};
