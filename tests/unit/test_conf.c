/* Unit tests for conf (biso-recover.conf) and the conninfo helpers. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "bisocli.h"
#include "conf.h"
#include "exclude.h"
#include "conninfo.h"
#include "phpconf.h"
#include "err.h"
#include "strbuf.h"

static char *srcpath(const char *rel)
{
	const char *top = getenv("top_srcdir");
	return xstrfmt("%s/%s", top && *top ? top : ".", rel);
}

static void assert_defaults(const struct conf *c)
{
	assert_string_equal(c->webroot, "/var/www/biso");
	assert_string_equal(c->backup_root, "/var/backups/biso");
	assert_string_equal(c->web_user, "www-data");
	assert_string_equal(c->web_group, "www-data");
	assert_string_equal(c->php, "/usr/bin/php");
	assert_null(c->config_php);
	assert_null(c->datadir);
	assert_string_equal(c->log_dir, "/var/log/biso-recover");
	assert_string_equal(c->env_expected, "PROD");
	assert_string_equal(c->webroot_excludes[0], "/data");
	assert_null(c->webroot_excludes[1]);
	assert_string_equal(c->datadir_excludes[0], "/tmp/");
	assert_string_equal(c->datadir_excludes[1], "*.log");
	assert_string_equal(c->datadir_excludes[2], "/maintenance.on");
	assert_null(c->datadir_excludes[3]);
	{
		/* only the top-level datadir, tmp/ and marker are left out: a
		 * data/ or tmp/ folder deeper down is kept (the code's
		 * vendor/x/data, an attachment folder named tmp) */
		struct err e = ERR_INIT;
		struct exclude_list *w = exclude_new((const char *const *)c->webroot_excludes, &e);
		struct exclude_list *d = exclude_new((const char *const *)c->datadir_excludes, &e);
		assert_true(exclude_match(w, "data", 1));
		assert_false(exclude_match(w, "src/Model/data", 1));
		assert_false(exclude_match(w, "vendor/x/data", 1));
		assert_true(exclude_match(d, "tmp", 1));
		assert_false(exclude_match(d, "attachments/tmp", 1));
		assert_true(exclude_match(d, "maintenance.on", 0));
		assert_false(exclude_match(d, "attachments/maintenance.on", 0));
		assert_true(exclude_match(d, "attachments/a.log", 0));
		exclude_free(w);
		exclude_free(d);
	}
	assert_null(c->database.conninfo);
	assert_null(c->database.admin_conninfo);
	assert_null(c->database.owner);
	assert_string_equal(c->database.encoding, "UTF8");
	assert_string_equal(c->database.lc_collate, "de_CH.utf8");
	assert_string_equal(c->database.lc_ctype, "de_CH.utf8");
	assert_string_equal(c->database.dump_prefix, "biso_");
	assert_int_equal(c->database.jobs, 0);
	assert_int_equal(c->database.on_error, CONF_ON_ERROR_STOP);
	assert_int_equal(c->backup.compress_level, 3);
	assert_int_equal(c->log_database.enabled, 0);
	assert_string_equal(c->log_database.dbname, "biso_log");
	assert_string_equal(c->log_database.dump_prefix, "biso_log_");
	assert_null(c->log_database.conninfo);
	assert_string_equal(c->services.scheduler_cron, "/etc/cron.d/biso");
	assert_null(c->services.queue_runner_check[0]);
	assert_null(c->services.restart_workers[0]);
	assert_null(c->services.stop_services[0]);
	assert_null(c->services.start_services[0]);
	assert_null(c->biso_cli[0]);
	assert_null(c->migration_status[0]);
}

/* Load tests/data/conf/@name, expect an error at @line naming @needle. */
static void expect_error(const char *name, long line, const char *needle)
{
	struct conf c;
	struct err e = ERR_INIT;
	char *rel = xstrfmt("tests/data/conf/%s", name), *path = srcpath(rel);
	conf_init_defaults(&c);
	assert_int_equal(conf_load(&c, path, 1, &e), -1);
	assert_non_null(e.msg);
	if (!strstr(e.msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, needle);
	assert_string_equal(e.file, path);
	assert_int_equal(e.line, line);
	/* Nothing was applied. */
	assert_defaults(&c);
	conf_release(&c);
	err_clear(&e);
	free(path);
	free(rel);
}

static void defaults_without_a_file(void **state)
{
	struct conf c;
	struct err e = ERR_INIT;
	(void)state;
	conf_init_defaults(&c);
	assert_int_equal(conf_load(&c, "/nonexistent/biso-recover.conf", 0, &e), 0);
	assert_null(e.msg);
	assert_null(c.path);
	assert_defaults(&c);
	conf_release(&c);
}

static void example_file_loads_and_matches_defaults(void **state)
{
	struct conf c;
	struct err e = ERR_INIT;
	char *path = srcpath("share/biso-recover.conf.example");
	(void)state;
	conf_init_defaults(&c);
	if (conf_load(&c, path, 1, &e) < 0)
		fail_msg("%s:%ld: %s", e.file, e.line, e.msg);
	assert_string_equal(c.path, path);
	assert_defaults(&c);
	conf_release(&c);
	free(path);
}

static void missing_explicit_file_is_an_error(void **state)
{
	struct conf c;
	struct err e = ERR_INIT;
	(void)state;
	conf_init_defaults(&c);
	assert_int_equal(conf_load(&c, "/nonexistent/biso-recover.conf", 1, &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent/biso-recover.conf"));
	assert_non_null(strstr(e.msg, "No such file"));
	conf_release(&c);
	err_clear(&e);
}

static void unknown_key_is_an_error_with_line(void **state)
{
	(void)state;
	expect_error("unknown-key.conf", 3, "backup_rot: unknown key");
}

static void unknown_nested_key_is_named_with_its_group(void **state)
{
	(void)state;
	expect_error("nested-unknown.conf", 3, "database.jobz: unknown key");
}

static void wrong_type_is_an_error_with_line(void **state)
{
	(void)state;
	expect_error("wrong-type.conf", 4, "database.jobs: expected an integer, found a string");
}

static void compress_level_outside_1_to_9_is_an_error_with_line(void **state)
{
	(void)state;
	expect_error("bad-level.conf", 3, "backup.compress_level: must be a compression level from "
		     "1 (fastest) to 9 (smallest), found 10");
}

static void command_list_element_must_be_an_array(void **state)
{
	(void)state;
	expect_error("wrong-argv.conf", 3, "services.restart_workers");
}

static void syntax_error_names_the_line(void **state)
{
	(void)state;
	expect_error("syntax-error.conf", 3, "syntax error");
}

/* A string without its closing quote on line 3: libconfig reports line 4
 * (where the runaway string meets the next quote); the line where it
 * opened is named, and the hint names the example configuration by a path
 * that exists (it said "see biso-recover.conf.example"). */
static void an_unterminated_string_is_named_where_it_opens(void **state)
{
	struct conf c;
	struct err e = ERR_INIT;
	char *path = srcpath("tests/data/conf/unterminated-string.conf");
	(void)state;
	expect_error("unterminated-string.conf", 3, "the string that opens on line 3 is not "
		     "closed on that line (libconfig stopped at line 4)");
	conf_init_defaults(&c);
	assert_int_equal(conf_load(&c, path, 1, &e), -1);
	assert_non_null(strstr(e.hint, conf_example_path()));
	/* absolute (i18n-german.sh checks that the build tree's binary
	 * names the checkout's file, which exists) */
	assert_int_equal(conf_example_path()[0], '/');
	assert_non_null(strstr(conf_example_path(), "/biso-recover.conf.example"));
	conf_release(&c);
	err_clear(&e);
	free(path);
}

/* Issue 16.11: libconfig needs over 30 s for a 10 MB string (its scanner
 * rescans a long token at every 8 KiB read).  A file over CONF_MAX_BYTES is
 * refused before libconfig sees it, naming the file and its size; one just
 * at the limit still loads. */
static void oversized_file_is_refused_with_its_name(void **state)
{
	char tmpl[] = "/tmp/test_conf.XXXXXX";
	char *path;
	struct conf c;
	struct err e = ERR_INIT;
	FILE *f;
	const size_t value = CONF_MAX_BYTES - 20;
	(void)state;
	assert_non_null(mkdtemp(tmpl));
	path = xstrfmt("%s/biso-recover.conf", tmpl);
	for (int over = 0; over < 2; over++) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs("php = \"", f);
		for (size_t i = 0; i < value; i++)
			fputc('a', f);
		fputs(over ? "aaaaaaaaaaaaaaaaaaaa\";\n" : "\";\n", f);
		assert_int_equal(fclose(f), 0);
		conf_init_defaults(&c);
		if (!over) {
			if (conf_load(&c, path, 1, &e) < 0)
				fail_msg("%s:%ld: %s", e.file, e.line, e.msg);
			assert_int_equal(strlen(c.php), value);
		} else {
			assert_int_equal(conf_load(&c, path, 1, &e), -1);
			assert_non_null(strstr(e.msg, path));
			assert_non_null(strstr(e.msg, "1048586 bytes, more than the 1024 KiB allowed"));
			assert_string_equal(e.file, path);
			assert_non_null(e.hint);
			assert_string_equal(c.php, "/usr/bin/php"); /* unchanged */
			assert_null(c.path);
		}
		conf_release(&c);
		err_clear(&e);
	}
	unlink(path);
	rmdir(tmpl);
	free(path);
}

/* An @include of something that is not a regular file is refused with the
 * file and line: libconfig 1.5's scanner calls exit() when it cannot read
 * what it opened (found by fuzz_conf: @include "" names the include
 * directory itself; the name ends at a NUL byte as fopen() sees it). */
static void include_of_a_non_file_is_refused_not_exited(void **state)
{
	static const char *const bodies[] = {
		"web_user = \"biso\";\n@include \"\"\n",
		"web_user = \"biso\";\n  @include \"sub\"\n",
		"web_user = \"biso\";\n@include \"\0sub\"\n",
		/* a backslash and a NUL: libconfig reads the name as "" (CI's
		 * fuzz_conf, which our own reading of escapes missed) */
		"web_user = \"biso\";\n@include \"\\\0sets ever = [ \"da\"\n",
		"web_user = \"biso\";\n@include \"s\\ub\"\n",
	};
	static const size_t lens[] = { 0, 0, 35, 50, 0 };
	char tmpl[] = "/tmp/test_conf.XXXXXX";
	char *path, *sub;
	(void)state;
	assert_non_null(mkdtemp(tmpl));
	path = xstrfmt("%s/biso-recover.conf", tmpl);
	sub = xstrfmt("%s/sub", tmpl);
	assert_int_equal(mkdir(sub, 0700), 0);
	for (size_t i = 0; i < sizeof(bodies) / sizeof(*bodies); i++) {
		struct conf c;
		struct err e = ERR_INIT;
		size_t len = lens[i] ? lens[i] : strlen(bodies[i]);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		assert_int_equal(fwrite(bodies[i], 1, len, f), len);
		assert_int_equal(fclose(f), 0);
		conf_init_defaults(&c);
		assert_int_equal(conf_load(&c, path, 1, &e), -1);
		assert_true(strstr(e.msg, "which is not a regular file") ||
			    strstr(e.msg, "names no file or uses a backslash or NUL byte"));
		assert_string_equal(e.file, path);
		assert_int_equal(e.line, 2);
		assert_non_null(e.hint);
		assert_null(c.path);
		conf_release(&c);
		err_clear(&e);
	}
	unlink(path);
	rmdir(sub);
	rmdir(tmpl);
	free(path);
	free(sub);
}

/* An @include does not bypass CONF_MAX_BYTES: an included file over it
 * (directly or from another included file) is refused by its own name and
 * the @include line that pulls it in, before libconfig reads it; small
 * included files still load. */
static void oversized_included_file_is_refused_with_its_name(void **state)
{
	char tmpl[] = "/tmp/test_conf.XXXXXX";
	char *path, *mid, *big;
	struct conf c;
	struct err e = ERR_INIT;
	FILE *f;
	(void)state;
	assert_non_null(mkdtemp(tmpl));
	path = xstrfmt("%s/biso-recover.conf", tmpl);
	mid = xstrfmt("%s/mid.conf", tmpl);
	big = xstrfmt("%s/big.conf", tmpl);
	f = fopen(big, "w");
	assert_non_null(f);
	fputs("php = \"", f);
	for (size_t i = 0; i < CONF_MAX_BYTES; i++)
		fputc('a', f);
	fputs("\";\n", f);
	assert_int_equal(fclose(f), 0);
	f = fopen(mid, "w");
	assert_non_null(f);
	fputs("web_user = \"biso\";\n  @include \"big.conf\"\n", f);
	assert_int_equal(fclose(f), 0);
	for (int nested = 0; nested < 2; nested++) {
		f = fopen(path, "w");
		assert_non_null(f);
		fprintf(f, "# settings\n@include \"%s\"\n", nested ? "mid.conf" : "big.conf");
		assert_int_equal(fclose(f), 0);
		conf_init_defaults(&c);
		assert_int_equal(conf_load(&c, path, 1, &e), -1);
		assert_non_null(strstr(e.msg, big));
		assert_non_null(strstr(e.msg, "1048586 bytes, more than the 1024 KiB allowed"));
		assert_string_equal(e.file, nested ? mid : path);
		assert_int_equal(e.line, 2);
		assert_non_null(e.hint);
		assert_string_equal(c.php, "/usr/bin/php"); /* unchanged */
		conf_release(&c);
		err_clear(&e);
	}
	/* a small included file loads */
	f = fopen(mid, "w");
	assert_non_null(f);
	fputs("web_user = \"biso\";\n", f);
	assert_int_equal(fclose(f), 0);
	conf_init_defaults(&c);
	if (conf_load(&c, path, 1, &e) < 0)
		fail_msg("%s:%ld: %s", e.file, e.line, e.msg);
	assert_string_equal(c.web_user, "biso");
	conf_release(&c);
	unlink(path);
	unlink(mid);
	unlink(big);
	rmdir(tmpl);
	free(path);
	free(mid);
	free(big);
}

static void nested_group_keys_are_loaded(void **state)
{
	struct conf c;
	struct err e = ERR_INIT;
	char *path = srcpath("tests/data/conf/full.conf");
	(void)state;
	conf_init_defaults(&c);
	if (conf_load(&c, path, 1, &e) < 0)
		fail_msg("%s:%ld: %s", e.file, e.line, e.msg);
	assert_string_equal(c.webroot, "/srv/biso/www");
	assert_string_equal(c.backup_root, "/mnt/backup/biso");
	assert_string_equal(c.web_user, "biso");
	assert_string_equal(c.web_group, "bisoweb");
	assert_string_equal(c.datadir, "/srv/biso/data");
	assert_null(c.config_php);
	assert_string_equal(c.webroot_excludes[0], "data");
	assert_string_equal(c.webroot_excludes[1], "cache/");
	assert_null(c.webroot_excludes[2]);
	assert_null(c.datadir_excludes[0]);
	assert_string_equal(c.database.conninfo, "host=/run/postgresql dbname=biso user=biso");
	assert_int_equal(c.database.jobs, 4);
	assert_int_equal(c.database.on_error, CONF_ON_ERROR_CONTINUE);
	assert_string_equal(c.database.lc_collate, "C.UTF-8");
	assert_string_equal(c.database.lc_ctype, "de_CH.utf8"); /* untouched default */
	assert_int_equal(c.log_database.enabled, 1);
	assert_string_equal(c.log_database.dbname, "biso_logs");
	assert_string_equal(c.log_database.dump_prefix, "biso_log_");
	assert_null(c.services.scheduler_cron);
	assert_string_equal(c.services.queue_runner_check[0], "systemctl");
	assert_string_equal(c.services.queue_runner_check[2], "biso-queue");
	assert_null(c.services.queue_runner_check[3]);
	assert_string_equal(c.services.restart_workers[0][0], "systemctl");
	assert_string_equal(c.services.restart_workers[0][2], "biso-worker");
	assert_null(c.services.restart_workers[0][3]);
	assert_string_equal(c.services.restart_workers[1][0], "/usr/local/bin/reload-fpm");
	assert_null(c.services.restart_workers[1][1]);
	assert_null(c.services.restart_workers[2]);
	assert_int_equal(c.backup.compress_level, 9);
	conf_release(&c);
	free(path);
}

static void set_str_replaces_a_field(void **state)
{
	struct conf c;
	(void)state;
	conf_init_defaults(&c);
	conf_set_str(&c.webroot, "/srv/other");
	conf_set_str(&c.datadir, "/srv/data");
	assert_string_equal(c.webroot, "/srv/other");
	assert_string_equal(c.datadir, "/srv/data");
	conf_set_str(&c.datadir, NULL);
	assert_null(c.datadir);
	conf_release(&c);
}

static void user_group_parsing(void **state)
{
	struct conf c;
	struct err e = ERR_INIT;
	(void)state;
	conf_init_defaults(&c);
	assert_int_equal(conf_parse_user_group(&c, "biso:www", &e), 0);
	assert_string_equal(c.web_user, "biso");
	assert_string_equal(c.web_group, "www");
	assert_int_equal(conf_parse_user_group(&c, "apache", &e), 0);
	assert_string_equal(c.web_user, "apache");
	assert_string_equal(c.web_group, "apache");
	assert_int_equal(conf_parse_user_group(&c, ":www", &e), -1);
	assert_non_null(e.msg);
	err_clear(&e);
	assert_int_equal(conf_parse_user_group(&c, "biso:", &e), -1);
	err_clear(&e);
	assert_int_equal(conf_parse_user_group(&c, "a:b:c", &e), -1);
	err_clear(&e);
	/* A failed parse keeps the previous value. */
	assert_string_equal(c.web_user, "apache");
	assert_string_equal(c.web_group, "apache");
	conf_release(&c);
}

static void conninfo_dbname_rewrite_keeps_other_keywords(void **state)
{
	struct err e = ERR_INIT;
	char *ci;
	(void)state;
	ci = conninfo_with_dbname("host=/run/postgresql port=5433 dbname=biso user=biso "
				  "password='a b\\'c'",
				  "postgres", &e);
	assert_non_null(ci);
	assert_string_equal(ci, "user='biso' password='a b\\'c' host='/run/postgresql' "
				"port='5433' dbname='postgres'");
	free(ci);
	ci = conninfo_with_dbname("postgresql://biso@db.example.ch:5432/biso?sslmode=require",
				  "biso_restoring", &e);
	assert_non_null(ci);
	assert_string_equal(ci, "user='biso' host='db.example.ch' port='5432' sslmode='require' "
				"dbname='biso_restoring'");
	free(ci);
	ci = conninfo_with_dbname("", "postgres", &e);
	assert_string_equal(ci, "dbname='postgres'");
	free(ci);
	assert_null(conninfo_with_dbname("host=x nosuchkeyword=1", "postgres", &e));
	assert_non_null(e.msg);
	err_clear(&e);
}

/* --dbname NAME, a bare name, over the instance's connection keeps its
 * host, port and user and replaces only the database (it dropped them: the
 * default socket); a conninfo or a URI replaces the connection whole. */
static void a_bare_dbname_replaces_only_the_database_of_the_connection(void **state)
{
	struct err e = ERR_INIT;
	const char *base = "host=/srv/pg port=5433 dbname=biso user=biso";
	struct phpconf pc = { 0 };
	char *ci;
	(void)state;
	assert_int_equal(conninfo_is_name("bsio"), 1);
	assert_int_equal(conninfo_is_name("host=x dbname=y"), 0);
	assert_int_equal(conninfo_is_name("postgresql://h/db"), 0);
	assert_int_equal(conninfo_is_name(""), 0);
	ci = conninfo_apply_dbname(base, "bsio", &e);
	assert_non_null(ci);
	assert_string_equal(ci, "user='biso' host='/srv/pg' port='5433' dbname='bsio'");
	free(ci);
	ci = conninfo_apply_dbname(base, "host=/tmp dbname=other", &e);
	assert_string_equal(ci, "host=/tmp dbname=other");
	free(ci);
	ci = conninfo_apply_dbname(base, "postgresql://u@h/other", &e);
	assert_string_equal(ci, "postgresql://u@h/other");
	free(ci);
	ci = conninfo_apply_dbname(NULL, "bsio", &e);
	assert_string_equal(ci, "dbname='bsio'");
	free(ci);
	/* over config.php's gaia.db */
	pc.db_host = "/srv/pg";
	pc.db_port = "5433";
	pc.db_name = "biso";
	pc.db_user = "biso";
	ci = phpconf_conninfo_db(&pc, "bsio", &e);
	assert_string_equal(ci, "host='/srv/pg' port='5433' dbname='bsio' user='biso'");
	free(ci);
	ci = phpconf_conninfo_db(&pc, NULL, &e);
	assert_string_equal(ci, "host='/srv/pg' port='5433' dbname='biso' user='biso'");
	free(ci);
}

static void conninfo_check_names_where_it_came_from_in_libpq_words(void **state)
{
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(conninfo_check("host=/run/postgresql dbname=biso", "--dbname", &e), 0);
	assert_int_equal(conninfo_check("postgresql://biso@db/biso", "--dbname", &e), 0);
	assert_int_equal(conninfo_check("host=/run/postgresql dbname", "--dbname", &e), -1);
	/* libpq's own words, without the newline it ends them with */
	assert_string_equal(e.msg, "--dbname is not a libpq conninfo: missing \"=\" after "
			    "\"dbname\" in connection info string");
	assert_non_null(strstr(e.hint, "host=/run/postgresql dbname=biso user=biso"));
	err_clear(&e);
}

/* psql and pg_dump take a string without '=' that is no URI as the
 * database's name: so do --dbname and the configuration's conninfo keys
 * (--dbname biso was refused: 'missing "=" after "biso"'). */
static void a_bare_name_is_the_database_name_as_psql_takes_it(void **state)
{
	static const char *const names[] = { "biso", "my db", "it's", "back\\slash", "x'\\'y" };
	struct err e = ERR_INIT;
	struct conf c;
	char *ci, *db, *msg = NULL, tmpl[] = "/tmp/test_conf.XXXXXX";
	FILE *f;
	int fd;
	(void)state;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		PQconninfoOption *opts;
		ci = conninfo_normalize(names[i]);
		/* libpq reads the name back exactly, whatever it holds */
		opts = PQconninfoParse(ci, &msg);
		if (!opts)
			fail_msg("%s -> %s: %s", names[i], ci, msg);
		for (PQconninfoOption *o = opts; o->keyword; o++)
			if (!strcmp(o->keyword, "dbname"))
				assert_string_equal(o->val, names[i]);
		PQconninfoFree(opts);
		free(ci);
		assert_int_equal(conninfo_check(names[i], "--dbname", &e), 0);
		db = conninfo_get(names[i], "dbname");
		assert_string_equal(db, names[i]);
		free(db);
	}
	ci = conninfo_normalize("it's");
	assert_string_equal(ci, "dbname='it\\'s'");
	free(ci);
	/* conninfos and URIs as they are, malformed ones too (the check
	 * names them) */
	static const char *const as_is[] = {
		"", "host=/run/postgresql dbname=biso", "dbname=biso", "postgresql://u@h/biso",
		"postgres://h/biso", "host=x dbname",
	};
	for (size_t i = 0; i < sizeof as_is / sizeof *as_is; i++) {
		ci = conninfo_normalize(as_is[i]);
		assert_string_equal(ci, as_is[i]);
		free(ci);
	}
	assert_null(conninfo_normalize(NULL));
	ci = conninfo_with_dbname("biso", "postgres", &e);
	assert_string_equal(ci, "dbname='postgres'");
	free(ci);
	/* the configuration's conninfo keys */
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("database = { conninfo = \"biso\"; admin_conninfo = \"postgres\"; };\n"
	      "refresh = { production_conninfo = \"host=prod dbname=biso\"; };\n", f);
	fclose(f);
	conf_init_defaults(&c);
	if (conf_load(&c, tmpl, 1, &e) < 0)
		fail_msg("%s", e.msg);
	unlink(tmpl);
	assert_string_equal(c.database.conninfo, "dbname='biso'");
	assert_string_equal(c.database.admin_conninfo, "dbname='postgres'");
	assert_string_equal(c.refresh.production_conninfo, "host=prod dbname=biso");
	conf_release(&c);
}

static void conninfo_for_child_moves_the_password_to_the_environment(void **state)
{
	struct err e = ERR_INIT;
	char *pw = NULL, *ci;
	(void)state;
	ci = conninfo_for_child("host=/run/postgresql dbname=biso user=biso password='a b\\'c'",
				"other", &pw, &e);
	assert_non_null(ci);
	assert_string_equal(ci, "user='biso' host='/run/postgresql' dbname='other'");
	assert_string_equal(pw, "PGPASSWORD=a b'c");
	free(ci);
	free(pw);
	ci = conninfo_for_child("postgresql://u:geheim@db/biso", NULL, &pw, &e);
	assert_non_null(ci);
	assert_null(strstr(ci, "geheim"));
	assert_non_null(strstr(ci, "dbname='biso'"));
	assert_string_equal(pw, "PGPASSWORD=geheim");
	free(ci);
	free(pw);
	ci = conninfo_for_child("host=db", NULL, &pw, &e);
	assert_string_equal(ci, "host='db'");
	assert_null(pw);
	free(ci);
	assert_null(conninfo_for_child("host=x nosuchkeyword=1", "d", &pw, &e));
	assert_null(pw);
	assert_non_null(e.msg);
	err_clear(&e);
}

static void conninfo_redacted_hides_the_password(void **state)
{
	char *r;
	(void)state;
	r = conninfo_redacted("host=db dbname=biso password=geheim");
	assert_null(strstr(r, "geheim"));
	assert_non_null(strstr(r, "password=***"));
	assert_non_null(strstr(r, "dbname='biso'"));
	free(r);
	r = conninfo_redacted("password='unterminated");
	assert_null(strstr(r, "unterminated"));
	free(r);
}

/* the role a conninfo logs in as: its user, else PGUSER */
static void conninfo_user_names_the_login(void **state)
{
	char *v;
	(void)state;
	setenv("PGUSER", "envrole", 1);
	v = conninfo_user("host=db user=biso dbname=postgres");
	assert_string_equal(v, "biso");
	free(v);
	v = conninfo_user("postgresql://app@db/biso");
	assert_string_equal(v, "app");
	free(v);
	v = conninfo_user("host=db dbname=biso");
	assert_string_equal(v, "envrole");
	free(v);
	unsetenv("PGUSER");
}

static void conninfo_get_reads_one_keyword(void **state)
{
	char *v;
	(void)state;
	v = conninfo_get("host=db user='biso app'", "user");
	assert_string_equal(v, "biso app");
	free(v);
	assert_null(conninfo_get("host=db", "user"));
}

/* A password given on the command line is overwritten in argv (ps shows it
 * for the whole run): every form libpq reads, and nothing else. */
static void conninfo_masks_passwords_in_place(void **state)
{
	static const struct {
		const char *in, *out;
		int n;
	} t[] = {
		{ "host=/run/pg password=secret dbname=biso", "host=/run/pg password=xxxxxx dbname=biso", 1 },
		{ "password = 'se cr\\'et' user=u", "password = 'xxxxxxxxx' user=u", 1 },
		{ "passwordx=abc password=p\\ q", "passwordx=abc password=xxxx", 1 },
		{ "password='' dbname=biso", "password='' dbname=biso", 0 },
		{ "dbname=biso user=biso", "dbname=biso user=biso", 0 },
		{ "postgresql://biso:s%40cret@db.example:5432/biso?password=two&sslmode=require",
		  "postgresql://biso:xxxxxxxx@db.example:5432/biso?password=xxx&sslmode=require", 2 },
		{ "postgres://biso@db/biso", "postgres://biso@db/biso", 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *s = xstrdup(t[i].in);
		assert_int_equal(conninfo_mask_password(s), t[i].n);
		assert_string_equal(s, t[i].out);
		free(s);
	}
}

/* biso-cli is one argument vector: { php, "biso-cli" } by default (the old
 * php key), the biso_cli key for Docker; the subcommand follows.  The web
 * user applies to PHP on the host only; php and biso_cli at once are an
 * error at biso_cli's line. */
static void biso_cli_argv_from_php_or_biso_cli(void **state)
{
	struct conf c;
	const char **v;
	(void)state;
	conf_init_defaults(&c);
	v = bisocli_argv(&c, (const char *const[]){ "migration", "exec", NULL });
	assert_string_equal(v[0], "/usr/bin/php");
	assert_string_equal(v[1], "biso-cli");
	assert_string_equal(v[2], "migration");
	assert_string_equal(v[3], "exec");
	assert_null(v[4]);
	free(v);
	assert_int_equal(bisocli_as_web_user(&c), 1);
	conf_set_str(&c.php, "php8.2");
	assert_int_equal(bisocli_as_web_user(&c), 1);
	free(c.biso_cli);
	c.biso_cli = xcalloc(4, sizeof *c.biso_cli);
	c.biso_cli[0] = xstrdup("docker");
	c.biso_cli[1] = xstrdup("exec");
	c.biso_cli[2] = xstrdup("biso-cli");
	v = bisocli_argv(&c, (const char *const[]){ "maintenance", "on", NULL });
	assert_string_equal(v[0], "docker");
	assert_string_equal(v[2], "biso-cli");
	assert_string_equal(v[3], "maintenance");
	assert_string_equal(v[4], "on");
	assert_null(v[5]);
	free(v);
	assert_int_equal(bisocli_as_web_user(&c), 0);
	conf_release(&c);
	expect_error("php-and-biso-cli.conf", 4, "php and biso_cli are both set");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_without_a_file),
		cmocka_unit_test(example_file_loads_and_matches_defaults),
		cmocka_unit_test(missing_explicit_file_is_an_error),
		cmocka_unit_test(unknown_key_is_an_error_with_line),
		cmocka_unit_test(unknown_nested_key_is_named_with_its_group),
		cmocka_unit_test(wrong_type_is_an_error_with_line),
		cmocka_unit_test(command_list_element_must_be_an_array),
		cmocka_unit_test(compress_level_outside_1_to_9_is_an_error_with_line),
		cmocka_unit_test(syntax_error_names_the_line),
		cmocka_unit_test(an_unterminated_string_is_named_where_it_opens),
		cmocka_unit_test(oversized_file_is_refused_with_its_name),
		cmocka_unit_test(oversized_included_file_is_refused_with_its_name),
		cmocka_unit_test(include_of_a_non_file_is_refused_not_exited),
		cmocka_unit_test(nested_group_keys_are_loaded),
		cmocka_unit_test(set_str_replaces_a_field),
		cmocka_unit_test(user_group_parsing),
		cmocka_unit_test(conninfo_dbname_rewrite_keeps_other_keywords),
		cmocka_unit_test(a_bare_dbname_replaces_only_the_database_of_the_connection),
		cmocka_unit_test(conninfo_check_names_where_it_came_from_in_libpq_words),
		cmocka_unit_test(a_bare_name_is_the_database_name_as_psql_takes_it),
		cmocka_unit_test(conninfo_for_child_moves_the_password_to_the_environment),
		cmocka_unit_test(conninfo_redacted_hides_the_password),
		cmocka_unit_test(conninfo_get_reads_one_keyword),
		cmocka_unit_test(conninfo_user_names_the_login),
		cmocka_unit_test(conninfo_masks_passwords_in_place),
		cmocka_unit_test(biso_cli_argv_from_php_or_biso_cli),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
