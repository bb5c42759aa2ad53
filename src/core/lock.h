/*
 * lock: the run and target locks, an flock(2) on an open descriptor.
 *
 * The kernel releases an flock when its holder dies, however it dies, so a
 * file left by a killed run is never an obstacle: the next lock_take() gets
 * the lock and writes itself into the file.  The file records who holds
 * it, one line "pid=PID start=EPOCH host=HOST[ cmd=COMMAND]", for the
 * message that names the holder and for a reader that must not take the lock (status): the
 * process start time (from /proc/PID/stat) tells a live holder from a
 * process that merely got the dead holder's pid.
 */
#ifndef BR_LOCK_H
#define BR_LOCK_H

#include <sys/types.h>

struct err;
struct strbuf;

/* Who holds (or held) a lock, as its file records it. */
struct lock_holder {
	long pid;        /* 0: not recorded */
	long long start; /* the process's start, seconds since the epoch; 0: unknown */
	char *host;      /* malloc'd; NULL: not recorded */
	char *cmd;       /* the command that holds it ("restore", "refresh"),
			    malloc'd; NULL: not recorded */
};

/* The command this process runs ("restore", "refresh", "backup",
 * "rollback": a flow's name), recorded in every lock it takes from now on
 * and named to whoever finds the lock taken.  @cmd is copied (one word);
 * NULL: none.  The engine sets it before a flow's preflight. */
void lock_set_command(const char *cmd);

/*
 * Take the exclusive lock @path (created 0600, a symlink refused) for
 * @what, a phrase such as "webroot /var/www/biso", without waiting.
 * Returns the descriptor (close-on-exec), which holds the lock until
 * lock_release(); -1 with @e when another process holds it:
 * "another biso-recover (pid N on HOST, started YYYY-MM-DD HH:MM:SS,
 * command refresh) is refreshing @what" (restoring, rolling back, backing
 * up; "is working on" for another or no command), the file in the detail;
 * or when the file cannot be opened.  The holder line is written into the file.  A file unlinked by
 * its releasing holder (or lock_tidy()) between our open and our flock is
 * detected (the path no longer names our inode) and opened again.  A lock
 * held by no live holder its line names is tried again for up to 0.1 s
 * (lock_tidy() holds one for a moment; a taker writes its line just
 * after its flock).  First it tidies the folder (lock_tidy()).
 */
int lock_take(const char *path, const char *what, struct err *e);

/*
 * Remove the lock files that only a dead run left in @dir (a run killed
 * while it held them, which lock_release() never unlinked; without this
 * they pile up, one per target ever locked): files named as
 * lock_target_path() names them, not @except (may be NULL), last changed
 * more than a minute ago, whose holder line does not name a live process
 * (or names none).  Each is unlinked only while this process holds its
 * flock and the name still names the inode locked, as lock_release()
 * does, so a run that takes it waits for no one and loses no exclusion:
 * lock_take() re-checks the inode after its flock.  A file that cannot be
 * opened, locked or unlinked (another user's, busy) is left.  Returns how
 * many were removed.  lock_take() calls it for its lock file's folder.
 */
int lock_tidy(const char *dir, const char *except);

/* Release a lock taken by lock_take(): @path (may be NULL: kept) is
 * unlinked while the lock is still held, then @fd is closed.  fd < 0 is a
 * no-op. */
void lock_release(int fd, const char *path);

/*
 * Read the holder line of the lock file @path into @h (cleared first; free
 * with lock_holder_clear()).  Never takes the lock.  Returns 1 when a
 * holder was read; 0 when the file does not exist or is empty (a holder
 * between its flock and its write, or none); -1 with @e naming the file
 * when it cannot be read or its line is not a holder line.
 */
int lock_holder_read(const char *path, struct lock_holder *h, struct err *e);

/* 1 when @h's process runs on this host with the start time recorded;
 * 0 when it is gone (no such pid, or the pid now belongs to a process
 * started at another time); -1 when it cannot be told (another host, or
 * no pid or start time recorded). */
int lock_holder_alive(const struct lock_holder *h);

/* Append "pid N on HOST, started YYYY-MM-DD HH:MM:SS" (local time; "?" for
 * what is not recorded) and ", command CMD" when recorded to @out, in the
 * language _() gives (English inside i18n_english(1)). */
void lock_holder_format(const struct lock_holder *h, struct strbuf *out);

/* Free @h's strings and zero it. */
void lock_holder_clear(struct lock_holder *h);

/* When process @pid started, in seconds since the epoch, from field 22 of
 * /proc/PID/stat and the boot time of /proc/stat.  -1 when there is no
 * such process, it is a zombie (dead, not yet reaped: it holds no lock and
 * does no work), or /proc cannot tell. */
long long lock_process_start(pid_t pid);

/* 1 when process @pid exists and started at @start (lock_process_start()
 * seconds), 0 otherwise: a dead process or a reused pid. */
int lock_process_alive(long pid, long long start);

/* The lock file of a target, the same for every run whatever its log_dir:
 * /run/lock (else /tmp)/biso-recover-<@what>-<hash of @key>.lock, e.g.
 * @what "webroot" and @key its path (malloc'd). */
char *lock_target_path(const char *what, const char *key);

#endif
