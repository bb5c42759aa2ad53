/* maintmark: the maintenance-mode marker; see maintmark.h. */
#include "config.h"
#include "i18n.h"
#include "maintmark.h"
#include "bisocli.h"
#include "conf.h"
#include "err.h"
#include "lock.h"
#include "report.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *maintmark_path(const struct conf *c)
{
	if (!c->log_dir || !*c->log_dir)
		return NULL;
	return xstrfmt("%s/maintenance-on", c->log_dir);
}

int maintmark_set(const struct conf *c, const char *webroot, const char *stamp,
		  struct err *e)
{
	char *path = maintmark_path(c), *tmp;
	char host[256] = "?";
	struct strbuf sb = STRBUF_INIT;
	int fd, ret = -1;

	if (!path)
		return err_set(e, "no log directory for the maintenance marker"),
		       err_hint(e, "Set log_dir in the configuration or give --log-dir DIR."), -1;
	if (gethostname(host, sizeof host) < 0)
		strcpy(host, "?");
	host[sizeof host - 1] = '\0';
	strbuf_addf(&sb, "pid=%ld start=%lld host=%s\nwebroot=%s\nrun=%s\n", (long)getpid(),
		    lock_process_start(getpid()), host, webroot, stamp);
	tmp = xstrfmt("%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err_errno(e, errno, "cannot write the maintenance marker %s", tmp);
	} else if (write(fd, sb.buf, sb.len) != (ssize_t)sb.len || fsync(fd) < 0) {
		err_errno(e, errno, "cannot write the maintenance marker %s", tmp);
		close(fd);
		unlink(tmp);
	} else if (close(fd) < 0 || rename(tmp, path) < 0) {
		err_errno(e, errno, "cannot write the maintenance marker %s", path);
		unlink(tmp);
	} else {
		ret = 0;
	}
	free(tmp);
	free(path);
	strbuf_release(&sb);
	return ret;
}

void maintmark_clear(const struct conf *c)
{
	char *path = maintmark_path(c);
	if (path)
		unlink(path);
	free(path);
}

/* The value of "@key=" on a line of @text, malloc'd, or NULL. */
static char *marker_value(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			const char *v = p + kl + 1;
			char *s = xstrdup(v);
			s[strcspn(s, "\n")] = '\0';
			return s;
		}
	return NULL;
}

int maintmark_recover(const struct conf *c, int look_only, struct report *r, struct err *e)
{
	static const char *const off[] = { "maintenance", "off", NULL };
	char *path = maintmark_path(c), *webroot = NULL, *run = NULL;
	struct lock_holder h = { 0 };
	struct strbuf text = STRBUF_INIT, who = STRBUF_INIT;
	int ret = 0, alive;
	FILE *fp;

	if (!path)
		return 0;
	fp = fopen(path, "re");
	if (!fp) {
		/* a user who may not read it (log_dir is root's) could not
		 * switch maintenance off either: only root's commands act */
		if (errno != ENOENT && errno != EACCES)
			ret = err_errno(e, errno, "cannot read the maintenance marker %s", path);
		free(path);
		return ret;
	}
	{
		char line[4096]; /* a marker is three short lines */
		while (fgets(line, sizeof line, fp))
			strbuf_addstr(&text, line);
	}
	fclose(fp);
	ret = lock_holder_read(path, &h, e);
	if (ret < 0)
		goto out;
	alive = ret ? lock_holder_alive(&h) : 0;
	ret = 0;
	/* a backup running now, or one on another host sharing log_dir */
	if (alive != 0)
		goto out;
	webroot = marker_value(text.buf, "webroot");
	run = marker_value(text.buf, "run");
	if (!webroot || !*webroot) {
		ret = err_set(e, "the maintenance marker %s names no webroot", path);
		err_hint(e, "Switch maintenance mode off by hand (php biso-cli maintenance off in the "
			    "webroot), then remove %s.", path);
		goto out;
	}
	{
		int was = i18n_english(1); /* an argument of log lines: English */
		lock_holder_format(&h, &who);
		i18n_english(was);
	}
	if (look_only) {
		/* a dry run changes nothing, the instance's mode included */
		report_log(r, LOG_WARN, "an earlier biso-recover run (run %s, %s) ended while "
			   "maintenance mode was on in %s: the next command that is not a dry run "
			   "switches it off", run ? run : "?", who.buf, webroot);
		goto out;
	}
	report_log(r, LOG_WARN, "an earlier biso-recover run (run %s, %s) ended while maintenance "
		   "mode was on in %s: switching it off", run ? run : "?", who.buf, webroot);
	if (bisocli_run(c, webroot, off, NULL, r, e) < 0) {
		err_prefix(e, "maintenance mode is still on in %s", webroot);
		err_hint(e, "Run php biso-cli maintenance off in %s, then remove %s.", webroot, path);
		ret = -1;
		goto out;
	}
	unlink(path);
	report_log(r, LOG_INFO, "maintenance mode is off again in %s", webroot);
	ret = 1;
out:
	lock_holder_clear(&h);
	strbuf_release(&text);
	strbuf_release(&who);
	free(webroot);
	free(run);
	free(path);
	return ret;
}
