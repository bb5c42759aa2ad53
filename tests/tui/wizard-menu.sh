#!/bin/bash
# wizard-menu.sh: the wizard's first screen (`biso-recover` with no command)
# in an 80x24 tmux pane with TERM=vt100 NO_COLOR=1, on the demo instance
# and its test instance:
#   menu:     the four choices with their explanations and the key line fit
#             the screen; q quits with exit 0, nothing run;
#   backup:   asked once before the start (Enter starts all steps, no skip):
#             quit there, nothing ran; Take a backup -> the backup flow's six steps in the wizard's run
#             screens -> "Backup finished: all 6 steps done"; m on its
#             summary: the first screen again, a restore from there (quit
#             at its first step: exit 130, the last flow's); a new complete
#             backup exists and `backup-verify` accepts it (exit 0);
#   refresh:  (the test instance's configuration) Refresh a test system -> the
#             attachments question with its explanation; with env PROD in
#             the target's config.php the first screen says so (the env in
#             its title) and 2 shows the refusal (reason, hint) in a dialog
#             before the attachments question, then the first screen again
#             (biso-cli never ran, the test database unchanged); from
#             production's configuration the dialog names the test
#             system's (--config .../refresh-test.conf);
#             copy: the datadir step wants copy typed (quit there); placeholder:
#             the refresh runs to its summary and every attachment of the test
#             datadir is a placeholder (same paths, none of production's bytes);
#   chooser:  the restore wizard's backup chooser (o) lists the new backup with
#             its time, size (a snapshot directory's from its manifest) and
#             verified state: unverified, verified after backup-verify; the
#             demo's backups without a manifest show none;
#   practise: the scenarios of `drill --list` with their titles; Enter on the
#             first starts it as `biso-recover drill` does (sandbox, story,
#             task); q ends it with the debrief.
# Skips (77) without tmux, php, rsync, a PostgreSQL server or root.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
command -v tmux >/dev/null 2>&1 || skip "tmux is not installed"
demo_test_setup wizmenu "chown of the datadir to www-data, runuser postgres"
CONF=$DEMO_CONFIG
TCONF=$DEMO_TEST_CONFIG
TMUX_CMD="tmux -L biso-wizmenu-$$ -f /dev/null"
trap '$TMUX_CMD kill-server >/dev/null 2>&1; [ -d "$T/drill" ] && "$top_srcdir/share/demo/stop.sh" "$T/drill" >/dev/null 2>&1; demo_test_cleanup' EXIT
. "$top_srcdir/tests/lib/tmux.sh" # cap, shows, shows_text, failscreen, wait_for, keys on the session wiz

# start LABEL CONFIG [ARGS...]: biso-recover with no command in a new
# 80x24 vt100 pane; its exit code goes to $T/exit-LABEL.
start() {
	local label=$1 conf=$2
	shift 2
	rm -f "$T/exit-$label"
	$TMUX_CMD kill-server >/dev/null 2>&1 && sleep 0.5
	$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
		"env TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 '$BISO_RECOVER' --config '$conf' $*; echo \$? >'$T/exit-$label'; sleep 600" ||
		fail "tmux new-session failed"
	wait_for "What do you want to do\\?" 30 "[$label] the first screen"
}
ended() { # LABEL CODE
	local n=150
	while [ ! -s "$T/exit-$1" ] && [ "$n" -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
	cap
	[ -s "$T/exit-$1" ] || failscreen "[$1] biso-recover did not exit"
	[ "$(cat "$T/exit-$1")" = "$2" ] || failscreen "[$1] exit code $(cat "$T/exit-$1"), expected $2"
}

# walk LABEL END: through a flow's run screens until END shows: Enter on
# each step, y or the typed word on a confirmation; a failed step fails.
walk() {
	local label=$1 end=$2 head word n=0
	while :; do
		wait_for "Enter (run this step|start all steps)|Type [^ ]+ to continue|y yes, run it|$end|Step [a-z-]+ failed" 300 \
			"[$label] a step, a confirmation or the end"
		shows "$end" && return 0
		shows "Step [a-z-]+ failed" && failscreen "[$label] a step failed"
		n=$((n + 1))
		[ "$n" -lt 40 ] || failscreen "[$label] no end after 40 screens"
		if shows "Type [^ ]+ to continue"; then
			word=$(printf '%s\n' "$last_screen" | sed -n 's/.*Type \([^ ]*\) to continue.*/\1/p' | head -1)
			$TMUX_CMD send-keys -t wiz -l "$word"
			keys Enter
			sleep 0.5
		elif shows "y yes, run it"; then
			keys y
			sleep 0.5
		else
			head=$(printf '%s\n' "$last_screen" | grep -Eo 'Step [0-9]+ of [0-9]+' | head -1)
			keys Enter
			# the step screen left (running, a confirmation, the next step)
			local m=300
			while [ "$m" -gt 0 ]; do
				cap
				{ shows "$head" && shows "Enter (run this step|start all steps)"; } || break
				sleep 0.2
				m=$((m - 1))
			done
		fi
	done
}

# ---- the first screen ----------------------------------------------------
start menu "$CONF"
for t in "> 1  Restore this instance" "2  Refresh a test system" "3  Take a backup" \
	"4  Practise \\(drill\\)" "in the manual's order; the old parts are kept" \
	"Practise a recovery on a sandbox"; do
	shows "$t" || failscreen "[menu] the first screen does not show /$t/"
done
[ "$(printf '%s\n' "$last_screen" | sed -n 24p)" = "Up/Down choose  Enter start  1-4 start that one  q quit" ] ||
	failscreen "[menu] the key line is not on the last row"
# each choice: a title and two lines of explanation, nothing cut at the edge
[ "$(printf '%s\n' "$last_screen" | grep -c '^      [A-Za-z(]')" = 8 ] ||
	failscreen "[menu] not two lines of explanation under each of the four choices"
keys Down Down
wait_for "> 3  Take a backup" 5 "[menu] Down moving the choice"
keys q
ended menu 0
echo "ok: the first screen at 80x24 on vt100 without colour: four choices, two lines each, q quits (exit 0)"

# ---- backup --------------------------------------------------------------
ls "$DEMO_BACKUP_ROOT/manifest" 2>/dev/null && fail "the demo backup set has manifests already"
# asked once, before the start (nothing destructive): quit there, nothing done
start backup-quit "$CONF"
keys 3
wait_for "Step 1 of 6: Switch maintenance mode on" 30 "[backup-quit] the backup's first step"
shows "Enter start all steps  q quit" || failscreen "[backup-quit] the key line does not offer to start all steps"
shows " s skip" && failscreen "[backup-quit] the start offers to skip a step"
keys q
wait_for "Quit the wizard\\?" 5 "[backup-quit] the quit question"
keys y
wait_for "Backup stopped before any step: nothing was changed - exit code 130" 10 "[backup-quit] the summary"
keys q
ended backup-quit 130
[ ! -e "$DEMO_DATADIR/maintenance.on" ] || fail "[backup-quit] maintenance mode is on"
ls "$DEMO_BACKUP_ROOT/manifest" 2>/dev/null && fail "[backup-quit] a backup was published"
ls -d "$DEMO_BACKUP_ROOT"/*/*.partial 2>/dev/null && fail "[backup-quit] a .partial is left"
echo "ok: the backup wizard asks once, before the start; quit there, nothing ran"
start backup "$CONF"
keys 3
wait_for "Step 1 of 6: Switch maintenance mode on" 30 "[backup] the backup's first step"
walk backup "Backup finished: all 6 steps done - exit code 0"
echo "[backup] summary:"
printf '%s\n' "$last_screen" | sed -n '2,12p'
# m: the first screen again, and from there a restore (quit at its first
# step); q there ends the program with the last flow's exit code
text_has "$(printf '%s\n' "$last_screen" | sed -n 24p)" "^m first screen  q exit" ||
	failscreen "[backup] the summary's key line does not offer the first screen"
keys m
wait_for "What do you want to do\\?" 10 "[backup] the first screen after the summary"
[ -s "$T/exit-backup" ] && failscreen "[backup] biso-recover exited on m"
keys 1
wait_for "Step 1 of 6: Restore the webroot" 60 "[backup] the restore from the first screen again"
keys q
wait_for "Quit the wizard\\?" 5 "[backup] the restore's quit question"
keys y
wait_for "Restore stopped before any step: nothing was changed - exit code 130" 10 "[backup] the restore's summary"
keys q
ended backup 130
id=$(ls "$DEMO_BACKUP_ROOT/manifest")
[ "$(echo "$id" | wc -l)" = 1 ] || fail "[backup] not exactly one new backup: $id"
[ -s "$DEMO_BACKUP_ROOT/db/biso_$id.sql.gz" ] && [ -d "$DEMO_BACKUP_ROOT/data/$id" ] &&
	[ -d "$DEMO_BACKUP_ROOT/webroot/$id" ] || fail "[backup] backup $id is not complete"
ls -d "$DEMO_BACKUP_ROOT"/*/*.partial 2>/dev/null && fail "[backup] a .partial is left"
# pick_check LABEL STEP NAME STATE SIZE: the restore wizard on STEP alone,
# o: the backup chooser shows NAME with its time (from its id), SIZE and
# STATE; a backup without a manifest (the demo's own) shows no state
human() { awk '{ v = $1; u = 0; while (v >= 1024 && u < 4) { v /= 1024; u++ }
	split("B KiB MiB GiB TiB", n, " "); if (u) printf "%.1f %s", v, n[u + 1]; else printf "%d B", v }'; }
pick_check() {
	local label=$1 step=$2 name=$3 state=$4 size=$5 when line
	rm -f "$T/exit-$label"
	$TMUX_CMD kill-server >/dev/null 2>&1 && sleep 0.5
	$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
		"env TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 '$BISO_RECOVER' --config '$CONF' wizard restore --only $step; echo \$? >'$T/exit-$label'; sleep 600" ||
		fail "tmux new-session failed"
	wait_for "Enter run this step" 60 "[$label] the $step step"
	keys o
	wait_for "Backup for step $step" 10 "[$label] the backup chooser"
	# the dialog's frame is drawn before its lines: wait for the item too
	wait_for " $name" 10 "[$label] $name in the chooser"
	when=$(echo "$id" | sed 's/^\(....\)\(..\)\(..\)_\(..\)\(..\).*/\1-\2-\3 \4:\5/')
	line=$(printf '%s\n' "$last_screen" | grep -F " $name") || failscreen "[$label] $name is not in the chooser"
	text_has "$line" -E -- "$when +$size $state +$name" ||
		failscreen "[$label] the chooser's line is not '$when $size $state $name': $line"
	if [ "$step" = database ]; then
		text_has "$last_screen" -F " $(basename "$DEMO_DUMP")" ||
			failscreen "[$label] the demo's own dump is not in the chooser"
		! text_has "$(printf '%s\n' "$last_screen" | grep -F " $(basename "$DEMO_DUMP")")" -E 'verified|DAMAGED' ||
			failscreen "[$label] the demo's dump (no manifest) shows a verified state"
	fi
	echo "[$label] $line"
	keys Escape
	wait_for "Enter run this step" 5 "[$label] back on the step"
	keys q
	wait_for "Quit the wizard\\?" 5 "[$label] the quit question"
	keys y
	wait_for "stopped before any step: nothing was changed - exit code 130" 10 "[$label] the summary"
	keys q
	ended "$label" 130
}
dump_size=$(stat -c %s "$DEMO_BACKUP_ROOT/db/biso_$id.sql.gz" | human)
pick_check pick-db database "biso_$id.sql.gz" unverified "$dump_size"
"$BISO_RECOVER" backup-verify --config "$CONF" "$id" > "$T/verify.log" 2>&1 ||
	{ cat "$T/verify.log"; fail "[backup] backup-verify refuses backup $id"; }
grep -q "^ok: " "$T/verify.log" || { cat "$T/verify.log"; fail "[backup] backup-verify said no ok"; }
echo "ok: Take a backup ran the backup's six steps in the wizard; backup $id is complete and backup-verify accepts it"
# a second backup (line mode), so that the datadir step has two to choose
"$BISO_RECOVER" backup --config "$CONF" > "$T/backup2.log" 2>&1 || { cat "$T/backup2.log"; fail "backup 2 failed"; }
id2=$(ls "$DEMO_BACKUP_ROOT/manifest" | tail -n 1)
[ "$id2" != "$id" ] || fail "no second backup"
# the manifest counts the snapshot's bytes (a directory has no size of its own)
data_size=$(sed -n 's/^part datadir [0-9]* \([0-9]*\) .*/\1/p' "$DEMO_BACKUP_ROOT/manifest/$id/MANIFEST" | human)
[ "$data_size" = "$(find "$DEMO_BACKUP_ROOT/data/$id" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }' | human)" ] ||
	fail "the manifest's datadir bytes ($data_size) are not the snapshot's"
pick_check pick-data datadir "$id" verified "$data_size"
pick_check pick-db2 database "biso_$id.sql.gz" verified "$dump_size"
echo "ok: the backup chooser shows each backup's time, size and verified state (unverified, then verified after backup-verify)"

# ---- refresh -------------------------------------------------------------
TW=$DEMO_TEST_WEBROOT
TD=$DEMO_TEST_DATADIR
CALLS=$TW/biso-cli.calls
db_state() { pg_dump --no-owner --no-privileges -d "$1" | grep -v '^\\\(un\)\?restrict ' | sha256sum; }

# env PROD: the refresh's guard on the first screen, before the attachments
# question: a dialog with the reason and its hint, then the first screen
# again (it asked the attachments, then the wizard ended with exit 2)
cp -p "$TW/config.php" "$T/config.php.dev"
sed -i "s/^Config::set('env', 'dev');/Config::set('env', 'PROD');/" "$TW/config.php"
grep -q "^Config::set('env', 'PROD');" "$TW/config.php" || fail "could not set env PROD"
: > "$CALLS"
db0=$(db_state biso_test)
start prod "$TCONF"
shows "^ biso-recover  env PROD  webroot " || failscreen "[prod] the title does not show the instance's env"
shows "2  Refresh a test system \(not this instance: env PROD\)" ||
	failscreen "[prod] the first screen does not say the refresh is not for this instance"
keys 2
wait_for "Refresh a test system: not this instance" 5 "[prod] the refusal's dialog"
shows "the attachments" && failscreen "[prod] the attachments question came"
shows_text "says env 'PROD'," || failscreen "[prod] the dialog gives no reason"
shows "HINT: Refresh only a test system" || failscreen "[prod] the dialog gives no hint"
[ "$(printf '%s\n' "$last_screen" | sed -n 24p | sed 's/ *$//')" = "any key back" ] ||
	failscreen "[prod] the dialog's key line"
keys x
wait_for "What do you want to do\\?" 5 "[prod] the first screen again"
shows "Refresh a test system: not this instance" && failscreen "[prod] the dialog stayed"
keys q
ended prod 0
[ ! -s "$CALLS" ] || { cat "$CALLS"; fail "[prod] biso-cli ran"; }
[ "$(db_state biso_test)" = "$db0" ] || fail "[prod] the test database changed"
cp -p "$T/config.php.dev" "$TW/config.php"
# production's configuration: the dialog names the test system's beside it
start prodconf "$CONF"
keys 2
wait_for "Refresh a test system: not this instance" 5 "[prodconf] the refusal's dialog"
shows_text "biso-recover --config $(realpath "$TCONF")" ||
	failscreen "[prodconf] the dialog does not name the test system's configuration"
keys x
keys q
ended prodconf 0
echo "ok: Refresh a test system on an instance saying env PROD is refused on the first screen (the env shown, a dialog with the reason, the hint and the test system's configuration), back to it; nothing touched"

# copy: the typed acknowledgement before the datadir step
start copy "$TCONF"
shows "^ biso-recover  env dev  webroot " || failscreen "[copy] the title does not show the instance's env"
keys 2
wait_for "the attachments" 5 "[copy] the attachments question"
for t in "> 1  placeholder: a placeholder file for each attachment" "2  skip: no attachments" \
	"3  copy: the real attachments \\(personal data\\)" "are personal files" \
	"you type copy to acknowledge"; do
	shows "$t" || failscreen "[copy] the attachments question does not show /$t/"
done
keys 3
wait_for "Step 1 of [0-9]+: Maintenance mode on" 30 "[copy] the refresh's first step"
walk copy "Confirm: Replace the test datadir"
shows "Type copy" || failscreen "[copy] the datadir step does not want copy typed"
shows "real personal files reach" || failscreen "[copy] the confirmation does not say what copy means"
keys Escape
wait_for "Enter run this step" 5 "[copy] back on the step"
keys q
wait_for "Quit the wizard\\?" 5 "[copy] the quit question"
keys y
wait_for "ABORTED by the operator" 10 "[copy] the aborted summary"
keys q
ended copy 130
echo "ok: with copy the datadir step waits for copy typed (quit there, exit 130)"

# placeholder: the whole refresh
start placeholder "$TCONF"
keys 2
wait_for "the attachments" 5 "[placeholder] the attachments question"
keys Enter
wait_for "Step 1 of [0-9]+: Maintenance mode on" 30 "[placeholder] the refresh's first step"
walk placeholder "Test system refresh finished.* exit code 0"
# its headline counts the warnings, the check's is in sight (no scrolling);
# after q the printed summary says that maintenance mode is off again
shows "Test system refresh finished with [0-9]+ warnings: 5 done, 1 skipped - exit code 0" ||
	failscreen "[placeholder] the headline does not count the warnings"
shows "^ warning: check: [0-9]+ rows in 5 tables without a threshold still hold" ||
	failscreen "[placeholder] the check's warning is not in sight"
keys q
ended placeholder 0
shows "^maintenance mode: off again" ||
	failscreen "[placeholder] the summary does not say that maintenance mode is off again"
# production's datadir as the refresh took it: the newest snapshot
PD=$DEMO_BACKUP_ROOT/data/$id2
(cd "$PD/attachments" && find . -type f | LC_ALL=C sort) > "$T/att.prod"
(cd "$TD/attachments" && find . -type f | LC_ALL=C sort) > "$T/att.test"
[ -s "$T/att.prod" ] || fail "the demo has no attachments"
diff "$T/att.prod" "$T/att.test" || fail "[placeholder] not the same attachment paths"
while read -r f; do
	grep -q '^PLACEHOLDER$' "$TD/attachments/$f" || fail "[placeholder] $f is no placeholder"
	! cmp -s "$TD/attachments/$f" "$PD/attachments/$f" || fail "[placeholder] $f is production's"
done < "$T/att.test"
echo "ok: Refresh a test system with placeholder ran to its summary; every attachment is a placeholder"

# ---- practise ------------------------------------------------------------
# the scenarios and the demo's scripts of this tree (make distcheck runs the
# binary before its PKGDATADIR is installed, outside the checkout)
export BISO_RECOVER_SHARE="${BISO_RECOVER_SHARE:-$top_srcdir/share}"
"$BISO_RECOVER" drill --list > "$T/list" 2>&1 || true
sed -n 's/^ *\([0-9][0-9]*\)  [^ ]*  *\(.*\)$/\1  \2/p' "$T/list" > "$T/titles"
[ -s "$T/titles" ] || { cat "$T/list"; fail "drill --list shows no scenario"; }
start practise "$CONF" --sandbox "$T/drill"
keys 4
wait_for "Practise: choose a scenario" 5 "[practise] the scenarios"
while read -r line; do
	shows_text "$line" || failscreen "[practise] the list does not show '$line' (drill --list)"
done < "$T/titles"
keys Enter
wait_for "Task:" 120 "[practise] the first scenario started"
shows "DRILL" || failscreen "[practise] no DRILL banner"
first=$(sed -n '1s/^1  //p' "$T/titles")
shows_text "$first" || failscreen "[practise] not the first scenario ($first)"
$TMUX_CMD send-keys -t wiz -l q
keys Enter
wait_for "Debrief" 30 "[practise] the debrief"
ended practise 1
[ -s "$T/drill/debrief-01-walkthrough.txt" ] || { ls "$T/drill"; fail "[practise] no debrief file"; }
echo "ok: Practise lists drill --list's scenarios; Enter starts the first as 'biso-recover drill' does"

echo "PASS: the first screen, backup, refresh (PROD, copy, placeholder) and practise through the wizard"
