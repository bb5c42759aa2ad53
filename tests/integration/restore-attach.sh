#!/bin/bash
# restore-attach: detached runs (issue 11) with real processes, a real
# PostgreSQL and tmux.  The demo's dump gets a table whose index calls a
# function that sleeps 10 ms a row (1500 rows): its replay takes at least
# 15 s on any machine.
#   A. `restore --yes` in a tmux session; while the database step replays,
#      the session is killed (the pty goes away, the client is hung up):
#      the detached runner finishes, `status` reports finished with exit 0,
#      and the restored database equals psql's restore of the same dump
#      (pg_dump compared).
#   B. `restore` without --yes: the operator confirms the first steps; the
#      session is killed at the database step's confirmation (nothing is
#      decided: the runner waits, `status` says so, exit 5); `restore`
#      started again in a new session attaches: the step list, the log
#      backlog and the pending question; the database name is typed there,
#      the database step runs.  Meanwhile a third `restore` attaches: it is
#      told who answers since when, types takeover and answers from then on;
#      the second says it is read-only now.  Both see the end, exit 0.
# (That a client dropped while a step runs leaves the runner waiting at the
# next question is tests/unit/test_runner.c; the restore has no
# confirmation after its database step.)
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
command -v tmux >/dev/null 2>&1 || skip "tmux is not installed (apt-get install tmux)"
demo_test_setup attach "chown of the datadir to www-data, runuser postgres"
TM="tmux -L br-attach-$$ -f /dev/null"
trap '$TM kill-server >/dev/null 2>&1 || true; demo_test_cleanup' EXIT

NEW=$T/new
mkdir -p "$NEW"
sed "s/'dbname' *=> *'biso'/'dbname'   => 'biso_copy'/" "$S/backups/webroot/config.php" > "$T/config.php"
LOG=$T/log
ARGS=(--config "$S/biso-recover.conf" --webroot "$NEW/webroot" --config-php "$T/config.php"
	--log-dir "$LOG" --only webroot,config,datadir,database)

dump_db() { # db -> normalised pg_dump on stdout
	pg_dump --no-owner --no-privileges -d "$1" | grep -v '^\\\(un\)\?restrict '
}

demo_slow_dump # its replay takes at least 15 s
# the reference: psql's restore of the same dump
psql -qX -c "CREATE DATABASE biso_ref OWNER biso TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'de_CH.utf8' LC_CTYPE 'de_CH.utf8'"
gunzip -c "$DEMO_DUMP" | psql -X -q -v ON_ERROR_STOP=1 -U biso -d biso_ref > "$T/psql.out" 2>&1 ||
	{ cat "$T/psql.out"; fail "psql could not restore the slow dump"; }
dump_db biso_ref > "$T/reference.sql"

# screen (the history too), status_file, wait_status
TMUX_CMD=$TM
TMUX_CAPTURE="-J -S -200"
. "$top_srcdir/tests/lib/tmux.sh"
# wait_screen SESSION FIXED-STRING [SECONDS]
wait_screen() {
	local n=$((${3:-120} * 10))
	for _ in $(seq $n); do
		text_has "$(screen "$1")" -F -- "$2" && return 0
		sleep 0.1
	done
	screen "$1"
	fail "session $1 never showed: $2"
}
start_in() { # SESSION CMD...: run CMD in a new 120x40 tmux session
	local s=$1
	shift
	$TM new-session -d -s "$s" -x 120 -y 40 \
		"$(printf '%q ' "$@"); echo \"exit=\$?\" > $T/$s.exit; sleep 600"
}

# A. --yes; the terminal is killed during the database step.
start_in a "$BISO_RECOVER" restore --yes "${ARGS[@]}"
wait_status "step_title=Restore the database .*step_state=running" 300
$TM kill-session -t a
pid=$(sed -n 's/^pid=//p' "$(status_file)")
kill -0 "$pid" || fail "the runner (pid $pid) did not survive the killed terminal"
[ ! -e "$T/a.exit" ] || fail "the client in the killed session finished: $(cat "$T/a.exit")"
wait_status "state=finished" 600
set +e
"$BISO_RECOVER" status --config "$S/biso-recover.conf" --log-dir "$LOG" > "$T/statusA.out" 2>&1
rc=$?
set -e
[ $rc = 0 ] && grep -q "finished, exit 0" "$T/statusA.out" || { cat "$T/statusA.out"; fail "A: status exit $rc"; }
runlog=$(ls -t "$LOG"/biso-recover-*.log | head -1)
grep -q "step database done" "$runlog" || { cat "$runlog"; fail "A: the run log lacks the database step's end"; }
dump_db biso_copy > "$T/restoredA.sql"
diff -u "$T/reference.sql" "$T/restoredA.sql" > "$T/A.diff" ||
	{ head -40 "$T/A.diff"; fail "A: pg_dump of the restored database differs from psql's restore"; }
echo "ok: A. restore --yes goes on with its terminal killed during the database step; status exit 0; the database equals psql's restore"

# B. Without --yes; the terminal goes away at a question; a new restore
#    attaches, a third takes over.
sleep 1 # a new run stamp
start_in b "$BISO_RECOVER" restore --again "${ARGS[@]}" # (A finished: a new run on purpose)
for q in "Restore the webroot: " "Check config.php: " "Restore the datadir: "; do
	wait_screen b "$q"
	wait_screen b "Go on? Type yes:"
	$TM send-keys -t b "yes" Enter
	# the next question (or the one typed below) clears the screen's match
	sleep 0.5
done
wait_screen b "Type the database name (biso_copy) to go on:"
wait_status "state=waiting .*step_title=Restore the database" 60
$TM kill-session -t b
sleep 1
wait_status "state=waiting" 5 # still: a gone client decides nothing
set +e
"$BISO_RECOVER" status --config "$S/biso-recover.conf" --log-dir "$LOG" > "$T/statusB.out" 2>&1
rc=$?
set -e
[ $rc = 5 ] && grep -q "waiting for an answer, at step 4/6 Restore the database" "$T/statusB.out" ||
	{ cat "$T/statusB.out"; fail "B: status while waiting: exit $rc"; }
echo "ok: B. the killed terminal decided nothing: the runner waits at the database's confirmation (status exit 5)"

start_in c "$BISO_RECOVER" restore "${ARGS[@]}"
wait_screen c "attaching to it"
wait_screen c "step 3/6 Restore the datadir: done"
wait_screen c "step datadir done in"  # the backlog
wait_screen c "Type the database name (biso_copy) to go on:"
$TM send-keys -t c "biso_copy" Enter
wait_status "step_title=Restore the database .*step_state=running" 60
echo "ok: B. restore started again attaches: step list, backlog, the pending question; the answer there goes on"

start_in d "$BISO_RECOVER" restore "${ARGS[@]}"
wait_screen d "is attached and answers the questions; this terminal only watches"
text_has "$(screen d)" "root on .* since [0-9][0-9]:[0-9][0-9]:[0-9][0-9] is attached" ||
	{ screen d; fail "B: the second client is not told who is attached since when"; }
$TM send-keys -t d "takeover" Enter
wait_screen c "took over: this terminal only watches now (read-only)"
wait_screen d "Attached: this terminal answers the run's questions."
wait_status "state=finished" 600
wait_screen c "Summary:"
wait_screen d "Summary:"
for s in c d; do
	for _ in $(seq 100); do [ -s "$T/$s.exit" ] && break; sleep 0.1; done
	[ "$(cat "$T/$s.exit" 2>/dev/null)" = exit=0 ] || { screen $s; fail "B: client $s: $(cat "$T/$s.exit" 2>/dev/null)"; }
done
dump_db biso_copy > "$T/restoredB.sql"
diff -u "$T/reference.sql" "$T/restoredB.sql" > "$T/B.diff" ||
	{ head -40 "$T/B.diff"; fail "B: pg_dump of the restored database differs from psql's restore"; }
echo "ok: B. a second client takes over, the first turns read-only and says so; both see the end, exit 0"
echo "restore-attach: all checks passed"
