/* restore_lock: the locks of a restore run, one per target and one for
 * the run itself; see restore_int.h. */
#include "config.h"
#include "restore.h"
#include "restore_int.h"
#include "conf.h"
#include "conninfo.h"
#include "lock.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Keep @fd and its @path (malloc'd, owned from now) until restore_unlock(). */
static void add_lock(struct restore *rs, int fd, char *path)
{
	rs->lock_fds = xrealloc(rs->lock_fds, (rs->n_lock_fds + 1) * sizeof *rs->lock_fds);
	rs->lock_paths = xrealloc(rs->lock_paths, (rs->n_lock_fds + 1) * sizeof *rs->lock_paths);
	rs->lock_fds[rs->n_lock_fds] = fd;
	rs->lock_paths[rs->n_lock_fds++] = path;
}

/* Lock @path for @what (both malloc'd; freed here) and keep the descriptor
 * in @rs until restore_unlock().  -1 with @e naming the holder. */
static int take_lock(struct restore *rs, char *path, char *what, struct err *e)
{
	int fd = lock_take(path, what, e);
	free(what);
	if (fd < 0) {
		free(path);
		return -1;
	}
	add_lock(rs, fd, path);
	return 0;
}

int restore_lock(struct restore *rs, struct err *e)
{
	const struct conf *c = rs->conf;
	const struct flow_def *flow = run_flow(rs->run);
	unsigned need = 0;
	char *path, *what;

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
	if (take_lock(rs, run_lock_path(c->log_dir, rs->stamp),
		      xstrdup("in this log directory with this time stamp"), e) < 0)
		return -1;
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
	/* newest first: the run lock, taken first, goes last; each file is
	 * unlinked while still locked (lock_release()) */
	for (size_t i = rs->n_lock_fds; i-- > 0;) {
		lock_release(rs->lock_fds[i], rs->lock_paths[i]);
		free(rs->lock_paths[i]);
	}
	free(rs->lock_fds);
	free(rs->lock_paths);
	rs->lock_fds = NULL;
	rs->lock_paths = NULL;
	rs->n_lock_fds = 0;
}
