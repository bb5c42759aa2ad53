#!/bin/bash
# The target database of a restore, against the demo backup set and a
# throw-away cluster: a target conninfo that cannot reach the server is
# refused before the first step; a database that does not exist is created
# (and the plan says so); a database other than the one config.php names
# is a warning in the plan, the confirmation and the summary.  Each case
# says what it proves.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
demo_test_setup target "chown of the datadir to www-data"
W=$DEMO_WEBROOT

# 1. A --dbname with a literal $PGPORT (a quoting mistake) cannot reach the
#    server: refused before the first step with exit 2, libpq's reason
#    named, the webroot and datadir untouched (before, the run swapped them
#    and failed at the database step).  So is a port where no server is.
ls "$(dirname "$W")" > "$T/before.ls"
set +e; "$BISO_RECOVER" restore --yes --config "$DEMO_CONFIG" \
	--dbname 'host=$PGHOST port=$PGPORT dbname=biso user=biso password=x' > "$T/quote.log" 2>&1; rc=$?; set -e
[ $rc = 2 ] && grep -q 'nothing was touched: the target database cannot be reached: cannot connect to database "biso" (host $PGHOST, port $PGPORT)' "$T/quote.log" &&
	grep -q 'invalid integer value "$PGPORT" for connection option "port"' "$T/quote.log" ||
	{ cat "$T/quote.log"; fail "quote: a literal \$PGPORT: exit $rc, expected 2 and a refusal"; }
ls "$(dirname "$W")" | diff "$T/before.ls" - || fail "quote: the instance was touched"
grep -q "^step\|Restore the webroot" "$T/quote.log" && { cat "$T/quote.log"; fail "quote: a step ran"; }
set +e; "$BISO_RECOVER" restore --dry-run --config "$DEMO_CONFIG" --only migrations,verify \
	--dbname "host=$PGHOST port=1 dbname=biso user=biso" > "$T/port.log" 2>&1; rc=$?; set -e
[ $rc = 2 ] && grep -q 'the plan would fail: the target database cannot be reached' "$T/port.log" ||
	{ cat "$T/port.log"; fail "port: no server on the port: exit $rc, expected 2"; }
# a login the server refuses (no such role) fails the replay: refused too
set +e; "$BISO_RECOVER" restore --dry-run --config "$DEMO_CONFIG" --only database \
	--dbname "host=$PGHOST port=$PGPORT dbname=biso user=nosuch" > "$T/role.log" 2>&1; rc=$?; set -e
[ $rc = 2 ] && grep -q 'the login as "nosuch" to database "biso" does not work on the server (checked on database "postgres")' "$T/role.log" &&
	grep -q 'role "nosuch" does not exist' "$T/role.log" ||
	{ cat "$T/role.log"; fail "role: a login the server refuses: exit $rc, expected 2"; }
echo "ok: a target conninfo that cannot reach the server or log in is refused before the first step (exit 2), nothing touched"

# 2. A live database that refuses connections (damaged, or its connection
#    limit) is only a warning when the database step replaces it and the
#    login works on the server; the migrations and the verification alone
#    need it and refuse.
psql -qX -c "CREATE DATABASE biso_closed OWNER biso" -c "ALTER DATABASE biso_closed CONNECTION LIMIT 0"
"$BISO_RECOVER" restore --dry-run --config "$DEMO_CONFIG" --only database \
	--dbname "host=$PGHOST port=$PGPORT dbname=biso_closed user=biso" > "$T/closed.log" 2>&1 ||
	{ cat "$T/closed.log"; fail "closed: a live database that refuses connections stops the database step"; }
grep -q 'warning: cannot connect to the live database "biso_closed" (.*too many connections.*); the database step replaces it' "$T/closed.log" ||
	{ cat "$T/closed.log"; fail "closed: no warning"; }
set +e; "$BISO_RECOVER" restore --dry-run --config "$DEMO_CONFIG" --only verify \
	--dbname "host=$PGHOST port=$PGPORT dbname=biso_closed user=biso" > "$T/closed2.log" 2>&1; rc=$?; set -e
[ $rc = 2 ] && grep -q 'too many connections for database "biso_closed"' "$T/closed2.log" ||
	{ cat "$T/closed2.log"; fail "closed: --only verify on a database that refuses connections: exit $rc, expected 2"; }
echo "ok: a live database that refuses connections is a warning for the database step, a refusal for verify alone"

# 3. A mistyped database name (bsio for biso): the plan says the database
#    step creates it (none exists; nothing is kept), and that the
#    application reads another one, in the plan, the config step, the
#    confirmation (typed on a terminal: script(1)) and the summary.
ci="host=$PGHOST port=$PGPORT dbname=bsio user=biso"
"$BISO_RECOVER" restore --dry-run --config "$DEMO_CONFIG" --only webroot,config,datadir,database --dbname "$ci" > "$T/typo-plan.log" 2>&1 ||
	{ cat "$T/typo-plan.log"; fail "typo: --dry-run failed"; }
line=$(grep -n "Config::set('gaia.db'" "$W/config.php" | cut -d: -f1)
app="the application reads database \"biso\" (config.php line $line); you restore into \"bsio\""
grep -qF "   creates database \"bsio\" (none exists) with $(basename "$DEMO_DUMP"); warning: $app" "$T/typo-plan.log" &&
	grep -qF "   database: bsio on $PGHOST as biso (config.php names \"biso\"!)" "$T/typo-plan.log" &&
	grep -qF "warning: $app" "$T/typo-plan.log" && ! grep -q "kept as \"bsio_pre_restore" "$T/typo-plan.log" ||
	{ cat "$T/typo-plan.log"; fail "typo: the plan does not say that bsio is created, or not that the application reads biso"; }
! grep -q 'RENAME TO "bsio_pre_restore' "$T/typo-plan.log" || { cat "$T/typo-plan.log"; fail "typo: the manual renames a database that does not exist"; }
# newcomer 8.3: the plan offered "restore --only migrations,verify ...
# --dbname bsio" for the migrations it leaves out, which is always refused
! grep -q 'restore --only migrations,verify' "$T/typo-plan.log" &&
	grep -qF 'warning: migrations will not be run on "bsio": biso-cli runs them on the database config.php names ("biso")' "$T/typo-plan.log" ||
	{ cat "$T/typo-plan.log"; fail "typo: the plan suggests restore --only migrations,verify for bsio, which is refused"; }
# that command is refused by design: the suggestion was one that never works
"$BISO_RECOVER" restore --dry-run --config "$DEMO_CONFIG" --only migrations,verify --dbname "$ci" > "$T/typo-migr.log" 2>&1 &&
	{ cat "$T/typo-migr.log"; fail "typo: restore --only migrations,verify into bsio was not refused"; }
# a bare --dbname NAME keeps config.php's host, port and user and replaces
# only the database (it connected to the default socket instead: "cannot
# connect to database "bsio" (host /var/run/postgresql, port 5432)")
"$BISO_RECOVER" restore --dry-run --config "$DEMO_CONFIG" --only webroot,config,datadir,database --dbname bsio > "$T/bare-plan.log" 2>&1 ||
	{ cat "$T/bare-plan.log"; fail "bare: --dry-run --dbname bsio failed"; }
grep -qF "   database: bsio on $PGHOST as biso (config.php names \"biso\"!)" "$T/bare-plan.log" ||
	{ cat "$T/bare-plan.log"; fail "bare: the plan does not restore into bsio on config.php's server as its user"; }
echo "ok: a bare --dbname replaces only the database name of config.php's connection"
# a --dump that names nothing: the file cannot be opened (it said "is not a
# plain-format dump (missing)")
set +e; "$BISO_RECOVER" restore --dry-run --config "$DEMO_CONFIG" --dump /nope.sql.gz > "$T/nodump.log" 2>&1; rc=$?; set -e
[ $rc = 2 ] && grep -qx "biso-recover: cannot make a restore plan: cannot open /nope.sql.gz: No such file or directory" "$T/nodump.log" &&
	grep -q "^HINT: Check the path" "$T/nodump.log" || { cat "$T/nodump.log"; fail "nodump: exit $rc, not 'cannot open'"; }
echo "ok: a missing --dump: cannot open it, exit 2"
printf 'bsio\n' | script -qec "$(printf '%q ' "$BISO_RECOVER" restore --only database --config "$DEMO_CONFIG" --dbname "$ci")" /dev/null > "$T/typo.log" 2>&1 ||
	{ cat "$T/typo.log"; fail "typo: the restore into bsio failed"; }
# (line mode wraps a question, a warning between words: their rows joined)
typo=$(tr -d '\r' < "$T/typo.log" | tr '\n' ' ')
summary=$(tr -d '\r' < "$T/typo.log" | sed -n '/^Summary:/,$p' | tr '\n' ' ')
text_has "$typo" -F "Restore the database: creates database \"bsio\" (none exists) with $(basename "$DEMO_DUMP"); warning: $app." ||
	{ cat "$T/typo.log"; fail "typo: the confirmation does not warn"; }
text_has "$summary" -F "warning: $app" || { cat "$T/typo.log"; fail "typo: the summary does not warn"; }
text_has "$summary" -F 'warning: migrations were not run on "bsio": biso-cli runs them on the database config.php names ("biso")' &&
	! grep -q 'restore --only migrations,verify' "$T/typo.log" ||
	{ cat "$T/typo.log"; fail "typo: the summary offers restore --only migrations,verify for bsio, which is refused"; }
[ "$(psql -XAt -U biso -d bsio -c 'SELECT count(*) FROM person')" = 400 ] || fail "typo: bsio was not restored"
[ -z "$(psql -XAt -c "SELECT datname FROM pg_database WHERE datname LIKE 'bsio_pre_restore%'")" ] || fail "typo: a kept bsio appeared"
echo "ok: a database that does not exist is created, said so; one config.php does not name is a warning (plan, confirmation, summary)"
# the accepted confirmation is in the run log, as the wizard logs it
runlog=$(sed -n 's/^log: //p' "$T/typo.log" | tr -d '\r')
grep -qF "step database: the operator typed \"bsio\" to confirm: creates database \"bsio\" (none exists)" "$runlog" ||
	{ cat "$runlog"; fail "typo: the run log does not say what the operator typed to confirm"; }
echo "ok: line mode logs the accepted confirmation"

# 4. The plan's manual swap is what the step does, and works as typed: the
#    sessions on the live database ended, both renames in one transaction.
#    Run against a live database with a session open (psql pg_sleep).
psql -qX -c "CREATE DATABASE biso_man OWNER biso" -c "CREATE DATABASE biso_man_restoring OWNER biso"
psql -qX -U biso -d biso_man -c "CREATE TABLE old_marker (a int)"
PGAPPNAME=holdman psql -qX -U biso -d biso_man -c "SELECT pg_sleep(300)" > /dev/null 2>&1 &
holder=$!
for _ in $(seq 300); do
	[ -n "$(psql -XAtc "SELECT pid FROM pg_stat_activity WHERE application_name = 'holdman'")" ] && break
	sleep 0.1
done
"$BISO_RECOVER" restore --dry-run --config "$DEMO_CONFIG" --only database \
	--dbname "host=$PGHOST port=$PGPORT dbname=biso_man user=biso" > "$T/manual.log" 2>&1 ||
	{ cat "$T/manual.log"; fail "manual: --dry-run failed"; }
grep -q 'sessions on it now, ended at the swap: pid ' "$T/manual.log" || { cat "$T/manual.log"; fail "manual: the session is not named"; }
swap=$(grep "^     psql .*-c 'BEGIN; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = .*biso_man.* AND pid <> pg_backend_pid(); ALTER DATABASE \"biso_man\" RENAME TO \"biso_man_pre_restore_[0-9_]*\"; ALTER DATABASE \"biso_man_restoring\" RENAME TO \"biso_man\"; COMMIT;'$" "$T/manual.log") ||
	{ cat "$T/manual.log"; fail "manual: no single transaction that ends the sessions and renames both"; }
[ "$(grep -c 'ALTER DATABASE' "$T/manual.log")" = 1 ] || { cat "$T/manual.log"; fail "manual: the renames are not one command"; }
eval "$swap" > "$T/manual-run.log" 2>&1 || { cat "$T/manual-run.log"; fail "manual: the swap as typed failed"; }
set +e; wait $holder; set -e
kept=$(psql -XAtc "SELECT datname FROM pg_database WHERE datname LIKE 'biso_man_pre_restore_%'")
[ -n "$kept" ] && psql -XAt -U biso -d "$kept" -c "SELECT count(*) FROM old_marker" > /dev/null &&
	[ -z "$(psql -XAtc "SELECT 1 FROM pg_database WHERE datname = 'biso_man_restoring'")" ] &&
	! psql -XAt -U biso -d biso_man -c "SELECT 1 FROM old_marker" > /dev/null 2>&1 ||
	fail "manual: after the manual swap the old database is not kept or the new one not in place"
echo "ok: the plan's manual swap ends the sessions and renames both in one transaction, and works as typed"

# 5. With the migrations or the verification, a target database other than
#    the one config.php names is refused before the first step (exit 2, dry
#    run too): biso-cli reads config.php and would migrate and verify "biso"
#    and pass (before, the run said "Nothing to migrate", PASS, exit 0, and
#    bsio kept its pending migration).
ls "$(dirname "$W")" > "$T/before5.ls"
psql -XAt -U biso -d bsio -c "CREATE TABLE bsio_marker (a int)"
for mode in --dry-run --yes; do
	set +e; "$BISO_RECOVER" restore $mode --config "$DEMO_CONFIG" --only database,migrations,verify \
		--dbname "$ci" > "$T/appdb$mode.log" 2>&1; rc=$?; set -e
	[ $rc = 2 ] && grep -qF "$app: the migrations and the verification run biso-cli, which works on \"biso\", not on \"bsio\"" "$T/appdb$mode.log" &&
		grep -qF 'Give --config-php a config.php that names database "bsio", or leave out the migrations and the verification with --only webroot,config,datadir,database.' "$T/appdb$mode.log" ||
		{ cat "$T/appdb$mode.log"; fail "appdb $mode: migrations and verify into bsio: exit $rc, expected 2 and a refusal"; }
	grep -q "^step\|Restore the database" "$T/appdb$mode.log" && { cat "$T/appdb$mode.log"; fail "appdb $mode: a step ran"; }
done
ls "$(dirname "$W")" | diff "$T/before5.ls" - || fail "appdb: the instance was touched"
psql -XAt -U biso -d bsio -c "SELECT count(*) FROM bsio_marker" > /dev/null &&
	[ -z "$(psql -XAt -c "SELECT datname FROM pg_database WHERE datname LIKE 'bsio_pre_restore%' OR datname = 'bsio_restoring'")" ] ||
	fail "appdb: the database bsio was touched"
echo "ok: migrations or verify into a database config.php does not name are refused before the first step (exit 2), nothing touched"

# 6. Another session holding a lock on the live database (an open ALTER
#    DATABASE) while the swap comes: the renames give up after lock_timeout
#    (before, the run waited as long as the session, deaf to SIGHUP, and
#    journaled "done" for a swap that failed).  Exit 1, the session named,
#    the old database kept as it was, the journal entry closed as failed.
psql -qX -c "CREATE DATABASE biso_lk OWNER biso"
psql -qX -U biso -d biso_lk -c "CREATE TABLE lk_marker (a int)"
PGAPPNAME=holdlock psql -qX -d postgres -c "BEGIN" -c "ALTER DATABASE biso_lk CONNECTION LIMIT -1" \
	-c "SELECT pg_sleep(300)" > /dev/null 2>&1 &
lholder=$!
lpid=
for _ in $(seq 300); do
	lpid=$(psql -XAtc "SELECT pid FROM pg_stat_activity WHERE application_name = 'holdlock' AND query LIKE '%pg_sleep%'")
	[ -n "$lpid" ] && break
	sleep 0.1
done
[ -n "$lpid" ] || fail "lock: the session holding the lock did not start"
start=$SECONDS
set +e; timeout -k 10 120 "$BISO_RECOVER" restore --yes --config "$DEMO_CONFIG" --only database \
	--dbname "host=$PGHOST port=$PGPORT dbname=biso_lk user=biso" > "$T/lock.log" 2>&1; rc=$?; set -e
took=$((SECONDS - start))
kill $lholder 2>/dev/null || true; set +e; wait $lholder; set -e
[ $rc = 1 ] && [ $took -lt 90 ] || { cat "$T/lock.log"; fail "lock: exit $rc after ${took}s, expected 1 well within the lock timeout"; }
grep -q "lock timeout" "$T/lock.log" && grep -q "Another session holds a lock on the database: pid $lpid (user .*application holdlock" "$T/lock.log" ||
	{ cat "$T/lock.log"; fail "lock: the message does not name the session holding the lock"; }
psql -XAt -U biso -d biso_lk -c "SELECT count(*) FROM lk_marker" > /dev/null &&
	[ -z "$(psql -XAt -c "SELECT datname FROM pg_database WHERE datname LIKE 'biso_lk_pre_restore%'")" ] ||
	fail "lock: the old database biso_lk was not kept as it was"
log_dir=$(sed -n 's/^log_dir = "\(.*\)";$/\1/p' "$DEMO_CONFIG")
grep -q "^failed	[0-9_]*	database	biso_lk$" "$log_dir/journal" && ! grep -q "^done	[0-9_]*	database	biso_lk$" "$log_dir/journal" ||
	{ cat "$log_dir/journal"; fail "lock: the journal does not record the failed swap as failed"; }
echo "ok: a swap blocked by another session's lock fails after the lock timeout (exit 1), names the session, keeps the old database, journals failed"

# The demo cluster stopped (as tools/demo.sh leaves it) starts again with
# share/demo/start.sh on the socket and port env.sh names: psql and the
# sandbox's configuration reach it as before.
"$top_srcdir/share/demo/stop.sh" "$S" > "$T/stop.log" 2>&1 || { cat "$T/stop.log"; fail "restart: stop.sh failed"; }
! psql -Atc "SELECT 1" > /dev/null 2>&1 || fail "restart: the cluster still answers after stop.sh"
"$top_srcdir/share/demo/start.sh" "$S" > "$T/start.log" 2>&1 || { cat "$T/start.log"; fail "restart: start.sh failed"; }
[ "$(psql -Atc "SELECT count(*) > 0 FROM person" -d biso)" = t ] || fail "restart: psql does not reach the demo database after start.sh"
"$top_srcdir/share/demo/start.sh" "$S" > "$T/start2.log" 2>&1 && grep -q "already running" "$T/start2.log" ||
	{ cat "$T/start2.log"; fail "restart: start.sh of a running cluster"; }
echo "ok: share/demo/start.sh starts the stopped demo cluster again on the same socket and port"

echo "restore-target: all checks passed"
