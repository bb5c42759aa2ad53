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

struct step_status {
	enum step_state state;
	int selected;
	int started;        /* run_step() was called: its cleanup runs */
	int earlier;        /* done (or skipped) by the interrupted run this
			       one resumes */
	char *at;           /* earlier: the stamp it finished at; owned */
	double seconds;     /* wall time of the last run */
	unsigned warnings;  /* WARN-level log lines during the last run */
	struct step_out out;
	struct err err;     /* the error of a failed run */
};

struct run {
	const struct flow_def *flow;
	struct conf *conf;
	struct run_opts opts;   /* strings owned (copies) */
	char stamp[16];
	void *data;             /* the flow's state */
	struct step_status *st; /* flow->n_steps */
	int prepared, preflighted, finished;
	int journaled_start;    /* the journal has this run's "start" record */
	int services_stopped;
	int continued_past_failure;
	int stopped;
	char *log_path;
	char origin[16];        /* resuming: the interrupted run's origin stamp */
	char **plan;            /* resuming: its plan, "key=value" strings */
	size_t n_plan;
	char *interrupted;      /* run_interrupted()'s line, or NULL */
};

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

/* ---- finding an interrupted run (run.h: Resuming) ---- */

char *run_lock_path(const char *log_dir, const char *stamp)
{
	return xstrfmt("%s/run-%s.lock", log_dir, stamp);
}

int run_alive(const char *log_dir, const char *stamp)
{
	char *path = run_lock_path(log_dir, stamp);
	struct lock_holder h = { 0, 0, NULL };
	struct err ignored = ERR_INIT;
	struct stat st;
	int got = lock_holder_read(path, &h, &ignored), alive;
	if (got == 1)
		alive = lock_holder_alive(&h) != 0;
	else if (got == 0)
		alive = lstat(path, &st) == 0; /* empty: between its flock and its write */
	else
		alive = 0; /* not a holder line: no run wrote it */
	if (!alive && got != 0)
		unlink(path); /* left by a killed run */
	lock_holder_clear(&h);
	err_clear(&ignored);
	free(path);
	return alive;
}

/* The newest run of a flow as its journal records tell it. */
struct found {
	char stamp[16], origin[16];
	int ended;
	char *plan;           /* the start record's lines after the first; owned */
	int *sel;             /* selected at its start */
	enum step_state *last; /* per step: the last event (PENDING: none) */
	char **done;          /* per step: the "done" record's detail; owned */
};

static void found_free(struct found *f, size_t n)
{
	for (size_t i = 0; f->done && i < n; i++)
		free(f->done[i]);
	free(f->done);
	free(f->sel);
	free(f->last);
	free(f->plan);
	memset(f, 0, sizeof *f);
}

/* Read the newest run's step records for @flow from @log_dir's journal:
 * 1 when it is a run of @flow (in @f), 0 when there is none, -1 with @e. */
static int find_newest(const struct flow_def *flow, const char *log_dir, struct found *f,
		       struct err *e)
{
	struct journal_step_rec *v;
	size_t n, ns = flow->n_steps;
	memset(f, 0, sizeof *f);
	if (!log_dir || journal_steps(log_dir, &v, &n, e) < 0)
		return log_dir ? -1 : 0;
	if (!n || strcmp(v[0].flow, flow->name) || strcmp(v[0].event, "start") || *v[0].step) {
		journal_steps_free(v, n);
		return 0;
	}
	f->sel = xcalloc(ns ? ns : 1, sizeof *f->sel);
	f->last = xcalloc(ns ? ns : 1, sizeof *f->last);
	f->done = xcalloc(ns ? ns : 1, sizeof *f->done);
	snprintf(f->stamp, sizeof f->stamp, "%s", v[0].stamp);
	snprintf(f->origin, sizeof f->origin, "%s", v[0].stamp);
	for (size_t k = 0; k < n; k++) {
		const struct journal_step_rec *rec = &v[k];
		size_t i;
		if (!*rec->step) {
			if (!strcmp(rec->event, "end"))
				f->ended = 1;
			else if (!strcmp(rec->event, "start")) {
				/* "steps,...\nkey=value\n..." */
				const char *nl = strchr(rec->detail, '\n'), *o;
				char *steps = xstrndup(rec->detail, nl ? (size_t)(nl - rec->detail)
								   : strlen(rec->detail));
				char *save = NULL;
				for (char *t = strtok_r(steps, ",", &save); t; t = strtok_r(NULL, ",", &save))
					for (i = 0; i < ns; i++)
						if (!strcmp(t, flow->steps[i]->name))
							f->sel[i] = 1;
				free(steps);
				free(f->plan);
				f->plan = xstrdup(nl ? nl + 1 : "");
				if ((o = strstr(f->plan, "origin=")) && (o == f->plan || o[-1] == '\n'))
					snprintf(f->origin, sizeof f->origin, "%.*s",
						 (int)strcspn(o + 7, "\n"), o + 7);
			}
			continue;
		}
		for (i = 0; i < ns && strcmp(rec->step, flow->steps[i]->name); i++)
			;
		if (i == ns)
			continue;
		if (!strcmp(rec->event, "started")) {
			f->last[i] = STEP_RUNNING;
		} else if (!strcmp(rec->event, "done")) {
			f->last[i] = STEP_DONE;
			free(f->done[i]);
			f->done[i] = xstrdup(rec->detail);
		} else if (!strcmp(rec->event, "failed")) {
			f->last[i] = STEP_FAILED;
		} else if (!strcmp(rec->event, "skipped")) {
			f->last[i] = STEP_SKIPPED;
		}
	}
	journal_steps_free(v, n);
	return 1;
}

void run_done_parse(const char *d, char **kept, char **from, char **at)
{
	const char *p = d, *a = strstr(d, "; at "), *end;
	*kept = *from = *at = NULL;
	if (!strncmp(d, "at ", 3))
		a = d - 2;
	end = a ? a : d + strlen(d);
	if (a)
		*at = xstrdup(a + 5);
	if (!strncmp(p, "kept ", 5)) {
		const char *f = strstr(p, "; from ");
		const char *stop = f && f < end ? f : end;
		*kept = xstrndup(p + 5, (size_t)(stop - p - 5));
		p = stop < end ? stop + 2 : end;
	}
	if (p < end && !strncmp(p, "from ", 5))
		*from = xstrndup(p + 5, (size_t)(end - p - 5));
}

/* "1-3" style list of the 1-based step numbers with @mark set. */
static void add_ranges(struct strbuf *out, const int *mark, size_t n)
{
	int first = 1;
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		if (!mark[i])
			continue;
		while (j + 1 < n && mark[j + 1])
			j++;
		strbuf_addstr(out, first ? "" : ", ");
		if (j > i)
			strbuf_addf(out, "%zu-%zu", i + 1, j + 1);
		else
			strbuf_addf(out, "%zu", i + 1);
		first = 0;
		i = j;
	}
}

/* The step @f was in when it was interrupted: the last one started and
 * not ended, else the first selected one not finished; n when none. */
static size_t interrupted_step(const struct found *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f->last[i] == STEP_RUNNING)
			return i;
	for (size_t i = 0; i < n; i++)
		if (f->sel[i] && f->last[i] != STEP_DONE && f->last[i] != STEP_SKIPPED)
			return i;
	return n;
}

/* The value of @key in the "key=value" lines @plan, malloc'd, or NULL. */
static char *plan_value(const char *plan, const char *key)
{
	size_t kl = strlen(key);
	for (const char *l = plan; l && *l;) {
		size_t len = strcspn(l, "\n");
		if (len > kl && !strncmp(l, key, kl) && l[kl] == '=')
			return xstrndup(l + kl + 1, len - kl - 1);
		l += len + (l[len] == '\n');
	}
	return NULL;
}

/* run_interrupted()'s line for @f. */
static char *interrupted_text(const struct run *run, const struct found *f)
{
	const struct flow_def *flow = run->flow;
	size_t n = flow->n_steps, cut = interrupted_step(f, n), ndone = 0;
	int *mark = xcalloc(n ? n : 1, sizeof *mark);
	struct strbuf sb = STRBUF_INIT, names = STRBUF_INIT;
	char *taken = plan_value(f->plan, "taken"), *last_at = NULL;

	for (size_t i = 0; i < n; i++) {
		char *kept, *from, *at;
		if (f->last[i] != STEP_DONE)
			continue;
		mark[i] = 1;
		ndone++;
		strbuf_addf(&names, "%s%s", names.len ? ", " : "", flow->steps[i]->name);
		run_done_parse(f->done[i] ? f->done[i] : "", &kept, &from, &at);
		if (at) {
			free(last_at);
			last_at = at;
		}
		free(kept);
		free(from);
	}
	strbuf_addf(&sb, "the %s of %s was interrupted: ", flow->name, f->stamp);
	if (ndone) {
		strbuf_addstr(&sb, ndone > 1 ? "steps " : "step ");
		add_ranges(&sb, mark, n);
		strbuf_addf(&sb, " (%s) finished", names.buf);
		if (last_at && strlen(last_at) == 15)
			strbuf_addf(&sb, " at %.2s:%.2s", last_at + 9, last_at + 11);
		if (taken && *taken)
			strbuf_addf(&sb, " from the backups of %s", taken);
		strbuf_addstr(&sb, cut < n ? "; " : "");
	} else if (cut < n) {
		strbuf_addstr(&sb, "no step finished; ");
	}
	if (cut < n) {
		strbuf_addf(&sb, "step %zu, %s, ", cut + 1, flow->steps[cut]->name);
		if (f->last[cut] == STEP_RUNNING) {
			strbuf_addstr(&sb, "was interrupted");
			if (flow->interrupted_at) {
				struct strbuf at = STRBUF_INIT;
				flow->interrupted_at(run, cut, f->origin, &at);
				if (at.len)
					strbuf_addf(&sb, " %s", at.buf);
				strbuf_release(&at);
			}
		} else if (f->last[cut] == STEP_FAILED) {
			strbuf_addstr(&sb, "had failed");
		} else {
			strbuf_addstr(&sb, "had not started");
		}
	}
	free(mark);
	free(taken);
	free(last_at);
	strbuf_release(&names);
	return strbuf_detach(&sb, NULL);
}

/* 1 when the newest run of the flow in the journal was interrupted (no
 * "end", its run lock free): @f filled (found_free() it).  0 when not,
 * -1 with @e. */
static int find_interrupted(const struct run *run, struct found *f, struct err *e)
{
	const char *dir = run->conf->log_dir;
	int got = find_newest(run->flow, dir, f, e);
	if (got <= 0)
		return got;
	if (f->ended || run_alive(dir, f->origin)) {
		found_free(f, run->flow->n_steps);
		return 0;
	}
	return 1;
}

/* run_new() with run_opts.resume: take over the interrupted run. */
static int resume_load(struct run *run, struct err *e)
{
	struct found f;
	size_t n = run->flow->n_steps;
	int got;
	if (!run->flow->journal_plan)
		return err_set(e, "a %s cannot be resumed", run->flow->name);
	if (run->opts.only)
		return err_set(e, "--resume continues the interrupted run's own steps: do not give "
			       "--only with it");
	got = find_interrupted(run, &f, e);
	if (got < 0)
		return -1;
	if (!got) {
		err_set(e, "no interrupted %s to resume in %s", run->flow->name,
			run->conf->log_dir ? run->conf->log_dir : "(no log directory)");
		err_detail(e, "The newest %s in the journal ended, is still running, or there "
			      "is none.", run->flow->name);
		err_hint(e, "Start it without --resume (give the same --log-dir as the "
			    "interrupted run, if it had one).");
		return -1;
	}
	run->interrupted = interrupted_text(run, &f);
	snprintf(run->origin, sizeof run->origin, "%s", f.origin);
	for (const char *l = f.plan; *l;) {
		size_t len = strcspn(l, "\n");
		if (len) {
			run->plan = xrealloc(run->plan, (run->n_plan + 1) * sizeof *run->plan);
			run->plan[run->n_plan++] = xstrndup(l, len);
		}
		l += len + (l[len] == '\n');
	}
	for (size_t i = 0; i < n; i++) {
		struct step_status *st = &run->st[i];
		st->selected = f.sel[i] && f.last[i] != STEP_DONE && f.last[i] != STEP_SKIPPED;
		st->state = st->selected ? STEP_PENDING : STEP_SKIPPED;
		if (f.last[i] == STEP_DONE) {
			st->state = STEP_DONE;
			st->earlier = 1;
			run_done_parse(f.done[i] ? f.done[i] : "", &st->out.kept_as, &st->out.source,
				   &st->at);
		} else if (f.last[i] == STEP_SKIPPED && f.sel[i]) {
			st->earlier = 1;
		}
	}
	found_free(&f, n);
	return 0;
}

static void run_free_parts(struct run *run);
static char *done_detail(const struct step_out *o, const char *at);

struct run *run_new(const struct flow_def *flow, struct conf *c, const struct run_opts *o,
		    struct err *e)
{
	struct run *run = xcalloc(1, sizeof *run);
	int *sel = xcalloc(flow->n_steps ? flow->n_steps : 1, sizeof *sel);

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
	if (o->resume && resume_load(run, e) < 0) {
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
		free(run->st[i].out.source);
		free(run->st[i].out.report);
		free(run->st[i].at);
		err_clear(&run->st[i].err);
	}
	for (size_t i = 0; i < run->n_plan; i++)
		free(run->plan[i]);
	free(run->plan);
	free(run->interrupted);
	free(run->st);
	free((char *)run->opts.only);
	free((char *)run->opts.dump);
	free((char *)run->opts.sandbox);
	free(run->log_path);
	free(run);
}

void run_free(struct run *run)
{
	if (!run)
		return;
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
		if (find_interrupted(run, &f, &ignored) == 1) {
			run->interrupted = interrupted_text(run, &f);
			report_log(r, LOG_WARN, "%s", run->interrupted);
			report_log(r, LOG_WARN, "this run starts over from its first step (the kept "
				   "copies of that run stay); to continue that run instead, stop here "
				   "and run: biso-recover %s --resume", run->flow->name);
			found_free(&f, run->flow->n_steps);
		}
		err_clear(&ignored);
	} else if (run->interrupted) {
		report_log(r, LOG_INFO, "%s", run->interrupted);
		report_log(r, LOG_INFO, "resuming it: the same backups, its kept names (%s)",
			   run->origin);
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
	ret = run->flow->preflight ? run->flow->preflight(run, r, e) : 0;
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
	strbuf_addf(&sb, "origin=%s", run_origin_stamp(run));
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
	ret = 0;
	if ((sd->flags & STEP_F_STOPS_SERVICES) && run->flow->stop_services &&
	    !run->services_stopped) {
		ret = run->flow->stop_services(run, &cnt.rep, e);
		run->services_stopped = ret == 0;
	}
	if (ret == 0)
		ret = sd->run(run, &st->out, &cnt.rep, e);
done:
	st->seconds = (double)(report_now_ns() - t0) / 1e9;
	st->warnings = cnt.warnings;
	if (ret < 0 && !e->hint && run->flow->failure_hint) {
		const char *hint = run->flow->failure_hint(run, i);
		if (hint)
			err_hint(e, "%s", hint);
	}
	if (ret < 0) {
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

int run_finish(struct run *run, int code, struct report *r)
{
	int ret = 0;
	char num[16];
	if (run->finished || !run->preflighted)
		return 0;
	run->finished = 1;
	for (size_t i = run->flow->n_steps; i-- > 0;)
		if (run->st[i].started && run->flow->steps[i]->cleanup)
			run->flow->steps[i]->cleanup(run, r);
	if (run->flow->finish && !run->opts.dry_run)
		ret = run->flow->finish(run, r);
	snprintf(num, sizeof num, "%d", code);
	if (run->journaled_start)
		journal(run, "", "end", num, r);
	return ret;
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
const char *run_step_summary(const struct run *run, size_t i) { return run->st[i].out.summary; }
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
		if (!run->st[i].selected)
			continue;
		strbuf_addf(out, "%zu. %s\n", i + 1, _(sd->title));
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
			    : st->out.summary_l10n && !i18n_is_english() ? st->out.summary_l10n
			    : st->out.summary ? st->out.summary : "",
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
	if (run->stopped) {
		strbuf_addf(out, _("the run ended early: %s\n"), _(report_reason(run->stopped)));
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
		if (failed < n && left)
			strbuf_addf(out, _("the run ended early: step %s failed\n"),
				    run->flow->steps[failed]->name);
	}
	for (size_t i = 0; i < n; i++)
		if (run->st[i].out.report)
			strbuf_addf(out, _("report: %s\n"), run->st[i].out.report);
	if (run->log_path)
		strbuf_addf(out, _("log: %s\n"), run->log_path);
}

int run_exit_code(const struct run *run)
{
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
	default: strbuf_addf(out, _("ended (exit %d)"), code); break;
	}
}
