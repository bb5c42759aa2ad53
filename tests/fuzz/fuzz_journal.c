/* libFuzzer target: the journal reader (journal_pending) on a damaged
 * journal. */
#include "config.h"
#include "err.h"
#include "fuzz.h"
#include "journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal_entry *v = NULL;
	struct err e = ERR_INIT;
	size_t n = 0;
	fuzz_file("journal", data, size);
	if (journal_pending(fuzz_dir(), &v, &n, &e) < 0) {
		if (!e.msg)
			abort();
	} else {
		for (size_t k = 0; k < n; k++)
			if (!v[k].stamp || !v[k].live)
				abort();
	}
	journal_entries_free(v, n);
	err_clear(&e);
	return 0;
}
