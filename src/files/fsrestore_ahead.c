/* fsrestore_ahead: decompression in a reader thread; see fsrestore_ahead.h.
 * The thread and its ring of blocks are ahead.c's; this file is the
 * libarchive side: the producer reads the filters' output, the consumer is
 * the tar/zip reader's read callback. */
#include "config.h"
#include "fsrestore_ahead.h"
#include "ahead.h"
#include "fault.h"
#include "strbuf.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct fsrestore_ahead {
	struct archive *in;       /* filters + raw format, read by the thread */
	struct ahead *ahead;      /* NULL when closed */
	int err_no;               /* the thread's error, read after the end */
	char *msg;
	uint64_t bytes;           /* compressed bytes handed to the consumer (its thread only) */
};

/* ahead_fill_fn, in the thread. */
static ssize_t produce(void *ctx, char *dst, size_t cap, uint64_t *mark)
{
	struct fsrestore_ahead *h = ctx;
	la_ssize_t n = archive_read_data(h->in, dst, cap);
	*mark = (uint64_t)archive_filter_bytes(h->in, -1);
	if (n < 0) {
		const char *m = archive_error_string(h->in);
		h->err_no = archive_errno(h->in) ? archive_errno(h->in) : EIO;
		h->msg = xstrdup(m ? m : "cannot decompress");
		return -1;
	}
	return (ssize_t)n;
}

/* archive_read_open read callback: the next filled block. */
static la_ssize_t ahead_read(struct archive *a, void *data, const void **buf)
{
	struct fsrestore_ahead *h = data;
	const char *blk;
	uint64_t mark;
	ssize_t n = ahead_next(h->ahead, &blk, &mark);
	if (n < 0) {
		archive_set_error(a, h->err_no, "%s", h->msg);
		*buf = NULL;
		return -1;
	}
	*buf = blk;
	if (n > 0)
		h->bytes = mark;
	return (la_ssize_t)n;
}

static int ahead_close(struct archive *a, void *data)
{
	struct fsrestore_ahead *h = data;
	(void)a;
	ahead_free(h->ahead); /* stops and joins the thread */
	h->ahead = NULL;
	return ARCHIVE_OK;
}

int fsrestore_ahead_open(struct archive *a, const char *path, struct fsrestore_ahead **out)
{
	struct fsrestore_ahead *h = xcalloc(1, sizeof *h);
	struct archive_entry *ent;
	int r;
	*out = NULL;
	h->in = fault_fail("files.new.inflater") ? NULL : archive_read_new();
	if (!h->in) {
		/* only without memory, where bsdtar stops too */
		archive_set_error(a, ENOMEM, "cannot create the reader of the compressed stream: %s",
				  strerror(ENOMEM));
		fsrestore_ahead_free(h);
		return -1;
	}
	archive_read_support_filter_all(h->in);
	archive_read_support_format_raw(h->in);
	if (archive_read_open_filename(h->in, path, 1 << 17) != ARCHIVE_OK ||
	    archive_read_next_header(h->in, &ent) != ARCHIVE_OK) {
		archive_set_error(a, archive_errno(h->in) ? archive_errno(h->in) : EIO, "%s",
				  archive_error_string(h->in) ? archive_error_string(h->in)
							      : "cannot read the compressed stream");
		fsrestore_ahead_free(h);
		return -1;
	}
	if (ahead_start(&h->ahead, produce, h, FSRESTORE_AHEAD_BLOCK, FSRESTORE_AHEAD_BLOCKS) < 0) {
		archive_set_error(a, errno, "cannot start the decompression thread");
		fsrestore_ahead_free(h);
		return -1;
	}
	/* from here on libarchive may call ahead_close, also when the open
	 * fails; the caller frees h after archive_read_free(a) */
	*out = h;
	r = archive_read_open(a, h, NULL, ahead_read, ahead_close);
	return r == ARCHIVE_OK ? 0 : -1;
}

uint64_t fsrestore_ahead_bytes(struct fsrestore_ahead *h)
{
	return h ? h->bytes : 0;
}

void fsrestore_ahead_free(struct fsrestore_ahead *h)
{
	if (!h)
		return;
	ahead_free(h->ahead);
	if (h->in)
		archive_read_free(h->in);
	free(h->msg);
	free(h);
}
