/* client: line mode attached to a runner; see client.h. */
#include "config.h"
#include "client.h"
#include "cli.h"
#include "frontend.h"
#include "i18n.h"
#include "proto.h"
#include "rundir.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

int client_hung_up(void)
{
	return got_signal == SIGHUP;
}

void client_install_signals(void)
{
	frontend_catch_signals(on_signal);
}

void client_who_am_i(struct strbuf *out)
{
	struct passwd *pw = getpwuid(getuid());
	const char *tty = ttyname(0), *ssh = getenv("SSH_CONNECTION");
	strbuf_addstr(out, pw ? pw->pw_name : "?");
	if (tty)
		strbuf_addf(out, _(" on %s"), strncmp(tty, "/dev/", 5) ? tty : tty + 5);
	if (ssh && *ssh)
		strbuf_addf(out, _(" from %.*s"), (int)strcspn(ssh, " "), ssh);
	strbuf_addf(out, _(" (pid %ld)"), (long)getpid());
}

struct cstate {
	struct proto_conn c;
	struct batch_state bst;
	struct report r;
	int tty;              /* /dev/tty, -1: none */
	struct strbuf line;   /* typed so far */
	uint32_t qid;         /* the question being asked, 0: none */
	enum proto_ask kind;
	int control;          /* this client answers */
	int readonly;         /* told another client answers */
	char *who;            /* who answers: "root on pts/4 (pid 42)" (taken
				 over) or "... since 10:59:02" (was first) */
	char took_at[16];     /* when it took over (HH:MM:SS), "" when it
				 answered before this client came */
	int cancel_sent;
	const struct client_opts *o;
};

static void say(struct cstate *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct cstate *s, const char *fmt, ...)
{
	va_list ap;
	struct strbuf sb = STRBUF_INIT;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	frontend_print(sb.buf);
	strbuf_release(&sb);
}

static int send_msg(struct cstate *s, const struct proto_msg *m)
{
	struct err e = ERR_INIT;
	int rc = proto_send(&s->c, m, &e);
	err_clear(&e);
	return rc;
}

static void prompt(struct cstate *s, const struct proto_msg *m)
{
	struct strbuf q = STRBUF_INIT;
	const char *word = m->u.question.n_choices ? m->u.question.choices[0] : NULL;
	strbuf_addstr(&q, m->u.question.text);
	switch (m->u.question.kind) {
	case PROTO_ASK_YESNO:
		batch_confirm_prompt(&q, NULL);
		break;
	case PROTO_ASK_TYPED:
		batch_confirm_prompt(&q, word);
		break;
	case PROTO_ASK_RETRY:
		strbuf_addf(&q, "\n%s", _("Type retry, skip or abort:"));
		break;
	case PROTO_ASK_STEP:
		/* a wizard's run, attached in line mode */
		strbuf_addf(&q, "\n%s", _("Type run, skip or abort:"));
		break;
	case PROTO_ASK_BACKUP:
		strbuf_addf(&q, "\n%s", _("Which backup? Type its name, or abort:"));
		for (uint32_t k = 0; k < m->u.question.n_choices; k++)
			strbuf_addf(&q, "\n  %s", m->u.question.choices[k]);
		break;
	}
	if (s->tty >= 0)
		frontend_put_question(s->tty, q.buf);
	strbuf_release(&q);
	strbuf_reset(&s->line);
}

static void answer(struct cstate *s, const char *value)
{
	struct proto_msg a = { .type = PROTO_ANSWER };
	a.u.answer.id = s->qid;
	a.u.answer.value = (char *)value;
	s->qid = 0;
	send_msg(s, &a);
}

/* One message from the runner.  1: the end (*@code set). */
static int on_message(struct cstate *s, struct proto_msg *m, int *code)
{
	switch (m->type) {
	case PROTO_LOG:
		/* the runner sends the line in its operator's language */
		s->r.log_l10n(s->r.ctx, (enum log_level)m->u.log.level, m->u.log.text,
			      m->u.log.text);
		break;
	case PROTO_PROGRESS: {
		struct progress p = { 0 };
		p.phase = *m->u.progress.label ? m->u.progress.label : NULL;
		p.done_bytes = m->u.progress.done;
		p.total_bytes = m->u.progress.total;
		p.done_items = m->u.progress.items;
		p.current = *m->u.progress.item ? m->u.progress.item : NULL;
		s->r.progress(s->r.ctx, &p);
		break;
	}
	case PROTO_STEP:
		if (s->o->reattach) {
			static const char *const words[] = {
				NULL, N_("pending"), N_("running"), N_("done"), N_("failed"),
				N_("skipped"), N_("waiting for an answer"),
			};
			say(s, _("step %u/%u %s: %s"), m->u.step.step, m->u.step.nsteps,
			    m->u.step.title, _(words[m->u.step.state]));
		}
		break;
	case PROTO_QUESTION:
		if (!s->control) {
			say(s, _("The run asks (another terminal answers): %s"), m->u.question.text);
			break;
		}
		s->qid = m->u.question.id;
		s->kind = m->u.question.kind;
		prompt(s, m);
		break;
	case PROTO_NOTICE:
		switch (m->u.notice.kind) {
		case PROTO_NOTICE_CONTROL:
			s->control = 1;
			s->readonly = 0;
			if (s->o->reattach)
				say(s, _("Attached: this terminal answers the run's questions."));
			break;
		case PROTO_NOTICE_READ_ONLY:
			s->control = 0;
			s->readonly = 1;
			free(s->who);
			s->who = xstrdup(m->u.notice.text);
			s->took_at[0] = '\0';
			say(s, _("%s is attached and answers the questions; this terminal only "
				 "watches. Type takeover and Enter to answer them here."),
			    m->u.notice.text);
			break;
		case PROTO_NOTICE_TAKEN_OVER: {
			time_t now = time(NULL);
			struct tm tm;
			s->control = 0;
			s->readonly = 1;
			s->qid = 0;
			free(s->who);
			s->who = xstrdup(m->u.notice.text);
			localtime_r(&now, &tm);
			strftime(s->took_at, sizeof s->took_at, "%H:%M:%S", &tm);
			say(s, _("%s took over: this terminal only watches now (read-only). "
				 "Type takeover and Enter to take it back."),
			    m->u.notice.text);
			break;
		}
		}
		break;
	case PROTO_END:
		{
			char *sum = xstrdup(m->u.end.summary);
			size_t n = strlen(sum);
			while (n && sum[n - 1] == '\n')
				sum[--n] = '\0';
			if (n)
				frontend_print(sum);
			free(sum);
		}
		*code = m->u.end.code;
		return 1;
	default:
		break;
	}
	return 0;
}

/* A line typed on the terminal. */
static void on_line(struct cstate *s, const char *line)
{
	if (s->qid && s->control) {
		answer(s, line);
		return;
	}
	if (!strcmp(line, "takeover")) {
		struct proto_msg t = { .type = PROTO_TAKEOVER };
		send_msg(s, &t);
	} else if (s->readonly && *line) {
		/* typed as an answer: say it went nowhere, and whose the
		 * questions are, before the run's next line can read as a
		 * reply to it */
		if (s->took_at[0])
			say(s, _("This terminal is read-only: %s took over at %s; your answer was "
				 "not sent. Type takeover and Enter to answer here."),
			    s->who ? s->who : "?", s->took_at);
		else
			say(s, _("This terminal is read-only: %s answers the questions; your answer "
				 "was not sent. Type takeover and Enter to answer here."),
			    s->who ? s->who : "?");
	}
}

int client_follow(const struct client_opts *o)
{
	struct cstate s;
	struct err e = ERR_INIT;
	struct strbuf who = STRBUF_INIT;
	struct proto_msg hello = { .type = PROTO_HELLO };
	int fd, code = 1, ended = 0;

	memset(&s, 0, sizeof s);
	s.o = o;
	strbuf_init(&s.line, 0);
	fd = rundir_connect(o->socket_path, &e);
	if (fd < 0) {
		cli_print_err(NULL, &e);
		return EXIT_USAGE;
	}
	if (proto_conn_init(&s.c, fd, &e) < 0) {
		cli_print_err(NULL, &e);
		close(fd);
		return EXIT_USAGE;
	}
	batch_report_init(&s.r, &s.bst, NULL);
	if (o->reattach) {
		strbuf_addf(&who, _("%s: attaching to it (run %s, runner pid %ld, log %s).\n"),
			    o->running ? o->running : _("A restore of this instance is running"),
			    o->run_id ? o->run_id : "?", o->runner_pid, o->log_path ? o->log_path : "?");
		strbuf_rtrim(&who);
		frontend_print(who.buf);
		strbuf_reset(&who);
	}
	s.tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	client_who_am_i(&who);
	hello.u.hello.version = PROTO_VERSION;
	hello.u.hello.role = o->watch ? PROTO_ROLE_WATCH : PROTO_ROLE_CONTROL;
	hello.u.hello.who = who.buf;
	send_msg(&s, &hello);
	strbuf_release(&who);

	while (!ended) {
		struct pollfd pfd[2];
		nfds_t n = 1;
		pfd[0] = (struct pollfd){ s.c.fd, POLLIN, 0 };
		if (s.c.out_off < s.c.out.len)
			pfd[0].events |= POLLOUT;
		/* the terminal is read at a question (what was typed ahead waits
		 * for it, as fgets() found it), or for a takeover while
		 * another client answers */
		if (s.tty >= 0 && (s.qid || s.readonly)) {
			pfd[1] = (struct pollfd){ s.tty, POLLIN, 0 };
			n = 2;
		}
		if (got_signal == SIGHUP) {
			/* the terminal is gone: the run goes on without us */
			code = EXIT_ABORTED;
			break;
		}
		if (got_signal && !s.cancel_sent) {
			struct proto_msg c = { .type = PROTO_CANCEL };
			c.u.cancel.why = REPORT_STOP_SIGNAL(got_signal);
			s.cancel_sent = 1;
			if (!s.control)
				say(&s, _("This terminal only watches: the run goes on (%s to stop it "
					  "there)."), "Ctrl-C");
			send_msg(&s, &c);
		}
		if (poll(pfd, n, 1000) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents & POLLOUT && proto_flush(&s.c, &e) < 0)
			break;
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			struct proto_msg m;
			int rc, r = proto_read(&s.c, &e);
			while ((rc = proto_next(&s.c, &m, &e)) == 1) {
				ended = on_message(&s, &m, &code);
				proto_msg_clear(&m);
				if (ended)
					break;
			}
			if (ended)
				break;
			if (rc < 0 || r <= 0)
				break;
		}
		if (n == 2 && pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			char buf[256];
			ssize_t k;
			if (pfd[1].revents & (POLLHUP | POLLERR)) {
				/* hung up: the terminal is gone, which decides
				 * nothing (SIGHUP is on its way) */
				got_signal = SIGHUP;
				continue;
			}
			k = read(s.tty, buf, sizeof buf);
			if (k < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (k < 0) {
				got_signal = SIGHUP; /* EIO: hung up, as above */
				continue;
			}
			if (k == 0) {
				/* end of input (Ctrl-D) at a question: not
				 * confirmed, as line mode always took it */
				if (s.qid && s.control)
					answer(&s, "n");
				close(s.tty);
				s.tty = -1;
				continue;
			}
			for (ssize_t j = 0; j < k; j++) {
				if (buf[j] == '\n' || buf[j] == '\r') {
					frontend_answered(); /* its echo ended the line */
					strbuf_rtrim(&s.line);
					on_line(&s, s.line.buf);
					strbuf_reset(&s.line);
				} else {
					strbuf_addch(&s.line, buf[j]);
				}
			}
		}
	}
	err_clear(&e);
	if (!ended && got_signal != SIGHUP) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, _("biso-recover: the runner (pid %ld) ended without finishing the "
				   "run; its log: %s\n"),
			    o->runner_pid, o->log_path ? o->log_path : "?");
		/* killed (kill -9, OOM): the journal has no end, so the run
		 * can be continued where it stopped */
		if (o->resume_cmd)
			strbuf_addf(&sb, _("To see where it stopped and continue it, run with the same "
					   "options:\n  %s\n"), o->resume_cmd);
		strbuf_rtrim(&sb);
		frontend_print(sb.buf);
		strbuf_release(&sb);
		code = EXIT_FAILED;
	}
	if (s.tty >= 0)
		close(s.tty);
	close(s.c.fd);
	proto_conn_release(&s.c);
	strbuf_release(&s.line);
	free(s.who);
	return code;
}
