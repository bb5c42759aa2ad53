/* wizard_worker: one step of a flow in a thread; see wizard_worker.h. */
#include "config.h"
#include "i18n.h"
#include "wizard_worker.h"

#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void wizard_worker_poke(struct wizard_worker *ww)
{
	ssize_t r;
	if (ww->pipefd[1] < 0)
		return;
	do
		r = write(ww->pipefd[1], "", 1);
	while (r < 0 && errno == EINTR);
	/* EAGAIN: the pipe is full, the loop is awake anyway */
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void wizard_progress_release(struct wizard_progress *p)
{
	free(p->phase);
	free(p->current);
	p->phase = p->current = NULL;
}

/* Post a line: the sink (the run log) gets the English @line, the screen
 * @shown (report.h); the caller holds no lock. */
static void post_log(struct wizard_worker *ww, enum log_level level, const char *line,
		     const char *shown)
{
	struct wizard_logline *l = xcalloc(1, sizeof(*l));

	l->wall = time(NULL);
	l->level = level;
	l->text = xstrdup(shown ? shown : line);
	pthread_mutex_lock(&ww->mu);
	report_line(ww->sink, level, line, shown);
	if (ww->tail)
		ww->tail->next = l;
	else
		ww->head = l;
	ww->tail = l;
	pthread_mutex_unlock(&ww->mu);
	wizard_worker_poke(ww);
}

static void cb_log(void *ctx, enum log_level level, const char *line, const char *shown)
{
	post_log(ctx, level, line, shown);
}

static void cb_progress(void *ctx, const struct progress *p)
{
	struct wizard_worker *ww = ctx;
	struct wizard_progress np = {
		dup_or_null(p->phase), dup_or_null(p->current),
		p->done_bytes, p->total_bytes, p->done_items, p->total_items,
		report_now_ns()
	};

	pthread_mutex_lock(&ww->mu);
	wizard_progress_release(&ww->progress);
	ww->progress = np;
	ww->have_progress = 1;
	pthread_mutex_unlock(&ww->mu);
	wizard_worker_poke(ww);
}

static int cb_cancelled(void *ctx)
{
	struct wizard_worker *ww = ctx;
	return atomic_load(&ww->cancel);
}

static void *worker_main(void *arg)
{
	struct wizard_worker *ww = arg;
	struct err e = ERR_INIT;
	int rc = ww->source < 0 ? run_step(ww->run, ww->step, &ww->rep, &e)
				: run_use_source(ww->run, ww->step, (size_t)ww->source, &ww->rep, &e);

	pthread_mutex_lock(&ww->mu);
	ww->done = 1;
	ww->rc = rc;
	err_move(&ww->err, &e);
	pthread_mutex_unlock(&ww->mu);
	wizard_worker_poke(ww);
	return NULL;
}

int wizard_worker_init(struct wizard_worker *ww, struct report *sink, struct err *e)
{
	memset(ww, 0, sizeof(*ww));
	ww->pipefd[0] = ww->pipefd[1] = -1;
	ww->err = (struct err)ERR_INIT;
	if (pipe(ww->pipefd) < 0)
		return err_errno(e, errno, "cannot create the wizard's event pipe");
	for (int i = 0; i < 2; i++) {
		fcntl(ww->pipefd[i], F_SETFL, fcntl(ww->pipefd[i], F_GETFL) | O_NONBLOCK);
		fcntl(ww->pipefd[i], F_SETFD, FD_CLOEXEC);
	}
	pthread_mutex_init(&ww->mu, NULL);
	atomic_init(&ww->cancel, 0);
	ww->sink = sink;
	return 0;
}

int wizard_worker_start(struct wizard_worker *ww, struct run *run, size_t s,
			long source, struct err *e)
{
	sigset_t block, old;
	int r;

	if (ww->started)
		return err_set(e, "internal error: a step is still running");
	ww->run = run;
	ww->step = s;
	ww->source = source;
	memset(&ww->rep, 0, sizeof(ww->rep));
	ww->rep.progress = cb_progress;
	ww->rep.log_l10n = cb_log;
	ww->rep.cancelled = cb_cancelled;
	ww->rep.ctx = ww;
	atomic_store(&ww->cancel, 0);
	pthread_mutex_lock(&ww->mu);
	ww->done = 0;
	ww->rc = 0;
	err_clear(&ww->err);
	pthread_mutex_unlock(&ww->mu);

	/* the thread inherits this mask: signals go to the input loop */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigaddset(&block, SIGWINCH);
	sigaddset(&block, SIGTSTP);
	sigaddset(&block, SIGCONT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	r = pthread_create(&ww->th, NULL, worker_main, ww);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return err_errno(e, r, "cannot start a thread for the step");
	ww->started = 1;
	return 0;
}

void wizard_worker_cancel(struct wizard_worker *ww, int why)
{
	int none = 0;
	/* the first reason stays: a signal is not overwritten by the cleanup's */
	atomic_compare_exchange_strong(&ww->cancel, &none, why ? why : 1);
}

void wizard_worker_join(struct wizard_worker *ww)
{
	if (!ww->started)
		return;
	pthread_join(ww->th, NULL);
	ww->started = 0;
}

int wizard_worker_busy(const struct wizard_worker *ww)
{
	return ww->started;
}

void wizard_worker_log(struct wizard_worker *ww, enum log_level level, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT, l10n = STRBUF_INIT;
	const char *tr = i18n_find(fmt); /* @fmt is a msgid (po/Makevars) */
	va_list ap, ap2;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	strbuf_vaddf(&sb, fmt, ap);
	if (tr)
		strbuf_vaddf(&l10n, tr, ap2);
	va_end(ap2);
	va_end(ap);
	post_log(ww, level, sb.buf, tr ? l10n.buf : NULL);
	strbuf_release(&sb);
	strbuf_release(&l10n);
}

int wizard_worker_fd(const struct wizard_worker *ww)
{
	return ww->pipefd[0];
}

void wizard_worker_take(struct wizard_worker *ww, struct wizard_events *ev)
{
	char buf[256];

	while (read(ww->pipefd[0], buf, sizeof(buf)) > 0)
		;
	memset(ev, 0, sizeof(*ev));
	ev->err = (struct err)ERR_INIT;
	pthread_mutex_lock(&ww->mu);
	ev->logs = ww->head;
	ww->head = ww->tail = NULL;
	if (ww->have_progress) {
		ev->have_progress = 1;
		ev->progress = ww->progress;
		memset(&ww->progress, 0, sizeof(ww->progress));
		ww->have_progress = 0;
	}
	if (ww->done) {
		ev->done = 1;
		ev->rc = ww->rc;
		err_move(&ev->err, &ww->err);
		ww->done = 0;
	}
	pthread_mutex_unlock(&ww->mu);
}

void wizard_events_release(struct wizard_events *ev)
{
	while (ev->logs) {
		struct wizard_logline *n = ev->logs->next;
		free(ev->logs->text);
		free(ev->logs);
		ev->logs = n;
	}
	wizard_progress_release(&ev->progress);
	err_clear(&ev->err);
	memset(ev, 0, sizeof(*ev));
	ev->err = (struct err)ERR_INIT;
}

void wizard_worker_destroy(struct wizard_worker *ww)
{
	struct wizard_events ev;

	if (ww->started) {
		wizard_worker_cancel(ww, 1);
		wizard_worker_join(ww);
	}
	if (ww->pipefd[0] < 0)
		return;
	wizard_worker_take(ww, &ev);
	wizard_events_release(&ev);
	pthread_mutex_destroy(&ww->mu);
	close(ww->pipefd[0]);
	close(ww->pipefd[1]);
	ww->pipefd[0] = ww->pipefd[1] = -1;
}
