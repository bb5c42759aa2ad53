/*
 * flow: what a flow and its steps are, for the engine (run.h) that drives
 * them.  This header is the contract between the engine and each flow;
 * front ends never include it (they see a run through run.h).
 *
 * A flow is an ordered, constant table of steps plus hooks around them:
 * restore is one (src/flows/restore_flow.c), and backup, refresh and
 * drill are meant to be others.  A step is described once, in one
 * struct step_def: its name, title and explanation, the lines the plan and
 * the screens show, what it replaces and how the operator confirms it, the
 * equivalent manual commands, and the function that does the work.  Batch
 * mode, the wizard, --dry-run, --only, the summary and the journal read the
 * table; none of them knows a step by name.
 *
 * Every hook receives the run; the flow's own state (its plan: sources,
 * targets, what the preflight found) is run_data(run), created by
 * flow_def.create and freed by flow_def.release.  Hooks may be NULL where
 * the table says so.
 */
#ifndef BR_FLOW_H
#define BR_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "report.h"
#include "run.h"

struct run;
struct conf;
struct strbuf;
struct backup_list;

/* What a step hands back besides its status: the engine stores it in the
 * step's status (run_step_summary() ...) and the journal.  Strings are
 * malloc'd by the step and owned by the engine once run returns. */
struct step_out {
	char *summary;      /* one line, e.g. "1234 files, 56.0 MiB", English
			       (the log, the journal) */
	char *summary_l10n; /* the same in the operator's language for the
			       screens, or NULL: summary (step_out_summaryf()
			       fills both) */
	char *kept_as;      /* what the old data was kept as (path or DB name) */
	char *put_back;     /* the kept copy a rollback put back (a path): as
			       kept_as, a row of its own in the summary, where
			       a long path is not broken */
	char *source;       /* the backup the step used, for the journal */
	char *report;       /* a file the step wrote for the operator (the
			       verification report): the summary names it */
	uint64_t refused;   /* archive members refused as unsafe: not restored;
			       the run then exits 3 */
	int went_past;      /* errors were gone past by policy (on_error
			       continue): the run exits 3 */
	int err_logged;     /* the step logged its error in full already (the
			       replay logs each error as it happens): the
			       engine logs only the one-line message */
};

/* Set @o's summary from msgid @fmt: the English line and its translation
 * with the same arguments (i18n.h).  A step whose summary has parts in two
 * languages builds both and sets summary and summary_l10n itself. */
void step_out_summaryf(struct step_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Step flags. */
enum {
	/* The flow's services (flow_def.stop_services) must be stopped
	 * before this step runs; flow_def.finish starts them again. */
	STEP_F_STOPS_SERVICES = 1u << 0,
	/* The step changes files or runs programs in the instance (the
	 * webroot lock), or changes its database (the database lock). */
	STEP_F_FILES = 1u << 1,
	STEP_F_DATABASE = 1u << 2,
	/* The step waits for the flow's slow checks (flow_def.slow_checks)
	 * itself, with run_before_change() right before its first change
	 * (its swap), which then stops the services of a
	 * STEP_F_STOPS_SERVICES step: until then it only builds what a
	 * failure throws away (a staging tree, <db>_restoring), beside the
	 * checks, with the services up.  Without this flag the engine
	 * waits for them before the step, then stops services for it. */
	STEP_F_WAITS_CHECKS = 1u << 3,
	/* The step only reads and reports (the restore's verification): a run
	 * that selected no other step replaced nothing, so rollback passes
	 * over it (run_start_reads_only()).  It still ends the half-done
	 * notice of the run it finishes. */
	STEP_F_READS_ONLY = 1u << 4,
};

struct step_def {
	const char *name;     /* machine name, for --only and the journal: "webroot" */
	const char *title;    /* for screens: "Restore the webroot" */
	const char *explain;  /* what it does and why it sits here in the order */
	unsigned flags;       /* STEP_F_* */
	/* Said while a chosen backup is checked (" (the dump is read once,
	 * whole)"), or NULL. */
	const char *choose_note;
	/* Said when the step failed: what is in place now.  NULL: "Nothing
	 * was replaced: the old data is still in place." */
	const char *failed_note;

	/* "source: ...\ntarget: ...\n" lines for the plan and the screens. */
	void (*describe)(const struct run *run, struct strbuf *out);
	/* 1 when the step replaces existing data; @what (may be NULL) then
	 * gets one line: "replaces /var/www/biso (kept as ...)".  NULL: never. */
	int (*destructive)(const struct run *run, struct strbuf *what);
	/* The word to type to confirm it (a database name), or NULL: a yes is
	 * enough.  NULL hook: a yes. */
	const char *(*confirm_word)(const struct run *run);
	/* What the word is, for the question ("the database name": "Type the
	 * database name (biso) to go on"), or NULL: "Type biso to go on".
	 * Marked with N_(): shown translated. */
	const char *confirm_label;
	/* The manual's commands doing the same, for --dry-run, one per line,
	 * each starting with "     $ ".  NULL: none. */
	void (*manual)(const struct run *run, struct strbuf *out);
	/* 1 when the step cannot run as planned (its source is unusable and
	 * another must be chosen); @why (may be NULL) gets the reason for the
	 * screen, @e (may be NULL) the error a run of the step fails with.
	 * NULL: never. */
	int (*blocked)(const struct run *run, struct strbuf *why, struct err *e);
	/* The backups the operator may choose from, newest first; *@cur gets
	 * the index of the planned one (or the list's length).  NULL: the
	 * step has no choice.  Borrowed from the flow's state. */
	const struct backup_list *(*sources)(const struct run *run, size_t *cur);
	/* Use item @i of sources() instead, after the checks the preflight
	 * makes of it.  0, or -1 with @e (logged through @r) and the plan
	 * unchanged. */
	int (*use_source)(struct run *run, size_t i, struct report *r, struct err *e);
	/* A mark for item @i of sources() in the chooser ("CUT OFF",
	 * "UNUSABLE": an msgid, marked N_(), translated where it is drawn),
	 * RUN_MARK_USABLE for the one to offer while the step is blocked
	 * (shown without a mark), or NULL.  NULL hook: none. */
	const char *(*source_mark)(const struct run *run, size_t i);
	/* The state of the backup item @i of sources() belongs to, for the
	 * chooser beside its time and size: "verified", "DAMAGED",
	 * "unverified" (translated), appended to @out; nothing for a backup
	 * without a manifest.  Where the list knows no size (a snapshot
	 * directory) and the backup does, *@bytes gets it.  NULL hook:
	 * nothing. */
	void (*source_note)(const struct run *run, size_t i, struct strbuf *out, uint64_t *bytes);
	/* Do the work.  Progress and log lines through @r; cancellation
	 * (report_cancelled(@r)) is an error.  0 (warnings allowed) or -1 with
	 * @e set and the old data still in place unless @e says otherwise. */
	int (*run)(struct run *run, struct step_out *out, struct report *r, struct err *e);
	/* A reason to skip the step by policy (static or borrowed text), or
	 * NULL to run it: asked when its turn comes.  NULL hook: never. */
	const char *(*skip)(const struct run *run);
	/* Undo what must not outlive the run (maintenance mode a step
	 * switched on), on every exit path, for each step that started, in
	 * reverse order, before flow_def.finish.  NULL: nothing. */
	void (*cleanup)(struct run *run, struct report *r);
};

struct flow_def {
	const char *name;     /* "restore" */
	const char *title;    /* "Restore", marked N_(): a front end's headings
				 (run_flow_title()), e.g. "Restore finished" */
	const struct step_def *const *steps;
	size_t n_steps;

	/* Allocate the flow's state for @run (run_data()).  Never fails. */
	void *(*create)(struct run *run);
	/* Free it and everything the flow allocated (the run frees itself). */
	void (*release)(void *data);
	/* Resolve the plan from the configuration without touching anything.
	 * 0, or -1 with @e. */
	int (*prepare)(struct run *run, struct report *r, struct err *e);
	/* Every check that can stop the flow, before its first step changes
	 * anything; takes the flow's locks unless run_dry_run().  0, or -1
	 * with @e. */
	int (*preflight)(struct run *run, struct report *r, struct err *e);
	/* Checks that can stop the flow but take long (reading a whole dump),
	 * for a run whose preflight called run_checks_later(): they run in a
	 * thread from that call on (in a dry run run_preflight() runs them
	 * itself once the preflight passed), and no step changes anything before
	 * they passed (STEP_F_WAITS_CHECKS, run_wait_checks()), so the rule
	 * of preflight holds.  They read the plan and may fill in flow state
	 * that no step reads before it waited; their log lines (@r: no
	 * progress, cancellation when the run ends early) reach the front end
	 * when the run waits for them.  NULL: none.  0, or -1 with @e: the
	 * step that waits fails with @e, having changed nothing. */
	int (*slow_checks)(struct run *run, struct report *r, struct err *e);
	/* What the slow checks are, for the log and the progress line while
	 * a step waits ("the dump check"), marked N_().  NULL: "the checks". */
	const char *slow_checks_what;
	/* Called on the run's thread once the slow checks returned and were
	 * waited for (run_wait_checks(); in a dry run after run_preflight()
	 * ran them): moves what they found into the state the steps and the
	 * screens read (which the checks' thread must not write while the
	 * run's thread reads it).  NULL: nothing to move. */
	void (*slow_checks_done)(struct run *run);
	/* Stop the services for a STEP_F_STOPS_SERVICES step (once per run).
	 * NULL: the flow stops none.  0, or -1 with @e. */
	int (*stop_services)(struct run *run, struct report *r, struct err *e);
	/* On every exit path of a run that started steps: start what the run
	 * stopped, switch off what it switched on.  0, or -1 after logging. */
	int (*finish)(struct run *run, struct report *r);
	/* The dry-run plan's lines before the steps (locks, backups found).
	 * NULL: none. */
	void (*plan_head)(const struct run *run, struct strbuf *out);
	/* Lines after the steps' rows in the plan (@plan 1) or in the
	 * summary (@plan 0): warnings, which dump, the report file. */
	void (*plan_tail)(const struct run *run, int plan, struct strbuf *out);
	/* What the run works on, for a title line, each part led by two
	 * spaces: "  database biso  webroot /var/www/biso".  NULL: nothing. */
	void (*target_text)(const struct run *run, struct strbuf *out);
	/* A hint for a failed step whose error has none, or NULL (static; a
	 * msgid, N_()).  NULL hook: none. */
	const char *(*failure_hint)(const struct run *run, size_t step);
	/* What the run would write, for a drill's sandbox guard (run_opts.
	 * sandbox): one line each, "path DIR-OR-FILE" for every place it
	 * writes and "server HOST" for every database server it connects to
	 * (HOST as the conninfo says it; "" when it names none), after
	 * prepare.  NULL: the flow cannot run in a drill (its preflight is
	 * refused there). */
	void (*targets)(const struct run *run, struct strbuf *out);
	/* The plan a resumed run must follow, for the journal's "start"
	 * record: one "key=value" line each (the sources chosen, "" for
	 * none; no newline in a value), read back by run_resume_value().
	 * "taken=TEXT" is said as "from the backups of TEXT".  NULL: the flow
	 * cannot be resumed (run_prepare() says nothing of an interrupted run
	 * of it, run_opts.resume is refused). */
	void (*journal_plan)(const struct run *run, struct strbuf *out);
	/* The options that name the sources @run used (" --dump FILE",
	 * " --at YYYYMMDD_HHMMSS", each with a leading space, FILE absolute),
	 * appended to @out, for a command that finishes the run later: by
	 * then a newer backup may exist, which a command without them would
	 * take.  After prepare.  NULL: the operator's --dump and --at. */
	void (*source_opts)(const struct run *run, struct strbuf *out);
	/* How far step @step of the interrupted run @stamp had come
	 * ("during the replay", "during its swap of /var/www/biso"), from
	 * the journal and what it left, appended to @out with _() (the
	 * engine calls it once more inside i18n_english(1) for the log's
	 * text; the msgid "step %zu, %s, was interrupted %s" takes it).
	 * NULL: nothing. */
	void (*interrupted_at)(const struct run *run, size_t step, const char *stamp,
			       struct strbuf *out);
	/* 1: the flow is whole or nothing (a backup publishes nothing half
	 * done; a refresh's steps need the maintenance mode and services of
	 * the whole run), so a run that ended early is run again whole; the
	 * summary says so instead of offering --only the steps left. */
	int whole;
	/* The command that puts back what a run of this flow kept
	 * ("rollback"), offered (with the instance's options) by
	 * run_ended_early() when a run that ended early kept something
	 * (a "done" record with "kept ...").  NULL: none. */
	const char *undo;
};

/* Called by flow_def.preflight once what the slow checks read is
 * settled: this run leaves flow_def.slow_checks to a thread that starts
 * now, beside the rest of the preflight and the first steps (without the
 * call they are not run: the preflight made them itself).  A preflight
 * that fails afterwards stops it (run_free()). */
void run_checks_later(struct run *run);

/* Wait for the flow's slow checks (flow_def.slow_checks) that
 * run_preflight() started; meanwhile progress through @r says what is
 * awaited, and cancellation through @r stops them.  Their held log lines
 * go to @r first.  At once when the flow has none or they were waited for
 * already.  0, or -1 with @e set to their error (on every call). */
int run_wait_checks(struct run *run, struct report *r, struct err *e);

/* What a step does right before its first change: wait for the slow
 * checks (run_wait_checks()), then, when the running step has
 * STEP_F_STOPS_SERVICES, stop the flow's services (flow_def.
 * stop_services, once per run).  run_step() calls it before a step
 * without STEP_F_WAITS_CHECKS; a step with the flag calls it itself
 * (restore: before its swap), so that a refused dump stops nothing and
 * the services are down only for the swap.  0, or -1 with @e. */
int run_before_change(struct run *run, struct report *r, struct err *e);

#endif
