/* fsrestore_ahead: decompression in a reader thread; see fsrestore_ahead.h. */
#include "config.h"
#include "fsrestore_ahead.h"
#include "strbuf.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct fsrestore_ahead {
	struct archive *in;       /* filters + raw format, read by the thread */
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t filled;    /* a block was filled, or the thread ended */
	pthread_cond_t freed;     /* a block was handed back, or stop */
	char *blk[FSRESTORE_AHEAD_BLOCKS];
	size_t len[FSRESTORE_AHEAD_BLOCKS];
	unsigned head, tail, count; /* ring: filled blocks from tail, count of them */
	int held;                 /* the consumer holds the block at tail */
	int done;                 /* thread finished (EOF or error) */
	int stop;                 /* consumer closed: thread should end */
	int err_no;
	char *msg;                /* thread's error, NULL at a clean EOF */
	uint64_t bytes;           /* compressed bytes read (atomic) */
};

static void *ahead_thread(void *arg)
{
	struct fsrestore_ahead *h = arg;
	for (;;) {
		unsigned slot;
		la_ssize_t n;
		pthread_mutex_lock(&h->mu);
		while (h->count == FSRESTORE_AHEAD_BLOCKS && !h->stop)
			pthread_cond_wait(&h->freed, &h->mu);
		if (h->stop) {
			pthread_mutex_unlock(&h->mu);
			break;
		}
		slot = (h->head) % FSRESTORE_AHEAD_BLOCKS;
		pthread_mutex_unlock(&h->mu);

		/* the slot is ours until published: the consumer only reads
		 * filled ones */
		n = archive_read_data(h->in, h->blk[slot], FSRESTORE_AHEAD_BLOCK);
		__atomic_store_n(&h->bytes, (uint64_t)archive_filter_bytes(h->in, -1), __ATOMIC_RELAXED);

		pthread_mutex_lock(&h->mu);
		if (n < 0) {
			const char *m = archive_error_string(h->in);
			h->err_no = archive_errno(h->in) ? archive_errno(h->in) : EIO;
			h->msg = xstrdup(m ? m : "cannot decompress");
		}
		if (n <= 0) {
			h->done = 1;
			pthread_cond_broadcast(&h->filled);
			pthread_mutex_unlock(&h->mu);
			break;
		}
		h->len[slot] = (size_t)n;
		h->head = (h->head + 1) % FSRESTORE_AHEAD_BLOCKS;
		h->count++;
		pthread_cond_signal(&h->filled);
		pthread_mutex_unlock(&h->mu);
	}
	return NULL;
}

/* archive_read_open read callback: the next filled block; the one handed
 * out before is given back to the thread first. */
static la_ssize_t ahead_read(struct archive *a, void *data, const void **buf)
{
	struct fsrestore_ahead *h = data;
	la_ssize_t n;
	pthread_mutex_lock(&h->mu);
	if (h->held) {
		h->held = 0;
		h->tail = (h->tail + 1) % FSRESTORE_AHEAD_BLOCKS;
		h->count--;
		pthread_cond_signal(&h->freed);
	}
	while (h->count == 0 && !h->done)
		pthread_cond_wait(&h->filled, &h->mu);
	if (h->count == 0) {
		*buf = NULL;
		n = 0;
		if (h->msg) {
			archive_set_error(a, h->err_no, "%s", h->msg);
			n = -1;
		}
		pthread_mutex_unlock(&h->mu);
		return n;
	}
	h->held = 1;
	*buf = h->blk[h->tail];
	n = (la_ssize_t)h->len[h->tail];
	pthread_mutex_unlock(&h->mu);
	return n;
}

/* Stop and join the thread (idempotent). */
static void ahead_stop(struct fsrestore_ahead *h)
{
	if (!h->started)
		return;
	pthread_mutex_lock(&h->mu);
	h->stop = 1;
	pthread_cond_broadcast(&h->freed);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->thread, NULL);
	h->started = 0;
}

static int ahead_close(struct archive *a, void *data)
{
	(void)a;
	ahead_stop(data);
	return ARCHIVE_OK;
}

int fsrestore_ahead_open(struct archive *a, const char *path, struct fsrestore_ahead **out)
{
	struct fsrestore_ahead *h = xcalloc(1, sizeof *h);
	struct archive_entry *ent;
	int r;
	*out = NULL;
	h->in = archive_read_new();
	if (!h->in)
		abort();
	archive_read_support_filter_all(h->in);
	archive_read_support_format_raw(h->in);
	if (archive_read_open_filename(h->in, path, 1 << 17) != ARCHIVE_OK ||
	    archive_read_next_header(h->in, &ent) != ARCHIVE_OK) {
		archive_set_error(a, archive_errno(h->in) ? archive_errno(h->in) : EIO, "%s",
				  archive_error_string(h->in) ? archive_error_string(h->in)
							      : "cannot read the compressed stream");
		fsrestore_ahead_free(h);
		return -1;
	}
	for (int i = 0; i < FSRESTORE_AHEAD_BLOCKS; i++)
		h->blk[i] = xmalloc(FSRESTORE_AHEAD_BLOCK);
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->filled, NULL);
	pthread_cond_init(&h->freed, NULL);
	if (pthread_create(&h->thread, NULL, ahead_thread, h) != 0) {
		archive_set_error(a, errno, "cannot start the decompression thread");
		fsrestore_ahead_free(h);
		return -1;
	}
	h->started = 1;
	/* from here on libarchive may call ahead_close, also when the open
	 * fails; the caller frees h after archive_read_free(a) */
	*out = h;
	r = archive_read_open(a, h, NULL, ahead_read, ahead_close);
	return r == ARCHIVE_OK ? 0 : -1;
}

uint64_t fsrestore_ahead_bytes(struct fsrestore_ahead *h)
{
	return h ? __atomic_load_n(&h->bytes, __ATOMIC_RELAXED) : 0;
}

void fsrestore_ahead_free(struct fsrestore_ahead *h)
{
	if (!h)
		return;
	ahead_stop(h);
	if (h->blk[0]) {
		pthread_mutex_destroy(&h->mu);
		pthread_cond_destroy(&h->filled);
		pthread_cond_destroy(&h->freed);
	}
	for (int i = 0; i < FSRESTORE_AHEAD_BLOCKS; i++)
		free(h->blk[i]);
	if (h->in)
		archive_read_free(h->in);
	free(h->msg);
	free(h);
}
