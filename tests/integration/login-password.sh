#!/bin/bash
# A target conninfo with a wrong password, on a cluster where the role logs
# in with a password (scram-sha-256 in pg_hba.conf; the throw-away cluster
# trusts everyone else):
#   restore: refused before the first step (exit 2) naming the role and the
#     database the admin gave, and the database the login was tried on
#     ('the login as "pwuser" to database "biso" does not work on the
#     server (checked on database "postgres")'), in English and in German;
#     before, it said 'cannot connect to database "postgres"', which sent
#     the admin to the admin conninfo;
#   backup: the dry run exits as the real run (1: a refused backup is a
#     failed one, its FAILED line for cron) and the hint names --dbname,
#     which set the conninfo, as restore's does; before, it said "Check the
#     database settings in config.php or database.conninfo".
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
demo_test_setup login-password "chown of the datadir to www-data, runuser postgres"
unset PGPASSWORD PGPASSFILE
mkdir -p "$T/log" "$T/locale/de/LC_MESSAGES"
msgfmt -o "$T/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po" || fail "msgfmt po/de.po failed"

# a role that logs in with a password only
hba=$(psql -qXAt -c "SHOW hba_file")
psql -qX -v ON_ERROR_STOP=1 -c "SET password_encryption = 'scram-sha-256'" \
	-c "CREATE ROLE pwuser LOGIN PASSWORD 'right'" -c "GRANT CONNECT ON DATABASE biso TO pwuser" >/dev/null
{ echo "local all pwuser scram-sha-256"; cat "$hba"; } > "$T/hba" && cat "$T/hba" > "$hba"
psql -qXAt -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
psql -qXAt -d "host=$PGHOST port=$PGPORT dbname=biso user=pwuser password=wrong" -c "SELECT 1" >/dev/null 2>&1 &&
	fail "a wrong password logs in: the test proves nothing"
psql -qXAt -d "host=$PGHOST port=$PGPORT dbname=biso user=pwuser password=right" -c "SELECT 1" >/dev/null ||
	fail "the right password does not log in"

ci="host=$PGHOST port=$PGPORT dbname=biso user=pwuser password=wrong"
run() { # OUT CMD...: exit code into $rc
	local out=$1
	shift
	set +e
	"$@" > "$T/$out" 2>&1
	rc=$?
	set -e
}

# 1. restore, English and German
run restore.out "$BISO_RECOVER" restore --dry-run --config "$DEMO_CONFIG" --log-dir "$T/log" --dbname "$ci"
[ $rc = 2 ] || { cat "$T/restore.out"; fail "restore: exit $rc, expected 2"; }
grep -q 'the plan would fail: the login as "pwuser" to database "biso" does not work on the server (checked on database "postgres")' "$T/restore.out" &&
	grep -q 'password authentication failed for user "pwuser"' "$T/restore.out" ||
	{ cat "$T/restore.out"; fail "restore: the refusal does not name the login and the database given"; }
! grep -q 'cannot connect to database "postgres"' "$T/restore.out" ||
	{ cat "$T/restore.out"; fail "restore: the refusal blames the database postgres"; }
grep -q '^HINT: Check --dbname or database.conninfo (user, password)' "$T/restore.out" ||
	{ cat "$T/restore.out"; fail "restore: the hint does not name --dbname"; }
echo "ok: restore: a wrong password names the login as pwuser to database biso (checked on postgres), exit 2"

run restore-de.out env LANG=de_CH.UTF-8 LANGUAGE= LC_ALL= LC_MESSAGES= BISO_RECOVER_LOCALEDIR="$T/locale" \
	"$BISO_RECOVER" restore --dry-run --config "$DEMO_CONFIG" --log-dir "$T/log" --dbname "$ci"
[ $rc = 2 ] || { cat "$T/restore-de.out"; fail "restore (German): exit $rc, expected 2"; }
grep -q 'die Anmeldung als "pwuser" an die Datenbank "biso" funktioniert auf dem Server nicht (geprüft an der Datenbank "postgres")' "$T/restore-de.out" ||
	{ cat "$T/restore-de.out"; fail "restore (German): the refusal does not name the login and the database given"; }
! grep -q 'Verbindung zur Datenbank "postgres"' "$T/restore-de.out" ||
	{ cat "$T/restore-de.out"; fail "restore (German): the refusal blames the database postgres"; }
echo "ok: restore in German: the same"

# 2. backup: the dry run as the real run, the hint names --dbname
run backup-plan.out "$BISO_RECOVER" backup --dry-run --config "$DEMO_CONFIG" --log-dir "$T/log" --dbname "$ci"
plan_rc=$rc
run backup.out "$BISO_RECOVER" backup --config "$DEMO_CONFIG" --log-dir "$T/log" --dbname "$ci"
[ $rc = 1 ] && grep -q 'nothing was touched: cannot connect to database "biso"' "$T/backup.out" ||
	{ cat "$T/backup.out"; fail "backup: exit $rc, expected 1 and a refusal before the first step"; }
[ $plan_rc = $rc ] || { cat "$T/backup-plan.out"; fail "backup --dry-run: exit $plan_rc, the backup's $rc"; }
for f in backup-plan.out backup.out; do
	grep -q 'password authentication failed for user "pwuser"' "$T/$f" &&
		grep -q '^HINT: Check --dbname or database.conninfo (database, user, password), and that the server is running' "$T/$f" ||
		{ cat "$T/$f"; fail "$f: the hint does not name --dbname"; }
done
echo "ok: backup: the dry run exits as the backup (1), the hint names --dbname"
