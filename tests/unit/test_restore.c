/* Unit tests for the restore plan (no database, no root needed). */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
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
#include "restore.h"
#include "strbuf.h"
#include "verify.h"

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void step_list_parses_names_and_rejects_unknown(void **state)
{
	unsigned mask = 0;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(step_parse_list("database,verify", &mask, &e), 0);
	assert_int_equal(mask, STEP_BIT(STEP_DATABASE) | STEP_BIT(STEP_VERIFY));
	assert_int_equal(step_parse_list("webroot,db", &mask, &e), -1);
	assert_non_null(strstr(e.msg, "\"db\""));
	assert_non_null(strstr(e.hint, "migrations"));
	err_clear(&e);
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
	struct restore rs;
	struct err e = ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	char want[256];

	memset(&rs, 0, sizeof rs);
	strcpy(rs.stamp, "20261129_093000");
	assert_int_equal(restore_prepare(&rs, &f->c, STEP_ALL, NULL, &e), 0);
	assert_non_null(strstr(rs.dump, "biso_20261128_020000.sql"));
	assert_int_equal(rs.dump_kind, MAGIC_SQL);
	assert_string_equal(rs.dbname, "biso");
	assert_string_equal(rs.env, "TEST");
	/* __DIR__ is the target webroot, not the backup copy. */
	snprintf(want, sizeof want, "%s/live/webroot/data", f->dir);
	assert_string_equal(rs.datadir, want);
	assert_non_null(strstr(rs.admin_conninfo, "dbname='postgres'") ?
			strstr(rs.admin_conninfo, "dbname='postgres'") :
			strstr(rs.admin_conninfo, "dbname=postgres"));
	/* Nothing exists at the target yet: only the database step replaces. */
	assert_int_equal(restore_step_destructive(&rs, STEP_WEBROOT, NULL), 0);
	assert_int_equal(restore_step_destructive(&rs, STEP_DATABASE, &sb), 1);
	assert_non_null(strstr(sb.buf, "biso_pre_restore_20261129_093000"));
	assert_string_equal(restore_confirm_word(&rs, STEP_DATABASE), "biso");
	assert_null(restore_confirm_word(&rs, STEP_WEBROOT));
	strbuf_reset(&sb);
	restore_plan_text(&rs, &sb);
	assert_non_null(strstr(sb.buf, "-T template0"));
	assert_non_null(strstr(sb.buf, "-O biso"));
	assert_non_null(strstr(sb.buf, "biso-cli migration exec"));
	assert_null(strstr(sb.buf, "pw"));
	strbuf_release(&sb);
	restore_release(&rs);
}

static void plan_refuses_custom_format_dump_with_a_hint(void **state)
{
	struct fixture *f = *state;
	struct restore rs;
	struct err e = ERR_INIT;
	char path[256];

	snprintf(path, sizeof path, "%s/backups/db/biso_20261129_010000.sql.gz", f->dir);
	write_file(path, "PGDMP\001\016\000");
	memset(&rs, 0, sizeof rs);
	assert_int_equal(restore_prepare(&rs, &f->c, STEP_ALL, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "custom-format"));
	assert_non_null(strstr(e.hint, "pg_restore"));
	err_clear(&e);
	restore_release(&rs);
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
	struct restore rs;
	struct err e = ERR_INIT;
	const struct backup_list *l;
	struct strbuf log = STRBUF_INIT;
	struct report rep = { NULL, collect_log, NULL, &log, 0 };
	char path[256];
	static const char complete[] = "--\n-- PostgreSQL database dump\n--\n\n"
		"CREATE TABLE t (a int);\n\n--\n-- PostgreSQL database dump complete\n--\n\n";

	snprintf(path, sizeof path, "%s/backups/db/biso_20261128_020000.sql", f->dir);
	write_file(path, complete);
	snprintf(path, sizeof path, "%s/backups/db/biso_20261120_020000.sql", f->dir);
	write_file(path, complete);
	memset(&rs, 0, sizeof rs);
	assert_int_equal(restore_prepare(&rs, &f->c, STEP_ALL, NULL, &e), 0);
	assert_null(restore_sources(&rs, STEP_WEBROOT, NULL));
	l = restore_sources(&rs, STEP_DATABASE, NULL);
	assert_non_null(l);
	assert_int_equal(l->n, 3);
	assert_non_null(strstr(rs.dump, "biso_20261128_020000.sql"));
	assert_int_equal(restore_use_source(&rs, STEP_DATABASE, 1, &rep, &e), 0);
	assert_non_null(strstr(log.buf, "free space for the new database: not checked (cannot "
				 "connect to database"));
	assert_non_null(strstr(rs.dump, "biso_20261120_020000.sql"));
	assert_non_null(rs.dump_info);
	assert_true(rs.dump_info->complete);
	/* biso_20261101_020000.sql has no trailer */
	assert_int_equal(restore_use_source(&rs, STEP_DATABASE, 2, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "cut off"));
	err_clear(&e);
	assert_non_null(strstr(rs.dump, "biso_20261120_020000.sql"));
	assert_non_null(rs.dump_info);
	assert_int_equal(restore_use_source(&rs, STEP_DATABASE, 3, NULL, &e), -1);
	err_clear(&e);
	restore_release(&rs);
	strbuf_release(&log);
}

static void exit_code_follows_the_documented_table(void **state)
{
	struct restore rs;
	(void)state;
	memset(&rs, 0, sizeof rs);
	rs.selected = STEP_ALL;
	for (int s = 0; s < STEP_COUNT; s++)
		rs.st[s].state = STEP_DONE;
	assert_int_equal(restore_exit_code(&rs), 0);
	rs.st[STEP_DATADIR].state = STEP_FAILED;
	assert_int_equal(restore_exit_code(&rs), 1);
	restore_skip_step(&rs, STEP_DATADIR);
	assert_int_equal(restore_exit_code(&rs), 3);
}

/* The run log's last line names how the run ended and its exit code: an
 * aborted run is not "finished with errors" (exit 3's wording). */
static void end_text_names_the_exit_code(void **state)
{
	struct restore rs;
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	memset(&rs, 0, sizeof rs);
	rs.stopped = REPORT_STOP_SIGNAL(SIGHUP);
	restore_end_text(&rs, 130, &sb);
	assert_string_equal(sb.buf, "aborted (exit 130): the terminal hung up (SIGHUP)");
	strbuf_reset(&sb);
	restore_end_text(&rs, 3, &sb);
	assert_string_equal(sb.buf, "finished with errors gone past (exit 3)");
	strbuf_reset(&sb);
	restore_end_text(NULL, 1, &sb);
	assert_string_equal(sb.buf, "failed (exit 1)");
	strbuf_reset(&sb);
	restore_end_text(NULL, 0, &sb);
	assert_string_equal(sb.buf, "finished (exit 0)");
	strbuf_release(&sb);
}

/* The summary says why a run ended early, in the backend's words: a
 * signal or the operator (rs->stopped), or a failed step with steps left;
 * a run that did all its steps says nothing of the kind. */
static void summary_says_why_the_run_ended_early(void **state)
{
	struct restore rs;
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	memset(&rs, 0, sizeof rs);
	rs.selected = STEP_ALL;
	for (int s = 0; s < STEP_COUNT; s++)
		rs.st[s].state = STEP_DONE;
	restore_summary(&rs, &sb);
	assert_null(strstr(sb.buf, "ended early"));
	rs.st[STEP_DATABASE].state = STEP_FAILED;
	rs.st[STEP_MIGRATIONS].state = STEP_PENDING;
	rs.st[STEP_VERIFY].state = STEP_PENDING;
	strbuf_reset(&sb);
	restore_summary(&rs, &sb);
	assert_non_null(strstr(sb.buf, "\nthe run ended early: step database failed\n"));
	rs.stopped = REPORT_STOP_SIGNAL(SIGHUP);
	strbuf_reset(&sb);
	restore_summary(&rs, &sb);
	assert_non_null(strstr(sb.buf, "\nthe run ended early: the terminal hung up (SIGHUP)\n"));
	assert_null(strstr(sb.buf, "step database failed\n"));
	rs.stopped = 1;
	strbuf_reset(&sb);
	restore_summary(&rs, &sb);
	assert_non_null(strstr(sb.buf, "\nthe run ended early: cancelled by the operator\n"));
	strbuf_release(&sb);
}

/* verify_tree_owner looks at every entry, not only the top: a file of
 * another owner deep inside and a mode-000 folder are found, counted and
 * named; a symbolic link is not followed (its target outside the tree is
 * not looked at). */
static void datadir_check_finds_bad_entries_inside(void **state)
{
	char dir[] = "/tmp/br-tree-XXXXXX", p[256];
	struct strbuf first = STRBUF_INIT;
	struct tree_owner t = { 0, 0, 0, &first };
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
 * plan) and in the summary; it never makes the step fail. */
static void db_warning_is_in_confirmation_and_summary(void **state)
{
	struct restore rs;
	struct strbuf what = STRBUF_INIT, sum = STRBUF_INIT;
	(void)state;
	memset(&rs, 0, sizeof rs);
	strcpy(rs.stamp, "20240101_000000");
	rs.selected = STEP_BIT(STEP_DATABASE);
	rs.dbname = xstrdup("biso");
	rs.dump = xstrdup("/b/db/biso_1.sql.gz");
	rs.db_warning = xstrdup("biso_1.sql.gz does not look like a dump of \"biso\"");
	assert_int_equal(restore_step_destructive(&rs, STEP_DATABASE, &what), 1);
	assert_non_null(strstr(what.buf, "with biso_1.sql.gz; warning: biso_1.sql.gz does not look like"));
	assert_null(strchr(what.buf, '\n'));
	rs.st[STEP_DATABASE].state = STEP_DONE;
	restore_summary(&rs, &sum);
	assert_non_null(strstr(sum.buf, "\nwarning: biso_1.sql.gz does not look like a dump of \"biso\"\n"));
	strbuf_release(&what);
	strbuf_release(&sum);
	restore_release(&rs);
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
		cmocka_unit_test(exit_code_follows_the_documented_table),
		cmocka_unit_test(end_text_names_the_exit_code),
		cmocka_unit_test(summary_says_why_the_run_ended_early),
		cmocka_unit_test(datadir_check_finds_bad_entries_inside),
		cmocka_unit_test(db_warning_is_in_confirmation_and_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
