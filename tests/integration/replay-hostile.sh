#!/bin/sh
# Hostile dumps (issue 16): each damaged or foreign input gets a clear
# message naming the file and the line or byte offset, in bounded time and
# memory, and a signal stops any pass over it promptly.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
BIN=${BISO_RECOVER:-$top_builddir/biso-recover}
. "$top_srcdir/tests/lib/pgcluster.sh"
pgc_bindir >/dev/null || { echo "SKIP: no PostgreSQL server installed"; exit 77; }
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }

T=$(mktemp -d /tmp/replay-hostile.XXXXXX)
chmod 755 "$T"
trap 'pgc_stop "$T/pg"; rm -rf "$T"' EXIT
fails=0
fail() { printf 'FAIL: %s\n' "$*"; fails=$((fails + 1)); }
ok() { printf 'ok: %s\n' "$*"; }
pgc_start "$T/pg" || exit 1
unset PGDATABASE
CONN="host=$PGHOST port=$PGPORT user=postgres dbname=hostile"
psql -X -q -d postgres -c "CREATE DATABASE hostile" >/dev/null

HEADER='--
-- PostgreSQL database dump
--

-- Dumped from database version 15.0
-- Dumped by pg_dump version 15.0

SET statement_timeout = 0;
SET standard_conforming_strings = on;

'
# header, then one endless line: an identifier run (the shape that was
# quadratic and deaf to signals, issue 16.8)
endless() { printf '%s' "$HEADER"; yes abcdefgh | tr -d '\n'; }

# sigterm_stops WHAT CMD...: start CMD reading the endless line, SIGTERM it
# after 2 s, and require that it ends within 10 s, interrupted (exit 130,
# "stopped by SIGTERM"), not finished.
sigterm_stops() {
	what=$1; shift
	"$@" < "${STDIN:-/dev/null}" > "$T/out" 2>&1 &
	pid=$!
	sleep 2
	kill -TERM "$pid" 2>/dev/null
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	if kill -0 "$pid" 2>/dev/null; then
		fail "$what: still running 10 s after SIGTERM"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return
	fi
	wait "$pid"; rc=$?
	if [ "$rc" = 130 ] && grep -q 'aborted: stopped by SIGTERM' "$T/out"; then
		ok "$what: SIGTERM during a pass over an endless line stops it (exit 130)"
	else
		fail "$what: exit $rc after SIGTERM, want 130 and 'aborted: stopped by SIGTERM':"
		sed 's/^/    /' "$T/out" | head -10
	fi
}

# ---- issue 16.8: a signal stops the dump check and the replay ----
mkfifo "$T/fifo"
endless > "$T/fifo" 2>/dev/null &
sigterm_stops "dump check (db-restore)" "$BIN" db-restore --dbname "$CONN" "$T/fifo"
wait 2>/dev/null
endless > "$T/fifo" 2>/dev/null &
STDIN=$T/fifo sigterm_stops "replay (db-restore --no-check, stdin)" \
	"$BIN" db-restore --no-check --dbname "$CONN" -
wait 2>/dev/null

# ---- issue 16.8: memory of the dump check does not grow with a line ----
# 64 MiB on one line (an identifier run, a quoted value, a comment): the
# check keeps 64 KiB of a statement; it took 77 MB before.
for shape in ident quote comment; do
	case $shape in
	ident) pre='' ;;
	quote) pre="INSERT INTO t VALUES ('" ;;
	comment) pre='-- ' ;;
	esac
	{ printf '%s%s' "$HEADER" "$pre"; yes abcdefgh | tr -d '\n' | head -c 67108864; } > "$T/long.sql"
	/usr/bin/time -o "$T/time" -f %M "$BIN" db-inspect "$T/long.sql" > "$T/out" 2>&1
	kb=$(tail -n 1 "$T/time")
	if [ "$kb" -lt 32768 ] && grep -q 'complete: *NO' "$T/out"; then
		ok "64 MiB line ($shape): db-inspect reads it in $kb KiB and says it was cut off"
	else
		fail "64 MiB line ($shape): peak RSS $kb KiB (want < 32 MiB):"; sed 's/^/    /' "$T/out" | head -5
	fi
done
rm -f "$T/long.sql"

# ---- issue 9.7: db-inspect counts the rows of INSERT-style dumps ----
# real pg_dump --inserts / --column-inserts / --rows-per-insert of known
# tables (values with parentheses, quotes and semicolons; a quoted name; a
# table without columns; an empty table): the rows db-inspect names must be
# the tables' counts, as it counts COPY rows
psql -X -q -d postgres -c 'CREATE DATABASE ins' >/dev/null
psql -X -q -d ins <<'EOF'
CREATE TABLE person (id int, name text, note text);
INSERT INTO person SELECT g, 'p(' || g || ')', CASE WHEN g % 3 = 0 THEN 'a;b''c)(' END
	FROM generate_series(1, 47) g;
CREATE TABLE "Odd Name" (x int GENERATED ALWAYS AS IDENTITY, y int[]);
INSERT INTO "Odd Name" (y) SELECT ARRAY[g, g + 1] FROM generate_series(1, 5) g;
CREATE TABLE nocols ();
INSERT INTO nocols DEFAULT VALUES;
INSERT INTO nocols DEFAULT VALUES;
CREATE TABLE empty (a int);
EOF
for how in --inserts --column-inserts --rows-per-insert=10; do
	pg_dump -d ins $how > "$T/ins.sql"
	"$BIN" db-inspect "$T/ins.sql" > "$T/out" 2>&1
	got=$(sed -n 's/^  \(.*[^ ]\)  *\([0-9][0-9]*\) rows .*/\1=\2/p' "$T/out" | sort | tr '\n' ' ')
	want='public."Odd Name"=5 public.nocols=2 public.person=47 '
	if [ "$got" = "$want" ] && grep -q 'tables with data: 3' "$T/out"; then
		ok "db-inspect of pg_dump $how: $got"
	else
		fail "db-inspect of pg_dump $how: got '$got', want '$want':"; sed 's/^/    /' "$T/out" | tail -8
	fi
done

# ---- issue 16.7: the server goes away during the replay ----
# The backend is terminated from a second connection while the replay waits
# in pg_sleep (line 12): the message must say the connection was lost, where in the dump,
# and what to check, and claim nothing about the database it cannot know.
psql -X -q -d postgres -c 'CREATE DATABASE lost' >/dev/null
printf '%s' "$HEADER" > "$T/lost.sql"
printf 'CREATE TABLE a (x int);\nSELECT pg_sleep(60);\nCREATE TABLE b (x int);\n\n--\n-- PostgreSQL database dump complete\n--\n\n' >> "$T/lost.sql"
"$BIN" db-restore --dbname "host=$PGHOST port=$PGPORT user=postgres dbname=lost" "$T/lost.sql" > "$T/out" 2>&1 &
pid=$!
i=0
until [ "$(psql -X -At -d postgres -c "select count(*) from pg_stat_activity where query like 'SELECT pg_sleep%'")" = 1 ] || [ $i -ge 100 ]; do
	sleep 0.1; i=$((i + 1))
done
psql -X -At -d postgres -c "select pg_terminate_backend(pid) from pg_stat_activity where query like 'SELECT pg_sleep%'" >/dev/null
wait "$pid"; rc=$?
if [ "$rc" = 1 ] && grep -q 'lost.sql:12: the server closed the connection' "$T/out" &&
   grep -q 'server log' "$T/out" && grep -q 'disk space' "$T/out" &&
   ! grep -qi 'untouched\|is incomplete' "$T/out"; then
	ok "a backend terminated during the replay is reported as a lost connection at its line"
else
	fail "lost connection: exit $rc:"; sed 's/^/    /' "$T/out" | head -12
fi

# ---- newcomer 8.2: a stop cancels the running statement on the server ----
# An index build of 40 s (an IMMUTABLE function that sleeps 10 ms a row, as
# drill scenario 5 makes it; 4000 rows): SIGTERM during the build ends
# db-restore within 10 s, the build cancelled on the server (its log says
# so), nothing of it left.  Before, the replay asked for a stop only between
# statements: the build ran on to its end, on the main connection (--jobs
# 1) and on a job's (--jobs 2).
psql -X -q -d postgres -c 'CREATE DATABASE slowsrc' >/dev/null
psql -X -q -d slowsrc <<'EOF'
CREATE FUNCTION public.slow_key(i integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE
	AS $$ BEGIN PERFORM pg_catalog.pg_sleep(0.01); RETURN i; END $$;
CREATE TABLE public.slow_rows (id integer PRIMARY KEY);
INSERT INTO public.slow_rows SELECT generate_series(1, 4000);
EOF
# the build goes into the dump by hand: made in slowsrc it would take 40 s
pg_dump -d slowsrc | sed 's/^-- PostgreSQL database dump complete$/CREATE INDEX slow_rows_key ON public.slow_rows USING btree (public.slow_key(id));\n\n&/' > "$T/slow-index.sql"
grep -q '^CREATE INDEX slow_rows_key' "$T/slow-index.sql" || fail "the slow dump lacks its index build"
building() { # the build runs (not the query asking)
	psql -X -At -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid()
		AND state = 'active' AND query LIKE 'CREATE INDEX slow_rows_key%'"
}
for j in 1 2; do
	db=slowdst$j
	psql -X -q -d postgres -c "CREATE DATABASE $db" >/dev/null
	from=$(($(wc -l < "$T/pg/server.log") + 1))
	"$BIN" db-restore --jobs $j --dbname "host=$PGHOST port=$PGPORT user=postgres dbname=$db" \
		"$T/slow-index.sql" > "$T/out" 2>&1 &
	pid=$!
	i=0
	until [ "$(building)" = 1 ] || [ $i -ge 600 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(building)" = 1 ] || fail "--jobs $j: the slow index build did not start"
	kill -TERM "$pid"
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	if kill -0 "$pid" 2>/dev/null; then
		fail "--jobs $j: db-restore still runs 10 s after SIGTERM during a 40 s index build"
		wait "$pid"
		continue
	fi
	wait "$pid"; rc=$?
	cancelled=$(tail -n +"$from" "$T/pg/server.log" | grep -c 'canceling statement due to user request')
	idx=$(psql -X -At -d $db -c "SELECT count(*) FROM pg_class WHERE relname = 'slow_rows_key'")
	if [ "$rc" = 130 ] && grep -q 'aborted: stopped by SIGTERM' "$T/out" && [ "$cancelled" -ge 1 ] &&
	   [ "$(building)" = 0 ] && [ "$idx" = 0 ] && ! grep -q 'canceling statement' "$T/out"; then
		ok "--jobs $j: SIGTERM during a 40 s index build cancels it on the server (exit 130 within 10 s)"
	else
		fail "--jobs $j: exit $rc (want 130), $cancelled cancels in the server log, build running: $(building), index: $idx:"
		sed 's/^/    /' "$T/out" | head -12
	fi
done

# ---- issue 16: hostile dumps as fixtures, each with its message and state ----
# db-inspect and db-restore (check first) on each; the message names the
# file and the line or byte offset; nothing reaches the database.
psql -X -q -d postgres -c 'CREATE DATABASE fixtures' >/dev/null
FCONN="host=$PGHOST port=$PGPORT user=postgres dbname=fixtures"
tables() { psql -X -At -d fixtures -c "select count(*) from pg_tables where schemaname = 'public'"; }
psql -X -q -d ins -c 'CREATE TABLE big (a int)' -c 'INSERT INTO big SELECT generate_series(1, 20000)'
# fixture NAME FILE PATTERN: both commands refuse FILE with PATTERN (exit 1)
fixture() {
	name=$1 file=$2 pattern=$3
	"$BIN" db-inspect "$file" > "$T/out.inspect" 2>&1; rci=$?
	"$BIN" db-restore --dbname "$FCONN" "$file" > "$T/out" 2>&1; rc=$?
	if [ "$rci" = 1 ] && [ "$rc" = 1 ] && grep -q -- "$pattern" "$T/out.inspect" &&
	   grep -q -- "nothing was changed in the database: .*$pattern" "$T/out" && [ "$(tables)" = 0 ]; then
		ok "$name: refused by db-inspect and db-restore: $(grep -m1 -- "$pattern" "$T/out.inspect")"
	else
		fail "$name: db-inspect exit $rci, db-restore exit $rc, want 1 and /$pattern/, tables $(tables):"
		sed 's/^/    /' "$T/out.inspect" "$T/out" | head -12
	fi
}
printf '\001\002garbage\377\000more' > "$T/garbage.bin"
fixture "garbage bytes" "$T/garbage.bin" "garbage.bin:1 (byte 10): NUL byte at offset 10"
pg_dump -Fc -d ins > "$T/custom.dump"
fixture "custom-format dump" "$T/custom.dump" "custom.dump (byte 0): .*custom.dump is a custom-format dump"
grep -q 'pg_restore -d DBNAME' "$T/out" && ok "custom-format: the hint names pg_restore" || fail "custom-format: no pg_restore hint"
pg_dump -Ft -d ins > "$T/tar.dump"
fixture "tar-format dump" "$T/tar.dump" "tar.dump (byte 0): .*tar.dump is a tar archive"
pg_dump -d ins | gzip > "$T/cut.sql.gz"
size=$(stat -c %s "$T/cut.sql.gz")
head -c $((size / 2)) "$T/cut.sql.gz" > "$T/cut-half.sql.gz"
fixture "gzip file cut in the middle" "$T/cut-half.sql.gz" \
	"cut-half.sql.gz:[0-9]* (byte $((size / 2))): gzip stream is truncated"
# db-inspect of a cut dump still shows what it holds up to the cut: the
# versions, the tables read (rows as many complete lines as the cut file
# has, counted with awk), the one whose COPY block is cut marked, and where
# it is cut; exit 1.  Plain (cut by head -c) and gzip (cut above).
pg_dump -d ins | head -c 100000 > "$T/cut-copy.sql"
"$BIN" db-inspect "$T/cut-copy.sql" > "$T/out.inspect" 2> "$T/err.inspect"; rci=$?
want=$(awk '/^COPY public.big /{c=1; next} c' "$T/cut-copy.sql" | grep -c '')
want=$((want - 1)) # the last line is cut
if [ "$rci" = 1 ] && grep -q '^pg_dump version: [0-9]' "$T/out.inspect" &&
   grep -Eq "^  public.big +$want rows .*CUT" "$T/out.inspect" &&
   grep -Eq '^complete: +NO \(cut at line [0-9]+ / byte offset 100000 of the SQL\)' "$T/out.inspect" &&
   grep -q 'not terminated' "$T/err.inspect"; then
	ok "db-inspect of a dump cut in a COPY block: $want rows of public.big up to the cut, marked"
else
	fail "db-inspect of a dump cut in a COPY block: exit $rci, want 1, $want rows of public.big marked CUT:"
	sed 's/^/    /' "$T/out.inspect" "$T/err.inspect" | tail -12
fi
"$BIN" db-inspect "$T/cut-half.sql.gz" > "$T/out.inspect" 2>/dev/null; rci=$?
if [ "$rci" = 1 ] && grep -q '^pg_dump version: [0-9]' "$T/out.inspect" &&
   grep -Eq '^  public\.[a-z]+ .*CUT' "$T/out.inspect" &&
   grep -Eq '^complete: +NO \(cut at line [0-9]+ / byte offset' "$T/out.inspect"; then
	ok "db-inspect of a gzip dump cut in the middle shows the tables up to the cut"
else
	fail "db-inspect of a cut gzip dump: exit $rci:"; sed 's/^/    /' "$T/out.inspect" | tail -12
fi
: > "$T/empty.sql"
"$BIN" db-inspect "$T/empty.sql" > "$T/out.inspect" 2>&1; rci=$?
"$BIN" db-restore --dbname "$FCONN" "$T/empty.sql" > "$T/out" 2>&1; rc=$?
if [ "$rci" = 1 ] && [ "$rc" = 1 ] && grep -q 'empty.sql is empty' "$T/out.inspect" &&
   grep -q 'empty.sql: the dump is empty: nothing was restored' "$T/out" && [ "$(tables)" = 0 ]; then
	ok "empty file: both commands say it is empty"
else
	fail "empty file: exit $rci/$rc:"; sed 's/^/    /' "$T/out.inspect" "$T/out" | head
fi

# a 100 MiB COPY row: restored, the check and the replay stream it
{ printf '%sCREATE TABLE wide (v text);\nCOPY wide (v) FROM stdin;\n' "$HEADER"
  yes abcdefgh | tr -d '\n' | head -c 104857600; printf '\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n'; } > "$T/wide.sql"
/usr/bin/time -o "$T/time" -f %M "$BIN" db-restore --dbname "$FCONN" "$T/wide.sql" > "$T/out" 2>&1; rc=$?
kb=$(tail -n 1 "$T/time")
if [ "$rc" = 0 ] && [ "$kb" -lt 32768 ] &&
   [ "$(psql -X -At -d fixtures -c 'select length(v) from wide')" = 104857600 ]; then
	ok "100 MiB COPY row: restored whole, peak RSS $kb KiB"
else
	fail "100 MiB COPY row: exit $rc, peak RSS $kb KiB (want < 32 MiB):"; sed 's/^/    /' "$T/out" | head
fi
rm -f "$T/wide.sql"

# a 1 GiB line streamed through a FIFO (no file written): db-inspect reads
# it in bounded memory and names what it is (skipped under ASan: slow)
if ldd "$BIN" 2>/dev/null | grep -q asan; then
	echo "SKIP: 1 GiB line under ASan"
else
	rm -f "$T/fifo"; mkfifo "$T/fifo"
	{ printf '%sINSERT INTO t VALUES ($q$' "$HEADER"; yes abcdefgh | tr -d '\n' | head -c 1073741824; } > "$T/fifo" &
	/usr/bin/time -o "$T/time" -f %M "$BIN" db-inspect "$T/fifo" > "$T/out" 2>&1; rc=$?
	wait
	kb=$(tail -n 1 "$T/time")
	if [ "$rc" = 1 ] && [ "$kb" -lt 32768 ] && grep -q 'complete: *NO' "$T/out" &&
	   grep -q 'size: *1073742[0-9]* bytes of SQL' "$T/out"; then
		ok "1 GiB line through a pipe: read whole in $kb KiB, named as cut off"
	else
		fail "1 GiB line: exit $rc, peak RSS $kb KiB:"; sed 's/^/    /' "$T/out" | head
	fi
fi

[ "$fails" = 0 ] && echo "all replay-hostile tests passed"
exit $((fails > 0))
