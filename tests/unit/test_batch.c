/* Unit tests for line mode's progress line (ui/batch.c): it fits the
 * terminal's columns, the end of a long path stays visible, no control
 * character of a file name reaches the terminal. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "frontend.h"
#include "strbuf.h"

static int utf8(void **state)
{
	(void)state;
	return setlocale(LC_ALL, "C.UTF-8") ? 0 : -1;
}

/* The columns @s takes (UTF-8). */
static size_t cols(const char *s)
{
	wchar_t w[1024];
	size_t n = mbstowcs(w, s, 1024);
	assert_true(n != (size_t)-1);
	return (size_t)wcswidth(w, n);
}

static void long_lines_fit_the_terminal_and_keep_the_file_name(void **state)
{
	static const char path[] =
		"attachments/2024/\xc3\xa4nderungsantr\xc3\xa4ge/Beratungsfall-12345/"
		"sehr-langer-Dateiname-mit-\xc3\xbc" "berl\xc3\xa4nge-f\xc3\xbcr-den-Test.pdf";
	struct progress p = { "copying", 123456789, 987654321, 4321, 0, path };
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	for (unsigned w = 20; w <= 200; w += 30) {
		strbuf_reset(&sb);
		batch_progress_text(&p, w, &sb);
		if (cols(sb.buf) > w - 1)
			fail_msg("%u columns: the line takes %zu: \"%s\"", w, cols(sb.buf), sb.buf);
	}
	strbuf_reset(&sb);
	batch_progress_text(&p, 80, &sb);
	/* as much of the path as fits: the line is full */
	assert_int_equal(cols(sb.buf), 79);
	/* the end of the path names the file */
	assert_non_null(strstr(sb.buf, "-Test.pdf"));
	assert_non_null(strstr(sb.buf, ", ..."));
	assert_non_null(strstr(sb.buf, "copying: "));
	/* wide enough: the whole path */
	strbuf_reset(&sb);
	batch_progress_text(&p, 200, &sb);
	assert_non_null(strstr(sb.buf, path));
	strbuf_release(&sb);
}

static void control_characters_of_a_name_become_question_marks(void **state)
{
	struct progress p = { "copying", 1, 2, 0, 0, "evil\r\033[2Jname\n" };
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	batch_progress_text(&p, 80, &sb);
	assert_null(strpbrk(sb.buf, "\r\n\033"));
	assert_non_null(strstr(sb.buf, "evil??[2Jname?"));
	strbuf_release(&sb);
}

/* Long texts break between words at the terminal's width, never in one. */
static void long_texts_wrap_between_words(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	frontend_wrap("the replay reads the plain-format dump, then runs ANALYZE on it\nshort", 30, &sb);
	assert_string_equal(sb.buf, "the replay reads the\nplain-format dump, then runs\nANALYZE on it\nshort");
	strbuf_reset(&sb);
	/* a word wider than the line stays whole; a line that fits is kept */
	frontend_wrap("/a/very/long/path/without/spaces/at/all ok", 20, &sb);
	assert_string_equal(sb.buf, "/a/very/long/path/without/spaces/at/all\nok");
	strbuf_reset(&sb);
	frontend_wrap("fits in nineteen", 20, &sb);
	assert_string_equal(sb.buf, "fits in nineteen");
	strbuf_release(&sb);
}

/* Every output path of line mode wraps with frontend_wrap(): a path is
 * never broken inside, whatever the width; a command to paste stays one
 * line; a summary row's rest hangs under its indent. */
static void paths_and_commands_stay_whole(void **state)
{
	static const char kept[] = "/work/fresh9/demo-sandbox/prod/webroot.pre-restore-20261207_020035";
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	/* the webroot's question (finding 23): the kept path on a row of its
	 * own at 80 columns, at 60 and 40 too */
	for (unsigned w = 40; w <= 80; w += 20) {
		strbuf_reset(&sb);
		frontend_wrap("Restore the webroot: replaces /work/fresh9/demo-sandbox/prod/webroot "
			      "(kept as /work/fresh9/demo-sandbox/prod/webroot.pre-restore-20261207_020035).\n"
			      "Go on? Type yes:", w, &sb);
		if (w > 40 && !strstr(sb.buf, "(kept as\n"))
			fail_msg("%u columns: \"(kept as\" does not end its row: \"%s\"", w, sb.buf);
		if (!strstr(sb.buf, kept) || !strstr(sb.buf, "\n/work/fresh9/demo-sandbox/prod/webroot.pre"))
			fail_msg("%u columns: the kept path is broken or not at a row's start: \"%s\"", w, sb.buf);
		for (const char *row = sb.buf; *row;) {
			size_t n = strcspn(row, "\n");
			char *r = strndup(row, n);
			if (cols(r) > w - 1 && !strchr(r, '/'))
				fail_msg("%u columns: a row of %zu columns without a path: \"%s\"", w, cols(r), r);
			free(r);
			row += n + (row[n] == '\n');
		}
		assert_non_null(strstr(sb.buf, "\nGo on? Type yes:"));
	}
	/* the wizard's last line: its log path whole, on the next row */
	strbuf_reset(&sb);
	frontend_wrap("biso-recover: NOT finished, exit code 130; log: "
		      "/work/fresh9/demo-sandbox/log/biso-recover-20261207_015841.log", 80, &sb);
	assert_string_equal(sb.buf, "biso-recover: NOT finished, exit code 130; log:\n"
			    "/work/fresh9/demo-sandbox/log/biso-recover-20261207_015841.log");
	/* a command to paste stays one line, however wide */
	strbuf_reset(&sb);
	frontend_wrap("to finish them, run:\n  biso-recover restore --only database,migrations,verify "
		      "--config /work/fresh9/demo-sandbox/biso-recover.conf", 60, &sb);
	assert_string_equal(sb.buf, "to finish them, run:\n  biso-recover restore --only "
			    "database,migrations,verify --config /work/fresh9/demo-sandbox/biso-recover.conf");
	/* a command in a hint: the words before it break, it does not */
	strbuf_reset(&sb);
	frontend_wrap("hint (verify): Run the pending migrations: biso-recover restore --only "
		      "migrations,verify --config /srv/biso/biso-recover.conf.", 60, &sb);
	assert_string_equal(sb.buf, "hint (verify): Run the pending migrations:\nbiso-recover restore "
			    "--only migrations,verify --config /srv/biso/biso-recover.conf.");
	/* a summary table row: its result goes on under its column */
	strbuf_reset(&sb);
	frontend_wrap("database        done         0.2s  biso: 904.9 KiB of SQL, 128.5 KiB gzip", 60, &sb);
	assert_string_equal(sb.buf, "database        done         0.2s  biso: 904.9 KiB of SQL,\n"
			    "                                   128.5 KiB gzip");
	/* a summary row wraps under its indent */
	strbuf_reset(&sb);
	frontend_wrap("  kept: the old webroot and datadir in place, see the log for each", 40, &sb);
	assert_string_equal(sb.buf, "  kept: the old webroot and datadir in\n  place, see the log for each");
	strbuf_release(&sb);
}

/* Every row of @text wrapped at @w columns fits @w - 1 columns. */
static void rows_fit(const char *text, unsigned w)
{
	struct strbuf sb = STRBUF_INIT;
	frontend_wrap(text, w, &sb);
	for (const char *row = sb.buf; *row;) {
		size_t n = strcspn(row, "\n");
		char *r = strndup(row, n);
		if (cols(r) > w - 1)
			fail_msg("%u columns: a row of %zu columns: \"%s\"", w, cols(r), r);
		free(r);
		row += n + (row[n] == '\n');
	}
	strbuf_release(&sb);
}

/* A command is "biso-recover", maybe a command's name, then its options
 * ("biso-recover restore --only ..."), as the hints and summaries print
 * one: prose that names biso-recover and, later, an option is no command
 * and breaks (review 10: it ran past 80 columns, unbroken); a command
 * stays whole, the prose after it breaks. */
static void prose_naming_an_option_breaks(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	rows_fit("hint (database): Run biso-recover status to see what it does now, and what is "
		 "left to do, or --help for its options", 80);
	/* the German hint of a damaged manifest (po/de.po) */
	rows_fit("biso-recover: Hinweis: Das Manifest der Sicherung ist besch\xc3\xa4" "digt: mit "
		 "biso-recover backup-verify pr\xc3\xbc" "fen oder aus einer anderen Sicherung "
		 "auffrischen (--dump, --at).", 80);
	/* a command in parentheses: whole, the words after it break */
	frontend_wrap("hint: there is not enough space for a copy: confirm it (biso-recover "
		      "files-restore --in-place --yes), or free space for a normal restore", 80, &sb);
	assert_string_equal(sb.buf, "hint: there is not enough space for a copy: confirm it\n"
			    "(biso-recover files-restore --in-place --yes), or free space for a normal\n"
			    "restore");
	/* German prose after a command's argument breaks after it */
	strbuf_reset(&sb);
	frontend_wrap("Nichts wurde ge\xc3\xa4ndert. Mit --at aus einer \xc3\xa4lteren Sicherung auffrischen "
		      "oder biso-recover backup-verify --config /srv/biso/biso-recover.conf "
		      "20261207_020035 ansehen.", 80, &sb);
	assert_string_equal(sb.buf, "Nichts wurde ge\xc3\xa4ndert. Mit --at aus einer \xc3\xa4lteren Sicherung "
			    "auffrischen oder\nbiso-recover backup-verify --config /srv/biso/biso-recover.conf "
			    "20261207_020035\nansehen.");
	/* a quoted value with blanks is one word of the command */
	strbuf_reset(&sb);
	frontend_wrap("next: biso-recover restore --resume --dbname 'host=/run/postgresql dbname=biso' "
		      "--config /etc/biso-recover.conf", 60, &sb);
	assert_string_equal(sb.buf, "next:\nbiso-recover restore --resume --dbname "
			    "'host=/run/postgresql dbname=biso' --config /etc/biso-recover.conf");
	/* a command in quotes ends at its closing quote */
	strbuf_reset(&sb);
	frontend_wrap("biso-recover: the wizard needs a terminal; use 'biso-recover refresh --yes "
		      "--config /srv/biso/refresh-test.conf' in line mode, or run it in tmux", 80, &sb);
	assert_string_equal(sb.buf, "biso-recover: the wizard needs a terminal; use\n'biso-recover refresh "
			    "--yes --config /srv/biso/refresh-test.conf' in line mode,\nor run it in tmux");
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(long_texts_wrap_between_words),
		cmocka_unit_test(paths_and_commands_stay_whole),
		cmocka_unit_test(prose_naming_an_option_breaks),
		cmocka_unit_test(long_lines_fit_the_terminal_and_keep_the_file_name),
		cmocka_unit_test(control_characters_of_a_name_become_question_marks),
	};
	return cmocka_run_group_tests(tests, utf8, NULL);
}
