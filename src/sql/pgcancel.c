/* pgcancel: running statements cancelled on the server when the work is to
 * stop; see pgcancel.h. */
#include "config.h"
#include "pgcancel.h"
#include "report.h"
#include "strbuf.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define WATCH_MS 50   /* how often report_cancelled() is asked */
#define REPEAT_MS 500 /* how often the requests are sent again once fired */

struct pgcancel_conn {
	PGconn *conn;
	PGcancel *cancel;
};

struct pgcancel {
	struct report *r;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	struct pgcancel_conn *c;
	size_t n, alloc;
	int quit;  /* under mu: pgcancel_end() was called */
	int fired; /* under mu */
};

/* Send a cancel request for every connection; called with mu held. */
static void send_all(struct pgcancel *pc)
{
	char buf[256];
	for (size_t i = 0; i < pc->n; i++)
		if (pc->c[i].cancel)
			/* a failure here (the server gone) shows on the
			 * connection itself */
			PQcancel(pc->c[i].cancel, buf, sizeof(buf));
}

static void deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_nsec += (long)ms * 1000000;
	while (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static void *watch(void *arg)
{
	struct pgcancel *pc = arg;
	struct timespec ts;
	pthread_mutex_lock(&pc->mu);
	while (!pc->quit) {
		int stop;
		deadline(&ts, pc->fired ? REPEAT_MS : WATCH_MS);
		while (!pc->quit && pthread_cond_timedwait(&pc->cv, &pc->mu, &ts) != ETIMEDOUT)
			;
		if (pc->quit)
			break;
		if (pc->fired) {
			send_all(pc);
			continue;
		}
		/* the front end's cancelled() may take its own lock: not
		 * under ours, so that add/remove never wait for it */
		pthread_mutex_unlock(&pc->mu);
		stop = report_cancelled(pc->r);
		pthread_mutex_lock(&pc->mu);
		if (stop && !pc->quit) {
			pc->fired = 1;
			send_all(pc);
		}
	}
	pthread_mutex_unlock(&pc->mu);
	return NULL;
}

struct pgcancel *pgcancel_start(struct report *r)
{
	struct pgcancel *pc;
	pthread_condattr_t ca;
	if (!r || !r->cancelled)
		return NULL;
	pc = xcalloc(1, sizeof(*pc));
	pc->r = r;
	pthread_mutex_init(&pc->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pc->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&pc->thread, NULL, watch, pc) != 0) {
		pthread_cond_destroy(&pc->cv);
		pthread_mutex_destroy(&pc->mu);
		free(pc);
		return NULL;
	}
	return pc;
}

void pgcancel_add(struct pgcancel *pc, PGconn *conn)
{
	PGcancel *c;
	char buf[256];
	if (!pc || !conn || !(c = PQgetCancel(conn)))
		return;
	pthread_mutex_lock(&pc->mu);
	if (pc->n == pc->alloc) {
		pc->alloc = pc->alloc ? 2 * pc->alloc : 8;
		pc->c = xrealloc(pc->c, pc->alloc * sizeof(*pc->c));
	}
	pc->c[pc->n].conn = conn;
	pc->c[pc->n].cancel = c;
	pc->n++;
	if (pc->fired)
		PQcancel(c, buf, sizeof(buf));
	pthread_mutex_unlock(&pc->mu);
}

void pgcancel_remove(struct pgcancel *pc, PGconn *conn)
{
	if (!pc || !conn)
		return;
	pthread_mutex_lock(&pc->mu);
	for (size_t i = 0; i < pc->n; i++)
		if (pc->c[i].conn == conn) {
			PQfreeCancel(pc->c[i].cancel);
			pc->c[i] = pc->c[--pc->n];
			break;
		}
	pthread_mutex_unlock(&pc->mu);
}

int pgcancel_fired(struct pgcancel *pc)
{
	int fired;
	if (!pc)
		return 0;
	pthread_mutex_lock(&pc->mu);
	fired = pc->fired;
	pthread_mutex_unlock(&pc->mu);
	return fired;
}

void pgcancel_end(struct pgcancel *pc)
{
	if (!pc)
		return;
	pthread_mutex_lock(&pc->mu);
	pc->quit = 1;
	pthread_cond_signal(&pc->cv);
	pthread_mutex_unlock(&pc->mu);
	pthread_join(pc->thread, NULL);
	for (size_t i = 0; i < pc->n; i++)
		PQfreeCancel(pc->c[i].cancel);
	free(pc->c);
	pthread_cond_destroy(&pc->cv);
	pthread_mutex_destroy(&pc->mu);
	free(pc);
}
