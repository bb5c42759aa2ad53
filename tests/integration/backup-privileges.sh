#!/bin/bash
# A database role that cannot read all that pg_dump dumps is refused by the
# backup's preflight, before maintenance mode goes on: a table owned by
# another role without a grant, and a table whose row level security
# applies to the role (pg_dump, with row_security off, refuses it).  The
# dry run says the plan would fail (exit 1, as the real run), the real run
# is refused with "nothing was touched"; both name the role, the database,
# the table and why, and the hint the GRANT that fixes it.  biso-cli is
# never called, no backup appears.  Once the role can read it, the backup
# is taken and its dump holds the table.  Before, the dry run printed the
# plan (exit 0) and the real run switched maintenance mode on, then pg_dump
# failed midway ("permission denied for table audit_secret").
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
demo_test_setup backup-privileges "chown of the datadir to www-data, runuser postgres"

BK=$DEMO_BACKUP_ROOT
mkdir -p "$T/log"
# the demo's biso-cli records each call when this file exists beside it
CALLS=$DEMO_WEBROOT/biso-cli.calls
: > "$CALLS"
chmod 666 "$CALLS"
backup() { "$BISO_RECOVER" backup --config "$S/biso-recover.conf" --log-dir "$T/log" "$@"; }
parts() { find "$BK" -mindepth 2 -maxdepth 2 | sort; }
admin() { psql -X -q -v ON_ERROR_STOP=1 -d biso "$@"; }

# the backup's role is the demo's biso (config.php): not a superuser
[ "$(psql -X -Atc "SELECT rolsuper FROM pg_roles WHERE rolname = 'biso'")" = f ] ||
	fail "role biso is a superuser: the test proves nothing"
admin <<'SQL'
CREATE ROLE auditor NOLOGIN;
CREATE TABLE public.audit_secret (id integer, note text);
INSERT INTO public.audit_secret VALUES (1, 'only the auditor reads this');
ALTER TABLE public.audit_secret OWNER TO auditor;
SQL
! psql -X -q -U biso -d biso -c "SELECT 1 FROM public.audit_secret" 2>/dev/null ||
	fail "biso can read public.audit_secret: the test proves nothing"

# refused WHY: the dry run and the backup are refused before the first
# step, naming role biso, database biso, table public.audit_secret and WHY,
# with FIX in the hint; biso-cli never runs, nothing appears in the root
refused() {
	local why=$1 fix=$2 rc before
	local what="role biso cannot read what pg_dump dumps from database biso: table public.audit_secret ($why)"
	before=$(parts)
	set +e
	backup --dry-run > "$T/plan.out" 2>&1
	rc=$?
	set -e
	[ $rc = 1 ] || { cat "$T/plan.out"; fail "the dry run exited $rc, not 1 ($why)"; }
	grep -qF "the plan would fail: $what" "$T/plan.out" ||
		{ cat "$T/plan.out"; fail "the dry run does not name the role and the table ($why)"; }
	grep -qF "HINT: As a superuser: $fix" "$T/plan.out" ||
		{ cat "$T/plan.out"; fail "the dry run's hint does not say: $fix"; }
	! grep -q "^Backup plan" "$T/plan.out" || { cat "$T/plan.out"; fail "the dry run printed a plan"; }
	set +e
	backup > "$T/run.out" 2>&1
	rc=$?
	set -e
	[ $rc = 1 ] || { cat "$T/run.out"; fail "the backup exited $rc, not 1 ($why)"; }
	grep -qF "nothing was touched: $what" "$T/run.out" ||
		{ cat "$T/run.out"; fail "the backup was not refused before its first step ($why)"; }
	grep -qF "HINT: As a superuser: $fix" "$T/run.out" ||
		{ cat "$T/run.out"; fail "the backup's hint does not say: $fix"; }
	! grep -q "step maintenance-on" "$T/run.out" || { cat "$T/run.out"; fail "the backup ran maintenance-on"; }
	[ ! -s "$CALLS" ] || { cat "$CALLS"; fail "biso-cli was called ($why)"; }
	[ ! -e "$DEMO_DATADIR/maintenance.on" ] || fail "maintenance mode is on ($why)"
	[ "$(parts)" = "$before" ] || { diff <(echo "$before") <(parts) || true; fail "the backup root changed ($why)"; }
	! grep -q "pg_dump failed" "$T/run.out" || { cat "$T/run.out"; fail "pg_dump ran ($why)"; }
}

# 1. No SELECT on a table owned by another role
refused "no SELECT" 'GRANT SELECT ON "public"."audit_secret" TO "biso";'
grep -qF 'GRANT pg_read_all_data TO "biso";' "$T/run.out" ||
	{ cat "$T/run.out"; fail "the hint does not offer pg_read_all_data"; }
echo "ok: a table biso cannot read: dry run and backup refused before maintenance-on"

# 2. SELECT granted, but row level security applies to biso
admin -c "GRANT SELECT ON public.audit_secret TO biso" \
	-c "ALTER TABLE public.audit_secret ENABLE ROW LEVEL SECURITY"
refused "row level security" 'ALTER ROLE "biso" BYPASSRLS;'
echo "ok: a table whose row level security applies to biso: refused before maintenance-on"

# 3. Readable: the backup is taken, its dump holds the table's row
admin -c "ALTER TABLE public.audit_secret DISABLE ROW LEVEL SECURITY"
backup --dry-run > "$T/plan.out" 2>&1 || { cat "$T/plan.out"; fail "the dry run of a readable database failed"; }
backup > "$T/ok.out" 2>&1 || { cat "$T/ok.out"; fail "the backup of a readable database failed"; }
[ "$(grep -c '^maintenance on$' "$CALLS")" = 1 ] && [ "$(tail -n 1 "$CALLS")" = "maintenance off" ] || { cat "$CALLS"; fail "biso-cli calls of the backup"; }
id=$(ls "$BK/manifest")
[ "$(echo "$id" | wc -l)" = 1 ] && [ -f "$BK/manifest/$id/MANIFEST" ] || fail "no one backup in $BK/manifest: $id"
zcat "$BK/db/biso_$id.sql.gz" > "$T/dump.sql"
grep -q "only the auditor reads this" "$T/dump.sql" || fail "the dump lacks public.audit_secret's row"
echo "ok: after GRANT SELECT the backup is taken, with the table"
