/* Unit tests for swap_trees(): the exchange, the kept name, the carry. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fsrestore.h"
#include "strbuf.h"
#include "swap.h"

static char dir[] = "/tmp/br-swap-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	struct err e = ERR_INIT;
	(void)state;
	fsrestore_rmtree(dir, &e);
	err_clear(&e);
	return 0;
}

static char *path(const char *rel)
{
	return xstrfmt("%s/%s", dir, rel);
}

static void touch(const char *rel)
{
	char *p = path(rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	close(fd);
	free(p);
}

static void mk(const char *rel)
{
	char *p = path(rel);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
}

static int exists(const char *rel)
{
	struct stat st;
	char *p = path(rel);
	int ok = lstat(p, &st) == 0;
	free(p);
	return ok;
}

static ino_t ino(const char *rel)
{
	struct stat st;
	char *p = path(rel);
	assert_int_equal(lstat(p, &st), 0);
	free(p);
	return st.st_ino;
}

/* The new tree takes the live name, the old one its kept name; the live
 * datadir (carry) moves into the new tree as the same directory, no link
 * is left, and the new root keeps its mtime. */
static void exchange_keeps_the_old_and_carries_the_datadir(void **state)
{
	struct err e = ERR_INIT;
	char *live = path("w"), *staging = path("w.restoring"), *kept = path("w.pre-restore-1");
	char *old_at = NULL;
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct stat st;
	ino_t data;
	(void)state;
	mk("w");
	touch("w/old-file");
	mk("w/data");
	touch("w/data/attachment");
	mk("w.restoring");
	touch("w.restoring/new-file");
	assert_int_equal(utimensat(AT_FDCWD, staging, ts, 0), 0);
	data = ino("w/data");
	assert_int_equal(swap_trees(live, staging, kept, "data", "tree", &old_at, NULL, &e), 0);
	assert_string_equal(old_at, kept);
	assert_true(exists("w/new-file"));
	assert_true(exists("w/data/attachment"));
	assert_int_equal(ino("w/data"), data);
	assert_true(exists("w.pre-restore-1/old-file"));
	assert_false(exists("w.pre-restore-1/data"));
	assert_false(exists("w.restoring"));
	assert_int_equal(stat(live, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, 1000000000);
	free(old_at);
	free(live);
	free(staging);
	free(kept);
}

/* Killed after the trees were exchanged, before the datadir was: the live
 * datadir is a link into the old tree; swap_finish_carry() puts it right. */
static void a_half_done_carry_is_finished(void **state)
{
	struct err e = ERR_INIT;
	char *live = path("v"), *staging = path("v.restoring"), *link = path("v/data");
	char *target = path("v.restoring/data");
	(void)state;
	mk("v");
	mk("v.restoring");
	mk("v.restoring/data");
	touch("v.restoring/data/attachment");
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(swap_finish_carry(live, staging, "data", NULL, &e), 0);
	assert_true(exists("v/data/attachment"));
	assert_false(exists("v.restoring/data"));
	free(live);
	free(staging);
	free(link);
	free(target);
}

/* No live tree: the staging one is renamed into place, nothing is kept. */
static void without_a_live_tree_it_is_a_rename(void **state)
{
	struct err e = ERR_INIT;
	char *live = path("n"), *staging = path("n.restoring"), *kept = path("n.kept");
	char *old_at = NULL;
	(void)state;
	mk("n.restoring");
	assert_int_equal(swap_trees(live, staging, kept, "data", "tree", &old_at, NULL, &e), 0);
	assert_null(old_at);
	assert_true(exists("n"));
	assert_false(exists("n.kept"));
	free(live);
	free(staging);
	free(kept);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exchange_keeps_the_old_and_carries_the_datadir),
		cmocka_unit_test(a_half_done_carry_is_finished),
		cmocka_unit_test(without_a_live_tree_it_is_a_rename),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
