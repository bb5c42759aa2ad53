/* runcmd: child processes from argv arrays; see runcmd.h. */
#include "config.h"
#include "runcmd.h"
#include "err.h"
#include "fault.h"
#include "report.h"
#include "strbuf.h"

#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINE_MAX_PIECE (64 * 1024)
/* on_stdout's pipe and reads: a streamed child (pg_dump into the backup's
 * gzip) fills a 1 MiB pipe while we are busy and we take it in big pieces,
 * rather than waking for every 64 KiB (the default pipe) */
#define RAW_PIPE (1024 * 1024)
#define RAW_PIECE (256 * 1024)

void runcmd_close_from(int lowfd)
{
#if defined(HAVE_CLOSE_RANGE)
	if (close_range((unsigned)lowfd, ~0U, 0) == 0)
		return;
#elif defined(SYS_close_range)
	if (syscall(SYS_close_range, lowfd, ~0U, 0) == 0)
		return;
#endif
	long max = sysconf(_SC_OPEN_MAX);
	for (long fd = lowfd; fd < (max > 0 ? max : 1024); fd++)
		close((int)fd);
}

int runcmd_child_bind(pid_t parent)
{
	/* its own process group: a cancel ends whatever it started too */
	setpgid(0, 0);
	/* Killed with its parent (kill -9, OOM): never a migration running
	 * on after the run that started it.  A parent gone before the prctl
	 * took effect is seen by getppid(). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		return -1;
	return 0;
}

/* "HOME=", "USER=", "LOGNAME=" of the user @as from its passwd entry, as
 * runuser and su set them (a child run as the web user must not write into
 * root's home), into @env (3 entries, malloc'd).  Looked up here in the
 * parent: NSS is no function for a forked child of a threaded program.
 * Without an entry, HOME is /. */
static void user_env(const struct runcmd_user *as, char *env[3])
{
	struct passwd pw, *res = NULL;
	long max = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t len = max > 0 ? (size_t)max : 16384;
	char *buf = xmalloc(len);
	while (getpwuid_r(as->uid, &pw, buf, len, &res) == ERANGE && len < (1U << 20))
		buf = xrealloc(buf, len *= 2);
	env[0] = xstrfmt("HOME=%s", res && res->pw_dir && *res->pw_dir ? res->pw_dir : "/");
	env[1] = xstrfmt("USER=%s", res ? res->pw_name : as->name);
	env[2] = xstrfmt("LOGNAME=%s", res ? res->pw_name : as->name);
	free(buf);
}

/* Child side: set up fds and exec; report exec failure through @errfd.
 * @parent: the runner's pid; @uenv: user_env() of cp->as, or NULLs. */
static void child_exec(const struct child_process *cp, int out, int errp, int errfd, pid_t parent,
		       char *const uenv[3])
{
	int devnull = open("/dev/null", O_RDONLY);
	int saved;
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(errp, 2) < 0)
		goto fail;
	/* Keep errfd (CLOEXEC) across the close of everything else. */
	if (dup2(errfd, 3) < 0)
		goto fail;
	errfd = 3;
	fcntl(errfd, F_SETFD, FD_CLOEXEC);
	runcmd_close_from(4);
	if (cp->dir && chdir(cp->dir) < 0)
		goto fail;
	/* groups first: after setuid() they can no longer be changed */
	if (cp->as && (setgroups(1, &cp->as->gid) < 0 || setgid(cp->as->gid) < 0 ||
		       setuid(cp->as->uid) < 0))
		goto fail;
	/* after setuid(), which clears the parent-death signal */
	if (runcmd_child_bind(parent) < 0)
		_exit(127);
	for (int i = 0; i < 3; i++)
		if (uenv[i])
			putenv(uenv[i]);
	for (const char *const *ev = cp->env; ev && *ev; ev++)
		putenv((char *)*ev);
	signal(SIGPIPE, SIG_DFL);
	{
		/* The wizard's worker thread blocks SIGTERM, SIGHUP ...: a child
		 * would inherit that and never die of the SIGTERM a cancel sends. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}
	execvp(cp->argv[0], (char *const *)cp->argv);
fail:
	saved = errno;
	if (write(errfd, &saved, sizeof saved) < 0)
		_exit(127);
	_exit(127);
}

struct linebuf {
	struct strbuf sb;
	int fd;
	int is_stderr;
};

static void flush_lines(const struct child_process *cp, struct linebuf *lb, int eof)
{
	size_t start = 0;
	for (size_t i = 0; i < lb->sb.len; i++) {
		if (lb->sb.buf[i] != '\n')
			continue;
		lb->sb.buf[i] = '\0';
		if (i > start && lb->sb.buf[i - 1] == '\r')
			lb->sb.buf[i - 1] = '\0';
		if (cp->on_line)
			cp->on_line(cp->ctx, lb->is_stderr, lb->sb.buf + start);
		start = i + 1;
	}
	if (start) {
		memmove(lb->sb.buf, lb->sb.buf + start, lb->sb.len - start);
		strbuf_setlen(&lb->sb, lb->sb.len - start);
	}
	if ((eof && lb->sb.len) || lb->sb.len >= LINE_MAX_PIECE) {
		if (cp->on_line)
			cp->on_line(cp->ctx, lb->is_stderr, lb->sb.buf);
		strbuf_reset(&lb->sb);
	}
}

int runcmd_run(const struct child_process *cp, int *status, struct err *e)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, execp[2] = { -1, -1 };
	struct linebuf lb[2];
	pid_t pid, parent;
	int exec_errno = 0, wstatus = 0, cancelled = 0, stopped = 0, ret;
	char *raw = NULL; /* on_stdout's pieces */
	char *uenv[3] = { NULL, NULL, NULL };
	ssize_t n;

	if (!cp->argv || !cp->argv[0])
		return err_set(e, "no command to run");
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    pipe2(execp, O_CLOEXEC) < 0) {
		ret = err_errno(e, errno, "cannot create pipes for %s", cp->argv[0]);
		goto close_all;
	}
	if (cp->on_stdout)
		(void)fcntl(outp[0], F_SETPIPE_SZ, RAW_PIPE); /* a smaller pipe still works */
	if (cp->as)
		user_env(cp->as, uenv);
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		ret = err_errno(e, errno, "cannot start %s", cp->argv[0]);
		goto close_all;
	}
	if (pid == 0)
		child_exec(cp, outp[1], errp[1], execp[1], parent, uenv);
	setpgid(pid, pid); /* also here: no race with the kill below */
	{
		const char *base = strrchr(cp->argv[0], '/');
		fault_pointf("runcmd.%s.running", base ? base + 1 : cp->argv[0]);
	}

	close(outp[1]);
	close(errp[1]);
	close(execp[1]);
	outp[1] = errp[1] = execp[1] = -1;
	n = read(execp[0], &exec_errno, sizeof exec_errno);
	if (n == (ssize_t)sizeof exec_errno) {
		waitpid(pid, NULL, 0);
		ret = err_errno(e, exec_errno, "cannot run %s", cp->argv[0]);
		if (exec_errno == ENOENT)
			err_hint(e, "Install it, or set its full path in the configuration.");
		goto close_all;
	}

	strbuf_init(&lb[0].sb, 0);
	strbuf_init(&lb[1].sb, 0);
	lb[0].fd = outp[0];
	lb[0].is_stderr = 0;
	lb[1].fd = errp[0];
	lb[1].is_stderr = 1;
	while (lb[0].fd >= 0 || lb[1].fd >= 0) {
		struct pollfd pfd[2] = { { lb[0].fd, POLLIN, 0 }, { lb[1].fd, POLLIN, 0 } };
		int pr = poll(pfd, 2, 200);
		if (pr < 0 && errno != EINTR)
			break;
		if (!cancelled && report_cancelled(cp->report)) {
			cancelled = 1;
			if (kill(-pid, SIGTERM) < 0)
				kill(pid, SIGTERM);
		}
		for (int i = 0; i < 2; i++) {
			if (lb[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (i == 0 && cp->on_stdout) {
				if (!raw)
					raw = xmalloc(RAW_PIECE);
				n = read(lb[0].fd, raw, RAW_PIECE);
				if (n > 0) {
					if (!stopped && cp->on_stdout(cp->ctx, raw, (size_t)n, e) < 0) {
						stopped = 1;
						if (kill(-pid, SIGTERM) < 0)
							kill(pid, SIGTERM);
					}
					continue;
				}
				if (n < 0 && errno == EINTR)
					continue;
				close(lb[0].fd);
				lb[0].fd = -1;
				continue;
			}
			strbuf_grow(&lb[i].sb, 8192);
			n = read(lb[i].fd, lb[i].sb.buf + lb[i].sb.len, 8192);
			if (n > 0) {
				strbuf_setlen(&lb[i].sb, lb[i].sb.len + (size_t)n);
				flush_lines(cp, &lb[i], 0);
			} else if (n == 0 || errno != EINTR) {
				flush_lines(cp, &lb[i], 1);
				close(lb[i].fd);
				lb[i].fd = -1;
			}
		}
	}
	strbuf_release(&lb[0].sb);
	strbuf_release(&lb[1].sb);
	free(raw);
	outp[0] = errp[0] = -1;
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	/* a hangup reaches the child too: killed by it, it was cancelled */
	if (!cancelled && WIFSIGNALED(wstatus) && report_cancelled(cp->report))
		cancelled = 1;
	if (cancelled) {
		ret = err_set(e, "%s aborted: %s", cp->argv[0], report_stop_reason(cp->report));
		goto close_all;
	}
	if (stopped) { /* on_stdout() failed and set @e */
		ret = -1;
		goto close_all;
	}
	if (WIFEXITED(wstatus))
		*status = WEXITSTATUS(wstatus);
	else if (WIFSIGNALED(wstatus))
		*status = 128 + WTERMSIG(wstatus);
	else
		*status = 255;
	ret = *status ? 1 : 0;

close_all:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0) close(outp[i]);
		if (errp[i] >= 0) close(errp[i]);
		if (execp[i] >= 0) close(execp[i]);
	}
	for (int i = 0; i < 3; i++)
		free(uenv[i]);
	return ret;
}

void runcmd_format_argv(const char *const *argv, struct strbuf *out)
{
	for (const char *const *a = argv; a && *a; a++) {
		const char *s = *a;
		if (a != argv)
			strbuf_addch(out, ' ');
		if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789-_./=:,+@%") == strlen(s)) {
			strbuf_addstr(out, s);
			continue;
		}
		strbuf_addch(out, '\'');
		for (; *s; s++) {
			if (*s == '\'')
				strbuf_addstr(out, "'\\''");
			else
				strbuf_addch(out, *s);
		}
		strbuf_addch(out, '\'');
	}
}

struct log_lines {
	struct report *r;
	struct strbuf *capture; /* may be NULL */
};

static void log_child_line(void *ctx, int is_stderr, const char *line)
{
	struct log_lines *ll = ctx;
	report_log(ll->r, is_stderr ? LOG_WARN : LOG_INFO, "  %s", line);
	if (ll->capture) {
		strbuf_addstr(ll->capture, line);
		strbuf_addch(ll->capture, '\n');
	}
}

int runcmd_logged(const char *const *argv, const char *dir, struct strbuf *capture,
		  struct report *r, struct err *e)
{
	return runcmd_logged_as(argv, dir, NULL, capture, r, e);
}

int runcmd_logged_as(const char *const *argv, const char *dir, const struct runcmd_user *as,
		     struct strbuf *capture, struct report *r, struct err *e)
{
	struct log_lines ll = { r, capture };
	struct child_process cp = { 0 };
	struct strbuf cmd = STRBUF_INIT;
	int status = 0, ret;

	cp.argv = argv;
	cp.dir = dir;
	cp.on_line = log_child_line;
	cp.ctx = &ll;
	cp.report = r;
	cp.as = as;
	runcmd_format_argv(argv, &cmd);
	if (as)
		report_log(r, LOG_INFO, "running as %s: %s", as->name ? as->name : "?", cmd.buf);
	else
		report_log(r, LOG_INFO, "running: %s", cmd.buf);
	ret = runcmd_run(&cp, &status, e);
	if (ret == 1) {
		err_set(e, "%s exited with status %d", cmd.buf, status);
		err_hint(e, "Its output is in the log above.");
		ret = -1;
	}
	strbuf_release(&cmd);
	return ret;
}

int runcmd_have_program(const char *prog)
{
	const char *path;
	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	path = getenv("PATH");
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		char *full = xstrfmt("%.*s/%s", (int)n, p, prog);
		int ok = access(full, X_OK) == 0;
		free(full);
		if (ok)
			return 1;
		p += n;
		if (*p == ':')
			p++;
	}
	return 0;
}
