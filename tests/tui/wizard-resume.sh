#!/bin/sh
# wizard-resume.sh: the wizard offers to continue a restore that was killed.
#
# Builds the demo backup set, kills a `restore --yes` of it (the test build
# tests/integration/biso-recover-faults, BR_FAULT_KILL=step.database.start)
# when it reaches the database step, then starts the wizard in an 80x24
# tmux session: its first screen says what the killed run had done and
# where it was interrupted, and offers c: continue / n: start over / q:
# quit (other keys do nothing); in German too (quit there, the run log
# English).  c continues at step 4 (database) with the first three steps done
# in the interrupted run; the restore ends with exit 0, its summary naming
# them, and exactly one pre-restore copy of the webroot exists.
# Skips (77) without tmux, php, a PostgreSQL server, root or the test build.
# Environment (from make check): top_srcdir, top_builddir, BISO_RECOVER.

set -u

skip() { echo "SKIP: $*"; exit 77; }
fail() {
	echo "FAIL: $*"
	if [ -n "${last_screen:-}" ]; then
		echo "--- last screen ---"
		printf '%s\n' "$last_screen"
		echo "-------------------"
	fi
	exit 1
}

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-biso-recover}

command -v tmux >/dev/null 2>&1 || skip "tmux is not installed (apt-get install tmux)"
command -v php >/dev/null 2>&1 || skip "php is not installed (apt-get install php-cli php-pgsql)"
[ "$(id -u)" = 0 ] || skip "needs root: the restored datadir is chowned to www-data"
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || [ -n "${PG_BINDIR:-}" ] ||
	skip "no PostgreSQL server (apt-get install postgresql)"
[ -x "$BISO_RECOVER" ] || command -v "$BISO_RECOVER" >/dev/null 2>&1 ||
	fail "biso-recover not found at $BISO_RECOVER"

# A short path: the cluster's Unix socket lives in it.
SANDBOX=$(mktemp -d /tmp/biso-wres.XXXXXX) || fail "mktemp"
# the cluster runs as postgres and must reach its directory below it
chmod 755 "$SANDBOX"
SOCK="biso-wres-$$"
TMUX_CMD="tmux -L $SOCK -f /dev/null"
last_screen=""

cleanup() {
	$TMUX_CMD kill-server >/dev/null 2>&1
	# a runner a gone wizard left waiting at a question
	for f in "$SANDBOX/demo/log"/biso-recover-*.status; do
		[ -f "$f" ] && ! grep -q '^state=finished' "$f" &&
			kill -TERM "$(sed -n 's/^pid=//p' "$f")" 2>/dev/null
	done
	"$top_srcdir/share/demo/stop.sh" "$SANDBOX/demo" >/dev/null 2>&1
	if [ "${KEEP_SANDBOX:-0}" = 1 ]; then
		echo "sandbox kept: $SANDBOX"
	else
		rm -rf "$SANDBOX"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

echo "building the demo backup set in $SANDBOX/demo"
if ! "$top_srcdir/share/demo/make-backup-set.sh" "$SANDBOX/demo" >"$SANDBOX/make.log" 2>&1; then
	cat "$SANDBOX/make.log"
	fail "make-backup-set.sh failed"
fi
CONF="$SANDBOX/demo/biso-recover.conf"
[ -f "$CONF" ] || fail "make-backup-set.sh wrote no $CONF"
DBNAME=biso

# cap, shows, wait_for, keys, type_text on the session wiz
. "$top_srcdir/tests/lib/tmux.sh"

# start_wizard LABEL ENV...: a new 80x24 session running the wizard.
start_wizard() {
	label=$1
	shift
	rm -f "$SANDBOX/exit-$label"
	if $TMUX_CMD kill-server >/dev/null 2>&1; then
		sleep 0.5 # let the old server go before a new one takes the socket
	fi
	$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
		"cd '$SANDBOX' && env $* '$BISO_RECOVER' --config demo/biso-recover.conf wizard restore; echo \$? >'$SANDBOX/exit-$label'; sleep 600" ||
		fail "tmux new-session failed"
}

# wait_exit LABEL CODE [SECONDS]: the wizard exited with CODE (within 10 s).
wait_exit() {
	n=$(( ${3:-10} * 5 ))
	while [ ! -s "$SANDBOX/exit-$1" ] && [ "$n" -gt 0 ]; do
		sleep 0.2
		n=$((n - 1))
	done
	[ -s "$SANDBOX/exit-$1" ] || fail "[$1] the wizard did not exit"
	code=$(cat "$SANDBOX/exit-$1")
	[ "$code" = "$2" ] || fail "[$1] exit code $code, expected $2"
}


FAULTS=${BISO_RECOVER_FAULTS:-${top_builddir:-$top_srcdir/build}/tests/integration/biso-recover-faults}
[ -x "$FAULTS" ] || skip "no test build $FAULTS (make check builds it)"

BR_FAULT_KILL=step.database.start "$FAULTS" restore --yes --config "$CONF" </dev/null >"$SANDBOX/kill.log" 2>&1
rc=$?
. "$top_srcdir/tests/lib/runner-fault.sh"
rc=$(runner_fault_rc "$SANDBOX/kill.log")
[ "$rc" = 137 ] && grep -q "^fault: SIGKILL at step.database.start$" "$SANDBOX/kill.log" ||
	{ cat "$SANDBOX/kill.log"; fail "the restore was not killed at the database step (exit $rc)"; }
sleep 1 # the wizard's log carries another second

# In German first (LANG=de_CH.UTF-8, the build's catalogue): the offer says
# what the killed run did in German, its run log in English; quitting at
# the offer leaves the killed run to continue (below, in English).
if command -v msgfmt >/dev/null 2>&1 && text_has "$(locale -a)" -ix 'de_CH.utf-\?8'; then
	mkdir -p "$SANDBOX/locale/de/LC_MESSAGES"
	msgfmt -o "$SANDBOX/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po" ||
		fail "msgfmt po/de.po"
	start_wizard resume-de LANG=de_CH.UTF-8 LC_ALL= LC_MESSAGES= LANGUAGE= \
		"BISO_RECOVER_LOCALEDIR='$SANDBOX/locale'"
	wait_for "c unterbrochenen Lauf fortsetzen  n von vorn beginnen  q beenden" 30 "the German offer to continue"
	# the dialog wraps the text: its lines joined, the frame taken off
	text=$(printf '%s\n' "$last_screen" | LC_ALL=C.UTF-8 sed -n 's/^[^│x]*[│x] \(.*[^ ]\) *[│x].*$/\1/p' | tr '\n' ' ')
	text_has "$text" "der restore-Lauf von [0-9_]* wurde unterbrochen: Schritte 1-3 (webroot, config, datadir) um [0-9:]* abgeschlossen, aus den Sicherungen vom [0-9-]* [0-9:]*; Schritt 4, database, wurde bei seinem Start unterbrochen; er hatte nichts verändert" ||
		fail "[resume-de] the offer does not say in German what the killed run did: $text"
	shows "was interrupted|finished at" && fail "[resume-de] English in the German offer"
	echo "[resume-de] first screen:"
	printf '%s\n' "$last_screen"
	keys q
	# the German yes key is j (y is accepted too)
	wait_for "j beenden" 10 "the quit question"
	keys j
	wait_for "q beenden" 10 "the summary"
	keys q
	wait_exit resume-de 130
	log=$(ls -t "$SANDBOX/demo/log/"biso-recover-*.log | head -n 1)
	grep -q "WARN  the restore of [0-9_]* was interrupted: steps 1-3 (webroot, config, datadir) finished at" "$log" &&
		! grep -q "unterbrochen" "$log" || { cat "$log"; fail "[resume-de] the run log of the German wizard does not keep the English text"; }
	echo "[resume-de] passed: the offer in German, the run log in English"
	sleep 1 # the next wizard's log carries another second
else
	echo "[resume-de] skipped: no msgfmt or no de_CH.UTF-8 locale"
fi

start_wizard resume
wait_for "steps 1-3" 30 "what the killed run finished"
wait_for "c continue the interrupted run  n start over  q quit" 10 "the offer to continue"
echo "[resume] first screen:"
printf '%s\n' "$last_screen"
# the warning names the key, not a command to run after stopping (it said
# "stop here and run: biso-recover restore --resume" beside "c continue")
$TMUX_CMD capture-pane -p -t wiz | sed 's/^[│| ]*//; s/[│| ]*$//' | tr '\n' ' ' |
	grep -q "to continue that run instead, press c" &&
	! shows "stop here" || fail "[resume] the warning does not say to press c, or says to stop and run a command"
# only n starts over: another key leaves the offer up
keys x
keys Enter
sleep 1
cap
shows "c continue the interrupted run" || fail "[resume] a key other than c, n or q closed the offer to continue"
keys c
wait_for "Step 4 of 6" 60 "the database step of the resumed run"
step=4
while [ "$step" -le 6 ]; do
	wait_for "Step $step of 6" 300 "step $step"
	wait_for "Enter run this step" 30 "the prompt of step $step"
	keys Enter
	sleep 0.3
	cap
	if shows "Confirm:"; then
		if shows "Type $DBNAME to continue"; then
			type_text "$DBNAME"
			keys Enter
		else
			keys y
		fi
	fi
	step=$((step + 1))
done
wait_for "Restore finished" 300 "the summary"
$TMUX_CMD capture-pane -p -J -S - -t wiz > "$SANDBOX/screen"
# started with a relative --config: the rollback it offers is one row with
# the absolute path (it was wrapped onto two rows, relative)
grep -Eqx " +biso-recover rollback --config $(realpath "$CONF") *" "$SANDBOX/screen" ||
	{ cat "$SANDBOX/screen"; fail "[resume] the summary does not offer the rollback as one line with the absolute --config"; }
keys q
wait_exit resume 0
# (a row's result goes on under its column on the rows after it: joined)
text_has "$($TMUX_CMD capture-pane -p -J -S - -t wiz | sed -e :a -e '$!N;s/\n  \{10,\}/ /;ta' -e 'P;D')" "^webroot .*in the interrupted run of [0-9_]*$" ||
	{ $TMUX_CMD capture-pane -p -J -S - -t wiz; fail "[resume] the summary does not name the webroot as done by the interrupted run"; }
n=$(ls -d "$(dirname "$(sed -n 's/^webroot = "\(.*\)";$/\1/p' "$CONF")")"/*.pre-restore-* 2>/dev/null | grep -c 'webroot\.pre-restore-' || true)
[ "$n" = 1 ] || fail "[resume] $n pre-restore copies of the webroot, expected 1"
echo "[resume] passed: continued at the database step, one pre-restore copy of the webroot"
