#!/bin/sh
# bench/sql.sh: the SQL replay engine against psql (issue 3).
#
# Makes four dumps with the real pg_dump of a throw-away cluster:
#   pgbench  COPY-heavy, one dominant table: pgbench scale 20, two extra
#            indexes on pgbench_accounts, a primary key on pgbench_history
#   biso     8 tables x 250k rows with text and timestamp columns, a primary
#            key and two indexes each
#   inserts  pg_dump --inserts of about 200k rows
#   bytea    a table with large bytea values (1 MiB each, one of 32 MiB)
# then restores each, gzip-compressed, into fresh databases with
#   psql     gunzip -c DUMP | psql -X -q -v ON_ERROR_STOP=1
#   jobs1    biso-recover db-restore --no-check --jobs 1
#   jobs2    biso-recover db-restore --no-check --jobs 2
# (--no-check: the same work as psql, which does not read the dump first)
# alternating the order in each run, and prints the median wall time, the
# median ratio ours/psql and the peak RSS (/usr/bin/time -f %M; for psql the
# largest of gunzip and psql).
#
# Environment: BISO_RECOVER (the built binary), BENCH_RUNS (default 3),
# BENCH_QUICK=1 (dumps about 5x smaller, 2 runs), BENCH_KEEP=DIR (keep and
# reuse the generated dumps there), BENCH_ONLY="pgbench biso ..." (a subset).
# Needs root (the cluster runs as user postgres) like the tests.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
: "${BISO_RECOVER:=$(pwd)/biso-recover}"
. "$top/tests/lib/pgcluster.sh"

for tool in psql pg_dump pgbench gzip /usr/bin/time; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 0; }
done
pgc_bindir >/dev/null || { echo "SKIP: no PostgreSQL server"; exit 0; }
[ -x "$BISO_RECOVER" ] || { echo "FAIL: $BISO_RECOVER not built"; exit 1; }

quick=${BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
	scale=4 rows=50000 inserts=40000 runs=${BENCH_RUNS:-2}
else
	scale=20 rows=250000 inserts=200000 runs=${BENCH_RUNS:-3}
fi
only=${BENCH_ONLY:-pgbench biso inserts bytea}

T=$(mktemp -d /tmp/bench-sql.XXXXXX)
chmod 755 "$T"
trap 'pgc_stop "$T/pg"; rm -rf "$T"' EXIT
D=${BENCH_KEEP:-$T/dumps}
mkdir -p "$D"
chmod 755 "$D"
# autovacuum would analyze the fresh tables of one side while the next
# restore runs: both sides are measured without it
PGC_OPTS="-c autovacuum=off" pgc_start "$T/pg" >/dev/null
unset PGDATABASE
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

gen() { # gen NAME: make $D/NAME.sql.gz unless it is there
	name=$1
	[ -s "$D/$name.sql.gz" ] && return 0
	q -d postgres -c "CREATE DATABASE src_$name" >/dev/null
	case $name in
	pgbench)
		pgbench -i -q -s "$scale" "src_$name" >/dev/null 2>&1
		pgbench -n -t 2000 "src_$name" >/dev/null 2>&1
		q -d "src_$name" -c 'CREATE INDEX ON pgbench_accounts (bid, abalance)' \
			-c 'CREATE INDEX ON pgbench_accounts (filler)' \
			-c 'ALTER TABLE pgbench_history ADD COLUMN hid bigserial PRIMARY KEY' >/dev/null
		;;
	biso)
		for i in 1 2 3 4 5 6 7 8; do
			q -d "src_$name" >/dev/null <<EOF
CREATE TABLE t$i (id bigint PRIMARY KEY, name text NOT NULL, body text,
  state text, created timestamptz NOT NULL, changed timestamp);
INSERT INTO t$i SELECT g, 'name ' || (g * 7919 % $rows), repeat(md5(g::text), 1 + g % 4),
  CASE g % 3 WHEN 0 THEN 'open' WHEN 1 THEN 'closed' ELSE 'new' END,
  timestamptz '2020-01-01' + g * interval '1 minute', timestamp '2021-01-01' + g * interval '7 seconds'
  FROM generate_series(1, $rows) g;
CREATE INDEX ON t$i (name);
CREATE INDEX ON t$i (created, state);
EOF
		done
		;;
	inserts)
		q -d "src_$name" >/dev/null <<EOF
CREATE TABLE person (id int PRIMARY KEY, name text, email text, born date, note text);
INSERT INTO person SELECT g, 'Person ' || g, 'p' || g || '@example.org', date '1950-01-01' + g % 20000,
  CASE WHEN g % 5 = 0 THEN NULL ELSE 'it''s note ' || g END FROM generate_series(1, $inserts) g;
EOF
		;;
	bytea)
		q -d "src_$name" >/dev/null <<EOF
CREATE TABLE blob (id int PRIMARY KEY, data bytea);
INSERT INTO blob SELECT g, decode(repeat(md5(g::text) || md5((g + 1)::text), 32768), 'hex')
  FROM generate_series(1, 64) g;
INSERT INTO blob VALUES (0, decode(repeat(md5('big') || md5('value'), 1048576), 'hex'));
EOF
		;;
	esac
	opts=
	[ $name = inserts ] && opts=--inserts
	pg_dump $opts "src_$name" | gzip -6 > "$D/$name.sql.gz"
	q -d postgres -c "DROP DATABASE src_$name" >/dev/null
}

# one TOOL DUMP: restore into a fresh database; prints "SECONDS RSS_KIB"
one() {
	tool=$1 name=$2
	db=bench_$$
	q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
	sync
	case $tool in
	psql) /usr/bin/time -f '%e %M' -o "$T/time" sh -c \
		'gunzip -c "$1" | psql -X -q -v ON_ERROR_STOP=1 -d "$2" >/dev/null' sh "$D/$name.sql.gz" "$db" \
		2> "$T/err" || { echo "psql failed on $name:" >&2; tail -5 "$T/err" >&2; exit 1; } ;;
	jobs*) /usr/bin/time -f '%e %M' -o "$T/time" "$BISO_RECOVER" db-restore --no-check \
		--dbname "$(pgc_conninfo $db)" --jobs "${tool#jobs}" "$D/$name.sql.gz" \
		> /dev/null 2> "$T/err" || { echo "biso-recover failed on $name:" >&2; tail -5 "$T/err" >&2; exit 1; } ;;
	esac
	tail -n 1 "$T/time"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "generating dumps (scale $scale, $rows rows/table, $inserts INSERT rows) ..."
for name in $only; do gen "$name"; done
printf '%-8s %8s | %8s %8s %8s | %7s %7s | %9s %9s %9s\n' dump MiB.gz psql_s jobs1_s jobs2_s \
	j1/psql j2/psql psql_RSS j1_RSS j2_RSS
for name in $only; do
	: > "$T/psql.t"; : > "$T/jobs1.t"; : > "$T/jobs2.t"
	: > "$T/psql.m"; : > "$T/jobs1.m"; : > "$T/jobs2.m"
	: > "$T/r1"; : > "$T/r2"
	for run in $(seq 1 "$runs"); do
		if [ $((run % 2)) = 1 ]; then order="psql jobs1 jobs2"; else order="jobs2 jobs1 psql"; fi
		for tool in $order; do
			set -- $(one $tool $name)
			echo "$1" >> "$T/$tool.t"
			echo "$2" >> "$T/$tool.m"
		done
		p=$(tail -n 1 "$T/psql.t")
		awk -v a="$(tail -n 1 "$T/jobs1.t")" -v b="$p" 'BEGIN { print a / b }' >> "$T/r1"
		awk -v a="$(tail -n 1 "$T/jobs2.t")" -v b="$p" 'BEGIN { print a / b }' >> "$T/r2"
	done
	size=$(du -m "$D/$name.sql.gz" | cut -f1)
	printf '%-8s %8s | %8s %8s %8s | %7.2f %7.2f | %6dMiB %6dMiB %6dMiB\n' "$name" "$size" \
		"$(median < "$T/psql.t")" "$(median < "$T/jobs1.t")" "$(median < "$T/jobs2.t")" \
		"$(median < "$T/r1")" "$(median < "$T/r2")" \
		$(( $(sort -n "$T/psql.m" | tail -n 1) / 1024 )) $(( $(sort -n "$T/jobs1.m" | tail -n 1) / 1024 )) \
		$(( $(sort -n "$T/jobs2.m" | tail -n 1) / 1024 ))
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (other work on the machine skews the times)"
echo "targets: j1/psql <= 1.00 on all; j2/psql <= 0.85 pgbench, <= 0.70 biso; inserts <= 0.50; RSS <= 32 MiB"
