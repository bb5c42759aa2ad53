/*
 * runcmd: run a child process from an argv array, never through a shell
 * (after git's run-command.c).
 *
 * The child gets /dev/null as stdin unless told otherwise; its stdout and
 * stderr are read through pipes and handed to the caller line by line, so
 * long-running tools (php biso-cli migration exec, pg_restore) stream into
 * the log as they print.  All other file descriptors are closed in the
 * child (close_range), so no libpq socket or log file leaks into it.
 */
#ifndef BR_RUNCMD_H
#define BR_RUNCMD_H

#include <sys/types.h>

struct err;
struct strbuf;
struct report;

/* A user to run a child as: its groups become just @gid; HOME, USER and
 * LOGNAME come from the passwd entry of @uid (HOME / without one). */
struct runcmd_user {
	uid_t uid;
	gid_t gid;
	const char *name; /* for the log line */
};

struct child_process {
	const char *const *argv;  /* argv[0] is looked up in PATH; NULL-terminated */
	const char *const *env;   /* extra "NAME=VALUE" entries (NULL-terminated) or NULL */
	const char *dir;          /* working directory, or NULL */
	/* Called once per output line (without the newline); @is_stderr tells
	 * which stream.  NULL: output is discarded.  Lines longer than 64 KiB
	 * are handed over in pieces. */
	void (*on_line)(void *ctx, int is_stderr, const char *line);
	/* When set, stdout is not split into lines but handed over as read
	 * (any bytes, pieces of up to 64 KiB), for output that is data (pg_dump
	 * into a compressor).  Returning -1 with @e set stops the child
	 * (SIGTERM) and runcmd_run() returns -1 with that error. */
	int (*on_stdout)(void *ctx, const void *buf, size_t len, struct err *e);
	void *ctx;
	struct report *report;    /* checked for cancellation; may be NULL */
	const struct runcmd_user *as; /* run as this user (the caller must be root), or NULL */
};

/*
 * Run @cp to completion.  Returns 0 when the child ran and exited with
 * status 0; 1 when it ran and exited non-zero or was killed (*@status gets
 * the exit status, or 128+signal); -1 with @e set when it could not be
 * started (e.g. "php: not found").  On cancellation the child is sent
 * SIGTERM, reaped, and -1 is returned with "ARGV0 aborted: " and
 * report_stop_reason().
 */
int runcmd_run(const struct child_process *cp, int *status, struct err *e);

/*
 * Run @argv (in @dir, or the current directory when NULL) with each output
 * line logged through @r: stdout at LOG_INFO, stderr at LOG_WARN, indented.
 * @capture (may be NULL) also gets stdout+stderr.  Returns 0 on exit status
 * 0; -1 with @e otherwise ("... exited with status N").
 */
int runcmd_logged(const char *const *argv, const char *dir, struct strbuf *capture,
		  struct report *r, struct err *e);
/* runcmd_logged() as the user @as (NULL: as ourselves); the log line says
 * which user. */
int runcmd_logged_as(const char *const *argv, const char *dir, const struct runcmd_user *as,
		     struct strbuf *capture, struct report *r, struct err *e);

/* In a child after fork(), before exec: close every descriptor from
 * @lowfd up, so that it inherits no libpq socket, log or lock file
 * (close_range() where the kernel has it).  Async-signal-safe; for a
 * child set up outside runcmd_run() (detach.c). */
void runcmd_close_from(int lowfd);

/* In a child after fork(), before exec: put it in its own process group
 * and have it killed (SIGKILL) when the runner @parent (its getpid() before
 * the fork) dies, however it dies.  Call it after any setuid(), which clears
 * that setting.  -1 when @parent is already gone (the child should then
 * _exit). */
int runcmd_child_bind(pid_t parent);

/* Render @argv for logs and dry-run plans, each word shell-quoted where
 * needed (for the operator to read or paste; never executed by us). */
void runcmd_format_argv(const char *const *argv, struct strbuf *out);

/* 1 when @prog is an executable path, or (without a '/') an executable
 * found in PATH ("/usr/bin:/bin" when unset).  For the checks before a
 * flow starts a program. */
int runcmd_have_program(const char *prog);

#endif
