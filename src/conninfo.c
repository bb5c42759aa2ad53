/* conninfo: libpq connection string helpers; see conninfo.h. */
#include "config.h"
#include "conninfo.h"
#include "err.h"
#include "strbuf.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

void conninfo_append(struct strbuf *sb, const char *keyword, const char *value)
{
	if (!value)
		return;
	if (sb->len)
		strbuf_addch(sb, ' ');
	strbuf_addstr(sb, keyword);
	strbuf_addstr(sb, "='");
	for (const char *p = value; *p; p++) {
		if (*p == '\'' || *p == '\\')
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, *p);
	}
	strbuf_addch(sb, '\'');
}

static PQconninfoOption *parse(const char *conninfo, struct err *e)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo ? conninfo : "", &msg);
	if (!opts) {
		err_set(e, "invalid connection string");
		if (msg) {
			struct strbuf sb = STRBUF_INIT;
			strbuf_addstr(&sb, msg);
			strbuf_rtrim(&sb);
			err_detail(e, "%s", sb.buf);
			strbuf_release(&sb);
		}
		err_hint(e, "Write it as libpq expects, e.g. \"host=/run/postgresql dbname=biso\".");
		PQfreemem(msg);
	}
	return opts;
}

char *conninfo_with_dbname(const char *conninfo, const char *dbname, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	PQconninfoOption *opts = parse(conninfo, e);
	if (!opts)
		return NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "dbname") && o->val)
			conninfo_append(&sb, o->keyword, o->val);
	conninfo_append(&sb, "dbname", dbname);
	PQconninfoFree(opts);
	return strbuf_detach(&sb, NULL);
}

char *conninfo_redacted(const char *conninfo)
{
	struct strbuf sb = STRBUF_INIT;
	PQconninfoOption *opts = parse(conninfo, NULL);
	if (!opts)
		return xstrdup("(unparseable conninfo)");
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		if (!strcmp(o->keyword, "password")) {
			if (sb.len)
				strbuf_addch(&sb, ' ');
			strbuf_addstr(&sb, "password=***");
		} else {
			conninfo_append(&sb, o->keyword, o->val);
		}
	}
	PQconninfoFree(opts);
	return strbuf_detach(&sb, NULL);
}

char *conninfo_get(const char *conninfo, const char *keyword)
{
	char *val = NULL;
	PQconninfoOption *opts = parse(conninfo, NULL);
	if (!opts)
		return NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, keyword) && o->val)
			val = xstrdup(o->val);
	PQconninfoFree(opts);
	return val;
}
