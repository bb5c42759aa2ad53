/*
 * report: how long work talks to whoever drives it (batch line, wizard,
 * tests), after git's progress.c and ncdu's front ends.
 *
 * The backend fills a struct progress and calls report_progress(); it logs
 * with report_log(); it asks report_cancelled() between units of work.  A
 * NULL struct report, or NULL callbacks in it, cost nothing.  Callbacks may
 * be invoked from a worker thread: the front end must only copy the data
 * and return quickly (the wizard posts it to its event queue).
 *
 * Progress calls are throttled here (at most every 100 ms by a monotonic
 * clock, plus always the first and last) so backends can call it per item.
 */
#ifndef BR_REPORT_H
#define BR_REPORT_H

#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

struct progress {
	const char *phase;    /* short label: "copying", "replaying", ... */
	uint64_t done_bytes;  /* bytes processed so far */
	uint64_t total_bytes; /* 0 if unknown */
	uint64_t done_items;  /* files, statements, rows ... */
	uint64_t total_items; /* 0 if unknown */
	const char *current;  /* current file / TOC entry, may be NULL */
};

struct report {
	/* Progress snapshot; pointers inside are valid only during the call. */
	void (*progress)(void *ctx, const struct progress *p);
	/* One log line without trailing newline. */
	void (*log)(void *ctx, enum log_level level, const char *line);
	/* Non-zero when the work is to stop: 1 when the operator asked (a key),
	 * REPORT_STOP_SIGNAL(sig) when a signal came (report_stop_reason()
	 * says which in words). */
	int (*cancelled)(void *ctx);
	void *ctx;
	/* Private: throttling state; zero-initialise.  The time from which
	 * the next unforced progress passes; 0: none has passed yet (a
	 * time, not a flag, so that a fake clock may start at 0). */
	int64_t next_ns;
};

/* Monotonic clock in nanoseconds.  Tests may replace the source with
 * report_set_clock() (the throttle below reads it too); NULL restores
 * CLOCK_MONOTONIC. */
int64_t report_now_ns(void);
void report_set_clock(int64_t (*clock_fn)(void));

/* Pass progress on if @force (the final one of a phase), if it is the first,
 * or if at least 100 ms passed since the last one passed; drop it
 * otherwise. */
void report_progress(struct report *r, const struct progress *p, int force);
/* printf-style log line. */
void report_log(struct report *r, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* What cancelled() returns when signal @sig stops the work. */
#define REPORT_STOP_SIGNAL(sig) (0x100 | (sig))
/* Non-zero when the work is to stop (0 for NULL): the value cancelled()
 * returned. */
int report_cancelled(struct report *r);
/* Why the work stops, for messages such as "restore aborted: %s":
 * "cancelled by the operator", "the terminal hung up (SIGHUP)", "stopped
 * by SIGTERM" ... (static text; the operator's words also when
 * report_cancelled() is 0). */
const char *report_stop_reason(struct report *r);
/* The same for a value cancelled() returned (1, REPORT_STOP_SIGNAL(sig)). */
const char *report_reason(int why);
/* "INFO", "WARN" ... */
const char *log_level_name(enum log_level level);

#endif
