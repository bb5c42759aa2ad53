#!/bin/bash
# The dump's compression level: backup.compress_level in the configuration
# and --compress-level N on `backup` (which wins), 1 to 9, default 3.  A
# level outside 1..9 is refused before anything is touched: the option by
# name, the key with its file and line.  A level-9 backup's dump is no
# larger than the default's, gunzip -t accepts both, and both hold the same
# SQL (but for pg_dump's random \restrict key).
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
demo_test_setup backup-level "chown of the datadir to www-data, runuser postgres"
mkdir -p "$T/log"
backup() { # ROOT CONF [OPTION...]
	local root=$1 conf=$2
	shift 2
	mkdir -p "$root"
	"$BISO_RECOVER" backup --config "$conf" --backup-root "$root" --log-dir "$T/log" "$@"
}
dump_of() { ls "$1"/db/*.sql.gz; }
with_level() { # LEVEL-LINE: the demo's configuration plus a backup group
	cp "$S/biso-recover.conf" "$T/level.conf"
	printf 'backup = {\n  %s\n};\n' "$1" >>"$T/level.conf"
	echo "$T/level.conf"
}

# 1. bad levels: refused, nothing written
for bad in 0 10 x; do
	rc=0
	backup "$T/bad" "$S/biso-recover.conf" --compress-level "$bad" >"$T/out" 2>&1 || rc=$?
	[ "$rc" = 2 ] || { cat "$T/out"; fail "--compress-level $bad: exit $rc, not 2"; }
	grep -q -- "--compress-level takes a level from 1 (fastest) to 9 (smallest), not '$bad'" "$T/out" ||
		{ cat "$T/out"; fail "--compress-level $bad: the error does not say what it takes"; }
done
conf=$(with_level "compress_level = 12;")
line=$(grep -n "compress_level = 12" "$conf" | cut -d: -f1)
rc=0
backup "$T/bad" "$conf" >"$T/out" 2>&1 || rc=$?
[ "$rc" = 2 ] || { cat "$T/out"; fail "compress_level = 12: exit $rc, not 2"; }
grep -q "$conf:$line" "$T/out" && grep -q "backup.compress_level" "$T/out" &&
	grep -q "must be a compression level from 1 (fastest) to 9 (smallest), found 12" "$T/out" ||
	{ cat "$T/out"; fail "compress_level = 12: the error does not name the file, line and key"; }
[ -z "$(ls -A "$T/bad" 2>/dev/null)" ] || fail "a refused level wrote into the backup root"
echo "ok: levels 0, 10, x and compress_level = 12 refused (exit 2), naming the option or file:line"

# 2. the default (3), level 9 from the configuration, and --compress-level
# over the configuration
backup "$T/l3" "$S/biso-recover.conf" >"$T/out" 2>&1 || { cat "$T/out"; fail "the default backup failed"; }
backup "$T/l9" "$(with_level "compress_level = 9;")" >"$T/out" 2>&1 || { cat "$T/out"; fail "the level-9 backup failed"; }
backup "$T/l1" "$(with_level "compress_level = 9;")" --compress-level 1 >"$T/out" 2>&1 ||
	{ cat "$T/out"; fail "the --compress-level 1 backup failed"; }
for l in 3 9 1; do
	gunzip -t "$(dump_of "$T/l$l")" || fail "gunzip -t refuses the level-$l dump"
	(cd "$T/l$l" && sha256sum --quiet -c manifest/*/SHA256SUMS) || fail "sha256sum -c refuses the level-$l backup"
	gunzip -c "$(dump_of "$T/l$l")" | grep -v -e '^\\restrict ' -e '^\\unrestrict ' >"$T/sql$l"
done
cmp -s "$T/sql3" "$T/sql9" && cmp -s "$T/sql3" "$T/sql1" || fail "the dumps of levels 3, 9 and 1 hold different SQL"
s1=$(stat -c %s "$(dump_of "$T/l1")") s3=$(stat -c %s "$(dump_of "$T/l3")") s9=$(stat -c %s "$(dump_of "$T/l9")")
[ "$s9" -le "$s3" ] || fail "the level-9 dump ($s9 bytes) is larger than the default's ($s3)"
# the option won over the configuration's 9: zlib's level 1 (deflate_fast
# without lazy matching) makes a larger stream than 9 on this SQL
[ "$s1" -gt "$s9" ] || fail "--compress-level 1 did not override compress_level = 9 ($s1 <= $s9 bytes)"
echo "ok: level 9 ($s9 bytes) <= default 3 ($s3) < --compress-level 1 over the configuration's 9 ($s1); gunzip -t and sha256sum -c accept all"
