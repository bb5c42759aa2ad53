/* sha256sums: SHA256SUMS files as sha256sum writes and checks them; see
 * sha256sums.h. */
#include "config.h"
#include "i18n.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "report.h"
#include "sha256.h"
#include "sha256sums.h"
#include "strbuf.h"

#define CHUNK (64 * 1024)

static int parse_line(char *line, char hex[65], struct strbuf *path);

/* Digests taken over from earlier lists (sha256sums_reuse()): a chained
 * hash table keyed by the path as the earlier list has it. */
struct known_entry {
	struct known_entry *next;
	uint8_t d[SHA256_DIGEST_LEN];
	char rel[];
};

struct known_pair {
	char *old_rel, *new_rel;
};

struct sha256sums_known {
	struct known_entry **b;
	size_t nb, n;
	struct known_pair *pairs;
	size_t npairs;
};

static uint64_t known_hash(const char *k)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 0x100000001b3ULL;
	return h;
}

static void known_add(struct sha256sums_known *k, const char *rel, const uint8_t d[SHA256_DIGEST_LEN])
{
	struct known_entry *x;
	size_t len = strlen(rel);
	if (k->n + 1 > k->nb) {
		size_t nb = k->nb ? 2 * k->nb : 1024;
		struct known_entry **b = xcalloc(nb, sizeof *b);
		for (size_t i = 0; i < k->nb; i++)
			while (k->b[i]) {
				x = k->b[i];
				k->b[i] = x->next;
				x->next = b[known_hash(x->rel) & (nb - 1)];
				b[known_hash(x->rel) & (nb - 1)] = x;
			}
		free(k->b);
		k->b = b;
		k->nb = nb;
	}
	x = xmalloc(sizeof *x + len + 1);
	memcpy(x->d, d, SHA256_DIGEST_LEN);
	memcpy(x->rel, rel, len + 1);
	x->next = k->b[known_hash(rel) & (k->nb - 1)];
	k->b[known_hash(rel) & (k->nb - 1)] = x;
	k->n++;
}

static const struct known_entry *known_find(const struct sha256sums_known *k, const char *rel)
{
	const struct known_entry *x;
	if (!k->nb)
		return NULL;
	for (x = k->b[known_hash(rel) & (k->nb - 1)]; x; x = x->next)
		if (!strcmp(x->rel, rel))
			return x;
	return NULL;
}

static void known_free(struct sha256sums_known *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->nb; i++)
		while (k->b[i]) {
			struct known_entry *x = k->b[i];
			k->b[i] = x->next;
			free(x);
		}
	free(k->b);
	for (size_t i = 0; i < k->npairs; i++) {
		free(k->pairs[i].old_rel);
		free(k->pairs[i].new_rel);
	}
	free(k->pairs);
	free(k);
}

static int unhex(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

static int hash_fd(int fd, const char *path, char hex[65], uint64_t *bytes, struct report *r,
		   struct err *e)
{
	unsigned char *buf = xmalloc(CHUNK);
	struct sha256 s;
	uint8_t d[SHA256_DIGEST_LEN];
	uint64_t n_total = 0;
	ssize_t n;
	sha256_init(&s);
	for (;;) {
		n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		sha256_update(&s, buf, (size_t)n);
		n_total += (uint64_t)n;
		if (report_cancelled(r)) {
			free(buf);
			return err_set(e, "checksum of %s aborted: %s", path, report_stop_reason(r));
		}
	}
	free(buf);
	if (n < 0) {
		err_errno(e, errno, "cannot read %s", path);
		err_where(e, path, 0, (int64_t)n_total);
		return -1;
	}
	sha256_final(&s, d);
	sha256_hex(d, hex);
	if (bytes)
		*bytes += n_total;
	return 0;
}

int sha256sums_file(const char *path, char hex[65], uint64_t *bytes, struct report *r,
		    struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_errno(e, errno, "cannot open %s", path);
	int rc = hash_fd(fd, path, hex, bytes, r, e);
	close(fd);
	return rc;
}

int sha256sums_open(struct sha256sums *s, const char *base, const char *path, struct err *e)
{
	memset(s, 0, sizeof *s);
	s->partial = xstrfmt("%s.partial", path);
	int fd = open(s->partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(s->f = fdopen(fd, "w"))) {
		err_errno(e, errno, "cannot create %s", s->partial);
		if (fd >= 0)
			close(fd);
		free(s->partial);
		s->partial = NULL;
		return -1;
	}
	s->path = xstrdup(path);
	s->base = xstrdup(base);
	return 0;
}

/* One line as sha256sum writes it: a path with '\' or a newline is
 * escaped and the line marked with a leading '\'. */
static void put_entry(FILE *f, const char *hex, const char *rel)
{
	int esc = strpbrk(rel, "\\\n") != NULL;
	if (esc)
		fputc('\\', f);
	fputs(hex, f);
	fputs("  ", f);
	for (const char *p = rel; *p; p++) {
		if (esc && *p == '\\')
			fputs("\\\\", f);
		else if (esc && *p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputc('\n', f);
}

int sha256sums_reuse(struct sha256sums *s, const char *list, const char *old_rel,
		     const char *new_rel, struct err *e)
{
	struct strbuf path = STRBUF_INIT;
	struct sha256sums_known *k;
	char *line = NULL, hex[65];
	size_t cap = 0, olen = strlen(old_rel);
	ssize_t len;
	long lineno = 0;
	int rc = 0;
	FILE *f = fopen(list, "re");

	if (!f)
		return err_errno(e, errno, "cannot open %s", list);
	if (!s->known)
		s->known = xcalloc(1, sizeof *s->known);
	k = s->known;
	while ((len = getline(&line, &cap, f)) >= 0) {
		uint8_t d[SHA256_DIGEST_LEN];
		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (parse_line(line, hex, &path) < 0) {
			err_set(e, "%s:%ld: not a sha256sum line", list, lineno);
			err_where(e, list, lineno, -1);
			rc = -1;
			break;
		}
		if (strncmp(path.buf, old_rel, olen) || path.buf[olen] != '/')
			continue;
		for (int i = 0; i < SHA256_DIGEST_LEN; i++)
			d[i] = (uint8_t)(unhex(hex[2 * i]) << 4 | unhex(hex[2 * i + 1]));
		known_add(k, path.buf, d);
	}
	if (rc == 0 && ferror(f))
		rc = err_errno(e, errno, "cannot read %s", list);
	fclose(f);
	free(line);
	strbuf_release(&path);
	if (rc < 0) {
		known_free(s->known);
		s->known = NULL;
		return -1;
	}
	k->pairs = xrealloc(k->pairs, (k->npairs + 1) * sizeof *k->pairs);
	k->pairs[k->npairs].old_rel = xstrdup(old_rel);
	k->pairs[k->npairs].new_rel = xstrdup(new_rel);
	k->npairs++;
	return 0;
}

static void add_progress(struct sha256sums *s, const char *rel, struct report *r)
{
	if (r) {
		struct progress p = { 0 };
		p.phase = N_("checksums");
		p.done_items = s->files;
		p.done_bytes = s->bytes;
		p.current = rel;
		report_progress(r, &p, 0);
	}
}

/* The file @rel (stat @st) listed with a digest taken over from an earlier
 * list: 1, or 0 when there is none for it (not a hard link to the file
 * that digest was taken of). */
static int add_known(struct sha256sums *s, const char *rel, const struct stat *st,
		     struct sha256sums_count *c, struct report *r)
{
	const struct sha256sums_known *k = s->known;
	for (size_t i = 0; i < k->npairs; i++) {
		size_t nl = strlen(k->pairs[i].new_rel);
		const struct known_entry *x;
		struct stat old;
		char *key, *full, hex[65];
		int same;
		if (strncmp(rel, k->pairs[i].new_rel, nl) || rel[nl] != '/')
			continue;
		key = xstrfmt("%s%s", k->pairs[i].old_rel, rel + nl);
		x = known_find(k, key);
		full = xstrfmt("%s/%s", s->base, key);
		same = x && lstat(full, &old) == 0 && old.st_dev == st->st_dev &&
		       old.st_ino == st->st_ino;
		free(full);
		free(key);
		if (!same)
			continue;
		sha256_hex(x->d, hex);
		put_entry(s->f, hex, rel);
		s->files++;
		s->reused++;
		s->bytes += (uint64_t)st->st_size;
		if (c) {
			c->files++;
			c->bytes += (uint64_t)st->st_size;
		}
		add_progress(s, rel, r);
		return 1;
	}
	return 0;
}

int sha256sums_add_file(struct sha256sums *s, const char *rel, struct sha256sums_count *c,
			struct report *r, struct err *e)
{
	char hex[65];
	uint64_t bytes = 0;
	char *full = xstrfmt("%s/%s", s->base, rel);
	int rc = sha256sums_file(full, hex, &bytes, r, e);
	free(full);
	if (rc < 0)
		return -1;
	put_entry(s->f, hex, rel);
	s->files++;
	s->bytes += bytes;
	if (c) {
		c->files++;
		c->bytes += bytes;
	}
	add_progress(s, rel, r);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int sha256sums_add_tree(struct sha256sums *s, const char *rel, struct sha256sums_count *c,
			struct report *r, struct err *e)
{
	char *full = xstrfmt("%s/%s", s->base, rel);
	DIR *d = opendir(full);
	char **names = NULL;
	size_t n = 0, alloc = 0;
	int rc = 0;
	struct dirent *de;

	if (!d) {
		err_errno(e, errno, "cannot read directory %s", full);
		free(full);
		return -1;
	}
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == alloc)
			names = xrealloc(names, (alloc = alloc ? 2 * alloc : 64) * sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	if (errno) {
		rc = err_errno(e, errno, "cannot read directory %s", full);
		goto out;
	}
	if (n) /* names is NULL for an empty directory: qsort() wants a pointer */
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct stat st;
		char *sub = xstrfmt("%s/%s", rel, names[i]);
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			rc = err_errno(e, errno, "cannot stat %s/%s", s->base, sub);
		else if (S_ISDIR(st.st_mode))
			rc = sha256sums_add_tree(s, sub, c, r, e);
		else if (S_ISREG(st.st_mode) && !(st.st_nlink > 1 && s->known && add_known(s, sub, &st, c, r)))
			rc = sha256sums_add_file(s, sub, c, r, e);
		else if (c)
			c->skipped++;
		free(sub);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	free(full);
	return rc;
}

static void release(struct sha256sums *s)
{
	if (s->f)
		fclose(s->f);
	free(s->path);
	free(s->partial);
	free(s->base);
	known_free(s->known);
	memset(s, 0, sizeof *s);
}

int sha256sums_close(struct sha256sums *s, struct err *e)
{
	int rc = 0;
	if (fflush(s->f) != 0 || fsync(fileno(s->f)) < 0)
		rc = err_errno(e, errno, "cannot write %s", s->partial);
	if (fclose(s->f) != 0 && rc == 0)
		rc = err_errno(e, errno, "cannot write %s", s->partial);
	s->f = NULL;
	if (rc == 0 && rename(s->partial, s->path) < 0)
		rc = err_errno(e, errno, "cannot rename %s to %s", s->partial, s->path);
	if (rc < 0)
		unlink(s->partial);
	release(s);
	return rc;
}

void sha256sums_abort(struct sha256sums *s)
{
	if (s->partial)
		unlink(s->partial);
	release(s);
}

void sha256sums_add_bad(struct sha256sums_result *res, const char *path, const char *why,
			const char *why_l10n)
{
	res->bad = xrealloc(res->bad, (res->n_bad + 1) * sizeof *res->bad);
	res->bad[res->n_bad].path = xstrdup(path);
	res->bad[res->n_bad].why = xstrdup(why);
	res->bad[res->n_bad].why_l10n = xstrdup(why_l10n ? why_l10n : why);
	res->n_bad++;
}

/* Split a list line into its digest and (unescaped) path: 0, or -1 when it
 * is not a sha256sum line. */
static int parse_line(char *line, char hex[65], struct strbuf *path)
{
	int esc = *line == '\\';
	const char *p = line + esc;
	for (int i = 0; i < 64; i++) {
		char ch = p[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')))
			return -1;
		hex[i] = (char)(ch >= 'A' && ch <= 'F' ? ch - 'A' + 'a' : ch);
	}
	hex[64] = '\0';
	p += 64;
	if (p[0] != ' ' || (p[1] != ' ' && p[1] != '*') || !p[2])
		return -1;
	p += 2;
	strbuf_reset(path);
	for (; *p; p++) {
		if (esc && *p == '\\') {
			if (p[1] == '\\')
				strbuf_addch(path, '\\');
			else if (p[1] == 'n')
				strbuf_addch(path, '\n');
			else
				return -1;
			p++;
		} else {
			strbuf_addch(path, *p);
		}
	}
	return 0;
}

/* An absolute path, or one with a ".." component. */
static int leaves_base(const char *rel)
{
	if (*rel == '/')
		return 1;
	for (const char *p = rel; (p = strstr(p, "..")); p += 2)
		if ((p == rel || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return 1;
	return 0;
}

int sha256sums_verify(const char *base, const char *path, struct sha256sums_result *res,
		      struct report *r, struct err *e)
{
	return sha256sums_verify_each(base, path, res, NULL, NULL, r, e);
}

int sha256sums_verify_each(const char *base, const char *path, struct sha256sums_result *res,
			   void (*each)(void *ctx, const char *rel, uint64_t bytes), void *ctx,
			   struct report *r, struct err *e)
{
	struct strbuf rel = STRBUF_INIT;
	struct err fe = ERR_INIT;
	char *line = NULL, hex[65], got[65];
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc = 0;

	memset(res, 0, sizeof *res);
	FILE *f = fopen(path, "re");
	if (!f)
		return err_errno(e, errno, "cannot open %s", path);
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (parse_line(line, hex, &rel) < 0) {
			err_set(e, "%s:%ld: not a sha256sum line", path, lineno);
			err_where(e, path, lineno, -1);
			err_hint(e, "The list was changed or damaged; each line is \"<sha256>  <path>\".");
			rc = -1;
			break;
		}
		if (leaves_base(rel.buf)) {
			/* we never list such a path: the list was changed */
			sha256sums_add_bad(res, rel.buf, "not checked: the path leads out of the backup root",
					   _("not checked: the path leads out of the backup root"));
			res->checked++;
			continue;
		}
		char *full = xstrfmt("%s/%s", base, rel.buf);
		uint64_t bytes = 0;
		if (sha256sums_file(full, got, &bytes, r, &fe) < 0) {
			if (report_cancelled(r)) {
				err_move(e, &fe);
				free(full);
				rc = -1;
				break;
			}
			struct stat st;
			if (lstat(full, &st) < 0 && errno == ENOENT)
				sha256sums_add_bad(res, rel.buf, "missing", _("missing"));
			else
				sha256sums_add_bad(res, rel.buf, fe.msg, fe.lmsg);
			err_clear(&fe);
		} else if (strcmp(got, hex)) {
			sha256sums_add_bad(res, rel.buf, "checksum mismatch", _("checksum mismatch"));
		}
		free(full);
		if (each)
			each(ctx, rel.buf, bytes);
		res->checked++;
		res->bytes += bytes;
		if (r) {
			struct progress p = { 0 };
			p.phase = N_("checking");
			p.done_items = res->checked;
			p.done_bytes = res->bytes;
			p.current = rel.buf;
			report_progress(r, &p, 0);
		}
	}
	if (rc == 0 && ferror(f))
		rc = err_errno(e, errno, "cannot read %s", path);
	if (rc == 0 && !res->checked) {
		err_set(e, "%s lists no file", path);
		rc = -1;
	}
	fclose(f);
	free(line);
	strbuf_release(&rel);
	if (rc < 0)
		return -1;
	return res->n_bad ? 1 : 0;
}

void sha256sums_result_release(struct sha256sums_result *res)
{
	for (size_t i = 0; i < res->n_bad; i++) {
		free(res->bad[i].path);
		free(res->bad[i].why);
		free(res->bad[i].why_l10n);
	}
	free(res->bad);
	memset(res, 0, sizeof *res);
}
