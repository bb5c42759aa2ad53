#!/bin/bash
# End-to-end: build the demo backup set (real pg_dump, rsync), restore it
# with `biso-recover restore --yes` into new paths and a new database, and
# compare with the source: pg_dump of the restored database equals pg_dump
# of the source database, every file equals the backup in content, mode and
# mtime (rsync -ani --checksum), the datadir belongs to the web user.  Then
# restore again over the restored instance (the first is kept as
# pre-restore) with migrations and verification, and check that a truncated dump fails clearly and leaves the
# database and files untouched.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
demo_test_setup e2e "chown of the datadir to www-data, runuser postgres"

# Target: new webroot, datadir inside it (config.php: __DIR__ . '/data'),
# new database biso_copy named by an operator-supplied config.php.
NEW=$T/new
mkdir -p "$NEW"
sed "s/'dbname' *=> *'biso'/'dbname'   => 'biso_copy'/" "$S/backups/webroot/config.php" > "$T/config.php"
grep -q "biso_copy" "$T/config.php" || fail "could not rewrite dbname in config.php"

# (--again: these restores follow each other on purpose, each within an
# hour of the one before; restore-again.sh tests the question)
run() {
	"$BISO_RECOVER" restore --yes --again --config "$S/biso-recover.conf" --webroot "$NEW/webroot" \
		--config-php "$T/config.php" --log-dir "$T/log" "$@"
}

dump_db() { # db -> normalised pg_dump on stdout
	pg_dump --no-owner --no-privileges -d "$1" | grep -v '^\\\(un\)\?restrict '
}

# 0. --dry-run prints the plan with the manual commands and touches nothing.
run --dry-run > "$T/plan.txt" 2>&1 || { cat "$T/plan.txt"; fail "--dry-run failed"; }
for want in "-T template0 -O biso" "-U biso -d biso_copy_restoring" "biso-cli migration exec" "$NEW/webroot" 'creates database "biso_copy" (none exists)'; do
	grep -qF -- "$want" "$T/plan.txt" || { cat "$T/plan.txt"; fail "plan lacks: $want"; }
done
# the run (as root, biso-cli through php) runs biso-cli as the web user
# ("running as www-data" in the log): the manual commands for migrations
# and verify say so
grep -Eq "&& runuser -u www-data -- [^ ]*php[^ ]* biso-cli migration exec$" "$T/plan.txt" &&
	grep -Eq "&& runuser -u www-data -- [^ ]*php[^ ]* biso-cli migration status" "$T/plan.txt" ||
	{ grep biso-cli "$T/plan.txt"; fail "the plan's biso-cli commands do not run as the web user"; }
# biso_copy does not exist yet: nothing to keep
! grep -q "biso_copy_pre_restore_" "$T/plan.txt" || { cat "$T/plan.txt"; fail "the plan keeps a database that does not exist"; }
[ ! -e "$NEW/webroot" ] || fail "--dry-run created the webroot"
[ -z "$(psql -Atc "SELECT 1 FROM pg_database WHERE datname LIKE 'biso_copy%'")" ] || fail "--dry-run created a database"
! grep -q demo-secret "$T/plan.txt" || fail "the plan shows the password"
# a directory backup is said to be one once ("directory  webroot", not
# "directory  webroot (directory)")
grep -Eq '^  [* ] [0-9-]+ [0-9:]+ +directory  webroot$' "$T/plan.txt" &&
	! grep -q 'directory  .*(directory)' "$T/plan.txt" ||
	{ cat "$T/plan.txt"; fail "the backup list does not say directory once"; }
echo "ok: --dry-run prints the plan and touches nothing"

# the options a command the summary offers must carry (absolute paths)
INST=" --config $(realpath -m "$S/biso-recover.conf") --webroot $(realpath -m "$NEW/webroot") --config-php $(realpath -m "$T/config.php") --log-dir $(realpath -m "$T/log")"

# 1. Files and database, no migrations: must equal the source exactly.
set +e
run --only webroot,config,datadir,database > "$T/run1.log" 2>&1
rc=$?
set -e
[ $rc = 0 ] || { cat "$T/run1.log"; fail "first restore exited $rc"; }
# the restored dump may need migrations that were not run: the summary
# says so (exit code unchanged), as the plan of such a run does; a plan
# with the migrations step does not
grep -A1 -x "warning: migrations were not run; run them with:" "$T/run1.log" |
	grep -qxF "  biso-recover restore --only migrations,verify$INST" ||
	{ cat "$T/run1.log"; fail "the summary does not warn of the migrations not run"; }
run --dry-run --only database > "$T/plan-db.txt" 2>&1 || { cat "$T/plan-db.txt"; fail "--dry-run --only database failed"; }
grep -A1 -x "warning: migrations will not be run; run them afterwards with:" "$T/plan-db.txt" |
	grep -qxF "  biso-recover restore --only migrations,verify$INST" ||
	{ cat "$T/plan-db.txt"; fail "the plan does not warn of the migrations not run"; }
! grep -q "migrations will not be run" "$T/plan.txt" || fail "the plan with migrations warns of them not run"

# The reference: what psql restores from the same dump, as the same role.
dump=$(ls "$S"/backups/db/biso_*.sql.gz | sort | tail -1)
psql -qX -c "CREATE DATABASE biso_ref OWNER biso TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'de_CH.utf8' LC_CTYPE 'de_CH.utf8'"
gunzip -c "$dump" | psql -X -q -v ON_ERROR_STOP=1 -U biso -d biso_ref > "$T/psql.out" 2>&1 ||
	{ cat "$T/psql.out"; fail "psql could not restore the reference"; }
dump_db biso_ref > "$T/reference.sql"
dump_db biso_copy > "$T/restored.sql"
diff -u "$T/reference.sql" "$T/restored.sql" > "$T/db.diff" ||
	{ head -50 "$T/db.diff"; fail "pg_dump of the restored database differs from pg_dump of psql's restore"; }
# And the source itself: the same objects and rows (row order may differ
# where the source's heap order differs from the order a restore writes).
dump_db biso | sort > "$T/source.sorted"
sort "$T/restored.sql" > "$T/restored.sorted"
diff -u "$T/source.sorted" "$T/restored.sorted" > "$T/src.diff" ||
	{ head -50 "$T/src.diff"; fail "the restored database holds other objects or rows than the source"; }
echo "ok: pg_dump of biso_copy equals psql's restore and the source ($(wc -l < "$T/restored.sql") lines)"

# the root's mtime too: installing config.php and swapping the datadir
# put it back (issue 9.10)
out=$(rsync -ani --checksum --exclude /data --exclude /config.php --exclude '/config.php.pre-restore-*' \
	"$S/backups/webroot/" "$NEW/webroot/")
[ -z "$out" ] || { echo "$out"; fail "webroot differs from the backup"; }
"$BISO_RECOVER" files-verify --exclude /data --exclude /config.php "$S/backups/webroot" "$NEW/webroot" \
	> "$T/verify.out" 2>&1 || { cat "$T/verify.out"; fail "files-verify finds the restored webroot differs from its backup"; }
cmp -s "$T/config.php" "$NEW/webroot/config.php" || fail "config.php is not the operator's file"
# Content, mode, mtime, symlinks; the owner is checked separately below.
out=$(rsync -ani --checksum --no-owner --no-group "$S/backups/data/" "$NEW/webroot/data/")
[ -z "$out" ] || { echo "$out"; fail "datadir differs from the backup"; }
bad=$(find "$NEW/webroot/data" \( ! -user www-data -o ! -group www-data \) -print | head -5)
[ -z "$bad" ] || fail "not owned by www-data: $bad"
echo "ok: webroot and datadir equal the backup (rsync -ani --checksum), datadir owned by www-data"
log=$(ls "$T"/log/biso-recover-*.log | head -1)
[ "$(stat -c %a "$log")" = 600 ] || fail "log $log is not mode 0600"
! grep -q demo-secret "$T"/log/* "$T/run1.log" || fail "the password appears in a log"

# 2. The whole restore again, over the restored instance: all six steps,
#    the first restore is kept as pre-restore, the report passes.
sleep 1
run --dry-run > "$T/plan2.txt" 2>&1 || { cat "$T/plan2.txt"; fail "--dry-run over the restored instance failed"; }
planned=$(sed -n 's/.*the old one is moved out of the webroot, to \(.*\))$/\1/p' "$T/plan2.txt" |
	sed 's/pre-restore-[0-9_]*/pre-restore-T/')
grep -q "^     mv $NEW/webroot/data $(printf '%s' "$planned" | sed 's/pre-restore-T/pre-restore-[0-9_]*/')$" "$T/plan2.txt" ||
	{ cat "$T/plan2.txt"; fail "the plan's manual mv of the datadir goes elsewhere than its text says"; }
sleep 1
set +e
run > "$T/run2.log" 2>&1
rc=$?
set -e
[ $rc = 0 ] || { cat "$T/run2.log"; fail "second, full restore exited $rc"; }
went=$(ls -d "$NEW"/webroot.pre-restore-*/data | sed 's/pre-restore-[0-9_]*/pre-restore-T/')
[ -n "$planned" ] && [ "$went" = "$planned" ] || fail "the plan said the old datadir goes to $planned, it went to $went"
echo "ok: the plan names where the old datadir goes, and it goes there ($went)"
# where it went is said once (the swap's line and a second "the old datadir
# is kept as" said it twice: newcomer 8, finding 26)
[ "$(grep -c "kept as $NEW/webroot\.pre-restore-[0-9_]*/data" "$T/run2.log")" = 1 ] ||
	{ cat "$T/run2.log"; fail "the run says more than once where the old datadir is kept"; }
report=$(ls "$T"/log/verify-*.txt | tail -1)
grep -q "^FAIL" "$report" && { cat "$report"; fail "verification report has failures"; }
grep -q "^PASS  row counts of all 8 tables" "$report" || { cat "$report"; fail "row counts not verified"; }
grep -q "^PASS  0 migrations pending" "$report" || { cat "$report"; fail "migrations still pending"; }
grep -q "20240610_0001_bf_termin_dauer" "$T/run2.log" || fail "the pending migration was not run"
echo "ok: all six steps done, migration applied, verification passed ($report)"
ls -d "$NEW"/webroot.pre-restore-* >/dev/null 2>&1 || fail "old webroot not kept as pre-restore"
kept=$(psql -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'biso_copy_pre_restore_%'")
[ -n "$kept" ] || fail "old database not kept as biso_copy_pre_restore_*"
echo "ok: the first restore was kept as $(ls -d "$NEW"/webroot.pre-restore-*) and database $kept"
# The kept database is listed whatever steps run: the target is known from
# config.php.  And cleanup lists the kept copies without the backup set: a
# full or lost backup disk is when an admin cleans up.
run --dry-run --only webroot > "$T/kept-webroot.log" 2>&1 || { cat "$T/kept-webroot.log"; fail "--dry-run --only webroot failed"; }
grep -q "kept copy of the database biso_copy: database \"$kept\"" "$T/kept-webroot.log" ||
	{ cat "$T/kept-webroot.log"; fail "--only webroot: the preflight does not list the kept database $kept"; }
"$BISO_RECOVER" cleanup --dry-run --config "$S/biso-recover.conf" --webroot "$NEW/webroot" \
	--config-php "$T/config.php" --log-dir "$T/log" --backup-root "$T/lost-backup-disk" \
	> "$T/cleanup-nobackup.log" 2>&1 || { cat "$T/cleanup-nobackup.log"; fail "cleanup without the backup root failed"; }
for want in "$kept" $(ls -d "$NEW"/webroot.pre-restore-*); do
	grep -q "^ *[0-9]*  .* ${want}\(  (newest: kept)\)\?$" "$T/cleanup-nobackup.log" ||
		{ cat "$T/cleanup-nobackup.log"; fail "cleanup without the backup root does not list $want"; }
done
# the list fits an 80-column terminal (the header was split into "nam"/"e")
long=$(sed -n '/^ *# *copy of/,$p' "$T/cleanup-nobackup.log" | awk 'length($0) > 79')
[ -z "$long" ] || { cat "$T/cleanup-nobackup.log"; fail "cleanup's list has lines longer than 79 columns: $long"; }
echo "ok: the kept database is listed by --only webroot, and by cleanup without the backup root"

# Line mode runs in a detached runner: a dropped SSH connection does not
# stop it, so over SSH outside tmux or screen there is nothing to warn of
# (the wizard, in-process, still warns); the log says the runner started.
SSH_CONNECTION='192.0.2.1 50000 192.0.2.2 22' TMUX= STY= run --only verify > "$T/ssh1.log" 2>&1 || true
! grep -q "running over SSH" "$T/ssh1.log" &&
	grep -q "runner started: detached from the terminal" "$T/log/$(ls -t "$T/log" | grep -m1 '^biso-recover-.*\.log$')" ||
	{ cat "$T/ssh1.log"; fail "line mode over SSH: a warning, or no detached runner"; }
echo "ok: line mode runs detached: no warning about a dropped SSH connection"

# 4. A truncated dump fails clearly and leaves everything as it was.
dump_db biso_copy > "$T/before.sql"
ls -laR --time-style=full-iso "$NEW/webroot" > "$T/files-before.txt"
size=$(stat -c %s "$dump")
head -c $((size * 2 / 3)) "$dump" > "$T/truncated.sql.gz"
sleep 1
set +e
run --only database --dump "$T/truncated.sql.gz" > "$T/run4.log" 2>&1
rc=$?
set -e
# found by the check before the first step: exit 2, nothing touched
[ $rc = 2 ] && grep -q "nothing was touched" "$T/run4.log" || { cat "$T/run4.log"; fail "truncated dump: exit $rc, expected 2"; }
grep -q "truncated.sql.gz" "$T/run4.log" || { cat "$T/run4.log"; fail "error does not name the dump"; }
grep -q "gzip stream is truncated" "$T/run4.log" || { cat "$T/run4.log"; fail "error does not say the dump is truncated"; }
grep -q "truncated.sql.gz:[0-9]* (byte [0-9]*)" "$T/run4.log" || { cat "$T/run4.log"; fail "error names no line and byte offset"; }
dump_db biso_copy > "$T/after.sql"
cmp -s "$T/before.sql" "$T/after.sql" || fail "the live database changed after a failed restore"
ls -laR --time-style=full-iso "$NEW/webroot" > "$T/files-after.txt"
cmp -s "$T/files-before.txt" "$T/files-after.txt" || fail "files changed after a failed database restore"
echo "ok: truncated dump refused: $(grep -m1 'gzip stream is truncated' "$T/run4.log")"
# 4b. The whole restore with that dump: the dump check runs beside the
#    webroot step (flow_def.slow_checks), which waits for it before its
#    swap; refused there, nothing changed: webroot and datadir as they
#    were, no staging tree, no biso_copy_restoring, exit 2 as a preflight
#    refusal, the error naming the file and byte offset.
ls -A "$NEW" > "$T/new-before.txt"
dbs_before=$(psql -XAtc "SELECT string_agg(datname, ' ' ORDER BY datname) FROM pg_database")
set +e
run --dump "$T/truncated.sql.gz" > "$T/run4b.log" 2>&1
rc=$?
set -e
runlog=$(ls -t "$T"/log/biso-recover-*.log | head -1)
[ $rc = 2 ] || { cat "$T/run4b.log"; fail "whole restore of a truncated dump: exit $rc, expected 2"; }
grep -q "the dump check runs beside the first steps" "$runlog" ||
	{ cat "$runlog"; fail "the dump check did not run beside the first step"; }
grep -q "refused before anything was replaced: .*truncated.sql.gz:[0-9]* (byte [0-9]*).*gzip stream is truncated" "$runlog" ||
	{ cat "$runlog"; fail "the whole restore's refusal names no file and byte offset"; }
grep -q "truncated.sql.gz:[0-9]* (byte [0-9]*)" "$T/run4b.log" ||
	{ cat "$T/run4b.log"; fail "the operator is not told the file and byte offset"; }
# a refusal as the preflight's, come late: said as one, with what to do;
# no step failed (least of all the webroot, which only waited), nothing to
# finish, so no --only command (it would take the same cut dump again)
grep -q "^error: refused before anything was replaced: $T/truncated.sql.gz:[0-9]* (byte [0-9]*)" "$T/run4b.log" &&
	grep -q "^HINT: " "$T/run4b.log" ||
	{ cat "$T/run4b.log"; fail "the cut dump is not refused as a preflight refuses it"; }
! grep -q "step webroot failed\|ended early\|not done:\|to finish them\|--only" "$T/run4b.log" &&
	! grep -Eq '^[a-z]+ +failed' "$T/run4b.log" &&
	grep -Eq '^webroot +pending$' "$T/run4b.log" ||
	{ cat "$T/run4b.log"; fail "the refused run blames a step or offers to finish it"; }
dump_db biso_copy > "$T/after4b.sql"
cmp -s "$T/before.sql" "$T/after4b.sql" || fail "the live database changed after a refused whole restore"
# (the webroot's parent, "..", got the staging tree and lost it again)
ls -laR --time-style=full-iso "$NEW/webroot" | grep -v ' \.\.$' > "$T/files-after4b.txt"
grep -v ' \.\.$' "$T/files-before.txt" | cmp -s - "$T/files-after4b.txt" ||
	{ grep -v ' \.\.$' "$T/files-before.txt" | diff - "$T/files-after4b.txt" | head; fail "webroot or datadir changed after a refused whole restore"; }
ls -A "$NEW" | cmp -s - "$T/new-before.txt" ||
	{ ls -A "$NEW"; fail "a refused whole restore left a staging tree or a kept copy"; }
[ "$(psql -XAtc "SELECT string_agg(datname, ' ' ORDER BY datname) FROM pg_database")" = "$dbs_before" ] ||
	fail "a refused whole restore left a database behind (biso_copy_restoring?)"
# it ended (journal "end"): the next run finds no interrupted run
run --dry-run --only webroot > "$T/after4b-plan.txt" 2>&1 || { cat "$T/after4b-plan.txt"; fail "--dry-run after the refusal failed"; }
! grep -q "interrupted" "$T/after4b-plan.txt" || { cat "$T/after4b-plan.txt"; fail "a refused run is taken for an interrupted one"; }
echo "ok: whole restore of a truncated dump: checked beside the webroot step, refused before its swap, nothing changed"
# 4c. The same with services to stop: they are stopped only after the dump
#    check passed, right before the swap (run_before_change()), so a
#    refused dump stops none: the stop command never runs, exit 2, nothing
#    changed, no services entry left in the journal for the next run.
sed "/^services = {/a\\
  stop_services = ( [ \"/usr/bin/touch\", \"$T/svc-stopped\" ] );\\
  start_services = ( [ \"/usr/bin/touch\", \"$T/svc-started\" ] );" "$S/biso-recover.conf" > "$T/svc.conf"
grep -q "svc-stopped" "$T/svc.conf" || fail "could not add services to the configuration"
set +e
"$BISO_RECOVER" restore --yes --again --config "$T/svc.conf" --webroot "$NEW/webroot" \
	--config-php "$T/config.php" --log-dir "$T/log" --dump "$T/truncated.sql.gz" > "$T/run4c.log" 2>&1
rc=$?
set -e
[ $rc = 2 ] || { cat "$T/run4c.log"; fail "restore with services of a truncated dump: exit $rc, expected 2"; }
[ ! -e "$T/svc-stopped" ] || { cat "$T/run4c.log"; fail "a refused dump stopped the services"; }
[ ! -e "$T/svc-started" ] || fail "a refused dump started services it never stopped"
ls -laR --time-style=full-iso "$NEW/webroot" | grep -v ' \.\.$' > "$T/files-after4c.txt"
cmp -s "$T/files-after4b.txt" "$T/files-after4c.txt" || fail "webroot or datadir changed after a refused restore with services"
ls -A "$NEW" | cmp -s - "$T/new-before.txt" || { ls -A "$NEW"; fail "a refused restore with services left a staging tree"; }
dump_db biso_copy | cmp -s "$T/before.sql" - || fail "the live database changed after a refused restore with services"
run --dry-run --only webroot > "$T/after4c-plan.txt" 2>&1 || { cat "$T/after4c-plan.txt"; fail "--dry-run after the refusal with services failed"; }
! grep -qi "interrupted\|services" "$T/after4c-plan.txt" || { cat "$T/after4c-plan.txt"; fail "a refused run left services or an interrupted run in the journal"; }
echo "ok: a refused dump stops no services (they stop only right before the swap)"
# 5. db-restore from stdin into an empty database equals psql's restore;
#    files-restore of the datadir backup equals rsync's copy.
psql -qX -c "CREATE DATABASE biso_stdin OWNER biso TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'de_CH.utf8' LC_CTYPE 'de_CH.utf8'"
gunzip -c "$dump" | "$BISO_RECOVER" db-restore --dbname "host=$PGHOST port=$PGPORT user=biso dbname=biso_stdin" - \
	> "$T/dbr.log" 2>&1 || { cat "$T/dbr.log"; fail "db-restore from stdin failed"; }
dump_db biso_stdin > "$T/stdin.sql"
diff -u "$T/reference.sql" "$T/stdin.sql" > /dev/null || fail "db-restore - differs from psql's restore"
"$BISO_RECOVER" files-restore "$S/backups/data" "$T/files" > "$T/fr.log" 2>&1 || { cat "$T/fr.log"; fail "files-restore failed"; }
rsync -a "$S/backups/data/" "$T/rsync-copy/"
out=$(rsync -ani --checksum "$T/rsync-copy/" "$T/files/")
[ -z "$out" ] || { echo "$out"; fail "files-restore differs from rsync -a"; }
echo "ok: db-restore from stdin equals psql; files-restore equals rsync -a"
# An archive whose every member is refused (tar -P: absolute paths) never
# replaces a tree with nothing.
mkdir -p "$T/abs"; echo x > "$T/abs/file"
tar -cPf "$T/abs.tar" "$T/abs/file" 2>/dev/null
find "$T/files" -printf '%p %M %T@ %s\n' | sort > "$T/files-before"
set +e; "$BISO_RECOVER" files-restore "$T/abs.tar" "$T/files" > "$T/abs.log" 2>&1; rc=$?; set -e
[ $rc = 1 ] && grep -q "all 1 member(s) were refused" "$T/abs.log" || { cat "$T/abs.log"; fail "all-refused archive: exit $rc"; }
find "$T/files" -printf '%p %M %T@ %s\n' | sort | cmp -s - "$T/files-before" || fail "all-refused archive changed the target"
echo "ok: an archive whose every member is refused leaves the target alone"
"$BISO_RECOVER" db-restore --create --config "$S/biso-recover.conf" --log-dir "$T/log" \
	--dbname "host=$PGHOST port=$PGPORT user=biso dbname=biso_created" "$dump" > "$T/create.log" 2>&1 ||
	{ cat "$T/create.log"; fail "db-restore --create failed"; }
dump_db biso_created > "$T/created.sql"
diff -u "$T/reference.sql" "$T/created.sql" > /dev/null || fail "db-restore --create differs from psql's restore"
echo "ok: db-restore --create (checked, locked, swapped in) equals psql's restore"
runlog=$(sed -n 's/^log: //p' "$T/create.log")
case $runlog in "$T"/log/biso-recover-*.log) ;; *) cat "$T/create.log"; fail "db-restore --create names no run log in $T/log";; esac
[ "$(stat -c %a "$runlog")" = 600 ] && text_has "$(tail -n 1 "$runlog")" "finished (exit 0)$" && grep -q "replaying\|replayed" "$runlog" ||
	{ ls -l "$runlog"; cat "$runlog"; fail "db-restore --create: the run log is not 0600 or not complete"; }
echo "ok: db-restore --create writes a run log (mode 0600)"
# without a backup set or config.php: one dump into one database
: > "$T/empty.conf"
"$BISO_RECOVER" db-restore --create --config "$T/empty.conf" --log-dir "$T/log-alone" \
	--dbname "host=$PGHOST port=$PGPORT user=biso dbname=biso_alone" "$dump" > "$T/alone.log" 2>&1 ||
	{ cat "$T/alone.log"; fail "db-restore --create without a backup set failed"; }
dump_db biso_alone > "$T/alone.sql"
diff -u "$T/reference.sql" "$T/alone.sql" > /dev/null || fail "db-restore --create without a backup set differs from psql's restore"
echo "ok: db-restore --create needs neither a backup set nor a config.php"
# a cut dump is refused as restore refuses it (exit 2), with a hint about
# that file (not about the default backup_root), and nothing is created,
# the log directory neither
head -c 60000 < <(gunzip -c "$dump") | gzip > "$T/cut60k.sql.gz"
set +e; "$BISO_RECOVER" db-restore --create --config "$T/empty.conf" --log-dir "$T/log-cut" \
	--dbname "host=$PGHOST port=$PGPORT user=biso dbname=biso_cut" "$T/cut60k.sql.gz" > "$T/cut.log" 2>&1; rc=$?; set -e
[ $rc = 2 ] && grep -q "^biso-recover: nothing was touched: $T/cut60k.sql.gz:[0-9]*: the COPY data of " "$T/cut.log" &&
	grep -qxF "HINT: biso-recover db-inspect $T/cut60k.sql.gz shows what it holds; use an older, complete dump." "$T/cut.log" &&
	! grep -q "/db is complete" "$T/cut.log" ||
	{ cat "$T/cut.log"; fail "db-restore --create of a cut dump: exit $rc, expected 2 and a hint about the file"; }
[ ! -e "$T/log-cut" ] || fail "db-restore --create of a cut dump created its log directory"
[ -z "$(psql -XAtc "SELECT datname FROM pg_database WHERE datname LIKE 'biso_cut%'")" ] || fail "db-restore --create of a cut dump created a database"
echo "ok: db-restore --create refuses a cut dump with exit 2, names the file, creates nothing"
set +e; "$BISO_RECOVER" db-restore --single-transaction --on-error continue --dbname "dbname=biso_never" "$dump" \
	> "$T/1tx.log" 2>&1; rc=$?; set -e
[ $rc = 2 ] && grep -q "do not go together" "$T/1tx.log" || { cat "$T/1tx.log"; fail "--single-transaction --on-error continue: exit $rc"; }
echo "ok: --single-transaction with --on-error continue is refused as a usage error"
# A failing statement in stop mode: the error is printed once, then where
# the replay stopped.
psql -X -q -d postgres -c "CREATE DATABASE biso_once OWNER biso" >/dev/null
printf 'CREATE TABLE a (x int);\nINSERT INTO a VALUES (1/0);\nINSERT INTO a VALUES (1);\n' > "$T/zero.sql"
set +e; "$BISO_RECOVER" db-restore --dbname "host=$PGHOST port=$PGPORT user=biso dbname=biso_once" "$T/zero.sql" \
	> "$T/once.log" 2>&1; rc=$?; set -e
[ $rc = 1 ] && [ "$(grep -c 'division by zero' "$T/once.log")" = 1 ] &&
	grep -q "stopped at $T/zero.sql:2 (the error above); nothing after it was run" "$T/once.log" &&
	[ "$(psql -X -At -d biso_once -c 'select count(*) from a')" = 0 ] ||
	{ cat "$T/once.log"; fail "stop mode: the error is not printed once, or the replay went on (exit $rc)"; }
echo "ok: db-restore in stop mode prints the failing statement's error once and where it stopped"
# The same through --create (the restore step): the error with its detail
# once, then the step's one-line end; the live database untouched.
gunzip -c "$dump" | sed '0,/^CREATE TABLE/s//CREATE TABLE nosuchschema.x (a int);\nCREATE TABLE/' > "$T/bad-create.sql"
set +e; "$BISO_RECOVER" db-restore --create --config "$T/empty.conf" --log-dir "$T/log-once" \
	--dbname "host=$PGHOST port=$PGPORT user=biso dbname=biso_once" "$T/bad-create.sql" > "$T/once2.log" 2>&1; rc=$?; set -e
[ $rc = 1 ] && [ "$(grep -c 'schema "nosuchschema" does not exist' "$T/once2.log")" = 2 ] &&
	[ "$(grep -c '^DETAIL: ' "$T/once2.log")" = 1 ] &&
	grep -q '^error: step database failed: schema "nosuchschema" does not exist$' "$T/once2.log" ||
	{ cat "$T/once2.log"; fail "--create: the stopping error is not printed once (exit $rc)"; }
echo "ok: db-restore --create prints the error once, then the step's end"
# ... and with --on-error continue it goes on, swaps the database in and
# exits 3 (finished past errors), as the restore command does
set +e; "$BISO_RECOVER" db-restore --create --on-error continue --config "$T/empty.conf" --log-dir "$T/log-once" \
	--dbname "host=$PGHOST port=$PGPORT user=biso dbname=biso_cont" "$T/bad-create.sql" > "$T/cont.log" 2>&1; rc=$?; set -e
[ $rc = 3 ] && [ "$(psql -X -At -d biso_cont -c 'select count(*) from person')" = 400 ] ||
	{ cat "$T/cont.log"; fail "--create --on-error continue: exit $rc, expected 3 with the data restored"; }
echo "ok: db-restore --create --on-error continue restores past the error and exits 3"
# Without --create a dump file is read once first: a cut-off --clean dump
# is refused before its DROPs reach the database; --no-check replays it
# (as psql would) and fails at its end.
gunzip -c "$dump" | sed -n "1,3000p" > "$T/cut3000.sql"
before=$(psql -X -At -d biso_cont -c 'select count(*) from person')
set +e; "$BISO_RECOVER" db-restore --dbname "host=$PGHOST port=$PGPORT user=biso dbname=biso_cont" "$T/cut3000.sql" \
	> "$T/cut3000.log" 2>&1; rc=$?; set -e
[ $rc = 1 ] && grep -q 'nothing was changed in the database: .*cut3000.sql:[0-9]*: .* is not terminated' "$T/cut3000.log" &&
	[ "$(psql -X -At -d biso_cont -c 'select count(*) from person')" = "$before" ] ||
	{ cat "$T/cut3000.log"; fail "db-restore of a cut dump: exit $rc, or the database changed"; }
set +e; "$BISO_RECOVER" db-restore --no-check --dbname "host=$PGHOST port=$PGPORT user=biso dbname=biso_cont" \
	"$T/cut3000.sql" > "$T/cut3000b.log" 2>&1; rc=$?; set -e
[ $rc = 1 ] && grep -q 'cut3000.sql:[0-9]*: the COPY data that began at line [0-9]* is not terminated' "$T/cut3000b.log" ||
	{ cat "$T/cut3000b.log"; fail "db-restore --no-check of a cut dump: exit $rc"; }
echo "ok: db-restore refuses a cut-off dump file before sending anything; --no-check replays and fails at the cut"
# COMMAND --help explains that command's options
for cmd in restore db-restore db-inspect files-restore files-verify; do
	"$BISO_RECOVER" $cmd --help > "$T/help.txt" || fail "$cmd --help failed"
	text_has "$(head -n 1 "$T/help.txt")" "^Usage: biso-recover $cmd" || { cat "$T/help.txt"; fail "$cmd --help is not its own"; }
done
fr_help=$("$BISO_RECOVER" files-restore --help)
text_has "$fr_help" -- '--merge  *write into the existing TARGET like rsync -a' && text_has "$fr_help" -- '--acls ' ||
	fail "files-restore --help does not explain --merge and --acls"
echo "ok: COMMAND --help shows that command's usage and options"
# A wrong input on the command line is a usage error (exit 2) that names it
# once and points to the command's own help; nothing is touched.
cli_refused() { # PATTERN COMMAND...
	local pattern=$1; shift
	set +e; "$BISO_RECOVER" "$@" > "$T/cli.log" 2>&1; local rc=$?; set -e
	[ $rc = 2 ] && grep -q -- "$pattern" "$T/cli.log" && grep -q "^Try 'biso-recover $1 --help'.$" "$T/cli.log" ||
		{ cat "$T/cli.log"; fail "$*: exit $rc, expected 2 and /$pattern/"; }
}
cli_refused "cannot read the dump $T/no-such.sql: No such file or directory" db-restore --dbname "dbname=x" "$T/no-such.sql"
cli_refused '--dbname is not a libpq conninfo: missing "=" after "dbname"' db-restore --dbname "host=/nowhere dbname" "$dump"
cli_refused "--on-error takes stop or continue, not 'maybe'" db-restore --dbname "dbname=x" --on-error maybe "$dump"
cli_refused "the dump $T is a directory" db-inspect "$T"
cli_refused "cannot read the source $T/no-such-dir" files-restore "$T/no-such-dir" "$T/never"
[ ! -e "$T/never" ] || fail "files-restore with a missing source created the target"
echo "ok: a missing dump or source, a bad conninfo or --on-error value: exit 2, named once, COMMAND --help"
# 6. Safety nets: every one of these must fail, name the cause, and leave
#    the live instance as it was.
snapshot() { dump_db biso_copy; ls -laR --time-style=full-iso "$NEW/webroot" | grep -v pre-restore; }
snapshot > "$T/snap-before.txt"
expect_refusal() { # name, exit code, pattern, then the command
	local name=$1 want=$2 pattern=$3; shift 3
	sleep 1
	set +e
	"$@" > "$T/$name.log" 2>&1
	local rc=$?
	set -e
	[ $rc = "$want" ] || { cat "$T/$name.log"; fail "$name: exit $rc, expected $want"; }
	grep -q -- "$pattern" "$T/$name.log" || { cat "$T/$name.log"; fail "$name: no '$pattern' in the message"; }
	snapshot > "$T/snap-after.txt"
	cmp -s "$T/snap-before.txt" "$T/snap-after.txt" || { diff "$T/snap-before.txt" "$T/snap-after.txt" | head; fail "$name: the live instance changed"; }
	echo "ok: $name refused: $(grep -m1 -- "$pattern" "$T/$name.log")"
}
# A dump cut after its data section: every row, but no indexes or keys.
gunzip -c "$dump" | sed '/^-- PostgreSQL database dump complete/,$d' | head -n -30 | gzip > "$T/cut.sql.gz"
expect_refusal cut-dump 2 'no "dump complete" trailer' run --only database --dump "$T/cut.sql.gz"
# db-inspect: the cut dump is a finding (exit 1), the good one is not.
"$BISO_RECOVER" db-inspect "$dump" > "$T/inspect.txt" || { cat "$T/inspect.txt"; fail "db-inspect of a good dump failed"; }
[ "$(grep -c '^  public\.' "$T/inspect.txt")" = 8 ] && grep -q "public.person  *400 rows" "$T/inspect.txt" ||
	{ cat "$T/inspect.txt"; fail "db-inspect lists other tables"; }
set +e; "$BISO_RECOVER" db-inspect "$T/cut.sql.gz" > "$T/inspect-cut.txt"; rc=$?; set -e
[ $rc = 1 ] && grep -Eq "NO \(cut at line [0-9]+ / byte offset [0-9]+ of the SQL\): no \"dump complete\" trailer" "$T/inspect-cut.txt" || fail "db-inspect of a cut dump: exit $rc"
echo "ok: db-inspect lists 8 tables with their rows and flags the cut dump"
# (A dump of another database is a warning, not a refusal: restore-flow.sh.)
# An empty datadir backup (an unmounted share), found before any step.
mkdir -p "$T/empty-backup/data" "$T/empty-backup/db"
cp "$dump" "$T/empty-backup/db/"
expect_refusal empty-data 2 'nothing was touched: the datadir backup .* is empty' run --only datadir --backup-root "$T/empty-backup"
# A missing web user is found before anything is touched.
sleep 1
set +e
run --only webroot,datadir --web-user nosuchuser > "$T/nouser.log" 2>&1
rc=$?
set -e
[ $rc = 2 ] && grep -q 'nothing was touched: web user "nosuchuser" does not exist' "$T/nouser.log" ||
	{ cat "$T/nouser.log"; fail "unknown web user: exit $rc, expected 2 before any step"; }
snapshot > "$T/snap-after.txt"
cmp -s "$T/snap-before.txt" "$T/snap-after.txt" || fail "unknown web user: the live instance changed"
echo "ok: an unknown web user is refused before any step"
# A datadir step that fails after the webroot step (a corrupt archive):
# the live webroot keeps its datadir.
mkdir -p "$T/bad-backup/data"
cp -a "$S/backups/webroot" "$T/bad-backup/webroot"
tar -czf "$T/good.tar.gz" -C "$S/backups/data" .
head -c $(( $(stat -c %s "$T/good.tar.gz") / 2 )) "$T/good.tar.gz" > "$T/bad-backup/data/data_29991231_000000.tar.gz"
sleep 1
set +e
run --only webroot,datadir --backup-root "$T/bad-backup" > "$T/baddata.log" 2>&1
rc=$?
set -e
[ $rc = 1 ] || { cat "$T/baddata.log"; fail "corrupt datadir archive: exit $rc, expected 1"; }
out=$(rsync -ani --checksum --no-owner --no-group "$S/backups/data/" "$NEW/webroot/data/")
[ -z "$out" ] || { echo "$out"; fail "the carried datadir differs"; }
echo "ok: a failed datadir step leaves the live datadir in the new webroot"
# The operator's config.php keeps the owner and mode of the one it replaces,
# and the old one is kept outside the webroot.
chown root:www-data "$NEW/webroot/config.php"
chmod 0640 "$NEW/webroot/config.php"
sleep 1
run --only config > "$T/cfg.log" 2>&1 || { cat "$T/cfg.log"; fail "config step failed"; }
[ "$(stat -c '%U:%G %a' "$NEW/webroot/config.php")" = "root:www-data 640" ] || fail "config.php lost its owner/mode: $(stat -c '%U:%G %a' "$NEW/webroot/config.php")"
ls "$NEW"/webroot.config.php.pre-restore-* > /dev/null || fail "old config.php not kept beside the webroot"
[ -z "$(ls "$NEW/webroot" | grep pre-restore)" ] || fail "something pre-restore was left inside the webroot"
echo "ok: config.php keeps root:www-data 0640; the old one is kept beside the webroot"

# The datadir's staging and kept copies never sit inside the webroot, where
# the web server serves (issue 16.5): beside it by default, in keep_dir when
# set; kept mode 0700 and named in the summary; the plan names the same path.
sleep 1
run --only datadir --dry-run > "$T/dd0.log" 2>&1 || { cat "$T/dd0.log"; fail "dry run of the datadir step"; }
planned=$(sed -n 's/.*the old one is moved out of the webroot, to \(.*\))$/\1/p' "$T/dd0.log")
run --only datadir > "$T/dd1.log" 2>&1 || { cat "$T/dd1.log"; fail "datadir step alone"; }
went=$(sed -n 's/^kept: //p' "$T/dd1.log")
case $went in "$NEW"/webroot.data.pre-restore-*) ;; *) cat "$T/dd1.log"; fail "the kept datadir is $went, not beside the webroot";; esac
# (the dry run and the run have their own time stamps)
[ "${went%pre-restore-*}" = "${planned%pre-restore-*}" ] && [ -n "$planned" ] ||
	fail "the plan said the old datadir goes to $planned, it went to $went"
[ "$(stat -c %a "$went")" = 700 ] || fail "the kept datadir $went is mode $(stat -c %a "$went")"
[ -z "$(ls -a "$NEW/webroot" | grep -e restoring -e pre-restore)" ] || fail "a datadir copy was left inside the webroot: $(ls -a "$NEW/webroot")"
mkdir -p "$T/keep"
{ cat "$S/biso-recover.conf"; printf 'keep_dir = "%s";\n' "$T/keep"; } > "$T/keep.conf"
sleep 1
"$BISO_RECOVER" restore --yes --again --config "$T/keep.conf" --webroot "$NEW/webroot" --config-php "$T/config.php" \
	--log-dir "$T/log" --only datadir > "$T/dd2.log" 2>&1 || { cat "$T/dd2.log"; fail "datadir step with keep_dir"; }
went=$(sed -n 's/^kept: //p' "$T/dd2.log")
case $went in "$T"/keep/webroot.data.pre-restore-*) ;; *) cat "$T/dd2.log"; fail "with keep_dir the kept datadir is $went";; esac
out=$(rsync -ani --checksum --no-owner --no-group "$S/backups/data/" "$NEW/webroot/data/")
[ -z "$out" ] || { echo "$out"; fail "the datadir restored through keep_dir differs from the backup"; }
# cleanup and the preflight look for kept copies where the restore put them
"$BISO_RECOVER" cleanup --dry-run --config "$T/keep.conf" --webroot "$NEW/webroot" \
	--config-php "$T/config.php" --log-dir "$T/log" > "$T/cleanup-keep.log" 2>&1 ||
	{ cat "$T/cleanup-keep.log"; fail "cleanup --dry-run with keep_dir failed"; }
grep -q "^ *[0-9]*  .* ${went}\(  (newest: kept)\)\?$" "$T/cleanup-keep.log" ||
	{ cat "$T/cleanup-keep.log"; fail "cleanup with keep_dir does not list the kept datadir $went"; }
"$BISO_RECOVER" restore --dry-run --only datadir --config "$T/keep.conf" --webroot "$NEW/webroot" \
	--config-php "$T/config.php" --log-dir "$T/log" > "$T/kept-keep.log" 2>&1 ||
	{ cat "$T/kept-keep.log"; fail "dry run with keep_dir failed"; }
grep -q "kept copy of the webroot (data): $went" "$T/kept-keep.log" ||
	{ cat "$T/kept-keep.log"; fail "the preflight with keep_dir does not list the kept datadir $went"; }
echo "ok: the datadir's staging and kept copies stay out of the webroot (beside it, or keep_dir), kept 0700, named in the summary"

# The pid of the detached runner of the newest run logging to DIR, from
# its status file.
runner_pid() { sed -n 's/^pid=//p' "$(ls -t "$1"/biso-recover-*.status | head -1)"; }

# Locks are keyed on what a run restores, not on the log directory (issue
# 9.4): a restore whose migration step is running (a php stand-in that
# waits) holds the webroot and database biso_copy; a db-restore --create of
# another database, with the same log directory, runs side by side; one of
# the same database, or a second restore of the instance, is refused
# before it touches anything, naming the holder.
mkdir -p "$T/hold"; chmod 777 "$T/hold" # php runs as the web user
cat > "$T/hold/php" <<EOS
#!/bin/sh
touch "$T/hold/started"
while [ ! -e "$T/hold/release" ]; do sleep 0.1; done
EOS
chmod +x "$T/hold/php"
sed "s|^php = .*|php = \"$T/hold/php\";|" "$S/biso-recover.conf" > "$T/hold.conf"
sleep 1
"$BISO_RECOVER" restore --yes --again --config "$T/hold.conf" --webroot "$NEW/webroot" --config-php "$T/config.php" \
	--log-dir "$T/log" --only migrations > "$T/hold.log" 2>&1 &
holder=$!
for _ in $(seq 600); do [ -e "$T/hold/started" ] && break; sleep 0.1; done
[ -e "$T/hold/started" ] || { cat "$T/hold.log"; fail "the holding restore did not reach its migration step"; }
# the locks are the detached runner's: the messages name its pid
client=$holder
holder=$(runner_pid "$T/log")
[ -n "$holder" ] && [ "$holder" != "$client" ] || fail "no runner pid in the status file (client $client)"
set +e
"$BISO_RECOVER" db-restore --create --config "$S/biso-recover.conf" --log-dir "$T/log" \
	--dbname "host=$PGHOST port=$PGPORT user=biso dbname=biso_side" "$dump" > "$T/side.log" 2>&1; rc1=$?
# (a restore with the same log directory would attach to the running one:
# tests/integration/restore-attach.sh)
run --only database --log-dir "$T/otherlog" > "$T/locked.log" 2>&1; rc2=$?
"$BISO_RECOVER" db-restore --create --config "$S/biso-recover.conf" --log-dir "$T/otherlog" \
	--dbname "host=$PGHOST port=$PGPORT user=biso dbname=biso_copy" "$dump" > "$T/locked4.log" 2>&1; rc4=$?
run --only webroot --log-dir "$T/otherlog" > "$T/locked2.log" 2>&1; rc3=$?
set -e
touch "$T/hold/release"
wait $client || { cat "$T/hold.log"; fail "the holding restore failed"; }
[ $rc1 = 0 ] || { cat "$T/side.log"; fail "db-restore --create of another database beside a restore: exit $rc1"; }
[ "$(dump_db biso_side)" = "$(cat "$T/reference.sql")" ] || fail "db-restore --create beside a restore differs from psql's restore"
[ $rc2 = 2 ] && grep -q "another biso-recover (pid $holder on $(hostname), started .*) is restoring database $PGHOST:$PGPORT/biso_copy" "$T/locked.log" ||
	{ cat "$T/locked.log"; fail "a second restore of the database at once: exit $rc2, expected 2"; }
[ $rc3 = 2 ] && grep -q "another biso-recover (pid $holder .*) is restoring webroot $NEW/webroot" "$T/locked2.log" ||
	{ cat "$T/locked2.log"; fail "a second restore of the webroot (other log directory): exit $rc3, expected 2"; }
[ $rc4 != 0 ] && grep -q "another biso-recover (pid $holder .*) is restoring database $PGHOST:$PGPORT/biso_copy" "$T/locked4.log" ||
	{ cat "$T/locked4.log"; fail "db-restore --create of the database a restore is migrating: exit $rc4"; }
grep -q "terminated" "$T/hold.log" && { cat "$T/hold.log"; fail "a session of the restore was terminated"; }
echo "ok: locks are per target: db-restore --create of another database ran beside a restore; $(grep -m1 another "$T/locked.log")"
echo "ok: db-restore --create of the database a restore is migrating is refused (issue 16.10)"

# No child outlives a killed run (issue 16.9): the migration step's
# biso-cli (a stand-in that sleeps) ends soon after biso-recover is
# killed with -9 (it was seen migrating on for minutes).
mkdir -p "$T/orphan"; chmod 777 "$T/orphan"
cat > "$T/orphan/php" <<EOS
#!/bin/sh
echo \$\$ > "$T/orphan/pid"
exec sleep 300
EOS
chmod +x "$T/orphan/php"
sed "s|^php = .*|php = \"$T/orphan/php\";|" "$S/biso-recover.conf" > "$T/orphan.conf"
sleep 1
"$BISO_RECOVER" restore --yes --again --config "$T/orphan.conf" --webroot "$NEW/webroot" --config-php "$T/config.php" \
	--log-dir "$T/log" --only migrations > "$T/orphan.log" 2>&1 &
holder=$!
for _ in $(seq 600); do [ -s "$T/orphan/pid" ] && break; sleep 0.1; done
[ -s "$T/orphan/pid" ] || { cat "$T/orphan.log"; fail "the migration stand-in did not start"; }
child=$(cat "$T/orphan/pid")
# the run is the detached runner's: the client's death does not end it
runner=$(runner_pid "$T/log")
kill -KILL $holder
wait $holder 2>/dev/null || true
kill -0 "$child" || fail "the migration's child ended with the client: the run did not survive it"
kill -KILL "$runner"

alive() { [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }
for _ in $(seq 100); do alive "$child" || break; sleep 0.1; done
if alive "$child"; then
	kill -KILL "$child" 2>/dev/null || true
	fail "the migration's child (pid $child) outlived the killed runner by 10 s"
fi
echo "ok: the migration's child (pid $child) outlived the killed client and ended with the killed runner"

# The sessions a database swap ends are named: in the plan and the
# confirmation before, in the log when it ends them.
PGAPPNAME=holdme psql -qX -U biso -d biso_copy -c "SELECT pg_sleep(300)" > /dev/null 2>&1 &
sess=$!
for _ in $(seq 100); do
	spid=$(psql -AtXc "SELECT pid FROM pg_stat_activity WHERE application_name = 'holdme' AND datname = 'biso_copy'")
	[ -n "$spid" ] && break
	sleep 0.1
done
[ -n "$spid" ] || fail "the session to be ended did not start"
who="pid $spid (user biso, application holdme, from the local socket)"
run --dry-run > "$T/sess0.log" 2>&1 || { cat "$T/sess0.log"; fail "dry run with a session on the database"; }
grep -qF "sessions on it now, ended at the swap: $who" "$T/sess0.log" || { cat "$T/sess0.log"; fail "the plan does not name the session"; }
sleep 1
run --only database > "$T/sess1.log" 2>&1 || { cat "$T/sess1.log"; fail "the database step with a session on it"; }
wait $sess 2>/dev/null || true
grep -qF "terminated 1 session(s) on database \"biso_copy\": $who" "$T/log/$(ls -t "$T/log" | grep -m1 '^biso-recover-.*\.log$')" ||
	{ cat "$T/sess1.log"; fail "the log does not name the terminated session"; }
echo "ok: the session a swap ends is named in the plan and the log: $who"

# A run killed between the two renames of its swap: the next run says how
# to put the live webroot back and touches nothing; once it is back, the
# journal entry is closed and restores run again.
printf 'begin\t20000101_000000\tfiles\t%s\t%s\t%s\n' "$NEW/webroot" \
	"$NEW/webroot.pre-restore-20000101_000000" "$NEW/webroot.restoring" >> "$T/log/journal"
mv "$NEW/webroot" "$NEW/webroot.pre-restore-20000101_000000"
set +e
run --only webroot > "$T/journal.log" 2>&1
rc=$?
set -e
[ $rc = 2 ] && grep -q "interrupted in the middle of a swap" "$T/journal.log" &&
	grep -q "mv '$NEW/webroot.pre-restore-20000101_000000' '$NEW/webroot'" "$T/journal.log" ||
	{ cat "$T/journal.log"; fail "interrupted swap: exit $rc"; }
[ ! -e "$NEW/webroot" ] || fail "interrupted swap: something was written"
mv "$NEW/webroot.pre-restore-20000101_000000" "$NEW/webroot"
sleep 1
run --only webroot > "$T/journal2.log" 2>&1 || { cat "$T/journal2.log"; fail "restore after putting the webroot back"; }
grep -q "closed that journal entry" "$T/journal2.log" || fail "the journal entry was not closed"
echo "ok: an interrupted swap is found and explained; after the fix the journal entry is closed"

# Killed after the live datadir was carried into the staging tree, before
# the swap: a run with another log directory (no journal) must not remove
# that staging tree and names the mv that puts it back; --dry-run says what
# a real run moves and changes nothing; the journaled run moves it back.
mkdir -p "$NEW/webroot.restoring"
mv "$NEW/webroot/data" "$NEW/webroot.restoring/data"
printf 'begin\t20000101_000001\tfiles\t%s\t%s\t%s\n' "$NEW/webroot" \
	"$NEW/webroot.pre-restore-20000101_000001" "$NEW/webroot.restoring" >> "$T/log/journal"
hint="mv '$NEW/webroot.restoring/data' '$NEW/webroot/data'"
set +e
run --only webroot --log-dir "$T/otherlog" > "$T/strand2.log" 2>&1; rc2=$?
run --dry-run > "$T/strand0.log" 2>&1; rc0=$?
set -e
[ $rc2 = 2 ] && grep -qF "$hint" "$T/strand2.log" || { cat "$T/strand2.log"; fail "stranded datadir, other log dir: exit $rc2"; }
[ $rc0 = 0 ] && grep -qF "the live datadir is at $NEW/webroot.restoring/data; a real run moves it to $NEW/webroot/data" "$T/strand0.log" ||
	{ cat "$T/strand0.log"; fail "dry-run: stranded datadir not reported (exit $rc0)"; }
[ -d "$NEW/webroot.restoring/data/attachments" ] && [ ! -e "$NEW/webroot/data" ] || fail "the stranded datadir was moved or removed"
sleep 1
run --only webroot > "$T/strand1.log" 2>&1 || { cat "$T/strand1.log"; fail "stranded datadir: the journaled run failed"; }
grep -qF "moved the live datadir from $NEW/webroot.restoring/data to $NEW/webroot/data" "$T/strand1.log" ||
	{ cat "$T/strand1.log"; fail "stranded datadir: the journaled run did not say it moved it back"; }
out=$(rsync -ani --checksum --no-owner --no-group "$S/backups/data/" "$NEW/webroot/data/")
[ -z "$out" ] && [ ! -e "$NEW/webroot.restoring" ] || { echo "$out"; fail "the datadir put back differs, or staging is left"; }
echo "ok: a datadir stranded in a staging tree is kept (the mv is named) and the journaled run puts it back"

# The plan names the lock files; a lock held (here by flock) stops a run
# whatever its log directory.
lockpath=$(run --dry-run 2>/dev/null | sed -n 's/^locks: webroot .*; database //p')
[ -n "$lockpath" ] && [ "$lockpath" != "(not known)" ] || fail "the plan names no database lock"
flock -o "$lockpath" sleep 5 &
holder=$!
sleep 0.5
set +e
run --only database --log-dir "$T/otherlog" > "$T/locked3.log" 2>&1
rc=$?
set -e
kill $holder 2>/dev/null || true
wait $holder 2>/dev/null || true
[ $rc = 2 ] && grep -q "another biso-recover" "$T/locked3.log" || { cat "$T/locked3.log"; fail "database lock with another log dir: exit $rc"; }
echo "ok: the database lock holds across log directories"

# Archives: a webroot wrapped in a folder and an empty datadir archive are
# refused before anything is touched; a zip without a "./" entry restores
# with the old webroot's mode, not the staging directory's 0700.
mkdir -p "$T/arch/nested/webroot" "$T/arch/nested/data" "$T/arch/zip/webroot" "$T/arch/empty/data" "$T/emptydir"
tar -czf "$T/arch/nested/webroot/webroot_29991231_000000.tar.gz" -C "$S/backups" webroot
cp -a "$S/backups/data/." "$T/arch/nested/data/"
set +e
run --only webroot --backup-root "$T/arch/nested" > "$T/nested.log" 2>&1; rc=$?
set -e
[ $rc = 2 ] && grep -q 'holds the webroot in a folder "webroot/"' "$T/nested.log" || { cat "$T/nested.log"; fail "nested webroot archive: exit $rc"; }
cp -a "$S/backups/webroot" "$T/arch/empty/webroot"
tar -czf "$T/arch/empty/data/data_29991231_000000.tar.gz" -C "$T/emptydir" .
set +e
run --only datadir --backup-root "$T/arch/empty" > "$T/emptyarch.log" 2>&1; rc=$?
set -e
[ $rc = 2 ] && grep -q "holds no file" "$T/emptyarch.log" || { cat "$T/emptyarch.log"; fail "empty datadir archive: exit $rc"; }
chmod 0753 "$NEW/webroot" # world-writable: that bit is not taken over (issue 16.4)
(cd "$S/backups/webroot" && zip -qr "$T/arch/zip/webroot/webroot_29991231_000000.zip" .)
sleep 1
run --only webroot --backup-root "$T/arch/zip" > "$T/zip.log" 2>&1 || { cat "$T/zip.log"; fail "zip webroot restore failed"; }
[ "$(stat -c %a "$NEW/webroot")" = 751 ] || fail "zip webroot: root mode $(stat -c %a "$NEW/webroot"), expected the old 753 without world-write"
[ -f "$NEW/webroot/biso-cli" ] && [ -d "$NEW/webroot/data/attachments" ] || fail "zip webroot: wrong shape or datadir lost"
echo "ok: nested and empty archives refused up front; a zip webroot keeps the old root mode and the datadir"
# files-restore of the same zip gives the root the same mode as the flow
# does: 0755 minus the umask for a new target, else the old target's mode
# without world-write.
zipw=$T/arch/zip/webroot/webroot_29991231_000000.zip
(umask 027; "$BISO_RECOVER" files-restore "$zipw" "$T/zipfiles") > "$T/zipfiles.log" 2>&1 || { cat "$T/zipfiles.log"; fail "files-restore of the zip failed"; }
[ "$(stat -c %a "$T/zipfiles")" = 750 ] || fail "files-restore of a zip into a new target: root mode $(stat -c %a "$T/zipfiles"), expected 0755 minus umask 027 = 750"
chmod 0753 "$T/zipfiles"
sleep 1
"$BISO_RECOVER" files-restore "$zipw" "$T/zipfiles" > "$T/zipfiles2.log" 2>&1 || { cat "$T/zipfiles2.log"; fail "files-restore of the zip over a target failed"; }
[ "$(stat -c %a "$T/zipfiles")" = 751 ] || fail "files-restore of a zip over a 753 target: root mode $(stat -c %a "$T/zipfiles"), expected 751"
echo "ok: files-restore of a zip without ./ gives the root 0755 minus the umask, or the old mode without world-write"
# An archive member refused in a step (here "../evil") is an error gone
# past, as files-restore counts it: the step's line and a warning say so,
# and the run exits 3, not 0.
mkdir -p "$T/arch/evil/webroot"
python3 - "$S/backups/webroot" "$T/arch/evil/webroot/webroot_29991231_000000.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[2], "w") as t:
    t.add(sys.argv[1], arcname=".")
    ti = tarfile.TarInfo("../evil")
    ti.size = 5
    t.addfile(ti, io.BytesIO(b"evil\n"))
EOF
sleep 1
set +e
run --only webroot --backup-root "$T/arch/evil" > "$T/evil.log" 2>&1; rc=$?
"$BISO_RECOVER" files-restore "$T/arch/evil/webroot/webroot_29991231_000000.tar" "$T/evil-files" > "$T/evil-files.log" 2>&1; frc=$?
set -e
[ $rc = 3 ] && [ $frc = 3 ] || { cat "$T/evil.log"; fail "a refused member: restore exited $rc, files-restore $frc (expected 3 and 3)"; }
grep -q "^webroot  *done .*, 1 member refused (listed in the log), not restored" "$T/evil.log" &&
	grep -q "^warning: the webroot step refused 1 archive member (listed in the log): the restored tree lacks them$" "$T/evil.log" ||
	{ cat "$T/evil.log"; fail "the summary does not count the refused member"; }
[ ! -e "$NEW/evil" ] && [ ! -e "$T/evil" ] && [ -f "$NEW/webroot/biso-cli" ] || fail "../evil was written, or the webroot not restored"
echo "ok: a refused archive member makes the restore exit 3, counted on the step's line and warned in the summary"

# --at: the newest backups taken at or before a time.  The demo set holds a
# dump one day older than the newest: restored, it equals psql's restore of
# that dump; a time before every backup is refused, naming the oldest.
old=$(ls "$S"/backups/db/biso_*.sql.gz | sort | head -1)
oldstamp=$(basename "$old" .sql.gz); oldstamp=${oldstamp#biso_}
[ "$old" != "$dump" ] || fail "the demo set has only one dump"
psql -qX -c "CREATE DATABASE biso_oldref OWNER biso TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'de_CH.utf8' LC_CTYPE 'de_CH.utf8'"
gunzip -c "$old" | psql -X -q -v ON_ERROR_STOP=1 -U biso -d biso_oldref > /dev/null 2>&1 || fail "psql could not restore $old"
sleep 1
run --only database --at "$oldstamp" > "$T/at.log" 2>&1 || { cat "$T/at.log"; fail "--at $oldstamp failed"; }
grep -q "reading $old once to check it" "$T/at.log" && grep -q "^dump: $old$" "$T/at.log" &&
	[ "$(dump_db biso_copy)" = "$(dump_db biso_oldref)" ] ||
	{ cat "$T/at.log"; fail "--at $oldstamp did not restore $old"; }
set +e; run --only database --at 20000101 > "$T/at2.log" 2>&1; rc=$?; set -e
[ $rc = 2 ] && grep -q "no database backup taken at or before 2000-01-01 23:59:59" "$T/at2.log" &&
	grep -q "The oldest is $old" "$T/at2.log" || { cat "$T/at2.log"; fail "--at before every backup: exit $rc"; }
# the demo's webroot and datadir copies are kept up to date by rsync, with
# no date: --at takes them as they are and says so
run --dry-run --at "$oldstamp" > "$T/at3.log" 2>&1 || { cat "$T/at3.log"; fail "--dry-run --at $oldstamp (all steps) failed"; }
grep -q "the datadir backup .* is one copy kept up to date in place, without a date" "$T/at3.log" &&
	grep -q "^  \* .*$(basename "$old")" "$T/at3.log" || { cat "$T/at3.log"; fail "--at with undated copies"; }
echo "ok: --at $oldstamp restores the older dump (equal to psql's restore of it); --at 20000101 is refused"

# The optional log database (log_database in the configuration): restored
# with the main one from its own dump, both kept copies named in the summary.
psql -qX -c "CREATE DATABASE biso_logsrc OWNER biso"
psql -qX -U biso -d biso_logsrc -c "CREATE TABLE audit (id int PRIMARY KEY, what text)" \
	-c "INSERT INTO audit SELECT g, 'event ' || g FROM generate_series(1, 500) g"
mkdir -p "$T/logset"
cp -a "$S/backups/webroot" "$S/backups/data" "$S/backups/db" "$T/logset/"
pg_dump --no-owner --no-privileges --clean --if-exists -d biso_logsrc | gzip > "$T/logset/db/biso_log_29991231_000000.sql.gz"
{ cat "$S/biso-recover.conf"; printf 'log_database = {\n  enabled = true;\n  dbname = "biso_copy_log";\n};\n'; } > "$T/log.conf"
for i in 1 2; do
	sleep 1
	"$BISO_RECOVER" restore --yes --again --config "$T/log.conf" --webroot "$NEW/webroot" --config-php "$T/config.php" \
		--log-dir "$T/log" --backup-root "$T/logset" --only database > "$T/logdb$i.log" 2>&1 ||
		{ cat "$T/logdb$i.log"; fail "restore with the log database (run $i) failed"; }
done
[ "$(dump_db biso_copy_log)" = "$(dump_db biso_logsrc)" ] || fail "biso_copy_log differs from its source"
# the log database is locked too: its lock held, the run is refused
loglock=$("$BISO_RECOVER" restore --dry-run --config "$T/log.conf" --webroot "$NEW/webroot" --config-php "$T/config.php" \
	--log-dir "$T/log" --backup-root "$T/logset" --only database 2>/dev/null | sed -n 's/^locks: .*; log database //p')
[ -n "$loglock" ] || fail "the plan names no lock of the log database"
flock -o "$loglock" sleep 5 &
holder=$!
sleep 0.5
set +e
"$BISO_RECOVER" restore --yes --again --config "$T/log.conf" --webroot "$NEW/webroot" --config-php "$T/config.php" \
	--log-dir "$T/otherlog" --backup-root "$T/logset" --only database > "$T/logdb3.log" 2>&1; rc=$?
set -e
kill $holder 2>/dev/null || true
wait $holder 2>/dev/null || true
# flock(1) records no holder line: no command to name
[ $rc = 2 ] && grep -q "(its holder not recorded yet) is working on database $PGHOST:$PGPORT/biso_copy_log" "$T/logdb3.log" ||
	{ cat "$T/logdb3.log"; fail "the log database's lock held: exit $rc"; }
grep -q "^kept: biso_copy_pre_restore_[0-9_]*, biso_copy_log_pre_restore_[0-9_]*$" "$T/logdb2.log" ||
	{ cat "$T/logdb2.log"; fail "the summary does not name both kept databases"; }
echo "ok: the log database is restored from its own dump; $(grep '^kept:' "$T/logdb2.log")"

# Services stopped by a run that was then killed: the next run says so and
# starts them at its end; the journal entry is closed.
mkdir -p "$T/svc" "$T/svclog-marker"
svc_conf() { # STOP_EXTRA: the config with stop/start commands
	sed '/^services = {/,/^};/d' "$S/biso-recover.conf"
	printf 'services = {\n  scheduler_cron = "";\n  stop_services = ( [ "touch", "%s/svc/stopped" ]%s );\n' "$T" "$1"
	printf '  start_services = ( [ "rm", "-f", "%s/svc/stopped" ] );\n};\n' "$T"
}
# the marker is this run's own log directory: pkill -f matches every command
# line on the machine, and a parallel run of this test must not be killed
svc_conf ", [ \"pkill\", \"-KILL\", \"-f\", \"log-dir $T/svclog-marker\" ]" > "$T/svc-kill.conf"
svc_conf '' > "$T/svc.conf"
svc_run() { "$BISO_RECOVER" restore --yes --again --config "$1" --webroot "$NEW/webroot" --config-php "$T/config.php" \
	--log-dir "$T/svclog-marker" --only database "${@:2}"; }
sleep 1
set +e; svc_run "$T/svc-kill.conf" > "$T/svc1.log" 2>&1; rc=$?; set -e
[ $rc = 137 ] && [ -e "$T/svc/stopped" ] && grep -q "	services	services		$" "$T/svclog-marker/journal" ||
	{ cat "$T/svc1.log" "$T/svclog-marker/journal"; fail "the killed run: exit $rc, services not journaled as stopped"; }
svc_run "$T/svc.conf" --dry-run > "$T/svc2.log" 2>&1 || { cat "$T/svc2.log"; fail "dry run after a killed run failed"; }
grep -q "stopped the services and did not start them again; a real run starts them at its end (rm -f $T/svc/stopped)" "$T/svc2.log" &&
	[ -e "$T/svc/stopped" ] || { cat "$T/svc2.log"; fail "the dry run does not name the stopped services"; }
sleep 1
svc_run "$T/svc.conf" > "$T/svc3.log" 2>&1 || { cat "$T/svc3.log"; fail "the run after a killed run failed"; }
grep -q "stopped the services and did not start them again; this run starts them at its end" "$T/svc3.log" &&
	[ ! -e "$T/svc/stopped" ] || { cat "$T/svc3.log"; fail "the services were not started at the end"; }
svc_run "$T/svc.conf" --dry-run > "$T/svc4.log" 2>&1
! grep -q "did not start them" "$T/svc4.log" || { cat "$T/svc4.log" "$T/svclog-marker/journal"; fail "the journal entry stayed open"; }
echo "ok: services stopped by a killed run are journaled, named, and started by the next run"

echo "restore-demo: all checks passed"
