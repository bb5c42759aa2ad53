#!/bin/sh
# Multibyte client encodings whose trail bytes look like a backslash (issue 3):
# for GBK, BIG5, SJIS, SHIFT_JIS_2004, JOHAB and GB18030 a script in that
# encoding with standard_conforming_strings off (where a backslash in '...'
# escapes the next character) holds characters whose second byte is 0x5C or
# 0x7C, in plain and E'' strings and next to a doubled quote.  psql and the
# replay must both load it, with the same result, and the statement after
# the strings must run (a lexer blind to the encoding swallows it).
# UHC has no trail byte in the ASCII range that matters, so it is not here.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
DRIVER=${REPLAY_DRIVER:-$top_builddir/tests/integration/replay-driver}
CHARS=$top_srcdir/tests/data/sql/multibyte-trail-bytes.txt
. "$top_srcdir/tests/lib/pgcluster.sh"

pgc_bindir >/dev/null || { echo "SKIP: no PostgreSQL server installed"; exit 77; }
command -v od >/dev/null || { echo "SKIP: od not installed"; exit 77; }
[ -x "$DRIVER" ] || { echo "FAIL: $DRIVER not built"; exit 1; }

T=$(mktemp -d /tmp/replay-enc.XXXXXX)
chmod 755 "$T"
trap 'pgc_stop "$T/pg"; rm -rf "$T"' EXIT
pgc_start "$T/pg" || exit 1
unset PGDATABASE
fails=0
fail() { printf 'FAIL: %s\n' "$*"; fails=$((fails + 1)); }
ok() { printf 'ok: %s\n' "$*"; }
q() { psql -X -q -At -d postgres "$@"; }

while IFS='	' read -r enc chars; do
	[ -n "$enc" ] || continue
	hex=$(printf '%s' "$chars" | od -An -tx1 | tr -d ' \n')
	# Keep the characters the server converts both ways unchanged.
	kept=$(q -c "CREATE FUNCTION pg_temp.rt(c text, e name) RETURNS bool LANGUAGE plpgsql AS
		\$\$BEGIN RETURN convert_from(convert_to(c, e), e) = c AND
			position('\\x5c'::bytea IN convert_to(c, e)) > 1;
		EXCEPTION WHEN others THEN RETURN false; END\$\$" \
		-c "SELECT coalesce(string_agg(c, ''), '') FROM regexp_split_to_table(
			convert_from(decode('$hex', 'hex'), 'UTF8'), '') c WHERE pg_temp.rt(c, '$enc')" 2>&1) ||
		{ fail "$enc: cannot convert: $kept"; continue; }
	if [ -z "$kept" ]; then
		# PostgreSQL's own tables for it hold no such character: nothing can go wrong.
		ok "$enc: PostgreSQL converts none of these characters with a 0x5C trail byte; nothing to test"
		continue
	fi
	khex=$(printf '%s' "$kept" | od -An -tx1 | tr -d ' \n')
	# The script is written by the server in the target encoding.
	sql="SET client_encoding = '$enc';
SET standard_conforming_strings = off;
CREATE TABLE t (id int, s text);
INSERT INTO t VALUES (1, '%1');
INSERT INTO t VALUES (2, E'%1\\\\n');
INSERT INTO t VALUES (3, '%1''%1');
CREATE TABLE after_strings (x int);
"
	shex=$(printf '%s' "$sql" | od -An -tx1 | tr -d ' \n')
	PGCLIENTENCODING=$enc q -c "SELECT replace(convert_from(decode('$shex', 'hex'), 'UTF8'), '%1',
		convert_from(decode('$khex', 'hex'), 'UTF8'))" > "$T/$enc.sql" ||
		{ fail "$enc: cannot write the script"; continue; }
	grep -q "after_strings" "$T/$enc.sql" || { fail "$enc: script not written"; continue; }
	for who in psql ours; do
		q -c "CREATE DATABASE \"${enc}_$who\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
	done
	psql -X -q -v ON_ERROR_STOP=1 -d "${enc}_psql" -f "$T/$enc.sql" > "$T/$enc.psql.log" 2>&1 ||
		{ fail "$enc: psql could not load it: $(head -3 "$T/$enc.psql.log")"; continue; }
	"$DRIVER" "host=$PGHOST port=$PGPORT user=postgres dbname=${enc}_ours" "$T/$enc.sql" > "$T/$enc.ours.log" 2>&1 ||
		{ fail "$enc: the replay failed: $(grep -m2 -i error "$T/$enc.ours.log")"; continue; }
	rows=$(psql -X -At -d "${enc}_ours" -c "SELECT count(*) FROM t" 2>&1)
	after=$(psql -X -At -d "${enc}_ours" -c "SELECT to_regclass('after_strings') IS NOT NULL" 2>&1)
	[ "$rows" = 3 ] && [ "$after" = t ] || { fail "$enc: replay gave $rows rows, after_strings=$after"; continue; }
	pg_dump -d "${enc}_psql" | grep -v '^\\\(un\)\{0,1\}restrict ' > "$T/$enc.a"
	pg_dump -d "${enc}_ours" | grep -v '^\\\(un\)\{0,1\}restrict ' > "$T/$enc.b"
	if cmp -s "$T/$enc.a" "$T/$enc.b"; then
		ok "$enc: $(printf '%s' "$kept" | wc -m) characters with a 0x5C trail byte load as psql loads them"
	else
		fail "$enc: pg_dump after psql and after the replay differ"
		diff "$T/$enc.a" "$T/$enc.b" | head -10
	fi
done < "$CHARS"

[ $fails = 0 ] || { echo "replay-encodings: $fails failure(s)"; exit 1; }
echo "replay-encodings: all checks passed"
