/* fsrestore_tree: whole-tree helpers (remove, set the owner, size, the
 * root's mode); see fsrestore.h and fsrestore_int.h. */
#include "config.h"
#include "fsrestore.h"
#include "fsrestore_int.h"
#include "fault.h"
#include "err.h"
#include "report.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- tree helpers ----------------------------------------------------- */

static int rmtree_at(int dfd, const char *name, const char *shown, struct err *e)
{
	struct stat st;
	int fd;
	DIR *d;
	struct dirent *de;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_errno(e, errno, "cannot remove %s", shown);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
			return err_errno(e, errno, "cannot remove %s", shown);
		return 0;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == EACCES && fchmodat(dfd, name, 0700, 0) == 0)
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, errno, "cannot remove %s", shown);
	if ((st.st_mode & 0700) != 0700)
		(void)fchmod(fd, 0700);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_errno(e, errno, "cannot remove %s", shown);
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (rmtree_at(dirfd(d), de->d_name, shown, e) < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return err_errno(e, errno, "cannot remove %s", shown);
	return 0;
}

int fsrestore_rmtree(const char *path, struct err *e)
{
	return rmtree_at(AT_FDCWD, path, path, e);
}

static int owner_at(int dfd, const char *name, struct strbuf *shown, uid_t uid, gid_t gid,
		    struct report *r, uint64_t *n, struct err *e)
{
	struct stat st;
	size_t keep = shown->len;
	fault_point("files.chown");
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_errno(e, errno, "cannot set owner of %s", shown->buf);
	if ((st.st_uid != uid || st.st_gid != gid) &&
	    fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return err_errno(e, errno, "cannot set owner of %s", shown->buf);
	if (!S_ISLNK(st.st_mode)) {
		mode_t m = st.st_mode & 07777, want;
		if ((st.st_uid != uid || st.st_gid != gid) && (m & 06000) &&
		    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			m = st.st_mode & 07777; /* chown may have cleared set-id bits */
		want = m | S_IRUSR | S_IWUSR;
		if (S_ISDIR(st.st_mode) || (m & 0111))
			want |= S_IXUSR;
		if (want != m && fchmodat(dfd, name, want, 0) < 0)
			return err_errno(e, errno, "cannot change mode of %s", shown->buf);
	}
	if ((++*n & 255) == 0 && report_cancelled(r))
		return err_set(e, "setting the owner aborted: %s", report_stop_reason(r));
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d;
		struct dirent *de;
		if (fd < 0)
			return err_errno(e, errno, "cannot read directory %s", shown->buf);
		d = fdopendir(fd);
		if (!d) {
			close(fd);
			return err_errno(e, errno, "cannot read directory %s", shown->buf);
		}
		while ((errno = 0, de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			strbuf_addch(shown, '/');
			strbuf_addstr(shown, de->d_name);
			if (owner_at(dirfd(d), de->d_name, shown, uid, gid, r, n, e) < 0) {
				closedir(d);
				return -1;
			}
			strbuf_setlen(shown, keep);
		}
		closedir(d);
	}
	return 0;
}

int fsrestore_set_owner(const char *path, uid_t uid, gid_t gid, struct report *r, struct err *e)
{
	struct strbuf shown = STRBUF_INIT;
	uint64_t n = 0;
	int rc;
	strbuf_addstr(&shown, path);
	rc = owner_at(AT_FDCWD, path, &shown, uid, gid, r, &n, e);
	if (rc < 0)
		err_hint(e, "run as root, or set the owner by hand: chown -R %lu:%lu %s",
			 (unsigned long)uid, (unsigned long)gid, path);
	strbuf_release(&shown);
	return rc;
}

/* Allocated bytes of the tree at @name (like du; hardlinked files share). */
uint64_t fsrestore_du_at(int dfd, const char *name)
{
	struct stat st;
	uint64_t sum;
	int fd;
	DIR *d;
	struct dirent *de;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	sum = (uint64_t)st.st_blocks * 512 / (st.st_nlink > 1 && !S_ISDIR(st.st_mode) ? st.st_nlink : 1);
	if (!S_ISDIR(st.st_mode))
		return sum;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return sum;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return sum;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			sum += fsrestore_du_at(dirfd(d), de->d_name);
	closedir(d);
	return sum;
}

/* Remove everything inside the directory @path, keeping @path. */
int fsrestore_empty_dir(const char *path, struct err *e)
{
	DIR *d = opendir(path);
	struct dirent *de;
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;
	if (!d)
		return err_errno(e, errno, "cannot read %s", path);
	while (rc == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		strbuf_reset(&sb);
		strbuf_addf(&sb, "%s/%s", path, de->d_name);
		rc = fsrestore_rmtree(sb.buf, e);
	}
	closedir(d);
	strbuf_release(&sb);
	return rc;
}

/* The process's umask, read without changing it (umask(2) would, for a
 * moment, for every thread); 022 where /proc does not say. */
static mode_t current_umask(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	unsigned m = 022;
	if (!f)
		return 022;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Umask: %o", &m) == 1)
			break;
	fclose(f);
	return (mode_t)(m & 0777);
}

void fsrestore_fix_root_mode(const char *root, const char *kept, struct report *r)
{
	struct stat st, old;
	mode_t m;
	if (stat(root, &st) < 0 || (st.st_mode & 07777) != 0700)
		return;
	if (kept && stat(kept, &old) == 0) {
		if (geteuid() == 0 && chown(root, old.st_uid, old.st_gid) < 0)
			report_log(r, LOG_WARN, "cannot give %s the owner of %s: %s", root, kept,
				   strerror(errno));
		/* never world-writable (issue 16.4) */
		m = old.st_mode & 07777 & ~(mode_t)S_IWOTH;
		if (chmod(root, m) == 0)
			report_log(r, m != (old.st_mode & 07777) ? LOG_WARN : LOG_INFO,
				   "%s has the mode of the old tree (%04o%s); the archive did not say",
				   root, (unsigned)m, m != (old.st_mode & 07777) ? ", world-write cleared" : "");
		return;
	}
	m = 0755 & ~current_umask();
	if (chmod(root, m) == 0)
		report_log(r, LOG_INFO, "%s made %04o (0755 minus the umask); the archive did not give "
			   "its mode", root, (unsigned)m);
}
