/*
 * `biso-recover rollback`: put back what the newest restore (or rollback)
 * replaced, in line mode; the flow is src/flows/rollback_flow.c, driven by
 * batch_run() as a restore is.
 */
#include "config.h"
#include "cli.h"
#include "detached.h"
#include "frontend.h"
#include "i18n.h"
#include "logfile.h"
#include "rollback.h"
#include "run.h"
#include "strbuf.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static int rollback_options(const struct cli *cl, struct run_opts *ro)
{
	ro->only = cl->only;
	ro->resume = cl->resume;
	return 0;
}

static const struct detached_flow rollback_detached = {
	.flow = &rollback_flow,
	.command = "rollback",
	.options = rollback_options,
	.what_plan = N_("cannot make a rollback plan"),
	.what_start = N_("cannot start the rollback"),
};

/* `biso-recover rollback`: in a runner detached from the terminal
 * (detached.h); a dry run, which changes nothing, in-process. */
static int run_rollback(const struct cli *cl, struct conf *c)
{
	struct run_opts ro = { 0 };

	if (cl->runner)
		return detached_runner_main(&rollback_detached, cl, c);
	if (!cl->dry_run)
		return detached_start_or_attach(&rollback_detached, cl, c);
	rollback_options(cl, &ro);
	return cli_run_flow(&rollback_flow, cl, c, &ro, N_("cannot make a rollback plan"), NULL);
}

const struct command command_rollback = {
	"rollback",
N_("biso-recover rollback [--yes] [--dry-run] [--only STEPS] [OPTIONS]\n"
"                    (puts back what the newest restore replaced)\n"),
N_("Usage: biso-recover rollback [--yes] [--dry-run] [--only STEPS] [OPTIONS]\n"
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
"  --resume               continue the rollback that was interrupted (killed,\n"
"                         power cut) from the step it was in\n"
"  --config FILE, --backup-root DIR, --webroot DIR, --datadir DIR,\n"
"  --config-php FILE, --dbname CONNINFO, --web-user USER[:GROUP],\n"
"  --log-dir DIR          as in 'biso-recover --help'\n"),
	(const char *const[]){ CLI_INSTANCE_OPTS, "yes", "dry-run", "only", "resume", CLI_RUNNER_OPTS, NULL },
	1, run_rollback
};
