/* journal: begin/done records around every swap; see journal.h. */
#include "config.h"
#include "journal.h"
#include "err.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_name(enum journal_kind k)
{
	return k == JOURNAL_DATABASE ? "database" : k == JOURNAL_SERVICES ? "services" : "files";
}

/* Paths may hold tabs and newlines: escape them and the backslash. */
static void add_field(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '\t');
	for (; s && *s; s++) {
		if (*s == '\\')
			strbuf_addstr(sb, "\\\\");
		else if (*s == '\t')
			strbuf_addstr(sb, "\\t");
		else if (*s == '\n')
			strbuf_addstr(sb, "\\n");
		else
			strbuf_addch(sb, *s);
	}
}

static int append(const char *dir, struct strbuf *line, struct err *e)
{
	char *path = xstrfmt("%s/journal", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	int ret = 0;
	strbuf_addch(line, '\n');
	if (fd < 0 || write(fd, line->buf, line->len) != (ssize_t)line->len || fsync(fd) < 0)
		ret = err_errno(e, errno, "cannot write the journal %s", path);
	if (fd >= 0)
		close(fd);
	free(path);
	return ret;
}

char *journal_path_id(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return NULL;
	return xstrfmt("%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
}

int journal_begin(const char *dir, const char *stamp, enum journal_kind kind,
		  const char *live, const char *kept, const char *staging, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	char *id = kind == JOURNAL_FILES ? journal_path_id(live) : NULL;
	int ret;
	strbuf_addstr(&sb, "begin");
	add_field(&sb, stamp);
	add_field(&sb, kind_name(kind));
	add_field(&sb, live);
	add_field(&sb, kept);
	add_field(&sb, staging);
	if (kind == JOURNAL_FILES)
		add_field(&sb, id ? id : "");
	ret = append(dir, &sb, e);
	strbuf_release(&sb);
	free(id);
	return ret;
}

/* "done" or "failed": both close the swap begun with @stamp, @kind, @live. */
static int journal_close(const char *dir, const char *event, const char *stamp,
			 enum journal_kind kind, const char *live, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;
	strbuf_addstr(&sb, event);
	add_field(&sb, stamp);
	add_field(&sb, kind_name(kind));
	add_field(&sb, live);
	ret = append(dir, &sb, e);
	strbuf_release(&sb);
	return ret;
}

int journal_done(const char *dir, const char *stamp, enum journal_kind kind,
		 const char *live, struct err *e)
{
	return journal_close(dir, "done", stamp, kind, live, e);
}

int journal_failed(const char *dir, const char *stamp, enum journal_kind kind,
		   const char *live, struct err *e)
{
	return journal_close(dir, "failed", stamp, kind, live, e);
}

int journal_step(const char *dir, const char *stamp, const char *flow, const char *step,
		 const char *event, const char *detail, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;
	strbuf_addstr(&sb, "step");
	add_field(&sb, stamp);
	add_field(&sb, flow);
	add_field(&sb, step);
	add_field(&sb, event);
	add_field(&sb, detail ? detail : "");
	ret = append(dir, &sb, e);
	strbuf_release(&sb);
	return ret;
}

/* Split a line in place into unescaped fields; returns their number. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	char *out = line;
	f[n++] = out;
	for (char *p = line; *p; p++) {
		if (*p == '\t' && n < max) {
			*out++ = '\0';
			f[n++] = out;
		} else if (*p == '\\' && p[1]) {
			p++;
			*out++ = *p == 't' ? '\t' : *p == 'n' ? '\n' : *p;
		} else {
			*out++ = *p;
		}
	}
	*out = '\0';
	return n;
}

void journal_entries_free(struct journal_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].stamp);
		free(v[i].live);
		free(v[i].kept);
		free(v[i].staging);
		free(v[i].live_id);
	}
	free(v);
}

int journal_pending(const char *dir, struct journal_entry **out, size_t *n, struct err *e)
{
	char *path = xstrfmt("%s/journal", dir);
	FILE *fp = fopen(path, "re");
	struct journal_entry *v = NULL;
	size_t nv = 0;
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;

	*out = NULL;
	*n = 0;
	if (!fp) {
		int missing = errno == ENOENT;
		if (!missing)
			err_errno(e, errno, "cannot read the journal %s", path);
		free(path);
		return missing ? 0 : -1;
	}
	while (getline(&line, &cap, fp) > 0) {
		char *f[7];
		int k;
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		k = split(line, f, 7);
		enum journal_kind kind = k > 2 && !strcmp(f[2], "database") ? JOURNAL_DATABASE
					 : k > 2 && !strcmp(f[2], "services") ? JOURNAL_SERVICES
									       : JOURNAL_FILES;
		/* a 7th field, the live tree's identity, since swaps exchange */
		if (!strcmp(f[0], "begin") && (k == 6 || k == 7)) {
			v = xrealloc(v, (nv + 1) * sizeof *v);
			v[nv].kind = kind;
			v[nv].stamp = xstrdup(f[1]);
			v[nv].live = xstrdup(f[3]);
			v[nv].kept = xstrdup(f[4]);
			v[nv].staging = xstrdup(f[5]);
			v[nv].live_id = xstrdup(k == 7 ? f[6] : "");
			nv++;
		} else if ((!strcmp(f[0], "done") || !strcmp(f[0], "failed")) && k == 4) {
			for (size_t i = nv; i-- > 0;) {
				if (v[i].kind == kind && !strcmp(v[i].stamp, f[1]) &&
				    !strcmp(v[i].live, f[3])) {
					free(v[i].stamp);
					free(v[i].live);
					free(v[i].kept);
					free(v[i].staging);
					free(v[i].live_id);
					memmove(v + i, v + i + 1, (nv - i - 1) * sizeof *v);
					nv--;
					break;
				}
			}
		} else if (!strcmp(f[0], "step") && k == 6) {
			/* a flow's step record: journal_steps() reads those */
		} else if (*f[0]) {
			/* A torn last line from a crash mid-write is expected; say where. */
			err_set(e, "unreadable journal entry");
			err_where(e, path, lineno, -1);
			err_hint(e, "Look at the line; if it is a half-written last line, delete it.");
			free(line);
			fclose(fp);
			free(path);
			journal_entries_free(v, nv);
			return -1;
		}
	}
	free(line);
	fclose(fp);
	free(path);
	*out = v;
	*n = nv;
	return 0;
}

void journal_steps_free(struct journal_step_rec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].stamp);
		free(v[i].flow);
		free(v[i].step);
		free(v[i].event);
		free(v[i].detail);
	}
	free(v);
}

int journal_steps(const char *dir, struct journal_step_rec **out, size_t *n, struct err *e)
{
	char *path = xstrfmt("%s/journal", dir);
	FILE *fp = fopen(path, "re");
	struct journal_step_rec *v = NULL;
	size_t nv = 0;
	char *line = NULL;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (!fp) {
		int missing = errno == ENOENT;
		if (!missing)
			err_errno(e, errno, "cannot read the journal %s", path);
		free(path);
		return missing ? 0 : -1;
	}
	while (getline(&line, &cap, fp) > 0) {
		char *f[6];
		line[strcspn(line, "\n")] = '\0';
		if (split(line, f, 6) != 6 || strcmp(f[0], "step"))
			continue; /* swap records, and a torn last line */
		if (!*f[3] && !strcmp(f[4], "start")) {
			/* a newer run: only the newest one's records are kept */
			journal_steps_free(v, nv);
			v = NULL;
			nv = 0;
		}
		v = xrealloc(v, (nv + 1) * sizeof *v);
		v[nv].stamp = xstrdup(f[1]);
		v[nv].flow = xstrdup(f[2]);
		v[nv].step = xstrdup(f[3]);
		v[nv].event = xstrdup(f[4]);
		v[nv].detail = xstrdup(f[5]);
		nv++;
	}
	free(line);
	fclose(fp);
	free(path);
	*out = v;
	*n = nv;
	return 0;
}
