/*
 * `biso-recover cleanup`: the instance's copies that restores kept, listed
 * and removed by cleanup_run() (cleanup.c) under the instance's lock.
 */
#include "config.h"
#include "cli.h"
#include "frontend.h"
#include "i18n.h"
#include "logfile.h"
#include "restore.h"
#include "run.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static int cmd_cleanup(const struct cli *cl, struct conf *c)
{
	struct run_opts ro = { 0 };
	struct run *run;
	struct err e = ERR_INIT;
	struct logfile *log = NULL;
	struct batch_state bst;
	struct report r;
	struct cleanup_opts co = { cl->yes, cl->dry_run, cl->args, cl->n_args };
	int code;

	if (!cl->dry_run && (!cl->yes || !cl->n_args)) {
		/* the choice or the yes is asked on the terminal */
		int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
		if (tty < 0)
			return cli_usage_error("no terminal to ask on: name the copies and give --yes");
		close(tty);
	}
	ro.dry_run = cl->dry_run;
	if (!(run = run_new(&restore_flow, c, &ro, &e)))
		return cli_run_refused(NULL, &e);
	/* one run per instance: a restore may be about to rename these */
	if (!cl->dry_run && (restore_instance_lock(run, &e) < 0 ||
			     !(log = cli_open_run_log(run, &e)))) {
		run_free(run);
		return cli_run_refused(NULL, &e);
	}
	batch_report_init(&r, &bst, log);
	/* the instance without the backup set: a full or lost backup disk is
	 * when space is cleaned up */
	if (restore_instance_prepare(run, &r, &e) < 0) {
		logfile_write(log, LOG_ERROR, e.msg);
		code = cli_run_refused("cannot tell which instance to clean up", &e);
	} else {
		code = cleanup_run(run, &co, &r);
	}
	cli_log_end(log, run, code);
	run_free(run);
	logfile_close(log);
	return code;
}

static int run_cleanup(const struct cli *cl, struct conf *c)
{
	batch_install_signals();
	return cmd_cleanup(cl, c);
}

const struct command command_cleanup = {
	"cleanup",
N_("biso-recover cleanup [--dry-run] [--yes] [OPTIONS] [COPY...]\n"
"                    (lists the copies restores kept; removes the chosen ones)\n"),
N_("Usage: biso-recover cleanup [--dry-run] [--yes] [OPTIONS] [COPY...]\n"
"\n"
"Lists the copies earlier restores kept of the instance: the webroot, datadir\n"
"and config.php kept as NAME.pre-restore-<time> beside the live ones, and the\n"
"databases kept as <db>_pre_restore_<time>, each with its age and size (and a\n"
"rollback's: NAME.pre-rollback-<time>, <db>_pre_rollback_<time>).  Then\n"
"removes the chosen ones, after 'yes' is typed.  The newest copy of each kind\n"
"is never removed: a failed restore goes back to it.\n"
"\n"
"  COPY                   what to remove: a number or range of the list (3,\n"
"                         2-4), a copy's path or database name, or all (every\n"
"                         copy but the newest of each kind); without COPY the\n"
"                         list is shown and the choice asked on the terminal\n"
"  --dry-run              list, and say what would be removed; remove nothing\n"
"  --yes                  do not ask for the typed confirmation\n"
"  --config FILE, --backup-root DIR, --webroot DIR, --datadir DIR,\n"
"  --config-php FILE, --dbname CONNINFO, --web-user USER[:GROUP],\n"
"  --log-dir DIR          name the instance as for restore\n"),
	(const char *const[]){ CLI_INSTANCE_OPTS, "dry-run", "yes", NULL },
	1, run_cleanup
};
