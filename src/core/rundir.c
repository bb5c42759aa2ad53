/* rundir: see rundir.h. */
#include "config.h"

#include "rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "strbuf.h"

int rundir_check(const char *dir, struct err *e)
{
	struct stat st;
	if (lstat(dir, &st) < 0)
		return err_errno(e, errno, "cannot use the run directory %s", dir);
	if (!S_ISDIR(st.st_mode)) {
		err_set(e, "the run directory %s is not a directory", dir);
		err_detail(e, "%s", S_ISLNK(st.st_mode) ? "it is a symbolic link" : "it is a file");
		err_hint(e, "Remove %s: biso-recover makes the directory itself, mode 0700.", dir);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		err_set(e, "the run directory %s belongs to uid %ld, not to us (uid %ld)", dir,
			(long)st.st_uid, (long)geteuid());
		err_detail(e, "a client would trust the runner socket someone else can replace");
		err_hint(e, "Remove %s, or run biso-recover as its owner.", dir);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		err_set(e, "the run directory %s is writable by %s (mode %04o)", dir,
			st.st_mode & S_IWOTH ? "everyone" : "its group",
			(unsigned)(st.st_mode & 07777));
		err_detail(e, "anyone who may write there could plant a socket for clients to trust");
		err_hint(e, "Remove %s (biso-recover makes it again, mode 0700) or chmod 0700 it "
			    "after checking what is in it.", dir);
		return -1;
	}
	if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) < 0)
		return err_errno(e, errno, "cannot make the run directory %s mode 0700", dir);
	return 0;
}

/* mkdir @dir 0700; 0 when made or already there, else -1 with errno. */
static int make_dir(const char *dir)
{
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

char *rundir_choose(const char *preferred, const char *fallback, struct err *e)
{
	const char *dir = preferred;
	if (make_dir(preferred) < 0) {
		int why = errno;
		char *parent;
		if (why != EACCES && why != EPERM && why != EROFS && why != ENOENT && why != ENOTDIR) {
			err_errno(e, why, "cannot create the run directory %s", preferred);
			return NULL;
		}
		/* the log directory may not exist yet either */
		parent = xstrdup(fallback);
		if (strrchr(parent, '/') && strrchr(parent, '/') != parent) {
			*strrchr(parent, '/') = '\0';
			if (make_dir(parent) < 0) {
				err_errno(e, errno, "cannot create the directory %s", parent);
				free(parent);
				return NULL;
			}
		}
		free(parent);
		if (make_dir(fallback) < 0) {
			err_errno(e, errno, "cannot create the run directory %s", fallback);
			err_detail(e, "%s could not be made either: %s", preferred, strerror(why));
			return NULL;
		}
		dir = fallback;
	}
	if (rundir_check(dir, e) < 0)
		return NULL;
	return xstrdup(dir);
}

static int address(const char *path, struct sockaddr_un *sa, struct err *e);

char *rundir_open(const char *log_dir, struct err *e)
{
	static int tidied; /* once a process: a command opens it several times */
	char *fallback = xstrfmt("%s/run", log_dir);
	char *dir = rundir_choose(RUNDIR_SYSTEM, fallback, e);
	free(fallback);
	if (dir && !__atomic_exchange_n(&tidied, 1, __ATOMIC_ACQ_REL))
		rundir_tidy(dir);
	return dir;
}

/* "YYYYMMDD_HHMMSS" then anything, ending in ".sock": as
 * rundir_socket_path() names a run's socket */
static int run_socket_name(const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < 15; i++)
		if (i == 8 ? name[i] != '_' : (name[i] < '0' || name[i] > '9'))
			return 0;
	return n >= 20 && !strcmp(name + n - 5, ".sock");
}

int rundir_tidy(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int removed = 0;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct sockaddr_un sa;
		struct stat st, again;
		struct err e = ERR_INIT;
		char *path;
		int fd, refused;
		if (!run_socket_name(de->d_name))
			continue;
		path = xstrfmt("%s/%s", dir, de->d_name);
		if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_uid != geteuid() ||
		    st.st_mtime > time(NULL) - 60 || address(path, &sa, &e) < 0) {
			err_clear(&e);
			free(path);
			continue;
		}
		/* non-blocking: a live runner with a full backlog says EAGAIN */
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		refused = fd >= 0 && connect(fd, (const struct sockaddr *)&sa, sizeof sa) < 0 &&
			  errno == ECONNREFUSED;
		if (fd >= 0)
			close(fd);
		if (refused && lstat(path, &again) == 0 && again.st_ino == st.st_ino &&
		    again.st_dev == st.st_dev && unlink(path) == 0)
			removed++;
		free(path);
	}
	closedir(d);
	return removed;
}

char *rundir_socket_path(const char *dir, const char *run_id, struct err *e)
{
	struct sockaddr_un sa;
	char *path;
	if (!*run_id || strchr(run_id, '/')) {
		err_set(e, "\"%s\" is not a run id", run_id);
		return NULL;
	}
	path = xstrfmt("%s/%s.sock", dir, run_id);
	if (strlen(path) >= sizeof sa.sun_path) {
		err_set(e, "the socket path %s is longer than a Unix socket allows (%zu bytes)", path,
			sizeof sa.sun_path - 1);
		err_hint(e, "Give a shorter log directory (--log-dir), or make %s writable.",
			 RUNDIR_SYSTEM);
		free(path);
		return NULL;
	}
	return path;
}

/* Fill @sa for @path; -1 with @e when it does not fit. */
static int address(const char *path, struct sockaddr_un *sa, struct err *e)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path)
		return err_set(e, "the socket path %s is too long", path);
	strcpy(sa->sun_path, path);
	return 0;
}

/* 1 when someone accepts connections on the socket @path, 0 when not. */
static int listening(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), live;
	if (fd < 0)
		return 0;
	live = connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0;
	close(fd);
	return live;
}

int rundir_listen(const char *path, struct err *e)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd;
	if (address(path, &sa, e) < 0)
		return -1;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			err_set(e, "%s is in the way of the run's socket: it is not a socket", path);
			err_hint(e, "Look at it and remove it.");
			return -1;
		}
		if (listening(&sa)) {
			err_set(e, "a run is already listening on %s", path);
			return -1;
		}
		if (unlink(path) < 0 && errno != ENOENT) /* left by a killed runner */
			return err_errno(e, errno, "cannot remove the stale socket %s", path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_errno(e, errno, "cannot create a socket");
	/* the directory is 0700: the socket is reachable by no one else
	 * between bind and chmod */
	if (bind(fd, (const struct sockaddr *)&sa, sizeof sa) < 0) {
		err_errno(e, errno, "cannot bind the socket %s", path);
		close(fd);
		return -1;
	}
	if (chmod(path, 0600) < 0 || listen(fd, 8) < 0) {
		err_errno(e, errno, "cannot listen on the socket %s", path);
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

int rundir_connect(const char *path, struct err *e)
{
	struct sockaddr_un sa;
	int fd;
	if (address(path, &sa, e) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_errno(e, errno, "cannot create a socket");
	if (connect(fd, (const struct sockaddr *)&sa, sizeof sa) < 0) {
		int why = errno;
		close(fd);
		if (why == ENOENT || why == ECONNREFUSED) {
			err_set(e, "no run is listening on %s", path);
			err_detail(e, "%s", why == ENOENT ? "the socket is not there"
							  : "its runner is gone (the socket is left over)");
			return -1;
		}
		return err_errno(e, why, "cannot connect to %s", path);
	}
	return fd;
}
