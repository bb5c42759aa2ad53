/*
 * replay_jobs: --jobs N, the extra connections of the replay (see replay.h
 * and replay_int.h).
 *
 * The dump is read once, in order, by the main loop; no COPY data is held
 * in memory for another connection.  Up to N jobs run at
 * once on a pool of up to 4N connections (a finished job keeps its
 * connection until its turn to commit, see below); slot 0 is the main
 * connection.  Connections open when first needed; one the server refuses
 * (max_connections, a role's limit) shrinks the pool with a warning
 * instead of failing the restore.  Two kinds of statements become
 * jobs that run on any idle slot while the main loop reads on:
 *   - in the data section (TOC "TABLE DATA"), `COPY t (...) FROM stdin` of
 *     a plain table without triggers (pg_class.relhastriggers: no foreign
 *     key or trigger can see another COPY's uncommitted rows).  The data is
 *     written to a spool file as it is read and sent from there by a thread
 *     (replay_spool.c), so the main loop reaches the next table's COPY, on
 *     another connection, while the server still parses this one;
 *   - in the post-data section, `CREATE [UNIQUE] INDEX ... ON t` (TOC
 *     "INDEX") and `ALTER TABLE ONLY t ADD CONSTRAINT c PRIMARY KEY|UNIQUE`
 *     (TOC "CONSTRAINT") on a plain table or materialized view.  Index
 *     builds share their table (ShareLock); an ADD CONSTRAINT takes the
 *     table exclusively, so it never runs beside another job on its table.
 *     The plain form pg_dump writes, `ADD CONSTRAINT c PRIMARY KEY|UNIQUE
 *     (cols);` on a table that is no partition (and, for a primary key,
 *     whose columns are NOT NULL already), is split in two, as one would by
 *     hand: `CREATE UNIQUE INDEX c ON t (cols)` runs as a shared job beside
 *     the table's other index builds, and `ADD CONSTRAINT c PRIMARY KEY|
 *     UNIQUE USING INDEX c` (a catalog change: no scan, the columns are NOT
 *     NULL and the index unique) runs at the next barrier, in dump order,
 *     before any statement that could need the constraint (a FK, an INDEX
 *     ATTACH).  The constraint, its index and pg_dump's output are the same
 *     as from the single statement; a big table's PK no longer holds back
 *     the other index builds on it.  Should the ALTER fail, the index is
 *     dropped and the error names the original statement.
 *     With N > 1 index builds run without parallel workers: the jobs use
 *     the cores instead (two builds with workers each side by side were no
 *     faster than one after the other; bench/README.md).  Not so the last
 *     builds of the dump, when fewer are left (by the dump check's TOC
 *     counts) than N: a connection would idle beside them, so they may
 *     have the server's workers.  A build without workers,
 *     and one in order on the main connection that would get no parallel
 *     worker either, gets the sort memory of replay_sort_mem_kb() (SET
 *     LOCAL in the job's transaction); one that gets a worker keeps the
 *     session's (replay_sort_mem_set()).
 *   - a COPY of a table with at least split_min bytes of data (REPLAY_SPLIT_MIN,
 *     counted by the dump check, whose reading the replay then has; such a
 *     COPY that comes while the check runs waits for it, since inside the
 *     check's transaction it would be loaded whole: replay_jobs_split_ahead()) that no
 *     ALTER TABLE ... CLUSTER ON names is split in two jobs on two
 *     connections: the first half of its rows (by the check's count) goes
 *     to one COPY, the rest to another, each fed from its own spool, so
 *     that two backends parse one dominant table (pgbench_accounts: the
 *     other core idled during its COPY; bench/README.md).  Both halves are
 *     contiguous in the dump, so an error names its line as before; they
 *     commit together or not at all (tie_ready()): as with one COPY, the
 *     table gets all rows or none.  The heap order is the two halves
 *     interleaved: the same rows, which pg_dump writes in another order.
 * Every other statement first waits until all jobs ended (a barrier) and
 * then runs on the main connection in dump order: FK constraints (after the
 * PK/UNIQUE they need), triggers, rules, ACLs, comments, matview
 * refreshes, sequence values, large-object blocks (never split), \connect.
 * pg_dump writes all constraints, then all indexes, then the rest, so the
 * jobs of one kind come in one run.  The first post-data jobs may start
 * while the last COPYs still run, but never on the table of one of them.
 *
 * Each job runs inside BEGIN ... COMMIT on its connection.  In stop mode
 * the jobs commit in dump order: a job that finished waits for the jobs
 * before it; when one fails (or the main loop stops inside a job's COPY),
 * the jobs before it still commit and the later ones are cancelled and
 * rolled back, so the database ends as with one connection.  Since two jobs that conflict on a table lock never run at
 * the same time, no job waits for a lock another job holds while waiting
 * for its turn to commit (no deadlock the server cannot see).  In continue
 * mode jobs commit as they end.
 *
 * Session settings: SET, RESET and set_config() statements run on the main
 * connection are remembered (the last one per parameter) and replayed on a
 * slot before it gets a job, so every connection has the same session
 * (search_path, role, client_encoding, ...).  \connect closes the other
 * connections; they reconnect to the new database when next needed.
 */
#include "config.h"
#include "replay_int.h"
#include "dumpinfo.h"
#include "report.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>

enum job_state { J_IDLE, J_RUNNING, J_DONE, J_FAILED };

/* What a statement can become (job_kind()). */
enum job_kind {
	JOB_NONE = 0,     /* runs in order on the main connection */
	JOB_COPY,         /* COPY t FROM stdin of the data section */
	JOB_INDEX,        /* CREATE [UNIQUE] INDEX: shares its table */
	JOB_CONSTRAINT,   /* ALTER TABLE ONLY t ADD CONSTRAINT: takes t exclusively */
	JOB_SPLIT,        /* an ADD CONSTRAINT PRIMARY KEY|UNIQUE (cols) built as
			     CREATE UNIQUE INDEX + ADD CONSTRAINT USING INDEX */
};

struct job_slot {
	PGconn *conn;      /* NULL for slot 0 (rp->conn) and before the first job */
	uint64_t gen;      /* settings applied up to this generation */
	enum job_state state;
	enum job_kind kind; /* JOB_COPY or a post-data job */
	int exclusive;     /* takes its table exclusively */
	unsigned rel;      /* pg_class oid of the table (post-data jobs) */
	uint64_t seq;      /* dump order */
	char *text, *toc;
	long line, data_line;
	struct err err;
	int cancelled;
	long deferred;     /* index into pool->def of its ADD CONSTRAINT, or -1 */
	int partner;       /* the slot of the other half of a split COPY, or -1 */
	struct replay_spool *spool; /* a COPY still being fed by its thread */
};

/* The ADD CONSTRAINT ... USING INDEX half of a split PK/UNIQUE constraint. */
struct deferred {
	char *alter;     /* the ALTER TABLE ... USING INDEX statement */
	char *drop;      /* DROP INDEX for when the ALTER fails */
	char *text, *toc; /* the dump's statement, for errors */
	long line;
	int ready;       /* the index was built and committed */
};

struct setting {
	char *key, *stmt;
	uint64_t gen;
};

struct replay_pool {
	int n;           /* connections (slots) */
	int running_max; /* jobs running at once: --jobs */
	struct job_slot *s;
	struct setting *set;
	size_t n_set, alloc_set;
	uint64_t gen;
	uint64_t next_seq, commit_seq;
	int stop; /* a job failed in stop mode, or the connection was lost */
	uint64_t stop_seq; /* when stopping: jobs before this one still commit */
	struct deferred *def;
	size_t n_def, alloc_def;
	unsigned long builds_seen; /* post-data index builds read so far (builds_left()) */
};

static PGconn *slot_conn(struct replay *rp, int i)
{
	return i == 0 ? rp->conn : rp->pool->s[i].conn;
}

void replay_jobs_init(struct replay *rp)
{
	struct replay_pool *p = xcalloc(1, sizeof(*p));
	p->running_max = rp->o->jobs > 16 ? 16 : rp->o->jobs;
	/* a job that finished before an earlier one waits for its turn to
	 * commit (stop mode) and keeps its connection meanwhile: after a big
	 * index build come the small ones of the other tables, which park
	 * while up to running_max jobs run.  Connections open when needed. */
	p->n = 4 * p->running_max;
	p->s = xcalloc((size_t)p->n, sizeof(*p->s));
	for (int i = 0; i < p->n; i++) {
		p->s[i].err = (struct err)ERR_INIT;
		p->s[i].deferred = -1;
		p->s[i].partner = -1;
	}
	p->stop_seq = UINT64_MAX;
	rp->pool = p;
}

/* Stop: the job @seq failed (UINT64_MAX: something after every job).  The
 * jobs before it still commit, in order, as they would have with one
 * connection; the later ones are cancelled and rolled back. */
static void pool_stop(struct replay_pool *p, uint64_t seq)
{
	p->stop = 1;
	if (seq < p->stop_seq)
		p->stop_seq = seq;
}

static int slots_busy(const struct replay *rp)
{
	for (int i = 0; i < rp->pool->n; i++)
		if (rp->pool->s[i].state != J_IDLE)
			return 1;
	return 0;
}

int replay_jobs_busy(const struct replay *rp)
{
	return slots_busy(rp) || rp->pool->n_def > 0;
}

/* ---- session settings ---- */

static char *setting_key(const char *s)
{
	struct strbuf k = STRBUF_INIT;
	const char *p = s;
	while (isspace((unsigned char)*p))
		p++;
	if (!strncasecmp(p, "SELECT", 6)) {
		p = strstr(p, "set_config(");
		if (!p)
			return xstrdup(s);
		p += 11;
		while (*p == ' ' || *p == '\'')
			p++;
		while (*p && *p != '\'')
			strbuf_addch(&k, tolower((unsigned char)*p++));
		return strbuf_detach(&k, NULL);
	}
	/* SET [SESSION] name / SET SESSION AUTHORIZATION / SET ROLE / RESET name */
	while (*p && !isspace((unsigned char)*p))
		p++;
	while (isspace((unsigned char)*p))
		p++;
	if (!strncasecmp(p, "SESSION", 7) && isspace((unsigned char)p[7]) &&
	    strncasecmp(p + 8, "AUTHORIZATION", 13)) {
		p += 7;
		while (isspace((unsigned char)*p))
			p++;
	}
	while (*p && !isspace((unsigned char)*p) && *p != '=' && *p != ';')
		strbuf_addch(&k, tolower((unsigned char)*p++));
	if (!strcmp(k.buf, "session"))
		strbuf_addstr(&k, " authorization");
	return strbuf_detach(&k, NULL);
}

void replay_jobs_setting(struct replay *rp, const char *stmt)
{
	struct replay_pool *p = rp->pool;
	char *key = setting_key(stmt);
	size_t i;
	for (i = 0; i < p->n_set; i++)
		if (!strcmp(p->set[i].key, key))
			break;
	if (i == p->n_set) {
		if (p->n_set == p->alloc_set) {
			p->alloc_set = p->alloc_set ? 2 * p->alloc_set : 16;
			p->set = xrealloc(p->set, p->alloc_set * sizeof(*p->set));
		}
		p->set[i].key = key;
		p->n_set++;
	} else {
		free(key);
		free(p->set[i].stmt);
	}
	p->set[i].stmt = xstrdup(stmt);
	p->set[i].gen = ++p->gen;
}

/* Connect slot @i if needed and bring its session up to date.  Returns 0,
 * or 1 when no connection could be opened: the pool then shrinks to the
 * slots below @i (max_connections reached, say) and the replay goes on. */
static int slot_ready(struct replay *rp, int i)
{
	struct replay_pool *p = rp->pool;
	struct job_slot *s = &p->s[i];
	if (i == 0)
		return 0;
	if (!s->conn) {
		struct err e = ERR_INIT;
		s->conn = replay_connect(rp, NULL, &e);
		if (!s->conn) {
			report_log(rp->r, LOG_WARN, "could not open database connection %d for --jobs %d, "
				   "going on with %d: %s", i + 1, p->running_max, i, e.msg);
			rp->st->warnings++;
			err_clear(&e);
			p->n = i;
			if (p->running_max > i)
				p->running_max = i;
			return 1;
		}
		s->gen = 0;
	}
	for (size_t k = 0; k < p->n_set; k++) {
		if (p->set[k].gen <= s->gen)
			continue;
		/* failures were already reported on the main connection */
		PQclear(PQexec(s->conn, p->set[k].stmt));
	}
	s->gen = p->gen;
	return 0;
}

/* ---- parsing the few statements that become jobs ---- */

static const char *ws(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

static int kw(const char **pp, const char *w)
{
	const char *p = ws(*pp);
	size_t n = strlen(w);
	if (strncasecmp(p, w, n) || isalnum((unsigned char)p[n]) || p[n] == '_')
		return 0;
	*pp = p + n;
	return 1;
}

/* A possibly qualified, possibly quoted name at *@pp: its length, 0 if none. */
static size_t qualname(const char **pp)
{
	const char *p = ws(*pp), *start = p;
	for (;;) {
		if (*p == '"') {
			for (p++; *p; p++)
				if (*p == '"') {
					if (p[1] != '"')
						break;
					p++;
				}
			if (!*p)
				return 0;
			p++;
		} else {
			const char *q = p;
			while (isalnum((unsigned char)*p) || *p == '_' || *p == '$' || (unsigned char)*p >= 0x80)
				p++;
			if (p == q)
				return 0;
		}
		if (*p != '.')
			break;
		p++;
	}
	*pp = start;
	return (size_t)(p - start);
}

/* 1 when the name of length @n at @p (from qualname) has one part only. */
static int one_part(const char *p, size_t n)
{
	size_t k = 0;
	if (*p != '"')
		return memchr(p, '.', n) == NULL;
	for (k = 1; k < n; k++)
		if (p[k] == '"') {
			if (k + 1 < n && p[k + 1] == '"')
				k++;
			else
				break;
		}
	return k + 1 == n;
}

/* The parts of a splittable `ADD CONSTRAINT name PRIMARY KEY|UNIQUE (cols)`. */
struct split {
	struct strbuf name, cols; /* cols: "(a, b)" as written */
	struct strbuf colarr;     /* cols as a text[] literal of quoted names */
	size_t ncols;
	int pkey;
};
#define SPLIT_INIT { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, 0, 0 }

static void split_release(struct split *sp)
{
	strbuf_release(&sp->name);
	strbuf_release(&sp->cols);
	strbuf_release(&sp->colarr);
}

/* Parse "(col, col)" then ";" or the end at @p into @sp.  pg_dump writes
 * the names as fmtId() does: plain or "double quoted". */
static int split_cols(const char *p, struct split *sp)
{
	const char *start;
	p = ws(p);
	if (*p != '(')
		return 0;
	start = p++;
	strbuf_addch(&sp->colarr, '{');
	for (;;) {
		const char *q = ws(p);
		size_t n = qualname(&q);
		if (!n || !one_part(q, n))
			return 0;
		strbuf_addstr(&sp->colarr, sp->ncols ? ",\"" : "\"");
		for (size_t k = 0; k < n; k++) {
			if (q[k] == '"' || q[k] == '\\')
				strbuf_addch(&sp->colarr, '\\');
			strbuf_addch(&sp->colarr, q[k]);
		}
		strbuf_addch(&sp->colarr, '"');
		sp->ncols++;
		p = ws(q + n);
		if (*p == ')')
			break;
		if (*p != ',')
			return 0;
		p++;
	}
	p++;
	strbuf_add(&sp->cols, start, (size_t)(p - start));
	strbuf_addch(&sp->colarr, '}');
	p = ws(p);
	if (*p == ';')
		p = ws(p + 1);
	return *p == 0;
}

/* What kind of job @it can be (JOB_SPLIT: see the top; @sp filled).
 * @rel gets the table. */
static enum job_kind job_kind(struct replay *rp, const struct sqlscan_item *it,
			      struct strbuf *rel, struct split *sp)
{
	const char *p = it->text, *t = rp->sc.toc_type.buf;
	size_t n;
	enum job_kind kind = JOB_NONE;

	if (it->copy_in) {
		if (rp->sc.section != SQLSCAN_DATA || strcmp(t, "TABLE DATA") || !kw(&p, "COPY"))
			return JOB_NONE;
		kind = JOB_COPY;
	} else if (rp->sc.section != SQLSCAN_POST_DATA) {
		return JOB_NONE;
	} else if (!strcmp(t, "INDEX")) {
		if (!kw(&p, "CREATE"))
			return JOB_NONE;
		kw(&p, "UNIQUE");
		if (!kw(&p, "INDEX") || kw(&p, "CONCURRENTLY") || kw(&p, "IF"))
			return JOB_NONE;
		if (!(n = qualname(&p)))
			return JOB_NONE;
		p += n;
		if (!kw(&p, "ON"))
			return JOB_NONE;
		kw(&p, "ONLY");
		kind = JOB_INDEX;
	} else if (!strcmp(t, "CONSTRAINT")) {
		if (!kw(&p, "ALTER") || !kw(&p, "TABLE") || !kw(&p, "ONLY"))
			return JOB_NONE;
		kind = JOB_CONSTRAINT;
	} else {
		return JOB_NONE;
	}
	if (!(n = qualname(&p)))
		return JOB_NONE;
	strbuf_reset(rel);
	strbuf_add(rel, p, n);
	p += n;
	if (kind == JOB_COPY)
		return (*ws(p) == '(' || kw(&p, "FROM")) ? JOB_COPY : JOB_NONE;
	if (kind == JOB_CONSTRAINT) {
		const char *name;
		if (!kw(&p, "ADD") || !kw(&p, "CONSTRAINT") || !(n = qualname(&p)))
			return JOB_NONE;
		name = p;
		p += n;
		if (kw(&p, "PRIMARY") && kw(&p, "KEY"))
			sp->pkey = 1;
		else if (!kw(&p, "UNIQUE"))
			return JOB_NONE;
		if (one_part(name, n)) {
			strbuf_add(&sp->name, name, n);
			if (split_cols(p, sp))
				return JOB_SPLIT;
		}
	}
	return kind;
}

int replay_index_build_rel(struct replay *rp, const struct sqlscan_item *it, struct strbuf *rel)
{
	struct split sp = SPLIT_INIT;
	enum job_kind kind = job_kind(rp, it, rel, &sp);
	split_release(&sp);
	return kind == JOB_INDEX || kind == JOB_CONSTRAINT || kind == JOB_SPLIT;
}

/* ---- results, commits, waiting ---- */

/* Collect the results of a RUNNING slot that is no longer busy. */
static void job_result(struct replay *rp, int i)
{
	struct job_slot *s = &rp->pool->s[i];
	PGconn *conn = slot_conn(rp, i);
	PGresult *res;
	int failed = 0;
	while ((res = PQgetResult(conn))) {
		if (PQresultStatus(res) == PGRES_FATAL_ERROR && !failed) {
			long line = s->kind == JOB_COPY ? replay_copy_error_line(res, s->data_line) : 0;
			replay_server_error(rp, conn, &s->err, res, s->text, s->toc, line ? line : s->line);
			failed = 1;
		}
		PQclear(res);
	}
	if (PQstatus(conn) == CONNECTION_BAD && !failed) {
		err_set(&s->err, "the server closed the connection: the replay stopped here");
		err_where(&s->err, rp->name, s->line, -1);
		failed = 1;
	}
	s->state = failed ? J_FAILED : J_DONE;
}

static void job_free(struct job_slot *s)
{
	if (s->spool) {
		replay_spool_finish(s->spool);
		s->spool = NULL;
	}
	free(s->text);
	free(s->toc);
	s->text = s->toc = NULL;
	err_clear(&s->err);
	s->state = J_IDLE;
	s->kind = JOB_NONE;
	s->rel = 0;
	s->cancelled = 0;
	s->deferred = -1;
	s->partner = -1;
}

/* The halves of a split COPY settle together: 0 while the other one still
 * runs, else 1; when either failed, both are J_FAILED and the error is the
 * first half's (in stop mode the errors of later jobs are not reported). */
static int tie_ready(struct replay_pool *p, int i)
{
	struct job_slot *s = &p->s[i], *o, *lo, *hi;
	if (s->partner < 0)
		return 1;
	o = &p->s[s->partner];
	if (o->state == J_RUNNING)
		return 0;
	if (s->state == J_FAILED || o->state == J_FAILED) {
		lo = s->seq < o->seq ? s : o;
		hi = lo == s ? o : s;
		if (!err_isset(&lo->err))
			err_move(&lo->err, &hi->err);
		err_clear(&hi->err);
		lo->state = hi->state = J_FAILED;
	}
	return 1;
}

/* Commit or roll back one finished job, record its error. */
static void job_settle(struct replay *rp, int i)
{
	struct replay_pool *p = rp->pool;
	struct job_slot *s = &p->s[i];
	PGconn *conn = slot_conn(rp, i);
	if (s->partner >= 0) { /* tie_ready() decided for both */
		p->s[s->partner].partner = -1;
		s->partner = -1;
	}
	if (s->state == J_DONE && s->seq < p->stop_seq) {
		PGresult *res = PQexec(conn, "COMMIT");
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			replay_server_error(rp, conn, &s->err, res, s->text, s->toc, s->line);
			s->state = J_FAILED;
		} else if (s->deferred >= 0) {
			p->def[s->deferred].ready = 1;
		}
		PQclear(res);
	} else {
		PQclear(PQexec(conn, "ROLLBACK"));
	}
	/* the errors of jobs after the failed one are its consequences */
	if (s->state == J_FAILED && err_isset(&s->err) && !(rp->on_error_stop && s->seq > p->stop_seq)) {
		struct err one = ERR_INIT;
		int fatal = PQstatus(conn) == CONNECTION_BAD;
		err_move(&one, &s->err);
		if (fatal && !rp->st->conn_lost) {
			rp->st->conn_lost = 1;
			rp->st->conn_lost_line = s->line;
			if (!one.hint)
				err_hint(&one, "%s", REPLAY_CONN_LOST_HINT);
		}
		if (replay_record_error(rp, &one, fatal) < 0)
			pool_stop(p, s->seq);
	}
	if (PQstatus(conn) == CONNECTION_BAD)
		pool_stop(p, s->seq);
	job_free(s);
}

/* Poll the running slots, settle what can be settled (in dump order in
 * stop mode).  When @block, wait for something to happen first. */
static void pool_step(struct replay *rp, int block)
{
	struct replay_pool *p = rp->pool;
	int again;
	if (block) {
		fd_set fds;
		int maxfd = -1;
		struct timeval tv = { 0, 200 * 1000 };
		FD_ZERO(&fds);
		for (int i = 0; i < p->n; i++)
			if (p->s[i].spool)
				tv.tv_usec = 10 * 1000; /* its thread ends without a sign here */
			else if (p->s[i].state == J_RUNNING) {
				int fd = PQsocket(slot_conn(rp, i));
				if (fd >= 0) {
					FD_SET(fd, &fds);
					if (fd > maxfd)
						maxfd = fd;
				}
			}
		if (maxfd >= 0 || tv.tv_usec < 200 * 1000)
			select(maxfd + 1, maxfd >= 0 ? &fds : NULL, NULL, NULL, &tv);
	}
	for (int i = 0; i < p->n; i++) {
		struct job_slot *s = &p->s[i];
		PGconn *conn = slot_conn(rp, i);
		if (s->state != J_RUNNING)
			continue;
		if (s->spool) {
			/* the feeding thread owns the connection until it is done */
			if (p->stop && !s->cancelled && s->seq > p->stop_seq) {
				replay_spool_cancel(s->spool, "cancelled: an earlier statement failed");
				s->cancelled = 1;
			}
			if (!replay_spool_done(s->spool))
				continue;
			replay_spool_finish(s->spool);
			s->spool = NULL;
		}
		if (!PQconsumeInput(conn) || !PQisBusy(conn))
			job_result(rp, i);
		else if (p->stop && !s->cancelled && s->seq > p->stop_seq) {
			/* a job before this one failed: it will be rolled back anyway */
			PGcancel *c = PQgetCancel(conn);
			char buf[256];
			if (c) {
				PQcancel(c, buf, sizeof(buf));
				PQfreeCancel(c);
			}
			s->cancelled = 1;
		}
	}
	if (rp->on_error_stop) {
		/* commit in dump order: settle the oldest job once it ended
		 * (when stopping, up to the failed one) */
		do {
			again = 0;
			for (int i = 0; i < p->n; i++) {
				struct job_slot *s = &p->s[i];
				if ((s->state == J_DONE || s->state == J_FAILED) && s->seq == p->commit_seq &&
				    s->seq <= p->stop_seq && tie_ready(p, i)) {
					p->commit_seq++;
					job_settle(rp, i);
					again = 1;
				}
			}
		} while (again);
	}
	/* continue mode commits as jobs end; when stopping, the jobs after the
	 * failed one are rolled back */
	for (int i = 0; i < p->n; i++)
		if ((p->s[i].state == J_DONE || p->s[i].state == J_FAILED) &&
		    (!rp->on_error_stop || (p->stop && p->s[i].seq > p->stop_seq)) && tie_ready(p, i))
			job_settle(rp, i);
	if (report_cancelled(rp->r) && !p->stop) {
		struct err e = ERR_INIT;
		err_set(&e, "restore aborted: %s", report_stop_reason(rp->r));
		replay_record_error(rp, &e, 1);
		pool_stop(p, p->commit_seq); /* what is not committed is rolled back */
	}
}

static void deferred_free(struct replay_pool *p)
{
	for (size_t k = 0; k < p->n_def; k++) {
		free(p->def[k].alter);
		free(p->def[k].drop);
		free(p->def[k].text);
		free(p->def[k].toc);
	}
	p->n_def = 0;
}

/* Run the ADD CONSTRAINT ... USING INDEX of each split constraint whose
 * index was committed, in dump order, on the main connection (idle: no job
 * runs).  They precede in the dump whatever failed, so they run even when
 * stopping, as psql would have run them. */
static void deferred_run(struct replay *rp)
{
	struct replay_pool *p = rp->pool;
	for (size_t k = 0; k < p->n_def; k++) {
		struct deferred *d = &p->def[k];
		PGresult *res;
		if (!d->ready || PQstatus(rp->conn) != CONNECTION_OK)
			continue;
		res = PQexec(rp->conn, d->alter);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			struct err one = ERR_INIT;
			replay_server_error(rp, rp->conn, &one, res, d->text, d->toc, d->line);
			PQclear(PQexec(rp->conn, d->drop));
			if (replay_record_error(rp, &one, PQstatus(rp->conn) == CONNECTION_BAD) < 0)
				pool_stop(p, UINT64_MAX);
		}
		PQclear(res);
	}
	deferred_free(p);
}

int replay_jobs_barrier(struct replay *rp)
{
	struct replay_pool *p = rp->pool;
	pool_step(rp, 0);
	while (slots_busy(rp))
		pool_step(rp, 1);
	if (p->n_def)
		deferred_run(rp);
	return p->stop ? -1 : 0;
}

/* An idle slot, waiting for one; -1 when stopping. */
/* An idle slot, connected and with the current session settings, waiting
 * for one; -1 when stopping. */
static int idle_slot(struct replay *rp)
{
	struct replay_pool *p = rp->pool;
	for (;;) {
		int running = 0, i = -1;
		pool_step(rp, 0);
		if (p->stop)
			return -1;
		for (int k = 0; k < p->n; k++)
			running += p->s[k].state == J_RUNNING;
		/* the lowest connection first (fewer are opened); the main one
		 * last, it stays free for in-order work */
		for (int k = 1; k <= p->n && running < p->running_max && i < 0; k++)
			if (p->s[k % p->n].state == J_IDLE)
				i = k % p->n;
		if (i >= 0) {
			int r = slot_ready(rp, i);
			if (r == 0)
				return i;
			continue; /* r == 1: the pool shrank, look again */
		}
		pool_step(rp, 1);
	}
}

static int conflicts(struct replay *rp, unsigned rel, int exclusive)
{
	struct replay_pool *p = rp->pool;
	for (int i = 0; i < p->n; i++) {
		struct job_slot *s = &p->s[i];
		if (s->state != J_IDLE && s->rel == rel && (exclusive || s->exclusive))
			return 1;
	}
	return 0;
}

/* 1 when a post-data job is in flight. */
static int postdata_busy(const struct replay *rp)
{
	for (int i = 0; i < rp->pool->n; i++)
		if (rp->pool->s[i].state != J_IDLE && rp->pool->s[i].kind != JOB_COPY)
			return 1;
	return 0;
}

/* Jobs running now. */
static int running_jobs(const struct replay_pool *p)
{
	int running = 0;
	for (int k = 0; k < p->n; k++)
		running += p->s[k].state == J_RUNNING;
	return running;
}

/* Rows of the first half when the COPY of @rel is to be split, else 0. */
/* A statement of a TOC entry that builds an index: INDEX, or CONSTRAINT
 * (a primary key, unique or exclusion constraint; FK and CHECK
 * constraints have their own TOC types). */
static int build_toc(const struct replay *rp, const struct sqlscan_item *it)
{
	return !it->copy_in && rp->sc.section == SQLSCAN_POST_DATA &&
	       (!strcmp(rp->sc.toc_type.buf, "INDEX") || !strcmp(rp->sc.toc_type.buf, "CONSTRAINT"));
}

/* Index builds left in the dump, the current one included, by the dump
 * check's TOC counts; ULONG_MAX when not known (no check, or it has not
 * passed yet). */
static unsigned long builds_left(const struct replay *rp)
{
	unsigned long total = 0;
	if (!rp->info)
		return ULONG_MAX;
	for (size_t k = 0; k < rp->info->n_types; k++)
		if (!strcmp(rp->info->types[k].type, "INDEX") ||
		    !strcmp(rp->info->types[k].type, "CONSTRAINT"))
			total += rp->info->types[k].count;
	if (rp->pool->builds_seen > total)
		return ULONG_MAX;
	return total - rp->pool->builds_seen + 1;
}

static uint64_t split_half(struct replay *rp, const char *rel)
{
	uint64_t min = rp->o->split_min ? rp->o->split_min : REPLAY_SPLIT_MIN;
	if (!rp->info || rp->pool->running_max < 2)
		return 0;
	for (size_t k = 0; k < rp->info->n_tables; k++) {
		const struct dumpinfo_table *t = &rp->info->tables[k];
		if (strcmp(t->name, rel))
			continue;
		if (t->clustered || t->bytes < min || t->rows < 2)
			return 0;
		return (t->rows + 1) / 2;
	}
	return 0;
}

int replay_jobs_split_ahead(struct replay *rp, const struct sqlscan_item *it)
{
	struct strbuf rel = STRBUF_INIT;
	struct split sp = SPLIT_INIT;
	uint64_t bytes, min = rp->o->split_min ? rp->o->split_min : REPLAY_SPLIT_MIN;
	int ret = 0;
	if (rp->pool && rp->pool->running_max >= 2 && rp->ck &&
	    job_kind(rp, it, &rel, &sp) == JOB_COPY)
		ret = replay_check_copy_bytes(rp->ck, it->line, &bytes) && bytes >= min;
	strbuf_release(&rel);
	split_release(&sp);
	return ret;
}

/* An idle slot other than @busy (about to run a job) for the second half,
 * connected and with the session settings, without waiting; -1 if none. */
static int split_slot(struct replay *rp, int busy)
{
	struct replay_pool *p = rp->pool;
	int running = 1; /* @busy */
	for (int k = 0; k < p->n; k++)
		running += p->s[k].state == J_RUNNING;
	for (int k = 1; k <= p->n && running < p->running_max; k++) {
		int i = k % p->n;
		if (i != busy && p->s[i].state == J_IDLE)
			return slot_ready(rp, i) == 0 ? i : -1;
	}
	return -1;
}

/* The sink of a split COPY: lines up to @half to @a, the rest to @b. */
struct split_sink {
	const struct copy_sink *a, *b;
	uint64_t half, lines;
	int on_b;
};

static int split_put(void *ctx, const char *buf, size_t len)
{
	struct split_sink *ss = ctx;
	const char *p = buf, *end = buf + len;
	size_t head;
	int ok;
	if (ss->on_b)
		return ss->b->put(ss->b->ctx, buf, len);
	while (ss->lines < ss->half && (p = memchr(p, '\n', (size_t)(end - p)))) {
		p++;
		ss->lines++;
	}
	if (ss->lines < ss->half)
		return ss->a->put(ss->a->ctx, buf, len);
	head = (size_t)(p - buf);
	ok = head ? ss->a->put(ss->a->ctx, buf, head) : 1;
	ss->a->end(ss->a->ctx, NULL);
	ss->on_b = 1;
	if (head < len && ss->b->put(ss->b->ctx, buf + head, len - head) != 1)
		return 0;
	return ok;
}

static void split_end(void *ctx, const char *errmsg)
{
	struct split_sink *ss = ctx;
	if (!ss->on_b)
		ss->a->end(ss->a->ctx, errmsg);
	ss->b->end(ss->b->ctx, errmsg);
}

/* Set up slot @j as the second half of the COPY job in @a (seq, text and
 * the rest taken from it; its data begins @half lines later) and start its
 * COPY with @cmd.  Returns 0, or -1 when it did not start (@j stays idle,
 * the COPY is not split). */
static int split_start(struct replay *rp, int ai, int j, const char *cmd, uint64_t half)
{
	struct replay_pool *p = rp->pool;
	struct job_slot *a = &p->s[ai], *b = &p->s[j];
	PGconn *conn = slot_conn(rp, j);
	PGresult *res = PQexec(conn, cmd);
	int copy_in = PQresultStatus(res) == PGRES_COPY_IN;
	PQclear(res);
	if (copy_in)
		b->spool = replay_spool_start(conn);
	if (!b->spool) {
		if (copy_in) {
			PQputCopyEnd(conn, "not split");
			while ((res = PQgetResult(conn)))
				PQclear(res);
		}
		PQclear(PQexec(conn, "ROLLBACK"));
		return -1;
	}
	b->kind = JOB_COPY;
	b->exclusive = 1;
	b->rel = a->rel;
	b->seq = p->next_seq++;
	b->text = xstrdup(a->text);
	b->toc = xstrdup(a->toc);
	b->line = a->line;
	b->data_line = a->data_line + (long)half;
	b->partner = ai;
	a->partner = j;
	report_log(rp->r, LOG_INFO, "%s:%ld: the COPY that begins here is split over two "
		   "connections at line %ld (the same rows; in the heap in another order)",
		   rp->name, a->line, b->data_line);
	return 0;
}

int replay_jobs_offer(struct replay *rp, const struct sqlscan_item *it)
{
	struct replay_pool *p = rp->pool;
	struct strbuf rel = STRBUF_INIT, cmd = STRBUF_INIT, nsp = STRBUF_INIT;
	struct split sp = SPLIT_INIT;
	enum job_kind kind;
	int i, ret = 0;
	struct job_slot *s;
	PGconn *conn;
	PGresult *res;
	const char *val[2];
	unsigned oid = 0;
	int workers;

	if (build_toc(rp, it))
		p->builds_seen++;
	kind = job_kind(rp, it, &rel, &sp);
	if (kind == JOB_NONE)
		goto out;
	/* an exclusive constraint job waits for the split ones of the run */
	if (kind == JOB_CONSTRAINT && p->n_def)
		goto out;
	if (replay_batch_flush(rp) < 0) {
		ret = -1;
		goto out;
	}
	/* the dump's own BEGIN ... COMMIT block: stay in order (slot 0 may be
	 * busy with a job of ours, that is not the dump's transaction) */
	if (p->s[0].state == J_IDLE && PQtransactionStatus(rp->conn) != PQTRANS_IDLE)
		goto out;
	/* post-data jobs may start while the last COPYs run (an index build
	 * waits for its own table's COPY: see conflicts()); a COPY after
	 * post-data jobs waits for them all */
	if (kind == JOB_COPY && (postdata_busy(rp) || p->n_def) && replay_jobs_barrier(rp) < 0) {
		ret = -1;
		goto out;
	}
	/* a COPY to be split (its table's size in the dump's counts says so)
	 * waits for room for both halves: whether it is split follows from
	 * the dump, not from a connection happening to be idle when it comes */
	if (kind == JOB_COPY && split_half(rp, rel.buf)) {
		while (running_jobs(p) > p->running_max - 2 && !p->stop)
			pool_step(rp, 1);
		if (p->stop) {
			ret = -1;
			goto out;
		}
	}
	if ((i = idle_slot(rp)) < 0) {
		ret = -1;
		goto out;
	}
	conn = slot_conn(rp, i);
	val[0] = rel.buf;
	val[1] = kind == JOB_SPLIT ? sp.colarr.buf : "{}";
	/* column 5: how many of the constraint's columns are NOT NULL */
	res = PQexecParams(conn, "SELECT c.oid, c.relkind, c.relhastriggers, c.relispartition, "
			   "pg_catalog.quote_ident(n.nspname), (SELECT pg_catalog.count(*) "
			   "FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 "
			   "AND NOT a.attisdropped AND a.attnotnull "
			   "AND pg_catalog.quote_ident(a.attname) = ANY ($2::pg_catalog.text[])) "
			   "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
			   "WHERE c.oid = pg_catalog.to_regclass($1)", 2, NULL, val, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		char relkind = *PQgetvalue(res, 0, 1);
		int triggers = *PQgetvalue(res, 0, 2) == 't';
		if (kind == JOB_COPY ? (relkind == 'r' && !triggers) : (relkind == 'r' || relkind == 'm'))
			oid = (unsigned)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
		if (kind == JOB_SPLIT && (relkind != 'r' || *PQgetvalue(res, 0, 3) == 't' ||
				  (sp.pkey && strtoul(PQgetvalue(res, 0, 5), NULL, 10) != sp.ncols)))
			kind = JOB_CONSTRAINT; /* no split: the one statement as a job */
		strbuf_addstr(&nsp, PQgetvalue(res, 0, 4));
	}
	PQclear(res);
	if (!oid || (kind == JOB_CONSTRAINT && p->n_def))
		goto out; /* run in order on the main connection */
	if (kind != JOB_COPY && conflicts(rp, oid, kind == JOB_CONSTRAINT)) {
		while (conflicts(rp, oid, kind == JOB_CONSTRAINT)) {
			pool_step(rp, 1);
			if (p->stop) {
				ret = -1;
				goto out;
			}
		}
		/* the job we waited for freed a slot: prefer it to the main one */
		if ((i = idle_slot(rp)) < 0) {
			ret = -1;
			goto out;
		}
		conn = slot_conn(rp, i);
	}

	s = &p->s[i];
	s->kind = kind;
	/* a COPY excludes the post-data jobs of its table */
	s->exclusive = kind == JOB_CONSTRAINT || kind == JOB_COPY;
	s->rel = oid;
	s->deferred = -1;
	s->seq = p->next_seq++;
	s->text = xstrdup(it->text);
	s->toc = xstrdup(rp->sc.toc.buf);
	s->line = it->line;
	s->data_line = it->end_line + 1;
	rp->cur_line = it->line;
	strbuf_addstr(&cmd, "BEGIN;");
	/* Index builds in parallel here, not inside the server as well: each
	 * would start parallel workers for the same cores, and a parallel build
	 * costs more CPU in all than a serial one (measured in bench/README.md).
	 * But when fewer builds are left in the dump than jobs, a connection
	 * will idle beside this one: it may have the server's workers (and the
	 * session's sort memory they need, replay_sort_mem_set()) */
	workers = p->running_max < 2 || builds_left(rp) < (unsigned long)p->running_max;
	if (kind != JOB_COPY && !workers && PQserverVersion(conn) >= 110000)
		strbuf_addstr(&cmd, "SET LOCAL max_parallel_maintenance_workers = 0;");
	if (kind != JOB_COPY && replay_sort_mem_set(conn, rel.buf, 1, workers, &cmd, NULL))
		strbuf_addch(&cmd, ';');
	if (kind == JOB_SPLIT) {
		struct deferred *d;
		if (p->n_def == p->alloc_def) {
			p->alloc_def = p->alloc_def ? 2 * p->alloc_def : 16;
			p->def = xrealloc(p->def, p->alloc_def * sizeof(*p->def));
		}
		d = &p->def[p->n_def];
		memset(d, 0, sizeof(*d));
		d->alter = xstrfmt("ALTER TABLE ONLY %s ADD CONSTRAINT %s %s USING INDEX %s", rel.buf,
				   sp.name.buf, sp.pkey ? "PRIMARY KEY" : "UNIQUE", sp.name.buf);
		d->drop = xstrfmt("DROP INDEX %s.%s", nsp.buf, sp.name.buf);
		d->text = xstrdup(it->text);
		d->toc = xstrdup(rp->sc.toc.buf);
		d->line = it->line;
		s->deferred = (long)p->n_def++;
		strbuf_addf(&cmd, "CREATE UNIQUE INDEX %s ON %s USING btree %s", sp.name.buf, rel.buf,
			    sp.cols.buf);
	} else {
		strbuf_add(&cmd, it->text, it->len);
	}
	if (kind == JOB_COPY) {
		int rc, j = -1;
		uint64_t half = split_half(rp, rel.buf);
		res = PQexec(conn, cmd.buf);
		if (PQresultStatus(res) != PGRES_COPY_IN) {
			replay_server_error(rp, conn, &s->err, res, s->text, s->toc, s->line);
			PQclear(res);
			s->state = J_FAILED;
			if (replay_copy_stream(rp, NULL, it) != 0)
				ret = -1;
		} else {
			PQclear(res);
			/* fed by a thread, so that the next COPY need not wait */
			s->spool = replay_spool_start(conn);
			if (s->spool && half && (j = split_slot(rp, i)) >= 0 &&
			    split_start(rp, i, j, cmd.buf, half) < 0)
				j = -1;
			if (j >= 0) {
				struct split_sink ss = { replay_spool_sink(s->spool),
							 replay_spool_sink(p->s[j].spool), half, 0, 0 };
				struct copy_sink sink = { split_put, split_end, &ss };
				rc = replay_copy_stream_sink(rp, &sink, it);
			} else if (s->spool) {
				rc = replay_copy_stream_sink(rp, replay_spool_sink(s->spool), it);
			} else {
				rc = replay_copy_stream(rp, conn, it);
			}
			if (rc != 0) {
				/* truncated (recorded) or a read error: roll back, stop */
				int spooled = s->spool != NULL;
				job_free(s);
				if (spooled)
					while ((res = PQgetResult(conn)))
						PQclear(res);
				PQclear(PQexec(conn, "ROLLBACK"));
				if (j >= 0) {
					PGconn *cb = slot_conn(rp, j);
					job_free(&p->s[j]);
					while ((res = PQgetResult(cb)))
						PQclear(res);
					PQclear(PQexec(cb, "ROLLBACK"));
				}
				pool_stop(p, s->seq);
				ret = -1;
				goto out;
			}
			s->state = J_RUNNING;
			if (j >= 0)
				p->s[j].state = J_RUNNING;
		}
	} else {
		if (!PQsendQuery(conn, cmd.buf)) {
			replay_server_error(rp, conn, &s->err, NULL, s->text, s->toc, s->line);
			s->state = J_FAILED;
		} else {
			s->state = J_RUNNING;
		}
	}
	report_log(rp->r, LOG_DEBUG, "%s:%ld: job %llu on connection %d", rp->name, it->line,
		   (unsigned long long)s->seq, i + 1);
	pool_step(rp, 0);
	ret = p->stop ? -1 : 1;
out:
	strbuf_release(&rel);
	strbuf_release(&cmd);
	strbuf_release(&nsp);
	split_release(&sp);
	return ret;
}

void replay_jobs_disconnect(struct replay *rp)
{
	struct replay_pool *p = rp->pool;
	for (int i = 1; i < p->n; i++)
		if (p->s[i].conn) {
			replay_disconnect(rp, p->s[i].conn);
			p->s[i].conn = NULL;
			job_free(&p->s[i]);
		}
}

void replay_jobs_release(struct replay *rp)
{
	struct replay_pool *p = rp->pool;
	if (!p)
		return;
	if (slots_busy(rp) && rp->conn) {
		pool_stop(p, p->commit_seq);
		while (slots_busy(rp))
			pool_step(rp, 1);
	}
	deferred_free(p);
	free(p->def);
	replay_jobs_disconnect(rp);
	job_free(&p->s[0]);
	for (size_t k = 0; k < p->n_set; k++) {
		free(p->set[k].key);
		free(p->set[k].stmt);
	}
	free(p->set);
	free(p->s);
	free(p);
	rp->pool = NULL;
}
