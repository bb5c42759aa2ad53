/* fsrestore: file tree restore engine; see fsrestore.h. */
#include "config.h"
#include "fsrestore.h"
#include "exclude.h"
#include "magic.h"
#include "err.h"
#include "report.h"
#include "strbuf.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

enum pass { PASS_SCAN, PASS_EXTRACT, PASS_VERIFY };

struct ctx {
	const struct fsrestore_opts *o;
	struct report *r;
	struct err *e;
	struct fsrestore_result *res;
	struct exclude_list *ex;
	enum magic_kind kind;
	int is_dir;          /* source is a directory */
	int compressed;      /* archive behind a compression filter */
	char *src_root;      /* source without trailing slashes (directories) */
	uint64_t file_size;  /* archive size in bytes */
	const char *dest;    /* absolute, canonical directory written to */
	int root;            /* running as root */
	/* scan totals */
	int scanned;
	uint64_t scan_bytes, scan_items, need_bytes;
	/* running */
	uint64_t done_bytes, done_items;
	struct strbuf path;  /* scratch: dest/rel */
	struct strbuf path2; /* scratch: dest/hardlink */
	int quiet;           /* scan pass: count, do not log */
	/* the root entry: write_disk leaves existing directories alone */
	int have_root;
	mode_t root_perm;
	struct timespec root_times[2];
	int64_t root_uid, root_gid;
};

/* ---- names ------------------------------------------------------------ */

int fsrestore_clean_name(const char *name, char **out, const char **why)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = name;
	*out = NULL;
	if (!name || !*name) {
		*why = "empty name";
		return 0;
	}
	if (name[0] == '/') {
		*why = "absolute path";
		return 0;
	}
	if (name[0] == '\\' && name[1] == '\\') {
		*why = "UNC path";
		return 0;
	}
	if (isalpha((unsigned char)name[0]) && name[1] == ':') {
		*why = "drive letter";
		return 0;
	}
	while (*p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			*why = "\"..\" in the path";
			strbuf_release(&sb);
			return 0;
		}
		/* "..\" and "\.." as Windows writers mean them */
		for (size_t i = 0; i + 1 < len; i++) {
			if (p[i] == '.' && p[i + 1] == '.' && (i == 0 || p[i - 1] == '\\') &&
			    (i + 2 == len || p[i + 2] == '\\') && memchr(p, '\\', len)) {
				*why = "\"..\" in the path";
				strbuf_release(&sb);
				return 0;
			}
		}
		if (len && !(len == 1 && p[0] == '.')) {
			if (sb.len)
				strbuf_addch(&sb, '/');
			strbuf_add(&sb, p, len);
		}
		p += len;
		while (*p == '/')
			p++;
	}
	*out = strbuf_detach(&sb, NULL);
	return 1;
}

/* Does symlink @target, stored at relative path @rel, point out of the tree? */
static int link_leaves_tree(const char *rel, const char *target)
{
	int depth = 0;
	const char *p;
	if (target[0] == '/')
		return 1;
	for (p = rel; (p = strchr(p, '/')); p++)
		depth++;
	for (p = target; *p;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 1;
		} else if (len && !(len == 1 && p[0] == '.')) {
			depth++;
		}
		p += len;
		while (*p == '/')
			p++;
	}
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

/* Link names that cannot be converted to the locale (a UTF-8 zip read in
 * the C locale): keep the bytes as stored, as rsync keeps names. */
static void raw_link_names(struct archive_entry *ent)
{
	if (archive_entry_hardlink_utf8(ent) && !archive_entry_hardlink(ent))
		archive_entry_copy_hardlink(ent, archive_entry_hardlink_utf8(ent));
	if (archive_entry_symlink_utf8(ent) && !archive_entry_symlink(ent))
		archive_entry_copy_symlink(ent, archive_entry_symlink_utf8(ent));
}

static void warn(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct ctx *c, const char *fmt, ...)
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

static const char *dest_path(struct ctx *c, struct strbuf *sb, const char *rel)
{
	strbuf_reset(sb);
	strbuf_addstr(sb, c->dest);
	if (*rel) {
		strbuf_addch(sb, '/');
		strbuf_addstr(sb, rel);
	}
	return sb->buf;
}

static void progress(struct ctx *c, const char *phase, const char *cur, int force)
{
	struct progress p;
	memset(&p, 0, sizeof p);
	p.phase = phase;
	p.current = cur;
	p.done_items = c->done_items;
	p.total_items = c->scanned ? c->scan_items : 0;
	if (!c->is_dir && (c->compressed || !c->scanned)) {
		p.done_bytes = c->done_bytes;
		p.total_bytes = c->file_size;
	} else {
		p.done_bytes = c->done_bytes;
		p.total_bytes = c->scanned ? c->scan_bytes : 0;
	}
	report_progress(c->r, &p, force);
}

static int cancelled(struct ctx *c)
{
	if (!report_cancelled(c->r))
		return 0;
	err_set(c->e, "file restore aborted by the operator");
	err_detail(c->e, "the target %s was not changed", c->o->target);
	return 1;
}

static int is_special(mode_t type)
{
	return type == AE_IFIFO || type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK;
}

static struct archive *open_source(struct ctx *c)
{
	struct archive *a;
	if (c->is_dir) {
		int flags = ARCHIVE_READDISK_NO_FFLAGS;
		a = archive_read_disk_new();
		if (!a)
			abort();
		if (!c->o->xattrs)
			flags |= ARCHIVE_READDISK_NO_XATTR;
		if (!c->o->acls)
			flags |= ARCHIVE_READDISK_NO_ACL;
		archive_read_disk_set_symlink_physical(a);
		archive_read_disk_set_behavior(a, flags);
		if (c->root)
			archive_read_disk_set_standard_lookup(a);
		if (archive_read_disk_open(a, c->src_root) != ARCHIVE_OK) {
			err_set(c->e, "cannot read source directory %s", c->o->source);
			err_detail(c->e, "%s", archive_error_string(a));
			archive_read_free(a);
			return NULL;
		}
		return a;
	}
	a = archive_read_new();
	if (!a)
		abort();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, c->o->source, 65536) != ARCHIVE_OK) {
		err_set(c->e, "cannot open archive %s", c->o->source);
		err_detail(c->e, "%s", archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

static void src_error(struct ctx *c, struct archive *a, const char *what, const char *rel)
{
	err_set(c->e, "%s %s%s%s", what, c->o->source, rel ? ": " : "", rel ? rel : "");
	err_detail(c->e, "%s", archive_error_string(a) ? archive_error_string(a) : "unknown error");
	if (!c->is_dir) {
		err_where(c->e, c->o->source, 0, archive_read_header_position(a));
		err_hint(c->e, "the archive is damaged or truncated; take another backup copy");
	} else {
		err_where(c->e, c->o->source, 0, -1);
		err_hint(c->e, "check that the source is readable by this user and the disk is healthy");
	}
}

/* ---- verification of one entry --------------------------------------- */

static void differs(struct ctx *c, const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void differs(struct ctx *c, const char *rel, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	c->res->differences++;
	report_log(c->r, LOG_WARN, "differs: %s: %s", *rel ? rel : ".", sb.buf);
	strbuf_release(&sb);
}

static void verify_entry(struct ctx *c, struct archive_entry *ent, const char *rel)
{
	struct stat st;
	mode_t type = archive_entry_filetype(ent);
	mode_t mask = c->root ? 07777 : 0777;
	const char *p = dest_path(c, &c->path, rel);
	const char *hl = c->is_dir ? NULL : archive_entry_hardlink(ent);
	if (lstat(p, &st) < 0) {
		differs(c, rel, "missing");
		return;
	}
	if (hl) {
		struct stat st2;
		char *hrel;
		const char *why;
		if (fsrestore_clean_name(hl, &hrel, &why) &&
		    lstat(dest_path(c, &c->path2, hrel), &st2) == 0 &&
		    (st.st_ino != st2.st_ino || st.st_dev != st2.st_dev))
			differs(c, rel, "not a hardlink to %s", hrel);
		free(hrel);
		return;
	}
	if ((st.st_mode & S_IFMT) != type) {
		differs(c, rel, "type differs");
		return;
	}
	if (type == AE_IFLNK) {
		const char *want = archive_entry_symlink(ent);
		char buf[PATH_MAX + 1];
		ssize_t n = readlink(p, buf, sizeof buf - 1);
		if (n < 0 || !want || (buf[n] = '\0', strcmp(buf, want)))
			differs(c, rel, "symlink target differs");
		return;
	}
	if ((st.st_mode & mask) != (archive_entry_perm(ent) & mask))
		differs(c, rel, "mode %04o, source %04o", (unsigned)(st.st_mode & 07777),
			(unsigned)(archive_entry_perm(ent) & 07777));
	if (type == AE_IFREG && archive_entry_size_is_set(ent) &&
	    (int64_t)st.st_size != archive_entry_size(ent))
		differs(c, rel, "size %lld, source %lld", (long long)st.st_size,
			(long long)archive_entry_size(ent));
	if (archive_entry_mtime_is_set(ent) &&
	    (st.st_mtim.tv_sec != archive_entry_mtime(ent) ||
	     st.st_mtim.tv_nsec != archive_entry_mtime_nsec(ent)))
		differs(c, rel, "mtime %lld.%09ld, source %lld.%09ld", (long long)st.st_mtim.tv_sec,
			st.st_mtim.tv_nsec, (long long)archive_entry_mtime(ent),
			archive_entry_mtime_nsec(ent));
}

/* ---- the walk --------------------------------------------------------- */

static int copy_data(struct ctx *c, struct archive *in, struct archive *out, const char *rel)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	unsigned n = 0;
	for (;;) {
		int r = archive_read_data_block(in, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_OK) {
			if (r == ARCHIVE_WARN) {
				warn(c, "%s: %s", rel, archive_error_string(in));
			} else {
				src_error(c, in, "cannot read", rel);
				return -1;
			}
		}
		if (archive_write_data_block(out, buf, size, off) < ARCHIVE_OK) {
			int en = archive_errno(out);
			err_set(c->e, "cannot write %s/%s", c->dest, rel);
			err_detail(c->e, "%s", archive_error_string(out));
			if (en == ENOSPC || en == EDQUOT)
				err_hint(c->e, "the target filesystem is full; about %llu bytes were needed, free space and try again",
					 (unsigned long long)c->need_bytes);
			return -1;
		}
		if (c->is_dir || !c->compressed)
			c->done_bytes += size;
		if (!c->is_dir)
			c->done_bytes = (uint64_t)archive_filter_bytes(in, -1);
		if ((++n & 15) == 0) {
			if (cancelled(c))
				return -1;
			progress(c, "copying", rel, 0);
		}
	}
}

static int status_ok(struct ctx *c, struct archive *ext, int r, const char *rel, int *refused)
{
	if (r == ARCHIVE_OK)
		return 0;
	if (r == ARCHIVE_WARN) {
		warn(c, "%s: %s", rel, archive_error_string(ext));
		return 0;
	}
	if (r == ARCHIVE_FAILED || r == ARCHIVE_RETRY) {
		warn(c, "refused %s: %s", *rel ? rel : ".", archive_error_string(ext));
		if (refused)
			*refused = 1;
		return 0;
	}
	err_set(c->e, "cannot write %s/%s", c->dest, rel);
	err_detail(c->e, "%s", archive_error_string(ext));
	return -1;
}

/* Metadata of the root directory, which existed before the extraction:
 * owner (root only), permissions, times, in the order bsdtar sets them. */
static int root_fixup(struct ctx *c)
{
	if (c->root && lchown(c->dest, (uid_t)c->root_uid, (gid_t)c->root_gid) < 0)
		warn(c, "cannot set the owner of %s: %s", c->dest, strerror(errno));
	if (chmod(c->dest, c->root_perm & 07777) < 0)
		return err_errno(c->e, errno, "cannot set the mode of %s", c->dest);
	if (utimensat(AT_FDCWD, c->dest, c->root_times, AT_SYMLINK_NOFOLLOW) < 0)
		return err_errno(c->e, errno, "cannot set the times of %s", c->dest);
	return 0;
}

/* One pass over the source.  Returns 0 or -1 with c->e set. */
static int walk(struct ctx *c, enum pass pass)
{
	struct archive *a, *ext = NULL;
	struct archive_entry *ent = NULL, *dent = NULL;
	struct archive_entry_linkresolver *lr = NULL;
	int rc = -1;
	size_t rootlen = c->is_dir ? strlen(c->src_root) : 0;

	a = open_source(c);
	if (!a)
		return -1;
	if (c->is_dir)
		dent = archive_entry_new();
	if (pass == PASS_EXTRACT) {
		int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
			    ARCHIVE_EXTRACT_SECURE_SYMLINKS;
		if (c->root)
			flags |= ARCHIVE_EXTRACT_OWNER;
		if (c->o->acls)
			flags |= ARCHIVE_EXTRACT_ACL;
		if (c->o->xattrs)
			flags |= ARCHIVE_EXTRACT_XATTR;
		ext = archive_write_disk_new();
		if (!ext)
			abort();
		archive_write_disk_set_options(ext, flags);
		archive_write_disk_set_standard_lookup(ext);
		if (c->is_dir) {
			lr = archive_entry_linkresolver_new();
			archive_entry_linkresolver_set_strategy(lr, ARCHIVE_FORMAT_TAR_USTAR);
		}
	}
	c->done_bytes = c->done_items = 0;

	for (;;) {
		int r, refused = 0;
		const char *name;
		char *rel = NULL;
		const char *why;
		mode_t type;
		struct archive_entry *w;

		if (cancelled(c))
			goto out;
		if (c->is_dir) {
			ent = dent;
			r = archive_read_next_header2(a, ent);
		} else {
			r = archive_read_next_header(a, &ent);
		}
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_WARN) {
			if (pass != PASS_VERIFY)
				warn(c, "%s: %s", archive_entry_pathname(ent) ? archive_entry_pathname(ent) : "?",
				     archive_error_string(a));
		} else if (r != ARCHIVE_OK) {
			src_error(c, a, c->is_dir ? "cannot read" : "damaged archive",
				  ent && archive_entry_pathname(ent) ? archive_entry_pathname(ent) : NULL);
			goto out;
		}
		name = archive_entry_pathname(ent);
		if (!name) /* not convertible to the locale: keep the bytes as stored */
			name = archive_entry_pathname_utf8(ent);
		if (!name) {
			if (pass != PASS_VERIFY) {
				c->res->skipped++;
				warn(c, "skipped a member without a usable name at offset %lld",
				     (long long)archive_read_header_position(a));
			}
			continue;
		}
		type = archive_entry_filetype(ent);
		if (!c->is_dir)
			raw_link_names(ent);
		if (c->is_dir) {
			const char *p = name;
			if (!strncmp(p, c->src_root, rootlen))
				p += rootlen;
			while (*p == '/')
				p++;
			rel = xstrdup(p);
		} else if (!fsrestore_clean_name(name, &rel, &why)) {
			if (pass != PASS_VERIFY) {
				c->res->skipped++;
				warn(c, "refused member %s: %s", name, why);
			}
			continue;
		}
		if (*rel && exclude_match_path(c->ex, rel, type == AE_IFDIR)) {
			if (pass != PASS_VERIFY)
				c->res->excluded++;
			free(rel);
			continue; /* read_disk: not descended */
		}
		if (is_special(type)) {
			if (pass != PASS_VERIFY) {
				c->res->skipped++;
				warn(c, "skipped %s: FIFOs, sockets and device files are not restored", rel);
			}
			free(rel);
			continue;
		}
		if (c->is_dir && type == AE_IFDIR)
			archive_read_disk_descend(a);
		if (!c->is_dir)
			c->done_bytes = (uint64_t)archive_filter_bytes(a, -1);
		c->done_items++;

		if (pass == PASS_SCAN) {
			int64_t sz = archive_entry_size(ent);
			const char *hl = archive_entry_hardlink(ent);
			c->scan_items++;
			if (type == AE_IFDIR) {
				c->res->dirs++;
				c->need_bytes += 4096;
			} else if (type == AE_IFLNK) {
				c->res->symlinks++;
			} else {
				c->res->files++;
				if (!hl && sz > 0) {
					int64_t off, len, alloc = 0;
					c->scan_bytes += (uint64_t)sz;
					c->res->bytes += (uint64_t)sz;
					if (archive_entry_sparse_reset(ent) > 0) {
						while (archive_entry_sparse_next(ent, &off, &len) == ARCHIVE_OK)
							alloc += len;
					} else {
						alloc = sz;
					}
					c->need_bytes += ((uint64_t)alloc + 4095) & ~(uint64_t)4095;
				}
			}
			progress(c, "scanning", rel, 0);
			free(rel);
			continue;
		}
		if (pass == PASS_VERIFY) {
			verify_entry(c, ent, rel);
			progress(c, "verifying", rel, 0);
			free(rel);
			continue;
		}

		/* PASS_EXTRACT */
		if (!c->is_dir && archive_entry_hardlink(ent)) {
			char *hrel;
			if (!fsrestore_clean_name(archive_entry_hardlink(ent), &hrel, &why) || !*hrel) {
				c->res->skipped++;
				warn(c, "refused hardlink %s -> %s: %s", rel, archive_entry_hardlink(ent),
				     hrel ? "link to the root" : why);
				free(hrel);
				free(rel);
				continue;
			}
			archive_entry_copy_hardlink(ent, dest_path(c, &c->path2, hrel));
			free(hrel);
		}
		if (type == AE_IFLNK && archive_entry_symlink(ent) &&
		    link_leaves_tree(rel, archive_entry_symlink(ent)))
			warn(c, "symlink %s points out of the restored tree (to %s); kept as a symlink", rel,
			     archive_entry_symlink(ent));
		if (!*rel && type == AE_IFDIR) {
			c->have_root = 1;
			c->root_perm = archive_entry_perm(ent);
			c->root_times[0].tv_sec = archive_entry_atime_is_set(ent) ? archive_entry_atime(ent) : archive_entry_mtime(ent);
			c->root_times[0].tv_nsec = archive_entry_atime_is_set(ent) ? archive_entry_atime_nsec(ent) : archive_entry_mtime_nsec(ent);
			c->root_times[1].tv_sec = archive_entry_mtime(ent);
			c->root_times[1].tv_nsec = archive_entry_mtime_nsec(ent);
			if (!archive_entry_mtime_is_set(ent))
				c->root_times[0].tv_nsec = c->root_times[1].tv_nsec = UTIME_OMIT;
			c->root_uid = archive_entry_uid(ent);
			c->root_gid = archive_entry_gid(ent);
		}
		archive_entry_copy_pathname(ent, dest_path(c, &c->path, rel));
		w = ent;
		if (lr) {
			struct archive_entry *spare = NULL;
			archive_entry_linkify(lr, &w, &spare);
			if (spare)
				archive_entry_free(spare);
			if (!w) {
				free(rel);
				continue;
			}
		}
		r = archive_write_header(ext, w);
		if (status_ok(c, ext, r, rel, &refused) < 0) {
			free(rel);
			goto out;
		}
		if (!refused) {
			if (archive_entry_size(w) > 0 && copy_data(c, a, ext, rel) < 0) {
				free(rel);
				goto out;
			}
			r = archive_write_finish_entry(ext);
			if (status_ok(c, ext, r, rel, NULL) < 0) {
				free(rel);
				goto out;
			}
			if (type == AE_IFDIR)
				c->res->dirs++;
			else if (type == AE_IFLNK)
				c->res->symlinks++;
			else
				c->res->files++;
			if (type == AE_IFREG && !archive_entry_hardlink(w) && archive_entry_size(w) > 0)
				c->res->bytes += (uint64_t)archive_entry_size(w);
		} else {
			c->res->skipped++;
		}
		progress(c, "copying", rel, 0);
		free(rel);
	}
	if (ext) {
		int r = archive_write_close(ext);
		if (status_ok(c, ext, r, "", NULL) < 0)
			goto out;
		if (c->have_root && root_fixup(c) < 0)
			goto out;
	}
	rc = 0;
out:
	if (lr)
		archive_entry_linkresolver_free(lr);
	if (ext)
		archive_write_free(ext);
	if (dent)
		archive_entry_free(dent);
	archive_read_free(a);
	return rc;
}

/* ---- tree helpers ----------------------------------------------------- */

static int rmtree_at(int dfd, const char *name, const char *shown, struct err *e)
{
	struct stat st;
	int fd;
	DIR *d;
	struct dirent *de;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_errno(e, errno, "cannot remove %s", shown);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
			return err_errno(e, errno, "cannot remove %s", shown);
		return 0;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == EACCES && fchmodat(dfd, name, 0700, 0) == 0)
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, errno, "cannot remove %s", shown);
	if ((st.st_mode & 0700) != 0700)
		(void)fchmod(fd, 0700);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_errno(e, errno, "cannot remove %s", shown);
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (rmtree_at(dirfd(d), de->d_name, shown, e) < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return err_errno(e, errno, "cannot remove %s", shown);
	return 0;
}

int fsrestore_rmtree(const char *path, struct err *e)
{
	return rmtree_at(AT_FDCWD, path, path, e);
}

static int owner_at(int dfd, const char *name, struct strbuf *shown, uid_t uid, gid_t gid,
		    struct report *r, uint64_t *n, struct err *e)
{
	struct stat st;
	size_t keep = shown->len;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_errno(e, errno, "cannot set owner of %s", shown->buf);
	if ((st.st_uid != uid || st.st_gid != gid) &&
	    fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return err_errno(e, errno, "cannot set owner of %s", shown->buf);
	if (!S_ISLNK(st.st_mode)) {
		mode_t m = st.st_mode & 07777, want;
		if ((st.st_uid != uid || st.st_gid != gid) && (m & 06000) &&
		    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			m = st.st_mode & 07777; /* chown may have cleared set-id bits */
		want = m | S_IRUSR | S_IWUSR;
		if (S_ISDIR(st.st_mode) || (m & 0111))
			want |= S_IXUSR;
		if (want != m && fchmodat(dfd, name, want, 0) < 0)
			return err_errno(e, errno, "cannot change mode of %s", shown->buf);
	}
	if ((++*n & 255) == 0 && report_cancelled(r))
		return err_set(e, "setting the owner was aborted by the operator");
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d;
		struct dirent *de;
		if (fd < 0)
			return err_errno(e, errno, "cannot read directory %s", shown->buf);
		d = fdopendir(fd);
		if (!d) {
			close(fd);
			return err_errno(e, errno, "cannot read directory %s", shown->buf);
		}
		while ((errno = 0, de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			strbuf_addch(shown, '/');
			strbuf_addstr(shown, de->d_name);
			if (owner_at(dirfd(d), de->d_name, shown, uid, gid, r, n, e) < 0) {
				closedir(d);
				return -1;
			}
			strbuf_setlen(shown, keep);
		}
		closedir(d);
	}
	return 0;
}

int fsrestore_set_owner(const char *path, uid_t uid, gid_t gid, struct report *r, struct err *e)
{
	struct strbuf shown = STRBUF_INIT;
	uint64_t n = 0;
	int rc;
	strbuf_addstr(&shown, path);
	rc = owner_at(AT_FDCWD, path, &shown, uid, gid, r, &n, e);
	if (rc < 0)
		err_hint(e, "run as root, or set the owner by hand: chown -R %lu:%lu %s",
			 (unsigned long)uid, (unsigned long)gid, path);
	strbuf_release(&shown);
	return rc;
}

/* ---- run -------------------------------------------------------------- */

void fsrestore_result_release(struct fsrestore_result *res)
{
	if (!res)
		return;
	free(res->kept_as);
	memset(res, 0, sizeof *res);
}

/* Canonical absolute target: realpath of the target if it exists, else of
 * its parent plus the base name. */
static char *canonical_target(const char *target, struct err *e)
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

static int space_check(struct ctx *c, const char *dir)
{
	struct statvfs sv;
	uint64_t avail, need, inodes;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	if (statvfs(dir, &sv) < 0)
		return err_errno(c->e, errno, "cannot check free space in %s", dir);
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	need = c->need_bytes + c->need_bytes / 50 + 16 * 1024 * 1024;
	if (!c->scanned && c->file_size > need)
		need = c->file_size; /* compressed archive: at least its size */
	if (avail < need) {
		strbuf_humanise_bytes(&a, need);
		strbuf_humanise_bytes(&b, avail);
		err_set(c->e, "not enough space in %s to restore %s", dir, c->o->source);
		err_detail(c->e, "needed %s (%llu bytes, with a 2%% + 16 MiB margin), free %s (%llu bytes)",
			   a.buf, (unsigned long long)need, b.buf, (unsigned long long)avail);
		err_hint(c->e, "free space on that filesystem, or restore in place (the old tree is then not kept)");
		strbuf_release(&a);
		strbuf_release(&b);
		return -1;
	}
	inodes = c->scan_items + 1000;
	if (c->scanned && sv.f_files && (uint64_t)sv.f_favail < inodes) {
		err_set(c->e, "not enough inodes in %s to restore %s", dir, c->o->source);
		err_detail(c->e, "needed %llu, free %llu", (unsigned long long)inodes,
			   (unsigned long long)sv.f_favail);
		err_hint(c->e, "remove files on that filesystem first");
		return -1;
	}
	return 0;
}

static char *make_stamp(const char *stamp)
{
	char buf[32];
	time_t now;
	struct tm tm;
	if (stamp)
		return xstrdup(stamp);
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(buf, sizeof buf, "%Y%m%d_%H%M%S", &tm);
	return xstrdup(buf);
}

static int path_within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);
	return !strncmp(inner, outer, n) && (inner[n] == '/' || inner[n] == '\0');
}

/* Move carry from the old target into staging when only the old one has it.
 * Sets *@moved.  The staging parent's times are put back afterwards. */
static int do_carry(struct ctx *c, const char *target, const char *staging, char **from, char **to)
{
	struct stat st, pst;
	char *src, *dst, *dparent, *slash;
	struct timespec ts[2];
	*from = *to = NULL;
	if (!c->o->carry || !*c->o->carry)
		return 0;
	src = xstrfmt("%s/%s", target, c->o->carry);
	dst = xstrfmt("%s/%s", staging, c->o->carry);
	if (lstat(src, &st) < 0 || lstat(dst, &st) == 0) {
		free(src);
		free(dst);
		return 0;
	}
	dparent = xstrdup(dst);
	slash = strrchr(dparent, '/');
	*slash = '\0';
	if (stat(dparent, &pst) < 0) {
		err_errno(c->e, errno, "cannot carry %s into the restored tree", src);
		err_hint(c->e, "the restored tree has no %s; restore that part too or move it by hand", dparent);
		free(src);
		free(dst);
		free(dparent);
		return -1;
	}
	if (rename(src, dst) < 0) {
		err_errno(c->e, errno, "cannot move %s into the restored tree", src);
		free(src);
		free(dst);
		free(dparent);
		return -1;
	}
	ts[0] = pst.st_atim;
	ts[1] = pst.st_mtim;
	utimensat(AT_FDCWD, dparent, ts, AT_SYMLINK_NOFOLLOW);
	report_log(c->r, LOG_INFO, "kept the live %s: moved into the restored tree", src);
	free(dparent);
	*from = src;
	*to = dst;
	return 0;
}

static void undo_carry(struct ctx *c, char *from, char *to)
{
	if (from && rename(to, from) < 0)
		report_log(c->r, LOG_ERROR, "could not move %s back to %s: %s", to, from, strerror(errno));
	free(from);
	free(to);
}

int fsrestore_run(const struct fsrestore_opts *o, struct report *r, struct fsrestore_result *res,
		  struct err *e)
{
	struct ctx c;
	char *target = NULL, *staging = NULL, *kept = NULL, *stamp = NULL, *srcreal = NULL;
	char *carry_from = NULL, *carry_to = NULL;
	struct stat st;
	int rc = -1, target_exists, made_staging = 0;

	memset(res, 0, sizeof *res);
	memset(&c, 0, sizeof c);
	c.o = o;
	c.r = r;
	c.e = e;
	c.res = res;
	c.root = geteuid() == 0;
	strbuf_init(&c.path, 256);
	strbuf_init(&c.path2, 256);

	if (!o->source || !*o->source || !o->target || !*o->target) {
		err_set(e, "file restore needs a source and a target");
		goto out;
	}
	if (magic_detect(o->source, &c.kind, e) < 0)
		goto out;
	if (c.kind == MAGIC_MISSING) {
		err_set(e, "source %s does not exist", o->source);
		err_hint(e, "give the backup directory or archive of the tree to restore");
		goto out;
	}
	if (!magic_is_tree(c.kind)) {
		err_set(e, "source %s is a %s, not a directory or an archive", o->source,
			magic_name(c.kind));
		err_hint(e, "a tree is restored from an rsync copy or a .tar/.tar.gz/.tar.xz/.tar.zst/.zip archive");
		goto out;
	}
	c.is_dir = c.kind == MAGIC_DIR;
	c.compressed = !c.is_dir && c.kind != MAGIC_TAR && c.kind != MAGIC_ZIP;
	if (stat(o->source, &st) == 0)
		c.file_size = c.is_dir ? 0 : (uint64_t)st.st_size;
	if (c.is_dir) {
		size_t len;
		c.src_root = xstrdup(o->source);
		len = strlen(c.src_root);
		while (len > 1 && c.src_root[len - 1] == '/')
			c.src_root[--len] = '\0';
	}
	c.ex = exclude_new(o->excludes, e);
	if (!c.ex)
		goto out;
	target = canonical_target(o->target, e);
	if (!target)
		goto out;
	srcreal = realpath(o->source, NULL);
	if (srcreal && (path_within(srcreal, target) || (c.is_dir && path_within(target, srcreal)))) {
		err_set(e, "source %s and target %s overlap", o->source, o->target);
		err_hint(e, "restore from a backup outside the target tree");
		goto out;
	}
	target_exists = lstat(target, &st) == 0;
	if (target_exists && !S_ISDIR(st.st_mode)) {
		err_set(e, "target %s exists and is not a directory", target);
		err_hint(e, "move it away first");
		goto out;
	}

	if (o->dry_run || c.is_dir || !c.compressed) {
		c.dest = target;
		c.quiet = 1;
		if (walk(&c, PASS_SCAN) < 0)
			goto out;
		c.quiet = 0;
		c.scanned = 1;
		if (o->dry_run) {
			report_log(r, LOG_INFO, "dry run: %s holds %llu files, %llu directories, %llu symlinks, %llu bytes",
				   o->source, (unsigned long long)res->files, (unsigned long long)res->dirs,
				   (unsigned long long)res->symlinks, (unsigned long long)res->bytes);
			rc = 0;
			goto out;
		}
		/* the extract pass counts again */
		res->files = res->dirs = res->symlinks = res->bytes = 0;
		res->skipped = res->excluded = res->warnings = 0;
	}

	if (o->mode == FSRESTORE_MERGE) {
		if (!target_exists && mkdir(target, 0700) < 0) {
			err_errno(e, errno, "cannot create %s", target);
			goto out;
		}
		c.dest = target;
		if (walk(&c, PASS_EXTRACT) < 0)
			goto out;
	} else {
		char *dir;
		stamp = make_stamp(o->stamp);
		staging = xstrfmt("%s.restoring", target);
		kept = xstrfmt("%s.pre-restore-%s", target, stamp);
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
		dir = xstrdup(target);
		*strrchr(dir, '/') = '\0';
		if (space_check(&c, *dir ? dir : "/") < 0) {
			free(dir);
			goto out;
		}
		free(dir);
		if (mkdir(staging, 0700) < 0) {
			err_errno(e, errno, "cannot create the staging directory %s", staging);
			goto out;
		}
		made_staging = 1;
		c.dest = staging;
		progress(&c, "copying", NULL, 1);
		if (walk(&c, PASS_EXTRACT) < 0)
			goto out;
	}
	progress(&c, "copying", NULL, 1);
	if (!o->no_verify) {
		if (walk(&c, PASS_VERIFY) < 0)
			goto out;
		if (res->differences) {
			err_set(e, "the restored tree differs from %s in %llu places", o->source,
				(unsigned long long)res->differences);
			err_detail(e, "the differences are in the log; members refused for safety count as differences");
			if (o->mode == FSRESTORE_REPLACE)
				err_hint(e, "the target %s was not changed", target);
			goto out;
		}
	}
	if (o->set_owner && fsrestore_set_owner(c.dest, o->uid, o->gid, r, e) < 0)
		goto out;
	if (o->mode == FSRESTORE_REPLACE) {
		if (target_exists && do_carry(&c, target, staging, &carry_from, &carry_to) < 0)
			goto out;
		if (target_exists && rename(target, kept) < 0) {
			err_errno(e, errno, "cannot rename %s to %s", target, kept);
			undo_carry(&c, carry_from, carry_to);
			carry_from = carry_to = NULL;
			goto out;
		}
		if (rename(staging, target) < 0) {
			err_errno(e, errno, "cannot rename %s to %s", staging, target);
			if (target_exists && rename(kept, target) < 0)
				report_log(r, LOG_ERROR, "could not move %s back to %s: %s", kept, target,
					   strerror(errno));
			undo_carry(&c, carry_from, carry_to);
			carry_from = carry_to = NULL;
			goto out;
		}
		made_staging = 0;
		free(carry_from);
		free(carry_to);
		if (target_exists) {
			res->kept_as = kept;
			kept = NULL;
			report_log(r, LOG_INFO, "the previous tree is kept as %s", res->kept_as);
		}
	}
	rc = 0;
out:
	if (rc < 0 && made_staging) {
		struct err e2 = ERR_INIT;
		if (fsrestore_rmtree(staging, &e2) < 0)
			report_log(r, LOG_ERROR, "could not remove the staging tree: %s", e2.msg);
		err_clear(&e2);
	}
	exclude_free(c.ex);
	strbuf_release(&c.path);
	strbuf_release(&c.path2);
	free(c.src_root);
	free(target);
	free(staging);
	free(kept);
	free(stamp);
	free(srcreal);
	return rc;
}
