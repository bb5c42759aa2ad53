#!/bin/bash
# restore-mismatch: in line mode, on a terminal (script(1)), three wrong
# database names at the typed confirmation of the database step end the
# run apart from Ctrl-C and "no" (newcomer 8.13: "cancelled by the
# operator", exit 130, the summary not saying why): exit 7, the summary's
# "the run ended early: the typed confirmation did not match 3 times:
# nothing more was changed", with the datadir already replaced (kept:),
# "not done: database, ..." and the commands that finish the run or put it
# back; the live database untouched.  On the demo instance.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-${top_builddir:-$top_srcdir/build}/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
command -v script >/dev/null || skip "script(1) is not installed"
demo_test_setup mismatch "chown of the datadir to www-data, runuser postgres"
psql -qX -U biso -d biso -c "CREATE TABLE mismatch_marker (x int)"

run="$(printf '%q ' "$BISO_RECOVER" restore --only datadir,database --config "$DEMO_CONFIG")"
until_seen() { # COUNT PATTERN: the terminal's transcript shows it (no timing asserted)
	for _ in $(seq 1200); do
		[ "$(grep -c -- "$2" "$T/tty" 2>/dev/null || true)" -ge "$1" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$T/tty"; fail "'$2' was not asked ($1 times)"
}
mkfifo "$T/in"
script -qec "stty cols 250; $run" /dev/null < "$T/in" > "$T/tty" 2>&1 &
pid=$!
exec 3> "$T/in"
until_seen 1 "Go on? Type yes:"
echo yes >&3
for k in 1 2 3; do
	until_seen $k "Type the database name (biso) to go on:"
	echo "bsio$k" >&3
done
set +e; wait $pid; rc=$?; set -e
exec 3>&-
tr -d '\r' < "$T/tty" > "$T/out"
[ $rc = 7 ] || { cat "$T/out"; fail "three wrong names: exit $rc, expected 7 (not 130, Ctrl-C's)"; }
grep -qF "the run ended early: the typed confirmation did not match 3 times: nothing more was changed" "$T/out" ||
	{ cat "$T/out"; fail "the summary does not say why the run ended"; }
grep -q "cancelled by the operator" "$T/out" && { cat "$T/out"; fail "three wrong names read as a cancel"; }
grep -q "^kept: .*pre-restore" "$T/out" || { cat "$T/out"; fail "the summary does not say what was already replaced"; }
grep -qxF "not done: database" "$T/out" || { cat "$T/out"; fail "no 'not done: database'"; }
grep -qF "  biso-recover restore --only database --config $DEMO_CONFIG" "$T/out" || { cat "$T/out"; fail "no command that finishes the run"; }
grep -qF "  biso-recover rollback --config $DEMO_CONFIG" "$T/out" || { cat "$T/out"; fail "no rollback command"; }
psql -AtXc "SELECT 1 FROM pg_tables WHERE tablename = 'mismatch_marker'" -d biso | grep -qx 1 ||
	fail "the live database was replaced after three wrong names"
echo "ok: three wrong database names end the run with exit 7 and say why, what was replaced and how to go on"
