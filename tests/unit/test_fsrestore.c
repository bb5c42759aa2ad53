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
#include <pwd.h>
#include <dirent.h>
#include <signal.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "err.h"
#include "fsrestore.h"
#include "magic.h"
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

/* run() restores with o.keep_special_modes set to this */
static int keep_modes;

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
	o.keep_special_modes = keep_modes;
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

/* FSRESTORE_SNAPSHOT into a new directory, linked to an earlier one: a
 * file unchanged since then (size, mtime, mode) is a hard link to it, a
 * changed, re-moded or new one a copy; the hardlink pair inside the source
 * stays a pair; the earlier snapshot is not touched; a target that exists
 * is refused. */
static void snapshot_links_unchanged_files_to_the_earlier_one(void **state)
{
	struct fsrestore_opts o;
	struct fsrestore_result res;
	struct err e = ERR_INIT;
	struct stat a, b;
	char *src = xstrdup(P("src")), *snap1 = xstrdup(P("snap1")), *snap2 = xstrdup(P("snap2"));
	(void)state; /* P()'s strings do not live long enough for o */
	memset(&o, 0, sizeof o);
	o.source = src;
	o.target = snap1;
	o.mode = FSRESTORE_SNAPSHOT;
	o.keep_special_modes = 1;
	if (fsrestore_run(&o, NULL, &res, &e) < 0)
		fail_msg("%s", e.msg);
	check_tree("snap1");
	assert_int_equal(res.linked, 0);
	fsrestore_result_release(&res);

	put("src/a.txt", "alpha, changed\n", 0644);          /* content and size */
	assert_int_equal(chmod(P("src/secret"), 0640), 0); /* mode only */
	put("src/new", "new\n", 0644);
	o.target = snap2;
	o.link_dest = snap1;
	assert_int_equal(fsrestore_run(&o, NULL, &res, &e), 0);
	check_tree("snap2");
	assert_int_equal(res.files, 6);
	assert_int_equal(res.linked, 2); /* sub/b (with b-link after it) and x.log */
	assert_int_equal(res.differences, 0);
	fsrestore_result_release(&res);
	assert_int_equal(lstat(P("snap1/x.log"), &a), 0);
	assert_int_equal(lstat(P("snap2/x.log"), &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(lstat(P("snap1/sub/b"), &a), 0);
	assert_int_equal(lstat(P("snap2/sub/b-link"), &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	for (int i = 0; i < 2; i++) {
		const char *f = i ? "secret" : "a.txt";
		assert_int_equal(lstat(Pf("snap1/%s", f), &a), 0);
		assert_int_equal(lstat(Pf("snap2/%s", f), &b), 0);
		assert_int_not_equal(a.st_ino, b.st_ino);
	}
	assert_int_equal(a.st_mode & 07777, 0600); /* snap1's secret as it was */
	assert_int_equal(lstat(P("snap2/new"), &b), 0);

	assert_int_equal(fsrestore_run(&o, NULL, &res, &e), -1);
	assert_non_null(strstr(e.msg, "exists already"));
	err_clear(&e);
	fsrestore_result_release(&res);
	free(src);
	free(snap1);
	free(snap2);
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

/* One big file: the copy reports progress while its bytes move (a
 * copy_file_range() call of up to 1 GiB showed nothing for minutes in line
 * mode).  The fake clock lets every report pass the throttle. */
static int64_t fake_ns;
static int64_t fake_clock(void)
{
	return fake_ns += 200000000;
}

static unsigned big_reports;
static uint64_t big_last;
static void count_big(void *ctx, const struct progress *p)
{
	(void)ctx;
	if (p->phase && !strcmp(p->phase, "copying") && p->current && !strcmp(p->current, "big") &&
	    p->done_bytes > big_last) {
		big_reports++;
		big_last = p->done_bytes;
	}
}

static void one_big_file_reports_progress_while_it_is_copied(void **state)
{
	static char chunk[1 << 16];
	struct fsrestore_opts o;
	struct fsrestore_result res;
	struct report r;
	struct err e = ERR_INIT;
	int fd;
	(void)state;
	memset(chunk, 'x', sizeof chunk);
	assert_int_equal(mkdir(P("big-src"), 0755), 0);
	fd = open(P("big-src/big"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	for (int i = 0; i < 512; i++) /* 32 MiB */
		assert_int_equal(write(fd, chunk, sizeof chunk), (ssize_t)sizeof chunk);
	assert_int_equal(close(fd), 0);
	report_set_clock(fake_clock);
	for (int checksum = 0; checksum <= 1; checksum++) {
		memset(&o, 0, sizeof o);
		memset(&r, 0, sizeof r);
		r.progress = count_big;
		big_reports = 0;
		big_last = 0;
		o.source = P("big-src");
		o.target = P(checksum ? "big-dst2" : "big-dst1");
		o.checksum = checksum;
		assert_int_equal(fsrestore_run(&o, &r, &res, &e), 0);
		fsrestore_result_release(&res);
		/* 32 reports at 1 MiB each; some slack for the reports that
		 * fall on a file's end */
		if (big_reports < 24)
			fail_msg("%s: %u progress reports while the 32 MiB file was copied, "
				 "want one a MiB", checksum ? "--checksum" : "copy_file_range",
				 big_reports);
	}
	report_set_clock(NULL);
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

static void merge_updates_directory_modes_and_times(void **state)
{
	struct fsrestore_result res;
	struct err e = ERR_INIT;
	(void)state;
	assert_int_equal(mkdir(P("dst"), 0777), 0);
	assert_int_equal(mkdir(P("dst/sub"), 0700), 0);
	assert_int_equal(chmod(P("dst/sub"), 0700), 0);
	assert_int_equal(run("src", "dst", FSRESTORE_MERGE, NULL, NULL, &res, &e), 0);
	/* like rsync -a: an existing directory gets the source's mode and mtime */
	assert_same("src/sub", "dst/sub");
	assert_same("src", "dst");
	assert_int_equal(res.differences, 0);
	fsrestore_result_release(&res);
}

static void add_tar_file(struct archive *a, const char *name, const char *uname, int64_t uid,
			 const char *gname, int64_t gid)
{
	struct archive_entry *ent = archive_entry_new();
	archive_entry_set_pathname(ent, name);
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_entry_set_perm(ent, 0640);
	archive_entry_set_size(ent, 3);
	archive_entry_set_mtime(ent, 1500000000, 0);
	archive_entry_set_uid(ent, uid);
	archive_entry_set_gid(ent, gid);
	archive_entry_set_uname(ent, uname);
	archive_entry_set_gname(ent, gname);
	assert_int_equal(archive_write_header(a, ent), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, "abc", 3), 3);
	archive_entry_free(ent);
}

static void owner_by_name_falls_back_to_number(void **state)
{
	struct archive *a;
	struct fsrestore_result res;
	struct err e = ERR_INIT;
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = getgrnam("nogroup");
	uid_t nobody = pw ? pw->pw_uid : 4242;
	gid_t nogroup = gr ? gr->gr_gid : 4242;
	struct stat st;
	(void)state;
	if (geteuid() != 0 || !pw || !gr || getpwnam("no-such-user-zz") || nobody == 4242 ||
	    nogroup == 4242) {
		skip();
		return;
	}
	a = archive_write_new();
	archive_write_set_format_pax(a);
	assert_int_equal(archive_write_open_filename(a, P("own.tar")), ARCHIVE_OK);
	/* the name wins over the number, as rsync maps them */
	add_tar_file(a, "byname", "nobody", 4242, "nogroup", 4242);
	/* an unknown name: the number is kept */
	add_tar_file(a, "bynumber", "no-such-user-zz", 4243, "no-such-group-zz", 4244);
	archive_write_free(a);
	assert_int_equal(run("own.tar", "dst", FSRESTORE_REPLACE, NULL, NULL, &res, &e), 0);
	assert_int_equal(lstat(P("dst/byname"), &st), 0);
	assert_int_equal(st.st_uid, nobody);
	assert_int_equal(st.st_gid, nogroup);
	assert_int_equal(lstat(P("dst/bynumber"), &st), 0);
	assert_int_equal(st.st_uid, 4243);
	assert_int_equal(st.st_gid, 4244);
	fsrestore_result_release(&res);
}

static int log_has_sha;
static void sha_log(void *ctx, enum log_level level, const char *line)
{
	(void)ctx;
	(void)level;
	if (strstr(line, "SHA-256"))
		log_has_sha = 1;
}

static void checksum_verifies_content_of_sparse_and_plain_files(void **state)
{
	struct fsrestore_opts o;
	struct fsrestore_result res;
	struct report r;
	struct err e = ERR_INIT;
	int fd;
	(void)state;
	fd = open(P("src/sparse"), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "middle", 6, 3 << 20), 6);
	assert_int_equal(ftruncate(fd, 8 << 20), 0);
	close(fd);
	memset(&o, 0, sizeof o);
	memset(&r, 0, sizeof r);
	r.log = sha_log;
	o.source = P("src");
	o.target = P("dst");
	o.checksum = 1;
	log_has_sha = 0;
	assert_int_equal(fsrestore_run(&o, &r, &res, &e), 0);
	assert_int_equal(res.differences, 0);
	assert_true(log_has_sha);
	check_tree("dst");
	fsrestore_result_release(&res);
}

static void hardlinks_count_once_in_the_totals(void **state)
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
	/* a.txt 6 + secret 7 + sub/b 6 (sub/b-link is the same inode) + x.log 4 */
	assert_int_equal(res.bytes, 23);
	fsrestore_result_release(&res);
}

/* Write @data as a single-entry raw stream through @filter. */
static void write_raw(const char *path, int (*filter)(struct archive *), const void *data, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ent = archive_entry_new();
	archive_write_set_format_raw(a);
	assert_int_equal(filter(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	archive_entry_set_pathname(ent, "x");
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_entry_set_size(ent, (la_int64_t)n);
	assert_int_equal(archive_write_header(a, ent), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, data, n), (la_ssize_t)n);
	archive_entry_free(ent);
	archive_write_free(a);
}

static void size_estimate_from_gzip_and_xz_trailers(void **state)
{
	size_t n = 3 * 1000 * 1000 + 17;
	char *data = malloc(n);
	uint64_t est = 0;
	int fd;
	(void)state;
	for (size_t i = 0; i < n; i++)
		data[i] = (char)('a' + (i * 7 / 13) % 26);
	write_raw(P("x.gz"), archive_write_add_filter_gzip, data, n);
	assert_int_equal(fsrestore_estimate_size(P("x.gz"), MAGIC_GZIP_TAR, &est), 1);
	assert_int_equal(est, n);
	write_raw(P("x.xz"), archive_write_add_filter_xz, data, n);
	assert_int_equal(fsrestore_estimate_size(P("x.xz"), MAGIC_XZ, &est), 1);
	assert_int_equal(est, n);
	/* a second, tiny member after a big one: the trailer under-states the
	 * size by far, which is noticed and reported as unknown */
	fd = open(P("x.gz"), O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20), 20);
	close(fd);
	assert_int_equal(fsrestore_estimate_size(P("x.gz"), MAGIC_GZIP_TAR, &est), 0);
	/* bzip2 keeps no size */
	write_raw(P("x.bz2"), archive_write_add_filter_bzip2, data, n);
	assert_int_equal(fsrestore_estimate_size(P("x.bz2"), MAGIC_BZIP2, &est), 0);
	free(data);
}

static void remote_sources_are_told_apart_as_rsync_does(void **state)
{
	(void)state;
	assert_true(fsrestore_is_remote("backup-host:/srv/backup/webroot"));
	assert_true(fsrestore_is_remote("user@host:data"));
	assert_false(fsrestore_is_remote("/srv/a:b"));
	assert_false(fsrestore_is_remote("./x:y"));
	assert_false(fsrestore_is_remote(":nohost"));
	assert_false(fsrestore_is_remote("plain"));
}

/* The fetch of a host:path source starts rsync through runcmd: a child
 * of the wizard's worker thread (which blocks SIGTERM and SIGHUP) must not
 * inherit that mask, or a cancel's SIGTERM never ends the fetch; nor may
 * it inherit the SIGPIPE that biso-recover ignores.  A fake rsync on PATH
 * (perl: a shell would clear the mask itself) answers the dry run and
 * prints its masks in the fetch. */
static void fetch_starts_rsync_with_no_signal_blocked(void **state)
{
	const char *path = getenv("PATH");
	char *oldpath = xstrdup(path ? path : "/usr/bin:/bin"), *newpath;
	char *local = NULL;
	struct err e = ERR_INIT;
	sigset_t block, old;
	void (*oldpipe)(int);
	unsigned long long blocked = ~0ULL, ignored = ~0ULL;
	int rc;
	(void)state;
	assert_int_equal(mkdir(P("bin"), 0755), 0);
	put("bin/rsync",
	    "#!/usr/bin/perl\n"
	    "if (grep { $_ eq '--dry-run' } @ARGV) {\n"
	    "  print \"Number of files: 1\\nTotal file size: 0 bytes\\n\";\n"
	    "  print \"Total transferred file size: 0 bytes\\n\"; exit 0;\n"
	    "}\n"
	    "$| = 1; print \"  0   0%    0.00kB/s    0:00:00 (xfr#0, to-chk=0/1)\\r\";\n"
	    "my ($b, $i);\n"
	    "open my $f, '<', '/proc/self/status' or die;\n"
	    "while (<$f>) { $b = $1 if /^SigBlk:\\s*(\\S+)/; $i = $1 if /^SigIgn:\\s*(\\S+)/; }\n"
	    "print STDERR \"blocked $b ignored $i\\n\"; exit 3;\n", 0755);
	newpath = xstrfmt("%s:%s", P("bin"), oldpath);
	setenv("PATH", newpath, 1);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	oldpipe = signal(SIGPIPE, SIG_IGN);
	rc = fsrestore_fetch("backuphost:/srv/webroot", P("fetched"), NULL, 0, 0, NULL, &local, &e);
	signal(SIGPIPE, oldpipe);
	sigprocmask(SIG_SETMASK, &old, NULL);
	setenv("PATH", oldpath, 1);
	assert_int_equal(rc, -1);
	assert_null(local);
	assert_string_equal(e.msg, "rsync could not fetch backuphost:/srv/webroot (exit status 3)");
	assert_non_null(e.detail);
	assert_int_equal(sscanf(e.detail, "blocked %llx ignored %llx", &blocked, &ignored), 2);
	assert_int_equal(blocked, 0);
	assert_int_equal(ignored & (1ULL << (SIGPIPE - 1)), 0);
	err_clear(&e);
	assert_int_equal(fsrestore_rmtree(P("fetched"), &e), 0);
	free(newpath);
	free(oldpath);
}

/* Add one member to the tar being written: a file with @text, a symlink
 * to @link, or a hardlink to @hard. */
static void tar_add(struct archive *a, const char *name, const char *text, const char *link,
		    const char *hard)
{
	struct archive_entry *ent = archive_entry_new();
	archive_entry_set_pathname(ent, name);
	archive_entry_set_mtime(ent, 1500000000, 0);
	if (link) {
		archive_entry_set_filetype(ent, AE_IFLNK);
		archive_entry_set_perm(ent, 0777);
		archive_entry_set_symlink(ent, link);
	} else if (hard) {
		archive_entry_set_filetype(ent, AE_IFREG);
		archive_entry_set_perm(ent, 0644);
		archive_entry_set_hardlink(ent, hard);
	} else if (!text) {
		archive_entry_set_filetype(ent, AE_IFDIR);
		archive_entry_set_perm(ent, 0755);
	} else {
		archive_entry_set_filetype(ent, AE_IFREG);
		archive_entry_set_perm(ent, 0644);
		archive_entry_set_size(ent, (la_int64_t)strlen(text));
	}
	assert_true(archive_write_header(a, ent) >= ARCHIVE_WARN);
	if (text && !link && !hard)
		assert_int_equal(archive_write_data(a, text, strlen(text)), (la_ssize_t)strlen(text));
	archive_entry_free(ent);
}

/* Members that would write through a symlink the archive made itself (to
 * a directory outside, and inside the tree), and a hardlink through one:
 * refused in every mode, nothing written outside; a later directory over
 * the symlink replaces it. */
static void archive_never_writes_through_its_symlinks(void **state)
{
	static const enum fsrestore_mode modes[] = { FSRESTORE_REPLACE, FSRESTORE_MERGE };
	(void)state;
	assert_int_equal(mkdir(P("outside"), 0755), 0);
	put("outside/passwd", "root\n", 0644);
	for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
		struct archive *a = archive_write_new();
		struct fsrestore_result res;
		struct err e = ERR_INIT;
		struct stat st;
		archive_write_set_format_pax(a);
		assert_int_equal(archive_write_open_filename(a, P("evil.tar")), ARCHIVE_OK);
		tar_add(a, "esc", NULL, P("outside"), NULL);
		tar_add(a, "esc/x", "through an absolute link\n", NULL, NULL);
		tar_add(a, "rel", NULL, "../outside", NULL);
		tar_add(a, "rel/y", "through a relative link\n", NULL, NULL);
		tar_add(a, "sub", NULL, NULL, NULL);
		tar_add(a, "in", NULL, "sub", NULL);
		tar_add(a, "in/z", "through a link in the tree\n", NULL, NULL);
		tar_add(a, "h", NULL, NULL, "esc/passwd");
		tar_add(a, "rel", NULL, NULL, NULL); /* a directory replaces the link */
		tar_add(a, "rel/w", "into the new directory\n", NULL, NULL);
		archive_write_free(a);
		if (modes[m] == FSRESTORE_MERGE)
			assert_int_equal(mkdir(P("dst"), 0755), 0);
		assert_int_equal(run("evil.tar", "dst", modes[m], NULL, NULL, &res, &e), 0);
		assert_int_equal(access(P("outside/x"), F_OK), -1);
		assert_int_equal(access(P("outside/y"), F_OK), -1);
		assert_int_equal(access(P("outside/w"), F_OK), -1);
		assert_int_equal(access(P("dst/h"), F_OK), -1);
		assert_int_equal(access(P("dst/sub/z"), F_OK), -1);
		assert_int_equal(lstat(P("outside/passwd"), &st), 0);
		assert_int_equal(st.st_nlink, 1);
		assert_int_equal(lstat(P("dst/esc"), &st), 0);
		assert_true(S_ISLNK(st.st_mode));
		assert_int_equal(lstat(P("dst/rel"), &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_int_equal(access(P("dst/rel/w"), F_OK), 0);
		assert_int_equal(res.skipped, 4);
		fsrestore_result_release(&res);
		assert_int_equal(fsrestore_rmtree(P("dst"), NULL), 0);
	}
}

/* The differences fsrestore_verify() reports, one line each. */
struct diffs {
	int n;
	struct strbuf all;
};

static void collect_diff(void *ctx, const char *rel, const char *what, const char *what_l10n)
{
	struct diffs *d = ctx;
	(void)what_l10n;
	d->n++;
	strbuf_addf(&d->all, "%s: %s\n", rel, what);
}

static int verify_tree(const char *src, const char *dst, int checksum, struct diffs *d,
		       struct fsrestore_result *res)
{
	struct fsrestore_opts o;
	struct err e = ERR_INIT;
	int rc;
	memset(&o, 0, sizeof o);
	o.source = P(src);
	o.target = P(dst);
	o.checksum = checksum;
	d->n = 0;
	strbuf_reset(&d->all);
	rc = fsrestore_verify(&o, collect_diff, d, NULL, res, &e);
	if (rc < 0)
		print_message("fsrestore_verify: %s\n", e.msg);
	err_clear(&e);
	return rc;
}

/* A restored tree verifies clean; then a file with another mode and mtime
 * is one difference naming both, and a hardlink split into two equal
 * files is found although size, mode, mtime and content still match. */
static void verify_names_each_differing_path_once(void **state)
{
	struct fsrestore_result res;
	struct diffs d = { 0, STRBUF_INIT };
	struct err e = ERR_INIT;
	struct stat st, sub;
	struct timespec ts[2];
	(void)state;
	assert_int_equal(run("src", "dst", FSRESTORE_REPLACE, NULL, NULL, &res, &e), 0);
	fsrestore_result_release(&res);
	assert_int_equal(verify_tree("src", "dst", 1, &d, &res), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(res.differences, 0);
	assert_int_equal(res.files, 5);
	assert_int_equal(res.symlinks, 2);

	assert_int_equal(chmod(P("dst/a.txt"), 0600), 0);
	set_mtime("dst/a.txt", 1, 0);
	assert_int_equal(stat(P("src/sub/b"), &st), 0);
	assert_int_equal(stat(P("src/sub"), &sub), 0);
	assert_int_equal(unlink(P("dst/sub/b-link")), 0);
	put("dst/sub/b-link", "bravo\n", 0755);
	ts[0] = ts[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, P("dst/sub/b-link"), ts, 0), 0);
	ts[0] = ts[1] = sub.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, P("dst/sub"), ts, 0), 0);
	assert_int_equal(verify_tree("src", "dst", 1, &d, &res), 0);
	assert_int_equal(d.n, 2);
	assert_int_equal(res.differences, 2);
	{
		/* local time with the zone; with nanoseconds, as the source
		 * time has a fraction */
		char want[128], when[64];
		time_t one = 1;
		struct tm tm;
		assert_non_null(localtime_r(&one, &tm));
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S.000000000 %z", &tm);
		snprintf(want, sizeof want, "a.txt: mode 0600, source 0644; mtime %s, source ", when);
		assert_non_null(strstr(d.all.buf, want));
	}
	assert_non_null(strstr(d.all.buf, ": not a hardlink to "));
	fsrestore_result_release(&res);
	strbuf_release(&d.all);
}

/* Damaged member headers (ARCHIVE_RETRY): the restore reads on to the
 * next good header, as bsdtar and GNU tar do, so the error names every
 * damaged place (two here), not only the first; and, as their exit status
 * does, it fails at the end: nothing is swapped in, the target is kept. */
static void damaged_headers_are_read_past_then_refused(void **state)
{
	struct archive *a = archive_write_new();
	struct fsrestore_result res;
	struct err e = ERR_INIT;
	int fd;
	(void)state;
	archive_write_set_format_ustar(a);
	assert_int_equal(archive_write_open_filename(a, P("dmg.tar")), ARCHIVE_OK);
	tar_add(a, "a", "alpha\n", NULL, NULL);   /* header at 0, data at 512 */
	tar_add(a, "b", "bravo\n", NULL, NULL);   /* header at 1024: damaged below */
	tar_add(a, "c", "charlie\n", NULL, NULL); /* header at 2048 */
	tar_add(a, "d", "delta\n", NULL, NULL);   /* header at 3072: damaged below */
	tar_add(a, "e", "echo\n", NULL, NULL);
	archive_write_free(a);
	fd = open(P("dmg.tar"), O_WRONLY);
	assert_true(fd >= 0);
	/* a byte of each name: the header checksums no longer fit */
	assert_int_equal(pwrite(fd, "X", 1, 1024), 1);
	assert_int_equal(pwrite(fd, "X", 1, 3072), 1);
	close(fd);
	assert_int_equal(mkdir(P("dst"), 0755), 0);
	put("dst/marker", "old\n", 0644);
	assert_int_equal(run("dmg.tar", "dst", FSRESTORE_REPLACE, NULL, NULL, &res, &e), -1);
	assert_non_null(e.msg);
	assert_non_null(strstr(e.msg, "2 damaged places, the first at byte 1024"));
	assert_non_null(e.detail);
	assert_int_equal(res.warnings, 2);
	err_clear(&e);
	assert_int_equal(access(P("dst/marker"), F_OK), 0);
	assert_int_equal(access(P("dst.restoring"), F_OK), -1);
	fsrestore_result_release(&res);
}

/* An archive need not list the directories above its members: those the
 * restore made are no extras, a file added to them is one. */
static void verify_archive_without_directory_entries(void **state)
{
	struct archive *a = archive_write_new();
	struct fsrestore_result res;
	struct diffs d = { 0, STRBUF_INIT };
	struct err e = ERR_INIT;
	(void)state;
	archive_write_set_format_pax(a);
	assert_int_equal(archive_write_open_filename(a, P("flat.tar")), ARCHIVE_OK);
	tar_add(a, "d1/d2/f", "deep\n", NULL, NULL);
	tar_add(a, "top", "top\n", NULL, NULL);
	archive_write_free(a);
	assert_int_equal(run("flat.tar", "dst", FSRESTORE_REPLACE, NULL, NULL, &res, &e), 0);
	fsrestore_result_release(&res);
	assert_int_equal(verify_tree("flat.tar", "dst", 1, &d, &res), 0);
	assert_int_equal(d.n, 0);
	put("dst/d1/extra", "x\n", 0644);
	assert_int_equal(verify_tree("flat.tar", "dst", 0, &d, &res), 0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.all.buf, "d1/extra: not in the source (a file)\n");
	fsrestore_result_release(&res);
	strbuf_release(&d.all);
}

/* Write a tar of @n files of @size pseudo-random-ish bytes as @path,
 * through @filter (NULL: none). */
static void write_big_tar(const char *path, int (*filter)(struct archive *), int n, size_t size)
{
	struct archive *a = archive_write_new();
	char *data = malloc(size);
	uint32_t x = 12345;
	assert_non_null(data);
	archive_write_set_format_pax(a);
	if (filter)
		assert_int_equal(filter(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (int i = 0; i < n; i++) {
		struct archive_entry *ent = archive_entry_new();
		char name[32];
		for (size_t k = 0; k < size; k++) {
			x = x * 1103515245 + 12345;
			data[k] = (char)('a' + (x >> 16) % 8);
		}
		snprintf(name, sizeof name, "d%d/f%d", i % 3, i);
		archive_entry_set_pathname(ent, name);
		archive_entry_set_filetype(ent, AE_IFREG);
		archive_entry_set_perm(ent, 0640);
		archive_entry_set_mtime(ent, 1500000000 + i, 1000 * i);
		archive_entry_set_size(ent, (la_int64_t)size);
		assert_int_equal(archive_write_header(a, ent), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, data, size), (la_ssize_t)size);
		archive_entry_free(ent);
	}
	archive_write_free(a);
	free(data);
}

/* Compressed archives are inflated ahead in a reader thread: a tar cut
 * into two gzip members, and bzip2, give the whole tree; a stream damaged
 * in the middle (long after the first blocks went through the ring) stops
 * the restore with the filter's error and leaves the target as it was. */
static void compressed_archives_through_the_reader_thread(void **state)
{
	struct fsrestore_result res;
	struct err e = ERR_INIT;
	struct stat st;
	char *cmd;
	(void)state;
	write_big_tar(P("big.tar"), NULL, 24, 300 * 1000);
	/* two gzip members: gzip's own -c output of each half, concatenated */
	cmd = xstrfmt("cd %s && head -c 3000000 big.tar | gzip -1 > two.tgz && "
		      "tail -c +3000001 big.tar | gzip -1 >> two.tgz", tmp);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(run("two.tgz", "dst", FSRESTORE_REPLACE, NULL, NULL, &res, &e), 0);
	assert_int_equal(res.files, 24);
	assert_int_equal(res.differences, 0);
	assert_int_equal(stat(P("dst/d2/f23"), &st), 0);
	assert_int_equal(st.st_size, 300 * 1000);
	assert_int_equal(st.st_mtim.tv_nsec, 23000);
	fsrestore_result_release(&res);
	assert_int_equal(fsrestore_rmtree(P("dst"), NULL), 0);

	write_big_tar(P("big.tbz"), archive_write_add_filter_bzip2, 24, 300 * 1000);
	assert_int_equal(run("big.tbz", "dst", FSRESTORE_REPLACE, NULL, NULL, &res, &e), 0);
	assert_int_equal(res.files, 24);
	fsrestore_result_release(&res);

	/* damage the deflate data in the middle of the second member */
	cmd = xstrfmt("cd %s && head -c 3000000 big.tar | gzip -1 > bad.tgz && "
		      "tail -c +3000001 big.tar | gzip -1 > b2.gz && "
		      "head -c 200000 b2.gz >> bad.tgz && head -c 5000 /dev/zero | tr '\\0' '\\377' >> bad.tgz && "
		      "tail -c +205001 b2.gz >> bad.tgz", tmp);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	put("dst/marker", "old\n", 0644);
	assert_int_equal(run("bad.tgz", "dst", FSRESTORE_REPLACE, NULL, NULL, &res, &e), -1);
	assert_non_null(e.msg);
	assert_non_null(e.detail);
	err_clear(&e);
	assert_int_equal(access(P("dst/marker"), F_OK), 0);
	assert_int_equal(access(P("dst.restoring"), F_OK), -1);
	fsrestore_result_release(&res);
}

static int cancel_after_some(void *ctx)
{
	int *n = ctx;
	return ++*n > 40;
}

/* Cancelling part way through a compressed archive stops the reader
 * thread (blocked on a full ring) and removes the staging tree. */
static void cancel_stops_the_reader_thread(void **state)
{
	struct fsrestore_opts o;
	struct fsrestore_result res;
	struct report r;
	struct err e = ERR_INIT;
	int n = 0;
	(void)state;
	write_big_tar(P("big.tgz"), archive_write_add_filter_gzip, 40, 200 * 1000);
	memset(&o, 0, sizeof o);
	memset(&r, 0, sizeof r);
	r.cancelled = cancel_after_some;
	r.ctx = &n;
	o.source = P("big.tgz");
	o.target = P("dst");
	assert_int_equal(fsrestore_run(&o, &r, &res, &e), -1);
	assert_non_null(strstr(e.msg, "aborted"));
	err_clear(&e);
	assert_int_equal(access(P("dst.restoring"), F_OK), -1);
	assert_int_equal(access(P("dst"), F_OK), -1);
	fsrestore_result_release(&res);
}

/* The directory copier (replace mode): a sparse file stays sparse, a
 * read-only file in a read-only directory, set-id and sticky modes and a
 * hardlink in another directory come out as the source has them, and the
 * inline verification finds nothing. */
/* Holes, read-only directories and files, hardlinks come back as they
 * were; set-uid/set-gid of files and world-write do not (issue 16.4),
 * unless keep_special_modes. */
static void directory_copy_keeps_sparse_readonly_clears_setid(void **state)
{
	struct fsrestore_result res;
	struct err e = ERR_INIT;
	struct stat st;
	int fd;
	(void)state;
	fd = open(P("src/sparse"), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "middle", 6, 5 << 20), 6);
	assert_int_equal(ftruncate(fd, 16 << 20), 0);
	close(fd);
	assert_int_equal(mkdir(P("src/ro"), 0755), 0);
	put("src/ro/file", "read only\n", 0400);
	assert_int_equal(link(P("src/a.txt"), P("src/ro/a-link")), 0);
	assert_int_equal(chmod(P("src/ro"), 0555), 0);
	put("src/setid", "#!/bin/sh\n", 0755);
	assert_int_equal(chmod(P("src/setid"), geteuid() == 0 ? 06755 : 0751), 0);
	assert_int_equal(mkdir(P("src/sticky"), 0755), 0);
	assert_int_equal(chmod(P("src/sticky"), geteuid() == 0 ? 01777 : 0711), 0);
	set_mtime("src/ro", 1400000000, 999999999);
	assert_int_equal(run("src", "dst", FSRESTORE_REPLACE, NULL, NULL, &res, &e), 0);
	assert_int_equal(res.differences, 0);
	check_tree("dst");
	assert_same("src/sparse", "dst/sparse");
	assert_int_equal(stat(P("dst/sparse"), &st), 0);
	assert_true(st.st_blocks * 512 < 1 << 20);
	assert_same("src/ro", "dst/ro");
	assert_same("src/ro/file", "dst/ro/file");
	assert_int_equal(lstat(P("dst/setid"), &st), 0);
	assert_int_equal(st.st_mode & 07777, geteuid() == 0 ? 0755 : 0751);
	assert_int_equal(lstat(P("dst/sticky"), &st), 0);
	assert_int_equal(st.st_mode & 07777, geteuid() == 0 ? 01775 : 0711);
	assert_int_equal(res.modes_changed, geteuid() == 0 ? 2 : 0);
	{
		struct stat a, b;
		assert_int_equal(lstat(P("dst/a.txt"), &a), 0);
		assert_int_equal(lstat(P("dst/ro/a-link"), &b), 0);
		assert_int_equal(a.st_ino, b.st_ino);
	}
	assert_int_equal(res.files, 9);
	fsrestore_result_release(&res);
	/* as bsdtar -p: the modes of the backup */
	keep_modes = 1;
	assert_int_equal(run("src", "dst2", FSRESTORE_REPLACE, NULL, NULL, &res, &e), 0);
	keep_modes = 0;
	assert_int_equal(res.differences, 0);
	assert_int_equal(res.modes_changed, 0);
	assert_same("src/setid", "dst2/setid");
	assert_same("src/sticky", "dst2/sticky");
	fsrestore_result_release(&res);
	assert_int_equal(chmod(P("src/ro"), 0755), 0);
	assert_int_equal(chmod(P("dst/ro"), 0755), 0);
	assert_int_equal(chmod(P("dst2/ro"), 0755), 0);
}

/* A formatted relative path (the last 8 stay valid). */
static const char *R(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *R(const char *fmt, ...)
{
	static char last[8][128];
	static int i;
	va_list ap;
	i = (i + 1) % 8;
	va_start(ap, fmt);
	vsnprintf(last[i], sizeof last[i], fmt, ap);
	va_end(ap);
	return last[i];
}

/* Number of open fds of this process. */
static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* The copier opens the next files of a directory ahead of the one it
 * copies (fsrestore_copy.c, reading ahead): every name must still get its
 * own content across subdirectories in between (the fds read ahead are
 * dropped before descending), excluded files, symlinks, hardlinks and the
 * end of a 4,096-entry batch, and no fd may stay open. */
static int plain_file(int i)
{
	return !(i % 97 == 5 || i % 89 == 3 || i % 83 == 7 || i % 79 == 11);
}

/* The plain file before @i. */
static int plain_before(int i)
{
	while (!plain_file(--i))
		;
	return i;
}

static void directory_copy_reads_ahead_the_right_files(void **state)
{
	static const char *const ex[] = { "*.skip", NULL };
	struct fsrestore_result res;
	struct err e = ERR_INIT;
	struct strbuf want = STRBUF_INIT;
	int fds = open_fds(), files = 0;
	(void)state;
	assert_int_equal(mkdir(P("src/many"), 0755), 0);
	for (int i = 0; i < 4300; i++) {
		strbuf_reset(&want);
		for (int j = 0; j <= i % 37; j++)
			strbuf_addf(&want, "many/f%d ", i);
		if (i % 97 == 5) {
			assert_int_equal(mkdir(Pf("src/many/d%d", i), 0755), 0);
			for (int j = 0; j < 70; j++, files++)
				put(R("src/many/d%d/g%d", i, j), R("d%d/g%d", i, j), 0644);
		} else if (i % 89 == 3) {
			put(R("src/many/f%d.skip", i), want.buf, 0644);
		} else if (i % 83 == 7) {
			assert_int_equal(symlink(R("f%d", i - 1), Pf("src/many/l%d", i)), 0);
		} else if (i % 79 == 11) {
			assert_int_equal(link(Pf("src/many/f%d", plain_before(i)), Pf("src/many/h%d", i)), 0);
			files++;
		} else {
			put(R("src/many/f%d", i), want.buf, i % 2 ? 0644 : 0600);
			files++;
		}
	}
	assert_int_equal(run("src", "dst", FSRESTORE_REPLACE, NULL, ex, &res, &e), 0);
	assert_int_equal(res.differences, 0);
	assert_int_equal(res.files, 5 + files);
	assert_int_equal(open_fds(), fds);
	for (int i = 0; i < 4300; i++) {
		struct stat st;
		char *got;
		size_t n;
		FILE *f;
		if (i % 97 == 5) {
			for (int j = 0; j < 70; j++) {
				f = fopen(Pf("dst/many/d%d/g%d", i, j), "r");
				assert_non_null(f);
				got = xcalloc(1, 64);
				n = fread(got, 1, 63, f);
				fclose(f);
				assert_true(n > 0);
				strbuf_reset(&want);
				strbuf_addf(&want, "d%d/g%d", i, j);
				assert_string_equal(got, want.buf);
				free(got);
			}
			continue;
		}
		if (i % 89 == 3) {
			assert_int_equal(lstat(Pf("dst/many/f%d.skip", i), &st), -1);
			continue;
		}
		if (i % 83 == 7) {
			assert_int_equal(lstat(Pf("dst/many/l%d", i), &st), 0);
			assert_true(S_ISLNK(st.st_mode));
			continue;
		}
		if (i % 79 == 11) {
			struct stat a;
			assert_int_equal(lstat(Pf("dst/many/h%d", i), &st), 0);
			assert_int_equal(lstat(Pf("dst/many/f%d", plain_before(i)), &a), 0);
			assert_int_equal(st.st_ino, a.st_ino);
			continue;
		}
		strbuf_reset(&want);
		for (int j = 0; j <= i % 37; j++)
			strbuf_addf(&want, "many/f%d ", i);
		assert_same(R("src/many/f%d", i), R("dst/many/f%d", i));
		f = fopen(Pf("dst/many/f%d", i), "r");
		assert_non_null(f);
		got = xcalloc(1, want.len + 2);
		n = fread(got, 1, want.len + 1, f);
		fclose(f);
		assert_int_equal(n, want.len);
		assert_string_equal(got, want.buf);
		free(got);
	}
	strbuf_release(&want);
	fsrestore_result_release(&res);
}

/* The threaded copier's tree: 24 folders of 2 subfolders with 12 files
 * each, 30 hardlinked inodes with 2-5 names in different folders (one
 * name of every seventh excluded, so its count never runs out), a chain
 * of 40 nested folders with a name of inode 0 at its bottom, symlinks and
 * empty folders. */
#define MT_DIRS 24
#define MT_GROUPS 30
static int mt_names(int g)
{
	return 2 + g % 4 + (g % 7 == 0);
}

static const char *mt_name(const char *root, int g, int j)
{
	if (g == 0 && j == mt_names(0) - 1)
		return R("%s/deep%s/h0", root, "/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n/n");
	return R("%s/d%02d/h%d-%d%s", root, (g + 7 * j) % MT_DIRS, g, j,
		 g % 7 == 0 && j == 1 ? ".skip" : "");
}

static void make_mt_source(void)
{
	struct strbuf deep = STRBUF_INIT;
	assert_int_equal(mkdir(P("mt"), 0755), 0);
	for (int d = 0; d < MT_DIRS; d++) {
		assert_int_equal(mkdir(Pf("mt/d%02d", d), 0755), 0);
		for (int s = 0; s < 2; s++) {
			assert_int_equal(mkdir(Pf("mt/d%02d/s%d", d, s), 0750), 0);
			for (int f = 0; f < 12; f++)
				put(R("mt/d%02d/s%d/f%d", d, s, f), R("file %d/%d/%d\n", d, s, f), 0644);
		}
		assert_int_equal(mkdir(Pf("mt/d%02d/empty", d), 0700), 0);
		assert_int_equal(symlink("s0/f0", Pf("mt/d%02d/ln", d)), 0);
		assert_int_equal(symlink("../../../etc", Pf("mt/d%02d/out", d)), 0); /* a warning */
		put(R("mt/d%02d/x.skip", d), "excluded\n", 0644);
		set_mtime(R("mt/d%02d", d), 1100000000 + d, 7);
	}
	strbuf_addstr(&deep, "mt/deep");
	for (int i = 0; i < 41; i++) {
		assert_int_equal(mkdir(P(deep.buf), 0755), 0);
		strbuf_addstr(&deep, "/n");
	}
	strbuf_release(&deep);
	for (int g = 0; g < MT_GROUPS; g++) {
		char *first;
		put(mt_name("mt", g, 0), R("inode %d\n", g), 0640);
		first = xstrdup(P(mt_name("mt", g, 0)));
		for (int j = 1; j < mt_names(g); j++)
			assert_int_equal(link(first, P(mt_name("mt", g, j))), 0);
		free(first);
	}
}

/* Every inode's names not excluded are one inode in @dst with that many
 * links (twice that many where it is @earlier's inode: a snapshot linked
 * to it; NULL: none), one per inode; the inode numbers go to @ino. */
static void assert_mt_groups(const char *dst_arg, ino_t ino[MT_GROUPS], const ino_t *earlier)
{
	char dst[16]; /* @dst_arg may be R()'s, which mt_name() reuses */
	snprintf(dst, sizeof dst, "%s", dst_arg);
	for (int g = 0; g < MT_GROUPS; g++) {
		struct stat st;
		nlink_t n = 0, links = 0;
		for (int j = 0; j < mt_names(g); j++) {
			const char *name = mt_name(dst, g, j);
			if (strstr(name, ".skip")) {
				assert_int_equal(lstat(P(name), &st), -1);
				continue;
			}
			if (lstat(P(name), &st) < 0)
				fail_msg("%s missing", name);
			if (n++ == 0)
				ino[g] = st.st_ino;
			else if (st.st_ino != ino[g])
				fail_msg("%s: inode %lu, the first name's %lu: the group was split", name,
					 (unsigned long)st.st_ino, (unsigned long)ino[g]);
			links = st.st_nlink;
		}
		assert_int_equal(links, earlier && earlier[g] == ino[g] ? 2 * n : n);
		for (int h = 0; h < g; h++)
			assert_true(ino[h] != ino[g]);
	}
}

/* A report whose callbacks count without locks: under ThreadSanitizer
 * two threads in them at once are a data race. */
struct mt_report {
	unsigned long warns, progress, cancels;
};

static void mt_log(void *ctx, enum log_level level, const char *line)
{
	(void)line;
	if (level == LOG_WARN)
		((struct mt_report *)ctx)->warns++;
}

static void mt_progress(void *ctx, const struct progress *p)
{
	(void)p;
	((struct mt_report *)ctx)->progress++;
}

static int mt_cancelled(void *ctx)
{
	((struct mt_report *)ctx)->cancels++;
	return 0;
}

/* The directory copier with 1, 2 and 4 threads (issues 12 and 17): the
 * same tree and counts each time (hardlink groups whose names lie in
 * folders that different threads copy stay one inode, excludes, deep
 * nesting), no fd left open; then a snapshot linked to the earlier one
 * in 4 threads: unchanged files are the earlier snapshot's inodes, changed
 * ones (a hardlinked inode among them) new ones. */
static void directory_copy_in_threads_keeps_hardlinks(void **state)
{
	static const char *const ex[] = { "*.skip", NULL };
	struct fsrestore_opts o;
	struct fsrestore_result res;
	struct err e = ERR_INIT;
	ino_t ino[MT_GROUPS], ino1[MT_GROUPS];
	uint64_t files = 0, dirs = 0;
	int fds = open_fds();
	char *src, *t;
	(void)state;
	make_mt_source();
	src = xstrdup(P("mt"));
	memset(&o, 0, sizeof o);
	o.source = src;
	o.excludes = ex;
	o.keep_special_modes = 1;
	for (int n = 1; n <= 4; n *= 2) {
		struct mt_report m = { 0, 0, 0 };
		struct report r;
		memset(&r, 0, sizeof r);
		r.log = mt_log;
		r.progress = mt_progress;
		r.cancelled = mt_cancelled;
		r.ctx = &m;
		t = xstrdup(Pf("mt%d", n));
		o.target = t;
		o.threads = n;
		if (fsrestore_run(&o, &r, &res, &e) < 0)
			fail_msg("%d threads: %s", n, e.msg);
		assert_int_equal(res.differences, 0);
		/* the symlinks out of the tree, each logged once */
		assert_int_equal(res.warnings, MT_DIRS);
		assert_int_equal(m.warns, MT_DIRS);
		assert_true(m.progress > 0 && m.cancels > 0);
		assert_int_equal(res.excluded, MT_DIRS + MT_GROUPS / 7 + 1);
		if (n == 1) {
			files = res.files;
			dirs = res.dirs;
			assert_int_equal(dirs, 1 + MT_DIRS * 4 + 41);
		}
		assert_int_equal(res.files, files);
		assert_int_equal(res.dirs, dirs);
		assert_int_equal(res.symlinks, 2 * MT_DIRS);
		assert_mt_groups(R("mt%d", n), ino, NULL);
		for (int d = 0; d < MT_DIRS; d++)
			assert_same(R("mt/d%02d", d), R("mt%d/d%02d", n, d));
		assert_same(R("mt/deep/n/n/n"), R("mt%d/deep/n/n/n", n));
		assert_int_equal(open_fds(), fds);
		fsrestore_result_release(&res);
		free(t);
	}

	/* snapshots: s1, then s2 linked to it after 3 files and inode 4 changed */
	o.mode = FSRESTORE_SNAPSHOT;
	o.threads = 4;
	t = xstrdup(P("s1"));
	o.target = t;
	assert_int_equal(fsrestore_run(&o, NULL, &res, &e), 0);
	assert_mt_groups("s1", ino1, NULL);
	fsrestore_result_release(&res);
	for (int d = 0; d < 3; d++)
		put(R("mt/d%02d/s1/f5", d), "changed, longer\n", 0644);
	put(mt_name("mt", 4, 0), "inode 4, changed\n", 0640);
	o.link_dest = t;
	o.target = xstrdup(P("s2"));
	if (fsrestore_run(&o, NULL, &res, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(res.files, files);
	assert_int_equal(res.differences, 0);
	/* every file but the 3 changed, every inode but inode 4 (an inode's
	 * other names are links to its first) */
	assert_int_equal(res.linked, MT_DIRS * 2 * 12 - 3 + MT_GROUPS - 1);
	assert_mt_groups("s2", ino, ino1);
	for (int g = 0; g < MT_GROUPS; g++)
		if ((g == 4) != (ino[g] != ino1[g]))
			fail_msg("inode %d: %s the earlier snapshot's", g, g == 4 ? "still" : "not");
	for (int d = 0; d < MT_DIRS; d++)
		for (int f = 4; f < 7; f++) {
			struct stat a, b;
			assert_int_equal(lstat(Pf("s1/d%02d/s1/f%d", d, f), &a), 0);
			assert_int_equal(lstat(Pf("s2/d%02d/s1/f%d", d, f), &b), 0);
			if ((d < 3 && f == 5) != (a.st_ino != b.st_ino))
				fail_msg("d%02d/s1/f%d: linked %d", d, f, a.st_ino == b.st_ino);
		}
	assert_int_equal(open_fds(), fds);
	fsrestore_result_release(&res);
	free((char *)o.target);
	free(t);
	free(src);
}


/* The content the parallel extraction test gives member @name (@v: the
 * version of a duplicate), a few bytes to a few KiB. */
static char *px_text(const char *name, int v)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = strlen(name) * 37 % 3000;
	strbuf_addf(&sb, "%s v%d\n", name, v);
	while (sb.len < n)
		strbuf_addf(&sb, "%s line %zu\n", name, sb.len);
	return strbuf_detach(&sb, NULL);
}

/* Assert that the file @dst/@rel holds @want. */
static void assert_text(const char *dst, const char *rel, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	ssize_t n;
	int fd = open(Pf("%s/%s", dst, rel), O_RDONLY);
	if (fd < 0)
		fail_msg("%s/%s: %s", dst, rel, strerror(errno));
	while ((n = read(fd, buf, sizeof buf)) > 0)
		strbuf_add(&sb, buf, (size_t)n);
	close(fd);
	if (strcmp(sb.buf, want))
		fail_msg("%s/%s holds the wrong content", dst, rel);
	strbuf_release(&sb);
}

#define PX_DIRS 6
#define PX_FILES 60
#define PX_PAIRS 150

/* cancels after this many calls of the report's cancelled() (0: never) */
struct px_report {
	struct mt_report m;
	unsigned long cancel_at;
};

static int px_cancelled(void *ctx)
{
	struct px_report *x = ctx;
	return ++x->m.cancels == x->cancel_at;
}

/* An archive extracted with 1, 2 and 4 threads (issue 17,
 * fsrestore_xpool.c): many small files in folders, files in folders
 * without entries (parents made by the workers at once) and one whose
 * directory entry comes after it, duplicates right after each other (the
 * later wins, as with tar), hardlinks right after their target (which a
 * worker may still be writing), a file through a symlink made by the
 * archive (refused), a big file (written by the walk itself), a file
 * that turns into a directory: the same tree, counts and
 * warnings each time, no difference found, no fd left open; then the
 * operator's cancel in 2 threads leaves no staging tree. */
static void archive_extract_in_threads(void **state)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ent;
	struct strbuf big = STRBUF_INIT;
	int fds;
	uint64_t files = 0;
	unsigned long warns = 0;
	char *src = xstrdup(P("px.tgz")), *tgt, *cancelled = xstrdup(P("pxc"));
	(void)state;
	archive_write_set_format_pax(a);
	archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_filename(a, src), ARCHIVE_OK);
	for (int d = 0; d < PX_DIRS; d++) {
		tar_add(a, R("d%d", d), NULL, NULL, NULL);
		for (int f = 0; f < PX_FILES; f++) {
			char *t = px_text(R("d%d/f%03d", d, f), 1);
			tar_add(a, R("d%d/f%03d", d, f), t, NULL, NULL);
			free(t);
		}
	}
	for (int i = 0; i < PX_PAIRS; i++) {
		char *t1 = px_text(R("dup/x%03d", i), 1), *t2 = px_text(R("dup/x%03d", i), 2);
		char *t3 = px_text(R("hl/t%03d", i), 1);
		tar_add(a, R("dup/x%03d", i), t1, NULL, NULL);
		tar_add(a, R("dup/x%03d", i), t2, NULL, NULL);
		tar_add(a, R("hl/t%03d", i), t3, NULL, NULL);
		tar_add(a, R("hl/l%03d", i), NULL, NULL, R("hl/t%03d", i));
		tar_add(a, R("deep/a%d/b%d/c/f%03d", i % 3, i % 5, i), t3, NULL, NULL);
		free(t1);
		free(t2);
		free(t3);
	}
	tar_add(a, "late/f", "before its directory\n", NULL, NULL);
	tar_add(a, "turn", "a file first\n", NULL, NULL);
	tar_add(a, "turn/x", "then a directory\n", NULL, NULL);
	tar_add(a, "lnk", NULL, "d0", NULL);
	tar_add(a, "lnk/evil", "through the symlink\n", NULL, NULL);
	for (int i = 0; big.len < 300 * 1024; i++)
		strbuf_addf(&big, "big line %d\n", i);
	tar_add(a, "big", big.buf, NULL, NULL);
	ent = archive_entry_new();
	archive_entry_set_pathname(ent, "late");
	archive_entry_set_filetype(ent, AE_IFDIR);
	archive_entry_set_perm(ent, 0750);
	archive_entry_set_mtime(ent, 1400000000, 7);
	assert_int_equal(archive_write_header(a, ent), ARCHIVE_OK);
	archive_entry_free(ent);
	assert_int_equal(archive_write_free(a), ARCHIVE_OK);

	fds = open_fds();
	for (int n = 1; n <= 4; n *= 2) {
		struct px_report x = { { 0, 0, 0 }, 0 };
		struct fsrestore_opts o;
		struct fsrestore_result res;
		struct err e = ERR_INIT;
		struct report r;
		struct stat st, st2;
		char dst[16];
		snprintf(dst, sizeof dst, "px%d", n);
		memset(&r, 0, sizeof r);
		r.log = mt_log;
		r.progress = mt_progress;
		r.cancelled = px_cancelled;
		r.ctx = &x;
		memset(&o, 0, sizeof o);
		o.source = src;
		o.target = tgt = xstrdup(P(dst));
		o.threads = n;
		o.checksum = 1;
		if (fsrestore_run(&o, &r, &res, &e) < 0)
			fail_msg("%d threads: %s", n, e.msg);
		assert_int_equal(res.differences, 0);
		assert_int_equal(res.refused, 1); /* lnk/evil */
		assert_true(x.m.progress > 0);
		if (n == 1) {
			files = res.files;
			warns = x.m.warns; /* the refused member, the verification's summary */
		}
		assert_int_equal(x.m.warns, warns);
		assert_int_equal(res.files, files);
		assert_int_equal(res.files, PX_DIRS * PX_FILES + 5 * PX_PAIRS + 4);
		for (int d = 0; d < PX_DIRS; d++)
			for (int f = 0; f < PX_FILES; f++) {
				char *t = px_text(R("d%d/f%03d", d, f), 1);
				assert_text(dst, R("d%d/f%03d", d, f), t);
				free(t);
			}
		for (int i = 0; i < PX_PAIRS; i++) {
			char *t2 = px_text(R("dup/x%03d", i), 2), *t3 = px_text(R("hl/t%03d", i), 1);
			assert_text(dst, R("dup/x%03d", i), t2);
			assert_text(dst, R("hl/l%03d", i), t3);
			assert_text(dst, R("deep/a%d/b%d/c/f%03d", i % 3, i % 5, i), t3);
			assert_int_equal(lstat(Pf("%s/hl/t%03d", dst, i), &st), 0);
			assert_int_equal(lstat(Pf("%s/hl/l%03d", dst, i), &st2), 0);
			assert_int_equal(st.st_ino, st2.st_ino);
			assert_int_equal(st.st_nlink, 2);
			free(t2);
			free(t3);
		}
		assert_text(dst, "late/f", "before its directory\n");
		assert_int_equal(lstat(Pf("%s/late", dst), &st), 0);
		assert_int_equal(st.st_mode & 07777, 0750);
		assert_int_equal(st.st_mtim.tv_sec, 1400000000);
		assert_int_equal(st.st_mtim.tv_nsec, 7);
		assert_text(dst, "turn/x", "then a directory\n");
		assert_int_equal(lstat(Pf("%s/lnk", dst), &st), 0);
		assert_true(S_ISLNK(st.st_mode));
		assert_int_equal(access(Pf("%s/d0/evil", dst), F_OK), -1);
		assert_text(dst, "big", big.buf);
		assert_int_equal(open_fds(), fds);
		fsrestore_result_release(&res);
		free(tgt);

		/* the operator's cancel, seen by the walk or a worker */
		if (n == 2) {
			for (unsigned long at = 2; at <= 200; at *= 10) {
				x.cancel_at = at;
				x.m.cancels = 0;
				o.target = cancelled;
				assert_int_equal(fsrestore_run(&o, &r, &res, &e), -1);
				if (!strstr(e.msg, "aborted"))
					fail_msg("cancel at %lu: %s", at, e.msg);
				assert_int_equal(access(P("pxc"), F_OK), -1);
				assert_int_equal(access(P("pxc.restoring"), F_OK), -1);
				assert_int_equal(open_fds(), fds);
				err_clear(&e);
				fsrestore_result_release(&res);
			}
		}
	}
	strbuf_release(&big);
	free(src);
	free(cancelled);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(directory_source_replaces_new_target, setup, teardown),
		cmocka_unit_test_setup_teardown(snapshot_links_unchanged_files_to_the_earlier_one, setup,
						teardown),
		cmocka_unit_test_setup_teardown(tar_source_gives_the_same_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(replace_keeps_old_tree_and_carries_data, setup, teardown),
		cmocka_unit_test_setup_teardown(merge_writes_into_existing_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(failure_leaves_target_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(cancel_removes_staging, setup, teardown),
		cmocka_unit_test_setup_teardown(one_big_file_reports_progress_while_it_is_copied, setup,
						teardown),
		cmocka_unit_test(hostile_names_are_refused),
		cmocka_unit_test_setup_teardown(set_owner_adds_user_rwx_without_following_links, setup, teardown),
		cmocka_unit_test_setup_teardown(dry_run_only_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(merge_updates_directory_modes_and_times, setup, teardown),
		cmocka_unit_test_setup_teardown(owner_by_name_falls_back_to_number, setup, teardown),
		cmocka_unit_test_setup_teardown(checksum_verifies_content_of_sparse_and_plain_files, setup, teardown),
		cmocka_unit_test_setup_teardown(hardlinks_count_once_in_the_totals, setup, teardown),
		cmocka_unit_test_setup_teardown(size_estimate_from_gzip_and_xz_trailers, setup, teardown),
		cmocka_unit_test(remote_sources_are_told_apart_as_rsync_does),
		cmocka_unit_test_setup_teardown(fetch_starts_rsync_with_no_signal_blocked, setup, teardown),
		cmocka_unit_test_setup_teardown(archive_never_writes_through_its_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(compressed_archives_through_the_reader_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(cancel_stops_the_reader_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(directory_copy_keeps_sparse_readonly_clears_setid, setup, teardown),
		cmocka_unit_test_setup_teardown(directory_copy_reads_ahead_the_right_files, setup, teardown),
		cmocka_unit_test_setup_teardown(directory_copy_in_threads_keeps_hardlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(archive_extract_in_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(verify_names_each_differing_path_once, setup, teardown),
		cmocka_unit_test_setup_teardown(verify_archive_without_directory_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged_headers_are_read_past_then_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
