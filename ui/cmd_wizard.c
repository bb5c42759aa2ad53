/*
 * The wizard: `biso-recover` with no command on a terminal opens its first
 * screen (wizard_menu.h): restore, refresh a test system, backup, practise.
 * `biso-recover wizard FLOW` opens that flow's wizard directly.  A live
 * detached run of the instance is attached to first, as `restore` does.
 * Each flow's wizard is a client of a detached runner (detached_wizard(),
 * through cli_restore(), cli_refresh(), cli_backup()): what the first
 * screen chose reaches the runner as an option of its command line.
 */
#include "config.h"
#include "cli.h"
#include "client.h"
#include "detached.h"
#include "drill.h"
#include "frontend.h"
#include "i18n.h"
#include "logfile.h"
#include "refresh.h"
#include "restore.h"
#include "run.h"
#include "statusfile.h"
#include "strbuf.h"
#include "wizard.h"
#include "wizard_menu.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct command command_drill;

/* The drill scenarios for the menu: files and titles (malloc'd, n each);
 * @why gets the reason when none could be listed. */
static void list_drills(char ***files, char ***titles, size_t *n, struct strbuf *why)
{
	char *dir = xstrfmt("%s/drills", drill_share_dir());
	struct err e = ERR_INIT;
	size_t k = 0;
	*titles = NULL;
	if (drill_scenario_list(dir, files, n, &e) < 0) {
		err_format_l10n(&e, why);
		err_clear(&e);
		*files = NULL;
		*n = 0;
		free(dir);
		return;
	}
	free(dir);
	*titles = xcalloc(*n ? *n : 1, sizeof **titles);
	for (size_t i = 0; i < *n; i++) {
		struct drill_scenario s;
		/* a broken scenario file is left out here; `drill --list` names it */
		if (drill_scenario_load((*files)[i], &s, &e) < 0) {
			err_clear(&e);
			free((*files)[i]);
			continue;
		}
		(*files)[k] = (*files)[i];
		(*titles)[k++] = xstrdup(s.title);
		drill_scenario_free(&s);
	}
	*n = k;
}

/* The configurations beside @c's file (its directory's *.conf) that name
 * a test system the refresh accepts (refresh_check_target()): each added
 * to @out as the command that starts the wizard with it.  How the demo's
 * refresh-test.conf, beside its production's, is found. */
static void test_configs_beside(const struct conf *c, struct strbuf *out)
{
	char here[PATH_MAX], *dir, *slash;
	struct dirent **ents = NULL;
	int n, found = 0;

	if (!c->path || !realpath(c->path, here))
		return;
	dir = xstrdup(here);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	n = scandir(dir, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		size_t len = strlen(name);
		char *path = xstrfmt("%s/%s", strcmp(dir, "/") ? dir : "", name);
		struct conf tc;
		struct err e = ERR_INIT;
		if (len > 5 && !strcmp(name + len - 5, ".conf") && strcmp(path, here) && found < 5) {
			conf_init_defaults(&tc);
			if (conf_load(&tc, path, 1, &e) == 0 && refresh_check_target(&tc, NULL, &e) == 0) {
				if (!found++)
					strbuf_addf(out, "\n\n%s",
						    _("A test system's configuration (env 'dev') is "
						      "beside this one; to refresh it, start the wizard "
						      "with it:"));
				strbuf_addf(out, "\n  biso-recover --config %s", path);
			}
			err_clear(&e);
			conf_release(&tc);
		}
		free(path);
		free(ents[i]);
	}
	free(ents);
	free(dir);
}

/* The first screen; then what was chosen there; again after a flow whose
 * summary went back to it (m).  The exit code is the last flow's, 0 when
 * none ran. */
static int menu(const struct cli *cl, struct conf *c)
{
	struct strbuf why = STRBUF_INIT;
	char **files, **titles;
	size_t n;
	int code = EXIT_DONE, again;

	list_drills(&files, &titles, &n, &why);
	do {
		struct wizard_menu_opts mo = { 0 };
		struct wizard_menu_result res;
		struct strbuf info = STRBUF_INIT, refused = STRBUF_INIT, note = STRBUF_INIT;
		struct strbuf ended = STRBUF_INIT;
		struct err e = ERR_INIT;
		struct cli mcl = *cl;
		char *env = NULL;
		int rc;

		again = 0;
		mcl.menu_again = &again;
		/* the refresh's guard before its attachments question: a
		 * production instance is refused on this screen, not after it
		 * (asked each time: a restore may have changed config.php) */
		if (refresh_check_target(c, &env, &e) < 0) {
			err_format_l10n(&e, &refused);
			test_configs_beside(c, &refused);
			if (env)
				strbuf_addf(&note, _("not this instance: env %s"), env);
			else
				strbuf_addstr(&note, _("not this instance"));
		}
		err_clear(&e);
		strbuf_addstr(&info, "biso-recover");
		/* before the webroot, whose path may be cut at the edge */
		if (env)
			strbuf_addf(&info, "  %s %s", _("env"), env);
		if (c->webroot)
			strbuf_addf(&info, "  %s %s", _("webroot"), c->webroot);
		{
			/* a restore left half done is what a 3 a.m. admin must
			 * see first (newcomer 8.9): read from the journal each
			 * time, as a flow's summary comes back here */
			char *inst = cli_instance_opts(cl);
			if (run_ended_early(&restore_flow, c->log_dir, inst, &ended))
				strbuf_rtrim(&ended);
			free(inst);
		}
		mo.notice = ended.len ? ended.buf : NULL;
		mo.refresh_refused = refused.len ? refused.buf : NULL;
		mo.refresh_note = note.len ? note.buf : NULL;
		mo.title_info = info.buf;
		mo.banner = cl->drill_root ? cli_drill_banner() : NULL;
		mo.attachments = c->refresh.attachments;
		mo.drill_titles = (const char *const *)titles;
		mo.n_drills = n;
		mo.drill_error = why.len ? why.buf : NULL;
		rc = wizard_menu(&mo, &res);
		if (rc < 0) {
			code = EXIT_USAGE;
		} else if (rc > 0) {
			code = EXIT_ABORTED; /* the terminal went away */
		} else {
			switch (res.action) {
			case WIZARD_MENU_RESTORE:
				code = cli_restore(&mcl, c, 1);
				break;
			case WIZARD_MENU_REFRESH:
				/* the runner reads its policy from its command line */
				mcl.attachments = res.attachments;
				conf_set_str(&c->refresh.attachments, res.attachments);
				code = cli_refresh(&mcl, c, 1);
				break;
			case WIZARD_MENU_BACKUP:
				code = cli_backup(&mcl, c, 1);
				break;
			case WIZARD_MENU_DRILL: {
				/* as `biso-recover drill FILE` (its own end, no
				 * way back here) */
				struct cli dcl = *cl;
				char *args[] = { files[res.drill], NULL };
				dcl.cmd = "drill";
				dcl.args = args;
				dcl.n_args = 1;
				code = command_drill.run(&dcl, NULL);
				break;
			}
			case WIZARD_MENU_QUIT:
			default:
				break; /* the last flow's code stands */
			}
		}
		strbuf_release(&info);
		strbuf_release(&refused);
		strbuf_release(&note);
		strbuf_release(&ended);
		free(env);
	} while (again);
	for (size_t i = 0; i < n; i++) {
		free(files[i]);
		free(titles[i]);
	}
	free(files);
	free(titles);
	strbuf_release(&why);
	return code;
}

static int run_wizard(const struct cli *cl, struct conf *c)
{
	const char *flow = cl->n_args ? cl->args[0] : NULL;
	struct status st;

	if (cl->n_args > 1)
		return cli_usage_error("unexpected argument '%s'", cl->args[1]);
	if (flow && strcmp(flow, "restore") && strcmp(flow, "refresh") && strcmp(flow, "backup"))
		return cli_usage_error("the wizard opens restore, refresh or backup, not '%s'", flow);
	if (!cl->dry_run && detached_live_run(c->log_dir, &st)) {
		/* a run of this instance lives: the wizard attaches to it */
		if (!isatty(0) || !isatty(1)) {
			client_install_signals();
			return detached_attach(cl, c, &st, 0);
		}
		return detached_attach(cl, c, &st, 1);
	}
	if (!isatty(0) || !isatty(1)) {
		return cli_wizard_needs_terminal(cl, c, flow);
	}
	if (!flow && !cl->dry_run && detached_died_run(c->log_dir, &st)) {
		/* a restore whose runner died: its wizard first, which offers
		 * to continue it (c), start over (n) or quit */
		int restore = st.resume && st.flow && !strcmp(st.flow, "restore");
		status_clear(&st);
		if (restore)
			return cli_restore(cl, c, 1);
	}
	if (!flow)
		return menu(cl, c);
	if (!strcmp(flow, "restore"))
		return cli_restore(cl, c, 1);
	if (!strcmp(flow, "backup"))
		return cli_backup(cl, c, 1);
	/* the refresh's policy comes from --attachments or the configuration:
	 * the plan refuses to choose one */
	return cli_refresh(cl, c, 1);
}

const struct command command_wizard = {
	NULL,
N_("biso-recover [OPTIONS]                 the wizard: restore, refresh,\n"
"                                              backup or practise\n"),
	NULL,
	(const char *const[]){ CLI_INSTANCE_OPTS, "dump", "at", "jobs", "on-error", "only", "again",
			       "dry-run", "sandbox", NULL },
	1, run_wizard
};

const struct command command_wizard_flow = {
	"wizard",
N_("biso-recover wizard restore|refresh|backup [OPTIONS]\n"
"                    (that flow's wizard, without the first screen)\n"),
N_("Usage: biso-recover wizard restore|refresh|backup [OPTIONS]\n"
"\n"
"Opens the wizard of one flow directly, without the first screen that\n"
"'biso-recover' alone shows: the restore of this instance, the refresh of a\n"
"test system, or a backup.  A live detached run of the instance is attached\n"
"to instead, as 'restore' does.  Needs a terminal.\n"
"\n"
"  --attachments copy|skip|placeholder\n"
"                         the refresh's attachments policy (the first screen\n"
"                         asks it; here it is needed, or refresh.attachments)\n"
"  --again                the restore: start it without asking although a\n"
"                         restore finished less than an hour ago\n"
"  --dry-run              print the flow's plan; touch nothing\n"
"  --only STEP[,STEP]     run only these steps\n"
"  --config FILE, --backup-root DIR, --webroot DIR, --datadir DIR,\n"
"  --config-php FILE, --dbname CONNINFO, --dump FILE, --at YYYYMMDD[_HHMMSS],\n"
"  --web-user USER[:GROUP], --log-dir DIR, --jobs N, --on-error stop|continue\n"
"                         as in 'biso-recover --help'\n"),
	(const char *const[]){ CLI_INSTANCE_OPTS, "attachments", "again", "dry-run", "only", "dump", "at",
			       "jobs", "on-error", NULL },
	1, run_wizard
};
