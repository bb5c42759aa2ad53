#!/bin/sh
# The backup's systemd units (share/systemd) as make builds them: the
# services run the built binary's `backup` (the template with
# /etc/biso-recover/NAME.conf), the timers are valid, and systemd-analyze
# verify accepts service, timer and an instance of each template (the
# binary put where the unit names it; the man page link is not checked:
# man may not know the page before it is installed).
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
fail() { echo "FAIL: $*"; exit 1; }
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
u=$top_builddir/share/systemd
[ -f "$u/biso-recover-backup.service" ] && [ -f "$u/biso-recover-backup@.service" ] || fail "the services were not built"
grep -Eqx 'ExecStart=/.*/biso-recover backup' "$u/biso-recover-backup.service" || fail "the service does not run 'biso-recover backup' by its full path"
grep -Eqx 'ExecStart=/.*/biso-recover backup --config /etc/biso-recover/%i.conf' "$u/biso-recover-backup@.service" ||
	fail "the template does not read /etc/biso-recover/NAME.conf"
! grep -q '@bindir@' "$u"/*.service || fail "@bindir@ left in a unit"
T=$(mktemp -d /tmp/br-units.XXXXXX)
trap 'rm -rf "$T"' EXIT
for f in biso-recover-backup.service biso-recover-backup@.service; do
	# the unit as installed, its binary where this build has it
	sed "s|^ExecStart=[^ ]*/biso-recover|ExecStart=$top_builddir/biso-recover|" "$u/$f" > "$T/$f"
done
cp "$top_srcdir/share/systemd/biso-recover-backup.timer" "$top_srcdir/share/systemd/biso-recover-backup@.timer" "$T/"
cp "$T/biso-recover-backup@.service" "$T/biso-recover-backup@demo.service"
cp "$T/biso-recover-backup@.timer" "$T/biso-recover-backup@demo.timer"
cd "$T"
out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no ./biso-recover-backup.service ./biso-recover-backup.timer \
	./biso-recover-backup@demo.service ./biso-recover-backup@demo.timer 2>&1) || { echo "$out"; fail "systemd-analyze verify rejects the units"; }
[ -z "$out" ] || { echo "$out"; fail "systemd-analyze verify warns"; }
echo "ok: the backup's systemd units verify (service, timer, template instance)"
