/*
 * run: one run of a flow (flow.h), as an opaque object the front ends
 * drive through functions, after git's struct progress.
 *
 * Lifecycle, in this order:
 *
 *   run_new()        the flow, the configuration and the options; a stamp
 *                    (YYYYMMDD_HHMMSS) names the run, its log and its kept
 *                    copies.  Nothing is read yet.
 *   run_prepare()    the plan: which backups, which targets.  Touches
 *                    nothing.
 *   run_preflight()  every check that can stop the flow, before the first
 *                    step changes anything; takes the locks (not in a dry
 *                    run).
 *   (the journal gets the run's "start" record at its first run_step() or
 *   run_skip(): a run that ends before any step leaves no run there)
 *   run_step(i)      for each selected step in order, after the front end
 *                    confirmed it where run_step_destructive() says so;
 *                    run_skip() instead for a step the operator skips.
 *   run_finish()     on every exit path once run_preflight() passed: the
 *                    steps' cleanups, the flow's finish (services started
 *                    again), and the journal's "end" record with the exit
 *                    code.
 *   run_free()       releases the locks and everything else.
 *
 * The journal (journal.h) records for each step "started", then "done"
 * with what it kept the old data as and which backup it used, "failed"
 * with the error, or "skipped": with the swap records, a later run can tell
 * exactly where an earlier one stopped.
 *
 * Languages (i18n.h): what the functions below return for screens (titles,
 * explanations, notes, plan, summary, end text) is in the operator's
 * language; the run log stays English: run_step() logs with report_log(),
 * and a front end writing the summary or the end text to its log builds
 * them inside i18n_english(1).  Step names are never translated.
 *
 * A run is used by one thread at a time: a front end that runs a step in
 * a worker thread does not call into the run until the step returns.
 */
#ifndef BR_RUN_H
#define BR_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"
#include "report.h"

struct conf;
struct strbuf;
struct flow_def;
struct backup_list;

enum step_state {
	STEP_PENDING,
	STEP_RUNNING,
	STEP_DONE,    /* done, maybe with warnings */
	STEP_FAILED,
	STEP_SKIPPED  /* not selected, skipped by policy or by the operator */
};

/* What the front end asks for; copied by run_new(). */
struct run_opts {
	const char *only;     /* "webroot,database": the steps to run; NULL: all */
	const char *dump;     /* a dump named on the command line, or NULL */
	time_t at;            /* newest backups taken at or before (0: newest) */
	int dry_run;          /* look only: no lock, no journal, no change */
	int allow_bad_dump;   /* the wizard: an unusable planned dump does not
				 stop the preflight; the step is blocked until
				 the operator chooses another */
	const char *stamp;    /* preset stamp (tests), or NULL: now */
	const char *sandbox;  /* a drill's sandbox root, or NULL: run_preflight()
				 refuses, before the flow's own checks, every
				 target (flow_def.targets) that is not below it
				 and every server other than its socket
				 directory <sandbox>/pg */
	int resume;           /* continue the flow's interrupted run (see
				 "Resuming" below) instead of starting over */
	const char *instance_opts; /* the options that named the instance,
				 rendered to paste (" --config /etc/x.conf
				 --log-dir /srv/log"), or NULL: none; the
				 commands the summary offers repeat them */
	const char *resume_key; /* the front end continues an interrupted run
				 on this key ("c": the wizard's first screen),
				 or NULL: run_prepare()'s warning names the
				 command (--resume with instance_opts) */
};

struct run;

/*
 * Resuming.  A run that died (kill -9, OOM, power cut) leaves the
 * journal's step records without "end", and its run lock
 * (run_lock_path()) names no live process.  The next run_prepare() of the
 * same flow finds it: a fresh run says so in a warning and how to continue
 * it (it starts over otherwise; run_interrupted() has the text for a
 * front end to show first).  A run with run_opts.resume continues it
 * instead: run_new() takes the interrupted run's selection, marks the
 * steps it finished done (not selected: front ends pass them by; their
 * kept copies and sources stay in the summary), and the run keeps that
 * run's stamp for its kept names and swaps (run_origin_stamp(); its own
 * stamp still names its log and its journal records).  The flow reads the
 * plan the interrupted run recorded (flow_def.journal_plan) with
 * run_resume_value() and must use exactly those sources.
 */

/*
 * A new run of @flow for the instance @c (borrowed: must outlive the run).
 * NULL with @e when @o->only names a step @flow does not have.
 */
struct run *run_new(const struct flow_def *flow, struct conf *c, const struct run_opts *o,
		    struct err *e);
/* Release everything, locks included.  NULL is a no-op. */
void run_free(struct run *run);

/* Lifecycle steps, see above: 0, or -1 with @e set.  run_preflight()
 * checks run_opts.sandbox first (run_sandbox_check()). */
int run_prepare(struct run *run, struct report *r, struct err *e);
int run_preflight(struct run *run, struct report *r, struct err *e);
/* Run step @i: its status and the journal follow it; its error is logged
 * in full through @r (front ends only say how the run ended).  0, or -1
 * with @e. */
int run_step(struct run *run, size_t i, struct report *r, struct err *e);
/* Mark step @i skipped by the operator (after a failure: the run then
 * exits 3). */
void run_skip(struct run *run, size_t i, struct report *r);
/* Run the cleanups of the steps that started, in reverse order, once
 * (run_finish() runs them when this did not): a front end calls it
 * before run_summary() so that the summary says what they did (the
 * backup's maintenance mode switched off again). */
void run_cleanups(struct run *run, struct report *r);
/* See above; @code is the front end's exit code for the journal.  A
 * second call does nothing.  0, or -1 when the flow's finish failed
 * (logged). */
int run_finish(struct run *run, int code, struct report *r);

/* Set by the front end when the run ends early not by a failed step: a
 * report cancel code (1: the operator; REPORT_STOP_SIGNAL(sig)). */
void run_set_stopped(struct run *run, int why);
int run_stopped(const struct run *run);
/* The run log's path, set by the front end that opened it (copied). */
void run_set_log_path(struct run *run, const char *path);
const char *run_log_path(const struct run *run);
/* Make a new stamp (now): the log of a run started in the same second
 * already exists.  Only before run_prepare(). */
void run_restamp(struct run *run);

/* The sandbox guard of a drill: 0 when every target of @run
 * (flow_def.targets) lies below @root, resolved through symbolic links, and
 * every server is the socket directory @root/pg; -1 with @e naming the
 * first that does not.  Touches nothing. */
int run_sandbox_check(const struct run *run, const char *root, struct err *e);
/* ---- resuming (see above) ---- */
/* The stamp that names this run's kept copies, swaps and run lock: the
 * interrupted run's when resuming, else run_stamp().  Stays valid. */
const char *run_origin_stamp(const struct run *run);
/* run_opts.instance_opts, "" when none: append it to a command the run
 * offers ("biso-recover rollback%s").  Stays valid. */
const char *run_instance_opts(const struct run *run);
/* 1 when this run resumes an interrupted one. */
int run_resumed(const struct run *run);
/* The value of @key in the plan the resumed run recorded
 * (flow_def.journal_plan), borrowed; NULL when not resuming or not
 * recorded.  An empty value means the plan had none. */
const char *run_resume_value(const struct run *run, const char *key);
/* 1 when run_prepare() found an interrupted run of the flow (this run
 * resumes it, or starts over), with @out (may be NULL) getting one line:
 * "the restore of 20261206_105500 was interrupted: steps 1-3 (webroot,
 * config, datadir) finished at 10:59 from the backups of 02:00; step 4,
 * database, was interrupted during the replay". */
int run_interrupted(const struct run *run, struct strbuf *out);
/*
 * After a run that ended early, half done (webroot and datadir replaced,
 * the operator stopped before the database): when the newest run of
 * @flow (&restore_flow ...) in @log_dir's journal ended (its "end"
 * record) with a selected step not done after at least one done, append
 * to @out, in the language _() gives:
 *   "the restore of 20261207_015841 ended early after datadir (exit 130);
 *    not done: database, migrations, verify"
 *   "to finish it, run:" / "  biso-recover restore --only database,
 *    migrations,verify" with @instance_opts (as run_opts.instance_opts;
 *    NULL: none) and that run's --dump and --at
 *   "to put back what it replaced instead, run:" / "  biso-recover
 *    rollback..." (flow_def.undo, when a done step kept something)
 * one line each, each ending in a newline; returns 1.  0, nothing
 * appended, when there is none (no journal, a run of the flow or of its
 * undo flow came after it: a later run of another flow, such as the
 * nightly backup, does not end it; it finished, or changed nothing; a whole flow, flow_def.whole, which is run
 * again whole, never).  Reads only the journal; run_prepare()
 * logs it as a warning unless the run finishes it.
 */
int run_ended_early(const struct flow_def *flow, const char *log_dir, const char *instance_opts,
		    struct strbuf *out);
/* How long after a run of a flow with an undo flow (flow_def.undo: the
 * restore) ended a new run of it asks before it replaces again what that
 * run replaced: an hour. */
#define RUN_AGAIN_SECONDS 3600
/* When a run of @run's flow in the instance's journal ended less than
 * RUN_AGAIN_SECONDS before @now and kept something (a pre-restore copy) in
 * a step @run selects again, with no run of its undo flow (a rollback)
 * after it (runs of other flows, the nightly backup, and of this flow that
 * kept nothing, `restore --only migrations`, do not count), append
 * to @out, in the language _() gives, what that run is (its stamp, end
 * time and exit code, the steps, its log, "biso-recover status" with the
 * instance's options for its summary) and that this run would put its
 * result into the copy to go back to, one line each; returns 1.  0,
 * nothing appended, otherwise (and for a resumed run, or a flow without
 * an undo flow).  After run_new(); reads the journal, the status file and
 * the run log only, once.  @out_en (may be NULL): the same in English,
 * for the log.  Front ends ask before such a run (restore --again). */
int run_again_text(const struct run *run, time_t now, struct strbuf *out, struct strbuf *out_en);
/* 1 when the journal's "start" record @detail of a run of @flow selected
 * only steps that read (STEP_F_READS_ONLY: `restore --only verify`), so
 * that the run replaced nothing; 0 otherwise (an unknown step counts as
 * one that changes). */
int run_start_reads_only(const struct flow_def *flow, const char *detail);
/* " --dump PATH" for a command that repeats a run, appended to @out: the
 * dump @dump names by its absolute path (as given when it cannot be
 * resolved), quoted for a shell (runcmd_format_argv()).  For
 * flow_def.source_opts and the run's own. */
void run_dump_opt(const char *dump, struct strbuf *out);
/* Split the detail of a journal "done" record as run_step() writes it
 * ("kept K; from S; at STAMP", each part optional) into malloc'd parts,
 * NULL where absent: for a flow that reads another run's records (the
 * rollback reads what a restore kept). */
void run_done_parse(const char *detail, char **kept, char **from, char **at);
/* <log_dir>/run-<stamp>.lock, the lock a run of @stamp (its origin
 * stamp) holds while it lives: malloc'd. */
char *run_lock_path(const char *log_dir, const char *stamp);
/* 1 when the run of @stamp still holds its run lock, by the holder its
 * file names (lock_holder_read(), lock_holder_alive(): pid, process start,
 * host; a holder that cannot be told dead counts as alive).  The file is
 * read, never locked: a probing flock would make a concurrent lock_take()
 * fail.  The file of a dead run is removed. */
int run_alive(const char *log_dir, const char *stamp);

/* ---- reading the run ---- */
const struct flow_def *run_flow(const struct run *run);
const char *run_flow_name(const struct run *run);
/* The flow's title for screens ("Restore", "Backup"), translated
 * (static); its name when it has none. */
const char *run_flow_title(const struct run *run);
struct conf *run_conf(const struct run *run);
const char *run_stamp(const struct run *run);
const struct run_opts *run_opts(const struct run *run);
int run_dry_run(const struct run *run);
/* The flow's state (flow.h); for the flow's own code. */
void *run_data(const struct run *run);

size_t run_step_count(const struct run *run);
/* Index of the step named @name, or -1. */
int run_step_index(const struct run *run, const char *name);
int run_step_selected(const struct run *run, size_t i);
const char *run_step_name(const struct run *run, size_t i);
/* The step's title and explanation for screens: translated (static). */
const char *run_step_title(const struct run *run, size_t i);
const char *run_step_explain(const struct run *run, size_t i);
enum step_state run_step_state(const struct run *run, size_t i);
double run_step_seconds(const struct run *run, size_t i);
unsigned run_step_warnings(const struct run *run, size_t i);
/* Borrowed; NULL when unset.  The summary in the operator's language (the
 * screens': the wizard's headline warnings, the summary's rows), English
 * inside i18n_english(1). */
const char *run_step_summary(const struct run *run, size_t i);
const char *run_step_kept(const struct run *run, size_t i);
uint64_t run_step_refused(const struct run *run, size_t i);
/* The error of a failed (or failed, then skipped) step; never NULL. */
const struct err *run_step_err(const struct run *run, size_t i);
/* The first selected step still pending, or run_step_count(). */
size_t run_next_step(const struct run *run);

/* The step table's hooks, with their defaults (flow.h). */
void run_describe_step(const struct run *run, size_t i, struct strbuf *out);
int run_step_destructive(const struct run *run, size_t i, struct strbuf *what);
const char *run_confirm_word(const struct run *run, size_t i);
/* The question before step @i when run_confirm_word() is set, in the
 * operator's language, appended to @out: "Type the database name (biso)
 * to go on:". */
void run_confirm_question(const struct run *run, size_t i, struct strbuf *out);
int run_step_blocked(const struct run *run, size_t i, struct strbuf *why);
const struct backup_list *run_sources(const struct run *run, size_t i, size_t *cur);
int run_use_source(struct run *run, size_t i, size_t item, struct report *r, struct err *e);
/* The chooser's mark for @item of run_sources() (flow.h: "CUT OFF",
 * RUN_MARK_USABLE ...), or NULL. */
#define RUN_MARK_USABLE "usable"
const char *run_source_mark(const struct run *run, size_t i, size_t item);
/* The state of the backup @item of run_sources() belongs to ("verified",
 * "DAMAGED", "unverified"; flow.h: source_note) appended to @out, and
 * its size in *@bytes where the list has none; nothing when unknown. */
void run_source_note(const struct run *run, size_t i, size_t item, struct strbuf *out,
		     uint64_t *bytes);
/* The step's choose_note ("" when none) and failed_note (the default
 * when none), static text, translated. */
const char *run_step_choose_note(const struct run *run, size_t i);
const char *run_step_failed_note(const struct run *run, size_t i);

/* "pending", "running", "done", "failed", "skipped": English msgids (_() of
 * it for a screen). */
const char *step_state_name(enum step_state st);

/* The flow's target_text (flow.h), appended to @out. */
void run_target_text(const struct run *run, struct strbuf *out);
/* The dry-run plan: the flow's head, then for each selected step its
 * title, description, what it replaces and the manual commands; a step
 * its policy skips (step_def.skip) shows only why. */
void run_plan_text(const struct run *run, struct strbuf *out);
/* The end-of-run summary: state and time per step, hints of failed
 * steps, what was kept, why the run ended early and then the steps not
 * done ("not done: a, b") with the command that does them ("biso-recover
 * FLOW --only a,b", the flow's name is its command; a flow_def.whole
 * flow: the flow again whole), the flow's tail, the
 * log. */
void run_summary(const struct run *run, struct strbuf *out);
/* Exit code per the documented table: 0 all done, 1 a step failed (and
 * was not skipped), 3 finished with errors gone past (a failed step
 * skipped, archive members refused, errors gone past by policy). */
int run_exit_code(const struct run *run);
/* 1 when the flow's slow checks (flow.h) refused @run before any step of
 * it changed anything: a preflight refusal that came late, beside the
 * first step (exit 2); no step counts as failed and there is nothing to
 * finish, run_refused_err() says why. */
int run_refused(const struct run *run);
/* The slow checks' error when run_refused(), else NULL; owned by @run. */
const struct err *run_refused_err(const struct run *run);
/* 1 when no step of @run changed anything: none done, none failed (a
 * failed step may have begun on its target; one the slow checks refused
 * stays pending, run_refused()), none that ran before it was skipped.
 * The steps an interrupted run did are that run's (run_opts.resume).  The
 * one rule for "nothing changed": the summary's "stopped before any
 * step", and the journal's "end" record, which leaves such a run out of
 * every later look-up (journal_end()). */
int run_changed_nothing(const struct run *run);
/* The run log's last line for exit @code: "finished (exit 0)", "aborted
 * (exit 130): the terminal hung up (SIGHUP)" ...; @run may be NULL. */
void run_end_text(const struct run *run, int code, struct strbuf *out);

#endif
