/* dumpinfo: offline dump inspection; see dumpinfo.h. */
#include "config.h"
#include "dumpinfo.h"
#include "dumpread.h"
#include "err.h"
#include "i18n.h"
#include "report.h"
#include "sqlscan.h"
#include "strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bytes of a statement kept to look at (COPY, SET, INSERT INTO name ...). */
#define DUMPINFO_KEEP (64 * 1024)

static void count_type(struct dumpinfo *di, const char *type)
{
	for (size_t i = 0; i < di->n_types; i++)
		if (!strcmp(di->types[i].type, type)) {
			di->types[i].count++;
			return;
		}
	di->types = xrealloc(di->types, (di->n_types + 1) * sizeof(*di->types));
	di->types[di->n_types].type = xstrdup(type);
	di->types[di->n_types].count = 1;
	di->n_types++;
}

/* Table name of "COPY name [(cols)] FROM stdin" (@skip 4) or "INSERT INTO
 * name ..." (@skip 11); *@end (if not NULL) gets where the name ends. */
static char *copy_table(const char *s, size_t skip, const char **end)
{
	const char *p, *start;
	int q = 0;
	while (isspace((unsigned char)*s))
		s++;
	p = s + skip;
	while (isspace((unsigned char)*p))
		p++;
	start = p;
	for (; *p; p++) {
		if (*p == '"')
			q = !q;
		else if (!q && (isspace((unsigned char)*p) || *p == '('))
			break;
	}
	if (end)
		*end = p;
	return xstrndup(start, (size_t)(p - start));
}

/* The entry of table @name, added at @line if new. */
static struct dumpinfo_table *table_of(struct dumpinfo *di, char *name, long line)
{
	struct dumpinfo_table *t;
	for (size_t i = di->n_tables; i-- > 0;)
		if (!strcmp(di->tables[i].name, name)) {
			free(name);
			return &di->tables[i];
		}
	di->tables = xrealloc(di->tables, (di->n_tables + 1) * sizeof(*di->tables));
	t = &di->tables[di->n_tables++];
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->line = line;
	return t;
}

/* pg_dump --inserts, --column-inserts, --rows-per-insert: "INSERT INTO name
 * [(cols)] [OVERRIDING SYSTEM VALUE] VALUES (...), (...) [ON CONFLICT DO
 * NOTHING];" holds one row per parenthesised list after the column list
 * ("DEFAULT VALUES": one).  Counted like COPY rows; other INSERTs (INSERT
 * ... SELECT in hand-written SQL) are not counted. */
static void count_insert(struct dumpinfo *di, const struct sqlscan_item *it)
{
	const char *p = it->text, *end;
	struct dumpinfo_table *t;
	unsigned long rows = it->top_parens;
	char *name;
	while (isspace((unsigned char)*p))
		p++;
	if (strncasecmp(p, "INSERT INTO", 11) || !isspace((unsigned char)p[11]))
		return;
	name = copy_table(p, 11, &end);
	while (isspace((unsigned char)*end))
		end++;
	if (*end == '(') {
		int q = 0;
		rows--; /* the column list */
		for (; *end && (q || *end != ')'); end++)
			if (*end == '"')
				q = !q;
		if (*end)
			end++;
		while (isspace((unsigned char)*end))
			end++;
	}
	if (!strncasecmp(end, "OVERRIDING ", 11)) {
		end += 11;
		while (*end && !isspace((unsigned char)*end)) /* SYSTEM, USER */
			end++;
		while (isspace((unsigned char)*end))
			end++;
		if (!strncasecmp(end, "VALUE", 5))
			end += 5;
		while (isspace((unsigned char)*end))
			end++;
	}
	if (!strncasecmp(end, "DEFAULT VALUES", 14)) {
		rows = 1;
	} else if (strncasecmp(end, "VALUES", 6) || !rows) {
		free(name); /* INSERT ... SELECT: not pg_dump's, rows unknown */
		return;
	}
	t = table_of(di, name, it->line);
	t->rows += rows;
	t->bytes += it->full_len;
}

static void header_comment(struct dumpinfo *di, const char *c)
{
	static const char from[] = " Dumped from database version ";
	static const char by[] = " Dumped by pg_dump version ";
	if (!strncmp(c, from, sizeof(from) - 1) && !di->server_version)
		di->server_version = xstrdup(c + sizeof(from) - 1);
	else if (!strncmp(c, by, sizeof(by) - 1) && !di->pg_dump_version)
		di->pg_dump_version = xstrdup(c + sizeof(by) - 1);
}

/* Progress, and whether the operator asked to stop (-1 with @e set).
 * Called for every piece read, so that no line length delays a stop. */
static int tick(struct dumpread *dr, struct dumpinfo *di, struct sqlscan *sc, struct report *r,
		struct err *e)
{
	struct progress pr = { N_("inspecting"), dumpread_raw_offset(dr), dumpread_total(dr),
			       di->statements, 0, sc->toc.len ? sc->toc.buf : NULL };
	report_progress(r, &pr, 0);
	if (!report_cancelled(r))
		return 0;
	err_set(e, "reading the dump aborted: %s", report_stop_reason(r));
	err_detail(e, "The dump was read up to line %ld (%llu bytes of SQL).", sqlscan_line(sc),
		   (unsigned long long)dumpread_sql_offset(dr));
	return -1;
}

/* Count a COPY block's data lines up to "\.".  1: cut off by EOF. */
static int count_copy(struct dumpread *dr, struct dumpinfo *di, struct sqlscan *sc,
		      struct dumpinfo_table *t, long *lines, struct report *r, struct err *e)
{
	int bol = 1;
	*lines = 0;
	for (;;) {
		const char *p;
		size_t n;
		int rc = dumpread_line(dr, &p, &n, e), complete;
		if (rc < 0)
			return -1;
		if (tick(dr, di, sc, r, e) < 0) {
			sqlscan_add_lines(sc, *lines);
			*lines = 0;
			return -1;
		}
		if (rc == 0)
			return 1;
		complete = p[n - 1] == '\n';
		if (bol && ((n == 3 && !memcmp(p, "\\.\n", 3)) || (n == 4 && !memcmp(p, "\\.\r\n", 4)))) {
			(*lines)++;
			return 0;
		}
		if (bol && n == 2 && !complete && !memcmp(p, "\\.", 2))
			return 0;
		if (complete) {
			(*lines)++;
			t->rows++;
		}
		t->bytes += n;
		bol = complete;
	}
}

/* @p after @word (case-insensitive, then blanks), or NULL. */
static const char *skip_word(const char *p, const char *word)
{
	size_t n = strlen(word);
	if (strncasecmp(p, word, n) || !isspace((unsigned char)p[n]))
		return NULL;
	for (p += n; isspace((unsigned char)*p); p++)
		;
	return p;
}

uint64_t dumpinfo_stmt_weight(const struct dumpinfo *di, const char *toc_type, const char *stmt)
{
	const char *p = stmt, *q, *end;
	char *name;
	uint64_t w = 0;
	if (strcmp(toc_type, "INDEX") && strcmp(toc_type, "CONSTRAINT") &&
	    strcmp(toc_type, "FK CONSTRAINT") && strcmp(toc_type, "CHECK CONSTRAINT"))
		return 0;
	while (isspace((unsigned char)*p))
		p++;
	if ((q = skip_word(p, "ALTER")) && (q = skip_word(q, "TABLE"))) {
		p = q;
	} else if ((q = skip_word(p, "CREATE"))) {
		/* CREATE [UNIQUE] INDEX [CONCURRENTLY] name ON [ONLY] table */
		int depth = 0, qt = 0;
		for (p = q; *p; p++) {
			if (*p == '"')
				qt = !qt;
			else if (!qt && *p == '(')
				depth++;
			else if (!qt && *p == ')')
				depth--;
			else if (!qt && !depth && isspace((unsigned char)*p) && (q = skip_word(p + 1, "ON")))
				break;
		}
		if (!*p)
			return 0;
		p = q;
	} else {
		return 0;
	}
	if ((q = skip_word(p, "ONLY")))
		p = q;
	name = copy_table(p, 0, &end);
	for (size_t i = 0; i < di->n_tables; i++)
		if (!strcmp(di->tables[i].name, name)) {
			w = di->tables[i].bytes;
			break;
		}
	free(name);
	return w;
}

/* Mark the table of "ALTER TABLE [ONLY] name CLUSTER ON index" clustered. */
static void mark_clustered(struct dumpinfo *di, const char *stmt)
{
	const char *p = stmt, *q, *end;
	char *name;
	while (isspace((unsigned char)*p))
		p++;
	if (!(q = skip_word(p, "ALTER")) || !(q = skip_word(q, "TABLE")))
		return;
	if ((p = skip_word(q, "ONLY")))
		q = p;
	name = copy_table(q, 0, &end);
	while (isspace((unsigned char)*end))
		end++;
	if ((q = skip_word(end, "CLUSTER")) && skip_word(q, "ON"))
		for (size_t i = 0; i < di->n_tables; i++)
			if (!strcmp(di->tables[i].name, name))
				di->tables[i].clustered = 1;
	free(name);
}

int dumpinfo_scan(const char *path, struct dumpinfo *di, struct report *r, struct err *e)
{
	struct dumpread *dr = NULL;
	struct sqlscan sc;
	struct sqlscan_item it;
	long last_toc = 0;
	int ret = 0;

	memset(di, 0, sizeof(*di));
	di->cut_table = -1;
	if (dumpread_open(&dr, path, r, e) < 0)
		return -1;
	di->gzip = dumpread_is_gzip(dr);
	sqlscan_init(&sc);
	sc.want_comments = 1;
	sc.keep = DUMPINFO_KEEP; /* only statements' heads are looked at */
	for (;;) {
		enum sqlscan_result sr = sqlscan_next(&sc, &it);
		if (sc.toc_line != last_toc) {
			last_toc = sc.toc_line;
			count_type(di, sc.toc_type.buf);
		}
		if (sr == SQLSCAN_MORE) {
			const char *p;
			size_t n;
			int rc = dumpread_line(dr, &p, &n, e);
			if (rc < 0) {
				err_where(e, NULL, sqlscan_line(&sc), e->offset);
				ret = -1;
				break;
			}
			if (rc == 0)
				sqlscan_eof(&sc);
			else
				sqlscan_feed(&sc, p, n);
			if (tick(dr, di, &sc, r, e) < 0) {
				ret = -1;
				break;
			}
			continue;
		}
		if (sr == SQLSCAN_END)
			break;
		if (sr == SQLSCAN_COMMENT) {
			header_comment(di, it.text);
		} else if (sr == SQLSCAN_META) {
			if (!strncmp(it.text, "restrict ", 9) && !di->restrict_key)
				di->restrict_key = xstrdup(it.text + 9);
			else if (!strncmp(it.text, "connect", 7) || !strncmp(it.text, "c ", 2))
				di->has_connect = 1;
		} else if (sr == SQLSCAN_STMT) {
			di->statements++;
			if (it.full_len > di->longest) {
				di->longest = it.full_len;
				di->longest_line = it.line;
			}
			sqlscan_apply_set(&sc, it.text);
			if (!it.copy_in)
				count_insert(di, &it);
			if (sc.section == SQLSCAN_POST_DATA) {
				di->post_weight += dumpinfo_stmt_weight(di, sc.toc_type.buf, it.text);
				mark_clustered(di, it.text);
			}
			if (it.copy_in) {
				struct dumpinfo_table *t;
				long lines, copy_line = it.line;
				int rc;
				t = table_of(di, copy_table(it.text, 4, NULL), it.line);
				rc = count_copy(dr, di, &sc, t, &lines, r, e);
				sqlscan_add_lines(&sc, lines);
				if (rc == 1 || (rc < 0 && dumpread_truncated(dr)))
					di->cut_table = (long)(t - di->tables);
				if (rc < 0) {
					err_where(e, NULL, sqlscan_line(&sc), e->offset);
					ret = -1;
					break;
				}
				if (rc == 1) {
					err_set(e, "the COPY data of %s that began at line %ld is not terminated by \\. "
						"(end of file)", t->name, copy_line + 1);
					err_hint(e, "The dump is truncated.");
					err_where(e, path, copy_line, -1);
					ret = -1;
					break;
				}
			}
		}
		if (tick(dr, di, &sc, r, e) < 0) {
			ret = -1;
			break;
		}
	}
	if (ret < 0 && (dumpread_truncated(dr) || di->cut_table >= 0)) {
		di->cut = 1;
		di->cut_line = sqlscan_line(&sc);
	} else {
		di->cut_table = -1;
		di->cut_line = sqlscan_line(&sc);
	}
	di->bytes_sql = dumpread_sql_offset(dr);
	di->pg_dump_header = sc.pg_dump_header; /* the scanner knows pg_dump's */
	di->complete = sc.pg_dump_complete;     /* first and last comments */
	sqlscan_release(&sc);
	dumpread_close(dr);
	return ret;
}

int dumpinfo_check(const char *path, struct dumpinfo *di, int pg_dump_only, const char *hint,
		   struct report *r, struct err *e)
{
	if (dumpinfo_scan(path, di, r, e) < 0)
		return -1;
	if (di->longest > SQLSCAN_STMT_MAX) {
		err_set(e, "the statement at line %ld of %s is %llu bytes long: PostgreSQL accepts at "
			"most %llu", di->longest_line, path, (unsigned long long)di->longest,
			(unsigned long long)SQLSCAN_STMT_MAX);
		err_detail(e, "Such a line is not from pg_dump; the dump is damaged there.");
		err_hint_msgid(e, hint);
		err_where(e, path, di->longest_line, -1);
		return -1;
	}
	if (di->complete || (pg_dump_only && !di->pg_dump_header))
		return 0;
	di->cut = 1;
	err_set(e, "%s has no \"dump complete\" trailer: it was cut off", path);
	err_detail(e, "It ends after %llu bytes of SQL; what pg_dump writes last (indexes, keys, "
		      "constraints, triggers) would be missing.", (unsigned long long)di->bytes_sql);
	err_hint_msgid(e, hint);
	return -1;
}

void dumpinfo_release(struct dumpinfo *di)
{
	for (size_t i = 0; i < di->n_tables; i++)
		free(di->tables[i].name);
	for (size_t i = 0; i < di->n_types; i++)
		free(di->types[i].type);
	free(di->tables);
	free(di->types);
	free(di->pg_dump_version);
	free(di->server_version);
	free(di->restrict_key);
	memset(di, 0, sizeof(*di));
}

int64_t dumpinfo_rows(const struct dumpinfo *di, const char *name)
{
	for (size_t i = 0; i < di->n_tables; i++)
		if (!strcmp(di->tables[i].name, name))
			return (int64_t)di->tables[i].rows;
	return -1;
}
