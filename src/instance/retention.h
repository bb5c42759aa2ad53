/*
 * retention: which backups `backup-prune` keeps, as a pure function of the
 * backups' times and the policy (no clock, no file system), so that it can
 * be tested over simulated years and shown in a dry run.
 *
 * Rules, each over the complete backups only, newest first, as restic and
 * borg count them:
 *   --keep-last N     the N newest;
 *   --keep-daily N    the newest backup of each of the N newest days that
 *                     have one (local time: the day the admin sees);
 *   --keep-weekly N   the same per ISO 8601 week (Monday to Sunday);
 *   --keep-monthly N  the same per calendar month.
 * A backup is kept when any rule keeps it; the reason names each rule and
 * the backup's rank in it ("last 1, daily 1").  The newest complete backup
 * is always kept (reason "newest" when no rule keeps it), whatever the
 * policy.  A backup that is not complete is neither counted nor deleted:
 * it may be one being written, and the caller deals with it by name.
 */
#ifndef BR_RETENTION_H
#define BR_RETENTION_H

#include <stddef.h>
#include <time.h>

struct retention_policy {
	int last, daily, weekly, monthly; /* 0: the rule keeps none */
};

struct retention_backup {
	time_t when;  /* the backup's time (from its id) */
	int complete; /* its parts are all there (manifest written) */
};

enum retention_verdict {
	RETENTION_KEEP,
	RETENTION_DELETE,
	RETENTION_IGNORE, /* not complete: not counted, not deleted */
};

struct retention_decision {
	enum retention_verdict verdict;
	char *reason; /* "daily 3", "last 1, daily 1", "newest", "incomplete" or
			 "" for a delete; malloc'd */
	char *reason_l10n; /* the same in the operator's language ("Tag 3"),
			      for the screen; malloc'd */
};

/* True when @p keeps nothing but the newest backup (every count 0): a
 * caller refuses to prune with such a policy unless told. */
int retention_policy_empty(const struct retention_policy *p);

/*
 * Decide for each of the @n backups in @b (any order); @out[i] gets the
 * decision for @b[i].  Release @out with retention_release().  Negative
 * counts are taken as 0.
 */
void retention_decide(const struct retention_policy *p, const struct retention_backup *b,
		      size_t n, struct retention_decision *out);
/* Free the reasons of @n decisions. */
void retention_release(struct retention_decision *out, size_t n);

#endif
