/* fault: kill points for tests; see fault.h.  Compiled twice: into the
 * library as no-ops, and with -DBR_FAULT_POINTS into the test build. */
#include "config.h"
#include "fault.h"

#ifndef BR_FAULT_POINTS

void fault_point(const char *name)
{
	(void)name;
}

void fault_pointf(const char *fmt, ...)
{
	(void)fmt;
}

int fault_fail(const char *name)
{
	(void)name;
	return 0;
}

int fault_failf(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

void fault_set_hook(void (*fn)(const char *name, void *ctx), void *ctx)
{
	(void)fn;
	(void)ctx;
}

#else

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char **seen;       /* names recorded so far */
static size_t n_seen;
static unsigned long hits; /* of the point to kill at */
static int termed;         /* BR_FAULT_TERM's SIGTERM was raised */
static void (*hook)(const char *name, void *ctx);
static void *hook_ctx;

void fault_set_hook(void (*fn)(const char *name, void *ctx), void *ctx)
{
	hook_ctx = ctx;
	hook = fn;
}

void fault_point(const char *name)
{
	const char *rec = getenv("BR_FAULT_RECORD");
	const char *kill_at = getenv("BR_FAULT_KILL");
	const char *term_at = getenv("BR_FAULT_TERM");

	if (hook)
		hook(name, hook_ctx);
	pthread_mutex_lock(&lock);
	if (rec && *rec) {
		size_t i;
		for (i = 0; i < n_seen && strcmp(seen[i], name); i++)
			;
		if (i == n_seen) {
			char **v = realloc(seen, (n_seen + 1) * sizeof *v);
			int fd = open(rec, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
			if (v) {
				seen = v;
				seen[n_seen] = strdup(name);
				if (seen[n_seen])
					n_seen++;
			}
			if (fd >= 0) {
				(void)!write(fd, name, strlen(name));
				(void)!write(fd, "\n", 1);
				close(fd);
			}
		}
	}
	if (kill_at && *kill_at) {
		const char *at = strchr(kill_at, '@');
		size_t len = at ? (size_t)(at - kill_at) : strlen(kill_at);
		unsigned long want = at ? strtoul(at + 1, NULL, 10) : 1;
		if (strlen(name) == len && !strncmp(name, kill_at, len) && ++hits >= want) {
			/* stderr only: the test reads which point killed the run */
			dprintf(2, "fault: SIGKILL at %s\n", name);
			kill(getpid(), SIGKILL);
		}
	}
	if (term_at && !termed && !strcmp(name, term_at)) {
		termed = 1;
		dprintf(2, "fault: SIGTERM at %s\n", name);
		kill(getpid(), SIGTERM); /* handled: the process goes on */
	}
	pthread_mutex_unlock(&lock);
}

/* The name a formatted point (fault_pointf(), fault_failf()) has: @fmt
 * and the caller's arguments into the array @name, one size for both
 * (long paths are cut alike). */
#define FAULT_NAME(name, fmt) \
	char name[4096]; \
	do { \
		va_list ap_; \
		va_start(ap_, fmt); \
		vsnprintf(name, sizeof name, fmt, ap_); \
		va_end(ap_); \
	} while (0)

void fault_pointf(const char *fmt, ...)
{
	FAULT_NAME(name, fmt);
	fault_point(name);
}

int fault_fail(const char *name)
{
	const char *list = getenv("BR_FAULT_FAIL");
	size_t len = strlen(name);
	if (hook)
		hook(name, hook_ctx);
	while (list && *list) {
		size_t n = strcspn(list, ",");
		if (n == len && !strncmp(list, name, len))
			return 1;
		list += n + (list[n] == ',');
	}
	return 0;
}

int fault_failf(const char *fmt, ...)
{
	FAULT_NAME(name, fmt);
	return fault_fail(name);
}

#endif
