/* drill: scenarios, the sandbox, setup actions and checks; see drill.h. */
#include "config.h"
#include "drill.h"
#include "selfexe.h"
#include "conf.h"
#include "i18n.h"
#include "lock.h"
#include "maintenance.h"
#include "pgdump.h"
#include "runcmd.h"
#include "strbuf.h"
#include "verify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/share/biso-recover"
#endif

/* @dir holds the drills and the demo. */
static int is_share_dir(const char *dir)
{
	struct stat st;
	char *d = xstrfmt("%s/drills", dir);
	int ok = stat(d, &st) == 0 && S_ISDIR(st.st_mode);
	free(d);
	return ok;
}

const char *drill_share_dir(void)
{
	static char *beside; /* share/ of the checkout the binary was built in */
	const char *s = getenv("BISO_RECOVER_SHARE");
	char exe[4096];
	long n;
	if (s && *s)
		return s;
	if (is_share_dir(PKGDATADIR))
		return PKGDATADIR;
	/* not installed: the README's build (build/biso-recover in the
	 * checkout) finds the checkout's share/ beside it */
	if (!beside && (n = self_exe_path(exe, sizeof exe)) > 0) {
		char *slash;
		for (int up = 0; up < 2 && (slash = strrchr(exe, '/')); up++) {
			*slash = '\0';
			char *cand = xstrfmt("%s/share", exe);
			if (is_share_dir(cand)) {
				beside = cand;
				break;
			}
			free(cand);
		}
	}
	return beside ? beside : PKGDATADIR;
}

/* ---- scenario files ---- */

static const char *const top_keys[] = { "title", "story", "goal", "setup", "checks", "hints",
					 "explain", "manual", "needs_root", "choices", "refresh",
					 NULL };
static const char *const cmd_keys[] = { "action", "run", "why", NULL };
static const char *const choice_keys[] = { "label", "do", "mistake", NULL };
static const char *const setup_actions[] = { "cut-newest-dump", "chown-datadir", "remove-locale",
					      "restore-locale", "take-dump", "kill-backup-in-maintenance",
					      NULL };
static const char *const check_actions[] = { "restore-finished", "datadir-owner",
					      "maintenance-off", NULL };

static int in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (!strcmp(*l, s))
			return 1;
	return 0;
}

static int bad_at(struct err *e, const char *file, const config_setting_t *st, const char *fmt,
		  const char *what) __attribute__((format(printf, 4, 0)));
static int bad_at(struct err *e, const char *file, const config_setting_t *st, const char *fmt,
		  const char *what)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	err_set(e, fmt, what);
#pragma GCC diagnostic pop
	err_where(e, file, st ? (long)config_setting_source_line(st) : 0, -1);
	err_hint(e, "share/drills/README.md describes the scenario format.");
	return -1;
}

/* Every member of group @g is one of @keys. */
static int known_keys(const char *file, const config_setting_t *g, const char *const *keys,
		      struct err *e)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		if (!in_list(keys, config_setting_name(m)))
			return bad_at(e, file, m, "unknown key \"%s\"", config_setting_name(m));
	}
	return 0;
}

static char *opt_str(const char *file, const config_setting_t *g, const char *key, int need,
		     struct err *e, int *bad)
{
	const config_setting_t *m = config_setting_get_member(g, key);
	if (!m) {
		if (need) {
			*bad = bad_at(e, file, g, "\"%s\" is missing", key);
		}
		return NULL;
	}
	if (config_setting_type(m) != CONFIG_TYPE_STRING) {
		*bad = bad_at(e, file, m, "\"%s\" must be a string", key);
		return NULL;
	}
	return xstrdup(config_setting_get_string(m));
}

static char **str_array(const char *file, const config_setting_t *m, size_t *n, struct err *e,
			int *bad)
{
	int len = config_setting_length(m);
	char **v = xcalloc((size_t)len + 1, sizeof *v);
	if (!config_setting_is_array(m) && !config_setting_is_list(m)) {
		*bad = bad_at(e, file, m, "\"%s\" must be a list of strings", config_setting_name(m));
		free(v);
		return NULL;
	}
	for (int i = 0; i < len; i++) {
		const char *s = config_setting_get_string_elem(m, i);
		if (!s) {
			*bad = bad_at(e, file, m, "\"%s\" must be a list of strings",
				      config_setting_name(m));
			for (int k = 0; k < i; k++)
				free(v[k]);
			free(v);
			return NULL;
		}
		v[i] = xstrdup(s);
	}
	if (n)
		*n = (size_t)len;
	return v;
}

static void free_argv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void cmds_free(struct drill_cmd *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].action);
		free_argv(c[i].argv);
		free(c[i].why);
	}
	free(c);
}

/* A list of { action = "..."; } / { run = [ ... ]; } groups. */
static int load_cmds(const char *file, const config_setting_t *l, const char *const *actions,
		     struct drill_cmd **out, size_t *n, struct err *e)
{
	int len = config_setting_length(l), bad = 0;
	struct drill_cmd *c;
	if (!config_setting_is_list(l))
		return bad_at(e, file, l, "\"%s\" must be a list of ( { ... }, ... )",
			      config_setting_name(l));
	c = xcalloc((size_t)len + 1, sizeof *c);
	for (int i = 0; i < len && !bad; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		const config_setting_t *run = config_setting_get_member(g, "run");
		c[i].line = config_setting_source_line(g);
		if (!config_setting_is_group(g)) {
			bad = bad_at(e, file, g, "each entry of \"%s\" must be a group { ... }",
				     config_setting_name(l));
			break;
		}
		if (known_keys(file, g, cmd_keys, e) < 0) {
			bad = -1;
			break;
		}
		c[i].action = opt_str(file, g, "action", 0, e, &bad);
		c[i].why = opt_str(file, g, "why", 0, e, &bad);
		if (run && !bad)
			c[i].argv = str_array(file, run, NULL, e, &bad);
		if (bad)
			break;
		if (!c[i].action == !c[i].argv)
			bad = bad_at(e, file, g, "each entry of \"%s\" needs either action or run",
				     config_setting_name(l));
		else if (c[i].action && !in_list(actions, c[i].action))
			bad = bad_at(e, file, g, "unknown built-in action \"%s\"", c[i].action);
		else if (c[i].argv && !c[i].argv[0])
			bad = bad_at(e, file, g, "\"run\" is empty%s", "");
	}
	if (bad) {
		cmds_free(c, (size_t)len);
		return -1;
	}
	*out = c;
	*n = (size_t)len;
	return 0;
}

static int load_choices(const char *file, const config_setting_t *l, struct drill_scenario *s,
			struct err *e)
{
	int len = config_setting_length(l), bad = 0;
	if (!config_setting_is_list(l))
		return bad_at(e, file, l, "\"%s\" must be a list of ( { ... }, ... )", "choices");
	s->choices = xcalloc((size_t)len + 1, sizeof *s->choices);
	s->n_choices = (size_t)len;
	for (int i = 0; i < len && !bad; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		const config_setting_t *d;
		struct drill_choice *ch = &s->choices[i];
		if (!config_setting_is_group(g))
			return bad_at(e, file, g, "each entry of \"%s\" must be a group { ... }",
				      "choices");
		if (known_keys(file, g, choice_keys, e) < 0)
			return -1;
		ch->label = opt_str(file, g, "label", 1, e, &bad);
		ch->mistake = opt_str(file, g, "mistake", 0, e, &bad);
		if (!bad && (d = config_setting_get_member(g, "do")))
			bad = load_cmds(file, d, setup_actions, &ch->run, &ch->n_run, e);
	}
	return bad ? -1 : 0;
}

/* *@text in the operator's language: a shipped scenario's texts are msgids
 * (po/drill-strings.c, written by tools/drill-strings); a site's own
 * scenario has no translation and stays as written. */
static void translate(char **text)
{
	const char *t;
	if (!*text || (t = _(*text)) == *text)
		return;
	free(*text);
	*text = xstrdup(t);
}

static void translate_scenario(struct drill_scenario *s)
{
	translate(&s->title);
	translate(&s->story);
	translate(&s->goal);
	translate(&s->explain);
	translate(&s->manual);
	for (size_t i = 0; i < s->n_hints; i++)
		translate(&s->hints[i]);
	for (size_t i = 0; i < s->n_checks; i++)
		translate(&s->checks[i].why);
	for (size_t i = 0; i < s->n_choices; i++) {
		translate(&s->choices[i].label);
		translate(&s->choices[i].mistake);
	}
}

int drill_scenario_load(const char *path, struct drill_scenario *s, struct err *e)
{
	config_t cfg;
	const config_setting_t *root, *m;
	const char *base = strrchr(path, '/');
	int bad = 0;

	memset(s, 0, sizeof *s);
	config_init(&cfg);
	if (!config_read_file(&cfg, path)) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO) {
			err_errno(e, errno, "cannot read the scenario %s", path);
		} else {
			err_set(e, "%s", config_error_text(&cfg));
			err_where(e, path, config_error_line(&cfg), -1);
			err_hint(e, "share/drills/README.md describes the scenario format.");
		}
		config_destroy(&cfg);
		return -1;
	}
	s->path = xstrdup(path);
	s->name = xstrdup(base ? base + 1 : path);
	if (strlen(s->name) > 5 && !strcmp(s->name + strlen(s->name) - 5, ".conf"))
		s->name[strlen(s->name) - 5] = '\0';
	root = config_root_setting(&cfg);
	if (known_keys(path, root, top_keys, e) < 0)
		goto fail;
	s->title = opt_str(path, root, "title", 1, e, &bad);
	if (!bad)
		s->story = opt_str(path, root, "story", 1, e, &bad);
	if (!bad)
		s->goal = opt_str(path, root, "goal", 1, e, &bad);
	if (!bad)
		s->explain = opt_str(path, root, "explain", 0, e, &bad);
	if (!bad)
		s->manual = opt_str(path, root, "manual", 0, e, &bad);
	if (bad)
		goto fail;
	if ((m = config_setting_get_member(root, "needs_root")))
		s->needs_root = config_setting_get_bool(m);
	if ((m = config_setting_get_member(root, "refresh")))
		s->refresh = config_setting_get_bool(m);
	if ((m = config_setting_get_member(root, "setup")) &&
	    load_cmds(path, m, setup_actions, &s->setup, &s->n_setup, e) < 0)
		goto fail;
	if (!(m = config_setting_get_member(root, "checks"))) {
		bad_at(e, path, root, "\"%s\" is missing", "checks");
		goto fail;
	}
	if (load_cmds(path, m, check_actions, &s->checks, &s->n_checks, e) < 0)
		goto fail;
	if ((m = config_setting_get_member(root, "hints")) &&
	    !(s->hints = str_array(path, m, &s->n_hints, e, &bad)))
		goto fail;
	if ((m = config_setting_get_member(root, "choices")) && load_choices(path, m, s, e) < 0)
		goto fail;
	config_destroy(&cfg);
	translate_scenario(s);
	return 0;
fail:
	config_destroy(&cfg);
	drill_scenario_free(s);
	return -1;
}

void drill_scenario_free(struct drill_scenario *s)
{
	free(s->path);
	free(s->name);
	free(s->title);
	free(s->story);
	free(s->goal);
	free(s->explain);
	free(s->manual);
	cmds_free(s->setup, s->n_setup);
	cmds_free(s->checks, s->n_checks);
	free_argv(s->hints);
	for (size_t i = 0; i < s->n_choices; i++) {
		free(s->choices[i].label);
		free(s->choices[i].mistake);
		cmds_free(s->choices[i].run, s->choices[i].n_run);
	}
	free(s->choices);
	memset(s, 0, sizeof *s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int drill_scenario_list(const char *dir, char ***out, size_t *n, struct err *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t k = 0;
	if (!d)
		return err_errno(e, errno, "cannot read the scenarios in %s", dir), -1;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len <= 5 || strcmp(de->d_name + len - 5, ".conf") || de->d_name[0] == '.')
			continue;
		v = xrealloc(v, (k + 1) * sizeof *v);
		v[k++] = xstrfmt("%s/%s", dir, de->d_name);
	}
	closedir(d);
	if (k)
		qsort(v, k, sizeof *v, cmp_str);
	*out = v;
	*n = k;
	return 0;
}

/* ---- the sandbox ---- */

void drill_sandbox_init(struct drill_sandbox *sb, const char *root)
{
	memset(sb, 0, sizeof *sb);
	sb->root = xstrdup(root);
	sb->share = xstrfmt("%s/demo", drill_share_dir());
	sb->webroot = xstrfmt("%s/prod/webroot", root);
	sb->datadir = xstrfmt("%s/prod/webroot/data", root);
	sb->backups = xstrfmt("%s/backups", root);
	sb->conf = xstrfmt("%s/biso-recover.conf", root);
	sb->pgdir = xstrfmt("%s/pg", root);
}

/* <root>/drill.pid, malloc'd */
static char *hold_path(const char *root)
{
	return xstrfmt("%s/drill.pid", root);
}

int drill_sandbox_hold(const struct drill_sandbox *sb, struct err *e)
{
	char *path = hold_path(sb->root);
	FILE *f = fopen(path, "we");
	int ret = 0;
	if (!f || fprintf(f, "%ld %lld\n", (long)getpid(), lock_process_start(getpid())) < 0)
		ret = err_errno(e, errno, "cannot write %s", path);
	if (f && fclose(f) != 0 && ret == 0)
		ret = err_errno(e, errno, "cannot write %s", path);
	free(path);
	return ret;
}

/* The pid and start time of the mark; 0 when there is none. */
static int read_hold(const char *root, long *pid, long long *start)
{
	char *path = hold_path(root);
	FILE *f = fopen(path, "re");
	int ok = f && fscanf(f, "%ld %lld", pid, start) == 2;
	if (f)
		fclose(f);
	free(path);
	return ok;
}

void drill_sandbox_release_hold(const struct drill_sandbox *sb)
{
	long pid;
	long long start;
	if (read_hold(sb->root, &pid, &start) && pid == (long)getpid()) {
		char *path = hold_path(sb->root);
		unlink(path);
		free(path);
	}
}

int drill_sandbox_held(const char *root)
{
	long pid;
	long long start;
	return read_hold(root, &pid, &start) && lock_process_alive(pid, start);
}

void drill_sandbox_release(struct drill_sandbox *sb)
{
	free(sb->root);
	free(sb->share);
	free(sb->webroot);
	free(sb->datadir);
	free(sb->backups);
	free(sb->conf);
	free(sb->pgdir);
	free(sb->port);
	memset(sb, 0, sizeof *sb);
}

/* PGPORT from <root>/env.sh ("export PGPORT='N'"). */
static int read_port(struct drill_sandbox *sb, struct err *e)
{
	char *path = xstrfmt("%s/env.sh", sb->root), line[512];
	FILE *f = fopen(path, "r");
	if (!f) {
		err_errno(e, errno, "cannot read %s", path);
		free(path);
		return -1;
	}
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "export PGPORT='", 15)) {
			free(sb->port);
			sb->port = xstrdup(line + 15);
			sb->port[strspn(sb->port, "0123456789")] = '\0';
		}
	fclose(f);
	if (!sb->port || !*sb->port) {
		err_set(e, "%s names no PGPORT", path);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

static int demo_script(const struct drill_sandbox *sb, const char *script, const char *opt,
		       const char *const *env, struct report *r, struct err *e)
{
	char *prog = xstrfmt("%s/%s", sb->share, script);
	const char *argv[] = { prog, opt ? opt : sb->root, opt ? sb->root : NULL, NULL };
	struct child_process cp = { 0 };
	int status = 0, ret;
	(void)r;
	cp.argv = argv;
	cp.env = env;
	cp.report = r;
	if (r && r->log) {
		struct strbuf out = STRBUF_INIT;
		ret = runcmd_logged(argv, NULL, &out, r, e);
		strbuf_release(&out);
		free(prog);
		return ret;
	}
	ret = runcmd_run(&cp, &status, e);
	if (ret > 0) {
		err_set(e, "%s exited with status %d", prog, status);
		ret = -1;
	}
	free(prog);
	return ret;
}

int drill_sandbox_build(struct drill_sandbox *sb, struct report *r, struct err *e)
{
	if (demo_script(sb, "make-backup-set.sh", "--force", NULL, r, e) < 0) {
		err_prefix(e, "cannot build the drill's sandbox in %s", sb->root);
		return -1;
	}
	return read_port(sb, e);
}

int drill_sandbox_stop(struct drill_sandbox *sb, struct report *r, struct err *e)
{
	return demo_script(sb, "stop.sh", NULL, NULL, r, e);
}

/* ---- setup actions and checks ---- */

/* @word with @SANDBOX@, @WEBROOT@, @DATADIR@, @BACKUPS@ and @PG@ replaced
 * by @sb's paths; malloc'd. */
static char *expand_word(const struct drill_sandbox *sb, const char *word)
{
	struct strbuf w = STRBUF_INIT;
	const struct { const char *tag, *val; } map[] = {
		{ "@SANDBOX@", sb->root }, { "@WEBROOT@", sb->webroot },
		{ "@DATADIR@", sb->datadir }, { "@BACKUPS@", sb->backups },
		{ "@PG@", sb->pgdir },
	};
	for (const char *p = word; *p;) {
		size_t k;
		for (k = 0; k < sizeof map / sizeof *map; k++)
			if (!strncmp(p, map[k].tag, strlen(map[k].tag)))
				break;
		if (k < sizeof map / sizeof *map) {
			strbuf_addstr(&w, map[k].val);
			p += strlen(map[k].tag);
		} else {
			strbuf_addch(&w, *p++);
		}
	}
	return strbuf_detach(&w, NULL);
}

/* @argv with @SANDBOX@ ... replaced; malloc'd words. */
static char **expand(const struct drill_sandbox *sb, char *const *argv)
{
	size_t n = 0;
	char **v;
	while (argv[n])
		n++;
	v = xcalloc(n + 1, sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = expand_word(sb, argv[i]);
	return v;
}

/* *@text with the placeholders replaced (NULL stays NULL). */
static void expand_text(const struct drill_sandbox *sb, char **text)
{
	char *t;
	if (!*text)
		return;
	t = expand_word(sb, *text);
	free(*text);
	*text = t;
}

void drill_scenario_expand(struct drill_scenario *s, const struct drill_sandbox *sb)
{
	expand_text(sb, &s->title);
	expand_text(sb, &s->story);
	expand_text(sb, &s->goal);
	expand_text(sb, &s->explain);
	expand_text(sb, &s->manual);
	for (size_t i = 0; i < s->n_hints; i++)
		expand_text(sb, &s->hints[i]);
	for (size_t i = 0; i < s->n_checks; i++)
		expand_text(sb, &s->checks[i].why);
	for (size_t i = 0; i < s->n_choices; i++) {
		expand_text(sb, &s->choices[i].label);
		expand_text(sb, &s->choices[i].mistake);
	}
}

/* The commands' environment: the sandbox's cluster. */
static void sandbox_env(const struct drill_sandbox *sb, char *env[8])
{
	env[0] = xstrfmt("PGHOST=%s", sb->pgdir);
	env[1] = xstrfmt("PGPORT=%s", sb->port ? sb->port : "5432");
	env[2] = xstrdup("PGUSER=postgres");
	env[3] = xstrdup("PGDATABASE=biso");
	env[4] = xstrfmt("DRILL_SANDBOX=%s", sb->root);
	env[5] = NULL;
}

static void env_free(char *env[8])
{
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
}

struct capture {
	struct strbuf *out;
};

static void capture_line(void *ctx, int is_stderr, const char *line)
{
	struct capture *c = ctx;
	(void)is_stderr;
	if (c->out)
		strbuf_addf(c->out, "%s\n", line);
}

/* Run @argv in the sandbox: 0 exit 0, 1 other exit (@out has its output),
 * -1 with @e when it did not start. */
static int run_argv(const struct drill_sandbox *sb, char *const *argv, struct strbuf *out,
		    struct report *r, struct err *e)
{
	char **v = expand(sb, argv), *env[8];
	struct child_process cp = { 0 };
	struct capture cap = { out };
	int status = 0, ret;
	sandbox_env(sb, env);
	cp.argv = (const char *const *)v;
	cp.env = (const char *const *)env;
	cp.dir = sb->root;
	cp.on_line = capture_line;
	cp.ctx = &cap;
	cp.report = r;
	ret = runcmd_run(&cp, &status, e);
	env_free(env);
	free_argv(v);
	return ret;
}

/* The newest dump of the sandbox's backup set, malloc'd, or NULL. */
static char *newest_dump(const struct drill_sandbox *sb)
{
	char *dir = xstrfmt("%s/db", sb->backups), *best = NULL;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "biso_", 5) || !strstr(de->d_name, ".sql.gz"))
			continue;
		if (!best || strcmp(de->d_name, best) > 0) {
			free(best);
			best = xstrdup(de->d_name);
		}
	}
	if (d)
		closedir(d);
	if (best) {
		char *p = xstrfmt("%s/%s", dir, best);
		free(best);
		best = p;
	}
	free(dir);
	return best;
}

/* Restart the cluster with LOCPATH at a directory holding only C.utf8:
 * de_CH.utf8 is then unknown to the server, as on a machine without it,
 * and nothing of the system changes. */
static int locale_restart(const struct drill_sandbox *sb, int remove, struct report *r,
			  struct err *e)
{
	char *nol = xstrfmt("%s/nolocale", sb->root), *link = xstrfmt("%s/C.utf8", nol);
	char *envv = xstrfmt("LOCPATH=%s", nol);
	const char *env[] = { envv, NULL };
	int ret;
	mkdir(nol, 0755);
	if (access("/usr/lib/locale/C.utf8", F_OK) == 0 && symlink("/usr/lib/locale/C.utf8", link) < 0 &&
	    errno != EEXIST) {
		ret = err_errno(e, errno, "cannot create %s", link);
		goto out;
	}
	ret = demo_script(sb, "stop.sh", NULL, NULL, NULL, e);
	if (ret == 0)
		ret = demo_script(sb, "start.sh", NULL, remove ? env : NULL, NULL, e);
	(void)r;
out:
	free(nol);
	free(link);
	free(envv);
	return ret < 0 ? -1 : 0;
}

/* A backup killed (kill -9) while maintenance mode was on: a child
 * switches it on the way the backup flow does (maintenance_set(): the
 * marker first, then biso-cli) and is gone when the trainee starts. */
static int killed_backup(const struct drill_sandbox *sb, struct report *r, struct err *e)
{
	struct conf c;
	int status = 0;
	pid_t pid;
	(void)r;
	conf_init_defaults(&c);
	if (conf_load(&c, sb->conf, 1, e) < 0) {
		conf_release(&c);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		conf_release(&c);
		return err_errno(e, errno, "cannot fork");
	}
	if (pid == 0) {
		struct err ce = ERR_INIT;
		_exit(maintenance_set(&c, c.webroot, 1, "20000101_000000", NULL, &ce) < 0 ? 1 : 0);
	}
	conf_release(&c);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return err_set(e, "could not switch maintenance mode on in the sandbox");
	return 0;
}

int drill_do(const struct drill_sandbox *sb, const struct drill_cmd *cmd, struct report *r,
	     struct err *e)
{
	if (cmd->argv) {
		struct strbuf out = STRBUF_INIT;
		int ret = run_argv(sb, cmd->argv, &out, r, e);
		if (ret > 0) {
			err_set(e, "%s failed", cmd->argv[0]);
			err_detail(e, "%s", out.buf);
		}
		strbuf_release(&out);
		return ret ? -1 : 0;
	}
	if (!strcmp(cmd->action, "cut-newest-dump")) {
		/* a backup killed by a full disk: the gzip stream ends mid-way */
		char *p = newest_dump(sb);
		struct stat st;
		int ret = 0;
		if (!p)
			return err_set(e, "no dump in %s/db to cut", sb->backups), -1;
		if (stat(p, &st) < 0 || truncate(p, st.st_size / 2) < 0)
			ret = err_errno(e, errno, "cannot cut %s", p);
		free(p);
		return ret;
	}
	if (!strcmp(cmd->action, "chown-datadir")) {
		/* a manual copy as root: owned by nobody the web server runs as */
		const char *argv[] = { "chown", "-R", "nobody:nogroup", sb->datadir, NULL };
		if (geteuid() != 0)
			return err_set(e, "chown-datadir needs root"), -1;
		return runcmd_logged(argv, NULL, NULL, r, e);
	}
	if (!strcmp(cmd->action, "remove-locale") || !strcmp(cmd->action, "restore-locale"))
		return locale_restart(sb, !strcmp(cmd->action, "remove-locale"), r, e);
	if (!strcmp(cmd->action, "take-dump")) {
		/* a nightly dump taken now, newer than the sandbox's */
		struct pgdump_opts o = { 0 };
		struct pgdump_result res;
		char *ci = xstrfmt("host=%s port=%s user=postgres dbname=biso", sb->pgdir,
				   sb->port ? sb->port : "5432");
		char *dir = xstrfmt("%s/db", sb->backups);
		char *newest = newest_dump(sb);
		int ret;
		o.conninfo = ci;
		o.dbname = "biso";
		o.dir = dir;
		o.prefix = "biso_";
		o.when = time(NULL);
		/* one second past the newest: the names carry the second */
		if (newest) {
			const char *b = strrchr(newest, '_');
			struct tm tm = { 0 };
			if (b && strptime(b - 8, "%Y%m%d_%H%M%S", &tm)) {
				time_t t;
				tm.tm_isdst = -1;
				t = mktime(&tm);
				if (o.when <= t)
					o.when = t + 1;
			}
		}
		ret = pgdump_run(&o, &res, r, e);
		pgdump_result_release(&res);
		free(ci);
		free(dir);
		free(newest);
		return ret;
	}
	if (!strcmp(cmd->action, "kill-backup-in-maintenance"))
		return killed_backup(sb, r, e);
	return err_set(e, "unknown built-in action \"%s\"", cmd->action), -1;
}

int drill_check(const struct drill_sandbox *sb, const struct drill_state *st,
		const struct drill_cmd *cmd, struct strbuf *why, struct err *e)
{
	if (cmd->argv) {
		int ret = run_argv(sb, cmd->argv, why, NULL, e);
		return ret < 0 ? -1 : !ret;
	}
	if (!strcmp(cmd->action, "restore-finished"))
		return st->restores > 0 && st->last_code == 0 && st->last_all_steps;
	if (!strcmp(cmd->action, "maintenance-off")) {
		char *p = xstrfmt("%s/maintenance.on", sb->datadir);
		int off = access(p, F_OK) != 0;
		free(p);
		return off;
	}
	if (!strcmp(cmd->action, "datadir-owner")) {
		struct conf c;
		struct tree_owner t = { 0, 0, 0, why, NULL };
		uid_t uid;
		gid_t gid;
		int ret;
		conf_init_defaults(&c);
		if (conf_load(&c, sb->conf, 1, e) < 0 || conf_web_owner(&c, &uid, &gid, e) < 0) {
			conf_release(&c);
			return -1;
		}
		ret = verify_tree_owner(sb->datadir, uid, gid, 3, &t, e);
		conf_release(&c);
		return ret < 0 ? -1 : t.bad == 0;
	}
	return err_set(e, "unknown built-in check \"%s\"", cmd->action), -1;
}
