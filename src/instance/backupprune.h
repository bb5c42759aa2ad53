/*
 * backupprune: the backups `biso-recover backup` wrote under a backup root,
 * as backup-prune lists and deletes them (which to keep is retention.h's
 * pure decision).
 *
 * A backup <id> (YYYYMMDD_HHMMSS) is the union of db/<prefix><id>.sql.gz,
 * db/<log_prefix><id>.sql.gz, data/<id>/, webroot/<id>/ and manifest/<id>/;
 * it is complete when manifest/<id>/MANIFEST exists (the seal writes it
 * last).  Names ending in ".partial" (a backup being written) are never
 * listed.
 */
#ifndef BR_BACKUPPRUNE_H
#define BR_BACKUPPRUNE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct err;
struct report;

struct backupprune_item {
	char id[16];  /* YYYYMMDD_HHMMSS */
	time_t when;  /* the id as local time */
	int complete; /* manifest/<id>/MANIFEST exists */
	int manual;   /* only dumps (db/), no manifest or snapshot of its
			 own: a dump of the manual layout, which the restore
			 pairs with the flat webroot/ and data/; never
			 pruned */
};

/*
 * List the backups under @root (dumps named @prefix / @log_prefix, which
 * may be NULL: none), oldest first, into a malloc'd array *@items of *@n
 * (free() it).  Returns 0, or -1 with @e set when the root cannot be read.
 */
int backupprune_list(const char *root, const char *prefix, const char *log_prefix,
		     struct backupprune_item **items, size_t *n, struct err *e);

/*
 * Delete backup @id under @root: its dumps, its snapshot directories
 * (files hard-linked into other snapshots stay there), and its manifest
 * directory last, so that a delete cut short leaves a manifest whose
 * checksums name what is missing (the restore then refuses it) rather than
 * parts nothing checks.  Returns 0, or -1 with @e naming what could not be
 * removed.
 */
int backupprune_delete(const char *root, const char *id, const char *prefix,
		       const char *log_prefix, struct report *r, struct err *e);

/*
 * The bytes deleting the backups @ids (@n_ids of them) under @root would
 * free: the disk blocks (st_blocks, as du and df count them) of what
 * backupprune_delete() removes of each, where every hard link of a file
 * lies among them; a file also linked from a snapshot that stays frees
 * nothing.  Only inodes are read (lstat), no file's content.  Returns 0
 * with *@bytes, or -1 with @e naming what could not be read (or
 * "cancelled by the operator" when @r says so).
 */
int backupprune_freed(const char *root, const char *const *ids, size_t n_ids,
		      const char *prefix, const char *log_prefix, uint64_t *bytes,
		      struct report *r, struct err *e);

#endif
