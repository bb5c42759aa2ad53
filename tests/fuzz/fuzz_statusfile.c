/* libFuzzer target: the status file reader (statusfile_read) on a cut or
 * garbled file.  A refusal must name the file; a file it accepts must hold
 * what a status needs (run id, flow, a known state) and be written back
 * by statusfile_update() to a file that reads the same. */
#include "config.h"
#include "err.h"
#include "fuzz.h"
#include "statusfile.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct status st, again;
	struct statusfile sf;
	struct err e = ERR_INIT;
	const char *path = fuzz_file("run.status", data, size);
	char *copy;
	memset(&st, 0, sizeof st);
	memset(&again, 0, sizeof again);
	if (statusfile_read(path, &st, &e) < 0) {
		if (!e.msg || !e.file || strcmp(e.file, path))
			abort();
		err_clear(&e);
		return 0;
	}
	if (!st.run_id || !st.flow || st.state < STATUS_RUNNING || st.state > STATUS_FINISHED)
		abort();
	copy = xstrfmt("%s/again.status", fuzz_dir());
	statusfile_init(&sf, copy);
	if (statusfile_update(&sf, &st, 1, &e) < 0 || statusfile_read(copy, &again, &e) != 1)
		abort();
	if (strcmp(st.run_id, again.run_id) || strcmp(st.flow, again.flow) || st.pid != again.pid ||
	    st.start != again.start || st.state != again.state || st.step != again.step ||
	    st.done != again.done || st.total != again.total ||
	    strcmp(st.log ? st.log : "", again.log ? again.log : "") ||
	    (st.state == STATUS_FINISHED && st.exit_code != again.exit_code))
		abort();
	statusfile_release(&sf);
	free(copy);
	status_clear(&st);
	status_clear(&again);
	return 0;
}
