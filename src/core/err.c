/* err: error objects; see err.h. */
#include "config.h"
#include "err.h"
#include "i18n.h"
#include "strbuf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static char *vfmt(const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_vaddf(&sb, fmt, ap);
	return strbuf_detach(&sb, NULL);
}

/* Format @fmt into *@en and its translation, if any, into *@l10n (NULL
 * without one); with @with_errno, ": <strerror(@errnum)>" appended to each
 * in its language.  The old values are freed only after both are
 * formatted: the arguments may be them. */
static void set2(char **en, char **l10n, int with_errno, int errnum, const char *fmt, va_list ap)
{
	const char *t = i18n_find(fmt);
	char *a, *b = NULL;
	va_list ap2;

	va_copy(ap2, ap);
	a = vfmt(fmt, ap);
	if (t)
		b = vfmt(t, ap2);
	va_end(ap2);
	if (with_errno) {
		char *x = xstrfmt("%s: %s", a, i18n_strerror_en(errnum));
		free(a);
		a = x;
		if (b) {
			x = xstrfmt("%s: %s", b, strerror(errnum));
			free(b);
			b = x;
		}
	}
	free(*en);
	free(*l10n);
	*en = a;
	*l10n = b;
}

int err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return -1;
	va_start(ap, fmt);
	set2(&e->msg, &e->lmsg, 0, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int err_vset(struct err *e, const char *fmt, va_list ap)
{
	if (e)
		set2(&e->msg, &e->lmsg, 0, 0, fmt, ap);
	return -1;
}

int err_errno(struct err *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return -1;
	va_start(ap, fmt);
	set2(&e->msg, &e->lmsg, 1, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

void err_detail(struct err *e, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return;
	va_start(ap, fmt);
	set2(&e->detail, &e->ldetail, 0, 0, fmt, ap);
	va_end(ap);
}

void err_hint(struct err *e, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return;
	va_start(ap, fmt);
	set2(&e->hint, &e->lhint, 0, 0, fmt, ap);
	va_end(ap);
}

/* *@en gets the English text of @fmt, *@l10n a copy of @shown (NULL:
 * none), the old values freed. */
static void put_l10n(char **en, char **l10n, const char *shown, const char *fmt, va_list ap)
{
	/* both made before the old ones go: @shown or an argument may be one */
	char *text = vfmt(fmt, ap), *copy = shown ? xstrdup(shown) : NULL;
	free(*en);
	free(*l10n);
	*en = text;
	*l10n = copy;
}

int err_set_l10n(struct err *e, const char *shown, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return -1;
	va_start(ap, fmt);
	put_l10n(&e->msg, &e->lmsg, shown, fmt, ap);
	va_end(ap);
	return -1;
}

void err_detail_l10n(struct err *e, const char *shown, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return;
	va_start(ap, fmt);
	put_l10n(&e->detail, &e->ldetail, shown, fmt, ap);
	va_end(ap);
}

void err_hint_l10n(struct err *e, const char *shown, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return;
	va_start(ap, fmt);
	put_l10n(&e->hint, &e->lhint, shown, fmt, ap);
	va_end(ap);
}

void err_hint_msgid(struct err *e, const char *msgid)
{
	const char *t;
	char *en, *l10n;
	if (!e || !msgid)
		return;
	t = i18n_find(msgid);
	en = xstrdup(msgid);
	l10n = t ? xstrdup(t) : NULL;
	free(e->hint);
	free(e->lhint);
	e->hint = en;
	e->lhint = l10n;
}

void err_hint_add(struct err *e, const char *msgid)
{
	const char *t;
	char *en, *l10n = NULL;
	if (!e || !msgid)
		return;
	t = i18n_find(msgid);
	en = e->hint ? xstrfmt("%s %s", e->hint, msgid) : xstrdup(msgid);
	/* English alone when neither part has a translation */
	if (t || e->lhint)
		l10n = e->hint ? xstrfmt("%s %s", e->lhint ? e->lhint : e->hint, t ? t : msgid)
			       : xstrdup(t ? t : msgid);
	free(e->hint);
	free(e->lhint);
	e->hint = en;
	e->lhint = l10n;
}

void err_where(struct err *e, const char *file, long line, int64_t offset)
{
	if (!e)
		return;
	if (file) {
		free(e->file);
		e->file = xstrdup(file);
	}
	e->line = line;
	e->offset = offset;
}

void err_prefix(struct err *e, const char *fmt, ...)
{
	char *en = NULL, *l10n = NULL;
	va_list ap;
	if (!e)
		return;
	va_start(ap, fmt);
	set2(&en, &l10n, 0, 0, fmt, ap);
	va_end(ap);
	if (e->lmsg && !l10n)
		l10n = xstrdup(en);
	if (e->msg) {
		char *x = xstrfmt("%s: %s", en, e->msg);
		free(en);
		en = x;
	}
	if (l10n && (e->lmsg || e->msg)) {
		char *x = xstrfmt("%s: %s", l10n, e->lmsg ? e->lmsg : e->msg);
		free(l10n);
		l10n = x;
	}
	free(e->msg);
	free(e->lmsg);
	e->msg = en;
	e->lmsg = l10n;
}

int err_isset(const struct err *e)
{
	return e && e->msg;
}

void err_clear(struct err *e)
{
	if (!e)
		return;
	free(e->msg);
	free(e->detail);
	free(e->hint);
	free(e->file);
	free(e->lmsg);
	free(e->ldetail);
	free(e->lhint);
	*e = (struct err)ERR_INIT;
}

void err_move(struct err *dst, struct err *src)
{
	if (!dst || dst == src)
		return;
	err_clear(dst);
	*dst = *src;
	*src = (struct err)ERR_INIT;
}

/* A malloc'd copy of @s, or NULL. */
static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void err_copy(struct err *dst, const struct err *src)
{
	if (!dst || dst == src)
		return;
	err_clear(dst);
	*dst = *src;
	dst->msg = dup_or_null(src->msg);
	dst->detail = dup_or_null(src->detail);
	dst->hint = dup_or_null(src->hint);
	dst->file = dup_or_null(src->file);
	dst->lmsg = dup_or_null(src->lmsg);
	dst->ldetail = dup_or_null(src->ldetail);
	dst->lhint = dup_or_null(src->lhint);
}

static void add_offset(struct strbuf *out, int64_t offset, int l10n)
{
	if (l10n)
		strbuf_addf(out, _("byte %lld"), (long long)offset);
	else
		strbuf_addf(out, "byte %lld", (long long)offset);
}

/* err_format() and err_format_l10n(): @l10n picks the translations. */
static void format(const struct err *e, struct strbuf *out, int l10n)
{
#define PICK(en, tr) (l10n && (tr) ? (tr) : (en))
	const char *detail = l10n ? _("DETAIL:") : "DETAIL:";
	const char *hint = l10n ? _("HINT:") : "HINT:";
	if (!e || !e->msg)
		return;
	if (e->file) {
		strbuf_addstr(out, e->file);
		if (e->line > 0)
			strbuf_addf(out, ":%ld", e->line);
		if (e->offset >= 0) {
			strbuf_addstr(out, " (");
			add_offset(out, e->offset, l10n);
			strbuf_addch(out, ')');
		}
		strbuf_addstr(out, ": ");
	} else if (e->offset >= 0) {
		add_offset(out, e->offset, l10n);
		strbuf_addstr(out, ": ");
	}
	strbuf_addstr(out, PICK(e->msg, e->lmsg));
	if (e->detail)
		strbuf_addf(out, "\n%s %s", detail, PICK(e->detail, e->ldetail));
	if (e->hint)
		strbuf_addf(out, "\n%s %s", hint, PICK(e->hint, e->lhint));
#undef PICK
}

void err_format(const struct err *e, struct strbuf *out)
{
	format(e, out, 0);
}

void err_format_l10n(const struct err *e, struct strbuf *out)
{
	format(e, out, 1);
}
