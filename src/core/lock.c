/* lock: see lock.h. */
#include "config.h"

#include "lock.h"
#include "i18n.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "strbuf.h"

/* The holder line is short; a longer file is not ours. */
#define HOLDER_MAX 512
/* lock_target_path()'s names: what lock_tidy() looks at */
#define LOCK_PREFIX "biso-recover-"
/* lock_tidy() leaves a file changed less than this many seconds ago */
#define LOCK_TIDY_AGE 60

/* lock_set_command(): what this process records in its locks. */
static char command[32];

void lock_set_command(const char *cmd)
{
	snprintf(command, sizeof command, "%s", cmd ? cmd : "");
	command[strcspn(command, " \t\r\n")] = '\0';
}

long long lock_process_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks;
	long long boot = 0;
	long hz = sysconf(_SC_CLK_TCK);
	int field = 2;
	FILE *fp;

	if (pid <= 0 || hz <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if (!(fp = fopen(path, "re")))
		return -1;
	p = fgets(buf, sizeof buf, fp);
	fclose(fp);
	/* the command name may hold spaces and ")": fields count from the last ")" */
	if (!p || !(p = strrchr(buf, ')')))
		return -1;
	/* a process killed and not yet reaped (a zombie: its parent, often
	 * an init that reaps nothing in a container, has not waited) holds
	 * its pid and start time but no lock and does no work */
	if (p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
		return -1;
	for (p++; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (field != 22)
		return -1;
	ticks = strtoull(p, NULL, 10);
	if (!(fp = fopen("/proc/stat", "re")))
		return -1;
	while (fgets(buf, sizeof buf, fp))
		if (!strncmp(buf, "btime ", 6))
			boot = strtoll(buf + 6, NULL, 10);
	fclose(fp);
	if (boot <= 0)
		return -1;
	return boot + (long long)(ticks / (unsigned long long)hz);
}

int lock_process_alive(long pid, long long start)
{
	return pid > 0 && start > 0 && lock_process_start((pid_t)pid) == start;
}

void lock_holder_clear(struct lock_holder *h)
{
	free(h->host);
	free(h->cmd);
	h->pid = 0;
	h->start = 0;
	h->host = NULL;
	h->cmd = NULL;
}

/* Parse "pid=N start=S host=H[ cmd=C]" (the order fixed, as lock_take()
 * writes it; cmd is newer); 0 on success. */
static int parse_holder(const char *line, struct lock_holder *h)
{
	long pid;
	long long start;
	int n = 0;
	const char *host, *cmd = NULL;
	size_t hlen;
	if (sscanf(line, "pid=%ld start=%lld host=%n", &pid, &start, &n) != 2 || !n)
		return -1;
	host = line + n;
	hlen = strcspn(host, " \t\r\n");
	if (!strncmp(host + hlen, " cmd=", 5)) {
		cmd = host + hlen + 5;
		if (!*cmd || strcspn(cmd, " \t\r\n") != strlen(cmd))
			return -1;
	} else if (host[hlen]) {
		return -1;
	}
	if (pid <= 0 || start < 0 || !hlen)
		return -1;
	h->pid = pid;
	h->start = start;
	h->host = xstrndup(host, hlen);
	h->cmd = cmd ? xstrdup(cmd) : NULL;
	return 0;
}

/* Read the holder line from @fd (at offset 0) into @h: 1 read, 0 empty,
 * -1 unreadable or not a holder line (errno-less: @e says which). */
static int read_holder_fd(int fd, const char *path, struct lock_holder *h, struct err *e)
{
	char buf[HOLDER_MAX + 1];
	ssize_t n = pread(fd, buf, HOLDER_MAX, 0);
	char *nl;
	if (n < 0)
		return err_errno(e, errno, "cannot read the lock file %s", path);
	if (n == 0)
		return 0;
	buf[n] = '\0';
	if (!(nl = memchr(buf, '\n', (size_t)n)) || memchr(buf, '\0', (size_t)n) ||
	    parse_holder((*nl = '\0', buf), h) < 0) {
		err_set(e, "the lock file %s does not name a holder", path);
		err_detail(e, "expected one line \"pid=PID start=SECONDS host=HOST[ cmd=COMMAND]\"");
		err_hint(e, "The lock itself is the flock on the file, not its text: a run that "
			    "takes it rewrites the file.");
		err_where(e, path, 1, -1);
		return -1;
	}
	return 1;
}

int lock_holder_read(const char *path, struct lock_holder *h, struct err *e)
{
	int fd, ret;
	lock_holder_clear(h);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return err_errno(e, errno, "cannot open the lock file %s", path);
	}
	ret = read_holder_fd(fd, path, h, e);
	close(fd);
	return ret;
}

int lock_holder_alive(const struct lock_holder *h)
{
	char host[256];
	if (h->pid <= 0 || h->start <= 0 || !h->host)
		return -1;
	if (gethostname(host, sizeof host) < 0)
		return -1;
	host[sizeof host - 1] = '\0';
	if (strcmp(host, h->host))
		return -1;
	return lock_process_alive(h->pid, h->start);
}

void lock_holder_format(const struct lock_holder *h, struct strbuf *out)
{
	char when[32] = "?";
	struct tm tm;
	time_t t = (time_t)h->start;
	if (h->start > 0 && localtime_r(&t, &tm))
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	if (h->pid > 0)
		strbuf_addf(out, _("pid %ld"), h->pid);
	else
		strbuf_addstr(out, _("pid ?"));
	strbuf_addf(out, _(" on %s, started %s"), h->host ? h->host : "?", when);
	if (h->cmd)
		strbuf_addf(out, _(", command %s"), h->cmd);
}

/* 1 when @path still names the file open on @fd. */
static int same_file(int fd, const char *path)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* Write our holder line into the locked @fd; informative only, so a
 * failure is not an error (the flock is the lock). */
static void write_holder(int fd)
{
	char host[256] = "?", line[HOLDER_MAX];
	long long start = lock_process_start(getpid());
	int n;
	if (gethostname(host, sizeof host) < 0 || !*host)
		strcpy(host, "?");
	host[sizeof host - 1] = '\0';
	host[strcspn(host, " \t\r\n")] = '\0';
	n = snprintf(line, sizeof line, "pid=%ld start=%lld host=%s%s%s\n", (long)getpid(),
		     start > 0 ? start : (long long)time(NULL), host, *command ? " cmd=" : "",
		     command);
	if (n <= 0 || (size_t)n >= sizeof line || ftruncate(fd, 0) < 0)
		return;
	if (pwrite(fd, line, (size_t)n, 0) != n)
		(void)0;
}

/* A lock file's name as lock_target_path() makes it. */
static int is_lock_name(const char *name)
{
	size_t n = strlen(name);
	return !strncmp(name, LOCK_PREFIX, strlen(LOCK_PREFIX)) && n > strlen(LOCK_PREFIX) + 5 &&
	       !strcmp(name + n - 5, ".lock");
}

int lock_tidy(const char *dir, const char *except)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int removed = 0;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct lock_holder h = { 0, 0, NULL, NULL };
		struct err ignored = ERR_INIT;
		struct stat st;
		char *path;
		int fd, rec;
		if (!is_lock_name(de->d_name))
			continue;
		path = xstrfmt("%s/%s", dir, de->d_name);
		rec = lock_holder_read(path, &h, &ignored);
		err_clear(&ignored);
		/* a holder that lives is never disturbed; a file written in the
		 * last minute may be a taker's between its open and its flock */
		if ((except && !strcmp(path, except)) || (rec == 1 && lock_holder_alive(&h) != 0) ||
		    lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_mtime > time(NULL) - LOCK_TIDY_AGE) {
			lock_holder_clear(&h);
			free(path);
			continue;
		}
		lock_holder_clear(&h);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		/* removed only while ours, as lock_release() does: a taker that
		 * opened it before finds its inode gone (lock_take()) */
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && same_file(fd, path) &&
		    unlink(path) == 0)
			removed++;
		if (fd >= 0)
			close(fd);
		free(path);
	}
	closedir(d);
	return removed;
}

int lock_take(const char *path, const char *what, struct err *e)
{
	const char *slash = strrchr(path, '/');
	if (slash && slash != path) {
		char *dir = xstrndup(path, (size_t)(slash - path));
		lock_tidy(dir, path);
		free(dir);
	}
	for (int attempt = 0; attempt < 10; attempt++) {
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return err_errno(e, errno, "cannot open the lock file %s", path);
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int saved = errno;
			struct lock_holder h = { 0, 0, NULL, NULL };
			const char *cmd;
			struct err ignored = ERR_INIT;
			struct strbuf who[2] = { STRBUF_INIT, STRBUF_INIT }; /* English, screen */
			char *shown;
			int rec;
			if (saved != EWOULDBLOCK) {
				close(fd);
				return err_errno(e, saved, "cannot lock %s", path);
			}
			rec = read_holder_fd(fd, path, &h, &ignored) == 1;
			if (attempt < 9 && (!same_file(fd, path) || !rec || lock_holder_alive(&h) == 0)) {
				/* held, but by no holder its line names: another
				 * run's lock_tidy() for a moment (it unlinks the
				 * file), or a taker about to write its line */
				struct timespec pause = { 0, 10 * 1000 * 1000 };
				lock_holder_clear(&h);
				err_clear(&ignored);
				close(fd);
				nanosleep(&pause, NULL);
				continue;
			}
			for (int l10n = 0; l10n < 2; l10n++) {
				int was = i18n_english(!l10n);
				if (rec)
					lock_holder_format(&h, &who[l10n]);
				else
					strbuf_addstr(&who[l10n], _("its holder not recorded yet"));
				i18n_english(was);
			}
			err_clear(&ignored);
			close(fd);
			/* what the holder does to the target, in words (one
			 * message each, for the translation); the holder's
			 * words in both languages */
			cmd = h.cmd ? h.cmd : "";
			if (!strcmp(cmd, "restore")) {
				shown = xstrfmt(_("another biso-recover (%s) is restoring %s"), who[1].buf, what);
				err_set_l10n(e, shown, "another biso-recover (%s) is restoring %s", who[0].buf, what);
			} else if (!strcmp(cmd, "refresh")) {
				shown = xstrfmt(_("another biso-recover (%s) is refreshing %s"), who[1].buf, what);
				err_set_l10n(e, shown, "another biso-recover (%s) is refreshing %s", who[0].buf, what);
			} else if (!strcmp(cmd, "rollback")) {
				shown = xstrfmt(_("another biso-recover (%s) is rolling back %s"), who[1].buf, what);
				err_set_l10n(e, shown, "another biso-recover (%s) is rolling back %s", who[0].buf,
					     what);
			} else if (!strcmp(cmd, "backup")) {
				shown = xstrfmt(_("another biso-recover (%s) is backing up %s"), who[1].buf, what);
				err_set_l10n(e, shown, "another biso-recover (%s) is backing up %s", who[0].buf, what);
			} else {
				shown = xstrfmt(_("another biso-recover (%s) is working on %s"), who[1].buf, what);
				err_set_l10n(e, shown, "another biso-recover (%s) is working on %s", who[0].buf, what);
			}
			free(shown);
			lock_holder_clear(&h);
			err_detail(e, "%s is locked", path);
			err_hint(e, "Wait for it to finish: two runs on one target at the same time "
				    "would undo each other's work.");
			strbuf_release(&who[0]);
			strbuf_release(&who[1]);
			return -1;
		}
		/* the holder we waited behind may have unlinked the file while
		 * releasing it: a lock on an unlinked inode locks nothing */
		if (same_file(fd, path)) {
			write_holder(fd);
			return fd;
		}
		close(fd);
	}
	return err_set(e, "cannot lock %s: the file keeps being replaced", path);
}

void lock_release(int fd, const char *path)
{
	if (fd < 0)
		return;
	if (path)
		unlink(path); /* while still ours: see lock_take() */
	close(fd);
}

char *lock_target_path(const char *what, const char *key)
{
	/* FNV-1a of the key: one lock per target, whatever log_dir a run is
	 * given */
	uint64_t h = 1469598103934665603ULL;
	const char *dir = access("/run/lock", W_OK) == 0 ? "/run/lock" : "/tmp";
	for (const char *p = key; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return xstrfmt("%s/" LOCK_PREFIX "%s-%016llx.lock", dir, what, (unsigned long long)h);
}
