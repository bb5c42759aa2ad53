/*
 * fault: named points at which a test build stops the process with SIGKILL,
 * so that tests can prove what a kill -9 (power cut, OOM killer) leaves
 * behind at every dangerous moment: before and after each rename of a
 * swap, inside each step's copy, replay, chown, migration and verification.
 *
 * In the library and the installed biso-recover these functions do
 * nothing.  The test build tests/integration/biso-recover-faults links
 * src/fault.c compiled with -DBR_FAULT_POINTS ahead of the library; only
 * there two environment variables are read:
 *
 *   BR_FAULT_RECORD=FILE   append the name of every point reached to FILE,
 *                          once per name (the list of points is found by
 *                          running, so a new fault_point() call is listed
 *                          by the code that adds it)
 *   BR_FAULT_KILL=NAME     raise SIGKILL at the first time point NAME is
 *                          reached; NAME@N at the N-th time
 *   BR_FAULT_TERM=NAME     raise SIGTERM there instead (once): a shutdown
 *                          or kill at that moment, which the process
 *                          handles (e.g. "run.preflight": the runner stopped
 *                          during its preflight)
 *   BR_FAULT_FAIL=NAME,... fault_fail(NAME) is 1: the call it guards fails
 *                          as it does on some systems ("swap.exchange":
 *                          renameat2(RENAME_EXCHANGE) reports EINVAL, as
 *                          on a filesystem that cannot exchange names;
 *                          "sha256sums.open.<path>": that file of the
 *                          checksum list cannot be opened, EACCES)
 *
 * Names are dotted: "<area>.<object>.<moment>", e.g.
 * "swap.webroot.exchanged".  The functions are thread-safe (the replay
 * runs several connections in threads).
 */
#ifndef BR_FAULT_H
#define BR_FAULT_H

/* Reached point @name: nothing, or (test build) record it / SIGKILL /
 * SIGTERM. */
void fault_point(const char *name);
/* fault_point() with a printf-style name (formatted only in test builds). */
void fault_pointf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 1 when (test build) BR_FAULT_FAIL lists @name: the caller then fails the
 * call it guards as named there; else 0. */
int fault_fail(const char *name);
/* fault_fail() with a printf-style name (formatted only in test builds),
 * e.g. one naming a file: "sha256sums.open.data/20261206_020000/a". */
int fault_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Test build: @fn(@name, @ctx) is called at every fault point and every
 * fault_fail() check from then on (NULL: none), on the thread that reaches
 * it, before the point acts: a unit test changes a file at that moment
 * (between a stat and the open that follows).  Elsewhere nothing. */
void fault_set_hook(void (*fn)(const char *name, void *ctx), void *ctx);

#endif
