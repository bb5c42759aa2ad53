/*
 * Unit tests for sqlscan: one test per lexer rule, each asserting the
 * statement boundaries it must find.  Every input is split with several
 * feed sizes (1 byte, 2, 7 and all at once) so that tokens cut across
 * pieces are covered too.
 */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlscan.h"
#include "strbuf.h"

/* Render what the scanner finds as lines: "S<line>[c]: text" for
 * statements (c = COPY FROM stdin, i = incomplete), "M<line>: text" for
 * meta-commands. */
static void split_with(const char *in, size_t piece, int std_strings,
		       enum sqlscan_encoding enc, struct strbuf *out)
{
	struct sqlscan s;
	struct sqlscan_item it;
	size_t n = strlen(in), off = 0;
	enum sqlscan_result r;
	sqlscan_init(&s);
	s.std_strings = std_strings;
	s.encoding = enc;
	for (;;) {
		r = sqlscan_next(&s, &it);
		if (r == SQLSCAN_MORE) {
			if (off >= n) {
				sqlscan_eof(&s);
				continue;
			}
			size_t k = piece ? piece : n;
			if (k > n - off)
				k = n - off;
			sqlscan_feed(&s, in + off, k);
			off += k;
			continue;
		}
		if (r == SQLSCAN_END)
			break;
		assert_int_equal(strlen(it.text), it.len);
		if (r == SQLSCAN_STMT)
			strbuf_addf(out, "S%ld%s%s: %s\n", it.line, it.copy_in ? "c" : "",
				    it.incomplete ? "i" : "", it.text);
		else if (r == SQLSCAN_META)
			strbuf_addf(out, "M%ld: %s\n", it.line, it.text);
	}
	sqlscan_release(&s);
}

static void check_enc(const char *in, const char *want, int std_strings, enum sqlscan_encoding enc)
{
	static const size_t pieces[] = { 0, 1, 2, 7 };
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		struct strbuf got = STRBUF_INIT;
		split_with(in, pieces[i], std_strings, enc, &got);
		if (strcmp(got.buf, want)) {
			print_error("input (fed in pieces of %zu):\n%s\nwant:\n%s\ngot:\n%s\n",
				    pieces[i], in, want, got.buf);
			fail();
		}
		strbuf_release(&got);
	}
}

static void check(const char *in, const char *want)
{
	check_enc(in, want, 1, SQLSCAN_ENC_SAFE);
}

static void semicolon_ends_statements_and_whitespace_is_dropped(void **state)
{
	(void)state;
	check("SET a = 1;\n\nSELECT 1; SELECT 2;\n  \n",
	      "S1: SET a = 1;\nS3: SELECT 1;\nS3: SELECT 2;\n");
}

static void line_comments_before_a_statement_are_dropped(void **state)
{
	(void)state;
	check("--\n-- Name: t; Type: TABLE\n--\nCREATE TABLE t (a int); -- x; y\nSELECT 1 -- a ; b\n;\n",
	      "S4: CREATE TABLE t (a int);\nS5: SELECT 1 -- a ; b\n;\n");
}

static void nested_block_comments_hide_semicolons(void **state)
{
	(void)state;
	check("SELECT /* a; /* b; */ c; */ 1;\nSELECT 2;",
	      "S1: SELECT /* a; /* b; */ c; */ 1;\nS2: SELECT 2;\n");
}

static void quoted_strings_hide_semicolons_and_double_quotes(void **state)
{
	(void)state;
	check("SELECT 'a;b''c;';\nSELECT 'x\n;y';\n",
	      "S1: SELECT 'a;b''c;';\nS2: SELECT 'x\n;y';\n");
}

static void backslash_is_literal_with_standard_conforming_strings(void **state)
{
	(void)state;
	/* on: 'a\' is a complete string, the ; after it ends the statement */
	check("SELECT 'a\\';\nSELECT 2;\n", "S1: SELECT 'a\\';\nS2: SELECT 2;\n");
}

static void backslash_escapes_quote_when_standard_conforming_strings_off(void **state)
{
	(void)state;
	check_enc("SELECT 'a\\';b';\nSELECT 2;\n",
		  "S1: SELECT 'a\\';b';\nS2: SELECT 2;\n", 0, SQLSCAN_ENC_SAFE);
}

static void e_strings_always_have_escapes(void **state)
{
	(void)state;
	check("SELECT E'a\\';b', e'\\\\';\nSELECT 2;\n",
	      "S1: SELECT E'a\\';b', e'\\\\';\nS2: SELECT 2;\n");
}

static void string_prefixes_only_at_token_start(void **state)
{
	(void)state;
	/* abe'x\' : identifier abe then a plain string 'x\' (no escapes) */
	check("SELECT abe'x\\';\nSELECT B'01', X'1f', N'n;', U&'d;\\0061';\n",
	      "S1: SELECT abe'x\\';\nS2: SELECT B'01', X'1f', N'n;', U&'d;\\0061';\n");
}

static void unicode_identifiers_and_quoted_identifiers(void **state)
{
	(void)state;
	check("CREATE TABLE \"a;b'c$d\"\"e\" (U&\"x;\" int);\nSELECT 1;",
	      "S1: CREATE TABLE \"a;b'c$d\"\"e\" (U&\"x;\" int);\nS2: SELECT 1;\n");
}

static void dollar_quotes_hide_semicolons(void **state)
{
	(void)state;
	check("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"
	      "CREATE FUNCTION g() RETURNS int AS $body$\nBEGIN\n RETURN $$;$$; -- $b$\nEND;\n$body$ LANGUAGE plpgsql;\n",
	      "S1: CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"
	      "S2: CREATE FUNCTION g() RETURNS int AS $body$\nBEGIN\n RETURN $$;$$; -- $b$\nEND;\n$body$ LANGUAGE plpgsql;\n");
}

static void dollar_in_identifier_and_parameters_are_not_quotes(void **state)
{
	(void)state;
	check("SELECT abc$x$ FROM t WHERE a = $1;\nSELECT $x$;$x$;\nSELECT 1$$;$$;\n",
	      "S1: SELECT abc$x$ FROM t WHERE a = $1;\nS2: SELECT $x$;$x$;\nS3: SELECT 1$$;$$;\n");
}

static void dollar_tag_must_match_exactly(void **state)
{
	(void)state;
	check("SELECT $a$ $b$; $ab$; $a $a$;\nSELECT 2;",
	      "S1: SELECT $a$ $b$; $ab$; $a $a$;\nS2: SELECT 2;\n");
}

static void parentheses_hide_semicolons(void **state)
{
	(void)state;
	check("CREATE RULE r AS ON INSERT TO t DO (INSERT INTO u VALUES (1); DELETE FROM v);\nSELECT 1;",
	      "S1: CREATE RULE r AS ON INSERT TO t DO (INSERT INTO u VALUES (1); DELETE FROM v);\nS2: SELECT 1;\n");
}

static void begin_atomic_body_with_case(void **state)
{
	(void)state;
	check("CREATE FUNCTION public.f(a integer) RETURNS integer\n"
	      "    LANGUAGE sql\n"
	      "    BEGIN ATOMIC\n"
	      " SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END AS c;\n"
	      " SELECT 2;\n"
	      "END;\n"
	      "CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END;\n"
	      "SELECT 3;\n",
	      "S1: CREATE FUNCTION public.f(a integer) RETURNS integer\n"
	      "    LANGUAGE sql\n"
	      "    BEGIN ATOMIC\n"
	      " SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END AS c;\n"
	      " SELECT 2;\n"
	      "END;\n"
	      "S7: CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END;\n"
	      "S8: SELECT 3;\n");
}

static void function_named_begin_does_not_swallow_the_dump(void **state)
{
	(void)state;
	check("CREATE FUNCTION public.begin() RETURNS integer\n    LANGUAGE sql\n    AS $$SELECT 1$$;\n"
	      "ALTER FUNCTION public.begin() OWNER TO x;\nBEGIN;\nCOMMIT;\n",
	      "S1: CREATE FUNCTION public.begin() RETURNS integer\n    LANGUAGE sql\n    AS $$SELECT 1$$;\n"
	      "S4: ALTER FUNCTION public.begin() OWNER TO x;\nS5: BEGIN;\nS6: COMMIT;\n");
}

static void copy_from_stdin_is_flagged(void **state)
{
	(void)state;
	check("COPY public.t (a, b) FROM stdin;\nCOPY t TO stdout;\ncopy (select 1 from stdin) to stdout;\n"
	      "COPY t FROM STDIN WITH (FORMAT csv);\nSELECT 'copy from stdin';\n",
	      "S1c: COPY public.t (a, b) FROM stdin;\nS2: COPY t TO stdout;\n"
	      "S3: copy (select 1 from stdin) to stdout;\nS4c: COPY t FROM STDIN WITH (FORMAT csv);\n"
	      "S5: SELECT 'copy from stdin';\n");
}

static void meta_commands_run_to_end_of_line(void **state)
{
	(void)state;
	check("\\restrict abc123\r\nSET a = 1;\n\\connect -reuse-previous=on \"dbname='x;y'\"\n\\unrestrict abc123\n",
	      "M1: restrict abc123\nS2: SET a = 1;\nM3: connect -reuse-previous=on \"dbname='x;y'\"\nM4: unrestrict abc123\n");
}

static void backslash_semicolon_is_a_literal_semicolon(void **state)
{
	(void)state;
	check("SELECT 1\\; SELECT 2;\n", "S1: SELECT 1; SELECT 2;\n");
}

static void crlf_line_ends_are_whitespace(void **state)
{
	(void)state;
	check("SET a = 1;\r\n\r\nSELECT 'x'\r\n;\r\n", "S1: SET a = 1;\nS3: SELECT 'x'\r\n;\n");
}

static void text_without_final_semicolon_is_sent_at_eof(void **state)
{
	(void)state;
	check("SELECT 1;\nSELECT 2\n", "S1: SELECT 1;\nS2i: SELECT 2\n\n");
	check("SELECT 1;\n-- only a comment\n\n", "S1: SELECT 1;\n");
}

static void sjis_trail_byte_backslash_is_not_an_escape(void **state)
{
	(void)state;
	/* 0x95 0x5c is one SJIS character whose trail byte is '\' */
	check_enc("SELECT E'\x95\x5c';\nSELECT 2;\n", "S1: SELECT E'\x95\x5c';\nS2: SELECT 2;\n",
		  1, SQLSCAN_ENC_SJIS);
	/* BIG5: 0xa4 0x27: trail byte looks like a quote */
	check_enc("SELECT '\xa4\x27;';\nSELECT 2;\n", "S1: SELECT '\xa4\x27;';\nS2: SELECT 2;\n",
		  1, SQLSCAN_ENC_BIG5);
	assert_int_equal(sqlscan_encoding_of("SHIFT_JIS_2004"), SQLSCAN_ENC_SJIS);
	assert_int_equal(sqlscan_encoding_of("gb18030"), SQLSCAN_ENC_GB18030);
	assert_int_equal(sqlscan_encoding_of("UTF8"), SQLSCAN_ENC_SAFE);
}

static void toc_comments_set_entry_and_section(void **state)
{
	struct sqlscan s;
	struct sqlscan_item it;
	const char *in =
		"--\n-- Name: person; Type: TABLE; Schema: public; Owner: biso\n--\n\n"
		"CREATE TABLE public.person (id int);\n"
		"--\n-- Data for Name: person; Type: TABLE DATA; Schema: public; Owner: biso\n--\n\n"
		"SELECT 1;\n"
		"--\n-- Name: person person_pkey; Type: CONSTRAINT; Schema: public; Owner: biso\n--\n\n"
		"ALTER TABLE x;\n";
	(void)state;
	sqlscan_init(&s);
	sqlscan_feed(&s, in, strlen(in));
	sqlscan_eof(&s);
	assert_int_equal(sqlscan_next(&s, &it), SQLSCAN_STMT);
	assert_string_equal(s.toc.buf, "Name: person; Type: TABLE; Schema: public; Owner: biso");
	assert_string_equal(s.toc_type.buf, "TABLE");
	assert_string_equal(s.toc_what.buf, "table public.person");
	assert_int_equal(s.section, SQLSCAN_PRE_DATA);
	assert_int_equal(sqlscan_next(&s, &it), SQLSCAN_STMT);
	assert_string_equal(s.toc_type.buf, "TABLE DATA");
	assert_string_equal(s.toc_what.buf, "table public.person"); /* not the raw comment */
	assert_int_equal(s.section, SQLSCAN_DATA);
	assert_int_equal(sqlscan_next(&s, &it), SQLSCAN_STMT);
	assert_string_equal(s.toc.buf, "Name: person person_pkey; Type: CONSTRAINT; Schema: public; Owner: biso");
	assert_string_equal(s.toc_what.buf, "constraint public.person person_pkey");
	assert_int_equal(s.section, SQLSCAN_POST_DATA);
	assert_int_equal(it.line, 15);
	assert_int_equal(sqlscan_next(&s, &it), SQLSCAN_END);
	sqlscan_release(&s);
}

/* pg_dump's first comment and its trailer; a comment that only starts
 * like them (or a string holding them) counts for nothing. */
static void pg_dump_header_and_trailer_are_seen(void **state)
{
	struct sqlscan s;
	struct sqlscan_item it;
	const char *in =
		"--\n-- PostgreSQL database dump\n--\n\nSELECT '-- PostgreSQL database dump complete';\n"
		"-- PostgreSQL database dump complete, almost\nSELECT 2;\n"
		"--\n-- PostgreSQL database dump complete\r\n--\n\n";
	(void)state;
	sqlscan_init(&s);
	sqlscan_feed(&s, in, strlen(in));
	sqlscan_eof(&s);
	assert_int_equal(sqlscan_next(&s, &it), SQLSCAN_STMT);
	assert_int_equal(s.pg_dump_header, 1);
	assert_int_equal(s.pg_dump_complete, 0);
	assert_int_equal(sqlscan_next(&s, &it), SQLSCAN_STMT);
	assert_int_equal(s.pg_dump_complete, 0);
	assert_int_equal(sqlscan_next(&s, &it), SQLSCAN_END);
	assert_int_equal(s.pg_dump_complete, 1);
	sqlscan_release(&s);
	/* pg_dumpall's */
	in = "--\n-- PostgreSQL database cluster dump\n--\n\nSELECT 1;\n"
	     "--\n-- PostgreSQL database cluster dump complete\n--\n\n";
	sqlscan_init(&s);
	sqlscan_feed(&s, in, strlen(in));
	sqlscan_eof(&s);
	while (sqlscan_next(&s, &it) != SQLSCAN_END)
		;
	assert_int_equal(s.pg_dump_header, 1);
	assert_int_equal(s.pg_dump_complete, 1);
	sqlscan_release(&s);
}

static void copy_data_is_left_to_the_caller(void **state)
{
	struct sqlscan s;
	struct sqlscan_item it;
	(void)state;
	sqlscan_init(&s);
	sqlscan_feed(&s, "SET x = 1;\nCOPY t (a) FROM stdin;\n", 34);
	assert_int_equal(sqlscan_next(&s, &it), SQLSCAN_STMT);
	assert_int_equal(sqlscan_next(&s, &it), SQLSCAN_STMT);
	assert_true(it.copy_in);
	assert_int_equal(it.end_line, 2);
	assert_int_equal(sqlscan_next(&s, &it), SQLSCAN_MORE);
	/* the caller consumed 3 data lines and "\." */
	sqlscan_add_lines(&s, 4);
	sqlscan_feed(&s, "SELECT 1;\n", 10);
	assert_int_equal(sqlscan_next(&s, &it), SQLSCAN_STMT);
	assert_int_equal(it.line, 7);
	assert_string_equal(it.text, "SELECT 1;");
	sqlscan_release(&s);
}

static void set_statements_update_offline_state(void **state)
{
	struct sqlscan s;
	(void)state;
	sqlscan_init(&s);
	assert_int_equal(sqlscan_apply_set(&s, "SET standard_conforming_strings = off;"), 1);
	assert_int_equal(s.std_strings, 0);
	assert_int_equal(sqlscan_apply_set(&s, "SET client_encoding = 'SJIS';"), 1);
	assert_int_equal(s.encoding, SQLSCAN_ENC_SJIS);
	assert_int_equal(sqlscan_apply_set(&s, "SELECT 1;"), 0);
	sqlscan_release(&s);
}

/* One long line after a pg_dump header, fed in dumpread's pieces: the
 * shape @pat repeated to @total bytes after @prefix, no newline at all. */
struct long_line {
	const char *name, *prefix, *pat;
};

static const struct long_line long_lines[] = {
	{ "single quotes", "INSERT INTO t VALUES ('", "abcdefgh" },
	{ "E'' string with backslashes", "SELECT E'", "\\\\\\'ab" },
	{ "dollar-quoted body", "SELECT $x$", "abcdefgh" },
	{ "dollar-quote tag", "SELECT $", "abcdefgh" },
	{ "block comment", "/* ", "abc*/*/*" },
	{ "top-level -- comment", "-- ", "abcdefgh" },
	{ "-- comment in a statement", "SELECT 1 -- ", "abcdefgh" },
	{ "meta-command", "\\", "x41424344" },
	{ "identifier", "", "abcdefgh" },
	{ "digits", "SELECT ", "12345678" },
	{ "double quotes", "SELECT \"", "abcdefgh" },
	{ "parentheses", "SELECT ", "((((" },
	{ "many statements", "", "SELECT 1;" },
	{ "backslash-semicolons", "SELECT ", "\\;" },
	{ "mixed", "", "a'b\"c$d/*e--f\\g;h(i)" },
};

/* Scan @ll up to @total bytes in pieces of 256 KiB; return the counters. */
static void scan_long_line(const struct long_line *ll, size_t total, int keep,
			   unsigned long long *examined, unsigned long long *moved, size_t *peak)
{
	static const char header[] = "--\n-- PostgreSQL database dump\n--\n\n"
				     "SET standard_conforming_strings = on;\n\n";
	const size_t piece = 256 * 1024 + 3; /* tokens cut at piece ends */
	char *buf = malloc(piece);
	size_t plen = strlen(ll->pat), done = 0, phase = 0;
	struct sqlscan s;
	struct sqlscan_item it;
	int fed_header = 0, fed_prefix = 0;
	assert_non_null(buf);
	sqlscan_init(&s);
	s.want_comments = 1;
	s.keep = keep ? 64 * 1024 : 0;
	*peak = 0;
	for (;;) {
		enum sqlscan_result r = sqlscan_next(&s, &it);
		if (s.buf.alloc > *peak)
			*peak = s.buf.alloc;
		if (r == SQLSCAN_END)
			break;
		if (r != SQLSCAN_MORE)
			continue;
		if (!fed_header) {
			sqlscan_feed(&s, header, strlen(header));
			fed_header = 1;
		} else if (!fed_prefix) {
			sqlscan_feed(&s, ll->prefix, strlen(ll->prefix));
			fed_prefix = 1;
		} else if (done < total) {
			size_t n = total - done < piece ? total - done : piece;
			for (size_t i = 0; i < n; i++)
				buf[i] = ll->pat[(phase + i) % plen];
			phase = (phase + n) % plen;
			sqlscan_feed(&s, buf, n);
			done += n;
		} else {
			sqlscan_eof(&s);
		}
	}
	*examined = s.examined;
	*moved = s.moved;
	sqlscan_release(&s);
	free(buf);
}

/* Issue 16.8: a line of any shape costs time in proportion to its length.
 * Counted, not timed: every byte is looked at a bounded number of times
 * (a token cut by the end of a piece is not scanned again from its start)
 * and the buffer moves at most as many bytes as were fed. */
static void long_lines_are_scanned_in_linear_time(void **state)
{
	const size_t total = 8u << 20;
	int bad = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(long_lines) / sizeof(long_lines[0]); i++) {
		unsigned long long examined, moved;
		size_t peak;
		scan_long_line(&long_lines[i], total, 0, &examined, &moved, &peak);
		/* 3x: after a `$abc...` that is no dollar quote psql scans the
		 * rest again as an identifier, and so do we */
		if (examined > 3 * (unsigned long long)total || moved > 2 * (unsigned long long)total) {
			print_error("%s: %zu bytes fed, %llu examined, %llu moved\n",
				    long_lines[i].name, total, examined, moved);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* A comment or meta-command line longer than SQLSCAN_LINE_MAX is handed
 * out cut (it->truncated) and the rest of its line skipped: the next
 * statement and the line numbers are those of the whole input. */
static void overlong_comment_and_meta_lines_are_cut(void **state)
{
	const size_t n = SQLSCAN_LINE_MAX + 5000;
	static const size_t pieces[] = { 4096, 65536, 1 << 20 };
	struct strbuf in = STRBUF_INIT;
	(void)state;
	strbuf_addstr(&in, "-- ");
	for (size_t i = 0; i < n; i++)
		strbuf_addch(&in, 'c');
	strbuf_addstr(&in, "\nSELECT 1,\n\\echo ");
	for (size_t i = 0; i < n; i++)
		strbuf_addch(&in, 'm');
	strbuf_addstr(&in, "\n2;\n");
	for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
		struct sqlscan s;
		struct sqlscan_item it;
		size_t off = 0;
		int seen = 0;
		sqlscan_init(&s);
		s.want_comments = 1;
		for (;;) {
			enum sqlscan_result r = sqlscan_next(&s, &it);
			if (r == SQLSCAN_MORE) {
				size_t m = in.len - off < pieces[k] ? in.len - off : pieces[k];
				if (!m)
					sqlscan_eof(&s);
				sqlscan_feed(&s, in.buf + off, m);
				off += m;
				continue;
			}
			if (r == SQLSCAN_END)
				break;
			if (r == SQLSCAN_COMMENT) {
				assert_int_equal(it.line, 1);
				assert_true(it.truncated);
				assert_int_equal(it.len, SQLSCAN_LINE_MAX);
				seen |= 1;
			} else if (r == SQLSCAN_META) {
				assert_int_equal(it.line, 3);
				assert_true(it.truncated);
				assert_int_equal(strncmp(it.text, "echo mmm", 8), 0);
				assert_true(it.len <= SQLSCAN_LINE_MAX);
				seen |= 2;
			} else {
				assert_int_equal(r, SQLSCAN_STMT);
				assert_int_equal(it.line, 2);
				assert_int_equal(it.end_line, 4);
				assert_string_equal(it.text, "SELECT 1,\n2;");
				/* the meta-command line is cut out of the text, not the span */
				assert_int_equal(it.full_len, strlen("SELECT 1,\n\\echo \n2;") + n);
				seen |= 4;
			}
		}
		assert_int_equal(seen, 7);
		assert_int_equal(sqlscan_line(&s), 5);
		sqlscan_release(&s);
	}
	strbuf_release(&in);
}

/* Issue 16.8: with `keep` (the dump check), memory stays bounded whatever
 * the line: only a dollar-quote tag must be kept whole to be matched. */
static void long_lines_need_bounded_memory_with_keep(void **state)
{
	const size_t total = 8u << 20;
	int bad = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(long_lines) / sizeof(long_lines[0]); i++) {
		unsigned long long examined, moved;
		size_t peak;
		if (!strcmp(long_lines[i].name, "dollar-quote tag"))
			continue;
		scan_long_line(&long_lines[i], total, 1, &examined, &moved, &peak);
		if (peak > 1024 * 1024 || examined > 3 * (unsigned long long)total ||
		    moved > 2 * (unsigned long long)total) {
			print_error("%s: %zu bytes fed, buffer grew to %zu bytes, %llu examined, "
				    "%llu moved\n", long_lines[i].name, total, peak, examined, moved);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(semicolon_ends_statements_and_whitespace_is_dropped),
		cmocka_unit_test(line_comments_before_a_statement_are_dropped),
		cmocka_unit_test(nested_block_comments_hide_semicolons),
		cmocka_unit_test(quoted_strings_hide_semicolons_and_double_quotes),
		cmocka_unit_test(backslash_is_literal_with_standard_conforming_strings),
		cmocka_unit_test(backslash_escapes_quote_when_standard_conforming_strings_off),
		cmocka_unit_test(e_strings_always_have_escapes),
		cmocka_unit_test(string_prefixes_only_at_token_start),
		cmocka_unit_test(unicode_identifiers_and_quoted_identifiers),
		cmocka_unit_test(dollar_quotes_hide_semicolons),
		cmocka_unit_test(dollar_in_identifier_and_parameters_are_not_quotes),
		cmocka_unit_test(dollar_tag_must_match_exactly),
		cmocka_unit_test(parentheses_hide_semicolons),
		cmocka_unit_test(begin_atomic_body_with_case),
		cmocka_unit_test(function_named_begin_does_not_swallow_the_dump),
		cmocka_unit_test(copy_from_stdin_is_flagged),
		cmocka_unit_test(meta_commands_run_to_end_of_line),
		cmocka_unit_test(backslash_semicolon_is_a_literal_semicolon),
		cmocka_unit_test(crlf_line_ends_are_whitespace),
		cmocka_unit_test(text_without_final_semicolon_is_sent_at_eof),
		cmocka_unit_test(sjis_trail_byte_backslash_is_not_an_escape),
		cmocka_unit_test(toc_comments_set_entry_and_section),
		cmocka_unit_test(pg_dump_header_and_trailer_are_seen),
		cmocka_unit_test(copy_data_is_left_to_the_caller),
		cmocka_unit_test(set_statements_update_offline_state),
		cmocka_unit_test(long_lines_are_scanned_in_linear_time),
		cmocka_unit_test(long_lines_need_bounded_memory_with_keep),
		cmocka_unit_test(overlong_comment_and_meta_lines_are_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
