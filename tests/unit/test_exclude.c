/* Unit tests for exclude: rsync's exclude pattern rules. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>

#include "err.h"
#include "exclude.h"

static struct exclude_list *mk(const char *p1, const char *p2)
{
	const char *pats[3] = { p1, p2, NULL };
	struct err e = ERR_INIT;
	struct exclude_list *x = exclude_new(pats, &e);
	assert_non_null(x);
	return x;
}

static void wildcards_follow_rsync(void **state)
{
	(void)state;
	assert_true(exclude_wildmatch("*.log", "a.log"));
	assert_false(exclude_wildmatch("*.log", "d/a.log"));
	assert_true(exclude_wildmatch("**.log", "d/a.log"));
	assert_true(exclude_wildmatch("a/**/z", "a/b/c/z"));
	assert_true(exclude_wildmatch("?.txt", "x.txt"));
	assert_false(exclude_wildmatch("?.txt", "/.txt"));
	assert_true(exclude_wildmatch("[a-c]x", "bx"));
	assert_false(exclude_wildmatch("[!a-c]x", "bx"));
	assert_true(exclude_wildmatch("\\*", "*"));
	assert_false(exclude_wildmatch("\\*", "a"));
}

static void name_without_slash_matches_basename_at_any_depth(void **state)
{
	struct exclude_list *x = mk("data", "*.log");
	(void)state;
	assert_true(exclude_match(x, "data", 1));
	assert_true(exclude_match(x, "sub/data", 0));
	assert_true(exclude_match(x, "a/b/x.log", 0));
	assert_false(exclude_match(x, "database", 1));
	assert_false(exclude_match(x, "x.log.1", 0));
	exclude_free(x);
}

static void trailing_slash_matches_directories_only(void **state)
{
	struct exclude_list *x = mk("tmp/", NULL);
	(void)state;
	assert_true(exclude_match(x, "tmp", 1));
	assert_true(exclude_match(x, "a/tmp", 1));
	assert_false(exclude_match(x, "tmp", 0));
	exclude_free(x);
}

static void leading_slash_anchors_at_root(void **state)
{
	struct exclude_list *x = mk("/data", "/maintenance.on");
	(void)state;
	assert_true(exclude_match(x, "data", 1));
	assert_false(exclude_match(x, "sub/data", 1));
	assert_true(exclude_match(x, "maintenance.on", 0));
	assert_false(exclude_match(x, "x/maintenance.on", 0));
	exclude_free(x);
}

static void inner_slash_floats_on_component_boundaries(void **state)
{
	struct exclude_list *x = mk("cache/*.tmp", "a/**/z");
	(void)state;
	assert_true(exclude_match(x, "cache/x.tmp", 0));
	assert_true(exclude_match(x, "var/cache/x.tmp", 0));
	assert_false(exclude_match(x, "mycache/x.tmp", 0));
	assert_false(exclude_match(x, "cache/sub/x.tmp", 0));
	assert_true(exclude_match(x, "a/b/c/z", 0));
	exclude_free(x);
}

static void excluded_ancestor_excludes_members(void **state)
{
	struct exclude_list *x = mk("tmp/", "dir/***");
	(void)state;
	assert_true(exclude_match_path(x, "tmp/a/b.txt", 0));
	assert_false(exclude_match(x, "tmp/a/b.txt", 0));
	assert_false(exclude_match_path(x, "tmpx/a", 0));
	assert_true(exclude_match_path(x, "dir", 1));
	assert_true(exclude_match_path(x, "dir/q", 0));
	exclude_free(x);
}

static void empty_pattern_is_an_error(void **state)
{
	const char *pats[] = { "/", NULL };
	struct err e = ERR_INIT;
	(void)state;
	assert_null(exclude_new(pats, &e));
	assert_non_null(e.msg);
	err_clear(&e);
	assert_false(exclude_match(NULL, "x", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wildcards_follow_rsync),
		cmocka_unit_test(name_without_slash_matches_basename_at_any_depth),
		cmocka_unit_test(trailing_slash_matches_directories_only),
		cmocka_unit_test(leading_slash_anchors_at_root),
		cmocka_unit_test(inner_slash_floats_on_component_boundaries),
		cmocka_unit_test(excluded_ancestor_excludes_members),
		cmocka_unit_test(empty_pattern_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
