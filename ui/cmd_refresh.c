/*
 * The refresh command: `biso-recover refresh`, a test system refreshed
 * from production's backup (refresh.h) in line mode; the wizard's refresh
 * (cmd_wizard.c) starts here too: a detached runner, the wizard its
 * client.
 */
#include "config.h"
#include "backupset.h"
#include "cli.h"
#include "detached.h"
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

static int refresh_options(const struct cli *cl, struct run_opts *ro)
{
	if (cl->at && !backupset_parse_at(cl->at, &ro->at))
		return cli_usage_error("--at takes YYYYMMDD or YYYYMMDD_HHMMSS, not '%s'", cl->at);
	ro->only = cl->only;
	ro->dump = cl->dump;
	return 0;
}

static const struct detached_flow refresh_detached = {
	.flow = &refresh_flow,
	.command = "refresh",
	.options = refresh_options,
	.what_plan = N_("cannot make a refresh plan"),
	.what_start = N_("cannot start the refresh"),
};

int cli_refresh(const struct cli *cl, struct conf *c, int wizard)
{
	return detached_or_plan(&refresh_detached, cl, c, wizard);
}

/* `biso-recover refresh`: in a runner detached from the terminal
 * (detached.h); a dry run, which changes nothing, in-process. */
static int run_refresh(const struct cli *cl, struct conf *c)
{
	if (cl->runner)
		return detached_runner_main(&refresh_detached, cl, c);
	return cli_refresh(cl, c, 0);
}

const struct command command_refresh = {
	"refresh",
N_("biso-recover refresh --attachments copy|skip|placeholder [--source DIR]\n"
"                       [--keep-table TABLE]... [--keep-old] [--yes] [--dry-run]\n"
"                       [OPTIONS]\n"),
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
"  --yes, --dry-run, --only STEPS, --jobs N, --on-error stop|continue,\n"
"  --config FILE, --backup-root DIR, --webroot DIR, --datadir DIR,\n"
"  --config-php FILE, --dbname CONNINFO, --web-user USER[:GROUP],\n"
"  --log-dir DIR          as for restore (--backup-root as --source)\n"),
	(const char *const[]){ CLI_INSTANCE_OPTS, "attachments", "source", "dump", "at", "keep-table", "keep-old", "jobs", "on-error", "yes", "dry-run", "only", CLI_RUNNER_OPTS, NULL },
	1, run_refresh
};
