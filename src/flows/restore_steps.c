/* restore_steps: what each of the six steps does; see restore_int.h. */
#include "config.h"
#include "restore.h"
#include "restore_int.h"
#include "bisocli.h"
#include "conf.h"
#include "conninfo.h"
#include "dbadmin.h"
#include "dumpinfo.h"
#include "fault.h"
#include "fsrestore.h"
#include "journal.h"
#include "keptcopies.h"
#include "replay.h"
#include "runcmd.h"
#include "strbuf.h"
#include "verify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the steps ---------------------------------------------------------- */

static void files_summary(struct step_status *st, const struct fsrestore_result *res)
{
	struct strbuf sb = STRBUF_INIT;
	fsrestore_add_counts(&sb, res);
	strbuf_addstr(&sb, ", ");
	strbuf_humanise_bytes(&sb, res->bytes);
	st->refused = res->refused;
	if (res->refused) {
		strbuf_addstr(&sb, ", ");
		strbuf_addcount(&sb, res->refused, "member", "members");
		strbuf_addstr(&sb, " refused (listed in the log), not restored");
	}
	if (res->modes_changed) {
		strbuf_addstr(&sb, ", ");
		strbuf_addcount(&sb, res->modes_changed, "mode", "modes");
		strbuf_addstr(&sb, " without set-id/world-write (see the log)");
	}
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
	char *kept = o->kept ? xstrdup(o->kept) : xstrfmt("%s.pre-restore-%s", o->target, rs->stamp);
	char *staging = o->staging ? xstrdup(o->staging) : xstrfmt("%s.restoring", o->target);
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

int restore_run_webroot(struct restore *rs, struct report *r, struct err *e)
{
	const struct conf *c = rs->conf;
	struct fsrestore_opts o = { 0 };
	struct fsrestore_result res = { 0 };
	const char *rel = inside(rs->datadir, rs->webroot);
	int ret;

	o.source = rs->webroot_src;
	o.target = rs->webroot;
	o.excludes = (const char *const *)c->webroot_excludes;
	o.name = "webroot";
	o.mode = FSRESTORE_REPLACE;
	o.stamp = rs->stamp;
	/* The webroot backup leaves data/ out: never take the live datadir away
	 * with the old webroot.  It is carried over even when the datadir step
	 * follows, so that a failed or skipped datadir step never leaves the
	 * live webroot without one. */
	if (rel)
		o.carry = rel;
	/* a left-over staging tree holding the live datadir and a webroot
	 * backup without biso-cli were refused by the preflight */
	ret = journaled_fsrestore(rs, &o, r, &res, e);
	if (ret == 0) {
		if (rs->webroot_src_kind != MAGIC_DIR)
			fsrestore_fix_root_mode(rs->webroot, res.kept_as, r);
		files_summary(&rs->st[STEP_WEBROOT], &res);
	}
	fsrestore_result_release(&res);
	return ret;
}

/* The config and datadir steps add and rename entries in the webroot,
 * which moves its mtime away from what the webroot step restored from the
 * backup: files-verify of the webroot then found one difference, "."
 * (issue 9.10).  dir_times_get() reads the times of @dir before (0 when
 * it cannot: nothing to put back), dir_times_put() sets them again. */
static int dir_times_get(const char *dir, struct timespec ts[2])
{
	struct stat st;
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	return 1;
}

static void dir_times_put(const char *dir, const struct timespec ts[2], struct report *r)
{
	if (utimensat(AT_FDCWD, dir, ts, AT_SYMLINK_NOFOLLOW) < 0)
		report_log(r, LOG_WARN, "cannot put back the times of %s: %s", dir, strerror(errno));
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
	fault_point("config.before-rename");
	if (rename(tmp.buf, target) < 0) {
		err_errno(e, errno, "cannot install %s", target);
		if (kept.len)
			unlink(kept.buf);
		goto out;
	}
	fault_point("config.after-rename");
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

int restore_run_config(struct restore *rs, struct report *r, struct err *e)
{
	struct strbuf target = STRBUF_INIT;
	int ret = -1;

	strbuf_addf(&target, "%s/config.php", rs->webroot);
	if (rs->config_php_src) {
		struct timespec ts[2];
		int had = dir_times_get(rs->webroot, ts);
		int bad = install_config_php(rs, target.buf, r, e) < 0;
		if (had)
			dir_times_put(rs->webroot, ts, r);
		if (bad)
			goto out;
	}
	if (restore_adopt_config_php(rs, target.buf, r, e) < 0)
		goto out;
	if (rs->conninfo && restore_resolve_database(rs, e) < 0)
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
int restore_dir_is_empty(const char *path)
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

/* The directory for the staging and kept copies of a datadir inside the
 * webroot (keptcopies_keep_base(), which cleanup asks too); @why (may be
 * NULL) says why keep_dir is not used.  malloc'd. */
static char *keep_base(const struct restore *rs, const char **why)
{
	return keptcopies_keep_base(rs->conf->keep_dir, rs->webroot, rs->datadir, why);
}

/* <base>/<webroot's name>.<rel with '/' as '-'>.<suffix> */
static char *beside_name(const struct restore *rs, const char *base, const char *suffix)
{
	const char *rel = inside(rs->datadir, rs->webroot), *name = strrchr(rs->webroot, '/');
	char *flat = xstrdup(rel), *path;
	for (char *p = flat; *p; p++)
		if (*p == '/')
			*p = '-';
	path = xstrfmt("%s/%s.%s.%s", strcmp(base, "/") ? base : "", name ? name + 1 : rs->webroot,
		       flat, suffix);
	free(flat);
	return path;
}

/* Where the old datadir goes when it lives inside the webroot: beside the
 * old webroot's other files when that is kept in this run (and has no such
 * folder), else <keep_base>/<webroot name>.<rel>.pre-restore-<stamp>
 * (keep_base(): keep_dir or beside the webroot).  Before the webroot step
 * ran (the plan, a dry run) it is where that step will keep the old
 * webroot: the live datadir is carried into the new webroot, so the old
 * webroot holds no such folder then.  NULL when the datadir is not inside
 * the webroot.  malloc'd. */
char *restore_kept_datadir_dest(const struct restore *rs)
{
	const char *rel = inside(rs->datadir, rs->webroot);
	char *dest = NULL, *base, *suffix;
	if (!rel)
		return NULL;
	if (rs->st[STEP_WEBROOT].kept_as) {
		dest = xstrfmt("%s/%s", rs->st[STEP_WEBROOT].kept_as, rel);
		if (!path_exists(dest))
			return dest;
		free(dest);
	} else if ((rs->selected & STEP_BIT(STEP_WEBROOT)) &&
		   rs->st[STEP_WEBROOT].state == STEP_PENDING && path_exists(rs->webroot)) {
		return xstrfmt("%s.pre-restore-%s/%s", rs->webroot, rs->stamp, rel);
	}
	base = keep_base(rs, NULL);
	suffix = xstrfmt("pre-restore-%s", rs->stamp);
	dest = beside_name(rs, base, suffix);
	free(suffix);
	free(base);
	return dest;
}

/* Where the datadir step builds the new datadir: beside the webroot (or in
 * keep_dir) when the datadir lives inside the webroot, so that personal
 * data never sits where the web server serves; it must be on the
 * datadir's filesystem for the swap, else <datadir>.restoring, with a
 * warning through @r.  malloc'd. */
static char *datadir_staging(const struct restore *rs, struct report *r)
{
	const char *why = NULL;
	char *base, *path;
	struct stat a, b;
	if (!inside(rs->datadir, rs->webroot))
		return xstrfmt("%s.restoring", rs->datadir);
	base = keep_base(rs, &why);
	if (why)
		report_log(r, LOG_WARN, "keep_dir %s is not used: %s; the datadir's copies go to %s",
			   rs->conf->keep_dir, why, base);
	if (stat(base, &a) == 0 && path_exists(rs->datadir) && stat(rs->datadir, &b) == 0 &&
	    a.st_dev != b.st_dev) {
		report_log(r, LOG_WARN, "%s is on another filesystem than the datadir %s, and the swap "
			   "needs both on one: the new datadir is built inside the webroot, at "
			   "%s.restoring (mode 0700 while it is built); set keep_dir to a directory "
			   "on the datadir's filesystem", base, rs->datadir, rs->datadir);
		free(base);
		return xstrfmt("%s.restoring", rs->datadir);
	}
	path = beside_name(rs, base, "restoring");
	free(base);
	return path;
}

int restore_run_datadir(struct restore *rs, struct report *r, struct err *e)
{
	const struct conf *c = rs->conf;
	struct fsrestore_opts o = { 0 };
	struct fsrestore_result res = { 0 };
	struct timespec ts[2];
	char *parent = NULL, *staging, *kept;
	int ret, had = 0;

	if (!rs->datadir)
		return err_set(e, "no datadir known"),
		       err_hint(e, "Run the config step first or give --datadir DIR."), -1;
	if (conf_web_owner(c, &o.uid, &o.gid, e) < 0)
		return -1;
	/* an empty backup directory was refused by the preflight */
	o.set_owner = 1;
	o.source = rs->datadir_src;
	o.target = rs->datadir;
	o.excludes = (const char *const *)c->datadir_excludes;
	o.name = "datadir";
	o.mode = FSRESTORE_REPLACE;
	o.stamp = rs->stamp;
	if (inside(rs->datadir, rs->webroot)) {
		/* the staging tree, the swap and the kept copy pass through the
		 * datadir's parent, a directory of the restored webroot */
		parent = xstrdup(rs->datadir);
		*strrchr(parent, '/') = '\0';
		had = dir_times_get(parent, ts);
	}
	/* the staging and kept copies never inside the webroot (issue 16.5) */
	staging = datadir_staging(rs, r);
	kept = restore_kept_datadir_dest(rs);
	o.staging = staging;
	o.kept = kept;
	ret = journaled_fsrestore(rs, &o, r, &res, e);
	if (ret == 0) {
		/* personal data: the kept copy for root only */
		if (res.kept_as && chmod(res.kept_as, 0700) == 0)
			report_log(r, LOG_INFO, "the old datadir is kept as %s (mode 0700)", res.kept_as);
		files_summary(&rs->st[STEP_DATADIR], &res);
	}
	free(staging);
	free(kept);
	if (had)
		dir_times_put(parent, ts, r);
	free(parent);
	fsrestore_result_release(&res);
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
	ro.info = dump == rs->dump ? rs->dump_info : NULL; /* weighs the post-data work */
	report_log(r, LOG_INFO, "replaying %s into \"%s\"", dump, staging);
	if (replay_run(&ro, r, stats, e) < 0) {
		rs->err_logged = stats->errors > 0;
		if (stats->conn_lost)
			/* the server went away (issue 16.7: its disk filled and
			 * it stayed down): say only what is known */
			report_log(r, LOG_ERROR, "the server went away during the replay, at line %ld "
				   "of %s; nothing was swapped: \"%s\" was not renamed by this run; "
				   "look in the PostgreSQL server log and at the free disk space of its "
				   "data directory, and check that it accepts connections again before "
				   "the next attempt (which drops \"%s\")", stats->conn_lost_line, dump,
				   dbname, staging);
		else
			report_log(r, LOG_ERROR, "the replay failed; the live database \"%s\" is "
				   "untouched; \"%s\" is left for inspection and dropped on the next "
				   "attempt", dbname, staging);
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
	/* The last moment to stop: after the swap there is nothing to abort. */
	if (report_cancelled(r)) {
		err_set(e, "aborted before the swap: %s", report_stop_reason(r));
		err_hint(e, "The live database \"%s\" was not touched; \"%s\" holds the restored "
			    "data and is dropped on the next attempt.", dbname, staging);
		goto out;
	}
	if (journal_begin(c->log_dir, rs->stamp, JOURNAL_DATABASE, dbname, keep, staging, e) < 0)
		goto out;
	{
		struct err jerr = ERR_INIT;
		int swapped = dbadmin_swap(admin, dbname, staging, keep, r, e), jret = 0;
		/* "done" only once the transaction committed; one that rolled
		 * back is "failed"; a lost connection (did the COMMIT arrive?)
		 * leaves the entry open for the next run to look at */
		if (swapped == 0)
			jret = journal_done(c->log_dir, rs->stamp, JOURNAL_DATABASE, dbname, &jerr);
		else if (PQstatus(admin) == CONNECTION_OK &&
			 PQtransactionStatus(admin) == PQTRANS_IDLE)
			jret = journal_failed(c->log_dir, rs->stamp, JOURNAL_DATABASE, dbname, &jerr);
		if (jret < 0)
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
		struct progress ap = { "ANALYZE", 0, 0, 0, 0, dbname }; /* the last phase */
		report_progress(r, &ap, 1);
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

int restore_run_database(struct restore *rs, struct report *r, struct err *e)
{
	struct replay_stats stats = { 0 };
	char *kept = NULL;
	/* found by the preflight; the operator saw it in the plan and the
	 * confirmation: say it again where the step's warnings are counted */
	if (rs->db_warning)
		report_log(r, LOG_WARN, "%s", rs->db_warning);
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

int restore_run_migrations(struct restore *rs, struct report *r, struct err *e)
{
	const struct conf *c = rs->conf;
	unsigned restarted = 0;

	if (bisocli_run(c, rs->webroot, (const char *const[]){ "migration", "exec", NULL }, NULL, r,
			e) < 0)
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
	} else {
		report_log(r, LOG_INFO, "scheduler: not checked (services.scheduler_cron is not set)");
	}
	if (c->services.queue_runner_check && c->services.queue_runner_check[0]) {
		struct err qe = ERR_INIT;
		if (runcmd_logged((const char *const *)c->services.queue_runner_check, NULL, NULL, r, &qe) < 0)
			report_log(r, LOG_WARN, "queue runner check: %s", qe.msg);
		else
			report_log(r, LOG_INFO, "queue runner: running");
		err_clear(&qe);
	} else {
		report_log(r, LOG_INFO, "queue runner: not checked (services.queue_runner_check is not set)");
	}
	if (restore_start_services(rs, r, e) < 0)
		return -1;
	for (char ***w = c->services.restart_workers; w && *w; w++) {
		if (runcmd_logged((const char *const *)*w, NULL, NULL, r, e) < 0)
			return -1;
		restarted++;
	}
	free(rs->st[STEP_MIGRATIONS].summary);
	rs->st[STEP_MIGRATIONS].summary = xstrfmt("migrations applied, %u worker %s run",
						  restarted, restarted == 1 ? "command" : "commands");
	return 0;
}
