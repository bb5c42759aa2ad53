/*
 * swap: put a restored tree in place of the live one so that the live name
 * always exists, holding either the whole old tree or the whole new one.
 *
 * renameat2(RENAME_EXCHANGE) swaps the two names in one step; the old tree,
 * then at the staging name, is renamed to its kept name afterwards.  A run
 * killed between the two leaves the new tree live and the old one at the
 * staging name; the journal (journal.h) records the live tree's identity
 * before the swap, so the next run can tell the old tree from a left-over
 * staging copy and finish the rename (restore_check.c).
 */
#ifndef BR_SWAP_H
#define BR_SWAP_H

struct err;
struct report;

/*
 * Put the directory @staging in place of @live.  When @live exists it is
 * kept: exchanged with @staging, then renamed from @staging to @kept.
 * Where the filesystem cannot exchange names (EINVAL, ENOSYS: some network
 * and FUSE filesystems, old kernels) it falls back to two renames, @live to
 * @kept and @staging to @live (the second one failing puts the first one
 * back), and logs that the live name is missing in between.  @what
 * ("webroot", "datadir", "tree") names the fault points (fault.h)
 * swap.<what>.before, .exchanged (or .between for two renames) and .after.
 * The parent directories are fsync'd afterwards.
 *
 * Returns 0 with *@old_at (malloc'd; NULL when @live did not exist) naming
 * where the old tree is: @kept, or @staging when only the last rename
 * failed (then logged as an error through @r); -1 with @e set when nothing
 * was changed.
 */
int swap_trees(const char *live, const char *staging, const char *kept, const char *what,
	       char **old_at, struct report *r, struct err *e);

#endif
