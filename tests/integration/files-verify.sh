#!/bin/sh
# biso-recover files-verify (issue 4, verification): a tree restored with
# files-restore is compared with its backup, from a directory and from a
# .tar.gz.  Untouched, it has 0 differences (exit 0).  Then it is changed
# the ways a tree goes wrong, each one found and named, nothing else:
#   one byte of a file changed, size and mtime kept (touch -r): invisible
#   without --checksum, exactly that file with it; a mode changed; a file
#   removed; an extra file (an extra *.log under --exclude '*.log' is left
#   alone, as rsync leaves excluded files on the receiving side); a
#   symlink pointing elsewhere; a name with a newline (printed as \#012,
#   as rsync prints it).  For the directory source the paths are the ones
#   `rsync -ani --checksum --delete` lists.  A directory replaced by a
#   symlink is reported and nothing behind the symlink is read.
# files-restore and files-verify agree on a backup named through a symlink.
set -u
top_builddir=${top_builddir:-$(pwd)}
B=${BISO_RECOVER:-$top_builddir/biso-recover}
[ -x "$B" ] || { echo "FAIL: $B not built"; exit 1; }
for tool in rsync tar gzip; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 77; }
done
T=$(mktemp -d /tmp/files-verify.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
NL='
'

S=$T/backup
mkdir -p "$S/sub/deep" "$S/empty"
printf '<?php echo 1;\n' > "$S/index.php"
printf 'secret=1\n' > "$S/sub/conf.ini"; chmod 600 "$S/sub/conf.ini"
printf 'old\n' > "$S/sub/old.txt"
head -c 65536 /dev/zero | tr '\0' a > "$S/sub/deep/data.bin"
printf 'odd\n' > "$S/weird${NL}name"
ln -s index.php "$S/link"
touch -d '2003-03-03 03:03:03.123456789' "$S/index.php" "$S/sub/deep/data.bin"
touch -d '2004-04-04 04:04:04' "$S/sub/deep" "$S/sub" "$S/empty" "$S"
(cd "$S" && tar -czf "$T/backup.tar.gz" .)

# verify SOURCE TARGET [options]: stdout without the summary line, hashes
# normalised, sorted, in $T/diffs; the summary in $T/summary; exit in $rc
verify() {
	src=$1 tgt=$2; shift 2
	"$B" files-verify "$@" "$src" "$tgt" > "$T/out" 2> "$T/err"; rc=$?
	tail -n 1 "$T/out" > "$T/summary"
	sed '$d' "$T/out" | sed 's/SHA-256 [0-9a-f]\{64\}, source [0-9a-f]\{64\}/SHA-256 differs/' |
		LC_ALL=C sort > "$T/diffs"
}
# expect WHAT RC LINE...: $T/diffs holds exactly LINE... and the exit was RC
expect() {
	what=$1 want_rc=$2; shift 2
	: > "$T/want"
	for l in "$@"; do printf '%s\n' "$l" >> "$T/want"; done
	LC_ALL=C sort -o "$T/want" "$T/want"
	n=$#
	if [ "$rc" -ne "$want_rc" ]; then
		fail "$what: exit $rc, expected $want_rc"; cat "$T/out" "$T/err"
	elif ! cmp -s "$T/want" "$T/diffs"; then
		fail "$what: the differences are not the expected ones:"; diff "$T/want" "$T/diffs"
	elif ! grep -q "^$n difference" "$T/summary"; then
		fail "$what: the count is not $n: $(cat "$T/summary")"
	else
		ok "$what: $(cat "$T/summary")"
	fi
}

for kind in dir tgz; do
	if [ $kind = dir ]; then src=$S/; else src=$T/backup.tar.gz; fi
	t=$T/t-$kind
	"$B" files-restore "$src" "$t" > /dev/null 2> "$T/err" || { fail "$kind: restore failed"; cat "$T/err"; continue; }

	verify "$src" "$t"; expect "$kind: untouched tree" 0
	verify "$src" "$t" --checksum; expect "$kind: untouched tree, --checksum" 0

	# one byte, same size and mtime
	touch -r "$t/sub/deep/data.bin" "$T/stamp"
	printf 'b' | dd of="$t/sub/deep/data.bin" bs=1 seek=40000 conv=notrunc 2>/dev/null
	touch -r "$T/stamp" "$t/sub/deep/data.bin"
	verify "$src" "$t"; expect "$kind: a changed byte is invisible without --checksum" 0
	verify "$src" "$t" --checksum
	expect "$kind: a changed byte is found by --checksum" 1 "sub/deep/data.bin: SHA-256 differs"

	# mode, removed file, extra files, symlink target, the odd name; the
	# directories' times put back, so that only the entries differ
	chmod 644 "$t/sub/conf.ini"
	chmod 640 "$t/weird${NL}name"
	rm "$t/sub/old.txt"
	printf 'new\n' > "$t/sub/extra.txt"
	printf 'log\n' > "$t/sub/debug.log"
	ln -sfn sub/conf.ini "$t/link"
	touch -r "$S/sub" "$t/sub"; touch -r "$S" "$t"
	verify "$src" "$t" --exclude '*.log'
	expect "$kind: mode, removed, extra, symlink, newline name" 1 \
		"link: symlink to sub/conf.ini, source to index.php" \
		"sub/conf.ini: mode 0644, source 0600" \
		"sub/extra.txt: not in the source (a file)" \
		"sub/old.txt: missing" \
		'weird\#012name: mode 0640, source 0644'
	verify "$src" "$t" --exclude '*.log' --checksum
	expect "$kind: the same with --checksum, plus the changed byte" 1 \
		"link: symlink to sub/conf.ini, source to index.php" \
		"sub/conf.ini: mode 0644, source 0600" \
		"sub/deep/data.bin: SHA-256 differs" \
		"sub/extra.txt: not in the source (a file)" \
		"sub/old.txt: missing" \
		'weird\#012name: mode 0640, source 0644'
	verify "$src" "$t"
	if grep -qx "sub/debug.log: not in the source (a file)" "$T/diffs"; then
		ok "$kind: an extra file counts unless excluded"
	else fail "$kind: sub/debug.log not reported without --exclude:"; cat "$T/diffs"; fi

	if [ $kind = dir ]; then
		# the same paths as rsync lists (deletions included), without the
		# excluded log file
		rsync -ani --checksum --delete --exclude '*.log' "$S/" "$t/" |
			sed -e 's/^[^ ]* *//' -e 's/ -> .*//' -e 's:/$::' | LC_ALL=C sort > "$T/rsync"
		verify "$src" "$t" --exclude '*.log' --checksum
		sed 's/: [^:]*$//' "$T/diffs" | LC_ALL=C sort > "$T/ours"
		if cmp -s "$T/rsync" "$T/ours"; then
			ok "dir: the paths are the ones rsync -ani --checksum --delete lists ($(wc -l < "$T/ours"))"
		else fail "dir: rsync -ani lists other paths:"; diff "$T/rsync" "$T/ours"; fi
	fi
done

# a directory replaced by a symlink: reported; what is behind it is not read
t=$T/t-dir
mv "$t/sub/deep" "$T/elsewhere"
ln -s "$T/elsewhere" "$t/sub/deep"
touch -h -r "$S/sub" "$t/sub"
verify "$S" "$t" --exclude '*.log' --checksum
if grep -qx "sub/deep: a symlink, source a directory" "$T/diffs" &&
   grep -qx "sub/deep/data.bin: missing (sub/deep is a symlink in the target)" "$T/diffs" &&
   ! grep -q "data.bin: SHA-256" "$T/diffs"; then
	ok "a directory replaced by a symlink is reported, nothing behind it is read"
else fail "symlinked directory:"; cat "$T/diffs"; fi

# a changed file with two names: both are named, as rsync names both
H=$T/hl-backup
mkdir -p "$H"
printf 'one\n' > "$H/a"; ln "$H/a" "$H/hard"
cp -a "$H" "$T/hl-target"
printf 'changed\n' > "$T/hl-target/a"; touch -r "$H/a" "$T/hl-target/a"
(cd "$H" && tar -cf "$T/hl.tar" .)
want=$(rsync -ani --checksum "$H/" "$T/hl-target/" | sed 's/^[^ ]* //' | LC_ALL=C sort | tr '\n' ' ')
for src in "$H" "$T/hl.tar"; do
	verify "$src" "$T/hl-target"
	got=$(sed 's/: .*//' "$T/diffs" | tr '\n' ' ')
	if [ "$rc" = 1 ] && [ "$got" = "$want" ] && grep -q ": the same file as .*, which differs" "$T/diffs"; then
		ok "a changed hardlinked file is named under both names, as rsync names them ($src)"
	else fail "hardlinked file from $src: got '$got', rsync '$want'"; cat "$T/diffs"; fi
done

# files-restore then files-verify agree (issue 9.10): a backup named
# through a symlink (backup/webroot/latest -> a dated copy), restored in
# each mode and from an archive, has 0 differences and is a directory
ln -s "$S" "$T/latest"
ln -s "$T/backup.tar.gz" "$T/latest.tar.gz"
for how in "dir:" "dir:--merge" "dir:--xattrs" "tgz:" "tgz:--merge"; do
	kind=${how%%:*} opt=${how#*:}
	if [ $kind = dir ]; then src=$T/latest; else src=$T/latest.tar.gz; fi
	t=$T/agree-$kind$opt
	if ! "$B" files-restore $opt "$src" "$t" > /dev/null 2> "$T/err"; then
		fail "restore of $kind through a symlink ${opt:-(replace)}:"; cat "$T/err"; continue
	fi
	verify "$src" "$t"
	if [ -L "$t" ] || [ ! -d "$t" ]; then fail "$kind ${opt:-(replace)} through a symlink: the target is not a directory: $(ls -ld "$t")"
	else expect "files-restore then files-verify, $kind through a symlink ${opt:-(replace)}" 0; fi
done

# a directory the archive names twice (tar -r): tar -xf gives it the later
# entry's mode and mtime, and files-verify compares with those (before: with
# the first entry's, a difference where there is none)
mkdir -p "$T/twice/dir"
printf 'in it\n' > "$T/twice/dir/f"
chmod 0755 "$T/twice/dir"; touch -d '2001-01-01 01:01:01' "$T/twice/dir" "$T/twice"
(cd "$T/twice" && tar -cf "$T/twice.tar" .)
chmod 0710 "$T/twice/dir"; touch -d '2005-05-05 05:05:05' "$T/twice/dir"
(cd "$T/twice" && tar -rf "$T/twice.tar" --no-recursion ./dir)
mkdir "$T/twice-x"
tar -xf "$T/twice.tar" -C "$T/twice-x"
verify "$T/twice.tar" "$T/twice-x"
expect "tar -xf of a directory named twice, files-verify against the archive" 0

# usage and errors
"$B" files-verify "$S" > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "one argument is a usage error (exit 2)" || fail "one argument: exit $rc"
"$B" files-verify "$S" "$T/no-such-tree" > /dev/null 2> "$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "no-such-tree" "$T/err"; then ok "a missing target cannot be compared (exit 2, not 1): $(head -1 "$T/err")"
else fail "missing target: exit $rc: $(cat "$T/err")"; fi
"$B" files-verify "$T/no-such-backup" "$S" > /dev/null 2> "$T/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "no-such-backup does not exist" "$T/err"; then ok "a missing source: exit 2"
else fail "missing source: exit $rc: $(cat "$T/err")"; fi
echo junk > "$T/junk.tgz"
head -c 100 "$T/backup.tar.gz" > "$T/cut.tar.gz"
"$B" files-verify "$T/junk.tgz" "$S" > /dev/null 2> "$T/err"; rc=$?
"$B" files-verify "$T/cut.tar.gz" "$S" > /dev/null 2>> "$T/err"; rc2=$?
if [ $rc -eq 2 ] && [ $rc2 -eq 2 ] && grep -q "junk.tgz is a text file" "$T/err" &&
   grep -q "cut.tar.gz is gzip-compressed data without a tar archive in it" "$T/err"; then
	ok "a text file or a cut-off .tar.gz as source: named for what it is, exit 2"
else fail "junk sources: exit $rc/$rc2: $(cat "$T/err")"; fi

[ $fails -eq 0 ] && { echo "PASS files-verify"; exit 0; }
echo "$fails failure(s)"; exit 1
