/* restore_preflight: every check that can stop a restore before its first
 * step changes anything, the copies earlier restores kept, and the
 * services stopped for a restore; see restore_int.h. */
#include "config.h"
#include "i18n.h"
#include "restore.h"
#include "restore_int.h"
#include "backupset.h"
#include "backupverify.h"
#include "bisocli.h"
#include "conf.h"
#include "conninfo.h"
#include "dbadmin.h"
#include "dbreplace.h"
#include "dumpread.h"
#include "journal.h"
#include "keptcopies.h"
#include "magic.h"
#include "pathguard.h"
#include "runcmd.h"
#include "strbuf.h"
#include "timestamp.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* What the first entries of an archive say about its layout: whether it
 * holds any regular file (within the first @max entries; *@complete tells
 * whether that was all of them), where @marker (e.g. "biso-cli") sits, and
 * the one top folder all entries share, if any.  Reads headers only. */
struct archive_layout {
	int files;          /* regular files seen */
	int complete;       /* all entries were seen */
	int marker_top;     /* @marker at the top */
	char *marker_dir;   /* "webroot" when @marker is webroot/biso-cli; owned */
	char *common_top;   /* the single first component of every entry, or NULL; owned */
};

static int archive_peek(const char *path, const char *marker, int max,
			struct archive_layout *al, struct err *e)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	int r, n = 0, mixed = 0, ret = 0;

	memset(al, 0, sizeof *al);
	if (!a) /* only without memory */
		return err_errno(e, ENOMEM, "cannot read %s", path);
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		ret = err_set(e, "cannot open %s: %s", path, archive_error_string(a));
		goto out;
	}
	while (n < max && ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK ||
			   r == ARCHIVE_WARN)) {
		const char *name = archive_entry_pathname(ent);
		const char *slash;
		size_t first;
		n++;
		while (name[0] == '.' && name[1] == '/')
			name += 2;
		if (!*name || !strcmp(name, "."))
			continue;
		if (archive_entry_filetype(ent) == AE_IFREG)
			al->files++;
		slash = strchr(name, '/');
		first = slash ? (size_t)(slash - name) : strlen(name);
		if (!strcmp(name, marker))
			al->marker_top = 1;
		else if (slash && !strcmp(slash + 1, marker) && !al->marker_dir)
			al->marker_dir = xstrndup(name, first);
		/* A top-level file means the archive is not wrapped in a folder. */
		if (!slash && archive_entry_filetype(ent) != AE_IFDIR)
			mixed = 1;
		if (!mixed && !al->common_top)
			al->common_top = xstrndup(name, first);
		else if (!mixed && (strlen(al->common_top) != first ||
				    strncmp(al->common_top, name, first)))
			mixed = 1;
	}
	if (n < max)
		al->complete = 1;
	if (mixed) {
		free(al->common_top);
		al->common_top = NULL;
	}
out:
	archive_read_free(a);
	return ret;
}

static void archive_layout_release(struct archive_layout *al)
{
	free(al->marker_dir);
	free(al->common_top);
}

/* Refuse archives that would restore the wrong shape: a webroot wrapped in
 * a folder (tar czf webroot.tar.gz webroot) would land one level too deep,
 * an empty datadir archive would replace a live datadir with nothing. */
int restore_check_archives(struct restore *rs, struct err *e)
{
	struct archive_layout al;
	int ret = 0;

	if ((rs->selected & STEP_BIT(STEP_WEBROOT)) && rs->webroot_src &&
	    rs->webroot_src_kind == MAGIC_DIR) {
		char *cli = xstrfmt("%s/biso-cli", rs->webroot_src);
		int ok = path_exists(cli);
		free(cli);
		if (!ok) {
			err_set(e, "the webroot backup %s has no biso-cli: it is not a BISO webroot",
				rs->webroot_src);
			err_hint(e, "Check backup_root (is the backup share mounted?).");
			return -1;
		}
	}
	/* An empty backup (an unmounted share) must not replace a live datadir. */
	if ((rs->selected & STEP_BIT(STEP_DATADIR)) && rs->datadir_src &&
	    rs->datadir_src_kind == MAGIC_DIR && rs->datadir &&
	    restore_dir_is_empty(rs->datadir_src) && path_exists(rs->datadir) &&
	    !restore_dir_is_empty(rs->datadir)) {
		err_set(e, "the datadir backup %s is empty, the live datadir %s is not",
			rs->datadir_src, rs->datadir);
		err_hint(e, "Is the backup share mounted? Check backup_root, or skip this step.");
		return -1;
	}
	if ((rs->selected & STEP_BIT(STEP_WEBROOT)) && rs->webroot_src &&
	    rs->webroot_src_kind != MAGIC_DIR && magic_is_tree(rs->webroot_src_kind)) {
		if (archive_peek(rs->webroot_src, "biso-cli", 100000, &al, e) < 0)
			return -1;
		if (!al.marker_top && (al.marker_dir || al.common_top)) {
			const char *dir = al.marker_dir ? al.marker_dir : al.common_top;
			err_set(e, "the webroot archive %s holds the webroot in a folder \"%s/\"",
				rs->webroot_src, dir);
			err_detail(e, "Restored as it is, it would land in %s/%s.", rs->webroot, dir);
			err_hint(e, "Unpack it (bsdtar -xpf ARCHIVE -C /some/dir) and put the folder "
				    "under <backup_root>/webroot/, or repack it from inside the folder "
				    "(tar -C %s -czf ... .).", dir);
			ret = -1;
		} else if (!al.marker_top) {
			err_set(e, "the webroot archive %s has no biso-cli: it is not a BISO webroot",
				rs->webroot_src);
			err_hint(e, "Check backup_root and the archive (bsdtar -tvf ARCHIVE).");
			ret = -1;
		}
		archive_layout_release(&al);
		if (ret < 0)
			return -1;
	}
	if ((rs->selected & STEP_BIT(STEP_DATADIR)) && rs->datadir_src &&
	    rs->datadir_src_kind != MAGIC_DIR && magic_is_tree(rs->datadir_src_kind)) {
		if (archive_peek(rs->datadir_src, "", 1000, &al, e) < 0)
			return -1;
		if (al.complete && !al.files && rs->datadir && path_exists(rs->datadir) &&
		    !restore_dir_is_empty(rs->datadir)) {
			err_set(e, "the datadir archive %s holds no file, the live datadir %s does",
				rs->datadir_src, rs->datadir);
			err_hint(e, "Is it the right archive? Check backup_root, or skip this step.");
			ret = -1;
		} else if (al.common_top && rs->datadir &&
			   (!strcmp(al.common_top, "data") ||
			    !strcmp(al.common_top, strrchr(rs->datadir, '/') ?
						   strrchr(rs->datadir, '/') + 1 : rs->datadir))) {
			err_set(e, "the datadir archive %s holds the datadir in a folder \"%s/\"",
				rs->datadir_src, al.common_top);
			err_detail(e, "Restored as it is, it would land in %s/%s.", rs->datadir,
				   al.common_top);
			err_hint(e, "Unpack it and put the folder under <backup_root>/data/, or repack "
				    "it from inside the folder.");
			ret = -1;
		}
		archive_layout_release(&al);
	}
	return ret;
}

/* 1 when a port of @conninfo is no number (port=$PGPORT, unexpanded): libpq
 * then tries no server at all, though PQping() says "no response". */
static int port_unusable(const char *conninfo)
{
	char *port = conninfo_get(conninfo, "port");
	int bad = 0;
	for (const char *p = port; p && *p && !bad; p++)
		bad = !isdigit((unsigned char)*p) && *p != ',';
	free(port);
	return bad;
}

/* The target conninfo (--dbname, database.conninfo or config.php's
 * gaia.db) is what the replay, the migrations and the verification connect
 * with: one that cannot reach the server (a typo, a literal $PGPORT) would
 * fail only after the files were swapped.  The live database itself may be
 * missing or refuse connections in a disaster; the database step then
 * creates or replaces it, as long as the same login works on the server
 * (the replay logs in so).  Sets rs->db_missing.  0, or -1 with @e. */
static int check_target_database(struct restore *rs, struct report *r, struct err *e)
{
	const struct conf *c = rs->conf;
	/* where the conninfo comes from: a msgid, in the hints' two
	 * languages (err_hint_l10n()) */
	const char *where = nonempty(c->database.conninfo) ? N_("--dbname or database.conninfo")
				: N_("Config::set('gaia.db', ...) in config.php");
	char *shown;
	int db_step = !!(rs->selected & STEP_BIT(STEP_DATABASE)), exists = 0;
	PGPing ping;
	struct err ce = ERR_INIT;
	PGconn *conn;
	char *admin_db, *probe;

	rs->db_missing = 0;
	if (!rs->conninfo || !rs->dbname || !(rs->selected & (STEP_BIT(STEP_DATABASE) |
		STEP_BIT(STEP_MIGRATIONS) | STEP_BIT(STEP_VERIFY))))
		return 0;
	if ((conn = dbadmin_connect(rs->conninfo, &ce))) {
		PQfinish(conn);
		return 0;
	}
	if ((ping = PQping(rs->conninfo)) != PQPING_OK) {
		err_move(e, &ce);
		err_prefix(e, "the target database cannot be reached");
		/* the hint names what the ping found: a conninfo libpq did not
		 * even try is the settings' fault; no answer most often means
		 * a stopped server (the settings may be right) */
		if (ping == PQPING_NO_ATTEMPT || port_unusable(rs->conninfo)) {
			shown = xstrfmt(_("Check %s: the database step, the migrations and the "
					  "verification connect with it."), _(where));
			err_hint_l10n(e, shown, "Check %s: the database step, the migrations and "
				      "the verification connect with it.", where);
		} else if (ping == PQPING_REJECT) {
			shown = NULL;
			err_hint(e, "The database server answers there but takes no connections "
				    "(it is starting up or shutting down, or has too many clients): "
				    "try again once it does; its log says why.");
		} else {
			shown = xstrfmt(_("No database server answers at that host and port: is "
					  "PostgreSQL running (systemctl status postgresql, "
					  "pg_lsclusters)? Start it and try again; only if it runs "
					  "elsewhere, correct %s."), _(where));
			err_hint_l10n(e, shown, "No database server answers at that host and port: "
				      "is PostgreSQL running (systemctl status postgresql, "
				      "pg_lsclusters)? Start it and try again; only if it runs "
				      "elsewhere, correct %s.", where);
		}
		free(shown);
		return -1;
	}
	/* the server answers: is it the database or the login? */
	if (!(conn = dbadmin_connect(rs->admin_conninfo, e))) {
		err_clear(&ce);
		err_hint(e, "Check database.admin_conninfo (default: the target conninfo with "
			    "dbname=postgres).");
		return -1;
	}
	if (dbadmin_exists(conn, rs->dbname, &exists, e) < 0) {
		PQfinish(conn);
		err_clear(&ce);
		return -1;
	}
	admin_db = PQdb(conn) ? xstrdup(PQdb(conn)) : xstrdup("postgres");
	PQfinish(conn);
	if (!db_step) {
		if (exists) {
			err_move(e, &ce);
		} else {
			err_clear(&ce);
			err_set(e, "the database \"%s\" does not exist", rs->dbname);
		}
		shown = xstrfmt(_("Check %s; the migrations and the verification need the live "
				  "database (restore it with the database step)."), _(where));
		err_hint_l10n(e, shown, "Check %s; the migrations and the verification need the "
			      "live database (restore it with the database step).", where);
		free(shown);
		free(admin_db);
		return -1;
	}
	/* the replay logs into the new database as the target conninfo does */
	probe = conninfo_with_dbname(rs->conninfo, admin_db, NULL);
	conn = probe ? dbadmin_connect(probe, e) : NULL;
	free(probe);
	if (!conn) {
		/* named as the admin gave it: the database "postgres" the
		 * login is tried on is not the one to look at */
		char *user = conninfo_user(rs->conninfo);
		err_clear(&ce);
		err_set(e, "the login as \"%s\" to database \"%s\" does not work on the server "
			"(checked on database \"%s\")", user ? user : "?", rs->dbname, admin_db);
		free(user);
		shown = xstrfmt(_("Check %s (user, password): the database step replays the dump "
				  "with it."), _(where));
		err_hint_l10n(e, shown, "Check %s (user, password): the database step replays "
			      "the dump with it.", where);
		free(shown);
		free(admin_db);
		return -1;
	}
	PQfinish(conn);
	if (!exists) {
		rs->db_missing = 1;
		report_log(r, LOG_INFO, "database \"%s\" does not exist: the database step creates "
			   "it", rs->dbname);
	} else {
		report_log(r, LOG_WARN, "cannot connect to the live database \"%s\" (%s); the "
			   "database step replaces it (the same login works on database \"%s\")",
			   rs->dbname, orq_en(ce.detail ? ce.detail : ce.msg), admin_db);
	}
	err_clear(&ce);
	free(admin_db);
	return 0;
}

/* PHP on the host runs as the web user (bisocli_run()): every directory
 * above the webroot must let it through, or migration exec would fail
 * after the files and the database were replaced.  -1 with @e naming the
 * first one that does not. */
static int web_user_reaches_webroot(struct restore *rs, struct err *e)
{
	const struct conf *c = rs->conf;
	char *p;
	uid_t uid;
	gid_t gid;
	int ret = 0;

	if (geteuid() != 0 || !bisocli_as_web_user(c))
		return 0;
	if (conf_web_owner(c, &uid, &gid, e) < 0)
		return -1;
	p = xstrdup(rs->webroot);
	for (char *slash = p; ret == 0 && (slash = strchr(slash + 1, '/'));) {
		struct stat st;
		mode_t x;
		*slash = '\0';
		if (stat(*p ? p : "/", &st) == 0) {
			x = st.st_uid == uid ? S_IXUSR : st.st_gid == gid ? S_IXGRP : S_IXOTH;
			if (!(st.st_mode & x)) {
				err_set(e, "the web user %s cannot enter %s (mode %04o, owner %lu:%lu), so "
					"biso-cli cannot run in the webroot %s as that user", c->web_user,
					*p ? p : "/", (unsigned)(st.st_mode & 07777),
					(unsigned long)st.st_uid, (unsigned long)st.st_gid, rs->webroot);
				err_hint(e, "chmod o+x '%s', or run biso-cli as root with biso_cli = "
					    "[ \"/usr/bin/env\", \"php\", \"biso-cli\" ] (only a program "
					    "named php... runs as the web user).", *p ? p : "/");
				ret = -1;
			}
		}
		*slash = '/';
	}
	free(p);
	return ret;
}

/* Log the copies earlier restores kept (keptcopies_report()): each with
 * its age and size, and a warning where they take more than the space
 * still free. */
static void report_kept(const struct restore *rs, struct report *r);

/* The backup id of @path when it is a part biso-recover backup wrote under
 * @root (db/<prefix><id>.sql.gz, data/<id>, webroot/<id>) and the backup
 * has a manifest: 1 with @id set, else 0 (the manual's layout has none). */
static int backup_id_of(const char *root, const char *path, char id[16])
{
	size_t rl = strlen(root), len;
	const char *name = path ? strrchr(path, '/') : NULL;
	time_t when;
	char *m;
	int ok;
	if (!name || strncmp(path, root, rl) || path[rl] != '/' ||
	    !backupset_parse_stamp(name + 1, 1, &when, &len))
		return 0;
	timestamp_name(when, id);
	m = xstrfmt("%s/manifest/%s/MANIFEST", root, id);
	ok = path_exists(m);
	free(m);
	return ok;
}

/* 1 when @bad (a path of SHA256SUMS, relative to @root) lies in the part
 * @src (a dump file, or a snapshot directory) of backup @id. */
static int part_of(const char *root, const char *src, const char *id, const char *bad)
{
	size_t rl = strlen(root), n;
	const char *rel;
	char this_id[16];
	if (!src || !backup_id_of(root, src, this_id) || strcmp(this_id, id))
		return 0;
	rel = src + rl + 1;
	n = strlen(rel);
	while (n && rel[n - 1] == '/')
		n--;
	return !strncmp(bad, rel, n) && (bad[n] == '\0' || bad[n] == '/');
}

/* 1 when @bad lies in a part of backup @id (db/, data/, webroot/), used
 * by this run or not.  Damage outside every part (the manifest's own
 * files) always counts. */
static int in_some_part(const char *id, const char *bad)
{
	if (!strncmp(bad, "db/", 3))
		return strstr(bad, id) != NULL;
	if (!strncmp(bad, "data/", 5))
		return !strncmp(bad + 5, id, strlen(id));
	if (!strncmp(bad, "webroot/", 8))
		return !strncmp(bad + 8, id, strlen(id));
	return 0;
}

/* The newest dump of the backup set older than the plan's, not of backup
 * @bad_id, that looks usable as far as can be told without reading it
 * (as the wizard's chooser lists it): a kind of dump the replay reads
 * (dumpread_kind_check()), and a backup whose manifest does not say it is
 * damaged or cannot be read (restore_source_state()).  NULL when none. */
static const struct backup_item *older_usable_dump(const struct restore *rs, const char *bad_id)
{
	const struct backup_list *l = rs->backups ? &rs->backups->dumps : NULL;
	size_t cur = restore_list_index(l, rs->dump);
	for (size_t i = l && cur < l->n ? cur + 1 : 0; l && i < l->n; i++) {
		char id[16];
		enum restore_source_state st;
		if (backup_id_of(rs->backups->root, l->items[i].path, id) && !strcmp(id, bad_id))
			continue;
		if (dumpread_kind_check(l->items[i].path, l->items[i].kind, NULL) < 0)
			continue;
		st = restore_source_state(rs, l, i, NULL, NULL);
		if (st == SOURCE_DAMAGED || st == SOURCE_UNREADABLE)
			continue;
		return &l->items[i];
	}
	return NULL;
}

/* The end of the refusal's hint for damage in backup @id, in the language
 * of the moment, appended to @out: the damaged part left out, and the
 * backup-verify that names it, with @vopts (backupverify_opts(): pasted,
 * it checks this run's backup root).  One text for both hints. */
static void verify_hint(const char *vopts, const char *id, struct strbuf *out)
{
	strbuf_addf(out, _("or leave the damaged part out with --only; biso-recover "
			   "backup-verify%s %s names every damaged file."), vopts, id);
}

/* The refusal's hint for damage in backup @id (@dump_damaged: its dump
 * among it): another backup, or the damaged part left out, and
 * backup-verify (verify_hint()); with the dump damaged, the newest older
 * one that looks usable (older_usable_dump()) and the commands that
 * restore from it (--at its time, or --dump it), each on a line of its own
 * with this run's --only and the instance's options (newcomer 8.4: the
 * wizard offers older ones, line mode named none).  English and the
 * operator's language (err_hint_l10n()). */
static void damaged_hint(const struct restore *rs, const char *id, int dump_damaged, struct err *e)
{
	const struct backup_item *ok = dump_damaged ? older_usable_dump(rs, id) : NULL;
	const char *inst = run_instance_opts(rs->run);
	char *vopts = backupverify_opts(rs->conf, rs->backups->root);
	struct strbuf hint[2] = { STRBUF_INIT, STRBUF_INIT }, tail = STRBUF_INIT;
	struct strbuf dump = STRBUF_INIT, opts = STRBUF_INIT;
	char at[16] = "";
	if (ok) {
		const char *only = run_opts(rs->run)->only;
		const char *argv[] = { "--dump", ok->path, NULL };
		timestamp_name(ok->when, at);
		runcmd_format_argv(argv, &dump);
		if (only)
			strbuf_addf(&opts, " --only %s", only);
		strbuf_addstr(&opts, inst);
	}
	/* hint[0] English for the log, hint[1] the screen's translation */
	for (int l10n = 0; l10n < 2; l10n++) {
		int was = i18n_english(!l10n);
		strbuf_reset(&tail);
		verify_hint(vopts, id, &tail);
		if (ok)
			strbuf_addf(&hint[l10n], _("The newest older dump not known to be damaged is %s; "
						   "to restore from its backup, run:\n"
						   "  biso-recover restore --at %s%s\n"
						   "or to take only that dump, run:\n"
						   "  biso-recover restore %s%s\n%s"),
				    ok->path, at, opts.buf, dump.buf, opts.buf, tail.buf);
		else
			strbuf_addf(&hint[l10n], _("Choose another backup (--at, --dump FILE; unchanged "
						   "files of older snapshots are the same hard-linked "
						   "files), %s"), tail.buf);
		i18n_english(was);
	}
	err_hint_l10n(e, hint[1].buf, "%s", hint[0].buf);
	for (int k = 0; k < 2; k++)
		strbuf_release(&hint[k]);
	strbuf_release(&tail);
	strbuf_release(&dump);
	strbuf_release(&opts);
	free(vopts);
}

/* Every backup a selected step reads from that has a manifest is checked
 * whole (backup-verify's tier 1: checksums, part counts, the dump's gzip
 * stream and trailer) before the first step: a damaged one is refused by
 * name, nothing touched.  The wizard's run (rs->allow_bad_dump) refuses
 * damage in the plan's dump alone as it refuses a cut dump: the dump is
 * remembered as refused (rs->dump_refused_damaged) and the database step
 * blocked until another is chosen (restore_check_plan_dump() names the
 * newest usable one). */
static int check_backup_manifests(struct restore *rs, struct report *r, struct err *e)
{
	const char *srcs[4] = { NULL };
	char done[4][16];
	size_t n_done = 0;
	const char *root = rs->backups ? rs->backups->root : NULL;
	if (!root)
		return 0;
	if (rs->selected & (STEP_BIT(STEP_WEBROOT) | STEP_BIT(STEP_CONFIG)))
		srcs[0] = rs->webroot_src;
	if (rs->selected & STEP_BIT(STEP_DATADIR))
		srcs[1] = rs->datadir_src;
	if (rs->selected & STEP_BIT(STEP_DATABASE)) {
		srcs[2] = rs->dump;
		srcs[3] = rs->log_dump;
	}
	for (size_t i = 0; i < 4; i++) {
		struct backupverify_result res;
		char id[16];
		size_t k;
		int rc;
		if (!backup_id_of(root, srcs[i], id))
			continue;
		for (k = 0; k < n_done && strcmp(done[k], id); k++)
			;
		if (k < n_done)
			continue;
		memcpy(done[n_done++], id, sizeof id);
		report_log(r, LOG_INFO, "checking backup %s against its manifest", id);
		rc = backupverify_tier1(root, id, &res, r, e);
		if (rc == 1) {
			/* only damage in the parts this run reads stops it: a flipped
			 * byte in one attachment must not block a database restore */
			/* [0] English for the log, [1] the screen's reasons */
			struct strbuf sb[2] = { STRBUF_INIT, STRBUF_INIT },
				      other[2] = { STRBUF_INIT, STRBUF_INIT };
			size_t n_used = 0, n_other = 0, n_dump = 0;
			for (size_t j = 0; j < res.sums.n_bad; j++) {
				const struct sha256sums_bad *b = &res.sums.bad[j];
				int used = !in_some_part(id, b->path);
				for (size_t u = 0; u < 4 && !used; u++)
					used = part_of(root, srcs[u], id, b->path);
				if (used && part_of(root, srcs[2], id, b->path))
					n_dump++;
				struct strbuf *to = used ? sb : other;
				size_t *cnt = used ? &n_used : &n_other;
				if (*cnt < 5) {
					strbuf_addf(&to[0], "%s%s: %.*s", *cnt ? "; " : "", b->path,
						    (int)strcspn(b->why, "\n"), b->why);
					strbuf_addf(&to[1], "%s%s: %.*s", *cnt ? "; " : "", b->path,
						    (int)strcspn(b->why_l10n, "\n"), b->why_l10n);
				}
				(*cnt)++;
			}
			if (n_other) {
				char *shown = xstrfmt(_("backup %s is damaged in parts this run does not read: %s%s"),
						      id, other[1].buf, n_other > 5 ? "; ..." : "");
				report_log_l10n(r, LOG_WARN, shown, "backup %s is damaged in parts this run does "
						"not read: %s%s", id, other[0].buf, n_other > 5 ? "; ..." : "");
				free(shown);
			}
			if (n_used) {
				char *shown;
				if (n_used > 5) {
					strbuf_addf(&sb[0], "; and %zu more", n_used - 5);
					strbuf_addf(&sb[1], _("; and %zu more"), n_used - 5);
				}
				shown = xstrfmt(_("backup %s is damaged: %s"), id, sb[1].buf);
				if (rs->allow_bad_dump && n_dump == n_used) {
					/* only the plan's dump: the wizard offers another */
					char *why = xstrfmt("backup %s is damaged: %s", id, sb[0].buf);
					set_str(&rs->dump_refused, rs->dump);
					set_str(&rs->dump_refused_why, why);
					set_str(&rs->dump_refused_why_l10n, shown);
					rs->dump_refused_cut = 0;
					rs->dump_refused_damaged = 1;
					free(why);
					free(shown);
					rc = 0;
					goto next;
				}
				err_set_l10n(e, shown, "backup %s is damaged: %s", id, sb[0].buf);
				free(shown);
				/* no "Nothing was changed": the refusal says "nothing
				 * was touched" already */
				damaged_hint(rs, id, n_dump > 0, e);
			} else {
				rc = 0;
			}
		next:
			for (int l = 0; l < 2; l++) {
				strbuf_release(&sb[l]);
				strbuf_release(&other[l]);
			}
		} else if (rc < 0) {
			err_prefix(e, "backup %s cannot be checked against its manifest", id);
		}
		backupverify_release(&res);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int restore_preflight(struct restore *rs, struct report *r, struct err *e)
{
	const struct conf *c = rs->conf;
	unsigned sel = rs->selected;
	uid_t uid;
	gid_t gid;

	/* a webroot or datadir of /etc, /, or one inside the other (issue 16.3) */
	if (pathguard_dirs(rs->webroot, rs->datadir, c->backup_root, e) < 0)
		return -1;
	/* the targets are known now (config.php was read): lock them */
	if (!rs->dry_run && restore_lock(rs, e) < 0)
		return -1;
	if (restore_check_journal(rs, r, e) < 0)
		return -1;
	/* reading a dump whole takes a second per 65 MB of gzip: from here on
	 * beside the rest of the preflight and the first steps, which wait
	 * for it before their swaps (flow.h); the wizard offers another dump
	 * on its first screen, so it reads it below */
	rs->checks_later = (sel & STEP_BIT(STEP_DATABASE)) && !rs->allow_bad_dump;
	if (rs->checks_later)
		run_checks_later(rs->run);
	if (check_backup_manifests(rs, r, e) < 0)
		return -1;
	if ((sel & STEP_BIT(STEP_WEBROOT)) && !rs->journal_repairs) {
		/* Whatever journal a killed run wrote (another log_dir?), never let
		 * the left-over staging tree be removed with the datadir in it
		 * (a dry run that found it journaled said what a real run moves). */
		char *staging = xstrfmt("%s.restoring", rs->webroot);
		int bad = path_exists(staging) && restore_stranded_datadir(rs, rs->webroot, staging, e) < 0;
		free(staging);
		if (bad)
			return -1;
	}

	if ((sel & (STEP_BIT(STEP_DATADIR) | STEP_BIT(STEP_VERIFY))) &&
	    conf_web_owner(c, &uid, &gid, e) < 0)
		return -1;
	if (sel & (STEP_BIT(STEP_MIGRATIONS) | STEP_BIT(STEP_VERIFY))) {
		const char **cli = bisocli_argv(c, NULL);
		int ok = runcmd_have_program(cli[0]);
		if (!ok && c->biso_cli && c->biso_cli[0]) {
			err_set(e, "%s (the program of biso_cli) is not there", cli[0]);
			err_hint(e, "Install it, or set biso_cli in the configuration to a program "
				    "with its full path.");
		} else if (!ok) {
			err_set(e, "the php binary %s is not there", c->php);
			err_hint(e, "Install php-cli, or set php (or biso_cli) in the configuration.");
		}
		free(cli);
		if (!ok || web_user_reaches_webroot(rs, e) < 0)
			return -1;
	}
	if (check_target_database(rs, r, e) < 0)
		return -1;
	if (sel & (STEP_BIT(STEP_MIGRATIONS) | STEP_BIT(STEP_VERIFY))) {
		/* biso-cli works on the database config.php names: into another
		 * one, the migrations and the verification would check the wrong
		 * database and pass */
		struct strbuf w = STRBUF_INIT, wl = STRBUF_INIT;
		if (restore_app_db_differs(rs, &w, &wl)) {
			char *shown = xstrfmt(_("%s: the migrations and the verification run biso-cli, "
						"which works on \"%s\", not on \"%s\""), wl.buf,
					      rs->app_dbname, rs->dbname);
			err_set_l10n(e, shown, "%s: the migrations and the verification run biso-cli, "
				     "which works on \"%s\", not on \"%s\"", w.buf, rs->app_dbname,
				     rs->dbname);
			free(shown);
			strbuf_release(&wl);
			err_hint(e, "Give --config-php a config.php that names database \"%s\", or "
				    "leave out the migrations and the verification with --only "
				    "webroot,config,datadir,database.", rs->dbname);
			strbuf_release(&w);
			return -1;
		}
		strbuf_release(&w);
		strbuf_release(&wl);
	}
	if (restore_check_archives(rs, e) < 0)
		return -1;
	if ((sel & STEP_BIT(STEP_DATABASE)) && !rs->checks_later &&
	    restore_check_plan_dump(rs, r, e) < 0)
		return -1;
	if ((sel & STEP_BIT(STEP_DATABASE)) && !rs->checks_later && rs->log_dump &&
	    restore_check_dump(rs, rs->log_dump, r, e) < 0)
		return -1;
	if (sel & STEP_BIT(STEP_DATABASE)) {
		PGconn *admin = dbadmin_connect(rs->admin_conninfo, e);
		int ret = 0;
		if (!admin) {
			err_hint(e, "Check database.admin_conninfo (default: the target conninfo with "
				    "dbname=postgres).");
			return -1;
		}
		/* another restore of this database (from another machine too)
		 * would make the step fail after the files were replaced */
		if (rs->dbname)
			ret = dbadmin_try_lock(admin, rs->dbname, e);
		/* the encoding and locale the database step will ask for,
		 * checked by asking for them (a probe database) */
		if (!ret && rs->dbname)
			ret = dbreplace_check_create(admin, c, rs->conninfo, rs->dbname, e);
		if (!ret && !rs->checks_later)
			ret = restore_check_db_space_on(rs, &rs->found, admin, r, e);
		if (!ret && rs->dbname) {
			struct strbuf diff = STRBUF_INIT;
			if (dbadmin_settings_differ(admin, rs->dbname, c->database.encoding,
						    c->database.lc_collate, c->database.lc_ctype,
						    &diff) > 0)
				report_log(r, LOG_WARN, "the live database \"%s\" %s; the restored one "
					   "will use the configured settings", rs->dbname, diff.buf);
			strbuf_release(&diff);
		}
		PQfinish(admin);
		if (ret < 0)
			return -1;
		if (!rs->checks_later)
			restore_check_live_tables(rs, &rs->found, r);
	}
	if (nonempty(c->env_expected) && rs->env && strcmp(rs->env, c->env_expected)) {
		report_log(r, LOG_WARN, "config.php says env '%s', not '%s': is this the right "
			   "config.php for a disaster recovery?", rs->env, c->env_expected);
		rs->env_warned = xstrdup(rs->env);
	}
	report_kept(rs, r);
	return 0;
}

void restore_kept_where(const struct restore *rs, struct restore_kept *k)
{
	const struct conf *c = rs->conf;
	size_t n = 0;

	memset(k, 0, sizeof *k);
	k->where.webroot = rs->webroot;
	k->where.datadir = rs->datadir;
	k->where.keep_dir = c->keep_dir;
	k->where.admin_conninfo = rs->admin_conninfo;
	k->where.dbnames = k->dbs;
	/* a run whose steps do not resolve the database (--only webroot) still
	 * knows it from config.php: its kept copies take space all the same */
	if (!rs->dbname && rs->conninfo) {
		k->dbname = conninfo_get(rs->conninfo, "dbname");
		if (k->dbname && !*k->dbname) {
			free(k->dbname);
			k->dbname = NULL;
		}
	}
	if (!rs->admin_conninfo && (rs->dbname || k->dbname)) {
		/* a run that does not need the server must not hang on one that
		 * is down: a listing waits 5 s at most */
		const char *admin = nonempty(c->database.admin_conninfo) ? c->database.admin_conninfo
									 : rs->conninfo;
		char *db = nonempty(c->database.admin_conninfo) ? conninfo_get(admin, "dbname") : NULL;
		char *ci = conninfo_with_dbname(admin, db && *db ? db : "postgres", NULL);
		if (ci) {
			struct strbuf sb = STRBUF_INIT;
			strbuf_addstr(&sb, ci);
			conninfo_append(&sb, "connect_timeout", "5");
			k->admin_conninfo = strbuf_detach(&sb, NULL);
		}
		free(ci);
		free(db);
		k->where.admin_conninfo = k->admin_conninfo;
	}
	if (rs->dbname || k->dbname)
		k->dbs[n++] = rs->dbname ? rs->dbname : k->dbname;
	if (rs->log_dbname)
		k->dbs[n++] = rs->log_dbname;
	else if (n && c->log_database.enabled && nonempty(c->log_database.dbname))
		k->dbs[n++] = c->log_database.dbname;
}

void restore_kept_release(struct restore_kept *k)
{
	free(k->dbname);
	free(k->admin_conninfo);
	memset(k, 0, sizeof *k);
}

static void report_kept(const struct restore *rs, struct report *r)
{
	struct restore_kept k;
	struct kept_list l;
	struct err e = ERR_INIT;

	restore_kept_where(rs, &k);
	/* a quick look, not du over every kept datadir on each run (200,000
	 * files take a second with a warm cache, far longer with a cold one):
	 * past this the sizes are lower bounds; cleanup counts them whole */
	k.where.max_entries = 50000;
	/* they pile up unseen: say what they take, and when space runs short */
	if (keptcopies_find(&k.where, &l, r, &e) < 0) {
		report_log_l10n(r, LOG_WARN, e.lmsg, "%s", e.msg);
		err_clear(&e);
		restore_kept_release(&k);
		return;
	}
	keptcopies_report(&l, time(NULL), r);
	keptcopies_release(&l);
	restore_kept_release(&k);
}

/* Run each argv list of @lists; the first failure stops with @e. */
static int run_lists(char ***lists, struct report *r, struct err *e)
{
	for (char ***l = lists; l && *l; l++)
		if (**l && runcmd_logged((const char *const *)*l, NULL, NULL, r, e) < 0)
			return -1;
	return 0;
}

static int has_lists(char ***lists)
{
	return lists && *lists;
}

/* Stop the services for the restore, journaled first: a run killed while
 * they are down leaves an entry the next run finds (check_journal). */
int restore_stop_services(struct restore *rs, struct report *r, struct err *e)
{
	if (rs->services_stopped || !has_lists(rs->conf->services.stop_services))
		return 0;
	if (journal_begin(rs->conf->log_dir, rs->stamp, JOURNAL_SERVICES, "services", "", "", e) < 0)
		return -1;
	/* from here on they count as stopped, even if a stop command failed */
	rs->services_stopped = 1;
	report_log(r, LOG_INFO, "stopping services for the restore");
	if (run_lists(rs->conf->services.stop_services, r, e) < 0) {
		err_prefix(e, "cannot stop services");
		return -1;
	}
	return 0;
}

/* Start what restore_stop_services() (or an interrupted earlier run) stopped, once;
 * the journal entry is closed when every start command succeeded. */
int restore_start_services(struct restore *rs, struct report *r, struct err *e)
{
	struct err je = ERR_INIT;
	if (!rs->services_stopped || rs->services_started)
		return 0;
	rs->services_started = 1;
	report_log(r, LOG_INFO, "starting the services stopped for the restore");
	if (run_lists(rs->conf->services.start_services, r, e) < 0)
		return -1;
	if (journal_done(rs->conf->log_dir, rs->stamp, JOURNAL_SERVICES, "services", &je) < 0)
		report_log_l10n(r, LOG_WARN, je.lmsg, "%s", je.msg);
	err_clear(&je);
	return 0;
}
