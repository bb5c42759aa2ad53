/*
 * replay: plain-dump replay through libpq; see replay.h.
 *
 * The main loop follows psql's MainLoop (src/bin/psql/mainloop.c): scan,
 * send each complete statement, hand COPY data over as handleCopyIn
 * (src/bin/psql/copy.c) does, and run the few meta-commands pg_dump and
 * pg_dumpall write (src/bin/psql/command.c).
 */
#include "config.h"
#include "i18n.h"
#include "replay.h"
#include "replay_int.h"
#include "dumpread.h"
#include "err.h"
#include "fault.h"
#include "magic.h"
#include "pgcancel.h"
#include "report.h"
#include "sqlscan.h"
#include "dumpinfo.h"
#include "strbuf.h"

#include <ctype.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void replay_progress_of(const struct dumpinfo *di, uint64_t sql_done, uint64_t post_done,
			int section, const char *toc_type, int finished, struct progress *p)
{
	uint64_t total = di->bytes_sql + di->post_weight, done = sql_done + post_done;
	if (section < SQLSCAN_DATA)
		p->phase = N_("replaying: schema");
	else if (section == SQLSCAN_DATA)
		p->phase = N_("replaying: data");
	else if (!strcmp(toc_type, "INDEX") || !strcmp(toc_type, "INDEX ATTACH"))
		p->phase = N_("replaying: indexes");
	else if (strstr(toc_type, "CONSTRAINT"))
		p->phase = N_("replaying: constraints");
	else
		p->phase = N_("replaying: post-data");
	if (!total)
		total = 1;
	if (finished)
		done = total;
	else if (done >= total)
		done = total - 1; /* the estimate fell short: wait at 99.9 % */
	p->done_bytes = done;
	p->total_bytes = total;
}

void replay_progress(struct replay *rp, int force)
{
	struct progress p = { 0 };
	rp->st->bytes_read = dumpread_raw_offset(rp->dr);
	rp->st->bytes_sql = dumpread_sql_offset(rp->dr);
	p.phase = N_("replaying");
	p.done_bytes = rp->st->bytes_read;
	p.total_bytes = dumpread_total(rp->dr);
	if (rp->info)
		replay_progress_of(rp->info, rp->st->bytes_sql, rp->post_done, (int)rp->sc.section,
				   rp->sc.toc_type.buf, rp->finished, &p);
	p.done_items = rp->st->statements;
	p.current = rp->sc.toc_what.len ? rp->sc.toc_what.buf : NULL;
	report_progress(rp->r, &p, force);
}

void replay_warn(struct replay *rp, long line, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (rp->spec) {
		/* said when the check passed (flush_notices), not twice */
		strbuf_addf(&rp->notices, "W%s:%ld: %s", rp->name, line, sb.buf);
		strbuf_addch(&rp->notices, 0);
	} else {
		rp->st->warnings++;
		report_log(rp->r, LOG_WARN, "%s:%ld: %s", rp->name, line, sb.buf);
	}
	strbuf_release(&sb);
}

/* Server NOTICE/WARNING messages (psql prints them to stderr).  While a
 * pipeline batch is in flight they are held back: if the batch fails, its
 * statements run again one by one and say the same again.  So while the
 * dump check runs (rp->spec): a failure there replays from the top. */
static void notice_receiver(void *arg, const PGresult *res)
{
	struct replay *rp = arg;
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	int warning = sev && !strcmp(sev, "WARNING");
	struct strbuf sb = STRBUF_INIT;
	if (!msg)
		msg = PQresultErrorMessage(res);
	if (warning)
		strbuf_addf(&sb, "%s:%ld: server WARNING: %s", rp->name, rp->cur_line, msg);
	else
		strbuf_addf(&sb, "%s:%ld: server %s: %s", rp->name, rp->cur_line,
			    sev ? sev : "NOTICE", msg);
	if (rp->in_pipeline || rp->spec) {
		strbuf_addch(&rp->notices, warning ? 'W' : 'I');
		strbuf_add(&rp->notices, sb.buf, sb.len + 1);
	} else {
		if (warning)
			rp->st->warnings++;
		report_log(rp->r, warning ? LOG_WARN : LOG_INFO, "%s", sb.buf);
	}
	strbuf_release(&sb);
}

/* Log (@keep) or drop the notices held back during a batch. */
static void flush_notices(struct replay *rp, int keep)
{
	size_t i = 0;
	while (keep && i < rp->notices.len) {
		const char *line = rp->notices.buf + i;
		int warning = *line == 'W';
		if (warning)
			rp->st->warnings++;
		report_log(rp->r, warning ? LOG_WARN : LOG_INFO, "%s", line + 1);
		i += strlen(line) + 1;
	}
	strbuf_reset(&rp->notices);
}

PGconn *replay_connect(struct replay *rp, PQconninfoOption *over, struct err *e)
{
	const char **keys, **vals;
	size_t n = 0, i = 0;
	PGconn *conn;
	PQconninfoOption *opt, *kept = NULL;

	if (rp->conn_over.len)
		kept = PQconninfoParse(rp->conn_over.buf, NULL); /* parsed before: valid */
	for (opt = rp->params; opt->keyword; opt++)
		n++;
	keys = xcalloc(n + 2, sizeof(*keys));
	vals = xcalloc(n + 2, sizeof(*vals));
	for (opt = rp->params; opt->keyword; opt++) {
		const char *v = opt->val;
		for (PQconninfoOption *o2 = kept; o2 && o2->keyword; o2++)
			if (!strcmp(o2->keyword, opt->keyword) && o2->val)
				v = o2->val;
		for (PQconninfoOption *o2 = over; o2 && o2->keyword; o2++)
			if (!strcmp(o2->keyword, opt->keyword) && o2->val)
				v = o2->val;
		if (!strcmp(opt->keyword, "dbname") && rp->dbname)
			v = rp->dbname;
		if (!v)
			continue;
		keys[i] = opt->keyword;
		vals[i] = v;
		i++;
	}
	keys[i] = "fallback_application_name";
	vals[i] = "biso-recover";
	conn = PQconnectdbParams(keys, vals, 0);
	free(keys);
	free(vals);
	if (kept)
		PQconninfoFree(kept);
	if (PQstatus(conn) != CONNECTION_OK) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addstr(&sb, PQerrorMessage(conn));
		strbuf_rtrim(&sb);
		err_set(e, "cannot connect to the database: %s", sb.buf);
		strbuf_release(&sb);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeReceiver(conn, notice_receiver, rp);
	pgcancel_add(rp->cancel, conn);
	return conn;
}

void replay_disconnect(struct replay *rp, PGconn *conn)
{
	if (!conn)
		return;
	pgcancel_remove(rp->cancel, conn);
	PQfinish(conn);
}

/* Connect the main connection (replacing the current one). */
int replay_do_connect(struct replay *rp, PQconninfoOption *over, struct err *e)
{
	PGconn *conn = replay_connect(rp, over, e);
	if (!conn)
		return -1;
	replay_disconnect(rp, rp->conn);
	rp->conn = conn;
	return 0;
}

/* Keep the scanner's lexing settings in step with the server. */
void replay_sync_settings(struct replay *rp)
{
	const char *v = PQparameterStatus(rp->conn, "standard_conforming_strings");
	rp->sc.std_strings = !v || !strcmp(v, "on");
	v = PQparameterStatus(rp->conn, "client_encoding");
	rp->sc.encoding = sqlscan_encoding_of(v);
}

void replay_server_error(struct replay *rp, PGconn *conn, struct err *dst, const PGresult *res,
			 const char *stmt, const char *toc, long line)
{
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
	const char *ctx = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	struct strbuf sb = STRBUF_INIT;

	if (!toc)
		toc = rp->sc.toc.buf;
	if (msg) {
		err_set(dst, "%s", msg);
	} else {
		strbuf_addstr(&sb, PQerrorMessage(conn));
		strbuf_rtrim(&sb);
		if (!strncmp(sb.buf, "ERROR:  ", 8))
			err_set(dst, "%s", sb.buf + 8);
		else
			err_set(dst, "%s", sb.len ? sb.buf : "unknown error");
		strbuf_reset(&sb);
	}
	if (detail)
		strbuf_addf(&sb, "%s\n", detail);
	if (ctx)
		strbuf_addf(&sb, "Context: %s\n", ctx);
	strbuf_addf(&sb, "TOC entry: %s; statement: ",
		    *toc ? toc : "(dump header, before the first entry)");
	sqlscan_first_line(stmt, 200, &sb);
	err_detail(dst, "%s", sb.buf);
	if (hint)
		err_hint(dst, "%s", hint);
	err_where(dst, rp->name, line, -1);
	strbuf_release(&sb);
}

/* Count, log and keep an error.  Returns -1 when the replay must stop. */
int replay_record_error(struct replay *rp, struct err *one, int fatal)
{
	struct strbuf sb = STRBUF_INIT;
	if (!rp->spec && (rp->aborted || report_cancelled(rp->r))) {
		/* the work is to stop: the statements pgcancel stopped on the
		 * server fail now, on every connection; one error says why */
		if (rp->aborted) {
			err_clear(one);
			return -1;
		}
		rp->aborted = 1;
		fatal = 1;
		if (!one->msg || strncmp(one->msg, "restore aborted: ", 17))
			err_set(one, "restore aborted: %s", report_stop_reason(rp->r));
	}
	if (rp->spec) {
		/* inside the transaction that waits for the dump check: it is
		 * rolled back, and the replay runs again or the check's
		 * refusal is the error (spec_end()) */
		rp->spec_failed = 1;
		if (!err_isset(&rp->spec_err)) {
			err_move(&rp->spec_err, one);
			rp->spec_fatal = fatal;
		} else
			err_clear(one);
		return -1;
	}
	rp->st->errors++;
	if (!fatal && rp->on_error_stop)
		rp->st->stopped = 1;
	err_format(one, &sb);
	report_log(rp->r, LOG_ERROR, "%s", sb.buf);
	strbuf_release(&sb);
	if (!err_isset(&rp->first))
		err_move(&rp->first, one);
	else
		err_clear(one);
	return (fatal || rp->on_error_stop) ? -1 : 0;
}

int replay_conn_lost(struct replay *rp, PGconn *conn, long line)
{
	struct err one = ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	if (PQstatus(conn) != CONNECTION_BAD)
		return 0;
	strbuf_addstr(&sb, PQerrorMessage(conn));
	strbuf_rtrim(&sb);
	/* Only that it went away is known here: whether the server crashed,
	 * was stopped or killed this backend, and what became of the
	 * transaction in flight, only its log can tell. */
	err_set(&one, "the server closed the connection: the replay stopped here");
	err_detail(&one, "libpq: %s", sb.buf);
	err_hint(&one, "%s", REPLAY_CONN_LOST_HINT);
	err_where(&one, rp->name, line, -1);
	strbuf_release(&sb);
	rp->st->conn_lost = 1;
	rp->st->conn_lost_line = line;
	record_error(rp, &one, 1);
	return -1;
}

/* A plain error of ours (not from the server) at @line. */
int replay_own_error(struct replay *rp, long line, int fatal, const char *hint,
		     const char *fmt, ...)
{
	struct err one = ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	err_set(&one, "%s", sb.buf);
	if (rp->sc.toc.len)
		err_detail(&one, "TOC entry: %s", rp->sc.toc.buf);
	if (hint)
		err_hint(&one, "%s", hint);
	err_where(&one, rp->name, line, -1);
	strbuf_release(&sb);
	return record_error(rp, &one, fatal);
}

int replay_read_error(struct replay *rp, struct err *rerr)
{
	if (!rerr->line)
		rerr->line = sqlscan_line(&rp->sc);
	return record_error(rp, rerr, 1);
}

static int first_word_is(const char *s, const char *w)
{
	size_t n = strlen(w);
	while (isspace((unsigned char)*s))
		s++;
	return !strncasecmp(s, w, n) && !isalnum((unsigned char)s[n]) && s[n] != '_';
}

static int is_session_set(const char *s)
{
	return first_word_is(s, "SET") || strstr(s, "set_config(") != NULL;
}

static int is_txn_control(const char *s)
{
	return first_word_is(s, "BEGIN") || first_word_is(s, "COMMIT") ||
	       first_word_is(s, "START") || first_word_is(s, "END") ||
	       first_word_is(s, "ROLLBACK") || first_word_is(s, "ABORT");
}

/* Run one statement alone with PQexec (simple protocol, its own
 * transaction as in psql), COPY data included. */
static int exec_statement(struct replay *rp, const struct sqlscan_item *it)
{
	PGresult *res;
	int ret = 0;

	if (rp->o->single_transaction && is_txn_control(it->text))
		return own_error(rp, it->line, 1,
				 "Replay without --single-transaction: the dump manages its own "
				 "transactions (pg_dump writes BEGIN/COMMIT around large objects).",
				 "cannot replay in a single transaction: the dump has its own "
				 "transaction control here");
	rp->cur_line = it->line;
	res = PQexec(rp->conn, it->text);
	switch (PQresultStatus(res)) {
	case PGRES_COPY_IN:
		PQclear(res);
		ret = replay_run_copy(rp, it);
		break;
	case PGRES_COPY_OUT: {
		char *buf;
		PQclear(res);
		while (PQgetCopyData(rp->conn, &buf, 0) > 0)
			PQfreemem(buf);
		while ((res = PQgetResult(rp->conn)))
			PQclear(res);
		break;
	}
	case PGRES_FATAL_ERROR: {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (conn_lost(rp, it->line)) {
			PQclear(res);
			return -1;
		}
		if (state && !strcmp(state, "42704") && is_session_set(it->text) && !rp->txn_open &&
		    !rp->spec) {
			const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
			replay_warn(rp, it->line, "%s (the dump was made by a newer pg_dump; ignored)",
			     msg ? msg : "unknown parameter");
			PQclear(res);
			break;
		}
		{
			struct err one = ERR_INIT;
			replay_server_error(rp, rp->conn, &one, res, it->text, rp->toc_override, it->line);
			PQclear(res);
			ret = record_error(rp, &one, 0);
		}
		if (it->copy_in && replay_skip_copy(rp, it) < 0)
			return -1;
		break;
	}
	default:
		PQclear(res);
		break;
	}
	if (ret == 0 && conn_lost(rp, it->line))
		return -1;
	sync_settings(rp);
	return ret;
}

/*
 * Pipeline batches.
 *
 * psql sends one statement, waits for its result, sends the next: every
 * statement is its own transaction and costs a round trip and a commit.
 * Here statements outside COPY are sent through libpq's pipeline mode
 * without waiting, up to BATCH_MAX_STMTS statements or BATCH_MAX_BYTES of
 * text, and one PQpipelineSync() ends the batch.
 *
 * Why not a sync after each statement: each sync segment is its own
 * transaction, so when statement k fails, statements k+1... already queued
 * behind it run in their own segments and take effect, and stop mode
 * (--on-error stop) promises that nothing after a failed statement does.
 * With one sync per batch the statements of the batch form one implicit
 * transaction: when statement k fails, the server skips k+1... and rolls
 * the whole batch back at the sync.  The batch is then run again one
 * statement at a time with PQexec, exactly as psql runs it: statements
 * 1..k-1 take effect again, k fails again (reported with psql's semantics
 * and its own TOC entry), and in stop mode nothing after it is sent.  In
 * continue mode the one-by-one rerun goes on after k like psql.  So in both
 * modes the result is psql's, and a statement that only fails because it
 * shared a transaction (an enum value added and used, something that
 * cannot run in a transaction block and was not recognised below) simply
 * succeeds in the rerun.  Effects that transactions do not undo happen
 * twice on that rare path: nextval() of a column default (pg_dump always
 * writes the values; setval is idempotent).
 *
 * Not batched, but run alone after the batch is drained: COPY; transaction
 * control and anything inside an explicit transaction or under
 * --single-transaction; statements that cannot run in a transaction block
 * (CREATE/DROP/ALTER DATABASE, TABLESPACE, SUBSCRIPTION, VACUUM, CLUSTER,
 * REINDEX, ALTER SYSTEM, anything CONCURRENTLY) or behave differently in
 * one (LOCK, SET LOCAL, DECLARE); statements that may return many rows
 * (only pg_dump's `SELECT pg_catalog.f(...)` calls are batched, so results
 * stay far below the socket buffers and the pipeline cannot deadlock); and
 * SETs that change how the rest of the dump is lexed
 * (standard_conforming_strings, client_encoding, NAMES, RESET): the scanner
 * must see the server's new value before it reads on.  Meta-commands drain
 * the batch first too.  Notices of a batch are held back until it
 * succeeded (a rerun says them again).
 */
#define BATCH_MAX_STMTS 256
#define BATCH_MAX_BYTES (512 * 1024)

static int has_word_ci(const char *s, size_t max, const char *w)
{
	size_t n = strlen(w);
	for (size_t i = 0; s[i] && i < max; i++)
		if (!strncasecmp(s + i, w, n))
			return 1;
	return 0;
}

/* Next word after the first one. */
static const char *second_word(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	while (*s && !isspace((unsigned char)*s))
		s++;
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

static int batchable(struct replay *rp, const struct sqlscan_item *it)
{
	static const char *alone[] = {
		"COPY", "BEGIN", "COMMIT", "START", "END", "ROLLBACK", "ABORT", "SAVEPOINT",
		"RELEASE", "PREPARE", "VACUUM", "CLUSTER", "REINDEX", "LOCK", "DECLARE", "FETCH",
		"MOVE", "CLOSE", "DISCARD", "CALL", "SHOW", "EXPLAIN", "VALUES", "TABLE", "WITH",
		"RESET", "CHECKPOINT", "LOAD", NULL
	};
	static const char *objects[] = { "DATABASE", "TABLESPACE", "SUBSCRIPTION", "SYSTEM", NULL };
	const char *t = it->text;
	size_t i;

	if (it->copy_in || rp->o->single_transaction || it->len > BATCH_MAX_BYTES)
		return 0;
	if (!rp->in_pipeline && PQtransactionStatus(rp->conn) != PQTRANS_IDLE)
		return 0;
	for (i = 0; alone[i]; i++)
		if (first_word_is(t, alone[i]))
			return 0;
	if (first_word_is(t, "SELECT") && strncasecmp(second_word(t), "pg_catalog.", 11))
		return 0;
	if (first_word_is(t, "CREATE") || first_word_is(t, "DROP") || first_word_is(t, "ALTER"))
		for (i = 0; objects[i]; i++)
			if (first_word_is(second_word(t), objects[i]))
				return 0;
	if (first_word_is(t, "SET")) {
		const char *w = second_word(t);
		if (first_word_is(w, "LOCAL") || first_word_is(w, "TRANSACTION") ||
		    first_word_is(w, "NAMES"))
			return 0;
	}
	if (has_word_ci(t, 256, "CONCURRENTLY") || has_word_ci(t, 256, "standard_conforming_strings") ||
	    has_word_ci(t, 256, "client_encoding"))
		return 0;
	return 1;
}

/*
 * Speculation: the dump check (o->check_hint) runs in a thread beside the
 * replay, and until it passed everything sent waits in one transaction on
 * the main connection (no batches, no jobs: both need it idle).  Only
 * what a rollback takes back completely is sent in it: the statements
 * pg_dump writes for the schema and the data, none that acts on the whole
 * cluster or cannot run in a transaction block, no setval() (a sequence
 * the dump did not create keeps its value through a rollback).  Anything
 * else first waits for the check (spec_end()).
 */
static int spec_safe(const struct sqlscan_item *it, int meta)
{
	static const char *first[] = { "SET", "CREATE", "ALTER", "DROP", "COMMENT", "GRANT",
				       "REVOKE", NULL };
	static const char *objects[] = { "DATABASE", "TABLESPACE", "SUBSCRIPTION", "SYSTEM",
					 "ROLE", "USER", "GROUP", NULL };
	const char *t = it->text;
	size_t i;

	if (meta)
		return first_word_is(t, "restrict") || first_word_is(t, "unrestrict");
	if (it->copy_in)
		return first_word_is(t, "COPY");
	if (first_word_is(t, "SELECT"))
		return !strncmp(second_word(t), "pg_catalog.set_config(", 22);
	if (has_word_ci(t, 256, "CONCURRENTLY"))
		return 0;
	for (i = 0; first[i]; i++)
		if (first_word_is(t, first[i]))
			break;
	if (!first[i])
		return 0;
	if (first_word_is(t, "SET"))
		return !first_word_is(second_word(t), "LOCAL") &&
		       !first_word_is(second_word(t), "TRANSACTION");
	for (i = 0; objects[i]; i++)
		if (first_word_is(second_word(t), objects[i]))
			return 0;
	return 1;
}

/*
 * End the speculation: wait for the dump check, then commit what was sent
 * (0), or roll it back and return -1: the check refused the dump (its error
 * becomes the replay's, st->refused), or a statement failed in the
 * transaction (rp->retry: the replay runs again from the top; when
 * cancelled, that error is reported instead).
 */
static int spec_end(struct replay *rp, long line)
{
	struct err ce = ERR_INIT;
	int passed = replay_check_wait(rp->ck, &ce) == 0;
	PGresult *res;

	rp->spec = 0;
	if (!passed || rp->spec_failed) {
		if (PQstatus(rp->conn) == CONNECTION_OK)
			PQclear(PQexec(rp->conn, "ROLLBACK"));
		flush_notices(rp, 0);
		if (!passed) {
			rp->st->refused = 1;
			err_clear(&rp->spec_err);
			err_move(&rp->first, &ce);
		} else if (report_cancelled(rp->r) || rp->st->conn_lost || rp->o->single_transaction) {
			/* --single-transaction: rolled back anyway, as without the check */
			record_error(rp, &rp->spec_err, rp->spec_fatal);
		} else {
			report_log(rp->r, LOG_INFO, "%s:%ld: a statement failed before the dump check "
				   "ended: rolled back, replaying again from the start", rp->name,
				   rp->spec_err.line);
			err_clear(&rp->spec_err);
			rp->retry = 1;
		}
		return -1;
	}
	if (rp->o->single_transaction) {
		flush_notices(rp, 1);
		return 0; /* committed at the end */
	}
	res = PQexec(rp->conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		struct err one = ERR_INIT;
		server_error(rp, &one, res, "COMMIT", sqlscan_line(&rp->sc));
		PQclear(res);
		return record_error(rp, &one, 1);
	}
	PQclear(res);
	flush_notices(rp, 1);
	report_log(rp->r, LOG_INFO, "%s:%ld: the dump check passed: what was sent before this "
		   "line is committed", rp->name, line);
	if (!rp->info)
		rp->info = replay_check_info(rp->ck);
	return 0;
}

static int batch_send(struct replay *rp, const struct sqlscan_item *it)
{
	struct replay_batched *b;

	if (!rp->in_pipeline) {
		if (!PQenterPipelineMode(rp->conn))
			return exec_statement(rp, it);
		rp->in_pipeline = 1;
		strbuf_reset(&rp->batch_text);
		rp->batch_last_toc = (size_t)-1;
	}
	if (rp->batch_n == rp->batch_alloc) {
		rp->batch_alloc = rp->batch_alloc ? 2 * rp->batch_alloc : 64;
		rp->batch = xrealloc(rp->batch, rp->batch_alloc * sizeof(*rp->batch));
	}
	b = &rp->batch[rp->batch_n++];
	if (rp->batch_last_toc == (size_t)-1 ||
	    strcmp(rp->batch_text.buf + rp->batch_last_toc, rp->sc.toc.buf)) {
		rp->batch_last_toc = rp->batch_text.len;
		strbuf_add(&rp->batch_text, rp->sc.toc.buf, rp->sc.toc.len + 1);
	}
	b->toc = rp->batch_last_toc;
	b->text = rp->batch_text.len;
	b->line = it->line;
	b->end_line = it->end_line;
	strbuf_add(&rp->batch_text, it->text, it->len + 1);
	rp->cur_line = it->line;
	/* a failed send shows as an error result when the batch is drained */
	PQsendQueryParams(rp->conn, it->text, 0, NULL, NULL, NULL, NULL, 0);
	if (rp->batch_n >= BATCH_MAX_STMTS || rp->batch_text.len >= BATCH_MAX_BYTES)
		return replay_batch_flush(rp);
	return 0;
}

int replay_batch_flush(struct replay *rp)
{
	PGresult *res;
	size_t i, n = rp->batch_n;
	int failed = 0, ret = 0;

	if (!rp->in_pipeline)
		return 0;
	PQpipelineSync(rp->conn);
	for (i = 0; i < n && PQstatus(rp->conn) != CONNECTION_BAD; i++) {
		rp->cur_line = rp->batch[i].line;
		while ((res = PQgetResult(rp->conn))) {
			ExecStatusType s = PQresultStatus(res);
			if (s == PGRES_FATAL_ERROR || s == PGRES_PIPELINE_ABORTED || s == PGRES_BAD_RESPONSE ||
			    s == PGRES_COPY_IN || s == PGRES_COPY_OUT)
				failed = 1;
			PQclear(res);
		}
	}
	/* up to the sync's result; a failing commit shows as an error first */
	while (PQstatus(rp->conn) != CONNECTION_BAD && (res = PQgetResult(rp->conn))) {
		ExecStatusType s = PQresultStatus(res);
		PQclear(res);
		if (s == PGRES_PIPELINE_SYNC)
			break;
		failed = 1;
	}
	PQexitPipelineMode(rp->conn);
	rp->in_pipeline = 0;
	rp->batch_n = 0;
	flush_notices(rp, !failed);
	if (replay_conn_lost(rp, rp->conn, n ? rp->batch[0].line : sqlscan_line(&rp->sc)))
		return -1;
	if (failed) {
		/* The batch was rolled back: run it again one by one, as psql would. */
		struct strbuf text = STRBUF_INIT;
		strbuf_addbuf(&text, &rp->batch_text);
		report_log(rp->r, LOG_DEBUG, "%s:%ld: a statement of a pipeline batch failed; "
			   "replaying its %zu statements one by one", rp->name, rp->batch[0].line, n);
		for (i = 0; i < n && ret == 0; i++) {
			struct sqlscan_item it;
			memset(&it, 0, sizeof(it));
			it.text = text.buf + rp->batch[i].text;
			it.len = strlen(it.text);
			it.line = rp->batch[i].line;
			it.end_line = rp->batch[i].end_line;
			rp->toc_override = text.buf + rp->batch[i].toc;
			ret = exec_statement(rp, &it);
		}
		rp->toc_override = NULL;
		strbuf_release(&text);
	}
	strbuf_reset(&rp->batch_text);
	if (rp->batch_text.alloc > 2 * BATCH_MAX_BYTES)
		strbuf_release(&rp->batch_text);
	sync_settings(rp);
	return ret;
}

static int is_setting(const char *s)
{
	return first_word_is(s, "SET") || first_word_is(s, "RESET") ||
	       (first_word_is(s, "SELECT") && strstr(s, "set_config(") != NULL);
}

/* floor(sqrt(v)) */
static uint64_t isqrt64(uint64_t v)
{
	uint64_t lo = 0, hi = v < 0xffffffffULL ? v : 0xffffffffULL;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2;
		if (mid * mid <= v)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

long replay_sort_mem_kb(uint64_t heap_bytes, long setting_kb)
{
	uint64_t sort_kb = heap_bytes / 1024 * 2, kb;
	if (setting_kb <= 1024 || sort_kb > UINT64_MAX / 272)
		return setting_kb;
	kb = isqrt64(sort_kb * 272) + 1;
	if (kb < sort_kb / 500 + 1)
		kb = sort_kb / 500 + 1;
	kb = (kb + 1023) / 1024 * 1024; /* whole MiB, as one would write it */
	return kb < (uint64_t)setting_kb ? (long)kb : setting_kb;
}

int replay_build_workers(uint64_t heap_pages, long setting_kb, long max_workers,
			 uint64_t min_scan_pages, long rel_workers)
{
	long w;
	if (rel_workers >= 0) {
		/* the table's storage parameter, capped at the maximum and
		 * nothing else: the server deliberately ignores the memory then */
		w = rel_workers < max_workers ? rel_workers : max_workers;
		return w > 0 ? (int)w : 0;
	}
	if (heap_pages < min_scan_pages) {
		w = 0;
	} else {
		/* one more worker each time the heap triples past the minimum */
		uint64_t threshold = min_scan_pages ? min_scan_pages : 1;
		for (w = 1; heap_pages >= threshold * 3 && threshold <= INT32_MAX / 3; w++)
			threshold *= 3;
	}
	if (w > max_workers)
		w = max_workers;
	/* each participant, the leader too, needs 32 MB of the setting */
	while (w > 0 && setting_kb / (w + 1) < 32768)
		w--;
	return w > 0 ? (int)w : 0;
}

int replay_sort_mem_set(PGconn *conn, const char *rel, int local, int workers, struct strbuf *set,
			struct strbuf *reset)
{
	const char *val[1] = { rel };
	long setting, kb, maxw, relw;
	uint64_t heap, block;
	int ret = 0;
	PGresult *res;
	/* pg_size_bytes() and current_setting(name, missing_ok) came with 9.6;
	 * a query failing here would abort the transaction the build runs in */
	if (PQserverVersion(conn) < 90600)
		return 0;
	/* columns 1-5: what the server plans parallel workers from, in kB and
	 * pages (NULL before PostgreSQL 11, which builds every index serially).
	 * current_setting(), not the pg_settings view: that forms a row of
	 * every setting on each scan, 1.5 ms a build (bench/README.md,
	 * eleventh session) on the one backend a --jobs 1 restore waits for */
	res = PQexecParams(conn, "SELECT pg_catalog.pg_relation_size(c.oid), "
			   "pg_catalog.pg_size_bytes(pg_catalog.current_setting('maintenance_work_mem')) / 1024, "
			   "pg_catalog.current_setting('max_parallel_maintenance_workers', true), "
			   "pg_catalog.pg_size_bytes(pg_catalog.current_setting('min_parallel_table_scan_size', true)) "
			   "/ pg_catalog.current_setting('block_size')::pg_catalog.int8, "
			   "pg_catalog.current_setting('block_size'), "
			   "(SELECT o.option_value FROM pg_catalog.pg_options_to_table(c.reloptions) o "
			   "WHERE o.option_name = 'parallel_workers') "
			   "FROM pg_catalog.pg_class c "
			   "WHERE c.oid = pg_catalog.to_regclass($1) AND c.relkind IN ('r', 'm')",
			   1, NULL, val, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		setting = strtol(PQgetvalue(res, 0, 1), NULL, 10);
		heap = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
		block = strtoull(PQgetvalue(res, 0, 4), NULL, 10);
		maxw = PQgetisnull(res, 0, 2) ? 0 : strtol(PQgetvalue(res, 0, 2), NULL, 10);
		relw = PQgetisnull(res, 0, 5) ? -1 : strtol(PQgetvalue(res, 0, 5), NULL, 10);
		/* A build that gets a parallel worker keeps the session's memory:
		 * lowered, the server would start none (bench/README.md, eighth
		 * session: with a worker on the other core psql's builds were
		 * the faster ones) */
		if (workers && block &&
		    replay_build_workers(heap / block, setting, maxw,
					 strtoull(PQgetvalue(res, 0, 3), NULL, 10), relw) > 0)
			kb = setting;
		else
			kb = replay_sort_mem_kb(heap, setting);
		if (kb < setting) {
			strbuf_addf(set, "SET %smaintenance_work_mem = '%ldkB'", local ? "LOCAL " : "", kb);
			if (reset)
				strbuf_addf(reset, "SET maintenance_work_mem = '%ldkB'", setting);
			ret = 1;
		}
	}
	PQclear(res);
	return ret;
}

/* An index build in order on the main connection, outside a transaction
 * (nothing else runs, parallel workers are allowed): with its sort memory
 * (replay_sort_mem_set) for this one statement. */
static int exec_index_build(struct replay *rp, const struct sqlscan_item *it, const char *rel)
{
	struct strbuf set = STRBUF_INIT, reset = STRBUF_INIT;
	int ret;

	if (replay_sort_mem_set(rp->conn, rel, 0, 1, &set, &reset))
		PQclear(PQexec(rp->conn, set.buf));
	ret = exec_statement(rp, it);
	/* stopping: nothing more is sent, not even this */
	if (ret == 0 && reset.len && PQstatus(rp->conn) == CONNECTION_OK)
		PQclear(PQexec(rp->conn, reset.buf));
	strbuf_release(&set);
	strbuf_release(&reset);
	return ret;
}

static int run_statement(struct replay *rp, const struct sqlscan_item *it)
{
	struct strbuf rel = STRBUF_INIT;
	int ret;

	rp->st->statements++;
	fault_point("replay.statement");
	if (rp->pool) {
		int r = replay_jobs_offer(rp, it);
		if (r != 0)
			return r < 0 ? -1 : 0;
		if (replay_jobs_busy(rp) && replay_jobs_barrier(rp) < 0)
			return -1;
		if (is_setting(it->text) && (PQtransactionStatus(rp->conn) == PQTRANS_IDLE || rp->spec) &&
		    !rp->o->single_transaction)
			replay_jobs_setting(rp, it->text);
	}
	if (replay_index_build_rel(rp, it, &rel) && !rp->o->single_transaction) {
		if (replay_batch_flush(rp) < 0) {
			ret = -1;
		} else if (PQtransactionStatus(rp->conn) == PQTRANS_IDLE) {
			ret = exec_index_build(rp, it, rel.buf);
		} else {
			ret = exec_statement(rp, it);
		}
		strbuf_release(&rel);
		return ret;
	}
	strbuf_release(&rel);
	if (batchable(rp, it))
		return batch_send(rp, it);
	if (replay_batch_flush(rp) < 0)
		return -1;
	ret = exec_statement(rp, it);
	return ret;
}

/* The progress so far, then whether a stop was asked for
 * (report_cancelled()): then the error "restore aborted: <reason>" at the
 * scanner's line and -1; else 0. */
static int progress_or_stop(struct replay *rp, struct report *r)
{
	replay_progress(rp, 0);
	if (!report_cancelled(r))
		return 0;
	own_error(rp, sqlscan_line(&rp->sc), 1, NULL, "restore aborted: %s", report_stop_reason(r));
	return -1;
}

/* replay_run() once; *@retry set when it must run again (spec_end()). */
static int run(const struct replay_opts *o, struct replay_check *ck, struct pgcancel *pc,
	       struct report *r, struct replay_stats *st, struct err *e, int *retry)
{
	struct replay rp;
	struct replay_stats dummy;
	struct sqlscan_item it;
	char *errmsg = NULL;
	int ret = 0;

	memset(&rp, 0, sizeof(rp));
	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	rp.o = o;
	rp.r = r;
	rp.st = st;
	rp.name = o->display_name ? o->display_name : o->dump_path;
	rp.on_error_stop = o->on_error_stop;
	rp.first = (struct err)ERR_INIT;
	rp.spec_err = (struct err)ERR_INIT;
	rp.info = o->info;
	rp.ck = ck;
	rp.cancel = pc;
	strbuf_init(&rp.copybuf, 0);
	strbuf_init(&rp.batch_text, 0);
	strbuf_init(&rp.notices, 0);
	strbuf_init(&rp.conn_over, 0);
	sqlscan_init(&rp.sc);

	rp.params = PQconninfoParse(o->conninfo ? o->conninfo : "", &errmsg);
	if (!rp.params) {
		err_set(e, "invalid connection string: %s", errmsg ? errmsg : "out of memory");
		PQfreemem(errmsg);
		goto out;
	}
	if (strcmp(o->dump_path, "-")) {
		enum magic_kind kind = MAGIC_UNKNOWN;
		if (magic_detect(o->dump_path, &kind, e) < 0)
			goto out;
		/* the dump check reads plain-format dumps only: with it these
		 * are refused below, as dumpinfo_check refuses them */
		if ((kind == MAGIC_PGDMP || kind == MAGIC_TAR) && !ck) {
			PQconninfoFree(rp.params);
			sqlscan_release(&rp.sc);
			strbuf_release(&rp.copybuf);
			strbuf_release(&rp.batch_text);
			strbuf_release(&rp.notices);
			return replay_pgrestore(o, kind == MAGIC_TAR, r, st, e);
		}
	}
	if (dumpread_open(&rp.dr, o->dump_path, r, e) < 0) {
		st->refused = 1;
		goto out;
	}
	if (ck && replay_check_refused(ck)) {
		st->refused = 1;
		replay_check_wait(ck, e);
		goto out;
	}
	if (do_connect(&rp, NULL, e) < 0)
		goto out;
	sync_settings(&rp);
	if (o->jobs > 1 && !o->single_transaction)
		replay_jobs_init(&rp);
	if (o->single_transaction) {
		PGresult *res = PQexec(rp.conn, "BEGIN");
		PQclear(res);
		rp.txn_open = 1;
		/* the one transaction waits for the check at its end */
		rp.spec = ck && !replay_check_done(ck);
	} else if (ck) {
		if (!replay_check_done(ck)) {
			PGresult *res = PQexec(rp.conn, "BEGIN");
			rp.spec = PQresultStatus(res) == PGRES_COMMAND_OK;
			PQclear(res);
		}
		if (!rp.spec) { /* the check first, as without a thread */
			if (replay_check_wait(ck, &rp.first) < 0) {
				st->refused = 1;
				ret = -1;
				goto end;
			}
			if (!rp.info)
				rp.info = replay_check_info(ck);
		}
	}
	replay_progress(&rp, 1);

	for (;;) {
		enum sqlscan_result sr = sqlscan_next(&rp.sc, &it);
		if (sr == SQLSCAN_MORE) {
			const char *p;
			size_t n;
			struct err rerr = ERR_INIT;
			int rc = dumpread_line(rp.dr, &p, &n, &rerr);
			if (rc < 0) {
				err_where(&rerr, NULL, sqlscan_line(&rp.sc), rerr.offset);
				replay_read_error(&rp, &rerr);
				ret = -1;
				break;
			}
			if (rc == 0)
				sqlscan_eof(&rp.sc);
			else
				sqlscan_feed(&rp.sc, p, n);
			/* a statement may span many pieces (a damaged dump: one
			 * line of a gigabyte); a stop must not wait for its end */
			if (progress_or_stop(&rp, r) < 0) {
				ret = -1;
				break;
			}
			if (sqlscan_pending(&rp.sc) > SQLSCAN_STMT_MAX && sqlscan_stmt_line(&rp.sc)) {
				ret = own_error(&rp, sqlscan_stmt_line(&rp.sc), 1,
						"Such a line is not from pg_dump: the dump is damaged there.",
						"the statement that starts here is longer than PostgreSQL "
						"accepts (%llu bytes); it was not sent",
						(unsigned long long)SQLSCAN_STMT_MAX);
				break;
			}
			continue;
		}
		if (sr == SQLSCAN_END)
			break;
		if (sr == SQLSCAN_STMT && it.incomplete && rp.sc.pg_dump_header) {
			/* a pg_dump dump ends with ";" and its trailer: this one was
			 * cut inside a statement, which is not sent */
			ret = own_error(&rp, it.line, 1, "Restore a complete dump (biso-recover db-inspect "
					"DUMP shows what a dump holds).", "the dump was cut off inside the "
					"statement that starts here; it was not sent");
			break;
		}
		/* a COPY to be split waits for the check: inside its transaction
		 * the table would be loaded whole, on one connection */
		if (rp.spec && !o->single_transaction && (sr == SQLSCAN_META || sr == SQLSCAN_STMT) &&
		    (replay_check_done(ck) || !spec_safe(&it, sr == SQLSCAN_META) ||
		     (sr == SQLSCAN_STMT && replay_jobs_split_ahead(&rp, &it))) &&
		    (ret = spec_end(&rp, it.line)) < 0)
			break;
		if (sr == SQLSCAN_META)
			ret = replay_run_meta(&rp, &it);
		else if (sr == SQLSCAN_STMT)
			ret = run_statement(&rp, &it);
		if (ret < 0)
			break;
		if (sr == SQLSCAN_STMT && rp.info && rp.sc.section == SQLSCAN_POST_DATA)
			rp.post_done += dumpinfo_stmt_weight(rp.info, rp.sc.toc_type.buf, it.text);
		if (progress_or_stop(&rp, r) < 0) {
			ret = -1;
			break;
		}
	}
	/* the dump check's verdict first: nothing takes effect before it */
	if (rp.spec && spec_end(&rp, sqlscan_line(&rp.sc)) < 0)
		ret = -1;
	/* what was sent before the end (or a read error) takes effect, as in psql */
	if (rp.conn && PQstatus(rp.conn) == CONNECTION_OK && replay_batch_flush(&rp) < 0)
		ret = -1;
	if (rp.pool && replay_jobs_barrier(&rp) < 0)
		ret = -1;
	/* psql ends such dumps with exit 0; an incomplete restore is a failure
	 * (and with --single-transaction it is rolled back just below) */
	if (ret == 0 && rp.dr && dumpread_sql_offset(rp.dr) == 0) {
		ret = own_error(&rp, 0, 1, "Check the backup: an empty dump usually means the dump "
				"job failed.", "the dump is empty: nothing was restored");
	} else if (ret == 0 && rp.sc.pg_dump_header && !rp.sc.pg_dump_complete) {
		ret = own_error(&rp, sqlscan_line(&rp.sc), 1,
				"Restore a complete dump (biso-recover db-inspect DUMP shows what a dump "
				"holds); with --create the live database is never touched by a cut one.",
				"the dump has no \"dump complete\" trailer: it was cut off here; what "
				"pg_dump writes after this point (indexes, keys, constraints, triggers, "
				"ACLs) is missing%s", rp.txn_open ? " (all of it was rolled back)" :
				" from the database");
	}
	if (rp.txn_open && rp.conn && PQstatus(rp.conn) == CONNECTION_OK) {
		PGresult *res = PQexec(rp.conn, ret == 0 ? "COMMIT" : "ROLLBACK");
		if (PQresultStatus(res) != PGRES_COMMAND_OK && ret == 0) {
			struct err one = ERR_INIT;
			server_error(&rp, &one, res, "COMMIT", sqlscan_line(&rp.sc));
			record_error(&rp, &one, 1);
		}
		PQclear(res);
	}
end:
	rp.finished = ret == 0;
	replay_progress(&rp, 1);
	if (err_isset(&rp.first)) {
		if (st->errors > 1) {
			struct strbuf sb = STRBUF_INIT;
			if (rp.first.detail)
				strbuf_addf(&sb, "%s\n", rp.first.detail);
			strbuf_addf(&sb, "This is the first of %llu errors; the others may follow from it.",
				    (unsigned long long)st->errors);
			err_detail(&rp.first, "%s", sb.buf);
			strbuf_release(&sb);
		}
		/* In continue mode errors were logged one by one and the replay
		 * went on: only a fatal one (or stop mode) fails the call. */
		if (ret < 0) {
			err_move(e, &rp.first);
		} else {
			if (st->errors > 1)
				report_log(r, LOG_WARN, "%llu errors in %s; the first, at line %ld, is the "
					   "likely cause of the others: %s", (unsigned long long)st->errors,
					   rp.name, rp.first.line, rp.first.msg);
			else
				report_log(r, LOG_WARN, "1 error in %s, at line %ld: %s", rp.name,
					   rp.first.line, rp.first.msg);
			err_clear(&rp.first);
		}
	}
out:
	if (rp.pool)
		replay_jobs_release(&rp);
	if (rp.dr) {
		st->bytes_read = dumpread_raw_offset(rp.dr);
		st->bytes_sql = dumpread_sql_offset(rp.dr);
	}
	replay_disconnect(&rp, rp.conn);
	if (rp.params)
		PQconninfoFree(rp.params);
	dumpread_close(rp.dr);
	sqlscan_release(&rp.sc);
	strbuf_release(&rp.copybuf);
	strbuf_release(&rp.batch_text);
	strbuf_release(&rp.notices);
	free(rp.batch);
	free(rp.dbname);
	strbuf_release(&rp.conn_over);
	free(rp.restrict_key);
	err_clear(&rp.spec_err);
	*retry = rp.retry;
	return err_isset(e) ? -1 : 0;
}

int replay_run(const struct replay_opts *o, struct report *r, struct replay_stats *st,
	       struct err *e)
{
	struct replay_check *ck = NULL;
	/* a stop must not wait for an index build of many minutes */
	struct pgcancel *pc = pgcancel_start(r);
	int retry = 0, ret;

	if (o->check_hint && strcmp(o->dump_path, "-"))
		ck = replay_check_start(o->dump_path, o->check_hint, r);
	ret = run(o, ck, pc, r, st, e, &retry);
	if (retry) /* the check passed: no transaction this time */
		ret = run(o, ck, pc, r, st, e, &retry);
	replay_check_free(ck);
	pgcancel_end(pc);
	return ret;
}
