#!/bin/sh
# Fault tests of the file restore engine (issue 4): a small tmpfs that is
# too small (caught by the space check before writing, from a directory
# scan and from a gzip trailer) or that fills up part way (a multi-member
# gzip whose trailer under-states the size: the check cannot know), an
# unreadable source file (restore run as an unprivileged user), and an
# abort part way.  In each: the old target is intact, the staging tree is
# gone, and the error says what was needed.  Also in-place mode, which is
# only allowed when there is no room for replace, and only when confirmed.
# Needs root (mount -t tmpfs, setpriv); skips with a message otherwise.
set -u
top_builddir=${top_builddir:-$(pwd)}
DRIVER=${FILES_DRIVER:-$top_builddir/tests/integration/files-driver}
[ -x "$DRIVER" ] || { echo "FAIL: $DRIVER not built"; exit 1; }
for tool in rsync tar gzip setpriv; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP: fault tests need root (tmpfs mounts, setpriv)"; exit 77; }
T=$(mktemp -d /tmp/files-faults.XXXXXX)
chmod 755 "$T"
M=$T/mnt
mkdir -p "$M"
if ! mount -t tmpfs -o size=40m,mode=755 tmpfs "$M" 2>/dev/null; then
	rmdir "$M"; rm -rf "$T"
	echo "SKIP: mount -t tmpfs is not permitted here"; exit 77
fi
trap 'umount "$M" 2>/dev/null; rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# old_intact DIR WHAT: the old target holds exactly its old file, no staging left
old_intact() {
	if [ "$(cat "$1/t/old" 2>/dev/null)" != "old content" ] || [ "$(ls -A "$1/t")" != old ]; then
		fail "$2: the old target changed: $(ls -A "$1/t" 2>&1 | head -3)"
	elif [ -e "$1/t.restoring" ]; then
		fail "$2: the staging tree $1/t.restoring was left behind"
	elif ls -d "$1"/t.pre-restore-* >/dev/null 2>&1; then
		fail "$2: the old tree was moved away"
	else
		ok "$2: old target intact, staging gone"
	fi
}
fresh_target() { # DIR
	rm -rf "$1/t" "$1/t.restoring"; mkdir -p "$1/t"; printf 'old content' > "$1/t/old"
}

# ---- 1. space check before writing: directory source (scanned) ----
S=$T/src
mkdir -p "$S/a/b"
head -c 45M /dev/urandom > "$S/a/big.bin"
for i in 1 2 3 4 5; do printf 'small %s\n' $i > "$S/a/b/f$i"; done
fresh_target "$M"
used_before=$(df -k --output=used "$M" | tail -1)
"$DRIVER" "$S" "$M/t" > "$T/out" 2> "$T/err"; rc=$?
used_after=$(df -k --output=used "$M" | tail -1)
if [ $rc -ne 1 ]; then fail "space pre-check (dir): exit $rc, expected 1"; cat "$T/err"
elif ! grep -q "not enough space" "$T/err" || ! grep -q "needed .*free" "$T/err"; then
	fail "space pre-check (dir): the error does not say what was needed:"; cat "$T/err"
elif [ "$used_before" != "$used_after" ]; then fail "space pre-check (dir): something was written ($used_before -> $used_after KiB)"
else ok "space pre-check refuses a directory source before writing: $(grep -o 'needed [^,]*' "$T/err" | head -1)"; fi
old_intact "$M" "space pre-check (dir)"

# ---- 2. space check before writing: tar.gz, size from the gzip trailer ----
(cd "$S" && tar -cf - .) | gzip -1 > "$T/src.tar.gz"
fresh_target "$M"
"$DRIVER" "$T/src.tar.gz" "$M/t" > "$T/out" 2> "$T/err"; rc=$?
if [ $rc -ne 1 ] || ! grep -q "not enough space" "$T/err"; then
	fail "space pre-check (tar.gz trailer): exit $rc"; cat "$T/err"
else ok "space pre-check refuses a tar.gz from its trailer: $(grep -o 'needed [^,]*' "$T/err" | head -1)"; fi
old_intact "$M" "space pre-check (tar.gz)"

# ---- 3. fills up part way: a two-member gzip states only its last member's size ----
# 48 MB of text that compresses well, then 2 MB of random data last: the
# first member is small, the last one's ISIZE (2 MB) looks plausible, so the
# check before writing passes and the tmpfs fills up while writing.
C=$T/csrc
mkdir -p "$C/d"
i=0
while [ $i -lt 8 ]; do
	yes "attachment line $i of a text file that compresses well" | head -c 6M > "$C/d/text$i.txt"
	i=$((i + 1))
done
head -c 2M /dev/urandom > "$C/d/zz-random.bin"
(cd "$C" && tar --no-recursion -cf "$T/c.tar" d d/text0.txt d/text1.txt d/text2.txt d/text3.txt d/text4.txt \
	d/text5.txt d/text6.txt d/text7.txt d/zz-random.bin)
tailsz=$((2 * 1048576 + 512 + 10240))
head -c $(( $(stat -c %s "$T/c.tar") - tailsz )) "$T/c.tar" | gzip -1 > "$T/multi.tar.gz"
tail -c $tailsz "$T/c.tar" | gzip -1 >> "$T/multi.tar.gz"
fresh_target "$M"
"$DRIVER" "$T/multi.tar.gz" "$M/t" > "$T/out" 2> "$T/err"; rc=$?
if [ $rc -ne 1 ]; then fail "full part way: exit $rc, expected 1"; cat "$T/err"
elif ! grep -q "ran full" "$T/err" || ! grep -q "needed" "$T/err"; then
	fail "full part way: the error does not say it ran full and what was needed:"; cat "$T/err"
else ok "filesystem full part way is reported: $(grep -o 'needed [^,]*' "$T/err" | head -1)"; fi
old_intact "$M" "full part way"
[ "$(df -k --output=used "$M" | tail -1)" -lt 1024 ] && ok "the space is free again" ||
	fail "space still used after the failed restore: $(df -k --output=used "$M" | tail -1) KiB"

# ---- 3b. the same with small files, written by 2 worker threads ----
# 300 files of 200 KiB (fsrestore_xpool.c writes them in threads): the
# tmpfs fills up in a worker; its error (and out of space) is the run's.
mkdir -p "$C/s"
i=0
while [ $i -lt 300 ]; do
	yes "small file $i of many, a text that compresses well" | head -c 200K > "$C/s/f$i.txt"
	i=$((i + 1))
done
(cd "$C" && tar --no-recursion -cf "$T/s.tar" s $(cd "$C" && ls s/f*.txt) d/zz-random.bin)
head -c $(( $(stat -c %s "$T/s.tar") - tailsz )) "$T/s.tar" | gzip -1 > "$T/smulti.tar.gz"
tail -c $tailsz "$T/s.tar" | gzip -1 >> "$T/smulti.tar.gz"
fresh_target "$M"
"$DRIVER" --threads 2 "$T/smulti.tar.gz" "$M/t" > "$T/out" 2> "$T/err"; rc=$?
if [ $rc -ne 1 ]; then fail "full part way, 2 threads: exit $rc, expected 1"; cat "$T/err"
elif ! grep -q "ran full" "$T/err" || ! grep -q "needed" "$T/err"; then
	fail "full part way, 2 threads: the error does not say it ran full and what was needed:"; cat "$T/err"
else ok "filesystem full part way in a worker is reported: $(grep -o 'needed [^,]*' "$T/err" | head -1)"; fi
old_intact "$M" "full part way, 2 threads"
[ "$(df -k --output=used "$M" | tail -1)" -lt 1024 ] && ok "the space is free again (2 threads)" ||
	fail "space still used after the failed restore in 2 threads: $(df -k --output=used "$M" | tail -1) KiB"

# ---- 4. unreadable source file, restore run as an unprivileged user ----
U=$T/user
mkdir -p "$U" "$T/usrc/sub"
printf 'readable\n' > "$T/usrc/ok.txt"
printf 'hidden\n' > "$T/usrc/sub/locked.txt"
chmod 0000 "$T/usrc/sub/locked.txt"
chmod -R a+rX "$T/usrc"; chmod 0000 "$T/usrc/sub/locked.txt"
fresh_target "$U"
chown -R nobody "$U"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$DRIVER" "$T/usrc" "$U/t" > "$T/out" 2> "$T/err"; rc=$?
if [ $rc -ne 1 ]; then fail "unreadable source file: exit $rc, expected 1"; cat "$T/err"
elif ! grep -q "locked.txt" "$T/err"; then fail "unreadable source file: the error does not name the file:"; cat "$T/err"
else ok "unreadable source file stops the restore: $(grep ERROR "$T/err" | head -1)"; fi
old_intact "$U" "unreadable source file"

# ---- 5. abort part way ----
A=$T/abort
mkdir -p "$A" "$T/asrc"
i=0; while [ $i -lt 300 ]; do printf 'file %s\n' $i > "$T/asrc/f$i"; i=$((i + 1)); done
fresh_target "$A"
FILES_DRIVER_CANCEL_AFTER=100 "$DRIVER" "$T/asrc" "$A/t" > "$T/out" 2> "$T/err"; rc=$?
if [ $rc -ne 1 ] || ! grep -q "aborted" "$T/err"; then fail "abort: exit $rc"; cat "$T/err"
else ok "abort part way stops the restore"; fi
old_intact "$A" "abort part way"
FILES_DRIVER_CANCEL_AFTER=15 "$DRIVER" "$T/src.tar.gz" "$A/t" > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "aborted" "$T/err" && ok "abort part way (tar.gz, inside a file's data)" ||
	{ fail "abort (tar.gz): exit $rc"; cat "$T/err"; }
old_intact "$A" "abort part way (tar.gz)"

# ---- 6. in-place: only without room for replace, only when confirmed ----
umount "$M"; mount -t tmpfs -o size=40m,mode=755 tmpfs "$M"
P=$T/psrc
mkdir -p "$P/x"; head -c 20M /dev/urandom > "$P/x/new.bin"; printf 'n\n' > "$P/note"
mkdir -p "$M/t"; head -c 20M /dev/urandom > "$M/t/old.bin"
"$DRIVER" --in-place "$P" "$M/t" > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "keeps no copy" "$T/err" && [ -f "$M/t/old.bin" ] &&
	ok "in-place without confirmation is refused, target kept" || { fail "in-place unconfirmed: exit $rc"; cat "$T/err"; }
"$DRIVER" "$P" "$M/t" > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q -- "--in-place" "$T/err" && ok "replace without room offers in-place" ||
	{ fail "replace without room: exit $rc"; cat "$T/err"; }
"$DRIVER" --in-place --confirm "$P" "$M/t" > "$T/out" 2> "$T/err"; rc=$?
if [ $rc -ne 0 ]; then fail "in-place confirmed: exit $rc"; cat "$T/err"
else
	d=$(rsync -ani --checksum --delete "$P/" "$M/t/")
	[ -z "$d" ] && ok "in-place restore gives the source tree" || { fail "in-place differs:"; echo "$d"; }
fi
mkdir -p "$T/roomy/t"; printf 'old content' > "$T/roomy/t/old"
"$DRIVER" --in-place --confirm "$P" "$T/roomy/t" > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "there is room" "$T/err" && [ -f "$T/roomy/t/old" ] &&
	ok "in-place is refused when there is room for replace" || { fail "in-place with room: exit $rc"; cat "$T/err"; }

[ $fails -eq 0 ] && { echo "PASS files-faults"; exit 0; }
echo "$fails failure(s)"; exit 1
