/* bisocli: running biso-cli; see bisocli.h. */
#include "config.h"
#include "bisocli.h"
#include "conf.h"
#include "runcmd.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char **bisocli_argv(const struct conf *c, const char *const *sub)
{
	size_t n = 0, k = 0;
	const char **v;
	int own = c->biso_cli && c->biso_cli[0];
	for (const char *const *s = own ? (const char *const *)c->biso_cli : NULL; s && *s; s++)
		n++;
	for (const char *const *s = sub; s && *s; s++)
		n++;
	v = xcalloc(n + 3, sizeof *v);
	if (own) {
		for (char **s = c->biso_cli; *s; s++)
			v[k++] = *s;
	} else {
		v[k++] = c->php;
		v[k++] = "biso-cli";
	}
	for (const char *const *s = sub; s && *s; s++)
		v[k++] = *s;
	return v;
}

int bisocli_as_web_user(const struct conf *c)
{
	const char *prog = c->biso_cli && c->biso_cli[0] ? c->biso_cli[0] : c->php;
	const char *base = prog ? strrchr(prog, '/') : NULL;
	base = base ? base + 1 : prog;
	return base && !strncmp(base, "php", 3);
}

int bisocli_switches_user(const struct conf *c)
{
	return geteuid() == 0 && bisocli_as_web_user(c);
}

int bisocli_run(const struct conf *c, const char *webroot, const char *const *sub,
		struct strbuf *capture, struct report *r, struct err *e)
{
	const char **argv = bisocli_argv(c, sub);
	struct runcmd_user as = { 0, 0, c->web_user };
	int ret = 0, switch_user = bisocli_switches_user(c);
	if (switch_user)
		ret = conf_web_owner(c, &as.uid, &as.gid, e);
	if (ret == 0)
		ret = runcmd_logged_as(argv, webroot, switch_user ? &as : NULL, capture, r, e);
	free(argv);
	return ret;
}
