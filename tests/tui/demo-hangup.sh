#!/bin/bash
# demo-hangup.sh: tools/demo.sh (README command 1; DEMO_SKIP_DEPS,
# DEMO_SKIP_BUILD: the test build's biso-recover) stops the demo's
# PostgreSQL cluster once, and not under a run that still works:
#   hangup: `tools/demo.sh restore` at its first question, the terminal goes
#           (the tmux server is killed): the detached run waits on; demo.sh
#           leaves the cluster up for it and says so in the sandbox's
#           log/demo.log; once the run has ended (here: SIGTERM to its
#           runner) the cluster is stopped.  demo.sh died of the SIGHUP
#           before, and the cluster stayed up for good;
#   ctrl-c: Ctrl-C in the wizard (and y at its question): the wizard ends,
#           the cluster is stopped and "stop: cluster ... stopped" is said
#           once (the INT and the EXIT trap each said it before).
# Skips (77) without tmux, php, rsync, a PostgreSQL server or root.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root (chown of the datadir to www-data, runuser postgres)"
for t in tmux php rsync pg_dump psql; do command -v $t >/dev/null || skip "$t not installed"; done
[ -x "$top_builddir/biso-recover" ] || skip "no $top_builddir/biso-recover"
T=$(mktemp -d /tmp/br-demohup.XXXXXX)
chmod 755 "$T"
S=$T/s
TMUX_CMD="tmux -L biso-demohup-$$ -f /dev/null"
. "$top_srcdir/tests/lib/tmux.sh" # cap, shows, failscreen, wait_for, keys
cleanup() {
	$TMUX_CMD kill-server >/dev/null 2>&1 || true
	for f in "$S"/log/biso-recover-*.status; do
		[ -f "$f" ] || continue
		grep -q '^state=finished' "$f" && continue
		pid=$(sed -n 's/^pid=//p' "$f")
		[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
	done
	[ -d "$S/pg/pgdata" ] && "$top_srcdir/share/demo/stop.sh" "$S" >/dev/null 2>&1 || true
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
TMUX_CAPTURE="-J -S -3000"

# demo ARGS...: tools/demo.sh in a new 80x24 session; DEMO-END after it
demo() {
	$TMUX_CMD kill-server >/dev/null 2>&1 && sleep 0.5
	$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
		"env TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 DEMO_SKIP_DEPS=1 DEMO_SKIP_BUILD=1 \
DEMO_BUILD_DIR='$top_builddir' DEMO_SANDBOX='$S' '$top_srcdir/tools/demo.sh' $*; echo DEMO-END; sleep 600" ||
		fail "tmux new-session failed"
}
cluster_up() { [ -f "$S/pg/pgdata/postmaster.pid" ]; }
# wait_until SECONDS WHAT CMD...: poll CMD every 0.5 s
wait_until() {
	local secs=$1 n=$(($1 * 2)) what=$2
	shift 2
	until "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "after $secs s: $what"
		sleep 0.5
	done
}
status_code() {
	code=0
	"$top_builddir/biso-recover" status --config "$S/biso-recover.conf" >"$T/status.out" 2>&1 || code=$?
}
run_ended() { status_code; [ "$code" != 4 ] && [ "$code" != 5 ]; }
said_in_log() { [ -f "$S/log/demo.log" ] && grep -q -- "$1" "$S/log/demo.log"; }

# ---- hangup: the terminal goes while a detached run waits --------------
demo restore
wait_for "Type yes:" 300 "line mode's first question"
$TMUX_CMD kill-server
status_code
[ "$code" = 5 ] || { cat "$T/status.out"; fail "status exit $code after the hangup, expected 5 (the run waits for an answer)"; }
n=240 # 120 s
until said_in_log "still works"; do
	n=$((n - 1))
	[ "$n" -gt 0 ] || { cat "$S/log/demo.log" 2>/dev/null || true; status_code; cat "$T/status.out"
		fail "after 120 s demo.sh has not said in $S/log/demo.log that the cluster stays for the run (it died of SIGHUP?)"; }
	sleep 0.5
done
cluster_up || fail "demo.sh stopped the cluster under a run that waits on it"
grep -q "share/demo/stop.sh $S" "$S/log/demo.log" || { cat "$S/log/demo.log"; fail "demo.sh does not say how to stop the cluster now"; }
# the run ends: its runner stopped
pid=$(sed -n 's/^pid=//p' "$(ls -t "$S"/log/biso-recover-*.status | head -1)")
kill -TERM "$pid"
wait_until 120 "the run still works after SIGTERM to its runner" run_ended
wait_until 60 "the cluster is still up after the run ended" eval '! cluster_up'
wait_until 30 "demo.log does not say the cluster was stopped: $(cat "$S/log/demo.log")" \
	said_in_log "stop: cluster in $S/pg stopped"
echo "ok: the terminal of tools/demo.sh went during a run: the cluster stayed up for the run and was stopped at its end"

# ---- ctrl-c: the wizard quits, one stop line -----------------------------
demo
wait_for "Restore this instance" 300 "the wizard's first screen"
keys C-c
n=0
while cap && ! shows "DEMO-END"; do
	shows "Quit the wizard\?" && keys y
	n=$((n + 1))
	[ "$n" -lt 300 ] || failscreen "Ctrl-C did not end the wizard"
	sleep 0.2
done
stops=$(printf '%s\n' "$last_screen" | grep -c "stop: cluster in .* stopped" || true)
[ "$stops" = 1 ] || failscreen "the stop line is said $stops times, expected once"
cluster_up && fail "the cluster is still up after the wizard ended"
echo "ok: Ctrl-C in tools/demo.sh's wizard: the cluster stopped, said once"
