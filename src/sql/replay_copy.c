/*
 * replay_copy: a COPY block of a plain-format dump streamed to the server
 * as psql's handleCopyIn (src/bin/psql/copy.c) does, line numbers kept for
 * errors; see replay_int.h.
 */
#include "config.h"
#include "replay.h"
#include "replay_int.h"
#include "dumpread.h"
#include "err.h"
#include "fault.h"
#include "report.h"
#include "sqlscan.h"
#include "strbuf.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_end_marker(const char *p, size_t n, int eof_piece)
{
	if (n == 3 && !memcmp(p, "\\.\n", 3))
		return 1;
	if (n == 4 && !memcmp(p, "\\.\r\n", 4))
		return 1;
	if (n == 2 && !memcmp(p, "\\.", 2) && eof_piece)
		return 2;
	return 0;
}

/*
 * Read COPY data lines up to "\.": forward them to @conn when not NULL,
 * else skip.  Returns 0, 1 if the block was cut off by the end of file, -1
 * on a read error or cancellation (recorded).  *@lines gets the lines
 * consumed.
 */
static int conn_put(void *ctx, const char *buf, size_t len)
{
	return PQputCopyData(ctx, buf, (int)len);
}

static void conn_end(void *ctx, const char *errmsg)
{
	PQputCopyEnd(ctx, errmsg);
}

static int copy_data(struct replay *rp, const struct copy_sink *conn, long start_line, long *lines,
		     uint64_t *rows, int *send_failed)
{
	int bol = 1;
	size_t since = 0; /* bytes read since the last progress report */
	struct err rerr = ERR_INIT;
	*lines = 0;
	*rows = 0;
	strbuf_reset(&rp->copybuf);
	for (;;) {
		const char *p;
		size_t n;
		int rc = dumpread_line(rp->dr, &p, &n, &rerr);
		int complete, m;
		if (rc < 0) {
			err_where(&rerr, NULL, start_line + *lines, rerr.offset);
			replay_read_error(rp, &rerr);
			return -1;
		}
		if (rc == 0)
			return 1;
		complete = p[n - 1] == '\n';
		if (bol && (m = is_end_marker(p, n, !complete && n < DUMPREAD_CHUNK))) {
			(*lines)++;
			if (m == 2) {
				replay_warn(rp, start_line + *lines - 1,
				     "\\. ends the COPY data without a newline at the end of the file");
				*lines -= 1; /* no line end to count */
			}
			break;
		}
		if (complete) {
			(*lines)++;
			(*rows)++;
		}
		bol = complete;
		since += n;
		if (conn && !*send_failed) {
			if (rp->copybuf.len + n > REPLAY_COPY_CHUNK && rp->copybuf.len) {
				if (conn->put(conn->ctx, rp->copybuf.buf, rp->copybuf.len) != 1)
					*send_failed = 1;
				strbuf_reset(&rp->copybuf);
			}
		}
		/* progress and a stop by what was read, not by what was sent:
		 * long rows go out without the buffer, and a skipped block
		 * sends nothing, yet a big block must show it moves */
		if (since >= REPLAY_COPY_CHUNK) {
			since = 0;
			replay_progress(rp, 0);
			if (report_cancelled(rp->r) || (rp->spec && replay_check_refused(rp->ck))) {
				const char *why = report_cancelled(rp->r) ? report_stop_reason(rp->r)
					: "the dump check refused the dump";
				if (conn && !*send_failed)
					conn->end(conn->ctx, why);
				own_error(rp, start_line + *lines, 1, NULL, "restore aborted: %s", why);
				return -1;
			}
		}
		if (conn && !*send_failed) {
			if (n >= REPLAY_COPY_CHUNK / 2) {
				/* a long piece goes out as it is, without a copy */
				if (conn->put(conn->ctx, p, n) != 1)
					*send_failed = 1;
			} else {
				strbuf_add(&rp->copybuf, p, n);
			}
		}
	}
	if (conn && !*send_failed && rp->copybuf.len &&
	    conn->put(conn->ctx, rp->copybuf.buf, rp->copybuf.len) != 1)
		*send_failed = 1;
	strbuf_reset(&rp->copybuf);
	if (rp->copybuf.alloc > 2 * REPLAY_COPY_CHUNK)
		strbuf_release(&rp->copybuf);
	return 0;
}

long replay_copy_error_line(const PGresult *res, long data_line)
{
	const char *ctx = PQresultErrorField(res, PG_DIAG_CONTEXT);
	const char *p;
	if (!ctx || strncmp(ctx, "COPY ", 5))
		return 0;
	p = strstr(ctx, ", line ");
	if (!p)
		return 0;
	return data_line + strtol(p + 7, NULL, 10) - 1;
}

int replay_copy_stream(struct replay *rp, PGconn *conn, const struct sqlscan_item *it)
{
	struct copy_sink sink = { conn_put, conn_end, conn };
	int rc = replay_copy_stream_sink(rp, conn ? &sink : NULL, it);
	if (rc == 1 && conn) {
		PGresult *res;
		while ((res = PQgetResult(conn)))
			PQclear(res);
	}
	return rc;
}

int replay_copy_stream_sink(struct replay *rp, const struct copy_sink *conn,
			    const struct sqlscan_item *it)
{
	long lines;
	uint64_t rows;
	int send_failed = conn == NULL, rc;
	long start = it->end_line + 1;

	rc = copy_data(rp, conn, start, &lines, &rows, &send_failed);
	rp->st->copy_blocks++;
	if (conn)
		rp->st->copy_rows += rows;
	else
		rp->st->copy_rows_skipped += rows;
	sqlscan_add_lines(&rp->sc, lines);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		if (conn)
			conn->end(conn->ctx, "end of file inside COPY data");
		own_error(rp, it->line, 1, "The dump is truncated: use a complete dump.",
			  "the COPY data that began at line %ld is not terminated by \\. "
			  "(end of file after %ld lines)", start, lines);
		return 1;
	}
	if (conn && !send_failed)
		conn->end(conn->ctx, NULL);
	if (!conn)
		report_log(rp->r, LOG_INFO, "%s:%ld: skipped %llu data lines of the failed COPY",
			   rp->name, start, (unsigned long long)rows);
	return 0;
}

int replay_run_copy(struct replay *rp, const struct sqlscan_item *it)
{
	int ret = 0;
	PGresult *res;

	fault_point("replay.copy");
	if (replay_copy_stream(rp, rp->conn, it) != 0)
		return -1;
	while ((res = PQgetResult(rp->conn))) {
		if (PQresultStatus(res) == PGRES_FATAL_ERROR && ret == 0) {
			struct err one = ERR_INIT;
			long line = replay_copy_error_line(res, it->end_line + 1);
			server_error(rp, &one, res, it->text, line ? line : it->line);
			ret = record_error(rp, &one, 0);
		}
		PQclear(res);
	}
	if (conn_lost(rp, it->line))
		return -1;
	return ret;
}

/* Skip the data of a COPY whose command failed. */
int replay_skip_copy(struct replay *rp, const struct sqlscan_item *it)
{
	return replay_copy_stream(rp, NULL, it) != 0 ? -1 : 0;
}
