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
# Part 3, the whole backup on the demo instance (share/demo) with pgbench
# scale 20 in its database and 100,000 small files (0.5-8 KiB) plus 20 x
# 10 MB in its datadir (BENCH_QUICK: scale 4, 10,000 files, 4 x 10 MB):
#   manual       the manual's commands: biso-cli maintenance on, pg_dump
#                OPTIONS | gzip, rsync -a of the datadir (the manual's
#                excludes), maintenance off, rsync -a of the webroot
#                (without data/), each into a fresh directory
#   ours         biso-recover backup into a fresh backup root
#   manual2/ours2  the same again with nothing changed: the manual's rsync
#                into the same directories, our second backup (a snapshot
#                linked to the first)
#   floor2       cp -al of the first data snapshot: a hard link per file and
#                nothing else, the least any snapshot with an entry per
#                unchanged file costs
# alternating which goes first.  Printed: wall times (min/median/max) of
# the whole run, of the dump and datadir parts (ours from the timestamps of
# its run log's step lines) and of the maintenance window, peak RSS of
# biso-recover's runner (its log's "resources:" line), and the ratios the
# issue sets targets for.
# each alternating the order in each run.  It checks that gunzip reads ours
# back to the dump, then prints per tool the compressed size and its ratio
# to the dump, min/median/max wall time and peak RSS (for a pipeline the
# larger of its commands'), and the ratios of ours to the others (of the
# medians, and min..max of the per-run ratios).
#
# Environment: BISO_RECOVER (the built binary; the driver is found beside
# it in tests/integration/), BACKUP_DRIVER (the driver), BENCH_RUNS
# (default 3), BENCH_QUICK=1 (scale 4, 2 runs), BENCH_THREADS (ours'
# threads, default all CPUs), BENCH_PARTS (default "compress dump whole":
# the parts to run), BENCH_KEEP (a directory: part 3 copies our run logs
# there).  Needs root (the cluster runs as user postgres, the
# demo's biso-cli as www-data) like the tests.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" # bench_tree
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

parts=${BENCH_PARTS:-compress dump whole}
want() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }

echo "pgbench scale $scale: dump $(awk -v b="$dump_bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }'), $runs runs, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
if want compress; then
rounds $tools
gunzip -c "$T/ours.gz" | cmp -s - "$T/dump.sql" || { echo "FAIL: gunzip of ours differs from the dump"; exit 1; }
gzip -t "$T/ours.gz" || { echo "FAIL: gzip -t refuses ours"; exit 1; }
echo "-- compression of the dump file"
table $tools
for base in gzip pigz; do
	case " $tools " in *" $base "*) ratio ours "$base" ;; esac
done

fi
if want dump; then
rounds pg_dump_gzip ours_dump pg_dump_null
strip() { grep -v -e '^\\restrict ' -e '^\\unrestrict '; }
gunzip -c "$T/ours_dump.gz" | strip | cmp -s - "$T/dump.sql.stripped" ||
	{ echo "FAIL: gunzip of ours_dump differs from pg_dump's output"; exit 1; }
echo "-- the dump step: pg_dump | gzip against pg_dump into pgzip"
table pg_dump_gzip ours_dump pg_dump_null
ratio ours_dump pg_dump_gzip
ratio pg_dump_null pg_dump_gzip
fi

# ---- part 3: the whole backup against the manual's commands ----
want whole || exit 0
[ "$(id -u)" = 0 ] || { echo "SKIP whole: needs root (the demo's biso-cli runs as www-data)"; exit 0; }
for tool in php rsync perl; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP whole: $tool not installed"; exit 0; }
done
pgc_stop "$T/pg"
# on the disk, not in a tmpfs: the backup's data are files
W=$(mktemp -d /var/tmp/bench-backup-whole.XXXXXX)
chmod 755 "$W"
trap '[ -f "$W/s/env.sh" ] && "$top/share/demo/stop.sh" "$W/s" >/dev/null 2>&1; rm -rf "$T" "$W"' EXIT
"$top/share/demo/make-backup-set.sh" "$W/s" >"$W/make.log" 2>&1 || { cat "$W/make.log"; echo "FAIL: the demo"; exit 1; }
. "$W/s/env.sh"
if [ "${BENCH_QUICK:-0}" = 1 ]; then nsmall=10000 nbig=4; else nsmall=100000 nbig=20; fi
pgbench -i -q -s "$scale" -U postgres biso >/dev/null 2>&1
for t in pgbench_accounts pgbench_branches pgbench_tellers pgbench_history; do
	psql -qX -d biso -c "ALTER TABLE $t OWNER TO biso"
done
bench_tree "$DEMO_DATADIR/attachments/bench" "$nsmall"
mkdir -p "$DEMO_DATADIR/attachments/big"
i=0
while [ $i -lt "$nbig" ]; do head -c 10M /dev/urandom >"$DEMO_DATADIR/attachments/big/a$i.bin"; i=$((i + 1)); done
chown -R www-data: "$DEMO_DATADIR"
echo "-- the whole backup: demo instance, database $(psql -XAtc "SELECT pg_size_pretty(pg_database_size('biso'))"), datadir $(du -sh "$DEMO_DATADIR" | cut -f1) in $(find "$DEMO_DATADIR" -type f | wc -l) files"

ms() { echo $(( $(date +%s%N) / 1000000 )); }
maint() { (cd "$DEMO_WEBROOT" && runuser -u www-data -- php biso-cli maintenance "$1" >/dev/null); }
manual() { # DIR: the manual's commands into DIR; appends "total dump datadir rss maint" (ms)
	mkdir -p "$1/db" "$1/data" "$1/webroot"
	sync
	t0=$(ms)
	maint on
	t1=$(ms)
	pg_dump -U biso --no-owner --no-privileges --clean --if-exists biso | gzip >"$1/db/biso.sql.gz"
	t2=$(ms)
	rsync -a --exclude=/tmp/ --exclude='*.log' --exclude=/maintenance.on "$DEMO_DATADIR/" "$1/data/"
	t3=$(ms)
	maint off
	t4=$(ms)
	rsync -a --exclude=/data/ "$DEMO_WEBROOT/" "$1/webroot/"
	t5=$(ms)
	echo "$((t5 - t0)) $((t2 - t1)) $((t3 - t2)) 0 $((t4 - t0))"
}
step_ms() { # LOG STEP: the step's time in ms from the run log's timestamps
	awk -v s="$2" 'function ms(t, a) { split(t, a, ":"); return (a[1] * 3600 + a[2] * 60 + a[3]) * 1000 }
		$4 == "step" && $5 == s ":" { t0 = ms($2) }
		$4 == "step" && $5 == s && $6 == "done" { printf "%d", ms($2) - t0 }' "$1"
}
ours() { # ROOT: biso-recover backup into ROOT; appends "total dump datadir rss_kib maint"
	mkdir -p "$1"
	sync
	t0=$(ms)
	"$BISO_RECOVER" backup --config "$DEMO_CONFIG" --backup-root "$1" \
		--log-dir "$W/log" >"$W/ours.log" 2>&1 || { cat "$W/ours.log"; echo "FAIL: biso-recover backup"; exit 1; }
	t1=$(ms)
	log=$(ls -t "$W"/log/biso-recover-*.log | head -n 1)
	[ -z "${BENCH_KEEP:-}" ] || cp "$log" "$BENCH_KEEP/"
	# the runner's peak RSS (the command is only its client) from the
	# log's "resources:" line; the maintenance window from the summary
	echo "$((t1 - t0)) $(step_ms "$log" database) $(step_ms "$log" datadir)" \
		"$(sed -n 's/.*resources: .*peak RSS \([0-9]*\) KiB;.*/\1/p' "$log")" \
		"$(sed -n 's/^maintenance mode was on for \([0-9.]*\) s$/\1/p' "$W/ours.log" | awk '{ printf "%d", $1 * 1000 }')"
}
# Every run writes into new directories and nothing is removed before the
# end: ext4 does not reuse an inode freed less than a minute ago and looks
# at every such inode of the group on each create (see bench/files.sh), so a
# run right after removing the last run's 200,000 files was up to ten times
# slower for whichever side came first.
i=0
while [ $i -lt "$runs" ]; do
	m=$W/m$i r=$W/r$i
	sync
	if [ $((i % 2)) = 0 ]; then
		manual "$m" >>"$W/manual.times"
		ours "$r" >>"$W/ours.times"
		manual "$m" >>"$W/manual2.times"
		sleep 1 # a new backup id
		ours "$r" >>"$W/ours2.times"
	else
		ours "$r" >>"$W/ours.times"
		manual "$m" >>"$W/manual.times"
		sleep 1
		ours "$r" >>"$W/ours2.times"
		manual "$m" >>"$W/manual2.times"
	fi
	# the floor of any snapshot with an entry per unchanged file, which
	# `rsync -a` can copy back by hand: a hard link per file (cp -al of the
	# first snapshot), no comparison at all
	sync
	t0=$(ms)
	cp -al "$r/data/$(ls "$r/data" | head -n 1)" "$W/floor$i"
	echo "$(($(ms) - t0))" >>"$W/floor2.times"
	echo "run $((i + 1)): load $(cut -d' ' -f1-3 /proc/loadavg)"
	i=$((i + 1))
done
(cd "$r" && sha256sum --quiet -c manifest/*/SHA256SUMS) >/dev/null || { echo "FAIL: sha256sum -c rejects our backups"; exit 1; }
medcol() { # FILE COLUMN: the median of that column
	awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
range() { # FILE COLUMN: "min/median/max" of that column in s
	awk -v c="$2" '{ print $c }' "$1" | sort -n |
		awk '{ v[NR] = $1 / 1000 } END { printf "%.2f/%.2f/%.2f", v[1], v[int((NR + 1) / 2)], v[NR] }'
}
echo "(min/median/max of $runs runs, seconds)"
printf '%-8s %17s %17s %17s %17s %7s\n' run total_s dump_s datadir_s maint_s RSS
for t in manual ours manual2 ours2; do
	rss=""
	case $t in ours*) rss="$(( $(medcol "$W/$t.times" 4) / 1024 ))MiB" ;; esac
	printf '%-8s %17s %17s %17s %17s %7s\n' "$t" "$(range "$W/$t.times" 1)" "$(range "$W/$t.times" 2)" \
		"$(range "$W/$t.times" 3)" "$(range "$W/$t.times" 5)" "$rss"
done
r() { awk -v a="$(medcol "$W/$1.times" "$2")" -v b="$(medcol "$W/$3.times" "$4")" 'BEGIN { printf "%.2f", a / b }'; }
echo "whole backup: ours/manual $(r ours 1 manual 1) (target 0.70)"
echo "dump part: ours/pg_dump|gzip $(r ours 2 manual 2) (target 0.60)"
echo "maintenance window: ours/manual $(r ours 5 manual 5)"
echo "second backup, datadir: ours2/rsync -a $(r ours2 3 manual2 3) (target 0.30); whole: ours2/manual2 $(r ours2 1 manual2 1)"
echo "  floor: cp -al of the first snapshot $(range "$W/floor2.times" 1) s, cp -al/rsync -a $(r floor2 1 manual2 3); ours2/cp -al $(r ours2 3 floor2 1)"
echo "peak RSS: $(( $(sort -n -k4 "$W/ours.times" "$W/ours2.times" | tail -n 1 | awk '{ print $4 }') / 1024 )) MiB (target 64)"
