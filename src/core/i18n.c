/* i18n: gettext set-up and the English side of errors; see i18n.h. */
#include "config.h"
#include "i18n.h"
#include "selfexe.h"

#if ENABLE_NLS
#include <libintl.h>
#endif
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"

#if ENABLE_NLS
/* The catalogues of the build tree the binary runs from ("locale/" beside
 * it, made by `make`), malloc'd, or NULL for an installed binary: the
 * README's build speaks the operator's language without `make install`. */
static char *build_tree_localedir(void)
{
	char exe[4096], *slash, *dir;
	struct stat st;
	if (self_exe_path(exe, sizeof exe) <= 0)
		return NULL;
	if (!(slash = strrchr(exe, '/')))
		return NULL;
	*slash = '\0';
	dir = xstrfmt("%s/locale", exe);
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return dir;
	free(dir);
	return NULL;
}
#endif

void i18n_init(void)
{
	setlocale(LC_ALL, "");
#if ENABLE_NLS
	{
		const char *dir = getenv("BISO_RECOVER_LOCALEDIR");
		char *beside = dir && *dir ? NULL : build_tree_localedir();
		bindtextdomain(PACKAGE, dir && *dir ? dir : beside ? beside : LOCALEDIR);
		textdomain(PACKAGE);
		free(beside);
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
