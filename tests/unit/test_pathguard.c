/* Unit tests for pathguard: which directories a restore may replace
 * (issue 16.3). */
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

#include "err.h"
#include "fsrestore.h"
#include "pathguard.h"
#include "strbuf.h"

static char *tmp;

static int setup(void **state)
{
	char tmpl[] = "/tmp/test_pathguard.XXXXXX";
	(void)state;
	assert_non_null(mkdtemp(tmpl));
	tmp = xstrdup(tmpl);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(fsrestore_rmtree(tmp, NULL), 0);
	free(tmp);
	return 0;
}

static char *P(const char *rel)
{
	static char buf[4][4096];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", tmp, rel);
	return buf[i];
}

/* pathguard_target() refuses @path; its message holds @want */
static void refused(const char *path, const char *want)
{
	struct err e = ERR_INIT;
	assert_int_equal(pathguard_target("datadir", path, &e), -1);
	if (!strstr(e.msg, want))
		fail_msg("%s: \"%s\" does not say \"%s\"", path, e.msg, want);
	err_clear(&e);
}

static void accepted(const char *path)
{
	struct err e = ERR_INIT;
	if (pathguard_target("datadir", path, &e) < 0)
		fail_msg("%s refused: %s", path, e.msg);
}

static void resolve_follows_symlinks_and_dotdot(void **state)
{
	char *r;
	char want[4200];
	(void)state;
	assert_int_equal(mkdir(P("real"), 0755), 0);
	assert_int_equal(symlink("/etc", P("to-etc")), 0);
	assert_int_equal(symlink("real", P("to-real")), 0);
	r = pathguard_resolve(P("to-etc"));
	assert_string_equal(r, "/etc");
	free(r);
	/* the deepest existing ancestor resolved, the rest as written */
	r = pathguard_resolve(P("to-real/new/../x/./y/"));
	snprintf(want, sizeof want, "%s/real/x/y", tmp);
	assert_string_equal(r, want);
	free(r);
	r = pathguard_resolve("/tmp/../../..");
	assert_string_equal(r, "/");
	free(r);
	r = pathguard_resolve(P("to-etc/no-such/.."));
	assert_string_equal(r, "/etc");
	free(r);
}

static void system_directories_are_refused(void **state)
{
	(void)state;
	refused("/", "is the root directory");
	refused("/etc", "is a system directory");
	refused("/etc/", "is a system directory");
	refused("//usr//", "is a system directory");
	refused("/var", "is a system directory");
	refused("/var/lib", "is a system directory");
	refused("/var/www", "is a system directory");
	refused("/home", "is a system directory");
	refused("/tmp", "is a system directory");
	refused("/tmp/../etc", "is a system directory");
	refused("/etc/biso", "is inside the system directory /etc");
	refused("/usr/lib/biso/data", "is inside the system directory /usr/lib");
	refused("/proc/self", "is inside the system directory /proc");
	refused("/var/lib/postgresql/15/main", "is inside the system directory /var/lib/postgresql");
}

static void symlinks_to_system_directories_are_refused(void **state)
{
	(void)state;
	assert_int_equal(symlink("/etc", P("looks-harmless")), 0);
	assert_int_equal(symlink("/", P("root")), 0);
	refused(P("looks-harmless"), "is a system directory");
	refused(P("root"), "is the root directory");
	refused(P("root/usr/.."), "is the root directory");
	{
		struct err e = ERR_INIT;
		assert_int_equal(pathguard_target("webroot", P("looks-harmless"), &e), -1);
		assert_non_null(strstr(e.detail, "resolves to /etc"));
		assert_non_null(strstr(e.msg, "the webroot"));
		assert_non_null(strstr(e.hint, "Nothing was changed"));
		err_clear(&e);
	}
}

static void ancestors_of_what_the_system_uses_are_refused(void **state)
{
	char *home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	(void)state;
	assert_int_equal(mkdir(P("users"), 0755), 0);
	assert_int_equal(mkdir(P("users/op"), 0755), 0);
	setenv("HOME", P("users/op"), 1);
	refused(P("users"), "contains the home directory");
	refused(P("users/op"), "is the home directory");
	accepted(P("users/op/biso-data"));
	if (home)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
	free(home);
}

static void instance_directories_are_accepted(void **state)
{
	(void)state;
	accepted("/var/www/biso");
	accepted("/var/lib/biso/data");
	accepted("/srv/biso/webroot");
	accepted("/opt/biso");
	accepted(P("live/webroot/data"));
}

/* pathguard_dirs(w, d, b) refuses with @want in the message, or accepts
 * when @want is NULL */
static void dirs(const char *w, const char *d, const char *b, const char *want)
{
	struct err e = ERR_INIT;
	int rc = pathguard_dirs(w, d, b, &e);
	if (!want) {
		if (rc < 0)
			fail_msg("%s / %s / %s refused: %s", w, d, b, e.msg);
		return;
	}
	if (rc == 0)
		fail_msg("%s / %s / %s accepted, expected \"%s\"", w, d, b, want);
	if (!strstr(e.msg, want))
		fail_msg("\"%s\" does not say \"%s\"", e.msg, want);
	err_clear(&e);
}

static void datadir_webroot_and_backups_stay_apart(void **state)
{
	char w[4200], d[4200], b[4200];
	(void)state;
	snprintf(w, sizeof w, "%s/www/biso", tmp);
	snprintf(d, sizeof d, "%s/www/biso/data", tmp);
	snprintf(b, sizeof b, "%s/backups", tmp);
	dirs(w, d, b, NULL); /* the default <webroot>/data */
	dirs(w, P("lib/biso-data"), b, NULL);
	dirs(w, NULL, NULL, NULL);
	dirs(w, w, b, "are the same directory");
	dirs(w, P("www/biso/"), b, "are the same directory");
	dirs(w, P("www"), b, "contains the webroot");
	dirs(w, P("www/biso/files"), b, "is inside the webroot");
	dirs(w, P("www/biso/data/../files"), b, "is inside the webroot");
	dirs(w, P("backups/data"), b, "overlap");
	dirs(w, d, P("www/biso/data/backups"), "overlap");
	dirs(P("backups/www"), NULL, b, "overlap");
	dirs(w, "/etc", b, "is a system directory");
	dirs("/", d, b, "is the root directory");
}

static void inside_is_the_path_below_the_top_as_written(void **state)
{
	(void)state;
	assert_string_equal(pathguard_inside("/srv/biso/data", "/srv/biso"), "data");
	assert_string_equal(pathguard_inside("/srv/biso/a/b", "/srv/biso//"), "a/b");
	assert_null(pathguard_inside("/srv/biso", "/srv/biso"));
	assert_null(pathguard_inside("/srv/biso/", "/srv/biso"));
	assert_null(pathguard_inside("/srv/bisodata", "/srv/biso"));
	assert_null(pathguard_inside("/var/data", "/srv/biso"));
	assert_null(pathguard_inside(NULL, "/srv/biso"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(resolve_follows_symlinks_and_dotdot, setup, teardown),
		cmocka_unit_test(system_directories_are_refused),
		cmocka_unit_test_setup_teardown(symlinks_to_system_directories_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(ancestors_of_what_the_system_uses_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(instance_directories_are_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(datadir_webroot_and_backups_stay_apart, setup, teardown),
		cmocka_unit_test(inside_is_the_path_below_the_top_as_written),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
