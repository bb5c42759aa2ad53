#!/bin/sh
# wizard-demo.sh: the wizard in a real terminal, on the demo instance.
#
# Builds the demo backup set (share/demo/make-backup-set.sh, a throw-away
# PostgreSQL cluster), then runs `biso-recover --config SANDBOX/biso-recover.conf`
# inside a detached 80x24 tmux session and drives it with send-keys, reading
# the screen with capture-pane:
#   run 1 (tmux's own TERM, colour, UTF-8, in German: LANG=de_CH.UTF-8 and
#     po/de.po compiled): all six steps, a wrong database name is refused
#     and the right one accepted, the window is resized to 100x30 and back
#     while the database step runs, the summary says all six steps are done,
#     exit code 0; the screens German, the run log English;
#   run 2 (TERM=vt100 NO_COLOR=1 LANG=C): the same walk over the restored
#     instance, summary and exit code 0;
#   then q, SIGHUP (the run goes on, a new wizard attaches to it), o
#     (another dump), and line mode (restore without --yes) asking again
#     after a wrong answer; a warning from before the wizard in its log
#     pane, in German with a German level (WARNUNG), the run log English;
#   a cut newest dump (marked GEKÜRZT in German) and a cluster dump
#     (UNGÜLTIG) in the German backup list.
# Skips (77) without tmux, php, a PostgreSQL server or root.
# Environment (from make check): top_srcdir, BISO_RECOVER.
# Keep the sandbox for inspection with KEEP_SANDBOX=1.

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
SANDBOX=$(mktemp -d /tmp/biso-wiz.XXXXXX) || fail "mktemp"
# the cluster runs as postgres and must reach its directory below it
chmod 755 "$SANDBOX"
SOCK="biso-wiz-$$"
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

# The screen texts walk() waits for, in English (lang_en) or German (lang_de).
lang_en() {
	T_STEP="Step %s of 6"; T_PROMPT="Enter run this step"; T_CONFIRM="Confirm:"
	T_TYPE="Type $DBNAME to continue"; T_NOMATCH="does not match"
	T_END="Restore (finished|STOPPED|ABORTED)"; T_FAILED="Step [a-z]+ failed"
	T_FINISHED="Restore finished"; T_ALLDONE="Restore finished: all 6 steps done"
}
lang_de() {
	T_STEP="Schritt %s von 6"; T_PROMPT="Enter ausführen"; T_CONFIRM="Bestätigen:"
	T_TYPE="Zum Weitermachen $DBNAME eingeben"; T_NOMATCH="Das passt nicht"
	T_END="Wiederherstellung (fertig|ANGEHALTEN|ABGEBROCHEN)"
	T_FAILED="Schritt [a-z]+ fehlgeschlagen"; T_FINISHED="Wiederherstellung fertig"
	T_ALLDONE="Wiederherstellung fertig: alle 6 Schritte erledigt"
}
lang_en
# step_text N: "Step N of 6" in the language of the walk
step_text() { printf "$T_STEP" "$1"; }

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
		"env $* '$BISO_RECOVER' --config '$CONF' wizard restore --again; echo \$? >'$SANDBOX/exit-$label'; sleep 600" ||
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

# resize_check COLS ROWS: resize the window; the wizard must redraw the
# frame at the new size (the title bar ends near the right edge, the key
# line is on the last row).
resize_check() {
	$TMUX_CMD resize-window -t wiz -x "$1" -y "$2"
	n=50
	while [ "$n" -gt 0 ]; do
		sleep 0.2
		cap
		first=$(printf '%s\n' "$last_screen" | head -n 1)
		# columns, not bytes: a cut path starts with "…"
		width=$(printf '%s' "$first" | LC_ALL=C.UTF-8 wc -m)
		rows=$(printf '%s\n' "$last_screen" | wc -l)
		if [ "$width" -ge $(($1 - 6)) ] && [ "$width" -le "$1" ] &&
		   [ "$rows" -ge "$(($2 - 1))" ] &&
		   shows "$(step_text '[1-6]')|$T_FINISHED" &&
		   text_has "$(printf '%s\n' "$last_screen" | sed -n "$2p")" -E "[a-z]"; then
			return 0
		fi
		n=$((n - 1))
	done
	fail "the wizard did not redraw at $1x$2 (title row: $width columns)"
}

# log_keys_check: on TERM=vt100 (no kpp/knp in its terminfo) PgUp and PgDn
# as xterm sends them (ESC [5~, ESC [6~) scroll the log pane and are never
# read as Esc (which asks "Quit the wizard?"); [ and ] scroll it too.
log_keys_check() {
	wait_for "Log \(\[ or PgUp: back\)" 10 "a log longer than its pane"
	keys -H 1b 5b 35 7e
	wait_for "Log \([0-9]+ lines back" 5 "the log scrolled back after ESC [5~"
	shows "Quit the wizard" && fail "ESC [5~ was read as Esc: the quit question opened"
	keys Escape '[6~'
	wait_for "Log \(\[ or PgUp: back\)" 5 "the newest log lines after ESC [6~"
	keys '['
	wait_for "Log \([0-9]+ lines back" 5 "the log scrolled back after ["
	keys ']'
	wait_for "Log \(\[ or PgUp: back\)" 5 "the newest log lines after ]"
	shows "Quit the wizard" && fail "a scroll key opened the quit question"
	echo "[vt100] PgUp/PgDn (ESC [5~/[6~) and [ ] scroll the log"
}

# walk LABEL RESIZE: Enter through the six steps, answering confirmations.
walk() {
	label=$1
	resize=$2
	step=1
	while [ "$step" -le 6 ]; do
		wait_for "$(step_text $step)|$T_END" 120 "step $step"
		if shows "$T_END"; then
			fail "[$label] the wizard ended before step $step"
		fi
		wait_for "$T_PROMPT" 30 "the prompt of step $step"
		keys Enter
		sleep 0.3
		cap
		if shows "$T_CONFIRM"; then
			if shows "$T_TYPE"; then
				# a wrong name is refused ...
				type_text "${DBNAME}x"
				keys Enter
				wait_for "$T_NOMATCH" 10 "the refusal of a wrong database name"
				# ... the right one accepted
				type_text "$DBNAME"
				keys Enter
				if [ "$resize" = 1 ]; then
					sleep 0.2
					resize_check 100 30
					resize_check 80 24
					echo "[$label] resized to 100x30 and back during step $step"
				fi
			else
				keys y
			fi
		fi
		next=$((step + 1))
		if [ "$step" -lt 6 ]; then
			target=$(step_text $next)
		else
			target=$T_END
		fi
		# a long step: keep watching for a failure dialog
		n=600
		while [ "$n" -gt 0 ]; do
			cap
			if shows "$target"; then
				break
			fi
			if shows "$T_FAILED"; then
				fail "[$label] step $step failed"
			fi
			sleep 0.5
			n=$((n - 1))
		done
		[ "$n" -gt 0 ] || fail "[$label] step $step did not finish in 300 s"
		echo "[$label] step $step done"
		if [ "$step" = 1 ] && [ "$label" = vt100 ]; then
			log_keys_check
		fi
		step=$next
	done
	wait_for "$T_ALLDONE" 10 "the summary with all six steps done"
	for name in webroot config datadir database migrations verify; do
		text_has "$last_screen" "$name" ||
			fail "[$label] the summary does not name step $name"
	done
	echo "[$label] summary screen:"
	printf '%s\n' "$last_screen"
	if [ "$label" = vt100 ]; then
		# PgUp as xterm sends it scrolls; it is no key that ends the
		# wizard (and leaves "5~" typed at the shell)
		keys -H 1b 5b 35 7e
		sleep 1
		[ -s "$SANDBOX/exit-$label" ] &&
			fail "[$label] PgUp (ESC [5~) on the summary ended the wizard"
		wait_for "Restore finished" 5 "the summary after PgUp"
	fi
	keys q
	wait_exit "$label" 0
}

# run 1 in German: the build's catalogue, as i18n-german.sh compiles it
mkdir -p "$SANDBOX/locale/de/LC_MESSAGES"
msgfmt -o "$SANDBOX/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po" ||
	fail "msgfmt po/de.po failed"
text_has "$(locale -a)" -ix 'de_CH.utf-\?8' || fail "the de_CH.UTF-8 locale is missing (tools/deps.sh generates it)"
lang_de
start_wizard colour LANG=de_CH.UTF-8 LC_ALL= LC_MESSAGES= LANGUAGE= "BISO_RECOVER_LOCALEDIR='$SANDBOX/locale'"
walk colour 1
shows "Schritt +Status +Zeit +Ergebnis" && shows "webroot +fertig" ||
	fail "[colour] the German summary screen lacks its step list"
# the run log of the German run is English (report_log: the log gets the
# English line, the screen its translation)
log=$(ls -t "$SANDBOX"/demo/log/biso-recover-*.log | head -n 1)
grep -q "INFO  step webroot: Restore the webroot$" "$log" &&
	grep -q "INFO  step database: the operator typed \"$DBNAME\" to confirm: replaces database" "$log" &&
	grep -q "INFO  finished (exit 0)$" "$log" ||
	{ cat "$log"; fail "[colour] the run log of the German wizard is not English"; }
! grep -Eq "Schritt|Wiederherstell|Datenbank|ersetzt|fertig|Assistent" "$log" ||
	{ grep -E "Schritt|Wiederherstell|Datenbank|ersetzt|fertig|Assistent" "$log"; fail "[colour] German in the run log"; }
echo "[colour] passed in German, its run log English"
lang_en

start_wizard vt100 TERM=vt100 NO_COLOR=1 LANG=C LC_ALL=C
wait_for "Step 1 of 6" 30 "the first step on a vt100"
walk vt100 0
echo "[vt100] passed"

# q between steps asks, then ends on the summary with 130; started as over
# SSH outside tmux, no warning that a dropped connection stops the restore:
# it does not (the run is its runner's)
start_wizard quit "SSH_CONNECTION='192.0.2.1 50000 192.0.2.2 22'" TMUX= STY=
wait_for "Enter run this step" 30 "the first step"
shows "running over SSH outside tmux or screen" && fail "[quit] the wizard warns that a dropped connection stops it"
keys q
wait_for "Quit the wizard\?" 10 "the quit question"
keys y
# before any step: nothing was changed, said so (it said "Restore ABORTED"
# and suggested --only with every step)
wait_for "Restore stopped before any step: nothing was changed - exit code 130" 10 "the summary"
keys q
wait_exit quit 130
# the summary left on the terminal says why the run stopped, no --only
$TMUX_CMD capture-pane -p -J -S - -t wiz > "$SANDBOX/quit.screen"
grep -q "^stopped before any step: nothing was changed; cancelled by the operator$" "$SANDBOX/quit.screen" ||
	{ cat "$SANDBOX/quit.screen"; fail "[quit] the summary on the terminal does not say why the run stopped"; }
! grep -E -- "--only|not done:" "$SANDBOX/quit.screen" ||
	fail "[quit] the summary suggests --only although no step ran"
echo "[quit] passed"

# a dropped SSH connection (SIGHUP) ends the wizard with 130 and gives the
# terminal back: the shell after it prints into a normal screen; the run
# goes on in its runner, waiting at the question (a dropped client decides
# nothing), and the wizard started again attaches to it there
start_wizard hup
wait_for "Enter run this step" 30 "the first step"
shell_pid=$($TMUX_CMD display -p -t wiz '#{pane_pid}')
wiz_pid=$(pgrep -P "$shell_pid" | head -n 1)
[ -n "$wiz_pid" ] || fail "[hup] cannot find the wizard's process"
kill -HUP "$wiz_pid"
wait_exit hup 130
text_has "$($TMUX_CMD capture-pane -p -J -S - -t wiz)" "^The wizard left the run; it goes on in its runner (pid [0-9]*)" ||
	{ $TMUX_CMD capture-pane -p -J -S - -t wiz; fail "[hup] the terminal does not say the run goes on"; }
$TMUX_CMD send-keys -t wiz C-c
sleep 0.3
cap
shows "Enter run this step" && fail "[hup] the wizard's screen is still up after SIGHUP"
st=$(ls -t "$SANDBOX"/demo/log/biso-recover-*.status | head -n 1)
grep -q "^state=waiting" "$st" || { cat "$st"; fail "[hup] the runner does not wait at the question"; }
start_wizard hup2
wait_for "Step 1 of 6" 30 "the first step of the run attached to"
wait_for "Enter run this step" 10 "the prompt of the run attached to"
keys q
wait_for "Quit the wizard\?" 10 "the quit question"
keys y
wait_for "Restore stopped before any step: nothing was changed - exit code 130" 10 "the summary"
keys q
wait_exit hup2 130
echo "[hup] passed: SIGHUP leaves the run waiting; a new wizard attaches at its question"

# o on the database step: another dump.  A cut-off one is refused in the
# dialog and the plan keeps its dump; the older complete one is checked,
# used, and the database then equals psql's restore of that dump.
old_dump=$(ls "$SANDBOX"/demo/backups/db/biso_*.sql.gz | sort | head -n 1)
gunzip -c "$old_dump" | head -n 200 | gzip > "$SANDBOX/demo/backups/db/biso_20000101_000000.sql.gz"
start_wizard pick
for step in 1 2 3; do
	wait_for "Step $step of 6" 30 "step $step"
	wait_for "Enter run this step" 10 "the prompt of step $step"
	if [ $step = 3 ]; then
		# ? shows the step's whole text (the panel may cut it), any key closes it
		keys '?'
		wait_for "database points to is missing\\." 10 "the whole explanation of step 3"
		shows "any key back" || fail "[pick] the explanation has no way back"
		keys x
		wait_for "Enter run this step" 10 "the step screen after the explanation"
	fi
	keys s
done
wait_for "Step 4 of 6" 30 "the database step"
wait_for "o other backup" 10 "the other-backup key on the database step"
keys o
wait_for "Backup for step database" 10 "the backup dialog"
wait_for "\\* .*biso_.*sql\\.gz" 10 "the dump of the plan marked *"
keys Down Down Enter
wait_for "biso_20000101_000000.sql.gz cannot be used" 30 "the refusal of a cut-off dump"
shows "cut off" || fail "[pick] the refusal does not say the dump was cut off"
keys Up Enter
wait_for "Enter run this step" 60 "the step screen after choosing the older dump"
grep -q "step database: the operator chose $old_dump" "$(ls -t "$SANDBOX"/demo/log/biso-recover-*.log | head -n 1)" ||
	fail "[pick] the run log does not record the chosen dump"
keys Enter
wait_for "Type $DBNAME to continue" 10 "the confirmation"
type_text "$DBNAME"
keys Enter
wait_for "Step 5 of 6" 300 "the migrations step after the database"
keys s
wait_for "Step 6 of 6" 30 "the verify step"
# the older dump lacks migrations and they were skipped: verify fails, and
# its dialog shows the failed check and the fix before the report, which
# it may cut; the summary (screen and terminal) names both
wait_for "Enter run this step" 10 "the prompt of the verify step"
keys Enter
wait_for "Step verify failed" 60 "the failed verification"
shows "check failed: [0-9]+ migrations? pending" ||
	fail "[pick] the failure dialog does not name the failed check"
shows "HINT: Run the pending migrations?: biso-recover restore --only" ||
	fail "[pick] the failure dialog does not show the hint"
keys s
wait_for "Restore finished" 10 "the summary"
wait_for "verify failed, then was skipped: [0-9]+ check failed: [0-9]+ migrations? pending" 5 \
	"the failed check in the summary"
shows "hint \\(verify\\): Run the pending migrations?: biso-recover restore --only" ||
	fail "[pick] the summary does not give the hint"
keys q
wait_exit pick 3
# (the command on a row of its own when the hint is wider than the pane)
$TMUX_CMD capture-pane -p -J -S - -t wiz | tr '\n' ' ' |
	grep -Eq "(^| )hint \\(verify\\): Run the pending migrations?: +biso-recover restore --only migrations,verify --config [^ ]*/biso-recover\\.conf\\.( |$)" ||
	{ $TMUX_CMD capture-pane -p -J -S - -t wiz; fail "[pick] the summary on the terminal does not give the hint"; }
echo "[pick] a failed verify names its check and the --only migrations,verify hint"
(
	. "$SANDBOX/demo/env.sh"
	psql -X -q -c "CREATE DATABASE pick_ref OWNER biso TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'de_CH.utf8' LC_CTYPE 'de_CH.utf8'" &&
	gunzip -c "$old_dump" | psql -X -q -v ON_ERROR_STOP=1 -U biso -d pick_ref > /dev/null 2>&1 &&
	[ "$(pg_dump --no-owner -d pick_ref | grep -v '^\\\(un\)\{0,1\}restrict ')" = \
	  "$(pg_dump --no-owner -d "$DBNAME" | grep -v '^\\\(un\)\{0,1\}restrict ')" ]
) || fail "[pick] the database does not equal psql's restore of $old_dump"
rm -f "$SANDBOX/demo/backups/db/biso_20000101_000000.sql.gz"
echo "[pick] passed: a cut dump refused in the dialog, the older one restored"

# Line mode (restore without --yes) in the same terminal: a typo at "Type
# yes" or at the database name asks again, as the wizard does, instead of
# ending the half-done run with 130; three wrong answers stop before the
# step; "no" stops at once.
# start_cmd LABEL ARGS...: a new session running biso-recover ARGS.
start_cmd() {
	label=$1
	shift
	# (a line-mode restore: --again, the restores of this test follow each
	# other on purpose; restore-again.sh tests the question)
	if [ "$1" = restore ]; then shift; set -- restore --again "$@"; fi
	rm -f "$SANDBOX/exit-$label"
	if $TMUX_CMD kill-server >/dev/null 2>&1; then
		sleep 0.5
	fi
	$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
		"'$BISO_RECOVER' $*; echo \$? >'$SANDBOX/exit-$label'; sleep 600" ||
		fail "tmux new-session failed"
}
newest_log() { ls -t "$SANDBOX"/demo/log/biso-recover-*.log | head -n 1; }
start_cmd ask restore --config "'$CONF'" --only webroot,database
wait_for "Go on\? Type yes:" 30 "the question before the webroot step"
type_text "ye"
keys Enter
wait_for "no to stop \\(2 more tries\\)" 10 "the webroot question asked again"
type_text "yes"
keys Enter
wait_for "Type the database name \($DBNAME\) to go on:" 60 "the question before the database step"
type_text "${DBNAME}x"
keys Enter
wait_for "does not match \"$DBNAME\"" 10 "the database question asked again"
type_text "$DBNAME"
keys Enter
wait_exit ask 0 300
grep -q "step database done" "$(newest_log)" || fail "[ask] the database step did not run"
echo "[ask] passed: a typo asks again, the right answer goes on"
start_cmd ask3 restore --config "'$CONF'" --only webroot
for i in 1 2 3; do
	wait_for "Go on\? Type yes:" 30 "question $i"
	type_text "y$i"
	keys Enter
	sleep 0.3
done
wait_exit ask3 7
log=$(newest_log)
grep -q "does not match \"yes\" (3 tries)" "$log" &&
	grep -q "not confirmed: the typed confirmation did not match 3 times; stopping before step webroot" "$log" ||
	fail "[ask3] three wrong answers: the log does not say so"
text_has "$(tail -n 1 "$log")" "not confirmed (exit 7): the typed confirmation did not match 3 times" ||
	{ tail -n 1 "$log"; fail "[ask3] the log's last line does not say exit 7, not confirmed"; }
! grep -q "step webroot: Restore the webroot" "$log" || fail "[ask3] the webroot step ran"
echo "[ask3] passed: three wrong answers stop before the step"
start_cmd askno restore --config "'$CONF'" --only webroot,datadir
wait_for "Go on\? Type yes:" 30 "the question"
type_text "yes"
keys Enter
wait_for "^Restore the datadir: " 120 "the datadir's question"
type_text "no"
keys Enter
wait_exit askno 130
# the log's last line says how the run ended, with the exit code
text_has "$(tail -n 1 "$(newest_log)")" "aborted (exit 130): cancelled by the operator$" ||
	{ tail -n 1 "$(newest_log)"; fail "[askno] the log's last line does not say the run was aborted with 130"; }
# quit half way: the end names the step not done and the command that does
# it (nothing said how to finish)
$TMUX_CMD capture-pane -p -J -S - -t wiz > "$SANDBOX/askno.screen"
# (with the instance's options, the path absolute: it is pasted elsewhere)
finish="  biso-recover restore --only datadir --config $(realpath "$CONF")"
grep -q "^not done: datadir$" "$SANDBOX/askno.screen" &&
	grep -q -- "^$finish\( --dump \| --at \|$\)" "$SANDBOX/askno.screen" &&
	grep -qF -- "$finish" "$(newest_log)" ||
	{ cat "$SANDBOX/askno.screen"; fail "[askno] the end does not say how to finish the datadir step"; }
echo "[askno] passed: no stops at once; the end says how to finish"

# A signal is no operator: a line-mode run sent SIGHUP or SIGTERM, and a
# wizard whose tmux session is killed (its terminal hangs up), each while a
# step runs (a stop_services command that waits), log and summarise what
# happened, not "cancelled by the operator".
sed '/^services = {/,/^};/d' "$CONF" > "$SANDBOX/slow.conf"
printf 'services = {\n  scheduler_cron = "";\n  stop_services = ( [ "sleep", "600" ] );\n};\n' >> "$SANDBOX/slow.conf"
# pid_in_pane: the biso-recover process of the session
pid_in_pane() {
	pgrep -P "$($TMUX_CMD display -p -t wiz '#{pane_pid}')" -x biso-recover | head -n 1
}
# sleeping_step LABEL: wait until the step runs the waiting stop command;
# $pid is then biso-recover's
sleeping_step() {
	n=150
	while [ "$n" -gt 0 ]; do
		pid=$(pid_in_pane)
		if [ -n "$pid" ] && pgrep -P "$pid" -x sleep >/dev/null; then
			return 0
		fi
		sleep 0.2
		n=$((n - 1))
	done
	fail "[$1] the step did not start its stop command"
}
# Line mode is a client of a detached runner (issue 11): the step runs in
# the runner.  SIGTERM to the client stops the run (sent on as a cancel);
# SIGHUP ends the client only, the run goes on until SIGTERM to the runner.
# runner_sleeping LABEL: wait until the runner's step runs the waiting stop
# command; $rpid is then the runner's pid (from its status file)
runner_sleeping() {
	n=150
	while [ "$n" -gt 0 ]; do
		st=$(ls -t "$SANDBOX"/demo/log/biso-recover-*.status 2>/dev/null | head -n 1)
		rpid=$([ -n "$st" ] && sed -n 's/^pid=//p' "$st")
		if [ -n "$rpid" ] && pgrep -P "$rpid" -x sleep >/dev/null; then
			return 0
		fi
		sleep 0.2
		n=$((n - 1))
	done
	fail "[$1] the runner's step did not start its stop command"
}
for sig in HUP TERM; do
	start_cmd "sig$sig" restore --yes --config "'$SANDBOX/slow.conf'" --only webroot
	runner_sleeping "sig$sig"
	pid=$(pid_in_pane)
	log=$(newest_log)
	kill -$sig "$pid"
	wait_exit "sig$sig" 130 30
	if [ $sig = HUP ]; then
		sleep 1
		kill -0 "$rpid" 2>/dev/null && pgrep -P "$rpid" -x sleep >/dev/null ||
			{ cat "$log"; fail "[sigHUP] the client's hang-up stopped the run"; }
		! grep -q "hung up" "$log" || { cat "$log"; fail "[sigHUP] the run took the client's hang-up"; }
		echo "[sigHUP] passed: the client's hang-up leaves the run going"
		kill -TERM "$rpid"
		n=150
		while [ "$n" -gt 0 ] && kill -0 "$rpid" 2>/dev/null; do sleep 0.2; n=$((n - 1)); done
		[ "$n" -gt 0 ] || fail "[sigHUP] the runner did not end after SIGTERM"
	fi
	want="stopped by SIGTERM"
	grep -Eq "step webroot failed: .*sleep aborted: $want" "$log" && grep -Eq "the run ended early: $want" "$log" ||
		{ cat "$log"; fail "[sig$sig] the log does not say $want"; }
	! grep -q "by the operator" "$log" || { cat "$log"; fail "[sig$sig] the log blames the operator"; }
	text_has "$(tail -n 1 "$log")" -E "aborted \(exit 130\): $want$" ||
		{ tail -n 1 "$log"; fail "[sig$sig] the log's last line is not \"aborted (exit 130): $want\""; }
	[ -d "$SANDBOX/demo/prod/webroot" ] || fail "[sig$sig] the webroot is gone"
	echo "[sig$sig] passed: $(grep -E -m1 "the run ended early: $want" "$log")"
done
start_cmd wizhup "wizard restore --again --config '$SANDBOX/slow.conf'"
wait_for "Enter run this step" 30 "the first step"
keys Enter
wait_for "Run it now\?" 10 "the webroot confirmation"
keys y
runner_sleeping wizhup
pid=$(pid_in_pane)
log=$(newest_log)
$TMUX_CMD kill-session -t wiz
n=150
while [ "$n" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do sleep 0.2; n=$((n - 1)); done
[ "$n" -gt 0 ] || fail "[wizhup] the wizard did not end after its terminal hung up"
sleep 1
kill -0 "$rpid" 2>/dev/null && pgrep -P "$rpid" -x sleep >/dev/null ||
	{ cat "$log"; fail "[wizhup] the wizard's hang-up stopped the run"; }
grep -q "runner: the controlling client left" "$log" ||
	{ cat "$log"; fail "[wizhup] the log does not say the wizard left"; }
! grep -q "by the operator" "$log" || { cat "$log"; fail "[wizhup] the log blames the operator"; }
kill -TERM "$rpid"
n=150
while [ "$n" -gt 0 ] && kill -0 "$rpid" 2>/dev/null; do sleep 0.2; n=$((n - 1)); done
[ "$n" -gt 0 ] || fail "[wizhup] the runner did not end after SIGTERM"
echo "[wizhup] passed: a killed tmux session ends the wizard only; the run goes on"

# Warnings logged before the wizard takes the screen (here: an earlier run
# that stopped around a swap, found in the journal) are on its first
# screen until a key, and stay in its log pane.
printf 'begin\t20000101_000000\tfiles\t%s\t%s\t%s\n' "$SANDBOX/demo/prod/webroot" \
	"$SANDBOX/demo/prod/webroot.pre-restore-20000101_000000" "$SANDBOX/demo/prod/webroot.restoring" \
	>> "$SANDBOX/demo/log/journal"
start_wizard early
wait_for "Before you start: 1 warning" 30 "the warnings before the wizard"
shows "the run of 20000101_000000 stopped around its swap of" || fail "[early] the warning is not shown"
shows "any key go on" || fail "[early] the warnings have no way on"
keys x
wait_for "Enter run this step" 10 "the first step after the warnings"
shows "WARN the run of 20000101_000000 stopped" || fail "[early] the warning is not in the log pane"
keys q
wait_for "Quit the wizard\?" 10 "the quit question"
keys y
wait_for "stopped before any step: nothing was changed - exit code 130" 10 "the summary"
keys q
wait_exit early 130
echo "[early] passed: a warning from before the wizard is on its first screen and in its log"

# The same in German: the log pane's level label is German too (WARNUNG,
# as verify's report says it); the run log keeps the English WARN.
printf 'begin\t20000101_000000\tfiles\t%s\t%s\t%s\n' "$SANDBOX/demo/prod/webroot" \
	"$SANDBOX/demo/prod/webroot.pre-restore-20000101_000000" "$SANDBOX/demo/prod/webroot.restoring" \
	>> "$SANDBOX/demo/log/journal"
lang_de
start_wizard early-de LANG=de_CH.UTF-8 LC_ALL= LC_MESSAGES= LANGUAGE= "BISO_RECOVER_LOCALEDIR='$SANDBOX/locale'"
wait_for "Vor dem Start: 1 Warnung" 30 "the German warnings before the wizard"
keys x
wait_for "$T_PROMPT" 10 "the first step after the German warnings"
shows "WARNUNG der Lauf von 20000101_000000 endete" ||
	fail "[early-de] the log pane's level is not German"
! shows "WARN der Lauf" || fail "[early-de] the log pane shows the English level WARN"
keys q
wait_for "Assistent beenden\?" 10 "the German quit question"
keys y
# (the summary's headline, which may wrap before its exit code: "Exit-Code
# 130" alone is also in the quit dialog, and q went to it)
wait_for "vor dem ersten Schritt angehalten: nichts wurde geändert -( Exit-Code 130)?$" 10 "the German summary"
keys q
wait_exit early-de 130
log=$(ls -t "$SANDBOX"/demo/log/biso-recover-*.log | head -n 1)
grep -q "WARN  the run of 20000101_000000 stopped around its swap" "$log" ||
	{ cat "$log"; fail "[early-de] the run log lacks the English WARN line"; }
lang_en
echo "[early-de] passed: the log pane's level in German, the run log's English"

# The newest dump cut off (the 3 a.m. case): the wizard opens anyway, warns
# on its first screen, marks the dump in the backup list and offers the
# newest complete one, naming how much older it is; the database then
# equals that dump.  Line mode refuses, naming the --dump and --at values
# that would work.
good=$(ls "$SANDBOX"/demo/backups/db/biso_*.sql.gz | sort | tail -n 1)
gstamp=$(basename "$good" .sql.gz); gstamp=${gstamp#biso_}
cstamp=$(date -d "$(echo "$gstamp" | sed 's/^\(....\)\(..\)\(..\)_\(..\)\(..\)\(..\)$/\1-\2-\3 \4:\5:\6/') 26 hours" +%Y%m%d_%H%M%S)
cut="$SANDBOX/demo/backups/db/biso_$cstamp.sql.gz"
gunzip -c "$good" | head -n 200 | gzip > "$cut"
"$BISO_RECOVER" restore --yes --again --config "$CONF" --only database > "$SANDBOX/cut-line.log" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "biso_$cstamp.sql.gz has no \"dump complete\" trailer" "$SANDBOX/cut-line.log" &&
	grep -q "The newest complete dump is $good, 1 day 2 hours older: give --dump $good (the database only), or --at $gstamp" "$SANDBOX/cut-line.log" ||
	{ cat "$SANDBOX/cut-line.log"; fail "[cut] line mode: exit $rc, or the working --dump/--at not named"; }
echo "[cut] line mode refuses and names --dump $good or --at $gstamp"
# cut inside the gzip stream: the error names no file, the warning must
mv "$cut" "$SANDBOX/cut.keep"
head -c 40000 "$good" > "$cut"
"$BISO_RECOVER" restore --yes --again --config "$CONF" --only database > "$SANDBOX/cutgz-line.log" 2>&1
grep -q "biso_$cstamp.sql.gz:[0-9]* (byte 40000): gzip stream is truncated" "$SANDBOX/cutgz-line.log" ||
	{ cat "$SANDBOX/cutgz-line.log"; fail "[cutgz] line mode does not name the cut dump"; }
start_wizard cutgz
wait_for "Before you start: 1 warning" 60 "the warning about the cut dump"
shows "biso_$cstamp.sql.gz is cut at byte 40000: gzip stream is" ||
	fail "[cutgz] the warning does not name the cut dump"
keys x
wait_for "Enter run this step" 10 "the first step"
keys q
wait_for "Quit the wizard\\?" 10 "the quit question"
keys y
wait_for "stopped before any step: nothing was changed - exit code 130" 10 "the summary"
keys q
wait_exit cutgz 130
mv "$SANDBOX/cut.keep" "$cut"
echo "[cutgz] the first screen names the dump cut inside its gzip stream"
# the German backup list marks the cut dump in German (it said "CUT OFF"),
# its row whole in the dialog at 80 columns
lang_de
start_wizard cut-de LANG=de_CH.UTF-8 LC_ALL= LC_MESSAGES= LANGUAGE= "BISO_RECOVER_LOCALEDIR='$SANDBOX/locale'"
wait_for "Vor dem Start: 1 Warnung" 60 "[cut-de] the German warning about the cut dump"
keys x
for step in 1 2 3; do
	wait_for "Schritt $step von 6" 30 "[cut-de] step $step"
	wait_for "Enter ausführen" 10 "[cut-de] the prompt of step $step"
	keys s
done
wait_for "Schritt 4 von 6" 30 "[cut-de] the database step"
wait_for "anderen Dump wählen" 10 "[cut-de] the database step offering another dump"
keys Enter
wait_for "Sicherung für Schritt database" 10 "[cut-de] the backup dialog"
shows "biso_$cstamp.sql.gz  GEKÜRZT" || failscreen "[cut-de] the German backup list does not mark the cut dump GEKÜRZT"
! shows "CUT OFF" || failscreen "[cut-de] the German backup list says CUT OFF"
keys Escape
sleep 0.5
keys q
wait_for "Assistent beenden\?" 10 "[cut-de] the German quit question"
keys y
wait_for "Exit-Code 130" 10 "[cut-de] the summary"
sleep 0.5
keys q
wait_exit cut-de 130
lang_en
echo "[cut-de] the German backup list marks the cut dump GEKÜRZT"
# a newest dump that is whole but cannot be used (a cluster dump, its
# \connect lines would restore into other databases): the German list
# marks it UNGÜLTIG (it said UNLESBAR, unreadable, which it is not)
mv "$cut" "$SANDBOX/cut.keep"
{ printf '%s\n' '\connect biso'; gunzip -c "$good"; } | gzip > "$cut"
lang_de
start_wizard unusable-de LANG=de_CH.UTF-8 LC_ALL= LC_MESSAGES= LANGUAGE= "BISO_RECOVER_LOCALEDIR='$SANDBOX/locale'"
wait_for "Vor dem Start: 1 Warnung" 60 "[unusable-de] the German warning about the cluster dump"
keys x
for step in 1 2 3; do
	wait_for "Schritt $step von 6" 30 "[unusable-de] step $step"
	wait_for "Enter ausführen" 10 "[unusable-de] the prompt of step $step"
	keys s
done
wait_for "Schritt 4 von 6" 30 "[unusable-de] the database step"
wait_for "anderen Dump wählen" 10 "[unusable-de] the database step offering another dump"
keys Enter
wait_for "Sicherung für Schritt database" 10 "[unusable-de] the backup dialog"
shows "biso_$cstamp.sql.gz  UNGÜLTIG" ||
	failscreen "[unusable-de] the German backup list does not mark the cluster dump UNGÜLTIG"
! shows "UNLESBAR|UNUSABLE" || failscreen "[unusable-de] the German backup list says UNLESBAR or UNUSABLE"
keys Escape
sleep 0.5
keys q
wait_for "Assistent beenden\?" 10 "[unusable-de] the German quit question"
keys y
wait_for "Exit-Code 130" 10 "[unusable-de] the summary"
sleep 0.5
keys q
wait_exit unusable-de 130
lang_en
mv "$SANDBOX/cut.keep" "$cut"
echo "[unusable-de] the German backup list marks the unusable dump UNGÜLTIG"
start_wizard cut
wait_for "Before you start: 1 warning" 60 "the warning about the cut dump"
shows "it was cut off" && shows "1 day 2 hours older" || fail "[cut] the warning does not name the cut and how much older"
keys x
for step in 1 2 3; do
	wait_for "Step $step of 6" 30 "step $step"
	wait_for "Enter run this step" 10 "the prompt of step $step"
	keys s
done
wait_for "Step 4 of 6" 30 "the database step"
wait_for "Enter/o choose another dump" 10 "the database step offering another dump"
keys Enter
wait_for "Backup for step database" 10 "the backup dialog"
shows "biso_$cstamp.sql.gz  CUT OFF" || fail "[cut] the backup list does not mark the cut dump"
keys Enter
wait_for "Enter run this step" 60 "the step screen after choosing the complete dump"
keys Enter
wait_for "Type $DBNAME to continue" 10 "the confirmation"
shows "1 day 2 hours older than" || fail "[cut] the confirmation does not say how much older the dump is"
type_text "$DBNAME"
keys Enter
wait_for "Step 5 of 6" 300 "the migrations step after the database"
keys s
wait_for "Step 6 of 6" 30 "the verify step"
keys s
wait_for "Restore finished" 10 "the summary"
keys q
wait_exit cut 0
grep -q "step database: the operator chose $good instead of $cut" "$(newest_log)" ||
	fail "[cut] the run log does not record the chosen dump"
(
	. "$SANDBOX/demo/env.sh"
	psql -X -q -c "CREATE DATABASE cut_ref OWNER biso TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'de_CH.utf8' LC_CTYPE 'de_CH.utf8'" &&
	gunzip -c "$good" | psql -X -q -v ON_ERROR_STOP=1 -U biso -d cut_ref > /dev/null 2>&1 &&
	[ "$(pg_dump --no-owner -d cut_ref | grep -v '^\\\(un\)\{0,1\}restrict ')" = \
	  "$(pg_dump --no-owner -d "$DBNAME" | grep -v '^\\\(un\)\{0,1\}restrict ')" ]
) || fail "[cut] the database does not equal psql's restore of $good"
rm -f "$cut"
echo "[cut] passed: the wizard opens on a cut newest dump, marks it and restores the newest complete one"

# A password given in --dbname is not in the process's argument vector
# (ps, /proc/PID/cmdline) while the run waits at a question, in the
# key=value form (line mode) and the URI form (the wizard); nor in the log.
pghost=$(. "$SANDBOX/demo/env.sh"; echo "$PGHOST")
pgport=$(. "$SANDBOX/demo/env.sh"; echo "$PGPORT")
# cmdline_ok LABEL: the password is not in the process's cmdline, the mask is
cmdline_ok() {
	pid=$(pid_in_pane)
	[ -n "$pid" ] || fail "[$1] cannot find biso-recover's process"
	args=$(tr '\0' ' ' < "/proc/$pid/cmdline")
	case $args in
	*s3cretpw*) fail "[$1] the password is in /proc/$pid/cmdline: $args" ;;
	*xxxxxxxx*) ;;
	*) fail "[$1] the conninfo is gone from /proc/$pid/cmdline: $args" ;;
	esac
	echo "[$1] /proc/$pid/cmdline: $args"
}
start_cmd pw restore --config "'$CONF'" --only database \
	--dbname "'host=$pghost port=$pgport dbname=$DBNAME user=biso password=s3cretpw'"
wait_for "Type the database name \($DBNAME\) to go on:" 60 "the question before the database step"
cmdline_ok pw
type_text "no"
keys Enter
wait_exit pw 130
! grep -q s3cretpw "$(newest_log)" || fail "[pw] the password is in the run log"
start_cmd pwwiz wizard restore --again --config "'$CONF'" --dbname "'postgresql://biso:s3cretpw@/$DBNAME?host=$pghost&port=$pgport'"
wait_for "Enter run this step" 60 "the first step"
cmdline_ok pwwiz
keys q
wait_for "Quit the wizard\?" 10 "the quit question"
keys y
wait_for "stopped before any step: nothing was changed - exit code 130" 10 "the summary"
keys q
wait_exit pwwiz 130
echo "[pw] passed: the password of --dbname is overwritten in argv"

# Kept copies pile up: after the restores above, the preflight lists each
# with its age and size (du's), and cleanup removes the chosen ones after
# a typed yes, never the newest of each kind.
psql_demo() { (. "$SANDBOX/demo/env.sh"; psql -X -Atc "$1"); }
kept_dbs() { psql_demo "SELECT datname FROM pg_database WHERE datname LIKE '${DBNAME}\\_pre\\_restore\\_%' ORDER BY 1"; }
ls -d "$SANDBOX"/demo/prod/webroot.pre-restore-* | sort > "$SANDBOX/kept-dirs"
kept_dbs > "$SANDBOX/kept-dbs"
[ "$(wc -l < "$SANDBOX/kept-dirs")" -ge 2 ] && [ "$(wc -l < "$SANDBOX/kept-dbs")" -ge 2 ] ||
	fail "[kept] the restores above did not keep two copies each"
"$BISO_RECOVER" restore --dry-run --config "$CONF" > "$SANDBOX/kept-plan.log" 2>&1 ||
	{ cat "$SANDBOX/kept-plan.log"; fail "[kept] --dry-run failed"; }
while read -r d; do
	# du's bytes written as biso-recover writes sizes (B, KiB, MiB ...)
	size=$(du -sB1 "$d" | awk '{ v = $1; u = 0; while (v >= 1024 && u < 4) { v /= 1024; u++ }
		split("B KiB MiB GiB TiB", n, " "); if (u) printf "%.1f %s", v, n[u + 1]; else printf "%d B", v }')
	grep -q "kept copy of the webroot: $d (.* old, $size)" "$SANDBOX/kept-plan.log" ||
		{ cat "$SANDBOX/kept-plan.log"; fail "[kept] the preflight does not list $d with du's $size"; }
done < "$SANDBOX/kept-dirs"
while read -r db; do
	grep -q "kept copy of the database $DBNAME: database \"$db\"" "$SANDBOX/kept-plan.log" ||
		{ cat "$SANDBOX/kept-plan.log"; fail "[kept] the preflight does not list database $db"; }
done < "$SANDBOX/kept-dbs"
newest_dir=$(tail -n 1 "$SANDBOX/kept-dirs")
newest_db=$(tail -n 1 "$SANDBOX/kept-dbs")
"$BISO_RECOVER" cleanup --yes --config "$CONF" "$newest_dir" > "$SANDBOX/kept-newest.log" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "is the newest copy of the webroot: it is kept" "$SANDBOX/kept-newest.log" ||
	{ cat "$SANDBOX/kept-newest.log"; fail "[kept] cleanup of the newest copy: exit $rc, expected 2"; }
"$BISO_RECOVER" cleanup --dry-run --config "$CONF" all > "$SANDBOX/kept-dry.log" 2>&1 ||
	{ cat "$SANDBOX/kept-dry.log"; fail "[kept] cleanup --dry-run all failed"; }
[ "$(ls -d "$SANDBOX"/demo/prod/webroot.pre-restore-* | sort)" = "$(cat "$SANDBOX/kept-dirs")" ] &&
	[ "$(kept_dbs)" = "$(cat "$SANDBOX/kept-dbs")" ] || fail "[kept] cleanup --dry-run removed something"
start_cmd cleanup cleanup --config "'$CONF'"
wait_for "Remove which\?" 60 "cleanup's question"
shows "\(newest: kept\)" || fail "[kept] cleanup does not mark the newest copies"
type_text "all"
keys Enter
wait_for "Type yes to remove them:" 10 "cleanup's confirmation"
type_text "yes"
keys Enter
wait_exit cleanup 0 120
[ "$(ls -d "$SANDBOX"/demo/prod/webroot.pre-restore-*)" = "$newest_dir" ] ||
	fail "[kept] cleanup left: $(ls -d "$SANDBOX"/demo/prod/webroot.pre-restore-*), expected only $newest_dir"
[ "$(kept_dbs)" = "$newest_db" ] || fail "[kept] cleanup left the databases $(kept_dbs), expected only $newest_db"
grep -q "removed the kept copy database \"$(head -n 1 "$SANDBOX/kept-dbs")\"" "$(newest_log)" ||
	fail "[kept] the run log does not record the removals"
echo "[kept] passed: the preflight lists the kept copies with du's sizes; cleanup removed all but $newest_dir and $newest_db"

# the first restore was kept as pre-restore by the second
ls -d "$SANDBOX"/demo/prod/webroot.pre-restore-* >/dev/null 2>&1 ||
	fail "no webroot.pre-restore-* beside the restored webroot"
echo "PASS: wizard walked all six steps twice (colour 80x24 with resize, vt100 ASCII), quit and SIGHUP give 130, another dump chosen with o"
exit 0
