/* Unit tests for the wizard's text helpers (ui/tui.c): widening of outside
 * text, wrapping by display columns, hanging indents, the title line. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "strbuf.h"
#include "tui.h"

static int utf8(void **state)
{
	(void)state;
	if (!setlocale(LC_ALL, "C.UTF-8"))
		return -1;
	return 0;
}

static void widen_replaces_invalid_and_control_bytes(void **state)
{
	(void)state;
	wchar_t *w = tui_widen("Gr\xc3\xbc" "\xff" "ss\tx\ny\x1b", 12, 0);
	assert_true(wcscmp(w, L"Gr\u00fc?ss x y?") == 0);
	free(w);
	w = tui_widen("a\nb", 3, 1);
	assert_true(wcscmp(w, L"a\nb") == 0);
	free(w);
	/* An incomplete sequence at the end is one '?', not a crash. */
	w = tui_widen("ab\xc3", 3, 0);
	assert_true(wcscmp(w, L"ab?") == 0);
	free(w);
}

static void wrap_counts_columns_not_bytes(void **state)
{
	struct tui_lines l = TUI_LINES_INIT;
	(void)state;
	/* 10 columns: "Müller Gößmann" is 14 columns, 17 bytes. */
	tui_wrap("M\xc3\xbcller G\xc3\xb6\xc3\x9fmann Z\xc3\xbcrcher", 10, &l);
	assert_int_equal(l.n, 3);
	assert_true(wcscmp(l.line[0], L"M\u00fcller") == 0);
	assert_true(wcscmp(l.line[1], L"G\u00f6\u00dfmann") == 0);
	assert_true(wcscmp(l.line[2], L"Z\u00fcrcher") == 0);
	for (size_t i = 0; i < l.n; i++)
		assert_true(tui_wswidth(l.line[i], wcslen(l.line[i])) <= 10);
	tui_lines_free(&l);
}

static void wrap_splits_long_words_and_keeps_blank_lines(void **state)
{
	struct tui_lines l = TUI_LINES_INIT;
	(void)state;
	tui_wrap("backup_2026_11_29_nightly_copy\n\nend", 16, &l);
	assert_true(l.n >= 4);
	for (size_t i = 0; i + 2 < l.n; i++)
		assert_true(tui_wswidth(l.line[i], wcslen(l.line[i])) <= 16);
	assert_true(wcscmp(l.line[l.n - 2], L"") == 0);
	assert_true(wcscmp(l.line[l.n - 1], L"end") == 0);
	tui_lines_free(&l);
	/* a path longer than the line is never broken across rows (a mouse
	 * copy of a row would be a wrong path): one row, cut in its middle,
	 * its end kept */
	tui_wrap("/var/backups/biso/db/biso_20261129.sql.gz", 24, &l);
	assert_int_equal(l.n, 1);
	assert_true(wcscmp(l.line[0], L".../biso_20261129.sql.gz") == 0);
	tui_lines_free(&l);
	/* the step screen's note at 80 columns (finding 24): the kept path
	 * starts a row and keeps its first directory and its end */
	tui_wrap("This step replaces /work/fresh9/demo-sandbox/prod/webroot (kept as "
		 "/work/fresh9/demo-sandbox/prod/webroot.pre-restore-20261207_015841). Enter asks "
		 "before it starts.", 53, &l);
	for (size_t i = 0; i < l.n; i++) {
		size_t n = wcslen(l.line[i]);
		assert_true(tui_wswidth(l.line[i], n) <= 53);
		assert_true(n && l.line[i][n - 1] != L'/');
	}
	assert_true(wcscmp(l.line[1], L"/work/fresh9/demo-sandbox/prod/webroot (kept as") == 0);
	assert_true(wcscmp(l.line[2], L"/work/...prod/webroot.pre-restore-20261207_015841).") == 0);
	assert_true(wcscmp(l.line[3], L"Enter asks before it starts.") == 0);
	tui_lines_free(&l);
	tui_wrap("anything", 0, &l);
	assert_int_equal(l.n, 0);
}

static void hanging_indent_keeps_paths_beside_their_label(void **state)
{
	struct tui_lines l = TUI_LINES_INIT;
	(void)state;
	tui_wrap_hanging("source: /var/backups/webroot taken 2026-12-07 01:58\n", 30, &l);
	assert_true(l.n >= 2);
	assert_true(wcsncmp(l.line[0], L"source: /var", 12) == 0);
	/* continuation lines start under the value, not under the label */
	assert_true(wcsncmp(l.line[1], L"        ", 8) == 0);
	assert_true(l.line[1][8] != L' ');
	tui_lines_free(&l);
}

/* Labels padded to line up their values ("datadir:  /x", "in:     /x"):
 * a wrapped value continues in the value's column, and a value never
 * drops below its label. */
static void hanging_indent_follows_padded_labels(void **state)
{
	struct tui_lines l = TUI_LINES_INIT;
	(void)state;
	tui_wrap_hanging("datadir:  /var/www/data of 2026-12-07 01:58\n", 30, &l);
	assert_true(l.n >= 2);
	assert_true(wcsncmp(l.line[0], L"datadir:  /var", 14) == 0);
	assert_true(wcsncmp(l.line[1], L"          ", 10) == 0);
	assert_true(l.line[1][10] != L' ');
	tui_lines_free(&l);
	tui_wrap_hanging("in:     /srv/biso/webroot of 2026-12-07\n", 30, &l);
	assert_true(l.n >= 2);
	assert_true(wcsncmp(l.line[0], L"in:     /srv", 12) == 0);
	assert_true(wcsncmp(l.line[1], L"        ", 8) == 0);
	assert_true(l.line[1][8] != L' ');
	tui_lines_free(&l);
}

/* A summary row whose result is too long (German is often longer): the
 * result wraps in its own column, not back to the table's left edge under
 * the step names. */
static void hanging_indent_keeps_a_table_rows_last_column(void **state)
{
	struct tui_lines l = TUI_LINES_INIT;
	(void)state;
	tui_wrap_hanging("webroot      fertig           0.0s  11 Dateien, 5 Verzeichnisse, 0 "
			 "symbolische Links, 11.1 KiB\n", 78, &l);
	assert_int_equal(l.n, 2);
	assert_true(wcsncmp(l.line[0], L"webroot      fertig           0.0s  11 Dateien", 46) == 0);
	assert_true(wcsncmp(l.line[1], L"                                    ", 36) == 0);
	assert_true(l.line[1][36] != L' ');
	tui_lines_free(&l);
	/* a row that fits, and indented text (a plan's command), as before */
	tui_wrap_hanging("config       fertig           0.0s  env PROD\n   mv /a /b\n", 78, &l);
	assert_int_equal(l.n, 2);
	assert_true(wcscmp(l.line[0], L"config       fertig           0.0s  env PROD") == 0);
	assert_true(wcscmp(l.line[1], L"   mv /a /b") == 0);
	tui_lines_free(&l);
}

/* A blank line between paragraphs (a summary's headline and its rows) stays
 * a blank line; its hang width is looked up without reading past its end
 * (ASan: heap-buffer-overflow before the fix). */
static void hanging_indent_keeps_blank_lines(void **state)
{
	struct tui_lines l = TUI_LINES_INIT;
	(void)state;
	tui_wrap_hanging("summary\n\nnext line\n", 40, &l);
	assert_int_equal(l.n, 3);
	assert_true(wcscmp(l.line[0], L"summary") == 0);
	assert_true(wcscmp(l.line[1], L"") == 0);
	assert_true(wcscmp(l.line[2], L"next line") == 0);
	tui_lines_free(&l);
}

/* A command's rows joined as a shell joins them (each " \" and line end
 * removed), its leading blanks dropped. */
static void join_rows(const struct tui_lines *l, wchar_t *out)
{
	out[0] = 0;
	for (size_t i = 0; i < l->n; i++) {
		const wchar_t *r = l->line[i];
		size_t n = wcslen(r);
		while (*r == L' ')
			r++, n--;
		if (i + 1 < l->n) {
			assert_true(n > 2 && wcscmp(r + n - 2, L" \\") == 0);
			n -= 2;
		}
		if (i)
			wcscat(out, L" ");
		wcsncat(out, r, n);
	}
}

/* A command to paste wider than the screen (the half-done restore's
 * "to finish it" at 80 columns, review10): wrapped between its shell
 * words, every row but the last ending in " \" and the next indented, so
 * that its rows pasted into a shell are the one command; a path, quoted
 * with a blank in it too, is never broken nor cut ("..."): it was one row
 * cut at the edge (first screen) or a path cut in its middle (dialogs). */
static void wrap_keeps_a_command_whole_between_its_words(void **state)
{
	static const char cmd[] =
		"  biso-recover restore --only database,migrations,verify --config "
		"/srv/instances/customer-with-a-long-name/etc/biso-recover.conf --dump "
		"'/var/backups/biso of customer/db/biso_20261207_070601.sql.gz' --at 20261207_070601";
	struct tui_lines l = TUI_LINES_INIT, h = TUI_LINES_INIT;
	wchar_t joined[512], *want = tui_widen(cmd + 2, strlen(cmd) - 2, 0);
	(void)state;
	tui_wrap(cmd, 78, &l);
	for (size_t i = 0; i < l.n; i++) {
		assert_true(tui_wswidth(l.line[i], wcslen(l.line[i])) <= 78);
		assert_null(wcsstr(l.line[i], L"..."));
		assert_true(wcsncmp(l.line[i], i ? L"    " : L"  biso-recover ", i ? 4 : 15) == 0);
	}
	join_rows(&l, joined);
	assert_true(wcscmp(joined, want) == 0);
	/* each path whole on one row, an option with its value */
	assert_int_equal(l.n, 4);
	assert_true(wcscmp(l.line[0], L"  biso-recover restore --only database,migrations,verify \\") == 0);
	assert_true(wcscmp(l.line[1], L"    --config /srv/instances/customer-with-a-long-name/etc/"
			   "biso-recover.conf \\") == 0);
	assert_true(wcscmp(l.line[2], L"    --dump '/var/backups/biso of customer/db/"
			   "biso_20261207_070601.sql.gz' \\") == 0);
	assert_true(wcscmp(l.line[3], L"    --at 20261207_070601") == 0);
	assert_true(tui_command_fits(cmd, 78));
	/* tui_wrap_hanging() (the first screen, the summary) the same way */
	tui_wrap_hanging(cmd, 78, &h);
	assert_int_equal(h.n, l.n);
	for (size_t i = 0; i < l.n; i++)
		assert_true(wcscmp(h.line[i], l.line[i]) == 0);
	tui_lines_free(&h);
	tui_lines_free(&l);
	/* a path too wide for an indented row starts its row at the edge;
	 * one wider than the row stays whole past it, and the command does
	 * not fit: tui_commands_fitting() puts the caller's line in its
	 * place, the other lines stay */
	tui_wrap(cmd, 66, &l);
	join_rows(&l, joined);
	assert_true(wcscmp(joined, want) == 0);
	assert_true(wcscmp(l.line[1], L"    --config \\") == 0);
	assert_true(wcscmp(l.line[2], L"/srv/instances/customer-with-a-long-name/etc/biso-recover.conf \\") == 0);
	for (size_t i = 0; i < l.n; i++)
		assert_true(tui_wswidth(l.line[i], wcslen(l.line[i])) <= 66);
	assert_true(tui_command_fits(cmd, 66));
	tui_lines_free(&l);
	assert_false(tui_command_fits(cmd, 60));
	{
		struct strbuf sb = STRBUF_INIT;
		char *text = xstrfmt("to finish it, run:\n%s\nto put back, run:\n"
				     "  biso-recover rollback --config /etc/b.conf", cmd);
		tui_commands_fitting(text, 60, "(too wide)", &sb);
		assert_string_equal(sb.buf, "to finish it, run:\n  (too wide)\nto put back, run:\n"
				    "  biso-recover rollback --config /etc/b.conf");
		strbuf_release(&sb);
		free(text);
	}
	free(want);
}

/* The title line shortens a long path in its middle, as the step panes do
 * (tui_path_middle(): "/work/...backups", its first directory and whole
 * last components), not at its start mid-name ("...-sandbox/backups"). */
static void title_shortens_a_long_path_in_its_middle(void **state)
{
	(void)state;
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *scr;
	WINDOW *pad;
	char row[81];
	assert_non_null(out);
	assert_non_null(in);
	scr = newterm("vt100", out, in);
	assert_non_null(scr);
	pad = newpad(1, 80);
	assert_non_null(pad);
	tui_put_title(pad, 0, 0, 30, "into /work/wt/review10/demo-sandbox/backups", 0, A_NORMAL);
	mvwinnstr(pad, 0, 0, row, 80);
	for (int i = (int)strlen(row); i > 0 && row[i - 1] == ' '; i--)
		row[i - 1] = '\0';
	assert_string_equal(row, "into /work/...backups");
	werase(pad);
	tui_put_title(pad, 0, 0, 40, "into /work/wt/review10/demo-sandbox/backups", 0, A_NORMAL);
	mvwinnstr(pad, 0, 0, row, 80);
	for (int i = (int)strlen(row); i > 0 && row[i - 1] == ' '; i--)
		row[i - 1] = '\0';
	assert_string_equal(row, "into /work/...demo-sandbox/backups");
	delwin(pad);
	endwin();
	delscreen(scr);
	fclose(out);
	fclose(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(widen_replaces_invalid_and_control_bytes),
		cmocka_unit_test(wrap_counts_columns_not_bytes),
		cmocka_unit_test(wrap_splits_long_words_and_keeps_blank_lines),
		cmocka_unit_test(hanging_indent_keeps_paths_beside_their_label),
		cmocka_unit_test(hanging_indent_follows_padded_labels),
		cmocka_unit_test(hanging_indent_keeps_a_table_rows_last_column),
		cmocka_unit_test(hanging_indent_keeps_blank_lines),
		cmocka_unit_test(wrap_keeps_a_command_whole_between_its_words),
		cmocka_unit_test(title_shortens_a_long_path_in_its_middle),
	};
	return cmocka_run_group_tests(tests, utf8, NULL);
}
