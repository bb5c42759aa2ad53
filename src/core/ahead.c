/* ahead: a producer thread filling a bounded ring of blocks; see ahead.h. */
#include "config.h"
#include "ahead.h"
#include "strbuf.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct ahead {
	ahead_fill_fn fill;
	void *ctx;
	size_t block;
	unsigned nblocks;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t filled;      /* a block was filled, or the thread ended */
	pthread_cond_t freed;       /* a block was handed back, or stop */
	char **blk;
	size_t *len;
	uint64_t *mark;
	unsigned head, tail, count; /* ring: filled blocks from tail, count of them */
	int held;                   /* the consumer holds the block at tail */
	int done;                   /* thread finished: 0 at the end, -1 on an error */
	int result;
	int stop;                   /* consumer closed: thread should end */
};

static void *ahead_thread(void *arg)
{
	struct ahead *h = arg;
	for (;;) {
		unsigned slot;
		ssize_t n;
		uint64_t mark = 0;
		pthread_mutex_lock(&h->mu);
		while (h->count == h->nblocks && !h->stop)
			pthread_cond_wait(&h->freed, &h->mu);
		if (h->stop) {
			pthread_mutex_unlock(&h->mu);
			break;
		}
		slot = h->head;
		pthread_mutex_unlock(&h->mu);

		/* the slot is ours until published: the consumer only reads
		 * filled ones */
		n = h->fill(h->ctx, h->blk[slot], h->block, &mark);

		pthread_mutex_lock(&h->mu);
		if (n <= 0) {
			h->done = 1;
			h->result = n < 0 ? -1 : 0;
			pthread_cond_broadcast(&h->filled);
			pthread_mutex_unlock(&h->mu);
			break;
		}
		h->len[slot] = (size_t)n;
		h->mark[slot] = mark;
		h->head = (h->head + 1) % h->nblocks;
		h->count++;
		pthread_cond_signal(&h->filled);
		pthread_mutex_unlock(&h->mu);
	}
	return NULL;
}

int ahead_start(struct ahead **out, ahead_fill_fn fill, void *ctx, size_t block, unsigned nblocks)
{
	struct ahead *h = xcalloc(1, sizeof(*h));
	*out = NULL;
	h->fill = fill;
	h->ctx = ctx;
	h->block = block;
	h->nblocks = nblocks;
	h->blk = xcalloc(nblocks, sizeof(*h->blk));
	h->len = xcalloc(nblocks, sizeof(*h->len));
	h->mark = xcalloc(nblocks, sizeof(*h->mark));
	for (unsigned i = 0; i < nblocks; i++)
		h->blk[i] = xmalloc(block);
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->filled, NULL);
	pthread_cond_init(&h->freed, NULL);
	if (pthread_create(&h->thread, NULL, ahead_thread, h) != 0) {
		int saved = errno;
		ahead_free(h);
		errno = saved;
		return -1;
	}
	h->started = 1;
	*out = h;
	return 0;
}

ssize_t ahead_next(struct ahead *h, const char **buf, uint64_t *mark)
{
	ssize_t n;
	pthread_mutex_lock(&h->mu);
	if (h->held) {
		h->held = 0;
		h->tail = (h->tail + 1) % h->nblocks;
		h->count--;
		pthread_cond_signal(&h->freed);
	}
	while (h->count == 0 && !h->done)
		pthread_cond_wait(&h->filled, &h->mu);
	if (h->count == 0) {
		*buf = NULL;
		n = h->result;
		pthread_mutex_unlock(&h->mu);
		return n;
	}
	h->held = 1;
	*buf = h->blk[h->tail];
	*mark = h->mark[h->tail];
	n = (ssize_t)h->len[h->tail];
	pthread_mutex_unlock(&h->mu);
	return n;
}

void ahead_free(struct ahead *h)
{
	if (!h)
		return;
	if (h->started) {
		pthread_mutex_lock(&h->mu);
		h->stop = 1;
		pthread_cond_broadcast(&h->freed);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->thread, NULL);
	}
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->filled);
	pthread_cond_destroy(&h->freed);
	for (unsigned i = 0; i < h->nblocks; i++)
		free(h->blk[i]);
	free(h->blk);
	free(h->len);
	free(h->mark);
	free(h);
}
