/* Unit tests for phpconf (config.php reader) and conninfo quoting. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conninfo.h"
#include "err.h"
#include "phpconf.h"
#include "strbuf.h"

static char tmpdir[PATH_MAX]; /* real path of a scratch directory */

static char *fixture(const char *name)
{
	const char *top = getenv("top_srcdir");
	return xstrfmt("%s/tests/data/php/%s", top && *top ? top : ".", name);
}

/* Write @src to <tmpdir>/config.php and load it. */
static int load_src(const char *src, const char *dir_override, struct phpconf *pc,
		    struct err *e)
{
	char *path = xstrfmt("%s/config.php", tmpdir);
	FILE *f = fopen(path, "w");
	int rc;
	assert_non_null(f);
	assert_int_equal(fwrite(src, 1, strlen(src), f), strlen(src));
	assert_int_equal(fclose(f), 0);
	rc = phpconf_load(path, dir_override, pc, e);
	free(path);
	return rc;
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/test_phpconf.XXXXXX";
	char *real;
	(void)state;
	if (!mkdtemp(tmpl))
		return -1;
	real = realpath(tmpl, NULL);
	if (!real)
		return -1;
	snprintf(tmpdir, sizeof(tmpdir), "%s", real);
	free(real);
	return 0;
}

static int teardown(void **state)
{
	char *path = xstrfmt("%s/config.php", tmpdir);
	(void)state;
	unlink(path);
	free(path);
	rmdir(tmpdir);
	return 0;
}

/* ---- constructs ---------------------------------------------------------- */

static void short_array_with_database_and_username_aliases(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	char *path = fixture("config-short.php"), *dir, *want;
	(void)state;
	assert_int_equal(phpconf_load(path, "/var/www/biso", &pc, &e), 0);
	assert_null(e.msg);
	assert_string_equal(pc.env, "PROD");
	assert_int_equal(pc.env_line, 11);
	assert_string_equal(pc.datadir, "/var/www/biso/data");
	assert_int_equal(pc.datadir_line, 12);
	assert_string_equal(pc.db_host, "db.example.ch");
	assert_string_equal(pc.db_port, "5432");
	assert_string_equal(pc.db_name, "biso");
	assert_string_equal(pc.db_user, "biso_app");
	assert_string_equal(pc.db_password, "s3cret");
	assert_int_equal(pc.db_line, 14);
	phpconf_release(&pc);
	dir = realpath(path, NULL);
	*strrchr(dir, '/') = '\0';
	want = xstrfmt("%s/data", dir);
	assert_int_equal(phpconf_load(path, NULL, &pc, &e), 0);
	assert_string_equal(pc.datadir, want);
	phpconf_release(&pc);
	free(want);
	free(dir);
	free(path);
}

static void long_array_syntax_and_namespaced_config(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	char *path = fixture("config-array.php");
	(void)state;
	assert_int_equal(phpconf_load(path, NULL, &pc, &e), 0);
	assert_string_equal(pc.env, "PROD");
	assert_int_equal(pc.env_line, 5);
	assert_string_equal(pc.datadir, "/srv/biso-data");
	assert_string_equal(pc.db_host, "/run/postgresql");
	assert_null(pc.db_port);
	assert_string_equal(pc.db_name, "biso");
	assert_string_equal(pc.db_user, "biso");
	assert_string_equal(pc.db_password, "it's");
	assert_int_equal(pc.db_line, 7);
	phpconf_release(&pc);
	free(path);
}

static void single_quoted_escapes(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php Config::set('env', 'it\\'s a \\\\ and \\n \\x41 $x');",
				  NULL, &pc, &e), 0);
	assert_string_equal(pc.env, "it's a \\ and \\n \\x41 $x");
	phpconf_release(&pc);
}

static void double_quoted_escapes(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php Config::set('env', \"a\\nb\\tc\\\\d\\\"e\\$f\\x41\\101"
				  "\\u{e4}\\u{1F600}\\q$ {}\");",
				  NULL, &pc, &e), 0);
	assert_string_equal(pc.env, "a\nb\tc\\d\"e$fAA\xc3\xa4\xf0\x9f\x98\x80\\q$ {}");
	phpconf_release(&pc);
}

static void dir_is_the_directory_of_the_file(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	char *want = xstrfmt("%s/data", tmpdir);
	(void)state;
	assert_int_equal(load_src("<?php\nConfig::set('datadir', __DIR__ . '/data');\n", NULL,
				  &pc, &e), 0);
	assert_string_equal(pc.datadir, want);
	phpconf_release(&pc);
	free(want);
}

static void dir_override_replaces_dir(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php\nConfig::set('datadir', __DIR__ . '/data');\n",
				  "/var/www/biso", &pc, &e), 0);
	assert_string_equal(pc.datadir, "/var/www/biso/data");
	phpconf_release(&pc);
}

static void concatenation_of_strings_integers_and_parentheses(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php Config::set('datadir', '/srv' . \"/b\" . 42 . ('/' . 'c')"
				  " . DIRECTORY_SEPARATOR . 'd');",
				  NULL, &pc, &e), 0);
	assert_string_equal(pc.datadir, "/srv/b42/c/d");
	phpconf_release(&pc);
}

static void comments_of_all_kinds_hide_config_set(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php\n"
				  "Config::set('env', 'PROD'); // Config::set('env', 'LINE');\n"
				  "# Config::set('env', 'HASH');\n"
				  "/* Config::set('env', 'BLOCK');\n"
				  "   Config::set('datadir', '/block'); */\n"
				  "#[Attribute] function g() {}\n"
				  "Config::set('datadir', '/real' /* inline */ . '/data' # tail\n"
				  ");\n",
				  NULL, &pc, &e), 0);
	assert_string_equal(pc.env, "PROD");
	assert_int_equal(pc.env_line, 2);
	assert_string_equal(pc.datadir, "/real/data");
	assert_int_equal(pc.datadir_line, 7);
	phpconf_release(&pc);
}

static void integers_in_all_bases_and_negative(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php Config::set('env', 10 . ':' . 0x1F . ':' . 017 . ':'"
				  " . 0o17 . ':' . 0b101 . ':' . 1_000 . ':' . -5);\n"
				  "Config::set('gaia.db', ['dbname' => 'b', 'port' => 0x1538]);",
				  NULL, &pc, &e), 0);
	assert_string_equal(pc.env, "10:31:15:15:5:1000:-5");
	assert_string_equal(pc.db_port, "5432");
	phpconf_release(&pc);
}

static void booleans_and_null_in_any_case(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php Config::set('env', 'a' . TRUE . 'b' . false . 'c' . Null);\n"
				  "Config::set('datadir', '/x');\n"
				  "Config::set('datadir', NULL);\n"
				  "Config::set('debug', True);\n",
				  NULL, &pc, &e), 0);
	assert_string_equal(pc.env, "a1bc");
	assert_null(pc.datadir);
	assert_int_equal(pc.datadir_line, 3);
	phpconf_release(&pc);
}

static void later_config_set_overrides_earlier(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php\nConfig::set('env', 'DEV');\n"
				  "Config::set('gaia.db', ['dbname' => 'old', 'host' => 'h']);\n"
				  "Config::set('env', 'PROD');\n"
				  "Config::set('gaia.db', ['dbname' => 'new']);\n",
				  NULL, &pc, &e), 0);
	assert_string_equal(pc.env, "PROD");
	assert_int_equal(pc.env_line, 4);
	assert_string_equal(pc.db_name, "new");
	assert_null(pc.db_host);
	assert_int_equal(pc.db_line, 5);
	phpconf_release(&pc);
}

static void nested_arrays_trailing_commas_and_duplicate_keys(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php Config::set('gaia.db', array(\n"
				  "  'opts' => ['a' => [1, 2, array(3,),], 'b' => []],\n"
				  "  'dbname' => 'first',\n"
				  "  'user' => 'u',\n"
				  "  'dbname' => 'second',\n"
				  "),);",
				  NULL, &pc, &e), 0);
	assert_string_equal(pc.db_name, "second");
	assert_string_equal(pc.db_user, "u");
	phpconf_release(&pc);
}

static void other_statements_are_skipped(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php\nnamespace Biso;\n$x = getenv('X') . \"$y\";\n"
				  "require __DIR__ . '/local.php';\n"
				  "function f() { return [1, 2]; }\n"
				  "Config::set('mail.password', getenv('MAIL_PW'));\n"
				  "Config::set('other', $x + 1);\n"
				  "echo <<<EOT\n  Config::set('env', 'HEREDOC');\n  EOT;\n"
				  "Config::set('env', 'PROD');\n",
				  NULL, &pc, &e), 0);
	assert_null(e.msg);
	assert_string_equal(pc.env, "PROD");
	assert_int_equal(pc.env_line, 11);
	phpconf_release(&pc);
}

static void close_tag_leaves_php_mode(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php Config::set('env', 'A') ?>\n"
				  "Config::set('env', 'HTML');\n"
				  "<?php Config::set('datadir', '/d'); // ?> Config::set('env', 'B');\n",
				  NULL, &pc, &e), 0);
	assert_string_equal(pc.env, "A");
	assert_string_equal(pc.datadir, "/d");
	phpconf_release(&pc);
}

static void no_config_set_leaves_everything_null(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php\n// nothing here\n", NULL, &pc, &e), 0);
	assert_null(pc.env);
	assert_null(pc.datadir);
	assert_null(pc.db_name);
	assert_int_equal(pc.db_line, 0);
	phpconf_release(&pc);
}

/* ---- errors -------------------------------------------------------------- */

/* Load fixture @name, expect failure at @line with @needle in the message. */
static void expect_fixture_error(const char *name, long line, const char *needle)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	char *path = fixture(name);
	assert_int_equal(phpconf_load(path, NULL, &pc, &e), -1);
	assert_non_null(e.msg);
	if (!strstr(e.msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, needle);
	assert_string_equal(e.file, path);
	assert_int_equal(e.line, line);
	phpconf_release(&pc);
	err_clear(&e);
	free(path);
}

static void unterminated_string_is_an_error_at_its_line(void **state)
{
	(void)state;
	expect_fixture_error("err-unterminated.php", 4, "unterminated string");
}

static void variable_value_is_an_error_at_its_line(void **state)
{
	(void)state;
	expect_fixture_error("err-var.php", 4, "cannot evaluate $base");
}

static void function_call_value_is_an_error_at_its_line(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	char *path = fixture("err-getenv.php");
	(void)state;
	expect_fixture_error("err-getenv.php", 5, "getenv()");
	assert_int_equal(phpconf_load(path, NULL, &pc, &e), -1);
	assert_non_null(strstr(e.msg, "Config::set('gaia.db', ...)"));
	assert_non_null(e.hint);
	assert_non_null(strstr(e.hint, "--dbname"));
	phpconf_release(&pc);
	err_clear(&e);
	free(path);
}

static void missing_paren_is_an_error_at_its_line(void **state)
{
	(void)state;
	expect_fixture_error("err-missing-paren.php", 3, "missing ')'");
}

static void interpolated_string_is_an_error(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php\n\nConfig::set('datadir', \"/srv/$dir/data\");\n", NULL,
				  &pc, &e), -1);
	assert_non_null(strstr(e.msg, "cannot evaluate"));
	assert_non_null(strstr(e.msg, "interpolation"));
	assert_int_equal(e.line, 3);
	phpconf_release(&pc);
	err_clear(&e);
}

static void conditional_config_set_is_an_error(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php\nif (getenv('STAGING')) {\n"
				  "    Config::set('env', 'STAGING');\n}\n",
				  NULL, &pc, &e), -1);
	assert_non_null(strstr(e.msg, "inside a block or behind a condition"));
	assert_int_equal(e.line, 3);
	phpconf_release(&pc);
	err_clear(&e);
}

static void constant_value_is_an_error(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php\nConfig::set('env', BISO_ENV);\n", NULL, &pc, &e), -1);
	assert_non_null(strstr(e.msg, "constant BISO_ENV"));
	assert_int_equal(e.line, 2);
	phpconf_release(&pc);
	err_clear(&e);
}

static void key_that_cannot_be_evaluated_is_an_error(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php\n$k = 'datadir';\nConfig::set($k, '/srv');\n", NULL, &pc,
				  &e), -1);
	assert_non_null(strstr(e.msg, "key that cannot be evaluated"));
	assert_int_equal(e.line, 3);
	assert_null(pc.datadir);
	phpconf_release(&pc);
	err_clear(&e);
}

static void missing_file_is_an_error(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(phpconf_load("/nonexistent/config.php", NULL, &pc, &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent/config.php"));
	phpconf_release(&pc);
	err_clear(&e);
}

/* ---- hostile inputs (issue 16): tests/data/php/hostile/ ------------------- */

/* Load fixture hostile/@name; expect failure at @line with @needle in the
 * message and @hint_needle in the hint (what to do). */
static void expect_hostile_error(const char *name, long line, const char *needle,
				 const char *hint_needle)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	char *rel = xstrfmt("hostile/%s", name), *path = fixture(rel);
	assert_int_equal(phpconf_load(path, NULL, &pc, &e), -1);
	assert_non_null(e.msg);
	if (!strstr(e.msg, needle))
		fail_msg("%s: message \"%s\" lacks \"%s\"", name, e.msg, needle);
	if (!e.hint || !strstr(e.hint, hint_needle))
		fail_msg("%s: hint \"%s\" lacks \"%s\"", name, e.hint ? e.hint : "(none)", hint_needle);
	assert_string_equal(e.file, path);
	assert_int_equal(e.line, line);
	phpconf_release(&pc);
	err_clear(&e);
	free(path);
	free(rel);
}

static void hostile_fixtures_are_errors_at_their_line_with_a_hint(void **state)
{
	(void)state;
	expect_hostile_error("include.php", 4, "cannot evaluate include", "--datadir DIR");
	expect_hostile_error("getenv.php", 4, "getenv()", "--datadir DIR");
	expect_hostile_error("if-block.php", 4, "inside a block or behind a condition",
			     "--datadir DIR");
	expect_hostile_error("heredoc.php", 3, "a heredoc cannot be evaluated", "--datadir DIR");
	expect_hostile_error("nowdoc.php", 7, "a nowdoc (<<<'ID') cannot be evaluated",
			     "--dbname CONNINFO");
	expect_hostile_error("unterminated-string.php", 4, "unterminated string", "php -l");
	expect_hostile_error("unterminated-comment.php", 3, "unterminated comment", "php -l");
	expect_hostile_error("unterminated-heredoc.php", 3, "unterminated heredoc", "php -l");
	expect_hostile_error("nul-in-string.php", 3, "contains a NUL byte", "--datadir DIR");
	expect_hostile_error("nul-in-code.php", 3, "unexpected byte 0x00", "php -l");
	expect_hostile_error("nul-in-call.php", 3, "unexpected byte 0x00", "php -l");
	expect_hostile_error("deep-nesting.php", 3, "nested deeper than 256 levels",
			     "--dbname CONNINFO");
}

/* A UTF-8 byte order mark before <?php is output, as PHP does; the file is
 * read as usual. */
static void byte_order_mark_is_skipped(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	char *path = fixture("hostile/bom.php");
	(void)state;
	assert_int_equal(phpconf_load(path, NULL, &pc, &e), 0);
	assert_string_equal(pc.env, "PROD");
	assert_string_equal(pc.datadir, "/srv/biso-data");
	assert_int_equal(pc.datadir_line, 3);
	assert_string_equal(pc.db_name, "biso");
	phpconf_release(&pc);
	free(path);
}

/* A nowdoc's text is data: a Config::set inside it is not one. */
static void config_set_inside_a_nowdoc_is_text(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php\n$motd = <<<'TXT'\n    Config::set('datadir', '/not/this');\n"
				  "    TXT;\nConfig::set('datadir', '/srv/biso-data');\n",
				  NULL, &pc, &e), 0);
	assert_string_equal(pc.datadir, "/srv/biso-data");
	assert_int_equal(pc.datadir_line, 5);
	phpconf_release(&pc);
}

/* 300,000 lines of comments and code before the settings: read, and the
 * line numbers count them all. */
static void three_hundred_thousand_lines(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	strbuf_addstr(&sb, "<?php\n");
	for (int i = 2; i <= 300000; i++)
		strbuf_addstr(&sb, i % 2 ? "$x[] = 'filler';\n" : "// filler\n");
	strbuf_addstr(&sb, "Config::set('datadir', '/srv/biso-data');\n");
	assert_int_equal(load_src(sb.buf, NULL, &pc, &e), 0);
	assert_string_equal(pc.datadir, "/srv/biso-data");
	assert_int_equal(pc.datadir_line, 300001);
	phpconf_release(&pc);

	strbuf_addstr(&sb, "Config::set('env', 'PROD);\n");
	assert_int_equal(load_src(sb.buf, NULL, &pc, &e), -1);
	assert_non_null(strstr(e.msg, "unterminated string"));
	assert_int_equal(e.line, 300002);
	phpconf_release(&pc);
	err_clear(&e);
	strbuf_release(&sb);
}

/* A million nested arrays, parentheses or signs: a clear error or a value,
 * never a stack overflow. */
static void deep_nesting_is_bounded(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct phpconf pc;
	struct err e = ERR_INIT;
	const int n = 1000000;
	(void)state;
	strbuf_addstr(&sb, "<?php\nConfig::set('gaia.db', ");
	for (int i = 0; i < n; i++)
		strbuf_addch(&sb, '[');
	assert_int_equal(load_src(sb.buf, NULL, &pc, &e), -1);
	assert_non_null(strstr(e.msg, "nested deeper than 256 levels"));
	assert_int_equal(e.line, 2);
	phpconf_release(&pc);
	err_clear(&e);

	strbuf_reset(&sb);
	strbuf_addstr(&sb, "<?php\nConfig::set('datadir', ");
	for (int i = 0; i < n; i++)
		strbuf_addch(&sb, '(');
	assert_int_equal(load_src(sb.buf, NULL, &pc, &e), -1);
	assert_non_null(strstr(e.msg, "nested deeper than 256 levels"));
	phpconf_release(&pc);
	err_clear(&e);

	/* 255 levels are fine. */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "<?php\nConfig::set('gaia.db', ['dbname' => 'biso', 'x' => ");
	for (int i = 0; i < 254; i++)
		strbuf_addch(&sb, '[');
	for (int i = 0; i < 254; i++)
		strbuf_addch(&sb, ']');
	strbuf_addstr(&sb, "]);\n");
	assert_int_equal(load_src(sb.buf, NULL, &pc, &e), 0);
	assert_string_equal(pc.db_name, "biso");
	phpconf_release(&pc);

	/* Signs are a loop: -(-(...5432)) */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "<?php\nConfig::set('gaia.db', ['dbname' => 'biso', 'port' => ");
	for (int i = 0; i < n; i++)
		strbuf_addstr(&sb, "- ");
	strbuf_addstr(&sb, "5432]);\n");
	assert_int_equal(load_src(sb.buf, NULL, &pc, &e), 0);
	assert_string_equal(pc.db_port, "5432");
	phpconf_release(&pc);
	strbuf_release(&sb);
}

/* ---- conninfo ------------------------------------------------------------ */

static void conninfo_escapes_quote_and_backslash(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	char *ci, *pw;
	(void)state;
	assert_int_equal(load_src("<?php Config::set('gaia.db', ['host' => 'db', 'port' => 5432,"
				  " 'dbname' => 'biso', 'user' => 'biso',"
				  " 'password' => 'pa\\'ss\\\\word x']);",
				  NULL, &pc, &e), 0);
	assert_string_equal(pc.db_password, "pa'ss\\word x");
	ci = phpconf_conninfo(&pc, &e);
	assert_non_null(ci);
	assert_string_equal(ci, "host='db' port='5432' dbname='biso' user='biso' "
				"password='pa\\'ss\\\\word x'");
	/* libpq reads back exactly the password. */
	pw = conninfo_get(ci, "password");
	assert_string_equal(pw, "pa'ss\\word x");
	free(pw);
	free(ci);
	phpconf_release(&pc);
}

static void conninfo_without_dbname_is_an_error(void **state)
{
	struct phpconf pc;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(load_src("<?php Config::set('gaia.db', ['host' => 'db']);", NULL, &pc,
				  &e), 0);
	assert_null(phpconf_conninfo(&pc, &e));
	assert_non_null(strstr(e.msg, "dbname"));
	phpconf_release(&pc);
	err_clear(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(short_array_with_database_and_username_aliases),
		cmocka_unit_test(long_array_syntax_and_namespaced_config),
		cmocka_unit_test(single_quoted_escapes),
		cmocka_unit_test(double_quoted_escapes),
		cmocka_unit_test(dir_is_the_directory_of_the_file),
		cmocka_unit_test(dir_override_replaces_dir),
		cmocka_unit_test(concatenation_of_strings_integers_and_parentheses),
		cmocka_unit_test(comments_of_all_kinds_hide_config_set),
		cmocka_unit_test(integers_in_all_bases_and_negative),
		cmocka_unit_test(booleans_and_null_in_any_case),
		cmocka_unit_test(later_config_set_overrides_earlier),
		cmocka_unit_test(nested_arrays_trailing_commas_and_duplicate_keys),
		cmocka_unit_test(other_statements_are_skipped),
		cmocka_unit_test(close_tag_leaves_php_mode),
		cmocka_unit_test(no_config_set_leaves_everything_null),
		cmocka_unit_test(unterminated_string_is_an_error_at_its_line),
		cmocka_unit_test(variable_value_is_an_error_at_its_line),
		cmocka_unit_test(function_call_value_is_an_error_at_its_line),
		cmocka_unit_test(missing_paren_is_an_error_at_its_line),
		cmocka_unit_test(interpolated_string_is_an_error),
		cmocka_unit_test(conditional_config_set_is_an_error),
		cmocka_unit_test(constant_value_is_an_error),
		cmocka_unit_test(key_that_cannot_be_evaluated_is_an_error),
		cmocka_unit_test(missing_file_is_an_error),
		cmocka_unit_test(hostile_fixtures_are_errors_at_their_line_with_a_hint),
		cmocka_unit_test(byte_order_mark_is_skipped),
		cmocka_unit_test(config_set_inside_a_nowdoc_is_text),
		cmocka_unit_test(three_hundred_thousand_lines),
		cmocka_unit_test(deep_nesting_is_bounded),
		cmocka_unit_test(conninfo_escapes_quote_and_backslash),
		cmocka_unit_test(conninfo_without_dbname_is_an_error),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
