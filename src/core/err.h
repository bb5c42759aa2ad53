/*
 * err: the error object every src/ function fills instead of printing.
 *
 * Split as PostgreSQL's front ends split a report: a primary message (one
 * line, no trailing period), an optional detail (what was found), an
 * optional hint (what the operator should do) and where it happened
 * (file, line, byte offset).  A function that fails returns -1 (or NULL)
 * and fills the caller's struct err; the caller decides how to show it.
 *
 * All strings in a struct err are owned by it; err_clear() frees them.
 *
 * Two languages (i18n.h): the format strings of err_set() and its siblings
 * are msgids.  msg, detail and hint hold the English text (logs, journals
 * and tests read it); lmsg, ldetail and lhint the operator's language,
 * formatted from the catalogue's translation with the same arguments, or
 * NULL where the catalogue has none.  err_format() renders the English,
 * err_format_l10n() what a front end shows.
 */
#ifndef BR_ERR_H
#define BR_ERR_H

#include <stdarg.h>
#include <stdint.h>

struct strbuf;

struct err {
	char *msg;      /* primary message, NULL while no error is set */
	char *detail;   /* optional */
	char *hint;     /* optional */
	char *file;     /* optional: the input file the error is about */
	long line;      /* 1-based line in file, 0 if unknown */
	int64_t offset; /* byte offset in file, -1 if unknown */
	char *lmsg;     /* msg translated, NULL without a translation */
	char *ldetail;  /* detail translated, or NULL */
	char *lhint;    /* hint translated, or NULL */
};

#define ERR_INIT { NULL, NULL, NULL, NULL, 0, -1, NULL, NULL, NULL }

/* Set the primary message (replacing an earlier one).  Always returns -1 so
 * that `return err_set(e, ...)` reads naturally.  @e may be NULL.  The
 * arguments may be the old value (err_hint(e, "%s ...", e->hint)): it is
 * freed only after the new one is formatted; so for detail and hint. */
int err_set(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* err_set() with a va_list, for a module's own error helper (whose name
 * then goes into po/Makevars' XGETTEXT_OPTIONS, so its messages are
 * extracted too). */
int err_vset(struct err *e, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Like err_set() with strerror(@errnum) appended as ": <reason>" (in
 * English to msg, in the operator's language to lmsg). */
int err_errno(struct err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Set or replace detail / hint (printf-style). */
void err_detail(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_hint(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* err_set() with the screen's message @shown built by the caller (NULL:
 * none), for a message with parts in two languages (a list of reasons). */
int err_set_l10n(struct err *e, const char *shown, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Set or replace the detail from @fmt (English) and @shown, the same detail
 * the caller built in the operator's language (NULL: none), for a detail
 * with parts in two languages (a report of translated lines). */
void err_detail_l10n(struct err *e, const char *shown, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Set or replace the hint from @fmt (English) and @shown, the same hint the
 * caller built in the operator's language (NULL: none), for a hint with
 * parts in two languages (an age, a text built with _()). */
void err_hint_l10n(struct err *e, const char *shown, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Set or replace the hint with @msgid, a text passed as data (marked with
 * N_() where it is written: a flow's failure hint, a caller's hint for a
 * check), not a format: hint is @msgid, lhint its translation. */
void err_hint_msgid(struct err *e, const char *msgid);
/* Append @msgid, a whole sentence passed as data (marked with N_()), to
 * the hint after a space (or make it the hint when there is none): the
 * English to hint, its translation after the hint's translation to lhint.
 * For a hint of sentences joined by the code, each translated whole, so
 * the screen's hint is in one language. */
void err_hint_add(struct err *e, const char *msgid);
/* Record where: @file may be NULL (kept), @line 0 and @offset -1 mean unknown. */
void err_where(struct err *e, const char *file, long line, int64_t offset);
/* Prefix the primary message with "@prefix: " (context added by a caller). */
void err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True when an error is set. */
int err_isset(const struct err *e);
/* Free the strings and reset to ERR_INIT. */
void err_clear(struct err *e);
/* Move @src into @dst (dst cleared first); @src becomes empty. */
void err_move(struct err *dst, struct err *src);
/* Copy @src into @dst (dst cleared first); @src is unchanged. */
void err_copy(struct err *dst, const struct err *src);
/* Render as several lines: "FILE:LINE: msg\nDETAIL: ...\nHINT: ...", in
 * English (for logs). */
void err_format(const struct err *e, struct strbuf *out);
/* The same in the operator's language, for the screen: each part's
 * translation where there is one, the English where not. */
void err_format_l10n(const struct err *e, struct strbuf *out);

#endif
