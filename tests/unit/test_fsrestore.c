/* Unit tests for fsrestore: a small tree restored from a directory and a
 * tar archive, the replace/merge modes and what must never happen. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "err.h"
#include "fsrestore.h"
#include "report.h"
#include "strbuf.h"

static char *tmp;

static char *P(const char *rel)
{
	static char *last[8];
	static int i;
	i = (i + 1) % 8;
	free(last[i]);
	last[i] = xstrfmt("%s/%s", tmp, rel);
	return last[i];
}

/* P() of a printf-formatted relative path. */
static char *Pf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *Pf(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	char *r;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	r = P(sb.buf);
	strbuf_release(&sb);
	return r;
}

static void put(const char *rel, const char *text, mode_t mode)
{
	int fd = open(P(rel), O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(P(rel), mode), 0);
}

static void set_mtime(const char *rel, time_t sec, long nsec)
{
	struct timespec ts[2] = { { sec, nsec }, { sec, nsec } };
	assert_int_equal(utimensat(AT_FDCWD, P(rel), ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* src/: a.txt (0644), secret (0600, old mtime), sub/ with b and a hardlink,
 * empty/, data-less symlinks to a file and out of the tree. */
static void make_source(void)
{
	assert_int_equal(mkdir(P("src"), 0755), 0);
	assert_int_equal(mkdir(P("src/sub"), 0750), 0);
	assert_int_equal(mkdir(P("src/empty"), 0700), 0);
	put("src/a.txt", "alpha\n", 0644);
	put("src/secret", "s3cret\n", 0600);
	put("src/sub/b", "bravo\n", 0755);
	put("src/x.log", "log\n", 0644);
	assert_int_equal(link(P("src/sub/b"), P("src/sub/b-link")), 0);
	assert_int_equal(symlink("a.txt", P("src/ln")), 0);
	assert_int_equal(symlink("/etc/passwd", P("src/out")), 0);
	set_mtime("src/secret", 1000000000, 123456789);
	set_mtime("src/sub", 1100000000, 0);
	set_mtime("src/empty", 1200000000, 0);
	set_mtime("src", 1300000000, 5);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/test_fsrestore.XXXXXX";
	(void)state;
	assert_non_null(mkdtemp(tmpl));
	tmp = xstrdup(tmpl);
	make_source();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(fsrestore_rmtree(tmp, NULL), 0);
	free(tmp);
	return 0;
}

static int run(const char *src, const char *dst, enum fsrestore_mode mode, const char *carry,
	       const char *const *ex, struct fsrestore_result *res, struct err *e)
{
	struct fsrestore_opts o;
	memset(&o, 0, sizeof o);
	o.source = P(src);
	o.target = P(dst);
	o.mode = mode;
	o.carry = carry;
	o.excludes = ex;
	o.stamp = "20250101_120000";
	return fsrestore_run(&o, NULL, res, e);
}

static void assert_same(const char *a, const char *b)
{
	struct stat sa, sb;
	assert_int_equal(lstat(P(a), &sa), 0);
	assert_int_equal(lstat(P(b), &sb), 0);
	assert_int_equal(sa.st_mode, sb.st_mode);
	if (!S_ISLNK(sa.st_mode)) {
		assert_int_equal(sa.st_mtim.tv_sec, sb.st_mtim.tv_sec);
		assert_int_equal(sa.st_mtim.tv_nsec, sb.st_mtim.tv_nsec);
	}
	if (S_ISREG(sa.st_mode))
		assert_int_equal(sa.st_size, sb.st_size);
}

static void check_tree(const char *dst)
{
	static const char *names[] = { "", "a.txt", "secret", "sub", "sub/b", "sub/b-link", "empty",
				       "ln", "out", NULL };
	struct stat s1, s2;
	char buf[64];
	ssize_t n;
	for (int i = 0; names[i]; i++) {
		char *a = xstrfmt("src/%s", names[i]), *b = xstrfmt("%s/%s", dst, names[i]);
		assert_same(a, b);
		free(a);
		free(b);
	}
	/* hardlink kept as a hardlink */
	assert_int_equal(lstat(Pf("%s/sub/b", dst), &s1), 0);
	assert_int_equal(lstat(Pf("%s/sub/b-link", dst), &s2), 0);
	assert_int_equal(s1.st_ino, s2.st_ino);
	/* symlink kept as a symlink, never followed */
	n = readlink(Pf("%s/out", dst), buf, sizeof buf - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "/etc/passwd");
}

static void directory_source_replaces_new_target(void **state)
{
	struct fsrestore_result res;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(run("src", "dst", FSRESTORE_REPLACE, NULL, NULL, &res, &e), 0);
	check_tree("dst");
	assert_null(res.kept_as);
	assert_int_equal(res.files, 5);
	assert_int_equal(res.dirs, 3);
	assert_int_equal(res.symlinks, 2);
	assert_int_equal(res.differences, 0);
	assert_int_equal(access(P("dst.restoring"), F_OK), -1);
	fsrestore_result_release(&res);
}

static void tar_source_gives_the_same_tree(void **state)
{
	struct archive *a = archive_write_new(), *d = archive_read_disk_new();
	struct archive_entry *ent;
	struct fsrestore_result res;
	struct err e = ERR_INIT;
	char *cwd = getcwd(NULL, 0);
	(void)state;
	/* write src as a pax tar with paths relative to src */
	assert_int_equal(chdir(P("src")), 0);
	archive_write_set_format_pax(a);
	archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_filename(a, P("src.tgz")), ARCHIVE_OK);
	archive_read_disk_set_symlink_physical(d);
	assert_int_equal(archive_read_disk_open(d, "."), ARCHIVE_OK);
	{
		struct archive_entry_linkresolver *lr = archive_entry_linkresolver_new();
		archive_entry_linkresolver_set_strategy(lr, archive_format(a));
		ent = archive_entry_new();
		while (archive_read_next_header2(d, ent) == ARCHIVE_OK) {
			struct archive_entry *w = ent, *spare = NULL;
			const void *buf;
			size_t sz;
			la_int64_t off;
			archive_read_disk_descend(d);
			archive_entry_linkify(lr, &w, &spare);
			assert_true(archive_write_header(a, w) >= ARCHIVE_WARN);
			if (archive_entry_size(w) > 0)
				while (archive_read_data_block(d, &buf, &sz, &off) == ARCHIVE_OK)
					archive_write_data(a, buf, sz);
		}
		archive_entry_free(ent);
		archive_entry_linkresolver_free(lr);
	}
	archive_read_free(d);
	archive_write_free(a);
	assert_int_equal(chdir(cwd), 0);
	free(cwd);
	assert_int_equal(run("src.tgz", "dst", FSRESTORE_REPLACE, NULL, NULL, &res, &e), 0);
	check_tree("dst");
	fsrestore_result_release(&res);
}

static void replace_keeps_old_tree_and_carries_data(void **state)
{
	struct fsrestore_result res;
	struct err e = ERR_INIT;
	const char *ex[] = { "data", "*.log", NULL };
	(void)state;
	assert_int_equal(mkdir(P("dst"), 0755), 0);
	assert_int_equal(mkdir(P("dst/data"), 0700), 0);
	put("dst/data/live.pdf", "live\n", 0600);
	put("dst/old.txt", "old\n", 0644);
	assert_int_equal(run("src", "dst", FSRESTORE_REPLACE, "data", ex, &res, &e), 0);
	check_tree("dst");
	assert_string_equal(res.kept_as, P("dst.pre-restore-20250101_120000"));
	/* the live datadir moved into the new tree, the old files kept aside */
	assert_int_equal(access(P("dst/data/live.pdf"), F_OK), 0);
	assert_int_equal(access(P("dst/x.log"), F_OK), -1);
	assert_int_equal(access(P("dst.pre-restore-20250101_120000/old.txt"), F_OK), 0);
	assert_int_equal(access(P("dst.pre-restore-20250101_120000/data"), F_OK), -1);
	assert_int_equal(res.excluded, 1);
	fsrestore_result_release(&res);
}

static void merge_writes_into_existing_tree(void **state)
{
	struct fsrestore_result res;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(mkdir(P("dst"), 0755), 0);
	put("dst/keep.txt", "keep\n", 0644);
	put("dst/a.txt", "different content\n", 0666);
	assert_int_equal(run("src", "dst", FSRESTORE_MERGE, NULL, NULL, &res, &e), 0);
	assert_same("src/a.txt", "dst/a.txt");
	assert_same("src/secret", "dst/secret");
	assert_int_equal(access(P("dst/keep.txt"), F_OK), 0);
	assert_null(res.kept_as);
	fsrestore_result_release(&res);
}

static void failure_leaves_target_untouched(void **state)
{
	struct fsrestore_result res;
	struct err e = ERR_INIT;
	char junk[4096];
	int fd;
	(void)state;
	assert_int_equal(mkdir(P("dst"), 0755), 0);
	put("dst/old.txt", "old\n", 0644);
	/* a truncated gzip stream */
	memset(junk, 'A', sizeof junk);
	fd = open(P("bad.tgz"), O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write(fd, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10), 10);
	assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
	close(fd);
	assert_int_equal(run("bad.tgz", "dst", FSRESTORE_REPLACE, NULL, NULL, &res, &e), -1);
	assert_non_null(e.msg);
	err_clear(&e);
	assert_int_equal(access(P("dst/old.txt"), F_OK), 0);
	assert_int_equal(access(P("dst.restoring"), F_OK), -1);
	assert_int_equal(access(P("dst.pre-restore-20250101_120000"), F_OK), -1);
	fsrestore_result_release(&res);
}

static int cancel_now(void *ctx)
{
	(void)ctx;
	return 1;
}

static void cancel_removes_staging(void **state)
{
	struct fsrestore_opts o;
	struct fsrestore_result res;
	struct report r;
	struct err e = ERR_INIT;
	(void)state;
	memset(&o, 0, sizeof o);
	memset(&r, 0, sizeof r);
	r.cancelled = cancel_now;
	assert_int_equal(mkdir(P("dst"), 0755), 0);
	o.source = P("src");
	o.target = P("dst");
	assert_int_equal(fsrestore_run(&o, &r, &res, &e), -1);
	assert_non_null(strstr(e.msg, "aborted"));
	err_clear(&e);
	assert_int_equal(access(P("dst.restoring"), F_OK), -1);
	assert_int_equal(access(P("dst"), F_OK), 0);
	fsrestore_result_release(&res);
}

static void hostile_names_are_refused(void **state)
{
	char *out;
	const char *why;
	(void)state;
	assert_int_equal(fsrestore_clean_name("/etc/passwd", &out, &why), 0);
	assert_int_equal(fsrestore_clean_name("a/../../x", &out, &why), 0);
	assert_int_equal(fsrestore_clean_name("..\\x", &out, &why), 0);
	assert_int_equal(fsrestore_clean_name("C:/x", &out, &why), 0);
	assert_int_equal(fsrestore_clean_name("\\\\srv\\share", &out, &why), 0);
	assert_int_equal(fsrestore_clean_name("./a//b/./c", &out, &why), 1);
	assert_string_equal(out, "a/b/c");
	free(out);
	assert_int_equal(fsrestore_clean_name("./", &out, &why), 1);
	assert_string_equal(out, "");
	free(out);
}

static void set_owner_adds_user_rwx_without_following_links(void **state)
{
	struct err e = ERR_INIT;
	struct stat st;
	(void)state;
	assert_int_equal(chmod(P("src/a.txt"), 0444), 0);
	assert_int_equal(fsrestore_set_owner(P("src"), getuid(), getgid(), NULL, &e), 0);
	assert_int_equal(stat(P("src/a.txt"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(stat(P("src/sub/b"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	assert_int_equal(stat(P("src/empty"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat("/etc/passwd", &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644); /* never followed */
}

static void dry_run_only_counts(void **state)
{
	struct fsrestore_opts o;
	struct fsrestore_result res;
	struct err e = ERR_INIT;
	(void)state;
	memset(&o, 0, sizeof o);
	o.source = P("src");
	o.target = P("dst");
	o.dry_run = 1;
	assert_int_equal(fsrestore_run(&o, NULL, &res, &e), 0);
	assert_int_equal(res.files, 5);
	assert_int_equal(access(P("dst"), F_OK), -1);
	fsrestore_result_release(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(directory_source_replaces_new_target, setup, teardown),
		cmocka_unit_test_setup_teardown(tar_source_gives_the_same_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(replace_keeps_old_tree_and_carries_data, setup, teardown),
		cmocka_unit_test_setup_teardown(merge_writes_into_existing_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(failure_leaves_target_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(cancel_removes_staging, setup, teardown),
		cmocka_unit_test(hostile_names_are_refused),
		cmocka_unit_test_setup_teardown(set_owner_adds_user_rwx_without_following_links, setup, teardown),
		cmocka_unit_test_setup_teardown(dry_run_only_counts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
