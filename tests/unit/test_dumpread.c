/* Unit tests for dumpread: plain and gzip input, several gzip members,
 * truncated gzip with its compressed offset, NUL bytes, BOM, long lines. */
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
#include <zlib.h>

#include "dumpread.h"
#include "err.h"
#include "strbuf.h"

static char path[64];

static void write_file(const void *data, size_t n)
{
	FILE *f;
	strcpy(path, "/tmp/test_dumpread.XXXXXX");
	close(mkstemp(path));
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static void gzip_append(struct strbuf *out, const char *data, size_t n)
{
	z_stream zs;
	unsigned char buf[65536];
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (unsigned char *)data;
	zs.avail_in = (uInt)n;
	for (;;) {
		int r;
		zs.next_out = buf;
		zs.avail_out = sizeof(buf);
		r = deflate(&zs, Z_FINISH);
		strbuf_add(out, buf, sizeof(buf) - zs.avail_out);
		if (r == Z_STREAM_END)
			break;
	}
	deflateEnd(&zs);
}

/* Read everything; returns 0 or -1 with e set.  Pieces are joined in @out,
 * their count in *pieces. */
static int read_all(struct strbuf *out, int *pieces, struct err *e)
{
	struct dumpread *dr;
	const char *p;
	size_t n;
	int rc;
	*pieces = 0;
	if (dumpread_open(&dr, path, NULL, e) < 0)
		return -1;
	while ((rc = dumpread_line(dr, &p, &n, e)) == 1) {
		assert_true(n > 0 && n <= DUMPREAD_CHUNK);
		assert_true(p[n - 1] == '\n' || n == DUMPREAD_CHUNK || rc == 1);
		strbuf_add(out, p, n);
		(*pieces)++;
	}
	dumpread_close(dr);
	return rc;
}

static void plain_file_is_read_in_lines(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct err e = ERR_INIT;
	int pieces;
	(void)state;
	write_file("SELECT 1;\nSELECT 2;\nno newline", 30);
	assert_int_equal(read_all(&out, &pieces, &e), 0);
	assert_string_equal(out.buf, "SELECT 1;\nSELECT 2;\nno newline");
	assert_int_equal(pieces, 3);
	unlink(path);
	strbuf_release(&out);
}

static void bom_is_skipped(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct err e = ERR_INIT;
	int pieces;
	(void)state;
	write_file("\xef\xbb\xbfSET a = 1;\r\n", 15);
	assert_int_equal(read_all(&out, &pieces, &e), 0);
	assert_string_equal(out.buf, "SET a = 1;\r\n");
	unlink(path);
	strbuf_release(&out);
}

static void several_gzip_members_are_one_stream(void **state)
{
	struct strbuf gz = STRBUF_INIT, out = STRBUF_INIT;
	struct err e = ERR_INIT;
	int pieces;
	(void)state;
	gzip_append(&gz, "SELECT 1;\nSEL", 13);
	gzip_append(&gz, "ECT 2;\n", 7);
	gzip_append(&gz, "", 0);
	write_file(gz.buf, gz.len);
	assert_int_equal(read_all(&out, &pieces, &e), 0);
	assert_string_equal(out.buf, "SELECT 1;\nSELECT 2;\n");
	assert_int_equal(pieces, 2);
	unlink(path);
	strbuf_release(&gz);
	strbuf_release(&out);
}

static void truncated_gzip_names_the_compressed_offset(void **state)
{
	struct strbuf gz = STRBUF_INIT, out = STRBUF_INIT, text = STRBUF_INIT;
	struct err e = ERR_INIT;
	int pieces;
	(void)state;
	for (int i = 0; i < 100000; i++)
		strbuf_addf(&text, "%d\tsome row text %d\n", i, i * 7);
	gzip_append(&gz, text.buf, text.len);
	write_file(gz.buf, gz.len / 2);
	assert_int_equal(read_all(&out, &pieces, &e), -1);
	assert_non_null(strstr(e.msg, "truncated"));
	assert_int_equal(e.offset, (int64_t)(gz.len / 2));
	assert_true(out.len > 0 && out.len < text.len);
	err_clear(&e);
	unlink(path);
	strbuf_release(&gz);
	strbuf_release(&out);
	strbuf_release(&text);
}

static void nul_byte_is_an_error_after_the_text_before_it(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct err e = ERR_INIT;
	int pieces;
	(void)state;
	write_file("SELECT 1;\nSEL\0ECT 2;\n", 21);
	assert_int_equal(read_all(&out, &pieces, &e), -1);
	assert_int_equal(e.offset, 13);
	assert_string_equal(out.buf, "SELECT 1;\n"); /* the partial line is not handed out */
	err_clear(&e);
	unlink(path);
	strbuf_release(&out);
}

static void long_lines_come_in_bounded_pieces(void **state)
{
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	struct err e = ERR_INIT;
	int pieces;
	(void)state;
	for (int i = 0; i < 3 * DUMPREAD_CHUNK / 10; i++)
		strbuf_addstr(&in, "0123456789");
	strbuf_addstr(&in, "\nshort\n");
	write_file(in.buf, in.len);
	assert_int_equal(read_all(&out, &pieces, &e), 0);
	assert_int_equal(out.len, in.len);
	assert_memory_equal(out.buf, in.buf, in.len);
	assert_int_equal(pieces, 4); /* 2 full chunks, the rest of the line, "short" */
	unlink(path);
	strbuf_release(&in);
	strbuf_release(&out);
}

static void custom_format_is_refused_with_a_hint(void **state)
{
	struct dumpread *dr;
	struct err e = ERR_INIT;
	(void)state;
	write_file("PGDMP\001\016\000\004\010", 10);
	assert_int_equal(dumpread_open(&dr, path, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "custom-format"));
	assert_non_null(strstr(e.hint, "pg_restore"));
	err_clear(&e);
	unlink(path);
}

/* One decision for every caller (restore plan, chosen backup, replay):
 * text is replayed, pg_dump's other formats and archives are not. */
static void kind_check_decides_what_is_replayed(void **state)
{
	static const enum magic_kind ok[] = { MAGIC_SQL, MAGIC_GZIP_SQL, MAGIC_UNKNOWN, MAGIC_EMPTY };
	static const enum magic_kind no[] = { MAGIC_PGDMP, MAGIC_TAR, MAGIC_GZIP_TAR, MAGIC_XZ,
					      MAGIC_ZSTD, MAGIC_BZIP2, MAGIC_ZIP, MAGIC_DIR,
					      MAGIC_MISSING };
	struct err e = ERR_INIT;
	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		assert_int_equal(dumpread_kind_check("d", ok[i], &e), 0);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		assert_int_equal(dumpread_kind_check("d", no[i], &e), -1);
		assert_non_null(e.msg);
		err_clear(&e);
	}
	dumpread_kind_check("x.dump", MAGIC_PGDMP, &e);
	assert_string_equal(e.msg, "x.dump is a custom-format dump, not a plain SQL dump");
	assert_non_null(strstr(e.hint, "pg_restore -d DBNAME x.dump"));
	assert_non_null(strstr(e.hint, "pg_restore -f dump.sql x.dump"));
	err_clear(&e);
	assert_int_equal(dumpread_kind_check("x", MAGIC_ZIP, NULL), -1);
	/* a --dump that names nothing: the file cannot be opened, as the
	 * operator reads it (it was "is not a plain-format dump (missing)") */
	dumpread_kind_check("/nope.sql.gz", MAGIC_MISSING, &e);
	assert_string_equal(e.msg, "cannot open /nope.sql.gz: No such file or directory");
	assert_non_null(strstr(e.hint, "Check the path"));
	err_clear(&e);
	dumpread_kind_check("/tmp", MAGIC_DIR, &e);
	assert_string_equal(e.msg, "/tmp is a directory, not a plain-format dump");
	err_clear(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_file_is_read_in_lines),
		cmocka_unit_test(kind_check_decides_what_is_replayed),
		cmocka_unit_test(bom_is_skipped),
		cmocka_unit_test(several_gzip_members_are_one_stream),
		cmocka_unit_test(truncated_gzip_names_the_compressed_offset),
		cmocka_unit_test(nul_byte_is_an_error_after_the_text_before_it),
		cmocka_unit_test(long_lines_come_in_bounded_pieces),
		cmocka_unit_test(custom_format_is_refused_with_a_hint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
