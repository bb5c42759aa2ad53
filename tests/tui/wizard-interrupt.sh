#!/bin/bash
# wizard-interrupt.sh: Ctrl-C in the wizard is q: it asks "Quit the
# wizard?" (or, while a step runs, "Abort STEP?"); a second Ctrl-C (or y)
# stops the run, and the wizard waits for its runner to end it: the summary
# with what was not done and the commands that finish or roll back, then,
# after q, the same summary on the normal screen, and the run already
# ended there (status file finished).  SIGTERM to the wizard stops the run
# without asking and ends the wizard once the run has ended, the summary
# on the terminal.  On the demo instance in an 80x24 tmux pane, TERM=vt100
# NO_COLOR=1:
#   step:    webroot done, Ctrl-C at step 2: the question, the wizard still
#            up; Ctrl-C: the summary "Restore ABORTED", "not done: config,
#            ...", the rollback and --only commands; q: exit 130, the
#            summary on the terminal;
#   running: Ctrl-C while the database step replays a slow dump: "Abort
#            database?"; Ctrl-C: the step stops at its safe point, the
#            summary, exit 130 after q, the run ended before the wizard;
#   term:    SIGTERM at the first step: exit 130 without a key, the run
#            ended before the wizard, its summary on the terminal.
# Skips (77) without tmux, php, rsync, a PostgreSQL server or root.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
command -v tmux >/dev/null 2>&1 || skip "tmux is not installed"
demo_test_setup wizint "chown of the datadir to www-data, runuser postgres"
CONF=$DEMO_CONFIG
LOG=$S/log
TMUX_CMD="tmux -L biso-wizint-$$ -f /dev/null"
trap '$TMUX_CMD kill-server >/dev/null 2>&1; demo_test_cleanup' EXIT
. "$top_srcdir/tests/lib/tmux.sh" # cap, shows, failscreen, wait_for, keys, status_file

# start LABEL: `wizard restore --again` (the cases follow each other, an
# earlier one's step run) in a new 80x24 vt100 pane; when it ends,
# its exit code goes to $T/exit-LABEL and the status file's state, read at
# once, to $T/state-LABEL.
start() {
	rm -f "$T/exit-$1" "$T/state-$1"
	$TMUX_CMD kill-server >/dev/null 2>&1 && sleep 0.5
	$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
		"env TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 LC_ALL= '$BISO_RECOVER' --config '$CONF' wizard restore --again; echo \$? >'$T/exit-$1.tmp'; sed -n 's/^state=//p' \$(ls -t '$LOG'/biso-recover-*.status | head -n 1) >'$T/state-$1'; mv '$T/exit-$1.tmp' '$T/exit-$1'; sleep 600" ||
		fail "tmux new-session failed"
}
running() { # LABEL: the wizard has not exited
	[ ! -e "$T/exit-$1" ] || failscreen "[$1] the wizard exited (exit $(cat "$T/exit-$1")) at Ctrl-C"
}
ended() { # LABEL CODE: exited with CODE, the run ended before
	local n=150
	while [ ! -s "$T/exit-$1" ] && [ "$n" -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
	cap
	[ -s "$T/exit-$1" ] || failscreen "[$1] the wizard did not exit"
	[ "$(cat "$T/exit-$1")" = "$2" ] || failscreen "[$1] exit code $(cat "$T/exit-$1"), expected $2"
	[ "$(cat "$T/state-$1")" = finished ] ||
		failscreen "[$1] the wizard ended while its run was still '$(cat "$T/state-$1")'"
	# the terminal's text after the wizard, its lines joined
	normal=$($TMUX_CMD capture-pane -p -J -S - -t wiz)
}
normal_has() { # LABEL TEXT: the normal screen holds TEXT (grep -F)
	grep -Fq -- "$2" <<EOF || { printf '%s\n' "$normal"; fail "[$1] the terminal lacks: $2"; }
$normal
EOF
}
prompt() { # LABEL STEP
	wait_for "Step $2 of 6" 60 "[$1] step $2"
	wait_for "Enter run this step|Before you start" 30 "[$1] the prompt of step $2"
	if shows "Before you start"; then
		# the restore [step] left half done is named first (newcomer 8.9)
		shows "ended early after webroot" || failscreen "[$1] a warning, but not of the half-done restore"
		keys Space
		wait_for "Enter run this step" 30 "[$1] the prompt of step $2"
	fi
}

# ---- step: Ctrl-C between steps -------------------------------------------
start step
prompt step 1
keys Enter
wait_for "Confirm:" 10 "[step] the webroot's confirmation"
keys y
prompt step 2
keys C-c
wait_for "Quit the wizard\\?" 10 "[step] the quit question after Ctrl-C"
sleep 1
cap
running step
shows "Quit the wizard\\?" || failscreen "[step] the quit question went away by itself"
keys C-c
wait_for "Restore ABORTED" 60 "[step] the summary after the second Ctrl-C"
running step
keys q
ended step 130
normal_has step "not done: config, datadir, database, migrations, verify"
normal_has step "biso-recover rollback"
normal_has step "biso-recover restore --only config,datadir,database,migrations,verify"
normal_has step "biso-recover: NOT finished, exit code 130"
echo "ok: [step] Ctrl-C asks; Ctrl-C again stops the run; the summary and its commands stay on the terminal, exit 130"

# ---- term: SIGTERM -------------------------------------------------------
start term
prompt term 1
wiz=$(pgrep -P "$($TMUX_CMD display -p -t wiz '#{pane_pid}')" | head -n 1)
[ -n "$wiz" ] || fail "[term] cannot find the wizard's process"
kill -TERM "$wiz"
ended term 130
normal_has term "stopped before any step: nothing was changed; stopped by SIGTERM"
normal_has term "biso-recover: NOT finished, exit code 130"
echo "ok: [term] SIGTERM stops the run, the wizard ends after it with its summary, exit 130"

# ---- running: Ctrl-C while a step runs ----------------------------------
demo_slow_dump
start running
for n in 1 2 3; do
	prompt running $n
	keys s
done
prompt running 4
keys Enter
wait_for "Type biso to continue" 10 "[running] the database's confirmation"
type_text biso
keys Enter
wait_for "replaying" 120 "[running] the replay's progress"
keys C-c
wait_for "Abort database\\?" 10 "[running] the abort question after Ctrl-C"
running running
keys C-c
wait_for "Restore ABORTED|Restore STOPPED" 300 "[running] the summary after the second Ctrl-C"
running running
keys q
ended running 130
normal_has running "not done: database, migrations, verify"
normal_has running "biso-recover: NOT finished, exit code 130"
echo "ok: [running] Ctrl-C asks to abort the step; Ctrl-C again stops it; the wizard waits for the run's end"
