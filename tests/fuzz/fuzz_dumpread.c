/* libFuzzer target: the dump reader (dumpread): gzip framing (members,
 * cut or corrupt streams, trailing bytes), BOM, NUL bytes, long lines.
 * Every piece must be non-empty and at most DUMPREAD_CHUNK bytes, and an
 * error must say where. */
#include "config.h"
#include "dumpread.h"
#include "err.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file("dump.sql.gz", data, size);
	struct dumpread *dr;
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
	return 0;
}
