/*
 * refresh_int: what the files of the refresh flow share: its state
 * (struct refresh, run_data() of a refresh run) and its steps' index.
 * refresh_flow.c holds the table and hooks, refresh_prepare.c the plan and
 * the preflight, refresh_<step>.c one step each.  Not a public API.
 */
#ifndef BR_REFRESH_INT_H
#define BR_REFRESH_INT_H

#include <stdint.h>
#include <time.h>

#include "flow.h"
#include "i18n.h"
#include "magic.h"
#include "run.h"

struct conf;
struct report;
struct strbuf;

enum refresh_step {
	RF_MAINTENANCE,
	RF_FETCH,
	RF_DATABASE,
	RF_DATADIR,
	RF_ANONYMIZE,
	RF_CHECK,
	RF_COUNT
};

enum refresh_attachments { RF_ATT_UNSET, RF_ATT_COPY, RF_ATT_SKIP, RF_ATT_PLACEHOLDER };

struct refresh {
	struct run *run;
	struct conf *conf;         /* run_conf(): borrowed */
	const char *stamp;         /* run_stamp() */
	int dry_run;
	time_t at;                 /* run_opts' at */

	/* the target: the test instance (strings owned) */
	char *webroot;
	char *config_php;          /* its config.php */
	char *env;                 /* as config.php says, re-read before the anonymizer */
	char *datadir;
	char *conninfo;            /* holds the password: never log */
	char *admin_conninfo;
	char *dbname;
	char *db_host;             /* config.php's host, for the screens */
	char *target_sysid;        /* pg_control_system() of the target's server */

	/* the source: production's backup set */
	char *source;              /* the backup root (--source) */
	char *dump;                /* plain-format dump (local once fetched) */
	int remote;                /* the source is host:path: the fetch step copies
				      the dump here with rsync over ssh */
	char *fetched;             /* the directory the fetch step made (removed when
				      the refresh ends), or NULL */
	enum magic_kind dump_kind;
	char *datadir_src;         /* datadir backup (directory or archive) */
	enum magic_kind datadir_src_kind;
	int datadir_src_flat;      /* the flat copy beside snapshots (backup_item.flat):
				      copied without them */
	char *manifest;            /* its MANIFEST, or NULL when it has none */
	char backup_id[16];        /* the dump's backup id (YYYYMMDD_HHMMSS), "" if none */
	char *prod_sysid;          /* production's identity: the manifest's, else the
				      production config/conninfo's; NULL: unknown */
	char *prod_dbname;
	char *prod_datadir;        /* production config.php's datadir, or NULL */
	char *prod_from;           /* where the identity came from, for messages */

	enum refresh_attachments attachments;
	int keep_old;              /* refresh.keep_old: keep the old test database/datadir */

	/* what the run did */
	int maintenance_on;        /* the maintenance step switched it on */
	int maintenance_off;       /* ... and the cleanup switched it off again */
	int keep_maintenance;      /* the anonymization check failed: leave it on */
	int services_stopped, services_started;
	char *old_db;              /* the previous test database's name after the swap */
	int anonymized;            /* the anonymizer ran and exited 0 */
	uint64_t placeholders;     /* attachments written as placeholders */
	char *check_text;          /* the anonymization check's figures, one line a table
				      (English: the report file) */
	char *check_text_l10n;     /* the same in the operator's language (the screen) */
	char *report_path;         /* the report file */

	/* the target locks (refresh_lock()), held until the run is freed */
	int webroot_lock_fd, db_lock_fd; /* -1: not held */
	char *webroot_lock_path, *db_lock_path;
};

static inline struct refresh *refresh_of(const struct run *run)
{
	return (struct refresh *)run_data(run);
}

/* orq() of the restore (restore_int.h): @s, or "(unknown)" translated,
 * for the texts built with _(). */
static inline const char *rf_orq(const char *s)
{
	return s ? s : _("(unknown)");
}

extern const struct step_def refresh_step_maintenance, refresh_step_fetch, refresh_step_database,
	refresh_step_datadir, refresh_step_anonymize, refresh_step_check;

/* refresh_prepare.c */
/* The plan: the target's config.php read, the source's dump and datadir
 * chosen, the attachments policy.  Touches nothing.  0, or -1 with @e. */
int refresh_prepare(struct refresh *rf, struct report *r, struct err *e);
/* Every check that can stop the refresh (env 'dev', not production by
 * identity, locale, programs, free space).  0, or -1 with @e. */
int refresh_preflight(struct refresh *rf, struct report *r, struct err *e);
/* Read the target's config.php again and require env 'dev' (right before
 * the anonymizer).  0, or -1 with @e. */
int refresh_require_dev(struct refresh *rf, struct report *r, struct err *e);
/* refresh_lock.c */
/* Take the target's locks, the restore's (lock.h, by the same names and
 * paths): its webroot's and its database's (conninfo_target_key()), so
 * that a restore, rollback or backup of the instance and the refresh
 * exclude each other.  In the preflight, before anything changes; kept
 * until refresh_unlock() (the run's release).  0, or -1 with @e naming the
 * holder (pid, start, host, command); nothing held then. */
int refresh_lock(struct refresh *rf, struct err *e);
/* Release what refresh_lock() took; again is a no-op. */
void refresh_unlock(struct refresh *rf);
/* refresh_datadir.c: the datadir step's excludes: the configured
 * datadir_excludes, and with skip or placeholder the attachment folders
 * ("/attachments/", anchored).  malloc'd array of malloc'd strings,
 * NULL-terminated. */
const char **refresh_datadir_excludes(const struct refresh *rf);
/* "copy", "skip", "placeholder" or "(not chosen)". */
const char *refresh_attachments_name(enum refresh_attachments a);
void refresh_release(struct refresh *rf);

#endif
