/* Unit tests for err, runcmd, logfile and magic. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cpus.h"
#include "err.h"
#include "i18n.h"
#include "logfile.h"
#include "magic.h"
#include "report.h"
#include "runcmd.h"
#include "strbuf.h"

struct lines {
	struct strbuf out, errs;
};

static void collect(void *ctx, int is_stderr, const char *line)
{
	struct lines *l = ctx;
	strbuf_addf(is_stderr ? &l->errs : &l->out, "[%s]", line);
}

static void runcmd_streams_stdout_and_stderr_lines(void **state)
{
	const char *argv[] = { "sh", "-c", "printf 'a\\nb b\\r\\n'; echo err >&2; printf tail", NULL };
	struct lines l = { STRBUF_INIT, STRBUF_INIT };
	struct child_process cp = { .argv = argv, .on_line = collect, .ctx = &l };
	struct err e = ERR_INIT;
	int status = -1;
	(void)state;
	assert_int_equal(runcmd_run(&cp, &status, &e), 0);
	assert_int_equal(status, 0);
	assert_string_equal(l.out.buf, "[a][b b][tail]");
	assert_string_equal(l.errs.buf, "[err]");
	strbuf_release(&l.out);
	strbuf_release(&l.errs);
}

struct chunks {
	struct strbuf out, errs;
	const char *fifo; /* answered once "half\r" was seen */
	int answered;
};

static int collect_raw(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct chunks *c = ctx;
	(void)e;
	strbuf_add(&c->out, buf, len);
	if (!c->answered && strstr(c->out.buf, "half\r")) {
		/* the child holds the FIFO open: this never blocks */
		int fd = open(c->fifo, O_WRONLY | O_NONBLOCK);
		c->answered = 1;
		if (fd >= 0) {
			if (write(fd, "go\n", 3) != 3)
				c->answered = 2;
			close(fd);
		}
	}
	return 0;
}

static void collect_err(void *ctx, int is_stderr, const char *line)
{
	struct chunks *c = ctx;
	strbuf_addf(is_stderr ? &c->errs : &c->out, "[%s]", line);
}

/* on_stdout hands stdout over as it is read: a progress line ended by
 * '\r' alone (rsync --info=progress2) reaches the caller while the child
 * still runs (the child waits for the caller's answer to it), nothing is
 * split or dropped, and stderr still comes in lines. */
static void runcmd_on_stdout_streams_progress_as_read(void **state)
{
	char dir[] = "/tmp/test_core.XXXXXX", script[512];
	const char *argv[] = { "sh", "-c", script, NULL };
	struct chunks c = { STRBUF_INIT, STRBUF_INIT, NULL, 0 };
	struct child_process cp = { .argv = argv, .on_stdout = collect_raw, .on_line = collect_err,
				    .ctx = &c };
	struct err e = ERR_INIT;
	char *fifo;
	int status = -1;
	(void)state;
	assert_non_null(mkdtemp(dir));
	fifo = xstrfmt("%s/answer", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	c.fifo = fifo;
	/* the answer is awaited at most 30 s, so a caller that only sees
	 * the line at the end fails instead of hanging */
	snprintf(script, sizeof script,
		 "exec 3<>'%s'; printf 'half\\r'; a=$(timeout 30 head -n 1 <&3); "
		 "printf 'got %%s\\nno newline' \"$a\"; echo err >&2", fifo);
	assert_int_equal(runcmd_run(&cp, &status, &e), 0);
	assert_int_equal(status, 0);
	assert_int_equal(c.answered, 1);
	assert_string_equal(c.out.buf, "half\rgot go\nno newline");
	assert_string_equal(c.errs.buf, "[err]");
	unlink(fifo);
	rmdir(dir);
	free(fifo);
	strbuf_release(&c.out);
	strbuf_release(&c.errs);
}

static void runcmd_reports_exit_status_and_missing_program(void **state)
{
	const char *fail[] = { "sh", "-c", "exit 7", NULL };
	const char *missing[] = { "/nonexistent/biso-cli", NULL };
	struct child_process cp = { .argv = fail };
	struct err e = ERR_INIT;
	int status = 0;
	(void)state;
	assert_int_equal(runcmd_run(&cp, &status, &e), 1);
	assert_int_equal(status, 7);
	cp.argv = missing;
	assert_int_equal(runcmd_run(&cp, &status, &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent/biso-cli"));
	assert_non_null(e.hint);
	err_clear(&e);
}

static int hung_up(void *ctx)
{
	(void)ctx;
	return REPORT_STOP_SIGNAL(SIGHUP);
}

/* The wizard runs steps in a thread that blocks SIGTERM and SIGHUP: a
 * child must not inherit that, or the SIGTERM of a cancel never ends it. */
static void runcmd_child_starts_with_no_signal_blocked(void **state)
{
	const char *argv[] = { "sed", "-n", "s/^SigBlk:[[:space:]]*//p", "/proc/self/status", NULL };
	struct lines l = { STRBUF_INIT, STRBUF_INIT };
	struct child_process cp = { .argv = argv, .on_line = collect, .ctx = &l };
	struct err e = ERR_INIT;
	sigset_t block, old;
	int status = -1;
	(void)state;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	assert_int_equal(runcmd_run(&cp, &status, &e), 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	assert_string_equal(l.out.buf, "[0000000000000000]");
	strbuf_release(&l.out);
	strbuf_release(&l.errs);
}

/* A cancelled child is stopped, and the error says why the run stopped:
 * a signal is not "the operator". */
static void runcmd_cancel_says_why(void **state)
{
	const char *argv[] = { "sleep", "600", NULL };
	struct report r = { 0 };
	struct child_process cp = { .argv = argv, .report = &r };
	struct err e = ERR_INIT;
	int status = 0;
	(void)state;
	r.cancelled = hung_up;
	assert_int_equal(runcmd_run(&cp, &status, &e), -1);
	assert_string_equal(e.msg, "sleep aborted: the terminal hung up (SIGHUP)");
	err_clear(&e);
	r.cancelled = NULL;
	assert_string_equal(report_stop_reason(&r), "cancelled by the operator");
	assert_string_equal(report_reason(REPORT_STOP_SIGNAL(SIGTERM)), "stopped by SIGTERM");
}

static void runcmd_child_inherits_no_descriptors_and_gets_dir(void **state)
{
	/* An fd we leak on purpose must not be open in the child. */
	int fd = open("/dev/null", O_RDONLY);
	char check[64];
	const char *argv[] = { "sh", "-c", check, NULL };
	struct lines l = { STRBUF_INIT, STRBUF_INIT };
	struct child_process cp = { .argv = argv, .on_line = collect, .ctx = &l, .dir = "/" };
	struct err e = ERR_INIT;
	int status;
	(void)state;
	snprintf(check, sizeof check, "test -e /proc/self/fd/%d && echo open; pwd", fd);
	assert_int_equal(runcmd_run(&cp, &status, &e), 0);
	assert_string_equal(l.out.buf, "[/]");
	close(fd);
	strbuf_release(&l.out);
	strbuf_release(&l.errs);
}

/* A child run as another user gets that user's HOME, USER and LOGNAME
 * from its passwd entry (as runuser and su give them), not ours. */
static void runcmd_as_a_user_gets_its_home_and_name(void **state)
{
	const char *argv[] = { "env", NULL };
	struct passwd *pw = getpwnam("www-data");
	struct runcmd_user as = { 0, 0, "www-data" };
	struct lines l = { STRBUF_INIT, STRBUF_INIT };
	struct child_process cp = { .argv = argv, .on_line = collect, .ctx = &l, .as = &as };
	struct err e = ERR_INIT;
	struct strbuf want = STRBUF_INIT;
	int status;
	(void)state;
	if (geteuid() != 0 || !pw)
		skip();
	as.uid = pw->pw_uid;
	as.gid = pw->pw_gid;
	strbuf_addf(&want, "[HOME=%s]", pw->pw_dir);
	setenv("HOME", "/root-of-the-caller", 1);
	setenv("USER", "caller", 1);
	setenv("LOGNAME", "caller", 1);
	assert_int_equal(runcmd_run(&cp, &status, &e), 0);
	assert_non_null(strstr(l.out.buf, want.buf));
	assert_non_null(strstr(l.out.buf, "[USER=www-data]"));
	assert_non_null(strstr(l.out.buf, "[LOGNAME=www-data]"));
	assert_null(strstr(l.out.buf, "caller"));
	strbuf_release(&want);
	strbuf_release(&l.out);
	strbuf_release(&l.errs);
}

struct raw {
	uint64_t bytes, zeros, calls;
	uint64_t stop_after; /* fail once this many bytes came, 0: never */
};

static int take_raw(void *ctx, const void *buf, size_t len, struct err *e)
{
	struct raw *r = ctx;
	const unsigned char *p = buf;
	r->calls++;
	for (size_t i = 0; i < len; i++)
		r->zeros += p[i] == 0;
	r->bytes += len;
	if (r->stop_after && r->bytes >= r->stop_after)
		return err_set(e, "disk full (test)");
	return 0;
}

static void runcmd_streams_raw_stdout(void **state)
{
	const char *argv[] = { "head", "-c", "1000000", "/dev/zero", NULL };
	const char *endless[] = { "cat", "/dev/zero", NULL };
	struct child_process cp = { 0 };
	struct err e = ERR_INIT;
	struct raw r = { 0 };
	int status = -1;
	(void)state;
	cp.argv = argv;
	cp.on_stdout = take_raw;
	cp.ctx = &r;
	/* every byte, NULs and no line ends included */
	assert_int_equal(runcmd_run(&cp, &status, &e), 0);
	assert_int_equal(r.bytes, 1000000);
	assert_int_equal(r.zeros, 1000000);
	/* a failing consumer stops the child with its error (cat would
	 * write for ever: this returns only because it was killed) */
	memset(&r, 0, sizeof r);
	r.stop_after = 100000;
	cp.argv = endless;
	assert_int_equal(runcmd_run(&cp, &status, &e), -1);
	assert_string_equal(e.msg, "disk full (test)");
	err_clear(&e);
}

static void runcmd_format_quotes_for_the_shell(void **state)
{
	const char *argv[] = { "php", "biso-cli", "it's", "a b", "", NULL };
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	runcmd_format_argv(argv, &sb);
	assert_string_equal(sb.buf, "php biso-cli 'it'\\''s' 'a b' ''");
	strbuf_release(&sb);
}

static void logfile_is_private_and_masks_passwords(void **state)
{
	char dir[] = "/tmp/br-logtest-XXXXXX";
	const char *path;
	struct err e = ERR_INIT;
	struct stat st;
	char buf[512];
	FILE *fp;
	size_t n;
	(void)state;
	assert_non_null(mkdtemp(dir));
	struct logfile *lf = logfile_open(dir, "20261129_093000", &path, &e);
	assert_non_null(lf);
	logfile_write(lf, LOG_INFO, "connecting host=/tmp password='s3 cr\\'et' dbname=biso");
	logfile_write(lf, LOG_WARN, "url postgresql://u@h?password=hunter2&x=1");
	/* the URI's user:password, as --dbname may give it */
	logfile_write(lf, LOG_INFO, "target postgresql://bob:pa55word@db.example:5432/biso ok");
	/* an unquoted value ends at white space only, as libpq reads it */
	logfile_write(lf, LOG_INFO, "connecting password=ab,cd;ef dbname=x");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	fp = fopen(path, "r");
	n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_null(strstr(buf, "s3"));
	assert_null(strstr(buf, "hunter2"));
	assert_null(strstr(buf, "pa55word"));
	assert_non_null(strstr(buf, "target postgresql://bob:***@db.example:5432/biso ok"));
	assert_null(strstr(buf, "cd"));
	assert_null(strstr(buf, "ef dbname"));
	assert_non_null(strstr(buf, "password=*** dbname=biso"));
	assert_non_null(strstr(buf, " WARN  url"));
	unlink(path);
	logfile_close(lf);
	rmdir(dir);
}

/* The CPUs the process may use: the affinity mask (taskset), a cgroup v2
 * quota rounded up, at least 1. */
static void cpus_follow_affinity_and_quota(void **state)
{
	cpu_set_t all, one;
	(void)state;
	assert_int_equal(cpus_of_cpu_max("max 100000\n"), 0);
	assert_int_equal(cpus_of_cpu_max("200000 100000\n"), 2);
	assert_int_equal(cpus_of_cpu_max("150000 100000\n"), 2);
	assert_int_equal(cpus_of_cpu_max("50000 100000\n"), 1);
	assert_int_equal(cpus_of_cpu_max("junk"), 0);
	assert_int_equal(cpus_of_cpu_max("0 100000"), 0);
	assert_true(cpus_usable() >= 1);
	assert_int_equal(sched_getaffinity(0, sizeof all, &all), 0);
	assert_true(cpus_usable() <= CPU_COUNT(&all));
	CPU_ZERO(&one);
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &all)) {
			CPU_SET(i, &one);
			break;
		}
	assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
	assert_int_equal(cpus_usable(), 1);
	assert_int_equal(sched_setaffinity(0, sizeof all, &all), 0);
}

static void magic_classifies_by_content_not_name(void **state)
{
	unsigned char tar[512] = { 0 };
	unsigned char gz[128];
	uLongf gzlen;
	(void)state;
	assert_int_equal(magic_of_bytes((const unsigned char *)"PGDMP\1\16", 7), MAGIC_PGDMP);
	assert_int_equal(magic_of_bytes((const unsigned char *)"--\n-- PostgreSQL database dump\n", 31),
			 MAGIC_SQL);
	assert_int_equal(magic_of_bytes((const unsigned char *)"PK\3\4xxxx", 8), MAGIC_ZIP);
	assert_int_equal(magic_of_bytes((const unsigned char *)"\xfd" "7zXZ\0\0", 7), MAGIC_XZ);
	assert_int_equal(magic_of_bytes((const unsigned char *)"\x28\xb5\x2f\xfd\0", 5), MAGIC_ZSTD);
	assert_int_equal(magic_of_bytes((const unsigned char *)"a\0b", 3), MAGIC_UNKNOWN);
	memcpy(tar, "file.txt", 8);
	memcpy(tar + 257, "ustar", 5);
	assert_int_equal(magic_of_bytes(tar, sizeof tar), MAGIC_TAR);

	/* gzip of SQL vs gzip of a tar header, made with zlib's gzip wrapper */
	z_stream zs;
	for (int which = 0; which < 2; which++) {
		memset(&zs, 0, sizeof zs);
		deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
		zs.next_in = which ? tar : (unsigned char *)"SET x = 1;\n";
		zs.avail_in = which ? sizeof tar : 11;
		zs.next_out = gz;
		zs.avail_out = sizeof gz;
		assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
		gzlen = sizeof gz - zs.avail_out;
		deflateEnd(&zs);
		assert_int_equal(magic_of_bytes(gz, gzlen), which ? MAGIC_GZIP_TAR : MAGIC_GZIP_SQL);
	}
}

/* Issue 16.2: a caller that extends the hint, detail or message with its
 * old value (restore_adopt_config_php) must get the old text, not freed
 * memory. */
static void err_setters_may_use_the_old_value(void **state)
{
	struct err e = ERR_INIT;
	(void)state;
	err_set(&e, "cannot evaluate getenv()");
	err_hint(&e, "Write the value as a literal.");
	err_hint(&e, "%s To go on, give --datadir.", e.hint);
	assert_string_equal(e.hint, "Write the value as a literal. To go on, give --datadir.");
	err_detail(&e, "line 4");
	err_detail(&e, "%s, byte 73", e.detail);
	assert_string_equal(e.detail, "line 4, byte 73");
	err_set(&e, "config.php: %s", e.msg);
	assert_string_equal(e.msg, "config.php: cannot evaluate getenv()");
	err_clear(&e);
}

/* German messages (the build's po/de.gmo, LANG=de_CH.UTF-8): struct err
 * keeps the English text, strerror included, for the log, and the German
 * one beside it; a prefix and a hint built from the old value carry both. */
static void err_keeps_english_and_the_translation(void **state)
{
	char dir[] = "/tmp/test_i18n.XXXXXX", sub[256], mo[300], gmo[1024];
	const char *top = getenv("top_srcdir"), *btop = getenv("top_builddir");
	struct err e = ERR_INIT;
	struct strbuf en = STRBUF_INIT, de = STRBUF_INIT;
	char *want;
	(void)state;
	/* the catalogue make compiles from po/de.po as it is now (a stale
	 * po/de.gmo of the source tree lacks newer messages) */
	snprintf(gmo, sizeof gmo, "%s/locale/de/LC_MESSAGES/biso-recover.mo", btop ? btop : ".");
	if (access(gmo, R_OK) < 0)
		snprintf(gmo, sizeof gmo, "%s/po/de.gmo", top ? top : ".");
	if (gmo[0] != '/') {
		/* the symlink below must not be relative to its own folder */
		char *abs = realpath(gmo, NULL);
		if (abs) {
			snprintf(gmo, sizeof gmo, "%s", abs);
			free(abs);
		}
	}
	if (access(gmo, R_OK) < 0 || !setlocale(LC_ALL, "de_CH.UTF-8")) {
		setlocale(LC_ALL, "C");
		skip(); /* no catalogue built, or no de_CH locale (tools/deps.sh makes it) */
	}
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof sub, "%s/de", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof sub, "%s/de/LC_MESSAGES", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(mo, sizeof mo, "%s/biso-recover.mo", sub);
	assert_int_equal(symlink(gmo, mo), 0);
	setenv("BISO_RECOVER_LOCALEDIR", dir, 1);
	setenv("LANG", "de_CH.UTF-8", 1);
	unsetenv("LANGUAGE");
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	i18n_init();

	err_errno(&e, ENOENT, "cannot read backup root %s", "/b");
	err_hint(&e, "give the directory that holds webroot/, data/ and db/ (--backup-root)");
	err_prefix(&e, "%s", "plan");
	assert_string_equal(e.msg, "plan: cannot read backup root /b: No such file or directory");
	want = xstrfmt("plan: das Sicherungs-Wurzelverzeichnis /b kann nicht gelesen werden: %s",
		       strerror(ENOENT));
	assert_non_null(e.lmsg); /* no translation found: not a crash below */
	assert_string_equal(e.lmsg, want);
	free(want);
	err_where(&e, "/c", 3, 7);
	err_format(&e, &en);
	err_format_l10n(&e, &de);
	assert_string_equal(en.buf, "/c:3 (byte 7): plan: cannot read backup root /b: No such file or "
			    "directory\nHINT: give the directory that holds webroot/, data/ and db/ "
			    "(--backup-root)");
	assert_non_null(strstr(de.buf, "/c:3 (Byte 7): plan: das Sicherungs-Wurzelverzeichnis"));
	assert_non_null(strstr(de.buf, "\nHINWEIS: das Verzeichnis angeben, das webroot/"));
	/* a message without a translation: English alone, on the screen too */
	err_set(&e, "no such message in any catalogue %d", 1);
	assert_null(e.lmsg);
	strbuf_reset(&de);
	err_clear(&e);
	err_set(&e, "no such message in any catalogue %d", 1);
	err_format_l10n(&e, &de);
	assert_string_equal(de.buf, "no such message in any catalogue 1");
	/* a hint passed as data (a msgid, not a format: its %% stays) and one
	 * the caller built in both languages */
	err_hint_msgid(&e, "Take another dump of production (--dump FILE, --at).");
	assert_string_equal(e.hint, "Take another dump of production (--dump FILE, --at).");
	assert_string_equal(e.lhint, "Einen anderen Dump der Produktion nehmen (--dump DATEI, --at).");
	err_hint_msgid(&e, "100% not in any catalogue");
	assert_string_equal(e.hint, "100% not in any catalogue");
	assert_null(e.lhint);
	err_hint_l10n(&e, "vor 1 Tag", "%d day %s", 1, "ago");
	assert_string_equal(e.hint, "1 day ago");
	assert_string_equal(e.lhint, "vor 1 Tag");
	/* a hint of sentences joined by the code, each translated whole: the
	 * screen's hint German alone */
	err_hint_msgid(&e, "Take another dump of production (--dump FILE, --at).");
	err_hint_add(&e, "To go on without config.php, give both --datadir DIR and --dbname CONNINFO.");
	assert_string_equal(e.hint, "Take another dump of production (--dump FILE, --at). To go on "
			    "without config.php, give both --datadir DIR and --dbname CONNINFO.");
	assert_string_equal(e.lhint, "Einen anderen Dump der Produktion nehmen (--dump DATEI, --at). "
			    "Ohne config.php weiter: --datadir VERZ und --dbname CONNINFO angeben.");
	err_hint_add(&e, "100% not in any catalogue");
	assert_non_null(strstr(e.lhint, "angeben. 100% not in any catalogue"));
	err_clear(&e);
	err_hint_add(&e, "100% not in any catalogue");
	assert_string_equal(e.hint, "100% not in any catalogue");
	assert_null(e.lhint);

	err_clear(&e);
	strbuf_release(&en);
	strbuf_release(&de);
	unlink(mo);
	rmdir(sub);
	snprintf(sub, sizeof sub, "%s/de", dir);
	rmdir(sub);
	rmdir(dir);
	unsetenv("BISO_RECOVER_LOCALEDIR");
	setlocale(LC_ALL, "C");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(err_setters_may_use_the_old_value),
		cmocka_unit_test(err_keeps_english_and_the_translation),
		cmocka_unit_test(runcmd_streams_stdout_and_stderr_lines),
		cmocka_unit_test(runcmd_on_stdout_streams_progress_as_read),
		cmocka_unit_test(runcmd_reports_exit_status_and_missing_program),
		cmocka_unit_test(runcmd_child_inherits_no_descriptors_and_gets_dir),
		cmocka_unit_test(runcmd_as_a_user_gets_its_home_and_name),
		cmocka_unit_test(runcmd_child_starts_with_no_signal_blocked),
		cmocka_unit_test(runcmd_cancel_says_why),
		cmocka_unit_test(runcmd_streams_raw_stdout),
		cmocka_unit_test(runcmd_format_quotes_for_the_shell),
		cmocka_unit_test(logfile_is_private_and_masks_passwords),
		cmocka_unit_test(magic_classifies_by_content_not_name),
		cmocka_unit_test(cpus_follow_affinity_and_quota),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
