/* files-driver: run fsrestore_run() from the command line for the
 * integration tests.
 *   files-driver [--exclude P]... [--merge] [--dry-run] [--carry REL]
 *                [--stamp S] [--no-verify] [--checksum] [--in-place]
 *                [--confirm] [--xattrs] [--acls] [--rsh CMD] [--progress]
 *                [--threads N] [--snapshot [--link-dest DIR]] SOURCE TARGET
 * --progress prints each progress report to stderr as
 * "PROGRESS phase done/total".  --threads N sets fsrestore_opts.threads (the
 * directory copier's; default 0: all CPUs); --snapshot copies into the new
 * TARGET as the backup does (FSRESTORE_SNAPSHOT), --link-dest linking
 * unchanged files to the earlier snapshot DIR.
 * Built with the fault points of the test build (src/core/fault.h):
 * FILES_DRIVER_HOLD=S holds the first extraction worker to take a file
 * (point files.xpool.write) until the walk reaches the barrier for a path
 * still in flight (files.xpool.in-flight), at most S seconds, and says on
 * stderr whether the walk got there while the file was held ("HOLD: ...").
 * Exit: 0 done, 1 restore failed (error on stderr), 2 usage. */
#include "config.h"
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "fault.h"
#include "fsrestore.h"
#include "report.h"
#include "strbuf.h"

static void log_line(void *ctx, enum log_level level, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s: %s\n", log_level_name(level), line);
}

static void show_progress(void *ctx, const struct progress *p)
{
	(void)ctx;
	fprintf(stderr, "PROGRESS %s %llu/%llu\n", p->phase, (unsigned long long)p->done_bytes,
		(unsigned long long)p->total_bytes);
}

/* Cancel once FILES_DRIVER_CANCEL_AFTER cancel checks have been made. */
static int cancel_after(void *ctx)
{
	static long n;
	const char *lim = getenv("FILES_DRIVER_CANCEL_AFTER");
	(void)ctx;
	return lim && ++n > atol(lim);
}

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int held, released;
	long secs;
} hold = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0 };

/* Wait on hold.cv (hold.mu locked) until *@flag is set or @secs have
 * passed; returns *@flag. */
static int hold_wait(const int *flag, long secs)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += secs;
	while (!*flag && pthread_cond_timedwait(&hold.cv, &hold.mu, &until) != ETIMEDOUT)
		;
	return *flag;
}

/* The fault hook of FILES_DRIVER_HOLD.  The first worker to take a file
 * waits until the walk reaches the barrier for a path in flight, then a
 * little more, so that a walk that does not wait there would queue on
 * meanwhile; the walk at that barrier waits until a worker is held (the
 * workers may start after it queued). */
static void hold_hook(const char *name, void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&hold.mu);
	if (!strcmp(name, "files.xpool.write") && !hold.held) {
		hold.held = 1;
		pthread_cond_broadcast(&hold.cv);
		if (!hold_wait(&hold.released, hold.secs)) {
			fprintf(stderr, "HOLD: the walk never waited for the held file (released after %ld s)\n",
				hold.secs);
			hold.released = 1;
		} else {
			pthread_mutex_unlock(&hold.mu);
			nanosleep(&(struct timespec){ 0, 300 * 1000 * 1000 }, NULL);
			return;
		}
	} else if (!strcmp(name, "files.xpool.in-flight") && !hold.released) {
		if (hold_wait(&hold.held, hold.secs))
			fprintf(stderr, "HOLD: the walk waits at the barrier for a path in flight while a worker "
					"holds its file unwritten\n");
		else
			fprintf(stderr, "HOLD: no worker took a file in %ld s\n", hold.secs);
		hold.released = 1;
		pthread_cond_broadcast(&hold.cv);
	}
	pthread_mutex_unlock(&hold.mu);
}

int main(int argc, char **argv)
{
	const char **ex = calloc((size_t)argc + 1, sizeof *ex);
	int nex = 0, i;
	struct fsrestore_opts o;
	struct fsrestore_result res;
	struct report r;
	struct err e = ERR_INIT;
	/* as biso-recover does: libarchive converts member names to the locale */
	setlocale(LC_ALL, "");
	memset(&o, 0, sizeof o);
	memset(&r, 0, sizeof r);
	r.log = log_line;
	r.cancelled = cancel_after;
	o.mode = FSRESTORE_REPLACE;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (!strcmp(argv[i], "--exclude") && i + 1 < argc)
			ex[nex++] = argv[++i];
		else if (!strcmp(argv[i], "--merge"))
			o.mode = FSRESTORE_MERGE;
		else if (!strcmp(argv[i], "--dry-run"))
			o.dry_run = 1;
		else if (!strcmp(argv[i], "--no-verify"))
			o.no_verify = 1;
		else if (!strcmp(argv[i], "--carry") && i + 1 < argc)
			o.carry = argv[++i];
		else if (!strcmp(argv[i], "--stamp") && i + 1 < argc)
			o.stamp = argv[++i];
		else if (!strcmp(argv[i], "--checksum"))
			o.checksum = 1;
		else if (!strcmp(argv[i], "--in-place"))
			o.mode = FSRESTORE_INPLACE;
		else if (!strcmp(argv[i], "--confirm"))
			o.confirm_inplace = 1;
		else if (!strcmp(argv[i], "--xattrs"))
			o.xattrs = 1;
		else if (!strcmp(argv[i], "--acls"))
			o.acls = 1;
		else if (!strcmp(argv[i], "--rsh") && i + 1 < argc)
			o.rsh = argv[++i];
		else if (!strcmp(argv[i], "--progress"))
			r.progress = show_progress;
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			o.threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--snapshot"))
			o.mode = FSRESTORE_SNAPSHOT;
		else if (!strcmp(argv[i], "--link-dest") && i + 1 < argc)
			o.link_dest = argv[++i];
		else {
			fprintf(stderr, "usage: files-driver [--exclude P]... [--merge] [--dry-run] [--carry REL] [--stamp S] [--no-verify] [--checksum] [--in-place] [--confirm] [--xattrs] [--acls] [--rsh CMD] [--progress] [--threads N] [--snapshot [--link-dest DIR]] SOURCE TARGET\n");
			return 2;
		}
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: files-driver [options] SOURCE TARGET\n");
		return 2;
	}
	if (getenv("FILES_DRIVER_HOLD")) {
		hold.secs = atol(getenv("FILES_DRIVER_HOLD"));
		fault_set_hook(hold_hook, NULL);
	}
	o.source = argv[i];
	o.target = argv[i + 1];
	o.excludes = nex ? ex : NULL;
	if (fsrestore_run(&o, &r, &res, &e) < 0) {
		struct strbuf sb = STRBUF_INIT;
		err_format(&e, &sb);
		fprintf(stderr, "ERROR: %s\n", sb.buf);
		strbuf_release(&sb);
		err_clear(&e);
		free(ex);
		return 1;
	}
	printf("files=%llu dirs=%llu symlinks=%llu bytes=%llu skipped=%llu excluded=%llu warnings=%llu linked=%llu kept=%s\n",
	       (unsigned long long)res.files, (unsigned long long)res.dirs,
	       (unsigned long long)res.symlinks, (unsigned long long)res.bytes,
	       (unsigned long long)res.skipped, (unsigned long long)res.excluded,
	       (unsigned long long)res.warnings, (unsigned long long)res.linked,
	       res.kept_as ? res.kept_as : "-");
	fsrestore_result_release(&res);
	free(ex);
	return 0;
}
