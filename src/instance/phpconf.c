/* phpconf: read BISO's config.php without executing PHP; see phpconf.h. */
#include "config.h"
#include "phpconf.h"
#include "phpconf_int.h"
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
	return phpconf_lex_tok(P->lx, P->pos);
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
		phpconf_syntax_hint(P->e, P->path);
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
	if (is_punct(phpconf_lex_tok(P->lx, P->pos + 1), "(")) {
		if (!strcasecmp(name, "array")) {
			P->pos += 2;
			return parse_array(P, ")", out);
		}
		return fail_at(P, t, UNEVAL,
			       "cannot evaluate the function call %s(): only PHP can run it", t->text);
	}
	if (is_punct(phpconf_lex_tok(P->lx, P->pos + 1), "::"))
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

/* One whole sentence for each: a part passed into a translated one stayed
 * English on a German screen. */
static void key_hint(struct err *e, enum which w)
{
	if (w == K_DATADIR)
		err_hint(e, "biso-recover reads config.php without running PHP and only understands "
			    "literal values (strings, numbers, arrays, __DIR__ and '.'); pass --datadir "
			    "DIR or set datadir in biso-recover.conf.");
	else if (w == K_DB)
		err_hint(e, "biso-recover reads config.php without running PHP and only understands "
			    "literal values (strings, numbers, arrays, __DIR__ and '.'); pass --dbname "
			    "CONNINFO or set database.conninfo in biso-recover.conf.");
	else
		err_hint(e, "biso-recover reads config.php without running PHP and only understands "
			    "literal values (strings, numbers, arrays, __DIR__ and '.'); write the value "
			    "as a literal.");
}

/* Are tokens @i.. "[\ns\]Config :: set ("? */
static int is_config_set(struct parser *P, size_t i)
{
	const struct tok *t = phpconf_lex_tok(P->lx, i);
	const char *name, *slash;
	if (t->kind != T_IDENT || !is_punct(phpconf_lex_tok(P->lx, i + 1), "::") ||
	    phpconf_lex_tok(P->lx, i + 2)->kind != T_IDENT || strcasecmp(phpconf_lex_tok(P->lx, i + 2)->text, "set") ||
	    !is_punct(phpconf_lex_tok(P->lx, i + 3), "("))
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
		struct tok *t = phpconf_lex_tok(P->lx, i);
		if (t->kind == T_EOF || (depth == 1 && is_punct(t, ";"))) {
			err_set(P->e, "syntax error: missing ')' of the Config::set on line %ld",
				phpconf_lex_tok(P->lx, open)->line);
			err_where(P->e, P->path, t->line, (int64_t)t->off);
			phpconf_syntax_hint(P->e, P->path);
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
	long line = phpconf_lex_tok(P->lx, i)->line;
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
		err_where(P->e, P->path, line, (int64_t)phpconf_lex_tok(P->lx, i)->off);
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
			phpconf_lex_drop_before(P->lx, i - 1);
		t = phpconf_lex_tok(P->lx, i);
		if (t->kind == T_EOF)
			break;
		if (is_config_set(P, i)) {
			const struct tok *prev = i ? phpconf_lex_tok(P->lx, i - 1) : NULL;
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
	phpconf_lex_start(&lx);
	while (!lx.done) {
		if (phpconf_lex_more(&lx) < 0)
			goto out;
		phpconf_lex_drop_before(&lx, lx.n);
	}
	phpconf_lex_start(&lx);
	P.lx = &lx;
	P.pos = 0;
	P.depth = 0;
	P.path = path;
	P.dir = dir;
	P.e = e;
	rc = run(&P, pc);
out:
	phpconf_lex_release(&lx);
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
	return phpconf_conninfo_db(pc, NULL, e);
}

char *phpconf_conninfo_db(const struct phpconf *pc, const char *dbname, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	if (dbname && *dbname) {
		conninfo_append(&sb, "host", pc->db_host);
		conninfo_append(&sb, "port", pc->db_port);
		conninfo_append(&sb, "dbname", dbname);
		conninfo_append(&sb, "user", pc->db_user);
		conninfo_append(&sb, "password", pc->db_password);
		return strbuf_detach(&sb, NULL);
	}
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
