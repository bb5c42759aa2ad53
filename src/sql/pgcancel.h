/*
 * pgcancel: the statements running on a set of libpq connections,
 * cancelled on the server as soon as the work is to stop.
 *
 * The replay asks report_cancelled() between statements and COPY chunks;
 * a statement that runs for minutes (an index build) would keep a stop
 * waiting for its end.  A pgcancel watches report_cancelled() from a
 * thread of its own (every 50 ms) and, once it is non-zero, sends a cancel
 * request (PQcancel) for every connection added to it, and again every
 * 500 ms while the work winds down (a statement sent just after the first
 * request, when the server had nothing to cancel, is cancelled by the
 * next).  The server then ends the statement with SQLSTATE 57014
 * ("canceling statement due to user request"); what it had done is rolled
 * back as for any failed statement.
 *
 * Thread safety: pgcancel_add() and pgcancel_remove() must be called by
 * the thread that uses the connection (PQgetCancel() reads its state);
 * the requests are sent from the watching thread with PQcancel(), which
 * libpq makes safe for that.  Remove a connection before PQfinish().
 */
#ifndef BR_PGCANCEL_H
#define BR_PGCANCEL_H

#include <libpq-fe.h>

struct report;
struct pgcancel;

/* Start watching @r (borrowed; it must outlive the pgcancel).  Returns
 * NULL when there is nothing to watch (@r or its cancelled() is NULL) or
 * no thread can be had: then a stop waits for the running statement, as
 * before.  Every function below takes NULL and then does nothing. */
struct pgcancel *pgcancel_start(struct report *r);
/* Cancel @conn's running statement when the work is to stop (also at
 * once when it already is).  @conn stays the caller's. */
void pgcancel_add(struct pgcancel *pc, PGconn *conn);
/* Stop watching @conn (not added: nothing). */
void pgcancel_remove(struct pgcancel *pc, PGconn *conn);
/* 1 once cancel requests were sent (the work is to stop), else 0. */
int pgcancel_fired(struct pgcancel *pc);
/* Stop the thread and free @pc; the connections stay the caller's. */
void pgcancel_end(struct pgcancel *pc);

#endif
