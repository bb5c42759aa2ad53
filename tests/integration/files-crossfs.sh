#!/bin/sh
# files-restore onto another filesystem than the source (issue 16.1): a
# backup on its own mount (a backup disk, an NFS share) is the normal case,
# and there copy_file_range answers EXDEV.  The target is a tmpfs mounted
# here (tests run as root; skipped with a message where mount is not
# permitted).  A directory source (with and without --checksum) and every
# archive kind (tar, tar.gz, tar.xz, tar.zst, zip) are restored onto it and
# `rsync -ani --checksum --delete` against an `rsync -a` copy of the source
# must find no difference.  Then the space check on a small filesystem
# (issue 16.11): a 72 KB webroot fits a 20 MB tmpfs with 15 MB free, a
# 16 MB one does not (refused before anything is written).
set -u
top_builddir=${top_builddir:-$(pwd)}
B=${BISO_RECOVER:-$top_builddir/biso-recover}
[ -x "$B" ] || { echo "FAIL: $B not built"; exit 1; }
for tool in rsync bsdtar; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 77; }
done
LC_ALL=C.UTF-8; export LC_ALL
T=$(mktemp -d /tmp/files-crossfs.XXXXXX)
M=$T/mnt
mkdir -p "$M"
cleanup() {
	mountpoint -q "$M" 2>/dev/null && umount "$M"
	mountpoint -q "$T/small" 2>/dev/null && umount "$T/small"
	rm -rf "$T"
}
trap cleanup EXIT
if ! mount -t tmpfs -o size=64m,mode=0755 biso-crossfs "$M" 2>"$T/mount.err"; then
	echo "SKIP: cannot mount a tmpfs (not root, or not permitted here): $(cat "$T/mount.err")"
	exit 77
fi
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# ---- the source: a small webroot, on the test's own filesystem ----
S=$T/src
mkdir -p "$S/css" "$S/lib/deep" "$S/empty"
printf 'body{}\n' > "$S/css/app.css"
printf '<?php echo 1;\n' > "$S/index.php"
printf 'secret\n' > "$S/lib/config.ini"; chmod 600 "$S/lib/config.ini"
printf '#!/bin/sh\n' > "$S/lib/run.sh"; chmod 755 "$S/lib/run.sh"
: > "$S/lib/empty-file"
# larger than the 128 KiB copy buffer: several reads and writes
dd if=/dev/urandom of="$S/lib/deep/blob.bin" bs=1k count=300 2>/dev/null
truncate -s 4M "$S/lib/sparse.img"; printf 'end' | dd of="$S/lib/sparse.img" bs=1 seek=2097152 conv=notrunc 2>/dev/null
ln -s index.php "$S/link"
ln "$S/index.php" "$S/lib/hardlink.php"
# whole seconds: zip keeps no more
find "$S" -exec touch -h -d '2011-02-03 04:05:06' {} +
rsync -a "$S/" "$T/ref/"
if [ "$(stat -f -c %T "$S")" = "$(stat -f -c %T "$M")" ] && [ "$(stat -c %d "$S")" = "$(stat -c %d "$M")" ]; then
	echo "SKIP: the source and the tmpfs are one filesystem"; exit 77
fi

compare() { # REF OUT WHAT
	d=$(rsync -ani --checksum --delete "$1/" "$2/" 2>&1)
	if [ -n "$d" ]; then fail "$3: rsync finds differences:"; printf '%s\n' "$d" | head -20
	else ok "$3"; fi
}
restore() { # SOURCE TARGET WHAT [options]
	src=$1 dst=$2 what=$3; shift 3
	if ! "$B" files-restore "$@" "$src" "$dst" > "$T/out" 2> "$T/err"; then
		fail "$what: restore onto another filesystem failed:"; cat "$T/err"; return 1
	fi
	return 0
}

restore "$S" "$M/web-dir" "directory" && compare "$T/ref" "$M/web-dir" "directory source onto a tmpfs"
rm -rf "$M/web-dir"
restore "$S" "$M/web-dir" "directory, --checksum" --checksum &&
	compare "$T/ref" "$M/web-dir" "directory source onto a tmpfs, --checksum"
rm -rf "$M/web-dir"
for fmt in tar: tar.gz:-z tar.xz:-J tar.zst:--zstd; do
	ext=${fmt%%:*} opt=${fmt#*:}
	(cd "$S" && bsdtar $opt --format=pax -cf "$T/src.$ext" .) || { fail "bsdtar cannot write $ext"; continue; }
	restore "$T/src.$ext" "$M/web-$ext" "$ext" && compare "$T/ref" "$M/web-$ext" "$ext archive onto a tmpfs"
	rm -rf "$M/web-$ext"
done
# progress of an archive: bytes of the archive read, never past its size
# (a plain tar showed "512 B of 5 B (10240%)": the scan's content bytes)
if [ -x "$top_builddir/tests/integration/files-driver" ]; then
	"$top_builddir/tests/integration/files-driver" --progress "$T/src.tar" "$M/web-progress" > /dev/null 2> "$T/progress"
	size=$(stat -c %s "$T/src.tar")
	bad=$(awk -v size="$size" '/^PROGRESS (copying|scanning)/ { split($3, a, "/"); if (a[2] != size || a[1] > a[2]) print }' "$T/progress" | head -3)
	if [ -n "$bad" ] || ! grep -q '^PROGRESS copying' "$T/progress"; then fail "tar progress is not bytes of the archive ($size): $bad"
	else ok "tar progress counts bytes of the archive, up to its size ($size)"; fi
	rm -rf "$M/web-progress"
fi
# zip holds no hardlinks and no holes: its own reference
Z=$T/zsrc
rsync -a "$S/" "$Z/"
rm -f "$Z/lib/hardlink.php" "$Z/lib/sparse.img"
touch -d '2011-02-03 04:05:06' "$Z/lib"
(cd "$Z" && bsdtar --format=zip -cf "$T/src.zip" .)
restore "$T/src.zip" "$M/web-zip" "zip" && compare "$Z" "$M/web-zip" "zip archive onto a tmpfs"
rm -rf "$M/web-zip"

# ---- the space check on a small filesystem (issue 16.11) ----
mkdir -p "$T/small" "$T/tiny"
if mount -t tmpfs -o size=20m biso-small "$T/small" 2>/dev/null; then
	# a filesystem in use: 5 MB of other data on it, 15 MB free
	head -c 5000000 /dev/zero > "$T/small/other-data"
	mkdir -p "$T/tiny/sub"
	for i in 1 2 3 4 5 6 7 8; do head -c 8000 /dev/urandom > "$T/tiny/sub/f$i"; done
	printf '<?php\n' > "$T/tiny/index.php"
	if "$B" files-restore "$T/tiny" "$T/small/web" > "$T/out" 2> "$T/err"; then
		rsync -a "$T/tiny/" "$T/tiny-ref/"
		compare "$T/tiny-ref" "$T/small/web" "a 72 KB webroot restored onto a 20 MB filesystem with 15 MB free"
	else
		fail "a 72 KB webroot is refused on a 20 MB filesystem with 15 MB free:"; cat "$T/err"
	fi
	head -c 16000000 /dev/urandom > "$T/tiny/big.bin"
	if "$B" files-restore "$T/tiny" "$T/small/web2" > "$T/out" 2> "$T/err"; then
		fail "a 16 MB webroot was accepted with 15 MB free"
	elif ! grep -q 'not enough space' "$T/err"; then
		fail "16 MB on 15 MB free: not the space error:"; cat "$T/err"
	elif [ -e "$T/small/web2" ] || [ -e "$T/small/web2.restoring" ]; then
		fail "16 MB on 15 MB free: something was written before the refusal"
	else
		ok "a 16 MB webroot is refused with 15 MB free, before anything is written"
	fi
	umount "$T/small"
else
	echo "skip small filesystem: cannot mount a second tmpfs"
fi


[ $fails -eq 0 ] && { echo "PASS files-crossfs"; exit 0; }
echo "$fails failure(s)"; exit 1
