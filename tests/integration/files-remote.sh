#!/bin/sh
# Remote source "host:path" (issue 4) without a network: rsync's remote
# shell is a small script that drops the host name and runs the "remote"
# rsync locally, set through RSYNC_RSH (as an operator's ssh would be) and
# through the engine's rsh option.  The fetched tree and a fetched tar.gz
# are restored and compared with rsync -a; progress is reported as
# "fetching"; the fetched copy is removed; a failing fetch leaves the old
# target as it was.  Space: a fetch into a tmpfs that is too small is
# refused before anything is written (the numbers come from rsync
# --dry-run --stats), and the same fetch works once the tmpfs is larger
# (needs root for the mount; that part is skipped otherwise).
set -u
top_builddir=${top_builddir:-$(pwd)}
DRIVER=${FILES_DRIVER:-$top_builddir/tests/integration/files-driver}
[ -x "$DRIVER" ] || { echo "FAIL: $DRIVER not built"; exit 1; }
command -v rsync >/dev/null 2>&1 || { echo "SKIP: rsync not installed"; exit 77; }
T=$(mktemp -d /tmp/files-remote.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

cat > "$T/fake-ssh" <<'SH'
#!/bin/sh
# fake ssh: [options] HOST COMMAND...; logs the host, runs COMMAND here
while [ $# -gt 0 ]; do case $1 in -[pl]) shift 2 ;; -*) shift ;; *) break ;; esac; done
echo "$1" >> "${FAKE_SSH_LOG:-/dev/null}"; shift
exec sh -c "$*"
SH
chmod +x "$T/fake-ssh"
export FAKE_SSH_LOG=$T/ssh.log

S=$T/backup/webroot
mkdir -p "$S/sub dir" "$S/empty"
printf 'index\n' > "$S/index.php"; printf 'x\n' > "$S/sub dir/file with spaces"
head -c 3M /dev/urandom > "$S/sub dir/big.bin"
ln -s index.php "$S/link"; ln "$S/index.php" "$S/hard"
touch -d '2001-01-01 01:01:01' "$S/empty" "$S/index.php"
rsync -a "$S/" "$T/ref/"
(cd "$S" && tar -czf "$T/backup/webroot.tar.gz" .)

mkdir -p "$T/t"; printf 'old\n' > "$T/t/old"
if RSYNC_RSH=$T/fake-ssh "$DRIVER" --progress --stamp 20250101_000000 "backuphost:$S" "$T/t" > "$T/out" 2> "$T/err"; then
	d=$(rsync -ani --checksum --delete "$T/ref/" "$T/t/")
	[ -z "$d" ] && ok "host:path directory fetched and restored as rsync -a" || { fail "remote dir differs:"; echo "$d"; }
	grep -q '^backuphost$' "$T/ssh.log" && ok "rsync went through the remote shell to backuphost" ||
		fail "the remote shell was not used: $(cat "$T/ssh.log")"
	grep -q '^PROGRESS fetching [1-9]' "$T/err" && ok "fetch progress shown: $(grep '^PROGRESS fetching' "$T/err" | tail -1)" ||
		fail "no fetch progress"
	[ -d "$T/t.pre-restore-20250101_000000" ] && ok "the old target is kept" || fail "old target not kept"
	[ ! -e "$T/t.fetching" ] && ok "the fetched copy is removed" || fail "$T/t.fetching left behind"
else
	fail "remote restore failed"; cat "$T/err"
fi

if "$DRIVER" --rsh "$T/fake-ssh -p 22" "backuphost:$T/backup/webroot.tar.gz" "$T/t2" > "$T/out" 2> "$T/err"; then
	d=$(rsync -ani --checksum --delete "$T/ref/" "$T/t2/")
	[ -z "$d" ] && ok "host:path tar.gz fetched (rsh option) and restored" || { fail "remote tar.gz differs:"; echo "$d"; }
else
	fail "remote tar.gz restore failed"; cat "$T/err"
fi

mkdir -p "$T/t3"; printf 'old\n' > "$T/t3/old"
if RSYNC_RSH=$T/fake-ssh "$DRIVER" "backuphost:$T/backup/no-such-dir" "$T/t3" > "$T/out" 2> "$T/err"; then
	fail "a missing remote path was accepted"
elif [ "$(ls -A "$T/t3")" = old ] && [ ! -e "$T/t3.fetching" ] && [ ! -e "$T/t3.restoring" ]; then
	ok "failed fetch leaves the target alone: $(grep ERROR "$T/err")"
else fail "failed fetch left things behind: $(ls -d "$T"/t3*)"; fi

# ---- space check before fetching: a 20 MiB tmpfs, 24 MiB to fetch ----
M=$T/mnt
mkdir -p "$M"
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=20m,mode=755 tmpfs "$M" 2>/dev/null; then
	echo "skip: the space check before fetching needs root and mount -t tmpfs"
else
	trap 'umount "$M" 2>/dev/null; rm -rf "$T"' EXIT
	L=$T/backup/large
	mkdir -p "$L/attachments"
	for i in 1 2 3; do head -c 8M /dev/urandom > "$L/attachments/f$i.bin"; done
	printf 'small\n' > "$L/readme"
	mkdir "$M/t"; printf 'old content' > "$M/t/old"
	used_before=$(df -k --output=used "$M" | tail -1)
	RSYNC_RSH=$T/fake-ssh "$DRIVER" "backuphost:$L" "$M/t" > "$T/out" 2> "$T/err"; rc=$?
	used_after=$(df -k --output=used "$M" | tail -1)
	if [ $rc -ne 1 ]; then
		fail "fetch into a too small tmpfs: exit $rc, expected 1"; cat "$T/err"
	elif ! grep -q "not enough space in $M to fetch backuphost:$L (25165830 bytes in 6 entries)" "$T/err" ||
	     ! grep -q "needed [0-9.]* MiB ([0-9]* bytes, with a margin of 2% + 1/8, at least 1 MiB, at most 16 MiB), free [0-9.]* MiB ([0-9]* bytes)" "$T/err"; then
		fail "fetch into a too small tmpfs: the error does not give the numbers:"; cat "$T/err"
	elif grep -q "^INFO: fetching backuphost" "$T/err"; then
		fail "fetch into a too small tmpfs: rsync was started for the fetch anyway"
	elif [ "$used_before" != "$used_after" ] || [ -e "$M/t.fetching" ] || [ -e "$M/t.restoring" ]; then
		fail "fetch into a too small tmpfs: something was written ($used_before -> $used_after KiB; $(ls -A "$M"))"
	elif [ "$(cat "$M/t/old")" != "old content" ] || [ "$(ls -A "$M/t")" != old ] || [ "$(ls -A "$M")" != t ]; then
		fail "fetch into a too small tmpfs: the target changed: $(ls -A "$M" "$M/t")"
	else
		ok "fetch refused before writing, target untouched: $(grep -o 'needed [0-9.]* MiB' "$T/err"), $(grep -o 'free [0-9.]* MiB' "$T/err")"
	fi
	mount -o remount,size=80m "$M"
	if RSYNC_RSH=$T/fake-ssh "$DRIVER" "backuphost:$L" "$M/t" > "$T/out" 2> "$T/err"; then
		d=$(rsync -ani --checksum --delete "$L/" "$M/t/")
		[ -z "$d" ] && ok "the same fetch works on a larger tmpfs" || { fail "fetched tree differs:"; echo "$d"; }
	else
		fail "fetch into a large enough tmpfs failed"; cat "$T/err"
	fi
	umount "$M"
fi

[ $fails -eq 0 ] && { echo "PASS files-remote"; exit 0; }
echo "$fails failure(s)"; exit 1
