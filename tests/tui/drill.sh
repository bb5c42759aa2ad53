#!/bin/sh
# drill.sh: `biso-recover drill` in a real terminal, every shipped scenario
# to its end with scripted keys (tmux send-keys, the screen read with
# capture-pane), from an installed layout (the share directory as `make
# install` lays it out, BISO_RECOVER_SHARE; no source tree behind it):
#   01 a hint, then a restore: the goal reached, the debrief says 1 hint;
#      the restore ran in a detached runner (its status file), as 07's
#      refresh did;
#   02 the cut-off newest dump refused, the third hint names the sandbox's
#      backup set (no @BACKUPS@), the older one given with --dump;
#   03 the preflight names the missing locale, the wrong fix (choice 2)
#      gets its explanation and counts as a mistake, the right one, restore;
#   04 verify names the wrong owner, --only datadir,verify fixes it;
#   05 the SSH connection drops during the database step (a slow dump): the
#      wizard (w) runs steps 1-4, then the terminal is killed (tmux
#      kill-server) during the replay: the runner finishes the database step
#      on the sandbox's cluster, which the drill left up, status says it
#      waits, a new wizard attaches (80x24, vt100, its title line with the
#      DRILL banner) and finishes the restore, and the runner stops the
#      cluster at its end;
#   gone: 05's restore in line mode, the drill killed (SIGKILL) during the
#      database step: its runner finishes the restore, then stops the
#      sandbox's cluster, which the drill no longer holds, and says so in
#      its run log;
#   06 maintenance mode left on by a killed backup: a wrong choice explained
#      and counted, a restore --dry-run finds the marker and clears it;
#   07 a refresh of the test system stops at its config.php's env PROD, the
#      wrong fix (production's config.php) explained, the right one, refresh;
#   08 a restore of the newest backups leaves the notes missing (a mistake,
#      with its why), --at the good dump's time restores them.
# A scenario file with an unknown key or a syntax error is named with
# file:line.  No scenario text on the screen or in a debrief keeps a
# placeholder (@SANDBOX@ ...).  A drill recorded (--record) plays back (--replay) with its
# hint, the restore's lines and the goal.  Then the guard: a drill given --webroot and --dbname of a real instance
# (a directory and a second cluster) refuses to restore there, and neither
# changes.  Skips (77) without tmux, php, a PostgreSQL server or root.
# Environment (from make check): top_srcdir, BISO_RECOVER.  KEEP=1 keeps it.

set -u

skip() { echo "SKIP: $*"; exit 77; }
fail() {
	echo "FAIL: $*"
	if [ -n "${last_screen:-}" ]; then
		echo "--- screen (last 40 lines) ---"
		printf '%s\n' "$last_screen" | grep -v '^$' | tail -n 40
		echo "------------------------------"
	fi
	exit 1
}

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-biso-recover}

command -v tmux >/dev/null 2>&1 || skip "tmux is not installed"
command -v php >/dev/null 2>&1 || skip "php is not installed"
[ "$(id -u)" = 0 ] || skip "needs root: scenario 04 changes owners, the datadir belongs to www-data"
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || [ -n "${PG_BINDIR:-}" ] ||
	skip "no PostgreSQL server"

T=$(mktemp -d /tmp/br-drill.XXXXXX) || fail "mktemp"
chmod 755 "$T"
SOCK="biso-drill-$$"
TMUX_CMD="tmux -L $SOCK -f /dev/null"
last_screen=""
REAL=$T/real

cleanup() {
	$TMUX_CMD kill-server >/dev/null 2>&1
	[ -d "$T/sb/pg/pgdata" ] && "$T/share/demo/stop.sh" "$T/sb" >/dev/null 2>&1
	if [ -d "$REAL/pg/pgdata" ]; then
		. "$top_srcdir/tests/lib/pgcluster.sh"
		pgc_stop "$REAL/pg"
	fi
	if [ "${KEEP:-0}" = 1 ]; then echo "kept: $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The installed layout (mk/install.am's install-data-local).
mkdir -p "$T/share" "$T/home"
cp -R "$top_srcdir/share/demo" "$top_srcdir/share/drills" "$T/share/"
cp "$top_srcdir/tests/lib/pgcluster.sh" "$T/share/demo/pgcluster.sh"

# A scenario file with an unknown key, and one with a syntax error: named
# with file:line on the command line, nothing built (exit 2).
printf 'title = "T";\nstory = "S";\ngoal = "G";\nhint = [ "x" ];\n' >"$T/bad-key.conf"
printf 'title = "T";\nstory = "S";\ngoal = "G"\nchecks = ( { action = = "x"; } );\n' >"$T/bad-syntax.conf"
for f in bad-key bad-syntax; do
	LC_ALL=C.UTF-8 LANGUAGE= HOME="$T/home" "$BISO_RECOVER" drill --sandbox "$T/sb" "$T/$f.conf" >"$T/$f.out" 2>&1
	rc=$?
	[ "$rc" = 2 ] || fail "drill $f.conf: exit $rc, expected 2: $(cat "$T/$f.out")"
	[ ! -e "$T/sb" ] || fail "drill $f.conf built a sandbox"
done
grep -q "$T/bad-key.conf:4: unknown key \"hint\"" "$T/bad-key.out" || fail "no file:line: $(cat "$T/bad-key.out")"
grep -q "$T/bad-syntax.conf:4: syntax error" "$T/bad-syntax.out" || fail "no file:line: $(cat "$T/bad-syntax.out")"
echo "ok: scenario files with an unknown key and a syntax error named with file:line"

# cap (the history too), shows on the session drill
TMUX_TARGET=drill
TMUX_CAPTURE="-J -S -3000"
. "$top_srcdir/tests/lib/tmux.sh"
count() { printf '%s\n' "$last_screen" | grep -Ec -- "$1"; }
# shows_joined TEXT: the screen holds TEXT with the rows joined (line mode
# wraps a message between words, a path on a row of its own)
shows_joined() { text_has "$(printf '%s\n' "$last_screen" | tr '\n' ' ')" -F -- "$1"; }

# wait_n REGEX N SECONDS WHAT: until N lines of the history match.
wait_n() {
	n=$(( $3 * 5 ))
	while [ "$n" -gt 0 ]; do
		cap
		[ "$(count "$1")" -ge "$2" ] && return 0
		sleep 0.2
		n=$((n - 1))
	done
	fail "after $3 s the screen does not show $4 (/$1/ $2 times)"
}

# start SCENARIO [OPTIONS...]: a new session running the drill; with
# via_wizard=1 the wizard's (OPTIONS are the wizard's), its first screen's
# practise and its first scenario (SCENARIO is 01-walkthrough).
start() {
	scen=$1
	shift
	if $TMUX_CMD kill-server >/dev/null 2>&1; then sleep 0.5; fi
	if [ -n "${via_wizard:-}" ]; then
		cmd="'$BISO_RECOVER' $* --sandbox '$T/sb'"
	else
		cmd="'$BISO_RECOVER' $* drill --sandbox '$T/sb' $scen"
	fi
	$TMUX_CMD new-session -d -s drill -x 100 -y 40 \
		"LC_ALL=C.UTF-8 LANGUAGE= HOME='$T/home' BISO_RECOVER_SHARE='$T/share' $cmd; echo drill-exit=\$?; sleep 600" ||
		fail "tmux new-session failed"
	$TMUX_CMD set-option -t drill history-limit 5000 >/dev/null
	if [ -n "${via_wizard:-}" ]; then
		wait_n 'What do you want to do' 1 30 "[$scen] the wizard's first screen"
		$TMUX_CMD send-keys -t drill 4
		wait_n 'Practise: choose a scenario' 1 10 "[$scen] the wizard's scenarios"
		$TMUX_CMD send-keys -t drill Enter
	fi
	menus=1
	wait_n '^Task:' 1 240 "[$scen] the drill's first menu"
	shows '^== DRILL' || fail "[$scen] no DRILL banner on the menu"
	# where the sandbox goes and how long it takes, before it is built
	shows "^Building the sandbox in $T/sb \\(" ||
		fail "[$scen] the drill does not name the sandbox's directory before building it"
	no_placeholder "story and goal"
}

# no_placeholder WHAT: the screen shows the sandbox's paths, never a
# scenario's @SANDBOX@, @BACKUPS@ ... as written.
no_placeholder() {
	! shows '@[A-Z_]+@' ||
		fail "[$scen] the $1 on the screen keep a placeholder: $(printf '%s\n' "$last_screen" | grep -E '@[A-Z_]+@')"
}

# act KEY: a menu key; the next menu comes.
act() {
	$TMUX_CMD send-keys -t drill -l -- "$1"
	$TMUX_CMD send-keys -t drill Enter
	menus=$((menus + 1))
	wait_n '^Task:' "$menus" 60 "[$scen] the menu after '$1'"
}

# restore OPTIONS [end]: r, then OPTIONS; the next menu comes (or, with
# "end", the drill ends: the goal is reached).
restore() {
	opts=$(count '^Options for the restore')
	$TMUX_CMD send-keys -t drill r Enter
	wait_n '^Options for the restore' $((opts + 1)) 30 "[$scen] the restore's options question"
	$TMUX_CMD send-keys -t drill -l -- "$1"
	$TMUX_CMD send-keys -t drill Enter
	if [ "${2:-}" = end ]; then
		wait_n '^drill-exit=' 1 300 "[$scen] the end of the drill"
	else
		menus=$((menus + 1))
		wait_n '^Task:' "$menus" 300 "[$scen] the menu after restore $1"
	fi
}

# refresh OPTIONS [end]: f, then OPTIONS, as restore.
refresh() {
	opts=$(count '^Options for the refresh')
	$TMUX_CMD send-keys -t drill f Enter
	wait_n '^Options for the refresh' $((opts + 1)) 30 "[$scen] the refresh's options question"
	$TMUX_CMD send-keys -t drill -l -- "$1"
	$TMUX_CMD send-keys -t drill Enter
	if [ "${2:-}" = end ]; then
		wait_n '^drill-exit=' 1 300 "[$scen] the end of the drill"
	else
		menus=$((menus + 1))
		wait_n '^Task:' "$menus" 300 "[$scen] the menu after refresh $1"
	fi
}

# done_ok HINTS MISTAKES: the drill ended at its goal with this debrief.
done_ok() {
	shows '^All checks pass: the goal is reached' || fail "[$scen] goal not reached"
	shows '^drill-exit=0' || fail "[$scen] exit code not 0"
	f="$T/sb/debrief-$scen.txt"
	[ -f "$f" ] || fail "[$scen] no debrief file $f"
	grep -q "^Hints used: $1 / " "$f" || fail "[$scen] debrief: hints used not $1: $(grep Hints "$f")"
	grep -q "^Mistakes: $2\$" "$f" || fail "[$scen] debrief: mistakes not $2: $(grep Mistakes "$f")"
	grep -q '^Total (your recovery time): [0-9]*:[0-9][0-9]$' "$f" || fail "[$scen] debrief: no total"
	grep -q '^What the manual says:' "$f" || fail "[$scen] debrief: no manual"
	! grep -Eq '@[A-Z_]+@' "$f" || fail "[$scen] debrief keeps a placeholder: $(grep -E '@[A-Z_]+@' "$f")"
	no_placeholder "texts"
	[ "$(stat -c %a "$f")" = 600 ] || fail "[$scen] debrief not 0600"
	echo "ok: $scen (hints $1, mistakes $2)"
}

# ran_detached FLOW LOGDIR: the drill's run of FLOW was a detached runner's
# (its status file, which only a runner writes, finished with exit 0), not
# the drill's own process.
ran_detached() {
	st=$(grep -l "^flow=$1\$" "$2"/biso-recover-*.status 2>/dev/null | tail -n 1)
	[ -n "$st" ] || fail "[$scen] no status file of a $1 runner in $2: the run was not detached"
	grep -q '^exit=0$' "$st" || fail "[$scen] the $1 runner's status file does not say exit 0: $(cat "$st")"
}

# DRILL_ONLY="08 guard": only these parts (when mending one).
want() { [ -z "${DRILL_ONLY:-}" ] || case " $DRILL_ONLY " in *" $1 "*) ;; *) return 1 ;; esac; }

# --- 01: the walkthrough ---------------------------------------------------
if want 01; then
start 01-walkthrough
act h
shows '^Hint 1: Press r' || fail "[$scen] no first hint"
restore '--yes' end
shows '^DRILL \(sandbox' || fail "[$scen] line mode's first line is not the DRILL banner"
ran_detached restore "$T/sb/log"
done_ok 1 0

fi

# --- 02: the cut-off newest dump ---------------------------------------------
if want 02; then
start 02-cut-dump
good=$(ls "$T/sb/backups/db/"biso_*.sql.gz | sort | tail -n 2 | head -n 1)
restore '--yes'
shows 'not yet: no restore of all six steps' || fail "[$scen] no 'not yet' after the refused restore"
shows 'cut off|trailer|complete' || fail "[$scen] the refusal does not say the dump is cut off"
# the third hint names the sandbox's backup set, not @BACKUPS@
act h
act h
act h
# (the drill wraps its texts at 80 columns: the path may start a line)
shows "^Hint 3: Give the older dump with --dump" || fail "[$scen] no third hint"
shows "(^| )$T/sb/backups/db/biso_<stamp>\\.sql\\.gz" ||
	fail "[$scen] hint 3 does not name the sandbox's backups"
no_placeholder "hints"
restore "--yes --dump $good" end
done_ok 3 0

fi

# --- 03: no de_CH.utf8 on the server -----------------------------------------
if want 03; then
start 03-no-locale
restore '--yes'
shows 'de_CH' || fail "[$scen] the preflight does not name the locale"
act 2
shows '^That was a mistake: BISO sorts names' || fail "[$scen] the wrong fix got no explanation"
act 1
restore '--yes' end
done_ok 0 1

fi

# --- 04: the datadir's owner --------------------------------------------------
if want 04; then
start 04-datadir-owner
restore '--yes --only verify'
shows 'owner|belong' || fail "[$scen] verify does not name the owner"
restore '--yes --only datadir,verify' end
done_ok 0 0

fi

# --- 05: the SSH connection drops during the database step ------------------
if want 05; then
start 05-ssh-drop
# wizard: w, no options; the wizard opens (or attaches to the live run)
wizard() {
	opts=$(count '^Options for the restore')
	$TMUX_CMD send-keys -t drill w Enter
	wait_n '^Options for the restore' $((opts + 1)) 30 "[$scen] the restore's options question"
	$TMUX_CMD send-keys -t drill Enter
}
# step N: Enter at step N's screen, and its confirmation
step() {
	wait_n "Step $1 of 6" 1 300 "[$scen] step $1"
	wait_n 'Enter run this step' 1 30 "[$scen] the prompt of step $1"
	$TMUX_CMD send-keys -t drill Enter
	sleep 0.3
	cap
	if shows 'Type biso to continue'; then
		$TMUX_CMD send-keys -t drill -l biso
		$TMUX_CMD send-keys -t drill Enter
	elif shows 'Run it now\?'; then
		$TMUX_CMD send-keys -t drill y
	fi
}
# the wrong choice's label does not contradict itself ("Start over with
# restore --resume")
shows '1 +Continue it with restore --resume' || fail "[$scen] the choice's label is not 'Continue it with restore --resume'"
wizard
for n in 1 2 3 4; do step $n; done
wait_n 'q abort this step' 1 60 "[$scen] the database step running"
shows 'DRILL' || fail "[$scen] no DRILL banner on the wizard's title line"
# the connection drops for real: the terminal goes (SIGHUP to the drill and
# its wizard) during the replay.  The drill must leave the sandbox's
# cluster up for the runner (it stopped it: "terminating connection due to
# administrator command", the database step failed).
runlog=$(ls -t "$T"/sb/log/biso-recover-*.log | head -n 1)
$TMUX_CMD kill-server
n=0
until grep -q "step database done" "$runlog" || [ $n -ge 1500 ]; do
	grep -q "step database failed" "$runlog" && break
	sleep 0.2
	n=$((n + 1))
done
grep -q "step database done" "$runlog" ||
	{ tail -n 20 "$runlog"; fail "[$scen] the database step did not finish after the terminal went"; }
! grep -q "terminating connection due to administrator command" "$runlog" ||
	fail "[$scen] the sandbox's cluster was stopped under the runner"
# log in again: the wizard attaches to the run waiting at step 5
st=0
"$BISO_RECOVER" status --config "$T/sb/biso-recover.conf" >"$T/status05" 2>&1 || st=$?
[ "$st" = 5 ] || { cat "$T/status05"; fail "[$scen] status exit $st, expected 5 (waiting at the next step)"; }
# (80x24, TERM=vt100 NO_COLOR=1, without --drill-root: the runner's VIEW
# says the run is a drill's, and the title line shows the banner as the
# drill's own wizard did)
$TMUX_CMD new-session -d -s drill -x 80 -y 24 \
	"TERM=vt100 NO_COLOR=1 LC_ALL=C.UTF-8 LANGUAGE= HOME='$T/home' BISO_RECOVER_SHARE='$T/share' '$BISO_RECOVER' --config '$T/sb/biso-recover.conf' wizard restore; echo wizard-exit=\$?; sleep 600" ||
	fail "tmux new-session failed"
wait_n "Step 5 of 6" 1 60 "[$scen] step 5 in the wizard attached again"
$TMUX_CMD capture-pane -p -t drill | head -n 1 | grep -q '^ DRILL (sandbox: nothing real is touched)  biso-recover' ||
	{ last_screen=$($TMUX_CMD capture-pane -p -t drill); fail "[$scen] the wizard attached to the drill's run shows no DRILL banner"; }
step 5
step 6
wait_n 'Restore finished: all 6 steps done' 1 120 "[$scen] the summary"
$TMUX_CMD send-keys -t drill q
wait_n '^wizard-exit=0' 1 120 "[$scen] the end of the wizard"
# the drill, its terminal gone, waited for the runner's end: it judges the
# sandbox then (the goal is reached: the drill counts as done) and stops
# the sandbox's cluster
n=0
until grep -q "05-ssh-drop *done" "$T/home/.biso-recover/drill-results" 2>/dev/null || [ $n -ge 600 ]; do
	sleep 0.2
	n=$((n + 1))
done
grep -q "05-ssh-drop *done" "$T/home/.biso-recover/drill-results" ||
	{ cat "$T/home/.biso-recover/drill-results" 2>/dev/null; fail "[$scen] the drill, its terminal gone, did not record the finished restore as done"; }
n=0
until [ ! -e "$T/sb/pg/pgdata/postmaster.pid" ] || [ $n -ge 300 ]; do
	sleep 0.2
	n=$((n + 1))
done
[ ! -e "$T/sb/pg/pgdata/postmaster.pid" ] || fail "[$scen] the sandbox's cluster still runs"
echo "ok: $scen (the terminal killed during the replay: the runner finished the database step, a new wizard finished the restore, the drill recorded it done and stopped the cluster)"
fi

# --- gone: the drill killed while its restore's runner works ------------------
# The drill leaves the sandbox's cluster up for a runner that outlives it;
# a runner started with --drill-root that finds, at its end, no drill
# holding the sandbox (its drill.pid names a dead process: kill -9 left it)
# stops the cluster itself and says so in its run log.
if want gone; then
start 05-ssh-drop
touch "$T/gone.mark"
opts=$(count '^Options for the restore')
$TMUX_CMD send-keys -t drill r Enter
wait_n '^Options for the restore' $((opts + 1)) 30 "[gone] the restore's options question"
$TMUX_CMD send-keys -t drill -l -- '--yes'
$TMUX_CMD send-keys -t drill Enter
# the database step replays the slow dump (15 s at least): the drill dies then
n=0
runlog=
until [ -n "$runlog" ] && grep -q "step database: " "$runlog" || [ $n -ge 1500 ]; do
	sleep 0.2
	n=$((n + 1))
	runlog=$(find "$T/sb/log" -name 'biso-recover-*.log' -newer "$T/gone.mark" | head -n 1)
done
[ -n "$runlog" ] && grep -q "step database: " "$runlog" || fail "[gone] the restore's runner did not reach the database step"
st=${runlog%.log}.status
runner=$(sed -n 's/^pid=//p' "$st")
[ -n "$runner" ] || fail "[gone] the status file $st names no runner"
drill=$(pgrep -P "$($TMUX_CMD display -p -t drill '#{pane_pid}')" -x biso-recover)
[ -n "$drill" ] && [ "$drill" != "$runner" ] || fail "[gone] no drill process in the session"
! grep -q "step database done" "$runlog" || fail "[gone] the database step ended before the drill was killed"
kill -KILL "$drill"
[ -e "$T/sb/pg/pgdata/postmaster.pid" ] || fail "[gone] the cluster went with the drill"
# the runner works on to its end, then stops the cluster before it exits
n=0
while kill -0 "$runner" 2>/dev/null && [ $n -lt 1500 ]; do
	sleep 0.2
	n=$((n + 1))
done
! kill -0 "$runner" 2>/dev/null || fail "[gone] the runner (pid $runner) did not end"
grep -q '^exit=0$' "$st" || fail "[gone] the restore's runner did not finish with exit 0: $(cat "$st")"
grep -q "INFO  the drill is gone: its sandbox's cluster was stopped$" "$runlog" ||
	{ tail -n 5 "$runlog"; fail "[gone] the run log does not say that the drill was gone and the cluster stopped"; }
[ ! -e "$T/sb/pg/pgdata/postmaster.pid" ] || fail "[gone] the sandbox's cluster still runs after the runner's end"
echo "ok: gone (the drill killed during the database step: its runner finished the restore, then stopped the sandbox's cluster and said why)"
fi

# --- 06: maintenance mode left on by a killed backup ----------------------------
if want 06; then
start 06-maintenance-left-on
[ -e "$T/sb/prod/webroot/data/maintenance.on" ] || fail "[$scen] the setup left maintenance mode off"
[ -e "$T/sb/log/maintenance-on" ] || fail "[$scen] the setup left no marker"
act 1
shows '^That was a mistake: Nothing is broken but the maintenance mode' ||
	fail "[$scen] the wrong choice got no explanation"
# a dry run only says what it found (it changes nothing); a real run that
# touches nothing else (--only verify) switches maintenance mode off
restore '--dry-run'
shows 'ended while maintenance mode was on' || fail "[$scen] the restore did not say what it found"
[ -e "$T/sb/prod/webroot/data/maintenance.on" ] || fail "[$scen] the dry run switched maintenance mode off"
restore '--only verify --yes' end
[ ! -e "$T/sb/prod/webroot/data/maintenance.on" ] || fail "[$scen] maintenance mode still on"
done_ok 0 1
fi

# --- 07: the refresh's guard: the test system's config.php says PROD ------------
if want 07; then
start 07-refresh-guard
refresh '--attachments placeholder --yes'
shows 'env.*PROD|PROD.*env' || fail "[$scen] the refresh's guard did not name env PROD"
act 2
shows '^That was a mistake: Production must say PROD' || fail "[$scen] the wrong fix got no explanation"
grep -q "^Config::set('env', 'PROD');" "$T/sb/prod/webroot/config.php" || fail "[$scen] production's env changed"
act 1
refresh '--attachments placeholder --yes' end
ran_detached refresh "$T/sb/log-test"
done_ok 0 1
fi

# --- 08: --at after a bad migration --------------------------------------------
if want 08; then
start 08-point-in-time
good=$(ls "$T/sb/backups/db/"biso_*.sql.gz | sort | tail -n 2 | head -n 1)
stamp=$(basename "$good" .sql.gz | sed 's/^biso_//')
restore '--yes'
shows '^That was a mistake: the restore ran, but the goal is not reached' ||
	fail "[$scen] a restore of the newest (bad) backups was not counted as a mistake"
shows 'not yet: the case notes' || fail "[$scen] no why for the missing notes"
restore "--yes --again --at $stamp" end
done_ok 0 1

fi

# --- results kept per user ------------------------------------------------------
res="$T/home/.biso-recover/drill-results"
if [ -z "${DRILL_ONLY:-}" ]; then
[ "$(stat -c %a "$res")" = 600 ] || fail "results file not 0600"
[ "$(grep -c ' done ' "$res")" = 8 ] || fail "results file does not hold 8 done drills"
HOME="$T/home" BISO_RECOVER_SHARE="$T/share" "$BISO_RECOVER" drill --list >"$T/list" 2>&1 ||
	fail "drill --list failed"
grep -q '08-point-in-time.*done' "$T/list" || fail "drill --list does not show past results"
fi

# --- trainer mode: a recorded drill played back --------------------------------
if want record; then
start 01-walkthrough --record "$T/rec"
act h
restore '--yes' end
shows '^drill-exit=0' || fail "[record] the recorded drill did not reach its goal"
[ "$(stat -c %a "$T/rec")" = 600 ] || fail "[record] the record is not 0600"
LC_ALL=C.UTF-8 "$BISO_RECOVER" drill --replay "$T/rec" >"$T/replay.out" 2>&1 || fail "[record] replay failed"
for what in '^== DRILL' '^Hint 1: Press r' 'step database done' 'All checks pass'; do
	grep -aq -- "$what" "$T/replay.out" || fail "[record] the replay does not show /$what/"
done
echo "ok: a drill recorded and played back"
fi

# --- the guard: a real instance and a second cluster stay as they are -----------
want guard || { echo PASS; exit 0; }
. "$top_srcdir/tests/lib/pgcluster.sh"
mkdir -p "$REAL/webroot/data"
echo "<?php // real" >"$REAL/webroot/index.php"
echo real >"$REAL/webroot/data/file"
pgc_start "$REAL/pg" >/dev/null || fail "second cluster"
psql -X -q -c "CREATE DATABASE biso" && psql -X -q -d biso -c "CREATE TABLE real_t (x int); INSERT INTO real_t VALUES (1)" ||
	fail "second cluster's database"
state() {
	(cd "$REAL" && find . -path ./pg -prune -o -printf '%p %s %T@ %u\n' | sort && cat webroot/data/file)
	psql -X -At -d postgres -c "SELECT datname FROM pg_database ORDER BY 1"
	psql -X -At -d biso -c "SELECT count(*) FROM real_t"
}
# a configuration of the real instance: the drill builds its own; the
# drill command takes no override of it (refused, nothing built), the
# wizard's options reach the drill its first screen starts, and the
# drill's guard refuses them
cat >"$REAL/real.conf" <<EOC
webroot = "$REAL/webroot";
backup_root = "$REAL/backups";
log_dir = "$REAL/log";
database = {
  admin_conninfo = "host=$PGHOST port=$PGPORT user=postgres dbname=postgres";
};
EOC
before=$(state)
"$BISO_RECOVER" --config "$REAL/real.conf" --webroot "$REAL/webroot" drill --sandbox "$T/sb2" 01-walkthrough \
	>"$T/refused.out" 2>&1
rc=$?
[ "$rc" = 2 ] && grep -q '^biso-recover: drill does not take --webroot; ' "$T/refused.out" && [ ! -e "$T/sb2" ] ||
	{ cat "$T/refused.out"; fail "drill --webroot: exit $rc, not refused before the sandbox"; }
via_wizard=1 # from here on the drill starts from the wizard's first screen
start 01-walkthrough --config "$REAL/real.conf" --webroot "$REAL/webroot" --dbname "'host=$PGHOST port=$PGPORT dbname=biso'"
restore '--yes'
shows_joined "the drill refuses $REAL/webroot: it lies outside the sandbox" ||
	fail "the drill did not refuse the real webroot"
$TMUX_CMD send-keys -t drill q Enter
wait_n '^drill-exit=' 1 30 "the end of the drill"
# the wizard's runner (w) too
start 01-walkthrough --config "$REAL/real.conf" --webroot "$REAL/webroot" --dbname "'host=$PGHOST port=$PGPORT dbname=biso'"
$TMUX_CMD send-keys -t drill w Enter
wait_n '^Options for the restore' 1 30 "the wizard's options question"
$TMUX_CMD send-keys -t drill Enter
# refused before its first step: the wizard's dialog says why; q leaves it
wait_n 'Refused before the first step' 1 60 "the refused wizard's dialog"
$TMUX_CMD send-keys -t drill q
menus=$((menus + 1))
wait_n '^Task:' "$menus" 120 "the menu after the refused wizard"
shows_joined "the drill refuses $REAL/webroot: it lies outside the sandbox" ||
	fail "the drill's wizard did not refuse the real webroot"
$TMUX_CMD send-keys -t drill q Enter
wait_n '^drill-exit=' 1 30 "the end of the drill"
# the database alone: the second cluster is refused
start 01-walkthrough --config "$REAL/real.conf" --dbname "'host=$PGHOST port=$PGPORT dbname=biso'"
restore '--yes --only database'
shows_joined "the drill refuses the database server \"$PGHOST\"" ||
	fail "the drill did not refuse the second cluster"
$TMUX_CMD send-keys -t drill q Enter
wait_n '^drill-exit=' 1 30 "the end of the drill"
after=$(state)
[ "$before" = "$after" ] || fail "the real instance or the second cluster changed"
echo "ok: the guard (real paths and a second cluster unchanged)"
echo PASS
