/*
 * wizard_menu: the wizard's first screen; see wizard_menu.h.
 *
 *  row 0        title bar
 *  rows 2..     a heading, a line of introduction, the choices: a number,
 *               a title and (where the screen has room) two lines of
 *               explanation each; the highlighted one marked '>'
 *  last row     the keys
 *
 * Three screens in one table: the first screen, the refresh's attachments
 * policy, the drill scenarios.  The loop waits for a key (poll, no timer:
 * nothing on these screens moves), hands it to the screen and draws again.
 */
#include "config.h"
#include "err.h"
#include "frontend.h"
#include "i18n.h"
#include "strbuf.h"
#include "tui.h"
#include "wizard_menu.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wctype.h>

#define MIN_COLS 40
#define MIN_ROWS 12

enum menu_screen { MS_MAIN, MS_POLICY, MS_DRILL, MS_COUNT };

struct menu_item {
	const char *title;   /* msgid */
	const char *explain; /* msgid, or NULL */
};

static const struct menu_item main_items[] = {
	{ N_("Restore this instance"),
	  N_("Put back the webroot, config.php, datadir and database from the backups, "
	     "in the manual's order; the old parts are kept.") },
	{ N_("Refresh a test system"),
	  N_("Give this test system production's database and datadir, then the "
	     "migrations and the anonymizer, and check that it anonymized.") },
	{ N_("Take a backup"),
	  N_("Back up this instance as the manual does: maintenance mode only for the "
	     "dump and the datadir, then the webroot; a manifest with checksums.") },
	{ N_("Practise (drill)"),
	  N_("Practise a recovery on a sandbox of its own (a demo instance, backups, a "
	     "database server): the real screens, nothing real is touched.") },
};
static const enum wizard_menu_action main_actions[] = {
	WIZARD_MENU_RESTORE, WIZARD_MENU_REFRESH, WIZARD_MENU_BACKUP, WIZARD_MENU_DRILL,
};

/* The attachments policies, the safe one first. */
static const struct menu_item policy_items[] = {
	{ N_("placeholder: a placeholder file for each attachment"),
	  N_("Each attachment becomes a small file of the same path and name saying it "
	     "is a placeholder: links resolve, no byte of the original is copied.") },
	{ N_("skip: no attachments"),
	  N_("The attachment folders stay empty on the test system.") },
	{ N_("copy: the real attachments (personal data)"),
	  N_("Production's files as they are, as the manual does. Before the datadir "
	     "step you type copy to acknowledge that they reach the test system.") },
};
static const char *const policy_names[] = { "placeholder", "skip", "copy" };

const char *wizard_menu_first_policy(void)
{
	return policy_names[0];
}

const char *wizard_too_wide_text(void)
{
	return _("(a path in this command is wider than the screen: w shows it whole)");
}

void wizard_show_whole(const char *text)
{
	struct strbuf sb = STRBUF_INIT;
	frontend_wrap(text, (unsigned)COLS, &sb);
	tui_show_plain(sb.buf, _("Press Enter to go back to the wizard."));
	strbuf_release(&sb);
}

#define N_MAIN (sizeof main_items / sizeof *main_items)
#define N_POLICY (sizeof policy_items / sizeof *policy_items)

struct menu {
	const struct wizard_menu_opts *o;
	struct wizard_menu_result *res;
	struct tui tui;
	enum menu_screen screen;
	size_t sel[MS_COUNT]; /* the highlighted choice of each screen */
	int refused;          /* the refresh's refusal is up (over the first screen) */
	int done;
};

struct help_key {
	const char *key;   /* msgid */
	const char *label; /* msgid */
};

static size_t item_count(const struct menu *m, enum menu_screen s)
{
	return s == MS_MAIN ? N_MAIN : s == MS_POLICY ? N_POLICY : m->o->n_drills;
}

/* ---- drawing ---- */

static void draw_title(const struct menu *m)
{
	attr_t a = tui_attr(&m->tui, TUI_TITLE);
	struct strbuf sb = STRBUF_INIT;
	if (m->o->banner)
		strbuf_addf(&sb, "%s  ", m->o->banner);
	strbuf_addstr(&sb, m->o->title_info ? m->o->title_info : "biso-recover");
	wattr_on(stdscr, a, NULL);
	mvhline(0, 0, ' ', COLS);
	wattr_off(stdscr, a, NULL);
	/* the webroot's path last: cut from the left, as on the step screens */
	tui_put_title(stdscr, 0, 1, COLS - 2, sb.buf, m->tui.utf8, a);
	strbuf_release(&sb);
}

static void draw_help(const struct menu *m, const struct help_key *keys, size_t n)
{
	int x = 0, y = LINES - 1;
	attr_t ka = tui_attr(&m->tui, TUI_KEY);
	for (size_t i = 0; i < n && x < COLS; i++) {
		if (i)
			x += tui_put(stdscr, y, x, COLS - x, "  ", A_NORMAL);
		x += tui_put(stdscr, y, x, COLS - x, _(keys[i].key), ka);
		x += tui_put(stdscr, y, x, COLS - x, " ", A_NORMAL);
		x += tui_put(stdscr, y, x, COLS - x, _(keys[i].label), A_NORMAL);
	}
}

/* @text wrapped to @width from row @y, at most @h rows; returns rows used. */
static int put_wrapped(int y, int x, int width, int h, const char *text, attr_t a)
{
	struct tui_lines ln = TUI_LINES_INIT;
	int used = 0;
	tui_wrap(text, width, &ln);
	for (size_t i = 0; i < ln.n && used < h; i++, used++)
		tui_putw(stdscr, y + used, x, width, ln.line[i], a);
	tui_lines_free(&ln);
	return used;
}

/* The rows an item's explanation takes at @width (0 without one). */
static int explain_rows(const struct menu_item *it, int width)
{
	struct tui_lines ln = TUI_LINES_INIT;
	int n;
	if (!it->explain)
		return 0;
	tui_wrap(_(it->explain), width, &ln);
	n = (int)ln.n;
	tui_lines_free(&ln);
	return n;
}

/*
 * A screen: @heading, @intro, then the @n choices from row 2; @items gives
 * titles and explanations, or (NULL) @titles the titles alone (the
 * scenarios, untranslated).  Explanations are shown when all fit; a list
 * longer than the room scrolls with the highlighted choice.
 */
static void draw_choices(const struct menu *m, const char *heading, const char *intro,
			 const struct menu_item *items, const char *const *titles, size_t n,
			 const char *const *notes)
{
	int width = COLS - 7, y = 2, bottom = LINES - 2, need = 0, first = 0, rows;
	size_t sel = m->sel[m->screen];

	if (m->screen == MS_MAIN && m->o->notice) {
		/* a restore left half done: first, before the choices; its
		 * commands whole, wrapped between their words (tui_wrap()),
		 * one with a path wider than the screen shown by w */
		struct tui_lines ln = TUI_LINES_INIT;
		struct strbuf shown = STRBUF_INIT;
		attr_t a = tui_attr(&m->tui, TUI_WARN);
		tui_commands_fitting(m->o->notice, COLS - 2, wizard_too_wide_text(), &shown);
		tui_wrap_hanging(shown.buf, COLS - 2, &ln);
		for (size_t i = 0; i < ln.n && y < bottom - (int)n - 2; i++)
			tui_putw(stdscr, y++, 1, COLS - 2, ln.line[i], a);
		tui_lines_free(&ln);
		strbuf_release(&shown);
		y++;
	}
	tui_put(stdscr, y++, 1, COLS - 2, heading, tui_attr(&m->tui, TUI_HEADING));
	if (intro) {
		y++;
		y += put_wrapped(y, 1, COLS - 2, bottom - y - 2, intro, A_NORMAL);
	}
	y++;
	for (size_t i = 0; i < n && items; i++)
		need += 2 + explain_rows(&items[i], width);
	/* one row a choice when the explanations do not fit */
	rows = need && need <= bottom - y + 1 ? 0 : 1;
	if (rows && (int)sel >= bottom - y)
		first = (int)sel - (bottom - y) + 1;
	for (size_t i = (size_t)first; i < n && y < bottom; i++) {
		struct strbuf sb = STRBUF_INIT;
		attr_t a = i == sel ? tui_attr(&m->tui, TUI_TITLE) : A_BOLD;
		strbuf_addf(&sb, "%c %zu  %s", i == sel ? '>' : ' ', i + 1,
			    items ? _(items[i].title) : titles[i]);
		if (notes && notes[i])
			strbuf_addf(&sb, " (%s)", notes[i]);
		tui_put(stdscr, y, 1, COLS - 2, sb.buf, a);
		strbuf_release(&sb);
		y++;
		if (!rows && items[i].explain) {
			y += put_wrapped(y, 6, width, bottom - y, _(items[i].explain), A_NORMAL);
			y++;
		}
	}
}

/* A box over the screen: @title on its top border, @body wrapped inside
 * (what does not fit is cut, and says so with "..."). */
static void draw_dialog(const struct menu *m, const char *title, const char *body)
{
	struct tui_lines ln = TUI_LINES_INIT;
	int w = COLS - 4 < 72 ? COLS - 4 : 72, h, y, x, rows;

	tui_wrap(body, w - 4, &ln);
	h = (int)ln.n + 4;
	if (h > LINES - 2)
		h = LINES - 2;
	y = (LINES - 1 - h) / 2;
	x = (COLS - w) / 2;
	for (int r = y; r < y + h; r++)
		mvhline(r, x, ' ', w);
	tui_frame(stdscr, y, x, h, w, A_NORMAL);
	{
		int c = tui_put(stdscr, y, x + 2, w - 4, " ", A_NORMAL);
		c += tui_put(stdscr, y, x + 2 + c, w - 5 - c, title, tui_attr(&m->tui, TUI_WARN));
		tui_put(stdscr, y, x + 2 + c, w - 4 - c, " ", A_NORMAL);
	}
	rows = h - 4;
	for (int i = 0; i < rows && (size_t)i < ln.n; i++) {
		if (i == rows - 1 && ln.n > (size_t)rows)
			tui_put(stdscr, y + 2 + i, x + 2, w - 4, "...", A_NORMAL);
		else
			tui_putw(stdscr, y + 2 + i, x + 2, w - 4, ln.line[i], A_NORMAL);
	}
	tui_lines_free(&ln);
}

/* The notice holds a command with a path wider than the screen: w
 * shows it on the terminal itself (tui_show_plain()). */
static int notice_too_wide(const struct menu *m)
{
	return m->screen == MS_MAIN && m->o->notice && !tui_command_fits(m->o->notice, COLS - 2);
}

static void draw_main(const struct menu *m)
{
	static const struct help_key keys[] = {
		{ N_("Up/Down"), N_("choose") }, { N_("Enter"), N_("start") },
		{ "1-4", N_("start that one") }, { "q", N_("quit") },
	};
	static const struct help_key keys_wide[] = {
		{ N_("Up/Down"), N_("choose") }, { N_("Enter"), N_("start") },
		{ "1-4", N_("start that one") }, { "w", N_("whole commands") }, { "q", N_("quit") },
	};
	static const struct help_key keys_refused[] = { { N_("any key"), N_("back") } };
	const char *notes[N_MAIN] = { NULL };
	for (size_t i = 0; i < N_MAIN; i++)
		if (main_actions[i] == WIZARD_MENU_REFRESH)
			notes[i] = m->o->refresh_note;
	draw_choices(m, _("What do you want to do?"), NULL, main_items, NULL, N_MAIN, notes);
	if (m->refused) {
		draw_dialog(m, _("Refresh a test system: not this instance"),
			    m->o->refresh_refused);
		draw_help(m, keys_refused, 1);
		return;
	}
	if (notice_too_wide(m))
		draw_help(m, keys_wide, sizeof keys_wide / sizeof *keys_wide);
	else
		draw_help(m, keys, sizeof keys / sizeof *keys);
}

static void draw_policy(const struct menu *m)
{
	static const struct help_key keys[] = {
		{ N_("Up/Down"), N_("choose") }, { N_("Enter"), N_("go on") },
		{ N_("Esc"), N_("back") }, { "q", N_("quit") },
	};
	draw_choices(m, _("Refresh a test system: the attachments"),
		     _("The anonymizer changes the database only. Attachments (the datadir's "
		       "attachments/) are personal files: choose what of them reaches the "
		       "test system. The rest of the datadir is copied."),
		     policy_items, NULL, N_POLICY, NULL);
	draw_help(m, keys, sizeof keys / sizeof *keys);
}

static void draw_drill(const struct menu *m)
{
	static const struct help_key keys[] = {
		{ N_("Up/Down"), N_("choose") }, { N_("Enter"), N_("start") },
		{ N_("Esc"), N_("back") }, { "q", N_("quit") },
	};
	const char *intro = _("A drill builds a sandbox of its own and breaks it as the "
			      "scenario tells; you recover it with the real screens. Nothing "
			      "outside the sandbox is touched.");
	if (!m->o->n_drills) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "%s\n\n%s", intro,
			    m->o->drill_error ? m->o->drill_error : _("No scenario found."));
		draw_choices(m, _("Practise: choose a scenario"), sb.buf, NULL, NULL, 0, NULL);
		strbuf_release(&sb);
	} else {
		draw_choices(m, _("Practise: choose a scenario"), intro, NULL, m->o->drill_titles,
			     m->o->n_drills, NULL);
	}
	draw_help(m, keys, sizeof keys / sizeof *keys);
}

/* ---- keys ---- */

static void choose(struct menu *m, size_t i)
{
	switch (m->screen) {
	case MS_MAIN:
		if (main_actions[i] == WIZARD_MENU_REFRESH && m->o->refresh_refused) {
			/* not a test system: say why before asking anything */
			m->refused = 1;
			return;
		}
		if (main_actions[i] == WIZARD_MENU_REFRESH) {
			m->screen = MS_POLICY;
			return;
		}
		if (main_actions[i] == WIZARD_MENU_DRILL) {
			m->screen = MS_DRILL;
			return;
		}
		m->res->action = main_actions[i];
		break;
	case MS_POLICY:
		m->res->action = WIZARD_MENU_REFRESH;
		m->res->attachments = policy_names[i];
		break;
	case MS_DRILL:
		m->res->action = WIZARD_MENU_DRILL;
		m->res->drill = i;
		break;
	case MS_COUNT:
		return;
	}
	m->done = 1;
}

static void menu_key(struct menu *m, int is_key, wint_t ch)
{
	size_t n = item_count(m, m->screen), *sel = &m->sel[m->screen];

	if (m->refused) {
		m->refused = 0; /* any key closes the refusal: the first screen */
		return;
	}
	if (!is_key && (ch == L'q' || ch == L'Q')) {
		m->res->action = WIZARD_MENU_QUIT;
		m->done = 1;
	} else if (!is_key && ch == L'w' && notice_too_wide(m)) {
		wizard_show_whole(m->o->notice);
	} else if (!is_key && ch == 27) {
		/* Esc: back to the first screen; on it nothing (q quits): over
		 * a slow link an arrow key's Esc may come alone */
		m->screen = MS_MAIN;
	} else if ((is_key && ch == KEY_UP) || (!is_key && ch == L'k')) {
		if (*sel > 0)
			(*sel)--;
	} else if ((is_key && ch == KEY_DOWN) || (!is_key && ch == L'j')) {
		if (*sel + 1 < n)
			(*sel)++;
	} else if ((is_key && ch == KEY_ENTER) || (!is_key && (ch == L'\r' || ch == L'\n'))) {
		if (*sel < n)
			choose(m, *sel);
	} else if (!is_key && ch >= L'1' && ch <= L'9' && (size_t)(ch - L'1') < n) {
		*sel = (size_t)(ch - L'1');
		choose(m, *sel);
	}
}

static void draw(const struct menu *m)
{
	static void (*const draws[MS_COUNT])(const struct menu *) = {
		[MS_MAIN] = draw_main, [MS_POLICY] = draw_policy, [MS_DRILL] = draw_drill,
	};
	erase();
	if (COLS < MIN_COLS || LINES < MIN_ROWS) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, _("Terminal too small: the wizard needs %dx%d, this one is "
			    "%dx%d. Enlarge the window (Ctrl-C aborts)."),
			    MIN_COLS, MIN_ROWS, COLS, LINES);
		put_wrapped(0, 0, COLS, LINES, sb.buf, A_BOLD);
		strbuf_release(&sb);
	} else {
		draw_title(m);
		draws[m->screen](m);
	}
	refresh();
}

int wizard_menu(const struct wizard_menu_opts *o, struct wizard_menu_result *res)
{
	struct menu m;
	struct err e = ERR_INIT;

	memset(&m, 0, sizeof m);
	memset(res, 0, sizeof *res);
	m.o = o;
	m.res = res;
	for (size_t i = 0; o->attachments && i < N_POLICY; i++)
		if (!strcmp(o->attachments, policy_names[i]))
			m.sel[MS_POLICY] = i;
	if (tui_start(&m.tui, &e) < 0) {
		struct strbuf msg = STRBUF_INIT;
		err_format_l10n(&e, &msg);
		fprintf(stderr, "biso-recover: %s\n", msg.buf);
		strbuf_release(&msg);
		err_clear(&e);
		return -1;
	}
	while (!m.done) {
		struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
		wint_t ch;
		int r;
		draw(&m);
		/* a resize interrupts the wait; its KEY_RESIZE comes as a key */
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL) && !(pfd.revents & POLLIN)) {
			res->action = WIZARD_MENU_QUIT; /* the terminal went away */
			tui_end(&m.tui);
			return 1;
		}
		while (!m.done && (r = tui_getkey(&ch)) != ERR) {
			if (r == KEY_CODE_YES && ch == KEY_RESIZE)
				clearok(curscr, TRUE);
			else if (r != KEY_CODE_YES && ch == 12) /* ^L */
				clearok(curscr, TRUE);
			else
				menu_key(&m, r == KEY_CODE_YES, ch);
		}
	}
	tui_end(&m.tui);
	return 0;
}
