/* strbuf: growable byte buffer; see strbuf.h. */
#include "config.h"
#include "strbuf.h"
#include "i18n.h"
#include "onexit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char strbuf_empty[1];

static void die_oom(size_t n)
{
	/* Out of memory: nothing sensible can continue; see strbuf.h.  The
	 * on-exit list first: it gives back fd 2 and the terminal, so that
	 * the message is seen, on a terminal that works. */
	onexit_run();
	fprintf(stderr, "biso-recover: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		die_oom(nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		die_oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xstrfmt(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return strbuf_detach(&sb, NULL);
}

void strbuf_init(struct strbuf *sb, size_t hint)
{
	sb->alloc = sb->len = 0;
	sb->buf = strbuf_empty;
	if (hint)
		strbuf_grow(sb, hint);
}

void strbuf_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb, 0);
}

char *strbuf_detach(struct strbuf *sb, size_t *len_out)
{
	char *res;
	strbuf_grow(sb, 0);
	res = sb->buf;
	if (len_out)
		*len_out = sb->len;
	strbuf_init(sb, 0);
	return res;
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;
	int fresh = !sb->alloc;
	if (need < sb->len) /* overflow */
		die_oom(SIZE_MAX);
	if (need <= sb->alloc)
		return;
	size_t na = sb->alloc ? sb->alloc : 64;
	while (na < need)
		na = na < SIZE_MAX / 2 ? na * 2 : need;
	sb->buf = xrealloc(fresh ? NULL : sb->buf, na);
	sb->alloc = na;
	if (fresh)
		sb->buf[0] = '\0';
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
	if (!sb->alloc) {
		/* The shared empty string must stay empty. */
		if (len)
			abort();
		return;
	}
	sb->len = len;
	sb->buf[len] = '\0';
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	if (!len)
		return;
	strbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	strbuf_setlen(sb, sb->len + len);
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, int c)
{
	strbuf_grow(sb, 1);
	sb->buf[sb->len] = (char)c;
	strbuf_setlen(sb, sb->len + 1);
}

void strbuf_addbuf(struct strbuf *sb, const struct strbuf *other)
{
	strbuf_add(sb, other->buf, other->len);
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	strbuf_grow(sb, 64);
	va_copy(cp, ap);
	n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		abort();
	if ((size_t)n >= sb->alloc - sb->len) {
		strbuf_grow(sb, (size_t)n);
		n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
	}
	strbuf_setlen(sb, sb->len + (size_t)n);
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void strbuf_rtrim(struct strbuf *sb)
{
	size_t n = sb->len;
	while (n && strchr(" \t\r\n", sb->buf[n - 1]))
		n--;
	if (sb->alloc)
		strbuf_setlen(sb, n);
}

void strbuf_addcount(struct strbuf *sb, unsigned long long n, const char *one, const char *many)
{
	strbuf_addf(sb, "%llu %s", n, n == 1 ? one : many);
}

/* "N day(s)" (@unit 0), hours (1) or minutes (2), in English or, with
 * @l10n, in the operator's language. */
static void add_unit(struct strbuf *sb, int unit, unsigned long long n, int l10n)
{
	static const char *const one[] = { "day", "hour", "minute" };
	static const char *const many[] = { "days", "hours", "minutes" };
	if (!l10n)
		strbuf_addcount(sb, n, one[unit], many[unit]);
	else if (unit == 0)
		strbuf_addf(sb, P_("%llu day", "%llu days", n), n);
	else if (unit == 1)
		strbuf_addf(sb, P_("%llu hour", "%llu hours", n), n);
	else
		strbuf_addf(sb, P_("%llu minute", "%llu minutes", n), n);
}

static void humanise_age(struct strbuf *sb, long long seconds, int l10n)
{
	static const long long secs[] = { 86400, 3600, 60 };
	int i = 0;
	if (seconds < 60) {
		strbuf_addstr(sb, l10n ? _("less than a minute") : "less than a minute");
		return;
	}
	while (seconds < secs[i])
		i++;
	add_unit(sb, i, (unsigned long long)(seconds / secs[i]), l10n);
	seconds %= secs[i];
	if (i + 1 < 3 && seconds >= secs[i + 1]) {
		strbuf_addch(sb, ' ');
		add_unit(sb, i + 1, (unsigned long long)(seconds / secs[i + 1]), l10n);
	}
}

void strbuf_humanise_age(struct strbuf *sb, long long seconds)
{
	humanise_age(sb, seconds, 0);
}

void strbuf_humanise_age_l10n(struct strbuf *sb, long long seconds)
{
	humanise_age(sb, seconds, 1);
}

void strbuf_humanise_bytes(struct strbuf *sb, unsigned long long bytes)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		strbuf_addf(sb, "%llu B", bytes);
	else
		strbuf_addf(sb, "%.1f %s", v, unit[u]);
}
