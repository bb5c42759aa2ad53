/*
 * statusfile: the state of a run that a second shell reads without asking
 * the runner (biso-recover status, monitoring, a cron mail).
 *
 * The runner writes <log_dir>/biso-recover-<run id>.status, next to its run
 * log: written to "<path>.tmp" (0600) and renamed into place, so a reader
 * sees the old state or the new one, never half of one.  Writes are
 * throttled to one a second by a monotonic clock the tests can fake; a
 * change a reader must see at once (a question, the end) is written with
 * force.
 *
 * The file is text, one "key=value" a line after the line
 * "biso-recover-status 1" and up to the line "end-of-status" (so a cut
 * file is told from a whole one).  Values have "\\" and newlines escaped
 * as "\\\\" and "\\n".  Keys: run_id flow pid start state step nsteps
 * step_title step_state done total rate item log question exit updated,
 * and resume (only when the flow can be resumed).
 */
#ifndef BR_STATUSFILE_H
#define BR_STATUSFILE_H

#include <stdint.h>

struct err;

enum status_state {
	STATUS_RUNNING = 1, /* working on a step */
	STATUS_WAITING,     /* waiting for an answer to .question */
	STATUS_FINISHED,    /* ended; .exit_code says how */
};

/* One run's state.  Strings are malloc'd and owned by the struct when it
 * comes from statusfile_read() (free with status_clear()); a writer may
 * point them anywhere (NULL: empty). */
struct status {
	char *run_id;          /* the run's stamp, YYYYMMDD_HHMMSS */
	char *flow;            /* "restore", ... */
	long pid;              /* the runner */
	long long start;       /* its process start, seconds since the epoch
				  (lock_process_start()): tells a reused pid */
	enum status_state state;
	unsigned step, nsteps; /* 1-based, the flow's numbering (as the plan
				  and the wizard, also in a run of some steps);
				  0: before the first */
	char *step_title;      /* "database" */
	char *step_state;      /* "running", "done", "failed", "skipped", "waiting" */
	uint64_t done, total;  /* bytes of the step; total 0: unknown */
	uint64_t rate;         /* bytes per second */
	char *item;            /* the current file, table, ... */
	char *log;             /* the last log line */
	char *question;        /* STATUS_WAITING: what is asked */
	char *resume;          /* the command that continues the run when its
				  runner died ("biso-recover restore --resume
				  --config ..."), the run's own options; NULL:
				  the flow cannot be resumed */
	int exit_code;         /* STATUS_FINISHED: the run's exit code */
	long long updated;     /* when written, seconds since the epoch */
};

/* Free @st's strings and zero it. */
void status_clear(struct status *st);

/* The writer side: where and when last written. */
struct statusfile {
	char *path;                 /* malloc'd */
	int64_t last_ns;            /* clock() of the last write; 0: none yet */
	int64_t (*clock)(void);     /* monotonic nanoseconds; NULL: CLOCK_MONOTONIC */
	int deferred;               /* an update was skipped by the throttle */
};

/* "<log_dir>/biso-recover-<run_id>.status", malloc'd. */
char *statusfile_path(const char *log_dir, const char *run_id);

/* Set up @sf to write @path (copied). */
void statusfile_init(struct statusfile *sf, const char *path);
/* Free @sf's path (the file stays). */
void statusfile_release(struct statusfile *sf);

/* Write @st (updated set to now) if @force or a second has passed since
 * the last write; otherwise remember that one was skipped (sf->deferred:
 * the runner's loop writes it once it is due, statusfile_due_ms()).  1
 * written, 0 skipped, -1 with @e naming the file. */
int statusfile_update(struct statusfile *sf, const struct status *st, int force, struct err *e);

/* Milliseconds until the update the throttle skipped is due (0: due now,
 * an unforced statusfile_update() writes it), or -1 when none was
 * skipped: the writer's poll timeout.  Writing it earlier, with force,
 * would write the file at the rate of the progress calls. */
long statusfile_due_ms(const struct statusfile *sf);

/* Read @path into @st (cleared first).  1 read; 0 no such file; -1 with
 * @e naming the file and line (a garbled or cut file, a value that is
 * not a number, a missing key). */
int statusfile_read(const char *path, struct status *st, struct err *e);

/* The newest status file in @log_dir (run ids sort by time): 1 with
 * *@path_out malloc'd; 0 when there is none; -1 with @e when @log_dir
 * cannot be read. */
int statusfile_latest(const char *log_dir, char **path_out, struct err *e);

#endif
