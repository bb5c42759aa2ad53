/*
 * biso-recover: command line.  Parses options into a struct conf, opens the
 * run log, and hands over to a front end: the wizard (no subcommand, on a
 * terminal), batch restore, or one of the single-purpose subcommands.
 */
#include "config.h"
#include "backupset.h"
#include "conf.h"
#include "conninfo.h"
#include "dumpinfo.h"
#include "frontend.h"
#include "fsrestore.h"
#include "logfile.h"
#include "replay.h"
#include "restore.h"
#include "strbuf.h"
#include "wizard.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <getopt.h>
#include <stdarg.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
"Usage: biso-recover [OPTIONS]                 open the restore wizard\n"
"       biso-recover restore [--yes] [--dry-run] [--only STEPS] [OPTIONS]\n"
"       biso-recover db-restore --dbname CONNINFO [--create]\n"
"                    [--on-error stop|continue] [--jobs N]\n"
"                    [--single-transaction] [--no-check] DUMP\n"
"                    (DUMP - is stdin)\n"
"       biso-recover db-inspect DUMP\n"
"       biso-recover cleanup [--dry-run] [--yes] [OPTIONS] [COPY...]\n"
"                    (lists the copies restores kept; removes the chosen ones)\n"
"       biso-recover files-restore [--exclude PATTERN]... [--merge] [--checksum]\n"
"                    [--xattrs] [--acls] [--keep-special-modes]\n"
"                    [--in-place --yes] [--dry-run] SOURCE TARGET\n"
"                    (SOURCE: directory, archive, or host:path via rsync)\n"
"       biso-recover files-verify [--checksum] [--exclude PATTERN]...\n"
"                    [--keep-special-modes] SOURCE TARGET\n"
"                    (compares the tree TARGET with the backup SOURCE, a\n"
"                    directory or archive; prints each path that differs;\n"
"                    exit 1 if any, 2 if it could not compare)\n"
"\n"
"Restores a BISO 3 instance in the documented order:\n"
"  webroot, config (config.php), datadir, database, migrations, verify.\n"
"\n"
"Options:\n"
"  --config FILE          configuration file (default /etc/biso-recover.conf)\n"
"  --backup-root DIR      backup set with webroot/, data/, db/ below it\n"
"  --webroot DIR          the webroot to restore into\n"
"  --datadir DIR          the datadir (default: from config.php)\n"
"  --config-php FILE      use this config.php instead of the backup's\n"
"  --dbname CONNINFO      target database as a libpq conninfo (default:\n"
"                         config.php); a password is better in ~/.pgpass or\n"
"                         PGPASSFILE\n"
"  --dump FILE            plain-format dump to replay (default: newest in db/)\n"
"  --at YYYYMMDD[_HHMMSS] use the newest backups taken at or before then\n"
"  --web-user USER[:GROUP]\n"
"                         owner of the datadir (default www-data)\n"
"  --log-dir DIR          where the run log and the verification report go\n"
"  --jobs N               database connections for the replay (0: all cores)\n"
"  --on-error stop|continue  stop at the first failing statement (default), or\n"
"                         go on like psql and count the errors (exit 3)\n"
"  --only STEP[,STEP]     run only these steps\n"
"  --yes                  do not ask before destructive steps\n"
"  --dry-run              print the plan and the manual commands, touch nothing\n"
"  -h, --help             this help; COMMAND --help explains a command's options\n"
"  -V, --version          the version\n"
"\n"
"Exit codes: 0 done; 1 a step failed (old data kept); 2 usage or configuration\n"
"error; 3 finished with errors gone past (a step skipped by the operator, or\n"
"archive members refused: counted in the summary); 130 aborted\n"
"(by the operator, or by SIGHUP/SIGTERM: the log says which).\n";

/* `biso-recover COMMAND --help`: the command's usage and every option it
 * takes, explained (the global --help only lists them). */
static const struct {
	const char *cmd, *text;
} command_help[] = {
	{ "restore",
"Usage: biso-recover restore [--yes] [--dry-run] [--only STEPS] [OPTIONS]\n"
"\n"
"Restores the instance without the wizard, in the documented order: webroot,\n"
"config (config.php), datadir, database, migrations, verify.  Each step keeps\n"
"the old webroot, datadir or database until the new one is verified.\n"
"\n"
"  --yes                  do not ask before destructive steps (needed without a\n"
"                         terminal)\n"
"  --dry-run              print the plan and the equivalent manual commands;\n"
"                         touch nothing\n"
"  --only STEP[,STEP]     run only these steps (webroot, config, datadir,\n"
"                         database, migrations, verify)\n"
"  --at YYYYMMDD[_HHMMSS] restore the newest webroot, datadir and dump taken at\n"
"                         or before then (a date alone: the end of that day)\n"
"                         instead of the newest of all\n"
"  --jobs N               database connections for the replay (0, the default:\n"
"                         one per core)\n"
"  --on-error stop|continue  stop at the first failing statement (default), or\n"
"                         go on like psql and count the errors (exit 3)\n"
"  --config FILE, --backup-root DIR, --webroot DIR, --datadir DIR,\n"
"  --config-php FILE, --dbname CONNINFO, --dump FILE, --web-user USER[:GROUP],\n"
"  --log-dir DIR          as in 'biso-recover --help'\n" },
	{ "db-restore",
"Usage: biso-recover db-restore --dbname CONNINFO [OPTIONS] DUMP\n"
"\n"
"Replays one plain-format dump (plain SQL or gzip, told apart by content;\n"
"- reads standard input) into a database, as 'gunzip -c DUMP | psql' would,\n"
"with errors that name the dump line and TOC entry.  Custom-format and tar\n"
"dumps are handed to pg_restore.\n"
"\n"
"  --dbname CONNINFO      the target database, a libpq conninfo\n"
"                         (\"host=... dbname=biso\" or postgresql://...)\n"
"  --create               restore into a new <db>_restoring database, check it\n"
"                         and swap it in; the old database is kept as\n"
"                         <db>_pre_restore_<stamp>\n"
"  --jobs N               load tables and build indexes on N connections (0: one\n"
"                         per core; default 1); the result is the same as with\n"
"                         one\n"
"  --on-error stop|continue  stop at the first failing statement (default), or\n"
"                         go on like psql, list every error and exit 3\n"
"  --single-transaction   wrap the replay in one transaction (not with a dump\n"
"                         that has its own BEGIN/COMMIT, nor with continue)\n"
"  --no-check             do not read the dump once before replaying it (by\n"
"                         default a pg_dump dump without its \"dump complete\"\n"
"                         trailer is refused before anything is sent)\n" },
	{ "cleanup",
"Usage: biso-recover cleanup [--dry-run] [--yes] [OPTIONS] [COPY...]\n"
"\n"
"Lists the copies earlier restores kept of the instance: the webroot, datadir\n"
"and config.php kept as NAME.pre-restore-<time> beside the live ones, and the\n"
"databases kept as <db>_pre_restore_<time>, each with its age and size.  Then\n"
"removes the chosen ones, after 'yes' is typed.  The newest copy of each kind\n"
"is never removed: a failed restore goes back to it.\n"
"\n"
"  COPY                   what to remove: a number or range of the list (3,\n"
"                         2-4), a copy's path or database name, or all (every\n"
"                         copy but the newest of each kind); without COPY the\n"
"                         list is shown and the choice asked on the terminal\n"
"  --dry-run              list, and say what would be removed; remove nothing\n"
"  --yes                  do not ask for the typed confirmation\n"
"  --config FILE, --webroot DIR, --datadir DIR, --config-php FILE,\n"
"  --dbname CONNINFO, --log-dir DIR\n"
"                         name the instance as for restore\n" },
	{ "db-inspect",
"Usage: biso-recover db-inspect DUMP\n"
"\n"
"Lists what a plain-format dump holds, without a server: pg_dump and server\n"
"versions, \\restrict, the TOC entries per type, the tables with their COPY\n"
"row counts and bytes, and whether the dump is complete.\n" },
	{ "files-restore",
"Usage: biso-recover files-restore [OPTIONS] SOURCE TARGET\n"
"\n"
"Restores the tree SOURCE (a directory; a tar, tar.gz, tar.bz2, tar.xz,\n"
"tar.zst or zip archive; or host:path, fetched with rsync over ssh first)\n"
"into TARGET.  By default the tree is written to TARGET.restoring, verified,\n"
"and swapped in; the old TARGET is kept as TARGET.pre-restore-<stamp>.\n"
"\n"
"  --exclude PATTERN      leave out what matches (rsync's pattern rules; may be\n"
"                         given more than once)\n"
"  --merge                write into the existing TARGET like rsync -a: files\n"
"                         are added or replaced, nothing is deleted\n"
"  --in-place --yes       empty TARGET and write into it, without a staging\n"
"                         copy: only when the disk has no room for one (the old\n"
"                         tree is lost if the restore fails)\n"
"  --checksum             verify content by SHA-256 too, not only size and\n"
"                         mtime\n"
"  --xattrs               restore extended attributes (as rsync -X)\n"
"  --acls                 restore POSIX ACLs (as rsync -A)\n"
"  --keep-special-modes   restore set-uid and set-gid bits of files and\n"
"                         world-write bits as the backup has them (as\n"
"                         bsdtar -p); by default they are cleared and each\n"
"                         change is listed\n"
"  --dry-run              count what SOURCE holds (files, directories, bytes);\n"
"                         write nothing\n"
"\n"
"Members that are not safe to write (absolute paths, \"..\", links through a\n"
"symlink, ...) are refused and listed; the rest is restored.\n"
"Exit status 0: done; 1: failed (TARGET unchanged, except with --in-place);\n"
"2: usage, or TARGET is a system directory (nothing touched); 3: done, but\n"
"members were refused (counted in the summary).\n" },
	{ "files-verify",
"Usage: biso-recover files-verify [--checksum] [--exclude PATTERN]...\n"
"                                 [--keep-special-modes] SOURCE TARGET\n"
"\n"
"Compares the existing tree TARGET with the backup SOURCE (a directory or an\n"
"archive) without changing either: type, size, permissions, mtime, symlink\n"
"targets and hardlinks.  Prints each path that differs, then the count.\n"
"Exit status 0: the same; 1: something differs; 2: could not compare.\n"
"\n"
"  --checksum             compare the content of every file by SHA-256 too\n"
"  --exclude PATTERN      leave out what matches, on both sides (rsync's rules)\n"
"  --keep-special-modes   expect set-id and world-write bits as in SOURCE (a\n"
"                         tree restored with that option); by default they\n"
"                         are expected cleared, as files-restore leaves them\n" },
};

static const char *help_for(const char *cmd)
{
	for (size_t i = 0; cmd && i < sizeof command_help / sizeof *command_help; i++)
		if (!strcmp(command_help[i].cmd, cmd))
			return command_help[i].text;
	return usage_text;
}

enum {
	OPT_CONFIG = 256, OPT_BACKUP_ROOT, OPT_WEBROOT, OPT_DATADIR, OPT_CONFIG_PHP,
	OPT_DBNAME, OPT_DUMP, OPT_WEB_USER, OPT_LOG_DIR, OPT_JOBS, OPT_ONLY, OPT_YES,
	OPT_DRY_RUN, OPT_CREATE, OPT_ON_ERROR, OPT_EXCLUDE, OPT_MERGE, OPT_SINGLE_TX,
	OPT_CHECKSUM, OPT_IN_PLACE, OPT_XATTRS, OPT_ACLS, OPT_AT, OPT_NO_CHECK, OPT_KEEP_MODES
};

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "backup-root", required_argument, NULL, OPT_BACKUP_ROOT },
	{ "webroot", required_argument, NULL, OPT_WEBROOT },
	{ "datadir", required_argument, NULL, OPT_DATADIR },
	{ "config-php", required_argument, NULL, OPT_CONFIG_PHP },
	{ "dbname", required_argument, NULL, OPT_DBNAME },
	{ "dump", required_argument, NULL, OPT_DUMP },
	{ "at", required_argument, NULL, OPT_AT },
	{ "no-check", no_argument, NULL, OPT_NO_CHECK },
	{ "web-user", required_argument, NULL, OPT_WEB_USER },
	{ "log-dir", required_argument, NULL, OPT_LOG_DIR },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "only", required_argument, NULL, OPT_ONLY },
	{ "yes", no_argument, NULL, OPT_YES },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "create", no_argument, NULL, OPT_CREATE },
	{ "on-error", required_argument, NULL, OPT_ON_ERROR },
	{ "single-transaction", no_argument, NULL, OPT_SINGLE_TX },
	{ "exclude", required_argument, NULL, OPT_EXCLUDE },
	{ "merge", no_argument, NULL, OPT_MERGE },
	{ "checksum", no_argument, NULL, OPT_CHECKSUM },
	{ "in-place", no_argument, NULL, OPT_IN_PLACE },
	{ "xattrs", no_argument, NULL, OPT_XATTRS },
	{ "acls", no_argument, NULL, OPT_ACLS },
	{ "keep-special-modes", no_argument, NULL, OPT_KEEP_MODES },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

struct cli {
	const char *cmd;
	const char *config;
	const char *backup_root, *webroot, *datadir, *config_php, *dbname, *dump;
	const char *web_user, *log_dir, *only, *on_error, *at;
	int jobs, yes, dry_run, create, merge, single_tx;
	int checksum, in_place, xattrs, acls; /* files-restore */
	int keep_modes;                       /* files-restore, files-verify */
	int no_check;                         /* db-restore: do not read the dump first */
	const char **excludes;
	size_t n_excludes;
	char **args;
	int n_args;
};

/* The command being run, for "Try 'biso-recover COMMAND --help'". */
static const char *usage_cmd;

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	int known = usage_cmd && help_for(usage_cmd) != usage_text;
	fprintf(stderr, "biso-recover: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'biso-recover %s%s--help'.\n", known ? usage_cmd : "", known ? " " : "");
	return EXIT_USAGE;
}

/* An input file named on the command line that cannot be read is a usage
 * error (exit 2, nothing touched): say so before any work starts.  A
 * directory is an input only where @dir_ok (a tree's source). */
static int check_input(const char *what, const char *path, int dir_ok)
{
	struct stat st;
	if (!strcmp(path, "-"))
		return 0;
	if (stat(path, &st) < 0)
		return usage_error("cannot read the %s %s: %s", what, path, strerror(errno));
	if (S_ISDIR(st.st_mode) && !dir_ok)
		return usage_error("the %s %s is a directory", what, path);
	if (access(path, R_OK) < 0)
		return usage_error("cannot read the %s %s: %s", what, path, strerror(errno));
	return 0;
}

static void print_err(const char *what, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	err_format(e, &sb);
	fprintf(stderr, "biso-recover: %s%s%s\n", what ? what : "", what ? ": " : "", sb.buf);
	strbuf_release(&sb);
}

static int parse_cli(int argc, char **argv, struct cli *cl)
{
	int c;
	/* The command is the first word that is not an option or an option's
	 * value: "biso-recover --config X restore" works too. */
	for (int i = 1; i < argc; i++) {
		const struct option *lo;
		if (!strcmp(argv[i], "--"))
			break;
		if (argv[i][0] != '-') {
			cl->cmd = usage_cmd = argv[i];
			memmove(argv + i, argv + i + 1, (size_t)(argc - i) * sizeof *argv);
			argc--;
			break;
		}
		for (lo = long_opts; lo->name; lo++)
			if (!strncmp(argv[i] + 2, lo->name, strlen(lo->name)) &&
			    argv[i][2 + strlen(lo->name)] == '\0')
				break;
		if (lo->name && lo->has_arg == required_argument)
			i++; /* skip the option's value */
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_CONFIG: cl->config = optarg; break;
		case OPT_BACKUP_ROOT: cl->backup_root = optarg; break;
		case OPT_WEBROOT: cl->webroot = optarg; break;
		case OPT_DATADIR: cl->datadir = optarg; break;
		case OPT_CONFIG_PHP: cl->config_php = optarg; break;
		case OPT_DBNAME: cl->dbname = optarg; break;
		case OPT_DUMP: cl->dump = optarg; break;
		case OPT_AT: cl->at = optarg; break;
		case OPT_NO_CHECK: cl->no_check = 1; break;
		case OPT_WEB_USER: cl->web_user = optarg; break;
		case OPT_LOG_DIR: cl->log_dir = optarg; break;
		case OPT_ONLY: cl->only = optarg; break;
		case OPT_ON_ERROR:
			if (strcmp(optarg, "stop") && strcmp(optarg, "continue"))
				return usage_error("--on-error takes stop or continue, not '%s'", optarg);
			cl->on_error = optarg;
			break;
		case OPT_YES: cl->yes = 1; break;
		case OPT_DRY_RUN: cl->dry_run = 1; break;
		case OPT_CREATE: cl->create = 1; break;
		case OPT_MERGE: cl->merge = 1; break;
		case OPT_CHECKSUM: cl->checksum = 1; break;
		case OPT_IN_PLACE: cl->in_place = 1; break;
		case OPT_XATTRS: cl->xattrs = 1; break;
		case OPT_ACLS: cl->acls = 1; break;
		case OPT_KEEP_MODES: cl->keep_modes = 1; break;
		case OPT_SINGLE_TX: cl->single_tx = 1; break;
		case OPT_JOBS: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 0 || n > 64)
				return usage_error("--jobs takes a number from 0 (all cores) to 64, not '%s'",
						   optarg);
			cl->jobs = n ? (int)n : -1;
			break;
		}
		case OPT_EXCLUDE:
			cl->excludes = xrealloc(cl->excludes, (cl->n_excludes + 2) * sizeof *cl->excludes);
			cl->excludes[cl->n_excludes++] = optarg;
			cl->excludes[cl->n_excludes] = NULL;
			break;
		case 'h':
			fputs(help_for(cl->cmd), stdout);
			return -1;
		case 'V':
			printf("%s\n", PACKAGE_STRING);
			return -1;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	cl->args = argv + optind;
	cl->n_args = argc - optind;
	if (cl->n_args && (!cl->cmd || !strcmp(cl->cmd, "restore")))
		return usage_error("unexpected argument '%s'", cl->args[0]);
	return 0;
}

/* Load the configuration and apply the command-line overrides. */
static int load_conf(struct conf *c, const struct cli *cl, struct err *e)
{
	conf_init_defaults(c);
	if (conf_load(c, cl->config ? cl->config : CONF_DEFAULT_PATH, cl->config != NULL, e) < 0)
		return -1;
	if (cl->backup_root) conf_set_str(&c->backup_root, cl->backup_root);
	if (cl->webroot) conf_set_str(&c->webroot, cl->webroot);
	if (cl->datadir) conf_set_str(&c->datadir, cl->datadir);
	if (cl->config_php) conf_set_str(&c->config_php, cl->config_php);
	if (cl->dbname) conf_set_str(&c->database.conninfo, cl->dbname);
	if (cl->log_dir) conf_set_str(&c->log_dir, cl->log_dir);
	if (cl->jobs) c->database.jobs = cl->jobs > 0 ? cl->jobs : 0;
	if (cl->on_error) /* stop or continue: parse_cli checked it */
		c->database.on_error = strcmp(cl->on_error, "stop") ? CONF_ON_ERROR_CONTINUE
								 : CONF_ON_ERROR_STOP;
	if (cl->web_user && conf_parse_user_group(c, cl->web_user, e) < 0)
		return -1;
	return 0;
}

static void make_stamp(char out[16])
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(out, 16, "%Y%m%d_%H%M%S", &tm);
}

/* Open the run log (mode 0600) of @rs in its log_dir, named by rs->stamp;
 * names carry the second, so a run right after another waits for a new
 * one.  NULL with @e set when it cannot be created. */
static struct logfile *open_run_log(struct restore *rs, struct err *e)
{
	struct logfile *log;
	char *probe;
	while (probe = xstrfmt("%s/biso-recover-%s.log", rs->conf->log_dir, rs->stamp),
	       access(probe, F_OK) == 0) {
		free(probe);
		sleep(1);
		make_stamp(rs->stamp);
	}
	free(probe);
	log = logfile_open(rs->conf->log_dir, rs->stamp, &rs->log_path, e);
	if (log)
		logfile_write(log, LOG_INFO, PACKAGE_STRING " starting");
	return log;
}

/* The run log's last line: how the run ended, with its exit code. */
static void log_end(struct logfile *log, const struct restore *rs, int code)
{
	struct strbuf sb = STRBUF_INIT;
	restore_end_text(rs, code, &sb);
	logfile_write(log, LOG_INFO, sb.buf);
	strbuf_release(&sb);
}

static int cmd_restore(const struct cli *cl, struct conf *c, int wizard)
{
	struct restore rs;
	struct err e = ERR_INIT;
	struct logfile *log = NULL;
	struct batch_state bst;
	struct report r;
	struct strbuf early = STRBUF_INIT;
	unsigned mask = STEP_ALL;
	int code;

	memset(&rs, 0, sizeof rs);
	if (cl->only && step_parse_list(cl->only, &mask, &e) < 0) {
		print_err(NULL, &e);
		err_clear(&e);
		return EXIT_USAGE;
	}
	if (!wizard && !cl->dry_run && !cl->yes) {
		/* Questions go to the terminal; without one, fail before anything. */
		int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
		if (tty < 0) {
			fprintf(stderr, "biso-recover: no terminal to ask on before destructive steps; "
					"give --yes to run without asking\n");
			return EXIT_USAGE;
		}
		close(tty);
	}
	if (cl->at && !backupset_parse_at(cl->at, &rs.at))
		return usage_error("--at takes YYYYMMDD or YYYYMMDD_HHMMSS, not '%s'", cl->at);
	make_stamp(rs.stamp);
	if (cl->dump)
		rs.dump = xstrdup(cl->dump);
	rs.conf = c;
	rs.dry_run = cl->dry_run;
	/* the wizard opens on a cut newest dump: the operator chooses another */
	rs.allow_bad_dump = wizard;
	if (!cl->dry_run) {
		/* restore_preflight() locks the targets once it knows them */
		log = open_run_log(&rs, &e);
		if (!log) {
			print_err(NULL, &e);
			err_clear(&e);
			return EXIT_USAGE;
		}
	}
	batch_report_init(&r, &bst, log);
	if (wizard)
		bst.warnings = &early; /* the wizard's screen would hide them */
	if (restore_prepare(&rs, c, mask, &r, &e) < 0) {
		print_err("cannot make a restore plan", &e);
		logfile_write(log, LOG_ERROR, e.msg);
		err_clear(&e);
		restore_release(&rs);
		logfile_close(log);
		strbuf_release(&early);
		return EXIT_USAGE;
	}
	if (restore_preflight(&rs, &r, &e) < 0) {
		print_err(cl->dry_run ? "the plan would fail" : "nothing was touched", &e);
		logfile_write(log, LOG_ERROR, e.msg);
		err_clear(&e);
		restore_release(&rs);
		logfile_close(log);
		strbuf_release(&early);
		return EXIT_USAGE;
	}
	if (cl->dry_run) {
		struct strbuf sb = STRBUF_INIT;
		restore_plan_text(&rs, &sb);
		fputs(sb.buf, stdout);
		strbuf_release(&sb);
		code = EXIT_DONE;
	} else if (wizard) {
		struct report sink = { 0 };
		struct wizard_opts wo = { &sink, rs.log_path, early.buf };
		sink.log = logfile_report_log;
		sink.ctx = log;
		code = wizard_run(&rs, &wo);
		if (code != EXIT_USAGE) {
			/* The alternate screen is gone: leave the summary in the scrollback. */
			struct strbuf sb = STRBUF_INIT;
			restore_summary(&rs, &sb);
			fputs(sb.buf, stdout);
			strbuf_release(&sb);
		}
	} else {
		struct batch_opts bo = { cl->yes, log };
		code = batch_restore(&rs, &bo);
	}
	if (!cl->dry_run) {
		struct report fin = r;
		if (wizard) {
			/* curses is gone; the log file is enough. */
			memset(&fin, 0, sizeof fin);
			fin.log = logfile_report_log;
			fin.ctx = log;
		}
		restore_finish(&rs, &fin);
	}
	log_end(log, &rs, code);
	restore_release(&rs);
	logfile_close(log);
	strbuf_release(&early);
	return code;
}

static int cmd_cleanup(const struct cli *cl, struct conf *c)
{
	struct restore rs;
	struct err e = ERR_INIT;
	struct logfile *log = NULL;
	struct batch_state bst;
	struct report r;
	struct cleanup_opts co = { cl->yes, cl->dry_run, cl->args, cl->n_args };
	int code;

	memset(&rs, 0, sizeof rs);
	if (!cl->dry_run && (!cl->yes || !cl->n_args)) {
		/* the choice or the yes is asked on the terminal */
		int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
		if (tty < 0)
			return usage_error("%s", "no terminal to ask on: name the copies and give --yes");
		close(tty);
	}
	make_stamp(rs.stamp);
	rs.conf = c;
	rs.dry_run = cl->dry_run;
	/* one run per instance: a restore may be about to rename these */
	if (!cl->dry_run && (restore_lock(&rs, &e) < 0 || !(log = open_run_log(&rs, &e)))) {
		print_err(NULL, &e);
		err_clear(&e);
		restore_release(&rs);
		return EXIT_USAGE;
	}
	batch_report_init(&r, &bst, log);
	/* the instance without the backup set: a full or lost backup disk is
	 * when space is cleaned up */
	if (restore_prepare_instance(&rs, c, &r, &e) < 0) {
		print_err("cannot tell which instance to clean up", &e);
		logfile_write(log, LOG_ERROR, e.msg);
		err_clear(&e);
		code = EXIT_USAGE;
	} else {
		code = cleanup_run(&rs, &co, &r);
	}
	log_end(log, &rs, code);
	restore_release(&rs);
	logfile_close(log);
	return code;
}

static void print_stats(const struct replay_stats *st)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addcount(&sb, st->statements, "statement", "statements");
	strbuf_addstr(&sb, ", ");
	/* rows sent: those of a COPY that failed on the server did not land */
	strbuf_addcount(&sb, st->copy_rows, "COPY row sent", "COPY rows sent");
	strbuf_addstr(&sb, ", ");
	strbuf_addcount(&sb, st->errors, "error", "errors");
	strbuf_addstr(&sb, ", ");
	strbuf_addcount(&sb, st->warnings, "warning", "warnings");
	fprintf(stderr, "%s\n", sb.buf);
	strbuf_release(&sb);
}

static int cmd_db_restore(const struct cli *cl, struct conf *c)
{
	struct replay_opts ro = { 0 };
	struct replay_stats st = { 0 };
	struct dumpinfo di = { 0 };
	struct batch_state bst;
	struct report r;
	struct err e = ERR_INIT;
	int bad_replay;

	if (cl->n_args != 1 || !cl->dbname)
		return usage_error("%s", "db-restore needs --dbname CONNINFO and one DUMP (- for stdin)");
	if (check_input("dump", cl->args[0], 0))
		return EXIT_USAGE;
	{
		char *msg = NULL;
		PQconninfoOption *opts = PQconninfoParse(cl->dbname, &msg);
		if (!opts) {
			struct strbuf sb = STRBUF_INIT;
			strbuf_addstr(&sb, msg ? msg : "out of memory");
			strbuf_rtrim(&sb);
			PQfreemem(msg);
			usage_error("--dbname is not a libpq conninfo: %s", sb.buf);
			strbuf_release(&sb);
			return EXIT_USAGE;
		}
		PQconninfoFree(opts);
	}
	/* psql would go on inside the aborted transaction: every statement
	 * after the first error fails, and nothing is restored in the end */
	if (cl->single_tx && c->database.on_error == CONF_ON_ERROR_CONTINUE)
		return usage_error("%s", "--single-transaction and --on-error continue do not go together: "
				   "after the first error the transaction is aborted and nothing would be restored");
	if (cl->create) {
		/* Reuse the restore step's create-and-swap: it never drops the old database. */
		struct restore rs;
		struct logfile *log = NULL;
		int code = EXIT_DONE;
		memset(&rs, 0, sizeof rs);
		make_stamp(rs.stamp);
		rs.dump = xstrdup(cl->args[0]);
		conf_set_str(&c->database.conninfo, cl->dbname);
		rs.conf = c;
		batch_report_init(&r, &bst, NULL);
		batch_install_signals();
		/* The dump first: a cut one is refused before anything is
		 * created, the log directory too (exit 2, as restore). */
		if (restore_prepare(&rs, c, STEP_BIT(STEP_DATABASE), &r, &e) < 0 ||
		    restore_check_plan_dump(&rs, &r, &e) < 0) {
			print_err("nothing was touched", &e);
			err_clear(&e);
			restore_release(&rs);
			return batch_interrupted() ? EXIT_ABORTED : EXIT_USAGE;
		}
		/* The same guards and run log as the restore command: one run
		 * per target database (restore_preflight() locks it), the
		 * server checked before anything is created. */
		if (!(log = open_run_log(&rs, &e))) {
			print_err(NULL, &e);
			err_clear(&e);
			restore_release(&rs);
			return EXIT_USAGE;
		}
		bst.log = log;
		if (restore_preflight(&rs, &r, &e) < 0) {
			print_err("nothing was touched", &e);
			logfile_write(log, LOG_ERROR, e.msg);
			err_clear(&e);
			code = EXIT_USAGE;
		} else if (restore_run_step(&rs, STEP_DATABASE, &r, &e) < 0) {
			/* the step logged its errors and its end as they happened */
			err_clear(&e);
			code = batch_interrupted() ? EXIT_ABORTED : EXIT_FAILED;
		} else {
			code = restore_exit_code(&rs); /* 3 after errors gone past */
		}
		if (code == EXIT_ABORTED)
			rs.stopped = report_cancelled(&r);
		log_end(log, &rs, code);
		fprintf(stderr, "log: %s\n", rs.log_path);
		restore_release(&rs);
		logfile_close(log);
		return code;
	}
	ro.conninfo = cl->dbname;
	ro.dump_path = cl->args[0];
	if (!strcmp(ro.dump_path, "-"))
		ro.display_name = "<stdin>"; /* as psql names it */
	ro.on_error_stop = c->database.on_error != CONF_ON_ERROR_CONTINUE;
	ro.single_transaction = cl->single_tx;
	ro.jobs = cl->jobs > 0 ? cl->jobs : cl->jobs < 0 ? (int)sysconf(_SC_NPROCESSORS_ONLN) : 1;
	batch_report_init(&r, &bst, NULL);
	batch_install_signals();
	/* A --clean dump drops before it creates: one cut off would leave less
	 * than was there.  Read it once first, as the restore step does (psql
	 * does not; --no-check does not either). */
	if (!cl->no_check && strcmp(ro.dump_path, "-")) {
		int bad;
		report_log(&r, LOG_INFO, "reading %s once to check it (--no-check skips this)", ro.dump_path);
		bad = dumpinfo_check(ro.dump_path, &di, 1, "Use a complete dump (biso-recover "
				     "db-inspect DUMP shows what one holds).", &r, &e) < 0;
		if (bad) {
			dumpinfo_release(&di);
			print_err("nothing was sent to the database", &e);
			err_clear(&e);
			return batch_interrupted() ? EXIT_ABORTED : EXIT_FAILED;
		}
		ro.info = &di; /* the progress weighs the index builds by it */
	}
	bad_replay = replay_run(&ro, &r, &st, &e) < 0;
	dumpinfo_release(&di);
	if (bad_replay) {
		/* every error the replay counted was logged in full as it
		 * happened: say only how it ended */
		if (st.stopped && e.file && e.line)
			fprintf(stderr, "biso-recover: stopped at %s:%ld (the error above); "
				"nothing after it was run\n", e.file, e.line);
		else if (st.errors)
			fprintf(stderr, "biso-recover: the restore of %s failed (the error above)\n",
				ro.display_name ? ro.display_name : ro.dump_path);
		else
			print_err(NULL, &e);
		err_clear(&e);
		return batch_interrupted() ? EXIT_ABORTED : EXIT_FAILED;
	}
	print_stats(&st);
	return st.errors ? EXIT_CONTINUED : EXIT_DONE;
}

static int cmd_db_inspect(const struct cli *cl)
{
	struct dumpinfo di = { 0 };
	struct err e = ERR_INIT;
	int code = EXIT_DONE;
	if (cl->n_args != 1)
		return usage_error("%s", "db-inspect needs one DUMP");
	if (check_input("dump", cl->args[0], 0))
		return EXIT_USAGE;
	if (dumpinfo_scan(cl->args[0], &di, NULL, &e) < 0) {
		print_err(NULL, &e);
		err_clear(&e);
		/* a cut dump: what it holds up to the cut is the finding */
		if (!di.cut) {
			dumpinfo_release(&di);
			return EXIT_FAILED;
		}
		code = EXIT_FAILED;
	}
	if (!di.bytes_sql) {
		fprintf(stderr, "biso-recover: %s is empty (no SQL in it): the dump job that made it "
				"probably failed\n", cl->args[0]);
		dumpinfo_release(&di);
		return EXIT_FAILED;
	}
	if (!di.pg_dump_version && !di.n_types && !di.n_tables) {
		fprintf(stderr, "biso-recover: %s does not look like a pg_dump plain-format dump "
				"(no pg_dump header, no TOC entries)\n", cl->args[0]);
		dumpinfo_release(&di);
		return EXIT_FAILED;
	}
	printf("dump:            %s%s\n", cl->args[0], di.gzip ? " (gzip)" : "");
	printf("pg_dump version: %s\n", di.pg_dump_version ? di.pg_dump_version : "(unknown)");
	printf("server version:  %s\n", di.server_version ? di.server_version : "(unknown)");
	printf("\\restrict:       %s\n", di.restrict_key ? "yes" : "no");
	printf("\\connect:        %s\n", di.has_connect ? "yes (pg_dumpall-style)" : "no");
	if (di.complete)
		printf("complete:        yes (trailer present)\n");
	else
		printf("complete:        NO (cut at line %ld / byte offset %llu of the SQL): no "
		       "\"dump complete\" trailer\n", di.cut_line, (unsigned long long)di.bytes_sql);
	printf("size:            %llu bytes of SQL, %llu statements\n",
	       (unsigned long long)di.bytes_sql, (unsigned long long)di.statements);
	printf("TOC entries:\n");
	for (size_t i = 0; i < di.n_types; i++)
		printf("  %-32s %6lu\n", di.types[i].type, di.types[i].count);
	printf("tables with data: %zu\n", di.n_tables);
	for (size_t i = 0; i < di.n_tables; i++)
		printf("  %-40s %10llu rows %12llu bytes  line %ld%s\n", di.tables[i].name,
		       (unsigned long long)di.tables[i].rows, (unsigned long long)di.tables[i].bytes,
		       di.tables[i].line,
		       (long)i == di.cut_table ? "  CUT: its COPY block ends at the cut" : "");
	/* An incomplete dump is a finding, not a success. */
	if (!di.complete)
		code = EXIT_FAILED;
	dumpinfo_release(&di);
	return code;
}

/* @s on stdout with control characters as \#ooo, as rsync prints names. */
static void print_escaped(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || (*p == '\\' && p[1] == '#'))
			printf("\\#%03o", *p);
		else
			putchar(*p);
	}
}

/* files-verify: one difference per line on stdout, "PATH: WHAT" (a
 * newline in a name or symlink target cannot split the line). */
static void print_difference(void *ctx, const char *rel, const char *what)
{
	(void)ctx;
	print_escaped(rel);
	fputs(": ", stdout);
	print_escaped(what);
	putchar('\n');
}

static int cmd_files_verify(const struct cli *cl)
{
	struct strbuf sb = STRBUF_INIT;
	struct fsrestore_opts o = { 0 };
	struct fsrestore_result res = { 0 };
	struct batch_state bst;
	struct report r;
	struct err e = ERR_INIT;
	int code;

	if (cl->n_args != 2)
		return usage_error("%s", "files-verify needs SOURCE (the backup) and TARGET (the tree)");
	o.source = cl->args[0];
	o.target = cl->args[1];
	o.excludes = cl->excludes;
	o.checksum = cl->checksum;
	o.keep_special_modes = cl->keep_modes;
	batch_report_init(&r, &bst, NULL);
	batch_install_signals();
	if (fsrestore_verify(&o, print_difference, NULL, &r, &res, &e) < 0) {
		fflush(stdout);
		print_err(NULL, &e);
		err_clear(&e);
		fsrestore_result_release(&res);
		/* 1 means "differs": a tree that could not be compared is 2 */
		return batch_interrupted() ? EXIT_ABORTED : EXIT_USAGE;
	}
	strbuf_addcount(&sb, res.differences, "difference", "differences");
	strbuf_addstr(&sb, " (");
	fsrestore_add_counts(&sb, &res);
	printf("%s compared%s)\n", sb.buf, cl->checksum ? ", content by SHA-256" : "");
	strbuf_release(&sb);
	code = res.differences ? EXIT_FAILED : EXIT_DONE;
	fsrestore_result_release(&res);
	return code;
}

static int cmd_files_restore(const struct cli *cl)
{
	struct strbuf sb = STRBUF_INIT;
	struct fsrestore_opts o = { 0 };
	struct fsrestore_result res = { 0 };
	struct batch_state bst;
	struct report r;
	struct err e = ERR_INIT;
	char stamp[16];
	int code;

	if (cl->n_args != 2)
		return usage_error("%s", "files-restore needs SOURCE and TARGET");
	if (!fsrestore_is_remote(cl->args[0]) && check_input("source", cl->args[0], 1))
		return EXIT_USAGE;
	make_stamp(stamp);
	o.source = cl->args[0];
	o.target = cl->args[1];
	o.excludes = cl->excludes;
	if (cl->merge && cl->in_place)
		return usage_error("%s", "--merge and --in-place exclude each other");
	o.mode = cl->merge ? FSRESTORE_MERGE : cl->in_place ? FSRESTORE_INPLACE : FSRESTORE_REPLACE;
	o.confirm_inplace = cl->in_place && cl->yes;
	o.checksum = cl->checksum;
	o.xattrs = cl->xattrs;
	o.acls = cl->acls;
	o.keep_special_modes = cl->keep_modes;
	o.stamp = stamp;
	o.dry_run = cl->dry_run;
	batch_report_init(&r, &bst, NULL);
	batch_install_signals();
	if (fsrestore_run(&o, &r, &res, &e) < 0) {
		/* a system directory as the target: refused as restore refuses it */
		code = res.target_refused ? EXIT_USAGE : EXIT_FAILED;
		print_err(NULL, &e);
		err_clear(&e);
		fsrestore_result_release(&res);
		return batch_interrupted() ? EXIT_ABORTED : code;
	}
	if (!cl->dry_run) { /* a dry run logged what the source holds */
		struct stat st;
		/* an archive without "./" leaves the staging directory's 0700 */
		if (o.mode == FSRESTORE_REPLACE && !fsrestore_is_remote(o.source) &&
		    stat(o.source, &st) == 0 && !S_ISDIR(st.st_mode))
			fsrestore_fix_root_mode(o.target, res.kept_as, &r);
		fsrestore_add_counts(&sb, &res);
		strbuf_addstr(&sb, ", ");
		strbuf_addcount(&sb, res.bytes, "byte", "bytes");
		if (res.kept_as)
			strbuf_addf(&sb, "; old tree kept as %s", res.kept_as);
		if (res.modes_changed) {
			strbuf_addstr(&sb, "; ");
			strbuf_addcount(&sb, res.modes_changed, "mode", "modes");
			strbuf_addstr(&sb, " without set-id or world-write bits (listed above; "
				      "--keep-special-modes keeps them)");
		}
		/* refused members are errors gone past (bsdtar's delayed
		 * error exit): the tree lacks them */
		if (res.refused) {
			strbuf_addstr(&sb, "; ");
			strbuf_addcount(&sb, res.refused, "member", "members");
			strbuf_addstr(&sb, " refused (listed above), not restored");
		}
		fprintf(stderr, "%s\n", sb.buf);
	}
	code = res.refused && !cl->dry_run ? EXIT_CONTINUED : EXIT_DONE;
	strbuf_release(&sb);
	fsrestore_result_release(&res);
	return code;
}

int main(int argc, char **argv)
{
	struct cli cl;
	struct conf c;
	struct err e = ERR_INIT;
	char *dbname = NULL;
	int code;

	setlocale(LC_ALL, "");
	memset(&cl, 0, sizeof cl);
	code = parse_cli(argc, argv, &cl);
	if (code)
		return code < 0 ? EXIT_DONE : code;
	if (cl.dbname) {
		/* ps shows argv for the whole run: keep a copy, overwrite the
		 * password in argv[] itself (as the MySQL client does) */
		dbname = xstrdup(cl.dbname);
		conninfo_mask_password((char *)cl.dbname);
		cl.dbname = dbname;
	}
	if (cl.cmd && (!strcmp(cl.cmd, "files-restore") || !strcmp(cl.cmd, "files-verify"))) {
		code = !strcmp(cl.cmd, "files-restore") ? cmd_files_restore(&cl) : cmd_files_verify(&cl);
		goto out;
	}
	if (cl.cmd && !strcmp(cl.cmd, "db-inspect")) {
		code = cmd_db_inspect(&cl);
		goto out;
	}
	if (cl.cmd && strcmp(cl.cmd, "restore") && strcmp(cl.cmd, "db-restore") &&
	    strcmp(cl.cmd, "cleanup")) {
		code = usage_error("unknown command '%s'", cl.cmd);
		goto out;
	}
	if (load_conf(&c, &cl, &e) < 0) {
		print_err("configuration", &e);
		err_clear(&e);
		conf_release(&c);
		code = EXIT_USAGE;
		goto out;
	}
	if (cl.cmd && !strcmp(cl.cmd, "db-restore")) {
		code = cmd_db_restore(&cl, &c);
	} else if (cl.cmd && !strcmp(cl.cmd, "cleanup")) {
		batch_install_signals();
		code = cmd_cleanup(&cl, &c);
	} else if (cl.cmd) {
		batch_install_signals();
		code = cmd_restore(&cl, &c, 0);
	} else if (!isatty(0) || !isatty(1)) {
		fprintf(stderr, "biso-recover: the wizard needs a terminal; use "
				"'biso-recover restore --yes' for a batch restore\n");
		code = EXIT_USAGE;
	} else {
		code = cmd_restore(&cl, &c, 1);
	}
	conf_release(&c);
out:
	free(cl.excludes);
	free(dbname);
	return code;
}
