#!/bin/sh
# biso-recover backup-verify, tier 1 (issue 12): a backup sealed with its
# manifest and SHA256SUMS (manifest_seal(), as the backup flow ends) checks
# out, and `sha256sum -c` agrees; a flipped byte in a datadir file or in the
# dump exits 1 naming the file; a dump cut off but checksummed is caught by
# the gzip and trailer check; no manifest is "could not check" (exit 2).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
B=${BISO_RECOVER:-$top_builddir/biso-recover}
DRIVER=${BACKUP_DRIVER:-$top_builddir/tests/integration/backup-driver}
. "$top_srcdir/tests/lib/pgcluster.sh"
pgc_bindir >/dev/null || { echo "SKIP: no PostgreSQL server installed"; exit 77; }
command -v sha256sum >/dev/null || { echo "SKIP: no sha256sum"; exit 77; }
[ -x "$DRIVER" ] || { echo "FAIL: $DRIVER not built"; exit 1; }

T=$(mktemp -d /tmp/backup-verify.XXXXXX)
chmod 755 "$T"
trap 'pgc_stop "$T/pg"; rm -rf "$T"' EXIT
fails=0
fail() { printf 'FAIL: %s\n' "$*"; fails=$((fails + 1)); }
ok() { printf 'ok: %s\n' "$*"; }
pgc_start "$T/pg" || exit 1
unset PGDATABASE
conn="host=$PGHOST port=$PGPORT user=postgres"
psql -X -q -d postgres -c "CREATE DATABASE biso" >/dev/null
psql -X -q -d biso -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE TABLE person (id int PRIMARY KEY, name text);
INSERT INTO person SELECT i, 'person ' || i FROM generate_series(1, 5000) i;
SQL

R=$T/backups
mkdir -p "$R/db" "$R/data"
: > "$T/empty.conf"
"$DRIVER" dump "$conn" biso "$R/db" biso_ > "$T/out" 2> "$T/err" || { cat "$T/err"; exit 1; }
dump=$(sed -n 's/^path=//p' "$T/out")
id=$(basename "$dump" .sql.gz | sed 's/^biso_//')
mkdir -p "$R/data/$id/files/sub"
printf 'a file\n' > "$R/data/$id/files/a.txt"
printf 'another\n' > "$R/data/$id/files/sub/with space.pdf"
"$DRIVER" seal "$R" "$id" "db=db/biso_$id.sql.gz" "datadir=data/$id" 2> "$T/err" || { cat "$T/err"; exit 1; }

verify() { "$B" backup-verify --config "$T/empty.conf" --backup-root "$R" "$@" > "$T/out" 2> "$T/err"; rc=$?; }
expect() { # expect RC PATTERN WHAT
	if [ "$rc" = "$1" ] && grep -q -- "$2" "$T/out" "$T/err"; then ok "$3"; else
		fail "$3 (exit $rc, want $1 and /$2/):"; sed 's/^/    /' "$T/out" "$T/err" | head -20; fi
}
flip() { # flip FILE OFFSET: xor one byte with 0x01
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $(( b ^ 1 )))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# ---- whole: ours and sha256sum -c agree ----
(cd "$R" && sha256sum -c "manifest/$id/SHA256SUMS") > "$T/sc" 2>&1 && ok "sha256sum -c accepts the list" ||
	{ fail "sha256sum -c:"; cat "$T/sc"; }
grep -q "^table 5000 public.person$" "$R/manifest/$id/MANIFEST" && grep -q "^part datadir 2 " "$R/manifest/$id/MANIFEST" &&
	ok "manifest: rows from the dump, the datadir's file count" || { fail "manifest:"; cat "$R/manifest/$id/MANIFEST"; }
verify
expect 0 "^ok: 3 files" "a whole backup: exit 0"
expect 0 "1 whole dump" "the dump read to its trailer"
grep -q "^verified .* checksums ok$" "$R/manifest/$id/MANIFEST" && ok "result recorded in the manifest" ||
	fail "no verified line: $(cat "$R/manifest/$id/MANIFEST")"

# ---- a flipped byte in a datadir file ----
f="$R/data/$id/files/sub/with space.pdf"
flip "$f" 3
verify "$id"
expect 1 "^DAMAGED data/$id/files/sub/with space.pdf: checksum mismatch" "flipped datadir byte: exit 1, file named"
expect 1 "is DAMAGED: 1 damaged file (3 files" "one file damaged"
(cd "$R" && sha256sum -c "manifest/$id/SHA256SUMS") 2>/dev/null | grep -q "with space.pdf: FAILED" &&
	ok "sha256sum -c names the same file" || fail "sha256sum -c disagrees"
grep -q "^verified .* checksums damaged$" "$R/manifest/$id/MANIFEST" && ok "damage recorded in the manifest" ||
	fail "no damaged line"
flip "$f" 3

# ---- a flipped byte in the dump ----
size=$(stat -c %s "$dump")
flip "$dump" $((size / 2))
verify
expect 1 "^DAMAGED db/biso_$id.sql.gz: checksum mismatch" "flipped dump byte: exit 1, dump named"
expect 1 "^DAMAGED db/biso_$id.sql.gz: not a whole dump" "the gzip stream check names it too"
flip "$dump" $((size / 2))
verify
expect 0 "^ok: " "flipped back: whole again"

# ---- a dump cut off, but with matching checksums: the gzip check finds it ----
id2=20990101_000000
mkdir -p "$R/data/$id2"
head -c $((size / 2)) "$dump" > "$R/db/biso_$id2.sql.gz"
"$DRIVER" seal "$R" "$id2" "db=db/biso_$id2.sql.gz" "datadir=data/$id2" 2> "$T/err"
# the cut dump has no COPY block to count rows of: seal refuses it
if [ $? != 0 ] && grep -q "biso_$id2.sql.gz" "$T/err"; then ok "seal refuses a cut dump"; else fail "seal took a cut dump"; fi
printf 'format 1\nid %s\npart db 1 %s db/biso_%s.sql.gz\n' "$id2" "$((size / 2))" "$id2" > "$R/manifest/$id2/MANIFEST"
(cd "$R" && sha256sum "db/biso_$id2.sql.gz" > "manifest/$id2/SHA256SUMS")
verify
expect 1 "^backup $id2 in" "without BACKUP: the newest"
expect 1 "^DAMAGED db/biso_$id2.sql.gz: not a whole dump" "cut dump with good checksums: exit 1, named"

# ---- could not check ----
# an id that is not there: named with the backups there are (it was
# "cannot open .../manifest/ID/MANIFEST: No such file or directory")
verify 20980101_000000
expect 2 "no backup 20980101_000000 in $R; backups there: $id2, $id\$" "no such backup: exit 2, the ids there named"
! grep -q "No such file" "$T/out" "$T/err" || fail "no such backup: an ENOENT instead of what is there"
# a missing backup root is named as such, with a hint (newcomer 8.5: "no
# backup with a manifest in ROOT/manifest", no hint)
for arg in "" "$id"; do
	"$B" backup-verify --config "$T/empty.conf" --backup-root "$T/nosuch" $arg > "$T/out" 2> "$T/err"; rc=$?
	expect 2 "cannot read backup root $T/nosuch: No such file or directory" "missing root${arg:+ with an id}: exit 2, the root named"
	expect 2 "^HINT: give the directory that holds webroot/" "missing root${arg:+ with an id}: a hint where to point --backup-root"
done
# "Give one of those ids" only when ids were listed (newcomer 8.11): a dump
# of the manual layout has no manifest; a root without manifests lists none
mkdir -p "$T/manual/db"
cp "$dump" "$T/manual/db/biso_20250101_000000.sql.gz"
cp "$dump" "$R/db/biso_20250101_000000.sql.gz"
for root in "$T/manual" "$R"; do
	"$B" backup-verify --config "$T/empty.conf" --backup-root "$root" 20250101_000000 > "$T/out" 2> "$T/err"; rc=$?
	expect 2 "has no manifest: a backup cut short, or a dump of the manual layout" "a manual-layout dump in $root: no manifest, exit 2"
	# every hint names backup-list, which lists the manual layout too
	if [ "$root" = "$R" ]; then
		expect 2 "^HINT: Backups there with a manifest: $id2, $id; give one of those ids, or none: backup-verify checks the newest backup. biso-recover backup-list --backup-root $root lists every backup there.\$" "a manual-layout dump beside backups: the hint lists their ids and names backup-list"
	else
		! grep -q "one of those ids" "$T/err" &&
			grep -q "^HINT: No backup there has a manifest to check against: backup-verify checks the backups biso-recover backup writes (manifest/ID/MANIFEST). biso-recover backup-list --backup-root $root shows what is there.\$" "$T/err" &&
			ok "a root without manifests: no 'one of those ids' in the hint, backup-list named" ||
			{ fail "a root without manifests: hint:"; sed 's/^/    /' "$T/err"; }
	fi
done
"$B" backup-verify --config "$T/empty.conf" --backup-root "$T/manual" > "$T/out" 2> "$T/err"; rc=$?
expect 2 "^HINT: No backup there has a manifest to check against: .* biso-recover backup-list --backup-root $T/manual shows what is there.\$" "no backup with a manifest, no id: a hint naming backup-list"
"$B" backup-verify --config "$T/empty.conf" --backup-root "$R" 20980101_000000 > "$T/out" 2> "$T/err"; rc=$?
expect 2 "^HINT: Give one of those ids, or none: backup-verify checks the newest backup. biso-recover backup-list --backup-root $R lists every backup there.\$" "no such backup: the hint names backup-list"
rm "$R/db/biso_20250101_000000.sql.gz"
printf 'garbage\n' >> "$R/manifest/$id/SHA256SUMS"
verify "$id"
expect 2 "SHA256SUMS:4: not a sha256sum line" "damaged list: exit 2, line named"
verify nonsense
expect 2 "BACKUP is a backup's id" "a BACKUP that is no id: usage error"

[ $fails = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all passed"
