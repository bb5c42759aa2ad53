/* exclude: rsync exclude patterns; see exclude.h. */
#include "config.h"
#include "exclude.h"
#include "err.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

struct pattern {
	char *pat;     /* without leading '/' and trailing '/' */
	int dir_only;  /* trailing '/' */
	int anchored;  /* leading '/' */
	int full_path; /* has '/' or "**": matched against the path, else basename */
};

struct exclude_list {
	struct pattern *p;
	int n;
};

/* Character class at @p (just after '['); returns the position after ']'
 * or NULL if unterminated; *@hit says if @c is in it. */
static const char *match_class(const char *p, unsigned char c, int *hit)
{
	int neg = 0, found = 0;
	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	if (*p == ']') { /* a leading ']' is literal */
		found |= c == ']';
		p++;
	}
	while (*p && *p != ']') {
		unsigned char lo = (unsigned char)*p, hi;
		if (lo == '\\' && p[1])
			lo = (unsigned char)*++p;
		p++;
		hi = lo;
		if (*p == '-' && p[1] && p[1] != ']') {
			p++;
			hi = (unsigned char)*p;
			if (hi == '\\' && p[1])
				hi = (unsigned char)*++p;
			p++;
		}
		if (c >= lo && c <= hi)
			found = 1;
	}
	if (*p != ']')
		return NULL;
	*hit = found ^ neg;
	return p + 1;
}

/* Returns 1 match, 0 no match.  Recursion depth is bounded by the number
 * of '*' in the pattern. */
static int wild(const char *p, const char *s)
{
	for (; *p; p++, s++) {
		switch (*p) {
		case '?':
			if (!*s || *s == '/')
				return 0;
			break;
		case '*': {
			int dbl = p[1] == '*';
			while (*p == '*')
				p++;
			if (!*p)
				return dbl || !strchr(s, '/');
			for (;; s++) {
				if (wild(p, s))
					return 1;
				if (!*s || (!dbl && *s == '/'))
					return 0;
			}
		}
		case '[': {
			int hit = 0;
			const char *q;
			if (!*s || *s == '/')
				return 0;
			q = match_class(p + 1, (unsigned char)*s, &hit);
			if (!q)
				return *s == '[' ? wild(p + 1, s + 1) : 0;
			if (!hit)
				return 0;
			p = q - 1;
			break;
		}
		case '\\':
			if (p[1])
				p++;
			/* fall through */
		default:
			if (*s != *p)
				return 0;
		}
	}
	return *s == '\0';
}

int exclude_wildmatch(const char *pat, const char *str)
{
	return wild(pat, str);
}

struct exclude_list *exclude_new(const char *const *patterns, struct err *e)
{
	struct exclude_list *x = xcalloc(1, sizeof *x);
	int n = 0;
	if (patterns)
		while (patterns[n])
			n++;
	x->p = xcalloc((size_t)n + 1, sizeof *x->p);
	for (int i = 0; i < n; i++) {
		const char *s = patterns[i];
		size_t len = strlen(s);
		struct pattern *p = &x->p[x->n];
		if (len && s[0] == '/') {
			p->anchored = 1;
			s++;
			len--;
		}
		while (len && s[len - 1] == '/') {
			p->dir_only = 1;
			len--;
		}
		if (!len) {
			err_set(e, "empty exclude pattern \"%s\"", patterns[i]);
			err_hint(e, "give a name, a wildcard such as \"*.log\" or a directory such as \"tmp/\"");
			exclude_free(x);
			return NULL;
		}
		p->pat = xstrndup(s, len);
		p->full_path = p->anchored || strchr(p->pat, '/') || strstr(p->pat, "**");
		x->n++;
		/* "dir/" + three stars also matches "dir" itself, as rsync documents */
		if (len >= 4 && !strcmp(p->pat + len - 4, "/***")) {
			struct pattern *q;
			x->p = xrealloc(x->p, ((size_t)n + (size_t)x->n + 1) * sizeof *x->p);
			p = &x->p[x->n - 1];
			q = &x->p[x->n];
			*q = *p;
			q->pat = xstrndup(p->pat, len - 4);
			q->full_path = q->anchored || strchr(q->pat, '/') || strstr(q->pat, "**");
			q->dir_only = 1;
			x->n++;
		}
	}
	return x;
}

void exclude_free(struct exclude_list *x)
{
	if (!x)
		return;
	for (int i = 0; i < x->n; i++)
		free(x->p[i].pat);
	free(x->p);
	free(x);
}

int exclude_count(const struct exclude_list *x)
{
	return x ? x->n : 0;
}

static int match_one(const struct pattern *p, const char *rel, int is_dir)
{
	const char *s;
	if (p->dir_only && !is_dir)
		return 0;
	if (!p->full_path) {
		const char *base = strrchr(rel, '/');
		return wild(p->pat, base ? base + 1 : rel);
	}
	if (p->anchored)
		return wild(p->pat, rel);
	/* floating: the whole path or any tail after a '/' */
	for (s = rel;;) {
		if (wild(p->pat, s))
			return 1;
		s = strchr(s, '/');
		if (!s)
			return 0;
		s++;
	}
}

int exclude_match(const struct exclude_list *x, const char *rel, int is_dir)
{
	if (!x)
		return 0;
	for (int i = 0; i < x->n; i++)
		if (match_one(&x->p[i], rel, is_dir))
			return 1;
	return 0;
}

int exclude_match_path(const struct exclude_list *x, const char *rel, int is_dir)
{
	char *tmp;
	int hit = 0;
	if (!x || !x->n)
		return 0;
	if (exclude_match(x, rel, is_dir))
		return 1;
	tmp = xstrdup(rel);
	for (char *slash = strchr(tmp, '/'); slash && !hit; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (*tmp)
			hit = exclude_match(x, tmp, 1);
		*slash = '/';
	}
	free(tmp);
	return hit;
}
