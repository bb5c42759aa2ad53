/* fsrestore: file tree restore engine; see fsrestore.h. */
#include "config.h"
#include "fsrestore.h"
#include "fsrestore_ahead.h"
#include "fsrestore_int.h"
#include "exclude.h"
#include "fault.h"
#include "magic.h"
#include "pathguard.h"
#include "err.h"
#include "report.h"
#include "sha256.h"
#include "strbuf.h"
#include "swap.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <stdio.h>
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

/* PASS_SCAN counts the source, PASS_EXTRACT writes it, PASS_VERIFY
 * compares it with an existing tree (fsrestore_verify). */
enum pass { PASS_SCAN, PASS_EXTRACT, PASS_VERIFY };

/* Relative paths of the symlinks written so far (chained hash set). */
struct linknode {
	struct linknode *next;
	char name[];
};
struct linkset {
	struct linknode **b;
	size_t nb, n;
};

/* Symlinks remembered at most; past that libarchive's own per-component
 * check (ARCHIVE_EXTRACT_SECURE_SYMLINKS) takes over, so memory stays
 * bounded. */
#define LINKSET_MAX 65536

/* A directory written, checked after the last entry (its times change
 * while entries go into it). */
struct dirrec {
	char *rel;
	mode_t perm;
	int mtime_set;
	struct timespec times[2];
	int64_t uid, gid;
};

struct ctx {
	const struct fsrestore_opts *o;
	const char *source;  /* local source: o->source, or the fetched copy */
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
	int verify;          /* check each entry after writing it */
	int out_of_space;    /* a write failed with ENOSPC/EDQUOT */
	uint64_t avail_at_start; /* free bytes when the extraction started */
	/* directories written, fixed up and checked after the last entry */
	struct dirrec *dirs;
	size_t ndirs, adirs;
	/* --checksum: SHA-256 of the source data of the current file */
	struct sha256 sha;
	uint64_t sha_pos;
	char *iobuf;         /* read buffer for the checksum of written files */
	/* compressed archives: decompressed ahead in a reader thread */
	struct fsrestore_ahead *ahead;
	/* writing into a fresh tree: the symlinks this walk made there, so
	 * that nothing is written through one (see link_guard) */
	int track_links;
	struct linkset links;
	struct archive *ext;  /* the disk writer of the walk */
	int ext_flags;
	/* differences: those of one path are joined into one line */
	fsrestore_diff_fn *on_diff; /* NULL: logged as warnings */
	void *diff_ctx;
	int diff_pending;
	struct strbuf diff_rel, diff_what;
	/* fsrestore_verify: comparing an existing tree, nothing written */
	int verify_only;
	struct linkset names; /* archive source: every name, "dir/" for directories */
	struct linkset changed; /* PASS_VERIFY: files with more links that differ, so
				 * their other names are named too (as rsync does) */
	struct strbuf okdir;  /* the last parent directory found to be a real one */
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

/* ---- symlinks written (the fresh-tree guard) --------------------------- */

static size_t linkset_hash(const char *s, size_t len)
{
	size_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* The node slot of the first @len bytes of @name, or of where it would go. */
static struct linknode **linkset_find(struct linkset *ls, const char *name, size_t len)
{
	struct linknode **pp;
	if (!ls->nb)
		return NULL;
	for (pp = &ls->b[linkset_hash(name, len) & (ls->nb - 1)]; *pp; pp = &(*pp)->next)
		if (!strncmp((*pp)->name, name, len) && !(*pp)->name[len])
			return pp;
	return pp;
}

static void linkset_add(struct linkset *ls, const char *name)
{
	size_t len = strlen(name);
	struct linknode **pp, *nd;
	if (ls->n + 1 > ls->nb) {
		size_t nb = ls->nb ? 2 * ls->nb : 64;
		struct linknode **b = xcalloc(nb, sizeof *b);
		for (size_t i = 0; i < ls->nb; i++)
			while (ls->b[i]) {
				struct linknode *x = ls->b[i];
				size_t h = linkset_hash(x->name, strlen(x->name)) & (nb - 1);
				ls->b[i] = x->next;
				x->next = b[h];
				b[h] = x;
			}
		free(ls->b);
		ls->b = b;
		ls->nb = nb;
	}
	pp = linkset_find(ls, name, len);
	if (*pp)
		return;
	nd = xmalloc(sizeof *nd + len + 1);
	memcpy(nd->name, name, len + 1);
	nd->next = NULL;
	*pp = nd;
	ls->n++;
}

/* Remove the first @len bytes of @name if present; 1 if it was there. */
static int linkset_del(struct linkset *ls, const char *name, size_t len)
{
	struct linknode **pp = linkset_find(ls, name, len), *x;
	if (!pp || !*pp)
		return 0;
	x = *pp;
	*pp = x->next;
	free(x);
	ls->n--;
	return 1;
}

static void linkset_free(struct linkset *ls)
{
	for (size_t i = 0; i < ls->nb; i++)
		while (ls->b[i]) {
			struct linknode *x = ls->b[i];
			ls->b[i] = x->next;
			free(x);
		}
	free(ls->b);
	memset(ls, 0, sizeof *ls);
}

/* The symlink among the leading directories of @rel, or NULL: its length
 * in *@len. */
static const char *linkset_prefix(struct linkset *ls, const char *rel, size_t *len)
{
	struct linknode **pp;
	for (const char *p = rel; (p = strchr(p, '/')); p++) {
		pp = linkset_find(ls, rel, (size_t)(p - rel));
		if (pp && *pp) {
			*len = (size_t)(p - rel);
			return rel;
		}
	}
	return NULL;
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

static void refuse(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A member not restored because it is unsafe or cannot be written: counted
 * in skipped and refused, logged as a warning. */
static void refuse(struct ctx *c, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	c->res->skipped++;
	c->res->refused++;
	warn(c, "%s", sb.buf);
	strbuf_release(&sb);
}

/* The one decision about an entry found in a source: excluded (counted,
 * not descended), special file (FIFO, socket, device: counted, warned) or
 * kept.  Returns 1 to keep it. */
static int keep_entry(struct ctx *c, const char *rel, int is_dir, int special)
{
	if (*rel && exclude_match_path(c->ex, rel, is_dir)) {
		c->res->excluded++;
		return 0;
	}
	if (special) {
		c->res->skipped++;
		warn(c, "skipped %s: FIFOs, sockets and device files are not restored", rel);
		return 0;
	}
	return 1;
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

static int cancelled(struct ctx *c)
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
			err_set(c->e, "cannot read source directory %s", c->source);
			err_detail(c->e, "%s", archive_error_string(a));
			archive_read_free(a);
			return NULL;
		}
		return a;
	}
	a = archive_read_new();
	if (!a)
		abort();
	archive_read_support_format_all(a);
	if (c->compressed) {
		/* inflate in a second thread, as tar -xzf does with its gzip child */
		if (fsrestore_ahead_open(a, c->source, &c->ahead) < 0) {
			err_set(c->e, "cannot open archive %s", c->source);
			err_detail(c->e, "%s", archive_error_string(a));
			archive_read_free(a);
			fsrestore_ahead_free(c->ahead);
			c->ahead = NULL;
			return NULL;
		}
		return a;
	}
	archive_read_support_filter_all(a);
	if (archive_read_open_filename(a, c->source, 65536) != ARCHIVE_OK) {
		err_set(c->e, "cannot open archive %s", c->source);
		err_detail(c->e, "%s", archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Bytes of the archive file read so far (compressed bytes for compressed
 * archives). */
static uint64_t src_bytes(struct ctx *c, struct archive *a)
{
	if (c->ahead)
		return fsrestore_ahead_bytes(c->ahead);
	return (uint64_t)archive_filter_bytes(a, -1);
}

static void src_error(struct ctx *c, struct archive *a, const char *what, const char *rel)
{
	err_set(c->e, "%s %s%s%s", what, c->source, rel ? ": " : "", rel ? rel : "");
	err_detail(c->e, "%s", archive_error_string(a) ? archive_error_string(a) : "unknown error");
	if (!c->is_dir) {
		err_where(c->e, c->source, 0, archive_read_header_position(a));
		err_hint(c->e, "the archive is damaged or truncated; take another backup copy");
	} else {
		err_where(c->e, c->source, 0, -1);
		err_hint(c->e, "check that the source is readable by this user and the disk is healthy");
	}
}

/* Feed zeros (a hole of a sparse file) into the checksum up to @to. */
static void hash_zeros(struct ctx *c, uint64_t to)
{
	static const unsigned char zero[4096];
	while (c->sha_pos < to) {
		uint64_t n = to - c->sha_pos < sizeof zero ? to - c->sha_pos : sizeof zero;
		sha256_update(&c->sha, zero, (size_t)n);
		c->sha_pos += n;
	}
}

/* ---- verification of one entry --------------------------------------- */

static void differs(struct ctx *c, const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Pass on the pending difference (one path, all that differs in it). */
static void diff_flush(struct ctx *c)
{
	const char *rel;
	if (!c->diff_pending)
		return;
	c->diff_pending = 0;
	c->res->differences++;
	rel = c->diff_rel.len ? c->diff_rel.buf : ".";
	if (c->on_diff)
		c->on_diff(c->diff_ctx, rel, c->diff_what.buf);
	else
		report_log(c->r, LOG_WARN, "differs: %s: %s", rel, c->diff_what.buf);
}

/* Record a difference at @rel.  The checks of one entry run one after
 * the other, so what differs in the same path is joined ("mode ...; mtime
 * ...") and counts once. */
static void differs(struct ctx *c, const char *rel, const char *fmt, ...)
{
	va_list ap;
	if (c->diff_pending && !strcmp(c->diff_rel.buf, rel)) {
		strbuf_addstr(&c->diff_what, "; ");
	} else {
		diff_flush(c);
		strbuf_reset(&c->diff_rel);
		strbuf_addstr(&c->diff_rel, rel);
		strbuf_reset(&c->diff_what);
		c->diff_pending = 1;
	}
	va_start(ap, fmt);
	strbuf_vaddf(&c->diff_what, fmt, ap);
	va_end(ap);
}

static const char *type_name(mode_t type)
{
	switch (type & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symlink";
	case S_IFIFO: return "FIFO";
	case S_IFSOCK: return "socket";
	default: return "device";
	}
}

/* Hash the file written at @p and compare with the source's digest. */
static void verify_content(struct ctx *c, const char *p, const char *rel, uint64_t size)
{
	uint8_t want[SHA256_DIGEST_LEN], got[SHA256_DIGEST_LEN];
	struct sha256 s;
	int fd;
	ssize_t n;
	hash_zeros(c, size);
	sha256_final(&c->sha, want);
	fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		differs(c, rel, "cannot read it back: %s", strerror(errno));
		return;
	}
	if (!c->iobuf)
		c->iobuf = xmalloc(1 << 17);
	sha256_init(&s);
	while ((n = read(fd, c->iobuf, 1 << 17)) > 0)
		sha256_update(&s, c->iobuf, (size_t)n);
	if (n < 0)
		differs(c, rel, "cannot read it back: %s", strerror(errno));
	close(fd);
	sha256_final(&s, got);
	if (n >= 0 && memcmp(want, got, sizeof want)) {
		char hw[65], hg[65];
		sha256_hex(want, hw);
		sha256_hex(got, hg);
		differs(c, rel, "SHA-256 %s, source %s", hg, hw);
	}
}

/* "2026-11-29 14:55:28.5 +0100": local time, the fraction only when @frac */
static void add_mtime(struct strbuf *sb, const struct timespec *t, int frac)
{
	struct tm tm;
	char buf[64], zone[16];
	time_t sec = t->tv_sec;
	if (!localtime_r(&sec, &tm)) {
		strbuf_addf(sb, "%lld", (long long)sec);
		return;
	}
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
	strftime(zone, sizeof zone, "%z", &tm);
	strbuf_addstr(sb, buf);
	if (frac)
		strbuf_addf(sb, ".%09ld", t->tv_nsec);
	strbuf_addf(sb, " %s", zone);
}

/* The permission bits an entry of type @type (S_IF*) with the source's
 * @perm gets: without set-uid/set-gid on files and without world-write,
 * which a PHP application never needs (issue 16.4), unless the caller
 * keeps them (o->keep_special_modes). */
static mode_t safe_perm(const struct ctx *c, mode_t type, mode_t perm)
{
	perm &= 07777;
	if (c->o->keep_special_modes)
		return perm;
	if (type == S_IFREG)
		perm &= ~(mode_t)(S_ISUID | S_ISGID);
	if (type != S_IFLNK)
		perm &= ~(mode_t)S_IWOTH;
	return perm;
}

/* safe_perm() for an entry about to be written at @rel: a change is
 * counted and logged. */
static mode_t restore_perm(struct ctx *c, mode_t type, mode_t perm, const char *rel)
{
	mode_t want = safe_perm(c, type, perm);
	if (want != (perm & 07777) && !c->quiet && !c->verify_only) {
		mode_t gone = (perm & 07777) & ~want;
		struct strbuf sb = STRBUF_INIT;
		if (gone & S_ISUID)
			strbuf_addstr(&sb, "set-uid");
		if (gone & S_ISGID)
			strbuf_addf(&sb, "%sset-gid", sb.len ? ", " : "");
		if (gone & S_IWOTH)
			strbuf_addf(&sb, "%sworld-write", sb.len ? ", " : "");
		c->res->modes_changed++;
		report_log(c->r, LOG_WARN, "mode of %s restored as %04o, not %04o as in the backup "
			   "(%s cleared)", *rel ? rel : ".", (unsigned)want, (unsigned)(perm & 07777),
			   sb.buf);
		strbuf_release(&sb);
	}
	return want;
}

static void verify_mode_time(struct ctx *c, const char *rel, const struct stat *st, mode_t perm,
			     int mtime_set, const struct timespec *mt)
{
	mode_t mask = c->root ? 07777 : 0777;
	mode_t want = safe_perm(c, st->st_mode & S_IFMT, perm);
	if ((st->st_mode & mask) != (want & mask)) {
		if (want != (perm & 07777))
			differs(c, rel, "mode %04o, expected %04o (source %04o, restored without "
				"set-id and world-write bits)", (unsigned)(st->st_mode & 07777),
				(unsigned)want, (unsigned)(perm & 07777));
		else
			differs(c, rel, "mode %04o, source %04o", (unsigned)(st->st_mode & 07777),
				(unsigned)(perm & 07777));
	}
	/* an archive time without a fraction (ustar, GNU tar, zip keep whole
	 * seconds) is compared to the second */
	if (mtime_set && (st->st_mtim.tv_sec != mt->tv_sec ||
			  (st->st_mtim.tv_nsec != mt->tv_nsec && (c->is_dir || mt->tv_nsec)))) {
		struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
		int frac = st->st_mtim.tv_sec == mt->tv_sec || st->st_mtim.tv_nsec || mt->tv_nsec;
		add_mtime(&a, &st->st_mtim, frac);
		add_mtime(&b, mt, frac);
		differs(c, rel, "mtime %s, source %s", a.buf, b.buf);
		strbuf_release(&a);
		strbuf_release(&b);
	}
}

/* Compare what was just written for @rel with the source entry @ent
 * (pathname and hardlink already point into the destination). */
static void verify_entry(struct ctx *c, struct archive_entry *ent, const char *rel)
{
	struct stat st;
	struct timespec mt;
	mode_t type = archive_entry_filetype(ent);
	const char *p = archive_entry_pathname(ent);
	const char *hl = archive_entry_hardlink(ent);
	if (lstat(p, &st) < 0) {
		differs(c, rel, "missing");
		return;
	}
	if (hl) {
		struct stat st2;
		size_t dl = strlen(c->dest);
		const char *hlrel = !strncmp(hl, c->dest, dl) && hl[dl] == '/' ? hl + dl + 1 : hl;
		if (lstat(hl, &st2) < 0 || st.st_ino != st2.st_ino || st.st_dev != st2.st_dev)
			differs(c, rel, "not a hardlink to %s", hl);
		else if (c->changed.n && *linkset_find(&c->changed, hlrel, strlen(hlrel)))
			differs(c, rel, "the same file as %s, which differs", hlrel);
		return;
	}
	if ((st.st_mode & S_IFMT) != type) {
		differs(c, rel, "a %s, source a %s", type_name(st.st_mode), type_name(type));
		return;
	}
	if (type == AE_IFLNK) {
		const char *want = archive_entry_symlink(ent);
		char buf[PATH_MAX + 1];
		ssize_t n = readlink(p, buf, sizeof buf - 1);
		if (n < 0 || !want)
			differs(c, rel, "symlink target differs");
		else if (buf[n] = '\0', strcmp(buf, want))
			differs(c, rel, "symlink to %s, source to %s", buf, want);
		return;
	}
	mt.tv_sec = archive_entry_mtime(ent);
	mt.tv_nsec = archive_entry_mtime_nsec(ent);
	verify_mode_time(c, rel, &st, archive_entry_perm(ent), archive_entry_mtime_is_set(ent), &mt);
	if (type == AE_IFREG && archive_entry_size_is_set(ent) &&
	    (int64_t)st.st_size != archive_entry_size(ent))
		differs(c, rel, "size %lld, source %lld", (long long)st.st_size,
			(long long)archive_entry_size(ent));
	else if (type == AE_IFREG && c->o->checksum)
		verify_content(c, p, rel, (uint64_t)st.st_size);
	if (type == AE_IFREG && st.st_nlink > 1 && c->diff_pending && !strcmp(c->diff_rel.buf, rel))
		linkset_add(&c->changed, rel);
}

static void remember_dir(struct ctx *c, struct archive_entry *ent, const char *rel)
{
	struct dirrec *d;
	if (c->ndirs == c->adirs) {
		c->adirs = c->adirs ? 2 * c->adirs : 256;
		c->dirs = xrealloc(c->dirs, c->adirs * sizeof *c->dirs);
	}
	d = &c->dirs[c->ndirs++];
	d->rel = xstrdup(rel);
	d->perm = archive_entry_perm(ent);
	d->mtime_set = archive_entry_mtime_is_set(ent);
	d->times[1].tv_sec = archive_entry_mtime(ent);
	d->times[1].tv_nsec = archive_entry_mtime_nsec(ent);
	if (archive_entry_atime_is_set(ent)) {
		d->times[0].tv_sec = archive_entry_atime(ent);
		d->times[0].tv_nsec = archive_entry_atime_nsec(ent);
	} else {
		d->times[0] = d->times[1];
	}
	if (!d->mtime_set)
		d->times[0].tv_nsec = d->times[1].tv_nsec = UTIME_OMIT;
	d->uid = archive_entry_uid(ent);
	d->gid = archive_entry_gid(ent);
}

static void free_dirs(struct ctx *c)
{
	for (size_t i = 0; i < c->ndirs; i++)
		free(c->dirs[i].rel);
	free(c->dirs);
	c->dirs = NULL;
	c->ndirs = c->adirs = 0;
}

/* Compare every directory remembered with the one at the destination. */
static void check_dirs(struct ctx *c)
{
	for (size_t i = 0; i < c->ndirs; i++) {
		struct dirrec *d = &c->dirs[i];
		struct stat st;
		if (lstat(dest_path(c, &c->path, d->rel), &st) < 0)
			differs(c, d->rel, "missing");
		else if (!S_ISDIR(st.st_mode))
			differs(c, d->rel, "a %s, source a directory", type_name(st.st_mode));
		else
			verify_mode_time(c, d->rel, &st, d->perm, d->mtime_set, &d->times[1]);
	}
}

/* After the last entry: give every directory written (existing ones in a
 * merge and the root included, which archive_write_disk leaves alone) the
 * source's owner (root only), mode and times, as rsync -a does, deepest
 * first; then check them. */
static int fixup_dirs(struct ctx *c)
{
	for (size_t i = c->ndirs; i-- > 0;) {
		struct dirrec *d = &c->dirs[i];
		const char *p = dest_path(c, &c->path, d->rel);
		if (c->root && lchown(p, (uid_t)d->uid, (gid_t)d->gid) < 0)
			warn(c, "cannot set the owner of %s: %s", p, strerror(errno));
		if (chmod(p, d->perm & 07777) < 0)
			return err_errno(c->e, errno, "cannot set the mode of %s", p);
		if (utimensat(AT_FDCWD, p, d->times, AT_SYMLINK_NOFOLLOW) < 0)
			return err_errno(c->e, errno, "cannot set the times of %s", p);
	}
	if (c->verify)
		check_dirs(c);
	return 0;
}

/* ---- the walk --------------------------------------------------------- */

/* The data of the current entry of @in into @out, or with @out NULL only
 * through the checksum (verification of an existing tree). */
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
		if (out && archive_write_data_block(out, buf, size, off) < ARCHIVE_OK) {
			int en = archive_errno(out);
			err_set(c->e, "cannot write %s/%s", c->dest, rel);
			err_detail(c->e, "%s", archive_error_string(out));
			if (en == ENOSPC || en == EDQUOT)
				c->out_of_space = 1;
			return -1;
		}
		if (c->o->checksum && size) {
			hash_zeros(c, (uint64_t)off);
			sha256_update(&c->sha, buf, size);
			c->sha_pos = (uint64_t)off + size;
		}
		if (c->is_dir || !c->compressed)
			c->done_bytes += size;
		if (!c->is_dir)
			c->done_bytes = src_bytes(c, in);
		if ((++n & 15) == 0) {
			if (cancelled(c))
				return -1;
			progress(c, out ? "copying" : "verifying", rel, 0);
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
	if ((r == ARCHIVE_FAILED || r == ARCHIVE_RETRY) && archive_errno(ext) != ENOSPC &&
	    archive_errno(ext) != EDQUOT && archive_errno(ext) != EIO && archive_errno(ext) != EROFS) {
		warn(c, "refused %s: %s", *rel ? rel : ".", archive_error_string(ext));
		if (refused)
			*refused = 1;
		return 0;
	}
	err_set(c->e, "cannot write %s/%s", c->dest, rel);
	err_detail(c->e, "%s", archive_error_string(ext));
	if (archive_errno(ext) == ENOSPC || archive_errno(ext) == EDQUOT)
		c->out_of_space = 1;
	return -1;
}

/* Writing into a fresh tree: refuse @rel (and the hardlink target @hrel,
 * or NULL) when a leading directory is a symlink this walk wrote, as
 * ARCHIVE_EXTRACT_SECURE_SYMLINKS would; a symlink at @rel itself is
 * removed first so the entry replaces it.  Returns 1 when refused
 * (warned and counted), else 0. */
static int link_guard(struct ctx *c, const char *rel, const char *hrel)
{
	size_t len;
	const char *p;
	if (!c->links.n)
		return 0;
	if ((p = linkset_prefix(&c->links, rel, &len))) {
		refuse(c, "refused %s: Cannot extract through symlink %.*s", rel, (int)len, p);
		return 1;
	}
	if (hrel && (p = linkset_prefix(&c->links, hrel, &len))) {
		refuse(c, "refused hardlink %s -> %s: Cannot extract through symlink %.*s", rel, hrel,
		     (int)len, p);
		return 1;
	}
	if (linkset_del(&c->links, rel, strlen(rel))) {
		const char *d = dest_path(c, &c->path2, rel);
		if (unlink(d) < 0 && errno != ENOENT)
			warn(c, "cannot remove the symlink %s: %s", d, strerror(errno));
	}
	return 0;
}

/* A symlink was written at @rel: remember it, or past LINKSET_MAX hand
 * the check to libarchive for the rest of the walk. */
static void remember_link(struct ctx *c, const char *rel)
{
	if (c->links.n < LINKSET_MAX) {
		linkset_add(&c->links, rel);
		return;
	}
	c->ext_flags |= ARCHIVE_EXTRACT_SECURE_SYMLINKS;
	archive_write_disk_set_options(c->ext, c->ext_flags);
	c->track_links = 0;
	linkset_free(&c->links);
}

/* ---- verification of an existing tree (fsrestore_verify) -------------- */

static int names_has(struct ctx *c, const char *name, size_t len)
{
	struct linknode **pp = linkset_find(&c->names, name, len);
	return pp && *pp;
}

/* An archive source names @rel (a directory when @is_dir): remember it,
 * and its leading directories, which an archive need not list. */
static void names_add(struct ctx *c, const char *rel, int is_dir)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len;
	if (!*rel)
		return;
	strbuf_addstr(&sb, rel);
	if (is_dir)
		strbuf_addch(&sb, '/');
	linkset_add(&c->names, sb.buf);
	for (len = strlen(rel); len > 0;) {
		while (len > 0 && rel[len - 1] != '/')
			len--;
		if (len == 0)
			break;
		/* "a/b/" of "a/b/c": the directory with its slash */
		if (names_has(c, rel, len))
			break; /* and so are the ones above it */
		strbuf_reset(&sb);
		strbuf_add(&sb, rel, len);
		linkset_add(&c->names, sb.buf);
		len--;
	}
	strbuf_release(&sb);
}

/* Does the source have @rel?  0 no, 1 yes and of the same kind
 * (directory or not, as @is_dir), 2 yes but of the other kind (a type
 * difference, reported by the walk over the source). */
static int source_has(struct ctx *c, const char *rel, int is_dir)
{
	size_t len = strlen(rel);
	if (c->is_dir) {
		struct stat st;
		strbuf_reset(&c->path2);
		strbuf_addf(&c->path2, "%s/%s", c->src_root, rel);
		if (lstat(c->path2.buf, &st) < 0)
			return 0;
		return !S_ISDIR(st.st_mode) == !is_dir ? 1 : 2;
	}
	strbuf_reset(&c->path2);
	strbuf_addstr(&c->path2, rel);
	strbuf_addch(&c->path2, '/');
	if (names_has(c, c->path2.buf, len + 1))
		return is_dir ? 1 : 2;
	if (names_has(c, rel, len))
		return is_dir ? 2 : 1;
	return 0;
}

/* Is every leading directory of @rel a real directory (not a symlink, not
 * missing) in the target?  Else the entry is reported missing and 0 is
 * returned: nothing below a symlink is read.  The last parent found good
 * is remembered, as archives and directory walks list siblings together. */
static int target_parent_ok(struct ctx *c, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	size_t plen, from = 0;
	if (!slash)
		return 1;
	plen = (size_t)(slash - rel);
	if (c->okdir.len == plen && !memcmp(c->okdir.buf, rel, plen))
		return 1;
	if (c->okdir.len && c->okdir.len < plen && !memcmp(c->okdir.buf, rel, c->okdir.len) &&
	    rel[c->okdir.len] == '/')
		from = c->okdir.len + 1;
	for (size_t i = from; i <= plen; i++) {
		struct stat st;
		int gone;
		if (i < plen && rel[i] != '/')
			continue;
		strbuf_reset(&c->path2);
		strbuf_addf(&c->path2, "%s/%.*s", c->dest, (int)i, rel);
		gone = lstat(c->path2.buf, &st) < 0;
		if (gone || !S_ISDIR(st.st_mode)) {
			differs(c, rel, "missing (%.*s is %s%s in the target)", (int)i, rel,
				gone ? "missing" : "a ", gone ? "" : type_name(st.st_mode));
			return 0;
		}
	}
	strbuf_reset(&c->okdir);
	strbuf_add(&c->okdir, rel, plen);
	return 1;
}

/* PASS_VERIFY of one entry of the source: compare it with what the
 * target has at @rel, as the restore compares what it wrote. */
static int verify_source_entry(struct ctx *c, struct archive *a, struct archive_entry *ent,
			       struct archive_entry_linkresolver *lr, const char *rel)
{
	mode_t type = archive_entry_filetype(ent);
	struct archive_entry *w = ent;
	if (!c->is_dir && archive_entry_hardlink(ent)) {
		char *hrel = NULL;
		const char *why = NULL;
		if (!fsrestore_clean_name(archive_entry_hardlink(ent), &hrel, &why) || !*hrel) {
			refuse(c, "refused hardlink %s -> %s: %s", rel, archive_entry_hardlink(ent),
			     hrel ? "link to the root" : why);
			free(hrel);
			return 0;
		}
		archive_entry_copy_hardlink(ent, dest_path(c, &c->path2, hrel));
		free(hrel);
	}
	if (!target_parent_ok(c, rel))
		return 0;
	archive_entry_copy_pathname(ent, dest_path(c, &c->path, rel));
	if (lr && type == AE_IFREG && archive_entry_nlink(ent) > 1) {
		struct archive_entry *spare = NULL;
		archive_entry_linkify(lr, &w, &spare);
		if (spare)
			archive_entry_free(spare);
		if (!w)
			return 0;
	}
	if (type == AE_IFDIR) {
		c->res->dirs++;
		remember_dir(c, w, rel);
		return 0;
	}
	if (type == AE_IFREG && !archive_entry_hardlink(w) && c->o->checksum) {
		sha256_init(&c->sha);
		c->sha_pos = 0;
		if (archive_entry_size(w) > 0 && copy_data(c, a, NULL, rel) < 0)
			return -1;
	} else if (c->is_dir && type == AE_IFREG && archive_entry_size(w) > 0) {
		c->done_bytes += (uint64_t)archive_entry_size(w); /* compared, not read */
	}
	verify_entry(c, w, rel);
	if (type == AE_IFLNK) {
		c->res->symlinks++;
	} else {
		c->res->files++;
		if (!archive_entry_hardlink(w) && archive_entry_size(w) > 0)
			c->res->bytes += (uint64_t)archive_entry_size(w);
	}
	progress(c, "verifying", rel, 0);
	return 0;
}

/* The next entry of @d other than "." and "..", with @rel set to the first
 * @keep bytes of it, "/" and the entry's name.  NULL at the end (errno 0)
 * or on a read error (errno set). */
static struct dirent *next_entry(DIR *d, struct strbuf *rel, size_t keep)
{
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		strbuf_setlen(rel, keep);
		if (keep)
			strbuf_addch(rel, '/');
		strbuf_addstr(rel, de->d_name);
		return de;
	}
	return NULL;
}

/* What the target has below the open directory @dfd (relative path in
 * @rel) and the source does not: each such entry is a difference (an
 * extra directory once, without its content).  Entries the exclude
 * patterns match are left alone, as rsync leaves excluded files on the
 * receiving side.  Symlinks are never followed.  Returns 0, or -1 with
 * c->e set. */
static int extras_at(struct ctx *c, int dfd, struct strbuf *rel)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	size_t keep = rel->len;
	int en;
	if (!d) {
		en = errno;
		close(dfd);
		errno = en;
		goto fail;
	}
	while ((de = next_entry(d, rel, keep))) {
		struct stat st;
		int has, is_dir;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			goto fail_d;
		}
		is_dir = S_ISDIR(st.st_mode);
		if (exclude_match_path(c->ex, rel->buf, is_dir))
			continue;
		has = source_has(c, rel->buf, is_dir);
		if (!has && is_dir) {
			differs(c, rel->buf, "not in the source (a directory; what is in it is not listed)");
		} else if (!has) {
			differs(c, rel->buf, "not in the source (a %s)", type_name(st.st_mode));
		} else if (has == 1 && is_dir) {
			int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				goto fail_d;
			if (extras_at(c, fd, rel) < 0) {
				closedir(d);
				return -1;
			}
		}
		if ((++c->done_items & 255) == 0) {
			if (cancelled(c)) {
				closedir(d);
				return -1;
			}
			progress(c, "verifying", rel->buf, 0);
		}
	}
	if (errno)
		goto fail_d;
	closedir(d);
	strbuf_setlen(rel, keep);
	return 0;
fail_d:
	en = errno;
	closedir(d);
	errno = en;
fail:
	return err_errno(c->e, errno, "cannot read %s/%s", c->dest, rel->buf);
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
		int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT;
		/* SECURE_SYMLINKS has libarchive open and stat every component
		 * of every path (7 calls per file at depth 5).  Replace and
		 * in-place write into a fresh tree (new staging directory, or
		 * the emptied target) that holds only what this walk wrote,
		 * so a path can only pass a symlink this walk made: those are
		 * remembered and checked in memory (link_guard).  A merge
		 * writes into an existing tree and keeps libarchive's check. */
		c->track_links = c->o->mode != FSRESTORE_MERGE;
		if (!c->track_links)
			flags |= ARCHIVE_EXTRACT_SECURE_SYMLINKS;
		c->ext_flags = flags;
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
		c->ext = ext;
	}
	if (c->is_dir) {
		/* hardlinks: written as links, counted once by the scan */
		lr = archive_entry_linkresolver_new();
		archive_entry_linkresolver_set_strategy(lr, ARCHIVE_FORMAT_TAR_USTAR);
	}
	c->done_bytes = c->done_items = 0;

	for (;;) {
		int r, refused = 0;
		const char *name;
		char *rel = NULL, *hrel = NULL;
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
			refuse(c, "refused a member without a usable name at offset %lld",
			     (long long)archive_read_header_position(a));
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
			refuse(c, "refused member %s: %s", name, why);
			continue;
		}
		if (pass == PASS_VERIFY && !c->is_dir)
			names_add(c, rel, type == AE_IFDIR);
		if (!keep_entry(c, rel, type == AE_IFDIR, is_special(type))) {
			free(rel);
			continue; /* read_disk: not descended */
		}
		if (c->is_dir && type == AE_IFDIR)
			archive_read_disk_descend(a);
		if (!c->is_dir)
			c->done_bytes = src_bytes(c, a);
		c->done_items++;

		if (pass == PASS_SCAN) {
			int64_t sz = archive_entry_size(ent);
			const char *hl = archive_entry_hardlink(ent);
			if (lr && type == AE_IFREG && archive_entry_nlink(ent) > 1) {
				struct archive_entry *le = ent, *spare = NULL;
				archive_entry_linkify(lr, &le, &spare);
				if (spare)
					archive_entry_free(spare);
				hl = le ? archive_entry_hardlink(le) : NULL;
			}
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
			int vr = verify_source_entry(c, a, ent, lr, rel);
			free(rel);
			if (vr < 0)
				goto out;
			continue;
		}

		/* PASS_EXTRACT */
		if (!c->is_dir && archive_entry_hardlink(ent)) {
			if (!fsrestore_clean_name(archive_entry_hardlink(ent), &hrel, &why) || !*hrel) {
				refuse(c, "refused hardlink %s -> %s: %s", rel, archive_entry_hardlink(ent),
				     hrel ? "link to the root" : why);
				free(hrel);
				free(rel);
				continue;
			}
			archive_entry_copy_hardlink(ent, dest_path(c, &c->path2, hrel));
		}
		if (c->track_links && link_guard(c, rel, hrel)) {
			free(hrel);
			free(rel);
			continue;
		}
		free(hrel);
		if (type == AE_IFLNK && archive_entry_symlink(ent) &&
		    link_leaves_tree(rel, archive_entry_symlink(ent)))
			warn(c, "symlink %s points out of the restored tree (to %s); kept as a symlink", rel,
			     archive_entry_symlink(ent));
		archive_entry_copy_pathname(ent, dest_path(c, &c->path, rel));
		w = ent;
		if (lr && type == AE_IFREG && archive_entry_nlink(ent) > 1) {
			struct archive_entry *spare = NULL;
			archive_entry_linkify(lr, &w, &spare);
			if (spare)
				archive_entry_free(spare);
			if (!w) {
				free(rel);
				continue;
			}
		}
		if (type != AE_IFLNK && !archive_entry_hardlink(w))
			archive_entry_set_perm(w, restore_perm(c, type, archive_entry_perm(w), rel));
		r = archive_write_header(ext, w);
		if (status_ok(c, ext, r, rel, &refused) < 0) {
			free(rel);
			goto out;
		}
		if (!refused) {
			if (c->o->checksum) {
				sha256_init(&c->sha);
				c->sha_pos = 0;
			}
			if (archive_entry_size(w) > 0 && copy_data(c, a, ext, rel) < 0) {
				free(rel);
				goto out;
			}
			r = archive_write_finish_entry(ext);
			if (status_ok(c, ext, r, rel, NULL) < 0) {
				free(rel);
				goto out;
			}
			if (type == AE_IFDIR) {
				c->res->dirs++;
				remember_dir(c, w, rel);
			} else if (c->verify) {
				verify_entry(c, w, rel);
			}
			if (type == AE_IFLNK && c->track_links)
				remember_link(c, rel);
			if (type == AE_IFDIR)
				;
			else if (type == AE_IFLNK)
				c->res->symlinks++;
			else
				c->res->files++;
			if (type == AE_IFREG && !archive_entry_hardlink(w) && archive_entry_size(w) > 0)
				c->res->bytes += (uint64_t)archive_entry_size(w);
		} else {
			c->res->skipped++; /* status_ok() warned "refused ..." */
			c->res->refused++;
		}
		progress(c, "copying", rel, 0);
		free(rel);
	}
	if (ext) {
		int r = archive_write_close(ext);
		if (status_ok(c, ext, r, "", NULL) < 0)
			goto out;
		if (fixup_dirs(c) < 0)
			goto out;
	} else if (pass == PASS_VERIFY) {
		check_dirs(c);
	}
	rc = 0;
out:
	linkset_free(&c->links);
	c->track_links = 0;
	c->ext = NULL;
	if (lr)
		archive_entry_linkresolver_free(lr);
	if (ext)
		archive_write_free(ext);
	if (dent)
		archive_entry_free(dent);
	archive_read_free(a);
	fsrestore_ahead_free(c->ahead);
	c->ahead = NULL;
	return rc;
}

/* ---- pre-scan of a directory source ---------------------------------- */

/* Inodes of files with several links seen by the scan (dev, ino), an
 * open-addressing set: only hardlink candidates are remembered. */
struct inoset {
	uint64_t (*slot)[2];
	size_t cap, n;
};

/* Add (dev, ino); 1 if it was new, 0 if seen before. */
static int inoset_add(struct inoset *s, uint64_t dev, uint64_t ino)
{
	size_t i;
	if (2 * (s->n + 1) > s->cap) {
		struct inoset big = { NULL, s->cap ? 2 * s->cap : 256, 0 };
		big.slot = xcalloc(big.cap, sizeof *big.slot);
		for (i = 0; i < s->cap; i++)
			if (s->slot[i][1])
				inoset_add(&big, s->slot[i][0], s->slot[i][1]);
		free(s->slot);
		*s = big;
	}
	ino++; /* 0 marks a free slot */
	for (i = (size_t)((ino * 0x9e3779b97f4a7c15ULL) ^ dev) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->slot[i][1]) {
			s->slot[i][0] = dev;
			s->slot[i][1] = ino;
			s->n++;
			return 1;
		}
		if (s->slot[i][0] == dev && s->slot[i][1] == ino)
			return 0;
	}
}

/* Count the entries under the open directory @dfd (relative path in
 * @rel) as the PASS_SCAN of walk() counts a directory source, with
 * fstatat on names relative to @dfd and d_type where it suffices: no file
 * is opened.  Allocated bytes of a sparse file come from st_blocks. */
static int scan_dir_at(struct ctx *c, int dfd, struct strbuf *rel, struct inoset *links)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	size_t keep = rel->len;
	if (!d) {
		close(dfd);
		goto fail;
	}
	while ((de = next_entry(d, rel, keep))) {
		struct stat st;
		mode_t type;
		if (de->d_type == DT_DIR) {
			type = S_IFDIR;
		} else if (de->d_type == DT_LNK) {
			type = S_IFLNK;
		} else {
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno == ENOENT)
					continue; /* removed while we read */
				goto fail_d;
			}
			type = st.st_mode & S_IFMT;
		}
		if (!keep_entry(c, rel->buf, type == S_IFDIR,
				type != S_IFDIR && type != S_IFLNK && type != S_IFREG))
			continue;
		c->done_items++;
		c->scan_items++;
		if (type == S_IFDIR) {
			int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			c->res->dirs++;
			c->need_bytes += 4096;
			if (fd < 0 || scan_dir_at(c, fd, rel, links) < 0) {
				if (fd >= 0)
					goto fail_quiet;
				goto fail_d;
			}
		} else if (type == S_IFLNK) {
			c->res->symlinks++;
		} else {
			c->res->files++;
			if (st.st_size > 0 && (st.st_nlink < 2 || inoset_add(links, st.st_dev, st.st_ino))) {
				uint64_t alloc = (uint64_t)st.st_blocks * 512;
				if (alloc > (uint64_t)st.st_size)
					alloc = (uint64_t)st.st_size;
				c->scan_bytes += (uint64_t)st.st_size;
				c->res->bytes += (uint64_t)st.st_size;
				c->need_bytes += (alloc + 4095) & ~(uint64_t)4095;
			}
		}
		if ((c->scan_items & 63) == 0) {
			if (cancelled(c))
				goto fail_quiet;
			progress(c, "scanning", rel->buf, 0);
		}
	}
	if (errno) {
		strbuf_setlen(rel, keep);
		goto fail_d;
	}
	closedir(d);
	strbuf_setlen(rel, keep);
	return 0;
fail_d: {
	int saved = errno; /* closedir may set errno */
	closedir(d);
	errno = saved;
}
fail:
	err_errno(c->e, errno, "cannot read %s/%s", c->src_root, rel->buf);
	err_where(c->e, c->source, 0, -1);
	err_hint(c->e, "check that the source is readable by this user and the disk is healthy");
	return -1;
fail_quiet:
	closedir(d);
	return -1;
}

/* PASS_SCAN of a directory source, without archive_read_disk (which opens
 * every file and probes it for holes). */
static int scan_dir(struct ctx *c)
{
	struct strbuf rel = STRBUF_INIT;
	struct inoset links = { NULL, 0, 0 };
	int fd, rc;
	c->done_bytes = c->done_items = 0;
	fd = open(c->src_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err_errno(c->e, errno, "cannot read source directory %s", c->source);
		return -1;
	}
	c->done_items++;
	c->scan_items++;
	c->res->dirs++;
	c->need_bytes += 4096;
	rc = scan_dir_at(c, fd, &rel, &links);
	strbuf_release(&rel);
	free(links.slot);
	return rc;
}

/* ---- directory -> fresh staging tree, without libarchive --------------- */

/*
 * A directory source restored into the new staging tree (replace mode, no
 * xattrs/ACLs asked) is copied here with system calls relative to open
 * directory fds: per file one fstatat, an openat on each side,
 * copy_file_range for the data (holes kept with SEEK_DATA/SEEK_HOLE for
 * files with fewer blocks than bytes), fchown (root), fchmod only when the
 * creation mode was cut by the umask or carries set-id bits, futimens and
 * an fstat for the inline verification.  archive_read_disk and
 * archive_write_disk make about three times as many calls per file
 * (every file opened twice and probed for holes, two umask calls, fchdir
 * walking).  Hardlinks are made with linkat to the first name written
 * (only inodes with several links are remembered, and forgotten once all
 * their names were seen); symlinks are copied, never followed.
 */

/* A source inode with several links, already written as @rel. */
struct hlink {
	struct hlink *next;
	dev_t dev;
	ino_t ino;
	nlink_t left; /* names still to come */
	char rel[];
};

struct copier {
	struct ctx *c;
	struct hlink **hb;
	size_t nhb, nh;
	mode_t umask;
	int chown_all;  /* 0: skip fchown where the new file already has the
			 * source's owner (ours, no set-gid directory above) */
	uid_t euid;
	gid_t egid;
	char *buf;      /* read/write fallback and --checksum; allocated on first use */
	struct strbuf rel;
};

#define COPY_BUF (1 << 17)

static struct hlink **hlink_find(struct copier *k, dev_t dev, ino_t ino)
{
	struct hlink **pp = &k->hb[(size_t)((ino * 0x9e3779b97f4a7c15ULL) >> 20 ^ dev) & (k->nhb - 1)];
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->dev == dev && (*pp)->ino == ino)
			break;
	return pp;
}

static void hlink_add(struct copier *k, const struct stat *st, const char *rel)
{
	struct hlink **pp, *h;
	size_t len = strlen(rel);
	if (k->nh + 1 > k->nhb) {
		size_t nb = k->nhb ? 2 * k->nhb : 256, old = k->nhb;
		struct hlink **ob = k->hb;
		k->hb = xcalloc(nb, sizeof *k->hb);
		k->nhb = nb;
		for (size_t i = 0; i < old; i++)
			while (ob[i]) {
				struct hlink *x = ob[i];
				ob[i] = x->next;
				pp = hlink_find(k, x->dev, x->ino);
				x->next = NULL;
				*pp = x;
			}
		free(ob);
	}
	h = xmalloc(sizeof *h + len + 1);
	h->next = NULL;
	h->dev = st->st_dev;
	h->ino = st->st_ino;
	h->left = st->st_nlink - 1;
	memcpy(h->rel, rel, len + 1);
	pp = hlink_find(k, st->st_dev, st->st_ino);
	*pp = h;
	k->nh++;
}

static int copy_fail_write(struct ctx *c, int en, const char *rel)
{
	err_errno(c->e, en, "cannot write %s/%s", c->dest, rel);
	if (en == ENOSPC || en == EDQUOT)
		c->out_of_space = 1;
	return -1;
}

static int copy_fail_read(struct ctx *c, int en, const char *rel)
{
	err_errno(c->e, en, "cannot read %s/%s", c->src_root, rel);
	err_where(c->e, c->source, 0, -1);
	err_hint(c->e, "check that the source is readable by this user and the disk is healthy");
	return -1;
}

/* Copy @len bytes at @off from @in to @out; --checksum hashes them. */
static int copy_range(struct copier *k, int in, int out, off_t off, off_t len, const char *rel)
{
	struct ctx *c = k->c;
	int plain = c->o->checksum;
	unsigned n = 0;
	while (len > 0) {
		ssize_t got;
		size_t want = len > (off_t)(1 << 30) ? (size_t)1 << 30 : (size_t)len;
		if (!plain) {
			off_t ioff = off, ooff = off;
			got = copy_file_range(in, &ioff, out, &ooff, want, 0);
			if (got < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
					errno == EOPNOTSUPP || errno == EPERM)) {
				plain = 1;
				continue;
			}
			if (got < 0)
				return errno == ENOSPC || errno == EDQUOT || errno == EFBIG
					       ? copy_fail_write(c, errno, rel)
					       : copy_fail_read(c, errno, rel);
		} else {
			ssize_t w, done = 0;
			/* first read/write fallback of the walk (copy_file_range
			 * refused: another filesystem, no support) */
			if (!k->buf)
				k->buf = xmalloc(COPY_BUF);
			if (want > COPY_BUF)
				want = COPY_BUF;
			got = pread(in, k->buf, want, off);
			if (got < 0)
				return copy_fail_read(c, errno, rel);
			while (done < got) {
				w = pwrite(out, k->buf + done, (size_t)(got - done), off + done);
				if (w < 0)
					return copy_fail_write(c, errno, rel);
				done += w;
			}
			if (c->o->checksum && got) {
				hash_zeros(c, (uint64_t)off);
				sha256_update(&c->sha, k->buf, (size_t)got);
				c->sha_pos = (uint64_t)off + (uint64_t)got;
			}
		}
		if (got == 0 && !plain) {
			plain = 1; /* some filesystems answer 0 instead of an error */
			continue;
		}
		if (got == 0) {
			err_set(c->e, "cannot read %s/%s: the file shrank while it was copied", c->src_root, rel);
			return -1;
		}
		off += got;
		len -= got;
		c->done_bytes += (uint64_t)got;
		if ((++n & 15) == 0) {
			if (cancelled(c))
				return -1;
			progress(c, "copying", rel, 0);
		}
	}
	return 0;
}

/* The data of a regular file; holes stay holes. */
static int copy_file_data(struct copier *k, int in, int out, const struct stat *st, const char *rel)
{
	off_t size = st->st_size, pos = 0;
	if (size == 0)
		return 0;
	if ((off_t)st->st_blocks * 512 >= size)
		return copy_range(k, in, out, 0, size, rel);
	while (pos < size) {
		off_t data = lseek(in, pos, SEEK_DATA), hole;
		if (data < 0 && errno == ENXIO)
			break; /* only a hole is left */
		if (data < 0)
			return copy_range(k, in, out, pos, size - pos, rel); /* no SEEK_DATA here */
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0 || hole > size)
			hole = size;
		if (copy_range(k, in, out, data, hole - data, rel) < 0)
			return -1;
		pos = hole;
	}
	if (ftruncate(out, size) < 0)
		return copy_fail_write(k->c, errno, rel);
	return 0;
}

/* Compare the written file (fstat of @fd, or lstat of @name in @dfd when
 * @fd < 0) with the source's @src. */
static void copy_verify(struct ctx *c, int dfd, const char *name, int fd, const struct stat *src,
			const char *rel)
{
	struct stat st;
	if ((fd >= 0 ? fstat(fd, &st) : fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW)) < 0) {
		differs(c, rel, "missing");
		return;
	}
	if ((st.st_mode & S_IFMT) != (src->st_mode & S_IFMT)) {
		differs(c, rel, "type differs");
		return;
	}
	verify_mode_time(c, rel, &st, src->st_mode, 1, &src->st_mtim);
	if ((st.st_mode & S_IFMT) == S_IFREG && st.st_size != src->st_size)
		differs(c, rel, "size %lld, source %lld", (long long)st.st_size, (long long)src->st_size);
}

static int copy_file(struct copier *k, int sdfd, int ddfd, const char *name, const struct stat *st,
		     const char *rel)
{
	struct ctx *c = k->c;
	mode_t perm;
	struct timespec ts[2];
	int in, out, rc = -1;
	if (st->st_nlink > 1) {
		struct hlink **pp = k->nhb ? hlink_find(k, st->st_dev, st->st_ino) : NULL;
		if (pp && *pp) {
			struct hlink *h = *pp;
			const char *to = dest_path(c, &c->path2, h->rel);
			if (linkat(AT_FDCWD, to, ddfd, name, 0) < 0)
				return copy_fail_write(c, errno, rel);
			if (c->verify) {
				struct stat a, b;
				if (fstatat(ddfd, name, &a, AT_SYMLINK_NOFOLLOW) < 0 || lstat(to, &b) < 0 ||
				    a.st_ino != b.st_ino || a.st_dev != b.st_dev)
					differs(c, rel, "not a hardlink to %s", to);
			}
			if (--h->left == 0) {
				*pp = h->next;
				free(h);
				k->nh--;
			}
			c->res->files++;
			return 0;
		}
	}
	in = openat(sdfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (in < 0)
		return copy_fail_read(c, errno, rel);
	perm = restore_perm(c, S_IFREG, st->st_mode, rel);
	/* created with its final permissions where the umask leaves them
	 * (the staging tree is 0700 until the end); set-id bits after fchown */
	out = openat(ddfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, perm & 0777);
	if (out < 0) {
		copy_fail_write(c, errno, rel);
		close(in);
		return -1;
	}
	if (c->o->checksum) {
		sha256_init(&c->sha);
		c->sha_pos = 0;
	}
	if (copy_file_data(k, in, out, st, rel) < 0)
		goto done;
	if (c->root && (k->chown_all || st->st_uid != k->euid || st->st_gid != k->egid) &&
	    fchown(out, st->st_uid, st->st_gid) < 0)
		warn(c, "cannot set the owner of %s/%s: %s", c->dest, rel, strerror(errno));
	if (perm != (perm & 0777 & ~k->umask) && fchmod(out, perm) < 0) {
		copy_fail_write(c, errno, rel);
		goto done;
	}
	ts[0] = st->st_atim;
	ts[1] = st->st_mtim;
	if (futimens(out, ts) < 0) {
		copy_fail_write(c, errno, rel);
		goto done;
	}
	if (c->verify) {
		copy_verify(c, ddfd, name, out, st, rel);
		if (c->o->checksum)
			verify_content(c, dest_path(c, &c->path, rel), rel, (uint64_t)st->st_size);
	}
	if (st->st_nlink > 1)
		hlink_add(k, st, rel);
	c->res->files++;
	c->res->bytes += (uint64_t)st->st_size;
	rc = 0;
done:
	close(in);
	if (close(out) < 0 && rc == 0)
		rc = copy_fail_write(c, errno, rel);
	return rc;
}

static int copy_symlink(struct copier *k, int sdfd, int ddfd, const char *name, const struct stat *st,
			const char *rel)
{
	struct ctx *c = k->c;
	struct strbuf t = STRBUF_INIT;
	struct timespec ts[2];
	size_t sz = st->st_size > 0 ? (size_t)st->st_size + 1 : 256;
	ssize_t n;
	int rc = -1;
	for (;;) {
		strbuf_grow(&t, sz);
		n = readlinkat(sdfd, name, t.buf, sz);
		if (n < 0) {
			copy_fail_read(c, errno, rel);
			goto out;
		}
		if ((size_t)n < sz)
			break;
		sz *= 2;
	}
	strbuf_setlen(&t, (size_t)n);
	if (link_leaves_tree(rel, t.buf))
		warn(c, "symlink %s points out of the restored tree (to %s); kept as a symlink", rel, t.buf);
	if (symlinkat(t.buf, ddfd, name) < 0) {
		copy_fail_write(c, errno, rel);
		goto out;
	}
	if (c->root && (k->chown_all || st->st_uid != k->euid || st->st_gid != k->egid) &&
	    fchownat(ddfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		warn(c, "cannot set the owner of %s/%s: %s", c->dest, rel, strerror(errno));
	ts[0] = st->st_atim;
	ts[1] = st->st_mtim;
	if (utimensat(ddfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		warn(c, "cannot set the times of %s/%s: %s", c->dest, rel, strerror(errno));
	if (c->verify) {
		char *back = xmalloc((size_t)n + 2);
		ssize_t m = readlinkat(ddfd, name, back, (size_t)n + 2);
		if (m != n || memcmp(back, t.buf, (size_t)n))
			differs(c, rel, "symlink target differs");
		free(back);
	}
	c->res->symlinks++;
	rc = 0;
out:
	strbuf_release(&t);
	return rc;
}

static void remember_dir_st(struct ctx *c, const struct stat *st, const char *rel)
{
	struct dirrec *d;
	if (c->ndirs == c->adirs) {
		c->adirs = c->adirs ? 2 * c->adirs : 256;
		c->dirs = xrealloc(c->dirs, c->adirs * sizeof *c->dirs);
	}
	d = &c->dirs[c->ndirs++];
	d->rel = xstrdup(rel);
	d->perm = restore_perm(c, S_IFDIR, st->st_mode, rel);
	d->mtime_set = 1;
	d->times[0] = st->st_atim;
	d->times[1] = st->st_mtim;
	d->uid = st->st_uid;
	d->gid = st->st_gid;
}

/* Copy the entries of the source directory @sdfd into @ddfd (both owned
 * here and closed). */
static int copy_dir_at(struct copier *k, int sdfd, int ddfd)
{
	struct ctx *c = k->c;
	struct strbuf *rel = &k->rel;
	size_t keep = rel->len;
	DIR *d = fdopendir(sdfd);
	struct dirent *de;
	int rc = -1;
	if (!d) {
		copy_fail_read(c, errno, rel->buf);
		close(sdfd);
		close(ddfd);
		return -1;
	}
	while ((de = next_entry(d, rel, keep))) {
		struct stat st;
		mode_t type;
		const char *name = de->d_name;
		if (cancelled(c))
			goto out;
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT) {
				warn(c, "%s vanished while it was copied", rel->buf);
				continue;
			}
			copy_fail_read(c, errno, rel->buf);
			goto out;
		}
		type = st.st_mode & S_IFMT;
		if (!keep_entry(c, rel->buf, type == S_IFDIR,
				type != S_IFDIR && type != S_IFLNK && type != S_IFREG))
			continue;
		c->done_items++;
		if (type == S_IFDIR) {
			int s2, d2;
			if (mkdirat(ddfd, name, 0700) < 0) {
				copy_fail_write(c, errno, rel->buf);
				goto out;
			}
			remember_dir_st(c, &st, rel->buf);
			c->res->dirs++;
			s2 = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (s2 < 0) {
				copy_fail_read(c, errno, rel->buf);
				goto out;
			}
			d2 = openat(ddfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (d2 < 0) {
				copy_fail_write(c, errno, rel->buf);
				close(s2);
				goto out;
			}
			if (copy_dir_at(k, s2, d2) < 0)
				goto out;
		} else if (type == S_IFLNK) {
			if (copy_symlink(k, dirfd(d), ddfd, name, &st, rel->buf) < 0)
				goto out;
		} else if (copy_file(k, dirfd(d), ddfd, name, &st, rel->buf) < 0) {
			goto out;
		}
		progress(c, "copying", rel->buf, 0);
	}
	if (errno) {
		copy_fail_read(c, errno, rel->buf);
		goto out;
	}
	rc = 0;
out:
	strbuf_setlen(rel, keep);
	closedir(d);
	close(ddfd);
	return rc;
}

/* Can the source be copied by copy_tree() instead of walk()? */
static int copy_tree_fits(struct ctx *c)
{
	return c->is_dir && c->o->mode == FSRESTORE_REPLACE && !c->o->xattrs && !c->o->acls;
}

/* PASS_EXTRACT of a directory source into the new, empty c->dest. */
static int copy_tree(struct ctx *c)
{
	struct copier k;
	struct stat st;
	int sfd, dfd, rc;
	memset(&k, 0, sizeof k);
	k.c = c;
	strbuf_init(&k.rel, 256);
	k.euid = geteuid();
	k.egid = getegid();
	k.umask = umask(077);
	umask(k.umask);
	c->done_bytes = c->done_items = 0;
	sfd = open(c->src_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0 || fstat(sfd, &st) < 0) {
		err_errno(c->e, errno, "cannot read source directory %s", c->source);
		if (sfd >= 0)
			close(sfd);
		rc = -1;
		goto out;
	}
	dfd = open(c->dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	{
		struct stat ds;
		/* new entries get our uid and, without a set-gid bit on the
		 * staging root (inherited by every mkdirat below it), our gid */
		k.chown_all = dfd < 0 || fstat(dfd, &ds) < 0 || (ds.st_mode & S_ISGID);
	}
	if (dfd < 0) {
		err_errno(c->e, errno, "cannot open %s", c->dest);
		close(sfd);
		rc = -1;
		goto out;
	}
	c->done_items++;
	c->res->dirs++;
	remember_dir_st(c, &st, "");
	rc = copy_dir_at(&k, sfd, dfd);
	if (rc == 0)
		rc = fixup_dirs(c);
out:
	for (size_t i = 0; i < k.nhb; i++)
		while (k.hb[i]) {
			struct hlink *x = k.hb[i];
			k.hb[i] = x->next;
			free(x);
		}
	free(k.hb);
	free(k.buf);
	strbuf_release(&k.rel);
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
	fault_point("files.chown");
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
		return err_set(e, "setting the owner aborted: %s", report_stop_reason(r));
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

void fsrestore_add_counts(struct strbuf *sb, const struct fsrestore_result *res)
{
	strbuf_addcount(sb, res->files, "file", "files");
	strbuf_addstr(sb, ", ");
	strbuf_addcount(sb, res->dirs, "directory", "directories");
	strbuf_addstr(sb, ", ");
	strbuf_addcount(sb, res->symlinks, "symlink", "symlinks");
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
	char *doing = xstrfmt("restore %s", c->o->source);
	fsrestore_space_error(c->e, dir, doing, need, avail, what_free);
	free(doing);
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

/* Allocated bytes of the tree at @name (like du; hardlinked files share). */
static uint64_t du_at(int dfd, const char *name)
{
	struct stat st;
	uint64_t sum;
	int fd;
	DIR *d;
	struct dirent *de;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	sum = (uint64_t)st.st_blocks * 512 / (st.st_nlink > 1 && !S_ISDIR(st.st_mode) ? st.st_nlink : 1);
	if (!S_ISDIR(st.st_mode))
		return sum;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return sum;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return sum;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			sum += du_at(dirfd(d), de->d_name);
	closedir(d);
	return sum;
}

/* Remove everything inside the directory @path, keeping @path. */
static int empty_dir(const char *path, struct err *e)
{
	DIR *d = opendir(path);
	struct dirent *de;
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;
	if (!d)
		return err_errno(e, errno, "cannot read %s", path);
	while (rc == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		strbuf_reset(&sb);
		strbuf_addf(&sb, "%s/%s", path, de->d_name);
		rc = fsrestore_rmtree(sb.buf, e);
	}
	closedir(d);
	strbuf_release(&sb);
	return rc;
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
		if (walk(c, PASS_SCAN) == 0)
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

static void ctx_init(struct ctx *c, const struct fsrestore_opts *o, struct report *r,
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
	strbuf_init(&c->path, 256);
	strbuf_init(&c->path2, 256);
	strbuf_init(&c->diff_rel, 0);
	strbuf_init(&c->diff_what, 0);
	strbuf_init(&c->okdir, 0);
}

static void ctx_release(struct ctx *c)
{
	exclude_free(c->ex);
	free_dirs(c);
	free(c->iobuf);
	linkset_free(&c->names);
	linkset_free(&c->changed);
	strbuf_release(&c->path);
	strbuf_release(&c->path2);
	strbuf_release(&c->diff_rel);
	strbuf_release(&c->diff_what);
	strbuf_release(&c->okdir);
	free(c->src_root);
}

/* What kind of source c->source is (directory or archive, by content),
 * its size, and the exclude patterns.  Returns 0, or -1 with c->e set. */
static int source_setup(struct ctx *c)
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
			err_set(e, "source %s is %s %s, not a directory or an archive", o->source,
				strchr("aeiou", magic_name(c->kind)[0]) ? "an" : "a", magic_name(c->kind));
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

	ctx_init(&c, o, r, res, e);
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
	target = canonical_target(o->target, e);
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
	if (source_setup(&c) < 0)
		goto out;
	srcreal = realpath(c.source, NULL);
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
			progress(&c, "scanning", NULL, 1);
			if ((c.is_dir ? scan_dir(&c) : walk(&c, PASS_SCAN)) < 0)
				goto out;
			c.quiet = 0;
			c.scanned = 1;
			if (o->dry_run) {
				struct strbuf sb = STRBUF_INIT;
				fsrestore_add_counts(&sb, res);
				strbuf_addstr(&sb, ", ");
				strbuf_addcount(&sb, res->bytes, "byte", "bytes");
				if (res->refused) {
					strbuf_addstr(&sb, "; ");
					strbuf_addcount(&sb, res->refused, "member", "members");
					strbuf_addstr(&sb, " would be refused");
				}
				report_log(r, LOG_INFO, "dry run: %s holds %s", o->source, sb.buf);
				strbuf_release(&sb);
				rc = 0;
				goto out;
			}
			/* the extract pass counts again */
			res->files = res->dirs = res->symlinks = res->bytes = 0;
			res->skipped = res->refused = res->excluded = res->warnings = 0;
		}
	}

	if (o->mode == FSRESTORE_MERGE) {
		if (!target_exists && mkdir(target, 0700) < 0) {
			err_errno(e, errno, "cannot create %s", target);
			goto out;
		}
		c.dest = target;
		if (walk(&c, PASS_EXTRACT) < 0)
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
		old = du_at(AT_FDCWD, target);
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
		if (empty_dir(target, e) < 0)
			goto out;
		c.dest = target;
		progress(&c, "copying", NULL, 1);
		if (walk(&c, PASS_EXTRACT) < 0) {
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
		progress(&c, "copying", NULL, 1);
		if ((copy_tree_fits(&c) ? copy_tree(&c) : walk(&c, PASS_EXTRACT)) < 0) {
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
	progress(&c, "copying", NULL, 1);
	diff_flush(&c);
	/* Every member refused (a hostile or "tar -P" archive): restoring an
	 * empty tree over the target would only destroy it. */
	if (o->mode != FSRESTORE_MERGE && res->skipped && !res->files && !res->symlinks &&
	    res->dirs <= 1) {
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
		struct strbuf apart = STRBUF_INIT;
		if (res->refused || res->modes_changed) {
			strbuf_addstr(&apart, ", apart from the ");
			if (res->refused)
				strbuf_addcount(&apart, res->refused, "refused member",
						"refused members");
			if (res->refused && res->modes_changed)
				strbuf_addstr(&apart, " and the ");
			if (res->modes_changed)
				strbuf_addcount(&apart, res->modes_changed, "mode changed",
						"modes changed");
			strbuf_addstr(&apart, " above");
		}
		report_log(r, LOG_INFO, "verified: the restored tree matches the backup %s%s "
			   "(type, size, mode, mtime, link target%s)", o->source, apart.buf,
			   o->checksum ? ", SHA-256 of content" : "");
		strbuf_release(&apart);
	}
	if (o->set_owner && fsrestore_set_owner(c.dest, o->uid, o->gid, r, e) < 0)
		goto out;
	if (o->mode == FSRESTORE_REPLACE) {
		const char *what = o->name ? o->name : "tree";
		char *old_at = NULL;
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
		if (fsrestore_rmtree(staging, &e2) < 0)
			report_log(r, LOG_ERROR, "could not remove the staging tree: %s", e2.msg);
		err_clear(&e2);
	}
	if (fetch_dir) {
		struct err e2 = ERR_INIT;
		if (fsrestore_rmtree(fetch_dir, &e2) < 0)
			report_log(r, LOG_ERROR, "could not remove the fetched copy: %s", e2.msg);
		err_clear(&e2);
	}
	diff_flush(&c);
	ctx_release(&c);
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

/* The process's umask, read without changing it (umask(2) would, for a
 * moment, for every thread); 022 where /proc does not say. */
static mode_t current_umask(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	unsigned m = 022;
	if (!f)
		return 022;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Umask: %o", &m) == 1)
			break;
	fclose(f);
	return (mode_t)(m & 0777);
}

void fsrestore_fix_root_mode(const char *root, const char *kept, struct report *r)
{
	struct stat st, old;
	mode_t m;
	if (stat(root, &st) < 0 || (st.st_mode & 07777) != 0700)
		return;
	if (kept && stat(kept, &old) == 0) {
		if (geteuid() == 0 && chown(root, old.st_uid, old.st_gid) < 0)
			report_log(r, LOG_WARN, "cannot give %s the owner of %s: %s", root, kept,
				   strerror(errno));
		/* never world-writable (issue 16.4) */
		m = old.st_mode & 07777 & ~(mode_t)S_IWOTH;
		if (chmod(root, m) == 0)
			report_log(r, m != (old.st_mode & 07777) ? LOG_WARN : LOG_INFO,
				   "%s has the mode of the old tree (%04o%s); the archive did not say",
				   root, (unsigned)m, m != (old.st_mode & 07777) ? ", world-write cleared" : "");
		return;
	}
	m = 0755 & ~current_umask();
	if (chmod(root, m) == 0)
		report_log(r, LOG_INFO, "%s made %04o (0755 minus the umask); the archive did not give "
			   "its mode", root, (unsigned)m);
}

int fsrestore_verify(const struct fsrestore_opts *o, fsrestore_diff_fn *on_diff, void *diff_ctx,
		     struct report *r, struct fsrestore_result *res, struct err *e)
{
	struct ctx c;
	struct strbuf rel = STRBUF_INIT;
	char *target = NULL;
	struct stat st;
	int rc = -1, fd;

	ctx_init(&c, o, r, res, e);
	c.verify = 1;
	c.verify_only = 1;
	c.on_diff = on_diff;
	c.diff_ctx = diff_ctx;
	if (!o->source || !*o->source || !o->target || !*o->target) {
		err_set(e, "verification needs a source and a target");
		goto out;
	}
	if (fsrestore_is_remote(o->source)) {
		err_set(e, "%s is a remote source; a tree is verified against a local backup", o->source);
		err_hint(e, "fetch a copy first (rsync -a %s DIR) and verify against DIR", o->source);
		goto out;
	}
	target = canonical_target(o->target, e);
	if (!target)
		goto out;
	if (lstat(target, &st) < 0) {
		err_errno(e, errno, "cannot read target %s", o->target);
		err_hint(e, "give the restored tree to compare with the backup");
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		err_set(e, "target %s is not a directory", o->target);
		err_hint(e, "give the restored tree to compare with the backup");
		goto out;
	}
	if (source_setup(&c) < 0)
		goto out;
	c.dest = target;
	if (c.is_dir) {
		/* totals for the progress: a scan with fstatat only */
		c.quiet = 1;
		if (scan_dir(&c) < 0)
			goto out;
		c.quiet = 0;
		c.scanned = 1;
		res->files = res->dirs = res->symlinks = res->bytes = 0;
		res->skipped = res->refused = res->excluded = res->warnings = 0;
	}
	progress(&c, "verifying", NULL, 1);
	if (walk(&c, PASS_VERIFY) < 0)
		goto out;
	fd = open(target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err_errno(e, errno, "cannot read %s", target);
		goto out;
	}
	if (extras_at(&c, fd, &rel) < 0)
		goto out;
	diff_flush(&c);
	progress(&c, "verifying", NULL, 1);
	{
		struct strbuf sb = STRBUF_INIT;
		strbuf_addcount(&sb, res->differences, "difference", "differences");
		report_log(r, LOG_INFO, "compared %s with %s (type, size, mode, mtime, link target%s): %s",
			   target, o->source, o->checksum ? ", SHA-256 of content" : "", sb.buf);
		strbuf_release(&sb);
	}
	rc = 0;
out:
	if (rc < 0)
		c.diff_pending = 0; /* an error: the count stands as it was */
	ctx_release(&c);
	strbuf_release(&rel);
	free(target);
	return rc;
}
