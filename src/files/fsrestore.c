/* fsrestore: the file tree restore, its context and shared helpers;
 * see fsrestore.h (API) and fsrestore_int.h (how the engine is split). */
#include "config.h"
#include "fsrestore.h"
#include "timestamp.h"
#include "fsrestore_int.h"
#include "i18n.h"
#include "exclude.h"
#include "fault.h"
#include "magic.h"
#include "pathguard.h"
#include "err.h"
#include "report.h"
#include "strbuf.h"
#include "swap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* ---- shared helpers --------------------------------------------------- */

void fsrestore_warn(struct ctx *c, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	c->res->warnings++;
	if (!c->quiet)
		report_log(c->r, LOG_WARN, "%s", sb.buf);
	strbuf_release(&sb);
}

/* A member not restored because it is unsafe or cannot be written: counted
 * in skipped and refused, logged as a warning. */
void fsrestore_refuse(struct ctx *c, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	c->res->skipped++;
	c->res->refused++;
	fsrestore_warn(c, "%s", sb.buf);
	strbuf_release(&sb);
}

/* The one decision about an entry found in a source: excluded (counted,
 * not descended), special file (FIFO, socket, device: counted, warned) or
 * kept.  Returns 1 to keep it. */
int fsrestore_keep_entry(struct ctx *c, const char *rel, int is_dir, int special)
{
	if (*rel && exclude_match_path(c->ex, rel, is_dir)) {
		c->res->excluded++;
		return 0;
	}
	if (special) {
		c->res->skipped++;
		fsrestore_warn(c, "skipped %s: FIFOs, sockets and device files are not restored", rel);
		return 0;
	}
	return 1;
}

const char *fsrestore_dest_path(struct ctx *c, struct strbuf *sb, const char *rel)
{
	strbuf_reset(sb);
	strbuf_addstr(sb, c->dest);
	if (*rel) {
		strbuf_addch(sb, '/');
		strbuf_addstr(sb, rel);
	}
	return sb->buf;
}

void fsrestore_progress(struct ctx *c, const char *phase, const char *cur, int force)
{
	struct progress p;
	memset(&p, 0, sizeof p);
	fault_pointf("files.%s", phase);
	p.phase = phase;
	p.current = cur;
	p.done_items = c->done_items;
	p.total_items = c->scanned ? c->scan_items : 0;
	if (!c->is_dir) {
		/* an archive's progress is its position in the file, also
		 * after a scan (which counts content bytes, not headers) */
		p.done_bytes = c->done_bytes;
		p.total_bytes = c->file_size;
	} else {
		p.done_bytes = c->done_bytes;
		p.total_bytes = c->scanned ? c->scan_bytes : 0;
	}
	report_progress(c->r, &p, force);
}

int fsrestore_cancelled(struct ctx *c)
{
	if (!report_cancelled(c->r))
		return 0;
	if (c->verify_only) {
		err_set(c->e, "verification aborted: %s", report_stop_reason(c->r));
		return 1;
	}
	err_set(c->e, "file restore aborted: %s", report_stop_reason(c->r));
	if (c->o->mode == FSRESTORE_INPLACE)
		err_detail(c->e, "the target %s was emptied and is only partly restored", c->o->target);
	else
		err_detail(c->e, "the target %s was not changed", c->o->target);
	return 1;
}

/* Entries of a directory read at a time, at most; they are served in
 * inode order within a batch (see fsrestore_dir_open). */
#define DIR_BATCH 4096

struct fsrestore_dir {
	DIR *d;
	struct dirent **e; /* the batch, sorted by inode number */
	size_t n, i;
};

struct fsrestore_dir *fsrestore_dir_open(int fd)
{
	struct fsrestore_dir *dr;
	DIR *d = fdopendir(fd);
	if (!d)
		return NULL;
	dr = xcalloc(1, sizeof *dr);
	dr->d = d;
	dr->e = xmalloc(DIR_BATCH * sizeof *dr->e);
	return dr;
}

int fsrestore_dir_fd(struct fsrestore_dir *dr)
{
	return dirfd(dr->d);
}

static void dir_batch_free(struct fsrestore_dir *dr)
{
	for (size_t i = 0; i < dr->n; i++)
		free(dr->e[i]);
	dr->n = dr->i = 0;
}

void fsrestore_dir_close(struct fsrestore_dir *dr)
{
	int saved = errno; /* callers report the errno of what failed before */
	if (!dr)
		return;
	dir_batch_free(dr);
	free(dr->e);
	closedir(dr->d);
	free(dr);
	errno = saved;
}

static int by_inode(const void *a, const void *b)
{
	ino_t x = (*(struct dirent *const *)a)->d_ino, y = (*(struct dirent *const *)b)->d_ino;
	return x < y ? -1 : x > y;
}

/* Read the next batch; 0, or -1 with errno set. */
static int dir_batch_read(struct fsrestore_dir *dr)
{
	dir_batch_free(dr);
	while (dr->n < DIR_BATCH) {
		struct dirent *de;
		size_t len;
		errno = 0;
		if (!(de = readdir(dr->d))) {
			if (errno)
				return -1;
			break;
		}
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		len = offsetof(struct dirent, d_name) + strlen(de->d_name) + 1;
		dr->e[dr->n] = xmalloc(len < sizeof *de ? sizeof *de : len);
		memcpy(dr->e[dr->n], de, len);
		dr->n++;
	}
	qsort(dr->e, dr->n, sizeof *dr->e, by_inode);
	return 0;
}

struct dirent *fsrestore_next_entry(struct fsrestore_dir *dr, struct strbuf *rel, size_t keep)
{
	struct dirent *de;
	if (dr->i == dr->n && (dir_batch_read(dr) < 0 || !dr->n))
		return NULL;
	errno = 0;
	de = dr->e[dr->i++];
	strbuf_setlen(rel, keep);
	if (keep)
		strbuf_addch(rel, '/');
	strbuf_addstr(rel, de->d_name);
	return de;
}

const struct dirent *fsrestore_dir_peek(const struct fsrestore_dir *dr, size_t k)
{
	return dr->i && dr->i - 1 + k < dr->n ? dr->e[dr->i - 1 + k] : NULL;
}

/* ---- run -------------------------------------------------------------- */

void fsrestore_add_counts(struct strbuf *sb, const struct fsrestore_result *res)
{
	strbuf_addcount(sb, res->files, "file", "files");
	strbuf_addstr(sb, ", ");
	strbuf_addcount(sb, res->dirs, "directory", "directories");
	strbuf_addstr(sb, ", ");
	strbuf_addcount(sb, res->symlinks, "symlink", "symlinks");
}

void fsrestore_add_counts_l10n(struct strbuf *sb, const struct fsrestore_result *res)
{
	strbuf_addf(sb, P_("%llu file", "%llu files", res->files), (unsigned long long)res->files);
	strbuf_addstr(sb, ", ");
	strbuf_addf(sb, P_("%llu directory", "%llu directories", res->dirs),
		    (unsigned long long)res->dirs);
	strbuf_addstr(sb, ", ");
	strbuf_addf(sb, P_("%llu symlink", "%llu symlinks", res->symlinks),
		    (unsigned long long)res->symlinks);
}

void fsrestore_result_release(struct fsrestore_result *res)
{
	if (!res)
		return;
	free(res->kept_as);
	memset(res, 0, sizeof *res);
}

/* Canonical absolute target: realpath of the target if it exists, else of
 * its parent plus the base name. */
char *fsrestore_canonical_target(const char *target, struct err *e)
{
	char *t = xstrdup(target), *slash, *parent, *res;
	size_t len = strlen(t);
	while (len > 1 && t[len - 1] == '/')
		t[--len] = '\0';
	res = realpath(t, NULL);
	if (res) {
		free(t);
		return res;
	}
	if (errno != ENOENT) {
		err_errno(e, errno, "cannot resolve target %s", target);
		free(t);
		return NULL;
	}
	slash = strrchr(t, '/');
	if (slash == t)
		parent = realpath("/", NULL);
	else if (slash) {
		*slash = '\0';
		parent = realpath(t, NULL);
		*slash = '/';
	} else {
		parent = realpath(".", NULL);
	}
	if (!parent) {
		err_errno(e, errno, "cannot resolve the directory of target %s", target);
		err_hint(e, "create the parent directory first");
		free(t);
		return NULL;
	}
	res = xstrfmt("%s/%s", strcmp(parent, "/") ? parent : "", slash ? slash + 1 : t);
	free(parent);
	free(t);
	return res;
}

/* Bytes to write, with the margin. */
static uint64_t space_needed(struct ctx *c)
{
	uint64_t need = c->need_bytes;
	if (!c->scanned && c->file_size > need)
		need = c->file_size; /* compressed archive: at least its size */
	return fsrestore_with_margin(need);
}

static void space_error(struct ctx *c, const char *dir, uint64_t need, uint64_t avail,
			const char *what_free)
{
	char *doing = c->o->mode == FSRESTORE_SNAPSHOT
			      ? (c->o->doing ? xstrdup(c->o->doing) : xstrfmt("copy %s", c->o->source))
			      : xstrfmt("restore %s", c->o->source);
	fsrestore_space_error(c->e, dir, doing, need, avail, what_free);
	free(doing);
	c->res->no_space = 1;
	if (c->o->mode == FSRESTORE_REPLACE)
		err_hint(c->e, "free space on that filesystem, or restore in place with --in-place "
			       "(the old tree is removed first and not kept)");
	else
		err_hint(c->e, "free space on that filesystem");
}

/* Does the restore fit into @dir when @extra more bytes are freed first?
 * 1 yes, 0 no (with @e filled when @report), -1 error. */
static int space_check(struct ctx *c, const char *dir, uint64_t extra, int report)
{
	struct statvfs sv;
	uint64_t avail, need, inodes;
	if (statvfs(dir, &sv) < 0)
		return err_errno(c->e, errno, "cannot check free space in %s", dir);
	avail = (uint64_t)sv.f_bavail * sv.f_frsize + extra;
	c->avail_at_start = avail;
	need = space_needed(c);
	if (avail < need) {
		if (report)
			space_error(c, dir, need, avail, extra ? "free with the old tree removed" : "free");
		return 0;
	}
	inodes = c->scan_items + 1000;
	if (c->scanned && sv.f_files && (uint64_t)sv.f_favail < inodes) {
		if (report) {
			err_set(c->e, "not enough inodes in %s to restore %s", dir, c->o->source);
			err_detail(c->e, "needed %llu, free %llu", (unsigned long long)inodes,
				   (unsigned long long)sv.f_favail);
			err_hint(c->e, "remove files on that filesystem first");
		}
		return 0;
	}
	return 1;
}

/* After ENOSPC part way: count what the whole source needs (reading the
 * rest without writing) and say it. */
static void out_of_space_error(struct ctx *c, const char *dir)
{
	struct err e2 = ERR_INIT;
	struct err *keep = c->e;
	struct fsrestore_result *orig = c->res, scratch;
	char *first = NULL;
	uint64_t need;
	if (keep && keep->msg)
		first = xstrdup(keep->msg);
	if (!c->scanned) {
		memset(&scratch, 0, sizeof scratch);
		c->res = &scratch;
		c->e = &e2;
		c->quiet = 1;
		c->need_bytes = c->scan_items = 0;
		if (fsrestore_walk(c, PASS_SCAN) == 0)
			c->scanned = 1;
		c->quiet = 0;
		c->e = keep;
		c->res = orig;
		err_clear(&e2);
	}
	need = space_needed(c);
	space_error(c, dir, need, c->avail_at_start, "free when the restore started");
	err_set(c->e, "the target filesystem %s ran full while restoring %s", dir, c->o->source);
	if (first) {
		struct strbuf d = STRBUF_INIT;
		strbuf_addf(&d, "%s; %s", first, c->e->detail ? c->e->detail : "");
		err_detail(c->e, "%s", d.buf);
		strbuf_release(&d);
	}
	free(first);
}

/* @stamp, or now's (timestamp_name()): the kept copy's suffix. */
static char *make_stamp(const char *stamp)
{
	char buf[16];
	if (stamp)
		return xstrdup(stamp);
	timestamp_name(time(NULL), buf);
	return xstrdup(buf);
}

static int path_within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);
	return !strncmp(inner, outer, n) && (inner[n] == '/' || inner[n] == '\0');
}

void fsrestore_ctx_init(struct ctx *c, const struct fsrestore_opts *o, struct report *r,
			struct fsrestore_result *res, struct err *e)
{
	memset(res, 0, sizeof *res);
	memset(c, 0, sizeof *c);
	c->o = o;
	c->source = o->source;
	c->r = r;
	c->e = e;
	c->res = res;
	c->root = geteuid() == 0;
	c->link_fd = -1;
	strbuf_init(&c->path, 256);
	strbuf_init(&c->path2, 256);
	strbuf_init(&c->diff_rel, 0);
	strbuf_init(&c->diff_what, 0);
	strbuf_init(&c->diff_what_l10n, 0);
	strbuf_init(&c->okdir, 0);
}

void fsrestore_pool_line(pthread_mutex_t *mu, struct report *r, enum log_level level,
			 const char *line, const char *shown)
{
	pthread_mutex_lock(mu);
	report_line(r, level, line, shown);
	pthread_mutex_unlock(mu);
}

int fsrestore_pool_cancelled(pthread_mutex_t *mu, struct report *r, const int *stop)
{
	int why;
	pthread_mutex_lock(mu);
	why = stop && *stop ? 1 : report_cancelled(r);
	pthread_mutex_unlock(mu);
	return why;
}

void fsrestore_ctx_fork(struct ctx *w, const struct ctx *c, struct report *r,
			struct fsrestore_result *res, struct err *e)
{
	fsrestore_ctx_init(w, c->o, r, res, e);
	w->forked = 1;
	w->source = c->source;
	w->ex = c->ex;
	w->kind = c->kind;
	w->is_dir = c->is_dir;
	w->compressed = c->compressed;
	w->src_root = c->src_root;
	w->file_size = c->file_size;
	w->dest = c->dest;
	w->root = c->root;
	w->scanned = c->scanned;
	w->scan_bytes = c->scan_bytes;
	w->scan_items = c->scan_items;
	w->need_bytes = c->need_bytes;
	w->quiet = c->quiet;
	w->verify = c->verify;
	w->avail_at_start = c->avail_at_start;
	w->on_diff = c->on_diff;
	w->diff_ctx = c->diff_ctx;
	w->verify_only = c->verify_only;
	w->link_fd = c->link_fd;
}

void fsrestore_ctx_release(struct ctx *c)
{
	if (!c->forked) {
		exclude_free(c->ex);
		if (c->link_fd >= 0)
			close(c->link_fd);
		free(c->src_root);
	}
	fsrestore_free_dirs(c);
	free(c->iobuf);
	fsrestore_linkset_free(&c->names);
	fsrestore_linkset_free(&c->changed);
	strbuf_release(&c->path);
	strbuf_release(&c->path2);
	strbuf_release(&c->diff_rel);
	strbuf_release(&c->diff_what);
	strbuf_release(&c->diff_what_l10n);
	strbuf_release(&c->okdir);
}

/* What kind of source c->source is (directory or archive, by content),
 * its size, and the exclude patterns.  Returns 0, or -1 with c->e set. */
int fsrestore_source_setup(struct ctx *c)
{
	const struct fsrestore_opts *o = c->o;
	struct err *e = c->e;
	struct stat st;
	if (magic_detect(c->source, &c->kind, e) < 0)
		return -1;
	if (c->kind == MAGIC_MISSING) {
		err_set(e, "source %s does not exist", o->source);
		err_hint(e, "give the backup directory or archive of the tree to restore");
		return -1;
	}
	if (!magic_is_tree(c->kind)) {
		if (c->kind == MAGIC_SQL)
			err_set(e, "source %s is a text file (a plain SQL dump?), not a directory or an archive",
				o->source);
		else if (c->kind == MAGIC_GZIP_SQL)
			err_set(e, "source %s is gzip-compressed data without a tar archive in it "
				"(a compressed SQL dump, or a damaged or cut-off .tar.gz)", o->source);
		else
			err_set(e, "source %s is neither a directory nor an archive (%s)", o->source,
				magic_name(c->kind));
		err_hint(e, "a tree is restored from an rsync copy or a .tar/.tar.gz/.tar.xz/.tar.zst/.zip archive");
		return -1;
	}
	c->is_dir = c->kind == MAGIC_DIR;
	c->compressed = !c->is_dir && c->kind != MAGIC_TAR && c->kind != MAGIC_ZIP;
	if (stat(c->source, &st) == 0)
		c->file_size = c->is_dir ? 0 : (uint64_t)st.st_size;
	if (c->is_dir) {
		size_t len;
		/* The directory itself, also when the source names it through a
		 * symlink (backup/webroot/latest -> 2026-12-01): the copy
		 * follows it, and so must the verification and the walk, which
		 * would otherwise see one symlink (issue 9.10). */
		c->src_root = realpath(c->source, NULL);
		if (!c->src_root)
			c->src_root = xstrdup(c->source);
		len = strlen(c->src_root);
		while (len > 1 && c->src_root[len - 1] == '/')
			c->src_root[--len] = '\0';
	}
	c->ex = exclude_new(o->excludes, e);
	if (!c->ex)
		return -1;
	return 0;
}

int fsrestore_run(const struct fsrestore_opts *o, struct report *r, struct fsrestore_result *res,
		  struct err *e)
{
	struct ctx c;
	char *target = NULL, *staging = NULL, *kept = NULL, *stamp = NULL, *srcreal = NULL;
	char *fetch_dir = NULL, *fetched = NULL, *dir = NULL;
	struct stat st;
	int rc = -1, target_exists, made_staging = 0;

	fsrestore_ctx_init(&c, o, r, res, e);
	c.verify = !o->no_verify;

	if (!o->source || !*o->source || !o->target || !*o->target) {
		err_set(e, "file restore needs a source and a target");
		goto out;
	}
	/* before anything is fetched or written, in a dry run too */
	if (pathguard_target("target", o->target, e) < 0) {
		res->target_refused = 1;
		goto out;
	}
	target = fsrestore_canonical_target(o->target, e);
	if (!target)
		goto out;
	dir = xstrdup(target);
	*strrchr(dir, '/') = '\0';
	if (!*dir) {
		free(dir);
		dir = xstrdup("/");
	}
	if (fsrestore_is_remote(o->source)) {
		fetch_dir = xstrfmt("%s.fetching", target);
		if (lstat(fetch_dir, &st) == 0 && fsrestore_rmtree(fetch_dir, e) < 0)
			goto out;
		if (fsrestore_fetch(o->source, fetch_dir, o->rsh, o->xattrs, o->acls, r, &fetched, e) < 0)
			goto out;
		c.source = fetched;
	}
	if (fsrestore_source_setup(&c) < 0)
		goto out;
	srcreal = realpath(c.source, NULL);
	if (srcreal && (path_within(srcreal, target) || (c.is_dir && path_within(target, srcreal)))) {
		err_set(e, "source %s and target %s overlap", o->source, o->target);
		err_hint(e, "restore from a backup outside the target tree");
		goto out;
	}
	target_exists = lstat(target, &st) == 0;
	if (o->mode == FSRESTORE_SNAPSHOT) {
		if (!c.is_dir) {
			err_set(e, "a snapshot needs a directory source; %s is not one", o->source);
			goto out;
		}
		if (target_exists) {
			err_set(e, "the snapshot %s exists already", target);
			err_hint(e, "move it away or take the snapshot under another name");
			goto out;
		}
		if (o->link_dest) {
			c.link_fd = open(o->link_dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (c.link_fd < 0) {
				err_errno(e, errno, "cannot open the earlier snapshot %s", o->link_dest);
				goto out;
			}
		}
	}
	if (target_exists && !S_ISDIR(st.st_mode)) {
		err_set(e, "target %s exists and is not a directory", target);
		err_hint(e, "move it away first");
		goto out;
	}

	/* totals: a scan of directories and plain archives (cheap: tar data
	 * is skipped by seeking); compressed ones by their trailer, else by
	 * a pass over the headers */
	{
		uint64_t est = 0;
		int known = c.compressed && !o->dry_run &&
			    fsrestore_estimate_size(c.source, (int)c.kind, &est);
		if (known) {
			c.need_bytes = est;
			report_log(r, LOG_DEBUG, "%s: about %llu bytes uncompressed (from its trailer)",
				   c.source, (unsigned long long)est);
		} else {
			c.dest = target;
			c.quiet = 1;
			fsrestore_progress(&c, N_("scanning"), NULL, 1);
			if ((c.is_dir ? fsrestore_scan_dir(&c) : fsrestore_walk(&c, PASS_SCAN)) < 0)
				goto out;
			c.quiet = 0;
			c.scanned = 1;
			if (o->dry_run) {
				/* English for the log, and the screen's translation */
				struct strbuf sb[2] = { STRBUF_INIT, STRBUF_INIT };
				char *shown;
				for (int l10n = 0; l10n < 2; l10n++) {
					int was = i18n_english(!l10n);
					unsigned long long n = res->bytes;
					fsrestore_add_counts_l10n(&sb[l10n], res);
					strbuf_addf(&sb[l10n], P_(", %llu byte", ", %llu bytes", n), n);
					if ((n = res->refused))
						strbuf_addf(&sb[l10n], P_("; %llu member would be refused",
									  "; %llu members would be refused", n), n);
					i18n_english(was);
				}
				if (o->scan_only) {
					shown = xstrfmt(_("%s holds %s"), o->source, sb[1].buf);
					report_log_l10n(r, LOG_INFO, shown, "%s holds %s", o->source, sb[0].buf);
				} else {
					shown = xstrfmt(_("dry run: %s holds %s"), o->source, sb[1].buf);
					report_log_l10n(r, LOG_INFO, shown, "dry run: %s holds %s", o->source,
							sb[0].buf);
				}
				free(shown);
				strbuf_release(&sb[0]);
				strbuf_release(&sb[1]);
				rc = 0;
				goto out;
			}
			/* the extract pass counts again */
			res->files = res->dirs = res->symlinks = res->bytes = 0;
			res->skipped = res->refused = res->excluded = res->warnings = 0;
		}
	}

	if (o->mode == FSRESTORE_SNAPSHOT) {
		int fits = space_check(&c, dir, 0, 1);
		if (fits <= 0)
			goto out;
		if (mkdir(target, 0700) < 0) {
			err_errno(e, errno, "cannot create %s", target);
			goto out;
		}
		staging = xstrdup(target); /* removed again on failure */
		made_staging = 1;
		c.dest = target;
		fsrestore_progress(&c, N_("copying"), NULL, 1);
		if (fsrestore_copy_tree(&c) < 0) {
			if (c.out_of_space)
				out_of_space_error(&c, dir);
			goto out;
		}
	} else if (o->mode == FSRESTORE_MERGE) {
		if (!target_exists && mkdir(target, 0700) < 0) {
			err_errno(e, errno, "cannot create %s", target);
			goto out;
		}
		c.dest = target;
		if (fsrestore_walk(&c, PASS_EXTRACT) < 0)
			goto out;
	} else if (o->mode == FSRESTORE_INPLACE) {
		int fits;
		uint64_t old;
		if (!target_exists) {
			err_set(e, "in-place restore needs an existing target; %s does not exist", target);
			err_hint(e, "restore without --in-place");
			goto out;
		}
		fits = space_check(&c, dir, 0, 0);
		if (fits < 0)
			goto out;
		if (fits) {
			err_set(e, "there is room to restore %s beside the old tree; an in-place restore is only for when there is not",
				o->source);
			err_hint(e, "restore without --in-place: the old tree is then kept");
			goto out;
		}
		old = fsrestore_du_at(AT_FDCWD, target);
		fits = space_check(&c, dir, old, 1);
		if (fits <= 0)
			goto out;
		if (!o->confirm_inplace) {
			err_set(e, "an in-place restore removes everything in %s first and keeps no copy", target);
			err_hint(e, "confirm it (biso-recover files-restore --in-place --yes), or free space for a normal restore");
			goto out;
		}
		report_log(r, LOG_WARN, "in-place restore: removing the content of %s (%llu bytes) first",
			   target, (unsigned long long)old);
		if (fsrestore_empty_dir(target, e) < 0)
			goto out;
		c.dest = target;
		fsrestore_progress(&c, N_("copying"), NULL, 1);
		if (fsrestore_walk(&c, PASS_EXTRACT) < 0) {
			if (c.out_of_space)
				out_of_space_error(&c, dir);
			err_hint(e, "%s was emptied and is only partly restored; restore again once the cause is fixed",
				 target);
			goto out;
		}
	} else {
		int fits;
		stamp = make_stamp(o->stamp);
		staging = o->staging ? xstrdup(o->staging) : xstrfmt("%s.restoring", target);
		kept = o->kept ? xstrdup(o->kept) : xstrfmt("%s.pre-restore-%s", target, stamp);
		if (target_exists && lstat(kept, &st) == 0) {
			err_set(e, "%s already exists", kept);
			err_hint(e, "move it away or give another time stamp");
			goto out;
		}
		if (lstat(staging, &st) == 0) {
			report_log(r, LOG_INFO, "removing the left-over staging tree %s", staging);
			if (fsrestore_rmtree(staging, e) < 0)
				goto out;
		}
		fits = space_check(&c, dir, 0, 1);
		if (fits <= 0)
			goto out;
		if (mkdir(staging, 0700) < 0) {
			err_errno(e, errno, "cannot create the staging directory %s", staging);
			goto out;
		}
		made_staging = 1;
		c.dest = staging;
		fsrestore_progress(&c, N_("copying"), NULL, 1);
		if ((fsrestore_copy_tree_fits(&c) ? fsrestore_copy_tree(&c) : fsrestore_walk(&c, PASS_EXTRACT)) < 0) {
			if (c.out_of_space) {
				/* free the space before counting */
				struct err e2 = ERR_INIT;
				if (fsrestore_rmtree(staging, &e2) == 0)
					made_staging = 0;
				err_clear(&e2);
				out_of_space_error(&c, dir);
				err_hint(e, "the target %s was not changed; free space on that filesystem and try again",
					 target);
			}
			goto out;
		}
	}
	fsrestore_progress(&c, N_("copying"), NULL, 1);
	fsrestore_diff_flush(&c);
	/* Every member refused (a hostile or "tar -P" archive): restoring an
	 * empty tree over the target would only destroy it. */
	if (o->mode != FSRESTORE_MERGE && o->mode != FSRESTORE_SNAPSHOT && res->skipped &&
	    !res->files && !res->symlinks && res->dirs <= 1) {
		err_set(e, "nothing in %s could be restored: all %llu member(s) were refused",
			o->source, (unsigned long long)res->skipped);
		err_detail(e, "the refused members are listed above");
		err_hint(e, "the target %s was not changed", target);
		goto out;
	}
	if (res->differences) {
		err_set(e, "the restored tree differs from %s in %llu places", o->source,
			(unsigned long long)res->differences);
		err_detail(e, "the differences are in the log");
		if (o->mode == FSRESTORE_REPLACE)
			err_hint(e, "the target %s was not changed", target);
		goto out;
	}
	if (c.verify) {
		/* not a plain "matches" right after refusals and mode changes
		 * were listed: say the tree matches apart from those */
		/* apart[0] English for the log, apart[1] the screen's */
		struct strbuf apart[2] = { STRBUF_INIT, STRBUF_INIT };
		unsigned long long n = res->refused, m = res->modes_changed;
		char *shown;
		for (int l10n = 0; l10n < 2; l10n++) {
			int was = i18n_english(!l10n);
			struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
			strbuf_addf(&a, P_("%llu refused member", "%llu refused members", n), n);
			strbuf_addf(&b, P_("%llu mode changed", "%llu modes changed", m), m);
			if (n && m)
				strbuf_addf(&apart[l10n], _(", apart from the %s and the %s above"), a.buf, b.buf);
			else if (n || m)
				strbuf_addf(&apart[l10n], _(", apart from the %s above"), n ? a.buf : b.buf);
			i18n_english(was);
			strbuf_release(&a);
			strbuf_release(&b);
		}
		if (o->mode == FSRESTORE_SNAPSHOT) {
			shown = xstrfmt(_("verified: the snapshot %s matches %s%s (type, size, mode, mtime, "
					  "link target)"), target, o->source, apart[1].buf);
			report_log_l10n(r, LOG_INFO, shown, "verified: the snapshot %s matches %s%s (type, "
					"size, mode, mtime, link target)", target, o->source, apart[0].buf);
		} else {
			shown = xstrfmt(_("verified: the restored tree matches the backup %s%s (type, size, "
					  "mode, mtime, link target%s)"), o->source, apart[1].buf,
					o->checksum ? _(", SHA-256 of content") : "");
			report_log_l10n(r, LOG_INFO, shown, "verified: the restored tree matches the backup "
					"%s%s (type, size, mode, mtime, link target%s)", o->source,
					apart[0].buf, o->checksum ? ", SHA-256 of content" : "");
		}
		free(shown);
		strbuf_release(&apart[0]);
		strbuf_release(&apart[1]);
	}
	if (o->set_owner && fsrestore_set_owner(c.dest, o->uid, o->gid, r, e) < 0)
		goto out;
	if (o->mode == FSRESTORE_SNAPSHOT)
		made_staging = 0; /* complete: the caller's now */
	if (o->mode == FSRESTORE_REPLACE) {
		const char *what = o->name ? o->name : "tree";
		char *old_at = NULL;
		if (o->before_swap && o->before_swap(o->before_swap_ctx, r, e) < 0)
			goto out;
		if (swap_trees(target, staging, kept, o->carry, what, &old_at, r, e) < 0)
			goto out;
		made_staging = 0;
		if (old_at) {
			res->kept_as = old_at;
			report_log(r, LOG_INFO, "the previous tree is kept as %s", res->kept_as);
		}
	}
	rc = 0;
out:
	if (rc < 0 && made_staging) {
		struct err e2 = ERR_INIT;
		if (fsrestore_rmtree(staging, &e2) < 0) {
			err_prefix(&e2, "could not remove the staging tree");
			report_log_l10n(r, LOG_ERROR, e2.lmsg, "%s", e2.msg);
		}
		err_clear(&e2);
	}
	if (fetch_dir) {
		struct err e2 = ERR_INIT;
		if (fsrestore_rmtree(fetch_dir, &e2) < 0) {
			err_prefix(&e2, "could not remove the fetched copy");
			report_log_l10n(r, LOG_ERROR, e2.lmsg, "%s", e2.msg);
		}
		err_clear(&e2);
	}
	fsrestore_diff_flush(&c);
	fsrestore_ctx_release(&c);
	free(target);
	free(staging);
	free(kept);
	free(stamp);
	free(srcreal);
	free(fetch_dir);
	free(fetched);
	free(dir);
	return rc;
}
