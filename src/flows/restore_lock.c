/* restore_lock: the locks of a restore run, one per target and one for
 * the run itself; see restore_int.h. */
#include "config.h"
#include "restore.h"
#include "restore_int.h"
#include "conf.h"
#include "conninfo.h"
#include "lock.h"
#include "strbuf.h"
#include "timestamp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char *restore_webroot_lock_path(const struct restore *rs)
{
	return lock_target_path("webroot", rs->webroot ? rs->webroot : rs->conf->webroot);
}

char *restore_database_lock_path(const struct restore *rs)
{
	char *key = conninfo_target_key(rs->conninfo, rs->dbname);
	char *path = key ? lock_target_path("database", key) : NULL;
	free(key);
	return path;
}

/* conninfo_target_key() of the log database the database step restores
 * too, or NULL when there is none. */
static char *log_database_key(const struct restore *rs)
{
	if (!rs->log_dump || !rs->log_dbname)
		return NULL;
	return conninfo_target_key(nonempty(rs->conf->log_database.conninfo) ?
				   rs->conf->log_database.conninfo : rs->conninfo, rs->log_dbname);
}

char *restore_log_database_lock_path(const struct restore *rs)
{
	char *key = log_database_key(rs);
	char *path = key ? lock_target_path("database", key) : NULL;
	free(key);
	return path;
}

/* When this process started (from /proc/self/stat), else now. */
static time_t process_start(void)
{
	FILE *fp = fopen("/proc/self/stat", "re");
	char buf[1024], *p;
	unsigned long long ticks = 0;
	time_t boot = 0;
	long hz = sysconf(_SC_CLK_TCK);
	if (fp) {
		/* field 22 counts from after the ")" that ends the command name */
		if (fgets(buf, sizeof buf, fp) && (p = strrchr(buf, ')'))) {
			int field = 2;
			for (p++; *p && field < 22; p++)
				if (*p == ' ')
					field++;
			ticks = strtoull(p, NULL, 10);
		}
		fclose(fp);
	}
	fp = fopen("/proc/stat", "re");
	if (fp) {
		while (fgets(buf, sizeof buf, fp))
			if (!strncmp(buf, "btime ", 6))
				boot = (time_t)strtoll(buf + 6, NULL, 10);
		fclose(fp);
	}
	if (!boot || !ticks || hz <= 0)
		return time(NULL);
	return boot + (time_t)(ticks / (unsigned long long)hz);
}

/* flock @path for @what (e.g. "webroot /var/www/biso"); -1 with @e naming
 * the holder (pid, start time, host, from the file) when another run has
 * it.  Returns the descriptor, kept open for the run.  A killed holder's
 * flock goes with its process: nothing to delete by hand. */
static int lock_file(const char *path, const char *what, struct err *e)
{
	char buf[256], host[128] = "?", when[20];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_errno(e, errno, "cannot open the lock file %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		err_set(e, "another biso-recover (%s) is restoring %s", *buf ? buf : "pid ?", what);
		err_detail(e, "%s is locked", path);
		err_hint(e, "Wait for it to finish; two restores of one target would undo each other.");
		close(fd);
		return -1;
	}
	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = '\0';
	timestamp_human(process_start(), when);
	if (ftruncate(fd, 0) == 0) {
		int n = snprintf(buf, sizeof buf, "pid %ld on %s, started %s\n", (long)getpid(), host,
				 when);
		if (n > 0 && write(fd, buf, (size_t)n) != n)
			(void)0; /* the holder is only informative */
	}
	return fd;
}

/* <log_dir>/run-<stamp>.lock, held while the run lives: the journal
 * entries of a run that still holds it are not an interrupted swap. */
static char *run_lock_path(const char *log_dir, const char *stamp)
{
	return xstrfmt("%s/run-%s.lock", log_dir, stamp);
}

/* 1 when the run of @stamp still holds its run lock. */
int restore_run_alive(const char *log_dir, const char *stamp)
{
	char *path = run_lock_path(log_dir, stamp);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), alive = 0;
	if (fd >= 0) {
		alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
		close(fd);
		if (!alive)
			unlink(path); /* left by a killed run */
	}
	free(path);
	return alive;
}

static void add_lock(struct restore *rs, int fd)
{
	rs->lock_fds = xrealloc(rs->lock_fds, (rs->n_lock_fds + 1) * sizeof *rs->lock_fds);
	rs->lock_fds[rs->n_lock_fds++] = fd;
}

/* Lock @path for @what (both malloc'd; freed here) and keep the descriptor
 * in @rs until restore_unlock().  -1 with @e naming the holder. */
static int take_lock(struct restore *rs, char *path, char *what, struct err *e)
{
	int fd = lock_file(path, what, e);
	free(path);
	free(what);
	if (fd < 0)
		return -1;
	add_lock(rs, fd);
	return 0;
}

int restore_lock(struct restore *rs, struct err *e)
{
	const struct conf *c = rs->conf;
	const struct flow_def *flow = run_flow(rs->run);
	unsigned need = 0;
	char *path, *what;
	int fd;

	if (rs->n_lock_fds)
		return 0;
	/* what the selected steps change: the table says (STEP_F_FILES,
	 * STEP_F_DATABASE) */
	for (size_t i = 0; i < flow->n_steps; i++)
		if (rs->selected & STEP_BIT(i))
			need |= flow->steps[i]->flags;
	if (mkdir(c->log_dir, 0700) < 0 && errno != EEXIST) {
		err_errno(e, errno, "cannot create the log directory %s", c->log_dir);
		err_hint(e, "Set log_dir in the configuration or give --log-dir DIR.");
		return -1;
	}
	path = run_lock_path(c->log_dir, rs->stamp);
	fd = lock_file(path, "in this log directory with this time stamp", e);
	free(path);
	if (fd < 0)
		return -1;
	add_lock(rs, fd);
	if (need & STEP_F_FILES) {
		if (take_lock(rs, restore_webroot_lock_path(rs),
			      xstrfmt("webroot %s", rs->webroot ? rs->webroot : c->webroot), e) < 0)
			goto fail;
	}
	if ((need & STEP_F_DATABASE) && (path = restore_database_lock_path(rs))) {
		char *key = conninfo_target_key(rs->conninfo, rs->dbname);
		what = xstrfmt("database %s", key);
		free(key);
		if (take_lock(rs, path, what, e) < 0)
			goto fail;
	}
	if ((rs->selected & STEP_BIT(STEP_DATABASE)) && (path = restore_log_database_lock_path(rs))) {
		/* the log database is swapped by the same step */
		char *key = log_database_key(rs);
		what = xstrfmt("database %s", key);
		free(key);
		if (take_lock(rs, path, what, e) < 0)
			goto fail;
	}
	return 0;
fail:
	restore_unlock(rs);
	return -1;
}

void restore_unlock(struct restore *rs)
{
	if (rs->n_lock_fds) {
		/* the run lock first: gone before its flock is */
		char *path = run_lock_path(rs->conf->log_dir, rs->stamp);
		unlink(path);
		free(path);
	}
	for (size_t i = 0; i < rs->n_lock_fds; i++)
		close(rs->lock_fds[i]); /* releases the flock */
	free(rs->lock_fds);
	rs->lock_fds = NULL;
	rs->n_lock_fds = 0;
}
