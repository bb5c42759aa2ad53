/*
 * tui: the small layer between the wizard and ncursesw.
 *
 * Owns the terminal decisions the wizard should not repeat everywhere:
 * whether colour is used (has_colors() and NO_COLOR unset or empty), whether
 * the locale is UTF-8 on a terminal that is not a VT100-class one (TERM
 * vt100, vt220 ...: otherwise every glyph we draw ourselves is ASCII; ACS
 * lines are left to ncurses, which degrades them), and how text from the
 * outside (paths, server messages, file names in any encoding) is made safe
 * to draw: invalid bytes and control characters become '?', tabs a space,
 * widths are counted in terminal columns (wcwidth), never in bytes.
 *
 * Nothing here keeps global state apart from what ncurses itself keeps.
 */
#ifndef BR_TUI_H
#define BR_TUI_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>

#include "onexit.h"

struct strbuf;

struct err;

/* What a piece of the screen is; tui_attr() maps it to colour or to a
 * monochrome attribute so that nothing depends on colour alone. */
enum tui_role {
	TUI_NORMAL,
	TUI_TITLE,    /* top bar */
	TUI_HEADING,  /* step title in the right panel */
	TUI_PENDING,
	TUI_RUNNING,
	TUI_DONE,
	TUI_FAILED,
	TUI_SKIPPED,
	TUI_WARN,     /* WARN log lines, warnings */
	TUI_ERROR,    /* ERROR log lines, error text */
	TUI_DIM,      /* secondary text */
	TUI_BAR,      /* the filled part of a progress bar */
	TUI_KEY,      /* key names in the help line */
	TUI_ROLE_COUNT
};

struct tui {
	SCREEN *scr;  /* NULL while not started */
	int utf8;     /* glyphs beyond ASCII may be drawn: the locale's codeset
			 is UTF-8 and TERM is not a VT100-class one (vt*) */
	int colour;   /* colours are in use */
	struct onexit onexit; /* endwin() if the process dies with the screen ours */
};

/*
 * Take the terminal: newterm() on stdin/stdout, cbreak (so ^C still sends
 * SIGINT), noecho, keypad, non-blocking getch, invisible cursor, colours if
 * allowed.  Until tui_end(), the on-exit list (onexit.h) holds an endwin():
 * out of memory or a fatal signal gives the terminal back too.  Returns 0,
 * or -1 with @e set (no usable terminal); the terminal is untouched then.
 */
int tui_start(struct tui *t, struct err *e);
/*
 * Read one key without waiting, like get_wch(): returns OK with a character
 * in *@ch, KEY_CODE_YES with a KEY_* code, or ERR when no key is waiting.
 * ncurses only decodes the sequences the terminfo entry names, and vt100's
 * names no PgUp/PgDn/Home/End: the common xterm/vt220 ones (ESC [5~, ESC [6~,
 * ESC [H, ESC [F, ESC OH, ESC [1~ ...) are decoded here, and any other
 * sequence (ESC and more bytes within ESCDELAY) is read whole and dropped,
 * never returned as Esc.  A lone Esc is returned as the character 27.
 * Call it on stdscr in nodelay mode (as tui_start() leaves it).
 * The test build fails an allocation after a key when BR_FAULT_FAIL names
 * "tui.key.oom" (fault.h), to prove the out-of-memory path.
 */
int tui_getkey(wint_t *ch);
/* Give the terminal back (endwin).  Safe to call twice or when not started. */
void tui_end(struct tui *t);
/* The attribute for @role: a colour pair when colours are on, otherwise
 * bold/reverse/dim so the role stays visible on a monochrome terminal. */
attr_t tui_attr(const struct tui *t, enum tui_role role);

/*
 * Convert @len bytes of @s (in the locale's encoding) into a newly malloc'd,
 * NUL-terminated wide string safe to draw: invalid or incomplete sequences
 * and non-printable characters become '?', tabs a space.  Newlines are kept
 * when @keep_nl, otherwise they become a space.  Never returns NULL.
 */
wchar_t *tui_widen(const char *s, size_t len, int keep_nl);
/* Display width of @n characters of @ws in columns. */
int tui_wswidth(const wchar_t *ws, size_t n);

/*
 * Draw @s at (@y, @x) with attribute @a, clipped to @maxcols columns (wide
 * characters are never cut in half).  Returns the columns used.  Nothing is
 * drawn when @maxcols <= 0 or (@y, @x) is off screen.
 */
int tui_put(WINDOW *w, int y, int x, int maxcols, const char *s, attr_t a);
/* The same for an already widened string. */
int tui_putw(WINDOW *w, int y, int x, int maxcols, const wchar_t *ws, attr_t a);

/* Lines of wrapped text; each line is an owned wide string. */
struct tui_lines {
	wchar_t **line;
	size_t n, alloc;
};
#define TUI_LINES_INIT { NULL, 0, 0 }

/*
 * Wrap @text (locale encoding, '\n' separates paragraphs, a blank line stays
 * blank) to @width columns: break at spaces, split words longer than a line,
 * except a path (a word with a '/'): never broken, it starts a row when it
 * does not fit after the words before it, and one wider than a row is cut
 * in its middle with "..." (tui_path_middle()) on a row of its own.  A
 * command to paste (tui_is_command()) is never cut: it is wrapped between
 * its shell words (a quoted path is one), each row but the last ending in
 * " \" and the next indented, so that a copy of its rows pasted into a
 * shell is the one command; a word too wide for a row of @width stays
 * whole beyond it (tui_command_fits()).
 * Lines are appended to @out.  @width < 1 appends nothing.
 */
void tui_wrap(const char *text, int width, struct tui_lines *out);
/*
 * Like tui_wrap() for "label: value" lines (restore_describe_step()'s
 * "source: ..." / "target: ..."): the value is wrapped beside the label
 * with a hanging indent, so a long path stays in its own column.  A table
 * row (columns parted by two or more blanks: the summary's "webroot  done
 * 0.0s  11 files, ...") hangs its last column the same way when that
 * starts within the left half.  Other lines (and a command to paste)
 * are wrapped as by tui_wrap().
 */
void tui_wrap_hanging(const char *text, int width, struct tui_lines *out);
/*
 * @path (@len bytes, no blanks) in at most @cols columns, appended to @out:
 * whole when it fits, else its first component, @dots ("..." or "…") and
 * as many of its last components as fit ("/work/.../prod/webroot"); the end
 * of a path names what it is, so it is never the part cut.
 */
void tui_path_middle(const char *path, size_t len, int cols, const char *dots, struct strbuf *out);
/* The terminal columns the first @len bytes of @s take (wcswidth of the
 * widened text; an unprintable character counts as tui_widen() shows it). */
int tui_cols_of(const char *s, size_t len);
/* 1 when @line is a command the operator pastes: "  biso-recover ..."
 * (two blanks, on a line of its own, as the summaries print them). */
int tui_is_command(const char *line);
/* 1 when every row tui_wrap() makes of @line fits @width columns: a
 * command to paste none of whose words (a path) is wider than a row. */
int tui_command_fits(const char *line, int width);
/*
 * @text with every command to paste in it that does not fit @width
 * (tui_command_fits(): a path wider than a row) replaced by the line
 * @instead (which says where to read it whole) with the command's indent,
 * appended to @out: no part of a command passes for the whole of it.
 */
void tui_commands_fitting(const char *text, int width, const char *instead, struct strbuf *out);
/*
 * Show @text (wrapped by the caller, frontend_wrap()) and @prompt on the
 * terminal itself, outside the full-screen display, and wait for Enter:
 * there a command with a path wider than the screen is one line, which
 * the terminal folds and a mouse copy (xterm, tmux, PuTTY) takes whole.
 * The screen is drawn again after it; a signal or the terminal's end also
 * ends the wait.
 */
void tui_show_plain(const char *text, const char *prompt);
/* Free the lines and reset @l to empty. */
void tui_lines_free(struct tui_lines *l);

/*
 * Catching stderr while curses owns the screen.  Anything written to file
 * descriptor 2 (a library's notice, a child process's complaint) would
 * scribble over the screen; between tui_stderr_begin() and tui_stderr_end()
 * fd 2 is a pipe instead, and the loop reads it as lines (poll
 * tui_stderr_fd()) to show them in the log.
 */
struct tui_stderr {
	int saved_fd;        /* the original fd 2, -1 while not capturing */
	int pipefd[2];
	char *partial;       /* bytes after the last newline; owned */
	size_t partial_len;
	struct onexit onexit; /* fd 2 put back if the process dies while captured */
};
#define TUI_STDERR_INIT { -1, { -1, -1 }, NULL, 0, ONEXIT_INIT }

/* Redirect fd 2 into a pipe (put back by the on-exit list if the process
 * dies before tui_stderr_end()).  Returns 0, or -1 with @e set (fd 2 is
 * then unchanged). */
int tui_stderr_begin(struct tui_stderr *c, struct err *e);
/* The descriptor to poll for POLLIN, or -1 while not capturing. */
int tui_stderr_fd(const struct tui_stderr *c);
/* Read what is there and call @line for every complete line (without the
 * newline); with @flush also for a last unterminated piece. */
void tui_stderr_read(struct tui_stderr *c, int flush,
		     void (*line)(void *ctx, const char *text), void *ctx);
/* Put the original fd 2 back; lines still in the pipe go to @line first.
 * Safe to call when not capturing. */
void tui_stderr_end(struct tui_stderr *c, void (*line)(void *ctx, const char *text), void *ctx);

/*
 * Draw a progress bar of @width columns at (@y, @x): @done of @total filled
 * (an unknown @total draws an empty bar).  Block characters in a UTF-8
 * locale, '#' and '.' otherwise.
 */
void tui_bar(const struct tui *t, WINDOW *w, int y, int x, int width,
	     uint64_t done, uint64_t total);
/* A title line @info at (@y, @x) in @room columns: whole, or, when its
 * last word is a path too long for the room, that path shortened in its
 * middle (tui_path_middle(): "/work/.../prod/webroot") with the words
 * before it whole; else cut at its end with "...".  "…" for "..." when
 * @utf8. */
void tui_put_title(WINDOW *w, int y, int x, int room, const char *info, int utf8, attr_t a);
/* A horizontal rule of @width columns with an optional @label near its left
 * end ("-- Log --"), drawn with ACS_HLINE. */
void tui_rule(WINDOW *w, int y, int x, int width, const char *label, attr_t a);
/* Clear the rectangle and draw a box around it (a dialog's frame). */
void tui_frame(WINDOW *w, int y, int x, int h, int width, attr_t a);

#endif
