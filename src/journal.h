/*
 * journal: what a run is about to swap, written before and after, so that
 * a run killed half way (power cut, kill -9, OOM) leaves a trail the next
 * run can follow.
 *
 * Every replace in biso-recover ends in a swap of two names: the live
 * webroot/datadir renamed to ...pre-restore-<time> and the staging copy
 * renamed into place, or the same with databases.  Between the two renames
 * the live name does not exist.  The journal (<log_dir>/journal, mode 0600,
 * one tab-separated line per event, fields escaped) records "begin" before
 * the first rename and "done" after the second; an entry without "done" is
 * an interrupted swap.  The journal is append-only and fsync'd.
 *
 * The services a run stops (services.stop_services) are journaled the same
 * way: "begin" (kind services, live "services", kept and staging empty)
 * before they are stopped, "done" once they were started again, so the next
 * run knows they may still be down.
 */
#ifndef BR_JOURNAL_H
#define BR_JOURNAL_H

#include <stddef.h>

struct err;

enum journal_kind { JOURNAL_FILES, JOURNAL_DATABASE, JOURNAL_SERVICES };

struct journal_entry {
	enum journal_kind kind;
	char *stamp;   /* the run that began it */
	char *live;    /* the live name: a path or a database name */
	char *kept;    /* what the old one is renamed to */
	char *staging; /* what is renamed into place */
};

/* Append "begin" for a swap of @live (kept as @kept, replaced by @staging)
 * to <dir>/journal, creating it 0600.  0, or -1 with @e. */
int journal_begin(const char *dir, const char *stamp, enum journal_kind kind,
		  const char *live, const char *kept, const char *staging, struct err *e);
/* Append "done" for the swap begun with the same @stamp, @kind and @live
 * (it finished, or it failed with the live name back in place). */
int journal_done(const char *dir, const char *stamp, enum journal_kind kind,
		 const char *live, struct err *e);
/* The swaps begun and never done, oldest first, in a malloc'd array the
 * caller frees with journal_entries_free().  A missing journal is no
 * error (*@n = 0).  -1 with @e (file and line) on an unreadable journal. */
int journal_pending(const char *dir, struct journal_entry **out, size_t *n, struct err *e);
void journal_entries_free(struct journal_entry *v, size_t n);

#endif
