/*
 * run_int: what the engine's files share (run.c: the lifecycle and the
 * steps; run_resume.c: finding and loading an interrupted run from the
 * journal; run_text.c: the plan, summary, exit code and end text).  Not a
 * public interface: flows use flow.h, front ends run.h.
 */
#ifndef BR_RUN_INT_H
#define BR_RUN_INT_H

#include "flow.h"
#include "run.h"

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
	int cleaned;                    /* run_cleanups() ran */
	int journaled_start;    /* the journal has this run's "start" record */
	int services_stopped;
	int continued_past_failure;
	int stopped;
	char *log_path;
	char origin[16];        /* resuming: the interrupted run's origin stamp */
	char **plan;            /* resuming: its plan, "key=value" strings */
	size_t n_plan;
	char *interrupted;      /* run_interrupted()'s line, or NULL */
	char *interrupted_en;   /* the same in English, for the log */
	struct run_checks *checks; /* the flow's slow checks (run_checks.c) */
	int checks_later;       /* run_checks_later() was called */
	struct err refused_err; /* the slow checks' refusal (run_refused()) */
};

/* run_checks.c: start the flow's slow checks (flow_def.slow_checks) in a
 * thread after its preflight passed and asked for them (run_checks_later()); in a dry run (or without a thread)
 * run them here.  0, or -1 with @e (then the preflight failed). */
int run_checks_start(struct run *run, struct report *r, struct err *e);
/* 1 when the slow checks refused the run (not when it was stopped). */
int run_checks_refused(const struct run *run);
/* The run ends: stop checks no step waited for, pass their lines to @r. */
void run_checks_end(struct run *run, struct report *r);
/* Stop and free them (run_free()). */
void run_checks_free(struct run *run);
/* The newest run of a flow as its journal records tell it. */
struct found {
	char stamp[16], origin[16];
	int ended;
	int end_code;         /* ended: the exit code its "end" record has */
	char *plan;           /* the start record's lines after the first; owned */
	int *sel;             /* selected at its start */
	enum step_state *last; /* per step: the last event (PENDING: none) */
	int *working;         /* per step: "working" after its last "started" */
	int journals_working; /* the run journals "working" (its start record
				 says so; older versions did not) */
	char **done;          /* per step: the "done" record's detail; owned */
};

/* The options that chose @run's backups (" --dump FILE --at STAMP"; ""
 * when none), appended to @out: what a command repeating the run carries
 * beside the instance's options; the journal's "start" record keeps them
 * ("repeat=") for run_ended_early(). */
void run_source_opts(const struct run *run, struct strbuf *out);
/* Free what @f holds (@n: the flow's step count). */
void run_found_free(struct found *f, size_t n);
/* The newest run of @run's flow in its log directory when it was
 * interrupted (no "end" record, no live process): 1 with @f filled, 0 when
 * there is none, -1 with @e. */
int run_find_interrupted(const struct run *run, struct found *f, struct err *e);
/* "the restore of S was interrupted: steps 1-3 (...) finished at ...; step
 * 4, database, was interrupted during ..." for @f, malloc'd, in the
 * language _() gives (i18n_english(1): English). */
char *run_interrupted_text(const struct run *run, const struct found *f);
/* run->interrupted (the operator's language) and run->interrupted_en (the
 * log's English) for @f, the old ones freed. */
void run_interrupted_set(struct run *run, const struct found *f);
/* run_ended_early() for a run about to start whose selected steps are
 * @sel (NULL: say it in any case; a run selecting only steps the earlier
 * one left undone finishes it: nothing said), with the English text in
 * @out_en too (may be NULL). */
int run_ended_early_sel(const struct flow_def *flow, const char *log_dir, const char *inst,
			const int *sel, struct strbuf *out, struct strbuf *out_en);
/* --resume: take the interrupted run's plan, stamp and finished steps
 * into @run.  0, or -1 with @e. */
int run_resume_load(struct run *run, struct err *e);

#endif
