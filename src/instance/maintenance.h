/*
 * maintenance: an instance's maintenance mode and its services, as the
 * backup and refresh flows switch them: `biso-cli maintenance on|off` in
 * the webroot (bisocli_run(): as the web user where PHP runs on this host,
 * its output logged) with the marker of maintmark.h written before "on"
 * and removed after "off", so that a run killed while it was on is put
 * right by the next command; and the configured argv lists of
 * services.stop_services / services.start_services run in order through
 * runcmd.  Shared by every flow that needs them: write no second one.
 */
#ifndef BR_MAINTENANCE_H
#define BR_MAINTENANCE_H

struct conf;
struct err;
struct report;

/* Switch maintenance mode of the instance in @webroot on (@on 1) or off
 * (0) with biso-cli, for the run @stamp.  On: the marker first (not
 * written: -1, maintenance stays off); a biso-cli that fails is followed
 * by an "off" (it may have gone on before failing).  Off: the marker is
 * removed only when biso-cli succeeded (the next command tries again).
 * 0, or -1 with @e. */
int maintenance_set(const struct conf *c, const char *webroot, int on, const char *stamp,
		    struct report *r, struct err *e);

/* Leave maintenance mode on on purpose (the refresh's failed anonymization
 * check): the marker is removed, so that no later command switches it
 * off. */
void maintenance_leave_on(const struct conf *c);

/* Run each argv list of @lists (NULL-terminated, may be NULL) in order,
 * each logged with its output; the first that fails stops with @e.  0, or
 * -1. */
int maintenance_run_lists(char ***lists, struct report *r, struct err *e);

/* 1 when @lists holds at least one non-empty argv list. */
int maintenance_has_lists(char ***lists);

#endif
