#!/bin/bash
# config.php that biso-recover cannot or must not read (issue 16.2, issue 16
# "hostile inputs"): `biso-recover restore --dry-run` on each fixture in
# tests/data/php/hostile/ prints exactly the message in expected.txt (file,
# line, byte, what is wrong, HINT with what to do), exits 2 and creates
# nothing.  Under ASan (tools/test.sh, build-asan/) this also proves that
# no message is built from freed memory.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}
fail() { echo "FAIL: $*"; exit 1; }

T=$(mktemp -d /tmp/br-phperr.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
mkdir -p "$T/bk/webroot" "$T/bk/data" "$T/bk/db"
: > "$T/biso-recover.conf"
data=$top_srcdir/tests/data/php/hostile

# Relative names keep the expected messages independent of the checkout.
cd "$data"
for f in *.php; do
	echo "== $f"
	rc=0
	"$BISO_RECOVER" restore --dry-run --config "$T/biso-recover.conf" --backup-root "$T/bk" \
		--webroot "$T/new/webroot" --config-php "$f" --log-dir "$T/log" 2>&1 || rc=$?
	echo "exit $rc"
done | sed "s|$T|T|g" > "$T/actual.txt"

diff -u "$data/expected.txt" "$T/actual.txt" || fail "messages differ from tests/data/php/hostile/expected.txt (- expected, + actual)"
[ ! -e "$T/new" ] || fail "--dry-run created $T/new"
echo "ok: $(grep -c '^== ' "$T/actual.txt") config.php fixtures give the expected message and exit code, nothing created"
