/*
 * unit_german.h: the German catalogue for unit tests, one way for all.
 * unit_german() switches the process to de_CH.UTF-8 with the catalogue
 * `make` compiled into $top_builddir/locale; unit_english() back to LANG=C.
 */
#ifndef BR_UNIT_GERMAN_H
#define BR_UNIT_GERMAN_H

#include <locale.h>
#include <stdlib.h>
#include <unistd.h>

#include "i18n.h"
#include "strbuf.h"

/* 0 with German selected, or -1 (the locale left at C) when no catalogue
 * is built or the de_CH locale is missing (tools/deps.sh makes it): the
 * caller skips. */
static inline int unit_german(void)
{
	const char *btop = getenv("top_builddir");
	char *dir = xstrfmt("%s/locale", btop ? btop : ".");
	char *mo = xstrfmt("%s/de/LC_MESSAGES/biso-recover.mo", dir);
	int ok = access(mo, R_OK) == 0 && setlocale(LC_ALL, "de_CH.UTF-8");
	if (ok) {
		setenv("BISO_RECOVER_LOCALEDIR", dir, 1);
		setenv("LANG", "de_CH.UTF-8", 1);
		unsetenv("LANGUAGE");
		unsetenv("LC_ALL");
		unsetenv("LC_MESSAGES");
		i18n_init();
	} else {
		setlocale(LC_ALL, "C");
	}
	free(mo);
	free(dir);
	return ok ? 0 : -1;
}

/* Back to English (LANG=C) after unit_german(). */
static inline void unit_english(void)
{
	setenv("LANG", "C", 1);
	i18n_init();
}

#endif
