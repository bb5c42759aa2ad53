/* run: driving a flow's steps; see run.h and flow.h. */
#include "config.h"
#include "run.h"
#include "flow.h"
#include "conf.h"
#include "fault.h"
#include "i18n.h"
#include "journal.h"
#include "lock.h"
#include "strbuf.h"
#include "timestamp.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run_int.h"

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

/* Parse "webroot,database" against @flow's step names. */
static int parse_only(const struct flow_def *flow, const char *list, int *sel, struct err *e)
{
	char *copy = xstrdup(list), *save = NULL;
	int any = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; i < flow->n_steps && strcmp(tok, flow->steps[i]->name); i++)
			;
		if (i == flow->n_steps) {
			struct strbuf names = STRBUF_INIT;
			for (size_t k = 0; k < flow->n_steps; k++)
				strbuf_addf(&names, "%s%s", k ? ", " : "", flow->steps[k]->name);
			err_set(e, "unknown step \"%s\"", tok);
			err_hint(e, "Steps are %s.", names.buf);
			strbuf_release(&names);
			free(copy);
			return -1;
		}
		sel[i] = 1;
		any = 1;
	}
	free(copy);
	if (!any)
		return err_set(e, "no step named in \"%s\"", list);
	return 0;
}

static void run_free_parts(struct run *run);
static char *done_detail(const struct step_out *o, const char *at);

struct run *run_new(const struct flow_def *flow, struct conf *c, const struct run_opts *o,
		    struct err *e)
{
	struct run *run = xcalloc(1, sizeof *run);
	int *sel = xcalloc(flow->n_steps ? flow->n_steps : 1, sizeof *sel);

	run->refused_err = (struct err)ERR_INIT;

	if (o->only && parse_only(flow, o->only, sel, e) < 0) {
		free(sel);
		free(run);
		return NULL;
	}
	run->flow = flow;
	run->conf = c;
	run->opts = *o;
	run->opts.only = dup_or_null(o->only);
	run->opts.dump = dup_or_null(o->dump);
	run->opts.sandbox = dup_or_null(o->sandbox);
	run->opts.instance_opts = dup_or_null(o->instance_opts);
	run->opts.resume_key = dup_or_null(o->resume_key);
	run->opts.stamp = NULL;
	if (o->stamp)
		snprintf(run->stamp, sizeof run->stamp, "%s", o->stamp);
	else
		timestamp_name(time(NULL), run->stamp);
	run->st = xcalloc(flow->n_steps ? flow->n_steps : 1, sizeof *run->st);
	for (size_t i = 0; i < flow->n_steps; i++) {
		run->st[i].selected = !o->only || sel[i];
		run->st[i].state = run->st[i].selected ? STEP_PENDING : STEP_SKIPPED;
	}
	free(sel);
	if (o->resume && run_resume_load(run, e) < 0) {
		run_free_parts(run);
		return NULL;
	}
	run->data = flow->create ? flow->create(run) : NULL;
	return run;
}

/* Everything but the flow's state. */
static void run_free_parts(struct run *run)
{
	for (size_t i = 0; i < run->flow->n_steps; i++) {
		free(run->st[i].out.summary);
		free(run->st[i].out.summary_l10n);
		free(run->st[i].out.kept_as);
		free(run->st[i].out.put_back);
		free(run->st[i].out.source);
		free(run->st[i].out.report);
		free(run->st[i].at);
		err_clear(&run->st[i].err);
	}
	for (size_t i = 0; i < run->n_plan; i++)
		free(run->plan[i]);
	free(run->plan);
	free(run->interrupted);
	free(run->interrupted_en);
	err_clear(&run->refused_err);
	free(run->st);
	free((char *)run->opts.only);
	free((char *)run->opts.dump);
	free((char *)run->opts.sandbox);
	free((char *)run->opts.instance_opts);
	free((char *)run->opts.resume_key);
	free(run->log_path);
	free(run);
}

void run_free(struct run *run)
{
	if (!run)
		return;
	run_checks_free(run); /* before the flow's state they read goes */
	if (run->flow->release)
		run->flow->release(run->data);
	run_free_parts(run);
}

/* The journal lives in the log directory; a dry run writes none. */
static void journal(struct run *run, const char *step, const char *event, const char *detail,
		    struct report *r)
{
	struct err e = ERR_INIT;
	if (run->opts.dry_run || !run->conf->log_dir)
		return;
	if (journal_step(run->conf->log_dir, run->stamp, run->flow->name, step, event, detail,
			 &e) < 0) {
		report_log_l10n(r, LOG_WARN, e.lmsg, "%s", e.msg);
		err_clear(&e);
	}
}

int run_prepare(struct run *run, struct report *r, struct err *e)
{
	int ret;
	if (!run->origin[0] && !run->interrupted && run->flow->journal_plan) {
		/* a fresh start after a run that died: never silently */
		struct found f;
		struct err ignored = ERR_INIT;
		if (run_find_interrupted(run, &f, &ignored) == 1) {
			run_interrupted_set(run, &f);
			report_log_l10n(r, LOG_WARN, run->interrupted, "%s", run->interrupted_en);
			if (run->opts.resume_key)
				report_log(r, LOG_WARN, "this run starts over from its first step (the "
					   "kept copies of that run stay); to continue that run "
					   "instead, press %s", run->opts.resume_key);
			else
				report_log(r, LOG_WARN, "this run starts over from its first step (the "
					   "kept copies of that run stay); to continue that run "
					   "instead, stop here and run: biso-recover %s --resume%s",
					   run->flow->name, run_instance_opts(run));
			run_found_free(&f, run->flow->n_steps);
		}
		err_clear(&ignored);
	} else if (run->interrupted) {
		report_log_l10n(r, LOG_INFO, run->interrupted, "%s", run->interrupted_en);
		report_log(r, LOG_INFO, "resuming it: the same backups, its kept names (%s)",
			   run->origin);
	}
	if (!run->origin[0] && !run->interrupted && run->conf->log_dir) {
		/* a fresh start after a run that ended half done: said first,
		 * with the commands that finish it or put it back, unless this
		 * run is the one that finishes it */
		struct strbuf sb = STRBUF_INIT, en = STRBUF_INIT;
		int *sel = xcalloc(run->flow->n_steps ? run->flow->n_steps : 1, sizeof *sel);
		for (size_t i = 0; i < run->flow->n_steps; i++)
			sel[i] = run->st[i].selected;
		if (run_ended_early_sel(run->flow, run->conf->log_dir, run_instance_opts(run), sel,
					&sb, &en)) {
			strbuf_rtrim(&sb);
			strbuf_rtrim(&en);
			report_log_l10n(r, LOG_WARN, sb.buf, "%s", en.buf);
		}
		free(sel);
		strbuf_release(&sb);
		strbuf_release(&en);
	}
	if (run->opts.dry_run) {
		/* the real run asks first (restore --again): the plan says why */
		struct strbuf sb = STRBUF_INIT, en = STRBUF_INIT;
		time_t now = time(NULL);
		if (run_again_text(run, now, &sb, &en)) {
			strbuf_addstr(&sb, _("the run asks before it starts; with --yes it is refused "
					     "unless --again is given"));
			strbuf_addstr(&en, "the run asks before it starts; with --yes it is refused "
				      "unless --again is given");
			report_log_l10n(r, LOG_WARN, sb.buf, "%s", en.buf);
		}
		strbuf_release(&sb);
		strbuf_release(&en);
	}
	ret = run->flow->prepare ? run->flow->prepare(run, r, e) : 0;
	run->prepared = ret == 0;
	return ret;
}

/* @path resolved through symbolic links as far as it exists, the rest
 * appended as written ("..": refused by the caller); malloc'd. */
static char *resolve_existing(const char *path)
{
	char *copy = xstrdup(path), *real = NULL, *out;
	size_t cut = strlen(copy);
	for (;;) {
		char keep = copy[cut];
		copy[cut] = '\0';
		real = realpath(cut ? copy : "/", NULL);
		copy[cut] = keep;
		if (real || !cut)
			break;
		while (cut > 0 && copy[--cut] != '/')
			;
	}
	out = xstrfmt("%s%s", real && strcmp(real, "/") ? real : "", copy + cut);
	free(real);
	free(copy);
	return out;
}

static int below(const char *path, const char *root)
{
	size_t n = strlen(root);
	return !strncmp(path, root, n) && (path[n] == '/' || path[n] == '\0');
}

int run_sandbox_check(const struct run *run, const char *root, struct err *e)
{
	struct strbuf t = STRBUF_INIT;
	char *rroot = realpath(root, NULL), *pgdir = NULL, *line, *save = NULL;
	int ret = 0;

	if (!rroot) {
		err_errno(e, errno, "the drill's sandbox %s cannot be resolved", root);
		return -1;
	}
	if (!run->flow->targets) {
		err_set(e, "the %s flow cannot run in a drill: it does not say what it writes",
			run->flow->name);
		free(rroot);
		return -1;
	}
	run->flow->targets(run, &t);
	pgdir = xstrfmt("%s/pg", rroot);
	for (line = strtok_r(t.buf, "\n", &save); line && !ret; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "path ", 5)) {
			char *p = resolve_existing(line + 5);
			if (line[5] != '/' || strstr(line + 5, "/../") || !below(p, rroot)) {
				err_set(e, "the drill refuses %s: it lies outside the sandbox %s",
					line + 5, rroot);
				ret = -1;
			}
			free(p);
		} else if (!strncmp(line, "server ", 7)) {
			char *p = line[7] == '/' ? resolve_existing(line + 7) : NULL;
			if (!p || strcmp(p, pgdir)) {
				err_set(e, "the drill refuses the database server \"%s\": only the "
					   "sandbox's own cluster (socket directory %s) may be used",
					line + 7, pgdir);
				ret = -1;
			}
			free(p);
		}
	}
	if (ret)
		err_hint(e, "A drill only works on its sandbox, whatever the configuration says; "
			    "nothing was touched.");
	strbuf_release(&t);
	free(pgdir);
	free(rroot);
	return ret;
}

int run_preflight(struct run *run, struct report *r, struct err *e)
{
	int ret;
	if (run->opts.sandbox && run_sandbox_check(run, run->opts.sandbox, e) < 0)
		return -1;
	/* the locks the flow takes name it to whoever finds them taken */
	lock_set_command(run->flow->name);
	fault_point("run.preflight");
	ret = run->flow->preflight ? run->flow->preflight(run, r, e) : 0;
	if (ret == 0)
		ret = run_checks_start(run, r, e);
	if (ret == 0)
		run->preflighted = 1;
	return ret;
}

/* The run's "start" record, before its first step (run or skipped): a
 * run that ends before any (the operator quit on the first screen, or
 * chose to resume the interrupted run instead) leaves no run in the
 * journal, so the interrupted one stays the newest. */
static void journal_start(struct run *run, struct report *r)
{
	struct strbuf sb = STRBUF_INIT;
	if (run->journaled_start)
		return;
	run->journaled_start = 1;
	for (size_t i = 0; i < run->flow->n_steps; i++)
		if (run->st[i].selected)
			strbuf_addf(&sb, "%s%s", sb.len ? "," : "", run->flow->steps[i]->name);
	strbuf_addch(&sb, '\n');
	if (run->flow->journal_plan)
		run->flow->journal_plan(run, &sb);
	{
		/* the --dump and --at a command finishing it must repeat
		 * (run_ended_early()); a path with a newline is left out */
		struct strbuf src = STRBUF_INIT;
		run_source_opts(run, &src);
		if (!strchr(src.buf, '\n'))
			strbuf_addf(&sb, "repeat=%s\n", src.buf);
		strbuf_release(&src);
	}
	/* the selected (or earlier done) steps that change something
	 * (run_ended_early(): a run that ended after only a check-only step
	 * is not half done) */
	strbuf_addstr(&sb, "changes=");
	for (size_t i = 0, k = 0; i < run->flow->n_steps; i++) {
		const struct step_def *sd = run->flow->steps[i];
		if ((run->st[i].selected || run->st[i].earlier) &&
		    (sd->destructive ? sd->destructive(run, NULL)
				     : (sd->flags & (STEP_F_FILES | STEP_F_DATABASE)) != 0))
			strbuf_addf(&sb, "%s%s", k++ ? "," : "", sd->name);
	}
	strbuf_addch(&sb, '\n');
	/* this run journals "working" when a step goes past its start */
	strbuf_addf(&sb, "working=journaled\norigin=%s", run_origin_stamp(run));
	journal(run, "", "start", sb.buf, r);
	/* the steps the interrupted run finished, so that this run's
	 * records tell the whole story if it is interrupted too */
	for (size_t i = 0; i < run->flow->n_steps; i++) {
		if (!run->st[i].earlier)
			continue;
		if (run->st[i].state == STEP_DONE) {
			char *detail = done_detail(&run->st[i].out, run->st[i].at);
			journal(run, run->flow->steps[i]->name, "done", detail, r);
			free(detail);
		} else {
			journal(run, run->flow->steps[i]->name, "skipped", "earlier", r);
		}
	}
	strbuf_release(&sb);
}

/* A report that counts WARN lines and forwards everything to @up. */
struct counting {
	struct report rep;
	struct report *up;
	unsigned warnings;
};

static void counting_progress(void *ctx, const struct progress *p)
{
	struct counting *c = ctx;
	if (c->up && c->up->progress)
		c->up->progress(c->up->ctx, p);
}

static void counting_log(void *ctx, enum log_level level, const char *line)
{
	struct counting *c = ctx;
	if (level == LOG_WARN)
		c->warnings++;
	if (c->up && c->up->log)
		c->up->log(c->up->ctx, level, line);
}

static void counting_log_l10n(void *ctx, enum log_level level, const char *line,
			      const char *shown)
{
	struct counting *c = ctx;
	if (level == LOG_WARN)
		c->warnings++;
	report_line(c->up, level, line, shown);
}

static int counting_cancelled(void *ctx)
{
	struct counting *c = ctx;
	return report_cancelled(c->up);
}

/* "kept <what>; from <source>; at <stamp>" for the journal's "done"
 * record (@at NULL: now). */
static char *done_detail(const struct step_out *o, const char *at)
{
	struct strbuf sb = STRBUF_INIT;
	char now[16];
	if (o->kept_as)
		strbuf_addf(&sb, "kept %s", o->kept_as);
	if (o->source)
		strbuf_addf(&sb, "%sfrom %s", sb.len ? "; " : "", o->source);
	if (!at) {
		timestamp_name(time(NULL), now);
		at = now;
	}
	strbuf_addf(&sb, "%sat %s", sb.len ? "; " : "", at);
	return strbuf_detach(&sb, NULL);
}

int run_before_change(struct run *run, struct report *r, struct err *e)
{
	size_t i;

	if (run_wait_checks(run, r, e) < 0)
		return -1;
	for (i = 0; i < run->flow->n_steps; i++)
		if (run->st[i].state == STEP_RUNNING)
			break;
	if (i == run->flow->n_steps || !(run->flow->steps[i]->flags & STEP_F_STOPS_SERVICES) ||
	    !run->flow->stop_services || run->services_stopped)
		return 0;
	if (run->flow->stop_services(run, r, e) < 0)
		return -1;
	run->services_stopped = 1;
	return 0;
}

int run_step(struct run *run, size_t i, struct report *r, struct err *e)
{
	const struct step_def *sd = run->flow->steps[i];
	struct step_status *st = &run->st[i];
	struct counting cnt = { { counting_progress, counting_log, counting_cancelled, NULL, 0, NULL },
				r, 0 };
	int64_t t0 = report_now_ns();
	const char *skip;
	int ret;

	cnt.rep.ctx = &cnt;
	cnt.rep.log_l10n = counting_log_l10n;
	journal_start(run, r);
	if ((skip = sd->skip ? sd->skip(run) : NULL)) {
		char *shown = xstrfmt(_("step %s skipped: %s"), sd->name, _(skip));
		st->state = STEP_SKIPPED;
		report_log_l10n(r, LOG_INFO, shown, "step %s skipped: %s", sd->name, skip);
		free(shown);
		journal(run, sd->name, "skipped", skip, r);
		return 0;
	}
	free(st->out.summary);
	free(st->out.summary_l10n);
	free(st->out.kept_as);
	free(st->out.put_back);
	free(st->out.source);
	free(st->out.report);
	memset(&st->out, 0, sizeof st->out);
	st->state = STEP_RUNNING;
	st->started = 1;
	err_clear(&st->err);
	{
		/* the run log has the English title, the screen the translation */
		char *shown = xstrfmt(_("step %s: %s"), sd->name, _(sd->title));
		report_log_l10n(r, LOG_INFO, shown, "step %s: %s", sd->name, sd->title);
		free(shown);
	}
	journal(run, sd->name, "started", "", r);
	fault_pointf("step.%s.start", sd->name);
	if (sd->blocked && sd->blocked(run, NULL, e)) {
		/* the preflight let it pass for the operator to choose another */
		ret = -1;
		goto done;
	}
	/* from here on the step may change something (services, its work):
	 * a run killed before this record changed nothing of the step */
	journal(run, sd->name, "working", "", r);
	ret = 0;
	/* the flow's slow checks pass before anything changes, services
	 * stopped included: here, or in the step right before its swap
	 * (run_before_change()) */
	if (!(sd->flags & STEP_F_WAITS_CHECKS))
		ret = run_before_change(run, &cnt.rep, e);
	if (ret == 0)
		ret = sd->run(run, &st->out, &cnt.rep, e);
done:
	st->seconds = (double)(report_now_ns() - t0) / 1e9;
	st->warnings = cnt.warnings;
	if (ret < 0 && !e->hint && run->flow->failure_hint) {
		const char *hint = run->flow->failure_hint(run, i);
		if (hint)
			err_hint_msgid(e, hint);
	}
	if (ret < 0 && run_refused(run)) {
		/* the slow checks refused the run before this step changed
		 * anything (it waited for them): a preflight's refusal, come
		 * late; the step did not fail, nothing is left to finish */
		struct strbuf sb = STRBUF_INIT, l10n = STRBUF_INIT;
		char *shown;
		st->state = STEP_PENDING;
		err_copy(&run->refused_err, e);
		err_format(e, &sb);
		err_format_l10n(e, &l10n);
		shown = xstrfmt(_("refused before anything was replaced: %s"), l10n.buf);
		report_log_l10n(r, LOG_ERROR, shown, "refused before anything was replaced: %s",
				sb.buf);
		free(shown);
		journal(run, sd->name, "failed", e->msg ? e->msg : "refused", r);
		strbuf_release(&sb);
		strbuf_release(&l10n);
	} else if (ret < 0) {
		struct strbuf sb = STRBUF_INIT, l10n = STRBUF_INIT;
		char *shown;
		st->state = STEP_FAILED;
		err_copy(&st->err, e);
		if (!st->err.msg)
			st->err.msg = xstrdup("failed");
		/* the one place a step's error is logged with its detail and
		 * hint: front ends then only say how the run ended */
		if (st->out.err_logged) {
			strbuf_addstr(&sb, st->err.msg);
			strbuf_addstr(&l10n, st->err.lmsg ? st->err.lmsg : st->err.msg);
		} else {
			err_format(&st->err, &sb);
			err_format_l10n(&st->err, &l10n);
		}
		shown = xstrfmt(_("step %s failed: %s"), sd->name, l10n.buf);
		report_log_l10n(r, LOG_ERROR, shown, "step %s failed: %s", sd->name, sb.buf);
		free(shown);
		journal(run, sd->name, "failed", st->err.msg, r);
		strbuf_release(&sb);
		strbuf_release(&l10n);
	} else {
		char *detail = done_detail(&st->out, NULL);
		st->state = STEP_DONE;
		const char *sum = st->out.summary_l10n ? st->out.summary_l10n : st->out.summary;
		char *shown = xstrfmt(_("step %s done in %.1f s%s%s"), sd->name, st->seconds,
				      sum ? ": " : "", sum ? sum : "");
		report_log_l10n(r, LOG_INFO, shown, "step %s done in %.1f s%s%s", sd->name,
				st->seconds, st->out.summary ? ": " : "",
				st->out.summary ? st->out.summary : "");
		free(shown);
		journal(run, sd->name, "done", detail, r);
		free(detail);
	}
	return ret;
}

void step_out_summaryf(struct step_out *o, const char *fmt, ...)
{
	struct strbuf en = STRBUF_INIT, l10n = STRBUF_INIT;
	const char *tr = i18n_find(fmt);
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	strbuf_vaddf(&en, fmt, ap);
	if (tr)
		strbuf_vaddf(&l10n, tr, ap2);
	va_end(ap2);
	va_end(ap);
	free(o->summary);
	free(o->summary_l10n);
	o->summary = strbuf_detach(&en, NULL);
	o->summary_l10n = tr ? strbuf_detach(&l10n, NULL) : NULL;
	strbuf_release(&l10n);
}

void run_skip(struct run *run, size_t i, struct report *r)
{
	if (run->st[i].state == STEP_FAILED)
		run->continued_past_failure = 1;
	run->st[i].state = STEP_SKIPPED;
	journal_start(run, r);
	journal(run, run->flow->steps[i]->name, "skipped", "by the operator", r);
}

void run_cleanups(struct run *run, struct report *r)
{
	run_checks_end(run, r);
	if (run->cleaned || !run->preflighted)
		return;
	run->cleaned = 1;
	for (size_t i = run->flow->n_steps; i-- > 0;)
		if (run->st[i].started && run->flow->steps[i]->cleanup)
			run->flow->steps[i]->cleanup(run, r);
}

int run_finish(struct run *run, int code, struct report *r)
{
	int ret = 0;
	struct err e = ERR_INIT;
	if (run->finished || !run->preflighted)
		return 0;
	run->finished = 1;
	run_cleanups(run, r);
	if (run->flow->finish && !run->opts.dry_run)
		ret = run->flow->finish(run, r);
	if (run->journaled_start && !run->opts.dry_run && run->conf->log_dir &&
	    journal_end(run->conf->log_dir, run->stamp, run->flow->name, code,
			!run_changed_nothing(run), &e) < 0) {
		report_log_l10n(r, LOG_WARN, e.lmsg, "%s", e.msg);
		err_clear(&e);
	}
	return ret;
}

int run_changed_nothing(const struct run *run)
{
	for (size_t i = 0; i < run->flow->n_steps; i++) {
		const struct step_status *st = &run->st[i];
		if (!st->earlier && (st->state == STEP_DONE || st->state == STEP_FAILED ||
				     (st->state == STEP_SKIPPED && st->seconds)))
			return 0;
	}
	return 1;
}

void run_set_stopped(struct run *run, int why) { run->stopped = why; }
int run_stopped(const struct run *run) { return run->stopped; }

void run_set_log_path(struct run *run, const char *path)
{
	free(run->log_path);
	run->log_path = dup_or_null(path);
}

const char *run_log_path(const struct run *run) { return run->log_path; }

void run_restamp(struct run *run) { timestamp_name(time(NULL), run->stamp); }

const char *run_origin_stamp(const struct run *run)
{
	return run->origin[0] ? run->origin : run->stamp;
}

const char *run_instance_opts(const struct run *run)
{
	return run->opts.instance_opts ? run->opts.instance_opts : "";
}

int run_resumed(const struct run *run) { return run->origin[0] != '\0'; }

const char *run_resume_value(const struct run *run, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i < run->n_plan; i++)
		if (!strncmp(run->plan[i], key, kl) && run->plan[i][kl] == '=')
			return run->plan[i] + kl + 1;
	return NULL;
}

int run_interrupted(const struct run *run, struct strbuf *out)
{
	if (run->interrupted && out)
		strbuf_addstr(out, run->interrupted);
	return run->interrupted != NULL;
}

const struct flow_def *run_flow(const struct run *run) { return run->flow; }
const char *run_flow_name(const struct run *run) { return run->flow->name; }
const char *run_flow_title(const struct run *run)
{
	return run->flow->title ? _(run->flow->title) : run->flow->name;
}
struct conf *run_conf(const struct run *run) { return run->conf; }
const char *run_stamp(const struct run *run) { return run->stamp; }
const struct run_opts *run_opts(const struct run *run) { return &run->opts; }
int run_dry_run(const struct run *run) { return run->opts.dry_run; }
void *run_data(const struct run *run) { return run->data; }

size_t run_step_count(const struct run *run) { return run->flow->n_steps; }

int run_step_index(const struct run *run, const char *name)
{
	for (size_t i = 0; i < run->flow->n_steps; i++)
		if (!strcmp(run->flow->steps[i]->name, name))
			return (int)i;
	return -1;
}

int run_step_selected(const struct run *run, size_t i) { return run->st[i].selected; }
const char *run_step_name(const struct run *run, size_t i)
{
	return i < run->flow->n_steps ? run->flow->steps[i]->name : "?";
}
const char *run_step_title(const struct run *run, size_t i)
{
	return i < run->flow->n_steps ? _(run->flow->steps[i]->title) : "?";
}
const char *run_step_explain(const struct run *run, size_t i)
{
	return i < run->flow->n_steps ? _(run->flow->steps[i]->explain) : "";
}
enum step_state run_step_state(const struct run *run, size_t i) { return run->st[i].state; }
double run_step_seconds(const struct run *run, size_t i) { return run->st[i].seconds; }
unsigned run_step_warnings(const struct run *run, size_t i) { return run->st[i].warnings; }
const char *run_step_summary(const struct run *run, size_t i)
{
	const struct step_out *o = &run->st[i].out;
	return o->summary_l10n && !i18n_is_english() ? o->summary_l10n : o->summary;
}
const char *run_step_kept(const struct run *run, size_t i) { return run->st[i].out.kept_as; }
uint64_t run_step_refused(const struct run *run, size_t i) { return run->st[i].out.refused; }
const struct err *run_step_err(const struct run *run, size_t i) { return &run->st[i].err; }

size_t run_next_step(const struct run *run)
{
	size_t i;
	for (i = 0; i < run->flow->n_steps; i++)
		if (run->st[i].selected && run->st[i].state == STEP_PENDING)
			break;
	return i;
}

void run_describe_step(const struct run *run, size_t i, struct strbuf *out)
{
	if (run->flow->steps[i]->describe)
		run->flow->steps[i]->describe(run, out);
}

int run_step_destructive(const struct run *run, size_t i, struct strbuf *what)
{
	const struct step_def *sd = run->flow->steps[i];
	return sd->destructive ? sd->destructive(run, what) : 0;
}

const char *run_confirm_word(const struct run *run, size_t i)
{
	const struct step_def *sd = run->flow->steps[i];
	return sd->confirm_word ? sd->confirm_word(run) : NULL;
}

void run_confirm_question(const struct run *run, size_t i, struct strbuf *out)
{
	const struct step_def *sd = run->flow->steps[i];
	const char *word = run_confirm_word(run, i);
	if (!word)
		return;
	if (sd->confirm_label)
		strbuf_addf(out, _("Type %s (%s) to go on:"), _(sd->confirm_label), word);
	else
		strbuf_addf(out, _("Type %s to go on:"), word);
}

int run_step_blocked(const struct run *run, size_t i, struct strbuf *why)
{
	const struct step_def *sd = run->flow->steps[i];
	return sd->blocked ? sd->blocked(run, why, NULL) : 0;
}

const struct backup_list *run_sources(const struct run *run, size_t i, size_t *cur)
{
	const struct step_def *sd = run->flow->steps[i];
	if (!sd->sources) {
		if (cur)
			*cur = 0;
		return NULL;
	}
	return sd->sources(run, cur);
}

int run_use_source(struct run *run, size_t i, size_t item, struct report *r, struct err *e)
{
	const struct step_def *sd = run->flow->steps[i];
	if (!sd->use_source)
		return err_set(e, "step %s has no backups to choose from", sd->name);
	return sd->use_source(run, item, r, e);
}

const char *run_source_mark(const struct run *run, size_t i, size_t item)
{
	const struct step_def *sd = run->flow->steps[i];
	return sd->source_mark ? sd->source_mark(run, item) : NULL;
}

void run_source_note(const struct run *run, size_t i, size_t item, struct strbuf *out,
		     uint64_t *bytes)
{
	const struct step_def *sd = run->flow->steps[i];
	if (sd->source_note)
		sd->source_note(run, item, out, bytes);
}

const char *run_step_choose_note(const struct run *run, size_t i)
{
	const char *n = run->flow->steps[i]->choose_note;
	return n ? _(n) : "";
}

const char *run_step_failed_note(const struct run *run, size_t i)
{
	const char *n = run->flow->steps[i]->failed_note;
	return _(n ? n : N_("Nothing was replaced: the old data is still in place."));
}

void run_target_text(const struct run *run, struct strbuf *out)
{
	if (run->flow->target_text)
		run->flow->target_text(run, out);
}
