/*
 * wizard: the full-screen wizard of a flow (the restore's six steps), as a
 * client of the runner that does the work (src/engine/runner.h, started
 * with runner_opts.ask_steps).
 *
 * It attaches to the runner's socket and shows each step the runner asks
 * about (what it does, source and target), asks before anything
 * destructive (the database step wants its name typed) and sends the
 * answers; while a step runs it draws the runner's progress and log and
 * keeps answering keys, resizes and the clock; it offers retry / skip /
 * abort when a step fails, and ends on the runner's summary.  The terminal
 * can go away at any time: the run goes on in the runner, and a wizard
 * started again attaches to it (the same screen, the step list, the log
 * backlog, the pending question).  A second wizard is told who answers
 * since when and may take over; the other turns read-only.
 */
#ifndef BR_WIZARD_H
#define BR_WIZARD_H

struct wizard_opts {
	const char *socket_path; /* the runner's socket */
	const char *log_path;    /* the run log: shown in the summary; may be NULL */
	long runner_pid;         /* for the messages */
	const char *banner;      /* leads the title line of every screen ("DRILL"),
				    or NULL */
	const char *drill_banner; /* leads it when the runner's VIEW says the run is
				    a drill's (a wizard attached to it without
				    --drill-root), or NULL */
	int reattach;            /* the run was started before (another terminal):
				    no "before you start" notice */
	const char *resume_cmd;  /* what continues the run when its runner was
				    killed ("biso-recover restore --resume
				    --config ..."), or NULL */
	const char *again;       /* a restore finished moments ago and this run
				    would replace again what it kept
				    (run_again_text()): shown with a question
				    before the first step, default no (no: the
				    run stops there, nothing changed); NULL:
				    not asked (--again, a wizard attached later) */
	int *to_menu;            /* started from the first screen: the summary
				    offers m, back to it, which sets *to_menu
				    to 1; NULL: no first screen to go back to */
};

/* wizard_run()'s answer when the operator chose to continue the
 * interrupted run on the first screen: nothing ran; the caller starts a
 * runner with run_opts.resume. */
#define WIZARD_RESUME 200

/* wizard_run()'s answer when this wizard left a run that goes on (the
 * terminal hung up, the operator pressed d, or left a read-only view): the
 * runner owns it. */
#define WIZARD_LEFT 201

/*
 * Attach to the runner at o->socket_path and run the wizard until the run
 * ends and the operator leaves the summary; returns the run's exit code: 0
 * done, 1 a step failed (old data kept), 3 finished with steps
 * skipped/failed that the operator chose to continue past, 130 aborted by
 * the operator (SIGINT is the q key: it asks first; SIGTERM is sent to the
 * runner as a cancel; either way the wizard returns after the run's END),
 * 2 when no terminal could be opened or the runner cannot be reached (the
 * message is on stderr), WIZARD_RESUME and WIZARD_LEFT (above).  Restores
 * the terminal before returning, also on error, and then leaves on the
 * normal screen (stdout) the summary and a one-line verdict (finished or
 * not, the exit code, the log), or where the run goes on.
 */
int wizard_run(const struct wizard_opts *o);

#endif
