#!/bin/bash
# End-to-end: `biso-recover backup` of the demo instance, then a restore
# from that backup into a new place.  pg_dump of the restored database
# equals the source's, the datadir equals the source minus the manual's
# excludes (rsync -ani --checksum), the webroot snapshot has no data/, and
# sha256sum -c accepts the checksum list.  The demo's biso-cli says in
# biso.log when maintenance mode went on and off: on before the dump, off
# after the datadir (before the webroot), and off after a backup that
# failed (wrong database: refused before maintenance goes on; a failing
# dump; a backup root without room for the datadir), was interrupted
# (SIGTERM, SIGINT) or killed (kill -9: the next command switches it off).
# Nothing half written is ever published.  The backup runs in a runner
# detached from the terminal: its client hung up (SIGHUP) or killed
# (SIGKILL) during the dump, the backup still completes.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}
FAULTS=${FAULTS:-$(dirname "$BISO_RECOVER")/tests/integration/biso-recover-faults}

. "$top_srcdir/tests/lib/demo-test.sh"
. "$top_srcdir/tests/lib/runner-fault.sh"
demo_test_setup backup "chown of the datadir to www-data, runuser postgres"
[ -x "$FAULTS" ] || skip "the test build $FAULTS is not built"

BK=$T/bk
mkdir -p "$BK" "$T/log"
applog=$DEMO_DATADIR/biso.log
backup() { "${BIN:-$BISO_RECOVER}" backup --config "$S/biso-recover.conf" --backup-root "$BK" --log-dir "$T/log" "$@"; }
ons() { grep -c "INFO maintenance mode on" "$applog" || true; }
offs() { grep -c "INFO maintenance mode off" "$applog" || true; }
maint_is_off() { # WHY
	[ ! -e "$DEMO_DATADIR/maintenance.on" ] || fail "$1: maintenance.on is still in the datadir"
	text_has "$(tail -n 1 "$applog")" "INFO maintenance mode off$" || { tail -n 3 "$applog"; fail "$1: biso.log does not end with maintenance off"; }
	[ ! -e "$T/log/maintenance-on" ] || fail "$1: the maintenance marker is still there"
}
nothing_published() { # WHY
	local left
	left=$(find "$BK" -name '*.partial' | head -n 3)
	[ -z "$left" ] || fail "$1: left $left"
	[ "$(ls "$BK/manifest" 2>/dev/null | wc -l)" = "$2" ] || fail "$1: a manifest was written"
	[ "$(ls "$BK/data" 2>/dev/null | wc -l)" = "$2" ] || { ls "$BK/data"; fail "$1: a datadir snapshot was published"; }
	[ "$(ls "$BK/db" 2>/dev/null | wc -l)" = "$2" ] || { ls "$BK/db"; fail "$1: a dump was published"; }
}

# 0. --dry-run: the plan with the manual's commands, nothing touched.
on0=$(ons)
backup --dry-run > "$T/plan.txt" 2>&1 || { cat "$T/plan.txt"; fail "--dry-run failed"; }
for want in "biso-cli maintenance on" "pg_dump -h $PGHOST -p $PGPORT -U " \
	"--exclude=/tmp/ '--exclude=*.log' --exclude=/maintenance.on $DEMO_DATADIR/" "--exclude=/data/ $DEMO_WEBROOT/" \
	"--no-owner --no-privileges --clean --if-exists biso | gzip >" \
	"biso-cli maintenance off"; do
	grep -qF -- "$want" "$T/plan.txt" || { cat "$T/plan.txt"; fail "the plan lacks: $want"; }
done
# maintenance off comes before the webroot
[ "$(grep -n -e '^4\. ' "$T/plan.txt" | cut -d: -f2-)" = "4. Switch maintenance mode off" ] &&
	[ "$(grep -n -e '^5\. ' "$T/plan.txt" | cut -d: -f2-)" = "5. Copy the webroot" ] ||
	{ cat "$T/plan.txt"; fail "the plan's order is not maintenance off, then the webroot"; }
[ "$(ons)" = "$on0" ] && [ -z "$(ls -A "$BK")" ] || fail "--dry-run touched something"
echo "ok: --dry-run prints the plan and the manual's commands, touches nothing"

# 1. The backup.
backup > "$T/run1.log" 2>&1 || { cat "$T/run1.log"; fail "the backup failed"; }
id=$(ls "$BK/manifest")
[ "$(echo "$id" | wc -l)" = 1 ] || fail "expected one backup, got: $id"
[ "$(ons)" = $((on0 + 1)) ] && [ "$(offs)" -ge "$((on0 + 1))" ] || fail "biso-cli did not record one maintenance on and off"
maint_is_off "after the backup"
# on before the dump, off after the datadir and before the webroot
order=$(sed -n -e 's/^  Maintenance mode on .*/ON/p' -e 's/^step database: .*/DUMP/p' \
	-e 's/^step datadir done .*/DATADIR-DONE/p' -e 's/^  Maintenance mode off$/OFF/p' \
	-e 's/^step webroot: .*/WEBROOT/p' "$T/run1.log" | tr '\n' ' ')
[ "$order" = "ON DUMP DATADIR-DONE OFF WEBROOT " ] ||
	{ cat "$T/run1.log"; fail "maintenance was not on exactly around the dump and the datadir: $order"; }
grep -Eq "^maintenance mode was on for [0-9.]+ s$" "$T/run1.log" || { cat "$T/run1.log"; fail "the summary does not say how long maintenance was on"; }
# once: the maintenance-off row said it too (newcomer 8, finding 26)
[ "$(grep -c "maintenance mode was on for" "$T/run1.log")" = 1 ] || { cat "$T/run1.log"; fail "the output says more than once how long maintenance was on"; }
# each snapshot checked after it was made
[ "$(grep -c "^verified: the snapshot .* matches " "$T/run1.log")" = 2 ] || { cat "$T/run1.log"; fail "the snapshots were not both verified"; }
grep -Eq "^maintenance_ms [0-9]+$" "$BK/manifest/$id/MANIFEST" || fail "the manifest lacks maintenance_ms"
(cd "$BK" && sha256sum --quiet -c "manifest/$id/SHA256SUMS") || fail "sha256sum -c rejects the backup"
[ ! -e "$BK/webroot/$id/data" ] || fail "the webroot snapshot has data/"
# the snapshot is what rsync -a makes of the datadir (content, mode, owner,
# times, symlinks), minus the manual's excludes
out=$(rsync -ani --checksum --exclude /tmp/ --exclude '*.log' --exclude /maintenance.on "$DEMO_DATADIR/" "$BK/data/$id/" |
	grep -v '^\.d\.\.t\.\.\.\.\.\. \./$' || true)
[ -z "$out" ] || { echo "$out"; fail "the datadir snapshot differs from rsync -a's copy"; }
out=$(rsync -ani --checksum --exclude /data/ "$DEMO_WEBROOT/" "$BK/webroot/$id/" | grep -v '^\.d\.\.t\.\.\.\.\.\. \./$' || true)
[ -z "$out" ] || { echo "$out"; fail "the webroot snapshot differs from rsync -a's copy"; }
[ -f "$BK/webroot/$id/biso-cli" ] || fail "the webroot snapshot lacks biso-cli"
gzip -t "$BK/db/biso_$id.sql.gz" || fail "gzip -t rejects the dump"
# the database's identity, as the server gives it (a refresh refuses a
# target that has it)
sysid=$(psql -XAtc "SELECT system_identifier FROM pg_control_system()")
grep -qx "system_identifier $sysid" "$BK/manifest/$id/MANIFEST" ||
	{ grep system_identifier "$BK/manifest/$id/MANIFEST"; fail "the manifest lacks the server's system_identifier $sysid"; }
grep -qx "dbname biso" "$BK/manifest/$id/MANIFEST" || fail "the manifest lacks dbname biso"
# the migrations the dump lacks, as the configured migration_status says
status=$(cd "$DEMO_WEBROOT" && runuser -u www-data -- php biso-cli migration status)
grep -qx "migrations_pending $(echo "$status" | sed -n 's/^pending: //p')" "$BK/manifest/$id/MANIFEST" ||
	{ echo "$status"; grep migration "$BK/manifest/$id/MANIFEST"; fail "the manifest's migrations_pending differs from biso-cli migration status"; }
[ "$(echo "$status" | sed -n 's/^  //p')" = "$(sed -n 's/^migration_pending //p' "$BK/manifest/$id/MANIFEST")" ] &&
	[ -n "$(sed -n 's/^migration_pending //p' "$BK/manifest/$id/MANIFEST")" ] ||
	{ echo "$status"; grep migration "$BK/manifest/$id/MANIFEST"; fail "the manifest's pending migrations differ from biso-cli migration status"; }
echo "ok: backup $id: maintenance on around dump and datadir only, sha256sum -c passes, the database's identity and pending migrations recorded"

# 2. Restore it into a new place and compare with the source.
NEW=$T/new
mkdir -p "$NEW"
sed "s/'dbname' *=> *'biso'/'dbname'   => 'biso_copy'/" "$BK/webroot/$id/config.php" > "$T/config.php"
"$BISO_RECOVER" restore --yes --config "$S/biso-recover.conf" --backup-root "$BK" --webroot "$NEW/webroot" \
	--config-php "$T/config.php" --log-dir "$T/log" --only webroot,config,datadir,database > "$T/restore.log" 2>&1 ||
	{ cat "$T/restore.log"; fail "the restore from the backup failed"; }
dump_db() { pg_dump --no-owner --no-privileges -d "$1" | grep -v '^\\\(un\)\?restrict '; }
# the source's rows lie in another physical order (updates): its lines sorted
dump_db biso | LC_ALL=C sort > "$T/source.sql"
dump_db biso_copy | LC_ALL=C sort > "$T/restored.sql"
diff -u "$T/source.sql" "$T/restored.sql" > "$T/db.diff" || { head -40 "$T/db.diff"; fail "pg_dump of the restored database differs from the source's"; }
# and exactly what psql restores from the backup's dump
psql -qX -c "CREATE DATABASE biso_ref OWNER biso TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'de_CH.utf8' LC_CTYPE 'de_CH.utf8'"
gunzip -c "$BK/db/biso_$id.sql.gz" | psql -X -q -v ON_ERROR_STOP=1 -U biso -d biso_ref > "$T/psql.out" 2>&1 ||
	{ cat "$T/psql.out"; fail "psql could not restore the backup's dump"; }
diff -u <(dump_db biso_ref) <(dump_db biso_copy) > "$T/db2.diff" || { head -40 "$T/db2.diff"; fail "pg_dump of the restored database differs from psql's restore of the dump"; }
# the datadir's own mtime moved when maintenance.on was removed after the copy
out=$(rsync -ani --checksum --exclude /tmp/ --exclude '*.log' --exclude /maintenance.on "$DEMO_DATADIR/" "$NEW/webroot/data/" |
	grep -v '^\.d\.\.t\.\.\.\.\.\. \./$' || true)
[ -z "$out" ] || { echo "$out"; fail "the restored datadir differs from the source minus the excludes"; }
[ ! -e "$NEW/webroot/data/tmp" ] && [ -z "$(find "$NEW/webroot/data" -name '*.log' -o -name maintenance.on)" ] ||
	fail "the restored datadir has excluded files"
echo "ok: restored from the backup: pg_dump equal, datadir = source minus excludes (rsync -ani --checksum)"

# 3. A second backup links unchanged files to the first; a changed file, a
#    file with another mode and a new one are copied.
sleep 1 # a new id
chg=keys/api-token.txt
cp -p "$DEMO_DATADIR/$chg" "$T/chg.saved"
echo "rotated" >> "$DEMO_DATADIR/$chg"
mode=fonts/DejaVuSans-Bold.ttf
chmod 0604 "$DEMO_DATADIR/$mode"
echo new > "$DEMO_DATADIR/templates/new.txt"
backup > "$T/run2.log" 2>&1 || { cat "$T/run2.log"; fail "the second backup failed"; }
id2=$(ls "$BK/manifest" | tail -n 1)
[ "$id2" != "$id" ] || fail "no second backup"
f=fonts/DejaVuSans.ttf
[ "$(stat -c %i "$BK/data/$id/$f")" = "$(stat -c %i "$BK/data/$id2/$f")" ] || fail "an unchanged file is not a hard link to the previous snapshot"
for g in "$chg" "$mode"; do
	[ "$(stat -c %i "$BK/data/$id/$g")" != "$(stat -c %i "$BK/data/$id2/$g")" ] || fail "$g changed but is a hard link to the previous snapshot"
done
cmp -s "$T/chg.saved" "$BK/data/$id/$chg" || fail "the first snapshot's $chg changed with the second"
out=$(rsync -ani --checksum --exclude /tmp/ --exclude '*.log' --exclude /maintenance.on "$DEMO_DATADIR/" "$BK/data/$id2/" |
	grep -v '^\.d\.\.t\.\.\.\.\.\. \./$' || true)
[ -z "$out" ] || { echo "$out"; fail "the linked snapshot differs from rsync -a's copy"; }
# the linked files' checksums come from the first backup's list, and
# sha256sum -c agrees with them
grep -Eq "^[0-9]+ of [0-9]+ checksums taken from the earlier backup's list" "$T/run2.log" ||
	{ cat "$T/run2.log"; fail "the second backup read its linked files again"; }
(cd "$BK" && sha256sum --quiet -c "manifest/$id2/SHA256SUMS") || fail "sha256sum -c rejects the second backup"
cp -p "$T/chg.saved" "$DEMO_DATADIR/$chg"
chmod 0644 "$DEMO_DATADIR/$mode"
rm "$DEMO_DATADIR/templates/new.txt"
# the restore finds the snapshots: without --at the second backup's, with
# --at the first's dump, datadir and webroot
for at in "" "$id"; do
	want=${at:-$id2}
	"$BISO_RECOVER" restore --dry-run ${at:+--at "$at"} --config "$S/biso-recover.conf" --backup-root "$BK" \
		--webroot "$T/atnew/webroot" --config-php "$T/config.php" --log-dir "$T/log" > "$T/at.log" 2>&1 ||
		{ cat "$T/at.log"; fail "restore --dry-run ${at:+--at $at} failed"; }
	for src in "webroot/$want (directory)" "data/$want (directory)" "db/biso_$want.sql.gz"; do
		grep -qF "source: $BK/$src" "$T/at.log" || { cat "$T/at.log"; fail "restore ${at:+--at $at} did not take $src"; }
	done
done
maint_is_off "after the second backup"
echo "ok: the second backup hard-links unchanged files to the first, copies changed and new ones (rsync -ani --checksum agrees); the restore finds both snapshots (--at)"
n=$(ls "$BK/manifest" | wc -l)

# 4. Wrong database: refused before maintenance mode goes on.
on0=$(ons)
set +e
backup --dbname "host=$PGHOST port=$PGPORT user=postgres dbname=no_such_db" > "$T/wrongdb.log" 2>&1
rc=$?
set -e
[ $rc = 1 ] || { cat "$T/wrongdb.log"; fail "a backup of a missing database exited $rc, not 1"; }
grep -q "no_such_db" "$T/wrongdb.log" || { cat "$T/wrongdb.log"; fail "the error does not name the database"; }
grep -q "backup FAILED (exit 1)" "$T/wrongdb.log" || { cat "$T/wrongdb.log"; fail "a backup refused by its checks has no FAILED line for the cron mail"; }
[ "$(ons)" = "$on0" ] || fail "maintenance mode went on for a database that does not exist"
maint_is_off "wrong database"
nothing_published "wrong database" "$n"
echo "ok: a missing database is refused before maintenance mode goes on"

# 5. The dump fails after maintenance went on: off again, nothing published.
on0=$(ons)
set +e
BR_FAULT_FAIL=backup.dump BIN=$FAULTS backup > "$T/dumpfail.log" 2>&1
rc=$?
set -e
[ $rc = 1 ] || { cat "$T/dumpfail.log"; fail "a failed dump exited $rc, not 1"; }
[ "$(ons)" = $((on0 + 1)) ] || fail "maintenance mode did not go on before the failing dump"
maint_is_off "failed dump"
nothing_published "failed dump" "$n"
grep -q "backup FAILED" "$T/dumpfail.log" || { cat "$T/dumpfail.log"; fail "no FAILED line for the cron mail"; }
grep -q "maintenance mode was switched off again" "$T/dumpfail.log" ||
	{ cat "$T/dumpfail.log"; fail "the summary does not say that maintenance mode was switched off again"; }
echo "ok: a failing dump switches maintenance off again and publishes nothing"

# 5b. A backup root too small for the datadir: refused by the space check
#     before the copy, maintenance off, nothing published.
SMALL=$T/small
mkdir -p "$SMALL"
if mount -t tmpfs -o size=5m tmpfs "$SMALL" 2>/dev/null; then
	trap 'umount "$SMALL" 2>/dev/null; demo_test_cleanup' EXIT
	on0=$(ons)
	set +e
	"$BISO_RECOVER" backup --config "$S/biso-recover.conf" --backup-root "$SMALL" --log-dir "$T/log" > "$T/small.log" 2>&1
	rc=$?
	set -e
	[ $rc = 1 ] || { cat "$T/small.log"; fail "a backup root without room exited $rc, not 1"; }
	grep -q "step datadir failed: not enough space in $SMALL/data to copy the datadir" "$T/small.log" ||
		{ cat "$T/small.log"; fail "the space check did not stop the datadir copy"; }
	[ "$(ons)" = $((on0 + 1)) ] || fail "no room: maintenance mode did not go on"
	maint_is_off "no room"
	[ -z "$(find "$SMALL" -mindepth 2)" ] || { find "$SMALL"; fail "no room: something was left in the backup root"; }
	umount "$SMALL"
	trap demo_test_cleanup EXIT
	echo "ok: a backup root without room for the datadir: stopped before the copy, maintenance off, nothing left"
	# 5c. No room for the dump (estimated from the database's size): the
	#     database step stops before pg_dump runs.
	mount -t tmpfs -o size=1m tmpfs "$SMALL"
	trap 'umount "$SMALL" 2>/dev/null; demo_test_cleanup' EXIT
	set +e
	"$BISO_RECOVER" backup --config "$S/biso-recover.conf" --backup-root "$SMALL" --log-dir "$T/log" > "$T/small2.log" 2>&1
	rc=$?
	set -e
	[ $rc = 1 ] && grep -q "step database failed: not enough space in $SMALL/db/[0-9_]*\.partial to write the dump" "$T/small2.log" ||
		{ cat "$T/small2.log"; fail "the space check did not stop the dump (exit $rc)"; }
	! grep -q "running: pg_dump" "$T/small2.log" || fail "no room for the dump: pg_dump ran"
	maint_is_off "no room for the dump"
	[ -z "$(find "$SMALL" -mindepth 2)" ] || { find "$SMALL"; fail "no room for the dump: something was left"; }
	umount "$SMALL"
	# 5d. Room for one full backup, not for two: the second, linked to the
	#     first, needs room only for what changed, and fits.
	mount -t tmpfs -o size=14m tmpfs "$SMALL"
	"$BISO_RECOVER" backup --config "$S/biso-recover.conf" --backup-root "$SMALL" --log-dir "$T/log" > "$T/small3.log" 2>&1 ||
		{ cat "$T/small3.log"; df -h "$SMALL"; fail "one backup does not fit into 14 MiB"; }
	sleep 1 # a new id
	"$BISO_RECOVER" backup --config "$S/biso-recover.conf" --backup-root "$SMALL" --log-dir "$T/log" > "$T/small4.log" 2>&1 ||
		{ cat "$T/small4.log"; df -h "$SMALL"; fail "a linked second backup was refused for lack of room"; }
	grep -q "step datadir done .* unchanged ones linked to" "$T/small4.log" || { cat "$T/small4.log"; fail "the second backup was not linked"; }
	[ "$(ls "$SMALL/manifest" | wc -l)" = 2 ] || fail "no room for two: expected two backups"
	umount "$SMALL"
	trap demo_test_cleanup EXIT
	echo "ok: no room for the dump: stopped before pg_dump; a linked snapshot needs room only for what changed"
else
	echo "skipped: the space check (cannot mount a tmpfs here)"
fi

# 6. SIGTERM and SIGINT (Ctrl-C) while pg_dump runs, to the client (it asks
#    the runner to stop) and SIGTERM to the runner itself (the pid status
#    names).
mkdir -p "$T/bin"
real=$(command -v pg_dump)
cat > "$T/bin/pg_dump" <<EOF
#!/bin/sh
sleep 60 </dev/null >/dev/null 2>&1 &
s=\$!
trap 'kill \$s; exit 143' TERM HUP
touch "$T/dump-started"
wait \$s
exec "$real" "\$@"
EOF
chmod 755 "$T/bin/pg_dump"
for case in client:TERM client:INT runner:TERM; do
	to=${case%%:*} sig=${case#*:}
	rm -f "$T/dump-started"
	on0=$(ons)
	PATH=$T/bin:$PATH "$BISO_RECOVER" backup --config "$S/biso-recover.conf" --backup-root "$BK" \
		--log-dir "$T/log" > "$T/sig$to$sig.log" 2>&1 &
	pid=$!
	for _ in $(seq 300); do [ -e "$T/dump-started" ] && break; sleep 0.1; done
	[ -e "$T/dump-started" ] || { kill $pid 2>/dev/null || true; cat "$T/sig$to$sig.log"; fail "pg_dump did not start"; }
	target=$pid
	if [ $to = runner ]; then
		target=$("$BISO_RECOVER" status --config "$S/biso-recover.conf" --log-dir "$T/log" |
			sed -n 's/^run [0-9_]* (backup), pid \([0-9]*\),.*/\1/p' || true)
		[ -n "$target" ] && [ "$target" != $pid ] || { kill $pid 2>/dev/null || true; fail "status names no runner of the backup"; }
	fi
	kill -$sig $target
	set +e
	wait $pid
	rc=$?
	set -e
	[ $rc = 130 ] || { cat "$T/sig$to$sig.log"; fail "SIG$sig to the $to: exit $rc, not 130"; }
	grep -q "backup FAILED (exit 130)" "$T/sig$to$sig.log" || { cat "$T/sig$to$sig.log"; fail "SIG$sig to the $to: no FAILED line"; }
	[ "$(ons)" = $((on0 + 1)) ] || fail "SIG$sig to the $to: maintenance mode was not on"
	maint_is_off "SIG$sig to the $to"
	nothing_published "SIG$sig to the $to" "$n"
done
echo "ok: SIGTERM and SIGINT (Ctrl-C) during the dump, to the client or the runner, switch maintenance off and publish nothing"

# 6a. SIGTERM while migration_status hangs (it runs on a thread beside the
#     dump): the runner stops biso-cli's PHP child too, so the backup ends
#     with maintenance mode off instead of waiting for PHP with it on.  The
#     stand-in php hangs on "migration status" only (it runs as www-data,
#     so its marker goes into a directory that user may write).
mkdir -p "$T/bin3" "$T/mark"
chmod 777 "$T/mark"
cat > "$T/bin3/php" <<EOF
#!/bin/sh
if [ "\$2 \$3" = "migration status" ]; then
	echo \$\$ > "$T/mark/migr.pid"
	exec sleep 300
fi
exec "$(command -v php)" "\$@"
EOF
chmod 755 "$T/bin3/php"
sed "s|^php = .*|php = \"$T/bin3/php\";|" "$S/biso-recover.conf" > "$T/hang.conf"
grep -q "^php = \"$T/bin3/php\";" "$T/hang.conf" || fail "cannot point hang.conf at the stand-in php"
on0=$(ons)
"$BISO_RECOVER" backup --config "$T/hang.conf" --backup-root "$BK" --log-dir "$T/log" > "$T/sigmigr.log" 2>&1 &
pid=$!
for _ in $(seq 600); do [ -s "$T/mark/migr.pid" ] && break; sleep 0.1; done
[ -s "$T/mark/migr.pid" ] || { kill $pid 2>/dev/null || true; cat "$T/sigmigr.log"; fail "migration status did not start"; }
kill -TERM $pid
# bounded: a backup that waits for the hung PHP child is released below
for _ in $(seq 600); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
	kill "$(cat "$T/mark/migr.pid")" 2>/dev/null || true
	wait $pid || true
	cat "$T/sigmigr.log"
	fail "SIGTERM while migration status hangs: the backup did not end within 60 s (it waits for biso-cli with maintenance mode on)"
fi
set +e
wait $pid
rc=$?
set -e
[ $rc = 130 ] || { cat "$T/sigmigr.log"; fail "SIGTERM while migration status hangs: exit $rc, not 130"; }
! kill -0 "$(cat "$T/mark/migr.pid")" 2>/dev/null || fail "SIGTERM while migration status hangs: biso-cli's PHP child still runs"
[ "$(ons)" = $((on0 + 1)) ] || fail "SIGTERM while migration status hangs: maintenance mode was not on"
maint_is_off "SIGTERM while migration status hangs"
nothing_published "SIGTERM while migration status hangs" "$n"
echo "ok: SIGTERM while migration status hangs stops biso-cli and switches maintenance off"

# 6b. The client hung up (SIGHUP: the SSH connection dropped) or killed
#     (SIGKILL) while pg_dump runs: the runner goes on; once the dump may
#     finish, the backup completes, status says finished with exit 0,
#     maintenance is off and backup-verify accepts the backup.
mkdir -p "$T/bin2"
cat > "$T/bin2/pg_dump" <<EOF
#!/bin/sh
touch "$T/dump-started"
while [ ! -e "$T/dump-go" ]; do sleep 0.1; done
exec "$real" "\$@"
EOF
chmod 755 "$T/bin2/pg_dump"
status() { "$BISO_RECOVER" status --config "$S/biso-recover.conf" --log-dir "$T/log" "$@"; }
for sig in HUP KILL; do
	rm -f "$T/dump-started" "$T/dump-go"
	on0=$(ons)
	PATH=$T/bin2:$PATH "$BISO_RECOVER" backup --config "$S/biso-recover.conf" --backup-root "$BK" \
		--log-dir "$T/log" > "$T/client$sig.log" 2>&1 &
	pid=$!
	for _ in $(seq 600); do [ -e "$T/dump-started" ] && break; sleep 0.1; done
	[ -e "$T/dump-started" ] || { kill $pid 2>/dev/null || true; cat "$T/client$sig.log"; fail "SIG$sig: pg_dump did not start"; }
	kill -$sig $pid
	set +e
	wait $pid
	set -e
	set +e; status > "$T/st$sig.txt"; rc=$?; set -e
	[ $rc = 4 ] || { cat "$T/client$sig.log" "$T/st$sig.txt"; fail "SIG$sig to the client: the backup is not running on (status exit $rc)"; }
	grep -q "(backup)" "$T/st$sig.txt" || { cat "$T/st$sig.txt"; fail "SIG$sig: status does not name the backup flow"; }
	! grep -q "backup FAILED" "$T/client$sig.log" || { cat "$T/client$sig.log"; fail "SIG$sig: the client said FAILED for a backup that goes on"; }
	if [ $sig = HUP ]; then
		# backup started again attaches to the live run and ends with it
		"$BISO_RECOVER" backup --config "$S/biso-recover.conf" --backup-root "$BK" \
			--log-dir "$T/log" > "$T/again.log" 2>&1 &
		again=$!
		for _ in $(seq 600); do grep -q "attaching to it" "$T/again.log" && break; sleep 0.1; done
		grep -q "A backup of this instance is running: attaching to it" "$T/again.log" ||
			{ kill $again 2>/dev/null || true; cat "$T/again.log"; fail "backup started again does not attach to the live backup"; }
		touch "$T/dump-go"
		set +e; wait $again; rc=$?; set -e
		[ $rc = 0 ] || { cat "$T/again.log"; fail "the attached backup client exited $rc, not 0"; }
		grep -q "^maintenance mode was on for" "$T/again.log" || { cat "$T/again.log"; fail "the attached client did not print the summary"; }
	fi
	touch "$T/dump-go"
	for _ in $(seq 1200); do
		set +e; status > "$T/st$sig.txt"; rc=$?; set -e
		[ $rc = 4 ] || [ $rc = 5 ] || break
		sleep 0.5
	done
	[ $rc = 0 ] || { cat "$T/st$sig.txt"; fail "SIG$sig to the client: status exits $rc, not 0"; }
	[ "$(ons)" = $((on0 + 1)) ] || fail "SIG$sig: maintenance mode was not on once"
	maint_is_off "SIG$sig to the client"
	[ "$(ls "$BK/manifest" | wc -l)" = $((n + 1)) ] || { ls "$BK/manifest"; fail "SIG$sig: no new backup was published"; }
	n=$((n + 1))
	"$BISO_RECOVER" backup-verify --config "$S/biso-recover.conf" --backup-root "$BK" --log-dir "$T/log" \
		"$(ls "$BK/manifest" | tail -n 1)" > "$T/verify$sig.log" 2>&1 || { cat "$T/verify$sig.log"; fail "SIG$sig: backup-verify rejects the backup"; }
	sleep 1 # a new backup id
done
echo "ok: the client hung up or killed during the dump: the backup completes (backup started again attaches to it), status 0, maintenance off, it verifies"

# 7. kill -9 during the datadir copy: the next command switches it off.
on0=$(ons)
set +e
BR_FAULT_KILL=backup.datadir.start BIN=$FAULTS backup > "$T/kill.log" 2>&1
rc=$?
set -e
rc=$(runner_fault_rc "$T/kill.log")
[ $rc = 137 ] || { cat "$T/kill.log"; fail "the fault did not kill the backup (exit $rc)"; }
[ -e "$DEMO_DATADIR/maintenance.on" ] && [ -e "$T/log/maintenance-on" ] || fail "kill -9: maintenance was not on with its marker"
# a dry run only says so: it changes nothing, the instance's mode included
# (backup's, and restore's, whose dry run is the newcomer's first command)
for cmd in backup restore; do
	"$BISO_RECOVER" $cmd --dry-run --config "$S/biso-recover.conf" --backup-root "$BK" --log-dir "$T/log" > "$T/dry.log" 2>&1 ||
		{ cat "$T/dry.log"; fail "the $cmd dry run after kill -9 failed"; }
	grep -q "ended while maintenance mode was on in $DEMO_WEBROOT: the next command that is not a dry run" "$T/dry.log" ||
		{ cat "$T/dry.log"; fail "the $cmd dry run does not say maintenance is on"; }
	[ -e "$DEMO_DATADIR/maintenance.on" ] && [ -e "$T/log/maintenance-on" ] || { cat "$T/dry.log"; fail "a $cmd dry run switched maintenance off"; }
done
"$BISO_RECOVER" backup-verify --config "$S/biso-recover.conf" --backup-root "$BK" --log-dir "$T/log" > "$T/next.log" 2>&1 ||
	{ cat "$T/next.log"; fail "the next command failed"; }
grep -q "ended while maintenance mode was on in $DEMO_WEBROOT: switching it off" "$T/next.log" ||
	{ cat "$T/next.log"; fail "the next command does not say it switches maintenance off"; }
maint_is_off "after kill -9 and the next command"
# the next backup removes what the killed one left under .partial
backup > "$T/run3.log" 2>&1 || { cat "$T/run3.log"; fail "the backup after kill -9 failed"; }
grep -q "left by an earlier backup that did not finish" "$T/run3.log" || { cat "$T/run3.log"; fail "the killed backup's parts were not named"; }
nothing_published "after the backup that followed kill -9" "$((n + 1))"
echo "ok: kill -9: the next command switches maintenance off, the next backup removes the half-written parts"

# 8. A flipped byte in the newest backup's dump or datadir file: the restore
#    refuses that backup by name before changing anything.
newest=$(ls "$BK/manifest" | tail -n 1)
sed "s/'dbname' *=> *'biso'/'dbname'   => 'biso_copy2'/" "$BK/webroot/$newest/config.php" > "$T/config2.php"
flip() { # FILE: invert the byte at offset 100
	local b
	b=$(od -An -tu1 -j100 -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((255 - b)))" | dd of="$1" bs=1 seek=100 conv=notrunc status=none
}
for part in "db/biso_$newest.sql.gz" "data/$newest/fonts/DejaVuSans.ttf"; do
	flip "$BK/$part"
	set +e
	"$BISO_RECOVER" restore --yes --config "$S/biso-recover.conf" --backup-root "$BK" --webroot "$T/new2/webroot" \
		--config-php "$T/config2.php" --log-dir "$T/log" > "$T/damaged.log" 2>&1
	rc=$?
	# the hint's backup-verify, pasted as printed, checks this backup root
	# (newcomer 8.4: without --config and --backup-root it checked the
	# configured root and said ok)
	cmd=$(tr '\n' ' ' < "$T/damaged.log" | sed -n 's/.*; biso-recover \(backup-verify .*\) names every damaged file\..*/\1/p')
	case $cmd in
	*"--config $S/biso-recover.conf"*"--backup-root $BK"*" $newest") ;;
	*) cat "$T/damaged.log"; fail "the hint's backup-verify lacks the run's instance options: '$cmd'" ;;
	esac
	eval "\"\$BISO_RECOVER\" $cmd" > "$T/pasted.log" 2>&1 && { cat "$T/pasted.log"; fail "the pasted backup-verify says the damaged backup is whole"; }
	grep -q "^DAMAGED $part: checksum mismatch" "$T/pasted.log" || { cat "$T/pasted.log"; fail "the pasted backup-verify does not name $part"; }
	if [ "${part#db/}" != "$part" ]; then
		# the damaged dump: the hint names the newest older one and the
		# commands that take it, with this run's options (newcomer 8.4:
		# line mode named none); pasted (as a dry run: it checks that
		# backup against its manifest too) they pass
		older=$(grep -o "The newest older dump not known to be damaged is [^;]*" "$T/damaged.log" | sed 's/.* is //')
		case $older in
		"$BK"/db/*.sql.gz) [ "$older" != "$BK/$part" ] && [ -f "$older" ] || fail "the hint names '$older'" ;;
		*) cat "$T/damaged.log"; fail "the refusal names no older dump" ;;
		esac
		for k in at dump; do
			cmd=$(sed -n "s/^  biso-recover \(restore --$k .*\)\$/\1/p" "$T/damaged.log")
			case $cmd in
			*"--config $S/biso-recover.conf"*"--backup-root $BK"*) ;;
			*) cat "$T/damaged.log"; fail "the hint's --$k command lacks the instance options: '$cmd'" ;;
			esac
			eval "\"\$BISO_RECOVER\" $cmd --dry-run" > "$T/pasted-$k.log" 2>&1 ||
				{ cat "$T/pasted-$k.log"; fail "the hint's --$k command, pasted (dry run), failed"; }
		done
		grep -qF -- "--dump $older" "$T/damaged.log" || fail "the --dump command does not name $older"
		echo "ok: the refusal of a damaged dump names $older and two commands that work"
	fi
	set -e
	flip "$BK/$part" # back as it was
	[ $rc != 0 ] || { cat "$T/damaged.log"; fail "the restore took a backup with a flipped byte in $part"; }
	grep -q "backup $newest is damaged: $part: checksum mismatch" "$T/damaged.log" ||
		{ cat "$T/damaged.log"; fail "the refusal does not name $part"; }
	grep -q "nothing was touched" "$T/damaged.log" || { cat "$T/damaged.log"; fail "the refusal does not say nothing was touched"; }
	[ ! -e "$T/new2" ] || fail "the refused restore created $T/new2"
	[ -z "$(psql -Atc "SELECT 1 FROM pg_database WHERE datname LIKE 'biso_copy2%'")" ] || fail "the refused restore created a database"
done
# the wizard without a terminal names the batch restore with this run's
# options (it named 'biso-recover restore --yes', which restores another
# instance when pasted)
set +e
"$BISO_RECOVER" wizard restore --config "$S/biso-recover.conf" --backup-root "$BK" --log-dir "$T/log" \
	< /dev/null > "$T/notty.log" 2>&1
rc=$?
set -e
[ $rc = 2 ] && grep -qF "'biso-recover restore --yes --config $S/biso-recover.conf --backup-root $BK --log-dir $T/log'" "$T/notty.log" ||
	{ cat "$T/notty.log"; fail "the wizard without a terminal: exit $rc, or its batch command lacks the instance options"; }
# ... and the backup's and refresh's wizards their own flow's command (both
# named the restore before; the refresh's with a policy, which it needs:
# refresh-demo.sh runs it)
for flow in backup refresh; do
	set +e
	"$BISO_RECOVER" wizard $flow --config "$S/biso-recover.conf" --log-dir "$T/log" \
		< /dev/null > "$T/notty-$flow.log" 2>&1
	rc=$?
	set -e
	want="'biso-recover backup --config $S/biso-recover.conf --log-dir $T/log'"
	[ $flow = refresh ] &&
		want="'biso-recover refresh --attachments placeholder --yes --config $S/biso-recover.conf --log-dir $T/log'"
	[ $rc = 2 ] && grep -qF "$want" "$T/notty-$flow.log" ||
		{ cat "$T/notty-$flow.log"; fail "wizard $flow without a terminal: exit $rc, or it does not name $want"; }
done
# a damaged attachment does not block restoring the database of that backup
part="data/$newest/fonts/DejaVuSans.ttf"
flip "$BK/$part"
set +e
"$BISO_RECOVER" restore --dry-run --only database --config "$S/biso-recover.conf" --backup-root "$BK" \
	--webroot "$T/new2/webroot" --config-php "$T/config2.php" --log-dir "$T/log" > "$T/dbonly.log" 2>&1
rc=$?
set -e
flip "$BK/$part"
[ $rc = 0 ] || { cat "$T/dbonly.log"; fail "a damaged datadir file blocked a database-only restore (exit $rc)"; }
grep -q "damaged in parts this run does not read: $part" "$T/dbonly.log" ||
	{ cat "$T/dbonly.log"; fail "the damage outside the run's parts is not said"; }
(cd "$BK" && sha256sum --quiet -c "manifest/$newest/SHA256SUMS") || fail "the flipped bytes were not put back"
"$BISO_RECOVER" restore --dry-run --config "$S/biso-recover.conf" --backup-root "$BK" --webroot "$T/new2/webroot" \
	--config-php "$T/config2.php" --log-dir "$T/log" > "$T/whole.log" 2>&1 || { cat "$T/whole.log"; fail "the whole backup is refused"; }
grep -q "checking backup $newest against its manifest" "$T/whole.log" || { cat "$T/whole.log"; fail "the restore did not check the manifest"; }
echo "ok: a flipped byte in the dump or a datadir file: the restore refuses the backup by name, nothing touched"

# 9. backup-verify --restore-test: the dump replays into a scratch database
#    whose rows per table equal the manifest's, which is dropped again; a
#    manifest that counts a row more is caught.
verify() { "$BISO_RECOVER" backup-verify --restore-test --config "$S/biso-recover.conf" --backup-root "$BK" --log-dir "$T/log" "$@"; }
verify "$newest" > "$T/rt.log" 2>&1 || { cat "$T/rt.log"; fail "--restore-test of a whole backup failed"; }
grep -q "ok: restore test: the dump restores into biso_verify_$newest, all 8 tables have the manifest's rows" "$T/rt.log" ||
	{ cat "$T/rt.log"; fail "--restore-test did not compare the 8 tables"; }
grep -Eq "^verified .* restore-test ok$" "$BK/manifest/$newest/MANIFEST" || fail "the restore test is not recorded in the manifest"
[ -z "$(psql -Atc "SELECT 1 FROM pg_database WHERE datname LIKE 'biso_verify_%'")" ] || fail "the scratch database was not dropped"
cp -p "$BK/manifest/$newest/MANIFEST" "$T/MANIFEST.saved"
sed -i 's/^table 400 public\.person$/table 401 public.person/' "$BK/manifest/$newest/MANIFEST"
set +e
verify "$newest" > "$T/rt2.log" 2>&1
rc=$?
set -e
[ $rc = 1 ] || { cat "$T/rt2.log"; fail "a row count that differs from the manifest exited $rc, not 1"; }
grep -q "DAMAGED public.person: 400 rows, the manifest says 401" "$T/rt2.log" || { cat "$T/rt2.log"; fail "the differing table is not named"; }
grep -Eq "^verified .* restore-test damaged$" "$BK/manifest/$newest/MANIFEST" || fail "the failed restore test is not recorded"
[ -z "$(psql -Atc "SELECT 1 FROM pg_database WHERE datname LIKE 'biso_verify_%'")" ] || fail "the scratch database was not dropped after a failed test"
cp -p "$T/MANIFEST.saved" "$BK/manifest/$newest/MANIFEST"
echo "ok: --restore-test replays the dump, compares rows per table with the manifest, drops the scratch database"

# 10. A role that may not call pg_control_system() (revoked in biso: a
#     function's privileges are per database): the backup still works,
#     says in its log that the identity cannot be read, and the manifest
#     has the name but no system_identifier.
psql -qX -d biso -c "REVOKE EXECUTE ON FUNCTION pg_control_system() FROM PUBLIC"
sleep 1 # a new id
set +e
backup > "$T/noid.log" 2>&1
rc=$?
set -e
psql -qX -d biso -c "GRANT EXECUTE ON FUNCTION pg_control_system() TO PUBLIC"
[ $rc = 0 ] || { cat "$T/noid.log"; fail "a backup without pg_control_system() failed (exit $rc)"; }
grep -q "the server's system identifier cannot be read (.*permission denied" "$T/noid.log" ||
	{ cat "$T/noid.log"; fail "the backup does not say the identity cannot be read"; }
id3=$(ls "$BK/manifest" | tail -n 1)
! grep -q "^system_identifier " "$BK/manifest/$id3/MANIFEST" || fail "a system_identifier without pg_control_system()"
grep -qx "dbname biso" "$BK/manifest/$id3/MANIFEST" || fail "the manifest of $id3 lacks dbname biso"
echo "ok: without pg_control_system() the manifest has no system_identifier and the log says why"

# 11. The log database (log_database.enabled): dumped beside the main one
#     while maintenance mode is on, as db/biso_log_<id>.sql.gz, whose SQL is
#     pg_dump's, listed in the manifest and the checksums.
psql -qX -c "CREATE DATABASE biso_log OWNER biso"
psql -qX -U biso -d biso_log -c "CREATE TABLE audit (id int PRIMARY KEY, what text)" \
	-c "INSERT INTO audit SELECT g, 'event ' || g FROM generate_series(1, 50) g"
{ cat "$S/biso-recover.conf"; printf 'log_database = {\n  enabled = true;\n  dbname = "biso_log";\n};\n'; } > "$T/log.conf"
sleep 1 # a new id
"$BISO_RECOVER" backup --config "$T/log.conf" --backup-root "$BK" --log-dir "$T/log" > "$T/logdb.log" 2>&1 ||
	{ cat "$T/logdb.log"; fail "the backup with the log database failed"; }
id4=$(ls "$BK/manifest" | tail -n 1)
gzip -t "$BK/db/biso_log_$id4.sql.gz" || fail "gzip -t rejects the log database's dump"
strip() { grep -v -e '^\\restrict ' -e '^\\unrestrict '; }
diff <(gunzip -c "$BK/db/biso_log_$id4.sql.gz" | strip) \
	<(pg_dump --no-owner --no-privileges --clean --if-exists -d biso_log | strip) > "$T/logdb.diff" ||
	{ head -20 "$T/logdb.diff"; fail "the log database's dump differs from pg_dump's"; }
grep -q "^part log_db 1 [0-9]* db/biso_log_$id4.sql.gz$" "$BK/manifest/$id4/MANIFEST" || fail "the manifest lacks the log_db part"
(cd "$BK" && sha256sum --quiet -c "manifest/$id4/SHA256SUMS") || fail "sha256sum -c rejects the backup with the log database"
grep -q "  db/biso_log_$id4.sql.gz$" "$BK/manifest/$id4/SHA256SUMS" || fail "the log database's dump is not in SHA256SUMS"
maint_is_off "backup with the log database"
echo "ok: the log database is dumped beside the main one, as pg_dump writes it, and listed in the manifest"
