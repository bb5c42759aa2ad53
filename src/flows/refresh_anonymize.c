/* refresh_anonymize: the refresh's fourth step, the migrations and then
 * the anonymizer, after the target's config.php was read again and still
 * says env 'dev'; see refresh.h. */
#include "config.h"
#include "i18n.h"
#include "refresh_int.h"
#include "bisocli.h"
#include "conf.h"
#include "runcmd.h"
#include "strbuf.h"

#include <stdlib.h>

static const char *const migrate[] = { "migration", "exec", NULL };
static const char *const anonymize[] = { "anonymizer", "anonymize", "--do-it", NULL };

static void anonymize_describe(const struct run *run, struct strbuf *out)
{
	const struct refresh *rf = refresh_of(run);
	const char **a = bisocli_argv(rf->conf, migrate), **b = bisocli_argv(rf->conf, anonymize);
	strbuf_addstr(out, _("run:    "));
	runcmd_format_argv(a, out);
	strbuf_addstr(out, _("\nthen:   "));
	runcmd_format_argv(b, out);
	strbuf_addf(out, _(" (only while %s says env 'dev')\nin:     %s\n"), rf->config_php,
		    rf->webroot);
	free(a);
	free(b);
}

static int anonymize_run(struct run *run, struct step_out *out, struct report *r, struct err *e)
{
	struct refresh *rf = refresh_of(run);
	if (bisocli_run(rf->conf, rf->webroot, migrate, NULL, r, e) < 0)
		return -1;
	/* the file may have changed since the preflight: read it again, the
	 * last moment before the anonymizer */
	if (refresh_require_dev(rf, r, e) < 0) {
		err_prefix(e, "the anonymizer was not run");
		return -1;
	}
	if (bisocli_run(rf->conf, rf->webroot, anonymize, NULL, r, e) < 0)
		return -1;
	rf->anonymized = 1;
	step_out_summaryf(out, "migrations applied, anonymizer exited 0");
	return 0;
}

const struct step_def refresh_step_anonymize = {
	.name = "anonymize",
	.title = N_("Migrations and anonymizer"),
	.explain = N_("Runs biso-cli migration exec, then reads the target's config.php again and, "
		"only while it still says env 'dev', biso-cli anonymizer anonymize --do-it. Their "
		"output goes to the log; a non-zero exit status fails the refresh."),
	.flags = STEP_F_FILES | STEP_F_DATABASE,
	.describe = anonymize_describe,
	.run = anonymize_run,
};
