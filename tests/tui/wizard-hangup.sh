#!/bin/bash
# wizard-hangup.sh: the terminal of a wizard goes away (the SSH session
# drops: here the tmux server is killed) on the demo instance, 80x24 tmux
# pane, TERM=vt100 NO_COLOR=1:
#   backup: (its step list holds "maintenance-off" at 80 columns)
#           `biso-recover wizard backup` asks once (Enter starts all steps)
#           and the steps then need no terminal: killed right after the
#           start, the backup still runs to its end: `status` exit 0,
#           maintenance mode off, one complete backup published;
#   backup-kill: the wizard's own process killed (kill -9) right after the
#           start: the runner is not the wizard's, the backup runs to its
#           end: status exit 0, maintenance mode off, backup-verify passes;
#   killed: (TERM=vt100: no glyph beyond ASCII and ACS, '...' for a cut)
#           the runner of a restore wizard killed (kill -9) at its first
#           question: the wizard's summary says the restore was INTERRUPTED
#           (not finished, exit 1) and names `biso-recover restore --resume`
#           with the --config in use;
#   failed: the backup's dump fails (the test build, BR_FAULT_FAIL=
#           backup.dump) after maintenance-on: the wizard's summary says
#           maintenance mode was switched off again (the step's cleanup);
#   esc:    a wizard attached to a line-mode restore's confirmation: Esc
#           leaves the question open (the step screen; d leaves the
#           wizard; status exit 5, the same question), where it answered
#           "n" and stopped the run; stopping is q, "Stop the run?", y;
#   refresh-kill: the test instance's refresh from the first screen
#           (placeholder): the wizard killed (kill -9) at step 2's question;
#           the runner waits (status exit 5, maintenance mode on),
#           `biso-recover` again attaches and the refresh completes
#           (status exit 0, maintenance mode off);
#   reattach-killed: the runner of a restore that a wizard re-attached to
#           killed (kill -9): that wizard's summary names `biso-recover
#           restore --resume --config ...`, so does `status`, and
#           `biso-recover` again opens the restore wizard on its offer to
#           continue the run (not the first screen);
#   reattach-line: the same with `restore` in line mode attached again:
#           the client names `biso-recover restore --resume --config ...`.
# Skips (77) without tmux, php, rsync, a PostgreSQL server or root.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}
FAULTS=${BISO_RECOVER_FAULTS:-$top_builddir/tests/integration/biso-recover-faults}

. "$top_srcdir/tests/lib/demo-test.sh"
command -v tmux >/dev/null 2>&1 || skip "tmux is not installed"
demo_test_setup wizhup "chown of the datadir to www-data, runuser postgres"
CONF=$DEMO_CONFIG
TMUX_CMD="tmux -L biso-wizhup-$$ -f /dev/null"
LTMUX="tmux -L biso-wizhup-line-$$ -f /dev/null" # a line-mode client beside the wizard
trap '$TMUX_CMD kill-server >/dev/null 2>&1 || true; $LTMUX kill-server >/dev/null 2>&1 || true; demo_test_cleanup' EXIT
. "$top_srcdir/tests/lib/tmux.sh" # cap, shows, failscreen, wait_for on the session wiz

# ---- backup: the terminal goes away right after the start ---------------
ls "$DEMO_BACKUP_ROOT/manifest" 2>/dev/null && fail "the demo backup set has manifests already"
# a new second: the demo's dump is named by the second it was taken, and a
# backup started in that second has the same name (its seal then refuses)
sleep 1
$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
	"env TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 '$BISO_RECOVER' --config '$CONF' wizard backup; sleep 600" ||
	fail "tmux new-session failed"
wait_for "Step 1 of 6: Switch maintenance mode on" 60 "the backup's first step"
shows "Enter starts the run" || failscreen "the first step does not say that Enter starts the run"
# 80x24: the step list has room for the longest names
shows " 1 maintenance-on " && shows " 4 maintenance-off" ||
	failscreen "the step list cuts the maintenance steps' names"
$TMUX_CMD send-keys -t wiz Enter
# the answer is in once the question left the screen
n=300
while cap && shows "Step 1 of 6: Switch maintenance mode on" && shows "Enter (run this step|start all steps)"; do
	n=$((n - 1))
	[ "$n" -gt 0 ] || failscreen "Enter did not start the backup"
	sleep 0.2
done
$TMUX_CMD kill-server
# the run goes on without its terminal: wait while status says it runs (4)
n=1500
while :; do
	code=0
	"$BISO_RECOVER" status --config "$CONF" >"$T/status.out" 2>&1 || code=$?
	[ "$code" = 4 ] || break
	n=$((n - 1))
	[ "$n" -gt 0 ] || { cat "$T/status.out"; fail "the backup still runs after 300 s"; }
	sleep 0.2
done
cat "$T/status.out"
[ "$code" = 0 ] || fail "status exit $code after the terminal went away, expected 0 (5: waiting at a question)"
[ ! -e "$DEMO_DATADIR/maintenance.on" ] || fail "maintenance mode is still on"
id=$(ls "$DEMO_BACKUP_ROOT/manifest")
[ "$(echo "$id" | wc -l)" = 1 ] || fail "not exactly one new backup: $id"
[ -s "$DEMO_BACKUP_ROOT/db/biso_$id.sql.gz" ] && [ -d "$DEMO_BACKUP_ROOT/data/$id" ] &&
	[ -d "$DEMO_BACKUP_ROOT/webroot/$id" ] || fail "backup $id is not complete"
gunzip -t "$DEMO_BACKUP_ROOT/db/biso_$id.sql.gz" || fail "the backup's dump is not a whole gzip"
echo "ok: a wizard backup whose terminal went away after the start ran to its end: status exit 0, maintenance mode off, backup $id complete"

# ---- wizard killed: the wizard's own process dies (kill -9) --------------
# The runner is a process of its own, detached from the wizard: it does not
# go with the wizard, whatever kills it.
# wizpid LABEL CONFIG ARGS...: the wizard in a new pane, its pid (the
# shell's, which execs it) in $T/wizpid-LABEL
wizpid() {
	local label=$1 conf=$2
	shift 2
	$TMUX_CMD kill-server >/dev/null 2>&1 && sleep 0.5
	rm -f "$T/wizpid-$label"
	$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
		"echo \$\$ >'$T/wizpid-$label'; exec env TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 '$BISO_RECOVER' --config '$conf' $*" ||
		fail "tmux new-session failed"
}
# wait_run CONFIG: while status says the run works (4); its exit code in $code
wait_run() {
	local n=1500
	while :; do
		code=0
		"$BISO_RECOVER" status --config "$1" >"$T/status.out" 2>&1 || code=$?
		[ "$code" = 4 ] || break
		n=$((n - 1))
		[ "$n" -gt 0 ] || { cat "$T/status.out"; fail "the run still works after 300 s"; }
		sleep 0.2
	done
}
wizpid backup-kill "$CONF" wizard backup
wait_for "Enter start all steps" 60 "[backup-kill] the backup's start"
$TMUX_CMD send-keys -t wiz Enter
n=300
while cap && shows "Step 1 of 6: Switch maintenance mode on" && shows "Enter start all steps"; do
	n=$((n - 1))
	[ "$n" -gt 0 ] || failscreen "[backup-kill] Enter did not start the backup"
	sleep 0.2
done
kill -KILL "$(cat "$T/wizpid-backup-kill")"
wait_run "$CONF"
cat "$T/status.out"
[ "$code" = 0 ] || fail "[backup-kill] status exit $code after the wizard was killed, expected 0"
[ ! -e "$DEMO_DATADIR/maintenance.on" ] || fail "[backup-kill] maintenance mode is still on"
ids=$(ls "$DEMO_BACKUP_ROOT/manifest")
[ "$(echo "$ids" | wc -l)" = 2 ] || fail "[backup-kill] not exactly two backups now: $ids"
id2=$(echo "$ids" | tail -n 1)
[ "$id2" != "$id" ] && [ -s "$DEMO_BACKUP_ROOT/db/biso_$id2.sql.gz" ] && [ -d "$DEMO_BACKUP_ROOT/data/$id2" ] &&
	[ -d "$DEMO_BACKUP_ROOT/webroot/$id2" ] || fail "[backup-kill] backup $id2 is not complete"
"$BISO_RECOVER" backup-verify --config "$CONF" "$id2" >"$T/verify.out" 2>&1 ||
	{ cat "$T/verify.out"; fail "[backup-kill] backup-verify refuses backup $id2"; }
echo "ok: a wizard backup whose wizard was killed (kill -9) after the start ran to its end: status exit 0, maintenance mode off, backup $id2 verified"

# ---- killed: the runner of a restore wizard dies ------------------------
$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
	"env TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 '$BISO_RECOVER' --config '$CONF' wizard restore; echo \$? >'$T/exit-killed'; sleep 600" ||
	fail "tmux new-session failed"
wait_for "Enter run this step" 60 "the restore's first step"
# TERM=vt100: ASCII and the line-drawing set only (no ellipsis, no blocks)
text_has "$last_screen" '[…█░]' && failscreen "glyphs beyond ASCII on TERM=vt100"
shows "\.\.\." || failscreen "the title line's path is not cut with '...' on TERM=vt100"
status=$(ls -t "$S/log"/biso-recover-*.status | head -1)
grep -q '^flow=restore$' "$status" || fail "$status is not the restore's"
pid=$(sed -n 's/^pid=//p' "$status")
kill -KILL "$pid"
wait_for "Restore INTERRUPTED: not finished - exit code 1" 30 "the summary of the killed run"
shows "finished:" && failscreen "the summary of a killed run says finished"
$TMUX_CMD send-keys -t wiz q
n=150
while [ ! -s "$T/exit-killed" ] && [ "$n" -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
[ "$(cat "$T/exit-killed" 2>/dev/null)" = 1 ] || failscreen "the wizard's exit code is not 1"
# the summary stays on the normal screen: the command, unwrapped
$TMUX_CMD capture-pane -p -J -t wiz > "$T/screen"
grep -qF "biso-recover restore --resume --config $CONF" "$T/screen" ||
	{ cat "$T/screen"; fail "the summary does not name 'biso-recover restore --resume --config $CONF'"; }
echo "ok: a killed runner: the wizard says the restore was interrupted and names restore --resume with --config"

# ---- failed: the dump fails after maintenance-on --------------------------
if [ -x "$FAULTS" ]; then
	$TMUX_CMD kill-server >/dev/null 2>&1 || true
	sleep 0.5
	$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
		"env TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 BR_FAULT_FAIL=backup.dump '$FAULTS' --config '$CONF' wizard backup; echo \$? >'$T/exit-failed'; sleep 600" ||
		fail "tmux new-session failed"
	wait_for "Enter start all steps" 60 "[failed] the backup's start"
	$TMUX_CMD send-keys -t wiz Enter
	wait_for "Backup STOPPED: a step failed" 120 "[failed] the summary"
	$TMUX_CMD send-keys -t wiz q
	n=150
	while [ ! -s "$T/exit-failed" ] && [ "$n" -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
	[ "$(cat "$T/exit-failed" 2>/dev/null)" = 1 ] || failscreen "[failed] the wizard's exit code is not 1"
	$TMUX_CMD capture-pane -p -J -t wiz > "$T/screen"
	grep -q "^maintenance-on .*done" "$T/screen" || { cat "$T/screen"; fail "[failed] the summary has no maintenance-on line"; }
	grep -qF "maintenance mode was switched off again" "$T/screen" ||
		{ cat "$T/screen"; fail "[failed] the summary does not say that maintenance mode was switched off again"; }
	[ ! -e "$DEMO_DATADIR/maintenance.on" ] || fail "[failed] maintenance mode is still on"
	echo "ok: a backup whose dump failed: the summary says maintenance mode was switched off again"
else
	echo "SKIP [failed]: no test build $FAULTS (make check builds it)"
fi

# ---- esc: a wizard attached to a line-mode run's confirmation ------------
# `restore` in line mode waits at its first confirmation (y/N: "n" stops
# the run); its terminal goes away; `biso-recover` attaches with the
# wizard on that confirmation; Esc there decides nothing: back to the step
# screen, d leaves, the runner still waits at the same question (status
# exit 5), the run not stopped.  A wizard attached again: n goes back to
# the step screen too; q asks "Stop the run?", y stops it.
$LTMUX new-session -d -s line -x 100 -y 30 \
	"env LANG=C.UTF-8 '$BISO_RECOVER' --config '$CONF' restore; sleep 600" ||
	fail "tmux new-session failed"
n=300
while :; do
	code=0
	"$BISO_RECOVER" status --config "$CONF" >"$T/status.out" 2>&1 || code=$?
	[ "$code" = 5 ] && grep -q '^question: ' "$T/status.out" && break
	n=$((n - 1))
	[ "$n" -gt 0 ] || { cat "$T/status.out"; fail "[esc] the line-mode restore does not wait at a question"; }
	sleep 0.2
done
$LTMUX kill-server
q0=$(grep '^question: ' "$T/status.out")
run0=$(sed -n 's/^run \([^ ]*\) .*/\1/p' "$T/status.out")
wizpid esc "$CONF"
wait_for "Confirm: " 30 "[esc] the wizard on the line-mode run's confirmation"
wait_for "n no, back \\(the question stays open\\)" 5 "[esc] the key line's n"
$TMUX_CMD send-keys -t wiz Escape
wait_for "q stop the run" 10 "[esc] the step screen after Esc"
$TMUX_CMD send-keys -t wiz d
n=150
while kill -0 "$(cat "$T/wizpid-esc")" 2>/dev/null; do
	n=$((n - 1))
	[ "$n" -gt 0 ] || failscreen "[esc] the wizard did not leave on Esc"
	sleep 0.2
done
code=0
"$BISO_RECOVER" status --config "$CONF" >"$T/status.out" 2>&1 || code=$?
cat "$T/status.out"
[ "$code" = 5 ] || fail "[esc] status exit $code after Esc, expected 5: the question was answered"
grep -qxF "$q0" "$T/status.out" || fail "[esc] the run no longer waits at '$q0'"
grep -q "^run $run0 " "$T/status.out" || fail "[esc] not the same run"
wizpid esc-n "$CONF"
wait_for "n no, back \\(the question stays open\\)" 30 "[esc-n] the wizard on the confirmation again"
$TMUX_CMD send-keys -t wiz n
wait_for "q stop the run" 10 "[esc-n] the step screen after n"
$TMUX_CMD send-keys -t wiz q
wait_for "Stop the run\\?" 10 "[esc-n] the stop dialog"
$TMUX_CMD send-keys -t wiz y
n=300
while :; do
	code=0
	"$BISO_RECOVER" status --config "$CONF" >"$T/status.out" 2>&1 || code=$?
	[ "$code" = 4 ] || [ "$code" = 5 ] || break
	n=$((n - 1))
	[ "$n" -gt 0 ] || { cat "$T/status.out"; fail "[esc-n] the run did not end after n"; }
	sleep 0.2
done
[ "$code" = 1 ] || { cat "$T/status.out"; fail "[esc-n] status exit $code after the stop, expected 1 (stopped)"; }
grep -q "^run $run0 " "$T/status.out" || fail "[esc-n] not the same run"
echo "ok: Esc and n in a wizard attached to a line-mode run's confirmation leave the question open (status exit 5, the same question); q, y stops the run"

# ---- wizard killed during a refresh: the runner waits for a new wizard ---
# The test instance from the first screen (its attachments policy chosen
# there reaches the runner): step 1 runs, at step 2's question the wizard
# is killed (kill -9); the runner waits there (status exit 5, maintenance
# mode on); `biso-recover` started again attaches to the run and the
# refresh completes: status exit 0, maintenance mode off.
TCONF=$DEMO_TEST_CONFIG
wizpid refresh-kill "$TCONF"
wait_for "What do you want to do\\?" 30 "[refresh-kill] the first screen"
$TMUX_CMD send-keys -t wiz 2
wait_for "the attachments" 10 "[refresh-kill] the attachments question"
$TMUX_CMD send-keys -t wiz Enter
wait_for "Step 1 of [0-9]+: Maintenance mode on" 60 "[refresh-kill] the refresh's first step"
wait_for "Enter run this step" 10 "[refresh-kill] the first step's keys"
$TMUX_CMD send-keys -t wiz Enter
wait_for "Step 2 of [0-9]+" 120 "[refresh-kill] the second step"
wait_for "Enter run this step" 10 "[refresh-kill] the second step's keys"
kill -KILL "$(cat "$T/wizpid-refresh-kill")"
wait_run "$TCONF"
cat "$T/status.out"
[ "$code" = 5 ] || fail "[refresh-kill] status exit $code after the wizard was killed, expected 5 (waiting)"
[ -e "$DEMO_TEST_DATADIR/maintenance.on" ] || fail "[refresh-kill] maintenance mode is not on while the refresh waits"
wizpid refresh-attach "$TCONF"
wait_for "Step 2 of [0-9]+" 30 "[refresh-attach] the run's second step"
n=0
while :; do
	wait_for "Enter run this step|Type [^ ]+ to continue|y yes, run it|Test system refresh [A-Za-z]+[: ].* - exit code|Step [a-z-]+ failed" 300 \
		"[refresh-attach] a step, a confirmation or the end"
	shows "Test system refresh finished.* - exit code 0" && break
	shows "Step [a-z-]+ failed| - exit code [0-9]" && failscreen "[refresh-attach] the refresh did not finish"
	n=$((n + 1))
	[ "$n" -lt 40 ] || failscreen "[refresh-attach] no end after 40 screens"
	if shows "Type [^ ]+ to continue"; then
		word=$(printf '%s\n' "$last_screen" | sed -n 's/.*Type \([^ ]*\) to continue.*/\1/p' | head -1)
		$TMUX_CMD send-keys -t wiz -l "$word"
		$TMUX_CMD send-keys -t wiz Enter
	elif shows "y yes, run it"; then
		$TMUX_CMD send-keys -t wiz y
	else
		head=$(printf '%s\n' "$last_screen" | grep -Eo 'Step [0-9]+ of [0-9]+' | head -1)
		$TMUX_CMD send-keys -t wiz Enter
		m=300
		while cap && shows "$head" && shows "Enter run this step"; do
			m=$((m - 1))
			[ "$m" -gt 0 ] || failscreen "[refresh-attach] Enter did not run $head"
			sleep 0.2
		done
	fi
	sleep 0.3
done
$TMUX_CMD send-keys -t wiz q
wait_run "$TCONF"
[ "$code" = 0 ] || { cat "$T/status.out"; fail "[refresh-attach] status exit $code after the refresh, expected 0"; }
[ ! -e "$DEMO_TEST_DATADIR/maintenance.on" ] || fail "[refresh-attach] maintenance mode is still on"
echo "ok: a wizard refresh whose wizard was killed (kill -9) waited at its question; a new wizard attached and the refresh completed: status exit 0, maintenance mode off"

# ---- reattach-killed: the runner of a re-attached wizard dies ------------
# A restore wizard runs step 1 and waits at step 2; its terminal goes away;
# `biso-recover` attaches with the wizard; the runner is killed (kill -9):
# that wizard's summary (it did not start the run) names `biso-recover
# restore --resume` with the run's --config; `status` names it too; and
# `biso-recover` started again opens the restore wizard on its offer to
# continue the interrupted run, not the first screen.
wizpid ra1 "$CONF" wizard restore
wait_for "Step 1 of 6" 60 "[reattach-killed] the restore's first step"
wait_for "Enter run this step" 10 "[reattach-killed] step 1's keys"
$TMUX_CMD send-keys -t wiz Enter
sleep 0.5
cap
if shows "Type [^ ]+ to continue"; then
	word=$(printf '%s\n' "$last_screen" | sed -n 's/.*Type \([^ ]*\) to continue.*/\1/p' | head -1)
	$TMUX_CMD send-keys -t wiz -l "$word"
	$TMUX_CMD send-keys -t wiz Enter
elif shows "y yes, run it"; then
	$TMUX_CMD send-keys -t wiz y
fi
wait_for "Step 2 of 6" 120 "[reattach-killed] step 2"
wait_for "Enter run this step" 10 "[reattach-killed] step 2's keys"
$TMUX_CMD kill-server
wait_run "$CONF"
[ "$code" = 5 ] || { cat "$T/status.out"; fail "[reattach-killed] status exit $code after the hang-up, expected 5"; }
$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
	"env TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 '$BISO_RECOVER' --config '$CONF'; echo \$? >'$T/exit-ra2'; sleep 600" ||
	fail "tmux new-session failed"
wait_for "Step 2 of 6" 30 "[reattach-killed] the attached wizard on step 2"
status=$(ls -t "$S/log"/biso-recover-*.status | head -1)
grep -q '^flow=restore$' "$status" || fail "$status is not the restore's"
kill -KILL "$(sed -n 's/^pid=//p' "$status")"
wait_for "Restore INTERRUPTED: not finished" 30 "[reattach-killed] the attached wizard's summary"
$TMUX_CMD send-keys -t wiz q
n=150
while [ ! -s "$T/exit-ra2" ] && [ "$n" -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
[ "$(cat "$T/exit-ra2" 2>/dev/null)" = 1 ] || failscreen "[reattach-killed] the attached wizard's exit code is not 1"
# the summary stays on the normal screen: the command, unwrapped
$TMUX_CMD capture-pane -p -J -t wiz > "$T/screen"
grep -qF "biso-recover restore --resume --config $CONF" "$T/screen" ||
	{ cat "$T/screen"; fail "[reattach-killed] the attached wizard's summary does not name 'biso-recover restore --resume --config $CONF'"; }
code=0
"$BISO_RECOVER" status --config "$CONF" >"$T/status.out" 2>&1 || code=$?
cat "$T/status.out"
[ "$code" = 1 ] || fail "[reattach-killed] status exit $code, expected 1 (the run's process died)"
grep -qxF "  biso-recover restore --resume --config $CONF" "$T/status.out" ||
	fail "[reattach-killed] status does not name 'biso-recover restore --resume --config $CONF'"
wizpid ra3 "$CONF"
wait_for "c continue the interrupted run|What do you want to do" 60 "[reattach-killed] the wizard after the killed run"
shows "c continue the interrupted run" ||
	failscreen "[reattach-killed] biso-recover after a killed restore does not offer to continue it"
$TMUX_CMD send-keys -t wiz q
wait_for "Quit the wizard\\?" 10 "[reattach-killed] the quit question"
$TMUX_CMD send-keys -t wiz y
echo "ok: a re-attached wizard whose runner was killed names restore --resume with --config; status names it; biso-recover then offers to continue the run"

# ---- reattach-line: the runner of a re-attached line-mode restore dies ---
# `restore` waits at its first confirmation and hangs up; `restore` again
# attaches to it; the runner is killed (kill -9): the client names
# `biso-recover restore --resume` with the run's --config (it did not start
# the run, and named none).
$LTMUX kill-server >/dev/null 2>&1 && sleep 0.5
$LTMUX new-session -d -s line -x 200 -y 50 \
	"env LANG=C.UTF-8 '$BISO_RECOVER' --config '$CONF' restore; sleep 600" ||
	fail "tmux new-session failed"
n=300
while :; do
	code=0
	"$BISO_RECOVER" status --config "$CONF" >"$T/status.out" 2>&1 || code=$?
	[ "$code" = 5 ] && break
	n=$((n - 1))
	[ "$n" -gt 0 ] || { cat "$T/status.out"; fail "[reattach-line] the line-mode restore does not wait at a question"; }
	sleep 0.2
done
$LTMUX kill-server
sleep 0.5
rm -f "$T/exit-rl"
$LTMUX new-session -d -s line -x 200 -y 50 \
	"env LANG=C.UTF-8 '$BISO_RECOVER' --config '$CONF' restore; echo \$? >'$T/exit-rl'; sleep 600" ||
	fail "tmux new-session failed"
n=150
until text_has "$($LTMUX capture-pane -p -J -t line)" "A restore of this instance is running"; do
	n=$((n - 1))
	[ "$n" -gt 0 ] || { $LTMUX capture-pane -p -J -t line; fail "[reattach-line] restore again did not attach"; }
	sleep 0.2
done
status=$(ls -t "$S/log"/biso-recover-*.status | head -1)
kill -KILL "$(sed -n 's/^pid=//p' "$status")"
n=150
while [ ! -s "$T/exit-rl" ] && [ "$n" -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
$LTMUX capture-pane -p -J -t line > "$T/screen"
[ "$(cat "$T/exit-rl" 2>/dev/null)" = 1 ] || { cat "$T/screen"; fail "[reattach-line] the client's exit code is not 1"; }
grep -qxF "  biso-recover restore --resume --config $CONF" "$T/screen" ||
	{ cat "$T/screen"; fail "[reattach-line] the re-attached client does not name 'biso-recover restore --resume --config $CONF'"; }
$LTMUX kill-server >/dev/null 2>&1 || true
echo "ok: a re-attached line-mode restore whose runner was killed names restore --resume with --config"
