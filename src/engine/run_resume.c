/* run_resume: an interrupted run found again from the journal, and
 * resumed; see run.h (Resuming) and run_int.h. */
#include "config.h"
#include "run_int.h"
#include "conf.h"
#include "i18n.h"
#include "journal.h"
#include "lock.h"
#include "statusfile.h"
#include "strbuf.h"
#include "timestamp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- finding an interrupted run (run.h: Resuming) ---- */

char *run_lock_path(const char *log_dir, const char *stamp)
{
	return xstrfmt("%s/run-%s.lock", log_dir, stamp);
}

int run_alive(const char *log_dir, const char *stamp)
{
	char *path = run_lock_path(log_dir, stamp);
	struct lock_holder h = { 0, 0, NULL, NULL };
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



void run_found_free(struct found *f, size_t n)
{
	for (size_t i = 0; f->done && i < n; i++)
		free(f->done[i]);
	free(f->done);
	free(f->sel);
	free(f->last);
	free(f->working);
	free(f->plan);
	memset(f, 0, sizeof *f);
}

/* Fill @f from the @n step records @v of one run (v[0] its "start"):
 * 1 when it is a run of @flow, else 0 (@f zeroed). */
static int parse_run(const struct flow_def *flow, const struct journal_step_rec *v, size_t n,
		     struct found *f)
{
	size_t ns = flow->n_steps;
	memset(f, 0, sizeof *f);
	if (!n || strcmp(v[0].flow, flow->name) || strcmp(v[0].event, "start") || *v[0].step)
		return 0;
	f->sel = xcalloc(ns ? ns : 1, sizeof *f->sel);
	f->last = xcalloc(ns ? ns : 1, sizeof *f->last);
	f->done = xcalloc(ns ? ns : 1, sizeof *f->done);
	f->working = xcalloc(ns ? ns : 1, sizeof *f->working);
	snprintf(f->stamp, sizeof f->stamp, "%s", v[0].stamp);
	snprintf(f->origin, sizeof f->origin, "%s", v[0].stamp);
	for (size_t k = 0; k < n; k++) {
		const struct journal_step_rec *rec = &v[k];
		size_t i;
		if (!*rec->step) {
			if (!strcmp(rec->event, "end")) {
				f->ended = 1;
				f->end_code = atoi(rec->detail);
			}
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
				f->journals_working = (o = strstr(f->plan, "working=journaled")) &&
						      (o == f->plan || o[-1] == '\n');
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
			f->working[i] = 0;
		} else if (!strcmp(rec->event, "working")) {
			f->working[i] = 1;
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
	return 1;
}

/* Read the newest run's step records for @flow from @log_dir's journal
 * (with @own, the newest run of @flow or its undo flow, skipping the runs
 * of other flows):
 * 1 when it is a run of @flow (in @f), 0 when there is none, -1 with @e. */
static int find_newest(const struct flow_def *flow, const char *log_dir, int own,
		       struct found *f, struct err *e)
{
	struct journal_step_rec *v;
	size_t n;
	const char *flows[] = { flow->name, flow->undo, NULL };
	int got;
	memset(f, 0, sizeof *f);
	if (!log_dir || journal_steps_of(log_dir, own ? flows : NULL, &v, &n, e) < 0)
		return log_dir ? -1 : 0;
	got = parse_run(flow, v, n, f);
	journal_steps_free(v, n);
	return got;
}

int run_start_reads_only(const struct flow_def *flow, const char *detail)
{
	size_t len = strcspn(detail, "\n");
	int any = 0;
	for (const char *p = detail; p < detail + len;) {
		size_t w = strcspn(p, ",\n"), i;
		for (i = 0; i < flow->n_steps; i++)
			if (strlen(flow->steps[i]->name) == w && !strncmp(p, flow->steps[i]->name, w))
				break;
		if (i == flow->n_steps || !(flow->steps[i]->flags & STEP_F_READS_ONLY))
			return 0;
		any = 1;
		p += w + (p[w] == ',');
	}
	return any;
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

/* run_interrupted_text()'s part on the steps that finished: "steps 1-3
 * (webroot, config, datadir) finished at 10:59 from the backups of
 * 2026-12-06 02:00" (@ranges, @names, @ndone of them), appended to @out.
 * One msgid each for with and without the time and the backups: whole
 * clauses, the count's plural by ngettext. */
static void add_finished(struct strbuf *out, size_t ndone, const char *ranges, const char *names,
			 const char *hhmm, const char *taken)
{
	if (*hhmm && taken && *taken)
		/* TRANSLATORS: "steps 1-3 (webroot, config, datadir) finished at
		 * 10:59 from the backups of 2026-12-06 02:00"; step names stay */
		strbuf_addf(out, P_("step %s (%s) finished at %s from the backups of %s",
				    "steps %s (%s) finished at %s from the backups of %s", ndone),
			    ranges, names, hhmm, taken);
	else if (*hhmm)
		strbuf_addf(out, P_("step %s (%s) finished at %s", "steps %s (%s) finished at %s",
				    ndone),
			    ranges, names, hhmm);
	else if (taken && *taken)
		strbuf_addf(out, P_("step %s (%s) finished from the backups of %s",
				    "steps %s (%s) finished from the backups of %s", ndone),
			    ranges, names, taken);
	else
		strbuf_addf(out, P_("step %s (%s) finished", "steps %s (%s) finished", ndone), ranges,
			    names);
}

/* run_interrupted_text()'s part on step @cut, where the run stopped:
 * "step 4, database, was interrupted during the replay", appended to
 * @out. */
static void add_cut(struct strbuf *out, const struct run *run, const struct found *f, size_t cut)
{
	const struct flow_def *flow = run->flow;
	const char *name = flow->steps[cut]->name;
	size_t no = cut + 1;
	if (f->last[cut] == STEP_RUNNING && f->journals_working && !f->working[cut]) {
		/* killed between its "started" and "working" records */
		strbuf_addf(out, _("step %zu, %s, was interrupted at its start; nothing of it had "
				   "changed"),
			    no, name);
	} else if (f->last[cut] == STEP_RUNNING) {
		struct strbuf at = STRBUF_INIT;
		if (flow->interrupted_at)
			flow->interrupted_at(run, cut, f->origin, &at);
		if (at.len)
			/* TRANSLATORS: the last %s says how far the step had
			 * come: "during the replay", "during its swap of
			 * /var/www/biso" */
			strbuf_addf(out, _("step %zu, %s, was interrupted %s"), no, name, at.buf);
		else
			strbuf_addf(out, _("step %zu, %s, was interrupted"), no, name);
		strbuf_release(&at);
	} else if (f->last[cut] == STEP_FAILED) {
		strbuf_addf(out, _("step %zu, %s, had failed"), no, name);
	} else {
		strbuf_addf(out, _("step %zu, %s, had not started"), no, name);
	}
}

/* run_interrupted()'s line for @f in the language _() gives now (the log's
 * is built inside i18n_english(1): run_interrupted_set()). */
char *run_interrupted_text(const struct run *run, const struct found *f)
{
	const struct flow_def *flow = run->flow;
	size_t n = flow->n_steps, cut = interrupted_step(f, n), ndone = 0;
	int *mark = xcalloc(n ? n : 1, sizeof *mark);
	struct strbuf sb = STRBUF_INIT, names = STRBUF_INIT, ranges = STRBUF_INIT;
	struct strbuf done = STRBUF_INIT, stop = STRBUF_INIT;
	char *taken = plan_value(f->plan, "taken"), *last_at = NULL, hhmm[6] = "";

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
	if (last_at && strlen(last_at) == 15)
		snprintf(hhmm, sizeof hhmm, "%.2s:%.2s", last_at + 9, last_at + 11);
	if (ndone) {
		add_ranges(&ranges, mark, n);
		add_finished(&done, ndone, ranges.buf, names.buf, hhmm, taken);
	} else if (cut < n) {
		strbuf_addstr(&done, _("no step finished"));
	}
	if (cut < n)
		add_cut(&stop, run, f, cut);
	/* TRANSLATORS: "the restore of 20261206_105500 was interrupted: steps
	 * 1-3 (...) finished at 10:59 ...; step 4, database, was interrupted
	 * during the replay"; the first %s is the command (restore, backup) */
	if (done.len && stop.len)
		strbuf_addf(&sb, _("the %s of %s was interrupted: %s; %s"), flow->name, f->stamp,
			    done.buf, stop.buf);
	else if (done.len)
		strbuf_addf(&sb, _("the %s of %s was interrupted: %s"), flow->name, f->stamp,
			    done.buf);
	else
		strbuf_addf(&sb, _("the %s of %s was interrupted"), flow->name, f->stamp);
	free(mark);
	free(taken);
	free(last_at);
	strbuf_release(&names);
	strbuf_release(&ranges);
	strbuf_release(&done);
	strbuf_release(&stop);
	return strbuf_detach(&sb, NULL);
}

void run_interrupted_set(struct run *run, const struct found *f)
{
	int was;
	free(run->interrupted);
	free(run->interrupted_en);
	run->interrupted = run_interrupted_text(run, f);
	was = i18n_english(1);
	run->interrupted_en = run_interrupted_text(run, f);
	i18n_english(was);
}

/* 1 when @name is one of the comma-separated @list. */
static int in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : "")
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

/* The text of run_ended_early() for @f (a run of @flow that ended), in
 * the language _() gives, appended to @out; 0 (nothing appended) when it
 * did not end early having changed something (no step done that kept
 * something or is one of its start record's "changes="; a journal
 * without that key: any done step counts), or when @sel (a run about
 * to start: its selected steps, NULL: none) selects only steps @f left
 * undone: that run finishes it. */
static int ended_early_text(const struct flow_def *flow, const struct found *f,
			    const char *inst, const int *sel, struct strbuf *out)
{
	size_t n = flow->n_steps, last = n;
	struct strbuf list = STRBUF_INIT, only = STRBUF_INIT;
	int kept = 0, changed = 0, finishes = sel != NULL;
	char *repeat, *changes;

	/* a whole flow (backup, refresh) half done is run again whole: its
	 * summary says so, and it keeps nothing to finish or put back */
	if (!f->ended || flow->whole)
		return 0;
	changes = plan_value(f->plan, "changes");
	for (size_t i = 0; i < n; i++) {
		char *k, *from, *at;
		if (f->last[i] == STEP_DONE) {
			last = i;
			run_done_parse(f->done[i] ? f->done[i] : "", &k, &from, &at);
			kept |= k != NULL;
			changed |= k != NULL || !changes || in_list(changes, flow->steps[i]->name);
			free(k);
			free(from);
			free(at);
		} else if (f->sel[i] && f->last[i] != STEP_SKIPPED) {
			strbuf_addf(&list, "%s%s", list.len ? ", " : "", flow->steps[i]->name);
			strbuf_addf(&only, "%s%s", only.len ? "," : "", flow->steps[i]->name);
			continue;
		}
		if (sel && sel[i])
			finishes = 0; /* it does a step again that @f did */
	}
	free(changes);
	if (last == n || !changed || !only.len || finishes) {
		strbuf_release(&list);
		strbuf_release(&only);
		return 0;
	}
	repeat = plan_value(f->plan, "repeat");
	/* TRANSLATORS: "the restore of 20261207_015841 ended early after
	 * datadir (exit 130); not done: database, migrations, verify"; step
	 * names stay */
	strbuf_addf(out, _("the %s of %s ended early after %s (exit %d); not done: %s\n"),
		    flow->name, f->stamp, flow->steps[last]->name, f->end_code, list.buf);
	strbuf_addf(out, _("to finish it, run:\n  biso-recover %s --only %s%s%s\n"), flow->name,
		    only.buf, inst, repeat ? repeat : "");
	if (kept && flow->undo)
		strbuf_addf(out, _("to put back what it replaced instead, run:\n  biso-recover %s%s\n"),
			    flow->undo, inst);
	free(repeat);
	strbuf_release(&list);
	strbuf_release(&only);
	return 1;
}

int run_ended_early_sel(const struct flow_def *flow, const char *log_dir, const char *inst,
			const int *sel, struct strbuf *out, struct strbuf *out_en)
{
	struct found f;
	struct err ignored = ERR_INIT;
	/* a later run of another flow (the nightly backup) does not end
	 * it; a later restore or rollback does */
	int got = find_newest(flow, log_dir, 1, &f, &ignored);
	err_clear(&ignored);
	if (got <= 0)
		return 0;
	got = ended_early_text(flow, &f, inst ? inst : "", sel, out);
	if (got && out_en) {
		int was = i18n_english(1);
		ended_early_text(flow, &f, inst ? inst : "", sel, out_en);
		i18n_english(was);
	}
	run_found_free(&f, flow->n_steps);
	return got;
}

int run_ended_early(const struct flow_def *flow, const char *log_dir, const char *instance_opts,
		    struct strbuf *out)
{
	return run_ended_early_sel(flow, log_dir, instance_opts, NULL, out, NULL);
}

/* When the run @f ended: its status file's last write (the runner writes
 * it at the end), else its run log's last change; 0 when neither is. */
static time_t ended_at(const char *log_dir, const struct found *f)
{
	struct status st = { 0 };
	struct err ignored = ERR_INIT;
	char *path = statusfile_path(log_dir, f->stamp);
	time_t t = 0;
	struct stat sb;
	if (statusfile_read(path, &st, &ignored) == 1 && st.state == STATUS_FINISHED)
		t = (time_t)st.updated;
	status_clear(&st);
	err_clear(&ignored);
	free(path);
	if (!t) {
		path = xstrfmt("%s/biso-recover-%s.log", log_dir, f->stamp);
		if (stat(path, &sb) == 0)
			t = sb.st_mtime;
		free(path);
	}
	return t;
}

/* The steps of @f (a run of @flow that ended) that kept something and
 * that @run selects again, "webroot, datadir", into @steps. */
static void kept_steps(const struct run *run, const struct found *f, struct strbuf *steps)
{
	const struct flow_def *flow = run->flow;
	for (size_t i = 0; f->ended && i < flow->n_steps; i++) {
		char *k, *from, *at;
		if (f->last[i] != STEP_DONE || !run->st[i].selected)
			continue;
		run_done_parse(f->done[i] ? f->done[i] : "", &k, &from, &at);
		if (k)
			strbuf_addf(steps, "%s%s", steps->len ? ", " : "", flow->steps[i]->name);
		free(k);
		free(from);
		free(at);
	}
}

/* The newest run of @run's flow in @dir's journal that ended less than
 * RUN_AGAIN_SECONDS before @now and kept something @run would replace
 * again: 1 with @f (run_found_free()), *@end and @steps set, else 0.  Runs
 * of other flows (the nightly backup) are passed over, and so are newer
 * runs of the flow that kept nothing (`restore --only migrations`); a run
 * of its undo flow (a rollback) ends the search. */
static int find_again(const struct run *run, const char *dir, time_t now, struct found *f,
		      time_t *end, struct strbuf *steps)
{
	const struct flow_def *flow = run->flow;
	struct journal_step_rec *v;
	struct err ignored = ERR_INIT;
	size_t n, stop;
	int got = 0;

	if (journal_steps_all(dir, &v, &n, &ignored) < 0) {
		err_clear(&ignored);
		return 0;
	}
	/* the runs follow each other, oldest first: each begins with its start */
	for (stop = n; stop > 0 && !got;) {
		size_t k = stop;
		while (k > 0 && (*v[k - 1].step || strcmp(v[k - 1].event, "start")))
			k--;
		if (k == 0)
			break; /* records before any start: a damaged journal */
		k--;
		if (flow->undo && !strcmp(v[k].flow, flow->undo))
			break;
		if (parse_run(flow, v + k, stop - k, f)) {
			time_t t = f->ended ? ended_at(dir, f) : 0;
			if (f->ended && (!t || now < t || now - t >= RUN_AGAIN_SECONDS)) {
				run_found_free(f, flow->n_steps);
				break; /* the runs before it ended earlier still */
			}
			kept_steps(run, f, steps);
			if (steps->len) {
				*end = t;
				got = 1;
			} else {
				run_found_free(f, flow->n_steps);
			}
		}
		stop = k;
	}
	journal_steps_free(v, n);
	return got;
}

int run_again_text(const struct run *run, time_t now, struct strbuf *out, struct strbuf *out_en)
{
	const struct flow_def *flow = run->flow;
	const char *dir = run->conf->log_dir;
	struct strbuf steps = STRBUF_INIT;
	struct found f;
	int got;
	time_t end = 0;

	if (!flow->undo || !dir || run->origin[0])
		return 0;
	memset(&f, 0, sizeof f);
	got = find_again(run, dir, now, &f, &end, &steps);
	if (got) {
		char when[20];
		timestamp_human(end, when);
		/* the operator's language, then English for the log */
		for (int l10n = 0; l10n < (out_en ? 2 : 1); l10n++) {
			struct strbuf *o = l10n ? out_en : out;
			int was = i18n_english(l10n);
			/* TRANSLATORS: "the restore of 20261207_080102 finished at
			 * 2026-12-07 08:01:45 (exit 0), less than an hour ago, and
			 * replaced webroot, datadir"; step names stay */
			strbuf_addf(o, _("the %s of %s finished at %s (exit %d), less than an hour ago, "
					 "and replaced %s; its log: %s/biso-recover-%s.log; its summary: "
					 "biso-recover status%s\n"),
				    flow->name, f.stamp, when, f.end_code, steps.buf, dir, f.stamp,
				    run_instance_opts(run));
			strbuf_addf(o, _("this run would replace that again and keep what that run put "
					 "in as the copy to go back to: 'biso-recover %s' would then no "
					 "longer reach what was there before it\n"), flow->undo);
			i18n_english(was);
		}
	}
	run_found_free(&f, flow->n_steps);
	strbuf_release(&steps);
	return got;
}

/* 1 when the newest run of the flow in the journal was interrupted (no
 * "end", its run lock free): @f filled (run_found_free() it).  0 when not,
 * -1 with @e. */
int run_find_interrupted(const struct run *run, struct found *f, struct err *e)
{
	const char *dir = run->conf->log_dir;
	int got = find_newest(run->flow, dir, 0, f, e);
	if (got <= 0)
		return got;
	if (f->ended || run_alive(dir, f->origin)) {
		run_found_free(f, run->flow->n_steps);
		return 0;
	}
	return 1;
}

/* run_new() with run_opts.resume: take over the interrupted run. */
int run_resume_load(struct run *run, struct err *e)
{
	struct found f;
	size_t n = run->flow->n_steps;
	int got;
	if (!run->flow->journal_plan)
		return err_set(e, "a %s cannot be resumed", run->flow->name);
	if (run->opts.only)
		return err_set(e, "--resume continues the interrupted run's own steps: do not give "
			       "--only with it");
	got = run_find_interrupted(run, &f, e);
	if (got < 0)
		return -1;
	if (!got) {
		if (run->conf->log_dir)
			err_set(e, "no interrupted %s to resume in %s", run->flow->name,
				run->conf->log_dir);
		else
			err_set(e, "no interrupted %s to resume: there is no log directory",
				run->flow->name);
		err_detail(e, "The newest %s in the journal ended, is still running, or there "
			      "is none.", run->flow->name);
		err_hint(e, "Start it without --resume (give the same --log-dir as the "
			    "interrupted run, if it had one).");
		return -1;
	}
	run_interrupted_set(run, &f);
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
	run_found_free(&f, n);
	return 0;
}
