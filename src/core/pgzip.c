/*
 * pgzip: parallel gzip writer (see pgzip.h for the contract).
 *
 * A ring of blocks, each in one state: FREE, FILLING (the caller copies
 * input into it), QUEUED (waiting for a worker), RUNNING, DONE (compressed,
 * waiting to be written).  Block number seq lives in slot seq % n_slots, so
 * a slot is reused only after its block was written, and the blocks reach
 * the file in input order.  One mutex guards the states; the workers wait
 * on `work`, the caller on `done`.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "cpus.h"
#include "err.h"
#include "pgzip.h"
#include "strbuf.h"

#define DICT_SIZE 32768 /* deflate's window: the history a block may refer to */
#define MAX_THREADS 64

enum job_state { JOB_FREE, JOB_FILLING, JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct job {
	enum job_state state;
	uint64_t seq;
	int last;              /* ends the stream: Z_FINISH instead of a sync flush */
	unsigned char *in;     /* block bytes of input */
	size_t in_len;
	unsigned char *dict;   /* the previous block's last DICT_SIZE bytes */
	size_t dict_len;
	unsigned char *out;    /* raw deflate output, grown when needed */
	size_t out_len, out_alloc;
	uint32_t crc;          /* CRC-32 of in */
	int zerr;              /* zlib's error code, 0 if fine */
};

struct pgzip {
	int fd;
	char *name;
	int level;
	size_t block;

	pthread_mutex_t lock;
	pthread_cond_t work; /* a block was queued, or stop */
	pthread_cond_t done; /* a block was compressed */
	int stop;

	int n_threads, n_started;
	pthread_t *threads;
	z_stream *streams;   /* one per thread */
	int next_stream;     /* handed to threads at start, under lock */

	struct job *slots;
	size_t n_slots;
	uint64_t next_fill;  /* seq of the block being filled or filled next */
	uint64_t next_write; /* oldest block not yet written */
	int filling;         /* block next_fill is being filled (caller's own state) */

	unsigned char *tail; /* last DICT_SIZE bytes of input submitted */
	size_t tail_len;

	uint32_t crc;        /* of the blocks written so far */
	uint64_t bytes_in, bytes_out;
	int header_done, finished;
	char *failure;       /* the first error's message; later calls repeat it */
};

static void compress_job(struct job *j, z_stream *s)
{
	int flush = j->last ? Z_FINISH : Z_SYNC_FLUSH;

	j->crc = (uint32_t)crc32(0L, j->in, (uInt)j->in_len);
	j->out_len = 0;
	j->zerr = 0;
	if (deflateReset(s) != Z_OK) {
		j->zerr = Z_STREAM_ERROR;
		return;
	}
	if (j->dict_len && deflateSetDictionary(s, j->dict, (uInt)j->dict_len) != Z_OK) {
		j->zerr = Z_STREAM_ERROR;
		return;
	}
	s->next_in = j->in;
	s->avail_in = (uInt)j->in_len;
	for (;;) {
		if (j->out_alloc - j->out_len < 64) {
			j->out_alloc *= 2;
			j->out = xrealloc(j->out, j->out_alloc);
		}
		s->next_out = j->out + j->out_len;
		s->avail_out = (uInt)(j->out_alloc - j->out_len);
		int ret = deflate(s, flush);
		j->out_len = j->out_alloc - s->avail_out;
		if (ret == Z_STREAM_ERROR) {
			j->zerr = ret;
			return;
		}
		/* A sync flush is complete when deflate left output space free;
		 * Z_FINISH when it says so. */
		if (j->last ? ret == Z_STREAM_END : (s->avail_in == 0 && s->avail_out != 0))
			return;
	}
}

static struct job *next_queued(struct pgzip *z)
{
	struct job *best = NULL;
	for (size_t i = 0; i < z->n_slots; i++)
		if (z->slots[i].state == JOB_QUEUED && (!best || z->slots[i].seq < best->seq))
			best = &z->slots[i];
	return best;
}

static void *worker(void *arg)
{
	struct pgzip *z = arg;
	pthread_mutex_lock(&z->lock);
	z_stream *s = &z->streams[z->next_stream++];
	for (;;) {
		struct job *j = NULL;
		while (!z->stop && !(j = next_queued(z)))
			pthread_cond_wait(&z->work, &z->lock);
		if (z->stop)
			break;
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&z->lock);
		compress_job(j, s);
		pthread_mutex_lock(&z->lock);
		j->state = JOB_DONE;
		pthread_cond_broadcast(&z->done);
	}
	pthread_mutex_unlock(&z->lock);
	return NULL;
}

static int fail(struct pgzip *z, struct err *e)
{
	if (!z->failure)
		z->failure = xstrdup(e && e->msg ? e->msg : "compression failed");
	return -1;
}

static int failed_before(struct pgzip *z, struct err *e)
{
	if (!z->failure)
		return 0;
	err_set(e, "%s", z->failure);
	err_where(e, z->name, 0, -1);
	return 1;
}

static int write_all(struct pgzip *z, const void *p, size_t n, struct err *e)
{
	const unsigned char *c = p;
	while (n) {
		ssize_t w = write(z->fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err_errno(e, w < 0 ? errno : EIO, "cannot write %s", z->name);
			err_where(e, z->name, 0, (int64_t)z->bytes_out);
			return fail(z, e);
		}
		c += w;
		n -= (size_t)w;
		z->bytes_out += (uint64_t)w;
	}
	return 0;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* Write the finished blocks in order: wait for each block before @wait_until
 * (a seq), write the ones after it only if already done. */
static int write_ready(struct pgzip *z, uint64_t wait_until, struct err *e)
{
	while (z->next_write < z->next_fill) {
		struct job *j = &z->slots[z->next_write % z->n_slots];
		pthread_mutex_lock(&z->lock);
		if (z->next_write < wait_until)
			while (j->state != JOB_DONE)
				pthread_cond_wait(&z->done, &z->lock);
		int ready = j->state == JOB_DONE;
		pthread_mutex_unlock(&z->lock);
		if (!ready)
			return 0;
		if (j->zerr) {
			err_set(e, "cannot compress %s: zlib error %d", z->name, j->zerr);
			return fail(z, e);
		}
		if (!z->header_done) {
			/* ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL OS=Unix */
			unsigned char h[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
			h[8] = z->level == 9 ? 2 : z->level == 1 ? 4 : 0;
			if (write_all(z, h, sizeof h, e) < 0)
				return -1;
			z->header_done = 1;
		}
		if (write_all(z, j->out, j->out_len, e) < 0)
			return -1;
		z->crc = (uint32_t)crc32_combine(z->crc, j->crc, (z_off_t)j->in_len);
		pthread_mutex_lock(&z->lock);
		j->state = JOB_FREE;
		pthread_mutex_unlock(&z->lock);
		z->next_write++;
	}
	return 0;
}

/* The block being filled, starting one (and writing the oldest block to
 * free its slot) when none is. */
static struct job *fill_job(struct pgzip *z, struct err *e)
{
	struct job *j = &z->slots[z->next_fill % z->n_slots];
	if (z->filling)
		return j;
	if (z->next_fill - z->next_write >= z->n_slots &&
	    write_ready(z, z->next_fill - z->n_slots + 1, e) < 0)
		return NULL;
	/* FREE now (written): no worker looks at it until it is queued. */
	pthread_mutex_lock(&z->lock);
	j->state = JOB_FILLING;
	pthread_mutex_unlock(&z->lock);
	j->seq = z->next_fill;
	j->in_len = 0;
	z->filling = 1;
	return j;
}

static void submit(struct pgzip *z, struct job *j, int last)
{
	j->last = last;
	memcpy(j->dict, z->tail, z->tail_len);
	j->dict_len = z->tail_len;
	if (!last) {
		size_t n = j->in_len < DICT_SIZE ? j->in_len : DICT_SIZE;
		memcpy(z->tail, j->in + j->in_len - n, n);
		z->tail_len = n;
	}
	pthread_mutex_lock(&z->lock);
	j->state = JOB_QUEUED;
	pthread_cond_signal(&z->work);
	pthread_mutex_unlock(&z->lock);
	z->filling = 0;
	z->next_fill++;
}

struct pgzip *pgzip_open(int fd, const char *name, const struct pgzip_opts *o, struct err *e)
{
	struct pgzip *z = xcalloc(1, sizeof *z);
	z->fd = fd;
	z->name = xstrdup(name ? name : "(gzip output)");
	z->level = o && o->level >= 1 && o->level <= 9 ? o->level : 6;
	z->block = o && o->block ? o->block : PGZIP_BLOCK_DEFAULT;
	if (z->block < DICT_SIZE)
		z->block = DICT_SIZE;
	z->n_threads = o && o->threads > 0 ? o->threads : cpus_usable();
	if (z->n_threads < 1)
		z->n_threads = 1;
	if (z->n_threads > MAX_THREADS)
		z->n_threads = MAX_THREADS;
	pthread_mutex_init(&z->lock, NULL);
	pthread_cond_init(&z->work, NULL);
	pthread_cond_init(&z->done, NULL);

	z->streams = xcalloc((size_t)z->n_threads, sizeof *z->streams);
	for (int i = 0; i < z->n_threads; i++) {
		/* Raw deflate (negative window bits): the gzip framing is ours. */
		if (deflateInit2(&z->streams[i], z->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
			for (int k = 0; k < i; k++)
				deflateEnd(&z->streams[k]);
			free(z->streams);
			z->streams = NULL;
			err_set(e, "cannot start compressing %s: zlib could not allocate its state", z->name);
			pgzip_free(z);
			return NULL;
		}
	}
	size_t out_alloc = deflateBound(&z->streams[0], (uLong)z->block) + 64;
	z->n_slots = 2 * (size_t)z->n_threads + 1;
	z->slots = xcalloc(z->n_slots, sizeof *z->slots);
	for (size_t i = 0; i < z->n_slots; i++) {
		z->slots[i].in = xmalloc(z->block);
		z->slots[i].dict = xmalloc(DICT_SIZE);
		z->slots[i].out = xmalloc(out_alloc);
		z->slots[i].out_alloc = out_alloc;
	}
	z->tail = xmalloc(DICT_SIZE);
	z->crc = (uint32_t)crc32(0L, Z_NULL, 0);

	z->threads = xcalloc((size_t)z->n_threads, sizeof *z->threads);
	for (int i = 0; i < z->n_threads; i++) {
		int rc = pthread_create(&z->threads[i], NULL, worker, z);
		if (rc) {
			err_errno(e, rc, "cannot start a compression thread for %s", z->name);
			pgzip_free(z);
			return NULL;
		}
		z->n_started++;
	}
	return z;
}

int pgzip_write(struct pgzip *z, const void *buf, size_t len, struct err *e)
{
	const unsigned char *p = buf;
	if (failed_before(z, e))
		return -1;
	while (len) {
		struct job *j = fill_job(z, e);
		if (!j)
			return -1;
		if (j->in_len == z->block) {
			/* Full and more input follows, so it is not the last. */
			submit(z, j, 0);
			if (write_ready(z, 0, e) < 0)
				return -1;
			continue;
		}
		size_t n = z->block - j->in_len;
		if (n > len)
			n = len;
		memcpy(j->in + j->in_len, p, n);
		j->in_len += n;
		p += n;
		len -= n;
		z->bytes_in += n;
	}
	return 0;
}

int pgzip_finish(struct pgzip *z, struct err *e)
{
	if (failed_before(z, e))
		return -1;
	if (z->finished)
		return 0;
	struct job *j = fill_job(z, e); /* an empty last block for empty input */
	if (!j)
		return -1;
	submit(z, j, 1);
	if (write_ready(z, z->next_fill, e) < 0)
		return -1;
	unsigned char t[8];
	put_le32(t, z->crc);
	put_le32(t + 4, (uint32_t)z->bytes_in); /* ISIZE: the length modulo 2^32 */
	if (write_all(z, t, sizeof t, e) < 0)
		return -1;
	z->finished = 1;
	return 0;
}

void pgzip_free(struct pgzip *z)
{
	if (!z)
		return;
	pthread_mutex_lock(&z->lock);
	z->stop = 1;
	pthread_cond_broadcast(&z->work);
	pthread_mutex_unlock(&z->lock);
	for (int i = 0; i < z->n_started; i++)
		pthread_join(z->threads[i], NULL);
	if (z->streams)
		for (int i = 0; i < z->n_threads; i++)
			deflateEnd(&z->streams[i]);
	for (size_t i = 0; i < z->n_slots; i++) {
		free(z->slots[i].in);
		free(z->slots[i].dict);
		free(z->slots[i].out);
	}
	free(z->slots);
	free(z->streams);
	free(z->threads);
	free(z->tail);
	free(z->failure);
	free(z->name);
	pthread_cond_destroy(&z->work);
	pthread_cond_destroy(&z->done);
	pthread_mutex_destroy(&z->lock);
	free(z);
}

uint64_t pgzip_bytes_in(const struct pgzip *z)
{
	return z->bytes_in;
}

uint64_t pgzip_bytes_out(const struct pgzip *z)
{
	return z->bytes_out;
}
