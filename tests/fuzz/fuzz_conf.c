/* libFuzzer target: loading biso-recover's own configuration (conf, on
 * libconfig).  An error must leave the defaults as they were. */
#include "config.h"
#include "conf.h"
#include "err.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file("biso-recover.conf", data, size);
	struct conf c;
	struct err e = ERR_INIT;
	conf_init_defaults(&c);
	if (conf_load(&c, path, 1, &e) < 0) {
		if (!e.msg || c.path)
			abort();
	}
	err_clear(&e);
	conf_release(&c);
	return 0;
}
