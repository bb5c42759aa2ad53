/*
 * phpconf_int: what the lexer (phpconf_lex.c) and the evaluator
 * (phpconf.c) of config.php share.  Not a public interface.
 *
 * The lexer makes PHP tokens on demand from the whole file in memory; the
 * evaluator asks for token i and drops the tokens behind it between
 * statements.
 */
#ifndef BR_PHPCONF_INT_H
#define BR_PHPCONF_INT_H

#include <stddef.h>

struct err;

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

/* Start (or restart) lexing @lx->src from its first byte. */
void phpconf_lex_start(struct lexer *lx);
/* Make the next tokens: 0, or -1 with lx->e set (file, line, offset) on a
 * literal PHP itself rejects. */
int phpconf_lex_more(struct lexer *lx);
/* Token number @i, made on demand; past the end, the T_EOF token.  Only
 * after a check pass that found no lexing error. */
struct tok *phpconf_lex_tok(struct lexer *lx, size_t i);
/* Drop the whole chunks of tokens numbered below @keep. */
void phpconf_lex_drop_before(struct lexer *lx, size_t keep);
/* Free every token. */
void phpconf_lex_release(struct lexer *lx);
/* The hint of an error that PHP itself would reject the file for. */
void phpconf_syntax_hint(struct err *e, const char *path);

#endif
