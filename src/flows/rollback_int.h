/*
 * rollback_int: what the files of the rollback flow share (rollback.h):
 * its state and its steps.  The state begins with a struct restore, so
 * that the restore's instance model, locks and journal repair
 * (restore_prepare_instance(), restore_resolve_database(), restore_lock(),
 * restore_check_journal()) serve it unchanged.  Not a public API.
 */
#ifndef BR_ROLLBACK_INT_H
#define BR_ROLLBACK_INT_H

#include "restore_int.h"
#include "rollback.h"

/* The rollback's steps, index in rollback_flow's table; named as the
 * restore's steps whose kept copies they put back. */
enum rb_step { RB_WEBROOT, RB_DATADIR, RB_DATABASE, RB_COUNT };

struct rollback {
	struct restore rs;  /* first: restore_of() of the run works on it */
	char *of;           /* the stamp of the run rolled back; owned */
	char *flow;         /* its flow ("restore", "rollback"); owned */
	char *kept[RB_COUNT]; /* what that run kept the old data as (its "done"
			       records), per step; NULL: nothing to put back */
	char *kept_of[RB_COUNT]; /* the run (stamp) that kept kept[i]: @of, or
				  an earlier run of the same restore; owned */
	char *earlier;      /* the earlier runs of the same restore that ended
			       before their last step (a restore split over
			       two runs), oldest first, ", "-separated; NULL:
			       none; owned */
	size_t n_earlier;   /* how many runs @earlier names */
	char *left[RB_COUNT]; /* a part this rollback does not put back, kept
			       by the restore run before it (@left_of), which
			       finished on its own: named in a warning; owned */
	char *left_of;      /* that run's stamp; owned */
	int left_unfinished; /* that run ended unfinished but the rolled-back
				one does not continue it: @left names every
				part it kept */
	char *kept_log;     /* the log database's kept copy (the database
			       step's second kept name), NULL: none; owned */
	char *log_db;       /* the log database it is put back as; owned */
	int kept_inside;    /* the kept datadir is inside the kept webroot: it
			       comes back with the webroot */
};

static inline struct rollback *rollback_of(const struct run *run)
{
	return (struct rollback *)run_data(run);
}

extern const struct step_def rollback_step_webroot, rollback_step_datadir,
	rollback_step_database;

/* The name the live tree @live is kept under: <live>.pre-rollback-<stamp>,
 * malloc'd. */
char *rollback_keep_name(const struct rollback *rb, const char *live);
/* Give the tree @dir the owner and mode of @like (the root of the tree it
 * replaces: a restore kept the old datadir for root only, 0700).  Logs a
 * failure through @r; never fails. */
void rollback_copy_mode(const char *dir, const char *like, struct report *r);
/* Put the kept tree @back back in for @live: swap_trees() (@carry, @what
 * as there), keeping @live as @keep (malloc'd, taken over), recorded in
 * the journal as a restore's swap is (journal.h), so that a kill half way
 * is finished by the next run.  The step's outcome goes to @out: kept_as
 * @keep, source @back, summary "put back @back".  0, or -1 with @e and
 * @live untouched. */
int rollback_swap_tree(struct rollback *rb, const char *live, const char *back, char *keep,
		       const char *carry, const char *what, struct step_out *out,
		       struct report *r, struct err *e);

#endif
