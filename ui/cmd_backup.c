/*
 * `biso-recover backup-verify [BACKUP]`: is a backup whole?  Tier 1
 * (backupverify.h): the manifest, every checksum of its SHA256SUMS, each
 * dump's gzip stream and "dump complete" trailer.  No server is needed and
 * nothing but the manifest's "verified" line is written.
 */
#include "config.h"
#include "backupset.h"
#include "backupverify.h"
#include "cli.h"
#include "frontend.h"
#include "manifest.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* backup-verify's exit codes: 0 whole, 1 damaged, 2 could not check */
enum { VERIFY_EXIT_DAMAGED = 1, VERIFY_EXIT_UNCHECKED = 2 };

static int cmd_backup_verify(const struct cli *cl, struct conf *c)
{
	struct err e = ERR_INIT;
	struct report r;
	struct batch_state bst;
	struct backupverify_result res;
	struct strbuf sb = STRBUF_INIT;
	const char *root = c->backup_root;
	char *id = NULL;
	int rc, code;

	if (cl->n_args > 1)
		return cli_usage_error("unexpected argument '%s'", cl->args[1]);
	if (!root || !*root)
		return cli_usage_error("%s", "no backup root: give --backup-root DIR or set backup_root in the configuration");
	if (cl->n_args) {
		time_t when;
		size_t len;
		if (!backupset_parse_stamp(cl->args[0], 0, &when, &len) || cl->args[0][len])
			return cli_usage_error("BACKUP is a backup's id YYYYMMDD_HHMMSS, not '%s'", cl->args[0]);
		id = xstrdup(cl->args[0]);
	} else {
		rc = backupverify_newest(root, &id, &e);
		if (rc <= 0) {
			if (rc == 0)
				err_set(&e, "no backup with a manifest in %s/manifest", root);
			cli_print_err("could not check", &e);
			err_clear(&e);
			return VERIFY_EXIT_UNCHECKED;
		}
	}

	batch_report_init(&r, &bst, NULL);
	batch_install_signals();
	printf("backup %s in %s\n", id, root);
	fflush(stdout);
	rc = backupverify_tier1(root, id, &res, &r, &e);
	if (rc < 0) {
		cli_print_err("could not check", &e);
		err_clear(&e);
		backupverify_release(&res);
		free(id);
		return batch_interrupted() ? EXIT_ABORTED : VERIFY_EXIT_UNCHECKED;
	}
	for (size_t i = 0; i < res.sums.n_bad; i++) {
		/* one line a problem, the file first, for grep and the cron mail */
		strbuf_reset(&sb);
		strbuf_add(&sb, res.sums.bad[i].why, strcspn(res.sums.bad[i].why, "\n"));
		printf("DAMAGED %s: %s\n", res.sums.bad[i].path, sb.buf);
	}
	strbuf_reset(&sb);
	strbuf_addcount(&sb, res.sums.checked, "file", "files");
	strbuf_addstr(&sb, " (");
	strbuf_humanise_bytes(&sb, res.sums.bytes);
	strbuf_addstr(&sb, ") checked, ");
	strbuf_addcount(&sb, res.dumps, "whole dump", "whole dumps");
	if (rc == 0) {
		printf("ok: %s: every checksum matches, each dump inflates to its \"dump complete\" trailer\n",
		       sb.buf);
		code = EXIT_DONE;
	} else {
		struct strbuf n = STRBUF_INIT;
		strbuf_addcount(&n, res.damaged_files, "damaged file", "damaged files");
		printf("backup %s is DAMAGED: %s (%s)\n", id, n.buf, sb.buf);
		strbuf_release(&n);
		code = VERIFY_EXIT_DAMAGED;
	}
	if (backupverify_record(root, id, time(NULL), "checksums", rc == 0 ? "ok" : "damaged", &e) < 0) {
		/* the verdict stands; only its note in the manifest is missing */
		cli_print_err("warning: the result was not recorded in the manifest", &e);
		err_clear(&e);
	}
	strbuf_release(&sb);
	backupverify_release(&res);
	free(id);
	return code;
}

const struct command command_backup_verify = {
	"backup-verify",
"biso-recover backup-verify [OPTIONS] [BACKUP]\n"
"                    (is a backup whole? checksums, dumps)\n",
"Usage: biso-recover backup-verify [OPTIONS] [BACKUP]\n"
"\n"
"Checks that the backup BACKUP (its id YYYYMMDD_HHMMSS; default the newest\n"
"one with a manifest) under the backup root is whole, without a server:\n"
"its manifest (manifest/BACKUP/MANIFEST) reads, every file listed in\n"
"manifest/BACKUP/SHA256SUMS matches its checksum, each part has the files\n"
"the manifest counts, and each database dump inflates to its end (gzip\n"
"stream and CRC) and ends with pg_dump's \"dump complete\" trailer.  The\n"
"result is recorded in the manifest's \"verified\" line.  By hand:\n"
"  cd BACKUP_ROOT && sha256sum -c manifest/BACKUP/SHA256SUMS\n"
"\n"
"  --backup-root DIR      the backup root (default: backup_root of the\n"
"                         configuration)\n"
"  --config FILE          configuration file (default /etc/biso-recover.conf)\n"
"\n"
"Each damaged file is named on a line \"DAMAGED PATH: WHY\" (PATH relative\n"
"to the backup root).\n"
"\n"
"Exit codes: 0 the backup is whole; 1 damaged (each file named); 2 could not\n"
"check (no backup, no or unreadable manifest or checksum list, usage);\n"
"130 aborted.\n",
	1, cmd_backup_verify
};
