/*
 * journal: what a run is about to swap, written before and after, so that
 * a run killed half way (power cut, kill -9, OOM) leaves a trail the next
 * run can follow.
 *
 * Every replace in biso-recover ends in a swap: the staging copy takes
 * the live name and the old one is kept as ...pre-restore-<time>.  Trees
 * are exchanged in one step (swap.h), then the old one is renamed from the
 * staging name to the kept one; databases are renamed in one transaction.
 * The journal (<log_dir>/journal, mode 0600, one tab-separated line per
 * event, fields escaped) records "begin" before the swap and "done" after
 * it, or "failed" for a database swap that rolled back; an entry without
 * either is an interrupted swap.  For a tree "begin"
 * also records the live tree's identity (device and inode): a live name
 * holding another tree then says the exchange happened, and the tree at
 * the staging name is the old one, not a left-over copy.  Journals of
 * older versions (two renames, no identity) still read.  The journal is
 * append-only and fsync'd.
 *
 * Each step of a flow is journaled too (run.h): "step" records with the
 * run's stamp, the flow, the step and an event: "start" (the run, with its
 * selected steps), "started", "working" (past its start: from here on the
 * step may change something), "done" (what the old data was kept as, which
 * backup), "failed" (the error), "skipped", "end" (the exit code).  A run
 * whose last record is not "end" was interrupted; journal_steps() reads
 * them back.  A run that changed nothing (journal_end()) is no run for the
 * readers: not the newest one to resume, to roll back or to continue, as
 * a run that ends before its first step journals nothing at all.
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
	char *live_id; /* files: journal_path_id() of the live tree at "begin"; "" if unknown */
};

/* Append "begin" for a swap of @live (kept as @kept, replaced by @staging)
 * to <dir>/journal, creating it 0600; for JOURNAL_FILES with @live's
 * identity.  0, or -1 with @e. */
int journal_begin(const char *dir, const char *stamp, enum journal_kind kind,
		  const char *live, const char *kept, const char *staging, struct err *e);
/* Append "done" for the swap begun with the same @stamp, @kind and @live
 * (it finished, or it failed with the live name back in place). */
int journal_done(const char *dir, const char *stamp, enum journal_kind kind,
		 const char *live, struct err *e);
/* Append "failed" for that swap: it did not happen and nothing is left to
 * repair (a database swap whose transaction rolled back).  Closes the
 * "begin" as "done" does.  0, or -1 with @e. */
int journal_failed(const char *dir, const char *stamp, enum journal_kind kind,
		   const char *live, struct err *e);
/* The swaps begun and never done, oldest first, in a malloc'd array the
 * caller frees with journal_entries_free().  A missing journal is no
 * error (*@n = 0).  -1 with @e (file and line) on an unreadable journal. */
int journal_pending(const char *dir, struct journal_entry **out, size_t *n, struct err *e);
void journal_entries_free(struct journal_entry *v, size_t n);
/* Append a "step" record (see above) for run @stamp of flow @flow: @step
 * is "" for the run's own "start" and "end".  0, or -1 with @e. */
int journal_step(const char *dir, const char *stamp, const char *flow, const char *step,
		 const char *event, const char *detail, struct err *e);
/* Append run @stamp's "end" record with its exit @code; @changed 0: no step
 * of it changed anything (run_changed_nothing()), and the readers below
 * leave the run out.  0, or -1 with @e. */
int journal_end(const char *dir, const char *stamp, const char *flow, int code, int changed,
		struct err *e);
struct journal_step_rec {
	char *stamp, *flow, *step, *event, *detail;
};
/* The "step" records of the newest run in <dir>/journal (the last "start"
 * record's stamp), in order, malloc'd; *@n = 0 when there is none.  -1
 * with @e on an unreadable journal.  These readers skip the runs that
 * changed nothing (journal_end()). */
int journal_steps(const char *dir, struct journal_step_rec **out, size_t *n, struct err *e);
/* journal_steps() of the newest run of one of the flows named in the
 * NULL-terminated @flows (NULL: any flow), skipping the runs of other
 * flows: the restore to roll back, though a backup ran after it. */
int journal_steps_of(const char *dir, const char *const *flows, struct journal_step_rec **out,
		     size_t *n, struct err *e);
/* The "step" records of every run in <dir>/journal, oldest first (the
 * runs one after another: what rollback needs to see a restore that was
 * split over two runs), malloc'd; *@n = 0 when there is none.  -1 with
 * @e on an unreadable journal. */
int journal_steps_all(const char *dir, struct journal_step_rec **out, size_t *n,
		      struct err *e);
void journal_steps_free(struct journal_step_rec *v, size_t n);
/* "<device>:<inode>" of @path (lstat), malloc'd; NULL when it is missing. */
char *journal_path_id(const char *path);

#endif
