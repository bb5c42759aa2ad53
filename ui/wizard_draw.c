/*
 * wizard_draw: the wizard's screens, drawn from struct wizard alone.
 *
 *  row 0        title bar: program, webroot, database, step n/6
 *  rows 1..m    left: the six steps with markers; right: the current step
 *  rule + log   the last lines of the log ([ ] or PgUp/PgDn scroll back)
 *  last row     the keys of the current screen
 *
 * Dialogs (confirm, abort?, quit?, failure) are boxes over the middle.
 * Everything here may run at any size; below MIN_COLS x MIN_ROWS only a
 * "terminal too small" note is drawn (keys keep working).  Markers and
 * every glyph we choose are ASCII, so nothing depends on colour or UTF-8.
 */
#include "config.h"
#include "i18n.h"
#include "frontend.h"
#include "wizard_menu.h"
#include "wizard_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define MIN_COLS 40
#define MIN_ROWS 12

struct help_key {
	const char *key;
	const char *label;
};

/* The geometry of the frame for the current terminal size. */
struct layout {
	int rows, cols;
	int main_top, main_h;  /* the step list and right panel */
	int left_w;            /* width of the step column (excl. the line) */
	int right_x, right_w;
	int rule_y;            /* the rule above the log */
	int log_top, log_h;
	int help_y;
};

static void layout_compute(struct layout *l)
{
	l->rows = LINES;
	l->cols = COLS;
	l->help_y = l->rows - 1;
	l->log_h = (l->rows - 2) / 5;
	if (l->log_h < 2)
		l->log_h = 2;
	if (l->log_h > 12)
		l->log_h = 12;
	l->log_top = l->help_y - l->log_h;
	l->rule_y = l->log_top - 1;
	l->main_top = 1;
	l->main_h = l->rule_y - l->main_top;
	/* at 80 columns 24: " 4 maintenance-off" fits beside the marker */
	l->left_w = l->cols * 3 / 10;
	if (l->left_w > 32)
		l->left_w = 32;
	/* at 60 columns " 5 migrations" fits with a space before the rule */
	if (l->left_w < 19)
		l->left_w = 19;
	l->right_x = l->left_w + 2;
	l->right_w = l->cols - l->right_x - 1;
}

int wizard_log_rows(const struct wizard *w)
{
	struct layout l;
	(void)w;
	layout_compute(&l);
	return l.log_h;
}

static void summary_top(const struct wizard *w, int draw, int *head_rows, int *warn_rows);

int wizard_summary_rows(const struct wizard *w)
{
	int head_rows, warn_rows;
	summary_top(w, 0, &head_rows, &warn_rows);
	return LINES - 3 - head_rows - (warn_rows ? warn_rows + 1 : 0) > 1
	       ? LINES - 3 - head_rows - (warn_rows ? warn_rows + 1 : 0) : 1;
}

static const char *state_marker(enum step_state s)
{
	switch (s) {
	case STEP_PENDING: return "[ ]";
	case STEP_RUNNING: return "[>]";
	case STEP_DONE: return "[x]";
	case STEP_FAILED: return "[!]";
	case STEP_SKIPPED: return "[-]";
	}
	return "[?]";
}

static enum tui_role state_role(enum step_state s)
{
	switch (s) {
	case STEP_PENDING: return TUI_PENDING;
	case STEP_RUNNING: return TUI_RUNNING;
	case STEP_DONE: return TUI_DONE;
	case STEP_FAILED: return TUI_FAILED;
	case STEP_SKIPPED: return TUI_SKIPPED;
	}
	return TUI_NORMAL;
}

/* "0:07", "12:34", "1:02:03" */
static void add_duration(struct strbuf *sb, double seconds)
{
	long s = seconds < 0 ? 0 : (long)(seconds + 0.5);
	if (s >= 3600)
		strbuf_addf(sb, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
	else
		strbuf_addf(sb, "%ld:%02ld", s / 60, s % 60);
}

double wizard_rate(const struct wizard *w)
{
	return rate_window_rate(&w->rate, w->now_ns);
}

/* Draw @s, clipped from the left ("...tail") when wider than @maxcols. */
static void put_tail(WINDOW *win, int y, int x, int maxcols, const char *s, attr_t a)
{
	wchar_t *ws = tui_widen(s, strlen(s), 0);
	size_t n = wcslen(ws), start = 0;

	if (tui_wswidth(ws, n) > maxcols && maxcols > 3) {
		while (start < n && tui_wswidth(ws + start, n - start) > maxcols - 3)
			start++;
		tui_put(win, y, x, 3, "...", a);
		tui_putw(win, y, x + 3, maxcols - 3, ws + start, a);
	} else {
		tui_putw(win, y, x, maxcols, ws, a);
	}
	free(ws);
}

/* Draw wrapped lines from @first, at most @h rows; returns rows used. */
static int put_lines(WINDOW *win, int y, int x, int width, int h,
		     const struct tui_lines *ln, size_t first, attr_t a)
{
	int used = 0;
	for (size_t i = first; i < ln->n && used < h; i++, used++)
		tui_putw(win, y + used, x, width, ln->line[i], a);
	return used;
}

/* The columns of @label; with @compact without a closing " (...)" (a
 * label's explanation, dropped when the line is too long); *@len its
 * bytes. */
static int help_label_width(const char *label, int compact, size_t *len)
{
	const char *open = strstr(label, " (");
	size_t n = strlen(label);
	if (compact && open && n && label[n - 1] == ')')
		n = (size_t)(open - label);
	*len = n;
	return tui_cols_of(label, n);
}

/* The key hints on the bottom line, "KEY label  KEY label ...".  When they
 * do not fit the width, the labels' explanations in parentheses go first,
 * then "[ ] log" (the log pane's rule names those keys), then the hints at
 * the end that do not fit whole: the tables list the keys most needed
 * first (po-check keeps every line within 80 columns without its
 * explanations, in every language). */
static void draw_help(const struct wizard *w, const struct help_key *keys, size_t n)
{
	int x = 0, y = LINES - 1, compact = 0, full = 0, short_ = 0, no_log;
	attr_t ka = tui_attr(&w->tui, TUI_KEY);
	size_t len;

	for (size_t i = 0; i < n; i++) {
		int kw = tui_cols_of(_(keys[i].key), strlen(_(keys[i].key))) + 1;
		full += (i ? 2 : 0) + kw + help_label_width(_(keys[i].label), 0, &len);
		short_ += (i ? 2 : 0) + kw + help_label_width(_(keys[i].label), 1, &len);
	}
	compact = full > COLS;
	no_log = short_ > COLS;
	for (size_t i = 0; i < n && x < COLS; i++) {
		const char *key = _(keys[i].key), *label = _(keys[i].label);
		int need = (x ? 2 : 0) + tui_cols_of(key, strlen(key)) + 1 +
			   help_label_width(label, compact, &len);
		if (no_log && !strcmp(keys[i].label, "log"))
			continue;
		if (x + need > COLS)
			break;
		if (x)
			x += tui_put(stdscr, y, x, COLS - x, "  ", A_NORMAL);
		x += tui_put(stdscr, y, x, COLS - x, key, ka);
		x += tui_put(stdscr, y, x, COLS - x, " ", A_NORMAL);
		{
			char *l = xstrndup(label, len);
			x += tui_put(stdscr, y, x, COLS - x, l, A_NORMAL);
			free(l);
		}
	}
}

static void draw_title(const struct wizard *w, const char *right)
{
	attr_t a = tui_attr(&w->tui, TUI_TITLE);
	int rlen = right ? (int)strlen(right) : 0;

	wattr_on(stdscr, a, NULL);
	mvhline(0, 0, ' ', COLS);
	wattr_off(stdscr, a, NULL);
	tui_put_title(stdscr, 0, 1, COLS - rlen - 3, w->title_info ? w->title_info : "biso-recover",
		      w->tui.utf8, a);
	if (right && rlen < COLS - 2)
		tui_put(stdscr, 0, COLS - rlen - 1, rlen, right, a);
}

/* @s at (@y, @x) in at most @cols columns: whole, or cut with "..." (or
 * "…") at its end, so that a cut word never passes for a whole one;
 * returns the columns used. */
static int put_fit(const struct wizard *w, int y, int x, int cols, const char *s, attr_t a)
{
	const char *dots = w->tui.utf8 ? "…" : "...";
	int dw = w->tui.utf8 ? 1 : 3, c;
	if (cols <= 0)
		return 0;
	if (tui_cols_of(s, strlen(s)) <= cols || cols <= dw)
		return tui_put(stdscr, y, x, cols, s, a);
	c = tui_put(stdscr, y, x, cols - dw, s, a);
	return c + tui_put(stdscr, y, x + c, dw, dots, a);
}

/* A step's name (" 4 maintenance-off") in at most @cols columns, as
 * put_fit() cuts it, but keeping its last "-part" when it has one: names
 * that differ only at their end stay apart ("maint...-on", "maint...-off"). */
static void put_fit_name(const struct wizard *w, int y, int x, int cols, const char *s, attr_t a)
{
	const char *dots = w->tui.utf8 ? "…" : "...";
	int dw = w->tui.utf8 ? 1 : 3;
	const char *dash = strrchr(s, '-');
	int tw = dash ? tui_cols_of(dash, strlen(dash)) : 0;

	if (!dash || tui_cols_of(s, strlen(s)) <= cols || tw + dw + 4 > cols) {
		put_fit(w, y, x, cols, s, a);
		return;
	}
	x += tui_put(stdscr, y, x, cols - dw - tw, s, a);
	x += tui_put(stdscr, y, x, dw, dots, a);
	tui_put(stdscr, y, x, tw, dash, a);
}

static void draw_steps(const struct wizard *w, const struct layout *l)
{
	int two_lines = l->main_h >= 2 * (int)w->n_steps + 1;
	int y = l->main_top, titles = 1;

	/* every step by its title when all fit with a space before the rule,
	 * else every step by its short name: one kind in the list (a German
	 * title stood among English names) */
	for (size_t s = 0; s < w->n_steps; s++) {
		char *t = xstrfmt(" %zu %s", s + 1, wizard_text(w, s, "title"));
		if (tui_cols_of(t, strlen(t)) >= l->left_w - 5)
			titles = 0;
		free(t);
	}

	tui_put(stdscr, y++, 1, l->left_w - 1, _("Steps"), tui_attr(&w->tui, TUI_HEADING));
	for (int s = 0; s < (int)w->n_steps && y < l->main_top + l->main_h; s++) {
		const struct step_view *v = &w->view[s];
		attr_t a = tui_attr(&w->tui, state_role(v->state));
		int cur = s == (int)w->cur && w->screen != SCR_SUMMARY;
		struct strbuf sb = STRBUF_INIT;
		int x = 1;

		/* the current step stands out without colour too */
		x += tui_put(stdscr, y, x, l->left_w - x, cur ? ">" : " ", A_BOLD);
		x += tui_put(stdscr, y, x, l->left_w - x, state_marker(v->state), a);
		/* a name that does not fit is cut with a marker */
		strbuf_addf(&sb, " %d %s", s + 1, wizard_text(w, (size_t)s, titles ? "title" : "name"));
		put_fit_name(w, y, x, l->left_w - x - 1, sb.buf, cur ? a | A_BOLD : a);
		y++;
		if (two_lines && y < l->main_top + l->main_h) {
			/* "done 0:32, 1 warning"; when that does not fit, without
			 * the time ("done, 1 warning"), then the warnings alone
			 * (the marker says the state); then cut with a marker */
			for (int form = 2; form >= 0; form--) {
				strbuf_reset(&sb);
				if (form)
					strbuf_addf(&sb, "%s", _(step_state_name(v->state)));
				if (form == 2 && v->state == STEP_RUNNING) {
					strbuf_addch(&sb, ' ');
					add_duration(&sb, (double)(w->now_ns - w->step_start_ns) / 1e9);
				} else if (form == 2 && (v->state == STEP_DONE || v->state == STEP_FAILED)) {
					strbuf_addch(&sb, ' ');
					add_duration(&sb, v->seconds);
				}
				if (v->warnings && form)
					strbuf_addf(&sb, P_(", %u warning", ", %u warnings", v->warnings),
						    v->warnings);
				else if (v->warnings)
					strbuf_addf(&sb, P_("%u warning", "%u warnings", v->warnings),
						    v->warnings);
				if (tui_cols_of(sb.buf, sb.len) <= l->left_w - 8 || !v->warnings)
					break;
			}
			put_fit(w, y, 7, l->left_w - 8, sb.buf, tui_attr(&w->tui, TUI_DIM));
			y++;
		}
		strbuf_release(&sb);
	}
	mvvline(l->main_top, l->left_w, ACS_VLINE, l->main_h);
}

static void draw_log(const struct wizard *w, const struct layout *l)
{
	struct strbuf label = STRBUF_INIT;
	size_t shown = (size_t)l->log_h, last;

	strbuf_addstr(&label, _("Log"));
	if (w->log_scroll)
		strbuf_addf(&label, _(" (%d lines back, ]: forward, End: newest)"), w->log_scroll);
	else if (w->log_n > shown)
		strbuf_addstr(&label, _(" ([ or PgUp: back)"));
	tui_rule(stdscr, l->rule_y, 0, l->cols, label.buf, A_BOLD);
	strbuf_release(&label);
	if (!w->log_n || !shown)
		return;
	/* From the bottom up: the newest entry (less the scroll) on the last
	 * rows, each wrapped below its time and level, so a long error with
	 * its path can be read whole; the top entry may show only its end. */
	last = (size_t)w->log_scroll < w->log_n ? w->log_n - 1 - (size_t)w->log_scroll : 0;
	for (size_t i = last + 1, row = shown; i-- > 0 && row > 0;) {
		const struct wizard_logentry *e = &w->log[(w->log_first + i) % WIZARD_LOG_KEEP];
		enum tui_role role = e->level == LOG_ERROR ? TUI_ERROR
			: e->level == LOG_WARN ? TUI_WARN
			: e->level == LOG_DEBUG ? TUI_DIM : TUI_NORMAL;
		struct tui_lines ln = TUI_LINES_INIT;
		/* the level in the operator's language (the run log keeps
		 * log_level_name()'s English) */
		const char *lvl = e->level == LOG_ERROR ? _("ERROR")
			: e->level == LOG_WARN ? _("WARN") : NULL;
		int x = 9; /* "HH:MM:SS " */
		if (lvl) {
			wchar_t *wl = tui_widen(lvl, strlen(lvl), 0);
			x += tui_wswidth(wl, wcslen(wl)) + 1;
			free(wl);
		}
		{
			/* a command with a path wider than the pane: not
			 * clipped, but where it stands whole */
			struct strbuf text = STRBUF_INIT;
			tui_commands_fitting(e->text, l->cols - x,
					     _("(wider than the screen: the whole command is in "
					       "the run log)"), &text);
			tui_wrap(text.buf, l->cols - x, &ln);
			strbuf_release(&text);
		}
		if (!ln.n)
			tui_wrap(" ", l->cols - x, &ln);
		for (size_t k = ln.n; k-- > 0 && row > 0;) {
			int y = l->log_top + (int)--row;
			tui_putw(stdscr, y, x, l->cols - x, ln.line[k], tui_attr(&w->tui, role));
			if (k == 0) {
				int c = tui_put(stdscr, y, 0, l->cols, e->stamp, tui_attr(&w->tui, TUI_DIM));
				c += tui_put(stdscr, y, c, l->cols - c, " ", A_NORMAL);
				if (lvl) {
					c += tui_put(stdscr, y, c, l->cols - c, lvl,
						     tui_attr(&w->tui, role));
					tui_put(stdscr, y, c, l->cols - c, " ", A_NORMAL);
				}
			}
		}
		tui_lines_free(&ln);
	}
}

/* The progress block of the running step: 5 rows from @y. */
static void draw_progress(const struct wizard *w, const struct layout *l, int y)
{
	const struct wizard_progress *p = &w->prog;
	struct strbuf sb = STRBUF_INIT;
	int x = l->right_x, width = l->right_w;
	double elapsed = (double)(w->now_ns - w->step_start_ns) / 1e9;
	double rate = wizard_rate(w);

	if (!w->have_progress) {
		tui_put(stdscr, y, x, width, w->cancelling ? _("stopping...") : _("starting..."),
			tui_attr(&w->tui, TUI_RUNNING));
		strbuf_addstr(&sb, _("elapsed "));
		add_duration(&sb, elapsed);
		tui_put(stdscr, y + 2, x, width, sb.buf, A_NORMAL);
		strbuf_release(&sb);
		return;
	}
	/* 1: phase and bytes */
	if (w->cancelling)
		strbuf_addstr(&sb, _("stopping: "));
	strbuf_addstr(&sb, p->phase ? _(p->phase) : _("working"));
	strbuf_addstr(&sb, "  ");
	strbuf_humanise_bytes(&sb, p->done_bytes);
	if (p->total_bytes) {
		strbuf_addstr(&sb, _(" of "));
		strbuf_humanise_bytes(&sb, p->total_bytes);
		strbuf_addf(&sb, "  %d%%", (int)(p->done_bytes >= p->total_bytes ? 100
			    : (double)p->done_bytes * 100.0 / (double)p->total_bytes));
	}
	tui_put(stdscr, y, x, width, sb.buf, tui_attr(&w->tui, TUI_RUNNING));
	/* 2: the bar */
	if (p->total_bytes)
		tui_bar(&w->tui, stdscr, y + 1, x, width, p->done_bytes, p->total_bytes);
	else
		tui_bar(&w->tui, stdscr, y + 1, x, width, p->done_items, p->total_items);
	/* 3: rate, elapsed, ETA */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, _("rate "));
	if (rate >= 0) {
		strbuf_humanise_bytes(&sb, (unsigned long long)rate);
		strbuf_addstr(&sb, "/s");
	} else {
		strbuf_addstr(&sb, "--");
	}
	strbuf_addstr(&sb, _("   elapsed "));
	add_duration(&sb, elapsed);
	strbuf_addstr(&sb, _("   ETA "));
	if (rate > 0 && p->total_bytes > p->done_bytes)
		add_duration(&sb, (double)(p->total_bytes - p->done_bytes) / rate);
	else
		strbuf_addstr(&sb, "--");
	tui_put(stdscr, y + 2, x, width, sb.buf, A_NORMAL);
	/* 4: items */
	strbuf_reset(&sb);
	if (p->done_items || p->total_items) {
		strbuf_addf(&sb, _("items %llu"), (unsigned long long)p->done_items);
		if (p->total_items)
			strbuf_addf(&sb, _(" of %llu"), (unsigned long long)p->total_items);
		tui_put(stdscr, y + 3, x, width, sb.buf, A_NORMAL);
	}
	/* 5: current item, its end is what matters */
	if (p->current) {
		tui_put(stdscr, y + 4, x, width, _("now "), tui_attr(&w->tui, TUI_DIM));
		put_tail(stdscr, y + 4, x + 4, width - 4, p->current, A_NORMAL);
	}
	strbuf_release(&sb);
}

/* @path shortened in its middle to @cols columns (tui_path_middle()),
 * with the terminal's dots; appended to @out. */
static void path_middle(const struct wizard *w, const char *path, size_t len, int cols,
			struct strbuf *out)
{
	tui_path_middle(path, len, cols, w->tui.utf8 ? "…" : "...", out);
}

/* The step's "source: ...\ntarget: ...\n" for @width columns: a line too
 * long has the path that starts its value shortened in the middle
 * (path_middle()), the words after it kept; into @out. */
static void describe_fit(const struct wizard *w, const char *text, int width, struct strbuf *out)
{
	while (*text) {
		size_t n = strcspn(text, "\n");
		const char *colon = memchr(text, ':', n);
		size_t lab = colon ? (size_t)(colon - text) + 1 : 0;
		while (lab && lab < n && text[lab] == ' ')
			lab++;
		if (tui_cols_of(text, n) > width && lab && lab < n && text[lab] == '/') {
			size_t plen = strcspn(text + lab, " \n");
			int rest = tui_cols_of(text + lab + plen, n - lab - plen);
			int room = width - tui_cols_of(text, lab) - rest;
			if (room < 12) { /* the words after it wrap instead */
				room = width - tui_cols_of(text, lab);
			}
			strbuf_add(out, text, lab);
			path_middle(w, text + lab, plen, room, out);
			strbuf_add(out, text + lab + plen, n - lab - plen);
		} else {
			strbuf_add(out, text, n);
		}
		text += n;
		if (*text == '\n') {
			strbuf_addch(out, '\n');
			text++;
		}
	}
}

/*
 * The right panel: heading, the explanation, source/target, and at the
 * bottom the progress (running) or what Enter will do (pending).  When
 * rows are short the explanation gives way first.
 */
static void draw_right(const struct wizard *w, const struct layout *l)
{
	struct tui_lines expl = TUI_LINES_INIT, desc = TUI_LINES_INIT, note = TUI_LINES_INIT;
	struct strbuf sb = STRBUF_INIT;
	int x = l->right_x, width = l->right_w;
	int top = l->main_top, bottom = l->main_top + l->main_h; /* exclusive */
	int running = w->screen == SCR_RUNNING || w->screen == SCR_CANCEL;
	int block_h, y;
	size_t s = w->cur;

	if (width < 4 || s >= w->n_steps)
		return;
	strbuf_addf(&sb, _("Step %d of %d: %s"), (int)s + 1, (int)w->n_steps, wizard_text(w, s, "title"));
	put_fit(w, top, x, width, sb.buf, tui_attr(&w->tui, TUI_HEADING));
	top += 2;

	/* source / target: each on one row, a long path shortened in its
	 * middle ("/work/.../prod/webroot"): its end names the directory */
	{
		struct strbuf fit = STRBUF_INIT;
		describe_fit(w, w->describe.buf, width, &fit);
		tui_wrap_hanging(fit.buf, width, &desc);
		strbuf_release(&fit);
	}

	/* bottom block */
	if (running) {
		block_h = 5;
	} else {
		strbuf_reset(&sb);
		if (w->screen == SCR_FAILED)
			strbuf_addstr(&sb, _("This step failed; see the error."));
		else if (w->blocked.len)
			strbuf_addf(&sb, _("%s Enter or o: choose another dump."), w->blocked.buf);
		else if (w->destructive && w->what.len)
			strbuf_addf(&sb, _("This step %s. Enter asks before it starts."), w->what.buf);
		else if (w->destructive)
			strbuf_addstr(&sb, _("This step replaces existing data. "
				      "Enter asks before it starts."));
		else if (w->ask_once)
			strbuf_addstr(&sb, _("This step replaces nothing. Enter starts the "
					     "run: the steps follow without further questions."));
		else
			strbuf_addstr(&sb, _("This step replaces nothing."));
		tui_wrap(sb.buf, width, &note);
		block_h = (int)note.n;
	}
	/* the note gives way to source and target and to two rows of the
	 * explanation: a cut note ends in "..." (the confirmation and ? say
	 * it whole), the target is never cut */
	tui_wrap(wizard_text(w, s, "explain"), width, &expl);
	if (!running) {
		int room = bottom - top - (int)desc.n - 1 - (expl.n ? (expl.n > 1 ? 2 : 1) + 1 : 0);
		if (room < 2)
			room = 2;
		if (block_h > room)
			block_h = room;
	}
	if (block_h > bottom - top)
		block_h = bottom - top;
	y = bottom - block_h;
	if (running) {
		draw_progress(w, l, y);
	} else {
		attr_t na = tui_attr(&w->tui, w->blocked.len ? TUI_ERROR
				     : w->destructive ? TUI_WARN : TUI_NORMAL);
		put_lines(stdscr, y, x, width, block_h, &note, 0, na);
		if ((int)note.n > block_h && block_h > 0) {
			const char *dots = w->tui.utf8 ? "…" : "...";
			int dw = w->tui.utf8 ? 1 : 3;
			int c = tui_putw(stdscr, y + block_h - 1, x, width - dw, note.line[block_h - 1], na);
			tui_put(stdscr, y + block_h - 1, x + c, dw, dots, na);
		}
	}
	bottom = y - 1;

	/* source / target above it */
	if ((int)desc.n > bottom - top)
		y = top;
	else
		y = bottom - (int)desc.n;
	put_lines(stdscr, y, x, width, bottom - y, &desc, 0, A_NORMAL);
	bottom = y - 1;

	/* the explanation gets what is left, and when it is cut its last row
	 * ends in a marker that names the key showing it whole (one row held
	 * only "(...)") */
	if (bottom - top > 0) {
		int h = bottom - top;
		if ((int)expl.n > h && h > 0) {
			const char *mark = _("... (? all)");
			int mw = tui_cols_of(mark, strlen(mark)), c;
			put_lines(stdscr, top, x, width, h - 1, &expl, 0, A_NORMAL);
			c = width - mw - 1 > 0
				? tui_putw(stdscr, top + h - 1, x, width - mw - 1, expl.line[h - 1], A_NORMAL)
				: 0;
			tui_put(stdscr, top + h - 1, x + c + (c ? 1 : 0), width - c - 1, mark,
				tui_attr(&w->tui, TUI_DIM));
		} else {
			put_lines(stdscr, top, x, width, h, &expl, 0, A_NORMAL);
		}
	}
	tui_lines_free(&expl);
	tui_lines_free(&desc);
	tui_lines_free(&note);
	strbuf_release(&sb);
}

/* Title, steps, right panel and log: the frame under every dialog. */
static void draw_frame(const struct wizard *w, const struct layout *l)
{
	struct strbuf right = STRBUF_INIT;

	if (w->cur < w->n_steps)
		strbuf_addf(&right, _("step %d/%d"), (int)w->cur + 1, (int)w->n_steps);
	draw_title(w, right.buf);
	strbuf_release(&right);
	draw_steps(w, l);
	draw_right(w, l);
	draw_log(w, l);
}

/*
 * A dialog: @title, then @body wrapped (blank lines kept), then optional
 * @extra lines drawn by the caller through the returned geometry.  Returns
 * the row below the body inside the box.
 */
struct dialog {
	int y, x, h, w;   /* the box */
	int ix, iw;       /* inner text column and width */
	int next;         /* first free row after the body */
};

/* A dialog's box for @body (wrapped into @ln) and @extra_rows below it,
 * centred, at most the screen less two rows: its geometry in @d. */
static void dialog_size(const char *body, int extra_rows, struct tui_lines *ln, struct dialog *d)
{
	int maxh = LINES - 2;
	d->w = COLS - 4 < 72 ? COLS - 4 : 72;
	/* a command to paste gets the screen's width before it wraps */
	if (!tui_command_fits(body, d->w - 4))
		d->w = COLS - 2;
	d->iw = d->w - 4;
	tui_wrap(body, d->iw, ln);
	d->h = (int)ln->n + extra_rows + 4;
	if (d->h > maxh)
		d->h = maxh;
	d->y = (LINES - d->h) / 2;
	d->x = (COLS - d->w) / 2;
	d->ix = d->x + 2;
}

/* dialog_size(), and the box's frame and @title drawn. */
static void dialog_frame(const struct wizard *w, const char *title, enum tui_role title_role,
			 const char *body, int extra_rows, struct tui_lines *ln, struct dialog *d)
{
	int c;
	dialog_size(body, extra_rows, ln, d);
	tui_frame(stdscr, d->y, d->x, d->h, d->w, A_NORMAL);
	c = tui_put(stdscr, d->y, d->x + 2, d->w - 4, " ", A_NORMAL);
	c += put_fit(w, d->y, d->x + 2 + c, d->w - 5 - c, title, tui_attr(&w->tui, title_role));
	tui_put(stdscr, d->y, d->x + 2 + c, d->w - 4 - c, " ", A_NORMAL);
}

static void draw_dialog(const struct wizard *w, const char *title, enum tui_role title_role,
			const char *body, int extra_rows, struct dialog *d)
{
	struct tui_lines ln = TUI_LINES_INIT;
	int body_rows;

	dialog_frame(w, title, title_role, body, extra_rows, &ln, d);
	body_rows = d->h - 4 - extra_rows;
	if (body_rows < 0)
		body_rows = 0;
	if ((int)ln.n > body_rows && body_rows > 0) {
		put_lines(stdscr, d->y + 2, d->ix, d->iw, body_rows - 1, &ln, 0, A_NORMAL);
		tui_put(stdscr, d->y + 1 + body_rows, d->ix, d->iw,
			_("(more in the log)"), tui_attr(&w->tui, TUI_DIM));
	} else {
		put_lines(stdscr, d->y + 2, d->ix, d->iw, body_rows, &ln, 0, A_NORMAL);
	}
	d->next = d->y + 2 + body_rows;
	tui_lines_free(&ln);
}

/*
 * A dialog whose body scrolls: as draw_dialog() without extra rows, the
 * body from its line @first (clamped to the last page); a row at the
 * bottom says where it is when it does not fit ("lines 1-9 of 14").
 * Returns 1 when the body does not fit whole.
 */
/* The rows of a scrolled dialog @d that show its @n body lines (the rest
 * is the position row when they do not fit: *@fits 0). */
static int scroll_rows(const struct dialog *d, size_t n, int *fits)
{
	int rows = d->h - 4;
	*fits = (int)n <= rows;
	if (!*fits)
		rows--; /* the position row */
	return rows < 1 ? 1 : rows;
}

int wizard_dialog_scroll_max(const char *body)
{
	struct tui_lines ln = TUI_LINES_INIT;
	struct dialog d;
	int fits, rows, max;
	dialog_size(body, 0, &ln, &d);
	rows = scroll_rows(&d, ln.n, &fits);
	max = fits || (int)ln.n < rows ? 0 : (int)ln.n - rows;
	tui_lines_free(&ln);
	return max;
}

static int draw_dialog_scroll(const struct wizard *w, const char *title, enum tui_role title_role,
			      const char *body, int first, struct dialog *d)
{
	struct tui_lines ln = TUI_LINES_INIT;
	int rows, fits;

	dialog_frame(w, title, title_role, body, 0, &ln, d);
	rows = scroll_rows(d, ln.n, &fits);
	if (first > (int)ln.n - rows)
		first = (int)ln.n - rows;
	if (first < 0 || fits)
		first = 0;
	put_lines(stdscr, d->y + 2, d->ix, d->iw, rows, &ln, (size_t)first, A_NORMAL);
	if (!fits) {
		char *pos = xstrfmt(_("lines %d-%d of %zu (Up/Down)"), first + 1, first + rows, ln.n);
		tui_put(stdscr, d->y + 2 + rows, d->ix, d->iw, pos, tui_attr(&w->tui, TUI_DIM));
		free(pos);
	}
	d->next = d->y + 2 + rows + !fits;
	tui_lines_free(&ln);
	return !fits;
}

/* ---- the screens ---- */

void wizard_explain_body(const struct wizard *w, struct strbuf *body)
{
	strbuf_addf(body, "%s\n\n%s", wizard_text(w, w->cur, "explain"), w->describe.buf);
	if (w->what.len)
		strbuf_addf(body, _("\n\nThis step %s."), w->what.buf);
}

void wizard_draw_step(const struct wizard *w)
{
	static const struct help_key keys[] = {
		{ "Enter", N_("run this step") }, { "s", N_("skip") }, { "q", N_("quit") },
		{ "?", N_("explain") }, { "[ ]", N_("log") }, { "d", N_("leave (the run goes on)") },
	};
	static const struct help_key keys_once[] = {
		{ "Enter", N_("start all steps") }, { "q", N_("quit") }, { "?", N_("explain") },
		{ "[ ]", N_("log") }, { "d", N_("leave (the run goes on)") },
	};
	/* without "[ ] log": the log pane's title names its keys */
	static const struct help_key keys_pick[] = {
		{ "Enter", N_("run this step") }, { "o", N_("other backup") }, { "s", N_("skip") },
		{ "q", N_("quit") }, { "?", N_("explain") }, { "d", N_("leave (the run goes on)") },
	};
	static const struct help_key keys_blocked[] = {
		{ "Enter/o", N_("choose another dump") }, { "s", N_("skip") }, { "q", N_("quit") },
		{ "?", N_("explain") }, { "[ ]", N_("log") },
	};
	/* a line-mode run's confirmation, still open (wizard_stopping_no()) */
	static const struct help_key keys_open[] = {
		{ "Enter", N_("run this step") }, { "q", N_("stop the run") }, { "?", N_("explain") },
		{ "[ ]", N_("log") }, { "d", N_("leave (the run goes on)") },
	};
	static const struct help_key keys_explain[] = { { N_("any key"), N_("back") } };
	static const struct help_key keys_explain_more[] = {
		{ N_("Up/Down"), N_("scroll") }, { N_("any other key"), N_("back") },
	};
	static const struct help_key keys_notice[] = {
		{ N_("any key"), N_("go on") }, { "[ ]", N_("log") },
	};
	static const struct help_key keys_notice_wide[] = {
		{ "w", N_("whole commands") }, { N_("any other key"), N_("go on") },
		{ "[ ]", N_("log") },
	};
	static const struct help_key keys_resume[] = {
		{ "c", N_("continue the interrupted run") }, { "n", N_("start over") },
		{ "q", N_("quit") }, { "[ ]", N_("log") },
	};
	struct layout l;

	layout_compute(&l);
	draw_frame(w, &l);
	if (w->notice) {
		struct strbuf body = STRBUF_INIT, title = STRBUF_INIT, shown = STRBUF_INIT;
		struct dialog d;
		size_t n = w->n_early;
		/* one paragraph each; the log pane keeps them after this
		 * closes; a command with a path wider than the widest box
		 * (dialog_size()) is shown by w (wizard_notice_too_wide()) */
		tui_commands_fitting(w->early.buf, COLS - 6, wizard_too_wide_text(), &shown);
		for (const char *p = shown.buf; *p; p++)
			if (*p == '\n')
				strbuf_addstr(&body, p[1] ? "\n\n" : "");
			else
				strbuf_addch(&body, *p);
		strbuf_release(&shown);
		strbuf_addf(&title, P_("Before you start: %zu warning", "Before you start: %zu warnings",
				       n), n);
		draw_dialog(w, title.buf, TUI_WARN, body.buf, 0, &d);
		if (w->offer_resume)
			draw_help(w, keys_resume, sizeof(keys_resume) / sizeof(keys_resume[0]));
		else if (wizard_notice_too_wide(w))
			draw_help(w, keys_notice_wide,
				  sizeof(keys_notice_wide) / sizeof(keys_notice_wide[0]));
		else
			draw_help(w, keys_notice, sizeof(keys_notice) / sizeof(keys_notice[0]));
		strbuf_release(&body);
		strbuf_release(&title);
		return;
	}
	if (w->explain) {
		struct strbuf body = STRBUF_INIT, title = STRBUF_INIT;
		struct dialog d;
		int more;
		strbuf_addf(&title, _("Step %d of %d: %s"), (int)w->cur + 1, (int)w->n_steps,
			    wizard_text(w, w->cur, "title"));
		wizard_explain_body(w, &body);
		/* the whole text: scrolled, not cut (it said "more in the
		 * log", where the rest never was) */
		more = draw_dialog_scroll(w, title.buf, TUI_HEADING, body.buf, w->explain_scroll, &d);
		if (more)
			draw_help(w, keys_explain_more,
				  sizeof(keys_explain_more) / sizeof(keys_explain_more[0]));
		else
			draw_help(w, keys_explain, 1);
		strbuf_release(&body);
		strbuf_release(&title);
		return;
	}
	if (wizard_stopping_no(w))
		draw_help(w, keys_open, sizeof(keys_open) / sizeof(keys_open[0]));
	else if (w->blocked.len && w->pick_offer)
		draw_help(w, keys_blocked, sizeof(keys_blocked) / sizeof(keys_blocked[0]));
	else if (w->pick_offer)
		draw_help(w, keys_pick, sizeof(keys_pick) / sizeof(keys_pick[0]));
	else if (w->ask_once)
		draw_help(w, keys_once, sizeof(keys_once) / sizeof(keys_once[0]));
	else
		draw_help(w, keys, sizeof(keys) / sizeof(keys[0]));
}

void wizard_draw_pick(const struct wizard *w)
{
	static const struct help_key keys[] = {
		{ N_("Up/Down"), N_("choose") }, { "Enter", N_("use it") }, { "Esc", N_("back") },
	};
	static const struct help_key keys_wait[] = {
		{ "", N_("checking the backup...") }, { "[ ]", N_("log") },
	};
	struct strbuf body = STRBUF_INIT, title = STRBUF_INIT;
	struct layout l;
	struct dialog d;
	int rows, first = 0;

	layout_compute(&l);
	draw_frame(w, &l);
	strbuf_addf(&title, _("Backup for step %s"), wizard_text(w, w->cur, "name"));
	if (w->choosing)
		strbuf_addf(&body, _("Checking %s%s ..."), w->pick_name,
			    wizard_text(w, w->cur, "choose_note"));
	else if (w->pick_error)
		strbuf_addf(&body, _("%s cannot be used: %s. The step keeps the one marked *; "
			    "the log has the details."), w->pick_name, w->pick_error);
	else
		strbuf_addstr(&body, _("Newest first; * is the one in the plan. The one you choose "
			      "is checked, as at the start, before the step uses it."));
	rows = (int)w->pick_n;
	if (rows > LINES - 10)
		rows = LINES - 10 > 1 ? LINES - 10 : 1;
	draw_dialog(w, title.buf, TUI_HEADING, body.buf, rows + 1, &d);
	if ((int)w->pick_sel >= rows)
		first = (int)w->pick_sel - rows + 1;
	for (int i = 0; i < rows && first + i < (int)w->pick_n; i++) {
		size_t k = (size_t)(first + i);
		int c = tui_put(stdscr, d.next + 1 + i, d.ix, 2, k == w->pick_cur ? "* " : "  ",
				A_NORMAL);
		/* a row wider than the box ends in ... (a mark at its end
		 * must not pass for a whole one) */
		put_fit(w, d.next + 1 + i, d.ix + c, d.iw - c, w->pick_item[k],
			k == w->pick_sel ? A_REVERSE : A_NORMAL);
	}
	if (w->choosing)
		draw_help(w, keys_wait, sizeof(keys_wait) / sizeof(keys_wait[0]));
	else
		draw_help(w, keys, sizeof(keys) / sizeof(keys[0]));
	strbuf_release(&body);
	strbuf_release(&title);
}

void wizard_draw_confirm(const struct wizard *w)
{
	static const struct help_key keys_word[] = {
		{ "Enter", N_("confirm") }, { "Backspace", N_("erase") }, { "Esc", N_("back") },
	};
	static const struct help_key keys_yes[] = {
		{ WIZARD_KEY_YES, N_("yes, run it") }, { "n", N_("no, back") },
	};
	/* a line-mode run's confirmation, whose "n" would stop the run: back
	 * answers nothing (the step screen offers to stop it, q) */
	static const struct help_key keys_word_open[] = {
		{ "Enter", N_("confirm") }, { "Backspace", N_("erase") },
		{ "Esc", N_("back (the question stays open)") },
	};
	static const struct help_key keys_yes_open[] = {
		{ WIZARD_KEY_YES, N_("yes, run it") }, { "n", N_("no, back (the question stays open)") },
	};
	int open = wizard_stopping_no(w);
	struct strbuf body = STRBUF_INIT, title = STRBUF_INIT;
	struct layout l;
	struct dialog d;

	layout_compute(&l);
	draw_frame(w, &l);
	strbuf_addf(&title, _("Confirm: %s"), wizard_text(w, w->cur, "title"));
	if (w->what.len)
		strbuf_addf(&body, _("This step %s.\n\n"), w->what.buf);
	else
		strbuf_addstr(&body, _("This step replaces existing data.\n\n"));
	if (w->confirm_word)
		strbuf_addf(&body, _("Type %s to continue:"), w->confirm_word);
	else
		strbuf_addstr(&body, _("Run it now?"));
	draw_dialog(w, title.buf, TUI_WARN, body.buf, w->confirm_word ? 3 : 0, &d);
	if (w->confirm_word) {
		int y = d.next + 1, c;
		c = tui_put(stdscr, y, d.ix, d.iw, "> ", A_BOLD);
		c += tui_put(stdscr, y, d.ix + c, d.iw - c - 1, w->typed.buf, A_BOLD);
		tui_put(stdscr, y, d.ix + c, 1, "_", A_BLINK);
		if (w->typed_wrong)
			tui_put(stdscr, y + 1, d.ix, d.iw,
				_("That does not match; type it exactly as shown."),
				tui_attr(&w->tui, TUI_ERROR));
		if (open)
			draw_help(w, keys_word_open, sizeof(keys_word_open) / sizeof(keys_word_open[0]));
		else
			draw_help(w, keys_word, sizeof(keys_word) / sizeof(keys_word[0]));
	} else if (open) {
		draw_help(w, keys_yes_open, sizeof(keys_yes_open) / sizeof(keys_yes_open[0]));
	} else {
		draw_help(w, keys_yes, sizeof(keys_yes) / sizeof(keys_yes[0]));
	}
	strbuf_release(&body);
	strbuf_release(&title);
}

void wizard_draw_running(const struct wizard *w)
{
	static const struct help_key keys[] = {
		{ "q", N_("abort this step") }, { "[ ]", N_("log") }, { "End", N_("newest") },
		{ "d", N_("leave (the run goes on)") },
	};
	static const struct help_key keys_stopping[] = {
		{ "", N_("waiting for the step to stop...") }, { "[ ]", N_("log") },
	};
	struct layout l;

	layout_compute(&l);
	draw_frame(w, &l);
	if (w->cancelling)
		draw_help(w, keys_stopping, sizeof(keys_stopping) / sizeof(keys_stopping[0]));
	else
		draw_help(w, keys, sizeof(keys) / sizeof(keys[0]));
}

void wizard_draw_cancel(const struct wizard *w)
{
	static const struct help_key keys[] = {
		{ WIZARD_KEY_YES, N_("abort the step") }, { "n", N_("keep it running") },
	};
	struct strbuf body = STRBUF_INIT, title = STRBUF_INIT;
	struct layout l;
	struct dialog d;

	layout_compute(&l);
	draw_frame(w, &l);
	strbuf_addf(&title, _("Abort %s?"), wizard_text(w, w->cur, "name"));
	strbuf_addstr(&body, _("The step stops at its next safe point and the old data "
		      "stays where it is; the wizard then ends (exit code 130). A step "
		      "already at its final swap finishes instead and its result stays. "
		      "If the step ends before you answer, the wizard goes on."));
	draw_dialog(w, title.buf, TUI_WARN, body.buf, 0, &d);
	draw_help(w, keys, sizeof(keys) / sizeof(keys[0]));
	strbuf_release(&body);
	strbuf_release(&title);
}

void wizard_draw_failed(const struct wizard *w)
{
	static const struct help_key keys[] = {
		{ "r", N_("retry") }, { "s", N_("skip this step") }, { "a", N_("abort") },
		{ "[ ]", N_("log") }, { "d", N_("leave (the run goes on)") },
	};
	struct strbuf body = STRBUF_INIT, title = STRBUF_INIT;
	struct layout l;
	struct dialog d;

	layout_compute(&l);
	draw_frame(w, &l);
	strbuf_addf(&title, _("Step %s failed"), wizard_text(w, w->cur, "name"));
	strbuf_addbuf(&body, &w->errtext);
	strbuf_addf(&body, "\n\n%s", wizard_text(w, w->cur, "failed_note"));
	draw_dialog(w, title.buf, TUI_FAILED, body.buf, 0, &d);
	draw_help(w, keys, sizeof(keys) / sizeof(keys[0]));
	strbuf_release(&body);
	strbuf_release(&title);
}

void wizard_draw_quit(const struct wizard *w)
{
	static const struct help_key keys[] = {
		{ WIZARD_KEY_YES, N_("quit") }, { "n", N_("back") },
	};
	/* a line-mode run's open confirmation: leaving (d) would keep it */
	static const struct help_key keys_stop[] = {
		{ WIZARD_KEY_YES, N_("stop the run") }, { "n", N_("back") },
	};
	int stop = wizard_stopping_no(w);
	struct strbuf body = STRBUF_INIT;
	struct layout l;
	struct dialog d;
	int first = 1;

	layout_compute(&l);
	draw_frame(w, &l);
	strbuf_addstr(&body, _("These steps have not run:"));
	for (int s = 0; s < (int)w->n_steps; s++) {
		if (w->view[s].state != STEP_PENDING)
			continue;
		strbuf_addf(&body, "%s %s", first ? "" : ",", wizard_text(w, (size_t)s, "name"));
		first = 0;
	}
	strbuf_addstr(&body, ".\n");
	for (int s = 0; s < (int)w->n_steps; s++)
		if (w->view[s].state == STEP_DONE) {
			strbuf_addstr(&body, _("Some steps did run: the summary says what they "
					       "did. "));
			break;
		}
	if (stop) {
		strbuf_addstr(&body, _("Stop the run here (exit code 130)? To leave it waiting "
				       "for an answer instead, press n, then d."));
		draw_dialog(w, _("Stop the run?"), TUI_WARN, body.buf, 0, &d);
		draw_help(w, keys_stop, sizeof(keys_stop) / sizeof(keys_stop[0]));
	} else {
		strbuf_addstr(&body, _("Quit anyway (exit code 130)?"));
		draw_dialog(w, _("Quit the wizard?"), TUI_WARN, body.buf, 0, &d);
		draw_help(w, keys, sizeof(keys) / sizeof(keys[0]));
	}
	strbuf_release(&body);
}

/* The run that finished moments ago (wizard_opts.again, one paragraph a
 * line) and the question whether to start again anyway. */
void wizard_draw_again(const struct wizard *w)
{
	static const struct help_key keys[] = {
		{ WIZARD_KEY_YES, N_("yes, start it again") }, { "n/Enter", N_("no, stop here") },
		{ "[ ]", N_("log") },
	};
	struct strbuf body = STRBUF_INIT, title = STRBUF_INIT;
	struct layout l;
	struct dialog d;

	layout_compute(&l);
	draw_frame(w, &l);
	for (const char *p = w->o->again; *p; p++)
		if (*p == '\n')
			strbuf_addstr(&body, p[1] ? "\n\n" : "");
		else
			strbuf_addch(&body, *p);
	strbuf_addf(&body, "\n\n%s", _("Start it again anyway? No, the default, stops the run "
					 "here: nothing is changed."));
	/* TRANSLATORS: "Restore again?"; %s is the flow's title */
	strbuf_addf(&title, _("%s again?"), wizard_text(w, w->n_steps, "flow_title"));
	draw_dialog(w, title.buf, TUI_WARN, body.buf, 0, &d);
	if (!w->aborted)
		draw_help(w, keys, sizeof(keys) / sizeof(keys[0]));
	strbuf_release(&body);
	strbuf_release(&title);
}

/* The summary's headline: how the run ended, its warnings and exit code. */
static enum tui_role summary_head(const struct wizard *w, struct strbuf *head)
{
	const char *flow = wizard_text(w, w->n_steps, "flow_title");
	int ndone = 0, nfailed = 0, nskipped = 0, ran = 0;
	unsigned nwarn = 0;
	enum tui_role role;

	for (int s = 0; s < (int)w->n_steps; s++) {
		ndone += w->view[s].state == STEP_DONE;
		nfailed += w->view[s].state == STEP_FAILED;
		nskipped += w->view[s].state == STEP_SKIPPED;
		nwarn += w->view[s].warnings;
		/* skipped after it ran (failed, then skipped) */
		ran += w->view[s].state == STEP_SKIPPED && w->view[s].seconds > 0;
	}
	/* TRANSLATORS: %s is the flow's title: Restore, Backup, Test system
	 * refresh */
	if (w->runner_died) {
		strbuf_addf(head, _("%s INTERRUPTED: not finished"), flow);
		role = TUI_FAILED;
	} else if (w->aborted && !ndone && !nfailed && !ran) {
		/* quit before the first step: not an alarm (the runner's
		 * summary says the same, and suggests no --only) */
		strbuf_addf(head, _("%s stopped before any step: nothing was changed"), flow);
		role = TUI_WARN;
	} else if (w->aborted) {
		strbuf_addf(head, _("%s ABORTED by the operator"), flow);
		role = TUI_FAILED;
	} else if (nfailed) {
		strbuf_addf(head, _("%s STOPPED: a step failed"), flow);
		role = TUI_FAILED;
	} else if (nwarn && ndone == (int)w->n_steps) {
		/* finished is not clean when a step warned (the refresh's
		 * check: production's values left in tables) */
		strbuf_addf(head, P_("%s finished with %u warning: all %d steps done",
				     "%s finished with %u warnings: all %d steps done", nwarn),
			    flow, nwarn, ndone);
		role = TUI_WARN;
	} else if (nwarn) {
		strbuf_addf(head, P_("%s finished with %u warning: %d done, %d skipped",
				     "%s finished with %u warnings: %d done, %d skipped", nwarn),
			    flow, nwarn, ndone, nskipped);
		role = TUI_WARN;
	} else if (ndone == (int)w->n_steps) {
		strbuf_addf(head, _("%s finished: all %d steps done"), flow, ndone);
		role = TUI_DONE;
	} else {
		strbuf_addf(head, _("%s finished: %d done, %d skipped"), flow, ndone, nskipped);
		role = TUI_WARN;
	}
	strbuf_addf(head, _(" - exit code %d"), w->exit_code);
	return role;
}

/*
 * What the summary shows above its scrolling text, wrapped to the width:
 * the headline (*@head_rows, at most 2) and what the steps warned of
 * ("warning: STEP: its summary" for each step that warned; *@warn_rows, at
 * most a third of the screen), in sight without scrolling.  Drawn from row
 * 1 when @draw.
 */
static void summary_top(const struct wizard *w, int draw, int *head_rows, int *warn_rows)
{
	struct strbuf head = STRBUF_INIT, warn = STRBUF_INIT;
	struct tui_lines hl = TUI_LINES_INIT, wl = TUI_LINES_INIT;
	enum tui_role role = summary_head(w, &head);
	int width = COLS - 2;

	for (size_t s = 0; s < w->n_steps; s++) {
		const char *sum = wizard_text(w, s, "summary");
		if (!w->view[s].warnings || !*sum)
			continue;
		/* TRANSLATORS: a step's warnings above the wizard's summary:
		 * "warning: check: 6300 rows ... still hold production's values" */
		strbuf_addf(&warn, _("warning: %s: %s\n"), wizard_text(w, s, "name"), sum);
	}
	tui_wrap(head.buf, width, &hl);
	tui_wrap_hanging(warn.buf, width, &wl);
	*head_rows = hl.n > 2 ? 2 : hl.n ? (int)hl.n : 1;
	*warn_rows = (int)wl.n > (LINES - 4) / 3 ? (LINES - 4) / 3 : (int)wl.n;
	if (draw) {
		put_lines(stdscr, 1, 1, width, *head_rows, &hl, 0, tui_attr(&w->tui, role));
		tui_rule(stdscr, 1 + *head_rows, 0, COLS, NULL, A_NORMAL);
		if (*warn_rows) {
			put_lines(stdscr, 2 + *head_rows, 1, width, *warn_rows, &wl, 0,
				  tui_attr(&w->tui, TUI_WARN));
			tui_rule(stdscr, 2 + *head_rows + *warn_rows, 0, COLS, NULL, A_NORMAL);
		}
	}
	tui_lines_free(&hl);
	tui_lines_free(&wl);
	strbuf_release(&head);
	strbuf_release(&warn);
}

/* The end screens (summary, refusal): only q and Enter (and m) leave;
 * after any other key, in plain sight how to, at the key line's end. */
static void draw_leave_hint(const struct wizard *w)
{
	if (COLS > 40) {
		const char *how = w->summary_stray ? _("press q to leave") : _("Enter: exit");
		int n = tui_cols_of(how, strlen(how));
		tui_put(stdscr, LINES - 1, COLS - n - 1, n, how,
			tui_attr(&w->tui, w->summary_stray ? TUI_WARN : TUI_DIM));
	}
}

/* The summary's text wrapped into @ln at the current width. */
static void summary_lines(const struct wizard *w, struct tui_lines *ln)
{
	struct strbuf text = STRBUF_INIT;
	/* a command with a path wider than the screen: where it stands
	 * whole (the run log has the summary) */
	tui_commands_fitting(w->summary.buf, COLS - 2,
			     _("(wider than the screen: the whole command is in the run log)"), &text);
	tui_wrap_hanging(text.buf, COLS - 2, ln);
	strbuf_release(&text);
}

int wizard_summary_scroll_max(const struct wizard *w)
{
	struct tui_lines ln = TUI_LINES_INIT;
	int max;
	summary_lines(w, &ln);
	max = (int)ln.n - wizard_summary_rows(w);
	tui_lines_free(&ln);
	return max > 0 ? max : 0;
}

void wizard_draw_summary(const struct wizard *w)
{
	static const struct help_key keys[] = {
		{ "q", N_("exit") }, { "[ ]", N_("scroll") },
	};
	static const struct help_key keys_menu[] = {
		{ "m", N_("first screen") }, { "q", N_("exit") }, { "[ ]", N_("scroll") },
	};
	struct tui_lines ln = TUI_LINES_INIT;
	int rows = wizard_summary_rows(w), first, top, head_rows, warn_rows;

	draw_title(w, _("summary"));
	summary_top(w, 1, &head_rows, &warn_rows);
	top = 2 + head_rows + (warn_rows ? warn_rows + 1 : 0);
	summary_lines(w, &ln);
	first = w->summary_scroll;
	if (first > (int)ln.n - rows)
		first = (int)ln.n - rows;
	if (first < 0)
		first = 0;
	put_lines(stdscr, top, 1, COLS - 2, rows, &ln, (size_t)first, A_NORMAL);
	if (w->o->to_menu)
		draw_help(w, keys_menu, sizeof(keys_menu) / sizeof(keys_menu[0]));
	else
		draw_help(w, keys, sizeof(keys) / sizeof(keys[0]));
	draw_leave_hint(w);
	tui_lines_free(&ln);
}

void wizard_draw_wait(const struct wizard *w)
{
	static const struct help_key keys[] = {
		{ "", N_("waiting for the runner...") }, { "[ ]", N_("log") },
		{ "d", N_("leave (the run goes on)") },
	};
	struct layout l;

	layout_compute(&l);
	draw_frame(w, &l);
	draw_help(w, keys, sizeof(keys) / sizeof(keys[0]));
}

void wizard_refused_body(const struct wizard *w, struct strbuf *body)
{
	static const char prefix[] = "biso-recover: ";
	const char *why = w->summary.buf;
	if (!strncmp(why, prefix, sizeof prefix - 1))
		why += sizeof prefix - 1;
	strbuf_addstr(body, why);
	strbuf_addstr(body, "\n\n");
	if (w->o->to_menu)
		strbuf_addf(body, _("m goes back to the first screen; q or Enter ends the wizard "
				    "(exit code %d)."), w->exit_code);
	else
		strbuf_addf(body, _("q or Enter ends the wizard (exit code %d); the reason stays "
				    "on the terminal."), w->exit_code);
}

/* The run was refused before its first step (the plan or the preflight),
 * or stopped there (exit 130): the runner's END text without its
 * "biso-recover: " (the refusal, its detail and hint in the screen's
 * language; or "stopped before any step: nothing was changed" and why)
 * in a dialog over the log, which holds what the checks said before.  The
 * END text says that nothing was changed: the dialog does not repeat it. */
void wizard_draw_refused(const struct wizard *w)
{
	static const struct help_key keys[] = {
		{ "q", N_("exit") }, { "[ ]", N_("log") },
	};
	static const struct help_key keys_menu[] = {
		{ "m", N_("first screen") }, { "q", N_("exit") }, { "[ ]", N_("log") },
	};
	struct strbuf body = STRBUF_INIT;
	struct layout l;
	struct dialog d;

	layout_compute(&l);
	draw_frame(w, &l);
	wizard_refused_body(w, &body);
	if (w->exit_code == EXIT_ABORTED)
		draw_dialog_scroll(w, _("Stopped before the first step"), TUI_WARN, body.buf,
				   w->refused_scroll, &d);
	else
		draw_dialog_scroll(w, _("Refused before the first step"), TUI_FAILED, body.buf,
				   w->refused_scroll, &d);
	if (w->o->to_menu)
		draw_help(w, keys_menu, sizeof(keys_menu) / sizeof(keys_menu[0]));
	else
		draw_help(w, keys, sizeof(keys) / sizeof(keys[0]));
	draw_leave_hint(w);
	strbuf_release(&body);
}

/* Another client answers the questions: the key line says so (and who),
 * over whatever the screen shows; the first time as a dialog. */
static void draw_readonly(const struct wizard *w)
{
	static const struct help_key keys[] = {
		{ "t", N_("take over") }, { "q", N_("leave (the run goes on)") }, { "[ ]", N_("log") },
	};
	struct strbuf sb = STRBUF_INIT;
	attr_t a = tui_attr(&w->tui, TUI_WARN);
	int x;

	if (w->readonly_dialog) {
		/* over the bare frame: the screen's own dialog (a confirmation)
		 * and its keys are not this wizard's to answer */
		static const struct help_key dkeys[] = {
			{ "t", N_("take over") }, { N_("any other key"), N_("watch") },
		};
		struct layout l;
		struct dialog d;
		layout_compute(&l);
		draw_frame(w, &l);
		strbuf_addf(&sb, _("%s is attached and answers the questions. This wizard only "
				   "watches (read-only) unless you take over.\n\nt: take over, "
				   "any other key: watch."), w->readonly_text ? w->readonly_text : "?");
		draw_dialog(w, _("Attached elsewhere"), TUI_WARN, sb.buf, 0, &d);
		draw_help(w, dkeys, sizeof(dkeys) / sizeof(dkeys[0]));
		strbuf_release(&sb);
		return;
	}
	move(LINES - 1, 0);
	clrtoeol();
	if (w->took_over)
		strbuf_addf(&sb, _("READ-ONLY: %s took over. "), w->readonly_text ? w->readonly_text : "?");
	else
		strbuf_addstr(&sb, _("READ-ONLY: another terminal answers. "));
	x = tui_put(stdscr, LINES - 1, 0, COLS, sb.buf, a);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && x < COLS; i++) {
		if (i)
			x += tui_put(stdscr, LINES - 1, x, COLS - x, "  ", A_NORMAL);
		x += tui_put(stdscr, LINES - 1, x, COLS - x, _(keys[i].key),
			     tui_attr(&w->tui, TUI_KEY));
		x += tui_put(stdscr, LINES - 1, x, COLS - x, " ", A_NORMAL);
		x += tui_put(stdscr, LINES - 1, x, COLS - x, _(keys[i].label), A_NORMAL);
	}
	strbuf_release(&sb);
}

int wizard_too_small(void)
{
	return COLS < MIN_COLS || LINES < MIN_ROWS;
}

void wizard_draw(const struct wizard *w)
{
	erase();
	if (wizard_too_small()) {
		struct strbuf sb = STRBUF_INIT;
		struct tui_lines ln = TUI_LINES_INIT;
		strbuf_addf(&sb, _("Terminal too small: the wizard needs %dx%d, this one is "
			    "%dx%d. Enlarge the window (Ctrl-C aborts)."),
			    MIN_COLS, MIN_ROWS, COLS, LINES);
		tui_wrap(sb.buf, COLS, &ln);
		put_lines(stdscr, 0, 0, COLS, LINES, &ln, 0, A_BOLD);
		tui_lines_free(&ln);
		strbuf_release(&sb);
	} else {
		if (w->readonly && w->readonly_dialog && w->screen != SCR_SUMMARY) {
			draw_readonly(w); /* alone: one box, one key line */
		} else {
			wizard_screens[w->screen].draw(w);
			if (w->readonly && w->screen != SCR_SUMMARY)
				draw_readonly(w);
		}
	}
	refresh();
}
