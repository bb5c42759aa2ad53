/* run_text: a run as text: the plan, the summary, the exit code and the
 * end line; see run.h. */
#include "config.h"
#include "run_int.h"
#include "conf.h"
#include "i18n.h"
#include "journal.h"
#include "lock.h"
#include "runcmd.h"
#include "strbuf.h"
#include "timestamp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *step_state_name(enum step_state st)
{
	switch (st) {
	case STEP_PENDING: return N_("pending");
	case STEP_RUNNING: return N_("running");
	case STEP_DONE: return N_("done");
	case STEP_FAILED: return N_("failed");
	case STEP_SKIPPED: return N_("skipped");
	}
	return "?";
}

/* @text indented by three spaces, line by line. */
static void add_indented(struct strbuf *out, const char *text)
{
	for (const char *line = text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl) {
			strbuf_addf(out, "   %s\n", line);
			break;
		}
		strbuf_addf(out, "   %.*s\n", (int)(nl - line), line);
	}
}

void run_plan_text(const struct run *run, struct strbuf *out)
{
	if (run->flow->plan_head)
		run->flow->plan_head(run, out);
	for (size_t i = 0; i < run->flow->n_steps; i++) {
		const struct step_def *sd = run->flow->steps[i];
		struct strbuf d = STRBUF_INIT;
		const char *skip;
		if (!run->st[i].selected)
			continue;
		strbuf_addf(out, "%zu. %s\n", i + 1, _(sd->title));
		/* a step its policy skips: the plan says so, as the run will */
		if (sd->skip && (skip = sd->skip(run))) {
			strbuf_addf(out, _("   skipped: %s\n\n"), _(skip));
			strbuf_release(&d);
			continue;
		}
		run_describe_step(run, i, &d);
		add_indented(out, d.buf);
		strbuf_reset(&d);
		if (run_step_destructive(run, i, &d))
			strbuf_addf(out, "   %s\n", d.buf);
		strbuf_release(&d);
		if (sd->manual) {
			strbuf_addstr(out, _("   manual equivalent:\n"));
			sd->manual(run, out);
		}
		strbuf_addch(out, '\n');
	}
	if (run->flow->plan_tail)
		run->flow->plan_tail(run, 1, out);
}

/* Columns of UTF-8 @s (one per character: the catalogue's texts are
 * Latin letters). */
static int text_width(const char *s)
{
	int w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* @s padded with spaces to @w columns. */
static void add_padded(struct strbuf *out, const char *s, int w)
{
	strbuf_addstr(out, s);
	for (int k = text_width(s); k < w; k++)
		strbuf_addch(out, ' ');
}

/* An error's message in the language being built (i18n_english()). */
static const char *err_text(const struct err *e)
{
	if (!e->msg)
		return _("(unknown)");
	return e->lmsg && !i18n_is_english() ? e->lmsg : e->msg;
}

void run_dump_opt(const char *dump, struct strbuf *out)
{
	char *real = realpath(dump, NULL);
	const char *argv[] = { "--dump", real ? real : dump, NULL };
	strbuf_addch(out, ' ');
	runcmd_format_argv(argv, out);
	free(real);
}

void run_source_opts(const struct run *run, struct strbuf *out)
{
	if (run->flow->source_opts) {
		run->flow->source_opts(run, out);
		return;
	}
	if (run->opts.dump)
		run_dump_opt(run->opts.dump, out);
	if (run->opts.at) {
		char at[16];
		timestamp_name(run->opts.at, at);
		strbuf_addf(out, " --at %s", at);
	}
}

/* The options a command that repeats @run must carry, each with a leading
 * space: the instance's (run_opts.instance_opts), the dump and the time
 * the backups were chosen by (--dump made absolute, --at), into @out. */
static void add_repeat_opts(const struct run *run, struct strbuf *out)
{
	strbuf_addstr(out, run_instance_opts(run));
	run_source_opts(run, out);
}

/* A run that ended early: the steps it left undone (never reached, or
 * stopped in) and the command that does them, the same flow with --only
 * those steps (or whole again: flow_def.whole) and this run's options.
 * It ended with an "end" record, so --resume no longer applies.  Nothing
 * when every selected step is done or was skipped.  The command stands
 * on a line of its own ("  biso-recover ..."): never wrapped. */
static void add_not_done(const struct run *run, struct strbuf *out)
{
	struct strbuf list = STRBUF_INIT, only = STRBUF_INIT, opts = STRBUF_INIT;
	for (size_t i = 0; i < run->flow->n_steps; i++) {
		if (!run->st[i].selected ||
		    (run->st[i].state != STEP_PENDING && run->st[i].state != STEP_FAILED))
			continue;
		strbuf_addstr(&list, list.len ? ", " : "");
		strbuf_addstr(&list, run->flow->steps[i]->name);
		strbuf_addstr(&only, only.len ? "," : "");
		strbuf_addstr(&only, run->flow->steps[i]->name);
	}
	if (only.len) {
		add_repeat_opts(run, &opts);
		strbuf_addf(out, _("not done: %s\n"), list.buf);
		if (run->flow->whole)
			strbuf_addf(out, _("this run is whole or nothing; run it again:\n"
					   "  biso-recover %s%s\n"), run->flow->name, opts.buf);
		else
			strbuf_addf(out, _("to finish them, run:\n  biso-recover %s --only %s%s\n"),
				    run->flow->name, only.buf, opts.buf);
	}
	strbuf_release(&list);
	strbuf_release(&only);
	strbuf_release(&opts);
}

/* 1 when neither @run (run_changed_nothing()) nor an interrupted run
 * before it that this one continues changed anything. */
static int nothing_changed(const struct run *run)
{
	if (run->origin[0])
		return 0;
	for (size_t i = 0; i < run->flow->n_steps; i++)
		if (run->st[i].earlier)
			return 0;
	return run_changed_nothing(run);
}

void run_summary(const struct run *run, struct strbuf *out)
{
	size_t n = run->flow->n_steps;
	int w = 12; /* the name column: as wide as the longest name */
	int ws = text_width(_("state")); /* the state column: its longest word */
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(run->flow->steps[i]->name) > w)
			w = (int)strlen(run->flow->steps[i]->name);
	for (int k = STEP_PENDING; k <= STEP_SKIPPED; k++)
		if (text_width(_(step_state_name((enum step_state)k))) > ws)
			ws = text_width(_(step_state_name((enum step_state)k)));
	if (ws < 8)
		ws = 8;
	add_padded(out, _("step"), w + 1);
	add_padded(out, _("state"), ws + 1);
	strbuf_addf(out, "%8s  %s\n", _("time"), _("result"));
	for (size_t i = 0; i < n; i++) {
		const struct step_status *st = &run->st[i];
		const char *name = run->flow->steps[i]->name;
		add_padded(out, name, w + 1);
		if (!st->selected && st->earlier) {
			add_padded(out, _(step_state_name(st->state)), ws + 1);
			strbuf_addf(out, "%8s  ", "");
			strbuf_addf(out, _("in the interrupted run of %s"), run->origin);
			strbuf_addch(out, '\n');
			continue;
		}
		if (!st->selected) {
			strbuf_addstr(out, "-\n");
			continue;
		}
		if (st->state == STEP_PENDING || (st->state == STEP_SKIPPED && !st->seconds)) {
			/* never ran: no time to show */
			strbuf_addf(out, "%s\n", _(step_state_name(st->state)));
			continue;
		}
		add_padded(out, _(step_state_name(st->state)), ws + 1);
		strbuf_addf(out, "%7.1fs  %s%s\n", st->seconds,
			    st->state == STEP_FAILED ? err_text(&st->err)
			    : run_step_summary(run, i) ? run_step_summary(run, i) : "",
			    st->warnings && st->state == STEP_DONE ? _(" (warnings)") : "");
	}
	/* what failed and how to fix it: a failed step's row has its message,
	 * one skipped after failing shows its result; both need the hint */
	for (size_t i = 0; i < n; i++) {
		const struct step_status *st = &run->st[i];
		if (!err_isset(&st->err) || (st->state != STEP_FAILED && st->state != STEP_SKIPPED))
			continue;
		if (st->state == STEP_SKIPPED)
			strbuf_addf(out, _("%s failed, then was skipped: %s\n"),
				    run->flow->steps[i]->name, err_text(&st->err));
		if (st->err.hint)
			strbuf_addf(out, _("hint (%s): %s\n"), run->flow->steps[i]->name,
				    st->err.lhint && !i18n_is_english() ? st->err.lhint : st->err.hint);
	}
	/* paths on rows of their own: in the table's last column a long
	 * one would be broken by the terminal */
	for (size_t i = 0; i < n; i++)
		if (run->st[i].out.put_back)
			strbuf_addf(out, _("put back: %s\n"), run->st[i].out.put_back);
	for (size_t i = 0; i < n; i++)
		if (run->st[i].out.kept_as)
			strbuf_addf(out, _("kept: %s\n"), run->st[i].out.kept_as);
	for (size_t i = 0; i < n; i++)
		if (run->st[i].state == STEP_DONE && run->st[i].out.refused) {
			uint64_t k = run->st[i].out.refused;
			strbuf_addf(out, P_("warning: the %s step refused %llu archive member (listed "
					    "in the log): the restored tree lacks them\n",
					    "warning: the %s step refused %llu archive members (listed "
					    "in the log): the restored tree lacks them\n", k),
				    run->flow->steps[i]->name, (unsigned long long)k);
		}
	if (run->flow->plan_tail)
		run->flow->plan_tail(run, 0, out);
	if (run_refused(run)) {
		/* as the preflight's refusal: nothing to finish, no --only */
		struct strbuf sb = STRBUF_INIT;
		if (i18n_is_english())
			err_format(&run->refused_err, &sb);
		else
			err_format_l10n(&run->refused_err, &sb);
		strbuf_rtrim(&sb);
		strbuf_addf(out, _("refused before anything was replaced: %s\n"), sb.buf);
		strbuf_release(&sb);
	} else if (run->stopped && nothing_changed(run)) {
		/* nothing to finish: no --only command, the same run again */
		strbuf_addf(out, _("stopped before any step: nothing was changed; %s\n"),
			    _(report_reason(run->stopped)));
	} else if (run->stopped) {
		strbuf_addf(out, _("the run ended early: %s\n"), _(report_reason(run->stopped)));
		add_not_done(run, out);
	} else {
		/* a failed step that stopped the run: steps after it never ran */
		size_t failed = n;
		int left = 0;
		for (size_t i = 0; i < n; i++) {
			if (!run->st[i].selected)
				continue;
			if (run->st[i].state == STEP_FAILED && failed == n)
				failed = i;
			else if (failed < n && run->st[i].state == STEP_PENDING)
				left = 1;
		}
		if (failed < n && left) {
			strbuf_addf(out, _("the run ended early: step %s failed\n"),
				    run->flow->steps[failed]->name);
			add_not_done(run, out);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (run->st[i].out.report)
			strbuf_addf(out, _("report: %s\n"), run->st[i].out.report);
	if (run->log_path)
		strbuf_addf(out, _("log: %s\n"), run->log_path);
}

int run_refused(const struct run *run)
{
	if (!run_checks_refused(run))
		return 0;
	for (size_t i = 0; i < run->flow->n_steps; i++)
		if (run->st[i].state == STEP_DONE && !run->st[i].earlier)
			return 0;
	return 1;
}

const struct err *run_refused_err(const struct run *run)
{
	return run_refused(run) ? &run->refused_err : NULL;
}

int run_exit_code(const struct run *run)
{
	/* the slow checks stopped it before anything changed: refused, as the
	 * preflight refuses (flow.h, slow_checks) */
	if (run_refused(run))
		return 2;
	for (size_t i = 0; i < run->flow->n_steps; i++)
		if (run->st[i].state == STEP_FAILED)
			return 1;
	if (run->continued_past_failure)
		return 3;
	/* a restored tree missing files must not look like a clean success */
	for (size_t i = 0; i < run->flow->n_steps; i++)
		if (run->st[i].state == STEP_DONE && (run->st[i].out.refused || run->st[i].out.went_past))
			return 3;
	return 0;
}

void run_end_text(const struct run *run, int code, struct strbuf *out)
{
	/* the exit codes of the README's table; 130 is the front ends' abort */
	switch (code) {
	case 0: strbuf_addstr(out, _("finished (exit 0)")); break;
	case 1: strbuf_addstr(out, _("failed (exit 1)")); break;
	case 2: strbuf_addstr(out, _("refused: usage or configuration error (exit 2)")); break;
	case 3: strbuf_addstr(out, _("finished with errors gone past (exit 3)")); break;
	case 130:
		strbuf_addstr(out, _("aborted (exit 130)"));
		if (run && run->stopped)
			strbuf_addf(out, ": %s", _(report_reason(run->stopped)));
		break;
	case 7:
		/* runner.h: RUNNER_EXIT_MISMATCH */
		strbuf_addstr(out, _("not confirmed (exit 7): the typed confirmation did not match 3 "
				     "times; nothing more was changed"));
		break;
	default: strbuf_addf(out, _("ended (exit %d)"), code); break;
	}
}
