/* fsrestore_copy: a directory source scanned and copied into a fresh
 * staging tree with system calls, without libarchive; see fsrestore_int.h. */
#include "config.h"
#include "i18n.h"
#include "fsrestore.h"
#include "fsrestore_int.h"
#include "err.h"
#include "exclude.h"
#include "report.h"
#include "sha256.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
 * @rel) as the PASS_SCAN of fsrestore_walk() counts a directory source, with
 * fstatat on names relative to @dfd and d_type where it suffices: no file
 * is opened.  Allocated bytes of a sparse file come from st_blocks. */
static int scan_dir_entries(struct ctx *c, int dfd, int ldfd, struct strbuf *rel,
			    struct inoset *links);

/* The directory @name of the earlier snapshot's directory @ldfd, or -1. */
static int link_dir(int ldfd, const char *name)
{
	return ldfd < 0 ? -1 : openat(ldfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* @ldfd: the earlier snapshot's directory matching @dfd, or -1; closed
 * here. */
static int scan_dir_at(struct ctx *c, int dfd, int ldfd, struct strbuf *rel, struct inoset *links)
{
	int rc = scan_dir_entries(c, dfd, ldfd, rel, links);
	if (ldfd >= 0)
		close(ldfd);
	return rc;
}

static int scan_dir_entries(struct ctx *c, int dfd, int ldfd, struct strbuf *rel, struct inoset *links)
{
	struct fsrestore_dir *d = fsrestore_dir_open(dfd);
	struct dirent *de;
	size_t keep = rel->len;
	if (!d) {
		close(dfd);
		goto fail;
	}
	while ((de = fsrestore_next_entry(d, rel, keep))) {
		struct stat st;
		mode_t type;
		if (de->d_type == DT_DIR) {
			type = S_IFDIR;
		} else if (de->d_type == DT_LNK) {
			type = S_IFLNK;
		} else {
			if (fstatat(fsrestore_dir_fd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno == ENOENT)
					continue; /* removed while we read */
				goto fail_d;
			}
			type = st.st_mode & S_IFMT;
		}
		if (!fsrestore_keep_entry(c, rel->buf, type == S_IFDIR,
				type != S_IFDIR && type != S_IFLNK && type != S_IFREG))
			continue;
		c->done_items++;
		c->scan_items++;
		if (type == S_IFDIR) {
			int fd = openat(fsrestore_dir_fd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			c->res->dirs++;
			c->need_bytes += 4096;
			if (fd < 0 || scan_dir_at(c, fd, link_dir(ldfd, de->d_name), rel, links) < 0) {
				if (fd >= 0)
					goto fail_quiet;
				goto fail_d;
			}
		} else if (type == S_IFLNK) {
			c->res->symlinks++;
		} else {
			c->res->files++;
			if (st.st_size > 0 && (st.st_nlink < 2 || inoset_add(links, st.st_dev, st.st_ino)) &&
			    !fsrestore_link_same(c, ldfd, de->d_name, &st)) {
				uint64_t alloc = (uint64_t)st.st_blocks * 512;
				if (alloc > (uint64_t)st.st_size)
					alloc = (uint64_t)st.st_size;
				c->scan_bytes += (uint64_t)st.st_size;
				c->res->bytes += (uint64_t)st.st_size;
				c->need_bytes += (alloc + 4095) & ~(uint64_t)4095;
			}
		}
		if ((c->scan_items & 63) == 0) {
			if (fsrestore_cancelled(c))
				goto fail_quiet;
			fsrestore_progress(c, N_("scanning"), rel->buf, 0);
		}
	}
	if (errno) {
		strbuf_setlen(rel, keep);
		goto fail_d;
	}
	fsrestore_dir_close(d);
	strbuf_setlen(rel, keep);
	return 0;
fail_d: {
	int saved = errno; /* closedir may set errno */
	fsrestore_dir_close(d);
	errno = saved;
}
fail:
	err_errno(c->e, errno, "cannot read %s/%s", c->src_root, rel->buf);
	err_where(c->e, c->source, 0, -1);
	err_hint(c->e, "check that the source is readable by this user and the disk is healthy");
	return -1;
fail_quiet:
	fsrestore_dir_close(d);
	return -1;
}

/* PASS_SCAN of a directory source, without archive_read_disk (which opens
 * every file and probes it for holes). */
int fsrestore_scan_dir(struct ctx *c)
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
	rc = scan_dir_at(c, fd, c->link_fd >= 0 ? dup(c->link_fd) : -1, &rel, &links);
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
	struct strbuf rarel; /* scratch: relative path of an entry read ahead */
};

/*
 * Reading ahead.  A small file is one read from the disk, and a copier
 * that reads each when it copies it waits for the disk once per file: on
 * a cold source (a restore from a backup) that wait was most of the time
 * (100 folders x 1,000 files of 0.5-8 KiB: reading them alone took 11.5-13
 * s one at a time, 2.4-3.8 s with 64 files asked for ahead).  So the
 * regular files among the next RA_FILES entries of the directory (in the
 * inode order fsrestore_dir serves) are opened and their first RA_BYTES
 * asked for with POSIX_FADV_WILLNEED before the current one is copied:
 * the disk gets many reads at once and merges those that lie side by
 * side, as rsync's sender reading ahead of its receiver gets some of.
 * The data goes to the page cache, not our heap.  Only entries readdir
 * calls regular files (d_type) and not excluded are opened, with
 * O_NONBLOCK (a FIFO put there meanwhile does not block the open); the
 * copy takes the fd only when fstat on it says a regular file, which is
 * then the stat of what is copied, else it stats and opens by name as
 * without reading ahead.  Not in a snapshot with an earlier one to link
 * from: most files are then linked, never read.
 */
#define RA_FILES 64
#define RA_BYTES ((off_t)128 << 10)

/* The fds of the entries from the current one on: entry current + j at
 * fd[(head + j) % RA_FILES], -1 where none was opened. */
struct readahead {
	int fd[RA_FILES];
	size_t head, n;
};

/* Cover the entries of @d from the current one up to RA_FILES, within
 * the batch; @keep is the length of the directory's relative path. */
static void ra_fill(struct copier *k, struct readahead *ra, struct fsrestore_dir *d, size_t keep)
{
	const struct dirent *de;
	int check = exclude_count(k->c->ex) > 0;
	while (ra->n < RA_FILES && (de = fsrestore_dir_peek(d, ra->n))) {
		int fd = -1;
		if (de->d_type == DT_REG) {
			if (check) {
				strbuf_reset(&k->rarel);
				strbuf_add(&k->rarel, k->rel.buf, keep);
				if (keep)
					strbuf_addch(&k->rarel, '/');
				strbuf_addstr(&k->rarel, de->d_name);
			}
			if (!check || !exclude_match(k->c->ex, k->rarel.buf, 0)) {
				fd = openat(fsrestore_dir_fd(d), de->d_name,
					    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
				if (fd >= 0)
					(void)posix_fadvise(fd, 0, RA_BYTES, POSIX_FADV_WILLNEED);
			}
		}
		ra->fd[(ra->head + ra->n) % RA_FILES] = fd;
		ra->n++;
	}
}

/* The current entry is done: forget it. */
static void ra_pop(struct readahead *ra)
{
	if (!ra->n)
		return;
	if (ra->fd[ra->head] >= 0)
		close(ra->fd[ra->head]);
	ra->head = (ra->head + 1) % RA_FILES;
	ra->n--;
}

/* Close every fd (before descending, and at the end). */
static void ra_drop(struct readahead *ra)
{
	while (ra->n)
		ra_pop(ra);
	ra->head = 0;
}

#define COPY_BUF (1 << 17)
/* Bytes one copy_file_range() call moves at most: between two calls the
 * progress and the cancel check run, so even a slow disk shows a big
 * file moving every second or so (a 1 GiB call showed nothing for
 * minutes). */
#define COPY_RANGE_MAX (1 << 20)
/* The read/write fallback's chunks between two progress reports (1 MiB). */
#define COPY_BUF_TICK (COPY_RANGE_MAX / COPY_BUF)

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
		size_t want = len > (off_t)COPY_RANGE_MAX ? (size_t)COPY_RANGE_MAX : (size_t)len;
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
				fsrestore_hash_zeros(c, (uint64_t)off);
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
		if (!plain || ++n % COPY_BUF_TICK == 0) {
			if (fsrestore_cancelled(c))
				return -1;
			fsrestore_progress(c, N_("copying"), rel, 0);
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
		fsrestore_differs(c, rel, "missing");
		return;
	}
	if ((st.st_mode & S_IFMT) != (src->st_mode & S_IFMT)) {
		fsrestore_differs(c, rel, "type differs");
		return;
	}
	fsrestore_verify_mode_time(c, rel, &st, src->st_mode, 1, &src->st_mtim);
	if ((st.st_mode & S_IFMT) == S_IFREG && st.st_size != src->st_size)
		fsrestore_differs(c, rel, "size %lld, source %lld", (long long)st.st_size, (long long)src->st_size);
}

int fsrestore_link_same(struct ctx *c, int ldfd, const char *name, const struct stat *st)
{
	struct stat p;
	if (ldfd < 0 || fstatat(ldfd, name, &p, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	return S_ISREG(p.st_mode) && p.st_size == st->st_size &&
	       p.st_mtim.tv_sec == st->st_mtim.tv_sec && p.st_mtim.tv_nsec == st->st_mtim.tv_nsec &&
	       (p.st_mode & 07777) == (st->st_mode & 07777) &&
	       (!c->root || (p.st_uid == st->st_uid && p.st_gid == st->st_gid));
}

/* A snapshot's file unchanged since the earlier snapshot c->link_fd: a hard
 * link to it there.  1 linked, 0 not (copy it: changed, or the link failed
 * for a reason a copy does not have, e.g. EMLINK), -1 error. */
static int link_earlier(struct copier *k, int ldfd, int ddfd, const char *name,
			const struct stat *st, const char *rel)
{
	struct ctx *c = k->c;
	if (!fsrestore_link_same(c, ldfd, name, st))
		return 0;
	if (linkat(ldfd, name, ddfd, name, 0) < 0) {
		if (errno == EMLINK || errno == EXDEV || errno == EPERM)
			return 0;
		return copy_fail_write(c, errno, rel);
	}
	/* no copy_verify(): the link is the inode fsrestore_link_same() just
	 * compared with the source */
	if (st->st_nlink > 1)
		hlink_add(k, st, rel);
	c->res->files++;
	c->res->linked++;
	return 1;
}

/* Copy the regular file @name of @sdfd (described by @st) into @ddfd, or
 * link it from @ldfd (link_earlier(), -1: none); @pre is the source opened
 * ahead (borrowed, not closed here) or -1. */
static int copy_file(struct copier *k, int sdfd, int ldfd, int ddfd, const char *name,
		     const struct stat *st, const char *rel, int pre)
{
	struct ctx *c = k->c;
	mode_t perm;
	struct timespec ts[2];
	int in, out, rc = -1;
	if (st->st_nlink > 1) {
		struct hlink **pp = k->nhb ? hlink_find(k, st->st_dev, st->st_ino) : NULL;
		if (pp && *pp) {
			struct hlink *h = *pp;
			const char *to = fsrestore_dest_path(c, &c->path2, h->rel);
			if (linkat(AT_FDCWD, to, ddfd, name, 0) < 0)
				return copy_fail_write(c, errno, rel);
			if (c->verify) {
				struct stat a, b;
				if (fstatat(ddfd, name, &a, AT_SYMLINK_NOFOLLOW) < 0 || lstat(to, &b) < 0 ||
				    a.st_ino != b.st_ino || a.st_dev != b.st_dev)
					fsrestore_differs(c, rel, "not a hardlink to %s", to);
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
	if (ldfd >= 0) {
		int linked = link_earlier(k, ldfd, ddfd, name, st, rel);
		if (linked)
			return linked < 0 ? -1 : 0;
	}
	in = pre >= 0 ? pre : openat(sdfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (in < 0 && errno == ENOENT && c->o->mode == FSRESTORE_SNAPSHOT) {
		/* a live tree: gone since it was listed, as rsync says too */
		fsrestore_warn(c, "%s vanished while it was copied", rel);
		return 0;
	}
	if (in < 0)
		return copy_fail_read(c, errno, rel);
	perm = fsrestore_restore_perm(c, S_IFREG, st->st_mode, rel);
	/* created with its final permissions where the umask leaves them
	 * (the staging tree is 0700 until the end); set-id bits after fchown */
	out = openat(ddfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, perm & 0777);
	if (out < 0) {
		copy_fail_write(c, errno, rel);
		if (pre < 0)
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
		fsrestore_warn(c, "cannot set the owner of %s/%s: %s", c->dest, rel, strerror(errno));
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
			fsrestore_verify_content(c, fsrestore_dest_path(c, &c->path, rel), rel, (uint64_t)st->st_size);
	}
	if (st->st_nlink > 1)
		hlink_add(k, st, rel);
	c->res->files++;
	c->res->bytes += (uint64_t)st->st_size;
	rc = 0;
done:
	if (pre < 0)
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
	if (fsrestore_link_leaves_tree(rel, t.buf))
		fsrestore_warn(c, "symlink %s points out of the restored tree (to %s); kept as a symlink", rel, t.buf);
	if (symlinkat(t.buf, ddfd, name) < 0) {
		copy_fail_write(c, errno, rel);
		goto out;
	}
	if (c->root && (k->chown_all || st->st_uid != k->euid || st->st_gid != k->egid) &&
	    fchownat(ddfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		fsrestore_warn(c, "cannot set the owner of %s/%s: %s", c->dest, rel, strerror(errno));
	ts[0] = st->st_atim;
	ts[1] = st->st_mtim;
	if (utimensat(ddfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		fsrestore_warn(c, "cannot set the times of %s/%s: %s", c->dest, rel, strerror(errno));
	if (c->verify) {
		char *back = xmalloc((size_t)n + 2);
		ssize_t m = readlinkat(ddfd, name, back, (size_t)n + 2);
		if (m != n || memcmp(back, t.buf, (size_t)n))
			fsrestore_differs(c, rel, "symlink target differs");
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
	struct dirrec *d = fsrestore_add_dir(c, rel);
	d->perm = fsrestore_restore_perm(c, S_IFDIR, st->st_mode, rel);
	d->mtime_set = 1;
	d->times[0] = st->st_atim;
	d->times[1] = st->st_mtim;
	d->uid = st->st_uid;
	d->gid = st->st_gid;
}

static int copy_dir_entries(struct copier *k, int sdfd, int ldfd, int ddfd);

/* Copy the entries of the source directory @sdfd into @ddfd, files
 * unchanged in the earlier snapshot's matching directory @ldfd (-1: none)
 * as hard links to it (all three owned here and closed). */
static int copy_dir_at(struct copier *k, int sdfd, int ldfd, int ddfd)
{
	int rc = copy_dir_entries(k, sdfd, ldfd, ddfd);
	if (ldfd >= 0)
		close(ldfd);
	return rc;
}

static int copy_dir_entries(struct copier *k, int sdfd, int ldfd, int ddfd)
{
	struct ctx *c = k->c;
	struct strbuf *rel = &k->rel;
	size_t keep = rel->len;
	struct fsrestore_dir *d = fsrestore_dir_open(sdfd);
	struct dirent *de;
	struct readahead ra;
	int rc = -1;
	ra.head = ra.n = 0;
	if (!d) {
		copy_fail_read(c, errno, rel->buf);
		close(sdfd);
		close(ddfd);
		return -1;
	}
	while ((de = fsrestore_next_entry(d, rel, keep))) {
		struct stat st;
		mode_t type;
		const char *name = de->d_name;
		int pre;
		ra_pop(&ra); /* the previous entry */
		if (fsrestore_cancelled(c))
			goto out;
		if (ldfd < 0) /* with an earlier snapshot most files are linked, not read */
			ra_fill(k, &ra, d, keep);
		pre = ra.n ? ra.fd[ra.head] : -1;
		if (pre >= 0 && (fstat(pre, &st) < 0 || !S_ISREG(st.st_mode)))
			pre = -1; /* replaced meanwhile: by name, as without reading ahead */
		if (pre < 0 && fstatat(fsrestore_dir_fd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT) {
				fsrestore_warn(c, "%s vanished while it was copied", rel->buf);
				continue;
			}
			copy_fail_read(c, errno, rel->buf);
			goto out;
		}
		type = st.st_mode & S_IFMT;
		if (!fsrestore_keep_entry(c, rel->buf, type == S_IFDIR,
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
			s2 = openat(fsrestore_dir_fd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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
			ra_drop(&ra); /* bounded fds at any depth */
			if (copy_dir_at(k, s2, link_dir(ldfd, name), d2) < 0)
				goto out;
		} else if (type == S_IFLNK) {
			if (copy_symlink(k, fsrestore_dir_fd(d), ddfd, name, &st, rel->buf) < 0)
				goto out;
		} else if (copy_file(k, fsrestore_dir_fd(d), ldfd, ddfd, name, &st, rel->buf, pre) < 0) {
			goto out;
		}
		fsrestore_progress(c, N_("copying"), rel->buf, 0);
	}
	if (errno) {
		copy_fail_read(c, errno, rel->buf);
		goto out;
	}
	rc = 0;
out:
	ra_drop(&ra);
	strbuf_setlen(rel, keep);
	fsrestore_dir_close(d);
	close(ddfd);
	return rc;
}

/* Can the source be copied by fsrestore_copy_tree() instead of fsrestore_walk()? */
int fsrestore_copy_tree_fits(struct ctx *c)
{
	return c->is_dir && (c->o->mode == FSRESTORE_REPLACE || c->o->mode == FSRESTORE_SNAPSHOT) &&
	       !c->o->xattrs && !c->o->acls;
}

/* PASS_EXTRACT of a directory source into the new, empty c->dest. */
int fsrestore_copy_tree(struct ctx *c)
{
	struct copier k;
	struct stat st;
	int sfd, dfd, rc;
	memset(&k, 0, sizeof k);
	k.c = c;
	strbuf_init(&k.rel, 256);
	strbuf_init(&k.rarel, 0);
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
	rc = copy_dir_at(&k, sfd, c->link_fd >= 0 ? dup(c->link_fd) : -1, dfd);
	if (rc == 0)
		rc = fsrestore_fixup_dirs(c);
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
	strbuf_release(&k.rarel);
	return rc;
}
