/* Unit tests for the restore plan (no database, no root needed). */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ctype.h>
#include <grp.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backupset.h"
#include "conf.h"
#include "dbadmin.h"
#include "dumpinfo.h"
#include "flow.h"
#include "i18n.h"
#include "restore.h"
#include "restore_int.h"
#include "run.h"
#include "strbuf.h"
#include "verify.h"
#include "unit_german.h"

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* A run of the restore flow on @c: the steps of @only (NULL: all), the
 * stamp @stamp (NULL: now). */
static struct run *new_run(struct conf *c, const char *only, const char *stamp, int dry_run,
			   struct err *e)
{
	struct run_opts o = { 0 };
	o.only = only;
	o.stamp = stamp;
	o.dry_run = dry_run;
	return run_new(&restore_flow, c, &o, e);
}

static void step_list_parses_names_and_rejects_unknown(void **state)
{
	struct conf c;
	struct err e = ERR_INIT;
	struct run *run;
	(void)state;
	conf_init_defaults(&c);
	run = new_run(&c, "database,verify", NULL, 0, &e);
	assert_non_null(run);
	assert_int_equal(restore_of(run)->selected, STEP_BIT(STEP_DATABASE) | STEP_BIT(STEP_VERIFY));
	run_free(run);
	assert_null(new_run(&c, "webroot,db", NULL, 0, &e));
	assert_non_null(strstr(e.msg, "\"db\""));
	assert_non_null(strstr(e.hint, "migrations"));
	err_clear(&e);
	conf_release(&c);
}

static void qualified_names_split_like_pg_dump_quotes_them(void **state)
{
	char *p[2];
	(void)state;
	assert_int_equal(dbadmin_split_qualified_name("public.person", p), 2);
	assert_string_equal(p[0], "public");
	assert_string_equal(p[1], "person");
	free(p[0]);
	free(p[1]);
	assert_int_equal(dbadmin_split_qualified_name("\"my.schema\".\"Odd \"\"name\"\"\"", p), 2);
	assert_string_equal(p[0], "my.schema");
	assert_string_equal(p[1], "Odd \"name\"");
	free(p[0]);
	free(p[1]);
	assert_int_equal(dbadmin_split_qualified_name("person", p), 1);
	assert_string_equal(p[0], "person");
	free(p[0]);
	assert_int_equal(dbadmin_split_qualified_name("public.\"unterminated", p), 0);
	assert_int_equal(dbadmin_split_qualified_name("a.b.c", p), 0);
}

struct fixture {
	char dir[64];
	struct conf c;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char path[256];
	strcpy(f->dir, "/tmp/br-restore-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof path, "%s/backups", f->dir); mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/backups/webroot", f->dir); mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/backups/data", f->dir); mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/backups/db", f->dir); mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/backups/webroot/biso-cli", f->dir);
	write_file(path, "#!/usr/bin/env php\n");
	snprintf(path, sizeof path, "%s/backups/webroot/config.php", f->dir);
	write_file(path, "<?php\nConfig::set('env', 'TEST');\n"
			 "Config::set('datadir', __DIR__ . '/data');\n"
			 "Config::set('gaia.db', ['host' => '/run/pg', 'port' => 5433, "
			 "'dbname' => 'biso', 'user' => 'biso', 'password' => 'pw']);\n");
	snprintf(path, sizeof path, "%s/backups/db/biso_20261101_020000.sql", f->dir);
	write_file(path, "SET x = 1;\n");
	snprintf(path, sizeof path, "%s/backups/db/biso_20261128_020000.sql", f->dir);
	write_file(path, "--\n-- PostgreSQL database dump\n--\n");
	snprintf(path, sizeof path, "%s/backups/db/biso_log_20261129_020000.sql", f->dir);
	write_file(path, "SET x = 1;\n");
	conf_init_defaults(&f->c);
	snprintf(path, sizeof path, "%s/backups", f->dir);
	conf_set_str(&f->c.backup_root, path);
	snprintf(path, sizeof path, "%s/live/webroot", f->dir);
	conf_set_str(&f->c.webroot, path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "rm", "-rf", f->dir, NULL };
	conf_release(&f->c);
	if (fork() == 0) {
		execvp("rm", argv);
		_exit(127);
	}
	wait(NULL);
	free(f);
	return 0;
}

static void plan_takes_newest_dump_and_config_php_of_the_backup(void **state)
{
	struct fixture *f = *state;
	struct run *run;
	struct restore *rs;
	struct err e = ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	char want[256];

	run = new_run(&f->c, NULL, "20261129_093000", 0, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	rs = restore_of(run);
	assert_non_null(strstr(rs->dump, "biso_20261128_020000.sql"));
	assert_int_equal(rs->dump_kind, MAGIC_SQL);
	assert_string_equal(rs->dbname, "biso");
	assert_string_equal(rs->env, "TEST");
	/* __DIR__ is the target webroot, not the backup copy. */
	snprintf(want, sizeof want, "%s/live/webroot/data", f->dir);
	assert_string_equal(rs->datadir, want);
	assert_non_null(strstr(rs->admin_conninfo, "dbname='postgres'") ?
			strstr(rs->admin_conninfo, "dbname='postgres'") :
			strstr(rs->admin_conninfo, "dbname=postgres"));
	/* Nothing exists at the target yet: only the database step replaces. */
	assert_int_equal(run_step_destructive(run, STEP_WEBROOT, NULL), 0);
	assert_int_equal(run_step_destructive(run, STEP_DATABASE, &sb), 1);
	assert_non_null(strstr(sb.buf, "biso_pre_restore_20261129_093000"));
	assert_string_equal(run_confirm_word(run, STEP_DATABASE), "biso");
	assert_null(run_confirm_word(run, STEP_WEBROOT));
	strbuf_reset(&sb);
	run_plan_text(run, &sb);
	assert_non_null(strstr(sb.buf, "-T template0"));
	assert_non_null(strstr(sb.buf, "-O biso"));
	assert_non_null(strstr(sb.buf, "biso-cli migration exec"));
	assert_null(strstr(sb.buf, "pw"));
	strbuf_release(&sb);
	run_free(run);
}

static void plan_refuses_custom_format_dump_with_a_hint(void **state)
{
	struct fixture *f = *state;
	struct run *run;
	struct err e = ERR_INIT;
	char path[256];

	snprintf(path, sizeof path, "%s/backups/db/biso_20261129_010000.sql.gz", f->dir);
	write_file(path, "PGDMP\001\016\000");
	run = new_run(&f->c, NULL, NULL, 0, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "custom-format"));
	assert_non_null(strstr(e.hint, "pg_restore"));
	err_clear(&e);
	run_free(run);
}

static void collect_log(void *ctx, enum log_level level, const char *line)
{
	(void)level;
	strbuf_addf(ctx, "%s\n", line);
}

/* The wizard's backup choice: an older complete dump replaces the plan's,
 * a cut-off one is refused and the plan keeps what it had.  The chosen
 * dump's free-space check on the database server is made again (here the
 * server cannot be reached: it says it was not checked). */
static void an_older_dump_can_be_chosen_a_cut_one_cannot(void **state)
{
	struct fixture *f = *state;
	struct run *run;
	struct restore *rs;
	struct err e = ERR_INIT;
	const struct backup_list *l;
	struct strbuf log = STRBUF_INIT;
	struct report rep = { .log = collect_log, .ctx = &log };
	char path[256];
	static const char complete[] = "--\n-- PostgreSQL database dump\n--\n\n"
		"CREATE TABLE t (a int);\n\n--\n-- PostgreSQL database dump complete\n--\n\n";

	snprintf(path, sizeof path, "%s/backups/db/biso_20261128_020000.sql", f->dir);
	write_file(path, complete);
	snprintf(path, sizeof path, "%s/backups/db/biso_20261120_020000.sql", f->dir);
	write_file(path, complete);
	run = new_run(&f->c, NULL, NULL, 0, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	rs = restore_of(run);
	assert_null(run_sources(run, STEP_WEBROOT, NULL));
	l = run_sources(run, STEP_DATABASE, NULL);
	assert_non_null(l);
	assert_int_equal(l->n, 3);
	assert_non_null(strstr(rs->dump, "biso_20261128_020000.sql"));
	assert_int_equal(run_use_source(run, STEP_DATABASE, 1, &rep, &e), 0);
	assert_non_null(strstr(log.buf, "free space for the new database: not checked (cannot "
				 "connect to database"));
	assert_non_null(strstr(rs->dump, "biso_20261120_020000.sql"));
	assert_non_null(rs->found.dump_info);
	assert_true(rs->found.dump_info->complete);
	/* biso_20261101_020000.sql has no trailer */
	assert_int_equal(run_use_source(run, STEP_DATABASE, 2, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "cut off"));
	err_clear(&e);
	assert_non_null(strstr(rs->dump, "biso_20261120_020000.sql"));
	assert_non_null(rs->found.dump_info);
	assert_int_equal(run_use_source(run, STEP_DATABASE, 3, NULL, &e), -1);
	err_clear(&e);
	run_free(run);
	strbuf_release(&log);
}

/* The dump check on its thread beside the first steps (rs->checks_later,
 * as restore_preflight() starts it for a line-mode restore): meanwhile the
 * run's thread shows every step as the runner's VIEW and the plan text do,
 * and the plan's state says nothing of the check; what it found becomes
 * the plan's only once it was waited for (restore_checks_done()).  Built
 * with -fsanitize=thread, this test reports no data race: the check's
 * thread writes nothing the run's thread reads. */
static void the_dump_check_beside_the_steps_hands_over_after_the_wait(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT, log = STRBUF_INIT;
	struct report rep = { .log = collect_log, .ctx = &log };
	struct err e = ERR_INIT;
	struct run *run;
	struct restore *rs;
	char path[256];
	static const char complete[] = "--\n-- PostgreSQL database dump\n--\n\n"
		"CREATE TABLE t (a int);\n\n--\n-- PostgreSQL database dump complete\n--\n\n";

	snprintf(path, sizeof path, "%s/backups/db/biso_20261128_020000.sql", f->dir);
	write_file(path, complete);
	run = new_run(&f->c, "webroot,database", "20261129_093000", 0, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	rs = restore_of(run);
	rs->checks_later = 1;
	run_checks_later(run);
	for (size_t i = 0; i < run_step_count(run); i++) {
		const struct backup_list *l = run_sources(run, i, NULL);
		run_describe_step(run, i, &sb);
		run_step_destructive(run, i, &sb);
		run_step_blocked(run, i, &sb);
		for (size_t k = 0; l && k < l->n; k++) {
			uint64_t bytes;
			run_source_mark(run, i, k);
			run_source_note(run, i, k, &sb, &bytes);
		}
	}
	run_plan_text(run, &sb);
	run_summary(run, &sb);
	assert_null(rs->found.dump_info);
	assert_null(rs->found.db_warning);
	assert_int_equal(run_wait_checks(run, &rep, &e), 0);
	assert_non_null(rs->found.dump_info);
	assert_true(rs->found.dump_info->complete);
	assert_int_equal(rs->found.compared, 1);
	assert_null(rs->checks_found.dump_info);
	/* the check's lines reach the front end at the wait */
	assert_non_null(strstr(log.buf, "biso_20261128_020000.sql: pg_dump of an unknown version"));
	run_free(run);
	strbuf_release(&sb);
	strbuf_release(&log);
}

/* A report that keeps each line in both languages: "EN line" and "DE shown". */
static void keep_both(void *ctx, enum log_level level, const char *line, const char *shown)
{
	(void)level;
	strbuf_addf(ctx, "EN %s\nDE %s\n", line, shown);
}

/* 1 when @w is a whole word of @text (letters around it end it). */
static int has_word(const char *text, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = text; (p = strstr(p, w)); p++)
		if ((p == text || !isalpha((unsigned char)p[-1])) && !isalpha((unsigned char)p[n]))
			return 1;
	return 0;
}

/* The words (three letters or more: "in" is German too) of the English
 * log lines ("EN ") of @log, less those of the values the lines carry
 * (@f's paths and names): none may be a word of @shown, text for a German
 * screen.  Case counts ("Webroot" is German too, "host" not). */
static void no_english_word_in(const char *log, const char *shown, const struct fixture *f)
{
	struct strbuf en = STRBUF_INIT, values = STRBUF_INIT, word = STRBUF_INIT;
	struct passwd *pw = getpwuid(getuid());
	/* names and paths, and words of neither language (a step's name,
	 * a setting's) */
	strbuf_addf(&values, " %s %s %s %s live webroot data biso cli config php nosocket log "
		    "verify txt rwX migrations migration_status ", f->dir, pw ? pw->pw_name : "", f->c.web_user, f->c.web_group);
	for (const char *p = log; *p;) {
		const char *end = strchrnul(p, '\n'), *pq;
		if (!strncmp(p, "EN ", 3)) {
			strbuf_addf(&en, " %.*s ", (int)(end - p - 3), p + 3);
			/* libpq's message follows the locale, in the log too */
			if ((pq = strstr(p, "cannot connect to database")) && pq < end &&
			    (pq = strstr(pq, "): ")) && pq < end)
				strbuf_addf(&values, " %.*s ", (int)(end - pq), pq);
		}
		p = *end ? end + 1 : end;
	}
	for (const char *p = shown; *p;) {
		const char *q = p;
		while (isalpha((unsigned char)*q))
			q++;
		if (q - p >= 3) {
			strbuf_reset(&word);
			strbuf_addf(&word, "%.*s", (int)(q - p), p);
			if (has_word(en.buf, word.buf) && !has_word(values.buf, word.buf))
				fail_msg("English word \"%s\" on a German screen: %s\n(the log's "
					 "lines: %s)", word.buf, shown, en.buf);
		}
		p = *q ? q + 1 : q;
	}
	strbuf_release(&en);
	strbuf_release(&values);
	strbuf_release(&word);
}

/* no_english_word_in() for each German screen line ("DE ") of @log. */
static void no_english_word(const char *log, const struct fixture *f)
{
	for (const char *p = log; *p;) {
		const char *end = strchrnul(p, '\n');
		if (!strncmp(p, "DE ", 3)) {
			char *line = xstrndup(p + 3, (size_t)(end - p - 3));
			no_english_word_in(log, line, f);
			free(line);
		}
		p = *end ? end + 1 : end;
	}
}

/* The refusal of a cut-off dump chosen in the wizard, with
 * LANG=de_CH.UTF-8 and the catalogue `make` compiled into the build
 * tree's locale/: the log pane's line is German, the error in it too; the
 * log's line is English. */
static void a_refused_dump_is_logged_in_both_languages(void **state)
{
	struct fixture *f = *state;
	struct run *run;
	struct err e = ERR_INIT;
	struct strbuf log = STRBUF_INIT;
	struct report rep = { .log_l10n = keep_both, .ctx = &log };
	char path[256];
	static const char complete[] = "--\n-- PostgreSQL database dump\n--\n\n"
		"CREATE TABLE t (a int);\n\n--\n-- PostgreSQL database dump complete\n--\n\n";
	if (unit_german() < 0)
		skip(); /* no catalogue built, or no de_CH locale (tools/deps.sh makes it) */
	snprintf(path, sizeof path, "%s/backups/db/biso_20261128_020000.sql", f->dir);
	write_file(path, complete);
	run = new_run(&f->c, NULL, NULL, 0, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	assert_int_equal(run_sources(run, STEP_DATABASE, NULL)->n, 2);
	/* biso_20261101_020000.sql has no trailer: refused, logged */
	assert_int_equal(run_use_source(run, STEP_DATABASE, 1, &rep, &e), -1);
	if (!strstr(log.buf, "EN step database: biso_20261101_020000.sql cannot be used; the step "
		    "keeps ") || !strstr(log.buf, "trailer: it was cut off\n"))
		fail_msg("the log's line is not English: %s", log.buf);
	if (!strstr(log.buf, "DE Schritt database: biso_20261101_020000.sql ist nicht brauchbar; "
		    "der Schritt beh\xc3\xa4lt ") ||
	    !strstr(log.buf, "der Dump wurde abgeschnitten\n"))
		fail_msg("the screen's line is not German: %s", log.buf);
	err_clear(&e);
	run_free(run);
	setenv("LANG", "C", 1);
	i18n_init();
	setlocale(LC_ALL, "C");
	strbuf_release(&log);
}

/* The verification's check lines that carry an error the check found (the
 * web user of the datadir's owner check, the database's connection) are
 * whole German sentences on a German screen, the error's message in
 * German too; the log's lines, the report file and the error's message
 * stay English.  The step's error (the failed checks, the report as its
 * detail, which a failed step's screen shows) is German on the screen. */
static void verify_lines_are_german_with_their_errors(void **state)
{
	struct fixture *f = *state;
	struct run *run;
	struct err e = ERR_INIT;
	struct strbuf log = STRBUF_INIT, shown = STRBUF_INIT;
	struct report rep = { .log_l10n = keep_both, .ctx = &log };
	char path[256];
	if (unit_german() < 0)
		skip(); /* no catalogue built, or no de_CH locale (tools/deps.sh makes it) */
	snprintf(path, sizeof path, "%s/live", f->dir); mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/live/webroot", f->dir); mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/live/webroot/data", f->dir); mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/live/webroot/biso-cli", f->dir);
	write_file(path, "#!/usr/bin/env php\n");
	snprintf(path, sizeof path, "%s/live/webroot/config.php", f->dir);
	write_file(path, "<?php\nConfig::set('env', 'TEST');\n"
			 "Config::set('datadir', __DIR__ . '/data');\n"
			 "Config::set('gaia.db', ['host' => __DIR__ . '/nosocket', "
			 "'dbname' => 'biso', 'user' => 'biso']);\n");
	snprintf(path, sizeof path, "%s/log", f->dir);
	conf_set_str(&f->c.log_dir, path);
	conf_set_str(&f->c.web_user, "no-such-user-br");
	conf_set_str(&f->c.web_group, "no-such-user-br");
	run = new_run(&f->c, "verify", "20261129_093000", 1, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	assert_int_equal(run_step(run, STEP_VERIFY, &rep, &e), -1);
	/* the log's lines and the error's message: English */
	if (!strstr(log.buf, "EN FAIL  datadir owner: web user \"no-such-user-br\" does not exist "
		    "on this machine\n") ||
	    !strstr(log.buf, "EN FAIL  database biso does not answer: cannot connect to database "
		    "\"biso\" (host "))
		fail_msg("the log's check lines are not English: %s", log.buf);
	assert_non_null(strstr(e.msg, "2 checks failed: datadir owner: web user "));
	assert_non_null(strstr(e.detail, "FAIL  datadir owner: web user \"no-such-user-br\" does "
			       "not exist on this machine\n"));
	/* the screen's: German, the error's message too */
	if (!strstr(log.buf, "DE FEHLER  Eigent\xc3\xbcmer des Datenverzeichnisses: den "
		    "Web-Benutzer \"no-such-user-br\" gibt es auf diesem Rechner nicht\n") ||
	    !strstr(log.buf, "DE FEHLER  Datenbank biso antwortet nicht: keine Verbindung zur "
		    "Datenbank \"biso\" (Host "))
		fail_msg("the screen's check lines are not German: %s", log.buf);
	err_format_l10n(&e, &shown);
	if (!strstr(shown.buf, "2 Pr\xc3\xbc" "fungen fehlgeschlagen: Eigent\xc3\xbcmer des "
		    "Datenverzeichnisses: den Web-Benutzer ") ||
	    !strstr(shown.buf, "\nFEHLER  Eigent\xc3\xbcmer des Datenverzeichnisses: "))
		fail_msg("the step's error is not German on the screen: %s", shown.buf);
	/* no English word of the errors' messages on the German screen */
	for (const char *p = log.buf; (p = strstr(p, "DE ")); p++) {
		const char *end = strchr(p, '\n');
		char *line = xstrndup(p, end ? (size_t)(end - p) : strlen(p));
		if (strstr(line, "does not exist") || strstr(line, "web user") ||
		    strstr(line, "cannot connect") || strstr(line, "does not answer") ||
		    strstr(line, "datadir owner"))
			fail_msg("English in a German screen line: %s", line);
		free(line);
	}
	if (strstr(shown.buf, "does not exist") || strstr(shown.buf, "cannot connect") ||
	    strstr(shown.buf, "datadir owner") || strstr(shown.buf, "checks failed"))
		fail_msg("English in the step's German error: %s", shown.buf);
	/* nor any English word of the check lines (their msgids) */
	no_english_word(log.buf, f);
	strbuf_release(&shown);
	err_format_l10n(&e, &shown);
	no_english_word_in(log.buf, shown.buf, f);
	err_clear(&e);
	run_free(run);

	/* an entry of the datadir with another group and mode 0000 (the
	 * reason of the line: "owner", "mode"), no database name known */
	{
		struct passwd *pw = getpwuid(getuid());
		struct group *gr;
		assert_non_null(pw);
		setgrent();
		while ((gr = getgrent()) && gr->gr_gid == getgid())
			;
		assert_non_null(gr);
		conf_set_str(&f->c.web_user, pw->pw_name);
		conf_set_str(&f->c.web_group, gr->gr_name);
		endgrent();
	}
	snprintf(path, sizeof path, "%s/live/webroot/data/a.txt", f->dir);
	write_file(path, "a\n");
	chmod(path, 0000);
	strbuf_reset(&log);
	run = new_run(&f->c, "verify", "20261129_093000", 1, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	free(restore_of(run)->dbname);
	restore_of(run)->dbname = NULL;
	free(restore_of(run)->conninfo);
	restore_of(run)->conninfo = NULL;
	assert_int_equal(run_step(run, STEP_VERIFY, &rep, &e), -1);
	if (!strstr(log.buf, "a.txt (owner ") || !strstr(log.buf, ", mode 0000)") ||
	    !strstr(log.buf, "EN FAIL  database (unknown) does not answer: no conninfo\n"))
		fail_msg("the log's check lines do not name the bad entry: %s", log.buf);
	no_english_word(log.buf, f);
	strbuf_reset(&shown);
	err_format_l10n(&e, &shown);
	no_english_word_in(log.buf, shown.buf, f);
	err_clear(&e);
	run_free(run);

	/* no datadir known */
	strbuf_reset(&log);
	run = new_run(&f->c, "verify", "20261129_093000", 1, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	free(restore_of(run)->datadir);
	restore_of(run)->datadir = NULL;
	assert_int_equal(run_step(run, STEP_VERIFY, &rep, &e), -1);
	if (!strstr(log.buf, "EN FAIL  datadir (unknown) does not exist\n"))
		fail_msg("the log's check line is not English: %s", log.buf);
	no_english_word(log.buf, f);
	err_clear(&e);
	run_free(run);
	unit_english();
	setlocale(LC_ALL, "C");
	strbuf_release(&log);
	strbuf_release(&shown);
}

/* A run of the config step (done: it reads the live config.php) and a
 * database step that fails without touching anything (blocked: its dump
 * is the one the preflight refused), in a dry run (no journal). */
static struct run *config_done_database_failed(struct fixture *f, const char *only,
					       struct err *e)
{
	char path[256];
	struct run *run;
	snprintf(path, sizeof path, "%s/live", f->dir); mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/live/webroot", f->dir); mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/live/webroot/config.php", f->dir);
	write_file(path, "<?php\nConfig::set('env', 'TEST');\n"
			 "Config::set('datadir', __DIR__ . '/data');\n"
			 "Config::set('gaia.db', ['dbname' => 'biso', 'user' => 'biso']);\n");
	run = new_run(&f->c, only, "20261129_093000", 1, e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, e), 0);
	assert_int_equal(run_step(run, STEP_CONFIG, NULL, e), 0);
	assert_int_equal(run_step_state(run, STEP_CONFIG), STEP_DONE);
	return run;
}

static void fail_database_step(struct run *run, struct err *e)
{
	struct restore *rs = restore_of(run);
	set_str(&rs->dump_refused, rs->dump);
	set_str(&rs->dump_refused_why, "the dump is cut off");
	assert_int_equal(run_step(run, STEP_DATABASE, NULL, e), -1);
	assert_int_equal(run_step_state(run, STEP_DATABASE), STEP_FAILED);
	err_clear(e);
}

static void exit_code_follows_the_documented_table(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	struct run *run = config_done_database_failed(f, "config,database", &e);
	assert_int_equal(run_exit_code(run), 0);
	fail_database_step(run, &e);
	assert_int_equal(run_exit_code(run), 1);
	run_skip(run, STEP_DATABASE, NULL);
	assert_int_equal(run_exit_code(run), 3);
	run_free(run);
}

/* The run log's last line names how the run ended and its exit code: an
 * aborted run is not "finished with errors" (exit 3's wording). */
static void end_text_names_the_exit_code(void **state)
{
	struct conf c;
	struct err e = ERR_INIT;
	struct run *run;
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	conf_init_defaults(&c);
	run = new_run(&c, NULL, NULL, 1, &e);
	assert_non_null(run);
	run_set_stopped(run, REPORT_STOP_SIGNAL(SIGHUP));
	run_end_text(run, 130, &sb);
	assert_string_equal(sb.buf, "aborted (exit 130): the terminal hung up (SIGHUP)");
	strbuf_reset(&sb);
	run_end_text(run, 3, &sb);
	assert_string_equal(sb.buf, "finished with errors gone past (exit 3)");
	strbuf_reset(&sb);
	run_end_text(NULL, 1, &sb);
	assert_string_equal(sb.buf, "failed (exit 1)");
	strbuf_reset(&sb);
	run_end_text(NULL, 0, &sb);
	assert_string_equal(sb.buf, "finished (exit 0)");
	strbuf_release(&sb);
	run_free(run);
	conf_release(&c);
}

/* The summary says why a run ended early, in the backend's words: a
 * signal or the operator (run_set_stopped()), or a failed step with steps
 * left; a run that did all its steps says nothing of the kind. */
static void summary_says_why_the_run_ended_early(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct run *run = config_done_database_failed(f, "config", &e);
	run_summary(run, &sb);
	assert_null(strstr(sb.buf, "ended early"));
	run_free(run);
	run = config_done_database_failed(f, "config,database,verify", &e);
	fail_database_step(run, &e);
	assert_int_equal(run_step_state(run, STEP_VERIFY), STEP_PENDING);
	strbuf_reset(&sb);
	run_summary(run, &sb);
	assert_non_null(strstr(sb.buf, "\nthe run ended early: step database failed\n"));
	run_set_stopped(run, REPORT_STOP_SIGNAL(SIGHUP));
	strbuf_reset(&sb);
	run_summary(run, &sb);
	assert_non_null(strstr(sb.buf, "\nthe run ended early: the terminal hung up (SIGHUP)\n"));
	assert_null(strstr(sb.buf, "step database failed\n"));
	run_set_stopped(run, 1);
	strbuf_reset(&sb);
	run_summary(run, &sb);
	assert_non_null(strstr(sb.buf, "\nthe run ended early: cancelled by the operator\n"));
	strbuf_release(&sb);
	run_free(run);
}

/* verify_tree_owner looks at every entry, not only the top: a file of
 * another owner deep inside and a mode-000 folder are found, counted and
 * named; a symbolic link is not followed (its target outside the tree is
 * not looked at). */
static void datadir_check_finds_bad_entries_inside(void **state)
{
	char dir[] = "/tmp/br-tree-XXXXXX", p[256];
	struct strbuf first = STRBUF_INIT;
	struct tree_owner t = { 0, 0, 0, &first, NULL };
	struct err e = ERR_INIT;
	uid_t uid = getuid();
	gid_t gid = getgid();
	(void)state;
	assert_non_null(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(p, sizeof p, "%s/a", dir); mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/a/b", dir); mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/a/b/ok.txt", dir); write_file(p, "x");
	snprintf(p, sizeof p, "%s/link", dir); assert_int_equal(symlink("/etc", p), 0);
	assert_int_equal(verify_tree_owner(dir, uid, gid, 5, &t, &e), 0);
	assert_int_equal(t.entries, 5);
	assert_int_equal(t.bad, 0);
	assert_string_equal(first.buf, "");

	/* a file without u+w deep inside, and a folder of mode 000 */
	snprintf(p, sizeof p, "%s/a/b/ok.txt", dir); chmod(p, 0444);
	snprintf(p, sizeof p, "%s/closed", dir); mkdir(p, 0000);
	memset(&t, 0, sizeof t);
	t.first = &first;
	assert_int_equal(verify_tree_owner(dir, uid, gid, 5, &t, &e), 0);
	assert_int_equal(t.entries, 6);
	assert_int_equal(t.bad, 2);
	assert_non_null(strstr(first.buf, "a/b/ok.txt (mode 0444)"));
	assert_non_null(strstr(first.buf, "closed (mode 0000)"));

	/* another owner: every entry but the symbolic link's mode counts */
	strbuf_reset(&first);
	memset(&t, 0, sizeof t);
	t.first = &first;
	assert_int_equal(verify_tree_owner(dir, uid + 1, gid, 2, &t, &e), 0);
	assert_int_equal(t.bad, 6);
	assert_int_equal(strstr(first.buf, ", ") != NULL, 1);
	assert_null(strstr(strstr(first.buf, ", ") + 2, ", ")); /* only 2 named */

	snprintf(p, sizeof p, "%s/closed", dir); rmdir(p);
	snprintf(p, sizeof p, "%s/link", dir); unlink(p);
	snprintf(p, sizeof p, "%s/a/b/ok.txt", dir); unlink(p);
	snprintf(p, sizeof p, "%s/a/b", dir); rmdir(p);
	snprintf(p, sizeof p, "%s/a", dir); rmdir(p);
	rmdir(dir);
	assert_int_equal(verify_tree_owner(dir, uid, gid, 5, &t, &e), -1);
	assert_non_null(strstr(e.msg, dir));
	err_clear(&e);
	strbuf_release(&first);
}

/* A dump that is not one of the live database is a warning the operator
 * sees where he decides: in the database step's confirmation (and so the
 * plan) and in the summary once the step ran; it never makes the step
 * fail (here the step fails for another reason: blocked, touching
 * nothing, as no database server is at hand). */
static void db_warning_is_in_confirmation_and_summary(void **state)
{
	struct conf c;
	struct err e = ERR_INIT;
	struct run *run;
	struct restore *rs;
	struct strbuf what = STRBUF_INIT, sum = STRBUF_INIT;
	(void)state;
	conf_init_defaults(&c);
	run = new_run(&c, "database", "20240101_000000", 1, &e);
	assert_non_null(run);
	rs = restore_of(run);
	rs->dbname = xstrdup("biso");
	rs->dump = xstrdup("/b/db/biso_1.sql.gz");
	rs->found.db_warning = xstrdup("biso_1.sql.gz does not look like a dump of \"biso\"");
	assert_int_equal(run_step_destructive(run, STEP_DATABASE, &what), 1);
	assert_non_null(strstr(what.buf, "with biso_1.sql.gz; warning: biso_1.sql.gz does not look like"));
	assert_null(strchr(what.buf, '\n'));
	rs->dump_refused = xstrdup(rs->dump);
	assert_int_equal(run_step(run, STEP_DATABASE, NULL, &e), -1);
	err_clear(&e);
	run_summary(run, &sum);
	assert_non_null(strstr(sum.buf, "\nwarning: biso_1.sql.gz does not look like a dump of \"biso\"\n"));
	strbuf_release(&what);
	strbuf_release(&sum);
	run_free(run);
	conf_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(step_list_parses_names_and_rejects_unknown),
		cmocka_unit_test(qualified_names_split_like_pg_dump_quotes_them),
		cmocka_unit_test_setup_teardown(plan_takes_newest_dump_and_config_php_of_the_backup,
						setup, teardown),
		cmocka_unit_test_setup_teardown(plan_refuses_custom_format_dump_with_a_hint,
						setup, teardown),
		cmocka_unit_test_setup_teardown(an_older_dump_can_be_chosen_a_cut_one_cannot,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_refused_dump_is_logged_in_both_languages,
						setup, teardown),
		cmocka_unit_test_setup_teardown(the_dump_check_beside_the_steps_hands_over_after_the_wait,
						setup, teardown),
		cmocka_unit_test_setup_teardown(verify_lines_are_german_with_their_errors,
						setup, teardown),
		cmocka_unit_test_setup_teardown(exit_code_follows_the_documented_table, setup,
						teardown),
		cmocka_unit_test(end_text_names_the_exit_code),
		cmocka_unit_test_setup_teardown(summary_says_why_the_run_ended_early, setup,
						teardown),
		cmocka_unit_test(datadir_check_finds_bad_entries_inside),
		cmocka_unit_test(db_warning_is_in_confirmation_and_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
