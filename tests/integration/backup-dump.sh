#!/bin/sh
# The backup's database dump (src/sql/pgdump.c, issue 12) against the real
# pg_dump: our .sql.gz gunzips to exactly what pg_dump --no-owner
# --no-privileges --clean --if-exists writes (apart from the random key of
# its \restrict and \unrestrict lines), gzip -t accepts it, it is mode
# 0600; the password reaches pg_dump through its environment, never argv; a
# wrong database name fails with pg_dump's message, and a dump without its
# trailer is refused, each leaving neither the file nor a .partial.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
DRIVER=${BACKUP_DRIVER:-$top_builddir/tests/integration/backup-driver}
. "$top_srcdir/tests/lib/pgcluster.sh"
pgc_bindir >/dev/null || { echo "SKIP: no PostgreSQL server installed"; exit 77; }
command -v pg_dump >/dev/null || { echo "SKIP: no pg_dump"; exit 77; }
[ -x "$DRIVER" ] || { echo "FAIL: $DRIVER not built"; exit 1; }

T=$(mktemp -d /tmp/backup-dump.XXXXXX)
chmod 755 "$T"
trap 'pgc_stop "$T/pg"; rm -rf "$T"' EXIT
fails=0
fail() { printf 'FAIL: %s\n' "$*"; fails=$((fails + 1)); }
ok() { printf 'ok: %s\n' "$*"; }
pgc_start "$T/pg" || exit 1
unset PGDATABASE
conn="host=$PGHOST port=$PGPORT user=postgres"
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
q -d postgres -c "CREATE DATABASE src" >/dev/null
q -d src >/dev/null <<'SQL'
CREATE TABLE person (id bigint PRIMARY KEY, name text, born timestamptz, photo bytea);
INSERT INTO person SELECT i, 'Name ' || i || E'\twith tab\nand newline', '2000-01-01'::timestamptz + i * interval '1 hour',
	decode(repeat(md5(i::text), 40), 'hex') FROM generate_series(1, 8000) i;
CREATE TABLE "Odd Name" (k text);
INSERT INTO "Odd Name" VALUES ('ä'), (NULL), ('\');
CREATE INDEX ON person (name);
CREATE VIEW adults AS SELECT id FROM person WHERE born < now();
SQL
strip() { grep -v -e '^\\restrict ' -e '^\\unrestrict '; }
mkdir "$T/db"

# ---- our dump equals pg_dump's ----
"$DRIVER" dump "$conn password=sekret" src "$T/db" biso_ > "$T/out" 2> "$T/err"
rc=$?
path=$(sed -n 's/^path=//p' "$T/out")
if [ $rc = 0 ] && [ -f "$path" ]; then ok "dump written: $(basename "$path")"; else
	fail "dump failed (exit $rc)"; cat "$T/err"; fi
case $(basename "$path") in
biso_[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]_[0-9][0-9][0-9][0-9][0-9][0-9].sql.gz) ok "name is <prefix>YYYYMMDD_HHMMSS.sql.gz" ;;
*) fail "name: $path" ;;
esac
pg_dump --no-owner --no-privileges --clean --if-exists -d "$conn dbname=src" | strip > "$T/want.sql"
gunzip -c "$path" | strip > "$T/got.sql"
if cmp -s "$T/want.sql" "$T/got.sql"; then ok "gunzip of ours = pg_dump's output ($(wc -c < "$T/got.sql") bytes)"; else
	fail "gunzip of ours differs from pg_dump's output"; diff "$T/want.sql" "$T/got.sql" | head -10; fi
gzip -t "$path" && ok "gzip -t accepts it" || fail "gzip -t refuses it"
[ "$(stat -c %a "$path")" = 600 ] && ok "mode 0600" || fail "mode $(stat -c %a "$path")"
[ "$(sed -n 's/^sql_bytes=//p' "$T/out")" = "$(gunzip -c "$path" | wc -c)" ] && ok "sql_bytes counts the SQL" || fail "sql_bytes: $(cat "$T/out")"
[ "$(sed -n 's/^gz_bytes=//p' "$T/out")" = "$(stat -c %s "$path")" ] && ok "gz_bytes is the file's size" || fail "gz_bytes: $(cat "$T/out")"
v=$(pg_dump --version | sed 's/^pg_dump (PostgreSQL) //')
grep -q "^pg_dump_version=$v" "$T/out" && grep -q "^server_version=[0-9]" "$T/out" && ok "versions read from the dump's header" ||
	fail "versions: $(grep version "$T/out") (pg_dump --version: $v)"
ls "$T/db" | grep -q partial && fail "a .partial is left" || ok "no .partial left"

# ---- the password goes to the environment, not argv ----
cat > "$T/pg_dump" <<EOF2
#!/bin/sh
printf '%s\n' "\$@" > "$T/argv"
printf '%s\n' "\${PGPASSWORD:-}" > "$T/pw"
exec pg_dump "\$@"
EOF2
chmod +x "$T/pg_dump"
sleep 1 # a new second, a new name
PG_DUMP=$T/pg_dump "$DRIVER" dump "$conn password=sekret" src "$T/db" pw_ > "$T/out" 2> "$T/err" || { fail "dump with the wrapper"; cat "$T/err"; }
if ! grep -q sekret "$T/argv" && [ "$(cat "$T/pw")" = sekret ]; then ok "password in PGPASSWORD, not in argv"; else
	fail "password: argv $(tr '\n' ' ' < "$T/argv"), PGPASSWORD $(cat "$T/pw")"; fi
grep -q -e '--no-password' "$T/argv" && grep -qx -- '--clean' "$T/argv" && grep -qx -- '--if-exists' "$T/argv" &&
	grep -qx -- '--no-owner' "$T/argv" && grep -qx -- '--no-privileges' "$T/argv" && ok "the manual's options" ||
	fail "argv: $(tr '\n' ' ' < "$T/argv")"
grep -q sekret "$T/err" && fail "the password is in the log" || ok "the password is not in the log"
rm -f "$T"/db/pw_*

# ---- wrong database: pg_dump's message, no file, no .partial ----
mkdir "$T/empty"
"$DRIVER" dump "$conn" nosuchdb "$T/empty" biso_ > "$T/out" 2> "$T/err"
rc=$?
if [ $rc = 1 ] && grep -q 'pg_dump failed (exit status 1) dumping database nosuchdb' "$T/err" &&
	grep -q 'database "nosuchdb" does not exist' "$T/err"; then ok "wrong database: pg_dump's message"; else
	fail "wrong database (exit $rc):"; cat "$T/err"; fi
[ -z "$(ls -A "$T/empty")" ] && ok "wrong database: no file, no .partial" || fail "left: $(ls -A "$T/empty")"

# ---- output without the trailer (pg_dump exits 0): refused, nothing left ----
cat > "$T/pg_dump" <<EOF2
#!/bin/sh
pg_dump "\$@" | head -n 40
EOF2
PG_DUMP=$T/pg_dump "$DRIVER" dump "$conn" src "$T/empty" biso_ > "$T/out" 2> "$T/err"
rc=$?
if [ $rc = 1 ] && grep -q 'ended without the "-- PostgreSQL database dump complete" trailer' "$T/err"; then
	ok "cut-off output refused"; else fail "cut-off output (exit $rc):"; cat "$T/err"; fi
[ -z "$(ls -A "$T/empty")" ] && ok "cut-off output: no file, no .partial" || fail "left: $(ls -A "$T/empty")"

# ---- pg_dump killed mid-way: its status, nothing left ----
cat > "$T/pg_dump" <<EOF2
#!/bin/sh
pg_dump "\$@" | head -c 100000
kill -9 \$\$
EOF2
PG_DUMP=$T/pg_dump "$DRIVER" dump "$conn" src "$T/empty" biso_ > "$T/out" 2> "$T/err"
rc=$?
if [ $rc = 1 ] && grep -q 'pg_dump failed (exit status 137)' "$T/err"; then ok "killed pg_dump: exit status named"; else
	fail "killed pg_dump (exit $rc):"; cat "$T/err"; fi
[ -z "$(ls -A "$T/empty")" ] && ok "killed pg_dump: no file, no .partial" || fail "left: $(ls -A "$T/empty")"

# ---- a full disk names the .partial file ----
if [ "$(id -u)" = 0 ] && mkdir "$T/full" && mount -t tmpfs -o size=64k tmpfs "$T/full" 2>/dev/null; then
	"$DRIVER" dump "$conn" src "$T/full" biso_ > "$T/out" 2> "$T/err"
	rc=$?
	if [ $rc = 1 ] && grep -q "cannot write $T/full/biso_.*\.sql\.gz\.partial: No space left on device" "$T/err"; then
		ok "full disk: the .partial named"; else fail "full disk (exit $rc):"; cat "$T/err"; fi
	[ -z "$(ls -A "$T/full")" ] && ok "full disk: nothing left" || fail "left: $(ls -A "$T/full")"
	umount "$T/full" || umount -l "$T/full"
else
	echo "skip: full disk (needs root for a small tmpfs)"
fi

[ $fails = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all passed"
