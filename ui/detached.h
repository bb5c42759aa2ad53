/*
 * detached: a flow run by a runner detached from the terminal, with line
 * mode as its client (issue 11).  The one way a command runs a flow
 * detached: the starter (detached_start_or_attach()) opens the run log,
 * starts this same program again with the internal --runner STAMP and the
 * options that shape the run (detach.h), and follows it as a client
 * (client.h); the runner (detached_runner_main()) prepares, checks and
 * drives the run, serving its clients (runner.h).  A command started
 * again while a live runner of the instance exists attaches to it instead.
 *
 * A flow is named by a struct detached_flow: its flow_def, its command
 * word and how the command's options become the run's options.  The
 * options passed on to the runner come from one table in detached.c (the
 * flag and the field of struct cli); the conninfo travels in the
 * environment (CLI_RUNNER_DBNAME_ENV), never argv.
 */
#ifndef BR_DETACHED_H
#define BR_DETACHED_H

#include "cli.h"
#include "conf.h"

struct flow_def;
struct run_opts;
struct status;

struct detached_flow {
	const struct flow_def *flow;
	const char *command;    /* the command word the runner is started
				   with, the flow's name (its status file's) */
	/* Fill @ro (at, only, dump ...) from @cl for run_new(); the starter
	 * and the runner both call it.  0, or an exit code after a usage
	 * error was printed (cli_usage_error()). */
	int (*options)(const struct cli *cl, struct run_opts *ro);
	const char *what_plan;  /* msgid: "cannot make a restore plan" */
	const char *what_start; /* msgid: "cannot start the restore" */
	const char *resume;     /* the command that continues a run whose runner
				   was killed ("biso-recover restore --resume");
				   NULL: the flow cannot be resumed */
	/* A preflight that refuses: the msgid that says so (NULL: "nothing
	 * was touched") and the exit code (0: EXIT_USAGE). */
	const char *what_refused;
	int refused_code;
	int no_questions;       /* the flow asks nothing (backup): no terminal
				   needed, run as with --yes */
	/* In the starter, after a run that was not a usage error ended with
	 * @code (not when the client was hung up): e.g. the line a cron mail
	 * is searched for; @log_path the run log.  NULL: nothing. */
	void (*ended)(int code, const char *log_path);
};

/*
 * The command run detached: attach to the live run of @df's flow of this
 * instance (detached_live_run()), or check for a terminal (unless --yes
 * or no_questions), start a runner of @df and attach to it.  A live run
 * of another flow is left alone (the new run's preflight checks the
 * locks).  Returns the run's exit code
 * (client_follow()), or EXIT_USAGE when nothing started.
 */
int detached_start_or_attach(const struct detached_flow *df, const struct cli *cl, struct conf *c);

/*
 * The same with the wizard (wizard.h) as the client: the runner is started
 * with the internal --ask-steps (runner_opts.ask_steps: it asks before
 * every step, and retry/skip/abort after a failure) and, when cl->resume,
 * --resume; a live run of the instance is attached to with the wizard.
 * The operator's "continue the interrupted run" on the first screen
 * starts it again with --resume.  Returns the run's exit code
 * (wizard_run(); WIZARD_LEFT as 130), EXIT_USAGE when nothing started.
 */
int detached_wizard(const struct detached_flow *df, const struct cli *cl, struct conf *c);

/*
 * @df's flow as its command, the wizard (@wizard) or a drill runs it: a dry
 * run in-process, which changes nothing (cli_run_flow() with df->options
 * and cl->drill_root as the sandbox: the plan); else a runner's client
 * (detached_wizard() or detached_start_or_attach()).  Returns the exit
 * code.
 */
int detached_or_plan(const struct detached_flow *df, const struct cli *cl, struct conf *c,
		     int wizard);

/*
 * The detached runner of run cl->runner (started by
 * detached_start_or_attach()): prepare, check and drive the run of @df,
 * serving its clients (runner.h); its stdout and stderr are the run log.
 * Returns the run's exit code.
 */
int detached_runner_main(const struct detached_flow *df, const struct cli *cl, struct conf *c);

/*
 * A run of the instance logging to @log_dir, not finished, whose runner
 * is alive and listens: 1 with @st filled (status_clear() it), else 0
 * with @st cleared.  (A killed runner nobody reaped yet is a zombie with
 * its pid and start time: only its socket tells.)
 */
int detached_live_run(const char *log_dir, struct status *st);
/* 1 when the runner of @st (a run of @log_dir's status file that has not
 * finished, its process alive) listens on its socket: the check of
 * detached_live_run() after the status file's, for a caller that read the
 * status file itself. */
int detached_listens(const char *log_dir, const struct status *st);

/*
 * The newest run of the instance logging to @log_dir, not finished, whose
 * runner died (kill -9, a power cut): 1 with @st filled (status_clear()
 * it; st->resume the command that continues it, when its flow can be
 * resumed), else 0 with @st cleared.
 */
int detached_died_run(const char *log_dir, struct status *st);

/*
 * Attach to the live run @st of the instance (detached_live_run()): its
 * step list, log backlog, progress and pending question, answered from
 * here, in line mode or, with @wizard, in the wizard (cl->drill_root: its
 * DRILL banner).  When its runner dies, the client names st->resume
 * (the run's own resume command, from its status file).  Clears @st.
 * Returns the run's exit code (client_follow(), wizard_run()).
 */
int detached_attach(const struct cli *cl, const struct conf *c, struct status *st, int wizard);

/*
 * The socket of run @run_id of the instance logging to @log_dir,
 * malloc'd, or NULL with @e: "<run id>-<8 hex digits of the SHA-256 of
 * the log directory's real path>.sock" in the run directory (rundir.h).
 * Run ids are unique per log directory only, and /run/biso-recover is
 * every instance's.
 */
char *detached_socket_of(const char *log_dir, const char *run_id, struct err *e);

#endif
