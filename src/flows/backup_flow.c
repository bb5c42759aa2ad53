/* backup_flow: the backup as a flow of six steps (flow.h): its table, the
 * hooks around the steps and what the steps share; see backup.h. */
#include "config.h"
#include "i18n.h"
#include "backup.h"
#include "backup_int.h"
#include "backupset.h"
#include "bisocli.h"
#include "conf.h"
#include "conninfo.h"
#include "dbadmin.h"
#include "dumpaccess.h"
#include "dumpinfo.h"
#include "fsrestore.h"
#include "lock.h"
#include "maintenance.h"
#include "maintmark.h"
#include "manifest.h"
#include "pathguard.h"
#include "phpconf.h"
#include "runcmd.h"
#include "strbuf.h"
#include "timestamp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* In the manual's order, with the webroot moved after maintenance off:
 * enum backup_step_id is the index. */
static const struct step_def *const backup_steps[BSTEP_COUNT] = {
	[BSTEP_MAINT_ON] = &backup_step_maint_on,
	[BSTEP_DATABASE] = &backup_step_database,
	[BSTEP_DATADIR] = &backup_step_datadir,
	[BSTEP_MAINT_OFF] = &backup_step_maint_off,
	[BSTEP_WEBROOT] = &backup_step_webroot,
	[BSTEP_SEAL] = &backup_step_seal,
};

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src && *src ? xstrdup(src) : NULL;
}

static void part_release(struct backup_part *p)
{
	free(p->partial);
	free(p->final);
	free(p->rel);
	memset(p, 0, sizeof *p);
}

static void *backup_create(struct run *run)
{
	struct backup *b = xcalloc(1, sizeof *b);
	b->run = run;
	b->conf = run_conf(run);
	b->maint_ms = -1;
	b->migrations_pending = -1;
	b->lock_fd = b->webroot_lock_fd = -1;
	return b;
}

static void tables_stop(struct backup *b);

static void backup_release(void *data)
{
	struct backup *b = data;
	tables_stop(b);
	char **strs[] = { &b->root, &b->webroot, &b->datadir, &b->conninfo, &b->dbname,
			  &b->log_dbname, &b->log_conninfo, &b->prev_data, &b->prev_webroot,
			  &b->server_version, &b->pg_dump_version, &b->system_identifier,
			  &b->identity_dbname, &b->id_taken };
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
		free(*strs[i]);
	for (char **x = b->webroot_excludes; x && *x; x++)
		free(*x);
	free(b->webroot_excludes);
	for (char **x = b->pending_migrations; x && *x; x++)
		free(*x);
	free(b->pending_migrations);
	part_release(&b->db);
	part_release(&b->log_db);
	part_release(&b->data);
	part_release(&b->web);
	lock_release(b->webroot_lock_fd, b->webroot_lock_path);
	lock_release(b->lock_fd, b->lock_path);
	free(b->webroot_lock_path);
	free(b->lock_path);
	free(b);
}

static void part_init(struct backup_part *p, const char *name, const char *root,
		      const char *rel, const char *partial_rel)
{
	p->name = name;
	p->rel = xstrdup(rel);
	p->final = xstrfmt("%s/%s", root, rel);
	p->partial = xstrfmt("%s/%s", root, partial_rel);
}

/* The newest dated snapshot directory of @l other than @id, or NULL. */
static const char *newest_snapshot(const struct backup_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].kind == MAGIC_DIR && !l->items[i].undated && !l->items[i].flat &&
		    strcmp(l->items[i].name, id))
			return l->items[i].path;
	return NULL;
}

/* The datadir and the database from the live config.php (--config-php or
 * config_php, read as if it lay in the webroot, as the refresh reads its
 * target's; else WEBROOT/config.php), where the configuration does not
 * set them. */
static int adopt_config_php(struct backup *b, struct report *r, struct err *e)
{
	const struct conf *c = b->conf;
	struct phpconf pc = { 0 };
	const char *dir = NULL; /* __DIR__: the file's own directory */
	char *path;
	int ret = 0;

	if (c->datadir && *c->datadir)
		set_str(&b->datadir, c->datadir);
	if (c->database.conninfo && *c->database.conninfo)
		set_str(&b->conninfo, c->database.conninfo);
	if (b->datadir && b->conninfo)
		return 0;
	if (c->config_php && *c->config_php) {
		path = xstrdup(c->config_php);
		dir = b->webroot;
	} else if (access(b->webroot, F_OK) < 0) {
		/* the source itself, not the config.php inside it */
		err_errno(e, errno, "cannot read the webroot %s", b->webroot);
		err_hint(e, "Check webroot in the configuration or --webroot DIR.");
		return -1;
	} else {
		path = xstrfmt("%s/%s", b->webroot, "config.php");
	}
	if (phpconf_load(path, dir, &pc, e) < 0) {
		/* a whole hint: what to do about config.php, then the way
		 * round it (the wizard's dialog shows it as it is) */
		if (!dir && access(path, F_OK) < 0 && errno == ENOENT)
			err_hint(e, "Put config.php back into %s (the backup takes the datadir and the "
				    "database from it), or start biso-recover again with --datadir DIR "
				    "and --dbname CONNINFO.", b->webroot);
		else
			err_hint_add(e, N_("To go on without config.php, give both --datadir DIR "
					"and --dbname CONNINFO."));
		ret = -1;
		goto out;
	}
	if (!b->datadir) {
		if (!pc.datadir) {
			ret = err_set(e, "%s sets no datadir", path);
			err_hint(e, "Add Config::set('datadir', ...) or give --datadir DIR.");
			goto out;
		}
		b->datadir = pc.datadir[0] == '/' ? xstrdup(pc.datadir)
						  : xstrfmt("%s/%s", b->webroot, pc.datadir);
	}
	if (!b->conninfo) {
		b->conninfo = phpconf_conninfo_db(&pc, c->database.dbname, e);
		if (!b->conninfo) {
			err_prefix(e, "%s", path);
			err_hint(e, "Check Config::set('gaia.db', ...) or give --dbname CONNINFO.");
			ret = -1;
			goto out;
		}
	}
	report_log(r, LOG_INFO, "config.php: datadir %s, database %s", b->datadir,
		   pc.db_name ? pc.db_name : "?");
out:
	phpconf_release(&pc);
	free(path);
	return ret;
}

/* The parts of backup b->id: where each is written and published. */
static void parts_init(struct backup *b)
{
	const struct conf *c = b->conf;
	const char *prefix = c->database.dump_prefix ? c->database.dump_prefix : "biso_";
	char *name, *pname;

	part_release(&b->db);
	part_release(&b->log_db);
	part_release(&b->data);
	part_release(&b->web);
	/* the parts, written under .partial until the seal publishes them */
	name = xstrfmt("db/%s%s.sql.gz", prefix, b->id);
	pname = xstrfmt("db/%s.partial/%s%s.sql.gz", b->id, prefix, b->id);
	part_init(&b->db, "db", b->root, name, pname);
	free(name);
	free(pname);
	if (b->log_dbname) {
		const char *lp = c->log_database.dump_prefix ? c->log_database.dump_prefix : "biso_log_";
		name = xstrfmt("db/%s%s.sql.gz", lp, b->id);
		pname = xstrfmt("db/%s.partial/%s%s.sql.gz", b->id, lp, b->id);
		part_init(&b->log_db, "log_db", b->root, name, pname);
		free(name);
		free(pname);
	}
	name = xstrfmt("data/%s", b->id);
	pname = xstrfmt("data/%s.partial", b->id);
	part_init(&b->data, "datadir", b->root, name, pname);
	free(name);
	free(pname);
	name = xstrfmt("webroot/%s", b->id);
	pname = xstrfmt("webroot/%s.partial", b->id);
	part_init(&b->web, "webroot", b->root, name, pname);
	free(name);
	free(pname);
}

/* The first path backup @id would publish that exists already under the
 * root (relative to it, malloc'd), or NULL when there is none.  A dump
 * of the manual layout with that stamp (also uncompressed, .sql) or any
 * part of a backup set with that id counts: the seal must never find one
 * (it refuses to publish over it), and two dumps of one id would be two
 * backups of one time. */
static char *id_taken_by(const struct backup *b, const char *id)
{
	const struct conf *c = b->conf;
	const char *prefix[2] = { c->database.dump_prefix ? c->database.dump_prefix : "biso_",
				  b->log_dbname ? (c->log_database.dump_prefix ? c->log_database.dump_prefix
						   : "biso_log_") : NULL };
	char *rel[8];
	size_t n = 0;
	char *taken = NULL;
	for (size_t k = 0; k < 2; k++) {
		if (!prefix[k])
			continue;
		rel[n++] = xstrfmt("db/%s%s.sql.gz", prefix[k], id);
		rel[n++] = xstrfmt("db/%s%s.sql", prefix[k], id);
	}
	rel[n++] = xstrfmt("data/%s", id);
	rel[n++] = xstrfmt("webroot/%s", id);
	rel[n++] = xstrfmt("manifest/%s", id);
	for (size_t i = 0; i < n; i++) {
		char *p = xstrfmt("%s/%s", b->root, rel[i]);
		struct stat st;
		/* anything but "no such file" counts as there */
		if (!taken && (lstat(p, &st) == 0 || errno != ENOENT))
			taken = xstrdup(rel[i]);
		free(p);
		free(rel[i]);
	}
	return taken;
}

/* How many seconds after the run's stamp the id may move on: a root with
 * a dump or backup in every one of them is no accident to work around. */
#define ID_TRIES 60

static int backup_choose_id(struct backup *b, struct report *r, struct err *e)
{
	char id[16], *taken, *first = NULL;
	time_t t = b->when;

	snprintf(id, sizeof id, "%s", b->id);
	for (int i = 0; (taken = id_taken_by(b, id)); i++) {
		if (!first)
			first = taken;
		else
			free(taken);
		if (i + 1 == ID_TRIES) {
			err_set(e, "no free backup id in %s: the %d seconds from %s on each have a "
				"backup or dump there (%s)", b->root, ID_TRIES, b->id, first);
			err_hint(e, "Check what wrote them (a clock set wrong?), and move the ones "
				 "that do not belong there.");
			free(first);
			return -1;
		}
		timestamp_name(++t, id);
	}
	if (first) {
		char *shown = xstrfmt(_("backup id %s is taken under %s (%s exists): this backup is %s"),
				      b->id, b->root, first, id);
		report_log_l10n(r, LOG_INFO, shown, "backup id %s is taken under %s (%s exists): "
				"this backup is %s", b->id, b->root, first, id);
		free(shown);
		free(b->id_taken);
		b->id_taken = xstrfmt("%s (%s)", b->id, first);
		free(first);
		snprintf(b->id, sizeof b->id, "%s", id);
		b->when = t;
	}
	if (first || !b->db.final)
		parts_init(b);
	return 0;
}

static int backup_prepare(struct run *run, struct report *r, struct err *e)
{
	struct backup *b = backup_of(run);
	const struct conf *c = b->conf;
	struct backupset bs;
	const char *rel, *prefix = c->database.dump_prefix ? c->database.dump_prefix : "biso_";
	size_t n = 0, len;

	/* the run's stamp, once the front end's restamp is done; the id may
	 * move on from it (backup_choose_id()) */
	snprintf(b->id, sizeof b->id, "%s", run_stamp(run));
	if (!backupset_parse_stamp(b->id, 0, &b->when, &len))
		b->when = time(NULL);

	if (!c->backup_root || !*c->backup_root)
		return err_set(e, "no backup root configured"),
		       err_hint(e, "Give --backup-root DIR or set backup_root in the configuration."), -1;
	if (!c->webroot || !*c->webroot)
		return err_set(e, "no webroot configured"),
		       err_hint(e, "Give --webroot DIR or set webroot in the configuration."), -1;
	set_str(&b->root, c->backup_root);
	set_str(&b->webroot, c->webroot);
	if (adopt_config_php(b, r, e) < 0)
		return -1;
	b->dbname = conninfo_get(b->conninfo, "dbname");
	if (!b->dbname)
		return err_set(e, "the database connection names no database"),
		       err_hint(e, "Give --dbname 'dbname=NAME ...' or set gaia.db's dbname in config.php."), -1;
	if (c->log_database.enabled) {
		set_str(&b->log_dbname, c->log_database.dbname);
		set_str(&b->log_conninfo, c->log_database.conninfo ? c->log_database.conninfo : b->conninfo);
	}

	/* the id for the plan; a root without a free one is refused by the
	 * preflight, which chooses again */
	if (backup_choose_id(b, r, e) < 0) {
		err_clear(e);
		parts_init(b);
	}

	/* the earlier snapshots unchanged files are linked to */
	if (backupset_scan(b->root, prefix, NULL, &bs, e) < 0)
		return -1;
	set_str(&b->prev_data, newest_snapshot(&bs.data, b->id));
	set_str(&b->prev_webroot, newest_snapshot(&bs.webroot, b->id));
	backupset_release(&bs);

	/* the webroot without the datadir, wherever it lies in it */
	for (char **x = c->webroot_excludes; x && *x; x++)
		n++;
	b->webroot_excludes = xcalloc(n + 2, sizeof *b->webroot_excludes);
	n = 0;
	for (char **x = c->webroot_excludes; x && *x; x++)
		b->webroot_excludes[n++] = xstrdup(*x);
	if ((rel = pathguard_inside(b->datadir, b->webroot)))
		b->webroot_excludes[n++] = xstrfmt("/%s/", rel);
	return 0;
}

/* Remove parts a killed earlier backup left under .partial in @sub. */
static void remove_stale_partials(struct backup *b, const char *sub, struct report *r)
{
	char *dir = xstrfmt("%s/%s", b->root, sub);
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		struct err e = ERR_INIT;
		char *p;
		if (l < 9 || strcmp(de->d_name + l - 8, ".partial"))
			continue;
		p = xstrfmt("%s/%s", dir, de->d_name);
		report_log(r, LOG_WARN, "removing %s, left by an earlier backup that did not finish", p);
		if (fsrestore_rmtree(p, &e) < 0) {
			err_prefix(&e, "could not remove %s", p);
			report_log_l10n(r, LOG_WARN, e.lmsg, "%s", e.msg);
			err_clear(&e);
		}
		free(p);
	}
	if (d)
		closedir(d);
	free(dir);
}

static int check_dir(const char *what, const char *path, const char *hint, struct err *e)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return err_errno(e, errno, "the %s %s cannot be used", what, path), err_hint_msgid(e, hint), -1;
	if (!S_ISDIR(st.st_mode))
		return err_set(e, "the %s %s is not a directory", what, path), err_hint_msgid(e, hint), -1;
	return 0;
}

/* The backup writes below @root into db/, data/, webroot/ and manifest/:
 * each of them, or @root where one does not exist yet, must take a new file,
 * or the database step would fail with maintenance mode already on (a
 * read-only mount, chattr +i, no permission).  Proved by creating and
 * removing a probe file.  -1 with @e naming the directory and why. */
static int check_writable(const char *root, struct err *e)
{
	static const char *const subs[] = { "db", "data", "webroot", "manifest", NULL };
	for (const char *const *sub = subs; *sub; sub++) {
		char *dir = xstrfmt("%s/%s", root, *sub), *probe;
		struct stat st;
		int fd, err;
		if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			free(dir);
			dir = xstrdup(root);
		}
		probe = xstrfmt("%s/.biso-recover-probe-%ld", dir, (long)getpid());
		fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		err = errno;
		if (fd >= 0) {
			close(fd);
			unlink(probe);
		}
		free(probe);
		if (fd < 0) {
			err_errno(e, err, "the backup cannot write into %s", dir);
			err_hint(e, "Give --backup-root DIR on a disk that can be written, or fix the "
				    "mount (read-only?) or the permissions of %s.", dir);
			free(dir);
			return -1;
		}
		free(dir);
	}
	return 0;
}

/* -1 with the refusal in @e when the role of @conn cannot read all that
 * pg_dump dumps (dumpaccess), the hint naming @where. */
static int check_readable(PGconn *conn, const char *where, struct err *e)
{
	struct dumpaccess a;
	int rc = dumpaccess_check(conn, &a, e);
	if (rc == 0)
		rc = dumpaccess_refusal(&a, where, e);
	dumpaccess_release(&a);
	return rc;
}

/* The database @dbname on @conninfo, as the dump step's pg_dump connects:
 * its pg_database_size() into *@size, and a refusal (dumpaccess) when the
 * role cannot read all that pg_dump dumps, which would otherwise fail the
 * dump with maintenance mode on.  With @identity, also the database's
 * identity for the manifest, read on that connection: the server's
 * system_identifier (pg_control_system()) and the name the server gives
 * the database (current_database()), into b->system_identifier and
 * b->identity_dbname; a refresh compares them with its target to refuse
 * production. */
static int check_database(struct backup *b, const char *conninfo, const char *dbname,
			  const char *where, uint64_t *size, int identity, struct report *r,
			  struct err *e)
{
	char *ci = conninfo_with_dbname(conninfo, dbname, e);
	PGconn *conn;
	PGresult *res;
	if (!ci)
		return -1;
	conn = dbadmin_connect(ci, e);
	free(ci);
	if (!conn) {
		/* the message names the database; the hint what set it */
		if (where) {
			char *shown = xstrfmt(_("Check %s (database, user, password), and that the "
						"server is running: the backup dumps the database "
						"with it."), _(where));
			err_hint_l10n(e, shown, "Check %s (database, user, password), and that the "
				      "server is running: the backup dumps the database with it.",
				      where);
			free(shown);
		}
		return -1;
	}
	res = PQexec(conn, "SELECT pg_database_size(current_database())");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		dbadmin_result_error(conn, res, e);
		PQfinish(conn);
		return -1;
	}
	*size = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (check_readable(conn, where, e) < 0) {
		PQfinish(conn);
		return -1;
	}
	if (identity) {
		res = PQexec(conn, "SELECT current_database()");
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
			set_str(&b->identity_dbname, PQgetvalue(res, 0, 0));
		PQclear(res);
		/* pg_control_system() may be revoked from the backup's role:
		 * then the manifest goes without it, and says why in the log */
		res = PQexec(conn, "SELECT system_identifier::text FROM pg_control_system()");
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
			set_str(&b->system_identifier, PQgetvalue(res, 0, 0));
		} else {
			struct err q = ERR_INIT;
			dbadmin_result_error(conn, res, &q);
			report_log(r, LOG_WARN, "the server's system identifier cannot be read (%s): "
				   "the manifest goes without it, and a refresh cannot tell this "
				   "database by it", q.msg ? q.msg : "no row");
			err_clear(&q);
		}
		PQclear(res);
	}
	PQfinish(conn);
	return 0;
}

/* 1 when @prog is found in PATH (or is a path that can be run). */
static int in_path(const char *prog)
{
	const char *path = getenv("PATH");
	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	for (const char *p = path ? path : "/usr/bin:/bin"; p && *p;) {
		size_t l = strcspn(p, ":");
		char *f = xstrfmt("%.*s/%s", (int)l, p, prog);
		int ok = access(f, X_OK) == 0;
		free(f);
		if (ok)
			return 1;
		p += l + (p[l] == ':');
	}
	return 0;
}

static int backup_preflight(struct run *run, struct report *r, struct err *e)
{
	struct backup *b = backup_of(run);
	const struct conf *c = b->conf;
	const char *where;
	char *cli, *what;

	if (check_dir("backup root", b->root, N_("Create it (a directory on another disk), or give "
		      "--backup-root DIR."), e) < 0 ||
	    check_writable(b->root, e) < 0 ||
	    check_dir("webroot", b->webroot, N_("Give --webroot DIR or set webroot in the configuration."), e) < 0 ||
	    check_dir("datadir", b->datadir, N_("Give --datadir DIR or check the datadir in config.php."), e) < 0)
		return -1;
	cli = xstrfmt("%s/biso-cli", b->webroot);
	if (!(c->biso_cli && c->biso_cli[0]) && access(cli, F_OK) < 0) {
		err_errno(e, errno, "the webroot %s has no biso-cli (%s)", b->webroot, cli);
		err_hint(e, "The backup switches maintenance mode on and off with it; check the webroot.");
		free(cli);
		return -1;
	}
	free(cli);
	if (bisocli_switches_user(c)) {
		uid_t uid;
		gid_t gid;
		if (conf_web_owner(c, &uid, &gid, e) < 0)
			return -1;
	}
	if (!in_path("pg_dump"))
		return err_set(e, "pg_dump is not installed"),
		       err_hint(e, "Install the PostgreSQL client of the server's version (postgresql-client)."), -1;
	if (!in_path("rsync"))
		return err_set(e, "rsync is not installed"), err_hint(e, "Install rsync."), -1;
	/* a wrong database name or password, or a role that cannot read
	 * every table, fails here, before maintenance mode goes on */
	where = c->database.conninfo && *c->database.conninfo ? N_("--dbname or database.conninfo")
				: N_("Config::set('gaia.db', ...) in config.php");
	if (check_database(b, b->conninfo, b->dbname, where, &b->db_size, 1, r, e) < 0)
		return -1;
	if (b->log_dbname &&
	    check_database(b, b->log_conninfo, b->log_dbname, NULL, &b->log_db_size, 0, r, e) < 0)
		return -1;
	if (run_dry_run(run))
		return backup_choose_id(b, r, e);
	/* one backup into a root at a time, and never beside a restore of
	 * the same webroot */
	b->lock_path = lock_target_path("backup", b->root);
	what = xstrfmt("backup root %s", b->root);
	b->lock_fd = lock_take(b->lock_path, what, e);
	free(what);
	if (b->lock_fd < 0)
		return -1;
	b->webroot_lock_path = lock_target_path("webroot", b->webroot);
	what = xstrfmt("webroot %s", b->webroot);
	b->webroot_lock_fd = lock_take(b->webroot_lock_path, what, e);
	free(what);
	if (b->webroot_lock_fd < 0)
		return -1;
	/* a dump or backup may have come since the plan: the id is chosen
	 * again under the lock, before the first step (the seal refuses to
	 * publish over one, after all the work) */
	if (backup_choose_id(b, r, e) < 0)
		return -1;
	remove_stale_partials(b, "db", r);
	remove_stale_partials(b, "data", r);
	remove_stale_partials(b, "webroot", r);
	return 0;
}

/* On every exit path after the steps' cleanups (maintenance is off by
 * then): a backup that was not sealed publishes nothing. */
static int backup_finish(struct run *run, struct report *r)
{
	struct backup *b = backup_of(run);
	struct backup_part *parts[] = { &b->db, &b->log_db, &b->data, &b->web };
	int removed = 0;
	if (b->sealed)
		return 0;
	for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
		struct err e = ERR_INIT;
		const char *p = parts[i]->published ? parts[i]->final : parts[i]->partial;
		if (!p || access(p, F_OK) < 0)
			continue;
		if (fsrestore_rmtree(p, &e) < 0) {
			err_prefix(&e, "could not remove the unfinished part %s", p);
			report_log_l10n(r, LOG_WARN, e.lmsg, "%s", e.msg);
			err_clear(&e);
		} else {
			removed++;
		}
	}
	if (b->db.partial) {
		/* the directory that held the dumps */
		char *dir = xstrfmt("%s/db/%s.partial", b->root, b->id);
		rmdir(dir);
		free(dir);
	}
	if (removed)
		report_log(r, LOG_INFO, "the backup did not finish: its parts were removed, nothing "
			   "was published");
	return 0;
}

static void backup_plan_head(const struct run *run, struct strbuf *out)
{
	const struct backup *b = backup_of(run);
	strbuf_addf(out, _("Backup plan (%s), nothing has been touched:\n"), b->id);
	strbuf_addf(out, _("into: %s (every part as NAME.partial until all are complete)\n"), b->root);
	if (b->id_taken)
		strbuf_addf(out, _("id: the next free second, %s is taken\n"), b->id_taken);
	if (b->log_dbname)
		strbuf_addf(out, _("databases %s and %s, datadir %s, webroot %s\n"), b->dbname,
			    b->log_dbname, b->datadir, b->webroot);
	else
		strbuf_addf(out, _("database %s, datadir %s, webroot %s\n"), b->dbname, b->datadir,
			    b->webroot);
	if (b->prev_data)
		strbuf_addf(out, _("unchanged files are hard links to %s and %s\n"), b->prev_data,
			    b->prev_webroot ? b->prev_webroot : _("(no webroot snapshot)"));
	strbuf_addstr(out, _("maintenance mode is on for the database and datadir steps only\n\n"));
}

static void backup_plan_tail(const struct run *run, int plan, struct strbuf *out)
{
	const struct backup *b = backup_of(run);
	if (plan)
		return;
	if (b->maint_cleanup > 0)
		strbuf_addstr(out, _("maintenance mode was switched off again (the run ended "
				     "before maintenance-off)\n"));
	else if (b->maint_cleanup < 0)
		strbuf_addstr(out, _("maintenance mode may still be ON: switching it off "
				     "failed (see the log)\n"));
	if (b->maint_ms >= 0)
		strbuf_addf(out, _("maintenance mode was on for %.1f s\n"), (double)b->maint_ms / 1000.0);
	if (b->sealed)
		strbuf_addf(out, _("backup %s: %s/manifest/%s/MANIFEST\n"), b->id, b->root, b->id);
	else if (run_step_state(run, BSTEP_MAINT_ON) != STEP_PENDING)
		strbuf_addf(out, _("backup %s was not completed: nothing was published\n"), b->id);
}

static void backup_target_text(const struct run *run, struct strbuf *out)
{
	const struct backup *b = backup_of(run);
	if (b->dbname)
		strbuf_addf(out, _("  database %s"), b->dbname);
	if (b->root)
		strbuf_addf(out, _("  into %s"), b->root);
}

static const char *backup_failure_hint(const struct run *run, size_t step)
{
	(void)run;
	(void)step;
	return N_("Maintenance mode was switched off again; the unfinished backup was removed.");
}

const struct flow_def backup_flow = {
	.name = "backup",
	.whole = 1,
	.title = N_("Backup"),
	.steps = backup_steps,
	.n_steps = BSTEP_COUNT,
	.create = backup_create,
	.release = backup_release,
	.prepare = backup_prepare,
	.preflight = backup_preflight,
	.finish = backup_finish,
	.plan_head = backup_plan_head,
	.plan_tail = backup_plan_tail,
	.target_text = backup_target_text,
	.failure_hint = backup_failure_hint,
};

/* ---- what the steps share (backup_int.h) ---- */

int backup_maintenance(struct backup *b, int on, struct report *r, struct err *e)
{
	if (maintenance_set(b->conf, b->webroot, on, b->id, r, e) < 0)
		return -1;
	if (on) {
		b->maint_on = 1;
		b->maint_t0 = report_now_ns();
		return 0;
	}
	if (b->maint_on)
		b->maint_ms = (report_now_ns() - b->maint_t0) / 1000000;
	b->maint_on = 0;
	return 0;
}

int backup_check_space(const char *dir, uint64_t bytes, const char *doing, struct err *e)
{
	struct statvfs sv;
	uint64_t avail, need = fsrestore_with_margin(bytes);
	if (statvfs(dir, &sv) < 0)
		return err_errno(e, errno, "cannot tell the free space in %s", dir);
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (avail < need) {
		fsrestore_space_error(e, dir, doing, need, avail, "free");
		err_hint(e, "Free space on the backup disk (biso-recover backup-prune), or give "
			    "--backup-root DIR on a larger one. Maintenance mode is switched off again.");
		return -1;
	}
	return 0;
}

static const char **copy_argv(const char *src, const char *dst, const char *prev,
			      const char *const *excludes, char ***owned)
{
	size_t n = 0, k = 0, o = 0;
	const char **v;
	for (const char *const *x = excludes; x && *x; x++)
		n++;
	v = xcalloc(n + 10, sizeof *v);
	*owned = xcalloc(n + 4, sizeof **owned);
	v[k++] = "rsync";
	v[k++] = "-aH";
	v[k++] = "--numeric-ids";
	for (const char *const *x = excludes; x && *x; x++)
		v[k++] = (*owned)[o++] = xstrfmt("--exclude=%s", *x);
	if (prev)
		v[k++] = (*owned)[o++] = xstrfmt("--link-dest=%s", prev);
	v[k++] = (*owned)[o++] = xstrfmt("%s/", src);
	v[k++] = (*owned)[o++] = xstrfmt("%s/", dst);
	return v;
}

static void free_owned(char **owned)
{
	for (char **x = owned; x && *x; x++)
		free(*x);
	free(owned);
}

void backup_copy_cmd(const struct backup *b, const struct backup_part *p, const char *src,
		     const char *prev, const char *const *excludes, struct strbuf *out)
{
	char **owned;
	const char **v = copy_argv(src, p->final, prev, excludes, &owned);
	(void)b;
	strbuf_addstr(out, "     $ ");
	runcmd_format_argv(v, out);
	strbuf_addch(out, '\n');
	free(v);
	free_owned(owned);
}

void backup_maint_cmd(const struct backup *b, int on, struct strbuf *out)
{
	const char *const sub[] = { "maintenance", on ? "on" : "off", NULL };
	const char **v = bisocli_argv(b->conf, sub);
	strbuf_addstr(out, "     $ cd ");
	runcmd_format_argv((const char *const[]){ b->webroot, NULL }, out);
	strbuf_addstr(out, " && ");
	if (bisocli_switches_user(b->conf))
		strbuf_addf(out, "runuser -u %s -- ", b->conf->web_user);
	runcmd_format_argv(v, out);
	strbuf_addch(out, '\n');
	free(v);
}

int backup_copy_tree(struct backup *b, struct backup_part *p, const char *src,
		     const char *prev, const char *const *excludes, struct step_out *out,
		     struct report *r, struct err *e)
{
	char *dir = xstrdup(p->partial), *slash = strrchr(dir, '/');
	char *doing = xstrfmt("copy the %s", p->name);
	struct fsrestore_opts o = { 0 };
	struct fsrestore_result res;
	struct strbuf sb = STRBUF_INIT;
	int rc;

	(void)b;
	*slash = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		err_errno(e, errno, "cannot create %s", dir);
		free(dir);
		free(doing);
		return -1;
	}
	free(dir);
	/* rsync -a [--link-dest=PREV]: the file engine's directory copier,
	 * which also checks each entry after writing it; its scan counts
	 * only what is not linked for the space check */
	o.source = src;
	o.target = p->partial;
	o.excludes = excludes;
	o.mode = FSRESTORE_SNAPSHOT;
	o.keep_special_modes = 1; /* a copy as it is, as rsync -a makes it */
	o.link_dest = prev;
	o.doing = doing;
	o.name = p->name;
	rc = fsrestore_run(&o, r, &res, e);
	free(doing);
	if (rc < 0) {
		if (res.no_space)
			err_hint(e, "Free space on the backup disk (biso-recover backup-prune), or give "
				    "--backup-root DIR on a larger one. Maintenance mode is switched off again.");
		fsrestore_result_release(&res);
		return -1;
	}
	p->written = 1;
	/* English for the log, and the screen's translation */
	for (int l10n = 0; l10n < 2; l10n++) {
		int was = i18n_english(!l10n);
		strbuf_addf(&sb, P_("%llu file", "%llu files", res.files), (unsigned long long)res.files);
		if (prev)
			strbuf_addf(&sb, _(", unchanged ones linked to %s"), strrchr(prev, '/') + 1);
		i18n_english(was);
		*(l10n ? &out->summary_l10n : &out->summary) = strbuf_detach(&sb, NULL);
	}
	fsrestore_result_release(&res);
	return 0;
}

/* The dump's rows per table, counted on a thread while the datadir and the
 * webroot are copied (reading a 200 MiB dump again costs a CPU second or
 * two that the file copy, waiting for the disk, leaves free). */
struct backup_tables {
	pthread_t thread;
	char *path;
	struct dumpinfo di;
	struct err e;
	int rc;
	volatile int stop; /* release: give up (read by dumpinfo's cancel check) */
};

static int tables_cancelled(void *ctx)
{
	return ((struct backup_tables *)ctx)->stop;
}

static void *tables_main(void *arg)
{
	struct backup_tables *t = arg;
	struct report q = { 0 };
	q.cancelled = tables_cancelled;
	q.ctx = t;
	t->rc = dumpinfo_scan(t->path, &t->di, &q, &t->e);
	return NULL;
}

void backup_tables_start(struct backup *b, const char *path)
{
	struct backup_tables *t;
	tables_stop(b); /* a retried dump step: the earlier count is void */
	t = xcalloc(1, sizeof *t);
	t->path = xstrdup(path);
	t->e = (struct err)ERR_INIT;
	if (pthread_create(&t->thread, NULL, tables_main, t) != 0) {
		free(t->path);
		free(t);
		return;
	}
	b->tables = t;
}

static void tables_free(struct backup *b)
{
	struct backup_tables *t = b->tables;
	dumpinfo_release(&t->di);
	err_clear(&t->e);
	free(t->path);
	free(t);
	b->tables = NULL;
}

static void tables_stop(struct backup *b)
{
	if (!b->tables)
		return;
	b->tables->stop = 1;
	pthread_join(b->tables->thread, NULL);
	tables_free(b);
}

int backup_tables_join(struct backup *b, struct manifest *m, struct report *r)
{
	struct backup_tables *t = b->tables;
	int rc = -1;
	if (!t)
		return -1;
	pthread_join(t->thread, NULL);
	if (t->rc == 0) {
		for (size_t i = 0; i < t->di.n_tables; i++)
			manifest_add_table(m, t->di.tables[i].name, t->di.tables[i].rows);
		rc = 0;
	} else {
		report_log(r, LOG_WARN, "counting the rows of %s again: %s", t->path,
			   t->e.msg ? t->e.msg : "?");
	}
	tables_free(b);
	return rc;
}
