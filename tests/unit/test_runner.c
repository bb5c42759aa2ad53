/*
 * Unit tests for the runner (src/engine/runner.c): a dummy flow of its own
 * driven by runner_drive() in a thread, the test being its clients over
 * the real Unix socket: a confirmation answered over the socket, a client
 * that goes away during a step (the step goes on, the runner waits at the
 * next question, the status file says so, a new client gets the backlog
 * and the question), a second client that takes over (the first turns
 * read-only and its answers no longer count), a cancel, and --yes.
 */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "flow.h"
#include "proto.h"
#include "run.h"
#include "rundir.h"
#include "runner.h"
#include "statusfile.h"
#include "strbuf.h"

/* ---- the dummy flow: "slow" waits for the test, "write" is confirmed ---- */

struct dummy {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int release;  /* "slow" may end */
	int in_slow;  /* "slow" is running */
	int written;  /* "write" ran */
};

static struct dummy the_dummy;

/* A fake monotonic clock (report_set_clock()) for the rate: "slow"
 * reports progress at its times when with_progress is set. */
static int64_t fake_ns;
static int with_progress;
static int64_t fake_clock(void) { return fake_ns; }
/* The status file's throttle clock (runner_opts.clock); NULL: monotonic. */
static int64_t (*status_clock)(void);
static int64_t frozen_ns = 1000000000LL;
static int64_t frozen_clock(void) { return frozen_ns; }

static void *dummy_create(struct run *run)
{
	(void)run;
	return &the_dummy;
}

static void dummy_release(void *data) { (void)data; }

static int slow_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct dummy *d = run_data(run);
	(void)out;
	(void)e;
	report_log(r, LOG_INFO, "slow: working");
	if (with_progress) {
		/* nothing for 5 s (a scan), then 10 MiB a second */
		struct progress p = { "copying", 0, 40 << 20, 0, 0, "bulk" };
		fake_ns += 5000000000LL;
		report_progress(r, &p, 1);
		for (int k = 1; k <= 2; k++) {
			fake_ns += 1000000000LL;
			p.done_bytes = (uint64_t)k * (10 << 20);
			report_progress(r, &p, 1);
		}
	}
	pthread_mutex_lock(&d->mu);
	d->in_slow = 1;
	pthread_cond_broadcast(&d->cv);
	while (!d->release)
		pthread_cond_wait(&d->cv, &d->mu);
	pthread_mutex_unlock(&d->mu);
	report_log(r, LOG_INFO, "slow: finished its work");
	return 0;
}

static int write_destructive(const struct run *run, struct strbuf *what)
{
	(void)run;
	if (what)
		strbuf_addstr(what, "replaces the file");
	return 1;
}

static int write_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct dummy *d = run_data(run);
	(void)out;
	(void)r;
	(void)e;
	d->written = 1;
	return 0;
}

static const struct step_def step_slow = {
	.name = "slow", .title = "Work slowly", .explain = "Waits.", .run = slow_run,
};
static const struct step_def step_write = {
	.name = "write", .title = "Write the file", .explain = "Writes.",
	.destructive = write_destructive, .run = write_run,
};
static const struct step_def *const dummy_steps[] = { &step_slow, &step_write };
static const struct flow_def dummy_flow = {
	.name = "dummy", .title = "Dummy", .steps = dummy_steps, .n_steps = 2,
	.create = dummy_create, .release = dummy_release,
};

/* ---- fixture: a run, a runner, runner_drive() in a thread ---- */

struct fx {
	char dir[64];
	char *sock, *status;
	struct conf c;
	struct run *run;
	struct runner *rn;
	pthread_t t;
	int code;
};

static void *drive(void *arg)
{
	struct fx *f = arg;
	f->code = runner_drive(f->rn, f->run);
	runner_end(f->rn, f->code, "the summary\n", 5000);
	return NULL;
}

static const char *fx_only; /* start()'s --only: NULL for every step */

static void start(struct fx *f, int yes, int ask_steps)
{
	struct err e = ERR_INIT;
	struct run_opts o = { .stamp = "20261206_120000", .only = fx_only };
	struct runner_opts ro = { 0 };
	memset(f, 0, sizeof *f);
	memset(&the_dummy, 0, sizeof the_dummy);
	pthread_mutex_init(&the_dummy.mu, NULL);
	pthread_cond_init(&the_dummy.cv, NULL);
	strcpy(f->dir, "/tmp/br-runner-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	conf_init_defaults(&f->c);
	conf_set_str(&f->c.log_dir, f->dir);
	f->run = run_new(&dummy_flow, &f->c, &o, &e);
	assert_non_null(f->run);
	assert_int_equal(run_prepare(f->run, NULL, &e), 0);
	f->sock = rundir_socket_path(f->dir, "20261206_120000", &e);
	f->status = statusfile_path(f->dir, "20261206_120000");
	ro.socket_path = f->sock;
	ro.status_path = f->status;
	ro.run_id = "20261206_120000";
	ro.flow = "dummy";
	ro.yes = yes;
	ro.ask_steps = ro.ask_failures = ask_steps;
	ro.clock = status_clock;
	f->rn = runner_start(&ro, &e);
	assert_non_null(f->rn);
	assert_int_equal(run_preflight(f->run, runner_report(f->rn), &e), 0);
	assert_int_equal(pthread_create(&f->t, NULL, drive, f), 0);
}

static int finish(struct fx *f)
{
	char *j = xstrfmt("%s/journal", f->dir);
	pthread_join(f->t, NULL);
	assert_int_equal(run_finish(f->run, f->code, runner_report(f->rn)), 0);
	runner_free(f->rn);
	run_free(f->run);
	assert_int_equal(access(f->sock, F_OK), -1); /* the socket file is gone */
	unlink(f->status);
	unlink(j);
	free(j);
	rmdir(f->dir);
	free(f->sock);
	free(f->status);
	conf_release(&f->c);
	return f->code;
}

static void release_slow(void)
{
	pthread_mutex_lock(&the_dummy.mu);
	the_dummy.release = 1;
	pthread_cond_broadcast(&the_dummy.cv);
	pthread_mutex_unlock(&the_dummy.mu);
}

static void wait_in_slow(void)
{
	pthread_mutex_lock(&the_dummy.mu);
	while (!the_dummy.in_slow)
		pthread_cond_wait(&the_dummy.cv, &the_dummy.mu);
	pthread_mutex_unlock(&the_dummy.mu);
}

/* ---- a client ---- */

struct cl {
	struct proto_conn c;
	struct strbuf logs; /* the LOG lines received, one a line */
};

static void cl_send(struct cl *c, const struct proto_msg *m)
{
	struct err e = ERR_INIT;
	int rc;
	while ((rc = proto_send(&c->c, m, &e)) == 0) {
		struct pollfd p = { c->c.fd, POLLOUT, 0 };
		poll(&p, 1, 1000);
		rc = proto_flush(&c->c, &e);
		if (rc)
			break;
	}
	assert_true(rc >= 0);
}

static void cl_open(struct cl *c, struct fx *f, const char *who, enum proto_role role)
{
	struct err e = ERR_INIT;
	struct proto_msg h = { .type = PROTO_HELLO };
	int fd = rundir_connect(f->sock, &e);
	assert_true(fd >= 0);
	assert_int_equal(proto_conn_init(&c->c, fd, &e), 0);
	strbuf_init(&c->logs, 0);
	h.u.hello.version = PROTO_VERSION;
	h.u.hello.role = role;
	h.u.hello.who = (char *)who;
	cl_send(c, &h);
}

static void cl_close(struct cl *c)
{
	close(c->c.fd);
	proto_conn_release(&c->c);
	strbuf_release(&c->logs);
}

/* The next message of @type (others: LOG lines collected, the rest
 * dropped); fails the test when the runner closes first. */
static void cl_until(struct cl *c, enum proto_type type, struct proto_msg *m)
{
	struct err e = ERR_INIT;
	for (;;) {
		int rc = proto_next(&c->c, m, &e);
		assert_true(rc >= 0);
		if (rc == 1) {
			if (m->type == PROTO_LOG) {
				strbuf_addstr(&c->logs, m->u.log.text);
				strbuf_addch(&c->logs, '\n');
			}
			if (m->type == type)
				return;
			proto_msg_clear(m);
			continue;
		}
		struct pollfd p = { c->c.fd, POLLIN, 0 };
		poll(&p, 1, 1000);
		rc = proto_read(&c->c, &e);
		if (rc == 0 && c->c.in.len == 0)
			fail_msg("the runner closed the connection before a %s", proto_type_name(type));
		assert_true(rc >= 0);
	}
}

static void cl_answer(struct cl *c, uint32_t id, const char *value)
{
	struct proto_msg a = { .type = PROTO_ANSWER };
	a.u.answer.id = id;
	a.u.answer.value = (char *)value;
	cl_send(c, &a);
}

static void status_now(struct fx *f, struct status *st)
{
	struct err e = ERR_INIT;
	memset(st, 0, sizeof *st);
	assert_int_equal(statusfile_read(f->status, st, &e), 1);
}

/* ---- tests ---- */

/* The rate is the wizard's (a sliding window, not the bytes over the
 * step's whole time); progress, item and rate of a step that ended are
 * gone from the status file at the next question. */
static void progress_is_the_running_steps_and_gone_at_a_question(void **state)
{
	struct fx f;
	struct cl a;
	struct proto_msg m;
	struct status st;
	(void)state;
	fake_ns = 100000000000LL;
	with_progress = 1;
	report_set_clock(fake_clock);
	start(&f, 0, 0);
	cl_open(&a, &f, "alice on pts/1", PROTO_ROLE_CONTROL);
	wait_in_slow();
	for (;;) {
		cl_until(&a, PROTO_PROGRESS, &m);
		if (m.u.progress.done == 20 << 20)
			break;
		proto_msg_clear(&m);
	}
	assert_int_equal(m.u.progress.rate, 10 << 20);
	proto_msg_clear(&m);
	/* the throttled write comes from the runner's loop: wait for it */
	for (;;) {
		status_now(&f, &st);
		if (st.done == 20 << 20)
			break;
		status_clear(&st);
		usleep(50000);
	}
	assert_int_equal(st.total, 40 << 20);
	assert_int_equal(st.rate, 10 << 20);
	assert_string_equal(st.item, "bulk");
	status_clear(&st);
	release_slow();
	cl_until(&a, PROTO_QUESTION, &m);
	status_now(&f, &st);
	assert_int_equal(st.state, STATUS_WAITING);
	assert_int_equal(st.step, 2);
	assert_int_equal(st.done, 0);
	assert_int_equal(st.total, 0);
	assert_int_equal(st.rate, 0);
	assert_true(!st.item || !*st.item);
	status_clear(&st);
	cl_answer(&a, m.u.question.id, "yes");
	proto_msg_clear(&m);
	cl_until(&a, PROTO_END, &m);
	proto_msg_clear(&m);
	cl_close(&a);
	assert_int_equal(finish(&f), 0);
	with_progress = 0;
	report_set_clock(NULL);
}

/* Progress within the status file's second wakes the runner's loop (it
 * goes to the clients) but writes no status file; the update the throttle
 * skipped is written once its second is up, without another call.  (The
 * loop wrote it at each wake-up, as often as progress came: 2,852 status
 * files in one backup of 100,000 files.) */
static void progress_within_the_second_writes_no_status_file(void **state)
{
	struct fx f;
	struct cl a;
	struct proto_msg m;
	struct status st;
	(void)state;
	fake_ns = 100000000000LL;
	with_progress = 1;
	report_set_clock(fake_clock);
	status_clock = frozen_clock; /* the status file's second never ends */
	start(&f, 1, 0);
	cl_open(&a, &f, "alice on pts/1", PROTO_ROLE_CONTROL);
	wait_in_slow();
	for (;;) {
		cl_until(&a, PROTO_PROGRESS, &m);
		if (m.u.progress.done == 20 << 20)
			break;
		proto_msg_clear(&m);
	}
	proto_msg_clear(&m);
	/* the loop has sent the progress; give it the time to write too */
	usleep(300000);
	status_now(&f, &st);
	assert_true(st.done != 20 << 20);
	status_clear(&st);
	/* the second is up: the loop writes the skipped update by itself */
	frozen_ns += 1000000000LL;
	for (;;) {
		status_now(&f, &st);
		if (st.done == 20 << 20)
			break;
		status_clear(&st);
		usleep(50000);
	}
	assert_string_equal(st.item, "bulk");
	status_clear(&st);
	release_slow();
	cl_until(&a, PROTO_END, &m);
	proto_msg_clear(&m);
	cl_close(&a);
	assert_int_equal(finish(&f), 0);
	status_clock = NULL;
	with_progress = 0;
	report_set_clock(NULL);
}

static void a_confirmation_is_asked_and_answered_over_the_socket(void **state)
{
	struct fx f;
	struct cl a;
	struct proto_msg m;
	struct status st;
	(void)state;
	start(&f, 0, 0);
	cl_open(&a, &f, "alice on pts/1", PROTO_ROLE_CONTROL);
	cl_until(&a, PROTO_NOTICE, &m);
	assert_int_equal(m.u.notice.kind, PROTO_NOTICE_CONTROL);
	proto_msg_clear(&m);
	release_slow();
	cl_until(&a, PROTO_QUESTION, &m);
	assert_int_equal(m.u.question.kind, PROTO_ASK_YESNO);
	assert_string_equal(m.u.question.text, "Write the file: replaces the file.");
	/* the status file says what is asked, at once */
	status_now(&f, &st);
	assert_int_equal(st.state, STATUS_WAITING);
	assert_int_equal(st.step, 2);
	assert_int_equal(st.nsteps, 2);
	assert_string_equal(st.question, "Write the file: replaces the file.");
	status_clear(&st);
	assert_false(the_dummy.written);
	/* a typo is asked again, a yes goes on */
	cl_answer(&a, m.u.question.id, "yse");
	proto_msg_clear(&m);
	cl_until(&a, PROTO_QUESTION, &m);
	assert_string_equal(m.u.question.text, "");
	assert_non_null(strstr(a.logs.buf, "the answer does not match \"yes\""));
	cl_answer(&a, m.u.question.id, "yes");
	proto_msg_clear(&m);
	cl_until(&a, PROTO_END, &m);
	assert_int_equal(m.u.end.code, 0);
	assert_string_equal(m.u.end.summary, "the summary\n");
	proto_msg_clear(&m);
	assert_non_null(strstr(a.logs.buf, "step write: the operator confirmed: replaces the file\n"));
	assert_true(the_dummy.written);
	cl_close(&a);
	assert_int_equal(finish(&f), 0);
}

/* The next VIEW of step @index in @state. */
static void cl_view(struct cl *c, uint32_t index, enum proto_step_state state, struct proto_msg *m)
{
	for (;;) {
		cl_until(c, PROTO_VIEW, m);
		if (m->u.view.index == index && m->u.view.state == state)
			return;
		proto_msg_clear(m);
	}
}

/* With ask_steps (the wizard's runner) every step is asked first, its VIEW
 * before the question; a skip skips it, a "no" at the confirmation asks
 * the step again instead of stopping. */
/* A run of some of the flow's steps (--only, or --resume of the steps
 * left) numbers them as the flow, the plan and the wizard do: the status
 * file and the question say "step 2 of 2", not "1 of 1" (status said
 * "step 1/3 Restore the database" while the wizard said "Step 4 of 6"). */
static void a_run_of_some_steps_keeps_the_flows_numbering(void **state)
{
	struct fx f;
	struct cl a;
	struct proto_msg m;
	struct status st;
	(void)state;
	fx_only = "write";
	start(&f, 0, 1);
	fx_only = NULL;
	cl_open(&a, &f, "alice on pts/1", PROTO_ROLE_CONTROL);
	cl_until(&a, PROTO_QUESTION, &m);
	assert_int_equal(m.u.question.kind, PROTO_ASK_STEP);
	assert_non_null(strstr(m.u.question.text, "Step 2 of 2: Write the file"));
	status_now(&f, &st);
	assert_int_equal(st.state, STATUS_WAITING);
	assert_int_equal(st.step, 2);
	assert_int_equal(st.nsteps, 2);
	assert_string_equal(st.step_title, "Write the file");
	status_clear(&st);
	cl_answer(&a, m.u.question.id, "run");
	proto_msg_clear(&m);
	cl_until(&a, PROTO_QUESTION, &m);
	assert_int_equal(m.u.question.kind, PROTO_ASK_YESNO);
	cl_answer(&a, m.u.question.id, "y");
	proto_msg_clear(&m);
	cl_until(&a, PROTO_END, &m);
	assert_int_equal(m.u.end.code, 0);
	proto_msg_clear(&m);
	cl_close(&a);
	assert_int_equal(finish(&f), 0);
	assert_true(the_dummy.written);
}

static void ask_steps_asks_before_every_step(void **state)
{
	struct fx f;
	struct cl a;
	struct proto_msg m;
	struct status st;
	(void)state;
	start(&f, 0, 1);
	cl_open(&a, &f, "alice on pts/1", PROTO_ROLE_CONTROL);
	cl_view(&a, 0, PROTO_STEP_WAITING, &m);
	assert_int_equal(m.u.view.count, 2);
	assert_string_equal(proto_view_get(&m, "title", 0), "Work slowly");
	assert_string_equal(proto_view_get(&m, "explain", 0), "Waits.");
	assert_null(proto_view_get(&m, "what", 0));
	proto_msg_clear(&m);
	cl_until(&a, PROTO_QUESTION, &m);
	assert_int_equal(m.u.question.kind, PROTO_ASK_STEP);
	assert_non_null(strstr(m.u.question.text, "Step 1 of 2: Work slowly\n\nWaits."));
	status_now(&f, &st);
	assert_int_equal(st.state, STATUS_WAITING);
	assert_string_equal(st.question, "Step 1 of 2: Work slowly"); /* its first line */
	status_clear(&st);
	cl_answer(&a, m.u.question.id, "skip");
	proto_msg_clear(&m);
	cl_view(&a, 1, PROTO_STEP_WAITING, &m);
	assert_string_equal(proto_view_get(&m, "what", 0), "replaces the file");
	proto_msg_clear(&m);
	cl_until(&a, PROTO_QUESTION, &m);
	assert_int_equal(m.u.question.kind, PROTO_ASK_STEP);
	cl_answer(&a, m.u.question.id, "run");
	proto_msg_clear(&m);
	cl_until(&a, PROTO_QUESTION, &m);
	assert_int_equal(m.u.question.kind, PROTO_ASK_YESNO);
	cl_answer(&a, m.u.question.id, "n");
	proto_msg_clear(&m);
	cl_until(&a, PROTO_QUESTION, &m); /* not confirmed: the step again */
	assert_int_equal(m.u.question.kind, PROTO_ASK_STEP);
	assert_false(the_dummy.written);
	cl_answer(&a, m.u.question.id, "run");
	proto_msg_clear(&m);
	cl_until(&a, PROTO_QUESTION, &m);
	cl_answer(&a, m.u.question.id, "y");
	proto_msg_clear(&m);
	cl_until(&a, PROTO_END, &m);
	assert_int_equal(m.u.end.code, 0);
	proto_msg_clear(&m);
	assert_false(the_dummy.in_slow);
	assert_true(the_dummy.written);
	assert_non_null(strstr(a.logs.buf, "runner: step slow skipped by the operator\n"));
	cl_close(&a);
	assert_int_equal(finish(&f), 0);
}

static void a_dropped_client_decides_nothing_and_a_new_one_gets_the_backlog(void **state)
{
	struct fx f;
	struct cl a, b;
	struct proto_msg m;
	struct status st;
	(void)state;
	start(&f, 0, 0);
	cl_open(&a, &f, "alice on pts/1", PROTO_ROLE_CONTROL);
	cl_until(&a, PROTO_NOTICE, &m);
	proto_msg_clear(&m);
	wait_in_slow();
	cl_close(&a); /* the SSH connection drops during the step */
	release_slow(); /* ... which goes on to its end */
	/* the runner waits at the next question: the status file says so */
	for (;;) {
		status_now(&f, &st);
		if (st.state == STATUS_WAITING)
			break;
		assert_int_equal(st.state, STATUS_RUNNING);
		status_clear(&st);
		usleep(10000);
	}
	assert_string_equal(st.step_title, "Write the file");
	status_clear(&st);
	assert_false(the_dummy.written);
	cl_open(&b, &f, "bob on pts/2", PROTO_ROLE_CONTROL);
	cl_until(&b, PROTO_NOTICE, &m);
	assert_int_equal(m.u.notice.kind, PROTO_NOTICE_CONTROL);
	proto_msg_clear(&m);
	/* the backlog came first: what the step said while no one watched */
	assert_non_null(strstr(b.logs.buf, "slow: working\n"));
	assert_non_null(strstr(b.logs.buf, "slow: finished its work\n"));
	cl_until(&b, PROTO_QUESTION, &m);
	assert_string_equal(m.u.question.text, "Write the file: replaces the file.");
	cl_answer(&b, m.u.question.id, "y");
	proto_msg_clear(&m);
	cl_until(&b, PROTO_END, &m);
	assert_int_equal(m.u.end.code, 0);
	proto_msg_clear(&m);
	cl_close(&b);
	assert_int_equal(finish(&f), 0);
	assert_true(the_dummy.written);
}

static void a_second_client_takes_over_and_the_first_turns_read_only(void **state)
{
	struct fx f;
	struct cl a, b;
	struct proto_msg m;
	uint32_t qid;
	(void)state;
	start(&f, 0, 0);
	cl_open(&a, &f, "alice on pts/1", PROTO_ROLE_CONTROL);
	cl_until(&a, PROTO_NOTICE, &m);
	proto_msg_clear(&m);
	release_slow();
	cl_until(&a, PROTO_QUESTION, &m);
	qid = m.u.question.id;
	proto_msg_clear(&m);
	cl_open(&b, &f, "bob on pts/2", PROTO_ROLE_CONTROL);
	cl_until(&b, PROTO_NOTICE, &m);
	assert_int_equal(m.u.notice.kind, PROTO_NOTICE_READ_ONLY);
	assert_non_null(strstr(m.u.notice.text, "alice on pts/1 since "));
	proto_msg_clear(&m);
	/* the read-only client's answer does not count */
	cl_answer(&b, qid, "n");
	{
		struct proto_msg t = { .type = PROTO_TAKEOVER };
		cl_send(&b, &t);
	}
	cl_until(&a, PROTO_NOTICE, &m);
	assert_int_equal(m.u.notice.kind, PROTO_NOTICE_TAKEN_OVER);
	assert_string_equal(m.u.notice.text, "bob on pts/2");
	proto_msg_clear(&m);
	cl_until(&b, PROTO_NOTICE, &m);
	assert_int_equal(m.u.notice.kind, PROTO_NOTICE_CONTROL);
	proto_msg_clear(&m);
	cl_until(&b, PROTO_QUESTION, &m); /* the pending question, again */
	assert_int_equal(m.u.question.id, qid);
	proto_msg_clear(&m);
	/* now alice is read-only: her no does not stop the run */
	cl_answer(&a, qid, "n");
	cl_answer(&b, qid, "yes");
	cl_until(&b, PROTO_END, &m);
	assert_int_equal(m.u.end.code, 0);
	proto_msg_clear(&m);
	cl_until(&a, PROTO_END, &m); /* the watcher sees the end too */
	proto_msg_clear(&m);
	cl_close(&a);
	cl_close(&b);
	assert_int_equal(finish(&f), 0);
	assert_true(the_dummy.written);
}

/* Three answers that do not match end the run apart from a Ctrl-C or a
 * "no" (newcomer 8.13: "cancelled by the operator", exit 130): exit
 * RUNNER_EXIT_MISMATCH, the stop's reason says why and that nothing more
 * was changed, the step did not run. */
static void three_wrong_answers_end_the_run_not_as_a_cancel(void **state)
{
	struct fx f;
	struct cl a;
	struct proto_msg m;
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	start(&f, 0, 0);
	cl_open(&a, &f, "alice", PROTO_ROLE_CONTROL);
	release_slow();
	for (int k = 0; k < RUNNER_TRIES; k++) {
		cl_until(&a, PROTO_QUESTION, &m);
		cl_answer(&a, m.u.question.id, "yse");
		proto_msg_clear(&m);
	}
	cl_until(&a, PROTO_END, &m);
	assert_int_equal(m.u.end.code, RUNNER_EXIT_MISMATCH);
	assert_int_not_equal(RUNNER_EXIT_MISMATCH, 130);
	proto_msg_clear(&m);
	assert_non_null(strstr(a.logs.buf, "not confirmed: the typed confirmation did not match 3 "
					   "times; stopping before step write, nothing more was "
					   "changed"));
	assert_null(strstr(a.logs.buf, "cancelled by the operator"));
	assert_false(the_dummy.written);
	assert_int_equal(run_stopped(f.run), REPORT_STOP_MISMATCH);
	assert_string_equal(report_reason(run_stopped(f.run)),
			    "the typed confirmation did not match 3 times: nothing more was changed");
	run_end_text(f.run, RUNNER_EXIT_MISMATCH, &sb);
	assert_string_equal(sb.buf, "not confirmed (exit 7): the typed confirmation did not match "
				    "3 times; nothing more was changed");
	strbuf_release(&sb);
	cl_close(&a);
	assert_int_equal(finish(&f), RUNNER_EXIT_MISMATCH);
}

static void a_cancel_at_a_question_stops_the_run(void **state)
{
	struct fx f;
	struct cl a;
	struct proto_msg m, c = { .type = PROTO_CANCEL };
	struct status st;
	(void)state;
	start(&f, 0, 0);
	cl_open(&a, &f, "alice", PROTO_ROLE_CONTROL);
	release_slow();
	cl_until(&a, PROTO_QUESTION, &m);
	proto_msg_clear(&m);
	c.u.cancel.why = REPORT_STOP_SIGNAL(2);
	cl_send(&a, &c);
	cl_until(&a, PROTO_END, &m);
	assert_int_equal(m.u.end.code, 130);
	proto_msg_clear(&m);
	assert_non_null(strstr(a.logs.buf, "stopping before step write: "));
	assert_false(the_dummy.written);
	assert_int_equal(run_stopped(f.run), REPORT_STOP_SIGNAL(2));
	status_now(&f, &st);
	assert_int_equal(st.state, STATUS_FINISHED);
	assert_int_equal(st.exit_code, 130);
	status_clear(&st);
	cl_close(&a);
	assert_int_equal(finish(&f), 130);
}

static void with_yes_no_client_is_needed(void **state)
{
	struct fx f;
	struct cl a;
	struct proto_msg m;
	struct status st;
	(void)state;
	start(&f, 1, 0);
	release_slow();
	/* the starter attaches only at the end: it still gets the end */
	pthread_mutex_lock(&the_dummy.mu);
	pthread_mutex_unlock(&the_dummy.mu);
	for (;;) {
		status_now(&f, &st);
		if (st.state == STATUS_FINISHED)
			break;
		status_clear(&st);
		usleep(10000);
	}
	assert_int_equal(st.exit_code, 0);
	status_clear(&st);
	cl_open(&a, &f, "alice", PROTO_ROLE_CONTROL);
	cl_until(&a, PROTO_END, &m);
	assert_int_equal(m.u.end.code, 0);
	proto_msg_clear(&m);
	assert_non_null(strstr(a.logs.buf, "slow: finished its work\n"));
	cl_close(&a);
	assert_int_equal(finish(&f), 0);
	assert_true(the_dummy.written);
}

/* The runner's HELLO names the run by a copy of its id: a refused run is
 * freed (its stamp with it) while a client attaches to hear why
 * (heap-use-after-free under ASan in the detached runner before). */
static void the_runner_keeps_its_own_copy_of_the_run_id(void **state)
{
	struct fx f;
	struct cl a;
	struct proto_msg m;
	struct err e = ERR_INIT;
	struct runner_opts ro = { 0 };
	char *id = xstrdup("20261206_130000");
	(void)state;
	memset(&f, 0, sizeof f);
	strcpy(f.dir, "/tmp/br-runner-XXXXXX");
	assert_non_null(mkdtemp(f.dir));
	f.sock = rundir_socket_path(f.dir, id, &e);
	ro.socket_path = f.sock;
	ro.run_id = id;
	ro.flow = "dummy";
	f.rn = runner_start(&ro, &e);
	assert_non_null(f.rn);
	memset(id, 'X', strlen(id)); /* the run and its stamp are gone */
	free(id);
	cl_open(&a, &f, "alice", PROTO_ROLE_CONTROL);
	cl_until(&a, PROTO_HELLO, &m);
	assert_string_equal(m.u.hello.who, "20261206_130000");
	proto_msg_clear(&m);
	runner_end(f.rn, 2, "refused", 100);
	cl_until(&a, PROTO_END, &m);
	assert_int_equal(m.u.end.code, 2);
	proto_msg_clear(&m);
	cl_close(&a);
	runner_free(f.rn);
	rmdir(f.dir);
	free(f.sock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_confirmation_is_asked_and_answered_over_the_socket),
		cmocka_unit_test(three_wrong_answers_end_the_run_not_as_a_cancel),
		cmocka_unit_test(progress_is_the_running_steps_and_gone_at_a_question),
		cmocka_unit_test(progress_within_the_second_writes_no_status_file),
		cmocka_unit_test(ask_steps_asks_before_every_step),
		cmocka_unit_test(a_run_of_some_steps_keeps_the_flows_numbering),
		cmocka_unit_test(a_dropped_client_decides_nothing_and_a_new_one_gets_the_backlog),
		cmocka_unit_test(a_second_client_takes_over_and_the_first_turns_read_only),
		cmocka_unit_test(a_cancel_at_a_question_stops_the_run),
		cmocka_unit_test(with_yes_no_client_is_needed),
		cmocka_unit_test(the_runner_keeps_its_own_copy_of_the_run_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
