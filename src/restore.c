/* restore: the six restore steps in the documented order; see restore.h. */
#include "config.h"
#include "restore.h"
#include "backupset.h"
#include "conf.h"
#include "conninfo.h"
#include "dbadmin.h"
#include "dumpinfo.h"
#include "fsrestore.h"
#include "journal.h"
#include "phpconf.h"
#include "replay.h"
#include "verify.h"
#include "runcmd.h"
#include "strbuf.h"

#include <archive.h>
#include <stdarg.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const struct {
	const char *name, *title, *explain;
} steps[STEP_COUNT] = {
	[STEP_WEBROOT] = { "webroot", "Restore the webroot",
		"Copies the PHP code, templates, migrations and biso-cli from the webroot "
		"backup into a staging directory next to the live webroot, then swaps it in "
		"with one rename (the old one is kept, see below). It comes first because "
		"config.php, the datadir location and biso-cli all live in it." },
	[STEP_CONFIG] = { "config", "Check config.php",
		"Reads config.php from the restored webroot (or installs the one you named) "
		"without running PHP, and shows env, the datadir and the database settings. "
		"Everything after this step uses these values, so check them now." },
	[STEP_DATADIR] = { "datadir", "Restore the datadir",
		"Copies attachments, letter templates, invoices, the import inbox and fonts "
		"into the datadir that config.php names and gives everything to the web "
		"user (u+rwX); the old one is kept (see below). It comes before the "
		"database so that no document the database points to is missing when the "
		"application starts." },
	[STEP_DATABASE] = { "database", "Restore the database",
		"Creates <db>_restoring (TEMPLATE template0, UTF8, de_CH.utf8), replays the "
		"plain-format dump into it through libpq, and only when that succeeded "
		"renames the live database to <db>_pre_restore_<time> and the new one into "
		"place, then runs ANALYZE. A failed replay leaves the live database alone." },
	[STEP_MIGRATIONS] = { "migrations", "Run migrations, restart services",
		"Runs php biso-cli migration exec in the webroot so that the restored "
		"database matches the restored code, then checks the scheduler and the "
		"queue runner and restarts the workers. It needs the database and the code "
		"in place, so it comes after both." },
	[STEP_VERIFY] = { "verify", "Verify the instance",
		"Checks that the webroot holds biso-cli and config.php, the datadir exists "
		"and belongs to the web user, the database answers, every table has as many "
		"rows as its COPY block in the dump, and no migration is pending. The report "
		"is saved as a file." },
};

const char *step_name(enum step_id s) { return s < STEP_COUNT ? steps[s].name : "?"; }
const char *step_title(enum step_id s) { return s < STEP_COUNT ? steps[s].title : "?"; }
const char *step_explain(enum step_id s) { return s < STEP_COUNT ? steps[s].explain : ""; }

const char *step_state_name(enum step_state st)
{
	switch (st) {
	case STEP_PENDING: return "pending";
	case STEP_RUNNING: return "running";
	case STEP_DONE: return "done";
	case STEP_FAILED: return "failed";
	case STEP_SKIPPED: return "skipped";
	}
	return "?";
}

int step_parse_list(const char *list, unsigned *mask, struct err *e)
{
	char *copy = xstrdup(list), *save = NULL;
	*mask = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int found = 0;
		for (int s = 0; s < STEP_COUNT; s++)
			if (!strcmp(tok, steps[s].name)) {
				*mask |= STEP_BIT(s);
				found = 1;
			}
		if (!found) {
			err_set(e, "unknown step \"%s\"", tok);
			err_hint(e, "Steps are webroot, config, datadir, database, migrations, verify.");
			free(copy);
			return -1;
		}
	}
	free(copy);
	if (!*mask)
		return err_set(e, "no step named in \"%s\"", list);
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

/* A report that counts WARN lines and forwards everything to @up. */
struct counting {
	struct report rep;
	struct report *up;
	unsigned warnings;
};

static void counting_progress(void *ctx, const struct progress *p)
{
	struct counting *c = ctx;
	if (c->up && c->up->progress)
		c->up->progress(c->up->ctx, p);
}

static void counting_log(void *ctx, enum log_level level, const char *line)
{
	struct counting *c = ctx;
	if (level == LOG_WARN)
		c->warnings++;
	if (c->up && c->up->log)
		c->up->log(c->up->ctx, level, line);
}

static int counting_cancelled(void *ctx)
{
	struct counting *c = ctx;
	return report_cancelled(c->up);
}

static void make_stamp(char out[16])
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(out, 16, "%Y%m%d_%H%M%S", &tm);
}

static int path_exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? xstrdup(src) : NULL;
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* Resolve a datadir from config.php relative to the webroot. */
static char *absolute_datadir(const char *datadir, const char *webroot)
{
	if (datadir[0] == '/')
		return xstrdup(datadir);
	return xstrfmt("%s/%s", webroot, datadir);
}

/* Copy config.php out of an archive into a private temporary file, so the
 * plan can be made before anything is extracted.  Returns the temp path
 * (caller unlinks and frees) or NULL with @e. */
static char *config_php_from_archive(const char *archive_path, struct err *e)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	char *tmp = NULL;
	int r, found = 0;

	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, archive_path, 65536) != ARCHIVE_OK) {
		err_set(e, "cannot open %s: %s", archive_path, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(ent);
		while (name[0] == '.' && name[1] == '/')
			name += 2;
		/* Accept config.php at the top or one directory down (an archive
		 * made of the webroot folder itself). */
		const char *slash = strchr(name, '/');
		if (strcmp(name, "config.php") && !(slash && !strcmp(slash + 1, "config.php")))
			continue;
		if (archive_entry_filetype(ent) != AE_IFREG)
			continue;
		char tpl[] = "/tmp/biso-recover-config-XXXXXX";
		int fd = mkstemp(tpl);
		if (fd < 0) {
			err_errno(e, errno, "cannot create a temporary file");
			goto out;
		}
		if (archive_read_data_into_fd(a, fd) != ARCHIVE_OK) {
			err_set(e, "cannot read config.php from %s: %s", archive_path,
				archive_error_string(a));
			close(fd);
			unlink(tpl);
			goto out;
		}
		close(fd);
		tmp = xstrdup(tpl);
		found = 1;
		break;
	}
	if (!found && !err_isset(e)) {
		if (r == ARCHIVE_FATAL)
			err_set(e, "cannot read %s: %s", archive_path, archive_error_string(a));
		else
			err_set(e, "%s holds no config.php", archive_path);
	}
out:
	archive_read_free(a);
	return tmp;
}

/* Load config.php from @path with __DIR__ = the target webroot; update the
 * plan's env, datadir and database settings that the configuration does
 * not override. */
static int adopt_config_php(struct restore *rs, const char *path, struct report *r,
			    struct err *e)
{
	struct phpconf pc = { 0 };
	const struct conf *c = rs->conf;

	if (phpconf_load(path, rs->webroot, &pc, e) < 0) {
		/* With both values it would give overridden, config.php is only
		 * informative: say what is wrong with it and go on. */
		if (!nonempty(c->datadir) || !nonempty(c->database.conninfo)) {
			err_hint(e, "%s%sTo go on without config.php, give both --datadir DIR and "
				    "--dbname CONNINFO.", e->hint ? e->hint : "", e->hint ? " " : "");
			return -1;
		}
		struct strbuf sb = STRBUF_INIT;
		err_format(e, &sb);
		report_log(r, LOG_WARN, "%s (not needed: --datadir and --dbname are given)", sb.buf);
		strbuf_release(&sb);
		err_clear(e);
		return 0;
	}
	set_str(&rs->env, pc.env);
	if (!nonempty(c->datadir)) {
		if (!pc.datadir) {
			phpconf_release(&pc);
			err_set(e, "%s sets no datadir", path);
			err_hint(e, "Add Config::set('datadir', ...) or give --datadir DIR.");
			return -1;
		}
		char *d = absolute_datadir(pc.datadir, rs->webroot);
		free(rs->datadir);
		rs->datadir = d;
	}
	if (!nonempty(c->database.conninfo)) {
		char *ci = phpconf_conninfo(&pc, e);
		if (!ci) {
			phpconf_release(&pc);
			err_prefix(e, "%s", path);
			err_hint(e, "Check Config::set('gaia.db', ...) or give --dbname CONNINFO.");
			return -1;
		}
		free(rs->conninfo);
		rs->conninfo = ci;
	}
	report_log(r, LOG_INFO, "config.php: env %s, datadir %s, database %s on %s",
		   pc.env ? pc.env : "(not set)", rs->datadir ? rs->datadir : "?",
		   pc.db_name ? pc.db_name : "?", pc.db_host ? pc.db_host : "default host");
	phpconf_release(&pc);
	return 0;
}

/* Drop trailing newlines libpq leaves in its messages. */
static void strbuf_rtrim_cstr(char *str)
{
	size_t n = str ? strlen(str) : 0;
	while (n && (str[n - 1] == '\n' || str[n - 1] == ' '))
		str[--n] = '\0';
}

/* Derive dbname and admin conninfo from rs->conninfo. */
static int resolve_database(struct restore *rs, struct err *e)
{
	const struct conf *c = rs->conf;
	char *db;

	if (!rs->conninfo)
		return err_set(e, "no database to restore into"),
		       err_hint(e, "Give --dbname CONNINFO or set database.conninfo."), -1;
	{
		/* A conninfo libpq cannot parse gets libpq's own words. */
		char *perr = NULL;
		PQconninfoOption *opts = PQconninfoParse(rs->conninfo, &perr);
		if (!opts) {
			err_set(e, "the database conninfo cannot be parsed: %s",
				perr ? perr : "out of memory");
			err_hint(e, "Check --dbname or database.conninfo, e.g. "
				    "\"host=/run/postgresql dbname=biso user=biso\".");
			PQfreemem(perr);
			strbuf_rtrim_cstr(e->msg);
			return -1;
		}
		PQconninfoFree(opts);
	}
	db = conninfo_get(rs->conninfo, "dbname");
	if (!db || !*db) {
		free(db);
		err_set(e, "the database conninfo names no database");
		err_hint(e, "Add dbname=... to --dbname or database.conninfo.");
		return -1;
	}
	free(rs->dbname);
	rs->dbname = db;
	free(rs->admin_conninfo);
	if (nonempty(c->database.admin_conninfo))
		rs->admin_conninfo = xstrdup(c->database.admin_conninfo);
	else if (!(rs->admin_conninfo = conninfo_with_dbname(rs->conninfo, "postgres", e)))
		return -1;
	return 0;
}

/* Set *@out to the path of the backup to use from @l: the newest, or with
 * rs->at the newest taken at or before it.  When only newer ones exist and
 * @needed, an error names the oldest. */
static int pick_backup(const struct restore *rs, const struct backup_list *l, const char *what,
		       int needed, char **out, struct err *e)
{
	const struct backup_item *it = backupset_pick(l, rs->at);
	char when[32], oldest[32];
	if (it) {
		*out = xstrdup(it->path);
		return 0;
	}
	if (!l->n || !needed)
		return 0;
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime_r(&rs->at, &(struct tm){ 0 }));
	strftime(oldest, sizeof oldest, "%Y-%m-%d %H:%M:%S",
		 localtime_r(&l->items[l->n - 1].when, &(struct tm){ 0 }));
	err_set(e, "no %s backup taken at or before %s", what, when);
	err_detail(e, "The oldest is %s, taken %s.", l->items[l->n - 1].path, oldest);
	if (!strcmp(what, "log database"))
		err_hint(e, "Give a later --at, or set log_database.enabled = false.");
	else
		err_hint(e, "Give a later --at, or leave the %s step out with --only.", what);
	return -1;
}

int restore_prepare(struct restore *rs, struct conf *c, unsigned selected,
		    struct report *r, struct err *e)
{
	struct backupset bs = { 0 };
	int keep_bs = 0;
	char *tmp_config = NULL, *live_config = NULL;
	const char *config_path = NULL;
	int ret = -1, standalone;

	rs->conf = c;
	rs->selected = selected;
	if (!rs->stamp[0])
		make_stamp(rs->stamp);
	for (int s = 0; s < STEP_COUNT; s++)
		rs->st[s].state = (selected & STEP_BIT(s)) ? STEP_PENDING : STEP_SKIPPED;
	if (!nonempty(c->webroot))
		return err_set(e, "no webroot configured"),
		       err_hint(e, "Give --webroot DIR or set webroot in the configuration."), -1;
	set_str(&rs->webroot, c->webroot);
	rs->jobs = c->database.jobs > 0 ? c->database.jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (rs->jobs < 1)
		rs->jobs = 1;
	if (nonempty(c->config_php))
		set_str(&rs->config_php_src, c->config_php);
	if (nonempty(c->datadir))
		set_str(&rs->datadir, c->datadir);
	if (nonempty(c->database.conninfo))
		set_str(&rs->conninfo, c->database.conninfo);

	/* db-restore --create: one named dump into one named database needs
	 * neither the backup set nor a config.php */
	standalone = selected == STEP_BIT(STEP_DATABASE) && rs->dump && rs->conninfo;
	if (!standalone &&
	    backupset_scan(c->backup_root, c->database.dump_prefix,
			   c->log_database.enabled ? c->log_database.dump_prefix : NULL, &bs, e) < 0)
		goto out;
	if (rs->at) {
		char when[32];
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime_r(&rs->at, &(struct tm){ 0 }));
		report_log(r, LOG_INFO, "using the newest backups taken at or before %s", when);
	}
	if ((!rs->webroot_src &&
	     pick_backup(rs, &bs.webroot, "webroot", selected & STEP_BIT(STEP_WEBROOT), &rs->webroot_src, e) < 0) ||
	    (!rs->datadir_src &&
	     pick_backup(rs, &bs.data, "datadir", selected & STEP_BIT(STEP_DATADIR), &rs->datadir_src, e) < 0) ||
	    (!rs->dump &&
	     pick_backup(rs, &bs.dumps, "database", selected & STEP_BIT(STEP_DATABASE), &rs->dump, e) < 0) ||
	    (c->log_database.enabled &&
	     pick_backup(rs, &bs.log_dumps, "log database", selected & STEP_BIT(STEP_DATABASE), &rs->log_dump, e) < 0))
		goto out;
	if (rs->log_dump)
		set_str(&rs->log_dbname, c->log_database.dbname);

	if ((selected & STEP_BIT(STEP_WEBROOT)) && !rs->webroot_src) {
		err_set(e, "no webroot backup in %s/webroot", c->backup_root);
		err_hint(e, "Check backup_root, or leave the webroot out with --only.");
		goto out;
	}
	if (rs->webroot_src &&
	    magic_detect(rs->webroot_src, &rs->webroot_src_kind, e) < 0)
		goto out;
	if (rs->datadir_src &&
	    magic_detect(rs->datadir_src, &rs->datadir_src_kind, e) < 0)
		goto out;
	if ((selected & STEP_BIT(STEP_DATADIR)) && !rs->datadir_src) {
		err_set(e, "no datadir backup in %s/data", c->backup_root);
		err_hint(e, "Check backup_root, or leave the datadir out with --only.");
		goto out;
	}

	/* config.php for the plan: the operator's; the live one when the webroot
	 * is not restored in this run (it is what the other steps will read);
	 * otherwise the backup's. */
	live_config = xstrfmt("%s/config.php", rs->webroot);
	if (standalone && !rs->config_php_src) {
		config_path = NULL;
	} else if (rs->config_php_src) {
		config_path = rs->config_php_src;
	} else if (!(selected & STEP_BIT(STEP_WEBROOT)) && path_exists(live_config)) {
		config_path = live_config;
	} else if (rs->webroot_src && rs->webroot_src_kind == MAGIC_DIR) {
		tmp_config = xstrfmt("%s/config.php", rs->webroot_src);
		config_path = tmp_config;
		if (!path_exists(tmp_config) &&
		    (!nonempty(c->datadir) || !nonempty(c->database.conninfo))) {
			err_set(e, "the webroot backup %s has no config.php", rs->webroot_src);
			err_hint(e, "Name one with --config-php FILE, or give --datadir and --dbname.");
			goto out;
		}
	} else if (rs->webroot_src && magic_is_tree(rs->webroot_src_kind)) {
		char *t = config_php_from_archive(rs->webroot_src, e);
		if (!t)
			goto out;
		ret = adopt_config_php(rs, t, r, e);
		if (ret < 0 && e->file) {
			/* Name the archive, not our temporary copy. */
			char *where = xstrfmt("%s:config.php", rs->webroot_src);
			err_where(e, where, e->line, e->offset);
			free(where);
		}
		unlink(t);
		free(t);
		if (ret < 0)
			goto out;
		ret = -1;
	} else {
		tmp_config = xstrfmt("%s/config.php", rs->webroot);
		config_path = tmp_config;
	}
	if (config_path) {
		if (path_exists(config_path)) {
			if (adopt_config_php(rs, config_path, r, e) < 0)
				goto out;
		} else if (!rs->datadir || !rs->conninfo) {
			err_set(e, "no config.php to read the datadir and database from");
			err_detail(e, "%s does not exist", config_path);
			err_hint(e, "Name one with --config-php FILE, or give --datadir and --dbname.");
			goto out;
		}
	}

	if (selected & STEP_BIT(STEP_DATABASE)) {
		if (!rs->dump) {
			err_set(e, "no database dump in %s/db", c->backup_root);
			err_hint(e, "Dumps are named %sYYYYMMDD_HHMMSS.sql.gz; give one with --dump FILE.",
				 c->database.dump_prefix);
			goto out;
		}
		if (magic_detect(rs->dump, &rs->dump_kind, e) < 0)
			goto out;
		if (rs->dump_kind == MAGIC_PGDMP) {
			err_set(e, "%s is a pg_dump custom-format archive, not a plain-format dump",
				rs->dump);
			err_hint(e, "Restore it with pg_restore --no-owner --no-privileges --clean "
				    "--if-exists -d DBNAME, or convert it: pg_restore -f dump.sql %s",
				 rs->dump);
			goto out;
		}
		if (!magic_is_plain_dump(rs->dump_kind)) {
			err_set(e, "%s is not a plain-format dump (%s)", rs->dump,
				magic_name(rs->dump_kind));
			goto out;
		}
	}
	if (selected & (STEP_BIT(STEP_DATABASE) | STEP_BIT(STEP_VERIFY) |
			STEP_BIT(STEP_MIGRATIONS))) {
		if (resolve_database(rs, e) < 0)
			goto out;
	}
	ret = 0;
	rs->backups = xmalloc(sizeof bs);
	*rs->backups = bs;
	keep_bs = 1;
out:
	free(tmp_config);
	free(live_config);
	if (!keep_bs)
		backupset_release(&bs);
	return ret;
}

void restore_release(struct restore *rs)
{
	char **strs[] = { &rs->webroot_src, &rs->webroot, &rs->config_php_src, &rs->datadir_src,
			  &rs->datadir, &rs->dump, &rs->dbname, &rs->conninfo,
			  &rs->admin_conninfo, &rs->log_dump, &rs->log_dbname, &rs->env, &rs->env_warned,
			  &rs->report_path };
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	if (rs->lock_fd > 0) {
		close(rs->lock_fd - 1); /* releases the flock */
		rs->lock_fd = 0;
	}
	if (rs->lock_fd2 > 0) {
		close(rs->lock_fd2 - 1);
		rs->lock_fd2 = 0;
	}
	if (rs->dump_info) {
		dumpinfo_release(rs->dump_info);
		free(rs->dump_info);
		rs->dump_info = NULL;
	}
	if (rs->backups) {
		backupset_release(rs->backups);
		free(rs->backups);
		rs->backups = NULL;
	}
	for (int s = 0; s < STEP_COUNT; s++) {
		free(rs->st[s].summary);
		free(rs->st[s].kept_as);
		err_clear(&rs->st[s].err);
	}
}

/* Relative path of @datadir inside @webroot ("data"), or NULL if outside. */
static const char *inside(const char *datadir, const char *webroot)
{
	size_t n = strlen(webroot);
	while (n > 1 && webroot[n - 1] == '/')
		n--;
	if (!datadir || strncmp(datadir, webroot, n) || datadir[n] != '/' || !datadir[n + 1])
		return NULL;
	return datadir + n + 1;
}

/* ---- describing --------------------------------------------------------- */

static const char *orq(const char *s) { return s ? s : "(unknown)"; }

void restore_describe_step(const struct restore *rs, enum step_id s, struct strbuf *out)
{
	switch (s) {
	case STEP_WEBROOT:
		strbuf_addf(out, "source: %s (%s)\ntarget: %s\n", orq(rs->webroot_src),
			    magic_name(rs->webroot_src_kind), rs->webroot);
		break;
	case STEP_CONFIG: {
		char *host = rs->conninfo ? conninfo_get(rs->conninfo, "host") : NULL;
		char *user = rs->conninfo ? conninfo_get(rs->conninfo, "user") : NULL;
		strbuf_addf(out, "source: %s\ntarget: %s/config.php\n",
			    rs->config_php_src ? rs->config_php_src : "config.php from the webroot backup",
			    rs->webroot);
		/* What the rest of the restore will use; the password is never shown. */
		strbuf_addf(out, "env:      %s%s\ndatadir:  %s\ndatabase: %s on %s as %s\n",
			    orq(rs->env),
			    rs->env && nonempty(rs->conf->env_expected) &&
			    strcmp(rs->env, rs->conf->env_expected) ? " (not the expected "
			    "production env!)" : "",
			    orq(rs->datadir), orq(rs->dbname), host && *host ? host : "localhost",
			    orq(user));
		free(host);
		free(user);
		break;
	}
	case STEP_DATADIR:
		strbuf_addf(out, "source: %s (%s)\ntarget: %s\nowner:  %s:%s\n",
			    orq(rs->datadir_src), magic_name(rs->datadir_src_kind),
			    orq(rs->datadir), rs->conf->web_user, rs->conf->web_group);
		break;
	case STEP_DATABASE:
		strbuf_addf(out, "source: %s\ntarget: database \"%s\" (staging \"%s_restoring\")\n",
			    orq(rs->dump), orq(rs->dbname), orq(rs->dbname));
		if (rs->log_dump)
			strbuf_addf(out, "also:   %s -> \"%s\"\n", rs->log_dump, orq(rs->log_dbname));
		break;
	case STEP_MIGRATIONS:
		strbuf_addf(out, "run:    %s biso-cli migration exec\nin:     %s\n",
			    rs->conf->php, rs->webroot);
		break;
	case STEP_VERIFY:
		strbuf_addf(out, "checks: webroot, datadir owner, database, row counts, migrations\n"
				 "report: %s/verify-%s.txt\n", rs->conf->log_dir, rs->stamp);
		break;
	default:
		break;
	}
}

static char *kept_datadir_dest(const struct restore *rs);

int restore_step_destructive(const struct restore *rs, enum step_id s, struct strbuf *what)
{
	switch (s) {
	case STEP_WEBROOT:
		if (!path_exists(rs->webroot))
			return 0;
		if (what)
			strbuf_addf(what, "replaces %s (kept as %s.pre-restore-%s)", rs->webroot,
				    rs->webroot, rs->stamp);
		return 1;
	case STEP_CONFIG:
		if (!rs->config_php_src)
			return 0;
		if (what)
			strbuf_addf(what, "replaces %s/config.php with %s", rs->webroot,
				    rs->config_php_src);
		return 1;
	case STEP_DATADIR:
		if (!rs->datadir || !(path_exists(rs->datadir) ||
				      (inside(rs->datadir, rs->webroot) &&
				       (rs->selected & STEP_BIT(STEP_WEBROOT)) &&
				       rs->st[STEP_WEBROOT].state == STEP_PENDING)))
			return 0;
		if (what) {
			char *dest = kept_datadir_dest(rs);
			if (dest)
				strbuf_addf(what, "replaces %s (the old one is moved out of the webroot, "
					    "to %s)", rs->datadir, dest);
			free(dest);
			if (!dest)
				strbuf_addf(what, "replaces %s (kept as %s.pre-restore-%s)", rs->datadir,
					    rs->datadir, rs->stamp);
		}
		return 1;
	case STEP_DATABASE:
		if (what)
			strbuf_addf(what, "replaces database \"%s\" (kept as \"%s_pre_restore_%s\")",
				    orq(rs->dbname), orq(rs->dbname), rs->stamp);
		return 1;
	default:
		return 0;
	}
}

const char *restore_confirm_word(const struct restore *rs, enum step_id s)
{
	return s == STEP_DATABASE ? rs->dbname : NULL;
}

/* ---- the steps ---------------------------------------------------------- */

static void files_summary(struct step_status *st, const struct fsrestore_result *res)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addcount(&sb, res->files, "file", "files");
	strbuf_addstr(&sb, ", ");
	strbuf_addcount(&sb, res->dirs, "dir", "dirs");
	strbuf_addstr(&sb, ", ");
	strbuf_addcount(&sb, res->symlinks, "symlink", "symlinks");
	strbuf_addstr(&sb, ", ");
	strbuf_humanise_bytes(&sb, res->bytes);
	free(st->summary);
	st->summary = strbuf_detach(&sb, NULL);
	if (res->kept_as) {
		free(st->kept_as);
		st->kept_as = xstrdup(res->kept_as);
	}
}

/* fsrestore_run() with the swap recorded in the journal (see journal.h). */
static int journaled_fsrestore(struct restore *rs, const struct fsrestore_opts *o,
			       struct report *r, struct fsrestore_result *res, struct err *e)
{
	char *kept = xstrfmt("%s.pre-restore-%s", o->target, rs->stamp);
	char *staging = xstrfmt("%s.restoring", o->target);
	int ret = journal_begin(rs->conf->log_dir, rs->stamp, JOURNAL_FILES, o->target, kept,
				staging, e);
	if (ret == 0) {
		struct err jerr = ERR_INIT;
		ret = fsrestore_run(o, r, res, e);
		if (journal_done(rs->conf->log_dir, rs->stamp, JOURNAL_FILES, o->target, &jerr) < 0)
			report_log(r, LOG_WARN, "%s", jerr.msg);
		err_clear(&jerr);
	}
	free(kept);
	free(staging);
	return ret;
}

static int stranded_datadir(struct restore *rs, const char *live, const char *staging,
			    struct err *e);

/* An archive without a "./" entry says nothing about the webroot's own
 * mode, and the staging directory is made 0700: the web server could not
 * enter it.  Give it the old webroot's owner and mode, or 0755. */
static void fix_root_mode(const char *root, const char *kept, struct report *r)
{
	struct stat st, old;
	if (stat(root, &st) < 0 || (st.st_mode & 07777) != 0700)
		return;
	if (kept && stat(kept, &old) == 0) {
		if (geteuid() == 0 && chown(root, old.st_uid, old.st_gid) < 0)
			report_log(r, LOG_WARN, "cannot give %s the owner of %s: %s", root, kept,
				   strerror(errno));
		if (chmod(root, old.st_mode & 07777) == 0)
			report_log(r, LOG_INFO, "%s has the mode of the old webroot (%04o); the "
				   "archive did not say", root, (unsigned)(old.st_mode & 07777));
	} else if (chmod(root, 0755) == 0) {
		report_log(r, LOG_INFO, "%s made 0755; the archive did not give its mode", root);
	}
}

static int step_webroot(struct restore *rs, struct report *r, struct err *e)
{
	const struct conf *c = rs->conf;
	struct fsrestore_opts o = { 0 };
	struct fsrestore_result res = { 0 };
	const char *rel = inside(rs->datadir, rs->webroot);
	int ret;

	o.source = rs->webroot_src;
	o.target = rs->webroot;
	o.excludes = (const char *const *)c->webroot_excludes;
	o.mode = FSRESTORE_REPLACE;
	o.stamp = rs->stamp;
	/* The webroot backup leaves data/ out: never take the live datadir away
	 * with the old webroot.  It is carried over even when the datadir step
	 * follows, so that a failed or skipped datadir step never leaves the
	 * live webroot without one. */
	if (rel)
		o.carry = rel;
	{
		/* Whatever journal a killed run wrote (another log_dir?), never let
		 * the left-over staging tree be removed with the datadir in it. */
		char *staging = xstrfmt("%s.restoring", rs->webroot);
		int bad = path_exists(staging) && stranded_datadir(rs, rs->webroot, staging, e) < 0;
		free(staging);
		if (bad)
			return -1;
	}
	if (rs->webroot_src_kind == MAGIC_DIR) {
		char *cli = xstrfmt("%s/biso-cli", rs->webroot_src);
		int ok = path_exists(cli);
		free(cli);
		if (!ok) {
			err_set(e, "the webroot backup %s has no biso-cli: it is not a BISO webroot",
				rs->webroot_src);
			err_hint(e, "Check backup_root (is the backup share mounted?).");
			return -1;
		}
	}
	ret = journaled_fsrestore(rs, &o, r, &res, e);
	if (ret == 0) {
		if (rs->webroot_src_kind != MAGIC_DIR)
			fix_root_mode(rs->webroot, res.kept_as, r);
		files_summary(&rs->st[STEP_WEBROOT], &res);
	}
	fsrestore_result_release(&res);
	return ret;
}

/* Install the operator's config.php as <webroot>/config.php.  It gets the
 * owner, group and mode of the file it replaces (the web server must still
 * read it; others must not).  The replaced file is kept beside the webroot,
 * never inside it, where the web server could serve it as plain text; when
 * it came from the backup in this very run the backup still has it. */
static int install_config_php(struct restore *rs, const char *target, struct report *r,
			      struct err *e)
{
	struct strbuf kept = STRBUF_INIT, tmp = STRBUF_INIT;
	int in = -1, out = -1, ret = -1, had = 0;
	struct stat old;
	char buf[65536];
	ssize_t n;

	strbuf_addf(&tmp, "%s.restoring", target);
	if (lstat(target, &old) == 0 && S_ISREG(old.st_mode))
		had = 1;
	in = open(rs->config_php_src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		err_errno(e, errno, "cannot open %s", rs->config_php_src);
		goto out;
	}
	out = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		err_errno(e, errno, "cannot create %s", tmp.buf);
		goto out;
	}
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n) {
			err_errno(e, errno, "cannot write %s", tmp.buf);
			goto out;
		}
	if (n < 0) {
		err_errno(e, errno, "cannot read %s", rs->config_php_src);
		goto out;
	}
	if (had) {
		if (fchown(out, old.st_uid, old.st_gid) < 0 && geteuid() == 0) {
			err_errno(e, errno, "cannot give %s the owner of the old config.php", tmp.buf);
			goto out;
		}
		if (fchmod(out, old.st_mode & 07777) < 0) {
			err_errno(e, errno, "cannot set the mode of %s", tmp.buf);
			goto out;
		}
	} else {
		uid_t uid;
		gid_t gid;
		/* No old file: readable by the web server's group only. */
		if (conf_web_owner(rs->conf, &uid, &gid, NULL) == 0 && geteuid() == 0)
			(void)fchown(out, 0, gid);
		(void)fchmod(out, 0640);
	}
	if (fsync(out) < 0) {
		err_errno(e, errno, "cannot write %s", tmp.buf);
		goto out;
	}
	if (had && rs->st[STEP_WEBROOT].state != STEP_DONE) {
		strbuf_addf(&kept, "%s.config.php.pre-restore-%s", rs->webroot, rs->stamp);
		if (link(target, kept.buf) < 0) {
			err_errno(e, errno, "cannot keep %s as %s", target, kept.buf);
			goto out;
		}
		set_str(&rs->st[STEP_CONFIG].kept_as, kept.buf);
	}
	if (rename(tmp.buf, target) < 0) {
		err_errno(e, errno, "cannot install %s", target);
		if (kept.len)
			unlink(kept.buf);
		goto out;
	}
	report_log(r, LOG_INFO, "installed %s as %s%s%s", rs->config_php_src, target,
		   kept.len ? "; the old one is kept as " : "", kept.buf);
	ret = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (ret < 0)
		unlink(tmp.buf);
	strbuf_release(&kept);
	strbuf_release(&tmp);
	return ret;
}

static int step_config(struct restore *rs, struct report *r, struct err *e)
{
	struct strbuf target = STRBUF_INIT;
	int ret = -1;

	strbuf_addf(&target, "%s/config.php", rs->webroot);
	if (rs->config_php_src && install_config_php(rs, target.buf, r, e) < 0)
		goto out;
	if (adopt_config_php(rs, target.buf, r, e) < 0)
		goto out;
	if (rs->conninfo && resolve_database(rs, e) < 0)
		goto out;
	if (nonempty(rs->conf->env_expected) &&
	    (!rs->env || strcmp(rs->env, rs->conf->env_expected)) &&
	    !(rs->env && rs->env_warned && !strcmp(rs->env, rs->env_warned)))
		report_log(r, LOG_WARN, "config.php says env '%s', not '%s': is this the right "
			   "config.php for a disaster recovery?", rs->env ? rs->env : "(not set)",
			   rs->conf->env_expected);
	free(rs->st[STEP_CONFIG].summary);
	rs->st[STEP_CONFIG].summary = xstrfmt("env %s, database %s",
					      rs->env ? rs->env : "(not set)", orq(rs->dbname));
	ret = 0;
out:
	strbuf_release(&target);
	return ret;
}

/* 1 if directory @path has no entries (or cannot be read as one). */
static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;
	if (!d)
		return 1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

/* A datadir inside the webroot (BISO's default) must not keep its old copy
 * inside the webroot, where the web server could serve it: move it into
 * this run's old webroot, or beside the webroot.  Returns the new path
 * (owned) or NULL with the old path kept and a warning logged. */
/* Where the old datadir goes when it lives inside the webroot: beside the
 * old webroot's other files when that was kept in this run (and has no
 * such folder), else <webroot>.<rel>.pre-restore-<stamp>.  NULL when the
 * datadir is not inside the webroot.  malloc'd. */
static char *kept_datadir_dest(const struct restore *rs)
{
	const char *rel = inside(rs->datadir, rs->webroot);
	char *dest = NULL, *flat;
	if (!rel)
		return NULL;
	if (rs->st[STEP_WEBROOT].kept_as) {
		dest = xstrfmt("%s/%s", rs->st[STEP_WEBROOT].kept_as, rel);
		if (!path_exists(dest))
			return dest;
		free(dest);
	}
	flat = xstrdup(rel);
	for (char *p = flat; *p; p++)
		if (*p == '/')
			*p = '-';
	dest = xstrfmt("%s.%s.pre-restore-%s", rs->webroot, flat, rs->stamp);
	free(flat);
	return dest;
}

static char *move_kept_datadir_out(struct restore *rs, const char *kept, struct report *r)
{
	char *dest;
	if (!kept || !(dest = kept_datadir_dest(rs)))
		return NULL;
	if (rename(kept, dest) < 0) {
		report_log(r, LOG_WARN, "the old datadir stays at %s inside the webroot (cannot move "
			   "it to %s: %s); move it away from the web server's reach", kept, dest,
			   strerror(errno));
		free(dest);
		return NULL;
	}
	report_log(r, LOG_INFO, "moved the old datadir out of the webroot to %s", dest);
	return dest;
}

static int step_datadir(struct restore *rs, struct report *r, struct err *e)
{
	const struct conf *c = rs->conf;
	struct fsrestore_opts o = { 0 };
	struct fsrestore_result res = { 0 };
	int ret;

	if (!rs->datadir)
		return err_set(e, "no datadir known"),
		       err_hint(e, "Run the config step first or give --datadir DIR."), -1;
	if (conf_web_owner(c, &o.uid, &o.gid, e) < 0)
		return -1;
	/* An empty backup (an unmounted share) must not replace a live datadir. */
	if (rs->datadir_src_kind == MAGIC_DIR && dir_is_empty(rs->datadir_src) &&
	    path_exists(rs->datadir) && !dir_is_empty(rs->datadir)) {
		err_set(e, "the datadir backup %s is empty, the live datadir %s is not",
			rs->datadir_src, rs->datadir);
		err_hint(e, "Is the backup share mounted? Check backup_root, or skip this step.");
		return -1;
	}
	o.set_owner = 1;
	o.source = rs->datadir_src;
	o.target = rs->datadir;
	o.excludes = (const char *const *)c->datadir_excludes;
	o.mode = FSRESTORE_REPLACE;
	o.stamp = rs->stamp;
	ret = journaled_fsrestore(rs, &o, r, &res, e);
	if (ret == 0) {
		char *moved = move_kept_datadir_out(rs, res.kept_as, r);
		if (moved) {
			free(res.kept_as);
			res.kept_as = moved;
		}
		files_summary(&rs->st[STEP_DATADIR], &res);
	}
	fsrestore_result_release(&res);
	return ret;
}

/* Refuse to swap in a dump of another database: at least half of the live
 * database's tables must be in the restored one.  Returns 0 or -1 with @e. */
static int same_database(struct restore *rs, const char *conninfo, const char *dbname,
			 const char *staging_ci, struct report *r, struct err *e)
{
	char *live_ci = conninfo_with_dbname(conninfo, dbname, e);
	PGconn *live, *staged;
	long common = 0, live_n = 0;
	int ret = -1;
	(void)rs;

	if (!live_ci)
		return -1;
	live = dbadmin_connect(live_ci, NULL);
	free(live_ci);
	if (!live) {
		/* Cannot look (e.g. connections disallowed): not a reason to stop. */
		report_log(r, LOG_WARN, "cannot compare the tables of the live database \"%s\" with "
			   "the dump", dbname);
		return 0;
	}
	staged = dbadmin_connect(staging_ci, e);
	if (staged) {
		if (dbadmin_common_tables(live, staged, &live_n, &common, e) == 0) {
			if (live_n > 0 && common * 2 < live_n) {
				err_set(e, "the dump does not look like a dump of \"%s\": only %ld of "
					"its %ld tables are in it", dbname, common, live_n);
				err_hint(e, "The live database was not touched; the restored copy stays as "
					    "\"%s_restoring\" to look at (the next run drops it). Check --dump; to "
					    "replace it anyway, rename the live database first (ALTER DATABASE ... "
					    "RENAME TO ...).", dbname);
			} else {
				report_log(r, LOG_INFO, "%ld of the %ld tables of the live database are "
					   "in the dump", common, live_n);
				ret = 0;
			}
		}
		PQfinish(staged);
	}
	PQfinish(live);
	return ret;
}

/* Replay @dump into @dbname via a fresh <db>_restoring and swap it in. */
static int restore_one_database(struct restore *rs, const char *dump, const char *dbname,
				const char *conninfo, struct report *r, struct err *e,
				char **kept_as, struct replay_stats *stats)
{
	const struct conf *c = rs->conf;
	struct dbadmin_create_opts co = { 0 };
	struct replay_opts ro = { 0 };
	char *staging = xstrfmt("%s_restoring", dbname);
	char *keep = xstrfmt("%s_pre_restore_%s", dbname, rs->stamp);
	char *staging_ci = NULL, *owner = NULL;
	PGconn *admin = NULL;
	int exists = 0, ret = -1;

	if (!(admin = dbadmin_connect_report(rs->admin_conninfo, r, e))) {
		err_hint(e, "Check database.admin_conninfo (default: the target conninfo with "
			    "dbname=postgres); it needs CREATEDB and may be a superuser.");
		goto out;
	}
	/* One restore of a database at a time, across machines too. */
	if (dbadmin_try_lock(admin, dbname, e) < 0)
		goto out;
	/* The locale and the live database's settings were checked by
	 * restore_preflight(), which every front end runs first. */
	if (dbadmin_exists(admin, staging, &exists, e) < 0)
		goto out;
	if (exists) {
		report_log(r, LOG_WARN, "dropping \"%s\" left over from an earlier attempt", staging);
		if (dbadmin_drop(admin, staging, e) < 0)
			goto out;
	}
	owner = nonempty(c->database.owner) ? xstrdup(c->database.owner) : conninfo_get(conninfo, "user");
	co.owner = owner;
	co.encoding = c->database.encoding;
	co.lc_collate = c->database.lc_collate;
	co.lc_ctype = c->database.lc_ctype;
	report_log(r, LOG_INFO, "creating database \"%s\" (owner %s, %s, %s)", staging,
		   owner ? owner : "(connecting user)", orq(co.encoding), orq(co.lc_collate));
	if (dbadmin_create(admin, staging, &co, e) < 0)
		goto out;

	if (!(staging_ci = conninfo_with_dbname(conninfo, staging, e)))
		goto out;
	ro.conninfo = staging_ci;
	ro.dump_path = dump;
	ro.on_error_stop = (c->database.on_error != CONF_ON_ERROR_CONTINUE);
	ro.jobs = rs->jobs;
	report_log(r, LOG_INFO, "replaying %s into \"%s\"", dump, staging);
	if (replay_run(&ro, r, stats, e) < 0) {
		report_log(r, LOG_ERROR, "the replay failed; the live database \"%s\" is untouched; "
			   "\"%s\" is left for inspection and dropped on the next attempt",
			   dbname, staging);
		goto out;
	}
	if (stats->errors) {
		/* on_error = continue: the operator chose to go past errors. */
		report_log(r, LOG_WARN, "the replay had %llu error(s), went on as configured "
			   "(on_error = continue)", (unsigned long long)stats->errors);
		rs->continued_past_failure = 1;
	}
	report_log(r, LOG_INFO, "replayed %llu statements, %llu COPY rows",
		   (unsigned long long)stats->statements, (unsigned long long)stats->copy_rows);
	/* Compare row counts with the dump before the swap: a database that
	 * lost rows never replaces the live one. */
	{
		PGconn *sdb = dbadmin_connect(staging_ci, e);
		unsigned tables = 0;
		int complete = 0, bad;
		if (!sdb)
			goto out;
		bad = verify_row_counts(sdb, dump, dump == rs->dump ? rs->dump_info : NULL, r,
					 LOG_ERROR, &tables, &complete, e);
		PQfinish(sdb);
		if (bad < 0)
			goto out;
		if (bad) {
			err_set(e, "%d of %u tables in \"%s\" have other row counts than their COPY "
				"blocks in %s", bad, tables, staging, dump);
			err_hint(e, "The live database \"%s\" was not touched; the tables are listed "
				 "in the log.", dbname);
			goto out;
		}
		if (!complete) {
			/* A dump cut after its data section restores without indexes,
			 * keys and triggers, and still has every row. */
			err_set(e, "%s has no \"dump complete\" trailer: it was cut off", dump);
			err_detail(e, "Everything after the cut (indexes, keys, constraints, triggers "
				      "usually come last) is missing from \"%s\".", staging);
			err_hint(e, "The live database \"%s\" was not touched. Use an older, complete "
				    "dump (biso-recover db-inspect DUMP shows what one holds).", dbname);
			goto out;
		}
		report_log(r, LOG_INFO, "row counts of all %u tables equal their COPY blocks", tables);
		if (!strcmp(dbname, rs->dbname ? rs->dbname : "")) {
			rs->rows_verified = 1;
			rs->rows_verified_tables = tables;
		}
	}
	if (dbadmin_exists(admin, dbname, &exists, e) < 0)
		goto out;
	if (exists && same_database(rs, conninfo, dbname, staging_ci, r, e) < 0)
		goto out;
	/* The last moment to stop: after the swap there is nothing to abort. */
	if (report_cancelled(r)) {
		err_set(e, "aborted by the operator before the swap");
		err_hint(e, "The live database \"%s\" was not touched; \"%s\" holds the restored "
			    "data and is dropped on the next attempt.", dbname, staging);
		goto out;
	}
	if (journal_begin(c->log_dir, rs->stamp, JOURNAL_DATABASE, dbname, keep, staging, e) < 0)
		goto out;
	{
		struct err jerr = ERR_INIT;
		int swapped = dbadmin_swap(admin, dbname, staging, keep, r, e);
		if (journal_done(c->log_dir, rs->stamp, JOURNAL_DATABASE, dbname, &jerr) < 0)
			report_log(r, LOG_WARN, "%s", jerr.msg);
		err_clear(&jerr);
		if (swapped < 0)
			goto out;
	}
	report_log(r, LOG_INFO, "database \"%s\" is now the restored one", dbname);
	if (exists) {
		*kept_as = keep;
		keep = NULL;
	}
	/* ANALYZE failing is no reason to undo a good restore. */
	{
		struct err aerr = ERR_INIT;
		if (dbadmin_analyze(conninfo, r, &aerr) < 0)
			report_log(r, LOG_WARN, "ANALYZE failed: %s", aerr.msg);
		err_clear(&aerr);
	}
	ret = 0;
out:
	if (admin)
		PQfinish(admin);
	free(staging);
	free(keep);
	free(staging_ci);
	free(owner);
	return ret;
}

static int step_database(struct restore *rs, struct report *r, struct err *e)
{
	struct replay_stats stats = { 0 };
	char *kept = NULL;
	if (restore_one_database(rs, rs->dump, rs->dbname, rs->conninfo, r, e, &kept, &stats) < 0)
		return -1;
	free(rs->st[STEP_DATABASE].summary);
	{
		struct strbuf sb = STRBUF_INIT;
		strbuf_addcount(&sb, stats.statements, "statement", "statements");
		strbuf_addstr(&sb, ", ");
		strbuf_addcount(&sb, stats.copy_rows, "COPY row", "COPY rows");
		strbuf_addstr(&sb, " in ");
		strbuf_addcount(&sb, stats.copy_blocks, "table", "tables");
		rs->st[STEP_DATABASE].summary = strbuf_detach(&sb, NULL);
	}
	rs->st[STEP_DATABASE].kept_as = kept;
	if (rs->log_dump && rs->log_dbname) {
		const char *ci_src = nonempty(rs->conf->log_database.conninfo) ? rs->conf->log_database.conninfo
									: rs->conninfo;
		char *ci = conninfo_with_dbname(ci_src, rs->log_dbname, e);
		char *kept2 = NULL;
		struct replay_stats st2 = { 0 };
		if (!ci)
			return -1;
		int ret = restore_one_database(rs, rs->log_dump, rs->log_dbname, ci, r, e, &kept2, &st2);
		free(ci);
		if (kept2) {
			/* both kept databases are named in the summary */
			char *both = kept ? xstrfmt("%s, %s", kept, kept2) : xstrdup(kept2);
			free(rs->st[STEP_DATABASE].kept_as);
			rs->st[STEP_DATABASE].kept_as = both;
		}
		free(kept2);
		if (ret < 0)
			return -1;
	}
	return 0;
}

static int run_lists(char ***lists, struct report *r, struct err *e);
static int start_services(struct restore *rs, struct report *r, struct err *e);

static int step_migrations(struct restore *rs, struct report *r, struct err *e)
{
	const struct conf *c = rs->conf;
	const char *argv[] = { c->php, "biso-cli", "migration", "exec", NULL };
	unsigned restarted = 0;

	if (runcmd_logged(argv, rs->webroot, NULL, r, e) < 0)
		return -1;
	if (nonempty(c->services.scheduler_cron)) {
		FILE *fp = fopen(c->services.scheduler_cron, "r");
		char line[4096];
		int found = 0;
		if (fp) {
			while (fgets(line, sizeof line, fp))
				if (line[0] != '#' && strstr(line, "biso-cli"))
					found = 1;
			fclose(fp);
		}
		if (found)
			report_log(r, LOG_INFO, "scheduler: %s has a biso-cli entry", c->services.scheduler_cron);
		else
			report_log(r, LOG_WARN, "scheduler: %s %s", c->services.scheduler_cron,
				   fp ? "has no biso-cli entry" : "does not exist");
	}
	if (c->services.queue_runner_check && c->services.queue_runner_check[0]) {
		struct err qe = ERR_INIT;
		if (runcmd_logged((const char *const *)c->services.queue_runner_check, NULL, NULL, r, &qe) < 0)
			report_log(r, LOG_WARN, "queue runner check: %s", qe.msg);
		else
			report_log(r, LOG_INFO, "queue runner: running");
		err_clear(&qe);
	}
	if (start_services(rs, r, e) < 0)
		return -1;
	for (char ***w = c->services.restart_workers; w && *w; w++) {
		if (runcmd_logged((const char *const *)*w, NULL, NULL, r, e) < 0)
			return -1;
		restarted++;
	}
	free(rs->st[STEP_MIGRATIONS].summary);
	rs->st[STEP_MIGRATIONS].summary = xstrfmt("migrations applied, %u worker command(s) run",
						  restarted);
	return 0;
}


/* ---- run-level guards: lock, preflight, services ------------------------ */

char *restore_webroot_lock_path(const struct restore *rs)
{
	/* FNV-1a of the webroot's path: one lock per instance, whatever log_dir
	 * a run is given. */
	uint64_t h = 1469598103934665603ULL;
	const char *dir = access("/run/lock", W_OK) == 0 ? "/run/lock" : "/tmp";
	for (const char *p = rs->conf->webroot; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return xstrfmt("%s/biso-recover-%016llx.lock", dir, (unsigned long long)h);
}

/* flock @path; -1 with @e naming the holder's pid when another run has it.
 * Returns the descriptor, kept open for the run. */
static int lock_file(const char *path, struct err *e)
{
	char pid[32];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_errno(e, errno, "cannot open the lock file %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = read(fd, pid, sizeof pid - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		err_set(e, "another biso-recover (pid %s) is running for this instance",
			*pid ? pid : "?");
		err_detail(e, "%s is locked", path);
		err_hint(e, "Wait for it to finish; two restores at once would undo each other.");
		close(fd);
		return -1;
	}
	if (ftruncate(fd, 0) == 0) {
		int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
		if (write(fd, pid, (size_t)n) != n)
			(void)0; /* the pid is only informative */
	}
	return fd;
}

int restore_lock(struct restore *rs, struct err *e)
{
	const struct conf *c = rs->conf;
	char *path = xstrfmt("%s/biso-recover.lock", c->log_dir);
	int fd, fd2;

	if (mkdir(c->log_dir, 0700) < 0 && errno != EEXIST) {
		err_errno(e, errno, "cannot create the log directory %s", c->log_dir);
		err_hint(e, "Set log_dir in the configuration or give --log-dir DIR.");
		free(path);
		return -1;
	}
	fd = lock_file(path, e);
	free(path);
	if (fd < 0)
		return -1;
	path = restore_webroot_lock_path(rs);
	fd2 = lock_file(path, e);
	free(path);
	if (fd2 < 0) {
		close(fd);
		return -1;
	}
	rs->lock_fd = fd + 1;
	rs->lock_fd2 = fd2 + 1;
	return 0;
}

/* 1 if @prog is an executable path or found in PATH. */
static int have_program(const char *prog)
{
	const char *path;
	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	path = getenv("PATH");
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		char *full = xstrfmt("%.*s/%s", (int)n, p, prog);
		int ok = access(full, X_OK) == 0;
		free(full);
		if (ok)
			return 1;
		p += n;
		if (*p == ':')
			p++;
	}
	return 0;
}

/* The live datadir inside the webroot is carried into the staging tree just
 * before the swap.  A run killed in between leaves it only there; the next
 * run must not remove that staging tree.  -1 with @e and the mv that puts
 * it back when that is the case. */
static int stranded_datadir(struct restore *rs, const char *live, const char *staging,
			    struct err *e)
{
	const char *rel = inside(rs->datadir, live);
	char *in_live, *in_staging;
	int stranded;
	if (!rel)
		return 0;
	in_live = xstrfmt("%s/%s", live, rel);
	in_staging = xstrfmt("%s/%s", staging, rel);
	stranded = !path_exists(in_live) && path_exists(in_staging);
	if (stranded) {
		err_set(e, "the live datadir is in the staging tree %s of an interrupted run",
			staging);
		err_detail(e, "%s is missing; %s holds it.", in_live, in_staging);
		err_hint(e, "Put it back first: mv '%s' '%s'; then run biso-recover again (it "
			    "removes the rest of the staging tree).", in_staging, in_live);
	}
	free(in_live);
	free(in_staging);
	return stranded ? -1 : 0;
}

/* The database swap blocks new connections to the live database before
 * renaming it; a run killed in between leaves it refusing connections. */
static int reopen_database(PGconn *admin, const char *db, int fix, struct report *r,
			   struct err *e)
{
	PGresult *res = dbadmin_query1(admin, "SELECT datallowconn FROM pg_database WHERE datname = $1",
				       db, NULL);
	int closed = res && PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), "f");
	PQclear(res);
	if (!closed)
		return 0;
	if (!fix) {
		report_log(r, LOG_WARN, "database \"%s\" does not accept connections (left so by an "
			   "interrupted run); a real run allows them again", db);
		return 0;
	}
	if (dbadmin_allow_connections(admin, db, 1, e) < 0)
		return -1;
	report_log(r, LOG_WARN, "database \"%s\" did not accept connections (left so by an "
		   "interrupted run): allowed them again", db);
	return 0;
}

/* An earlier run stopped the services and never started them again (it was
 * killed): they may still be down.  This run takes them over: it starts
 * them at its end (restore_finish) and journals that under its own stamp;
 * a dry run only says so. */
static int stale_services(struct restore *rs, const struct journal_entry *j, struct report *r,
			  struct err *e)
{
	struct strbuf cmds = STRBUF_INIT;
	for (char ***l = rs->conf->services.start_services; l && *l; l++) {
		strbuf_addstr(&cmds, cmds.len ? "; " : "");
		runcmd_format_argv((const char *const *)*l, &cmds);
	}
	if (rs->dry_run) {
		report_log(r, LOG_WARN, "the run of %s stopped the services and did not start them "
			   "again; a real run starts them at its end (%s)", j->stamp,
			   cmds.len ? cmds.buf : "no start commands configured");
		strbuf_release(&cmds);
		return 0;
	}
	strbuf_release(&cmds);
	if (!rs->services_stopped &&
	    journal_begin(rs->conf->log_dir, rs->stamp, JOURNAL_SERVICES, "services", "", "", e) < 0)
		return -1;
	rs->services_stopped = 1;
	if (journal_done(rs->conf->log_dir, j->stamp, JOURNAL_SERVICES, "services", e) < 0)
		return -1;
	report_log(r, LOG_WARN, "the run of %s stopped the services and did not start them again; "
		   "this run starts them at its end", j->stamp);
	return 0;
}

/* An earlier run killed between the two renames of a swap leaves the live
 * name missing: say exactly how to put it back, and touch nothing. */
static int check_journal(struct restore *rs, struct report *r, struct err *e)
{
	const struct conf *c = rs->conf;
	struct journal_entry *v;
	size_t n;
	PGconn *admin = NULL;
	int ret = 0;

	if (journal_pending(c->log_dir, &v, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n && ret == 0; i++) {
		struct journal_entry *j = &v[i];
		int live = 0, kept = 0;
		if (j->kind == JOURNAL_SERVICES) {
			ret = stale_services(rs, j, r, e);
			continue;
		}
		if (j->kind == JOURNAL_FILES) {
			live = path_exists(j->live);
			kept = path_exists(j->kept);
		} else {
			if (!admin && !(admin = dbadmin_connect(rs->admin_conninfo, e))) {
				ret = -1;
				break;
			}
			if (dbadmin_exists(admin, j->live, &live, e) < 0 ||
			    dbadmin_exists(admin, j->kept, &kept, e) < 0) {
				ret = -1;
				break;
			}
		}
		if (!live && kept) {
			err_set(e, "the run of %s was interrupted in the middle of a swap: %s%s%s is "
				"missing", j->stamp, j->kind == JOURNAL_DATABASE ? "database \"" : "",
				j->live, j->kind == JOURNAL_DATABASE ? "\"" : "");
			err_detail(e, "The old one is %s; the restored one, if complete, is %s.",
				   j->kept, j->staging);
			if (j->kind == JOURNAL_FILES)
				err_hint(e, "Put the old one back (mv '%s' '%s') or the restored one in "
					    "place, then run biso-recover again.", j->kept, j->live);
			else
				err_hint(e, "Put the old one back (ALTER DATABASE \"%s\" RENAME TO "
					    "\"%s\") or the restored one in place, then run again.",
					 j->kept, j->live);
			ret = -1;
			break;
		}
		if (j->kind == JOURNAL_FILES && path_exists(j->staging)) {
			/* Killed after the live datadir was carried into the staging
			 * tree and before the swap: the staging tree may hold it. */
			if (stranded_datadir(rs, j->live, j->staging, e) < 0) {
				ret = -1;
				break;
			}
		}
		if (j->kind == JOURNAL_DATABASE && admin &&
		    reopen_database(admin, j->live, !rs->dry_run, r, e) < 0) {
			ret = -1;
			break;
		}
		if (rs->dry_run) {
			report_log(r, LOG_WARN, "the run of %s stopped around its swap of %s, which is "
				   "in place; a real run closes that journal entry", j->stamp, j->live);
			continue;
		}
		/* The live name is there: the swap either never started or ended. */
		if (journal_done(c->log_dir, j->stamp, j->kind, j->live, e) < 0) {
			ret = -1;
			break;
		}
		report_log(r, LOG_WARN, "the run of %s stopped around its swap of %s, which is "
			   "in place; closed that journal entry", j->stamp, j->live);
	}
	if (admin)
		PQfinish(admin);
	journal_entries_free(v, n);
	return ret;
}

/* What the first entries of an archive say about its layout: whether it
 * holds any regular file (within the first @max entries; *@complete tells
 * whether that was all of them), where @marker (e.g. "biso-cli") sits, and
 * the one top folder all entries share, if any.  Reads headers only. */
struct archive_layout {
	int files;          /* regular files seen */
	int complete;       /* all entries were seen */
	int marker_top;     /* @marker at the top */
	char *marker_dir;   /* "webroot" when @marker is webroot/biso-cli; owned */
	char *common_top;   /* the single first component of every entry, or NULL; owned */
};

static int archive_peek(const char *path, const char *marker, int max,
			struct archive_layout *al, struct err *e)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	int r, n = 0, mixed = 0, ret = 0;

	memset(al, 0, sizeof *al);
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		ret = err_set(e, "cannot open %s: %s", path, archive_error_string(a));
		goto out;
	}
	while (n < max && ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK ||
			   r == ARCHIVE_WARN)) {
		const char *name = archive_entry_pathname(ent);
		const char *slash;
		size_t first;
		n++;
		while (name[0] == '.' && name[1] == '/')
			name += 2;
		if (!*name || !strcmp(name, "."))
			continue;
		if (archive_entry_filetype(ent) == AE_IFREG)
			al->files++;
		slash = strchr(name, '/');
		first = slash ? (size_t)(slash - name) : strlen(name);
		if (!strcmp(name, marker))
			al->marker_top = 1;
		else if (slash && !strcmp(slash + 1, marker) && !al->marker_dir)
			al->marker_dir = xstrndup(name, first);
		/* A top-level file means the archive is not wrapped in a folder. */
		if (!slash && archive_entry_filetype(ent) != AE_IFDIR)
			mixed = 1;
		if (!mixed && !al->common_top)
			al->common_top = xstrndup(name, first);
		else if (!mixed && (strlen(al->common_top) != first ||
				    strncmp(al->common_top, name, first)))
			mixed = 1;
	}
	if (n < max)
		al->complete = 1;
	if (mixed) {
		free(al->common_top);
		al->common_top = NULL;
	}
out:
	archive_read_free(a);
	return ret;
}

static void archive_layout_release(struct archive_layout *al)
{
	free(al->marker_dir);
	free(al->common_top);
}

/* Refuse archives that would restore the wrong shape: a webroot wrapped in
 * a folder (tar czf webroot.tar.gz webroot) would land one level too deep,
 * an empty datadir archive would replace a live datadir with nothing. */
static int check_archives(struct restore *rs, struct err *e)
{
	struct archive_layout al;
	int ret = 0;

	if ((rs->selected & STEP_BIT(STEP_WEBROOT)) && rs->webroot_src &&
	    rs->webroot_src_kind != MAGIC_DIR && magic_is_tree(rs->webroot_src_kind)) {
		if (archive_peek(rs->webroot_src, "biso-cli", 100000, &al, e) < 0)
			return -1;
		if (!al.marker_top && (al.marker_dir || al.common_top)) {
			const char *dir = al.marker_dir ? al.marker_dir : al.common_top;
			err_set(e, "the webroot archive %s holds the webroot in a folder \"%s/\"",
				rs->webroot_src, dir);
			err_detail(e, "Restored as it is, it would land in %s/%s.", rs->webroot, dir);
			err_hint(e, "Unpack it (bsdtar -xpf ARCHIVE -C /some/dir) and put the folder "
				    "under <backup_root>/webroot/, or repack it from inside the folder "
				    "(tar -C %s -czf ... .).", dir);
			ret = -1;
		} else if (!al.marker_top) {
			err_set(e, "the webroot archive %s has no biso-cli: it is not a BISO webroot",
				rs->webroot_src);
			err_hint(e, "Check backup_root and the archive (bsdtar -tvf ARCHIVE).");
			ret = -1;
		}
		archive_layout_release(&al);
		if (ret < 0)
			return -1;
	}
	if ((rs->selected & STEP_BIT(STEP_DATADIR)) && rs->datadir_src &&
	    rs->datadir_src_kind != MAGIC_DIR && magic_is_tree(rs->datadir_src_kind)) {
		if (archive_peek(rs->datadir_src, "", 1000, &al, e) < 0)
			return -1;
		if (al.complete && !al.files && rs->datadir && path_exists(rs->datadir) &&
		    !dir_is_empty(rs->datadir)) {
			err_set(e, "the datadir archive %s holds no file, the live datadir %s does",
				rs->datadir_src, rs->datadir);
			err_hint(e, "Is it the right archive? Check backup_root, or skip this step.");
			ret = -1;
		} else if (al.common_top && rs->datadir &&
			   (!strcmp(al.common_top, "data") ||
			    !strcmp(al.common_top, strrchr(rs->datadir, '/') ?
						   strrchr(rs->datadir, '/') + 1 : rs->datadir))) {
			err_set(e, "the datadir archive %s holds the datadir in a folder \"%s/\"",
				rs->datadir_src, al.common_top);
			err_detail(e, "Restored as it is, it would land in %s/%s.", rs->datadir,
				   al.common_top);
			err_hint(e, "Unpack it and put the folder under <backup_root>/data/, or repack "
				    "it from inside the folder.");
			ret = -1;
		}
		archive_layout_release(&al);
	}
	return ret;
}

/* Read the whole dump once before anything is touched: a dump that was cut
 * off, or a cluster dump that would \connect to other databases, is refused
 * here rather than after the webroot and datadir were replaced. */
static int check_dump(struct restore *rs, const char *dump, struct report *r, struct err *e)
{
	struct dumpinfo di = { 0 };
	int ret = 0;
	if (!dump || !strcmp(dump, "-"))
		return 0; /* standard input can be read only once: by the replay */
	report_log(r, LOG_INFO, "reading %s once to check it", dump);
	if (dumpinfo_scan(dump, &di, NULL, e) < 0) {
		dumpinfo_release(&di); /* what was read before the error */
		return -1;
	}
	if (!di.complete) {
		err_set(e, "%s has no \"dump complete\" trailer: it was cut off", dump);
		err_detail(e, "It ends after %llu bytes of SQL; what pg_dump writes last (indexes, "
			      "keys, constraints, triggers) would be missing.",
			   (unsigned long long)di.bytes_sql);
		err_hint(e, "Use an older, complete dump (--dump FILE); biso-recover db-inspect "
			    "DUMP shows what a dump holds.");
		ret = -1;
	} else if (di.has_connect) {
		err_set(e, "%s is a cluster dump (pg_dumpall): its \\connect lines would restore "
			"into other databases", dump);
		err_hint(e, "Restore it with psql as the cluster's superuser, or use a pg_dump of "
			    "the BISO database.");
		ret = -1;
	} else {
		report_log(r, LOG_INFO, "%s: pg_dump %s, %zu tables with data, complete", dump,
			   di.pg_dump_version ? di.pg_dump_version : "(version unknown)", di.n_tables);
		if (dump == rs->dump && !rs->dump_info) {
			/* Kept for the row-count checks: the dump is read once more, not twice. */
			rs->dump_info = xmalloc(sizeof di);
			*rs->dump_info = di;
			return 0;
		}
	}
	dumpinfo_release(&di);
	return ret;
}

const struct backup_list *restore_sources(const struct restore *rs, enum step_id s)
{
	if (!rs->backups)
		return NULL;
	if (s == STEP_DATADIR)
		return &rs->backups->data;
	if (s == STEP_DATABASE)
		return &rs->backups->dumps;
	return NULL;
}

int restore_use_source(struct restore *rs, enum step_id s, size_t i, struct report *r,
		       struct err *e)
{
	const struct backup_list *l = restore_sources(rs, s);
	char **src = s == STEP_DATADIR ? &rs->datadir_src : &rs->dump;
	enum magic_kind *kind = s == STEP_DATADIR ? &rs->datadir_src_kind : &rs->dump_kind;
	char *old = *src;
	enum magic_kind old_kind = *kind;
	struct dumpinfo *old_info = rs->dump_info;
	int ret;

	if (!l || i >= l->n)
		return err_set(e, "no such backup to choose for step %s", step_name(s));
	if (old && !strcmp(old, l->items[i].path))
		return 0;
	*src = xstrdup(l->items[i].path);
	ret = magic_detect(*src, kind, e);
	if (ret == 0 && s == STEP_DATADIR) {
		ret = check_archives(rs, e);
	} else if (ret == 0) {
		if (!magic_is_plain_dump(*kind)) {
			ret = err_set(e, "%s is not a plain-format dump (%s)", *src, magic_name(*kind));
		} else {
			rs->dump_info = NULL; /* check_dump() keeps the new dump's counts */
			ret = check_dump(rs, *src, r, e);
		}
	}
	if (ret < 0) {
		if (rs->dump_info && rs->dump_info != old_info) {
			dumpinfo_release(rs->dump_info);
			free(rs->dump_info);
		}
		rs->dump_info = old_info;
		free(*src);
		*src = old;
		*kind = old_kind;
		return -1;
	}
	if (s == STEP_DATABASE && old_info) {
		dumpinfo_release(old_info);
		free(old_info);
	}
	report_log(r, LOG_INFO, "step %s: the operator chose %s instead of %s", step_name(s), *src,
		   orq(old));
	free(old);
	return 0;
}

int restore_preflight(struct restore *rs, struct report *r, struct err *e)
{
	const struct conf *c = rs->conf;
	unsigned sel = rs->selected;
	uid_t uid;
	gid_t gid;

	if (check_journal(rs, r, e) < 0)
		return -1;

	if ((sel & (STEP_BIT(STEP_DATADIR) | STEP_BIT(STEP_VERIFY))) &&
	    conf_web_owner(c, &uid, &gid, e) < 0)
		return -1;
	if ((sel & (STEP_BIT(STEP_MIGRATIONS) | STEP_BIT(STEP_VERIFY))) && !have_program(c->php)) {
		err_set(e, "the php binary %s is not there", c->php);
		err_hint(e, "Install php-cli, or set php in the configuration to its full path.");
		return -1;
	}
	if (check_archives(rs, e) < 0)
		return -1;
	if ((sel & STEP_BIT(STEP_DATABASE)) && check_dump(rs, rs->dump, r, e) < 0)
		return -1;
	if ((sel & STEP_BIT(STEP_DATABASE)) && rs->log_dump && check_dump(rs, rs->log_dump, r, e) < 0)
		return -1;
	if (sel & STEP_BIT(STEP_DATABASE)) {
		PGconn *admin = dbadmin_connect(rs->admin_conninfo, e);
		int ret = 0;
		if (!admin) {
			err_hint(e, "Check database.admin_conninfo (default: the target conninfo with "
				    "dbname=postgres).");
			return -1;
		}
		if (nonempty(c->database.lc_collate))
			ret = dbadmin_check_locale(admin, c->database.lc_collate, e);
		if (!ret && nonempty(c->database.lc_ctype) &&
		    strcmp(c->database.lc_ctype, orq(c->database.lc_collate)))
			ret = dbadmin_check_locale(admin, c->database.lc_ctype, e);
		if (!ret && rs->dbname) {
			struct strbuf diff = STRBUF_INIT;
			if (dbadmin_settings_differ(admin, rs->dbname, c->database.encoding,
						    c->database.lc_collate, c->database.lc_ctype,
						    &diff) > 0)
				report_log(r, LOG_WARN, "the live database \"%s\" %s; the restored one "
					   "will use the configured settings", rs->dbname, diff.buf);
			strbuf_release(&diff);
		}
		PQfinish(admin);
		if (ret < 0)
			return -1;
	}
	if (nonempty(c->env_expected) && rs->env && strcmp(rs->env, c->env_expected)) {
		report_log(r, LOG_WARN, "config.php says env '%s', not '%s': is this the right "
			   "config.php for a disaster recovery?", rs->env, c->env_expected);
		rs->env_warned = xstrdup(rs->env);
	}
	return 0;
}

/* Run each argv list of @lists; the first failure stops with @e. */
static int run_lists(char ***lists, struct report *r, struct err *e)
{
	for (char ***l = lists; l && *l; l++)
		if (**l && runcmd_logged((const char *const *)*l, NULL, NULL, r, e) < 0)
			return -1;
	return 0;
}

static int has_lists(char ***lists)
{
	return lists && *lists;
}

/* Stop the services for the restore, journaled first: a run killed while
 * they are down leaves an entry the next run finds (check_journal). */
static int stop_services(struct restore *rs, struct report *r, struct err *e)
{
	if (rs->services_stopped || !has_lists(rs->conf->services.stop_services))
		return 0;
	if (journal_begin(rs->conf->log_dir, rs->stamp, JOURNAL_SERVICES, "services", "", "", e) < 0)
		return -1;
	/* from here on they count as stopped, even if a stop command failed */
	rs->services_stopped = 1;
	report_log(r, LOG_INFO, "stopping services for the restore");
	if (run_lists(rs->conf->services.stop_services, r, e) < 0) {
		err_prefix(e, "cannot stop services");
		return -1;
	}
	return 0;
}

/* Start what stop_services() (or an interrupted earlier run) stopped, once;
 * the journal entry is closed when every start command succeeded. */
static int start_services(struct restore *rs, struct report *r, struct err *e)
{
	struct err je = ERR_INIT;
	if (!rs->services_stopped || rs->services_started)
		return 0;
	rs->services_started = 1;
	report_log(r, LOG_INFO, "starting the services stopped for the restore");
	if (run_lists(rs->conf->services.start_services, r, e) < 0)
		return -1;
	if (journal_done(rs->conf->log_dir, rs->stamp, JOURNAL_SERVICES, "services", &je) < 0)
		report_log(r, LOG_WARN, "%s", je.msg);
	err_clear(&je);
	return 0;
}

int restore_finish(struct restore *rs, struct report *r)
{
	struct err e = ERR_INIT;
	int ret = 0;
	if (start_services(rs, r, &e) < 0) {
		report_log(r, LOG_ERROR, "starting services failed: %s", e.msg);
		ret = -1;
	}
	err_clear(&e);
	return ret;
}

/* ---- driving --------------------------------------------------------------- */

int restore_run_step(struct restore *rs, enum step_id s, struct report *r, struct err *e)
{
	struct counting cnt = { { counting_progress, counting_log, counting_cancelled, NULL, 0 },
				r, 0 };
	struct step_status *st = &rs->st[s];
	int64_t t0 = report_now_ns();
	int ret;

	cnt.rep.ctx = &cnt;
	st->state = STEP_RUNNING;
	err_clear(&st->err);
	report_log(r, LOG_INFO, "step %s: %s", step_name(s), step_title(s));
	if ((s == STEP_WEBROOT || s == STEP_DATADIR || s == STEP_DATABASE) &&
	    stop_services(rs, &cnt.rep, e) < 0) {
		ret = -1;
		goto done;
	}
	switch (s) {
	case STEP_WEBROOT: ret = step_webroot(rs, &cnt.rep, e); break;
	case STEP_CONFIG: ret = step_config(rs, &cnt.rep, e); break;
	case STEP_DATADIR: ret = step_datadir(rs, &cnt.rep, e); break;
	case STEP_DATABASE: ret = step_database(rs, &cnt.rep, e); break;
	case STEP_MIGRATIONS: ret = step_migrations(rs, &cnt.rep, e); break;
	case STEP_VERIFY: ret = verify_instance(rs, &cnt.rep, e); break;
	default: ret = err_set(e, "no such step"); break;
	}
done:
	st->seconds = (double)(report_now_ns() - t0) / 1e9;
	st->warnings = cnt.warnings;
	if (ret < 0 && (s == STEP_MIGRATIONS || s == STEP_VERIFY) && !e->hint &&
	    (rs->st[STEP_DATABASE].state == STEP_DONE || rs->st[STEP_WEBROOT].state == STEP_DONE))
		err_hint(e, "What was restored before stays in place; finish with "
			    "biso-recover restore --only %s.",
			 s == STEP_MIGRATIONS ? "migrations,verify" : "verify");
	if (ret < 0) {
		struct err copy = ERR_INIT;
		st->state = STEP_FAILED;
		copy.msg = xstrdup(e->msg ? e->msg : "failed");
		copy.detail = e->detail ? xstrdup(e->detail) : NULL;
		copy.hint = e->hint ? xstrdup(e->hint) : NULL;
		copy.file = e->file ? xstrdup(e->file) : NULL;
		copy.line = e->line;
		copy.offset = e->offset;
		err_move(&st->err, &copy);
		report_log(r, LOG_ERROR, "step %s failed: %s", step_name(s), st->err.msg);
	} else {
		st->state = STEP_DONE;
		report_log(r, LOG_INFO, "step %s done in %.1f s%s%s", step_name(s), st->seconds,
			   st->summary ? ": " : "", st->summary ? st->summary : "");
	}
	return ret;
}

void restore_skip_step(struct restore *rs, enum step_id s)
{
	if (rs->st[s].state == STEP_FAILED)
		rs->continued_past_failure = 1;
	rs->st[s].state = STEP_SKIPPED;
}

/* Append one shell command line (each word quoted where needed), or
 * several joined by " | " when @pipe_at > 0 (the index of the word where
 * the second command starts). */
/* "cd WEBROOT && php biso-cli migration @what", quoted for a shell. */
static void add_migration_cmd(struct strbuf *out, const struct restore *rs, const struct conf *c,
			      const char *what)
{
	strbuf_addstr(out, "     cd ");
	runcmd_format_argv((const char *const[]){ rs->webroot, NULL }, out);
	strbuf_addstr(out, " && ");
	runcmd_format_argv((const char *const[]){ c->php, "biso-cli", "migration", what, NULL }, out);
	strbuf_addch(out, '\n');
}

static void add_cmd(struct strbuf *out, int pipe_at, ...)
{
	const char *argv[32];
	int n = 0;
	va_list ap;
	va_start(ap, pipe_at);
	while (n < 31 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	strbuf_addstr(out, "     ");
	if (pipe_at > 0 && pipe_at < n) {
		const char *first[32];
		memcpy(first, argv, (size_t)pipe_at * sizeof *argv);
		first[pipe_at] = NULL;
		runcmd_format_argv(first, out);
		strbuf_addstr(out, " | ");
		runcmd_format_argv(argv + pipe_at, out);
	} else {
		runcmd_format_argv(argv, out);
	}
	strbuf_addch(out, '\n');
}

/* The commands an admin would type for step @s, from the backup manual. */
static void manual_commands(const struct restore *rs, enum step_id s, struct strbuf *out)
{
	const struct conf *c = rs->conf;
	char *kept = xstrfmt("%s.pre-restore-%s", rs->webroot, rs->stamp);
	char *owner = NULL, *host = NULL, *port = NULL, *user = NULL;
	char *staging = xstrfmt("%s_restoring", orq(rs->dbname));
	char *keepdb = xstrfmt("%s_pre_restore_%s", orq(rs->dbname), rs->stamp);
	char *sql = NULL, *src = NULL, *chown_spec = xstrfmt("%s:%s", c->web_user, c->web_group);

	if (rs->conninfo) {
		host = conninfo_get(rs->conninfo, "host");
		port = conninfo_get(rs->conninfo, "port");
		user = conninfo_get(rs->conninfo, "user");
	}
	owner = nonempty(c->database.owner) ? xstrdup(c->database.owner) : user ? xstrdup(user) : NULL;
	switch (s) {
	case STEP_WEBROOT:
		add_cmd(out, 0, "mv", rs->webroot, kept, NULL);
		if (rs->webroot_src_kind == MAGIC_DIR) {
			src = xstrfmt("%s/", orq(rs->webroot_src));
			add_cmd(out, 0, "rsync", "-a", "--exclude", "data", src, rs->webroot, NULL);
		} else {
			add_cmd(out, 0, "mkdir", rs->webroot, NULL);
			add_cmd(out, 0, "bsdtar", "-xpf", orq(rs->webroot_src), "-C", rs->webroot, NULL);
		}
		if (inside(rs->datadir, rs->webroot)) {
			free(src);
			src = xstrfmt("%s/%s", kept, inside(rs->datadir, rs->webroot));
			add_cmd(out, 0, "mv", src, rs->datadir, NULL);
		}
		break;
	case STEP_CONFIG:
		free(src);
		src = xstrfmt("%s/config.php", rs->webroot);
		if (rs->config_php_src)
			add_cmd(out, 0, "install", "-m", "0640", rs->config_php_src, src, NULL);
		add_cmd(out, 0, "grep", "-n", "Config::set", src, NULL);
		break;
	case STEP_DATADIR:
		free(kept);
		kept = xstrfmt("%s.pre-restore-%s", orq(rs->datadir), rs->stamp);
		add_cmd(out, 0, "mv", orq(rs->datadir), kept, NULL);
		if (rs->datadir_src_kind == MAGIC_DIR) {
			src = xstrfmt("%s/", orq(rs->datadir_src));
			add_cmd(out, 0, "rsync", "-a", "--exclude", "tmp/", "--exclude", "*.log",
				"--exclude", "maintenance.on", src, orq(rs->datadir), NULL);
		} else {
			add_cmd(out, 0, "mkdir", orq(rs->datadir), NULL);
			add_cmd(out, 0, "bsdtar", "-xpf", orq(rs->datadir_src), "-C", orq(rs->datadir), NULL);
		}
		add_cmd(out, 0, "chown", "-R", chown_spec, orq(rs->datadir), NULL);
		add_cmd(out, 0, "chmod", "-R", "u+rwX", orq(rs->datadir), NULL);
		break;
	case STEP_DATABASE: {
		const char *h = host ? host : "localhost", *pt = port ? port : "5432";
		add_cmd(out, 0, "createdb", "-h", h, "-p", pt, "-U", "postgres", "-T", "template0",
			"-O", owner ? owner : "postgres", "-E", orq(c->database.encoding),
			"--lc-collate", orq(c->database.lc_collate), "--lc-ctype",
			orq(c->database.lc_ctype), staging, NULL);
		if (rs->dump_kind == MAGIC_GZIP_SQL)
			add_cmd(out, 3, "gunzip", "-c", orq(rs->dump), "psql", "-X", "-q", "-v",
				"ON_ERROR_STOP=1", "-h", h, "-p", pt, "-U", owner ? owner : "postgres",
				"-d", staging, NULL);
		else
			add_cmd(out, 0, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", h, "-p", pt,
				"-U", owner ? owner : "postgres", "-d", staging, "-f", orq(rs->dump), NULL);
		sql = xstrfmt("ALTER DATABASE \"%s\" RENAME TO \"%s\"", orq(rs->dbname), keepdb);
		add_cmd(out, 0, "psql", "-h", h, "-p", pt, "-U", "postgres", "-c", sql, NULL);
		free(sql);
		sql = xstrfmt("ALTER DATABASE \"%s\" RENAME TO \"%s\"", staging, orq(rs->dbname));
		add_cmd(out, 0, "psql", "-h", h, "-p", pt, "-U", "postgres", "-c", sql, NULL);
		add_cmd(out, 0, "psql", "-h", h, "-p", pt, "-U", owner ? owner : "postgres", "-d",
			orq(rs->dbname), "-c", "ANALYZE", NULL);
		break;
	}
	case STEP_MIGRATIONS:
		add_migration_cmd(out, rs, c, "exec");
		break;
	case STEP_VERIFY:
		add_migration_cmd(out, rs, c, "status");
		break;
	default:
		break;
	}
	free(kept);
	free(owner);
	free(host);
	free(port);
	free(user);
	free(staging);
	free(keepdb);
	free(src);
	free(sql);
	free(chown_spec);
}

static void list_one(const struct backup_list *l, const char *what, const char *chosen,
		     struct strbuf *out)
{
	strbuf_addf(out, "  %s:%s\n", what, l->n ? "" : " none");
	for (size_t i = 0; i < l->n && i < 5; i++) {
		const struct backup_item *it = &l->items[i];
		char when[32];
		struct tm tm;
		localtime_r(&it->when, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
		strbuf_addf(out, "  %c %s  ", chosen && !strcmp(chosen, it->path) ? '*' : ' ', when);
		if (it->kind == MAGIC_DIR) {
			strbuf_addstr(out, "  directory");
		} else {
			struct strbuf sz = STRBUF_INIT;
			strbuf_humanise_bytes(&sz, it->size);
			strbuf_addf(out, "%11s", sz.buf);
			strbuf_release(&sz);
		}
		strbuf_addf(out, "  %s (%s)\n", it->name, magic_name(it->kind));
	}
	if (l->n > 5)
		strbuf_addf(out, "    ... and %zu older\n", l->n - 5);
}

void restore_list_backups(const struct restore *rs, struct strbuf *out)
{
	const struct backupset *bs = rs->backups;
	if (!bs)
		return;
	strbuf_addf(out, "Backups in %s, newest first (* = chosen):\n", bs->root);
	list_one(&bs->webroot, "webroot", rs->webroot_src, out);
	list_one(&bs->data, "datadir", rs->datadir_src, out);
	list_one(&bs->dumps, "database dumps", rs->dump, out);
	if (rs->conf->log_database.enabled)
		list_one(&bs->log_dumps, "log database dumps", rs->log_dump, out);
}

void restore_plan_text(const struct restore *rs, struct strbuf *out)
{
	char *lock = restore_webroot_lock_path(rs);
	strbuf_addf(out, "Restore plan (%s), nothing has been touched:\n", rs->stamp);
	strbuf_addf(out, "locks: %s/biso-recover.lock, %s\n\n", rs->conf->log_dir, lock);
	free(lock);
	if (rs->backups) {
		restore_list_backups(rs, out);
		strbuf_addch(out, '\n');
	}
	for (int s = 0; s < STEP_COUNT; s++) {
		struct strbuf what = STRBUF_INIT;
		if (!(rs->selected & STEP_BIT(s)))
			continue;
		strbuf_addf(out, "%d. %s\n", s + 1, step_title(s));
		struct strbuf d = STRBUF_INIT;
		restore_describe_step(rs, s, &d);
		for (char *line = d.buf, *nl; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			strbuf_addf(out, "   %.*s\n", (int)(nl - line), line);
			if (!nl[1])
				break;
		}
		strbuf_release(&d);
		if (restore_step_destructive(rs, s, &what))
			strbuf_addf(out, "   %s\n", what.buf);
		strbuf_release(&what);
		strbuf_addstr(out, "   manual equivalent:\n");
		manual_commands(rs, s, out);
		strbuf_addch(out, '\n');
	}
}

void restore_summary(const struct restore *rs, struct strbuf *out)
{
	strbuf_addf(out, "%-12s %-8s %8s  %s\n", "step", "state", "time", "result");
	for (int s = 0; s < STEP_COUNT; s++) {
		const struct step_status *st = &rs->st[s];
		if (!(rs->selected & STEP_BIT(s))) {
			strbuf_addf(out, "%-12s %-8s\n", step_name(s), "-");
			continue;
		}
		strbuf_addf(out, "%-12s %-8s %7.1fs  %s%s\n", step_name(s), step_state_name(st->state),
			    st->seconds,
			    st->state == STEP_FAILED ? orq(st->err.msg) : st->summary ? st->summary : "",
			    st->warnings && st->state == STEP_DONE ? " (warnings)" : "");
	}
	for (int s = 0; s < STEP_COUNT; s++)
		if (rs->st[s].kept_as)
			strbuf_addf(out, "kept: %s\n", rs->st[s].kept_as);
	if (rs->report_path)
		strbuf_addf(out, "report: %s\n", rs->report_path);
	if (rs->log_path)
		strbuf_addf(out, "log: %s\n", rs->log_path);
}

int restore_exit_code(const struct restore *rs)
{
	for (int s = 0; s < STEP_COUNT; s++)
		if (rs->st[s].state == STEP_FAILED)
			return 1;
	return rs->continued_past_failure ? 3 : 0;
}
