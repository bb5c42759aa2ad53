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
#   jobs1    biso-recover db-restore --jobs 1
#   jobs2    biso-recover db-restore --jobs 2 (not for inserts)
# db-restore runs as users run it: with its dump check (BENCH_NOCHECK=1 adds
# --no-check, the same work as psql, which does not check).  Each run
# restores with every side, the order alternating from run to run, after a
# sync; ratio = ours / psql of the same run.  Prints, per row, min / median
# / max of the times and of the ratios, the target and the peak RSS
# (/usr/bin/time -f %M; for psql the largest of gunzip and psql), and the
# 1-minute load average after each restore of the row (min-max).  Then, per
# row, the CPU seconds of each side (median; the client's user+sys and the
# server's, the backends' and parallel workers' as the postmaster reaps
# them) and, for --jobs 2, the 2-core bound: our CPU / 2 / psql's time, the
# ratio no scheduling of that work on the 2 cores can beat (one job is
# bound by its one backend instead).
#
# Environment: BISO_RECOVER (the built binary), BENCH_RUNS (default 3,
# at least 3 for a median), BENCH_QUICK=1 (dumps about 5x smaller),
# BENCH_KEEP=DIR (keep and reuse the generated dumps there),
# BENCH_ONLY="pgbench biso inserts" (default; bytea also exists).
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
	scale=4 rows=50000 inserts=40000
else
	scale=20 rows=250000 inserts=200000
fi
runs=${BENCH_RUNS:-3}
only=${BENCH_ONLY:-pgbench biso inserts}
check=
[ "${BENCH_NOCHECK:-0}" = 1 ] && check=--no-check

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

# CPU seconds the postmaster's reaped children (backends, workers) used
srv_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($16 + $17) / hz }' "/proc/$(head -n 1 "$T/pg/pgdata/postmaster.pid")/stat"
}

# one TOOL DUMP: restore into a fresh database; prints "SECONDS RSS_KIB CPU_S"
# (CPU: the client's user+sys and the server's)
one() {
	tool=$1 name=$2
	db=bench_$$
	q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
	sync
	sleep 0.3 # the last backends reaped
	c0=$(srv_cpu)
	case $tool in
	psql) /usr/bin/time -f '%e %M %U %S' -o "$T/time" sh -c \
		'gunzip -c "$1" | psql -X -q -v ON_ERROR_STOP=1 -d "$2" >/dev/null' sh "$D/$name.sql.gz" "$db" \
		2> "$T/err" || { echo "psql failed on $name:" >&2; tail -5 "$T/err" >&2; exit 1; } ;;
	jobs*) /usr/bin/time -f '%e %M %U %S' -o "$T/time" "$BISO_RECOVER" db-restore $check \
		--dbname "$(pgc_conninfo $db)" --jobs "${tool#jobs}" "$D/$name.sql.gz" \
		> /dev/null 2> "$T/err" || { echo "biso-recover failed on $name:" >&2; tail -5 "$T/err" >&2; exit 1; } ;;
	esac
	sleep 0.3
	c1=$(srv_cpu)
	# psql's side is a pipeline: time(1) sees sh, whose children are
	# gunzip and psql, all counted in %U %S
	tail -n 1 "$T/time" | awk -v s="$c1" -v s0="$c0" '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 + s - s0 }'
}

# stats FILE: "min median max" of the numbers in FILE
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.2f %.2f %.2f", v[1], m, v[NR] }'
}
target() { # target DUMP TOOL: the ratio to meet (issue 17)
	case $1.$2 in
	pgbench.jobs1|biso.jobs1|bytea.jobs1|bytea.jobs2) echo 1.00 ;;
	pgbench.jobs2) echo 0.85 ;;
	biso.jobs2) echo 0.70 ;;
	inserts.jobs1) echo 0.50 ;;
	*) echo - ;;
	esac
}

echo "generating dumps (scale $scale, $rows rows/table, $inserts INSERT rows) ..."
for name in $only; do gen "$name"; done
echo "db-restore ${check:-with its dump check}, $runs runs per side, order alternating; times in s: min / median / max"
printf '%-14s %6s | %-17s | %-17s | %-17s %6s %4s | %8s %8s | %s\n' row MiB.gz "psql s" "ours s" \
	"ours/psql" target met psql_RSS our_RSS "load (1 min, min-max)"
missed=0
for name in $only; do
	tools="jobs1 jobs2"
	[ "$name" = inserts ] && tools=jobs1
	for tool in psql $tools; do : > "$T/$tool.t"; : > "$T/$tool.m"; : > "$T/$tool.r"; : > "$T/$tool.c"; done
	: > "$T/load"
	for run in $(seq 1 "$runs"); do
		if [ $((run % 2)) = 1 ]; then order="psql $tools"; else order="$(echo $tools | tr ' ' '\n' | tac | tr '\n' ' ') psql"; fi
		for tool in $order; do
			set -- $(one $tool $name)
			echo "$1" >> "$T/$tool.t"
			echo "$2" >> "$T/$tool.m"
			echo "$3" >> "$T/$tool.c"
			cut -d' ' -f1 /proc/loadavg >> "$T/load"
		done
		p=$(tail -n 1 "$T/psql.t")
		for tool in $tools; do
			awk -v a="$(tail -n 1 "$T/$tool.t")" -v b="$p" 'BEGIN { print a / b }' >> "$T/$tool.r"
		done
	done
	size=$(du -m "$D/$name.sql.gz" | cut -f1)
	for tool in $tools; do
		set -- $(stats "$T/$tool.r")
		want=$(target $name $tool)
		met=$(awk -v m="$2" -v t="$want" 'BEGIN { print (t == "-" || m <= t) ? "yes" : "NO" }')
		[ "$met" = yes ] || missed=$((missed + 1))
		printf '%-14s %6s | %-17s | %-17s | %-17s %6s %4s | %5dMiB %5dMiB | %s\n' "$name $tool" "$size" \
			"$(stats "$T/psql.t" | tr ' ' /)" "$(stats "$T/$tool.t" | tr ' ' /)" "$1/$2/$3" "$want" "$met" \
			$(( $(sort -n "$T/psql.m" | tail -n 1) / 1024 )) $(( $(sort -n "$T/$tool.m" | tail -n 1) / 1024 )) \
			"$(sort -n "$T/load" | sed -n '1p;$p' | tr '\n' ' ' | sed 's/ $//; s/ /-/')"
		[ $(( $(sort -n "$T/$tool.m" | tail -n 1) / 1024 )) -le 32 ] ||
			{ echo "  peak RSS over 32 MiB"; missed=$((missed + 1)); }
		pc=$(stats "$T/psql.c" | cut -d' ' -f2) oc=$(stats "$T/$tool.c" | cut -d' ' -f2)
		pt=$(stats "$T/psql.t" | cut -d' ' -f2)
		printf '%-14s | %8s %8s | %11s %6s\n' "$name $tool" "$pc" "$oc" \
			"$([ $tool = jobs1 ] && echo - || awk -v c="$oc" -v p="$pt" 'BEGIN { printf "%.2f", c / 2 / p }')" \
			"$want" >> "$T/cpu.out"
	done
done
echo "CPU seconds (median; client user+sys and server) and, for 2 jobs, the 2-core bound: our CPU / 2 / psql's median time"
printf '%-14s | %8s %8s | %11s %6s\n' row psql_CPU our_CPU "2-core bound" target
cat "$T/cpu.out"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (other work on the machine skews the times)"
echo "targets (median ratio): pgbench jobs1 <= 1.00, jobs2 <= 0.85; biso jobs1 <= 1.00, jobs2 <= 0.70; inserts <= 0.50; RSS <= 32 MiB"
echo "targets missed: $missed"
