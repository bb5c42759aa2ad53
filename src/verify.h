/*
 * verify: the checks that tell the operator the restored instance is whole:
 * webroot holds biso-cli and config.php, the datadir exists and belongs to
 * the web user, the database answers, every table has as many rows as its
 * COPY block in the dump, and no migration is pending.  Each check is
 * PASS, WARN or FAIL; the report is also written to a file.
 */
#ifndef BR_VERIFY_H
#define BR_VERIFY_H

#include <libpq-fe.h>

#include "report.h"

struct dumpinfo;
struct err;
struct restore;

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

/*
 * Run all checks on the instance @rs describes; writes the report to
 * <log_dir>/verify-<stamp>.txt (mode 0600; rs->report_path) and sets
 * rs->st[STEP_VERIFY].summary.  Returns 0 when nothing FAILed (warnings
 * allowed), -1 with @e (the report text as detail) otherwise.
 */
int verify_instance(struct restore *rs, struct report *r, struct err *e);

#endif
