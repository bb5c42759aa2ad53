/*
 * cli: the command line's shared parts (ui/, private to the commands).
 *
 * main.c looks the command up in its table and parses its options once
 * into a struct cli, refusing those the command does not take; each command
 * family lives in its own ui/cmd_*.c and exports one struct command.  A new
 * command is one cmd_*.c, one entry in main.c's table and its line in
 * mk/ui.am.
 */
#ifndef BR_CLI_H
#define BR_CLI_H

#include "conf.h"
#include "err.h"

struct logfile;
struct run;

/* The options and arguments of one invocation.  The strings point into
 * argv (dbname to a copy main() owns: argv's is masked for ps). */
struct cli {
	const char *cmd;      /* the command word; NULL: the wizard */
	const char *config;
	const char *backup_root, *webroot, *datadir, *config_php, *dbname, *dump;
	const char *web_user, *log_dir, *only, *on_error, *at;
	int dbname_is_name;   /* --dbname was a bare database name (conninfo_is_name();
				 dbname holds it as "dbname='NAME'"): only the
				 database of the instance's connection changes */
	int jobs, yes, dry_run, create, merge, single_tx;
	int checksum, in_place, xattrs, acls; /* files-restore */
	int keep_modes;                       /* files-restore, files-verify */
	int no_check;                         /* db-restore: do not read the dump first */
	int follow;                           /* status: one line a second until the end */
	int restore_test;                     /* backup-verify: tier 2 */
	int keep[4];                          /* backup-prune: --keep-last, -daily, -weekly,
						 -monthly; -1 when not given */
	int list;                             /* drill: list scenarios and results */
	int all;                              /* drill --list: every past result,
						 not the newest DRILL_RESULTS_SHOWN */
	const char *sandbox;                  /* drill: the sandbox directory */
	const char *record, *replay;          /* drill: trainer mode's file */
	const char *drill_root;               /* set by drill: the sandbox a
						 restore is confined to (run_opts.
						 sandbox), and the DRILL banner */
	int resume;                           /* restore: continue the interrupted run */
	int again;                            /* restore: start though a restore
						 finished less than an hour ago */
	const char *runner;                   /* internal --runner STAMP: be the
						 detached runner of that run */
	int ask_steps;                        /* internal --ask-steps: the runner asks
						 before every step (the wizard's) */
	const char **excludes;
	size_t n_excludes;
	const char *source, *attachments;     /* refresh */
	const char **keep_tables;             /* refresh: --keep-table, repeatable */
	size_t n_keep_tables;
	int keep_old;                         /* refresh */
	const char *compress_level;           /* backup: --compress-level N, 1..9 */
	int *menu_again;                      /* a flow's wizard started from the
						 first screen: set to 1 when the
						 operator goes back to it from the
						 summary (wizard_opts.to_menu) */
	char **args;
	int n_args;
};

/* A command: what the global --help shows of it, its own --help, the
 * options it takes, and how it runs. */
struct command {
	const char *name;     /* the word on the command line; NULL: the wizard
				 (no command) */
	const char *synopsis; /* its lines of the global usage, without the
				 leading "Usage: " or indentation of the first */
	const char *help;     /* `biso-recover NAME --help`; NULL: none */
	/* The long options it takes besides --config, --help and --version,
	 * which every command takes, and --log-dir, which every command with
	 * needs_conf takes (main.c); NULL-terminated, without the "--".  Any
	 * other is a usage error, so this list and the --help above
	 * (tests/integration/command-options.sh) are the same. */
	const char *const *opts;
	int needs_conf;       /* load the configuration (and the command-line
				 overrides of it) before run */
	/* Run the command; @c is the loaded configuration, or NULL without
	 * needs_conf.  Returns an exit code (EXIT_* of frontend.h). */
	int (*run)(const struct cli *cl, struct conf *c);
};

/* The options that name the instance (cli_instance_opts() carries them
 * into the commands a summary or status offers, so every command that
 * works on the instance takes them all), for a command's opts list;
 * --log-dir, --config: every such command takes them. */
#define CLI_INSTANCE_OPTS "backup-root", "webroot", "datadir", "config-php", "dbname", "web-user"

/* The internal options a detached runner is started with (detached.c):
 * --runner STAMP, --ask-steps (the wizard's runner), --drill-root DIR;
 * listed by the commands that run as a runner, in no --help. */
#define CLI_RUNNER_OPTS "runner", "ask-steps", "drill-root"

/* Whether the command @cmd (its word; NULL: the wizard) takes the long
 * option @opt ("--name" or "name"): a global one, or one of its opts.
 * For the command lines built in the code (a runner's argv). */
int cli_command_takes(const char *cmd, const char *opt);

/* The environment variable that hands --dbname to a detached runner. */
#define CLI_RUNNER_DBNAME_ENV "BISO_RECOVER_RUNNER_DBNAME"

/* Name the command whose --help the usage errors point to (NULL: the
 * global one). */
void cli_set_usage_cmd(const char *cmd);

/* "biso-recover: MESSAGE" and "Try 'biso-recover [COMMAND ]--help'." on
 * stderr (frontend_print(): wrapped to the terminal's width), in the
 * operator's language: @fmt is a msgid (po/Makevars has this function among
 * xgettext's keywords).  Returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An input file named on the command line that cannot be read is a usage
 * error (exit 2, nothing touched): say so before any work starts.  A
 * directory is an input only where @dir_ok (a tree's source).  Returns 0,
 * or EXIT_USAGE after the message. */
int cli_check_input(const char *what, const char *path, int dir_ok); /* @what: a msgid */

/* "biso-recover: [WHAT: ]ERROR\n" appended to @out, as cli_print_err()
 * prints it (a runner hands it to its client); @what a msgid. */
struct strbuf;
void cli_format_err(const char *what, struct err *e, struct strbuf *out);

/* "biso-recover: [WHAT: ]ERROR" on stderr in the operator's language: @what
 * a msgid (an xgettext keyword too), @e by err_format_l10n(). */
void cli_print_err(const char *what, struct err *e);

/* Load the configuration file and apply the command-line overrides of
 * @cl.  -1 with @e set on a bad file or value; *@c is to be released
 * with conf_release() either way. */
int cli_load_conf(struct conf *c, const struct cli *cl, struct err *e);

/* The restore (line mode) or the wizard over @c, as `biso-recover restore`
 * and the wizard run it: a detached runner (detached.h), line mode or the
 * wizard its client; --dry-run in-process.  A drill calls it with
 * cl->drill_root set.  Returns an exit code. */
int cli_restore(const struct cli *cl, struct conf *c, int wizard);

/* Questions go to the terminal: 0 when there is one (/dev/tty opens),
 * else EXIT_USAGE after saying on stderr to give --yes.  Called after the
 * options are checked (a wrong --only is named, not the missing
 * terminal) and before anything is changed. */
int cli_need_terminal(void);

/* The options of @cl that name the instance (--config, --backup-root,
 * --webroot, --datadir, --config-php, --web-user, --log-dir; --dbname
 * unless it holds a password), each value shell-quoted where needed, each
 * with a leading space, for run_opts.instance_opts: the commands a
 * summary offers then work pasted as they are, from any directory (the
 * paths are absolute: cli_abs_path()).  malloc'd, "" when none. */
char *cli_instance_opts(const struct cli *cl);

/* The wizard of @flow ("restore", "refresh", "backup"; NULL, the first
 * screen: "restore") has no terminal: say so on stderr with the line-mode
 * command that does what it does: "biso-recover FLOW", refresh's
 * --attachments (@c's policy, given or configured, else
 * wizard_menu_first_policy(): the refresh refuses to run without one),
 * --yes where the flow asks (restore, refresh), and cli_instance_opts(),
 * so that it works pasted.  Returns EXIT_USAGE. */
int cli_wizard_needs_terminal(const struct cli *cl, const struct conf *c, const char *flow);

/* @path made absolute for a command the operator pastes elsewhere: its
 * realpath() when it exists, else the current directory prepended to a
 * relative one.  malloc'd. */
char *cli_abs_path(const char *path);

/* A backup killed while maintenance mode was on (kill -9) left its marker:
 * say so on stderr and switch it off (maintmark_recover()); with @dry_run
 * only say so.  Every command that loads the configuration calls it
 * first. */
void cli_recover_maintenance(const struct conf *c, int dry_run);

/* `biso-recover refresh` over @c (line mode), or the refresh the wizard
 * runs (@wizard): a detached runner, line mode or the wizard its client;
 * --dry-run in-process.  A drill calls it with cl->drill_root set.  The attachments policy is
 * c->refresh.attachments, in the runner from cl->attachments or the
 * configuration (a policy chosen on the wizard's first screen goes into
 * cl->attachments).  Returns an exit code. */
int cli_refresh(const struct cli *cl, struct conf *c, int wizard);

/* `biso-recover backup` over @c (line mode: a detached runner, its
 * client), or the backup the wizard runs (@wizard: the same runner, the
 * wizard its client, asked once before the start); with --dry-run the
 * plan, in-process.  Returns an exit code. */
int cli_backup(const struct cli *cl, struct conf *c, int wizard);

/* The DRILL banner for cl->drill_root (static text in the operator's
 * language). */
const char *cli_drill_banner(void);

/* Open the run log (mode 0600) of @run in its log_dir, named by its stamp
 * (run_set_log_path() gets its path); names carry the second, so a run
 * right after another waits for a new one.  NULL with @e set when it
 * cannot be created. */
struct logfile *cli_open_run_log(struct run *run, struct err *e);

/* The run log's last line: how the run ended, with its exit code. */
void cli_log_end(struct logfile *log, const struct run *run, int code);

/* @s on stdout, padded with blanks to @width terminal columns (a
 * translation may hold letters of two bytes, which printf's %-22s would
 * count twice); the blanks on the left of @s when @right.  For the
 * columns of a listing (cleanup, backup-list). */
void cli_column(const char *s, int width, int right);

/* A dry run's plan (run_plan_text()) on stdout: wrapped between words to
 * the terminal's width when stdout is one, as every line-mode text
 * (frontend_fprint()), else as it is; its manual commands (lines indented
 * by five blanks) stay whole, commands to paste. */
void cli_print_plan(const struct run *run);

/* "biso-recover: [WHAT: ]ERROR" for a run that could not start, @e
 * cleared: returns EXIT_USAGE. */
int cli_run_refused(const char *what, struct err *e);

/*
 * Run @flow in line mode in-process, the one way for a run that needs no
 * runner (a dry run, which changes nothing; detached.h runs the others):
 * without --dry-run or --yes a terminal to ask on is required first; then
 * run_new() with @ro (filled by
 * the caller with its options; dry_run is taken from @cl), the run log,
 * run_prepare() and run_preflight() (refused: "@what_plan" or "nothing
 * was touched", exit 2; stopped by Ctrl-C: 130), the plan for --dry-run, else batch_run() with
 * @banner (may be NULL) and run_finish(); the run log's end line.
 * Returns the exit code.
 */
struct flow_def;
struct run_opts;
int cli_run_flow(const struct flow_def *flow, const struct cli *cl, struct conf *c,
		 struct run_opts *ro, const char *what_plan, const char *banner);

#endif
