/*
 * biso-recover: command line.  Looks the command up in the table below,
 * parses its options into a struct cli (one it does not take, by its
 * struct command.opts, is a usage error) and runs it: the wizard (no
 * command, on a terminal), batch restore, or one of the single-purpose
 * commands.  Each command family lives in its own ui/cmd_*.c (cli.h).
 */
#include "config.h"
#include "cli.h"
#include "conf.h"
#include "conninfo.h"
#include "frontend.h"
#include "i18n.h"
#include "onexit.h"
#include "strbuf.h"

#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The commands, in the order the global usage lists them; the first, with
 * no name, is what runs without a command word. */
extern const struct command command_wizard, command_wizard_flow, command_restore, command_db_restore,
	command_db_inspect, command_cleanup, command_status, command_files_restore,
	command_files_verify, command_backup, command_backup_verify, command_backup_list, command_backup_prune, command_refresh, command_drill, command_rollback;
static const struct command *const commands[] = {
	&command_wizard,
	&command_wizard_flow,
	&command_restore,
	&command_rollback,
	&command_db_restore,
	&command_db_inspect,
	&command_cleanup,
	&command_status,
	&command_files_restore,
	&command_files_verify,
	&command_backup,
	&command_backup_verify,
	&command_backup_list,
	&command_backup_prune,
	&command_refresh,
	&command_drill,
};

/* The global usage after the commands' synopses. */
static const char usage_text[] = N_(
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
"  --dbname CONNINFO      target database as a libpq conninfo, or just its\n"
"                         name, as psql takes it (default: config.php); a\n"
"                         password is better in ~/.pgpass or PGPASSFILE\n"
"  --dump FILE            plain-format dump to replay (default: newest in db/)\n"
"  --at YYYYMMDD[_HHMMSS] use the newest backups taken at or before then\n"
"  --web-user USER[:GROUP]\n"
"                         owner of the datadir (default www-data)\n"
"  --log-dir DIR          where the run log and the verification report go\n"
"  --jobs N               database connections for the replay (0: all cores)\n"
"  --on-error stop|continue  stop at the first failing statement (default), or\n"
"                         go on like psql and count the errors (exit 3)\n"
"  --only STEP[,STEP]     run only these steps\n"
"  --again                the restore: start it without asking although a\n"
"                         restore finished less than an hour ago\n"
"  --dry-run              print the plan and the manual commands, touch nothing\n"
"  --sandbox DIR          where a drill chosen on the first screen builds its\n"
"                         sandbox (as for drill)\n"
"  -h, --help             this help; COMMAND --help explains a command's options\n"
"  -V, --version          the version\n"
"\n"
"Exit codes: 0 done; 1 a step failed (old data kept); 2 usage or configuration\n"
"error; 3 finished with errors gone past (a step skipped by the operator, or\n"
"archive members refused: counted in the summary); 7 not confirmed (a typed\n"
"confirmation did not match 3 times); 130 aborted (by the operator, or by\n"
"SIGHUP/SIGTERM: the log says which).\n");

/* The command named @name (NULL: the wizard), or NULL when none is. */
static const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (name ? commands[i]->name && !strcmp(commands[i]->name, name) : !commands[i]->name)
			return commands[i];
	return NULL;
}

/* `biso-recover [COMMAND] --help` on stdout: the command's own help, or
 * the global usage (also for a word that names no command). */
static void print_help(const char *cmd)
{
	const struct command *k = cmd ? command_find(cmd) : NULL;
	/* a command's help and synopsis are translated once its ui/cmd_*.c
	 * marks them with N_() and is listed in po/POTFILES.in */
	if (k && k->help) {
		fputs(_(k->help), stdout);
		return;
	}
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
		/* TRANSLATORS: the synopses after the first are indented by 7
		 * blanks; a longer word ends with a line end and 7 blanks */
		fputs(i ? "       " : _("Usage: "), stdout);
		fputs(_(commands[i]->synopsis), stdout);
	}
	fputs(_(usage_text), stdout);
}

enum {
	OPT_CONFIG = 256, OPT_BACKUP_ROOT, OPT_WEBROOT, OPT_DATADIR, OPT_CONFIG_PHP,
	OPT_DBNAME, OPT_DUMP, OPT_WEB_USER, OPT_LOG_DIR, OPT_JOBS, OPT_ONLY, OPT_YES,
	OPT_DRY_RUN, OPT_CREATE, OPT_ON_ERROR, OPT_EXCLUDE, OPT_MERGE, OPT_SINGLE_TX,
	OPT_CHECKSUM, OPT_IN_PLACE, OPT_XATTRS, OPT_ACLS, OPT_AT, OPT_NO_CHECK, OPT_KEEP_MODES,
	OPT_FOLLOW, OPT_KEEP_LAST, OPT_KEEP_DAILY, OPT_KEEP_WEEKLY, OPT_KEEP_MONTHLY, OPT_RESTORE_TEST,
	OPT_SOURCE, OPT_ATTACHMENTS, OPT_KEEP_TABLE, OPT_KEEP_OLD,
	OPT_LIST, OPT_SANDBOX, OPT_RECORD, OPT_REPLAY, OPT_RESUME, OPT_RUNNER,
	OPT_ASK_STEPS, OPT_DRILL_ROOT, OPT_COMPRESS_LEVEL, OPT_ALL, OPT_AGAIN
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
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "restore-test", no_argument, NULL, OPT_RESTORE_TEST },
	{ "keep-last", required_argument, NULL, OPT_KEEP_LAST },
	{ "keep-daily", required_argument, NULL, OPT_KEEP_DAILY },
	{ "keep-weekly", required_argument, NULL, OPT_KEEP_WEEKLY },
	{ "keep-monthly", required_argument, NULL, OPT_KEEP_MONTHLY },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "attachments", required_argument, NULL, OPT_ATTACHMENTS },
	{ "keep-table", required_argument, NULL, OPT_KEEP_TABLE },
	{ "keep-old", no_argument, NULL, OPT_KEEP_OLD },
	{ "compress-level", required_argument, NULL, OPT_COMPRESS_LEVEL },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "sandbox", required_argument, NULL, OPT_SANDBOX },
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "replay", required_argument, NULL, OPT_REPLAY },
	{ "resume", no_argument, NULL, OPT_RESUME },
	{ "again", no_argument, NULL, OPT_AGAIN },
	/* internal: the detached runner of run STAMP (cmd_restore.c) */
	{ "runner", required_argument, NULL, OPT_RUNNER },
	/* internal, with --runner: ask before every step (the wizard's runner),
	 * and a drill's sandbox */
	{ "ask-steps", no_argument, NULL, OPT_ASK_STEPS },
	{ "drill-root", required_argument, NULL, OPT_DRILL_ROOT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* The long options every command takes; a command's table lists the
 * others it takes (struct command.opts). */
static const char *const global_opts[] = { "config", "help", "version", NULL };
/* ... and those every command that loads the configuration (needs_conf)
 * takes: main() looks for a killed backup's maintenance marker in its
 * log_dir first (cli_recover_maintenance()). */
static const char *const conf_opts[] = { "log-dir", NULL };

/* Whether @opt is one of the NULL-terminated @list (NULL: empty). */
static int opt_in(const char *const *list, const char *opt)
{
	for (; list && *list; list++)
		if (!strcmp(*list, opt))
			return 1;
	return 0;
}

int cli_command_takes(const char *cmd, const char *opt)
{
	const struct command *k = command_find(cmd);
	if (!strncmp(opt, "--", 2))
		opt += 2;
	return opt_in(global_opts, opt) || (k && k->needs_conf && opt_in(conf_opts, opt)) ||
	       (k && opt_in(k->opts, opt));
}

/* @opt (a long option's name) given to @k, which does not take it: a
 * usage error, naming the commands that do. */
static int not_taken(const struct command *k, const char *opt)
{
	struct strbuf sb = STRBUF_INIT, others = STRBUF_INIT;
	int code;
	if (k->name)
		strbuf_addf(&sb, _("%s does not take --%s"), k->name, opt);
	else
		strbuf_addf(&sb, _("the wizard does not take --%s"), opt);
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (commands[i]->name && cli_command_takes(commands[i]->name, opt))
			strbuf_addf(&others, "%s%s", others.len ? ", " : "", commands[i]->name);
	if (others.len) {
		strbuf_addstr(&sb, "; ");
		strbuf_addf(&sb, _("it is an option of: %s"), others.buf);
	}
	code = cli_usage_error("%s", sb.buf);
	strbuf_release(&sb);
	strbuf_release(&others);
	return code;
}

static int parse_cli(int argc, char **argv, struct cli *cl)
{
	const struct command *k = NULL;
	int c, idx;
	/* The command is the first word that is not an option or an option's
	 * value: "biso-recover --config X restore" works too. */
	for (int i = 1; i < argc; i++) {
		const struct option *lo;
		if (!strcmp(argv[i], "--"))
			break;
		if (argv[i][0] != '-') {
			k = command_find(argv[i]);
			cl->cmd = argv[i];
			cli_set_usage_cmd(k && k->help ? k->name : NULL);
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
	if (!cl->cmd)
		k = command_find(NULL);
	opterr = 0;
	while (idx = -1, (c = getopt_long(argc, argv, ":hV", long_opts, &idx)) != -1) {
		/* an option the command does not take is refused before any
		 * work (an unknown command word is named after parsing) */
		if (k && idx >= 0 && c != ':' && c != '?' && !cli_command_takes(k->name, long_opts[idx].name))
			return not_taken(k, long_opts[idx].name);
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
				return cli_usage_error("--on-error takes stop or continue, not '%s'", optarg);
			cl->on_error = optarg;
			break;
		case OPT_YES: cl->yes = 1; break;
		case OPT_DRY_RUN: cl->dry_run = 1; break;
		case OPT_RESUME: cl->resume = 1; break;
		case OPT_AGAIN: cl->again = 1; break;
		case OPT_CREATE: cl->create = 1; break;
		case OPT_MERGE: cl->merge = 1; break;
		case OPT_CHECKSUM: cl->checksum = 1; break;
		case OPT_IN_PLACE: cl->in_place = 1; break;
		case OPT_XATTRS: cl->xattrs = 1; break;
		case OPT_ACLS: cl->acls = 1; break;
		case OPT_KEEP_MODES: cl->keep_modes = 1; break;
		case OPT_FOLLOW: cl->follow = 1; break;
		case OPT_RESTORE_TEST: cl->restore_test = 1; break;
		case OPT_KEEP_LAST:
		case OPT_KEEP_DAILY:
		case OPT_KEEP_WEEKLY:
		case OPT_KEEP_MONTHLY: {
			static const char *const names[] = { "--keep-last", "--keep-daily",
							     "--keep-weekly", "--keep-monthly" };
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 0 || n > 100000)
				return cli_usage_error("%s takes a number of backups (1 or more), not '%s'",
						   names[c - OPT_KEEP_LAST], optarg);
			/* 0 reads as "keep none" to one and "no limit" to
			 * another: neither is what a prune should guess
			 * (newcomer 8.12) */
			if (n == 0)
				return cli_usage_error("%s 0 would keep no backup by that rule: keep at "
						       "least 1 (to turn off a rule of the configuration, "
						       "set it to 0 there)", names[c - OPT_KEEP_LAST]);
			cl->keep[c - OPT_KEEP_LAST] = (int)n;
			break;
		}
		case OPT_LIST: cl->list = 1; break;
		case OPT_ALL: cl->all = 1; break;
		case OPT_SANDBOX: cl->sandbox = optarg; break;
		case OPT_RECORD: cl->record = optarg; break;
		case OPT_REPLAY: cl->replay = optarg; break;
		case OPT_RUNNER: cl->runner = optarg; break;
		case OPT_ASK_STEPS: cl->ask_steps = 1; break;
		case OPT_DRILL_ROOT: cl->drill_root = optarg; break;
		case OPT_SINGLE_TX: cl->single_tx = 1; break;
		case OPT_JOBS: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 0 || n > 64)
				return cli_usage_error("--jobs takes a number from 0 (all cores) to 64, not '%s'",
						   optarg);
			cl->jobs = n ? (int)n : -1;
			break;
		}
		case OPT_EXCLUDE:
			cl->excludes = xrealloc(cl->excludes, (cl->n_excludes + 2) * sizeof *cl->excludes);
			cl->excludes[cl->n_excludes++] = optarg;
			cl->excludes[cl->n_excludes] = NULL;
			break;
		case OPT_SOURCE: cl->source = optarg; break;
		case OPT_ATTACHMENTS:
			if (strcmp(optarg, "copy") && strcmp(optarg, "skip") && strcmp(optarg, "placeholder"))
				return cli_usage_error("--attachments takes copy, skip or placeholder, not '%s'",
						   optarg);
			cl->attachments = optarg;
			break;
		case OPT_KEEP_TABLE:
			cl->keep_tables = xrealloc(cl->keep_tables,
						   (cl->n_keep_tables + 2) * sizeof *cl->keep_tables);
			cl->keep_tables[cl->n_keep_tables++] = optarg;
			cl->keep_tables[cl->n_keep_tables] = NULL;
			break;
		case OPT_KEEP_OLD: cl->keep_old = 1; break;
		case OPT_COMPRESS_LEVEL:
			if (strlen(optarg) != 1 || optarg[0] < '1' || optarg[0] > '9')
				return cli_usage_error("--compress-level takes a level from 1 (fastest) to 9 "
						   "(smallest), not '%s'", optarg);
			cl->compress_level = optarg;
			break;
		case 'h':
			print_help(cl->cmd);
			return -1;
		case 'V':
			printf("%s\n", PACKAGE_STRING);
			return -1;
		case ':':
			return cli_usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	cl->args = argv + optind;
	cl->n_args = argc - optind;
	if (cl->n_args && (!cl->cmd || !strcmp(cl->cmd, "restore") || !strcmp(cl->cmd, "refresh")))
		return cli_usage_error("unexpected argument '%s'", cl->args[0]);
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	struct cli cl;
	struct conf c;
	struct err e = ERR_INIT;
	char *dbname = NULL;
	int code;

	i18n_init(); /* setlocale(LC_ALL, ""), the text domain */
	/* a signal that ends the process gives the terminal back first */
	onexit_catch_signals();
	memset(&cl, 0, sizeof cl);
	for (size_t i = 0; i < sizeof cl.keep / sizeof *cl.keep; i++)
		cl.keep[i] = -1;
	code = parse_cli(argc, argv, &cl);
	if (code)
		return code < 0 ? EXIT_DONE : code;
	if (cl.runner && getenv(CLI_RUNNER_DBNAME_ENV)) {
		/* the runner's conninfo comes through the environment (private
		 * to us, unlike argv): no password in its argv even briefly */
		cl.dbname = dbname = xstrdup(getenv(CLI_RUNNER_DBNAME_ENV));
		unsetenv(CLI_RUNNER_DBNAME_ENV);
	} else if (cl.dbname) {
		/* ps shows argv for the whole run: keep a copy, overwrite the
		 * password in argv[] itself (as the MySQL client does) */
		dbname = xstrdup(cl.dbname);
		conninfo_mask_password((char *)cl.dbname);
		cl.dbname = dbname;
	}
	if (dbname) {
		/* a bare name is the database's, as psql takes it */
		cl.dbname_is_name = conninfo_is_name(dbname);
		cl.dbname = conninfo_normalize(dbname);
		free(dbname);
		dbname = (char *)cl.dbname;
	}
	cmd = command_find(cl.cmd);
	if (!cmd) {
		code = cli_usage_error("unknown command '%s'", cl.cmd);
	} else if (!cmd->needs_conf) {
		code = cmd->run(&cl, NULL);
	} else if (cli_load_conf(&c, &cl, &e) < 0) {
		cli_print_err("configuration", &e);
		err_clear(&e);
		conf_release(&c);
		code = EXIT_USAGE;
	} else {
		cli_recover_maintenance(&c, cl.dry_run);
		code = cmd->run(&cl, &c);
		conf_release(&c);
	}
	free(cl.excludes);
	free(cl.keep_tables);
	free(dbname);
	return code;
}
