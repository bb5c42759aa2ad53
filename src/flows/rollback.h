/*
 * rollback: the flow that puts back what a run replaced (biso-recover
 * rollback): the pre-restore webroot, datadir and database of the newest
 * run in the journal that replaced something (a restore, or a rollback:
 * a rollback is undone the same way).  Each step swaps the kept copy in
 * with the same staging, journal and confirmation rules as a restore, and
 * keeps what is live now as <name>.pre-rollback-<time> (a database
 * <db>_pre_rollback_<time>), so that a rollback can itself be rolled back.
 * Its steps are rollback_<step>.c; what they share is rollback_int.h.
 */
#ifndef BR_ROLLBACK_H
#define BR_ROLLBACK_H

struct flow_def;

extern const struct flow_def rollback_flow;

#endif
