/* Unit tests for pgzip, compared with the real tool: what we write, gzip -t
 * accepts and gunzip reads back byte for byte, for empty input, one byte,
 * a block and a byte either side, many small blocks through a small ring,
 * and 100 MB of random and of repetitive data; a full disk names the file. */
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

#include "err.h"
#include "pgzip.h"
#include "runcmd.h"
#include "sha256.h"
#include "strbuf.h"

static char dir[] = "/tmp/test_pgzip.XXXXXX";

/* Deterministic input: random bytes (xorshift) or dump-like text lines. */
struct gen {
	int random;
	uint64_t state;
	uint64_t line;
	char pending[128]; /* the text line being handed out */
	size_t pend_len, pend_off;
};

static void gen_fill(struct gen *g, unsigned char *buf, size_t n)
{
	if (g->random) {
		for (size_t i = 0; i < n; i++) {
			g->state ^= g->state << 13;
			g->state ^= g->state >> 7;
			g->state ^= g->state << 17;
			buf[i] = (unsigned char)(g->state >> 24);
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (g->pend_off == g->pend_len) {
			g->pend_len = (size_t)snprintf(g->pending, sizeof g->pending,
						    "%llu\tperson %llu\tstreet %llu\t2024-01-%02llu\t\\N\n",
						    (unsigned long long)g->line,
						    (unsigned long long)(g->line % 977),
						    (unsigned long long)(g->line % 31),
						    (unsigned long long)(g->line % 28 + 1));
			g->pend_off = 0;
			g->line++;
		}
		buf[i] = (unsigned char)g->pending[g->pend_off++];
	}
}

/* Run @argv; return its exit status (0 ok). */
static int run(const char *const *argv)
{
	struct child_process cp = { 0 };
	struct err e = ERR_INIT;
	int status = 0;
	cp.argv = argv;
	int rc = runcmd_run(&cp, &status, &e);
	assert_int_not_equal(rc, -1);
	err_clear(&e);
	return rc == 0 ? 0 : status ? status : 1;
}

static void file_digest(const char *path, char hex[65])
{
	unsigned char buf[65536];
	uint8_t d[SHA256_DIGEST_LEN];
	struct sha256 s;
	int fd = open(path, O_RDONLY);
	ssize_t n;
	assert_true(fd >= 0);
	sha256_init(&s);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		sha256_update(&s, buf, (size_t)n);
	assert_int_equal(n, 0);
	close(fd);
	sha256_final(&s, d);
	sha256_hex(d, hex);
}

/*
 * Compress @total bytes from @g through pgzip (@threads, @block) in pieces
 * of varying size, then check with gzip -t and gunzip that the file holds
 * exactly those bytes.
 */
static void roundtrip(struct gen *g, uint64_t total, int threads, size_t block)
{
	static unsigned char buf[1 << 20];
	char *gz = xstrfmt("%s/out.gz", dir), *plain = xstrfmt("%s/out", dir);
	char want[65], got[65];
	uint8_t d[SHA256_DIGEST_LEN];
	struct sha256 s;
	struct err e = ERR_INIT;
	struct pgzip_opts o = { 0, threads, block };
	int fd = open(gz, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	struct pgzip *z = pgzip_open(fd, gz, &o, &e);
	assert_non_null(z);
	sha256_init(&s);
	uint64_t left = total;
	size_t piece = 1;
	while (left) {
		size_t n = piece < left ? piece : (size_t)left;
		gen_fill(g, buf, n);
		sha256_update(&s, buf, n);
		assert_int_equal(pgzip_write(z, buf, n, &e), 0);
		left -= n;
		/* 1, 7, 49 ... bytes: pieces that straddle block ends in every way */
		piece = piece * 7 % (sizeof buf - 1) + 1;
	}
	assert_int_equal(pgzip_finish(z, &e), 0);
	assert_int_equal(pgzip_bytes_in(z), total);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal((uint64_t)st.st_size, pgzip_bytes_out(z));
	pgzip_free(z);
	close(fd);
	sha256_final(&s, d);
	sha256_hex(d, want);

	const char *test[] = { "gzip", "-t", gz, NULL };
	assert_int_equal(run(test), 0);
	const char *unzip[] = { "gzip", "-d", "-f", gz, NULL };
	assert_int_equal(run(unzip), 0);
	assert_int_equal(stat(plain, &st), 0);
	assert_int_equal((uint64_t)st.st_size, total);
	file_digest(plain, got);
	assert_string_equal(got, want);
	unlink(plain);
	free(gz);
	free(plain);
}

static void empty_input(void **state)
{
	struct gen g = { .random = 1, .state = 88172645463325252ULL };
	(void)state;
	roundtrip(&g, 0, 2, 0);
}

static void one_byte(void **state)
{
	struct gen g = { .random = 1, .state = 88172645463325252ULL };
	(void)state;
	roundtrip(&g, 1, 2, 0);
}

static void one_block_and_either_side(void **state)
{
	(void)state;
	for (int d = -1; d <= 1; d++) {
		struct gen r = { .random = 1, .state = 88172645463325252ULL }, t = { .random = 0 };
		roundtrip(&r, PGZIP_BLOCK_DEFAULT + d, 2, 0);
		roundtrip(&t, PGZIP_BLOCK_DEFAULT + d, 2, 0);
	}
}

static void many_small_blocks_wrap_the_ring(void **state)
{
	struct gen t = { .random = 0 };
	(void)state;
	/* 32 KiB blocks on 3 threads: 7 slots reused about a hundred times */
	roundtrip(&t, 20u << 20, 3, 32768);
	struct gen r = { .random = 1, .state = 1 };
	roundtrip(&r, 3u << 20, 1, 32768);
}

static void hundred_mb_random(void **state)
{
	struct gen g = { .random = 1, .state = 88172645463325252ULL };
	(void)state;
	roundtrip(&g, 100u << 20, 0, 0);
}

static void hundred_mb_repetitive(void **state)
{
	struct gen g = { .random = 0 };
	(void)state;
	roundtrip(&g, 100u << 20, 0, 0);
}

static void full_disk_names_the_file(void **state)
{
	static unsigned char buf[1 << 20];
	struct err e = ERR_INIT;
	struct gen g = { .random = 1, .state = 5 };
	(void)state;
	int fd = open("/dev/full", O_WRONLY);
	if (fd < 0)
		skip();
	struct pgzip *z = pgzip_open(fd, "db/x.sql.gz.partial", NULL, &e);
	assert_non_null(z);
	int rc = 0;
	for (int i = 0; i < 8 && rc == 0; i++) {
		gen_fill(&g, buf, sizeof buf);
		rc = pgzip_write(z, buf, sizeof buf, &e);
	}
	if (rc == 0)
		rc = pgzip_finish(z, &e);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(e.msg, "cannot write db/x.sql.gz.partial"));
	assert_non_null(strstr(e.msg, strerror(ENOSPC)));
	err_clear(&e);
	/* the error stays: a later call fails the same way */
	assert_int_equal(pgzip_finish(z, &e), -1);
	assert_non_null(strstr(e.msg, "cannot write db/x.sql.gz.partial"));
	err_clear(&e);
	pgzip_free(z);
	close(fd);
}

static void free_without_finish(void **state)
{
	static unsigned char buf[300000];
	struct err e = ERR_INIT;
	(void)state;
	int fd = open("/dev/null", O_WRONLY);
	assert_true(fd >= 0);
	struct pgzip *z = pgzip_open(fd, "/dev/null", NULL, &e);
	assert_non_null(z);
	memset(buf, 'x', sizeof buf);
	assert_int_equal(pgzip_write(z, buf, sizeof buf, &e), 0);
	pgzip_free(z); /* workers stop, nothing leaks (ASan) */
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char *p = xstrfmt("%s/out.gz", dir);
	(void)state;
	unlink(p);
	free(p);
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_input),
		cmocka_unit_test(one_byte),
		cmocka_unit_test(one_block_and_either_side),
		cmocka_unit_test(many_small_blocks_wrap_the_ring),
		cmocka_unit_test(hundred_mb_random),
		cmocka_unit_test(hundred_mb_repetitive),
		cmocka_unit_test(full_disk_names_the_file),
		cmocka_unit_test(free_without_finish),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
