/* cpus: the CPUs this process may use; see cpus.h. */
#include "config.h"
#include "cpus.h"
#include "strbuf.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cpus_of_cpu_max(const char *text)
{
	char *end;
	unsigned long long quota, period;
	if (!text || !strncmp(text, "max", 3))
		return 0;
	quota = strtoull(text, &end, 10);
	if (end == text || *end != ' ')
		return 0;
	period = strtoull(end + 1, NULL, 10);
	if (!quota || !period)
		return 0;
	return quota / period >= 4096 ? 4096 : (int)((quota + period - 1) / period);
}

/* The cpu.max of this process's cgroup (v2: the line "0::PATH" of
 * /proc/self/cgroup), or 0 when there is none or no limit. */
static int cgroup_cpus(void)
{
	char line[4096], max[64];
	FILE *f = fopen("/proc/self/cgroup", "re");
	char *path = NULL;
	int n = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			path = xstrfmt("/sys/fs/cgroup%s/cpu.max", line + 3);
			break;
		}
	fclose(f);
	if (path && (f = fopen(path, "re"))) {
		if (fgets(max, sizeof max, f))
			n = cpus_of_cpu_max(max);
		fclose(f);
	}
	free(path);
	return n;
}

int cpus_usable(void)
{
	cpu_set_t cs;
	long n;
	int q = cgroup_cpus();
	if (sched_getaffinity(0, sizeof cs, &cs) == 0)
		n = CPU_COUNT(&cs);
	else
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (q > 0 && q < n)
		n = q;
	return n < 1 ? 1 : n > 4096 ? 4096 : (int)n;
}
