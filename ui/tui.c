/* tui: terminal setup and safe text drawing; see tui.h. */
#include "config.h"
#include "tui.h"

#include "err.h"
#include "fault.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

static int no_color_requested(void)
{
	const char *v = getenv("NO_COLOR");
	return v && *v;
}

/* The on-exit list's cleanup: only endwin() (it leaves the alternate
 * screen and restores the terminal modes); no allocation. */
static void end_on_exit(void *arg)
{
	(void)arg;
	endwin();
}

int tui_start(struct tui *t, struct err *e)
{
	const char *cs = nl_langinfo(CODESET);
	const char *term = getenv("TERM");

	memset(t, 0, sizeof(*t));
	/* a VT100 has ASCII and its line-drawing set (ACS), nothing more,
	 * whatever the locale says */
	t->utf8 = cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8")) &&
		  !(term && !strncmp(term, "vt", 2));
	if (!term || !*term)
		return err_set(e, "cannot start the wizard: TERM is not set");
	/* newterm(), unlike initscr(), returns NULL instead of exiting. */
	t->scr = newterm(NULL, stdout, stdin);
	if (!t->scr) {
		err_set(e, "cannot start the wizard on terminal type \"%s\"", term);
		err_hint(e, "Set TERM to a known type (e.g. xterm or vt100), or use "
			 "\"biso-recover restore\" for the line-mode restore.");
		return -1;
	}
	set_term(t->scr);
	onexit_push(&t->onexit, end_on_exit, t);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	/* a lone Esc must answer quickly; an operator's ESCDELAY wins */
	if (!getenv("ESCDELAY"))
		set_escdelay(100);
	curs_set(0);
	if (has_colors() && !no_color_requested() && start_color() == OK) {
		short bg = COLOR_BLACK;
		if (use_default_colors() == OK)
			bg = -1;
		t->colour = 1;
		init_pair(TUI_TITLE, COLOR_WHITE, COLOR_BLUE);
		init_pair(TUI_HEADING, COLOR_CYAN, bg);
		init_pair(TUI_PENDING, bg == -1 ? -1 : COLOR_WHITE, bg);
		init_pair(TUI_RUNNING, COLOR_YELLOW, bg);
		init_pair(TUI_DONE, COLOR_GREEN, bg);
		init_pair(TUI_FAILED, COLOR_RED, bg);
		init_pair(TUI_SKIPPED, COLOR_MAGENTA, bg);
		init_pair(TUI_WARN, COLOR_YELLOW, bg);
		init_pair(TUI_ERROR, COLOR_RED, bg);
		init_pair(TUI_DIM, COLOR_CYAN, bg);
		init_pair(TUI_BAR, COLOR_GREEN, bg);
		init_pair(TUI_KEY, COLOR_BLACK, COLOR_CYAN);
	}
	return 0;
}

/* The key of a CSI (ESC [ params final) or SS3 (ESC O final) sequence, or
 * 0 when it is not one we know. */
static int decode_seq(int ss3, const char *params, int final)
{
	switch (final) {
	case 'A': return KEY_UP;
	case 'B': return KEY_DOWN;
	case 'C': return KEY_RIGHT;
	case 'D': return KEY_LEFT;
	case 'H': return KEY_HOME;
	case 'F': return KEY_END;
	case '~':
		if (ss3)
			return 0;
		switch (atoi(params)) {
		case 1: case 7: return KEY_HOME;
		case 4: case 8: return KEY_END;
		case 5: return KEY_PPAGE;
		case 6: return KEY_NPAGE;
		case 2: return KEY_IC;
		case 3: return KEY_DC;
		}
		return 0;
	}
	return 0;
}

/* The next character of a sequence, waiting up to ESCDELAY for it (over
 * SSH a sequence may arrive in pieces).  -1 when none came. */
static int seq_next(void)
{
	wint_t c;
	int r;

	timeout(get_escdelay());
	r = get_wch(&c);
	nodelay(stdscr, TRUE);
	if (r == ERR)
		return -1;
	if (r == KEY_CODE_YES)
		return -2; /* a decoded key inside a sequence: not ours */
	return (int)c;
}

static int getkey(wint_t *ch)
{
	for (;;) {
		char params[16];
		size_t np = 0;
		int r = get_wch(ch), c, intro, final = 0, key;

		if (r != OK || *ch != 27)
			return r;
		intro = seq_next();
		if (intro == -1)
			return OK; /* a lone Esc */
		if (intro == '[' || intro == 'O') {
			/* parameters and intermediates (0x20-0x3f), then a final
			 * byte (0x40-0x7e) */
			while ((c = seq_next()) >= 0x20 && c <= 0x3f)
				if (np + 1 < sizeof(params))
					params[np++] = (char)c;
			params[np] = 0;
			if (c >= 0x40 && c <= 0x7e)
				final = c;
			key = final ? decode_seq(intro == 'O', params, final) : 0;
			if (key) {
				*ch = (wint_t)key;
				return KEY_CODE_YES;
			}
		}
		/* ESC with anything else (Alt-x, an unknown or broken
		 * sequence): dropped whole; look at the next key */
	}
}

int tui_getkey(wint_t *ch)
{
	int r = getkey(ch);
	if (r != ERR && fault_fail("tui.key.oom")) {
		/* test build: an allocation no malloc can satisfy, while the
		 * screen is ours (tests/tui/wizard-exit.sh) */
		volatile size_t huge = SIZE_MAX / 2;
		free(xmalloc(huge));
	}
	return r;
}

void tui_end(struct tui *t)
{
	if (!t->scr)
		return;
	onexit_remove(&t->onexit);
	/* leave a clean screen behind on terminals without an alternate one */
	erase();
	refresh();
	curs_set(1);
	endwin();
	delscreen(t->scr);
	t->scr = NULL;
}

attr_t tui_attr(const struct tui *t, enum tui_role role)
{
	if (t->colour) {
		switch (role) {
		case TUI_NORMAL: return A_NORMAL;
		case TUI_PENDING: return A_NORMAL;
		case TUI_TITLE: return COLOR_PAIR(role) | A_BOLD;
		case TUI_HEADING:
		case TUI_RUNNING:
		case TUI_FAILED:
		case TUI_ERROR:
		case TUI_WARN:
			return COLOR_PAIR(role) | A_BOLD;
		default:
			return COLOR_PAIR(role);
		}
	}
	switch (role) {
	case TUI_TITLE: return A_REVERSE;
	case TUI_KEY: return A_REVERSE;
	case TUI_HEADING: return A_BOLD;
	case TUI_RUNNING: return A_BOLD;
	case TUI_FAILED: return A_BOLD;
	case TUI_ERROR: return A_BOLD;
	case TUI_WARN: return A_BOLD;
	case TUI_SKIPPED: return A_DIM;
	case TUI_DIM: return A_NORMAL;
	default: return A_NORMAL;
	}
}

wchar_t *tui_widen(const char *s, size_t len, int keep_nl)
{
	wchar_t *out = xcalloc(len + 1, sizeof(*out));
	mbstate_t st;
	size_t i = 0, n = 0;

	memset(&st, 0, sizeof(st));
	while (i < len) {
		wchar_t wc;
		size_t r = mbrtowc(&wc, s + i, len - i, &st);
		if (r == (size_t)-1 || r == (size_t)-2) {
			/* invalid or cut off: one '?' per byte, start afresh */
			memset(&st, 0, sizeof(st));
			out[n++] = L'?';
			i++;
			continue;
		}
		if (r == 0) { /* embedded NUL */
			r = 1;
			wc = L'?';
		}
		i += r;
		if (wc == L'\n' && keep_nl)
			;
		else if (wc == L'\t' || wc == L'\n')
			wc = L' ';
		else if (!iswprint(wc) || wcwidth(wc) < 0)
			wc = L'?';
		out[n++] = wc;
	}
	out[n] = 0;
	return out;
}

static int wc_cols(wchar_t c)
{
	int w = wcwidth(c);
	return w < 0 ? 1 : w;
}

int tui_wswidth(const wchar_t *ws, size_t n)
{
	int cols = 0;
	for (size_t i = 0; i < n && ws[i]; i++)
		cols += wc_cols(ws[i]);
	return cols;
}

int tui_putw(WINDOW *w, int y, int x, int maxcols, const wchar_t *ws, attr_t a)
{
	int cols = 0, maxy, maxx;
	size_t n = 0;

	getmaxyx(w, maxy, maxx);
	if (maxcols <= 0 || y < 0 || x < 0 || y >= maxy || x >= maxx)
		return 0;
	if (maxcols > maxx - x)
		maxcols = maxx - x;
	while (ws[n]) {
		int cw = wc_cols(ws[n]);
		if (cols + cw > maxcols)
			break;
		cols += cw;
		n++;
	}
	if (!n)
		return 0;
	wattr_on(w, a, NULL);
	mvwaddnwstr(w, y, x, ws, (int)n);
	wattr_off(w, a, NULL);
	return cols;
}

int tui_put(WINDOW *w, int y, int x, int maxcols, const char *s, attr_t a)
{
	wchar_t *ws;
	int cols;

	if (maxcols <= 0 || !s)
		return 0;
	ws = tui_widen(s, strlen(s), 0);
	cols = tui_putw(w, y, x, maxcols, ws, a);
	free(ws);
	return cols;
}

static void lines_push(struct tui_lines *l, const wchar_t *s, size_t n)
{
	wchar_t *line;

	while (n && s[n - 1] == L' ')
		n--;
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 16;
		l->line = xrealloc(l->line, l->alloc * sizeof(*l->line));
	}
	line = xmalloc((n + 1) * sizeof(*line));
	wmemcpy(line, s, n);
	line[n] = 0;
	l->line[l->n++] = line;
}

int tui_cols_of(const char *s, size_t len)
{
	wchar_t *ws = tui_widen(s, len, 0);
	int cols = tui_wswidth(ws, wcslen(ws));
	free(ws);
	return cols;
}

void tui_path_middle(const char *path, size_t len, int cols, const char *dots, struct strbuf *out)
{
	int dw = tui_cols_of(dots, strlen(dots)), hw;
	const char *head_end, *tail = path + len;
	size_t head_len;

	if (tui_cols_of(path, len) <= cols) {
		strbuf_add(out, path, len);
		return;
	}
	/* "/work/": the root's first directory */
	head_end = memchr(path + 1, '/', len > 1 ? len - 1 : 0);
	head_len = head_end ? (size_t)(head_end - path) + 1 : 0;
	/* the longest tail of whole components that fits beside it */
	hw = tui_cols_of(path, head_len);
	for (const char *p = path + len; p > path + head_len; p--) {
		if (p[-1] != '/' || p == path + len)
			continue;
		if (hw + dw + tui_cols_of(p, (size_t)(path + len - p)) > cols)
			break;
		tail = p;
	}
	if (tail == path + len) {
		/* not even the last component fits beside the head: its end */
		const char *p = path + len;
		head_len = 0;
		while (p > path && tui_cols_of(p - 1, (size_t)(path + len - p + 1)) + dw <= cols)
			p--;
		tail = p;
	}
	strbuf_add(out, path, head_len);
	strbuf_addstr(out, dots);
	strbuf_add(out, tail, (size_t)(path + len - tail));
}

/* A row of its own for the path @p (@n characters) wider than @width:
 * cut in its middle (tui_path_middle()), never broken across rows. */
static void push_path(const wchar_t *p, size_t n, int width, struct tui_lines *out)
{
	struct strbuf mb = STRBUF_INIT, cut = STRBUF_INIT;
	wchar_t *ws;
	char buf[MB_LEN_MAX];
	mbstate_t ps;

	memset(&ps, 0, sizeof(ps));
	for (size_t i = 0; i < n; i++) {
		size_t k = wcrtomb(buf, p[i], &ps);
		if (k == (size_t)-1) {
			strbuf_addch(&mb, '?');
			memset(&ps, 0, sizeof(ps));
		} else {
			strbuf_add(&mb, buf, k);
		}
	}
	tui_path_middle(mb.buf, mb.len, width, "...", &cut);
	ws = tui_widen(cut.buf, cut.len, 0);
	lines_push(out, ws, wcslen(ws));
	free(ws);
	strbuf_release(&mb);
	strbuf_release(&cut);
}

/*
 * A path is never broken across rows: a mouse copy of a row that holds
 * part of one copies a wrong path.  One that does not fit after the words
 * before it starts the next row; one wider than a row is cut in its middle
 * with "..." on a row of its own (its first directory and its end stay).
 * Every path the wizard shows is whole in the run log, and the summary is
 * left on the terminal after the wizard, whole (frontend_wrap()), for
 * copying.  Other words wider than a row are split.
 */
static void wrap_para(const wchar_t *p, size_t n, int width, struct tui_lines *out)
{
	size_t i = 0;

	if (!n) {
		lines_push(out, p, 0);
		return;
	}
	while (i < n) {
		size_t start = i, j = i, brk = (size_t)-1, end, next;
		int col = 0;

		while (j < n) {
			int cw = wc_cols(p[j]);
			if (col + cw > width)
				break;
			if (p[j] == L' ')
				brk = j;
			col += cw;
			j++;
		}
		if (j >= n) {
			end = next = n;
		} else if (p[j] == L' ') {
			end = j;
			next = j + 1;
		} else if (brk != (size_t)-1 && brk > start) {
			end = brk;
			next = brk + 1;
		} else {
			size_t word = start;
			while (word < n && p[word] != L' ')
				word++;
			if (wmemchr(p + start, L'/', word - start)) {
				push_path(p + start, word - start, width, out);
				for (i = word; i < n && p[i] == L' '; i++)
					;
				continue;
			}
			end = next = j > start ? j : start + 1;
		}
		lines_push(out, p + start, end - start);
		i = next;
		while (i < n && p[i] == L' ')
			i++;
	}
}

/* The end of the shell word at @p[@i] (of @n): a blank outside quotes
 * ends it; '...' and \x as runcmd_format_argv() writes them. */
static size_t word_end(const wchar_t *p, size_t n, size_t i)
{
	int quoted = 0;
	for (; i < n; i++) {
		if (p[i] == L'\'')
			quoted = !quoted;
		else if (!quoted && p[i] == L'\\' && i + 1 < n)
			i++;
		else if (!quoted && p[i] == L' ')
			break;
	}
	return i;
}

/*
 * A command to paste ("  biso-recover ...", tui_is_command()) wider than
 * @width: wrapped between its shell words, every row but the last ending
 * in " \" and the rows after the first indented two more, so that the
 * rows copied and pasted into a shell are the one command; an option
 * starts a row with its value where they fit one.  A word (a
 * path, quoted or not) is never broken nor cut: one too wide for an
 * indented row starts its row at the left edge, and one wider than @width
 * stays whole beyond it (tui_command_fits() says so).
 */
static void wrap_command(const wchar_t *p, size_t n, int width, struct tui_lines *out)
{
	size_t lead = 0, len, i;
	wchar_t *row = xmalloc((n + 8) * sizeof(*row)); /* n + indent + " \" */
	int col, fresh = 1;

	while (lead < n && p[lead] == L' ')
		lead++;
	wmemcpy(row, p, lead);
	len = lead;
	col = tui_wswidth(p, lead);
	for (i = lead; i < n;) {
		size_t end = word_end(p, n, i), next = end;
		int ww = tui_wswidth(p + i, end - i), reserve, unit = ww, unit_reserve;

		while (next < n && p[next] == L' ')
			next++;
		reserve = next < n ? 2 : 0; /* room for " \" unless the last */
		unit_reserve = reserve;
		if (end - i > 2 && p[i] == L'-' && p[i + 1] == L'-' && next < n && p[next] != L'-') {
			/* an option starts a row with its value when they fit one */
			size_t vend = word_end(p, n, next), after = vend;
			while (after < n && p[after] == L' ')
				after++;
			unit = ww + 1 + tui_wswidth(p + next, vend - next);
			unit_reserve = after < n ? 2 : 0;
			if ((int)lead + 2 + unit + unit_reserve > width) {
				unit = ww;
				unit_reserve = reserve;
			}
		}
		if (!fresh && (col + 1 + ww + reserve > width || col + 1 + unit + unit_reserve > width)) {
			size_t indent = lead + 2;
			wmemcpy(row + len, L" \\", 2);
			lines_push(out, row, len + 2);
			if ((int)indent + ww + reserve > width)
				indent = 0;
			wmemset(row, L' ', indent);
			len = indent;
			col = (int)indent;
			fresh = 1;
		}
		if (!fresh) {
			row[len++] = L' ';
			col++;
		}
		wmemcpy(row + len, p + i, end - i);
		len += end - i;
		col += ww;
		fresh = 0;
		i = next;
	}
	lines_push(out, row, len);
	free(row);
}

void tui_wrap(const char *text, int width, struct tui_lines *out)
{
	wchar_t *ws, *p;

	if (width < 1 || !text)
		return;
	ws = tui_widen(text, strlen(text), 1);
	p = ws;
	for (;;) {
		wchar_t *nl = wcschr(p, L'\n');
		size_t n = nl ? (size_t)(nl - p) : wcslen(p);
		if (n >= 15 && !wcsncmp(p, L"  biso-recover ", 15))
			wrap_command(p, n, width, out);
		else
			wrap_para(p, n, width, out);
		if (!nl)
			break;
		p = nl + 1;
		if (!*p)
			break; /* a trailing newline adds no empty line */
	}
	free(ws);
}

/* The byte length of @line's part that a wrapped rest hangs beside, 0 for
 * none: a short "label: " with the blanks that pad it ("in:     /x"), or a
 * table row's columns before its last one ("webroot  done  0.0s  11 files,
 * ...": after the last gap of two or more blanks that follows text), which
 * keeps a long result (a translation is often longer) in its column. */
static int hang_width(const char *line, int width)
{
	const char *colon = strstr(line, ": ");
	int lw = 0;

	if (!line[0])
		return 0; /* a blank line: the loop below starts at line[1] */
	if (colon && !memchr(line, ' ', (size_t)(colon - line))) {
		lw = (int)(colon - line) + 1;
		while (line[lw] == ' ')
			lw++;
		if (line[lw] && lw <= width / 3)
			return lw;
	}
	lw = 0;
	for (int i = 1; line[i]; i++) {
		int j = i;
		if (line[i] != ' ' || line[i + 1] != ' ' || line[i - 1] == ' ')
			continue;
		while (line[j] == ' ')
			j++;
		if (line[j])
			lw = j;
		i = j - 1;
	}
	/* hung while a third of the width is left for it (a result column
	 * at 60 columns starts past the middle) */
	return width - lw >= width / 3 ? lw : 0;
}

int tui_is_command(const char *line)
{
	return !strncmp(line, "  biso-recover ", 15);
}

int tui_command_fits(const char *line, int width)
{
	struct tui_lines l = TUI_LINES_INIT;
	int fits = 1;
	tui_wrap(line, width, &l);
	for (size_t i = 0; i < l.n; i++)
		fits &= tui_wswidth(l.line[i], wcslen(l.line[i])) <= width;
	tui_lines_free(&l);
	return fits;
}

void tui_wrap_hanging(const char *text, int width, struct tui_lines *out)
{
	const char *p = text;

	if (width < 1 || !text)
		return;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, n);
		int lw = hang_width(line, width);

		if (tui_is_command(line)) {
			/* between its words, copied whole (wrap_command()) */
			tui_wrap(line, width, out);
		} else if (lw) {
			struct tui_lines v = TUI_LINES_INIT;
			wchar_t *label = tui_widen(line, (size_t)lw, 0);
			size_t ll = wcslen(label);
			int lcols = tui_wswidth(label, ll);

			tui_wrap(line + lw, width - lcols, &v);
			for (size_t i = 0; i < v.n; i++) {
				size_t vn = wcslen(v.line[i]);
				wchar_t *o = xmalloc(((size_t)lcols + vn + 1) * sizeof(*o));
				size_t pre = i == 0 ? ll : (size_t)lcols;
				if (i == 0)
					wmemcpy(o, label, ll);
				else
					wmemset(o, L' ', (size_t)lcols);
				wmemcpy(o + pre, v.line[i], vn + 1);
				lines_push(out, o, pre + vn);
				free(o);
			}
			if (!v.n)
				lines_push(out, label, ll);
			tui_lines_free(&v);
			free(label);
		} else {
			tui_wrap(line, width, out);
		}
		free(line);
		if (!nl)
			break;
		p = nl + 1;
	}
}

void tui_commands_fitting(const char *text, int width, const char *instead, struct strbuf *out)
{
	for (const char *p = text, *nl; *p; p = nl + 1) {
		size_t n = (nl = strchr(p, '\n')) ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, n);
		if (tui_is_command(line) && !tui_command_fits(line, width)) {
			strbuf_add(out, line, strspn(line, " ")); /* its indent */
			strbuf_addstr(out, instead);
		} else {
			strbuf_addstr(out, line);
		}
		free(line);
		if (!nl)
			break;
		strbuf_addch(out, '\n');
	}
}

void tui_show_plain(const char *text, const char *prompt)
{
	struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
	char c = 0;

	erase();
	refresh();
	def_prog_mode();
	endwin(); /* the terminal's own modes: the typed Enter echoes */
	printf("%s\n\n%s ", text, prompt);
	fflush(stdout);
	/* Enter, or a signal (EINTR: the caller's loop sees it), or the end */
	while (c != '\n' && c != '\r' && poll(&pfd, 1, -1) == 1 && !(pfd.revents & ~POLLIN) &&
	       read(STDIN_FILENO, &c, 1) == 1)
		;
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
}

void tui_lines_free(struct tui_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
	l->line = NULL;
	l->n = l->alloc = 0;
}

void tui_bar(const struct tui *t, WINDOW *w, int y, int x, int width,
	     uint64_t done, uint64_t total)
{
	int fill = 0;

	if (width < 1)
		return;
	if (total) {
		if (done > total)
			done = total;
		fill = (int)((double)done / (double)total * width + 0.5);
		if (fill > width)
			fill = width;
	}
	wmove(w, y, x);
	for (int i = 0; i < width; i++) {
		int on = i < fill;
		if (t->utf8) {
			wchar_t c[2] = { on ? L'\u2588' : L'\u2591', 0 };
			wattr_on(w, on ? tui_attr(t, TUI_BAR) : tui_attr(t, TUI_DIM), NULL);
			waddnwstr(w, c, 1);
			wattr_off(w, on ? tui_attr(t, TUI_BAR) : tui_attr(t, TUI_DIM), NULL);
		} else {
			waddch(w, (chtype)(on ? '#' : '.') | (on ? tui_attr(t, TUI_BAR) : 0));
		}
	}
}

void tui_rule(WINDOW *w, int y, int x, int width, const char *label, attr_t a)
{
	if (width < 1)
		return;
	mvwhline(w, y, x, ACS_HLINE, width);
	if (label && width > 6) {
		int c = tui_put(w, y, x + 2, width - 4, " ", a);
		c += tui_put(w, y, x + 2 + c, width - 4 - c, label, a);
		tui_put(w, y, x + 2 + c, width - 4 - c, " ", a);
	}
}

void tui_frame(WINDOW *w, int y, int x, int h, int width, attr_t a)
{
	if (h < 2 || width < 2)
		return;
	wattr_on(w, a, NULL);
	for (int r = 0; r < h; r++)
		mvwhline(w, y + r, x, ' ', width);
	mvwaddch(w, y, x, ACS_ULCORNER);
	mvwhline(w, y, x + 1, ACS_HLINE, width - 2);
	mvwaddch(w, y, x + width - 1, ACS_URCORNER);
	for (int r = 1; r < h - 1; r++) {
		mvwaddch(w, y + r, x, ACS_VLINE);
		mvwaddch(w, y + r, x + width - 1, ACS_VLINE);
	}
	mvwaddch(w, y + h - 1, x, ACS_LLCORNER);
	mvwhline(w, y + h - 1, x + 1, ACS_HLINE, width - 2);
	mvwaddch(w, y + h - 1, x + width - 1, ACS_LRCORNER);
	wattr_off(w, a, NULL);
}

/* The on-exit list's cleanup: the original fd 2 back, so that the last
 * words of a dying process reach the terminal. */
static void stderr_on_exit(void *arg)
{
	struct tui_stderr *c = arg;
	dup2(c->saved_fd, STDERR_FILENO);
}

int tui_stderr_begin(struct tui_stderr *c, struct err *e)
{
	*c = (struct tui_stderr)TUI_STDERR_INIT;
	if (pipe(c->pipefd) < 0)
		return err_errno(e, errno, "cannot create a pipe for stderr");
	fcntl(c->pipefd[0], F_SETFL, fcntl(c->pipefd[0], F_GETFL) | O_NONBLOCK);
	fcntl(c->pipefd[0], F_SETFD, FD_CLOEXEC);
	fcntl(c->pipefd[1], F_SETFD, FD_CLOEXEC);
	fflush(stderr);
	c->saved_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (c->saved_fd < 0 || dup2(c->pipefd[1], STDERR_FILENO) < 0) {
		int saved = errno;
		if (c->saved_fd >= 0)
			close(c->saved_fd);
		close(c->pipefd[0]);
		close(c->pipefd[1]);
		*c = (struct tui_stderr)TUI_STDERR_INIT;
		return err_errno(e, saved, "cannot redirect stderr");
	}
	onexit_push(&c->onexit, stderr_on_exit, c);
	return 0;
}

int tui_stderr_fd(const struct tui_stderr *c)
{
	return c->saved_fd >= 0 ? c->pipefd[0] : -1;
}

void tui_stderr_read(struct tui_stderr *c, int flush,
		     void (*line)(void *ctx, const char *text), void *ctx)
{
	char buf[4096];
	ssize_t n;

	if (c->pipefd[0] < 0)
		return;
	while ((n = read(c->pipefd[0], buf, sizeof(buf))) > 0) {
		c->partial = xrealloc(c->partial, c->partial_len + (size_t)n + 1);
		memcpy(c->partial + c->partial_len, buf, (size_t)n);
		c->partial_len += (size_t)n;
	}
	while (c->partial_len) {
		char *nl = memchr(c->partial, '\n', c->partial_len);
		size_t len;
		if (!nl && !flush)
			break;
		len = nl ? (size_t)(nl - c->partial) : c->partial_len;
		c->partial[len] = 0; /* the newline, or the spare byte */
		if (len && line)
			line(ctx, c->partial);
		len += nl ? 1 : 0;
		memmove(c->partial, c->partial + len, c->partial_len - len);
		c->partial_len -= len;
	}
}

void tui_stderr_end(struct tui_stderr *c, void (*line)(void *ctx, const char *text), void *ctx)
{
	if (c->saved_fd < 0)
		return;
	onexit_remove(&c->onexit);
	fflush(stderr);
	dup2(c->saved_fd, STDERR_FILENO);
	close(c->saved_fd);
	close(c->pipefd[1]); /* the reader now sees the end */
	tui_stderr_read(c, 1, line, ctx);
	close(c->pipefd[0]);
	free(c->partial);
	*c = (struct tui_stderr)TUI_STDERR_INIT;
}

void tui_put_title(WINDOW *w, int y, int x, int room, const char *info, int utf8, attr_t a)
{
	const char *dots = utf8 ? "\u2026" : "...";
	int dw = utf8 ? 1 : 3, end = x + room - 1; /* a space before what follows */
	const char *last = strrchr(info, ' ');
	wchar_t *wi = tui_widen(info, strlen(info), 0);
	int width = tui_wswidth(wi, wcslen(wi));
	free(wi);
	if (width <= room || room <= dw) {
		tui_put(w, y, x, room, info, a);
	} else if (last && (int)(last - info) + 1 + dw + 8 <= room) {
		/* the path shortened in its middle, as the step panes do */
		struct strbuf p = STRBUF_INIT;
		char *head = xstrndup(info, (size_t)(last - info) + 1);
		x += tui_put(w, y, x, room, head, a);
		free(head);
		tui_path_middle(last + 1, strlen(last + 1), end - x, dots, &p);
		tui_put(w, y, x, end - x, p.buf, a);
		strbuf_release(&p);
	} else {
		int u = tui_put(w, y, x, room - dw, info, a);
		tui_put(w, y, x + u, dw, dots, a);
	}
}
