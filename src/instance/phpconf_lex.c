/* phpconf_lex: the PHP tokens of config.php, made on demand; see
 * phpconf_int.h. */
#include "config.h"
#include "phpconf_int.h"
#include "err.h"
#include "strbuf.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
void phpconf_syntax_hint(struct err *e, const char *path)
{
	err_hint(e, "PHP rejects this file too (php -l %s shows it): repair it, or use the "
		    "backup's copy of config.php.", path);
}

static int lex_error(struct lexer *lx, long line, size_t off, const char *msg)
{
	err_set(lx->e, "%s", msg);
	err_where(lx->e, lx->path, line, (int64_t)off);
	phpconf_syntax_hint(lx->e, lx->path);
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
int phpconf_lex_more(struct lexer *lx)
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
void phpconf_lex_drop_before(struct lexer *lx, size_t keep)
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

void phpconf_lex_release(struct lexer *lx)
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
void phpconf_lex_start(struct lexer *lx)
{
	phpconf_lex_release(lx);
	lx->pos = 0;
	lx->line = 1;
	lx->done = 0;
	lex_html(lx);
}

/* Token number @i, made on demand; past the end, the T_EOF token.  Only
 * after a check pass (phpconf_load) that found no lexing error. */
struct tok *phpconf_lex_tok(struct lexer *lx, size_t i)
{
	size_t rel;
	while (i >= lx->n && !lx->done)
		if (phpconf_lex_more(lx) < 0) { /* cannot happen: the check pass passed */
			push(lx, T_EOF, lx->line, lx->len);
			lx->done = 1;
		}
	if (i >= lx->n)
		i = lx->n - 1;
	rel = i - lx->base;
	return &lx->chunks[rel / TOK_CHUNK][rel % TOK_CHUNK];
}

