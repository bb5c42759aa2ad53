/*
 * The backup commands: `biso-recover backup` (the backup flow, backup.h,
 * in line mode) and `biso-recover backup-verify [BACKUP]`: is a backup
 * whole?  Tier 1 (backupverify.h): the manifest, every checksum of its
 * SHA256SUMS, each dump's gzip stream and "dump complete" trailer.  No
 * server is needed and nothing but the manifest's "verified" line is
 * written.
 */
#include "config.h"
#include "backup.h"
#include "backuplist.h"
#include "backupprune.h"
#include "backuptest.h"
#include "backupset.h"
#include "backupverify.h"
#include "cli.h"
#include "detached.h"
#include "frontend.h"
#include "fsrestore.h"
#include "i18n.h"
#include "lock.h"
#include "logfile.h"
#include "retention.h"
#include "manifest.h"
#include "run.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

/* The one line a cron mail or the journal is searched for, after a
 * backup that did not complete. */
static void backup_ended(int code, const char *log_path)
{
	if (code != EXIT_DONE && code != EXIT_USAGE)
		fprintf(stderr, _("biso-recover: backup FAILED (exit %d); see %s\n"), code,
			log_path ? log_path : _("the log"));
}

static int backup_options(const struct cli *cl, struct run_opts *ro)
{
	ro->only = cl->only;
	return 0;
}

/* The steps replace nothing: nothing to confirm, no terminal needed.  A
 * check that fails is a failed backup (exit 1, the FAILED line); a plan
 * that cannot be made is a usage or configuration error. */
static const struct detached_flow backup_detached = {
	.flow = &backup_flow,
	.command = "backup",
	.options = backup_options,
	.what_plan = N_("cannot make a backup plan"),
	.what_start = N_("cannot start the backup"),
	.what_refused = N_("backup not started, nothing was touched"),
	.refused_code = EXIT_FAILED,
	.no_questions = 1,
	.ended = backup_ended,
};

/* `biso-recover backup --dry-run`: the plan, in-process (it changes
 * nothing). */
static int backup_dry_run(const struct cli *cl, struct conf *c)
{
	struct run_opts ro = { 0 };
	struct run *run;
	struct err e = ERR_INIT;
	struct batch_state bst;
	struct report r;
	int code;

	batch_install_signals();
	backup_options(cl, &ro);
	ro.dry_run = 1;
	if (!(run = run_new(&backup_flow, c, &ro, &e)))
		return cli_run_refused(NULL, &e);
	batch_report_init(&r, &bst, NULL);
	if (run_prepare(run, &r, &e) < 0) {
		code = cli_run_refused(_("cannot make a backup plan"), &e);
	} else if (run_preflight(run, &r, &e) < 0) {
		cli_run_refused(_("the plan would fail"), &e);
		code = EXIT_FAILED;
	} else {
		cli_print_plan(run);
		code = EXIT_DONE;
	}
	run_free(run);
	return code;
}

int cli_backup(const struct cli *cl, struct conf *c, int wizard)
{
	if (cl->dry_run)
		return backup_dry_run(cl, c);
	if (wizard)
		return detached_wizard(&backup_detached, cl, c); /* a runner's client */
	return detached_start_or_attach(&backup_detached, cl, c);
}

/* `biso-recover backup`: the steps run in a runner detached from the
 * terminal (detached.h); line mode follows it. */
static int cmd_backup(const struct cli *cl, struct conf *c)
{
	if (cl->n_args)
		return cli_usage_error("unexpected argument '%s'", cl->args[0]);
	if (cl->runner)
		return detached_runner_main(&backup_detached, cl, c);
	return cli_backup(cl, c, 0);
}

const struct command command_backup = {
	"backup",
N_("biso-recover backup [--dry-run] [--only STEPS] [--compress-level N]\n"
"                    [OPTIONS] (take a backup as the manual does)\n"),
N_("Usage: biso-recover backup [--dry-run] [--only STEPS] [--compress-level N]\n"
"                           [OPTIONS]\n"
"\n"
"Takes a backup of the instance into the backup root, in the manual's order\n"
"with a short maintenance window: maintenance-on, database (pg_dump, plain\n"
"format, parallel gzip; the log database too when configured), datadir\n"
"(without tmp/, *.log, maintenance.on), maintenance-off, webroot (without\n"
"the datadir), seal (SHA256SUMS and MANIFEST under manifest/ID/).  The\n"
"datadir and webroot become dated snapshot directories data/ID and\n"
"webroot/ID; unchanged files are hard links to the previous snapshot.\n"
"Every part is written as NAME.partial and renamed only when all are\n"
"complete.  Maintenance mode goes off on every way out; after a kill -9 the\n"
"next biso-recover command switches it off.\n"
"\n"
"  --dry-run              print the plan and the manual's commands; touch\n"
"                         nothing\n"
"  --only STEP[,STEP]     run only these steps\n"
"  --compress-level N     the dump's gzip level, 1 (fastest) to 9 (smallest);\n"
"                         default backup.compress_level of the\n"
"                         configuration, else 3\n"
"  --config-php FILE      read the datadir and the database from this\n"
"                         config.php, not from WEBROOT/config.php\n"
"  --config FILE, --backup-root DIR, --webroot DIR, --datadir DIR,\n"
"  --dbname CONNINFO, --web-user USER[:GROUP], --log-dir DIR\n"
"                         as in 'biso-recover --help'\n"
"\n"
"Exit codes: 0 the backup is complete; 1 it failed, or its checks refused it\n"
"before the first step (nothing was published, maintenance mode is off);\n"
"2 usage; 130 interrupted.  --dry-run exits as the backup would.\n"),
	(const char *const[]){ CLI_INSTANCE_OPTS, "dry-run", "only", "compress-level", CLI_RUNNER_OPTS, NULL },
	1, cmd_backup
};

/* backup-verify's exit codes: 0 whole, 1 damaged, 2 could not check */
enum { VERIFY_EXIT_DAMAGED = 1, VERIFY_EXIT_UNCHECKED = 2 };

/* Tier 2 (backuptest.h) of a backup tier 1 found whole; the result goes
 * into the manifest.  Returns backup-verify's exit code. */
static int restore_test(const struct conf *c, const char *root, const char *id, struct report *r)
{
	struct backuptest_result res;
	struct err e = ERR_INIT;
	int rc, code;

	fflush(stdout);
	rc = backuptest_run(c, root, id, &res, r, &e);
	frontend_progress_end();
	if (rc < 0) {
		cli_print_err(_("restore test: could not test"), &e);
		err_clear(&e);
		backuptest_release(&res);
		return batch_interrupted() ? EXIT_ABORTED : VERIFY_EXIT_UNCHECKED;
	}
	for (size_t i = 0; i < res.n_bad; i++)
		printf(_("DAMAGED %s\n"), res.bad[i]);
	if (rc == 0)
		printf(P_("ok: restore test: the dump restores into %s, %zu table has the manifest's rows\n",
			  "ok: restore test: the dump restores into %s, all %zu tables have the manifest's rows\n",
			  res.tables), res.scratch, res.tables);
	else
		printf(_("backup %s is DAMAGED: the restore test failed\n"), id);
	code = rc == 0 ? EXIT_DONE : VERIFY_EXIT_DAMAGED;
	if (backupverify_record(root, id, time(NULL), "restore-test", rc == 0 ? "ok" : "damaged", &e) < 0) {
		cli_print_err("warning: the result was not recorded in the manifest", &e);
		err_clear(&e);
	}
	backuptest_release(&res);
	return code;
}

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
		return cli_usage_error("no backup root: give --backup-root DIR or set backup_root in the configuration");
	if (cl->n_args) {
		time_t when;
		size_t len;
		if (!backupset_parse_stamp(cl->args[0], 0, &when, &len) || cl->args[0][len])
			return cli_usage_error("BACKUP is a backup's id YYYYMMDD_HHMMSS, not '%s'", cl->args[0]);
		id = xstrdup(cl->args[0]);
	}
	/* a missing root says so, not "no backup there" (newcomer 8.5) */
	if (backupset_root_check(root, &e) < 0) {
		cli_print_err("could not check", &e);
		err_clear(&e);
		free(id);
		return VERIFY_EXIT_UNCHECKED;
	}
	if (!id) {
		rc = backupverify_newest(root, &id, &e);
		if (rc <= 0) {
			if (rc == 0) {
				char *list = backupverify_list_cmd(root);
				err_set(&e, "no backup with a manifest in %s/manifest", root);
				err_hint(&e, "No backup there has a manifest to check against: backup-verify "
					 "checks the backups biso-recover backup writes (manifest/ID/MANIFEST). "
					 "%s shows what is there.", list);
				free(list);
			}
			cli_print_err("could not check", &e);
			err_clear(&e);
			return VERIFY_EXIT_UNCHECKED;
		}
	}

	batch_report_init(&r, &bst, NULL);
	batch_install_signals();
	printf(_("backup %s in %s\n"), id, root);
	fflush(stdout);
	rc = backupverify_tier1(root, id, &res, &r, &e);
	frontend_progress_end();
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
		strbuf_add(&sb, res.sums.bad[i].why_l10n, strcspn(res.sums.bad[i].why_l10n, "\n"));
		printf(_("DAMAGED %s: %s\n"), res.sums.bad[i].path, sb.buf);
	}
	strbuf_reset(&sb);
	{
		struct strbuf size = STRBUF_INIT;
		strbuf_humanise_bytes(&size, res.sums.bytes);
		strbuf_addf(&sb, P_("%zu file (%s) checked", "%zu files (%s) checked", res.sums.checked),
			    (size_t)res.sums.checked, size.buf);
		strbuf_addf(&sb, P_(", %zu whole dump", ", %zu whole dumps", res.dumps), (size_t)res.dumps);
		strbuf_release(&size);
	}
	if (rc == 0) {
		printf(_("ok: %s: every checksum matches, each dump inflates to its \"dump complete\" trailer\n"),
		       sb.buf);
		code = EXIT_DONE;
	} else {
		struct strbuf n = STRBUF_INIT;
		strbuf_addf(&n, P_("%zu damaged file", "%zu damaged files", res.damaged_files),
			    (size_t)res.damaged_files);
		printf(_("backup %s is DAMAGED: %s (%s)\n"), id, n.buf, sb.buf);
		strbuf_release(&n);
		code = VERIFY_EXIT_DAMAGED;
	}
	if (backupverify_record(root, id, time(NULL), "checksums", rc == 0 ? "ok" : "damaged", &e) < 0) {
		/* the verdict stands; only its note in the manifest is missing */
		cli_print_err("warning: the result was not recorded in the manifest", &e);
		err_clear(&e);
	}
	if (rc == 0 && cl->restore_test)
		code = restore_test(c, root, id, &r);
	strbuf_release(&sb);
	backupverify_release(&res);
	free(id);
	return code;
}

const struct command command_backup_verify = {
	"backup-verify",
N_("biso-recover backup-verify [--restore-test] [OPTIONS] [BACKUP]\n"
"                    (is a backup whole? checksums, dumps)\n"),
N_("Usage: biso-recover backup-verify [--restore-test] [OPTIONS] [BACKUP]\n"
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
"  --restore-test         then replay the dump into a scratch database\n"
"                         <db>_verify_BACKUP on the admin connection\n"
"                         (database.admin_conninfo), compare the rows of each\n"
"                         table with the manifest and drop it again; recorded\n"
"                         as \"verified TIME restore-test ok|damaged\"\n"
"\n"
"  --backup-root DIR      the backup root (default: backup_root of the\n"
"                         configuration)\n"
"  --config FILE          configuration file (default /etc/biso-recover.conf)\n"
"  --log-dir DIR          as in 'biso-recover --help'\n"
"\n"
"Each damaged file is named on a line \"DAMAGED PATH: WHY\" (PATH relative\n"
"to the backup root).\n"
"\n"
"Exit codes: 0 the backup is whole; 1 damaged (each file named); 2 could not\n"
"check (no backup root, no backup, no or unreadable manifest or checksum\n"
"list, usage); 130 aborted.\n"),
	(const char *const[]){ "backup-root", "restore-test", NULL },
	1, cmd_backup_verify
};

/* The state column of backup-list: short, the notes below say more. */
static const char *list_state(const struct backuplist_entry *x)
{
	switch (x->state) {
	/* TRANSLATORS: the states of backup-list's column (at most 19 columns);
	 * "verified", "unverified" and "DAMAGED" as in the backup chooser */
	case BACKUPLIST_VERIFIED: return _("verified");
	case BACKUPLIST_UNVERIFIED: return _("unverified");
	case BACKUPLIST_DAMAGED: return _("DAMAGED");
	case BACKUPLIST_UNREADABLE: return _("manifest unreadable");
	case BACKUPLIST_CUT: return _("cut short");
	case BACKUPLIST_MANUAL:
	case BACKUPLIST_FLAT: return _("manual layout");
	}
	return "?";
}

/* A line of text below the table, broken between words at 80 columns. */
static void list_note(const char *text)
{
	struct strbuf sb = STRBUF_INIT;
	frontend_wrap(text, 80, &sb);
	fputs(sb.buf, stdout);
	putchar('\n');
	strbuf_release(&sb);
}

/* `biso-recover backup-list`: one line a backup, newest first
 * (backuplist.h); reads only names, manifests and sizes. */
static int cmd_backup_list(const struct cli *cl, struct conf *c)
{
	static const struct {
		unsigned bit;
		const char *name; /* the manifest's part names, untranslated */
	} part[] = { { BACKUPLIST_DB, "db" }, { BACKUPLIST_LOG_DB, "log_db" },
		     { BACKUPLIST_DATADIR, "datadir" }, { BACKUPLIST_WEBROOT, "webroot" } };
	const char *root = c->backup_root;
	const char *lp = c->log_database.enabled ? c->log_database.dump_prefix : NULL;
	struct backuplist l;
	struct err e = ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	int plus = 0, cut = 0, manual = 0;

	if (cl->n_args)
		return cli_usage_error("unexpected argument '%s'", cl->args[0]);
	if (!root || !*root)
		return cli_usage_error("no backup root: give --backup-root DIR or set backup_root in the configuration");
	if (backuplist_read(root, c->database.dump_prefix, lp, &l, &e) < 0) {
		cli_print_err(_("cannot list the backups"), &e);
		err_clear(&e);
		return EXIT_FAILED;
	}
	if (!l.n) {
		err_set(&e, "no backup in %s: webroot/, data/, db/ and manifest/ hold none", root);
		err_hint(&e, "Give the directory that holds webroot/, data/ and db/ (--backup-root), "
			 "or take one with biso-recover backup.");
		cli_print_err(_("cannot list the backups"), &e);
		err_clear(&e);
		backuplist_release(&l);
		return EXIT_FAILED;
	}
	strbuf_addf(&sb, _("Backups in %s, newest first (* a restore takes this part):"), root);
	list_note(sb.buf);
	/* 15 + 2 + 29 + 2 + 10 + 2: the state has 19 of 79 columns */
	cli_column(_("ID"), 15, 0);
	fputs("  ", stdout);
	cli_column(_("PARTS"), 29, 0);
	fputs("  ", stdout);
	cli_column(_("SIZE"), 10, 1);
	fputs("  ", stdout);
	fputs(_("STATE"), stdout);
	putchar('\n');
	for (size_t i = 0; i < l.n; i++) {
		const struct backuplist_entry *x = &l.entries[i];
		/* TRANSLATORS: backup-list's id column for the manual's rsync copy (at most 15 columns) */
		cli_column(x->id[0] ? x->id : _("(flat copy)"), 15, 0);
		fputs("  ", stdout);
		strbuf_reset(&sb);
		for (size_t k = 0; k < sizeof part / sizeof *part; k++)
			if (x->parts & part[k].bit)
				strbuf_addf(&sb, "%s%s%s", sb.len ? " " : "",
					    x->restore & part[k].bit ? "*" : "", part[k].name);
		if (!x->parts)
			strbuf_addstr(&sb, "-");
		cli_column(sb.buf, 29, 0);
		fputs("  ", stdout);
		strbuf_reset(&sb);
		if (x->bytes || !x->bytes_partial)
			strbuf_humanise_bytes(&sb, x->bytes);
		if (x->bytes_partial && x->state != BACKUPLIST_VERIFIED &&
		    x->state != BACKUPLIST_UNVERIFIED && x->state != BACKUPLIST_DAMAGED) {
			strbuf_addstr(&sb, sb.len ? "+" : "-");
			plus |= sb.len > 1;
		}
		cli_column(sb.buf, 10, 1);
		fputs("  ", stdout);
		fputs(list_state(x), stdout);
		putchar('\n');
		cut |= x->state == BACKUPLIST_CUT;
		manual |= x->state == BACKUPLIST_MANUAL || x->state == BACKUPLIST_FLAT;
	}
	putchar('\n');
	for (size_t i = 0; i < l.n; i++) {
		const struct backuplist_entry *x = &l.entries[i];
		if (!x->note_l10n)
			continue;
		strbuf_reset(&sb);
		strbuf_addf(&sb, "%s: %s", x->id, x->note_l10n);
		list_note(sb.buf);
	}
	if (plus)
		list_note(_("+: the directories of a backup without a manifest are not counted."));
	if (cut)
		list_note(_("cut short: parts without a manifest, which the seal writes last; "
			    "backup-prune leaves them alone."));
	if (manual)
		list_note(_("manual layout: dumps beside the flat rsync copy in webroot/ and data/, "
			    "not checked here (restore and backup-verify read the dumps whole)."));
	strbuf_release(&sb);
	backuplist_release(&l);
	return EXIT_DONE;
}

const struct command command_backup_list = {
	"backup-list",
N_("biso-recover backup-list [OPTIONS]  (the backups, newest first)\n"),
N_("Usage: biso-recover backup-list [OPTIONS]\n"
"\n"
"Lists the backups under the backup root, newest first, one line each: its\n"
"id (the time it was taken), its parts (db, log_db, datadir, webroot; a '*'\n"
"marks the part a restore takes by default), its size (the manifest's\n"
"bytes) and its state: verified, unverified, DAMAGED (backup-verify found\n"
"damage, or a part the manifest names is missing or a dump has another size),\n"
"manifest unreadable, cut short (parts without a manifest) or manual layout\n"
"(the manual's dumps and its flat rsync copy).  Only names, manifests and\n"
"sizes are read: no dump is read whole (backup-verify does that).\n"
"\n"
"  --config FILE, --backup-root DIR, --log-dir DIR\n"
"                         as in 'biso-recover --help'\n"
"\n"
"Exit codes: 0 listed; 1 the backup root cannot be read or holds no backup;\n"
"2 usage.\n"),
	(const char *const[]){ "backup-root", NULL },
	1, cmd_backup_list
};

/* Free bytes for an unprivileged user on the filesystem of @dir, 0 when
 * it cannot be told. */
static unsigned long long free_bytes(const char *dir)
{
	struct statvfs sv;
	return statvfs(dir, &sv) == 0 ? (unsigned long long)sv.f_bavail * sv.f_frsize : 0;
}

/* `biso-recover backup-prune`: which backups the policy keeps
 * (retention.h), the others deleted (backupprune.h); --dry-run only says
 * it, one line a backup. */
static int cmd_backup_prune(const struct cli *cl, struct conf *c)
{
	struct retention_policy p = { c->retention.keep_last, c->retention.keep_daily,
				      c->retention.keep_weekly, c->retention.keep_monthly };
	int *rule[4] = { &p.last, &p.daily, &p.weekly, &p.monthly };
	const char *root = c->backup_root;
	const char *lp = c->log_database.enabled ? c->log_database.dump_prefix : NULL;
	struct backupprune_item *items = NULL;
	struct retention_backup *b;
	struct retention_decision *d;
	struct err e = ERR_INIT;
	struct report r;
	struct batch_state bst;
	size_t n = 0, deleted = 0, failed = 0;
	unsigned long long before;
	char *lock_path = NULL;
	int lock_fd = -1, code = EXIT_DONE;

	if (cl->n_args)
		return cli_usage_error("unexpected argument '%s'", cl->args[0]);
	if (!root || !*root)
		return cli_usage_error("no backup root: give --backup-root DIR or set backup_root in the configuration");
	for (size_t i = 0; i < 4; i++)
		if (cl->keep[i] >= 0)
			*rule[i] = cl->keep[i];
	if (retention_policy_empty(&p))
		return cli_usage_error("no retention policy: give --keep-last, --keep-daily, --keep-weekly or --keep-monthly, or set retention in the configuration");
	batch_report_init(&r, &bst, NULL);
	batch_install_signals();
	if (!cl->dry_run) {
		/* never beside a backup writing into the same root */
		char *what = xstrfmt("backup root %s", root);
		lock_path = lock_target_path("backup", root);
		lock_set_command("backup-prune");
		lock_fd = lock_take(lock_path, what, &e);
		free(what);
		if (lock_fd < 0) {
			free(lock_path);
			cli_run_refused(_("nothing was deleted"), &e);
			return EXIT_FAILED;
		}
	}
	if (backupprune_list(root, c->database.dump_prefix, lp, &items, &n, &e) < 0) {
		lock_release(lock_fd, lock_path);
		free(lock_path);
		cli_print_err(_("nothing was deleted"), &e);
		err_clear(&e);
		return EXIT_FAILED;
	}
	b = xcalloc(n ? n : 1, sizeof *b);
	d = xcalloc(n ? n : 1, sizeof *d);
	for (size_t i = 0; i < n; i++) {
		b[i].when = items[i].when;
		b[i].complete = items[i].complete;
	}
	retention_decide(&p, b, n, d);
	before = free_bytes(root);
	printf(_("backups in %s, oldest first (policy: last %d, daily %d, weekly %d, monthly %d):\n"),
	       root, p.last, p.daily, p.weekly, p.monthly);
	for (size_t i = 0; i < n; i++) {
		if (d[i].verdict == RETENTION_KEEP)
			printf(_("%s  keep (%s)\n"), items[i].id, d[i].reason_l10n);
		else if (d[i].verdict == RETENTION_IGNORE && items[i].manual)
			printf(_("%s  manual layout (a dump beside the flat webroot/ and data/): "
				 "not pruned by biso-recover\n"), items[i].id);
		else if (d[i].verdict == RETENTION_IGNORE)
			printf(_("%s  incomplete (no manifest: cut short?): left alone\n"), items[i].id);
		else
			printf(_("%s  delete\n"), items[i].id);
	}
	fflush(stdout);
	for (size_t i = 0; i < n && !cl->dry_run; i++) {
		if (d[i].verdict != RETENTION_DELETE)
			continue;
		if (batch_interrupted()) {
			code = EXIT_ABORTED;
			break;
		}
		if (backupprune_delete(root, items[i].id, c->database.dump_prefix, lp, &r, &e) < 0) {
			cli_print_err(items[i].id, &e);
			err_clear(&e);
			failed++;
			code = EXIT_FAILED;
			continue;
		}
		deleted++;
	}
	if (cl->dry_run) {
		const char **del = xcalloc(n ? n : 1, sizeof *del);
		size_t n_del = 0;
		uint64_t bytes;
		for (size_t i = 0; i < n; i++)
			if (d[i].verdict == RETENTION_DELETE)
				del[n_del++] = items[i].id;
		/* what the delete frees: hard links into a snapshot that
		 * stays free nothing (newcomer 8.29) */
		if (backupprune_freed(root, del, n_del, c->database.dump_prefix, lp, &bytes, &r, &e) < 0) {
			cli_print_err(_("warning: the space it would free cannot be told"), &e);
			err_clear(&e);
			printf(P_("dry run: %zu backup would be deleted, nothing was touched\n",
				  "dry run: %zu backups would be deleted, nothing was touched\n", n_del),
			       n_del);
		} else {
			struct strbuf sb = STRBUF_INIT;
			strbuf_humanise_bytes(&sb, bytes);
			printf(P_("dry run: %zu backup would be deleted, freeing %s; nothing was touched\n",
				  "dry run: %zu backups would be deleted, freeing %s; nothing was touched\n",
				  n_del), n_del, sb.buf);
			strbuf_release(&sb);
		}
		free(del);
	} else {
		struct strbuf sb = STRBUF_INIT;
		unsigned long long after = free_bytes(root);
		strbuf_humanise_bytes(&sb, after > before ? after - before : 0);
		printf(P_("%zu backup deleted, %s freed", "%zu backups deleted, %s freed", deleted),
		       deleted, sb.buf);
		if (failed)
			printf(P_("; %zu could not be deleted", "; %zu could not be deleted", failed), failed);
		putchar('\n');
		strbuf_release(&sb);
	}
	retention_release(d, n);
	free(d);
	free(b);
	free(items);
	lock_release(lock_fd, lock_path);
	free(lock_path);
	return code;
}

const struct command command_backup_prune = {
	"backup-prune",
N_("biso-recover backup-prune [--dry-run] [--keep-last N] [--keep-daily N]\n"
"                    [--keep-weekly N] [--keep-monthly N] [OPTIONS]\n"),
N_("Usage: biso-recover backup-prune [--dry-run] [--keep-last N] [--keep-daily N]\n"
"                                 [--keep-weekly N] [--keep-monthly N] [OPTIONS]\n"
"\n"
"Deletes the backups biso-recover backup wrote under the backup root that no\n"
"rule keeps.  Each rule counts complete backups (those with a manifest) only,\n"
"newest first; a backup any rule keeps stays, and the newest complete one\n"
"always stays.  Incomplete ones are left alone.  Files hard-linked into a kept\n"
"snapshot stay intact.  Prints for every backup \"keep (daily 3)\" or\n"
"\"delete\", then what was freed (with --dry-run: what would be freed).\n"
"\n"
"  --keep-last N          the N newest\n"
"  --keep-daily N         the newest of each of the N newest days\n"
"  --keep-weekly N        the same per ISO week\n"
"  --keep-monthly N       the same per calendar month\n"
"                         (default: retention in the configuration, where\n"
"                         0 turns a rule off; here N is 1 or more)\n"
"  --dry-run              only print what would be kept and deleted\n"
"  --config FILE, --backup-root DIR, --log-dir DIR\n"
"                         as in 'biso-recover --help'\n"
"\n"
"Exit codes: 0 done; 1 a backup could not be deleted or the root not read;\n"
"2 usage (no policy); 130 interrupted.\n"),
	(const char *const[]){ "backup-root", "dry-run", "keep-last", "keep-daily", "keep-weekly", "keep-monthly", NULL },
	1, cmd_backup_prune
};
