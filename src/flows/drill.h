/*
 * drill: practising recoveries on a sandbox (issue 14).
 *
 * A drill builds its own sandbox from the installed program's data
 * (PKGDATADIR/demo, drill_sandbox_build()): a demo BISO instance, its
 * backup set and a throw-away PostgreSQL cluster on a Unix socket in
 * <root>/pg.  A scenario (PKGDATADIR/drills/NAME.conf, libconfig, see
 * share/drills/README.md) breaks the sandbox (its setup), states a goal,
 * and says how to tell it is reached (its checks); the restore flows then
 * run on the sandbox with run_opts.sandbox set, so the engine refuses any
 * target outside it (run_sandbox_check()).
 *
 * Commands of a scenario are argv lists, run through runcmd with the
 * sandbox's cluster in PGHOST/PGPORT (PGUSER postgres, PGDATABASE biso);
 * the words @SANDBOX@, @WEBROOT@, @DATADIR@, @BACKUPS@ and @PG@ in them are
 * replaced by the sandbox's paths, and so are they in the texts a trainee
 * reads (drill_scenario_expand()).
 */
#ifndef BR_DRILL_H
#define BR_DRILL_H

#include <stddef.h>

#include "err.h"
#include "report.h"

/* One thing to do or to check: a built-in @action, or @argv. */
struct drill_cmd {
	char *action;   /* built-in name, or NULL */
	char **argv;    /* NULL-terminated, or NULL */
	char *why;      /* checks: why it matters, when it was missed */
	int line;       /* in the scenario file */
};

/* A choice the scenario offers the trainee (a fix to apply). */
struct drill_choice {
	char *label;
	struct drill_cmd *run;
	size_t n_run;
	char *mistake;  /* NULL: a right choice; else why it is wrong */
};

struct drill_scenario {
	char *path, *name;      /* file, and its name without .conf */
	char *title, *story, *goal, *explain, *manual;
	int needs_root;
	int refresh;            /* offer a refresh of the test system too */
	struct drill_cmd *setup, *checks;
	size_t n_setup, n_checks;
	char **hints;
	size_t n_hints;
	struct drill_choice *choices;
	size_t n_choices;
};

/* The sandbox: paths below @root as share/demo/make-backup-set.sh lays
 * them out.  All malloc'd. */
struct drill_sandbox {
	char *root, *share, *webroot, *datadir, *backups, *conf, *pgdir, *port;
};

/* The data directory (drills/, demo/): $BISO_RECOVER_SHARE (tests run
 * from the build tree), else PKGDATADIR when it is installed, else the
 * share/ of the checkout the running binary was built in (the README's
 * build: no install needed to practise), else PKGDATADIR (whose absence
 * the caller reports).  Static. */
const char *drill_share_dir(void);

/* Read the scenario @path, its texts (title, story, goal, hints, whys,
 * choices, explain, manual) in the operator's language where the
 * catalogue has them (po/drill-strings.c).  0, or -1 with @e naming the
 * file and line: a syntax error, an unknown key, a missing
 * title/story/goal/checks, a built-in name that does not exist.  Release
 * with drill_scenario_free(). */
int drill_scenario_load(const char *path, struct drill_scenario *s, struct err *e);
void drill_scenario_free(struct drill_scenario *s);
/* The scenario files in @dir (*.conf), sorted, malloc'd (free each and the
 * array); *@n their count.  -1 with @e when @dir cannot be read. */
int drill_scenario_list(const char *dir, char ***out, size_t *n, struct err *e);

/* Replace @SANDBOX@, @WEBROOT@, @DATADIR@, @BACKUPS@ and @PG@ in every
 * text of @s a trainee reads (title, story, goal, hints, each check's why,
 * each choice's label and mistake, explain, manual) by @sb's paths, as in
 * its commands.  Call it after drill_scenario_load(): the catalogue's
 * msgids keep the placeholders, so the translated texts are expanded. */
void drill_scenario_expand(struct drill_scenario *s, const struct drill_sandbox *sb);

/* Fill @sb with the layout of the sandbox at @root (nothing is touched). */
void drill_sandbox_init(struct drill_sandbox *sb, const char *root);
void drill_sandbox_release(struct drill_sandbox *sb);
/* Build the sandbox afresh (the demo's make-backup-set.sh --force, its
 * output logged through @r; the cluster keeps running) and read its port.
 * 0, or -1 with @e. */
int drill_sandbox_build(struct drill_sandbox *sb, struct report *r, struct err *e);
/* Stop the sandbox's cluster (removes nothing).  0, or -1 with @e. */
int drill_sandbox_stop(struct drill_sandbox *sb, struct report *r, struct err *e);

/*
 * Who stops the sandbox's cluster.  A drill's restore runs in a detached
 * runner that outlives the drill when the terminal goes (the scenario of
 * an SSH connection that drops): the drill must not stop the cluster under
 * it.  The drill marks the sandbox as in use by it (<root>/drill.pid: its
 * pid and start time) while it runs; at its end it stops the cluster only
 * when no runner of the sandbox lives, and a runner started with
 * --drill-root stops it at its own end when no drill holds the sandbox.
 */
/* Write the mark for this process.  0, or -1 with @e. */
int drill_sandbox_hold(const struct drill_sandbox *sb, struct err *e);
/* Remove the mark when it is this process's. */
void drill_sandbox_release_hold(const struct drill_sandbox *sb);
/* 1 when the process that wrote the mark of the sandbox at @root still
 * runs (the pid with its start time), else 0. */
int drill_sandbox_held(const char *root);

/* What the drill knows of the trainee's last restore, for the checks. */
struct drill_state {
	int restores;        /* restores run */
	int last_code;       /* exit code of the last one */
	int last_all_steps;  /* it ran every step */
};

/* Run @cmd (a setup line or a choice's): 0, or -1 with @e. */
int drill_do(const struct drill_sandbox *sb, const struct drill_cmd *cmd, struct report *r,
	     struct err *e);
/* Evaluate check @cmd: 1 done, 0 not (its output, when any, in @why), -1
 * with @e when it could not be evaluated. */
int drill_check(const struct drill_sandbox *sb, const struct drill_state *st,
		const struct drill_cmd *cmd, struct strbuf *why, struct err *e);

#endif
