/* timestamp: run names and readable times; see timestamp.h. */
#include "config.h"
#include "timestamp.h"

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
