/* restore: the plan of the six steps and driving them; see restore.h. */
#include "config.h"
#include "restore.h"
#include "restore_int.h"
#include "backupset.h"
#include "bisocli.h"
#include "conf.h"
#include "conninfo.h"
#include "dbadmin.h"
#include "dumpinfo.h"
#include "fault.h"
#include "magic.h"
#include "phpconf.h"
#include "runcmd.h"
#include "strbuf.h"
#include "verify.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
		"into the datadir of config.php and gives them to the web user (u+rwX). It "
		"comes before the database, so that no document the database points to is "
		"missing." },
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

	if (!a) { /* only without memory */
		err_errno(e, ENOMEM, "cannot read %s", archive_path);
		return NULL;
	}
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
int restore_adopt_config_php(struct restore *rs, const char *path, struct report *r,
			     struct err *e)
{
	struct phpconf pc = { 0 };
	const struct conf *c = rs->conf;

	if (phpconf_load(path, rs->webroot, &pc, e) < 0) {
		phpconf_release(&pc); /* what it read before the error */
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
	set_str(&rs->app_dbname, pc.db_name);
	rs->app_db_line = pc.db_line;
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

int restore_app_db_differs(const struct restore *rs, struct strbuf *why)
{
	if (!rs->app_dbname || !rs->dbname || !strcmp(rs->app_dbname, rs->dbname))
		return 0;
	if (why)
		strbuf_addf(why, "the application reads database \"%s\" (config.php line %ld); you "
			    "restore into \"%s\"", rs->app_dbname, rs->app_db_line, rs->dbname);
	return 1;
}

/* Drop trailing newlines libpq leaves in its messages. */
static void strbuf_rtrim_cstr(char *str)
{
	size_t n = str ? strlen(str) : 0;
	while (n && (str[n - 1] == '\n' || str[n - 1] == ' '))
		str[--n] = '\0';
}

/* Derive dbname and admin conninfo from rs->conninfo. */
int restore_resolve_database(struct restore *rs, struct err *e)
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
		       int needed, char **out, struct report *r, struct err *e)
{
	const struct backup_item *it = backupset_pick(l, rs->at);
	char when[32], oldest[32];
	if (it) {
		*out = xstrdup(it->path);
		if (rs->at && it->undated && needed)
			report_log(r, LOG_WARN, "the %s backup %s is one copy kept up to date in place, "
				   "without a date: --at cannot go back with it; it is used as it is",
				   what, it->path);
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
	     pick_backup(rs, &bs.webroot, "webroot", selected & STEP_BIT(STEP_WEBROOT), &rs->webroot_src, r, e) < 0) ||
	    (!rs->datadir_src &&
	     pick_backup(rs, &bs.data, "datadir", selected & STEP_BIT(STEP_DATADIR), &rs->datadir_src, r, e) < 0) ||
	    (!rs->dump &&
	     pick_backup(rs, &bs.dumps, "database", selected & STEP_BIT(STEP_DATABASE), &rs->dump, r, e) < 0) ||
	    (c->log_database.enabled &&
	     pick_backup(rs, &bs.log_dumps, "log database", selected & STEP_BIT(STEP_DATABASE), &rs->log_dump, r, e) < 0))
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
		ret = restore_adopt_config_php(rs, t, r, e);
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
			if (restore_adopt_config_php(rs, config_path, r, e) < 0)
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
		if (restore_resolve_database(rs, e) < 0)
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

int restore_prepare_instance(struct restore *rs, struct conf *c, struct report *r,
			     struct err *e)
{
	char *live_config;
	const char *path;

	rs->conf = c;
	rs->selected = 0;
	if (!rs->stamp[0])
		make_stamp(rs->stamp);
	for (int s = 0; s < STEP_COUNT; s++)
		rs->st[s].state = STEP_SKIPPED;
	if (!nonempty(c->webroot))
		return err_set(e, "no webroot configured"),
		       err_hint(e, "Give --webroot DIR or set webroot in the configuration."), -1;
	set_str(&rs->webroot, c->webroot);
	if (nonempty(c->config_php))
		set_str(&rs->config_php_src, c->config_php);
	if (nonempty(c->datadir))
		set_str(&rs->datadir, c->datadir);
	if (nonempty(c->database.conninfo))
		set_str(&rs->conninfo, c->database.conninfo);
	/* the live config.php says where the datadir and the database are; one
	 * that cannot be read leaves what the configuration and options say */
	live_config = xstrfmt("%s/config.php", rs->webroot);
	path = rs->config_php_src ? rs->config_php_src : live_config;
	if (path_exists(path) && restore_adopt_config_php(rs, path, r, e) < 0) {
		struct strbuf sb = STRBUF_INIT;
		err_format(e, &sb);
		report_log(r, LOG_WARN, "%s", sb.buf);
		strbuf_release(&sb);
		err_clear(e);
	} else if (!path_exists(path) && (!rs->datadir || !rs->conninfo)) {
		report_log(r, LOG_WARN, "%s does not exist: the datadir and the database are "
			   "taken from the configuration and options", path);
	}
	free(live_config);
	if (!rs->datadir)
		report_log(r, LOG_WARN, "no datadir known: copies of a datadir outside the webroot "
			   "are not looked for (give --datadir DIR)");
	if (!rs->conninfo)
		report_log(r, LOG_WARN, "no database known: kept databases are not looked for "
			   "(give --dbname CONNINFO)");
	return 0;
}

void restore_release(struct restore *rs)
{
	char **strs[] = { &rs->webroot_src, &rs->webroot, &rs->config_php_src, &rs->datadir_src,
			  &rs->datadir, &rs->dump, &rs->dbname, &rs->conninfo,
			  &rs->admin_conninfo, &rs->log_dump, &rs->log_dbname, &rs->env, &rs->env_warned,
			  &rs->app_dbname, &rs->report_path, &rs->db_warning, &rs->dump_refused,
			  &rs->dump_refused_why, &rs->dump_usable };
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	restore_unlock(rs);
	if (rs->dump_info) {
		dumpinfo_release(rs->dump_info);
		free(rs->dump_info);
		rs->dump_info = NULL;
	}
	if (rs->log_dump_info) {
		dumpinfo_release(rs->log_dump_info);
		free(rs->log_dump_info);
		rs->log_dump_info = NULL;
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

/* ---- describing --------------------------------------------------------- */

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
		strbuf_addf(out, "env:      %s%s\ndatadir:  %s\ndatabase: %s on %s as %s",
			    orq(rs->env),
			    rs->env && nonempty(rs->conf->env_expected) &&
			    strcmp(rs->env, rs->conf->env_expected) ? " (not the expected "
			    "production env!)" : "",
			    orq(rs->datadir), orq(rs->dbname), host && *host ? host : "localhost",
			    orq(user));
		if (restore_app_db_differs(rs, NULL))
			strbuf_addf(out, " (config.php names \"%s\"!)", rs->app_dbname);
		strbuf_addch(out, '\n');
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
	case STEP_MIGRATIONS: {
		const char **argv = bisocli_argv(rs->conf, (const char *const[]){ "migration", "exec",
									  NULL });
		strbuf_addstr(out, "run:    ");
		runcmd_format_argv(argv, out);
		strbuf_addf(out, "\nin:     %s\n", rs->webroot);
		free(argv);
		break;
	}
	case STEP_VERIFY:
		strbuf_addf(out, "checks: webroot, datadir owner, database, row counts, migrations\n"
				 "report: %s/verify-%s.txt\n", rs->conf->log_dir, rs->stamp);
		break;
	default:
		break;
	}
}

/* "; sessions on it now, ended at the swap: pid N (...)" for the live
 * database, when it has any: the operator confirms knowing whom the swap
 * disconnects.  Nothing when the server cannot be asked within 5 s. */
static void add_live_sessions(const struct restore *rs, struct strbuf *what)
{
	char *db = rs->admin_conninfo ? conninfo_get(rs->admin_conninfo, "dbname") : NULL;
	char *ci = rs->admin_conninfo ? conninfo_with_dbname(rs->admin_conninfo,
							  db ? db : "postgres", NULL) : NULL;
	struct strbuf who = STRBUF_INIT;
	PGconn *c = NULL;
	if (ci) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addstr(&sb, ci);
		conninfo_append(&sb, "connect_timeout", "5");
		c = dbadmin_connect(sb.buf, NULL);
		strbuf_release(&sb);
	}
	if (c && rs->dbname && dbadmin_sessions(c, rs->dbname, &who, NULL) > 0)
		strbuf_addf(what, "; sessions on it now, ended at the swap: %s", who.buf);
	if (c)
		PQfinish(c);
	strbuf_release(&who);
	free(db);
	free(ci);
}

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
			char *dest = restore_kept_datadir_dest(rs);
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
		if (what && rs->db_missing)
			strbuf_addf(what, "creates database \"%s\" (none exists) with %s", orq(rs->dbname),
				    rs->dump && strrchr(rs->dump, '/') ? strrchr(rs->dump, '/') + 1 : orq(rs->dump));
		else if (what)
			strbuf_addf(what, "replaces database \"%s\" (kept as \"%s_pre_restore_%s\") "
				    "with %s", orq(rs->dbname), orq(rs->dbname), rs->stamp,
				    rs->dump && strrchr(rs->dump, '/') ? strrchr(rs->dump, '/') + 1 : orq(rs->dump));
		if (what && !rs->db_missing)
			add_live_sessions(rs, what);
		if (what && rs->db_warning)
			strbuf_addf(what, "; warning: %s", rs->db_warning);
		if (what && rs->dump_refused && rs->dump && strcmp(rs->dump, rs->dump_refused))
			restore_add_dump_age(rs, what);
		return 1;
	default:
		return 0;
	}
}

const struct backup_item *restore_dump_item(const struct restore *rs, const char *path)
{
	const struct backup_list *l = restore_sources(rs, STEP_DATABASE, NULL);
	for (size_t i = 0; l && path && i < l->n; i++)
		if (!strcmp(l->items[i].path, path))
			return &l->items[i];
	return NULL;
}

/* ", 1 day 2 hours older" when @newer was taken after @older. */
static void add_older(struct strbuf *out, const struct backup_item *newer,
		      const struct backup_item *older)
{
	if (!newer || !older || newer->when <= older->when)
		return;
	strbuf_addstr(out, ", ");
	strbuf_humanise_age(out, (long long)(newer->when - older->when));
	strbuf_addstr(out, " older");
}

void restore_add_dump_age(const struct restore *rs, struct strbuf *out)
{
	const struct backup_item *newest = restore_dump_item(rs, rs->dump_refused);
	const struct backup_item *now = restore_dump_item(rs, rs->dump);
	const char *name = strrchr(rs->dump_refused, '/') ? strrchr(rs->dump_refused, '/') + 1
							   : rs->dump_refused;
	if (newest && now && newest->when > now->when) {
		strbuf_addstr(out, "; this dump is ");
		strbuf_humanise_age(out, (long long)(newest->when - now->when));
		strbuf_addf(out, " older than %s, which cannot be used", name);
	} else {
		strbuf_addf(out, "; %s cannot be used", name);
	}
}

int restore_step_blocked(const struct restore *rs, enum step_id s, struct strbuf *why)
{
	if (s != STEP_DATABASE || !rs->dump_refused || !rs->dump || strcmp(rs->dump, rs->dump_refused))
		return 0;
	if (why) {
		strbuf_addf(why, "%s.", orq(rs->dump_refused_why));
		if (rs->dump_usable) {
			const struct backup_item *ok = restore_dump_item(rs, rs->dump_usable);
			strbuf_addf(why, " The newest complete dump is %s", ok ? ok->name : rs->dump_usable);
			add_older(why, restore_dump_item(rs, rs->dump_refused), ok);
			strbuf_addch(why, '.');
		} else {
			strbuf_addstr(why, " No older dump of the backup set is complete.");
		}
	}
	return 1;
}

const char *restore_confirm_word(const struct restore *rs, enum step_id s)
{
	return s == STEP_DATABASE ? rs->dbname : NULL;
}

const struct backup_list *restore_sources(const struct restore *rs, enum step_id s, size_t *cur)
{
	const struct backup_list *l = NULL;
	const char *now = NULL;
	if (rs->backups && s == STEP_DATADIR)
		l = &rs->backups->data, now = rs->datadir_src;
	else if (rs->backups && s == STEP_DATABASE)
		l = &rs->backups->dumps, now = rs->dump;
	if (cur) {
		*cur = l ? l->n : 0;
		for (size_t i = 0; l && now && i < l->n; i++)
			if (!strcmp(now, l->items[i].path))
				*cur = i;
	}
	return l;
}

int restore_use_source(struct restore *rs, enum step_id s, size_t i, struct report *r,
		       struct err *e)
{
	size_t cur;
	const struct backup_list *l = restore_sources(rs, s, &cur);
	char **src = s == STEP_DATADIR ? &rs->datadir_src : &rs->dump;
	enum magic_kind *kind = s == STEP_DATADIR ? &rs->datadir_src_kind : &rs->dump_kind;
	char *old = *src;
	enum magic_kind old_kind = *kind;
	struct dumpinfo *old_info = rs->dump_info;
	int ret;

	if (!l || i >= l->n)
		return err_set(e, "no such backup to choose for step %s", step_name(s));
	if (i == cur)
		return 0;
	*src = xstrdup(l->items[i].path);
	ret = magic_detect(*src, kind, e);
	if (ret == 0 && s == STEP_DATADIR) {
		ret = restore_check_archives(rs, e);
	} else if (ret == 0) {
		if (!magic_is_plain_dump(*kind)) {
			ret = err_set(e, "%s is not a plain-format dump (%s)", *src, magic_name(*kind));
		} else {
			rs->dump_info = NULL; /* restore_check_dump() keeps the new dump's counts */
			ret = restore_check_dump(rs, *src, r, e);
			/* another dump, another size: does it fit as the plan's did? */
			if (ret == 0 && (rs->selected & STEP_BIT(STEP_DATABASE)))
				ret = restore_check_db_space(rs, r, e);
		}
	}
	if (ret < 0) {
		/* logged here in full, as restore_run_step() logs a step's error */
		struct strbuf sb = STRBUF_INIT;
		err_format(e, &sb);
		report_log(r, LOG_ERROR, "step %s: %s cannot be used; the step keeps %s: %s",
			   step_name(s), l->items[i].name, orq(old), sb.buf);
		strbuf_release(&sb);
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
	if (s == STEP_DATABASE)
		restore_check_live_tables(rs, r);
	report_log(r, LOG_INFO, "step %s: the operator chose %s instead of %s", step_name(s), *src,
		   orq(old));
	free(old);
	return 0;
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
	rs->err_logged = 0;
	report_log(r, LOG_INFO, "step %s: %s", step_name(s), step_title(s));
	fault_pointf("step.%s.start", step_name(s));
	if (restore_step_blocked(rs, s, NULL)) {
		/* restore_preflight() let it pass for the operator to choose another */
		ret = err_set(e, "%s", rs->dump_refused_why);
		err_hint(e, "Choose another dump (the wizard: o on this step).");
		goto done;
	}
	if ((s == STEP_WEBROOT || s == STEP_DATADIR || s == STEP_DATABASE) &&
	    restore_stop_services(rs, &cnt.rep, e) < 0) {
		ret = -1;
		goto done;
	}
	switch (s) {
	case STEP_WEBROOT: ret = restore_run_webroot(rs, &cnt.rep, e); break;
	case STEP_CONFIG: ret = restore_run_config(rs, &cnt.rep, e); break;
	case STEP_DATADIR: ret = restore_run_datadir(rs, &cnt.rep, e); break;
	case STEP_DATABASE: ret = restore_run_database(rs, &cnt.rep, e); break;
	case STEP_MIGRATIONS: ret = restore_run_migrations(rs, &cnt.rep, e); break;
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
		if (rs->err_logged) {
			report_log(r, LOG_ERROR, "step %s failed: %s", step_name(s), st->err.msg);
		} else {
			/* the one place a step's error is logged with its detail
			 * and hint: front ends then only say how the run ended */
			struct strbuf sb = STRBUF_INIT;
			err_format(&st->err, &sb);
			report_log(r, LOG_ERROR, "step %s failed: %s", step_name(s), sb.buf);
			strbuf_release(&sb);
		}
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

int restore_exit_code(const struct restore *rs)
{
	for (int s = 0; s < STEP_COUNT; s++)
		if (rs->st[s].state == STEP_FAILED)
			return 1;
	if (rs->continued_past_failure)
		return 3;
	/* a restored tree missing files must not look like a clean success */
	for (int s = 0; s < STEP_COUNT; s++)
		if (rs->st[s].state == STEP_DONE && rs->st[s].refused)
			return 3;
	return 0;
}

void restore_end_text(const struct restore *rs, int code, struct strbuf *out)
{
	/* the exit codes of the README's table; 130 is the front ends' abort */
	switch (code) {
	case 0: strbuf_addstr(out, "finished (exit 0)"); break;
	case 1: strbuf_addstr(out, "failed (exit 1)"); break;
	case 2: strbuf_addstr(out, "refused: usage or configuration error (exit 2)"); break;
	case 3: strbuf_addstr(out, "finished with errors gone past (exit 3)"); break;
	case 130:
		strbuf_addstr(out, "aborted (exit 130)");
		if (rs && rs->stopped)
			strbuf_addf(out, ": %s", report_reason(rs->stopped));
		break;
	default: strbuf_addf(out, "ended (exit %d)", code); break;
	}
}
