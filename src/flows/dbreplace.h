/*
 * dbreplace: replace a database by a new one replayed from a plain-format
 * dump, as the restore's and the refresh's database steps do: a fresh
 * <db>_restoring (TEMPLATE template0, the configured owner, encoding and
 * locale; one left over from an earlier attempt is dropped first), the
 * dump replayed into it through libpq, its row counts compared with the
 * dump's COPY blocks, then the swap (dbadmin_swap(), journaled): the live
 * database renamed to @keep_as and the new one into its place, in one
 * transaction.  Until the swap the live database is never touched.
 */
#ifndef BR_DBREPLACE_H
#define BR_DBREPLACE_H

#include <libpq-fe.h>
#include <stdint.h>

#include "err.h"
#include "flow.h"
#include "report.h"

struct conf;
struct dumpinfo;
struct replay_stats;

struct dbreplace_opts {
	const struct conf *conf;     /* database.owner/encoding/lc_*, on_error, log_dir */
	const char *stamp;           /* the run's stamp, for the journal */
	const char *admin_conninfo;  /* CREATE/ALTER/DROP DATABASE */
	const char *conninfo;        /* the target's conninfo (its dbname is replaced by
					the staging database's for the replay) */
	const char *dbname;          /* the database replaced */
	const char *dump;            /* plain-format dump */
	const struct dumpinfo *info; /* the preflight's reading of @dump, or NULL */
	const char *check_hint;      /* non-NULL: the dump is checked beside the replay
					(replay_opts.check_hint) instead of before it */
	int jobs;                    /* replay connections, >= 1 */
	const char *keep_as;         /* the name the old database gets */
	/* Called after the replay and the row-count check, with the staging
	 * database's conninfo, before the swap (the refresh puts back the
	 * tables the test system keeps).  0, or -1 with @e: no swap.  NULL:
	 * none. */
	int (*before_swap)(void *ctx, const char *staging_conninfo, struct report *r,
			   struct err *e);
	void *ctx;
};

struct dbreplace_result {
	char *kept_as;     /* malloc'd: the old database's new name (o->keep_as),
			      NULL when there was none; the caller frees it */
	unsigned tables;   /* tables whose row counts equal the dump's */
};

/* Replace o->dbname as described above; replay statistics into @stats,
 * @so->err_logged/went_past as the replay left them.  0, or -1 with @e
 * (logged where the replay logged it) and the live database untouched
 * unless the swap's own error says otherwise. */
int dbreplace_run(const struct dbreplace_opts *o, struct step_out *so, struct replay_stats *stats,
		  struct dbreplace_result *res, struct report *r, struct err *e);

/* Whether the database dbreplace_run() will create for @dbname can be
 * created on @admin's server with what it asks for: the owner
 * (database.owner of @c, else the user of @conninfo), database.encoding,
 * lc_collate and lc_ctype, asked for by creating and dropping the probe
 * database <dbname>_localeprobe_<pid> (dbadmin_check_create()).  For the
 * preflights, before anything changes.  0, or -1 with @e. */
int dbreplace_check_create(PGconn *admin, const struct conf *c, const char *conninfo,
			   const char *dbname, struct err *e);

/* The journaled swap of a database: @in renamed to @dbname and the live
 * @dbname to @keep in one transaction (dbadmin_swap()), recorded in the
 * journal of @stamp under @log_dir (journal.h): "done" once committed,
 * "failed" when the transaction rolled back, left open when the
 * connection was lost (the next run looks).  The one way a flow swaps a
 * database in: dbreplace_run() and the rollback.  A journal that cannot be
 * written after the swap is a warning through @r.  0, or -1 with @e. */
int dbreplace_swap(PGconn *admin, const char *log_dir, const char *stamp, const char *dbname,
		   const char *in, const char *keep, struct report *r, struct err *e);

/*
 * A replay that fills the server's disk crashes the server half way.  Where
 * the server of @admin is on this machine and lets us read its
 * data_directory, refuse when the new database will not fit: the bigger of
 * @sql_bytes (the uncompressed dump) and half again for indexes, or the
 * live databases @live_dbs (NULL-terminated; may be NULL), plus 10% and
 * 64 MiB, since the old database stays beside the new one until the swap.
 * Where it cannot be checked: a warning through @r.  0, or -1 with @e.
 */
int dbreplace_check_space(PGconn *admin, uint64_t sql_bytes, const char *const *live_dbs,
			  struct report *r, struct err *e);

#endif
