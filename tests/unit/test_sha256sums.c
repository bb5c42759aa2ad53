/* Unit tests for sha256sums_add_tree() on several threads: the list is
 * byte for byte the one a single thread writes (many directories; files of
 * 0, 1 and 64 KiB + 1 bytes; hard links to an earlier snapshot, whose
 * digests are taken over; symbolic links left out; a name sha256sum
 * escapes), and `sha256sum -c` accepts it; a file that cannot be opened
 * stops the walk with an error naming it; a cancel stops it; the report is
 * called from the caller's thread only; threads 0 follows the affinity
 * mask; a FIFO swapped in before the open does not hang it.  Linked with the test build's
 * fault points (src/core/fault.c with -DBR_FAULT_POINTS). */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fault.h"
#include "report.h"
#include "runcmd.h"
#include "sha256sums.h"
#include "strbuf.h"

static char root[] = "/tmp/test_sha256sums.XXXXXX";

#define DIRS 24
#define FILES 20

static void put_bytes(const char *rel, size_t size, unsigned seed)
{
	char *p = xstrfmt("%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	for (size_t i = 0; i < size; i++)
		fputc((int)((i * 131 + seed * 7) & 0xff), f);
	assert_int_equal(fclose(f), 0);
	free(p);
}

static void make_dir(const char *rel)
{
	char *p = xstrfmt("%s/%s", root, rel);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
}

/* The sizes the tree's files cycle through: empty, one byte, one past the
 * read chunk, and a few between. */
static size_t size_of(int d, int f)
{
	static const size_t sizes[] = { 0, 1, 64 * 1024 + 1, 100, 4096, 7 };
	return sizes[(size_t)(d * FILES + f) % (sizeof sizes / sizeof *sizes)];
}

/* A file of the new snapshot that is a hard link to the earlier one's. */
static int linked(int d, int f)
{
	return (d + f) % 3 == 0;
}

/* data/old and data/new: DIRS directories (each with a subdirectory and a
 * symbolic link), FILES files each; some of new's files are hard links to
 * old's, the others copies (some changed); 200 directories of one file.  The number of regular files
 * of new in *@files, of its links in *@links. */
static void build_tree(unsigned *files, unsigned *links)
{
	*files = *links = 0;
	make_dir("data");
	make_dir("data/old");
	make_dir("data/new");
	make_dir("data/new/empty");
	for (int d = 0; d < DIRS; d++) {
		for (int side = 0; side < 2; side++) {
			const char *top = side ? "new" : "old";
			char *dir = xstrfmt("data/%s/d%02d", top, d), *sub = xstrfmt("%s/sub", dir);
			make_dir(dir);
			make_dir(sub);
			for (int f = 0; f < FILES; f++) {
				char *rel = xstrfmt("%s/f%02d", dir, f);
				if (side && linked(d, f)) {
					char *a = xstrfmt("%s/data/old/d%02d/f%02d", root, d, f);
					char *b = xstrfmt("%s/%s", root, rel);
					assert_int_equal(link(a, b), 0);
					free(a);
					free(b);
					(*links)++;
				} else {
					put_bytes(rel, size_of(d, f), (unsigned)(d * FILES + f + (side && f % 2)));
				}
				if (side)
					(*files)++;
				free(rel);
			}
			char *rel = xstrfmt("%s/x", sub);
			put_bytes(rel, (size_t)d, (unsigned)d);
			free(rel);
			if (side)
				(*files)++;
			char *ln = xstrfmt("%s/%s/link", root, dir);
			assert_int_equal(symlink("f00", ln), 0);
			free(ln);
			free(sub);
			free(dir);
		}
	}
	/* more directories of one file each than the walk holds open at once
	 * (128): it must wait for their files to be written */
	make_dir("data/new/many");
	for (int k = 0; k < 200; k++) {
		char *dir = xstrfmt("data/new/many/m%03d", k), *rel = xstrfmt("%s/one", dir);
		make_dir(dir);
		put_bytes(rel, k % 3 ? (size_t)(10 + k) : 0, (unsigned)k);
		(*files)++;
		free(rel);
		free(dir);
	}
	/* a name sha256sum writes escaped: the line starts with '\' */
	put_bytes("data/new/d03/odd\\name\nline", 3, 3);
	(*files)++;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;
	assert_non_null(f);
	assert_true(getdelim(&text, &len, '\0', f) > 0);
	fclose(f);
	return text;
}

/* The list of data/new (digests of links to data/old taken over from
 * old.sums) written on @threads threads to @list; its counts in @c. */
static int write_list(int threads, const char *list, struct sha256sums_count *c,
		      uint64_t *reused, struct report *r, struct err *e)
{
	struct sha256sums s;
	char *base = xstrdup(root), *path = xstrfmt("%s/%s", root, list);
	char *old = xstrfmt("%s/old.sums", root);
	int rc;
	memset(c, 0, sizeof *c);
	assert_int_equal(sha256sums_open(&s, base, path, e), 0);
	s.threads = threads;
	assert_int_equal(sha256sums_reuse(&s, old, "data/old", "data/new", e), 0);
	rc = sha256sums_add_tree(&s, "data/new", c, r, e);
	if (reused)
		*reused = s.reused;
	if (rc == 0)
		assert_int_equal(sha256sums_close(&s, e), 0);
	else
		sha256sums_abort(&s);
	free(base);
	free(path);
	free(old);
	return rc;
}

struct lines {
	struct strbuf out;
};

static void keep_line(void *ctx, int is_stderr, const char *line)
{
	struct lines *l = ctx;
	(void)is_stderr;
	strbuf_addstr(&l->out, line);
	strbuf_addch(&l->out, '\n');
}

/* `sha256sum -c --quiet LIST` in root: its exit status (output in @out). */
static int sha256sum_c(const char *list, struct strbuf *out)
{
	const char *argv[] = { "sha256sum", "-c", "--quiet", list, NULL };
	struct child_process cp = { 0 };
	struct lines l = { STRBUF_INIT };
	struct err e = ERR_INIT;
	int status = 0, rc;
	cp.argv = argv;
	cp.dir = root;
	cp.on_line = keep_line;
	cp.ctx = &l;
	rc = runcmd_run(&cp, &status, &e);
	assert_int_not_equal(rc, -1);
	strbuf_reset(out);
	strbuf_addbuf(out, &l.out);
	strbuf_release(&l.out);
	return rc == 0 ? 0 : status;
}

/* The report's callbacks remember whether another thread called them. */
struct watch {
	pthread_t caller;
	int other_thread;
	unsigned progress, checks;
	unsigned cancel_after; /* 0: never */
};

static void watch_progress(void *ctx, const struct progress *p)
{
	struct watch *w = ctx;
	(void)p;
	if (!pthread_equal(pthread_self(), w->caller))
		w->other_thread = 1;
	w->progress++;
}

static int watch_cancelled(void *ctx)
{
	struct watch *w = ctx;
	if (!pthread_equal(pthread_self(), w->caller))
		w->other_thread = 1;
	w->checks++;
	return w->cancel_after && w->checks >= w->cancel_after ? REPORT_STOP_SIGNAL(SIGTERM) : 0;
}

static unsigned n_files, n_links;

static void parallel_list_is_the_single_threads(void **state)
{
	struct sha256sums_count c1, cn;
	struct err e = ERR_INIT;
	struct strbuf out = STRBUF_INIT;
	uint64_t reused1 = 0, reusedn = 0;
	char *one, *many;
	(void)state;

	assert_int_equal(write_list(1, "one.sums", &c1, &reused1, NULL, &e), 0);
	assert_int_equal(c1.files, n_files);
	assert_int_equal(reused1, n_links);
	assert_int_equal(c1.skipped, DIRS); /* the symbolic links */
	char *one_path = xstrfmt("%s/one.sums", root);
	one = slurp(one_path);
	free(one_path);
	for (int threads = 2; threads <= 8; threads += 3) {
		struct watch w = { .caller = pthread_self() };
		struct report r = { .progress = watch_progress, .cancelled = watch_cancelled, .ctx = &w };
		char *path = xstrfmt("%s/many.sums", root);
		assert_int_equal(write_list(threads, "many.sums", &cn, &reusedn, &r, &e), 0);
		many = slurp(path);
		assert_string_equal(many, one);
		assert_int_equal(cn.files, c1.files);
		assert_int_equal(cn.bytes, c1.bytes);
		assert_int_equal(cn.skipped, c1.skipped);
		assert_int_equal(reusedn, n_links);
		assert_false(w.other_thread);
		assert_true(w.progress > 0);
		assert_true(w.checks > 0);
		free(many);
		free(path);
	}
	/* the real tool agrees with every line, the escaped one too */
	if (sha256sum_c("many.sums", &out) != 0)
		fail_msg("sha256sum -c refused the list:\n%s", out.buf);
	assert_non_null(strstr(one, "\\"));
	strbuf_release(&out);
	free(one);
}

/* A file that cannot be opened stops the walk, on any number of threads,
 * with an error naming it. */
static void unreadable_file_is_named(void **state)
{
	struct sha256sums_count c;
	struct err e = ERR_INIT;
	char *want = xstrfmt("cannot open %s/data/new/d17/f05: Permission denied", root);
	(void)state;
	assert_false(linked(17, 5)); /* read, not taken over */
	setenv("BR_FAULT_FAIL", "sha256sums.open.data/new/d17/f05", 1);
	for (int threads = 1; threads <= 8; threads *= 2) {
		assert_int_equal(write_list(threads, "bad.sums", &c, NULL, NULL, &e), -1);
		assert_non_null(e.msg);
		if (strcmp(e.msg, want))
			fail_msg("%d threads: \"%s\", wanted \"%s\"", threads, e.msg, want);
		err_clear(&e);
		char *partial = xstrfmt("%s/bad.sums.partial", root), *final = xstrfmt("%s/bad.sums", root);
		assert_int_equal(access(partial, F_OK), -1);
		assert_int_equal(access(final, F_OK), -1);
		free(partial);
		free(final);
	}
	unsetenv("BR_FAULT_FAIL");
	free(want);

	/* without root's rights, the real thing: a file of mode 000 */
	if (geteuid() != 0) {
		char *p = xstrfmt("%s/data/new/d09/f04", root);
		want = xstrfmt("cannot open %s: Permission denied", p);
		assert_false(linked(9, 4));
		assert_int_equal(chmod(p, 0), 0);
		assert_int_equal(write_list(4, "bad.sums", &c, NULL, NULL, &e), -1);
		assert_string_equal(e.msg, want);
		err_clear(&e);
		assert_int_equal(chmod(p, 0600), 0);
		free(want);
		free(p);
	}
}

/* A cancel (SIGTERM) stops the walk and says so. */
static void cancel_stops_the_walk(void **state)
{
	struct sha256sums_count c;
	struct err e = ERR_INIT;
	(void)state;
	for (int threads = 1; threads <= 4; threads += 3) {
		struct watch w = { .caller = pthread_self(), .cancel_after = 5 };
		struct report r = { .progress = watch_progress, .cancelled = watch_cancelled, .ctx = &w };
		assert_int_equal(write_list(threads, "stop.sums", &c, NULL, &r, &e), -1);
		assert_non_null(strstr(e.msg, "aborted: stopped by SIGTERM"));
		assert_true(c.files < n_files);
		assert_false(w.other_thread);
		err_clear(&e);
	}
}

/* Tasks of this process (/proc/self/task), at the moment. */
static int tasks_now(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

struct tasks {
	int most;
};

static int count_tasks(void *ctx)
{
	struct tasks *t = ctx;
	int n = tasks_now();
	if (n > t->most)
		t->most = n;
	return 0;
}

/* With threads 0 the walk hashes on the CPUs the process may run on: its
 * affinity mask (taskset -c 0: one thread, the caller's), not the online
 * CPUs.  Skipped on a machine with one CPU online. */
static void threads_follow_the_affinity_mask(void **state)
{
	cpu_set_t all, one;
	struct tasks t = { 0 };
	struct report r = { .cancelled = count_tasks, .ctx = &t };
	struct sha256sums_count c;
	struct err e = ERR_INIT;
	int base;
	(void)state;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || sched_getaffinity(0, sizeof all, &all) < 0 ||
	    CPU_COUNT(&all) < 2)
		skip();
	CPU_ZERO(&one);
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &all)) {
			CPU_SET(i, &one);
			break;
		}
	assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
	/* the tasks before the walk: the test's thread, and a sanitizer's
	 * own (ThreadSanitizer runs one) */
	base = tasks_now();
	assert_int_equal(write_list(0, "affinity.sums", &c, NULL, &r, &e), 0);
	assert_int_equal(sched_setaffinity(0, sizeof all, &all), 0);
	assert_int_equal(c.files, n_files);
	if (t.most != base)
		fail_msg("under an affinity mask of one CPU the walk ran %d threads beside the %d before it",
			 t.most - base, base);
}

/* fault hook: at the open of data/swap/b, a FIFO takes its place */
static void fifo_over_b(const char *name, void *ctx)
{
	(void)ctx;
	if (!strcmp(name, "sha256sums.open.data/swap/b")) {
		char *fifo = xstrfmt("%s/fifo", root), *b = xstrfmt("%s/data/swap/b", root);
		assert_int_equal(mkfifo(fifo, 0600), 0);
		assert_int_equal(rename(fifo, b), 0);
		free(fifo);
		free(b);
	}
}

/* A file that becomes a FIFO between its stat and its open (the hook at
 * the fault point there) is left out as one replaced since the directory
 * was read, on one thread and on two: the open does not wait for a writer
 * that never comes (a hang, which the alarm turns into a failure). */
static void fifo_swapped_in_before_the_open_is_left_out(void **state)
{
	struct sha256sums_count c;
	struct err e = ERR_INIT;
	(void)state;
	make_dir("data/swap");
	for (int threads = 1; threads <= 2; threads++) {
		struct sha256sums s;
		char *list = xstrfmt("%s/swap.sums", root), *text;
		char *b = xstrfmt("%s/data/swap/b", root);
		unlink(b);
		put_bytes("data/swap/a", 64 * 1024 + 1, 1);
		put_bytes("data/swap/b", 100, 2);
		memset(&c, 0, sizeof c);
		assert_int_equal(sha256sums_open(&s, root, list, &e), 0);
		s.threads = threads;
		fault_set_hook(fifo_over_b, NULL);
		alarm(60);
		if (sha256sums_add_tree(&s, "data/swap", &c, NULL, &e) < 0)
			fail_msg("%d threads: %s", threads, e.msg);
		alarm(0);
		fault_set_hook(NULL, NULL);
		assert_int_equal(sha256sums_close(&s, &e), 0);
		assert_int_equal(c.files, 1);
		text = slurp(list);
		assert_non_null(strstr(text, "  data/swap/a\n"));
		assert_null(strstr(text, "data/swap/b"));
		free(text);
		free(list);
		free(b);
	}
}

static int setup(void **state)
{
	struct sha256sums s;
	struct sha256sums_count c = { 0 };
	struct err e = ERR_INIT;
	char *list;
	(void)state;
	if (!mkdtemp(root))
		return -1;
	build_tree(&n_files, &n_links);
	/* the earlier backup's list, of data/old */
	list = xstrfmt("%s/old.sums", root);
	if (sha256sums_open(&s, root, list, &e) < 0 || sha256sums_add_tree(&s, "data/old", &c, NULL, &e) < 0 ||
	    sha256sums_close(&s, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	free(list);
	return 0;
}

static int teardown(void **state)
{
	const char *argv[] = { "rm", "-rf", root, NULL };
	struct child_process cp = { 0 };
	struct err e = ERR_INIT;
	int status;
	(void)state;
	cp.argv = argv;
	return runcmd_run(&cp, &status, &e) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parallel_list_is_the_single_threads),
		cmocka_unit_test(unreadable_file_is_named),
		cmocka_unit_test(cancel_stops_the_walk),
		cmocka_unit_test(threads_follow_the_affinity_mask),
		cmocka_unit_test(fifo_swapped_in_before_the_open_is_left_out),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
