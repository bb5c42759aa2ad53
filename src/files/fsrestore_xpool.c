/* fsrestore_xpool: the small files of an archive written by worker
 * threads while the walk reads on; see "Extracting in threads" below and
 * fsrestore_int.h. */
#include "config.h"
#include "fsrestore.h"
#include "fsrestore_int.h"
#include "err.h"
#include "fault.h"
#include "i18n.h"
#include "report.h"
#include "sha256.h"
#include "strbuf.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/*
 * Extracting in threads (issue 17).  Writing 100,000 small files of an
 * archive is kernel work (openat, write, fchown, futimens, close) that one
 * thread does serially; tar does the same, so the walk only kept pace
 * with tar -xzf.  Here the walk (the caller's thread) still reads every
 * header and all data in archive order (an archive handle belongs to one
 * thread) and writes everything itself except regular files without
 * hardlink of at most XPOOL_FILE_MAX bytes: those it reads into memory
 * and queues, with a clone of their entry, for N workers that each write
 * with an archive_write_disk handle of their own (made by the caller's
 * thread before they start: archive_write_disk_new() calls umask()).
 *
 * The barrier rule: the queued files are written in any order, so before
 * the walk writes anything itself (directory, symlink, hardlink, big
 * file), and before it queues a path that touches one still queued since
 * the last barrier (the same path: the later must win, as with tar; a
 * path below it; a leading directory of it), it waits until every queued
 * file is written (fsrestore_xpool_drain).  Then what the walk writes
 * meets the tree it would have met in one thread: a hardlink finds its
 * target, a symlink's directory is not filled behind its back, link_guard
 * (run by the walk before queueing) sees every symlink written.  Two
 * workers may create the same missing parent directory: libarchive's
 * mkdir takes EEXIST for a directory as success.  Directory modes and
 * times are set after the workers joined (fsrestore_fixup_dirs).
 *
 * Own per worker: a ctx forked from the run's (result counters, error,
 * scratch paths, SHA-256 state, pending difference), its disk writer.
 * Shared under the pool's mutex: the queue (at most XPOOL_JOBS files and
 * XPOOL_BYTES bytes of data, so memory stays bounded), the stop flag and
 * the caller's report: while the pool runs the walk's ctx reports through
 * a forwarder taking the same mutex, so the caller's callbacks are called
 * by one thread at a time.  The first worker to fail (or to see the
 * cancel) gives the run's error; the others stop, the walk stops at its
 * next queue or barrier, nothing is swapped in.
 */
#define XPOOL_THREADS_MAX 8
#define XPOOL_FILE_MAX (256 * 1024)
#define XPOOL_JOBS 256
#define XPOOL_BYTES (8 * 1024 * 1024)
/* Names remembered since the last barrier, at most: past it a barrier
 * (the sets stay small in an archive without directory entries). */
#define XPOOL_NAMES_MAX 16384

struct xjob {
	struct archive_entry *ent; /* pathname into the destination */
	char *rel;
	char *data;
	size_t len;
};

struct xpool;

struct xworker {
	struct xpool *p;
	struct ctx c;                /* forked from the run's */
	struct fsrestore_result res; /* added into the run's at the end */
	struct err e;
	struct report r;             /* forwards to the caller's under p->mu */
	struct archive *ext;
	pthread_t thread;
};

struct xpool {
	pthread_mutex_t mu;
	pthread_cond_t work; /* a job queued, or the end */
	pthread_cond_t room; /* a job taken */
	pthread_cond_t idle; /* the queue is empty and no worker writes */
	struct ctx *c;       /* the walk's */
	struct report *r;    /* the caller's: called under mu only */
	struct report mr;    /* the walk's forwarder, c->r while the pool runs */
	struct xjob q[XPOOL_JOBS]; /* a ring */
	size_t qhead, qn, qbytes;
	int busy, stop, end;
	int first;           /* the worker whose error is the run's, -1 */
	/* the walk's only: paths queued since the last barrier, and their
	 * leading directories */
	struct linkset files, dirs;
	struct xworker *w;
	int nw;
};

/* ---- reports ---------------------------------------------------------- */

static void fwd_progress(void *ctx, const struct progress *pr)
{
	struct xpool *p = ctx;
	pthread_mutex_lock(&p->mu);
	report_progress(p->r, pr, 1); /* throttled by p->mr already */
	pthread_mutex_unlock(&p->mu);
}

static void main_log(void *ctx, enum log_level level, const char *line, const char *shown)
{
	struct xpool *p = ctx;
	fsrestore_pool_line(&p->mu, p->r, level, line, shown);
}

static void worker_log(void *ctx, enum log_level level, const char *line, const char *shown)
{
	struct xpool *p = ((struct xworker *)ctx)->p;
	fsrestore_pool_line(&p->mu, p->r, level, line, shown);
}

static int main_cancelled(void *ctx)
{
	struct xpool *p = ctx;
	return fsrestore_pool_cancelled(&p->mu, p->r, NULL);
}

/* The caller's cancel, or another worker failed: this one stops too. */
static int worker_cancelled(void *ctx)
{
	struct xpool *p = ((struct xworker *)ctx)->p;
	return fsrestore_pool_cancelled(&p->mu, p->r, &p->stop);
}

/* ---- workers ---------------------------------------------------------- */

/* Write one queued file as the walk writes a regular file.  0, or -1
 * with w->e set. */
static int write_job(struct xworker *w, struct xjob *j)
{
	struct ctx *c = &w->c;
	int r, refused = 0;
	if (fsrestore_cancelled(c))
		return -1;
	r = archive_write_header(w->ext, j->ent);
	if (fsrestore_ext_status(c, w->ext, r, j->rel, &refused) < 0)
		return -1;
	if (refused) {
		c->res->skipped++; /* fsrestore_ext_status() warned "refused ..." */
		c->res->refused++;
		return 0;
	}
	if (c->o->checksum) {
		sha256_init(&c->sha);
		sha256_update(&c->sha, j->data, j->len);
		c->sha_pos = j->len;
	}
	if (j->len && archive_write_data_block(w->ext, j->data, j->len, 0) < ARCHIVE_OK) {
		int en = archive_errno(w->ext);
		err_set(c->e, "cannot write %s/%s", c->dest, j->rel);
		err_detail(c->e, "%s", archive_error_string(w->ext));
		if (en == ENOSPC || en == EDQUOT)
			c->out_of_space = 1;
		return -1;
	}
	r = archive_write_finish_entry(w->ext);
	if (fsrestore_ext_status(c, w->ext, r, j->rel, NULL) < 0)
		return -1;
	if (c->verify)
		fsrestore_verify_entry(c, j->ent, j->rel);
	c->res->files++;
	if (archive_entry_size(j->ent) > 0)
		c->res->bytes += (uint64_t)archive_entry_size(j->ent);
	return 0;
}

static void job_free(struct xjob *j)
{
	archive_entry_free(j->ent);
	free(j->rel);
	free(j->data);
}

static void *worker_main(void *arg)
{
	struct xworker *w = arg;
	struct xpool *p = w->p;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct xjob j;
		int rc;
		while (!p->stop && !p->qn && !p->end)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop || !p->qn)
			break;
		j = p->q[p->qhead];
		p->qhead = (p->qhead + 1) % XPOOL_JOBS;
		p->qn--;
		p->qbytes -= j.len;
		p->busy++;
		pthread_cond_signal(&p->room);
		pthread_mutex_unlock(&p->mu);
		/* test builds hold a worker here, its file in flight
		 * (files-extract-threads.sh) */
		fault_point("files.xpool.write");
		rc = write_job(w, &j);
		job_free(&j);
		pthread_mutex_lock(&p->mu);
		p->busy--;
		if (rc < 0) {
			if (p->first < 0 && err_isset(&w->e))
				p->first = (int)(w - p->w);
			p->stop = 1;
			pthread_cond_broadcast(&p->work);
			pthread_cond_broadcast(&p->room);
		}
		if (p->stop || (!p->qn && !p->busy))
			pthread_cond_broadcast(&p->idle);
	}
	pthread_mutex_unlock(&p->mu);
	fsrestore_diff_flush(&w->c); /* its last path's differences */
	return NULL;
}

/* Signals a fault raises in the thread that caused it: never blocked. */
static const int sync_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS };

/* Free @p's mutex, conditions, worker array and @p (no thread running). */
static void pool_free(struct xpool *p)
{
	pthread_cond_destroy(&p->idle);
	pthread_cond_destroy(&p->room);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
	free(p->w);
	free(p);
}

/* Free the disk writers and ctxs of workers @from.. (not started). */
static void workers_drop(struct xpool *p, int from)
{
	for (int k = from; k < p->nw; k++) {
		archive_write_free(p->w[k].ext);
		fsrestore_ctx_release(&p->w[k].c);
	}
	p->nw = from;
}

int fsrestore_xpool_start(struct ctx *c, int flags, struct xpool **out)
{
	struct xpool *p;
	sigset_t all, old;
	int i, n = fsrestore_threads(c);
	*out = NULL;
	if (n > XPOOL_THREADS_MAX)
		n = XPOOL_THREADS_MAX;
	if (n < 2 || c->is_dir || !c->track_links)
		return 0;
	p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->room, NULL);
	pthread_cond_init(&p->idle, NULL);
	p->c = c;
	p->r = c->r;
	p->first = -1;
	p->mr.ctx = p;
	if (c->r && c->r->progress)
		p->mr.progress = fwd_progress;
	if (c->r && (c->r->log || c->r->log_l10n))
		p->mr.log_l10n = main_log;
	if (c->r && c->r->cancelled)
		p->mr.cancelled = main_cancelled;
	p->w = xcalloc((size_t)n, sizeof *p->w);
	/* the disk writers here, in the caller's thread (umask); their
	 * constructors fail only without memory, where bsdtar stops too
	 * (test builds fail them by name, BR_FAULT_FAIL=files.new.*) */
	for (i = 0; i < n; i++) {
		struct xworker *w = &p->w[p->nw];
		const char *what = NULL;
		w->ext = fault_fail("files.new.worker-writer") ? NULL : archive_write_disk_new();
		if (!w->ext) {
			what = N_("the disk writer");
		} else {
			archive_write_disk_set_options(w->ext, flags);
			if (archive_write_disk_set_standard_lookup(w->ext) != ARCHIVE_OK) {
				archive_write_free(w->ext);
				what = N_("the owner name lookup");
			}
		}
		if (what) {
			fsrestore_no_memory(c, what);
			workers_drop(p, 0);
			pool_free(p);
			return -1;
		}
		w->p = p;
		w->e = (struct err)ERR_INIT;
		w->r.ctx = w;
		if (c->r && (c->r->log || c->r->log_l10n))
			w->r.log_l10n = worker_log;
		w->r.cancelled = worker_cancelled;
		fsrestore_ctx_fork(&w->c, c, &w->r, &w->res, &w->e);
		p->nw++;
	}
	/* signals go to the caller's thread, not into a worker's system calls */
	sigfillset(&all);
	for (i = 0; i < (int)(sizeof sync_signals / sizeof *sync_signals); i++)
		sigdelset(&all, sync_signals[i]);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < p->nw; i++)
		if (pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]) != 0)
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	workers_drop(p, i); /* not started: fewer workers */
	if (!p->nw) {
		pool_free(p); /* the walk writes everything itself */
		return 0;
	}
	c->r = &p->mr;
	*out = p;
	return 0;
}

int fsrestore_xpool_fits(struct xpool *p, struct archive_entry *ent)
{
	return p && p->c->track_links && archive_entry_filetype(ent) == AE_IFREG &&
	       !archive_entry_hardlink(ent) && archive_entry_size_is_set(ent) &&
	       archive_entry_size(ent) <= XPOOL_FILE_MAX && archive_entry_sparse_count(ent) == 0 &&
	       /* libarchive chdir()s into paths longer than PATH_MAX: not in a thread */
	       strlen(archive_entry_pathname(ent)) < 1024;
}

int fsrestore_xpool_drain(struct xpool *p)
{
	int stop;
	if (!p)
		return 0;
	pthread_mutex_lock(&p->mu);
	while (!p->stop && (p->qn || p->busy))
		pthread_cond_wait(&p->idle, &p->mu);
	stop = p->stop;
	pthread_mutex_unlock(&p->mu);
	fsrestore_linkset_free(&p->files);
	fsrestore_linkset_free(&p->dirs);
	return stop ? -1 : 0;
}

/* Does @rel touch a path queued since the last barrier: the same, one
 * below it, or one of its leading directories? */
static int in_flight(struct xpool *p, const char *rel)
{
	size_t len, n = strlen(rel);
	struct linknode **f;
	if (!p->files.n)
		return 0;
	if (*fsrestore_linkset_find(&p->files, rel, n))
		return 1;
	f = fsrestore_linkset_find(&p->dirs, rel, n); /* NULL while empty */
	return (f && *f) || fsrestore_linkset_prefix(&p->files, rel, &len);
}

/* Remember @rel and its leading directories as queued. */
static void remember(struct xpool *p, const char *rel)
{
	char *d = xstrdup(rel), *s;
	fsrestore_linkset_add(&p->files, rel);
	for (s = strchr(d, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		fsrestore_linkset_add(&p->dirs, d);
		*s = '/';
	}
	free(d);
}

int fsrestore_xpool_queue(struct xpool *p, struct archive_entry *ent, const char *rel, char *data, size_t len)
{
	struct xjob *j;
	int touches;
	struct archive_entry *clone = fault_fail("files.new.entry-copy") ? NULL : archive_entry_clone(ent);
	if (!clone) { /* only without memory, where bsdtar stops too */
		fsrestore_no_memory(p->c, N_("a copy of an archive entry"));
		free(data);
		return -1;
	}
	touches = in_flight(p, rel);
	if (touches) /* the barrier for a path in flight (a point for the tests) */
		fault_point("files.xpool.in-flight");
	if ((touches || p->files.n >= XPOOL_NAMES_MAX) && fsrestore_xpool_drain(p) < 0) {
		archive_entry_free(clone);
		free(data);
		return -1;
	}
	remember(p, rel);
	pthread_mutex_lock(&p->mu);
	while (!p->stop && (p->qn == XPOOL_JOBS || (p->qn && p->qbytes + len > XPOOL_BYTES)))
		pthread_cond_wait(&p->room, &p->mu);
	if (p->stop) {
		pthread_mutex_unlock(&p->mu);
		archive_entry_free(clone);
		free(data);
		return -1;
	}
	j = &p->q[(p->qhead + p->qn++) % XPOOL_JOBS];
	j->ent = clone;
	j->rel = xstrdup(rel);
	j->data = data;
	j->len = len;
	p->qbytes += len;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int fsrestore_xpool_end(struct xpool *p, int failed)
{
	struct ctx *c;
	int rc = 0, i, f;
	if (!p)
		return 0;
	c = p->c;
	pthread_mutex_lock(&p->mu);
	if (failed)
		p->stop = 1;
	p->end = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nw; i++)
		pthread_join(p->w[i].thread, NULL);
	c->r = p->r;
	/* left in the queue when the run stopped */
	for (; p->qn; p->qn--, p->qhead = (p->qhead + 1) % XPOOL_JOBS)
		job_free(&p->q[p->qhead]);
	f = p->first;
	for (i = 0; i < p->nw; i++) {
		struct xworker *w = &p->w[i];
		struct fsrestore_result *t = c->res;
		int r = archive_write_close(w->ext);
		if (!p->stop && fsrestore_ext_status(&w->c, w->ext, r, "", NULL) < 0) {
			p->stop = 1;
			f = i;
		}
		archive_write_free(w->ext);
		if (f < 0 && err_isset(&w->e))
			f = i;
		t->files += w->res.files;
		t->bytes += w->res.bytes;
		t->skipped += w->res.skipped;
		t->refused += w->res.refused;
		t->warnings += w->res.warnings;
		t->differences += w->res.differences;
		t->modes_changed += w->res.modes_changed;
	}
	if (p->stop) {
		rc = -1;
		if (!err_isset(c->e)) {
			if (f >= 0) {
				err_move(c->e, &p->w[f].e);
				c->out_of_space = p->w[f].c.out_of_space;
			} else {
				err_set(c->e, "the copy of %s stopped", c->source);
			}
		}
	}
	for (i = 0; i < p->nw; i++) {
		err_clear(&p->w[i].e);
		fsrestore_ctx_release(&p->w[i].c);
	}
	fsrestore_linkset_free(&p->files);
	fsrestore_linkset_free(&p->dirs);
	pool_free(p);
	return rc;
}
