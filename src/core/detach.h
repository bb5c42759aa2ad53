/*
 * detach: start a runner that the terminal cannot take down.
 *
 * The runner is a program (argv) started in a session of its own (fork,
 * setsid, fork again: it is no session leader, so it never gets a
 * controlling terminal), SIGHUP ignored and every other signal at its
 * default and unblocked, stdin /dev/null, stdout and stderr appended to
 * the run log (mode 0600), no other descriptor inherited.  It is reparented
 * to init (or a subreaper) at once: the caller has no child to reap.
 *
 * Under systemd (/run/systemd/system exists) it is started through
 * `systemd-run --scope` (--user when we are not root), so that logind's
 * KillUserProcesses=yes does not end it with the SSH session; where that
 * is not possible the result says why (detach_result.note) for the caller
 * to write into the run log.
 *
 * The caller learns the runner's pid and whether it started through a pipe
 * (close-on-exec): "started" is the exec of the program, or, with
 * wait_ready, the runner's own detach_ready() call, which also catches a
 * systemd-run that ran but could not make the scope (the start is then
 * retried without one).
 */
#ifndef BR_DETACH_H
#define BR_DETACH_H

#include <sys/types.h>

struct err;

enum detach_scope {
	DETACH_SCOPE_AUTO,  /* systemd-run --scope when under systemd */
	DETACH_SCOPE_NEVER, /* never (the note says so) */
};

struct detach_opts {
	const char *const *argv; /* the runner; argv[0] looked up in PATH; NULL-terminated */
	const char *log_path;    /* stdout and stderr: appended, created 0600 */
	const char *unit;        /* scope name (e.g. "biso-recover-<run id>"), or NULL */
	enum detach_scope scope;
	int wait_ready;          /* wait for the runner's detach_ready() */
	/* For tests; NULL: the real ones. */
	const char *systemd_run;  /* "systemd-run" */
	const char *systemd_root; /* "/run/systemd/system": under systemd when it exists */
};

struct detach_result {
	pid_t pid;  /* the runner's pid */
	int scoped; /* 1 when it runs in a systemd scope of its own */
	char *note; /* malloc'd, NULL when scoped: why it is not, for the run log */
};

/*
 * Start @o's runner detached.  0 with @r filled (free r->note); -1 with @e
 * when it could not be started: the log cannot be opened, fork fails, the
 * program cannot be executed ("cannot start PROG: No such file or
 * directory"), or, with wait_ready, it exited before detach_ready() (its
 * messages are in the log).
 */
int detach_start(const struct detach_opts *o, struct detach_result *r, struct err *e);

/* In the runner, once it is up: tell the starter so (wait_ready), and close
 * the descriptor (BISO_RECOVER_READY_FD in the environment, removed here).
 * A runner not started with wait_ready: no-op. */
void detach_ready(void);

/* The environment variable that names the ready descriptor. */
#define DETACH_READY_ENV "BISO_RECOVER_READY_FD"

#endif
