/* fsrestore_verify: what was written, or an existing tree, compared with
 * the source; see fsrestore.h and fsrestore_int.h. */
#include "config.h"
#include "fsrestore.h"
#include "fsrestore_int.h"
#include "i18n.h"
#include "exclude.h"
#include "err.h"
#include "report.h"
#include "sha256.h"
#include "strbuf.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- verification of one entry --------------------------------------- */

/* Pass on the pending difference (one path, all that differs in it). */
void fsrestore_diff_flush(struct ctx *c)
{
	const char *rel;
	if (!c->diff_pending)
		return;
	c->diff_pending = 0;
	c->res->differences++;
	rel = c->diff_rel.len ? c->diff_rel.buf : ".";
	if (c->on_diff) {
		c->on_diff(c->diff_ctx, rel, c->diff_what.buf, c->diff_what_l10n.buf);
	} else {
		char *shown = xstrfmt(_("differs: %s: %s"), rel, c->diff_what_l10n.buf);
		report_log_l10n(c->r, LOG_WARN, shown, "differs: %s: %s", rel, c->diff_what.buf);
		free(shown);
	}
}

/* Record a difference at @rel.  The checks of one entry run one after
 * the other, so what differs in the same path is joined ("mode ...; mtime
 * ...") and counts once. */
static void differs(struct ctx *c, const char *rel, const char *shown, const char *fmt, va_list ap)
{
	const char *t = shown ? NULL : i18n_find(fmt);
	va_list aq;
	if (c->diff_pending && !strcmp(c->diff_rel.buf, rel)) {
		strbuf_addstr(&c->diff_what, "; ");
		strbuf_addstr(&c->diff_what_l10n, "; ");
	} else {
		fsrestore_diff_flush(c);
		strbuf_reset(&c->diff_rel);
		strbuf_addstr(&c->diff_rel, rel);
		strbuf_reset(&c->diff_what);
		strbuf_reset(&c->diff_what_l10n);
		c->diff_pending = 1;
	}
	va_copy(aq, ap);
	strbuf_vaddf(&c->diff_what, fmt, ap);
	if (shown)
		strbuf_addstr(&c->diff_what_l10n, shown);
	else
		strbuf_vaddf(&c->diff_what_l10n, t ? t : fmt, aq);
	va_end(aq);
}

void fsrestore_differs(struct ctx *c, const char *rel, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	differs(c, rel, NULL, fmt, ap);
	va_end(ap);
}

void fsrestore_differs_l10n(struct ctx *c, const char *rel, const char *shown, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	differs(c, rel, shown, fmt, ap);
	va_end(ap);
}

/* "a file", "a directory", ...: English, a msgid (_() it for the screen). */
static const char *type_name(mode_t type)
{
	switch (type & S_IFMT) {
	case S_IFREG: return N_("a file");
	case S_IFDIR: return N_("a directory");
	case S_IFLNK: return N_("a symlink");
	case S_IFIFO: return N_("a FIFO");
	case S_IFSOCK: return N_("a socket");
	default: return N_("a device");
	}
}

/* Hash the file written at @p and compare with the source's digest. */
void fsrestore_verify_content(struct ctx *c, const char *p, const char *rel, uint64_t size)
{
	uint8_t want[SHA256_DIGEST_LEN], got[SHA256_DIGEST_LEN];
	struct sha256 s;
	int fd;
	ssize_t n;
	fsrestore_hash_zeros(c, size);
	sha256_final(&c->sha, want);
	fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		fsrestore_differs(c, rel, "cannot read it back: %s", strerror(errno));
		return;
	}
	if (!c->iobuf)
		c->iobuf = xmalloc(1 << 17);
	sha256_init(&s);
	while ((n = read(fd, c->iobuf, 1 << 17)) > 0)
		sha256_update(&s, c->iobuf, (size_t)n);
	if (n < 0)
		fsrestore_differs(c, rel, "cannot read it back: %s", strerror(errno));
	close(fd);
	sha256_final(&s, got);
	if (n >= 0 && memcmp(want, got, sizeof want)) {
		char hw[65], hg[65];
		sha256_hex(want, hw);
		sha256_hex(got, hg);
		fsrestore_differs(c, rel, "SHA-256 %s, source %s", hg, hw);
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
mode_t fsrestore_restore_perm(struct ctx *c, mode_t type, mode_t perm, const char *rel)
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

void fsrestore_verify_mode_time(struct ctx *c, const char *rel, const struct stat *st, mode_t perm,
				int mtime_set, const struct timespec *mt)
{
	mode_t mask = c->root ? 07777 : 0777;
	mode_t want = safe_perm(c, st->st_mode & S_IFMT, perm);
	if ((st->st_mode & mask) != (want & mask)) {
		if (want != (perm & 07777))
			fsrestore_differs(c, rel, "mode %04o, expected %04o (source %04o, restored without "
				"set-id and world-write bits)", (unsigned)(st->st_mode & 07777),
				(unsigned)want, (unsigned)(perm & 07777));
		else
			fsrestore_differs(c, rel, "mode %04o, source %04o", (unsigned)(st->st_mode & 07777),
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
		fsrestore_differs(c, rel, "mtime %s, source %s", a.buf, b.buf);
		strbuf_release(&a);
		strbuf_release(&b);
	}
}

/* Compare what was just written for @rel with the source entry @ent
 * (pathname and hardlink already point into the destination). */
void fsrestore_verify_entry(struct ctx *c, struct archive_entry *ent, const char *rel)
{
	struct stat st;
	struct timespec mt;
	mode_t type = archive_entry_filetype(ent);
	const char *p = archive_entry_pathname(ent);
	const char *hl = archive_entry_hardlink(ent);
	if (lstat(p, &st) < 0) {
		fsrestore_differs(c, rel, "missing");
		return;
	}
	if (hl) {
		struct stat st2;
		size_t dl = strlen(c->dest);
		const char *hlrel = !strncmp(hl, c->dest, dl) && hl[dl] == '/' ? hl + dl + 1 : hl;
		if (lstat(hl, &st2) < 0 || st.st_ino != st2.st_ino || st.st_dev != st2.st_dev)
			fsrestore_differs(c, rel, "not a hardlink to %s", hl);
		else if (c->changed.n && *fsrestore_linkset_find(&c->changed, hlrel, strlen(hlrel)))
			fsrestore_differs(c, rel, "the same file as %s, which differs", hlrel);
		return;
	}
	if ((st.st_mode & S_IFMT) != type) {
		char *shown = xstrfmt(_("%s, source %s"), _(type_name(st.st_mode)), _(type_name(type)));
		fsrestore_differs_l10n(c, rel, shown, "%s, source %s", type_name(st.st_mode), type_name(type));
		free(shown);
		return;
	}
	if (type == AE_IFLNK) {
		const char *want = archive_entry_symlink(ent);
		char buf[PATH_MAX + 1];
		ssize_t n = readlink(p, buf, sizeof buf - 1);
		if (n < 0 || !want)
			fsrestore_differs(c, rel, "symlink target differs");
		else if (buf[n] = '\0', strcmp(buf, want))
			fsrestore_differs(c, rel, "symlink to %s, source to %s", buf, want);
		return;
	}
	mt.tv_sec = archive_entry_mtime(ent);
	mt.tv_nsec = archive_entry_mtime_nsec(ent);
	fsrestore_verify_mode_time(c, rel, &st, archive_entry_perm(ent), archive_entry_mtime_is_set(ent), &mt);
	if (type == AE_IFREG && archive_entry_size_is_set(ent) &&
	    (int64_t)st.st_size != archive_entry_size(ent))
		fsrestore_differs(c, rel, "size %lld, source %lld", (long long)st.st_size,
			(long long)archive_entry_size(ent));
	else if (type == AE_IFREG && c->o->checksum)
		fsrestore_verify_content(c, p, rel, (uint64_t)st.st_size);
	if (type == AE_IFREG && st.st_nlink > 1 && c->diff_pending && !strcmp(c->diff_rel.buf, rel))
		fsrestore_linkset_add(&c->changed, rel);
}

/* Compare every directory remembered with the one at the destination. */
void fsrestore_check_dirs(struct ctx *c)
{
	for (size_t i = 0; i < c->ndirs; i++) {
		struct dirrec *d = &c->dirs[i];
		struct stat st;
		if (lstat(fsrestore_dest_path(c, &c->path, d->rel), &st) < 0)
			fsrestore_differs(c, d->rel, "missing");
		else if (!S_ISDIR(st.st_mode))
		{
			char *shown = xstrfmt(_("%s, source a directory"), _(type_name(st.st_mode)));
			fsrestore_differs_l10n(c, d->rel, shown, "%s, source a directory", type_name(st.st_mode));
			free(shown);
		}
		else
			fsrestore_verify_mode_time(c, d->rel, &st, d->perm, d->mtime_set, &d->times[1]);
	}
}

/* ---- verification of an existing tree (fsrestore_verify) -------------- */

static int names_has(struct ctx *c, const char *name, size_t len)
{
	struct linknode **pp = fsrestore_linkset_find(&c->names, name, len);
	return pp && *pp;
}

/* An archive source names @rel (a directory when @is_dir): remember it,
 * and its leading directories, which an archive need not list. */
void fsrestore_names_add(struct ctx *c, const char *rel, int is_dir)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len;
	if (!*rel)
		return;
	strbuf_addstr(&sb, rel);
	if (is_dir)
		strbuf_addch(&sb, '/');
	fsrestore_linkset_add(&c->names, sb.buf);
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
		fsrestore_linkset_add(&c->names, sb.buf);
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
			if (gone) {
				fsrestore_differs(c, rel, "missing (%.*s is missing in the target)", (int)i, rel);
			} else {
				char *shown = xstrfmt(_("missing (%.*s is %s in the target)"), (int)i, rel,
						      _(type_name(st.st_mode)));
				fsrestore_differs_l10n(c, rel, shown, "missing (%.*s is %s in the target)", (int)i,
						       rel, type_name(st.st_mode));
				free(shown);
			}
			return 0;
		}
	}
	strbuf_reset(&c->okdir);
	strbuf_add(&c->okdir, rel, plen);
	return 1;
}

/* PASS_VERIFY of one entry of the source: compare it with what the
 * target has at @rel, as the restore compares what it wrote. */
int fsrestore_verify_source_entry(struct ctx *c, struct archive *a, struct archive_entry *ent,
				  struct archive_entry_linkresolver *lr, const char *rel)
{
	mode_t type = archive_entry_filetype(ent);
	struct archive_entry *w = ent;
	if (!c->is_dir && archive_entry_hardlink(ent)) {
		char *hrel = NULL;
		const char *why = NULL;
		if (!fsrestore_clean_name(archive_entry_hardlink(ent), &hrel, &why) || !*hrel) {
			fsrestore_refuse(c, "refused hardlink %s -> %s: %s", rel, archive_entry_hardlink(ent),
			     hrel ? "link to the root" : why);
			free(hrel);
			return 0;
		}
		archive_entry_copy_hardlink(ent, fsrestore_dest_path(c, &c->path2, hrel));
		free(hrel);
	}
	if (!target_parent_ok(c, rel))
		return 0;
	archive_entry_copy_pathname(ent, fsrestore_dest_path(c, &c->path, rel));
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
		fsrestore_remember_dir(c, w, rel);
		return 0;
	}
	if (type == AE_IFREG && !archive_entry_hardlink(w) && c->o->checksum) {
		sha256_init(&c->sha);
		c->sha_pos = 0;
		if (archive_entry_size(w) > 0 && fsrestore_copy_data(c, a, NULL, rel) < 0)
			return -1;
	} else if (c->is_dir && type == AE_IFREG && archive_entry_size(w) > 0) {
		c->done_bytes += (uint64_t)archive_entry_size(w); /* compared, not read */
	}
	fsrestore_verify_entry(c, w, rel);
	if (type == AE_IFLNK) {
		c->res->symlinks++;
	} else {
		c->res->files++;
		if (!archive_entry_hardlink(w) && archive_entry_size(w) > 0)
			c->res->bytes += (uint64_t)archive_entry_size(w);
	}
	fsrestore_progress(c, N_("verifying"), rel, 0);
	return 0;
}

/* What the target has below the open directory @dfd (relative path in
 * @rel) and the source does not: each such entry is a difference (an
 * extra directory once, without its content).  Entries the exclude
 * patterns match are left alone, as rsync leaves excluded files on the
 * receiving side.  Symlinks are never followed.  Returns 0, or -1 with
 * c->e set. */
static int extras_at(struct ctx *c, int dfd, struct strbuf *rel)
{
	struct fsrestore_dir *d = fsrestore_dir_open(dfd);
	struct dirent *de;
	size_t keep = rel->len;
	int en;
	if (!d) {
		en = errno;
		close(dfd);
		errno = en;
		goto fail;
	}
	while ((de = fsrestore_next_entry(d, rel, keep))) {
		struct stat st;
		int has, is_dir;
		if (fstatat(fsrestore_dir_fd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			goto fail_d;
		}
		is_dir = S_ISDIR(st.st_mode);
		if (exclude_match_path(c->ex, rel->buf, is_dir))
			continue;
		has = source_has(c, rel->buf, is_dir);
		if (!has && is_dir) {
			fsrestore_differs(c, rel->buf, "not in the source (a directory; what is in it is not listed)");
		} else if (!has) {
			char *shown = xstrfmt(_("not in the source (%s)"), _(type_name(st.st_mode)));
			fsrestore_differs_l10n(c, rel->buf, shown, "not in the source (%s)", type_name(st.st_mode));
			free(shown);
		} else if (has == 1 && is_dir) {
			int fd = openat(fsrestore_dir_fd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				goto fail_d;
			if (extras_at(c, fd, rel) < 0) {
				fsrestore_dir_close(d);
				return -1;
			}
		}
		if ((++c->done_items & 255) == 0) {
			if (fsrestore_cancelled(c)) {
				fsrestore_dir_close(d);
				return -1;
			}
			fsrestore_progress(c, N_("verifying"), rel->buf, 0);
		}
	}
	if (errno)
		goto fail_d;
	fsrestore_dir_close(d);
	strbuf_setlen(rel, keep);
	return 0;
fail_d:
	en = errno;
	fsrestore_dir_close(d);
	errno = en;
fail:
	return err_errno(c->e, errno, "cannot read %s/%s", c->dest, rel->buf);
}

int fsrestore_verify(const struct fsrestore_opts *o, fsrestore_diff_fn *on_diff, void *diff_ctx,
		     struct report *r, struct fsrestore_result *res, struct err *e)
{
	struct ctx c;
	struct strbuf rel = STRBUF_INIT;
	char *target = NULL;
	struct stat st;
	int rc = -1, fd;

	fsrestore_ctx_init(&c, o, r, res, e);
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
	target = fsrestore_canonical_target(o->target, e);
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
	if (fsrestore_source_setup(&c) < 0)
		goto out;
	c.dest = target;
	if (c.is_dir) {
		/* totals for the progress: a scan with fstatat only */
		c.quiet = 1;
		if (fsrestore_scan_dir(&c) < 0)
			goto out;
		c.quiet = 0;
		c.scanned = 1;
		res->files = res->dirs = res->symlinks = res->bytes = 0;
		res->skipped = res->refused = res->excluded = res->warnings = 0;
	}
	fsrestore_progress(&c, N_("verifying"), NULL, 1);
	if (fsrestore_walk(&c, PASS_VERIFY) < 0)
		goto out;
	fd = open(target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err_errno(e, errno, "cannot read %s", target);
		goto out;
	}
	if (extras_at(&c, fd, &rel) < 0)
		goto out;
	fsrestore_diff_flush(&c);
	fsrestore_progress(&c, N_("verifying"), NULL, 1);
	{
		/* sb[0] English for the log, sb[1] the screen's translation */
		struct strbuf sb[2] = { STRBUF_INIT, STRBUF_INIT };
		unsigned long long n = res->differences;
		char *shown;
		for (int l10n = 0; l10n < 2; l10n++) {
			int was = i18n_english(!l10n);
			strbuf_addf(&sb[l10n], P_("%llu difference", "%llu differences", n), n);
			i18n_english(was);
		}
		shown = xstrfmt(_("compared %s with %s (type, size, mode, mtime, link target%s): %s"), target,
				o->source, o->checksum ? _(", SHA-256 of content") : "", sb[1].buf);
		report_log_l10n(r, LOG_INFO, shown, "compared %s with %s (type, size, mode, mtime, link target%s): %s",
				target, o->source, o->checksum ? ", SHA-256 of content" : "", sb[0].buf);
		free(shown);
		strbuf_release(&sb[0]);
		strbuf_release(&sb[1]);
	}
	rc = 0;
out:
	if (rc < 0)
		c.diff_pending = 0; /* an error: the count stands as it was */
	fsrestore_ctx_release(&c);
	strbuf_release(&rel);
	free(target);
	return rc;
}
