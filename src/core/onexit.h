/*
 * onexit: one list of cleanups for the ways the process ends without
 * unwinding: out of memory (xmalloc), abort(), a signal whose default ends
 * the process.  Run newest first, as pg_dump's on_exit_nicely(): the front
 * end registers what must be undone before the process dies (the terminal:
 * endwin(); fd 2 put back) and removes it again once it undid it the normal
 * way.
 *
 * Entries are caller-owned nodes, so nothing is allocated (the list runs
 * when memory is out).  Push and remove from the thread that owns the
 * resources; the list is run at most once, by whichever thread or signal
 * handler gets there first, and only in the process that pushed (not in a
 * child forked before its exec).  A cleanup must be safe there: no
 * allocation, no lock a dying thread may hold.
 */
#ifndef BR_ONEXIT_H
#define BR_ONEXIT_H

struct onexit {
	void (*fn)(void *arg);
	void *arg;
	struct onexit *older;   /* private: the list's next entry */
	int linked;             /* private */
};
/* A node that is not linked (a zeroed one is too). */
#define ONEXIT_INIT { NULL, NULL, NULL, 0 }

/* Register @fn(@arg) in the caller-owned @node, which must live until
 * onexit_remove().  Pushing a node that is linked already does nothing. */
void onexit_push(struct onexit *node, void (*fn)(void *arg), void *arg);
/* Unlink @node (the cleanup was done the normal way).  A node that is not
 * linked (never pushed, removed, or zeroed) is fine. */
void onexit_remove(struct onexit *node);
/* Run every registered cleanup, newest first, once per process; later
 * calls return at once.  For the paths that end the process. */
void onexit_run(void);
/* Catch the signals whose default action ends the process (SIGHUP, SIGINT,
 * SIGQUIT, SIGTERM, SIGABRT, SIGSEGV, ...): run the list, then let the
 * signal take its course with the action it had before (default, or a
 * sanitizer's handler), so the process still dies of it.  Signals that are
 * ignored (nohup) stay ignored; a handler installed later (line mode's
 * SIGINT) replaces this one for its signal. */
void onexit_catch_signals(void);

#endif
