/*
 * ahead: run a producer ahead of its consumer, in a second thread, through
 * a bounded ring of blocks.
 *
 * Inflating a gzip dump or archive costs as much CPU as parsing it; psql
 * and tar get the second core by running gzip as another process.  Here a
 * producer thread calls @fill to fill up to @nblocks blocks of @block bytes
 * each (memory stays bounded: @nblocks * @block), while the consumer takes
 * the filled blocks in order with ahead_next().  The producer owns its
 * context alone while the thread runs: the consumer may read what the
 * producer left in it (an error, counters) only after ahead_next() returned
 * 0 or -1, or after ahead_free().  Used by dumpread (plain and gzip dumps)
 * and fsrestore_ahead (compressed archives).
 */
#ifndef BR_AHEAD_H
#define BR_AHEAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ahead;

/*
 * Producer callback, run in the thread: write up to @cap bytes to @dst and
 * return how many (> 0), 0 at the end of the input, -1 on an error (which
 * the callback keeps in @ctx for the consumer).  *@mark is a number the
 * consumer gets back with this block (e.g. the compressed offset after it).
 */
typedef ssize_t (*ahead_fill_fn)(void *ctx, char *dst, size_t cap, uint64_t *mark);

/*
 * Start the thread.  Returns 0 with *@out set (free it with ahead_free()),
 * or -1 when no thread could be started (errno set); the caller may then
 * call @fill itself.
 */
int ahead_start(struct ahead **out, ahead_fill_fn fill, void *ctx, size_t block, unsigned nblocks);

/*
 * The next filled block, in order; the block handed out before is given
 * back to the producer first.  *@buf stays valid until the next call.
 * Returns its length (> 0) with *@mark set, 0 at the end of the input, or
 * -1 when the producer failed (its error is in its context).
 */
ssize_t ahead_next(struct ahead *h, const char **buf, uint64_t *mark);

/* Stop and join the thread if it still runs, and free @h (NULL is fine). */
void ahead_free(struct ahead *h);

#endif
