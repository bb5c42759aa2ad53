/*
 * wizard_worker: runs one step of a flow in a thread beside the wizard's
 * input loop, and carries what the step reports back to it.
 *
 * The step's report callbacks only copy: log lines are appended to a queue,
 * progress replaces a single snapshot (the newest is all the screen needs),
 * and the end of the step is recorded with its status and error.  Every
 * post writes one byte to a self-pipe, so the input loop can poll() the
 * terminal and wizard_worker_fd() together and never blocks on the backend.
 *
 * Log lines from the main thread go through wizard_worker_log() too: the
 * sink (the run log) then sees every line in order and from one thread at
 * a time.
 *
 * The struct run is the worker's while a step runs: the caller must
 * not touch it between wizard_worker_start() and the "done" event (or
 * wizard_worker_join()).
 */
#ifndef BR_WIZARD_WORKER_H
#define BR_WIZARD_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "err.h"
#include "report.h"
#include "run.h"

/* One log line as queued; text owned. */
struct wizard_logline {
	time_t wall;          /* when it was logged */
	enum log_level level;
	char *text;
	struct wizard_logline *next;
};

/* A copy of a struct progress; strings owned (may be NULL). */
struct wizard_progress {
	char *phase;
	char *current;
	uint64_t done_bytes, total_bytes, done_items, total_items;
	int64_t t_ns;         /* report_now_ns() when it was posted */
};

/* Everything posted since the last wizard_worker_take(); owned by the
 * caller, freed with wizard_events_release(). */
struct wizard_events {
	struct wizard_logline *logs;  /* oldest first */
	int have_progress;
	struct wizard_progress progress;
	int done;                     /* the step returned */
	int rc;                       /* its return value */
	struct err err;               /* its error when rc != 0 */
};

struct wizard_worker {
	pthread_mutex_t mu;
	int pipefd[2];
	struct report *sink;          /* borrowed; may be NULL */
	atomic_int cancel;            /* read by the report's cancelled() */

	/* guarded by mu */
	struct wizard_logline *head, *tail;
	int have_progress;
	struct wizard_progress progress;
	int done, rc;
	struct err err;

	/* the running step: owned by the thread until joined */
	pthread_t th;
	int started;                  /* a thread exists that was not joined */
	struct run *run;
	size_t step;
	long source;                  /* -1: run the step; else the backup chosen */
	struct report rep;
};

/* Set up the queue and the self-pipe.  @sink (may be NULL) gets every log
 * line.  Returns 0 or -1 with @e set. */
int wizard_worker_init(struct wizard_worker *ww, struct report *sink, struct err *e);
/* Join a running step (after cancelling it), free the queue, close the pipe. */
void wizard_worker_destroy(struct wizard_worker *ww);

/* Start run_step(@run, @s) in a new thread (with @source >= 0:
 * run_use_source(@run, @s, @source), the operator's choice of backup,
 * which reads a dump once whole), with SIGINT, SIGTERM, SIGHUP, SIGWINCH and
 * friends blocked in it so that signals reach the input loop.  Returns 0 or
 * -1 with @e set (no thread was started). */
int wizard_worker_start(struct wizard_worker *ww, struct run *run, size_t s,
			long source, struct err *e);
/* Ask the running step to stop: its report's cancelled() returns @why,
 * 1 for the operator's key or REPORT_STOP_SIGNAL(sig) (the step's error
 * then says which).  The first reason given stays. */
void wizard_worker_cancel(struct wizard_worker *ww, int why);
/* Wait for the thread of the last step, if any.  Needed once "done" was
 * seen before the struct run is touched again. */
void wizard_worker_join(struct wizard_worker *ww);
/* 1 while a started step has not been joined. */
int wizard_worker_busy(const struct wizard_worker *ww);

/* Log a line from any thread: passed to the sink and queued for the screen. */
void wizard_worker_log(struct wizard_worker *ww, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Wake the input loop (async-signal-safe: only write(2)). */
void wizard_worker_poke(struct wizard_worker *ww);

/* The descriptor to poll for POLLIN: readable when something was posted. */
int wizard_worker_fd(const struct wizard_worker *ww);
/* Drain the pipe and move everything posted into @ev (which must be empty
 * or released). */
void wizard_worker_take(struct wizard_worker *ww, struct wizard_events *ev);
/* Free what wizard_worker_take() gave. */
void wizard_events_release(struct wizard_events *ev);
/* Free the strings of a progress copy. */
void wizard_progress_release(struct wizard_progress *p);

#endif
