/*
 * timestamp: the two ways biso-recover writes a time, in local time: the
 * name form that runs, logs, kept copies and dumps carry, and the form
 * people read in messages.  One place, so that every name sorts and
 * parses alike.
 */
#ifndef BR_TIMESTAMP_H
#define BR_TIMESTAMP_H

#include <time.h>

/* "YYYYMMDD_HHMMSS" of @t (local time) into @out (16 bytes). */
void timestamp_name(time_t t, char out[16]);
/* "YYYY-MM-DD HH:MM:SS" of @t (local time) into @out (20 bytes). */
void timestamp_human(time_t t, char out[20]);

#endif
