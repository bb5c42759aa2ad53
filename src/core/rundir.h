/*
 * rundir: the root-only directory where a runner listens for its clients.
 *
 * /run/biso-recover (RUNDIR_SYSTEM) when it can be made there; else
 * <log_dir>/run, when /run cannot take it (not writable, read-only, not
 * there).  Never /tmp: a world-writable directory is the place a socket can
 * be planted.  The directory must be a real directory (not a symlink) of
 * ours, writable by no one else; its mode is set to 0700.  A run's socket
 * is <dir>/<run id>.sock, mode 0600.
 */
#ifndef BR_RUNDIR_H
#define BR_RUNDIR_H

struct err;

#define RUNDIR_SYSTEM "/run/biso-recover"

/* The run directory for runs logging to @log_dir: RUNDIR_SYSTEM, else
 * <@log_dir>/run (see rundir_choose()), tidied (rundir_tidy()) the first
 * time a process opens it: a new run, status, --resume and attaching all
 * come here first.  Malloc'd path, or NULL with @e. */
char *rundir_open(const char *log_dir, struct err *e);

/* @preferred when it exists or can be made (mkdir 0700); when its parent
 * does not let it be made (EACCES, EPERM, EROFS, ENOENT, ENOTDIR), @fallback
 * (made 0700, its parent too).  Whichever is picked must pass
 * rundir_check(); a @preferred that exists and fails it is an error, not a
 * reason to fall back (someone else made it).  Malloc'd path, or NULL
 * with @e. */
char *rundir_choose(const char *preferred, const char *fallback, struct err *e);

/* @dir must be a directory (a symlink is refused) owned by us, not
 * writable by group or others; other group/other bits are taken away
 * (chmod 0700).  0, or -1 with @e naming the directory, its owner or
 * mode, and what to do. */
int rundir_check(const char *dir, struct err *e);

/* Remove the sockets killed runners left in @dir (kill -9 gives a runner
 * no chance to unlink its own): entries named as runs name them
 * ("YYYYMMDD_HHMMSS...sock"), sockets owned by us, changed over a minute
 * ago (a runner binds and listens at once: a younger one may be starting),
 * on which a connect is refused (ECONNREFUSED: no one listens); each is
 * unlinked only when it is still the same inode after that connect.  A
 * live runner's socket (the connect succeeds, or its backlog is full:
 * EAGAIN) is never touched, nor anything else.  Returns how many were
 * removed; errors are not reported (it only tidies). */
int rundir_tidy(const char *dir);

/* "<dir>/<run_id>.sock", malloc'd; NULL with @e when @run_id is empty or
 * holds a "/", or the path is too long for a Unix socket (108 bytes). */
char *rundir_socket_path(const char *dir, const char *run_id, struct err *e);

/* Listen on @path (backlog 8, close-on-exec), the socket made 0600.  A
 * socket file no one accepts on (left by a killed runner) is replaced; a
 * socket with a live listener, or a file that is not a socket, is refused.
 * The descriptor, or -1 with @e. */
int rundir_listen(const char *path, struct err *e);

/* Connect to the runner listening on @path (close-on-exec, blocking).  The
 * descriptor, or -1 with @e: "no run is listening on PATH" when the file
 * is missing or no one accepts on it. */
int rundir_connect(const char *path, struct err *e);

#endif
