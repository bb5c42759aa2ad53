#!/bin/bash
# wizard-german-yes.sh: in German the wizard's yes key is j (the key lines
# say "j ja, ausführen", "j beenden"), and j answers yes: at the webroot's
# confirmation it runs the step, at "Assistent beenden?" it stops the run
# (y is accepted as well: tests/tui/wizard-demo.sh confirms with y in
# German).  A German refresh's summary shows the check's warning above it
# in German, as its step row (review 10, finding 7: it was English).
# On the demo instance in an 80x24 tmux pane, TERM=vt100
# NO_COLOR=1, LANG=de_CH.UTF-8 with po/de.po compiled.
# Skips (77) without tmux, php, rsync, a PostgreSQL server or root.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
command -v tmux >/dev/null 2>&1 || skip "tmux is not installed"
locale -a | grep -qix 'de_CH.utf-\?8' || skip "the de_CH.UTF-8 locale is missing (tools/deps.sh generates it)"
demo_test_setup wizja "chown of the datadir to www-data, runuser postgres"
CONF=$DEMO_CONFIG
TMUX_CMD="tmux -L biso-wizja-$$ -f /dev/null"
trap '$TMUX_CMD kill-server >/dev/null 2>&1; demo_test_cleanup' EXIT
. "$top_srcdir/tests/lib/tmux.sh" # cap, shows, failscreen, wait_for, keys
mkdir -p "$T/locale/de/LC_MESSAGES"
msgfmt -o "$T/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po" || fail "msgfmt po/de.po failed"

$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
	"env TERM=vt100 NO_COLOR=1 LANG=de_CH.UTF-8 LANGUAGE= LC_ALL= LC_MESSAGES= BISO_RECOVER_LOCALEDIR='$T/locale' '$BISO_RECOVER' --config '$CONF' wizard restore; echo \$? >'$T/exit'; sleep 600" ||
	fail "tmux new-session failed"
wait_for "Schritt 1 von 6" 60 "the first step"
wait_for "Enter ausführen" 30 "the prompt of step 1"
keys Enter
wait_for "Bestätigen:" 10 "the webroot's confirmation"
shows "j ja, ausführen" || failscreen "the German key line does not offer j"
keys j
wait_for "Schritt 2 von 6" 120 "step 2 after j at the webroot's confirmation"
log=$(ls -t "$S"/log/biso-recover-*.log | head -n 1)
grep -q "step webroot done" "$log" || { cat "$log"; fail "the webroot step did not run after j"; }
wait_for "Enter ausführen" 30 "the prompt of step 2"
keys q
wait_for "Assistent beenden\\?" 10 "the quit question"
shows "j beenden" || failscreen "the German quit question does not offer j"
keys j
wait_for "ABGEBROCHEN" 60 "the summary after j at the quit question"
keys q
n=50
while [ ! -s "$T/exit" ] && [ "$n" -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
[ "$(cat "$T/exit" 2>/dev/null)" = 130 ] || failscreen "exit $(cat "$T/exit" 2>/dev/null), expected 130"
echo "ok: German: j answers yes at the confirmation and the quit question; the key lines say j"

# The refresh of the test instance in German to its summary: Enter on each
# step, j or the typed word on a confirmation.  The headline warning is the
# check's summary in German, as the step row below it.
$TMUX_CMD kill-session -t wiz >/dev/null 2>&1 || true
rm -f "$T/exit"
$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
	"env TERM=vt100 NO_COLOR=1 LANG=de_CH.UTF-8 LANGUAGE= LC_ALL= LC_MESSAGES= BISO_RECOVER_LOCALEDIR='$T/locale' '$BISO_RECOVER' --config '$DEMO_TEST_CONFIG' wizard refresh --attachments placeholder; echo \$? >'$T/exit'; sleep 600" ||
	fail "tmux new-session failed"
n=0
while :; do
	wait_for "Enter ausführen|Zum Weitermachen [^ ]+ eingeben|j ja, ausführen|Testsystem-Auffrischung fertig|Schritt [a-z-]+ fehlgeschlagen" 300 \
		"[refresh] a step, a confirmation or the end"
	shows "Testsystem-Auffrischung fertig" && break
	shows "Schritt [a-z-]+ fehlgeschlagen" && failscreen "[refresh] a step failed"
	n=$((n + 1))
	[ "$n" -lt 40 ] || failscreen "[refresh] no end after 40 screens"
	if shows "Zum Weitermachen [^ ]+ eingeben"; then
		word=$(printf '%s\n' "$last_screen" | sed -n 's/.*Zum Weitermachen \([^ ]*\) eingeben.*/\1/p' | head -1)
		$TMUX_CMD send-keys -t wiz -l "$word"
		keys Enter
	elif shows "j ja, ausführen"; then
		keys j
	else
		keys Enter
	fi
	sleep 1
done
shows "^ Warnung: check: [0-9]+ Zeilen in 5 Tabellen ohne Schwelle" ||
	failscreen "[refresh] the check's warning above the summary is not German"
shows "without a threshold|production's values" && failscreen "[refresh] English in the German summary"
keys q
echo "ok: German: the refresh's summary shows the check's warning in German"
