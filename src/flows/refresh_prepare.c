/* refresh_prepare: the refresh's plan and every check before its first
 * step: the target's own config.php (env 'dev'), production's identity,
 * the source's dump and datadir; see refresh_int.h. */
#include "config.h"
#include "i18n.h"
#include "refresh.h"
#include "refresh_int.h"
#include "backupset.h"
#include "backupverify.h"
#include "bisocli.h"
#include "conf.h"
#include "conninfo.h"
#include "dbadmin.h"
#include "dbreplace.h"
#include "dumpread.h"
#include "fsrestore.h"
#include "fsrestore_int.h"
#include "manifest.h"
#include "pathguard.h"
#include "phpconf.h"
#include "runcmd.h"
#include "strbuf.h"

#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? xstrdup(src) : NULL;
}

const char *refresh_attachments_name(enum refresh_attachments a)
{
	switch (a) {
	case RF_ATT_COPY: return "copy";
	case RF_ATT_SKIP: return "skip";
	case RF_ATT_PLACEHOLDER: return "placeholder";
	default: return "(not chosen)";
	}
}

/* @dir made absolute against @webroot (config.php's datadir may be
 * relative to it). */
static char *absolute_dir(const char *dir, const char *webroot)
{
	return dir[0] == '/' ? xstrdup(dir) : xstrfmt("%s/%s", webroot, dir);
}

/* Read the target's config.php: env, datadir, database.  The file is the
 * target's own (--config-php, else WEBROOT/config.php): never a backup's. */
static int read_target_config(struct refresh *rf, struct err *e)
{
	const struct conf *c = rf->conf;
	struct phpconf pc = { 0 };

	if (phpconf_load(rf->config_php, rf->webroot, &pc, e) < 0) {
		phpconf_release(&pc);
		if (!e->hint)
			err_hint(e, "The refresh reads the test instance's own config.php (--config-php "
				    "FILE, else WEBROOT/config.php).");
		return -1;
	}
	set_str(&rf->env, pc.env);
	if (nonempty(c->datadir)) {
		set_str(&rf->datadir, c->datadir);
	} else if (pc.datadir) {
		free(rf->datadir);
		rf->datadir = absolute_dir(pc.datadir, rf->webroot);
	} else {
		phpconf_release(&pc);
		err_set(e, "%s sets no datadir", rf->config_php);
		err_hint(e, "Add Config::set('datadir', ...) or give --datadir DIR.");
		return -1;
	}
	set_str(&rf->db_host, pc.db_host);
	if (nonempty(c->database.conninfo)) {
		set_str(&rf->conninfo, c->database.conninfo);
	} else {
		char *ci = phpconf_conninfo_db(&pc, c->database.dbname, e);
		if (!ci) {
			phpconf_release(&pc);
			err_prefix(e, "%s", rf->config_php);
			return -1;
		}
		free(rf->conninfo);
		rf->conninfo = ci;
	}
	phpconf_release(&pc);
	return 0;
}

int refresh_require_dev(struct refresh *rf, struct report *r, struct err *e)
{
	if (read_target_config(rf, e) < 0)
		return -1;
	if (rf->env)
		report_log(r, LOG_INFO, "target config.php %s: env %s", rf->config_php, rf->env);
	else
		report_log(r, LOG_INFO, "target config.php %s: env not set", rf->config_php);
	if (rf->env && !strcmp(rf->env, "dev"))
		return 0;
	if (rf->env)
		err_set(e, "the target's config.php %s says env '%s', not 'dev': this is not a "
			"test system to refresh", rf->config_php, rf->env);
	else
		err_set(e, "the target's config.php %s sets no env, not 'dev': this is not a test "
			"system to refresh", rf->config_php);
	err_detail(e, "A refresh replaces the target's database and datadir with production's "
		      "and runs the anonymizer, which must never run on production.");
	err_hint(e, "Refresh only a test system whose config.php sets Config::set('env', 'dev'); "
		    "--yes does not change this.");
	return -1;
}

int refresh_check_target(struct conf *c, char **env, struct err *e)
{
	struct refresh rf;
	int ret;

	if (env)
		*env = NULL;
	if (!nonempty(c->webroot))
		return err_set(e, "no test instance named"),
		       err_hint(e, "Give --webroot DIR (the test system's webroot)."), -1;
	memset(&rf, 0, sizeof rf);
	rf.conf = c;
	rf.webroot = xstrdup(c->webroot);
	rf.config_php = nonempty(c->config_php) ? xstrdup(c->config_php)
						: xstrfmt("%s/config.php", rf.webroot);
	ret = refresh_require_dev(&rf, NULL, e);
	if (env && rf.env)
		*env = xstrdup(rf.env);
	refresh_release(&rf);
	return ret;
}

/* The production config.php named in refresh.production_config: its
 * datadir and conninfo, for the identity check. */
static int read_production_config(struct refresh *rf, char **conninfo, struct err *e)
{
	const char *path = rf->conf->refresh.production_config;
	struct phpconf pc = { 0 };
	char *dir = NULL, *slash;

	*conninfo = NULL;
	if (!nonempty(path))
		return 0;
	if (phpconf_load(path, NULL, &pc, e) < 0) {
		phpconf_release(&pc);
		err_hint(e, "refresh.production_config names production's config.php, read for "
			    "its datadir and database (the refresh never writes to it).");
		return -1;
	}
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if (pc.datadir)
		rf->prod_datadir = absolute_dir(pc.datadir, slash ? dir : ".");
	if (pc.db_name)
		*conninfo = phpconf_conninfo(&pc, NULL);
	free(dir);
	phpconf_release(&pc);
	return 0;
}

/* The dump's backup id (YYYYMMDD_HHMMSS of its name) and its manifest. */
static int read_manifest(struct refresh *rf, struct report *r, struct err *e)
{
	const char *base = strrchr(rf->dump, '/') ? strrchr(rf->dump, '/') + 1 : rf->dump;
	struct manifest m;
	char *path = NULL, id[16];
	time_t when;
	size_t len;
	int ret = 0;

	for (const char *p = base; *p; p++) {
		if (backupset_parse_stamp(p, 0, &when, &len)) {
			snprintf(id, sizeof id, "%.15s", p);
			id[8] = '_';
			memcpy(rf->backup_id, id, sizeof id);
			manifest_paths(rf->source, id, &path, NULL);
			break;
		}
	}
	if (!path || access(path, F_OK) < 0) {
		report_log(r, LOG_INFO, "the backup %s has no manifest", base);
		free(path);
		return 0;
	}
	if (manifest_read(path, &m, e) < 0) {
		err_hint(e, "The backup's manifest is damaged: check it with biso-recover "
			    "backup-verify, or refresh from another backup (--dump, --at).");
		ret = -1;
	} else {
		rf->manifest = path;
		path = NULL;
		set_str(&rf->prod_sysid, m.system_identifier);
		set_str(&rf->prod_dbname, m.dbname);
		if (m.system_identifier)
			set_str(&rf->prod_from, rf->manifest);
		report_log(r, LOG_INFO, "manifest %s: production database \"%s\", system "
			   "identifier %s", rf->manifest, m.dbname ? m.dbname : "(unknown)",
			   m.system_identifier ? m.system_identifier : "(unknown)");
	}
	manifest_release(&m);
	free(path);
	return ret;
}

static int parse_attachments(struct refresh *rf, struct err *e)
{
	const char *a = rf->conf->refresh.attachments;
	if (!nonempty(a)) {
		err_set(e, "no attachments policy chosen");
		err_detail(e, "Attachments hold real personal files; the refresh does not choose "
			      "for you what reaches the test system.");
		err_hint(e, "Give --attachments copy (real files, typed acknowledgement), skip (the "
			    "attachment folders stay empty) or placeholder (a small file of the same "
			    "name for each), or set refresh.attachments.");
		return -1;
	}
	if (!strcmp(a, "copy"))
		rf->attachments = RF_ATT_COPY;
	else if (!strcmp(a, "skip"))
		rf->attachments = RF_ATT_SKIP;
	else if (!strcmp(a, "placeholder"))
		rf->attachments = RF_ATT_PLACEHOLDER;
	else
		return err_set(e, "unknown attachments policy '%s'", a),
		       err_hint(e, "Use copy, skip or placeholder."), -1;
	return 0;
}

/* The names in the remote directory @dir ("host:path/db/"), as rsync
 * --list-only lists them (its fifth field on: names may hold blanks), one a
 * line into @names.  0, or -1 with @e. */
static int remote_list(const char *dir, struct strbuf *names, struct err *e)
{
	const char *argv[] = { "rsync", "--list-only", dir, NULL };
	struct strbuf cap = STRBUF_INIT;
	int ret = runcmd_logged(argv, NULL, &cap, NULL, e);
	if (ret < 0) {
		err_prefix(e, "cannot list %s", dir);
		err_hint(e, "Check --source HOST:PATH (rsync over ssh reaches it as root does: ssh "
			    "keys, RSYNC_RSH).");
	}
	for (char *line = cap.buf, *nl; ret == 0 && *line; line = nl + 1) {
		char *p = line;
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line) - 1;
		else
			*nl = '\0';
		for (int f = 0; f < 4 && *p; f++) {
			p += strcspn(p, " ");
			p += strspn(p, " ");
		}
		if (*p && strcmp(p, "."))
			strbuf_addf(names, "%s\n", p);
	}
	strbuf_release(&cap);
	return ret;
}

/* The newest name in @names (lines) that is @prefix, a timestamp taken at or
 * before @at (0: any) and one of the suffixes (NULL: none), or NULL. */
static char *newest_name(const char *names, const char *prefix, const char *const *suffixes,
			 time_t at)
{
	char *best = NULL;
	time_t best_when = 0;
	size_t pl = strlen(prefix);
	for (const char *l = names; *l;) {
		size_t n = strcspn(l, "\n"), len;
		time_t when;
		if (n > pl && !strncmp(l, prefix, pl) && backupset_parse_stamp(l + pl, 0, &when, &len) &&
		    (!at || when <= at) && when >= best_when) {
			const char *rest = l + pl + len;
			size_t rl = n - pl - len;
			int ok = !suffixes && !rl;
			for (size_t i = 0; suffixes && suffixes[i]; i++)
				if (rl == strlen(suffixes[i]) && !strncmp(rest, suffixes[i], rl))
					ok = 1;
			if (ok) {
				free(best);
				best = xstrndup(l, n);
				best_when = when;
			}
		}
		l += n + (l[n] == '\n');
	}
	return best;
}

/* A backup set on another host: the newest dump (or --dump) and datadir
 * there, named by rsync over ssh (nothing is fetched before the fetch
 * step). */
static int remote_source(struct refresh *rf, struct report *r, struct err *e)
{
	static const char *const dump_sfx[] = { ".sql.gz", ".sql", NULL };
	struct strbuf names = STRBUF_INIT;
	char *dir, *name;
	size_t n = strlen(rf->source);
	const char *sep = n && rf->source[n - 1] == '/' ? "" : "/";

	rf->remote = 1;
	if (!rf->dump) {
		dir = xstrfmt("%s%sdb/", rf->source, sep);
		if (remote_list(dir, &names, e) < 0) {
			free(dir);
			return -1;
		}
		name = newest_name(names.buf, rf->conf->database.dump_prefix, dump_sfx, rf->at);
		if (!name) {
			if (rf->at)
				err_set(e, "no production dump in %s taken at or before --at", dir);
			else
				err_set(e, "no production dump in %s", dir);
			err_hint(e, "Give --source HOST:PATH (production's backup set) or --dump.");
			free(dir);
			strbuf_release(&names);
			return -1;
		}
		rf->dump = xstrfmt("%s%s", dir, name);
		free(name);
		free(dir);
	}
	rf->dump_kind = strstr(rf->dump, ".gz") ? MAGIC_GZIP_SQL : MAGIC_SQL;
	strbuf_reset(&names);
	dir = xstrfmt("%s%sdata/", rf->source, sep);
	if (remote_list(dir, &names, e) < 0) {
		free(dir);
		strbuf_release(&names);
		return -1;
	}
	/* dated snapshots (biso-recover backup), else the one rsync copy */
	name = newest_name(names.buf, "", NULL, rf->at);
	rf->datadir_src = name ? xstrfmt("%s%s", dir, name) : xstrfmt("%s%sdata", rf->source, sep);
	rf->datadir_src_kind = MAGIC_DIR;
	free(name);
	free(dir);
	strbuf_release(&names);
	report_log(r, LOG_INFO, "remote source: dump %s, datadir %s", rf->dump, rf->datadir_src);
	return 0;
}

int refresh_prepare(struct refresh *rf, struct report *r, struct err *e)
{
	struct conf *c = rf->conf;
	struct backupset bs = { 0 };
	const struct backup_item *it;
	int ret = -1;

	if (!nonempty(c->webroot))
		return err_set(e, "no test instance named"),
		       err_hint(e, "Give --webroot DIR (the test system's webroot)."), -1;
	set_str(&rf->webroot, c->webroot);
	free(rf->config_php);
	rf->config_php = nonempty(c->config_php) ? xstrdup(c->config_php)
						 : xstrfmt("%s/config.php", rf->webroot);
	if (read_target_config(rf, e) < 0)
		return -1;
	if (!(rf->dbname = conninfo_get(rf->conninfo, "dbname")) || !*rf->dbname)
		return err_set(e, "the target's database conninfo names no database"), -1;
	if (nonempty(c->database.admin_conninfo))
		set_str(&rf->admin_conninfo, c->database.admin_conninfo);
	else if (!(rf->admin_conninfo = conninfo_with_dbname(rf->conninfo, "postgres", e)))
		return -1;

	set_str(&rf->source, c->backup_root);
	if (fsrestore_is_remote(rf->source))
		return remote_source(rf, r, e);
	if (backupset_scan(rf->source, c->database.dump_prefix, NULL, &bs, e) < 0)
		return -1;
	if (!rf->dump) {
		it = backupset_pick(&bs.dumps, rf->at);
		if (!it) {
			if (rf->at)
				err_set(e, "no production dump in %s/db taken at or before --at",
					rf->source);
			else
				err_set(e, "no production dump in %s/db", rf->source);
			err_hint(e, "Give --source DIR (production's backup set) or --dump FILE.");
			goto out;
		}
		rf->dump = xstrdup(it->path);
	}
	if (magic_detect(rf->dump, &rf->dump_kind, e) < 0)
		goto out;
	if (dumpread_kind_check(rf->dump, rf->dump_kind, e) < 0)
		goto out;
	it = backupset_pick(&bs.data, rf->at);
	if (!it) {
		err_set(e, "no datadir backup in %s/data", rf->source);
		err_hint(e, "Give --source DIR: production's backup set with data/ and db/.");
		goto out;
	}
	rf->datadir_src = xstrdup(it->path);
	rf->datadir_src_kind = it->kind;
	rf->datadir_src_flat = it->flat;
	if (read_manifest(rf, r, e) < 0)
		goto out;
	ret = 0;
out:
	backupset_release(&bs);
	return ret;
}

/* system_identifier of @conn's server (text), or NULL with @e. */
static char *server_sysid(PGconn *conn, struct err *e)
{
	PGresult *res = PQexec(conn, "SELECT system_identifier::text FROM pg_control_system()");
	char *id = NULL;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		dbadmin_result_error(conn, res, e);
	else
		id = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return id;
}

/* Production's identity from refresh.production_config or
 * refresh.production_conninfo, when the backup has no manifest saying it. */
static int production_identity(struct refresh *rf, struct report *r, struct err *e)
{
	const struct conf *c = rf->conf;
	char *ci = NULL;
	const char *from;
	PGconn *conn;

	if (read_production_config(rf, &ci, e) < 0)
		return -1;
	if (rf->prod_sysid) {
		free(ci);
		return 0;
	}
	if (!ci && nonempty(c->refresh.production_conninfo))
		ci = xstrdup(c->refresh.production_conninfo);
	if (!ci)
		return 0;
	from = nonempty(c->refresh.production_config) ? c->refresh.production_config
						      : "refresh.production_conninfo";
	if (!(conn = dbadmin_connect(ci, e))) {
		free(ci);
		err_prefix(e, "production's database (%s) cannot be reached to tell it from the "
			   "target", from);
		return -1;
	}
	rf->prod_sysid = server_sysid(conn, e);
	rf->prod_dbname = PQdb(conn) ? xstrdup(PQdb(conn)) : NULL;
	PQfinish(conn);
	free(ci);
	if (!rf->prod_sysid)
		return -1;
	set_str(&rf->prod_from, from);
	report_log(r, LOG_INFO, "production (%s): database \"%s\", system identifier %s", from,
		   rf->prod_dbname ? rf->prod_dbname : "(unknown)", rf->prod_sysid);
	return 0;
}

/* 1 when @a and @b name the same directory (both exist). */
static int same_dir(const char *a, const char *b)
{
	struct stat sa, sb;
	return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Stop when the target is production: the same database (system
 * identifier and name) or the same datadir. */
static int not_production(struct refresh *rf, PGconn *admin, struct report *r, struct err *e)
{
	if (!(rf->target_sysid = server_sysid(admin, e))) {
		err_prefix(e, "cannot read the target server's system identifier");
		return -1;
	}
	if (production_identity(rf, r, e) < 0)
		return -1;
	if (rf->prod_sysid && rf->prod_dbname && !strcmp(rf->prod_sysid, rf->target_sysid) &&
	    !strcmp(rf->prod_dbname, rf->dbname)) {
		err_set(e, "the target database \"%s\" is production's: same server (system "
			"identifier %s) and name as %s records", rf->dbname, rf->target_sysid,
			rf->prod_from ? rf->prod_from : "(unknown)");
		err_hint(e, "Check the test instance's config.php (gaia.db): it must name the test "
			    "system's own database.");
		return -1;
	}
	if (rf->prod_datadir && same_dir(rf->prod_datadir, rf->datadir)) {
		err_set(e, "the target datadir %s is production's (%s)", rf->datadir,
			rf->conf->refresh.production_config);
		err_hint(e, "Check the test instance's config.php (datadir).");
		return -1;
	}
	if (same_dir(rf->datadir_src, rf->datadir)) {
		err_set(e, "the target datadir %s is the backup's datadir %s", rf->datadir,
			rf->datadir_src);
		return -1;
	}
	if (!rf->prod_sysid)
		report_log(r, LOG_WARN, "production's identity is not known (the backup has no "
			   "manifest; refresh.production_config and refresh.production_conninfo are "
			   "not set): only env 'dev' tells the target from production");
	return 0;
}

/* A backup with a manifest is checked whole first (backup-verify's tier 1:
 * checksums, part counts, the dump's gzip stream and trailer): a damaged
 * one is refused by name, nothing touched. */
static int check_manifest(struct refresh *rf, struct report *r, struct err *e)
{
	struct backupverify_result res;
	int rc;
	if (!rf->manifest)
		return 0;
	report_log(r, LOG_INFO, "checking backup %s against its manifest", rf->backup_id);
	rc = backupverify_tier1(rf->source, rf->backup_id, &res, r, e);
	if (rc == 1) {
		/* sb[0] English for the log, sb[1] the screen's reasons */
		struct strbuf sb[2] = { STRBUF_INIT, STRBUF_INIT };
		char *shown;
		for (size_t j = 0; j < res.sums.n_bad && j < 5; j++) {
			const struct sha256sums_bad *b = &res.sums.bad[j];
			strbuf_addf(&sb[0], "%s%s: %.*s", j ? "; " : "", b->path,
				    (int)strcspn(b->why, "\n"), b->why);
			strbuf_addf(&sb[1], "%s%s: %.*s", j ? "; " : "", b->path,
				    (int)strcspn(b->why_l10n, "\n"), b->why_l10n);
		}
		if (res.sums.n_bad > 5) {
			strbuf_addf(&sb[0], "; and %zu more", res.sums.n_bad - 5);
			strbuf_addf(&sb[1], _("; and %zu more"), res.sums.n_bad - 5);
		}
		shown = xstrfmt(_("backup %s is damaged: %s"), rf->backup_id, sb[1].buf);
		err_set_l10n(e, shown, "backup %s is damaged: %s", rf->backup_id, sb[0].buf);
		free(shown);
		char *vopts = backupverify_opts(rf->conf, rf->source);
		err_hint(e, "Nothing was changed. Refresh from an older backup with --at, or see "
			    "biso-recover backup-verify%s %s.", vopts, rf->backup_id);
		free(vopts);
		strbuf_release(&sb[0]);
		strbuf_release(&sb[1]);
	} else if (rc < 0) {
		err_prefix(e, "backup %s cannot be checked against its manifest", rf->backup_id);
	}
	backupverify_release(&res);
	return rc == 0 ? 0 : -1;
}

/* Free space: the database server's disk for the new database beside the
 * old one (dbreplace_check_space(), the dump's size from its gzip trailer),
 * and the test datadir's filesystem for production's datadir beside the
 * old one (the datadir step's own source scan, nothing written). */
static int check_space(struct refresh *rf, PGconn *admin, struct report *r, struct err *e)
{
	const char *live[2] = { rf->dbname, NULL };
	struct fsrestore_opts o = { 0 };
	struct fsrestore_result res = { 0 };
	const char **ex;
	uint64_t sql = 0;
	struct stat st;
	struct statvfs vfs;
	char *parent;
	int ret;

	if (!(rf->dump_kind == MAGIC_GZIP_SQL && fsrestore_estimate_size(rf->dump, rf->dump_kind, &sql)) &&
	    stat(rf->dump, &st) == 0)
		sql = rf->dump_kind == MAGIC_GZIP_SQL ? (uint64_t)st.st_size * 5 : (uint64_t)st.st_size;
	if (dbreplace_check_space(admin, rf->remote ? 0 : sql, live, r, e) < 0)
		return -1;
	if (rf->remote) {
		/* the datadir step's fetch checks its space before it writes */
		report_log(r, LOG_INFO, "free space for the datadir: checked when it is fetched");
		return 0;
	}
	ex = refresh_datadir_excludes(rf);
	o.source = rf->datadir_src;
	o.target = rf->datadir;
	o.excludes = ex;
	o.mode = FSRESTORE_REPLACE;
	o.dry_run = 1;
	o.scan_only = !rf->dry_run;
	o.name = "datadir";
	ret = fsrestore_run(&o, r, &res, e);
	for (size_t i = 0; ex[i]; i++)
		free((char *)ex[i]);
	free(ex);
	if (ret < 0) {
		fsrestore_result_release(&res);
		return -1;
	}
	parent = xstrdup(rf->datadir);
	if (strrchr(parent, '/') && strrchr(parent, '/') != parent)
		*strrchr(parent, '/') = '\0';
	if (statvfs(parent, &vfs) == 0) {
		uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
		uint64_t need = fsrestore_with_margin(res.bytes);
		if (avail < need) {
			fsrestore_space_error(e, parent, "hold production's datadir beside the test's",
					      need, avail, "free");
			err_hint(e, "Free space there, or refresh with --attachments skip or placeholder.");
			ret = -1;
		} else {
			/* humanised as the database's free space line is */
			struct strbuf a = STRBUF_INIT, n = STRBUF_INIT;
			strbuf_humanise_bytes(&a, avail);
			strbuf_humanise_bytes(&n, need);
			report_log(r, LOG_INFO, "free space for the datadir: %s in %s, about %s needed",
				   a.buf, parent, n.buf);
			strbuf_release(&a);
			strbuf_release(&n);
		}
	}
	free(parent);
	fsrestore_result_release(&res);
	return ret;
}

/* The programs the steps start: biso-cli's, and the services' lists. */
static int check_programs(struct refresh *rf, struct err *e)
{
	const struct conf *c = rf->conf;
	const char **cli = bisocli_argv(c, NULL);
	int ok = runcmd_have_program(cli[0]);
	if (!ok)
		err_set(e, "%s (to run biso-cli) is not there", cli[0]),
		err_hint(e, "Install php-cli, or set php (or biso_cli) in the configuration.");
	free(cli);
	if (!ok)
		return -1;
	for (char ***l = c->services.stop_services; l && *l; l++)
		if (**l && !runcmd_have_program(**l))
			return err_set(e, "%s (services.stop_services) is not there", **l), -1;
	for (char ***l = c->services.start_services; l && *l; l++)
		if (**l && !runcmd_have_program(**l))
			return err_set(e, "%s (services.start_services) is not there", **l), -1;
	return 0;
}

int refresh_preflight(struct refresh *rf, struct report *r, struct err *e)
{
	const struct conf *c = rf->conf;
	PGconn *admin;
	int ret = 0;

	{
		/* what config.php leaves out, in words of each language */
		char *shown = xstrfmt(_("target: %s (config.php %s): env %s, datadir %s, database "
					"\"%s\" on %s"), rf->webroot, rf->config_php,
				      rf->env ? rf->env : _("(not set)"), rf->datadir, rf->dbname,
				      rf->db_host ? rf->db_host : _("the default host"));
		report_log_l10n(r, LOG_INFO, shown, "target: %s (config.php %s): env %s, datadir %s, "
				"database \"%s\" on %s", rf->webroot, rf->config_php,
				rf->env ? rf->env : "(not set)", rf->datadir, rf->dbname,
				rf->db_host ? rf->db_host : "the default host");
		free(shown);
	}
	/* the guard first: nothing is asked of a target that is not a test system */
	if (!rf->env || strcmp(rf->env, "dev"))
		return refresh_require_dev(rf, r, e);
	if (parse_attachments(rf, e) < 0)
		return -1;
	if (rf->attachments == RF_ATT_PLACEHOLDER && rf->remote) {
		err_set(e, "placeholders are made from a datadir backup on this host, not from %s",
			rf->datadir_src);
		err_hint(e, "Use --attachments skip, or fetch the backup set first and give --source DIR.");
		return -1;
	}
	if (rf->attachments == RF_ATT_PLACEHOLDER && rf->datadir_src_kind != MAGIC_DIR) {
		err_set(e, "the datadir backup %s is an archive: placeholders are made from a "
			"directory backup only", rf->datadir_src);
		err_hint(e, "Use --attachments skip, or unpack the archive and give --source.");
		return -1;
	}
	if (pathguard_dirs(rf->webroot, rf->datadir, rf->source, e) < 0)
		return -1;
	/* a restore, rollback or backup of this instance is not running,
	 * and none starts until the refresh ends */
	if (!rf->dry_run && refresh_lock(rf, e) < 0)
		return -1;
	if (!(admin = dbadmin_connect(rf->admin_conninfo, e))) {
		err_hint(e, "Check database.admin_conninfo (default: the target conninfo with "
			    "dbname=postgres); the refresh creates and renames databases with it.");
		return -1;
	}
	ret = not_production(rf, admin, r, e);
	/* the encoding and locale the new database asks for */
	if (!ret)
		ret = dbreplace_check_create(admin, c, rf->conninfo, rf->dbname, e);
	if (!ret)
		ret = dbadmin_try_lock(admin, rf->dbname, e);
	if (!ret)
		ret = check_space(rf, admin, r, e);
	PQfinish(admin);
	if (ret < 0)
		return -1;
	if (check_programs(rf, e) < 0)
		return -1;
	if (check_manifest(rf, r, e) < 0)
		return -1;
	report_log(r, LOG_INFO, "source: dump %s, datadir %s; attachments: %s", rf->dump,
		   rf->datadir_src, refresh_attachments_name(rf->attachments));
	return 0;
}

void refresh_release(struct refresh *rf)
{
	char **strs[] = { &rf->webroot, &rf->config_php, &rf->env, &rf->datadir, &rf->conninfo,
			  &rf->admin_conninfo, &rf->dbname, &rf->db_host, &rf->target_sysid,
			  &rf->source, &rf->dump, &rf->datadir_src, &rf->manifest, &rf->prod_sysid,
			  &rf->prod_dbname, &rf->prod_datadir, &rf->prod_from, &rf->old_db,
			  &rf->check_text, &rf->check_text_l10n, &rf->report_path, &rf->fetched };
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
}
