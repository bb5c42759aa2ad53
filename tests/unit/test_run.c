/*
 * Unit tests for the engine (src/engine): a dummy flow of two steps,
 * defined here and nowhere else, driven through line mode (ui/batch.c),
 * the dry-run plan, --only, the journal, the summary and the exit codes.
 * That it needs no change outside this file is the point: a new flow is
 * one table.
 */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "flow.h"
#include "frontend.h"
#include "i18n.h"
#include "journal.h"
#include "timestamp.h"
#include "run.h"
#include "strbuf.h"
#include "unit_german.h"

/* ---- the dummy flow: "write" creates a file, "check" reads it ---- */

struct dummy {
	struct run *run;
	char *file;          /* what "write" creates */
	int fail_check;      /* "check" fails */
	int no_hint;         /* ... without a hint of its own */
	int refuse;          /* "write" reports refused members */
	int skip_check;      /* policy: "check" is skipped */
	int prepared, preflighted, stops, finished, cleanups;
	char order[8];       /* cleanups and finish, in the order they ran */
	int check_fails;     /* the slow check refuses */
	int staged;          /* atomic: "stage" built its staging file */
	int check_saw_stage; /* the slow check ran while it existed */
	char *found;         /* the slow check's finding: only its thread writes it */
	char *shown;         /* what the steps and screens read: slow_checks_done's */
	int stops_at_wait;   /* services stopped when the slow check was waited for */
	int done_on_thread;  /* slow_checks_done ran on the run's thread */
};

static struct dummy *the_dummy; /* the test's view of the run's state */

static void *dummy_create(struct run *run)
{
	struct dummy *d = the_dummy;
	d->run = run;
	return d;
}

static void dummy_release(void *data) { (void)data; }

static int dummy_prepare(struct run *run, struct report *r, struct err *e)
{
	(void)r;
	(void)e;
	((struct dummy *)run_data(run))->prepared++;
	return 0;
}

static int dummy_preflight(struct run *run, struct report *r, struct err *e)
{
	(void)r;
	(void)e;
	((struct dummy *)run_data(run))->preflighted++;
	return 0;
}

static int dummy_preflight_later(struct run *run, struct report *r, struct err *e)
{
	run_checks_later(run);
	return dummy_preflight(run, r, e);
}

static int dummy_stop(struct run *run, struct report *r, struct err *e)
{
	(void)r;
	(void)e;
	((struct dummy *)run_data(run))->stops++;
	return 0;
}

static int dummy_finish(struct run *run, struct report *r)
{
	struct dummy *d = run_data(run);
	(void)r;
	d->finished++;
	strcat(d->order, "F");
	return 0;
}

static void write_describe(const struct run *run, struct strbuf *out)
{
	strbuf_addf(out, "target: %s\n", ((struct dummy *)run_data(run))->file);
}

static int write_destructive(const struct run *run, struct strbuf *what)
{
	if (what)
		strbuf_addf(what, "replaces %s", ((struct dummy *)run_data(run))->file);
	return 1;
}

static void write_manual(const struct run *run, struct strbuf *out)
{
	strbuf_addf(out, "     $ touch %s\n", ((struct dummy *)run_data(run))->file);
}

static const char *write_word(const struct run *run)
{
	(void)run;
	return "file";
}

static int write_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct dummy *d = run_data(run);
	FILE *f = fopen(d->file, "w");
	if (!f)
		return err_errno(e, errno, "cannot create %s", d->file);
	fputs("written\n", f);
	fclose(f);
	report_log(r, LOG_WARN, "a warning the summary counts");
	out->summary = xstrdup("1 file");
	out->kept_as = xstrfmt("%s.old", d->file);
	out->source = xstrdup("backup-1");
	out->refused = d->refuse;
	return 0;
}

static void write_cleanup(struct run *run, struct report *r)
{
	struct dummy *d = run_data(run);
	(void)r;
	d->cleanups++;
	strcat(d->order, "W");
}

static int check_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct dummy *d = run_data(run);
	struct stat st;
	(void)r;
	if (d->fail_check || stat(d->file, &st) < 0) {
		err_set(e, "the file is not right");
		if (!d->no_hint)
			err_hint(e, "Write it again.");
		return -1;
	}
	out->summary = xstrdup("checked");
	return 0;
}

static const char *check_skip(const struct run *run)
{
	return ((struct dummy *)run_data(run))->skip_check ? "not wanted here" : NULL;
}

static const char *check_hint(const struct run *run, size_t step)
{
	(void)run;
	return step == 1 ? "flow hint" : NULL;
}

static const struct step_def step_write = {
	.name = "write", .title = "Write the file", .explain = "Writes it.",
	.flags = STEP_F_STOPS_SERVICES | STEP_F_FILES,
	.describe = write_describe, .destructive = write_destructive, .manual = write_manual,
	.confirm_word = write_word, .confirm_label = "the file's name",
	.run = write_run, .cleanup = write_cleanup,
};
static const struct step_def step_check = {
	.name = "check", .title = "Check the file", .explain = "Reads it.",
	.run = check_run, .skip = check_skip,
};
static const struct step_def *const dummy_steps[] = { &step_write, &step_check };
/* The same check as a step that only reads (the restore's verification). */
static const struct step_def step_verify = {
	.name = "check", .title = "Check the file", .explain = "Reads it.",
	.flags = STEP_F_READS_ONLY, .run = check_run,
};
static const struct step_def *const verify_steps[] = { &step_write, &step_verify };
/* The plan a resumed run must follow, in the journal's start record. */
static void dummy_journal_plan(const struct run *run, struct strbuf *out)
{
	(void)run;
	strbuf_addstr(out, "source=backup-1\ntaken=2026-12-06 02:00\n");
}

static void dummy_interrupted_at(const struct run *run, size_t step, const char *stamp,
				 struct strbuf *out)
{
	(void)run;
	/* a msgid of the catalogue: the German test sees it translated */
	strbuf_addf(out, "%s (step %zu of %s)", _("during the replay"), step, stamp);
}

static const struct flow_def dummy_flow = {
	.name = "dummy", .title = "Dummy", .steps = dummy_steps, .n_steps = 2,
	.create = dummy_create, .release = dummy_release, .prepare = dummy_prepare,
	.preflight = dummy_preflight, .stop_services = dummy_stop, .finish = dummy_finish,
	.failure_hint = check_hint, .journal_plan = dummy_journal_plan,
	.interrupted_at = dummy_interrupted_at,
};

/* The same flow, whole or nothing (a backup's kind). */
static const struct flow_def dummy_flow_whole = {
	.name = "dummy", .title = "Dummy", .steps = dummy_steps, .n_steps = 2,
	.create = dummy_create, .release = dummy_release, .prepare = dummy_prepare,
	.preflight = dummy_preflight, .whole = 1,
};

/* The same flow saying what it writes, for a drill's guard. */
static const char *dummy_target_path, *dummy_target_server;
static void dummy_targets(const struct run *run, struct strbuf *out)
{
	(void)run;
	strbuf_addf(out, "path %s\nserver %s\n", dummy_target_path, dummy_target_server);
}
static const struct flow_def dummy_flow_targets = {
	.name = "dummy", .title = "Dummy", .steps = dummy_steps, .n_steps = 2,
	.create = dummy_create, .release = dummy_release, .prepare = dummy_prepare,
	.preflight = dummy_preflight, .targets = dummy_targets,
};

/* The same flow with a slow check and a first step that builds a staging
 * file beside it and waits for it before its change (the rename). */
static int dummy_slow_check(struct run *run, struct report *r, struct err *e)
{
	struct dummy *d = run_data(run);
	/* beside the step: wait until it built its staging file (the run
	 * ending first stops us through @r) */
	while (!__atomic_load_n(&d->staged, __ATOMIC_ACQUIRE) && !report_cancelled(r))
		usleep(1000);
	d->check_saw_stage = __atomic_load_n(&d->staged, __ATOMIC_ACQUIRE);
	free(d->found);
	d->found = xstrdup("the dump is not one of the live database");
	report_log(r, LOG_INFO, "the slow check read it all");
	if (d->check_fails) {
		err_set(e, "dump.sql.gz is cut at byte 1234");
		return -1;
	}
	return 0;
}

static int stage_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct dummy *d = run_data(run);
	char *staging = xstrfmt("%s.staging", d->file);
	FILE *f = fopen(staging, "w");
	int ret = -1;
	if (!f) {
		err_errno(e, errno, "cannot create %s", staging);
		free(staging);
		return -1;
	}
	fclose(f);
	__atomic_store_n(&d->staged, 1, __ATOMIC_RELEASE);
	if (run_before_change(run, r, e) == 0 && rename(staging, d->file) == 0) {
		out->summary = xstrdup("renamed");
		ret = 0;
	}
	if (ret < 0)
		unlink(staging); /* a failure throws the staging file away */
	free(staging);
	return ret;
}

static const struct step_def step_stage = {
	.name = "write", .title = "Write the file", .explain = "Stages and renames it.",
	.flags = STEP_F_FILES | STEP_F_WAITS_CHECKS,
	.run = stage_run,
};
static const struct step_def *const staged_steps[] = { &step_stage, &step_check };
/* ... that stops services for its change, and a slow check whose finding
 * the run's thread takes over after the wait. */
static const struct step_def step_stage_stops = {
	.name = "write", .title = "Write the file", .explain = "Stages and renames it.",
	.flags = STEP_F_STOPS_SERVICES | STEP_F_FILES | STEP_F_WAITS_CHECKS,
	.run = stage_run,
};
static const struct step_def *const staged_stops_steps[] = { &step_stage_stops, &step_check };
static pthread_t run_thread;
static void dummy_checks_done(struct run *run)
{
	struct dummy *d = run_data(run);
	d->done_on_thread = pthread_equal(pthread_self(), run_thread);
	d->stops_at_wait = d->stops;
	free(d->shown);
	d->shown = d->found;
	d->found = NULL;
}
static const struct flow_def dummy_flow_checks_stops = {
	.name = "dummy", .title = "Dummy", .steps = staged_stops_steps, .n_steps = 2,
	.create = dummy_create, .release = dummy_release, .prepare = dummy_prepare,
	.preflight = dummy_preflight_later, .stop_services = dummy_stop, .finish = dummy_finish,
	.slow_checks = dummy_slow_check, .slow_checks_what = "the slow check",
	.slow_checks_done = dummy_checks_done,
};
static const struct flow_def dummy_flow_checks = {
	.name = "dummy", .title = "Dummy", .steps = staged_steps, .n_steps = 2,
	.create = dummy_create, .release = dummy_release, .prepare = dummy_prepare,
	.preflight = dummy_preflight_later, .finish = dummy_finish,
	.slow_checks = dummy_slow_check, .slow_checks_what = "the slow check",
};
/* ... whose preflight starts them and then fails. */
static int dummy_preflight_later_fails(struct run *run, struct report *r, struct err *e)
{
	run_checks_later(run);
	dummy_preflight(run, r, e);
	return err_set(e, "the webroot is locked");
}
static const struct flow_def dummy_flow_checks_refused = {
	.name = "dummy", .title = "Dummy", .steps = staged_steps, .n_steps = 2,
	.create = dummy_create, .release = dummy_release, .prepare = dummy_prepare,
	.preflight = dummy_preflight_later_fails, .finish = dummy_finish,
	.slow_checks = dummy_slow_check, .slow_checks_what = "the slow check",
};
/* ... whose preflight makes them itself (no run_checks_later()). */
static const struct flow_def dummy_flow_checks_inline = {
	.name = "dummy", .title = "Dummy", .steps = staged_steps, .n_steps = 2,
	.create = dummy_create, .release = dummy_release, .prepare = dummy_prepare,
	.preflight = dummy_preflight, .finish = dummy_finish,
	.slow_checks = dummy_slow_check, .slow_checks_what = "the slow check",
};
/* ... and with a first step that waits at its start. */
static const struct flow_def dummy_flow_checks_first = {
	.name = "dummy", .title = "Dummy", .steps = dummy_steps, .n_steps = 2,
	.create = dummy_create, .release = dummy_release, .prepare = dummy_prepare,
	.preflight = dummy_preflight_later, .finish = dummy_finish,
	.slow_checks = dummy_slow_check, .slow_checks_what = "the slow check",
};

/* A report that keeps its log lines. */
static void keep_line(void *ctx, enum log_level level, const char *line)
{
	(void)level;
	strbuf_addf(ctx, "%s\n", line);
}

/* ---- fixture ---- */

struct fx {
	char dir[64];
	struct conf c;
	struct dummy d;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	strcpy(f->dir, "/tmp/br-run-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	conf_init_defaults(&f->c);
	conf_set_str(&f->c.log_dir, f->dir);
	f->d.file = xstrfmt("%s/file", f->dir);
	the_dummy = &f->d;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char *j = xstrfmt("%s/journal", f->dir);
	unlink(f->d.file);
	unlink(j);
	rmdir(f->dir);
	free(j);
	free(f->d.file);
	free(f->d.found);
	free(f->d.shown);
	conf_release(&f->c);
	free(f);
	return 0;
}

static struct run *start_of(const struct flow_def *flow, struct fx *f, const struct run_opts *o)
{
	struct err e = ERR_INIT;
	struct run *run = run_new(flow, &f->c, o, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	assert_int_equal(run_preflight(run, NULL, &e), 0);
	return run;
}

static struct run *start(struct fx *f, const struct run_opts *o)
{
	return start_of(&dummy_flow, f, o);
}

/* The journal's step records of the newest run, as "step:event:detail". */
static void journal_text(const char *dir, struct strbuf *out)
{
	struct journal_step_rec *v;
	size_t n;
	struct err e = ERR_INIT;
	assert_int_equal(journal_steps(dir, &v, &n, &e), 0);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(out, "%s:%s:%s\n", v[i].step, v[i].event, v[i].detail);
	journal_steps_free(v, n);
}

/* ---- tests ---- */

static void batch_runs_the_dummy_flow_and_journals_each_step(void **state)
{
	struct fx *f = *state;
	struct run_opts o = { .stamp = "20261206_120000" };
	struct run *run = start(f, &o);
	struct batch_opts bo = { 1, NULL, NULL };
	struct strbuf j = STRBUF_INIT;

	assert_int_equal(batch_run(run, &bo), 0);
	assert_int_equal(access(f->d.file, F_OK), 0);
	assert_int_equal(run_step_state(run, 0), STEP_DONE);
	assert_int_equal(run_step_state(run, 1), STEP_DONE);
	assert_string_equal(run_step_summary(run, 0), "1 file");
	assert_int_equal(run_step_warnings(run, 0), 1);
	assert_int_equal(f->d.stops, 1); /* before "write" only */
	assert_int_equal(run_finish(run, 0, NULL), 0);
	assert_string_equal(f->d.order, "WF"); /* step cleanup, then the flow's */
	journal_text(f->dir, &j);
	assert_non_null(strstr(j.buf, "write:started:\nwrite:working:\nwrite:done:kept "));
	assert_non_null(strstr(j.buf, "/file.old; from backup-1; at 20"));
	assert_non_null(strstr(j.buf, "\ncheck:started:\ncheck:working:\ncheck:done:at 20"));
	assert_non_null(strstr(j.buf, "\n:end:0\n"));
	assert_ptr_equal(strstr(j.buf, ":start:write,check\n"), j.buf);
	strbuf_release(&j);
	run_free(run);
}

static void a_failed_step_is_journaled_summarised_and_exits_1(void **state)
{
	struct fx *f = *state;
	struct run_opts o = { 0 };
	struct run *run;
	struct batch_opts bo = { 1, NULL, NULL };
	struct strbuf sb = STRBUF_INIT;

	f->d.fail_check = 1;
	run = start(f, &o);
	assert_int_equal(batch_run(run, &bo), 1);
	assert_int_equal(run_step_state(run, 1), STEP_FAILED);
	assert_string_equal(run_step_err(run, 1)->msg, "the file is not right");
	assert_string_equal(run_step_err(run, 1)->hint, "Write it again."); /* the step's own */
	run_summary(run, &sb);
	assert_non_null(strstr(sb.buf, "check        failed"));
	assert_non_null(strstr(sb.buf, "hint (check): Write it again.\n"));
	assert_non_null(strstr(sb.buf, "kept: "));
	strbuf_reset(&sb);
	journal_text(f->dir, &sb);
	assert_non_null(strstr(sb.buf, "check:failed:the file is not right\n"));
	/* skipped by the operator after failing: errors gone past */
	run_skip(run, 1, NULL);
	assert_int_equal(run_exit_code(run), 3);
	strbuf_reset(&sb);
	run_summary(run, &sb);
	assert_non_null(strstr(sb.buf, "check failed, then was skipped: the file is not right\n"));
	strbuf_release(&sb);
	run_free(run);
}

static void the_flow_hint_fills_in_where_the_step_gave_none(void **state)
{
	struct fx *f = *state;
	struct run_opts o = { .only = "check" };
	struct run *run = start(f, &o);
	struct err e = ERR_INIT;

	f->d.fail_check = 1;
	f->d.no_hint = 1;
	assert_int_equal(run_step(run, 1, NULL, &e), -1);
	assert_string_equal(e.hint, "flow hint");
	assert_string_equal(run_step_err(run, 1)->hint, "flow hint");
	err_clear(&e);
	run_free(run);
}

static void dry_run_plans_without_running_or_journaling(void **state)
{
	struct fx *f = *state;
	struct run_opts o = { .dry_run = 1 };
	struct run *run = start(f, &o);
	struct strbuf sb = STRBUF_INIT;
	char *j = xstrfmt("%s/journal", f->dir);

	run_plan_text(run, &sb);
	assert_non_null(strstr(sb.buf, "1. Write the file\n   target: "));
	assert_non_null(strstr(sb.buf, "   replaces "));
	assert_non_null(strstr(sb.buf, "   manual equivalent:\n     $ touch "));
	assert_non_null(strstr(sb.buf, "2. Check the file\n"));
	assert_int_equal(run_finish(run, 0, NULL), 0);
	assert_int_equal(f->d.finished, 0); /* a dry run starts nothing to finish */
	assert_int_equal(access(f->d.file, F_OK), -1);
	assert_int_equal(access(j, F_OK), -1);
	free(j);
	strbuf_release(&sb);
	run_free(run);
}

static void only_selects_steps_and_names_the_flow_steps_on_a_typo(void **state)
{
	struct fx *f = *state;
	struct run_opts o = { .only = "check", .dry_run = 1 };
	struct run *run = start(f, &o);
	struct strbuf sb = STRBUF_INIT;
	struct err e = ERR_INIT;

	assert_false(run_step_selected(run, 0));
	assert_true(run_step_selected(run, 1));
	assert_int_equal(run_step_state(run, 0), STEP_SKIPPED);
	assert_int_equal(run_next_step(run), 1);
	run_plan_text(run, &sb);
	assert_null(strstr(sb.buf, "Write the file"));
	assert_non_null(strstr(sb.buf, "2. Check the file"));
	strbuf_release(&sb);
	run_free(run);

	o.only = "check,wirte";
	assert_null(run_new(&dummy_flow, &f->c, &o, &e));
	assert_string_equal(e.msg, "unknown step \"wirte\"");
	assert_string_equal(e.hint, "Steps are write, check.");
	err_clear(&e);
}

static void a_policy_skip_and_refused_members_set_state_and_exit_code(void **state)
{
	struct fx *f = *state;
	struct run_opts o = { 0 };
	struct run *run;
	struct batch_opts bo = { 1, NULL, NULL };
	struct strbuf sb = STRBUF_INIT;

	f->d.skip_check = 1;
	f->d.refuse = 2;
	run = start(f, &o);
	assert_int_equal(batch_run(run, &bo), 3);
	assert_int_equal(run_step_state(run, 1), STEP_SKIPPED);
	run_summary(run, &sb);
	assert_non_null(strstr(sb.buf, "warning: the write step refused 2 archive members"));
	strbuf_reset(&sb);
	journal_text(f->dir, &sb);
	assert_non_null(strstr(sb.buf, "check:skipped:not wanted here\n"));
	strbuf_release(&sb);
	run_free(run);
}

static void the_confirmation_says_what_the_word_is(void **state)
{
	struct fx *f = *state;
	struct run_opts o = { .dry_run = 1 };
	struct run *run = start(f, &o);
	struct strbuf sb = STRBUF_INIT;

	assert_string_equal(run_confirm_word(run, 0), "file");
	run_confirm_question(run, 0, &sb);
	assert_string_equal(sb.buf, "Type the file's name (file) to go on:");
	strbuf_reset(&sb);
	run_confirm_question(run, 1, &sb); /* a yes is enough: no question */
	assert_string_equal(sb.buf, "");
	strbuf_release(&sb);
	run_free(run);
}

static void end_text_says_how_the_run_ended(void **state)
{
	struct fx *f = *state;
	struct run_opts o = { .dry_run = 1 };
	struct run *run = start(f, &o);
	struct strbuf sb = STRBUF_INIT;

	run_set_stopped(run, REPORT_STOP_SIGNAL(SIGHUP));
	run_end_text(run, 130, &sb);
	assert_string_equal(sb.buf, "aborted (exit 130): the terminal hung up (SIGHUP)");
	strbuf_reset(&sb);
	run_summary(run, &sb);
	assert_non_null(strstr(sb.buf, "stopped before any step: nothing was changed; the terminal "
				       "hung up (SIGHUP)\n"));
	strbuf_reset(&sb);
	run_end_text(NULL, 3, &sb);
	assert_string_equal(sb.buf, "finished with errors gone past (exit 3)");
	strbuf_reset(&sb);
	run_end_text(NULL, 0, &sb);
	assert_string_equal(sb.buf, "finished (exit 0)");
	strbuf_release(&sb);
	run_free(run);
}

/* A run quit half way (a "no" at a confirmation, the wizard's q) says
 * which steps it did not do and the command that does them: nothing said
 * how to finish before. */
static void a_run_quit_half_way_names_the_steps_left_and_how_to_finish(void **state)
{
	struct fx *f = *state;
	struct run_opts o = { 0 };
	struct run *run;
	struct strbuf sb = STRBUF_INIT;
	struct err e = ERR_INIT;
	char at[16], *want;

	/* the command carries the run's options: pasted it works as it is
	 * (it lacked --config, --dump and --at) */
	o.instance_opts = " --config /etc/biso-recover/x.conf";
	o.dump = "/nonexistent/biso_x.sql.gz";
	o.at = 1700000000;
	run = start(f, &o);
	timestamp_name(o.at, at);
	assert_int_equal(run_step(run, 0, NULL, &e), 0);
	run_set_stopped(run, 1); /* not confirmed before "check" */
	run_summary(run, &sb);
	want = xstrfmt("the run ended early: cancelled by the operator\n"
		       "not done: check\n"
		       "to finish them, run:\n"
		       "  biso-recover dummy --only check --config /etc/biso-recover/x.conf "
		       "--dump /nonexistent/biso_x.sql.gz --at %s\n", at);
	if (!strstr(sb.buf, want))
		fail_msg("expected\n%s\nin\n%s", want, sb.buf);
	free(want);
	run_free(run);
	memset(&o, 0, sizeof o);
	/* stopped before the first: nothing to finish, no --only of every
	 * step (it suggested "--only write,check": the whole run again) */
	run = start(f, &o);
	run_set_stopped(run, REPORT_STOP_SIGNAL(SIGINT));
	strbuf_reset(&sb);
	run_summary(run, &sb);
	assert_non_null(strstr(sb.buf, "stopped before any step: nothing was changed; cancelled "
				       "by the operator (Ctrl-C, SIGINT)\n"));
	assert_null(strstr(sb.buf, "not done:"));
	assert_null(strstr(sb.buf, "--only"));
	assert_null(strstr(sb.buf, "ended early"));
	run_free(run);
	/* finished: nothing to finish */
	run = start(f, &o);
	assert_int_equal(run_step(run, 0, NULL, &e), 0);
	assert_int_equal(run_step(run, 1, NULL, &e), 0);
	strbuf_reset(&sb);
	run_summary(run, &sb);
	assert_null(strstr(sb.buf, "not done"));
	assert_null(strstr(sb.buf, "--only"));
	strbuf_release(&sb);
	run_free(run);
}

/* A flow that is whole or nothing (a backup: --only database would dump
 * without maintenance mode and publish nothing) is offered whole again,
 * never --only the steps left. */
static void a_whole_flow_quit_half_way_is_offered_whole_again(void **state)
{
	struct fx *f = *state;
	struct run_opts o = { 0 };
	struct err e = ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct run *run;

	o.instance_opts = " --log-dir /srv/x";
	run = run_new(&dummy_flow_whole, &f->c, &o, &e);

	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	assert_int_equal(run_preflight(run, NULL, &e), 0);
	assert_int_equal(run_step(run, 0, NULL, &e), 0);
	run_set_stopped(run, 1);
	run_summary(run, &sb);
	assert_non_null(strstr(sb.buf, "not done: check\n"
				       "this run is whole or nothing; run it again:\n"
				       "  biso-recover dummy --log-dir /srv/x\n"));
	assert_null(strstr(sb.buf, "--only"));
	strbuf_release(&sb);
	run_free(run);
}

static void journal_steps_reads_only_the_newest_run(void **state)
{
	struct fx *f = *state;
	struct err e = ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct journal_entry *pend;
	size_t n;

	assert_int_equal(journal_step(f->dir, "A", "dummy", "", "start", "write", &e), 0);
	assert_int_equal(journal_step(f->dir, "A", "dummy", "write", "started", "", &e), 0);
	assert_int_equal(journal_begin(f->dir, "A", JOURNAL_FILES, "/x", "/x.old", "/x.new", &e), 0);
	assert_int_equal(journal_step(f->dir, "B", "dummy", "", "start", "check", &e), 0);
	assert_int_equal(journal_step(f->dir, "B", "dummy", "check", "failed", "tab\there", &e), 0);
	journal_text(f->dir, &sb);
	assert_string_equal(sb.buf, ":start:check\ncheck:failed:tab\there\n");
	/* the swap reader passes over step records */
	assert_int_equal(journal_pending(f->dir, &pend, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(pend[0].live, "/x");
	journal_entries_free(pend, n);
	strbuf_release(&sb);
}

/* Preflight of @flow in the sandbox @root with the dummy's targets @path
 * and @server: its result; the message in @msg. */
static int guarded(struct fx *f, const struct flow_def *flow, const char *root, const char *path,
		   const char *server, struct strbuf *msg)
{
	struct err e = ERR_INIT;
	struct run_opts o = { 0 };
	struct run *run;
	int ret;
	o.sandbox = root;
	dummy_target_path = path;
	dummy_target_server = server;
	run = run_new(flow, &f->c, &o, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	ret = run_preflight(run, NULL, &e);
	strbuf_reset(msg);
	if (ret < 0)
		strbuf_addstr(msg, e.msg);
	err_clear(&e);
	run_free(run);
	return ret;
}

static void a_drill_refuses_targets_outside_its_sandbox(void **state)
{
	struct fx *f = *state;
	struct strbuf msg = STRBUF_INIT;
	char *inside = xstrfmt("%s/prod/webroot", f->dir), *pg = xstrfmt("%s/pg", f->dir);
	char *up = xstrfmt("%s/../etc", f->dir), *link = xstrfmt("%s/link", f->dir);
	char *via = xstrfmt("%s/link/webroot", f->dir);

	/* inside (not yet existing), and the sandbox's own cluster: passes */
	assert_int_equal(guarded(f, &dummy_flow_targets, f->dir, inside, pg, &msg), 0);
	assert_int_equal(f->d.preflighted, 1);
	/* a real path: refused before the flow's own preflight ran */
	assert_int_equal(guarded(f, &dummy_flow_targets, f->dir, "/var/www/biso", pg, &msg), -1);
	assert_non_null(strstr(msg.buf, "refuses /var/www/biso: it lies outside the sandbox"));
	assert_int_equal(f->d.preflighted, 1);
	assert_int_equal(guarded(f, &dummy_flow_targets, f->dir, up, pg, &msg), -1);
	/* a symbolic link inside that leads out */
	assert_int_equal(symlink("/usr", link), 0);
	assert_int_equal(guarded(f, &dummy_flow_targets, f->dir, via, pg, &msg), -1);
	assert_non_null(strstr(msg.buf, "outside the sandbox"));
	unlink(link);
	/* another server, or none named (PGHOST would choose) */
	assert_int_equal(guarded(f, &dummy_flow_targets, f->dir, inside, "/var/run/postgresql", &msg), -1);
	assert_non_null(strstr(msg.buf, "refuses the database server \"/var/run/postgresql\""));
	assert_int_equal(guarded(f, &dummy_flow_targets, f->dir, inside, "", &msg), -1);
	assert_int_equal(guarded(f, &dummy_flow_targets, f->dir, inside, "db.example.org", &msg), -1);
	/* a flow that does not say what it writes cannot run in a drill */
	assert_int_equal(guarded(f, &dummy_flow, f->dir, inside, pg, &msg), -1);
	assert_non_null(strstr(msg.buf, "cannot run in a drill"));
	assert_int_equal(f->d.preflighted, 1);
	free(inside);
	free(pg);
	free(up);
	free(link);
	free(via);
	strbuf_release(&msg);
}

/* A report that keeps the WARN lines. */
static void keep_warn(void *ctx, enum log_level level, const char *line)
{
	if (level == LOG_WARN)
		strbuf_addf(ctx, "%s\n", line);
}

/* A run killed in its second step (no "end", no live run lock): a fresh
 * start says so and how to resume; a resumed run keeps the first run's
 * stamp and plan, passes the finished step by (its kept copy in the
 * summary, journaled again) and runs the interrupted one. */
static void a_killed_run_is_found_and_resumed_from_its_interrupted_step(void **state)
{
	struct fx *f = *state;
	struct run_opts o1 = { .stamp = "20261206_100000" };
	struct run_opts o2 = { .stamp = "20261206_110000", .instance_opts = " --config /x/y.conf" };
	struct run_opts o3 = { .stamp = "20261206_120000", .resume = 1 };
	struct run *run = start(f, &o1);
	struct err e = ERR_INIT;
	struct strbuf sb = STRBUF_INIT, warn = STRBUF_INIT;
	struct report r = { .log = keep_warn, .ctx = &warn };
	struct batch_opts bo = { 1, NULL, NULL };
	char *kept = xstrfmt("%s.old", f->d.file);

	assert_int_equal(run_step(run, 0, NULL, &e), 0);
	/* killed in "check": started, at work, never done, no end */
	assert_int_equal(journal_step(f->dir, "20261206_100000", "dummy", "check", "started", "",
				      &e), 0);
	assert_int_equal(journal_step(f->dir, "20261206_100000", "dummy", "check", "working", "",
				      &e), 0);
	run_free(run);

	/* a fresh start: warned, with the way to resume */
	run = run_new(&dummy_flow, &f->c, &o2, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, &r, &e), 0);
	assert_int_equal(run_interrupted(run, &sb), 1);
	assert_non_null(strstr(sb.buf, "the dummy of 20261206_100000 was interrupted: step 1 "
				       "(write) finished at "));
	assert_non_null(strstr(sb.buf, " from the backups of 2026-12-06 02:00; step 2, check, was "
				       "interrupted during the replay (step 1 of 20261206_100000)"));
	/* the command with the instance's options (it had none: pasted it
	 * read /etc/biso-recover.conf) */
	assert_non_null(strstr(warn.buf, "stop here and run: biso-recover dummy --resume --config "
					 "/x/y.conf"));
	assert_int_equal(run_resumed(run), 0);
	assert_string_equal(run_origin_stamp(run), "20261206_110000");
	run_free(run); /* never preflighted: journals nothing */
	/* a front end that continues on a key (the wizard's c) names the key,
	 * not a command to run after stopping */
	strbuf_reset(&warn);
	o2.resume_key = "c";
	run = run_new(&dummy_flow, &f->c, &o2, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, &r, &e), 0);
	assert_non_null(strstr(warn.buf, "to continue that run instead, press c"));
	assert_null(strstr(warn.buf, "stop here"));
	run_free(run);

	/* --resume: the same stamp for kept names, the same plan */
	f->d.order[0] = '\0';
	f->d.cleanups = 0;
	run = run_new(&dummy_flow, &f->c, &o3, &e);
	assert_non_null(run);
	assert_int_equal(run_resumed(run), 1);
	assert_string_equal(run_origin_stamp(run), "20261206_100000");
	assert_string_equal(run_stamp(run), "20261206_120000");
	assert_string_equal(run_resume_value(run, "source"), "backup-1");
	assert_null(run_resume_value(run, "nothing"));
	assert_int_equal(run_step_selected(run, 0), 0);
	assert_int_equal(run_step_state(run, 0), STEP_DONE);
	assert_string_equal(run_step_kept(run, 0), kept);
	assert_int_equal(run_step_selected(run, 1), 1);
	assert_int_equal(run_next_step(run), 1);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	assert_int_equal(run_preflight(run, NULL, &e), 0);
	assert_int_equal(batch_run(run, &bo), 0);
	assert_int_equal(run_finish(run, 0, NULL), 0);
	assert_string_equal(f->d.order, "F"); /* "write" did not run again */
	strbuf_reset(&sb);
	run_summary(run, &sb);
	assert_non_null(strstr(sb.buf, "write        done               in the interrupted run of "
				       "20261206_100000\n"));
	assert_non_null(strstr(sb.buf, "kept: "));
	strbuf_reset(&sb);
	journal_text(f->dir, &sb);
	assert_non_null(strstr(sb.buf, ":start:check\nsource=backup-1\ntaken=2026-12-06 "
				       "02:00\nrepeat=\nchanges=write\nworking=journaled\n"
				       "origin=20261206_100000\nwrite:done:kept "));
	assert_non_null(strstr(sb.buf, "\ncheck:done:at "));
	run_free(run);

	/* nothing left to resume: refused, naming the log directory */
	run = run_new(&dummy_flow, &f->c, &o3, &e);
	assert_null(run);
	assert_non_null(strstr(e.msg, "no interrupted dummy to resume in "));
	err_clear(&e);
	/* --only and --resume do not go together */
	o3.only = "check";
	assert_null(run_new(&dummy_flow, &f->c, &o3, &e));
	assert_non_null(strstr(e.msg, "--resume"));
	err_clear(&e);
	free(kept);
	strbuf_release(&sb);
	strbuf_release(&warn);
}

/* A run killed at a step's start (its "started" record, not yet its
 * "working" one): the step changed nothing, and the text says so instead
 * of how far its work had come. */
static void a_run_killed_at_a_steps_start_says_nothing_of_it_changed(void **state)
{
	struct fx *f = *state;
	struct run_opts o1 = { .stamp = "20261206_100000" };
	struct run_opts o2 = { .stamp = "20261206_110000" };
	struct run *run = start(f, &o1);
	struct err e = ERR_INIT;
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(run_step(run, 0, NULL, &e), 0);
	assert_int_equal(journal_step(f->dir, "20261206_100000", "dummy", "check", "started", "",
				      &e), 0);
	run_free(run);
	run = run_new(&dummy_flow, &f->c, &o2, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	assert_int_equal(run_interrupted(run, &sb), 1);
	assert_non_null(strstr(sb.buf, "; step 2, check, was interrupted at its start; nothing of "
				       "it had changed"));
	assert_null(strstr(sb.buf, "during the replay"));
	run_free(run);
	strbuf_release(&sb);
}

#define german unit_german
#define english unit_english

/* A report that keeps each line in both languages: "EN line" and "DE shown". */
static void keep_both(void *ctx, enum log_level level, const char *line, const char *shown)
{
	(void)level;
	strbuf_addf(ctx, "EN %s\nDE %s\n", line, shown);
}

/* The interrupted run's text with LANG=de_CH.UTF-8: whole German
 * sentences on the screen (run_interrupted(), the log line's @shown; the
 * count's plural by ngettext: 1 Schritt, 2 Schritte; the flow's "how far"
 * translated too), the English text in the log (@line): the run log stays
 * English. */
static void an_interrupted_run_is_german_on_the_screen_and_english_in_the_log(void **state)
{
	struct fx *f = *state;
	struct run_opts o1 = { .stamp = "20261206_100000" };
	struct run_opts o2 = { .stamp = "20261206_110000" };
	struct run *run;
	struct err e = ERR_INIT;
	struct strbuf sb = STRBUF_INIT, log = STRBUF_INIT;
	struct report r = { .log_l10n = keep_both, .ctx = &log };

	if (german() < 0)
		skip();
	run = start(f, &o1);
	assert_int_equal(run_step(run, 0, NULL, &e), 0);
	assert_int_equal(journal_step(f->dir, "20261206_100000", "dummy", "check", "started", "",
				      &e), 0);
	assert_int_equal(journal_step(f->dir, "20261206_100000", "dummy", "check", "working", "",
				      &e), 0);
	run_free(run);
	run = run_new(&dummy_flow, &f->c, &o2, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, &r, &e), 0);
	assert_int_equal(run_interrupted(run, &sb), 1);
	assert_non_null(strstr(sb.buf, "der dummy-Lauf von 20261206_100000 wurde unterbrochen: "
				       "Schritt 1 (write) um "));
	assert_non_null(strstr(sb.buf, " abgeschlossen, aus den Sicherungen vom 2026-12-06 02:00; "
				       "Schritt 2, check, wurde während des Einspielens (step 1 of "
				       "20261206_100000) unterbrochen"));
	assert_non_null(strstr(log.buf, "\nDE der dummy-Lauf von 20261206_100000 wurde unterbrochen: "
					"Schritt 1 (write) um "));
	assert_non_null(strstr(log.buf, "EN the dummy of 20261206_100000 was interrupted: step 1 "
					"(write) finished at "));
	assert_non_null(strstr(log.buf, " from the backups of 2026-12-06 02:00; step 2, check, was "
					"interrupted during the replay (step 1 of 20261206_100000)\n"));
	run_free(run);

	/* both steps finished, the end never written: the plural */
	run = start(f, &o2);
	assert_int_equal(run_step(run, 0, NULL, &e), 0);
	assert_int_equal(run_step(run, 1, NULL, &e), 0);
	run_free(run);
	run = run_new(&dummy_flow, &f->c, &(struct run_opts){ .stamp = "20261206_120000" }, &e);
	assert_non_null(run);
	strbuf_reset(&log);
	assert_int_equal(run_prepare(run, &r, &e), 0);
	strbuf_reset(&sb);
	assert_int_equal(run_interrupted(run, &sb), 1);
	assert_non_null(strstr(sb.buf, "der dummy-Lauf von 20261206_110000 wurde unterbrochen: "
				       "Schritte 1-2 (write, check) um "));
	assert_null(strstr(sb.buf, "step"));
	assert_non_null(strstr(log.buf, "EN the dummy of 20261206_110000 was interrupted: steps 1-2 "
					"(write, check) finished at "));
	run_free(run);
	english();
	strbuf_release(&sb);
	strbuf_release(&log);
}

/* flow_def.slow_checks run beside the first step, which waits for them
 * before its change: refused, the step changed nothing (its staging
 * file is gone, the file never written), the run exits 2 as a refused
 * preflight, with the check's error; passed, the step goes on and the
 * check's lines reach the front end. */
static void slow_checks_run_beside_the_first_step_and_stop_it_before_its_change(void **state)
{
	struct fx *f = *state;
	struct run_opts o = { .stamp = "20261206_130000" };
	struct err e = ERR_INIT;
	struct strbuf log = STRBUF_INIT;
	struct report r = { .log = keep_line, .ctx = &log };
	char *staging = xstrfmt("%s.staging", f->d.file);
	struct run *run;

	f->d.check_fails = 1;
	run = run_new(&dummy_flow_checks, &f->c, &o, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, &r, &e), 0);
	assert_int_equal(run_preflight(run, &r, &e), 0); /* the check still runs */
	assert_non_null(strstr(log.buf, "the slow check runs beside the first steps"));
	assert_int_equal(run_step(run, 0, &r, &e), -1);
	assert_int_equal(f->d.check_saw_stage, 1); /* it really ran beside the step */
	assert_string_equal(e.msg, "dump.sql.gz is cut at byte 1234");
	assert_int_equal(access(f->d.file, F_OK), -1);
	assert_int_equal(access(staging, F_OK), -1);
	/* no step failed: the refusal of a preflight, come late */
	assert_int_equal(run_step_state(run, 0), STEP_PENDING);
	assert_int_equal(run_refused(run), 1);
	assert_string_equal(run_refused_err(run)->msg, "dump.sql.gz is cut at byte 1234");
	assert_int_equal(run_exit_code(run), 2);
	assert_non_null(strstr(log.buf, "the slow check read it all\n"));
	assert_non_null(strstr(log.buf, "waiting for the slow check before anything is changed"));
	assert_non_null(strstr(log.buf, "refused before anything was replaced: "
					"dump.sql.gz is cut at byte 1234"));
	assert_null(strstr(log.buf, "failed"));
	err_clear(&e);
	{
		/* the summary says it so, and offers nothing to finish */
		struct strbuf sum = STRBUF_INIT;
		run_summary(run, &sum);
		assert_non_null(strstr(sum.buf, "refused before anything was replaced: "
						"dump.sql.gz is cut at byte 1234\n"));
		assert_null(strstr(sum.buf, "failed"));
		assert_null(strstr(sum.buf, "--only"));
		assert_null(strstr(sum.buf, "not done"));
		strbuf_release(&sum);
	}
	run_finish(run, run_exit_code(run), &r);
	run_free(run);

	/* passed: the step renames */
	f->d.check_fails = 0;
	f->d.staged = 0;
	strbuf_reset(&log);
	run = run_new(&dummy_flow_checks, &f->c, &o, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, &r, &e), 0);
	assert_int_equal(run_preflight(run, &r, &e), 0);
	assert_int_equal(run_step(run, 0, &r, &e), 0);
	assert_int_equal(access(f->d.file, F_OK), 0);
	assert_int_equal(access(staging, F_OK), -1);
	assert_non_null(strstr(log.buf, "the slow check read it all\n"));
	assert_int_equal(run_step(run, 1, &r, &e), 0);
	assert_int_equal(run_exit_code(run), 0);
	run_finish(run, 0, &r);
	run_free(run);

	/* the run ends before a step waited: the check is stopped, no hang */
	f->d.staged = 0;
	run = run_new(&dummy_flow_checks, &f->c, &o, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, &r, &e), 0);
	assert_int_equal(run_preflight(run, &r, &e), 0);
	run_free(run);
	free(staging);
	strbuf_release(&log);
}

/* A run that changed nothing is no run in the journal, by the rule of the
 * summary's "stopped before any step" (run_changed_nothing()): one the slow
 * check refused in its first step (a cut dump) and one whose steps the
 * operator all skipped are left out, and the newest run is still the
 * finished one before them, as for a run that stopped before its first
 * step; a run with a failed step (it may have begun on its target) counts.
 * Before, the refused run was the newest: the rollback of the one before
 * it refused, "replaced nothing that can be put back". */
static void a_run_that_changed_nothing_is_no_run_in_the_journal(void **state)
{
	struct fx *f = *state;
	struct run_opts o1 = { .stamp = "20261206_140000" };
	struct run_opts o2 = { .stamp = "20261206_140100" };
	struct run_opts o3 = { .stamp = "20261206_140200" };
	struct run_opts o4 = { .stamp = "20261206_140300" };
	struct err e = ERR_INIT;
	struct strbuf j = STRBUF_INIT;
	struct journal_step_rec *v;
	size_t n;
	struct run *run;

	run = start_of(&dummy_flow_checks, f, &o1);
	assert_int_equal(run_step(run, 0, NULL, &e), 0);
	assert_int_equal(run_step(run, 1, NULL, &e), 0);
	assert_int_equal(run_changed_nothing(run), 0);
	run_finish(run, 0, NULL);
	run_free(run);

	/* refused by the slow check before the step's change */
	f->d.check_fails = 1;
	f->d.staged = 0;
	run = run_new(&dummy_flow_checks, &f->c, &o2, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	assert_int_equal(run_preflight(run, NULL, &e), 0);
	assert_int_equal(run_step(run, 0, NULL, &e), -1);
	err_clear(&e);
	assert_int_equal(run_exit_code(run), 2);
	assert_int_equal(run_changed_nothing(run), 1);
	run_finish(run, 2, NULL);
	run_free(run);

	/* every step skipped by the operator */
	run = start(f, &o3);
	run_skip(run, 0, NULL);
	run_skip(run, 1, NULL);
	assert_int_equal(run_changed_nothing(run), 1);
	run_finish(run, 0, NULL);
	run_free(run);

	journal_text(f->dir, &j);
	assert_ptr_equal(strstr(j.buf, ":start:write,check\n"), j.buf);
	assert_non_null(strstr(j.buf, "\nwrite:done:"));
	assert_non_null(strstr(j.buf, "\n:end:0\n"));
	assert_null(strstr(j.buf, "failed"));
	assert_null(strstr(j.buf, "skipped"));
	assert_int_equal(journal_steps_all(f->dir, &v, &n, &e), 0);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i].stamp, "20261206_140000");
	journal_steps_free(v, n);

	/* a failed step counts: the run is the newest */
	f->d.check_fails = 0;
	f->d.fail_check = 1;
	run = start(f, &o4);
	assert_int_equal(run_step(run, 0, NULL, &e), 0);
	assert_int_equal(run_step(run, 1, NULL, &e), -1);
	err_clear(&e);
	assert_int_equal(run_changed_nothing(run), 0);
	run_finish(run, 1, NULL);
	run_free(run);
	strbuf_reset(&j);
	journal_text(f->dir, &j);
	assert_non_null(strstr(j.buf, "\ncheck:failed:"));
	assert_non_null(strstr(j.buf, "\n:end:1\n"));
	strbuf_release(&j);
}

/* A run that only verified (restore --only verify) changed nothing that
 * rollback could put back, but it did its step: it stays in the journal
 * (it may finish an interrupted run, and its summary is no "stopped before
 * any step"); run_start_reads_only() tells it by its start record. */
static void a_run_that_only_read_is_told_by_its_start(void **state)
{
	struct fx *f = *state;
	const struct flow_def verify_flow = {
		.name = "dummy", .title = "Dummy", .steps = verify_steps, .n_steps = 2,
		.create = dummy_create, .release = dummy_release, .prepare = dummy_prepare,
		.preflight = dummy_preflight, .finish = dummy_finish,
	};
	struct run_opts o1 = { .stamp = "20261206_150000" };
	struct run_opts o2 = { .stamp = "20261206_150100", .only = "check" };
	struct err e = ERR_INIT;
	struct journal_step_rec *v;
	size_t n, starts = 0;
	struct run *run;

	run = start_of(&verify_flow, f, &o1);
	assert_int_equal(run_step(run, 0, NULL, &e), 0);
	assert_int_equal(run_step(run, 1, NULL, &e), 0);
	run_finish(run, 0, NULL);
	run_free(run);
	run = start_of(&verify_flow, f, &o2);
	assert_int_equal(run_step(run, 1, NULL, &e), 0);
	assert_int_equal(run_changed_nothing(run), 0);
	run_finish(run, 0, NULL);
	run_free(run);

	assert_int_equal(journal_steps_all(f->dir, &v, &n, &e), 0);
	for (size_t i = 0; i < n; i++) {
		if (*v[i].step || strcmp(v[i].event, "start"))
			continue;
		assert_int_equal(run_start_reads_only(&verify_flow, v[i].detail),
				 !strcmp(v[i].stamp, "20261206_150100"));
		starts++;
	}
	assert_int_equal(starts, 2);
	journal_steps_free(v, n);
	assert_int_equal(run_start_reads_only(&verify_flow, "check"), 1);
	assert_int_equal(run_start_reads_only(&verify_flow, "check\nsource=x"), 1);
	assert_int_equal(run_start_reads_only(&verify_flow, "write,check\n"), 0);
	assert_int_equal(run_start_reads_only(&verify_flow, "check,write"), 0);
	assert_int_equal(run_start_reads_only(&verify_flow, "checks"), 0);
	assert_int_equal(run_start_reads_only(&verify_flow, "\nsource=x"), 0);
}

static void slow_checks_before_a_step_that_cannot_wait_are_the_preflights(void **state)
{
	struct fx *f = *state;
	struct run_opts o = { 0 };
	struct run_opts dry = { .dry_run = 1 };
	struct err e = ERR_INIT;
	struct run *run;

	f->d.check_fails = 1;
	f->d.staged = 1; /* nothing to wait for */
	run = run_new(&dummy_flow_checks_first, &f->c, &o, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	assert_int_equal(run_preflight(run, NULL, &e), -1);
	assert_string_equal(e.msg, "dump.sql.gz is cut at byte 1234");
	err_clear(&e);
	run_free(run);
	run = run_new(&dummy_flow_checks, &f->c, &dry, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	assert_int_equal(run_preflight(run, NULL, &e), -1);
	assert_string_equal(e.msg, "dump.sql.gz is cut at byte 1234");
	err_clear(&e);
	run_free(run);
	/* started by a preflight that then fails: its error, the check
	 * stopped by run_free() (it would wait for the staging forever) */
	f->d.staged = 0;
	run = run_new(&dummy_flow_checks_refused, &f->c, &o, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	assert_int_equal(run_preflight(run, NULL, &e), -1);
	assert_string_equal(e.msg, "the webroot is locked");
	err_clear(&e);
	run_free(run);
	/* a preflight that made them itself: not run again, nothing said */
	f->d.check_saw_stage = 0;
	run = run_new(&dummy_flow_checks_inline, &f->c, &o, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	assert_int_equal(run_preflight(run, NULL, &e), 0);
	assert_int_equal(run_step(run, 0, NULL, &e), 0);
	assert_int_equal(f->d.check_saw_stage, 0);
	run_free(run);
}

/* A step that stops services and waits for the slow checks itself stops
 * them only after the checks passed (run_before_change()): a refused
 * check stops none; and what the checks found reaches the run's state on
 * the run's thread once they were waited for (flow_def.slow_checks_done),
 * never written by their thread where the screens read it. */
static void slow_checks_pass_before_services_stop_and_their_finding_moves_after_the_wait(
	void **state)
{
	struct fx *f = *state;
	struct run_opts o = { .stamp = "20261206_140000" };
	struct err e = ERR_INIT;
	struct run *run;

	run_thread = pthread_self();
	f->d.check_fails = 1;
	f->d.staged = 0;
	f->d.stops = 0;
	run = run_new(&dummy_flow_checks_stops, &f->c, &o, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	assert_int_equal(run_preflight(run, NULL, &e), 0);
	assert_null(f->d.shown);
	assert_int_equal(run_step(run, 0, NULL, &e), -1);
	assert_string_equal(e.msg, "dump.sql.gz is cut at byte 1234");
	assert_int_equal(f->d.stops, 0); /* refused: nothing stopped */
	assert_int_equal(run_exit_code(run), 2);
	err_clear(&e);
	run_finish(run, run_exit_code(run), NULL);
	run_free(run);

	f->d.check_fails = 0;
	f->d.staged = 0;
	f->d.done_on_thread = 0;
	run = run_new(&dummy_flow_checks_stops, &f->c, &o, &e);
	assert_non_null(run);
	assert_int_equal(run_prepare(run, NULL, &e), 0);
	assert_int_equal(run_preflight(run, NULL, &e), 0);
	assert_int_equal(run_step(run, 0, NULL, &e), 0);
	assert_int_equal(f->d.stops_at_wait, 0); /* stopped after the wait ... */
	assert_int_equal(f->d.stops, 1);         /* ... once, before the change */
	assert_int_equal(f->d.done_on_thread, 1);
	assert_non_null(f->d.shown);
	assert_string_equal(f->d.shown, "the dump is not one of the live database");
	assert_null(f->d.found);
	assert_int_equal(run_step(run, 1, NULL, &e), 0);
	assert_int_equal(f->d.stops, 1);
	run_finish(run, 0, NULL);
	run_free(run);
	free(f->d.shown);
	f->d.shown = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(batch_runs_the_dummy_flow_and_journals_each_step, setup, teardown),
		cmocka_unit_test_setup_teardown(a_failed_step_is_journaled_summarised_and_exits_1, setup, teardown),
		cmocka_unit_test_setup_teardown(the_flow_hint_fills_in_where_the_step_gave_none, setup, teardown),
		cmocka_unit_test_setup_teardown(dry_run_plans_without_running_or_journaling, setup, teardown),
		cmocka_unit_test_setup_teardown(only_selects_steps_and_names_the_flow_steps_on_a_typo, setup, teardown),
		cmocka_unit_test_setup_teardown(a_policy_skip_and_refused_members_set_state_and_exit_code, setup, teardown),
		cmocka_unit_test_setup_teardown(the_confirmation_says_what_the_word_is, setup, teardown),
		cmocka_unit_test_setup_teardown(end_text_says_how_the_run_ended, setup, teardown),
		cmocka_unit_test_setup_teardown(a_run_quit_half_way_names_the_steps_left_and_how_to_finish, setup, teardown),
		cmocka_unit_test_setup_teardown(a_whole_flow_quit_half_way_is_offered_whole_again, setup, teardown),
		cmocka_unit_test_setup_teardown(journal_steps_reads_only_the_newest_run, setup, teardown),
		cmocka_unit_test_setup_teardown(a_drill_refuses_targets_outside_its_sandbox, setup, teardown),
		cmocka_unit_test_setup_teardown(a_killed_run_is_found_and_resumed_from_its_interrupted_step, setup, teardown),
		cmocka_unit_test_setup_teardown(a_run_killed_at_a_steps_start_says_nothing_of_it_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(an_interrupted_run_is_german_on_the_screen_and_english_in_the_log, setup, teardown),
		cmocka_unit_test_setup_teardown(slow_checks_run_beside_the_first_step_and_stop_it_before_its_change, setup, teardown),
		cmocka_unit_test_setup_teardown(slow_checks_before_a_step_that_cannot_wait_are_the_preflights, setup, teardown),
		cmocka_unit_test_setup_teardown(slow_checks_pass_before_services_stop_and_their_finding_moves_after_the_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(a_run_that_changed_nothing_is_no_run_in_the_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(a_run_that_only_read_is_told_by_its_start, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
