/* refresh_lock: the refresh's target locks, the restore's (lock.h): the
 * webroot's and the database's, by the same names and paths, so that a
 * refresh, a restore, a rollback and a backup of one instance exclude each
 * other; see refresh_int.h. */
#include "config.h"
#include "refresh_int.h"
#include "conninfo.h"
#include "lock.h"
#include "strbuf.h"

#include <stdlib.h>

/* Lock @path (malloc'd, owned from now) for @what into *@fd and *@keep. */
static int take(char *path, const char *what, int *fd, char **keep, struct err *e)
{
	*fd = lock_take(path, what, e);
	if (*fd < 0) {
		free(path);
		return -1;
	}
	*keep = path;
	return 0;
}

int refresh_lock(struct refresh *rf, struct err *e)
{
	char *what, *key;
	int ret;
	if (rf->webroot_lock_path)
		return 0;
	/* the datadir has no lock of its own: the restore's is the webroot's,
	 * taken for the files of the instance */
	what = xstrfmt("webroot %s", rf->webroot);
	ret = take(lock_target_path("webroot", rf->webroot), what, &rf->webroot_lock_fd,
		   &rf->webroot_lock_path, e);
	free(what);
	if (ret < 0)
		return -1;
	key = conninfo_target_key(rf->conninfo, rf->dbname);
	what = xstrfmt("database %s", key);
	ret = take(lock_target_path("database", key), what, &rf->db_lock_fd, &rf->db_lock_path, e);
	free(what);
	free(key);
	if (ret < 0) {
		refresh_unlock(rf);
		return -1;
	}
	return 0;
}

void refresh_unlock(struct refresh *rf)
{
	/* the newest first; each file unlinked while still locked */
	if (rf->db_lock_path)
		lock_release(rf->db_lock_fd, rf->db_lock_path);
	if (rf->webroot_lock_path)
		lock_release(rf->webroot_lock_fd, rf->webroot_lock_path);
	free(rf->db_lock_path);
	free(rf->webroot_lock_path);
	rf->db_lock_path = rf->webroot_lock_path = NULL;
	rf->db_lock_fd = rf->webroot_lock_fd = -1;
}
