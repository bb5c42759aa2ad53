/* restore_prepare: the restore's plan, resolved from the configuration,
 * the backup set and config.php without touching anything; see
 * restore_int.h. */
#include "config.h"
#include "restore.h"
#include "restore_int.h"
#include "backupset.h"
#include "conf.h"
#include "conninfo.h"
#include "cpus.h"
#include "dumpinfo.h"
#include "dumpread.h"
#include "magic.h"
#include "phpconf.h"
#include "strbuf.h"
#include "timestamp.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
			err_hint_add(e, N_("To go on without config.php, give both --datadir DIR "
					"and --dbname CONNINFO."));
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
		char *ci = phpconf_conninfo_db(&pc, c->database.dbname, e);
		if (!ci) {
			phpconf_release(&pc);
			err_prefix(e, "%s", path);
			err_hint(e, "Check Config::set('gaia.db', ...) or give --dbname CONNINFO.");
			return -1;
		}
		free(rs->conninfo);
		rs->conninfo = ci;
	}
	{
		/* what config.php leaves out, in words of each language */
		char *shown = xstrfmt(_("config.php: env %s, datadir %s, database %s on %s"),
				      pc.env ? pc.env : _("(not set)"), rs->datadir ? rs->datadir : "?",
				      pc.db_name ? pc.db_name : "?",
				      pc.db_host ? pc.db_host : _("default host"));
		report_log_l10n(r, LOG_INFO, shown, "config.php: env %s, datadir %s, database %s on %s",
				pc.env ? pc.env : "(not set)", rs->datadir ? rs->datadir : "?",
				pc.db_name ? pc.db_name : "?", pc.db_host ? pc.db_host : "default host");
		free(shown);
	}
	phpconf_release(&pc);
	return 0;
}

int restore_app_db_differs(const struct restore *rs, struct strbuf *why, struct strbuf *why_l10n)
{
	if (!rs->app_dbname || !rs->dbname || !strcmp(rs->app_dbname, rs->dbname))
		return 0;
	if (why)
		strbuf_addf(why, "the application reads database \"%s\" (config.php line %ld); you "
			    "restore into \"%s\"", rs->app_dbname, rs->app_db_line, rs->dbname);
	if (why_l10n)
		strbuf_addf(why_l10n, _("the application reads database \"%s\" (config.php line %ld); you "
					"restore into \"%s\""), rs->app_dbname, rs->app_db_line, rs->dbname);
	return 1;
}

const char *restore_db_warning(const struct restore *rs)
{
	if (!i18n_is_english() && rs->found.db_warning_l10n)
		return rs->found.db_warning_l10n;
	return rs->found.db_warning;
}

/* Derive dbname and admin conninfo from rs->conninfo. */
int restore_resolve_database(struct restore *rs, struct err *e)
{
	const struct conf *c = rs->conf;
	char *db;

	if (!rs->conninfo)
		return err_set(e, "no database to restore into"),
		       err_hint(e, "Give --dbname CONNINFO or set database.conninfo."), -1;
	/* a conninfo libpq cannot parse gets libpq's own words */
	if (conninfo_check(rs->conninfo, N_("--dbname or database.conninfo"), e) < 0)
		return -1;
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
	char when[20], oldest[20];
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
	timestamp_human(rs->at, when);
	timestamp_human(l->items[l->n - 1].when, oldest);
	err_set(e, "no %s backup taken at or before %s", what, when);
	err_detail(e, "The oldest is %s, taken %s.", l->items[l->n - 1].path, oldest);
	if (!strcmp(what, "log database"))
		err_hint(e, "Give a later --at, or set log_database.enabled = false.");
	else
		err_hint(e, "Give a later --at, or leave the %s step out with --only.", what);
	return -1;
}

/* How far apart the parts of one backup may be taken: a backup run (the
 * manual's pg_dump, then its rsync of a large datadir) takes them within
 * minutes to an hour or so; parts further apart come from different
 * backups (another night's). */
#define SPREAD_TOLERANCE (2 * 3600)

/* Warn through @r when the backups chosen for the selected parts were
 * taken more than SPREAD_TOLERANCE apart, naming each part's time.  A
 * copy without a date (the manual's flat copy alone: its time is the
 * source's) has no time to compare. */
static void warn_spread(const struct restore *rs, const struct backupset *bs, struct report *r)
{
	const struct backup_item *it[3] = { NULL, NULL, NULL };
	const struct backup_list *l[3] = { &bs->webroot, &bs->data, &bs->dumps };
	const char *src[3] = { rs->webroot_src, rs->datadir_src, rs->dump };
	const unsigned bit[3] = { STEP_BIT(STEP_WEBROOT), STEP_BIT(STEP_DATADIR),
				  STEP_BIT(STEP_DATABASE) };
	time_t lo = 0, hi = 0;
	size_t n = 0;
	char from[20], to[20];
	for (size_t k = 0; k < 3; k++) {
		size_t i = restore_list_index(l[k], src[k]);
		if (!(rs->selected & bit[k]) || i >= l[k]->n || l[k]->items[i].undated)
			continue;
		it[k] = &l[k]->items[i];
		if (!n++ || it[k]->when < lo)
			lo = it[k]->when;
		if (n == 1 || it[k]->when > hi)
			hi = it[k]->when;
	}
	if (n < 2 || hi - lo <= SPREAD_TOLERANCE)
		return;
	timestamp_human(lo, from);
	timestamp_human(hi, to);
	report_log(r, LOG_WARN, "the backups chosen for this restore were taken more than %d hours "
		   "apart (%s to %s): they may come from different backups; check the times below, "
		   "or give --at to take every part from one point in time",
		   SPREAD_TOLERANCE / 3600, from, to);
	for (size_t k = 0; k < 3; k++) {
		if (!it[k])
			continue;
		timestamp_human(it[k]->when, from);
		if (k == 0)
			report_log(r, LOG_WARN, "the webroot backup was taken %s: %s", from,
				   it[k]->path);
		else if (k == 1)
			report_log(r, LOG_WARN, "the datadir backup was taken %s: %s", from,
				   it[k]->path);
		else
			report_log(r, LOG_WARN, "the database dump was taken %s: %s", from,
				   it[k]->path);
	}
}

/* The webroot (required), config.php, datadir and conninfo as the
 * configuration and the options give them.  0, or -1 with @e. */
static int targets_from_conf(struct restore *rs, const struct conf *c, struct err *e)
{
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
	return 0;
}

int restore_prepare(struct restore *rs, struct report *r, struct err *e)
{
	struct conf *c = rs->conf;
	unsigned selected = rs->selected;
	struct backupset bs = { 0 };
	int keep_bs = 0;
	char *tmp_config = NULL, *live_config = NULL;
	const char *config_path = NULL;
	int ret = -1, standalone;

	if (targets_from_conf(rs, c, e) < 0)
		return -1;
	rs->jobs = c->database.jobs > 0 ? c->database.jobs : cpus_usable();
	if (rs->jobs < 1)
		rs->jobs = 1;

	/* db-restore --create: one named dump into one named database needs
	 * neither the backup set nor a config.php */
	standalone = selected == STEP_BIT(STEP_DATABASE) && rs->dump && rs->conninfo;
	if (!standalone &&
	    backupset_scan(c->backup_root, c->database.dump_prefix,
			   c->log_database.enabled ? c->log_database.dump_prefix : NULL, &bs, e) < 0)
		goto out;
	if (rs->at) {
		char when[20];
		timestamp_human(rs->at, when);
		report_log(r, LOG_INFO, "using the newest backups taken at or before %s", when);
	}
	if ((!rs->webroot_src &&
	     pick_backup(rs, &bs.webroot, "webroot", selected & STEP_BIT(STEP_WEBROOT), &rs->webroot_src, r, e) < 0) ||
	    (!rs->datadir_src &&
	     pick_backup(rs, &bs.data, "datadir", selected & STEP_BIT(STEP_DATADIR), &rs->datadir_src, r, e) < 0) ||
	    (!rs->dump &&
	     pick_backup(rs, &bs.dumps, "database", selected & STEP_BIT(STEP_DATABASE), &rs->dump, r, e) < 0) ||
	    (c->log_database.enabled && !rs->log_dump &&
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
		if (dumpread_kind_check(rs->dump, rs->dump_kind, e) < 0)
			goto out;
	}
	if (selected & (STEP_BIT(STEP_DATABASE) | STEP_BIT(STEP_VERIFY) |
			STEP_BIT(STEP_MIGRATIONS))) {
		if (restore_resolve_database(rs, e) < 0)
			goto out;
	}
	if (!standalone)
		warn_spread(rs, &bs, r);
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

int restore_prepare_instance(struct restore *rs, struct report *r, struct err *e)
{
	const struct conf *c = rs->conf;
	char *live_config;
	const char *path;

	rs->selected = 0;
	if (targets_from_conf(rs, c, e) < 0)
		return -1;
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
			  &rs->app_dbname, &rs->dump_refused,
			  &rs->dump_refused_why, &rs->dump_refused_why_l10n, &rs->dump_usable };
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	restore_unlock(rs);
	restore_found_release(&rs->found);
	restore_found_release(&rs->checks_found);
	if (rs->backups) {
		backupset_release(rs->backups);
		free(rs->backups);
		rs->backups = NULL;
	}
}
