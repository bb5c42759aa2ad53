#!/bin/bash
# biso-recover cleanup asked on a terminal (script(1) gives it one): the
# list is on stdout before the question also when stdout is a file; a copy
# it never removes (the newest) asks again instead of ending the run; and
# with the database server down, the end line does not contradict the
# warning that the kept databases could not be listed.  No database server:
# the target conninfo names a socket directory that does not exist.
set -euo pipefail
top_builddir=$(cd "${top_builddir:-.}" && pwd)
B=${BISO_RECOVER:-$top_builddir/biso-recover}
fail() { echo "FAIL: $*"; exit 1; }
command -v script >/dev/null || { echo "SKIP: script(1) not installed"; exit 77; }
[ -x "$B" ] || fail "$B not built"
T=$(mktemp -d /tmp/cleanup-prompt.XXXXXX)
trap 'exec 3>&- 2>/dev/null; rm -rf "$T"' EXIT

W=$T/live/webroot
mkdir -p "$W" "$T/log" "$W.pre-restore-20250101_000000" "$W.pre-restore-20250102_000000"
printf 'webroot = "%s";\nlog_dir = "%s";\n' "$W" "$T/log" > "$T/conf"
run="$(printf '%q ' "$B" cleanup --config "$T/conf" --datadir "$W/data" --dbname "host=$T/nosuchdir dbname=biso user=biso")"

# until PATTERN shows COUNT times in FILE (the terminal's transcript); no
# timing is asserted, the wait only ends once the program got there
until_seen() { # COUNT PATTERN FILE
	for _ in $(seq 600); do
		[ "$(grep -c -- "$2" "$3" 2>/dev/null || true)" -ge "$1" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$3"; fail "'$2' was not asked ($1 times)"
}

# 1. stdout into a file: at the first question the list is in it already;
#    1 (the newest copy) asks again; 2 and yes remove the older copy.
mkfifo "$T/in"
script -qec "$run > $(printf '%q' "$T/stdout")" /dev/null < "$T/in" > "$T/tty" 2>&1 &
pid=$!
exec 3> "$T/in"
until_seen 1 "Remove which?" "$T/tty"
grep -q "webroot.pre-restore-20250101_000000" "$T/stdout" && grep -q "(newest: kept)" "$T/stdout" ||
	{ cat "$T/stdout"; fail "the list was not on stdout before the question"; }
echo 1 >&3
until_seen 2 "Remove which?" "$T/tty"
grep -q "is the newest copy of the .*: it is kept" "$T/tty" || { cat "$T/tty"; fail "1: no reason given"; }
echo 2 >&3
until_seen 1 "Type yes to remove them:" "$T/tty"
echo yes >&3
exec 3>&-
set +e; wait $pid; rc=$?; set -e
[ $rc = 0 ] && [ ! -e "$W.pre-restore-20250101_000000" ] && [ -d "$W.pre-restore-20250102_000000" ] ||
	{ cat "$T/tty" "$T/stdout"; fail "after 1 (the newest), 2 and yes: exit $rc, expected 0 and the older copy removed"; }
echo "ok: cleanup prints the list before it asks (stdout a file), asks again after the newest copy, removes the chosen one"

# A dry run without copies named ends in whole sentences, each on its line.
"$B" cleanup --dry-run --config "$T/conf" --datadir "$W/data" --dbname "host=$T/nosuchdir dbname=biso user=biso" \
	> "$T/dry.out" 2>&1 || { cat "$T/dry.out"; fail "cleanup --dry-run failed"; }
grep -qxF -- "--dry-run: nothing was removed." "$T/dry.out" &&
	grep -qxF "Name copies by number, range, name or all to see what would be removed." "$T/dry.out" ||
	{ cat "$T/dry.out"; fail "cleanup --dry-run: its last sentence is broken"; }
echo "ok: cleanup --dry-run ends in whole sentences"

# 2. The database server is down and only the newest copy is left... none
#    at all: the end line says the databases could not be listed.
rm -rf "$W.pre-restore-20250102_000000"
"$B" cleanup --dry-run --config "$T/conf" --datadir "$W/data" --dbname "host=$T/nosuchdir dbname=biso user=biso" \
	> "$T/none.out" 2> "$T/none.err" || { cat "$T/none.out" "$T/none.err"; fail "cleanup with the server down failed"; }
grep -q "^warning: the kept databases cannot be listed" "$T/none.err" &&
	grep -qxF "No kept copies of the webroot or datadir; kept databases could not be listed (see the warning)." "$T/none.out" ||
	{ cat "$T/none.out" "$T/none.err"; fail "the server down: the end line contradicts the warning"; }
echo "ok: with the server down, cleanup says the kept databases could not be listed"
echo "cleanup-prompt: all checks passed"
