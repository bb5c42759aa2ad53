/*
 * replay: restore a plain-format dump into a database through libpq, as
 * `psql -X -q -f DUMP` does, with clearer errors and without psql's traps.
 *
 * The dump is read by dumpread (plain or gzip, "-" for stdin) and split by
 * sqlscan (psql's rules).  Statements outside COPY go through libpq's
 * pipeline mode in batches that are rerun one by one with PQexec() when a
 * statement in them fails, so the result is psql's (every statement its
 * own transaction) and in stop mode nothing after a failed statement takes
 * effect (the design is in replay.c).  With jobs > 1, COPY blocks and
 * post-data index builds run on several connections (replay_jobs.c; the
 * COPY of a big table over two, REPLAY_SPLIT_MIN).
 * Index builds that get no parallel worker get the sort memory of one
 * merge pass (replay_sort_mem_kb, replay_build_workers).
 * Custom-format and tar dumps are handed to pg_restore with the same
 * connection (replay_pgrestore.c).  COPY ... FROM
 * stdin data is forwarded with PQputCopyData() in chunks of at most
 * REPLAY_COPY_CHUNK bytes, never reassembled into rows; the block ends at a
 * line that is exactly "\." (LF or CR LF; without a newline at the end of
 * the file it ends the block with a warning).  When the COPY command itself
 * fails, its data up to "\." is skipped, never read as SQL (psql 15 reads it
 * as SQL).  A block cut off by the end of the file is an error naming the
 * line where it began.  Server errors inside COPY data name the dump line
 * of the failing row.
 *
 * Meta-commands: \connect (also -reuse-previous=on "dbname=..."; the new
 * connection reuses the other parameters; =off is taken as on, with a
 * warning: the replay never leaves the server it was given), \restrict KEY / \unrestrict KEY
 * (while restricted any other meta-command is refused, as psql 15.14 does),
 * \encoding, \set ON_ERROR_STOP.  Any other meta-command is an error naming
 * the line; nothing is ever run through a shell.  standard_conforming_strings
 * and client_encoding are tracked from the server's ParameterStatus.
 * Errors from `SET` of a parameter the server does not know (a dump from a
 * newer pg_dump) are warnings.
 *
 * Memory is bounded by the reader's buffers, one COPY chunk, one pipeline
 * batch (at most 512 KiB of statement text) and the longest statement
 * outside COPY data; --jobs never holds COPY data for another connection.
 */
#ifndef BR_REPLAY_H
#define BR_REPLAY_H

#include <stdint.h>

struct err;
struct dumpinfo;
struct progress;
struct report;

/* A table with this much COPY data is loaded over two connections with
 * --jobs (replay_opts.split_min). */
#define REPLAY_SPLIT_MIN ((uint64_t)64 << 20)

/* Bytes of COPY data gathered before one PQputCopyData() call. */
#define REPLAY_COPY_CHUNK (128 * 1024)

struct replay_opts {
	const char *conninfo;     /* target database, libpq conninfo (may contain a password: never logged) */
	const char *dump_path;    /* dump file, or "-" for stdin */
	const char *display_name; /* name used in messages (NULL: dump_path) */
	int on_error_stop;        /* 1: stop at first error (restore-step default); 0: continue like psql */
	int single_transaction;   /* 1: wrap the replay in BEGIN/COMMIT (refused when the dump has
				     its own BEGIN/COMMIT or \connect) */
	int jobs;                 /* >=1 connections: COPY blocks and post-data index builds
				     run in parallel on them (ignored with single_transaction);
				     passed to pg_restore --jobs for custom-format dumps */
	const struct dumpinfo *info; /* the dump check's reading of this dump, or NULL:
				     with it progress weighs the post-data work
				     (replay_progress_of()); not owned */
	uint64_t split_min;       /* with jobs > 1 and the dump check's reading
				     (info or check_hint): the COPY block of a table
				     with at least this many bytes of data, not
				     clustered, is split over two connections
				     (replay_jobs.c); 0: REPLAY_SPLIT_MIN */
	const char *check_hint;   /* non-NULL (a msgid, N_()): check the dump as
				     dumpinfo_check(path, pg_dump_only = 1, check_hint) does, beside the
				     replay, and commit nothing before it passed (see
				     replay_run); ignored for stdin */
};

struct replay_stats {
	uint64_t statements;  /* statements sent (COPY commands included) */
	uint64_t copy_blocks; /* COPY ... FROM stdin blocks read */
	uint64_t copy_rows;   /* data lines forwarded or skipped in them */
	uint64_t errors;      /* errors (in continue mode, all of them) */
	uint64_t warnings;    /* server WARNINGs and our own warnings */
	uint64_t bytes_read;  /* bytes of the dump file read (compressed for gzip) */
	uint64_t bytes_sql;   /* uncompressed bytes read */
	uint64_t meta_commands;
	uint64_t copy_rows_skipped; /* data lines of failed COPY commands, skipped */
	int stopped;          /* stop mode stopped at a failed statement: nothing after
				 it was run */
	int conn_lost;        /* the server closed a connection (crash, stop, full
				 disk ...): the replay stopped at conn_lost_line */
	long conn_lost_line;
	int refused;          /* the dump was refused before anything took effect:
				 not a plain-format dump, or the dump check
				 (check_hint) refused it; what was sent was rolled
				 back */
};

/*
 * Replay @o->dump_path into @o->conninfo.  A custom-format or tar dump (by
 * its magic bytes; not from stdin) is restored by running pg_restore
 * (--verbose, its lines logged at LOG_INFO, errors at LOG_ERROR; the
 * password goes through PGPASSWORD, never argv; --exit-on-error in stop
 * mode); when pg_restore is missing or fails, @e says what to do.
 * @r may be NULL; it receives
 * progress (phase "replaying", done_bytes = dump bytes read (compressed),
 * total_bytes = file size or 0, done_items = statements, current = the
 * current TOC entry "Name: x; Type: y; Schema: z; Owner: w") and log lines
 * (each error with file:line, detail and hint at LOG_ERROR; warnings and
 * server WARNINGs at LOG_WARN).  report_cancelled() is checked between
 * statements and COPY chunks.  @st (may be NULL) is zeroed and filled.
 *
 * Returns 0 when the replay ran to the end: every statement succeeded, or
 * (continue mode) the failed ones were logged and counted in st->errors.
 * Returns -1 with @e filled when it stopped: e->file = display name, e->line = dump line of the statement
 * (of the data row for errors inside COPY data), e->msg = the server's
 * primary message (or ours), e->detail = the server's detail, then
 * "TOC entry: ...; statement: <first line>", e->hint = the server's hint.
 * In continue mode (@o->on_error_stop 0) the replay goes on after errors;
 * every one was logged (the first marked as the likely cause of the others)
 * and st->errors counts them.  Connection loss, dump read errors
 * (truncated gzip: e->offset is the compressed offset) and cancellation
 * stop in both modes.
 *
 * With @o->check_hint the dump check runs in a thread beside the replay
 * (replay_check.c) instead of a pass of its own before it: until it has
 * passed, the replay sends the statements that a transaction can take back
 * (SET, CREATE, ALTER, DROP, COMMENT, GRANT, COPY ... FROM stdin, no
 * database-wide ones) inside one BEGIN and commits them when it passed;
 * any other statement first waits for it.  A refused dump is rolled back
 * (-1, @e = the check's error, st->refused); a statement that fails
 * in that transaction makes the replay roll back, wait for the check and,
 * when it passed, start again from the top without the transaction (its
 * errors are then reported as without the check).  A custom-format or tar
 * dump is refused then, as the check refuses it.
 */
int replay_run(const struct replay_opts *o, struct report *r, struct replay_stats *st,
	       struct err *e);

/*
 * Progress of a replay guided by the dump check's reading @di (issue 9.8:
 * counted in dump bytes alone, the bar sat at 99-100 % while the indexes
 * were built).  Fills @p's phase, done_bytes and total_bytes in units of
 * work: total = @di->bytes_sql + @di->post_weight; done = @sql_done
 * (uncompressed bytes read) + @post_done (dumpinfo_stmt_weight() of the
 * post-data statements done).  Never 100 % before @finished.  The phase
 * names what runs, from the scanner's @section (enum sqlscan_section) and
 * the current TOC entry's @toc_type: "replaying: schema", "replaying:
 * data", "replaying: indexes", "replaying: constraints", "replaying:
 * post-data" (static strings).
 */
void replay_progress_of(const struct dumpinfo *di, uint64_t sql_done, uint64_t post_done,
			int section, const char *toc_type, int finished, struct progress *p);

/*
 * The sort memory (maintenance_work_mem, in kB) the replay gives a
 * post-data index build on a table whose heap is @heap_bytes, when the
 * session's setting is @setting_kb: the least that still sorts in one
 * merge pass, at most @setting_kb, at least 1024 (the server's minimum).
 * It follows PostgreSQL's tuplesort.c (15): runs of about the sort memory
 * M each, merged M / 272 kB at a time (tuplesort_merge_order(), clamped to
 * 6..500), with the sort data taken as twice the heap (index tuples plus
 * per-tuple overhead), so M = max(sqrt(2 * heap * 272 kB), 2 * heap / 500).
 * Quicksorting runs of a few MiB and merging them once costs the server
 * less CPU than one in-memory quicksort of the whole index: measured 20 to
 * 30% less index build time on the bench dumps (bench/README.md).
 * Returns @setting_kb when that is not more (nothing to lower).
 */
long replay_sort_mem_kb(uint64_t heap_bytes, long setting_kb);

/*
 * The parallel workers PostgreSQL (11-17: plan_create_index_workers(),
 * compute_parallel_worker()) plans for a btree build on a table of
 * @heap_pages blocks under maintenance_work_mem @setting_kb,
 * max_parallel_maintenance_workers @max_workers and
 * min_parallel_table_scan_size @min_scan_pages (blocks), @rel_workers the
 * table's parallel_workers storage parameter (-1: not set).  With the
 * storage parameter: that, at most @max_workers, whatever the memory.
 * Without: none below the minimum, one more each time the heap triples, at
 * most @max_workers, and only as many as leave 32 MB of the setting to each
 * participant (so none under 64 MB).  Not predicted: the server's serial
 * build of an index whose expression or predicate is not parallel safe, or
 * when no worker is free at run time.  The replay keeps the session's
 * memory for a build that gets one (replay_sort_mem_set()).
 */
int replay_build_workers(uint64_t heap_pages, long setting_kb, long max_workers,
			 uint64_t min_scan_pages, long rel_workers);

#endif
