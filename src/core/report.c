/* report: progress and log plumbing; see report.h. */
#include "config.h"
#include "report.h"
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

void report_log(struct report *r, enum log_level level, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	if (!r || !r->log)
		return;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	r->log(r->ctx, level, sb.buf);
	strbuf_release(&sb);
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
	if (!(why & 0x100))
		return "cancelled by the operator";
	switch (why & 0xff) {
	case SIGINT: return "cancelled by the operator (Ctrl-C, SIGINT)";
	case SIGHUP: return "the terminal hung up (SIGHUP)";
	case SIGTERM: return "stopped by SIGTERM";
	case SIGQUIT: return "stopped by SIGQUIT";
	default: return "stopped by a signal";
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
