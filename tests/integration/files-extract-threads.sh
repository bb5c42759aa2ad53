#!/bin/sh
# Integration test of the archive extraction in threads (issue 17,
# src/files/fsrestore_xpool.c): a .tar.gz with many small files in
# folders, hardlinks (also right after their target, which a worker may
# still be writing), symlinks, empty and deep folders, folder modes and
# times, files of 0 bytes, a file just above and one just below the
# 256 KiB a worker takes, and members appended twice (the later must win,
# as with tar) is restored with 1, 2 and 4 threads and compared with `tar -xzf` of the same archive:
# `rsync -ani --checksum -H --delete` must list nothing, and the counts
# must be the same with every number of threads.  A directory named twice
# gets the later entry's mode, owner and times, as with tar -xf.  The
# barrier for a path in flight: a worker held (FILES_DRIVER_HOLD) with
# the first of two "x" unwritten while the walk comes to the second; the
# walk must wait there and the later "x" win.  A cancel part way in
# 2 threads leaves the target as it was.
set -u
top_builddir=${top_builddir:-$(pwd)}
DRIVER=${FILES_DRIVER:-$top_builddir/tests/integration/files-driver}
for t in rsync tar gzip; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
[ -x "$DRIVER" ] || { echo "FAIL: $DRIVER not built"; exit 1; }

T=$(mktemp -d /tmp/files-extract-threads.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# ---- the source tree ----
S=$T/src
mkdir -p "$S"
d=0
while [ $d -lt 24 ]; do
	dir=$S/d$d
	mkdir -p "$dir/a" "$dir/b/c" "$dir/empty"
	f=0
	while [ $f -lt 40 ]; do
		printf 'file %s %s\n' $d $f > "$dir/a/f$f"
		head -c $(((d * 40 + f) * 37 % 6000)) /dev/zero | tr '\0' "$(printf '%s' $((f % 10)))" > "$dir/b/c/g$f"
		f=$((f + 1))
	done
	: > "$dir/zero"
	ln "$dir/a/f0" "$dir/a/f0-link"
	ln "$dir/a/f1" "$S/h$d"
	ln -s a/f0 "$dir/ln"
	ln -s ../missing "$dir/ln-missing"
	chmod 0750 "$dir/b"
	chmod 0700 "$dir/empty"
	chmod 0600 "$dir/a/f2"
	touch -d "2020-01-0$((d % 9 + 1)) 10:00:00.$d" "$dir/a" "$dir/b/c" "$dir/a/f3"
	d=$((d + 1))
done
deep=$S/deep; i=0
while [ $i -lt 40 ]; do deep=$deep/n$i; i=$((i + 1)); done
mkdir -p "$deep"; printf 'bottom\n' > "$deep/bottom"
head -c 262144 /dev/urandom > "$S/at-limit.bin"
head -c 262145 /dev/urandom > "$S/above-limit.bin"
head -c 3000000 /dev/urandom > "$S/big.bin"
touch -d '2019-05-05 05:05:05.5' "$S" "$S/d3"
# members appended a second time with other content (tar -r): the later wins
mkdir -p "$T/again/d5/a" "$T/again/d9/b/c"
printf 'second version\n' > "$T/again/d5/a/f7"
printf 'second, longer version of g3\n' > "$T/again/d9/b/c/g3"
printf 'second version of the hardlinked f0\n' > "$T/again/d5/a/f0"
(cd "$S" && tar -cf "$T/src.tar" .) || { echo "FAIL: tar -c"; exit 1; }
(cd "$T/again" && tar -rf "$T/src.tar" ./d5/a/f7 ./d9/b/c/g3 ./d5/a/f0) || { echo "FAIL: tar -r"; exit 1; }
gzip -1 "$T/src.tar"
A=$T/src.tar.gz
mkdir "$T/ref"
tar -xzf "$A" -C "$T/ref" || { echo "FAIL: tar -xzf"; exit 1; }
# GNU tar sets a folder's times when it leaves it, so a member appended
# later into it leaves the time of the extraction; ours keeps the
# archive's (set after the last member, as rsync -a does)
touch -r "$S/d5/a" "$T/ref/d5/a"
touch -r "$S/d9/b/c" "$T/ref/d9/b/c"

compare() { # REF OUT WHAT
	out=$(rsync -ani --checksum -H --delete "$1/" "$2/" 2>&1)
	if [ -n "$out" ]; then fail "$3: rsync -ani --checksum -H finds differences:"; printf '%s\n' "$out" | head -20
	else ok "$3: rsync -ani --checksum -H lists nothing against tar -xzf"; fi
}

# ---- replace mode, 1, 2 and 4 threads ----
for n in 1 2 4; do
	if ! "$DRIVER" --checksum --threads $n "$A" "$T/out$n" > "$T/res$n" 2> "$T/err$n"; then
		fail "$n threads: the restore failed"; cat "$T/err$n"; continue
	fi
	compare "$T/ref" "$T/out$n" "$n threads"
	sed 's/ kept=.*//' "$T/res$n" > "$T/counts$n"
	if grep -q '^WARN: .*differ' "$T/err$n"; then fail "$n threads: the inline verification found differences"; cat "$T/err$n"; fi
done
if cmp -s "$T/counts1" "$T/counts2" && cmp -s "$T/counts1" "$T/counts4"; then
	ok "the same counts with 1, 2 and 4 threads: $(cat "$T/counts1")"
else
	fail "counts differ: $(cat "$T/counts1" "$T/counts2" "$T/counts4" 2>/dev/null)"
fi

# ---- a directory named twice (tar -r; some zip writers): the later wins ----
# "./dir/" first, its files, then "./dir/" and "./dir/sub/" again with
# another mode, owner and mtime: tar -xf gives them the later entry's, and
# so must 1, 2 and 4 threads
S2=$T/twice
mkdir -p "$S2/dir/sub"
f=0
while [ $f -lt 30 ]; do printf 'twice %s\n' $f > "$S2/dir/f$f"; f=$((f + 1)); done
printf 'below\n' > "$S2/dir/sub/g"
chmod 0755 "$S2/dir" "$S2/dir/sub"
touch -d '2001-01-01 01:01:01' "$S2/dir" "$S2/dir/sub" "$S2"
(cd "$S2" && tar -cf "$T/twice.tar" .) || { echo "FAIL: tar -c twice"; exit 1; }
chmod 0710 "$S2/dir"; chmod 0700 "$S2/dir/sub"
chown 1234:2345 "$S2/dir"; chown 4321:5432 "$S2/dir/sub"
touch -d '2005-05-05 05:05:05.5' "$S2/dir"; touch -d '2003-03-03 03:03:03' "$S2/dir/sub"
(cd "$S2" && tar -rf "$T/twice.tar" --no-recursion ./dir ./dir/sub) || { echo "FAIL: tar -r twice"; exit 1; }
mkdir "$T/twice-ref"
tar -xf "$T/twice.tar" -C "$T/twice-ref" || { echo "FAIL: tar -xf twice"; exit 1; }
for d in dir dir/sub; do
	[ "$(stat -c '%a %u:%g %Y' "$T/twice-ref/$d")" = "$(stat -c '%a %u:%g %Y' "$S2/$d")" ] ||
		fail "tar -xf did not keep the later entry of $d: $(stat -c '%a %u:%g %y' "$T/twice-ref/$d")"
done
for n in 1 2 4; do
	if ! "$DRIVER" --checksum --threads $n "$T/twice.tar" "$T/twice$n" > "$T/res" 2> "$T/err"; then
		fail "a directory named twice, $n threads: the restore failed"; cat "$T/err"; continue
	fi
	compare "$T/twice-ref" "$T/twice$n" "a directory named twice, $n threads"
	for d in dir dir/sub; do
		got=$(stat -c '%a %u:%g %y' "$T/twice$n/$d"); want=$(stat -c '%a %u:%g %y' "$T/twice-ref/$d")
		[ "$got" = "$want" ] || fail "a directory named twice, $n threads: $d is $got, tar -xf gives $want"
	done
done

# ---- the barrier for a path in flight, 2 threads ----
# Files only after "./" (no other directory, symlink or hardlink: nothing
# else makes the walk wait), the first one "x" again near the end with
# other content.
# The driver holds the worker that took the first "x" (fault point
# files.xpool.write) until the walk reaches the barrier for "x" in flight
# (files.xpool.in-flight): the walk must wait there, and the later "x"
# must win.  Without that barrier the other worker writes the later "x"
# and the held one the first over it when its hold times out.
F=$T/flight
mkdir -p "$F/one" "$F/two"
printf 'first x\n' > "$F/one/x"
touch -d '2002-02-02 02:02:02' "$F/one"
printf 'later x, longer\n' > "$F/two/x"
list=". x"; f=0
while [ $f -lt 60 ]; do printf 'flight %s\n' $f > "$F/one/f$f"; list="$list f$f"; f=$((f + 1)); done
(cd "$F/one" && tar -cf "$T/flight.tar" --no-recursion $list) || { echo "FAIL: tar -c flight"; exit 1; }
(cd "$F/two" && tar -rf "$T/flight.tar" x) || { echo "FAIL: tar -r flight"; exit 1; }
mkdir "$T/flight-ref"
tar -xf "$T/flight.tar" -C "$T/flight-ref" || { echo "FAIL: tar -xf flight"; exit 1; }
if ! FILES_DRIVER_HOLD=10 "$DRIVER" --checksum --threads 2 "$T/flight.tar" "$T/flight-out" > "$T/res" 2> "$T/err"; then
	fail "in flight: the restore failed"; cat "$T/err"
else
	if grep -q '^HOLD: the walk waits at the barrier for a path in flight while a worker holds its file' "$T/err"; then
		ok "in flight: the walk waited at the barrier while a worker held the first x unwritten"
	else
		fail "in flight: the walk never waited for the x a worker held: $(grep '^HOLD' "$T/err")"
	fi
	if [ "$(cat "$T/flight-out/x")" = "later x, longer" ]; then ok "in flight: the later x won, as with tar"
	else fail "in flight: x is '$(cat "$T/flight-out/x")', tar -xf gives '$(cat "$T/flight-ref/x")'"; fi
	out=$(rsync -ani --checksum "$T/flight-ref/" "$T/flight-out/" 2>&1)
	if [ -n "$out" ]; then fail "in flight: rsync -ani --checksum finds differences:"; printf '%s\n' "$out" | head -20
	else ok "in flight: rsync -ani --checksum lists nothing against tar -xf"; fi
fi

# ---- a cancel part way, 2 threads: nothing swapped in ----
mkdir -p "$T/kept"; printf 'keep me\n' > "$T/kept/file"
if FILES_DRIVER_CANCEL_AFTER=3000 "$DRIVER" --progress --threads 2 "$A" "$T/kept" > "$T/out" 2>&1; then
	fail "the cancelled restore succeeded"
elif [ "$(cat "$T/kept/file")" = "keep me" ] && [ "$(ls "$T/kept")" = file ] && ! ls -d "$T"/kept.* >/dev/null 2>&1 &&
	grep -q "aborted" "$T/out" && grep -q "^PROGRESS copying" "$T/out"; then
	ok "a cancel in 2 threads while copying leaves the target and no staging tree"
else
	fail "after the cancel: $(ls -d "$T"/kept* 2>&1) $(cat "$T/out")"
fi

[ $fails = 0 ] || { echo "$fails failure(s)"; exit 1; }
exit 0
