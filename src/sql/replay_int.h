/*
 * replay_int: what the files of the replay engine share (replay.c, the
 * main loop and pipeline batches; replay_jobs.c, the extra connections of
 * --jobs; replay_pgrestore.c, custom and tar dumps).  Not a public API.
 */
#ifndef BR_REPLAY_INT_H
#define BR_REPLAY_INT_H

#include <libpq-fe.h>

#include "err.h"
#include "replay.h"
#include "sqlscan.h"
#include "strbuf.h"

struct dumpread;
struct replay_pool;

/* One statement of the pipeline batch in flight (see replay.c). */
struct replay_batched {
	size_t text;  /* offset of its NUL-terminated text in batch_text */
	size_t toc;   /* offset of its TOC entry text in batch_text */
	long line, end_line;
};

struct replay {
	const struct replay_opts *o;
	struct report *r;
	struct replay_stats *st;
	const char *name;
	struct dumpread *dr;
	struct sqlscan sc;
	PGconn *conn;
	PQconninfoOption *params; /* parsed o->conninfo */
	char *dbname;             /* after \connect, NULL before */
	struct strbuf conn_over;  /* conninfo of what \connect changed (user, host, ...),
				   * later keys win; every new connection uses it */
	int on_error_stop;
	uint64_t post_done;       /* dumpinfo_stmt_weight() of the post-data statements run */
	int finished;             /* the replay ended well: progress may say 100 % */
	int restricted;
	char *restrict_key;
	long cur_line;
	struct err first;
	struct strbuf copybuf;
	int txn_open;

	/* pipeline batch (replay.c) */
	struct strbuf batch_text;
	struct replay_batched *batch;
	size_t batch_n, batch_alloc;
	size_t batch_last_toc;
	int in_pipeline;
	struct strbuf notices; /* log lines held back while a batch is in flight */
	const char *toc_override; /* TOC entry for errors of a batch rerun */

	/* the dump check beside the replay (o->check_hint): while it runs,
	 * what was sent waits uncommitted in one transaction (replay.c) */
	struct replay_check *ck;
	int spec;                 /* inside that transaction */
	int spec_failed;          /* a statement failed in it: the replay runs again */
	struct err spec_err;      /* the first error in it, not yet reported */
	int spec_fatal;           /* and whether it was fatal */
	int retry;                /* run again from the top, the check passed */
	const struct dumpinfo *info; /* o->info, or the check's once it passed */

	/* --jobs (replay_jobs.c); NULL with one connection */
	struct replay_pool *pool;

	/* every connection's running statement is cancelled on the server
	 * when the work is to stop (pgcancel.h); NULL: not watched */
	struct pgcancel *cancel;
	int aborted; /* the stop was reported: later errors are its echo */
};

/* Open a new connection with the replay's parameters (dbname from
 * \connect, @over overriding), notices routed to @rp, watched by
 * rp->cancel.  Returns NULL with @e set. */
PGconn *replay_connect(struct replay *rp, PQconninfoOption *over, struct err *e);
/* Close a connection replay_connect() opened (NULL is fine). */
void replay_disconnect(struct replay *rp, PGconn *conn);

/* Fill @dst from the server error @res on @conn for statement @stmt at dump
 * @line in TOC entry @toc (NULL: the current one). */
void replay_server_error(struct replay *rp, PGconn *conn, struct err *dst, const PGresult *res,
			 const char *stmt, const char *toc, long line);
/* Count, log and keep an error (the first one is returned by replay_run).
 * Returns -1 when the replay must stop (@fatal or stop mode), else 0.
 * Once the work is to stop (report_cancelled()) the first error becomes
 * "restore aborted: <why>" (its line and statement kept: the statement
 * cancelled on the server fails with "canceling statement due to user
 * request"), is fatal, and later ones are dropped. */
int replay_record_error(struct replay *rp, struct err *one, int fatal);
/* Report connection loss of @conn at @line (fatal).  Returns -1 if lost. */
int replay_conn_lost(struct replay *rp, PGconn *conn, long line);
/* What to do when the server closed a connection (only that is known). */
#define REPLAY_CONN_LOST_HINT \
	"Look in the PostgreSQL server log for why (a crash, a full disk, a restart, " \
	"pg_terminate_backend), check the free disk space of its data directory and that it " \
	"accepts connections again, then restore again."

/*
 * Read the COPY data that follows statement @it up to "\." and send it to
 * @conn (or skip it when @conn is NULL or after a send failure).  Counts
 * blocks and rows and advances the scanner's line count.  Returns 0, 1 when
 * the block was cut off by the end of the file (the COPY was ended with an
 * error and the truncation recorded), -1 to stop (read error, cancel).
 */
int replay_copy_stream(struct replay *rp, PGconn *conn, const struct sqlscan_item *it);

/* Where the data of a COPY block goes: @put returns 1 when the bytes were
 * taken, else the sending failed (the rest is then read and dropped); @end
 * ends the data, with @errmsg to make the COPY fail (NULL: complete). */
struct copy_sink {
	int (*put)(void *ctx, const char *buf, size_t len);
	void (*end)(void *ctx, const char *errmsg);
	void *ctx;
};
/* replay_copy_stream() into @sink (NULL: skip the data).  On 1 (cut off)
 * the sink was ended with an error; nothing is read back from it. */
int replay_copy_stream_sink(struct replay *rp, const struct copy_sink *sink,
			    const struct sqlscan_item *it);
/* Dump line of the failing row from a COPY error's context, 0 if unknown. */
long replay_copy_error_line(const PGresult *res, long data_line);
/* Send the current pipeline batch, wait for its end (see replay.c).
 * Returns -1 when the replay must stop. */
int replay_batch_flush(struct replay *rp);

/*
 * Look up the heap size of @rel (a qualified name as the dump writes it) and
 * the session's maintenance_work_mem on @conn; when replay_sort_mem_kb()
 * lowers it, append to @set the statement that does ("SET [LOCAL]
 * maintenance_work_mem = 'NkB'", LOCAL when @local) and, when @reset is
 * not NULL, to @reset the one that sets the old value back, and return 1.
 * @workers: the build runs without max_parallel_maintenance_workers = 0;
 * then a build for which the server plans a parallel worker with the
 * session's setting (replay_build_workers()) keeps that setting (0, nothing
 * appended): less memory would cost it the worker.
 * Returns 0 (nothing appended) for a partitioned table, an unknown
 * relation, a server before 9.6 (not asked: the query needs 9.6, and a
 * failed one would abort the build's transaction) or a failed query: the
 * build keeps the session's setting.
 */
int replay_sort_mem_set(PGconn *conn, const char *rel, int local, int workers,
			struct strbuf *set, struct strbuf *reset);

/* ---- replay_jobs.c ---- */

/* 1 when @it is a post-data index build of a pg_dump TOC entry (CREATE
 * [UNIQUE] INDEX ... ON t, ALTER TABLE ONLY t ADD CONSTRAINT ... PRIMARY
 * KEY|UNIQUE), with t written to @rel as the dump names it. */
int replay_index_build_rel(struct replay *rp, const struct sqlscan_item *it, struct strbuf *rel);

/* While the dump check still runs (everything waits in one transaction on
 * the main connection, which loads a table whole): 1 when @it is a COPY
 * that the check's counts will make a split one (replay_jobs.c), so the
 * replay waits for the check before it; waits as long as the check needs
 * to count this block. */
int replay_jobs_split_ahead(struct replay *rp, const struct sqlscan_item *it);
/* Set up the pool for o->jobs > 1 (connections open lazily). */
void replay_jobs_init(struct replay *rp);
/*
 * Offer statement @it to the pool: a COPY of a table without triggers in
 * the data section, or a post-data CREATE INDEX / ADD CONSTRAINT PRIMARY
 * KEY|UNIQUE on a plain table.  Returns 1 when it was dispatched (or failed
 * and was recorded), 0 when it must run in order on the main connection
 * (the caller then calls replay_jobs_barrier), -1 to stop.
 */
int replay_jobs_offer(struct replay *rp, const struct sqlscan_item *it);
/* Wait until every dispatched job ended and is committed.  Returns -1 to
 * stop (a job failed in stop mode, connection lost). */
int replay_jobs_barrier(struct replay *rp);
/* 1 when jobs are in flight or a split constraint's ALTER is pending (the
 * caller then calls replay_jobs_barrier before an in-order statement). */
int replay_jobs_busy(const struct replay *rp);
/* Remember a session statement (SET, set_config, RESET) that ran on the
 * main connection, to replay it on the other connections. */
void replay_jobs_setting(struct replay *rp, const char *stmt);
/* Close the other connections (after \connect they reconnect lazily). */
void replay_jobs_disconnect(struct replay *rp);
/* Roll back what is not committed, close and free the pool. */
void replay_jobs_release(struct replay *rp);

/* ---- replay_spool.c ---- */

struct replay_spool;
/* Start a thread that feeds @conn (in the COPY IN state) from a new unlinked
 * spool file in $TMPDIR or /var/tmp.  NULL when no file or thread can be
 * had: the caller then streams to @conn itself.  Until replay_spool_done()
 * the thread owns @conn. */
struct replay_spool *replay_spool_start(PGconn *conn);
/* The sink the COPY data is written to (owned by @sp). */
const struct copy_sink *replay_spool_sink(struct replay_spool *sp);
/* 1 when the thread has sent the end of the COPY and let go of the conn. */
int replay_spool_done(struct replay_spool *sp);
/* Make the COPY fail with @msg as soon as possible. */
void replay_spool_cancel(struct replay_spool *sp, const char *msg);
/* Wait for the thread and free @sp (NULL is fine).  A COPY whose data was
 * not ended is ended with an error first.  Returns -1 when sending failed
 * (the connection's result tells why), else 0. */
int replay_spool_finish(struct replay_spool *sp);

/* ---- replay_check.c ---- */

struct replay_check;
/* Start dumpinfo_check(@path, pg_dump_only, @hint) in a thread (checked
 * here when no thread can be had).  It stops early when @r is cancelled
 * or the check is freed.  Never NULL. */
struct replay_check *replay_check_start(const char *path, const char *hint, struct report *r);
/* 1 when the check has finished (never blocks). */
int replay_check_done(const struct replay_check *ck);
/* 1 when the check has finished and refused the dump (never blocks). */
int replay_check_refused(const struct replay_check *ck);
/* Wait for the check: 0 when the dump passed, -1 with @e set (the
 * check's error, moved) when it was refused. */
int replay_check_wait(struct replay_check *ck, struct err *e);
/* Wait until the check has counted the COPY block whose command is on dump
 * @line (or ended): 1 with its bytes of data in @bytes, 0 when it holds no
 * such block (or refused the dump before it).  Blocks for as long as the
 * check needs to read up to the block's end. */
int replay_check_copy_bytes(struct replay_check *ck, long line, uint64_t *bytes);
/* The check's reading of the dump once it passed, else NULL (owned by
 * @ck). */
const struct dumpinfo *replay_check_info(const struct replay_check *ck);
/* Stop the check if it still runs and free @ck (NULL is fine). */
void replay_check_free(struct replay_check *ck);

/* ---- replay_pgrestore.c ---- */

/* Restore a custom-format or tar dump with pg_restore.  Returns 0 or -1
 * with @e set; fills @st->errors. */
int replay_pgrestore(const struct replay_opts *o, int tar, struct report *r,
		     struct replay_stats *st, struct err *e);

/* ---- shared by replay.c, replay_copy.c (COPY blocks) and replay_meta.c
 * (psql meta-commands) ---- */
/* A read error of the dump at the scanner's line, recorded (fatal). */
int replay_read_error(struct replay *rp, struct err *rerr);
/* Progress of the main loop (throttled unless @force). */
void replay_progress(struct replay *rp, int force);
/* A WARN line at dump line @line, counted in the stats. */
void replay_warn(struct replay *rp, long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Connect the main connection (replacing the current one). 0, or -1 with @e. */
int replay_do_connect(struct replay *rp, PQconninfoOption *over, struct err *e);
/* Keep the scanner's lexing settings in step with the server. */
void replay_sync_settings(struct replay *rp);
/* A plain error of ours (not from the server) at @line, recorded as
 * replay_record_error() does.  Returns -1 when the replay must stop. */
int replay_own_error(struct replay *rp, long line, int fatal, const char *hint,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The COPY block @it: its data streamed to the server (run), or read past
 * (skip, after its COPY statement failed).  0, or -1: stop. */
int replay_run_copy(struct replay *rp, const struct sqlscan_item *it);
int replay_skip_copy(struct replay *rp, const struct sqlscan_item *it);
/* The psql meta-command @it (\connect, \encoding, \set ON_ERROR_STOP,
 * \restrict ...).  0, or -1: stop. */
int replay_run_meta(struct replay *rp, const struct sqlscan_item *it);

/* The short names the replay's files use. */
#define record_error replay_record_error
#define conn_lost(rp, line) replay_conn_lost(rp, (rp)->conn, line)
#define server_error(rp, dst, res, stmt, line) \
	replay_server_error(rp, (rp)->conn, dst, res, stmt, NULL, line)
#define own_error replay_own_error
#define do_connect replay_do_connect
#define sync_settings replay_sync_settings

#endif
