/* Unit tests for backuplist (one entry a backup, from backupset's and
 * backupprune's listings and the manifests) and backupprune_freed(). */
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
#include <unistd.h>
#include <zlib.h>

#include "backuplist.h"
#include "backupprune.h"
#include "err.h"
#include "fsrestore.h"
#include "manifest.h"
#include "strbuf.h"

static char *root;

static void put(const char *rel, const char *text)
{
	char *p = xstrfmt("%s/%s", root, rel);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	fputs(text, f);
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

static uint64_t size_of(const char *rel)
{
	char *p = xstrfmt("%s/%s", root, rel);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	free(p);
	return (uint64_t)st.st_size;
}

/* A manifest for @id with a db part of @db_bytes and a datadir part. */
static void seal(const char *id, uint64_t db_bytes, const char *verified)
{
	struct manifest m;
	struct err e = ERR_INIT;
	char *d = xstrfmt("manifest/%s", id), *db = xstrfmt("db/biso_%s.sql.gz", id),
	     *data = xstrfmt("data/%s", id), *path = xstrfmt("%s/manifest/%s/MANIFEST", root, id);
	dir(d);
	manifest_init(&m, id, 0);
	manifest_add_part(&m, "db", 1, db_bytes, db);
	manifest_add_part(&m, "datadir", 1, 1000, data);
	if (verified) {
		m.verified_time = 1700000000;
		m.verified_how = xstrdup("checksums");
		m.verified_result = xstrdup(verified);
	}
	assert_int_equal(manifest_write(&m, path, &e), 0);
	manifest_release(&m);
	free(d);
	free(db);
	free(data);
	free(path);
}

static const struct backuplist_entry *find(const struct backuplist *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->entries[i].id, id))
			return &l->entries[i];
	fail_msg("no entry %s", id);
	return NULL;
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/test_backuplist.XXXXXX";
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

static void missing_and_empty_roots(void **state)
{
	struct backuplist l;
	struct err e = ERR_INIT;
	char *nosuch = xstrfmt("%s/nosuch", root);
	(void)state;
	assert_int_equal(backuplist_read(nosuch, NULL, NULL, &l, &e), -1);
	assert_non_null(strstr(e.msg, "cannot read backup root"));
	assert_non_null(strstr(e.msg, nosuch));
	err_clear(&e);
	assert_int_equal(backuplist_read(root, NULL, NULL, &l, &e), 0);
	assert_int_equal(l.n, 0);
	backuplist_release(&l);
	free(nosuch);
}

static void every_kind_of_backup(void **state)
{
	struct backuplist l;
	struct err e = ERR_INIT;
	const struct backuplist_entry *x;
	(void)state;
	dir("db");
	dir("data");
	dir("webroot");
	dir("manifest");
	/* the manual layout: a dump and the flat copy beside snapshots */
	put_gz("db/biso_20240101_010101.sql.gz", "-- manual\n");
	dir("data/attachments");
	put("data/attachments/a.txt", "a\n");
	/* a whole backup, verified */
	put_gz("db/biso_20240102_010101.sql.gz", "-- whole\n");
	dir("data/20240102_010101");
	seal("20240102_010101", size_of("db/biso_20240102_010101.sql.gz"), "ok");
	/* its dump cut after the seal: damaged by its size */
	put_gz("db/biso_20240103_010101.sql.gz", "-- cut\n");
	dir("data/20240103_010101");
	seal("20240103_010101", size_of("db/biso_20240103_010101.sql.gz") + 10, NULL);
	/* parts without a manifest, the newest: cut short */
	put_gz("db/biso_20240104_010101.sql.gz", "-- cut short\n");
	dir("data/20240104_010101");
	dir("webroot/20240104_010101");

	assert_int_equal(backuplist_read(root, NULL, NULL, &l, &e), 0);
	assert_int_equal(l.n, 5);
	/* newest first; the flat copy's time is when its entries were
	 * written (now), so the restore takes its datadir */
	assert_string_equal(l.entries[0].id, "");
	assert_string_equal(l.entries[1].id, "20240104_010101");
	assert_string_equal(l.entries[2].id, "20240103_010101");

	x = find(&l, "20240104_010101");
	assert_int_equal(x->state, BACKUPLIST_CUT);
	assert_int_equal(x->parts, BACKUPLIST_DB | BACKUPLIST_DATADIR | BACKUPLIST_WEBROOT);
	/* the restore takes the newest of each part: the dump and the
	 * webroot from here */
	assert_int_equal(x->restore, BACKUPLIST_DB | BACKUPLIST_WEBROOT);
	assert_int_equal(x->bytes, size_of("db/biso_20240104_010101.sql.gz"));
	assert_true(x->bytes_partial);

	x = find(&l, "20240103_010101");
	assert_int_equal(x->state, BACKUPLIST_DAMAGED);
	assert_non_null(strstr(x->note, "db/biso_20240103_010101.sql.gz has "));
	assert_non_null(strstr(x->note, "the manifest says"));
	assert_int_equal(x->restore, 0);

	x = find(&l, "20240102_010101");
	assert_int_equal(x->state, BACKUPLIST_VERIFIED);
	assert_int_equal(x->bytes, size_of("db/biso_20240102_010101.sql.gz") + 1000);
	assert_null(x->note);

	x = find(&l, "20240101_010101");
	assert_int_equal(x->state, BACKUPLIST_MANUAL);
	assert_int_equal(x->parts, BACKUPLIST_DB);

	x = find(&l, "");
	assert_int_equal(x->state, BACKUPLIST_FLAT);
	assert_int_equal(x->parts, BACKUPLIST_DATADIR);
	assert_int_equal(x->restore, BACKUPLIST_DATADIR);
	backuplist_release(&l);

	/* a part the manifest names gone: damaged, named */
	{
		char *p = xstrfmt("%s/data/20240102_010101", root);
		assert_int_equal(rmdir(p), 0);
		free(p);
	}
	assert_int_equal(backuplist_read(root, NULL, NULL, &l, &e), 0);
	x = find(&l, "20240102_010101");
	assert_int_equal(x->state, BACKUPLIST_DAMAGED);
	assert_string_equal(x->note, "data/20240102_010101 is missing");
	backuplist_release(&l);
}

/* A file hard-linked into a snapshot that stays frees nothing; one linked
 * only among the deleted frees its blocks once. */
static void freed_counts_links_once(void **state)
{
	struct err e = ERR_INIT;
	uint64_t bytes, one, both;
	const char *ids1[] = { "20240101_000000" };
	const char *ids2[] = { "20240101_000000", "20240102_000000" };
	char buf[8192];
	char *a, *b;
	(void)state;
	memset(buf, 'x', sizeof buf);
	buf[sizeof buf - 1] = '\0';
	dir("data");
	dir("data/20240101_000000");
	dir("data/20240102_000000");
	put("data/20240101_000000/big", buf);
	a = xstrfmt("%s/data/20240101_000000/big", root);
	b = xstrfmt("%s/data/20240102_000000/big", root);
	assert_int_equal(link(a, b), 0);
	assert_int_equal(backupprune_freed(root, ids1, 1, NULL, NULL, &one, NULL, &e), 0);
	assert_int_equal(backupprune_freed(root, ids2, 2, NULL, NULL, &both, NULL, &e), 0);
	{
		struct stat st, d1, d2;
		char *p1 = xstrfmt("%s/data/20240101_000000", root), *p2 = xstrfmt("%s/data/20240102_000000", root);
		assert_int_equal(stat(a, &st), 0);
		assert_int_equal(stat(p1, &d1), 0);
		assert_int_equal(stat(p2, &d2), 0);
		/* the first alone: its directory only, the file stays linked */
		assert_int_equal(one, (uint64_t)d1.st_blocks * 512);
		/* both: the directories and the file once */
		assert_int_equal(both, (uint64_t)(d1.st_blocks + d2.st_blocks + st.st_blocks) * 512);
		free(p1);
		free(p2);
	}
	/* an id with nothing there frees nothing */
	assert_int_equal(backupprune_freed(root, (const char *[]){ "20990101_000000" }, 1, NULL, NULL,
					   &bytes, NULL, &e), 0);
	assert_int_equal(bytes, 0);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(missing_and_empty_roots, setup, teardown),
		cmocka_unit_test_setup_teardown(every_kind_of_backup, setup, teardown),
		cmocka_unit_test_setup_teardown(freed_counts_links_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
