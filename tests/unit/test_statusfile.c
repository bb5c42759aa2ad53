/* Unit tests for the status file: what is written is read back, writes are
 * throttled to one a second (a fake clock), the file is replaced whole, a
 * cut or garbled file is an error naming the file and line. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fsrestore.h"
#include "statusfile.h"
#include "strbuf.h"

static char dir[] = "/tmp/br-status-XXXXXX";
static int64_t fake_now;

static int64_t fake_clock(void)
{
	return fake_now;
}

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

static void sample(struct status *st)
{
	memset(st, 0, sizeof *st);
	st->run_id = "20261206_153000";
	st->flow = "restore";
	st->pid = 4242;
	st->start = 1796570000;
	st->state = STATUS_RUNNING;
	st->step = 4;
	st->nsteps = 7;
	st->step_title = "database";
	st->step_state = "running";
	st->done = 5ULL << 32;
	st->total = 9ULL << 32;
	st->rate = 47185920;
	st->item = "public.documents";
	st->log = "ERROR:  a \\ backslash\nand a second line";
}

static void what_is_written_is_read_back(void **state)
{
	struct statusfile sf;
	struct status st, got;
	struct err e = ERR_INIT;
	struct stat sb;
	char *path = statusfile_path(dir, "20261206_153000"), *tmp = xstrfmt("%s.tmp", path);
	(void)state;
	sample(&st);
	statusfile_init(&sf, path);
	assert_int_equal(statusfile_update(&sf, &st, 0, &e), 1);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(access(tmp, F_OK), -1);

	memset(&got, 0, sizeof got);
	assert_int_equal(statusfile_read(path, &got, &e), 1);
	assert_string_equal(got.run_id, "20261206_153000");
	assert_string_equal(got.flow, "restore");
	assert_int_equal(got.pid, 4242);
	assert_int_equal(got.start, 1796570000);
	assert_int_equal(got.state, STATUS_RUNNING);
	assert_int_equal(got.step, 4);
	assert_int_equal(got.nsteps, 7);
	assert_string_equal(got.step_title, "database");
	assert_string_equal(got.step_state, "running");
	assert_true(got.done == 5ULL << 32);
	assert_true(got.total == 9ULL << 32);
	assert_int_equal(got.rate, 47185920);
	assert_string_equal(got.item, "public.documents");
	assert_string_equal(got.log, st.log);
	assert_string_equal(got.question, "");
	assert_null(got.resume); /* none given: the key is not written */
	assert_true(got.updated > 0);

	/* waiting, then finished: forced, so written at once */
	st.state = STATUS_WAITING;
	st.question = "Type the database name (biso) to replace it";
	assert_int_equal(statusfile_update(&sf, &st, 1, &e), 1);
	assert_int_equal(statusfile_read(path, &got, &e), 1);
	assert_int_equal(got.state, STATUS_WAITING);
	assert_string_equal(got.question, st.question);
	st.state = STATUS_FINISHED;
	st.exit_code = 3;
	assert_int_equal(statusfile_update(&sf, &st, 1, &e), 1);
	assert_int_equal(statusfile_read(path, &got, &e), 1);
	assert_int_equal(got.state, STATUS_FINISHED);
	assert_int_equal(got.exit_code, 3);
	assert_string_equal(got.question, ""); /* only while waiting */
	/* the command that continues the run, with its options quoted */
	st.resume = "biso-recover restore --resume --config '/etc/biso recover.conf'";
	assert_int_equal(statusfile_update(&sf, &st, 1, &e), 1);
	assert_int_equal(statusfile_read(path, &got, &e), 1);
	assert_string_equal(got.resume, st.resume);
	status_clear(&got);
	statusfile_release(&sf);
	free(path);
	free(tmp);
}

static void writes_are_throttled_to_one_a_second(void **state)
{
	struct statusfile sf;
	struct status st, got;
	struct err e = ERR_INIT;
	struct stat a, b;
	char *path = statusfile_path(dir, "20261206_160000");
	(void)state;
	sample(&st);
	memset(&got, 0, sizeof got);
	statusfile_init(&sf, path);
	sf.clock = fake_clock;
	fake_now = 5000000000;
	assert_int_equal(statusfile_update(&sf, &st, 0, &e), 1); /* the first: always */
	assert_int_equal(stat(path, &a), 0);
	assert_int_equal(statusfile_due_ms(&sf), -1); /* nothing skipped */

	fake_now += 700000000;
	st.step = 5;
	assert_int_equal(statusfile_update(&sf, &st, 0, &e), 0);
	assert_true(sf.deferred);
	/* the skipped update is due when the second is up, not before */
	assert_int_equal(statusfile_due_ms(&sf), 300);
	fake_now += 299999999;
	assert_int_equal(statusfile_due_ms(&sf), 1);
	assert_int_equal(statusfile_update(&sf, &st, 0, &e), 0);
	assert_int_equal(statusfile_read(path, &got, &e), 1);
	assert_int_equal(got.step, 4); /* not yet */

	fake_now += 1;
	assert_int_equal(statusfile_due_ms(&sf), 0);
	assert_int_equal(statusfile_update(&sf, &st, 0, &e), 1);
	assert_false(sf.deferred);
	assert_int_equal(statusfile_read(path, &got, &e), 1);
	assert_int_equal(got.step, 5);
	/* replaced, not rewritten: a reader holding the old file keeps it whole */
	assert_int_equal(stat(path, &b), 0);
	assert_true(a.st_ino != b.st_ino);

	fake_now += 1;
	st.step = 6;
	assert_int_equal(statusfile_update(&sf, &st, 1, &e), 1); /* forced */
	assert_int_equal(statusfile_read(path, &got, &e), 1);
	assert_int_equal(got.step, 6);
	status_clear(&got);
	statusfile_release(&sf);
	free(path);
}

/* Write @text as the status file; reading it must fail at @line with
 * @want in the message. */
static void bad(const char *text, long line, const char *want)
{
	char *path = xstrfmt("%s/bad.status", dir);
	struct status got;
	struct err e = ERR_INIT;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	memset(&got, 0, sizeof got);
	assert_int_equal(statusfile_read(path, &got, &e), -1);
	assert_non_null(e.msg);
	if (!strstr(e.msg, want) || !strstr(e.msg, path))
		fail_msg("expected \"%s\" and the path in \"%s\"", want, e.msg);
	assert_string_equal(e.file, path);
	assert_int_equal(e.line, line);
	assert_null(got.run_id);
	err_clear(&e);
	free(path);
}

#define GOOD_HEAD "biso-recover-status 1\nrun_id=20261206_153000\nflow=restore\n"

static void a_cut_or_garbled_file_is_an_error_naming_file_and_line(void **state)
{
	struct status got;
	struct err e = ERR_INIT;
	char *missing = xstrfmt("%s/none.status", dir);
	(void)state;
	bad("", 1, "the file is empty");
	bad("PK\x03\x04 not ours\n", 1, "not a status file");
	bad(GOOD_HEAD "pid=4242\nstart=1796570000\nstate=runn", 6, "ends inside this line (cut off)");
	bad(GOOD_HEAD "pid=4242\nstart=1796570000\nstate=running\n", 6,
	    "ends before end-of-status (cut off)");
	bad(GOOD_HEAD "pid=42x\n", 4, "bad value for pid");
	bad(GOOD_HEAD "pid=4242\nstart=1796570000\nstate=sleeping\n", 6, "bad value for state");
	bad(GOOD_HEAD "pid=4242\nstart=1796570000\nstate=running\ndone=-1\n", 7,
	    "bad value for done");
	bad(GOOD_HEAD "log=a \\q\n", 4, "bad value for log");
	bad(GOOD_HEAD "garbage without equals\n", 4, "not a key=value line");
	bad(GOOD_HEAD "pid=4242\nstart=1796570000\nstate=running\nend-of-status\nx=1\n", 8,
	    "a line after end-of-status");
	bad(GOOD_HEAD "pid=4242\nstart=1796570000\nstate=finished\nend-of-status\n", 0,
	    "lacks the exit code of a finished run");
	bad(GOOD_HEAD "start=1796570000\nstate=running\nend-of-status\n", 0, "lacks pid");
	/* a newer writer's key is skipped */
	{
		char *path = xstrfmt("%s/new.status", dir);
		const char *text = GOOD_HEAD "pid=4242\nstart=1796570000\nstate=finished\nexit=0\n"
					     "colour=green\nend-of-status\n";
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
		close(fd);
		memset(&got, 0, sizeof got);
		assert_int_equal(statusfile_read(path, &got, &e), 1);
		assert_int_equal(got.exit_code, 0);
		status_clear(&got);
		unlink(path);
		free(path);
	}
	/* a NUL byte: refused with its byte offset (found by fuzz_statusfile) */
	{
		char *path = xstrfmt("%s/nul.status", dir);
		const char text[] = GOOD_HEAD "pid=42\0\0start=1\n";
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)sizeof text - 1);
		close(fd);
		memset(&got, 0, sizeof got);
		assert_int_equal(statusfile_read(path, &got, &e), -1);
		assert_non_null(strstr(e.msg, "holds a NUL byte"));
		assert_string_equal(e.file, path);
		assert_int_equal(e.offset, (int64_t)strlen(GOOD_HEAD "pid=42"));
		err_clear(&e);
		unlink(path);
		free(path);
	}
	memset(&got, 0, sizeof got);
	assert_int_equal(statusfile_read(missing, &got, &e), 0);
	free(missing);
	{
		char *path = xstrfmt("%s/bad.status", dir);
		unlink(path);
		free(path);
	}
}

static void the_newest_run_is_found(void **state)
{
	struct err e = ERR_INIT;
	char *sub = xstrfmt("%s/logs", dir), *p, *found = NULL;
	const char *names[] = { "biso-recover-20261205_020000.status",
				"biso-recover-20261206_153000.status",
				"biso-recover-20261206_090000.status", "biso-recover-20261207_000000.log",
				"other-20301231_000000.status" };
	(void)state;
	assert_int_equal(statusfile_latest(sub, &found, &e), 0); /* no log dir yet */
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(statusfile_latest(sub, &found, &e), 0);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		int fd;
		p = xstrfmt("%s/%s", sub, names[i]);
		fd = open(p, O_WRONLY | O_CREAT, 0600);
		close(fd);
		free(p);
	}
	assert_int_equal(statusfile_latest(sub, &found, &e), 1);
	p = xstrfmt("%s/biso-recover-20261206_153000.status", sub);
	assert_string_equal(found, p);
	free(p);
	free(found);
	free(sub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(what_is_written_is_read_back),
		cmocka_unit_test(writes_are_throttled_to_one_a_second),
		cmocka_unit_test(a_cut_or_garbled_file_is_an_error_naming_file_and_line),
		cmocka_unit_test(the_newest_run_is_found),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
