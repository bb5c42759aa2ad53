/*
 * conf: biso-recover's own configuration (libconfig format).
 *
 * conf_init_defaults() fills a struct conf with the built-in defaults;
 * conf_load() reads a file on top of them; command-line flags then override
 * single fields with conf_set_str() / conf_parse_user_group().  Every key is
 * documented in share/biso-recover.conf.example.
 *
 * Ownership: every string and array in a struct conf is malloc'd and owned
 * by it; conf_release() frees them all.  Optional strings (config_php,
 * datadir, database.conninfo/admin_conninfo/owner, log_database.conninfo,
 * services.scheduler_cron) are NULL when unset or set to "".  Argument
 * vectors (`char **`) are NULL-terminated and never NULL themselves (an
 * empty one is { NULL }); lists of them (`char ***`) likewise.
 */
#ifndef BR_CONF_H
#define BR_CONF_H

#include <sys/types.h>

struct err;

#define CONF_DEFAULT_PATH "/etc/biso-recover.conf"
/* The example configuration that documents every key, for a hint: where
 * `make install` put it (DOCDIR), else share/biso-recover.conf.example of
 * the checkout the running binary was built in; the installed path when
 * neither is there.  Static storage. */
const char *conf_example_path(void);

/* Largest configuration file conf_load() reads, in bytes. */
#define CONF_MAX_BYTES (1024 * 1024)

enum conf_on_error {
	CONF_ON_ERROR_STOP,     /* "stop": the first failing statement stops the replay */
	CONF_ON_ERROR_CONTINUE, /* "continue": log it and go on */
};

struct conf_database {
	char *conninfo;       /* libpq conninfo of the target; NULL: from config.php gaia.db */
	char *dbname;         /* --dbname NAME (a bare name) without a conninfo
				 above: only the database name of config.php's
				 connection is replaced (host, port, user stay);
				 NULL: none */
	char *admin_conninfo; /* for CREATE/ALTER/DROP DATABASE; NULL: conninfo, dbname=postgres */
	char *owner;          /* owner of the new database; NULL: the user of conninfo */
	char *encoding;       /* "UTF8" */
	char *lc_collate;     /* "de_CH.utf8" */
	char *lc_ctype;       /* "de_CH.utf8" */
	char *dump_prefix;    /* "biso_": dumps are db/<prefix>YYYYMMDD_HHMMSS.sql[.gz] */
	int jobs;             /* parallel connections for the replay, 0 = number of cores */
	enum conf_on_error on_error;
};

struct conf_log_database {
	int enabled;          /* restore the second database too (default 0) */
	char *dbname;         /* "biso_log" */
	char *dump_prefix;    /* "biso_log_" */
	char *conninfo;       /* NULL: database conninfo with dbname replaced */
};

struct conf_services {
	char *scheduler_cron;        /* file checked for a biso-cli scheduler entry, NULL: skip */
	char **queue_runner_check;   /* argv that checks the queue runner; empty: skip */
	char ***restart_workers;     /* argv lists run after the migrations */
	char ***stop_services;       /* argv lists run before the restore */
	char ***start_services;      /* argv lists run after the restore */
};

/* biso-recover backup. */
struct conf_backup {
	int compress_level; /* the dump's zlib level 1..9; PGDUMP_LEVEL_DEFAULT */
};

struct conf_retention {
	/* backup-prune's policy (retention.h); 0: the rule keeps none */
	int keep_last, keep_daily, keep_weekly, keep_monthly;
};

/* The refresh of a test system from production (biso-recover refresh). */
struct conf_refresh {
	char *attachments;         /* "copy", "skip" or "placeholder"; NULL: asked for
				      (--attachments), never a silent default */
	char **attachment_dirs;    /* datadir folders holding attachments, {"attachments"} */
	char **keep_tables;        /* tables whose test rows survive a refresh, {} */
	char **check_tables;       /* tables the anonymization check compares, the
				      manual's six */
	char **check_fail_tables;  /* of those, the ones failing the refresh above
				      check_threshold rows still as in production,
				      {"person"} */
	int check_threshold;       /* 0 */
	char *production_conninfo; /* production's database, for the identity check
				      when the backup has no manifest; NULL: none */
	char *production_config;   /* production's config.php (datadir and database,
				      for the identity check); NULL: none */
	int keep_old;              /* keep the test system's previous database and
				      datadir (--keep-old); 0: removed once the new
				      ones are in place */
};

struct conf {
	char *path;              /* file that was loaded, NULL if none (defaults only) */
	char *webroot;           /* live webroot, "/var/www/biso" */
	char *backup_root;       /* "/var/backups/biso", holding webroot/, data/, db/ */
	char *web_user;          /* "www-data" */
	char *web_group;         /* "www-data" */
	char *php;               /* "/usr/bin/php" */
	char **biso_cli;         /* how biso-cli is run, without its subcommand, e.g.
				    {"docker", "compose", "exec", "-T", "web", "php",
				    "biso-cli"}; empty: { php, "biso-cli" } */
	char **migration_status; /* biso-cli subcommand printing "pending: N", e.g.
				    {"migration", "status"}; empty: none (then the
				    verification relies on migration exec) */
	char *config_php;        /* config.php to use instead of the backup's; NULL: backup's */
	char *datadir;           /* override of config.php's datadir; NULL: config.php's */
	char *keep_dir;          /* where the staging and kept copies of a datadir inside
				    the webroot go; NULL: beside the webroot */
	char *log_dir;           /* "/var/log/biso-recover": run logs and reports */
	char *env_expected;      /* "PROD": warn if config.php's env differs */
	char **webroot_excludes; /* patterns left out of the webroot restore, {"data"} */
	char **datadir_excludes; /* {"tmp/", "*.log", "maintenance.on"} */
	struct conf_database database;
	struct conf_log_database log_database;
	struct conf_services services;
	struct conf_backup backup;
	struct conf_retention retention;
	struct conf_refresh refresh;
};

/* Fill @c with the built-in defaults (overwrites without freeing: call it on
 * an uninitialised or released struct). */
void conf_init_defaults(struct conf *c);

/* Read @path (NULL: CONF_DEFAULT_PATH) on top of what @c holds.  A missing
 * file is fine (nothing changes, returns 0) unless @explicit_path is set
 * (the operator named it with --config).  Returns 0, or -1 with @e set
 * (file, line, message): syntax errors, unknown keys, wrong types and bad
 * values, and a file over CONF_MAX_BYTES.  The file is checked completely before anything is applied, so
 * after an error @c is unchanged. */
int conf_load(struct conf *c, const char *path, int explicit_path, struct err *e);

/* Free everything @c owns; it must be re-initialised before reuse. */
void conf_release(struct conf *c);

/* Replace the string *@field with a malloc'd copy of @value (NULL stores
 * NULL), freeing the old one.  For command-line overrides. */
void conf_set_str(char **field, const char *value);

/* Parse `--web-user USER[:GROUP]` into c->web_user and c->web_group (GROUP
 * defaults to USER).  Names are not looked up here.  Returns 0, or -1 with
 * @e set for an empty user or group or more than one ':'. */
int conf_parse_user_group(struct conf *c, const char *spec, struct err *e);

/* Look up web_user and web_group (web_user's name when unset) in the
 * system's user and group databases.  -1 with @e and a hint when either
 * does not exist on this machine. */
int conf_web_owner(const struct conf *c, uid_t *uid, gid_t *gid, struct err *e);

#endif
