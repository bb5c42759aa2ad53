/* keptcopies: the copies a restore kept, found and removed; see keptcopies.h. */
#include "config.h"
#include "keptcopies.h"
#include "backupset.h"
#include "dbadmin.h"
#include "err.h"
#include "fsrestore.h"
#include "i18n.h"
#include "report.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* The marks of kept names: a restore's, then a rollback's (its copies
 * form groups of their own, ROLLBACK_GROUP in front). */
static const struct mark {
	const char *file, *db;
} marks[] = { { ".pre-restore-", "_pre_restore_" }, { ".pre-rollback-", "_pre_rollback_" } };
#define N_MARKS (sizeof marks / sizeof marks[0])
#define ROLLBACK_GROUP "rollback: "
#define STAMP_LEN 15 /* YYYYMMDD_HHMMSS */

/* ---- space used by a tree ---------------------------------------------- */

struct inode {
	dev_t dev;
	ino_t ino;
	uint64_t bytes;
};

struct inode_set {
	struct inode *v;
	size_t n, alloc;
};

/* One walk: the files with several links, and the entries it may still
 * stat (kept_where.max_entries, shared by all the trees of one find). */
struct walk {
	struct inode_set linked;
	uint64_t left;  /* UINT64_MAX: no limit */
	int cut;        /* the limit stopped this tree's walk */
};

static int inode_cmp(const void *a, const void *b)
{
	const struct inode *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Blocks of everything below the open directory @dfd (closed here), as du
 * counts them: symlinks not followed, other filesystems not entered; a
 * file with several links goes to @w->linked, to be counted once.  Stops
 * with @w->cut set when @w->left runs out. */
static uint64_t tree_bytes(int dfd, dev_t dev, struct walk *w)
{
	struct inode_set *linked = &w->linked;
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	uint64_t sum = 0;
	if (!d) {
		close(dfd);
		return 0;
	}
	while (!w->cut && (de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!w->left) {
			w->cut = 1;
			break;
		}
		if (w->left != UINT64_MAX)
			w->left--;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
			if (linked->n == linked->alloc) {
				linked->alloc = linked->alloc ? 2 * linked->alloc : 64;
				linked->v = xrealloc(linked->v, linked->alloc * sizeof *linked->v);
			}
			linked->v[linked->n++] = (struct inode){ st.st_dev, st.st_ino,
								 (uint64_t)st.st_blocks * 512 };
			continue;
		}
		sum += (uint64_t)st.st_blocks * 512;
		if (S_ISDIR(st.st_mode) && st.st_dev == dev) {
			int fd = openat(dirfd(d), de->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				sum += tree_bytes(fd, dev, w);
		}
	}
	closedir(d);
	return sum;
}

/* Space used by the directory tree at @path (@top: its lstat), counting
 * at most *@left entries (taken off it); *@cut when it stopped short. */
static uint64_t path_bytes(const char *path, const struct stat *top, uint64_t *left, int *cut)
{
	struct walk w = { { 0 }, *left, 0 };
	struct inode_set *linked = &w.linked;
	uint64_t sum = (uint64_t)top->st_blocks * 512;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		sum += tree_bytes(fd, top->st_dev, &w);
	if (linked->n) /* qsort must not get NULL (UBSan) */
		qsort(linked->v, linked->n, sizeof *linked->v, inode_cmp);
	for (size_t i = 0; i < linked->n; i++)
		if (i == 0 || inode_cmp(&linked->v[i], &linked->v[i - 1]))
			sum += linked->v[i].bytes;
	free(linked->v);
	*left = w.left;
	*cut = w.cut;
	return sum;
}

/* ---- the list ------------------------------------------------------------ */

static struct kept_copy *add(struct kept_list *l, enum kept_kind kind, const char *name,
			     const char *group, time_t when)
{
	struct kept_copy *c;
	l->items = xrealloc(l->items, (l->n + 1) * sizeof *l->items);
	c = &l->items[l->n++];
	memset(c, 0, sizeof *c);
	c->kind = kind;
	c->name = xstrdup(name);
	c->group = xstrdup(group);
	c->when = when;
	return c;
}

static void set_fs(struct kept_copy *c, const char *path)
{
	struct statvfs vfs;
	struct stat st;
	if (statvfs(path, &vfs) == 0 && stat(path, &st) == 0) {
		c->fs_known = 1;
		c->fs_dev = st.st_dev;
		c->fs_free = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	}
}

/* "<stamp>" at the very end of @s, after @mark: 1 and *@when, else 0. */
static int stamp_after(const char *s, const char *mark, size_t *mark_at, time_t *when)
{
	size_t n = strlen(s), m = strlen(mark), len;
	if (n < m + STAMP_LEN || strncmp(s + n - STAMP_LEN - m, mark, m))
		return 0;
	if (!backupset_parse_stamp(s + n - STAMP_LEN, 0, when, &len) || len != STAMP_LEN)
		return 0;
	*mark_at = n - STAMP_LEN - m;
	return 1;
}

/* The index in marks[] of the mark (file or @db) in front of the stamp
 * that ends @s, with stamp_after()'s results; N_MARKS when none. */
static size_t mark_of(const char *s, int db, size_t *mark_at, time_t *when)
{
	size_t m;
	for (m = 0; m < N_MARKS; m++)
		if (stamp_after(s, db ? marks[m].db : marks[m].file, mark_at, when))
			break;
	return m;
}

/* The parent directory of @path (malloc'd) and its last component. */
static char *split_path(const char *path, const char **base)
{
	char *dir = xstrdup(path);
	size_t n = strlen(dir);
	char *slash;
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	slash = strrchr(dir, '/');
	if (!slash) {
		*base = path;
		free(dir);
		return xstrdup(".");
	}
	*base = path + (slash - dir) + 1;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return dir;
}

/* Copies of @live in the directory @dir: its entries named
 * <@base>[.WHAT].pre-restore-<stamp>, grouped as "@label" or "@label (WHAT)". */
static int find_in(const char *dir, const char *base, const char *live, const char *label,
		   uint64_t *left, struct kept_list *l, struct err *e)
{
	size_t blen = strcspn(base, "/");
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return err_errno(e, errno, "cannot list the kept copies of %s in %s", live, dir);
	}
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		struct strbuf group = STRBUF_INIT;
		struct stat st;
		size_t at, m;
		time_t when;
		char *path;
		if (strncmp(name, base, blen) || (m = mark_of(name, 0, &at, &when)) == N_MARKS ||
		    at < blen)
			continue;
		if (at > blen && name[blen] != '.')
			continue; /* "webroot-old.pre-restore-..." is another thing's copy */
		strbuf_addstr(&group, m ? ROLLBACK_GROUP : "");
		strbuf_addstr(&group, label);
		if (at > blen)
			strbuf_addf(&group, " (%.*s)", (int)(at - blen - 1), name + blen + 1);
		path = xstrfmt("%s%s%s", dir, strcmp(dir, "/") ? "/" : "", name);
		if (lstat(path, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
			struct kept_copy *c = add(l, S_ISDIR(st.st_mode) ? KEPT_TREE : KEPT_FILE, path,
						  group.buf, when);
			c->bytes = S_ISDIR(st.st_mode) ? path_bytes(path, &st, left, &c->partial)
						       : (uint64_t)st.st_blocks * 512;
			set_fs(c, dir);
		}
		free(path);
		strbuf_release(&group);
	}
	closedir(d);
	return 0;
}

/* Copies of @live beside it. */
static int find_files(const char *live, const char *label, uint64_t *left, struct kept_list *l,
		      struct err *e)
{
	const char *base;
	char *dir = split_path(live, &base);
	int ret = find_in(dir, base, live, label, left, l, e);
	free(dir);
	return ret;
}

/* Copies of the datadir inside @w->webroot that keep_dir holds (they are
 * named after the webroot); nothing when the copies go beside the webroot. */
static int find_in_keep_dir(const struct kept_where *w, uint64_t *left, struct kept_list *l,
			    struct err *e)
{
	const char *base;
	char *kd, *dir;
	struct stat a, b;
	int ret = 0;
	if (!w->keep_dir || !*w->keep_dir)
		return 0;
	kd = keptcopies_keep_base(w->keep_dir, w->webroot, w->datadir, NULL);
	dir = split_path(w->webroot, &base);
	if (stat(kd, &a) == 0 && stat(dir, &b) == 0 && (a.st_dev != b.st_dev || a.st_ino != b.st_ino))
		ret = find_in(kd, base, w->webroot, "webroot", left, l, e);
	free(dir);
	free(kd);
	return ret;
}

char *keptcopies_keep_base(const char *keep_dir, const char *webroot, const char *datadir,
			   const char **why)
{
	char *parent = xstrdup(webroot), *slash = strrchr(parent, '/');
	struct stat a, b;
	const char *w = NULL, *ref = datadir && lstat(datadir, &b) == 0 ? datadir : webroot;
	if (slash)
		*(slash == parent ? slash + 1 : slash) = '\0';
	if (keep_dir && *keep_dir) {
		if (stat(keep_dir, &a) < 0 || !S_ISDIR(a.st_mode))
			w = "it is not a directory";
		else if (stat(ref, &b) == 0 && a.st_dev != b.st_dev)
			w = "it is on another filesystem than the datadir";
		else {
			free(parent);
			parent = xstrdup(keep_dir);
		}
	}
	if (why)
		*why = w;
	return parent;
}

/* The databases <db>_pre_restore_<stamp> and <db>_pre_rollback_<stamp>
 * of @w->dbnames. */
static void find_databases(const struct kept_where *w, struct kept_list *l, struct report *r)
{
	struct err e = ERR_INIT;
	PGconn *c = dbadmin_connect(w->admin_conninfo, &e);
	PGresult *res;
	char *datadir = NULL;
	if (!c) {
		err_prefix(&e, "the kept databases cannot be listed");
		report_log_l10n(r, LOG_WARN, e.lmsg, "%s", e.msg);
		l->dbs_unlisted = 1;
		err_clear(&e);
		return;
	}
	/* where the server keeps its data, when this user may know it and it
	 * is on this machine: for the free space */
	res = PQexec(c, "SELECT current_setting('data_directory')");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		char *probe = xstrfmt("%s/PG_VERSION", PQgetvalue(res, 0, 0));
		if (access(probe, F_OK) == 0)
			datadir = xstrdup(PQgetvalue(res, 0, 0));
		free(probe);
	}
	PQclear(res);
	res = PQexec(c, "SELECT datname, CASE WHEN has_database_privilege(oid, 'CONNECT') "
			"THEN pg_database_size(oid) END FROM pg_database "
			"WHERE datname LIKE '%\\_pre\\_restore\\_%' "
			"OR datname LIKE '%\\_pre\\_rollback\\_%' ORDER BY datname DESC");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		dbadmin_result_error(c, res, &e);
		err_prefix(&e, "the kept databases cannot be listed");
		report_log_l10n(r, LOG_WARN, e.lmsg, "%s", e.msg);
		l->dbs_unlisted = 1;
		err_clear(&e);
	}
	for (const char *const *db = w->dbnames; db && *db; db++) {
		char *group = xstrfmt("database %s", *db), *rgroup = xstrfmt(ROLLBACK_GROUP "%s", group);
		size_t dlen = strlen(*db);
		for (int i = 0; PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res); i++) {
			const char *name = PQgetvalue(res, i, 0);
			size_t at, m;
			time_t when;
			struct kept_copy *k;
			if (strncmp(name, *db, dlen) || (m = mark_of(name, 1, &at, &when)) == N_MARKS ||
			    at != dlen)
				continue;
			k = add(l, KEPT_DATABASE, name, m ? rgroup : group, when);
			k->bytes = PQgetisnull(res, i, 1) ? 0 : strtoull(PQgetvalue(res, i, 1), NULL, 10);
			if (datadir)
				set_fs(k, datadir);
		}
		free(group);
		free(rgroup);
	}
	PQclear(res);
	PQfinish(c);
	free(datadir);
}

static int by_group_then_newest(const void *a, const void *b)
{
	const struct kept_copy *x = a, *y = b;
	int g = strcmp(x->group, y->group);
	if (g)
		return g;
	if (x->when != y->when)
		return x->when > y->when ? -1 : 1;
	return strcmp(y->name, x->name);
}

int keptcopies_find(const struct kept_where *w, struct kept_list *out, struct report *r,
		    struct err *e)
{
	size_t wlen;
	uint64_t left = w->max_entries ? w->max_entries : UINT64_MAX;
	memset(out, 0, sizeof *out);
	if (!w->webroot || !*w->webroot)
		return err_set(e, "no webroot to look for kept copies beside");
	if (find_files(w->webroot, "webroot", &left, out, e) < 0)
		goto fail;
	/* a datadir inside the webroot is kept with it, or as WEBROOT.data.pre-restore-* */
	wlen = strlen(w->webroot);
	if (w->datadir && *w->datadir &&
	    !(strncmp(w->datadir, w->webroot, wlen) == 0 && w->datadir[wlen] == '/') &&
	    find_files(w->datadir, "datadir", &left, out, e) < 0)
		goto fail;
	if (find_in_keep_dir(w, &left, out, e) < 0)
		goto fail;
	if (w->admin_conninfo && w->dbnames && *w->dbnames)
		find_databases(w, out, r);
	if (out->n)
		qsort(out->items, out->n, sizeof *out->items, by_group_then_newest);
	for (size_t i = 0; i < out->n; i++)
		out->items[i].newest = i == 0 || strcmp(out->items[i].group, out->items[i - 1].group);
	return 0;
fail:
	keptcopies_release(out);
	return -1;
}

void keptcopies_release(struct kept_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].name);
		free(l->items[i].group);
	}
	free(l->items);
	memset(l, 0, sizeof *l);
}

uint64_t keptcopies_bytes_on_fs(const struct kept_list *l, size_t i)
{
	uint64_t sum = 0;
	for (size_t k = 0; i < l->n && k < l->n; k++)
		if (l->items[i].fs_known && l->items[k].fs_known &&
		    l->items[k].fs_dev == l->items[i].fs_dev)
			sum += l->items[k].bytes;
	return sum;
}

int keptcopies_remove(const struct kept_where *w, const struct kept_copy *c, struct report *r,
		      struct err *e)
{
	size_t at;
	time_t when;
	int ret;
	int db = c->kind == KEPT_DATABASE;
	if (c->newest)
		return err_set(e, "%s is the newest copy of the %s: it is kept", c->name, c->group),
		       err_hint(e, "It is what a failed restore goes back to; remove older ones."), -1;
	if (mark_of(c->name, db, &at, &when) == N_MARKS)
		return err_set(e, "%s is not a kept copy (no %s<time> in its name)", c->name,
			       db ? marks[0].db : marks[0].file);
	if (c->kind == KEPT_DATABASE) {
		PGconn *pc = dbadmin_connect(w->admin_conninfo, e);
		if (!pc)
			return -1;
		ret = dbadmin_drop(pc, c->name, e);
		PQfinish(pc);
	} else if (c->kind == KEPT_TREE) {
		ret = fsrestore_rmtree(c->name, e);
	} else {
		ret = unlink(c->name) < 0 && errno != ENOENT ?
			err_errno(e, errno, "cannot remove %s", c->name) : 0;
	}
	if (ret == 0)
		report_log(r, LOG_INFO, "removed the kept copy %s%s%s", c->kind == KEPT_DATABASE ?
			   "database \"" : "", c->name, c->kind == KEPT_DATABASE ? "\"" : "");
	return ret;
}

void keptcopies_group_text(const char *group, struct strbuf *out)
{
	if (!strncmp(group, ROLLBACK_GROUP, strlen(ROLLBACK_GROUP))) {
		struct strbuf of = STRBUF_INIT;
		keptcopies_group_text(group + strlen(ROLLBACK_GROUP), &of);
		strbuf_addf(out, _("%s (rollback)"), of.buf);
		strbuf_release(&of);
	} else if (!strncmp(group, "database ", 9))
		strbuf_addf(out, _("database %s"), group + 9);
	else if (!strncmp(group, "datadir", 7))
		strbuf_addf(out, "%s%s", _("datadir"), group + 7);
	else if (!strncmp(group, "webroot", 7))
		strbuf_addf(out, "%s%s", _("webroot"), group + 7);
	else
		strbuf_addstr(out, group);
}

/* keptcopies_report()'s lines, built in the language _() gives now: the
 * run log's English inside i18n_english(1), else the screen's. */
static void copy_line(const struct kept_copy *c, time_t now, struct strbuf *out)
{
	struct strbuf group = STRBUF_INIT, name = STRBUF_INIT, age = STRBUF_INIT,
		      size = STRBUF_INIT, bytes = STRBUF_INIT;
	keptcopies_group_text(c->group, &group);
	if (c->kind == KEPT_DATABASE)
		strbuf_addf(&name, _("database \"%s\""), c->name);
	else
		strbuf_addstr(&name, c->name);
	strbuf_humanise_age_l10n(&age, (long long)(now - c->when));
	strbuf_humanise_bytes(&bytes, c->bytes);
	if (c->partial)
		strbuf_addf(&size, _("at least %s"), bytes.buf);
	else
		strbuf_addbuf(&size, &bytes);
	if (c->newest)
		strbuf_addf(out, _("kept copy of the %s: %s (%s old, %s), the newest of its kind"),
			    group.buf, name.buf, age.buf, size.buf);
	else
		strbuf_addf(out, _("kept copy of the %s: %s (%s old, %s)"), group.buf, name.buf,
			    age.buf, size.buf);
	strbuf_release(&group);
	strbuf_release(&name);
	strbuf_release(&age);
	strbuf_release(&size);
	strbuf_release(&bytes);
}

static void total_line(const struct kept_list *l, uint64_t total, int partial, struct strbuf *out)
{
	struct strbuf size = STRBUF_INIT;
	strbuf_humanise_bytes(&size, total);
	if (partial)
		strbuf_addf(out, P_("%zu kept copy from earlier restores takes at least %s; "
				    "biso-recover cleanup lists it with its whole size",
				    "%zu kept copies from earlier restores take at least %s; "
				    "biso-recover cleanup lists them with their whole sizes and "
				    "removes the ones you choose", l->n), l->n, size.buf);
	else
		strbuf_addf(out, P_("%zu kept copy from earlier restores takes %s; "
				    "biso-recover cleanup lists it",
				    "%zu kept copies from earlier restores take %s; biso-recover "
				    "cleanup lists them and removes the ones you choose", l->n),
			    l->n, size.buf);
	strbuf_release(&size);
}

static void full_line(const struct kept_copy *c, uint64_t used, int partial, struct strbuf *out)
{
	struct strbuf u = STRBUF_INIT, f = STRBUF_INIT;
	strbuf_humanise_bytes(&u, used);
	strbuf_humanise_bytes(&f, c->fs_free);
	if (partial)
		strbuf_addf(out, _("the kept copies take at least %s on the filesystem of %s, more than "
				   "the %s still free there: remove old ones with biso-recover cleanup"),
			    u.buf, c->name, f.buf);
	else
		strbuf_addf(out, _("the kept copies take %s on the filesystem of %s, more than the %s "
				   "still free there: remove old ones with biso-recover cleanup"),
			    u.buf, c->name, f.buf);
	strbuf_release(&u);
	strbuf_release(&f);
}

/* Log @en (built inside i18n_english(1)) to the run log and @shown to the
 * screen; both are reset for the next line. */
static void log_both(struct report *r, enum log_level level, struct strbuf *en, struct strbuf *shown)
{
	report_log_l10n(r, level, shown->buf, "%s", en->buf);
	strbuf_reset(en);
	strbuf_reset(shown);
}

int keptcopies_report(const struct kept_list *l, time_t now, struct report *r)
{
	struct strbuf en = STRBUF_INIT, shown = STRBUF_INIT;
	uint64_t total = 0;
	int warned = 0, partial = 0, was;
	if (!l->n)
		return 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct kept_copy *c = &l->items[i];
		partial |= c->partial;
		was = i18n_english(1);
		copy_line(c, now, &en);
		i18n_english(was);
		copy_line(c, now, &shown);
		log_both(r, LOG_INFO, &en, &shown);
		total += c->bytes;
	}
	was = i18n_english(1);
	total_line(l, total, partial, &en);
	i18n_english(was);
	total_line(l, total, partial, &shown);
	log_both(r, LOG_INFO, &en, &shown);
	for (size_t i = 0; i < l->n; i++) {
		const struct kept_copy *c = &l->items[i];
		uint64_t used;
		int first = c->fs_known;
		for (size_t k = 0; first && k < i; k++)
			if (l->items[k].fs_known && l->items[k].fs_dev == c->fs_dev)
				first = 0;
		if (!first || (used = keptcopies_bytes_on_fs(l, i)) <= c->fs_free)
			continue;
		was = i18n_english(1);
		full_line(c, used, partial, &en);
		i18n_english(was);
		full_line(c, used, partial, &shown);
		log_both(r, LOG_WARN, &en, &shown);
		warned++;
	}
	strbuf_release(&en);
	strbuf_release(&shown);
	return warned;
}
