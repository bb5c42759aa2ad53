#!/bin/bash
# biso-recover refresh on the demo's test instance (env dev, database
# biso_test) from the demo production's backup set, on a throw-away cluster:
# the guards of the preflight (env, production's identity, no policy), each
# attachments policy, --keep-table, --keep-old, an anonymizer that changes
# nothing, and a refresh failing half way.  Each case says what it proves.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
demo_test_setup refresh "chown of the datadir to www-data, runuser postgres"

TW=$DEMO_TEST_WEBROOT
TD=$DEMO_TEST_DATADIR
CALLS=$TW/biso-cli.calls
# the demo's test configuration with services that leave a mark
CONF=$T/refresh.conf
sed "/^services = {/a\\
  stop_services = ( [ \"/usr/bin/touch\", \"$T/stopped\" ] );\\
  start_services = ( [ \"/usr/bin/touch\", \"$T/started\" ] );" "$DEMO_TEST_CONFIG" > "$CONF"

refresh() { "$BISO_RECOVER" refresh --config "$CONF" "$@"; }
db_state() { pg_dump --no-owner --no-privileges -d "$1" | grep -v '^\\\(un\)\?restrict ' | sha256sum; }
# the datadir as the refresh sees it: without what biso-cli logs (*.log, as
# datadir_excludes) and its maintenance.on
dir_state() { (cd "$1" && find . ! -name '*.log' ! -name maintenance.on -printf '%p %s %m\n' | LC_ALL=C sort &&
	find . -type f ! -name '*.log' ! -name maintenance.on -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum; }
reset_marks() { rm -f "$T/stopped" "$T/started"; : > "$CALLS"; }
untouched() { # CASE: test database, datadir, services and biso-cli as before
	[ "$(db_state biso_test)" = "$db0" ] || fail "$1: the test database changed"
	[ "$(dir_state "$TD")" = "$dd0" ] || fail "$1: the test datadir changed"
	[ ! -e "$T/stopped" ] && [ ! -e "$T/started" ] || fail "$1: services were stopped or started"
	[ ! -s "$CALLS" ] || { cat "$CALLS"; fail "$1: biso-cli ran"; }
}
db0=$(db_state biso_test)
dd0=$(dir_state "$TD")
prod0=$(db_state biso)

# 1. The target's config.php says env PROD: stopped in the preflight, also
#    with --yes; nothing touched, the anonymizer (biso-cli at all) never ran.
reset_marks
cp -p "$TW/config.php" "$T/config.php.dev"
sed -i "s/^Config::set('env', 'dev');/Config::set('env', 'PROD');/" "$TW/config.php"
grep -q "^Config::set('env', 'PROD');" "$TW/config.php" || fail "could not set env PROD"
set +e; refresh --yes --attachments copy > "$T/prod.log" 2>&1; rc=$?; set -e
[ $rc = 2 ] || { cat "$T/prod.log"; fail "env PROD: exit $rc, expected 2"; }
grep -q "says env 'PROD', not 'dev'" "$T/prod.log" || { cat "$T/prod.log"; fail "env PROD: no reason given"; }
grep -q "nothing was touched" "$T/prod.log" || { cat "$T/prod.log"; fail "env PROD: does not say nothing was touched"; }
untouched "env PROD"
cp -p "$T/config.php.dev" "$TW/config.php"
echo "ok: a target saying env PROD is refused in the preflight with --yes, nothing touched, biso-cli never ran"

# 2. A target whose config.php names production's database (same server,
#    so the same system_identifier, and the same name): stopped in the
#    preflight; production's database untouched.
reset_marks
sed "s/'dbname' *=> *'biso_test'/'dbname'   => 'biso'/" "$TW/config.php" > "$T/prodlike.config.php"
grep -q "'dbname'   => 'biso'," "$T/prodlike.config.php" || fail "could not name database biso"
set +e; refresh --yes --attachments skip --config-php "$T/prodlike.config.php" > "$T/ident.log" 2>&1; rc=$?; set -e
[ $rc = 2 ] || { cat "$T/ident.log"; fail "production's database: exit $rc, expected 2"; }
grep -q 'the target database "biso" is production'"'"'s: same server (system identifier [0-9]*)' "$T/ident.log" ||
	{ cat "$T/ident.log"; fail "production's database: not refused by identity"; }
untouched "production's database"
[ "$(db_state biso)" = "$prod0" ] || fail "production's database changed"
echo "ok: a target whose database is production's (system identifier and name) is refused in the preflight"

# 3. No attachments policy: refused before anything (no silent default).
reset_marks
set +e; refresh --yes > "$T/nopolicy.log" 2>&1; rc=$?; set -e
[ $rc = 2 ] && grep -q 'no attachments policy chosen' "$T/nopolicy.log" ||
	{ cat "$T/nopolicy.log"; fail "no policy: exit $rc, expected 2 and a refusal"; }
untouched "no policy"
echo "ok: without --attachments the refresh refuses to choose"

# 4. A refresh failing half way (a dump cut in its data): maintenance was on
#    and the services stopped; afterwards maintenance is off, the services
#    are started, the old test database is in place, the anonymizer never ran.
reset_marks
{ gunzip -c "$DEMO_DUMP" || true; } | head -n 300 | gzip > "$T/biso_cut.sql.gz"
set +e; refresh --yes --attachments skip --dump "$T/biso_cut.sql.gz" > "$T/cut.log" 2>&1; rc=$?; set -e
[ $rc = 1 ] || { cat "$T/cut.log"; fail "cut dump: exit $rc, expected 1"; }
[ "$(db_state biso_test)" = "$db0" ] || fail "cut dump: the old test database is not in place"
[ "$(dir_state "$TD")" = "$dd0" ] || fail "cut dump: the test datadir changed"
[ -e "$T/stopped" ] && [ -e "$T/started" ] || fail "cut dump: services not stopped and started again"
[ ! -e "$TD/maintenance.on" ] || fail "cut dump: maintenance mode still on"
[ "$(cat "$CALLS")" = "$(printf 'maintenance on\nmaintenance off')" ] || { cat "$CALLS"; fail "cut dump: biso-cli calls"; }
echo "ok: a refresh failing half way leaves maintenance off, services started, the old test database"

# 5. placeholder with --keep-table params: the database is production's
#    dump + migrations + anonymizer, the test's params rows survive, every
#    attachment path is there holding none of production's bytes.
reset_marks
refresh --yes --attachments placeholder --keep-table params > "$T/ph.log" 2>&1 || { cat "$T/ph.log"; fail "placeholder: failed"; }
grep -Eq 'free space for the datadir: [0-9]+\.[0-9] [KMGT]iB in .*, about ([0-9]+\.[0-9] [KMGT]iB|[0-9]+ B) needed' "$T/ph.log" ||
	{ cat "$T/ph.log"; fail "the datadir's free space is not in humanised units"; }
grep -q '^[^ ]* holds [0-9]* files' "$T/ph.log" && ! grep -qi 'dry run' "$T/ph.log" ||
	{ cat "$T/ph.log"; fail "a real refresh speaks of a dry run (or its preflight scanned nothing)"; }
[ "$(psql -XAt -U biso -d biso_test -c "SELECT wert FROM params WHERE kunde = 'test'")" = test@example.invalid ] ||
	fail "--keep-table params: the test's row is gone"
[ "$(psql -XAt -U biso -d biso_test -c "SELECT count(*) FROM person WHERE nachname <> 'Muster-' || id")" = 0 ] ||
	fail "placeholder: persons not anonymized"
for t in beratungsfall bf_notiz; do
	[ "$(psql -XAt -d biso_test -c "COPY (SELECT * FROM $t ORDER BY 1) TO STDOUT" | sha256sum)" = \
	  "$(psql -XAt -d biso -c "COPY (SELECT * FROM $t ORDER BY 1) TO STDOUT" | sha256sum)" ] ||
		fail "placeholder: $t differs from production's"
done
[ "$(psql -XAt -U biso -d biso_test -c 'SELECT count(*) FROM migrations')" = 3 ] || fail "placeholder: migrations not applied"
(cd "$DEMO_BACKUP_ROOT/data/attachments" && find . -type f | LC_ALL=C sort) > "$T/att.prod"
(cd "$TD/attachments" && find . -type f | LC_ALL=C sort) > "$T/att.test"
diff "$T/att.prod" "$T/att.test" || fail "placeholder: not the same attachment paths"
while read -r f; do
	grep -q '^PLACEHOLDER$' "$TD/attachments/$f" || fail "placeholder: $f is no placeholder"
	! cmp -s "$TD/attachments/$f" "$DEMO_BACKUP_ROOT/data/attachments/$f" || fail "placeholder: $f is production's"
	# no 16-byte run of the original in it
	head -c 16 "$DEMO_BACKUP_ROOT/data/attachments/$f" > "$T/head16"
	! grep -qF -f "$T/head16" "$TD/attachments/$f" 2>/dev/null || fail "placeholder: $f holds production's bytes"
done < "$T/att.prod"
diff -r "$DEMO_BACKUP_ROOT/data/templates" "$TD/templates" || fail "placeholder: templates not copied"
[ ! -e "$TD/maintenance.on" ] || fail "placeholder: maintenance mode still on"
[ ! -e "$S/log-test/maintenance-on" ] || fail "placeholder: the maintenance marker was left"
[ -e "$T/stopped" ] && [ -e "$T/started" ] || fail "placeholder: services not stopped and started"
[ -z "$(psql -XAt -c "SELECT datname FROM pg_database WHERE datname LIKE 'biso_test_pre_refresh_%'")" ] ||
	fail "placeholder: the previous test database was not dropped"
grep -q '^anonymizer anonymize --do-it$' "$CALLS" || fail "placeholder: the anonymizer did not run"
report=$(ls "$S"/log-test/refresh-*.txt | tail -1)
grep -q '^attachments: placeholder' "$report" && grep -q '^person: 0 of 400 rows as in production, threshold 0$' "$report" ||
	{ cat "$report"; fail "placeholder: the report lacks the policy or the check"; }
# the tables without a threshold that still hold production's values (the
# demo's anonymizer changes person only): a warning line each in the log,
# the summary and the report, the refresh ends 0 (a newcomer saw exit 0 and
# no word about them)
n=$(psql -XAt -d biso -c 'SELECT count(*) FROM beratungsfall')
grep -q "^beratungsfall: $n of $n rows as in production, no threshold$" "$report" &&
	grep -q '^warning: beratungsfall has no threshold (refresh.check_fail_tables):$' "$report" &&
	grep -q "^  its $n rows with production's values do not fail the refresh$" "$report" ||
	{ cat "$report"; fail "placeholder: the report does not say that beratungsfall has no threshold"; }
sed -n '/^Summary:$/,$p' "$T/ph.log" > "$T/ph.summary"
grep -q '^warning: beratungsfall has no threshold (refresh.check_fail_tables):$' "$T/ph.summary" &&
	grep -q '^warning: bf_notiz has no threshold' "$T/ph.summary" &&
	grep -Eq "check .* [0-9]+ rows in 5 tables without a threshold still hold production's values; none above a threshold" "$T/ph.summary" ||
	{ cat "$T/ph.log"; fail "placeholder: the summary does not warn about the tables without a threshold"; }
# the check step's line leads with the rows left as in production (the
# wizard's headline shows it); their sum is the report's
rows=$(sed -n "s/^\([a-z_]*\): \([0-9]*\) of [0-9]* rows as in production, no threshold$/\2/p" "$report" | awk '{ s += $1 } END { print s }')
grep -q " $rows rows in 5 tables without a threshold" "$T/ph.summary" ||
	{ cat "$T/ph.summary"; fail "placeholder: the check's line does not say the $rows rows left"; }
grep -q '^maintenance mode: off again$' "$T/ph.summary" ||
	{ cat "$T/ph.summary"; fail "placeholder: the summary does not say that maintenance mode is off again"; }
grep -q "warning: anonymization check: beratungsfall has no threshold: its $n rows" "$T/ph.log" ||
	{ cat "$T/ph.log"; fail "placeholder: no warning line in the log"; }
echo "ok: placeholder: production's data anonymized, params kept, same attachment paths without production's bytes"

# 6. skip with --keep-old, without --keep-table: production's params, the
#    attachment folder empty, the previous test database kept.
reset_marks
refresh --yes --attachments skip --keep-old > "$T/skip.log" 2>&1 || { cat "$T/skip.log"; fail "skip: failed"; }
[ "$(psql -XAt -U biso -d biso_test -c "SELECT count(*) FROM params WHERE kunde = 'test'")" = 0 ] ||
	fail "without --keep-table: the test's params row is still there"
[ -d "$TD/attachments" ] && [ -z "$(ls -A "$TD/attachments")" ] || fail "skip: attachments not empty"
kept=$(psql -XAt -c "SELECT datname FROM pg_database WHERE datname LIKE 'biso_test_pre_refresh_%'")
[ -n "$kept" ] || fail "--keep-old: the previous test database is gone"
echo "ok: skip leaves no attachment, production's params without --keep-table, --keep-old keeps $kept"

# 7. copy: the attachments equal production's.
reset_marks
refresh --yes --attachments copy > "$T/copy.log" 2>&1 || { cat "$T/copy.log"; fail "copy: failed"; }
diff -r "$DEMO_BACKUP_ROOT/data/attachments" "$TD/attachments" || fail "copy: attachments differ from production's"
echo "ok: copy: the attachments equal production's"

# 8. An anonymizer that exits 0 but changes nothing: the check fails the
#    refresh, maintenance mode stays on and the output says so.
reset_marks
sed -i 's/^    \$n = \$db->exec("UPDATE person SET$/    $n = 0; if (false) $db->exec("UPDATE person SET/' "$TW/biso-cli"
grep -q 'if (false) \$db->exec("UPDATE person' "$TW/biso-cli" || fail "could not disarm the anonymizer"
set +e; refresh --yes --attachments skip > "$T/noop.log" 2>&1; rc=$?; set -e
[ $rc = 1 ] || { cat "$T/noop.log"; fail "no-op anonymizer: exit $rc, expected 1"; }
grep -q 'anonymization check failed: person (400 rows) still hold production' "$T/noop.log" ||
	{ cat "$T/noop.log"; fail "no-op anonymizer: the check did not fail on person"; }
grep -q 'MAINTENANCE MODE STAYS ON' "$T/noop.log" || { cat "$T/noop.log"; fail "no-op anonymizer: not said that maintenance stays on"; }
[ -e "$TD/maintenance.on" ] || fail "no-op anonymizer: maintenance mode was switched off"
! grep -q '^maintenance off$' "$CALLS" || fail "no-op anonymizer: biso-cli maintenance off ran"
# on purpose: no maintenance marker, so the next command does not switch it off
[ ! -e "$S/log-test/maintenance-on" ] || fail "no-op anonymizer: the maintenance marker was left"
"$BISO_RECOVER" status --config "$CONF" > /dev/null 2>&1 || true
[ -e "$TD/maintenance.on" ] || fail "no-op anonymizer: the next command switched maintenance off"
echo "ok: an anonymizer changing nothing fails the check; maintenance mode stays on"

# 9. From a backup biso-recover backup wrote (with its manifest): production's
#    identity comes from the manifest (no refresh.production_config needed),
#    the refresh works from it, and a damaged backup is refused by name in
#    the preflight with nothing touched.
sed -i 's/if (false) \$db->exec("UPDATE person/$db->exec("UPDATE person/; s/^    \$n = 0; \$db->exec/    $n = $db->exec/' "$TW/biso-cli"
grep -q '^    \$n = \$db->exec("UPDATE person SET$' "$TW/biso-cli" || fail "could not re-arm the anonymizer"
mkdir -p "$T/bk"
"$BISO_RECOVER" backup --config "$S/biso-recover.conf" --backup-root "$T/bk" --log-dir "$T/bklog" > "$T/bk.log" 2>&1 ||
	{ cat "$T/bk.log"; fail "manifest: biso-recover backup failed"; }
ls "$T"/bk/manifest/*/MANIFEST > /dev/null || fail "manifest: the backup has no manifest"
sed '/production_config/d' "$CONF" > "$T/noprod.conf"
reset_marks
set +e; "$BISO_RECOVER" refresh --config "$T/noprod.conf" --source "$T/bk" --yes --attachments skip \
	--config-php "$T/prodlike.config.php" > "$T/mident.log" 2>&1; rc=$?; set -e
[ $rc = 2 ] && grep -q 'the target database "biso" is production'"'"'s: same server (system identifier [0-9]*) and name as .*/MANIFEST records' "$T/mident.log" ||
	{ cat "$T/mident.log"; fail "manifest: production's database not refused by the manifest's identity (exit $rc)"; }
[ ! -s "$CALLS" ] || fail "manifest: biso-cli ran"
# the manifest's value is the one compared: with another system_identifier
# in it the same target passes the identity check (a dry run's preflight)
man=$(ls "$T"/bk/manifest/*/MANIFEST)
grep -qx "system_identifier $(psql -XAtc "SELECT system_identifier FROM pg_control_system()")" "$man" ||
	fail "manifest: the backup did not record the server's system_identifier"
cp -p "$man" "$T/MANIFEST.saved"
sed -i 's/^system_identifier .*/system_identifier 1234567890/' "$man"
set +e; "$BISO_RECOVER" refresh --config "$T/noprod.conf" --source "$T/bk" --dry-run --attachments skip \
	--config-php "$T/prodlike.config.php" > "$T/mother.log" 2>&1; rc=$?; set -e
cp -p "$T/MANIFEST.saved" "$man"
# a backup set on this host: the plan says the fetch is skipped, as the run will
text_has "$(grep -A1 "^2\. Fetch production's dump" "$T/mother.log")" "^   skipped: the dump is on this host$" &&
	! grep -q 'refresh-.*\.fetch' "$T/mother.log" ||
	{ cat "$T/mother.log"; fail "dry run: the plan fetches a dump that is on this host"; }
grep -q 'manifest .*/MANIFEST: production database "biso", system identifier 1234567890' "$T/mother.log" &&
	! grep -q "is production's" "$T/mother.log" ||
	{ cat "$T/mother.log"; fail "manifest: the identity check did not take the manifest's system_identifier (exit $rc)"; }
"$BISO_RECOVER" refresh --config "$T/noprod.conf" --source "$T/bk" --yes --attachments skip > "$T/mok.log" 2>&1 ||
	{ cat "$T/mok.log"; fail "manifest: a refresh from a backup with a manifest failed"; }
grep -q 'checking backup [0-9_]* against its manifest' "$T/mok.log" || { cat "$T/mok.log"; fail "manifest: the backup was not checked"; }
[ "$(psql -XAt -U biso -d biso_test -c "SELECT count(*) FROM person WHERE nachname <> 'Muster-' || id")" = 0 ] ||
	fail "manifest: persons not anonymized"
db1=$(db_state biso_test)
f=$(find "$T"/bk/data/*/templates -type f | head -1)
printf 'X' | dd of="$f" bs=1 seek=3 conv=notrunc status=none
reset_marks
set +e; "$BISO_RECOVER" refresh --config "$T/noprod.conf" --source "$T/bk" --yes --attachments skip > "$T/mbad.log" 2>&1; rc=$?; set -e
[ $rc = 2 ] && grep -q "backup [0-9_]* is damaged: data/[0-9_]*/templates/" "$T/mbad.log" ||
	{ cat "$T/mbad.log"; fail "manifest: a damaged backup was not refused by name (exit $rc)"; }
[ "$(db_state biso_test)" = "$db1" ] && [ ! -s "$CALLS" ] && [ ! -e "$T/stopped" ] || fail "manifest: a damaged backup touched the test system"
echo "ok: a backup with a manifest: identity from it, checked whole, a damaged one refused by name"

# 10. The source on another host (rsync over ssh; a stand-in ssh that runs
#     the command here): the newest dump and datadir named by listing, the
#     dump fetched and deleted again when the refresh ends.
cat > "$T/fake-ssh" <<'SH'
while [ $# -gt 0 ]; do case $1 in -[pl]) shift 2 ;; -*) shift ;; *) break ;; esac; done
echo "$1" >> "$FAKE_SSH_LOG"; shift
exec sh -c "$*"
SH
chmod +x "$T/fake-ssh"
rm -rf "$T/bk2"; mkdir -p "$T/bk2"
"$BISO_RECOVER" backup --config "$S/biso-recover.conf" --backup-root "$T/bk2" --log-dir "$T/bklog" > "$T/bk2.log" 2>&1 ||
	{ cat "$T/bk2.log"; fail "remote: biso-recover backup failed"; }
reset_marks
FAKE_SSH_LOG=$T/ssh.log RSYNC_RSH=$T/fake-ssh "$BISO_RECOVER" refresh --config "$T/noprod.conf" \
	--source "backuphost:$T/bk2" --yes --attachments skip > "$T/remote.log" 2>&1 ||
	{ cat "$T/remote.log"; fail "remote: the refresh failed"; }
grep -q backuphost "$T/ssh.log" || fail "remote: rsync did not go through ssh"
grep -q "deleted the fetched production dump" "$T/remote.log" || { cat "$T/remote.log"; fail "remote: the fetched dump was not deleted"; }
[ -z "$(ls -d "$S"/log-test/refresh-*.fetch 2>/dev/null)" ] || fail "remote: the fetched dump is still on the test host"
[ "$(psql -XAt -U biso -d biso_test -c "SELECT count(*) FROM person WHERE nachname <> 'Muster-' || id")" = 0 ] ||
	fail "remote: persons not anonymized"
diff -r -x attachments -x '*.log' -x maintenance.on "$(ls -d "$T"/bk2/data/* | tail -1)" "$TD" || fail "remote: the datadir is not production's"
echo "ok: a source on another host: dump fetched over ssh, refreshed, the fetched dump deleted"

# 11. A refresh and a restore of one instance exclude each other (issue 13:
#     the refresh took no lock): the same webroot and database locks.  The
#     holder waits in its first stop_services command (after its preflight,
#     with the locks); the other is refused in its preflight, exit 2, naming
#     the holder's pid, host, start and command, and touches nothing.  The
#     holder is then let go with a failing stop command: it changes nothing.
mkdir -p "$T/hold"
sed "/^services = {/a\\
  stop_services = ( [ \"/bin/sh\", \"-c\", \"touch $T/hold/started; while [ ! -e $T/hold/release ]; do sleep 0.1; done; exit 1\" ] );" \
	"$DEMO_TEST_CONFIG" > "$T/hold.conf"
hold_start() { # wait until the holder ($holder) waits in stop_services
	for _ in $(seq 1200); do [ -e "$T/hold/started" ] && return 0; kill -0 $holder 2>/dev/null || break; sleep 0.1; done
	cat "$T/holder.log"; fail "locks: the holder did not reach its stop_services"
}
hold_end() {
	touch "$T/hold/release"
	wait $holder || true
	rm -f "$T/hold/started" "$T/hold/release"
}
restore_test() { # a restore of the test instance's database
	"$BISO_RECOVER" restore --yes --config "$1" --config-php "$TW/config.php" --only database \
		--dump "$DEMO_DUMP" --log-dir "$2"
}
# the refresh holds: a restore is refused
reset_marks
refresh --yes --attachments skip --config "$T/hold.conf" > "$T/holder.log" 2>&1 &
holder=$!
hold_start
db1=$(db_state biso_test)
set +e; restore_test "$CONF" "$T/rlog" > "$T/lockedr.log" 2>&1; rc=$?; set -e
hold_end
[ $rc = 2 ] && grep -q "another biso-recover (pid [0-9]* on $(hostname), started .*, command refresh) is refreshing " "$T/lockedr.log" ||
	{ cat "$T/lockedr.log"; fail "locks: a restore beside a refresh of the instance: exit $rc, expected 2 naming the refresh"; }
[ "$(db_state biso_test)" = "$db1" ] || fail "locks: the refused restore changed the test database"
echo "ok: a restore while a refresh runs is refused: $(grep -m1 -o 'another biso-recover.*' "$T/lockedr.log")"
# the restore holds: a refresh is refused
restore_test "$T/hold.conf" "$T/hlog" > "$T/holder.log" 2>&1 &
holder=$!
hold_start
reset_marks
db1=$(db_state biso_test)
dd1=$(dir_state "$TD")
set +e; refresh --yes --attachments skip > "$T/lockedf.log" 2>&1; rc=$?; set -e
hold_end
[ $rc = 2 ] && grep -q "another biso-recover (pid [0-9]* on $(hostname), started .*, command restore) is restoring database " "$T/lockedf.log" &&
	grep -q "nothing was touched" "$T/lockedf.log" ||
	{ cat "$T/lockedf.log"; fail "locks: a refresh beside a restore of the instance: exit $rc, expected 2 naming the restore"; }
[ "$(db_state biso_test)" = "$db1" ] && [ "$(dir_state "$TD")" = "$dd1" ] || fail "locks: the refused refresh changed the test instance"
[ ! -e "$T/stopped" ] && [ ! -s "$CALLS" ] || fail "locks: the refused refresh stopped services or ran biso-cli"
echo "ok: a refresh while a restore runs is refused before anything: $(grep -m1 -o 'another biso-recover.*' "$T/lockedf.log")"

# 12. The refresh runs in a runner detached from the terminal: its client
#     hung up (SIGHUP: the SSH connection dropped) or killed (SIGKILL) while
#     the refresh works (its services' stop command waits for a file) decides
#     nothing; the runner goes on, status exits 0 at the end, the test system
#     is refreshed (a table made before is gone, persons anonymized) and
#     maintenance mode is off.
cat > "$T/stop-wait" <<EOF
#!/bin/sh
touch "$T/stop-started"
while [ ! -e "$T/stop-go" ]; do sleep 0.1; done
EOF
chmod 755 "$T/stop-wait"
sed "s|^  stop_services = .*|  stop_services = ( [ \"$T/stop-wait\" ] );|" "$CONF" > "$T/wait.conf"
grep -q "stop-wait" "$T/wait.conf" || fail "could not set the waiting stop command"
for sig in HUP KILL; do
	reset_marks
	rm -f "$T/stop-started" "$T/stop-go"
	psql -XAq -U biso -d biso_test -c "CREATE TABLE before_refresh (x int)"
	"$BISO_RECOVER" refresh --config "$T/wait.conf" --yes --attachments skip > "$T/client$sig.log" 2>&1 &
	pid=$!
	for _ in $(seq 600); do [ -e "$T/stop-started" ] && break; sleep 0.1; done
	[ -e "$T/stop-started" ] || { kill $pid 2>/dev/null || true; cat "$T/client$sig.log"; fail "SIG$sig: the refresh did not reach its services"; }
	kill -$sig $pid
	set +e; wait $pid; set -e
	set +e; "$BISO_RECOVER" status --config "$T/wait.conf" > "$T/st$sig.txt"; rc=$?; set -e
	[ $rc = 4 ] || { cat "$T/client$sig.log" "$T/st$sig.txt"; fail "SIG$sig to the client: the refresh is not running on (status exit $rc)"; }
	grep -q "(refresh)" "$T/st$sig.txt" || { cat "$T/st$sig.txt"; fail "SIG$sig: status does not name the refresh flow"; }
	touch "$T/stop-go"
	for _ in $(seq 1200); do
		set +e; "$BISO_RECOVER" status --config "$T/wait.conf" > "$T/st$sig.txt"; rc=$?; set -e
		[ $rc = 4 ] || [ $rc = 5 ] || break
		sleep 0.5
	done
	[ $rc = 0 ] || { cat "$T/st$sig.txt"; fail "SIG$sig to the client: status exits $rc, not 0"; }
	[ -z "$(psql -XAt -U biso -d biso_test -c "SELECT 1 FROM pg_class WHERE relname = 'before_refresh'")" ] ||
		fail "SIG$sig: the test database was not replaced"
	[ "$(psql -XAt -U biso -d biso_test -c "SELECT count(*) FROM person WHERE nachname <> 'Muster-' || id")" = 0 ] ||
		fail "SIG$sig: persons not anonymized"
	[ ! -e "$TD/maintenance.on" ] || fail "SIG$sig: maintenance mode still on"
	[ "$(tail -n 1 "$CALLS")" = "maintenance off" ] || { cat "$CALLS"; fail "SIG$sig: biso-cli maintenance off was not the last call"; }
	[ -e "$T/started" ] || fail "SIG$sig: the services were not started again"
done
echo "ok: the client hung up or killed during the refresh: the runner finishes it, status 0, maintenance off"

# 13. The wizard without a terminal names the line-mode command instead;
#     for the refresh it must work pasted as printed: with the policy given
#     (--attachments skip), that one; with none given or configured, the
#     one the wizard's first screen offers first (placeholder): without a
#     policy the refresh refuses (case 3), and the hint named none.  The
#     printed command, run as printed, refreshes the test system.
set +e; "$BISO_RECOVER" wizard refresh --config "$CONF" --attachments skip < /dev/null > "$T/wiz-skip.log" 2>&1; rc=$?; set -e
[ $rc = 2 ] && grep -qF "use 'biso-recover refresh --attachments skip --yes --config $CONF' in line mode" "$T/wiz-skip.log" ||
	{ cat "$T/wiz-skip.log"; fail "the wizard without a terminal (--attachments skip): exit $rc or not the command with skip"; }
set +e; "$BISO_RECOVER" wizard refresh --config "$CONF" < /dev/null > "$T/wiz.log" 2>&1; rc=$?; set -e
cmd=$(sed -n "s/^biso-recover: the wizard needs a terminal; use '\(biso-recover .*\)' in line mode$/\1/p" "$T/wiz.log")
[ $rc = 2 ] && [ -n "$cmd" ] || { cat "$T/wiz.log"; fail "the wizard without a terminal: exit $rc, or no command named"; }
reset_marks
set +e; eval "\"\$BISO_RECOVER\" ${cmd#biso-recover }" > "$T/wizcmd.log" 2>&1; rc=$?; set -e
[ $rc = 0 ] || { cat "$T/wizcmd.log"; fail "the command the wizard named ($cmd) exits $rc, not 0"; }
case $cmd in
*" --attachments placeholder "*) ;;
*) fail "the wizard without a terminal names '$cmd': no --attachments placeholder" ;;
esac
grep -q '^PLACEHOLDER$' "$TD/attachments/2024/03/Protokoll Gespräch 1.pdf" ||
	fail "the command the wizard named ($cmd) wrote no placeholder"
echo "ok: the wizard without a terminal names a refresh command that works pasted: $cmd"
