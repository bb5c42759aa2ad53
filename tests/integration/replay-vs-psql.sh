#!/bin/sh
# Differential test of the SQL replay engine (issue 3): every dump is
# restored once with `psql -X -q -f` into cluster A and with replay_run()
# (tests/integration/replay-driver) into cluster B, with --jobs 1 and with
# --jobs 2; `pg_dump` of all three must be identical (apart from the random
# \restrict key), and all must report the same number of errors.  Custom
# and tar dumps (handed to pg_restore) must restore the same too.
#   - a dump made here with real pg_dump of tests/data/sql/rich-schema.sql
#     (every object kind; data with tabs, newlines, backslashes, \N, bytea,
#     non-ASCII; large objects), plain, gzip in two members, and from stdin;
#   - the dumps in /work/shared/corpus/sql (skipped when absent);
#   - a dump of tests/data/sql/begin-function.sql, which psql 15 cannot
#     restore: compared with the source database instead.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
DRIVER=${REPLAY_DRIVER:-$top_builddir/tests/integration/replay-driver}
# The shared corpus: ../shared beside the checkout (CI; absent beside a
# tarball, then skipped), or /work/shared seen from a worktree.
CORPUS=${SQL_CORPUS:-${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/../shared/corpus/sql}
[ -d "$CORPUS" ] || [ -n "${SQL_CORPUS:-}" ] || CORPUS=/work/shared/corpus/sql
DATA=$top_srcdir/tests/data/sql
. "$top_srcdir/tests/lib/pgcluster.sh"

pgc_bindir >/dev/null || { echo "SKIP: no PostgreSQL server installed"; exit 77; }
for tool in psql pg_dump pg_dumpall gzip; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 77; }
done
[ -x "$DRIVER" ] || { echo "FAIL: $DRIVER not built"; exit 1; }

T=$(mktemp -d /tmp/replay-vs-psql.XXXXXX)
chmod 755 "$T"
trap 'pgc_stop "$T/a"; pgc_stop "$T/b"; rm -rf "$T"' EXIT
fails=0
fail() { printf 'FAIL: %s\n' "$*"; fails=$((fails + 1)); }
ok() { printf 'ok: %s\n' "$*"; }

pgc_start "$T/a" || exit 1
HA=$PGHOST
pgc_start "$T/b" || exit 1
HB=$PGHOST
PORT=$PGPORT
export PGPORT PGUSER
unset PGDATABASE

psqlA() { PGHOST=$HA psql -X -q "$@"; }
psqlB() { PGHOST=$HB psql -X -q "$@"; }
strip() { grep -v '^\\\(un\)\{0,1\}restrict ' ; }
dumpA() { PGHOST=$HA pg_dump "$1" | strip; }
dumpB() { PGHOST=$HB pg_dump "$1" | strip; }
connB() { echo "host=$HB port=$PORT user=postgres dbname=$1"; }

# compare NAME DB-A DB-B: pg_dump of both must match
compare() {
	dumpA "$2" > "$T/$1.a.out"
	dumpB "$3" > "$T/$1.b.out"
	if cmp -s "$T/$1.a.out" "$T/$1.b.out"; then
		ok "$1: pg_dump after psql and after replay are identical ($(wc -l < "$T/$1.a.out") lines)"
	else
		fail "$1: pg_dump after psql and after replay differ:"
		diff "$T/$1.a.out" "$T/$1.b.out" | head -40
	fi
}

# restore NAME DUMP [driver options]: psql into A/NAME, replay into B/NAME.
# Both continue after errors, as psql does by default.
restore() {
	name=$1 dump=$2
	shift 2
	psqlA -d postgres -c "CREATE DATABASE \"$name\"" >/dev/null
	psqlB -d postgres -c "CREATE DATABASE \"$name\"" >/dev/null
	case "$dump" in
	*.gz) gzip -dc "$dump" | psqlA -d "$name" -f - > "$T/$name.psql.out" 2> "$T/$name.psql.err" ;;
	*) psqlA -d "$name" -f "$dump" > "$T/$name.psql.out" 2> "$T/$name.psql.err" ;;
	esac
	"$DRIVER" --continue "$@" "$(connB "$name")" "$dump" > "$T/$name.replay.out" 2> "$T/$name.replay.err"
	rc=$?
	psql_errors=$(grep -c -E '(ERROR|error): ' "$T/$name.psql.err")
	replay_errors=$(sed -n 's/.* errors=\([0-9]*\) .*/\1/p' "$T/$name.replay.out")
	if [ "$psql_errors" != "$replay_errors" ]; then
		fail "$name: psql reported $psql_errors errors, replay ${replay_errors:-?} (exit $rc)"
		sed -n '1,10p' "$T/$name.psql.err"
		grep -E '^(ERROR|FAILED)' "$T/$name.replay.err" | head -10
	else
		ok "$name: $replay_errors errors in both; $(cat "$T/$name.replay.out")"
	fi
	compare "$name" "$name" "$name"
	# the same with two connections: identical to --jobs 1
	psqlB -d postgres -c "CREATE DATABASE \"${name}_j2\"" >/dev/null
	"$DRIVER" --continue --jobs 2 "$@" "$(connB "${name}_j2")" "$dump" > "$T/$name.j2.out" 2> "$T/$name.j2.err"
	j2_errors=$(sed -n 's/.* errors=\([0-9]*\) .*/\1/p' "$T/$name.j2.out")
	[ "$j2_errors" = "$replay_errors" ] || fail "$name: --jobs 2 reported ${j2_errors:-?} errors, --jobs 1 $replay_errors"
	dumpB "${name}_j2" > "$T/$name.j2.dump"
	if cmp -s "$T/$name.b.out" "$T/$name.j2.dump"; then
		ok "$name: --jobs 2 restores the same as --jobs 1"
	else
		fail "$name: --jobs 2 differs from --jobs 1:"
		diff "$T/$name.b.out" "$T/$name.j2.dump" | head -20
	fi
}

# ---- pg_dumpall corpus file first: it is cluster-wide ----
if [ -f "$CORPUS/pg_dumpall-16.4.sql" ]; then
	f=$CORPUS/pg_dumpall-16.4.sql
	psqlA -d postgres -f "$f" > /dev/null 2> "$T/dumpall.psql.err"
	"$DRIVER" --continue "$(connB postgres)" "$f" > "$T/dumpall.replay.out" 2> "$T/dumpall.replay.err"
	PGHOST=$HA pg_dumpall | strip > "$T/dumpall.a.out"
	PGHOST=$HB pg_dumpall | strip > "$T/dumpall.b.out"
	psql_errors=$(grep -c -E '(ERROR|error): ' "$T/dumpall.psql.err")
	replay_errors=$(sed -n 's/.* errors=\([0-9]*\) .*/\1/p' "$T/dumpall.replay.out")
	[ "$psql_errors" = "$replay_errors" ] && ok "pg_dumpall-16.4: $replay_errors errors in both" ||
		fail "pg_dumpall-16.4: psql $psql_errors errors, replay $replay_errors"
	if cmp -s "$T/dumpall.a.out" "$T/dumpall.b.out"; then
		ok "pg_dumpall-16.4: pg_dumpall of both clusters identical (\\connect followed)"
	else
		fail "pg_dumpall-16.4: clusters differ"; diff "$T/dumpall.a.out" "$T/dumpall.b.out" | head -30
	fi
fi

# ---- a rich dump made here with real pg_dump ----
psqlA -d postgres -c 'CREATE DATABASE rich_src' >/dev/null
psqlA -v ON_ERROR_STOP=1 -d rich_src -f "$DATA/rich-schema.sql" >/dev/null || fail "loading rich-schema.sql"
PGHOST=$HA pg_dump rich_src > "$T/rich.sql" || fail "pg_dump rich_src"
grep -q '^\\restrict ' "$T/rich.sql" && ok "rich dump has a \\restrict header (pg_dump $(pg_dump --version | sed 's/.* //'))"
restore rich "$T/rich.sql"

# gzip in two members, split inside the COPY data of the largest table
lines=$(wc -l < "$T/rich.sql")
half=$(grep -n '^COPY app.visit ' "$T/rich.sql" | cut -d: -f1)
half=$((half + 100))
head -n "$half" "$T/rich.sql" | gzip > "$T/rich2.sql.gz"
tail -n "+$((half + 1))" "$T/rich.sql" | gzip >> "$T/rich2.sql.gz"
restore rich_gz "$T/rich2.sql.gz"
psqlB -d postgres -c 'CREATE DATABASE rich_stdin' >/dev/null
if "$DRIVER" "$(connB rich_stdin)" - < "$T/rich.sql" > "$T/stdin.out" 2>&1 &&
   dumpB rich_stdin | cmp -s - "$T/rich.b.out"; then
	ok "rich dump from stdin restores the same"
else
	fail "rich dump from stdin"; cat "$T/stdin.out"
fi
# ---- --jobs 2 with the dump check's row counts (--info: read before, as the
# restore step does): COPY blocks split over two connections (--split-min 1:
# every one with 2 rows or more, waiting for room for both halves; always the
# first): the same rows as psql's restore (sorted pg_dump --inserts), in
# another heap order ----
sorted_inserts() { pg_dump --inserts "$1" | strip | sort; }
PGHOST=$HA sorted_inserts rich > "$T/rich.sorted.a"
# Whether a COPY is split follows from the dump (its table's size in the
# counts): it waits for room for both halves, so one run splits.
psqlB -d postgres -c 'CREATE DATABASE rich_split' >/dev/null
"$DRIVER" --continue --jobs 2 --info --split-min 1 "$(connB rich_split)" "$T/rich.sql" \
	> "$T/split.out" 2> "$T/split.err"
nsplit=$(grep -c 'is split over two connections' "$T/split.err")
split_errors=$(sed -n 's/.* errors=\([0-9]*\) .*/\1/p' "$T/split.out")
rich_errors=$(sed -n 's/.* errors=\([0-9]*\) .*/\1/p' "$T/rich.replay.out")
PGHOST=$HB sorted_inserts rich_split > "$T/rich.sorted.b"
if [ "$nsplit" -ge 1 ] && [ "$split_errors" = "$rich_errors" ] && cmp -s "$T/rich.sorted.a" "$T/rich.sorted.b"; then
	ok "rich dump, --jobs 2, $nsplit COPY blocks split in two: sorted pg_dump --inserts equals psql's"
else
	fail "rich dump with split COPYs: $nsplit split, errors ${split_errors:-?} (want $rich_errors):"
	diff "$T/rich.sorted.a" "$T/rich.sorted.b" | head -10; grep -E '^(ERROR|FAILED)' "$T/split.err" | head -5
fi
# A big COPY that comes while the one before still loads (slow: each row
# runs a CHECK that counts 300 rows) is split all the same, once that one
# ended (it was loaded whole while the second connection was busy)
psqlA -d postgres -c 'CREATE DATABASE busy_src' >/dev/null
psqlA -v ON_ERROR_STOP=1 -d busy_src >/dev/null <<'SQL'
CREATE FUNCTION slow(int) RETURNS boolean LANGUAGE sql IMMUTABLE
  AS $$ SELECT count(*) > 0 FROM generate_series(1, 300) $$;
CREATE TABLE a_slow (id int CHECK (slow(id)));
INSERT INTO a_slow SELECT generate_series(1, 20000);
CREATE TABLE b_big (id int, v text);
INSERT INTO b_big SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g;
SQL
PGHOST=$HA pg_dump busy_src > "$T/busy.sql"
psqlA -d postgres -c 'CREATE DATABASE busy' >/dev/null
psqlA -v ON_ERROR_STOP=1 -d busy -f "$T/busy.sql" >/dev/null 2>&1
psqlB -d postgres -c 'CREATE DATABASE busy' >/dev/null
# a_slow holds about 120 kB of COPY data, b_big 2 MB: only b_big is split
"$DRIVER" --jobs 2 --info --split-min 1000000 "$(connB busy)" "$T/busy.sql" > "$T/busy.out" 2> "$T/busy.err"
PGHOST=$HA sorted_inserts busy > "$T/busy.a"
PGHOST=$HB sorted_inserts busy > "$T/busy.b"
b_line=$(grep -n '^COPY public.b_big ' "$T/busy.sql" | cut -d: -f1)
if grep -q "busy.sql:$b_line: the COPY that begins here is split" "$T/busy.err" &&
   [ "$(grep -c 'is split over two connections' "$T/busy.err")" = 1 ] && cmp -s "$T/busy.a" "$T/busy.b"; then
	ok "a big COPY after a slow one is split once that one ended: sorted pg_dump --inserts equals psql's"
else
	fail "a big COPY after a slow one (line $b_line) was not split, or differs:"
	grep -E '^(ERROR|FAILED|INFO: .*split)' "$T/busy.err" | head -5; diff "$T/busy.a" "$T/busy.b" | head -10
fi
# a bad row in either half: the table gets none of its rows (as psql's one
# COPY), the error names the row's dump line; stop and continue mode
psqlA -d postgres -c 'CREATE DATABASE split_src' >/dev/null
psqlA -v ON_ERROR_STOP=1 -d split_src >/dev/null <<'SQL'
CREATE TABLE t (id int PRIMARY KEY, v int);
INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g;
CREATE TABLE u (id int PRIMARY KEY);
INSERT INTO u SELECT generate_series(1, 10);
SQL
PGHOST=$HA pg_dump split_src > "$T/split.sql"
first=$(grep -n '^COPY public.t ' "$T/split.sql" | cut -d: -f1)
for at in 100 900; do
	bad=$((first + at))
	sed "${bad}s/\t[0-9]*\$/\tx/" "$T/split.sql" > "$T/split$at.sql"
	for mode in stop continue; do
		db=split${at}_$mode
		psqlA -d postgres -c "CREATE DATABASE $db" >/dev/null
		psqlB -d postgres -c "CREATE DATABASE $db" >/dev/null
		if [ $mode = stop ]; then
			psqlA -v ON_ERROR_STOP=1 -d $db -f "$T/split$at.sql" >/dev/null 2>&1
			"$DRIVER" --jobs 2 --info --split-min 1 "$(connB $db)" "$T/split$at.sql" > "$T/$db.out" 2> "$T/$db.err"
		else
			psqlA -d $db -f "$T/split$at.sql" >/dev/null 2>&1
			"$DRIVER" --continue --jobs 2 --info --split-min 1 "$(connB $db)" "$T/split$at.sql" > "$T/$db.out" 2> "$T/$db.err"
		fi
		PGHOST=$HA sorted_inserts $db > "$T/$db.a"
		PGHOST=$HB sorted_inserts $db > "$T/$db.b"
		if grep -q 'public.t.* is split\|COPY that begins here is split' "$T/$db.err" &&
		   grep -q "split$at.sql:$bad: invalid input syntax for type integer" "$T/$db.err" &&
		   cmp -s "$T/$db.a" "$T/$db.b"; then
			ok "split COPY, bad row at line $bad ($mode): error names it, the result equals psql's"
		else
			fail "split COPY, bad row at line $bad ($mode):"
			grep -E '^(ERROR|FAILED|INFO: .*split)' "$T/$db.err" | head -5; diff "$T/$db.a" "$T/$db.b" | head -10
		fi
	done
done

psqlB -d postgres -c 'CREATE DATABASE rich_1tx' >/dev/null
if "$DRIVER" --single-transaction "$(connB rich_1tx)" "$T/rich.sql" > "$T/1tx.out" 2>&1; then
	fail "--single-transaction accepted a dump with its own BEGIN/COMMIT (large objects)"
else
	grep -q 'own transaction control' "$T/1tx.out" && ok "--single-transaction refused, saying why" ||
		{ fail "--single-transaction message"; cat "$T/1tx.out"; }
	n=$(psqlB -At -d rich_1tx -c "select count(*) from pg_namespace where nspname = 'app'")
	[ "${n:-x}" = 0 ] && ok "--single-transaction left nothing behind" || fail "--single-transaction left schema app ($n)"
fi

# ---- custom and tar formats go to pg_restore, with its progress in the log ----
if command -v pg_restore >/dev/null 2>&1; then
	for fmt in c t; do
		PGHOST=$HA pg_dump -F$fmt rich_src > "$T/rich.F$fmt" || fail "pg_dump -F$fmt"
		psqlB -d postgres -c "CREATE DATABASE rich_f$fmt" >/dev/null
		if "$DRIVER" --jobs 2 "$(connB rich_f$fmt)" "$T/rich.F$fmt" > "$T/f$fmt.out" 2> "$T/f$fmt.err" &&
		   dumpB rich_f$fmt | cmp -s - "$T/rich.a.out"; then
			ok "-F$fmt dump restored through pg_restore like the plain one through psql"
		else
			fail "-F$fmt dump through pg_restore"; tail -5 "$T/f$fmt.err"
		fi
		grep -q '^INFO: pg_restore: creating TABLE' "$T/f$fmt.err" &&
			ok "-F$fmt: pg_restore's progress lines are in the log" ||
			{ fail "-F$fmt: no pg_restore progress in the log"; head -5 "$T/f$fmt.err"; }
	done
	# an error in pg_restore's restore is reported with its first error
	psqlB -d postgres -c "CREATE DATABASE rich_fcfail" >/dev/null
	psqlB -d rich_fcfail -c "CREATE SCHEMA app" >/dev/null
	"$DRIVER" "$(connB rich_fcfail)" "$T/rich.Fc" > "$T/fcfail.out" 2> "$T/fcfail.err"
	grep -q 'FAILED: .*pg_restore failed' "$T/fcfail.err" && grep -q 'first error: .*schema "app" already exists' "$T/fcfail.err" &&
		ok "a failing pg_restore is an error naming its first error" ||
		{ fail "failing pg_restore"; tail -5 "$T/fcfail.err"; }
fi

# ---- psql 15 cannot restore a function named begin: compare with the source ----
psqlA -d postgres -c 'CREATE DATABASE begin_src' >/dev/null
psqlA -v ON_ERROR_STOP=1 -d begin_src -f "$DATA/begin-function.sql" >/dev/null || fail "loading begin-function.sql"
PGHOST=$HA pg_dump begin_src > "$T/begin.sql"
psqlB -d postgres -c 'CREATE DATABASE begin_src' >/dev/null
if "$DRIVER" "$(connB begin_src)" "$T/begin.sql" > "$T/begin.out" 2>&1; then
	if [ "$(dumpA begin_src)" = "$(dumpB begin_src)" ]; then
		ok "function public.begin(): restored like the source (psql 15 swallows the rest of the dump)"
	else
		fail "function public.begin(): restored database differs from the source"
	fi
else
	fail "function public.begin() dump"; cat "$T/begin.out"
fi

# ---- corpus of real dumps made elsewhere ----
if [ -d "$CORPUS" ]; then
	for f in "$CORPUS"/*.sql; do
		n=$(basename "$f" .sql)
		case "$n" in pg_dumpall-*|pagila-data) continue ;; esac
		restore "c_$(echo "$n" | tr -c 'a-zA-Z0-9_\n' '_')" "$f"
	done
	if [ -f "$CORPUS/pagila-data.sql" ]; then
		# data into the schema restored above, as the two files are meant
		for side in A B; do
			if [ $side = A ]; then
				psqlA -d c_pagila_schema -f "$CORPUS/pagila-data.sql" > /dev/null 2> "$T/pdata.psql.err"
			else
				"$DRIVER" "$(connB c_pagila_schema)" "$CORPUS/pagila-data.sql" > "$T/pdata.replay.out" 2> "$T/pdata.replay.err"
			fi
		done
		[ -s "$T/pdata.psql.err" ] && fail "pagila-data: psql errors" && head "$T/pdata.psql.err"
		grep -q ' errors=0 ' "$T/pdata.replay.out" && ok "pagila-data: $(cat "$T/pdata.replay.out")" ||
			{ fail "pagila-data replay"; head "$T/pdata.replay.err"; }
		compare pagila "c_pagila_schema" "c_pagila_schema"
		# data into an empty database: every COPY fails.  psql 15 then reads
		# the data rows as SQL ("invalid command \N" cascade); replay skips
		# them and reports only the real errors.
		psqlA -d postgres -c 'CREATE DATABASE pdata_only' >/dev/null
		psqlB -d postgres -c 'CREATE DATABASE pdata_only' >/dev/null
		psqlA -d pdata_only -f "$CORPUS/pagila-data.sql" > /dev/null 2> "$T/ponly.psql.err"
		"$DRIVER" --continue "$(connB pdata_only)" "$CORPUS/pagila-data.sql" > "$T/ponly.out" 2> "$T/ponly.err"
		# every COPY and every setval fails, nothing else may
		real=$(( $(grep -c '^COPY ' "$CORPUS/pagila-data.sql") + $(grep -c 'setval(' "$CORPUS/pagila-data.sql") ))
		all=$(grep -c -E '(ERROR|error): ' "$T/ponly.psql.err")
		ours=$(sed -n 's/.* errors=\([0-9]*\) .*/\1/p' "$T/ponly.out")
		skipped=$(sed -n 's/.* skipped_rows=\([0-9]*\) .*/\1/p' "$T/ponly.out")
		if [ "$ours" = "$real" ] && [ "$skipped" = 49636 ] && [ "$all" -gt "$real" ]; then
			ok "failed COPY data skipped: $ours errors, $skipped rows skipped (psql: $all errors, reading data as SQL)"
		else
			fail "failed COPY: replay $ours errors (want $real), $skipped rows skipped; psql $all"
		fi
		compare pdata_only pdata_only pdata_only
	fi
else
	echo "SKIP: corpus $CORPUS absent: only dumps made here are compared"
fi

echo "$fails failure(s)"
[ "$fails" = 0 ]
