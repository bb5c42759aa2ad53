/*
 * frontend: what the command-line front ends share (ui/, curses-free).
 *
 * batch.c is the line-mode front end (a progress line rewritten in place
 * on stderr, questions on the terminal); wizard.c the full-screen one.  Both
 * drive a flow through the same struct run (src/engine/run.h).
 */
#ifndef BR_FRONTEND_H
#define BR_FRONTEND_H

#include "report.h"
#include "run.h"
#include "strbuf.h"

#include <stdio.h>

struct logfile;

/* Exit codes (documented in --help, README and the man page). */
enum {
	EXIT_DONE = 0,      /* everything done */
	EXIT_FAILED = 1,    /* a step failed; the old data was kept */
	EXIT_USAGE = 2,     /* usage or configuration error */
	EXIT_CONTINUED = 3, /* finished, but the operator continued past errors */
	EXIT_NOT_CONFIRMED = 7, /* line mode: a confirmation did not match 3
				   times (RUNNER_EXIT_MISMATCH); nothing more
				   was changed */
	EXIT_ABORTED = 130  /* aborted by the operator (Ctrl-C, q) or a signal */
};

struct batch_opts {
	int yes;              /* do not ask before destructive steps */
	struct logfile *log;  /* run log; may be NULL */
	const char *banner;   /* a first line ("DRILL ..."), or NULL */
};

/* A report for line mode: log lines to stderr and @log, progress as one
 * line per second on stderr, cancellation on SIGINT/SIGTERM/SIGHUP.
 * Fill *@r and its private state *@st; valid while @st lives. */
struct batch_state {
	struct logfile *log;
	int64_t last_line_ns;
	int tty;
	int full_shown;       /* the last line shown was at 100% */
	const char *label;
	struct strbuf *warnings; /* when set, WARN and ERROR lines are also added
				    here, one a line (for the wizard's first
				    screen); borrowed */
};
void batch_report_init(struct report *r, struct batch_state *st, struct logfile *log);
/* End the progress line that stands on the terminal (stderr), if one does:
 * anything else written to the terminal (a log line, an error, a
 * question, a summary) calls it first, so that it never starts in the
 * middle of that line. */
void frontend_progress_end(void);
/* Line mode's progress line for @p, appended to @out, in at most @cols - 1
 * columns (the terminal's last column would wrap on some terminals): the
 * phase, bytes done of total, items, and as much of the current item
 * (file, TOC entry) as fits, cut from the left ("...end/of/the/path");
 * control characters in it become '?'.  Columns are counted in the
 * locale's encoding (wcwidth()). */
void batch_progress_text(const struct progress *p, unsigned cols, struct strbuf *out);
/* @text with each line longer than @cols - 1 columns broken at its last
 * blank that fits, appended to @out: line mode's one way to fit a text to
 * the terminal (log lines, questions, errors, summaries).  A word wider than
 * that (a long path) gets a row of its own, unbroken, so that a mouse copy
 * of the row is the whole path; a command to paste ("biso-recover restore
 * --only ...": "biso-recover", maybe a command's name, then an option, as
 * hints and summaries print one) is not broken, the prose around it is.
 * The rows after a line's first start under its leading blanks (a summary
 * row's indent).  Columns as batch_progress_text() counts them. */
void frontend_wrap(const char *text, unsigned cols, struct strbuf *out);
/* @text and a line end on @f, after frontend_progress_end(); wrapped
 * (frontend_wrap()) to the terminal's width when @f is one. */
void frontend_fprint(FILE *f, const char *text);
/* frontend_fprint() on stderr. */
void frontend_print(const char *text);
/* Write @question and a blank on the terminal @fd, wrapped to its width
 * (frontend_wrap()), after what stdout and stderr hold; the answer is
 * typed behind it.  Until frontend_answered(), frontend_progress_end() first
 * ends the question's line (Ctrl-C there leaves the cursor behind "^C"). */
void frontend_put_question(int fd, const char *question);
/* The answer's line was read: its echoed line end ended the question. */
void frontend_answered(void);
/* SIGINT, SIGTERM and SIGHUP call @on (an async-signal-safe handler
 * that notes the signal); SIGPIPE is ignored.  The one way a front end
 * catches them (batch, a runner's client). */
void frontend_catch_signals(void (*on)(int));
/* Install the signal handlers that make report_cancelled() true. */
void batch_install_signals(void);
/* Non-zero once SIGINT/SIGTERM/SIGHUP arrived. */
int batch_interrupted(void);

/* The warning for a run over SSH outside tmux or screen (a dropped
 * connection hangs up the restore, which then stops at its next safe
 * point), or NULL.  Reads SSH_CONNECTION, SSH_TTY, TMUX and STY. */
const char *frontend_ssh_warning(void);

/* Ask @question on the controlling terminal, after flushing stdout; the
 * answer (without its line end) goes into @answer.  Returns 0, or -1 when
 * there is no answer: no terminal, end of input, or a signal. */
int frontend_ask(const char *question, struct strbuf *answer);
/* The confirmation's prompt: @q holds the first try's head ("Title: what.")
 * or nothing; it becomes "\nHEAD\n" and the request to type @word (NULL:
 * yes), as line mode asks it. */
void batch_confirm_prompt(struct strbuf *q, const char *word);
/* The log line for an accepted confirmation of step @name, appended to @out:
 * "step database: the operator typed "biso" to confirm: replaces ..." with
 * the @word typed (NULL: a yes), @what the confirmation's text.  Both
 * front ends log it, so the log says who agreed to what. */
void frontend_confirmed(struct strbuf *out, const char *name, const char *word, const char *what);
/* How often a question is asked when the answer does not fit (a typo in a
 * confirmation, a copy cleanup will not remove) before the front end gives
 * up. */
#define FRONTEND_TRIES 3

struct cleanup_opts {
	int yes;              /* remove without the typed confirmation */
	int dry_run;          /* list, and say what would be removed */
	char **args;          /* the copies to remove: numbers of the list, ranges
				 (2-4), names, or all; none: ask */
	int n_args;
};
/* biso-recover cleanup: list the copies earlier restores kept of @run's
 * instance (keptcopies_find()) on stdout, and remove the chosen ones after
 * a typed yes; never the newest of each kind.  Log lines through @r.
 * Returns an exit code. */
int cleanup_run(const struct run *run, const struct cleanup_opts *o, struct report *r);

/* Run the selected steps of @run (prepared and preflighted) in order,
 * asking on the terminal before destructive ones unless o->yes; print the
 * summary.  Returns an exit code. */
int batch_run(struct run *run, const struct batch_opts *o);

#endif
