/*
 * replay_spool: the data of a --jobs COPY, spooled to an unlinked temporary
 * file and fed to its connection by a thread (see replay_int.h).
 *
 * The dump is read once, in order.  Without a spool the main loop can only
 * go on to the next table's COPY when the server has taken almost all of
 * this one's data, since a connection's socket buffer is small: one backend
 * parses COPY data at a time.  With it, the main loop writes a table's data
 * to the spool as fast as it reads, a thread sends it from there, and the
 * next COPY starts on another connection at once.  Memory stays bounded (the
 * data waits in the page cache or on disk, not in our heap); the backlog is
 * capped (SPOOL_CAP, or an eighth of the free space), beyond which the main
 * loop waits for the thread, as it waited for the socket before.
 */
#include "config.h"
#include "replay_int.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define SPOOL_CAP ((uint64_t)256 << 20)
#define SPOOL_BLOCK (256 * 1024)

struct replay_spool {
	PGconn *conn;
	int fd;
	uint64_t cap;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t more;  /* written grew, or the end */
	pthread_cond_t space; /* fed grew, or the thread ended */
	uint64_t written, fed;
	int eof, done, failed;
	char *endmsg;         /* PQputCopyEnd's error message, NULL: complete */
	struct copy_sink sink;
};

/* No more data: the COPY ends, with @msg (owned, NULL: complete) as its
 * error unless an earlier one was set. */
static void spool_stop(struct replay_spool *sp, char *msg)
{
	pthread_mutex_lock(&sp->mu);
	if (msg && !sp->endmsg)
		sp->endmsg = msg;
	else
		free(msg);
	sp->eof = 1;
	pthread_cond_signal(&sp->more);
	pthread_mutex_unlock(&sp->mu);
}

static void *feeder(void *arg)
{
	struct replay_spool *sp = arg;
	char *buf = xmalloc(SPOOL_BLOCK);
	int failed = 0;
	for (;;) {
		uint64_t at, n;
		ssize_t got;
		pthread_mutex_lock(&sp->mu);
		while (sp->fed == sp->written && !sp->eof)
			pthread_cond_wait(&sp->more, &sp->mu);
		if (sp->fed == sp->written || (sp->eof && sp->endmsg)) {
			/* complete, or ended with an error: no need to send the rest */
			pthread_mutex_unlock(&sp->mu);
			break;
		}
		at = sp->fed;
		n = sp->written - at;
		pthread_mutex_unlock(&sp->mu);
		if (n > SPOOL_BLOCK)
			n = SPOOL_BLOCK;
		do
			got = pread(sp->fd, buf, (size_t)n, (off_t)at);
		while (got < 0 && errno == EINTR);
		if (got <= 0) {
			spool_stop(sp, xstrfmt("cannot read the COPY spool file: %s",
					       got < 0 ? strerror(errno) : "short read"));
			break;
		}
		if (!failed && PQputCopyData(sp->conn, buf, (int)got) != 1)
			failed = 1; /* connection lost: the result will tell */
		pthread_mutex_lock(&sp->mu);
		sp->fed += (uint64_t)got;
		pthread_cond_signal(&sp->space);
		pthread_mutex_unlock(&sp->mu);
	}
	if (!failed)
		PQputCopyEnd(sp->conn, sp->endmsg);
	free(buf);
	pthread_mutex_lock(&sp->mu);
	sp->failed = failed;
	sp->done = 1;
	pthread_cond_broadcast(&sp->space);
	pthread_mutex_unlock(&sp->mu);
	return NULL;
}

static int spool_put(void *ctx, const char *buf, size_t len)
{
	struct replay_spool *sp = ctx;
	uint64_t at;
	size_t off = 0;
	pthread_mutex_lock(&sp->mu);
	while (sp->written - sp->fed > sp->cap && !sp->done)
		pthread_cond_wait(&sp->space, &sp->mu);
	at = sp->written;
	if (sp->done || sp->eof) {
		pthread_mutex_unlock(&sp->mu);
		return 0;
	}
	pthread_mutex_unlock(&sp->mu);
	while (off < len) {
		ssize_t n = pwrite(sp->fd, buf + off, len - off, (off_t)(at + off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			spool_stop(sp, xstrfmt("cannot write the COPY spool file: %s",
					       n < 0 ? strerror(errno) : "no space"));
			return 0;
		}
		off += (size_t)n;
	}
	pthread_mutex_lock(&sp->mu);
	sp->written += len;
	pthread_cond_signal(&sp->more);
	pthread_mutex_unlock(&sp->mu);
	return 1;
}

static void spool_end(void *ctx, const char *errmsg)
{
	spool_stop(ctx, errmsg ? xstrdup(errmsg) : NULL);
}

static int spool_open(void)
{
	const char *dir = getenv("TMPDIR");
	struct strbuf path = STRBUF_INIT;
	int fd;
	if (!dir || !*dir)
		dir = "/var/tmp"; /* on disk by convention, unlike a tmpfs /tmp */
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
#endif
	strbuf_addf(&path, "%s/biso-recover-copy.XXXXXX", dir);
	fd = mkostemp(path.buf, O_CLOEXEC);
	if (fd >= 0)
		unlink(path.buf);
	strbuf_release(&path);
	return fd;
}

struct replay_spool *replay_spool_start(PGconn *conn)
{
	struct replay_spool *sp;
	struct statvfs vfs;
	int fd = spool_open();
	if (fd < 0)
		return NULL;
	sp = xcalloc(1, sizeof(*sp));
	sp->conn = conn;
	sp->fd = fd;
	sp->cap = SPOOL_CAP;
	if (fstatvfs(fd, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize / 8 < sp->cap)
		sp->cap = (uint64_t)vfs.f_bavail * vfs.f_frsize / 8;
	pthread_mutex_init(&sp->mu, NULL);
	pthread_cond_init(&sp->more, NULL);
	pthread_cond_init(&sp->space, NULL);
	sp->sink.put = spool_put;
	sp->sink.end = spool_end;
	sp->sink.ctx = sp;
	if (pthread_create(&sp->thread, NULL, feeder, sp) != 0) {
		pthread_mutex_destroy(&sp->mu);
		pthread_cond_destroy(&sp->more);
		pthread_cond_destroy(&sp->space);
		close(fd);
		free(sp);
		return NULL;
	}
	return sp;
}

const struct copy_sink *replay_spool_sink(struct replay_spool *sp)
{
	return &sp->sink;
}

int replay_spool_done(struct replay_spool *sp)
{
	int done;
	pthread_mutex_lock(&sp->mu);
	done = sp->done;
	pthread_mutex_unlock(&sp->mu);
	return done;
}

void replay_spool_cancel(struct replay_spool *sp, const char *msg)
{
	spool_end(sp, msg);
}

int replay_spool_finish(struct replay_spool *sp)
{
	int failed;
	if (!sp)
		return 0;
	/* the caller gave up before the end of the data: the COPY must fail
	 * (a no-op when the data was ended already) */
	spool_end(sp, "the replay stopped inside this COPY's data");
	pthread_join(sp->thread, NULL);
	failed = sp->failed;
	pthread_mutex_destroy(&sp->mu);
	pthread_cond_destroy(&sp->more);
	pthread_cond_destroy(&sp->space);
	close(sp->fd);
	free(sp->endmsg);
	free(sp);
	return failed ? -1 : 0;
}
