/*
 * wizard_int: the wizard's state, shared by wizard.c (the input loop and
 * the screen table) and wizard_draw.c (drawing).  Not a public interface.
 *
 * The wizard is a client of the runner that does the work (runner.h): it
 * knows the run only from the runner's messages.  Draw functions read only
 * this state: each step's newest VIEW (proto.h) and what the screens
 * copied from it.
 */
#ifndef BR_WIZARD_INT_H
#define BR_WIZARD_INT_H

#include <time.h>

#include "proto.h"
#include "report.h"
#include "run.h"
#include "strbuf.h"
#include "tui.h"
#include "wizard.h"

enum screen_id {
	SCR_STEP,     /* the current step, waiting for Enter / s / q */
	SCR_CONFIRM,  /* "this replaces ...": y, or type the database name */
	SCR_RUNNING,  /* the step runs in the worker */
	SCR_CANCEL,   /* "abort the running step?" over SCR_RUNNING */
	SCR_FAILED,   /* the error, r / s / a */
	SCR_QUIT,     /* "quit the wizard?" between steps */
	SCR_SUMMARY,  /* the end */
	SCR_PICK,     /* choose another backup for the step (o) */
	SCR_WAIT,     /* attached, the runner not yet at a question or step */
	SCR_REFUSED,  /* the run was refused (or stopped) before its first step: why, m / q */
	SCR_AGAIN,    /* "Restore again?" before the first step (wizard_opts.again): y / n */
	SCR_COUNT
};

struct wizard;

/* One screen: enter/leave may be NULL; draw is a function of the state;
 * key gets a key code (is_key: KEY_*) or a character. */
struct wizard_screen {
	const char *name;
	void (*enter)(struct wizard *w);
	void (*draw)(const struct wizard *w);
	void (*key)(struct wizard *w, int is_key, wint_t ch);
	void (*leave)(struct wizard *w);
};

/* What the left column shows for a step: from its VIEW. */
struct step_view {
	enum step_state state;
	double seconds;
	unsigned warnings;
};

/* The runner's progress of the running step; strings owned (may be NULL). */
struct wizard_progress {
	char *phase;
	char *current;
	uint64_t done_bytes, total_bytes, done_items, total_items;
	int64_t t_ns;         /* report_now_ns() when it came */
};

struct wizard_logentry {
	char stamp[9];   /* HH:MM:SS */
	enum log_level level;
	char *text;      /* owned */
};

#define WIZARD_LOG_KEEP 2000  /* lines kept for scrolling */

struct wizard {
	size_t n_steps;                 /* the flow's steps (the VIEWs' count) */
	struct proto_msg *views;        /* n_steps + 1 (the run's); type 0: none yet */
	const struct wizard_opts *o;
	struct tui tui;
	struct tui_stderr errcap;       /* fd 2 while curses owns the screen */
	struct proto_conn conn;         /* to the runner; fd -1 once it ended */
	int wake[2];                    /* the signal handler's self-pipe */

	/* the pending question: 0 when none (or answered) */
	uint32_t qid;
	enum proto_ask qkind;
	char *confirmed;                /* the confirmation typed for the "run"
					   just sent: the runner asks it next */
	int waiting_step;               /* the step of the newest WAITING VIEW, -1 */
	int control;                    /* this wizard answers the questions */
	int readonly;                   /* another client answers (NOTICE) */
	char *readonly_text;            /* who answers since when, or who took over */
	int took_over;                  /* ... took it from this wizard */
	int readonly_dialog;            /* the "attached elsewhere" dialog is up */
	int asked;                      /* a question came (the first screen is up) */
	struct strbuf early;            /* warnings before the first question, one a line */
	size_t n_early;                 /* how many: a warning may hold several lines
					   (a half-done run's, with its commands) */
	int ended;                      /* END came */
	int refused;                    /* ... before any step: the run never started,
					   refused or stopped (SCR_REFUSED shows why,
					   from the END's text) */
	int refused_scroll;             /* SCR_REFUSED: its first line shown (Up/Down) */

	enum screen_id screen;
	size_t cur;                     /* n_steps once no step is left */
	struct step_view *view;         /* n_steps of them; owned */
	int64_t now_ns;                 /* updated once per loop turn */
	char *title_info;               /* "webroot /var/www/biso  database biso" */

	/* the current step, copied in on entering SCR_STEP */
	struct strbuf describe;         /* "source: ...\ntarget: ...\n" */
	int destructive;
	struct strbuf what;             /* what it replaces */
	char *confirm_word;             /* NULL: y is enough */
	struct strbuf blocked;          /* why the step cannot run as planned (its dump is
					   unusable: run_step_blocked()), or empty */

	/* SCR_PICK: the backups of run_sources(), copied in */
	char **pick_item;               /* "2026-11-29 02:00  110.7 KiB  name"; owned */
	size_t pick_n, pick_sel, pick_cur; /* count, highlighted, in the plan now */
	int pick_offer;                 /* the current step has another backup */
	int choosing;                   /* the runner checks the chosen one */
	char *pick_name;                /* its name, for the screen */
	char *pick_error;               /* why the last chosen one cannot be used */
	int explain;                    /* SCR_STEP: the step's whole text in a dialog (?) */
	int explain_scroll;             /* ... its first line shown (Up/Down, PgUp/PgDn) */
	int offer_resume;               /* the run's VIEW names an interrupted run: the
					   notice offers to continue it (c) */
	int ask_once;                   /* the run's VIEW says ask_once: Enter on the
					   first step starts them all; no skip */
	int ask_steps;                  /* the run's VIEW says ask_steps (a wizard's
					   run): "n" at its confirmation goes back to
					   the step; without, a line-mode run's "n"
					   would stop the run (it is not sent) */
	int again_yes;                  /* SCR_AGAIN answered yes: the steps' questions */
	int notice;                     /* SCR_STEP: the warnings from before the wizard
					   (o->warnings) in a dialog, until a key */

	/* SCR_CONFIRM */
	struct strbuf typed;            /* what the operator typed (locale bytes) */
	int typed_wrong;                /* the last Enter did not match */

	/* SCR_RUNNING */
	int64_t step_start_ns;
	int have_progress;
	struct wizard_progress prog;
	struct rate_window rate; /* report.h: the runner's status file computes it alike */
	int cancelling;                 /* the operator asked the run to stop */
	int resume;                     /* the operator chose to continue the
					   interrupted run: WIZARD_RESUME at the end */
	int swallow_answer;             /* the abort dialog closed itself: drop a late y/n */

	/* SCR_FAILED */
	struct strbuf errtext;          /* err_format() of the failure */

	/* log panel */
	struct wizard_logentry *log;    /* ring of WIZARD_LOG_KEEP */
	size_t log_n, log_first;
	int log_scroll;                 /* lines scrolled back from the newest */

	/* SCR_SUMMARY */
	struct strbuf summary;
	int summary_scroll;
	int summary_stray;              /* a key that does not leave it (or
					   SCR_REFUSED) came: the key line says which do */
	int aborted;                    /* the operator aborted: exit 130 */
	int runner_died;                /* the runner ended without its END (killed) */
	int terminating;                /* SIGTERM: the run was asked to stop; the
					   wizard ends with it, no key asked */
	int hangup;                     /* the terminal went away (SIGHUP, POLLHUP):
					   the run goes on without us */

	int finished;                   /* leave the loop */
	int exit_code;
};

/* The yes key of the key lines, a msgid: the catalogue gives each
 * language its letter (German "j"); y is always accepted too. */
/* TRANSLATORS: the wizard's key for "yes" in its key lines (one letter);
   y is accepted as well */
#define WIZARD_KEY_YES N_("y")

/* A text of step @s's VIEW (@s == n_steps: the run's), "" when none. */
const char *wizard_text(const struct wizard *w, size_t s, const char *key);

/* 1 when the question pending is a line-mode run's confirmation (the
 * run's VIEW has no ask_steps): "n" would stop that run, so n and Esc
 * answer nothing there (back to the step screen) and stopping is asked
 * for on its own (q, "Stop the run?") (wizard.c). */
int wizard_stopping_no(const struct wizard *w);

/* 1 when the warnings before the first step hold a command with a path
 * wider than the widest box: w shows them on the terminal itself
 * (tui_show_plain(); wizard.c). */
int wizard_notice_too_wide(const struct wizard *w);

/* The screen table (wizard.c). */
extern const struct wizard_screen wizard_screens[SCR_COUNT];

/* 1 when the terminal is too small for the wizard's screens: only a line
 * saying so is drawn, "Ctrl-C aborts" (wizard_draw.c). */
int wizard_too_small(void);
/* Draw the whole screen for the current state (wizard_draw.c). */
void wizard_draw(const struct wizard *w);
/* Per-screen draw functions used by the table (wizard_draw.c). */
void wizard_draw_step(const struct wizard *w);
void wizard_draw_confirm(const struct wizard *w);
void wizard_draw_running(const struct wizard *w);
void wizard_draw_cancel(const struct wizard *w);
void wizard_draw_failed(const struct wizard *w);
void wizard_draw_quit(const struct wizard *w);
void wizard_draw_summary(const struct wizard *w);
void wizard_draw_pick(const struct wizard *w);
void wizard_draw_wait(const struct wizard *w);
void wizard_draw_refused(const struct wizard *w);
void wizard_draw_again(const struct wizard *w);
/* Lines the log panel shows at the current size (for PgUp/PgDn). */
int wizard_log_rows(const struct wizard *w);
/* Lines the summary shows at the current size. */
int wizard_summary_rows(const struct wizard *w);
/* Its highest first line at the current size (0: it fits). */
int wizard_summary_scroll_max(const struct wizard *w);
/* The highest first line a scrolled dialog with @body can show at the
 * current size (0: it fits), for the key handlers to clamp to: a scroll
 * past the end would make Up seem dead for as many presses. */
int wizard_dialog_scroll_max(const char *body);
/* The body of the ? explanation of the current step, and of SCR_REFUSED's
 * dialog, appended to @body. */
void wizard_explain_body(const struct wizard *w, struct strbuf *body);
void wizard_refused_body(const struct wizard *w, struct strbuf *body);
/* Bytes per second over the last seconds, or -1 when unknown. */
double wizard_rate(const struct wizard *w);

#endif
