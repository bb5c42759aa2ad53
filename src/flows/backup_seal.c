/* backup_seal: publish the parts and write the manifest and checksums; see
 * backup.h. */
#include "config.h"
#include "i18n.h"
#include "backup_int.h"
#include "manifest.h"
#include "sha256sums.h"
#include "strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The parts of @b this run wrote, in the manifest's order. */
static size_t parts_of(struct backup *b, struct backup_part **parts)
{
	size_t n = 0;
	struct backup_part *all[] = { &b->db, &b->log_db, &b->data, &b->web };
	for (size_t i = 0; i < 4; i++)
		if (all[i]->written)
			parts[n++] = all[i];
	return n;
}

static void seal_describe(const struct run *run, struct strbuf *out)
{
	const struct backup *b = backup_of(run);
	strbuf_addf(out, _("target: %s/manifest/%s/{MANIFEST,SHA256SUMS}\n"), b->root, b->id);
}

static void seal_manual(const struct run *run, struct strbuf *out)
{
	const struct backup *b = backup_of(run);
	strbuf_addf(out, "     $ cd %s && sha256sum db/... data/%s/... webroot/%s/... > manifest/%s/SHA256SUMS\n",
		    b->root, b->id, b->id, b->id);
}

/* Put the published parts back under .partial (the finish removes them). */
static void unpublish(struct backup_part **parts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (parts[i]->published && rename(parts[i]->final, parts[i]->partial) == 0)
			parts[i]->published = 0;
}

static int seal_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct backup *b = backup_of(run);
	struct backup_part *parts[4];
	size_t n = parts_of(b, parts);
	struct manifest m;
	char *dir, *prev[4] = { NULL, NULL, NULL, NULL };
	int ret = -1, rc;

	if (!n)
		return err_set(e, "no part of backup %s was written: nothing to seal", b->id);
	manifest_init(&m, b->id, b->when);
	/* before the dump is renamed: the count may still be opening it */
	backup_tables_join(b, &m, r);
	/* every part is complete: publish them under their names */
	for (size_t i = 0; i < n; i++) {
		if (access(parts[i]->final, F_OK) == 0) {
			unpublish(parts, n);
			manifest_release(&m);
			return err_set(e, "cannot publish %s: it exists already", parts[i]->final);
		}
		if (rename(parts[i]->partial, parts[i]->final) < 0) {
			err_errno(e, errno, "cannot rename %s to %s", parts[i]->partial, parts[i]->final);
			unpublish(parts, n);
			manifest_release(&m);
			return -1;
		}
		parts[i]->published = 1;
	}
	dir = xstrfmt("%s/db/%s.partial", b->root, b->id);
	rmdir(dir);
	free(dir);

	if (manifest_read_biso_version(&m, b->webroot, e) < 0) {
		report_log(r, LOG_WARN, "%s", e->msg);
		err_clear(e);
	}
	m.server_version = b->server_version ? xstrdup(b->server_version) : NULL;
	m.pg_dump_version = b->pg_dump_version ? xstrdup(b->pg_dump_version) : NULL;
	m.system_identifier = b->system_identifier ? xstrdup(b->system_identifier) : NULL;
	m.dbname = xstrdup(b->identity_dbname ? b->identity_dbname : b->dbname);
	m.maintenance_ms = b->maint_ms;
	m.migrations_pending = b->migrations_pending;
	for (char **x = b->pending_migrations; x && *x; x++)
		manifest_add_pending_migration(&m, *x);
	for (size_t i = 0; i < n; i++) {
		/* the earlier snapshot a part's unchanged files are linked to:
		 * their checksums come from that backup's list */
		const char *from = parts[i] == &b->data ? b->prev_data
				   : parts[i] == &b->web ? b->prev_webroot : NULL;
		manifest_add_part(&m, parts[i]->name, 0, 0, parts[i]->rel);
		prev[i] = from ? xstrfmt("%s/%s", parts[i] == &b->data ? "data" : "webroot",
					 strrchr(from, '/') + 1) : NULL;
	}
	rc = manifest_seal(b->root, &m, (const char *const *)prev, r, e);
	for (size_t i = 0; i < n; i++)
		free(prev[i]);
	if (rc < 0) {
		unpublish(parts, n);
		goto out;
	}
	b->sealed = 1;
	{
		unsigned long long files = 0, bytes = 0;
		for (size_t i = 0; i < m.n_parts; i++) {
			files += m.parts[i].files;
			bytes += m.parts[i].bytes;
		}
		/* English for the log, and the screen's translation */
		for (int l10n = 0; l10n < 2; l10n++) {
			struct strbuf sb = STRBUF_INIT;
			int was = i18n_english(!l10n);
			strbuf_addf(&sb, P_("%llu file", "%llu files", files), files);
			strbuf_addstr(&sb, ", ");
			strbuf_humanise_bytes(&sb, bytes);
			strbuf_addf(&sb, P_(", %zu table counted", ", %zu tables counted", m.n_tables),
				    m.n_tables);
			i18n_english(was);
			*(l10n ? &out->summary_l10n : &out->summary) = strbuf_detach(&sb, NULL);
		}
	}
	ret = 0;
out:
	manifest_release(&m);
	return ret;
}

const struct step_def backup_step_seal = {
	.name = "seal",
	.title = N_("Publish the backup and write its manifest"),
	.explain = N_("Renames every part from NAME.partial to its name only now that all are "
		"complete, then writes SHA256SUMS (sha256sum -c checks it by hand) and the "
		"MANIFEST: versions, the database's identity, rows per table, file and byte "
		"counts, and how long maintenance mode was on."),
	.describe = seal_describe,
	.manual = seal_manual,
	.run = seal_run,
};
