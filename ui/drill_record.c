/*
 * Trainer mode of `biso-recover drill`: --record FILE runs the drill on a
 * pseudo-terminal of its own and keeps everything the trainee typed and saw
 * (the wizard's screens too) with its time, like ttyrec; --replay FILE plays
 * it back on the trainer's terminal at the pace it happened (pauses over 2 s
 * shortened to 2 s), for the debrief.
 *
 * The file (0600): the line "biso-recover drill record 1", then records of
 * a kind byte ('o' output, 'i' input), the milliseconds since the start and
 * the length (two 32-bit big-endian numbers), and the bytes.
 */
#include "config.h"
#include "cli.h"
#include "drill_record.h"
#include "frontend.h"
#include "i18n.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAGIC "biso-recover drill record 1\n"

static uint32_t ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint32_t)((t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000);
}

static int put(FILE *f, char kind, uint32_t ms, const char *buf, size_t len)
{
	uint32_t h[2] = { htonl(ms), htonl((uint32_t)len) };
	return fputc(kind, f) == EOF || fwrite(h, sizeof h, 1, f) != 1 ||
	       fwrite(buf, 1, len, f) != len ? -1 : 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int drill_record(const char *path, int *is_child)
{
	struct winsize ws, *wsp = NULL;
	struct termios saved, raw;
	struct timespec t0;
	int master, fd, status = 0, tty = isatty(0);
	FILE *f;
	pid_t pid;

	*is_child = 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, _("biso-recover: cannot write the record %s: %s\n"), path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_USAGE;
	}
	fputs(MAGIC, f);
	if (tty && ioctl(0, TIOCGWINSZ, &ws) == 0)
		wsp = &ws;
	/* the drill's terminal starts as ours is */
	if (tty && tcgetattr(0, &saved) < 0)
		tty = 0;
	fflush(NULL);
	pid = forkpty(&master, NULL, tty ? &saved : NULL, wsp);
	if (pid < 0) {
		fprintf(stderr, _("biso-recover: cannot open a terminal to record on: %s\n"),
			strerror(errno));
		fclose(f);
		return EXIT_USAGE;
	}
	if (pid == 0) {
		fclose(f);
		*is_child = 1;
		return 0;
	}
	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p[2] = { { master, POLLIN, 0 }, { 0, POLLIN, 0 } };
		char buf[4096];
		ssize_t n;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			n = read(master, buf, sizeof buf);
			if (n <= 0)
				break; /* the drill ended: EIO on the master */
			put(f, 'o', ms_since(&t0), buf, (size_t)n);
			write_all(1, buf, (size_t)n);
		}
		if (p[1].revents) {
			n = read(0, buf, sizeof buf);
			if (n <= 0)
				p[1].fd = -1;
			else {
				put(f, 'i', ms_since(&t0), buf, (size_t)n);
				write_all(master, buf, (size_t)n);
			}
		}
	}
	if (tty)
		tcsetattr(0, TCSANOW, &saved);
	close(master);
	waitpid(pid, &status, 0);
	if (fclose(f) != 0)
		fprintf(stderr, _("biso-recover: cannot write the record %s: %s\n"), path,
			strerror(errno));
	else
		printf(_("The drill was recorded in %s; replay it with: biso-recover drill --replay %s\n"),
		       path, path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_FAILED;
}

int drill_replay(const char *path)
{
	FILE *f = fopen(path, "r");
	char magic[sizeof MAGIC];
	uint32_t last = 0;
	int c;

	if (!f) {
		fprintf(stderr, _("biso-recover: cannot read the record %s: %s\n"), path, strerror(errno));
		return EXIT_USAGE;
	}
	if (!fgets(magic, sizeof magic, f) || strcmp(magic, MAGIC)) {
		fprintf(stderr, _("biso-recover: %s is not a drill's record (no '%s' line)\n"), path,
			"biso-recover drill record 1");
		fclose(f);
		return EXIT_USAGE;
	}
	while ((c = fgetc(f)) != EOF) {
		uint32_t h[2], ms, len;
		char buf[4096];
		if (fread(h, sizeof h, 1, f) != 1 || (c != 'o' && c != 'i')) {
			fprintf(stderr, _("biso-recover: %s: a record is cut off at byte offset %ld\n"),
				path, ftell(f));
			fclose(f);
			return EXIT_FAILED;
		}
		ms = ntohl(h[0]);
		len = ntohl(h[1]);
		if (ms > last) {
			uint32_t wait = ms - last > 2000 ? 2000 : ms - last;
			struct timespec ts = { wait / 1000, (long)(wait % 1000) * 1000000 };
			nanosleep(&ts, NULL);
			last = ms;
		}
		while (len) {
			size_t k = len > sizeof buf ? sizeof buf : len;
			if (fread(buf, 1, k, f) != k) {
				fprintf(stderr, _("biso-recover: %s: a record is cut off at byte offset %ld\n"),
					path, ftell(f));
				fclose(f);
				return EXIT_FAILED;
			}
			if (c == 'o')
				write_all(1, buf, k);
			len -= (uint32_t)k;
		}
	}
	fclose(f);
	return EXIT_DONE;
}
