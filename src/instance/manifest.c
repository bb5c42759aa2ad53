/* manifest: the text file beside each backup; see manifest.h. */
#include "config.h"
#include "i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "backupset.h"
#include "dumpinfo.h"
#include "err.h"
#include "manifest.h"
#include "report.h"
#include "sha256sums.h"
#include "strbuf.h"
#include "timestamp.h"

void manifest_init(struct manifest *m, const char *id, time_t when)
{
	memset(m, 0, sizeof *m);
	m->format = MANIFEST_FORMAT;
	m->id = id ? xstrdup(id) : NULL;
	m->time = when;
	m->tool_version = xstrdup(PACKAGE_VERSION);
	m->maintenance_ms = -1;
	m->migrations_pending = -1;
}

void manifest_release(struct manifest *m)
{
	free(m->id);
	free(m->tool_version);
	free(m->biso_version);
	free(m->server_version);
	free(m->pg_dump_version);
	free(m->system_identifier);
	free(m->dbname);
	for (size_t i = 0; i < m->n_parts; i++) {
		free(m->parts[i].name);
		free(m->parts[i].path);
	}
	free(m->parts);
	for (size_t i = 0; i < m->n_tables; i++)
		free(m->tables[i].name);
	free(m->tables);
	for (size_t i = 0; i < m->n_pending_migrations; i++)
		free(m->pending_migrations[i]);
	free(m->pending_migrations);
	free(m->verified_how);
	free(m->verified_result);
	memset(m, 0, sizeof *m);
}

void manifest_add_part(struct manifest *m, const char *name, uint64_t files, uint64_t bytes,
		       const char *path)
{
	m->parts = xrealloc(m->parts, (m->n_parts + 1) * sizeof *m->parts);
	m->parts[m->n_parts].name = xstrdup(name);
	m->parts[m->n_parts].files = files;
	m->parts[m->n_parts].bytes = bytes;
	m->parts[m->n_parts].path = xstrdup(path);
	m->n_parts++;
}

void manifest_add_pending_migration(struct manifest *m, const char *name)
{
	m->pending_migrations = xrealloc(m->pending_migrations,
					 (m->n_pending_migrations + 1) * sizeof *m->pending_migrations);
	m->pending_migrations[m->n_pending_migrations++] = xstrdup(name);
}

void manifest_add_table(struct manifest *m, const char *name, uint64_t rows)
{
	m->tables = xrealloc(m->tables, (m->n_tables + 1) * sizeof *m->tables);
	m->tables[m->n_tables].name = xstrdup(name);
	m->tables[m->n_tables].rows = rows;
	m->n_tables++;
}

const struct manifest_part *manifest_part(const struct manifest *m, const char *name)
{
	for (size_t i = 0; i < m->n_parts; i++)
		if (!strcmp(m->parts[i].name, name))
			return &m->parts[i];
	return NULL;
}

enum manifest_state manifest_state(const struct manifest *m)
{
	if (!m->verified_time)
		return MANIFEST_UNVERIFIED;
	return m->verified_result && !strcmp(m->verified_result, "ok") ? MANIFEST_VERIFIED
									: MANIFEST_DAMAGED;
}

int manifest_tables_from_dump(struct manifest *m, const char *dump_path, struct report *r,
			      struct err *e)
{
	struct dumpinfo di;
	int rc = dumpinfo_scan(dump_path, &di, r, e);
	if (rc == 0)
		for (size_t i = 0; i < di.n_tables; i++)
			manifest_add_table(m, di.tables[i].name, di.tables[i].rows);
	dumpinfo_release(&di);
	return rc;
}

int manifest_read_biso_version(struct manifest *m, const char *webroot, struct err *e)
{
	char *path = xstrfmt("%s/VERSION", webroot);
	char line[256];
	FILE *f = fopen(path, "re");
	if (!f) {
		int saved = errno;
		free(path);
		if (saved == ENOENT)
			return 0;
		return err_errno(e, saved, "cannot read %s/VERSION", webroot);
	}
	if (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (*line) {
			free(m->biso_version);
			m->biso_version = xstrdup(line);
		}
	}
	fclose(f);
	free(path);
	return 0;
}

void manifest_format_time(time_t t, char *buf, size_t size)
{
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

int manifest_parse_time(const char *s, time_t *t)
{
	int y, mo, d, h, mi, sec, n = 0;
	char sign;
	unsigned off;
	struct tm tm = { 0 };
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%4u%n", &y, &mo, &d, &h, &mi, &sec, &sign, &off, &n) != 8 ||
	    s[n] || (sign != '+' && sign != '-') || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60 || off % 100 > 59)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	long offs = (long)(off / 100 * 3600 + off % 100 * 60);
	*t = timegm(&tm) - (sign == '+' ? offs : -offs);
	return 0;
}

/* A value with '\' and newlines escaped, so that it stays one line. */
static void put_value(struct strbuf *sb, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			strbuf_addstr(sb, "\\\\");
		else if (*v == '\n')
			strbuf_addstr(sb, "\\n");
		else
			strbuf_addch(sb, *v);
	}
}

static void put_kv(struct strbuf *sb, const char *key, const char *v)
{
	if (!v)
		return;
	strbuf_addf(sb, "%s ", key);
	put_value(sb, v);
	strbuf_addch(sb, '\n');
}

int manifest_write(const struct manifest *m, const char *path, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	char t[40];
	int rc = 0;

	strbuf_addstr(&sb, "# biso-recover backup manifest (format: see biso-recover(1), BACKUPS)\n");
	strbuf_addf(&sb, "format %d\n", m->format ? m->format : MANIFEST_FORMAT);
	put_kv(&sb, "id", m->id);
	manifest_format_time(m->time, t, sizeof t);
	put_kv(&sb, "time", t);
	put_kv(&sb, "biso-recover", m->tool_version);
	put_kv(&sb, "biso", m->biso_version);
	put_kv(&sb, "server", m->server_version);
	put_kv(&sb, "pg_dump", m->pg_dump_version);
	put_kv(&sb, "system_identifier", m->system_identifier);
	put_kv(&sb, "dbname", m->dbname);
	if (m->maintenance_ms >= 0)
		strbuf_addf(&sb, "maintenance_ms %" PRId64 "\n", m->maintenance_ms);
	if (m->migrations_pending >= 0)
		strbuf_addf(&sb, "migrations_pending %" PRId64 "\n", m->migrations_pending);
	for (size_t i = 0; i < m->n_pending_migrations; i++)
		put_kv(&sb, "migration_pending", m->pending_migrations[i]);
	for (size_t i = 0; i < m->n_parts; i++) {
		strbuf_addf(&sb, "part %s %" PRIu64 " %" PRIu64 " ", m->parts[i].name, m->parts[i].files,
			    m->parts[i].bytes);
		put_value(&sb, m->parts[i].path);
		strbuf_addch(&sb, '\n');
	}
	for (size_t i = 0; i < m->n_tables; i++) {
		strbuf_addf(&sb, "table %" PRIu64 " ", m->tables[i].rows);
		put_value(&sb, m->tables[i].name);
		strbuf_addch(&sb, '\n');
	}
	if (m->verified_time) {
		manifest_format_time(m->verified_time, t, sizeof t);
		strbuf_addf(&sb, "verified %s %s %s\n", t, m->verified_how ? m->verified_how : "checksums",
			    m->verified_result ? m->verified_result : "ok");
	}

	char *partial = xstrfmt("%s.partial", path);
	int fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = err_errno(e, errno, "cannot create %s", partial);
		goto out;
	}
	for (size_t off = 0; off < sb.len && rc == 0;) {
		ssize_t w = write(fd, sb.buf + off, sb.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			rc = err_errno(e, w < 0 ? errno : EIO, "cannot write %s", partial);
		else
			off += (size_t)w;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = err_errno(e, errno, "cannot write %s", partial);
	if (close(fd) < 0 && rc == 0)
		rc = err_errno(e, errno, "cannot write %s", partial);
	if (rc == 0 && rename(partial, path) < 0)
		rc = err_errno(e, errno, "cannot rename %s to %s", partial, path);
	if (rc < 0)
		unlink(partial);
out:
	free(partial);
	strbuf_release(&sb);
	return rc;
}

/* Undo put_value() in place.  -1 for a backslash before anything else. */
static int unescape(char *s)
{
	char *w = s;
	for (char *p = s; *p; p++) {
		if (*p != '\\') {
			*w++ = *p;
			continue;
		}
		if (p[1] == '\\')
			*w++ = '\\';
		else if (p[1] == 'n')
			*w++ = '\n';
		else
			return -1;
		p++;
	}
	*w = '\0';
	return 0;
}

/* Parse "N " at *@p as an unsigned number; advance past the space. */
static int take_u64(char **p, uint64_t *v)
{
	char *end;
	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	unsigned long long x = strtoull(*p, &end, 10);
	if (errno || (*end != ' ' && *end != '\0'))
		return -1;
	*v = x;
	*p = *end ? end + 1 : end;
	return 0;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/* One "key value" line into @m: 0, or -1 with the reason in *@why. */
static int parse_kv(struct manifest *m, const char *key, char *v, const char **why)
{
	uint64_t a, b;
	*why = NULL;
	if (!strcmp(key, "format")) {
		if (take_u64(&v, &a) < 0 || *v)
			return *why = "format is not a number", -1;
		if (a > MANIFEST_FORMAT)
			return *why = "written by a newer biso-recover (format above 1)", -1;
		m->format = (int)a;
		return 0;
	}
	if (!strcmp(key, "part")) {
		char *name = v, *sp = strchr(v, ' ');
		if (!sp)
			return *why = "part needs NAME FILES BYTES PATH", -1;
		*sp = '\0';
		v = sp + 1;
		if (take_u64(&v, &a) < 0 || take_u64(&v, &b) < 0 || !*v || unescape(v) < 0)
			return *why = "part needs NAME FILES BYTES PATH", -1;
		manifest_add_part(m, name, a, b, v);
		return 0;
	}
	if (!strcmp(key, "table")) {
		if (take_u64(&v, &a) < 0 || !*v || unescape(v) < 0)
			return *why = "table needs ROWS NAME", -1;
		manifest_add_table(m, v, a);
		return 0;
	}
	if (!strcmp(key, "verified")) {
		char *how = strchr(v, ' '), *res;
		if (!how || !(res = strchr(how + 1, ' ')))
			return *why = "verified needs TIME HOW RESULT", -1;
		*how++ = '\0';
		*res++ = '\0';
		if (manifest_parse_time(v, &m->verified_time) < 0)
			return *why = "verified: the time does not parse (YYYY-MM-DDTHH:MM:SS+ZZZZ)", -1;
		set_str(&m->verified_how, how);
		set_str(&m->verified_result, res);
		return 0;
	}
	if (unescape(v) < 0)
		return *why = "a backslash that is neither \\\\ nor \\n", -1;
	if (!strcmp(key, "time")) {
		if (manifest_parse_time(v, &m->time) < 0)
			return *why = "time does not parse (YYYY-MM-DDTHH:MM:SS+ZZZZ)", -1;
	} else if (!strcmp(key, "maintenance_ms")) {
		char *p = v;
		if (take_u64(&p, &a) < 0 || *p)
			return *why = "maintenance_ms is not a number", -1;
		m->maintenance_ms = (int64_t)a;
	} else if (!strcmp(key, "migrations_pending")) {
		char *p = v;
		if (take_u64(&p, &a) < 0 || *p)
			return *why = "migrations_pending is not a number", -1;
		m->migrations_pending = (int64_t)a;
	} else if (!strcmp(key, "migration_pending")) {
		manifest_add_pending_migration(m, v);
	} else if (!strcmp(key, "id")) {
		set_str(&m->id, v);
	} else if (!strcmp(key, "biso-recover")) {
		set_str(&m->tool_version, v);
	} else if (!strcmp(key, "biso")) {
		set_str(&m->biso_version, v);
	} else if (!strcmp(key, "server")) {
		set_str(&m->server_version, v);
	} else if (!strcmp(key, "pg_dump")) {
		set_str(&m->pg_dump_version, v);
	} else if (!strcmp(key, "system_identifier")) {
		set_str(&m->system_identifier, v);
	} else if (!strcmp(key, "dbname")) {
		set_str(&m->dbname, v);
	}
	/* other keys: a newer biso-recover's, ignored */
	return 0;
}

int manifest_of_part(const char *root, const char *path, struct manifest *m, struct err *e)
{
	size_t rl = strlen(root), len;
	const char *name = path ? strrchr(path, '/') : NULL;
	time_t when;
	char id[16], *mp;
	int rc;

	memset(m, 0, sizeof *m);
	if (!name || strncmp(path, root, rl) || path[rl] != '/' ||
	    !backupset_parse_stamp(name + 1, 1, &when, &len))
		return 0;
	timestamp_name(when, id);
	mp = xstrfmt("%s/manifest/%s/MANIFEST", root, id);
	if (access(mp, F_OK) != 0) {
		free(mp);
		return 0;
	}
	rc = manifest_read(mp, m, e);
	free(mp);
	return rc < 0 ? -1 : 1;
}

int manifest_read(const char *path, struct manifest *m, struct err *e)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc = 0;

	memset(m, 0, sizeof *m);
	m->maintenance_ms = -1;
	m->migrations_pending = -1;
	FILE *f = fopen(path, "re");
	if (!f)
		return err_errno(e, errno, "cannot open %s", path);
	while ((len = getline(&line, &cap, f)) >= 0) {
		const char *why = NULL;
		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!*line || *line == '#')
			continue;
		char *sp = strchr(line, ' ');
		if ((size_t)len != strlen(line))
			why = "a NUL byte";
		else if (!sp || !sp[1])
			why = "a key without a value";
		else {
			*sp = '\0';
			parse_kv(m, line, sp + 1, &why);
		}
		if (why) {
			err_set(e, "%s:%ld: %s", path, lineno, why);
			err_where(e, path, lineno, -1);
			err_hint(e, "The manifest was changed or damaged; biso-recover backup-verify checks the backup's files.");
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f))
		rc = err_errno(e, errno, "cannot read %s", path);
	if (rc == 0 && !m->id) {
		err_set(e, "%s: no \"id\" line: not a biso-recover manifest", path);
		err_where(e, path, 0, -1);
		rc = -1;
	}
	fclose(f);
	free(line);
	return rc;
}

void manifest_paths(const char *root, const char *id, char **manifest, char **sums)
{
	if (manifest)
		*manifest = xstrfmt("%s/manifest/%s/MANIFEST", root, id);
	if (sums)
		*sums = xstrfmt("%s/manifest/%s/SHA256SUMS", root, id);
}

/* The digests of @p's files that are hard links into the earlier snapshot
 * @prev, from that backup's SHA256SUMS (see manifest_seal()). */
static void reuse_earlier(struct sha256sums *s, const char *root, const struct manifest_part *p,
			  const char *prev, struct report *r)
{
	const char *id = strrchr(prev, '/') ? strrchr(prev, '/') + 1 : prev;
	struct err e = ERR_INIT;
	char *sums;
	manifest_paths(root, id, NULL, &sums);
	if (access(sums, F_OK) == 0 && sha256sums_reuse(s, sums, prev, p->path, &e) < 0) {
		err_prefix(&e, "the checksums of %s are computed anew", p->path);
		report_log_l10n(r, LOG_WARN, e.lmsg, "%s", e.msg);
		err_clear(&e);
	}
	free(sums);
}

int manifest_seal(const char *root, struct manifest *m, const char *const *prev,
		  struct report *r, struct err *e)
{
	struct sha256sums s;
	char *mpath, *spath, *dir;
	int rc = 0;

	manifest_paths(root, m->id, &mpath, &spath);
	dir = xstrfmt("%s/manifest", root);
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		rc = err_errno(e, errno, "cannot create %s", dir);
		goto out;
	}
	free(dir);
	dir = xstrfmt("%s/manifest/%s", root, m->id);
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		rc = err_errno(e, errno, "cannot create %s", dir);
		goto out;
	}
	if (sha256sums_open(&s, root, spath, e) < 0) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < m->n_parts && rc == 0; i++) {
		struct manifest_part *p = &m->parts[i];
		struct sha256sums_count c = { 0 };
		char *full = xstrfmt("%s/%s", root, p->path);
		struct stat st;
		if (lstat(full, &st) < 0)
			rc = err_errno(e, errno, "cannot read %s", full);
		else if (S_ISDIR(st.st_mode)) {
			if (prev && prev[i])
				reuse_earlier(&s, root, p, prev[i], r);
			rc = sha256sums_add_tree(&s, p->path, &c, r, e);
		}
		else
			rc = sha256sums_add_file(&s, p->path, &c, r, e);
		p->files = c.files;
		p->bytes = c.bytes;
		if (rc == 0 && !m->n_tables && !strcmp(p->name, "db"))
			rc = manifest_tables_from_dump(m, full, r, e);
		free(full);
	}
	if (rc < 0) {
		sha256sums_abort(&s);
		goto out;
	}
	if (s.reused)
		report_log(r, LOG_INFO, "%llu of %llu checksums taken from the earlier backup's list "
			   "(files hard-linked to it, not read again)", (unsigned long long)s.reused,
			   (unsigned long long)s.files);
	if (sha256sums_close(&s, e) < 0 || manifest_write(m, mpath, e) < 0) {
		unlink(spath);
		rc = -1;
	}
out:
	free(dir);
	free(mpath);
	free(spath);
	return rc;
}

struct part_count {
	const struct manifest *m;
	uint64_t *files; /* per part */
};

static void count_entry(void *ctx, const char *rel, uint64_t bytes)
{
	struct part_count *pc = ctx;
	(void)bytes;
	for (size_t i = 0; i < pc->m->n_parts; i++) {
		const char *p = pc->m->parts[i].path;
		size_t n = strlen(p);
		if (!strncmp(rel, p, n) && (rel[n] == '\0' || rel[n] == '/')) {
			pc->files[i]++;
			return;
		}
	}
}

int manifest_verify(const char *root, const char *id, struct sha256sums_result *res,
		    struct report *r, struct err *e)
{
	struct manifest m;
	char *mpath, *spath;
	int rc;

	memset(res, 0, sizeof *res);
	manifest_paths(root, id, &mpath, &spath);
	rc = manifest_read(mpath, &m, e);
	if (rc == 0) {
		struct part_count pc = { &m, xcalloc(m.n_parts + 1, sizeof(uint64_t)) };
		rc = sha256sums_verify_each(root, spath, res, count_entry, &pc, r, e);
		/* A file removed together with its line is found by the count. */
		for (size_t i = 0; rc >= 0 && i < m.n_parts; i++) {
			if (pc.files[i] == m.parts[i].files)
				continue;
			char *why = xstrfmt("the checksum list has %" PRIu64 " files of this part, "
					    "the manifest %" PRIu64, pc.files[i], m.parts[i].files);
			char *shown = xstrfmt(_("the checksum list has %llu files of this part, the manifest %llu"),
					      (unsigned long long)pc.files[i], (unsigned long long)m.parts[i].files);
			sha256sums_add_bad(res, m.parts[i].path, why, shown);
			free(why);
			free(shown);
			rc = 1;
		}
		free(pc.files);
	}
	manifest_release(&m);
	free(mpath);
	free(spath);
	return rc;
}
