#include "selfexe.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define DELETED " (deleted)"

size_t self_exe_undeleted(char *path)
{
	size_t len = strlen(path), dl = sizeof DELETED - 1;
	if (len > dl && strcmp(path + len - dl, DELETED) == 0)
		path[len -= dl] = '\0';
	return len;
}

long self_exe_path(char *buf, size_t size)
{
	ssize_t n;
	if (size == 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	buf[0] = '\0';
	n = readlink("/proc/self/exe", buf, size - 1);
	if (n < 0)
		return -1;
	if ((size_t)n == size - 1) { /* possibly cut: refuse rather than guess */
		buf[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	buf[n] = '\0';
	return (long)self_exe_undeleted(buf);
}
