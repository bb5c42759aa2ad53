#!/bin/bash
# The restore flow against the demo backup set and a throw-away cluster:
# what is refused before the first step and what is only a warning, the
# verification's migration and datadir checks, biso-cli through a Docker
# stand-in, the locale check on an SQL_ASCII cluster, and the free-space
# check of the database server.  Each case says what it proves.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root (chown of the datadir to www-data, runuser postgres)"
for t in php rsync pg_dump psql; do command -v $t >/dev/null || skip "$t not installed"; done

T=$(mktemp -d /tmp/br-flow.XXXXXX)
S=$T/s
cleanup() {
	[ -f "$S/env.sh" ] && "$top_srcdir/share/demo/stop.sh" "$S" >/dev/null 2>&1 || true
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
chmod 755 "$T"

"$top_srcdir/share/demo/make-backup-set.sh" "$S" > "$T/make.log" 2>&1 ||
	{ cat "$T/make.log"; fail "could not build the demo backup set"; }
. "$S/env.sh"

# A target instance of its own per case: webroot NAME, database biso_NAME.
config_for() { # NAME -> $T/NAME.config.php naming database biso_NAME
	sed "s/'dbname' *=> *'biso'/'dbname'   => 'biso_$1'/" "$S/backups/webroot/config.php" > "$T/$1.config.php"
}
run_in() { # NAME ARGS...
	local name=$1; shift
	[ -f "$T/$name.config.php" ] || config_for "$name"
	"$BISO_RECOVER" restore --yes --config "${CONF:-$S/biso-recover.conf}" --webroot "$T/$name/webroot" \
		--config-php "$T/$name.config.php" --log-dir "$T/$name/log" "$@"
}
dump_db() { pg_dump --no-owner --no-privileges -d "$1" | grep -v '^\\\(un\)\?restrict '; }

# 1. A live database that holds other tables than the dump (here only an
#    unrelated one) is a warning in the plan and the summary, never a
#    refusal after the webroot and datadir were swapped: the run goes on and
#    keeps the old database as biso_marker_pre_restore_*.
mkdir -p "$T/marker"
psql -qX -c "CREATE DATABASE biso_marker OWNER biso"
psql -qX -U biso -d biso_marker -c "CREATE TABLE old_marker (a int); INSERT INTO old_marker VALUES (42)"
run_in marker --dry-run > "$T/marker-plan.log" 2>&1 || { cat "$T/marker-plan.log"; fail "marker: --dry-run failed"; }
grep -q 'replaces database "biso_marker" .*; warning: biso_[0-9_]*\.sql\.gz does not look like a dump of "biso_marker": only 0 of its 1 tables are in it' "$T/marker-plan.log" ||
	{ cat "$T/marker-plan.log"; fail "marker: the plan does not warn that the dump is not one of the live database"; }
set +e; run_in marker --only webroot,config,datadir,database > "$T/marker.log" 2>&1; rc=$?; set -e
[ $rc = 0 ] || { cat "$T/marker.log"; fail "marker: a dump of other tables than the live database's: exit $rc, expected 0"; }
grep -q '^warning: .*does not look like a dump of "biso_marker"' "$T/marker.log" ||
	{ cat "$T/marker.log"; fail "marker: the summary does not repeat the warning"; }
[ "$(psql -XAt -U biso -d biso_marker -c 'SELECT count(*) FROM person')" = 400 ] || fail "marker: the dump was not restored"
kept=$(psql -XAt -c "SELECT datname FROM pg_database WHERE datname LIKE 'biso_marker_pre_restore_%'")
[ "$(psql -XAt -U biso -d "$kept" -c 'SELECT a FROM old_marker')" = 42 ] || fail "marker: the old database was not kept"
echo "ok: a dump of other tables than the live database's is a warning (plan, summary), restored, old kept as $kept"

echo "restore-flow: all checks passed"
