/* detached: a flow run by a detached runner, line mode its client; see
 * detached.h. */
#include "config.h"
#include "cli.h"
#include "conninfo.h"
#include "client.h"
#include "detach.h"
#include "detached.h"
#include "drill.h"
#include "selfexe.h"
#include "frontend.h"
#include "i18n.h"
#include "lock.h"
#include "logfile.h"
#include "run.h"
#include "runcmd.h"
#include "runner.h"
#include "sha256.h"
#include "rundir.h"
#include "statusfile.h"
#include "strbuf.h"
#include "wizard.h"

#include <fcntl.h>
#include <stddef.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

char *detached_socket_of(const char *log_dir, const char *run_id, struct err *e)
{
	char *dir = rundir_open(log_dir, e), *path, *real, *name;
	char hex[2 * SHA256_DIGEST_LEN + 1];
	uint8_t d[SHA256_DIGEST_LEN];
	struct sha256 h;
	if (!dir)
		return NULL;
	real = realpath(log_dir, NULL);
	sha256_init(&h);
	sha256_update(&h, real ? real : log_dir, strlen(real ? real : log_dir));
	sha256_final(&h, d);
	sha256_hex(d, hex);
	name = xstrfmt("%s-%.8s", run_id, hex);
	path = rundir_socket_path(dir, name, e);
	free(name);
	free(real);
	free(dir);
	return path;
}

int detached_listens(const char *log_dir, const struct status *st)
{
	struct err e = ERR_INIT;
	char *sock = detached_socket_of(log_dir, st->run_id, &e);
	int fd = sock ? rundir_connect(sock, &e) : -1;
	if (fd >= 0)
		close(fd); /* the runner sees a client come and go */
	err_clear(&e);
	free(sock);
	return fd >= 0;
}

int detached_live_run(const char *log_dir, struct status *st)
{
	struct err e = ERR_INIT;
	char *path = NULL;
	int found = 0;
	memset(st, 0, sizeof *st);
	if (statusfile_latest(log_dir, &path, &e) == 1 && statusfile_read(path, st, &e) == 1 &&
	    st->state != STATUS_FINISHED && lock_process_alive(st->pid, st->start) &&
	    detached_listens(log_dir, st))
		found = 1;
	err_clear(&e);
	free(path);
	if (!found)
		status_clear(st);
	return found;
}

int detached_died_run(const char *log_dir, struct status *st)
{
	struct err e = ERR_INIT;
	char *path = NULL;
	int died = 0;
	memset(st, 0, sizeof *st);
	if (statusfile_latest(log_dir, &path, &e) == 1 && statusfile_read(path, st, &e) == 1 &&
	    st->state != STATUS_FINISHED && !lock_process_alive(st->pid, st->start))
		died = 1;
	err_clear(&e);
	free(path);
	if (!died)
		status_clear(st);
	return died;
}

/* Follow the runner at @sock with the wizard.  Returns as wizard_run(),
 * WIZARD_LEFT as 130 (the run goes on without this terminal). */
static int follow_wizard(const struct cli *cl, const char *sock, const char *log_path, long pid,
			 int reattach, const char *resume_cmd, const char *again)
{
	struct wizard_opts wo = { 0 };
	int code;
	wo.resume_cmd = resume_cmd;
	wo.again = again;
	wo.socket_path = sock;
	wo.log_path = log_path;
	wo.runner_pid = pid;
	wo.banner = cl->drill_root ? cli_drill_banner() : NULL;
	wo.drill_banner = cli_drill_banner();
	wo.reattach = reattach;
	wo.to_menu = cl->menu_again;
	code = wizard_run(&wo);
	return code == WIZARD_LEFT ? EXIT_ABORTED : code;
}

/* "A backup of this instance is running", for the re-attach line. */
static const char *running_text(const char *flow)
{
	static const struct {
		const char *flow, *text;
	} texts[] = {
		{ "restore", N_("A restore of this instance is running") },
		{ "backup", N_("A backup of this instance is running") },
		{ "refresh", N_("A refresh of this instance is running") },
		{ "rollback", N_("A rollback of this instance is running") },
	};
	for (size_t k = 0; flow && k < sizeof texts / sizeof texts[0]; k++)
		if (!strcmp(flow, texts[k].flow))
			return _(texts[k].text);
	return _("A run of this instance is running");
}

int detached_attach(const struct cli *cl, const struct conf *c, struct status *st, int wizard)
{
	struct client_opts co = { 0 };
	struct err e = ERR_INIT;
	char *sock = detached_socket_of(c->log_dir, st->run_id, &e), *logpath;
	int code;
	if (!sock) {
		status_clear(st);
		return cli_run_refused(NULL, &e);
	}
	logpath = xstrfmt("%s/biso-recover-%s.log", c->log_dir, st->run_id);
	co.socket_path = sock;
	co.log_path = logpath;
	co.runner_pid = st->pid;
	co.reattach = 1;
	co.run_id = st->run_id;
	co.running = running_text(st->flow);
	/* the run's own command, from its runner (the status file) */
	co.resume_cmd = st->resume && *st->resume ? st->resume : NULL;
	code = wizard ? follow_wizard(cl, sock, logpath, st->pid, 1, co.resume_cmd, NULL)
		      : client_follow(&co);
	free(sock);
	free(logpath);
	status_clear(st);
	return code;
}

/* Append @opt and its @val to the NULL-terminated @argv of *@n words; a
 * NULL @val: @opt alone.  Only an option the command @cmd takes
 * (cli_command_takes()): the wizard's options reach the runner of the flow
 * its first screen chose, which may not take them all. */
static void add_opt(const char ***argv, size_t *n, const char *cmd, const char *opt, const char *val)
{
	if (!cli_command_takes(cmd, opt))
		return;
	*argv = xrealloc(*argv, (*n + 3) * sizeof **argv);
	(*argv)[(*n)++] = opt;
	if (val)
		(*argv)[(*n)++] = val;
	(*argv)[*n] = NULL;
}

/* The options that shape a run, passed on to its runner as given;
 * instance: one of those cli_instance_opts() names (the instance). */
static const struct {
	const char *flag;
	size_t field; /* offsetof a const char * in struct cli */
	int instance;
} runner_opts[] = {
	{ "--config", offsetof(struct cli, config), 1 },
	{ "--backup-root", offsetof(struct cli, backup_root), 1 },
	{ "--webroot", offsetof(struct cli, webroot), 1 },
	{ "--datadir", offsetof(struct cli, datadir), 1 },
	{ "--config-php", offsetof(struct cli, config_php), 1 },
	{ "--dump", offsetof(struct cli, dump), 0 },
	{ "--at", offsetof(struct cli, at), 0 },
	{ "--web-user", offsetof(struct cli, web_user), 1 },
	{ "--log-dir", offsetof(struct cli, log_dir), 1 },
	{ "--only", offsetof(struct cli, only), 0 },
	{ "--on-error", offsetof(struct cli, on_error), 0 },
	{ "--source", offsetof(struct cli, source), 0 },
	{ "--attachments", offsetof(struct cli, attachments), 0 },
	{ "--compress-level", offsetof(struct cli, compress_level), 0 },
};

/* Attach to @st, a live run of @df's flow, in line mode as the command
 * started again; the exit code as start_or_attach() returns it. */
static int attach_again(const struct detached_flow *df, const struct cli *cl,
			const struct conf *c, struct status *st)
{
	char *logpath = xstrfmt("%s/biso-recover-%s.log", c->log_dir, st->run_id);
	int code = detached_attach(cl, c, st, 0);
	if (df->ended && !client_hung_up())
		df->ended(code, logpath);
	free(logpath);
	return code;
}

/* @base ("biso-recover restore --resume"), the options of @cl that name
 * the instance (cli_instance_opts(): --dbname too, unless it holds a
 * password) and those that chose its backups (--dump, --at, ...; not
 * --only, which --resume refuses) that @cmd takes, shell-quoted for the
 * operator to paste, into @out. */
static void resume_command(const char *base, const char *cmd, const struct cli *cl,
			   struct strbuf *out)
{
	const char **argv = NULL;
	char *inst = cli_instance_opts(cl), *dump = NULL;
	size_t n = 0;
	for (size_t k = 0; k < sizeof runner_opts / sizeof runner_opts[0]; k++) {
		const char *v = *(const char *const *)((const char *)cl + runner_opts[k].field);
		if (v && !runner_opts[k].instance && strcmp(runner_opts[k].flag, "--only"))
			add_opt(&argv, &n, cmd, runner_opts[k].flag,
				!strcmp(runner_opts[k].flag, "--dump") ? (dump = cli_abs_path(v)) : v);
	}
	strbuf_addstr(out, base);
	strbuf_addstr(out, inst);
	if (argv) {
		strbuf_addch(out, ' ');
		runcmd_format_argv(argv, out);
	}
	free(argv);
	free(inst);
	free(dump);
}

/* A run of @df's flow finished moments ago and replaced what this run
 * would replace again, as @text says (run_again_text(): a second restore
 * over the first, whose kept copies the rollback would then no longer
 * reach): say so first, then with --yes refuse, else ask, the default no.
 * 0 to go on, or the exit code (EXIT_NOT_CONFIRMED). */
static int ask_again(const struct detached_flow *df, const struct cli *cl, const char *text)
{
	struct strbuf sb = STRBUF_INIT, answer = STRBUF_INIT;
	int ok = 0;

	strbuf_addstr(&sb, text);
	strbuf_rtrim(&sb);
	frontend_print(sb.buf);
	strbuf_reset(&sb);
	if (!cl->yes) {
		/* TRANSLATORS: "yes" stays: it is what is typed */
		strbuf_addf(&sb, _("Start the %s again anyway? Type yes to start it (anything "
				   "else: no):"), df->command);
		ok = frontend_ask(sb.buf, &answer) == 0 && !strcmp(answer.buf, "yes");
		strbuf_reset(&sb);
	}
	if (!ok) {
		strbuf_addf(&sb, _("biso-recover: %s not started (exit 7): to start it again "
				   "anyway, give --again"), df->command);
		frontend_print(sb.buf);
	}
	strbuf_release(&sb);
	strbuf_release(&answer);
	return ok ? 0 : EXIT_NOT_CONFIRMED;
}

static int start_or_attach(const struct detached_flow *df, const struct cli *cl, struct conf *c,
			   int wizard)
{
	struct run_opts ro = { 0 };
	struct client_opts co = { 0 };
	struct detach_opts dopt = { 0 };
	struct detach_result res = { 0 };
	struct strbuf resume = STRBUF_INIT, again_text = STRBUF_INIT;
	struct status st;
	struct err e = ERR_INIT;
	struct run *run;
	struct logfile *log;
	const char **argv = NULL;
	char exe[PATH_MAX], jobs[16], *sock, *unit, *opts;
	size_t n = 0;
	long len;
	int code;

	client_install_signals();
	if (!wizard && cl->drill_root)
		fprintf(stderr, "%s\n", cli_drill_banner()); /* line mode's first line */
	if (detached_live_run(c->log_dir, &st)) {
		/* line mode attaches to its own flow's run; the wizard to any */
		if (wizard)
			return detached_attach(cl, c, &st, 1);
		if (st.flow && !strcmp(st.flow, df->command))
			return attach_again(df, cl, c, &st);
		status_clear(&st); /* another flow's: the locks decide */
	}
	if (wizard && (!isatty(0) || !isatty(1))) {
		return cli_wizard_needs_terminal(cl, c, df->command);
	}
	if ((code = df->options(cl, &ro)) != 0)
		return code;
	/* the stamp and the log; --only checked before anything starts */
	ro.instance_opts = opts = cli_instance_opts(cl); /* for ask_again()'s commands */
	run = run_new(df->flow, c, &ro, &e);
	free(opts);
	ro.instance_opts = NULL;
	if (!run)
		return cli_run_refused(NULL, &e);
	/* questions go to the terminal: after the options' checks, so that a
	 * wrong option is named first */
	if (!cl->yes && !wizard && !df->no_questions && (code = cli_need_terminal()) != 0) {
		run_free(run);
		return code;
	}
	/* a restore over one that finished moments ago: line mode asks here,
	 * the wizard on a screen of its own before the first step (the runner
	 * waits at that step's question meanwhile) */
	if (!cl->again)
		run_again_text(run, time(NULL), &again_text, NULL);
	if (!wizard && again_text.len && (code = ask_again(df, cl, again_text.buf)) != 0) {
		strbuf_release(&again_text);
		run_free(run);
		return code;
	}
	if (!(log = cli_open_run_log(run, &e))) {
		strbuf_release(&again_text);
		run_free(run);
		return cli_run_refused(NULL, &e);
	}
	len = self_exe_path(exe, sizeof exe);
	argv = xcalloc(3, sizeof *argv);
	argv[n++] = len > 0 ? exe : "biso-recover";
	argv[n++] = df->command;
	add_opt(&argv, &n, df->command, "--runner", run_stamp(run));
	for (size_t k = 0; k < sizeof runner_opts / sizeof runner_opts[0]; k++) {
		const char *v = *(const char *const *)((const char *)cl + runner_opts[k].field);
		if (v)
			add_opt(&argv, &n, df->command, runner_opts[k].flag, v);
	}
	for (size_t k = 0; k < cl->n_keep_tables; k++)
		add_opt(&argv, &n, df->command, "--keep-table", cl->keep_tables[k]);
	if (cl->keep_old)
		add_opt(&argv, &n, df->command, "--keep-old", NULL);
	if (cl->jobs) {
		snprintf(jobs, sizeof jobs, "%d", cl->jobs < 0 ? 0 : cl->jobs);
		add_opt(&argv, &n, df->command, "--jobs", jobs);
	}
	if (cl->yes && !wizard)
		add_opt(&argv, &n, df->command, "--yes", NULL);
	if (wizard)
		add_opt(&argv, &n, df->command, "--ask-steps", NULL);
	if (cl->resume)
		add_opt(&argv, &n, df->command, "--resume", NULL);
	if (cl->drill_root)
		add_opt(&argv, &n, df->command, "--drill-root", cl->drill_root);
	if (cl->dbname_is_name) {
		/* as given: the runner then keeps the instance's host too */
		char *name = conninfo_get(cl->dbname, "dbname");
		setenv(CLI_RUNNER_DBNAME_ENV, name ? name : cl->dbname, 1);
		free(name);
	} else if (cl->dbname) {
		setenv(CLI_RUNNER_DBNAME_ENV, cl->dbname, 1);
	}
	unit = xstrfmt("biso-recover-%s", run_stamp(run));
	dopt.argv = argv;
	dopt.log_path = run_log_path(run);
	dopt.unit = unit;
	dopt.scope = DETACH_SCOPE_AUTO;
	dopt.wait_ready = 1;
	code = detach_start(&dopt, &res, &e);
	unsetenv(CLI_RUNNER_DBNAME_ENV);
	free(unit);
	free(argv);
	if (code < 0) {
		logfile_write(log, LOG_ERROR, e.msg);
		logfile_close(log);
		strbuf_release(&again_text);
		run_free(run);
		return cli_run_refused(df->what_start, &e);
	}
	logfile_write(log, LOG_INFO, res.note ? res.note : "the runner runs in a systemd scope of its own");
	free(res.note);
	logfile_close(log);
	sock = detached_socket_of(c->log_dir, run_stamp(run), &e);
	if (!sock) {
		strbuf_release(&again_text);
		run_free(run);
		return cli_run_refused(NULL, &e);
	}
	co.socket_path = sock;
	co.log_path = run_log_path(run);
	co.runner_pid = (long)res.pid;
	if (df->resume)
		resume_command(df->resume, df->command, cl, &resume);
	co.resume_cmd = df->resume ? resume.buf : NULL;
	code = wizard ? follow_wizard(cl, sock, co.log_path, co.runner_pid, 0, co.resume_cmd,
				      again_text.len ? again_text.buf : NULL)
		      : client_follow(&co);
	strbuf_release(&resume);
	strbuf_release(&again_text);
	if (!wizard && df->ended && !client_hung_up())
		df->ended(code, run_log_path(run));
	free(sock);
	run_free(run);
	if (code == WIZARD_RESUME) {
		/* nothing ran: the wizard again, on the interrupted run */
		struct cli again = *cl;
		again.resume = 1;
		return start_or_attach(df, &again, c, 1);
	}
	return code;
}

int detached_start_or_attach(const struct detached_flow *df, const struct cli *cl, struct conf *c)
{
	return start_or_attach(df, cl, c, 0);
}

int detached_wizard(const struct detached_flow *df, const struct cli *cl, struct conf *c)
{
	return start_or_attach(df, cl, c, 1);
}

int detached_or_plan(const struct detached_flow *df, const struct cli *cl, struct conf *c,
		     int wizard)
{
	struct run_opts ro = { 0 };
	int code;

	if (!cl->dry_run) /* a runner's client: the wizard or line mode */
		return wizard ? detached_wizard(df, cl, c) : detached_start_or_attach(df, cl, c);
	if ((code = df->options(cl, &ro)) != 0)
		return code;
	ro.sandbox = cl->drill_root;
	return cli_run_flow(df->flow, cl, c, &ro, df->what_plan,
			    cl->drill_root ? cli_drill_banner() : NULL);
}

static void runner_on_signal(int sig)
{
	runner_signal(sig);
}

/*
 * The runner's work after runner_start(): prepare, check and drive @run
 * (owned: freed here, its locks with it, before the end is sent), the
 * summaries (the client's, for the @wizard without a heading; the log's
 * English), finish, the log's end line, runner_end().  A refused preflight
 * says @df's what_refused and exits with its refused_code (one stopped by
 * a signal or a client: 130).  Returns the exit code.
 */
static int serve(const struct detached_flow *df, int wizard, struct runner *rn, struct run *run,
		 struct logfile *log)
{
	struct report *r = runner_report(rn);
	struct err e = ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	const char *refused = NULL;
	int code, planned = 0;

	if (run_prepare(run, r, &e) < 0)
		refused = df->what_plan;
	else if (planned = 1, run_preflight(run, r, &e) < 0)
		refused = df->what_refused ? df->what_refused : N_("nothing was touched");
	if (refused) {
		logfile_write(log, LOG_ERROR, e.msg);
		cli_format_err(refused, &e, &sb);
		err_clear(&e);
		code = planned && df->refused_code ? df->refused_code : EXIT_USAGE;
		if (report_cancelled(r))
			code = EXIT_ABORTED; /* stopped (a signal, a client), not refused */
		cli_log_end(log, run, code);
		run_free(run);
		runner_end(rn, code, sb.buf, 10000);
		strbuf_release(&sb);
		return code;
	}
	code = runner_drive(rn, run);
	run_cleanups(run, r); /* what the cleanups did goes into the summary */
	{
		/* what the client prints, as batch_run() prints it */
		struct strbuf sum = STRBUF_INIT;
		run_summary(run, &sum);
		if (wizard)
			strbuf_addbuf(&sb, &sum); /* the wizard has its own heading */
		else
			strbuf_addf(&sb, _("\nSummary:\n%s"), sum.buf);
		strbuf_release(&sum);
	}
	logfile_write(log, LOG_INFO, "summary follows");
	{
		/* the log's summary is the English one */
		struct strbuf lines = STRBUF_INIT;
		int was = i18n_english(1);
		run_summary(run, &lines);
		i18n_english(was);
		for (char *line = lines.buf, *nl; *line; line = nl + 1) {
			if (!(nl = strchr(line, '\n')))
				break;
			*nl = '\0';
			logfile_write(log, LOG_INFO, line);
		}
		strbuf_release(&lines);
	}
	run_finish(run, code, r);
	cli_log_end(log, run, code);
	/* the locks go before the end: a wizard left on its summary holds
	 * nothing, and the next command (a nightly backup) may run */
	run_free(run);
	runner_end(rn, code, sb.buf, 10000);
	strbuf_release(&sb);
	return code;
}

int detached_runner_main(const struct detached_flow *df, const struct cli *cl, struct conf *c)
{
	struct run_opts ro = { 0 };
	struct runner_opts rno = { 0 };
	struct sigaction sa;
	struct runner *rn;
	struct run *run;
	struct logfile *log;
	struct err e = ERR_INIT;
	const char *path = NULL;
	struct strbuf resume = STRBUF_INIT;
	char *sock, *status, *opts;
	int code;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = runner_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if ((code = df->options(cl, &ro)) != 0)
		return code;
	ro.stamp = cl->runner;
	ro.resume = cl->resume;
	ro.sandbox = cl->drill_root;
	/* the wizard opens on a cut newest dump: the operator chooses another */
	ro.allow_bad_dump = cl->ask_steps;
	/* the wizard's first screen continues an interrupted run on c */
	ro.resume_key = cl->ask_steps ? "c" : NULL;
	ro.instance_opts = opts = cli_instance_opts(cl);
	run = run_new(df->flow, c, &ro, &e);
	free(opts);
	ro.instance_opts = NULL;
	if (!run)
		return cli_run_refused(NULL, &e);
	log = logfile_open(c->log_dir, run_stamp(run), &path, &e);
	if (!log) {
		run_free(run);
		return cli_run_refused(NULL, &e);
	}
	run_set_log_path(run, path);
	sock = detached_socket_of(c->log_dir, run_stamp(run), &e);
	status = statusfile_path(c->log_dir, run_stamp(run));
	rno.socket_path = sock;
	rno.status_path = status;
	rno.log = log;
	rno.run_id = run_stamp(run);
	rno.flow = run_flow_name(run);
	if (df->resume) {
		/* for the status file: whoever finds this run dead or attaches
		 * later gets the command with this run's own options */
		resume_command(df->resume, df->command, cl, &resume);
		rno.resume_cmd = resume.buf;
	}
	rno.yes = cl->yes || df->no_questions;
	rno.ask_steps = rno.ask_failures = cl->ask_steps;
	rno.drill = cl->drill_root != NULL;
	rn = sock ? runner_start(&rno, &e) : NULL;
	if (!rn) {
		logfile_write(log, LOG_ERROR, e.msg);
		code = cli_run_refused(NULL, &e);
		goto out;
	}
	logfile_write(log, LOG_INFO, "runner started: detached from the terminal, listening on its socket");
	detach_ready();
	code = serve(df, cl->ask_steps, rn, run, log);
	run = NULL;
	if (cl->drill_root && !drill_sandbox_held(cl->drill_root)) {
		/* the drill that started this run is gone (its terminal hung
		 * up) and left the sandbox's cluster up for it: stop it now */
		struct drill_sandbox sb;
		drill_sandbox_init(&sb, cl->drill_root);
		if (drill_sandbox_stop(&sb, NULL, &e) < 0) {
			logfile_write(log, LOG_WARN, e.msg);
			err_clear(&e);
		} else {
			logfile_write(log, LOG_INFO, "the drill is gone: its sandbox's cluster was stopped");
		}
		drill_sandbox_release(&sb);
	}
out:
	runner_free(rn);
	run_free(run);
	logfile_close(log);
	free(sock);
	free(status);
	strbuf_release(&resume);
	return code;
}
