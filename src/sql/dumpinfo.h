/*
 * dumpinfo: what a plain-format dump holds, read without a server.
 *
 * The dump is read as replay reads it (dumpread + sqlscan, psql's rules)
 * and its COPY blocks (and the rows of INSERT statements, for dumps made
 * with --inserts) are counted instead of sent: the verification step
 * compares these row counts with the restored tables.  The header comments
 * written by pg_dump ("-- Dumped from database version", "-- Dumped by
 * pg_dump version"), the \restrict line (pg_dump 15.14+), the TOC comments
 * ("-- Name: x; Type: y; ...", counted per type) and the
 * "-- PostgreSQL database dump complete" trailer are reported.
 */
#ifndef BR_DUMPINFO_H
#define BR_DUMPINFO_H

#include <stddef.h>
#include <stdint.h>

struct err;
struct report;

struct dumpinfo_table {
	char *name;    /* as in the COPY line, e.g. public.person or public."Odd Name" */
	uint64_t rows; /* data lines of its COPY block, or rows of its INSERT
			  statements (pg_dump --inserts, --column-inserts,
			  --rows-per-insert) */
	uint64_t bytes;/* bytes of those lines (line ends included) or statements */
	long line;     /* dump line of the COPY command or first INSERT */
	int clustered; /* a post-data ALTER TABLE ... CLUSTER ON names it: its
			  rows' order in the heap matters to someone */
};

struct dumpinfo_type {
	char *type;          /* TOC entry type, "TABLE", "TABLE DATA", "INDEX", ... */
	unsigned long count; /* TOC comments of that type */
};

struct dumpinfo {
	char *pg_dump_version; /* "15.2 (Ubuntu 15.2-1.pgdg22.04+1)", NULL if not stated */
	char *server_version;  /* "15.2", NULL if not stated */
	char *restrict_key;    /* key of the \restrict line, NULL if none */
	int complete;          /* the "dump complete" trailer was seen */
	int pg_dump_header;    /* pg_dump's "-- PostgreSQL database dump" was seen */
	int gzip;              /* the file is gzip-compressed */
	int has_connect;       /* the dump has \connect lines (pg_dumpall) */
	uint64_t statements;   /* statements outside COPY data */
	uint64_t post_weight;  /* estimated work of the post-data section: for each
				  index build and ADD CONSTRAINT the data bytes of
				  its table (dumpinfo_stmt_weight()) */
	uint64_t longest;      /* bytes of the longest statement */
	long longest_line;     /* and its line */
	uint64_t bytes_sql;    /* uncompressed size */
	struct dumpinfo_table *tables; /* in dump order */
	size_t n_tables;
	struct dumpinfo_type *types;   /* in order of first appearance */
	size_t n_types;
	int cut;               /* dumpinfo_scan() failed because the file ends
				  inside a COPY block or a gzip member: what
				  was read before is filled in; also set by
				  dumpinfo_check() for a dump without its
				  trailer.  Callers test this, never the
				  message's words */
	long cut_line;         /* the dump line where the reading ended (for a
				  dump without its trailer: where it is cut) */
	long cut_table;        /* with cut: index in tables of the COPY block
				  it ends in, -1 when not in one */
};

/*
 * Scan @path ("-" for stdin).  @r may be NULL; it gets progress (phase
 * "inspecting", bytes = compressed bytes read) and warnings; cancellation
 * is honoured after every piece read (at most 256 KiB, whatever the line
 * lengths).  Time is linear in the dump; memory is bounded (64 KiB of a
 * statement are kept, a COPY row is never held whole).  On success @di is filled and owned by the caller (free with
 * dumpinfo_release()).  Returns 0, or -1 with @e set: unreadable file,
 * truncated gzip (e->offset), NUL byte, a COPY block cut off by the end of
 * the file (e->line = its COPY line).  @di must be released either way;
 * when the file is cut (di->cut) it holds what was read before the cut.
 */
int dumpinfo_scan(const char *path, struct dumpinfo *di, struct report *r, struct err *e);
/*
 * dumpinfo_scan(), then require the "dump complete" trailer: a dump without
 * it was cut off (-1 and di->cut set, @e names @path and the SQL bytes
 * read, with @hint, the advice that fits the caller: a msgid, N_()), and refuse a statement longer than
 * PostgreSQL accepts (SQLSCAN_STMT_MAX; @e names its line).  With @pg_dump_only a file without
 * pg_dump's header (hand-written SQL) needs no trailer.  @di is filled
 * either way and must be released.  The one check before a replay, so that
 * a cut-off --clean dump never drops what it cannot restore.
 */
int dumpinfo_check(const char *path, struct dumpinfo *di, int pg_dump_only, const char *hint,
		   struct report *r, struct err *e);

/*
 * Estimated work of @stmt, a statement of a post-data TOC entry of type
 * @toc_type, in the unit of post_weight: for an index build (CREATE
 * [UNIQUE] INDEX ... ON [ONLY] name) or an ALTER TABLE [ONLY] name ADD
 * CONSTRAINT (primary key, unique, foreign key, check) the bytes of the
 * table's data in the dump, which it reads; 0 for anything else.
 */
uint64_t dumpinfo_stmt_weight(const struct dumpinfo *di, const char *toc_type, const char *stmt);

/* Free everything @di owns and zero it. */
void dumpinfo_release(struct dumpinfo *di);

/* Row count of table @name ("public.person"), or -1 if it has no COPY block. */
int64_t dumpinfo_rows(const struct dumpinfo *di, const char *name);

#endif
