/* refresh_fetch: the refresh's second step when the source is on another
 * host: production's dump fetched with rsync over ssh (as files-restore
 * fetches, after its space check) into <log_dir>/refresh-<time>.fetch,
 * which the flow's finish deletes however the refresh ends; see refresh.h. */
#include "config.h"
#include "i18n.h"
#include "refresh_int.h"
#include "conf.h"
#include "fsrestore.h"
#include "strbuf.h"

#include <stdlib.h>

static void fetch_describe(const struct run *run, struct strbuf *out)
{
	const struct refresh *rf = refresh_of(run);
	strbuf_addf(out, _("source: %s\ninto:   %s/refresh-%s.fetch (deleted when the refresh ends)\n"),
		    rf_orq(rf->dump), rf->conf->log_dir, rf->stamp);
}

/* Nothing to fetch from a backup set on this host. */
static const char *fetch_skip(const struct run *run)
{
	const struct refresh *rf = refresh_of(run);
	return rf->dump && fsrestore_is_remote(rf->dump) ? NULL : N_("the dump is on this host");
}

static int fetch_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct refresh *rf = refresh_of(run);
	char *into = xstrfmt("%s/refresh-%s.fetch", rf->conf->log_dir, rf->stamp), *local = NULL;
	out->source = xstrdup(rf->dump);
	/* from here on it is ours to delete, also when the fetch fails half way */
	rf->fetched = into;
	if (fsrestore_fetch(rf->dump, into, NULL, 0, 0, r, &local, e) < 0) {
		err_hint(e, "Nothing was replaced. Check --source HOST:PATH and the ssh access.");
		return -1;
	}
	if (magic_detect(local, &rf->dump_kind, e) < 0) {
		free(local);
		return -1;
	}
	free(rf->dump);
	rf->dump = local;
	step_out_summaryf(out, "fetched %s", rf->dump);
	return 0;
}

const struct step_def refresh_step_fetch = {
	.name = "fetch",
	.title = N_("Fetch production's dump"),
	.explain = N_("Copies production's dump from the backup host with rsync over ssh into the "
		"test host's log directory (after checking its free space); it is deleted again when "
		"the refresh ends, however it ends. Skipped when the backup set is on this host."),
	.describe = fetch_describe,
	.skip = fetch_skip,
	.run = fetch_run,
};
