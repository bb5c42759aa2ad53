/* restore_check: the run-level guards (locks, the journal of an earlier
 * run, preflight checks of backups and dumps) and the services stopped for
 * a restore; see restore.h and restore_int.h. */
#include "config.h"
#include "restore.h"
#include "restore_int.h"
#include "backupset.h"
#include "bisocli.h"
#include "conf.h"
#include "conninfo.h"
#include "dbadmin.h"
#include "dumpinfo.h"
#include "journal.h"
#include "keptcopies.h"
#include "magic.h"
#include "pathguard.h"
#include "runcmd.h"
#include "strbuf.h"
#include "swap.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* ---- run-level guards: lock, preflight, services ------------------------ */

/* /run/lock (else /tmp)/biso-recover-<what>-<FNV-1a of @key>.lock: one
 * lock per target, whatever log_dir a run is given. */
static char *target_lock_path(const char *what, const char *key)
{
	uint64_t h = 1469598103934665603ULL;
	const char *dir = access("/run/lock", W_OK) == 0 ? "/run/lock" : "/tmp";
	for (const char *p = key; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return xstrfmt("%s/biso-recover-%s-%016llx.lock", dir, what, (unsigned long long)h);
}

char *restore_webroot_lock_path(const struct restore *rs)
{
	return target_lock_path("webroot", rs->webroot ? rs->webroot : rs->conf->webroot);
}

char *restore_database_lock_path(const struct restore *rs)
{
	char *key = conninfo_target_key(rs->conninfo, rs->dbname);
	char *path = key ? target_lock_path("database", key) : NULL;
	free(key);
	return path;
}

/* conninfo_target_key() of the log database the database step restores
 * too, or NULL when there is none. */
static char *log_database_key(const struct restore *rs)
{
	if (!rs->log_dump || !rs->log_dbname)
		return NULL;
	return conninfo_target_key(nonempty(rs->conf->log_database.conninfo) ?
				   rs->conf->log_database.conninfo : rs->conninfo, rs->log_dbname);
}

char *restore_log_database_lock_path(const struct restore *rs)
{
	char *key = log_database_key(rs);
	char *path = key ? target_lock_path("database", key) : NULL;
	free(key);
	return path;
}

/* When this process started (from /proc/self/stat), else now. */
static time_t process_start(void)
{
	FILE *fp = fopen("/proc/self/stat", "re");
	char buf[1024], *p;
	unsigned long long ticks = 0;
	time_t boot = 0;
	long hz = sysconf(_SC_CLK_TCK);
	if (fp) {
		/* field 22 counts from after the ")" that ends the command name */
		if (fgets(buf, sizeof buf, fp) && (p = strrchr(buf, ')'))) {
			int field = 2;
			for (p++; *p && field < 22; p++)
				if (*p == ' ')
					field++;
			ticks = strtoull(p, NULL, 10);
		}
		fclose(fp);
	}
	fp = fopen("/proc/stat", "re");
	if (fp) {
		while (fgets(buf, sizeof buf, fp))
			if (!strncmp(buf, "btime ", 6))
				boot = (time_t)strtoll(buf + 6, NULL, 10);
		fclose(fp);
	}
	if (!boot || !ticks || hz <= 0)
		return time(NULL);
	return boot + (time_t)(ticks / (unsigned long long)hz);
}

/* flock @path for @what (e.g. "webroot /var/www/biso"); -1 with @e naming
 * the holder (pid, start time, host, from the file) when another run has
 * it.  Returns the descriptor, kept open for the run.  A killed holder's
 * flock goes with its process: nothing to delete by hand. */
static int lock_file(const char *path, const char *what, struct err *e)
{
	char buf[256], host[128] = "?", when[32] = "?";
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	time_t t;
	struct tm tm;
	if (fd < 0)
		return err_errno(e, errno, "cannot open the lock file %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		err_set(e, "another biso-recover (%s) is restoring %s", *buf ? buf : "pid ?", what);
		err_detail(e, "%s is locked", path);
		err_hint(e, "Wait for it to finish; two restores of one target would undo each other.");
		close(fd);
		return -1;
	}
	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = '\0';
	t = process_start();
	if (localtime_r(&t, &tm))
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	if (ftruncate(fd, 0) == 0) {
		int n = snprintf(buf, sizeof buf, "pid %ld on %s, started %s\n", (long)getpid(), host,
				 when);
		if (n > 0 && write(fd, buf, (size_t)n) != n)
			(void)0; /* the holder is only informative */
	}
	return fd;
}

/* <log_dir>/run-<stamp>.lock, held while the run lives: the journal
 * entries of a run that still holds it are not an interrupted swap. */
static char *run_lock_path(const char *log_dir, const char *stamp)
{
	return xstrfmt("%s/run-%s.lock", log_dir, stamp);
}

/* 1 when the run of @stamp still holds its run lock. */
static int run_alive(const char *log_dir, const char *stamp)
{
	char *path = run_lock_path(log_dir, stamp);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), alive = 0;
	if (fd >= 0) {
		alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
		close(fd);
		if (!alive)
			unlink(path); /* left by a killed run */
	}
	free(path);
	return alive;
}

static void add_lock(struct restore *rs, int fd)
{
	rs->lock_fds = xrealloc(rs->lock_fds, (rs->n_lock_fds + 1) * sizeof *rs->lock_fds);
	rs->lock_fds[rs->n_lock_fds++] = fd;
}

/* Lock @path for @what (both malloc'd; freed here) and keep the descriptor
 * in @rs until restore_unlock().  -1 with @e naming the holder. */
static int take_lock(struct restore *rs, char *path, char *what, struct err *e)
{
	int fd = lock_file(path, what, e);
	free(path);
	free(what);
	if (fd < 0)
		return -1;
	add_lock(rs, fd);
	return 0;
}

int restore_lock(struct restore *rs, struct err *e)
{
	const struct conf *c = rs->conf;
	unsigned files = STEP_BIT(STEP_WEBROOT) | STEP_BIT(STEP_CONFIG) | STEP_BIT(STEP_DATADIR) |
			 STEP_BIT(STEP_MIGRATIONS);
	unsigned db = STEP_BIT(STEP_DATABASE) | STEP_BIT(STEP_MIGRATIONS);
	char *path, *what;
	int fd;

	if (rs->n_lock_fds)
		return 0;
	if (mkdir(c->log_dir, 0700) < 0 && errno != EEXIST) {
		err_errno(e, errno, "cannot create the log directory %s", c->log_dir);
		err_hint(e, "Set log_dir in the configuration or give --log-dir DIR.");
		return -1;
	}
	path = run_lock_path(c->log_dir, rs->stamp);
	fd = lock_file(path, "in this log directory with this time stamp", e);
	free(path);
	if (fd < 0)
		return -1;
	add_lock(rs, fd);
	if (rs->selected & files) {
		if (take_lock(rs, restore_webroot_lock_path(rs),
			      xstrfmt("webroot %s", rs->webroot ? rs->webroot : c->webroot), e) < 0)
			goto fail;
	}
	if ((rs->selected & db) && (path = restore_database_lock_path(rs))) {
		char *key = conninfo_target_key(rs->conninfo, rs->dbname);
		what = xstrfmt("database %s", key);
		free(key);
		if (take_lock(rs, path, what, e) < 0)
			goto fail;
	}
	if ((rs->selected & STEP_BIT(STEP_DATABASE)) && (path = restore_log_database_lock_path(rs))) {
		/* the log database is swapped by the same step */
		char *key = log_database_key(rs);
		what = xstrfmt("database %s", key);
		free(key);
		if (take_lock(rs, path, what, e) < 0)
			goto fail;
	}
	return 0;
fail:
	restore_unlock(rs);
	return -1;
}

void restore_unlock(struct restore *rs)
{
	if (rs->n_lock_fds) {
		/* the run lock first: gone before its flock is */
		char *path = run_lock_path(rs->conf->log_dir, rs->stamp);
		unlink(path);
		free(path);
	}
	for (size_t i = 0; i < rs->n_lock_fds; i++)
		close(rs->lock_fds[i]); /* releases the flock */
	free(rs->lock_fds);
	rs->lock_fds = NULL;
	rs->n_lock_fds = 0;
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
int restore_stranded_datadir(struct restore *rs, const char *live, const char *staging,
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

/* Earlier versions of the database swap closed the live database to new
 * connections before renaming it, and a run killed in between left it
 * refusing them; dbadmin_swap() now renames both in one transaction and
 * never changes the connection setting, so only such an old run (or an
 * admin) leaves a database closed.  Allow connections again. */
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

/* @what at @from goes back to @to, or (dry run: returns 1) would: a
 * journaled swap left it there, so where it belongs is known.  0, or -1
 * with @e. */
static int put_back(struct restore *rs, const struct journal_entry *j, const char *what,
		    const char *from, const char *to, struct report *r, struct err *e)
{
	if (rs->dry_run) {
		report_log(r, LOG_WARN, "the run of %s was killed during its swap of %s: %s is at %s; "
			   "a real run moves it to %s", j->stamp, j->live, what, from, to);
		return 1;
	}
	if (path_exists(to)) {
		err_set(e, "the run of %s was killed during its swap of %s: %s is at %s", j->stamp,
			j->live, what, from);
		err_detail(e, "It belongs at %s, which exists.", to);
		err_hint(e, "Move %s away, then run biso-recover again (it moves %s there).", to, from);
		return -1;
	}
	if (rename(from, to) < 0)
		return err_errno(e, errno, "cannot move %s back to %s", from, to);
	report_log(r, LOG_WARN, "the run of %s was killed during its swap of %s: moved %s from %s "
		   "to %s", j->stamp, j->live, what, from, to);
	return 0;
}

/* The live datadir (@rel inside the webroot) that a swap of @j carried
 * into its staging tree goes back into the live webroot (put_back()),
 * unless the live webroot has one.  0 (1: a dry run said so), or -1. */
static int put_back_carried(struct restore *rs, const struct journal_entry *j, const char *rel,
			    struct report *r, struct err *e)
{
	char *in_live = xstrfmt("%s/%s", j->live, rel);
	char *in_staging = xstrfmt("%s/%s", j->staging, rel);
	int ret = 0;
	if (!path_exists(in_live) && path_exists(in_staging))
		ret = put_back(rs, j, "the live datadir", in_staging, in_live, r, e);
	free(in_live);
	free(in_staging);
	return ret;
}

/* A tree swap of an earlier run that was killed: finish what the journal
 * proves.  The live tree's identity at "begin" (j->live_id) tells whether
 * the exchange happened; the tree at the staging name is then the old
 * one and goes to its kept name.  Before the exchange, a datadir carried
 * into the staging tree goes back into the live webroot.  With two renames
 * (a filesystem without exchange, or an older version's journal) a
 * missing live name gets the old tree back, and the datadir they carried
 * into the staging tree with it.  0 (1: a dry run that only
 * said so), or -1 with @e. */
static int finish_files_swap(struct restore *rs, const struct journal_entry *j,
			     struct report *r, struct err *e)
{
	char *now = journal_path_id(j->live), *at_staging = journal_path_id(j->staging);
	char *at_kept = journal_path_id(j->kept);
	const char *rel = inside(rs->datadir, j->live);
	int ret = 0;

	if (*j->live_id && now && strcmp(now, j->live_id)) {
		if (at_staging && !strcmp(at_staging, j->live_id)) {
			/* killed between the exchange of the trees and that of the
			 * carried datadir: the live one is a link into the old tree */
			if (rel && !rs->dry_run && swap_finish_carry(j->live, j->staging, rel, r, e) < 0) {
				ret = -1;
				goto out;
			}
			ret = put_back(rs, j, "the old tree", j->staging, j->kept, r, e);
		}
		/* a kept datadir is for root only, as the datadir step keeps it
		 * (a run killed before it did) */
		if (ret == 0 && !rs->dry_run && rs->datadir && !strcmp(j->live, rs->datadir)) {
			char *k = journal_path_id(j->kept);
			if (k && !strcmp(k, j->live_id))
				(void)chmod(j->kept, 0700);
			free(k);
		}
	} else if (!now && *j->live_id && at_kept && !strcmp(at_kept, j->live_id)) {
		ret = put_back(rs, j, "the old tree", j->kept, j->live, r, e);
		/* two renames carry the live datadir into the staging tree first */
		if (ret >= 0 && at_staging && rel) {
			int carried = put_back_carried(rs, j, rel, r, e);
			ret = carried < 0 ? -1 : ret | carried;
		}
	} else if (now && at_staging && rel) {
		ret = put_back_carried(rs, j, rel, r, e);
	}
out:
	free(now);
	free(at_staging);
	free(at_kept);
	return ret;
}

/* An earlier run killed during a swap: put right what the journal proves
 * (finish_files_swap); where it cannot, say exactly how to put the live
 * name back, and touch nothing. */
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
		if (strcmp(j->stamp, rs->stamp) && run_alive(c->log_dir, j->stamp)) {
			/* another run, on other targets (the locks say so), is at it */
			report_log(r, LOG_INFO, "the run of %s is still running; its swap of %s is "
				   "its own", j->stamp, j->live);
			continue;
		}
		if (j->kind == JOURNAL_SERVICES) {
			ret = stale_services(rs, j, r, e);
			continue;
		}
		if (j->kind == JOURNAL_FILES) {
			int fixed = finish_files_swap(rs, j, r, e);
			if (fixed < 0) {
				ret = -1;
				break;
			}
			if (fixed > 0) {
				rs->journal_repairs++;
				continue; /* a dry run named what a real run moves */
			}
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
			if (restore_stranded_datadir(rs, j->live, j->staging, e) < 0) {
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
	if (!a) /* only without memory */
		return err_errno(e, ENOMEM, "cannot read %s", path);
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
int restore_check_archives(struct restore *rs, struct err *e)
{
	struct archive_layout al;
	int ret = 0;

	if ((rs->selected & STEP_BIT(STEP_WEBROOT)) && rs->webroot_src &&
	    rs->webroot_src_kind == MAGIC_DIR) {
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
	/* An empty backup (an unmounted share) must not replace a live datadir. */
	if ((rs->selected & STEP_BIT(STEP_DATADIR)) && rs->datadir_src &&
	    rs->datadir_src_kind == MAGIC_DIR && rs->datadir &&
	    restore_dir_is_empty(rs->datadir_src) && path_exists(rs->datadir) &&
	    !restore_dir_is_empty(rs->datadir)) {
		err_set(e, "the datadir backup %s is empty, the live datadir %s is not",
			rs->datadir_src, rs->datadir);
		err_hint(e, "Is the backup share mounted? Check backup_root, or skip this step.");
		return -1;
	}
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
		    !restore_dir_is_empty(rs->datadir)) {
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
static int check_dump(struct restore *rs, const char *dump, int *cut, struct report *r,
		      struct err *e);

int restore_check_dump(struct restore *rs, const char *dump, struct report *r, struct err *e)
{
	int cut;
	return check_dump(rs, dump, &cut, r, e);
}

/* restore_check_dump(), and *@cut = 1 when @dump was refused because it is
 * cut off (dumpinfo's cut), else 0. */
static int check_dump(struct restore *rs, const char *dump, int *cut, struct report *r,
		      struct err *e)
{
	struct dumpinfo di = { 0 };
	int ret = 0;
	*cut = 0;
	if (!dump || !strcmp(dump, "-"))
		return 0; /* standard input can be read only once: by the replay */
	if (dump == rs->dump && rs->dump_info)
		return 0; /* read whole already (restore_check_plan_dump()) */
	report_log(r, LOG_INFO, "reading %s once to check it", dump);
	if (dumpinfo_check(dump, &di, 0, "Use a complete dump (restore: --dump FILE or --at; the "
			   "wizard: o on the database step); biso-recover db-inspect DUMP shows what a "
			   "dump holds.", NULL, e) < 0) {
		*cut = di.cut;
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
		/* Kept for the row-count checks (the dump is read once more, not
		 * twice) and the comparison with the live database's tables. */
		struct dumpinfo **keep = dump == rs->dump ? &rs->dump_info
					 : dump == rs->log_dump ? &rs->log_dump_info : NULL;
		if (keep && !*keep) {
			*keep = xmalloc(sizeof di);
			**keep = di;
			return 0;
		}
	}
	dumpinfo_release(&di);
	return ret;
}

/* Append a warning to rs->db_warning when fewer than half of the tables of
 * the live database @dbname (reached through @conninfo) are in @di. */
static void compare_one(struct restore *rs, PGconn *admin, const char *conninfo,
			const char *dbname, const char *dump, const struct dumpinfo *di,
			struct report *r)
{
	struct err e = ERR_INIT;
	char *ci = NULL, **names;
	PGconn *live = NULL;
	long n_live = 0, found = 0;
	int exists = 0;

	if (!di || !dbname || dbadmin_exists(admin, dbname, &exists, &e) < 0 || !exists)
		goto out; /* a new database replaces nothing */
	if (!(ci = conninfo_with_dbname(conninfo, dbname, &e)) ||
	    !(live = dbadmin_connect(ci, &e))) {
		report_log(r, LOG_WARN, "cannot compare the tables of the live database \"%s\" with "
			   "the dump: %s", dbname, orq(e.msg));
		goto out;
	}
	names = xcalloc(di->n_tables ? di->n_tables : 1, sizeof *names);
	for (size_t i = 0; i < di->n_tables; i++)
		names[i] = di->tables[i].name;
	if (dbadmin_tables_named(live, names, di->n_tables, &n_live, &found, &e) < 0) {
		report_log(r, LOG_WARN, "cannot compare the tables of the live database \"%s\" with "
			   "the dump: %s", dbname, orq(e.msg));
	} else if (n_live > 0 && found * 2 < n_live) {
		struct strbuf w = STRBUF_INIT;
		size_t start;
		if (rs->db_warning)
			strbuf_addf(&w, "%s; ", rs->db_warning);
		start = w.len;
		strbuf_addf(&w, "%s does not look like a dump of \"%s\": only %ld of its %ld "
			    "tables are in it (restoring replaces it anyway; the old one is kept as "
			    "\"%s_pre_restore_%s\")",
			    strrchr(dump, '/') ? strrchr(dump, '/') + 1 : dump, dbname, found, n_live,
			    dbname, rs->stamp);
		report_log(r, LOG_WARN, "%s", w.buf + start);
		free(rs->db_warning);
		rs->db_warning = strbuf_detach(&w, NULL);
	} else {
		report_log(r, LOG_INFO, "%ld of the %ld tables of the live database \"%s\" are in "
			   "the dump", found, n_live, dbname);
	}
	free(names);
out:
	if (live)
		PQfinish(live);
	free(ci);
	err_clear(&e);
}

void restore_check_live_tables(struct restore *rs, struct report *r)
{
	struct err e = ERR_INIT;
	PGconn *admin;

	free(rs->db_warning);
	rs->db_warning = NULL;
	if (!(rs->selected & STEP_BIT(STEP_DATABASE)) || !rs->conninfo)
		return;
	{
		/* a mistyped --dbname restores into a database the application
		 * never reads: first, so that it leads the warning */
		struct strbuf w = STRBUF_INIT;
		if (restore_app_db_differs(rs, &w)) {
			report_log(r, LOG_WARN, "%s", w.buf);
			rs->db_warning = strbuf_detach(&w, NULL);
		}
		strbuf_release(&w);
	}
	if (!(admin = dbadmin_connect(rs->admin_conninfo, &e))) {
		report_log(r, LOG_WARN, "cannot compare the tables of the live database with the "
			   "dump: %s", orq(e.msg));
		err_clear(&e);
		return;
	}
	compare_one(rs, admin, rs->conninfo, rs->dbname, rs->dump, rs->dump_info, r);
	if (rs->log_dump && rs->log_dbname)
		compare_one(rs, admin, nonempty(rs->conf->log_database.conninfo) ?
			    rs->conf->log_database.conninfo : rs->conninfo, rs->log_dbname,
			    rs->log_dump, rs->log_dump_info, r);
	PQfinish(admin);
}

/* The target conninfo (--dbname, database.conninfo or config.php's
 * gaia.db) is what the replay, the migrations and the verification connect
 * with: one that cannot reach the server (a typo, a literal $PGPORT) would
 * fail only after the files were swapped.  The live database itself may be
 * missing or refuse connections in a disaster; the database step then
 * creates or replaces it, as long as the same login works on the server
 * (the replay logs in so).  Sets rs->db_missing.  0, or -1 with @e. */
static int check_target_database(struct restore *rs, struct report *r, struct err *e)
{
	const struct conf *c = rs->conf;
	const char *where = nonempty(c->database.conninfo) ? "--dbname or database.conninfo"
				: "Config::set('gaia.db', ...) in config.php";
	int db_step = !!(rs->selected & STEP_BIT(STEP_DATABASE)), exists = 0;
	struct err ce = ERR_INIT;
	PGconn *conn;
	char *admin_db, *probe;

	rs->db_missing = 0;
	if (!rs->conninfo || !rs->dbname || !(rs->selected & (STEP_BIT(STEP_DATABASE) |
		STEP_BIT(STEP_MIGRATIONS) | STEP_BIT(STEP_VERIFY))))
		return 0;
	if ((conn = dbadmin_connect(rs->conninfo, &ce))) {
		PQfinish(conn);
		return 0;
	}
	if (PQping(rs->conninfo) != PQPING_OK) {
		/* no server answers there, or libpq did not even try (port=$PGPORT) */
		err_move(e, &ce);
		err_prefix(e, "the target database cannot be reached");
		err_hint(e, "Check %s: the database step, the migrations and the verification "
			    "connect with it.", where);
		return -1;
	}
	/* the server answers: is it the database or the login? */
	if (!(conn = dbadmin_connect(rs->admin_conninfo, e))) {
		err_clear(&ce);
		err_hint(e, "Check database.admin_conninfo (default: the target conninfo with "
			    "dbname=postgres).");
		return -1;
	}
	if (dbadmin_exists(conn, rs->dbname, &exists, e) < 0) {
		PQfinish(conn);
		err_clear(&ce);
		return -1;
	}
	admin_db = PQdb(conn) ? xstrdup(PQdb(conn)) : xstrdup("postgres");
	PQfinish(conn);
	if (!db_step) {
		if (exists) {
			err_move(e, &ce);
		} else {
			err_clear(&ce);
			err_set(e, "the database \"%s\" does not exist", rs->dbname);
		}
		err_hint(e, "Check %s; the migrations and the verification need the live "
			    "database (restore it with the database step).", where);
		free(admin_db);
		return -1;
	}
	/* the replay logs into the new database as the target conninfo does */
	probe = conninfo_with_dbname(rs->conninfo, admin_db, NULL);
	conn = probe ? dbadmin_connect(probe, e) : NULL;
	free(probe);
	if (!conn) {
		err_clear(&ce);
		err_prefix(e, "the login of the target conninfo does not work on the server");
		err_hint(e, "Check %s (user, password): the database step replays the dump "
			    "with it.", where);
		free(admin_db);
		return -1;
	}
	PQfinish(conn);
	if (!exists) {
		rs->db_missing = 1;
		report_log(r, LOG_INFO, "database \"%s\" does not exist: the database step creates "
			   "it", rs->dbname);
	} else {
		report_log(r, LOG_WARN, "cannot connect to the live database \"%s\" (%s); the "
			   "database step replaces it (the same login works on database \"%s\")",
			   rs->dbname, orq(ce.detail ? ce.detail : ce.msg), admin_db);
	}
	err_clear(&ce);
	free(admin_db);
	return 0;
}

/* The newest dump of the backup set older than the plan's (any, when the
 * plan's is not one of the set) that passes restore_check_dump(): each is
 * read whole, newest first, until one does.  NULL when none does. */
static const struct backup_item *usable_older_dump(struct restore *rs, struct report *r)
{
	size_t cur;
	const struct backup_list *l = restore_sources(rs, STEP_DATABASE, &cur);
	for (size_t i = l && cur < l->n ? cur + 1 : 0; l && i < l->n; i++) {
		struct err e = ERR_INIT;
		int bad;
		if (!magic_is_plain_dump(l->items[i].kind))
			continue;
		bad = restore_check_dump(rs, l->items[i].path, r, &e) < 0;
		if (bad)
			report_log(r, LOG_WARN, "%s cannot be used either: %s", l->items[i].name, e.msg);
		err_clear(&e);
		if (!bad)
			return &l->items[i];
	}
	return NULL;
}

/* restore_check_dump() of the plan's dump; when it cannot be used, name
 * the newest one that can: in the refusal's hint (--dump, --at), or, with
 * rs->allow_bad_dump, in a warning, and remember both for the wizard. */
int restore_check_plan_dump(struct restore *rs, struct report *r, struct err *e)
{
	const struct backup_item *ok, *bad;
	struct strbuf alt = STRBUF_INIT;
	char stamp[16];
	int cut;

	if (check_dump(rs, rs->dump, &cut, r, e) == 0)
		return 0;
	if (!rs->backups || !rs->backups->root) {
		/* one dump named on the command line, no backup set
		 * (db-restore --create) */
		err_hint(e, "biso-recover db-inspect %s shows what it holds; use an older, complete "
			    "dump.", rs->dump);
		return -1;
	}
	bad = restore_dump_item(rs, rs->dump);
	ok = usable_older_dump(rs, r);
	if (ok) {
		strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", localtime_r(&ok->when, &(struct tm){ 0 }));
		strbuf_addf(&alt, "The newest complete dump is %s", ok->path);
		if (bad && bad->when > ok->when) {
			strbuf_addstr(&alt, ", ");
			strbuf_humanise_age(&alt, (long long)(bad->when - ok->when));
			strbuf_addstr(&alt, " older");
		}
	} else {
		strbuf_addf(&alt, "No %s dump in %s/db is complete", bad ? "older" : "other",
			    rs->conf->backup_root);
	}
	if (!rs->allow_bad_dump) {
		if (ok)
			err_hint(e, "%s: give --dump %s (the database only), or --at %s (the "
				    "webroot and datadir of then too).", alt.buf, ok->path, stamp);
		else
			err_hint(e, "%s. biso-recover db-inspect DUMP shows what a dump holds.", alt.buf);
		strbuf_release(&alt);
		return -1;
	}
	/* the warning stands alone on the wizard's first screen: name the cut
	 * dump when the message does not (a gzip error names no file) */
	struct strbuf why = STRBUF_INIT;
	if (!strstr(e->msg, rs->dump)) {
		const char *base = strrchr(rs->dump, '/') ? strrchr(rs->dump, '/') + 1 : rs->dump;
		char bstamp[16] = "";
		if (bad)
			strftime(bstamp, sizeof bstamp, "%Y%m%d_%H%M%S",
				 localtime_r(&bad->when, &(struct tm){ 0 }));
		strbuf_addstr(&why, base);
		if (*bstamp && !strstr(base, bstamp))
			strbuf_addf(&why, " (of %s)", bstamp);
		if (e->offset >= 0)
			strbuf_addf(&why, " is cut at byte %lld", (long long)e->offset);
		strbuf_addstr(&why, ": ");
	}
	strbuf_addstr(&why, e->msg);
	set_str(&rs->dump_refused, rs->dump);
	set_str(&rs->dump_refused_why, why.buf);
	rs->dump_refused_cut = cut;
	set_str(&rs->dump_usable, ok ? ok->path : NULL);
	report_log(r, LOG_WARN, "%s. %s%s", why.buf, alt.buf,
		   ok ? ": choose it with o on the database step" : "");
	err_clear(e);
	strbuf_release(&why);
	strbuf_release(&alt);
	return 0;
}

/* PHP on the host runs as the web user (bisocli_run()): every directory
 * above the webroot must let it through, or migration exec would fail
 * after the files and the database were replaced.  -1 with @e naming the
 * first one that does not. */
static int web_user_reaches_webroot(struct restore *rs, struct err *e)
{
	const struct conf *c = rs->conf;
	char *p;
	uid_t uid;
	gid_t gid;
	int ret = 0;

	if (geteuid() != 0 || !bisocli_as_web_user(c))
		return 0;
	if (conf_web_owner(c, &uid, &gid, e) < 0)
		return -1;
	p = xstrdup(rs->webroot);
	for (char *slash = p; ret == 0 && (slash = strchr(slash + 1, '/'));) {
		struct stat st;
		mode_t x;
		*slash = '\0';
		if (stat(*p ? p : "/", &st) == 0) {
			x = st.st_uid == uid ? S_IXUSR : st.st_gid == gid ? S_IXGRP : S_IXOTH;
			if (!(st.st_mode & x)) {
				err_set(e, "the web user %s cannot enter %s (mode %04o, owner %lu:%lu), so "
					"biso-cli cannot run in the webroot %s as that user", c->web_user,
					*p ? p : "/", (unsigned)(st.st_mode & 07777),
					(unsigned long)st.st_uid, (unsigned long)st.st_gid, rs->webroot);
				err_hint(e, "chmod o+x '%s', or run biso-cli as root with biso_cli = "
					    "[ \"/usr/bin/env\", \"php\", \"biso-cli\" ] (only a program "
					    "named php... runs as the web user).", *p ? p : "/");
				ret = -1;
			}
		}
		*slash = '/';
	}
	free(p);
	return ret;
}

/* The size of database @db on @admin's server in bytes, 0 when there is
 * none or it cannot be read (no CONNECT privilege). */
static unsigned long long database_size(PGconn *admin, const char *db)
{
	PGresult *res = db ? dbadmin_query1(admin, "SELECT pg_database_size(oid) FROM pg_database "
					  "WHERE datname = $1", db, NULL) : NULL;
	unsigned long long n = res && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)
			       ? strtoull(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	return n;
}

/* 1 when @host (PQhost()) is this machine: a Unix socket or a loopback name. */
static int local_host(const char *host)
{
	return !host || !*host || host[0] == '/' || !strcmp(host, "localhost") ||
	       !strcmp(host, "127.0.0.1") || !strcmp(host, "::1");
}

/* A replay that fills the server's disk crashes the server half way.
 * Where the server is local and lets us read its data_directory, refuse
 * when the new database will not fit: the bigger of two estimates, the
 * uncompressed dump(s) and half again for indexes, or the live database(s)
 * (indexes included), plus 10% and 64 MiB for WAL and the catalog.  The old
 * database is kept, so that is needed on top of what is used now.  Where
 * it cannot be checked: a warning. */
static int check_db_space(struct restore *rs, PGconn *admin, struct report *r, struct err *e)
{
	const char *host = PQhost(admin), *port = PQport(admin);
	unsigned long long sql = 0, live, need, avail;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	struct statvfs vfs;
	PGresult *res;
	char *dir = NULL, *pidfile = NULL, line[256];
	FILE *fp;
	int n = 0, same = 0, ret = 0;

	if (!local_host(host)) {
		report_log(r, LOG_WARN, "free space for the new database: not checked (the server "
			   "%s is not on this machine); check it there (df)", host);
		return 0;
	}
	res = PQexec(admin, "SHOW data_directory");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		report_log(r, LOG_WARN, "free space for the new database: not checked (%s); the "
			   "admin connection needs superuser or pg_read_all_settings for that",
			   PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) ?
			   PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : "SHOW data_directory failed");
		PQclear(res);
		return 0;
	}
	dir = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	/* Is that path this server's on this host (not a container's path that
	 * happens to exist here)?  Its postmaster.pid names the port (line 4). */
	pidfile = xstrfmt("%s/postmaster.pid", dir);
	if ((fp = fopen(pidfile, "r"))) {
		while (fgets(line, sizeof line, fp) && ++n < 4)
			;
		same = n == 4 && atoi(line) == atoi(port && *port ? port : "5432");
		fclose(fp);
	}
	if (!fp || !same || statvfs(dir, &vfs) < 0) {
		report_log(r, LOG_WARN, "free space for the new database: not checked (cannot look at "
			   "the server's data directory %s from this host: %s)", dir,
			   !fp ? strerror(errno) : !same ? "its postmaster.pid names another port"
			   : strerror(errno));
		goto out;
	}
	if (rs->dump_info)
		sql += rs->dump_info->bytes_sql;
	if (rs->log_dump_info)
		sql += rs->log_dump_info->bytes_sql;
	live = database_size(admin, rs->dbname) + (rs->log_dump ? database_size(admin, rs->log_dbname) : 0);
	need = sql + sql / 2 > live ? sql + sql / 2 : live;
	need += need / 10 + 64ULL * 1024 * 1024;
	avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
	strbuf_humanise_bytes(&a, avail);
	strbuf_humanise_bytes(&b, need);
	if (avail < need) {
		struct strbuf u = STRBUF_INIT, l = STRBUF_INIT;
		strbuf_humanise_bytes(&u, sql);
		strbuf_humanise_bytes(&l, live);
		err_set(e, "not enough free space for the new database: %s free in the database "
			"server's data directory %s, about %s needed", a.buf, dir, b.buf);
		err_detail(e, "Estimate: the bigger of the uncompressed dump (%s) and half again for "
			      "indexes, or the live database (%s), plus 10%% and 64 MiB; the old database "
			      "is kept beside the new one.", u.buf, l.buf);
		err_hint(e, "Free space on that filesystem (old *_pre_restore_* databases: DROP "
			    "DATABASE), or give the server more disk, then run again.");
		strbuf_release(&u);
		strbuf_release(&l);
		ret = -1;
	} else {
		report_log(r, LOG_INFO, "free space for the new database: %s in %s, about %s needed",
			   a.buf, dir, b.buf);
	}
out:
	strbuf_release(&a);
	strbuf_release(&b);
	free(pidfile);
	free(dir);
	return ret;
}

int restore_check_db_space(struct restore *rs, struct report *r, struct err *e)
{
	struct err ce = ERR_INIT;
	PGconn *admin;
	int ret;

	if (!rs->admin_conninfo)
		return 0;
	if (!(admin = dbadmin_connect(rs->admin_conninfo, &ce))) {
		report_log(r, LOG_WARN, "free space for the new database: not checked (%s)", ce.msg);
		err_clear(&ce);
		return 0;
	}
	ret = check_db_space(rs, admin, r, e);
	PQfinish(admin);
	return ret;
}

int restore_preflight(struct restore *rs, struct report *r, struct err *e)
{
	const struct conf *c = rs->conf;
	unsigned sel = rs->selected;
	uid_t uid;
	gid_t gid;

	/* a webroot or datadir of /etc, /, or one inside the other (issue 16.3) */
	if (pathguard_dirs(rs->webroot, rs->datadir, c->backup_root, e) < 0)
		return -1;
	/* the targets are known now (config.php was read): lock them */
	if (!rs->dry_run && restore_lock(rs, e) < 0)
		return -1;
	if (check_journal(rs, r, e) < 0)
		return -1;
	if ((sel & STEP_BIT(STEP_WEBROOT)) && !rs->journal_repairs) {
		/* Whatever journal a killed run wrote (another log_dir?), never let
		 * the left-over staging tree be removed with the datadir in it
		 * (a dry run that found it journaled said what a real run moves). */
		char *staging = xstrfmt("%s.restoring", rs->webroot);
		int bad = path_exists(staging) && restore_stranded_datadir(rs, rs->webroot, staging, e) < 0;
		free(staging);
		if (bad)
			return -1;
	}

	if ((sel & (STEP_BIT(STEP_DATADIR) | STEP_BIT(STEP_VERIFY))) &&
	    conf_web_owner(c, &uid, &gid, e) < 0)
		return -1;
	if (sel & (STEP_BIT(STEP_MIGRATIONS) | STEP_BIT(STEP_VERIFY))) {
		const char **cli = bisocli_argv(c, NULL);
		int ok = have_program(cli[0]);
		if (!ok && c->biso_cli && c->biso_cli[0]) {
			err_set(e, "%s (the program of biso_cli) is not there", cli[0]);
			err_hint(e, "Install it, or set biso_cli in the configuration to a program "
				    "with its full path.");
		} else if (!ok) {
			err_set(e, "the php binary %s is not there", c->php);
			err_hint(e, "Install php-cli, or set php (or biso_cli) in the configuration.");
		}
		free(cli);
		if (!ok || web_user_reaches_webroot(rs, e) < 0)
			return -1;
	}
	if (check_target_database(rs, r, e) < 0)
		return -1;
	if (sel & (STEP_BIT(STEP_MIGRATIONS) | STEP_BIT(STEP_VERIFY))) {
		/* biso-cli works on the database config.php names: into another
		 * one, the migrations and the verification would check the wrong
		 * database and pass */
		struct strbuf w = STRBUF_INIT;
		if (restore_app_db_differs(rs, &w)) {
			err_set(e, "%s: the migrations and the verification run biso-cli, which works "
				"on \"%s\", not on \"%s\"", w.buf, rs->app_dbname, rs->dbname);
			err_hint(e, "Give --config-php a config.php that names database \"%s\", or "
				    "leave out the migrations and the verification with --only "
				    "webroot,config,datadir,database.", rs->dbname);
			strbuf_release(&w);
			return -1;
		}
		strbuf_release(&w);
	}
	if (restore_check_archives(rs, e) < 0)
		return -1;
	if ((sel & STEP_BIT(STEP_DATABASE)) && restore_check_plan_dump(rs, r, e) < 0)
		return -1;
	if ((sel & STEP_BIT(STEP_DATABASE)) && rs->log_dump && restore_check_dump(rs, rs->log_dump, r, e) < 0)
		return -1;
	if (sel & STEP_BIT(STEP_DATABASE)) {
		PGconn *admin = dbadmin_connect(rs->admin_conninfo, e);
		int ret = 0;
		if (!admin) {
			err_hint(e, "Check database.admin_conninfo (default: the target conninfo with "
				    "dbname=postgres).");
			return -1;
		}
		/* another restore of this database (from another machine too)
		 * would make the step fail after the files were replaced */
		if (rs->dbname)
			ret = dbadmin_try_lock(admin, rs->dbname, e);
		if (!ret && rs->dbname) {
			/* the encoding and locale the database step will ask for,
			 * checked by asking for them (a probe database) */
			struct dbadmin_create_opts co = { 0 };
			char *owner = nonempty(c->database.owner) ? xstrdup(c->database.owner)
								   : conninfo_get(rs->conninfo, "user");
			char *probe = xstrfmt("%s_localeprobe_%ld", rs->dbname, (long)getpid());
			co.owner = nonempty(owner);
			co.encoding = nonempty(c->database.encoding);
			co.lc_collate = nonempty(c->database.lc_collate);
			co.lc_ctype = nonempty(c->database.lc_ctype);
			ret = dbadmin_check_create(admin, probe, &co, e);
			free(probe);
			free(owner);
		}
		if (!ret)
			ret = check_db_space(rs, admin, r, e);
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
		restore_check_live_tables(rs, r);
	}
	if (nonempty(c->env_expected) && rs->env && strcmp(rs->env, c->env_expected)) {
		report_log(r, LOG_WARN, "config.php says env '%s', not '%s': is this the right "
			   "config.php for a disaster recovery?", rs->env, c->env_expected);
		rs->env_warned = xstrdup(rs->env);
	}
	restore_report_kept(rs, r);
	return 0;
}

void restore_kept_where(const struct restore *rs, struct restore_kept *k)
{
	const struct conf *c = rs->conf;
	size_t n = 0;

	memset(k, 0, sizeof *k);
	k->where.webroot = rs->webroot;
	k->where.datadir = rs->datadir;
	k->where.keep_dir = c->keep_dir;
	k->where.admin_conninfo = rs->admin_conninfo;
	k->where.dbnames = k->dbs;
	/* a run whose steps do not resolve the database (--only webroot) still
	 * knows it from config.php: its kept copies take space all the same */
	if (!rs->dbname && rs->conninfo) {
		k->dbname = conninfo_get(rs->conninfo, "dbname");
		if (k->dbname && !*k->dbname) {
			free(k->dbname);
			k->dbname = NULL;
		}
	}
	if (!rs->admin_conninfo && (rs->dbname || k->dbname)) {
		/* a run that does not need the server must not hang on one that
		 * is down: a listing waits 5 s at most */
		const char *admin = nonempty(c->database.admin_conninfo) ? c->database.admin_conninfo
									 : rs->conninfo;
		char *db = nonempty(c->database.admin_conninfo) ? conninfo_get(admin, "dbname") : NULL;
		char *ci = conninfo_with_dbname(admin, db && *db ? db : "postgres", NULL);
		if (ci) {
			struct strbuf sb = STRBUF_INIT;
			strbuf_addstr(&sb, ci);
			conninfo_append(&sb, "connect_timeout", "5");
			k->admin_conninfo = strbuf_detach(&sb, NULL);
		}
		free(ci);
		free(db);
		k->where.admin_conninfo = k->admin_conninfo;
	}
	if (rs->dbname || k->dbname)
		k->dbs[n++] = rs->dbname ? rs->dbname : k->dbname;
	if (rs->log_dbname)
		k->dbs[n++] = rs->log_dbname;
	else if (n && c->log_database.enabled && nonempty(c->log_database.dbname))
		k->dbs[n++] = c->log_database.dbname;
}

void restore_kept_release(struct restore_kept *k)
{
	free(k->dbname);
	free(k->admin_conninfo);
	memset(k, 0, sizeof *k);
}

void restore_report_kept(const struct restore *rs, struct report *r)
{
	struct restore_kept k;
	struct kept_list l;
	struct err e = ERR_INIT;

	restore_kept_where(rs, &k);
	/* a quick look, not du over every kept datadir on each run (200,000
	 * files take a second with a warm cache, far longer with a cold one):
	 * past this the sizes are lower bounds; cleanup counts them whole */
	k.where.max_entries = 50000;
	/* they pile up unseen: say what they take, and when space runs short */
	if (keptcopies_find(&k.where, &l, r, &e) < 0) {
		report_log(r, LOG_WARN, "%s", e.msg);
		err_clear(&e);
		restore_kept_release(&k);
		return;
	}
	keptcopies_report(&l, time(NULL), r);
	keptcopies_release(&l);
	restore_kept_release(&k);
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
int restore_stop_services(struct restore *rs, struct report *r, struct err *e)
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

/* Start what restore_stop_services() (or an interrupted earlier run) stopped, once;
 * the journal entry is closed when every start command succeeded. */
int restore_start_services(struct restore *rs, struct report *r, struct err *e)
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
	if (restore_start_services(rs, r, &e) < 0) {
		report_log(r, LOG_ERROR, "starting services failed: %s", e.msg);
		ret = -1;
	}
	err_clear(&e);
	return ret;
}
