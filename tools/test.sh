#!/bin/sh
# test.sh: README command (2).  Installs the packages (tools/deps.sh), builds
# out of tree in build/, runs every test (make check: unit, integration
# against a throw-away PostgreSQL cluster the tests start themselves, and
# the wizard in tmux), then the unit tests, the end-to-end restore and the
# config.php error messages again
# under ASan/UBSan in build-asan/, the unit tests of the threaded code under
# ThreadSanitizer in build-tsan/, then each libFuzzer target for 60 s
# (FUZZ_SECONDS) in build-fuzz/ (tools/fuzz.sh), make distcheck (the
# tarball holds what it needs, make check passes from it), then builds the
# Debian package and tries it in a fresh Debian root (tools/deb-test.sh,
# build-deb/).  Ends with one line "N passed, N failed, N skipped".
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

"$top/tools/deps.sh"
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] || ./autogen.sh

summary() { # build dir -> "pass fail skip error"
	awk '/^# PASS:/{p=$3} /^# FAIL:/{f=$3} /^# SKIP:/{s=$3} /^# ERROR:/{e=$3}
	     END{print p+0, f+0, s+0, e+0}' "$1/test-suite.log" 2>/dev/null || echo "0 1 0 0"
}

status=0
mkdir -p build
(cd build && { [ -f Makefile ] || ../configure -q; } && make -s -j"$jobs" && make -s -j"$jobs" check) || status=1

mkdir -p build-asan
(cd build-asan && { [ -f Makefile ] || ../configure -q --enable-sanitizers; } &&
	make -s -j"$jobs" && make -s -j"$jobs" check TESTS="$(cd "$top" && ls tests/unit/test_*.c | sed 's/\.c$//' | tr '\n' ' ') tests/integration/restore-demo.sh tests/integration/restore-flow.sh tests/integration/config-php-errors.sh") || status=1

# The threads (the file engine's copier and archive extraction, the
# seal's hashing, the restore's dump check beside its steps) under
# ThreadSanitizer (any report fails the test), in build-tsan/.
mkdir -p build-tsan
(cd build-tsan && { [ -f Makefile ] || ../configure -q CFLAGS="-O1 -g -fsanitize=thread" LDFLAGS=-fsanitize=thread; } &&
	make -s -j"$jobs" libbisorecover.a && make -s -j"$jobs" check TESTS="tests/unit/test_fsrestore tests/unit/test_sha256sums tests/unit/test_restore tests/integration/files-extract-threads.sh") || status=1

# libFuzzer targets (tests/fuzz), 60 s each, in build-fuzz/ (clang).
fuzzlog=$top/build-fuzz.log
FUZZ_BUILD=$top/build-fuzz "$top/tools/fuzz.sh" "${FUZZ_SECONDS:-60}" >"$fuzzlog" 2>&1 || status=1
cat "$fuzzlog"
fp=$(grep -c '^fuzz: [a-z]* ok:' "$fuzzlog" || true)
ff=$(grep -c '^fuzz: [a-z]* FAILED' "$fuzzlog" || true)

# The tarball: make distcheck builds it, then builds and runs make check
# from it out of tree with the sources read-only (no ../shared there).
dp=0 df=0
if (cd build && make -s -j"$jobs" distcheck >"$top/build-distcheck.log" 2>&1); then
	dp=1
	echo "distcheck: ok ($(ls build/*.tar.gz 2>/dev/null | sed 's|.*/||'))"
else
	df=1 status=1
	echo "distcheck: FAILED (log build-distcheck.log):"
	grep -E '^(FAIL|ERROR|# (PASS|FAIL|SKIP|ERROR):)|rror' "$top/build-distcheck.log" | tail -n 30
fi

# The Debian package: build, lintian, install into a fresh root, run.
deblog=$top/build-deb.log
"$top/tools/deb-test.sh" >"$deblog" 2>&1 || status=1
cat "$deblog"
bp=$(grep -c '^deb-test: ok$' "$deblog" || true)
bf=$(grep -c '^deb-test: FAILED' "$deblog" || true)

set -- $(summary build)
p=$((dp + $1)) f=$((df + $2)) s=$3 e=$4
set -- $(summary build-asan)
p=$((p + $1 + fp + bp)) f=$((f + $2 + e + $4 + ff + bf)) s=$((s + $3))
set -- $(summary build-tsan)
p=$((p + $1)) f=$((f + $2 + $4)) s=$((s + $3))
[ "$status" = 0 ] || [ "$f" -gt 0 ] || f=1
echo "tests: $p passed, $f failed, $s skipped"
[ "$status" = 0 ] && [ "$f" = 0 ]
