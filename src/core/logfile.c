/* logfile: timestamped run log, mode 0600; see logfile.h. */
#include "config.h"
#include "logfile.h"
#include "err.h"
#include "strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct logfile {
	FILE *fp;
	char *path;
	pthread_mutex_t lock;
};

static int mkdir_p(const char *dir, mode_t mode)
{
	char *p = xstrdup(dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int r = mkdir(p, mode);
	free(p);
	return r < 0 && errno != EEXIST ? -1 : 0;
}

struct logfile *logfile_open(const char *dir, const char *stamp, const char **path_out,
			     struct err *e)
{
	struct logfile *lf;
	char *path;
	int fd;

	if (mkdir_p(dir, 0700) < 0) {
		err_errno(e, errno, "cannot create the log directory %s", dir);
		err_hint(e, "Set log_dir in the configuration to a writable directory.");
		return NULL;
	}
	path = xstrfmt("%s/biso-recover-%s.log", dir, stamp);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err_errno(e, errno, "cannot create the log file %s", path);
		free(path);
		return NULL;
	}
	/* An existing file keeps its mode on open(): force 0600. */
	if (fchmod(fd, 0600) < 0) {
		err_errno(e, errno, "cannot make %s private", path);
		close(fd);
		free(path);
		return NULL;
	}
	lf = xcalloc(1, sizeof *lf);
	lf->fp = fdopen(fd, "a");
	if (!lf->fp) {
		err_errno(e, errno, "cannot open %s", path);
		close(fd);
		free(path);
		free(lf);
		return NULL;
	}
	lf->path = path;
	pthread_mutex_init(&lf->lock, NULL);
	if (path_out)
		*path_out = lf->path;
	return lf;
}

/* "password=VALUE" and "password: VALUE" (any case): VALUE as "***". */
static void mask_password_values(const char *line, struct strbuf *out)
{
	const char *p = line;
	while (*p) {
		const char *hit = strcasestr(p, "password");
		if (!hit) {
			strbuf_addstr(out, p);
			return;
		}
		const char *q = hit + 8;
		while (*q == ' ')
			q++;
		if (*q != '=' && *q != ':') {
			strbuf_add(out, p, (size_t)(q - p));
			p = q;
			continue;
		}
		q++;
		while (*q == ' ')
			q++;
		strbuf_add(out, p, (size_t)(q - p));
		strbuf_addstr(out, "***");
		/* Skip the value as libpq reads it: quoted with backslash
		 * escapes, or up to white space (a ',' or ';' is part of it) */
		if (*q == '\'') {
			for (q++; *q && *q != '\''; q++)
				if (*q == '\\' && q[1])
					q++;
			if (*q)
				q++;
		} else {
			while (*q && !isspace((unsigned char)*q))
				q++;
		}
		p = q;
	}
}

/* "scheme://user:SECRET@host...": SECRET as "***" (the authority ends at
 * '/', '?', '#' or white space; the last '@' in it ends the user info). */
static void mask_uri_userinfo(const char *line, struct strbuf *out)
{
	const char *p = line, *sep;
	while ((sep = strstr(p, "://"))) {
		const char *auth = sep + 3, *end = auth, *at = NULL, *colon;
		while (*end && !strchr("/?#", *end) && !isspace((unsigned char)*end)) {
			if (*end == '@')
				at = end;
			end++;
		}
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			strbuf_add(out, p, (size_t)(colon + 1 - p));
			strbuf_addstr(out, "***");
			p = at;
		} else {
			strbuf_add(out, p, (size_t)(end - p));
			p = end;
		}
	}
	strbuf_addstr(out, p);
}

void log_mask_secrets(const char *line, struct strbuf *out)
{
	struct strbuf tmp = STRBUF_INIT;
	mask_password_values(line, &tmp);
	mask_uri_userinfo(tmp.buf, out);
	strbuf_release(&tmp);
}

void logfile_write(struct logfile *lf, enum log_level level, const char *line)
{
	struct strbuf sb = STRBUF_INIT;
	struct timeval tv;
	struct tm tm;
	char ts[32];

	if (!lf)
		return;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
	log_mask_secrets(line, &sb);
	pthread_mutex_lock(&lf->lock);
	fprintf(lf->fp, "%s.%03ld %-5s %s\n", ts, (long)(tv.tv_usec / 1000),
		log_level_name(level), sb.buf);
	fflush(lf->fp);
	pthread_mutex_unlock(&lf->lock);
	strbuf_release(&sb);
}

void logfile_report_log(void *lf, enum log_level level, const char *line)
{
	logfile_write(lf, level, line);
}

void logfile_close(struct logfile *lf)
{
	if (!lf)
		return;
	fclose(lf->fp);
	pthread_mutex_destroy(&lf->lock);
	free(lf->path);
	free(lf);
}
