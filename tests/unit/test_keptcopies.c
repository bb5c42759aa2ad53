/* Unit tests for keptcopies: which entries are kept copies, their groups,
 * sizes as du counts them, the newest kept, the free-space warning. */
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
#include "keptcopies.h"
#include "report.h"
#include "strbuf.h"

static char dir[] = "/tmp/br-kept-XXXXXX";

static char *P(const char *rel)
{
	static char buf[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", dir, rel);
	return buf[k];
}

static void write_file(const char *path, size_t bytes)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < bytes; i++)
		fputc('x', f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	mkdir(P("www"), 0755);
	mkdir(P("www/biso"), 0755);
	mkdir(P("www/biso.pre-restore-20240101_010101"), 0755);
	write_file(P("www/biso.pre-restore-20240101_010101/a"), 10000);
	/* a second link of one file: counted once, as du does */
	link(P("www/biso.pre-restore-20240101_010101/a"), P("www/biso.pre-restore-20240101_010101/b"));
	mkdir(P("www/biso.pre-restore-20240301_010101"), 0755);
	write_file(P("www/biso.pre-restore-20240301_010101/a"), 5000);
	mkdir(P("www/biso.data.pre-restore-20240201_010101"), 0755);
	write_file(P("www/biso.config.php.pre-restore-20240201_010101"), 300);
	write_file(P("www/biso.config.php.pre-restore-20240101_010101"), 300);
	/* not copies of this webroot, or not a stamp */
	mkdir(P("www/biso-old.pre-restore-20240101_010101"), 0755);
	mkdir(P("www/biso.pre-restore-2024"), 0755);
	mkdir(P("www/biso.restoring"), 0755);
	symlink("biso", P("www/biso.pre-restore-20230101_010101"));
	/* a datadir outside the webroot */
	mkdir(P("files"), 0755);
	mkdir(P("files/data"), 0755);
	mkdir(P("files/data.pre-restore-20240101_010101"), 0755);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return fsrestore_rmtree(dir, NULL);
}

static uint64_t du(const char *path)
{
	char cmd[600];
	unsigned long long n = 0;
	FILE *p;
	snprintf(cmd, sizeof cmd, "du -sB1 '%s'", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%llu", &n), 1);
	pclose(p);
	return n;
}

static void finds_copies_by_name_and_place(void **state)
{
	struct kept_where w = { 0 };
	struct kept_list l;
	struct err e = ERR_INIT;
	static const struct {
		const char *group, *rel;
		int newest;
	} want[] = {
		{ "datadir", "files/data.pre-restore-20240101_010101", 1 },
		/* a rollback's, in groups of their own */
		{ "rollback: datadir", "files/data.pre-rollback-20240601_010101", 1 },
		{ "rollback: webroot", "www/biso.pre-rollback-20240601_010101", 1 },
		{ "rollback: webroot", "www/biso.pre-rollback-20240501_010101", 0 },
		{ "webroot", "www/biso.pre-restore-20240301_010101", 1 },
		{ "webroot", "www/biso.pre-restore-20240101_010101", 0 },
		{ "webroot (config.php)", "www/biso.config.php.pre-restore-20240201_010101", 1 },
		{ "webroot (config.php)", "www/biso.config.php.pre-restore-20240101_010101", 0 },
		{ "webroot (data)", "www/biso.data.pre-restore-20240201_010101", 1 },
	};
	struct strbuf text = STRBUF_INIT;
	(void)state;
	mkdir(P("www/biso.pre-rollback-20240501_010101"), 0755);
	mkdir(P("www/biso.pre-rollback-20240601_010101"), 0755);
	mkdir(P("files/data.pre-rollback-20240601_010101"), 0700);
	w.webroot = P("www/biso"); /* (P() reuses four buffers) */
	w.datadir = P("files/data");
	assert_int_equal(keptcopies_find(&w, &l, NULL, &e), 0);
	assert_int_equal(l.n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < l.n; i++) {
		assert_string_equal(l.items[i].group, want[i].group);
		assert_string_equal(l.items[i].name, P(want[i].rel));
		assert_int_equal(l.items[i].newest, want[i].newest);
		/* the space used, as du -s counts it */
		assert_int_equal(l.items[i].bytes, du(l.items[i].name));
		assert_true(l.items[i].fs_known);
	}
	keptcopies_group_text(l.items[2].group, &text);
	assert_string_equal(text.buf, "webroot (rollback)");
	strbuf_release(&text);
	/* removed as a restore's copies are; the newest is kept */
	assert_int_equal(keptcopies_remove(&w, &l.items[3], NULL, &e), 0);
	assert_int_equal(access(l.items[3].name, F_OK), -1);
	assert_int_equal(keptcopies_remove(&w, &l.items[2], NULL, &e), -1);
	err_clear(&e);
	keptcopies_release(&l);
	rmdir(P("www/biso.pre-rollback-20240501_010101"));
	rmdir(P("www/biso.pre-rollback-20240601_010101"));
	rmdir(P("files/data.pre-rollback-20240601_010101"));
}

/* The copies of a datadir inside the webroot that a restore put in keep_dir
 * (keptcopies_keep_base(), which the restore asks too) are found there, in
 * one group with those beside the webroot; a keep_dir that is the
 * webroot's parent, or missing, lists nothing twice. */
static void finds_datadir_copies_in_keep_dir(void **state)
{
	/* (P() reuses four buffers: the paths of @w are copies) */
	char *webroot = strdup(P("www/biso")), *datadir = strdup(P("www/biso/data"));
	char *keep = strdup(P("keep")), *parent = strdup(P("www")), *nowhere = strdup(P("nowhere"));
	struct kept_where w = { webroot, datadir, NULL, NULL, 0, keep };
	struct kept_list l;
	struct err e = ERR_INIT;
	size_t data = 0;
	char *base;
	(void)state;
	mkdir(P("keep"), 0755);
	mkdir(P("keep/biso.data.pre-restore-20240401_010101"), 0700);
	mkdir(P("keep/other.data.pre-restore-20240401_010101"), 0700);
	base = keptcopies_keep_base(w.keep_dir, w.webroot, w.datadir, NULL);
	assert_string_equal(base, P("keep"));
	free(base);
	assert_int_equal(keptcopies_find(&w, &l, NULL, &e), 0);
	for (size_t i = 0; i < l.n; i++) {
		if (strcmp(l.items[i].group, "webroot (data)"))
			continue;
		assert_string_equal(l.items[i].name, P(data ? "www/biso.data.pre-restore-20240201_010101"
							    : "keep/biso.data.pre-restore-20240401_010101"));
		assert_int_equal(l.items[i].newest, !data);
		data++;
	}
	assert_int_equal(data, 2);
	assert_int_equal(l.n, 6); /* 5 beside the webroot (no outside datadir) + keep_dir's */
	keptcopies_release(&l);
	/* keep_dir = the webroot's parent, or a missing one: each copy once */
	w.keep_dir = parent;
	assert_int_equal(keptcopies_find(&w, &l, NULL, &e), 0);
	assert_int_equal(l.n, 5);
	keptcopies_release(&l);
	w.keep_dir = nowhere;
	assert_int_equal(keptcopies_find(&w, &l, NULL, &e), 0);
	assert_int_equal(l.n, 5);
	keptcopies_release(&l);
	assert_int_equal(fsrestore_rmtree(keep, NULL), 0);
	free(webroot);
	free(datadir);
	free(keep);
	free(parent);
	free(nowhere);
}

/* With max_entries the walk stops there: every copy is still listed, those
 * it did not count whole are marked partial with a lower bound of du's
 * size; without it (cleanup) the sizes are du's. */
static void a_capped_walk_gives_lower_bounds(void **state)
{
	struct kept_where w = { .webroot = P("www/biso"), .datadir = P("files/data"), .max_entries = 1 };
	struct kept_list l, whole;
	struct err e = ERR_INIT;
	size_t partial = 0;
	(void)state;
	assert_int_equal(keptcopies_find(&w, &l, NULL, &e), 0);
	w.max_entries = 0;
	assert_int_equal(keptcopies_find(&w, &whole, NULL, &e), 0);
	assert_int_equal(l.n, whole.n);
	for (size_t i = 0; i < l.n; i++) {
		assert_string_equal(l.items[i].name, whole.items[i].name);
		assert_false(whole.items[i].partial);
		assert_int_equal(whole.items[i].bytes, du(whole.items[i].name));
		assert_true(l.items[i].bytes <= whole.items[i].bytes);
		if (l.items[i].partial) {
			partial++;
			assert_true(l.items[i].bytes < whole.items[i].bytes);
		} else {
			assert_int_equal(l.items[i].bytes, whole.items[i].bytes);
		}
	}
	/* one entry of the three in the webroot copies: one or both cut short
	 * (which depends on the order readdir gives) */
	assert_true(partial >= 1);
	keptcopies_release(&l);
	keptcopies_release(&whole);
}

struct lines {
	struct strbuf warn, info;
};

static void collect(void *ctx, enum log_level level, const char *line)
{
	struct lines *ln = ctx;
	strbuf_addf(level == LOG_WARN ? &ln->warn : &ln->info, "%s\n", line);
}

static void warns_when_copies_take_more_than_the_free_space(void **state)
{
	struct kept_where w = { .webroot = P("www/biso") };
	struct kept_list l;
	struct err e = ERR_INIT;
	struct lines ln = { STRBUF_INIT, STRBUF_INIT };
	struct report r = { .log = collect, .ctx = &ln };
	(void)state;
	assert_int_equal(keptcopies_find(&w, &l, NULL, &e), 0);
	assert_int_equal(keptcopies_report(&l, l.items[0].when + 90000, &r), 0);
	assert_null(strstr(ln.warn.buf, "more than"));
	assert_non_null(strstr(ln.info.buf, "kept copy of the webroot: " ));
	assert_non_null(strstr(ln.info.buf, "(1 day 1 hour old, "));
	for (size_t i = 0; i < l.n; i++)
		l.items[i].fs_free = 4096; /* a nearly full disk */
	assert_int_equal(keptcopies_report(&l, time(NULL), &r), 1);
	assert_non_null(strstr(ln.warn.buf, "still free there: remove old ones with biso-recover cleanup"));
	keptcopies_release(&l);
	strbuf_release(&ln.warn);
	strbuf_release(&ln.info);
}

static void removes_old_copies_never_the_newest(void **state)
{
	struct kept_where w = { .webroot = P("www/biso") };
	struct kept_list l;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(keptcopies_find(&w, &l, NULL, &e), 0);
	assert_true(l.items[0].newest);
	assert_int_equal(keptcopies_remove(&w, &l.items[0], NULL, &e), -1);
	assert_non_null(strstr(e.msg, "is the newest copy of the webroot: it is kept"));
	err_clear(&e);
	assert_int_equal(access(l.items[0].name, F_OK), 0);
	assert_false(l.items[1].newest);
	assert_int_equal(keptcopies_remove(&w, &l.items[1], NULL, &e), 0);
	assert_int_equal(access(l.items[1].name, F_OK), -1);
	assert_false(l.items[3].newest); /* the older config.php: a file */
	assert_int_equal(keptcopies_remove(&w, &l.items[3], NULL, &e), 0);
	assert_int_equal(access(l.items[3].name, F_OK), -1);
	assert_int_equal(access(P("www/biso"), F_OK), 0);
	keptcopies_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_copies_by_name_and_place),
		cmocka_unit_test(finds_datadir_copies_in_keep_dir),
		cmocka_unit_test(a_capped_walk_gives_lower_bounds),
		cmocka_unit_test(warns_when_copies_take_more_than_the_free_space),
		cmocka_unit_test(removes_old_copies_never_the_newest),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
