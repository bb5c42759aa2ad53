/* Unit tests for manifest and sha256sums: the manifest reads back what was
 * written (odd names too) and refuses a damaged one by file and line; the
 * SHA256SUMS we write is what `sha256sum -c` accepts, and our verifier
 * agrees with it on a flipped byte, a missing file and a removed line. */
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
#include "manifest.h"
#include "runcmd.h"
#include "sha256sums.h"
#include "strbuf.h"

static char root[] = "/tmp/test_manifest.XXXXXX";

static void put_file(const char *rel, const char *content)
{
	char *p = xstrfmt("%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
	free(p);
}

static void make_dir(const char *rel)
{
	char *p = xstrfmt("%s/%s", root, rel);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
}

struct lines {
	struct strbuf out;
};

static void keep_line(void *ctx, int is_stderr, const char *line)
{
	struct lines *l = ctx;
	(void)is_stderr;
	strbuf_addstr(&l->out, line);
	strbuf_addch(&l->out, '\n');
}

/* `sha256sum -c manifest/ID/SHA256SUMS` in root: its exit status, its
 * output in @out. */
static int sha256sum_c(struct strbuf *out)
{
	const char *argv[] = { "sha256sum", "-c", "manifest/20261206_020000/SHA256SUMS", NULL };
	struct child_process cp = { 0 };
	struct lines l = { STRBUF_INIT };
	struct err e = ERR_INIT;
	int status = 0;
	cp.argv = argv;
	cp.dir = root;
	cp.on_line = keep_line;
	cp.ctx = &l;
	int rc = runcmd_run(&cp, &status, &e);
	assert_int_not_equal(rc, -1);
	strbuf_reset(out);
	strbuf_addbuf(out, &l.out);
	strbuf_release(&l.out);
	return rc == 0 ? 0 : status;
}

static void manifest_round_trip(void **state)
{
	struct manifest m, back;
	struct err e = ERR_INIT;
	char *path = xstrfmt("%s/m.txt", root);
	(void)state;
	manifest_init(&m, "20261206_020000", 1796000000);
	m.biso_version = xstrdup("3.4.1");
	m.server_version = xstrdup("15.18 (Debian 15.18-0+deb12u1)");
	m.pg_dump_version = xstrdup("15.18 (Debian 15.18-0+deb12u1)");
	m.system_identifier = xstrdup("7444955392810362887");
	m.dbname = xstrdup("biso");
	m.maintenance_ms = 8312;
	m.migrations_pending = 2;
	manifest_add_pending_migration(&m, "20240610_0001_bf_termin_dauer.sql");
	manifest_add_pending_migration(&m, "odd \\ name");
	manifest_add_part(&m, "db", 1, 5638963, "db/biso_20261206_020000.sql.gz");
	manifest_add_part(&m, "datadir", 3, 42, "data/odd \\ name\nwith newline");
	manifest_add_table(&m, "public.person", 60000);
	manifest_add_table(&m, "public.\"Odd Name\"", 0);
	m.verified_time = 1796000300;
	m.verified_how = xstrdup("checksums");
	m.verified_result = xstrdup("ok");
	assert_int_equal(manifest_write(&m, path, &e), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(manifest_read(path, &back, &e), 0);
	assert_int_equal(back.format, MANIFEST_FORMAT);
	assert_string_equal(back.id, "20261206_020000");
	assert_int_equal(back.time, 1796000000);
	assert_string_equal(back.tool_version, PACKAGE_VERSION);
	assert_string_equal(back.biso_version, "3.4.1");
	assert_string_equal(back.server_version, "15.18 (Debian 15.18-0+deb12u1)");
	assert_string_equal(back.system_identifier, "7444955392810362887");
	assert_string_equal(back.dbname, "biso");
	assert_int_equal(back.maintenance_ms, 8312);
	assert_int_equal(back.migrations_pending, 2);
	assert_int_equal(back.n_pending_migrations, 2);
	assert_string_equal(back.pending_migrations[0], "20240610_0001_bf_termin_dauer.sql");
	assert_string_equal(back.pending_migrations[1], "odd \\ name");
	assert_int_equal(back.n_parts, 2);
	assert_string_equal(back.parts[1].name, "datadir");
	assert_int_equal(back.parts[1].files, 3);
	assert_int_equal(back.parts[1].bytes, 42);
	assert_string_equal(back.parts[1].path, "data/odd \\ name\nwith newline");
	assert_int_equal(back.n_tables, 2);
	assert_string_equal(back.tables[1].name, "public.\"Odd Name\"");
	assert_int_equal(back.tables[0].rows, 60000);
	assert_int_equal(back.verified_time, 1796000300);
	assert_string_equal(back.verified_result, "ok");
	assert_non_null(manifest_part(&back, "db"));
	assert_null(manifest_part(&back, "webroot"));
	manifest_release(&back);
	manifest_release(&m);
	unlink(path);
	free(path);
}

static void manifest_damage_is_named_by_line(void **state)
{
	struct manifest m;
	struct err e = ERR_INIT;
	char *path = xstrfmt("%s/bad.txt", root);
	(void)state;
	put_file("bad.txt", "# c\nformat 1\nid 20261206_020000\npart db x 1 db/a\n");
	assert_int_equal(manifest_read(path, &m, &e), -1);
	assert_non_null(strstr(e.msg, "bad.txt:4: part needs NAME FILES BYTES PATH"));
	assert_int_equal(e.line, 4);
	err_clear(&e);
	manifest_release(&m);
	put_file("bad.txt", "format 2\nid x\n");
	assert_int_equal(manifest_read(path, &m, &e), -1);
	assert_non_null(strstr(e.msg, "bad.txt:1: written by a newer biso-recover"));
	err_clear(&e);
	manifest_release(&m);
	put_file("bad.txt", "format 1\ntime 2026-13-01T00:00:00+0100\nid x\n");
	assert_int_equal(manifest_read(path, &m, &e), -1);
	assert_non_null(strstr(e.msg, "bad.txt:2: time does not parse"));
	err_clear(&e);
	manifest_release(&m);
	put_file("bad.txt", "format 1\nfuture_key something\n");
	assert_int_equal(manifest_read(path, &m, &e), -1);
	assert_non_null(strstr(e.msg, "no \"id\" line"));
	err_clear(&e);
	manifest_release(&m);
	unlink(path);
	free(path);
}

static void times_parse_with_any_offset(void **state)
{
	char buf[40];
	time_t t;
	(void)state;
	assert_int_equal(manifest_parse_time("2026-12-06T02:00:00+0100", &t), 0);
	assert_int_equal(t, 1796518800);
	assert_int_equal(manifest_parse_time("2026-12-06T01:00:00+0000", &t), 0);
	assert_int_equal(t, 1796518800);
	assert_int_equal(manifest_parse_time("2026-12-05T20:00:00-0500", &t), 0);
	assert_int_equal(t, 1796518800);
	manifest_format_time(1796518800, buf, sizeof buf);
	assert_int_equal(manifest_parse_time(buf, &t), 0);
	assert_int_equal(t, 1796518800);
	assert_int_equal(manifest_parse_time("2026-12-06 02:00:00", &t), -1);
	assert_int_equal(manifest_parse_time("2026-12-06T02:00:00+0100x", &t), -1);
}

static void biso_version_from_the_webroot(void **state)
{
	struct manifest m;
	struct err e = ERR_INIT;
	char *web = xstrfmt("%s/web", root);
	(void)state;
	make_dir("web");
	manifest_init(&m, "x", 0);
	assert_int_equal(manifest_read_biso_version(&m, web, &e), 0);
	assert_null(m.biso_version);
	put_file("web/VERSION", "3.4.1\nsecond line\n");
	assert_int_equal(manifest_read_biso_version(&m, web, &e), 0);
	assert_string_equal(m.biso_version, "3.4.1");
	manifest_release(&m);
	char *v = xstrfmt("%s/VERSION", web);
	unlink(v);
	free(v);
	rmdir(web);
	free(web);
}

static void tables_from_the_dump_copy_blocks(void **state)
{
	struct manifest m;
	struct err e = ERR_INIT;
	char *dump = xstrfmt("%s/d.sql", root);
	(void)state;
	put_file("d.sql", "--\n-- PostgreSQL database dump\n--\n\nCREATE TABLE public.a (x int);\n"
			  "COPY public.a (x) FROM stdin;\n1\n2\n3\n\\.\n\n"
			  "COPY public.\"Odd Name\" (k) FROM stdin;\n\\.\n\n"
			  "--\n-- PostgreSQL database dump complete\n--\n\n");
	manifest_init(&m, "x", 0);
	assert_int_equal(manifest_tables_from_dump(&m, dump, NULL, &e), 0);
	assert_int_equal(m.n_tables, 2);
	assert_string_equal(m.tables[0].name, "public.a");
	assert_int_equal(m.tables[0].rows, 3);
	assert_string_equal(m.tables[1].name, "public.\"Odd Name\"");
	assert_int_equal(m.tables[1].rows, 0);
	manifest_release(&m);
	unlink(dump);
	free(dump);
}

/* A backup under root: the dump, a datadir snapshot with odd names, a
 * symlink and a subdirectory; its manifest and SHA256SUMS. */
static void write_backup(void)
{
	struct sha256sums s;
	struct sha256sums_count dbc = { 0 }, dc = { 0 };
	struct manifest m;
	struct err e = ERR_INIT;
	char *mpath, *spath;
	make_dir("db");
	make_dir("data");
	make_dir("data/20261206_020000");
	make_dir("data/20261206_020000/sub");
	make_dir("manifest");
	make_dir("manifest/20261206_020000");
	put_file("db/biso_20261206_020000.sql.gz", "not really gzip, but bytes\n");
	put_file("data/20261206_020000/a.txt", "alpha\n");
	put_file("data/20261206_020000/with space", "beta\n");
	put_file("data/20261206_020000/back\\slash", "gamma\n");
	put_file("data/20261206_020000/new\nline", "delta\n");
	put_file("data/20261206_020000/sub/b.bin", "");
	char *link = xstrfmt("%s/data/20261206_020000/link", root);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	free(link);

	manifest_paths(root, "20261206_020000", &mpath, &spath);
	assert_int_equal(sha256sums_open(&s, root, spath, &e), 0);
	assert_int_equal(sha256sums_add_file(&s, "db/biso_20261206_020000.sql.gz", &dbc, NULL, &e), 0);
	assert_int_equal(sha256sums_add_tree(&s, "data/20261206_020000", &dc, NULL, &e), 0);
	assert_int_equal(sha256sums_close(&s, &e), 0);
	assert_int_equal(dbc.files, 1);
	assert_int_equal(dbc.bytes, 27);
	assert_int_equal(dc.files, 5);
	assert_int_equal(dc.bytes, 6 + 5 + 6 + 6);
	assert_int_equal(dc.skipped, 1); /* the symlink */

	manifest_init(&m, "20261206_020000", 1796518800);
	manifest_add_part(&m, "db", dbc.files, dbc.bytes, "db/biso_20261206_020000.sql.gz");
	manifest_add_part(&m, "datadir", dc.files, dc.bytes, "data/20261206_020000");
	assert_int_equal(manifest_write(&m, mpath, &e), 0);
	manifest_release(&m);
	free(mpath);
	free(spath);
}

static void flip_byte(const char *rel, off_t at)
{
	char *p = xstrfmt("%s/%s", root, rel);
	int fd = open(p, O_RDWR);
	unsigned char c;
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, at), 1);
	c ^= 0x01;
	assert_int_equal(pwrite(fd, &c, 1, at), 1);
	close(fd);
	free(p);
}

static void sums_agree_with_sha256sum_c(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct sha256sums_result res;
	struct err e = ERR_INIT;
	(void)state;
	write_backup();

	/* as written: both say OK */
	assert_int_equal(sha256sum_c(&out), 0);
	assert_non_null(strstr(out.buf, "data/20261206_020000/with space: OK"));
	assert_null(strstr(out.buf, "link"));
	assert_int_equal(manifest_verify(root, "20261206_020000", &res, NULL, &e), 0);
	assert_int_equal(res.checked, 6);
	sha256sums_result_release(&res);

	/* a flipped byte: both name that file, and only it */
	flip_byte("data/20261206_020000/with space", 2);
	assert_int_not_equal(sha256sum_c(&out), 0);
	assert_non_null(strstr(out.buf, "data/20261206_020000/with space: FAILED"));
	assert_int_equal(manifest_verify(root, "20261206_020000", &res, NULL, &e), 1);
	assert_int_equal(res.n_bad, 1);
	assert_string_equal(res.bad[0].path, "data/20261206_020000/with space");
	assert_string_equal(res.bad[0].why, "checksum mismatch");
	sha256sums_result_release(&res);
	flip_byte("data/20261206_020000/with space", 2);

	/* the name with a newline is checked too */
	flip_byte("data/20261206_020000/new\nline", 0);
	assert_int_not_equal(sha256sum_c(&out), 0);
	assert_int_equal(manifest_verify(root, "20261206_020000", &res, NULL, &e), 1);
	assert_int_equal(res.n_bad, 1);
	assert_string_equal(res.bad[0].path, "data/20261206_020000/new\nline");
	sha256sums_result_release(&res);
	flip_byte("data/20261206_020000/new\nline", 0);

	/* a missing file */
	char *p = xstrfmt("%s/db/biso_20261206_020000.sql.gz", root);
	char *q = xstrfmt("%s/moved.gz", root);
	assert_int_equal(rename(p, q), 0);
	assert_int_not_equal(sha256sum_c(&out), 0);
	assert_int_equal(manifest_verify(root, "20261206_020000", &res, NULL, &e), 1);
	assert_int_equal(res.n_bad, 1);
	assert_string_equal(res.bad[0].path, "db/biso_20261206_020000.sql.gz");
	assert_string_equal(res.bad[0].why, "missing");
	sha256sums_result_release(&res);
	assert_int_equal(rename(q, p), 0);
	free(p);
	free(q);
	assert_int_equal(manifest_verify(root, "20261206_020000", &res, NULL, &e), 0);
	sha256sums_result_release(&res);
	strbuf_release(&out);
}

static void a_removed_line_is_found_by_the_count(void **state)
{
	struct sha256sums_result res;
	struct err e = ERR_INIT;
	char *spath, *line = NULL;
	size_t cap = 0;
	struct strbuf keep = STRBUF_INIT;
	(void)state;
	manifest_paths(root, "20261206_020000", NULL, &spath);
	FILE *f = fopen(spath, "r");
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0)
		if (!strstr(line, "a.txt"))
			strbuf_addstr(&keep, line);
	fclose(f);
	f = fopen(spath, "w");
	fputs(keep.buf, f);
	fclose(f);
	assert_int_equal(manifest_verify(root, "20261206_020000", &res, NULL, &e), 1);
	assert_int_equal(res.n_bad, 1);
	assert_string_equal(res.bad[0].path, "data/20261206_020000");
	assert_non_null(strstr(res.bad[0].why, "4 files of this part, the manifest 5"));
	sha256sums_result_release(&res);

	/* a path out of the root is not read, but named */
	f = fopen(spath, "a");
	fputs("0000000000000000000000000000000000000000000000000000000000000000  ../../etc/passwd\n", f);
	fclose(f);
	assert_int_equal(manifest_verify(root, "20261206_020000", &res, NULL, &e), 1);
	assert_int_equal(res.n_bad, 2);
	assert_string_equal(res.bad[0].path, "../../etc/passwd");
	assert_non_null(strstr(res.bad[0].why, "leads out of the backup root"));
	sha256sums_result_release(&res);

	/* a line that is not a sha256sum line: could not check, by line */
	f = fopen(spath, "a");
	fputs("garbage\n", f);
	fclose(f);
	assert_int_equal(manifest_verify(root, "20261206_020000", &res, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "SHA256SUMS:7: not a sha256sum line"));
	err_clear(&e);
	sha256sums_result_release(&res);
	free(line);
	free(spath);
	strbuf_release(&keep);

	/* no manifest: could not check */
	assert_int_equal(manifest_verify(root, "20990101_000000", &res, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "manifest/20990101_000000/MANIFEST"));
	err_clear(&e);
	sha256sums_result_release(&res);
}

/* manifest_of_part(): the manifest of the backup a dump or a snapshot
 * belongs to, with its verified line; none for the manual's layout, a path
 * outside the root or a name without a stamp. */
static void the_manifest_of_a_part(void **state)
{
	struct manifest m;
	struct err e = ERR_INIT;
	char *broot = xstrfmt("%s/part", root), *path, *mpath;
	(void)state;
	make_dir("part");
	make_dir("part/db");
	make_dir("part/data");
	make_dir("part/data/20261206_030000");
	make_dir("part/manifest");
	make_dir("part/manifest/20261206_030000");
	put_file("part/db/biso_20261206_030000.sql.gz", "x");
	put_file("part/db/biso_20261205_030000.sql.gz", "y");
	manifest_init(&m, "20261206_030000", 1796522400);
	manifest_add_part(&m, "datadir", 3, 12345, "data/20261206_030000");
	m.verified_time = 1796522700;
	m.verified_how = xstrdup("checksums");
	m.verified_result = xstrdup("ok");
	mpath = xstrfmt("%s/manifest/20261206_030000/MANIFEST", broot);
	assert_int_equal(manifest_write(&m, mpath, &e), 0);
	manifest_release(&m);

	path = xstrfmt("%s/db/biso_20261206_030000.sql.gz", broot);
	assert_int_equal(manifest_of_part(broot, path, &m, &e), 1);
	assert_string_equal(m.id, "20261206_030000");
	assert_string_equal(m.verified_result, "ok");
	assert_int_equal(manifest_part(&m, "datadir")->bytes, 12345);
	manifest_release(&m);
	free(path);
	path = xstrfmt("%s/data/20261206_030000", broot);
	assert_int_equal(manifest_of_part(broot, path, &m, &e), 1);
	manifest_release(&m);
	free(path);
	/* no manifest for that backup; outside the root; no stamp */
	path = xstrfmt("%s/db/biso_20261205_030000.sql.gz", broot);
	assert_int_equal(manifest_of_part(broot, path, &m, &e), 0);
	free(path);
	assert_int_equal(manifest_of_part(broot, "/elsewhere/db/biso_20261206_030000.sql.gz", &m, &e), 0);
	path = xstrfmt("%s/data", broot);
	assert_int_equal(manifest_of_part(broot, path, &m, &e), 0);
	free(path);
	/* a manifest that does not read: -1, its file named */
	put_file("part/manifest/20261206_030000/MANIFEST", "format x\n");
	path = xstrfmt("%s/db/biso_20261206_030000.sql.gz", broot);
	assert_int_equal(manifest_of_part(broot, path, &m, &e), -1);
	assert_non_null(strstr(e.msg, "MANIFEST"));
	err_clear(&e);
	manifest_release(&m);
	free(path);
	free(mpath);
	free(broot);
}

/* sha256sums_reuse(): a file of the new tree that is a hard link to the
 * earlier tree's file at the same place is listed with the earlier list's
 * digest, unread (the earlier list here says zeros for it, which nothing
 * hashes to); a copy with the same bytes and a new file are read. */
static void linked_files_take_the_earlier_digest(void **state)
{
	struct sha256sums s;
	struct sha256sums_count c = { 0 };
	struct err e = ERR_INIT;
	char *base = xstrfmt("%s/reuse", root), *old_list = xstrfmt("%s/reuse/old.sums", root);
	char *new_list = xstrfmt("%s/reuse/new.sums", root), *text = NULL, *a, *b, hb[65], hc[65];
	size_t len = 0;
	FILE *f;
	(void)state;
	make_dir("reuse");
	make_dir("reuse/data");
	make_dir("reuse/data/old");
	make_dir("reuse/data/new");
	put_file("reuse/data/old/a", "alpha\n");
	put_file("reuse/data/old/b", "bravo\n");
	put_file("reuse/data/new/b", "bravo\n");
	put_file("reuse/data/new/c", "charlie\n");
	a = xstrfmt("%s/reuse/data/old/a", root);
	b = xstrfmt("%s/reuse/data/new/a", root);
	assert_int_equal(link(a, b), 0);
	free(a);
	free(b);
	put_file("reuse/old.sums",
		 "0000000000000000000000000000000000000000000000000000000000000000  data/old/a\n"
		 "1111111111111111111111111111111111111111111111111111111111111111  data/old/b\n"
		 "2222222222222222222222222222222222222222222222222222222222222222  data/other/a\n");

	assert_int_equal(sha256sums_open(&s, base, new_list, &e), 0);
	assert_int_equal(sha256sums_reuse(&s, old_list, "data/old", "data/new", &e), 0);
	assert_int_equal(sha256sums_add_tree(&s, "data/new", &c, NULL, &e), 0);
	assert_int_equal(s.reused, 1);
	assert_int_equal(c.files, 3);
	assert_int_equal(c.bytes, 6 + 6 + 8);
	assert_int_equal(sha256sums_close(&s, &e), 0);

	b = xstrfmt("%s/data/new/b", base);
	assert_int_equal(sha256sums_file(b, hb, NULL, NULL, &e), 0);
	free(b);
	b = xstrfmt("%s/data/new/c", base);
	assert_int_equal(sha256sums_file(b, hc, NULL, NULL, &e), 0);
	free(b);
	f = fopen(new_list, "r");
	assert_non_null(f);
	assert_true(getdelim(&text, &len, '\0', f) > 0);
	fclose(f);
	a = xstrfmt("0000000000000000000000000000000000000000000000000000000000000000  data/new/a\n"
		    "%s  data/new/b\n%s  data/new/c\n", hb, hc);
	assert_string_equal(text, a);
	free(a);
	free(text);

	/* a malformed earlier list is refused by line, nothing taken over */
	put_file("reuse/old.sums", "0000  data/old/a\n");
	assert_int_equal(sha256sums_open(&s, base, new_list, &e), 0);
	assert_int_equal(sha256sums_reuse(&s, old_list, "data/old", "data/new", &e), -1);
	assert_non_null(strstr(e.msg, "old.sums:1: not a sha256sum line"));
	err_clear(&e);
	assert_int_equal(sha256sums_add_tree(&s, "data/new", NULL, NULL, &e), 0);
	assert_int_equal(s.reused, 0);
	sha256sums_abort(&s);
	free(base);
	free(old_list);
	free(new_list);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	const char *argv[] = { "rm", "-rf", root, NULL };
	struct child_process cp = { 0 };
	struct err e = ERR_INIT;
	int status = 0;
	(void)state;
	cp.argv = argv;
	return runcmd_run(&cp, &status, &e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(manifest_round_trip),
		cmocka_unit_test(manifest_damage_is_named_by_line),
		cmocka_unit_test(times_parse_with_any_offset),
		cmocka_unit_test(biso_version_from_the_webroot),
		cmocka_unit_test(tables_from_the_dump_copy_blocks),
		cmocka_unit_test(sums_agree_with_sha256sum_c),
		cmocka_unit_test(a_removed_line_is_found_by_the_count),
		cmocka_unit_test(the_manifest_of_a_part),
		cmocka_unit_test(linked_files_take_the_earlier_digest),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
