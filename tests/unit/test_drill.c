/*
 * Unit tests for drill scenarios (src/flows/drill.c): every shipped
 * scenario in share/drills loads; a syntax error, an unknown key, an
 * unknown built-in and a missing goal are reported with the file and the
 * line libconfig gives; no text a trainee reads keeps a placeholder
 * (@BACKUPS@ ...), in English and in German.
 */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <locale.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drill.h"
#include "err.h"
#include "i18n.h"
#include "strbuf.h"
#include "unit_german.h"

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

/* Fail when @text (of scenario @file, its @what) has a word like @BACKUPS@. */
static void no_placeholder(const char *file, const char *what, const char *text)
{
	regex_t re;
	assert_int_equal(regcomp(&re, "@[A-Z_]+@", REG_EXTENDED | REG_NOSUB), 0);
	if (text && regexec(&re, text, 0, NULL, 0) == 0) {
		regfree(&re);
		fail_msg("%s: its %s keeps a placeholder: %s", file, what, text);
	}
	regfree(&re);
}

/* Every text of every shipped scenario as the drill shows it (loaded,
 * then expanded for a sandbox): no placeholder left.  The title is also
 * shown in lists before a sandbox exists (drill --list, the wizard's
 * menu): it must have none as written. */
static void shown_texts_without_placeholders(void)
{
	const char *top = getenv("top_srcdir");
	char *dir = xstrfmt("%s/share/drills", top ? top : "..");
	char **files;
	size_t n;
	struct err e = ERR_INIT;
	struct drill_sandbox sb;
	drill_sandbox_init(&sb, "/srv/drill-sandbox");
	assert_int_equal(drill_scenario_list(dir, &files, &n, &e), 0);
	assert_true(n >= 6);
	for (size_t i = 0; i < n; i++) {
		struct drill_scenario s;
		const char *f = files[i];
		if (drill_scenario_load(f, &s, &e) < 0)
			fail_msg("%s:%ld: %s", f, e.line, e.msg);
		no_placeholder(f, "title", s.title);
		drill_scenario_expand(&s, &sb);
		no_placeholder(f, "title", s.title);
		no_placeholder(f, "story", s.story);
		no_placeholder(f, "goal", s.goal);
		no_placeholder(f, "explain", s.explain);
		no_placeholder(f, "manual", s.manual);
		for (size_t k = 0; k < s.n_hints; k++)
			no_placeholder(f, "hint", s.hints[k]);
		for (size_t k = 0; k < s.n_checks; k++)
			no_placeholder(f, "check's why", s.checks[k].why);
		for (size_t k = 0; k < s.n_choices; k++) {
			no_placeholder(f, "choice's label", s.choices[k].label);
			no_placeholder(f, "choice's mistake", s.choices[k].mistake);
		}
		drill_scenario_free(&s);
		free(files[i]);
	}
	free(files);
	free(dir);
	drill_sandbox_release(&sb);
}

/* Scenario 2's third hint names the backup set's real directory. */
static void a_hint_names_the_sandbox_path(const char *want)
{
	const char *top = getenv("top_srcdir");
	char *path = xstrfmt("%s/share/drills/02-cut-dump.conf", top ? top : "..");
	struct drill_scenario s;
	struct err e = ERR_INIT;
	struct drill_sandbox sb;
	drill_sandbox_init(&sb, "/srv/drill-sandbox");
	assert_int_equal(drill_scenario_load(path, &s, &e), 0);
	drill_scenario_expand(&s, &sb);
	assert_true(s.n_hints >= 3);
	if (!strstr(s.hints[2], want))
		fail_msg("hint 3 lacks \"%s\": %s", want, s.hints[2]);
	if (!strstr(s.hints[2], "/srv/drill-sandbox/backups/db/biso_"))
		fail_msg("hint 3 does not name the sandbox's backups: %s", s.hints[2]);
	drill_scenario_free(&s);
	drill_sandbox_release(&sb);
	free(path);
}

static void texts_in_english_have_no_placeholders(void **state)
{
	(void)state;
	shown_texts_without_placeholders();
	a_hint_names_the_sandbox_path("Give the older dump with --dump ");
}

/* The same with LANG=de_CH.UTF-8 and the catalogue `make` compiled into
 * the build tree's locale/: the translation keeps the placeholder, the
 * expansion happens after it. */
static void texts_in_german_have_no_placeholders(void **state)
{
	(void)state;
	if (unit_german() < 0)
		skip(); /* no catalogue built, or no de_CH locale (tools/deps.sh makes it) */
	shown_texts_without_placeholders();
	a_hint_names_the_sandbox_path("Den älteren Dump mit --dump ");
	setenv("LANG", "C", 1);
	i18n_init();
	setlocale(LC_ALL, "C");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(errors_name_the_file_and_line),
		cmocka_unit_test(a_good_scenario_loads_whole),
		cmocka_unit_test(the_shipped_scenarios_load),
		cmocka_unit_test(texts_in_english_have_no_placeholders),
		cmocka_unit_test(texts_in_german_have_no_placeholders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
