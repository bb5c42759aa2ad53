/* Unit tests for the swap journal. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "journal.h"
#include "strbuf.h"

static char dir[] = "/tmp/br-journal-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char *p = xstrfmt("%s/journal", dir);
	(void)state;
	unlink(p);
	free(p);
	rmdir(dir);
	return 0;
}

static void begin_without_done_is_pending_and_names_survive(void **state)
{
	struct journal_entry *v;
	struct err e = ERR_INIT;
	size_t n;
	(void)state;
	/* A path with a tab, a newline and a backslash must come back unchanged. */
	assert_int_equal(journal_begin(dir, "20261129_100000", JOURNAL_FILES, "/srv/we\tb\nroot\\x",
				       "/srv/kept", "/srv/staging", &e), 0);
	assert_int_equal(journal_begin(dir, "20261129_100000", JOURNAL_DATABASE, "biso",
				       "biso_pre_restore_20261129_100000", "biso_restoring", &e), 0);
	assert_int_equal(journal_done(dir, "20261129_100000", JOURNAL_DATABASE, "biso", &e), 0);
	assert_int_equal(journal_pending(dir, &v, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].kind, JOURNAL_FILES);
	assert_string_equal(v[0].live, "/srv/we\tb\nroot\\x");
	assert_string_equal(v[0].kept, "/srv/kept");
	assert_string_equal(v[0].staging, "/srv/staging");
	assert_string_equal(v[0].stamp, "20261129_100000");
	journal_entries_free(v, n);
	assert_int_equal(journal_done(dir, "20261129_100000", JOURNAL_FILES, "/srv/we\tb\nroot\\x", &e), 0);
	assert_int_equal(journal_pending(dir, &v, &n, &e), 0);
	assert_int_equal(n, 0);
	journal_entries_free(v, n);
}

/* A tree's "begin" carries the live tree's identity (the exchange is told
 * apart from a left-over staging copy by it); an older version's line of
 * six fields still reads, with no identity. */
static void failed_closes_a_database_swap(void **state)
{
	struct journal_entry *v;
	struct err e = ERR_INIT;
	size_t n;
	char *p = xstrfmt("%s/journal", dir), buf[512] = "";
	FILE *fp;
	(void)state;
	/* a swap whose transaction rolled back: closed, and said "failed" */
	assert_int_equal(journal_begin(dir, "20261129_120000", JOURNAL_DATABASE, "biso",
				       "biso_pre_restore_20261129_120000", "biso_restoring", &e), 0);
	assert_int_equal(journal_failed(dir, "20261129_120000", JOURNAL_DATABASE, "biso", &e), 0);
	assert_int_equal(journal_pending(dir, &v, &n, &e), 0);
	assert_int_equal(n, 0);
	journal_entries_free(v, n);
	assert_non_null(fp = fopen(p, "r"));
	assert_non_null(fgets(buf, sizeof buf, fp));
	assert_non_null(fgets(buf, sizeof buf, fp));
	fclose(fp);
	assert_string_equal(buf, "failed\t20261129_120000\tdatabase\tbiso\n");
	free(p);
}

static void begin_records_the_live_tree_identity(void **state)
{
	struct journal_entry *v;
	struct err e = ERR_INIT;
	size_t n;
	char *id = journal_path_id(dir);
	char *p = xstrfmt("%s/journal", dir);
	FILE *fp;
	(void)state;
	assert_non_null(id);
	assert_null(journal_path_id("/nonexistent/biso-recover"));
	assert_int_equal(journal_begin(dir, "20261206_100000", JOURNAL_FILES, dir, "/k", "/s", &e), 0);
	fp = fopen(p, "a");
	assert_non_null(fp);
	fputs("begin\t20261206_100001\tfiles\t/old\t/old.kept\t/old.restoring\n", fp);
	fclose(fp);
	assert_int_equal(journal_pending(dir, &v, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].live_id, id);
	assert_string_equal(v[1].live, "/old");
	assert_string_equal(v[1].staging, "/old.restoring");
	assert_string_equal(v[1].live_id, "");
	journal_entries_free(v, n);
	unlink(p);
	free(p);
	free(id);
}

/* Stopped services: an entry of their own kind, with empty kept/staging;
 * a "done" of another kind for the same name does not close it. */
static void stopped_services_are_an_entry_of_their_own(void **state)
{
	struct journal_entry *v;
	struct err e = ERR_INIT;
	size_t n;
	char *p = xstrfmt("%s/journal", dir);
	(void)state;
	unlink(p);
	assert_int_equal(journal_begin(dir, "20261129_110000", JOURNAL_SERVICES, "services", "", "", &e), 0);
	assert_int_equal(journal_done(dir, "20261129_110000", JOURNAL_FILES, "services", &e), 0);
	assert_int_equal(journal_pending(dir, &v, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].kind, JOURNAL_SERVICES);
	assert_string_equal(v[0].live, "services");
	assert_string_equal(v[0].kept, "");
	assert_string_equal(v[0].staging, "");
	journal_entries_free(v, n);
	assert_int_equal(journal_done(dir, "20261129_110000", JOURNAL_SERVICES, "services", &e), 0);
	assert_int_equal(journal_pending(dir, &v, &n, &e), 0);
	assert_int_equal(n, 0);
	journal_entries_free(v, n);
	unlink(p);
	free(p);
}

static void missing_journal_is_empty_and_a_torn_line_is_named(void **state)
{
	struct journal_entry *v;
	struct err e = ERR_INIT;
	size_t n = 99;
	char *p = xstrfmt("%s/journal", dir);
	FILE *fp;
	(void)state;
	unlink(p);
	assert_int_equal(journal_pending(dir, &v, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(journal_begin(dir, "s", JOURNAL_FILES, "/a", "/b", "/c", &e), 0);
	fp = fopen(p, "a");
	fputs("beg", fp); /* a crash in the middle of a write */
	fclose(fp);
	assert_int_equal(journal_pending(dir, &v, &n, &e), -1);
	assert_int_equal(e.line, 2);
	assert_non_null(strstr(e.file, "journal"));
	err_clear(&e);
	unlink(p);
	free(p);
}

/* The rollback's look-up: the newest restore, though a backup ran after
 * it; journal_steps() still reads the newest run of any flow. */
static void steps_of_skips_the_runs_of_other_flows(void **state)
{
	static const char *const flows[] = { "restore", "rollback", NULL };
	struct journal_step_rec *v;
	size_t n;
	struct err e = ERR_INIT;
	char *p = xstrfmt("%s/journal", dir);
	(void)state;
	assert_int_equal(journal_step(dir, "20261201_100000", "restore", "", "start", "webroot", &e), 0);
	assert_int_equal(journal_step(dir, "20261201_100000", "restore", "webroot", "done", "k1", &e), 0);
	assert_int_equal(journal_step(dir, "20261201_100000", "restore", "", "end", "0", &e), 0);
	assert_int_equal(journal_step(dir, "20261202_100000", "restore", "", "start", "webroot", &e), 0);
	assert_int_equal(journal_step(dir, "20261202_100000", "restore", "webroot", "done", "k2", &e), 0);
	assert_int_equal(journal_step(dir, "20261202_100000", "restore", "", "end", "0", &e), 0);
	assert_int_equal(journal_step(dir, "20261203_010000", "backup", "", "start", "dump", &e), 0);
	assert_int_equal(journal_step(dir, "20261203_010000", "backup", "dump", "done", "b", &e), 0);
	assert_int_equal(journal_step(dir, "20261203_010000", "backup", "", "end", "0", &e), 0);

	assert_int_equal(journal_steps_of(dir, flows, &v, &n, &e), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(v[i].stamp, "20261202_100000");
		assert_string_equal(v[i].flow, "restore");
	}
	assert_string_equal(v[1].detail, "k2");
	journal_steps_free(v, n);

	assert_int_equal(journal_steps(dir, &v, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].flow, "backup");
	journal_steps_free(v, n);

	/* every run's records, oldest first: the rollback's look back at a
	 * restore split over several runs */
	assert_int_equal(journal_steps_all(dir, &v, &n, &e), 0);
	assert_int_equal(n, 9);
	assert_string_equal(v[0].stamp, "20261201_100000");
	assert_string_equal(v[1].detail, "k1");
	assert_string_equal(v[4].detail, "k2");
	assert_string_equal(v[8].flow, "backup");
	journal_steps_free(v, n);

	unlink(p);
	assert_int_equal(journal_step(dir, "20261203_010000", "backup", "", "start", "dump", &e), 0);
	assert_int_equal(journal_steps_of(dir, flows, &v, &n, &e), 0);
	assert_int_equal(n, 0);
	journal_steps_free(v, n);
	unlink(p);
	free(p);
}

/* A run whose "end" says it changed nothing (journal_end()) is no run for
 * the readers: the newest restore is the one before it, and it is not
 * among every run's records; one with the same stamp that changed
 * something, later, still counts. */
static void a_run_that_changed_nothing_is_left_out(void **state)
{
	static const char *const flows[] = { "restore", "rollback", NULL };
	struct journal_step_rec *v;
	size_t n;
	struct err e = ERR_INIT;
	char *p = xstrfmt("%s/journal", dir);
	(void)state;
	assert_int_equal(journal_step(dir, "20261201_100000", "restore", "", "start", "webroot", &e), 0);
	assert_int_equal(journal_step(dir, "20261201_100000", "restore", "webroot", "done", "k1", &e), 0);
	assert_int_equal(journal_end(dir, "20261201_100000", "restore", 0, 1, &e), 0);
	assert_int_equal(journal_step(dir, "20261202_100000", "restore", "", "start", "webroot", &e), 0);
	assert_int_equal(journal_step(dir, "20261202_100000", "restore", "webroot", "failed", "cut", &e), 0);
	assert_int_equal(journal_end(dir, "20261202_100000", "restore", 2, 0, &e), 0);

	assert_int_equal(journal_steps_of(dir, flows, &v, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].stamp, "20261201_100000");
	assert_string_equal(v[1].detail, "k1");
	assert_string_equal(v[2].detail, "0");
	journal_steps_free(v, n);
	assert_int_equal(journal_steps(dir, &v, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].stamp, "20261201_100000");
	journal_steps_free(v, n);
	assert_int_equal(journal_steps_all(dir, &v, &n, &e), 0);
	assert_int_equal(n, 3);
	journal_steps_free(v, n);

	/* the same stamp again, a run that changed something */
	assert_int_equal(journal_step(dir, "20261202_100000", "restore", "", "start", "webroot", &e), 0);
	assert_int_equal(journal_step(dir, "20261202_100000", "restore", "webroot", "done", "k2", &e), 0);
	assert_int_equal(journal_end(dir, "20261202_100000", "restore", 0, 1, &e), 0);
	assert_int_equal(journal_steps_of(dir, flows, &v, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[1].detail, "k2");
	journal_steps_free(v, n);
	assert_int_equal(journal_steps_all(dir, &v, &n, &e), 0);
	assert_int_equal(n, 6);
	journal_steps_free(v, n);
	unlink(p);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(begin_without_done_is_pending_and_names_survive),
		cmocka_unit_test(begin_records_the_live_tree_identity),
		cmocka_unit_test(failed_closes_a_database_swap),
		cmocka_unit_test(stopped_services_are_an_entry_of_their_own),
		cmocka_unit_test(missing_journal_is_empty_and_a_torn_line_is_named),
		cmocka_unit_test(steps_of_skips_the_runs_of_other_flows),
		cmocka_unit_test(a_run_that_changed_nothing_is_left_out),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
