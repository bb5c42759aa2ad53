#!/bin/sh
# options-refused.sh: an option the command does not take is a usage error
# (exit 2) that names the commands taking it, and nothing is done.  Before,
# every command took every option without a word: `db-restore --dry-run`
# replayed the dump for real, `backup --dump F` and `restore --keep-last 3`
# ran, `status --jobs 4` reported.  Options before the command word are
# still the command's.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
BIN=${BISO_RECOVER:-$top_builddir/biso-recover}
. "$top_srcdir/tests/lib/pgcluster.sh"
pgc_bindir >/dev/null || { echo "SKIP: no PostgreSQL server installed"; exit 77; }
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }

T=$(mktemp -d /tmp/options-refused.XXXXXX)
chmod 755 "$T"
trap 'pgc_stop "$T/pg"; rm -rf "$T"' EXIT
fails=0
fail() { printf 'FAIL: %s\n' "$*"; fails=$((fails + 1)); }
ok() { printf 'ok: %s\n' "$*"; }
export LANG=C LC_ALL=C LANGUAGE=
pgc_start "$T/pg" || exit 1
unset PGDATABASE
conn() { echo "host=$PGHOST port=$PGPORT user=postgres dbname=$1"; }
q() { psql -X -q -v ON_ERROR_STOP=1 -d "$@"; }
ids() { q "$1" -Atc "SELECT string_agg(id::text, ',' ORDER BY id) FROM t"; }
dumpdb() { pg_dump -d "$1" | grep -v '^\\\(un\)\?restrict '; }

# refused WHAT WANT CMD...: CMD exits 2, says WANT (and where its help is)
# on stderr and prints nothing on stdout
refused() {
	what=$1 want=$2
	shift 2
	"$BIN" "$@" > "$T/out" 2> "$T/err"
	rc=$?
	if [ "$rc" = 2 ] && [ ! -s "$T/out" ] && grep -qxF "biso-recover: $want" "$T/err" &&
	   grep -q "^Try 'biso-recover .*--help'\.$" "$T/err"; then
		ok "$what: exit 2, \"$want\""
	else
		fail "$what: exit $rc, expected 2 and \"$want\":"
		sed 's/^/    /' "$T/out" "$T/err"
	fi
}

# 1. db-restore --dry-run: no dry run there; the dump must not be replayed
q postgres -c 'CREATE DATABASE target' -c 'CREATE DATABASE other' >/dev/null
q target -c "CREATE TABLE t (id int); INSERT INTO t VALUES (1)"
q other -c "CREATE TABLE t (id int); INSERT INTO t VALUES (2), (3)"
pg_dump --clean --if-exists -d other > "$T/other.sql"
dumpdb target > "$T/target.before"
refused "db-restore --dry-run" \
	"db-restore does not take --dry-run; it is an option of: wizard, restore, rollback, cleanup, files-restore, backup, backup-prune, refresh" \
	db-restore --dry-run --dbname "$(conn target)" "$T/other.sql"
dumpdb target > "$T/target.after"
if cmp -s "$T/target.before" "$T/target.after" &&
   [ "$(ids target)" = 1 ]; then
	ok "db-restore --dry-run left the target database as it was"
else
	fail "db-restore --dry-run changed the target database:"
	diff "$T/target.before" "$T/target.after" | head -n 10
fi
# the same command without it replays (the probe above was a real one)
"$BIN" db-restore --dbname "$(conn target)" "$T/other.sql" > "$T/out" 2>&1 &&
	[ "$(ids target)" = 2,3 ] ||
	{ fail "db-restore without --dry-run did not replay:"; sed 's/^/    /' "$T/out"; }

# 2. backup --dump, restore --keep-last, status --jobs: nothing written, no
# run started, no report
mkdir "$T/root" "$T/webroot"
refused "backup --dump" "backup does not take --dump; it is an option of: wizard, restore, refresh" \
	backup --dump "$T/other.sql" --backup-root "$T/root" --webroot "$T/webroot" \
	--dbname "$(conn target)" --log-dir "$T/log"
refused "backup --at (before the command)" \
	"backup does not take --at; it is an option of: wizard, restore, refresh" \
	--at 20260101 --backup-root "$T/root" backup --log-dir "$T/log"
refused "restore --keep-last" "restore does not take --keep-last; it is an option of: backup-prune" \
	restore --yes --keep-last 3 --backup-root "$T/root" --webroot "$T/webroot" --log-dir "$T/log"
refused "status --jobs" "status does not take --jobs; it is an option of: wizard, restore, db-restore, refresh" \
	status --jobs 4 --log-dir "$T/log"
refused "db-inspect --webroot" \
	"db-inspect does not take --webroot; it is an option of: wizard, restore, rollback, db-restore, cleanup, status, backup, refresh" \
	db-inspect --webroot "$T/webroot" "$T/other.sql"
refused "backup-list --source" "backup-list does not take --source; it is an option of: refresh" \
	backup-list --source "$T/root"
refused "the wizard --yes" "the wizard does not take --yes; it is an option of: restore, rollback, cleanup, files-restore, refresh" \
	--yes --log-dir "$T/log"
if [ -z "$(ls -A "$T/root")" ] && [ -z "$(ls -A "$T/webroot")" ] && [ ! -e "$T/log" ]; then
	ok "nothing was written: the backup root and webroot are empty, no log directory"
else
	fail "something was written:"; ls -laR "$T/root" "$T/webroot" "$T/log" 2>&1 | sed 's/^/    /'
fi

# 3. the options a command takes still work, before the command word too
"$BIN" --log-dir "$T/log" status > "$T/out" 2>&1
rc=$?
[ "$rc" = 6 ] && grep -q "^no run found: $T/log holds no status file" "$T/out" ||
	{ fail "--log-dir before status: exit $rc"; sed 's/^/    /' "$T/out"; }
"$BIN" --follow db-inspect "$T/other.sql" > "$T/out" 2>&1
[ $? = 2 ] && grep -q '^biso-recover: db-inspect does not take --follow; it is an option of: status$' "$T/out" ||
	{ fail "--follow before db-inspect was not refused"; sed 's/^/    /' "$T/out"; }

# 4. German
LANG=de_CH.UTF-8 LC_ALL=de_CH.UTF-8 "$BIN" status --jobs 4 > "$T/out" 2>&1
grep -qx 'biso-recover: status nimmt --jobs nicht; sie ist eine Option von: wizard, restore, db-restore, refresh' "$T/out" ||
	{ fail "the refusal is not German"; sed 's/^/    /' "$T/out"; }
LANG=de_CH.UTF-8 LC_ALL=de_CH.UTF-8 "$BIN" --yes > "$T/out" 2>&1
grep -q '^biso-recover: der Assistent nimmt --yes nicht; sie ist eine Option von: restore,' "$T/out" ||
	{ fail "the wizard's refusal is not German"; sed 's/^/    /' "$T/out"; }

[ "$fails" = 0 ] && echo "options-refused: ok"
exit "$fails"
