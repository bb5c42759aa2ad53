#!/bin/bash
# biso-recover backup-prune (issue 12): ten simulated days of two backups a
# day, each a datadir snapshot hard-linked to the one before (cp -al, as
# rsync --link-dest leaves them) and sealed with its manifest.  --dry-run
# prints keep (reason) / delete for each and touches nothing; the prune
# deletes exactly the backups the policy does not keep, the kept ones still
# pass sha256sum -c (their hard-linked files are intact), an incomplete
# backup (no manifest) is left alone, and the newest complete one is kept
# whatever the policy.  The policy also comes from the configuration.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
B=${BISO_RECOVER:-$top_builddir/biso-recover}
DRIVER=${BACKUP_DRIVER:-$(dirname "$B")/tests/integration/backup-driver}
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$DRIVER" ] || fail "$DRIVER not built"
command -v sha256sum >/dev/null || { echo "SKIP: no sha256sum"; exit 77; }

T=$(mktemp -d /tmp/br-prune.XXXXXX)
trap 'rm -rf "$T"' EXIT
R=$T/root
mkdir -p "$R/data" "$T/log"
export TZ=UTC
prev=
ids=()
for day in 01 02 03 04 05 06 07 08 09 10; do
	for hour in 020000 140000; do
		id=202403${day}_$hour
		if [ -n "$prev" ]; then cp -al "$R/data/$prev" "$R/data/$id"; else mkdir -p "$R/data/$id/old"; head -c 100000 /dev/urandom > "$R/data/$id/old/big.bin"; fi
		echo "$id" > "$R/data/$id/new-$id.txt"
		"$DRIVER" seal "$R" "$id" "datadir=data/$id" >/dev/null || fail "could not seal $id"
		ids+=("$id")
		prev=$id
	done
done
# an incomplete backup, newer than all: never counted, never deleted
cp -al "$R/data/$prev" "$R/data/20240311_020000"
# dumps of the manual layout (db/biso_<time>.sql.gz beside the flat webroot/
# and data/, which the restore uses): not pruned, and said so (they read
# "incomplete: left alone")
mkdir -p "$R/db" "$R/webroot"
echo "-- manual" | gzip > "$R/db/biso_20240305_030000.sql.gz"
conf=$T/biso-recover.conf
printf 'backup_root = "%s";\nlog_dir = "%s";\nretention = { keep_last = 2; keep_daily = 3; };\n' "$R" "$T/log" > "$conf"
prune() { "$B" backup-prune --config "$conf" "$@"; }

# no policy at all: a usage error, nothing touched
printf 'backup_root = "%s";\nlog_dir = "%s";\n' "$R" "$T/log" > "$T/empty.conf"
set +e
"$B" backup-prune --config "$T/empty.conf" > "$T/empty.out" 2>&1
rc=$?
set -e
[ $rc = 2 ] && grep -q "no retention policy" "$T/empty.out" || { cat "$T/empty.out"; fail "an empty policy was not refused (exit $rc)"; }

# a backup root that does not exist (a typo in the cron line, an unmounted
# backup disk) is no empty one: exit 1 as --help says, with and without
# --dry-run, the root named with a hint (newcomer 8.5: exit 0, "0 backups
# deleted")
for dry in "" --dry-run; do
	set +e
	"$B" backup-prune $dry --keep-last 1 --config "$conf" --backup-root "$T/nosuch" > "$T/nosuch.out" 2>&1
	rc=$?
	set -e
	[ $rc = 1 ] && grep -q "cannot read backup root $T/nosuch: No such file or directory" "$T/nosuch.out" &&
		grep -q '^HINT: ' "$T/nosuch.out" && ! grep -q 'backups deleted' "$T/nosuch.out" ||
		{ cat "$T/nosuch.out"; fail "backup-prune $dry on a missing root: exit $rc, want 1 and 'cannot read backup root'"; }
done
# --keep-last 0 (any rule 0 on the command line) is refused: 0 reads as
# "keep none" to one and "no limit" to another (newcomer 8.12: it was taken
# as a number, then reported as "no retention policy"); the configuration's
# 0 still turns its rule off
for opt in --keep-last --keep-daily --keep-weekly --keep-monthly; do
	set +e
	"$B" backup-prune --dry-run $opt 0 --config "$conf" > "$T/zero.out" 2>&1
	rc=$?
	set -e
	[ $rc = 2 ] && grep -q -e "$opt 0 would keep no backup by that rule: keep at least 1" "$T/zero.out" &&
		! grep -q "no retention policy" "$T/zero.out" ||
		{ cat "$T/zero.out"; fail "$opt 0: exit $rc, want 2 and 'keep at least 1'"; }
done
printf 'backup_root = "%s";\nlog_dir = "%s";\nretention = { keep_last = 0; keep_daily = 0; };\n' "$R" "$T/log" > "$T/zero.conf"
set +e
"$B" backup-prune --dry-run --config "$T/zero.conf" > "$T/zero.out" 2>&1
rc=$?
set -e
[ $rc = 2 ] && grep -q "no retention policy" "$T/zero.out" || { cat "$T/zero.out"; fail "a configuration with every rule 0: exit $rc, want 2"; }
"$B" backup-prune --dry-run --config "$T/zero.conf" --keep-weekly 1 > "$T/zero.out" 2>&1 && grep -q "policy: last 0, daily 0, weekly 1," "$T/zero.out" ||
	{ cat "$T/zero.out"; fail "the configuration's 0 rules with --keep-weekly 1"; }

# dry run: the configuration's policy (last 2, daily 3)
prune --dry-run > "$T/dry.out" 2>&1 || { cat "$T/dry.out"; fail "--dry-run failed"; }
expect_keep="20240310_140000  keep (last 1, daily 1)
20240310_020000  keep (last 2)
20240309_140000  keep (daily 2)
20240308_140000  keep (daily 3)"
got=$(grep '  keep (' "$T/dry.out" | sort -r)
[ "$got" = "$expect_keep" ] || { cat "$T/dry.out"; fail "the kept set differs from the policy"; }
[ "$(grep -c '  delete$' "$T/dry.out")" = 16 ] || { cat "$T/dry.out"; fail "not 16 deletes"; }
grep -qx "20240311_020000  incomplete (no manifest: cut short?): left alone" "$T/dry.out" || { cat "$T/dry.out"; fail "the incomplete backup is not left alone"; }
grep -qx "20240305_030000  manual layout (a dump beside the flat webroot/ and data/): not pruned by biso-recover" "$T/dry.out" ||
	{ cat "$T/dry.out"; fail "the manual layout's dump is not named as such"; }
grep -q "nothing was touched" "$T/dry.out" || fail "--dry-run does not say it touched nothing"
[ "$(ls "$R/manifest" | wc -l)" = 20 ] || fail "--dry-run deleted something"
echo "ok: --dry-run prints keep (reason) / delete per backup and touches nothing"

# the dry run says what the prune would free, as du sees it before and
# after (hard-linked files a kept snapshot shares free nothing; newcomer
# 8.29: it said only how many)
human() { awk -v b="$1" 'BEGIN { split("B KiB MiB GiB TiB", u, " "); v = b; i = 1
	while (v >= 1024 && i < 5) { v /= 1024; i++ }
	if (i == 1) printf "%d B\n", b; else printf "%.1f %s\n", v, u[i] }'; }
prune --dry-run --keep-last 1 > "$T/dry1.out" 2>&1 || { cat "$T/dry1.out"; fail "--dry-run --keep-last 1 failed"; }
would=$(sed -n 's/^dry run: 17 backups would be deleted, freeing \(.*\); nothing was touched$/\1/p' "$T/dry1.out")
[ -n "$would" ] || { cat "$T/dry1.out"; fail "the dry run does not say how much 17 deletes would free"; }
du0=$(du -sB1 "$R" | cut -f1)

# the prune; options override the configuration's keep_last
prune --keep-last 1 > "$T/prune.out" 2>&1 || { cat "$T/prune.out"; fail "the prune failed"; }
du1=$(du -sB1 "$R" | cut -f1)
[ "$would" = "$(human $((du0 - du1)))" ] || fail "the dry run said $would would be freed; du says $(human $((du0 - du1))) ($du0 - $du1 bytes)"
# the linked snapshots share most of their files: far less than their sum
[ $((du0 - du1)) -lt $((17 * 100000)) ] || fail "the freed space counts the hard-linked files: $((du0 - du1)) bytes"
echo "ok: --dry-run says what the prune frees: $would, as du before and after"
kept=$(ls "$R/manifest" | tr '\n' ' ')
[ "$kept" = "20240308_140000 20240309_140000 20240310_140000 " ] || { cat "$T/prune.out"; fail "kept $kept"; }
[ "$(ls "$R/data" | tr '\n' ' ')" = "20240308_140000 20240309_140000 20240310_140000 20240311_020000 " ] ||
	fail "the snapshots left: $(ls "$R/data")"
[ -f "$R/db/biso_20240305_030000.sql.gz" ] || fail "the prune deleted the manual layout's dump"
grep -Eq "^17 backups deleted, .* freed$" "$T/prune.out" || { cat "$T/prune.out"; fail "the summary does not say what was deleted and freed"; }
for id in $kept; do
	(cd "$R" && sha256sum --quiet -c "manifest/$id/SHA256SUMS") || fail "backup $id is damaged after the prune"
done
[ "$(cat "$R/data/20240310_140000/new-20240301_020000.txt")" = 20240301_020000 ] || fail "a linked file of a kept snapshot is gone"
echo "ok: the prune deletes what the policy does not keep; kept snapshots' linked files pass sha256sum -c"

# the newest complete backup stays, whatever the policy
"$B" backup-prune --config "$T/zero.conf" --keep-weekly 1 > "$T/p2.out" 2>&1 || { cat "$T/p2.out"; fail "second prune failed"; }
prune --keep-last 0 --keep-daily 0 --keep-weekly 0 --keep-monthly 0 > "$T/p3.out" 2>&1 && fail "an all-zero policy from the options was accepted"
[ "$(ls "$R/manifest")" = 20240310_140000 ] || fail "the newest complete backup was not kept: $(ls "$R/manifest")"
(cd "$R" && sha256sum --quiet -c manifest/20240310_140000/SHA256SUMS) || fail "the newest backup is damaged"
echo "ok: the newest complete backup is always kept"
