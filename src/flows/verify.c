/* verify: checks of a restored instance, and the restore's last step that
 * makes them; see verify.h and restore.h. */
#include "config.h"
#include "i18n.h"
#include "verify.h"
#include "bisocli.h"
#include "conf.h"
#include "dbadmin.h"
#include "dumpinfo.h"
#include "fault.h"
#include "restore.h"
#include "restore_int.h"
#include "runcmd.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct checks {
	struct strbuf text;    /* the report, English (the file, the log) */
	struct strbuf shown;   /* its lines in the operator's language */
	struct strbuf failed;  /* the FAIL lines, "; "-separated, for the error */
	struct strbuf failed_l10n; /* the same translated */
	unsigned pass, warn, fail;
	struct report *r;
};

/* One check's line: @fmt is a msgid, formatted in English for the report
 * file (next to the run log), the error and the log, and from its
 * translation with the same arguments for the screen.  @why, an error the
 * check found (NULL: none), follows ": " in each language: its message and
 * detail, English in the English line, translated in the screen's.
 * @own_shown (NULL: none) is the screen's line formatted by the caller. */
static void check_v(struct checks *ck, enum check_result res, const struct err *why,
		    const char *own_shown, const char *fmt, va_list ap)
{
	static const char *word[] = { N_("PASS"), N_("WARN"), N_("FAIL") };
	struct strbuf line = STRBUF_INIT, shown = STRBUF_INIT;
	fault_point("verify.check");
	if (own_shown) {
		strbuf_addstr(&shown, own_shown);
	} else {
		const char *l10n = i18n_find(fmt);
		va_list aq;
		va_copy(aq, ap);
		strbuf_vaddf(&shown, l10n ? l10n : fmt, aq);
		va_end(aq);
	}
	strbuf_vaddf(&line, fmt, ap);
	if (why && why->msg) {
		strbuf_addf(&line, ": %s", why->msg);
		strbuf_addf(&shown, ": %s", why->lmsg ? why->lmsg : why->msg);
		if (why->detail) {
			strbuf_addf(&line, ": %s", why->detail);
			strbuf_addf(&shown, ": %s", why->ldetail ? why->ldetail : why->detail);
		}
	}
	strbuf_addf(&ck->text, "%s  %s\n", word[res], line.buf);
	strbuf_addf(&ck->shown, "%s  %s\n", _(word[res]), shown.buf);
	{
		char *screen = xstrfmt("%s  %s", _(word[res]), shown.buf);
		report_log_l10n(ck->r, res == CHECK_PASS ? LOG_INFO : res == CHECK_WARN ? LOG_WARN : LOG_ERROR,
				screen, "%s  %s", word[res], line.buf);
		free(screen);
	}
	if (res == CHECK_PASS)
		ck->pass++;
	else if (res == CHECK_WARN)
		ck->warn++;
	else {
		ck->fail++;
		strbuf_addf(&ck->failed, "%s%s", ck->failed.len ? "; " : "", line.buf);
		strbuf_addf(&ck->failed_l10n, "%s%s", ck->failed_l10n.len ? "; " : "", shown.buf);
	}
	strbuf_release(&shown);
	strbuf_release(&line);
}

/* check_v() without an error (po/Makevars: xgettext keyword check:3). */
static void check(struct checks *ck, enum check_result res, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void check(struct checks *ck, enum check_result res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_v(ck, res, NULL, NULL, fmt, ap);
	va_end(ap);
}

/* check_v() with the error @why the check found (po/Makevars: xgettext
 * keyword check_err:4): never its English message inside a translated
 * line. */
static void check_err(struct checks *ck, enum check_result res, const struct err *why,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void check_err(struct checks *ck, enum check_result res, const struct err *why,
		      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_v(ck, res, why, NULL, fmt, ap);
	va_end(ap);
}

/* check_v() whose screen line @shown the caller formatted (check_lang()). */
static void check_shown(struct checks *ck, enum check_result res, const struct err *why,
			const char *shown, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void check_shown(struct checks *ck, enum check_result res, const struct err *why,
			const char *shown, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_v(ck, res, why, shown, fmt, ap);
	va_end(ap);
}

/* check_err() for a line whose arguments differ by language (orq_en()
 * and orq(), a reason built in each language): @fmt formatted with the
 * argument list EN for the report, the error and the log, and translated
 * with L10N for the screen; EN and L10N each in parentheses
 * (po/Makevars: xgettext keyword check_lang:4). */
#define ARGS_(...) __VA_ARGS__
#define check_lang(ck, res, why, fmt, EN, L10N) do { \
		char *shown_ = xstrfmt(_(fmt), ARGS_ L10N); \
		check_shown(ck, res, why, shown_, fmt, ARGS_ EN); \
		free(shown_); \
	} while (0)

/* Compare every table's row count in @db with the rows of its COPY block in
 * @dump.  Returns the number of tables that differ (each one logged at
 * @level), or -1 with @e when the dump cannot be read; *@tables gets the
 * number of tables compared and *@complete whether the dump has its trailer. */
int verify_row_counts(PGconn *db, const char *dump, const struct dumpinfo *known,
		      struct report *r, enum log_level level, unsigned *tables, int *complete,
		      struct err *e)
{
	struct dumpinfo scanned = { 0 };
	const struct dumpinfo *di = known;
	int bad = 0;

	*tables = 0;
	if (!di) {
		if (dumpinfo_scan(dump, &scanned, NULL, e) < 0) {
			dumpinfo_release(&scanned);
			return -1;
		}
		di = &scanned;
	}
	*complete = di->complete;
	for (size_t i = 0; i < di->n_tables; i++) {
		const struct dumpinfo_table *t = &di->tables[i];
		struct strbuf sql = STRBUF_INIT;
		char *parts[2];
		int n = dbadmin_split_qualified_name(t->name, parts);
		if (!n) {
			report_log(r, level, "cannot parse the table name %s of dump line %ld",
				   t->name, t->line);
			bad++;
			continue;
		}
		/* ONLY: an inheritance parent's COPY block holds none of its children's rows. */
		strbuf_addstr(&sql, "SELECT count(*) FROM ONLY ");
		for (int p = 0; p < n; p++) {
			char *q = PQescapeIdentifier(db, parts[p], strlen(parts[p]));
			if (p)
				strbuf_addch(&sql, '.');
			strbuf_addstr(&sql, q ? q : "\"?\"");
			PQfreemem(q);
			free(parts[p]);
		}
		PGresult *res = PQexec(db, sql.buf);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			report_log(r, level, "table %s: %s", t->name,
				   PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
			bad++;
		} else {
			unsigned long long have = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
			if (have != t->rows) {
				report_log(r, level, "table %s has %llu rows, its COPY block in the dump "
					   "(line %ld) %llu", t->name, have, t->line,
					   (unsigned long long)t->rows);
				bad++;
			}
		}
		(*tables)++;
		PQclear(res);
		strbuf_release(&sql);
	}
	dumpinfo_release(&scanned);
	return bad;
}

static void check_row_counts(struct restore *rs, PGconn *db, struct checks *ck)
{
	struct err e = ERR_INIT;
	unsigned tables = 0;
	int complete = 0, bad;

	if (rs->rows_verified) {
		check(ck, CHECK_PASS, "row counts of all %u tables equal their COPY blocks in the dump "
		      "(checked before the swap)", rs->rows_verified_tables);
		return;
	}
	if (!rs->dump) {
		check(ck, CHECK_WARN, "row counts: no dump known to compare with");
		return;
	}
	/* Not restored in this run: migrations may have changed rows since. */
	bad = verify_row_counts(db, rs->dump, rs->found.dump_info, ck->r, LOG_WARN, &tables, &complete, &e);
	if (bad < 0) {
		check_err(ck, CHECK_FAIL, &e, "row counts: cannot read %s", rs->dump);
		err_clear(&e);
	} else if (bad) {
		check(ck, CHECK_WARN, "row counts: %d of %u tables differ from the dump %s (the "
		      "database was not restored in this run; migrations may have changed rows)",
		      bad, tables, rs->dump);
	} else {
		check(ck, CHECK_PASS, "row counts of all %u tables equal their COPY blocks in the dump",
		      tables);
	}
	if (!complete && bad >= 0)
		check(ck, CHECK_WARN, "the dump has no \"dump complete\" trailer");
}

/* Pending migrations: asked with the configured migration_status command,
 * which prints "pending: N".  A command the instance does not have (BISO's
 * manual documents only "migration exec") or output without that line
 * cannot tell: a warning, never a failure of a correct restore.  Without
 * one, a migration exec that exited 0 in this run is the evidence.
 * Returns the number pending, or -1 when it cannot tell. */
static long check_migrations(struct restore *rs, struct report *r, struct checks *ck)
{
	const struct conf *c = rs->conf;
	struct strbuf out = STRBUF_INIT;
	struct err e = ERR_INIT;
	const char *p;
	long pending = -1;

	if (!c->migration_status || !c->migration_status[0]) {
		if (restore_state(rs, STEP_MIGRATIONS) == STEP_DONE)
			check(ck, CHECK_PASS, "migrations: biso-cli migration exec exited 0 in this run");
		else
			check(ck, CHECK_WARN, "cannot tell whether migrations are pending (the migrations "
			      "step did not run in this run, and migration_status is not set)");
		return -1;
	}
	if (bisocli_run(c, rs->webroot, (const char *const *)c->migration_status, &out, r, &e) < 0)
		check_err(ck, CHECK_WARN, &e, "cannot tell whether migrations are pending");
	else if (!(p = strstr(out.buf, "pending:")))
		check(ck, CHECK_WARN, "cannot tell whether migrations are pending: the migration_status "
		      "command printed no \"pending: N\"");
	else if ((pending = strtol(p + 8, NULL, 10)) > 0)
		if (pending == 1)
			check(ck, CHECK_FAIL, "1 migration pending");
		else
			check(ck, CHECK_FAIL, "%ld migrations pending", pending);
	else
		check(ck, CHECK_PASS, "0 migrations pending");
	err_clear(&e);
	strbuf_release(&out);
	return pending;
}

/* One bad entry: counted, and named while fewer than @max are, with why
 * in English (@why) and in the operator's language (@why_l10n). */
static void tree_bad(struct tree_owner *t, unsigned max, const char *path, const char *why,
		     const char *why_l10n)
{
	if (t->first && t->bad < max)
		strbuf_addf(t->first, "%s%s (%s)", t->bad ? ", " : "", *path ? path : ".", why);
	if (t->first_l10n && t->bad < max)
		strbuf_addf(t->first_l10n, "%s%s (%s)", t->bad ? ", " : "", *path ? path : ".",
			    why_l10n);
	t->bad++;
}

/* tree_bad() for errno @errnum: strerror in each language. */
static void tree_bad_errno(struct tree_owner *t, unsigned max, const char *path, int errnum)
{
	char *en = xstrdup(i18n_strerror_en(errnum));
	tree_bad(t, max, path, en, strerror(errnum));
	free(en);
}

static void tree_check(struct tree_owner *t, unsigned max, const char *path, const struct stat *st,
		       uid_t uid, gid_t gid)
{
	struct strbuf why = STRBUF_INIT, why_l10n = STRBUF_INIT;
	mode_t need = S_ISDIR(st->st_mode) ? S_IRWXU : S_IRUSR | S_IWUSR;
	t->entries++;
	if (st->st_uid != uid || st->st_gid != gid) {
		strbuf_addf(&why, "owner %lu:%lu", (unsigned long)st->st_uid,
			    (unsigned long)st->st_gid);
		strbuf_addf(&why_l10n, _("owner %lu:%lu"), (unsigned long)st->st_uid,
			    (unsigned long)st->st_gid);
	}
	if (!S_ISLNK(st->st_mode) && (st->st_mode & need) != need) {
		strbuf_addf(&why, "%smode %04o", why.len ? ", " : "", (unsigned)(st->st_mode & 07777));
		if (why_l10n.len)
			strbuf_addstr(&why_l10n, ", ");
		strbuf_addf(&why_l10n, _("mode %04o"), (unsigned)(st->st_mode & 07777));
	}
	if (why.len)
		tree_bad(t, max, path, why.buf, why_l10n.buf);
	strbuf_release(&why);
	strbuf_release(&why_l10n);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_dots(const struct dirent *de)
{
	return strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
}

/* Walk the directory open as @fd (closed here), in name order so that the
 * named entries are the same every time; @path is its relative path. */
static void tree_walk(int fd, struct strbuf *path, uid_t uid, gid_t gid, unsigned max,
		      struct tree_owner *t)
{
	struct dirent **names = NULL;
	size_t len = path->len;
	int n = scandirat(fd, ".", &names, not_dots, by_name);
	if (n < 0) {
		t->unread++;
		tree_bad_errno(t, max, path->buf, errno);
		close(fd);
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		struct stat st;
		unsigned long bad = t->bad;
		strbuf_setlen(path, len);
		strbuf_addf(path, "%s%s", len ? "/" : "", name);
		if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			tree_bad_errno(t, max, path->buf, errno);
			continue;
		}
		tree_check(t, max, path->buf, &st, uid, gid);
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				t->unread++;
				if (t->bad == bad) /* not counted twice */
					tree_bad_errno(t, max, path->buf, errno);
				continue;
			}
			tree_walk(sub, path, uid, gid, max, t);
		}
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	strbuf_setlen(path, len);
	close(fd);
}

int verify_tree_owner(const char *dir, uid_t uid, gid_t gid, unsigned max_named,
		      struct tree_owner *t, struct err *e)
{
	struct strbuf path = STRBUF_INIT;
	struct stat st;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err_errno(e, errno, "cannot open the directory %s", dir);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	tree_check(t, max_named, "", &st, uid, gid);
	tree_walk(fd, &path, uid, gid, max_named, t);
	strbuf_release(&path);
	return 0;
}

/* Run all checks on the instance of the run; writes the report to
 * <log_dir>/verify-<stamp>.txt (mode 0600; @out's report).  0 when nothing
 * FAILed (warnings allowed), -1 with @e (the report text as detail)
 * otherwise. */
static int verify_checks(struct run *run, struct step_out *out, struct report *r, struct err *e);

static int verify_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	if (verify_checks(run, out, r, e) == 0)
		return 0;
	restore_finish_hint(run, STEP_VERIFY, e);
	return -1;
}

static int verify_checks(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct restore *rs = restore_of(run);
	struct checks ck = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, 0, 0, 0, r };
	const struct conf *c = rs->conf;
	struct strbuf p = STRBUF_INIT;
	struct stat st;
	uid_t uid;
	gid_t gid;
	PGconn *db;
	struct err ce = ERR_INIT;
	int ret = 0;

	strbuf_addf(&ck.text, "biso-recover verification %s\nwebroot %s\ndatadir %s\n"
			      "database %s\n\n", rs->stamp, rs->webroot, orq_en(rs->datadir),
		    orq_en(rs->dbname));
	strbuf_addf(&ck.shown, _("biso-recover verification %s\nwebroot %s\ndatadir %s\n"
				 "database %s\n\n"), rs->stamp, rs->webroot, orq(rs->datadir),
		    orq(rs->dbname));
	/* webroot */
	strbuf_addf(&p, "%s/biso-cli", rs->webroot);
	int has_cli = stat(p.buf, &st) == 0 && S_ISREG(st.st_mode);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/config.php", rs->webroot);
	int has_conf = stat(p.buf, &st) == 0 && S_ISREG(st.st_mode);
	if (!has_cli)
		check(&ck, CHECK_FAIL, "webroot %s has no biso-cli", rs->webroot);
	else if (!has_conf)
		check(&ck, CHECK_FAIL, "webroot %s has no config.php", rs->webroot);
	else
		check(&ck, CHECK_PASS, "webroot %s holds biso-cli and config.php", rs->webroot);
	/* datadir */
	if (!rs->datadir || lstat(rs->datadir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		check_lang(&ck, CHECK_FAIL, NULL, "datadir %s does not exist", (orq_en(rs->datadir)),
			   (orq(rs->datadir)));
	} else if (conf_web_owner(c, &uid, &gid, &ce) < 0) {
		check_err(&ck, CHECK_FAIL, &ce, "datadir owner");
		err_clear(&ce);
	} else {
		/* every entry: a root-owned file or a mode-000 folder inside is
		 * as bad for the web server as a wrong top */
		struct strbuf first = STRBUF_INIT, first_l10n = STRBUF_INIT;
		struct tree_owner t = { 0, 0, 0, &first, &first_l10n };
		if (verify_tree_owner(rs->datadir, uid, gid, 5, &t, &ce) < 0) {
			check_err(&ck, CHECK_FAIL, &ce, "datadir");
			err_clear(&ce);
		} else if (t.bad) {
			check_lang(&ck, CHECK_FAIL, NULL, "datadir %s: %lu of %lu entries do not "
				   "belong to %s:%s with u+rwX: %s%s",
				   (rs->datadir, t.bad, t.entries, c->web_user, c->web_group,
				    first.buf, t.bad > 5 ? ", ..." : ""),
				   (rs->datadir, t.bad, t.entries, c->web_user, c->web_group,
				    first_l10n.buf, t.bad > 5 ? ", ..." : ""));
		} else {
			check(&ck, CHECK_PASS, "datadir %s: all %lu entries belong to %s:%s with u+rwX",
			      rs->datadir, t.entries, c->web_user, c->web_group);
		}
		strbuf_release(&first);
		strbuf_release(&first_l10n);
	}
	/* database */
	db = rs->conninfo ? dbadmin_connect(rs->conninfo, &ce) : NULL;
	if (!db) {
		if (!err_isset(&ce))
			err_set(&ce, "no conninfo");
		check_lang(&ck, CHECK_FAIL, &ce, "database %s does not answer", (orq_en(rs->dbname)),
			   (orq(rs->dbname)));
		err_clear(&ce);
	} else {
		check(&ck, CHECK_PASS, "database \"%s\" answers", rs->dbname);
		check_row_counts(rs, db, &ck);
		PQfinish(db);
	}
	/* migrations */
	long pending = check_migrations(rs, r, &ck);
	strbuf_addf(&ck.text, "\n%u passed, %u warnings, %u failed\n", ck.pass, ck.warn, ck.fail);
	strbuf_addch(&ck.shown, '\n');
	strbuf_addf(&ck.shown, _("%u passed, %u warnings, %u failed"), ck.pass, ck.warn, ck.fail);
	strbuf_addch(&ck.shown, '\n');

	/* Save the report next to the run log. */
	free(out->report);
	out->report = xstrfmt("%s/verify-%s.txt", c->log_dir, rs->stamp);
	mkdir(c->log_dir, 0700);
	int fd = open(out->report, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, ck.text.buf, ck.text.len) != (ssize_t)ck.text.len) {
		report_log(r, LOG_WARN, "cannot save the report %s: %s", out->report,
			   strerror(errno));
		free(out->report);
		out->report = NULL;
	}
	if (fd >= 0)
		close(fd);
	step_out_summaryf(out, "%u passed, %u warnings, %u failed", ck.pass, ck.warn, ck.fail);
	if (ck.fail) {
		/* the failed checks themselves: the summary shows this line,
		 * the report (the detail) may be cut on a small screen */
		/* the log English, the screen translated: the failed lines
		 * and the report in each language */
		char *shown;
		if (ck.fail == 1) {
			shown = xstrfmt(_("1 check failed: %s"), ck.failed_l10n.buf);
			err_set_l10n(e, shown, "1 check failed: %s", ck.failed.buf);
		} else {
			shown = xstrfmt(_("%u checks failed: %s"), ck.fail, ck.failed_l10n.buf);
			err_set_l10n(e, shown, "%u checks failed: %s", ck.fail, ck.failed.buf);
		}
		free(shown);
		err_detail_l10n(e, ck.shown.buf, "%s", ck.text.buf);
		/* verify alone would find them pending again: name the step that
		 * runs them */
		if (pending == 1)
			err_hint(e, "Run the pending migration: biso-recover restore --only "
				    "migrations,verify%s.", run_instance_opts(run));
		else if (pending > 1)
			err_hint(e, "Run the pending migrations: biso-recover restore --only "
				    "migrations,verify%s.", run_instance_opts(run));
		ret = -1;
	}
	strbuf_release(&ck.text);
	strbuf_release(&ck.shown);
	strbuf_release(&ck.failed);
	strbuf_release(&ck.failed_l10n);
	strbuf_release(&p);
	return ret;
}

static void verify_describe(const struct run *run, struct strbuf *out)
{
	const struct restore *rs = restore_of(run);
	strbuf_addf(out, _("checks: webroot, datadir owner, database, row counts, migrations\n"
			 "report: %s/verify-%s.txt\n"), rs->conf->log_dir, rs->stamp);
}

static void verify_manual(const struct run *run, struct strbuf *out)
{
	const struct restore *rs = restore_of(run);
	const struct conf *c = rs->conf;
	if (c->migration_status && c->migration_status[0])
		restore_add_bisocli_cmd(out, rs, (const char *const *)c->migration_status);
}

const struct step_def restore_step_verify = {
	.name = "verify",
	.title = N_("Verify the instance"),
	.explain = N_("Checks that the webroot holds biso-cli and config.php, the datadir exists "
		"and belongs to the web user, the database answers, every table has as many "
		"rows as its COPY block in the dump, and no migration is pending. The report "
		"is saved as a file."),
	.failed_note = N_("The restored instance is in place; the report lists what failed."),
	.flags = STEP_F_READS_ONLY,
	.describe = verify_describe,
	.manual = verify_manual,
	.run = verify_run,
};
