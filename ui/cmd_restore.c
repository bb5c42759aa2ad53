/*
 * The restore command: `biso-recover restore` (a detached runner and its
 * client, or in-process for --dry-run), and the restore the wizard and a
 * drill run (cli_restore(): a detached runner too, the wizard or line
 * mode its client).
 */
#include "config.h"
#include "backupset.h"
#include "cli.h"
#include "detached.h"
#include "i18n.h"
#include "restore.h"
#include "run.h"

/* ---- detached runs (detached.h) ------------------------------------------ */

/* The restore's run options from the command line, for its runner and
 * the starter alike. */
static int restore_options(const struct cli *cl, struct run_opts *ro)
{
	if (cl->at && !backupset_parse_at(cl->at, &ro->at))
		return cli_usage_error("--at takes YYYYMMDD or YYYYMMDD_HHMMSS, not '%s'", cl->at);
	ro->only = cl->only;
	ro->dump = cl->dump;
	ro->resume = cl->resume;
	return 0;
}

static const struct detached_flow restore_detached = {
	.flow = &restore_flow,
	.command = "restore",
	.options = restore_options,
	.what_plan = N_("cannot make a restore plan"),
	.what_start = N_("cannot start the restore"),
	.resume = "biso-recover restore --resume",
};

int cli_restore(const struct cli *cl, struct conf *c, int wizard)
{
	return detached_or_plan(&restore_detached, cl, c, wizard);
}

/* `biso-recover restore`: in a runner detached from the terminal
 * (detached.h); a dry run, which changes nothing, in-process. */
static int run_restore(const struct cli *cl, struct conf *c)
{
	if (cl->runner)
		return detached_runner_main(&restore_detached, cl, c);
	return cli_restore(cl, c, 0);
}

const struct command command_restore = {
	"restore",
N_("biso-recover restore [--yes] [--dry-run] [--only STEPS] [OPTIONS]\n"
"       biso-recover restore --resume [--yes] [OPTIONS]\n"
"                    (continues the restore a kill or a power cut interrupted)\n"),
N_("Usage: biso-recover restore [--yes] [--dry-run] [--only STEPS | --resume]\n"
"                            [--again] [OPTIONS]\n"
"\n"
"Restores the instance without the wizard, in the documented order: webroot,\n"
"config (config.php), datadir, database, migrations, verify.  Each step swaps\n"
"the new webroot, datadir or database in only when it is complete, and keeps\n"
"the old one (*.pre-restore-<time>, <db>_pre_restore_<time>) until\n"
"'biso-recover cleanup' removes it.\n"
"The work runs in a runner detached from the terminal: a dropped connection\n"
"does not stop it, and restore started again attaches to the live run (man\n"
"biso-recover: DETACHED RUNS).  When the instance's newest run is a restore\n"
"that finished less than an hour ago and kept what this one would replace\n"
"again, restore says so (its end, exit code, log) and asks first; with --yes\n"
"it refuses (exit 7) unless --again is given.\n"
"\n"
"  --yes                  do not ask before destructive steps (needed without a\n"
"                         terminal)\n"
"  --dry-run              print the plan and the equivalent manual commands;\n"
"                         touch nothing\n"
"  --only STEP[,STEP]     run only these steps (webroot, config, datadir,\n"
"                         database, migrations, verify)\n"
"  --again                start even though a restore finished less than an\n"
"                         hour ago (its result becomes the copy to go back to)\n"
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
	(const char *const[]){ CLI_INSTANCE_OPTS, "yes", "dry-run", "only", "again", "resume", "at", "dump", "jobs", "on-error", CLI_RUNNER_OPTS, NULL },
	1, run_restore
};
