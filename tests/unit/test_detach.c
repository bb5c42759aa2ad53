/* Unit tests for the detached start: the runner in a session of its own
 * with no terminal, SIGHUP ignored, stdin /dev/null, output in the 0600 run
 * log; it survives its starter's session (a killed process group, a pty
 * hung up); systemd-run --scope through a stand-in, and the fallbacks.
 * This binary is also the runner: "test_detach --runner" says it is up
 * (stdout, detach_ready()) and waits for its end. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "detach.h"
#include "err.h"
#include "fsrestore.h"
#include "lock.h"
#include "selfexe.h"
#include "strbuf.h"

static char dir[] = "/tmp/br-detach-XXXXXX";
static char self[PATH_MAX];
static char *logpath;

static int setup(void **state)
{
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	(void)state;
	if (n <= 0 || !mkdtemp(dir))
		return -1;
	self[n] = '\0';
	logpath = xstrfmt("%s/run.log", dir);
	/* orphans come to us, so that each runner is reaped here and its end
	 * seen exactly */
	return prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct err e = ERR_INIT;
	(void)state;
	fsrestore_rmtree(dir, &e);
	err_clear(&e);
	free(logpath);
	return 0;
}

static struct detach_opts runner_opts(void)
{
	static const char *argv[3];
	struct detach_opts o;
	memset(&o, 0, sizeof o);
	argv[0] = self;
	argv[1] = "--runner";
	argv[2] = NULL;
	o.argv = argv;
	o.log_path = logpath;
	o.wait_ready = 1;
	o.systemd_root = "/nonexistent/systemd/system"; /* not under systemd */
	return o;
}

/* The whole file @path (NUL-terminated, malloc'd; "" if missing). */
static char *slurp(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);
	if (fd >= 0) {
		while ((n = read(fd, buf, sizeof buf)) > 0)
			strbuf_add(&sb, buf, (size_t)n);
		close(fd);
	}
	return strbuf_detach(&sb, NULL);
}

static char *fd_target(pid_t pid, int fd)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;
	snprintf(link, sizeof link, "/proc/%ld/fd/%d", (long)pid, fd);
	n = readlink(link, buf, sizeof buf - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

/* The hex mask of @field ("SigIgn") in /proc/PID/status. */
static unsigned long long status_mask(pid_t pid, const char *field)
{
	char *path = xstrfmt("/proc/%ld/status", (long)pid), *text = slurp(path), *p;
	unsigned long long v = 0;
	char *key = xstrfmt("\n%s:", field);
	if ((p = strstr(text, key)))
		v = strtoull(p + strlen(key), NULL, 16);
	free(key);
	free(text);
	free(path);
	return v;
}

/* Field 7 (tty_nr) of /proc/PID/stat: 0 without a controlling terminal. */
static long tty_of(pid_t pid)
{
	char *path = xstrfmt("/proc/%ld/stat", (long)pid), *text = slurp(path), *p;
	long tty = -1;
	int field = 2;
	if ((p = strrchr(text, ')')))
		for (p++; *p && field < 7; p++)
			if (*p == ' ')
				field++;
	if (p && field == 7)
		tty = strtol(p, NULL, 10);
	free(text);
	free(path);
	return tty;
}

/* End a runner of ours (we are its subreaper) and see that it was alive
 * until this SIGKILL. */
static void kill_runner(pid_t pid)
{
	int status;
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void the_runner_is_detached_from_everything(void **state)
{
	struct detach_opts o = runner_opts();
	struct detach_result r;
	struct err e = ERR_INIT;
	struct stat st;
	char *t, *log;
	long long start;
	(void)state;

	assert_int_equal(detach_start(&o, &r, &e), 0);
	assert_true(r.pid > 0);
	assert_false(r.scoped);
	assert_non_null(strstr(r.note, "not under systemd"));
	start = lock_process_start(r.pid);
	assert_true(start > 0);

	/* its own session, of which it is not the leader; no terminal */
	assert_int_not_equal(getsid(r.pid), getsid(0));
	assert_int_not_equal(getsid(r.pid), r.pid);
	assert_int_equal(tty_of(r.pid), 0);
	/* SIGHUP ignored, nothing blocked */
	assert_true(status_mask(r.pid, "SigIgn") & (1ULL << (SIGHUP - 1)));
	assert_int_equal(status_mask(r.pid, "SigBlk"), 0);
	/* stdin /dev/null, stdout and stderr the log, nothing else open */
	t = fd_target(r.pid, 0);
	assert_string_equal(t, "/dev/null");
	free(t);
	t = fd_target(r.pid, 1);
	assert_string_equal(t, logpath);
	free(t);
	t = fd_target(r.pid, 2);
	assert_string_equal(t, logpath);
	free(t);
	assert_null(fd_target(r.pid, 3)); /* the ready descriptor, closed by detach_ready() */
	assert_null(fd_target(r.pid, 4));
	assert_int_equal(stat(logpath, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	log = slurp(logpath);
	assert_non_null(strstr(log, "runner up"));
	free(log);

	/* a hangup does nothing to it */
	assert_int_equal(kill(r.pid, SIGHUP), 0);
	assert_int_equal(lock_process_start(r.pid), start);
	kill_runner(r.pid);
	free(r.note);
}

/* A process in a session of its own (an SSH login) starts a runner and
 * reports its pid on @out; then waits to be killed. */
static void __attribute__((noreturn)) session_starting_runner(int out)
{
	struct detach_opts o = runner_opts();
	struct detach_result r;
	struct err e = ERR_INIT;
	/* a login session dies of SIGHUP: not ignored because the tests
	 * were started under nohup (the runner ignores it on its own) */
	signal(SIGHUP, SIG_DFL);
	if (detach_start(&o, &r, &e) < 0)
		_exit(1);
	/* as text: a pty would turn a 0x0a byte of a binary pid into CR LF */
	if (dprintf(out, "%ld\n", (long)r.pid) < 0)
		_exit(1);
	for (;;)
		pause();
}

/* The pid line session_starting_runner() writes. */
static pid_t read_pid(int fd)
{
	char buf[64];
	size_t got = 0;
	while (got < sizeof buf - 1 && (got == 0 || buf[got - 1] != '\n')) {
		ssize_t n = read(fd, buf + got, 1);
		assert_true(n == 1);
		got++;
	}
	buf[got] = '\0';
	assert_true(atol(buf) > 0);
	return (pid_t)atol(buf);
}

static void the_runner_survives_its_session_killed(void **state)
{
	int p[2], status;
	pid_t session, runner;
	long long start;
	(void)state;
	assert_int_equal(pipe(p), 0);
	session = fork();
	assert_true(session >= 0);
	if (session == 0) {
		close(p[0]);
		setsid();
		session_starting_runner(p[1]);
	}
	close(p[1]);
	runner = read_pid(p[0]);
	close(p[0]);
	start = lock_process_start(runner);
	/* the session ends as sshd ends it: SIGHUP, then SIGKILL, to the group */
	assert_int_equal(kill(-session, SIGHUP), 0);
	assert_int_equal(waitpid(session, &status, 0), session);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGHUP);
	assert_int_equal(kill(-session, SIGKILL), -1); /* no one is left in the group */
	assert_int_equal(lock_process_alive(runner, start), 1);
	kill_runner(runner);
}

static void the_runner_survives_its_terminal_hanging_up(void **state)
{
	int master, status;
	pid_t session, runner = 0;
	long long start;
	(void)state;
	session = forkpty(&master, NULL, NULL, NULL);
	assert_true(session >= 0);
	if (session == 0)
		session_starting_runner(1); /* the pid over the pty */
	runner = read_pid(master);
	start = lock_process_start(runner);
	/* the SSH connection drops: the pty's master goes away */
	close(master);
	assert_int_equal(waitpid(session, &status, 0), session);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGHUP);
	assert_int_equal(lock_process_alive(runner, start), 1);
	kill_runner(runner);
}

static void a_runner_that_cannot_start_is_an_error(void **state)
{
	struct detach_opts o = runner_opts();
	struct detach_result r;
	struct err e = ERR_INIT;
	const char *missing[] = { "/nonexistent/biso-runner", NULL };
	const char *quitter[] = { "true", NULL };
	char *log;
	(void)state;
	o.argv = missing;
	assert_int_equal(detach_start(&o, &r, &e), -1);
	assert_string_equal(e.msg, "cannot start /nonexistent/biso-runner: No such file or directory");
	err_clear(&e);
	/* it starts but never says it is up */
	o.argv = quitter;
	assert_int_equal(detach_start(&o, &r, &e), -1);
	assert_string_equal(e.msg, "true exited before it started");
	assert_non_null(strstr(e.detail, logpath));
	err_clear(&e);
	/* the log cannot be made */
	o.log_path = "/nonexistent/dir/run.log";
	assert_int_equal(detach_start(&o, &r, &e), -1);
	assert_non_null(strstr(e.msg, "cannot open the run log /nonexistent/dir/run.log"));
	err_clear(&e);
	log = slurp(logpath);
	free(log);
}

/* A stand-in for systemd-run at @path: records its arguments in
 * <dir>/args and, unless @fail, runs what follows "--". */
static void stand_in(const char *path, int fail)
{
	char *text = xstrfmt("#!/bin/sh\nprintf '%%s\\n' \"$*\" > %s/args\n%s"
			     "while [ \"$1\" != -- ]; do shift; done\nshift\nexec \"$@\"\n",
			     dir, fail ? "echo 'Failed to connect to bus: No medium found' >&2\nexit 1\n"
				       : "");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	free(text);
}

static void under_systemd_the_runner_gets_a_scope(void **state)
{
	struct detach_opts o = runner_opts();
	struct detach_result r;
	struct err e = ERR_INIT;
	char *prog = xstrfmt("%s/systemd-run", dir), *args_path = xstrfmt("%s/args", dir);
	char *args, *want;
	(void)state;
	stand_in(prog, 0);
	o.systemd_root = dir; /* exists: "under systemd" */
	o.systemd_run = prog;
	o.unit = "biso-recover-20261206_153000";
	assert_int_equal(detach_start(&o, &r, &e), 0);
	assert_true(r.scoped);
	assert_null(r.note);
	args = slurp(args_path);
	want = xstrfmt("--scope --quiet --collect%s --unit=biso-recover-20261206_153000 -- %s "
		       "--runner\n", geteuid() ? " --user" : "", self);
	assert_string_equal(args, want);
	/* the stand-in exec'd the runner: same pid, and up */
	assert_true(status_mask(r.pid, "SigIgn") & (1ULL << (SIGHUP - 1)));
	kill_runner(r.pid);
	free(args);
	free(want);
	free(prog);
	free(args_path);
}

static void without_a_scope_the_runner_starts_and_the_note_says_why(void **state)
{
	struct detach_opts o = runner_opts();
	struct detach_result r;
	struct err e = ERR_INIT;
	char *prog = xstrfmt("%s/systemd-run-failing", dir), *log;
	(void)state;
	/* systemd-run runs but cannot make the scope (no bus) */
	stand_in(prog, 1);
	o.systemd_root = dir;
	o.systemd_run = prog;
	assert_int_equal(detach_start(&o, &r, &e), 0);
	assert_false(r.scoped);
	assert_non_null(strstr(r.note, "--scope failed (its message is in the run log)"));
	assert_non_null(strstr(r.note, "KillUserProcesses=yes"));
	log = slurp(logpath);
	assert_non_null(strstr(log, "Failed to connect to bus"));
	free(log);
	kill_runner(r.pid);
	free(r.note);

	/* systemd-run not installed */
	o.systemd_run = "/nonexistent/systemd-run";
	assert_int_equal(detach_start(&o, &r, &e), 0);
	assert_false(r.scoped);
	assert_non_null(strstr(r.note, "/nonexistent/systemd-run could not be started "
				       "(No such file or directory)"));
	kill_runner(r.pid);
	free(r.note);
	free(prog);
}

/* Copies @from to @to (mode 0700): 0, or -1. */
static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0700), rc = 0;
	if (in < 0 || out < 0)
		rc = -1;
	while (rc == 0 && (n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			rc = -1;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0)
		rc = -1;
	return rc;
}

/* A binary replaced while it runs (an upgrade, `make` during a wizard) still
 * names its path, not "PATH (deleted)", so that it can start a runner: a
 * copy of this program ("--replace-self") unlinks its own file, puts a new
 * one there and prints self_exe_path(). */
static void a_replaced_binary_still_names_its_path(void **state)
{
	char *copy = xstrfmt("%s/copy-of-test", dir), *cmd = NULL, *out;
	char line[PATH_MAX + 32] = "";
	FILE *f;
	(void)state;
	assert_int_equal(copy_file(self, copy), 0);
	out = xstrfmt("%s/self.out", dir);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(127);
		execl(copy, copy, "--replace-self", copy, (char *)NULL);
		_exit(127);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_non_null(f = fopen(out, "r"));
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	/* the kernel said it was deleted; ours is the copy's path */
	cmd = xstrfmt("kernel: %s (deleted) ours: %s", copy, copy);
	assert_string_equal(line, cmd);
	free(cmd);
	free(out);
	free(copy);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_runner_is_detached_from_everything),
		cmocka_unit_test(the_runner_survives_its_session_killed),
		cmocka_unit_test(the_runner_survives_its_terminal_hanging_up),
		cmocka_unit_test(a_runner_that_cannot_start_is_an_error),
		cmocka_unit_test(under_systemd_the_runner_gets_a_scope),
		cmocka_unit_test(without_a_scope_the_runner_starts_and_the_note_says_why),
		cmocka_unit_test(a_replaced_binary_still_names_its_path),
	};
	if (argc > 2 && !strcmp(argv[1], "--replace-self")) {
		char kernel[PATH_MAX], ours[PATH_MAX];
		ssize_t n;
		FILE *f;
		if (unlink(argv[2]) < 0 || !(f = fopen(argv[2], "w")) || fclose(f) != 0)
			return 2;
		if ((n = readlink("/proc/self/exe", kernel, sizeof kernel - 1)) <= 0)
			return 3;
		kernel[n] = '\0';
		if (self_exe_path(ours, sizeof ours) <= 0)
			return 4;
		printf("kernel: %s ours: %s\n", kernel, ours);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--runner")) {
		printf("runner up\n");
		fflush(stdout);
		detach_ready();
		for (;;)
			pause();
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
