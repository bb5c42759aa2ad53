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
 * Exit: 0 done, 1 restore failed (error on stderr), 2 usage. */
#include "config.h"
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
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
