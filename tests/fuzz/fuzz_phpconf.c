/* libFuzzer target: reading config.php (phpconf) and building the
 * conninfo from it.  An error must name the file. */
#include "config.h"
#include "err.h"
#include "fuzz.h"
#include "phpconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file("config.php", data, size);
	struct phpconf pc;
	struct err e = ERR_INIT;
	if (phpconf_load(path, "/var/www/biso", &pc, &e) < 0) {
		if (!e.msg || !e.file)
			abort();
	} else {
		free(phpconf_conninfo(&pc, &e));
	}
	err_clear(&e);
	phpconf_release(&pc);
	return 0;
}
