/* backup_database: the dump of the database (and of the log database when
 * configured), while maintenance mode is on; see backup.h. */
#include "config.h"
#include "conninfo.h"
#include "i18n.h"
#include "backup_int.h"
#include "bisocli.h"
#include "conf.h"
#include "fault.h"
#include "pgdump.h"
#include "runcmd.h"
#include "strbuf.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void database_describe(const struct run *run, struct strbuf *out)
{
	const struct backup *b = backup_of(run);
	strbuf_addf(out, _("source: database %s\ntarget: %s\n"), b->dbname, b->db.final);
	if (b->log_dbname)
		strbuf_addf(out, _("source: database %s\ntarget: %s\n"), b->log_dbname, b->log_db.final);
}

static void database_manual(const struct run *run, struct strbuf *out)
{
	const struct backup *b = backup_of(run);
	const struct backup_part *parts[] = { &b->db, &b->log_db };
	const char *names[] = { b->dbname, b->log_dbname };
	const char *cis[] = { b->conninfo, b->log_conninfo };
	for (size_t i = 0; i < 2; i++) {
		/* the server the run dumps from, so that the command copied by
		 * hand does not dump another server's database of that name;
		 * never the password */
		const char *keys[] = { "host", "port", "user" };
		const char *flags[] = { "-h", "-p", "-U" };
		const char *argv[16];
		char *vals[3] = { NULL, NULL, NULL };
		size_t n = 0;
		if (!names[i])
			continue;
		argv[n++] = "pg_dump";
		for (size_t k = 0; k < 3; k++) {
			vals[k] = cis[i] ? conninfo_get(cis[i], keys[k]) : NULL;
			if (vals[k] && *vals[k]) {
				argv[n++] = flags[k];
				argv[n++] = vals[k];
			}
		}
		argv[n++] = "--no-owner";
		argv[n++] = "--no-privileges";
		argv[n++] = "--clean";
		argv[n++] = "--if-exists";
		argv[n++] = names[i];
		argv[n] = NULL;
		strbuf_addstr(out, "     $ ");
		runcmd_format_argv(argv, out);
		strbuf_addstr(out, " | gzip > ");
		runcmd_format_argv((const char *const[]){ parts[i]->final, NULL }, out);
		strbuf_addch(out, '\n');
		for (size_t k = 0; k < 3; k++)
			free(vals[k]);
	}
}

/* The room a dump needs: a quarter of the database's size on disk (a
 * plain-format dump leaves out indexes and free space, and gzip shrinks
 * it further); the margin of the space check comes on top. */
static uint64_t dump_need(uint64_t db_size)
{
	return db_size / 4;
}

/* Dump @dbname into part @p; its sizes are appended to the step's summary,
 * @sum[0] in English and @sum[1] in the operator's language. */
static int dump_one(struct backup *b, struct backup_part *p, const char *conninfo,
		    const char *dbname, const char *prefix, uint64_t db_size, int first,
		    struct strbuf *sum, struct report *r, struct err *e)
{
	struct pgdump_opts o = { 0 };
	struct pgdump_result res;
	char *dir = xstrdup(p->partial), *slash = strrchr(dir, '/');
	int ret;

	*slash = '\0';
	if (backup_check_space(dir, dump_need(db_size), "write the dump", e) < 0) {
		free(dir);
		return -1;
	}
	if (fault_fail("backup.dump")) {
		free(dir);
		return err_set(e, "pg_dump of %s failed (fault backup.dump of the test build)", dbname);
	}
	o.conninfo = conninfo;
	o.dbname = dbname;
	o.dir = dir;
	o.prefix = prefix;
	o.when = b->when;
	o.level = b->conf->backup.compress_level; /* 0 (a conf without defaults): the default */
	ret = pgdump_run(&o, &res, r, e);
	free(dir);
	if (ret < 0)
		return -1;
	/* the name pgdump_run() chose (the id's time) is the part's */
	free(p->partial);
	p->partial = xstrdup(res.path);
	p->written = 1;
	if (first) {
		free(b->server_version);
		free(b->pg_dump_version);
		b->server_version = res.server_version ? xstrdup(res.server_version) : NULL;
		b->pg_dump_version = res.pg_dump_version ? xstrdup(res.pg_dump_version) : NULL;
	}
	{
		/* sum[0] English for the log, sum[1] the screen's translation */
		struct strbuf sql = STRBUF_INIT, gz = STRBUF_INIT;
		strbuf_humanise_bytes(&sql, res.sql_bytes);
		strbuf_humanise_bytes(&gz, res.gz_bytes);
		for (int l10n = 0; l10n < 2; l10n++) {
			int was = i18n_english(!l10n);
			if (sum[l10n].len)
				strbuf_addstr(&sum[l10n], "; ");
			strbuf_addf(&sum[l10n], _("%s: %s of SQL, %s gzip"), dbname, sql.buf, gz.buf);
			i18n_english(was);
		}
		strbuf_release(&sql);
		strbuf_release(&gz);
	}
	pgdump_result_release(&res);
	return 0;
}

/* The migrations the dumped database lacks, as the configured
 * migration_status says while the dump runs (maintenance mode is on for
 * both, so nothing migrates in between): "pending: N" and an indented name
 * a line.  Without the command, or when it fails, the manifest goes without
 * them (a warning). */
static void read_migrations(struct backup *b, struct report *r)
{
	const struct conf *c = b->conf;
	struct strbuf out = STRBUF_INIT;
	struct err e = ERR_INIT;
	const char *p;
	size_t n = 0;

	if (!c->migration_status || !c->migration_status[0])
		return;
	/* a retried step reads them again */
	for (char **x = b->pending_migrations; x && *x; x++)
		free(*x);
	free(b->pending_migrations);
	b->pending_migrations = NULL;
	b->migrations_pending = -1;
	if (bisocli_run(c, b->webroot, (const char *const *)c->migration_status, &out, r, &e) < 0) {
		err_prefix(&e, "the manifest goes without the migrations");
		report_log_l10n(r, LOG_WARN, e.lmsg, "%s", e.msg);
		goto out;
	}
	if (!(p = strstr(out.buf, "pending:"))) {
		report_log(r, LOG_WARN, "the manifest goes without the migrations: the "
			   "migration_status command printed no \"pending: N\"");
		goto out;
	}
	b->migrations_pending = strtol(p + 8, NULL, 10);
	for (p = strchr(p, '\n'); p && *++p == ' ';) {
		size_t len = strcspn(p, "\n");
		const char *name = p + strspn(p, " \t");
		size_t nl = len - (size_t)(name - p);
		if (nl) {
			b->pending_migrations = xrealloc(b->pending_migrations,
							 (n + 2) * sizeof *b->pending_migrations);
			b->pending_migrations[n++] = xstrndup(name, nl);
			b->pending_migrations[n] = NULL;
		}
		p = strchr(p, '\n');
	}
out:
	err_clear(&e);
	strbuf_release(&out);
}

/* read_migrations() on a thread of its own beside the dump: both need
 * only maintenance mode to be on (nothing migrates while it is), and the
 * PHP start of migration_status (0.03-0.25 s on a loaded host) then costs
 * no time of the maintenance window.  Its log lines are kept and logged
 * through the step's report after the dump, in their order. */
struct migr_job {
	pthread_t thread;
	struct backup *b;
	struct report q;          /* the thread's: lines into @lines */
	struct report *parent;    /* the step's: asked whether to stop */
	struct strbuf lines;      /* level byte, English line, NUL, shown line, NUL */
	int started;
};

static void migr_log(void *ctx, enum log_level level, const char *line, const char *shown)
{
	struct migr_job *j = ctx;
	strbuf_addch(&j->lines, (char)('0' + level));
	strbuf_add(&j->lines, line, strlen(line) + 1);
	strbuf_add(&j->lines, shown, strlen(shown) + 1);
}

/* The step's cancelled() from the thread: it stops migration_status's PHP
 * child on Ctrl-C or SIGTERM, else migr_join() would wait for it with
 * maintenance mode on.  The step's report asks its front end's, which is
 * thread-safe (the runner's takes its mutex, a signal's is a flag). */
static int migr_cancelled(void *ctx)
{
	struct migr_job *j = ctx;
	return report_cancelled(j->parent);
}

static void *migr_main(void *arg)
{
	struct migr_job *j = arg;
	read_migrations(j->b, &j->q);
	return NULL;
}

static void migr_start(struct migr_job *j, struct backup *b, struct report *r)
{
	memset(j, 0, sizeof *j);
	strbuf_init(&j->lines, 0);
	j->b = b;
	j->parent = r;
	j->q.log_l10n = migr_log;
	j->q.cancelled = migr_cancelled;
	j->q.ctx = j;
	if (!b->conf->migration_status || !b->conf->migration_status[0])
		return;
	j->started = pthread_create(&j->thread, NULL, migr_main, j) == 0;
}

/* Wait for the thread (or, when it could not start, run it here) and log
 * its lines through @r. */
static void migr_join(struct migr_job *j, struct report *r)
{
	if (j->started)
		pthread_join(j->thread, NULL);
	else if (j->b->conf->migration_status && j->b->conf->migration_status[0])
		read_migrations(j->b, &j->q);
	for (size_t i = 0; i < j->lines.len;) {
		enum log_level level = (enum log_level)(j->lines.buf[i] - '0');
		const char *line = j->lines.buf + i + 1, *shown = line + strlen(line) + 1;
		report_line(r, level, line, shown);
		i = (size_t)(shown + strlen(shown) + 1 - j->lines.buf);
	}
	strbuf_release(&j->lines);
}

static int database_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct backup *b = backup_of(run);
	const struct conf *c = b->conf;
	struct strbuf sum[2] = { STRBUF_INIT, STRBUF_INIT };
	char *db = xstrfmt("%s/db", b->root), *partial = xstrfmt("%s/db/%s.partial", b->root, b->id);
	struct migr_job migr;
	int ret = -1, rc;

	if ((mkdir(db, 0755) < 0 && errno != EEXIST) || (mkdir(partial, 0700) < 0 && errno != EEXIST)) {
		err_errno(e, errno, "cannot create %s", partial);
		goto out;
	}
	migr_start(&migr, b, r);
	rc = dump_one(b, &b->db, b->conninfo, b->dbname,
		      c->database.dump_prefix ? c->database.dump_prefix : "biso_", b->db_size, 1, sum,
		      r, e);
	migr_join(&migr, r);
	if (rc < 0)
		goto out;
	backup_tables_start(b, b->db.partial);
	if (b->log_dbname &&
	    dump_one(b, &b->log_db, b->log_conninfo, b->log_dbname,
		     c->log_database.dump_prefix ? c->log_database.dump_prefix : "biso_log_",
		     b->log_db_size, 0, sum, r, e) < 0)
		goto out;
	out->summary = strbuf_detach(&sum[0], NULL);
	out->summary_l10n = strbuf_detach(&sum[1], NULL);
	ret = 0;
out:
	strbuf_release(&sum[0]);
	strbuf_release(&sum[1]);
	free(db);
	free(partial);
	return ret;
}

const struct step_def backup_step_database = {
	.name = "database",
	.title = N_("Dump the database"),
	.explain = N_("pg_dump --no-owner --no-privileges --clean --if-exists, plain format as the "
		"manual says, compressed in parallel into one standard gzip file. pg_dump's exit "
		"status, its messages and the dump's \"dump complete\" trailer are all checked."),
	.flags = STEP_F_DATABASE,
	.describe = database_describe,
	.manual = database_manual,
	.run = database_run,
};
