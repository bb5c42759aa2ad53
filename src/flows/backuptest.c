/* backuptest: the restore test of a backup; see backuptest.h. */
#include "config.h"
#include "i18n.h"
#include "backuptest.h"
#include "conf.h"
#include "conninfo.h"
#include "dbadmin.h"
#include "err.h"
#include "manifest.h"
#include "replay.h"
#include "report.h"
#include "strbuf.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

static void add_bad(struct backuptest_result *res, char *line)
{
	res->bad = xrealloc(res->bad, (res->n_bad + 1) * sizeof *res->bad);
	res->bad[res->n_bad++] = line;
}

void backuptest_release(struct backuptest_result *res)
{
	for (size_t i = 0; i < res->n_bad; i++)
		free(res->bad[i]);
	free(res->bad);
	free(res->scratch);
	memset(res, 0, sizeof *res);
}

/* The admin conninfo: the configuration's, else its database conninfo
 * with dbname=postgres (malloc'd), or NULL with @e. */
static char *admin_conninfo(const struct conf *c, struct err *e)
{
	if (c->database.admin_conninfo)
		return xstrdup(c->database.admin_conninfo);
	if (c->database.conninfo)
		return conninfo_with_dbname(c->database.conninfo, "postgres", e);
	err_set(e, "no admin connection for the restore test");
	err_hint(e, "Set database.admin_conninfo in the configuration (a role that may create "
		    "databases), or give --dbname CONNINFO.");
	return NULL;
}

/* Count the rows of each manifest table in @conn and compare. */
static void compare_rows(PGconn *conn, const struct manifest *m, struct backuptest_result *res)
{
	for (size_t i = 0; i < m->n_tables; i++) {
		char *parts[2] = { NULL, NULL }, *q0 = NULL, *q1 = NULL, *sql;
		int np = dbadmin_split_qualified_name(m->tables[i].name, parts);
		PGresult *pr;
		res->tables++;
		if (np == 0) {
			add_bad(res, xstrfmt(_("%s: not a table name"), m->tables[i].name));
			continue;
		}
		q0 = PQescapeIdentifier(conn, parts[0], strlen(parts[0]));
		if (np == 2)
			q1 = PQescapeIdentifier(conn, parts[1], strlen(parts[1]));
		sql = np == 2 ? xstrfmt("SELECT count(*) FROM %s.%s", q0, q1)
			      : xstrfmt("SELECT count(*) FROM %s", q0);
		pr = PQexec(conn, sql);
		if (PQresultStatus(pr) != PGRES_TUPLES_OK) {
			char *msg = xstrdup(PQerrorMessage(conn));
			msg[strcspn(msg, "\n")] = '\0';
			add_bad(res, xstrfmt("%s: %s", m->tables[i].name, msg));
			free(msg);
		} else {
			unsigned long long n = strtoull(PQgetvalue(pr, 0, 0), NULL, 10);
			if (n != m->tables[i].rows)
				add_bad(res, xstrfmt(_("%s: %llu rows, the manifest says %llu"),
						     m->tables[i].name, n,
						     (unsigned long long)m->tables[i].rows));
		}
		PQclear(pr);
		PQfreemem(q0);
		PQfreemem(q1);
		free(sql);
		free(parts[0]);
		free(parts[1]);
	}
}

int backuptest_run(const struct conf *c, const char *root, const char *id,
		   struct backuptest_result *res, struct report *r, struct err *e)
{
	struct manifest m;
	struct dbadmin_create_opts co = { 0 };
	struct replay_opts ro = { 0 };
	struct replay_stats st;
	const struct manifest_part *db;
	char *mpath = NULL, *admin = NULL, *target = NULL, *dump = NULL;
	PGconn *conn = NULL;
	int ret = -1, created = 0;

	memset(res, 0, sizeof *res);
	manifest_paths(root, id, &mpath, NULL);
	if (manifest_read(mpath, &m, e) < 0)
		goto out;
	if (!(db = manifest_part(&m, "db")) || !m.dbname) {
		err_set(e, "backup %s has no database dump to test", id);
		goto out;
	}
	if (!(admin = admin_conninfo(c, e)))
		goto out;
	res->scratch = xstrfmt("%s_verify_%s", m.dbname, id);
	if (!(conn = dbadmin_connect(admin, e))) {
		err_prefix(e, "restore test");
		goto out;
	}
	/* one left by a test that was killed */
	if (dbadmin_drop(conn, res->scratch, e) < 0)
		goto out;
	co.owner = c->database.owner;
	co.encoding = c->database.encoding;
	co.lc_collate = c->database.lc_collate;
	co.lc_ctype = c->database.lc_ctype;
	if (dbadmin_create(conn, res->scratch, &co, e) < 0) {
		err_prefix(e, "cannot create the scratch database %s", res->scratch);
		goto out;
	}
	created = 1;
	report_log(r, LOG_INFO, "restore test: replaying %s into %s", db->path, res->scratch);
	if (!(target = conninfo_with_dbname(admin, res->scratch, e)))
		goto out;
	dump = xstrfmt("%s/%s", root, db->path);
	ro.conninfo = target;
	ro.dump_path = dump;
	ro.display_name = db->path;
	ro.on_error_stop = 1;
	ro.jobs = 1;
	if (replay_run(&ro, r, &st, e) < 0) {
		if (report_cancelled(r))
			goto out;
		/* the dump does not restore: that is the test's finding */
		add_bad(res, xstrfmt(_("%s does not restore: %s"), db->path, e->lmsg ? e->lmsg : e->msg));
		err_clear(e);
		ret = 1;
		goto out;
	}
	{
		struct err ce = ERR_INIT;
		PGconn *t = dbadmin_connect(target, &ce);
		if (!t) {
			err_set(e, "cannot connect to the scratch database %s: %s", res->scratch, ce.msg);
			err_clear(&ce);
			goto out;
		}
		compare_rows(t, &m, res);
		PQfinish(t);
	}
	ret = res->n_bad ? 1 : 0;
out:
	if (created) {
		struct err de = ERR_INIT;
		if (dbadmin_drop(conn, res->scratch, &de) < 0) {
			report_log(r, LOG_WARN, "could not drop the scratch database %s: %s", res->scratch,
				   de.msg);
			err_clear(&de);
		}
	}
	if (conn)
		PQfinish(conn);
	manifest_release(&m);
	free(mpath);
	free(admin);
	free(target);
	free(dump);
	return ret;
}
