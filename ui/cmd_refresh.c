/*
 * The refresh command: `biso-recover refresh`, a test system refreshed
 * from production's backup (refresh.h) in line mode.
 */
#include "config.h"
#include "backupset.h"
#include "cli.h"
#include "frontend.h"
#include "i18n.h"
#include "logfile.h"
#include "refresh.h"
#include "run.h"
#include "strbuf.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cli_refresh(const struct cli *cl, struct conf *c)
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
	if (!(run = run_new(&refresh_flow, c, &ro, &e)))
		return cli_run_refused(NULL, &e);
	if (!cl->dry_run && !(log = cli_open_run_log(run, &e))) {
		run_free(run);
		return cli_run_refused(NULL, &e);
	}
	batch_report_init(&r, &bst, log);
	if (run_prepare(run, &r, &e) < 0)
		refused = "cannot make a refresh plan";
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
		if (cl->drill_root)
			bo.banner = cli_drill_banner();
		code = batch_run(run, &bo);
		run_finish(run, code, &r);
	}
	cli_log_end(log, run, code);
	run_free(run);
	logfile_close(log);
	return code;
}

static int run_refresh(const struct cli *cl, struct conf *c)
{
	return cli_refresh(cl, c);
}

const struct command command_refresh = {
	"refresh",
N_("biso-recover refresh --attachments copy|skip|placeholder [--source DIR]\n"
"                       [--keep-table TABLE]... [--keep-old] [--yes] [--dry-run]\n"),
N_("Usage: biso-recover refresh --attachments copy|skip|placeholder [OPTIONS]\n"
"\n"
"Refreshes a test system from production's backup: maintenance mode on, the\n"
"test database and datadir replaced, migrations, the anonymizer, a check that\n"
"anonymization happened, maintenance mode off.  The test system is named as for\n"
"a restore (--webroot, --config-php); its own config.php must say env 'dev'\n"
"and its database must not be production's, or nothing is touched (--yes does\n"
"not change this).\n"
"\n"
"  --attachments POLICY   copy (real files; type copy to acknowledge), skip\n"
"                         (attachment folders empty) or placeholder (a small\n"
"                         file of the same name for each); no default\n"
"  --source DIR|HOST:PATH production's backup set (default: backup_root); on\n"
"                         another host it is read with rsync over ssh\n"
"  --dump FILE, --at YYYYMMDD[_HHMMSS]\n"
"                         the dump to use (default: the newest)\n"
"  --keep-table TABLE     keep the test system's rows of TABLE (repeatable)\n"
"  --keep-old             keep the previous test database and datadir\n"
"  --yes, --dry-run, --only STEPS, --config FILE, --webroot DIR,\n"
"  --config-php FILE, --log-dir DIR  as for restore\n"),
	1, run_refresh
};
