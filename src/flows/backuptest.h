/*
 * backuptest: tier 2 of `biso-recover backup-verify --restore-test`: does
 * the backup's dump restore, with the rows its manifest counts?
 *
 * The dump of part "db" is replayed (replay.h, stop at the first error)
 * into a scratch database <dbname>_verify_<id> created on the admin
 * connection (TEMPLATE template0, the configuration's encoding and
 * locales); then each table of the manifest is counted there (SELECT
 * count(*), names quoted with libpq) and compared with the manifest's
 * rows; the scratch database is dropped on every way out.
 */
#ifndef BR_BACKUPTEST_H
#define BR_BACKUPTEST_H

#include <stddef.h>

struct conf;
struct err;
struct report;

struct backuptest_result {
	char *scratch;      /* the scratch database's name (malloc'd) */
	size_t tables;      /* tables compared */
	char **bad;         /* one line per problem: "public.person: 399 rows, the
			       manifest says 400", or the replay's error; in
			       the operator's language (the screen's only) */
	size_t n_bad;
};

/*
 * Replay backup @id under @root into a scratch database and compare.
 * Returns 0 when every table has the manifest's rows, 1 when the dump did
 * not restore or a count differs (@res->bad says each), -1 with @e set when
 * it could not be tested (no manifest or no dump part, no admin connection,
 * the scratch database could not be created, cancelled).  Release @res
 * with backuptest_release() either way.
 */
int backuptest_run(const struct conf *c, const char *root, const char *id,
		   struct backuptest_result *res, struct report *r, struct err *e);
void backuptest_release(struct backuptest_result *res);

#endif
