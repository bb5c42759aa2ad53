/*
 * `biso-recover status [--follow]`: the state of the instance's newest run,
 * from its status file (statusfile.h), for a second shell, monitoring or a
 * cron mail.  Needs no terminal and takes no lock; a run whose process is
 * gone (its pid dead, or now another process's) is told apart from a
 * running one by the pid and start time the file records.
 */
#include "config.h"
#include "i18n.h"
#include "cli.h"
#include "frontend.h"
#include "lock.h"
#include "rundir.h"
#include "statusfile.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

/* status's exit codes beyond EXIT_DONE, EXIT_FAILED and EXIT_CONTINUED */
enum { STATUS_EXIT_RUNNING = 4, STATUS_EXIT_WAITING = 5, STATUS_EXIT_NO_RUN = 6 };

/* What a run's state means for status's exit code; *@died set when the
 * file says running or waiting but the runner is gone. */
static int exit_code_of(const struct status *st, int *died)
{
	*died = 0;
	if (st->state == STATUS_FINISHED)
		return st->exit_code == EXIT_DONE ? EXIT_DONE
		       : st->exit_code == EXIT_CONTINUED ? EXIT_CONTINUED : EXIT_FAILED;
	if (!lock_process_alive(st->pid, st->start)) {
		*died = 1;
		return EXIT_FAILED;
	}
	return st->state == STATUS_WAITING ? STATUS_EXIT_WAITING : STATUS_EXIT_RUNNING;
}

/* How the runner's exit code reads (the codes of restore --help). */
static const char *ended_how(int code)
{
	switch (code) {
	case EXIT_DONE: return _("done");
	case EXIT_FAILED: return _("a step failed");
	case EXIT_USAGE: return _("refused before it changed anything");
	case EXIT_CONTINUED: return _("finished with errors gone past");
	case EXIT_ABORTED: return _("aborted");
	case EXIT_NOT_CONFIRMED: return _("not confirmed");
	default: return _("failed");
	}
}

/* @epoch in local time, with the date unless @time_only; "?" for 0. */
static void add_time(struct strbuf *sb, long long epoch, int time_only)
{
	char buf[32] = "?";
	struct tm tm;
	time_t t = (time_t)epoch;
	if (epoch > 0 && localtime_r(&t, &tm))
		strftime(buf, sizeof buf, time_only ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
	strbuf_addstr(sb, buf);
}

/* "step 4/7 database"; the status file has the English title and state,
 * the operator reads their translation */
static void add_step(struct strbuf *sb, const struct status *st)
{
	strbuf_addf(sb, _("step %u/%u"), st->step, st->nsteps);
	if (st->step_title && *st->step_title)
		strbuf_addf(sb, " %s", _(st->step_title));
}

enum where { WHERE_DIED, WHERE_WAITING, WHERE_RUNNING };

/* A whole sentence about where the run is: at "step 4/7 database", or
 * before any step; literal formats, one per case, for the translators. */
static void add_where(struct strbuf *sb, const struct status *st, enum where w)
{
	struct strbuf step = STRBUF_INIT;
	if (!st->step) {
		strbuf_addstr(sb, w == WHERE_DIED ? _("the run's process died before the first step") :
				  w == WHERE_WAITING ? _("waiting for an answer before the first step") :
						       _("running the checks before the first step"));
		return;
	}
	add_step(&step, st);
	if (w == WHERE_DIED)
		strbuf_addf(sb, _("the run's process died, at %s"), step.buf);
	else if (w == WHERE_WAITING)
		strbuf_addf(sb, _("waiting for an answer, at %s"), step.buf);
	else
		strbuf_addf(sb, _("running, %s"), step.buf);
	strbuf_release(&step);
}

/* "1.2 GiB of 3.4 GiB (35%), 45.0 MiB/s"; nothing before any byte */
static void add_bytes(struct strbuf *sb, const struct status *st)
{
	if (!st->done && !st->total)
		return;
	strbuf_humanise_bytes(sb, st->done);
	if (st->total) {
		strbuf_addstr(sb, _(" of "));
		strbuf_humanise_bytes(sb, st->total);
		strbuf_addf(sb, " (%u%%)",
			    (unsigned)(st->done >= st->total ? 100 : st->done * 100.0 / st->total));
	}
	if (st->rate) {
		strbuf_addstr(sb, ", ");
		strbuf_humanise_bytes(sb, st->rate);
		strbuf_addstr(sb, "/s");
	}
}

/* The first line of @s (a log line may hold several). */
static void add_line(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strcspn(s, "\n"));
}

/* The columns status's lines may take: the terminal's on stdout, 80 when
 * it is none (a cron mail, a pipe). */
static size_t out_cols(void)
{
	struct winsize ws;
	if (isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* Cut the line from byte @from of @sb (to its end) to @cols terminal
 * columns, "…" ("..." outside UTF-8) marking the cut: a log line or an
 * item may be as long as a path.  Never cuts a character in half. */
static void cut_line(struct strbuf *sb, size_t from, size_t cols)
{
	const int utf8 = MB_CUR_MAX > 1;
	const char *dots = utf8 ? "\u2026" : "...";
	const size_t dcols = utf8 ? 1 : 3;
	size_t at = from, used = 0, keep = from;
	mbstate_t ps;
	memset(&ps, 0, sizeof ps);
	while (at < sb->len) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, sb->buf + at, sb->len - at, &ps);
		int w = 1;
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&ps, 0, sizeof ps);
			k = 1;
		} else if ((w = wcwidth(wc)) < 0) {
			w = 1;
		}
		if (used + (size_t)w <= cols - dcols)
			keep = at + k;
		used += (size_t)w;
		if (used > cols)
			break;
		at += k;
	}
	if (used <= cols)
		return;
	strbuf_setlen(sb, keep);
	strbuf_addstr(sb, dots);
}

/* "label: " and the first line of @s, cut to the output's width. */
static void add_cut(struct strbuf *sb, const char *label, const char *s)
{
	size_t from = sb->len + 1; /* after the '\n' the label starts with */
	strbuf_addstr(sb, label);
	add_line(sb, s);
	cut_line(sb, from, out_cols());
}

/* What to do next about a run that died (its journal has no end): the
 * restore continues where it stopped (--resume: the command its runner
 * put into the status file, with the run's own options, else with @inst,
 * the instance's options status was given); another flow starts over
 * from its first step, its plan first. */
static void add_next_died(struct strbuf *sb, const struct status *st, const char *inst)
{
	if (st->resume && *st->resume)
		strbuf_addf(sb, _("next: to continue it where it stopped, run:\n  %s\n"), st->resume);
	else if (!strcmp(st->flow, "restore"))
		strbuf_addf(sb, _("next: to continue it where it stopped, run:\n"
				  "  biso-recover restore --resume%s\n"), inst);
	else
		strbuf_addf(sb, _("next: a new run starts from its first step (the journal\n"
				  "      repairs what this one left); see its plan first:\n"
				  "  biso-recover %s --dry-run%s\n"), st->flow, inst);
}

/* The summary's lines that say what a command does, as run_summary() and
 * the flows' plan_tail write them (the same msgids: one catalogue entry):
 * the run log has their English, status shows the operator's language. */
static const char *const summary_msgids[] = {
	N_("not done: %s\n"),
	N_("to finish them, run:\n  biso-recover %s --only %s%s\n"),
	N_("this run is whole or nothing; run it again:\n  biso-recover %s%s\n"),
	N_("to put back what this restore replaced, run:\n  biso-recover rollback%s\n"),
	N_("warning: migrations were not run; run them with:\n"
	   "  biso-recover restore --only migrations,verify%s\n"),
	N_("rolled back: the %s of %s; to undo this rollback, run:\n  biso-recover rollback%s\n"),
};

/* Match @line against @fmt (the first line of a msgid, "%s" for any
 * text, at most two): 1 with the texts in @arg (malloc'd), else 0. */
static int match_line(const char *fmt, size_t flen, const char *line, char *arg[2], int *n)
{
	*n = 0;
	while (flen) {
		const char *pc = memchr(fmt, '%', flen);
		size_t lit = pc ? (size_t)(pc - fmt) : flen, next, k;
		const char *end;
		if (strncmp(line, fmt, lit))
			goto no;
		line += lit;
		if (!pc)
			return !*line;
		if (pc[1] != 's' || *n == 2)
			goto no;
		fmt = pc + 2;
		flen -= lit + 2;
		/* the text up to the literal that follows (or the line's end) */
		next = 0;
		while (next < flen && fmt[next] != '%')
			next++;
		if (!next) {
			end = line + strlen(line);
		} else {
			char *want = xstrndup(fmt, next);
			end = strstr(line, want);
			free(want);
			if (!end)
				goto no;
		}
		k = (size_t)(end - line);
		arg[(*n)++] = xstrndup(line, k);
		line = end;
	}
	return !*line;
no:
	while (*n)
		free(arg[--*n]);
	return 0;
}

/* @line (English, from the run log) in the operator's language when it
 * is one of the summary's (summary_msgids), else as it is, into @sb. */
static void add_summary_line(struct strbuf *sb, const char *line)
{
	for (size_t i = 0; i < sizeof summary_msgids / sizeof *summary_msgids; i++) {
		const char *en = summary_msgids[i], *tr = _(en);
		char *arg[2];
		int n;
		if (!match_line(en, strcspn(en, "\n"), line, arg, &n))
			continue;
		{
			/* the translation's first line, its %s the same texts
			 * in order (msgfmt -c checks their count) */
			size_t len = strcspn(tr, "\n"), k = 0;
			for (size_t j = 0; j < len; j++) {
				if (tr[j] == '%' && j + 1 < len && tr[j + 1] == 's' && k < (size_t)n) {
					strbuf_addstr(sb, arg[k++]);
					j++;
				} else {
					strbuf_addch(sb, tr[j]);
				}
			}
		}
		while (n)
			free(arg[--n]);
		return;
	}
	strbuf_addstr(sb, line);
}

/* What to do next about a finished run: the commands its summary offers
 * (the steps not done with --only, the migrations not run, the rollback),
 * from the summary in its run log (<log_dir>/biso-recover-<run>.log: the
 * lines after "summary follows"), each with the line that says what it
 * does, in the operator's language (add_summary_line()).  Nothing when
 * the log is gone. */
static void add_next_finished(struct strbuf *sb, const char *log_dir, const struct status *st)
{
	char *path = xstrfmt("%s/biso-recover-%s.log", log_dir, st->run_id);
	FILE *fp = fopen(path, "r");
	struct strbuf prev = STRBUF_INIT, prev2 = STRBUF_INIT;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int in_summary = 0, any = 0;
	free(path);
	if (!fp)
		return;
	while ((n = getline(&line, &cap, fp)) > 0) {
		/* "2026-12-06 21:52:54.511 INFO  message": the message at 30 */
		const char *msg = n > 30 ? line + 30 : "";
		line[strcspn(line, "\n")] = '\0';
		if (!in_summary) {
			in_summary = !strcmp(msg, "summary follows");
			continue;
		}
		if (!strncmp(msg, "  biso-recover ", 15)) {
			if (!any++)
				strbuf_addstr(sb, _("next, as the run's summary says:\n"));
			/* "to finish them" says what "them" is on the line
			 * before (newcomer 8.10) */
			if (!strncmp(prev2.buf, "not done: ", 10)) {
				strbuf_addstr(sb, "  ");
				add_summary_line(sb, prev2.buf);
				strbuf_addch(sb, '\n');
			}
			if (prev.len) {
				strbuf_addstr(sb, "  ");
				add_summary_line(sb, prev.buf);
				strbuf_addch(sb, '\n');
			}
			strbuf_addf(sb, "%s\n", msg);
		}
		strbuf_reset(&prev2);
		strbuf_addbuf(&prev2, &prev);
		strbuf_reset(&prev);
		strbuf_addstr(&prev, msg);
	}
	free(line);
	strbuf_release(&prev);
	strbuf_release(&prev2);
	fclose(fp);
}

/* The full report: what `status` prints without --follow; @inst the
 * instance's options for the commands it names, @log_dir the run's. */
static void describe(const struct status *st, int died, const char *inst, const char *log_dir,
		     struct strbuf *sb)
{
	strbuf_addf(sb, _("run %s (%s), pid %ld, started "), st->run_id, st->flow, st->pid);
	add_time(sb, st->start, 0);
	strbuf_addstr(sb, _("\nstate: "));
	if (died) {
		add_where(sb, st, WHERE_DIED);
		strbuf_addf(sb, _("\n       pid %ld is gone%s;\n       the run log and the journal "
				  "in its log directory say what was done"),
			    st->pid, lock_process_start((pid_t)st->pid) > 0 ?
					     _(" (the pid is another process's now)") : "");
	} else if (st->state == STATUS_FINISHED) {
		strbuf_addf(sb, _("finished, exit %d (%s)"), st->exit_code, ended_how(st->exit_code));
	} else if (st->state == STATUS_WAITING) {
		add_where(sb, st, WHERE_WAITING);
		add_cut(sb, _("\nquestion: "), st->question ? st->question : "");
	} else {
		add_where(sb, st, WHERE_RUNNING);
		if (st->step_state && *st->step_state)
			strbuf_addf(sb, " (%s)", _(st->step_state));
	}
	if (st->state != STATUS_FINISHED && (st->done || st->total)) {
		strbuf_addstr(sb, _("\nprogress: "));
		add_bytes(sb, st);
	}
	if (st->state != STATUS_FINISHED && st->item && *st->item) {
		add_cut(sb, _("\nitem: "), st->item);
	}
	if (st->log && *st->log)
		add_cut(sb, _("\nlast log line: "), st->log);
	strbuf_addstr(sb, _("\nupdated: "));
	add_time(sb, st->updated, 0);
	strbuf_addch(sb, '\n');
	if (died)
		add_next_died(sb, st, inst);
	else if (st->state == STATUS_FINISHED)
		add_next_finished(sb, log_dir, st);
	else if (st->state == STATUS_WAITING)
		/* how to answer it (newcomer 8.10: only README told) */
		strbuf_addf(sb, _("next: to answer it, start the same command again (it attaches to "
				  "this run):\n  biso-recover %s%s\nor the wizard, which attaches too:\n"
				  "  biso-recover%s\n"), st->flow, inst, inst);
}

/* One line of --follow: "15:42:10 step 4/7 database running, 1.2 GiB ..." */
static void describe_line(const struct status *st, int died, struct strbuf *sb)
{
	add_time(sb, st->updated, 1);
	strbuf_addch(sb, ' ');
	if (died) {
		add_where(sb, st, WHERE_DIED);
	} else if (st->state == STATUS_FINISHED) {
		strbuf_addf(sb, _("finished, exit %d (%s)"), st->exit_code, ended_how(st->exit_code));
	} else {
		if (st->step)
			add_step(sb, st);
		else
			strbuf_addstr(sb, _("before the first step"));
		if (st->state == STATUS_WAITING) {
			strbuf_addstr(sb, _(" waiting for an answer: "));
			add_line(sb, st->question ? st->question : "");
		} else {
			if (st->step_state && *st->step_state)
				strbuf_addf(sb, " %s", _(st->step_state));
			if (st->done || st->total) {
				strbuf_addstr(sb, ", ");
				add_bytes(sb, st);
			}
			if (st->item && *st->item) {
				strbuf_addstr(sb, ", ");
				add_line(sb, st->item);
			}
		}
	}
	strbuf_addch(sb, '\n');
}

static int cmd_status(const struct cli *cl, struct conf *c)
{
	struct err e = ERR_INIT;
	struct status st;
	char *path = NULL, *inst;
	int code, died, ret;

	if (cl->n_args)
		return cli_usage_error("unexpected argument '%s'", cl->args[0]);
	memset(&st, 0, sizeof st);
	{
		/* the sockets killed runners left (newcomer 8.19); the
		 * directories only where they exist: status makes none */
		char *own = xstrfmt("%s/run", c->log_dir);
		rundir_tidy(RUNDIR_SYSTEM);
		rundir_tidy(own);
		free(own);
	}
	ret = statusfile_latest(c->log_dir, &path, &e);
	if (ret <= 0) {
		if (ret < 0) {
			cli_print_err(NULL, &e);
			err_clear(&e);
			return EXIT_USAGE;
		}
		printf(_("no run found: %s holds no status file\n"), c->log_dir);
		return STATUS_EXIT_NO_RUN;
	}
	inst = cli_instance_opts(cl);
	for (;;) {
		struct strbuf sb = STRBUF_INIT;
		ret = statusfile_read(path, &st, &e);
		if (ret < 0) {
			cli_print_err(NULL, &e);
			err_clear(&e);
			code = EXIT_USAGE;
			break;
		}
		if (ret == 0) { /* removed while we follow */
			printf(_("no run found: %s is gone\n"), path);
			code = STATUS_EXIT_NO_RUN;
			break;
		}
		code = exit_code_of(&st, &died);
		if (cl->follow)
			describe_line(&st, died, &sb);
		else
			describe(&st, died, inst, c->log_dir, &sb);
		fputs(sb.buf, stdout);
		fflush(stdout);
		strbuf_release(&sb);
		if (!cl->follow || code <= EXIT_CONTINUED)
			break;
		sleep(1); /* the runner writes at most once a second */
	}
	status_clear(&st);
	free(path);
	free(inst);
	return code;
}

const struct command command_status = {
	"status",
N_("biso-recover status [--follow] [OPTIONS]\n"
"                    (the state of the newest run, from its status file)\n"),
N_("Usage: biso-recover status [--follow] [OPTIONS]\n"
"\n"
"Prints the state of the instance's newest run from the status file it\n"
"keeps in the log directory (biso-recover-<run>.status, rewritten at most\n"
"once a second): its step, progress, current item, last log line, the\n"
"question it waits on, and how it ended.  Needs no terminal and takes no\n"
"lock: for a second shell, monitoring or a cron mail.\n"
"\n"
"  --follow               one line a second until the run ends\n"
"  --config FILE, --log-dir DIR  where the status files are: the log directory\n"
"                         (the configuration's log_dir, or --log-dir)\n"
"  --backup-root DIR, --webroot DIR, --datadir DIR, --config-php FILE,\n"
"  --dbname CONNINFO, --web-user USER  change nothing status reads; given, they\n"
"                         are carried into the commands it names\n"
"\n"
"Exit codes (status's own, not a flow's): 0 finished ok; 1 failed, aborted,\n"
"not confirmed (a flow's 7), or the run's process died (a status file that\n"
"says running while its pid is gone or belongs to another process); 2 usage\n"
"error or an unreadable status file; 3 finished with errors gone past;\n"
"4 running; 5 waiting for an answer; 6 no run found.\n"),
	(const char *const[]){ CLI_INSTANCE_OPTS, "follow", NULL },
	1, cmd_status
};
