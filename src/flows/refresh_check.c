/* refresh_check: the refresh's last step, the check that anonymization
 * happened: for each refresh.check_tables table, the rows of the refreshed
 * database whose key and text columns are still exactly production's (as
 * the dump's COPY block has them).  Streamed: the dump is read once, line
 * by line; memory is one 64-bit hash per production row of the tables
 * checked.  Above refresh.check_threshold rows in a
 * refresh.check_fail_tables table the refresh fails and maintenance mode
 * stays on; see refresh.h. */
#include "config.h"
#include "i18n.h"
#include "refresh_int.h"
#include "conf.h"
#include "dbadmin.h"
#include "dumpread.h"
#include "strbuf.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FNV_OFF 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

/* An open-addressing set of 64-bit row hashes (0 is "empty": a hash of 0
 * is stored as 1). */
struct hset {
	uint64_t *v;
	size_t cap, n;
};

static void hset_add(struct hset *h, uint64_t x);

static void hset_grow(struct hset *h)
{
	struct hset nh = { xcalloc(h->cap ? h->cap * 2 : 1024, sizeof(uint64_t)),
			   h->cap ? h->cap * 2 : 1024, 0 };
	for (size_t i = 0; i < h->cap; i++)
		if (h->v[i])
			hset_add(&nh, h->v[i]);
	free(h->v);
	*h = nh;
}

static void hset_add(struct hset *h, uint64_t x)
{
	size_t i;
	x = x ? x : 1;
	if ((h->n + 1) * 2 > h->cap)
		hset_grow(h);
	for (i = x & (h->cap - 1); h->v[i]; i = (i + 1) & (h->cap - 1))
		if (h->v[i] == x)
			return;
	h->v[i] = x;
	h->n++;
}

static int hset_has(const struct hset *h, uint64_t x)
{
	x = x ? x : 1;
	if (!h->cap)
		return 0;
	for (size_t i = x & (h->cap - 1); h->v[i]; i = (i + 1) & (h->cap - 1))
		if (h->v[i] == x)
			return 1;
	return 0;
}

/* One table checked: the columns compared (the primary key's and the
 * text columns, by name), their positions in the dump's COPY line. */
struct ctable {
	char *name;          /* as configured: "person" or "schema.table" */
	char **cols;         /* column names, the key's first */
	size_t n_cols, n_key;
	int *pos;            /* per dump field: index in cols, or -1 */
	size_t n_pos;
	int found;           /* the dump has its COPY block */
	struct hset prod;    /* hashes of production's rows */
	uint64_t prod_rows, rows, still;
};

/* Hash of one row from its fields in COPY text form, in the order of
 * ->cols; a row whose text columns are all NULL or empty hashes to 0
 * (nothing personal to compare). */
static uint64_t row_hash(const struct ctable *t, const char *const *f, const size_t *len)
{
	uint64_t h = FNV_OFF;
	int any = 0;
	for (size_t i = 0; i < t->n_cols; i++) {
		if (!f[i])
			return 0;
		if (i >= t->n_key && len[i] && !(len[i] == 2 && !memcmp(f[i], "\\N", 2)))
			any = 1;
		for (size_t k = 0; k < len[i]; k++)
			h = (h ^ (unsigned char)f[i][k]) * FNV_PRIME;
		h = (h ^ 0x1f) * FNV_PRIME; /* field separator */
	}
	return any ? (h ? h : 1) : 0;
}

/* The columns of @t in the refreshed database: the primary key's, then
 * every text, varchar and char column.  0 (none: t->n_cols 0), or -1. */
static int load_columns(PGconn *c, struct ctable *t, struct err *e)
{
	PGresult *res = dbadmin_query1(c,
		"SELECT a.attname, coalesce(a.attnum = ANY (i.indkey), false) AS key "
		"FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary "
		"WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
		"AND (coalesce(a.attnum = ANY (i.indkey), false) OR "
		"a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype)) "
		"ORDER BY 2 DESC, a.attnum", t->name, e);
	if (!res)
		return -1;
	t->n_cols = (size_t)PQntuples(res);
	t->cols = xcalloc(t->n_cols + 1, sizeof *t->cols);
	for (size_t i = 0; i < t->n_cols; i++) {
		t->cols[i] = xstrdup(PQgetvalue(res, (int)i, 0));
		if (!strcmp(PQgetvalue(res, (int)i, 1), "t"))
			t->n_key++;
	}
	PQclear(res);
	return 0;
}

/* Does the COPY line @line ("COPY public.person (id, vorname) FROM
 * stdin;") belong to @t?  Then fill t->pos from its column list. */
static int copy_matches(struct ctable *t, const char *line)
{
	const char *name = line + 5, *paren = strstr(line, " ("), *p;
	size_t nlen = paren ? (size_t)(paren - name) : 0, tl = strlen(t->name);
	if (!paren)
		return 0;
	/* public.person or person against the configured name */
	if (!((nlen == tl && !strncmp(name, t->name, tl)) ||
	      (!strchr(t->name, '.') && nlen == tl + 7 && !strncmp(name, "public.", 7) &&
	       !strncmp(name + 7, t->name, tl))))
		return 0;
	free(t->pos);
	t->pos = NULL;
	t->n_pos = 0;
	for (p = paren + 2; *p && *p != ')';) {
		size_t n = strcspn(p, ",)");
		char *col = xstrndup(p, n);
		int at = -1;
		/* pg_dump quotes only names that need it */
		if (col[0] == '"' && n >= 2) {
			memmove(col, col + 1, n - 2);
			col[n - 2] = '\0';
		}
		for (size_t i = 0; i < t->n_cols; i++)
			if (!strcmp(col, t->cols[i]))
				at = (int)i;
		free(col);
		t->pos = xrealloc(t->pos, (t->n_pos + 1) * sizeof *t->pos);
		t->pos[t->n_pos++] = at;
		p += n;
		if (*p == ',')
			p++;
		while (*p == ' ')
			p++;
	}
	return 1;
}

/* Split one COPY data row (without its newline) into the fields of @t. */
static uint64_t hash_copy_row(const struct ctable *t, const int *pos, size_t n_pos,
			      const char *row, size_t len, const char **f, size_t *fl)
{
	size_t field = 0, start = 0;
	for (size_t i = 0; i < t->n_cols; i++)
		f[i] = NULL, fl[i] = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || row[i] == '\t') {
			int at = field < n_pos ? pos[field] : -1;
			if (at >= 0) {
				f[at] = row + start;
				fl[at] = i - start;
			}
			field++;
			start = i + 1;
		}
	}
	return row_hash(t, f, fl);
}

/* Read the dump once: the hashes of production's rows of each table. */
static int read_dump(const char *dump, struct ctable *tabs, size_t n, struct report *r,
		     struct err *e)
{
	struct dumpread *dr;
	struct strbuf row = STRBUF_INIT;
	struct ctable *in = NULL;
	const char *p;
	size_t len, maxc = 1;
	const char **f;
	size_t *fl;
	int rc, ret = 0;

	for (size_t i = 0; i < n; i++)
		if (tabs[i].n_cols > maxc)
			maxc = tabs[i].n_cols;
	f = xcalloc(maxc, sizeof *f);
	fl = xcalloc(maxc, sizeof *fl);
	if (dumpread_open(&dr, dump, r, e) < 0) {
		free(f);
		free(fl);
		return -1;
	}
	while ((rc = dumpread_line(dr, &p, &len, e)) > 0) {
		strbuf_add(&row, p, len);
		if (!len || p[len - 1] != '\n')
			continue; /* a long line comes in pieces */
		strbuf_setlen(&row, row.len - 1);
		if (in) {
			if (!strcmp(row.buf, "\\.")) {
				in = NULL;
			} else {
				uint64_t h = hash_copy_row(in, in->pos, in->n_pos, row.buf, row.len, f, fl);
				in->prod_rows++;
				if (h)
					hset_add(&in->prod, h);
			}
		} else if (!strncmp(row.buf, "COPY ", 5) && row.len > 12 &&
			   !strcmp(row.buf + row.len - 12, " FROM stdin;")) {
			for (size_t i = 0; i < n && !in; i++)
				if (tabs[i].n_cols && copy_matches(&tabs[i], row.buf)) {
					in = &tabs[i];
					in->found = 1;
				}
		}
		strbuf_reset(&row);
	}
	if (rc < 0)
		ret = -1;
	dumpread_close(dr);
	strbuf_release(&row);
	free(f);
	free(fl);
	return ret;
}

/* The refreshed rows of @t, streamed with COPY TO STDOUT, against
 * production's hashes. */
static int check_table(PGconn *c, struct ctable *t, struct err *e)
{
	struct strbuf sql = STRBUF_INIT;
	const char **f = xcalloc(t->n_cols, sizeof *f);
	size_t *fl = xcalloc(t->n_cols, sizeof *fl);
	int *pos = xcalloc(t->n_cols, sizeof *pos);
	PGresult *res;
	char *buf;
	int n, ret = 0;

	strbuf_addstr(&sql, "COPY (SELECT ");
	for (size_t i = 0; i < t->n_cols; i++) {
		char *q = PQescapeIdentifier(c, t->cols[i], strlen(t->cols[i]));
		strbuf_addf(&sql, "%s%s", i ? ", " : "", q ? q : "\"?\"");
		PQfreemem(q);
		pos[i] = (int)i;
	}
	{
		/* the table by its regclass, quoted by the server */
		PGresult *qr = dbadmin_query1(c, "SELECT to_regclass($1)::text", t->name, e);
		if (!qr) {
			ret = -1;
			goto out;
		}
		strbuf_addf(&sql, " FROM %s) TO STDOUT", PQgetvalue(qr, 0, 0));
		PQclear(qr);
	}
	res = PQexec(c, sql.buf);
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		ret = dbadmin_result_error(c, res, e);
		PQclear(res);
		goto out;
	}
	PQclear(res);
	while ((n = PQgetCopyData(c, &buf, 0)) > 0) {
		size_t len = (size_t)n;
		if (len && buf[len - 1] == '\n')
			len--;
		uint64_t h = hash_copy_row(t, pos, t->n_cols, buf, len, f, fl);
		t->rows++;
		if (h && hset_has(&t->prod, h))
			t->still++;
		PQfreemem(buf);
	}
	res = PQgetResult(c);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		ret = dbadmin_result_error(c, res, e);
	PQclear(res);
	while ((res = PQgetResult(c)))
		PQclear(res);
out:
	strbuf_release(&sql);
	free(f);
	free(fl);
	free(pos);
	return ret < 0 ? -1 : 0;
}

static int is_fail_table(const struct conf *c, const char *name)
{
	for (char **t = c->refresh.check_fail_tables; *t; t++)
		if (!strcmp(*t, name))
			return 1;
	return 0;
}

static void check_describe(const struct run *run, struct strbuf *out)
{
	const struct conf *c = refresh_of(run)->conf;
	strbuf_addstr(out, _("tables:"));
	for (char **t = c->refresh.check_tables; *t; t++)
		strbuf_addf(out, " %s", *t);
	strbuf_addf(out, P_("\nfails:  more than %d row as in production in",
			    "\nfails:  more than %d rows as in production in", c->refresh.check_threshold),
		    c->refresh.check_threshold);
	for (char **t = c->refresh.check_fail_tables; *t; t++)
		strbuf_addf(out, " %s", *t);
	strbuf_addstr(out, _(" (maintenance mode then stays on)\n"));
}

static int check_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct refresh *rf = refresh_of(run);
	const struct conf *c = rf->conf;
	struct strbuf text = STRBUF_INIT, text_l10n = STRBUF_INIT, bad = STRBUF_INIT;
	struct ctable *tabs;
	size_t n = 0, unguarded = 0, unguarded_prod = 0;
	unsigned long long prod_rows = 0; /* rows left as in production, no threshold */
	PGconn *db;
	int ret = -1;

	for (char **t = c->refresh.check_tables; *t; t++)
		n++;
	tabs = xcalloc(n ? n : 1, sizeof *tabs);
	if (!(db = dbadmin_connect(rf->conninfo, e)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		tabs[i].name = c->refresh.check_tables[i];
		if (load_columns(db, &tabs[i], e) < 0)
			goto out;
	}
	report_log(r, LOG_INFO, "reading production's rows from %s", rf->dump);
	if (read_dump(rf->dump, tabs, n, r, e) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct ctable *t = &tabs[i];
		if (!t->n_cols || !t->found) {
			strbuf_addf(&text, "%s: not compared (%s)\n", t->name,
				    !t->n_cols ? "no such table or no text column" : "not in the dump");
			strbuf_addf(&text_l10n, !t->n_cols ? _("%s: not compared (no such table or no text column)\n")
				    : _("%s: not compared (not in the dump)\n"), t->name);
			continue;
		}
		if (check_table(db, t, e) < 0)
			goto out;
		/* each line says whether the table can fail the refresh: only
		 * refresh.check_fail_tables have a threshold (a refresh ended 0
		 * with other tables full of production's values, unsaid) */
		if (is_fail_table(c, t->name)) {
			strbuf_addf(&text, "%s: %llu of %llu rows as in production, threshold %d\n",
				    t->name, (unsigned long long)t->still, (unsigned long long)t->rows,
				    c->refresh.check_threshold);
			strbuf_addf(&text_l10n, _("%s: %llu of %llu rows as in production, threshold %d\n"),
				    t->name, (unsigned long long)t->still, (unsigned long long)t->rows,
				    c->refresh.check_threshold);
		} else {
			strbuf_addf(&text, "%s: %llu of %llu rows as in production, no threshold\n",
				    t->name, (unsigned long long)t->still, (unsigned long long)t->rows);
			strbuf_addf(&text_l10n, _("%s: %llu of %llu rows as in production, no threshold\n"),
				    t->name, (unsigned long long)t->still, (unsigned long long)t->rows);
		}
		report_log(r, t->still ? LOG_WARN : LOG_INFO, "anonymization check: %s: %llu of %llu "
			   "rows still hold production's values", t->name,
			   (unsigned long long)t->still, (unsigned long long)t->rows);
		if (is_fail_table(c, t->name) && t->still > (uint64_t)c->refresh.check_threshold)
			strbuf_addf(&bad, "%s%s (%llu rows)", bad.len ? ", " : "", t->name,
				    (unsigned long long)t->still);
		if (!is_fail_table(c, t->name))
			unguarded++;
		if (!is_fail_table(c, t->name) && t->still) {
			unguarded_prod++;
			prod_rows += (unsigned long long)t->still;
			/* said in the log, on the screen, in the summary and the
			 * report: a warning line each */
			strbuf_addf(&text, "warning: %s has no threshold (refresh.check_fail_tables):\n"
				    "  its %llu rows with production's values do not fail the refresh\n",
				    t->name, (unsigned long long)t->still);
			strbuf_addf(&text_l10n, _("warning: %s has no threshold (refresh.check_fail_tables):\n"
						  "  its %llu rows with production's values do not fail the "
						  "refresh\n"), t->name, (unsigned long long)t->still);
			report_log(r, LOG_WARN, "anonymization check: %s has no threshold: its %llu rows "
				   "with production's values do not fail the refresh (add it to "
				   "refresh.check_fail_tables)", t->name, (unsigned long long)t->still);
		}
	}
	rf->check_text = strbuf_detach(&text, NULL);
	rf->check_text_l10n = strbuf_detach(&text_l10n, NULL);
	if (bad.len) {
		rf->keep_maintenance = 1;
		err_set(e, "anonymization check failed: %s still hold production's values", bad.buf);
		err_detail(e, "The anonymizer %s, yet these rows equal production's dump in their key "
			      "and every text column.", rf->anonymized ? "exited 0" : "did not run");
		err_hint(e, "Maintenance mode stays ON so that nobody works with real personal data. "
			    "Run the anonymizer again (php biso-cli anonymizer anonymize --do-it in %s), "
			    "check, then switch maintenance off.", rf->webroot);
		goto out;
	}
	/* the figure that matters first: the summary's line is what the
	 * wizard's headline shows of the step's warnings */
	if (unguarded_prod == 1)
		step_out_summaryf(out, "%llu rows in 1 table without a threshold still hold "
				  "production's values; none above a threshold", prod_rows);
	else if (unguarded_prod)
		step_out_summaryf(out, "%llu rows in %zu tables without a threshold still hold "
				  "production's values; none above a threshold", prod_rows,
				  unguarded_prod);
	else if (unguarded == 1)
		step_out_summaryf(out, "none above its threshold; 1 table has no threshold");
	else if (unguarded)
		step_out_summaryf(out, "none above its threshold; %zu tables have no threshold",
				  unguarded);
	else
		step_out_summaryf(out, "no table above its threshold");
	ret = 0;
out:
	if (db)
		PQfinish(db);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < tabs[i].n_cols; k++)
			free(tabs[i].cols[k]);
		free(tabs[i].cols);
		free(tabs[i].pos);
		free(tabs[i].prod.v);
	}
	free(tabs);
	strbuf_release(&text);
	strbuf_release(&text_l10n);
	strbuf_release(&bad);
	return ret;
}

const struct step_def refresh_step_check = {
	.name = "check",
	.title = N_("Check the anonymization"),
	.explain = N_("Compares the refreshed tables (key and text columns, by hashes) with the rows of "
		"production's dump and counts the rows still holding production's values. Above the "
		"threshold the refresh fails before maintenance mode is lifted."),
	.flags = STEP_F_DATABASE,
	.describe = check_describe,
	.run = check_run,
};
