#!/bin/bash
# wizard-takeover.sh: a wizard takes over a line-mode restore (the terminal
# that started it stays, read-only), on the demo instance, 80x24 tmux
# panes, TERM=vt100 NO_COLOR=1:
#   dialog:   a wizard attached while line mode answers shows "Attached
#             elsewhere" alone: its key line is "t take over  any other key
#             watch" (it was the confirmation's "Enter confirm ... Esc
#             back"), one box (the confirmation's box stood out below it: a
#             second bottom border);
#   readonly: after the takeover, `yes` typed in line mode is answered
#             "This terminal is read-only: WHO took over at HH:MM:SS; your
#             answer was not sent" (it got no reply at all);
#   back:     n at the wizard's y/n confirmation and Esc at its typed one
#             go back to the step screen: nothing answered, the runner
#             still waits at the same question (status exit 5; before, n and
#             Esc answered "n", and the line-mode run stopped half-way);
#   stop:     stopping is its own labelled choice: q on the step screen,
#             "Stop the run?", y: exit 130, the run log says it stopped
#             before the database step, cancelled by the operator (never
#             "not confirmed").
# Skips (77) without tmux, php, rsync, a PostgreSQL server or root.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
command -v tmux >/dev/null 2>&1 || skip "tmux is not installed"
demo_test_setup wiztake "chown of the datadir to www-data, runuser postgres"
CONF=$DEMO_CONFIG
TM="tmux -L biso-wiztake-$$ -f /dev/null"
trap '$TM kill-server >/dev/null 2>&1 || true; demo_test_cleanup' EXIT

screen() { $TM capture-pane -p -J -t "$1" 2>/dev/null || true; }
# has SESSION REGEX: the screen shows REGEX
has() { text_has "$(screen "$1")" -E -- "$2"; }
failscreen() { # SESSION MESSAGE
	printf -- '--- %s ---\n%s\n-------------------\n' "$1" "$(screen "$1")"
	fail "$2"
}
wait_for() { # SESSION REGEX SECONDS WHAT
	local n=$(( $3 * 5 ))
	while [ "$n" -gt 0 ]; do
		has "$1" "$2" && return 0
		sleep 0.2
		n=$((n - 1))
	done
	failscreen "$1" "after $3 s session $1 does not show $4 (/$2/)"
}
session() { # NAME ARGS...: biso-recover --config CONF ARGS in a new 80x24 pane
	local s=$1
	shift
	$TM new-session -d -s "$s" -x 80 -y 24 \
		"env TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 $(printf '%q ' "$BISO_RECOVER" --config "$CONF" "$@"); echo \"exit=\$?\" > $T/$s.exit; sleep 600" ||
		fail "tmux new-session failed"
}
status_is() { # CODE: `status` exits CODE; its output in $T/status.out
	local code=0
	"$BISO_RECOVER" status --config "$CONF" > "$T/status.out" 2>&1 || code=$?
	[ "$code" = "$1" ]
}
runlog() { ls -t "$S"/log/biso-recover-*.log | head -1; }

# line mode: the restore, at its first confirmation (the webroot's, y/n)
session line restore
wait_for line "Go on\? Type yes:" 60 "the webroot's confirmation"
status_is 5 || { cat "$T/status.out"; fail "the line-mode restore does not wait (status)"; }

# ---- dialog ---------------------------------------------------------------
session wiz
wait_for wiz "Attached elsewhere" 30 "the read-only dialog"
last=$(screen wiz | tail -n 1)
[ "$(printf '%s' "$last" | sed 's/ *$//')" = "t take over  any other key watch" ] ||
	failscreen wiz "[dialog] the key line under 'Attached elsewhere' is '$last'"
boxes=$(screen wiz | grep -c 'mqqq*j' || true)
[ "$boxes" = 1 ] || failscreen wiz "[dialog] $boxes bottom borders on the screen, expected the dialog's one"
echo "ok: [dialog] 'Attached elsewhere' alone, its own key line"

# ---- readonly -------------------------------------------------------------
$TM send-keys -t wiz t
wait_for wiz "n no, back \(the question stays open\)" 10 "the confirmation, taken over"
wait_for line "took over: this terminal only watches now" 10 "line mode told of the takeover"
$TM send-keys -t line yes Enter
wait_for line "This terminal is read-only: root on .* took over at [0-9]{2}:[0-9]{2}:[0-9]{2};" 10 \
	"[readonly] the reply to an answer typed read-only"
grep -q "your answer was not sent" <<< "$(screen line | tr '\n' ' ')" ||
	failscreen line "[readonly] line mode does not say that the answer was not sent"
status_is 5 || { cat "$T/status.out"; fail "[readonly] the read-only answer changed the run"; }
echo "ok: [readonly] line mode says its answer was not sent, and who took over when"

# ---- back -----------------------------------------------------------------
q0=$(grep '^question: ' "$T/status.out")
$TM send-keys -t wiz n
wait_for wiz "q stop the run" 10 "[back] the step screen after n"
has wiz "Step 1 of 6: Restore the webroot" || failscreen wiz "[back] not the webroot's step screen"
sleep 1
status_is 5 || { cat "$T/status.out"; fail "[back] status exit after n is not 5: n was answered"; }
grep -qxF "$q0" "$T/status.out" || { cat "$T/status.out"; fail "[back] the run no longer waits at '$q0'"; }
# Enter asks again; y runs the webroot; the datadir's y; the database's typed
$TM send-keys -t wiz Enter
wait_for wiz "Run it now\?" 10 "[back] the confirmation again"
$TM send-keys -t wiz y
wait_for wiz "Confirm: Restore the datadir" 60 "the datadir's confirmation"
$TM send-keys -t wiz y
wait_for wiz "Type biso to continue" 60 "the database's confirmation"
wait_for wiz "Esc back \(the question stays open\)" 5 "the typed confirmation's Esc"
$TM send-keys -t wiz Escape
wait_for wiz "q stop the run" 10 "[back] the step screen after Esc"
has wiz "Step 4 of 6: Restore the database" || failscreen wiz "[back] not the database's step screen"
sleep 1
status_is 5 || { cat "$T/status.out"; fail "[back] status exit after Esc is not 5: Esc was answered"; }
grep -q "^question: Restore the database" "$T/status.out" || { cat "$T/status.out"; fail "[back] not at the database's question"; }
if grep -Eq "not confirmed|stopping before" "$(runlog)"; then
	grep -E "not confirmed|stopping before" "$(runlog)"
	fail "[back] the run log says the run stops"
fi
echo "ok: [back] n and Esc went back to the step screen; the runner waits at the same question"

# ---- stop -----------------------------------------------------------------
$TM send-keys -t wiz q
wait_for wiz "Stop the run\?" 10 "[stop] the stop dialog"
[ "$(screen wiz | tail -n 1 | sed 's/ *$//')" = "y stop the run  n back" ] ||
	failscreen wiz "[stop] the stop dialog's key line"
$TM send-keys -t wiz y
wait_for wiz "Restore ABORTED by the operator - exit code 130" 60 "[stop] the summary"
n=150
while [ ! -s "$T/line.exit" ] && [ "$n" -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
[ "$(cat "$T/line.exit" 2>/dev/null)" = "exit=130" ] ||
	failscreen line "[stop] line mode ended with '$(cat "$T/line.exit" 2>/dev/null)', expected exit=130"
grep -q "stopping before step database: cancelled by the operator" "$(runlog)" ||
	{ tail -n 20 "$(runlog)"; fail "[stop] the run log does not say it was stopped before the database step"; }
grep -q "not confirmed" "$(runlog)" && fail "[stop] the run log says 'not confirmed'"
[ -z "$(grep -l 'step database done' "$(runlog)")" ] || fail "[stop] the database step ran"
echo "ok: [stop] q, 'Stop the run?', y: stopped before the database step, exit 130"
echo "wizard-takeover: all checks passed"
