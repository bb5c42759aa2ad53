/*
 * conninfo: small helpers around libpq connection strings.
 *
 * Every function parses with libpq's own PQconninfoParse(), so both the
 * "key=value" form and the "postgresql://" URI form are accepted, and
 * whatever is written back is in "key='value'" form, quoted and escaped
 * the way libpq reads it (single quotes, backslash before ' and \).
 *
 * As psql and pg_dump take their dbname argument, a string without '='
 * that is not a postgresql:// (postgres://) URI is a bare database name:
 * conninfo_normalize() makes it "dbname='NAME'", and every function here
 * reads it so.
 *
 * A conninfo may hold a password: show conninfo_redacted().  The run log
 * masks passwords itself (logfile.h), the terminal does not.
 */
#ifndef BR_CONNINFO_H
#define BR_CONNINFO_H

struct err;
struct strbuf;

/* A malloc'd copy of @conninfo as libpq reads it: a bare database name
 * (no '=', not a URI; psql's rule) becomes "dbname='NAME'" with libpq's
 * quoting, anything else (a conninfo, a URI, "") is copied unchanged, also
 * when it is malformed (conninfo_check() says so).  NULL for NULL.  Every
 * place that takes a conninfo from the operator (--dbname, the
 * configuration's conninfo keys) passes it through this. */
char *conninfo_normalize(const char *conninfo);

/* 1 when @s is a bare database name as psql reads its dbname argument:
 * not empty, no '=', not a postgresql:// URI. */
int conninfo_is_name(const char *s);

/* The connection the operator's --dbname @arg means over @base, the
 * instance's conninfo (the configuration's or config.php's; NULL or "":
 * none): a bare database name (conninfo_is_name()) keeps @base's host,
 * port, user, password ... and replaces only its dbname; a conninfo or a
 * URI replaces @base whole (conninfo_normalize()).  malloc'd; NULL with @e
 * when @base cannot be parsed. */
char *conninfo_apply_dbname(const char *base, const char *arg, struct err *e);

/* Append " keyword='value'" to @sb (no leading space when @sb is empty),
 * with ' and \ in @value backslash-escaped.  @value NULL appends nothing. */
void conninfo_append(struct strbuf *sb, const char *keyword, const char *value);

/* The one check that a conninfo parses, as libpq parses it: 0, or -1 with
 * @e "@what is not a libpq conninfo: <libpq's words>" and a hint showing
 * the form.  @what names where it came from ("--dbname"), a msgid (N_():
 * the screen's message has its translation). */
int conninfo_check(const char *conninfo, const char *what, struct err *e);

/* Return a malloc'd copy of @conninfo (NULL is taken as "") with dbname set
 * to @dbname; every other keyword survives.  Returns NULL with @e set when
 * @conninfo cannot be parsed (libpq's message in detail). */
char *conninfo_with_dbname(const char *conninfo, const char *dbname, struct err *e);

/* For a child tool (pg_dump, pg_restore) that gets the connection in argv:
 * return a malloc'd copy of @conninfo with dbname set to @dbname (unless
 * NULL) and without the password, which goes to *@password_env as a
 * malloc'd "PGPASSWORD=..." for the child's environment (NULL when there
 * is none): a password in argv is visible to every user in ps.  Returns
 * NULL with @e set when @conninfo cannot be parsed. */
char *conninfo_for_child(const char *conninfo, const char *dbname, char **password_env,
			 struct err *e);

/* Return a malloc'd, printable form of @conninfo with the password replaced
 * by "***" (key='value' form).  Never NULL: an unparseable string comes back
 * as "(unparseable conninfo)" so that it cannot leak a password either. */
char *conninfo_redacted(const char *conninfo);

/* Overwrite every password in @conninfo in place with 'x' (the length
 * stays), as the MySQL client scrubs its argv: the value of password= in
 * the key=value form (quoted or not), and in the URI form the one after
 * "user:" in the authority and a password= query parameter.  Returns the
 * number of passwords overwritten.  Used on the command line's copy in
 * argv[], which ps shows for the whole run. */
int conninfo_mask_password(char *conninfo);

/* Return a malloc'd copy of @keyword's value in @conninfo, or NULL when the
 * keyword is absent or the string cannot be parsed. */
char *conninfo_get(const char *conninfo, const char *keyword);

/* The role @conninfo logs in as (malloc'd): its user, else libpq's default
 * (PGUSER, else the system user's name); NULL when none can be told.  For
 * messages that name the login which failed. */
char *conninfo_user(const char *conninfo);

/* The server @conninfo names, as it names it, for a drill's guard
 * (flow_def.targets): "server HOSTADDR-OR-HOST\n" appended to @out ("server
 * \n" when it names none: PGHOST or libpq's default would choose).
 * Nothing for a NULL @conninfo. */
void conninfo_target_server(const char *conninfo, struct strbuf *out);

/* The database @conninfo reaches, as "host:port/dbname" (malloc'd), for
 * locks keyed on it: host is hostaddr or host (the first of a list), else
 * PGHOST, else libpq's socket directory /var/run/postgresql; a socket
 * directory is resolved (realpath), a host name lowercased; port likewise
 * from PGPORT, else 5432; the database is @dbname when not NULL, else the
 * conninfo's, PGDATABASE or the user.  NULL when @conninfo is NULL. */
char *conninfo_target_key(const char *conninfo, const char *dbname);

#endif
