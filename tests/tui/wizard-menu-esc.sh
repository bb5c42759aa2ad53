#!/bin/bash
# wizard-menu-esc.sh: Esc on the wizard's first screen does nothing (over
# SSH a lone Esc byte is common: an arrow key split by a slow link); it
# went back from the drill scenarios to the first screen and still does;
# q quits, exit 0.  On the demo instance in an 80x24 tmux pane, TERM=vt100
# NO_COLOR=1.
# Skips (77) without tmux, php, rsync, a PostgreSQL server or root.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
. "$top_srcdir/tests/lib/tmux.sh" # cap, shows, failscreen, wait_for, keys, type_text
tmux_demo_setup wizesc # CONF, TMUX_CMD; both gone on exit

$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
	"env TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 '$BISO_RECOVER' --config '$CONF'; echo \$? >'$T/exit'; sleep 600" ||
	fail "tmux new-session failed"
wait_for "What do you want to do\\?" 30 "the first screen"
up() { # WHAT: the first screen is still up, the wizard not ended
	sleep 1
	cap
	[ ! -e "$T/exit" ] || failscreen "the wizard ended (exit $(cat "$T/exit")) after $1"
	shows "What do you want to do\\?" || failscreen "the first screen is gone after $1"
}
keys Escape
up "Esc"
# Down split by a slow link: Esc alone, then "[B" after the Esc delay
keys Escape
sleep 0.5
type_text "[B"
up "an arrow key's Esc that came alone"
keys 4
# the first screen names "Practise" too: wait for the scenarios' heading
wait_for "Practise: choose a scenario" 10 "the drill scenarios"
shows "What do you want to do\\?" && failscreen "4 did not open the drill scenarios"
keys Escape
wait_for "What do you want to do\\?" 10 "the first screen after Esc on the scenarios"
up "Esc on the scenarios"
keys q
n=50
while [ ! -s "$T/exit" ] && [ "$n" -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
[ "$(cat "$T/exit" 2>/dev/null)" = 0 ] || failscreen "exit $(cat "$T/exit" 2>/dev/null) after q, expected 0"
echo "ok: Esc on the first screen does nothing (also an arrow key's lone Esc); Esc on the scenarios goes back; q quits"
