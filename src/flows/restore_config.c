/* restore_config: the restore's second step, config.php checked (or the
 * operator's installed); see restore.h. */
#include "config.h"
#include "i18n.h"
#include "restore.h"
#include "restore_int.h"
#include "conf.h"
#include "conninfo.h"
#include "fault.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void config_describe(const struct run *run, struct strbuf *out)
{
	const struct restore *rs = restore_of(run);
	char *host = rs->conninfo ? conninfo_get(rs->conninfo, "host") : NULL;
	char *user = rs->conninfo ? conninfo_get(rs->conninfo, "user") : NULL;
	strbuf_addf(out, _("source: %s\ntarget: %s/config.php\n"),
		    rs->config_php_src ? rs->config_php_src : _("config.php from the webroot backup"),
		    rs->webroot);
	/* What the rest of the restore will use; the password is never shown. */
	strbuf_addf(out, _("env:      %s%s\ndatadir:  %s\ndatabase: %s on %s as %s"),
		    orq(rs->env),
		    rs->env && nonempty(rs->conf->env_expected) &&
		    strcmp(rs->env, rs->conf->env_expected) ? _(" (not the expected "
		    "production env!)") : "",
		    orq(rs->datadir), orq(rs->dbname), host && *host ? host : "localhost",
		    orq(user));
	if (restore_app_db_differs(rs, NULL, NULL))
		strbuf_addf(out, _(" (config.php names \"%s\"!)"), rs->app_dbname);
	strbuf_addch(out, '\n');
	free(host);
	free(user);
}

static int config_destructive(const struct run *run, struct strbuf *what)
{
	const struct restore *rs = restore_of(run);
	if (!rs->config_php_src)
		return 0;
	if (what)
		strbuf_addf(what, _("replaces %s/config.php with %s"), rs->webroot,
			    rs->config_php_src);
	return 1;
}

static void config_manual(const struct run *run, struct strbuf *out)
{
	const struct restore *rs = restore_of(run);
	char *target = xstrfmt("%s/config.php", rs->webroot);
	if (rs->config_php_src)
		restore_add_cmd(out, 0, "install", "-m", "0640", rs->config_php_src, target, NULL);
	restore_add_cmd(out, 0, "grep", "-n", "Config::set", target, NULL);
	free(target);
}

/* Install the operator's config.php as <webroot>/config.php.  It gets the
 * owner, group and mode of the file it replaces (the web server must still
 * read it; others must not).  The replaced file is kept beside the webroot,
 * never inside it, where the web server could serve it as plain text; when
 * it came from the backup in this very run the backup still has it. */
static int install_config_php(struct restore *rs, const char *target, struct step_out *so,
			      struct report *r, struct err *e)
{
	struct strbuf kept = STRBUF_INIT, tmp = STRBUF_INIT;
	int in = -1, out = -1, ret = -1, had = 0;
	struct stat old;
	char buf[65536];
	ssize_t n;

	strbuf_addf(&tmp, "%s.restoring", target);
	if (lstat(target, &old) == 0 && S_ISREG(old.st_mode))
		had = 1;
	in = open(rs->config_php_src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		err_errno(e, errno, "cannot open %s", rs->config_php_src);
		goto out;
	}
	out = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		err_errno(e, errno, "cannot create %s", tmp.buf);
		goto out;
	}
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n) {
			err_errno(e, errno, "cannot write %s", tmp.buf);
			goto out;
		}
	if (n < 0) {
		err_errno(e, errno, "cannot read %s", rs->config_php_src);
		goto out;
	}
	if (had) {
		if (fchown(out, old.st_uid, old.st_gid) < 0 && geteuid() == 0) {
			err_errno(e, errno, "cannot give %s the owner of the old config.php", tmp.buf);
			goto out;
		}
		if (fchmod(out, old.st_mode & 07777) < 0) {
			err_errno(e, errno, "cannot set the mode of %s", tmp.buf);
			goto out;
		}
	} else {
		uid_t uid;
		gid_t gid;
		/* No old file: readable by the web server's group only. */
		if (conf_web_owner(rs->conf, &uid, &gid, NULL) == 0 && geteuid() == 0 &&
		    fchown(out, 0, gid) < 0)
			report_log(r, LOG_WARN, "cannot give %s to group %s: %s (the web server may not "
				   "read it)", target, rs->conf->web_group, strerror(errno));
		(void)fchmod(out, 0640);
	}
	if (fsync(out) < 0) {
		err_errno(e, errno, "cannot write %s", tmp.buf);
		goto out;
	}
	if (had && restore_state(rs, STEP_WEBROOT) != STEP_DONE) {
		strbuf_addf(&kept, "%s.config.php.pre-restore-%s", rs->webroot, rs->stamp);
		if (link(target, kept.buf) < 0) {
			err_errno(e, errno, "cannot keep %s as %s", target, kept.buf);
			goto out;
		}
		set_str(&so->kept_as, kept.buf);
	}
	fault_point("config.before-rename");
	if (rename(tmp.buf, target) < 0) {
		err_errno(e, errno, "cannot install %s", target);
		if (kept.len)
			unlink(kept.buf);
		goto out;
	}
	fault_point("config.after-rename");
	report_log(r, LOG_INFO, "installed %s as %s%s%s", rs->config_php_src, target,
		   kept.len ? "; the old one is kept as " : "", kept.buf);
	ret = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (ret < 0)
		unlink(tmp.buf);
	strbuf_release(&kept);
	strbuf_release(&tmp);
	return ret;
}

static int config_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct restore *rs = restore_of(run);
	struct strbuf target = STRBUF_INIT;
	int ret = -1;

	strbuf_addf(&target, "%s/config.php", rs->webroot);
	out->source = rs->config_php_src ? xstrdup(rs->config_php_src) : NULL;
	if (rs->config_php_src) {
		struct timespec ts[2];
		int had = restore_dir_times_get(rs->webroot, ts);
		int bad = install_config_php(rs, target.buf, out, r, e) < 0;
		if (had)
			restore_dir_times_put(rs->webroot, ts, r);
		if (bad)
			goto out;
	}
	if (restore_adopt_config_php(rs, target.buf, r, e) < 0)
		goto out;
	if (rs->conninfo && restore_resolve_database(rs, e) < 0)
		goto out;
	if (nonempty(rs->conf->env_expected) &&
	    (!rs->env || strcmp(rs->env, rs->conf->env_expected)) &&
	    !(rs->env && rs->env_warned && !strcmp(rs->env, rs->env_warned))) {
		if (rs->env)
			report_log(r, LOG_WARN, "config.php says env '%s', not '%s': is this the "
				   "right config.php for a disaster recovery?", rs->env,
				   rs->conf->env_expected);
		else
			report_log(r, LOG_WARN, "config.php sets no env, not '%s': is this the "
				   "right config.php for a disaster recovery?", rs->conf->env_expected);
	}
	if (rs->env)
		step_out_summaryf(out, "env %s, database %s", rs->env, orq_en(rs->dbname));
	else
		step_out_summaryf(out, "env not set, database %s", orq_en(rs->dbname));
	ret = 0;
out:
	strbuf_release(&target);
	return ret;
}

const struct step_def restore_step_config = {
	.name = "config",
	.title = N_("Check config.php"),
	.explain = N_("Reads config.php from the restored webroot (or installs the one you named) "
		"without running PHP, and shows env, the datadir and the database settings. "
		"Everything after this step uses these values, so check them now."),
	.flags = STEP_F_FILES,
	.describe = config_describe,
	.destructive = config_destructive,
	.manual = config_manual,
	.run = config_run,
};
