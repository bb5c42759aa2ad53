/* backupprune: listing and deleting the backups under a backup root; see
 * backupprune.h. */
#include "config.h"
#include "backupprune.h"
#include "backupset.h"
#include "err.h"
#include "fsrestore.h"
#include "report.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Add the id at the start of @name (a stamp exactly, after @prefix) to
 * the list unless it is there. */
static void add_id(const char *name, const char *prefix, const char *suffix,
		   struct backupprune_item **items, size_t *n, size_t *cap, int dump)
{
	size_t pl = prefix ? strlen(prefix) : 0, len;
	time_t when;
	if (prefix && strncmp(name, prefix, pl))
		return;
	name += pl;
	if (!backupset_parse_stamp(name, 0, &when, &len) || len != 15 || name[8] != '_' ||
	    strcmp(name + len, suffix))
		return;
	for (size_t i = 0; i < *n; i++)
		if (!strncmp((*items)[i].id, name, 15)) {
			(*items)[i].manual &= dump;
			return;
		}
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		*items = xrealloc(*items, *cap * sizeof **items);
	}
	memset(&(*items)[*n], 0, sizeof **items);
	memcpy((*items)[*n].id, name, 15);
	(*items)[*n].when = when;
	(*items)[*n].manual = dump; /* until a snapshot of its own shows */
	(*n)++;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct backupprune_item *)a)->id,
		      ((const struct backupprune_item *)b)->id);
}

int backupprune_list(const char *root, const char *prefix, const char *log_prefix,
		     struct backupprune_item **items, size_t *n, struct err *e)
{
	static const char *const subs[] = { "db", "data", "webroot", "manifest" };
	size_t cap = 0;
	*items = NULL;
	*n = 0;
	/* a missing root is no empty one (a typo, an unmounted disk) */
	if (backupset_root_check(root, e) < 0)
		return -1;
	for (size_t s = 0; s < 4; s++) {
		char *dir = xstrfmt("%s/%s", root, subs[s]);
		DIR *d = opendir(dir);
		struct dirent *de;
		if (!d) {
			int errnum = errno;
			free(dir);
			if (errnum == ENOENT)
				continue;
			free(*items);
			*items = NULL;
			*n = 0;
			return err_errno(e, errnum, "cannot read %s/%s", root, subs[s]);
		}
		while ((de = readdir(d))) {
			if (s == 0) {
				add_id(de->d_name, prefix ? prefix : "biso_", ".sql.gz", items, n, &cap, 1);
				if (log_prefix)
					add_id(de->d_name, log_prefix, ".sql.gz", items, n, &cap, 1);
			} else {
				add_id(de->d_name, NULL, "", items, n, &cap, 0);
			}
		}
		closedir(d);
		free(dir);
	}
	for (size_t i = 0; i < *n; i++) {
		char *m = xstrfmt("%s/manifest/%s/MANIFEST", root, (*items)[i].id);
		struct stat st;
		(*items)[i].complete = stat(m, &st) == 0 && S_ISREG(st.st_mode);
		(*items)[i].manual &= !(*items)[i].complete;
		free(m);
	}
	if (*n > 1)
		qsort(*items, *n, sizeof **items, by_id);
	return 0;
}

int backupprune_delete(const char *root, const char *id, const char *prefix,
		       const char *log_prefix, struct report *r, struct err *e)
{
	char *paths[6];
	size_t n = 0;
	int ret = 0;
	paths[n++] = xstrfmt("%s/db/%s%s.sql.gz", root, prefix ? prefix : "biso_", id);
	if (log_prefix)
		paths[n++] = xstrfmt("%s/db/%s%s.sql.gz", root, log_prefix, id);
	paths[n++] = xstrfmt("%s/data/%s", root, id);
	paths[n++] = xstrfmt("%s/webroot/%s", root, id);
	paths[n++] = xstrfmt("%s/manifest/%s", root, id); /* last: see the header */
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (ret == 0 && lstat(paths[i], &st) == 0) {
			report_log(r, LOG_INFO, "removing %s", paths[i]);
			if (fsrestore_rmtree(paths[i], e) < 0)
				ret = -1;
		}
		free(paths[i]);
	}
	return ret;
}
