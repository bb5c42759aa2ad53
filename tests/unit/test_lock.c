/* Unit tests for the run/target lock: a live holder named, a dead holder's
 * file no obstacle, a reused pid not taken for the holder. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "lock.h"
#include "strbuf.h"

static char dir[] = "/tmp/br-lock-XXXXXX";
static char *lockpath;

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	lockpath = xstrfmt("%s/webroot.lock", dir);
	return 0;
}

static int teardown(void **state)
{
	char *p = xstrfmt("%s/link.lock", dir);
	(void)state;
	unlink(lockpath);
	unlink(p);
	free(p);
	free(lockpath);
	rmdir(dir);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static char *hostname(void)
{
	char host[256];
	assert_int_equal(gethostname(host, sizeof host), 0);
	host[sizeof host - 1] = '\0';
	return xstrdup(host);
}

/* A child running @cmd (lock_set_command()) that took the lock and waits
 * until @release is closed; its pid. */
static pid_t child_holding(int *release, const char *cmd)
{
	int ready[2], go[2];
	char c;
	pid_t pid;
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct err e = ERR_INIT;
		int fd;
		lock_set_command(cmd);
		fd = lock_take(lockpath, "webroot /srv/biso", &e);
		close(ready[0]);
		close(go[1]);
		if (fd < 0)
			_exit(1);
		(void)!write(ready[1], "x", 1);
		(void)!read(go[0], &c, 1); /* EOF: the parent let go */
		_exit(0);                  /* no lock_release(): killed runs do not either */
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	*release = go[1];
	return pid;
}

static void a_live_holder_is_named_and_a_dead_one_is_no_obstacle(void **state)
{
	struct err e = ERR_INIT;
	struct lock_holder h = { 0, 0, NULL, NULL };
	int release, status, fd;
	pid_t child = child_holding(&release, "restore");
	char *host = hostname();
	char *want = xstrfmt("another biso-recover (pid %ld on %s, started ", (long)child, host);
	(void)state;

	assert_int_equal(lock_take(lockpath, "webroot /srv/biso", &e), -1);
	assert_non_null(e.msg);
	assert_non_null(strstr(e.msg, want));
	assert_non_null(strstr(e.msg, ") is restoring webroot /srv/biso"));
	assert_non_null(strstr(e.detail, lockpath));
	err_clear(&e);

	assert_int_equal(lock_holder_read(lockpath, &h, &e), 1);
	assert_int_equal(h.pid, (long)child);
	assert_int_equal(h.start, lock_process_start(child));
	assert_string_equal(h.host, host);
	assert_int_equal(lock_holder_alive(&h), 1);

	/* the holder dies without a word: its file stays, its flock goes */
	close(release);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(status, 0);
	assert_int_equal(access(lockpath, F_OK), 0);
	assert_int_equal(lock_holder_alive(&h), 0);
	lock_holder_clear(&h);

	fd = lock_take(lockpath, "webroot /srv/biso", &e);
	assert_true(fd >= 0);
	assert_null(e.msg);
	assert_int_equal(lock_holder_read(lockpath, &h, &e), 1);
	assert_int_equal(h.pid, (long)getpid());
	assert_int_equal(lock_holder_alive(&h), 1);
	lock_holder_clear(&h);

	/* released: the file goes with it, and the lock is free again */
	lock_release(fd, lockpath);
	assert_int_equal(access(lockpath, F_OK), -1);
	assert_int_equal(lock_holder_read(lockpath, &h, &e), 0);
	fd = lock_take(lockpath, "webroot /srv/biso", &e);
	assert_true(fd >= 0);
	lock_release(fd, lockpath);
	free(want);
	free(host);
}

static void a_reused_pid_is_not_the_holder(void **state)
{
	struct err e = ERR_INIT;
	struct lock_holder h = { 0, 0, NULL, NULL };
	char *host = hostname();
	long long start = lock_process_start(getpid());
	char *line;
	(void)state;

	assert_true(start > 0);
	assert_true(start <= (long long)time(NULL));
	/* our pid, but a process that started earlier: the holder died and
	 * its pid went to us */
	line = xstrfmt("pid=%ld start=%lld host=%s\n", (long)getpid(), start - 100, host);
	write_file(lockpath, line);
	assert_int_equal(lock_holder_read(lockpath, &h, &e), 1);
	assert_int_equal(lock_holder_alive(&h), 0);
	assert_int_equal(lock_process_alive(h.pid, h.start), 0);
	assert_int_equal(lock_process_alive(h.pid, start), 1);
	lock_holder_clear(&h);
	free(line);

	/* another host's holder cannot be judged from here */
	write_file(lockpath, "pid=1 start=1000 host=elsewhere.example\n");
	assert_int_equal(lock_holder_read(lockpath, &h, &e), 1);
	assert_int_equal(lock_holder_alive(&h), -1);
	lock_holder_clear(&h);
	unlink(lockpath);
	free(host);
}

static void a_reaped_pid_has_no_start(void **state)
{
	int status;
	pid_t pid = fork();
	(void)state;
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(lock_process_start(pid), -1);
	assert_int_equal(lock_process_alive(pid, 1), 0);
}

/* A holder killed and not reaped yet (a zombie: in a container the init
 * may never reap it) is dead: its run is over, its lock released. */
static void an_unreaped_pid_is_not_alive(void **state)
{
	int status;
	long long start;
	pid_t pid = fork();
	(void)state;
	assert_true(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	start = lock_process_start(pid);
	assert_true(start > 0);
	assert_int_equal(lock_process_alive(pid, start), 1);
	kill(pid, SIGKILL);
	/* a zombie until waited for: wait until /proc says so */
	for (int i = 0; i < 200 && lock_process_start(pid) > 0; i++)
		usleep(10000);
	assert_int_equal(lock_process_alive(pid, start), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

/* A refresh and a restore of one instance take the same locks: whoever
 * finds one taken is told the holder's pid, host, start and command, and
 * what it does (issue 13: a refresh took no lock; the message said
 * "restoring" whoever held it). */
static void the_holder_names_its_command(void **state)
{
	static const char *const cmds[][2] = {
		{ "refresh", ", command refresh) is refreshing webroot /srv/biso" },
		{ "restore", ", command restore) is restoring webroot /srv/biso" },
		{ "backup", ", command backup) is backing up webroot /srv/biso" },
		{ "rollback", ", command rollback) is rolling back webroot /srv/biso" },
		{ "backup-prune", ", command backup-prune) is working on webroot /srv/biso" },
	};
	struct err e = ERR_INIT;
	struct lock_holder h = { 0, 0, NULL, NULL };
	(void)state;
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		int release, status;
		pid_t child = child_holding(&release, cmds[i][0]);
		char *want = xstrfmt("another biso-recover (pid %ld on ", (long)child);
		assert_int_equal(lock_take(lockpath, "webroot /srv/biso", &e), -1);
		assert_non_null(strstr(e.msg, want));
		if (!strstr(e.msg, cmds[i][1]))
			fail_msg("%s: \"%s\" lacks \"%s\"", cmds[i][0], e.msg, cmds[i][1]);
		err_clear(&e);
		assert_int_equal(lock_holder_read(lockpath, &h, &e), 1);
		assert_string_equal(h.cmd, cmds[i][0]);
		lock_holder_clear(&h);
		close(release);
		assert_int_equal(waitpid(child, &status, 0), child);
		free(want);
	}
	/* a holder line without the command (an older biso-recover) */
	write_file(lockpath, "pid=4242 start=1 host=h\n");
	assert_int_equal(lock_holder_read(lockpath, &h, &e), 1);
	assert_null(h.cmd);
	assert_string_equal(h.host, "h");
	lock_holder_clear(&h);
	write_file(lockpath, "pid=4242 start=1 host=h junk\n");
	assert_int_equal(lock_holder_read(lockpath, &h, &e), -1);
	err_clear(&e);
	unlink(lockpath);
}

static void garbage_is_an_error_for_the_reader_not_for_the_taker(void **state)
{
	struct err e = ERR_INIT;
	struct lock_holder h = { 0, 0, NULL, NULL };
	int fd;
	(void)state;

	write_file(lockpath, "pid 4242 on host, started 2026-01-01 00:00:00\n");
	assert_int_equal(lock_holder_read(lockpath, &h, &e), -1);
	assert_non_null(strstr(e.msg, lockpath));
	assert_non_null(strstr(e.msg, "does not name a holder"));
	assert_string_equal(e.file, lockpath);
	err_clear(&e);

	fd = lock_take(lockpath, "webroot /srv/biso", &e);
	assert_true(fd >= 0);
	assert_int_equal(lock_holder_read(lockpath, &h, &e), 1);
	assert_int_equal(h.pid, (long)getpid());
	lock_holder_clear(&h);
	lock_release(fd, lockpath);

	/* a truncated line (no newline) is not a holder either */
	write_file(lockpath, "pid=12");
	assert_int_equal(lock_holder_read(lockpath, &h, &e), -1);
	err_clear(&e);
	write_file(lockpath, "");
	assert_int_equal(lock_holder_read(lockpath, &h, &e), 0);
	unlink(lockpath);
}

static void a_symlink_is_refused(void **state)
{
	struct err e = ERR_INIT;
	char *link = xstrfmt("%s/link.lock", dir);
	(void)state;
	assert_int_equal(symlink("/etc/passwd", link), 0);
	assert_int_equal(lock_take(link, "webroot /srv/biso", &e), -1);
	assert_non_null(strstr(e.msg, "cannot open the lock file"));
	err_clear(&e);
	free(link);
}

/* A lock file in @dir named @name, holding @text, last changed @age
 * seconds ago; its path (malloc'd). */
static char *aged_file(const char *name, const char *text, int age)
{
	char *path = xstrfmt("%s/%s", dir, name);
	struct timespec t[2];
	write_file(path, text);
	t[0].tv_sec = t[1].tv_sec = time(NULL) - age;
	t[0].tv_nsec = t[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
	return path;
}

/* A holder line of a process that is gone: a child, reaped. */
static char *dead_holder_line(void)
{
	char *host = hostname(), *line;
	int status;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	line = xstrfmt("pid=%ld start=%lld host=%s cmd=restore\n", (long)pid,
		       (long long)time(NULL) - 3600, host);
	free(host);
	return line;
}

static void a_dead_runs_lock_files_are_tidied_a_held_one_never(void **state)
{
	char *dead = dead_holder_line(), *host = hostname();
	char *live = xstrfmt("pid=%ld start=%lld host=%s cmd=backup\n", (long)getpid(),
			     lock_process_start(getpid()), host);
	char *gone = aged_file("biso-recover-webroot-00000000000000a1.lock", dead, 120);
	char *empty = aged_file("biso-recover-database-00000000000000a2.lock", "", 120);
	char *old = aged_file("biso-recover-00000000000000a3.lock", "12345\n", 120);
	char *held = aged_file("biso-recover-database-00000000000000b1.lock", dead, 120);
	char *alive = aged_file("biso-recover-backup-00000000000000b2.lock", live, 120);
	char *fresh = aged_file("biso-recover-webroot-00000000000000b3.lock", dead, 0);
	char *other = aged_file("other.lock", dead, 120);
	char *link = xstrfmt("%s/biso-recover-webroot-00000000000000b4.lock", dir);
	struct err e = ERR_INIT;
	int fd = open(held, O_RDONLY);
	(void)state;

	/* held by a run (here another open file description) whose holder
	 * line names a dead process: a lock all the same */
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(symlink(gone, link), 0);

	assert_int_equal(lock_tidy(dir, NULL), 3);
	assert_int_equal(access(gone, F_OK), -1);
	assert_int_equal(access(empty, F_OK), -1);
	assert_int_equal(access(old, F_OK), -1);
	assert_int_equal(access(held, F_OK), 0);  /* its flock is held */
	assert_int_equal(access(alive, F_OK), 0); /* its holder lives */
	assert_int_equal(access(fresh, F_OK), 0); /* written a moment ago */
	assert_int_equal(access(other, F_OK), 0); /* not a lock file of ours */
	{
		struct stat st;
		assert_int_equal(lstat(link, &st), 0); /* a symlink is not followed */
	}

	/* let go: the next run that takes a lock tidies it away */
	close(fd);
	assert_int_equal(access(held, F_OK), 0);
	fd = lock_take(lockpath, "webroot /srv/biso", &e);
	assert_true(fd >= 0);
	assert_int_equal(access(held, F_OK), -1);
	assert_int_equal(access(alive, F_OK), 0);
	lock_release(fd, lockpath);

	unlink(alive);
	unlink(fresh);
	unlink(other);
	unlink(link);
	free(gone);
	free(empty);
	free(old);
	free(held);
	free(alive);
	free(fresh);
	free(other);
	free(link);
	free(live);
	free(dead);
	free(host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_live_holder_is_named_and_a_dead_one_is_no_obstacle),
		cmocka_unit_test(a_reused_pid_is_not_the_holder),
		cmocka_unit_test(a_reaped_pid_has_no_start),
		cmocka_unit_test(an_unreaped_pid_is_not_alive),
		cmocka_unit_test(garbage_is_an_error_for_the_reader_not_for_the_taker),
		cmocka_unit_test(the_holder_names_its_command),
		cmocka_unit_test(a_symlink_is_refused),
		cmocka_unit_test(a_dead_runs_lock_files_are_tidied_a_held_one_never),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
