/*
 * refresh: a test system refreshed from production's backup, the manual's
 * "Data Refresh (Production -> Test)" as a flow (flow.h) of six steps:
 *
 *   maintenance -> fetch -> database -> datadir -> anonymize -> check
 *
 * The target is the test instance named as for a restore (--webroot,
 * --config-php; its own config.php gives env, datadir and database); the
 * source is a backup set (--source DIR or HOST:PATH, default backup_root).  The preflight
 * refuses a target whose config.php does not say env 'dev' and a target
 * that is production by identity; --yes never bypasses either.  See
 * refresh_int.h for the state and README.md for the operator's view.
 */
#ifndef BR_REFRESH_H
#define BR_REFRESH_H

struct conf;
struct err;
struct flow_def;

extern const struct flow_def refresh_flow;

/*
 * The refresh's guard on its own, before a run exists (the wizard's first
 * screen asks it before the attachments policy): the target named by @c
 * (c->webroot, c->config_php else WEBROOT/config.php) must be a test
 * system, its config.php saying env 'dev'.  0 when it does; -1 with @e the
 * preflight's refusal (its message, detail and hint), also when config.php
 * cannot be read.  *@env (when @env is not NULL) gets config.php's env,
 * malloc'd, or NULL when it sets none or could not be read.  Reads only.
 */
int refresh_check_target(struct conf *c, char **env, struct err *e);

#endif
