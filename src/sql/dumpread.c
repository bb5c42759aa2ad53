/* dumpread: streaming reader of plain and gzip dumps; see dumpread.h. */
#include "config.h"
#include "dumpread.h"
#include "ahead.h"
#include "err.h"
#include "magic.h"
#include "report.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define RAW_CAP (64 * 1024)
#define OUT_CAP (2 * DUMPREAD_CHUNK)
/* the producer thread's ring: 8 x 256 KiB */
#define AHEAD_BLOCK (256 * 1024)
#define AHEAD_BLOCKS 8

/*
 * Reading and inflating run in a producer thread (ahead.h) once the format
 * is known, so that zlib works on the second core while the caller scans
 * and sends: the fields from "raw input" to "gzip" belong to that thread
 * (fill_gzip, fill_plain), the rest to the caller.
 */
struct dumpread {
	int fd;
	int own_fd;
	char *name;
	struct report *r;
	uint64_t total;

	/* producer thread and what the caller took from it */
	struct ahead *ahead;
	const char *blk;       /* block being copied into out */
	size_t blk_pos, blk_len;
	uint64_t raw_done;     /* compressed offset after the blocks taken */
	struct err perr;       /* the producer's error, read after the end */
	uint64_t garbage, garbage_off; /* trailing garbage seen by the producer */
	int garbage_seen;

	/* raw input */
	unsigned char *in;
	size_t in_pos, in_end;
	uint64_t raw_read; /* bytes read from fd */
	int raw_eof;

	/* gzip */
	int gzip;
	int zinit;
	int gz_done; /* after the last member (or trailing garbage) */
	int truncated; /* the file ended inside a gzip member */
	unsigned members;
	z_stream zs;

	/* decompressed (or plain) text */
	unsigned char *out;
	size_t ostart, oend, scan;
	uint64_t out_base; /* uncompressed offset of out[0] */
	int out_eof;
	int bom_checked, bom;
	int nul_pending;   /* a NUL byte ends the data read so far */
	uint64_t nul_off;
};

static int read_raw(struct dumpread *dr, struct err *e)
{
	ssize_t n;
	if (dr->in_pos < dr->in_end && dr->in_pos > 0) {
		memmove(dr->in, dr->in + dr->in_pos, dr->in_end - dr->in_pos);
		dr->in_end -= dr->in_pos;
		dr->in_pos = 0;
	} else if (dr->in_pos >= dr->in_end) {
		dr->in_pos = dr->in_end = 0;
	}
	do
		n = read(dr->fd, dr->in + dr->in_end, RAW_CAP - dr->in_end);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		err_errno(e, errno, "cannot read %s", dr->name);
		err_where(e, dr->name, 0, (int64_t)dr->raw_read);
		return -1;
	}
	if (n == 0)
		dr->raw_eof = 1;
	dr->in_end += (size_t)n;
	dr->raw_read += (uint64_t)n;
	return (int)(n > 0);
}

/* The producer's position in the file (in its thread, or before it runs). */
static uint64_t raw_offset(const struct dumpread *dr)
{
	if (dr->gzip && dr->zinit)
		return dr->raw_read - dr->zs.avail_in;
	return dr->raw_read - (dr->in_end - dr->in_pos);
}

uint64_t dumpread_raw_offset(const struct dumpread *dr)
{
	return dr->ahead ? dr->raw_done : raw_offset(dr);
}

uint64_t dumpread_sql_offset(const struct dumpread *dr)
{
	return dr->out_base + dr->ostart;
}

uint64_t dumpread_total(const struct dumpread *dr) { return dr->total; }
int dumpread_is_gzip(const struct dumpread *dr) { return dr->gzip; }
int dumpread_truncated(const struct dumpread *dr) { return dr->truncated; }
unsigned dumpread_members(const struct dumpread *dr)
{
	return __atomic_load_n(&dr->members, __ATOMIC_RELAXED);
}
int dumpread_had_bom(const struct dumpread *dr) { return dr->bom; }

static ssize_t produce(void *ctx, char *dst, size_t cap, uint64_t *mark);

int dumpread_kind_check(const char *name, enum magic_kind kind, struct err *e)
{
	switch (kind) {
	case MAGIC_SQL:
	case MAGIC_GZIP_SQL:
	case MAGIC_UNKNOWN:
	case MAGIC_EMPTY:
		return 0;
	case MAGIC_PGDMP:
		err_set(e, "%s is a custom-format dump, not a plain SQL dump", name);
		err_hint(e, "Restore it with pg_restore -d DBNAME %s (the manual adds --no-owner "
			    "--no-privileges --clean --if-exists), or convert it first: "
			    "pg_restore -f dump.sql %s.", name, name);
		return -1;
	case MAGIC_TAR:
		err_set(e, "%s is a %s, not a plain SQL dump", name, magic_name(kind));
		err_hint(e, "A tar-format dump is restored with pg_restore -d DBNAME %s.", name);
		return -1;
	case MAGIC_GZIP_TAR:
	case MAGIC_XZ:
	case MAGIC_ZSTD:
	case MAGIC_BZIP2:
	case MAGIC_ZIP:
		err_set(e, "%s is a %s, not a plain SQL dump", name, magic_name(kind));
		err_hint(e, "Unpack it first; a dump inside is restored with psql or pg_restore.");
		return -1;
	case MAGIC_MISSING:
		err_errno(e, ENOENT, "cannot open %s", name);
		err_hint(e, "Check the path (a relative one is taken from the current directory); "
			    "without --dump the newest dump in the backup root's db/ is used.");
		return -1;
	case MAGIC_DIR:
		err_set(e, "%s is a directory, not a plain-format dump", name);
		err_hint(e, "Name the dump file in it (*.sql.gz or *.sql).");
		return -1;
	}
	return err_set(e, "%s is not a plain-format dump (%s)", name, magic_name(kind));
}

int dumpread_open(struct dumpread **out, const char *path, struct report *r,
		  struct err *e)
{
	struct dumpread *dr;
	struct stat st;
	enum magic_kind kind;

	*out = NULL;
	dr = xcalloc(1, sizeof(*dr));
	dr->r = r;
	if (!strcmp(path, "-")) {
		dr->fd = 0;
		dr->name = xstrdup("standard input");
	} else {
		dr->fd = open(path, O_RDONLY | O_CLOEXEC);
		dr->name = xstrdup(path);
		if (dr->fd < 0) {
			err_errno(e, errno, "cannot open dump %s", path);
			err_where(e, path, 0, -1);
			free(dr->name);
			free(dr);
			return -1;
		}
		dr->own_fd = 1;
	}
	if (fstat(dr->fd, &st) == 0 && S_ISREG(st.st_mode))
		dr->total = (uint64_t)st.st_size;
	dr->in = xmalloc(RAW_CAP);
	dr->out = xmalloc(OUT_CAP + 1);
	/* Read the head to tell the format. */
	while (!dr->raw_eof && dr->in_end < 512)
		if (read_raw(dr, e) < 0)
			goto fail;
	kind = magic_of_bytes(dr->in, dr->in_end);
	if (dr->in_end >= 2 && dr->in[0] == 0x1f && dr->in[1] == 0x8b &&
	    kind != MAGIC_GZIP_TAR) {
		dr->gzip = 1;
		if (inflateInit2(&dr->zs, 15 + 16) != Z_OK) {
			err_set(e, "cannot initialise zlib");
			goto fail;
		}
		dr->zinit = 1;
		dr->zs.next_in = dr->in;
		dr->zs.avail_in = (uInt)dr->in_end;
		dr->members = 1;
	} else if (dumpread_kind_check(dr->name, kind, e) < 0) {
		err_where(e, dr->name, 0, 0);
		goto fail;
	}
	dr->perr = (struct err)ERR_INIT;
	dr->raw_done = raw_offset(dr);
	/* without a thread the same functions run here, only slower */
	if (ahead_start(&dr->ahead, produce, dr, AHEAD_BLOCK, AHEAD_BLOCKS) < 0)
		dr->ahead = NULL;
	*out = dr;
	return 0;
fail:
	dumpread_close(dr);
	return -1;
}

/* Inflate into out[oend..]; returns bytes produced, 0 at the end, -1 error. */
static ssize_t fill_gzip(struct dumpread *dr, unsigned char *dst, size_t cap, struct err *e)
{
	for (;;) {
		int ret;
		size_t produced;
		if (dr->gz_done)
			return 0;
		if (dr->zs.avail_in == 0 && !dr->raw_eof) {
			dr->in_pos = dr->in_end = 0;
			if (read_raw(dr, e) < 0)
				return -1;
			dr->zs.next_in = dr->in;
			dr->zs.avail_in = (uInt)dr->in_end;
		}
		dr->zs.next_out = dst;
		dr->zs.avail_out = (uInt)cap;
		ret = inflate(&dr->zs, Z_NO_FLUSH);
		produced = cap - dr->zs.avail_out;
		if (ret == Z_STREAM_END) {
			/* Another member, the end, or trailing garbage. */
			for (;;) {
				if (dr->zs.avail_in >= 2 || dr->raw_eof)
					break;
				/* keep the unread byte, read more behind it */
				dr->in_pos = (size_t)(dr->zs.next_in - dr->in);
				if (read_raw(dr, e) < 0)
					return -1;
				dr->zs.next_in = dr->in + dr->in_pos;
				dr->zs.avail_in = (uInt)(dr->in_end - dr->in_pos);
			}
			if (dr->zs.avail_in == 0) {
				dr->gz_done = 1;
			} else if (dr->zs.avail_in >= 2 && dr->zs.next_in[0] == 0x1f &&
				   dr->zs.next_in[1] == 0x8b) {
				inflateReset(&dr->zs);
				__atomic_add_fetch(&dr->members, 1, __ATOMIC_RELAXED);
			} else {
				/* told by the caller at the end (report is not
				 * for this thread) */
				dr->garbage_off = raw_offset(dr);
				dr->garbage = dr->total ? dr->total - dr->garbage_off : 0;
				dr->garbage_seen = 1;
				dr->gz_done = 1;
			}
			if (produced)
				return (ssize_t)produced;
			continue;
		}
		if (ret == Z_OK || (ret == Z_BUF_ERROR && produced)) {
			if (produced)
				return (ssize_t)produced;
			continue;
		}
		if (ret == Z_BUF_ERROR && dr->raw_eof && dr->zs.avail_in == 0) {
			dr->truncated = 1;
			err_set(e, "gzip stream is truncated (unexpected end of file)");
			err_detail(e, "The compressed file ends at byte %llu in the middle of gzip member %u.",
				   (unsigned long long)raw_offset(dr), dr->members);
			err_hint(e, "The dump was cut off (disk full, interrupted copy?); use an older, complete dump.");
			err_where(e, dr->name, 0, (int64_t)raw_offset(dr));
			return -1;
		}
		err_set(e, "corrupt gzip data: %s", dr->zs.msg ? dr->zs.msg : "inflate failed");
		err_detail(e, "At compressed byte %llu, in gzip member %u.",
			   (unsigned long long)raw_offset(dr), dr->members);
		err_where(e, dr->name, 0, (int64_t)raw_offset(dr));
		return -1;
	}
}

static ssize_t fill_plain(struct dumpread *dr, unsigned char *dst, size_t cap, struct err *e)
{
	size_t n;
	if (dr->in_pos >= dr->in_end) {
		if (dr->raw_eof)
			return 0;
		dr->in_pos = dr->in_end = 0;
		if (read_raw(dr, e) < 0)
			return -1;
		if (dr->in_end == 0)
			return 0;
	}
	n = dr->in_end - dr->in_pos;
	if (n > cap)
		n = cap;
	memcpy(dst, dr->in + dr->in_pos, n);
	dr->in_pos += n;
	return (ssize_t)n;
}

/* Read (and inflate) up to @cap bytes of text into @dst. */
static ssize_t fill_raw(struct dumpread *dr, unsigned char *dst, size_t cap, struct err *e)
{
	return dr->gzip ? fill_gzip(dr, dst, cap, e) : fill_plain(dr, dst, cap, e);
}

/* ahead_fill_fn: the producer thread's work. */
static ssize_t produce(void *ctx, char *dst, size_t cap, uint64_t *mark)
{
	struct dumpread *dr = ctx;
	ssize_t n = fill_raw(dr, (unsigned char *)dst, cap, &dr->perr);
	*mark = raw_offset(dr);
	return n;
}

/* Up to @cap more bytes of text into @dst: from the producer thread's
 * blocks, or read here when no thread could be started. */
static ssize_t take(struct dumpread *dr, unsigned char *dst, size_t cap, struct err *e)
{
	ssize_t n;
	uint64_t mark;
	if (!dr->ahead)
		return fill_raw(dr, dst, cap, e);
	if (dr->blk_pos == dr->blk_len) {
		n = ahead_next(dr->ahead, &dr->blk, &mark);
		if (n <= 0) {
			dr->blk = NULL;
			dr->blk_pos = dr->blk_len = 0;
			if (n < 0) {
				err_move(e, &dr->perr);
				return -1;
			}
			if (dr->garbage_seen) {
				dr->garbage_seen = 0;
				report_log(dr->r, LOG_WARN,
					   "%s: %llu bytes of trailing garbage after the last gzip member "
					   "at compressed offset %llu ignored",
					   dr->name, (unsigned long long)dr->garbage,
					   (unsigned long long)dr->garbage_off);
			}
			return 0;
		}
		dr->blk_pos = 0;
		dr->blk_len = (size_t)n;
		dr->raw_done = mark;
	}
	n = (ssize_t)(dr->blk_len - dr->blk_pos);
	if ((size_t)n > cap)
		n = (ssize_t)cap;
	memcpy(dst, dr->blk + dr->blk_pos, (size_t)n);
	dr->blk_pos += (size_t)n;
	return n;
}

/* Make room and read more text; 1 more data, 0 end, -1 error. */
static int fill(struct dumpread *dr, struct err *e)
{
	ssize_t n;
	unsigned char *nul;
	if (dr->nul_pending) {
		/* reported only when the text before it has been handed out, so
		 * that the caller knows the line */
		err_set(e, "NUL byte at offset %llu: this is not a text dump, or it is damaged",
			(unsigned long long)dr->nul_off);
		if (dr->gzip)
			err_detail(e, "The offset counts uncompressed bytes.");
		err_where(e, dr->name, 0, (int64_t)dr->nul_off);
		return -1;
	}
	if (dr->ostart > 0) {
		memmove(dr->out, dr->out + dr->ostart, dr->oend - dr->ostart);
		dr->out_base += dr->ostart;
		dr->oend -= dr->ostart;
		dr->scan -= dr->ostart;
		dr->ostart = 0;
	}
	n = take(dr, dr->out + dr->oend, OUT_CAP - dr->oend, e);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	nul = memchr(dr->out + dr->oend, 0, (size_t)n);
	if (nul) {
		dr->nul_off = dr->out_base + (uint64_t)(nul - dr->out);
		dr->nul_pending = 1;
		n = nul - (dr->out + dr->oend);
		if (n == 0)
			return fill(dr, e);
	}
	dr->oend += (size_t)n;
	return 1;
}

int dumpread_line(struct dumpread *dr, const char **p, size_t *len, struct err *e)
{
	for (;;) {
		unsigned char *nl;
		size_t avail = dr->oend - dr->ostart;
		if (!dr->bom_checked) {
			if (avail >= 3 || dr->out_eof) {
				dr->bom_checked = 1;
				if (avail >= 3 && !memcmp(dr->out + dr->ostart, "\xef\xbb\xbf", 3)) {
					dr->bom = 1;
					dr->ostart += 3;
					dr->scan = dr->ostart;
				}
				continue;
			}
		} else {
			if (dr->scan < dr->ostart)
				dr->scan = dr->ostart;
			nl = memchr(dr->out + dr->scan, '\n', dr->oend - dr->scan);
			if (nl) {
				*p = (const char *)dr->out + dr->ostart;
				*len = (size_t)(nl + 1 - (dr->out + dr->ostart));
				dr->ostart += *len;
				dr->scan = dr->ostart;
				return 1;
			}
			dr->scan = dr->oend;
			if (avail >= DUMPREAD_CHUNK || (dr->out_eof && avail > 0)) {
				*len = avail >= DUMPREAD_CHUNK ? DUMPREAD_CHUNK : avail;
				*p = (const char *)dr->out + dr->ostart;
				dr->ostart += *len;
				dr->scan = dr->ostart;
				return 1;
			}
			if (dr->out_eof)
				return 0;
		}
		switch (fill(dr, e)) {
		case -1:
			return -1;
		case 0:
			dr->out_eof = 1;
			break;
		}
	}
}

void dumpread_close(struct dumpread *dr)
{
	if (!dr)
		return;
	ahead_free(dr->ahead); /* joins the thread before its fields go */
	err_clear(&dr->perr);
	if (dr->zinit)
		inflateEnd(&dr->zs);
	if (dr->own_fd)
		close(dr->fd);
	free(dr->in);
	free(dr->out);
	free(dr->name);
	free(dr);
}
