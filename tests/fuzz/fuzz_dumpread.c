/* libFuzzer target: the dump reader (dumpread): gzip framing (members,
 * cut or corrupt streams, trailing bytes), BOM, NUL bytes, long lines.
 * Every piece must be non-empty and at most DUMPREAD_CHUNK bytes, and an
 * error must say where.  Then the offline inspection of the same file
 * (dumpinfo_scan: reader, splitter and COPY blocks together, as before a
 * replay). */
#include "config.h"
#include "dumpinfo.h"
#include "dumpread.h"
#include "err.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file("dump.sql.gz", data, size);
	struct dumpread *dr;
	struct dumpinfo di;
	struct err e = ERR_INIT;
	const char *p;
	size_t len;
	int rc;
	if (dumpread_open(&dr, path, NULL, &e) < 0) {
		if (!e.msg)
			abort();
		err_clear(&e);
		return 0;
	}
	while ((rc = dumpread_line(dr, &p, &len, &e)) == 1)
		if (len == 0 || len > DUMPREAD_CHUNK)
			abort();
	if (rc < 0 && !e.msg)
		abort();
	err_clear(&e);
	dumpread_close(dr);
	if (dumpinfo_scan(path, &di, NULL, &e) < 0 && !e.msg)
		abort();
	dumpinfo_release(&di);
	err_clear(&e);
	return 0;
}
