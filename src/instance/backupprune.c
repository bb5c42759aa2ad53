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
#include <fcntl.h>
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

/* The paths backup @id has under @root, in the order a delete removes
 * them (the manifest last), malloc'd into @paths (6 at most); their
 * number. */
static size_t id_paths(const char *root, const char *id, const char *prefix,
		       const char *log_prefix, char *paths[6])
{
	size_t n = 0;
	paths[n++] = xstrfmt("%s/db/%s%s.sql.gz", root, prefix ? prefix : "biso_", id);
	if (log_prefix)
		paths[n++] = xstrfmt("%s/db/%s%s.sql.gz", root, log_prefix, id);
	paths[n++] = xstrfmt("%s/data/%s", root, id);
	paths[n++] = xstrfmt("%s/webroot/%s", root, id);
	paths[n++] = xstrfmt("%s/manifest/%s", root, id); /* last: see the header */
	return n;
}

int backupprune_delete(const char *root, const char *id, const char *prefix,
		       const char *log_prefix, struct report *r, struct err *e)
{
	char *paths[6];
	size_t n = id_paths(root, id, prefix, log_prefix, paths);
	int ret = 0;
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

/* The inodes seen by backupprune_freed() that have other links: they free
 * their blocks only when every link is among the deleted. */
struct linked {
	dev_t dev;
	ino_t ino;
	nlink_t nlink;
	uint64_t bytes;
};

struct freed {
	uint64_t bytes;     /* of inodes with one link, and directories */
	struct linked *l;
	size_t n, cap;
	struct report *r;
};

static void freed_add(struct freed *f, const struct stat *st)
{
	uint64_t b = (uint64_t)st->st_blocks * 512; /* as du and df count */
	if (S_ISDIR(st->st_mode) || st->st_nlink <= 1) {
		f->bytes += b;
		return;
	}
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 256;
		f->l = xrealloc(f->l, f->cap * sizeof *f->l);
	}
	f->l[f->n].dev = st->st_dev;
	f->l[f->n].ino = st->st_ino;
	f->l[f->n].nlink = st->st_nlink;
	f->l[f->n].bytes = b;
	f->n++;
}

/* Add @name in the directory @at (AT_FDCWD and a full path at the top) and, for a
 * directory, everything below it. */
static int freed_walk(struct freed *f, int at, const char *name, const char *shown,
		      struct err *e)
{
	struct stat st;
	DIR *d = NULL;
	struct dirent *de;
	int fd, ret = 0;
	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_errno(e, errno, "cannot read %s", shown);
	freed_add(f, &st);
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (report_cancelled(f->r))
		return err_set(e, "cancelled by the operator");
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		int errnum = errno;
		if (fd >= 0)
			close(fd);
		return err_errno(e, errnum, "cannot read %s", shown);
	}
	while (ret == 0 && (de = readdir(d))) {
		char *sub;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = xstrfmt("%s/%s", shown, de->d_name);
		ret = freed_walk(f, dirfd(d), de->d_name, sub, e);
		free(sub);
	}
	closedir(d);
	return ret;
}

static int by_inode(const void *a, const void *b)
{
	const struct linked *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

int backupprune_freed(const char *root, const char *const *ids, size_t n_ids,
		      const char *prefix, const char *log_prefix, uint64_t *bytes,
		      struct report *r, struct err *e)
{
	struct freed f = { 0 };
	int ret = 0;
	f.r = r;
	*bytes = 0;
	for (size_t i = 0; i < n_ids && ret == 0; i++) {
		char *paths[6];
		size_t n = id_paths(root, ids[i], prefix, log_prefix, paths);
		for (size_t k = 0; k < n; k++) {
			if (ret == 0)
				ret = freed_walk(&f, AT_FDCWD, paths[k], paths[k], e);
			free(paths[k]);
		}
	}
	if (ret == 0) {
		/* a file linked from a snapshot that stays frees nothing */
		if (f.n > 1)
			qsort(f.l, f.n, sizeof *f.l, by_inode);
		for (size_t i = 0, j; i < f.n; i = j) {
			for (j = i + 1; j < f.n && !by_inode(&f.l[i], &f.l[j]); j++)
				;
			if ((nlink_t)(j - i) >= f.l[i].nlink)
				f.bytes += f.l[i].bytes;
		}
		*bytes = f.bytes;
	}
	free(f.l);
	return ret;
}
