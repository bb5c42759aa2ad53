/* restore_plan: the plan and the summary as text (--dry-run, the end of a
 * run); see restore.h. */
#include "config.h"
#include "restore.h"
#include "restore_int.h"
#include "backupset.h"
#include "bisocli.h"
#include "conf.h"
#include "conninfo.h"
#include "runcmd.h"
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Append one shell command line (each word quoted where needed), or
 * several joined by " | " when @pipe_at > 0 (the index of the word where
 * the second command starts). */
/* "cd WEBROOT && [runuser -u WEB_USER --] php biso-cli SUB...", quoted
 * for a shell. */
static void add_bisocli_cmd(struct strbuf *out, const struct restore *rs, const char *const *sub)
{
	const char **argv = bisocli_argv(rs->conf, sub);
	strbuf_addstr(out, "     cd ");
	runcmd_format_argv((const char *const[]){ rs->webroot, NULL }, out);
	strbuf_addstr(out, " && ");
	/* as the run does it: as the web user when it switches to it */
	if (bisocli_switches_user(rs->conf)) {
		runcmd_format_argv((const char *const[]){ "runuser", "-u", rs->conf->web_user, "--", NULL }, out);
		strbuf_addch(out, ' ');
	}
	runcmd_format_argv(argv, out);
	strbuf_addch(out, '\n');
	free(argv);
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

/* @s quoted as an SQL identifier (@q '"') or literal (@q '\''): @q
 * around it, doubled inside, as quote_ident() and quote_literal() do. */
static void add_sql_quoted(struct strbuf *out, char q, const char *s)
{
	strbuf_addch(out, q);
	for (; *s; s++) {
		if (*s == q)
			strbuf_addch(out, q);
		strbuf_addch(out, *s);
	}
	strbuf_addch(out, q);
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
		/* where the step keeps the old one: out of the webroot when it
		 * lives inside it (the same path the step itself uses) */
		kept = restore_kept_datadir_dest(rs);
		if (!kept)
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
		{
			/* as the step swaps: the sessions on the live database ended
			 * (RENAME refuses while one is left), both renames in one
			 * transaction */
			struct strbuf q = STRBUF_INIT;
			strbuf_addstr(&q, "BEGIN; ");
			if (!rs->db_missing) {
				strbuf_addstr(&q, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
					      "WHERE datname = ");
				add_sql_quoted(&q, '\'', orq(rs->dbname));
				strbuf_addstr(&q, " AND pid <> pg_backend_pid(); ALTER DATABASE ");
				add_sql_quoted(&q, '"', orq(rs->dbname));
				strbuf_addstr(&q, " RENAME TO ");
				add_sql_quoted(&q, '"', keepdb);
				strbuf_addstr(&q, "; ");
			}
			strbuf_addstr(&q, "ALTER DATABASE ");
			add_sql_quoted(&q, '"', staging);
			strbuf_addstr(&q, " RENAME TO ");
			add_sql_quoted(&q, '"', orq(rs->dbname));
			strbuf_addstr(&q, "; COMMIT;");
			sql = strbuf_detach(&q, NULL);
		}
		add_cmd(out, 0, "psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", h, "-p", pt, "-U",
			"postgres", "-d", "postgres", "-c", sql, NULL);
		add_cmd(out, 0, "psql", "-h", h, "-p", pt, "-U", owner ? owner : "postgres", "-d",
			orq(rs->dbname), "-c", "ANALYZE", NULL);
		break;
	}
	case STEP_MIGRATIONS:
		add_bisocli_cmd(out, rs, (const char *const[]){ "migration", "exec", NULL });
		break;
	case STEP_VERIFY:
		if (c->migration_status && c->migration_status[0])
			add_bisocli_cmd(out, rs, (const char *const *)c->migration_status);
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
		/* a directory is said so in the size column already */
		if (it->kind == MAGIC_DIR)
			strbuf_addf(out, "  %s\n", it->name);
		else
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

/* What to do after a database step without the migrations step. */
#define MIGRATIONS_HINT "run biso-recover restore --only migrations,verify"

void restore_plan_text(const struct restore *rs, struct strbuf *out)
{
	char *lock = restore_webroot_lock_path(rs), *dblock = restore_database_lock_path(rs);
	strbuf_addf(out, "Restore plan (%s), nothing has been touched:\n", rs->stamp);
	char *loglock = restore_log_database_lock_path(rs);
	strbuf_addf(out, "locks: webroot %s; database %s", lock, dblock ? dblock : "(not known)");
	if (loglock)
		strbuf_addf(out, "; log database %s", loglock);
	strbuf_addstr(out, "\n\n");
	free(lock);
	free(dblock);
	free(loglock);
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
	/* a restored dump may be older than the webroot's code */
	if ((rs->selected & STEP_BIT(STEP_DATABASE)) && !(rs->selected & STEP_BIT(STEP_MIGRATIONS)))
		strbuf_addf(out, "warning: migrations will not be run: %s\n", MIGRATIONS_HINT);
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
		if (st->state == STEP_PENDING || (st->state == STEP_SKIPPED && !st->seconds)) {
			/* never ran: no time to show */
			strbuf_addf(out, "%-12s %-8s %8s\n", step_name(s), step_state_name(st->state), "");
			continue;
		}
		strbuf_addf(out, "%-12s %-8s %7.1fs  %s%s\n", step_name(s), step_state_name(st->state),
			    st->seconds,
			    st->state == STEP_FAILED ? orq(st->err.msg) : st->summary ? st->summary : "",
			    st->warnings && st->state == STEP_DONE ? " (warnings)" : "");
	}
	/* what failed and how to fix it: a failed step's row has its message,
	 * one skipped after failing shows its result; both need the hint */
	for (int s = 0; s < STEP_COUNT; s++) {
		const struct step_status *st = &rs->st[s];
		if (!err_isset(&st->err) ||
		    (st->state != STEP_FAILED && st->state != STEP_SKIPPED))
			continue;
		if (st->state == STEP_SKIPPED)
			strbuf_addf(out, "%s failed, then was skipped: %s\n", step_name(s),
				    st->err.msg);
		if (st->err.hint)
			strbuf_addf(out, "hint (%s): %s\n", step_name(s), st->err.hint);
	}
	for (int s = 0; s < STEP_COUNT; s++)
		if (rs->st[s].kept_as)
			strbuf_addf(out, "kept: %s\n", rs->st[s].kept_as);
	for (int s = 0; s < STEP_COUNT; s++)
		if (rs->st[s].state == STEP_DONE && rs->st[s].refused) {
			strbuf_addf(out, "warning: the %s step refused ", step_name(s));
			strbuf_addcount(out, rs->st[s].refused, "archive member", "archive members");
			strbuf_addstr(out, " (listed in the log): the restored tree lacks them\n");
		}
	if (rs->st[STEP_DATABASE].state == STEP_DONE && rs->st[STEP_MIGRATIONS].state != STEP_DONE)
		strbuf_addf(out, "warning: migrations were not run: %s\n", MIGRATIONS_HINT);
	if (rs->db_warning && rs->st[STEP_DATABASE].state != STEP_PENDING &&
	    (rs->selected & STEP_BIT(STEP_DATABASE)))
		strbuf_addf(out, "warning: %s\n", rs->db_warning);
	/* which dump: the operator may have chosen another than the newest */
	if (rs->dump && (rs->st[STEP_DATABASE].state == STEP_DONE ||
			 rs->st[STEP_DATABASE].state == STEP_FAILED))
		strbuf_addf(out, "dump: %s\n", rs->dump);
	if (rs->stopped) {
		strbuf_addf(out, "the run ended early: %s\n", report_reason(rs->stopped));
	} else {
		/* a failed step that stopped the run: steps after it never ran */
		int failed = -1, left = 0;
		for (int s = 0; s < STEP_COUNT; s++) {
			if (!(rs->selected & STEP_BIT(s)))
				continue;
			if (rs->st[s].state == STEP_FAILED && failed < 0)
				failed = s;
			else if (failed >= 0 && rs->st[s].state == STEP_PENDING)
				left = 1;
		}
		if (failed >= 0 && left)
			strbuf_addf(out, "the run ended early: step %s failed\n",
				    step_name((enum step_id)failed));
	}
	if (rs->report_path)
		strbuf_addf(out, "report: %s\n", rs->report_path);
	if (rs->log_path)
		strbuf_addf(out, "log: %s\n", rs->log_path);
}
