#!/bin/bash
# wizard-exit.sh: the paths that end the process while the wizard owns the
# terminal give it back first (the on-exit list, src/core/onexit.h).  The
# wizard runs on the demo instance in a detached tmux pane; after it died
# the pane must have left the alternate screen, and `stty -a` run there
# must show the line discipline back (icanon, echo), not the wizard's
# cbreak/noecho.
#   oom:  the test build (tests/integration/biso-recover-faults) fails an
#         allocation after the first key (BR_FAULT_FAIL=tui.key.oom): dies
#         of SIGABRT, and the "out of memory" message reaches the pane (fd 2
#         is a pipe while the wizard runs);
#   quit: Ctrl-\ (SIGQUIT, whose default ends the process) in the wizard.
# Skips (77) without tmux, php, rsync, a PostgreSQL server, the test build
# or root.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}
FAULTS=${BISO_RECOVER_FAULTS:-$top_builddir/tests/integration/biso-recover-faults}

. "$top_srcdir/tests/lib/demo-test.sh"
command -v tmux >/dev/null 2>&1 || skip "tmux is not installed"
[ -x "$FAULTS" ] || skip "no test build $FAULTS (make check builds it)"
demo_test_setup wizexit "chown of the datadir to www-data, runuser postgres"
CONF=$S/biso-recover.conf
TMUX_CMD="tmux -L biso-wizexit-$$ -f /dev/null"
trap '$TMUX_CMD kill-server >/dev/null 2>&1; demo_test_cleanup' EXIT
. "$top_srcdir/tests/lib/tmux.sh" # cap, wait_for on the session wiz

# run_case LABEL BINARY ENV... : the wizard in a new 80x24 pane; after it
# ends, the pane's shell writes its exit code and `stty -a` to files.
start_wizard() {
	local label=$1 bin=$2
	shift 2
	$TMUX_CMD kill-server >/dev/null 2>&1 && sleep 0.5
	$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
		"ulimit -c 0; env $* '$bin' --config '$CONF' wizard restore; echo \$? >'$T/exit-$label'; stty -a >'$T/stty-$label'; sleep 600" ||
		fail "tmux new-session failed"
	wait_for "Enter run this step" 60 "[$label] the wizard's first step"
	[ "$($TMUX_CMD display -p -t wiz '#{alternate_on}')" = 1 ] ||
		fail "[$label] the wizard is not on the alternate screen: the check below proves nothing"
}

# ended LABEL CODE: the wizard exited with CODE and left the terminal usable.
ended() {
	local n=50 alt
	while [ ! -s "$T/stty-$1" ] && [ "$n" -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
	[ -s "$T/stty-$1" ] || fail "[$1] the wizard did not end"
	[ "$(cat "$T/exit-$1")" = "$2" ] || fail "[$1] exit status $(cat "$T/exit-$1"), expected $2"
	alt=$($TMUX_CMD display -p -t wiz '#{alternate_on}')
	[ "$alt" = 0 ] || fail "[$1] the pane is still on the alternate screen (endwin() did not run)"
	if grep -Eq '(^| )-(icanon|echo)( |;|$)' "$T/stty-$1"; then
		cat "$T/stty-$1"
		fail "[$1] the terminal is left in cbreak/noecho mode (stty -a above)"
	fi
	echo "ok: [$1] exit status $2, the terminal given back (main screen, icanon echo)"
}

start_wizard oom "$FAULTS" BR_FAULT_FAIL=tui.key.oom
$TMUX_CMD send-keys -t wiz Down
ended oom 134 # SIGABRT
cap
text_has "$last_screen" "biso-recover: out of memory allocating" ||
	{ printf '%s\n' "$last_screen"; fail "[oom] the out-of-memory message is not on the terminal"; }
echo "ok: [oom] the out-of-memory message reached the terminal"

start_wizard quit "$BISO_RECOVER"
$TMUX_CMD send-keys -t wiz 'C-\'
ended quit 131 # SIGQUIT
