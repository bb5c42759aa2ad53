/* maintenance: maintenance mode and services of an instance; see
 * maintenance.h. */
#include "config.h"
#include "maintenance.h"
#include "bisocli.h"
#include "err.h"
#include "report.h"
#include "runcmd.h"

#include <stddef.h>

int maintenance_set(const struct conf *c, const char *webroot, int on, struct report *r,
		    struct err *e)
{
	const char *const sub[] = { "maintenance", on ? "on" : "off", NULL };
	report_log(r, LOG_INFO, "maintenance mode %s: biso-cli maintenance %s in %s",
		   on ? "on" : "off", sub[1], webroot);
	if (bisocli_run(c, webroot, sub, NULL, r, e) < 0) {
		err_prefix(e, "cannot switch maintenance mode %s", sub[1]);
		return -1;
	}
	return 0;
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
