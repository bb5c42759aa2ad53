/* Unit tests for report: the progress throttle, on a fake clock. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "report.h"

#define MS 1000000LL

static int64_t fake_now;

static int64_t fake_clock(void)
{
	return fake_now;
}

struct seen {
	int n;
	uint64_t last_done;
};

static void on_progress(void *ctx, const struct progress *p)
{
	struct seen *s = ctx;
	s->n++;
	s->last_done = p->done_items;
}

/* One progress call at fake time @at_ms with done_items @done; returns
 * whether it was passed on. */
static int call(struct report *r, struct seen *s, int64_t at_ms, uint64_t done, int force)
{
	struct progress p = { "copying", 0, 0, done, 10, NULL };
	int before = s->n;
	fake_now = at_ms * MS;
	report_progress(r, &p, force);
	return s->n > before;
}

static int setup(void **state)
{
	(void)state;
	report_set_clock(fake_clock);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	report_set_clock(NULL);
	return 0;
}

/* From a clock at @t0_ms: the first passes, the rest of its 100 ms is
 * dropped, 100 ms after the last one passed the next passes, and the final
 * (forced) one passes inside the interval. */
static void throttle_from(int64_t t0_ms)
{
	struct seen s = { 0, 0 };
	struct report r = { .progress = on_progress, .ctx = &s };
	assert_true(call(&r, &s, t0_ms, 1, 0));       /* the first */
	assert_false(call(&r, &s, t0_ms, 2, 0));      /* same instant */
	assert_false(call(&r, &s, t0_ms + 50, 3, 0));
	assert_false(call(&r, &s, t0_ms + 99, 4, 0));
	assert_true(call(&r, &s, t0_ms + 100, 5, 0)); /* the interval is over */
	assert_false(call(&r, &s, t0_ms + 150, 6, 0));
	assert_true(call(&r, &s, t0_ms + 160, 10, 1)); /* the final, forced */
	assert_int_equal(s.n, 3);
	assert_int_equal(s.last_done, 10); /* what the front end shows last */
	/* the interval counts from the forced one */
	assert_false(call(&r, &s, t0_ms + 201, 11, 0));
	assert_true(call(&r, &s, t0_ms + 260, 12, 0));
}

static void report_progress_is_throttled_to_one_per_100ms(void **state)
{
	(void)state;
	throttle_from(5000);
}

static void report_progress_throttle_works_from_a_clock_at_zero(void **state)
{
	(void)state;
	/* a fake clock starts at 0: the first update must not look like
	 * "none passed yet" to the next one */
	throttle_from(0);
}

static void report_progress_without_a_reporter_costs_nothing(void **state)
{
	struct progress p = { "copying", 0, 0, 1, 10, NULL };
	struct report none = { 0 };
	(void)state;
	fake_now = 7 * MS;
	report_progress(NULL, &p, 0);
	report_progress(NULL, &p, 1);
	report_progress(&none, &p, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(report_progress_is_throttled_to_one_per_100ms, setup, teardown),
		cmocka_unit_test_setup_teardown(report_progress_throttle_works_from_a_clock_at_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(report_progress_without_a_reporter_costs_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
