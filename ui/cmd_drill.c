/*
 * `biso-recover drill`: practise a recovery on a sandbox (issue 14).
 *
 * Builds the sandbox (drill.h), breaks it as the scenario says, then lets
 * the trainee work in steps on the terminal: a restore in line mode or in
 * the wizard (the real flows, confined to the sandbox by run_opts.sandbox,
 * each run by a detached runner as outside a drill; a --dry-run in-process),
 * a fix the scenario offers, a hint.  After each step the scenario's
 * checks run; the drill ends when they all pass or the trainee ends it,
 * with a debrief on screen and in a file.  Results are kept per user in
 * ~/.biso-recover/drill-results (0600).
 */
#include "config.h"
#include "cli.h"
#include "drill.h"
#include "detached.h"
#include "drill_record.h"
#include "frontend.h"
#include "i18n.h"
#include "lock.h"
#include "statusfile.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A marker that says a directory is a sandbox a drill made: a rebuild
 * wipes only such a directory. */
#define MARKER ".biso-recover-drill"

const char *cli_drill_banner(void)
{
	return _("DRILL (sandbox: nothing real is touched)");
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void mmss(double s, char out[16])
{
	snprintf(out, 16, "%d:%02d", (int)s / 60, (int)s % 60);
}

/* ~/.biso-recover (0700), malloc'd; NULL without a HOME. */
static char *home_dir(void)
{
	const char *h = getenv("HOME");
	char *d;
	if (!h || !*h)
		return NULL;
	d = xstrfmt("%s/.biso-recover", h);
	mkdir(d, 0700);
	return d;
}

/* drill --list shows the newest results only: the scenarios stay in
 * sight on a 24-line terminal (tests and practice add one a run) */
#define DRILL_RESULTS_SHOWN 5

/* One line of the results file, in the operator's language. */
static void print_result(const char *line)
{
	/* the file keeps the English words (done, ended); shown here in
	 * the operator's language */
	char date[16], clock[16], name[256], result[16], t[16], hints[16], mistakes[16];
	if (sscanf(line, "%15s %15s %255s %15s %15s %15s %15s", date, clock, name, result, t,
		   hints, mistakes) == 7 && (!strcmp(result, "done") || !strcmp(result, "ended")))
		printf("  %s %s  %-22s %-8s %6s  %s  %s\n", date, clock, name,
		       !strcmp(result, "done") ? _("done") : _("ended"), t, hints, mistakes);
	else
		printf("  %s\n", line);
}

/* The past results, oldest first: all of them (@all), else the newest
 * DRILL_RESULTS_SHOWN after a line that counts the older ones.  The file
 * is read once, keeping the newest lines in a ring. */
static void print_results(int all)
{
	char *d = home_dir(), *p = d ? xstrfmt("%s/drill-results", d) : NULL;
	FILE *f = p ? fopen(p, "r") : NULL;
	struct strbuf ring[DRILL_RESULTS_SHOWN];
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;
	for (size_t i = 0; i < DRILL_RESULTS_SHOWN; i++)
		strbuf_init(&ring[i], 0);
	printf("\n%s\n", _("Your past results (date, scenario, result, time, hints, mistakes):"));
	if (!f)
		printf("  %s\n", _("none yet"));
	while (f && (len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (all) {
			print_result(line);
			continue;
		}
		strbuf_reset(&ring[n % DRILL_RESULTS_SHOWN]);
		strbuf_addstr(&ring[n % DRILL_RESULTS_SHOWN], line);
		n++;
	}
	if (n > DRILL_RESULTS_SHOWN) {
		size_t older = n - DRILL_RESULTS_SHOWN;
		printf("  ");
		printf(P_("(%zu older result; all of them: biso-recover drill --list --all)\n",
			  "(%zu older results; all of them: biso-recover drill --list --all)\n",
			  older), older);
	}
	for (size_t i = n > DRILL_RESULTS_SHOWN ? n - DRILL_RESULTS_SHOWN : 0; i < n; i++)
		print_result(ring[i % DRILL_RESULTS_SHOWN].buf);
	for (size_t i = 0; i < DRILL_RESULTS_SHOWN; i++)
		strbuf_release(&ring[i]);
	free(line);
	if (f)
		fclose(f);
	free(p);
	free(d);
}

static void save_result(const char *scenario, int done, double secs, size_t hints, int mistakes)
{
	char *d = home_dir(), *p = d ? xstrfmt("%s/drill-results", d) : NULL, when[32], t[16];
	int fd = p ? open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
	time_t now = time(NULL);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime(&now));
	mmss(secs, t);
	if (fd >= 0) {
		dprintf(fd, "%s  %-22s %-8s %6s  %zu  %d\n", when, scenario, done ? "done" : "ended",
			t, hints, mistakes);
		close(fd);
	}
	free(p);
	free(d);
}

static int list_scenarios(char ***files, size_t *n)
{
	char *dir = xstrfmt("%s/drills", drill_share_dir());
	struct err e = ERR_INIT;
	if (drill_scenario_list(dir, files, n, &e) < 0) {
		cli_print_err(NULL, &e);
		err_clear(&e);
		free(dir);
		return -1;
	}
	free(dir);
	return 0;
}

static void free_files(char **files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
}

static int drill_list(int all)
{
	char **files;
	size_t n;
	int bad = 0;
	if (list_scenarios(&files, &n) < 0)
		return EXIT_USAGE;
	printf("%s\n", _("Scenarios (biso-recover drill NAME or NUMBER):"));
	for (size_t i = 0; i < n; i++) {
		struct drill_scenario s;
		struct err e = ERR_INIT;
		if (drill_scenario_load(files[i], &s, &e) < 0) {
			cli_print_err(NULL, &e);
			err_clear(&e);
			bad = 1;
			continue;
		}
		printf("  %2zu  %-22s %s\n", i + 1, s.name, s.title);
		drill_scenario_free(&s);
	}
	free_files(files, n);
	print_results(all);
	return bad ? EXIT_USAGE : EXIT_DONE;
}

/* One step the trainee took, for the debrief. */
struct dstep {
	char *what;
	double secs;
	int code;
};

struct drill {
	struct drill_scenario s;
	struct drill_sandbox sb;
	struct drill_state st;
	const struct cli *cl;
	double t0;
	size_t hints;
	int mistakes;
	struct strbuf mistake_text;
	struct dstep *steps;
	size_t n_steps;
};

static void add_step(struct drill *d, const char *what, double secs, int code)
{
	d->steps = xrealloc(d->steps, (d->n_steps + 1) * sizeof *d->steps);
	d->steps[d->n_steps].what = xstrdup(what);
	d->steps[d->n_steps].secs = secs;
	d->steps[d->n_steps].code = code;
	d->n_steps++;
}

static void mistake(struct drill *d, const char *what, const char *why)
{
	d->mistakes++;
	printf("\n%s %s\n", _("That was a mistake:"), why);
	strbuf_addf(&d->mistake_text, "  - %s: %s\n", what, why);
}

/* Run the checks; print a "why" for each missed.  1: all done. */
static int run_checks(struct drill *d, int say)
{
	int all = 1;
	for (size_t i = 0; i < d->s.n_checks; i++) {
		struct strbuf why = STRBUF_INIT;
		struct err e = ERR_INIT;
		const struct drill_cmd *c = &d->s.checks[i];
		int ok = drill_check(&d->sb, &d->st, c, &why, &e);
		if (ok != 1) {
			all = 0;
			if (say)
				printf("  %s %s\n", _("not yet:"),
				       c->why ? c->why : ok < 0 ? e.msg : why.buf);
		}
		strbuf_release(&why);
		err_clear(&e);
	}
	return all;
}

static char **split_words(const char *line, int *n)
{
	char *copy = xstrdup(line), *save = NULL;
	char **v = xcalloc(strlen(line) / 2 + 2, sizeof *v);
	*n = 0;
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		v[(*n)++] = xstrdup(w);
	free(copy);
	return v;
}

enum { DO_RESTORE, DO_WIZARD, DO_REFRESH };

/* A restore (or the test system's refresh) on the sandbox, with the
 * options the trainee typed. */
static int restore_step(struct drill *d, int kind, struct strbuf *what)
{
	int wizard = kind == DO_WIZARD;
	char *refresh_conf = xstrfmt("%s/refresh-test.conf", d->sb.root);
	struct strbuf ans = STRBUF_INIT;
	struct cli cl = *d->cl;
	struct conf c;
	struct err e = ERR_INIT;
	char **w = NULL;
	int n = 0, code;

	cl.config = kind == DO_REFRESH ? refresh_conf : d->sb.conf;
	cl.drill_root = d->sb.root;
	cl.args = NULL;
	cl.n_args = 0;
	if (kind == DO_REFRESH)
		printf("%s\n", _("Options for the refresh (--attachments, --yes, --dry-run; Enter: none):"));
	else
		printf("%s\n", _("Options for the restore (--at, --dump, --only, --yes, --dry-run; Enter: none):"));
	if (frontend_ask("> ", &ans) < 0) {
		free(refresh_conf);
		return -1;
	}
	w = split_words(ans.buf, &n);
	for (int i = 0; i < n; i++) {
		const char *o = w[i], *v = i + 1 < n ? w[i + 1] : NULL;
		if (!strcmp(o, "--yes"))
			cl.yes = 1;
		else if (!strcmp(o, "--dry-run"))
			cl.dry_run = 1;
		else if (kind != DO_REFRESH && !strcmp(o, "--again"))
			cl.again = 1; /* (named by the refusal of a restore again) */
		else if (v && !strcmp(o, "--at"))
			cl.at = v, i++;
		else if (v && !strcmp(o, "--dump"))
			cl.dump = v, i++;
		else if (v && !strcmp(o, "--only"))
			cl.only = v, i++;
		else if (v && kind == DO_REFRESH && !strcmp(o, "--attachments"))
			cl.attachments = v, i++;
		else
			printf("%s %s\n", _("ignored:"), o);
	}
	strbuf_addf(what, "%s %s", kind == DO_REFRESH ? "refresh" : wizard ? "wizard" : "restore",
		    ans.buf);
	if (cli_load_conf(&c, &cl, &e) < 0) {
		cli_print_err("configuration", &e);
		err_clear(&e);
		code = EXIT_USAGE;
	} else {
		/* as every command does: a killed backup's maintenance mode (a dry
		 * run only says so) */
		cli_recover_maintenance(&c, cl.dry_run);
		code = kind == DO_REFRESH ? cli_refresh(&cl, &c, 0) : cli_restore(&cl, &c, wizard);
	}
	conf_release(&c);
	if (!cl.dry_run) {
		d->st.restores++;
		d->st.last_code = code;
		d->st.last_all_steps = !cl.only;
	}
	for (int i = 0; i < n; i++)
		free(w[i]);
	free(w);
	strbuf_release(&ans);
	free(refresh_conf);
	return code;
}

static void debrief(struct drill *d, int done)
{
	struct strbuf out = STRBUF_INIT;
	double total = now_s() - d->t0;
	char t[16], *path;
	int fd;

	mmss(total, t);
	strbuf_addf(&out, "%s\n%s: %s\n", cli_drill_banner(), _("Debrief"), d->s.title);
	strbuf_addf(&out, "%s\n", done ? _("Goal reached.") : _("The drill was ended before the goal."));
	strbuf_addf(&out, "%s\n", _("Steps (time, exit code):"));
	for (size_t i = 0; i < d->n_steps; i++) {
		char st[16];
		mmss(d->steps[i].secs, st);
		strbuf_addf(&out, "  %2zu  %6s  %3d  %s\n", i + 1, st, d->steps[i].code,
			    d->steps[i].what);
	}
	strbuf_addf(&out, "%s %s\n", _("Total (your recovery time):"), t);
	strbuf_addf(&out, "%s %zu / %zu\n", _("Hints used:"), d->hints, d->s.n_hints);
	strbuf_addf(&out, "%s %d\n%s", _("Mistakes:"), d->mistakes, d->mistake_text.buf);
	if (d->s.explain)
		strbuf_addf(&out, "\n%s\n%s\n", _("What happened:"), d->s.explain);
	if (d->s.manual)
		strbuf_addf(&out, "\n%s\n%s\n", _("What the manual says:"), d->s.manual);
	fputs(out.buf, stdout);
	path = xstrfmt("%s/debrief-%s.txt", d->sb.root, d->s.name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, out.buf, out.len) == (ssize_t)out.len)
			printf("%s %s\n", _("Debrief written to"), path);
		close(fd);
	}
	free(path);
	save_result(d->s.name, done, total, d->hints, d->mistakes);
	strbuf_release(&out);
}

/* @text and a line end on stdout, broken between words to fit the
 * 80-column terminal the drill is written for (a hint or a translation
 * may be longer than a line). */
static void say(const char *text)
{
	struct strbuf sb = STRBUF_INIT;
	frontend_wrap(text, 81, &sb);
	printf("%s\n", sb.buf);
	strbuf_release(&sb);
}

static void show_head(const struct drill *d)
{
	char t[16], *line;
	mmss(now_s() - d->t0, t);
	/* the banner and the clock, then the title: one line was wider than
	 * 80 columns for the longer titles */
	printf("\n== %s ==  [%s]\n", cli_drill_banner(), t);
	say(d->s.title);
	line = xstrfmt("%s %s", _("Task:"), d->s.goal);
	say(line);
	free(line);
	printf("  r  %s\n  w  %s\n", _("restore in line mode"), _("restore with the wizard"));
	if (d->s.refresh)
		printf("  %c  %s\n", 'f', _("refresh the test system (line mode)"));
	for (size_t i = 0; i < d->s.n_choices; i++)
		printf("  %zu  %s\n", i + 1, d->s.choices[i].label);
	printf("  h  %s (%zu/%zu)\n  c  %s\n  q  %s\n", _("next hint"), d->hints, d->s.n_hints,
	       _("check now"), _("end the drill"));
}

/* The sandbox directory: --sandbox, else ~/biso-drill, or for root
 * DRILL_ROOT_SANDBOX: as root the sandbox's cluster runs as postgres,
 * which cannot reach below /root (0700), so initdb failed there.  Refuses
 * an existing directory that is not empty and not a drill's. */
#define DRILL_ROOT_SANDBOX "/var/lib/biso-recover/drill"
static char *sandbox_root(const struct cli *cl)
{
	const char *h = getenv("HOME");
	char *root = cl->sandbox ? xstrdup(cl->sandbox)
		   : geteuid() == 0 ? xstrdup(DRILL_ROOT_SANDBOX)
		   : xstrfmt("%s/biso-drill", h ? h : "/tmp");
	char *marker = xstrfmt("%s/" MARKER, root);
	struct stat st;
	/* not ours: only an empty directory may become a sandbox (rmdir
	 * removes nothing else) */
	if (stat(root, &st) == 0 && access(marker, F_OK) != 0 && rmdir(root) < 0) {
		fprintf(stderr, _("biso-recover: %s is not a drill's sandbox and not empty: "
				  "give --sandbox with a new directory\n"), root);
		free(marker);
		free(root);
		return NULL;
	}
	free(marker);
	return root;
}

static void log_quiet(void *ctx, enum log_level level, const char *line)
{
	(void)ctx;
	if (level >= LOG_WARN)
		fprintf(stderr, "  %s\n", line);
}

/* The sandbox's runs: in each of its log directories (a restore's log/,
 * then a refresh's log-test/), the newest run's status file, when that run
 * has not finished and its process lives, is handed to @fn with the
 * directory and the status read from it (@fn may read it again into @st),
 * until @fn returns nonzero.  Returns that value, or 0. */
static int sandbox_live_runs(const char *root,
			     int (*fn)(const char *dir, const char *path, struct status *st, void *ctx),
			     void *ctx)
{
	static const char *const dirs[] = { "log", "log-test" };
	int ret = 0;
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0] && !ret; i++) {
		char *dir = xstrfmt("%s/%s", root, dirs[i]), *path = NULL;
		struct status st;
		struct err e = ERR_INIT;
		memset(&st, 0, sizeof st);
		if (statusfile_latest(dir, &path, &e) == 1 && statusfile_read(path, &st, &e) == 1 &&
		    st.state != STATUS_FINISHED && lock_process_alive(st.pid, st.start))
			ret = fn(dir, path, &st, ctx);
		status_clear(&st);
		err_clear(&e);
		free(path);
		free(dir);
	}
	return ret;
}

/* sandbox_live_runs(): a runner that listens; its pid into *(long *)@ctx. */
static int listening_runner(const char *dir, const char *path, struct status *st, void *ctx)
{
	(void)path;
	if (!detached_listens(dir, st))
		return 0;
	*(long *)ctx = st->pid;
	return 1;
}

/* The pid of a live runner of the sandbox at @root (a restore's in log/, a
 * refresh's in log-test/), or 0. */
static long sandbox_runner(const char *root)
{
	long pid = 0;
	sandbox_live_runs(root, listening_runner, &pid);
	return pid;
}

/* sandbox_live_runs(): waits for the run's end, polling its status file;
 * its exit code into *(int *)@ctx (-1: its process died). */
static int wait_run_end(const char *dir, const char *path, struct status *st, void *ctx)
{
	struct err e = ERR_INIT;
	(void)dir;
	while (st->state != STATUS_FINISHED && lock_process_alive(st->pid, st->start)) {
		sleep(1);
		status_clear(st);
		memset(st, 0, sizeof *st);
		if (statusfile_read(path, st, &e) != 1)
			break;
	}
	*(int *)ctx = st->state == STATUS_FINISHED ? st->exit_code : -1;
	err_clear(&e);
	return 1;
}

/* The newest run of the sandbox (@root) whose process lives and which has
 * not finished: waits for its end (from the status file alone; this polls)
 * and returns 1 with its exit code in @code (-1: its process died), or 0
 * when there is none. */
static int sandbox_run_wait(const char *root, int *code)
{
	return sandbox_live_runs(root, wait_run_end, code);
}

static int run_drill(const struct cli *cl, struct conf *unused)
{
	struct drill d;
	struct err e = ERR_INIT;
	struct report r = { 0 };
	char **files = NULL, *root = NULL, *path = NULL;
	size_t n = 0;
	long runner;
	int done = 0, code = EXIT_DONE;
	(void)unused;

	if (cl->list)
		return drill_list(cl->all);
	if (cl->replay)
		return drill_replay(cl->replay);
	if (cl->record) {
		int child = 0, rc = drill_record(cl->record, &child);
		if (!child)
			return rc;
	}
	if (cl->n_args > 1)
		return cli_usage_error("drill takes one scenario, not %d", cl->n_args);
	if (!cl->n_args) {
		drill_list(0);
		printf("\n%s\n", _("Start one with: biso-recover drill NAME (the first: the walkthrough)"));
		return EXIT_DONE;
	}
	if (strchr(cl->args[0], '/'))
		path = xstrdup(cl->args[0]); /* a scenario file of the admin's own */
	else if (list_scenarios(&files, &n) < 0)
		return EXIT_USAGE;
	for (size_t i = 0; i < n && !path; i++) {
		const char *b = strrchr(files[i], '/') + 1;
		char *num = xstrfmt("%zu", i + 1);
		if (!strcmp(cl->args[0], num) || !strncmp(b, cl->args[0], strlen(cl->args[0])))
			path = xstrdup(files[i]);
		free(num);
	}
	free_files(files, n);
	if (!path)
		return cli_usage_error("no scenario '%s' (biso-recover drill --list)", cl->args[0]);

	/* Ctrl-C, SIGTERM, SIGHUP: a running restore stops at its next safe
	 * point, then the drill ends with its debrief (the question fails) */
	batch_install_signals();
	memset(&d, 0, sizeof d);
	strbuf_init(&d.mistake_text, 0);
	d.cl = cl;
	if (drill_scenario_load(path, &d.s, &e) < 0) {
		cli_print_err("scenario", &e);
		err_clear(&e);
		free(path);
		return EXIT_USAGE;
	}
	free(path);
	if (d.s.needs_root && geteuid() != 0) {
		fprintf(stderr, _("biso-recover: the scenario %s needs root (it changes owners)\n"),
			d.s.name);
		drill_scenario_free(&d.s);
		return EXIT_USAGE;
	}
	if (!(root = sandbox_root(cl))) {
		drill_scenario_free(&d.s);
		return EXIT_USAGE;
	}
	r.log = log_quiet;
	drill_sandbox_init(&d.sb, root);
	free(root);
	/* hints and story name the sandbox's paths, as its commands do */
	drill_scenario_expand(&d.s, &d.sb);
	printf("%s\n", cli_drill_banner());
	{
		/* where, before anything is written there (the default one
		 * was used without a word), and how long it takes */
		char *what = xstrfmt(_("Building the sandbox in %s (a demo instance, its backups and "
				       "a PostgreSQL cluster of its own; about a minute; --sandbox "
				       "DIR for another directory) ..."), d.sb.root);
		say(what);
		free(what);
	}
	fflush(stdout);
	if (drill_sandbox_build(&d.sb, &r, &e) < 0) {
		cli_print_err(NULL, &e);
		err_clear(&e);
		drill_sandbox_release(&d.sb);
		drill_scenario_free(&d.s);
		return EXIT_FAILED;
	}
	if (drill_sandbox_hold(&d.sb, &e) < 0) {
		/* the runner then stops the cluster at its end: say so */
		cli_print_err("warning", &e);
		err_clear(&e);
	}
	{
		char *m = xstrfmt("%s/" MARKER, d.sb.root);
		int fd = open(m, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		free(m);
	}
	for (size_t i = 0; i < d.s.n_setup; i++)
		if (drill_do(&d.sb, &d.s.setup[i], &r, &e) < 0) {
			err_prefix(&e, "%s:%d: setup", d.s.path, d.s.setup[i].line);
			cli_print_err(NULL, &e);
			err_clear(&e);
			code = EXIT_FAILED;
			goto out;
		}
	printf("\n%s\n\n%s\n", d.s.title, d.s.story);
	d.t0 = now_s();
	for (;;) {
		struct strbuf ans = STRBUF_INIT, what = STRBUF_INIT;
		double t1;
		int c = 0, step = 0;
		show_head(&d);
		if (frontend_ask("> ", &ans) < 0) {
			strbuf_release(&ans);
			/* the terminal went (scenario 05: the SSH connection
			 * drops) while the sandbox's runner works on: the
			 * trainee finishes that run from a new login, so the
			 * drill waits for its end and judges the sandbox then */
			if (sandbox_run_wait(d.sb.root, &d.st.last_code))
				done = run_checks(&d, 0);
			break;
		}
		t1 = now_s();
		if (!strcmp(ans.buf, "q")) {
			strbuf_release(&ans);
			break;
		} else if (!strcmp(ans.buf, "h")) {
			if (d.hints < d.s.n_hints) {
				char *hint = xstrfmt("%s %zu: %s", _("Hint"), d.hints + 1,
						     d.s.hints[d.hints]);
				say(hint);
				free(hint);
				d.hints++;
			} else
				printf("%s\n", _("No more hints."));
		} else if (!strcmp(ans.buf, "c")) {
			done = run_checks(&d, 1);
		} else if (!strcmp(ans.buf, "r") || !strcmp(ans.buf, "w") ||
			   (d.s.refresh && !strcmp(ans.buf, "f"))) {
			c = restore_step(&d, ans.buf[0] == 'w' ? DO_WIZARD :
					 ans.buf[0] == 'f' ? DO_REFRESH : DO_RESTORE, &what);
			step = 1;
		} else if (atoi(ans.buf) >= 1 && (size_t)atoi(ans.buf) <= d.s.n_choices) {
			const struct drill_choice *ch = &d.s.choices[atoi(ans.buf) - 1];
			strbuf_addstr(&what, ch->label);
			for (size_t i = 0; i < ch->n_run && c == 0; i++)
				if (drill_do(&d.sb, &ch->run[i], &r, &e) < 0) {
					cli_print_err(NULL, &e);
					err_clear(&e);
					c = 1;
				}
			if (ch->mistake)
				mistake(&d, what.buf, ch->mistake);
			step = 1;
		} else {
			printf("%s\n", _("Type r, w, h, c, q or the number of a choice."));
		}
		if (step) {
			add_step(&d, what.buf, now_s() - t1, c);
			printf("\n%s\n", _("Checking the sandbox ..."));
			done = run_checks(&d, 1);
			/* a restore that ran through but left the goal unmet */
			if (!done && what.buf[0] != '\0' && c == 0 && d.st.restores &&
			    (!strncmp(what.buf, "restore", 7) || !strncmp(what.buf, "wizard", 6) ||
			     !strncmp(what.buf, "refresh", 7)) &&
			    !strstr(what.buf, "--dry-run"))
				mistake(&d, what.buf, _("the restore ran, but the goal is not reached "
							"(see 'not yet' above)"));
		}
		strbuf_release(&ans);
		strbuf_release(&what);
		if (done) {
			printf("%s\n", _("All checks pass: the goal is reached."));
			break;
		}
	}
	debrief(&d, done);
	code = done ? EXIT_DONE : EXIT_FAILED;
out:
	drill_sandbox_release_hold(&d.sb);
	if ((runner = sandbox_runner(d.sb.root)) > 0) {
		/* the terminal went (SIGHUP) or the trainee left the run: its
		 * runner works on; it stops the cluster at its end */
		char *stop = xstrfmt("%s/stop.sh", d.sb.share);
		printf(_("The sandbox's PostgreSQL cluster stays up: the restore's runner (pid %ld) "
			 "still works on it and stops it at its end; to stop it yourself: %s %s\n"),
		       runner, stop, d.sb.root);
		free(stop);
	} else if (drill_sandbox_stop(&d.sb, NULL, &e) < 0) {
		err_clear(&e);
	}
	printf("%s %s\n", _("The sandbox stays in"), d.sb.root);
	for (size_t i = 0; i < d.n_steps; i++)
		free(d.steps[i].what);
	free(d.steps);
	strbuf_release(&d.mistake_text);
	drill_sandbox_release(&d.sb);
	drill_scenario_free(&d.s);
	return code;
}

const struct command command_drill = {
	"drill",
N_("biso-recover drill [--list [--all]] [--sandbox DIR] [--record FILE]\n"
"                    [SCENARIO]\n"
"       biso-recover drill --replay FILE\n"),
N_("Usage: biso-recover drill [--list [--all]] [--sandbox DIR] [--record FILE]\n"
"                          [SCENARIO]\n"
"       biso-recover drill --replay FILE\n"
"\n"
"Practise a recovery on a sandbox: a demo BISO instance, its backups and a\n"
"PostgreSQL cluster of its own, built from the installed program.  The\n"
"scenario breaks the sandbox; you recover it with the real restore (line mode\n"
"or wizard), hints on 'h'.  Nothing outside the sandbox is touched, whatever\n"
"the configuration says.  Start with the first scenario, the walkthrough.\n"
"\n"
"  --list                 the scenarios and your 5 newest results (with --all:\n"
"                         every result)\n"
"  --sandbox DIR          where the sandbox goes (default ~/biso-drill; for\n"
"                         root /var/lib/biso-recover/drill, which postgres can\n"
"                         reach; a new or empty directory, or an earlier\n"
"                         drill's)\n"
"  --record FILE          keep what the trainee typed and saw in FILE (0600)\n"
"  --replay FILE          play a recorded drill back, for the trainer\n"
"  SCENARIO               a name or number of --list, or a scenario file\n"),
	(const char *const[]){ "list", "all", "sandbox", "record", "replay", NULL },
	0, run_drill
};
