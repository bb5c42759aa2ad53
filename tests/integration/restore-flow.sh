#!/bin/bash
# The restore flow against the demo backup set and a throw-away cluster:
# what is refused before the first step and what is only a warning, the
# verification's migration and datadir checks, biso-cli through a Docker
# stand-in, the locale check on an SQL_ASCII cluster, and the free-space
# check of the database server.  Each case says what it proves.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
demo_test_setup flow "chown of the datadir to www-data, runuser postgres"

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
# 1b. The same warning in the database step's confirmation (typed on a
#    terminal: script(1)) when the dump check, which compares the tables,
#    ran beside the webroot step: its finding is taken over once the
#    webroot step waited for it, before the database step asks.
psql -qX -c "CREATE DATABASE biso_marker2 OWNER biso"
psql -qX -U biso -d biso_marker2 -c "CREATE TABLE old_marker (a int)"
config_for marker2
mkdir -p "$T/marker2"
printf 'biso_marker2\n' | script -qec "$(printf '%q ' "$BISO_RECOVER" restore --config "$S/biso-recover.conf" \
	--webroot "$T/marker2/webroot" --config-php "$T/marker2.config.php" --log-dir "$T/marker2/log" \
	--only webroot,database)" /dev/null > "$T/marker2.log" 2>&1 || { cat "$T/marker2.log"; fail "marker2: the restore failed"; }
# (line mode wraps a question between words: its rows joined; [^;]* keeps
# the match inside the database step's question)
marker2=$(tr -d '\r' < "$T/marker2.log" | tr '\n' ' ')
text_has "$marker2" 'the dump check runs beside the first steps' &&
	text_has "$marker2" 'Restore the database: replaces database "biso_marker2" [^;]*; warning: biso_[0-9_]*\.sql\.gz does not look like a dump of "biso_marker2": only 0 of its 1 tables are in it' ||
	{ cat "$T/marker2.log"; fail "marker2: the database step's confirmation does not warn after the dump check ran beside the webroot step"; }
echo "ok: the dump check's warning is in the database step's confirmation when it ran beside the webroot step"

# 2. A biso-cli without "migration status" (BISO's manual documents only
#    "migration exec") never fails the verification of a correct restore:
#    without migration_status in the configuration the check is migration
#    exec having exited 0 in the run; with it set, a command the instance
#    does not have is a warning ("cannot tell").
sed '/^migration_status/d' "$S/biso-recover.conf" > "$T/nostatus.conf"
mkdir -p "$T/mig"
CONF=$T/nostatus.conf run_in mig > "$T/mig1.log" 2>&1 || { cat "$T/mig1.log"; fail "mig: the full restore failed"; }
report=$(ls "$T"/mig/log/verify-*.txt | tail -1)
grep -q "^PASS  migrations: biso-cli migration exec exited 0 in this run" "$report" || { cat "$report"; fail "mig: no migration exec check"; }
# the instance's biso-cli without "migration status", like the real one
sed -i "s/if (\$sub !== 'exec' && \$sub !== 'status')/if (\$sub !== 'exec')/; s/if (\$sub === 'status')/if (false)/" "$T/mig/webroot/biso-cli"
set +e; (cd "$T/mig/webroot" && php biso-cli migration status) > /dev/null 2>&1; rc=$?; set -e
[ $rc = 2 ] || fail "mig: could not remove 'migration status' from the instance's biso-cli (exit $rc)"
sleep 1
set +e; run_in mig --only verify > "$T/mig2.log" 2>&1; rc=$?; set -e
[ $rc = 0 ] || { cat "$T/mig2.log"; fail "mig: verify with a biso-cli without 'migration status': exit $rc, expected 0"; }
grep -q "WARN  cannot tell whether migrations are pending: .*biso-cli migration status exited with status 2" "$T/mig2.log" ||
	{ cat "$T/mig2.log"; fail "mig: the status command that is not there is not a warning"; }
sleep 1
set +e; CONF=$T/nostatus.conf run_in mig --only verify > "$T/mig3.log" 2>&1; rc=$?; set -e
[ $rc = 0 ] && grep -q "WARN  cannot tell whether migrations are pending (the migrations step did not run" "$T/mig3.log" &&
	! grep -q "migration status" "$T/mig3.log" || { cat "$T/mig3.log"; fail "mig: without migration_status: exit $rc"; }
echo "ok: a biso-cli without 'migration status' makes the check WARN, not FAIL; by default migration exec is the check"

# 4. The datadir check looks at every entry: a root-owned file and a
#    mode-000 folder inside a datadir whose top is right fail it, counted
#    and named.
chown root:root "$T/mig/webroot/data/attachments/2024/03/Protokoll Gespräch 1.pdf"
mkdir "$T/mig/webroot/data/export/closed"; chown www-data:www-data "$T/mig/webroot/data/export/closed"; chmod 000 "$T/mig/webroot/data/export/closed"
sleep 1
set +e; CONF=$T/nostatus.conf run_in mig --only verify > "$T/own.log" 2>&1; rc=$?; set -e
[ $rc = 1 ] && grep -q "FAIL  datadir $T/mig/webroot/data: 2 of [0-9]* entries do not belong to www-data:www-data with u+rwX: attachments/2024/03/Protokoll Gespräch 1.pdf (owner 0:0), export/closed (mode 0000)" "$T/own.log" ||
	{ cat "$T/own.log"; fail "own: a root-owned file and a mode-000 folder inside the datadir: exit $rc"; }
chown www-data:www-data "$T/mig/webroot/data/attachments/2024/03/Protokoll Gespräch 1.pdf"; rmdir "$T/mig/webroot/data/export/closed"
echo "ok: a root-owned file and a mode-000 folder inside the datadir fail the verification, named"

# 3. A verification that fails on a pending migration names the step that
#    runs it (--only migrations,verify), and that command passes.
mkdir -p "$T/pend"
set +e; run_in pend --only webroot,config,datadir,database,verify > "$T/pend1.log" 2>&1; rc=$?; set -e
[ $rc = 1 ] && grep -q "FAIL  1 migration pending" "$T/pend1.log" ||
	{ cat "$T/pend1.log"; fail "pend: a pending migration: exit $rc, expected 1"; }
grep -q "restore --only migrations,verify" "$T/pend1.log" && ! grep -q "restore --only verify\b" "$T/pend1.log" ||
	{ cat "$T/pend1.log"; fail "pend: the hint does not name the migrations step"; }
sleep 1
run_in pend --only migrations,verify > "$T/pend2.log" 2>&1 || { cat "$T/pend2.log"; fail "pend: the hinted command failed"; }
echo "ok: a pending migration's failure hints at --only migrations,verify, which passes"

# 6. Docker: biso-cli is an argument vector of the configuration, used for
#    the migrations and the verification alike; a docker command runs as it
#    is (never as the web user), PHP on the host as the web user.  The
#    stand-in docker (tests/standin/docker) records its arguments and runs
#    the demo's biso-cli in the webroot, the host path of the bind mount.
mkdir -p "$T/dock" "$T/bin"
{ sed '/^php = /d' "$S/biso-recover.conf"
  printf 'biso_cli = [ "docker", "compose", "-f", "/srv/biso/compose.yml", "exec", "-T", "web83", "php", "biso-cli" ];\n'; } > "$T/docker.conf"
export DOCKER_STANDIN_LOG=$T/docker.log DOCKER_STANDIN_WORKDIR=$T/dock/webroot
PATH=$top_srcdir/tests/standin:$PATH CONF=$T/docker.conf run_in dock --dry-run > "$T/dock-plan.log" 2>&1 ||
	{ cat "$T/dock-plan.log"; fail "dock: --dry-run failed"; }
grep -qF "cd $T/dock/webroot && docker compose -f /srv/biso/compose.yml exec -T web83 php biso-cli migration exec" "$T/dock-plan.log" ||
	{ cat "$T/dock-plan.log"; fail "dock: the plan does not show the docker command"; }
PATH=$top_srcdir/tests/standin:$PATH CONF=$T/docker.conf run_in dock > "$T/dock.log" 2>&1 ||
	{ cat "$T/dock.log" "$T/docker.log"; fail "dock: the restore through docker failed"; }
grep -qxF "root: [compose] [-f] [/srv/biso/compose.yml] [exec] [-T] [web83] [php] [biso-cli] [migration] [exec]" "$T/docker.log" &&
grep -qxF "root: [compose] [-f] [/srv/biso/compose.yml] [exec] [-T] [web83] [php] [biso-cli] [migration] [status]" "$T/docker.log" ||
	{ cat "$T/docker.log"; fail "dock: docker was not called for migration exec and status, or not as it is"; }
grep -q "^PASS  0 migrations pending" "$(ls "$T"/dock/log/verify-*.txt | tail -1)" || fail "dock: the migration was not applied through docker"
set +e; PATH=/nonexistent:/usr/bin:/bin CONF=$T/docker.conf run_in dock --dry-run --only verify > "$T/dock2.log" 2>&1; rc=$?; set -e
[ $rc = 2 ] && grep -q "docker (the program of biso_cli) is not there" "$T/dock2.log" || { cat "$T/dock2.log"; fail "dock: a missing docker: exit $rc"; }
# PHP on the host runs as the web user
: > "$T/whoami.log"; chmod 666 "$T/whoami.log"
printf '#!/bin/sh\nid -un >> %s/whoami.log\nexec php "$@"\n' "$T" > "$T/bin/php-whoami"; chmod 755 "$T/bin/php-whoami" "$T/bin"
{ sed '/^php = /d' "$S/biso-recover.conf"; printf 'biso_cli = [ "%s", "biso-cli" ];\n' "$T/bin/php-whoami"; } > "$T/whoami.conf"
sleep 1
CONF=$T/whoami.conf run_in dock --only migrations,verify > "$T/whoami-run.log" 2>&1 || { cat "$T/whoami-run.log"; fail "whoami: run failed"; }
[ "$(sort -u "$T/whoami.log")" = www-data ] || { cat "$T/whoami.log"; fail "whoami: php biso-cli did not run as the web user"; }
# ... so a webroot the web user cannot reach is refused before the first step
mkdir -p "$T/locked"; chmod 700 "$T/locked"
set +e; "$BISO_RECOVER" restore --dry-run --config "$S/biso-recover.conf" --webroot "$T/locked/webroot" \
	--config-php "$T/dock.config.php" --log-dir "$T/locked-log" --only webroot,migrations > "$T/locked.log" 2>&1; rc=$?; set -e
[ $rc = 2 ] && grep -q "the web user www-data cannot enter $T/locked (mode 0700" "$T/locked.log" ||
	{ cat "$T/locked.log"; fail "locked: a webroot the web user cannot reach: exit $rc"; }
# php and biso_cli at once: a configuration error naming both
cat "$S/biso-recover.conf" > "$T/both.conf"; printf 'biso_cli = [ "php", "biso-cli" ];\n' >> "$T/both.conf"
set +e; CONF=$T/both.conf run_in dock --dry-run > "$T/both.log" 2>&1; rc=$?; set -e
[ $rc = 2 ] && grep -q "both.conf:[0-9]*: biso_cli: php and biso_cli are both set" "$T/both.log" || { cat "$T/both.log"; fail "both: exit $rc"; }
echo "ok: biso-cli through a docker command (migrations, verification, plan) runs as it is; php on the host as the web user; php with biso_cli is refused"

# 5. The locale check agrees with CREATE DATABASE on every cluster encoding:
#    on a cluster initialised with SQL_ASCII, a role with CREATEDB (not a
#    superuser) can create the UTF8 de_CH.utf8 database, so the check must
#    let the restore go on; a locale the server lacks is still refused first.
(
	. "$top_srcdir/tests/lib/pgcluster.sh"
	PGC_ENCODING=SQL_ASCII PGC_LOCALE=C pgc_start "$T/pga"
	trap 'pgc_stop "$T/pga"' EXIT
	[ "$(psql -XAt -c 'SHOW server_encoding')" = SQL_ASCII ] || fail "ascii: the cluster is not SQL_ASCII"
	psql -qX -c "CREATE ROLE biso LOGIN CREATEDB"
	mkdir -p "$T/ascii"
	printf 'webroot = "%s";\nbackup_root = "%s";\nlog_dir = "%s";\n' "$T/ascii/webroot" "$S/backups" "$T/ascii/log" > "$T/ascii.conf"
	ci="host=$PGHOST port=$PGPORT user=biso dbname=biso"
	"$BISO_RECOVER" restore --yes --config "$T/ascii.conf" --dbname "$ci" --only database > "$T/ascii.log" 2>&1 ||
		{ cat "$T/ascii.log"; fail "ascii: restore on an SQL_ASCII cluster as a CREATEDB role failed"; }
	[ "$(psql -XAt -d biso -c "SELECT pg_encoding_to_char(encoding) || ' ' || datcollate FROM pg_database WHERE datname = 'biso'")" = "UTF8 de_CH.utf8" ] &&
	[ "$(psql -XAt -d biso -c 'SELECT count(*) FROM person')" = 400 ] || fail "ascii: the database was not restored as UTF8 de_CH.utf8"
	[ -z "$(psql -XAt -c "SELECT datname FROM pg_database WHERE datname LIKE '%localeprobe%'")" ] || fail "ascii: a probe database was left"
	# a role without pg_read_all_settings cannot see the data directory
	grep -q "free space for the new database: not checked (.*data_directory.*); the admin connection needs superuser or pg_read_all_settings" "$T/ascii.log" ||
		{ cat "$T/ascii.log"; fail "ascii: no warning that the free space was not checked"; }
	printf 'database = { lc_collate = "xx_XX.utf8"; lc_ctype = "xx_XX.utf8"; };\n' >> "$T/ascii.conf"
	set +e; "$BISO_RECOVER" restore --dry-run --config "$T/ascii.conf" --dbname "$ci" --only database > "$T/ascii2.log" 2>&1; rc=$?; set -e
	[ $rc = 2 ] && grep -q 'the database server has no locale "xx_XX.utf8"' "$T/ascii2.log" ||
		{ cat "$T/ascii2.log"; fail "ascii: a missing locale: exit $rc"; }
)
echo "ok: the locale check lets a CREATEDB role restore on an SQL_ASCII cluster; a missing locale is refused first"

# 7. Free space on the database server's disk is checked before the first
#    step (a replay that fills it crashes the server): a cluster on an 80 MiB
#    tmpfs has less free than the estimate for the new database and is
#    refused, nothing touched; the demo cluster's check fits and is logged.
grep -q "free space for the new database: .* in $S/pg/pgdata, about .* needed" "$T/marker.log" ||
	{ cat "$T/marker.log"; fail "space: the fitting check is not logged"; }
mkdir -p "$T/small"
if mount -t tmpfs -o size=80m tmpfs "$T/small" 2>/dev/null; then
	(
		. "$top_srcdir/tests/lib/pgcluster.sh"
		# umount can find the tmpfs busy for a moment after the server's
		# processes exit: retry, then detach it lazily, never fail the test.
		trap 'pgc_stop "$T/small"; for i in 1 2 3 4 5; do umount "$T/small" 2>/dev/null && break; sleep 1; done;
		      ! mountpoint -q "$T/small" || umount -l "$T/small" || true' EXIT
		pgc_start "$T/small"
		psql -qX -c "CREATE ROLE biso LOGIN CREATEDB"
		mkdir -p "$T/smallrun"
		printf 'webroot = "%s";\nbackup_root = "%s";\nlog_dir = "%s";\ndatabase = { admin_conninfo = "host=%s port=%s user=postgres dbname=postgres"; };\n' \
			"$T/smallrun/webroot" "$S/backups" "$T/smallrun/log" "$PGHOST" "$PGPORT" > "$T/small.conf"
		set +e; "$BISO_RECOVER" restore --yes --config "$T/small.conf" --dbname "host=$PGHOST port=$PGPORT user=biso dbname=biso" \
			--only database > "$T/small.log" 2>&1; rc=$?; set -e
		[ $rc = 2 ] && grep -q "nothing was touched: not enough free space for the new database: .* free in the database server's data directory $T/small/pgdata, about .* needed" "$T/small.log" ||
			{ cat "$T/small.log"; df -h "$T/small"; fail "space: a too small disk: exit $rc, expected 2"; }
		[ -z "$(psql -XAt -c "SELECT datname FROM pg_database WHERE datname LIKE 'biso%'")" ] || fail "space: a database was created"
	)
	echo "ok: a database server disk with less free space than the new database needs is refused before the first step"
else
	echo "skipped: the free-space refusal (cannot mount a tmpfs here)"
fi

echo "restore-flow: all checks passed"
