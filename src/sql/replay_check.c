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
};

static int check_cancelled(void *ctx)
{
	struct replay_check *ck = ctx;
	if (__atomic_load_n(&ck->stop, __ATOMIC_ACQUIRE))
		return 1;
	return report_cancelled(ck->parent);
}

static void *check_thread(void *arg)
{
	struct replay_check *ck = arg;
	/* test build: a check that ends only when the replay waits for it,
	 * whatever the machine's speed (tests/integration/replay-check.sh) */
	if (fault_fail("replay.check.late"))
		while (!__atomic_load_n(&ck->waited, __ATOMIC_ACQUIRE) &&
		       !__atomic_load_n(&ck->stop, __ATOMIC_ACQUIRE))
			usleep(1000);
	ck->result = dumpinfo_check(ck->path, &ck->di, 1, ck->hint, &ck->own, &ck->e);
	__atomic_store_n(&ck->done, 1, __ATOMIC_RELEASE);
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
	free(ck->path);
	free(ck->hint);
	free(ck);
}
