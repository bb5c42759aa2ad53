/* proto: see proto.h for the wire format. */
#include "config.h"

#include "proto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "report.h"

static const char *const type_names[] = {
	NULL, "hello", "progress", "log", "question", "answer", "step", "end", "notice", "takeover",
	"cancel", "view",
};

const char *proto_type_name(int type)
{
	if (type < PROTO_HELLO || type > PROTO_VIEW)
		return "?";
	return type_names[type];
}

/* The one place that says which field values exist: encode and decode both
 * ask it, so whatever decodes also encodes to the same bytes.  NULL when
 * @m is valid, else what is wrong. */
static const char *invalid(const struct proto_msg *m)
{
	switch (m->type) {
	case PROTO_HELLO:
		return m->u.hello.role < PROTO_ROLE_RUNNER || m->u.hello.role > PROTO_ROLE_WATCH ?
			       "unknown role" : NULL;
	case PROTO_LOG:
		return m->u.log.level < LOG_DEBUG || m->u.log.level > LOG_ERROR ? "unknown log level"
										 : NULL;
	case PROTO_QUESTION:
		if (m->u.question.kind < PROTO_ASK_YESNO || m->u.question.kind > PROTO_ASK_STEP)
			return "unknown question kind";
		return m->u.question.n_choices > PROTO_MAX_CHOICES ? "too many choices" : NULL;
	case PROTO_STEP:
		return m->u.step.state < PROTO_STEP_PENDING || m->u.step.state > PROTO_STEP_WAITING ?
			       "unknown step state" : NULL;
	case PROTO_NOTICE:
		return m->u.notice.kind < PROTO_NOTICE_CONTROL ||
				       m->u.notice.kind > PROTO_NOTICE_TAKEN_OVER ?
			       "unknown notice kind" : NULL;
	case PROTO_VIEW:
		if (m->u.view.state < PROTO_STEP_PENDING || m->u.view.state > PROTO_STEP_WAITING)
			return "unknown step state";
		if (m->u.view.index > m->u.view.count)
			return "a step past the flow's steps";
		return m->u.view.n_fields > PROTO_MAX_FIELDS ? "too many fields" : NULL;
	case PROTO_PROGRESS:
	case PROTO_ANSWER:
	case PROTO_END:
	case PROTO_TAKEOVER:
	case PROTO_CANCEL:
		return NULL;
	}
	return "unknown message type";
}

void proto_msg_clear(struct proto_msg *m)
{
	switch (m->type) {
	case PROTO_HELLO: free(m->u.hello.who); break;
	case PROTO_PROGRESS:
		free(m->u.progress.label);
		free(m->u.progress.item);
		break;
	case PROTO_LOG: free(m->u.log.text); break;
	case PROTO_QUESTION:
		free(m->u.question.text);
		for (uint32_t i = 0; i < m->u.question.n_choices; i++)
			free(m->u.question.choices[i]);
		free(m->u.question.choices);
		break;
	case PROTO_ANSWER: free(m->u.answer.value); break;
	case PROTO_STEP: free(m->u.step.title); break;
	case PROTO_END: free(m->u.end.summary); break;
	case PROTO_NOTICE: free(m->u.notice.text); break;
	case PROTO_TAKEOVER: break;
	case PROTO_CANCEL: break;
	case PROTO_VIEW:
		for (uint32_t i = 0; i < 2 * m->u.view.n_fields; i++)
			free(m->u.view.kv[i]);
		free(m->u.view.kv);
		break;
	}
	memset(m, 0, sizeof *m);
}

void proto_view_add(struct proto_msg *m, const char *key, const char *value)
{
	uint32_t n = m->u.view.n_fields;
	m->u.view.kv = xrealloc(m->u.view.kv, 2 * (n + 1) * sizeof(char *));
	m->u.view.kv[2 * n] = xstrdup(key);
	m->u.view.kv[2 * n + 1] = xstrdup(value ? value : "");
	m->u.view.n_fields = n + 1;
}

const char *proto_view_get(const struct proto_msg *m, const char *key, size_t nth)
{
	for (uint32_t i = 0; i < m->u.view.n_fields; i++)
		if (!strcmp(m->u.view.kv[2 * i], key) && nth-- == 0)
			return m->u.view.kv[2 * i + 1];
	return NULL;
}

/* ---- encoding ----------------------------------------------------------- */

static void put_u8(struct strbuf *b, unsigned v)
{
	strbuf_addch(b, (int)(v & 0xff));
}

static void put_u32(struct strbuf *b, uint32_t v)
{
	unsigned char w[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };
	strbuf_add(b, w, 4);
}

static void put_u64(struct strbuf *b, uint64_t v)
{
	put_u32(b, (uint32_t)(v >> 32));
	put_u32(b, (uint32_t)v);
}

/* A string up to its first NUL (a NUL cannot travel) and PROTO_MAX_STRING. */
static void put_str(struct strbuf *b, const char *s)
{
	size_t n = s ? strnlen(s, PROTO_MAX_STRING) : 0;
	put_u32(b, (uint32_t)n);
	strbuf_add(b, s ? s : "", n);
}

int proto_encode(const struct proto_msg *m, struct strbuf *out, struct err *e)
{
	const char *bad = invalid(m);
	size_t start = out->len, body;
	if (bad)
		return err_set(e, "cannot send a %s message: %s", proto_type_name(m->type), bad);
	put_u32(out, 0); /* the length, filled in below */
	put_u8(out, m->type);
	switch (m->type) {
	case PROTO_HELLO:
		put_u32(out, m->u.hello.version);
		put_u8(out, m->u.hello.role);
		put_str(out, m->u.hello.who);
		break;
	case PROTO_PROGRESS:
		put_u32(out, m->u.progress.step);
		put_u32(out, m->u.progress.nsteps);
		put_u64(out, m->u.progress.done);
		put_u64(out, m->u.progress.total);
		put_u64(out, m->u.progress.rate);
		put_str(out, m->u.progress.label);
		put_u64(out, m->u.progress.items);
		put_str(out, m->u.progress.item);
		break;
	case PROTO_LOG:
		put_u8(out, (unsigned)m->u.log.level);
		put_u64(out, m->u.log.time);
		put_str(out, m->u.log.text);
		break;
	case PROTO_QUESTION:
		put_u32(out, m->u.question.id);
		put_u8(out, m->u.question.kind);
		put_str(out, m->u.question.text);
		put_u32(out, m->u.question.n_choices);
		for (uint32_t i = 0; i < m->u.question.n_choices; i++)
			put_str(out, m->u.question.choices[i]);
		break;
	case PROTO_ANSWER:
		put_u32(out, m->u.answer.id);
		put_str(out, m->u.answer.value);
		break;
	case PROTO_STEP:
		put_u32(out, m->u.step.step);
		put_u32(out, m->u.step.nsteps);
		put_u8(out, m->u.step.state);
		put_str(out, m->u.step.title);
		break;
	case PROTO_END:
		put_u32(out, (uint32_t)m->u.end.code);
		put_str(out, m->u.end.summary);
		break;
	case PROTO_NOTICE:
		put_u8(out, m->u.notice.kind);
		put_str(out, m->u.notice.text);
		break;
	case PROTO_TAKEOVER:
		break;
	case PROTO_CANCEL:
		put_u32(out, (uint32_t)m->u.cancel.why);
		break;
	case PROTO_VIEW:
		put_u32(out, m->u.view.index);
		put_u32(out, m->u.view.count);
		put_u8(out, m->u.view.state);
		put_u32(out, m->u.view.n_fields);
		for (uint32_t i = 0; i < 2 * m->u.view.n_fields; i++)
			put_str(out, m->u.view.kv[i]);
		break;
	}
	body = out->len - start - 4;
	if (body > PROTO_MAX_FRAME) {
		strbuf_setlen(out, start);
		return err_set(e, "cannot send a %s message of %zu bytes: the limit is %u",
			       proto_type_name(m->type), body, PROTO_MAX_FRAME);
	}
	out->buf[start] = (char)(body >> 24);
	out->buf[start + 1] = (char)(body >> 16);
	out->buf[start + 2] = (char)(body >> 8);
	out->buf[start + 3] = (char)body;
	return 0;
}

/* ---- decoding ----------------------------------------------------------- */

struct reader {
	const unsigned char *p;
	size_t len, off; /* off counts from the frame's first byte (its length word) */
	const char *bad; /* the first problem, or NULL */
	size_t bad_off;
};

static void fail(struct reader *r, const char *why)
{
	if (!r->bad) {
		r->bad = why;
		r->bad_off = r->off;
	}
}

static uint32_t get_u32(struct reader *r)
{
	uint32_t v;
	if (r->bad || r->len - r->off < 4) {
		fail(r, "the frame ends inside a field");
		return 0;
	}
	v = (uint32_t)r->p[r->off] << 24 | (uint32_t)r->p[r->off + 1] << 16 |
	    (uint32_t)r->p[r->off + 2] << 8 | r->p[r->off + 3];
	r->off += 4;
	return v;
}

static unsigned get_u8(struct reader *r)
{
	if (r->bad || r->len - r->off < 1) {
		fail(r, "the frame ends inside a field");
		return 0;
	}
	return r->p[r->off++];
}

static uint64_t get_u64(struct reader *r)
{
	uint64_t hi = get_u32(r);
	return hi << 32 | get_u32(r);
}

static char *get_str(struct reader *r)
{
	uint32_t n = get_u32(r);
	if (!r->bad && n > PROTO_MAX_STRING)
		fail(r, "a string longer than the limit");
	else if (!r->bad && r->len - r->off < n)
		fail(r, "a string runs past the end of the frame");
	else if (!r->bad && memchr(r->p + r->off, '\0', n))
		fail(r, "a NUL byte in a string");
	if (r->bad)
		return xstrdup("");
	r->off += n;
	return xstrndup((const char *)r->p + r->off - n, n);
}

int proto_decode(const void *buf, size_t len, struct proto_msg *m, size_t *used, struct err *e)
{
	const unsigned char *p = buf;
	struct reader r;
	uint32_t flen;
	const char *bad;

	memset(m, 0, sizeof *m);
	if (len < 4)
		return 0;
	flen = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	if (flen == 0 || flen > PROTO_MAX_FRAME) {
		err_set(e, "refused a protocol frame of %u bytes (1 to %u allowed)", flen,
			PROTO_MAX_FRAME);
		err_detail(e, "the peer is not a biso-recover of protocol version %d", PROTO_VERSION);
		err_where(e, NULL, 0, 0);
		return -1;
	}
	if (len - 4 < flen)
		return 0;
	r = (struct reader){ p, (size_t)flen + 4, 4, NULL, 0 };
	m->type = get_u8(&r);
	switch (m->type) {
	case PROTO_HELLO:
		m->u.hello.version = get_u32(&r);
		m->u.hello.role = get_u8(&r);
		m->u.hello.who = get_str(&r);
		break;
	case PROTO_PROGRESS:
		m->u.progress.step = get_u32(&r);
		m->u.progress.nsteps = get_u32(&r);
		m->u.progress.done = get_u64(&r);
		m->u.progress.total = get_u64(&r);
		m->u.progress.rate = get_u64(&r);
		m->u.progress.label = get_str(&r);
		m->u.progress.items = get_u64(&r);
		m->u.progress.item = get_str(&r);
		break;
	case PROTO_LOG:
		m->u.log.level = (int)get_u8(&r);
		m->u.log.time = get_u64(&r);
		m->u.log.text = get_str(&r);
		break;
	case PROTO_QUESTION:
		m->u.question.id = get_u32(&r);
		m->u.question.kind = get_u8(&r);
		m->u.question.text = get_str(&r);
		{
			uint32_t n = get_u32(&r);
			if (n > PROTO_MAX_CHOICES) {
				fail(&r, "too many choices");
				break;
			}
			m->u.question.choices = xcalloc(n ? n : 1, sizeof(char *));
			for (uint32_t i = 0; i < n && !r.bad; i++) {
				m->u.question.choices[i] = get_str(&r);
				m->u.question.n_choices = i + 1;
			}
		}
		break;
	case PROTO_ANSWER:
		m->u.answer.id = get_u32(&r);
		m->u.answer.value = get_str(&r);
		break;
	case PROTO_STEP:
		m->u.step.step = get_u32(&r);
		m->u.step.nsteps = get_u32(&r);
		m->u.step.state = get_u8(&r);
		m->u.step.title = get_str(&r);
		break;
	case PROTO_END:
		m->u.end.code = (int32_t)get_u32(&r);
		m->u.end.summary = get_str(&r);
		break;
	case PROTO_NOTICE:
		m->u.notice.kind = get_u8(&r);
		m->u.notice.text = get_str(&r);
		break;
	case PROTO_TAKEOVER:
		break;
	case PROTO_CANCEL:
		m->u.cancel.why = (int32_t)get_u32(&r);
		break;
	case PROTO_VIEW:
		m->u.view.index = get_u32(&r);
		m->u.view.count = get_u32(&r);
		m->u.view.state = get_u8(&r);
		{
			uint32_t n = get_u32(&r);
			if (n > PROTO_MAX_FIELDS) {
				fail(&r, "too many fields");
				break;
			}
			m->u.view.kv = xcalloc(n ? 2 * n : 1, sizeof(char *));
			for (uint32_t i = 0; i < n && !r.bad; i++) {
				m->u.view.kv[2 * i] = get_str(&r);
				m->u.view.kv[2 * i + 1] = get_str(&r);
				m->u.view.n_fields = i + 1;
			}
		}
		break;
	default:
		r.off = 4;
		fail(&r, "unknown message type");
		m->type = PROTO_TAKEOVER; /* nothing to free */
		break;
	}
	if (!r.bad && r.off != r.len)
		fail(&r, "bytes after the last field");
	if (!r.bad && (bad = invalid(m))) {
		r.off = 4;
		fail(&r, bad);
	}
	if (r.bad) {
		unsigned type = p[4];
		proto_msg_clear(m);
		err_set(e, "refused a malformed %s message: %s (byte %zu of its frame)",
			proto_type_name((int)type), r.bad, r.bad_off);
		err_detail(e, "the peer is not a biso-recover of protocol version %d", PROTO_VERSION);
		err_where(e, NULL, 0, (int64_t)r.bad_off);
		return -1;
	}
	*used = r.len;
	return 1;
}

/* ---- connections -------------------------------------------------------- */

int proto_conn_init(struct proto_conn *c, int fd, struct err *e)
{
	int fl = fcntl(fd, F_GETFL);
	memset(c, 0, sizeof *c);
	c->fd = fd;
	strbuf_init(&c->in, 0);
	strbuf_init(&c->out, 0);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return err_errno(e, errno, "cannot make the socket non-blocking");
	return 0;
}

void proto_conn_release(struct proto_conn *c)
{
	strbuf_release(&c->in);
	strbuf_release(&c->out);
	c->out_off = 0;
}

int proto_flush(struct proto_conn *c, struct err *e)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.buf + c->out_off, c->out.len - c->out_off,
				 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EPIPE || errno == ECONNRESET)
				return err_set(e, "the other side closed the connection");
			return err_errno(e, errno, "cannot send on the socket");
		}
		c->out_off += (size_t)n;
	}
	strbuf_reset(&c->out);
	c->out_off = 0;
	return 1;
}

int proto_send(struct proto_conn *c, const struct proto_msg *m, struct err *e)
{
	if (proto_encode(m, &c->out, e) < 0)
		return -1;
	return proto_flush(c, e);
}

int proto_read(struct proto_conn *c, struct err *e)
{
	for (;;) {
		ssize_t n;
		strbuf_grow(&c->in, 64 << 10);
		n = recv(c->fd, c->in.buf + c->in.len, c->in.alloc - c->in.len - 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			if (errno == ECONNRESET) {
				c->eof = 1;
				return 0;
			}
			return err_errno(e, errno, "cannot read from the socket");
		}
		if (n == 0) {
			c->eof = 1;
			return 0;
		}
		strbuf_setlen(&c->in, c->in.len + (size_t)n);
		/* bounded: a peer that floods us is stopped by proto_next()'s limits */
		if (c->in.len > (size_t)PROTO_MAX_FRAME + 4)
			return 1;
	}
}

int proto_next(struct proto_conn *c, struct proto_msg *m, struct err *e)
{
	size_t used = 0;
	int ret = proto_decode(c->in.buf, c->in.len, m, &used, e);
	if (ret == 1) {
		memmove(c->in.buf, c->in.buf + used, c->in.len - used);
		strbuf_setlen(&c->in, c->in.len - used);
	} else if (ret == 0 && c->eof && c->in.len) {
		err_set(e, "the connection closed inside a message (%zu bytes of it came)",
			c->in.len);
		return -1;
	}
	return ret;
}
