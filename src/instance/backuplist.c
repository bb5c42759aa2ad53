/* backuplist: one entry a backup under a backup root; see backuplist.h. */
#include "config.h"
#include "backuplist.h"
#include "backupprune.h"
#include "backupset.h"
#include "err.h"
#include "i18n.h"
#include "manifest.h"
#include "strbuf.h"
#include "timestamp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The entry of @id ("" the flat copy) in @l, added when it is not there. */
static struct backuplist_entry *entry_of(struct backuplist *l, const char *id, time_t when)
{
	struct backuplist_entry *x;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->entries[i].id, id))
			return &l->entries[i];
	l->entries = xrealloc(l->entries, (l->n + 1) * sizeof *l->entries);
	x = &l->entries[l->n++];
	memset(x, 0, sizeof *x);
	snprintf(x->id, sizeof x->id, "%s", id);
	x->when = when;
	x->state = *id ? BACKUPLIST_CUT : BACKUPLIST_FLAT;
	return x;
}

/* The entry an item of backupset_scan() belongs to: its id as
 * manifest_of_part() takes it (the stamp's time), or the flat copy's. */
static struct backuplist_entry *entry_of_item(struct backuplist *l, const struct backup_item *it)
{
	char id[16];
	struct backuplist_entry *x;
	if (it->undated || it->flat) {
		x = entry_of(l, "", 0);
		if (!it->undated && it->when > x->when)
			x->when = it->when;
		return x;
	}
	timestamp_name(it->when, id);
	return entry_of(l, id, it->when);
}

static void set_note(struct backuplist_entry *x, enum backuplist_state state, const char *en,
		     const char *l10n)
{
	x->state = state;
	free(x->note);
	free(x->note_l10n);
	x->note = xstrdup(en);
	x->note_l10n = xstrdup(l10n);
}

/* State and bytes of @x from its manifest, which exists: a part it names
 * that is missing, or a dump whose size is not the manifest's (cut short,
 * or written over), makes it DAMAGED without reading a byte of it. */
static void from_manifest(const char *root, struct backuplist_entry *x)
{
	struct manifest m;
	struct err e = ERR_INIT;
	char *path;
	manifest_paths(root, x->id, &path, NULL);
	if (manifest_read(path, &m, &e) < 0) {
		set_note(x, BACKUPLIST_UNREADABLE, e.msg ? e.msg : "?",
			 e.lmsg ? e.lmsg : e.msg ? e.msg : "?");
		err_clear(&e);
		free(path);
		manifest_release(&m);
		return;
	}
	free(path);
	switch (manifest_state(&m)) {
	case MANIFEST_VERIFIED: x->state = BACKUPLIST_VERIFIED; break;
	case MANIFEST_UNVERIFIED: x->state = BACKUPLIST_UNVERIFIED; break;
	case MANIFEST_DAMAGED: {
		char when[20], *en, *l10n;
		timestamp_human(m.verified_time, when);
		en = xstrfmt("backup-verify found it damaged (%s)", when);
		l10n = xstrfmt(_("backup-verify found it damaged (%s)"), when);
		set_note(x, BACKUPLIST_DAMAGED, en, l10n);
		free(en);
		free(l10n);
		break;
	}
	}
	x->bytes = 0;
	x->bytes_partial = 0;
	for (size_t i = 0; i < m.n_parts; i++) {
		const struct manifest_part *p = &m.parts[i];
		int file = !strcmp(p->name, "db") || !strcmp(p->name, "log_db");
		char *full = xstrfmt("%s/%s", root, p->path), *en = NULL, *l10n = NULL;
		struct stat st;
		x->bytes += p->bytes;
		if (lstat(full, &st) < 0) {
			en = xstrfmt("%s is missing", p->path);
			l10n = xstrfmt(_("%s is missing"), p->path);
		} else if (file && (uint64_t)st.st_size != p->bytes) {
			en = xstrfmt("%s has %llu bytes, the manifest says %llu", p->path,
				     (unsigned long long)st.st_size, (unsigned long long)p->bytes);
			l10n = xstrfmt(_("%s has %llu bytes, the manifest says %llu"), p->path,
				       (unsigned long long)st.st_size, (unsigned long long)p->bytes);
		}
		if (en && x->state != BACKUPLIST_DAMAGED)
			set_note(x, BACKUPLIST_DAMAGED, en, l10n);
		free(en);
		free(l10n);
		free(full);
	}
	manifest_release(&m);
}

static int newest_first(const void *a, const void *b)
{
	const struct backuplist_entry *x = a, *y = b;
	if (x->when != y->when)
		return x->when > y->when ? -1 : 1;
	return -strcmp(x->id, y->id);
}

int backuplist_read(const char *root, const char *prefix, const char *log_prefix,
		    struct backuplist *l, struct err *e)
{
	struct backupset bs;
	struct backupprune_item *ids = NULL;
	size_t n_ids = 0;
	const struct backup_list *lists[4];
	const unsigned bits[4] = { BACKUPLIST_DB, BACKUPLIST_LOG_DB, BACKUPLIST_DATADIR,
				   BACKUPLIST_WEBROOT };

	memset(l, 0, sizeof *l);
	if (backupset_scan(root, prefix, log_prefix, &bs, e) < 0)
		return -1;
	if (backupprune_list(root, prefix, log_prefix, &ids, &n_ids, e) < 0) {
		backupset_release(&bs);
		return -1;
	}
	lists[0] = &bs.dumps;
	lists[1] = &bs.log_dumps;
	lists[2] = &bs.data;
	lists[3] = &bs.webroot;
	for (size_t k = 0; k < 4; k++) {
		/* the one a restore without --at takes, as the restore picks it */
		const struct backup_item *pick = backupset_pick(lists[k], 0);
		for (size_t i = 0; i < lists[k]->n; i++) {
			const struct backup_item *it = &lists[k]->items[i];
			struct backuplist_entry *x = entry_of_item(l, it);
			x->parts |= bits[k];
			if (it == pick)
				x->restore |= bits[k];
			if (it->kind == MAGIC_DIR)
				x->bytes_partial = 1;
			else
				x->bytes += it->size;
		}
	}
	/* backup-prune's view: a manifest (complete), or the manual layout;
	 * an id with a manifest and no part left is listed too */
	for (size_t i = 0; i < n_ids; i++) {
		struct backuplist_entry *x = entry_of(l, ids[i].id, ids[i].when);
		if (ids[i].complete)
			from_manifest(root, x);
		else if (ids[i].manual)
			x->state = BACKUPLIST_MANUAL;
	}
	/* a dump backup-prune does not list (".sql", not compressed) alone
	 * under its id is of the manual layout too */
	for (size_t i = 0; i < l->n; i++)
		if (l->entries[i].state == BACKUPLIST_CUT &&
		    !(l->entries[i].parts & ~(unsigned)(BACKUPLIST_DB | BACKUPLIST_LOG_DB)))
			l->entries[i].state = BACKUPLIST_MANUAL;
	if (l->n > 1)
		qsort(l->entries, l->n, sizeof *l->entries, newest_first);
	free(ids);
	backupset_release(&bs);
	return 0;
}

void backuplist_release(struct backuplist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->entries[i].note);
		free(l->entries[i].note_l10n);
	}
	free(l->entries);
	memset(l, 0, sizeof *l);
}
