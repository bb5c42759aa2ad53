/* phpconf: read BISO's config.php without executing PHP; see phpconf.h. */
#include "config.h"
#include "phpconf.h"
#include "conninfo.h"
#include "err.h"
#include "strbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- tokens ---------------------------------------------------------- */

enum tok_kind {
	T_EOF,
	T_STR,   /* string literal, decoded into text/len */
	T_INT,   /* integer literal, ival */
	T_IDENT, /* name, possibly namespaced (\Foo\Bar) */
	T_VAR,   /* $name */
	T_PUNCT, /* operator or punctuation, text holds it */
};

struct tok {
	enum tok_kind kind;
	long line;
	size_t off;
	char *text;       /* T_STR value, T_IDENT/T_VAR name, T_PUNCT spelling */
	size_t len;       /* length of text (T_STR may hold NUL bytes) */
	long long ival;   /* T_INT */
	const char *bad;  /* why this literal cannot be evaluated, or NULL */
};

/* Tokens are made on demand and kept in fixed chunks, so that a pointer to
 * one stays valid while more are made; the evaluator drops the chunks
 * behind it between statements.  Memory is the file plus the tokens of the
 * statement at hand, not a token for every byte of a large file. */
#define TOK_CHUNK 256

struct lexer {
	const char *src;
	size_t len, pos;
	long line;
	const char *path;
	struct err *e;
	struct tok **chunks; /* chunks[0][0] is token number base */
	size_t nchunks, chunks_alloc;
	size_t base, n;      /* absolute numbers: first kept token, one past the last */
	int done;            /* the T_EOF token is made */
};

static struct tok *push(struct lexer *lx, enum tok_kind kind, long line, size_t off)
{
	struct tok *t;
	size_t rel = lx->n - lx->base;
	if (rel / TOK_CHUNK == lx->nchunks) {
		if (lx->nchunks == lx->chunks_alloc) {
			lx->chunks_alloc = lx->chunks_alloc ? 2 * lx->chunks_alloc : 8;
			lx->chunks = xrealloc(lx->chunks, lx->chunks_alloc * sizeof(*lx->chunks));
		}
		lx->chunks[lx->nchunks++] = xmalloc(TOK_CHUNK * sizeof(struct tok));
	}
	t = &lx->chunks[rel / TOK_CHUNK][rel % TOK_CHUNK];
	lx->n++;
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->line = line;
	t->off = off;
	return t;
}

static void push_punct(struct lexer *lx, const char *p, size_t n, long line, size_t off)
{
	struct tok *t = push(lx, T_PUNCT, line, off);
	t->text = xstrndup(p, n);
	t->len = n;
}

/* The hint of an error that PHP itself would reject the file for. */
static void syntax_hint(struct err *e, const char *path)
{
	err_hint(e, "PHP rejects this file too (php -l %s shows it): repair it, or use the "
		    "backup's copy of config.php.", path);
}

static int lex_error(struct lexer *lx, long line, size_t off, const char *msg)
{
	err_set(lx->e, "%s", msg);
	err_where(lx->e, lx->path, line, (int64_t)off);
	syntax_hint(lx->e, lx->path);
	return -1;
}

static int is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int is_ident_char(int c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static int at(struct lexer *lx, size_t i)
{
	return i < lx->len ? (unsigned char)lx->src[i] : -1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void add_utf8(struct strbuf *sb, unsigned long cp)
{
	if (cp < 0x80) {
		strbuf_addch(sb, (int)cp);
	} else if (cp < 0x800) {
		strbuf_addch(sb, 0xC0 | (int)(cp >> 6));
		strbuf_addch(sb, 0x80 | (int)(cp & 0x3F));
	} else if (cp < 0x10000) {
		strbuf_addch(sb, 0xE0 | (int)(cp >> 12));
		strbuf_addch(sb, 0x80 | (int)((cp >> 6) & 0x3F));
		strbuf_addch(sb, 0x80 | (int)(cp & 0x3F));
	} else {
		strbuf_addch(sb, 0xF0 | (int)(cp >> 18));
		strbuf_addch(sb, 0x80 | (int)((cp >> 12) & 0x3F));
		strbuf_addch(sb, 0x80 | (int)((cp >> 6) & 0x3F));
		strbuf_addch(sb, 0x80 | (int)(cp & 0x3F));
	}
}

/* 'single quoted': only \\ and \' are escapes. */
static int lex_single(struct lexer *lx)
{
	long line = lx->line;
	size_t start = lx->pos++;
	struct strbuf sb = STRBUF_INIT;
	struct tok *t;
	for (;;) {
		int c = at(lx, lx->pos);
		if (c < 0) {
			strbuf_release(&sb);
			return lex_error(lx, line, start, "unterminated string");
		}
		lx->pos++;
		if (c == '\'')
			break;
		if (c == '\n')
			lx->line++;
		if (c == '\\' && (at(lx, lx->pos) == '\\' || at(lx, lx->pos) == '\''))
			c = lx->src[lx->pos++];
		strbuf_addch(&sb, c);
	}
	t = push(lx, T_STR, line, start);
	t->text = strbuf_detach(&sb, &t->len);
	return 0;
}

/* "double quoted" (or `backtick`): escapes decoded, interpolation marked. */
static int lex_double(struct lexer *lx)
{
	long line = lx->line;
	size_t start = lx->pos;
	int quote = lx->src[lx->pos++];
	struct strbuf sb = STRBUF_INIT;
	const char *bad = quote == '`' ? "a `shell command` cannot be evaluated without running it"
				       : NULL;
	struct tok *t;
	for (;;) {
		int c = at(lx, lx->pos), n;
		if (c < 0) {
			strbuf_release(&sb);
			return lex_error(lx, line, start, "unterminated string");
		}
		lx->pos++;
		if (c == quote)
			break;
		if (c == '\n')
			lx->line++;
		if (c == '$' && (is_ident_start(at(lx, lx->pos)) || at(lx, lx->pos) == '{')) {
			if (!bad)
				bad = "a string with $variable interpolation cannot be evaluated";
		} else if (c == '{' && at(lx, lx->pos) == '$') {
			if (!bad)
				bad = "a string with {$variable} interpolation cannot be evaluated";
		}
		if (c != '\\' || at(lx, lx->pos) < 0) {
			strbuf_addch(&sb, c);
			continue;
		}
		n = lx->src[lx->pos++];
		switch (n) {
		case 'n': strbuf_addch(&sb, '\n'); break;
		case 't': strbuf_addch(&sb, '\t'); break;
		case 'r': strbuf_addch(&sb, '\r'); break;
		case 'v': strbuf_addch(&sb, '\v'); break;
		case 'e': strbuf_addch(&sb, 0x1B); break;
		case 'f': strbuf_addch(&sb, '\f'); break;
		case '\\': strbuf_addch(&sb, '\\'); break;
		case '$': strbuf_addch(&sb, '$'); break;
		case '0': case '1': case '2': case '3':
		case '4': case '5': case '6': case '7': {
			int v = n - '0';
			for (int k = 0; k < 2 && at(lx, lx->pos) >= '0' && at(lx, lx->pos) <= '7'; k++)
				v = v * 8 + (lx->src[lx->pos++] - '0');
			strbuf_addch(&sb, v & 0xFF);
			break;
		}
		case 'x':
			if (hexval(at(lx, lx->pos)) >= 0) {
				int v = hexval(lx->src[lx->pos++]);
				if (hexval(at(lx, lx->pos)) >= 0)
					v = v * 16 + hexval(lx->src[lx->pos++]);
				strbuf_addch(&sb, v);
			} else {
				strbuf_addstr(&sb, "\\x");
			}
			break;
		case 'u':
			if (at(lx, lx->pos) == '{') {
				unsigned long cp = 0;
				size_t digits = 0;
				lx->pos++;
				while (hexval(at(lx, lx->pos)) >= 0 && cp <= 0x10FFFF) {
					cp = cp * 16 + (unsigned long)hexval(lx->src[lx->pos++]);
					digits++;
				}
				if (at(lx, lx->pos) != '}' || !digits || cp > 0x10FFFF) {
					strbuf_release(&sb);
					return lex_error(lx, lx->line, lx->pos,
							 "invalid \\u{...} escape in a double-quoted string");
				}
				lx->pos++;
				add_utf8(&sb, cp);
			} else {
				strbuf_addstr(&sb, "\\u");
			}
			break;
		default:
			if (n == quote) {
				strbuf_addch(&sb, n);
				break;
			}
			if (n == '\n')
				lx->line++;
			strbuf_addch(&sb, '\\');
			strbuf_addch(&sb, n);
		}
	}
	t = push(lx, T_STR, line, start);
	t->text = strbuf_detach(&sb, &t->len);
	t->bad = bad;
	return 0;
}

/* <<<ID heredoc / <<<'ID' nowdoc: skipped over, never evaluated. */
static int lex_heredoc(struct lexer *lx)
{
	long line = lx->line;
	size_t start = lx->pos, idstart, idlen;
	struct tok *t;
	int nowdoc;
	lx->pos += 3;
	while (at(lx, lx->pos) == ' ' || at(lx, lx->pos) == '\t')
		lx->pos++;
	nowdoc = at(lx, lx->pos) == '\'';
	if (at(lx, lx->pos) == '\'' || at(lx, lx->pos) == '"')
		lx->pos++;
	idstart = lx->pos;
	while (is_ident_char(at(lx, lx->pos)))
		lx->pos++;
	idlen = lx->pos - idstart;
	if (!idlen)
		return lex_error(lx, line, start, "invalid heredoc");
	/* Find a line that starts (after indentation) with the identifier. */
	for (;;) {
		size_t p;
		while (at(lx, lx->pos) >= 0 && at(lx, lx->pos) != '\n')
			lx->pos++;
		if (at(lx, lx->pos) < 0)
			return lex_error(lx, line, start, "unterminated heredoc");
		lx->pos++;
		lx->line++;
		p = lx->pos;
		while (at(lx, p) == ' ' || at(lx, p) == '\t')
			p++;
		if (p + idlen <= lx->len && !memcmp(lx->src + p, lx->src + idstart, idlen) &&
		    !is_ident_char(at(lx, p + idlen))) {
			lx->pos = p + idlen;
			break;
		}
	}
	t = push(lx, T_STR, line, start);
	t->text = xstrdup("");
	t->bad = nowdoc ? "a nowdoc (<<<'ID') cannot be evaluated" : "a heredoc cannot be evaluated";
	return 0;
}

static void lex_number(struct lexer *lx)
{
	long line = lx->line;
	size_t start = lx->pos;
	int base = 10;
	unsigned long long v = 0;
	int overflow = 0, invalid = 0;
	struct tok *t;

	if (at(lx, start) == '0') {
		int x = at(lx, start + 1);
		if (x == 'x' || x == 'X')
			base = 16, lx->pos += 2;
		else if (x == 'b' || x == 'B')
			base = 2, lx->pos += 2;
		else if (x == 'o' || x == 'O')
			base = 8, lx->pos += 2;
		else
			base = 8; /* legacy octal 0777; "0" itself is 0 either way */
	}
	for (;;) {
		int c = at(lx, lx->pos), d;
		if (c == '_') {
			lx->pos++;
			continue;
		}
		d = hexval(c);
		if (d < 0 || (base != 16 && c > '9'))
			break;
		if (d >= base)
			invalid = 1;
		if (v > (unsigned long long)LLONG_MAX / (unsigned)base ||
		    v * (unsigned)base + (unsigned)d > (unsigned long long)LLONG_MAX)
			overflow = 1;
		else
			v = v * (unsigned)base + (unsigned)d;
		lx->pos++;
	}
	t = push(lx, T_INT, line, start);
	t->ival = (long long)v;
	if (base == 10 || base == 8) {
		int c = at(lx, lx->pos);
		int is_float = 0;
		if (c == '.' && at(lx, lx->pos + 1) != '.') {
			is_float = 1;
			lx->pos++;
		}
		while (at(lx, lx->pos) >= '0' && at(lx, lx->pos) <= '9')
			lx->pos++;
		c = at(lx, lx->pos);
		if ((c == 'e' || c == 'E') &&
		    ((at(lx, lx->pos + 1) >= '0' && at(lx, lx->pos + 1) <= '9') ||
		     ((at(lx, lx->pos + 1) == '+' || at(lx, lx->pos + 1) == '-') &&
		      at(lx, lx->pos + 2) >= '0' && at(lx, lx->pos + 2) <= '9'))) {
			is_float = 1;
			lx->pos += 2;
			while (at(lx, lx->pos) >= '0' && at(lx, lx->pos) <= '9')
				lx->pos++;
		}
		if (is_float) {
			t->bad = "a floating-point number cannot be evaluated exactly";
			invalid = 0;
			overflow = 0;
		}
	}
	if (invalid)
		t->bad = "invalid numeric literal";
	else if (overflow)
		t->bad = "an integer literal this large becomes a float in PHP";
	t->text = xstrndup(lx->src + start, lx->pos - start);
	t->len = lx->pos - start;
}

/* Skip HTML until "<?php" or "<?="; push a marker token for the open tag. */
static void lex_html(struct lexer *lx)
{
	while (lx->pos < lx->len) {
		const char *s = lx->src + lx->pos;
		size_t rest = lx->len - lx->pos;
		if (rest >= 5 && !strncasecmp(s, "<?php", 5) &&
		    (rest == 5 || strchr(" \t\r\n", s[5]))) {
			push_punct(lx, "<?php", 5, lx->line, lx->pos);
			lx->pos += 5;
			return;
		}
		if (rest >= 3 && !memcmp(s, "<?=", 3)) {
			struct tok *t = push(lx, T_IDENT, lx->line, lx->pos);
			t->text = xstrdup("echo");
			t->len = 4;
			lx->pos += 3;
			return;
		}
		if (*s == '\n')
			lx->line++;
		lx->pos++;
	}
}

static const char *const puncts[] = {
	"?->", "...", "<=>", "**=", "===", "!==", "<<=", ">>=", "?" "?=",
	"::", "=>", "->", "++", "--", "==", "!=", "<>", "<=", ">=", "&&", "||",
	"??", "+=", "-=", "*=", "/=", ".=", "%=", "&=", "|=", "^=", "<<", ">>",
	"**", "#[", NULL,
};

/* Lex on until at least one more token is made (T_EOF at the end). */
static int lex_more(struct lexer *lx)
{
	size_t n0 = lx->n;
	while (lx->n == n0) {
		const char *s = lx->src + lx->pos;
		size_t rest = lx->len - lx->pos;
		int c;

		if (lx->pos >= lx->len) {
			push(lx, T_EOF, lx->line, lx->len);
			lx->done = 1;
			break;
		}
		c = (unsigned char)*s;
		if (c == '\n') {
			lx->line++;
			lx->pos++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			lx->pos++;
		} else if (c == '?' && rest >= 2 && s[1] == '>') {
			push_punct(lx, ";", 1, lx->line, lx->pos);
			lx->pos += 2;
			lex_html(lx);
		} else if ((c == '#' && !(rest >= 2 && s[1] == '[')) ||
			   (c == '/' && rest >= 2 && s[1] == '/')) {
			/* A one-line comment ends at the newline or at "?>". */
			while (lx->pos < lx->len && lx->src[lx->pos] != '\n' &&
			       !(lx->src[lx->pos] == '?' && at(lx, lx->pos + 1) == '>'))
				lx->pos++;
		} else if (c == '/' && rest >= 2 && s[1] == '*') {
			const char *end = NULL;
			for (size_t i = lx->pos + 2; i + 1 < lx->len; i++)
				if (lx->src[i] == '*' && lx->src[i + 1] == '/') {
					end = lx->src + i;
					break;
				}
			if (!end)
				return lex_error(lx, lx->line, lx->pos, "unterminated comment");
			for (const char *p = s; p < end; p++)
				if (*p == '\n')
					lx->line++;
			lx->pos = (size_t)(end - lx->src) + 2;
		} else if (c == '\'') {
			if (lex_single(lx) < 0)
				return -1;
		} else if (c == '"' || c == '`') {
			if (lex_double(lx) < 0)
				return -1;
		} else if (c == '<' && rest >= 3 && !memcmp(s, "<<<", 3)) {
			if (lex_heredoc(lx) < 0)
				return -1;
		} else if (c == '$' && is_ident_start(at(lx, lx->pos + 1))) {
			size_t start = lx->pos++;
			struct tok *t;
			while (is_ident_char(at(lx, lx->pos)))
				lx->pos++;
			t = push(lx, T_VAR, lx->line, start);
			t->text = xstrndup(s, lx->pos - start);
			t->len = lx->pos - start;
		} else if ((c >= '0' && c <= '9') ||
			   (c == '.' && at(lx, lx->pos + 1) >= '0' && at(lx, lx->pos + 1) <= '9')) {
			lex_number(lx);
		} else if (is_ident_start(c) || (c == '\\' && is_ident_start(at(lx, lx->pos + 1)))) {
			size_t start = lx->pos++;
			struct tok *t;
			while (is_ident_char(at(lx, lx->pos)) ||
			       (at(lx, lx->pos) == '\\' && is_ident_start(at(lx, lx->pos + 1))))
				lx->pos++;
			t = push(lx, T_IDENT, lx->line, start);
			t->text = xstrndup(s, lx->pos - start);
			t->len = lx->pos - start;
			if (!strcasecmp(t->text, "__halt_compiler"))
				lx->pos = lx->len; /* the rest of the file is data, not PHP */
		} else if (c < 0x20 || c == 0x7F) {
			/* A NUL or other control byte in code: a damaged file. */
			char *msg = xstrfmt("unexpected byte 0x%02X outside a string or comment", c);
			lex_error(lx, lx->line, lx->pos, msg);
			free(msg);
			return -1;
		} else {
			size_t n = 1;
			for (int i = 0; puncts[i]; i++) {
				size_t k = strlen(puncts[i]);
				if (rest >= k && !memcmp(s, puncts[i], k)) {
					n = k;
					break;
				}
			}
			push_punct(lx, s, n, lx->line, lx->pos);
			lx->pos += n;
		}
	}
	return 0;
}

/* Free the texts of @count tokens from @t. */
static void free_toks(struct tok *t, size_t count)
{
	for (size_t k = 0; k < count; k++)
		free(t[k].text);
}

/* Drop the whole chunks of tokens numbered below @keep (never the last
 * chunk, which is being filled). */
static void lex_drop_before(struct lexer *lx, size_t keep)
{
	size_t k = 0;
	while (k + 1 < lx->nchunks && lx->base + (k + 1) * TOK_CHUNK <= keep) {
		free_toks(lx->chunks[k], TOK_CHUNK);
		free(lx->chunks[k]);
		k++;
	}
	if (!k)
		return;
	memmove(lx->chunks, lx->chunks + k, (lx->nchunks - k) * sizeof(*lx->chunks));
	lx->nchunks -= k;
	lx->base += k * TOK_CHUNK;
}

static void lex_release(struct lexer *lx)
{
	for (size_t k = 0; k < lx->nchunks; k++) {
		size_t used = lx->n - lx->base - k * TOK_CHUNK;
		free_toks(lx->chunks[k], used < TOK_CHUNK ? used : TOK_CHUNK);
		free(lx->chunks[k]);
	}
	free(lx->chunks);
	lx->chunks = NULL;
	lx->nchunks = lx->chunks_alloc = 0;
	lx->base = lx->n = 0;
}

/* Start (or restart) lexing @lx->src from its first byte. */
static void lex_start(struct lexer *lx)
{
	lex_release(lx);
	lx->pos = 0;
	lx->line = 1;
	lx->done = 0;
	lex_html(lx);
}

/* Token number @i, made on demand; past the end, the T_EOF token.  Only
 * after a check pass (phpconf_load) that found no lexing error. */
static struct tok *lex_tok(struct lexer *lx, size_t i)
{
	size_t rel;
	while (i >= lx->n && !lx->done)
		if (lex_more(lx) < 0) { /* cannot happen: the check pass passed */
			push(lx, T_EOF, lx->line, lx->len);
			lx->done = 1;
		}
	if (i >= lx->n)
		i = lx->n - 1;
	rel = i - lx->base;
	return &lx->chunks[rel / TOK_CHUNK][rel % TOK_CHUNK];
}

/* ---- values ------------------------------------------------------------ */

enum vkind { V_NULL, V_BOOL, V_INT, V_STR, V_ARRAY };

struct entry;

struct val {
	enum vkind kind;
	long long i;       /* V_BOOL, V_INT */
	struct strbuf s;   /* V_STR */
	struct entry *items; /* V_ARRAY, in insertion order */
	size_t n, alloc;
	long long next_index;
};

struct entry {
	char *key; /* integer keys as their decimal string */
	struct val v;
};

#define VAL_INIT { V_NULL, 0, STRBUF_INIT, NULL, 0, 0, 0 }

static void val_release(struct val *v)
{
	strbuf_release(&v->s);
	for (size_t k = 0; k < v->n; k++) {
		free(v->items[k].key);
		val_release(&v->items[k].v);
	}
	free(v->items);
	*v = (struct val)VAL_INIT;
}

static const struct val *val_get(const struct val *arr, const char *key)
{
	for (size_t k = 0; k < arr->n; k++)
		if (!strcmp(arr->items[k].key, key))
			return &arr->items[k].v;
	return NULL;
}

/* ---- evaluator ------------------------------------------------------- */

struct parser {
	struct lexer *lx;
	size_t pos;
	const char *path;
	const char *dir;
	struct err *e;
	int depth; /* nesting of arrays, parentheses and unary signs */
};

/* Deeper nesting than any real config.php; it bounds the recursion of the
 * evaluator (and so its stack) on hostile input. */
#define MAX_DEPTH 256

/* Return codes of the parse functions. */
#define HARD (-1)   /* syntax error: PHP itself would reject the file */
#define UNEVAL (-2) /* valid PHP that cannot be evaluated without PHP */

static struct tok *peek(struct parser *P)
{
	return lex_tok(P->lx, P->pos);
}

static int is_punct(const struct tok *t, const char *p)
{
	return t->kind == T_PUNCT && !strcmp(t->text, p);
}

static int fail_at(struct parser *P, const struct tok *t, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail_at(struct parser *P, const struct tok *t, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt); /* through err_vset(): the message keeps its translation */
	err_vset(P->e, fmt, ap);
	va_end(ap);
	err_where(P->e, P->path, t->line, (int64_t)t->off);
	return rc;
}

static const char *tok_spelling(const struct tok *t)
{
	switch (t->kind) {
	case T_EOF: return "end of file";
	case T_STR: return "string";
	default: return t->text;
	}
}

/* An unexpected token: a statement end means PHP would not parse the file
 * either; anything else is PHP we do not evaluate (operators, calls, ...). */
static int unexpected(struct parser *P, const char *expected)
{
	struct tok *t = peek(P);
	if (t->kind == T_EOF || is_punct(t, ";") || is_punct(t, "}")) {
		if (t->kind == T_EOF)
			err_set(P->e, "syntax error: missing %s before the end of the file", expected);
		else
			err_set(P->e, "syntax error: missing %s before '%s'", expected, t->text);
		err_where(P->e, P->path, t->line, (int64_t)t->off);
		syntax_hint(P->e, P->path);
		return HARD;
	}
	return fail_at(P, t, UNEVAL, "cannot evaluate: unsupported syntax at '%s'",
		       tok_spelling(t));
}

static int parse_expr(struct parser *P, struct val *out);

static int to_string(struct parser *P, const struct tok *where, struct val *v)
{
	switch (v->kind) {
	case V_STR:
		return 0;
	case V_NULL:
		break;
	case V_BOOL:
		if (v->i)
			strbuf_addch(&v->s, '1');
		break;
	case V_INT:
		strbuf_addf(&v->s, "%lld", v->i);
		break;
	case V_ARRAY:
		return fail_at(P, where, UNEVAL, "cannot evaluate: %s", "array to string conversion");
	}
	v->kind = V_STR;
	return 0;
}

/* PHP array key normalisation: "5" and 5 and true are the same key. */
static int array_key(struct parser *P, const struct tok *where, struct val *k, char **key,
		     int *is_int, long long *ival)
{
	*is_int = 0;
	switch (k->kind) {
	case V_NULL:
		*key = xstrdup("");
		return 0;
	case V_BOOL:
	case V_INT:
		*is_int = 1;
		*ival = k->i;
		*key = xstrfmt("%lld", k->i);
		return 0;
	case V_STR: {
		const char *s = k->s.buf;
		char *end;
		long long v;
		if (strlen(s) == k->s.len && *s && (s[0] != '0' || !s[1]) &&
		    !(s[0] == '-' && (s[1] == '0' || !s[1]))) {
			errno = 0;
			v = strtoll(s, &end, 10);
			if (!*end && !errno && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))) {
				*is_int = 1;
				*ival = v;
			}
		}
		*key = xstrdup(s);
		return 0;
	}
	case V_ARRAY:
		break;
	}
	return fail_at(P, where, UNEVAL, "cannot evaluate: %s", "an array cannot be an array key");
}

static void array_put(struct val *arr, char *key, struct val *v)
{
	for (size_t k = 0; k < arr->n; k++)
		if (!strcmp(arr->items[k].key, key)) {
			free(key);
			val_release(&arr->items[k].v);
			arr->items[k].v = *v;
			*v = (struct val)VAL_INIT;
			return;
		}
	if (arr->n == arr->alloc) {
		arr->alloc = arr->alloc ? 2 * arr->alloc : 8;
		arr->items = xrealloc(arr->items, arr->alloc * sizeof(*arr->items));
	}
	arr->items[arr->n].key = key;
	arr->items[arr->n].v = *v;
	arr->n++;
	*v = (struct val)VAL_INIT;
}

static int parse_array(struct parser *P, const char *close, struct val *out)
{
	out->kind = V_ARRAY;
	for (;;) {
		struct val k = VAL_INIT, v = VAL_INIT;
		struct tok *kt;
		char *key = NULL;
		int is_int, rc;
		long long ival = 0;

		if (is_punct(peek(P), close)) {
			P->pos++;
			return 0;
		}
		kt = peek(P);
		if ((rc = parse_expr(P, &k)) < 0)
			return rc;
		if (is_punct(peek(P), "=>")) {
			P->pos++;
			if ((rc = parse_expr(P, &v)) < 0) {
				val_release(&k);
				return rc;
			}
			rc = array_key(P, kt, &k, &key, &is_int, &ival);
			val_release(&k);
			if (rc < 0) {
				val_release(&v);
				return rc;
			}
		} else {
			v = k;
			is_int = 1;
			ival = out->next_index;
			key = xstrfmt("%lld", ival);
		}
		if (is_int && ival >= out->next_index)
			out->next_index = ival == LLONG_MAX ? ival : ival + 1;
		array_put(out, key, &v);

		if (is_punct(peek(P), ","))
			P->pos++;
		else if (!is_punct(peek(P), close))
			return unexpected(P, !strcmp(close, "]") ? "']'" : "')'");
	}
}

static int parse_primary(struct parser *P, struct val *out)
{
	struct tok *t = peek(P);
	const char *name;

	switch (t->kind) {
	case T_STR:
		if (t->bad)
			return fail_at(P, t, UNEVAL, "cannot evaluate: %s", t->bad);
		out->kind = V_STR;
		strbuf_add(&out->s, t->text, t->len);
		P->pos++;
		return 0;
	case T_INT:
		if (t->bad)
			return fail_at(P, t, UNEVAL, "cannot evaluate: %s", t->bad);
		out->kind = V_INT;
		out->i = t->ival;
		P->pos++;
		return 0;
	case T_VAR:
		return fail_at(P, t, UNEVAL,
			       "cannot evaluate %s: variables are only known when PHP runs", t->text);
	case T_EOF:
		return unexpected(P, "a value");
	case T_PUNCT:
		if (is_punct(t, "[")) {
			P->pos++;
			return parse_array(P, "]", out);
		}
		if (is_punct(t, "(")) {
			int rc;
			P->pos++;
			if ((rc = parse_expr(P, out)) < 0)
				return rc;
			if (!is_punct(peek(P), ")"))
				return unexpected(P, "')'");
			P->pos++;
			return 0;
		}
		return unexpected(P, "a value");
	case T_IDENT:
		break;
	}

	name = t->text[0] == '\\' ? t->text + 1 : t->text;
	if (!strcasecmp(name, "include") || !strcasecmp(name, "include_once") ||
	    !strcasecmp(name, "require") || !strcasecmp(name, "require_once"))
		return fail_at(P, t, UNEVAL,
			       "cannot evaluate %s: only PHP can run the file it includes", t->text);
	if (is_punct(lex_tok(P->lx, P->pos + 1), "(")) {
		if (!strcasecmp(name, "array")) {
			P->pos += 2;
			return parse_array(P, ")", out);
		}
		return fail_at(P, t, UNEVAL,
			       "cannot evaluate the function call %s(): only PHP can run it", t->text);
	}
	if (is_punct(lex_tok(P->lx, P->pos + 1), "::"))
		return fail_at(P, t, UNEVAL, "cannot evaluate the class constant or call %s::...",
			       t->text);
	if (!strcasecmp(name, "true") || !strcasecmp(name, "false")) {
		out->kind = V_BOOL;
		out->i = !strcasecmp(name, "true");
	} else if (!strcasecmp(name, "null")) {
		out->kind = V_NULL;
	} else if (!strcasecmp(t->text, "__DIR__")) {
		out->kind = V_STR;
		strbuf_addstr(&out->s, P->dir);
	} else if (!strcasecmp(t->text, "__FILE__")) {
		const char *base = strrchr(P->path, '/');
		out->kind = V_STR;
		strbuf_addf(&out->s, "%s/%s", P->dir, base ? base + 1 : P->path);
	} else if (!strcmp(name, "DIRECTORY_SEPARATOR")) {
		out->kind = V_STR;
		strbuf_addch(&out->s, '/');
	} else {
		return fail_at(P, t, UNEVAL, "cannot evaluate the constant %s: only PHP knows it",
			       t->text);
	}
	P->pos++;
	return 0;
}

/* Signs are counted in a loop, not by recursion: "- - - ... 1" is bounded
 * by nothing but the file size. */
static int parse_unary(struct parser *P, struct val *out)
{
	struct tok *first = peek(P);
	int negate = 0, signs = 0, rc;
	while (is_punct(peek(P), "-") || is_punct(peek(P), "+")) {
		negate ^= peek(P)->text[0] == '-';
		signs = 1;
		P->pos++;
	}
	if ((rc = parse_primary(P, out)) < 0)
		return rc;
	if (signs && out->kind != V_INT)
		return fail_at(P, first, UNEVAL, "cannot evaluate: unary %s on a non-integer",
			       first->text);
	if (negate)
		out->i = -out->i;
	return 0;
}

static int parse_expr(struct parser *P, struct val *out)
{
	int rc;
	if (P->depth >= MAX_DEPTH)
		return fail_at(P, peek(P), UNEVAL,
			       "cannot evaluate: arrays or parentheses nested deeper than %d levels",
			       MAX_DEPTH);
	P->depth++;
	rc = parse_unary(P, out);
	P->depth--;
	while (rc == 0 && is_punct(peek(P), ".")) {
		struct tok *dot = peek(P);
		struct val rhs = VAL_INIT;
		P->pos++;
		if ((rc = parse_unary(P, &rhs)) == 0 && (rc = to_string(P, dot, out)) == 0 &&
		    (rc = to_string(P, dot, &rhs)) == 0)
			strbuf_addbuf(&out->s, &rhs.s);
		val_release(&rhs);
	}
	if (rc < 0)
		val_release(out);
	return rc;
}

/* ---- statements -------------------------------------------------------- */

enum which { K_NONE, K_ENV, K_DATADIR, K_DB };

static enum which key_which(const char *key)
{
	if (!strcmp(key, "env"))
		return K_ENV;
	if (!strcmp(key, "datadir"))
		return K_DATADIR;
	if (!strcmp(key, "gaia.db"))
		return K_DB;
	return K_NONE;
}

static void key_hint(struct err *e, enum which w)
{
	const char *how = w == K_DATADIR ? "pass --datadir DIR or set datadir in biso-recover.conf"
			: w == K_DB ? "pass --dbname CONNINFO or set database.conninfo in "
				      "biso-recover.conf"
				    : "write the value as a literal";
	err_hint(e,
		 "biso-recover reads config.php without running PHP and only understands literal "
		 "values (strings, numbers, arrays, __DIR__ and '.'); %s.",
		 how);
}

/* Are tokens @i.. "[\ns\]Config :: set ("? */
static int is_config_set(struct parser *P, size_t i)
{
	const struct tok *t = lex_tok(P->lx, i);
	const char *name, *slash;
	if (t->kind != T_IDENT || !is_punct(lex_tok(P->lx, i + 1), "::") ||
	    lex_tok(P->lx, i + 2)->kind != T_IDENT || strcasecmp(lex_tok(P->lx, i + 2)->text, "set") ||
	    !is_punct(lex_tok(P->lx, i + 3), "("))
		return 0;
	slash = strrchr(t->text, '\\');
	name = slash ? slash + 1 : t->text;
	return !strcasecmp(name, "Config");
}

/* Skip from the "(" at @open to just past its ")"; a ";" directly inside
 * or the end of the file first is a syntax error. */
static int skip_call(struct parser *P, size_t open)
{
	int depth = 0;
	for (size_t i = open;; i++) {
		struct tok *t = lex_tok(P->lx, i);
		if (t->kind == T_EOF || (depth == 1 && is_punct(t, ";"))) {
			err_set(P->e, "syntax error: missing ')' of the Config::set on line %ld",
				lex_tok(P->lx, open)->line);
			err_where(P->e, P->path, t->line, (int64_t)t->off);
			syntax_hint(P->e, P->path);
			return HARD;
		}
		if (t->kind != T_PUNCT)
			continue;
		if (is_punct(t, "(") || is_punct(t, "[") || is_punct(t, "{") || is_punct(t, "#["))
			depth++;
		else if (is_punct(t, ")") || is_punct(t, "]") || is_punct(t, "}"))
			depth--;
		if (depth == 0) {
			P->pos = i + 1;
			return 0;
		}
	}
}

static int set_string(struct parser *P, const char *key, long line, const struct val *v,
		      char **field)
{
	if (v->kind != V_NULL && v->kind != V_STR) {
		err_set(P->e, "Config::set('%s', ...) must be a string", key);
		err_where(P->e, P->path, line, -1);
		key_hint(P->e, key_which(key));
		return -1;
	}
	free(*field);
	*field = NULL;
	if (v->kind == V_STR) {
		if (strlen(v->s.buf) != v->s.len) {
			err_set(P->e, "Config::set('%s', ...) contains a NUL byte", key);
			err_where(P->e, P->path, line, -1);
			key_hint(P->e, key_which(key));
			return -1;
		}
		*field = xstrdup(v->s.buf);
	}
	return 0;
}

static int set_db_field(struct parser *P, long line, const struct val *db, const char *k1,
			const char *k2, char **field)
{
	const struct val *v = val_get(db, k1);
	if (!v || v->kind == V_NULL)
		v = k2 ? val_get(db, k2) : NULL;
	free(*field);
	*field = NULL;
	if (!v || v->kind == V_NULL)
		return 0;
	if (v->kind == V_INT) {
		*field = xstrfmt("%lld", v->i);
		return 0;
	}
	if (v->kind != V_STR || strlen(v->s.buf) != v->s.len) {
		err_set(P->e, "Config::set('gaia.db', ...): '%s' must be a string", k1);
		err_where(P->e, P->path, line, -1);
		key_hint(P->e, K_DB);
		return -1;
	}
	*field = xstrdup(v->s.buf);
	return 0;
}

static int store(struct parser *P, struct phpconf *pc, enum which w, long line, struct val *v)
{
	switch (w) {
	case K_ENV:
		pc->env_line = line;
		return set_string(P, "env", line, v, &pc->env);
	case K_DATADIR:
		pc->datadir_line = line;
		return set_string(P, "datadir", line, v, &pc->datadir);
	case K_DB: {
		static const struct val empty = VAL_INIT;
		const struct val *db = v->kind == V_NULL ? &empty : v;
		if (v->kind != V_ARRAY && v->kind != V_NULL) {
			err_set(P->e, "Config::set('gaia.db', ...) must be an array");
			err_where(P->e, P->path, line, -1);
			key_hint(P->e, K_DB);
			return -1;
		}
		pc->db_line = line;
		if (set_db_field(P, line, db, "host", NULL, &pc->db_host) < 0 ||
		    set_db_field(P, line, db, "port", NULL, &pc->db_port) < 0 ||
		    set_db_field(P, line, db, "dbname", "database", &pc->db_name) < 0 ||
		    set_db_field(P, line, db, "user", "username", &pc->db_user) < 0 ||
		    set_db_field(P, line, db, "password", NULL, &pc->db_password) < 0)
			return -1;
		return 0;
	}
	case K_NONE:
		break;
	}
	return 0;
}

/* One Config::set at t[i]; @top: at statement start outside any block. */
static int config_set(struct parser *P, struct phpconf *pc, size_t i, int top)
{
	long line = lex_tok(P->lx, i)->line;
	size_t open = i + 3;
	struct val key = VAL_INIT, v = VAL_INIT;
	enum which w;
	int rc;

	P->pos = i + 4;
	rc = parse_expr(P, &key);
	if (rc == HARD)
		return -1;
	if (rc == UNEVAL || key.kind != V_STR) {
		val_release(&key);
		if (!top) {
			err_clear(P->e);
			return skip_call(P, open);
		}
		if (rc == 0) {
			err_set(P->e, "the key of Config::set must be a string");
			err_where(P->e, P->path, line, -1);
		} else {
			err_prefix(P->e, "Config::set with a key that cannot be evaluated");
		}
		key_hint(P->e, K_NONE);
		return -1;
	}
	w = key_which(key.s.buf);
	if (w == K_NONE) {
		val_release(&key);
		return skip_call(P, open);
	}
	if (!top) {
		err_set(P->e,
			"Config::set('%s', ...) inside a block or behind a condition: its effect is "
			"only known when PHP runs",
			key.s.buf);
		err_where(P->e, P->path, line, (int64_t)lex_tok(P->lx, i)->off);
		key_hint(P->e, w);
		val_release(&key);
		return -1;
	}
	if (!is_punct(peek(P), ",")) {
		rc = is_punct(peek(P), ")") ? fail_at(P, peek(P), HARD,
						      "Config::set('%s') without a value", key.s.buf)
					    : unexpected(P, "','");
		goto fail;
	}
	P->pos++;
	if ((rc = parse_expr(P, &v)) < 0)
		goto fail;
	if (is_punct(peek(P), ","))
		P->pos++;
	if (!is_punct(peek(P), ")")) {
		rc = unexpected(P, "')'");
		goto fail;
	}
	P->pos++;
	if (!is_punct(peek(P), ";")) {
		rc = is_punct(peek(P), "}") || peek(P)->kind == T_EOF ? unexpected(P, "';'")
			: fail_at(P, peek(P), UNEVAL, "cannot evaluate: Config::set(...) followed by '%s'",
				  tok_spelling(peek(P)));
		goto fail;
	}
	P->pos++;
	rc = store(P, pc, w, line, &v);
	val_release(&key);
	val_release(&v);
	return rc;
fail:
	if (rc == UNEVAL) {
		char *k = xstrfmt("Config::set('%s', ...)", key.s.buf);
		err_prefix(P->e, "%s", k);
		free(k);
		key_hint(P->e, w);
	}
	val_release(&key);
	val_release(&v);
	return -1;
}

static int run(struct parser *P, struct phpconf *pc)
{
	long depth = 0;
	size_t i = 0;
	for (;;) {
		struct tok *t;
		/* Between statements nothing points into the tokens: drop
		 * those before the previous one. */
		if (i > 1)
			lex_drop_before(P->lx, i - 1);
		t = lex_tok(P->lx, i);
		if (t->kind == T_EOF)
			break;
		if (is_config_set(P, i)) {
			const struct tok *prev = i ? lex_tok(P->lx, i - 1) : NULL;
			int top = depth == 0 &&
				  (!prev || is_punct(prev, ";") || is_punct(prev, "}") ||
				   is_punct(prev, "<?php"));
			if (config_set(P, pc, i, top) < 0)
				return -1;
			i = P->pos;
			continue;
		}
		if (is_punct(t, "{"))
			depth++;
		else if (is_punct(t, "}") && depth > 0)
			depth--;
		i++;
	}
	return 0;
}

/* ---- entry points ------------------------------------------------------- */

static int read_file(const char *path, struct strbuf *sb, struct err *e)
{
	FILE *f = fopen(path, "rb");
	char buf[8192];
	size_t n;
	if (!f)
		return err_errno(e, errno, "cannot open %s", path);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(sb, buf, n);
	if (ferror(f)) {
		int saved = errno;
		fclose(f);
		return err_errno(e, saved, "cannot read %s", path);
	}
	fclose(f);
	return 0;
}

static char *dir_of(const char *path, struct err *e)
{
	char *real = realpath(path, NULL), *slash, *dir;
	if (!real) {
		err_errno(e, errno, "cannot resolve the directory of %s", path);
		return NULL;
	}
	slash = strrchr(real, '/');
	dir = slash == real ? xstrdup("/") : xstrndup(real, (size_t)(slash - real));
	free(real);
	return dir;
}

int phpconf_load(const char *path, const char *dir_override, struct phpconf *pc, struct err *e)
{
	struct strbuf src = STRBUF_INIT;
	struct lexer lx;
	struct parser P;
	char *dir = NULL;
	int rc = -1;

	memset(pc, 0, sizeof(*pc));
	memset(&lx, 0, sizeof(lx));
	if (read_file(path, &src, e) < 0)
		goto out;
	dir = dir_override ? xstrdup(dir_override) : dir_of(path, e);
	if (!dir)
		goto out;
	lx.src = src.buf;
	lx.len = src.len;
	lx.line = 1;
	lx.path = path;
	lx.e = e;
	/* Check pass: every lexing error (an unterminated string anywhere)
	 * is found before any Config::set is evaluated, keeping no tokens. */
	lex_start(&lx);
	while (!lx.done) {
		if (lex_more(&lx) < 0)
			goto out;
		lex_drop_before(&lx, lx.n);
	}
	lex_start(&lx);
	P.lx = &lx;
	P.pos = 0;
	P.depth = 0;
	P.path = path;
	P.dir = dir;
	P.e = e;
	rc = run(&P, pc);
out:
	lex_release(&lx);
	free(dir);
	strbuf_release(&src);
	return rc;
}

void phpconf_release(struct phpconf *pc)
{
	free(pc->env);
	free(pc->datadir);
	free(pc->db_host);
	free(pc->db_port);
	free(pc->db_name);
	free(pc->db_user);
	free(pc->db_password);
	memset(pc, 0, sizeof(*pc));
}

char *phpconf_conninfo(const struct phpconf *pc, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	if (!pc->db_name || !*pc->db_name) {
		err_set(e, pc->db_line ? "config.php: gaia.db has no 'dbname'"
				       : "config.php sets no gaia.db");
		err_hint(e, "Name the database with --dbname CONNINFO or database.conninfo in "
			    "biso-recover.conf.");
		return NULL;
	}
	conninfo_append(&sb, "host", pc->db_host);
	conninfo_append(&sb, "port", pc->db_port);
	conninfo_append(&sb, "dbname", pc->db_name);
	conninfo_append(&sb, "user", pc->db_user);
	conninfo_append(&sb, "password", pc->db_password);
	return strbuf_detach(&sb, NULL);
}
