/* backupset: discovery of backup copies; see backupset.h. */
#include "config.h"
#include "backupset.h"
#include "err.h"
#include "strbuf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int num(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static int stamp_at(const char *s, time_t *when)
{
	struct tm tm;
	if (!digits(s, 8) || (s[8] != '_' && s[8] != '-' && s[8] != 'T') || !digits(s + 9, 6))
		return 0;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = num(s, 4) - 1900;
	tm.tm_mon = num(s + 4, 2) - 1;
	tm.tm_mday = num(s + 6, 2);
	tm.tm_hour = num(s + 9, 2);
	tm.tm_min = num(s + 11, 2);
	tm.tm_sec = num(s + 13, 2);
	tm.tm_isdst = -1;
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return 0;
	*when = mktime(&tm);
	return 1;
}

int backupset_parse_stamp(const char *s, int anywhere, time_t *when, size_t *len)
{
	size_t n = strlen(s);
	for (size_t i = 0; i + 15 <= n; i++) {
		/* not inside a longer run of digits */
		if ((i == 0 || !isdigit((unsigned char)s[i - 1])) &&
		    !isdigit((unsigned char)s[i + 15]) && stamp_at(s + i, when)) {
			*len = 15;
			return 1;
		}
		if (!anywhere)
			break;
	}
	return 0;
}

const struct backup_item *backupset_pick(const struct backup_list *l, time_t at)
{
	for (size_t i = 0; i < l->n; i++)
		if (!at || (!l->items[i].undated && l->items[i].when <= at))
			return &l->items[i];
	/* the one undated copy is all there is, whatever the time */
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].undated)
			return &l->items[i];
	return NULL;
}

int backupset_parse_at(const char *s, time_t *at)
{
	char buf[16];
	size_t len;
	if (strlen(s) == 8) {
		snprintf(buf, sizeof buf, "%s_235959", s);
		s = buf;
	}
	return strlen(s) == 15 && backupset_parse_stamp(s, 0, at, &len);
}

static void list_add(struct backup_list *l, const char *dir, const char *name, time_t when,
		     uint64_t size, enum magic_kind kind)
{
	struct backup_item *it;
	l->items = xrealloc(l->items, (l->n + 1) * sizeof *l->items);
	it = &l->items[l->n++];
	it->path = name ? xstrfmt("%s/%s", dir, name) : xstrdup(dir);
	if (name) {
		it->name = xstrdup(name);
	} else {
		const char *b = strrchr(dir, '/');
		it->name = xstrdup(b && b[1] ? b + 1 : dir);
	}
	it->when = when;
	it->size = size;
	it->kind = kind;
	it->undated = 0;
	it->flat = 0;
}

static int newest_first(const void *a, const void *b)
{
	const struct backup_item *x = a, *y = b;
	if (x->when != y->when)
		return x->when > y->when ? -1 : 1;
	return -strcmp(x->name, y->name);
}

static void list_free(struct backup_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].path);
		free(l->items[i].name);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

/* Open @dir; *@d NULL and 0 when it does not exist, -1 with @e on error. */
static int open_sub(const char *dir, DIR **d, struct err *e)
{
	*d = opendir(dir);
	if (*d)
		return 0;
	if (errno == ENOENT)
		return 0;
	err_errno(e, errno, "cannot read backup directory %s", dir);
	err_hint(e, "check the path and that this user may read it");
	return -1;
}

/* 1 when the entry @name (lstat @st) of a webroot/ or data/ directory is
 * a backup of its own there, not a file of the flat copy: a directory
 * whose whole name is a stamp (what `backup` writes), an archive (by
 * magic) with a stamp in its name, a ".partial" one.  Anything else
 * ("old_20260101_010101", "notes.zip") belongs to the flat copy and is
 * restored with it. */
static int own_backup(const char *dir, const char *name, const struct stat *st)
{
	size_t nl = strlen(name), len;
	time_t when;
	enum magic_kind kind;
	struct err e2 = ERR_INIT;
	char *p;
	int ret;
	if (nl > 8 && !strcmp(name + nl - 8, ".partial"))
		return 1;
	if (S_ISDIR(st->st_mode))
		return nl == 15 && backupset_parse_stamp(name, 0, &when, &len);
	if (!S_ISREG(st->st_mode) || !backupset_parse_stamp(name, 1, &when, &len))
		return 0;
	p = xstrfmt("%s/%s", dir, name);
	ret = magic_detect(p, &kind, &e2) == 0 && magic_is_tree(kind) && kind != MAGIC_DIR;
	err_clear(&e2);
	free(p);
	return ret;
}

static int scan_tree_dir(const char *dir, struct backup_list *l, struct err *e)
{
	size_t partials = 0, flat = 0, flat_dirs = 0;
	time_t flat_when = 0;
	DIR *d;
	struct dirent *de;
	struct stat st;
	if (open_sub(dir, &d, e) < 0)
		return -1;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *p;
		time_t when;
		size_t len;
		int stamped;
		enum magic_kind kind;
		struct err e2 = ERR_INIT;
		size_t nl = strlen(de->d_name);
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		/* a backup being written (or one that did not finish) is never
		 * a candidate, and the directory holding it is no manual copy */
		if (nl > 8 && !strcmp(de->d_name + nl - 8, ".partial")) {
			partials++;
			continue;
		}
		p = xstrfmt("%s/%s", dir, de->d_name);
		if (lstat(p, &st) < 0) {
			free(p);
			continue;
		}
		if (!own_backup(dir, de->d_name, &st)) {
			/* a file of the flat copy (.htaccess too) */
			flat++;
			if (S_ISDIR(st.st_mode) && strcmp(de->d_name, "lost+found"))
				flat_dirs++;
			/* rsync -a keeps production's mtimes; the ctime is
			 * when the copy was written, which rsync cannot set */
			if (st.st_ctime > flat_when)
				flat_when = st.st_ctime;
			free(p);
			continue;
		}
		if (de->d_name[0] == '.') {
			free(p);
			continue;
		}
		stamped = backupset_parse_stamp(de->d_name, 1, &when, &len);
		if (S_ISDIR(st.st_mode)) {
			if (stamped)
				list_add(l, dir, de->d_name, when, 0, MAGIC_DIR);
		} else if (S_ISREG(st.st_mode) && magic_detect(p, &kind, &e2) == 0 &&
			   magic_is_tree(kind) && kind != MAGIC_DIR) {
			list_add(l, dir, de->d_name, stamped ? when : st.st_mtime, (uint64_t)st.st_size,
				 kind);
		}
		err_clear(&e2);
		free(p);
	}
	closedir(d);
	if (!l->n && !partials && stat(dir, &st) == 0) {
		list_add(l, dir, NULL, st.st_mtime, 0, MAGIC_DIR);
		l->items[l->n - 1].undated = 1;
	} else if (flat_dirs && (l->n || partials)) {
		/* both layouts in one directory: the flat copy is a candidate
		 * beside the snapshots, by the time its newest entry was
		 * written (ctime); loose
		 * files alone (notes, checksums) are no copy */
		list_add(l, dir, NULL, flat_when, 0, MAGIC_DIR);
		l->items[l->n - 1].flat = 1;
	}
	if (l->n > 1) /* qsort(NULL, 0, ...) is undefined */
		qsort(l->items, l->n, sizeof *l->items, newest_first);
	return 0;
}

/* "<prefix>YYYYMMDD_HHMMSS.sql" or ".sql.gz" exactly. */
static int dump_name(const char *name, const char *prefix, time_t *when)
{
	size_t pl = strlen(prefix), len;
	const char *rest;
	if (strncmp(name, prefix, pl))
		return 0;
	if (!backupset_parse_stamp(name + pl, 0, when, &len) || name[pl + 8] != '_')
		return 0;
	rest = name + pl + len;
	return !strcmp(rest, ".sql") || !strcmp(rest, ".sql.gz");
}

static int scan_db(const char *dir, const char *prefix, struct backup_list *l, struct err *e)
{
	DIR *d;
	struct dirent *de;
	if (open_sub(dir, &d, e) < 0)
		return -1;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		time_t when;
		struct stat st;
		enum magic_kind kind;
		struct err e2 = ERR_INIT;
		char *p;
		if (!dump_name(de->d_name, prefix, &when))
			continue;
		p = xstrfmt("%s/%s", dir, de->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			if (magic_detect(p, &kind, &e2) < 0)
				kind = MAGIC_UNKNOWN;
			list_add(l, dir, de->d_name, when, (uint64_t)st.st_size, kind);
		}
		err_clear(&e2);
		free(p);
	}
	closedir(d);
	if (l->n > 1) /* qsort(NULL, 0, ...) is undefined */
		qsort(l->items, l->n, sizeof *l->items, newest_first);
	return 0;
}

int backupset_root_check(const char *root, struct err *e)
{
	DIR *d = opendir(root);
	if (!d) {
		err_errno(e, errno, "cannot read backup root %s", root);
		err_hint(e, "give the directory that holds webroot/, data/ and db/ (--backup-root)");
		return -1;
	}
	closedir(d);
	return 0;
}

int backupset_scan(const char *root, const char *dump_prefix, const char *log_dump_prefix,
		   struct backupset *bs, struct err *e)
{
	char *sub;
	int rc = 0;
	memset(bs, 0, sizeof *bs);
	if (backupset_root_check(root, e) < 0)
		return -1;
	bs->root = xstrdup(root);
	sub = xstrfmt("%s/webroot", root);
	rc = scan_tree_dir(sub, &bs->webroot, e);
	free(sub);
	if (!rc) {
		sub = xstrfmt("%s/data", root);
		rc = scan_tree_dir(sub, &bs->data, e);
		free(sub);
	}
	if (!rc) {
		sub = xstrfmt("%s/db", root);
		rc = scan_db(sub, dump_prefix ? dump_prefix : "biso_", &bs->dumps, e);
		if (!rc && log_dump_prefix)
			rc = scan_db(sub, log_dump_prefix, &bs->log_dumps, e);
		free(sub);
	}
	if (rc)
		backupset_release(bs);
	return rc;
}

char **backupset_flat_excludes(const char *dir, const char *const *extra)
{
	size_t n = 0;
	char **v;
	DIR *d;
	struct dirent *de;
	for (const char *const *x = extra; x && *x; x++)
		n++;
	v = xcalloc(n + 1, sizeof *v);
	n = 0;
	for (const char *const *x = extra; x && *x; x++)
		v[n++] = xstrdup(*x);
	if (!(d = opendir(dir)))
		return v;
	while ((de = readdir(d))) {
		struct stat st;
		char *p;
		int own;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = xstrfmt("%s/%s", dir, de->d_name);
		own = lstat(p, &st) == 0 && own_backup(dir, de->d_name, &st);
		free(p);
		if (!own)
			continue;
		v = xrealloc(v, (n + 2) * sizeof *v);
		v[n++] = xstrfmt("/%s%s", de->d_name, S_ISDIR(st.st_mode) ? "/" : "");
		v[n] = NULL;
	}
	closedir(d);
	return v;
}

void backupset_excludes_free(char **v)
{
	for (char **x = v; x && *x; x++)
		free(*x);
	free(v);
}

void backupset_release(struct backupset *bs)
{
	free(bs->root);
	list_free(&bs->webroot);
	list_free(&bs->data);
	list_free(&bs->dumps);
	list_free(&bs->log_dumps);
	memset(bs, 0, sizeof *bs);
}
