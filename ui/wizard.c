/*
 * wizard: the input loop and the screen table; see wizard.h.
 *
 * One loop: draw from state, poll() the terminal, the runner's socket and
 * the signal pipe (200 ms, so elapsed time, rate and ETA keep moving),
 * apply what the runner sent, then hand every key to the current screen.
 * Screens are rows of wizard_screens[] {enter, draw, key, leave};
 * wizard_goto() is the only way to change screen.  KEY_RESIZE is handled
 * here, once.  A screen that answers the runner's question sends the
 * ANSWER and clears w->qid: the next screen comes with the runner's next
 * message, so a key typed meanwhile decides nothing.
 */
#include "config.h"
#include "i18n.h"
#include "wizard.h"
#include "backupset.h"
#include "client.h"
#include "frontend.h"
#include "rundir.h"
#include "wizard_int.h"
#include "wizard_menu.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wctype.h>

/* The signal handler needs these two; nothing else is global. */
static volatile sig_atomic_t wizard_signal;
static int wizard_signal_fd = -1;

static void on_signal(int sig)
{
	int saved = errno;
	wizard_signal = sig;
	if (wizard_signal_fd >= 0 && write(wizard_signal_fd, "", 1) < 0) {
		/* nothing to do: the flag is set, poll() times out */
	}
	errno = saved;
}

static const int caught_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define N_CAUGHT (sizeof(caught_signals) / sizeof(caught_signals[0]))

static void wizard_goto(struct wizard *w, enum screen_id id)
{
	if (wizard_screens[w->screen].leave)
		wizard_screens[w->screen].leave(w);
	w->screen = id;
	if (wizard_screens[id].enter)
		wizard_screens[id].enter(w);
}

static void replace_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? xstrdup(src) : NULL;
}

const char *wizard_text(const struct wizard *w, size_t s, const char *key)
{
	const char *v;
	if (!w->views || s > w->n_steps || !w->views[s].type)
		return "";
	v = proto_view_get(&w->views[s], key, 0);
	return v ? v : "";
}

static void log_add(struct wizard *w, time_t when, enum log_level level, const char *text)
{
	struct wizard_logentry *e;
	struct tm tm;

	/* DEBUG lines are for the log file, not for the operator's screen. */
	if (level == LOG_DEBUG)
		return;
	if (w->log_n == WIZARD_LOG_KEEP) {
		e = &w->log[w->log_first];
		free(e->text);
		w->log_first = (w->log_first + 1) % WIZARD_LOG_KEEP;
		w->log_n--;
	}
	e = &w->log[(w->log_first + w->log_n) % WIZARD_LOG_KEEP];
	localtime_r(&when, &tm);
	strftime(e->stamp, sizeof(e->stamp), "%H:%M:%S", &tm);
	e->level = level;
	e->text = xstrdup(text);
	w->log_n++;
	/* an operator reading back keeps his place, until a warning or an
	 * error comes: that must be in sight */
	if (level >= LOG_WARN)
		w->log_scroll = 0;
	else if (w->log_scroll > 0 && (size_t)w->log_scroll < w->log_n)
		w->log_scroll++;
}

/* ---- talking to the runner ---- */

static void send_msg(struct wizard *w, const struct proto_msg *m)
{
	struct err e = ERR_INIT;
	if (w->conn.fd >= 0)
		proto_send(&w->conn, m, &e); /* a gone runner shows as its end of file */
	err_clear(&e);
}

/* Answer the pending question with @value; the next screen comes with
 * the runner's next message. */
static void answer(struct wizard *w, const char *value)
{
	struct proto_msg a = { .type = PROTO_ANSWER };
	if (!w->qid || !w->control)
		return;
	a.u.answer.id = w->qid;
	a.u.answer.value = (char *)value;
	w->qid = 0;
	send_msg(w, &a);
}

static void send_cancel(struct wizard *w, int why)
{
	struct proto_msg c = { .type = PROTO_CANCEL };
	c.u.cancel.why = why;
	send_msg(w, &c);
}

static void takeover(struct wizard *w)
{
	struct proto_msg t = { .type = PROTO_TAKEOVER };
	send_msg(w, &t);
}

/* '[' and ']' page like PgUp and PgDn: every terminal can send them */
static int page_key(int is_key, wint_t ch)
{
	if (is_key)
		return (int)ch;
	return ch == L'[' ? KEY_PPAGE : ch == L']' ? KEY_NPAGE : 0;
}

static void log_scroll_key(struct wizard *w, int ch)
{
	int page = wizard_log_rows(w);
	/* in entries: the oldest can be brought to the bottom row (an entry
	 * may take several rows, wrapped) */
	int max = (int)w->log_n - 1;

	if (page < 1)
		page = 1;
	if (max < 0)
		max = 0;
	if (ch == KEY_PPAGE)
		w->log_scroll += page - 1 > 0 ? page - 1 : 1;
	else if (ch == KEY_NPAGE)
		w->log_scroll -= page - 1 > 0 ? page - 1 : 1;
	else if (ch == KEY_END)
		w->log_scroll = 0;
	else if (ch == KEY_HOME)
		w->log_scroll = max;
	if (w->log_scroll > max)
		w->log_scroll = max;
	if (w->log_scroll < 0)
		w->log_scroll = 0;
}

static int is_log_key(int is_key, wint_t ch)
{
	int k = page_key(is_key, ch);
	return k == KEY_PPAGE || k == KEY_NPAGE || (is_key && (ch == KEY_HOME || ch == KEY_END));
}

static int is_enter(int is_key, wint_t ch)
{
	return (is_key && ch == KEY_ENTER) || (!is_key && (ch == L'\r' || ch == L'\n'));
}

static int is_esc(int is_key, wint_t ch)
{
	return !is_key && ch == 27;
}

static int is_char(int is_key, wint_t ch, wchar_t c)
{
	return !is_key && (ch == (wint_t)c || ch == (wint_t)towupper(c));
}

/* The key that answers yes: y, and the letter the catalogue gives the key
 * line's y in the operator's language (German j), when it is another. */
static int is_yes(int is_key, wint_t ch)
{
	wchar_t c;
	const char *k = _(WIZARD_KEY_YES);
	mbstate_t st;

	if (is_char(is_key, ch, L'y'))
		return 1;
	memset(&st, 0, sizeof st);
	return mbrtowc(&c, k, strlen(k), &st) > 0 && iswalpha((wint_t)c) && is_char(is_key, ch, c);
}

/* Keys every screen shares while another client answers: t takes over,
 * q leaves (the run goes on), the log keys scroll.  1 when @ch was one. */
static int readonly_key(struct wizard *w, int is_key, wint_t ch)
{
	if (!w->readonly)
		return 0;
	if (w->readonly_dialog) {
		w->readonly_dialog = 0;
		if (is_char(is_key, ch, L't'))
			takeover(w);
		return 1;
	}
	if (is_char(is_key, ch, L't')) {
		takeover(w);
	} else if (is_char(is_key, ch, L'q') || is_esc(is_key, ch)) {
		w->exit_code = WIZARD_LEFT;
		w->finished = 1;
	} else if (is_log_key(is_key, ch)) {
		log_scroll_key(w, page_key(is_key, ch));
	}
	return 1;
}

/* d: the operator leaves the run to its runner, as a dropped terminal
 * does (it waits at its next question for a wizard that attaches). */
static int leave_key(struct wizard *w, int is_key, wint_t ch)
{
	if (!is_char(is_key, ch, L'd'))
		return 0;
	w->exit_code = WIZARD_LEFT;
	w->finished = 1;
	return 1;
}

/* Keep a dialog's scroll *@first between 0 and the last page of the body
 * @body_of builds (at the current size): stored clamped, so that Up
 * after Down past the end moves at once. */
static void clamp_scroll(int *first, const struct wizard *w,
			 void (*body_of)(const struct wizard *, struct strbuf *))
{
	struct strbuf body = STRBUF_INIT;
	int max;
	if (*first > 0) {
		body_of(w, &body);
		max = wizard_dialog_scroll_max(body.buf);
		if (*first > max)
			*first = max;
		strbuf_release(&body);
	}
	if (*first < 0)
		*first = 0;
}

/* ---- SCR_WAIT ---- */

static void wait_key(struct wizard *w, int is_key, wint_t ch)
{
	if (is_log_key(is_key, ch))
		log_scroll_key(w, page_key(is_key, ch));
	else
		leave_key(w, is_key, ch);
}

/* ---- SCR_STEP ---- */

static void step_enter(struct wizard *w)
{
	const char *word;
	size_t s = w->cur;

	w->explain = 0;
	strbuf_reset(&w->describe);
	strbuf_addstr(&w->describe, wizard_text(w, s, "describe"));
	strbuf_reset(&w->what);
	w->destructive = w->views[s].type && proto_view_get(&w->views[s], "what", 0);
	strbuf_addstr(&w->what, wizard_text(w, s, "what"));
	w->pick_offer = w->views[s].type && proto_view_get(&w->views[s], "backup", 1);
	strbuf_reset(&w->blocked);
	strbuf_addstr(&w->blocked, wizard_text(w, s, "blocked"));
	word = wizard_text(w, s, "word");
	replace_str(&w->confirm_word, *word ? word : NULL);
	if (w->confirm_word)
		w->destructive = 1;
}

int wizard_notice_too_wide(const struct wizard *w)
{
	return !tui_command_fits(w->early.buf, COLS - 6);
}

static void step_key(struct wizard *w, int is_key, wint_t ch)
{
	if (w->notice) {
		/* any key closes the warnings; they stay in the log pane */
		if (is_log_key(is_key, ch)) {
			log_scroll_key(w, page_key(is_key, ch));
		} else if (is_char(is_key, ch, L'w') && wizard_notice_too_wide(w)) {
			/* the runner waits at its first question meanwhile */
			wizard_show_whole(w->early.buf);
		} else if (w->offer_resume && is_char(is_key, ch, L'c')) {
			w->resume = 1;
			answer(w, "resume");
			w->notice = 0;
		} else if (w->offer_resume && is_char(is_key, ch, L'q')) {
			w->notice = 0;
			wizard_goto(w, SCR_QUIT);
		} else if (!w->offer_resume || is_char(is_key, ch, L'n')) {
			/* starting over gives up continuing: only its own key */
			w->notice = 0;
		}
		return;
	}
	if (w->explain) {
		/* the arrows and the page keys scroll it; any other key closes
		 * it and does nothing else */
		int k = page_key(is_key, ch), page = LINES - 8 > 1 ? LINES - 8 : 1;
		if (is_key && ch == KEY_UP)
			w->explain_scroll--;
		else if (is_key && ch == KEY_DOWN)
			w->explain_scroll++;
		else if (k == KEY_PPAGE)
			w->explain_scroll -= page;
		else if (k == KEY_NPAGE)
			w->explain_scroll += page;
		else if (is_key && ch == KEY_HOME)
			w->explain_scroll = 0;
		else
			w->explain = 0;
		clamp_scroll(&w->explain_scroll, w, wizard_explain_body);
		return;
	}
	if (is_log_key(is_key, ch)) {
		log_scroll_key(w, page_key(is_key, ch));
		return;
	}
	if (leave_key(w, is_key, ch))
		return;
	if (!w->qid)
		return; /* answered: the runner's next message moves on */
	if (is_char(is_key, ch, L'?')) {
		w->explain = 1;
		w->explain_scroll = 0;
	} else if (wizard_stopping_no(w)) {
		/* a line-mode run's confirmation, still open: no skip and no
		 * other backup there; q asks before it stops the run */
		if (is_enter(is_key, ch))
			wizard_goto(w, SCR_CONFIRM);
		else if (is_char(is_key, ch, L'q') || is_esc(is_key, ch))
			wizard_goto(w, SCR_QUIT);
	} else if (is_enter(is_key, ch) && w->blocked.len && w->pick_offer) {
		/* the plan's dump cannot be used: the list, not a refusal */
		replace_str(&w->pick_error, NULL);
		wizard_goto(w, SCR_PICK);
	} else if (is_enter(is_key, ch)) {
		if (w->destructive)
			wizard_goto(w, SCR_CONFIRM);
		else
			answer(w, "run");
	} else if (is_char(is_key, ch, L's') && !w->ask_once) {
		answer(w, "skip");
	} else if (is_char(is_key, ch, L'o') && w->pick_offer) {
		replace_str(&w->pick_error, NULL);
		wizard_goto(w, SCR_PICK);
	} else if (is_char(is_key, ch, L'q') || is_esc(is_key, ch)) {
		wizard_goto(w, SCR_QUIT);
	}
}

/* ---- SCR_AGAIN ---- */

/* The screen of a step's question: SCR_AGAIN while its question
 * (wizard_opts.again) is open, before any step ran (the steps --only left
 * out are skipped from the start); else SCR_STEP. */
static enum screen_id step_screen(const struct wizard *w)
{
	if (!w->o->again || w->again_yes || !w->control)
		return SCR_STEP;
	for (size_t s = 0; s < w->n_steps; s++)
		if (w->view[s].state != STEP_PENDING && w->view[s].state != STEP_SKIPPED)
			return SCR_STEP;
	return SCR_AGAIN;
}

/* y: the steps' questions; n, Enter, q, Esc (the default no): the run is
 * stopped at its first step's question, nothing changed (exit 130). */
static void again_key(struct wizard *w, int is_key, wint_t ch)
{
	if (is_log_key(is_key, ch)) {
		log_scroll_key(w, page_key(is_key, ch));
		return;
	}
	if (w->aborted || !w->qid)
		return; /* answered: the runner's end comes */
	if (is_yes(is_key, ch)) {
		w->again_yes = 1;
		wizard_goto(w, SCR_STEP);
	} else if (is_char(is_key, ch, L'n') || is_char(is_key, ch, L'q') || is_esc(is_key, ch) ||
		   is_enter(is_key, ch)) {
		w->aborted = 1;
		answer(w, "abort");
	}
}

/* ---- SCR_PICK ---- */

static void pick_free(struct wizard *w)
{
	for (size_t i = 0; i < w->pick_n; i++)
		free(w->pick_item[i]);
	free(w->pick_item);
	w->pick_item = NULL;
	w->pick_n = 0;
}

static void pick_enter(struct wizard *w)
{
	const struct proto_msg *v = &w->views[w->cur];
	const char *line;

	if (w->choosing)
		return;
	pick_free(w);
	if (!v->type)
		return;
	for (size_t i = 0; (line = proto_view_get(v, "backup", i)); i++) {
		w->pick_item = xrealloc(w->pick_item, (i + 1) * sizeof(*w->pick_item));
		w->pick_item[i] = xstrdup(line);
		w->pick_n = i + 1;
	}
	w->pick_cur = strtoul(wizard_text(w, w->cur, "backup_cur"), NULL, 10);
	w->pick_sel = strtoul(wizard_text(w, w->cur, "backup_pick"), NULL, 10);
	if (w->pick_cur >= w->pick_n)
		w->pick_cur = 0;
	if (w->pick_sel >= w->pick_n)
		w->pick_sel = w->pick_cur;
}

static void pick_key(struct wizard *w, int is_key, wint_t ch)
{
	if (is_log_key(is_key, ch)) {
		log_scroll_key(w, page_key(is_key, ch));
		return;
	}
	if (w->choosing)
		return; /* the runner checks it: wait for it */
	if (is_esc(is_key, ch) || is_char(is_key, ch, L'q')) {
		wizard_goto(w, SCR_STEP);
	} else if ((is_key && ch == KEY_UP) || is_char(is_key, ch, L'k')) {
		if (w->pick_sel > 0)
			w->pick_sel--;
	} else if ((is_key && ch == KEY_DOWN) || is_char(is_key, ch, L'j')) {
		if (w->pick_sel + 1 < w->pick_n)
			w->pick_sel++;
	} else if (is_enter(is_key, ch)) {
		char num[32];
		if (w->pick_sel == w->pick_cur || !w->qid) {
			wizard_goto(w, SCR_STEP);
			return;
		}
		replace_str(&w->pick_name, proto_view_get(&w->views[w->cur], "backup_name", w->pick_sel));
		snprintf(num, sizeof num, "use %zu", w->pick_sel);
		answer(w, num);
		w->choosing = 1;
	}
}

/* The runner asks about the step again after a "use N": back to the step,
 * which shows the new source; when it cannot be used, the dialog again
 * with the reason. */
static void pick_finished(struct wizard *w)
{
	const char *why = wizard_text(w, w->cur, "choose_error");
	size_t sel = w->pick_sel;
	w->choosing = 0;
	flushinp();
	if (*why) {
		replace_str(&w->pick_error, why);
		/* the list again, the plan's marked, the cursor where it was */
		pick_enter(w);
		if (sel < w->pick_n)
			w->pick_sel = sel;
		return;
	}
	wizard_goto(w, SCR_STEP);
}

/* ---- SCR_CONFIRM ---- */

static void confirm_enter(struct wizard *w)
{
	strbuf_reset(&w->typed);
	w->typed_wrong = 0;
}

/* The operator confirmed: at the step's question "run" (the runner asks
 * the confirmation next, answered with @value), at the confirmation
 * itself (a wizard that attached there) @value. */
static void confirmed(struct wizard *w, const char *value)
{
	if (w->qkind == PROTO_ASK_STEP) {
		replace_str(&w->confirmed, value);
		answer(w, "run");
	} else {
		answer(w, value);
	}
}

int wizard_stopping_no(const struct wizard *w)
{
	return w->qid && (w->qkind == PROTO_ASK_YESNO || w->qkind == PROTO_ASK_TYPED) &&
	       !w->ask_steps;
}

/* Back from the confirmation.  A wizard's own run asks the step's
 * question again after an "n"; at a line-mode run's confirmation, whose
 * "n" would stop the run (wizard_stopping_no()), nothing is answered: the
 * step screen shows over the question still open (Enter asks again, q
 * offers to stop the run, d leaves it waiting). */
static void not_confirmed(struct wizard *w)
{
	if (wizard_stopping_no(w))
		wizard_goto(w, SCR_STEP);
	else if (w->qkind == PROTO_ASK_YESNO || w->qkind == PROTO_ASK_TYPED)
		answer(w, "n");
	else
		wizard_goto(w, SCR_STEP);
}

/* Remove the last character (not byte) of the typed text. */
static void typed_backspace(struct strbuf *sb)
{
	mbstate_t st;
	size_t i = 0, last = 0;

	memset(&st, 0, sizeof(st));
	while (i < sb->len) {
		size_t r = mbrlen(sb->buf + i, sb->len - i, &st);
		if (r == (size_t)-1 || r == (size_t)-2 || r == 0) {
			memset(&st, 0, sizeof(st));
			r = 1;
		}
		last = i;
		i += r;
	}
	strbuf_setlen(sb, last);
}

static void confirm_key(struct wizard *w, int is_key, wint_t ch)
{
	if (is_log_key(is_key, ch)) {
		log_scroll_key(w, page_key(is_key, ch));
		return;
	}
	if (!w->qid)
		return;
	if (is_esc(is_key, ch)) {
		not_confirmed(w);
		return;
	}
	if (!w->confirm_word) {
		if (is_yes(is_key, ch))
			confirmed(w, "y");
		else if (is_char(is_key, ch, L'n') || is_char(is_key, ch, L'q'))
			not_confirmed(w);
		return;
	}
	if (is_enter(is_key, ch)) {
		if (!strcmp(w->typed.buf, w->confirm_word)) {
			confirmed(w, w->confirm_word);
		} else {
			w->typed_wrong = 1;
			strbuf_reset(&w->typed);
		}
	} else if ((is_key && ch == KEY_BACKSPACE) || (!is_key && (ch == 127 || ch == 8))) {
		typed_backspace(&w->typed);
	} else if (!is_key && ch == 21) { /* ^U */
		strbuf_reset(&w->typed);
	} else if (!is_key && iswprint(ch) && w->typed.len < 256) {
		char mb[MB_LEN_MAX];
		mbstate_t st;
		size_t n;

		memset(&st, 0, sizeof(st));
		n = wcrtomb(mb, (wchar_t)ch, &st);
		if (n != (size_t)-1)
			strbuf_add(&w->typed, mb, n);
		w->typed_wrong = 0;
	}
}

/* ---- SCR_RUNNING / SCR_CANCEL ---- */

static void running_key(struct wizard *w, int is_key, wint_t ch)
{
	if ((is_char(is_key, ch, L'q') || is_esc(is_key, ch)) && !w->cancelling)
		wizard_goto(w, SCR_CANCEL);
	else if (is_log_key(is_key, ch))
		log_scroll_key(w, page_key(is_key, ch));
	else
		leave_key(w, is_key, ch);
}

static void cancel_key(struct wizard *w, int is_key, wint_t ch)
{
	if (is_yes(is_key, ch)) {
		w->cancelling = 1;
		/* the runner logs the stop and why */
		send_cancel(w, 1);
		wizard_goto(w, SCR_RUNNING);
	} else if (is_char(is_key, ch, L'n') || is_char(is_key, ch, L'q') || is_esc(is_key, ch)) {
		wizard_goto(w, SCR_RUNNING);
	}
}

/* ---- SCR_FAILED ---- */

static void failed_enter(struct wizard *w)
{
	strbuf_reset(&w->errtext);
	strbuf_addstr(&w->errtext, wizard_text(w, w->cur, "error"));
	if (!w->errtext.len)
		strbuf_addstr(&w->errtext, _("the step failed without saying why"));
}

static void failed_key(struct wizard *w, int is_key, wint_t ch)
{
	if (is_log_key(is_key, ch))
		log_scroll_key(w, page_key(is_key, ch));
	else if (is_char(is_key, ch, L'r'))
		answer(w, "retry");
	else if (is_char(is_key, ch, L's'))
		answer(w, "skip");
	else if (is_char(is_key, ch, L'a'))
		answer(w, "abort");
	else if (is_char(is_key, ch, L'q'))
		wizard_goto(w, SCR_QUIT); /* asks first: the key line names only a */
	else
		leave_key(w, is_key, ch);
}

/* ---- SCR_QUIT ---- */

static void quit_key(struct wizard *w, int is_key, wint_t ch)
{
	if (w->aborted)
		return; /* answered: the runner's end comes */
	if (is_yes(is_key, ch)) {
		w->aborted = 1;
		/* "abort" answers a step's question or a failure's; a
		 * confirmation knows only yes and no (its "n" may mean
		 * "back"): the run is asked to stop, and a failure it then
		 * asks about is answered "abort" */
		if (w->qid && (w->qkind == PROTO_ASK_STEP || w->qkind == PROTO_ASK_RETRY)) {
			answer(w, "abort");
		} else {
			w->cancelling = 1;
			send_cancel(w, 1);
		}
	} else if (is_char(is_key, ch, L'n') || is_char(is_key, ch, L'q') || is_esc(is_key, ch)) {
		if (w->qid && w->qkind == PROTO_ASK_RETRY)
			wizard_goto(w, SCR_FAILED);
		else
			wizard_goto(w, w->qid ? step_screen(w) : SCR_WAIT);
	}
}

/* ---- SCR_SUMMARY ---- */

static void summary_enter(struct wizard *w)
{
	const char *log_path = w->o->log_path;

	strbuf_rtrim(&w->summary);
	if (log_path && !strstr(w->summary.buf, log_path))
		strbuf_addf(&w->summary, _("\nlog: %s"), log_path);
	w->summary_scroll = 0;
	w->summary_stray = 0;
	w->aborted = w->exit_code == EXIT_ABORTED;
}

static void summary_key(struct wizard *w, int is_key, wint_t ch)
{
	int page = wizard_summary_rows(w);
	int k = page_key(is_key, ch);

	if (k == KEY_PPAGE || (is_key && ch == KEY_UP)) {
		w->summary_scroll -= k == KEY_UP ? 1 : page;
	} else if (k == KEY_NPAGE || (is_key && ch == KEY_DOWN)) {
		w->summary_scroll += k == KEY_DOWN ? 1 : page;
	} else if (is_key && (ch == KEY_HOME)) {
		w->summary_scroll = 0;
	} else if (is_char(is_key, ch, L'q') || is_enter(is_key, ch) ||
		   (w->o->to_menu && is_char(is_key, ch, L'm'))) {
		/* m: the first screen again (a backup, then a restore, without
		 * starting the program again); q, Enter: exit */
		if (w->o->to_menu && is_char(is_key, ch, L'm'))
			*w->o->to_menu = 1;
		w->finished = 1;
		return;
	} else {
		/* only the keys the screen names leave it: a stray byte of a bad
		 * line (or a terminal's answerback) must not take the summary
		 * away unread; the key line says how to leave */
		w->summary_stray = 1;
		return;
	}
	/* stored clamped: Up after Down past the end moves at once */
	if (w->summary_scroll > wizard_summary_scroll_max(w))
		w->summary_scroll = wizard_summary_scroll_max(w);
	if (w->summary_scroll < 0)
		w->summary_scroll = 0;
}

/* ---- SCR_REFUSED ---- */

static void refused_enter(struct wizard *w)
{
	strbuf_rtrim(&w->summary);
	w->refused_scroll = 0;
	w->summary_stray = 0;
}

/* Only the keys the dialog names leave it, as on the summary: m the first
 * screen when the wizard came from there, q or Enter the wizard (Enter
 * ends the wizard on both end screens); Up/Down scroll the reason, [ ]
 * the log. */
static void refused_key(struct wizard *w, int is_key, wint_t ch)
{
	if (is_key && ch == KEY_UP) {
		if (w->refused_scroll > 0)
			w->refused_scroll--;
	} else if (is_key && ch == KEY_DOWN) {
		w->refused_scroll++;
		clamp_scroll(&w->refused_scroll, w, wizard_refused_body);
	} else if (is_log_key(is_key, ch)) {
		log_scroll_key(w, page_key(is_key, ch));
	} else if (w->o->to_menu && is_char(is_key, ch, L'm')) {
		*w->o->to_menu = 1;
		w->finished = 1;
	} else if (is_char(is_key, ch, L'q') || is_enter(is_key, ch)) {
		w->finished = 1;
	} else {
		w->summary_stray = 1; /* as on the summary: the key line says how to leave */
	}
}

/* ---- signals ---- */

/* Ctrl-C is q: it asks first ("Quit the wizard?", while a step runs
 * "Abort STEP?"), and a second Ctrl-C at that question is its y.  The
 * wizard then waits for the runner to end the run, as after q and y, and
 * leaves its summary on the terminal; on the summary or the refusal it is
 * their q.  A read-only wizard only watches: Ctrl-C leaves, as its q. */
static void interrupt_once(struct wizard *w)
{
	if (w->readonly && w->screen != SCR_SUMMARY && w->screen != SCR_REFUSED) {
		w->exit_code = WIZARD_LEFT;
		w->finished = 1;
		return;
	}
	switch (w->screen) {
	case SCR_QUIT:
		quit_key(w, 0, L'y');
		break;
	case SCR_CANCEL:
		cancel_key(w, 0, L'y');
		break;
	case SCR_RUNNING:
		if (!w->cancelling)
			wizard_goto(w, SCR_CANCEL);
		break;
	case SCR_SUMMARY:
	case SCR_REFUSED:
		w->finished = 1;
		break;
	default:
		/* a step, its confirmation, a failure, the backup list, the
		 * wait for the runner: the question over it */
		w->notice = w->explain = 0;
		wizard_goto(w, SCR_QUIT);
		break;
	}
}

static void interrupt(struct wizard *w)
{
	interrupt_once(w);
	/* too small a terminal shows no question, only "Ctrl-C aborts" */
	if (wizard_too_small() && (w->screen == SCR_QUIT || w->screen == SCR_CANCEL))
		interrupt_once(w);
}

/* SIGTERM: no one to ask; the run is asked to stop (the log says "stopped
 * by SIGTERM") and the wizard ends as soon as its runner ended it, without
 * waiting for a key on the summary.  A second SIGTERM does not wait; a
 * read-only wizard leaves. */
static void terminate(struct wizard *w)
{
	if (w->readonly && !w->ended) {
		/* not ours to stop: it goes on, as after q */
		w->exit_code = WIZARD_LEFT;
		w->finished = 1;
		return;
	}
	if (w->terminating || w->ended || w->conn.fd < 0) {
		w->finished = 1;
		return;
	}
	w->terminating = w->cancelling = 1;
	w->exit_code = EXIT_ABORTED;
	send_cancel(w, REPORT_STOP_SIGNAL(SIGTERM));
}

const struct wizard_screen wizard_screens[SCR_COUNT] = {
	[SCR_STEP]    = { "step",    step_enter,    wizard_draw_step,    step_key,    NULL },
	[SCR_CONFIRM] = { "confirm", confirm_enter, wizard_draw_confirm, confirm_key, NULL },
	[SCR_RUNNING] = { "running", NULL,          wizard_draw_running, running_key, NULL },
	[SCR_CANCEL]  = { "cancel",  NULL,          wizard_draw_cancel,  cancel_key,  NULL },
	[SCR_FAILED]  = { "failed",  failed_enter,  wizard_draw_failed,  failed_key,  NULL },
	[SCR_QUIT]    = { "quit",    NULL,          wizard_draw_quit,    quit_key,    NULL },
	[SCR_SUMMARY] = { "summary", summary_enter, wizard_draw_summary, summary_key, NULL },
	[SCR_PICK]    = { "pick",    pick_enter,    wizard_draw_pick,    pick_key,    NULL },
	[SCR_WAIT]    = { "wait",    NULL,          wizard_draw_wait,    wait_key,    NULL },
	[SCR_REFUSED] = { "refused", refused_enter, wizard_draw_refused, refused_key, NULL },
	[SCR_AGAIN]   = { "again",   NULL,          wizard_draw_again,   again_key,   NULL },
};

/* ---- messages from the runner ---- */

static void wizard_progress_release(struct wizard_progress *p)
{
	free(p->phase);
	free(p->current);
	p->phase = p->current = NULL;
}

static void rate_sample(struct wizard *w, const struct wizard_progress *p)
{
	int phase_changed = !w->have_progress ||
		!!w->prog.phase != !!p->phase ||
		(p->phase && w->prog.phase && strcmp(p->phase, w->prog.phase));

	rate_window_add(&w->rate, p->t_ns, p->done_bytes, phase_changed);
}

static enum step_state view_state(enum proto_step_state st)
{
	switch (st) {
	case PROTO_STEP_RUNNING: return STEP_RUNNING;
	case PROTO_STEP_DONE: return STEP_DONE;
	case PROTO_STEP_FAILED: return STEP_FAILED;
	case PROTO_STEP_SKIPPED: return STEP_SKIPPED;
	case PROTO_STEP_PENDING:
	case PROTO_STEP_WAITING:
		break;
	}
	return STEP_PENDING;
}

static void on_view(struct wizard *w, struct proto_msg *m)
{
	size_t i = m->u.view.index;
	if (!w->views) {
		w->n_steps = m->u.view.count;
		w->views = xcalloc(w->n_steps + 1, sizeof(*w->views));
		w->view = xcalloc(w->n_steps ? w->n_steps : 1, sizeof(*w->view));
	}
	if (m->u.view.count != w->n_steps || i > w->n_steps)
		return; /* not this run's: cannot happen */
	proto_msg_clear(&w->views[i]);
	w->views[i] = *m;
	memset(m, 0, sizeof(*m)); /* the wizard's now */
	if (i == w->n_steps) {
		struct strbuf info = STRBUF_INIT;
		const char *banner = w->o->banner;
		/* attached to a drill's run from outside the drill */
		if (!banner && *wizard_text(w, i, "drill"))
			banner = w->o->drill_banner;
		if (banner)
			strbuf_addf(&info, "%s  ", banner);
		strbuf_addstr(&info, "biso-recover");
		strbuf_addstr(&info, wizard_text(w, i, "target"));
		replace_str(&w->title_info, info.buf);
		strbuf_release(&info);
		w->offer_resume = !w->o->reattach && *wizard_text(w, i, "interrupted");
		w->ask_once = *wizard_text(w, i, "ask_once") != '\0';
		w->ask_steps = *wizard_text(w, i, "ask_steps") != '\0';
		return;
	}
	w->view[i].state = view_state(w->views[i].u.view.state);
	if (w->views[i].u.view.state == PROTO_STEP_WAITING) {
		/* at a question: as the run has it (a failed step asks) */
		static const enum step_state states[] = {
			STEP_PENDING, STEP_RUNNING, STEP_DONE, STEP_FAILED, STEP_SKIPPED,
		};
		for (size_t k = 0; k < sizeof states / sizeof states[0]; k++)
			if (!strcmp(wizard_text(w, i, "state"), step_state_name(states[k])))
				w->view[i].state = states[k];
	}
	w->view[i].seconds = strtod(wizard_text(w, i, "seconds"), NULL);
	w->view[i].warnings = (unsigned)strtoul(wizard_text(w, i, "warnings"), NULL, 10);
	if (w->views[i].u.view.state == PROTO_STEP_WAITING)
		w->waiting_step = (int)i;
	if (w->views[i].u.view.state == PROTO_STEP_RUNNING) {
		/* a step runs: its screen, with the progress from now on, and
		 * the log at its newest lines (what the step does) */
		w->cur = i;
		w->log_scroll = 0;
		wizard_progress_release(&w->prog);
		w->have_progress = 0;
		rate_window_reset(&w->rate);
		w->step_start_ns = w->now_ns;
		{
			/* attached while it runs: count from its start */
			uint64_t since = strtoull(wizard_text(w, i, "started"), NULL, 10);
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
			if (since && now >= (int64_t)since)
				w->step_start_ns -= (now - (int64_t)since) * 1000000;
		}
		w->qid = 0;
		replace_str(&w->confirmed, NULL);
		if (w->screen != SCR_CANCEL && w->screen != SCR_SUMMARY)
			wizard_goto(w, SCR_RUNNING);
	}
}

static void on_question(struct wizard *w, struct proto_msg *m)
{
	enum screen_id was = w->screen;
	const char *c0 = m->u.question.n_choices ? m->u.question.choices[0] : NULL;
	w->qid = m->u.question.id;
	w->qkind = m->u.question.kind;
	if (w->waiting_step >= 0)
		w->cur = (size_t)w->waiting_step;
	if (!w->control) {
		w->qid = 0; /* shown, not answered here */
	}
	switch (w->qkind) {
	case PROTO_ASK_STEP:
		if (was == SCR_CANCEL) {
			/* the step finished while the operator was deciding: its
			 * result stays, and the answer about to be typed must
			 * not act on the next screen */
			w->swallow_answer = 1;
			flushinp();
		}
		if (w->choosing && was == SCR_PICK) {
			pick_finished(w);
			break;
		}
		w->choosing = 0;
		/* keys typed while the step ran must not start the next one;
		 * the log shows its newest lines (the step's result) */
		if (was == SCR_RUNNING || was == SCR_WAIT) {
			flushinp();
			w->log_scroll = 0;
		}
		if (!w->asked && w->early.len && !w->o->reattach) {
			/* the preflight's warnings: on the first screen, and
			 * again as the pane's newest lines (its INFO lines would
			 * push them out of sight) */
			char *copy = xstrdup(w->early.buf), *save = NULL;
			for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
				log_add(w, time(NULL), LOG_WARN, l);
			free(copy);
			w->notice = 1;
		}
		w->screen = SCR_STEP; /* no leave: the dialogs over it are gone */
		step_enter(w);
		if (step_screen(w) == SCR_AGAIN) {
			if (!w->asked) {
				/* kept in the pane too, as the warnings are */
				char *copy = xstrdup(w->o->again), *save = NULL;
				for (char *l = strtok_r(copy, "\n", &save); l;
				     l = strtok_r(NULL, "\n", &save))
					log_add(w, time(NULL), LOG_WARN, l);
				free(copy);
			}
			w->screen = SCR_AGAIN;
		}
		break;
	case PROTO_ASK_YESNO:
	case PROTO_ASK_TYPED:
		if (w->confirmed && w->qid) {
			/* typed on the confirmation screen before the "run" */
			char *v = w->confirmed;
			w->confirmed = NULL;
			answer(w, v);
			free(v);
			break;
		}
		step_enter(w);
		replace_str(&w->confirm_word, w->qkind == PROTO_ASK_TYPED ? c0 : NULL);
		wizard_goto(w, SCR_CONFIRM);
		break;
	case PROTO_ASK_RETRY:
		if (w->cancelling) {
			answer(w, "abort");
			break;
		}
		wizard_goto(w, SCR_FAILED);
		break;
	case PROTO_ASK_BACKUP:
		/* not asked of a wizard (it chooses at the step's question) */
		answer(w, "abort");
		break;
	}
	w->asked = 1;
}

static void on_notice(struct wizard *w, const struct proto_msg *m)
{
	switch (m->u.notice.kind) {
	case PROTO_NOTICE_CONTROL:
		w->control = 1;
		w->readonly = w->readonly_dialog = w->took_over = 0;
		break;
	case PROTO_NOTICE_READ_ONLY:
		w->control = 0;
		w->readonly = w->readonly_dialog = 1;
		replace_str(&w->readonly_text, m->u.notice.text);
		break;
	case PROTO_NOTICE_TAKEN_OVER:
		w->control = 0;
		w->readonly = w->took_over = 1;
		w->qid = 0;
		replace_str(&w->readonly_text, m->u.notice.text);
		break;
	}
}

/* One message from the runner. */
static void on_message(struct wizard *w, struct proto_msg *m)
{
	switch (m->type) {
	case PROTO_VIEW:
		on_view(w, m);
		break;
	case PROTO_LOG:
		/* the backlog of a late attach keeps the run log's times */
		log_add(w, m->u.log.time ? (time_t)(m->u.log.time / 1000) : time(NULL),
			(enum log_level)m->u.log.level, m->u.log.text);
		/* the preflight's findings, for the first screen */
		if (!w->asked && m->u.log.level >= LOG_WARN) {
			strbuf_addf(&w->early, "%s\n", m->u.log.text);
			w->n_early++;
		}
		break;
	case PROTO_PROGRESS:
		if (w->screen == SCR_RUNNING || w->screen == SCR_CANCEL) {
			struct wizard_progress p = { 0 };
			p.phase = *m->u.progress.label ? xstrdup(m->u.progress.label) : NULL;
			p.current = *m->u.progress.item ? xstrdup(m->u.progress.item) : NULL;
			p.done_bytes = m->u.progress.done;
			p.total_bytes = m->u.progress.total;
			p.done_items = m->u.progress.items;
			p.t_ns = w->now_ns;
			rate_sample(w, &p);
			wizard_progress_release(&w->prog);
			w->prog = p;
			w->have_progress = 1;
		}
		break;
	case PROTO_QUESTION:
		on_question(w, m);
		break;
	case PROTO_NOTICE:
		on_notice(w, m);
		break;
	case PROTO_END:
		w->ended = 1;
		w->qid = 0;
		w->exit_code = m->u.end.code;
		strbuf_reset(&w->summary);
		strbuf_addstr(&w->summary, m->u.end.summary);
		if (w->resume) {
			w->exit_code = WIZARD_RESUME;
			w->finished = 1;
			break;
		}
		flushinp();
		if (w->terminating)
			w->finished = 1; /* SIGTERM: the summary goes to the terminal */
		if (!w->views) {
			/* refused before its first step (the plan, the
			 * preflight), or stopped there (exit 130: a signal,
			 * another client): why, in a dialog that goes back to
			 * the first screen or ends the wizard (the reason then
			 * stays on the terminal too) */
			w->refused = 1;
			wizard_goto(w, SCR_REFUSED);
			break;
		}
		wizard_goto(w, SCR_SUMMARY);
		break;
	default:
		break;
	}
}

/* Read what the runner sent and act on it.  -1 when it went away. */
static int from_runner(struct wizard *w)
{
	struct err e = ERR_INIT;
	struct proto_msg m;
	int r = proto_read(&w->conn, &e), rc;
	while ((rc = proto_next(&w->conn, &m, &e)) == 1) {
		on_message(w, &m);
		proto_msg_clear(&m);
	}
	err_clear(&e);
	return rc < 0 || r <= 0 ? -1 : 0;
}

/* The runner is done with us (END read) or gone: close the socket, so
 * that it can end (and release what it holds) while the summary shows. */
static void runner_close(struct wizard *w)
{
	struct err e = ERR_INIT;
	if (w->conn.fd < 0)
		return;
	proto_flush(&w->conn, &e); /* a last answer or cancel */
	err_clear(&e);
	close(w->conn.fd);
	w->conn.fd = -1;
}

/* ---- the loop ---- */

/* A line someone wrote to stderr while the screen was ours. */
static void stderr_line(void *ctx, const char *text)
{
	struct wizard *w = ctx;
	log_add(w, time(NULL), LOG_WARN, text);
}

static void dispatch_key(struct wizard *w, int is_key, wint_t ch)
{
	if (is_key && ch == KEY_RESIZE) {
		/* the one place a resize is handled: forget the old screen,
		 * the next wizard_draw() lays everything out anew */
		clearok(curscr, TRUE);
		return;
	}
	if (!is_key && ch == 12) { /* ^L */
		clearok(curscr, TRUE);
		return;
	}
	if (w->swallow_answer) {
		w->swallow_answer = 0;
		if (is_yes(is_key, ch) || is_char(is_key, ch, L'n'))
			return;
	}
	if (w->screen != SCR_SUMMARY && w->screen != SCR_REFUSED && readonly_key(w, is_key, ch))
		return;
	wizard_screens[w->screen].key(w, is_key, ch);
}

static void run_loop(struct wizard *w)
{
	while (!w->finished && !w->hangup) {
		struct pollfd pfd[4];
		wint_t ch;
		int r, sig;

		/* SIGHUP leaves the loop (the run goes on); SIGINT is a key,
		 * SIGTERM a stop that ends the wizard with the run */
		if ((sig = wizard_signal)) {
			wizard_signal = 0;
			if (sig == SIGHUP) {
				w->hangup = 1;
				break;
			}
			if (sig == SIGINT)
				interrupt(w);
			else
				terminate(w);
			continue;
		}

		w->now_ns = report_now_ns();
		wizard_draw(w);
		memset(pfd, 0, sizeof(pfd));
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = w->conn.fd; /* -1 once ended: ignored by poll */
		pfd[1].events = POLLIN;
		if (w->conn.fd >= 0 && w->conn.out_off < w->conn.out.len)
			pfd[1].events |= POLLOUT;
		pfd[2].fd = tui_stderr_fd(&w->errcap);
		pfd[2].events = POLLIN;
		pfd[3].fd = w->wake[0];
		pfd[3].events = POLLIN;
		r = poll(pfd, 4, 200);
		if (wizard_signal)
			continue;
		if (r > 0 && (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) &&
		    !(pfd[0].revents & POLLIN)) {
			/* the terminal went away without a SIGHUP */
			w->hangup = 1;
			break;
		}
		w->now_ns = report_now_ns();
		tui_stderr_read(&w->errcap, 0, stderr_line, w);
		if (r > 0 && pfd[1].revents & POLLOUT) {
			struct err e = ERR_INIT;
			proto_flush(&w->conn, &e);
			err_clear(&e);
		}
		if (r > 0 && pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (from_runner(w) < 0 && !w->ended) {
				/* killed: no end came */
				w->exit_code = EXIT_FAILED;
				strbuf_reset(&w->summary);
				strbuf_addf(&w->summary, _("The runner (pid %ld) ended without finishing "
							   "the run; its log: %s"),
					    w->o->runner_pid, w->o->log_path ? w->o->log_path : "?");
				/* killed (kill -9, OOM): the journal has no end,
				 * the run can be continued where it stopped */
				if (w->o->resume_cmd)
					strbuf_addf(&w->summary, _("\n\nTo see where it stopped and "
								   "continue it, run:\n  %s"),
						    w->o->resume_cmd);
				w->runner_died = 1;
				w->ended = 1;
				wizard_goto(w, SCR_SUMMARY);
				if (w->terminating)
					w->finished = 1;
			}
			if (w->ended)
				runner_close(w);
		}
		if (r > 0 && pfd[3].revents & POLLIN) {
			char b[64];
			while (read(w->wake[0], b, sizeof b) > 0)
				;
		}
		while (!w->finished && (r = tui_getkey(&ch)) != ERR)
			dispatch_key(w, r == KEY_CODE_YES, ch);
	}
}

static void print_err(struct err *e)
{
	struct strbuf msg = STRBUF_INIT;
	err_format_l10n(e, &msg);
	fprintf(stderr, "biso-recover: %s\n", msg.buf);
	strbuf_release(&msg);
	err_clear(e);
}

int wizard_run(const struct wizard_opts *o)
{
	struct sigaction sa, old_sa[N_CAUGHT];
	struct wizard w;
	struct err e = ERR_INIT;
	struct strbuf who = STRBUF_INIT;
	struct proto_msg hello = { .type = PROTO_HELLO };
	int fd;

	memset(&w, 0, sizeof(w));
	w.errcap = (struct tui_stderr)TUI_STDERR_INIT;
	w.o = o;
	w.waiting_step = -1;
	w.conn.fd = w.wake[0] = w.wake[1] = -1;
	strbuf_init(&w.describe, 0);
	strbuf_init(&w.what, 0);
	strbuf_init(&w.blocked, 0);
	strbuf_init(&w.typed, 0);
	strbuf_init(&w.errtext, 0);
	strbuf_init(&w.summary, 0);
	strbuf_init(&w.early, 0);
	w.log = xcalloc(WIZARD_LOG_KEEP, sizeof(*w.log));

	fd = rundir_connect(o->socket_path, &e);
	if (fd < 0 || proto_conn_init(&w.conn, fd, &e) < 0 ||
	    pipe2(w.wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		if (!err_isset(&e))
			err_errno(&e, errno, "cannot create the wizard's signal pipe");
		print_err(&e);
		if (fd >= 0)
			close(fd);
		free(w.log);
		return EXIT_USAGE;
	}
	client_who_am_i(&who);
	hello.u.hello.version = PROTO_VERSION;
	hello.u.hello.role = PROTO_ROLE_CONTROL;
	hello.u.hello.who = who.buf;
	send_msg(&w, &hello);
	strbuf_release(&who);

	/* our handlers first: ncurses leaves signals alone that are caught */
	wizard_signal = 0;
	wizard_signal_fd = w.wake[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_CAUGHT; i++)
		sigaction(caught_signals[i], &sa, &old_sa[i]);
	signal(SIGPIPE, SIG_IGN);

	if (tui_start(&w.tui, &e) < 0) {
		print_err(&e);
		w.exit_code = EXIT_USAGE;
		goto out;
	}
	if (tui_stderr_begin(&w.errcap, &e) < 0) {
		/* not fatal: the screen may get scribbled on */
		log_add(&w, time(NULL), LOG_WARN, e.msg);
		err_clear(&e);
	}
	w.title_info = xstrfmt("%s%sbiso-recover", o->banner ? o->banner : "", o->banner ? "  " : "");
	w.screen = SCR_WAIT;

	run_loop(&w);

	if (w.hangup) {
		/* the terminal is gone: the run goes on without us */
		w.exit_code = w.ended ? w.exit_code : WIZARD_LEFT;
	}
out:
	/* reverse order of setup: terminal, stderr, socket, signals */
	tui_end(&w.tui);
	tui_stderr_end(&w.errcap, stderr_line, &w);
	runner_close(&w);
	wizard_signal_fd = -1;
	for (size_t i = 0; i < N_CAUGHT; i++)
		sigaction(caught_signals[i], &old_sa[i], NULL);
	if (w.exit_code == WIZARD_LEFT) {
		strbuf_reset(&w.what);
		strbuf_addf(&w.what, _("The wizard left the run; it goes on in its runner (pid %ld): "
				       "biso-recover status shows it, biso-recover attaches again. Log: %s"),
			    o->runner_pid, o->log_path ? o->log_path : "?");
		frontend_fprint(stdout, w.what.buf);
	} else if (w.refused) {
		strbuf_rtrim(&w.summary);
		frontend_print(w.summary.buf);
	} else if (w.exit_code != WIZARD_RESUME && w.exit_code != EXIT_USAGE) {
		/* the alternate screen is gone: the summary stays in the
		 * scrollback, fitted to the terminal as line mode's is */
		strbuf_rtrim(&w.summary);
		if (w.summary.len)
			frontend_fprint(stdout, w.summary.buf);
		strbuf_reset(&w.what);
		strbuf_addf(&w.what, w.exit_code == EXIT_DONE
			    ? _("biso-recover: finished, exit code %d; log: %s")
			    : _("biso-recover: NOT finished, exit code %d; log: %s"),
			    w.exit_code, o->log_path ? o->log_path : "?");
		frontend_fprint(stdout, w.what.buf);
	}
	fflush(stdout);

	for (size_t i = 0; i < w.log_n; i++)
		free(w.log[(w.log_first + i) % WIZARD_LOG_KEEP].text);
	free(w.log);
	for (size_t s = 0; w.views && s <= w.n_steps; s++)
		proto_msg_clear(&w.views[s]);
	free(w.views);
	free(w.view);
	proto_conn_release(&w.conn);
	close(w.wake[0]);
	close(w.wake[1]);
	wizard_progress_release(&w.prog);
	free(w.title_info);
	free(w.confirm_word);
	free(w.confirmed);
	free(w.readonly_text);
	pick_free(&w);
	free(w.pick_name);
	free(w.pick_error);
	strbuf_release(&w.describe);
	strbuf_release(&w.what);
	strbuf_release(&w.blocked);
	strbuf_release(&w.typed);
	strbuf_release(&w.errtext);
	strbuf_release(&w.summary);
	strbuf_release(&w.early);
	return w.exit_code;
}
