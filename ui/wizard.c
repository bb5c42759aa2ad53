/*
 * wizard: the input loop and the screen table; see wizard.h.
 *
 * One loop: draw from state, poll() the terminal and the worker's pipe
 * (200 ms, so elapsed time, rate and ETA keep moving), apply what the
 * worker posted, then hand every key to the current screen.  Screens are
 * rows of wizard_screens[] {enter, draw, key, leave}; wizard_goto() is the
 * only way to change screen.  KEY_RESIZE is handled here, once.
 */
#include "config.h"
#include "i18n.h"
#include "wizard.h"
#include "backupset.h"
#include "frontend.h"
#include "wizard_int.h"

#include <errno.h>
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

/* Copy the step states from the plan; only while no step runs. */
static void sync_views(struct wizard *w)
{
	for (size_t s = 0; s < w->n_steps; s++) {
		w->view[s].state = run_step_state(w->run, s);
		w->view[s].seconds = run_step_seconds(w->run, s);
		w->view[s].warnings = run_step_warnings(w->run, s);
		replace_str(&w->view[s].summary, run_step_summary(w->run, s));
		replace_str(&w->view[s].kept_as, run_step_kept(w->run, s));
	}
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
	/* an operator reading back keeps his place */
	if (w->log_scroll > 0 && (size_t)w->log_scroll < w->log_n)
		w->log_scroll++;
}

/* A step's error for its dialog: the message and the hint first, the
 * detail (a verification report, a server's context) last, where the
 * dialog may cut it ("more in the log") without hiding what to do. */
static void failed_text(const struct err *e, struct strbuf *out)
{
	struct err head = *e; /* borrowed strings, not freed */

	head.detail = head.ldetail = NULL;
	err_format_l10n(&head, out); /* the screen's language; the log has it in English */
	if (e->detail)
		strbuf_addf(out, "\n%s %s", _("DETAIL:"), e->ldetail ? e->ldetail : e->detail);
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

/* The first step still to run, or w->n_steps. */
static size_t next_step(const struct wizard *w)
{
	for (size_t s = 0; s < w->n_steps; s++)
		if (w->view[s].state == STEP_PENDING)
			return s;
	return w->n_steps;
}

static void start_step(struct wizard *w)
{
	struct err e = ERR_INIT;
	size_t s = w->cur;

	wizard_progress_release(&w->prog);
	w->have_progress = 0;
	w->rate_n = w->rate_head = 0;
	w->cancelling = 0;
	w->step_start_ns = w->now_ns = report_now_ns();
	/* the backend logs the start and the end of the step itself */
	if (wizard_worker_start(&w->worker, w->run, s, -1, &e) < 0) {
		strbuf_reset(&w->errtext);
		failed_text(&e, &w->errtext);
		wizard_worker_log(&w->worker, LOG_ERROR, "wizard: %s", e.msg);
		err_clear(&e);
		wizard_goto(w, SCR_FAILED);
		return;
	}
	w->view[s].state = STEP_RUNNING;
	wizard_goto(w, SCR_RUNNING);
}

static void skip_step(struct wizard *w)
{
	run_skip(w->run, w->cur, NULL);
	wizard_worker_log(&w->worker, LOG_WARN, "wizard: step %s skipped by the operator",
			  run_step_name(w->run, w->cur));
	sync_views(w);
	wizard_goto(w, SCR_STEP);
}

/* ---- SCR_STEP ---- */

static void step_enter(struct wizard *w)
{
	const char *word;

	w->explain = 0;
	w->cur = next_step(w);
	if (w->cur == w->n_steps) {
		wizard_goto(w, SCR_SUMMARY);
		return;
	}
	strbuf_reset(&w->describe);
	run_describe_step(w->run, w->cur, &w->describe);
	strbuf_rtrim(&w->describe);
	strbuf_reset(&w->what);
	w->destructive = run_step_destructive(w->run, w->cur, &w->what);
	{
		const struct backup_list *l = run_sources(w->run, w->cur, NULL);
		w->pick_offer = l && l->n > 1;
	}
	strbuf_reset(&w->blocked);
	run_step_blocked(w->run, w->cur, &w->blocked);
	word = run_confirm_word(w->run, w->cur);
	replace_str(&w->confirm_word, word && *word ? word : NULL);
	if (w->confirm_word)
		w->destructive = 1;
}

static void step_key(struct wizard *w, int is_key, wint_t ch)
{
	if (w->notice) {
		/* any key closes the warnings; they stay in the log pane */
		if (is_log_key(is_key, ch)) {
			log_scroll_key(w, page_key(is_key, ch));
		} else if (w->o->offer_resume && is_char(is_key, ch, L'c')) {
			wizard_worker_log(&w->worker, LOG_INFO, "wizard: the operator chose to "
					  "continue the interrupted run");
			w->exit_code = WIZARD_RESUME;
			w->finished = 1;
		} else {
			if (w->o->offer_resume)
				wizard_worker_log(&w->worker, LOG_INFO, "wizard: the operator chose to "
						  "start over");
			w->notice = 0;
		}
		return;
	}
	if (w->explain) {
		/* any key closes the explanation; it does nothing else */
		if (is_log_key(is_key, ch))
			log_scroll_key(w, page_key(is_key, ch));
		else
			w->explain = 0;
		return;
	}
	if (is_char(is_key, ch, L'?')) {
		w->explain = 1;
	} else if (is_enter(is_key, ch) && w->blocked.len && w->pick_offer) {
		/* the plan's dump cannot be used: the list, not a refusal */
		replace_str(&w->pick_error, NULL);
		wizard_goto(w, SCR_PICK);
	} else if (is_enter(is_key, ch)) {
		if (w->destructive)
			wizard_goto(w, SCR_CONFIRM);
		else
			start_step(w);
	} else if (is_char(is_key, ch, L's')) {
		skip_step(w);
	} else if (is_char(is_key, ch, L'o') && w->pick_offer) {
		replace_str(&w->pick_error, NULL);
		wizard_goto(w, SCR_PICK);
	} else if (is_char(is_key, ch, L'q') || is_esc(is_key, ch)) {
		wizard_goto(w, SCR_QUIT);
	} else if (is_log_key(is_key, ch)) {
		log_scroll_key(w, page_key(is_key, ch));
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

/* The verified state of each backup of @l (run_source_note()) in @note,
 * padded to one column ("" for all when none has one), and in @bytes the
 * sizes (UINT64_MAX: a directory of unknown size); l->n of each. */
static void pick_notes(const struct wizard *w, const struct backup_list *l,
		       struct strbuf *note, uint64_t *bytes)
{
	int width = 0;
	for (size_t i = 0; i < l->n; i++) {
		wchar_t *ws;
		strbuf_init(&note[i], 0);
		bytes[i] = l->items[i].kind == MAGIC_DIR ? UINT64_MAX : l->items[i].size;
		run_source_note(w->run, w->cur, i, &note[i], &bytes[i]);
		ws = tui_widen(note[i].buf, note[i].len, 0);
		if (tui_wswidth(ws, wcslen(ws)) > width)
			width = tui_wswidth(ws, wcslen(ws));
		free(ws);
	}
	for (size_t i = 0; i < l->n && width; i++) {
		wchar_t *ws = tui_widen(note[i].buf, note[i].len, 0);
		for (int k = tui_wswidth(ws, wcslen(ws)); k < width + 1; k++)
			strbuf_addch(&note[i], ' ');
		free(ws);
	}
}

static void pick_enter(struct wizard *w)
{
	size_t cur;
	const struct backup_list *l;
	struct strbuf *note;
	uint64_t *bytes;

	if (w->choosing)
		return;
	pick_free(w);
	l = run_sources(w->run, w->cur, &cur);
	w->pick_sel = w->pick_cur = l && cur < l->n ? cur : 0;
	if (!l)
		return;
	w->pick_item = xcalloc(l->n, sizeof(*w->pick_item));
	note = xcalloc(l->n, sizeof(*note));
	bytes = xcalloc(l->n, sizeof(*bytes));
	pick_notes(w, l, note, bytes);
	for (size_t i = 0; i < l->n; i++) {
		const struct backup_item *it = &l->items[i];
		struct strbuf sb = STRBUF_INIT, size = STRBUF_INIT;
		const char *mark;
		char when[32];
		struct tm tm;
		strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime_r(&it->when, &tm));
		if (bytes[i] == UINT64_MAX)
			strbuf_addstr(&size, _("directory"));
		else
			strbuf_humanise_bytes(&size, bytes[i]);
		/* sizes right-aligned: the states and names start in one column;
		 * a dump's name still fits the dialog at 80 columns */
		strbuf_addf(&sb, "%s  %9s %s%s", when, size.buf, note[i].buf, it->name);
		strbuf_release(&note[i]);
		mark = run_source_mark(w->run, w->cur, i);
		/* the one the preflight found unusable */
		if (mark && strcmp(mark, RUN_MARK_USABLE))
			strbuf_addf(&sb, "  %s", mark);
		strbuf_release(&size);
		w->pick_item[i] = strbuf_detach(&sb, NULL);
		/* blocked on that one: the newest usable backup is the choice */
		if (w->blocked.len && mark && !strcmp(mark, RUN_MARK_USABLE))
			w->pick_sel = i;
	}
	free(note);
	free(bytes);
	w->pick_n = l->n;
}

static void pick_key(struct wizard *w, int is_key, wint_t ch)
{
	struct err e = ERR_INIT;
	if (is_log_key(is_key, ch)) {
		log_scroll_key(w, page_key(is_key, ch));
		return;
	}
	if (w->choosing)
		return; /* the worker has the run: wait for it */
	if (is_esc(is_key, ch) || is_char(is_key, ch, L'q')) {
		wizard_goto(w, SCR_STEP);
	} else if ((is_key && ch == KEY_UP) || is_char(is_key, ch, L'k')) {
		if (w->pick_sel > 0)
			w->pick_sel--;
	} else if ((is_key && ch == KEY_DOWN) || is_char(is_key, ch, L'j')) {
		if (w->pick_sel + 1 < w->pick_n)
			w->pick_sel++;
	} else if (is_enter(is_key, ch)) {
		if (w->pick_sel == w->pick_cur) {
			wizard_goto(w, SCR_STEP);
			return;
		}
		/* the run is ours until the worker starts */
		replace_str(&w->pick_name, run_sources(w->run, w->cur, NULL)->items[w->pick_sel].name);
		if (wizard_worker_start(&w->worker, w->run, w->cur, (long)w->pick_sel, &e) < 0) {
			wizard_worker_log(&w->worker, LOG_ERROR, "wizard: %s", e.msg);
			err_clear(&e);
			return;
		}
		w->choosing = 1;
	}
}

/* The check of the chosen backup ended: back to the step, which shows the
 * new source; when it cannot be used, the dialog again with the reason. */
static void pick_finished(struct wizard *w, int rc, struct err *e)
{
	wizard_worker_join(&w->worker);
	w->choosing = 0;
	flushinp();
	if (rc) {
		/* the backend logged it in full; the dialog says it short */
		replace_str(&w->pick_error, e->lmsg ? e->lmsg : e->msg ? e->msg : _("the check failed"));
		{
			/* the list again, the plan's marked, the cursor where it was */
			size_t sel = w->pick_sel;
			pick_enter(w);
			if (sel < w->pick_n)
				w->pick_sel = sel;
		}
		return;
	}
	wizard_goto(w, SCR_STEP);
}

/* ---- SCR_CONFIRM ---- */

/* In the run log, as line mode logs it (frontend_confirmed()). */
static void log_confirmed(struct wizard *w)
{
	struct strbuf sb = STRBUF_INIT, what = STRBUF_INIT;
	int was = i18n_english(1); /* the run log's language */
	run_step_destructive(w->run, w->cur, &what);
	frontend_confirmed(&sb, run_step_name(w->run, w->cur), w->confirm_word, what.buf);
	i18n_english(was);
	wizard_worker_log(&w->worker, LOG_INFO, "%s", sb.buf);
	strbuf_release(&sb);
	strbuf_release(&what);
}

static void confirm_enter(struct wizard *w)
{
	strbuf_reset(&w->typed);
	w->typed_wrong = 0;
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
	if (is_esc(is_key, ch)) {
		wizard_goto(w, SCR_STEP);
		return;
	}
	if (is_log_key(is_key, ch)) {
		log_scroll_key(w, page_key(is_key, ch));
		return;
	}
	if (!w->confirm_word) {
		if (is_char(is_key, ch, L'y')) {
			log_confirmed(w);
			start_step(w);
		} else if (is_char(is_key, ch, L'n') || is_char(is_key, ch, L'q')) {
			wizard_goto(w, SCR_STEP);
		}
		return;
	}
	if (is_enter(is_key, ch)) {
		if (!strcmp(w->typed.buf, w->confirm_word)) {
			log_confirmed(w);
			start_step(w);
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
}

static void cancel_key(struct wizard *w, int is_key, wint_t ch)
{
	if (is_char(is_key, ch, L'y')) {
		w->cancelling = 1;
		wizard_worker_cancel(&w->worker, 1);
		wizard_worker_log(&w->worker, LOG_WARN,
				  "wizard: operator aborted step %s; waiting for it to stop",
				  run_step_name(w->run, w->cur));
		wizard_goto(w, SCR_RUNNING);
	} else if (is_char(is_key, ch, L'n') || is_char(is_key, ch, L'q') || is_esc(is_key, ch)) {
		wizard_goto(w, SCR_RUNNING);
	}
}

/* ---- SCR_FAILED ---- */

static void failed_key(struct wizard *w, int is_key, wint_t ch)
{
	if (is_char(is_key, ch, L'r')) {
		wizard_worker_log(&w->worker, LOG_INFO, "wizard: retrying step %s",
				  run_step_name(w->run, w->cur));
		start_step(w);
	} else if (is_char(is_key, ch, L's')) {
		skip_step(w);
	} else if (is_char(is_key, ch, L'a') || is_char(is_key, ch, L'q')) {
		wizard_worker_log(&w->worker, LOG_ERROR,
				  "wizard: operator stopped after step %s failed", run_step_name(w->run, w->cur));
		wizard_goto(w, SCR_SUMMARY);
	} else if (is_log_key(is_key, ch)) {
		log_scroll_key(w, page_key(is_key, ch));
	}
}

/* ---- SCR_QUIT ---- */

static void quit_key(struct wizard *w, int is_key, wint_t ch)
{
	if (is_char(is_key, ch, L'y')) {
		w->aborted = 1;
		wizard_worker_log(&w->worker, LOG_WARN,
				  "wizard: operator quit before step %s", run_step_name(w->run, w->cur));
		wizard_goto(w, SCR_SUMMARY);
	} else if (is_char(is_key, ch, L'n') || is_char(is_key, ch, L'q') || is_esc(is_key, ch)) {
		wizard_goto(w, SCR_STEP);
	}
}

/* ---- SCR_SUMMARY ---- */

static void summary_enter(struct wizard *w)
{
	const char *log_path = w->o->log_path ? w->o->log_path : run_log_path(w->run);

	strbuf_reset(&w->summary);
	if (w->aborted && !run_stopped(w->run))
		run_set_stopped(w->run, 1); /* the operator quit or aborted a step */
	run_summary(w->run, &w->summary);
	strbuf_rtrim(&w->summary);
	if (log_path && !strstr(w->summary.buf, log_path))
		strbuf_addf(&w->summary, _("\nlog: %s"), log_path);
	w->summary_scroll = 0;
	w->exit_code = w->aborted ? 130 : run_exit_code(w->run);
	wizard_worker_log(&w->worker, LOG_INFO, "wizard: finished, exit code %d", w->exit_code);
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
	} else {
		w->finished = 1;
		return;
	}
	if (w->summary_scroll < 0)
		w->summary_scroll = 0;
	/* the draw function clamps the top end */
}

const struct wizard_screen wizard_screens[SCR_COUNT] = {
	[SCR_STEP]    = { "step",    step_enter,    wizard_draw_step,    step_key,    NULL },
	[SCR_CONFIRM] = { "confirm", confirm_enter, wizard_draw_confirm, confirm_key, NULL },
	[SCR_RUNNING] = { "running", NULL,          wizard_draw_running, running_key, NULL },
	[SCR_CANCEL]  = { "cancel",  NULL,          wizard_draw_cancel,  cancel_key,  NULL },
	[SCR_FAILED]  = { "failed",  NULL,          wizard_draw_failed,  failed_key,  NULL },
	[SCR_QUIT]    = { "quit",    NULL,          wizard_draw_quit,    quit_key,    NULL },
	[SCR_SUMMARY] = { "summary", summary_enter, wizard_draw_summary, summary_key, NULL },
	[SCR_PICK]    = { "pick",    pick_enter,    wizard_draw_pick,    pick_key,    NULL },
};

/* ---- events from the worker ---- */

static void rate_sample(struct wizard *w, const struct wizard_progress *p)
{
	int last = (w->rate_head + WIZARD_RATE_SAMPLES - 1) % WIZARD_RATE_SAMPLES;
	int phase_changed = !w->have_progress ||
		!!w->prog.phase != !!p->phase ||
		(p->phase && w->prog.phase && strcmp(p->phase, w->prog.phase));

	if (phase_changed || (w->rate_n && p->done_bytes < w->rate_b[last]))
		w->rate_n = w->rate_head = 0;
	if (w->rate_n && p->t_ns - w->rate_t[last] < 250000000)
		return;
	w->rate_t[w->rate_head] = p->t_ns;
	w->rate_b[w->rate_head] = p->done_bytes;
	w->rate_head = (w->rate_head + 1) % WIZARD_RATE_SAMPLES;
	if (w->rate_n < WIZARD_RATE_SAMPLES)
		w->rate_n++;
}

static void step_finished(struct wizard *w, int rc, struct err *e)
{
	size_t s = w->cur;

	if (w->choosing) {
		pick_finished(w, rc, e);
		return;
	}
	wizard_worker_join(&w->worker);
	sync_views(w);
	/* keys typed while the step ran must not start the next one */
	flushinp();
	if (!rc) {
		if (w->screen == SCR_CANCEL) {
			/* Finished while the operator was deciding: its result stays, and
			 * the answer about to be typed must not act on the next screen. */
			wizard_worker_log(&w->worker, LOG_WARN, "wizard: step %s finished before the "
					  "abort was confirmed; its result stays", run_step_name(w->run, s));
			w->swallow_answer = 1;
		}
		if (w->cancelling) {
			w->aborted = 1;
			wizard_goto(w, SCR_SUMMARY);
			return;
		}
		wizard_goto(w, SCR_STEP);
		return;
	}
	if (w->view[s].state == STEP_RUNNING || w->view[s].state == STEP_PENDING)
		w->view[s].state = STEP_FAILED;
	strbuf_reset(&w->errtext);
	if (err_isset(e))
		failed_text(e, &w->errtext);
	else if (err_isset(run_step_err(w->run, s)))
		failed_text(run_step_err(w->run, s), &w->errtext);
	else
		strbuf_addstr(&w->errtext, _("the step failed without saying why"));
	/* the backend logged the error with its detail and hint */
	if (w->cancelling) {
		w->aborted = 1;
		wizard_goto(w, SCR_SUMMARY);
	} else {
		wizard_goto(w, SCR_FAILED);
	}
}

static void apply_events(struct wizard *w)
{
	struct wizard_events ev;

	wizard_worker_take(&w->worker, &ev);
	for (struct wizard_logline *l = ev.logs; l; l = l->next)
		log_add(w, l->wall, l->level, l->text);
	if (ev.have_progress && (w->screen == SCR_RUNNING || w->screen == SCR_CANCEL)) {
		rate_sample(w, &ev.progress);
		wizard_progress_release(&w->prog);
		w->prog = ev.progress;
		memset(&ev.progress, 0, sizeof(ev.progress));
		w->have_progress = 1;
	}
	if (ev.done)
		step_finished(w, ev.rc, &ev.err);
	wizard_events_release(&ev);
}

/* ---- the loop ---- */

/* A line someone wrote to stderr while the screen was ours. */
static void stderr_line(void *ctx, const char *text)
{
	struct wizard *w = ctx;
	wizard_worker_log(&w->worker, LOG_WARN, "stderr: %s", text);
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
		if (is_char(is_key, ch, L'y') || is_char(is_key, ch, L'n'))
			return;
	}
	wizard_screens[w->screen].key(w, is_key, ch);
}

static void run_loop(struct wizard *w)
{
	while (!w->finished && !wizard_signal) {
		struct pollfd pfd[3];
		wint_t ch;
		int r;

		w->now_ns = report_now_ns();
		wizard_draw(w);
		memset(pfd, 0, sizeof(pfd));
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = wizard_worker_fd(&w->worker);
		pfd[1].events = POLLIN;
		pfd[2].fd = tui_stderr_fd(&w->errcap); /* -1: ignored by poll */
		pfd[2].events = POLLIN;
		r = poll(pfd, 3, 200);
		if (wizard_signal)
			break;
		if (r > 0 && (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) &&
		    !(pfd[0].revents & POLLIN)) {
			/* the terminal went away without a SIGHUP */
			wizard_signal = SIGHUP;
			break;
		}
		w->now_ns = report_now_ns();
		tui_stderr_read(&w->errcap, 0, stderr_line, w);
		apply_events(w);
		while (!w->finished && (r = tui_getkey(&ch)) != ERR)
			dispatch_key(w, r == KEY_CODE_YES, ch);
	}
}

int wizard_run(struct run *run, const struct wizard_opts *o)
{
	static const struct wizard_opts no_opts;
	struct sigaction sa, old_sa[N_CAUGHT];
	struct wizard w;
	struct err e = ERR_INIT;
	struct strbuf info = STRBUF_INIT;

	memset(&w, 0, sizeof(w));
	w.errcap = (struct tui_stderr)TUI_STDERR_INIT;
	w.run = run;
	w.n_steps = run_step_count(run);
	w.view = xcalloc(w.n_steps ? w.n_steps : 1, sizeof(*w.view));
	w.o = o ? o : &no_opts;
	strbuf_init(&w.describe, 0);
	strbuf_init(&w.what, 0);
	strbuf_init(&w.blocked, 0);
	strbuf_init(&w.typed, 0);
	strbuf_init(&w.errtext, 0);
	strbuf_init(&w.summary, 0);
	w.log = xcalloc(WIZARD_LOG_KEEP, sizeof(*w.log));

	if (wizard_worker_init(&w.worker, w.o->logsink, &e) < 0) {
		struct strbuf msg = STRBUF_INIT;
		err_format_l10n(&e, &msg);
		fprintf(stderr, "biso-recover: %s\n", msg.buf);
		strbuf_release(&msg);
		err_clear(&e);
		free(w.log);
		return 2;
	}

	/* our handlers first: ncurses leaves signals alone that are caught */
	wizard_signal = 0;
	wizard_signal_fd = w.worker.pipefd[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_CAUGHT; i++)
		sigaction(caught_signals[i], &sa, &old_sa[i]);

	if (tui_start(&w.tui, &e) < 0) {
		struct strbuf msg = STRBUF_INIT;
		err_format_l10n(&e, &msg);
		fprintf(stderr, "biso-recover: %s\n", msg.buf);
		strbuf_release(&msg);
		err_clear(&e);
		w.exit_code = 2;
		goto out;
	}

	if (tui_stderr_begin(&w.errcap, &e) < 0) {
		/* not fatal: the screen may get scribbled on */
		wizard_worker_log(&w.worker, LOG_WARN, "wizard: %s", e.msg);
		err_clear(&e);
	}
	/* the short database name first: a long webroot is what gets cut */
	if (o && o->banner)
		strbuf_addf(&info, "%s  ", o->banner);
	strbuf_addstr(&info, "biso-recover");
	run_target_text(run, &info);
	w.title_info = strbuf_detach(&info, NULL);
	sync_views(&w);
	wizard_worker_log(&w.worker, LOG_INFO, "wizard: started on a %dx%d terminal%s%s",
			  COLS, LINES, w.tui.colour ? ", colour" : "",
			  w.tui.utf8 ? ", UTF-8" : ", ASCII");
	if (frontend_ssh_warning())
		wizard_worker_log(&w.worker, LOG_WARN, "%s", frontend_ssh_warning());
	w.screen = SCR_STEP;
	step_enter(&w);
	if (w.o->warnings && *w.o->warnings) {
		/* logged (run log, stderr) before the screen was ours: into the
		 * pane, and on the first screen until a key */
		char *copy = xstrdup(w.o->warnings), *save = NULL;
		for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			log_add(&w, time(NULL), LOG_WARN, l);
		free(copy);
		w.notice = w.screen == SCR_STEP;
	}

	run_loop(&w);

	if (wizard_signal) {
		w.aborted = 1;
		w.exit_code = 130;
		/* say what happened: a dropped terminal is no operator's choice */
		if (wizard_worker_busy(&w.worker))
			wizard_worker_log(&w.worker, LOG_WARN,
					  "wizard: %s: stopping the running step at its next safe point",
					  report_reason(REPORT_STOP_SIGNAL((int)wizard_signal)));
		else
			wizard_worker_log(&w.worker, LOG_WARN, "wizard: %s: stopping before the next step",
					  report_reason(REPORT_STOP_SIGNAL((int)wizard_signal)));
		if (wizard_worker_busy(&w.worker))
			wizard_worker_cancel(&w.worker, REPORT_STOP_SIGNAL((int)wizard_signal));
	}
out:
	/* reverse order of setup: terminal, stderr, worker, signals; stderr
	 * before the join, so that a step writing to it cannot block on a
	 * pipe nobody reads any more */
	tui_end(&w.tui);
	tui_stderr_end(&w.errcap, stderr_line, &w);
	if (wizard_worker_busy(&w.worker)) {
		struct wizard_events ev;
		wizard_worker_cancel(&w.worker, 1);
		wizard_worker_join(&w.worker);
		/* its lines already reached the sink; add how it ended */
		wizard_worker_take(&w.worker, &ev);
		if (ev.done && ev.rc)
			wizard_worker_log(&w.worker, LOG_WARN, "wizard: step %s stopped: %s",
					  run_step_name(w.run, w.cur), ev.err.msg ? ev.err.msg : "");
		else if (ev.done)
			wizard_worker_log(&w.worker, LOG_INFO, "wizard: step %s finished before it could stop",
					  run_step_name(w.run, w.cur));
		wizard_events_release(&ev);
	}
	wizard_worker_destroy(&w.worker);
	/* the worker is gone: for the summary the caller prints */
	if (wizard_signal)
		run_set_stopped(w.run, REPORT_STOP_SIGNAL((int)wizard_signal));
	else if (w.aborted && !run_stopped(w.run))
		run_set_stopped(w.run, 1);
	wizard_signal_fd = -1;
	for (size_t i = 0; i < N_CAUGHT; i++)
		sigaction(caught_signals[i], &old_sa[i], NULL);

	for (size_t i = 0; i < w.log_n; i++)
		free(w.log[(w.log_first + i) % WIZARD_LOG_KEEP].text);
	free(w.log);
	for (size_t s = 0; s < w.n_steps; s++) {
		free(w.view[s].summary);
		free(w.view[s].kept_as);
	}
	free(w.view);
	wizard_progress_release(&w.prog);
	free(w.title_info);
	free(w.confirm_word);
	pick_free(&w);
	free(w.pick_name);
	free(w.pick_error);
	strbuf_release(&w.describe);
	strbuf_release(&w.what);
	strbuf_release(&w.blocked);
	strbuf_release(&w.typed);
	strbuf_release(&w.errtext);
	strbuf_release(&w.summary);
	return w.exit_code;
}
