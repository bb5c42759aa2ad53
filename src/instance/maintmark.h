/*
 * maintmark: the marker that says biso-recover switched an instance's
 * maintenance mode on, so that maintenance never stays on because of us.
 *
 * The backup writes <log_dir>/maintenance-on (mode 0600) before it runs
 * `biso-cli maintenance on` and removes it once `maintenance off` ran.  A
 * backup that ends in any other way switches maintenance off on its way
 * out (the step's cleanup); only a kill -9, a power cut or the OOM killer
 * leave the marker behind.  Every later biso-recover command that loads
 * the configuration calls maintmark_recover() first: when the process
 * that wrote the marker is gone, it says so, switches maintenance off in
 * the webroot the marker names, and removes the marker.
 *
 * The file is three lines:
 *     pid=PID start=EPOCH host=HOST     (as lock.h writes its holder)
 *     webroot=/var/www/biso
 *     run=YYYYMMDD_HHMMSS               (the run that switched it on)
 */
#ifndef BR_MAINTMARK_H
#define BR_MAINTMARK_H

struct conf;
struct err;
struct report;

/* <log_dir>/maintenance-on (malloc'd); NULL when no log_dir is set. */
char *maintmark_path(const struct conf *c);

/* Write the marker for @webroot and the run @stamp, as this process
 * (write to a temporary name, fsync, rename).  0, or -1 with @e naming the
 * file: the caller then does not switch maintenance on. */
int maintmark_set(const struct conf *c, const char *webroot, const char *stamp,
		  struct err *e);

/* Remove the marker (a missing one is fine). */
void maintmark_clear(const struct conf *c);

/*
 * Look for a marker left by a process that is gone; when there is one,
 * log a warning through @r ("an earlier biso-recover run (run STAMP, pid
 * N) ended while maintenance mode was on in WEBROOT: switching it off"),
 * run `biso-cli maintenance off` in its webroot (as bisocli_run() does) and
 * remove the marker.  A marker of a live process (a backup running now)
 * is left alone, and so is one this user may not read.  Returns 0 when
 * there was nothing to do, 1 when
 * maintenance was switched off, -1 with @e set when the marker cannot be
 * read or biso-cli failed (the marker stays: the next command tries
 * again).  With @look_only (a dry run) it only says so: nothing is run,
 * the marker stays.
 */
int maintmark_recover(const struct conf *c, int look_only, struct report *r, struct err *e);

#endif
