/*
 * verify: the checks that tell the operator the restored instance is whole:
 * webroot holds biso-cli and config.php, the datadir exists and belongs to
 * the web user, the database answers, every table has as many rows as its
 * COPY block in the dump, and no migration is pending.  Each check is
 * PASS, WARN or FAIL; the report is also written to a file.  The
 * restore's verify step (restore_step_verify, restore_int.h) runs them;
 * the functions below are what the database step and the tests use too.
 */
#ifndef BR_VERIFY_H
#define BR_VERIFY_H

#include <libpq-fe.h>
#include <sys/types.h>

#include "report.h"

struct dumpinfo;
struct err;
struct strbuf;

/*
 * Compare every table's row count in @db with the rows of its COPY block
 * in @dump: from @known when the caller already scanned it (borrowed; may
 * be NULL), else read again with dumpinfo_scan().
 * Tables are counted with SELECT count(*) FROM ONLY, identifiers quoted by
 * libpq.  Returns the number of tables that differ (each one logged at
 * @level), or -1 with @e when the dump cannot be read.  *@tables gets the
 * number of tables compared, *@complete whether the dump has its "dump
 * complete" trailer.
 */
int verify_row_counts(PGconn *db, const char *dump, const struct dumpinfo *known,
		      struct report *r, enum log_level level, unsigned *tables, int *complete,
		      struct err *e);

/* What verify_tree_owner() found. */
struct tree_owner {
	unsigned long entries;  /* entries looked at, the top included */
	unsigned long bad;      /* entries with another owner or group, or without u+rwX */
	unsigned long unread;   /* directories that could not be opened */
	struct strbuf *first;   /* caller's buffer (may be NULL): the first few bad
				   entries, "path (why)" joined by ", ", English */
	struct strbuf *first_l10n; /* the same with "why" in the operator's
				   language (may be NULL) */
};

/*
 * Check that every entry of the tree @dir (the top too) belongs to
 * @uid:@gid and has u+rwX (files u+rw, directories u+rwx; symbolic links
 * only their owner).  Walks with openat()/fstatat() relative to each
 * directory's descriptor, never following symbolic links and never looking
 * a path up from the root again.  The first @max_named bad entries are named
 * in @t->first (and @t->first_l10n) with their path relative to @dir.
 * Returns 0, or -1 with @e when @dir itself cannot be opened.
 */
int verify_tree_owner(const char *dir, uid_t uid, gid_t gid, unsigned max_named,
		      struct tree_owner *t, struct err *e);

#endif
