#!/bin/sh
# Integration test of the threaded directory copier (issues 12 and 17): a
# tree with hardlinked inodes whose names lie in different folders (2 to 5
# names, some excluded), symlinks, empty folders, excludes and deep nesting
# is copied with 1, 2 and 4 threads, in replace mode and as snapshots
# linked to an earlier one, and compared with `rsync -aH` of the same
# source: `rsync -ani --checksum -H --delete` must list nothing, and every
# hardlink group must be one inode (a group split into two inodes, which
# rsync -H alone may not list, fails here by name).
set -u
top_builddir=${top_builddir:-$(pwd)}
DRIVER=${FILES_DRIVER:-$top_builddir/tests/integration/files-driver}
command -v rsync >/dev/null 2>&1 || { echo "SKIP: rsync not installed"; exit 77; }
[ -x "$DRIVER" ] || { echo "FAIL: $DRIVER not built"; exit 1; }

T=$(mktemp -d /tmp/files-threads.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# ---- the source tree ----
S=$T/src
mkdir -p "$S"
d=0
while [ $d -lt 32 ]; do
	dir=$S/d$d
	mkdir -p "$dir/a" "$dir/b/c" "$dir/empty"
	f=0
	while [ $f -lt 15 ]; do
		printf 'file %s %s\n' $d $f > "$dir/a/f$f"
		printf 'other %s %s\n' $d $f > "$dir/b/c/g$f"
		f=$((f + 1))
	done
	printf 'log\n' > "$dir/x.log"
	ln -s a/f0 "$dir/ln"
	ln -s ../missing "$dir/ln-missing"
	touch -d "2020-01-0$((d % 9 + 1)) 10:00:00.$d" "$dir/a" "$dir"
	d=$((d + 1))
done
mkdir -p "$S/tmp/cache"; printf 'tmp\n' > "$S/tmp/cache/t"
deep=$S/deep; i=0
while [ $i -lt 60 ]; do deep=$deep/n$i; i=$((i + 1)); done
mkdir -p "$deep"; printf 'bottom\n' > "$deep/bottom"
# hardlink groups: inode g has 2 + g % 4 names in folders d((g + 5j) % 32);
# every fifth has a name ending in .log (excluded); group 0 also at the
# bottom of the deep chain
groups=$T/groups; : > "$groups"
g=0
while [ $g -lt 40 ]; do
	n=$((2 + g % 4)) j=0 first='' line=''
	while [ $j -lt $n ]; do
		name=d$(((g + 5 * j) % 32))/b/h$g-$j
		[ $((g % 5)) = 0 ] && [ $j = 1 ] && name=$name.log
		if [ -z "$first" ]; then first=$name; printf 'inode %s\n' $g > "$S/$name"
		else ln "$S/$first" "$S/$name"; fi
		case $name in *.log) ;; *) line="$line $name" ;; esac
		j=$((j + 1))
	done
	if [ $g = 0 ]; then
		ln "$S/$first" "$deep/h0"
		line="$line ${deep#"$S"/}/h0"
	fi
	echo "$line" >> "$groups"
	g=$((g + 1))
done
touch -d '2019-05-05 05:05:05.5' "$S"
# the same excludes for ours and rsync
drv() { "$DRIVER" --exclude '*.log' --exclude /tmp/ "$@"; }
rsync_ex() { rsync -aH --exclude='*.log' --exclude=/tmp/ "$@"; }
rsync_ex "$S/" "$T/ref/"

compare() { # REF OUT WHAT
	out=$(rsync -ani --checksum -H --delete "$1/" "$2/" 2>&1)
	if [ -n "$out" ]; then fail "$3: rsync -ani --checksum -H finds differences:"; printf '%s\n' "$out" | head -20
	else ok "$3: rsync -ani --checksum -H lists nothing"; fi
}
# every group one inode with as many links as names (twice as many where
# the inode is also the earlier snapshot $EARLIER's); $OUT: the copy
check_groups() { # WHAT
	bad=0
	while read -r line; do
		# shellcheck disable=SC2086
		set -- $line
		i1=$(stat -c %i "$OUT/$1") || { bad=1; continue; }
		cnt=0
		for name in "$@"; do
			i=$(stat -c %i "$OUT/$name") || { bad=1; continue; }
			[ "$i" = "$i1" ] || { echo "  $name: inode $i, $1: $i1 (the group is split)"; bad=1; }
			cnt=$((cnt + 1))
		done
		links=$(stat -c %h "$OUT/$1")
		if [ -n "$EARLIER" ] && [ "$(stat -c %i "$EARLIER/$1")" = "$i1" ]; then cnt=$((cnt * 2)); fi
		[ "$links" = "$cnt" ] || { echo "  $1: $links links, $cnt names"; bad=1; }
	done < "$groups"
	if [ $bad = 0 ]; then ok "$WHAT: every hardlink group is one inode"; else fail "$WHAT: hardlink groups differ"; fi
}

# ---- replace mode, 1, 2 and 4 threads ----
for n in 1 2 4; do
	if ! drv --threads $n "$S" "$T/out$n" > "$T/res$n" 2> "$T/err$n"; then
		fail "$n threads: the copy failed"; cat "$T/err$n"; continue
	fi
	compare "$T/ref" "$T/out$n" "$n threads"
	OUT=$T/out$n WHAT="$n threads" EARLIER=
	check_groups
	sed 's/ kept=.*//' "$T/res$n" > "$T/counts$n"
done
if cmp -s "$T/counts1" "$T/counts2" && cmp -s "$T/counts1" "$T/counts4"; then
	ok "the same counts with 1, 2 and 4 threads: $(cat "$T/counts1")"
else
	fail "counts differ: $(cat "$T/counts1" "$T/counts2" "$T/counts4" 2>/dev/null)"
fi

# ---- snapshots linked to an earlier one ----
for n in 1 2 4; do
	rm -rf "$T/snap1" "$T/snap2" "$T/src2"
	cp -a "$S" "$T/src2"
	drv --threads $n --snapshot "$T/src2" "$T/snap1" > "$T/out" 2>&1 ||
		{ fail "$n threads: first snapshot failed"; cat "$T/out"; continue; }
	# change 3 files and inode 7 (in place: still 2 + 7 % 4 = 5 names)
	for f in d3/a/f1 d17/b/c/g4 deep/n0/n1/n2/n3/n4/n5/n6/n7/n8/n9/n10/n11/n12/n13/n14/n15/n16/n17/n18/n19/n20/n21/n22/n23/n24/n25/n26/n27/n28/n29/n30/n31/n32/n33/n34/n35/n36/n37/n38/n39/n40/n41/n42/n43/n44/n45/n46/n47/n48/n49/n50/n51/n52/n53/n54/n55/n56/n57/n58/n59/bottom d7/b/h7-0; do
		printf 'changed in the source\n' > "$T/src2/$f"
	done
	if ! drv --threads $n --snapshot --link-dest "$T/snap1" "$T/src2" "$T/snap2" > "$T/out" 2>&1; then
		fail "$n threads: linked snapshot failed"; cat "$T/out"; continue
	fi
	rm -rf "$T/ref2"
	rsync_ex "$T/src2/" "$T/ref2/"
	compare "$T/ref2" "$T/snap2" "$n threads, linked snapshot"
	OUT=$T/snap2 WHAT="$n threads, linked snapshot" EARLIER=$T/snap1
	check_groups
	# 32 x 30 files + the deep one: all but the 3 changed linked, inode 7 not
	same=0 new=0
	for f in $(cd "$T/snap2" && find . -type f ! -name 'h*'); do
		if [ "$(stat -c %i "$T/snap2/$f")" = "$(stat -c %i "$T/snap1/$f" 2>/dev/null)" ]; then same=$((same + 1))
		else new=$((new + 1)); echo "$f" >> "$T/new$n"; fi
	done
	if [ $same = $((32 * 30 + 1 - 3)) ] && [ $new = 3 ]; then
		ok "$n threads: $same unchanged files share the earlier snapshot's inode, the 3 changed ones do not"
	else
		fail "$n threads: $same files linked, $new not (want $((32 * 30 - 2)) and 3): $(cat "$T/new$n")"
	fi
	i7=$(stat -c %i "$T/snap2/d7/b/h7-0") i7old=$(stat -c %i "$T/snap1/d7/b/h7-0")
	i8=$(stat -c %i "$T/snap2/d8/b/h8-0") i8old=$(stat -c %i "$T/snap1/d8/b/h8-0")
	if [ "$i7" != "$i7old" ] && [ "$i8" = "$i8old" ]; then
		ok "$n threads: the changed hardlinked inode is new, an unchanged one the earlier snapshot's"
	else
		fail "$n threads: inode 7 $i7 (earlier $i7old), inode 8 $i8 (earlier $i8old)"
	fi
	# every unchanged file and inode counted once as linked
	if grep -q "linked=$((32 * 30 + 1 - 3 + 39)) " "$T/out"; then ok "$n threads: linked count"
	else fail "$n threads: linked count: $(cat "$T/out")"; fi
done

[ $fails = 0 ] || { echo "$fails failure(s)"; exit 1; }
exit 0
