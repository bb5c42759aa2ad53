#!/bin/bash
# make-backup-set.sh: build the BISO 3 demo instance and a backup set of it,
# taken with the backup manual's own commands, inside one sandbox directory.
#
#   share/demo/make-backup-set.sh [--force] [--tar] SANDBOX
#
#   --force  SANDBOX exists and is not empty: stop the demo cluster running
#            there and wipe it first (otherwise the script refuses).
#   --tar    also write the webroot and datadir backups as .tar.gz archives,
#            in a second backup root SANDBOX/backups-tar/ (see README.md).
#
# Leaves the throw-away PostgreSQL cluster (SANDBOX/pg) RUNNING; source
# SANDBOX/env.sh to reach it, and stop it with share/demo/stop.sh SANDBOX.
# Needs: postgresql (server), php-cli, php-pgsql, rsync, the de_CH.UTF-8
# locale; tools/deps.sh installs all of it.  Run as root or as a normal user.

set -euo pipefail

prog=make-backup-set
say() { echo "$prog: $*"; }
die() { echo "$prog: error: $*" >&2; exit 1; }
usage() {
	echo "usage: $0 [--force] [--tar] SANDBOX" >&2
	exit 2
}

FORCE=0
TAR=0
SANDBOX=""
while [ $# -gt 0 ]; do
	case $1 in
	--force) FORCE=1 ;;
	--tar) TAR=1 ;;
	-h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "$prog: unknown option $1" >&2; usage ;;
	*) [ -z "$SANDBOX" ] || usage; SANDBOX=$1 ;;
	esac
	shift
done
[ -n "$SANDBOX" ] || usage

DEMO=$(cd "$(dirname "$0")" && pwd)
# installed (biso-recover drill): pgcluster.sh beside us; in the source tree: tests/lib
if [ -f "$DEMO/pgcluster.sh" ]; then . "$DEMO/pgcluster.sh"; else . "$DEMO/../../tests/lib/pgcluster.sh"; fi

case $SANDBOX in
/*) ;;
*) SANDBOX=$(pwd)/$SANDBOX ;;
esac
SANDBOX=${SANDBOX%/}
case $SANDBOX in
''|/|/bin|/boot|/dev|/etc|/home|/lib|/proc|/root|/run|/sbin|/sys|/tmp|/usr|/var)
	die "refusing to use $SANDBOX/ as the sandbox" ;;
esac

# --- preflight ------------------------------------------------------------
for cmd in php rsync gzip psql pg_dump; do
	command -v "$cmd" >/dev/null 2>&1 || die "$cmd not found; run tools/deps.sh (as root) first"
done
php -r 'exit(extension_loaded("pdo_pgsql") ? 0 : 1);' ||
	die "PHP has no pdo_pgsql; run tools/deps.sh (php-pgsql) first"
pgc_bindir >/dev/null || die "no PostgreSQL server; run tools/deps.sh first"
if ! locale -a 2>/dev/null | tr '[:upper:]' '[:lower:]' | grep -Eqx 'de_ch\.utf-?8'; then
	die "the locale de_CH.UTF-8 is not installed, and BISO's database needs it
  (CREATE DATABASE ... LC_COLLATE 'de_CH.utf8').  Fix: run tools/deps.sh as root
  (it enables de_CH.UTF-8 in /etc/locale.gen and runs locale-gen)"
fi
# A Unix socket path is limited to 107 bytes.
[ ${#SANDBOX} -le 80 ] || die "sandbox path too long for a Unix socket: $SANDBOX"

if [ -e "$SANDBOX" ] && [ -n "$(ls -A "$SANDBOX" 2>/dev/null)" ]; then
	if [ "$FORCE" = 0 ]; then
		die "$SANDBOX exists and is not empty; use --force to wipe it"
	fi
	if [ -d "$SANDBOX/pg/pgdata" ]; then
		say "stopping the cluster in $SANDBOX/pg"
		pgc_stop "$SANDBOX/pg"
	fi
	say "wiping $SANDBOX"
	rm -rf --one-file-system "$SANDBOX"
fi

PGDIR=$SANDBOX/pg
PROD=$SANDBOX/prod
WEBROOT=$PROD/webroot
DATADIR=$WEBROOT/data
BACKUPS=$SANDBOX/backups
DBNAME=biso
DBOWNER=biso
DBPASSWORD=demo-secret

if [ "$(id -u)" = 0 ]; then
	WEB_USER=www-data WEB_GROUP=www-data
	getent passwd "$WEB_USER" >/dev/null || die "user $WEB_USER does not exist"
else
	WEB_USER=$(id -un) WEB_GROUP=$(id -gn)
fi

mkdir -p "$SANDBOX"
chmod 755 "$SANDBOX"

# Stop the cluster again if anything below fails.
started=0
finish() {
	rc=$?
	if [ $rc -ne 0 ] && [ $started = 1 ]; then
		echo "$prog: failed (exit $rc); stopping the cluster in $PGDIR" >&2
		pgc_stop "$PGDIR"
	fi
}
trap finish EXIT

# --- database ---------------------------------------------------------------
say "starting a throw-away PostgreSQL cluster in $PGDIR"
pgc_start "$PGDIR"
started=1
say "cluster up: socket $PGHOST, port $PGPORT"

psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }
psql_biso() { psql -X -q -v ON_ERROR_STOP=1 -U "$DBOWNER" -d "$DBNAME" "$@"; }

say "creating role $DBOWNER and database $DBNAME (de_CH.utf8)"
psql_admin -c "CREATE ROLE $DBOWNER LOGIN PASSWORD '$DBPASSWORD' CREATEDB"
psql_admin -c "CREATE DATABASE $DBNAME OWNER $DBOWNER TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'de_CH.utf8' LC_CTYPE 'de_CH.utf8'" ||
	die "CREATE DATABASE failed; is de_CH.UTF-8 generated? run tools/deps.sh"

say "loading schema.sql and data.sql as $DBOWNER"
psql_biso -1 -f "$DEMO/schema.sql" -f "$DEMO/data.sql" >/dev/null

# --- production instance ----------------------------------------------------
say "creating the production instance in $PROD"
mkdir -p "$WEBROOT"
rsync -a --exclude config.php.in --exclude 'migrations/' "$DEMO/webroot/" "$WEBROOT/"
mkdir -p "$WEBROOT/migrations"

# config.php from the template; datadir is BISO's default __DIR__ . '/data'.
gen_config() { # DATADIR_EXPR [DBNAME [ENV]] > config.php
	sed -e "s|@DATADIR@|$1|g" \
	    -e "s|@DBHOST@|$PGHOST|g" \
	    -e "s|@DBPORT@|$PGPORT|g" \
	    -e "s|@DBNAME@|${2:-$DBNAME}|g" \
	    -e "s|^Config::set('env', 'PROD');|Config::set('env', '${3:-PROD}');|" \
	    -e "s|@DBUSER@|$DBOWNER|g" \
	    -e "s|@DBPASSWORD@|$DBPASSWORD|g" \
	    -e "s|@GENERATED@|Generated by share/demo/make-backup-set.sh for the sandbox $SANDBOX.|" \
	    "$DEMO/webroot/config.php.in"
}
gen_config "__DIR__ . '/data'" >"$WEBROOT/config.php"
chmod 640 "$WEBROOT/config.php"
chgrp "$WEB_GROUP" "$WEBROOT/config.php"

# --- datadir ----------------------------------------------------------------
# fake FILE SIZE HEADER [MTIME]: deterministic content of SIZE bytes.
fake() {
	mkdir -p "$(dirname "$1")"
	head -c "$2" < <(printf '%s\n' "$3"; yes "BISO demo: $(basename "$1")" 2>/dev/null) >"$1"
	[ -z "${4:-}" ] || touch -d "$4" "$1"
}

make_datadir() {
	local d=$1
	mkdir -p "$d"
	# attachments, nested by year/month; names with spaces and umlauts
	fake "$d/attachments/2023/11/scan 0001.jpg" 180000 $'\xff\xd8\xff\xe0 JFIF fake' '2023-11-20 14:02:11'
	fake "$d/attachments/2023/11/Mietvertrag Rüegg.pdf" 92000 '%PDF-1.4' '2023-11-21 09:30:00'
	fake "$d/attachments/2024/03/Protokoll Gespräch 1.pdf" 2500000 '%PDF-1.4' '2024-03-12 10:15:00'
	fake "$d/attachments/2024/03/Protokoll Gespräch 2.pdf" 48000 '%PDF-1.4' '2024-03-19 16:40:05'
	fake "$d/attachments/2024/03/Überweisung Ärztin.pdf" 31000 '%PDF-1.5' '2024-03-28 08:05:59'
	fake "$d/attachments/2024/04/Budget Müller.xlsx" 3400000 'PK fake xlsx' '2024-04-02 11:11:11'
	fake "$d/attachments/2024/04/Brief an Hr. O'Brien.odt" 24000 'PK fake odt' '2024-04-03 13:37:00'
	fake "$d/attachments/2024/04/Notizen Gößmann & Zürcher (Kopie).txt" 1200 'Notizen' '2024-04-04 07:00:00'
	# letter templates, two versions and a symlink to the current one
	fake "$d/templates/v1/brief_standard.odt" 15000 'PK v1' '2022-06-01 12:00:00'
	fake "$d/templates/v2/brief_standard.odt" 17000 'PK v2' '2023-09-01 12:00:00'
	fake "$d/templates/v2/Brief Kündigung Wohnung.odt" 16000 'PK v2' '2023-09-01 12:00:00'
	ln -s v2 "$d/templates/current"
	# invoices
	local n
	for n in 001 002 003 004 005 006 007 008 009 010 011 012; do
		fake "$d/invoices/2024/Rechnung 2024-$n.pdf" $((20000 + 10#$n * 1000)) '%PDF-1.4' "2024-${n:1:2}-15 18:00:00"
	done
	# import inbox, with an empty folder beside it
	fake "$d/import/inbox/klienten_2024-05.csv" 800 'id;vorname;nachname' '2024-05-02 06:00:00'
	printf 'id;vorname;nachname\n1;Jürg;Zürcher\n2;Käthi;Gößmann\n3;Zoë;Müller\n' >"$d/import/inbox/klienten_2024-06.csv"
	mkdir -p "$d/import/processed" "$d/import/failed"
	# fonts for the PDF renderer
	fake "$d/fonts/DejaVuSans.ttf" 700000 $'\x00\x01\x00\x00 fake ttf' '2021-01-01 00:00:00'
	fake "$d/fonts/DejaVuSans-Bold.ttf" 650000 $'\x00\x01\x00\x00 fake ttf' '2021-01-01 00:00:00'
	# a secret only the web user may read
	mkdir -p "$d/keys"
	printf 'demo-api-token-0123456789abcdef\n' >"$d/keys/api-token.txt"
	chmod 600 "$d/keys/api-token.txt"
	# an empty folder
	mkdir -p "$d/export"
	# what the backup must NOT contain: tmp/, *.log (maintenance.on comes later)
	fake "$d/tmp/session_4f2a9c" 300 'session'
	fake "$d/tmp/cache/render/page-1.png" 5000 $'\x89PNG'
	fake "$d/biso.log" 4000 '[2024-06-01 08:00:00] INFO demo log'
	fake "$d/import/import.log" 900 '[2024-06-01 06:00:00] INFO import'
	# a dated folder
	touch -d '2024-03-31 23:59:59' "$d/attachments/2024/03"
	if [ "$(id -u)" = 0 ]; then
		chown -R "$WEB_USER:$WEB_GROUP" "$d"
	fi
}
say "creating the datadir $DATADIR"
make_datadir "$DATADIR"

# --- migrations: the first two applied, the third left pending ----------------
cli() { (cd "$WEBROOT" && php biso-cli "$@"); }
# An older nightly dump, taken before any migration ran (for the list of dumps).
mkdir -p "$BACKUPS/db" "$BACKUPS/data" "$BACKUPS/webroot"
OLDSTAMP=$(date -d '1 day ago' +%Y%m%d_%H%M%S)
say "older dump: db/biso_$OLDSTAMP.sql.gz (before the migrations)"
pg_dump --no-owner --no-privileges --clean --if-exists "$DBNAME" | gzip >"$BACKUPS/db/biso_$OLDSTAMP.sql.gz"
touch -d "$(date -d '1 day ago' '+%Y-%m-%d %H:%M:%S')" "$BACKUPS/db/biso_$OLDSTAMP.sql.gz"

migs=("$DEMO"/webroot/migrations/*.sql)
[ ${#migs[@]} = 3 ] || die "expected 3 migrations in $DEMO/webroot/migrations"
cp -p "${migs[0]}" "${migs[1]}" "$WEBROOT/migrations/"
say "applying the first two migrations with biso-cli"
cli migration exec
cp -p "${migs[2]}" "$WEBROOT/migrations/"
cli migration status

# --- the backup, exactly as the manual takes it ------------------------------
STAMP=$(date +%Y%m%d_%H%M%S)
say "taking the backup set $BACKUPS (stamp $STAMP)"
cli maintenance on
say "+ pg_dump --no-owner --no-privileges --clean --if-exists $DBNAME | gzip > $BACKUPS/db/biso_$STAMP.sql.gz"
pg_dump --no-owner --no-privileges --clean --if-exists "$DBNAME" | gzip >"$BACKUPS/db/biso_$STAMP.sql.gz"
say "+ rsync -a --exclude tmp/ --exclude '*.log' --exclude maintenance.on $DATADIR/ $BACKUPS/data/"
rsync -a --exclude tmp/ --exclude '*.log' --exclude maintenance.on "$DATADIR/" "$BACKUPS/data/"
say "+ rsync -a --exclude data $WEBROOT/ $BACKUPS/webroot/"
rsync -a --exclude data "$WEBROOT/" "$BACKUPS/webroot/"
cli maintenance off

if [ "$TAR" = 1 ]; then
	TB=$SANDBOX/backups-tar
	say "archives in $TB"
	mkdir -p "$TB/webroot" "$TB/data" "$TB/db"
	tar -C "$BACKUPS/webroot" -czf "$TB/webroot/webroot_$STAMP.tar.gz" .
	tar -C "$BACKUPS/data" -czf "$TB/data/data_$STAMP.tar.gz" .
	cp -p "$BACKUPS/db/biso_$STAMP.sql.gz" "$TB/db/"
fi

# --- the test instance, for biso-recover refresh -----------------------------
# A test system beside production: env dev, database biso_test (loaded from
# the older dump, with a params row of its own), its own small datadir.
TEST=$SANDBOX/test
TWEBROOT=$TEST/webroot
TDATADIR=$TWEBROOT/data
TDBNAME=biso_test
say "creating the test instance in $TEST (env dev, database $TDBNAME)"
mkdir -p "$TWEBROOT"
rsync -a --exclude config.php.in "$DEMO/webroot/" "$TWEBROOT/"
gen_config "__DIR__ . '/data'" "$TDBNAME" dev >"$TWEBROOT/config.php"
chmod 640 "$TWEBROOT/config.php"
chgrp "$WEB_GROUP" "$TWEBROOT/config.php"
: >"$TWEBROOT/biso-cli.calls"
chmod 666 "$TWEBROOT/biso-cli.calls"
psql_admin -c "CREATE DATABASE $TDBNAME OWNER $DBOWNER TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'de_CH.utf8' LC_CTYPE 'de_CH.utf8'"
gunzip -c "$BACKUPS/db/biso_$OLDSTAMP.sql.gz" | psql -X -q -v ON_ERROR_STOP=1 -U "$DBOWNER" -d "$TDBNAME" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U "$DBOWNER" -d "$TDBNAME" \
	-c "INSERT INTO params (kunde, name, wert) VALUES ('test', 'mail.redirect', 'test@example.invalid')"
mkdir -p "$TDATADIR/attachments/test" "$TDATADIR/templates"
printf 'an attachment of the test system\n' >"$TDATADIR/attachments/test/only-on-test.txt"
printf 'test template\n' >"$TDATADIR/templates/test.odt"
if [ "$(id -u)" = 0 ]; then
	chown -R "$WEB_USER:$WEB_GROUP" "$TDATADIR"
fi

# --- files for the callers ----------------------------------------------------
mkdir -p "$SANDBOX/log"
cat >"$SANDBOX/env.sh" <<EOF
# Source this to reach the demo cluster; stop it with:
#   $DEMO/stop.sh $SANDBOX
# start it again after that with: $DEMO/start.sh $SANDBOX
export PGHOST='$PGHOST'
export PGPORT='$PGPORT'
export PGUSER=postgres
export PGDATABASE=postgres
export DEMO_PG_DIR='$PGDIR'
export DEMO_SANDBOX='$SANDBOX'
export DEMO_WEBROOT='$WEBROOT'
export DEMO_DATADIR='$DATADIR'
export DEMO_BACKUP_ROOT='$BACKUPS'
export DEMO_DUMP='$BACKUPS/db/biso_$STAMP.sql.gz'
export DEMO_CONFIG='$SANDBOX/biso-recover.conf'
export DEMO_TEST_WEBROOT='$TWEBROOT'
export DEMO_TEST_DATADIR='$TDATADIR'
export DEMO_TEST_CONFIG='$SANDBOX/refresh-test.conf'
EOF

cat >"$SANDBOX/biso-recover.conf" <<EOF
# biso-recover configuration for the demo sandbox $SANDBOX
# (written by share/demo/make-backup-set.sh)
webroot = "$WEBROOT";
backup_root = "$BACKUPS";
web_user = "$WEB_USER";
web_group = "$WEB_GROUP";
php = "$(command -v php)";
migration_status = [ "migration", "status" ];
log_dir = "$SANDBOX/log";
database = {
  admin_conninfo = "host=$PGHOST port=$PGPORT user=postgres dbname=postgres";
  owner = "$DBOWNER";
};
services = {
  scheduler_cron = "";
};
EOF

mkdir -p "$SANDBOX/log-test"
cat >"$SANDBOX/refresh-test.conf" <<EOF
# biso-recover configuration of the demo's test instance $TWEBROOT, refreshed
# from the production backup set (written by share/demo/make-backup-set.sh):
#   biso-recover refresh --config $SANDBOX/refresh-test.conf --attachments placeholder
webroot = "$TWEBROOT";
backup_root = "$BACKUPS";
web_user = "$WEB_USER";
web_group = "$WEB_GROUP";
php = "$(command -v php)";
migration_status = [ "migration", "status" ];
log_dir = "$SANDBOX/log-test";
database = {
  admin_conninfo = "host=$PGHOST port=$PGPORT user=postgres dbname=postgres";
  owner = "$DBOWNER";
};
services = {
  scheduler_cron = "";
};
refresh = {
  # production's config.php: its database and datadir are never the target
  production_config = "$WEBROOT/config.php";
};
EOF

trap - EXIT
say "done. The cluster keeps running; stop it with: $DEMO/stop.sh $SANDBOX"
say "sandbox:  $SANDBOX  (source $SANDBOX/env.sh)"
say "instance: $WEBROOT (datadir $DATADIR)"
say "backups:  $BACKUPS/{webroot,data,db}"
say "config:   $SANDBOX/biso-recover.conf"
say "test:     $TWEBROOT (env dev, database $TDBNAME; config $SANDBOX/refresh-test.conf)"
