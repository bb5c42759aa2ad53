/* Unit tests for strbuf and err. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "err.h"

static void strbuf_grows_and_keeps_nul_bytes(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	assert_string_equal(sb.buf, "");
	for (int i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%d,", i);
	assert_int_equal(sb.len, strlen(sb.buf));
	assert_memory_equal(sb.buf + sb.len - 4, "999,", 4);
	strbuf_reset(&sb);
	strbuf_add(&sb, "a\0b", 3);
	assert_int_equal(sb.len, 3);
	assert_int_equal(sb.buf[1], '\0');
	assert_int_equal(sb.buf[3], '\0');
	strbuf_release(&sb);
	assert_ptr_equal(sb.buf, strbuf_empty);
}

static void strbuf_detach_hands_over_ownership(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len;
	char *s;
	(void)state;
	s = strbuf_detach(&sb, &len);
	assert_non_null(s);
	assert_int_equal(len, 0);
	free(s);
	strbuf_addstr(&sb, "hello  \r\n");
	strbuf_rtrim(&sb);
	s = strbuf_detach(&sb, &len);
	assert_string_equal(s, "hello");
	assert_int_equal(len, 5);
	assert_int_equal(sb.len, 0);
	free(s);
}

static void strbuf_humanises_ages(void **state)
{
	static const struct {
		long long s;
		const char *want;
	} t[] = { { -5, "less than a minute" }, { 59, "less than a minute" },
		  { 60, "1 minute" }, { 3599, "59 minutes" }, { 3600, "1 hour" },
		  { 3600 + 120, "1 hour 2 minutes" }, { 86400 + 3 * 3600 + 59, "1 day 3 hours" },
		  { 2 * 86400 + 59, "2 days" } };
	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_humanise_age(&sb, t[i].s);
		assert_string_equal(sb.buf, t[i].want);
		strbuf_release(&sb);
	}
}

static void strbuf_humanises_bytes(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	strbuf_humanise_bytes(&sb, 512);
	strbuf_addch(&sb, '|');
	strbuf_humanise_bytes(&sb, 1536);
	strbuf_addch(&sb, '|');
	strbuf_humanise_bytes(&sb, 3ULL << 30);
	assert_string_equal(sb.buf, "512 B|1.5 KiB|3.0 GiB");
	strbuf_release(&sb);
}

static void strbuf_counts_in_singular_and_plural(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	strbuf_addcount(&sb, 0, "symlink", "symlinks");
	strbuf_addch(&sb, '|');
	strbuf_addcount(&sb, 1, "symlink", "symlinks");
	strbuf_addch(&sb, '|');
	strbuf_addcount(&sb, 2, "directory", "directories");
	assert_string_equal(sb.buf, "0 symlinks|1 symlink|2 directories");
	strbuf_release(&sb);
}

static void err_formats_where_detail_and_hint(void **state)
{
	struct err e = ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	assert_false(err_isset(&e));
	assert_int_equal(err_set(&e, "unterminated string"), -1);
	err_where(&e, "config.php", 12, -1);
	err_hint(&e, "close the quote");
	err_prefix(&e, "reading %s", "config.php");
	err_format(&e, &sb);
	assert_string_equal(sb.buf, "config.php:12: reading config.php: unterminated string\n"
				    "HINT: close the quote");
	err_clear(&e);
	assert_false(err_isset(&e));
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strbuf_grows_and_keeps_nul_bytes),
		cmocka_unit_test(strbuf_detach_hands_over_ownership),
		cmocka_unit_test(strbuf_humanises_bytes),
		cmocka_unit_test(strbuf_humanises_ages),
		cmocka_unit_test(strbuf_counts_in_singular_and_plural),
		cmocka_unit_test(err_formats_where_detail_and_hint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
