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

#if ENABLE_NLS
#include <libintl.h>
#define _(s) dgettext(PACKAGE, s)
#define P_(one, many, n) dngettext(PACKAGE, one, many, (unsigned long)(n))
#else
#define _(s) ((const char *)(s))
#define P_(one, many, n) ((n) == 1 ? (one) : (many))
#endif
#define N_(s) s

/* Called once by main() before anything else: setlocale(LC_ALL, ""), and
 * the text domain bound to LOCALEDIR, or to $BISO_RECOVER_LOCALEDIR when
 * that is set (the tests run the build tree's catalogue with it). */
void i18n_init(void);

/* The translation of format @fmt, or NULL when the catalogue has none (or
 * NLS is off): the caller then keeps the English text alone. */
const char *i18n_find(const char *fmt);

/* strerror(@errnum) in English (the C locale), for the English side of an
 * error.  Static or thread-local storage of libc; never NULL. */
const char *i18n_strerror_en(int errnum);

#endif
