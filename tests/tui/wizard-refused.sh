#!/bin/bash
# wizard-refused.sh: a wizard restore refused before its first step (the
# demo instance with its database server stopped: the preflight cannot
# reach the target database) shows why in a dialog, in an 80x24 tmux pane
# with TERM=vt100 NO_COLOR=1, instead of leaving the screen:
#   menu:   from the first screen (1): the dialog "Refused before the first
#           step" with the error, its detail and the hint of that error (no
#           server answers: is PostgreSQL running; not "Check ... config.php"
#           as if the settings were wrong), "nothing was touched" once; a
#           stray key keeps it, read as its key line says ("press q to
#           leave", as on the summary); m goes back to the first screen; Enter
#           there after a second refusal ends the wizard (as on the
#           summary) with exit 2 and the reason on the terminal;
#   direct: `wizard restore` (no first screen): at 50x14 the dialog
#           scrolls; Down past its end, then one Up shows the line before
#           the last page at once; Enter ends it, exit 2;
#   german: LANG=de_CH.UTF-8: the dialog and the hint in German, q exits;
#   stopped: (first, while the server runs, on a backup of the backup
#           command: its manifest is checked in the preflight) the test
#           build's runner gets a SIGTERM at the start of its preflight
#           (BR_FAULT_TERM=run.preflight), which stops the check: the
#           dialog says "Stopped before the first step", not "Refused",
#           why, and "nothing was touched" once; Enter exits 130;
#   line:   `restore --yes` says the same hint and exits 2; a --dbname whose
#           port libpq cannot even use (port=$PGPORT, unexpanded) is the
#           settings' fault: its hint says to check --dbname.
# Skips (77) without tmux, php, rsync, a PostgreSQL server or root.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}
FAULTS=${BISO_RECOVER_FAULTS:-$top_builddir/tests/integration/biso-recover-faults}

. "$top_srcdir/tests/lib/demo-test.sh"
. "$top_srcdir/tests/lib/tmux.sh" # cap, shows, shows_text, failscreen, wait_for, keys
tmux_demo_setup wizref # CONF, TMUX_CMD; both gone on exit

mkdir -p "$T/locale/de/LC_MESSAGES"
msgfmt -o "$T/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po" || fail "msgfmt po/de.po failed"

# start LABEL LANG ARGS...: biso-recover ARGS (the binary $BIN, default
# $BISO_RECOVER, with the environment $ENVS) in a new 80x24 vt100 pane;
# its exit code goes to $T/exit-LABEL.
start() {
	local label=$1 lang=$2
	shift 2
	rm -f "$T/exit-$label"
	$TMUX_CMD kill-server >/dev/null 2>&1 && sleep 0.5
	$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
		"env TERM=vt100 NO_COLOR=1 LANG=$lang LANGUAGE= LC_ALL= LC_MESSAGES= BISO_RECOVER_LOCALEDIR='$T/locale' ${ENVS:-} '${BIN:-$BISO_RECOVER}' --config '$CONF' $*; echo \$? >'$T/exit-$label'; sleep 600" ||
		fail "tmux new-session failed"
}
ended() { # LABEL CODE
	local n=50
	while [ ! -s "$T/exit-$1" ] && [ "$n" -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
	cap
	[ -s "$T/exit-$1" ] || failscreen "[$1] the wizard did not exit"
	[ "$(cat "$T/exit-$1")" = "$2" ] || failscreen "[$1] exit code $(cat "$T/exit-$1"), expected $2"
}
running() { # LABEL: the wizard has not exited
	[ ! -s "$T/exit-$1" ] || failscreen "[$1] the wizard exited (exit $(cat "$T/exit-$1")) instead of showing the refusal"
}
# dialog: the text inside the dialog's box (72 columns, centred on 80),
# its wrapped lines joined with spaces, into $dialog
dialog() {
	dialog=$(printf '%s\n' "$last_screen" | cut -c7-74 | tr '\n' ' ' | tr -s ' ')
}
has() { text_has "$dialog" -E -- "$1"; }
# once REGEX: the dialog matches REGEX (grep -Eio) exactly once
once() { [ "$(grep -Eio -- "$1" <<<"$dialog" | wc -l)" = 1 ]; }
# refused LABEL TITLE: the dialog with the error, its detail and the
# server's hint, not the settings'
refused() {
	wait_for "$2" 60 "[$1] the refusal's dialog"
	sleep 0.5 # its frame is drawn before its lines
	cap
	running "$1"
	dialog
	has "cannot connect to database \"biso\"|keine Verbindung zur Datenbank \"biso\"" ||
		failscreen "[$1] the dialog does not name the connection"
	has "DETAIL:|DETAILS:" || failscreen "[$1] the dialog has no detail"
	has "HINT: No database server answers at that host and port: is PostgreSQL running|HINWEIS: An diesem Host und Port antwortet kein Datenbankserver: läuft PostgreSQL" ||
		failscreen "[$1] the hint is not the one of an unreachable server"
	has "HINT: Check|HINWEIS: [^:]* prüfen:" && failscreen "[$1] the hint blames the settings"
	once "nothing was (touched|changed)|nichts wurde (angetastet|geändert)" ||
		failscreen "[$1] the dialog does not say once that nothing was changed"
	return 0
}

# ---- stopped (the server still runs) -------------------------------------
if [ -x "$FAULTS" ]; then
	sleep 1 # the demo's own dump is named by the second it was made in
	"$BISO_RECOVER" backup --config "$CONF" >"$T/backup.out" 2>&1 ||
		{ cat "$T/backup.out"; fail "[stopped] the backup failed"; }
	BIN=$FAULTS ENVS=BR_FAULT_TERM=run.preflight start stopped C.UTF-8
	wait_for "What do you want to do\\?" 30 "[stopped] the first screen"
	keys 1
	wait_for "before the first step" 60 "[stopped] the dialog"
	sleep 0.5 # its frame is drawn before its lines
	cap
	running stopped
	dialog
	shows "Stopped before the first step" && ! shows "Refused" ||
		failscreen "[stopped] a run stopped by a signal is not titled as stopped"
	has "stopped by SIGTERM" ||
		failscreen "[stopped] the dialog does not say why the run ended"
	once "nothing was (touched|changed)" ||
		failscreen "[stopped] the dialog does not say once that nothing was changed"
	keys Enter
	ended stopped 130
	echo "ok: [stopped] SIGTERM in the preflight: 'Stopped before the first step', Enter: exit 130"
else
	echo "skipped: [stopped] no test build $FAULTS"
fi

"$top_srcdir/share/demo/stop.sh" "$S" >/dev/null 2>&1 || fail "cannot stop the demo's cluster"
! psql -qXAt -c 'SELECT 1' >/dev/null 2>&1 || fail "the demo's cluster still answers"

# ---- menu ----------------------------------------------------------------
start menu C.UTF-8
wait_for "What do you want to do\\?" 30 "[menu] the first screen"
keys 1
refused menu "Refused before the first step"
shows "m first screen  q exit" || failscreen "[menu] the key line does not offer the first screen"
shows "Enter: exit" || failscreen "[menu] the key line does not name Enter"
keys x
# proof that x was read: the key line says how to leave (as on the summary)
wait_for "press q to leave" 10 "[menu] the key line after a stray key"
shows "Refused before the first step" || failscreen "[menu] a stray key took the dialog away"
running menu
keys m
wait_for "What do you want to do\\?" 10 "[menu] the first screen after m"
running menu
keys 1
refused menu "Refused before the first step"
keys Enter
ended menu 2
shows "HINT: No database server answers at that host and port" ||
	failscreen "[menu] the reason is not left on the terminal"
echo "ok: [menu] the refusal in a dialog (error, detail, the server's hint); m: the first screen; Enter: exit 2"

# ---- direct --------------------------------------------------------------
start direct C.UTF-8 wizard restore
refused direct "Refused before the first step"
shows "q exit" || failscreen "[direct] the key line does not say how to leave"
shows "m first screen" && failscreen "[direct] a first screen is offered where there is none"
# at 50x14 the reason scrolls: Down past its end, then Up moves at once
$TMUX_CMD resize-window -t wiz -x 50 -y 14
wait_for "lines 1-[0-9]+ of [0-9]+" 10 "[direct] the dialog's position row at 50x14"
for _ in $(seq 40); do keys Down; done
wait_for "lines [0-9]+-([0-9]+) of \\1 " 10 "[direct] the dialog's last page"
pos=$(grep -Eo "lines [0-9]+-[0-9]+ of [0-9]+" <<<"$last_screen")
n=${pos##* of }
keys Up
wait_for "lines [0-9]+-$((n - 1)) of $n " 10 "[direct] the page before the last after one Up ($pos before)"
$TMUX_CMD resize-window -t wiz -x 80 -y 24
echo "ok: [direct] the dialog scrolls; Up after Down past its end moves at once"
keys Enter
ended direct 2
echo "ok: [direct] wizard restore: the dialog; Enter: exit 2"

# ---- german --------------------------------------------------------------
start german de_CH.UTF-8
wait_for "Was m" 30 "[german] the first screen"
keys 1
refused german "Vor dem ersten Schritt abgelehnt"
has "m: zurück zur ersten Seite; q oder Enter: Assistent beenden" ||
	failscreen "[german] the dialog does not say how to go on in German"
keys q
ended german 2
echo "ok: [german] the dialog and the hint in German"

# ---- line mode -----------------------------------------------------------
set +e
"$BISO_RECOVER" --config "$CONF" restore --yes >"$T/line.out" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || { cat "$T/line.out"; fail "[line] exit $rc, expected 2"; }
grep -q "the target database cannot be reached: cannot connect to database \"biso\"" "$T/line.out" &&
	grep -q "^HINT: No database server answers at that host and port: is PostgreSQL running" "$T/line.out" ||
	{ cat "$T/line.out"; fail "[line] not the wizard's refusal and hint"; }
set +e
"$BISO_RECOVER" --config "$CONF" restore --yes --dbname "host=$PGHOST port=\$PGPORT dbname=biso user=biso" \
	>"$T/line2.out" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || { cat "$T/line2.out"; fail "[line-port] exit $rc, expected 2"; }
grep -q "^HINT: Check --dbname or database.conninfo: the database step" "$T/line2.out" ||
	{ cat "$T/line2.out"; fail "[line-port] an unusable port is not the settings' fault in the hint"; }
echo "ok: [line] restore --yes: the same refusal and hint, exit 2; port=\$PGPORT: check --dbname"
