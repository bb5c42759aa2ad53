/* conninfo: libpq connection string helpers; see conninfo.h. */
#include "config.h"
#include "conninfo.h"
#include "err.h"
#include "i18n.h"
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

static int is_uri(const char *s)
{
	return !strncmp(s, "postgresql://", 13) || !strncmp(s, "postgres://", 11);
}

char *conninfo_normalize(const char *conninfo)
{
	struct strbuf sb = STRBUF_INIT;
	if (!conninfo)
		return NULL;
	/* psql's recognized_connection_string() */
	if (!*conninfo || strchr(conninfo, '=') || is_uri(conninfo))
		return xstrdup(conninfo);
	conninfo_append(&sb, "dbname", conninfo);
	return strbuf_detach(&sb, NULL);
}

int conninfo_is_name(const char *s)
{
	return s && *s && !strchr(s, '=') && !is_uri(s);
}

char *conninfo_apply_dbname(const char *base, const char *arg, struct err *e)
{
	if (!conninfo_is_name(arg) || !base || !*base)
		return conninfo_normalize(arg);
	return conninfo_with_dbname(base, arg, e);
}

/* Parse @conninfo; NULL with @e (see conninfo_check()) when libpq cannot. */
static PQconninfoOption *parse_as(const char *conninfo, const char *what, struct err *e)
{
	char *msg = NULL, *norm = conninfo_normalize(conninfo ? conninfo : "");
	PQconninfoOption *opts = PQconninfoParse(norm, &msg);
	free(norm);
	if (!opts) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addstr(&sb, msg ? msg : "out of memory");
		strbuf_rtrim(&sb);
		{
			/* @what is a msgid: the screen's message names it in
			 * its language too */
			char *shown = xstrfmt(_("%s is not a libpq conninfo: %s"), _(what), sb.buf);
			err_set_l10n(e, shown, "%s is not a libpq conninfo: %s", what, sb.buf);
			free(shown);
		}
		err_hint(e, "Write it as libpq expects, e.g. \"host=/run/postgresql dbname=biso user=biso\".");
		strbuf_release(&sb);
		PQfreemem(msg);
	}
	return opts;
}

static PQconninfoOption *parse(const char *conninfo, struct err *e)
{
	return parse_as(conninfo, N_("the connection string"), e);
}

int conninfo_check(const char *conninfo, const char *what, struct err *e)
{
	PQconninfoOption *opts = parse_as(conninfo, what, e);
	if (!opts)
		return -1;
	PQconninfoFree(opts);
	return 0;
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

char *conninfo_for_child(const char *conninfo, const char *dbname, char **password_env,
			 struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	PQconninfoOption *opts = parse(conninfo, e);
	*password_env = NULL;
	if (!opts)
		return NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val || (dbname && !strcmp(o->keyword, "dbname")))
			continue;
		if (!strcmp(o->keyword, "password")) {
			free(*password_env);
			*password_env = xstrfmt("PGPASSWORD=%s", o->val);
		} else {
			conninfo_append(&sb, o->keyword, o->val);
		}
	}
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

char *conninfo_user(const char *conninfo)
{
	char *v = conninfo_get(conninfo, "user");
	PQconninfoOption *d;
	if (v && *v)
		return v;
	free(v);
	v = NULL;
	/* PGUSER, else the name of the system user libpq would log in as */
	if ((d = PQconndefaults())) {
		for (PQconninfoOption *o = d; o->keyword; o++)
			if (!strcmp(o->keyword, "user") && o->val && *o->val)
				v = xstrdup(o->val);
		PQconninfoFree(d);
	}
	return v;
}

void conninfo_target_server(const char *conninfo, struct strbuf *out)
{
	char *addr, *host;
	if (!conninfo)
		return;
	addr = conninfo_get(conninfo, "hostaddr");
	host = conninfo_get(conninfo, "host");
	strbuf_addf(out, "server %s\n", addr ? addr : host ? host : "");
	free(addr);
	free(host);
}

/* Overwrite @n bytes from @p with 'x'. */
static void mask(char *p, size_t n)
{
	memset(p, 'x', n);
}

/* The URI form: postgresql://user:PASSWORD@host/db?password=PASSWORD&... */
static int mask_uri(char *s)
{
	char *p = strstr(s, "://") + 3, *end, *at, *colon, *q;
	int n = 0;
	end = p + strcspn(p, "/?");
	at = memchr(p, '@', (size_t)(end - p));
	/* the last '@' of the authority ends the user info */
	for (char *a = at; a && a < end; a = memchr(a + 1, '@', (size_t)(end - a - 1)))
		at = a;
	if (at && (colon = memchr(p, ':', (size_t)(at - p))) && at > colon + 1) {
		mask(colon + 1, (size_t)(at - colon - 1));
		n++;
	}
	for (q = strchr(end, '?'); q; q = strchr(q + 1, '&')) {
		if (!strncmp(q + 1, "password=", 9)) {
			char *v = q + 10;
			size_t len = strcspn(v, "&");
			if (len) {
				mask(v, len);
				n++;
			}
		}
	}
	return n;
}

int conninfo_mask_password(char *s)
{
	int n = 0;
	if (!s)
		return 0;
	if (is_uri(s))
		return mask_uri(s);
	/* key = value pairs, as libpq's conninfo_parse() reads them */
	for (char *p = s; *p;) {
		char *key, *v;
		size_t klen;
		int is_pw;
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
			p++;
		if (!*p)
			break;
		key = p;
		while (*p && *p != '=' && !strchr(" \t\n\r\f\v", *p))
			p++;
		klen = (size_t)(p - key);
		while (*p && strchr(" \t\n\r\f\v", *p))
			p++;
		if (*p != '=')
			break; /* not a conninfo libpq accepts: nothing more to find */
		p++;
		while (*p && strchr(" \t\n\r\f\v", *p))
			p++;
		is_pw = klen == 8 && !strncmp(key, "password", 8);
		v = p;
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++)
				if (*p == '\\' && p[1])
					p++;
			if (is_pw && p > v + 1) {
				mask(v + 1, (size_t)(p - v - 1));
				n++;
			}
			if (*p)
				p++;
		} else {
			for (; *p && !strchr(" \t\n\r\f\v", *p); p++)
				if (*p == '\\' && p[1])
					p++;
			if (is_pw && p > v) {
				mask(v, (size_t)(p - v));
				n++;
			}
		}
	}
	return n;
}

/* @keyword's value in @conninfo, else the environment variable @env, else
 * @def; malloc'd. */
static char *get_or_default(const char *conninfo, const char *keyword, const char *env,
			    const char *def)
{
	char *v = conninfo_get(conninfo, keyword);
	const char *ev = env ? getenv(env) : NULL;
	if (v && *v)
		return v;
	free(v);
	return xstrdup(ev && *ev ? ev : def ? def : "");
}

char *conninfo_target_key(const char *conninfo, const char *dbname)
{
	char *host, *port, *db, *key, *real;
	if (!conninfo)
		return NULL;
	host = get_or_default(conninfo, "hostaddr", NULL, NULL);
	if (!*host) {
		free(host);
		host = get_or_default(conninfo, "host", "PGHOST", "/var/run/postgresql");
	}
	host[strcspn(host, ",")] = '\0'; /* the first of several hosts */
	if (host[0] == '/') {
		/* one socket directory by several names (/run vs /var/run) */
		if ((real = realpath(host, NULL))) {
			free(host);
			host = real;
		}
	} else {
		for (char *p = host; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	}
	port = get_or_default(conninfo, "port", "PGPORT", "5432");
	port[strcspn(port, ",")] = '\0';
	if (dbname && *dbname) {
		db = xstrdup(dbname);
	} else {
		char *user = get_or_default(conninfo, "user", "PGUSER", "");
		db = get_or_default(conninfo, "dbname", "PGDATABASE", user);
		free(user);
	}
	key = xstrfmt("%s:%s/%s", host, port, db);
	free(host);
	free(port);
	free(db);
	return key;
}
