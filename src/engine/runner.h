/*
 * runner: the process that does a run's work while clients (line mode, the
 * wizard) watch and answer over a Unix socket (proto.h), after tmux's
 * server.c.  It is started detached from the terminal (detach.h), so a
 * dropped SSH connection takes down only a client.
 *
 * The runner listens on the run's socket (rundir.h) and serves it from a
 * thread of its own, so that clients attach, leave and take over while a
 * step works.  Everything the run reports goes to the run log, to every
 * attached client (LOG, PROGRESS, STEP, END) and into the status file
 * (statusfile.h: at most once a second, at once at a question and at the
 * end).  A client attaching late gets the step list, the log backlog (the
 * last RUNNER_BACKLOG lines), the last progress and the pending question.
 *
 * Questions.  Every decision the operator makes is a QUESTION to the one
 * controlling client, answered by an ANSWER:
 *   - before a destructive step (run_step_destructive()): yes, or the typed
 *     word (run_confirm_word()); a wrong answer is asked again up to
 *     RUNNER_TRIES times, "n"/"no" stops the run before the step;
 *   - when a step failed and runner_opts.ask_failures: retry, skip or abort;
 *   - when a step is blocked (run_step_blocked()) and runner_opts.ask_sources:
 *     which backup instead (run_sources()/run_use_source());
 *   - with runner_opts.ask_steps (the wizard), before every step whether to
 *     run it (PROTO_ASK_STEP: run, skip, abort, resume, or use another
 *     backup of the step's list, after which it asks again), as the wizard
 *     shows each step's explanation first; "n" at the confirmation that
 *     follows a "run" asks again instead of stopping.  When no selected
 *     step is destructive (a backup) it asks only before the first step
 *     and a failed step stops the flow: once started, the run needs no
 *     terminal (maintenance mode stays on no longer than the steps take).
 *     The run's VIEW then carries "ask_once"; with ask_steps it carries
 *     "ask_steps" (a client tells a "n" that goes back from one that stops).
 * Every step's VIEW (proto.h: what a screen shows of it) goes to the
 * clients before the drive starts, whenever the step changes and before a
 * question about it; a late client gets the newest of each.
 * With no controlling client the runner waits at the question (state
 * "waiting" in the status file) until one attaches: a client that went
 * away decides nothing.  The step that runs when a client leaves goes on
 * to its end.  With runner_opts.yes there are no confirmations; a failed
 * step then stops the flow (exit 1), since no failure policy says more.
 *
 * Cancellation: a CANCEL from the controlling client, or runner_signal()
 * (SIGTERM/SIGINT to the runner), stops the run at the step's next safe
 * point, as Ctrl-C did in-process.  SIGHUP is the runner's caller's to
 * ignore (detach.c does).
 */
#ifndef BR_RUNNER_H
#define BR_RUNNER_H

#include <stdint.h>

#include "err.h"
#include "report.h"

struct run;
struct logfile;

/* Log lines a late client gets, the newest. */
#define RUNNER_BACKLOG 2000
/* How often a confirmation is asked when the answer does not fit. */
#define RUNNER_TRIES 3
/* runner_drive()'s exit code when a confirmation did not match
 * RUNNER_TRIES times (line mode): not confirmed, nothing more changed;
 * run_set_stopped(REPORT_STOP_MISMATCH) says why in the summary. */
#define RUNNER_EXIT_MISMATCH 7

struct runner_opts {
	const char *socket_path; /* listen here (rundir_socket_path()) */
	const char *status_path; /* the status file (statusfile_path()); NULL: none */
	struct logfile *log;     /* the run log (borrowed); NULL: none */
	const char *run_id;      /* for the status file: the run's stamp (copied) */
	const char *flow;        /* for the status file: "restore" (copied) */
	const char *resume_cmd;  /* for the status file: what continues the run
				    if this runner dies ("biso-recover restore
				    --resume --config ..."; copied); NULL: none */
	int yes;                 /* no confirmations (--yes) */
	int ask_failures;        /* a failed step asks retry/skip/abort */
	int ask_sources;         /* a blocked step asks for another backup */
	int ask_steps;           /* ask before every step (PROTO_ASK_STEP) */
	int drill;               /* the run is a drill's (in its sandbox): the
				    run's VIEW says so ("drill"), so that a
				    wizard attached later shows the DRILL banner */
	int64_t (*clock)(void);  /* the status file's throttle; NULL: monotonic */
};

struct runner;

/*
 * Listen on o->socket_path and start serving it.  The runner is then
 * reachable: call detach_ready().  NULL with @e when the socket cannot be
 * made (another runner listens there, the path is not ours).
 */
struct runner *runner_start(const struct runner_opts *o, struct err *e);

/* The report the run is driven with (prepare, preflight, steps, finish):
 * log lines to the log, the clients and the backlog; progress to the
 * clients and the status file; cancelled() as described above.  Owned by
 * @rn. */
struct report *runner_report(struct runner *rn);

/*
 * Drive @run (run_preflight() passed) as batch_run() does, with the
 * questions above; the steps' states go to the clients and the status
 * file.  Returns the exit code (run_exit_code(), or 130 when the operator
 * or a signal stopped it, RUNNER_EXIT_MISMATCH when a confirmation did
 * not match RUNNER_TRIES times, with run_set_stopped() called).  Does not call
 * run_finish().  @run is not touched after it returns: the caller may free
 * it (releasing its locks) before runner_end().
 */
int runner_drive(struct runner *rn, struct run *run);

/* 1 when the operator answered a PROTO_ASK_STEP with "resume": the run
 * stopped before its first step (130) and the client starts the
 * interrupted run again. */
int runner_resume_asked(const struct runner *rn);

/*
 * The end: @code and @text (the summary a client prints, or why the run
 * did not start) to every client and the status file, with force.  Waits
 * until every attached client has read it and gone, and for a first
 * client when none ever attached (the starter, about to), at most
 * @linger_ms.
 */
void runner_end(struct runner *rn, int code, const char *text, int linger_ms);

/* Stop serving, close the socket (its file is removed), free @rn.  NULL:
 * no-op. */
void runner_free(struct runner *rn);

/* From a signal handler (async-signal-safe): stop the run at the next
 * safe point with REPORT_STOP_SIGNAL(@sig), as a CANCEL does. */
void runner_signal(int sig);

#endif
