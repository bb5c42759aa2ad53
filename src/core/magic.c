/* magic: classify backup files by content; see magic.h. */
#include "config.h"
#include "magic.h"
#include "i18n.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static int is_tar_header(const unsigned char *b, size_t len)
{
	unsigned sum = 0, stored = 0;
	int digits = 0;
	if (len < 512)
		return 0;
	if (!memcmp(b + 257, "ustar", 5))
		return 1;
	/* v7 tar: no magic, so check the header checksum (octal at 148). */
	for (int i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : b[i];
	for (int i = 148; i < 156; i++) {
		if (b[i] >= '0' && b[i] <= '7') {
			stored = stored * 8 + (unsigned)(b[i] - '0');
			digits++;
		} else if (b[i] != ' ' && b[i] != '\0') {
			return 0;
		}
	}
	return digits > 0 && sum == stored && b[0] != '\0';
}

static enum magic_kind gzip_content(const unsigned char *buf, size_t len)
{
	unsigned char out[512];
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return MAGIC_GZIP_SQL;
	zs.next_in = (unsigned char *)buf;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = sizeof out;
	(void)inflate(&zs, Z_SYNC_FLUSH);
	size_t got = sizeof out - zs.avail_out;
	inflateEnd(&zs);
	return is_tar_header(out, got) ? MAGIC_GZIP_TAR : MAGIC_GZIP_SQL;
}

enum magic_kind magic_of_bytes(const unsigned char *b, size_t len)
{
	if (len == 0)
		return MAGIC_EMPTY;
	if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return gzip_content(b, len);
	if (len >= 5 && !memcmp(b, "PGDMP", 5))
		return MAGIC_PGDMP;
	if (len >= 6 && !memcmp(b, "\xfd" "7zXZ\0", 6))
		return MAGIC_XZ;
	if (len >= 4 && !memcmp(b, "\x28\xb5\x2f\xfd", 4))
		return MAGIC_ZSTD;
	if (len >= 3 && !memcmp(b, "BZh", 3))
		return MAGIC_BZIP2;
	if (len >= 4 && (!memcmp(b, "PK\3\4", 4) || !memcmp(b, "PK\5\6", 4)))
		return MAGIC_ZIP;
	if (is_tar_header(b, len))
		return MAGIC_TAR;
	/* Plain text: no NUL and no C0 control bytes other than \t \n \r \f. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = b[i];
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f')
			return MAGIC_UNKNOWN;
	}
	return MAGIC_SQL;
}

int magic_detect(const char *path, enum magic_kind *kind, struct err *e)
{
	unsigned char buf[4096];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT) {
			*kind = MAGIC_MISSING;
			return 0;
		}
		return err_errno(e, errno, "cannot look at %s", path);
	}
	if (S_ISDIR(st.st_mode)) {
		*kind = MAGIC_DIR;
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, errno, "cannot open %s", path);
	while (got < sizeof buf && (n = read(fd, buf + got, sizeof buf - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			close(fd);
			return err_errno(e, saved, "cannot read %s", path);
		}
		got += (size_t)n;
	}
	close(fd);
	*kind = magic_of_bytes(buf, got);
	return 0;
}

const char *magic_name(enum magic_kind kind)
{
	switch (kind) {
	case MAGIC_UNKNOWN: return N_("unknown file type");
	case MAGIC_MISSING: return N_("missing");
	case MAGIC_DIR: return N_("directory");
	case MAGIC_EMPTY: return N_("empty file");
	case MAGIC_SQL: return N_("plain-format SQL dump");
	case MAGIC_GZIP_SQL: return N_("gzip-compressed plain-format SQL dump");
	case MAGIC_PGDMP: return N_("pg_dump custom-format archive");
	case MAGIC_TAR: return N_("tar archive");
	case MAGIC_GZIP_TAR: return N_("gzip-compressed tar archive");
	case MAGIC_XZ: return N_("xz-compressed archive");
	case MAGIC_ZSTD: return N_("zstd-compressed archive");
	case MAGIC_BZIP2: return N_("bzip2-compressed archive");
	case MAGIC_ZIP: return N_("zip archive");
	}
	return "?";
}

int magic_is_tree(enum magic_kind kind)
{
	switch (kind) {
	case MAGIC_DIR: case MAGIC_TAR: case MAGIC_GZIP_TAR: case MAGIC_XZ:
	case MAGIC_ZSTD: case MAGIC_BZIP2: case MAGIC_ZIP:
		return 1;
	default:
		return 0;
	}
}
