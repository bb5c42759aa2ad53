#!/bin/sh
# db-restore's dump check beside the replay (src/sql/replay_check.c): until
# the check passed, what the replay sent waits uncommitted in one
# transaction.  The test build's BR_FAULT_FAIL=replay.check.late holds the
# check's verdict back until the replay waits for it (its counts of the COPY
# blocks come as it reads), so that every case below runs
# that transaction as far as it goes, whatever the machine's speed.  Each
# result is compared with psql's restore of the same dump (pg_dump output),
# or with the database as it was for a refused dump.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
BIN=${BISO_RECOVER:-$top_builddir/biso-recover}
FAULTS=${BISO_RECOVER_FAULTS:-$top_builddir/tests/integration/biso-recover-faults}
. "$top_srcdir/tests/lib/pgcluster.sh"
pgc_bindir >/dev/null || { echo "SKIP: no PostgreSQL server installed"; exit 77; }
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }
[ -x "$FAULTS" ] || { echo "SKIP: no test build $FAULTS (make check builds it)"; exit 77; }

T=$(mktemp -d /tmp/replay-check.XXXXXX)
chmod 755 "$T"
trap 'pgc_stop "$T/pg"; rm -rf "$T"' EXIT
fails=0
fail() { printf 'FAIL: %s\n' "$*"; fails=$((fails + 1)); }
ok() { printf 'ok: %s\n' "$*"; }
pgc_start "$T/pg" || exit 1
unset PGDATABASE
conn() { echo "host=$PGHOST port=$PGPORT user=postgres dbname=$1"; }
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
newdb() { q -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null 2>&1; }
dumpdb() { pg_dump --no-owner -d "$1" | grep -v '^\\\(un\)\?restrict '; }
late() { BR_FAULT_FAIL=replay.check.late "$FAULTS" "$@"; }

newdb src
q -d src >/dev/null <<'SQL'
CREATE TABLE a (id int PRIMARY KEY, t text);
INSERT INTO a SELECT g, 'row ' || g FROM generate_series(1, 30000) g;
CREATE TABLE b (id serial PRIMARY KEY, a_id int REFERENCES a, note text);
INSERT INTO b (a_id, note) SELECT g, 'note ' || g FROM generate_series(1, 500) g;
CREATE INDEX ON b (note);
SQL
pg_dump --clean --if-exists -d src > "$T/good.sql"
setval=$(grep -n '^SELECT pg_catalog.setval' "$T/good.sql" | head -n 1 | cut -d: -f1)
dumpdb src > "$T/src.out"

# 1. a complete dump: committed at its first statement that a rollback
# cannot take back (setval), the result is the source's
newdb g1
if late db-restore --dbname "$(conn g1)" "$T/good.sql" > "$T/g1.log" 2>&1 &&
   grep -q "good.sql:$setval: the dump check passed: what was sent before this line is committed" "$T/g1.log" &&
   dumpdb g1 | cmp -s - "$T/src.out"; then
	ok "the replay ran uncommitted up to line $setval (setval), committed when the check passed; result = source"
else
	fail "complete dump with a late check:"; sed 's/^/    /' "$T/g1.log" | tail -8
fi
# --dbname NAME: a bare name is the database's, as psql and pg_dump take it
# (host, port and user from PGHOST, PGPORT, PGUSER); it was refused
newdb bare1
if PGUSER=postgres "$BIN" db-restore --dbname bare1 "$T/good.sql" > "$T/bare1.log" 2>&1 &&
   dumpdb bare1 | cmp -s - "$T/src.out"; then
	ok "--dbname bare1 restores into the database bare1, as psql -d bare1 would"
else
	fail "--dbname with a bare name:"; sed 's/^/    /' "$T/bare1.log" | tail -8
fi
"$BIN" db-restore --dbname "host=$PGHOST dbname" "$T/good.sql" > "$T/bad-ci.log" 2>&1; rc=$?
if [ $rc = 2 ] && grep -q 'is not a libpq conninfo: missing "=" after "dbname"' "$T/bad-ci.log"; then
	ok "a malformed conninfo is still refused in libpq's words (exit 2)"
else
	fail "malformed conninfo: exit $rc"; sed 's/^/    /' "$T/bad-ci.log" | tail -4
fi
newdb g2
if late db-restore --jobs 2 --dbname "$(conn g2)" "$T/good.sql" > "$T/g2.log" 2>&1 &&
   grep -q "good.sql:$setval: the dump check passed" "$T/g2.log" && dumpdb g2 | cmp -s - "$T/src.out"; then
	ok "--jobs 2: the same, the jobs start after the commit"
else
	fail "--jobs 2 with a late check:"; sed 's/^/    /' "$T/g2.log" | tail -8
fi

# 1b. --jobs 2, a table of 64 MiB of COPY data or more: split over two
# connections once the check passed.  Inside the check's transaction it was
# loaded whole on one connection: a COPY that comes before the check ended
# (pgbench_accounts, its first table) was never split.  Now the replay
# waits for the check to count the block, and for its verdict when the
# block is that big; the rows are the source's
newdb bigsrc
q -d bigsrc >/dev/null <<'SQL'
CREATE TABLE big (id int, pad text);
INSERT INTO big SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 700000) g;
SQL
pg_dump -d bigsrc > "$T/big.sql"
bigline=$(grep -n '^COPY public.big ' "$T/big.sql" | cut -d: -f1)
sig="SELECT count(*), md5(string_agg(id || ':' || pad, ',' ORDER BY id)) FROM big"
newdb big2
late db-restore --jobs 2 --dbname "$(conn big2)" "$T/big.sql" > "$T/big2.log" 2>&1; rc=$?
if [ $rc = 0 ] && grep -q "big.sql:$bigline: the dump check passed: what was sent before this line is committed" "$T/big2.log" &&
   grep -q "big.sql:$bigline: the COPY that begins here is split over two" "$T/big2.log" &&
   [ "$(q -At -d big2 -c "$sig")" = "$(q -At -d bigsrc -c "$sig")" ]; then
	ok "--jobs 2: the 64 MiB COPY at line $bigline waited for the late check and was split; rows = source"
else
	fail "--jobs 2, a 64 MiB COPY with a late check: exit $rc, not split or rows differ:"
	grep -E 'split|check passed|error' "$T/big2.log" | sed 's/^/    /' | tail -8
fi
q -d postgres -c "DROP DATABASE bigsrc" -c "DROP DATABASE big2" >/dev/null

# 2. a statement fails inside the uncommitted part: rolled back, replayed
# again from the top after the check passed; the result is psql's and the
# error is reported once
awk '{ print } /^CREATE TABLE public.a / { a = 1 } a && /^\);$/ && !done { print "CREATE TABLE x AS SELECT * FROM nosuch;"; done = 1 }' \
	"$T/good.sql" > "$T/bad.sql"
badline=$(grep -n '^CREATE TABLE x AS' "$T/bad.sql" | cut -d: -f1)
for mode in stop continue; do
	newdb p_$mode; newdb o_$mode
	if [ $mode = stop ]; then
		psql -X -q -v ON_ERROR_STOP=1 -d p_$mode -f "$T/bad.sql" >/dev/null 2>&1; want=1
	else
		psql -X -q -d p_$mode -f "$T/bad.sql" >/dev/null 2>&1; want=3
	fi
	late db-restore --on-error $mode --dbname "$(conn o_$mode)" "$T/bad.sql" > "$T/o_$mode.log" 2>&1; rc=$?
	n=$(grep -c '^error: .*relation "nosuch" does not exist' "$T/o_$mode.log")
	if [ $rc = $want ] && [ "$n" = 1 ] &&
	   grep -q "bad.sql:$badline: a statement failed before the dump check ended: rolled back, replaying again" "$T/o_$mode.log" &&
	   dumpdb o_$mode | cmp -s - "$(dumpdb p_$mode > "$T/p_$mode.out"; echo "$T/p_$mode.out")"; then
		ok "--on-error $mode: an error at line $badline before the check ended: replayed again, result = psql's, error said once, exit $rc"
	else
		fail "--on-error $mode, error before the check ended: exit $rc (want $want), error said $n times:"
		sed 's/^/    /' "$T/o_$mode.log" | tail -10
	fi
done

# 3. a cut --clean dump: its DROPs and COPYs ran uncommitted, were rolled
# back, and the database is as it was
newdb c3
q -d c3 -f "$T/good.sql" >/dev/null 2>&1
q -d c3 -c "INSERT INTO a VALUES (0, 'kept')" >/dev/null
dumpdb c3 > "$T/c3.before"
lines=$(wc -l < "$T/good.sql")
head -n $((lines - 6)) "$T/good.sql" > "$T/notrailer.sql"
awk '{ print } /^COPY public.a / { c = 1 } c && ++n == 20000 { exit }' "$T/good.sql" > "$T/cutcopy.sql"
for cut in notrailer cutcopy; do
	for opt in "" --single-transaction "--jobs 2"; do
		# shellcheck disable=SC2086
		late db-restore $opt --dbname "$(conn c3)" "$T/$cut.sql" > "$T/c3.log" 2>&1; rc=$?
		if [ $rc = 1 ] && grep -q "nothing was changed in the database: .*$cut.sql" "$T/c3.log" &&
		   dumpdb c3 | cmp -s - "$T/c3.before"; then
			ok "$cut.sql ${opt:-(default)}: refused by the late check, rolled back, the database is unchanged"
		else
			fail "$cut.sql ${opt:-(default)}: exit $rc (want 1), or the database changed:"
			sed 's/^/    /' "$T/c3.log" | tail -8
		fi
	done
done
# the same with the normal build (the check as fast as it is)
"$BIN" db-restore --dbname "$(conn c3)" "$T/notrailer.sql" > "$T/c3.log" 2>&1; rc=$?
[ $rc = 1 ] && dumpdb c3 | cmp -s - "$T/c3.before" &&
	ok "notrailer.sql, normal build: refused, the database is unchanged" ||
	{ fail "notrailer.sql, normal build: exit $rc"; tail -5 "$T/c3.log"; }

# 4. a custom-format dump is refused with the check on, as before
pg_dump -Fc -d src > "$T/custom.dump"
late db-restore --dbname "$(conn c3)" "$T/custom.dump" > "$T/c4.log" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "nothing was changed in the database: .*custom.dump is a custom-format dump" "$T/c4.log" &&
	ok "custom-format dump refused with the check on" || { fail "custom-format: exit $rc"; cat "$T/c4.log"; }

[ $fails = 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
