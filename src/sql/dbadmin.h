/*
 * dbadmin: database administration for the restore: create the staging
 * database, check its locale, swap it in for the live one, ANALYZE.
 *
 * All SQL goes through libpq; identifiers and literals are quoted with
 * PQescapeIdentifier / PQescapeLiteral.  Errors carry the server's primary
 * message, detail and hint (PG_DIAG_*) in struct err.
 */
#ifndef BR_DBADMIN_H
#define BR_DBADMIN_H

#include <libpq-fe.h>

struct err;
struct report;
struct strbuf;

struct dbadmin_create_opts {
	const char *owner;      /* role, or NULL for the connecting user */
	const char *encoding;   /* "UTF8" */
	const char *lc_collate; /* "de_CH.utf8", or NULL for the cluster default */
	const char *lc_ctype;   /* likewise */
};

/* Connect with @conninfo (libpq conninfo or URI).  Returns the connection
 * (caller PQfinish()es it) or NULL with @e set; the conninfo is never put
 * into the message, only host/port/dbname.  Server notices are dropped
 * (never printed to stderr). */
PGconn *dbadmin_connect(const char *conninfo, struct err *e);
/* dbadmin_connect() whose server notices (NOTICE, WARNING) are logged
 * through @r (which must outlive the connection) instead of dropped. */
PGconn *dbadmin_connect_report(const char *conninfo, struct report *r, struct err *e);
/* Run @sql (no result rows expected); -1 with @e carrying message, detail
 * and hint from the server. */
int dbadmin_exec(PGconn *c, const char *sql, struct err *e);
/* Run @sql with one text parameter $1 = @param.  Returns the rows (caller
 * PQclear()s them), or NULL with @e (may be NULL) carrying the server's
 * message. */
PGresult *dbadmin_query1(PGconn *c, const char *sql, const char *param, struct err *e);
/* Fill @e from a failed PGresult (or from the connection when @res is NULL). */
int dbadmin_result_error(PGconn *c, PGresult *res, struct err *e);
/* *@exists = 1 if database @dbname exists on @c's server. */
int dbadmin_exists(PGconn *c, const char *dbname, int *exists, struct err *e);
/* Check that the server accepts CREATE DATABASE with the exact options @o
 * (owner, encoding, locales; TEMPLATE template0): create the empty database
 * @probe and drop it again.  The only check that agrees with CREATE
 * DATABASE on every cluster: pg_collation lists only the locales present at
 * initdb, and a probe collation is judged by the encoding of the database it
 * is made in (on an SQL_ASCII cluster a de_CH.utf8 collation is refused
 * where a UTF8 database with that locale is not).  Needs CREATEDB, as the
 * restore does.  -1 with @e: "has no locale" and how to generate it, or the
 * server's reason. */
int dbadmin_check_create(PGconn *c, const char *probe, const struct dbadmin_create_opts *o,
			 struct err *e);
/* CREATE DATABASE @dbname TEMPLATE template0 OWNER/ENCODING/LC_* from @o.
 * template0, because a cluster initialised with another locale refuses a
 * different collation with template1. */
int dbadmin_create(PGconn *c, const char *dbname, const struct dbadmin_create_opts *o,
		   struct err *e);
/* DROP DATABASE IF EXISTS @dbname WITH (FORCE). */
int dbadmin_drop(PGconn *c, const char *dbname, struct err *e);
/* Swap @staging in for @dbname in one transaction: if @dbname exists,
 * terminate the sessions on it and rename it to @keep_as; rename @staging
 * to @dbname; commit.  A failure or a kill at any point leaves both names
 * as they were.  The old database is renamed, never dropped, and its
 * connection setting is never changed.  The renames wait at most 10 s
 * (lock_timeout) for another session's lock on either database; the error
 * then names the sessions holding one.  Returns 0 or -1 with @e; after -1
 * with @c still idle (PQtransactionStatus) the transaction rolled back. */
int dbadmin_swap(PGconn *c, const char *dbname, const char *staging, const char *keep_as,
		 struct report *r, struct err *e);
/* The client sessions connected to @db now, other than @c's, appended to
 * @out as "pid N (user U, application A, from ADDR)" joined by "; " (the
 * ones dbadmin_swap() would terminate, named as it logs them).  Returns
 * their number, or -1 with @e. */
int dbadmin_sessions(PGconn *c, const char *db, struct strbuf *out, struct err *e);
/* ALTER DATABASE @db WITH ALLOW_CONNECTIONS true/false. */
int dbadmin_allow_connections(PGconn *c, const char *db, int allow, struct err *e);
/* Connect with @conninfo and run ANALYZE. */
int dbadmin_analyze(const char *conninfo, struct report *r, struct err *e);

struct strbuf;

/* Take a session-level advisory lock named after @dbname on @c, so that two
 * restores of one database never run at once (also from two machines).
 * Held until @c is closed.  -1 with @e when another session holds it. */
int dbadmin_try_lock(PGconn *c, const char *dbname, struct err *e);
/* Compare database @dbname's encoding and locale with the wanted ones
 * (NULL or "" = not compared).  Returns 1 and appends a description to
 * @diff when they differ, 0 when they match or @dbname does not exist, -1
 * on a query error. */
int dbadmin_settings_differ(PGconn *c, const char *dbname, const char *encoding,
			    const char *lc_collate, const char *lc_ctype, struct strbuf *diff);
/* Count the plain tables (relkind r, outside the system schemas) of @c in
 * *@n_live and how many of them are among the @n @names in *@found.  The
 * names are written as pg_dump writes them in COPY lines (public.person,
 * public."Odd Name"; borrowed): the tables of a dump.  A name without a
 * schema matches a table of that name in any schema.  -1 with @e on a
 * query error. */
int dbadmin_tables_named(PGconn *c, char *const *names, size_t n, long *n_live, long *found,
			 struct err *e);

/* Split a table name as pg_dump writes it in a COPY line (public.person,
 * public."Odd ""name""") into unquoted parts, malloc'd into @parts (caller
 * frees).  Returns the number of parts (1 or 2), or 0 if malformed (then
 * nothing is allocated).  Follows the identifier quoting of fmtId(). */
int dbadmin_split_qualified_name(const char *name, char *parts[2]);

#endif
