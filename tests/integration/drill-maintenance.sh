#!/bin/sh
# drill-maintenance.sh: drill 06 (a killed backup left maintenance mode
# on).  A restore --dry-run in the drill only says that maintenance mode
# was left on and that the next command that is not a dry run switches it
# off: the mode and the marker stay (it switched them off before, though a
# dry run changes nothing).  A real run that changes nothing else
# (restore --only verify --yes) then switches it off and the checks pass.
# The drill runs under script(1) for its terminal.  Skips (77) without
# root, php, a PostgreSQL server or script.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
B=${BISO_RECOVER:-$top_builddir/biso-recover}
. "$top_srcdir/tests/lib/drill.sh"
drill_setup maint # the installed layout in $T/share
export LANGUAGE=en LC_ALL=C

# drill KEYS OUT: drill 06 in a fresh sandbox with the lines of KEYS typed
drill() {
	rm -rf "$T/sb"
	printf "$1" | script -qec "'$B' drill --sandbox '$T/sb' 06" /dev/null 2>&1 | tr -d '\r' > "$2"
	grep -q 'q ' "$2" || { cat "$2"; fail "drill 06 did not reach its menu"; }
}
# the words of OUT on one line: the terminal's lines wrap between words
joined() { tr -s '\n ' '  ' < "$1"; }
maint_on() { [ -n "$(find "$T/sb" -name maintenance.on 2>/dev/null)" ] && [ -e "$T/sb/log/maintenance-on" ]; }

# r, --dry-run, then q: the plan says so; the mode stays on (the sandbox is
# left as it is: KEEP the cluster for the look)
drill 'r\n--dry-run\nq\n' "$T/dry.out"
joined "$T/dry.out" | grep -q "ended while maintenance mode was on in [^ ]*: the next command that is not a dry run" ||
	{ cat "$T/dry.out"; fail "the dry run does not say that maintenance mode was left on"; }
maint_on || { cat "$T/dry.out"; fail "restore --dry-run in the drill switched maintenance mode off"; }
echo "ok: restore --dry-run in drill 06 only says maintenance mode was left on"
"$T/share/demo/stop.sh" "$T/sb" >/dev/null 2>&1

# r, --only verify --yes: a real run switches it off; the checks pass
drill 'r\n--only verify --yes\nq\n' "$T/real.out"
joined "$T/real.out" | grep -q "ended while maintenance mode was on in [^ ]*: switching it off" &&
	grep -q "All checks pass" "$T/real.out" ||
	{ cat "$T/real.out"; fail "restore --only verify --yes in drill 06 did not switch maintenance mode off"; }
! maint_on || fail "maintenance mode is still on after the real run"
echo "ok: a real run (restore --only verify --yes) switches it off: the drill's goal"
