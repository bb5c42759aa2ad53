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
};

/* copy_state */
enum { CP_UNKNOWN = 0, CP_NO = -1, CP_COPY = 1, CP_FROM = 2, CP_STDIN = 3 };

void sqlscan_init(struct sqlscan *s)
{
	memset(s, 0, sizeof(*s));
	s->std_strings = 1;
	strbuf_init(&s->toc, 0);
	strbuf_init(&s->toc_type, 0);
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

static void erase(struct sqlscan *s, size_t from, size_t n)
{
	memmove(s->buf.buf + from, s->buf.buf + from + n, s->buf.len - from - n);
	strbuf_setlen(&s->buf, s->buf.len - n);
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
	s->begin_depth = 0;
	s->begin_pending = 0;
	s->ident_count = 0;
	memset(s->idents, 0, sizeof(s->idents));
	s->copy_state = CP_UNKNOWN;
	s->started = 0;
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
	const char *name, *type, *end;
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
	if (in_list(s->toc_type.buf, section_types_post))
		s->section = SQLSCAN_POST_DATA;
	else if (in_list(s->toc_type.buf, section_types_data) && s->section < SQLSCAN_DATA)
		s->section = SQLSCAN_DATA;
}

/* Hand out buf[from..to) in place: the byte at @to is NUL-ed now and
 * restored on the next call. */
static void fill_item(struct sqlscan *s, struct sqlscan_item *it, size_t from, size_t to)
{
	memset(it, 0, sizeof(*it));
	it->text = s->buf.buf + from;
	it->len = to - from;
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
	if (s->start > 0) {
		erase(s, 0, s->start);
		s->pos -= s->start;
		s->start = 0;
	}
	memset(it, 0, sizeof(*it));
	for (;;) {
		size_t avail;
		unsigned char c;
		b = (unsigned char *)s->buf.buf;
		len = s->buf.len;
		if (s->pos >= len) {
			if (!s->eof)
				return SQLSCAN_MORE;
			if (s->started) {
				fill_item(s, it, s->start, len);
				it->line = s->stmt_line;
				it->end_line = s->line;
				it->incomplete = 1;
				it->in_string = s->state != ST_NORMAL && s->state != ST_LCOMMENT;
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
#define NEED(n) do { if (avail < (size_t)(n) && !s->eof) return SQLSCAN_MORE; } while (0)
		if (c >= 0x80 && s->encoding != SQLSCAN_ENC_SAFE && s->state != ST_NORMAL) {
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
						unsigned char *nl = memchr(b + s->pos, '\n', avail);
						size_t clen;
						if (!nl && !s->eof)
							return SQLSCAN_MORE;
						clen = (nl ? (size_t)(nl - b) : len) - s->pos - 2;
						toc_comment(s, (const char *)b + s->pos + 2, clen);
						if (s->want_comments) {
							size_t from = s->pos + 2, to = from + clen;
							while (to > from && b[to - 1] == '\r')
								to--;
							fill_item(s, it, from, to);
							it->line = it->end_line = s->line;
						}
						s->pos += 2 + clen;
						if (nl) {
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
					if (j == len && !s->eof)
						return SQLSCAN_MORE;
					other_token(s);
					s->pos = j;
					continue;
				}
				if (j < len && ident_start(b[j])) {
					while (j < len && (ident_start(b[j]) || isdigit(b[j])))
						j++;
				}
				if (j == len && !s->eof)
					return SQLSCAN_MORE;
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
				if (c == '(')
					s->paren++;
				else if (s->paren > 0)
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
				NEED(2);
				if (avail >= 2 && (b[s->pos + 1] == ';' || b[s->pos + 1] == ':')) {
					other_token(s);
					erase(s, s->pos, 1);
					s->pos++;
					continue;
				}
				nl = memchr(b + s->pos, '\n', avail);
				if (!nl && !s->eof)
					return SQLSCAN_MORE;
				mlen = (nl ? (size_t)(nl - b) + 1 : len) - s->pos;
				from = s->pos + 1;
				to = s->pos + mlen;
				if (nl)
					to--;
				while (to > from && (b[to - 1] == '\r' || is_space(b[to - 1])))
					to--;
				/* hand the text out from `meta`, then cut it from buf */
				strbuf_reset(&s->meta);
				strbuf_add(&s->meta, b + from, to - from);
				erase(s, s->pos, mlen);
				memset(it, 0, sizeof(*it));
				it->text = s->meta.buf;
				it->len = s->meta.len;
				it->line = it->end_line = s->line;
				if (nl)
					s->line++;
				if (!s->started)
					s->start = s->pos;
				return SQLSCAN_META;
			}
			if (ident_start(c)) {
				size_t j = s->pos;
				while (j < len && ident_cont(b[j])) {
					if (b[j] >= 0x80 && s->encoding != SQLSCAN_ENC_SAFE) {
						size_t m;
						if (len - j < 2 && !s->eof)
							return SQLSCAN_MORE;
						m = mblen_at(s, b + j, len - j);
						j += m;
						if (j > len) {
							if (!s->eof)
								return SQLSCAN_MORE;
							j = len;
						}
					} else {
						j++;
					}
				}
				if (j >= len && !s->eof)
					return SQLSCAN_MORE;
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
						return SQLSCAN_MORE;
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
				if (j == len && !s->eof)
					return SQLSCAN_MORE;
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
		case ST_XC:
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
		case ST_XDOLQ: {
			size_t j = s->pos;
			while (j < len && b[j] != '$' && b[j] != '\n' &&
			       !(b[j] >= 0x80 && s->encoding != SQLSCAN_ENC_SAFE))
				j++;
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
			if (!nl) {
				s->pos = len;
				continue;
			}
			s->pos = (size_t)(nl - b);
			s->state = ST_NORMAL;
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
