/*
 * Unit tests for drill scenarios (src/flows/drill.c): every shipped
 * scenario in share/drills loads; a syntax error, an unknown key, an
 * unknown built-in and a missing goal are reported with the file and the
 * line libconfig gives.
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
#include <unistd.h>

#include "drill.h"
#include "err.h"
#include "strbuf.h"

static char *write_tmp(const char *text)
{
	char *path = xstrdup("/tmp/br-drill-XXXXXX.conf");
	int fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Load @text; expect an error at @line whose message contains @msg. */
static void refused_at(const char *text, long line, const char *msg)
{
	struct drill_scenario s;
	struct err e = ERR_INIT;
	char *path = write_tmp(text);
	assert_int_equal(drill_scenario_load(path, &s, &e), -1);
	if (!strstr(e.msg, msg))
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, msg);
	assert_string_equal(e.file, path);
	assert_int_equal(e.line, line);
	err_clear(&e);
	unlink(path);
	free(path);
}

#define HEAD "title = \"T\";\nstory = \"S\";\ngoal = \"G\";\n"

static void errors_name_the_file_and_line(void **state)
{
	(void)state;
	/* libconfig's own message, at its line */
	refused_at(HEAD "hints = [ \"x\" ];\nchecks = ( { action = = \"maintenance-off\"; } );\n", 5,
		   "syntax error");
	refused_at(HEAD "hint = [ \"x\" ];\nchecks = ( { action = \"maintenance-off\"; } );\n", 4,
		   "unknown key \"hint\"");
	refused_at(HEAD "checks = (\n  { action = \"maintenance-off\"; },\n  { action = \"x\"; command = \"y\"; }\n);\n",
		   6, "unknown key \"command\"");
	refused_at(HEAD "setup = (\n  { action = \"wipe-production\"; }\n);\nchecks = ( { action = \"maintenance-off\"; } );\n",
		   5, "unknown built-in action \"wipe-production\"");
	refused_at("title = \"T\";\nstory = \"S\";\nchecks = ( { action = \"maintenance-off\"; } );\n", 0,
		   "\"goal\" is missing");
	refused_at(HEAD "checks = ( { why = \"w\"; } );\n", 4, "needs either action or run");
}

static void a_good_scenario_loads_whole(void **state)
{
	struct drill_scenario s;
	struct err e = ERR_INIT;
	char *path = write_tmp(HEAD "setup = ( { run = [ \"psql\", \"-c\", \"SELECT 1\" ]; } );\n"
			       "checks = ( { action = \"datadir-owner\"; why = \"w\"; } );\n"
			       "hints = [ \"a\", \"b\" ];\n"
			       "choices = ( { label = \"L\"; mistake = \"M\"; do = ( { action = \"take-dump\"; } ); } );\n");
	(void)state;
	assert_int_equal(drill_scenario_load(path, &s, &e), 0);
	assert_string_equal(s.goal, "G");
	assert_int_equal(s.n_setup, 1);
	assert_string_equal(s.setup[0].argv[2], "SELECT 1");
	assert_null(s.setup[0].argv[3]);
	assert_int_equal(s.n_checks, 1);
	assert_string_equal(s.checks[0].why, "w");
	assert_int_equal(s.n_hints, 2);
	assert_int_equal(s.n_choices, 1);
	assert_string_equal(s.choices[0].mistake, "M");
	assert_string_equal(s.choices[0].run[0].action, "take-dump");
	drill_scenario_free(&s);
	unlink(path);
	free(path);
}

static void the_shipped_scenarios_load(void **state)
{
	const char *top = getenv("top_srcdir");
	char *dir = xstrfmt("%s/share/drills", top ? top : "..");
	char **files;
	size_t n;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(drill_scenario_list(dir, &files, &n, &e), 0);
	assert_true(n >= 6);
	for (size_t i = 0; i < n; i++) {
		struct drill_scenario s;
		if (drill_scenario_load(files[i], &s, &e) < 0)
			fail_msg("%s:%ld: %s", files[i], e.line, e.msg);
		assert_true(s.n_checks > 0 && s.n_hints > 0 && s.explain && s.manual);
		drill_scenario_free(&s);
		free(files[i]);
	}
	free(files);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(errors_name_the_file_and_line),
		cmocka_unit_test(a_good_scenario_loads_whole),
		cmocka_unit_test(the_shipped_scenarios_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
