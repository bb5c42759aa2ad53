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

static void step_rec_release(struct journal_step_rec *r)
{
	free(r->stamp);
	free(r->flow);
	free(r->step);
	free(r->event);
	free(r->detail);
}

void journal_steps_free(struct journal_step_rec *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		step_rec_release(&v[i]);
	free(v);
}

int journal_end(const char *dir, const char *stamp, const char *flow, int code, int changed,
		struct err *e)
{
	char *detail = xstrfmt(changed ? "%d" : "%d\nunchanged", code);
	int ret = journal_step(dir, stamp, flow, "", "end", detail, e);
	free(detail);
	return ret;
}

struct steps {
	struct journal_step_rec *v;
	size_t n;
};

static int step_line(void *ctx, char **f, int k, const char *path, long lineno, struct err *e)
{
	struct steps *st = ctx;
	struct journal_step_rec *r;
	(void)path;
	(void)lineno;
	(void)e;
	if (k != 6 || strcmp(f[0], "step"))
		return 0; /* swap records, and a torn last line */
	st->v = xrealloc(st->v, (st->n + 1) * sizeof *st->v);
	r = &st->v[st->n++];
	r->stamp = xstrdup(f[1]);
	r->flow = xstrdup(f[2]);
	r->step = xstrdup(f[3]);
	r->event = xstrdup(f[4]);
	r->detail = xstrdup(f[5]);
	return 0;
}

/* 1 when @r is the run's own record @event ("start", "end"). */
static int run_rec(const struct journal_step_rec *r, const char *event)
{
	return !*r->step && !strcmp(r->event, event);
}

static int same_run(const struct journal_step_rec *a, const struct journal_step_rec *b)
{
	return !strcmp(a->stamp, b->stamp) && !strcmp(a->flow, b->flow);
}

/* 1 when @r is the "end" of a run that changed nothing (journal_end()). */
static int unchanged_end(const struct journal_step_rec *r)
{
	const char *nl = strchr(r->detail, '\n');
	return run_rec(r, "end") && nl && !strcmp(nl + 1, "unchanged");
}

/* Leave out the records of every run that changed nothing, from its last
 * "start" before its "end" to that "end" (the same stamp and flow). */
static void drop_unchanged(struct steps *st)
{
	char *drop = xcalloc(st->n ? st->n : 1, 1);
	size_t out = 0;
	for (size_t k = 0; k < st->n; k++) {
		size_t j = k;
		if (!unchanged_end(&st->v[k]))
			continue;
		while (j > 0 && !(same_run(&st->v[j], &st->v[k]) && run_rec(&st->v[j], "start")))
			j--;
		for (size_t m = j; m <= k; m++)
			if (same_run(&st->v[m], &st->v[k]))
				drop[m] = 1;
	}
	for (size_t k = 0; k < st->n; k++) {
		if (drop[k])
			step_rec_release(&st->v[k]);
		else
			st->v[out++] = st->v[k];
	}
	st->n = out;
	free(drop);
}

/* Every run's step records but those of the runs that changed nothing,
 * oldest first, into @st: 0, or -1 with @e. */
static int read_steps(const char *dir, struct steps *st, struct err *e)
{
	st->v = NULL;
	st->n = 0;
	if (read_journal(dir, 6, step_line, st, e) < 0) {
		journal_steps_free(st->v, st->n);
		st->v = NULL;
		st->n = 0;
		return -1;
	}
	drop_unchanged(st);
	return 0;
}

static int wanted(const char *const *flows, const char *flow)
{
	if (!flows)
		return 1;
	for (; *flows; flows++)
		if (!strcmp(*flows, flow))
			return 1;
	return 0;
}

int journal_steps_of(const char *dir, const char *const *flows, struct journal_step_rec **out,
		     size_t *n, struct err *e)
{
	struct steps st;
	size_t last = (size_t)-1, kept = 0;
	*out = NULL;
	*n = 0;
	if (read_steps(dir, &st, e) < 0)
		return -1;
	for (size_t k = 0; k < st.n; k++)
		if (run_rec(&st.v[k], "start") && wanted(flows, st.v[k].flow))
			last = k;
	for (size_t k = 0; k < st.n; k++) {
		/* from the newest run's "start" on; with @flows, that run's
		 * records only (not a backup's after the restore) */
		if (last != (size_t)-1 && k >= last &&
		    (!flows || (wanted(flows, st.v[k].flow) && !strcmp(st.v[k].stamp, st.v[last].stamp))))
			st.v[kept++] = st.v[k];
		else
			step_rec_release(&st.v[k]);
	}
	if (!kept) {
		free(st.v);
		st.v = NULL;
	}
	*out = st.v;
	*n = kept;
	return 0;
}

int journal_steps_all(const char *dir, struct journal_step_rec **out, size_t *n, struct err *e)
{
	struct steps st;
	*out = NULL;
	*n = 0;
	if (read_steps(dir, &st, e) < 0)
		return -1;
	*out = st.v;
	*n = st.n;
	return 0;
}

int journal_steps(const char *dir, struct journal_step_rec **out, size_t *n, struct err *e)
{
	return journal_steps_of(dir, NULL, out, n, e);
}
