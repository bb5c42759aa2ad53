/* Unit tests for backupset: discovery of webroot, data and db copies. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include "backupset.h"
#include "err.h"
#include "fsrestore.h"
#include "strbuf.h"

static char *root;

static void put(const char *rel, const void *data, size_t len)
{
	char *p = xstrfmt("%s/%s", root, rel);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	free(p);
}

static void put_gz(const char *rel, const char *text)
{
	char *p = xstrfmt("%s/%s", root, rel);
	gzFile g = gzopen(p, "wb");
	assert_non_null(g);
	gzputs(g, text);
	gzclose(g);
	free(p);
}

static void dir(const char *rel)
{
	char *p = xstrfmt("%s/%s", root, rel);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/test_backupset.XXXXXX";
	(void)state;
	assert_non_null(mkdtemp(tmpl));
	root = xstrdup(tmpl);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(fsrestore_rmtree(root, NULL), 0);
	free(root);
	return 0;
}

static void rsync_copy_is_the_one_webroot_copy(void **state)
{
	struct backupset bs;
	struct err e = ERR_INIT;
	(void)state;
	dir("webroot");
	put("webroot/index.php", "<?php\n", 6);
	assert_int_equal(backupset_scan(root, NULL, NULL, &bs, &e), 0);
	assert_int_equal(bs.webroot.n, 1);
	assert_int_equal(bs.webroot.items[0].kind, MAGIC_DIR);
	assert_string_equal(bs.webroot.items[0].name, "webroot");
	assert_int_equal(bs.data.n, 0);
	assert_int_equal(bs.dumps.n, 0);
	backupset_release(&bs);
}

static void dated_dirs_and_archives_listed_newest_first(void **state)
{
	struct backupset bs;
	struct err e = ERR_INIT;
	char tar[1024];
	(void)state;
	memset(tar, 0, sizeof tar);
	strcpy(tar, "f");
	memcpy(tar + 257, "ustar", 5);
	dir("data");
	dir("data/20240101_010101");
	put("data/data_20250101_010101.tar", tar, sizeof tar);
	put("data/notes.txt", "hello\n", 6);
	assert_int_equal(backupset_scan(root, NULL, NULL, &bs, &e), 0);
	assert_int_equal(bs.data.n, 2);
	assert_string_equal(bs.data.items[0].name, "data_20250101_010101.tar");
	assert_int_equal(bs.data.items[0].kind, MAGIC_TAR);
	assert_int_equal(bs.data.items[0].size, sizeof tar);
	assert_string_equal(bs.data.items[1].name, "20240101_010101");
	assert_int_equal(bs.data.items[1].kind, MAGIC_DIR);
	assert_true(bs.data.items[0].when > bs.data.items[1].when);
	backupset_release(&bs);
}

static void dumps_need_exact_prefix_and_stamp(void **state)
{
	struct backupset bs;
	struct err e = ERR_INIT;
	(void)state;
	dir("db");
	put_gz("db/biso_20260102_010101.sql.gz", "SET x = 1;\n");
	put("db/biso_20260101_010101.sql", "SET x = 1;\n", 11);
	put_gz("db/biso_log_20260103_010101.sql.gz", "SET x = 1;\n");
	put("db/biso_20260104_010101.sql", "PGDMP\1\16\0", 8);
	put("db/biso_20260105_010101.sql.bak", "x", 1);
	assert_int_equal(backupset_scan(root, "biso_", "biso_log_", &bs, &e), 0);
	assert_int_equal(bs.dumps.n, 3);
	assert_string_equal(bs.dumps.items[0].name, "biso_20260104_010101.sql");
	assert_int_equal(bs.dumps.items[0].kind, MAGIC_PGDMP);
	assert_int_equal(bs.dumps.items[1].kind, MAGIC_GZIP_SQL);
	assert_int_equal(bs.dumps.items[2].kind, MAGIC_SQL);
	assert_int_equal(bs.log_dumps.n, 1);
	assert_string_equal(bs.log_dumps.items[0].name, "biso_log_20260103_010101.sql.gz");
	backupset_release(&bs);
}

/* Both layouts in one directory: the manual's rsync copy beside the dated
 * snapshots "backup" adds is listed too, dated by its newest entry (not by
 * the directory's mtime, which the snapshots change), chosen by time with
 * --at as they are; copied, it leaves the snapshots, archives and partial
 * backups out. */
static void flat_copy_beside_snapshots(void **state)
{
	struct backupset bs;
	struct err e = ERR_INIT;
	struct timeval tv[2] = { { 1700000000, 0 }, { 1700000000, 0 } };
	char *p, **ex;
	time_t at;
	(void)state;
	dir("webroot");
	dir("webroot/lib");
	put("webroot/index.php", "<?php\n", 6);
	dir("webroot/20260101_010101");
	dir("webroot/20260102_010101.partial");
	p = xstrfmt("%s/webroot/index.php", root);
	assert_int_equal(utimes(p, tv), 0); /* 2023-11-14 */
	free(p);
	p = xstrfmt("%s/webroot/lib", root);
	assert_int_equal(utimes(p, tv), 0);
	free(p);
	/* a directory merely holding a stamp in its name is the flat copy's */
	dir("webroot/old_20250101_010101");
	put("webroot/notes.zip", "PK\005\006\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22);
	assert_int_equal(backupset_scan(root, NULL, NULL, &bs, &e), 0);
	assert_int_equal(bs.webroot.n, 2);
	/* rsync -a kept production's old mtimes (2023), but the copy was
	 * written now (its ctime): it is newer than the 2026-01-01 snapshot */
	assert_string_equal(bs.webroot.items[0].name, "webroot");
	assert_true(bs.webroot.items[0].flat);
	assert_false(bs.webroot.items[0].undated);
	assert_true(bs.webroot.items[0].when > 1767225600); /* after 2026-01-01 */
	assert_true(bs.webroot.items[0].when <= time(NULL));
	assert_string_equal(bs.webroot.items[1].name, "20260101_010101");
	assert_false(bs.webroot.items[1].flat);
	assert_ptr_equal(backupset_pick(&bs.webroot, 0), &bs.webroot.items[0]);
	/* --at after the snapshot but before the copy was written: the
	 * snapshot, never the copy taken after that time */
	assert_true(backupset_parse_at("20260102", &at));
	assert_ptr_equal(backupset_pick(&bs.webroot, at), &bs.webroot.items[1]);
	/* before both: none (no undated fallback) */
	assert_true(backupset_parse_at("20250101", &at));
	assert_null(backupset_pick(&bs.webroot, at));

	static const char *const extra[] = { "tmp/", NULL };
	ex = backupset_flat_excludes(bs.webroot.items[0].path, extra);
	assert_string_equal(ex[0], "tmp/");
	assert_non_null(ex[1]);
	assert_non_null(ex[2]);
	assert_null(ex[3]);
	assert_true((!strcmp(ex[1], "/20260101_010101/") && !strcmp(ex[2], "/20260102_010101.partial/")) ||
		    (!strcmp(ex[2], "/20260101_010101/") && !strcmp(ex[1], "/20260102_010101.partial/")));
	backupset_excludes_free(ex);
	backupset_release(&bs);
}

/* --at: the newest item taken at or before the time; a date alone is the
 * end of that day. */
static void pick_by_time(void **state)
{
	struct backupset bs;
	struct err e = ERR_INIT;
	time_t at;
	(void)state;
	dir("db");
	put_gz("db/biso_20260101_010101.sql.gz", "SET x = 1;\n");
	put_gz("db/biso_20260102_230000.sql.gz", "SET x = 1;\n");
	put_gz("db/biso_20260103_010101.sql.gz", "SET x = 1;\n");
	assert_int_equal(backupset_scan(root, "biso_", NULL, &bs, &e), 0);
	assert_string_equal(backupset_pick(&bs.dumps, 0)->name, "biso_20260103_010101.sql.gz");
	assert_int_equal(backupset_parse_at("20260102", &at), 1);
	assert_string_equal(backupset_pick(&bs.dumps, at)->name, "biso_20260102_230000.sql.gz");
	assert_int_equal(backupset_parse_at("20260102_225959", &at), 1);
	assert_string_equal(backupset_pick(&bs.dumps, at)->name, "biso_20260101_010101.sql.gz");
	assert_int_equal(backupset_parse_at("20260101_010101", &at), 1);
	assert_string_equal(backupset_pick(&bs.dumps, at)->name, "biso_20260101_010101.sql.gz");
	assert_int_equal(backupset_parse_at("20251231", &at), 1);
	assert_null(backupset_pick(&bs.dumps, at));
	/* the one rsync copy of a tree has no date: it is taken whatever the time */
	assert_int_equal(bs.data.n, 0);
	backupset_release(&bs);
	dir("data");
	assert_int_equal(backupset_scan(root, "biso_", NULL, &bs, &e), 0);
	assert_int_equal(bs.data.n, 1);
	assert_true(bs.data.items[0].undated);
	assert_false(bs.dumps.items[0].undated);
	assert_non_null(backupset_pick(&bs.data, at));
	assert_int_equal(backupset_parse_at("2026-01-02", &at), 0);
	assert_int_equal(backupset_parse_at("20261302", &at), 0);
	assert_int_equal(backupset_parse_at("20260102_2300", &at), 0);
	backupset_release(&bs);
}

/* An empty db/ (nothing dumped yet, or only other files): an empty list.
 * UBSan found qsort() called with NULL there (tools/test.sh, build-asan). */
static void empty_db_dir_gives_no_dumps(void **state)
{
	struct backupset bs;
	struct err e = ERR_INIT;
	(void)state;
	dir("webroot");
	dir("data");
	dir("db");
	assert_int_equal(backupset_scan(root, NULL, NULL, &bs, &e), 0);
	assert_int_equal(bs.dumps.n, 0);
	backupset_release(&bs);
	put("db/README", "x", 1);
	assert_int_equal(backupset_scan(root, NULL, NULL, &bs, &e), 0);
	assert_int_equal(bs.dumps.n, 0);
	backupset_release(&bs);
}

static void missing_root_is_an_error(void **state)
{
	struct backupset bs;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(backupset_scan("/nonexistent/backup", NULL, NULL, &bs, &e), -1);
	assert_non_null(e.msg);
	err_clear(&e);
}

static void stamp_parser_rejects_bad_dates(void **state)
{
	time_t t;
	size_t len;
	(void)state;
	assert_true(backupset_parse_stamp("x_20250131_235959.tar", 1, &t, &len));
	assert_false(backupset_parse_stamp("x_20251331_235959.tar", 1, &t, &len));
	assert_false(backupset_parse_stamp("x_20250131_235959.tar", 0, &t, &len));
	assert_false(backupset_parse_stamp("120250131_2359591", 1, &t, &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rsync_copy_is_the_one_webroot_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(dated_dirs_and_archives_listed_newest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(dumps_need_exact_prefix_and_stamp, setup, teardown),
		cmocka_unit_test_setup_teardown(pick_by_time, setup, teardown),
		cmocka_unit_test_setup_teardown(flat_copy_beside_snapshots, setup, teardown),
		cmocka_unit_test_setup_teardown(empty_db_dir_gives_no_dumps, setup, teardown),
		cmocka_unit_test(missing_root_is_an_error),
		cmocka_unit_test(stamp_parser_rejects_bad_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
