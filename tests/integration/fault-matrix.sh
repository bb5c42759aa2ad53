#!/bin/bash
# fault-matrix: kill -9 a full `restore --yes` of the demo instance at every
# fault point it passes (src/core/fault.h; the test build
# tests/integration/biso-recover-faults), one point per run, and check what
# each kill leaves behind:
#   - every live name (webroot, datadir, database) exists, accepts use (the
#     database takes connections) and is wholly old or wholly new
#     (rsync -ani --checksum against the old instance or the backup;
#     pg_dump against the old database or psql's restore of the dump);
#   - nothing is lost: where a live name is new, the old one exists in
#     full somewhere beside it;
#   - (also where renameat2 cannot exchange: the swaps use two renames,
#     and a kill between them leaves the live name missing, which the
#     journal explains)
#   - the next `restore --yes` (the normal binary) exits 0, leaves the whole
#     instance new, the old copies under their kept names, no staging copy,
#     and no child process of the killed run still running.
# The points are found by a first run with BR_FAULT_RECORD, so a point added
# to the code is walked without touching this script.  One cluster serves
# every run; the instance is reset between runs by copying a snapshot.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}

# the demo instance marked old; dump_db, same_tree, reset, run
. "$top_srcdir/tests/lib/faults.sh"
fault_setup fm
# The new database: psql's restore of the dump, before and after the
# pending migration.
dump=$DEMO_DUMP
psql -qX -c "CREATE DATABASE biso_ref OWNER biso TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'de_CH.utf8' LC_CTYPE 'de_CH.utf8'"
gunzip -c "$dump" | psql -X -q -v ON_ERROR_STOP=1 -U biso -d biso_ref > /dev/null 2>&1 || fail "psql could not restore $dump"
dump_db biso_ref > "$T/new0.sql"

# 1. Which points does a full restore pass?  It must succeed and be new.
reset
BR_FAULT_RECORD=$T/points run "$FAULTS" "$T/record.log"
[ $rc = 0 ] || { cat "$T/record.log"; fail "the recording run exited $rc"; }
[ -s "$T/points" ] || fail "no fault point was recorded"
dump_db biso > "$T/new1.sql"
cmp -s "$T/new0.sql" "$T/new1.sql" && fail "the migration step changed nothing in the database"
n=$(wc -l < "$T/points")
echo "ok: a full restore passes $n fault points: $(tr '\n' ' ' < "$T/points")"

# where(NAME): old, new or "missing"/"neither" for one live name
state_webroot() {
	if [ ! -d "$W" ]; then echo missing
	elif same_tree "$T/old/webroot" "$W" "${WEXCL[@]}"; then echo old
	elif same_tree "$B/webroot" "$W" "${WEXCL[@]}"; then echo new
	else echo neither; fi
}
state_datadir() {
	if [ ! -d "$W/data" ]; then echo missing
	elif same_tree "$T/old/webroot/data" "$W/data"; then echo old
	elif same_tree "$B/data" "$W/data"; then echo new
	else echo neither; fi
}
state_database() {
	local d
	if ! psql -qAtX -U biso -d biso -c "SELECT 1" > /dev/null 2>&1; then echo unusable; return; fi
	d=$(dump_db biso)
	if [ "$d" = "$(cat "$T/old.sql")" ]; then echo old
	elif [ "$d" = "$(cat "$T/new0.sql")" ] || [ "$d" = "$(cat "$T/new1.sql")" ]; then echo new
	else echo neither; fi
}
# old_kept KIND [GLOB...]: the old copy of KIND exists at one of the paths
old_kept_tree() {
	local ref=$1 p
	shift
	# (a kept datadir's root is made 0700: its own mode does not count)
	for p in "$@"; do
		[ -d "$p" ] || continue
		if [ "$ref" = webroot ]; then
			same_tree "$T/old/webroot" "$p" "${WEXCL[@]}" && return 0
		else
			ROOT_MODE=any same_tree "$T/old/webroot/data" "$p" && return 0
		fi
	done
	return 1
}
old_kept_db() {
	local db
	for db in $(psql -AtXc "SELECT datname FROM pg_database WHERE datname LIKE 'biso\\_%' AND datname NOT IN ('biso_old', 'biso_ref')"); do
		[ "$(dump_db "$db")" = "$(cat "$T/old.sql")" ] && return 0
	done
	return 1
}
# children of the killed run: any process working in the instance
strays() {
	local p
	for p in /proc/[0-9]*; do
		case $(readlink "$p/cwd" 2>/dev/null) in "$P"|"$P"/*) ;; *) continue;; esac
		# a zombie has been killed already; only its reaping is left
		# (to whoever adopted it), which is not ours to wait for
		case $(sed 's/.*) //' "$p/stat" 2>/dev/null) in Z*|X*) continue;; esac
		echo "${p#/proc/}"
	done
}

bad=0
check() { # POINT: what a kill at POINT left, then the next run
	local point=$1 w d db
	w=$(state_webroot) d=$(state_datadir) db=$(state_database)
	echo "  after the kill: webroot $w, datadir $d, database $db"
	# config.php is installed with a new mtime: its content must be whole
	if [ "$w" != missing ] && ! cmp -s "$T/old/webroot/config.php" "$W/config.php"; then
		echo "FAIL at $point: config.php is missing or differs"; bad=1
	fi
	# (MISSING_OK=1: a kill between the two renames of a swap without
	# exchange leaves that live name missing, as the log warned)
	case "$w/$d/$db" in *missing*) [ -n "${MISSING_OK:-}" ] || { echo "FAIL at $point: a live name is missing (webroot $w, datadir $d, database $db)"; bad=1; } ;; esac
	case "$w/$d/$db" in *neither*|*unusable*)
		echo "FAIL at $point: a live name is not wholly old or new (webroot $w, datadir $d, database $db)"
		bad=1 ;;
	esac
	if [ "$w" = new ] && ! old_kept_tree webroot "$P"/webroot.*; then
		echo "FAIL at $point: the webroot is new and the old one is nowhere"; bad=1
	fi
	if [ "$d" = new ] && ! old_kept_tree data "$P"/webroot.*/data "$P"/webroot.*data*; then
		echo "FAIL at $point: the datadir is new and the old one is nowhere"; bad=1
	fi
	if [ "$db" = new ] && ! old_kept_db; then
		echo "FAIL at $point: the database is new and the old one is nowhere"; bad=1
	fi
	sleep 1 # the next run's log and kept names carry the second
	run "$BISO_RECOVER" "$T/next.log"
	if [ $rc != 0 ]; then
		echo "FAIL at $point: the next restore --yes exited $rc:"; sed 's/^/    /' "$T/next.log"; bad=1
		return
	fi
	w=$(state_webroot) d=$(state_datadir) db=$(state_database)
	if [ "$w/$d/$db" != new/new/new ]; then
		echo "FAIL at $point: after the next run: webroot $w, datadir $d, database $db"; bad=1
	fi
	if [ "$w" = new ] && ! old_kept_tree webroot "$P"/webroot.pre-restore-*; then
		echo "FAIL at $point: after the next run no webroot.pre-restore-* holds the old webroot"; bad=1
	fi
	if ! old_kept_tree data "$P"/webroot.pre-restore-*/data "$P"/webroot.*data.pre-restore-*; then
		echo "FAIL at $point: after the next run no kept datadir holds the old one"; bad=1
	fi
	for k in "$P"/webroot.pre-restore-*/data "$P"/webroot.*data.pre-restore-*; do
		[ ! -d "$k" ] || [ "$(stat -c %a "$k")" = 700 ] || { echo "FAIL at $point: kept datadir $k is mode $(stat -c %a "$k")"; bad=1; }
	done
	grep -q "^kept: .*$P/webroot.*data" "$T/next.log" || { echo "FAIL at $point: the summary does not name the kept datadir"; bad=1; }
	old_kept_db || { echo "FAIL at $point: after the next run no kept database holds the old one"; bad=1; }
	if ls -d "$P"/*restoring* "$W"/*restoring* > /dev/null 2>&1; then
		echo "FAIL at $point: staging copies left: $(ls -d "$P"/*restoring* "$W"/*restoring* 2>/dev/null)"; bad=1
	fi
}

# 2. A filesystem that cannot exchange two names (some network and FUSE
#    filesystems, old kernels): BR_FAULT_FAIL=swap.exchange makes the test
#    build's renameat2(RENAME_EXCHANGE) report EINVAL.  The restore swaps
#    with two renames and says so.  A kill at each swap point: between the
#    renames the live name is missing and the old tree at its kept name; the
#    journal says so (a dry run names where it is and where it goes back),
#    and the next run puts it back, then restores.
reset
BR_FAULT_FAIL=swap.exchange BR_FAULT_RECORD=$T/points-renames run "$FAULTS" "$T/renames.log"
[ $rc = 0 ] || { cat "$T/renames.log"; fail "the restore with two renames exited $rc"; }
for live in "$W" "$W/data"; do
	grep -q "the filesystem of $live cannot exchange two names in one step (renameat2: Invalid argument): swapping with two renames, between which $live is missing" "$T/renames.log" ||
		{ cat "$T/renames.log"; fail "the log does not say that $live was swapped with two renames"; }
done
[ "$(state_webroot)/$(state_datadir)/$(state_database)" = new/new/new ] ||
	fail "after the restore with two renames: webroot $(state_webroot), datadir $(state_datadir)"
old_kept_tree webroot "$P"/webroot.pre-restore-* || fail "two renames: the old webroot is not kept"
old_kept_tree data "$P"/webroot.pre-restore-*/data "$P"/webroot.*data.pre-restore-* ||
	fail "two renames: the old datadir is not kept"
for point in $(grep -e '^swap\.webroot\.' -e '^swap\.datadir\.' "$T/points-renames"); do
	reset
	BR_FAULT_FAIL=swap.exchange BR_FAULT_KILL=$point run "$FAULTS" "$T/kill.log"
	if [ $rc != 137 ] || ! grep -q "^fault: SIGKILL at $point$" "$T/kill.log"; then
		cat "$T/kill.log"; fail "the run with two renames was not killed at $point (exit $rc)"
	fi
	echo "killed at $point (two renames)"
	# what the journal explains: "WHAT is at FROM; a real run moves it to TO"
	explain=() live=
	carried="the live datadir is at $P/webroot.restoring/data; a real run moves it to $W/data"
	case $point in
	swap.webroot.carried) live=$W/data explain=("swap of $W: $carried") ;;
	swap.webroot.between) live=$W explain=("swap of $W: the old tree is at $P/webroot.pre-restore-[0-9_]*; a real run moves it to $W" "swap of $W: $carried") ;;
	swap.datadir.between) live=$W/data explain=("swap of $W/data: the old tree is at $P/webroot.pre-restore-[0-9_]*/data; a real run moves it to $W/data") ;;
	esac
	if [ -n "$live" ]; then
		[ ! -e "$live" ] || fail "a kill at $point left $live in place: not between the renames"
		run "$BISO_RECOVER" "$T/explain.log" --dry-run
		for x in "${explain[@]}"; do
			grep -q "was killed during its $x$" "$T/explain.log" ||
				{ echo "FAIL at $point: the dry run does not say: ... $x"; sed 's/^/    /' "$T/explain.log"; bad=1; }
		done
	fi
	MISSING_OK=$live check "$point (two renames)"
done
[ $bad = 0 ] || fail "some kills of a swap with two renames left the instance broken (above)"
echo "ok: without exchange the swaps use two renames, and a kill between them is explained and put right"

# 3. Every point: at its first pass, and those passed per file, statement
#    or check also part way (if a run passes them that often).
for point in $(cat "$T/points"); do
	case $point in files.*|replay.*|verify.*) ats="1 10";; *) ats=1;; esac
	for at in $ats; do
		reset
		BR_FAULT_KILL="$point@$at" run "$FAULTS" "$T/kill.log"
		if [ $rc = 0 ] && [ $at != 1 ]; then
			continue # passed fewer than $at times
		fi
		if [ $rc != 137 ] || ! grep -q "^fault: SIGKILL at $point$" "$T/kill.log"; then
			cat "$T/kill.log"; fail "the run was not killed at $point@$at (exit $rc)"
		fi
		echo "killed at $point@$at"
		# its children are killed with it (the kernel delivers that
		# signal after the exit): give them a moment, a loaded machine more
		for _ in $(seq 200); do s=$(strays); [ -z "$s" ] && break; sleep 0.1; done
		if [ -n "$s" ]; then
			echo "FAIL at $point@$at: a child of the killed run still runs: $(ps -o pid=,args= -p "$(echo $s | tr ' ' ,)")"
			bad=1
			kill -KILL $s 2>/dev/null || true
		fi
		check "$point@$at"
	done
done
[ $bad = 0 ] || fail "some kills left the instance broken (above)"
echo "fault-matrix: all $n points passed"
