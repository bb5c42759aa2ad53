/* status-driver: write a status file the way a runner does, for the
 * integration tests of `biso-recover status`.
 *   status-driver FILE KEY=VALUE...
 * KEYs are those of statusfile.h (run_id flow pid start state step nsteps
 * step_title step_state done total rate item log question exit); state is
 * running, waiting or finished; start=auto takes the start time of pid's
 * process from /proc (as a runner records its own).  The file is written
 * at once (forced), through statusfile_update().
 * Exit: 0 written, 1 not written (error on stderr), 2 usage. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lock.h"
#include "statusfile.h"
#include "strbuf.h"

static int usage(const char *why)
{
	fprintf(stderr, "status-driver: %s\nusage: status-driver FILE KEY=VALUE...\n", why);
	return 2;
}

int main(int argc, char **argv)
{
	struct status st;
	struct statusfile sf;
	struct err e = ERR_INIT;
	int auto_start = 0, ret;

	if (argc < 2)
		return usage("no FILE");
	memset(&st, 0, sizeof st);
	st.state = STATUS_RUNNING;
	for (int i = 2; i < argc; i++) {
		char *k = argv[i], *v = strchr(k, '=');
		if (!v)
			return usage("an argument is not KEY=VALUE");
		*v++ = '\0';
		if (!strcmp(k, "run_id")) st.run_id = v;
		else if (!strcmp(k, "flow")) st.flow = v;
		else if (!strcmp(k, "pid")) st.pid = strtol(v, NULL, 10);
		else if (!strcmp(k, "start") && !strcmp(v, "auto")) auto_start = 1;
		else if (!strcmp(k, "start")) st.start = strtoll(v, NULL, 10);
		else if (!strcmp(k, "state"))
			st.state = !strcmp(v, "finished") ? STATUS_FINISHED
				   : !strcmp(v, "waiting") ? STATUS_WAITING : STATUS_RUNNING;
		else if (!strcmp(k, "step")) st.step = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(k, "nsteps")) st.nsteps = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(k, "step_title")) st.step_title = v;
		else if (!strcmp(k, "step_state")) st.step_state = v;
		else if (!strcmp(k, "done")) st.done = strtoull(v, NULL, 10);
		else if (!strcmp(k, "total")) st.total = strtoull(v, NULL, 10);
		else if (!strcmp(k, "rate")) st.rate = strtoull(v, NULL, 10);
		else if (!strcmp(k, "item")) st.item = v;
		else if (!strcmp(k, "log")) st.log = v;
		else if (!strcmp(k, "question")) st.question = v;
		else if (!strcmp(k, "exit")) st.exit_code = atoi(v);
		else
			return usage("unknown KEY");
	}
	if (auto_start)
		st.start = lock_process_start((pid_t)st.pid);
	statusfile_init(&sf, argv[1]);
	ret = statusfile_update(&sf, &st, 1, &e);
	statusfile_release(&sf);
	if (ret < 0) {
		fprintf(stderr, "status-driver: %s\n", e.msg);
		err_clear(&e);
		return 1;
	}
	return 0;
}
