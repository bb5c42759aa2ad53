/*
 * replay_meta: the psql meta-commands pg_dump and pg_dumpall write
 * (\connect, \encoding, \set ON_ERROR_STOP, \restrict ...), as psql's
 * command.c runs them; see replay_int.h.
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

/* Split a meta-command's arguments as psql's OT_SQLIDHACK does for \connect:
 * 'single' quotes with backslash escapes, "double" quotes kept literal with
 * "" doubling, unquoted text kept as it is (OT_SQLIDHACK is OT_SQLID without
 * the downcasing: `\c Biso` connects to "Biso").  With @semicolon,
 * semicolons that end an argument outside quotes are dropped, as psql's
 * psql_scan_slash_option(..., semicolon = true) does for \connect, \encoding,
 * \restrict and \unrestrict (`\c chinook;` connects to chinook; `\c "x;"`
 * to x;).  argv[0] is the command itself. */
static size_t split_args(const char *s, struct strbuf *argv, size_t max, int semicolon)
{
	size_t n = 0;
	while (*s && n < max) {
		size_t unquoted = 0; /* characters since the last quote */
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		strbuf_reset(&argv[n]);
		while (*s && !isspace((unsigned char)*s)) {
			if (*s == '\'' || *s == '"')
				unquoted = 0;
			else
				unquoted++;
			if (*s == '\'') {
				for (s++; *s && *s != '\''; s++) {
					if (*s == '\\' && s[1]) {
						s++;
						strbuf_addch(&argv[n], *s == 'n' ? '\n' : *s == 't' ? '\t' : *s);
					} else {
						strbuf_addch(&argv[n], *s);
					}
					if (*s == '\'' && s[1] == '\'')
						s++;
				}
				if (*s)
					s++;
			} else if (*s == '"') {
				for (s++; *s; s++) {
					if (*s == '"') {
						if (s[1] == '"') {
							s++;
						} else {
							break;
						}
					}
					strbuf_addch(&argv[n], *s);
				}
				if (*s)
					s++;
			} else {
				strbuf_addch(&argv[n], *s);
				s++;
			}
		}
		while (semicolon && n > 0 && unquoted-- > 0 && argv[n].len &&
		       argv[n].buf[argv[n].len - 1] == ';')
			strbuf_setlen(&argv[n], argv[n].len - 1);
		n++;
	}
	return n;
}

/* Append keyword='value' to conninfo @sb, quoted as libpq's parser reads it. */
static void conninfo_add(struct strbuf *sb, const char *key, const char *val)
{
	strbuf_addf(sb, "%s='", key);
	for (; *val; val++) {
		if (*val == '\'' || *val == '\\')
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, *val);
	}
	strbuf_addstr(sb, "' ");
}

static int truthy(const char *v)
{
	return !strcasecmp(v, "on") || !strcasecmp(v, "true") || !strcasecmp(v, "1") ||
	       !strcasecmp(v, "yes") || !strcasecmp(v, "t") || !strcasecmp(v, "y");
}

/* \connect as psql does it for what pg_dump and pg_dumpall write:
 * \connect [-reuse-previous=on] {DBNAME|- [USER|- [HOST|- [PORT|-]]] | CONNINFO}.
 * What is not given is kept from the previous connection, and what is given
 * is kept for every later connection (the --jobs ones too). */
static int meta_connect(struct replay *rp, struct strbuf *argv, size_t argc, long line)
{
	static const char *const pos[] = { "dbname", "user", "host", "port" };
	size_t i = 1;
	const char *db = NULL;
	PQconninfoOption *over = NULL;
	struct err ce = ERR_INIT;
	struct strbuf given = STRBUF_INIT;
	char *errmsg = NULL;
	int conninfo;

	if (rp->o->single_transaction)
		return own_error(rp, line, 1,
				 "Replay without --single-transaction: the dump connects to other databases.",
				 "cannot replay in a single transaction: \\connect");
	if (i < argc && !strncmp(argv[i].buf, "-reuse-previous", 15)) {
		const char *v = strchr(argv[i].buf, '=');
		/* off would take what is not given from libpq's defaults: another
		 * server than the one the operator named, perhaps */
		if (v && !truthy(v + 1)) {
			rp->st->warnings++;
			report_log(rp->r, LOG_WARN, "%s:%ld: \\connect %s is taken as -reuse-previous=on: "
				   "the replay stays on the server it was given", rp->name, line,
				   argv[i].buf);
		}
		i++;
	}
	if (i < argc && strcmp(argv[i].buf, "-"))
		db = argv[i].buf;
	conninfo = db && (strchr(db, '=') || !strncmp(db, "postgres://", 11) ||
			  !strncmp(db, "postgresql://", 13));
	if (conninfo) {
		if (argc > i + 1)
			return own_error(rp, line, 0, "Give either a connection string or DBNAME USER HOST PORT.",
					 "\\connect with a connection string takes no further arguments");
		strbuf_addstr(&given, db);
	} else {
		if (argc > i + 4)
			return own_error(rp, line, 0, "\\connect takes DBNAME USER HOST PORT at most.",
					 "too many arguments to \\connect");
		for (size_t k = 1; k < 4 && i + k < argc; k++)
			if (strcmp(argv[i + k].buf, "-"))
				conninfo_add(&given, pos[k], argv[i + k].buf);
	}
	if (given.len) {
		over = PQconninfoParse(given.buf, &errmsg);
		if (!over) {
			int r = own_error(rp, line, 0, NULL, "invalid connection string in \\connect: %s",
					  errmsg ? errmsg : "?");
			PQfreemem(errmsg);
			strbuf_release(&given);
			return r;
		}
		for (PQconninfoOption *o2 = over; o2->keyword; o2++)
			if (!strcmp(o2->keyword, "dbname") && o2->val) {
				free(rp->dbname);
				rp->dbname = xstrdup(o2->val);
			}
	}
	if (db && !conninfo) {
		free(rp->dbname);
		rp->dbname = xstrdup(db);
	}
	if (do_connect(rp, over, &ce) < 0) {
		if (over)
			PQconninfoFree(over);
		strbuf_release(&given);
		err_where(&ce, rp->name, line, -1);
		return record_error(rp, &ce, 1);
	}
	if (over)
		PQconninfoFree(over);
	/* later connections (\connect, --jobs) keep what this one changed */
	if (given.len) {
		strbuf_addch(&rp->conn_over, ' ');
		strbuf_addbuf(&rp->conn_over, &given);
	}
	strbuf_release(&given);
	if (rp->pool)
		replay_jobs_disconnect(rp);
	report_log(rp->r, LOG_INFO, "%s:%ld: connected to database \"%s\"", rp->name, line,
		   PQdb(rp->conn));
	sync_settings(rp);
	return 0;
}

int replay_run_meta(struct replay *rp, const struct sqlscan_item *it)
{
	struct strbuf argv[6] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT,
				  STRBUF_INIT, STRBUF_INIT };
	char cmd[32];
	size_t argc, n = 0;
	int ret = 0;
	const char *p = it->text;

	rp->st->meta_commands++;
	if (replay_batch_flush(rp) < 0 || (rp->pool && replay_jobs_barrier(rp) < 0))
		return -1;
	while (*p && !isspace((unsigned char)*p) && *p != '\\' && n < sizeof(cmd) - 1)
		cmd[n++] = *p++;
	cmd[n] = 0;
	argc = split_args(it->text, argv, 6, strcmp(cmd, "set") != 0); /* psql keeps \set's semicolons */

	if (it->truncated) {
		/* never run a cut argument (a \connect to another name) */
		ret = own_error(rp, it->line, 0, "Such a line is not from pg_dump: the dump is damaged there.",
				"meta-command \%s longer than %d bytes: not run", cmd, SQLSCAN_LINE_MAX);
	} else if (rp->restricted && strcmp(cmd, "unrestrict")) {
		ret = own_error(rp, it->line, 0, NULL,
				"\\%s is not allowed while restricted by \\restrict (only \\unrestrict is)", cmd);
	} else if (!strcmp(cmd, "restrict")) {
		if (argc < 2)
			ret = own_error(rp, it->line, 0, NULL, "\\restrict needs a key");
		else {
			rp->restricted = 1;
			free(rp->restrict_key);
			rp->restrict_key = xstrdup(argv[1].buf);
		}
	} else if (!strcmp(cmd, "unrestrict")) {
		if (!rp->restricted)
			ret = own_error(rp, it->line, 0, NULL, "\\unrestrict without \\restrict");
		else if (argc < 2 || strcmp(argv[1].buf, rp->restrict_key))
			ret = own_error(rp, it->line, 0, NULL,
					"\\unrestrict key does not match the \\restrict key");
		else
			rp->restricted = 0;
	} else if (!strcmp(cmd, "connect") || !strcmp(cmd, "c")) {
		ret = meta_connect(rp, argv, argc, it->line);
	} else if (!strcmp(cmd, "encoding")) {
		if (argc < 2)
			report_log(rp->r, LOG_INFO, "%s:%ld: client encoding is %s", rp->name, it->line,
				   pg_encoding_to_char(PQclientEncoding(rp->conn)));
		else if (PQsetClientEncoding(rp->conn, argv[1].buf) != 0)
			ret = own_error(rp, it->line, 0, NULL, "\\encoding: invalid encoding name \"%s\"",
					argv[1].buf);
		else if (rp->pool) {
			char *set = xstrfmt("SET client_encoding TO '%s'",
					    pg_encoding_to_char(PQclientEncoding(rp->conn)));
			replay_jobs_setting(rp, set);
			free(set);
		}
		sync_settings(rp);
	} else if (!strcmp(cmd, "set")) {
		if (argc >= 2 && !strcmp(argv[1].buf, "ON_ERROR_STOP"))
			rp->on_error_stop = argc < 3 || truthy(argv[2].buf);
		else
			replay_warn(rp, it->line, "\\set %s ignored (psql variables are not used)",
			     argc >= 2 ? argv[1].buf : "");
	} else {
		ret = own_error(rp, it->line, 0,
				"Plain dumps from pg_dump use only \\connect, \\restrict, \\unrestrict and \\encoding; "
				"meta-commands are never run through a shell.",
				"unsupported meta-command \\%s", cmd);
	}
	for (size_t i = 0; i < 6; i++)
		strbuf_release(&argv[i]);
	return ret;
}
