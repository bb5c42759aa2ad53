/*
 * bisocli: how biso-recover runs BISO's console tool biso-cli (migrations,
 * maintenance mode, the anonymizer): one argument vector for every
 * subcommand, run in the webroot, never through a shell.
 */
#ifndef BR_BISOCLI_H
#define BR_BISOCLI_H

struct conf;
struct err;
struct report;
struct strbuf;

/* The argv that runs biso-cli subcommand @sub (NULL-terminated words,
 * e.g. { "migration", "exec", NULL }) for @c: the biso-cli command of the
 * configuration followed by @sub.  Returns a malloc'd NULL-terminated array
 * of borrowed strings (from @c and @sub): free() the array only. */
const char **bisocli_argv(const struct conf *c, const char *const *sub);

/* 1 when biso-cli runs through PHP on this host (the program of its argv
 * is named php..., e.g. /usr/bin/php or php8.2): then a run as root runs it
 * as the web user, so that files it writes into the datadir (maintenance
 * mode, caches) belong to the web server.  A wrapper (docker, sudo, ssh)
 * runs as it is: its container or target decides the user (docker compose
 * exec -u www-data ...). */
int bisocli_as_web_user(const struct conf *c);

/* 1 when bisocli_run() runs biso-cli as the web user: this process runs as
 * root and bisocli_as_web_user(); the plan's manual commands then say
 * "runuser -u WEB_USER --" too. */
int bisocli_switches_user(const struct conf *c);

/* Run biso-cli @sub in @webroot (as the web user when
 * bisocli_switches_user()), each output line logged through @r and also
 * appended to @capture (may be NULL), as runcmd_logged().  Returns 0 on
 * exit status 0, -1 with @e otherwise (also when the web user does not
 * exist). */
int bisocli_run(const struct conf *c, const char *webroot, const char *const *sub,
		struct strbuf *capture, struct report *r, struct err *e);

#endif
