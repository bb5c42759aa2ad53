/*
 * dumpaccess: what pg_dump, run as the connected role with the backup's
 * options (no --enable-row-security), could not read in the connected
 * database, asked of the server before the dump, so that the backup
 * refuses before maintenance mode goes on instead of failing midway.
 *
 * pg_dump 15 needs, in every schema it dumps (all but pg_catalog,
 * information_schema, pg_toast and the temporary ones; of an extension's
 * relations only its configuration tables, whose data it dumps):
 *   - USAGE on each schema holding a table or sequence it reads;
 *   - SELECT on each table and partitioned table (LOCK TABLE ... IN
 *     ACCESS SHARE MODE, then COPY) and each sequence (its last value);
 *   - row level security that does not apply to the role on each table
 *     (with row_security off, pg_dump's COPY fails on one that does:
 *     "query would be affected by row-level security policy");
 *   - SELECT on each large object (pg_read_all_data does not give it).
 * Views, materialized views and foreign tables are dumped from the
 * catalogs alone and need nothing.
 */
#ifndef BR_DUMPACCESS_H
#define BR_DUMPACCESS_H

#include <libpq-fe.h>
#include <stddef.h>

struct err;

/* How many objects the refusal names; the total is counted in full. */
#define DUMPACCESS_SHOWN 5

/* Why pg_dump would fail on an object; also the order they are named in. */
enum dumpaccess_why {
	DUMPACCESS_NO_USAGE,    /* a schema without USAGE */
	DUMPACCESS_NO_SELECT,   /* a table, partitioned table or sequence without SELECT */
	DUMPACCESS_RLS,         /* a table whose row level security applies to the role */
	DUMPACCESS_NO_LO_SELECT /* a large object without SELECT */
};

struct dumpaccess_item {
	enum dumpaccess_why why;
	char kind;   /* 'n' schema, 'r' table, 'p' partitioned table, 'S' sequence,
			'L' large object */
	char *name;  /* as pg_dump names it (public.secret, "Odd".x, an OID) */
	char *fix;   /* the statement that lets the role read it, its names
			quoted by PQescapeIdentifier() */
};

struct dumpaccess {
	char *role;     /* current_user */
	char *role_q;   /* the same quoted by PQescapeIdentifier(), for the
			   hint's statements; NULL: @role is used as it is */
	char *dbname;   /* current_database() */
	int server_version; /* PQserverVersion(), e.g. 150018 */
	size_t total;   /* the objects pg_dump could not read, all of them */
	size_t n;       /* @items held: the first DUMPACCESS_SHOWN of each why,
			   in the order they are named (why, then name) */
	struct dumpaccess_item *items; /* owned */
};

/* Ask the server on @c what pg_dump as @c's role could not read; fills
 * @a (release it with dumpaccess_release()), @a->total 0 when nothing.
 * A server before 9.5 (no row level security, which the query asks about)
 * is not asked: 0, nothing found, as pg_dump itself still stops at what it
 * cannot read.  -1 with @e on a query error (@a is then empty). */
int dumpaccess_check(PGconn *c, struct dumpaccess *a, struct err *e);
/* The backup's refusal when @a->total > 0: -1 with @e naming the role, the
 * database, the first DUMPACCESS_SHOWN objects and why, how many in all,
 * and a hint with the statements that fix them (the first of each kind),
 * pg_read_all_data on PostgreSQL 14 and later, and a role that reads them
 * all, set in @where (a msgid naming the setting, e.g. "--dbname or
 * database.conninfo"; NULL: not named).  0 when @a->total is 0. */
int dumpaccess_refusal(const struct dumpaccess *a, const char *where, struct err *e);
/* Free what @a holds and zero it. */
void dumpaccess_release(struct dumpaccess *a);

#endif
