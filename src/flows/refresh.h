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

struct flow_def;

extern const struct flow_def refresh_flow;

#endif
