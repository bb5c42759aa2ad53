/*
 * pgdump: the backup's database dump, as the manual takes it, compressed in
 * the process.
 *
 * Runs `pg_dump --no-owner --no-privileges --clean --if-exists
 * --no-password -d CONNINFO` (plain format) as a child through runcmd; the
 * connection goes in argv without its password, which goes to the child's
 * environment (PGPASSWORD) or comes from the caller's PGPASSFILE.  Its
 * stdout streams into pgzip (all CPUs but one, zlib level PGDUMP_LEVEL_DEFAULT) to
 * DIR/<prefix>YYYYMMDD_HHMMSS.sql.gz,
 * written as "<name>.partial" (mode 0600) and renamed into place only when
 * all of these hold: pg_dump exited 0, its output ends with the "--
 * PostgreSQL database dump complete" trailer (a \unrestrict line may
 * follow), and the file was written and fsync()ed.  On every failure the
 * .partial is removed: there is never a half dump under either name.
 */
#ifndef BR_PGDUMP_H
#define BR_PGDUMP_H

#include <stdint.h>
#include <time.h>

struct err;
struct report;

/* zlib level of the dump.  3, not gzip's 6: on two cores the deflate
 * threads share the CPUs with pg_dump and its server backend, and level 3
 * (deflate's fast strategy) needs under half of level 6's CPU time for
 * 2 % (pgbench) to 11 % (prose) more bytes (bench/README.md, backup). */
#define PGDUMP_LEVEL_DEFAULT 3

struct pgdump_opts {
	const char *conninfo; /* where to connect (libpq conninfo; may hold a password) */
	const char *dbname;   /* the database to dump; overrides the conninfo's */
	const char *dir;      /* the backup's db/ directory (must exist) */
	const char *prefix;   /* file name prefix, e.g. "biso_"; NULL is "" */
	time_t when;          /* the backup's time, local time in the name */
	const char *pg_dump;  /* program, NULL for "pg_dump" (looked up in PATH) */
	int threads;          /* compression threads, 0 for all CPUs but one (which
				 pg_dump and its server backend need) */
	int level;            /* zlib level 1..9, 0 for PGDUMP_LEVEL_DEFAULT */
};

struct pgdump_result {
	char *path;            /* the dump's final path (malloc'd) */
	uint64_t sql_bytes;    /* bytes pg_dump wrote (uncompressed) */
	uint64_t gz_bytes;     /* bytes of the .sql.gz file */
	char *server_version;  /* from "-- Dumped from database version", or NULL */
	char *pg_dump_version; /* from "-- Dumped by pg_dump version", or NULL */
};

/*
 * Dump @o->dbname into @o->dir.  Progress goes to @r (phase "dumping",
 * done_bytes = SQL bytes so far, current = the file's name), pg_dump's
 * stderr lines to its log (LOG_WARN); cancellation through @r stops
 * pg_dump.  Returns 0 with @res filled (release with
 * pgdump_result_release()), or -1 with @e set: the file exists already,
 * pg_dump could not start, failed (its exit status; its stderr in the
 * detail), or its output lacked the trailer; the disk was full (naming the
 * .partial file).  @res is zeroed first either way.
 */
int pgdump_run(const struct pgdump_opts *o, struct pgdump_result *res, struct report *r,
	       struct err *e);

/* The file name pgdump_run() writes for @prefix at @when (local time),
 * "<prefix>YYYYMMDD_HHMMSS.sql.gz"; malloc'd. */
char *pgdump_file_name(const char *prefix, time_t when);

/* Free what @res owns and zero it. */
void pgdump_result_release(struct pgdump_result *res);

#endif
