/* err: error objects; see err.h. */
#include "config.h"
#include "err.h"
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

int err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;
	char *s;
	if (!e)
		return -1;
	va_start(ap, fmt);
	s = vfmt(fmt, ap);
	va_end(ap);
	free(e->msg);
	e->msg = s;
	return -1;
}

int err_errno(struct err *e, int errnum, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	if (!e)
		return -1;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	strbuf_addf(&sb, ": %s", strerror(errnum));
	free(e->msg);
	e->msg = strbuf_detach(&sb, NULL);
	return -1;
}

void err_detail(struct err *e, const char *fmt, ...)
{
	va_list ap;
	char *s;
	if (!e)
		return;
	va_start(ap, fmt);
	s = vfmt(fmt, ap);
	va_end(ap);
	free(e->detail);
	e->detail = s;
}

void err_hint(struct err *e, const char *fmt, ...)
{
	va_list ap;
	char *s;
	if (!e)
		return;
	va_start(ap, fmt);
	s = vfmt(fmt, ap);
	va_end(ap);
	free(e->hint);
	e->hint = s;
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
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	if (!e)
		return;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (e->msg)
		strbuf_addf(&sb, ": %s", e->msg);
	free(e->msg);
	e->msg = strbuf_detach(&sb, NULL);
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

void err_format(const struct err *e, struct strbuf *out)
{
	if (!e || !e->msg)
		return;
	if (e->file) {
		strbuf_addstr(out, e->file);
		if (e->line > 0)
			strbuf_addf(out, ":%ld", e->line);
		if (e->offset >= 0)
			strbuf_addf(out, " (byte %lld)", (long long)e->offset);
		strbuf_addstr(out, ": ");
	} else if (e->offset >= 0) {
		strbuf_addf(out, "byte %lld: ", (long long)e->offset);
	}
	strbuf_addstr(out, e->msg);
	if (e->detail)
		strbuf_addf(out, "\nDETAIL: %s", e->detail);
	if (e->hint)
		strbuf_addf(out, "\nHINT: %s", e->hint);
}
