#!/bin/sh
# Integration test of the file restore engine (issue 4): a source tree with
# every kind of entry is restored from the directory and from archives made
# by bsdtar, and `rsync -ani --checksum --delete` against an `rsync -a` copy
# of the same source must find no difference.  Excludes are compared with
# what `rsync -a --exclude=...` copies.  Hostile archives from
# /work/shared/corpus/archives are refused or contained.
set -u
top_builddir=${top_builddir:-$(pwd)}
DRIVER=${FILES_DRIVER:-$top_builddir/tests/integration/files-driver}
# The shared corpus: ../shared beside the checkout (CI; absent beside a
# tarball, then skipped), or /work/shared seen from a worktree.
CORPUS=${ARCHIVE_CORPUS:-${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/../shared/corpus/archives}
[ -d "$CORPUS" ] || [ -n "${ARCHIVE_CORPUS:-}" ] || CORPUS=/work/shared/corpus/archives
for tool in rsync bsdtar; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 77; }
done
[ -x "$DRIVER" ] || { echo "FAIL: $DRIVER not built"; exit 1; }

# zip names are UTF-8: run in a UTF-8 locale, as biso-recover is run
LC_ALL=C.UTF-8; export LC_ALL
T=$(mktemp -d /tmp/files-vs-rsync.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# ---- the source tree ----
S=$T/src
mkdir -p "$S/dir with spaces/deep/er" "$S/empty" "$S/Ümlaut-Ordner" "$S/tmp/x" "$S/cache" "$S/sub/data"
printf 'hello\n' > "$S/plain.txt"
printf 'secret\n' > "$S/secret"; chmod 600 "$S/secret"
printf '#!/bin/sh\n' > "$S/run.sh"; chmod 755 "$S/run.sh"
printf 'spaces\n' > "$S/dir with spaces/a file.txt"
printf 'deep\n' > "$S/dir with spaces/deep/er/f"
printf 'umlaut\n' > "$S/Ümlaut-Ordner/Grüße äöü.txt"
printf 'nl\n' > "$S/new
line"
printf 'bad\n' > "$S/$(printf 'bad\377name')"
printf 'log\n' > "$S/app.log"; printf 'log\n' > "$S/sub/deep.log"
printf 'on\n' > "$S/maintenance.on"
printf 'tmp\n' > "$S/tmp/x/t"; printf 'c\n' > "$S/cache/a.tmp"; printf 'c\n' > "$S/cache/a.keep"
printf 'd\n' > "$S/sub/data/d"; mkdir "$S/data"; printf 'top\n' > "$S/data/top"
dd if=/dev/urandom of="$S/random.bin" bs=1k count=300 2>/dev/null
truncate -s 20M "$S/sparse.img"; printf 'end' | dd of="$S/sparse.img" bs=1 seek=10485760 conv=notrunc 2>/dev/null
ln "$S/plain.txt" "$S/hardlink.txt"; ln "$S/plain.txt" "$S/dir with spaces/hardlink2"
ln -s plain.txt "$S/link-file"; ln -s "dir with spaces" "$S/link-dir"
ln -s missing-target "$S/link-missing"; ln -s ../../outside "$S/link-outside"; ln -s /etc "$S/link-abs"
touch -h -d '2001-02-03 04:05:06.789' "$S/link-file"
touch -d '1999-12-31 23:59:58.123456789' "$S/plain.txt" "$S/empty" "$S/dir with spaces/deep"
touch -d '2010-06-01 12:00:00' "$S/secret" "$S/Ümlaut-Ordner"
touch -d '2005-05-05 05:05:05.5' "$S"

compare() { # REF OUT WHAT
	d=$(rsync -ani --checksum --delete "$1/" "$2/" 2>&1)
	if [ -n "$d" ]; then fail "$3: rsync finds differences:"; printf '%s\n' "$d" | head -20
	else ok "$3"; fi
}
restore() { # SOURCE TARGET WHAT [driver options]
	src=$1 dst=$2 what=$3; shift 3
	if ! "$DRIVER" "$@" "$src" "$dst" > "$T/out" 2> "$T/err"; then
		fail "$what: restore failed"; cat "$T/err"; return 1
	fi
	return 0
}

rsync -a "$S/" "$T/ref/"

# ---- directory and every tar flavour bsdtar writes ----
restore "$S" "$T/out-dir" "directory" && compare "$T/ref" "$T/out-dir" "directory source"
[ "$(du -k "$T/out-dir/sparse.img" | cut -f1)" -lt 1024 ] && ok "sparse file stays sparse" \
	|| fail "sparse file was filled ($(du -k "$T/out-dir/sparse.img" | cut -f1) KiB)"
for fmt in tar:--format=pax tar.gz:-z tar.xz:-J tar.zst:--zstd tar.bz2:-j gnutar:--format=gnutar; do
	ext=${fmt%%:*} opt=${fmt#*:}
	case $ext in tar.zst) command -v zstd >/dev/null || { echo "skip $ext: no zstd"; continue; } ;; esac
	(cd "$S" && bsdtar $opt --format=pax -cf "$T/src.$ext" . 2>/dev/null) || [ "$ext" = gnutar ] ||
		{ fail "bsdtar cannot write $ext"; continue; }
	[ "$ext" = gnutar ] && (cd "$S" && bsdtar --format=gnutar -cf "$T/src.$ext" . 2>/dev/null)
	restore "$T/src.$ext" "$T/out-$ext" "$ext" && compare "$T/ref" "$T/out-$ext" "$ext archive"
done

# ---- zip: the subset it can hold (UTF-8 names, whole-second times, no hardlinks) ----
Z=$T/zsrc
rsync -a "$S/" "$Z/"
rm -f "$Z/$(printf 'bad\377name')" "$Z/hardlink.txt" "$Z/dir with spaces/hardlink2" "$Z/sparse.img"
find "$Z" -exec touch -h -d '2012-03-04 05:06:08' {} +
(cd "$Z" && bsdtar --format=zip -cf "$T/src.zip" .)
rsync -a "$Z/" "$T/zref/"
restore "$T/src.zip" "$T/out-zip" "zip" && compare "$T/zref" "$T/out-zip" "zip archive (subset)"

# ---- excludes against rsync --exclude ----
set -- --exclude 'tmp/' --exclude '*.log' --exclude 'maintenance.on' --exclude '/data' \
	--exclude 'cache/*.tmp' --exclude 'deep/'
rsync -a "$@" "$S/" "$T/ref-ex/"
restore "$S" "$T/out-ex" "excludes (dir)" "$@" && compare "$T/ref-ex" "$T/out-ex" "excludes, directory source"
restore "$T/src.tar.gz" "$T/out-ex-tgz" "excludes (tgz)" "$@" && compare "$T/ref-ex" "$T/out-ex-tgz" "excludes, tar.gz source"

# ---- replace keeps the old tree; carry keeps the live data ----
mkdir -p "$T/live/data"; printf 'live\n' > "$T/live/data/attachment"
restore "$S" "$T/live" "replace" --exclude '/data' --carry data --stamp 20250101_010101 &&
	[ -f "$T/live/data/attachment" ] && [ -d "$T/live.pre-restore-20250101_010101" ] &&
	ok "replace kept the old tree and carried data/" || fail "replace/carry"

# ---- hostile archives ----
if [ -d "$CORPUS" ]; then
	for a in test_patterns_4.tar test_leading_slash.tar test_symlink_1.zip \
		test_read_format_tar_V_negative_size.tar test_compat_tar_hardlink_1.tar \
		test_compat_gtar_1.tar test_compat_gzip_1.tgz test_read_format_gtar_sparse_1_17_posix10.tar \
		test_read_format_zip_filename_utf8_jp.zip; do
		[ -f "$CORPUS/$a" ] || { echo "skip $a: not in corpus"; continue; }
		box=$T/box-$a
		mkdir -p "$box/t"; printf 'old\n' > "$box/t/old"
		(cd "$box" && "$DRIVER" "$CORPUS/$a" t > "$T/out" 2> "$T/err"); rc=$?
		extra=$(cd "$box" && ls -A | grep -v '^t$' | grep -v '^t\.pre-restore-' )
		if [ -n "$extra" ]; then fail "$a wrote outside the target: $extra"
		elif [ -e /foo/file ] || [ -e "$T/outside" ] || [ -e "$box/outside" ]; then fail "$a escaped the target"
		elif [ $rc -ne 0 ] && [ "$(cat "$box/t/old")" != old ]; then fail "$a failed but the target changed"
		else ok "$a contained (exit $rc, $(grep -c -i 'refused' "$T/err") refused)"; fi
	done
	(cd "$T" && "$DRIVER" "$CORPUS/test_read_format_tar_V_negative_size.tar" neg >/dev/null 2>&1) &&
		fail "negative-size tar was accepted" || ok "negative-size tar refused"
else
	echo "skip hostile archives: $CORPUS not present"
fi

# ---- archives made here: .. and absolute members ----
mkdir -p "$T/evil"; printf 'x\n' > "$T/evil/f"
(cd "$T/evil" && bsdtar -cf "$T/evil.tar" -s ',^f$,../escaped,' -P f && bsdtar -rf "$T/evil.tar" -P -s ',^f$,/tmp/biso-evil-abs,' f)
mkdir -p "$T/box-evil"
(cd "$T/box-evil" && "$DRIVER" "$T/evil.tar" t >/dev/null 2>"$T/err"); rc=$?
if [ -e "$T/escaped" ] || [ -e /tmp/biso-evil-abs ] || [ -e "$T/box-evil/escaped" ]; then fail "evil.tar escaped"
else ok "evil.tar (.. and absolute members) contained (exit $rc)"; fi

[ $fails -eq 0 ] && { echo "PASS files-vs-rsync"; exit 0; }
echo "$fails failure(s)"; exit 1
