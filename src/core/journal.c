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

/* Call @fn with the fields of each line of <dir>/journal, unescaped (at
 * most @max), and the line number; it returns 0, or -1 to stop with @e
 * set.  A missing journal has no lines.  0, or -1 with @e. */
static int read_journal(const char *dir, int max, int (*fn)(void *ctx, char **f, int k,
							    const char *path, long lineno,
							    struct err *e),
			void *ctx, struct err *e)
{
	char *path = xstrfmt("%s/journal", dir);
	FILE *fp = fopen(path, "re");
	char *line = NULL, *f[8];
	size_t cap = 0;
	long lineno = 0;
	int ret = 0;

	if (!fp) {
		if (errno != ENOENT)
			ret = err_errno(e, errno, "cannot read the journal %s", path);
		free(path);
		return ret;
	}
	while (ret == 0 && getline(&line, &cap, fp) > 0) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		ret = fn(ctx, f, split(line, f, max), path, lineno, e);
	}
	free(line);
	fclose(fp);
	free(path);
	return ret;
}

struct pending {
	struct journal_entry *v;
	size_t n;
};

static void entry_release(struct journal_entry *j)
{
	free(j->stamp);
	free(j->live);
	free(j->kept);
	free(j->staging);
	free(j->live_id);
}

static int pending_line(void *ctx, char **f, int k, const char *path, long lineno, struct err *e)
{
	struct pending *p = ctx;
	enum journal_kind kind = k > 2 && !strcmp(f[2], "database") ? JOURNAL_DATABASE
				 : k > 2 && !strcmp(f[2], "services") ? JOURNAL_SERVICES
								       : JOURNAL_FILES;
	/* a 7th field, the live tree's identity, since swaps exchange */
	if (!strcmp(f[0], "begin") && (k == 6 || k == 7)) {
		struct journal_entry *j;
		p->v = xrealloc(p->v, (p->n + 1) * sizeof *p->v);
		j = &p->v[p->n++];
		j->kind = kind;
		j->stamp = xstrdup(f[1]);
		j->live = xstrdup(f[3]);
		j->kept = xstrdup(f[4]);
		j->staging = xstrdup(f[5]);
		j->live_id = xstrdup(k == 7 ? f[6] : "");
	} else if ((!strcmp(f[0], "done") || !strcmp(f[0], "failed")) && k == 4) {
		for (size_t i = p->n; i-- > 0;) {
			if (p->v[i].kind == kind && !strcmp(p->v[i].stamp, f[1]) &&
			    !strcmp(p->v[i].live, f[3])) {
				entry_release(&p->v[i]);
				memmove(p->v + i, p->v + i + 1, (p->n - i - 1) * sizeof *p->v);
				p->n--;
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
		return -1;
	}
	return 0;
}

void journal_entries_free(struct journal_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		entry_release(&v[i]);
	free(v);
}

int journal_pending(const char *dir, struct journal_entry **out, size_t *n, struct err *e)
{
	struct pending p = { NULL, 0 };
	*out = NULL;
	*n = 0;
	if (read_journal(dir, 7, pending_line, &p, e) < 0) {
		journal_entries_free(p.v, p.n);
		return -1;
	}
	*out = p.v;
	*n = p.n;
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

struct steps {
	struct journal_step_rec *v;
	size_t n;
	const char *const *flows; /* NULL: any flow */
	char *stamp;              /* with @flows: the run kept */
	int all;                  /* every run's records, not the newest one's */
};

static int wanted(const char *const *flows, const char *flow)
{
	for (; *flows; flows++)
		if (!strcmp(*flows, flow))
			return 1;
	return 0;
}

static int step_line(void *ctx, char **f, int k, const char *path, long lineno, struct err *e)
{
	struct steps *st = ctx;
	struct journal_step_rec *r;
	(void)path;
	(void)lineno;
	(void)e;
	if (k != 6 || strcmp(f[0], "step"))
		return 0; /* swap records, and a torn last line */
	if (st->all)
		goto keep;
	if (st->flows && !wanted(st->flows, f[2]))
		return 0; /* a run of another flow (a backup after the restore) */
	if (!*f[3] && !strcmp(f[4], "start")) {
		/* a newer run: only the newest one's records are kept */
		journal_steps_free(st->v, st->n);
		st->v = NULL;
		st->n = 0;
		free(st->stamp);
		st->stamp = xstrdup(f[1]);
	} else if (st->flows && (!st->stamp || strcmp(st->stamp, f[1]))) {
		return 0; /* not the run kept */
	}
keep:
	st->v = xrealloc(st->v, (st->n + 1) * sizeof *st->v);
	r = &st->v[st->n++];
	r->stamp = xstrdup(f[1]);
	r->flow = xstrdup(f[2]);
	r->step = xstrdup(f[3]);
	r->event = xstrdup(f[4]);
	r->detail = xstrdup(f[5]);
	return 0;
}

int journal_steps_of(const char *dir, const char *const *flows, struct journal_step_rec **out,
		     size_t *n, struct err *e)
{
	struct steps st = { NULL, 0, flows, NULL, 0 };
	int ret = read_journal(dir, 6, step_line, &st, e);
	free(st.stamp);
	*out = NULL;
	*n = 0;
	if (ret < 0) {
		journal_steps_free(st.v, st.n);
		return -1;
	}
	*out = st.v;
	*n = st.n;
	return 0;
}

int journal_steps_all(const char *dir, struct journal_step_rec **out, size_t *n, struct err *e)
{
	struct steps st = { NULL, 0, NULL, NULL, 1 };
	int ret = read_journal(dir, 6, step_line, &st, e);
	*out = NULL;
	*n = 0;
	if (ret < 0) {
		journal_steps_free(st.v, st.n);
		return -1;
	}
	*out = st.v;
	*n = st.n;
	return 0;
}

int journal_steps(const char *dir, struct journal_step_rec **out, size_t *n, struct err *e)
{
	return journal_steps_of(dir, NULL, out, n, e);
}
