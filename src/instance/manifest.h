/*
 * manifest: what a backup holds, written beside it, so that a restore (and
 * a person) can tell whether it is complete and what it came from.
 *
 * Files: <root>/manifest/<id>/MANIFEST and <root>/manifest/<id>/SHA256SUMS
 * (manifest_paths()), <id> the backup's YYYYMMDD_HHMMSS.  SHA256SUMS lists
 * every file of the backup relative to <root> (src/core/sha256sums.h):
 *
 *     cd <root> && sha256sum -c manifest/<id>/SHA256SUMS
 *
 * checks it by hand.  MANIFEST is plain UTF-8 text, one "key value" a line
 * (the key a word, the value the rest of the line; a backslash or newline
 * in a value is written "\\" / "\n"), '#' lines are comments, unknown keys
 * are kept out of the way (a newer biso-recover may add some):
 *
 *     # biso-recover backup manifest
 *     format 1
 *     id 20261206_020000
 *     time 2026-12-06T02:00:00+0100
 *     biso-recover 0.1.0
 *     biso 3.4.1                      (the webroot's VERSION file; absent without one)
 *     server 15.18 (Debian 15.18-0+deb12u1)
 *     pg_dump 15.18 (Debian 15.18-0+deb12u1)
 *     system_identifier 7444955392810362887
 *     dbname biso
 *     maintenance_ms 8312             (how long maintenance mode was on)
 *     migrations_pending 1            (migration_status right after the dump;
 *     migration_pending 20240610_0001.sql   absent without one configured)
 *     part db 1 5638963 db/biso_20261206_020000.sql.gz
 *     part datadir 1204 88291552 data/20261206_020000
 *     table 60000 public.person       (rows in the dump's COPY block)
 *     verified 2026-12-06T02:05:00+0100 checksums ok
 *
 * "part NAME FILES BYTES PATH": the files and bytes of one part as the
 * checksum list has them, PATH relative to <root>.  "verified TIME HOW
 * RESULT": the last verification (HOW "checksums" or "restore-test", RESULT
 * "ok" or "damaged").  Times are ISO 8601 local time with its UTC offset.
 */
#ifndef BR_MANIFEST_H
#define BR_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct err;
struct report;
struct sha256sums_result;

#define MANIFEST_FORMAT 1

struct manifest_part {
	char *name;      /* "db", "log_db", "datadir", "webroot" */
	uint64_t files;
	uint64_t bytes;
	char *path;      /* relative to the backup root */
};

struct manifest_table {
	char *name;      /* as in the dump's COPY line, e.g. public."Odd Name" */
	uint64_t rows;
};

struct manifest {
	int format;              /* MANIFEST_FORMAT when written by us */
	char *id;                /* YYYYMMDD_HHMMSS */
	time_t time;             /* the backup's start */
	char *tool_version;      /* biso-recover's */
	char *biso_version;      /* BISO's, NULL when the webroot has no VERSION */
	char *server_version;    /* PostgreSQL server's */
	char *pg_dump_version;
	char *system_identifier; /* pg_control_system(), as text */
	char *dbname;
	int64_t maintenance_ms;  /* -1 when not recorded */
	int64_t migrations_pending; /* the configured migration_status's "pending: N"
				       right after the dump; -1 when not recorded */
	char **pending_migrations;  /* the names it listed, n_pending_migrations */
	size_t n_pending_migrations;
	struct manifest_part *parts;
	size_t n_parts;
	struct manifest_table *tables;
	size_t n_tables;
	time_t verified_time;    /* 0 when never verified */
	char *verified_how;      /* "checksums", "restore-test" */
	char *verified_result;   /* "ok", "damaged" */
};

/* An empty manifest for backup @id taken at @when: format set, tool
 * version = PACKAGE_VERSION, maintenance_ms and migrations_pending -1.  Release with
 * manifest_release(). */
void manifest_init(struct manifest *m, const char *id, time_t when);
/* Free what @m owns and zero it. */
void manifest_release(struct manifest *m);

/* Append a part (strings copied). */
void manifest_add_part(struct manifest *m, const char *name, uint64_t files, uint64_t bytes,
		       const char *path);
/* Append a pending migration's name (copied). */
void manifest_add_pending_migration(struct manifest *m, const char *name);
/* Append a table (name copied). */
void manifest_add_table(struct manifest *m, const char *name, uint64_t rows);
/* The part called @name, or NULL. */
const struct manifest_part *manifest_part(const struct manifest *m, const char *name);

/* A backup's state by its manifest, as the backup chooser and backup-list
 * show it: the last verification found it whole, found damage, or there
 * was none. */
enum manifest_state { MANIFEST_UNVERIFIED, MANIFEST_VERIFIED, MANIFEST_DAMAGED };
enum manifest_state manifest_state(const struct manifest *m);

/* Fill m->tables from the plain-format dump @dump_path (gzip or not) with
 * dumpinfo: rows of each COPY block.  Returns 0, or -1 with @e set
 * (dumpinfo's error: unreadable, cut off). */
int manifest_tables_from_dump(struct manifest *m, const char *dump_path, struct report *r,
			      struct err *e);
/* Set m->biso_version from the first line of @webroot/VERSION; none is
 * set (0) when there is no such file.  Returns 0, or -1 with @e set when
 * it exists but cannot be read. */
int manifest_read_biso_version(struct manifest *m, const char *webroot, struct err *e);

/* Write @m to @path atomically (@path.partial, fsync, rename; mode 0600).
 * Returns 0, or -1 with @e naming the file. */
int manifest_write(const struct manifest *m, const char *path, struct err *e);
/* Read @path into @m (zeroed first; release it either way).  Returns 0,
 * or -1 with @e naming the file and line: unreadable, a line without a
 * value, a number or time that does not parse, format newer than ours, no
 * "id" line. */
int manifest_read(const char *path, struct manifest *m, struct err *e);

/* The manifest of the backup that @path belongs to, when @path is a part
 * biso-recover backup wrote under @root (db/<prefix><id>.sql.gz, data/<id>,
 * webroot/<id>): 1 with @m read (release it), 0 when there is none (the
 * manual's layout; @m zeroed), -1 with @e when it cannot be read. */
int manifest_of_part(const char *root, const char *path, struct manifest *m, struct err *e);

/*
 * Seal backup m->id under @root, the last thing a backup does: write
 * SHA256SUMS over every part of @m (a part's path is a file or a tree,
 * relative to @root), set each part's file and byte counts from it, fill
 * the tables from the "db" part's dump when @m has none yet, and write
 * MANIFEST (creating <root>/manifest/<id>/).  @prev (may be NULL) has one
 * entry per part: the earlier snapshot ("data/<id>", relative to @root)
 * whose files the part's unchanged files are hard links to, or NULL; their
 * digests are taken from that backup's SHA256SUMS instead of reading the
 * files again (sha256sums_reuse(); without a usable list they are read).
 * Returns 0, or -1 with @e set (nothing is left under either name but the
 * directory).
 */
int manifest_seal(const char *root, struct manifest *m, const char *const *prev,
		  struct report *r, struct err *e);

/* The manifest's and checksum list's paths for backup @id under @root
 * (malloc'd): <root>/manifest/<id>/MANIFEST and .../SHA256SUMS.  Either
 * pointer may be NULL when not wanted. */
void manifest_paths(const char *root, const char *id, char **manifest, char **sums);

/*
 * Verify backup @id under @root: its MANIFEST reads, then every checksum of
 * its SHA256SUMS (sha256sums_verify()), and every part named in the
 * manifest is listed in it.  Returns 0 when all is well, 1 when files are
 * damaged (@res->bad names each; a part missing from the list is named
 * too), -1 with @e set when it could not be checked (no manifest, a
 * malformed list...).  @res must be released (sha256sums_result_release()).
 */
int manifest_verify(const char *root, const char *id, struct sha256sums_result *res,
		    struct report *r, struct err *e);

/* Format @t as the manifest does ("2026-12-06T02:00:00+0100", local time)
 * into @buf (at least 32 bytes). */
void manifest_format_time(time_t t, char *buf, size_t size);
/* Parse that form (any UTC offset) into *@t.  Returns 0, or -1. */
int manifest_parse_time(const char *s, time_t *t);

#endif
