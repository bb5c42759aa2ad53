/* Unit tests for dumpinfo: versions, \restrict, TOC counts, COPY row
 * counts and the trailer, read without a server. */
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

#include "dumpinfo.h"
#include "err.h"

static const char dump[] =
	"--\n-- PostgreSQL database dump\n--\n\n"
	"\\restrict KEY123\n\n"
	"-- Dumped from database version 15.18\n"
	"-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)\n\n"
	"SET standard_conforming_strings = on;\n"
	"--\n-- Name: person; Type: TABLE; Schema: public; Owner: biso\n--\n\n"
	"CREATE TABLE public.person (id int, t text);\n\n"
	"--\n-- Name: \"Odd\"; Type: TABLE; Schema: public; Owner: biso\n--\n\n"
	"CREATE TABLE public.\"Odd Name\" (a int);\n\n"
	"--\n-- Data for Name: person; Type: TABLE DATA; Schema: public; Owner: biso\n--\n\n"
	"COPY public.person (id, t) FROM stdin;\n1\ta;b\n2\t\\N\n3\tCOPY x FROM stdin;\n\\.\n\n"
	"--\n-- Data for Name: Odd; Type: TABLE DATA; Schema: public; Owner: biso\n--\n\n"
	"COPY public.\"Odd Name\" (a) FROM stdin;\n\\.\n\n"
	"--\n-- PostgreSQL database dump complete\n--\n\n"
	"\\unrestrict KEY123\n";

static char path[64];

static void write_dump(const char *text, size_t n)
{
	FILE *f;
	strcpy(path, "/tmp/test_dumpinfo.XXXXXX");
	close(mkstemp(path));
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(text, 1, n, f);
	fclose(f);
}

static void dump_contents_are_listed(void **state)
{
	struct dumpinfo di;
	struct err e = ERR_INIT;
	(void)state;
	write_dump(dump, sizeof(dump) - 1);
	assert_int_equal(dumpinfo_scan(path, &di, NULL, &e), 0);
	assert_int_equal(di.cut, 0);
	assert_int_equal(di.cut_table, -1);
	assert_string_equal(di.server_version, "15.18");
	assert_string_equal(di.pg_dump_version, "15.18 (Debian 15.18-0+deb12u1)");
	assert_string_equal(di.restrict_key, "KEY123");
	assert_int_equal(di.complete, 1);
	assert_int_equal(di.n_tables, 2);
	assert_string_equal(di.tables[0].name, "public.person");
	assert_int_equal(di.tables[0].rows, 3);
	assert_int_equal(di.tables[0].line, 27);
	assert_int_equal(di.tables[0].bytes, strlen("1\ta;b\n2\t\\N\n3\tCOPY x FROM stdin;\n"));
	assert_string_equal(di.tables[1].name, "public.\"Odd Name\"");
	assert_int_equal(di.tables[1].rows, 0);
	assert_int_equal(dumpinfo_rows(&di, "public.person"), 3);
	assert_int_equal(dumpinfo_rows(&di, "public.none"), -1);
	assert_int_equal(di.n_types, 2);
	assert_string_equal(di.types[0].type, "TABLE");
	assert_int_equal(di.types[0].count, 2);
	assert_string_equal(di.types[1].type, "TABLE DATA");
	assert_int_equal(di.types[1].count, 2);
	dumpinfo_release(&di);
	unlink(path);
}

/* pg_dump's CLUSTER ON marks the table (its COPY is then never split). */
static void cluster_on_marks_the_table(void **state)
{
	static const char d[] =
		"COPY public.a (id) FROM stdin;\n1\n\\.\n"
		"COPY public.\"B c\" (id) FROM stdin;\n1\n\\.\n"
		"--\n-- Name: a a_pkey; Type: CONSTRAINT; Schema: public; Owner: x\n--\n\n"
		"ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_pkey PRIMARY KEY (id);\n"
		"--\n-- Name: b_idx; Type: INDEX; Schema: public; Owner: x\n--\n\n"
		"CREATE INDEX b_idx ON public.\"B c\" USING btree (id);\n"
		"--\n-- Name: \"B c\" b_idx; Type: INDEX ATTACH; Schema: public; Owner: x\n--\n\n"
		"ALTER TABLE public.\"B c\" CLUSTER ON b_idx;\n";
	struct dumpinfo di;
	struct err e = ERR_INIT;
	(void)state;
	write_dump(d, sizeof(d) - 1);
	assert_int_equal(dumpinfo_scan(path, &di, NULL, &e), 0);
	assert_int_equal(di.n_tables, 2);
	assert_int_equal(di.tables[0].clustered, 0);
	assert_string_equal(di.tables[1].name, "public.\"B c\"");
	assert_int_equal(di.tables[1].clustered, 1);
	dumpinfo_release(&di);
	unlink(path);
}

static void truncated_dump_is_incomplete_and_cut_copy_is_an_error(void **state)
{
	struct dumpinfo di;
	struct err e = ERR_INIT;
	const char *cut = strstr(dump, "2\t\\N");
	(void)state;
	write_dump(dump, (size_t)(cut - dump));
	assert_int_equal(dumpinfo_scan(path, &di, NULL, &e), -1);
	assert_int_equal(e.line, 27);
	assert_non_null(strstr(e.msg, "not terminated"));
	assert_int_equal(di.complete, 0);
	assert_int_equal(di.tables[0].rows, 1);
	/* db-inspect reports what was read up to the cut, and where */
	assert_int_equal(di.cut, 1);
	assert_int_equal(di.cut_table, 0);
	assert_int_equal(di.cut_line, 28); /* the last line read */
	assert_int_equal(di.bytes_sql, (uint64_t)(cut - dump));
	dumpinfo_release(&di);
	err_clear(&e);
	unlink(path);
}

/* Issue 9.7: INSERT-style dumps (--inserts, --column-inserts,
 * --rows-per-insert) are counted per table like COPY rows; hand-written
 * INSERT ... SELECT is not (its rows are unknown). */
static void insert_rows_are_counted(void **state)
{
	static const char ins[] =
		"INSERT INTO public.person VALUES (1, 'a;b(', now());\n"
		"INSERT INTO public.person (id, t) VALUES (2, ')'), (3, NULL), (4, 'x');\n"
		"INSERT INTO public.\"Odd (Name\" (\"a)\") OVERRIDING SYSTEM VALUE VALUES (1);\n"
		"INSERT INTO public.nocols DEFAULT VALUES;\n"
		"INSERT INTO public.person VALUES (5, 'y') ON CONFLICT DO NOTHING;\n"
		"INSERT INTO public.other SELECT * FROM public.person;\n";
	struct dumpinfo di;
	struct err e = ERR_INIT;
	(void)state;
	write_dump(ins, sizeof(ins) - 1);
	assert_int_equal(dumpinfo_scan(path, &di, NULL, &e), 0);
	assert_int_equal(di.n_tables, 3);
	assert_string_equal(di.tables[0].name, "public.person");
	assert_int_equal(di.tables[0].rows, 5);
	assert_int_equal(di.tables[0].line, 1);
	assert_string_equal(di.tables[1].name, "public.\"Odd (Name\"");
	assert_int_equal(di.tables[1].rows, 1);
	assert_string_equal(di.tables[2].name, "public.nocols");
	assert_int_equal(di.tables[2].rows, 1);
	assert_int_equal(dumpinfo_rows(&di, "public.other"), -1);
	dumpinfo_release(&di);
	unlink(path);
}

/* The cut flag is what the wizard's pick dialog marks CUT OFF by (not the
 * message's words): dumpinfo_check() sets it for a plain dump without its
 * trailer (cut between statements) and for a gzip dump cut inside its
 * member; a complete dump is not cut. */
static void check_flags_cut_plain_and_gzip_dumps(void **state)
{
	struct dumpinfo di;
	struct err e = ERR_INIT;
	const char *end = strstr(dump, "--\n-- Data for Name: Odd");
	gzFile gz;
	(void)state;

	/* plain, cut after a complete COPY block: only the trailer is missing */
	write_dump(dump, (size_t)(end - dump));
	assert_int_equal(dumpinfo_check(path, &di, 0, "hint", NULL, &e), -1);
	assert_int_equal(di.cut, 1);
	dumpinfo_release(&di);
	err_clear(&e);

	/* gzip, cut in the middle of the member */
	gz = gzopen(path, "wb");
	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, dump, sizeof(dump) - 1), (int)(sizeof(dump) - 1));
	assert_int_equal(gzclose(gz), Z_OK);
	assert_int_equal(truncate(path, 200), 0);
	assert_int_equal(dumpinfo_check(path, &di, 0, "hint", NULL, &e), -1);
	assert_int_equal(di.gzip, 1);
	assert_int_equal(di.cut, 1);
	dumpinfo_release(&di);
	err_clear(&e);

	/* complete: not cut */
	write_dump(dump, sizeof(dump) - 1);
	assert_int_equal(dumpinfo_check(path, &di, 0, "hint", NULL, &e), 0);
	assert_int_equal(di.cut, 0);
	dumpinfo_release(&di);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(insert_rows_are_counted),
		cmocka_unit_test(dump_contents_are_listed),
		cmocka_unit_test(cluster_on_marks_the_table),
		cmocka_unit_test(truncated_dump_is_incomplete_and_cut_copy_is_an_error),
		cmocka_unit_test(check_flags_cut_plain_and_gzip_dumps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
