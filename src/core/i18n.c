/* i18n: gettext set-up and the English side of errors; see i18n.h. */
#include "config.h"
#include "i18n.h"

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

const char *i18n_find(const char *fmt)
{
#if ENABLE_NLS
	const char *t = dgettext(PACKAGE, fmt);
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
