#!/bin/bash
# wizard-attach: the wizard is a client of a detached runner (issue 11),
# with real processes, a real PostgreSQL and tmux.  The demo's dump gets a
# table whose index calls a function that sleeps 10 ms a row (1500 rows):
# its replay takes at least 15 s on any machine.
#   A. The restore's wizard (80x24) confirms steps 1-4; while the database step
#      replays, its tmux session is killed (the pty goes away): the runner
#      finishes the step and waits at the next step's question (status
#      exit 5); `biso-recover` started again opens the wizard attached to
#      the run, on that step (step 5 of 6,
#      the database step done in the step list, the log backlog with the
#      times of the run log, not the attach's), the restore completes,
#      status exit 0.
#   B. While that wizard shows its summary, the nightly backup runs: the
#      wizard holds no lock (a wizard left on its summary held the webroot
#      lock, and the backup failed).  After q the normal screen has the
#      summary and a verdict line with the exit code and the log.
#   C. Two wizards: the second is told who answers since when, takes over
#      with t, and answers; the first says it is read-only now.
# Skips (77) without tmux, php, rsync, psql or root.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
command -v tmux >/dev/null 2>&1 || skip "tmux is not installed (apt-get install tmux)"
demo_test_setup wizattach "chown of the datadir to www-data, runuser postgres"
TM="tmux -L br-wizattach-$$ -f /dev/null"
trap '$TM kill-server >/dev/null 2>&1 || true; demo_test_cleanup' EXIT
CONF=$S/biso-recover.conf
LOG=$S/log

demo_slow_dump # its replay takes at least 15 s

# screen, status_file, wait_status
TMUX_CMD=$TM
TMUX_CAPTURE=-J
. "$top_srcdir/tests/lib/tmux.sh"
# wait_screen SESSION REGEX [SECONDS]
wait_screen() {
	local n=$((${3:-60} * 10))
	for _ in $(seq $n); do
		text_has "$(screen "$1")" -E -- "$2" && return 0
		sleep 0.1
	done
	screen "$1"
	fail "session $1 never showed: $2"
}
wizard_in() { # SESSION [ARGS]: `biso-recover --config CONF ARGS` in a new 80x24 session
	local s=$1
	shift
	$TM new-session -d -s "$s" -x 80 -y 24 \
		"$(printf '%q ' "$BISO_RECOVER" --config "$CONF" "$@"); echo \"exit=\$?\" > $T/$s.exit; sleep 600"
}
wait_exit() { # SESSION CODE
	for _ in $(seq 100); do [ -s "$T/$1.exit" ] && break; sleep 0.1; done
	[ "$(cat "$T/$1.exit" 2>/dev/null)" = "exit=$2" ] ||
		{ screen "$1"; fail "wizard $1: $(cat "$T/$1.exit" 2>/dev/null), expected exit=$2"; }
}
# run_step SESSION N: Enter at step N's screen, and its confirmation
run_step() {
	wait_screen "$1" "Step $2 of 6"
	wait_screen "$1" "Enter run this step"
	$TM send-keys -t "$1" Enter
	sleep 0.3
	if text_has "$(screen "$1")" "Type biso to continue"; then
		$TM send-keys -t "$1" -l biso
		$TM send-keys -t "$1" Enter
	elif text_has "$(screen "$1")" "Run it now?"; then
		$TM send-keys -t "$1" y
	fi
}
status_rc() {
	set +e
	"$BISO_RECOVER" status --config "$CONF" > "$T/status.out" 2>&1
	rc=$?
	set -e
}

# A. the terminal killed during the database step
wizard_in a wizard restore
for n in 1 2 3 4; do run_step a $n; done
wait_status "step_title=Restore the database .*step_state=running" 120
$TM kill-session -t a
pid=$(sed -n 's/^pid=//p' "$(status_file)")
kill -0 "$pid" || fail "A: the runner (pid $pid) did not survive the killed terminal"
[ ! -e "$T/a.exit" ] || fail "A: the wizard in the killed session finished: $(cat "$T/a.exit")"
wait_status "state=waiting .*step_title=Run migrations, restart services" 600
status_rc
[ $rc = 5 ] || { cat "$T/status.out"; fail "A: status while the runner waits: exit $rc, expected 5"; }
runlog=$(ls -t "$LOG"/biso-recover-*.log | head -1)
grep -q "step database done" "$runlog" || { cat "$runlog"; fail "A: the database step did not finish"; }
echo "ok: A. the database step finished with the wizard's terminal gone; the runner waits at step 5 (status exit 5)"
sleep 2 # the attach comes seconds after the backlog's lines were logged
wizard_in b
wait_screen b "Step 5 of 6: Run migrations"
wait_screen b "Enter run this step"
text_has "$(screen b)" -E "\[x\] 4 database" || { screen b; fail "A: the attached wizard's step list does not show the database step done"; }
text_has "$(screen b)" "Before you start" && fail "A: the attached wizard shows the first start's notice"
$TM send-keys -t b End
wait_screen b "step database done in|step migrations:|migrations" 5
# the backlog's lines carry the times they were logged (the run log's)
checked=0
while IFS= read -r line; do
	when=${line%% *}
	text=$(printf '%s' "${line#* }" | cut -c1-30)
	[ ${#text} -ge 12 ] || continue
	# a line the run log does not hold (a progress line) is skipped; under
	# pipefail grep's "not found" would end the test without a word
	logged=$(grep -F -- "$text" "$runlog" | tail -1 | cut -c12-19) || logged=
	[ -n "$logged" ] || continue
	[ "$logged" = "$when" ] ||
		{ screen b; fail "A: the backlog line '$text' shows $when, the run log $logged"; }
	checked=$((checked + 1))
done < <(screen b | grep -E '^[0-9]{2}:[0-9]{2}:[0-9]{2} ')
[ "$checked" -gt 0 ] || { screen b; fail "A: no backlog line with a time to compare"; }
echo "ok: A. $checked backlog lines show the run log's times"
run_step b 5
run_step b 6
wait_screen b "Restore finished: all 6 steps done - exit code 0" 300
echo "ok: A. a new wizard attaches at step 5 and the restore completes"

# B. the summary holds no lock: the nightly backup runs meanwhile
set +e
"$BISO_RECOVER" backup --config "$CONF" > "$T/backup.out" 2>&1
brc=$?
set -e
[ $brc = 0 ] || { cat "$T/backup.out"; fail "B: the backup beside the wizard's summary: exit $brc"; }
text_has "$(screen b)" "Restore finished: all 6 steps done" || { screen b; fail "B: the summary is gone"; }
$TM send-keys -t b q
wait_exit b 0
# (the log's path on the next row when the line is wider than the pane)
text_has "$(screen b | tr '\n' ' ')" -E "(^| )biso-recover: finished, exit code 0; log: +$LOG/biso-recover-[0-9_]+\.log( |$)" ||
	{ screen b; fail "B: no verdict line on the normal screen"; }
status_rc
[ $rc = 0 ] || { cat "$T/status.out"; fail "B: status after the restore: exit $rc"; }
echo "ok: B. the backup ran while the wizard showed its summary; the verdict line; status exit 0"

# C. two wizards: the second takes over, the first turns read-only
$TM kill-server >/dev/null 2>&1 || true
sleep 0.5
wizard_in c wizard restore --again # (B's restore finished moments ago)
wait_screen c "Enter run this step"
wizard_in d
wait_screen d "Attached elsewhere"
text_has "$(screen d)" -E "root on .* since [0-9]{2}:[0-9]{2}:[0-9]{2} is" ||
	{ screen d; fail "C: the second wizard is not told who answers since when"; }
$TM send-keys -t d t
wait_screen d "Enter run this step"
wait_screen c "READ-ONLY: root on .* took over"
# the read-only one cannot answer: Enter runs nothing
$TM send-keys -t c Enter
sleep 1
grep -q "step webroot: Restore the webroot" "$(ls -t "$LOG"/biso-recover-*.log | head -1)" &&
	fail "C: the read-only wizard's Enter ran the step"
$TM send-keys -t d q
wait_screen d "Quit the wizard\?"
$TM send-keys -t d y
wait_screen d "Restore stopped before any step: nothing was changed - exit code 130"
wait_screen c "Restore stopped before any step: nothing was changed - exit code 130"
$TM send-keys -t d q
$TM send-keys -t c q
wait_exit d 130
wait_exit c 130
echo "ok: C. the second wizard took over, the first turned read-only and could not answer"
echo "wizard-attach: all checks passed"
