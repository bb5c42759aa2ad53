/* Unit tests for retention: a nightly backup over 400 simulated days
 * (Europe/Zurich, DST switches included), pruned every night, keeps
 * exactly the policy's set, the same as one prune over the whole history
 * would; only complete backups count; the newest complete one is never
 * deleted. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "retention.h"
#include "strbuf.h"

/* Local time of y-m-d hh:mm (normalised by mktime, like a clock that
 * jumps at the DST switch). */
static time_t at(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { 0 };
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static void day_of(time_t t, char buf[16])
{
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, 16, "%Y-%m-%d", &tm);
}

/* The kept backups as "date=reason" lines, newest first (the list is kept
 * in time order, oldest first). */
static void describe(const struct retention_backup *b, const struct retention_decision *d,
		     size_t n, struct strbuf *out)
{
	char day[16];
	strbuf_reset(out);
	for (size_t i = n; i-- > 0;) {
		if (d[i].verdict != RETENTION_KEEP)
			continue;
		day_of(b[i].when, day);
		strbuf_addf(out, "%s=%s\n", day, d[i].reason);
	}
}

static void nightly_for_400_days(void **state)
{
	const struct retention_policy p = { 3, 7, 4, 6 };
	struct retention_backup all[400], kept[400];
	struct retention_decision d[400];
	struct strbuf got = STRBUF_INIT, once = STRBUF_INIT;
	size_t n = 0;
	(void)state;
	/* the simulated clock: one backup each night at 02:30, then a prune */
	for (int day = 0; day < 400; day++) {
		time_t t = at(2025, 1, 1 + day, 2, 30);
		all[day].when = t;
		all[day].complete = 1;
		kept[n++] = all[day];
		retention_decide(&p, kept, n, d);
		size_t w = 0;
		for (size_t i = 0; i < n; i++) {
			assert_int_not_equal(d[i].verdict, RETENTION_IGNORE);
			if (d[i].verdict == RETENTION_KEEP)
				kept[w++] = kept[i];
		}
		/* tonight's backup is the newest: always kept */
		assert_true(w >= 1 && kept[w - 1].when == t);
		retention_release(d, n);
		n = w;
	}
	retention_decide(&p, kept, n, d);
	describe(kept, d, n, &got);
	retention_release(d, n);
	assert_string_equal(got.buf,
			    "2026-02-04=last 1, daily 1, weekly 1, monthly 1\n"
			    "2026-02-03=last 2, daily 2\n"
			    "2026-02-02=last 3, daily 3\n"
			    "2026-02-01=daily 4, weekly 2\n"
			    "2026-01-31=daily 5, monthly 2\n"
			    "2026-01-30=daily 6\n"
			    "2026-01-29=daily 7\n"
			    "2026-01-25=weekly 3\n"
			    "2026-01-18=weekly 4\n"
			    "2025-12-31=monthly 3\n"
			    "2025-11-30=monthly 4\n"
			    "2025-10-31=monthly 5\n"
			    "2025-09-30=monthly 6\n");
	assert_int_equal(n, 13);

	/* one prune over all 400 nights keeps the same set */
	retention_decide(&p, all, 400, d);
	describe(all, d, 400, &once);
	retention_release(d, 400);
	assert_string_equal(once.buf, got.buf);
	strbuf_release(&got);
	strbuf_release(&once);
}

static void several_a_day_count_once_per_day(void **state)
{
	const struct retention_policy p = { 0, 2, 0, 0 };
	struct retention_backup b[] = {
		{ at(2026, 3, 1, 1, 0), 1 }, { at(2026, 3, 1, 23, 59), 1 },
		{ at(2026, 3, 2, 0, 0), 1 }, { at(2026, 3, 2, 12, 0), 1 },
	};
	struct retention_decision d[4];
	(void)state;
	retention_decide(&p, b, 4, d);
	assert_int_equal(d[0].verdict, RETENTION_DELETE);
	assert_string_equal(d[1].reason, "daily 2"); /* the newest of March 1 */
	assert_int_equal(d[2].verdict, RETENTION_DELETE);
	assert_string_equal(d[3].reason, "daily 1");
	retention_release(d, 4);
}

static void only_complete_backups_count(void **state)
{
	const struct retention_policy p = { 1, 0, 0, 0 };
	struct retention_backup b[] = {
		{ at(2026, 3, 1, 2, 0), 1 },
		{ at(2026, 3, 2, 2, 0), 1 },
		{ at(2026, 3, 3, 2, 0), 0 }, /* newest, but cut off */
	};
	struct retention_decision d[3];
	(void)state;
	retention_decide(&p, b, 3, d);
	assert_int_equal(d[0].verdict, RETENTION_DELETE);
	assert_int_equal(d[1].verdict, RETENTION_KEEP); /* not pushed out by the incomplete one */
	assert_string_equal(d[1].reason, "last 1");
	assert_int_equal(d[2].verdict, RETENTION_IGNORE);
	assert_string_equal(d[2].reason, "incomplete");
	retention_release(d, 3);
}

static void the_newest_complete_one_is_never_deleted(void **state)
{
	const struct retention_policy none = { 0, 0, 0, 0 };
	struct retention_backup b[] = {
		{ at(2026, 3, 2, 2, 0), 1 }, /* input order does not matter */
		{ at(2026, 3, 3, 2, 0), 0 },
		{ at(2026, 3, 1, 2, 0), 1 },
	};
	struct retention_decision d[3];
	(void)state;
	assert_true(retention_policy_empty(&none));
	retention_decide(&none, b, 3, d);
	assert_int_equal(d[0].verdict, RETENTION_KEEP);
	assert_string_equal(d[0].reason, "newest");
	assert_int_equal(d[1].verdict, RETENTION_IGNORE);
	assert_int_equal(d[2].verdict, RETENTION_DELETE);
	assert_string_equal(d[2].reason, "");
	retention_release(d, 3);
	retention_decide(&none, b, 0, d); /* nothing at all: fine */
	const struct retention_policy some = { 0, 0, 0, 1 };
	assert_false(retention_policy_empty(&some));
}

static int setup(void **state)
{
	(void)state;
	setenv("TZ", "Europe/Zurich", 1);
	tzset();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nightly_for_400_days),
		cmocka_unit_test(several_a_day_count_once_per_day),
		cmocka_unit_test(only_complete_backups_count),
		cmocka_unit_test(the_newest_complete_one_is_never_deleted),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
