/* fsrestore_size: uncompressed size of a compressed archive from its
 * trailer, and the margin and message every space check shares; see
 * fsrestore.h and fsrestore_int.h. */
#include "config.h"
#include "fsrestore.h"
#include "fsrestore_int.h"
#include "err.h"
#include "magic.h"
#include "strbuf.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int read_at(int fd, void *buf, size_t n, off_t off)
{
	ssize_t got = pread(fd, buf, n, off);
	return got == (ssize_t)n ? 0 : -1;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* xz multibyte integer; returns bytes used, 0 on error. */
static size_t xz_varint(const unsigned char *p, size_t avail, uint64_t *v)
{
	size_t i;
	*v = 0;
	for (i = 0; i < avail && i < 9; i++) {
		*v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80))
			return i + 1;
	}
	return 0;
}

static int xz_size(int fd, off_t fsize, uint64_t *bytes)
{
	unsigned char foot[12], *idx = NULL;
	off_t end = fsize;
	uint64_t backward, nrec, sum = 0;
	size_t pos;
	int ok = 0;
	/* stream padding: zero bytes in multiples of four */
	while (end >= 12 + 12) {
		unsigned char z[4];
		if (read_at(fd, z, 4, end - 4) < 0)
			return 0;
		if (memcmp(z, "\0\0\0\0", 4))
			break;
		end -= 4;
	}
	if (end < 24 || read_at(fd, foot, 12, end - 12) < 0 || foot[10] != 'Y' || foot[11] != 'Z')
		return 0;
	backward = ((uint64_t)le32(foot + 4) + 1) * 4;
	if (backward > (uint64_t)(end - 12 - 12) || backward > 64u * 1024 * 1024)
		return 0;
	idx = malloc(backward);
	if (!idx)
		return 0;
	if (read_at(fd, idx, backward, end - 12 - (off_t)backward) < 0 || idx[0] != 0)
		goto out;
	pos = 1;
	{
		size_t n = xz_varint(idx + pos, backward - pos, &nrec);
		if (!n)
			goto out;
		pos += n;
	}
	for (uint64_t i = 0; i < nrec; i++) {
		uint64_t unpadded, usize;
		size_t n = xz_varint(idx + pos, backward - pos, &unpadded);
		if (!n)
			goto out;
		pos += n;
		n = xz_varint(idx + pos, backward - pos, &usize);
		if (!n)
			goto out;
		pos += n;
		sum += usize;
	}
	*bytes = sum;
	ok = 1;
out:
	free(idx);
	return ok;
}

static int zstd_size(int fd, uint64_t *bytes)
{
	unsigned char h[18];
	unsigned desc, fcs_flag, single, did_flag, fcs_len;
	size_t pos = 5;
	static const unsigned did_len[4] = { 0, 1, 2, 4 };
	if (read_at(fd, h, sizeof h, 0) < 0 || le32(h) != 0xFD2FB528u)
		return 0;
	desc = h[4];
	fcs_flag = desc >> 6;
	single = (desc >> 5) & 1;
	did_flag = desc & 3;
	fcs_len = fcs_flag == 0 ? single : fcs_flag == 1 ? 2 : fcs_flag == 2 ? 4 : 8;
	if (!fcs_len)
		return 0;
	if (!single)
		pos++; /* window descriptor */
	pos += did_len[did_flag];
	if (fcs_len == 1)
		*bytes = h[pos];
	else if (fcs_len == 2)
		*bytes = (uint64_t)(h[pos] | h[pos + 1] << 8) + 256;
	else if (fcs_len == 4)
		*bytes = le32(h + pos);
	else
		*bytes = le32(h + pos) | (uint64_t)le32(h + pos + 4) << 32;
	return 1;
}

int fsrestore_estimate_size(const char *path, int kind, uint64_t *bytes)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ok = 0;
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || st.st_size < 18) {
		close(fd);
		return 0;
	}
	if (kind == MAGIC_GZIP_TAR) {
		unsigned char t[4];
		if (read_at(fd, t, 4, st.st_size - 4) == 0) {
			uint64_t v = le32(t), fsz = (uint64_t)st.st_size;
			if (fsz >= ((uint64_t)1 << 32)) {
				/* ISIZE is the size mod 2^32: raise it past the file size */
				while (v + fsz / 64 < fsz)
					v += (uint64_t)1 << 32;
				ok = 1;
			} else if (v >= fsz / 2) {
				ok = 1;
			} /* else: several members, or over 4 GiB: unknown */
			*bytes = v;
		}
	} else if (kind == MAGIC_XZ) {
		ok = xz_size(fd, st.st_size, bytes);
	} else if (kind == MAGIC_ZSTD) {
		ok = zstd_size(fd, bytes);
	}
	close(fd);
	return ok;
}

uint64_t fsrestore_with_margin(uint64_t bytes)
{
	/* 2 % for allocation overhead, and room for what else writes there
	 * meanwhile (logs, sessions) that grows with the tree: an eighth of
	 * it, at least 1 MiB, at most 16 MiB.  A fixed 16 MiB refused a
	 * 72 KB webroot on a small filesystem (issue 16.11). */
	uint64_t extra = bytes / 8 + ((uint64_t)1 << 20);
	if (extra > (uint64_t)16 << 20)
		extra = (uint64_t)16 << 20;
	return bytes + bytes / 50 + extra;
}

void fsrestore_space_error(struct err *e, const char *dir, const char *doing, uint64_t need,
			   uint64_t avail, const char *what_free)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	strbuf_humanise_bytes(&a, need);
	strbuf_humanise_bytes(&b, avail);
	err_set(e, "not enough space in %s to %s", dir, doing);
	err_detail(e, "needed %s (%llu bytes, with a margin of 2%% + 1/8, at least 1 MiB, at "
		   "most 16 MiB), %s %s (%llu bytes)",
		   a.buf, (unsigned long long)need, what_free, b.buf, (unsigned long long)avail);
	strbuf_release(&a);
	strbuf_release(&b);
}
