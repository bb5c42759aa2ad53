/* Unit tests for the run directory: which directory is picked, which is
 * refused, the socket's mode, a stale socket replaced, a live one kept. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "fsrestore.h"
#include "rundir.h"
#include "strbuf.h"

static char dir[] = "/tmp/br-rundir-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	struct err e = ERR_INIT;
	(void)state;
	fsrestore_rmtree(dir, &e);
	err_clear(&e);
	return 0;
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode;
}

static void the_preferred_directory_is_made_0700(void **state)
{
	struct err e = ERR_INIT;
	char *pref = xstrfmt("%s/system", dir), *fb = xstrfmt("%s/log/run", dir);
	char *got = rundir_choose(pref, fb, &e);
	(void)state;
	assert_non_null(got);
	assert_string_equal(got, pref);
	assert_int_equal(mode_of(pref) & 07777, 0700);
	assert_int_equal(access(fb, F_OK), -1);
	free(got);
	/* there already: used again */
	got = rundir_choose(pref, fb, &e);
	assert_string_equal(got, pref);
	free(got);
	free(pref);
	free(fb);
}

static void without_the_preferred_parent_the_log_dir_is_used(void **state)
{
	struct err e = ERR_INIT;
	char *pref = xstrfmt("%s/no-such-run/biso-recover", dir);
	char *fb = xstrfmt("%s/logs/run", dir), *logs = xstrfmt("%s/logs", dir);
	char *got = rundir_choose(pref, fb, &e);
	(void)state;
	assert_non_null(got);
	assert_string_equal(got, fb);
	assert_int_equal(mode_of(fb) & 07777, 0700);
	assert_int_equal(mode_of(logs) & 07777, 0700); /* the log dir made too */
	free(got);
	free(pref);
	free(fb);
	free(logs);
}

static void a_writable_foreign_or_linked_directory_is_refused(void **state)
{
	struct err e = ERR_INIT;
	char *d = xstrfmt("%s/open", dir), *link = xstrfmt("%s/link", dir);
	char *fb = xstrfmt("%s/fb", dir);
	(void)state;
	assert_int_equal(mkdir(d, 0700), 0);
	assert_int_equal(chmod(d, 01777), 0);
	assert_null(rundir_choose(d, fb, &e));
	assert_non_null(strstr(e.msg, "is writable by everyone (mode 1777)"));
	assert_non_null(strstr(e.msg, d));
	assert_int_equal(access(fb, F_OK), -1); /* no fallback past a hostile directory */
	err_clear(&e);
	assert_int_equal(chmod(d, 0770), 0);
	assert_int_equal(rundir_check(d, &e), -1);
	assert_non_null(strstr(e.msg, "is writable by its group (mode 0770)"));
	err_clear(&e);
	/* readable by others only: ours, so made 0700 */
	assert_int_equal(chmod(d, 0755), 0);
	assert_int_equal(rundir_check(d, &e), 0);
	assert_int_equal(mode_of(d) & 07777, 0700);

	assert_int_equal(symlink(d, link), 0);
	assert_int_equal(rundir_check(link, &e), -1);
	assert_non_null(strstr(e.msg, "is not a directory"));
	assert_string_equal(e.detail, "it is a symbolic link");
	err_clear(&e);

	if (geteuid() == 0) {
		assert_int_equal(chown(d, 65534, 65534), 0);
		assert_int_equal(rundir_check(d, &e), -1);
		assert_non_null(strstr(e.msg, "belongs to uid 65534, not to us (uid 0)"));
		err_clear(&e);
	}
	free(d);
	free(link);
	free(fb);
}

static void the_socket_is_0600_and_a_stale_one_is_replaced(void **state)
{
	struct err e = ERR_INIT;
	char *path = rundir_socket_path(dir, "20261206_153000", &e);
	int l, c, a;
	(void)state;
	assert_non_null(path);
	assert_true(strstr(path, "/20261206_153000.sock") != NULL);
	l = rundir_listen(path, &e);
	assert_true(l >= 0);
	assert_true(S_ISSOCK(mode_of(path)));
	assert_int_equal(mode_of(path) & 07777, 0600);
	c = rundir_connect(path, &e);
	assert_true(c >= 0);
	a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	assert_int_equal(write(c, "x", 1), 1);
	close(a);
	close(c);

	/* a second runner on the same socket is refused while the first lives */
	assert_int_equal(rundir_listen(path, &e), -1);
	assert_non_null(strstr(e.msg, "a run is already listening on"));
	err_clear(&e);

	/* the runner dies without removing its socket */
	close(l);
	assert_true(S_ISSOCK(mode_of(path)));
	assert_int_equal(rundir_connect(path, &e), -1);
	assert_non_null(strstr(e.msg, "no run is listening on"));
	assert_non_null(strstr(e.detail, "its runner is gone"));
	err_clear(&e);
	l = rundir_listen(path, &e);
	assert_true(l >= 0);
	close(l);
	unlink(path);
	assert_int_equal(rundir_connect(path, &e), -1);
	assert_string_equal(e.detail, "the socket is not there");
	err_clear(&e);
	free(path);
}

/* @path's modification time set @ago seconds back */
static void age(const char *path, int ago)
{
	struct timespec ts[2];
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= ago;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* A socket named as a run's, bound and (when @live) listening, else closed
 * as a kill -9 leaves it; made @ago seconds old.  The listener or -1. */
static int sock_at(const char *name, int live, int ago)
{
	struct err e = ERR_INIT;
	char *path = xstrfmt("%s/%s", dir, name);
	int l = rundir_listen(path, &e);
	assert_true(l >= 0);
	if (!live) {
		close(l);
		l = -1;
	}
	age(path, ago);
	free(path);
	return l;
}

static int there(const char *name)
{
	char *path = xstrfmt("%s/%s", dir, name);
	int ok = access(path, F_OK) == 0;
	free(path);
	return ok;
}

/* newcomer 8.19: thousands of sockets of killed runners piled up in
 * /run/biso-recover; only those go */
static void the_sockets_of_dead_runners_are_tidied_and_no_other(void **state)
{
	char *file = xstrfmt("%s/20261206_153003-00000000.sock", dir);
	int live, fd;
	(void)state;
	sock_at("20261206_153000-6a44759b.sock", 0, 120);   /* killed: goes */
	sock_at("20261206_153001.sock", 0, 120);            /* killed, older name: goes */
	live = sock_at("20261206_153002-6a44759b.sock", 1, 120); /* a live runner: stays */
	sock_at("20261206_153004-6a44759b.sock", 0, 5);     /* young: may be starting */
	sock_at("notes.sock", 0, 120);                      /* not a run's name */
	fd = open(file, O_WRONLY | O_CREAT, 0600);          /* not a socket */
	close(fd);
	age(file, 120);
	assert_int_equal(rundir_tidy(dir), 2);
	assert_false(there("20261206_153000-6a44759b.sock"));
	assert_false(there("20261206_153001.sock"));
	assert_true(there("20261206_153002-6a44759b.sock"));
	assert_true(there("20261206_153003-00000000.sock"));
	assert_true(there("20261206_153004-6a44759b.sock"));
	assert_true(there("notes.sock"));
	/* the live runner still takes clients */
	{
		struct err e = ERR_INIT;
		char *path = xstrfmt("%s/20261206_153002-6a44759b.sock", dir);
		int c = rundir_connect(path, &e);
		assert_true(c >= 0);
		close(c);
		free(path);
	}
	close(live);
	assert_int_equal(rundir_tidy(dir), 1); /* now it is dead too */
	unlink(file);
	free(file);
}

static void a_file_in_the_way_is_not_removed(void **state)
{
	struct err e = ERR_INIT;
	char *path = xstrfmt("%s/x.sock", dir);
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	(void)state;
	close(fd);
	assert_int_equal(rundir_listen(path, &e), -1);
	assert_non_null(strstr(e.msg, "is not a socket"));
	assert_int_equal(access(path, F_OK), 0);
	err_clear(&e);
	free(path);
}

static void bad_run_ids_and_long_paths_are_refused(void **state)
{
	struct err e = ERR_INIT;
	struct strbuf deep = STRBUF_INIT;
	(void)state;
	assert_null(rundir_socket_path(dir, "../etc", &e));
	err_clear(&e);
	assert_null(rundir_socket_path(dir, "", &e));
	err_clear(&e);
	strbuf_addstr(&deep, "/var/log");
	while (deep.len < 100)
		strbuf_addstr(&deep, "/biso-recover");
	assert_null(rundir_socket_path(deep.buf, "20261206_153000", &e));
	assert_non_null(strstr(e.msg, "longer than a Unix socket allows"));
	err_clear(&e);
	strbuf_release(&deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_preferred_directory_is_made_0700),
		cmocka_unit_test(without_the_preferred_parent_the_log_dir_is_used),
		cmocka_unit_test(a_writable_foreign_or_linked_directory_is_refused),
		cmocka_unit_test(the_socket_is_0600_and_a_stale_one_is_replaced),
		cmocka_unit_test(a_file_in_the_way_is_not_removed),
		cmocka_unit_test(the_sockets_of_dead_runners_are_tidied_and_no_other),
		cmocka_unit_test(bad_run_ids_and_long_paths_are_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
