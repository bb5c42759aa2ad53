/* conf: biso-recover.conf (libconfig); see conf.h. */
#include "config.h"
#include "conf.h"
#include "conninfo.h"
#include "pgdump.h"

#include <grp.h>
#include <pwd.h>
#include "err.h"
#include "i18n.h"
#include "selfexe.h"
#include "strbuf.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char **argv_new(const char *const *items)
{
	size_t n = 0;
	char **v;
	while (items && items[n])
		n++;
	v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = xstrdup(items[i]);
	return v;
}

static void argv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void argvlist_free(char ***l)
{
	for (size_t i = 0; l && l[i]; i++)
		argv_free(l[i]);
	free(l);
}

void conf_init_defaults(struct conf *c)
{
	/* anchored: only the top-level data/ is the datadir; a folder named
	 * data deeper in the code (vendor/x/data, src/Model/data) is code,
	 * and tmp/ inside an attachment folder is an attachment */
	static const char *const webroot_ex[] = { "/data", NULL };
	static const char *const datadir_ex[] = { "/tmp/", "*.log", "/maintenance.on", NULL };

	memset(c, 0, sizeof(*c));
	c->webroot = xstrdup("/var/www/biso");
	c->backup_root = xstrdup("/var/backups/biso");
	c->web_user = xstrdup("www-data");
	c->web_group = xstrdup("www-data");
	c->php = xstrdup("/usr/bin/php");
	c->migration_status = argv_new(NULL);
	c->biso_cli = argv_new(NULL);
	c->log_dir = xstrdup("/var/log/biso-recover");
	c->env_expected = xstrdup("PROD");
	c->webroot_excludes = argv_new(webroot_ex);
	c->datadir_excludes = argv_new(datadir_ex);

	c->database.encoding = xstrdup("UTF8");
	c->database.lc_collate = xstrdup("de_CH.utf8");
	c->database.lc_ctype = xstrdup("de_CH.utf8");
	c->database.dump_prefix = xstrdup("biso_");
	c->database.jobs = 0;
	c->database.on_error = CONF_ON_ERROR_STOP;

	c->backup.compress_level = PGDUMP_LEVEL_DEFAULT;

	c->log_database.enabled = 0;
	c->log_database.dbname = xstrdup("biso_log");
	c->log_database.dump_prefix = xstrdup("biso_log_");

	c->services.scheduler_cron = xstrdup("/etc/cron.d/biso");
	c->services.queue_runner_check = argv_new(NULL);
	c->services.restart_workers = xcalloc(1, sizeof(char **));
	c->services.stop_services = xcalloc(1, sizeof(char **));
	c->services.start_services = xcalloc(1, sizeof(char **));

	{
		static const char *const att[] = { "attachments", NULL };
		static const char *const check[] = { "person", "beratungsfall", "bf_termin",
			"bf_termin_protokoll", "bf_notiz", "bf_log", NULL };
		static const char *const fail[] = { "person", NULL };
		c->refresh.attachment_dirs = argv_new(att);
		c->refresh.keep_tables = argv_new(NULL);
		c->refresh.check_tables = argv_new(check);
		c->refresh.check_fail_tables = argv_new(fail);
	}
}

void conf_release(struct conf *c)
{
	free(c->path);
	free(c->webroot);
	free(c->backup_root);
	free(c->web_user);
	free(c->web_group);
	free(c->php);
	argv_free(c->migration_status);
	argv_free(c->biso_cli);
	free(c->config_php);
	free(c->datadir);
	free(c->keep_dir);
	free(c->log_dir);
	free(c->env_expected);
	argv_free(c->webroot_excludes);
	argv_free(c->datadir_excludes);
	free(c->database.conninfo);
	free(c->database.dbname);
	free(c->database.admin_conninfo);
	free(c->database.owner);
	free(c->database.encoding);
	free(c->database.lc_collate);
	free(c->database.lc_ctype);
	free(c->database.dump_prefix);
	free(c->log_database.dbname);
	free(c->log_database.dump_prefix);
	free(c->log_database.conninfo);
	free(c->services.scheduler_cron);
	argv_free(c->services.queue_runner_check);
	argvlist_free(c->services.restart_workers);
	argvlist_free(c->services.stop_services);
	argvlist_free(c->services.start_services);
	free(c->refresh.attachments);
	argv_free(c->refresh.attachment_dirs);
	argv_free(c->refresh.keep_tables);
	argv_free(c->refresh.check_tables);
	argv_free(c->refresh.check_fail_tables);
	free(c->refresh.production_conninfo);
	free(c->refresh.production_config);
	memset(c, 0, sizeof(*c));
}

void conf_set_str(char **field, const char *value)
{
	free(*field);
	*field = value ? xstrdup(value) : NULL;
}

int conf_parse_user_group(struct conf *c, const char *spec, struct err *e)
{
	const char *colon = strchr(spec, ':');
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);

	if (!ulen || (colon && (!colon[1] || strchr(colon + 1, ':')))) {
		err_set(e, "invalid web user '%s'", spec);
		err_hint(e, "Write USER or USER:GROUP, e.g. www-data or www-data:www-data.");
		return -1;
	}
	free(c->web_user);
	free(c->web_group);
	c->web_user = xstrndup(spec, ulen);
	c->web_group = xstrdup(colon ? colon + 1 : c->web_user);
	return 0;
}

/* ---- the key table ------------------------------------------------------ */

enum kind {
	K_STR,      /* non-empty string */
	K_OPTSTR,   /* string, "" means unset (NULL) */
	K_CONNINFO, /* K_OPTSTR holding a libpq conninfo, or a bare database
		       name (conninfo_normalize()) */
	K_BOOL,
	K_UINT,     /* integer >= 0 */
	K_LEVEL,    /* zlib compression level 1..9 */
	K_ONERR,    /* "stop" or "continue" */
	K_ARGV,     /* [ "a", "b" ] */
	K_ARGVLIST, /* ( [ "a" ], [ "b", "c" ] ) */
	K_GROUP,
};

struct key {
	const char *name;
	enum kind kind;
	size_t off; /* offset in struct conf */
	const struct key *sub;
};

#define F(field) offsetof(struct conf, field)

static const struct key database_keys[] = {
	{ "conninfo", K_CONNINFO, F(database.conninfo), NULL },
	{ "admin_conninfo", K_CONNINFO, F(database.admin_conninfo), NULL },
	{ "owner", K_OPTSTR, F(database.owner), NULL },
	{ "encoding", K_STR, F(database.encoding), NULL },
	{ "lc_collate", K_STR, F(database.lc_collate), NULL },
	{ "lc_ctype", K_STR, F(database.lc_ctype), NULL },
	{ "dump_prefix", K_STR, F(database.dump_prefix), NULL },
	{ "jobs", K_UINT, F(database.jobs), NULL },
	{ "on_error", K_ONERR, F(database.on_error), NULL },
	{ NULL, 0, 0, NULL },
};

static const struct key log_database_keys[] = {
	{ "enabled", K_BOOL, F(log_database.enabled), NULL },
	{ "dbname", K_STR, F(log_database.dbname), NULL },
	{ "dump_prefix", K_STR, F(log_database.dump_prefix), NULL },
	{ "conninfo", K_CONNINFO, F(log_database.conninfo), NULL },
	{ NULL, 0, 0, NULL },
};

static const struct key services_keys[] = {
	{ "scheduler_cron", K_OPTSTR, F(services.scheduler_cron), NULL },
	{ "queue_runner_check", K_ARGV, F(services.queue_runner_check), NULL },
	{ "restart_workers", K_ARGVLIST, F(services.restart_workers), NULL },
	{ "stop_services", K_ARGVLIST, F(services.stop_services), NULL },
	{ "start_services", K_ARGVLIST, F(services.start_services), NULL },
	{ NULL, 0, 0, NULL },
};

static const struct key backup_keys[] = {
	{ "compress_level", K_LEVEL, F(backup.compress_level), NULL },
	{ NULL, 0, 0, NULL },
};

static const struct key retention_keys[] = {
	{ "keep_last", K_UINT, F(retention.keep_last), NULL },
	{ "keep_daily", K_UINT, F(retention.keep_daily), NULL },
	{ "keep_weekly", K_UINT, F(retention.keep_weekly), NULL },
	{ "keep_monthly", K_UINT, F(retention.keep_monthly), NULL },
	{ NULL, 0, 0, NULL },
};

static const struct key refresh_keys[] = {
	{ "attachments", K_OPTSTR, F(refresh.attachments), NULL },
	{ "attachment_dirs", K_ARGV, F(refresh.attachment_dirs), NULL },
	{ "keep_tables", K_ARGV, F(refresh.keep_tables), NULL },
	{ "check_tables", K_ARGV, F(refresh.check_tables), NULL },
	{ "check_fail_tables", K_ARGV, F(refresh.check_fail_tables), NULL },
	{ "check_threshold", K_UINT, F(refresh.check_threshold), NULL },
	{ "production_conninfo", K_CONNINFO, F(refresh.production_conninfo), NULL },
	{ "production_config", K_OPTSTR, F(refresh.production_config), NULL },
	{ "keep_old", K_BOOL, F(refresh.keep_old), NULL },
	{ NULL, 0, 0, NULL },
};

static const struct key root_keys[] = {
	{ "webroot", K_STR, F(webroot), NULL },
	{ "backup_root", K_STR, F(backup_root), NULL },
	{ "web_user", K_STR, F(web_user), NULL },
	{ "web_group", K_STR, F(web_group), NULL },
	{ "php", K_STR, F(php), NULL },
	{ "migration_status", K_ARGV, F(migration_status), NULL },
	{ "biso_cli", K_ARGV, F(biso_cli), NULL },
	{ "config_php", K_OPTSTR, F(config_php), NULL },
	{ "datadir", K_OPTSTR, F(datadir), NULL },
	{ "keep_dir", K_OPTSTR, F(keep_dir), NULL },
	{ "log_dir", K_STR, F(log_dir), NULL },
	{ "env_expected", K_STR, F(env_expected), NULL },
	{ "webroot_excludes", K_ARGV, F(webroot_excludes), NULL },
	{ "datadir_excludes", K_ARGV, F(datadir_excludes), NULL },
	{ "database", K_GROUP, 0, database_keys },
	{ "log_database", K_GROUP, 0, log_database_keys },
	{ "services", K_GROUP, 0, services_keys },
	{ "backup", K_GROUP, 0, backup_keys },
	{ "retention", K_GROUP, 0, retention_keys },
	{ "refresh", K_GROUP, 0, refresh_keys },
	{ NULL, 0, 0, NULL },
};

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP: return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a float";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_ARRAY: return "an array [ ... ]";
	case CONFIG_TYPE_LIST: return "a list ( ... )";
	default: return "an unknown type";
	}
}

static const char *kind_name(enum kind k)
{
	switch (k) {
	case K_STR:
	case K_OPTSTR:
	case K_CONNINFO:
	case K_ONERR: return "a string";
	case K_BOOL: return "a boolean (true or false)";
	case K_UINT:
	case K_LEVEL: return "an integer";
	case K_ARGV: return "an array of strings, e.g. [\"systemctl\", \"is-active\", \"x\"]";
	case K_ARGVLIST: return "a list of string arrays, e.g. ( [\"systemctl\", \"restart\", \"x\"] )";
	case K_GROUP: return "a group { ... }";
	}
	return "?";
}

struct loader {
	struct conf *c;
	const char *path;
	int apply;
	struct err *e;
};

static int fail(struct loader *L, const config_setting_t *s, const char *full, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

static int fail(struct loader *L, const config_setting_t *s, const char *full, const char *fmt,
		...)
{
	va_list ap;
	const char *file = config_setting_source_file(s);
	long line = config_setting_source_line(s);
	/* Elements of arrays may carry no position: use their parent's. */
	for (const config_setting_t *p = s; (!line || !file) && p; p = config_setting_parent(p)) {
		if (!line)
			line = config_setting_source_line(p);
		if (!file)
			file = config_setting_source_file(p);
	}
	/* through err_vset(): the message keeps its translation */
	va_start(ap, fmt);
	err_vset(L->e, fmt, ap);
	va_end(ap);
	err_prefix(L->e, "%s", full);
	err_where(L->e, file ? file : L->path, line, -1);
	return -1;
}

const char *conf_example_path(void)
{
	static char *found;
	static const char installed[] = DOCDIR "/biso-recover.conf.example";
	char exe[4096], *slash;
	if (found)
		return found;
	if (access(installed, R_OK) == 0)
		return installed;
	/* not installed: the checkout's share/ above the build tree's binary
	 * (build/biso-recover; make distcheck's _build/sub/biso-recover) */
	if (self_exe_path(exe, sizeof exe) > 0) {
		for (int up = 0; up < 3 && (slash = strrchr(exe, '/')); up++) {
			*slash = '\0';
			char *cand = xstrfmt("%s/share/biso-recover.conf.example", exe);
			if (access(cand, R_OK) == 0)
				return found = cand;
			free(cand);
		}
	}
	return installed;
}

/* The line where a string that runs over a line end opened, when it ends
 * (or the file does) at libconfig's error @line of @path or the line
 * before (the first such), or 0: a string whose closing quote is missing swallows the text
 * up to the next quote, and libconfig reports the error there, a line or
 * more later.  Comments (#, //, slash-star) and escapes are skipped as
 * libconfig's scanner does. */
static long string_over_lines(const char *path, long line)
{
	FILE *f = fopen(path, "re");
	long lineno = 1, open = 0, first = 0;
	int c, prev = 0;
	enum { CODE, STRING, LINE_COMMENT, BLOCK_COMMENT } st = CODE;
	if (!f)
		return 0;
	while ((c = getc(f)) != EOF && lineno <= line) {
		switch (st) {
		case CODE:
			if (c == '"') {
				st = STRING;
				open = lineno;
			} else if (c == '#' || (c == '/' && prev == '/')) {
				st = LINE_COMMENT;
			} else if (c == '*' && prev == '/') {
				st = BLOCK_COMMENT;
				c = 0; /* "/" "*" "/" is no end */
			}
			break;
		case STRING:
			if (c == '\\') {
				if (getc(f) == '\n')
					lineno++;
				c = 0;
			} else if (c == '"') {
				st = CODE;
				if (open < lineno && lineno >= line - 1 && !first)
					first = open; /* the first runaway: the cause */
			}
			break;
		case LINE_COMMENT:
			if (c == '\n')
				st = CODE;
			break;
		case BLOCK_COMMENT:
			if (c == '/' && prev == '*')
				st = CODE;
			break;
		}
		if (c == '\n')
			lineno++;
		prev = c;
	}
	fclose(f);
	if (!first && st == STRING && open < lineno)
		first = open; /* still open at the error (or the end of the file) */
	return first;
}

/* libconfig's error texts (its scanner's and parser's), for the screen in
 * the operator's language; NULL for one not listed. */
static const char *libconfig_msgid(const char *text)
{
	static const char *const known[] = {
		N_("syntax error"), N_("include file nesting too deep"),
		N_("cannot open include file"), N_("file I/O error"), N_("memory exhausted"),
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(text, known[i]))
			return known[i];
	return NULL;
}

static int wrong_type(struct loader *L, const config_setting_t *s, const char *full, enum kind k)
{
	fail(L, s, full, "expected %s, found %s", kind_name(k), type_name(config_setting_type(s)));
	err_hint(L->e, "See %s for every key and its type.", conf_example_path());
	return -1;
}

static int is_seq(const config_setting_t *s)
{
	int t = config_setting_type(s);
	return t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST;
}

/* Check (and with L->apply build) an array of strings. */
static int load_argv(struct loader *L, const config_setting_t *s, const char *full, int nonempty,
		     char ***out)
{
	int n;
	if (!is_seq(s))
		return wrong_type(L, s, full, K_ARGV);
	n = config_setting_length(s);
	if (nonempty && n == 0)
		return fail(L, s, full, "a command needs at least the program name");
	for (int i = 0; i < n; i++) {
		const config_setting_t *el = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(el) != CONFIG_TYPE_STRING)
			return fail(L, el, full, "element %d: expected a string, found %s", i + 1,
				    type_name(config_setting_type(el)));
	}
	if (L->apply) {
		char **v = xcalloc((size_t)n + 1, sizeof(*v));
		for (int i = 0; i < n; i++)
			v[i] = xstrdup(config_setting_get_string_elem(s, i));
		*out = v;
	}
	return 0;
}

static int load_group(struct loader *L, const config_setting_t *group, const char *prefix,
		      const struct key *keys);

static int load_one(struct loader *L, const config_setting_t *s, const char *full,
		    const struct key *k)
{
	char *base = (char *)L->c;
	void *field = base + k->off;
	int type = config_setting_type(s);

	switch (k->kind) {
	case K_STR:
	case K_OPTSTR:
	case K_CONNINFO: {
		const char *v;
		if (type != CONFIG_TYPE_STRING)
			return wrong_type(L, s, full, k->kind);
		v = config_setting_get_string(s);
		if (k->kind == K_STR && !*v)
			return fail(L, s, full, "must not be empty");
		if (L->apply && k->kind == K_CONNINFO && *v) {
			char **f = field;
			free(*f);
			*f = conninfo_normalize(v);
		} else if (L->apply) {
			conf_set_str(field, *v ? v : NULL);
		}
		return 0;
	}
	case K_BOOL:
		if (type != CONFIG_TYPE_BOOL)
			return wrong_type(L, s, full, k->kind);
		if (L->apply)
			*(int *)field = config_setting_get_bool(s);
		return 0;
	case K_UINT: {
		long long v;
		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
			return wrong_type(L, s, full, k->kind);
		v = config_setting_get_int64(s);
		if (v < 0 || v > INT_MAX)
			return fail(L, s, full, "must be between 0 and %d, found %lld", INT_MAX, v);
		if (L->apply)
			*(int *)field = (int)v;
		return 0;
	}
	case K_LEVEL: {
		long long v;
		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
			return wrong_type(L, s, full, k->kind);
		v = config_setting_get_int64(s);
		if (v < 1 || v > 9) {
			fail(L, s, full, "must be a compression level from 1 (fastest) to 9 (smallest), "
			     "found %lld", v);
			err_hint(L->e, "Leave it out for the default, %d.", PGDUMP_LEVEL_DEFAULT);
			return -1;
		}
		if (L->apply)
			*(int *)field = (int)v;
		return 0;
	}
	case K_ONERR: {
		const char *v;
		enum conf_on_error oe;
		if (type != CONFIG_TYPE_STRING)
			return wrong_type(L, s, full, k->kind);
		v = config_setting_get_string(s);
		if (!strcmp(v, "stop"))
			oe = CONF_ON_ERROR_STOP;
		else if (!strcmp(v, "continue"))
			oe = CONF_ON_ERROR_CONTINUE;
		else
			return fail(L, s, full, "expected \"stop\" or \"continue\", found \"%s\"", v);
		if (L->apply)
			*(enum conf_on_error *)field = oe;
		return 0;
	}
	case K_ARGV: {
		char **v = NULL;
		if (load_argv(L, s, full, 0, &v) < 0)
			return -1;
		if (L->apply) {
			argv_free(*(char ***)field);
			*(char ***)field = v;
		}
		return 0;
	}
	case K_ARGVLIST: {
		int n;
		char ***list = NULL;
		if (!is_seq(s))
			return wrong_type(L, s, full, k->kind);
		n = config_setting_length(s);
		if (L->apply)
			list = xcalloc((size_t)n + 1, sizeof(*list));
		for (int i = 0; i < n; i++) {
			const config_setting_t *el = config_setting_get_elem(s, (unsigned)i);
			char *elname = xstrfmt("%s element %d", full, i + 1);
			int rc = load_argv(L, el, elname, 1, list ? &list[i] : NULL);
			free(elname);
			if (rc < 0) {
				argvlist_free(list);
				return -1;
			}
		}
		if (L->apply) {
			argvlist_free(*(char ****)field);
			*(char ****)field = list;
		}
		return 0;
	}
	case K_GROUP: {
		int rc;
		char *sub;
		if (type != CONFIG_TYPE_GROUP)
			return wrong_type(L, s, full, k->kind);
		sub = xstrfmt("%s.", full);
		rc = load_group(L, s, sub, k->sub);
		free(sub);
		return rc;
	}
	}
	return 0;
}

static int load_group(struct loader *L, const config_setting_t *group, const char *prefix,
		      const struct key *keys)
{
	int n = config_setting_length(group);
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		const struct key *k = keys;
		char *full;
		int rc;

		while (k->name && strcmp(k->name, name))
			k++;
		full = xstrfmt("%s%s", prefix, name);
		if (!k->name) {
			struct strbuf known = STRBUF_INIT;
			for (k = keys; k->name; k++)
				strbuf_addf(&known, "%s%s", known.len ? ", " : "", k->name);
			fail(L, s, full, "unknown key");
			if (*prefix)
				err_hint(L->e, "Keys in %.*s: %s (see biso-recover.conf.example).",
					 (int)strlen(prefix) - 1, prefix, known.buf);
			else
				err_hint(L->e, "Top-level keys: %s (see biso-recover.conf.example).",
					 known.buf);
			strbuf_release(&known);
			free(full);
			return -1;
		}
		rc = load_one(L, s, full, k);
		free(full);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The refusal of a file over CONF_MAX_BYTES: libconfig's scanner reads 8 KiB
 * at a time and rescans a token from its start after each read (a 10 MB
 * string took over 30 s); a real configuration is a few KiB. */
static int too_big(const char *path, long long size, struct err *e)
{
	err_set(e, "configuration file %s is %lld bytes, more than the %d KiB allowed", path, size,
		CONF_MAX_BYTES / 1024);
	err_hint(e, "Is it the right file? biso-recover.conf holds a few settings (see "
		    "biso-recover.conf.example); name another with --config FILE.");
	return -1;
}

/* Apply CONF_MAX_BYTES to the files @path pulls in with @include, and to
 * theirs, before libconfig reads any (libconfig 1.5 has no include hook).
 * Found as libconfig 1.5's scanner finds them: a line of blanks, @include,
 * blanks and a "name" (\" and \\ escaped), opened as @dir + name for every
 * level (@dir ends in '/'; the name ends at a NUL byte, as libconfig's
 * fopen() sees it); nested at most 10 deep, as libconfig allows.  A name
 * that is not a regular file (a directory, a FIFO, "" naming @dir itself)
 * is refused: libconfig's scanner calls exit() when it cannot read one.
 * A file that cannot be opened is left to libconfig's error.  -1 with @e
 * naming the included file, where = the @include line. */
static int check_includes(const char *path, const char *dir, int depth, struct err *e)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	int ret = 0;

	if (depth > 10 || !(f = fopen(path, "r")))
		return 0;
	ssize_t n;
	while (ret == 0 && (n = getline(&line, &cap, f)) >= 0) {
		const char *p = line + strspn(line, " \t"), *end = line + n;
		struct strbuf inc = STRBUF_INIT;
		struct stat st;
		lineno++;
		if (strncmp(p, "@include", 8) || !strchr(" \t", p[8]) || !p[8])
			continue;
		p += 8 + strspn(p + 8, " \t");
		if (*p++ != '"')
			continue;
		strbuf_addstr(&inc, dir);
		for (; p < end && *p != '"' && *p != '\n'; p++) {
			if (*p == '\\' || !*p)
				break;
			strbuf_addch(&inc, *p);
		}
		if (p < end && (*p == '\\' || !*p || (*p == '"' && inc.len == strlen(dir)))) {
			/* libconfig reads escapes and NULs in the name its own way
			 * (a name it cuts to "" is the directory: its scanner then
			 * exits the program); no file of an admin needs them */
			err_set(e, "configuration file %s: @include names no file or uses a backslash "
				"or NUL byte in its name", path);
			err_hint(e, "Name a file with @include \"NAME\" (relative to %s), without "
				 "escapes.", dir);
			err_where(e, path, lineno, -1);
			ret = -1;
		} else if (stat(inc.buf, &st) == 0 && !S_ISREG(st.st_mode)) {
			err_set(e, "configuration file %s: @include names %s, which is not a regular file",
				path, inc.buf);
			err_hint(e, "Name a file with @include \"NAME\" (relative to %s).", dir);
			err_where(e, path, lineno, -1);
			ret = -1;
		} else if (p < end && *p == '"' && stat(inc.buf, &st) == 0) {
			if (st.st_size > CONF_MAX_BYTES) {
				ret = too_big(inc.buf, (long long)st.st_size, e);
				err_detail(e, "It is pulled in with @include at %s:%ld.", path, lineno);
				err_where(e, path, lineno, -1);
			} else {
				ret = check_includes(inc.buf, dir, depth + 1, e);
			}
		}
		strbuf_release(&inc);
	}
	free(line);
	fclose(f);
	return ret;
}

int conf_load(struct conf *c, const char *path, int explicit_path, struct err *e)
{
	config_t cfg;
	struct stat st;
	struct loader L = { c, NULL, 0, e };
	char *dir, *slash;
	int rc = -1;

	if (!path)
		path = CONF_DEFAULT_PATH;
	L.path = path;
	if (stat(path, &st) < 0) {
		int saved = errno;
		if (saved == ENOENT && !explicit_path)
			return 0;
		err_errno(e, saved, "cannot read configuration file %s", path);
		if (saved == ENOENT)
			err_hint(e, "Check the path given with --config.");
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		err_set(e, "configuration file %s is a directory", path);
		return -1;
	}
	if (st.st_size > CONF_MAX_BYTES) {
		too_big(path, (long long)st.st_size, e);
		err_where(e, path, 0, -1);
		return -1;
	}

	/* @include "x" is relative to the file's own directory. */
	slash = strrchr(path, '/');
	dir = slash ? xstrndup(path, (size_t)(slash - path) + 1) : xstrdup("./");
	if (check_includes(path, dir, 1, e) < 0) {
		free(dir);
		return -1;
	}
	config_init(&cfg);
	config_set_include_dir(&cfg, dir);
	if (!config_read_file(&cfg, path)) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO) {
			err_errno(e, errno, "cannot read configuration file %s", path);
		} else {
			const char *text = config_error_text(&cfg);
			const char *file = config_error_file(&cfg) ? config_error_file(&cfg) : path;
			const char *msgid = libconfig_msgid(text);
			long line = config_error_line(&cfg);
			long open = string_over_lines(file, line);
			if (open) {
				/* libconfig's line is where the runaway string ended */
				err_set(e, "syntax error: the string that opens on line %ld is not "
					"closed on that line (libconfig stopped at line %ld)", open, line);
				line = open;
			} else if (msgid && !strcmp(msgid, "syntax error")) {
				err_set_l10n(e, _(msgid), "%s", text);
			} else if (msgid) {
				char *shown = xstrfmt(_("syntax error: %s"), _(msgid));
				err_set_l10n(e, shown, "syntax error: %s", text);
				free(shown);
			} else {
				err_set(e, "syntax error: %s", text);
			}
			err_where(e, file, line, -1);
			err_hint(e, "The file is in libconfig format: key = value; strings in "
				    "double quotes; every key is in %s.", conf_example_path());
		}
		goto out;
	}
	/* First check everything, then apply: an error leaves @c unchanged. */
	if (load_group(&L, config_root_setting(&cfg), "", root_keys) < 0)
		goto out;
	{
		/* php is the older spelling of biso_cli = [ PHP, "biso-cli" ]:
		 * both at once would leave one of them silently unused */
		config_setting_t *php = config_setting_get_member(config_root_setting(&cfg), "php");
		config_setting_t *cli = config_setting_get_member(config_root_setting(&cfg), "biso_cli");
		if (php && cli && config_setting_length(cli) > 0) {
			fail(&L, cli, "biso_cli", "php and biso_cli are both set");
			err_hint(e, "php = \"%s\" means biso_cli = [ \"%s\", \"biso-cli\" ]; keep only one "
				    "of the two keys.", config_setting_get_string(php) ?
				    config_setting_get_string(php) : "?", config_setting_get_string(php) ?
				    config_setting_get_string(php) : "?");
			goto out;
		}
	}
	L.apply = 1;
	if (load_group(&L, config_root_setting(&cfg), "", root_keys) < 0)
		goto out;
	conf_set_str(&c->path, path);
	rc = 0;
out:
	config_destroy(&cfg);
	free(dir);
	return rc;
}

int conf_web_owner(const struct conf *c, uid_t *uid, gid_t *gid, struct err *e)
{
	const char *group = c->web_group ? c->web_group : c->web_user;
	struct passwd *pw = getpwnam(c->web_user);
	struct group *gr;
	if (!pw) {
		err_set(e, "web user \"%s\" does not exist on this machine", c->web_user);
		err_hint(e, "Set web_user in the configuration or give --web-user USER[:GROUP].");
		return -1;
	}
	gr = getgrnam(group);
	if (!gr) {
		err_set(e, "web group \"%s\" does not exist on this machine", group);
		err_hint(e, "Set web_group in the configuration or give --web-user USER:GROUP.");
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = gr->gr_gid;
	return 0;
}
