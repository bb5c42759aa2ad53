#!/bin/bash
# config.php that biso-recover cannot or must not read (issue 16.2, issue 16
# "hostile inputs"): `biso-recover restore --dry-run` on each fixture in
# tests/data/php/hostile/ prints exactly the message in expected.txt (file,
# line, byte, what is wrong, HINT with what to do), exits 2 and creates
# nothing.  A backup of a webroot without config.php gets a whole hint
# (put it back, or give --datadir and --dbname), in English and German
# (review 10, finding 11: it began with a dangling "Or").  Under ASan (tools/test.sh, build-asan/) this also proves that
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

# Issue 16.11: a 13 MB config.php (260,000 lines of other settings) took
# 555 MB; now the file plus the tokens of one statement.  Peak RSS of the
# whole run, less that of a small file, must stay under 3 times the file
# size.  ASan keeps freed memory in quarantine: not here.
if [ -x /usr/bin/time ]; then
	big=$T/big/config.php
	mkdir -p "$T/big"
	awk 'BEGIN { print "<?php"; print "Config::set('"'"'env'"'"', '"'"'PROD'"'"');";
		for (i = 0; i < 140000; i++)
			printf "Config::set('"'"'app.key%d'"'"', ['"'"'name'"'"' => '"'"'value %d'"'"', '"'"'list'"'"' => [1, 2, 3], '"'"'on'"'"' => true]); // c\n", i, i;
		print "Config::set('"'"'datadir'"'"', '"'"'/srv/biso-data'"'"');";
		print "Config::set('"'"'gaia.db'"'"', ['"'"'dbname'"'"' => '"'"'biso'"'"']);" }' > "$big"
	peak() { # config.php -> peak RSS in KiB of a dry run with it
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 /usr/bin/time -f '%M' -o "$T/rss" \
			"$BISO_RECOVER" restore --dry-run --config "$T/biso-recover.conf" --backup-root "$T/bk" \
			--webroot "$T/new/webroot" --config-php "$1" --log-dir "$T/log" > "$T/big.out" 2>&1 || true
		grep -q 'config.php: env PROD, datadir /srv/biso-data, database biso' "$T/big.out" ||
			{ cat "$T/big.out"; fail "$1 was not read"; }
		tail -n 1 "$T/rss"
	}
	size_kb=$(( $(stat -c %s "$big") / 1024 ))
	small_kb=$(peak "$data/bom.php")
	big_kb=$(peak "$big")
	[ $((big_kb - small_kb)) -lt $((3 * size_kb)) ] ||
		fail "a ${size_kb} KiB config.php took $((big_kb - small_kb)) KiB more than a small one (limit 3 x its size)"
	echo "ok: a ${size_kb} KiB config.php takes $((big_kb - small_kb)) KiB more than a small one"
else
	echo "SKIP: /usr/bin/time not installed: memory of a large config.php not measured"
fi

# Backup of a webroot whose config.php is gone: the hint says to put it back
# first, then the way round it; no sentence begins with "Or" (English, and
# German when the locale is there).
mkdir -p "$T/gone/webroot"
backup_gone() { # LANG -> the dry run's output
	env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG="$1" BISO_RECOVER_LOCALEDIR="$T/locale" \
		"$BISO_RECOVER" backup --dry-run --config "$T/biso-recover.conf" --backup-root "$T/bk" \
		--webroot "$T/gone/webroot" --log-dir "$T/log" 2>&1 && fail "$1: backup without config.php passed"
	true
}
out=$(backup_gone C)
printf '%s\n' "$out" | grep -qx "HINT: Put config.php back into $T/gone/webroot (the backup takes the datadir and the database from it), or start biso-recover again with --datadir DIR and --dbname CONNINFO." ||
	{ printf '%s\n' "$out"; fail "the hint for a missing config.php is not whole"; }
if command -v msgfmt >/dev/null && locale -a | grep -qix 'de_CH.utf-\?8'; then
	mkdir -p "$T/locale/de/LC_MESSAGES"
	msgfmt -o "$T/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po"
	out=$(backup_gone de_CH.UTF-8)
	printf '%s\n' "$out" | grep -qx "HINWEIS: config.php wieder nach $T/gone/webroot legen (die Sicherung entnimmt ihr das Datenverzeichnis und die Datenbank) oder biso-recover erneut mit --datadir VERZ und --dbname CONNINFO starten." ||
		{ printf '%s\n' "$out"; fail "the German hint for a missing config.php is not whole"; }
fi
echo "ok: backup without config.php: a whole hint (put it back, or --datadir and --dbname), English and German"
