/*
 * replay_check: the dump check (dumpinfo_check) in a thread beside the
 * replay; see replay_int.h.
 *
 * The check reads the whole dump once more; run before the replay it cost
 * a second inflate of the dump in series (about 1 s per 70 MiB of gzip,
 * nearly all of it zlib: the scan itself is a tenth).  Beside the replay
 * it runs on the other core while the replay's first statements wait,
 * uncommitted, for its verdict (replay.c, "speculation").
 */
#include "config.h"
#include "replay_int.h"
#include "dumpinfo.h"
#include "fault.h"
#include "report.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct replay_check {
	char *path, *hint;
	struct report *parent; /* its cancelled() only, from the thread */
	struct report own;     /* what the thread reports to: cancellation */
	pthread_t thread;
	int threaded;
	int done;              /* atomic: the thread finished */
	int stop;              /* atomic: the replay ended, stop reading */
	int waited;            /* atomic: replay_check_wait() was called */
	int result;            /* dumpinfo_check()'s, once done */
	struct dumpinfo di;
	struct err e;
	/* the COPY blocks counted so far, for replay_check_copy_bytes(): the
	 * thread appends, under mu, and signals cv (also when done) */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct counted { long line; uint64_t bytes; } *counted;
	size_t n_counted, alloc_counted;
	int counted_all;       /* the reading ended: every table is in counted */
};

/* In the check's thread: publish the tables whose COPY block is counted
 * (all but the last one seen, which may still be being counted, unless
 * @all: the reading ended). */
static void publish(struct replay_check *ck, int all)
{
	size_t n = ck->di.n_tables && !all ? ck->di.n_tables - 1 : ck->di.n_tables;
	if (n <= ck->n_counted && !all) /* only this thread writes n_counted */
		return;
	pthread_mutex_lock(&ck->mu);
	ck->counted_all = all;
	if (n > ck->alloc_counted) {
		ck->alloc_counted = n > 2 * ck->alloc_counted ? n : 2 * ck->alloc_counted;
		ck->counted = xrealloc(ck->counted, ck->alloc_counted * sizeof(*ck->counted));
	}
	for (; ck->n_counted < n; ck->n_counted++) {
		ck->counted[ck->n_counted].line = ck->di.tables[ck->n_counted].line;
		ck->counted[ck->n_counted].bytes = ck->di.tables[ck->n_counted].bytes;
	}
	pthread_cond_broadcast(&ck->cv);
	pthread_mutex_unlock(&ck->mu);
}

/* Asked for every piece the check reads: also where it publishes how far
 * it counted. */
static int check_cancelled(void *ctx)
{
	struct replay_check *ck = ctx;
	if (__atomic_load_n(&ck->stop, __ATOMIC_ACQUIRE))
		return 1;
	publish(ck, 0);
	return report_cancelled(ck->parent);
}

static void *check_thread(void *arg)
{
	struct replay_check *ck = arg;
	ck->result = dumpinfo_check(ck->path, &ck->di, 1, ck->hint, &ck->own, &ck->e);
	publish(ck, 1);
	/* test build: a check whose verdict comes only when the replay waits
	 * for it, whatever the machine's speed (tests/integration/replay-check.sh) */
	if (fault_fail("replay.check.late"))
		while (!__atomic_load_n(&ck->waited, __ATOMIC_ACQUIRE) &&
		       !__atomic_load_n(&ck->stop, __ATOMIC_ACQUIRE))
			usleep(1000);
	__atomic_store_n(&ck->done, 1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&ck->mu);
	pthread_cond_broadcast(&ck->cv);
	pthread_mutex_unlock(&ck->mu);
	return NULL;
}

struct replay_check *replay_check_start(const char *path, const char *hint, struct report *r)
{
	struct replay_check *ck = xcalloc(1, sizeof(*ck));
	ck->path = xstrdup(path);
	ck->hint = xstrdup(hint);
	ck->parent = r;
	ck->own.cancelled = check_cancelled;
	ck->own.ctx = ck;
	ck->e = (struct err)ERR_INIT;
	pthread_mutex_init(&ck->mu, NULL);
	pthread_cond_init(&ck->cv, NULL);
	if (pthread_create(&ck->thread, NULL, check_thread, ck) == 0)
		ck->threaded = 1;
	else
		check_thread(ck); /* no thread: checked here, before the replay */
	return ck;
}

int replay_check_done(const struct replay_check *ck)
{
	return __atomic_load_n(&ck->done, __ATOMIC_ACQUIRE);
}

int replay_check_refused(const struct replay_check *ck)
{
	return replay_check_done(ck) && ck->result < 0;
}

int replay_check_wait(struct replay_check *ck, struct err *e)
{
	__atomic_store_n(&ck->waited, 1, __ATOMIC_RELEASE);
	if (ck->threaded) {
		pthread_join(ck->thread, NULL);
		ck->threaded = 0;
	}
	if (ck->result < 0 && e) {
		err_move(e, &ck->e);
		ck->e = (struct err)ERR_INIT;
		err_set(&ck->e, "the dump check refused the dump"); /* for a second call */
	}
	return ck->result < 0 ? -1 : 0;
}

int replay_check_copy_bytes(struct replay_check *ck, long line, uint64_t *bytes)
{
	int found = 0;
	pthread_mutex_lock(&ck->mu);
	for (;;) {
		for (size_t k = 0; k < ck->n_counted && !found; k++)
			if (ck->counted[k].line == line) {
				*bytes = ck->counted[k].bytes;
				found = 1;
			}
		if (found || (ck->n_counted && ck->counted[ck->n_counted - 1].line > line) ||
		    ck->counted_all || replay_check_done(ck))
			break;
		pthread_cond_wait(&ck->cv, &ck->mu);
	}
	pthread_mutex_unlock(&ck->mu);
	return found;
}

const struct dumpinfo *replay_check_info(const struct replay_check *ck)
{
	return replay_check_done(ck) && ck->result == 0 ? &ck->di : NULL;
}

void replay_check_free(struct replay_check *ck)
{
	if (!ck)
		return;
	if (ck->threaded) {
		__atomic_store_n(&ck->stop, 1, __ATOMIC_RELEASE);
		pthread_join(ck->thread, NULL);
	}
	dumpinfo_release(&ck->di);
	err_clear(&ck->e);
	free(ck->counted);
	pthread_mutex_destroy(&ck->mu);
	pthread_cond_destroy(&ck->cv);
	free(ck->path);
	free(ck->hint);
	free(ck);
}
