/*
 * phpconf: read BISO's config.php without executing PHP.
 *
 * A small PHP tokenizer and evaluator for exactly the statements
 * `Config::set('key', VALUE);` at the top level of the file.  Everything
 * else (the open tag, `use`, `require`, function calls, assignments, ...) is
 * skipped.  VALUE may be built from:
 *   - single-quoted strings (\\ and \' escapes),
 *   - double-quoted strings (\n \t \r \v \e \f \\ \" \$ \x41 \101 \u{...});
 *     "$var" or "{$var}" interpolation cannot be evaluated,
 *   - integers (decimal, 0x, 0o/0 octal, 0b, with _ separators, unary -),
 *   - true, false, null (any case), __DIR__, __FILE__, DIRECTORY_SEPARATOR,
 *   - concatenation with `.` and parentheses,
 *   - arrays `[...]` and `array(...)` with `'k' => v` pairs or plain
 *     values, nested, trailing commas allowed.
 * Comments (`//`, `#` but not the attribute `#[`, and C-style block
 * comments) are skipped, `?>` leaves PHP mode, `__halt_compiler` ends it.
 * A later Config::set of the same key overrides an earlier one.
 *
 * Never a guess: a Config::set of 'env', 'datadir' or 'gaia.db' whose value
 * cannot be evaluated (a variable, a function call such as getenv(), a
 * constant, ...) is an error naming file and line, and so is one inside a
 * block or behind a condition (if, function body), and one whose key
 * cannot be evaluated.  Config::set of other keys that cannot be evaluated
 * are skipped, since biso-recover never uses them.  Syntax errors
 * (unterminated string or comment, missing `)`) are errors anywhere.
 */
#ifndef BR_PHPCONF_H
#define BR_PHPCONF_H

struct err;

struct phpconf {
	char *env;      /* Config::set('env', ...) or NULL */
	char *datadir;  /* Config::set('datadir', ...) or NULL */
	long datadir_line, env_line; /* line of the Config::set that won, 0 if none */
	/* Config::set('gaia.db', [...]): host, port, dbname (or 'database'),
	 * user (or 'username'), password; NULL when absent or null.  An
	 * integer port comes as its decimal string. */
	char *db_host, *db_port, *db_name, *db_user, *db_password;
	long db_line;   /* line of the Config::set('gaia.db'), 0 if none */
};

/* Read @path into @pc (zeroed first; all strings are malloc'd and owned by
 * @pc, free with phpconf_release(), also after an error).
 * @dir_override: the value of __DIR__ (use it when @path is a staging copy
 * of the file that will live elsewhere); NULL means the directory of @path,
 * made absolute with symlinks resolved, as PHP does.
 * Returns 0, or -1 with @e set: message, file @path, line (and byte offset)
 * of the offending token, and a hint. */
int phpconf_load(const char *path, const char *dir_override, struct phpconf *pc, struct err *e);

/* Free everything @pc owns and zero it. */
void phpconf_release(struct phpconf *pc);

/* Build a libpq conninfo ("host='...' port='...' dbname='...' user='...'
 * password='...'", values quoted and escaped per libpq) from gaia.db; absent
 * keys are left out.  It includes the password: callers must never log it
 * (see conninfo_redacted()).  Returns a malloc'd string, or NULL with @e set
 * when gaia.db has no dbname. */
char *phpconf_conninfo(const struct phpconf *pc, struct err *e);
/* The same with the database @dbname instead of config.php's (the
 * operator's --dbname NAME: host, port, user and password stay
 * config.php's); NULL or "" @dbname: phpconf_conninfo(). */
char *phpconf_conninfo_db(const struct phpconf *pc, const char *dbname, struct err *e);

#endif
