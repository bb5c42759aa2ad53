/*
 * drill_record: trainer mode of `biso-recover drill` (ui/drill_record.c).
 */
#ifndef BR_DRILL_RECORD_H
#define BR_DRILL_RECORD_H

/* Record the drill into @path (0600): the drill goes on in a child on a
 * pseudo-terminal (*@is_child 1 there, return value 0: the caller runs the
 * drill), the parent relays the terminal and records until the child ends
 * and returns its exit code (*@is_child 0), or EXIT_USAGE when the file or
 * the terminal cannot be opened. */
int drill_record(const char *path, int *is_child);
/* Play @path back on stdout at its pace (pauses cut to 2 s).  An exit code. */
int drill_replay(const char *path);

#endif
