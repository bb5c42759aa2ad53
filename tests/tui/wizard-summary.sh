#!/bin/bash
# wizard-summary.sh: the wizard's summary screen is left only by the keys
# it names (q, Enter; m from the first screen), in an 80x24 tmux pane with
# TERM=vt100 NO_COLOR=1 on the demo instance.  The restore wizard is quit
# at its first step (nothing changed, exit 130); on its summary a stray
# byte ("x", as a bad SSH line brings one) and a VT100's answer to a
# device-attributes query (ESC [ ? 1 ; 2 c) leave the summary on the
# screen, its key line then says "press q to leave"; at 40x12, Down past
# the summary's end and one Up moves it at once; q ends the wizard with
# the run's exit code.  Once more in German (LANG=de_CH.UTF-8):
# "q zum Verlassen", and Enter ends it.
# Skips (77) without tmux, php, rsync, a PostgreSQL server or root.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
. "$top_srcdir/tests/lib/tmux.sh" # cap, shows, failscreen, wait_for, keys, type_text
tmux_demo_setup wizsum # CONF, TMUX_CMD; both gone on exit

# summary LABEL LANG STEP QUIT YES HEAD: the restore wizard in a new pane,
# quit at its first step (STEP, QUIT, YES: the quit question's texts in
# LANG), on its summary (HEAD); its exit code goes to $T/exit-LABEL.
summary() {
	local label=$1 lang=$2 step=$3 quit=$4 head=$5
	rm -f "$T/exit-$label"
	$TMUX_CMD kill-server >/dev/null 2>&1 && sleep 0.5
	$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
		"env TERM=vt100 NO_COLOR=1 LANG=$lang LANGUAGE= LC_ALL= LC_MESSAGES= BISO_RECOVER_LOCALEDIR='$T/locale' '$BISO_RECOVER' --config '$CONF' wizard restore; echo \$? >'$T/exit-$label'; sleep 600" ||
		fail "tmux new-session failed"
	wait_for "$step" 60 "[$label] the restore's first step"
	keys q
	wait_for "$quit" 5 "[$label] the quit question"
	keys y
	wait_for "$head" 10 "[$label] the summary"
}
# still LABEL HEAD HINT: after a key that does not leave, the summary (HEAD)
# is still on the screen, its key line says HINT, the wizard runs on.
still() {
	sleep 1
	cap
	shows "$2" || failscreen "[$1] the summary is gone after a stray key"
	shows "$3" || failscreen "[$1] the key line does not say how to leave (/$3/)"
	[ ! -s "$T/exit-$1" ] || failscreen "[$1] the wizard exited on a stray key (exit $(cat "$T/exit-$1"))"
}
ended() { # LABEL CODE
	local n=50
	while [ ! -s "$T/exit-$1" ] && [ "$n" -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
	cap
	[ -s "$T/exit-$1" ] || failscreen "[$1] the wizard did not exit"
	[ "$(cat "$T/exit-$1")" = "$2" ] || failscreen "[$1] exit code $(cat "$T/exit-$1"), expected $2"
}

head="Restore stopped before any step: nothing was changed - exit code 130"
summary en C.UTF-8 "Enter run this step" "Quit the wizard\\?" "$head"
shows "Enter: exit" || failscreen "[en] the summary's key line does not name Enter"
keys x
still en "$head" "press q to leave"
keys Escape
type_text "[?1;2c"
still en "$head" "press q to leave"
# at 40x12 the summary scrolls: Down past its end, then one Up moves at once
$TMUX_CMD resize-window -t wiz -x 40 -y 12
sleep 0.5
for _ in $(seq 40); do keys Down; done
wait_for "\\.log *$" 10 "[en] the summary's last line (its log) at 40x12"
sleep 0.5
cap
bottom=$last_screen
keys Up
moved=0
for _ in $(seq 25); do
	cap
	[ "$last_screen" != "$bottom" ] && { moved=1; break; }
	sleep 0.2
done
[ $moved = 1 ] || failscreen "[en] Up after Down past the summary's end did not move it"
$TMUX_CMD resize-window -t wiz -x 80 -y 24
wait_for "$head" 10 "[en] the summary at 80x24 again"
keys q
ended en 130
text_has "$last_screen" "NOT finished, exit code 130" ||
	failscreen "[en] the summary is not left on the terminal"
echo "ok: a stray key and a terminal's answerback leave the summary up ('press q to leave'); q exits 130"

# German: the catalogue compiled as wizard-demo.sh compiles it
mkdir -p "$T/locale/de/LC_MESSAGES"
msgfmt -o "$T/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po" || fail "msgfmt po/de.po failed"
if text_has "$(locale -a 2>/dev/null)" -ix 'de_CH\.utf-\?8'; then
	# (the summary's headline: "Exit-Code 130" alone is in the quit question too)
	summary de de_CH.UTF-8 "Enter ausf" "Assistent beenden\\?" "Wiederherstellung vor dem ersten Schritt angehalten"
	keys x
	still de "Wiederherstellung vor dem ersten Schritt angehalten" "q zum Verlassen"
	keys Enter
	ended de 130
	echo "ok: German: 'q zum Verlassen' after a stray key; Enter exits"
else
	fail "the de_CH.UTF-8 locale is missing (tools/deps.sh generates it)"
fi
