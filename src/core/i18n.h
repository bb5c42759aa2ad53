/*
 * i18n: the translated user interface (gettext, text domain PACKAGE,
 * catalogues in po/; German today, written in Swiss standard German).
 *
 * Who translates where:
 *  - ui/ marks what it prints with _() and P_() (every count: the plural
 *    form depends on the number) and prints the translation.  N_() marks a
 *    text that is translated later, where it is printed (tables).
 *  - src/ never translates what it logs.  An error is set with err_set(),
 *    err_errno(), err_detail(), err_hint() and err_prefix(), whose format
 *    strings are the msgids (po/Makevars gives xgettext these keywords, so
 *    the calls need no marking); struct err keeps both texts: the English
 *    one in msg, detail and hint, read by logs, journals and tests, and the
 *    translation, formatted from the catalogue's format string with the
 *    same arguments, which err_format_l10n() renders for the operator.
 *
 * Log files stay English (support reads them and searches them by
 * message): whatever goes to a log is the English text, err_format() or
 * e->msg, never err_format_l10n().  The library uses dgettext() with its
 * own domain, so it translates the same way whatever a program's default
 * domain is.
 *
 * Texts built once for both the screen and the log (a summary, a plan, an
 * end text: run.h) use _() and are built in the operator's language; the
 * code that writes such a text to a log builds it again inside
 * i18n_english(1) ... i18n_english(0), where _() and P_() return the
 * English msgid on this thread.  Log lines go through report_log()
 * (report.h), which hands a front end both the English line and its
 * translation.
 *
 * Which language: setlocale(LC_ALL, "") in i18n_init(), so LANG, LC_ALL,
 * LC_MESSAGES and LANGUAGE as usual.  The German catalogue is installed as
 * "de", which gettext finds for de_CH, de_DE and de_AT (it falls back from
 * language_TERRITORY to language); C, POSIX and any language without a
 * catalogue get the English msgids.  The locale must exist on the system
 * (locale -a): glibc leaves a missing one at C.
 */
#ifndef BR_I18N_H
#define BR_I18N_H

#include "config.h"

#define _(s) i18n_gettext(s)
#define P_(one, many, n) i18n_ngettext(one, many, (unsigned long)(n))
#define N_(s) s

/* The translation of msgid @s (dgettext of our domain), or @s itself
 * without one, with NLS off, or inside i18n_english(1) on this thread.
 * Static storage of the catalogue; never NULL for a non-NULL @s. */
const char *i18n_gettext(const char *s) __attribute__((format_arg(1)));
/* The same for a count: @one or @many by n, as dngettext() chooses. */
const char *i18n_ngettext(const char *one, const char *many, unsigned long n)
	__attribute__((format_arg(1))) __attribute__((format_arg(2)));

/* @on 1: from now on, on this thread, _() and P_() return English (a text
 * built for a log); 0: the operator's language again.  Returns the
 * previous setting, to restore it. */
int i18n_english(int on);
/* 1 inside i18n_english(1) on this thread. */
int i18n_is_english(void);

/* Called once by main() before anything else: setlocale(LC_ALL, ""), and
 * the text domain bound to $BISO_RECOVER_LOCALEDIR when that is set (the
 * tests give their own catalogue with it), else to the build tree's
 * "locale/" beside the binary when there is one (`make` compiles po/ into
 * it: the README's build without `make install`), else to LOCALEDIR. */
void i18n_init(void);

/* The translation of format @fmt, or NULL when the catalogue has none (or
 * NLS is off, or inside i18n_english(1)): the caller then keeps the
 * English text alone. */
const char *i18n_find(const char *fmt);

/* strerror(@errnum) in English (the C locale), for the English side of an
 * error.  Static or thread-local storage of libc; never NULL. */
const char *i18n_strerror_en(int errnum);

#endif
