/*
 * sqlscan: psql-compatible statement splitter; see sqlscan.h.
 *
 * A hand-written version of the parts of psql's psqlscan.l (PostgreSQL 15)
 * that decide statement boundaries.  The state survives between pieces of
 * input: a token that needs more lookahead than was fed so far leaves the
 * scan position at its start and asks for more (SQLSCAN_MORE).
 */
#include "config.h"
#include "sqlscan.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

enum {
	ST_NORMAL,
	ST_XQ,    /* '...' without backslash escapes; also B'', X'', U&'' */
	ST_XE,    /* E'...', or '...' with standard_conforming_strings off */
	ST_XD,    /* "..." */
	ST_XC,    /* block comment, xcdepth deep */
	ST_XDOLQ, /* $tag$...$tag$ */
	ST_LCOMMENT, /* -- comment inside a statement */
	ST_IDENT,    /* the rest of an identifier too long to be a keyword */
	ST_DIGITS,   /* the rest of a long number or $n parameter */
	ST_SKIPLINE, /* the rest of a comment or meta-command line past SQLSCAN_LINE_MAX */
};

/* An identifier or number this long (longer than any keyword we look for)
 * is consumed as it comes instead of being scanned again from its start. */
#define TOKEN_STREAM 16

/* copy_state */
enum { CP_UNKNOWN = 0, CP_NO = -1, CP_COPY = 1, CP_FROM = 2, CP_STDIN = 3 };

void sqlscan_init(struct sqlscan *s)
{
	memset(s, 0, sizeof(*s));
	s->std_strings = 1;
	strbuf_init(&s->toc, 0);
	strbuf_init(&s->toc_type, 0);
	strbuf_init(&s->toc_what, 0);
	strbuf_init(&s->buf, 0);
	strbuf_init(&s->tag, 0);
	strbuf_init(&s->meta, 0);
	s->restore_byte = -1;
	s->line = 1;
	s->section = SQLSCAN_PRE_DATA;
}

void sqlscan_release(struct sqlscan *s)
{
	strbuf_release(&s->toc);
	strbuf_release(&s->toc_type);
	strbuf_release(&s->toc_what);
	strbuf_release(&s->buf);
	strbuf_release(&s->tag);
	strbuf_release(&s->meta);
}

void sqlscan_feed(struct sqlscan *s, const char *data, size_t len)
{
	strbuf_add(&s->buf, data, len);
}

void sqlscan_eof(struct sqlscan *s)
{
	s->eof = 1;
}

void sqlscan_add_lines(struct sqlscan *s, long n)
{
	s->line += n;
}

long sqlscan_line(const struct sqlscan *s)
{
	return s->line;
}

size_t sqlscan_pending(const struct sqlscan *s)
{
	return s->buf.len - s->start;
}

long sqlscan_stmt_line(const struct sqlscan *s)
{
	return s->started ? s->stmt_line : 0;
}

enum sqlscan_encoding sqlscan_encoding_of(const char *name)
{
	char clean[32];
	size_t n = 0;
	static const struct { const char *name; enum sqlscan_encoding enc; } tab[] = {
		{ "sjis", SQLSCAN_ENC_SJIS }, { "mskanji", SQLSCAN_ENC_SJIS },
		{ "shiftjis", SQLSCAN_ENC_SJIS }, { "win932", SQLSCAN_ENC_SJIS },
		{ "windows932", SQLSCAN_ENC_SJIS }, { "shiftjis2004", SQLSCAN_ENC_SJIS },
		{ "big5", SQLSCAN_ENC_BIG5 }, { "win950", SQLSCAN_ENC_BIG5 },
		{ "windows950", SQLSCAN_ENC_BIG5 }, { "gbk", SQLSCAN_ENC_BIG5 },
		{ "win936", SQLSCAN_ENC_BIG5 }, { "windows936", SQLSCAN_ENC_BIG5 },
		{ "uhc", SQLSCAN_ENC_BIG5 }, { "win949", SQLSCAN_ENC_BIG5 },
		{ "windows949", SQLSCAN_ENC_BIG5 }, { "gb18030", SQLSCAN_ENC_GB18030 },
		{ "johab", SQLSCAN_ENC_JOHAB },
	};
	if (!name)
		return SQLSCAN_ENC_SAFE;
	/* as pg_char_to_encoding's clean_encoding_name: alnum, lower case */
	for (; *name && n < sizeof(clean) - 1; name++)
		if (isalnum((unsigned char)*name))
			clean[n++] = (char)tolower((unsigned char)*name);
	clean[n] = 0;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(clean, tab[i].name))
			return tab[i].enc;
	return SQLSCAN_ENC_SAFE;
}

/* Length of the character at @p (@avail bytes there), for unsafe encodings
 * (after PostgreSQL's pg_sjis_mblen, pg_big5_mblen, pg_gb18030_mblen,
 * pg_johab_mblen). */
static size_t mblen_at(const struct sqlscan *s, const unsigned char *p, size_t avail)
{
	unsigned char c = p[0];
	if (c < 0x80 || s->encoding == SQLSCAN_ENC_SAFE)
		return 1;
	switch (s->encoding) {
	case SQLSCAN_ENC_SJIS:
		return (c >= 0xa1 && c <= 0xdf) ? 1 : 2;
	case SQLSCAN_ENC_BIG5:
		return 2;
	case SQLSCAN_ENC_GB18030:
		if (avail >= 2 && p[1] >= 0x30 && p[1] <= 0x39)
			return 4;
		return 2;
	case SQLSCAN_ENC_JOHAB:
		return c == 0x8f ? 3 : 2;
	default:
		return 1;
	}
}

static int ident_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static int ident_cont(unsigned char c)
{
	return ident_start(c) || isdigit(c) || c == '$';
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Buffer housekeeping, each linear in the input overall:
 *  - what was handed out is dropped from the front only when it is at least
 *    as long as what stays (shift);
 *  - bytes deleted inside a statement leave a hole that is closed by moving
 *    only the bytes between it and the next deletion (del), and the rest of
 *    the statement when it is handed out (close_hole).
 */
static void shift(struct sqlscan *s, size_t n)
{
	s->moved += s->buf.len - n;
	memmove(s->buf.buf, s->buf.buf + n, s->buf.len - n);
	strbuf_setlen(&s->buf, s->buf.len - n);
	s->pos -= n;
	s->start -= n;
	if (s->hole_len)
		s->hole -= n;
	if (s->resume_ok && s->resume_at >= n)
		s->resume_at -= n, s->resume_to -= n;
	else
		s->resume_ok = 0;
}

/* Delete buf[p, p + n) from the statement: p is at or after the hole's end
 * and p + n at or before pos. */
static void del(struct sqlscan *s, size_t p, size_t n)
{
	if (!s->hole_len) {
		s->hole = p;
	} else {
		size_t end = s->hole + s->hole_len;
		s->moved += p - end;
		memmove(s->buf.buf + s->hole, s->buf.buf + end, p - end);
		s->hole = p - s->hole_len;
	}
	s->hole_len += n;
}

/* Close the hole before a statement that ends at @to; returns its new end
 * (buf[new end, to) is left over and never read again). */
static size_t close_hole(struct sqlscan *s, size_t to)
{
	size_t end = s->hole + s->hole_len;
	if (!s->hole_len)
		return to;
	s->moved += to - end;
	memmove(s->buf.buf + s->hole, s->buf.buf + end, to - end);
	s->hole_len = 0;
	return to - (end - s->hole);
}

/* With `keep`: drop the scanned middle of a long statement, and give the
 * room back once the hole is as long as the unscanned input behind it. */
static void drop_middle(struct sqlscan *s)
{
	size_t from, end;
	if (!s->keep || !s->started)
		return;
	from = s->start + s->keep;
	if (s->hole_len && s->hole < from)
		from += s->hole_len; /* keep `keep` bytes of text around the hole */
	if (s->pos <= from)
		return;
	s->dropped += s->pos - from;
	if (s->hole_len && s->hole + s->hole_len > from) {
		/* the hole reaches past the kept head: all from there goes */
		if (s->hole > from)
			s->hole = from;
		s->hole_len = s->pos - s->hole;
	} else {
		del(s, from, s->pos - from);
	}
	end = s->hole + s->hole_len;
	if (s->hole_len >= s->buf.len - end) {
		s->moved += s->buf.len - end;
		memmove(s->buf.buf + s->hole, s->buf.buf + end, s->buf.len - end);
		strbuf_setlen(&s->buf, s->buf.len - s->hole_len);
		s->gone += s->hole_len;
		/* only a hint for the token at pos survives the move */
		if (s->resume_ok && s->resume_at == s->pos)
			s->resume_at -= s->hole_len, s->resume_to -= s->hole_len;
		else
			s->resume_ok = 0;
		s->pos -= s->hole_len;
		s->hole_len = 0;
	}
}

/* Where to go on scanning the token at pos: after what an earlier call
 * scanned of it, else at @from. */
static size_t resume(const struct sqlscan *s, size_t from)
{
	return s->resume_ok && s->resume_at == s->pos && s->resume_to > from ? s->resume_to : from;
}

/* Ask for more input, remembering that the token at pos was scanned up to @to. */
static enum sqlscan_result more(struct sqlscan *s, size_t to)
{
	s->resume_ok = 1;
	s->resume_at = s->pos;
	s->resume_to = to;
	drop_middle(s);
	return SQLSCAN_MORE;
}

static int word_is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && !strncasecmp(w, kw, n);
}

static void reset_stmt(struct sqlscan *s)
{
	s->state = ST_NORMAL;
	s->xcdepth = 0;
	s->paren = 0;
	s->top_parens = 0;
	s->begin_depth = 0;
	s->begin_pending = 0;
	s->ident_count = 0;
	memset(s->idents, 0, sizeof(s->idents));
	s->copy_state = CP_UNKNOWN;
	s->started = 0;
	s->dropped = 0;
	s->gone = 0;
}

static void mark_started(struct sqlscan *s)
{
	if (!s->started) {
		s->started = 1;
		s->stmt_line = s->line;
	}
}

/* Any token that is not an unquoted identifier. */
static void other_token(struct sqlscan *s)
{
	mark_started(s);
	s->begin_pending = 0;
	if (s->copy_state == CP_UNKNOWN)
		s->copy_state = CP_NO;
	else if (s->copy_state == CP_FROM)
		s->copy_state = CP_COPY;
}

/* psqlscan.l's {identifier} rule, with BEGIN counted only before ATOMIC. */
static void identifier(struct sqlscan *s, const char *w, size_t n)
{
	mark_started(s);
	if (s->ident_count == 0)
		memset(s->idents, 0, sizeof(s->idents));
	if (word_is(w, n, "create") || word_is(w, n, "function") ||
	    word_is(w, n, "procedure") || word_is(w, n, "or") || word_is(w, n, "replace")) {
		if (s->ident_count < sizeof(s->idents))
			s->idents[s->ident_count] = (char)tolower((unsigned char)w[0]);
	}
	s->ident_count++;
	if (s->idents[0] == 'c' &&
	    (s->idents[1] == 'f' || s->idents[1] == 'p' ||
	     (s->idents[1] == 'o' && s->idents[2] == 'r' &&
	      (s->idents[3] == 'f' || s->idents[3] == 'p'))) &&
	    s->paren == 0) {
		int pending = s->begin_pending;
		s->begin_pending = 0;
		if (word_is(w, n, "begin"))
			s->begin_pending = 1;
		else if (pending && word_is(w, n, "atomic"))
			s->begin_depth++;
		else if (word_is(w, n, "case")) {
			if (s->begin_depth >= 1)
				s->begin_depth++;
		} else if (word_is(w, n, "end")) {
			if (s->begin_depth > 0)
				s->begin_depth--;
		}
	} else {
		s->begin_pending = 0;
	}
	/* COPY ... FROM stdin at the top level */
	if (s->copy_state == CP_UNKNOWN)
		s->copy_state = word_is(w, n, "copy") ? CP_COPY : CP_NO;
	else if (s->copy_state >= CP_COPY && s->copy_state != CP_STDIN && s->paren == 0) {
		if (s->copy_state == CP_FROM && word_is(w, n, "stdin"))
			s->copy_state = CP_STDIN;
		else if (word_is(w, n, "from"))
			s->copy_state = CP_FROM;
		else
			s->copy_state = CP_COPY;
	}
}

static const char *section_types_data[] = {
	"TABLE DATA", "SEQUENCE SET", "BLOB", "BLOBS", "LARGE OBJECT", "BLOB DATA", NULL
};
static const char *section_types_post[] = {
	"INDEX", "INDEX ATTACH", "CONSTRAINT", "FK CONSTRAINT", "CHECK CONSTRAINT",
	"TRIGGER", "EVENT TRIGGER", "RULE", "POLICY", "ROW SECURITY",
	"MATERIALIZED VIEW DATA", "PUBLICATION", "PUBLICATION TABLE",
	"PUBLICATION TABLES IN SCHEMA", "SUBSCRIPTION", "STATISTICS", NULL
};

static int in_list(const char *t, const char **list)
{
	for (; *list; list++)
		if (!strcmp(t, *list))
			return 1;
	return 0;
}

/* A top-level `--` comment: pg_dump's TOC comments name what follows. */
static void toc_comment(struct sqlscan *s, const char *c, size_t n)
{
	const char *name, *type, *end, *schema;
	while (n && (*c == ' ' || *c == '\t'))
		c++, n--;
	while (n && (c[n - 1] == '\r' || c[n - 1] == ' '))
		n--;
	/* pg_dump's first and last comments: a dump without the last was cut */
	if ((n == 24 && !strncmp(c, "PostgreSQL database dump", 24)) ||
	    (n == 32 && !strncmp(c, "PostgreSQL database cluster dump", 32)))
		s->pg_dump_header = 1;
	else if ((n == 33 && !strncmp(c, "PostgreSQL database dump complete", 33)) ||
		 (n == 41 && !strncmp(c, "PostgreSQL database cluster dump complete", 41)))
		s->pg_dump_complete = 1;
	if (n > 9 && !strncmp(c, "Data for ", 9))
		c += 9, n -= 9;
	if (n < 6 || strncmp(c, "Name: ", 6))
		return;
	name = c;
	type = memmem(c, n, "; Type: ", 8);
	if (!type)
		return;
	strbuf_reset(&s->toc);
	strbuf_add(&s->toc, name, n);
	s->toc_line = s->line;
	type += 8;
	end = memchr(type, ';', (size_t)(c + n - type));
	if (!end)
		end = c + n;
	strbuf_reset(&s->toc_type);
	strbuf_add(&s->toc_type, type, (size_t)(end - type));
	/* "table public.person" */
	strbuf_reset(&s->toc_what);
	if (!strcmp(s->toc_type.buf, "TABLE DATA"))
		strbuf_addstr(&s->toc_what, "table");
	else
		for (const char *t = s->toc_type.buf; *t; t++)
			strbuf_addch(&s->toc_what, *t >= 'A' && *t <= 'Z' ? (char)(*t - 'A' + 'a') : *t);
	strbuf_addch(&s->toc_what, ' ');
	schema = memmem(end, (size_t)(c + n - end), "; Schema: ", 10);
	if (schema) {
		const char *se;
		schema += 10;
		se = memchr(schema, ';', (size_t)(c + n - schema));
		if (!se)
			se = c + n;
		if (se - schema != 1 || *schema != '-') {
			strbuf_add(&s->toc_what, schema, (size_t)(se - schema));
			strbuf_addch(&s->toc_what, '.');
		}
	}
	strbuf_add(&s->toc_what, name + 6, (size_t)(type - 8 - name - 6));
	if (in_list(s->toc_type.buf, section_types_post))
		s->section = SQLSCAN_POST_DATA;
	else if (in_list(s->toc_type.buf, section_types_data) && s->section < SQLSCAN_DATA)
		s->section = SQLSCAN_DATA;
}

/* Hand out buf[from..to) in place: the byte at @to is NUL-ed now and
 * restored on the next call. */
static void fill_item(struct sqlscan *s, struct sqlscan_item *it, size_t from, size_t to)
{
	size_t full = to - from + s->gone;
	memset(it, 0, sizeof(*it));
	to = close_hole(s, to);
	it->text = s->buf.buf + from;
	it->len = to - from;
	it->full_len = full;
	it->truncated = s->dropped > 0;
	it->top_parens = s->top_parens;
	if (to < s->buf.len) {
		s->restore_at = to;
		s->restore_byte = (unsigned char)s->buf.buf[to];
		s->buf.buf[to] = 0;
	}
}

enum sqlscan_result sqlscan_next(struct sqlscan *s, struct sqlscan_item *it)
{
	unsigned char *b;
	size_t len;

	/* restore the byte we NUL-ed, drop what was handed out */
	if (s->restore_byte >= 0) {
		s->buf.buf[s->restore_at] = (char)s->restore_byte;
		s->restore_byte = -1;
	}
	if (s->start > 0 && s->start >= s->buf.len - s->start)
		shift(s, s->start);
	memset(it, 0, sizeof(*it));
	for (;;) {
		size_t avail;
		unsigned char c;
		b = (unsigned char *)s->buf.buf;
		len = s->buf.len;
		if (s->pos >= len) {
			if (!s->eof) {
				drop_middle(s);
				return SQLSCAN_MORE;
			}
			if (s->started) {
				fill_item(s, it, s->start, len);
				it->line = s->stmt_line;
				it->end_line = s->line;
				it->incomplete = 1;
				it->in_string = s->state != ST_NORMAL && s->state != ST_LCOMMENT &&
						s->state != ST_IDENT && s->state != ST_DIGITS &&
						s->state != ST_SKIPLINE;
				it->copy_in = s->copy_state == CP_STDIN;
				s->start = len;
				s->pos = len;
				reset_stmt(s);
				return SQLSCAN_STMT;
			}
			s->start = len;
			return SQLSCAN_END;
		}
		avail = len - s->pos;
		c = b[s->pos];
		s->examined++;
#define NEED(n) do { if (avail < (size_t)(n) && !s->eof) return more(s, s->pos); } while (0)
		if (c >= 0x80 && s->encoding != SQLSCAN_ENC_SAFE && s->state != ST_NORMAL &&
		    s->state != ST_DIGITS && s->state != ST_SKIPLINE) {
			size_t m;
			NEED(2);
			m = mblen_at(s, b + s->pos, avail);
			NEED(m);
			s->pos += m < avail ? m : avail;
			continue;
		}
		switch (s->state) {
		case ST_NORMAL:
			if (is_space(c)) {
				if (c == '\n')
					s->line++;
				s->pos++;
				if (!s->started)
					s->start = s->pos;
				continue;
			}
			if (c == '-') {
				NEED(2);
				if (b[s->pos + 1] == '-') {
					if (!s->started) {
						size_t at = resume(s, s->pos);
						unsigned char *nl = memchr(b + at, '\n', len - at);
						size_t clen;
						int cut = 0;
						s->examined += nl ? (size_t)(nl - b) - at : len - at;
						if (!nl && !s->eof) {
							if (avail - 2 <= SQLSCAN_LINE_MAX)
								return more(s, len);
							cut = 1;
						}
						clen = (nl ? (size_t)(nl - b) : len) - s->pos - 2;
						if (clen > SQLSCAN_LINE_MAX) {
							/* the same cut whatever the pieces */
							clen = SQLSCAN_LINE_MAX;
							cut = 1;
						}
						toc_comment(s, (const char *)b + s->pos + 2, clen);
						if (s->want_comments) {
							size_t from = s->pos + 2, to = from + clen;
							while (to > from && b[to - 1] == '\r')
								to--;
							fill_item(s, it, from, to);
							it->line = it->end_line = s->line;
							it->truncated = cut;
						}
						s->pos += 2 + clen;
						if (cut) {
							s->state = ST_SKIPLINE;
							s->skip_in_stmt = 0;
						} else if (nl) {
							s->pos++;
							s->line++;
						}
						if (s->want_comments) {
							s->start = s->pos;
							return SQLSCAN_COMMENT;
						}
						s->start = s->pos;
						continue;
					}
					s->state = ST_LCOMMENT;
					s->pos += 2;
					continue;
				}
				other_token(s);
				s->pos++;
				continue;
			}
			if (c == '/') {
				NEED(2);
				other_token(s);
				if (b[s->pos + 1] == '*') {
					s->state = ST_XC;
					s->xcdepth = 1;
					s->pos += 2;
				} else {
					s->pos++;
				}
				continue;
			}
			if (c == '\'') {
				other_token(s);
				s->state = s->std_strings ? ST_XQ : ST_XE;
				s->pos++;
				continue;
			}
			if (c == '"') {
				other_token(s);
				s->state = ST_XD;
				s->pos++;
				continue;
			}
			if (c == '$') {
				size_t j = s->pos + 1;
				NEED(2);
				if (j < len && isdigit(b[j])) {
					while (j < len && isdigit(b[j]))
						j++;
					s->examined += j - s->pos;
					if (j == len && !s->eof) {
						if (j - s->pos <= TOKEN_STREAM)
							return more(s, s->pos);
						s->state = ST_DIGITS;
					}
					other_token(s);
					s->pos = j;
					continue;
				}
				if (j < len && ident_start(b[j])) {
					size_t from = j = resume(s, j);
					while (j < len && (ident_start(b[j]) || isdigit(b[j])))
						j++;
					s->examined += j - from;
				}
				if (j == len && !s->eof)
					return more(s, j);
				other_token(s);
				if (j < len && b[j] == '$') {
					strbuf_reset(&s->tag);
					strbuf_add(&s->tag, b + s->pos, j + 1 - s->pos);
					s->state = ST_XDOLQ;
					s->pos = j + 1;
				} else {
					s->pos++; /* dolqfailed: only the $ */
				}
				continue;
			}
			if (c == '(' || c == ')') {
				other_token(s);
				if (c == '(') {
					if (s->paren++ == 0)
						s->top_parens++;
				} else if (s->paren > 0)
					s->paren--;
				s->pos++;
				continue;
			}
			if (c == ';') {
				other_token(s);
				s->pos++;
				if (s->paren == 0 && s->begin_depth == 0) {
					fill_item(s, it, s->start, s->pos);
					it->line = s->stmt_line;
					it->end_line = s->line;
					it->copy_in = s->copy_state == CP_STDIN;
					s->start = s->pos;
					reset_stmt(s);
					return SQLSCAN_STMT;
				}
				continue;
			}
			if (c == '\\') {
				unsigned char *nl;
				size_t mlen, from, to;
				int cut = 0;
				NEED(2);
				if (avail >= 2 && (b[s->pos + 1] == ';' || b[s->pos + 1] == ':')) {
					other_token(s);
					del(s, s->pos, 1);
					s->pos += 2;
					continue;
				}
				{
					size_t at = resume(s, s->pos);
					nl = memchr(b + at, '\n', len - at);
					s->examined += nl ? (size_t)(nl - b) - at : len - at;
				}
				if (!nl && !s->eof && avail - 1 <= SQLSCAN_LINE_MAX)
					return more(s, len);
				mlen = (nl ? (size_t)(nl - b) + 1 : len) - s->pos;
				from = s->pos + 1;
				to = s->pos + mlen;
				if (nl)
					to--;
				while (to > from && (b[to - 1] == '\r' || is_space(b[to - 1])))
					to--;
				if (to - from > SQLSCAN_LINE_MAX) {
					to = from + SQLSCAN_LINE_MAX; /* the rest is skipped */
					cut = 1;
				}
				/* hand the text out from `meta`, then cut it from the statement */
				strbuf_reset(&s->meta);
				strbuf_add(&s->meta, b + from, to - from);
				memset(it, 0, sizeof(*it));
				it->text = s->meta.buf;
				it->len = s->meta.len;
				it->full_len = mlen;
				it->line = it->end_line = s->line;
				it->truncated = cut;
				if (!nl && !s->eof) {
					/* cut: the rest of the line is skipped as it comes */
					s->state = ST_SKIPLINE;
					s->skip_in_stmt = s->started;
				} else if (nl) {
					s->line++;
				}
				if (s->started)
					del(s, s->pos, mlen);
				s->pos += mlen;
				if (!s->started)
					s->start = s->pos;
				return SQLSCAN_META;
			}
			if (ident_start(c)) {
				size_t j = resume(s, s->pos), from = j;
				while (j < len && ident_cont(b[j])) {
					if (b[j] >= 0x80 && s->encoding != SQLSCAN_ENC_SAFE) {
						size_t m;
						if (len - j < 2 && !s->eof)
							return more(s, s->pos);
						m = mblen_at(s, b + j, len - j);
						if (j + m > len) {
							if (!s->eof)
								return more(s, j);
							m = len - j;
						}
						j += m;
					} else {
						j++;
					}
				}
				s->examined += j - from;
				if (j >= len && !s->eof) {
					if (j - s->pos <= TOKEN_STREAM)
						return more(s, j);
					/* not a keyword: take what is there, the rest as it comes */
					identifier(s, (const char *)b + s->pos, j - s->pos);
					s->state = ST_IDENT;
					s->pos = j;
					continue;
				}
				if (j - s->pos == 1 && j < len && b[j] == '\'' && strchr("eEbBxXnN", c)) {
					other_token(s);
					if (c == 'e' || c == 'E')
						s->state = ST_XE;
					else if (c == 'n' || c == 'N')
						s->state = s->std_strings ? ST_XQ : ST_XE;
					else
						s->state = ST_XQ;
					s->pos = j + 1;
					continue;
				}
				if (j - s->pos == 1 && (c == 'u' || c == 'U') && j < len && b[j] == '&') {
					if (j + 1 >= len && !s->eof)
						return more(s, s->pos);
					if (j + 1 < len && (b[j + 1] == '\'' || b[j + 1] == '"')) {
						other_token(s);
						s->state = b[j + 1] == '\'' ? ST_XQ : ST_XD;
						s->pos = j + 2;
						continue;
					}
				}
				identifier(s, (const char *)b + s->pos, j - s->pos);
				s->pos = j;
				continue;
			}
			if (isdigit(c)) {
				size_t j = s->pos;
				while (j < len && isdigit(b[j]))
					j++;
				s->examined += j - s->pos;
				if (j == len && !s->eof) {
					if (j - s->pos <= TOKEN_STREAM)
						return more(s, s->pos);
					s->state = ST_DIGITS;
				}
				other_token(s);
				s->pos = j;
				continue;
			}
			other_token(s);
			s->pos++;
			continue;
		case ST_XQ:
		case ST_XE:
		case ST_XD: {
			unsigned char q = s->state == ST_XD ? '"' : '\'';
			int esc = s->state == ST_XE;
			size_t j = s->pos;
			/* fast path over ordinary bytes */
			while (j < len) {
				unsigned char d = b[j];
				if (d == q || d == '\n' || (esc && d == '\\') ||
				    (d >= 0x80 && s->encoding != SQLSCAN_ENC_SAFE))
					break;
				j++;
			}
			s->examined += j - s->pos;
			s->pos = j;
			if (j >= len)
				continue;
			avail = len - j;
			c = b[j];
			if (c == '\n') {
				s->line++;
				s->pos++;
			} else if (c >= 0x80) {
				continue; /* multibyte, handled above */
			} else if (c == '\\') {
				NEED(2);
				if (avail >= 2 && b[j + 1] == '\n')
					s->line++;
				if (avail >= 2 && b[j + 1] >= 0x80 && s->encoding != SQLSCAN_ENC_SAFE)
					s->pos++;
				else
					s->pos += avail >= 2 ? 2 : 1;
			} else {
				NEED(2);
				if (avail >= 2 && b[j + 1] == q) {
					s->pos += 2;
				} else {
					s->state = ST_NORMAL;
					s->pos++;
				}
			}
			continue;
		}
		case ST_XC: {
			size_t j = s->pos;
			/* fast path over ordinary bytes */
			while (j < len && b[j] != '\n' && b[j] != '/' && b[j] != '*' &&
			       !(b[j] >= 0x80 && s->encoding != SQLSCAN_ENC_SAFE))
				j++;
			s->examined += j - s->pos;
			if (j > s->pos) {
				s->pos = j;
				continue;
			}
			if (c == '\n') {
				s->line++;
				s->pos++;
			} else if (c == '/' || c == '*') {
				NEED(2);
				if (c == '/' && avail >= 2 && b[s->pos + 1] == '*') {
					s->xcdepth++;
					s->pos += 2;
				} else if (c == '*' && avail >= 2 && b[s->pos + 1] == '/') {
					s->pos += 2;
					if (--s->xcdepth == 0)
						s->state = ST_NORMAL;
				} else {
					s->pos++;
				}
			} else {
				s->pos++;
			}
			continue;
		}
		case ST_XDOLQ: {
			size_t j = s->pos;
			while (j < len && b[j] != '$' && b[j] != '\n' &&
			       !(b[j] >= 0x80 && s->encoding != SQLSCAN_ENC_SAFE))
				j++;
			s->examined += j - s->pos;
			s->pos = j;
			if (j >= len)
				continue;
			c = b[j];
			avail = len - j;
			if (c == '\n') {
				s->line++;
				s->pos++;
			} else if (c == '$') {
				NEED(s->tag.len);
				if (avail >= s->tag.len && !memcmp(b + j, s->tag.buf, s->tag.len)) {
					s->state = ST_NORMAL;
					s->pos += s->tag.len;
				} else {
					s->pos++;
				}
			}
			continue;
		}
		case ST_LCOMMENT: {
			unsigned char *nl = memchr(b + s->pos, '\n', avail);
			s->examined += nl ? (size_t)(nl - b) - s->pos : avail;
			if (!nl) {
				s->pos = len;
				continue;
			}
			s->pos = (size_t)(nl - b);
			s->state = ST_NORMAL;
			continue;
		}
		case ST_IDENT:
		case ST_DIGITS: {
			size_t j = s->pos;
			if (s->state == ST_IDENT)
				while (j < len && ident_cont(b[j]) &&
				       !(b[j] >= 0x80 && s->encoding != SQLSCAN_ENC_SAFE))
					j++;
			else
				while (j < len && isdigit(b[j]))
					j++;
			s->examined += j - s->pos;
			if (j == s->pos)
				s->state = ST_NORMAL; /* the token ended at pos */
			s->pos = j;
			continue;
		}
		case ST_SKIPLINE: {
			unsigned char *nl = memchr(b + s->pos, '\n', avail);
			size_t n = nl ? (size_t)(nl - b) + 1 - s->pos : avail;
			s->examined += n;
			if (s->skip_in_stmt)
				del(s, s->pos, n);
			s->pos += n;
			if (!s->skip_in_stmt)
				s->start = s->pos;
			if (nl) {
				s->line++;
				s->state = ST_NORMAL;
			}
			continue;
		}
		}
#undef NEED
	}
}

int sqlscan_apply_set(struct sqlscan *s, const char *stmt)
{
	const char *p = stmt, *name, *val;
	size_t nlen, vlen;
	while (is_space((unsigned char)*p))
		p++;
	if (strncasecmp(p, "set", 3) || !is_space((unsigned char)p[3]))
		return 0;
	p += 3;
	while (is_space((unsigned char)*p))
		p++;
	name = p;
	while (*p && (isalnum((unsigned char)*p) || *p == '_'))
		p++;
	nlen = (size_t)(p - name);
	while (is_space((unsigned char)*p))
		p++;
	if (*p == '=')
		p++;
	else if (!strncasecmp(p, "to", 2))
		p += 2;
	else
		return 0;
	while (is_space((unsigned char)*p))
		p++;
	if (*p == '\'')
		p++;
	val = p;
	while (*p && *p != '\'' && *p != ';' && !is_space((unsigned char)*p))
		p++;
	vlen = (size_t)(p - val);
	if (word_is(name, nlen, "standard_conforming_strings")) {
		if (word_is(val, vlen, "off") || word_is(val, vlen, "false") || word_is(val, vlen, "0"))
			s->std_strings = 0;
		else
			s->std_strings = 1;
		return 1;
	}
	if (word_is(name, nlen, "client_encoding")) {
		char enc[64];
		if (vlen >= sizeof(enc))
			vlen = sizeof(enc) - 1;
		memcpy(enc, val, vlen);
		enc[vlen] = 0;
		s->encoding = sqlscan_encoding_of(enc);
		return 1;
	}
	return 0;
}

void sqlscan_first_line(const char *text, size_t max, struct strbuf *out)
{
	const char *p = text, *e;
	size_t n;
	while (is_space((unsigned char)*p))
		p++;
	e = strchr(p, '\n');
	n = e ? (size_t)(e - p) : strlen(p);
	while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (n > max) {
		strbuf_add(out, p, max);
		strbuf_addstr(out, "...");
	} else {
		strbuf_add(out, p, n);
		if (e && e[1])
			strbuf_addstr(out, " ...");
	}
}
