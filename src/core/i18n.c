/* i18n: gettext set-up and the English side of errors; see i18n.h. */
#include "config.h"
#include "i18n.h"

#if ENABLE_NLS
#include <libintl.h>
#endif
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void i18n_init(void)
{
	setlocale(LC_ALL, "");
#if ENABLE_NLS
	{
		const char *dir = getenv("BISO_RECOVER_LOCALEDIR");
		bindtextdomain(PACKAGE, dir && *dir ? dir : LOCALEDIR);
		textdomain(PACKAGE);
	}
#endif
}

/* i18n_english(): per thread, so a worker writing a log does not switch
 * the language of the screen another thread draws */
static _Thread_local int english;

int i18n_english(int on)
{
	int was = english;
	english = on;
	return was;
}

int i18n_is_english(void)
{
	return english;
}

const char *i18n_gettext(const char *s)
{
#if ENABLE_NLS
	if (!english && s && *s)
		return dgettext(PACKAGE, s);
#endif
	return s;
}

const char *i18n_ngettext(const char *one, const char *many, unsigned long n)
{
#if ENABLE_NLS
	if (!english)
		return dngettext(PACKAGE, one, many, n);
#endif
	return n == 1 ? one : many;
}

const char *i18n_find(const char *fmt)
{
#if ENABLE_NLS
	const char *t;
	if (english || !fmt || !*fmt)
		return NULL;
	t = dgettext(PACKAGE, fmt);
	/* gettext returns its argument itself when there is no translation */
	return t != fmt ? t : NULL;
#else
	(void)fmt;
	return NULL;
#endif
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

const char *i18n_strerror_en(int errnum)
{
	pthread_once(&c_locale_once, c_locale_init);
	/* without a C locale object (out of memory) the operator's language
	 * beats no reason at all */
	return c_locale ? strerror_l(errnum, c_locale) : strerror(errnum);
}
