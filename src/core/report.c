/* report: progress and log plumbing; see report.h. */
#include "config.h"
#include "report.h"
#include "i18n.h"
#include "strbuf.h"

#include <signal.h>
#include <stdarg.h>
#include <time.h>

static int64_t (*clock_source)(void);

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t report_now_ns(void)
{
	return clock_source ? clock_source() : mono_ns();
}

void report_set_clock(int64_t (*clock_fn)(void))
{
	clock_source = clock_fn;
}

void report_progress(struct report *r, const struct progress *p, int force)
{
	int64_t now;
	if (!r || !r->progress)
		return;
	now = report_now_ns();
	if (!force && r->next_ns && now < r->next_ns)
		return;
	r->next_ns = now + 100000000;
	r->progress(r->ctx, p);
}

void report_line(struct report *r, enum log_level level, const char *line, const char *shown)
{
	if (!r)
		return;
	if (r->log_l10n)
		r->log_l10n(r->ctx, level, line, shown ? shown : line);
	else if (r->log)
		r->log(r->ctx, level, line);
}

void report_log(struct report *r, enum log_level level, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT, l10n = STRBUF_INIT;
	const char *tr;
	va_list ap, ap2;
	if (!r || (!r->log && !r->log_l10n))
		return;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	strbuf_vaddf(&sb, fmt, ap);
	/* only a front end that shows the line needs its translation */
	if (r->log_l10n && (tr = i18n_find(fmt)))
		strbuf_vaddf(&l10n, tr, ap2);
	va_end(ap2);
	va_end(ap);
	report_line(r, level, sb.buf, l10n.len ? l10n.buf : NULL);
	strbuf_release(&sb);
	strbuf_release(&l10n);
}

void report_log_l10n(struct report *r, enum log_level level, const char *shown,
		     const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	if (!r || (!r->log && !r->log_l10n))
		return;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	report_line(r, level, sb.buf, shown);
	strbuf_release(&sb);
}

void report_log_stopped(struct report *r, enum log_level level, const char *fmt,
			const char *name)
{
	const char *why = report_stop_reason(r);
	struct strbuf en = STRBUF_INIT, shown = STRBUF_INIT;
	if (!r || (!r->log && !r->log_l10n))
		return;
	/* fmt is a msgid with two %s (po-check's msgfmt --check holds the
	 * translation to them) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	strbuf_addf(&en, fmt, name, why);
	strbuf_addf(&shown, _(fmt), name, _(why));
#pragma GCC diagnostic pop
	report_line(r, level, en.buf, shown.buf);
	strbuf_release(&en);
	strbuf_release(&shown);
}

int report_cancelled(struct report *r)
{
	return r && r->cancelled ? r->cancelled(r->ctx) : 0;
}

const char *report_stop_reason(struct report *r)
{
	return report_reason(report_cancelled(r));
}

const char *report_reason(int why)
{
	if (why == REPORT_STOP_MISMATCH)
		return N_("the typed confirmation did not match 3 times: nothing more was changed");
	if (!(why & 0x100))
		return N_("cancelled by the operator");
	switch (why & 0xff) {
	case SIGINT: return N_("cancelled by the operator (Ctrl-C, SIGINT)");
	case SIGHUP: return N_("the terminal hung up (SIGHUP)");
	case SIGTERM: return N_("stopped by SIGTERM");
	case SIGQUIT: return N_("stopped by SIGQUIT");
	default: return N_("stopped by a signal");
	}
}

const char *log_level_name(enum log_level level)
{
	switch (level) {
	case LOG_DEBUG: return "DEBUG";
	case LOG_INFO: return "INFO";
	case LOG_WARN: return "WARN";
	case LOG_ERROR: return "ERROR";
	}
	return "?";
}

void rate_window_reset(struct rate_window *rw)
{
	rw->head = rw->n = 0;
}

void rate_window_add(struct rate_window *rw, int64_t t_ns, uint64_t done, int new_phase)
{
	int last = (rw->head + RATE_SAMPLES - 1) % RATE_SAMPLES;
	if (new_phase || (rw->n && done < rw->bytes[last]))
		rate_window_reset(rw);
	if (rw->n && t_ns - rw->t_ns[last] < 250000000)
		return;
	rw->t_ns[rw->head] = t_ns;
	rw->bytes[rw->head] = done;
	rw->head = (rw->head + 1) % RATE_SAMPLES;
	if (rw->n < RATE_SAMPLES)
		rw->n++;
}

double rate_window_rate(const struct rate_window *rw, int64_t now_ns)
{
	int oldest, newest;
	int64_t t_end, dt;
	if (rw->n < 2)
		return -1;
	oldest = (rw->head - rw->n + RATE_SAMPLES) % RATE_SAMPLES;
	newest = (rw->head - 1 + RATE_SAMPLES) % RATE_SAMPLES;
	t_end = now_ns > rw->t_ns[newest] ? now_ns : rw->t_ns[newest];
	dt = t_end - rw->t_ns[oldest];
	if (dt < 500000000)
		return -1;
	return (double)(rw->bytes[newest] - rw->bytes[oldest]) / ((double)dt / 1e9);
}
