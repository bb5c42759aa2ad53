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

int swap_trees(const char *live, const char *staging, const char *kept, const char *what,
	       char **old_at, struct report *r, struct err *e)
{
	struct stat st;
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
	if (exchange(staging, live) == 0) {
		fault_pointf("swap.%s.exchanged", what);
		if (rename(staging, kept) < 0) {
			report_log(r, LOG_ERROR, "the restored tree is in place, but the old one stays "
				   "at %s: cannot rename it to %s: %s", staging, kept, strerror(errno));
			*old_at = xstrdup(staging);
		} else {
			*old_at = xstrdup(kept);
		}
	} else if (errno == EINVAL || errno == ENOSYS) {
		report_log(r, LOG_WARN, "the filesystem of %s cannot exchange two names in one step "
			   "(renameat2: %s): swapping with two renames, between which %s is missing",
			   live, strerror(errno), live);
		if (rename(live, kept) < 0)
			return err_errno(e, errno, "cannot rename %s to %s", live, kept);
		fault_pointf("swap.%s.between", what);
		if (rename(staging, live) < 0) {
			err_errno(e, errno, "cannot rename %s to %s", staging, live);
			if (rename(kept, live) < 0)
				report_log(r, LOG_ERROR, "could not move %s back to %s: %s", kept, live,
					   strerror(errno));
			return -1;
		}
		*old_at = xstrdup(kept);
	} else {
		return err_errno(e, errno, "cannot swap %s and %s", staging, live);
	}
	fault_pointf("swap.%s.after", what);
	sync_parent(live);
	sync_parent(*old_at);
	return 0;
}
