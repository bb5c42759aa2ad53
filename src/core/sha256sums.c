/* sha256sums: SHA256SUMS files as sha256sum writes and checks them; see
 * sha256sums.h. */
#include "config.h"
#include "i18n.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cpus.h"
#include "err.h"
#include "fault.h"
#include "report.h"
#include "sha256.h"
#include "sha256sums.h"
#include "strbuf.h"

#define CHUNK (64 * 1024)

static int parse_line(char *line, char hex[65], struct strbuf *path);

/* Digests taken over from earlier lists (sha256sums_reuse()): a chained
 * hash table keyed by the path as the earlier list has it. */
struct known_entry {
	struct known_entry *next;
	uint8_t d[SHA256_DIGEST_LEN];
	char rel[];
};

struct known_pair {
	char *old_rel, *new_rel;
};

struct sha256sums_known {
	struct known_entry **b;
	size_t nb, n;
	struct known_pair *pairs;
	size_t npairs;
};

static uint64_t known_hash(const char *k)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 0x100000001b3ULL;
	return h;
}

static void known_add(struct sha256sums_known *k, const char *rel, const uint8_t d[SHA256_DIGEST_LEN])
{
	struct known_entry *x;
	size_t len = strlen(rel);
	if (k->n + 1 > k->nb) {
		size_t nb = k->nb ? 2 * k->nb : 1024;
		struct known_entry **b = xcalloc(nb, sizeof *b);
		for (size_t i = 0; i < k->nb; i++)
			while (k->b[i]) {
				x = k->b[i];
				k->b[i] = x->next;
				x->next = b[known_hash(x->rel) & (nb - 1)];
				b[known_hash(x->rel) & (nb - 1)] = x;
			}
		free(k->b);
		k->b = b;
		k->nb = nb;
	}
	x = xmalloc(sizeof *x + len + 1);
	memcpy(x->d, d, SHA256_DIGEST_LEN);
	memcpy(x->rel, rel, len + 1);
	x->next = k->b[known_hash(rel) & (k->nb - 1)];
	k->b[known_hash(rel) & (k->nb - 1)] = x;
	k->n++;
}

static const struct known_entry *known_find(const struct sha256sums_known *k, const char *rel)
{
	const struct known_entry *x;
	if (!k->nb)
		return NULL;
	for (x = k->b[known_hash(rel) & (k->nb - 1)]; x; x = x->next)
		if (!strcmp(x->rel, rel))
			return x;
	return NULL;
}

static void known_free(struct sha256sums_known *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->nb; i++)
		while (k->b[i]) {
			struct known_entry *x = k->b[i];
			k->b[i] = x->next;
			free(x);
		}
	free(k->b);
	for (size_t i = 0; i < k->npairs; i++) {
		free(k->pairs[i].old_rel);
		free(k->pairs[i].new_rel);
	}
	free(k->pairs);
	free(k);
}

static int unhex(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* Stream @fd through SHA-256 into @d, @buf (CHUNK bytes) as the buffer,
 * to its end: a read of 0 bytes, or a short one that reaches @size (the
 * size fstat() said; -1: unknown), which saves a small file's second
 * read.  *@bytes gets the bytes read.  Returns 0; -1 on a read error
 * (errno set); HASH_STOPPED when *@stop (not NULL) became non-zero, or
 * HASH_CANCELLED when @r said stop (checked between chunks). */
#define HASH_STOPPED (-2)
#define HASH_CANCELLED (-3)
static int hash_fd(int fd, unsigned char *buf, int64_t size, const int *stop, struct report *r,
		   uint8_t d[SHA256_DIGEST_LEN], uint64_t *bytes)
{
	struct sha256 s;
	ssize_t n;
	*bytes = 0;
	sha256_init(&s);
	for (;;) {
		n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		sha256_update(&s, buf, (size_t)n);
		*bytes += (uint64_t)n;
		if (n < CHUNK && size >= 0 && *bytes >= (uint64_t)size)
			break;
		if (stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE))
			return HASH_STOPPED;
		if (report_cancelled(r))
			return HASH_CANCELLED;
	}
	if (n < 0)
		return -1;
	sha256_final(&s, d);
	return 0;
}

/* The message of a hash_fd() that failed with @rc (errno for -1). */
static int hash_error(struct err *e, int rc, int errnum, const char *path, uint64_t at,
		      struct report *r)
{
	if (rc == HASH_CANCELLED)
		return err_set(e, "checksum of %s aborted: %s", path, report_stop_reason(r));
	err_errno(e, errnum, "cannot read %s", path);
	err_where(e, path, 0, (int64_t)at);
	return -1;
}

int sha256sums_file(const char *path, char hex[65], uint64_t *bytes, struct report *r,
		    struct err *e)
{
	uint8_t d[SHA256_DIGEST_LEN];
	uint64_t n = 0;
	unsigned char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc;
	if (fd < 0)
		return err_errno(e, errno, "cannot open %s", path);
	buf = xmalloc(CHUNK);
	rc = hash_fd(fd, buf, -1, NULL, r, d, &n);
	if (rc < 0)
		hash_error(e, rc, errno, path, n, r);
	free(buf);
	close(fd);
	if (rc < 0)
		return -1;
	sha256_hex(d, hex);
	if (bytes)
		*bytes += n;
	return 0;
}

int sha256sums_open(struct sha256sums *s, const char *base, const char *path, struct err *e)
{
	memset(s, 0, sizeof *s);
	s->partial = xstrfmt("%s.partial", path);
	int fd = open(s->partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(s->f = fdopen(fd, "w"))) {
		err_errno(e, errno, "cannot create %s", s->partial);
		if (fd >= 0)
			close(fd);
		free(s->partial);
		s->partial = NULL;
		return -1;
	}
	s->path = xstrdup(path);
	s->base = xstrdup(base);
	return 0;
}

/* One line as sha256sum writes it: a path with '\' or a newline is
 * escaped and the line marked with a leading '\'. */
static void put_entry(FILE *f, const char *hex, const char *rel)
{
	int esc = strpbrk(rel, "\\\n") != NULL;
	if (esc)
		fputc('\\', f);
	fputs(hex, f);
	fputs("  ", f);
	if (!esc) { /* the common case, not a call per byte */
		fputs(rel, f);
		fputc('\n', f);
		return;
	}
	for (const char *p = rel; *p; p++) {
		if (esc && *p == '\\')
			fputs("\\\\", f);
		else if (esc && *p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputc('\n', f);
}

int sha256sums_reuse(struct sha256sums *s, const char *list, const char *old_rel,
		     const char *new_rel, struct err *e)
{
	struct strbuf path = STRBUF_INIT;
	struct sha256sums_known *k;
	char *line = NULL, hex[65];
	size_t cap = 0, olen = strlen(old_rel);
	ssize_t len;
	long lineno = 0;
	int rc = 0;
	FILE *f = fopen(list, "re");

	if (!f)
		return err_errno(e, errno, "cannot open %s", list);
	if (!s->known)
		s->known = xcalloc(1, sizeof *s->known);
	k = s->known;
	while ((len = getline(&line, &cap, f)) >= 0) {
		uint8_t d[SHA256_DIGEST_LEN];
		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (parse_line(line, hex, &path) < 0) {
			err_set(e, "%s:%ld: not a sha256sum line", list, lineno);
			err_where(e, list, lineno, -1);
			rc = -1;
			break;
		}
		if (strncmp(path.buf, old_rel, olen) || path.buf[olen] != '/')
			continue;
		for (int i = 0; i < SHA256_DIGEST_LEN; i++)
			d[i] = (uint8_t)(unhex(hex[2 * i]) << 4 | unhex(hex[2 * i + 1]));
		known_add(k, path.buf, d);
	}
	if (rc == 0 && ferror(f))
		rc = err_errno(e, errno, "cannot read %s", list);
	fclose(f);
	free(line);
	strbuf_release(&path);
	if (rc < 0) {
		known_free(s->known);
		s->known = NULL;
		return -1;
	}
	k->pairs = xrealloc(k->pairs, (k->npairs + 1) * sizeof *k->pairs);
	k->pairs[k->npairs].old_rel = xstrdup(old_rel);
	k->pairs[k->npairs].new_rel = xstrdup(new_rel);
	k->npairs++;
	return 0;
}

static void add_progress(struct sha256sums *s, const char *rel, struct report *r)
{
	if (r) {
		struct progress p = { 0 };
		p.phase = N_("checksums");
		p.done_items = s->files;
		p.done_bytes = s->bytes;
		p.current = rel;
		report_progress(r, &p, 0);
	}
}

int sha256sums_add_file(struct sha256sums *s, const char *rel, struct sha256sums_count *c,
			struct report *r, struct err *e)
{
	char hex[65];
	uint64_t bytes = 0;
	char *full = xstrfmt("%s/%s", s->base, rel);
	int rc = sha256sums_file(full, hex, &bytes, r, e);
	free(full);
	if (rc < 0)
		return -1;
	put_entry(s->f, hex, rel);
	s->files++;
	s->bytes += bytes;
	if (c) {
		c->files++;
		c->bytes += bytes;
	}
	add_progress(s, rel, r);
	return 0;
}

/*
 * The tree walk of sha256sums_add_tree() on several threads.  The
 * caller's thread walks the tree in list order (readdir, sort, recurse)
 * and queues each regular file as a job in a ring; workers take the jobs
 * in queue order and stat, open (relative to the directory's descriptor)
 * and hash them, or take their digest over from an earlier list; the
 * caller's thread writes the finished jobs' lines from the ring's head,
 * in queue order, so the list is the same whatever the number of threads.
 * While the ring is full, the caller's thread runs queued jobs too.  Only
 * the caller's thread calls the report (progress, cancel check); it tells
 * the workers to stop through `stop`, which they read between chunks.
 *
 * A small file costs a few microseconds, as much as handing it to another
 * thread through a lock: jobs are queued and taken in batches, and a
 * finished job is marked with an atomic store, the lock taken only when
 * the caller's thread waits for it.
 */
#define WALK_MAX_THREADS 8
#define WALK_WINDOW 64       /* ring slots per thread */
#define WALK_BATCH 16        /* jobs queued or taken at a time */
#define WALK_MAX_DIRS 128    /* open directories the ring may hold */
#define WALK_WAIT_NS 50000000 /* the cancel check while waiting for a worker */

/* A directory of the walk; shared by its queued jobs.  Immutable once
 * opened but for `refs` (the caller's thread alone). */
struct walkdir {
	int fd;            /* the directory */
	int *old_fd;       /* per pair of s->known: the earlier snapshot's
			      directory at the same place, or -1 */
	char **old_key;    /* per pair: its path in the earlier list, or NULL */
	char *rel;         /* relative to base */
	struct walkent {
		char *name;
		unsigned char type; /* d_type */
	} *ents;           /* sorted */
	size_t n;
	unsigned refs;     /* the walk's own and one per unwritten job */
};

enum { JOB_QUEUED, JOB_DONE };

struct job {
	struct walkdir *dir;
	const char *name;
	int state;         /* atomic (sequentially consistent) */
	/* the result, written by the thread that ran the job before it set
	 * JOB_DONE */
	int rc;            /* run_job()'s: not 0, the walk stops */
	int listed;        /* a regular file (0: replaced by something else) */
	int reused;        /* the digest taken over */
	uint64_t bytes;
	uint8_t d[SHA256_DIGEST_LEN];
};

struct walk {
	struct sha256sums *s;
	struct sha256sums_count *c;
	struct report *r;
	pthread_mutex_t lock;
	pthread_cond_t work;  /* a job was queued, or quit */
	pthread_cond_t done;  /* a job was finished */
	struct job *ring;
	size_t cap;
	uint64_t head;        /* next to write (caller's thread only) */
	uint64_t queued;      /* next slot to fill (caller's thread only) */
	uint64_t tail;        /* queued jobs the workers see (under the lock) */
	uint64_t next;        /* next to run (under the lock) */
	int quit;             /* the workers end (under the lock) */
	int waiting;          /* the caller's thread waits for `done`
				 (atomic, sequentially consistent) */
	int stop;             /* an error or a cancel: abandon (atomic) */
	struct err err;       /* the first error (under the lock) */
	pthread_t *threads;
	int nthreads;         /* workers started */
	/* the caller's thread's */
	unsigned char *buf;
	struct strbuf key, line;
	size_t open_dirs;
	unsigned since_check;
};

/* Keep the first error (@e) and stop everyone; a later one is dropped. */
static void walk_fail_locked(struct walk *w, struct err *e)
{
	if (!err_isset(&w->err))
		err_move(&w->err, e);
	else
		err_clear(e);
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
}

static int walk_fail(struct walk *w, struct err *e)
{
	pthread_mutex_lock(&w->lock);
	walk_fail_locked(w, e);
	pthread_mutex_unlock(&w->lock);
	return -1;
}

/* From the caller's thread: -1 (the walk failed) when @r says stop. */
static int walk_cancelled(struct walk *w, const char *dir, const char *name)
{
	struct err le = ERR_INIT;
	char *full;
	if (!report_cancelled(w->r))
		return 0;
	full = name ? xstrfmt("%s/%s/%s", w->s->base, dir, name) : xstrfmt("%s/%s", w->s->base, dir);
	err_set(&le, "checksum of %s aborted: %s", full, report_stop_reason(w->r));
	free(full);
	return walk_fail(w, &le);
}

/* Run job @j on any thread, @buf (CHUNK bytes) and @key its scratch; @r
 * is NULL but on the caller's thread.  Returns 0 with the result in @j;
 * -1 with @e naming the file; HASH_STOPPED when told to stop. */
static int run_job(struct walk *w, struct job *j, unsigned char *buf, struct strbuf *key,
		   struct report *r, struct err *e)
{
	const struct sha256sums_known *k = w->s->known;
	const struct walkdir *d = j->dir;
	struct stat st;
	char *full;
	int fd, rc, errnum;

	if (__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
		return HASH_STOPPED;
	if (fstatat(d->fd, j->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		errnum = errno;
		full = xstrfmt("%s/%s", d->rel, j->name);
		err_errno(e, errnum, "cannot stat %s/%s", w->s->base, full);
		free(full);
		return -1;
	}
	j->listed = S_ISREG(st.st_mode);
	if (!j->listed) /* replaced since the directory was read */
		return 0;
	/* a hard link to the file at the same place of an earlier snapshot
	 * (same device and inode: the same bytes) has the earlier digest */
	for (size_t i = 0; st.st_nlink > 1 && k && i < k->npairs; i++) {
		const struct known_entry *x;
		struct stat old;
		if (d->old_fd[i] < 0)
			continue;
		strbuf_reset(key);
		strbuf_addstr(key, d->old_key[i]);
		strbuf_addch(key, '/');
		strbuf_addstr(key, j->name);
		x = known_find(k, key->buf);
		if (x && fstatat(d->old_fd[i], j->name, &old, AT_SYMLINK_NOFOLLOW) == 0 &&
		    old.st_dev == st.st_dev && old.st_ino == st.st_ino) {
			memcpy(j->d, x->d, sizeof j->d);
			j->bytes = (uint64_t)st.st_size;
			j->reused = 1;
			return 0;
		}
	}
	j->reused = 0;
	/* O_NONBLOCK: a FIFO put in its place since the stat must not hang
	 * the open (and with it the join); what was opened is checked with
	 * fstat() and its size used (a regular file ignores O_NONBLOCK) */
	if (fault_failf("sha256sums.open.%s/%s", d->rel, j->name)) {
		fd = -1;
		errno = EACCES;
	} else {
		fd = openat(d->fd, j->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		errnum = errno;
		if (fd >= 0)
			close(fd);
		full = xstrfmt("%s/%s/%s", w->s->base, d->rel, j->name);
		err_errno(e, errnum, "cannot open %s", full);
		free(full);
		return -1;
	}
	j->listed = S_ISREG(st.st_mode);
	if (!j->listed) { /* replaced since the stat: as since the directory was read */
		close(fd);
		return 0;
	}
	rc = hash_fd(fd, buf, (int64_t)st.st_size, &w->stop, r, j->d, &j->bytes);
	errnum = errno;
	close(fd);
	if (rc == HASH_STOPPED || rc == 0)
		return rc;
	full = xstrfmt("%s/%s/%s", w->s->base, d->rel, j->name);
	hash_error(e, rc, errnum, full, j->bytes, r);
	free(full);
	return -1;
}

/* @j ran with @rc (any thread, without the lock). */
static void finish(struct walk *w, struct job *j, int rc, struct err *e)
{
	if (rc == -1)
		walk_fail(w, e);
	j->rc = rc;
	/* with the store before the load (and the caller's thread's in the
	 * other order, see pump()), one of them sees the other's */
	__atomic_store_n(&j->state, JOB_DONE, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&w->waiting, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&w->lock);
		pthread_cond_signal(&w->done);
		pthread_mutex_unlock(&w->lock);
	}
}

static void *walk_worker(void *arg)
{
	struct walk *w = arg;
	unsigned char *buf = xmalloc(CHUNK);
	struct strbuf key = STRBUF_INIT;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		uint64_t first, n;
		while (!w->quit && w->next == w->tail)
			pthread_cond_wait(&w->work, &w->lock);
		if (w->quit)
			break;
		/* a share of what is queued, so that the others get some */
		n = (w->tail - w->next) / (uint64_t)(w->nthreads + 1);
		n = n < 1 ? 1 : n > WALK_BATCH ? WALK_BATCH : n;
		first = w->next;
		w->next += n;
		pthread_mutex_unlock(&w->lock);
		for (uint64_t i = first; i < first + n; i++) {
			struct err e = ERR_INIT;
			struct job *j = &w->ring[i % w->cap];
			finish(w, j, run_job(w, j, buf, &key, NULL, &e), &e);
		}
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	strbuf_release(&key);
	free(buf);
	return NULL;
}

static void dir_unref(struct walk *w, struct walkdir *d)
{
	size_t np = w->s->known ? w->s->known->npairs : 0;
	if (--d->refs)
		return;
	close(d->fd);
	for (size_t i = 0; i < np; i++) {
		if (d->old_fd[i] >= 0)
			close(d->old_fd[i]);
		free(d->old_key[i]);
	}
	free(d->old_fd);
	free(d->old_key);
	for (size_t i = 0; i < d->n; i++)
		free(d->ents[i].name);
	free(d->ents);
	free(d->rel);
	free(d);
	w->open_dirs--;
}

/* Write job @j's line (caller's thread). */
static void write_job(struct walk *w, struct job *j)
{
	struct sha256sums *s = w->s;
	char hex[65];
	if (!j->listed) {
		if (w->c)
			w->c->skipped++;
		dir_unref(w, j->dir);
		return;
	}
	strbuf_reset(&w->line);
	strbuf_addstr(&w->line, j->dir->rel);
	strbuf_addch(&w->line, '/');
	strbuf_addstr(&w->line, j->name);
	sha256_hex(j->d, hex);
	put_entry(s->f, hex, w->line.buf);
	s->files++;
	s->bytes += j->bytes;
	s->reused += (uint64_t)j->reused;
	if (w->c) {
		w->c->files++;
		w->c->bytes += j->bytes;
	}
	add_progress(s, w->line.buf, w->r);
	dir_unref(w, j->dir);
}

/* Let the workers see the jobs queued so far. */
static void publish(struct walk *w)
{
	if (w->tail == w->queued)
		return;
	pthread_mutex_lock(&w->lock);
	w->tail = w->queued;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
}

static int job_done(struct walk *w, uint64_t i)
{
	return __atomic_load_n(&w->ring[i % w->cap].state, __ATOMIC_SEQ_CST) == JOB_DONE;
}

/* Write the finished jobs at the ring's head, in order.  With @block,
 * first wait until the head is finished, running queued jobs meanwhile.
 * Returns 0, or -1 when the walk is to stop (w->err says why). */
static int pump(struct walk *w, int block)
{
	uint64_t k;
	publish(w);
	for (;;) {
		if (__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
			return -1;
		for (k = 0; w->head + k < w->queued && job_done(w, w->head + k); k++)
			if (w->ring[(w->head + k) % w->cap].rc) /* w->err says why */
				return -1;
		if (k || !block || w->head == w->queued)
			break;
		pthread_mutex_lock(&w->lock);
		if (w->next < w->tail) {
			struct job *j = &w->ring[w->next++ % w->cap];
			struct err e = ERR_INIT;
			pthread_mutex_unlock(&w->lock);
			finish(w, j, run_job(w, j, w->buf, &w->key, w->r, &e), &e);
			continue;
		}
		/* see finish(): the store before the load */
		__atomic_store_n(&w->waiting, 1, __ATOMIC_SEQ_CST);
		if (!job_done(w, w->head)) {
			struct job *h = &w->ring[w->head % w->cap];
			struct timespec until;
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_nsec += WALK_WAIT_NS;
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&w->done, &w->lock, &until);
			__atomic_store_n(&w->waiting, 0, __ATOMIC_SEQ_CST);
			pthread_mutex_unlock(&w->lock);
			/* a worker's file may be large: a signal stops it soon */
			if (walk_cancelled(w, h->dir->rel, h->name) < 0)
				return -1;
			continue;
		}
		__atomic_store_n(&w->waiting, 0, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&w->lock);
	}
	for (uint64_t i = 0; i < k; i++)
		write_job(w, &w->ring[(w->head + i) % w->cap]);
	w->head += k;
	return 0;
}

/* Queue the regular file @name of @d (caller's thread). */
static int enqueue(struct walk *w, struct walkdir *d, const char *name)
{
	struct job *j;
	while (w->queued - w->head == w->cap)
		if (pump(w, 1) < 0)
			return -1;
	if (++w->since_check == 64) {
		w->since_check = 0;
		if (walk_cancelled(w, d->rel, name) < 0)
			return -1;
	}
	j = &w->ring[w->queued % w->cap];
	j->dir = d;
	j->name = name;
	j->rc = j->listed = j->reused = 0;
	j->bytes = 0;
	__atomic_store_n(&j->state, JOB_QUEUED, __ATOMIC_RELAXED);
	d->refs++;
	w->queued++;
	if (w->queued - w->tail >= WALK_BATCH)
		publish(w);
	return 0;
}

static int cmp_ents(const void *a, const void *b)
{
	return strcmp(((const struct walkent *)a)->name, ((const struct walkent *)b)->name);
}

/* Open the directory @rel (the entry @name of @parent, or the tree's top
 * when @parent is NULL), read and sort its names, and open its earlier
 * snapshot's counterparts.  Returns it with one reference, or NULL when
 * the walk failed. */
static struct walkdir *dir_open(struct walk *w, struct walkdir *parent, const char *name,
				const char *rel)
{
	const struct sha256sums_known *k = w->s->known;
	size_t np = k ? k->npairs : 0, alloc = 0;
	struct walkdir *d;
	struct err le = ERR_INIT;
	struct dirent *de;
	char *full;
	DIR *dir;
	int fd, fd2;

	if (parent)
		fd = openat(parent->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	else {
		full = xstrfmt("%s/%s", w->s->base, rel);
		fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(full);
	}
	/* the names through a second descriptor: the ring may hold many
	 * directories, and a DIR's buffer is 32 KiB */
	fd2 = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0);
	dir = fd2 < 0 ? NULL : fdopendir(fd2);
	if (!dir) {
		int errnum = errno;
		full = xstrfmt("%s/%s", w->s->base, rel);
		err_errno(&le, errnum, "cannot read directory %s", full);
		free(full);
		if (fd2 >= 0)
			close(fd2);
		if (fd >= 0)
			close(fd);
		walk_fail(w, &le);
		return NULL;
	}
	d = xcalloc(1, sizeof *d);
	d->fd = fd;
	d->rel = xstrdup(rel);
	d->refs = 1;
	d->old_fd = xcalloc(np + 1, sizeof *d->old_fd);
	d->old_key = xcalloc(np + 1, sizeof *d->old_key);
	for (size_t i = 0; i < np; i++)
		d->old_fd[i] = -1;
	w->open_dirs++;
	errno = 0;
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (d->n == alloc)
			d->ents = xrealloc(d->ents, (alloc = alloc ? 2 * alloc : 64) * sizeof *d->ents);
		d->ents[d->n].name = xstrdup(de->d_name);
		d->ents[d->n++].type = de->d_type;
	}
	if (errno) {
		int errnum = errno;
		full = xstrfmt("%s/%s", w->s->base, rel);
		err_errno(&le, errnum, "cannot read directory %s", full);
		free(full);
	}
	closedir(dir);
	if (err_isset(&le)) {
		walk_fail(w, &le);
		dir_unref(w, d);
		return NULL;
	}
	if (d->n) /* ents is NULL for an empty directory: qsort() wants a pointer */
		qsort(d->ents, d->n, sizeof *d->ents, cmp_ents);
	for (size_t i = 0; i < np; i++) {
		const char *nr = k->pairs[i].new_rel;
		size_t nl = strlen(nr);
		if (parent && parent->old_fd[i] >= 0) {
			d->old_fd[i] = openat(parent->old_fd[i], name,
					      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			d->old_key[i] = xstrfmt("%s/%s", parent->old_key[i], name);
		} else if (!strncmp(rel, nr, nl) && (rel[nl] == '\0' || rel[nl] == '/') &&
			   (!parent || rel[nl] == '\0')) {
			d->old_key[i] = xstrfmt("%s%s", k->pairs[i].old_rel, rel + nl);
			full = xstrfmt("%s/%s", w->s->base, d->old_key[i]);
			d->old_fd[i] = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			free(full);
		}
		if (d->old_fd[i] < 0) {
			free(d->old_key[i]);
			d->old_key[i] = NULL;
		}
	}
	return d;
}

/* Walk the directory @rel (entry @name of @parent; the top: NULL). */
static int walk_dir(struct walk *w, struct walkdir *parent, const char *name, const char *rel)
{
	struct walkdir *d;
	int rc = 0;

	/* the queued jobs hold their directories open: let some finish */
	while (w->open_dirs >= WALK_MAX_DIRS && w->head < w->queued)
		if (pump(w, 1) < 0)
			return -1;
	if (walk_cancelled(w, rel, NULL) < 0 || !(d = dir_open(w, parent, name, rel)))
		return -1;
	for (size_t i = 0; i < d->n && rc == 0; i++) {
		const char *n = d->ents[i].name;
		unsigned char type = d->ents[i].type;
		if (type == DT_UNKNOWN) { /* a file system without d_type */
			struct stat st;
			if (fstatat(d->fd, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				struct err le = ERR_INIT;
				char *sub = xstrfmt("%s/%s", rel, n);
				err_errno(&le, errno, "cannot stat %s/%s", w->s->base, sub);
				free(sub);
				rc = walk_fail(w, &le);
				break;
			}
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
		}
		if (type == DT_DIR) {
			char *sub = xstrfmt("%s/%s", rel, n);
			rc = walk_dir(w, d, n, sub);
			free(sub);
		} else if (type == DT_REG) {
			rc = enqueue(w, d, n);
		} else if (w->c) {
			w->c->skipped++;
		}
	}
	dir_unref(w, d);
	return rc;
}

/* The threads the walk hashes on: s->threads, or the CPUs it may use
 * (cpus_usable()); 1..8. */
static int walk_threads(const struct sha256sums *s)
{
	long n = s->threads > 0 ? s->threads : cpus_usable();
	return n < 1 ? 1 : n > WALK_MAX_THREADS ? WALK_MAX_THREADS : (int)n;
}

int sha256sums_add_tree(struct sha256sums *s, const char *rel, struct sha256sums_count *c,
			struct report *r, struct err *e)
{
	struct walk w;
	pthread_condattr_t ca;
	int n = walk_threads(s), rc;

	memset(&w, 0, sizeof w);
	w.s = s;
	w.c = c;
	w.r = r;
	w.cap = (size_t)n * WALK_WINDOW;
	w.ring = xcalloc(w.cap, sizeof *w.ring);
	w.buf = xmalloc(CHUNK);
	strbuf_init(&w.key, 0);
	strbuf_init(&w.line, 0);
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.work, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w.done, &ca);
	pthread_condattr_destroy(&ca);
	/* the caller's thread is one of the n; without workers it runs
	 * every job itself */
	w.threads = xcalloc((size_t)n, sizeof *w.threads);
	while (w.nthreads < n - 1 && pthread_create(&w.threads[w.nthreads], NULL, walk_worker, &w) == 0)
		w.nthreads++;

	rc = walk_dir(&w, NULL, NULL, rel);
	while (rc == 0 && w.head < w.queued)
		rc = pump(&w, 1);

	pthread_mutex_lock(&w.lock);
	w.quit = 1;
	if (rc < 0)
		__atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&w.work);
	pthread_mutex_unlock(&w.lock);
	for (int i = 0; i < w.nthreads; i++)
		pthread_join(w.threads[i], NULL);
	for (; w.head < w.queued; w.head++) /* left unwritten by an error */
		dir_unref(&w, w.ring[w.head % w.cap].dir);
	if (rc < 0)
		err_move(e, &w.err);
	err_clear(&w.err);
	pthread_cond_destroy(&w.done);
	pthread_cond_destroy(&w.work);
	pthread_mutex_destroy(&w.lock);
	strbuf_release(&w.key);
	strbuf_release(&w.line);
	free(w.threads);
	free(w.buf);
	free(w.ring);
	return rc;
}

static void release(struct sha256sums *s)
{
	if (s->f)
		fclose(s->f);
	free(s->path);
	free(s->partial);
	free(s->base);
	known_free(s->known);
	memset(s, 0, sizeof *s);
}

int sha256sums_close(struct sha256sums *s, struct err *e)
{
	int rc = 0;
	if (fflush(s->f) != 0 || fsync(fileno(s->f)) < 0)
		rc = err_errno(e, errno, "cannot write %s", s->partial);
	if (fclose(s->f) != 0 && rc == 0)
		rc = err_errno(e, errno, "cannot write %s", s->partial);
	s->f = NULL;
	if (rc == 0 && rename(s->partial, s->path) < 0)
		rc = err_errno(e, errno, "cannot rename %s to %s", s->partial, s->path);
	if (rc < 0)
		unlink(s->partial);
	release(s);
	return rc;
}

void sha256sums_abort(struct sha256sums *s)
{
	if (s->partial)
		unlink(s->partial);
	release(s);
}

void sha256sums_add_bad(struct sha256sums_result *res, const char *path, const char *why,
			const char *why_l10n)
{
	res->bad = xrealloc(res->bad, (res->n_bad + 1) * sizeof *res->bad);
	res->bad[res->n_bad].path = xstrdup(path);
	res->bad[res->n_bad].why = xstrdup(why);
	res->bad[res->n_bad].why_l10n = xstrdup(why_l10n ? why_l10n : why);
	res->n_bad++;
}

/* Split a list line into its digest and (unescaped) path: 0, or -1 when it
 * is not a sha256sum line. */
static int parse_line(char *line, char hex[65], struct strbuf *path)
{
	int esc = *line == '\\';
	const char *p = line + esc;
	for (int i = 0; i < 64; i++) {
		char ch = p[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')))
			return -1;
		hex[i] = (char)(ch >= 'A' && ch <= 'F' ? ch - 'A' + 'a' : ch);
	}
	hex[64] = '\0';
	p += 64;
	if (p[0] != ' ' || (p[1] != ' ' && p[1] != '*') || !p[2])
		return -1;
	p += 2;
	strbuf_reset(path);
	if (!esc) {
		strbuf_addstr(path, p);
		return 0;
	}
	for (; *p; p++) {
		if (esc && *p == '\\') {
			if (p[1] == '\\')
				strbuf_addch(path, '\\');
			else if (p[1] == 'n')
				strbuf_addch(path, '\n');
			else
				return -1;
			p++;
		} else {
			strbuf_addch(path, *p);
		}
	}
	return 0;
}

/* An absolute path, or one with a ".." component. */
static int leaves_base(const char *rel)
{
	if (*rel == '/')
		return 1;
	for (const char *p = rel; (p = strstr(p, "..")); p += 2)
		if ((p == rel || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return 1;
	return 0;
}

int sha256sums_verify(const char *base, const char *path, struct sha256sums_result *res,
		      struct report *r, struct err *e)
{
	return sha256sums_verify_each(base, path, res, NULL, NULL, r, e);
}

int sha256sums_verify_each(const char *base, const char *path, struct sha256sums_result *res,
			   void (*each)(void *ctx, const char *rel, uint64_t bytes), void *ctx,
			   struct report *r, struct err *e)
{
	struct strbuf rel = STRBUF_INIT;
	struct err fe = ERR_INIT;
	char *line = NULL, hex[65], got[65];
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc = 0;

	memset(res, 0, sizeof *res);
	FILE *f = fopen(path, "re");
	if (!f)
		return err_errno(e, errno, "cannot open %s", path);
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (parse_line(line, hex, &rel) < 0) {
			err_set(e, "%s:%ld: not a sha256sum line", path, lineno);
			err_where(e, path, lineno, -1);
			err_hint(e, "The list was changed or damaged; each line is \"<sha256>  <path>\".");
			rc = -1;
			break;
		}
		if (leaves_base(rel.buf)) {
			/* we never list such a path: the list was changed */
			sha256sums_add_bad(res, rel.buf, "not checked: the path leads out of the backup root",
					   _("not checked: the path leads out of the backup root"));
			res->checked++;
			continue;
		}
		char *full = xstrfmt("%s/%s", base, rel.buf);
		uint64_t bytes = 0;
		if (sha256sums_file(full, got, &bytes, r, &fe) < 0) {
			if (report_cancelled(r)) {
				err_move(e, &fe);
				free(full);
				rc = -1;
				break;
			}
			struct stat st;
			if (lstat(full, &st) < 0 && errno == ENOENT)
				sha256sums_add_bad(res, rel.buf, "missing", _("missing"));
			else
				sha256sums_add_bad(res, rel.buf, fe.msg, fe.lmsg);
			err_clear(&fe);
		} else if (strcmp(got, hex)) {
			sha256sums_add_bad(res, rel.buf, "checksum mismatch", _("checksum mismatch"));
		}
		free(full);
		if (each)
			each(ctx, rel.buf, bytes);
		res->checked++;
		res->bytes += bytes;
		if (r) {
			struct progress p = { 0 };
			p.phase = N_("checking");
			p.done_items = res->checked;
			p.done_bytes = res->bytes;
			p.current = rel.buf;
			report_progress(r, &p, 0);
		}
	}
	if (rc == 0 && ferror(f))
		rc = err_errno(e, errno, "cannot read %s", path);
	if (rc == 0 && !res->checked) {
		err_set(e, "%s lists no file", path);
		rc = -1;
	}
	fclose(f);
	free(line);
	strbuf_release(&rel);
	if (rc < 0)
		return -1;
	return res->n_bad ? 1 : 0;
}

void sha256sums_result_release(struct sha256sums_result *res)
{
	for (size_t i = 0; i < res->n_bad; i++) {
		free(res->bad[i].path);
		free(res->bad[i].why);
		free(res->bad[i].why_l10n);
	}
	free(res->bad);
	memset(res, 0, sizeof *res);
}
