#!/bin/bash
# backup --config-php FILE: the datadir and the database come from FILE
# (read as if it lay in the webroot, as the refresh reads its target's),
# not from WEBROOT/config.php; before, the option was taken and dropped
# without a word (a plan for a FILE that does not exist, exit 0, and a
# backup of config.php's database).
#   1. a FILE that does not exist: the dry run and the backup are refused
#      naming it, with the same exit code, maintenance mode never on;
#   2. a copy of config.php whose gaia.db names biso_copy: the plan names
#      biso_copy, the backup (its detached runner) dumps it, not biso.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
demo_test_setup backup-config-php "chown of the datadir to www-data, runuser postgres"
mkdir -p "$T/log"
BK=$DEMO_BACKUP_ROOT
applog=$DEMO_DATADIR/biso.log
backup() { "$BISO_RECOVER" backup --config "$S/biso-recover.conf" --log-dir "$T/log" "$@"; }
ons() { grep -c "INFO maintenance mode on" "$applog" || true; }
run() { # OUT ARGS...: backup ARGS, its exit code into $rc
	local out=$1
	shift
	set +e
	backup "$@" > "$T/$out" 2>&1
	rc=$?
	set -e
}

# 1. a config.php that is not there
on0=$(ons)
run plan1.out --dry-run --config-php "$T/nosuch.php"
plan_rc=$rc
[ $rc != 0 ] && grep -q "$T/nosuch.php" "$T/plan1.out" ||
	{ cat "$T/plan1.out"; fail "--dry-run --config-php $T/nosuch.php: exit $rc, not a refusal naming it"; }
run run1.out --config-php "$T/nosuch.php"
[ $rc = $plan_rc ] && grep -q "$T/nosuch.php" "$T/run1.out" ||
	{ cat "$T/run1.out"; fail "backup --config-php $T/nosuch.php: exit $rc (the dry run's: $plan_rc), not a refusal naming it"; }
[ "$(ons)" = "$on0" ] || fail "maintenance mode went on for a backup refused by its config.php"
echo "ok: a --config-php that is not there: dry run and backup refused naming it (exit $rc)"

# 2. a config.php naming another database: that one is dumped
psql -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE biso_copy TEMPLATE biso OWNER biso" >/dev/null
psql -qX -v ON_ERROR_STOP=1 -U biso -d biso_copy -c "CREATE TABLE public.only_in_copy (x integer)" >/dev/null
sed "s/'dbname' *=> *'biso'/'dbname'   => 'biso_copy'/" "$DEMO_WEBROOT/config.php" > "$T/copy.php"
grep -q "'biso_copy'" "$T/copy.php" || fail "the copy of config.php does not name biso_copy"
backup --dry-run --config-php "$T/copy.php" > "$T/plan2.out" 2>&1 || { cat "$T/plan2.out"; fail "the dry run with the copy failed"; }
grep -q "^database biso_copy, datadir $DEMO_DATADIR, webroot $DEMO_WEBROOT$" "$T/plan2.out" ||
	{ cat "$T/plan2.out"; fail "the plan does not name biso_copy and the datadir of the copy"; }
sleep 1 # the demo's own dump is named by its second
backup --config-php "$T/copy.php" > "$T/run2.out" 2>&1 || { cat "$T/run2.out"; fail "the backup with the copy failed"; }
id=$(ls "$BK/manifest" | tail -n 1)
[ -n "$id" ] && [ -f "$BK/db/biso_$id.sql.gz" ] || fail "no backup was published"
zgrep -q "CREATE TABLE public.only_in_copy" "$BK/db/biso_$id.sql.gz" ||
	fail "the dump of backup $id is not of biso_copy (no table only_in_copy)"
echo "ok: --config-php naming biso_copy: the plan names it, the backup dumps it"
