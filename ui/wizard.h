/*
 * wizard: the full-screen wizard of a flow (the restore's six steps).
 *
 * Drives the steps of a prepared struct run one by one: shows each
 * step (what it does, source and target), asks before anything destructive
 * (the database step wants its name typed), runs the step in a worker
 * thread while the screen keeps answering keys, resizes and the clock,
 * offers retry / skip / abort when a step fails, and ends on a summary.
 */
#ifndef BR_WIZARD_H
#define BR_WIZARD_H

struct run;
struct report;

struct wizard_opts {
	struct report *logsink; /* every log line is also passed here (the run log file); may be NULL */
	const char *log_path;   /* shown in the summary; may be NULL */
	const char *warnings;   /* warnings logged before the wizard took the
				   screen (an interrupted earlier run, old
				   copies ...), one a line; shown on the first
				   screen and in the log pane; may be NULL */
	const char *banner;     /* leads the title line of every screen ("DRILL"),
				   or NULL */
	int offer_resume;       /* the warnings name an interrupted run: the
				   first screen offers to continue it (c) or to
				   start over (any other key) */
};

/* wizard_run()'s answer when the operator chose to continue the
 * interrupted run on the first screen: nothing ran; the caller starts a run
 * with run_opts.resume. */
#define WIZARD_RESUME 200

/*
 * Runs the wizard over @run (prepared and preflighted) until
 * the operator finishes or quits; returns the process exit code: 0 done,
 * 1 a step failed (old data kept), 3 finished with steps skipped/failed that
 * the operator chose to continue past, 130 aborted by the operator (also on
 * SIGINT, SIGTERM or SIGHUP, after the running step stopped), 2 when no
 * terminal could be opened (the message is on stderr).  Restores the
 * terminal before returning, also on error.  WIZARD_RESUME: see above.  @o may be NULL.  The caller
 * keeps ownership of @run and frees it afterwards.
 */
int wizard_run(struct run *run, const struct wizard_opts *o);

#endif
