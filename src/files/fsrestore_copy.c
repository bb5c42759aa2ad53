/* fsrestore_copy: a directory source scanned and copied into a fresh
 * staging tree with system calls, without libarchive; see fsrestore_int.h. */
#include "config.h"
#include "i18n.h"
#include "fsrestore.h"
#include "fsrestore_int.h"
#include "cpus.h"
#include "err.h"
#include "exclude.h"
#include "report.h"
#include "sha256.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
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
 * their names were seen); symlinks are copied, never followed.  Several
 * directories are copied at the same time in threads ("Threads" below).
 */

/* A source inode with several links, written (or being written) as @rel. */
struct hlink {
	struct hlink *next;
	dev_t dev;
	ino_t ino;
	nlink_t left; /* names still to come */
	int writing;  /* threads: a worker is writing its data; the others wait */
	char rel[];
};

/* The hardlink table: inodes with several links whose first name was
 * written.  One copier's own, or with threads the pool's, under its
 * mutex. */
struct hlinks {
	struct hlink **hb;
	size_t nhb, nh;
};

struct copy_pool;

struct copier {
	struct ctx *c;
	struct hlinks *hl;      /* &own_hl, or the pool's table */
	struct hlinks own_hl;
	struct copy_pool *pool; /* NULL: one thread, no locks */
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
 * Threads (issues 12 and 17).  One thread creating 100,000 small files
 * spends nearly all its time in the kernel (openat, copy_file_range,
 * futimens, close), on one core; rsync -a spreads the same work over
 * three processes.  So the copy runs in N workers (fsrestore_opts.threads;
 * 0: the CPUs it may run on, at most COPY_THREADS_MAX) that copy different
 * directories at the same time: the caller's thread is worker 0, the
 * others are started for the copy and joined before it returns.
 *
 * A worker takes a directory (its source, destination and earlier
 * snapshot fds and its relative path) from the queue and copies its
 * entries with the one-thread loop (copy_dir_entries); a subdirectory
 * goes into the queue while it holds fewer than COPY_QUEUE_MAX, else the
 * worker descends into it itself, so at most 3 x COPY_QUEUE_MAX fds wait
 * in the queue.  The run ends when the queue is empty and no worker is in
 * a directory, or at the first error.
 *
 * Who owns what: each worker has its own struct ctx forked from the
 * run's (fsrestore_ctx_fork: result counters, error, scratch paths,
 * SHA-256 state, pending difference, progress counts) and its own copier
 * (relative path, read-ahead, buffers); its report forwards to the
 * caller's under the pool's mutex, so the caller's callbacks are called
 * by one thread at a time (from any worker).  Shared under the mutex: the
 * queue, the hardlink table, the directory records of the run's ctx
 * (c->dirs: a directory's record is added before its entries are queued
 * or copied, so parents come before children and fsrestore_fixup_dirs()
 * still goes deepest first), the progress totals and the stop flag.
 * After the join the workers' counters are added into c->res, and the
 * error of the worker that failed first becomes the run's (with its
 * out_of_space); the others stopped because of it.
 */
#define COPY_THREADS_MAX 8
#define COPY_QUEUE_MAX 16

/* A directory to copy: three fds (owned by the job) and its relative path. */
struct copy_job {
	int sdfd, ldfd, ddfd;
	char *rel;
};

struct copy_worker {
	struct copy_pool *pool;
	struct ctx c;                 /* forked from the run's */
	struct fsrestore_result res;  /* added into the run's after the join */
	struct err e;
	struct report r;              /* forwards to pool->r under pool->mu */
	struct copier k;
	uint64_t told_bytes, told_items; /* progress already in the pool's totals */
	pthread_t thread;
};

struct copy_pool {
	pthread_mutex_t mu;
	pthread_cond_t work;    /* a job queued, or the end */
	pthread_cond_t written; /* a hardlinked inode's data was written (or not) */
	struct ctx *run;        /* the run's ctx: only its dirs are touched, under mu */
	struct report *r;       /* the caller's: called under mu only */
	struct copy_job q[COPY_QUEUE_MAX]; /* a ring */
	size_t qhead, qn;
	int busy;               /* workers inside a job */
	int stop;               /* a worker failed (or saw the cancel): all end */
	int first;              /* the worker whose error is the run's, -1 */
	uint64_t done_bytes, done_items;
	struct hlinks hl;
	struct copy_worker *w;
	int nw;
};

static void pool_lock(struct copier *k)
{
	if (k->pool)
		pthread_mutex_lock(&k->pool->mu);
}

static void pool_unlock(struct copier *k)
{
	if (k->pool)
		pthread_mutex_unlock(&k->pool->mu);
}

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

static struct hlink **hlink_find(struct hlinks *t, dev_t dev, ino_t ino)
{
	struct hlink **pp = &t->hb[(size_t)((ino * 0x9e3779b97f4a7c15ULL) >> 20 ^ dev) & (t->nhb - 1)];
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->dev == dev && (*pp)->ino == ino)
			break;
	return pp;
}

static struct hlink *hlink_add(struct hlinks *t, const struct stat *st, const char *rel)
{
	struct hlink **pp, *h;
	size_t len = strlen(rel);
	if (t->nh + 1 > t->nhb) {
		size_t nb = t->nhb ? 2 * t->nhb : 256, old = t->nhb;
		struct hlink **ob = t->hb;
		t->hb = xcalloc(nb, sizeof *t->hb);
		t->nhb = nb;
		for (size_t i = 0; i < old; i++)
			while (ob[i]) {
				struct hlink *x = ob[i];
				ob[i] = x->next;
				pp = hlink_find(t, x->dev, x->ino);
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
	h->writing = 0;
	memcpy(h->rel, rel, len + 1);
	pp = hlink_find(t, st->st_dev, st->st_ino);
	*pp = h;
	t->nh++;
	return h;
}

static void hlink_free(struct hlinks *t)
{
	for (size_t i = 0; i < t->nhb; i++)
		while (t->hb[i]) {
			struct hlink *x = t->hb[i];
			t->hb[i] = x->next;
			free(x);
		}
	free(t->hb);
	memset(t, 0, sizeof *t);
}

/*
 * The source file @st (several links) is about to be copied as @rel.  1:
 * an earlier name of its inode was written, c->path2 is its destination
 * path (one name fewer to come): link to it.  0: the data is ours to
 * write; with threads the inode is marked as being written until
 * hlink_release(), and a worker meeting another of its names waits for
 * that.  -1: the run stops (another worker failed).
 */
static int hlink_claim(struct copier *k, const struct stat *st, const char *rel)
{
	struct hlinks *t = k->hl;
	int rc = 0;
	pool_lock(k);
	for (;;) {
		struct hlink **pp = t->nhb ? hlink_find(t, st->st_dev, st->st_ino) : NULL;
		struct hlink *h = pp ? *pp : NULL;
		if (!h) {
			if (k->pool)
				hlink_add(t, st, rel)->writing = 1;
			break;
		}
		if (!h->writing) {
			fsrestore_dest_path(k->c, &k->c->path2, h->rel);
			if (--h->left == 0) {
				*pp = h->next;
				free(h);
				t->nh--;
			}
			rc = 1;
			break;
		}
		if (k->pool->stop) {
			rc = -1;
			break;
		}
		pthread_cond_wait(&k->pool->written, &k->pool->mu);
	}
	pool_unlock(k);
	return rc;
}

/* After hlink_claim() returned 0: @done says whether @rel now holds the
 * inode's data (written, or linked to the earlier snapshot); if not (it
 * vanished, an error) the next name writes it. */
static void hlink_release(struct copier *k, const struct stat *st, const char *rel, int done)
{
	struct hlinks *t = k->hl;
	struct hlink **pp;
	if (!k->pool) {
		if (done)
			hlink_add(t, st, rel);
		return;
	}
	pthread_mutex_lock(&k->pool->mu);
	pp = hlink_find(t, st->st_dev, st->st_ino);
	if (*pp && done) {
		(*pp)->writing = 0;
	} else if (*pp) {
		struct hlink *h = *pp;
		*pp = h->next;
		free(h);
		t->nh--;
	}
	pthread_cond_broadcast(&k->pool->written);
	pthread_mutex_unlock(&k->pool->mu);
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
	c->res->files++;
	c->res->linked++;
	return 1;
}

/* Another name of an inode written before, at c->path2 (hlink_claim()). */
static int link_first_name(struct copier *k, int ddfd, const char *name, const char *rel)
{
	struct ctx *c = k->c;
	const char *to = c->path2.buf;
	if (linkat(AT_FDCWD, to, ddfd, name, 0) < 0)
		return copy_fail_write(c, errno, rel);
	if (c->verify) {
		struct stat a, b;
		if (fstatat(ddfd, name, &a, AT_SYMLINK_NOFOLLOW) < 0 || lstat(to, &b) < 0 ||
		    a.st_ino != b.st_ino || a.st_dev != b.st_dev)
			fsrestore_differs(c, rel, "not a hardlink to %s", to);
	}
	c->res->files++;
	return 0;
}

/* The data of the regular file @name of @sdfd (described by @st) into a
 * new file in @ddfd, or a link to the earlier snapshot's @ldfd
 * (link_earlier(), -1: none); @pre is the source opened ahead (borrowed,
 * not closed here) or -1.  1 written or linked, 0 vanished (a live
 * snapshot source), -1 error. */
static int copy_file_data_at(struct copier *k, int sdfd, int ldfd, int ddfd, const char *name,
			     const struct stat *st, const char *rel, int pre)
{
	struct ctx *c = k->c;
	mode_t perm;
	struct timespec ts[2];
	int in, out, rc = -1;
	if (ldfd >= 0) {
		int linked = link_earlier(k, ldfd, ddfd, name, st, rel);
		if (linked)
			return linked;
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
	c->res->files++;
	c->res->bytes += (uint64_t)st->st_size;
	rc = 1;
done:
	if (pre < 0)
		close(in);
	if (close(out) < 0 && rc == 1)
		rc = copy_fail_write(c, errno, rel);
	return rc;
}

/* Copy the regular file @name of @sdfd (described by @st) into @ddfd: a
 * link to the first name written of an inode with several links, else
 * copy_file_data_at(). */
static int copy_file(struct copier *k, int sdfd, int ldfd, int ddfd, const char *name,
		     const struct stat *st, const char *rel, int pre)
{
	int rc;
	if (st->st_nlink > 1) {
		int first = hlink_claim(k, st, rel);
		if (first)
			return first < 0 ? -1 : link_first_name(k, ddfd, name, rel);
	}
	rc = copy_file_data_at(k, sdfd, ldfd, ddfd, name, st, rel, pre);
	if (st->st_nlink > 1)
		hlink_release(k, st, rel, rc > 0);
	return rc < 0 ? -1 : 0;
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

/* The record of the directory written at @rel for fsrestore_fixup_dirs(),
 * in the run's ctx (with threads under the pool's mutex: added before the
 * directory's entries are queued or copied, so after its parent's). */
static void remember_dir_st(struct copier *k, const struct stat *st, const char *rel)
{
	mode_t perm = fsrestore_restore_perm(k->c, S_IFDIR, st->st_mode, rel);
	struct dirrec *d;
	pool_lock(k);
	d = fsrestore_add_dir(k->pool ? k->pool->run : k->c, rel);
	d->perm = perm;
	d->mtime_set = 1;
	d->times[0] = st->st_atim;
	d->times[1] = st->st_mtim;
	d->uid = st->st_uid;
	d->gid = st->st_gid;
	pool_unlock(k);
}

/* With threads: queue the directory (@s, @l, @d owned by the job from
 * now on, @rel copied) for another worker.  0 when the queue is full or
 * the run stops: the caller copies it itself. */
static int pool_push(struct copy_pool *p, int s, int l, int d, const char *rel)
{
	struct copy_job *j;
	pthread_mutex_lock(&p->mu);
	if (p->qn == COPY_QUEUE_MAX || p->stop) {
		pthread_mutex_unlock(&p->mu);
		return 0;
	}
	j = &p->q[(p->qhead + p->qn++) % COPY_QUEUE_MAX];
	j->sdfd = s;
	j->ldfd = l;
	j->ddfd = d;
	j->rel = xstrdup(rel);
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	return 1;
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
			int s2, d2, l2;
			if (mkdirat(ddfd, name, 0700) < 0) {
				copy_fail_write(c, errno, rel->buf);
				goto out;
			}
			remember_dir_st(k, &st, rel->buf);
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
			l2 = link_dir(ldfd, name);
			if (!k->pool || !pool_push(k->pool, s2, l2, d2, rel->buf)) {
				ra_drop(&ra); /* bounded fds at any depth */
				if (copy_dir_at(k, s2, l2, d2) < 0)
					goto out;
			}
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

/* ---- workers -------------------------------------------------------- */

/* A worker's report: the caller's, one thread at a time.  Progress adds
 * what the worker did since its last report to the totals of all. */
static void worker_progress(void *ctx, const struct progress *p)
{
	struct copy_worker *w = ctx;
	struct copy_pool *pl = w->pool;
	struct progress q = *p;
	pthread_mutex_lock(&pl->mu);
	pl->done_bytes += p->done_bytes - w->told_bytes;
	pl->done_items += p->done_items - w->told_items;
	w->told_bytes = p->done_bytes;
	w->told_items = p->done_items;
	q.done_bytes = pl->done_bytes;
	q.done_items = pl->done_items;
	report_progress(pl->r, &q, 0);
	pthread_mutex_unlock(&pl->mu);
}

static void worker_log(void *ctx, enum log_level level, const char *line, const char *shown)
{
	struct copy_pool *pl = ((struct copy_worker *)ctx)->pool;
	fsrestore_pool_line(&pl->mu, pl->r, level, line, shown);
}

/* The caller's cancel, or another worker failed: this one stops too (its
 * error is not the one reported). */
static int worker_cancelled(void *ctx)
{
	struct copy_pool *pl = ((struct copy_worker *)ctx)->pool;
	return fsrestore_pool_cancelled(&pl->mu, pl->r, &pl->stop);
}

/* Worker @w failed: the first with an error gives the run's; all stop. */
static void worker_failed(struct copy_worker *w)
{
	struct copy_pool *pl = w->pool;
	pthread_mutex_lock(&pl->mu);
	if (pl->first < 0 && err_isset(&w->e))
		pl->first = (int)(w - pl->w);
	pl->stop = 1;
	pthread_cond_broadcast(&pl->work);
	pthread_cond_broadcast(&pl->written);
	pthread_mutex_unlock(&pl->mu);
}

/* Copy queued directories until none is left and no worker is in one
 * (which could queue more), or the run stops. */
static void *worker_main(void *arg)
{
	struct copy_worker *w = arg;
	struct copy_pool *pl = w->pool;
	pthread_mutex_lock(&pl->mu);
	for (;;) {
		struct copy_job j;
		while (!pl->stop && !pl->qn && pl->busy)
			pthread_cond_wait(&pl->work, &pl->mu);
		if (pl->stop || !pl->qn)
			break;
		j = pl->q[pl->qhead];
		pl->qhead = (pl->qhead + 1) % COPY_QUEUE_MAX;
		pl->qn--;
		pl->busy++;
		pthread_mutex_unlock(&pl->mu);
		strbuf_reset(&w->k.rel);
		strbuf_addstr(&w->k.rel, j.rel);
		free(j.rel);
		if (copy_dir_at(&w->k, j.sdfd, j.ldfd, j.ddfd) < 0)
			worker_failed(w);
		pthread_mutex_lock(&pl->mu);
		if (--pl->busy == 0 && !pl->qn)
			pthread_cond_broadcast(&pl->work);
	}
	pthread_cond_broadcast(&pl->work);
	pthread_mutex_unlock(&pl->mu);
	fsrestore_diff_flush(&w->c); /* its last path's differences */
	return NULL;
}

/* Threads for the copy: fsrestore_threads(), at most COPY_THREADS_MAX. */
static int copy_threads(const struct ctx *c)
{
	int n = fsrestore_threads(c);
	return n > COPY_THREADS_MAX ? COPY_THREADS_MAX : n;
}

int fsrestore_threads(const struct ctx *c)
{
	long n = c->o->threads;
	if (n <= 0)
		n = cpus_usable();
	if (c->on_diff)
		return 1; /* called directly, not through the report */
	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* Signals a fault raises in the thread that caused it: never blocked
 * (blocked, the kernel kills the process without the handlers). */
static const int sync_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS };

/* Copy the tree below the root job (@sfd, @ldfd, @dfd) with @n workers
 * shaped like @proto; see "Threads" above.  0, or -1 with c->e set. */
static int copy_pool_run(struct copier *proto, int n, int sfd, int ldfd, int dfd)
{
	struct ctx *c = proto->c;
	struct copy_pool pl;
	sigset_t all, old;
	int i, started, rc = 0;
	memset(&pl, 0, sizeof pl);
	pthread_mutex_init(&pl.mu, NULL);
	pthread_cond_init(&pl.work, NULL);
	pthread_cond_init(&pl.written, NULL);
	pl.run = c;
	pl.r = c->r;
	pl.first = -1;
	pl.q[0].sdfd = sfd;
	pl.q[0].ldfd = ldfd;
	pl.q[0].ddfd = dfd;
	pl.q[0].rel = xstrdup("");
	pl.qn = 1;
	pl.w = xcalloc((size_t)n, sizeof *pl.w);
	pl.nw = n;
	for (i = 0; i < n; i++) {
		struct copy_worker *w = &pl.w[i];
		w->pool = &pl;
		w->e = (struct err)ERR_INIT;
		w->r.ctx = w;
		if (c->r && c->r->progress)
			w->r.progress = worker_progress;
		if (c->r && (c->r->log || c->r->log_l10n))
			w->r.log_l10n = worker_log;
		w->r.cancelled = worker_cancelled;
		fsrestore_ctx_fork(&w->c, c, &w->r, &w->res, &w->e);
		w->k = *proto;
		w->k.c = &w->c;
		w->k.hl = &pl.hl;
		w->k.pool = &pl;
		strbuf_init(&w->k.rel, 256);
		strbuf_init(&w->k.rarel, 0);
	}
	/* signals go to the caller's thread (worker 0), not into a worker's
	 * system calls */
	sigfillset(&all);
	for (i = 0; i < (int)(sizeof sync_signals / sizeof *sync_signals); i++)
		sigdelset(&all, sync_signals[i]);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (started = 1; started < n; started++)
		if (pthread_create(&pl.w[started].thread, NULL, worker_main, &pl.w[started]) != 0)
			break; /* fewer workers: the queue still ends */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	worker_main(&pl.w[0]);
	for (i = 1; i < started; i++)
		pthread_join(pl.w[i].thread, NULL);
	/* left in the queue when the run stopped */
	for (; pl.qn; pl.qn--, pl.qhead = (pl.qhead + 1) % COPY_QUEUE_MAX) {
		struct copy_job *j = &pl.q[pl.qhead];
		close(j->sdfd);
		close(j->ddfd);
		if (j->ldfd >= 0)
			close(j->ldfd);
		free(j->rel);
	}
	if (pl.stop) {
		int f = pl.first;
		for (i = 0; f < 0 && i < n; i++)
			if (err_isset(&pl.w[i].e))
				f = i;
		if (f >= 0) {
			err_move(c->e, &pl.w[f].e);
			c->out_of_space = pl.w[f].c.out_of_space;
		} else {
			err_set(c->e, "the copy of %s stopped", c->source);
		}
		rc = -1;
	}
	for (i = 0; i < n; i++) {
		struct copy_worker *w = &pl.w[i];
		struct fsrestore_result *t = c->res;
		t->files += w->res.files;
		t->dirs += w->res.dirs;
		t->symlinks += w->res.symlinks;
		t->bytes += w->res.bytes;
		t->skipped += w->res.skipped;
		t->refused += w->res.refused;
		t->excluded += w->res.excluded;
		t->warnings += w->res.warnings;
		t->differences += w->res.differences;
		t->modes_changed += w->res.modes_changed;
		t->linked += w->res.linked;
		c->done_bytes += w->c.done_bytes;
		c->done_items += w->c.done_items;
		err_clear(&w->e);
		fsrestore_ctx_release(&w->c);
		free(w->k.buf);
		strbuf_release(&w->k.rel);
		strbuf_release(&w->k.rarel);
	}
	hlink_free(&pl.hl);
	free(pl.w);
	pthread_cond_destroy(&pl.written);
	pthread_cond_destroy(&pl.work);
	pthread_mutex_destroy(&pl.mu);
	return rc;
}

/* PASS_EXTRACT of a directory source into the new, empty c->dest. */
int fsrestore_copy_tree(struct ctx *c)
{
	struct copier k;
	struct stat st;
	int sfd, dfd, ldfd, rc, n = copy_threads(c);
	memset(&k, 0, sizeof k);
	k.c = c;
	k.hl = &k.own_hl;
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
	remember_dir_st(&k, &st, "");
	ldfd = c->link_fd >= 0 ? dup(c->link_fd) : -1;
	if (n > 1)
		rc = copy_pool_run(&k, n, sfd, ldfd, dfd);
	else
		rc = copy_dir_at(&k, sfd, ldfd, dfd);
	if (rc == 0)
		rc = fsrestore_fixup_dirs(c);
out:
	hlink_free(&k.own_hl);
	free(k.buf);
	strbuf_release(&k.rel);
	strbuf_release(&k.rarel);
	return rc;
}
