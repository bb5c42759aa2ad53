/* detach: see detach.h. */
#include "config.h"

#include "detach.h"
#include "runcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "strbuf.h"

extern char **environ;

/* What the starter reads from the pipe: a tag and a value. */
struct msg {
	char tag;      /* see below */
	int32_t value;
};
#define TAG_PID 'P'     /* the runner's pid (value), sent before exec */
#define TAG_NOSCOPE 'S' /* systemd-run could not be executed (errno) */
#define TAG_EXEC 'E'    /* the runner could not be executed (errno) */
#define TAG_FORK 'F'    /* the second fork failed (errno) */
#define TAG_READY 'R'   /* detach_ready() */

/* The descriptors of the runner: 3 is the ready descriptor (wait_ready),
 * the status pipe sits above it, close-on-exec. */
#define READY_FD 3
#define PIPE_FD 4

static void send_msg(int fd, char tag, int value)
{
	struct msg m;
	memset(&m, 0, sizeof m);
	m.tag = tag;
	m.value = value;
	(void)!write(fd, &m, sizeof m);
}

/* The grandchild: only async-signal-safe calls (the caller may have threads). */
static void __attribute__((noreturn))
runner_child(int pipe_fd, int null_fd, int log_fd, int wait_ready, char *const *scope_argv,
	     char *const *argv, char *const *envp)
{
	struct sigaction sa;
	sigset_t none;
	int hi;

	/* out of the way of 0..4 before they are set */
	hi = fcntl(pipe_fd, F_DUPFD_CLOEXEC, 10);
	null_fd = fcntl(null_fd, F_DUPFD_CLOEXEC, 10);
	log_fd = fcntl(log_fd, F_DUPFD_CLOEXEC, 10);
	if (hi < 0 || null_fd < 0 || log_fd < 0)
		_exit(127);
	send_msg(hi, TAG_PID, (int)getpid());
	if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0 ||
	    dup2(hi, PIPE_FD) < 0 || fcntl(PIPE_FD, F_SETFD, FD_CLOEXEC) < 0 ||
	    (wait_ready && dup2(hi, READY_FD) < 0)) {
		send_msg(hi, TAG_EXEC, errno);
		_exit(127);
	}
	runcmd_close_from(PIPE_FD + 1);
	if (!wait_ready)
		close(READY_FD);

	/* the signals as a fresh process has them, but SIGHUP ignored: exec
	 * keeps an ignored signal ignored */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (scope_argv) {
		execvpe(scope_argv[0], scope_argv, envp);
		send_msg(PIPE_FD, TAG_NOSCOPE, errno);
	}
	execvpe(argv[0], argv, envp);
	send_msg(PIPE_FD, TAG_EXEC, errno);
	_exit(127);
}

/* Read the messages until end of file; what they said into the out
 * parameters (0 when not said). */
static void read_msgs(int fd, pid_t *pid, int *noscope, int *exec_errno, int *fork_errno,
		      int *ready)
{
	struct msg m;
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, (char *)&m + got, sizeof m - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got < sizeof m)
			continue;
		got = 0;
		switch (m.tag) {
		case TAG_PID: *pid = (pid_t)m.value; break;
		case TAG_NOSCOPE: *noscope = m.value ? m.value : -1; break;
		case TAG_EXEC: *exec_errno = m.value ? m.value : -1; break;
		case TAG_FORK: *fork_errno = m.value ? m.value : -1; break;
		case TAG_READY: *ready = 1; break;
		}
	}
}

/* One attempt; @scope_argv NULL: without a scope.  0 started, -1 with @e,
 * 1 when scope_argv's systemd-run ran but the runner never said ready. */
static int start_once(const struct detach_opts *o, char *const *scope_argv, char *const *envp,
		      int null_fd, int log_fd, struct detach_result *r, struct err *e)
{
	int p[2], status, noscope = 0, exec_errno = 0, fork_errno = 0, ready = 0;
	pid_t mid, pid = 0;

	if (pipe2(p, O_CLOEXEC) < 0)
		return err_errno(e, errno, "cannot make a pipe");
	mid = fork();
	if (mid < 0) {
		close(p[0]);
		close(p[1]);
		return err_errno(e, errno, "cannot start %s: fork", o->argv[0]);
	}
	if (mid == 0) {
		pid_t g;
		close(p[0]);
		/* a session of its own, and a second fork so that the runner is
		 * no session leader and never gets a controlling terminal */
		setsid();
		g = fork();
		if (g < 0) {
			send_msg(p[1], TAG_FORK, errno);
			_exit(1);
		}
		if (g > 0)
			_exit(0);
		runner_child(p[1], null_fd, log_fd, o->wait_ready, scope_argv,
			     (char *const *)o->argv, envp);
	}
	close(p[1]);
	read_msgs(p[0], &pid, &noscope, &exec_errno, &fork_errno, &ready);
	close(p[0]);
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	if (fork_errno)
		return err_errno(e, fork_errno > 0 ? fork_errno : EAGAIN, "cannot start %s: fork",
				 o->argv[0]);
	if (exec_errno || !pid) {
		err_errno(e, exec_errno > 0 ? exec_errno : EIO, "cannot start %s", o->argv[0]);
		if (noscope)
			err_detail(e, "%s could not be started either: %s", scope_argv[0],
				   strerror(noscope > 0 ? noscope : EIO));
		return -1;
	}
	r->pid = pid;
	r->scoped = scope_argv && !noscope;
	if (noscope)
		r->note = xstrfmt("%s could not be started (%s): the runner is in no scope of its "
				  "own; logind's KillUserProcesses=yes would end it with the session",
				  scope_argv[0], strerror(noscope > 0 ? noscope : EIO));
	if (o->wait_ready && !ready) {
		if (r->scoped)
			return 1;
		err_set(e, "%s exited before it started", o->argv[0]);
		err_detail(e, "its messages are in %s", o->log_path);
		return -1;
	}
	return 0;
}

int detach_start(const struct detach_opts *o, struct detach_result *r, struct err *e)
{
	const char *root = o->systemd_root ? o->systemd_root : "/run/systemd/system";
	const char *prog = o->systemd_run ? o->systemd_run : "systemd-run";
	int under_systemd = o->scope == DETACH_SCOPE_AUTO && access(root, F_OK) == 0;
	char **scope_argv = NULL, **envp;
	char *unit = NULL, *ready_env = NULL;
	size_t n = 0, nenv = 0;
	int null_fd, log_fd, ret;

	memset(r, 0, sizeof *r);
	log_fd = open(o->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (log_fd < 0)
		return err_errno(e, errno, "cannot open the run log %s", o->log_path);
	if (fchmod(log_fd, 0600) < 0) {
		close(log_fd);
		return err_errno(e, errno, "cannot make the run log %s mode 0600", o->log_path);
	}
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0) {
		close(log_fd);
		return err_errno(e, errno, "cannot open /dev/null");
	}

	/* everything the child needs is built here: it may not malloc */
	for (char **v = environ; v && *v; v++)
		nenv++;
	envp = xcalloc(nenv + 2, sizeof *envp);
	nenv = 0;
	for (char **v = environ; v && *v; v++)
		if (strncmp(*v, DETACH_READY_ENV "=", strlen(DETACH_READY_ENV) + 1))
			envp[nenv++] = *v;
	if (o->wait_ready)
		envp[nenv++] = ready_env = xstrfmt(DETACH_READY_ENV "=%d", READY_FD);
	if (under_systemd) {
		size_t argc = 0;
		while (o->argv[argc])
			argc++;
		scope_argv = xcalloc(argc + 9, sizeof *scope_argv);
		scope_argv[n++] = (char *)prog;
		scope_argv[n++] = "--scope";
		scope_argv[n++] = "--quiet";
		scope_argv[n++] = "--collect";
		if (geteuid() != 0)
			scope_argv[n++] = "--user";
		if (o->unit)
			scope_argv[n++] = unit = xstrfmt("--unit=%s", o->unit);
		scope_argv[n++] = "--";
		for (size_t i = 0; i < argc; i++)
			scope_argv[n++] = (char *)o->argv[i];
	}

	ret = start_once(o, scope_argv, envp, null_fd, log_fd, r, e);
	if (ret == 1) {
		/* systemd-run ran but the runner never came up: no scope to be had
		 * (no bus, no user manager); its message is in the log */
		free(r->note);
		memset(r, 0, sizeof *r);
		ret = start_once(o, NULL, envp, null_fd, log_fd, r, e);
		if (ret == 0)
			r->note = xstrfmt("%s --scope failed (its message is in the run log): the runner "
					  "is in no scope of its own; logind's KillUserProcesses=yes "
					  "would end it with the session", prog);
	} else if (ret == 0 && !under_systemd) {
		r->note = xstrdup(o->scope == DETACH_SCOPE_NEVER
					  ? "started without systemd-run: the runner is in no scope of "
					    "its own"
					  : "not under systemd: the runner is in no scope of its own; a "
					    "logind with KillUserProcesses=yes would end it with the session");
	}
	free(unit);
	free(scope_argv);
	free(ready_env);
	free(envp);
	close(null_fd);
	close(log_fd);
	return ret < 0 ? -1 : 0;
}

void detach_ready(void)
{
	const char *v = getenv(DETACH_READY_ENV);
	char *end;
	long fd;
	if (!v)
		return;
	fd = strtol(v, &end, 10);
	unsetenv(DETACH_READY_ENV);
	if (*end || fd < 3 || fd > 1000 || fcntl((int)fd, F_GETFD) < 0)
		return;
	send_msg((int)fd, TAG_READY, 0);
	close((int)fd);
}
