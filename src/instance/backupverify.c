/* backupverify: tier 1 of backup-verify; see backupverify.h. */
#include "config.h"
#include "i18n.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "backupprune.h"
#include "backupset.h"
#include "backupverify.h"
#include "conf.h"
#include "dumpinfo.h"
#include "err.h"
#include "manifest.h"
#include "report.h"
#include "runcmd.h"
#include "strbuf.h"

char *backupverify_opts(const struct conf *c, const char *root)
{
	struct strbuf sb = STRBUF_INIT;
	char *conf = c->path ? realpath(c->path, NULL) : NULL, *abs = realpath(root, NULL);
	if (c->path) {
		strbuf_addch(&sb, ' ');
		runcmd_format_argv((const char *const[]){ "--config", conf ? conf : c->path, NULL }, &sb);
	}
	strbuf_addch(&sb, ' ');
	runcmd_format_argv((const char *const[]){ "--backup-root", abs ? abs : root, NULL }, &sb);
	free(conf);
	free(abs);
	return strbuf_detach(&sb, NULL);
}

char *backupverify_list_cmd(const char *root)
{
	struct strbuf sb = STRBUF_INIT;
	runcmd_format_argv((const char *const[]){ "biso-recover", "backup-list", "--backup-root",
						  root, NULL }, &sb);
	return strbuf_detach(&sb, NULL);
}

/* @id is no backup with a manifest under @root: say so, with the ids that
 * are there (the newest first, at most 5), and what @id is when its parts
 * are there without a manifest.  Returns -1. */
static int no_such_backup(const char *root, const char *id, struct err *e)
{
	struct backupprune_item *items = NULL;
	struct strbuf there = STRBUF_INIT;
	size_t n = 0, shown = 0, more = 0;
	int parts = 0;
	char *list;
	struct err ignored = ERR_INIT;
	if (backupprune_list(root, NULL, NULL, &items, &n, &ignored) < 0)
		n = 0;
	err_clear(&ignored);
	for (size_t i = n; i-- > 0;) {
		if (!strcmp(items[i].id, id))
			parts = 1;
		if (!items[i].complete)
			continue;
		if (shown == 5) {
			more++;
			continue;
		}
		strbuf_addf(&there, "%s%s", shown++ ? ", " : "", items[i].id);
	}
	if (parts)
		err_set(e, "backup %s in %s has no manifest: a backup cut short, or a dump of the "
			"manual layout, which backup-verify cannot check", id, root);
	else if (!shown)
		err_set(e, "no backup %s in %s; there is no backup with a manifest there", id, root);
	else if (more)
		err_set(e, "no backup %s in %s; backups there: %s and %zu older", id, root, there.buf,
			more);
	else
		err_set(e, "no backup %s in %s; backups there: %s", id, root, there.buf);
	/* "those ids" only when the message listed some (newcomer 8.11);
	 * backup-list shows all, the manual layout's too */
	list = backupverify_list_cmd(root);
	if (shown && !parts)
		err_hint(e, "Give one of those ids, or none: backup-verify checks the newest backup. "
			 "%s lists every backup there.", list);
	else if (shown)
		err_hint(e, "Backups there with a manifest: %s%s; give one of those ids, or none: "
			 "backup-verify checks the newest backup. %s lists every backup there.",
			 there.buf, more ? ", ..." : "", list);
	else
		err_hint(e, "No backup there has a manifest to check against: backup-verify checks "
			 "the backups biso-recover backup writes (manifest/ID/MANIFEST). %s shows "
			 "what is there.", list);
	free(list);
	strbuf_release(&there);
	free(items);
	return -1;
}

int backupverify_tier1(const char *root, const char *id, struct backupverify_result *res,
		       struct report *r, struct err *e)
{
	struct manifest m;
	char *mpath;
	struct stat mst;
	int rc;

	memset(res, 0, sizeof *res);
	manifest_paths(root, id, &mpath, NULL);
	rc = stat(mpath, &mst) < 0 && errno == ENOENT;
	free(mpath);
	if (rc)
		return no_such_backup(root, id, e);
	rc = manifest_verify(root, id, &res->sums, r, e);
	if (rc < 0)
		return -1;
	res->damaged_files = res->sums.n_bad; /* one entry a file so far */
	manifest_paths(root, id, &mpath, NULL);
	if (manifest_read(mpath, &m, e) < 0) { /* read fine a moment ago */
		free(mpath);
		return -1;
	}
	free(mpath);
	for (size_t i = 0; i < m.n_parts; i++) {
		const struct manifest_part *p = &m.parts[i];
		struct dumpinfo di;
		struct err de = ERR_INIT;
		if (strcmp(p->name, "db") && strcmp(p->name, "log_db"))
			continue;
		char *path = xstrfmt("%s/%s", root, p->path);
		struct stat st;
		if (stat(path, &st) < 0) {
			free(path); /* named "missing" by the checksums already */
			continue;
		}
		if (dumpinfo_check(path, &di, 0, N_("Take a new backup: this dump cannot be restored whole."), r, &de) < 0) {
			if (report_cancelled(r)) {
				err_move(e, &de);
				dumpinfo_release(&di);
				free(path);
				manifest_release(&m);
				return -1;
			}
			int seen = 0;
			for (size_t k = 0; k < res->sums.n_bad && !seen; k++)
				seen = !strcmp(res->sums.bad[k].path, p->path);
			res->damaged_files += !seen;
			char *why = xstrfmt("not a whole dump: %s", de.msg ? de.msg : "unreadable");
			char *shown = xstrfmt(_("not a whole dump: %s"),
					      de.lmsg ? de.lmsg : de.msg ? de.msg : _("unreadable"));
			sha256sums_add_bad(&res->sums, p->path, why, shown);
			free(why);
			free(shown);
			rc = 1;
		} else {
			res->dumps++;
			res->dump_sql_bytes += di.bytes_sql;
		}
		err_clear(&de);
		dumpinfo_release(&di);
		free(path);
	}
	manifest_release(&m);
	return rc;
}

void backupverify_release(struct backupverify_result *res)
{
	sha256sums_result_release(&res->sums);
	memset(res, 0, sizeof *res);
}

int backupverify_newest(const char *root, char **id, struct err *e)
{
	char *dir = xstrfmt("%s/manifest", root);
	DIR *d = opendir(dir);
	struct dirent *de;
	*id = NULL;
	if (!d) {
		int saved = errno;
		if (saved == ENOENT) {
			free(dir);
			return 0;
		}
		err_errno(e, saved, "cannot read %s", dir);
		free(dir);
		return -1;
	}
	while ((de = readdir(d))) {
		time_t when;
		size_t len;
		struct stat st;
		if (!backupset_parse_stamp(de->d_name, 0, &when, &len) || de->d_name[len])
			continue;
		char *m = xstrfmt("%s/%s/MANIFEST", dir, de->d_name);
		int ok = stat(m, &st) == 0 && S_ISREG(st.st_mode);
		free(m);
		if (ok && (!*id || strcmp(de->d_name, *id) > 0)) {
			free(*id);
			*id = xstrdup(de->d_name);
		}
	}
	closedir(d);
	free(dir);
	return *id ? 1 : 0;
}

int backupverify_record(const char *root, const char *id, time_t when, const char *how,
			const char *result, struct err *e)
{
	struct manifest m;
	char *mpath;
	int rc;
	manifest_paths(root, id, &mpath, NULL);
	rc = manifest_read(mpath, &m, e);
	if (rc == 0) {
		m.verified_time = when;
		free(m.verified_how);
		free(m.verified_result);
		m.verified_how = xstrdup(how);
		m.verified_result = xstrdup(result);
		rc = manifest_write(&m, mpath, e);
	}
	manifest_release(&m);
	free(mpath);
	return rc;
}
