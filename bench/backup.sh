#!/bin/sh
# bench/backup.sh: the backup's database part (issue 12) against the manual's
# commands.
#
# Part 1, compression alone: makes a plain-format dump of pgbench scale 20
# with the real pg_dump (--no-owner --no-privileges --clean --if-exists, as
# the manual says) and compresses it with
#   gzip     gzip -c DUMP > OUT                    (the manual's compressor)
#   pigz     pigz -c DUMP > OUT                    (when installed)
#   ours     backup-driver gzip OUT < DUMP         (src/core/pgzip.c)
# Part 2, the whole dump step:
#   pg_dump|gzip   pg_dump OPTIONS -d DB | gzip > OUT  (the manual's command)
#   ours_dump      backup-driver dump (src/sql/pgdump.c: pg_dump into pgzip,
#                  .partial, trailer check, fsync, rename)
#   pg_dump_null   pg_dump OPTIONS -d DB > /dev/null  (the floor: no
#                  compression at all)
# each alternating the order in each run.  It checks that gunzip reads ours
# back to the dump, then prints per tool the compressed size and its ratio
# to the dump, min/median/max wall time and peak RSS (for a pipeline the
# larger of its commands'), and the ratios of ours to the others (of the
# medians, and min..max of the per-run ratios).
#
# Environment: BISO_RECOVER (the built binary; the driver is found beside
# it in tests/integration/), BACKUP_DRIVER (the driver), BENCH_RUNS
# (default 3), BENCH_QUICK=1 (scale 4, 2 runs), BENCH_THREADS (ours'
# threads, default all CPUs).  Needs root (the cluster runs as user
# postgres) like the tests.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
: "${BISO_RECOVER:=$(pwd)/biso-recover}"
: "${BACKUP_DRIVER:=$(dirname "$BISO_RECOVER")/tests/integration/backup-driver}"
. "$top/tests/lib/pgcluster.sh"

for tool in pg_dump pgbench gzip /usr/bin/time; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 0; }
done
pgc_bindir >/dev/null || { echo "SKIP: no PostgreSQL server"; exit 0; }
[ -x "$BACKUP_DRIVER" ] || { echo "FAIL: $BACKUP_DRIVER not built (make check builds it)"; exit 1; }

if [ "${BENCH_QUICK:-0}" = 1 ]; then scale=4 runs=${BENCH_RUNS:-2}; else scale=20 runs=${BENCH_RUNS:-3}; fi
threads=${BENCH_THREADS:-0}
tools="gzip ours"
command -v pigz >/dev/null 2>&1 && tools="gzip pigz ours"

T=$(mktemp -d /tmp/bench-backup.XXXXXX)
chmod 755 "$T"
trap 'pgc_stop "$T/pg"; rm -rf "$T"' EXIT
pgc_start "$T/pg" >/dev/null
createdb bench
pgbench -i -q -s "$scale" bench >/dev/null 2>&1
pg_dump --no-owner --no-privileges --clean --if-exists -f "$T/dump.sql" bench
dump_bytes=$(stat -c %s "$T/dump.sql")
grep -v -e '^\\restrict ' -e '^\\unrestrict ' "$T/dump.sql" >"$T/dump.sql.stripped"

now() { date +%s%N; }
one() { # one TOOL RUN: compress the dump once, append "secs rss" to $T/TOOL.times
	out=$T/$1.gz
	rm -f "$out"
	t0=$(now)
	case $1 in
	gzip) /usr/bin/time -f %M -o "$T/rss" gzip -c <"$T/dump.sql" >"$out" ;;
	pigz) /usr/bin/time -f %M -o "$T/rss" pigz -c <"$T/dump.sql" >"$out" ;;
	ours) /usr/bin/time -f %M -o "$T/rss" "$BACKUP_DRIVER" gzip "$out" "$threads" <"$T/dump.sql" ;;
	pg_dump_null) # the floor: pg_dump alone, its output thrown away
		/usr/bin/time -f %M -o "$T/rss" pg_dump --no-owner --no-privileges --clean --if-exists -d bench >/dev/null
		: >"$out" ;;
	pg_dump_gzip)
		/usr/bin/time -f %M -o "$T/rss1" pg_dump --no-owner --no-privileges --clean --if-exists -d bench |
			/usr/bin/time -f %M -o "$T/rss2" gzip -c >"$out"
		cat "$T/rss1" "$T/rss2" | sort -n >"$T/rss" ;;
	ours_dump)
		rm -rf "$T/db"; mkdir "$T/db"
		/usr/bin/time -f %M -o "$T/rss" "$BACKUP_DRIVER" dump "host=$PGHOST port=$PGPORT" bench "$T/db" bench_ >/dev/null 2>&1
		mv "$T"/db/bench_*.sql.gz "$out" ;;
	esac
	t1=$(now)
	echo "$(( (t1 - t0) / 1000000 )) $(tail -n 1 "$T/rss")" >>"$T/$1.times"
}

rounds() { # rounds TOOL...: $runs rounds, the order rotated each round
	list=$*
	i=0
	while [ $i -lt "$runs" ]; do
		set -- $list
		k=0
		while [ $k -lt $i ]; do first=$1; shift; set -- "$@" "$first"; k=$((k + 1)); done
		for t in "$@"; do one "$t" "$i"; done
		i=$((i + 1))
	done
}
table() { # table TOOL...
	printf '%-12s %10s %7s | %8s %8s %8s | %8s\n' tool "gz_bytes" "gz/sql" min_s med_s max_s RSS
	for t in "$@"; do
		sort -n "$T/$t.times" | awk -v t="$t" -v gz="$(stat -c %s "$T/$t.gz")" -v sql="$dump_bytes" '
			{ s[NR] = $1 / 1000; if ($2 > rss) rss = $2 }
			END { printf "%-12s %10d %7.4f | %8.2f %8.2f %8.2f | %5dMiB\n", t, gz, gz / sql,
				s[1], s[int((NR + 1) / 2)], s[NR], rss / 1024 }'
	done
}
med() { sort -n "$T/$1.times" | awk '{ s[NR] = $1 } END { print s[int((NR + 1) / 2)] }'; }
ratio() { # ratio OURS BASE
	paste -d' ' "$T/$1.times" "$T/$2.times" | awk -v o="$1" -v b="$2" -v mo="$(med "$1")" -v mb="$(med "$2")" '
		{ r = $1 / $3; if (NR == 1 || r < lo) lo = r; if (NR == 1 || r > hi) hi = r }
		END { printf "%s/%s: %.2f (medians), per run %.2f..%.2f\n", o, b, mo / mb, lo, hi }'
}

echo "pgbench scale $scale: dump $(awk -v b="$dump_bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }'), $runs runs, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
rounds $tools
gunzip -c "$T/ours.gz" | cmp -s - "$T/dump.sql" || { echo "FAIL: gunzip of ours differs from the dump"; exit 1; }
gzip -t "$T/ours.gz" || { echo "FAIL: gzip -t refuses ours"; exit 1; }
echo "-- compression of the dump file"
table $tools
for base in gzip pigz; do
	case " $tools " in *" $base "*) ratio ours "$base" ;; esac
done

rounds pg_dump_gzip ours_dump pg_dump_null
strip() { grep -v -e '^\\restrict ' -e '^\\unrestrict '; }
gunzip -c "$T/ours_dump.gz" | strip | cmp -s - "$T/dump.sql.stripped" ||
	{ echo "FAIL: gunzip of ours_dump differs from pg_dump's output"; exit 1; }
echo "-- the dump step: pg_dump | gzip against pg_dump into pgzip"
table pg_dump_gzip ours_dump pg_dump_null
ratio ours_dump pg_dump_gzip
ratio pg_dump_null pg_dump_gzip
