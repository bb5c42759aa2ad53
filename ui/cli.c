/*
 * cli: what the commands share: usage errors, input checks, the
 * configuration with the command-line overrides, the run log.
 */
#include "config.h"
#include "cli.h"
#include "conninfo.h"
#include "maintmark.h"
#include "frontend.h"
#include "i18n.h"
#include "logfile.h"
#include "run.h"
#include "runcmd.h"
#include "strbuf.h"
#include "wizard_menu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

/* The command being run, for "Try 'biso-recover COMMAND --help'". */
static const char *usage_cmd;

void cli_set_usage_cmd(const char *cmd)
{
	usage_cmd = cmd;
}

int cli_usage_error(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	strbuf_addstr(&sb, "biso-recover: ");
	va_start(ap, fmt);
	strbuf_vaddf(&sb, _(fmt), ap); /* a msgid: po/Makevars' keywords */
	va_end(ap);
	strbuf_addf(&sb, _("\nTry 'biso-recover %s%s--help'.\n"), usage_cmd ? usage_cmd : "",
		    usage_cmd ? " " : "");
	strbuf_rtrim(&sb);
	frontend_print(sb.buf); /* wrapped to the terminal's width */
	strbuf_release(&sb);
	return EXIT_USAGE;
}

int cli_check_input(const char *what, const char *path, int dir_ok)
{
	struct stat st;
	if (!strcmp(path, "-"))
		return 0;
	if (stat(path, &st) < 0)
		return cli_usage_error("cannot read the %s %s: %s", _(what), path, strerror(errno));
	if (S_ISDIR(st.st_mode) && !dir_ok)
		return cli_usage_error("the %s %s is a directory", _(what), path);
	if (access(path, R_OK) < 0)
		return cli_usage_error("cannot read the %s %s: %s", _(what), path, strerror(errno));
	return 0;
}

void cli_format_err(const char *what, struct err *e, struct strbuf *out)
{
	struct strbuf sb = STRBUF_INIT;
	err_format_l10n(e, &sb); /* the screen's language; logs take e->msg */
	strbuf_addf(out, "biso-recover: %s%s%s\n", what ? _(what) : "", what ? ": " : "", sb.buf);
	strbuf_release(&sb);
}

void cli_print_err(const char *what, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	cli_format_err(what, e, &sb);
	strbuf_rtrim(&sb);
	frontend_print(sb.buf);
	strbuf_release(&sb);
}

int cli_load_conf(struct conf *c, const struct cli *cl, struct err *e)
{
	conf_init_defaults(c);
	if (conf_load(c, cl->config ? cl->config : CONF_DEFAULT_PATH, cl->config != NULL, e) < 0)
		return -1;
	if (cl->backup_root) conf_set_str(&c->backup_root, cl->backup_root);
	if (cl->webroot) conf_set_str(&c->webroot, cl->webroot);
	if (cl->datadir) conf_set_str(&c->datadir, cl->datadir);
	if (cl->config_php) conf_set_str(&c->config_php, cl->config_php);
	if (cl->dbname && cl->dbname_is_name && !c->database.conninfo) {
		/* a bare name over config.php's connection: the flow replaces
		 * only its database name */
		char *name = conninfo_get(cl->dbname, "dbname");
		conf_set_str(&c->database.dbname, name);
		free(name);
	} else if (cl->dbname) {
		char *name = cl->dbname_is_name ? conninfo_get(cl->dbname, "dbname") : NULL;
		char *ci = conninfo_apply_dbname(c->database.conninfo, name ? name : cl->dbname, e);
		free(name);
		if (!ci) {
			err_prefix(e, "the configuration's database.conninfo");
			return -1;
		}
		conf_set_str(&c->database.conninfo, ci);
		free(ci);
	}
	if (cl->log_dir) conf_set_str(&c->log_dir, cl->log_dir);
	if (cl->jobs) c->database.jobs = cl->jobs > 0 ? cl->jobs : 0;
	if (cl->on_error) /* stop or continue: parse_cli checked it */
		c->database.on_error = strcmp(cl->on_error, "stop") ? CONF_ON_ERROR_CONTINUE
								 : CONF_ON_ERROR_STOP;
	if (cl->web_user && conf_parse_user_group(c, cl->web_user, e) < 0)
		return -1;
	if (cl->source) conf_set_str(&c->backup_root, cl->source);
	if (cl->attachments) conf_set_str(&c->refresh.attachments, cl->attachments);
	if (cl->keep_old) c->refresh.keep_old = 1;
	if (cl->compress_level) /* 1..9: parse_cli checked it */
		c->backup.compress_level = atoi(cl->compress_level);
	if (cl->n_keep_tables) {
		/* added to the configuration's refresh.keep_tables */
		size_t n = 0;
		while (c->refresh.keep_tables[n])
			n++;
		c->refresh.keep_tables = xrealloc(c->refresh.keep_tables,
						  (n + cl->n_keep_tables + 1) * sizeof(char *));
		for (size_t i = 0; i < cl->n_keep_tables; i++)
			c->refresh.keep_tables[n++] = xstrdup(cl->keep_tables[i]);
		c->refresh.keep_tables[n] = NULL;
	}
	return 0;
}

struct logfile *cli_open_run_log(struct run *run, struct err *e)
{
	const char *dir = run_conf(run)->log_dir, *path = NULL;
	struct logfile *log;
	char *probe;
	while (probe = xstrfmt("%s/biso-recover-%s.log", dir, run_stamp(run)),
	       access(probe, F_OK) == 0) {
		free(probe);
		sleep(1);
		run_restamp(run);
	}
	free(probe);
	log = logfile_open(dir, run_stamp(run), &path, e);
	run_set_log_path(run, path); /* copied: the logfile owns path */
	if (log)
		logfile_write(log, LOG_INFO, PACKAGE_STRING " starting");
	return log;
}

void cli_log_end(struct logfile *log, const struct run *run, int code)
{
	struct strbuf sb = STRBUF_INIT;
	int was = i18n_english(1); /* the log's language */
	struct rusage self, kids;
	/* what the run cost, for the admin and bench/backup.sh (a detached
	 * runner is nobody's child: time(1) of the command measures only the
	 * client) */
	if (getrusage(RUSAGE_SELF, &self) == 0 && getrusage(RUSAGE_CHILDREN, &kids) == 0) {
		strbuf_addf(&sb, "resources: CPU %.2f s user, %.2f s system, peak RSS %ld KiB; "
			    "programs run: CPU %.2f s user, %.2f s system, largest peak RSS %ld KiB",
			    self.ru_utime.tv_sec + self.ru_utime.tv_usec / 1e6,
			    self.ru_stime.tv_sec + self.ru_stime.tv_usec / 1e6, self.ru_maxrss,
			    kids.ru_utime.tv_sec + kids.ru_utime.tv_usec / 1e6,
			    kids.ru_stime.tv_sec + kids.ru_stime.tv_usec / 1e6, kids.ru_maxrss);
		logfile_write(log, LOG_INFO, sb.buf);
		strbuf_reset(&sb);
	}
	run_end_text(run, code, &sb);
	i18n_english(was);
	logfile_write(log, LOG_INFO, sb.buf);
	strbuf_release(&sb);
}

int cli_run_refused(const char *what, struct err *e)
{
	cli_print_err(what, e);
	err_clear(e);
	return EXIT_USAGE;
}

int cli_need_terminal(void)
{
	int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (tty < 0) {
		fprintf(stderr, _("biso-recover: no terminal to ask on before destructive steps; "
				  "give --yes to run without asking\n"));
		return EXIT_USAGE;
	}
	close(tty);
	return 0;
}

char *cli_abs_path(const char *path)
{
	char *real = realpath(path, NULL), *cwd;
	struct strbuf sb = STRBUF_INIT;
	if (real)
		return real;
	if (path[0] == '/' || !(cwd = getcwd(NULL, 0)))
		return xstrdup(path);
	strbuf_addf(&sb, "%s/%s", cwd, path);
	free(cwd);
	return strbuf_detach(&sb, NULL);
}

char *cli_instance_opts(const struct cli *cl)
{
	/* path: made absolute, so that the command works from any directory */
	const struct { const char *flag, *val; int path; } v[] = {
		{ "--config", cl->config, 1 }, { "--backup-root", cl->backup_root, 1 },
		{ "--webroot", cl->webroot, 1 }, { "--datadir", cl->datadir, 1 },
		{ "--config-php", cl->config_php, 1 }, { "--web-user", cl->web_user, 0 },
		{ "--log-dir", cl->log_dir, 1 }, { "--dbname", cl->dbname, 0 },
	};
	struct strbuf out = STRBUF_INIT, masked = STRBUF_INIT;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		const char *argv[] = { v[i].flag, v[i].val, NULL };
		char *abs = NULL;
		if (!v[i].val)
			continue;
		if (!strcmp(v[i].flag, "--dbname")) {
			/* a password never goes into a hint (nor the log it lands in) */
			strbuf_reset(&masked);
			log_mask_secrets(v[i].val, &masked);
			if (strcmp(masked.buf, v[i].val))
				continue;
		}
		if (v[i].path)
			argv[1] = abs = cli_abs_path(v[i].val);
		else if (!strcmp(v[i].flag, "--dbname") && cl->dbname_is_name)
			argv[1] = abs = conninfo_get(v[i].val, "dbname"); /* as given */
		if (!argv[1])
			argv[1] = v[i].val;
		strbuf_addch(&out, ' ');
		runcmd_format_argv(argv, &out);
		free(abs);
	}
	strbuf_release(&masked);
	return strbuf_detach(&out, NULL);
}

static char *batch_command(const struct cli *cl, const struct conf *c, const char *flow)
{
	struct strbuf sb = STRBUF_INIT;
	char *inst = cli_instance_opts(cl);
	if (!flow)
		flow = "restore";
	strbuf_addf(&sb, "biso-recover %s", flow);
	if (!strcmp(flow, "refresh")) {
		/* the refresh chooses no policy (without one it is refused):
		 * the one given or configured, else the one the wizard's first
		 * screen offers first, the safe one */
		const char *pol = c->refresh.attachments && *c->refresh.attachments
				  ? c->refresh.attachments : wizard_menu_first_policy();
		const char *argv[] = { "--attachments", pol, NULL };
		strbuf_addch(&sb, ' ');
		runcmd_format_argv(argv, &sb);
	}
	if (strcmp(flow, "backup")) /* the backup asks nothing */
		strbuf_addstr(&sb, " --yes");
	strbuf_addstr(&sb, inst);
	free(inst);
	return strbuf_detach(&sb, NULL);
}

void cli_recover_maintenance(const struct conf *c, int dry_run)
{
	struct report r;
	struct batch_state bst;
	struct err e = ERR_INIT;
	batch_report_init(&r, &bst, NULL);
	r.cancelled = NULL;
	if (maintmark_recover(c, dry_run, &r, &e) < 0) {
		cli_print_err(_("maintenance mode"), &e);
		err_clear(&e);
	}
}

int cli_run_flow(const struct flow_def *flow, const struct cli *cl, struct conf *c,
		 struct run_opts *ro, const char *what_plan, const char *banner)
{
	struct run *run;
	struct err e = ERR_INIT;
	struct logfile *log = NULL;
	struct batch_state bst;
	struct report r;
	const char *refused = NULL;
	char *opts;
	int code;

	batch_install_signals();
	ro->dry_run = cl->dry_run;
	ro->instance_opts = opts = cli_instance_opts(cl);
	run = run_new(flow, c, ro, &e);
	free(opts);
	ro->instance_opts = NULL;
	if (!run)
		return cli_run_refused(NULL, &e);
	/* after the options' checks (--only): a wrong one is named first */
	if (!cl->dry_run && !cl->yes && (code = cli_need_terminal()) != 0) {
		run_free(run);
		return code;
	}
	if (!cl->dry_run && !(log = cli_open_run_log(run, &e))) {
		run_free(run);
		return cli_run_refused(NULL, &e);
	}
	batch_report_init(&r, &bst, log);
	if (run_prepare(run, &r, &e) < 0)
		refused = what_plan;
	else if (run_preflight(run, &r, &e) < 0)
		refused = cl->dry_run ? N_("the plan would fail") : N_("nothing was touched");
	if (refused) {
		logfile_write(log, LOG_ERROR, e.msg);
		code = cli_run_refused(refused, &e);
		if (report_cancelled(&r))
			code = EXIT_ABORTED; /* stopped (Ctrl-C), not refused */
		run_free(run);
		logfile_close(log);
		return code;
	}
	if (cl->dry_run) {
		cli_print_plan(run);
		code = EXIT_DONE;
	} else {
		struct batch_opts bo = { cl->yes, log, banner };
		code = batch_run(run, &bo);
		run_finish(run, code, &r);
	}
	cli_log_end(log, run, code);
	run_free(run);
	logfile_close(log);
	return code;
}

/* @text on stdout with frontend_fprint() (which adds the last line's
 * end), then emptied. */
static void print_prose(struct strbuf *text)
{
	if (!text->len)
		return;
	if (text->buf[text->len - 1] == '\n')
		strbuf_setlen(text, text->len - 1);
	frontend_fprint(stdout, text->buf);
	strbuf_reset(text);
}

void cli_print_plan(const struct run *run)
{
	struct strbuf sb = STRBUF_INIT, prose = STRBUF_INIT;
	run_plan_text(run, &sb);
	for (const char *line = sb.buf; *line;) {
		size_t len = strcspn(line, "\n");
		/* a manual equivalent's command (indented by five blanks) is
		 * a command to paste: one line, as the terminal folds it;
		 * broken in rows, a paste would run its first row alone */
		if (!strncmp(line, "     ", 5) && line[5] != ' ') {
			print_prose(&prose);
			printf("%.*s\n", (int)len, line);
		} else {
			strbuf_add(&prose, line, len);
			strbuf_addch(&prose, '\n');
		}
		line += len + (line[len] == '\n');
	}
	print_prose(&prose);
	strbuf_release(&prose);
	strbuf_release(&sb);
}

/* @s padded with blanks to @width terminal columns (a translation may
 * hold letters of two bytes, which printf's %-22s would count twice); on
 * the left of @s when @right. */
void cli_column(const char *s, int width, int right)
{
	wchar_t *ws;
	size_t n = mbstowcs(NULL, s, 0);
	int w = -1;
	if (n != (size_t)-1) {
		ws = xcalloc(n + 1, sizeof *ws);
		mbstowcs(ws, s, n + 1);
		w = wcswidth(ws, n);
		free(ws);
	}
	if (w < 0)
		w = (int)strlen(s);
	printf("%*s%s%*s", right && w < width ? width - w : 0, "", s,
	       !right && w < width ? width - w : 0, "");
}

int cli_wizard_needs_terminal(const struct cli *cl, const struct conf *c, const char *flow)
{
	char *cmd = batch_command(cl, c, flow);
	/* with the instance's options: pasted, it runs on this one */
	fprintf(stderr, _("biso-recover: the wizard needs a terminal; use '%s' in line mode\n"), cmd);
	free(cmd);
	return EXIT_USAGE;
}
