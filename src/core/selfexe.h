/*
 * selfexe: the path of the running biso-recover binary.
 *
 * The kernel's /proc/self/exe names the file the process was started from;
 * once that file was replaced (a package upgrade, `make` in the build tree)
 * it reads "PATH (deleted)".  Every user of the path (the runner's start,
 * the build tree's catalogues and share/, the path guard) wants the binary
 * now at PATH, so the suffix is dropped here, in one place.
 */
#ifndef BR_SELFEXE_H
#define BR_SELFEXE_H

#include <stddef.h>

/* Writes the running binary's path into @buf (@size bytes, NUL-terminated)
 * without a trailing " (deleted)".  Returns its length, or -1 (errno set;
 * @buf then holds "") when /proc is not mounted or the path does not fit. */
long self_exe_path(char *buf, size_t size);

/* Drops a trailing " (deleted)" from @path in place (what readlink of
 * /proc/PID/exe appends once the file is gone).  Returns the new length. */
size_t self_exe_undeleted(char *path);

#endif
