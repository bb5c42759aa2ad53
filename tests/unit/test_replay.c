/* Unit tests for replay_sort_mem_kb: the sort memory of index builds is the
 * least that sorts in one merge pass, never more than the session's
 * maintenance_work_mem, never less than the server's minimum. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "replay.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bench_tables),
		cmocka_unit_test(never_above_the_setting_nor_below_the_minimum),
		cmocka_unit_test(at_most_500_runs),
		cmocka_unit_test(one_merge_pass),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
