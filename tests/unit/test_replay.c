/* Unit tests for replay_sort_mem_kb: the sort memory of index builds is the
 * least that sorts in one merge pass, never more than the session's
 * maintenance_work_mem, never less than the server's minimum; and for
 * replay_build_workers: the parallel workers PostgreSQL 15 plans for a
 * build, for which the replay keeps the session's memory. */
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

#include "dumpinfo.h"
#include "err.h"
#include "replay.h"
#include "report.h"
#include "sqlscan.h"
#include "strbuf.h"

#define MiB (1024ULL * 1024)

/* PostgreSQL 15 tuplesort_merge_order() for @kb of sort memory */
static uint64_t merge_order(uint64_t kb)
{
	uint64_t order = kb / 272;
	return order < 6 ? 6 : order > 500 ? 500 : order;
}

static void bench_tables(void **state)
{
	(void)state;
	/* the biso bench table (37 MiB heap) and pgbench_accounts (260 MiB) */
	assert_int_equal(replay_sort_mem_kb(37 * MiB, 65536), 5120);
	assert_int_equal(replay_sort_mem_kb(260 * MiB, 65536), 12288);
}

static void never_above_the_setting_nor_below_the_minimum(void **state)
{
	(void)state;
	assert_int_equal(replay_sort_mem_kb(100 * 1024 * MiB, 65536), 65536);
	assert_int_equal(replay_sort_mem_kb(0, 65536), 1024);
	assert_int_equal(replay_sort_mem_kb(8192, 65536), 1024);
	/* a setting at the minimum or below is left as it is */
	assert_int_equal(replay_sort_mem_kb(37 * MiB, 1024), 1024);
	assert_int_equal(replay_sort_mem_kb(37 * MiB, 4000), 4000);
	/* a heap too big to compute with keeps the setting */
	assert_int_equal(replay_sort_mem_kb(UINT64_MAX, 1 << 30), 1 << 30);
}

/* PostgreSQL 15's defaults: max_parallel_maintenance_workers 2,
 * min_parallel_table_scan_size 8 MB (1024 blocks), maintenance_work_mem
 * 64 MB: one worker for the bench tables, none for a small table. */
static void build_workers_as_the_server_plans(void **state)
{
	(void)state;
	/* pgbench_accounts (260 MiB) and a biso table (37 MiB) */
	assert_int_equal(replay_build_workers(260 * MiB / 8192, 65536, 2, 1024, -1), 1);
	assert_int_equal(replay_build_workers(37 * MiB / 8192, 65536, 2, 1024, -1), 1);
	/* the heap's size: none under the minimum, one more each tripling */
	assert_int_equal(replay_build_workers(1023, 1 << 30, 8, 1024, -1), 0);
	assert_int_equal(replay_build_workers(1024, 1 << 30, 8, 1024, -1), 1);
	assert_int_equal(replay_build_workers(3071, 1 << 30, 8, 1024, -1), 1);
	assert_int_equal(replay_build_workers(3072, 1 << 30, 8, 1024, -1), 2);
	assert_int_equal(replay_build_workers(9216, 1 << 30, 8, 1024, -1), 3);
	assert_int_equal(replay_build_workers(9216, 1 << 30, 2, 1024, -1), 2);
	/* 32 MB of the setting per participant, the leader included */
	assert_int_equal(replay_build_workers(260 * MiB / 8192, 65535, 2, 1024, -1), 0);
	assert_int_equal(replay_build_workers(260 * MiB / 8192, 98304, 2, 1024, -1), 2);
	assert_int_equal(replay_build_workers(260 * MiB / 8192, 98303, 2, 1024, -1), 1);
	/* workers off, or the table's parallel_workers storage parameter */
	assert_int_equal(replay_build_workers(260 * MiB / 8192, 65536, 0, 1024, -1), 0);
	assert_int_equal(replay_build_workers(260 * MiB / 8192, 65536, 2, 1024, 0), 0);
	assert_int_equal(replay_build_workers(10, 1 << 30, 2, 1024, 4), 2);
	/* ... which the server takes whatever the memory (a setting under
	 * 64 MB: workers all the same) */
	assert_int_equal(replay_build_workers(260 * MiB / 8192, 32768, 2, 1024, 4), 2);
	assert_int_equal(replay_build_workers(10, 1024, 8, 1024, 1), 1);
	assert_int_equal(replay_build_workers(260 * MiB / 8192, 32768, 0, 1024, 4), 0);
	/* a minimum of 0 blocks: even an empty table */
	assert_int_equal(replay_build_workers(0, 65536, 2, 0, -1), 1);
	/* a heap too big to count in blocks stays bounded */
	assert_int_equal(replay_build_workers(UINT64_MAX, 1L << 40, 64, 1024, -1), 14);
}

/* Past 500 runs (MAXORDER) the memory grows linearly with the heap. */
static void at_most_500_runs(void **state)
{
	long kb = replay_sort_mem_kb(100 * 1024 * MiB, 1048576);
	(void)state;
	assert_int_equal(kb, 419840); /* 100 GiB * 2 / 500, in whole MiB */
	assert_true(2 * 100 * 1024 * 1024 / (uint64_t)kb <= 500);
}

/* The property the function exists for, over heaps of 1 MiB to 64 GiB: the
 * runs of a sort of twice the heap fit in one merge, and half the memory
 * (less one MiB) would not always do. */
static void one_merge_pass(void **state)
{
	(void)state;
	for (uint64_t heap = MiB; heap <= 64 * 1024 * MiB; heap = heap * 3 / 2) {
		uint64_t sort_kb = heap / 1024 * 2;
		long kb = replay_sort_mem_kb(heap, 1L << 30);
		uint64_t runs = (sort_kb + (uint64_t)kb - 1) / (uint64_t)kb;
		assert_true(kb >= 1024);
		assert_true(kb % 1024 == 0);
		assert_true(runs <= merge_order((uint64_t)kb));
		if (kb > 2048) {
			uint64_t half = (uint64_t)kb / 2 - 1024;
			assert_true((sort_kb + half - 1) / half > merge_order(half));
		}
	}
}

/* Issue 9.8: the database step's bar weighs the post-data work by the data
 * of the tables it indexes.  A replay is simulated over a dump as replay.c
 * drives replay_progress_of(): statements in order, post-data ones counted
 * when done; the bar must only move forward, stay below 100 % until the
 * end, give the post-data phase the share of its estimate, and name the
 * phase. */
static void progress_weighs_post_data_by_table_sizes(void **state)
{
	struct strbuf d = STRBUF_INIT;
	struct dumpinfo di;
	struct err e = ERR_INIT;
	struct sqlscan sc;
	struct sqlscan_item it;
	struct progress p;
	char path[] = "/tmp/test_replay.XXXXXX";
	FILE *f;
	size_t off = 0;
	uint64_t sql_done = 0, post_done = 0, last = 0, at_post = 0, post_sql_at = 0;
	int saw_index = 0, saw_constraint = 0, saw_data = 0;
	(void)state;
	strbuf_addstr(&d, "--\n-- PostgreSQL database dump\n--\n\n"
		      "-- Name: a; Type: TABLE; Schema: public; Owner: x\n"
		      "CREATE TABLE public.a (id int, t text);\n"
		      "-- Name: b; Type: TABLE; Schema: public; Owner: x\n"
		      "CREATE TABLE public.b (id int, a int);\n"
		      "-- Data for Name: a; Type: TABLE DATA; Schema: public; Owner: x\n"
		      "COPY public.a (id, t) FROM stdin;\n");
	for (int i = 0; i < 5000; i++)
		strbuf_addf(&d, "%d\tsome text of row %d\n", i, i);
	strbuf_addstr(&d, "\\.\n-- Data for Name: b; Type: TABLE DATA; Schema: public; Owner: x\n"
		      "COPY public.b (id, a) FROM stdin;\n");
	for (int i = 0; i < 500; i++)
		strbuf_addf(&d, "%d\t%d\n", i, i);
	strbuf_addstr(&d, "\\.\n"
		      "-- Name: a_t; Type: INDEX; Schema: public; Owner: x\n"
		      "CREATE INDEX a_t ON public.a USING btree (t);\n"
		      "-- Name: a a_pkey; Type: CONSTRAINT; Schema: public; Owner: x\n"
		      "ALTER TABLE ONLY public.a ADD CONSTRAINT a_pkey PRIMARY KEY (id);\n"
		      "-- Name: b b_a; Type: FK CONSTRAINT; Schema: public; Owner: x\n"
		      "ALTER TABLE ONLY public.b ADD CONSTRAINT b_a FOREIGN KEY (a) REFERENCES public.a(id);\n"
		      "-- Name: v; Type: VIEW; Schema: public; Owner: x\n"
		      "GRANT ALL ON TABLE public.a TO PUBLIC;\n"
		      "--\n-- PostgreSQL database dump complete\n--\n");
	close(mkstemp(path));
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(d.buf, 1, d.len, f);
	fclose(f);
	assert_int_equal(dumpinfo_scan(path, &di, NULL, &e), 0);
	unlink(path);
	assert_int_equal(di.n_tables, 2);
	/* index and primary key read a, the foreign key b */
	assert_int_equal(di.post_weight, 2 * di.tables[0].bytes + di.tables[1].bytes);
	assert_true(di.post_weight > di.bytes_sql / 2);

	sqlscan_init(&sc);
	for (;;) {
		enum sqlscan_result r = sqlscan_next(&sc, &it);
		if (r == SQLSCAN_MORE) {
			const char *nl = memchr(d.buf + off, '\n', d.len - off);
			size_t n = nl ? (size_t)(nl + 1 - (d.buf + off)) : d.len - off;
			if (!n) {
				sqlscan_eof(&sc);
				continue;
			}
			sqlscan_feed(&sc, d.buf + off, n);
			off += n;
			sql_done = off;
		} else if (r == SQLSCAN_END) {
			break;
		} else if (r == SQLSCAN_STMT) {
			if (it.copy_in) { /* the COPY data, read as replay.c reads it */
				const char *end = strstr(d.buf + off, "\n\\.\n");
				assert_non_null(end);
				off = (size_t)(end + 4 - d.buf);
				sql_done = off;
			}
			if (sc.section == SQLSCAN_POST_DATA && !at_post) {
				replay_progress_of(&di, sql_done, post_done, (int)sc.section,
						   sc.toc_type.buf, 0, &p);
				at_post = p.done_bytes;
				post_sql_at = sql_done;
			}
			if (sc.section == SQLSCAN_POST_DATA)
				post_done += dumpinfo_stmt_weight(&di, sc.toc_type.buf, it.text);
		}
		replay_progress_of(&di, sql_done, post_done, (int)sc.section, sc.toc_type.buf, 0, &p);
		assert_true(p.done_bytes >= last);
		assert_true(p.done_bytes < p.total_bytes);
		last = p.done_bytes;
		saw_data |= !strcmp(p.phase, "replaying: data");
		saw_index |= !strcmp(p.phase, "replaying: indexes");
		saw_constraint |= !strcmp(p.phase, "replaying: constraints");
	}
	assert_true(saw_data && saw_index && saw_constraint);
	replay_progress_of(&di, sql_done, post_done, (int)sc.section, sc.toc_type.buf, 1, &p);
	assert_int_equal(p.done_bytes, p.total_bytes);
	assert_int_equal(p.total_bytes, di.bytes_sql + di.post_weight);
	/* what is left when the post-data section starts: its estimate plus
	 * its own few statements' text, not 1 % as with dump bytes alone */
	assert_true(p.total_bytes - at_post >= di.post_weight);
	assert_true(p.total_bytes - at_post <= di.post_weight + (di.bytes_sql - post_sql_at) + 200);
	sqlscan_release(&sc);
	dumpinfo_release(&di);
	strbuf_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(progress_weighs_post_data_by_table_sizes),
		cmocka_unit_test(bench_tables),
		cmocka_unit_test(build_workers_as_the_server_plans),
		cmocka_unit_test(never_above_the_setting_nor_below_the_minimum),
		cmocka_unit_test(at_most_500_runs),
		cmocka_unit_test(one_merge_pass),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
