/* bisocli: running biso-cli; see bisocli.h. */
#include "config.h"
#include "bisocli.h"
#include "conf.h"
#include "runcmd.h"
#include "strbuf.h"

#include <stdlib.h>

const char **bisocli_argv(const struct conf *c, const char *const *sub)
{
	size_t n = 0, k = 0;
	const char **v;
	for (const char *const *s = sub; s && *s; s++)
		n++;
	v = xcalloc(n + 3, sizeof *v);
	v[k++] = c->php;
	v[k++] = "biso-cli";
	for (const char *const *s = sub; s && *s; s++)
		v[k++] = *s;
	return v;
}

int bisocli_run(const struct conf *c, const char *webroot, const char *const *sub,
		struct strbuf *capture, struct report *r, struct err *e)
{
	const char **argv = bisocli_argv(c, sub);
	int ret = runcmd_logged(argv, webroot, capture, r, e);
	free(argv);
	return ret;
}
