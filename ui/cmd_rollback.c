/*
 * `biso-recover rollback`: put back what the newest restore (or rollback)
 * replaced, in line mode; the flow is src/flows/rollback_flow.c, driven by
 * batch_run() as a restore is.
 */
#include "config.h"
#include "cli.h"
#include "frontend.h"
#include "logfile.h"
#include "rollback.h"
#include "run.h"
#include "strbuf.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static int run_rollback(const struct cli *cl, struct conf *c)
{
	struct run_opts ro = { 0 };
	struct run *run;
	struct err e = ERR_INIT;
	struct logfile *log = NULL;
	struct batch_state bst;
	struct report r;
	const char *refused = NULL;
	int code;

	batch_install_signals();
	if (!cl->dry_run && !cl->yes) {
		/* questions go to the terminal; without one, fail before anything */
		int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
		if (tty < 0) {
			fprintf(stderr, "biso-recover: no terminal to ask on before destructive steps; "
					"give --yes to run without asking\n");
			return EXIT_USAGE;
		}
		close(tty);
	}
	ro.only = cl->only;
	ro.dry_run = cl->dry_run;
	ro.resume = cl->resume;
	if (!(run = run_new(&rollback_flow, c, &ro, &e)))
		return cli_run_refused(NULL, &e);
	if (!cl->dry_run && !(log = cli_open_run_log(run, &e))) {
		run_free(run);
		return cli_run_refused(NULL, &e);
	}
	batch_report_init(&r, &bst, log);
	if (run_prepare(run, &r, &e) < 0)
		refused = "cannot make a rollback plan";
	else if (run_preflight(run, &r, &e) < 0)
		refused = cl->dry_run ? "the plan would fail" : "nothing was touched";
	if (refused) {
		logfile_write(log, LOG_ERROR, e.msg);
		code = cli_run_refused(refused, &e);
		run_free(run);
		logfile_close(log);
		return code;
	}
	if (cl->dry_run) {
		struct strbuf sb = STRBUF_INIT;
		run_plan_text(run, &sb);
		fputs(sb.buf, stdout);
		strbuf_release(&sb);
		code = EXIT_DONE;
	} else {
		struct batch_opts bo = { cl->yes, log, NULL };
		code = batch_run(run, &bo);
		run_finish(run, code, &r);
	}
	cli_log_end(log, run, code);
	run_free(run);
	logfile_close(log);
	return code;
}

const struct command command_rollback = {
	"rollback",
"biso-recover rollback [--yes] [--dry-run] [--only STEPS] [OPTIONS]\n"
"                    (puts back what the newest restore replaced)\n",
"Usage: biso-recover rollback [--yes] [--dry-run] [--only STEPS] [OPTIONS]\n"
"\n"
"Puts back what the newest restore replaced: the webroot, the datadir and the\n"
"database it kept (webroot.pre-restore-TIME ..., db_pre_restore_TIME), as the\n"
"journal in the log directory names them.  What is live now is kept in turn\n"
"(.pre-rollback-TIME, db_pre_rollback_TIME), so a second rollback undoes the\n"
"first.  Swaps, journal and confirmations are those of a restore.\n"
"\n"
"  --yes                  do not ask before replacing (needed without a\n"
"                         terminal)\n"
"  --dry-run              print the plan; touch nothing\n"
"  --only STEP[,STEP]     put back only these parts (webroot, datadir,\n"
"                         database)\n"
"  --config FILE, --webroot DIR, --datadir DIR, --config-php FILE,\n"
"  --dbname CONNINFO, --log-dir DIR   as in 'biso-recover --help'\n",
	1, run_rollback
};
