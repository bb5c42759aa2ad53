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
 * Two languages (i18n.h).  A log line is English in the run log and in
 * the operator's language on the screen.  report_log()'s format is a msgid
 * (po/Makevars makes it an xgettext keyword): the line is formatted from
 * it, and its translation from the catalogue's format with the same
 * arguments.  A front end that shows log lines sets log_l10n and gets
 * both (the English for its log file, @shown for the screen; the runner
 * sends @shown to its clients); one that sets only log gets the English.
 * Where an argument is itself a text in two languages (an error, a step's
 * title), the caller formats the screen's line and passes it to
 * report_log_l10n().
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
	/* Optional, called instead of log when set: the line in English
	 * (@line, for a log file) and in the operator's language (@shown, for
	 * the screen; @line itself when the catalogue has no translation). */
	void (*log_l10n)(void *ctx, enum log_level level, const char *line, const char *shown);
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
/* printf-style log line; @fmt is a msgid: the screen gets its translation
 * formatted with the same arguments (see above). */
void report_log(struct report *r, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same with the screen's line given: @shown (already in the operator's
 * language, or NULL: the English line) instead of @fmt's translation. */
void report_log_l10n(struct report *r, enum log_level level, const char *shown,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* report_log() of @fmt, a msgid with two %s: @name and the reason the work
 * stops (report_stop_reason()), which the screen's line has translated. */
void report_log_stopped(struct report *r, enum log_level level, const char *fmt,
			const char *name);
/* Pass a line on as it came (a report that forwards to another): to
 * log_l10n when set, else the English @line to log.  NULL @shown: @line. */
void report_line(struct report *r, enum log_level level, const char *line, const char *shown);
/* For run_set_stopped(): the run stopped because the typed confirmation
 * of a step did not match RUNNER_TRIES (3) times in line mode (not the
 * operator's "no", not a signal). */
#define REPORT_STOP_MISMATCH 2
/* What cancelled() returns when signal @sig stops the work. */
#define REPORT_STOP_SIGNAL(sig) (0x100 | (sig))
/* Non-zero when the work is to stop (0 for NULL): the value cancelled()
 * returned. */
int report_cancelled(struct report *r);
/* Why the work stops, for messages such as "restore aborted: %s":
 * "cancelled by the operator", "the terminal hung up (SIGHUP)", "stopped
 * by SIGTERM" ... (static English text, a msgid: _() of it is the
 * screen's; the operator's words also when report_cancelled() is 0). */
const char *report_stop_reason(struct report *r);
/* The same for a value cancelled() returned (1, REPORT_STOP_SIGNAL(sig)). */
const char *report_reason(int why);
/* "INFO", "WARN" ... */
const char *log_level_name(enum log_level level);

/* The rate of a phase's progress over a sliding window of its last
 * samples (at least 250 ms apart), so that a slow start or a burst does not
 * stay in it: the one way the wizard, the runner's PROGRESS and the status
 * file compute "bytes per second".  Zero-initialise; no resources. */
#define RATE_SAMPLES 16
struct rate_window {
	int64_t t_ns[RATE_SAMPLES]; /* report_now_ns() of each sample */
	uint64_t bytes[RATE_SAMPLES];
	int head, n;
};
/* Start again (a new step or phase). */
void rate_window_reset(struct rate_window *rw);
/* A sample: @done bytes at @t_ns.  @new_phase (or bytes going backwards)
 * starts the window again. */
void rate_window_add(struct rate_window *rw, int64_t t_ns, uint64_t done, int new_phase);
/* Bytes per second at @now_ns (a stalled phase slows down instead of
 * freezing), or -1 while the window spans less than half a second. */
double rate_window_rate(const struct rate_window *rw, int64_t now_ns);

#endif
