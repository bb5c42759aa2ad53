/*
 * backuplist: the backups under a backup root, one entry a backup, newest
 * first, as `biso-recover backup-list` shows them.
 *
 * Built from the listings there are, never a walk of its own:
 * backupset_scan() (the parts the restore and the wizard's chooser pick
 * from; backupset_pick() says which a restore without --at takes) and
 * backupprune_list() (backup-prune's ids: complete, manual layout), plus
 * each backup's MANIFEST (manifest_state(): the chooser's verified state)
 * and a stat() of each part it names.  No dump or tree is read, so a
 * manual dump cut short is not told from a whole one (backup-verify and
 * the restore's check read them whole).
 */
#ifndef BR_BACKUPLIST_H
#define BR_BACKUPLIST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct err;

/* a backup's parts, as bits */
enum {
	BACKUPLIST_DB = 1,      /* the database's dump */
	BACKUPLIST_LOG_DB = 2,  /* the log database's dump */
	BACKUPLIST_DATADIR = 4, /* data/ */
	BACKUPLIST_WEBROOT = 8, /* webroot/ */
};

enum backuplist_state {
	BACKUPLIST_VERIFIED,   /* a manifest; its last verification found it whole */
	BACKUPLIST_UNVERIFIED, /* a manifest; never verified */
	BACKUPLIST_DAMAGED,    /* a verification found damage, or a part the
				  manifest names is missing or has another size
				  (note says which) */
	BACKUPLIST_UNREADABLE, /* the manifest cannot be read (note: why) */
	BACKUPLIST_CUT,        /* parts of a backup biso-recover writes, no
				  manifest: cut short (the seal writes it last) */
	BACKUPLIST_MANUAL,     /* a dump of the manual layout, which the restore
				  pairs with the flat webroot/ and data/ */
	BACKUPLIST_FLAT,       /* the manual's flat rsync copy in webroot/ or
				  data/ (id "") */
};

struct backuplist_entry {
	char id[16];        /* YYYYMMDD_HHMMSS; "" for the flat copy */
	time_t when;        /* the id's time; the flat copy: when it was written
			       (0: not known, the one copy kept up to date in
			       place) */
	unsigned parts;     /* BACKUPLIST_* bits it has */
	unsigned restore;   /* the parts a restore without --at takes from it */
	uint64_t bytes;     /* the manifest's bytes of its parts; without a
			       manifest the sizes of its files (dumps, archives) */
	int bytes_partial;  /* without a manifest: directories not counted */
	enum backuplist_state state;
	char *note;         /* DAMAGED, UNREADABLE: why (English), else NULL */
	char *note_l10n;    /* the same in the operator's language */
};

struct backuplist {
	struct backuplist_entry *entries; /* newest first; the flat copy by its
					     time (last when it has none) */
	size_t n;
};

/*
 * List the backups under @root, their dumps named @prefix (NULL: "biso_")
 * and @log_prefix (NULL: no log database).  Returns 0 and fills @l
 * (release with backuplist_release(); an empty root gives n 0), or -1 with
 * @e when the root or a subdirectory cannot be read ("cannot read backup
 * root ROOT: ...").
 */
int backuplist_read(const char *root, const char *prefix, const char *log_prefix,
		    struct backuplist *l, struct err *e);
void backuplist_release(struct backuplist *l);

#endif
