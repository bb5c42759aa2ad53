#!/bin/sh
# fuzz.sh [SECONDS] [TARGET...]: build the libFuzzer targets of tests/fuzz
# (clang, ASan and UBSan) in their own build directory and run each for
# SECONDS (default 60) on a working corpus seeded from tests/fuzz/seeds,
# tests/data and the shared corpus (../shared/corpus beside the checkout;
# its seeds are skipped with a message when it is absent).  TARGETs are
# sqlscan dumpread phpconf conf journal backupset proto statusfile (default: all).
# Exit 1 when a target crashed, leaked or timed out: the input that did it
# is kept in $FUZZ_BUILD/crashes/ (reproduce: $FUZZ_BUILD/tests/fuzz/fuzz_T FILE),
# and becomes a unit test with the fix.
# FUZZ_BUILD: build directory (default build-fuzz in the checkout).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-sqlscan dumpread phpconf conf journal backupset proto statusfile}
B=${FUZZ_BUILD:-$top/build-fuzz}
# The shared corpus: $SHARED_CORPUS, ../shared/corpus (CI) or, from a
# worktree in wt/NAME, ../../shared/corpus.
shared=${SHARED_CORPUS:-$top/../shared/corpus}
[ -d "$shared" ] || [ -n "${SHARED_CORPUS:-}" ] || [ ! -d "$top/../../shared/corpus" ] || shared=$top/../../shared/corpus
CC_FUZZ=${CC_FUZZ:-clang}

command -v "$CC_FUZZ" >/dev/null || { echo "fuzz: $CC_FUZZ not installed (tools/deps.sh installs clang)" >&2; exit 2; }
[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh)
mkdir -p "$B"
cd "$B"
[ -f Makefile ] || "$top/configure" -q CC="$CC_FUZZ" --enable-fuzzing
make -s -j"$(nproc 2>/dev/null || echo 2)" $(for t in $targets; do printf 'tests/fuzz/fuzz_%s ' "$t"; done)

# Seeds made here: gzip framings of small dumps for dumpread.
S=$B/seeds
rm -rf "$S"
mkdir -p "$S/dumpread"
for f in "$top"/tests/data/sql/*.sql; do
	b=$(basename "$f" .sql)
	gzip -c <"$f" >"$S/dumpread/$b.sql.gz"
	{ gzip -c <"$f"; gzip -c <"$f"; } >"$S/dumpread/$b.2members.sql.gz"
	gzip -c <"$f" | head -c 200 >"$S/dumpread/$b.cut.sql.gz"
	{ gzip -c <"$f"; printf 'trailing garbage'; } >"$S/dumpread/$b.trailing.sql.gz"
done

seeds_of() { # target -> seed directories and files
	echo "$top/tests/fuzz/seeds/$1"
	case $1 in
	sqlscan) echo "$top/tests/data/sql" ;;
	dumpread) echo "$top/tests/data/sql $S/dumpread" ;;
	phpconf) echo "$top/tests/data/php $top/tests/data/php/hostile" ;;
	conf) echo "$top/tests/data/conf" ;;
	esac
	case $1 in sqlscan | dumpread)
		if [ -d "$shared/sql" ]; then echo "$shared/sql"; fi ;;
	esac
}

# Leaks inside libconfig itself are not ours (tests/fuzz/lsan.supp).
LSAN_OPTIONS=suppressions=$top/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
export LSAN_OPTIONS

status=0
mkdir -p "$B/crashes"
for t in $targets; do
	case $t in sqlscan | dumpread)
		[ -d "$shared/sql" ] || echo "fuzz: $shared absent: $t runs without the shared corpus's seeds" ;;
	esac
	corpus=$B/corpus/$t
	mkdir -p "$corpus"
	dirs=""
	for d in $(seeds_of "$t"); do [ -d "$d" ] && dirs="$dirs $d"; done
	echo "fuzz: $t for ${secs}s (seeds:$dirs)"
	# Inputs up to 64 KiB (longer seeds are cut); a run over 20 s or 2 GiB
	# is a failure.
	if "$B/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len=65536 -timeout=20 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$B/crashes/$t-" \
		"$corpus" $dirs >"$B/fuzz-$t.log" 2>&1; then
		echo "fuzz: $t ok: $(grep -E '^stat::number_of_executed_units' "$B/fuzz-$t.log" | awk '{print $2}') runs, corpus $(ls "$corpus" | wc -l) inputs"
	else
		status=1
		echo "fuzz: $t FAILED (log $B/fuzz-$t.log):"
		grep -E 'ERROR|SUMMARY|Test unit written|runtime error' "$B/fuzz-$t.log" | head -n 20
	fi
done
exit $status
