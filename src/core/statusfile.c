/* statusfile: see statusfile.h. */
#include "config.h"

#include "statusfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "strbuf.h"

#define HEADER "biso-recover-status 1"
#define TRAILER "end-of-status"
#define PREFIX "biso-recover-"
#define SUFFIX ".status"
#define MAX_SIZE (1 << 20) /* far beyond what we write: a larger file is not ours */

static const char *const state_names[] = { NULL, "running", "waiting", "finished" };

void status_clear(struct status *st)
{
	free(st->run_id);
	free(st->flow);
	free(st->step_title);
	free(st->step_state);
	free(st->item);
	free(st->log);
	free(st->question);
	free(st->resume);
	memset(st, 0, sizeof *st);
}

char *statusfile_path(const char *log_dir, const char *run_id)
{
	return xstrfmt("%s/" PREFIX "%s" SUFFIX, log_dir, run_id);
}

void statusfile_init(struct statusfile *sf, const char *path)
{
	memset(sf, 0, sizeof *sf);
	sf->path = xstrdup(path);
}

void statusfile_release(struct statusfile *sf)
{
	free(sf->path);
	sf->path = NULL;
}

static int64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void add_str(struct strbuf *sb, const char *key, const char *v)
{
	strbuf_addf(sb, "%s=", key);
	for (; v && *v; v++) {
		if (*v == '\\')
			strbuf_addstr(sb, "\\\\");
		else if (*v == '\n')
			strbuf_addstr(sb, "\\n");
		else
			strbuf_addch(sb, *v);
	}
	strbuf_addch(sb, '\n');
}

static void render(const struct status *st, long long now, struct strbuf *sb)
{
	strbuf_addstr(sb, HEADER "\n");
	add_str(sb, "run_id", st->run_id);
	add_str(sb, "flow", st->flow);
	strbuf_addf(sb, "pid=%ld\nstart=%lld\n", st->pid, st->start);
	add_str(sb, "state", st->state >= STATUS_RUNNING && st->state <= STATUS_FINISHED ?
				     state_names[st->state] : "running");
	strbuf_addf(sb, "step=%u\nnsteps=%u\n", st->step, st->nsteps);
	add_str(sb, "step_title", st->step_title);
	add_str(sb, "step_state", st->step_state);
	strbuf_addf(sb, "done=%llu\ntotal=%llu\nrate=%llu\n", (unsigned long long)st->done,
		    (unsigned long long)st->total, (unsigned long long)st->rate);
	add_str(sb, "item", st->item);
	add_str(sb, "log", st->log);
	add_str(sb, "question", st->state == STATUS_WAITING ? st->question : NULL);
	if (st->resume && *st->resume)
		add_str(sb, "resume", st->resume);
	if (st->state == STATUS_FINISHED)
		strbuf_addf(sb, "exit=%d\n", st->exit_code);
	strbuf_addf(sb, "updated=%lld\n" TRAILER "\n", now);
}

int statusfile_update(struct statusfile *sf, const struct status *st, int force, struct err *e)
{
	int64_t now = sf->clock ? sf->clock() : monotonic_ns();
	struct strbuf sb = STRBUF_INIT;
	char *tmp;
	int fd, ok;

	if (!force && sf->last_ns && now - sf->last_ns < 1000000000) {
		sf->deferred = 1;
		return 0;
	}
	render(st, (long long)time(NULL), &sb);
	tmp = xstrfmt("%s.tmp", sf->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err_errno(e, errno, "cannot write the status file %s", tmp);
		goto out;
	}
	ok = fchmod(fd, 0600) == 0 && write(fd, sb.buf, sb.len) == (ssize_t)sb.len;
	if (close(fd) < 0 || !ok) {
		err_errno(e, errno, "cannot write the status file %s", tmp);
		unlink(tmp);
		fd = -1;
		goto out;
	}
	if (rename(tmp, sf->path) < 0) {
		err_errno(e, errno, "cannot rename %s to %s", tmp, sf->path);
		unlink(tmp);
		fd = -1;
		goto out;
	}
	sf->last_ns = now;
	sf->deferred = 0;
out:
	free(tmp);
	strbuf_release(&sb);
	return fd < 0 ? -1 : 1;
}

long statusfile_due_ms(const struct statusfile *sf)
{
	int64_t now, left;
	if (!sf->deferred)
		return -1;
	now = sf->clock ? sf->clock() : monotonic_ns();
	left = sf->last_ns + 1000000000 - now;
	return left <= 0 ? 0 : (long)((left + 999999) / 1000000);
}

/* ---- reading ------------------------------------------------------------ */

/* Undo add_str()'s escapes in place; -1 on a stray backslash. */
static int unescape(char *s)
{
	char *w = s;
	for (; *s; s++) {
		if (*s != '\\') {
			*w++ = *s;
			continue;
		}
		s++;
		if (*s == '\\')
			*w++ = '\\';
		else if (*s == 'n')
			*w++ = '\n';
		else
			return -1;
	}
	*w = '\0';
	return 0;
}

static int parse_ull(const char *v, unsigned long long max, unsigned long long *out)
{
	char *end;
	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return errno || *end || *out > max ? -1 : 0;
}

static int parse_ll(const char *v, long long *out)
{
	char *end;
	if (!*v)
		return -1;
	errno = 0;
	*out = strtoll(v, &end, 10);
	return errno || *end ? -1 : 0;
}

/* Store @key's value @v into @st; -1 when @v is not a valid value for it.
 * Unknown keys are skipped (a newer writer may add some). */
static int store(struct status *st, const char *key, char *v, unsigned *seen)
{
	unsigned long long u;
	long long l;
	char **str = NULL;
	static const char *const keys[] = { "run_id", "flow", "pid", "start", "state", "exit",
					    NULL };
	for (unsigned i = 0; keys[i]; i++)
		if (!strcmp(key, keys[i]))
			*seen |= 1u << i;
	if (!strcmp(key, "run_id"))
		str = &st->run_id;
	else if (!strcmp(key, "flow"))
		str = &st->flow;
	else if (!strcmp(key, "step_title"))
		str = &st->step_title;
	else if (!strcmp(key, "step_state"))
		str = &st->step_state;
	else if (!strcmp(key, "item"))
		str = &st->item;
	else if (!strcmp(key, "log"))
		str = &st->log;
	else if (!strcmp(key, "question"))
		str = &st->question;
	else if (!strcmp(key, "resume"))
		str = &st->resume;
	if (str) {
		if (unescape(v) < 0)
			return -1;
		free(*str);
		*str = xstrdup(v);
		return 0;
	}
	if (!strcmp(key, "state")) {
		for (int s = STATUS_RUNNING; s <= STATUS_FINISHED; s++)
			if (!strcmp(v, state_names[s])) {
				st->state = (enum status_state)s;
				return 0;
			}
		return -1;
	}
	if (!strcmp(key, "pid") || !strcmp(key, "step") || !strcmp(key, "nsteps")) {
		if (parse_ull(v, 0x7fffffff, &u) < 0)
			return -1;
		if (!strcmp(key, "pid"))
			st->pid = (long)u;
		else if (!strcmp(key, "step"))
			st->step = (unsigned)u;
		else
			st->nsteps = (unsigned)u;
		return 0;
	}
	if (!strcmp(key, "done") || !strcmp(key, "total") || !strcmp(key, "rate")) {
		if (parse_ull(v, UINT64_MAX, &u) < 0)
			return -1;
		*(!strcmp(key, "done") ? &st->done : !strcmp(key, "total") ? &st->total : &st->rate) =
			u;
		return 0;
	}
	if (!strcmp(key, "start") || !strcmp(key, "updated") || !strcmp(key, "exit")) {
		if (parse_ll(v, &l) < 0)
			return -1;
		if (!strcmp(key, "exit")) {
			if (l < 0 || l > 255)
				return -1;
			st->exit_code = (int)l;
		} else {
			*(!strcmp(key, "start") ? &st->start : &st->updated) = l;
		}
		return 0;
	}
	return 0;
}

int statusfile_read(const char *path, struct status *st, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[8192], *line, *next;
	unsigned seen = 0;
	long lineno = 0;
	int fd, ended = 0, ret = -1;
	ssize_t n;
	const char *why = NULL;

	status_clear(st);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		err_errno(e, errno, "cannot open the status file %s", path);
		err_where(e, path, 0, -1);
		return -1;
	}
	while ((n = read(fd, buf, sizeof buf)) > 0 && sb.len <= MAX_SIZE)
		strbuf_add(&sb, buf, (size_t)n);
	if (n < 0) {
		err_errno(e, errno, "cannot read the status file %s", path);
		err_where(e, path, 0, -1);
		close(fd);
		goto out;
	}
	close(fd);
	if (sb.len > MAX_SIZE) {
		err_set(e, "the status file %s is larger than 1 MiB: not a status file", path);
		err_where(e, path, 0, -1);
		goto out;
	}
	if ((line = memchr(sb.buf, '\0', sb.len))) {
		err_set(e, "the status file %s holds a NUL byte: not a status file", path);
		err_where(e, path, 0, line - sb.buf);
		goto out;
	}
	for (line = sb.buf; *line; line = next) {
		char *eq;
		lineno++;
		if (!(next = strchr(line, '\n'))) {
			why = "the file ends inside this line (cut off)";
			break;
		}
		*next++ = '\0';
		if (ended) {
			why = "a line after end-of-status";
			break;
		}
		if (lineno == 1) {
			if (strcmp(line, HEADER)) {
				why = "not a status file (the first line is not \"" HEADER "\")";
				break;
			}
			continue;
		}
		if (!strcmp(line, TRAILER)) {
			ended = 1;
			continue;
		}
		if (!(eq = strchr(line, '=')) || eq == line) {
			why = "not a key=value line";
			break;
		}
		*eq = '\0';
		if (store(st, line, eq + 1, &seen) < 0) {
			err_set(e, "the status file %s has a bad value for %s", path, line);
			err_detail(e, "%s=%s", line, eq + 1);
			goto where;
		}
	}
	if (!why && !ended) {
		why = lineno ? "the file ends before end-of-status (cut off)" : "the file is empty";
		lineno = lineno ? lineno : 1;
	}
	if (why) {
		err_set(e, "cannot read the status file %s: %s", path, why);
		goto where;
	}
	if ((seen & 0x1f) != 0x1f || (st->state == STATUS_FINISHED) != !!(seen & 0x20)) {
		err_set(e, "the status file %s lacks %s", path,
			!(seen & 1) ? "run_id" : !(seen & 2) ? "flow" : !(seen & 4) ? "pid"
			: !(seen & 8) ? "start" : !(seen & 16) ? "state"
			: st->state == STATUS_FINISHED ? "the exit code of a finished run"
						      : "nothing, but has an exit code while running");
		err_where(e, path, 0, -1);
		goto out;
	}
	ret = 1;
	goto out;
where:
	err_where(e, path, lineno, -1);
	err_hint(e, "The runner rewrites it each second while it runs; a file that stays "
		    "like this is not from biso-recover.");
out:
	if (ret < 0)
		status_clear(st);
	strbuf_release(&sb);
	return ret;
}

int statusfile_latest(const char *log_dir, char **path_out, struct err *e)
{
	DIR *d = opendir(log_dir);
	struct dirent *de;
	char *best = NULL;
	*path_out = NULL;
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return err_errno(e, errno, "cannot read the log directory %s", log_dir);
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len <= strlen(PREFIX SUFFIX) || strncmp(de->d_name, PREFIX, strlen(PREFIX)) ||
		    strcmp(de->d_name + len - strlen(SUFFIX), SUFFIX))
			continue;
		if (!best || strcmp(de->d_name, best) > 0) {
			free(best);
			best = xstrdup(de->d_name);
		}
	}
	closedir(d);
	if (!best)
		return 0;
	*path_out = xstrfmt("%s/%s", log_dir, best);
	free(best);
	return 1;
}
