#!/bin/bash
# biso-recover backup-list (newcomer 8, finding 8: no way to list the
# backups) on the demo's backup root: the manual layout's dumps and flat
# copy, a backup biso-recover took (unverified, then verified), a set
# without manifest (cut short) and a dump cut after the seal (DAMAGED, by
# its size against the manifest).  One line a backup, newest first; the
# parts marked '*' are those `restore --dry-run` takes; every line fits 80
# columns, in English and German, with NO_COLOR and TERM=vt100, and holds no
# escape sequence.  An empty or missing backup root is an error naming it.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
demo_test_setup backup-list "chown of the datadir to www-data, runuser postgres"

BK=$DEMO_BACKUP_ROOT
mkdir -p "$T/log"
opts=(--config "$S/biso-recover.conf" --log-dir "$T/log")
list() { env NO_COLOR=1 TERM=vt100 "$BISO_RECOVER" backup-list "${opts[@]}" "$@"; }
# the line of backup ID ("(flat copy)" too)
line_of() { grep -F -- "$1  " "$T/list.out" | head -n 1; }
# the columns every line of $T/list.out takes, in the locale of LANG $1
fits80() {
	local w
	w=$(LC_ALL=$1 wc -L < "$T/list.out")
	[ "$w" -le 80 ] || { cat "$T/list.out"; fail "$2: a line takes $w columns"; }
	! grep -q $'\e' "$T/list.out" || fail "$2: an escape sequence in the output"
}
# the parts restore --dry-run takes, as "part=path" lines
restore_sources() {
	"$BISO_RECOVER" restore --dry-run "${opts[@]}" > "$T/plan.txt" 2>&1 || { cat "$T/plan.txt"; fail "restore --dry-run failed"; }
	sed -n "s|^ *source: $BK/\([^ ]*\).*|\1|p" "$T/plan.txt"
}
# the starred parts of backup-list as the paths they stand for
starred() {
	local id parts p
	while read -r id parts; do
		for p in $parts; do
			case $p in
			'*db') echo "db/biso_$id.sql.gz" ;;
			'*datadir') if [ "$id" = flat ]; then echo "data"; else echo "data/$id"; fi ;;
			'*webroot') if [ "$id" = flat ]; then echo "webroot"; else echo "webroot/$id"; fi ;;
			esac
		done
	done < <(sed -n -e 's/^(flat copy)  /flat /' -e 's/^\([0-9_]\{15\}\|flat\) \+\(\([*a-z_]\+ \)*[*a-z_]\+\) \+.*/\1 \2/p' "$T/list.out")
}
same_as_restore() { # WHY
	local want got
	want=$(restore_sources | sed 's|/$||' | sort)
	got=$(starred | sort)
	[ "$want" = "$got" ] || { cat "$T/list.out"; grep 'source: ' "$T/plan.txt" || true; fail "$1: '*' marks $(echo $got), the restore takes $(echo $want)"; }
}

old=$(ls "$BK/db" | sed -n 's/^biso_\(.*\)\.sql\.gz$/\1/p' | sort | head -n 1)
stamp=$(basename "$DEMO_DUMP" .sql.gz | sed 's/^biso_//')

# 1. The manual layout alone: two dumps and the flat copy.
list > "$T/list.out" 2>&1 || { cat "$T/list.out"; fail "backup-list of the manual layout failed"; }
text_has "$(line_of "$stamp")" "^$stamp  \*db  *[0-9.]* [KM]iB  manual layout$" || { cat "$T/list.out"; fail "the newest manual dump's line"; }
text_has "$(line_of "$old")" "^$old  db  *[0-9.]* [KM]iB  manual layout$" || { cat "$T/list.out"; fail "the older manual dump's line"; }
text_has "$(line_of "(flat copy)")" "^(flat copy)  *\*datadir \*webroot  *-  manual layout$" || { cat "$T/list.out"; fail "the flat copy's line"; }
[ "$(grep -n -F "$stamp  " "$T/list.out" | cut -d: -f1)" -lt "$(grep -n -F "$old  " "$T/list.out" | cut -d: -f1)" ] || fail "not newest first"
grep -q "^manual layout: dumps beside the flat rsync copy" "$T/list.out" || { cat "$T/list.out"; fail "no note on the manual layout"; }
# the size is the dump's, as ls says it
size=$(stat -c %s "$DEMO_DUMP")
text_has "$(line_of "$stamp")" "$(awk -v b="$size" 'BEGIN { v = b; i = 0; while (v >= 1024) { v /= 1024; i++ }; split("KiB MiB GiB", u, " "); printf "%.1f %s", v, u[i] }')" ||
	{ cat "$T/list.out"; fail "the dump's size is not its $size bytes"; }
fits80 C.UTF-8 "the manual layout"
same_as_restore "the manual layout"
echo "ok: the manual layout: its dumps newest first, the flat copy, '*' where the restore takes a part"

# 2. A backup biso-recover takes: complete, unverified, then verified.
sleep 1 # its id is not the demo dump's second
"$BISO_RECOVER" backup "${opts[@]}" > "$T/backup.log" 2>&1 || { cat "$T/backup.log"; fail "the backup failed"; }
id=$(ls "$BK/manifest" | tail -n 1)
list > "$T/list.out" 2>&1 || { cat "$T/list.out"; fail "backup-list failed"; }
[ "$(grep -m1 -E '^([0-9]{8}_[0-9]{6}|\(flat copy\))  ' "$T/list.out" | cut -c1-15)" = "$id" ] || { cat "$T/list.out"; fail "backup $id is not listed first"; }
text_has "$(line_of "$id")" "^$id  \*db \*datadir \*webroot  *[0-9.]* MiB  unverified$" || { cat "$T/list.out"; fail "backup $id's line"; }
text_has "$(line_of "$stamp")" "^$stamp  db  " || { cat "$T/list.out"; fail "the manual dump is still marked after the backup"; }
same_as_restore "after a backup"
"$BISO_RECOVER" backup-verify "${opts[@]}" "$id" > "$T/verify.log" 2>&1 || { cat "$T/verify.log"; fail "backup-verify $id failed"; }
list > "$T/list.out" 2>&1
text_has "$(line_of "$id")" "  verified$" || { cat "$T/list.out"; fail "backup $id is not listed verified after backup-verify"; }
# its size is the manifest's bytes
bytes=$(awk '$1 == "part" { b += $4 } END { print b }' "$BK/manifest/$id/MANIFEST")
text_has "$(line_of "$id")" "$(awk -v b="$bytes" 'BEGIN { v = b; i = 0; while (v >= 1024) { v /= 1024; i++ }; split("KiB MiB GiB", u, " "); printf "%.1f %s", v, u[i] }')" ||
	{ cat "$T/list.out"; fail "backup $id's size is not the manifest's $bytes bytes"; }
echo "ok: a backup biso-recover took: first, all three parts taken by the restore, unverified, then verified"

# 3. A set without manifest, newer: cut short; the restore takes its parts.
cut=$(date -d "@$(( $(date +%s) + 3600 ))" +%Y%m%d_%H%M%S)
mkdir -p "$BK/data/$cut" "$BK/webroot/$cut"
cp -a "$BK/data/$id/." "$BK/data/$cut/"
cp -a "$BK/webroot/$id/." "$BK/webroot/$cut/"
cp "$BK/db/biso_$id.sql.gz" "$BK/db/biso_$cut.sql.gz"
list > "$T/list.out" 2>&1
text_has "$(line_of "$cut")" "^$cut  \*db \*datadir \*webroot  *[0-9.]* [KM]iB+  cut short$" || { cat "$T/list.out"; fail "the set without manifest's line"; }
grep -q "^+: the directories of a backup without a manifest are not counted" "$T/list.out" &&
	grep -q "^cut short: parts without a manifest" "$T/list.out" || { cat "$T/list.out"; fail "no notes on cut short and +"; }
same_as_restore "a newer set without manifest"
fits80 C.UTF-8 "with a cut set"
echo "ok: a set without manifest: cut short, its size without the directories (+)"
rm -rf "${BK:?}/data/$cut" "${BK:?}/webroot/$cut" "$BK/db/biso_$cut.sql.gz"

# 4. The dump of the backup cut after the seal: DAMAGED, named below, by
#    its size only (nothing read whole).
want=$(stat -c %s "$BK/db/biso_$id.sql.gz")
truncate -s 1000 "$BK/db/biso_$id.sql.gz"
list > "$T/list.out" 2>&1
text_has "$(line_of "$id")" "  DAMAGED$" || { cat "$T/list.out"; fail "the cut dump's backup is not DAMAGED"; }
# (a note is broken between words at 80 columns)
text_has "$(tr '\n' ' ' < "$T/list.out")" -F "$id: db/biso_$id.sql.gz has 1000 bytes, the manifest says $want " || { cat "$T/list.out"; fail "the note does not name the cut dump"; }
# German, at 80 columns
env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG=de_CH.UTF-8 NO_COLOR=1 TERM=vt100 "$BISO_RECOVER" backup-list "${opts[@]}" > "$T/list.out" 2>&1 ||
	{ cat "$T/list.out"; fail "backup-list in German failed"; }
text_has "$(line_of "$id")" "  BESCHÄDIGT$" && text_has "$(tr '\n' ' ' < "$T/list.out")" -F "Sicherungen in $BK, neueste zuerst" ||
	{ cat "$T/list.out"; fail "the German list"; }
fits80 de_CH.UTF-8 "German"
echo "ok: a dump cut after the seal: DAMAGED by its size, named; German fits 80 columns"

# 5. An empty and a missing backup root: an error naming the path, exit 1.
mkdir -p "$T/empty"
for root in "$T/empty" "$T/nosuch"; do
	set +e
	list --backup-root "$root" > "$T/list.out" 2>&1
	rc=$?
	set -e
	[ $rc = 1 ] && grep -qF "$root" "$T/list.out" && grep -q "^HINT: " "$T/list.out" ||
		{ cat "$T/list.out"; fail "backup-list of $root: exit $rc, want 1 naming it with a hint"; }
done
grep -q "cannot read backup root $T/nosuch: No such file or directory" "$T/list.out" || { cat "$T/list.out"; fail "the missing root's error"; }
echo "ok: an empty or missing backup root: exit 1, the path named"
