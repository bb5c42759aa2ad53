/* Unit tests for dumpaccess_refusal(): the backup's refusal when its role
 * cannot read what pg_dump dumps (what the server is asked is proved by
 * tests/integration/backup-privileges.sh against a real cluster). */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "dumpaccess.h"
#include "err.h"
#include "strbuf.h"
#include "unit_german.h"

static void add(struct dumpaccess *a, enum dumpaccess_why why, char kind, const char *name,
		const char *fix)
{
	a->items = xrealloc(a->items, (a->n + 1) * sizeof *a->items);
	a->items[a->n].why = why;
	a->items[a->n].kind = kind;
	a->items[a->n].name = xstrdup(name);
	a->items[a->n].fix = xstrdup(fix);
	a->n++;
}

static void init(struct dumpaccess *a, int server_version, size_t total)
{
	memset(a, 0, sizeof *a);
	a->role = xstrdup("biso");
	a->role_q = xstrdup("\"biso\"");
	a->dbname = xstrdup("gaia");
	a->server_version = server_version;
	a->total = total;
}

static void nothing_missing_is_no_refusal(void **state)
{
	struct dumpaccess a;
	struct err e = ERR_INIT;
	(void)state;
	init(&a, 150000, 0);
	assert_int_equal(dumpaccess_refusal(&a, "--dbname or database.conninfo", &e), 0);
	assert_false(err_isset(&e));
	dumpaccess_release(&a);
}

/* One table: named with the role and database; the hint's GRANT, then
 * pg_read_all_data (PostgreSQL 14), then the setting of the role. */
static void one_table_is_named_with_its_grant(void **state)
{
	struct dumpaccess a;
	struct err e = ERR_INIT;
	(void)state;
	init(&a, 150018, 1);
	add(&a, DUMPACCESS_NO_SELECT, 'r', "public.secret",
	    "GRANT SELECT ON \"public\".\"secret\" TO \"biso\";");
	assert_int_equal(dumpaccess_refusal(&a, "--dbname or database.conninfo", &e), -1);
	assert_string_equal(e.msg, "role biso cannot read what pg_dump dumps from database gaia: "
			    "table public.secret (no SELECT)");
	assert_string_equal(e.hint, "As a superuser: GRANT SELECT ON \"public\".\"secret\" TO "
			    "\"biso\"; Or, for every table, sequence and schema at once (PostgreSQL "
			    "14 and later): GRANT pg_read_all_data TO \"biso\"; Or back up as a role "
			    "that reads them all (their owner or a superuser), set in --dbname or "
			    "database.conninfo.");
	err_clear(&e);
	dumpaccess_release(&a);
}

/* More than DUMPACCESS_SHOWN: the first five and how many in all; one
 * statement for each kind of fix; no pg_read_all_data before 14 nor for
 * row level security and large objects alone. */
static void many_are_cut_with_the_total(void **state)
{
	struct dumpaccess a;
	struct err e = ERR_INIT;
	(void)state;
	init(&a, 130000, 9);
	add(&a, DUMPACCESS_NO_USAGE, 'n', "vault", "GRANT USAGE ON SCHEMA \"vault\" TO \"biso\";");
	add(&a, DUMPACCESS_NO_SELECT, 'r', "public.a", "GRANT SELECT ON \"public\".\"a\" TO \"biso\";");
	add(&a, DUMPACCESS_NO_SELECT, 'S', "public.a_id_seq",
	    "GRANT SELECT ON SEQUENCE \"public\".\"a_id_seq\" TO \"biso\";");
	add(&a, DUMPACCESS_RLS, 'r', "public.\"Odd\"", "ALTER ROLE \"biso\" BYPASSRLS;");
	add(&a, DUMPACCESS_NO_LO_SELECT, 'L', "16400",
	    "GRANT SELECT ON LARGE OBJECT 16400 TO \"biso\";");
	add(&a, DUMPACCESS_NO_LO_SELECT, 'L', "16401",
	    "GRANT SELECT ON LARGE OBJECT 16401 TO \"biso\";");
	assert_int_equal(dumpaccess_refusal(&a, NULL, &e), -1);
	assert_string_equal(e.msg, "role biso cannot read what pg_dump dumps from database gaia: "
			    "schema vault (no USAGE), table public.a (no SELECT), sequence "
			    "public.a_id_seq (no SELECT), table public.\"Odd\" (row level security), "
			    "large object 16400 (no SELECT); 9 in all");
	assert_string_equal(e.hint, "As a superuser, for each one (the first of each kind here): "
			    "GRANT USAGE ON SCHEMA \"vault\" TO \"biso\"; GRANT SELECT ON \"public\".\"a\" "
			    "TO \"biso\"; ALTER ROLE \"biso\" BYPASSRLS; GRANT SELECT ON LARGE OBJECT "
			    "16400 TO \"biso\"; Or back up as a role that reads them all (their owner "
			    "or a superuser).");
	err_clear(&e);
	dumpaccess_release(&a);

	init(&a, 160000, 1);
	add(&a, DUMPACCESS_RLS, 'r', "public.t", "ALTER ROLE \"biso\" BYPASSRLS;");
	assert_int_equal(dumpaccess_refusal(&a, NULL, &e), -1);
	assert_null(strstr(e.hint, "pg_read_all_data"));
	err_clear(&e);
	dumpaccess_release(&a);
}

/* The screen's text is German, the English kept for the log. */
static void refusal_is_translated(void **state)
{
	struct dumpaccess a;
	struct err e = ERR_INIT;
	(void)state;
	if (unit_german() < 0)
		skip(); /* no catalogue built, or no de_CH locale (tools/deps.sh makes it) */
	init(&a, 150018, 1);
	add(&a, DUMPACCESS_NO_SELECT, 'r', "public.secret",
	    "GRANT SELECT ON \"public\".\"secret\" TO \"biso\";");
	assert_int_equal(dumpaccess_refusal(&a, "--dbname or database.conninfo", &e), -1);
	assert_string_equal(e.msg, "role biso cannot read what pg_dump dumps from database gaia: "
			    "table public.secret (no SELECT)");
	assert_non_null(e.lmsg);
	if (!strstr(e.lmsg, "Rolle biso nicht alles aus Datenbank gaia") || !strstr(e.lmsg, "Tabelle public.secret"))
		fail_msg("the screen's message is not German: %s", e.lmsg);
	assert_non_null(e.lhint);
	if (!strstr(e.lhint, "GRANT SELECT ON \"public\".\"secret\" TO \"biso\";") ||
	    !strstr(e.lhint, "Superuser"))
		fail_msg("the screen's hint is not German: %s", e.lhint);
	err_clear(&e);
	dumpaccess_release(&a);
	unit_english();
	setlocale(LC_ALL, "C");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nothing_missing_is_no_refusal),
		cmocka_unit_test(one_table_is_named_with_its_grant),
		cmocka_unit_test(many_are_cut_with_the_total),
		cmocka_unit_test(refusal_is_translated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
