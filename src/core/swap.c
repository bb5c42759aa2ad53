/* swap: exchange a restored tree with the live one; see swap.h. */
#include "config.h"
#include "swap.h"
#include "err.h"
#include "fault.h"
#include "report.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static int exchange(const char *a, const char *b)
{
	if (fault_fail("swap.exchange")) {
		errno = EINVAL; /* tests: a filesystem that cannot exchange names */
		return -1;
	}
#ifdef HAVE_RENAMEAT2
	return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
#elif defined(SYS_renameat2)
	return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* Make the renames in the directory holding @path durable. */
static void sync_parent(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd;
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

/* The directory holding @path (malloc'd). */
static char *parent_of(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	return dir;
}

int swap_finish_carry(const char *live, const char *staging, const char *carry,
		      struct report *r, struct err *e)
{
	char *in_live = xstrfmt("%s/%s", live, carry), *in_old = xstrfmt("%s/%s", staging, carry);
	struct stat a, b;
	int ret = 0;
	if (lstat(in_live, &a) == 0 && S_ISLNK(a.st_mode) && lstat(in_old, &b) == 0 &&
	    S_ISDIR(b.st_mode)) {
		if (exchange(in_old, in_live) < 0) {
			ret = err_errno(e, errno, "cannot move %s into %s (it is reached through a "
					"symbolic link %s meanwhile)", in_old, live, in_live);
			goto out;
		}
		report_log(r, LOG_INFO, "kept the live %s: moved it into the tree swapped in, "
			   "which has none", in_live);
	}
	if (lstat(in_old, &b) == 0 && S_ISLNK(b.st_mode) && unlink(in_old) < 0)
		ret = err_errno(e, errno, "cannot remove the symbolic link %s", in_old);
out:
	free(in_live);
	free(in_old);
	return ret;
}

/* Two renames (a filesystem without exchange): @carry moved from @live into
 * @staging first, then @live to @kept and @staging to @live.  0 with
 * *@old_at, or -1 with @e and everything as it was. */
static int swap_by_renames(const char *live, const char *staging, const char *kept,
			   const char *carry, const char *what, char **old_at, struct report *r,
			   struct err *e)
{
	char *from = carry ? xstrfmt("%s/%s", live, carry) : NULL;
	char *to = carry ? xstrfmt("%s/%s", staging, carry) : NULL;
	int moved = 0, ret = -1;
	report_log(r, LOG_WARN, "the filesystem of %s cannot exchange two names in one step "
		   "(renameat2: %s): swapping with two renames, between which %s is missing",
		   live, strerror(errno), live);
	if (from) {
		if (rename(from, to) < 0) {
			err_errno(e, errno, "cannot move %s into the tree swapped in", from);
			goto out;
		}
		moved = 1;
		fault_pointf("swap.%s.carried", what);
	}
	if (rename(live, kept) < 0) {
		err_errno(e, errno, "cannot rename %s to %s", live, kept);
		goto out;
	}
	fault_pointf("swap.%s.between", what);
	if (rename(staging, live) < 0) {
		err_errno(e, errno, "cannot rename %s to %s", staging, live);
		if (rename(kept, live) < 0)
			report_log(r, LOG_ERROR, "could not move %s back to %s: %s", kept, live,
				   strerror(errno));
		goto out;
	}
	*old_at = xstrdup(kept);
	moved = 0;
	ret = 0;
out:
	if (moved && rename(to, from) < 0)
		report_log(r, LOG_ERROR, "could not move %s back to %s: %s", to, from, strerror(errno));
	free(from);
	free(to);
	return ret;
}

int swap_trees(const char *live, const char *staging, const char *kept, const char *carry,
	       const char *what, char **old_at, struct report *r, struct err *e)
{
	char *link = NULL, *lparent = NULL;
	struct stat st, pst;
	int ret = -1;

	*old_at = NULL;
	fault_pointf("swap.%s.before", what);
	if (lstat(live, &st) < 0) {
		if (errno != ENOENT)
			return err_errno(e, errno, "cannot read %s", live);
		if (rename(staging, live) < 0)
			return err_errno(e, errno, "cannot rename %s to %s", staging, live);
		fault_pointf("swap.%s.after", what);
		sync_parent(live);
		return 0;
	}
	if (carry && *carry) {
		char *in_live = xstrfmt("%s/%s", live, carry);
		link = xstrfmt("%s/%s", staging, carry);
		if (lstat(in_live, &st) < 0 || lstat(link, &st) == 0) {
			free(link);
			link = NULL; /* nothing to carry: the new tree has its own */
		}
		free(in_live);
	}
	if (link) {
		/* The live @carry (the datadir) moves into the new tree with a
		 * second exchange.  Meanwhile the new tree holds a symbolic link
		 * to where the old tree's one will be: the live path always
		 * reaches the whole old datadir. */
		lparent = parent_of(link);
		if (stat(lparent, &pst) < 0) {
			err_errno(e, errno, "cannot move %s/%s into the tree swapped in", live, carry);
			err_hint(e, "the tree swapped in has no %s; put that part in too, or move it by hand",
				 lparent);
			goto out;
		}
		if (symlink(link, link) < 0) {
			err_errno(e, errno, "cannot make the symbolic link %s", link);
			goto out;
		}
		fault_pointf("swap.%s.linked", what);
	}
	if (exchange(staging, live) < 0) {
		int saved = errno;
		if (link)
			unlink(link);
		errno = saved;
		if (errno != EINVAL && errno != ENOSYS) {
			err_errno(e, errno, "cannot swap %s and %s", staging, live);
			goto out;
		}
		if (swap_by_renames(live, staging, kept, link ? carry : NULL, what, old_at, r, e) < 0)
			goto out;
	} else {
		fault_pointf("swap.%s.exchanged", what);
		if (link) {
			struct err ce = ERR_INIT;
			if (swap_finish_carry(live, staging, carry, r, &ce) < 0) {
				/* the new tree reaches the old datadir through the link:
				 * the old tree must stay where the link points */
				report_log(r, LOG_ERROR, "%s; the old tree stays at %s", ce.msg, staging);
				err_clear(&ce);
				*old_at = xstrdup(staging);
				ret = 0;
				goto out;
			}
			fault_pointf("swap.%s.carried", what);
		}
		if (rename(staging, kept) < 0) {
			report_log(r, LOG_ERROR, "the tree swapped in is in place, but the old one stays "
				   "at %s: cannot rename it to %s: %s", staging, kept, strerror(errno));
			*old_at = xstrdup(staging);
		} else {
			*old_at = xstrdup(kept);
		}
	}
	fault_pointf("swap.%s.after", what);
	ret = 0;
out:
	if (ret == 0 && link) {
		/* the carried folder's new parent keeps the times of the backup */
		struct timespec ts[2] = { pst.st_atim, pst.st_mtim };
		char *p = xstrfmt("%s%s", live, lparent + strlen(staging));
		utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW);
		free(p);
	}
	if (ret == 0) {
		sync_parent(live);
		if (*old_at)
			sync_parent(*old_at);
	}
	free(link);
	free(lparent);
	return ret;
}
