/*
 * swap: put a restored tree in place of the live one so that the live name
 * always exists, holding either the whole old tree or the whole new one.
 *
 * renameat2(RENAME_EXCHANGE) swaps the two names in one step; the old tree,
 * then at the staging name, is renamed to its kept name afterwards.  A run
 * killed between the two leaves the new tree live and the old one at the
 * staging name; the journal (journal.h) records the live tree's identity
 * before the swap, so the next run can tell the old tree from a left-over
 * staging copy and finish the rename (restore_check.c).  The datadir inside
 * the webroot moves with a second exchange (swap_trees()'s @carry).
 */
#ifndef BR_SWAP_H
#define BR_SWAP_H

struct err;
struct report;

/*
 * Put the directory @staging in place of @live.  When @live exists it is
 * kept: exchanged with @staging, then renamed from @staging to @kept.
 * @carry (may be NULL): a relative path (the datadir inside the webroot)
 * that the new tree lacks and the live one has: it moves into the new tree
 * by a second exchange, with a symbolic link in the new tree pointing to
 * where the old tree's one is until then, so the live path always reaches
 * the whole old or the whole new folder; the folder's new parent keeps its
 * times.  Where the filesystem cannot exchange names (EINVAL, ENOSYS: some
 * network and FUSE filesystems, old kernels) it falls back to renames,
 * @carry into @staging, @live to @kept, @staging to @live (a failure puts
 * back what was moved), and logs that the live name is missing in between.
 * @what ("webroot", "datadir", "tree") names the fault points (fault.h)
 * swap.<what>.before, .linked, .exchanged (or .between for renames),
 * .carried and .after.  The parent directories are fsync'd afterwards.
 *
 * Returns 0 with *@old_at (malloc'd; NULL when @live did not exist) naming
 * where the old tree is: @kept, or @staging when only the last step failed
 * (then logged as an error through @r); -1 with @e set when nothing was
 * changed.
 */
int swap_trees(const char *live, const char *staging, const char *kept, const char *carry,
	       const char *what, char **old_at, struct report *r, struct err *e);

/*
 * Finish the carry of a swap_trees() that was killed after its exchange:
 * when @live/@carry is the symbolic link and @staging/@carry (in the old
 * tree) the folder, exchange the two; then remove the link from the old
 * tree.  Nothing when there is nothing to finish.  0, or -1 with @e.
 */
int swap_finish_carry(const char *live, const char *staging, const char *carry,
		      struct report *r, struct err *e);

#endif
