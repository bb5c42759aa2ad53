/*
 * backup_int: what the files of the backup flow share: its state (struct
 * backup, run_data() of a backup run), its steps' table index and the
 * helpers several steps call.  backup_flow.c holds the table, the hooks
 * and the helpers; backup_<step>.c one step each.  Not a public API.
 */
#ifndef BR_BACKUP_INT_H
#define BR_BACKUP_INT_H

#include <stdint.h>
#include <time.h>

#include "backup.h"
#include "flow.h"
#include "run.h"

struct conf;
struct manifest;
struct strbuf;

enum backup_step_id {
	BSTEP_MAINT_ON,
	BSTEP_DATABASE,
	BSTEP_DATADIR,
	BSTEP_MAINT_OFF,
	BSTEP_WEBROOT,
	BSTEP_SEAL,
	BSTEP_COUNT
};

/* One part of the backup: where it is written and where it is published. */
struct backup_part {
	const char *name;  /* the manifest's part name: "db", "log_db", "datadir", "webroot" */
	char *partial;     /* absolute path while written ("<root>/data/<id>.partial") */
	char *final;       /* absolute path once published ("<root>/data/<id>") */
	char *rel;         /* @final relative to the root, for the manifest */
	int written;       /* complete under @partial */
	int published;     /* renamed to @final */
};

struct backup {
	struct run *run;
	struct conf *conf;        /* borrowed */
	char id[16];              /* the backup's id YYYYMMDD_HHMMSS: run_stamp(), or
				     the next second no backup or dump of the root
				     has (backup_choose_id()) */
	time_t when;              /* the id as a time */
	char *id_taken;           /* what took run_stamp()'s id ("db/biso_<id>.sql.gz"),
				     NULL when it was free; for the plan */

	/* the plan (backup_prepare); strings owned */
	char *root;               /* backup root */
	char *webroot;            /* live webroot */
	char *datadir;            /* live datadir */
	char *conninfo;           /* the database's conninfo (may hold a password: never log) */
	char *dbname;             /* the database to dump */
	char *log_dbname;         /* the log database, or NULL */
	char *log_conninfo;       /* its conninfo */
	char *prev_data;          /* newest earlier datadir snapshot (link target), or NULL */
	char *prev_webroot;       /* likewise of the webroot */
	char **webroot_excludes;  /* the configuration's plus the datadir inside the
				     webroot, anchored; NULL-terminated, owned */
	uint64_t db_size;         /* pg_database_size() of the database (preflight) */
	uint64_t log_db_size;

	/* the parts: db, log_db (dbname NULL: unused), datadir, webroot */
	struct backup_part db, log_db, data, web;
	char *server_version, *pg_dump_version; /* from the dump; owned */
	char *system_identifier;  /* the server's, or NULL when it could not be read */
	char *identity_dbname;    /* current_database() on the dump's connection */
	struct backup_tables *tables; /* rows per table, counted beside the datadir copy */
	long migrations_pending;  /* migration_status's "pending: N" after the dump; -1 unknown */
	char **pending_migrations; /* the names it listed, NULL-terminated; owned */

	/* maintenance mode */
	int maint_on;             /* this run switched it on and not off yet */
	int64_t maint_t0;         /* report_now_ns() when it went on */
	int64_t maint_ms;         /* how long it was on; -1 while unknown */
	int maint_cleanup;        /* the maintenance-on step's cleanup switched it
				     off (1) or failed to (-1); 0: did nothing */

	int lock_fd;              /* the backup root's lock, -1 when not held */
	char *lock_path;
	int webroot_lock_fd;      /* the webroot's (as a restore takes it) */
	char *webroot_lock_path;
	int sealed;               /* the manifest was written: the backup is complete */
};

static inline struct backup *backup_of(const struct run *run)
{
	return (struct backup *)run_data(run);
}

extern const struct step_def backup_step_maint_on, backup_step_database, backup_step_datadir,
	backup_step_maint_off, backup_step_webroot, backup_step_seal;

/* ---- backup_flow.c: what the steps share ---- */
/* Switch maintenance mode on (the marker first) or off (the marker removed
 * after), logging through @r.  0, or -1 with @e. */
int backup_maintenance(struct backup *b, int on, struct report *r, struct err *e);
/* Fail with @e before a part is written when the filesystem of @dir has
 * less room than @bytes (plus the margin every space check adds) for
 * @doing. */
int backup_check_space(const char *dir, uint64_t bytes, const char *doing, struct err *e);
/* Copy the tree @src into @p->partial as rsync -a does (excludes, hard
 * links to @prev where unchanged: fsrestore's FSRESTORE_SNAPSHOT), with
 * the space check and progress.  0, or -1 with @e. */
int backup_copy_tree(struct backup *b, struct backup_part *p, const char *src,
		     const char *prev, const char *const *excludes, struct step_out *out,
		     struct report *r, struct err *e);
/* The rsync command backup_copy_tree() runs, for the plan. */
void backup_copy_cmd(const struct backup *b, const struct backup_part *p, const char *src,
		     const char *prev, const char *const *excludes, struct strbuf *out);
/* Count the rows per table of the dump @path (dumpinfo) on a thread of its
 * own while the next steps copy files, for the manifest.  Nothing when it
 * cannot start (the seal counts them itself then). */
void backup_tables_start(struct backup *b, const char *path);
/* Wait for that count and move its tables into @m; 0 when they are there,
 * -1 when there was none or it failed (logged through @r; the seal then
 * counts them itself and reports the error).  Safe to call when none was
 * started; backup_release() stops and joins a count still running. */
int backup_tables_join(struct backup *b, struct manifest *m, struct report *r);
/* "     cd WEBROOT && [runuser -u U --] php biso-cli maintenance on|off" */
void backup_maint_cmd(const struct backup *b, int on, struct strbuf *out);

#endif
