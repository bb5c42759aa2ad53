#!/bin/sh
# bench/seal.sh: the backup's seal step (SHA256SUMS over the backup's files,
# src/instance/manifest.c manifest_seal() -> src/core/sha256sums.c).
#
# Makes a backup root with the datadir of bench/backup.sh's whole backup:
# data/first holds 100,000 small files (0.5-8 KiB) in 50 x 40 directories
# plus 20 x 10 MB, and data/second a snapshot hard-linked to it (cp -al, as
# the second backup's --link-dest copy leaves an unchanged datadir).  Then
# for each driver, alternating the order in each run:
#   first    backup-driver seal ROOT first datadir=data/first
#            (a first backup: every file read and hashed)
#   second   backup-driver seal ROOT second datadir=data/second@data/first
#            (a second backup: the digests taken over from first's list
#            after a stat of the earlier file)
# and prints min/median/max wall time of each and the median CPU time (user
# + system, /usr/bin/time), with the load beside every run.  The lists of
# all drivers must be the same byte for byte.
#
# Environment: BACKUP_DRIVER (the driver, default
# ./tests/integration/backup-driver), BENCH_SEAL_DRIVERS (several drivers
# to compare, e.g. an older build's and this one's: "before=PATH
# after=PATH"; default "ours=$BACKUP_DRIVER"), BENCH_RUNS (default 3),
# BENCH_SEAL_DIR (a directory to keep the tree in between calls; made when
# missing and not removed: removing 100,000 files right before a
# measurement slows the disk down), BENCH_QUICK=1 (10,000 files, 2 x 10 MB).
set -eu
. "$(cd "$(dirname "$0")" && pwd)/lib.sh" # bench_tree
: "${BACKUP_DRIVER:=$(pwd)/tests/integration/backup-driver}"
: "${BENCH_SEAL_DRIVERS:=ours=$BACKUP_DRIVER}"
runs=${BENCH_RUNS:-3}
if [ "${BENCH_QUICK:-0}" = 1 ]; then nsmall=10000 nbig=2; else nsmall=100000 nbig=20; fi
for tool in perl /usr/bin/time; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 0; }
done
for d in $BENCH_SEAL_DRIVERS; do
	[ -x "${d#*=}" ] || { echo "FAIL: ${d#*=} not built (make check builds it)"; exit 1; }
done

if [ -n "${BENCH_SEAL_DIR:-}" ]; then
	R=$BENCH_SEAL_DIR
	mkdir -p "$R"
else
	R=$(mktemp -d /var/tmp/bench-seal.XXXXXX)
	trap 'rm -rf "$R"' EXIT
fi
T=$(mktemp -d /tmp/bench-seal-times.XXXXXX)
trap 'rm -rf "$T"; [ -n "${BENCH_SEAL_DIR:-}" ] || rm -rf "$R"' EXIT
if [ ! -d "$R/data/second" ]; then
	rm -rf "$R/data" "$R/manifest"
	mkdir -p "$R/data/first"
	bench_tree "$R/data/first/bench" "$nsmall"
	mkdir -p "$R/data/first/big"
	i=0
	while [ $i -lt "$nbig" ]; do head -c 10M /dev/urandom >"$R/data/first/big/a$i.bin"; i=$((i + 1)); done
	cp -al "$R/data/first" "$R/data/second"
	sync
fi
echo "seal: $(find "$R/data/first" -type f | wc -l) files, $(du -sh "$R/data/first" | cut -f1), $runs runs, $(nproc) CPUs"

one() { # one NAME=DRIVER KIND: seal once, append "ms load cpu_s" to $T/NAME-KIND.times
	name=${1%%=*} drv=${1#*=}
	load=$(cut -d' ' -f1 /proc/loadavg)
	t0=$(date +%s%N)
	case $2 in
	first) /usr/bin/time -f '%U %S' -o "$T/cpu" "$drv" seal "$R" first datadir=data/first ;;
	second) /usr/bin/time -f '%U %S' -o "$T/cpu" "$drv" seal "$R" second datadir=data/second@data/first 2>/dev/null ;;
	esac
	t1=$(date +%s%N)
	cpu=$(awk '{ print $1 + $2 }' "$T/cpu")
	echo "$(( (t1 - t0) / 1000000 )) $load $cpu" >>"$T/$name-$2.times"
	cp "$R/manifest/$2/SHA256SUMS" "$T/$name-$2.sums"
	echo "  $name $2: $(( (t1 - t0) / 1000000 )) ms, CPU $cpu s (load $load)"
}

i=0
while [ $i -lt "$runs" ]; do
	set -- $BENCH_SEAL_DRIVERS
	k=0
	while [ $k -lt $((i % $#)) ]; do first=$1; shift; set -- "$@" "$first"; k=$((k + 1)); done
	for d in "$@"; do one "$d" first; done
	for d in "$@"; do one "$d" second; done
	i=$((i + 1))
done

ref=
for d in $BENCH_SEAL_DRIVERS; do
	name=${d%%=*}
	for kind in first second; do
		if [ -z "$ref" ]; then ref=$name; fi
		cmp -s "$T/$ref-$kind.sums" "$T/$name-$kind.sums" ||
			{ echo "FAIL: $name's $kind SHA256SUMS differs from $ref's"; exit 1; }
	done
done
[ "$(wc -l <"$T/$ref-second.sums")" = "$(wc -l <"$T/$ref-first.sums")" ] ||
	{ echo "FAIL: the lists differ in length"; exit 1; }
printf '%-10s %-7s | %8s %8s %8s | %7s | %s\n' driver backup min_s med_s max_s cpu_s "load per run"
for d in $BENCH_SEAL_DRIVERS; do
	name=${d%%=*}
	for kind in first second; do
		loads=$(awk '{ printf "%s%s", sep, $2; sep = " " }' "$T/$name-$kind.times")
		cpu=$(sort -n -k3 "$T/$name-$kind.times" | awk '{ c[NR] = $3 } END { print c[int((NR + 1) / 2)] }')
		sort -n "$T/$name-$kind.times" | awk -v n="$name" -v k="$kind" -v l="$loads" -v c="$cpu" '
			{ s[NR] = $1 / 1000 }
			END { printf "%-10s %-7s | %8.2f %8.2f %8.2f | %7.2f | %s\n", n, k, s[1], s[int((NR + 1) / 2)], s[NR], c, l }'
	done
done
