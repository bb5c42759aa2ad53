/* Unit tests for sha256: the FIPS 180-4 / NIST example vectors, the
 * million-'a' vector, and that any split of the input gives the same digest. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "sha256.h"

static void digest_of(const void *p, size_t n, char hex[65])
{
	struct sha256 s;
	uint8_t d[SHA256_DIGEST_LEN];
	sha256_init(&s);
	sha256_update(&s, p, n);
	sha256_final(&s, d);
	sha256_hex(d, hex);
}

static void fips_vectors_match(void **state)
{
	char hex[65];
	(void)state;
	digest_of("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	digest_of("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	digest_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	digest_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		  112, hex);
	assert_string_equal(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void million_a_matches(void **state)
{
	struct sha256 s;
	uint8_t d[SHA256_DIGEST_LEN];
	char hex[65], a[1000];
	(void)state;
	memset(a, 'a', sizeof a);
	sha256_init(&s);
	for (int i = 0; i < 1000; i++)
		sha256_update(&s, a, sizeof a);
	sha256_final(&s, d);
	sha256_hex(d, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void split_input_gives_same_digest(void **state)
{
	unsigned char buf[300];
	char whole[65], parts[65];
	(void)state;
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i * 31 + 7);
	digest_of(buf, sizeof buf, whole);
	for (size_t cut = 0; cut <= sizeof buf; cut += 13) {
		struct sha256 s;
		uint8_t d[SHA256_DIGEST_LEN];
		sha256_init(&s);
		sha256_update(&s, buf, cut);
		sha256_update(&s, buf + cut, 1 < sizeof buf - cut ? 1 : sizeof buf - cut);
		if (cut + 1 < sizeof buf)
			sha256_update(&s, buf + cut + 1, sizeof buf - cut - 1);
		sha256_final(&s, d);
		sha256_hex(d, parts);
		assert_string_equal(parts, whole);
	}
}

/* Both compression functions, the portable one and the CPU's SHA
 * instructions (where this CPU has them; else the test says so and checks
 * the portable one alone): the FIPS vectors, and every length from 0 to
 * 300 bytes and 1 MiB + 3 of varied bytes give the same digest. */
static void hw_and_portable_agree(void **state)
{
	static unsigned char buf[(1 << 20) + 3];
	char a[65], b[65];
	int hw;
	(void)state;
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i * 2654435761u >> 13);
	hw = sha256_hw(1);
	if (!hw)
		print_message("no SHA instructions on this CPU: the portable code alone\n");
	for (int pass = 0; pass < 2; pass++) {
		sha256_hw(pass == 0);
		fips_vectors_match(NULL);
		million_a_matches(NULL);
	}
	for (size_t n = 0; n <= 300; n++) {
		sha256_hw(0);
		digest_of(buf, n, a);
		sha256_hw(1);
		digest_of(buf, n, b);
		assert_string_equal(a, b);
	}
	sha256_hw(0);
	digest_of(buf, sizeof buf, a);
	sha256_hw(1);
	digest_of(buf, sizeof buf, b);
	assert_string_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fips_vectors_match),
		cmocka_unit_test(million_a_matches),
		cmocka_unit_test(split_input_gives_same_digest),
		cmocka_unit_test(hw_and_portable_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
