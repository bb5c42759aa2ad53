/*
 * client: line mode as a client of a detached runner (src/engine/runner.h).
 *
 * It attaches to the runner's socket, prints what the runner reports as
 * line mode always printed it (log lines and one progress line a second on
 * stderr, the summary at the end), asks the runner's questions on the
 * terminal and sends the answers.  Ctrl-C (SIGINT) and SIGTERM ask the
 * runner to stop at the step's next safe point; a hang-up (SIGHUP) only
 * ends the client: the runner goes on, and `biso-recover restore` started
 * again attaches to it.
 */
#ifndef BR_CLIENT_H
#define BR_CLIENT_H

struct client_opts {
	const char *socket_path; /* the runner's socket */
	const char *log_path;    /* the run log, named when the runner vanishes */
	long runner_pid;         /* for the messages */
	const char *run_id;      /* the run's stamp, for the re-attach line */
	const char *running;     /* the re-attach line's start, translated: "A
				    backup of this instance is running"; NULL:
				    a restore's */
	int reattach;            /* attaching to a run started before: print
				    the step list and what the runner sends
				    first as a re-attach */
	int watch;               /* only watch (never control) */
	const char *resume_cmd;  /* what continues the run when the runner
				    vanishes ("biso-recover restore --resume",
				    said with "the same options"); NULL: none */
};

/* Attach and follow the run to its end.  Returns the runner's exit code;
 * 1 when the runner went away without an end (killed), 2 when it cannot
 * be reached; 130 when this client was hung up (the run goes on). */
int client_follow(const struct client_opts *o);

/* Set up the client's signal handling (before client_follow()). */
void client_install_signals(void);

/* Append "root on pts/3 from 10.0.0.7 (pid 1234)" (in the operator's
 * language) to @out: who this client is, as the runner names it to a
 * second client. */
struct strbuf;
void client_who_am_i(struct strbuf *out);

/* 1 when client_follow() returned because this client was hung up
 * (SIGHUP, the terminal gone): the run goes on, nothing ended. */
int client_hung_up(void);

#endif
