/* batch: the line-mode front end; see frontend.h. */
#include "config.h"
#include "frontend.h"
#include "i18n.h"
#include "logfile.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

void frontend_catch_signals(void (*on)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void batch_install_signals(void)
{
	frontend_catch_signals(on_signal);
}

int batch_interrupted(void)
{
	return interrupted != 0;
}

/* A progress line stands on the terminal (stderr) without its line end.
 * There is one terminal, so one flag for every report and client. */
static int progress_open;
/* A question stands on the terminal without its line end: the answer is
 * typed after it, and Ctrl-C there leaves the cursor behind "^C". */
static int question_open;

void frontend_progress_end(void)
{
	if (question_open) {
		/* what comes next starts on a line of its own, so that it is
		 * wrapped at the right columns */
		if (isatty(2))
			fputc('\n', stderr);
		question_open = 0;
	}
	if (!progress_open)
		return;
	fputs("\r\033[K", stderr);
	progress_open = 0;
}

static void clear_progress(struct batch_state *st)
{
	(void)st;
	frontend_progress_end();
}

/* The columns of the terminal @fd, as it says now (it may have been
 * resized); 80 when it does not say. */
static unsigned term_cols(int fd)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* The next character of @s (@n bytes left): its length in bytes, and its
 * columns in *@w.  A byte that is no character of the locale's encoding
 * counts as one column of its own. */
static size_t next_char(const char *s, size_t n, mbstate_t *ps, unsigned *w)
{
	wchar_t wc;
	size_t k = mbrtowc(&wc, s, n, ps);
	int cw;
	if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
		memset(ps, 0, sizeof *ps);
		*w = 1;
		return 1;
	}
	cw = wcwidth(wc);
	*w = cw < 0 ? 1 : (unsigned)cw;
	return k;
}

/* The columns @s takes. */
static unsigned text_cols(const char *s)
{
	mbstate_t ps;
	unsigned cols = 0, w;
	size_t n = strlen(s);
	memset(&ps, 0, sizeof ps);
	for (size_t i = 0; i < n; i += next_char(s + i, n - i, &ps, &w), cols += w)
		;
	return cols;
}

/* Cut @sb to at most @cols columns, at a character's start. */
static void cut_cols(struct strbuf *sb, unsigned cols)
{
	mbstate_t ps;
	unsigned used = 0, w;
	size_t i = 0, k;
	memset(&ps, 0, sizeof ps);
	while (i < sb->len) {
		k = next_char(sb->buf + i, sb->len - i, &ps, &w);
		if (used + w > cols)
			break;
		used += w;
		i += k;
	}
	strbuf_setlen(sb, i);
}

/* The end of the word of a command at @line[@i] (@len bytes): the next
 * blank; in a word that starts with a quote, as runcmd_format_argv()
 * quotes a value with blanks ('host=/x dbname=y', 'O'\''Brien'), the next
 * blank after its closing quote (one not escaped, followed by no letter). */
static size_t command_word_end(const char *line, size_t len, size_t i)
{
	size_t j = i;
	if (line[i] == '\'')
		for (j = i + 1; j < len; j++)
			if (line[j] == '\'' && line[j - 1] != '\\' &&
			    (j + 1 == len || !strchr("\\abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						      "0123456789-_/", line[j + 1])))
				break;
	while (j < len && line[j] != ' ')
		j++;
	return j;
}

/* The first command to paste in @line (@len bytes) at or after @from:
 * its start and end in *@start and *@end; 0 when there is none.  A command
 * is "biso-recover" at a word's start (or after "(" or "'"), maybe a command's
 * name, then an option: "biso-recover restore --only ...", "biso-recover
 * --config ...", as the summaries and hints print one, in a line of its
 * own or in a sentence ("finish with biso-recover ...", "(biso-recover
 * files-restore --in-place --yes), or ...").  It goes on over options,
 * their values and one argument (a backup's id): it ends after a word
 * that ends a clause (",", ";", ")", ".") or the quotes it began in
 * ("use 'biso-recover ... --yes' in line mode"), or before a third word in a
 * row that is no option (the prose after it: "... ID names every damaged
 * file", "... ID ansehen").  Prose that names biso-recover and, later, an
 * option ("Run biso-recover status ..., or --help") is no command.
 * Broken in two, a paste would run its first half: a command is not
 * broken. */
static int command_span(const char *line, size_t len, size_t from, size_t *start, size_t *end)
{
	for (size_t i = from; i + 13 <= len; i++) {
		size_t j = i + 13, w, plain = 0;
		int quoted = i && line[i - 1] == '\'';
		if ((i && !strchr(" ('", line[i - 1])) || strncmp(line + i, "biso-recover ", 13))
			continue;
		/* a command's name, then an option */
		if (line[j] >= 'a' && line[j] <= 'z') {
			j += strspn(line + j, "abcdefghijklmnopqrstuvwxyz-");
			if (line[j] == ' ')
				j++;
		}
		if (j + 2 >= len || strncmp(line + j, "--", 2) || line[j + 2] == ' ')
			continue;
		*start = i;
		for (;;) {
			w = command_word_end(line, len, j);
			*end = w;
			if (w >= len || strchr(",;).", line[w - 1]) || (quoted && memchr(line + j, '\'', w - j)))
				return 1;
			for (j = w; j < len && line[j] == ' '; j++)
				;
			plain = strncmp(line + j, "--", 2) ? plain + 1 : 0;
			if (j >= len || plain > 2)
				return 1;
		}
	}
	return 0;
}

/* The columns the rows after @line's first start at: under a table row's
 * last column (after the last gap of two or more blanks that follows
 * text: the summary's "webroot  done  0.0s  11 files, ..."), while a third
 * of @width is left for it; else under the line's leading blanks. */
static unsigned hang_cols(const char *line, size_t len, unsigned width)
{
	size_t lead = strspn(line, " "), col = 0;
	for (size_t i = lead + 1; i + 1 < len; i++) {
		size_t j = i;
		if (line[i] != ' ' || line[i + 1] != ' ' || line[i - 1] == ' ')
			continue;
		while (j < len && line[j] == ' ')
			j++;
		if (j < len)
			col = j;
		i = j - 1;
	}
	if (col) {
		char *head = xstrndup(line, col);
		unsigned c = text_cols(head);
		free(head);
		if (c < width && width - c >= width / 3)
			return c;
	}
	return lead < len && lead <= width / 2 ? (unsigned)lead : 0;
}

void frontend_wrap(const char *text, unsigned cols, struct strbuf *out)
{
	unsigned width = cols > 1 ? cols - 1 : 1;
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n"), lead = strspn(line, " "), pos = 0;
		unsigned hang = hang_cols(line, len, width);
		/* a row a turn, from @pos: up to the last blank before the
		 * width; a word wider than a row (a long path) gets a row of
		 * its own, unbroken, for a mouse copy (the terminal folds it);
		 * so does a command; the rows after the first hang under the
		 * line's last column or its indent */
		while (pos < len) {
			size_t i = pos, brk = 0, start = pos ? pos : lead, end, k, cmd, cmd_end;
			unsigned used = pos ? hang : 0, w;
			int in_cmd = command_span(line, len, pos, &cmd, &cmd_end);
			mbstate_t ps;
			memset(&ps, 0, sizeof ps);
			while (i < len) {
				k = next_char(line + i, len - i, &ps, &w);
				if (in_cmd && i >= cmd_end)
					in_cmd = command_span(line, len, cmd_end, &cmd, &cmd_end);
				if (line[i] == ' ' && i > start && (!in_cmd || i < cmd))
					brk = i;
				if (used + w > width && brk)
					break;
				used += w;
				i += k;
			}
			if (i >= len) {
				strbuf_add(out, line + pos, len - pos);
				break;
			}
			for (end = brk; end > pos && line[end - 1] == ' '; end--)
				;
			strbuf_add(out, line + pos, end - pos);
			for (pos = brk; pos < len && line[pos] == ' '; pos++)
				;
			if (pos < len) {
				strbuf_addch(out, '\n');
				strbuf_addf(out, "%*s", (int)hang, "");
			}
		}
		line += len;
		if (*line == '\n') {
			strbuf_addch(out, '\n');
			line++;
		}
	}
}

void frontend_fprint(FILE *f, const char *text)
{
	struct strbuf sb = STRBUF_INIT;
	fflush(f == stdout ? stderr : stdout);
	frontend_progress_end();
	if (isatty(fileno(f))) {
		frontend_wrap(text, term_cols(fileno(f)), &sb);
		text = sb.buf;
	}
	fprintf(f, "%s\n", text);
	strbuf_release(&sb);
}

void frontend_print(const char *text)
{
	frontend_fprint(stderr, text);
}

void frontend_put_question(int fd, const char *question)
{
	struct strbuf sb = STRBUF_INIT;
	frontend_progress_end();
	fflush(stdout);
	fflush(stderr);
	if (isatty(fd))
		frontend_wrap(question, term_cols(fd), &sb);
	else
		strbuf_addstr(&sb, question);
	strbuf_addch(&sb, ' ');
	if (write(fd, sb.buf, sb.len) < 0) {
		/* the terminal is gone: the hang-up ends the caller */
	}
	question_open = 1;
	strbuf_release(&sb);
}

void frontend_answered(void)
{
	question_open = 0;
}

void batch_progress_text(const struct progress *p, unsigned cols, struct strbuf *out)
{
	struct strbuf cur = STRBUF_INIT;
	unsigned width = cols > 1 ? cols - 1 : 1, used;

	strbuf_addf(out, "%s: ", p->phase ? _(p->phase) : _("working"));
	strbuf_humanise_bytes(out, p->done_bytes);
	if (p->total_bytes) {
		strbuf_addstr(out, _(" of "));
		strbuf_humanise_bytes(out, p->total_bytes);
		strbuf_addf(out, " (%.0f%%)",
			    100.0 * (double)p->done_bytes / (double)p->total_bytes);
	}
	if (p->done_items)
		strbuf_addf(out, P_(", %llu item", ", %llu items", p->done_items),
			    (unsigned long long)p->done_items);
	used = text_cols(out->buf);
	if (used > width) {
		cut_cols(out, width);
		return;
	}
	if (!p->current)
		return;
	/* a file name may hold anything: no control character reaches the
	 * terminal */
	for (const char *c = p->current; *c; c++)
		strbuf_addch(&cur, (unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c);
	if (used + 2 + text_cols(cur.buf) <= width) {
		strbuf_addf(out, ", %s", cur.buf);
	} else if (used + 2 + 3 + 8 <= width) {
		/* the end of a long path names the file: cut from the left */
		unsigned room = width - used - 2 - 3, total = text_cols(cur.buf), w;
		mbstate_t ps;
		size_t i = 0;
		memset(&ps, 0, sizeof ps);
		while (i < cur.len && total > room) {
			i += next_char(cur.buf + i, cur.len - i, &ps, &w);
			total -= w;
		}
		strbuf_addf(out, ", ...%s", cur.buf + i);
	}
	strbuf_release(&cur);
}

/* The log file gets the English @line, the terminal @shown (report.h). */
static void batch_log(void *ctx, enum log_level level, const char *line, const char *shown)
{
	struct batch_state *st = ctx;
	logfile_write(st->log, level, line);
	if (level == LOG_DEBUG)
		return;
	if (st->warnings && level >= LOG_WARN) {
		strbuf_addstr(st->warnings, shown);
		strbuf_addch(st->warnings, '\n');
	}
	clear_progress(st);
	if (level == LOG_INFO) {
		frontend_print(shown);
	} else {
		char *l = xstrfmt("%s: %s", level == LOG_WARN ? _("warning") : _("error"), shown);
		frontend_print(l);
		free(l);
	}
}

static void batch_progress(void *ctx, const struct progress *p)
{
	struct batch_state *st = ctx;
	int64_t now = report_now_ns();
	struct strbuf sb = STRBUF_INIT;

	/* On a terminal a line twice a second, rewritten in place (report.h
	 * lets one through every 100 ms while bytes move, so it never stands
	 * still longer than a second); into a file or a pipe (cron, a log)
	 * one line every 30 seconds, no carriage return */
	int64_t every = st->tty ? 500000000 : 30000000000LL;
	int full = p->total_bytes && p->done_bytes >= p->total_bytes;
	if (st->last_line_ns && now - st->last_line_ns < every && !(full && !st->full_shown))
		return;
	st->full_shown = full; /* 100% once, not again for every item after it */
	st->last_line_ns = now;
	if (st->tty) {
		/* one line that fits the terminal: a longer one wraps, and the
		 * next \r rewrites only its last row */
		batch_progress_text(p, term_cols(2), &sb);
		fprintf(stderr, "\r\033[K%s", sb.buf);
		progress_open = 1;
	} else {
		batch_progress_text(p, 1000, &sb);
		fprintf(stderr, "%s\n", sb.buf);
	}
	strbuf_release(&sb);
}

static int batch_cancelled(void *ctx)
{
	(void)ctx;
	return interrupted ? REPORT_STOP_SIGNAL(interrupted) : 0;
}

void batch_report_init(struct report *r, struct batch_state *st, struct logfile *log)
{
	memset(st, 0, sizeof *st);
	st->log = log;
	st->tty = isatty(2);
	memset(r, 0, sizeof *r);
	r->progress = batch_progress;
	r->log_l10n = batch_log;
	r->cancelled = batch_cancelled;
	r->ctx = st;
}

int frontend_ask(const char *question, struct strbuf *answer)
{
	char line[512];
	FILE *tty = fopen("/dev/tty", "r+");
	int ret = -1;
	strbuf_reset(answer);
	if (!tty) {
		fprintf(stderr, _("%s\nno terminal to ask on: give --yes to run without asking\n"),
			question);
		return -1;
	}
	/* what stdout holds so far (a list the question is about) comes
	 * first, also when it is a pipe or a file (cleanup | tee log) */
	frontend_put_question(fileno(tty), question);
	if (fgets(line, sizeof line, tty) && !interrupted) {
		frontend_answered(); /* the echoed line end ended it */
		line[strcspn(line, "\r\n")] = '\0';
		strbuf_addstr(answer, line);
		ret = 0;
	}
	fclose(tty);
	return ret;
}

void batch_confirm_prompt(struct strbuf *q, const char *word)
{
	if (q->len) {
		struct strbuf head = STRBUF_INIT;
		strbuf_addf(&head, "\n%s\n", q->buf);
		strbuf_reset(q);
		strbuf_addstr(q, head.buf);
		strbuf_release(&head);
	}
	if (word)
		strbuf_addf(q, _("Type the database name (%s) to go on:"), word);
	else
		strbuf_addstr(q, _("Go on? Type yes:"));
}

/* Ask before step @i until the operator types @word (the database name,
 * exactly) or, without @word, yes (any case).  As in the wizard, a typo
 * asks again, up to FRONTEND_TRIES times; "no", end of input or a signal
 * stop at once.  Returns 1 when confirmed, 0 when not, -1 when
 * FRONTEND_TRIES answers did not match. */
static int confirm_step(struct report *r, const struct run *run, size_t i, const char *what,
			const char *word)
{
	struct strbuf q = STRBUF_INIT, answer = STRBUF_INIT;
	const char *a;
	int ok = 0;
	for (int tries = 1; tries <= FRONTEND_TRIES; tries++) {
		strbuf_reset(&q);
		if (tries == 1)
			strbuf_addf(&q, "\n%s: %s.\n", run_step_title(run, i), what);
		if (word)
			run_confirm_question(run, i, &q);
		else
			strbuf_addstr(&q, _("Go on? Type yes:"));
		if (frontend_ask(q.buf, &answer) < 0)
			break;
		strbuf_rtrim(&answer);
		a = answer.buf + strspn(answer.buf, " \t");
		if (word ? !strcmp(a, word) : !strcasecmp(a, "yes")) {
			/* the log says it in English, the terminal in the
			 * operator's language */
			struct strbuf en = STRBUF_INIT, en_what = STRBUF_INIT;
			int was = i18n_english(1);
			run_step_destructive(run, i, &en_what);
			frontend_confirmed(&en, run_step_name(run, i), word, en_what.buf);
			i18n_english(was);
			strbuf_reset(&q);
			frontend_confirmed(&q, run_step_name(run, i), word, what);
			report_log_l10n(r, LOG_INFO, q.buf, "%s", en.buf);
			strbuf_release(&en);
			strbuf_release(&en_what);
			ok = 1;
			break;
		}
		if (!strcasecmp(a, "no") || !strcasecmp(a, "n"))
			break;
		/* said on the terminal and in the log; what was typed stays off
		 * the log (it might be anything) */
		if (FRONTEND_TRIES - tries == 1)
			report_log(r, LOG_WARN, "step %s: the answer does not match \"%s\": type it "
				   "exactly as shown, or no to stop (1 more try)", run_step_name(run, i),
				   word ? word : "yes");
		else if (tries < FRONTEND_TRIES)
			report_log(r, LOG_WARN, "step %s: the answer does not match \"%s\": type it "
				   "exactly as shown, or no to stop (%d more tries)", run_step_name(run, i),
				   word ? word : "yes", FRONTEND_TRIES - tries);
		else {
			report_log(r, LOG_WARN, "step %s: the answer does not match \"%s\" (%d tries)",
				   run_step_name(run, i), word ? word : "yes", FRONTEND_TRIES);
			ok = -1;
		}
	}
	strbuf_release(&q);
	strbuf_release(&answer);
	return ok;
}

void frontend_confirmed(struct strbuf *out, const char *name, const char *word, const char *what)
{
	if (word)
		strbuf_addf(out, _("step %s: the operator typed \"%s\" to confirm: %s"), name, word,
			    what);
	else
		strbuf_addf(out, _("step %s: the operator confirmed: %s"), name, what);
}

const char *frontend_ssh_warning(void)
{
	const char *ssh = getenv("SSH_CONNECTION"), *tty = getenv("SSH_TTY");
	if ((!ssh || !*ssh) && (!tty || !*tty))
		return NULL;
	if ((getenv("TMUX") && *getenv("TMUX")) || (getenv("STY") && *getenv("STY")))
		return NULL;
	return N_("running over SSH outside tmux or screen: if the connection drops, the "
		  "restore stops at its next safe point (the old data stays); for a long "
		  "restore, quit and start it inside tmux or screen");
}

int batch_run(struct run *run, const struct batch_opts *o)
{
	struct batch_state st;
	struct report r;
	struct strbuf sb = STRBUF_INIT;
	int aborted = 0;

	batch_report_init(&r, &st, o->log);
	if (o->banner)
		fprintf(stderr, "%s\n", o->banner);
	if (frontend_ssh_warning())
		report_log_l10n(&r, LOG_WARN, _(frontend_ssh_warning()), "%s",
				frontend_ssh_warning());
	for (size_t i = 0; i < run_step_count(run); i++) {
		const char *name = run_step_name(run, i);
		struct err e = ERR_INIT;
		if (!run_step_selected(run, i))
			continue;
		strbuf_reset(&sb);
		if (!o->yes && run_step_destructive(run, i, &sb)) {
			int c = confirm_step(&r, run, i, sb.buf, run_confirm_word(run, i));
			if (c <= 0) {
				if (batch_interrupted())
					report_log_stopped(&r, LOG_WARN, "stopping before step %s: %s",
							   name);
				else if (c < 0)
					report_log(&r, LOG_WARN, "not confirmed: the typed confirmation "
						   "did not match %d times; stopping before step %s, "
						   "nothing more was changed", FRONTEND_TRIES, name);
				else
					report_log(&r, LOG_WARN, "not confirmed: stopping before step %s",
						   name);
				aborted = c < 0 && !batch_interrupted() ? 3 : 1;
				break;
			}
		}
		if (run_step(run, i, &r, &e) < 0) {
			/* the step logged its error in full (run_step) */
			clear_progress(&st);
			err_clear(&e);
			if (batch_interrupted())
				aborted = 1;
			break;
		}
		clear_progress(&st);
		if (batch_interrupted()) {
			report_log_stopped(&r, LOG_WARN, "stopping after step %s: %s", name);
			aborted = 1;
			break;
		}
	}
	clear_progress(&st);
	strbuf_reset(&sb);
	if (batch_interrupted())
		run_set_stopped(run, report_cancelled(&r));
	else if (aborted == 3)
		run_set_stopped(run, REPORT_STOP_MISMATCH);
	else if (aborted)
		run_set_stopped(run, 1); /* not confirmed */
	run_cleanups(run, &r); /* what the cleanups did goes into the summary */
	{
		struct strbuf shown = STRBUF_INIT;
		run_summary(run, &shown);
		strbuf_rtrim(&shown);
		strbuf_addf(&sb, _("\nSummary:\n%s"), shown.buf);
		frontend_print(sb.buf);
		strbuf_release(&shown);
		strbuf_reset(&sb);
	}
	logfile_write(o->log, LOG_INFO, "summary follows");
	/* the log's summary is the English one */
	strbuf_reset(&sb);
	{
		int was = i18n_english(1);
		run_summary(run, &sb);
		i18n_english(was);
	}
	for (char *line = sb.buf, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		logfile_write(o->log, LOG_INFO, line);
	}
	strbuf_release(&sb);
	if (aborted == 3 && !batch_interrupted())
		return EXIT_NOT_CONFIRMED;
	return aborted ? EXIT_ABORTED : run_exit_code(run);
}
