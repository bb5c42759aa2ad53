/*
 * Helpers of the libFuzzer targets in tests/fuzz (tools/fuzz.sh runs them).
 * A target whose backend call takes a file name gets the input written to
 * a file in a private directory made once per process.
 */
#ifndef BR_FUZZ_H
#define BR_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The private directory, made on first use; abort() if it cannot be. */
static inline const char *fuzz_dir(void)
{
	static char dir[] = "/tmp/br-fuzz.XXXXXX";
	static int made;
	if (!made) {
		if (!mkdtemp(dir))
			abort();
		made = 1;
	}
	return dir;
}

/* Write @data to <fuzz_dir>/@name and return that path (static buffer). */
static inline const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	static char path[4096];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
	f = fopen(path, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		abort();
	return path;
}

#endif
