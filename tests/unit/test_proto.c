/* Unit tests for the runner/client protocol over a socketpair: every
 * message arrives as sent, frames split over single bytes and stalled
 * writes arrive whole, malformed and oversized frames are refused. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "proto.h"
#include "report.h"
#include "strbuf.h"

struct pair {
	int fd[2];
	struct proto_conn a, b;
};

static void pair_open(struct pair *p)
{
	struct err e = ERR_INIT;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->fd), 0);
	assert_int_equal(proto_conn_init(&p->a, p->fd[0], &e), 0);
	assert_int_equal(proto_conn_init(&p->b, p->fd[1], &e), 0);
}

static void pair_close(struct pair *p)
{
	proto_conn_release(&p->a);
	proto_conn_release(&p->b);
	if (p->fd[0] >= 0)
		close(p->fd[0]);
	if (p->fd[1] >= 0)
		close(p->fd[1]);
}

/* Read on @c until a message arrives (the sender has flushed it). */
static void recv_one(struct proto_conn *c, struct proto_msg *m)
{
	struct err e = ERR_INIT;
	int ret;
	while ((ret = proto_next(c, m, &e)) == 0) {
		struct pollfd pfd = { c->fd, POLLIN, 0 };
		assert_int_equal(poll(&pfd, 1, -1), 1);
		assert_int_not_equal(proto_read(c, &e), -1);
	}
	if (ret < 0)
		fail_msg("%s", e.msg);
}

static char *choices[] = { "20261205-0200", "20261204-0200", "20261203-0200" };

static void every_message_arrives_as_sent(void **state)
{
	struct pair p;
	struct err e = ERR_INIT;
	struct proto_msg out[10], in;
	(void)state;
	memset(out, 0, sizeof out);
	out[0].type = PROTO_HELLO;
	out[0].u.hello.version = PROTO_VERSION;
	out[0].u.hello.role = PROTO_ROLE_CONTROL;
	out[0].u.hello.who = "root on pts/3 from 10.0.0.7";
	out[1].type = PROTO_PROGRESS;
	out[1].u.progress.step = 4;
	out[1].u.progress.nsteps = 7;
	out[1].u.progress.done = 5ULL << 32; /* above 4 GiB: the u64 halves */
	out[1].u.progress.total = 9ULL << 32;
	out[1].u.progress.rate = 123456789;
	out[1].u.progress.label = "replaying public.documents";
	out[2].type = PROTO_LOG;
	out[2].u.log.level = LOG_WARN;
	out[2].u.log.time = 1796500857123ull; /* the time it was logged */
	out[2].u.log.text = "NOTICE:  ünïcödé survives";
	out[3].type = PROTO_QUESTION;
	out[3].u.question.id = 7;
	out[3].u.question.kind = PROTO_ASK_BACKUP;
	out[3].u.question.text = "Which backup?";
	out[3].u.question.choices = choices;
	out[3].u.question.n_choices = 3;
	out[4].type = PROTO_ANSWER;
	out[4].u.answer.id = 7;
	out[4].u.answer.value = "20261204-0200";
	out[5].type = PROTO_STEP;
	out[5].u.step.step = 4;
	out[5].u.step.nsteps = 7;
	out[5].u.step.state = PROTO_STEP_WAITING;
	out[5].u.step.title = "database";
	out[6].type = PROTO_END;
	out[6].u.end.code = -3;
	out[6].u.end.summary = NULL; /* sent as "" */
	out[7].type = PROTO_NOTICE;
	out[7].u.notice.kind = PROTO_NOTICE_TAKEN_OVER;
	out[7].u.notice.text = "root on pts/5 took over at 10:59";
	out[8].type = PROTO_TAKEOVER;
	out[9].type = PROTO_CANCEL;
	out[9].u.cancel.why = 0x100 | 2; /* REPORT_STOP_SIGNAL(SIGINT) */

	pair_open(&p);
	for (int i = 0; i < 10; i++)
		assert_int_equal(proto_send(&p.a, &out[i], &e), 1);

	recv_one(&p.b, &in);
	assert_int_equal(in.type, PROTO_HELLO);
	assert_int_equal(in.u.hello.version, PROTO_VERSION);
	assert_int_equal(in.u.hello.role, PROTO_ROLE_CONTROL);
	assert_string_equal(in.u.hello.who, out[0].u.hello.who);
	proto_msg_clear(&in);
	recv_one(&p.b, &in);
	assert_int_equal(in.type, PROTO_PROGRESS);
	assert_int_equal(in.u.progress.step, 4);
	assert_int_equal(in.u.progress.nsteps, 7);
	assert_true(in.u.progress.done == 5ULL << 32);
	assert_true(in.u.progress.total == 9ULL << 32);
	assert_int_equal(in.u.progress.rate, 123456789);
	assert_string_equal(in.u.progress.label, "replaying public.documents");
	proto_msg_clear(&in);
	recv_one(&p.b, &in);
	assert_int_equal(in.type, PROTO_LOG);
	assert_int_equal(in.u.log.level, LOG_WARN);
	assert_true(in.u.log.time == 1796500857123ull);
	assert_string_equal(in.u.log.text, out[2].u.log.text);
	proto_msg_clear(&in);
	recv_one(&p.b, &in);
	assert_int_equal(in.type, PROTO_QUESTION);
	assert_int_equal(in.u.question.id, 7);
	assert_int_equal(in.u.question.kind, PROTO_ASK_BACKUP);
	assert_string_equal(in.u.question.text, "Which backup?");
	assert_int_equal(in.u.question.n_choices, 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(in.u.question.choices[i], choices[i]);
	proto_msg_clear(&in);
	recv_one(&p.b, &in);
	assert_int_equal(in.type, PROTO_ANSWER);
	assert_int_equal(in.u.answer.id, 7);
	assert_string_equal(in.u.answer.value, "20261204-0200");
	proto_msg_clear(&in);
	recv_one(&p.b, &in);
	assert_int_equal(in.type, PROTO_STEP);
	assert_int_equal(in.u.step.state, PROTO_STEP_WAITING);
	assert_string_equal(in.u.step.title, "database");
	proto_msg_clear(&in);
	recv_one(&p.b, &in);
	assert_int_equal(in.type, PROTO_END);
	assert_int_equal(in.u.end.code, -3);
	assert_string_equal(in.u.end.summary, "");
	proto_msg_clear(&in);
	recv_one(&p.b, &in);
	assert_int_equal(in.type, PROTO_NOTICE);
	assert_int_equal(in.u.notice.kind, PROTO_NOTICE_TAKEN_OVER);
	assert_string_equal(in.u.notice.text, out[7].u.notice.text);
	proto_msg_clear(&in);
	recv_one(&p.b, &in);
	assert_int_equal(in.type, PROTO_TAKEOVER);
	proto_msg_clear(&in);
	recv_one(&p.b, &in);
	assert_int_equal(in.type, PROTO_CANCEL);
	assert_int_equal(in.u.cancel.why, 0x102);
	proto_msg_clear(&in);
	assert_int_equal(proto_next(&p.b, &in, &e), 0);

	/* the sender closes: end of file at a frame boundary is no error */
	close(p.fd[0]);
	p.fd[0] = -1;
	assert_int_equal(proto_read(&p.b, &e), 0);
	assert_true(p.b.eof);
	assert_int_equal(proto_next(&p.b, &in, &e), 0);
	assert_null(e.msg);
	pair_close(&p);
}

/* A step's VIEW: its pairs in order, a repeated key, an empty value; a
 * field count over the limit is refused on both sides. */
static void a_view_arrives_with_its_pairs(void **state)
{
	struct pair p;
	struct err e = ERR_INIT;
	struct proto_msg out = { .type = PROTO_VIEW }, in;
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	out.u.view.index = 3;
	out.u.view.count = 6;
	out.u.view.state = PROTO_STEP_WAITING;
	proto_view_add(&out, "title", "Restore the database");
	proto_view_add(&out, "backup", "2026-12-06 02:00  biso.sql.gz");
	proto_view_add(&out, "backup", "2026-12-05 02:00  biso.sql.gz");
	proto_view_add(&out, "what", NULL);
	pair_open(&p);
	assert_int_equal(proto_send(&p.a, &out, &e), 1);
	recv_one(&p.b, &in);
	assert_int_equal(in.type, PROTO_VIEW);
	assert_int_equal(in.u.view.index, 3);
	assert_int_equal(in.u.view.count, 6);
	assert_int_equal(in.u.view.state, PROTO_STEP_WAITING);
	assert_int_equal(in.u.view.n_fields, 4);
	assert_string_equal(proto_view_get(&in, "title", 0), "Restore the database");
	assert_string_equal(proto_view_get(&in, "backup", 1), "2026-12-05 02:00  biso.sql.gz");
	assert_null(proto_view_get(&in, "backup", 2));
	assert_string_equal(proto_view_get(&in, "what", 0), "");
	assert_null(proto_view_get(&in, "word", 0));
	proto_msg_clear(&in);
	pair_close(&p);
	/* a step past the flow's steps */
	out.u.view.index = 7;
	assert_int_equal(proto_encode(&out, &sb, &e), -1);
	assert_non_null(strstr(e.msg, "a step past the flow's steps"));
	err_clear(&e);
	assert_int_equal(sb.len, 0);
	proto_msg_clear(&out);
	strbuf_release(&sb);
}

static void a_frame_split_into_single_bytes_arrives_whole(void **state)
{
	struct pair p;
	struct err e = ERR_INIT;
	struct strbuf frame = STRBUF_INIT;
	struct proto_msg m = { .type = PROTO_ANSWER }, in;
	(void)state;
	m.u.answer.id = 3;
	m.u.answer.value = "biso_copy";
	assert_int_equal(proto_encode(&m, &frame, &e), 0);
	pair_open(&p);
	for (size_t i = 0; i < frame.len; i++) {
		assert_int_equal(proto_next(&p.b, &in, &e), 0); /* not yet whole */
		assert_int_equal(write(p.fd[0], frame.buf + i, 1), 1);
		assert_int_equal(proto_read(&p.b, &e), 1);
	}
	assert_int_equal(proto_next(&p.b, &in, &e), 1);
	assert_int_equal(in.u.answer.id, 3);
	assert_string_equal(in.u.answer.value, "biso_copy");
	proto_msg_clear(&in);
	strbuf_release(&frame);
	pair_close(&p);
}

static void a_stalled_write_is_finished_by_flush(void **state)
{
	struct pair p;
	struct err e = ERR_INIT;
	struct proto_msg m = { .type = PROTO_LOG }, in;
	char *big = xmalloc(PROTO_MAX_STRING + 1);
	int small = 4096, sent, got = 0;
	(void)state;
	memset(big, 'x', PROTO_MAX_STRING);
	big[PROTO_MAX_STRING] = '\0';
	m.u.log.level = LOG_INFO;
	m.u.log.text = big;
	pair_open(&p);
	assert_int_equal(setsockopt(p.fd[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
	assert_int_equal(setsockopt(p.fd[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
	/* 20 frames of 64 KiB: far more than the socket holds */
	sent = proto_send(&p.a, &m, &e);
	for (int i = 1; i < 20; i++)
		assert_int_not_equal(proto_send(&p.a, &m, &e), -1);
	assert_int_equal(sent, 0);   /* the first already stalled */
	assert_true(p.a.out.len > 0); /* and the rest is queued */
	while (got < 20) {
		int ret;
		assert_int_not_equal(proto_flush(&p.a, &e), -1);
		assert_int_not_equal(proto_read(&p.b, &e), -1);
		while ((ret = proto_next(&p.b, &in, &e)) == 1) {
			assert_int_equal(in.type, PROTO_LOG);
			assert_int_equal(strlen(in.u.log.text), PROTO_MAX_STRING);
			assert_string_equal(in.u.log.text, big);
			proto_msg_clear(&in);
			got++;
		}
		assert_int_equal(ret, 0);
	}
	assert_int_equal(proto_flush(&p.a, &e), 1);
	free(big);
	pair_close(&p);
}

static void a_longer_string_is_cut_at_the_limit(void **state)
{
	struct strbuf frame = STRBUF_INIT;
	struct err e = ERR_INIT;
	struct proto_msg m = { .type = PROTO_LOG }, in;
	char *big = xmalloc(PROTO_MAX_STRING + 101);
	size_t used;
	(void)state;
	memset(big, 'y', PROTO_MAX_STRING + 100);
	big[PROTO_MAX_STRING + 100] = '\0';
	m.u.log.level = LOG_ERROR;
	m.u.log.text = big;
	assert_int_equal(proto_encode(&m, &frame, &e), 0);
	assert_int_equal(proto_decode(frame.buf, frame.len, &in, &used, &e), 1);
	assert_int_equal(used, frame.len);
	assert_int_equal(strlen(in.u.log.text), PROTO_MAX_STRING);
	proto_msg_clear(&in);
	strbuf_release(&frame);
	free(big);
}

/* Decode @len bytes of @bytes; the error must contain @want. */
static void refused(const char *bytes, size_t len, const char *want)
{
	struct proto_msg m;
	struct err e = ERR_INIT;
	size_t used = 0;
	assert_int_equal(proto_decode(bytes, len, &m, &used, &e), -1);
	assert_non_null(e.msg);
	if (!strstr(e.msg, want))
		fail_msg("expected \"%s\" in \"%s\"", want, e.msg);
	err_clear(&e);
}

static void malformed_frames_are_refused_with_what_is_wrong(void **state)
{
	struct proto_msg m;
	struct err e = ERR_INIT;
	size_t used = 0;
	(void)state;
	/* oversized: refused from its length word, before the body came */
	refused("\x00\x10\x00\x01", 4, "refused a protocol frame of 1048577 bytes");
	refused("\xff\xff\xff\xff", 4, "refused a protocol frame of 4294967295 bytes");
	refused("\x00\x00\x00\x00", 4, "refused a protocol frame of 0 bytes");
	refused("\x00\x00\x00\x01\x2a", 5, "unknown message type");
	/* an ANSWER whose string runs past its frame */
	refused("\x00\x00\x00\x0a\x05\x00\x00\x00\x01\x00\x00\x00\x09y", 14,
		"a string runs past the end of the frame");
	/* an ANSWER with a NUL in its value */
	refused("\x00\x00\x00\x0b\x05\x00\x00\x00\x01\x00\x00\x00\x02y\x00", 15,
		"a NUL byte in a string");
	/* an ANSWER with a byte after its last field */
	refused("\x00\x00\x00\x0b\x05\x00\x00\x00\x01\x00\x00\x00\x01yz", 15,
		"bytes after the last field (byte 14 of its frame)");
	/* a TAKEOVER that has a field */
	refused("\x00\x00\x00\x02\x09\x00", 6, "bytes after the last field");
	/* a LOG of level 9 (its time 0, its text "") */
	refused("\x00\x00\x00\x0e\x03\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 18,
		"unknown log level");
	/* a HELLO cut inside its version */
	refused("\x00\x00\x00\x03\x01\x00\x00", 7, "the frame ends inside a field");
	/* a QUESTION with 65 choices */
	refused("\x00\x00\x00\x0e\x04\x00\x00\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x41", 18,
		"too many choices");
	/* a STEP in state 0 */
	refused("\x00\x00\x00\x0e\x06\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x00\x00", 18,
		"unknown step state");
	/* incomplete is not malformed */
	assert_int_equal(proto_decode("\x00\x00\x00\x0b\x05\x00", 6, &m, &used, &e), 0);
	assert_int_equal(proto_decode("\x00\x00", 2, &m, &used, &e), 0);
	assert_null(e.msg);
}

static void the_encoder_refuses_what_the_decoder_would(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct err e = ERR_INIT;
	struct proto_msg m = { .type = PROTO_NOTICE };
	(void)state;
	m.u.notice.kind = 0;
	assert_int_equal(proto_encode(&m, &out, &e), -1);
	assert_non_null(strstr(e.msg, "unknown notice kind"));
	assert_int_equal(out.len, 0);
	err_clear(&e);
	m.type = 77;
	assert_int_equal(proto_encode(&m, &out, &e), -1);
	assert_non_null(strstr(e.msg, "unknown message type"));
	err_clear(&e);
}

static void a_cut_connection_and_a_gone_peer_are_errors(void **state)
{
	struct pair p;
	struct err e = ERR_INIT;
	struct proto_msg m = { .type = PROTO_TAKEOVER }, in;
	(void)state;
	pair_open(&p);
	assert_int_equal(write(p.fd[0], "\x00\x00\x00\x05\x05\x00", 6), 6);
	close(p.fd[0]);
	p.fd[0] = -1;
	while (proto_read(&p.b, &e) == 1)
		;
	assert_true(p.b.eof);
	assert_int_equal(proto_next(&p.b, &in, &e), -1);
	assert_non_null(strstr(e.msg, "closed inside a message (6 bytes of it came)"));
	err_clear(&e);
	/* sending to a closed peer: an error, not SIGPIPE */
	assert_int_equal(proto_send(&p.b, &m, &e), -1);
	assert_string_equal(e.msg, "the other side closed the connection");
	err_clear(&e);
	pair_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_message_arrives_as_sent),
		cmocka_unit_test(a_view_arrives_with_its_pairs),
		cmocka_unit_test(a_frame_split_into_single_bytes_arrives_whole),
		cmocka_unit_test(a_stalled_write_is_finished_by_flush),
		cmocka_unit_test(a_longer_string_is_cut_at_the_limit),
		cmocka_unit_test(malformed_frames_are_refused_with_what_is_wrong),
		cmocka_unit_test(the_encoder_refuses_what_the_decoder_would),
		cmocka_unit_test(a_cut_connection_and_a_gone_peer_are_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
