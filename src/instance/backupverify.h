/*
 * backupverify: tier 1 of `biso-recover backup-verify`: is a backup whole,
 * without a server?
 *
 * For backup <id> under the backup root: its manifest reads
 * (manifest_read()), every file of its SHA256SUMS matches and each part
 * has as many files as the manifest says (manifest_verify()), and each
 * dump part ("db", "log_db") is a whole plain-format dump: the gzip stream
 * inflates to its end with a good CRC, and the SQL ends with pg_dump's
 * "dump complete" trailer (dumpinfo_check()).  Nothing is written.
 */
#ifndef BR_BACKUPVERIFY_H
#define BR_BACKUPVERIFY_H

#include <stdint.h>
#include <time.h>

#include "sha256sums.h"

struct err;
struct report;

struct backupverify_result {
	struct sha256sums_result sums; /* checked, bytes, and every damaged
					  file (path relative to the root,
					  why) including dumps that do not
					  inflate or lack the trailer */
	size_t damaged_files;          /* distinct files in sums.bad */
	uint64_t dumps;                /* dump parts read through */
	uint64_t dump_sql_bytes;       /* their SQL bytes */
};

/*
 * Check backup @id under @root.  Returns 0 when it is whole, 1 when files
 * are damaged (@res->sums.bad names each, a file once per problem), -1 with
 * @e set when it could not be checked (no or unreadable manifest, a
 * malformed checksum list, cancelled); an @id with no manifest is named
 * with the backups there are ("no backup ID in ROOT; backups there: ...").  @res is zeroed first and must be
 * released with backupverify_release().
 */
int backupverify_tier1(const char *root, const char *id, struct backupverify_result *res,
		       struct report *r, struct err *e);
void backupverify_release(struct backupverify_result *res);

/* The newest backup id under @root (the greatest YYYYMMDD_HHMMSS name in
 * <root>/manifest/ that holds a MANIFEST), malloc'd into *@id.  Returns 1,
 * 0 when there is none, -1 with @e set when <root>/manifest cannot be read. */
int backupverify_newest(const char *root, char **id, struct err *e);

/* "biso-recover backup-list --backup-root ROOT" (@root quoted for a
 * shell where it needs it), malloc'd: the command the hints of a backup
 * that is not there name. */
char *backupverify_list_cmd(const char *root);

/* " --config FILE --backup-root ROOT": the options of a `biso-recover
 * backup-verify` a hint names for a backup under @root, with @c's
 * configuration file when one was loaded; both absolute where they exist
 * (pasted, it works from any directory), quoted for a shell, each with a
 * leading space.  Only those: backup-verify takes no other option that
 * names the instance (a run's run_instance_opts() holds more).  malloc'd. */
struct conf;
char *backupverify_opts(const struct conf *c, const char *root);

/* Record the verification in the manifest of backup @id: verified @when,
 * @how ("checksums"), @result ("ok" or "damaged").  Returns 0, or -1 with
 * @e set. */
int backupverify_record(const char *root, const char *id, time_t when, const char *how,
			const char *result, struct err *e);

#endif
