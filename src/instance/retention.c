/* retention: the keep/delete decision of backup-prune; see retention.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "retention.h"
#include "i18n.h"
#include "strbuf.h"

int retention_policy_empty(const struct retention_policy *p)
{
	return p->last <= 0 && p->daily <= 0 && p->weekly <= 0 && p->monthly <= 0;
}

enum period { P_DAY, P_WEEK, P_MONTH };

/* The period @t falls in as one number: days, ISO weeks or months since
 * some start, in local time (a day is the local calendar day). */
static long period_of(time_t t, enum period k)
{
	struct tm tm;
	localtime_r(&t, &tm);
	switch (k) {
	case P_DAY:
		return (long)(tm.tm_year + 1900) * 400 + tm.tm_yday;
	case P_WEEK: {
		/* ISO week year and week, as strftime's %G and %V */
		char buf[16];
		strftime(buf, sizeof buf, "%G %V", &tm);
		return strtol(buf, NULL, 10) * 100 + strtol(buf + 5, NULL, 10);
	}
	case P_MONTH:
		return (long)(tm.tm_year + 1900) * 12 + tm.tm_mon;
	}
	return 0;
}

struct ranked {
	size_t idx;
	time_t when;
};

static int newest_first(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->when != y->when)
		return x->when > y->when ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx; /* stable on ties */
}

/* @rule a msgid ("last"): English into @sb, translated into @sbl, as the
 * policy line names the rules */
static void add_reason(struct strbuf *sb, struct strbuf *sbl, const char *rule, int rank)
{
	if (sb->len) {
		strbuf_addstr(sb, ", ");
		strbuf_addstr(sbl, ", ");
	}
	strbuf_addf(sb, "%s %d", rule, rank);
	strbuf_addf(sbl, "%s %d", _(rule), rank);
}

void retention_decide(const struct retention_policy *p, const struct retention_backup *b,
		      size_t n, struct retention_decision *out)
{
	struct ranked *r = xcalloc(n ? n : 1, sizeof *r);
	struct strbuf *why = xcalloc(n ? n : 1, sizeof *why);
	struct strbuf *whyl = xcalloc(n ? n : 1, sizeof *whyl);
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		strbuf_init(&why[i], 0);
		strbuf_init(&whyl[i], 0);
		if (b[i].complete) {
			r[m].idx = i;
			r[m].when = b[i].when;
			m++;
		}
	}
	qsort(r, m, sizeof *r, newest_first);

	for (size_t j = 0; j < m && (int)j < p->last; j++)
		add_reason(&why[r[j].idx], &whyl[r[j].idx], N_("last"), (int)j + 1);

	static const struct {
		const char *name;
		enum period k;
	} rules[] = { { N_("daily"), P_DAY }, { N_("weekly"), P_WEEK },
		      { N_("monthly"), P_MONTH } };
	const int counts[] = { p->daily, p->weekly, p->monthly };
	for (size_t k = 0; k < sizeof rules / sizeof *rules; k++) {
		int kept = 0;
		long prev = 0;
		for (size_t j = 0; j < m && kept < counts[k]; j++) {
			long per = period_of(r[j].when, rules[k].k);
			if (j && per == prev)
				continue; /* an older backup of a period already kept */
			prev = per;
			add_reason(&why[r[j].idx], &whyl[r[j].idx], rules[k].name, ++kept);
		}
	}
	if (m && !why[r[0].idx].len) {
		strbuf_addstr(&why[r[0].idx], "newest");
		strbuf_addstr(&whyl[r[0].idx], _("newest"));
	}

	for (size_t i = 0; i < n; i++) {
		if (!b[i].complete) {
			out[i].verdict = RETENTION_IGNORE;
			strbuf_addstr(&why[i], "incomplete");
			strbuf_addstr(&whyl[i], _("incomplete"));
		} else {
			out[i].verdict = why[i].len ? RETENTION_KEEP : RETENTION_DELETE;
		}
		out[i].reason = strbuf_detach(&why[i], NULL);
		out[i].reason_l10n = strbuf_detach(&whyl[i], NULL);
	}
	free(why);
	free(whyl);
	free(r);
}

void retention_release(struct retention_decision *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(out[i].reason);
		out[i].reason = NULL;
		free(out[i].reason_l10n);
		out[i].reason_l10n = NULL;
	}
}
