/* run_checks: a flow's slow checks in a thread beside its first steps;
 * see flow.h (flow_def.slow_checks, STEP_F_WAITS_CHECKS,
 * run_wait_checks()). */
#include "config.h"
#include "i18n.h"
#include "strbuf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run_int.h"

/* A log line of the thread, held until the run waits for it: the front
 * end's report is the main thread's. */
struct held {
	enum log_level level;
	char *line, *shown;
};

struct run_checks {
	struct run *run;
	struct report rep;     /* the thread's: holds lines, stop flag */
	pthread_t thread;
	int threaded;          /* a thread to join */
	int done;              /* atomic: the checks returned */
	int stop;              /* atomic: the run ends or was cancelled */
	uint64_t done_bytes, total_bytes; /* atomic: the checks' last progress */
	int waited;            /* run_wait_checks() collected the result */
	int refused;           /* they failed, the run was not stopped */
	int result;
	struct err e;
	struct held *lines;    /* only the thread writes them until done */
	size_t n, alloc;
};

static const char *what_of(const struct run *run)
{
	return run->flow->slow_checks_what ? run->flow->slow_checks_what : N_("the checks");
}

static void hold_line(void *ctx, enum log_level level, const char *line, const char *shown)
{
	struct run_checks *ck = ctx;
	if (ck->n == ck->alloc) {
		ck->alloc = ck->alloc ? 2 * ck->alloc : 8;
		ck->lines = xrealloc(ck->lines, ck->alloc * sizeof *ck->lines);
	}
	ck->lines[ck->n].level = level;
	ck->lines[ck->n].line = xstrdup(line);
	ck->lines[ck->n].shown = shown && strcmp(shown, line) ? xstrdup(shown) : NULL;
	ck->n++;
}

static void hold_log(void *ctx, enum log_level level, const char *line)
{
	hold_line(ctx, level, line, NULL);
}

/* The bytes the checks read, for the waiting step's progress line. */
static void keep_progress(void *ctx, const struct progress *p)
{
	struct run_checks *ck = ctx;
	__atomic_store_n(&ck->total_bytes, p->total_bytes, __ATOMIC_RELAXED);
	__atomic_store_n(&ck->done_bytes, p->done_bytes, __ATOMIC_RELAXED);
}

static int stopped(void *ctx)
{
	struct run_checks *ck = ctx;
	return __atomic_load_n(&ck->stop, __ATOMIC_ACQUIRE);
}

static void *checks_thread(void *arg)
{
	struct run_checks *ck = arg;
	ck->result = ck->run->flow->slow_checks(ck->run, &ck->rep, &ck->e);
	if (ck->result < 0 && !ck->e.msg)
		err_set(&ck->e, "%s failed", what_of(ck->run));
	__atomic_store_n(&ck->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Pass the held lines on to @r (NULL: dropped) and forget them. */
static void flush(struct run_checks *ck, struct report *r)
{
	for (size_t i = 0; i < ck->n; i++) {
		report_line(r, ck->lines[i].level, ck->lines[i].line, ck->lines[i].shown);
		free(ck->lines[i].line);
		free(ck->lines[i].shown);
	}
	ck->n = 0;
}

static void join(struct run_checks *ck)
{
	if (ck->threaded) {
		pthread_join(ck->thread, NULL);
		ck->threaded = 0;
	}
}

void run_checks_later(struct run *run)
{
	const struct flow_def *f = run->flow;
	struct run_checks *ck;

	run->checks_later = 1;
	if (!f->slow_checks || run->opts.dry_run || run->checks)
		return; /* a dry run: run_checks_start() runs them */
	/* from now on, beside the rest of the preflight too */
	ck = xcalloc(1, sizeof *ck);
	ck->run = run;
	ck->e = (struct err)ERR_INIT;
	ck->rep.log = hold_log;
	ck->rep.log_l10n = hold_line;
	ck->rep.progress = keep_progress;
	ck->rep.cancelled = stopped;
	ck->rep.ctx = ck;
	run->checks = ck;
	if (pthread_create(&ck->thread, NULL, checks_thread, ck) == 0)
		ck->threaded = 1;
}

int run_checks_start(struct run *run, struct report *r, struct err *e)
{
	const struct flow_def *f = run->flow;
	struct run_checks *ck = run->checks;
	size_t i;

	if (!f->slow_checks || !run->checks_later)
		return 0;
	if (run->opts.dry_run) {
		/* the plan says what they found */
		int ret = f->slow_checks(run, r, e);
		if (f->slow_checks_done)
			f->slow_checks_done(run);
		return ret;
	}
	if (!ck->threaded) {
		/* no thread: here, as any check of the preflight */
		if (!ck->waited && !__atomic_load_n(&ck->done, __ATOMIC_ACQUIRE))
			checks_thread(ck);
		return run_wait_checks(run, r, e);
	}
	for (i = 0; i < f->n_steps; i++)
		if (run->st[i].selected && run->st[i].state == STEP_PENDING)
			break;
	/* a first step that waits at its start has nothing to do beside
	 * them: they stay the preflight's (a refusal, exit 2, as ever) */
	if (i == f->n_steps || !(f->steps[i]->flags & STEP_F_WAITS_CHECKS))
		return run_wait_checks(run, r, e);
	char *shown = xstrfmt(_("%s runs beside the first steps; none of them changes "
				"anything before it passed"), _(what_of(run)));
	report_log_l10n(r, LOG_INFO, shown, "%s runs beside the first steps; none of them "
			"changes anything before it passed", what_of(run));
	free(shown);
	return 0;
}

int run_wait_checks(struct run *run, struct report *r, struct err *e)
{
	struct run_checks *ck = run->checks;

	if (!ck)
		return 0;
	if (!ck->waited) {
		if (ck->threaded && !__atomic_load_n(&ck->done, __ATOMIC_ACQUIRE)) {
			const char *what = what_of(run);
			char *shown = xstrfmt(_("waiting for %s before anything is changed"), _(what));
			report_log_l10n(r, LOG_INFO, shown, "waiting for %s before anything is changed",
					what);
			free(shown);
			while (!__atomic_load_n(&ck->done, __ATOMIC_ACQUIRE)) {
				struct progress p = { .phase = N_("checking"), .current = _(what) };
				struct timespec ts = { 0, 50 * 1000 * 1000 };
				p.done_bytes = __atomic_load_n(&ck->done_bytes, __ATOMIC_RELAXED);
				p.total_bytes = __atomic_load_n(&ck->total_bytes, __ATOMIC_RELAXED);
				report_progress(r, &p, 0);
				if (report_cancelled(r))
					__atomic_store_n(&ck->stop, 1, __ATOMIC_RELEASE);
				nanosleep(&ts, NULL);
			}
		}
		join(ck);
		flush(ck, r);
		ck->waited = 1;
		if (run->flow->slow_checks_done)
			run->flow->slow_checks_done(run);
	}
	if (ck->result < 0) {
		/* refused, not stopped: the run ends as a refused preflight */
		if (!__atomic_load_n(&ck->stop, __ATOMIC_ACQUIRE))
			ck->refused = 1;
		err_copy(e, &ck->e);
		return -1;
	}
	return 0;
}

int run_checks_refused(const struct run *run)
{
	return run->checks && run->checks->refused;
}

void run_checks_end(struct run *run, struct report *r)
{
	struct run_checks *ck = run->checks;

	if (!ck)
		return;
	if (!ck->waited) {
		/* the run ends before a step waited: what they found still goes
		 * to the log, their verdict no longer matters */
		__atomic_store_n(&ck->stop, 1, __ATOMIC_RELEASE);
		join(ck);
		flush(ck, r);
		ck->waited = 1;
	}
}

void run_checks_free(struct run *run)
{
	struct run_checks *ck = run->checks;

	if (!ck)
		return;
	__atomic_store_n(&ck->stop, 1, __ATOMIC_RELEASE);
	join(ck);
	flush(ck, NULL);
	free(ck->lines);
	err_clear(&ck->e);
	free(ck);
	run->checks = NULL;
}
