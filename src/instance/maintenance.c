/* maintenance: maintenance mode and services of an instance; see
 * maintenance.h. */
#include "config.h"
#include "maintenance.h"
#include "bisocli.h"
#include "maintmark.h"
#include "err.h"
#include "report.h"
#include "runcmd.h"

#include <stddef.h>

int maintenance_set(const struct conf *c, const char *webroot, int on, const char *stamp,
		    struct report *r, struct err *e)
{
	static const char *const sub_on[] = { "maintenance", "on", NULL };
	static const char *const sub_off[] = { "maintenance", "off", NULL };
	if (on) {
		/* the marker first: a kill -9 right after biso-cli still leaves
		 * a trace for the next command */
		if (maintmark_set(c, webroot, stamp, e) < 0)
			return -1;
		if (bisocli_run(c, webroot, sub_on, NULL, r, e) < 0) {
			/* it may have gone on before failing: off is harmless */
			struct err e2 = ERR_INIT;
			if (bisocli_run(c, webroot, sub_off, NULL, r, &e2) == 0)
				maintmark_clear(c);
			err_clear(&e2);
			return -1;
		}
		return 0;
	}
	if (bisocli_run(c, webroot, sub_off, NULL, r, e) < 0) {
		err_hint(e, "Switch it off by hand: cd %s && php biso-cli maintenance off. The next "
			    "biso-recover command tries again.", webroot);
		return -1;
	}
	maintmark_clear(c);
	return 0;
}

void maintenance_leave_on(const struct conf *c)
{
	maintmark_clear(c);
}

int maintenance_run_lists(char ***lists, struct report *r, struct err *e)
{
	for (char ***l = lists; l && *l; l++)
		if (**l && runcmd_logged((const char *const *)*l, NULL, NULL, r, e) < 0)
			return -1;
	return 0;
}

int maintenance_has_lists(char ***lists)
{
	for (char ***l = lists; l && *l; l++)
		if (**l)
			return 1;
	return 0;
}
