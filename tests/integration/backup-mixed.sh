#!/bin/bash
# backup-mixed: one backup root holding both layouts, as the demo makes it:
# the manual's flat rsync copies (webroot/, data/) with dated snapshot
# folders beside them (`backup` adds them to the same root) and dumps
# db/biso_*.sql.gz.  The restore's discovery considers both: the flat copy
# is chosen by its time (when its newest top-level entry was written, the
# ctime: rsync -a keeps production's mtimes) as the snapshots are; `--at` finds it; parts of one restore taken further apart
# than a backup run takes are named in a warning with each part's time; and
# the flat copy is restored without the snapshots beside it (rsync -ani
# --checksum of the instance against the flat copy).  Before, discovery
# ignored the flat copies once snapshots existed: it paired a snapshot's
# webroot and datadir with a newer dump without a word, and --at said "no
# webroot backup taken at or before" with the flat one on disk.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
demo_test_setup mix "chown of the datadir to www-data, runuser postgres"
W=$DEMO_WEBROOT
B=$DEMO_BACKUP_ROOT

run() { # LOG COMMAND [OPTIONS]
	local log=$1
	shift
	set +e
	("$BISO_RECOVER" "$@" --config "$DEMO_CONFIG"; exit $?) < /dev/null > "$log" 2>&1
	rc=$?
	set -e
}
# same_tree SRC DST [rsync options]: DST holds exactly SRC (content, mode,
# mtime); the root's own times do not count
same_tree() {
	local out
	out=$(rsync -ani --checksum --delete "${@:3}" "$1/" "$2/" 2>&1 |
		grep -v '^\.d\.\.t\.\.\.\.\.\. \./$' || true)
	[ -z "$out" ] || { echo "$out" | head -10 >&2; return 1; }
}
# flat DIR: the entries of the flat copy in DIR (not the snapshots)
flat() { find "$1" -mindepth 1 -maxdepth 1 ! -regex '.*/[0-9]\{8\}_[0-9]\{6\}'; }

# The nightly `backup` adds a snapshot S beside the manual's copies (a
# second after the demo wrote them).
sleep 1
run "$T/backup.log" backup
[ $rc = 0 ] || { cat "$T/backup.log"; fail "the backup exited $rc"; }
S=$(ls "$B/webroot" | grep -E '^[0-9]{8}_[0-9]{6}$' | tail -1)
[ -n "$S" ] && [ -d "$B/data/$S" ] || fail "the backup wrote no snapshot beside the flat copies"

# The snapshot is newer than the flat copies: it is chosen, with its own
# dump, and nothing is apart.
run "$T/snap.log" restore --dry-run
[ $rc = 0 ] && grep -q "source: $B/webroot/$S (directory)$" "$T/snap.log" && ! grep -q "apart" "$T/snap.log" ||
	{ cat "$T/snap.log"; fail "the newest snapshot is not chosen (or a warning of parts apart)"; }
echo "ok: the snapshot newer than the flat copies is chosen"

# A manual `rsync -a` after the snapshot writes the flat copies anew but
# keeps production's mtimes, three days old: the copy is dated by when it
# was written (its entries' ctime), so it is chosen over the older
# snapshot, and `--at` an hour ago does not choose it (it was taken after
# that).  Before, the copy was dated by those mtimes: the snapshot won and
# --at chose the copy.
sleep 1
now=$(date +%s)
old=$((now - 3 * 86400))
flat "$B/webroot" | xargs -d '\n' touch -h -d "@$old"
flat "$B/data" | xargs -d '\n' touch -h -d "@$old"
run "$T/old.log" restore --dry-run
[ $rc = 0 ] && grep -q "source: $B/webroot (directory)$" "$T/old.log" && grep -q "source: $B/data (directory)$" "$T/old.log" ||
	{ cat "$T/old.log"; fail "a flat copy written after the snapshot with production's old mtimes is not chosen"; }
at=$(date -d "@$((now - 3600))" +%Y%m%d_%H%M%S)
run "$T/at.log" restore --dry-run --at "$at"
! grep -q "source: $B/webroot (directory)$" "$T/at.log" && ! grep -q "source: $B/data (directory)$" "$T/at.log" ||
	{ cat "$T/at.log"; fail "--at $at chooses a flat copy written after that time (by its old mtimes)"; }
echo "ok: a flat copy with production's old mtimes is dated by when it was written"

# A dump taken three hours after the flat copies: the parts are named in a
# warning with each part's time.
far=$(date -d "@$((now + 3 * 3600))" +%Y%m%d_%H%M%S)
cp "$B/db/biso_$S.sql.gz" "$B/db/biso_$far.sql.gz"
run "$T/apart.log" restore --dry-run
[ $rc = 0 ] || { cat "$T/apart.log"; fail "restore --dry-run with a dump 3 hours newer: exit $rc"; }
grep -q "taken more than 2 hours apart" "$T/apart.log" &&
	grep -q "the webroot backup was taken [0-9-]* [0-9:]*: $B/webroot\$" "$T/apart.log" &&
	grep -q "the database dump was taken .*: $B/db/biso_$far\.sql\.gz\$" "$T/apart.log" ||
	{ cat "$T/apart.log"; fail "no warning naming each part's time, though they were taken 3 hours apart"; }
rm "$B/db/biso_$far.sql.gz"
echo "ok: parts taken hours apart are named in a warning with each part's time"

# A manual nightly rsync after the snapshot renews the flat copies, and its
# pg_dump writes a newer dump: the flat copies and that dump are chosen (the
# finding: the snapshot's webroot and datadir with the new dump, no word).
sleep 1
touch "$B/webroot/index.php" "$B/data/attachments"
new=$(date -d "@$(($(date +%s) + 60))" +%Y%m%d_%H%M%S)
cp "$B/db/biso_$S.sql.gz" "$B/db/biso_$new.sql.gz"
run "$T/flat.log" restore --dry-run
[ $rc = 0 ] || { cat "$T/flat.log"; fail "restore --dry-run after the manual rsync: exit $rc"; }
grep -q "source: $B/webroot (directory)$" "$T/flat.log" && grep -q "source: $B/data (directory)$" "$T/flat.log" &&
	grep -q "biso_$new.sql.gz" "$T/flat.log" && ! grep -q "apart" "$T/flat.log" ||
	{ cat "$T/flat.log"; fail "after the manual rsync the flat copies and the new dump are not chosen"; }
# the manual equivalents leave the snapshots out as the step does
[ "$(grep -c -- "rsync -a .*--exclude /$S/ $B/\(webroot\|data\)/ " "$T/flat.log")" = 2 ] ||
	{ grep -n "rsync" "$T/flat.log"; fail "the plan's manual rsync of a flat copy does not leave the snapshot $S out"; }
echo "ok: the flat copies renewed after the snapshot are chosen with the new dump"

# Restored from the flat copies: the instance holds them, not the snapshots
# beside them.
run "$T/restore.log" restore --yes
[ $rc = 0 ] || { cat "$T/restore.log"; fail "the restore from the flat copies exited $rc"; }
[ ! -e "$W/$S" ] && [ ! -e "$W/data/$S" ] || fail "the snapshot $S was copied into the restored instance"
same_tree "$B/webroot" "$W" --exclude "/$S/" --exclude /data/ --exclude /config.php ||
	fail "the restored webroot is not the flat copy"
same_tree "$B/data" "$W/data" --exclude "/$S/" --no-owner --no-group ||
	fail "the restored datadir is not the flat copy"
echo "ok: restored from the flat copies without the snapshots beside them"
