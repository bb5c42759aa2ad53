/*
 * sha256: SHA-256 (FIPS 180-4) for the content check of a restored tree
 * (`--checksum`) and the backups' SHA256SUMS.  Small and self-contained,
 * so no crypto library is needed (the x86 SHA instructions are used where
 * the CPU has them); tests/unit/test_sha256.c checks it against the FIPS 180-4 /
 * NIST example vectors.
 *
 * Usage: sha256_init(&s); sha256_update(&s, p, n)...; sha256_final(&s, out).
 * The state holds no pointers and may be copied or dropped at any time.
 */
#ifndef BR_SHA256_H
#define BR_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32

struct sha256 {
	uint32_t h[8];
	uint64_t len;     /* message bytes so far */
	uint8_t buf[64];  /* partial block */
	size_t fill;      /* bytes in buf */
};

/* Use the CPU's SHA instructions (x86 SHA-NI) when @use and the CPU has
 * them, else the portable code; chosen automatically on first use (with
 * them where there are).  Returns 1 when they are used now.  For tests,
 * which compare both; not thread-safe while digests run. */
int sha256_hw(int use);

/* Start a new digest. */
void sha256_init(struct sha256 *s);
/* Add @n bytes at @p (any length, any alignment). */
void sha256_update(struct sha256 *s, const void *p, size_t n);
/* Finish: write the 32-byte digest to @out.  @s must be re-initialised
 * before it is used again. */
void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST_LEN]);
/* Render @d as 64 lowercase hex digits plus NUL into @hex. */
void sha256_hex(const uint8_t d[SHA256_DIGEST_LEN], char hex[2 * SHA256_DIGEST_LEN + 1]);

#endif
