/* pathguard: which directories a restore may replace; see pathguard.h. */
#include "config.h"
#include "pathguard.h"
#include "selfexe.h"
#include "err.h"
#include "strbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Never a target, nor any of their ancestors. */
static const char *const system_dirs[] = {
	"/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32",
	"/lost+found", "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/snap",
	"/srv", "/sys", "/tmp", "/usr", "/var",
	"/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libexec",
	"/usr/include", "/usr/local", "/usr/local/bin", "/usr/local/sbin", "/usr/local/lib",
	"/usr/share", "/usr/src", "/var/backups", "/var/cache", "/var/lib", "/var/local",
	"/var/log", "/var/mail", "/var/opt", "/var/run", "/var/spool", "/var/tmp", "/var/www",
	"/var/lib/postgresql",
};

/* Nothing inside these is a target either. */
static const char *const system_trees[] = {
	"/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/run",
	"/sbin", "/sys", "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib32", "/usr/lib64",
	"/usr/libexec", "/usr/include", "/var/lib/postgresql",
};

/* Is @inner the same as @outer or below it?  Both absolute and clean. */
static int within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);
	if (!strcmp(outer, "/"))
		return 1;
	return !strncmp(inner, outer, n) && (inner[n] == '/' || inner[n] == '\0');
}

/* Append the components of @rest to the absolute, clean @sb, "." dropped
 * and ".." taking one off (never above "/"). */
static void append_clean(struct strbuf *sb, const char *rest)
{
	while (*rest) {
		const char *end = strchr(rest, '/');
		size_t len = end ? (size_t)(end - rest) : strlen(rest);
		if (len == 2 && rest[0] == '.' && rest[1] == '.') {
			char *slash = strrchr(sb->buf, '/');
			strbuf_setlen(sb, slash && slash != sb->buf ? (size_t)(slash - sb->buf) : 1);
		} else if (len && !(len == 1 && rest[0] == '.')) {
			if (sb->len > 1)
				strbuf_addch(sb, '/');
			strbuf_add(sb, rest, len);
		}
		rest += len;
		while (*rest == '/')
			rest++;
	}
}

char *pathguard_resolve(const char *path)
{
	struct strbuf abs = STRBUF_INIT, out = STRBUF_INIT;
	size_t cut;
	char *real = NULL;
	if (path[0] != '/') {
		char *cwd = getcwd(NULL, 0);
		if (!cwd) {
			strbuf_release(&abs);
			return NULL;
		}
		strbuf_addstr(&abs, cwd);
		free(cwd);
		strbuf_addch(&abs, '/');
	}
	strbuf_addstr(&abs, path);
	/* the deepest existing ancestor: cut a component at a time */
	for (cut = abs.len;;) {
		char keep = abs.buf[cut];
		abs.buf[cut] = '\0';
		real = realpath(cut ? abs.buf : "/", NULL);
		abs.buf[cut] = keep;
		if (real || cut == 0)
			break;
		while (cut > 0 && abs.buf[cut - 1] == '/')
			cut--;
		while (cut > 0 && abs.buf[cut - 1] != '/')
			cut--;
	}
	strbuf_addstr(&out, real ? real : "/");
	free(real);
	append_clean(&out, abs.buf + cut);
	strbuf_release(&abs);
	return strbuf_detach(&out, NULL);
}

/* Fill @e for a refused @what at @path (resolved @res). */
static int refuse(struct err *e, const char *what, const char *path, const char *res,
		  const char *why)
{
	err_set(e, "the %s %s %s", what, path, why);
	if (strcmp(path, res))
		err_detail(e, "%s resolves to %s", path, res);
	if (!strcmp(what, "datadir"))
		err_hint(e, "A restore renames the datadir away and puts the backup in its place. "
			    "Check Config::set('datadir', ...) in config.php, or give --datadir DIR "
			    "(e.g. /var/lib/biso/data). Nothing was changed.");
	else if (!strcmp(what, "webroot"))
		err_hint(e, "A restore renames the webroot away and puts the backup in its place. "
			    "Check webroot in the configuration, or give --webroot DIR (e.g. "
			    "/var/www/biso). Nothing was changed.");
	else
		err_hint(e, "A restore renames the %s away and puts the backup in its place; give "
			    "the tree's own directory (e.g. /var/www/biso). Nothing was changed.", what);
	return -1;
}

/* Refuse @res if it is @dir (named @whose) or an ancestor of it. */
static int check_ancestor(struct err *e, const char *what, const char *path, const char *res,
			  const char *dir, const char *whose)
{
	char *d, *why;
	int rc = 0;
	if (!dir || dir[0] != '/')
		return 0;
	d = pathguard_resolve(dir);
	if (d && within(d, res)) {
		if (!strcmp(d, res))
			why = xstrfmt("is %s", whose);
		else
			why = xstrfmt("contains %s (%s)", whose, d);
		rc = refuse(e, what, path, res, why);
		free(why);
	}
	free(d);
	return rc;
}

int pathguard_target(const char *what, const char *path, struct err *e)
{
	char *res, exe[PATH_MAX];
	const char *p;
	long n;
	int rc = -1;
	if (!path || !*path)
		return err_set(e, "no %s given", what);
	res = pathguard_resolve(path);
	if (!res)
		return err_errno(e, errno, "cannot resolve the %s %s", what, path);
	if (!strcmp(res, "/")) {
		refuse(e, what, path, res, "is the root directory");
		goto out;
	}
	for (size_t i = 0; i < sizeof system_dirs / sizeof *system_dirs; i++)
		if (within(system_dirs[i], res)) {
			char *why = !strcmp(system_dirs[i], res)
					    ? xstrdup("is a system directory")
					    : xstrfmt("contains the system directory %s", system_dirs[i]);
			refuse(e, what, path, res, why);
			free(why);
			goto out;
		}
	for (size_t i = 0; i < sizeof system_trees / sizeof *system_trees; i++)
		if (within(res, system_trees[i])) {
			char *why = xstrfmt("is inside the system directory %s", system_trees[i]);
			refuse(e, what, path, res, why);
			free(why);
			goto out;
		}
	/* what the running system uses, wherever it is installed */
	n = self_exe_path(exe, sizeof exe);
	if (n > 0) {
		char *slash;
		slash = strrchr(exe, '/');
		if (slash && slash != exe)
			*slash = '\0';
		if (check_ancestor(e, what, path, res, exe, "the directory of biso-recover") < 0)
			goto out;
	}
	if (check_ancestor(e, what, path, res, getenv("HOME"), "the home directory ($HOME)") < 0)
		goto out;
	for (p = getenv("PATH"); p && *p;) {
		const char *end = strchr(p, ':');
		char *dir = xstrndup(p, end ? (size_t)(end - p) : strlen(p));
		int bad = check_ancestor(e, what, path, res, dir, "a directory of $PATH") < 0;
		free(dir);
		if (bad)
			goto out;
		p = end ? end + 1 : "";
	}
	rc = 0;
out:
	free(res);
	return rc;
}

int pathguard_dirs(const char *webroot, const char *datadir, const char *backup_root,
		   struct err *e)
{
	char *w = NULL, *d = NULL, *b = NULL, *def = NULL;
	int rc = -1;
	if (webroot && pathguard_target("webroot", webroot, e) < 0)
		return -1;
	if (datadir && pathguard_target("datadir", datadir, e) < 0)
		return -1;
	w = webroot ? pathguard_resolve(webroot) : NULL;
	d = datadir ? pathguard_resolve(datadir) : NULL;
	b = backup_root && *backup_root ? pathguard_resolve(backup_root) : NULL;
	if ((webroot && !w) || (datadir && !d)) {
		err_errno(e, errno, "cannot resolve the webroot or the datadir");
		goto out;
	}
	if (w && d) {
		def = xstrfmt("%s/data", w);
		if (!strcmp(w, d)) {
			err_set(e, "the datadir and the webroot are the same directory %s", w);
			err_hint(e, "The datadir is a directory of its own (default: <webroot>/data). "
				    "Nothing was changed.");
			goto out;
		}
		if (within(w, d)) {
			err_set(e, "the datadir %s contains the webroot %s", datadir, webroot);
			err_detail(e, "restoring the datadir would replace the webroot with it");
			err_hint(e, "Check the datadir in config.php or --datadir (default: "
				    "<webroot>/data). Nothing was changed.");
			goto out;
		}
		if (within(d, w) && strcmp(d, def)) {
			err_set(e, "the datadir %s is inside the webroot %s but is not its data/ "
				"directory", datadir, webroot);
			err_detail(e, "the web server could serve it; only <webroot>/data is kept "
				      "apart when the webroot is restored");
			err_hint(e, "Use %s or a directory outside the webroot. Nothing was changed.", def);
			goto out;
		}
	}
	if (b) {
		const char *names[2] = { "webroot", "datadir" };
		const char *given[2] = { webroot, datadir };
		const char *res[2] = { w, d };
		for (int i = 0; i < 2; i++) {
			if (!res[i])
				continue;
			if (within(b, res[i]) || within(res[i], b)) {
				err_set(e, "the %s %s and the backup root %s overlap", names[i], given[i],
					backup_root);
				err_detail(e, "%s %s", res[i], within(b, res[i]) ? "contains the backups"
										: "lies inside the backups");
				err_hint(e, "Keep the backups apart from the instance (backup_root in the "
					    "configuration, or --backup-root). Nothing was changed.");
				goto out;
			}
		}
	}
	rc = 0;
out:
	free(w);
	free(d);
	free(b);
	free(def);
	return rc;
}

const char *pathguard_inside(const char *dir, const char *top)
{
	size_t n = strlen(top);
	while (n > 1 && top[n - 1] == '/')
		n--;
	if (!dir || strncmp(dir, top, n) || dir[n] != '/' || !dir[n + 1])
		return NULL;
	return dir + n + 1;
}
