/* Unit tests for onexit: the cleanups for the paths that end the process.
 * Each test runs in a forked child, which has a list of its own; the child
 * writes what ran to a pipe and the parent reads how it ended. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "onexit.h"
#include "strbuf.h"

static int out_fd = -1;

/* A cleanup: its name on the pipe. */
static void say(void *arg)
{
	const char *name = arg;
	(void)!write(out_fd, name, strlen(name));
}

/* Run @child in a forked process; its pipe output into @out, the wait
 * status returned. */
static int in_child(void (*child)(void), char *out, size_t size)
{
	int pfd[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		out_fd = pfd[1];
		child();
		_exit(0);
	}
	close(pfd[1]);
	while (len + 1 < size && (n = read(pfd[0], out + len, size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static struct onexit a, b, c;

static void push_three_remove_middle(void)
{
	onexit_push(&a, say, "a");
	onexit_push(&b, say, "b");
	onexit_push(&c, say, "c");
	onexit_remove(&b);
	onexit_remove(&b); /* twice: nothing */
}

static void child_runs_twice(void)
{
	push_three_remove_middle();
	onexit_run();
	onexit_run(); /* once per process */
}

static void onexit_runs_newest_first_once(void **state)
{
	char out[64];
	int st = in_child(child_runs_twice, out, sizeof out);
	(void)state;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_string_equal(out, "ca");
}

static void child_forks(void)
{
	pid_t pid;
	push_three_remove_middle();
	pid = fork();
	if (pid == 0) {
		onexit_run(); /* not its list: the parent's terminal */
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	(void)!write(out_fd, "|", 1);
	onexit_run();
}

static void onexit_runs_only_in_the_process_that_pushed(void **state)
{
	char out[64];
	int st = in_child(child_forks, out, sizeof out);
	(void)state;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_string_equal(out, "|ca");
}

static void child_gets_sigterm(void)
{
	onexit_catch_signals();
	push_three_remove_middle();
	raise(SIGTERM);
	(void)!write(out_fd, "survived", 8);
}

static void onexit_a_fatal_signal_runs_the_list_and_still_kills(void **state)
{
	char out[64];
	int st = in_child(child_gets_sigterm, out, sizeof out);
	(void)state;
	assert_string_equal(out, "ca");
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGTERM);
}

static void child_ignores_sighup(void)
{
	signal(SIGHUP, SIG_IGN); /* as under nohup */
	onexit_catch_signals();
	push_three_remove_middle();
	raise(SIGHUP);
	(void)!write(out_fd, "survived", 8);
}

static void onexit_an_ignored_signal_stays_ignored(void **state)
{
	char out[64];
	int st = in_child(child_ignores_sighup, out, sizeof out);
	(void)state;
	assert_string_equal(out, "survived");
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void child_segfaults(void)
{
	/* a page no access is allowed to: a real fault, and no undefined
	 * behaviour for UBSan to stop at first (a store through NULL is) */
	volatile int *none = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	signal(SIGSEGV, SIG_DFL); /* not a sanitizer's report: the default */
	onexit_catch_signals();
	push_three_remove_middle();
	if (none != MAP_FAILED)
		*none = 1;
	(void)!write(out_fd, "survived", 8);
}

static void onexit_a_fault_runs_the_list_and_still_kills(void **state)
{
	char out[64];
	int st = in_child(child_segfaults, out, sizeof out);
	(void)state;
	assert_string_equal(out, "ca");
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
}

static void child_runs_out_of_memory(void)
{
	volatile size_t huge = SIZE_MAX / 2;
	push_three_remove_middle();
	close(STDERR_FILENO); /* the message is not this test's business */
	free(xmalloc(huge));
	(void)!write(out_fd, "survived", 8);
}

static void onexit_out_of_memory_runs_the_list_then_aborts(void **state)
{
	char out[64];
	int st;
	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	/* ASan reports a huge malloc itself and exits: no NULL to handle */
	skip();
#endif
	st = in_child(child_runs_out_of_memory, out, sizeof out);
	assert_string_equal(out, "ca");
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(onexit_runs_newest_first_once),
		cmocka_unit_test(onexit_runs_only_in_the_process_that_pushed),
		cmocka_unit_test(onexit_a_fatal_signal_runs_the_list_and_still_kills),
		cmocka_unit_test(onexit_an_ignored_signal_stays_ignored),
		cmocka_unit_test(onexit_a_fault_runs_the_list_and_still_kills),
		cmocka_unit_test(onexit_out_of_memory_runs_the_list_then_aborts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
