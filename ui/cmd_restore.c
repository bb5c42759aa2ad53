/*
 * The restore commands: `biso-recover restore` (batch, line mode) and the
 * wizard (no command, on a terminal).  Both plan the restore from the
 * configuration, check it, then hand the run to their front end.
 */
#include "config.h"
#include "backupset.h"
#include "cli.h"
#include "client.h"
#include "detach.h"
#include "frontend.h"
#include "i18n.h"
#include "lock.h"
#include "logfile.h"
#include "restore.h"
#include "run.h"
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
#include <unistd.h>

int cli_restore(const struct cli *cl, struct conf *c, int wizard)
{
	struct run_opts ro = { 0 };
	struct run *run;
	struct err e = ERR_INIT;
	struct logfile *log = NULL;
	struct batch_state bst;
	struct report r;
	struct strbuf early = STRBUF_INIT;
	const char *refused = NULL;
	int code;

	if (!wizard && !cl->dry_run && !cl->yes) {
		/* Questions go to the terminal; without one, fail before anything. */
		int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
		if (tty < 0) {
			fprintf(stderr, _("biso-recover: no terminal to ask on before destructive steps; "
					  "give --yes to run without asking\n"));
			return EXIT_USAGE;
		}
		close(tty);
	}
	if (cl->at && !backupset_parse_at(cl->at, &ro.at))
		return cli_usage_error("--at takes YYYYMMDD or YYYYMMDD_HHMMSS, not '%s'", cl->at);
	ro.only = cl->only;
	ro.dump = cl->dump;
	ro.dry_run = cl->dry_run;
	ro.sandbox = cl->drill_root;
	ro.resume = cl->resume;
	/* the wizard opens on a cut newest dump: the operator chooses another */
	ro.allow_bad_dump = wizard;
	if (!(run = run_new(&restore_flow, c, &ro, &e)))
		return cli_run_refused(NULL, &e);
	if (!cl->dry_run) {
		/* run_preflight() locks the targets once it knows them */
		log = cli_open_run_log(run, &e);
		if (!log) {
			run_free(run);
			return cli_run_refused(NULL, &e);
		}
	}
	batch_report_init(&r, &bst, log);
	if (wizard)
		bst.warnings = &early; /* the wizard's screen would hide them */
	if (run_prepare(run, &r, &e) < 0)
		refused = N_("cannot make a restore plan");
	else if (run_preflight(run, &r, &e) < 0)
		refused = cl->dry_run ? N_("the plan would fail") : N_("nothing was touched");
	if (refused) {
		logfile_write(log, LOG_ERROR, e.msg);
		code = cli_run_refused(refused, &e);
		run_free(run);
		logfile_close(log);
		strbuf_release(&early);
		return code;
	}
	if (cl->dry_run) {
		struct strbuf sb = STRBUF_INIT;
		run_plan_text(run, &sb);
		fputs(sb.buf, stdout);
		strbuf_release(&sb);
		code = EXIT_DONE;
	} else if (wizard) {
		struct report sink = { 0 };
		struct wizard_opts wo = { &sink, run_log_path(run), early.buf, NULL, 0 };
		if (cl->drill_root)
			wo.banner = cli_drill_banner();
		sink.log = logfile_report_log;
		sink.ctx = log;
		/* a run that died: continue it or start over, asked first */
		wo.offer_resume = run_interrupted(run, NULL) && !run_resumed(run);
		code = wizard_run(run, &wo);
		if (code != EXIT_USAGE && code != WIZARD_RESUME) {
			/* The alternate screen is gone: leave the summary in the scrollback. */
			struct strbuf sb = STRBUF_INIT;
			run_summary(run, &sb);
			fputs(sb.buf, stdout);
			strbuf_release(&sb);
		}
	} else {
		struct batch_opts bo = { cl->yes, log, NULL };
		if (cl->drill_root)
			bo.banner = cli_drill_banner();
		code = batch_run(run, &bo);
	}
	if (!cl->dry_run) {
		struct report fin = r;
		if (wizard) {
			/* curses is gone; the log file is enough. */
			memset(&fin, 0, sizeof fin);
			fin.log = logfile_report_log;
			fin.ctx = log;
		}
		run_finish(run, code, &fin);
	}
	cli_log_end(log, run, code);
	run_free(run);
	logfile_close(log);
	strbuf_release(&early);
	if (code == WIZARD_RESUME) {
		/* nothing ran: the wizard again, on the interrupted run */
		struct cli again = *cl;
		again.resume = 1;
		return cli_restore(&again, c, wizard);
	}
	return code;
}

/* ---- detached runs -------------------------------------------------------- */

/* The socket of run @run_id of the instance logging to @log_dir, malloc'd,
 * or NULL with @e: "<run id>-<8 hex digits of the SHA-256 of the log
 * directory's real path>.sock" in the run directory.  Run ids are unique
 * per log directory only, and /run/biso-recover is every instance's. */
static char *socket_of(const char *log_dir, const char *run_id, struct err *e)
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

/* A run of this instance (its log directory) not finished whose runner is
 * alive and listens: 1 with @st filled (status_clear() it), else 0.  (A
 * killed runner nobody reaped yet is a zombie with its pid and start time:
 * only its socket tells.) */
static int live_run(const char *log_dir, struct status *st)
{
	struct err e = ERR_INIT;
	char *path = NULL, *sock = NULL;
	int found = 0, fd;
	memset(st, 0, sizeof *st);
	if (statusfile_latest(log_dir, &path, &e) == 1 && statusfile_read(path, st, &e) == 1 &&
	    st->state != STATUS_FINISHED && lock_process_alive(st->pid, st->start) &&
	    (sock = socket_of(log_dir, st->run_id, &e)) && (fd = rundir_connect(sock, &e)) >= 0) {
		close(fd); /* the runner sees a client come and go */
		found = 1;
	}
	err_clear(&e);
	free(sock);
	free(path);
	if (!found)
		status_clear(st);
	return found;
}

/* Append @opt and its @val to the NULL-terminated @argv of *@n words; a
 * NULL @val: @opt alone. */
/* Attach to the live run @st of the instance (live_run()): its step list,
 * log backlog, progress and pending question; answer it from here.
 * Clears @st.  Returns the run's exit code (client_follow()). */
static int attach(struct conf *c, struct status *st)
{
	struct client_opts co = { 0 };
	struct err e = ERR_INIT;
	char *sock = socket_of(c->log_dir, st->run_id, &e), *logpath;
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
	code = client_follow(&co);
	free(sock);
	free(logpath);
	status_clear(st);
	return code;
}

static void add_opt(const char ***argv, size_t *n, const char *opt, const char *val)
{
	*argv = xrealloc(*argv, (*n + 3) * sizeof **argv);
	(*argv)[(*n)++] = opt;
	if (val)
		(*argv)[(*n)++] = val;
	(*argv)[*n] = NULL;
}

/*
 * `biso-recover restore`: attach to the live run of this instance, or
 * start a runner detached from the terminal (this same program with
 * --runner STAMP and the options that shape the run) and attach to it.
 * The starter opens the run log; the runner appends to it and takes the
 * locks.  The conninfo travels in the environment, not argv.
 */
/* The options that shape a run, passed on to its runner as given. */
static const struct {
	const char *flag;
	size_t field; /* offsetof a const char * in struct cli */
} runner_opts[] = {
	{ "--config", offsetof(struct cli, config) },
	{ "--backup-root", offsetof(struct cli, backup_root) },
	{ "--webroot", offsetof(struct cli, webroot) },
	{ "--datadir", offsetof(struct cli, datadir) },
	{ "--config-php", offsetof(struct cli, config_php) },
	{ "--dump", offsetof(struct cli, dump) },
	{ "--at", offsetof(struct cli, at) },
	{ "--web-user", offsetof(struct cli, web_user) },
	{ "--log-dir", offsetof(struct cli, log_dir) },
	{ "--only", offsetof(struct cli, only) },
	{ "--on-error", offsetof(struct cli, on_error) },
};

static int start_or_attach(const struct cli *cl, struct conf *c)
{
	struct run_opts ro = { 0 };
	struct client_opts co = { 0 };
	struct detach_opts dopt = { 0 };
	struct detach_result res = { 0 };
	struct status st;
	struct err e = ERR_INIT;
	struct run *run;
	struct logfile *log;
	const char **argv = NULL;
	char exe[PATH_MAX], jobs[16], *sock, *unit;
	size_t n = 0;
	ssize_t len;
	int code;

	client_install_signals();
	if (live_run(c->log_dir, &st))
		return attach(c, &st);
	if (!cl->yes) {
		/* Questions go to the terminal; without one, fail before anything. */
		int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
		if (tty < 0) {
			fprintf(stderr, _("biso-recover: no terminal to ask on before destructive steps; "
					  "give --yes to run without asking\n"));
			return EXIT_USAGE;
		}
		close(tty);
	}
	if (cl->at && !backupset_parse_at(cl->at, &ro.at))
		return cli_usage_error("--at takes YYYYMMDD or YYYYMMDD_HHMMSS, not '%s'", cl->at);
	ro.only = cl->only;
	/* the stamp and the log; --only checked before anything starts */
	if (!(run = run_new(&restore_flow, c, &ro, &e)))
		return cli_run_refused(NULL, &e);
	if (!(log = cli_open_run_log(run, &e))) {
		run_free(run);
		return cli_run_refused(NULL, &e);
	}
	len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[len > 0 ? len : 0] = '\0';
	add_opt(&argv, &n, len > 0 ? exe : "biso-recover", "restore");
	add_opt(&argv, &n, "--runner", run_stamp(run));
	for (size_t k = 0; k < sizeof runner_opts / sizeof runner_opts[0]; k++) {
		const char *v = *(const char *const *)((const char *)cl + runner_opts[k].field);
		if (v)
			add_opt(&argv, &n, runner_opts[k].flag, v);
	}
	if (cl->jobs) {
		snprintf(jobs, sizeof jobs, "%d", cl->jobs < 0 ? 0 : cl->jobs);
		add_opt(&argv, &n, "--jobs", jobs);
	}
	if (cl->yes)
		add_opt(&argv, &n, "--yes", NULL);
	if (cl->dbname)
		setenv(CLI_RUNNER_DBNAME_ENV, cl->dbname, 1);
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
		run_free(run);
		return cli_run_refused("cannot start the restore", &e);
	}
	logfile_write(log, LOG_INFO, res.note ? res.note : "the runner runs in a systemd scope of its own");
	free(res.note);
	logfile_close(log);
	sock = socket_of(c->log_dir, run_stamp(run), &e);
	if (!sock) {
		run_free(run);
		return cli_run_refused(NULL, &e);
	}
	co.socket_path = sock;
	co.log_path = run_log_path(run);
	co.runner_pid = (long)res.pid;
	code = client_follow(&co);
	free(sock);
	run_free(run);
	return code;
}

static void runner_on_signal(int sig)
{
	runner_signal(sig);
}

/*
 * The detached runner of run cl->runner (started by start_or_attach()):
 * prepare, check and drive the run, serving its clients (runner.h); its
 * stdout and stderr are the run log.
 */
static int runner_main(const struct cli *cl, struct conf *c)
{
	struct run_opts ro = { 0 };
	struct runner_opts rno = { 0 };
	struct sigaction sa;
	struct runner *rn;
	struct run *run;
	struct logfile *log;
	struct report *r;
	struct err e = ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	const char *path = NULL, *refused = NULL;
	char *sock, *status;
	int code;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = runner_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (cl->at && !backupset_parse_at(cl->at, &ro.at))
		return cli_usage_error("--at takes YYYYMMDD or YYYYMMDD_HHMMSS, not '%s'", cl->at);
	ro.only = cl->only;
	ro.dump = cl->dump;
	ro.stamp = cl->runner;
	if (!(run = run_new(&restore_flow, c, &ro, &e)))
		return cli_run_refused(NULL, &e);
	log = logfile_open(c->log_dir, run_stamp(run), &path, &e);
	if (!log) {
		run_free(run);
		return cli_run_refused(NULL, &e);
	}
	run_set_log_path(run, path);
	sock = socket_of(c->log_dir, run_stamp(run), &e);
	status = statusfile_path(c->log_dir, run_stamp(run));
	rno.socket_path = sock;
	rno.status_path = status;
	rno.log = log;
	rno.run_id = run_stamp(run);
	rno.flow = run_flow_name(run);
	rno.yes = cl->yes;
	rn = sock ? runner_start(&rno, &e) : NULL;
	if (!rn) {
		logfile_write(log, LOG_ERROR, e.msg);
		code = cli_run_refused(NULL, &e);
		goto out;
	}
	logfile_write(log, LOG_INFO, "runner started: detached from the terminal, listening on its socket");
	detach_ready();
	r = runner_report(rn);
	if (run_prepare(run, r, &e) < 0)
		refused = N_("cannot make a restore plan");
	else if (run_preflight(run, r, &e) < 0)
		refused = N_("nothing was touched");
	if (refused) {
		logfile_write(log, LOG_ERROR, e.msg);
		cli_format_err(refused, &e, &sb);
		err_clear(&e);
		code = EXIT_USAGE;
		cli_log_end(log, run, code);
		runner_end(rn, code, sb.buf, 10000);
		goto out;
	}
	code = runner_drive(rn, run);
	{
		/* what the client prints, as batch_run() prints it */
		struct strbuf sum = STRBUF_INIT;
		run_summary(run, &sum);
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
	runner_end(rn, code, sb.buf, 10000);
out:
	runner_free(rn);
	run_free(run);
	logfile_close(log);
	free(sock);
	free(status);
	strbuf_release(&sb);
	return code;
}

static int run_restore(const struct cli *cl, struct conf *c)
{
	if (cl->runner)
		return runner_main(cl, c);
	if (cl->dry_run || cl->resume) {
		/* a dry run changes nothing: nothing to detach; --resume
		 * does not run detached yet */
		batch_install_signals();
		return cli_restore(cl, c, 0);
	}
	return start_or_attach(cl, c);
}

static int run_wizard(const struct cli *cl, struct conf *c)
{
	struct status st;
	if (!cl->dry_run && live_run(c->log_dir, &st)) {
		/* a detached restore runs: attach to it (in line mode; the
		 * wizard's own screens do not attach yet) */
		client_install_signals();
		return attach(c, &st);
	}
	if (!isatty(0) || !isatty(1)) {
		fprintf(stderr, _("biso-recover: the wizard needs a terminal; use "
				  "'biso-recover restore --yes' for a batch restore\n"));
		return EXIT_USAGE;
	}
	return cli_restore(cl, c, 1);
}

const struct command command_wizard = {
	NULL,
N_("biso-recover [OPTIONS]                 open the restore wizard\n"),
	NULL, 1, run_wizard
};

const struct command command_restore = {
	"restore",
N_("biso-recover restore [--yes] [--dry-run] [--only STEPS] [OPTIONS]\n"
"       biso-recover restore --resume [--yes] [OPTIONS]\n"
"                    (continues the restore a kill or a power cut interrupted)\n"),
N_("Usage: biso-recover restore [--yes] [--dry-run] [--only STEPS | --resume]\n"
"                            [OPTIONS]\n"
"\n"
"Restores the instance without the wizard, in the documented order: webroot,\n"
"config (config.php), datadir, database, migrations, verify.  Each step keeps\n"
"the old webroot, datadir or database until the new one is verified.\n"
"The work runs in a runner detached from the terminal: a dropped connection\n"
"does not stop it, and restore started again attaches to the live run (man\n"
"biso-recover: DETACHED RUNS).\n"
"\n"
"  --yes                  do not ask before destructive steps (needed without a\n"
"                         terminal)\n"
"  --dry-run              print the plan and the equivalent manual commands;\n"
"                         touch nothing\n"
"  --only STEP[,STEP]     run only these steps (webroot, config, datadir,\n"
"                         database, migrations, verify)\n"
"  --resume               continue the restore that was interrupted (killed,\n"
"                         power cut) from the step it was in, with the same\n"
"                         backups and kept names (give the same options)\n"
"  --at YYYYMMDD[_HHMMSS] restore the newest webroot, datadir and dump taken at\n"
"                         or before then (a date alone: the end of that day)\n"
"                         instead of the newest of all\n"
"  --jobs N               database connections for the replay (0, the default:\n"
"                         one per core)\n"
"  --on-error stop|continue  stop at the first failing statement (default), or\n"
"                         go on like psql and count the errors (exit 3)\n"
"  --config FILE, --backup-root DIR, --webroot DIR, --datadir DIR,\n"
"  --config-php FILE, --dbname CONNINFO, --dump FILE, --web-user USER[:GROUP],\n"
"  --log-dir DIR          as in 'biso-recover --help'\n"),
	1, run_restore
};
