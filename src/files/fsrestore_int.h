/*
 * fsrestore_int: what the files of the file restore engine share
 * (fsrestore.c, the restore and the verification; fsrestore_remote.c, the
 * fetch of a host:path source; fsrestore_size.c, sizes for the space
 * checks).  Not a public API.
 */
#ifndef BR_FSRESTORE_INT_H
#define BR_FSRESTORE_INT_H

#include <stdint.h>

struct err;

/* @bytes plus the margin every space check adds: 2 %, and an eighth of
 * @bytes, at least 1 MiB and at most 16 MiB. */
uint64_t fsrestore_with_margin(uint64_t bytes);

/*
 * Fill @e with "not enough space in @dir to @doing", the detail giving
 * @need (margin included) and @avail in bytes, humanised and exact;
 * @what_free names what @avail is ("free", "free when the restore
 * started" ...).  The caller adds the hint.
 */
void fsrestore_space_error(struct err *e, const char *dir, const char *doing, uint64_t need,
			   uint64_t avail, const char *what_free);

#endif
