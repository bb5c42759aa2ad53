#!/bin/bash
# wizard-halfdone.sh: after a restore that ended half done (the test
# build's BR_FAULT_TERM stops its runner at the start of the database
# step: webroot, config and datadir replaced, exit 130), the wizard's
# first screen says so before its choices (newcomer 8.9: it was the normal
# one): "the restore of STAMP ended early after datadir (exit 130); not
# done: database, migrations, verify", the command that finishes it and
# the one that puts it back, with the instance's --config (and the
# finishing one with --dump and --at); the choices stay below it.  The
# restore's wizard (1) shows the same notice on its first step screen
# ("Before you start").
#
# Each command is shown whole (review10: at 80x24 the first screen cut it
# at the edge, the box cut its paths in the middle with "..."), with a
# backup root of 60 characters (the dump's path is 91): wrapped between
# its words, each row but the last ending in " \", so that its rows joined
# as a shell joins them are the command the line-mode restore prints
# (restore --dry-run); a path is never broken nor cut with "...".  A
# command with a path wider than the screen is not shown in part: a line
# in its place says that w shows it whole, and w shows the notice on the
# terminal itself, the command on one line (tmux capture-pane -J: the
# terminal's own wrap joined, as a mouse copy joins it); Enter goes back.
#   80x24:  English, the first screen and the box;
#   de:     80x24, LANG=de_CH.UTF-8 with po/de.po compiled, the same;
#   132x43: both commands whole on both screens, no "w" line, the choices
#           with their explanations.
# TERM=vt100 NO_COLOR=1.  Skips (77) without tmux, php, rsync, a
# PostgreSQL server, root or the test build.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}
FAULTS=${BISO_RECOVER_FAULTS:-$top_builddir/tests/integration/biso-recover-faults}

. "$top_srcdir/tests/lib/demo-test.sh"
. "$top_srcdir/tests/lib/tmux.sh" # cap, shows, failscreen, wait_for, keys
[ -x "$FAULTS" ] || skip "no test build $FAULTS (make check builds it)"
# /tmp/br-TAG.XXXXXX/s/backups: a backup root of 60 characters
tmux_demo_setup wizhalf-a-backup-root-of-60-columns # CONF, TMUX_CMD; both gone on exit
[ ${#DEMO_BACKUP_ROOT} = 60 ] || fail "the backup root has ${#DEMO_BACKUP_ROOT} characters, not 60: $DEMO_BACKUP_ROOT"
german=1
locale -a | grep -qix 'de_CH.utf-\?8' || german=""
command -v msgfmt >/dev/null || german=""
if [ -n "$german" ]; then
	mkdir -p "$T/locale/de/LC_MESSAGES"
	msgfmt -o "$T/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po" || fail "msgfmt po/de.po failed"
fi

set +e
BR_FAULT_TERM=step.database.start "$FAULTS" restore --yes --config "$CONF" < /dev/null > "$T/half.log" 2>&1
rc=$?
set -e
[ $rc = 130 ] || { cat "$T/half.log"; fail "the restore stopped at its database step: exit $rc, not 130"; }
st=$(ls "$S/log"/biso-recover-*.log | sed -n 's/.*biso-recover-\([0-9_]*\)\.log$/\1/p' | sort | tail -1)

# the commands as line mode prints them, one line each (no terminal here)
"$BISO_RECOVER" restore --dry-run --config "$CONF" < /dev/null > "$T/plan.log" 2>&1 ||
	{ cat "$T/plan.log"; fail "restore --dry-run after the half-done run failed"; }
finish=$(grep -- "^  biso-recover restore --only database,migrations,verify --config " "$T/plan.log") ||
	{ cat "$T/plan.log"; fail "the dry run names no command that finishes the run"; }
back=$(grep -x -- "  biso-recover rollback --config [^ ]*" "$T/plan.log") ||
	{ cat "$T/plan.log"; fail "the dry run names no rollback command"; }
text_has "$finish" -F -- " --dump $DEMO_BACKUP_ROOT/db/" || fail "the finishing command has no --dump under the backup root: $finish"

# joined START: the command on $last_screen whose first row starts with
# START, its rows joined as a shell joins them (" \" and the line end
# dropped), inside a box (" x ... x") without its borders; nothing when
# no row starts with START
joined() {
	awk -v start="$1" '
		function trim(s) { sub(/^ +/, "", s); sub(/ +$/, "", s); return s }
		{
			l = $0
			if (l ~ /^ x /) { sub(/^ x /, "", l); sub(/ *x *$/, "", l) }
			l = trim(l)
			if (!on && index(l, start) != 1) next
			on = 1
			if (l ~ / \\$/) { out = out substr(l, 1, length(l) - 2) " "; next }
			print "  " out l
			exit
		}' <<< "$last_screen"
}
# whole WHAT CMD: CMD is on the screen, whole (joined from its rows)
whole() {
	local got
	got=$(joined "${2:2:21}")
	[ "$got" = "$2" ] || failscreen "$1: the command is not shown whole; joined from its rows:
$got
expected:
$2"
}
# no_dots WHAT [box]: no row of the screen below its title line (of the
# box: " x ...") holds a path cut with "..." (the title line shortens a
# long path in its middle, as the README says, and the step screen around
# the box may cut too: neither is a command to paste)
no_dots() {
	local rows
	rows=$(tail -n +2 <<< "$last_screen")
	[ -z "${2:-}" ] || rows=$(grep '^ x ' <<< "$last_screen" || true)
	! text_has "$rows" -E -- '/\.\.\.|\.\.\./' || failscreen "$1: a path cut with '...'"
}
# plain WHAT: w shows the notice on the terminal, each command on one line
plain() {
	keys w
	wait_for "$2" 10 "$1: the notice on the terminal (w)"
	local all
	all=$($TMUX_CMD capture-pane -p -J -S -100 -t wiz)
	text_has "$all" -xF -- "$finish" || { last_screen=$all; failscreen "$1: w: the finishing command is not one line"; }
	text_has "$all" -xF -- "$back" || { last_screen=$all; failscreen "$1: w: the rollback command is not one line"; }
	keys Enter
}
start() { # COLS ROWS LANG
	$TMUX_CMD kill-server >/dev/null 2>&1 && sleep 0.3
	$TMUX_CMD new-session -d -s wiz -x "$1" -y "$2" \
		"env TERM=vt100 NO_COLOR=1 LANG=$3 LANGUAGE= LC_ALL= LC_MESSAGES= BISO_RECOVER_LOCALEDIR='$T/locale' '$BISO_RECOVER' --config '$CONF' --again; echo \$? >'$T/exit'; sleep 600" ||
		fail "tmux new-session failed"
}
quit() { # the restore's wizard, from its first step screen
	keys q
	wait_for "${1:-Quit the wizard\\?}" 10 "the quit question"
	keys y
	wait_for "${2:-exit code 130}" 20 "the summary"
	keys q
	sleep 0.5
}

# ---- 80x24 --------------------------------------------------------------
start 80 24 C.UTF-8
wait_for "What do you want to do\\?" 30 "the first screen"
shows_text "the restore of $st ended early after datadir (exit 130); not done:" ||
	failscreen "the first screen does not name the half-done restore"
shows "^ *database, migrations, verify *$" || failscreen "the first screen's notice lacks what is not done"
shows "^ *to finish it, run:" || failscreen "the first screen: no 'to finish it, run:'"
# the dump's path (91 characters) is wider than the screen: a line says so
shows "^ +\\(a path in this command is wider than the screen: w shows it whole\\)" ||
	failscreen "the first screen: no line in place of the command too wide for it"
shows "w whole commands" || failscreen "the first screen's keys do not offer w"
shows "^ *to put back what it replaced instead, run:" || failscreen "the first screen: no 'to put back'"
whole "[80x24] the first screen's rollback" "$back"
no_dots "[80x24] the first screen"
shows "1  Restore this instance" || failscreen "the choices are gone below the notice"
plain "[80x24] the first screen" "Press Enter to go back to the wizard\\."
wait_for "What do you want to do\\?" 10 "the first screen again after Enter"
whole "[80x24] the first screen after w" "$back"
echo "ok: [80x24] the first screen names the half-done restore, the rollback whole, the finishing command by w"

keys 1
wait_for "Before you start" 60 "the restore's first step screen with its warnings"
shows_text "ended early after datadir" || failscreen "the restore's first screen does not name the half-done restore"
whole "[80x24] the box's rollback" "$back"
shows "^ x +\\(a path in this command is wider than the screen: w shows it" ||
	failscreen "the box: no line in place of the command too wide for it"
shows "w whole commands" || failscreen "the box's keys do not offer w"
no_dots "[80x24] the box" box
plain "[80x24] the box" "Press Enter to go back to the wizard\\."
wait_for "Before you start" 10 "the box again after Enter"
echo "ok: [80x24] the restore's wizard names it before its first step, commands whole"
keys Enter
wait_for "Enter run this step" 20 "the first step"
quit

# ---- de -----------------------------------------------------------------
if [ -n "$german" ]; then
	start 80 24 de_CH.UTF-8
	wait_for "Was möchten Sie tun\\?" 30 "[de] the first screen"
	shows "^ +\\(ein Pfad dieses Befehls ist breiter als der Bildschirm: w zeigt ihn ganz\\)" ||
		failscreen "[de] the first screen: no line in place of the command too wide for it"
	shows "w ganze Befehle" || failscreen "[de] the first screen's keys do not offer w"
	whole "[de] the first screen's rollback" "$back"
	no_dots "[de] the first screen"
	plain "[de] the first screen" "Enter drücken, um zum Assistenten zurückzukehren\\."
	wait_for "Was möchten Sie tun\\?" 10 "[de] the first screen again after Enter"
	keys 1
	wait_for "Vor dem Start" 60 "[de] the restore's warnings"
	whole "[de] the box's rollback" "$back"
	no_dots "[de] the box" box
	plain "[de] the box" "Enter drücken, um zum Assistenten zurückzukehren\\."
	wait_for "Vor dem Start" 10 "[de] the box again after Enter"
	echo "ok: [de] the same in German"
	keys Enter
	wait_for "Enter ausführen" 20 "[de] the first step"
	quit "Assistent beenden\\?" "Exit-Code 130"
else
	echo "SKIP: [de] no de_CH.UTF-8 locale or no msgfmt"
fi

# ---- 132x43 -------------------------------------------------------------
start 132 43 C.UTF-8
wait_for "What do you want to do\\?" 30 "[132x43] the first screen"
whole "[132x43] the first screen's finishing command" "$finish"
whole "[132x43] the first screen's rollback" "$back"
no_dots "[132x43] the first screen"
shows "wider than the screen" && failscreen "[132x43] a command said to be wider than the screen"
shows "w whole commands" && failscreen "[132x43] the keys offer w"
shows "^ +Put back the webroot, config.php, datadir and database" ||
	failscreen "[132x43] the choices lost their explanations"
keys 1
wait_for "Before you start" 60 "[132x43] the restore's warnings"
whole "[132x43] the box's finishing command" "$finish"
whole "[132x43] the box's rollback" "$back"
no_dots "[132x43] the box" box
echo "ok: [132x43] both commands whole on both screens"
keys Enter
wait_for "Enter run this step" 20 "the first step"
quit
