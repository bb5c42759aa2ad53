/* runner: a run served to its clients over a Unix socket; see runner.h. */
#include "config.h"
#include "runner.h"

#include "backupset.h"
#include "i18n.h"
#include "lock.h"
#include "logfile.h"
#include "proto.h"
#include "run.h"
#include "rundir.h"
#include "statusfile.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

/* A client's queue past this is a client that does not read: dropped. */
#define CLIENT_MAX_QUEUE (16u << 20)

static volatile sig_atomic_t stop_signal;

void runner_signal(int sig)
{
	stop_signal = sig;
}

struct client {
	struct proto_conn c;
	char *who;       /* its HELLO's who */
	time_t since;    /* attached at */
	int hello;       /* HELLO received */
	int watch;       /* role WATCH: never controls */
	int gone;        /* to be closed */
};

struct runner {
	struct runner_opts o;
	struct report rep;
	int lfd;            /* listening socket */
	char *sock_path;
	int wake[2];        /* the main thread wakes the server thread */
	pthread_t thread;
	int thread_started;
	int quit;           /* the server thread ends */

	pthread_mutex_t mu; /* everything below */
	pthread_cond_t cv;  /* an answer came, a client left, cancel */
	struct client **cl;
	size_t ncl;
	struct client *control; /* answers the questions; NULL: none attached */

	struct run *run;       /* while runner_drive() drives it */
	char **backlog;        /* ring of RUNNER_BACKLOG log lines */
	int *backlog_level;
	uint64_t *backlog_time; /* ms since the epoch (proto.h LOG) */
	uint64_t running_since; /* the running step's start, ms since the epoch */
	size_t bl_next, bl_count;
	struct proto_msg last_progress; /* PROGRESS, type 0 when none */
	uint32_t qid;                   /* the last question's id */
	struct proto_msg question;      /* pending, type 0 when none */
	char *answer;                   /* the pending question's answer */
	int cancel;                     /* a client's CANCEL */
	int ended;
	int attached;                   /* clients that said HELLO, ever */
	struct proto_msg end;
	struct proto_msg *views;        /* the newest VIEW of each step and of the
					   run (index n_views - 1); type 0: none */
	size_t n_views;
	char *choose_error;             /* why the backup chosen last is unusable */
	int resume;                     /* the operator answered "resume" */
	int ask_once;                   /* ask_steps on a flow without a destructive
					   step: one question before the first step,
					   then none (see runner.h) */

	/* the status file */
	struct statusfile sf;
	struct status st;
	struct rate_window rate;        /* the running step's progress (report.h) */
	char *rate_phase;               /* its phase, a msgid: a new one starts the window again */
	int step_running;               /* a step runs: its progress goes to the status file */
};

/* ---- sending (callers hold mu) ------------------------------------------ */

static void client_send(struct runner *rn, struct client *c, const struct proto_msg *m)
{
	struct err e = ERR_INIT;
	if (c->gone)
		return;
	if (proto_send(&c->c, m, &e) < 0 || c->c.out.len - c->c.out_off > CLIENT_MAX_QUEUE) {
		c->gone = 1;
		if (rn->control == c)
			rn->control = NULL;
	}
	err_clear(&e);
}

static void wake(struct runner *rn)
{
	char b = 0;
	if (write(rn->wake[1], &b, 1) < 0) {
		/* the pipe is full: the server thread is awake already */
	}
}

static void broadcast(struct runner *rn, const struct proto_msg *m)
{
	for (size_t i = 0; i < rn->ncl; i++)
		if (rn->cl[i]->hello)
			client_send(rn, rn->cl[i], m);
	wake(rn);
}

static void msg_set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = xstrdup(s ? s : "");
}

/* ---- the status file ------------------------------------------------------ */

static void status_write(struct runner *rn, int force)
{
	struct err e = ERR_INIT;
	if (!rn->o.status_path)
		return;
	if (statusfile_update(&rn->sf, &rn->st, force, &e) < 0) {
		/* said once in the log; the run goes on without it */
		logfile_write(rn->o.log, LOG_WARN, e.msg);
		rn->o.status_path = NULL;
	}
	err_clear(&e);
}

static void status_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? xstrdup(s) : NULL;
}

/* A step starts, ends or waits at a question: its progress, item and rate
 * are no longer true (the caller holds mu). */
static void status_progress_reset(struct runner *rn)
{
	rn->st.done = rn->st.total = rn->st.rate = 0;
	status_str(&rn->st.item, NULL);
	rate_window_reset(&rn->rate);
	status_str(&rn->rate_phase, NULL);
}

/* ---- the report ----------------------------------------------------------- */

/* Now, in milliseconds since the epoch (the LOG and VIEW times). */
static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The run log gets the English @line; the clients (LOG, the backlog) what
 * they show, @shown: the runner's language, the starter's (report.h). */
static void rep_log_l10n(void *ctx, enum log_level level, const char *line, const char *shown)
{
	struct runner *rn = ctx;
	struct proto_msg m = { .type = PROTO_LOG };
	logfile_write(rn->o.log, level, line);
	if (level == LOG_DEBUG)
		return;
	pthread_mutex_lock(&rn->mu);
	free(rn->backlog[rn->bl_next]);
	rn->backlog[rn->bl_next] = xstrdup(shown);
	rn->backlog_level[rn->bl_next] = level;
	rn->backlog_time[rn->bl_next] = m.u.log.time = wall_ms();
	rn->bl_next = (rn->bl_next + 1) % RUNNER_BACKLOG;
	if (rn->bl_count < RUNNER_BACKLOG)
		rn->bl_count++;
	m.u.log.level = level;
	m.u.log.text = (char *)shown;
	broadcast(rn, &m);
	status_str(&rn->st.log, line);
	status_write(rn, 0);
	pthread_mutex_unlock(&rn->mu);
}

static void rep_progress(void *ctx, const struct progress *p)
{
	struct runner *rn = ctx;
	struct proto_msg *m = &rn->last_progress;
	int64_t now = report_now_ns();
	double rate;
	int new_phase;
	pthread_mutex_lock(&rn->mu);
	m->type = PROTO_PROGRESS;
	m->u.progress.step = rn->st.step;
	m->u.progress.nsteps = rn->st.nsteps;
	m->u.progress.done = p->done_bytes;
	m->u.progress.total = p->total_bytes;
	/* the rate as the wizard computes it: over the phase's last samples */
	new_phase = !!rn->rate_phase != !!p->phase || (p->phase && strcmp(p->phase, rn->rate_phase));
	rate_window_add(&rn->rate, now, p->done_bytes, new_phase);
	if (new_phase)
		status_str(&rn->rate_phase, p->phase);
	rate = rate_window_rate(&rn->rate, now);
	m->u.progress.rate = rate > 0 ? (uint64_t)rate : 0;
	/* the phase is a msgid (N_() where it is set): the clients show it */
	msg_set_str(&m->u.progress.label, p->phase ? _(p->phase) : NULL);
	m->u.progress.items = p->done_items;
	msg_set_str(&m->u.progress.item, p->current);
	broadcast(rn, m);
	/* a late progress of a step that ended does not come back */
	if (rn->step_running) {
		rn->st.done = p->done_bytes;
		rn->st.total = p->total_bytes;
		rn->st.rate = m->u.progress.rate;
		status_str(&rn->st.item, p->current);
		status_write(rn, 0);
	}
	pthread_mutex_unlock(&rn->mu);
}

static int rep_cancelled(void *ctx)
{
	struct runner *rn = ctx;
	int why;
	if (stop_signal)
		return REPORT_STOP_SIGNAL(stop_signal);
	pthread_mutex_lock(&rn->mu);
	why = rn->cancel;
	pthread_mutex_unlock(&rn->mu);
	return why;
}

struct report *runner_report(struct runner *rn)
{
	return &rn->rep;
}

/* ---- the server thread ---------------------------------------------------- */

static void notice(struct runner *rn, struct client *c, enum proto_notice kind, const char *text)
{
	struct proto_msg m = { .type = PROTO_NOTICE };
	m.u.notice.kind = kind;
	m.u.notice.text = (char *)text;
	client_send(rn, c, &m);
}

/* "root on pts/3 since 10:59:02" for the one controlling */
static void control_text(const struct client *c, struct strbuf *out)
{
	char t[16];
	struct tm tm;
	localtime_r(&c->since, &tm);
	strftime(t, sizeof t, "%H:%M:%S", &tm);
	/* the starter's language, as every text the runner sends */
	strbuf_addf(out, _("%s since %s"), c->who && *c->who ? c->who : _("a client"), t);
}

static void make_control(struct runner *rn, struct client *c)
{
	struct strbuf sb = STRBUF_INIT;
	if (rn->control && rn->control != c) {
		struct client *old = rn->control;
		strbuf_addstr(&sb, c->who && *c->who ? c->who : _("another client"));
		notice(rn, old, PROTO_NOTICE_TAKEN_OVER, sb.buf);
		logfile_write(rn->o.log, LOG_INFO, "runner: a client took over");
	}
	rn->control = c;
	strbuf_reset(&sb);
	control_text(c, &sb);
	notice(rn, c, PROTO_NOTICE_CONTROL, sb.buf);
	if (rn->question.type)
		client_send(rn, c, &rn->question);
	strbuf_release(&sb);
}

static void send_step(struct runner *rn, struct client *c, size_t i, enum proto_step_state st);

/* A client said HELLO: give it the state so far. */
static void attach(struct runner *rn, struct client *c, const struct proto_msg *m)
{
	struct proto_msg hello = { .type = PROTO_HELLO };
	if (m->u.hello.version != PROTO_VERSION) {
		struct proto_msg end = { .type = PROTO_END };
		char *why = xstrfmt("this runner speaks protocol version %d, the client %u",
				    PROTO_VERSION, m->u.hello.version);
		end.u.end.code = 2;
		end.u.end.summary = why;
		client_send(rn, c, &end);
		free(why);
		c->gone = 2; /* flush, then close */
		return;
	}
	c->hello = 1;
	rn->attached++;
	pthread_cond_broadcast(&rn->cv);
	c->who = xstrdup(m->u.hello.who);
	c->since = time(NULL);
	c->watch = m->u.hello.role == PROTO_ROLE_WATCH;
	hello.u.hello.version = PROTO_VERSION;
	hello.u.hello.role = PROTO_ROLE_RUNNER;
	hello.u.hello.who = rn->st.run_id; /* a copy: the run (its stamp) may be freed first */
	client_send(rn, c, &hello);
	for (size_t i = 0; i < rn->n_views; i++)
		if (rn->views[i].type)
			client_send(rn, c, &rn->views[i]);
	if (rn->run)
		for (size_t i = 0; i < run_step_count(rn->run); i++)
			if (run_step_selected(rn->run, i))
				send_step(rn, c, i, 0);
	for (size_t k = 0; k < rn->bl_count; k++) {
		size_t at = (rn->bl_next + RUNNER_BACKLOG - rn->bl_count + k) % RUNNER_BACKLOG;
		struct proto_msg l = { .type = PROTO_LOG };
		l.u.log.level = rn->backlog_level[at];
		l.u.log.time = rn->backlog_time[at];
		l.u.log.text = rn->backlog[at];
		client_send(rn, c, &l);
	}
	if (rn->last_progress.type && !rn->ended)
		client_send(rn, c, &rn->last_progress);
	if (rn->ended) {
		client_send(rn, c, &rn->end);
		return;
	}
	if (c->watch)
		;
	else if (!rn->control)
		make_control(rn, c);
	else {
		struct strbuf sb = STRBUF_INIT;
		control_text(rn->control, &sb);
		notice(rn, c, PROTO_NOTICE_READ_ONLY, sb.buf);
		strbuf_release(&sb);
		if (rn->question.type) /* read-only: to see what is asked */
			client_send(rn, c, &rn->question);
	}
}

static void on_message(struct runner *rn, struct client *c, struct proto_msg *m)
{
	if (m->type == PROTO_HELLO) {
		if (!c->hello)
			attach(rn, c, m);
		return;
	}
	if (!c->hello) {
		c->gone = 1; /* not one of ours */
		return;
	}
	switch (m->type) {
	case PROTO_ANSWER:
		if (c == rn->control && rn->question.type && m->u.answer.id == rn->qid && !rn->answer) {
			rn->answer = xstrdup(m->u.answer.value);
			pthread_cond_broadcast(&rn->cv);
		}
		break;
	case PROTO_TAKEOVER:
		if (!c->watch && !rn->ended)
			make_control(rn, c);
		break;
	case PROTO_CANCEL:
		if (c == rn->control && m->u.cancel.why) {
			rn->cancel = m->u.cancel.why;
			pthread_cond_broadcast(&rn->cv);
		}
		break;
	default:
		break; /* runner → client messages: ignored */
	}
}

static void client_free(struct client *c)
{
	close(c->c.fd);
	proto_conn_release(&c->c);
	free(c->who);
	free(c);
}

static void drop_gone(struct runner *rn)
{
	size_t k = 0;
	for (size_t i = 0; i < rn->ncl; i++) {
		struct client *c = rn->cl[i];
		/* gone == 2: close once what was queued left */
		if (c->gone == 1 || (c->gone == 2 && c->c.out_off >= c->c.out.len) || c->c.eof) {
			if (rn->control == c) {
				rn->control = NULL;
				/* (after the end the log's last line stays how
				 * the run ended) */
				if (!rn->ended)
					logfile_write(rn->o.log, LOG_INFO, "runner: the controlling "
						      "client left; questions wait for the next");
			}
			client_free(c);
			pthread_cond_broadcast(&rn->cv);
			continue;
		}
		rn->cl[k++] = c;
	}
	rn->ncl = k;
}

static void *serve(void *arg)
{
	struct runner *rn = arg;
	struct pollfd *pfd = NULL;
	size_t cap = 0;

	for (;;) {
		size_t n;
		int timeout;
		pthread_mutex_lock(&rn->mu);
		if (rn->quit) {
			pthread_mutex_unlock(&rn->mu);
			break;
		}
		drop_gone(rn);
		n = rn->ncl + 2;
		if (n > cap) {
			cap = n * 2;
			pfd = xrealloc(pfd, cap * sizeof *pfd);
		}
		pfd[0] = (struct pollfd){ rn->lfd, POLLIN, 0 };
		pfd[1] = (struct pollfd){ rn->wake[0], POLLIN, 0 };
		for (size_t i = 0; i < rn->ncl; i++) {
			struct client *c = rn->cl[i];
			pfd[i + 2] = (struct pollfd){ c->c.fd, POLLIN, 0 };
			if (c->c.out_off < c->c.out.len)
				pfd[i + 2].events |= POLLOUT;
		}
		/* a throttled status update is written when its second is
		 * up (not at each wake-up: every progress call wakes us) */
		timeout = 1000;
		if (rn->o.status_path) {
			long due = statusfile_due_ms(&rn->sf);
			if (due == 0)
				status_write(rn, 0);
			else if (due > 0 && due < timeout)
				timeout = (int)due;
		}
		pthread_mutex_unlock(&rn->mu);

		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			break;

		pthread_mutex_lock(&rn->mu);
		if (pfd[1].revents & POLLIN) {
			char b[64];
			while (read(rn->wake[0], b, sizeof b) > 0)
				;
		}
		/* the clients as polled: new ones are appended after them */
		for (size_t i = 0; i + 2 < n && i < rn->ncl; i++) {
			struct client *c = rn->cl[i];
			struct err e = ERR_INIT;
			short rev = pfd[i + 2].revents;
			if (c->c.fd != pfd[i + 2].fd)
				continue;
			if (rev & POLLOUT && proto_flush(&c->c, &e) < 0)
				c->gone = 1;
			if (rev & (POLLIN | POLLHUP | POLLERR) && !c->gone) {
				struct proto_msg m;
				int rc;
				if (proto_read(&c->c, &e) < 0)
					c->gone = 1;
				while (!c->gone && (rc = proto_next(&c->c, &m, &e)) != 0) {
					if (rc < 0) {
						logfile_write(rn->o.log, LOG_WARN, e.msg);
						c->gone = 1;
						break;
					}
					on_message(rn, c, &m);
					proto_msg_clear(&m);
				}
			}
			err_clear(&e);
		}
		if (pfd[0].revents & POLLIN) {
			int fd = accept4(rn->lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0) {
				struct client *c = xcalloc(1, sizeof *c);
				struct err e = ERR_INIT;
				if (proto_conn_init(&c->c, fd, &e) < 0) {
					close(fd);
					free(c);
				} else {
					rn->cl = xrealloc(rn->cl, (rn->ncl + 1) * sizeof *rn->cl);
					rn->cl[rn->ncl++] = c;
				}
				err_clear(&e);
			}
		}
		pthread_mutex_unlock(&rn->mu);
	}
	free(pfd);
	return NULL;
}

/* ---- start and end -------------------------------------------------------- */

struct runner *runner_start(const struct runner_opts *o, struct err *e)
{
	struct runner *rn = xcalloc(1, sizeof *rn);
	rn->o = *o;
	rn->lfd = rundir_listen(o->socket_path, e);
	if (rn->lfd < 0) {
		free(rn);
		return NULL;
	}
	rn->sock_path = xstrdup(o->socket_path);
	if (pipe2(rn->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		err_errno(e, errno, "cannot make a pipe for the runner");
		close(rn->lfd);
		unlink(rn->sock_path);
		free(rn->sock_path);
		free(rn);
		return NULL;
	}
	pthread_mutex_init(&rn->mu, NULL);
	pthread_cond_init(&rn->cv, NULL);
	rn->backlog = xcalloc(RUNNER_BACKLOG, sizeof *rn->backlog);
	rn->backlog_level = xcalloc(RUNNER_BACKLOG, sizeof *rn->backlog_level);
	rn->backlog_time = xcalloc(RUNNER_BACKLOG, sizeof *rn->backlog_time);
	rn->rep.log_l10n = rep_log_l10n;
	rn->rep.progress = rep_progress;
	rn->rep.cancelled = rep_cancelled;
	rn->rep.ctx = rn;
	if (o->status_path) {
		statusfile_init(&rn->sf, o->status_path);
		rn->sf.clock = o->clock;
	}
	rn->st.run_id = xstrdup(o->run_id ? o->run_id : "");
	rn->st.flow = xstrdup(o->flow ? o->flow : "");
	rn->st.resume = o->resume_cmd ? xstrdup(o->resume_cmd) : NULL;
	rn->st.pid = (long)getpid();
	rn->st.start = lock_process_start(getpid());
	rn->st.state = STATUS_RUNNING;
	status_write(rn, 1);
	if (pthread_create(&rn->thread, NULL, serve, rn) != 0) {
		err_set(e, "cannot start the runner's socket thread");
		runner_free(rn);
		return NULL;
	}
	rn->thread_started = 1;
	return rn;
}

void runner_end(struct runner *rn, int code, const char *text, int linger_ms)
{
	struct timespec until;
	pthread_mutex_lock(&rn->mu);
	rn->ended = 1;
	rn->end.type = PROTO_END;
	rn->end.u.end.code = code;
	rn->end.u.end.summary = xstrdup(text ? text : "");
	/* the file first: a client that read the end and asks status sees it */
	rn->st.state = STATUS_FINISHED;
	rn->st.exit_code = code;
	status_str(&rn->st.question, NULL);
	status_write(rn, 1);
	broadcast(rn, &rn->end);
	/* the clients read the end and go (a client closes on END); the
	 * starter, not attached yet, must still learn how it ended */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += linger_ms / 1000;
	until.tv_nsec += (long)(linger_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	while (rn->ncl > 0 || !rn->attached)
		if (pthread_cond_timedwait(&rn->cv, &rn->mu, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&rn->mu);
}

void runner_free(struct runner *rn)
{
	if (!rn)
		return;
	if (rn->thread_started) {
		pthread_mutex_lock(&rn->mu);
		rn->quit = 1;
		wake(rn);
		pthread_mutex_unlock(&rn->mu);
		pthread_join(rn->thread, NULL);
	}
	for (size_t i = 0; i < rn->ncl; i++)
		client_free(rn->cl[i]);
	free(rn->cl);
	/* the socket file goes first: no client connects to a runner gone */
	unlink(rn->sock_path);
	close(rn->lfd);
	close(rn->wake[0]);
	close(rn->wake[1]);
	for (size_t i = 0; i < RUNNER_BACKLOG; i++)
		free(rn->backlog[i]);
	free(rn->backlog);
	free(rn->backlog_level);
	free(rn->backlog_time);
	proto_msg_clear(&rn->last_progress);
	proto_msg_clear(&rn->question);
	proto_msg_clear(&rn->end);
	for (size_t i = 0; i < rn->n_views; i++)
		proto_msg_clear(&rn->views[i]);
	free(rn->views);
	free(rn->choose_error);
	free(rn->answer);
	if (rn->o.status_path || rn->sf.path)
		statusfile_release(&rn->sf);
	status_clear(&rn->st);
	free(rn->rate_phase);
	free(rn->sock_path);
	pthread_mutex_destroy(&rn->mu);
	pthread_cond_destroy(&rn->cv);
	free(rn);
}

/* ---- driving the run ------------------------------------------------------ */

/* Step @i's number in the flow (1-based) and the flow's count of steps:
 * the numbering of the plan and the wizard ("Step 4 of 6"), also in a run
 * of some steps (--only, --resume), so that status, a client's lines and
 * the question say what the screens say. */
static unsigned step_no(const struct run *run, size_t i, unsigned *n)
{
	*n = (unsigned)run_step_count(run);
	return (unsigned)i + 1;
}

static enum proto_step_state proto_state(enum step_state s)
{
	switch (s) {
	case STEP_PENDING: return PROTO_STEP_PENDING;
	case STEP_RUNNING: return PROTO_STEP_RUNNING;
	case STEP_DONE: return PROTO_STEP_DONE;
	case STEP_FAILED: return PROTO_STEP_FAILED;
	case STEP_SKIPPED: return PROTO_STEP_SKIPPED;
	}
	return PROTO_STEP_PENDING;
}

/* @st 0: the step's state as the run has it. */
static void send_step(struct runner *rn, struct client *c, size_t i, enum proto_step_state st)
{
	struct proto_msg m = { .type = PROTO_STEP };
	unsigned n;
	m.u.step.step = step_no(rn->run, i, &n);
	m.u.step.nsteps = n;
	m.u.step.state = st ? st : proto_state(run_step_state(rn->run, i));
	m.u.step.title = (char *)run_step_title(rn->run, i);
	if (c)
		client_send(rn, c, &m);
	else
		broadcast(rn, &m);
}

static const char *const state_words[] = {
	NULL, N_("pending"), N_("running"), N_("done"), N_("failed"), N_("skipped"), N_("waiting"),
};

/* Step @i's title in English: the status file is read by other shells,
 * whatever their language (status translates it). */
static const char *title_en(const struct run *run, size_t i)
{
	int was = i18n_english(1);
	const char *t = run_step_title(run, i);
	i18n_english(was);
	return t;
}

/* A step's error for a dialog: the message and the hint first, the
 * detail (a verification report, a server's context) last, where the
 * dialog may cut it without hiding what to do. */
static void error_text(const struct err *e, struct strbuf *out)
{
	struct err head = *e; /* borrowed strings, not freed */
	head.detail = head.ldetail = NULL;
	err_format_l10n(&head, out);
	if (e->detail)
		strbuf_addf(out, "\n%s %s", _("DETAIL:"), e->ldetail ? e->ldetail : e->detail);
}

/* The columns @s takes on a terminal (its bytes when not in the locale). */
static int columns(const char *s)
{
	size_t n = mbstowcs(NULL, s, 0);
	wchar_t *ws;
	int w;
	if (n == (size_t)-1)
		return (int)strlen(s);
	ws = xcalloc(n + 1, sizeof *ws);
	mbstowcs(ws, s, n + 1);
	w = wcswidth(ws, n);
	free(ws);
	return w < 0 ? (int)n : w;
}

/* Step @i's backups for "use N": "2026-11-29 02:00  110.7 KiB verified
 * name  mark", the verified state (run_source_note()) padded to one column,
 * a snapshot's size the manifest's where it has one. */
static void view_backups(struct runner *rn, struct proto_msg *m, size_t i, int blocked)
{
	size_t cur, pick, n;
	const struct backup_list *l = rn->run ? run_sources(rn->run, i, &cur) : NULL;
	struct strbuf *note;
	uint64_t *bytes;
	char num[32];
	int width = 0;
	if (!l || l->n < 2)
		return;
	n = l->n < PROTO_MAX_CHOICES ? l->n : PROTO_MAX_CHOICES;
	pick = cur < l->n ? cur : 0;
	note = xcalloc(n, sizeof *note);
	bytes = xcalloc(n, sizeof *bytes);
	for (size_t k = 0; k < n; k++) {
		strbuf_init(&note[k], 0);
		bytes[k] = l->items[k].kind == MAGIC_DIR ? UINT64_MAX : l->items[k].size;
		run_source_note(rn->run, i, k, &note[k], &bytes[k]);
		if (columns(note[k].buf) > width)
			width = columns(note[k].buf);
	}
	for (size_t k = 0; k < n && width; k++)
		for (int c = columns(note[k].buf); c < width + 1; c++)
			strbuf_addch(&note[k], ' ');
	for (size_t k = 0; k < n; k++) {
		const struct backup_item *it = &l->items[k];
		struct strbuf sb = STRBUF_INIT, size = STRBUF_INIT;
		const char *mark = run_source_mark(rn->run, i, k);
		char when[32];
		struct tm tm;
		strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime_r(&it->when, &tm));
		if (bytes[k] == UINT64_MAX)
			strbuf_addstr(&size, _("directory"));
		else
			strbuf_humanise_bytes(&size, bytes[k]);
		/* sizes right-aligned: the states and names start in one column;
		 * a dump's name still fits the dialog at 80 columns */
		strbuf_addf(&sb, "%s  %9s %s%s", when, size.buf, note[k].buf, it->name);
		/* the one the preflight found unusable */
		if (mark && strcmp(mark, RUN_MARK_USABLE))
			strbuf_addf(&sb, "  %s", _(mark));
		/* blocked on the plan's: the newest usable one is offered */
		if (blocked && mark && !strcmp(mark, RUN_MARK_USABLE))
			pick = k;
		proto_view_add(m, "backup", sb.buf);
		proto_view_add(m, "backup_name", it->name);
		strbuf_release(&sb);
		strbuf_release(&size);
		strbuf_release(&note[k]);
	}
	free(note);
	free(bytes);
	snprintf(num, sizeof num, "%zu", cur < l->n ? cur : 0);
	proto_view_add(m, "backup_cur", num);
	snprintf(num, sizeof num, "%zu", pick);
	proto_view_add(m, "backup_pick", num);
}

/* Store and send step @i's VIEW in state @st (0: as the run has it).  The
 * caller holds mu, on the drive's thread (the run is read). */
static void view_step(struct runner *rn, size_t i, enum proto_step_state st)
{
	struct run *run = rn->run;
	struct proto_msg *m = &rn->views[i];
	struct strbuf sb = STRBUF_INIT;
	const char *v;
	char num[32];
	int blocked;
	proto_msg_clear(m);
	m->type = PROTO_VIEW;
	m->u.view.index = (uint32_t)i;
	m->u.view.count = (uint32_t)run_step_count(run);
	m->u.view.state = st ? st : proto_state(run_step_state(run, i));
	/* at a question the step is still what the run says (a failed one
	 * asks retry/skip/abort) */
	proto_view_add(m, "state", step_state_name(run_step_state(run, i)));
	proto_view_add(m, "name", run_step_name(run, i));
	proto_view_add(m, "title", run_step_title(run, i));
	proto_view_add(m, "explain", run_step_explain(run, i));
	run_describe_step(run, i, &sb);
	strbuf_rtrim(&sb);
	proto_view_add(m, "describe", sb.buf);
	strbuf_reset(&sb);
	if (run_step_destructive(run, i, &sb))
		proto_view_add(m, "what", sb.buf);
	v = run_confirm_word(run, i);
	if (v && *v)
		proto_view_add(m, "word", v);
	strbuf_reset(&sb);
	blocked = run_step_blocked(run, i, &sb);
	if (blocked)
		proto_view_add(m, "blocked", sb.buf);
	snprintf(num, sizeof num, "%.3f", run_step_seconds(run, i));
	proto_view_add(m, "seconds", num);
	if (m->u.view.state == PROTO_STEP_RUNNING) {
		/* a client attaching later counts from the step's start */
		snprintf(num, sizeof num, "%llu", (unsigned long long)rn->running_since);
		proto_view_add(m, "started", num);
	}
	snprintf(num, sizeof num, "%u", run_step_warnings(run, i));
	proto_view_add(m, "warnings", num);
	if ((v = run_step_summary(run, i)))
		proto_view_add(m, "summary", v);
	if ((v = run_step_kept(run, i)))
		proto_view_add(m, "kept", v);
	if (err_isset(run_step_err(run, i))) {
		strbuf_reset(&sb);
		error_text(run_step_err(run, i), &sb);
		proto_view_add(m, "error", sb.buf);
	}
	proto_view_add(m, "failed_note", run_step_failed_note(run, i));
	proto_view_add(m, "choose_note", run_step_choose_note(run, i));
	if (rn->choose_error)
		proto_view_add(m, "choose_error", rn->choose_error);
	view_backups(rn, m, i, blocked);
	strbuf_release(&sb);
	broadcast(rn, m);
}

/* Store and send the run's VIEW (index = the step count).  Caller: as
 * view_step(). */
static void view_run(struct runner *rn)
{
	struct run *run = rn->run;
	size_t n = run_step_count(run);
	struct proto_msg *m = &rn->views[n];
	struct strbuf sb = STRBUF_INIT;
	proto_msg_clear(m);
	m->type = PROTO_VIEW;
	m->u.view.index = m->u.view.count = (uint32_t)n;
	m->u.view.state = PROTO_STEP_PENDING;
	run_target_text(run, &sb);
	proto_view_add(m, "target", sb.buf);
	proto_view_add(m, "flow", run_flow_name(run));
	proto_view_add(m, "flow_title", run_flow_title(run));
	strbuf_reset(&sb);
	if (!run_resumed(run) && run_interrupted(run, &sb))
		proto_view_add(m, "interrupted", sb.buf);
	if (rn->ask_once)
		proto_view_add(m, "ask_once", "1");
	if (rn->o.ask_steps)
		proto_view_add(m, "ask_steps", "1");
	if (rn->o.drill)
		proto_view_add(m, "drill", "1");
	strbuf_release(&sb);
	broadcast(rn, m);
}

/* Step @i is now @st: to the clients (its view shows @view, 0: the run's
 * state of the step) and the status file (not written).  The caller holds
 * mu. */
static void step_state_set(struct runner *rn, size_t i, enum proto_step_state st,
			   enum proto_step_state view)
{
	unsigned n;
	view_step(rn, i, view);
	send_step(rn, NULL, i, st);
	rn->st.step = step_no(rn->run, i, &n);
	rn->st.nsteps = n;
	status_str(&rn->st.step_title, title_en(rn->run, i));
	status_str(&rn->st.step_state, state_words[st]);
	rn->step_running = st == PROTO_STEP_RUNNING;
	status_progress_reset(rn);
}

/* Step @i is now @st: to the clients and the status file. */
static void step_now(struct runner *rn, size_t i, enum proto_step_state st)
{
	pthread_mutex_lock(&rn->mu);
	if (st == PROTO_STEP_RUNNING)
		rn->running_since = wall_ms();
	step_state_set(rn, i, st, st == PROTO_STEP_RUNNING ? st : 0);
	if (st == PROTO_STEP_RUNNING)
		proto_msg_clear(&rn->last_progress);
	status_write(rn, st != PROTO_STEP_RUNNING);
	pthread_mutex_unlock(&rn->mu);
}

/*
 * Ask @text (kind @kind, @choices) of the controlling client and wait for
 * its answer, however long: a malloc'd answer, or NULL when the run was
 * cancelled meanwhile.
 */
static char *ask(struct runner *rn, size_t step, enum proto_ask kind, const char *text,
		 const char *const *choices, uint32_t n_choices)
{
	struct proto_msg *q = &rn->question;
	char *answer = NULL;
	pthread_mutex_lock(&rn->mu);
	q->type = PROTO_QUESTION;
	q->u.question.id = ++rn->qid;
	q->u.question.kind = kind;
	q->u.question.text = xstrdup(text);
	q->u.question.n_choices = n_choices;
	q->u.question.choices = xcalloc(n_choices ? n_choices : 1, sizeof(char *));
	for (uint32_t k = 0; k < n_choices; k++)
		q->u.question.choices[k] = xstrdup(choices[k]);
	step_state_set(rn, step, PROTO_STEP_WAITING, PROTO_STEP_WAITING);
	rn->st.state = STATUS_WAITING;
	{
		/* the status file's question is its first line (a step's
		 * question goes on with its explanation) */
		char *first = xstrndup(*text ? text : (n_choices ? choices[0] : "go on?"),
				       strcspn(*text ? text : (n_choices ? choices[0] : "go on?"), "\n"));
		status_str(&rn->st.question, first);
		free(first);
	}
	status_write(rn, 1);
	/* every client sees it; only the controlling one's answer counts */
	broadcast(rn, q);
	while (!rn->answer && !rn->cancel && !stop_signal) {
		struct timespec t;
		/* a signal does not wake a condition: look again each second */
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_sec++;
		pthread_cond_timedwait(&rn->cv, &rn->mu, &t);
	}
	answer = rn->answer;
	rn->answer = NULL;
	proto_msg_clear(q);
	rn->st.state = STATUS_RUNNING;
	status_str(&rn->st.question, NULL);
	status_write(rn, 1);
	pthread_mutex_unlock(&rn->mu);
	return answer;
}

/* The confirmation before destructive step @i (see runner.h): 1 yes, 0
 * not ("no", or cancelled), -1 when RUNNER_TRIES answers did not match. */
static int confirm(struct runner *rn, struct run *run, size_t i, const char *what)
{
	const char *word = run_confirm_word(run, i);
	struct strbuf text = STRBUF_INIT;
	int ok = 0;
	for (int tries = 1; tries <= RUNNER_TRIES; tries++) {
		char *a, *t;
		strbuf_reset(&text);
		if (tries == 1)
			strbuf_addf(&text, "%s: %s.", run_step_title(run, i), what);
		a = word ? ask(rn, i, PROTO_ASK_TYPED, text.buf, &word, 1)
			 : ask(rn, i, PROTO_ASK_YESNO, text.buf, NULL, 0);
		if (!a)
			break;
		strbuf_reset(&text);
		strbuf_addstr(&text, a);
		free(a);
		strbuf_rtrim(&text);
		t = text.buf + strspn(text.buf, " \t");
		if (word ? !strcmp(t, word) : !strcasecmp(t, "yes") || !strcasecmp(t, "y")) {
			/* the log says what was confirmed in English */
			struct strbuf en = STRBUF_INIT;
			int was = i18n_english(1);
			char *shown;
			run_step_destructive(run, i, &en);
			i18n_english(was);
			if (word) {
				shown = xstrfmt(_("step %s: the operator typed \"%s\" to confirm: %s"),
						run_step_name(run, i), word, what);
				report_log_l10n(&rn->rep, LOG_INFO, shown,
						"step %s: the operator typed \"%s\" to confirm: %s",
						run_step_name(run, i), word, en.buf);
			} else {
				shown = xstrfmt(_("step %s: the operator confirmed: %s"),
						run_step_name(run, i), what);
				report_log_l10n(&rn->rep, LOG_INFO, shown,
						"step %s: the operator confirmed: %s",
						run_step_name(run, i), en.buf);
			}
			free(shown);
			strbuf_release(&en);
			ok = 1;
			break;
		}
		if (!strcasecmp(t, "no") || !strcasecmp(t, "n"))
			break;
		/* what was typed stays off the log (it might be anything) */
		if (tries < RUNNER_TRIES)
			report_log(&rn->rep, LOG_WARN, "step %s: the answer does not match \"%s\": type it "
				   "exactly as shown, or no to stop (%d more tr%s)", run_step_name(run, i),
				   word ? word : "yes", RUNNER_TRIES - tries,
				   RUNNER_TRIES - tries == 1 ? "y" : "ies");
		else {
			report_log(&rn->rep, LOG_WARN, "step %s: the answer does not match \"%s\" (%d tries)",
				   run_step_name(run, i), word ? word : "yes", RUNNER_TRIES);
			ok = -1;
		}
	}
	strbuf_release(&text);
	return ok;
}

/* Blocked step @i: ask for another backup until one is usable.  0 when
 * the step can run, -1 when the operator gave up (abort) or cancelled. */
static int choose_source(struct runner *rn, struct run *run, size_t i)
{
	struct strbuf why = STRBUF_INIT;
	int rc = 0;
	while (run_step_blocked(run, i, &why)) {
		size_t cur, n;
		const struct backup_list *bl = run_sources(run, i, &cur);
		const char **names;
		char *a;
		struct err e = ERR_INIT;
		size_t k;
		if (!bl || !(n = bl->n)) {
			rc = -1;
			break;
		}
		if (n > PROTO_MAX_CHOICES - 1)
			n = PROTO_MAX_CHOICES - 1;
		names = xcalloc(n + 1, sizeof *names);
		for (k = 0; k < n; k++)
			names[k] = bl->items[k].name;
		names[n] = "abort";
		a = ask(rn, i, PROTO_ASK_BACKUP, why.buf, names, (uint32_t)n + 1);
		strbuf_reset(&why);
		for (k = 0; a && k < n; k++)
			if (!strcmp(a, names[k]))
				break;
		free(names);
		if (!a || k >= n) {
			free(a);
			rc = -1;
			break;
		}
		free(a);
		if (run_use_source(run, i, k, &rn->rep, &e) < 0)
			err_clear(&e); /* logged; asked again */
	}
	strbuf_release(&why);
	return rc;
}

enum { STEP_ANSWER_RUN, STEP_ANSWER_SKIP, STEP_ANSWER_STOP };

/* With ask_steps, before step @i: its explanation, then run / skip /
 * abort / resume / use N (asked again after a backup was switched, and
 * after a "run" whose confirmation got "n").  STEP_ANSWER_RUN once
 * confirmed; STEP_ANSWER_STOP logged. */
static int ask_step(struct runner *rn, struct run *run, size_t i)
{
	static const char *const choices[] = { "run", "skip", "abort", "resume" };
	struct report *r = &rn->rep;
	const char *name = run_step_name(run, i);
	struct strbuf text = STRBUF_INIT, what = STRBUF_INIT;
	unsigned n, no = step_no(run, i, &n);
	int rc = STEP_ANSWER_STOP;
	for (;;) {
		char *a;
		strbuf_reset(&text);
		strbuf_addf(&text, _("Step %d of %d: %s"), (int)no, (int)n, run_step_title(run, i));
		strbuf_addf(&text, "\n\n%s\n\n", run_step_explain(run, i));
		run_describe_step(run, i, &text);
		strbuf_rtrim(&text);
		a = ask(rn, i, PROTO_ASK_STEP, text.buf, choices, 4);
		pthread_mutex_lock(&rn->mu);
		free(rn->choose_error);
		rn->choose_error = NULL;
		pthread_mutex_unlock(&rn->mu);
		if (!a) {
			report_log_stopped(r, LOG_WARN, "stopping before step %s: %s", name);
			break;
		}
		if (!strcmp(a, "skip")) {
			rc = STEP_ANSWER_SKIP;
		} else if (!strcmp(a, "abort")) {
			report_log(r, LOG_WARN, "runner: the operator quit before step %s", name);
		} else if (!strcmp(a, "resume")) {
			report_log(r, LOG_INFO, "runner: the operator chose to continue the "
				   "interrupted run");
			pthread_mutex_lock(&rn->mu);
			rn->resume = 1;
			pthread_mutex_unlock(&rn->mu);
		} else if (!strncmp(a, "use ", 4)) {
			struct err e = ERR_INIT;
			const struct backup_list *l = run_sources(run, i, NULL);
			char *end;
			unsigned long k = strtoul(a + 4, &end, 10);
			if (!l || *end || k >= l->n) {
				report_log(r, LOG_WARN, "runner: no backup %s for step %s", a + 4, name);
			} else if (run_use_source(run, i, k, r, &e) < 0) {
				/* logged in full; the dialog says it short */
				pthread_mutex_lock(&rn->mu);
				rn->choose_error = xstrdup(e.lmsg ? e.lmsg : e.msg ? e.msg : "?");
				pthread_mutex_unlock(&rn->mu);
				err_clear(&e);
			}
			free(a);
			continue;
		} else if (!strcmp(a, "run")) {
			strbuf_reset(&what);
			if (!run_step_destructive(run, i, &what) || confirm(rn, run, i, what.buf) > 0) {
				rc = STEP_ANSWER_RUN;
			} else if (!report_cancelled(r)) {
				free(a);
				continue; /* not confirmed: the step's question again */
			} else {
				report_log_stopped(r, LOG_WARN, "stopping before step %s: %s", name);
			}
		} else {
			free(a);
			continue; /* not an answer to this question */
		}
		free(a);
		break;
	}
	strbuf_release(&text);
	strbuf_release(&what);
	return rc;
}

int runner_resume_asked(const struct runner *rn)
{
	return rn->resume;
}

int runner_drive(struct runner *rn, struct run *run)
{
	struct report *r = &rn->rep;
	struct strbuf sb = STRBUF_INIT;
	int aborted = 0, asked = 0;

	/* Nothing to confirm: one question before the start, then the steps
	 * run unattended, so that a step whose effect the next ones end
	 * (maintenance mode on) never waits for a terminal. */
	rn->ask_once = rn->o.ask_steps;
	for (size_t i = 0; i < run_step_count(run) && rn->ask_once; i++)
		if (run_step_selected(run, i) && run_step_destructive(run, i, &sb))
			rn->ask_once = 0;
	strbuf_reset(&sb);
	pthread_mutex_lock(&rn->mu);
	rn->run = run;
	rn->n_views = run_step_count(run) + 1;
	rn->views = xcalloc(rn->n_views, sizeof *rn->views);
	for (size_t i = 0; i < run_step_count(run); i++)
		view_step(rn, i, 0);
	view_run(rn);
	for (size_t i = 0; i < run_step_count(run); i++)
		if (run_step_selected(run, i))
			send_step(rn, NULL, i, 0);
	pthread_mutex_unlock(&rn->mu);

	for (size_t i = 0; i < run_step_count(run) && !aborted; i++) {
		const char *name = run_step_name(run, i);
		int skip = 0;
		if (!run_step_selected(run, i))
			continue;
		if (rn->o.ask_steps && !(rn->ask_once && asked)) {
			int a = ask_step(rn, run, i);
			asked = 1;
			if (a == STEP_ANSWER_SKIP) {
				run_skip(run, i, r);
				report_log(r, LOG_WARN, "runner: step %s skipped by the operator", name);
				step_now(rn, i, PROTO_STEP_SKIPPED);
				skip = 1;
			} else if (a != STEP_ANSWER_RUN) {
				aborted = 1;
				break;
			}
		}
		if (skip)
			continue;
		if (rn->o.ask_sources && run_step_blocked(run, i, NULL) && choose_source(rn, run, i) < 0) {
			if (!report_cancelled(r))
				report_log(r, LOG_WARN, "no usable backup chosen: stopping before step %s",
					   name);
			aborted = 1;
			break;
		}
		strbuf_reset(&sb);
		if (!rn->o.yes && !rn->o.ask_steps && run_step_destructive(run, i, &sb)) {
			int c = confirm(rn, run, i, sb.buf);
			if (c <= 0) {
				if (report_cancelled(r))
					report_log_stopped(r, LOG_WARN, "stopping before step %s: %s",
							   name);
				else if (c < 0)
					/* not the operator's "no": said apart from
					 * it, in the summary too (newcomer 8.13) */
					report_log(r, LOG_WARN, "not confirmed: the typed confirmation "
						   "did not match %d times; stopping before step %s, "
						   "nothing more was changed", RUNNER_TRIES, name);
				else
					report_log(r, LOG_WARN, "not confirmed: stopping before step %s",
						   name);
				aborted = c < 0 && !report_cancelled(r) ? 3 : 1;
				break;
			}
		}
		for (;;) {
			struct err e = ERR_INIT;
			char *a;
			step_now(rn, i, PROTO_STEP_RUNNING);
			if (run_step(run, i, r, &e) == 0) {
				step_now(rn, i, PROTO_STEP_DONE);
				if (report_cancelled(r)) {
					report_log_stopped(r, LOG_WARN, "stopping after step %s: %s",
							   name);
					aborted = 1;
				}
				break;
			}
			/* the step logged its error in full (run_step) */
			err_clear(&e);
			if (run_refused(run)) {
				/* refused before anything changed: no step failed,
				 * nothing to retry or skip */
				step_now(rn, i, PROTO_STEP_PENDING);
				aborted = 2;
				break;
			}
			step_now(rn, i, PROTO_STEP_FAILED);
			if (report_cancelled(r)) {
				aborted = 1;
				break;
			}
			if (!rn->o.ask_failures || rn->o.yes || rn->ask_once) {
				aborted = 2; /* the flow stops; run_exit_code() says 1 */
				break;
			}
			{
				static const char *const rsa[] = { "retry", "skip", "abort" };
				a = ask(rn, i, PROTO_ASK_RETRY, run_step_failed_note(run, i), rsa, 3);
			}
			if (a && !strcmp(a, "retry")) {
				report_log(r, LOG_INFO, "runner: retrying step %s", name);
				free(a);
				continue;
			}
			if (a && !strcmp(a, "skip")) {
				run_skip(run, i, r);
				step_now(rn, i, PROTO_STEP_SKIPPED);
				free(a);
				break;
			}
			free(a);
			aborted = 2;
			break;
		}
	}
	pthread_mutex_lock(&rn->mu);
	rn->st.state = STATUS_RUNNING;
	rn->run = NULL; /* the caller's again: it may free it (the locks) */
	pthread_mutex_unlock(&rn->mu);
	strbuf_release(&sb);
	if (report_cancelled(r)) {
		run_set_stopped(run, report_cancelled(r));
		return 130;
	}
	if (aborted == 1) {
		run_set_stopped(run, 1); /* not confirmed */
		return 130;
	}
	if (aborted == 3) {
		run_set_stopped(run, REPORT_STOP_MISMATCH);
		return RUNNER_EXIT_MISMATCH;
	}
	return run_exit_code(run);
}
