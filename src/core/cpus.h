/*
 * cpus: how many CPUs this process may use, the one count for every
 * "one thread (or connection) per core" default: the replay's --jobs 0,
 * pgzip's deflate threads, the seal's hashing threads, the copier's.
 */
#ifndef BR_CPUS_H
#define BR_CPUS_H

/*
 * The CPUs this process may run on: its affinity mask's count
 * (sched_getaffinity: fewer under taskset or a cpuset), at most the
 * cgroup v2 CPU quota of its own cgroup rounded up (cpu.max: a container
 * given 1.5 CPUs gets 2), else the online CPUs.  Never less than 1.
 * Reads /proc/self/cgroup and /sys/fs/cgroup each call (a few small
 * reads: call it once per piece of work, not per file).
 */
int cpus_usable(void);

/*
 * The CPUs a cgroup v2 cpu.max text allows ("200000 100000" is 2,
 * "150000 100000" rounds up to 2), or 0 without a limit ("max ...") or
 * for text it cannot read.
 */
int cpus_of_cpu_max(const char *text);

#endif
