/*
 * strbuf: a growable, always NUL-terminated byte buffer (after git's strbuf).
 *
 * A strbuf is never NULL-buffered: after STRBUF_INIT or strbuf_init() `buf`
 * points at a valid empty string, so it can be printed at any time.  The
 * buffer may hold NUL bytes; `len` is authoritative.  Allocation failure is
 * fatal by design (abort(), after onexit_run()), as in git: every caller
 * would otherwise have to handle an out-of-memory it cannot recover from,
 * mid-restore.
 */
#ifndef BR_STRBUF_H
#define BR_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	size_t alloc; /* bytes allocated, 0 while buf is the shared empty string */
	size_t len;   /* bytes used, not counting the trailing NUL */
	char *buf;    /* never NULL */
};

extern char strbuf_empty[];
#define STRBUF_INIT { 0, 0, strbuf_empty }

/* Initialise @sb with room for @hint bytes (0: allocate lazily). */
void strbuf_init(struct strbuf *sb, size_t hint);
/* Free @sb's memory and reinitialise it as empty. */
void strbuf_release(struct strbuf *sb);
/* Take the buffer out of @sb: the caller owns the returned malloc'd string
 * (never NULL) and @sb is empty again.  *@len_out gets the length if non-NULL. */
char *strbuf_detach(struct strbuf *sb, size_t *len_out);
/* Make room for @extra more bytes beyond len (+ NUL). */
void strbuf_grow(struct strbuf *sb, size_t extra);
/* Set len to @len (<= alloc) and write the terminating NUL. */
void strbuf_setlen(struct strbuf *sb, size_t len);
#define strbuf_reset(sb) strbuf_setlen((sb), 0)

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addbuf(struct strbuf *sb, const struct strbuf *other);
/* printf-style append. */
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Remove trailing whitespace (space, tab, CR, LF). */
void strbuf_rtrim(struct strbuf *sb);
/* Append a human-readable byte count ("1.5 MiB"). */
void strbuf_humanise_bytes(struct strbuf *sb, unsigned long long bytes);
/* Append a time span in its two largest units, rounded down: "2 days 3
 * hours", "5 hours 10 minutes", "1 minute", "less than a minute" (@seconds
 * below 60, or negative). */
void strbuf_humanise_age(struct strbuf *sb, long long seconds);
/* The same in the operator's language (i18n.h), for the screen; a log
 * takes strbuf_humanise_age(). */
void strbuf_humanise_age_l10n(struct strbuf *sb, long long seconds);
/* Append "@n @one" when @n is 1, else "@n @many" ("1 file", "2 files"). */
void strbuf_addcount(struct strbuf *sb, unsigned long long n, const char *one, const char *many);

/* xmalloc family: on allocation failure run the on-exit list (onexit.h:
 * the terminal is given back), print a message and abort(). */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Return a malloc'd printf result; never NULL. */
char *xstrfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
