#!/bin/sh
# bench/kept.sh: the cost of sizing the copies restores kept (issue 9.16
# follow-up).  Run by `make bench` (bench/run.sh) with BISO_RECOVER set to
# the built binary.
#
# One kept webroot of 200,000 small files (BENCH_QUICK=1: 20,000) beside an
# empty webroot.  Measured, BENCH_RUNS times each (default 3), medians:
# `du -s` of the kept tree; `biso-recover cleanup --dry-run`, which counts
# it whole; `biso-recover restore --dry-run --only webroot`, whose preflight
# stats at most 50,000 entries of the kept trees.  Target: the preflight
# under 0.5 s, cleanup within 1.5x du.  The page cache is warm (the tree
# was just made or read): a cold cache costs more for all three.
#
# Environment: BISO_RECOVER, BENCH_DIR (default: a new directory under
# /var/tmp, removed at the end), BENCH_QUICK, BENCH_RUNS.
set -eu
: "${BISO_RECOVER:?set BISO_RECOVER to the biso-recover binary}"
RUNS=${BENCH_RUNS:-3}
if [ "${BENCH_QUICK:-0}" = 1 ]; then N=20000; else N=200000; fi
W=${BENCH_DIR:-$(mktemp -d /var/tmp/biso-bench-kept.XXXXXX)}
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$W"' EXIT
say() { echo "kept bench: $*"; }

K=$W/webroot.pre-restore-20240101_000000
if [ ! -f "$W/kept.done" ]; then
	rm -rf "$W/webroot" "$K" "$W/backup"
	mkdir -p "$W/webroot" "$W/backup/webroot" "$W/backup/data" "$W/backup/db"
	: > "$W/backup/webroot/biso-cli"
	say "making $N small files in $K"
	perl -e '
		my ($root, $n) = @ARGV;
		for my $i (0 .. $n - 1) {
			my $d = sprintf("%s/data/d%03d", $root, $i % 200);
			unless (-d $d) { system("mkdir", "-p", $d) == 0 or die; }
			open(my $f, ">", "$d/f$i") or die "$d/f$i: $!";
			print $f "x" x 100;
			close($f);
		}' "$K" "$N"
	touch "$W/kept.done"
fi
printf 'webroot = "%s/webroot";\nbackup_root = "%s/backup";\nlog_dir = "%s/log";\n' "$W" "$W" "$W" > "$W/bench.conf"
# br ARGS...: biso-recover on this instance (no database server: the kept
# databases are not listed, which the warning says)
br() { "$BISO_RECOVER" "$@" --config "$W/bench.conf" --datadir "$W/webroot/data" \
	--dbname "host=/nonexistent dbname=biso"; }

# median SECONDS...: the middle one
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# timed CMD...: seconds of one run
timed() {
	s=$(date +%s.%N)
	"$@" > /dev/null 2>&1 || true
	e=$(date +%s.%N)
	echo "$e - $s" | bc
}
du -s "$K" > /dev/null # warm
du_t= cl_t= pf_t=
i=0
while [ $i -lt "$RUNS" ]; do
	du_t="$du_t $(timed du -s "$K")"
	cl_t="$cl_t $(timed br cleanup --dry-run)"
	pf_t="$pf_t $(timed br restore --dry-run --only webroot)"
	i=$((i + 1))
done
br restore --dry-run --only webroot 2>&1 | grep "kept copy of the webroot" ||
	{ br restore --dry-run --only webroot; say "FAIL: the preflight does not list the kept copy"; exit 1; }
du=$(median $du_t) cl=$(median $cl_t) pf=$(median $pf_t)
say "$N files: du -s ${du}s, cleanup --dry-run ${cl}s ($(echo "scale=2; $cl / $du" | bc)x du), preflight (restore --dry-run --only webroot) ${pf}s"
