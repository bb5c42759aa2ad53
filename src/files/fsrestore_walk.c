/* fsrestore_walk: one pass over a source through libarchive (scan,
 * extract, verify), as bsdtar drives it; see fsrestore_int.h. */
#include "config.h"
#include "fsrestore.h"
#include "fsrestore_ahead.h"
#include "fsrestore_int.h"
#include "i18n.h"
#include "err.h"
#include "fault.h"
#include "report.h"
#include "sha256.h"
#include "strbuf.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the source ------------------------------------------------------- */

/* Link names that cannot be converted to the locale (a UTF-8 zip read in
 * the C locale): keep the bytes as stored, as rsync keeps names. */
static void raw_link_names(struct archive_entry *ent)
{
	if (archive_entry_hardlink_utf8(ent) && !archive_entry_hardlink(ent))
		archive_entry_copy_hardlink(ent, archive_entry_hardlink_utf8(ent));
	if (archive_entry_symlink_utf8(ent) && !archive_entry_symlink(ent))
		archive_entry_copy_symlink(ent, archive_entry_symlink_utf8(ent));
}

static int is_special(mode_t type)
{
	return type == AE_IFIFO || type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK;
}

int fsrestore_no_memory(struct ctx *c, const char *what)
{
	/* @what is a msgid: the screen's message names it in its language */
	char *l = xstrfmt(_("cannot create %s for %s"), _(what), c->source);
	char *shown = xstrfmt("%s: %s", l, strerror(ENOMEM));
	err_set_l10n(c->e, shown, "cannot create %s for %s: %s", what, c->source,
		     i18n_strerror_en(ENOMEM));
	err_hint(c->e, "free memory, or raise this process's memory limit, and run it again");
	free(shown);
	free(l);
	return -1;
}

static struct archive *open_source(struct ctx *c)
{
	struct archive *a;
	if (c->is_dir) {
		int flags = ARCHIVE_READDISK_NO_FFLAGS;
		a = fault_fail("files.new.disk-reader") ? NULL : archive_read_disk_new();
		if (!a) {
			fsrestore_no_memory(c, N_("the directory reader"));
			return NULL;
		}
		if (!c->o->xattrs)
			flags |= ARCHIVE_READDISK_NO_XATTR;
		if (!c->o->acls)
			flags |= ARCHIVE_READDISK_NO_ACL;
		archive_read_disk_set_symlink_physical(a);
		archive_read_disk_set_behavior(a, flags);
		if (c->root && archive_read_disk_set_standard_lookup(a) != ARCHIVE_OK) {
			fsrestore_no_memory(c, N_("the owner name lookup"));
			archive_read_free(a);
			return NULL;
		}
		if (archive_read_disk_open(a, c->src_root) != ARCHIVE_OK) {
			err_set(c->e, "cannot read source directory %s", c->source);
			err_detail(c->e, "%s", archive_error_string(a));
			archive_read_free(a);
			return NULL;
		}
		return a;
	}
	a = fault_fail("files.new.reader") ? NULL : archive_read_new();
	if (!a) {
		fsrestore_no_memory(c, N_("the archive reader"));
		return NULL;
	}
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
void fsrestore_hash_zeros(struct ctx *c, uint64_t to)
{
	static const unsigned char zero[4096];
	while (c->sha_pos < to) {
		uint64_t n = to - c->sha_pos < sizeof zero ? to - c->sha_pos : sizeof zero;
		sha256_update(&c->sha, zero, (size_t)n);
		c->sha_pos += n;
	}
}

/* ---- directories, fixed up after the last entry ------------------------ */

struct dirrec *fsrestore_add_dir(struct ctx *c, const char *rel)
{
	struct dirrec *d;
	if (c->ndirs == c->adirs) {
		c->adirs = c->adirs ? 2 * c->adirs : 256;
		c->dirs = xrealloc(c->dirs, c->adirs * sizeof *c->dirs);
	}
	d = &c->dirs[c->ndirs++];
	memset(d, 0, sizeof *d);
	d->rel = xstrdup(rel);
	return d;
}

void fsrestore_remember_dir(struct ctx *c, struct archive_entry *ent, const char *rel)
{
	struct linknode **seen = fsrestore_linkset_find(&c->dirnames, rel, strlen(rel));
	struct dirrec *d = NULL;
	/* named again (tar -r, some zip writers): the later entry's mode,
	 * owner and times win, as with tar -xf; one record, so the fixup
	 * and the check see only those */
	if (seen && *seen)
		for (size_t i = c->ndirs; !d && i-- > 0;)
			if (!strcmp(c->dirs[i].rel, rel))
				d = &c->dirs[i];
	if (!d) {
		d = fsrestore_add_dir(c, rel);
		fsrestore_linkset_add(&c->dirnames, rel);
	}
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

void fsrestore_free_dirs(struct ctx *c)
{
	for (size_t i = 0; i < c->ndirs; i++)
		free(c->dirs[i].rel);
	free(c->dirs);
	c->dirs = NULL;
	c->ndirs = c->adirs = 0;
	fsrestore_linkset_free(&c->dirnames);
}

/* After the last entry: give every directory written (existing ones in a
 * merge and the root included, which archive_write_disk leaves alone) the
 * source's owner (root only), mode and times, as rsync -a does, deepest
 * first; then check them. */
int fsrestore_fixup_dirs(struct ctx *c)
{
	for (size_t i = c->ndirs; i-- > 0;) {
		struct dirrec *d = &c->dirs[i];
		const char *p = fsrestore_dest_path(c, &c->path, d->rel);
		if (c->root && lchown(p, (uid_t)d->uid, (gid_t)d->gid) < 0)
			fsrestore_warn(c, "cannot set the owner of %s: %s", p, strerror(errno));
		if (chmod(p, d->perm & 07777) < 0)
			return err_errno(c->e, errno, "cannot set the mode of %s", p);
		if (utimensat(AT_FDCWD, p, d->times, AT_SYMLINK_NOFOLLOW) < 0)
			return err_errno(c->e, errno, "cannot set the times of %s", p);
	}
	if (c->verify)
		fsrestore_check_dirs(c);
	return 0;
}

/* ---- the walk --------------------------------------------------------- */

/* The data of the current entry of @in into @out, or with @out NULL only
 * through the checksum (verification of an existing tree). */
int fsrestore_copy_data(struct ctx *c, struct archive *in, struct archive *out, const char *rel)
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
				fsrestore_warn(c, "%s: %s", rel, archive_error_string(in));
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
			fsrestore_hash_zeros(c, (uint64_t)off);
			sha256_update(&c->sha, buf, size);
			c->sha_pos = (uint64_t)off + size;
		}
		if (c->is_dir || !c->compressed)
			c->done_bytes += size;
		if (!c->is_dir)
			c->done_bytes = src_bytes(c, in);
		if ((++n & 15) == 0) {
			if (fsrestore_cancelled(c))
				return -1;
			fsrestore_progress(c, out ? N_("copying") : N_("verifying"), rel, 0);
		}
	}
}

/* The data of the current entry of @in (a small regular file, @size
 * bytes by its header) into a new buffer *@out of *@len bytes, for the
 * workers of fsrestore_xpool.  0, or -1 with c->e set. */
static int read_small(struct ctx *c, struct archive *in, const char *rel, int64_t size, char **out,
		      size_t *len)
{
	const void *buf;
	size_t n, cap = size > 0 ? (size_t)size : 1, have = 0;
	la_int64_t off;
	char *data = xmalloc(cap);
	for (;;) {
		int r = archive_read_data_block(in, &buf, &n, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_OK) {
			if (r == ARCHIVE_WARN) {
				fsrestore_warn(c, "%s: %s", rel, archive_error_string(in));
			} else {
				src_error(c, in, "cannot read", rel);
				free(data);
				return -1;
			}
		}
		if (off < 0)
			off = (la_int64_t)have;
		if ((size_t)off + n > cap) {
			cap = (size_t)off + n;
			data = xrealloc(data, cap);
		}
		if ((size_t)off > have) /* a hole: zeros, as the disk writer would read them */
			memset(data + have, 0, (size_t)off - have);
		/* the zip reader hands out empty blocks with no buffer */
		if (n)
			memcpy(data + off, buf, n);
		if ((size_t)off + n > have)
			have = (size_t)off + n;
	}
	c->done_bytes = src_bytes(c, in);
	*out = data;
	*len = have;
	return 0;
}

int fsrestore_ext_status(struct ctx *c, struct archive *ext, int r, const char *rel, int *refused)
{
	if (r == ARCHIVE_OK)
		return 0;
	if (r == ARCHIVE_WARN) {
		fsrestore_warn(c, "%s: %s", rel, archive_error_string(ext));
		return 0;
	}
	if ((r == ARCHIVE_FAILED || r == ARCHIVE_RETRY) && archive_errno(ext) != ENOSPC &&
	    archive_errno(ext) != EDQUOT && archive_errno(ext) != EIO && archive_errno(ext) != EROFS) {
		fsrestore_warn(c, "refused %s: %s", *rel ? rel : ".", archive_error_string(ext));
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
	if ((p = fsrestore_linkset_prefix(&c->links, rel, &len))) {
		fsrestore_refuse(c, "refused %s: Cannot extract through symlink %.*s", rel, (int)len, p);
		return 1;
	}
	if (hrel && (p = fsrestore_linkset_prefix(&c->links, hrel, &len))) {
		fsrestore_refuse(c, "refused hardlink %s -> %s: Cannot extract through symlink %.*s", rel, hrel,
		     (int)len, p);
		return 1;
	}
	if (fsrestore_linkset_del(&c->links, rel, strlen(rel))) {
		const char *d = fsrestore_dest_path(c, &c->path2, rel);
		if (unlink(d) < 0 && errno != ENOENT)
			fsrestore_warn(c, "cannot remove the symlink %s: %s", d, strerror(errno));
	}
	return 0;
}

/* Symlinks remembered at most; past that libarchive's own per-component
 * check (ARCHIVE_EXTRACT_SECURE_SYMLINKS) takes over, so memory stays
 * bounded. */
#define LINKSET_MAX 65536

/* A symlink was written at @rel: remember it, or past LINKSET_MAX hand
 * the check to libarchive for the rest of the walk. */
static void remember_link(struct ctx *c, const char *rel)
{
	if (c->links.n < LINKSET_MAX) {
		fsrestore_linkset_add(&c->links, rel);
		return;
	}
	c->ext_flags |= ARCHIVE_EXTRACT_SECURE_SYMLINKS;
	archive_write_disk_set_options(c->ext, c->ext_flags);
	c->track_links = 0;
	fsrestore_linkset_free(&c->links);
}

/* One pass over the source.  Returns 0 or -1 with c->e set. */
int fsrestore_walk(struct ctx *c, enum pass pass)
{
	struct archive *a, *ext = NULL;
	struct archive_entry *ent = NULL, *dent = NULL;
	struct archive_entry_linkresolver *lr = NULL;
	struct xpool *xp = NULL;
	int rc = -1;
	/* damaged stretches of an archive, read past as tar does */
	int64_t damaged_at = -1, first_damage = -1;
	unsigned long long damaged = 0;
	char *damage_msg = NULL;
	size_t rootlen = c->is_dir ? strlen(c->src_root) : 0;

	a = open_source(c);
	if (!a)
		return -1;
	if (c->is_dir) {
		dent = fault_fail("files.new.entry") ? NULL : archive_entry_new();
		/* hardlinks: written as links, counted once by the scan */
		lr = fault_fail("files.new.linkresolver") ? NULL : archive_entry_linkresolver_new();
		if (!dent || !lr) {
			fsrestore_no_memory(c, dent ? N_("the hardlink resolver") : N_("an archive entry"));
			goto out;
		}
		archive_entry_linkresolver_set_strategy(lr, ARCHIVE_FORMAT_TAR_USTAR);
	}
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
		ext = fault_fail("files.new.disk-writer") ? NULL : archive_write_disk_new();
		if (!ext) {
			fsrestore_no_memory(c, N_("the disk writer"));
			goto out;
		}
		archive_write_disk_set_options(ext, flags);
		if (archive_write_disk_set_standard_lookup(ext) != ARCHIVE_OK) {
			fsrestore_no_memory(c, N_("the owner name lookup"));
			goto out;
		}
		c->ext = ext;
		/* small files in worker threads (fresh tree, archive source) */
		if (fsrestore_xpool_start(c, flags, &xp) < 0)
			goto out;
	}
	c->done_bytes = c->done_items = 0;

	for (;;) {
		int r, refused = 0;
		const char *name;
		char *rel = NULL, *hrel = NULL;
		const char *why;
		mode_t type;
		struct archive_entry *w;

		if (fsrestore_cancelled(c))
			goto out;
		if (c->is_dir) {
			ent = dent;
			r = archive_read_next_header2(a, ent);
		} else {
			r = archive_read_next_header(a, &ent);
		}
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_RETRY) {
			/* A damaged header: libarchive reads on to the next
			 * good one, as bsdtar ("Retrying...") and GNU tar
			 * ("Skipping to next header") do, and the error comes
			 * at the end, as theirs does: the whole archive is
			 * read, each damaged stretch named once, and nothing
			 * of it is swapped in.  A reader that does not move
			 * on is not retried forever. */
			int64_t at = archive_read_header_position(a);
			const char *what = archive_error_string(a) ? archive_error_string(a) : "bad header";
			if (damaged_at >= 0 && at <= damaged_at) {
				src_error(c, a, "damaged archive", NULL);
				goto out;
			}
			if (damaged_at < 0) {
				fsrestore_warn(c, "damaged archive %s at byte %lld: %s; reading on to the next "
					       "good header", c->source, (long long)at, what);
				if (!damaged++) {
					first_damage = at;
					damage_msg = xstrdup(what);
				}
			}
			damaged_at = at;
			continue;
		}
		damaged_at = -1;
		if (r == ARCHIVE_WARN) {
			fsrestore_warn(c, "%s: %s", archive_entry_pathname(ent) ? archive_entry_pathname(ent) : "?",
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
			fsrestore_refuse(c, "refused a member without a usable name at offset %lld",
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
			fsrestore_refuse(c, "refused member %s: %s", name, why);
			continue;
		}
		if (pass == PASS_VERIFY && !c->is_dir)
			fsrestore_names_add(c, rel, type == AE_IFDIR);
		if (!fsrestore_keep_entry(c, rel, type == AE_IFDIR, is_special(type))) {
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
			fsrestore_progress(c, "scanning", rel, 0);
			free(rel);
			continue;
		}

		if (pass == PASS_VERIFY) {
			int vr = fsrestore_verify_source_entry(c, a, ent, lr, rel);
			free(rel);
			if (vr < 0)
				goto out;
			continue;
		}

		/* PASS_EXTRACT */
		if (!c->is_dir && archive_entry_hardlink(ent)) {
			if (!fsrestore_clean_name(archive_entry_hardlink(ent), &hrel, &why) || !*hrel) {
				fsrestore_refuse(c, "refused hardlink %s -> %s: %s", rel, archive_entry_hardlink(ent),
				     hrel ? "link to the root" : why);
				free(hrel);
				free(rel);
				continue;
			}
			archive_entry_copy_hardlink(ent, fsrestore_dest_path(c, &c->path2, hrel));
		}
		if (c->track_links && link_guard(c, rel, hrel)) {
			free(hrel);
			free(rel);
			continue;
		}
		free(hrel);
		if (type == AE_IFLNK && archive_entry_symlink(ent) &&
		    fsrestore_link_leaves_tree(rel, archive_entry_symlink(ent)))
			fsrestore_warn(c, "symlink %s points out of the restored tree (to %s); kept as a symlink", rel,
			     archive_entry_symlink(ent));
		archive_entry_copy_pathname(ent, fsrestore_dest_path(c, &c->path, rel));
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
			archive_entry_set_perm(w, fsrestore_restore_perm(c, type, archive_entry_perm(w), rel));
		if (fsrestore_xpool_fits(xp, w)) {
			char *data;
			size_t len;
			if (read_small(c, a, rel, archive_entry_size(w), &data, &len) < 0 ||
			    fsrestore_xpool_queue(xp, w, rel, data, len) < 0) {
				free(rel);
				goto out;
			}
			fsrestore_progress(c, "copying", rel, 0);
			free(rel);
			continue;
		}
		/* the barrier: the workers' files first (see fsrestore_xpool.c) */
		if (fsrestore_xpool_drain(xp) < 0) {
			free(rel);
			goto out;
		}
		r = archive_write_header(ext, w);
		if (fsrestore_ext_status(c, ext, r, rel, &refused) < 0) {
			free(rel);
			goto out;
		}
		if (!refused) {
			if (c->o->checksum) {
				sha256_init(&c->sha);
				c->sha_pos = 0;
			}
			if (archive_entry_size(w) > 0 && fsrestore_copy_data(c, a, ext, rel) < 0) {
				free(rel);
				goto out;
			}
			r = archive_write_finish_entry(ext);
			if (fsrestore_ext_status(c, ext, r, rel, NULL) < 0) {
				free(rel);
				goto out;
			}
			if (type == AE_IFDIR) {
				c->res->dirs++;
				fsrestore_remember_dir(c, w, rel);
			} else if (c->verify) {
				fsrestore_verify_entry(c, w, rel);
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
			c->res->skipped++; /* fsrestore_ext_status() warned "refused ..." */
			c->res->refused++;
		}
		fsrestore_progress(c, "copying", rel, 0);
		free(rel);
	}
	if (damaged) {
		if (damaged == 1)
			err_set(c->e, "damaged archive %s: 1 damaged place at byte %lld", c->source,
				(long long)first_damage);
		else
			err_set(c->e, "damaged archive %s: %llu damaged places, the first at byte %lld",
				c->source, damaged, (long long)first_damage);
		err_detail(c->e, "%s; the rest was read on to the next good header, as tar does",
			   damage_msg);
		err_where(c->e, c->source, 0, first_damage);
		err_hint(c->e, "take another backup copy; what is left of this one can be read by hand "
			       "with tar -xf");
		goto out;
	}
	if (ext) {
		int r;
		/* the workers joined before the directories are fixed up */
		r = fsrestore_xpool_end(xp, 0);
		xp = NULL;
		if (r < 0)
			goto out;
		r = archive_write_close(ext);
		if (fsrestore_ext_status(c, ext, r, "", NULL) < 0)
			goto out;
		if (fsrestore_fixup_dirs(c) < 0)
			goto out;
	} else if (pass == PASS_VERIFY) {
		fsrestore_check_dirs(c);
	}
	rc = 0;
out:
	if (xp && fsrestore_xpool_end(xp, 1) < 0)
		rc = -1;
	free(damage_msg);
	fsrestore_linkset_free(&c->links);
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
