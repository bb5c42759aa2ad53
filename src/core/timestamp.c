/* timestamp: run names and readable times; see timestamp.h. */
#include "config.h"
#include "timestamp.h"

#include <string.h>

void timestamp_name(time_t t, char out[16])
{
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 16, "%Y%m%d_%H%M%S", &tm);
}

void timestamp_human(time_t t, char out[20])
{
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

int timestamp_parse(const char *name, time_t *out)
{
	struct tm tm;
	const char *end;
	memset(&tm, 0, sizeof tm);
	if (strlen(name) != 15 || !(end = strptime(name, "%Y%m%d_%H%M%S", &tm)) || *end)
		return -1;
	tm.tm_isdst = -1;
	*out = mktime(&tm);
	return *out == (time_t)-1 ? -1 : 0;
}
