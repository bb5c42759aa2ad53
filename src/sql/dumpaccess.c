/* dumpaccess: what pg_dump could not read, asked before the dump; see
 * dumpaccess.h. */
#include "config.h"
#include "dumpaccess.h"
#include "dbadmin.h"
#include "err.h"
#include "i18n.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* One row per object pg_dump would fail on, the first DUMPACCESS_SHOWN of
 * each why (0 schema, 1 no SELECT, 2 row level security, 3 large object:
 * enum dumpaccess_why), with the total of all of them.  The relations are
 * the ones pg_dump locks and reads (relkind r, p, S; see dumpaccess.h);
 * a schema counts only when it holds one.  has_table_privilege() and
 * has_schema_privilege() see role membership and pg_read_all_data;
 * row_security_active() says whether a policy applies to the role
 * whatever row_security is set to (it is off in pg_dump).  Large objects
 * have no has_*_privilege() before PostgreSQL 17: their ACL (or the
 * owner's default) is read as the server reads it, bypassed by a
 * superuser and lo_compat_privileges. */
static const char query[] =
	"WITH rel AS ("
	" SELECT c.oid, c.relkind, c.relrowsecurity, n.oid AS nsp, n.nspname, c.relname"
	"  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	"  WHERE c.relkind IN ('r', 'p', 'S')"
	"   AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'"
	"   AND (NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
	"                     WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
	"                       AND d.objid = c.oid AND d.deptype = 'e')"
	"        OR EXISTS (SELECT 1 FROM pg_catalog.pg_extension x WHERE c.oid = ANY (x.extconfig)))"
	"), found AS ("
	" SELECT 0 AS why, 'n' AS kind, s.nspname::text AS schema, NULL::text AS rel,"
	"        pg_catalog.quote_ident(s.nspname) AS shown, s.nspname::text AS sort"
	"  FROM (SELECT DISTINCT nsp, nspname FROM rel) s"
	"  WHERE NOT pg_catalog.has_schema_privilege(s.nsp, 'USAGE')"
	" UNION ALL"
	" SELECT 1, relkind::text, nspname::text, relname::text,"
	"        pg_catalog.format('%I.%I', nspname, relname), nspname || '.' || relname"
	"  FROM rel WHERE NOT pg_catalog.has_table_privilege(oid, 'SELECT')"
	" UNION ALL"
	" SELECT 2, relkind::text, nspname::text, relname::text,"
	"        pg_catalog.format('%I.%I', nspname, relname), nspname || '.' || relname"
	"  FROM rel WHERE relkind = 'r' AND relrowsecurity"
	"   AND pg_catalog.has_table_privilege(oid, 'SELECT')"
	"   AND pg_catalog.row_security_active(oid::pg_catalog.regclass)"
	" UNION ALL"
	" SELECT 3, 'L', NULL, l.oid::text, l.oid::text, pg_catalog.lpad(l.oid::text, 10, '0')"
	"  FROM pg_catalog.pg_largeobject_metadata l"
	"  WHERE NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)"
	"   AND NOT pg_catalog.current_setting('lo_compat_privileges')::boolean"
	"   AND NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(COALESCE(l.lomacl,"
	"                    pg_catalog.acldefault('L', l.lomowner))) a"
	"                   WHERE a.privilege_type = 'SELECT' AND CASE WHEN a.grantee = 0 THEN true"
	"                    ELSE pg_catalog.pg_has_role(a.grantee, 'USAGE') END)"
	") SELECT why, kind, schema, rel, shown, total FROM ("
	" SELECT f.*, pg_catalog.row_number() OVER (PARTITION BY why ORDER BY sort) AS k,"
	"        pg_catalog.count(*) OVER () AS total FROM found f) x"
	" WHERE k <= " STR(DUMPACCESS_SHOWN) " ORDER BY why, k";

/* @s quoted by libpq as an identifier, malloc'd; NULL when libpq refuses
 * it (then @e says why). */
static char *ident(PGconn *c, const char *s, struct err *e)
{
	char *q = PQescapeIdentifier(c, s, strlen(s)), *out;
	if (!q) {
		dbadmin_result_error(c, NULL, e);
		return NULL;
	}
	out = xstrdup(q);
	PQfreemem(q);
	return out;
}

/* The statement that lets @role (quoted) read the object of row @i. */
static char *fix_of(PGconn *c, PGresult *res, int i, const char *role, struct err *e)
{
	enum dumpaccess_why why = (enum dumpaccess_why)atoi(PQgetvalue(res, i, 0));
	const char *kind = PQgetvalue(res, i, 1);
	char *s = NULL, *t = NULL, *fix = NULL;

	if (why == DUMPACCESS_RLS)
		return xstrfmt("ALTER ROLE %s BYPASSRLS;", role);
	if (why == DUMPACCESS_NO_LO_SELECT)
		return xstrfmt("GRANT SELECT ON LARGE OBJECT %s TO %s;", PQgetvalue(res, i, 3), role);
	if (!(s = ident(c, PQgetvalue(res, i, 2), e)))
		return NULL;
	if (why == DUMPACCESS_NO_USAGE)
		fix = xstrfmt("GRANT USAGE ON SCHEMA %s TO %s;", s, role);
	else if ((t = ident(c, PQgetvalue(res, i, 3), e)))
		fix = xstrfmt("GRANT SELECT ON %s%s.%s TO %s;", *kind == 'S' ? "SEQUENCE " : "", s, t,
			      role);
	free(s);
	free(t);
	return fix;
}

int dumpaccess_check(PGconn *c, struct dumpaccess *a, struct err *e)
{
	PGresult *res;
	char *role = NULL;
	int n;

	memset(a, 0, sizeof *a);
	a->server_version = PQserverVersion(c);
	if (a->server_version < 90500)
		return 0;
	res = PQexec(c, "SELECT current_user, current_database()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		goto fail;
	a->role = xstrdup(PQgetvalue(res, 0, 0));
	a->dbname = xstrdup(PQgetvalue(res, 0, 1));
	PQclear(res);
	res = PQexec(c, query);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		goto fail;
	if (!(role = ident(c, a->role, e)))
		goto out;
	a->role_q = xstrdup(role);
	n = PQntuples(res);
	a->items = xcalloc((size_t)n + 1, sizeof *a->items);
	for (int i = 0; i < n; i++) {
		struct dumpaccess_item *it = &a->items[a->n];
		if (!(it->fix = fix_of(c, res, i, role, e)))
			goto out;
		it->why = (enum dumpaccess_why)atoi(PQgetvalue(res, i, 0));
		it->kind = PQgetvalue(res, i, 1)[0];
		it->name = xstrdup(PQgetvalue(res, i, 4));
		a->n++;
		a->total = strtoul(PQgetvalue(res, i, 5), NULL, 10);
	}
	free(role);
	PQclear(res);
	return 0;
fail:
	dbadmin_result_error(c, res, e);
	err_prefix(e, "cannot tell what pg_dump may read");
out:
	free(role);
	PQclear(res);
	dumpaccess_release(a);
	return -1;
}

/* "table public.secret (no SELECT)", in the language _() gives now. */
static void add_item(struct strbuf *sb, const struct dumpaccess_item *it)
{
	switch (it->why) {
	case DUMPACCESS_NO_USAGE:
		strbuf_addf(sb, _("schema %s (no USAGE)"), it->name);
		break;
	case DUMPACCESS_NO_SELECT:
		if (it->kind == 'S')
			strbuf_addf(sb, _("sequence %s (no SELECT)"), it->name);
		else
			strbuf_addf(sb, _("table %s (no SELECT)"), it->name);
		break;
	case DUMPACCESS_RLS:
		strbuf_addf(sb, _("table %s (row level security)"), it->name);
		break;
	case DUMPACCESS_NO_LO_SELECT:
		strbuf_addf(sb, _("large object %s (no SELECT)"), it->name);
		break;
	}
}

/* The message and the hint in the language _() gives now. */
static void refusal_text(const struct dumpaccess *a, const char *where, struct strbuf *msg,
			 struct strbuf *hint)
{
	struct strbuf list = STRBUF_INIT, fixes = STRBUF_INIT;
	size_t shown = 0, n_fixes = 0;
	int tables = 0;

	for (size_t i = 0; i < a->n; i++) {
		const struct dumpaccess_item *it = &a->items[i];
		/* the first DUMPACCESS_SHOWN in the order held */
		if (shown < DUMPACCESS_SHOWN) {
			if (shown++)
				strbuf_addstr(&list, ", ");
			add_item(&list, it);
		}
		/* one statement for each why: the first's */
		if (!i || it->why != a->items[i - 1].why) {
			if (n_fixes++)
				strbuf_addch(&fixes, ' ');
			strbuf_addstr(&fixes, it->fix);
		}
		tables |= it->why == DUMPACCESS_NO_USAGE || it->why == DUMPACCESS_NO_SELECT;
	}
	if (a->total > shown)
		strbuf_addf(msg, _("role %s cannot read what pg_dump dumps from database %s: %s; "
				   "%zu in all"), a->role, a->dbname, list.buf, a->total);
	else
		strbuf_addf(msg, _("role %s cannot read what pg_dump dumps from database %s: %s"),
			    a->role, a->dbname, list.buf);
	if (a->total > n_fixes)
		strbuf_addf(hint, _("As a superuser, for each one (the first of each "
				    "kind here): %s"), fixes.buf);
	else
		strbuf_addf(hint, _("As a superuser: %s"), fixes.buf);
	/* pg_read_all_data reads every table, sequence and schema, but
	 * neither bypasses row level security nor reads large objects */
	if (tables && a->server_version >= 140000) {
		strbuf_addch(hint, ' ');
		strbuf_addf(hint, _("Or, for every table, sequence and schema at once (PostgreSQL 14 "
				    "and later): GRANT pg_read_all_data TO %s;"), a->role_q ? a->role_q : a->role);
	}
	strbuf_addch(hint, ' ');
	if (where)
		strbuf_addf(hint, _("Or back up as a role that reads them all (their owner or a "
				    "superuser), set in %s."), _(where));
	else
		strbuf_addstr(hint, _("Or back up as a role that reads them all (their owner or a "
				      "superuser)."));
	strbuf_release(&list);
	strbuf_release(&fixes);
}

int dumpaccess_refusal(const struct dumpaccess *a, const char *where, struct err *e)
{
	struct strbuf msg[2] = { STRBUF_INIT, STRBUF_INIT }, hint[2] = { STRBUF_INIT, STRBUF_INIT };
	if (!a->total)
		return 0;
	/* [0] English for the log, [1] the screen's translation */
	for (int l10n = 0; l10n < 2; l10n++) {
		int was = i18n_english(!l10n);
		refusal_text(a, where, &msg[l10n], &hint[l10n]);
		i18n_english(was);
	}
	err_set_l10n(e, msg[1].buf, "%s", msg[0].buf);
	err_hint_l10n(e, hint[1].buf, "%s", hint[0].buf);
	for (int i = 0; i < 2; i++) {
		strbuf_release(&msg[i]);
		strbuf_release(&hint[i]);
	}
	return -1;
}

void dumpaccess_release(struct dumpaccess *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->items[i].name);
		free(a->items[i].fix);
	}
	free(a->items);
	free(a->role);
	free(a->role_q);
	free(a->dbname);
	memset(a, 0, sizeof *a);
}
