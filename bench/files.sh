#!/bin/sh
# bench/files.sh: the file restore engine against rsync, tar and bsdtar
# (issue 4).  Run by `make bench` (bench/run.sh) with BISO_RECOVER set to
# the built binary.
#
# Throw-away trees are made here: 100,000 small files (0.5-8 KiB) in nested
# folders of 50 and 20 files of 100 MB of random data; 100 folders of 1,000
# small files; 200 folders of 500 (BENCH_QUICK=1: a tenth of the files, 4 x
# 20 MB).  Each comparison runs ours and theirs BENCH_RUNS times each
# (default 3, at least 3), alternating which goes first, into a fresh
# target on the same disk.  Before every run the disk is settled, since
# this disk's speed varies tenfold between runs: `sync`, the page cache
# dropped where allowed (root; BENCH_DROP_CACHES=0 turns it off) or else
# the source's own pages evicted (posix_fadvise DONTNEED, python3), so
# both sides read a cold source as a restore does, then a wait until
# /proc/diskstats shows the disk idle for a second (at most 60 s).  The
# targets of a comparison are not removed between comparisons but moved
# aside (a rename frees no inode) and removed at the end; only when the
# disk has no room for the next comparison are they removed before it, and
# then it starts BENCH_DELETE_WAIT seconds (default 370) after the removal:
# ext4 without a journal does not reuse an inode freed less than 60 s ago,
# 360 s while its inode table block is dirty (and creating a file in that
# block dirties it), and to find another it looks at every such inode of
# the group on each create (ialloc.c, recently_deleted()), which made
# whichever side ran after a removal up to ten times slower in system time
# (65 s, the wait before the ninth session, was too short: bench/README.md).  Printed: min/median/max of
# each side, the ratio median(ours) / median(theirs), target <= 1.00, and
# the 1-minute load average before / after the comparison.
# Peak RSS comes from /usr/bin/time -f %M.  Finally the peak RSS of a
# directory restore of 1,000,000 empty files (BENCH_QUICK: 100,000) is
# measured against the 32 MiB target.
#
# Environment: BISO_RECOVER, BENCH_DIR (default: a new directory under
# /var/tmp, removed at the end), BENCH_QUICK, BENCH_RUNS, BENCH_SKIP_1M=1,
# BENCH_DROP_CACHES=0, BENCH_DELETE_WAIT, BENCH_ONLY=regex (labels of the
# comparisons to run).
set -eu
. "$(cd "$(dirname "$0")" && pwd)/lib.sh" # bench_tree
: "${BISO_RECOVER:?set BISO_RECOVER to the biso-recover binary}"
QUICK=${BENCH_QUICK:-0}
RUNS=${BENCH_RUNS:-3}
[ "$RUNS" -ge 3 ] || RUNS=3
for t in rsync tar bsdtar perl /usr/bin/time gzip; do
	command -v "$t" >/dev/null 2>&1 || { echo "files bench: SKIP, $t not installed"; exit 0; }
done
if [ "$QUICK" = 1 ]; then NSMALL=10000 NBIG=4 BIGMB=20 NHUGE=100000 NWIDE=10 NMID=20
else NSMALL=100000 NBIG=20 BIGMB=100 NHUGE=1000000 NWIDE=100 NMID=200; fi
W=${BENCH_DIR:-$(mktemp -d /var/tmp/biso-bench-files.XXXXXX)}
mkdir -p "$W"
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$W"' EXIT
LC_ALL=C.UTF-8; export LC_ALL

say() { echo "files bench: $*"; }
# wanted LABEL: is the comparison LABEL to run (BENCH_ONLY)?
wanted() { [ -z "${BENCH_ONLY:-}" ] || echo "$1" | grep -Eq "$BENCH_ONLY"; }
SRCS=""

# ---- the tree ----
S=$W/src
if ! wanted "directory -> directory" && ! wanted ".tar.gz -> directory" && ! wanted ".tar -> directory"; then
	: # the nested tree is not needed
elif [ ! -f "$W/src.done" ]; then
	rm -rf "$S"; mkdir -p "$S"
	say "making $NSMALL small files and $NBIG files of $BIGMB MB in $S"
	bench_tree "$S/small" "$NSMALL"
	mkdir -p "$S/big"
	i=0
	while [ $i -lt "$NBIG" ]; do
		head -c "${BIGMB}M" /dev/urandom > "$S/big/att$i.bin"
		i=$((i + 1))
	done
	(cd "$S" && tar -cf "$W/src.tar" . && gzip -1 -c "$W/src.tar" > "$W/src.tar.gz")
	touch "$W/src.done"
fi
[ ! -f "$W/src.done" ] || say "source: $(du -sh "$S" | cut -f1), $(find "$S" | wc -l) entries; tar $(du -h "$W/src.tar" | cut -f1), tar.gz $(du -h "$W/src.tar.gz" | cut -f1)"

# flat DIR FOLDERS FILES: FOLDERS folders of FILES small files (0.5-8 KiB)
# each, written in order (f0, f1, ...) as a web application's uploads are,
# with DIR.tar.gz of it
flat() {
	if [ ! -f "$1.done" ]; then
		rm -rf "$1"; mkdir -p "$1"
		say "making $2 folders of $3 files in $1"
		perl -e '
			my ($root, $nd, $nf) = @ARGV; srand(42);
			my $buf = join("", map { chr(32 + int(rand(95))) } 1 .. 8192);
			my $i = 0;
			for my $d (0 .. $nd - 1) {
				my $dir = sprintf("%s/d%03d", $root, $d);
				mkdir $dir or die "$dir: $!";
				for my $f (0 .. $nf - 1) {
					open(my $fh, ">", "$dir/f$f.txt") or die "$dir/f$f.txt: $!";
					print $fh substr($buf, $i % 4096, 512 + ($i * 7919) % 7680);
					close($fh);
					$i++;
				}
			}' "$1" "$2" "$3"
		(cd "$1" && tar -cf - . | gzip -1 > "$1.tar.gz")
		touch "$1.done"
	fi
}
for tree in "wide:$NWIDE:1000:$NWIDE x 1,000" "mid:$NMID:500:$NMID x 500"; do
	IFS=: read -r n nd nf shape <<EOF_TREE
$tree
EOF_TREE
	if wanted "dir, $shape files" || wanted ".tar.gz, $shape files"; then flat "$W/$n" "$nd" "$nf"; fi
done

# settle SOURCE...: flush, drop the cache (or the sources' pages), wait
# until the disk is idle
DEV=$(df -P "$W" | awk 'NR == 2 { print $1 }' | sed 's|^/dev/||')
settle() {
	sync
	if [ "${BENCH_DROP_CACHES:-1}" = 1 ] && [ -w /proc/sys/vm/drop_caches ] &&
	   (echo 3 > /proc/sys/vm/drop_caches) 2>/dev/null; then
		:
	elif command -v python3 >/dev/null 2>&1; then
		python3 -c '
import os, sys
for root in sys.argv[1:]:
    files = [root] if os.path.isfile(root) else (os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
    for p in files:
        try:
            fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)' "$@"
	fi
	n=0 last=""
	while [ $n -lt 60 ]; do
		now=$(awk -v d="$DEV" '$3 == d { print $6, $10, $12 }' /proc/diskstats)
		[ -n "$now" ] && [ "$now" = "$last" ] && break
		last=$now
		sleep 1
		n=$((n + 1))
	done
}

# remove TREE...: remove trees and note when (see delete_wait)
REMOVED=0
remove() {
	gone=1
	for t in "$@"; do [ ! -e "$t" ] || gone=0; done
	rm -rf "$@"
	sync
	[ $gone = 1 ] || REMOVED=$(date +%s)
}
# delete_wait: wait until BENCH_DELETE_WAIT seconds have passed since the
# last remove (ext4 without a journal skips recently freed inodes, slowly)
delete_wait() {
	left=$(( REMOVED + ${BENCH_DELETE_WAIT:-370} - $(date +%s) ))
	[ "$left" -le 0 ] || { say "waiting ${left}s: inodes freed less than 6 minutes ago slow down every create"; sleep "$left"; }
}
# park TREE...: move trees aside, into $W/parked, without freeing an inode
PARKED=0
park() {
	mkdir -p "$W/parked"
	for t in "$@"; do
		[ ! -e "$t" ] || { PARKED=$((PARKED + 1)); mv "$t" "$W/parked/$PARKED"; }
	done
}
# room SOURCE: remove the parked trees (see delete_wait) when the disk has
# no room for 2 x RUNS copies of what SOURCE unpacks to (its tree, or 4
# times an archive without one) and a GiB more
room() {
	src=$1
	case $src in *.tar.gz) [ -d "${src%.tar.gz}" ] && src=${src%.tar.gz} ;; *.tar) [ -d "${src%.tar}" ] && src=${src%.tar} ;; esac
	kib=$(du -sk "$src" | cut -f1)
	[ -d "$src" ] || kib=$((kib * 4))
	avail=$(df -Pk "$W" | awk 'NR == 2 { print $4 }')
	[ "$avail" -ge $((kib * 2 * RUNS + 1048576)) ] || remove "$W/parked"
}

# run NAME TARGET CMD...: one timed run into TARGET (which must not exist),
# after settle (of $SRCS); prints "SECONDS KIB"
run() {
	name=$1 tgt=$2; shift 2
	settle $SRCS
	if ! /usr/bin/time -f "%e %M" -o "$W/time.$name" "$@" > "$W/out.$name" 2>&1; then
		say "$name failed:" >&2; tail -5 "$W/out.$name" >&2; echo "999 0"; return
	fi
	cat "$W/time.$name"
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# "min/median/max" of the numbers on stdin
mmm() { sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f/%.2f/%.2f", v[1], m, v[NR] }'; }

ROWS=""
compare() { # LABEL THEIRS-NAME SOURCE "OURS CMD" "THEIRS CMD"  (commands use $T as target)
	label=$1 tname=$2 SRCS=$3 ours=$4 theirs=$5
	wanted "$label" || return 0
	: > "$W/ours.t"; : > "$W/theirs.t"; : > "$W/ours.m"; : > "$W/theirs.m"
	park "$W"/t-ours-* "$W"/t-theirs-*
	room "$SRCS"
	delete_wait
	load0=$(cut -d' ' -f1 /proc/loadavg)
	k=0
	while [ $k -lt "$RUNS" ]; do
		# alternate who goes first: a disk that slows down or speeds up
		# during the comparison favours neither side
		for side in $( [ $((k % 2)) -eq 0 ] && echo "ours theirs" || echo "theirs ours"); do
			T=$W/t-$side-$k; export T
			if [ $side = ours ]; then
				set -- $(run ours "$T" sh -c "$ours")
			else
				set -- $(run theirs "$T" sh -c "mkdir -p \"\$T\" && $theirs")
			fi
			echo "$1" >> "$W/$side.t"; echo "$2" >> "$W/$side.m"
		done
		k=$((k + 1))
	done
	mo=$(median < "$W/ours.t"); mt=$(median < "$W/theirs.t")
	ro=$(sort -n "$W/ours.m" | tail -1); rt=$(sort -n "$W/theirs.m" | tail -1)
	ratio=$(awk -v a="$mo" -v b="$mt" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	verdict=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.00 ? "met" : "MISSED") }')
	line=$(printf '| %-30s | %-9s | %-20s | %-20s | %5s | %-6s | %6d KiB | %6d KiB | %-11s |' \
		"$label" "$tname" "$(mmm < "$W/ours.t")" "$(mmm < "$W/theirs.t")" "$ratio" "$verdict" "$ro" "$rt" \
		"$load0/$(cut -d' ' -f1 /proc/loadavg)")
	echo "$line"
	ROWS="$ROWS$line
"
	park "$W"/t-ours-* "$W"/t-theirs-*
}

echo "| comparison                     | theirs    | ours s min/med/max   | theirs s min/med/max | ratio | target | ours RSS   | their RSS  | load        |"
echo "|--------------------------------|-----------|----------------------|----------------------|-------|--------|------------|------------|-------------|"
compare "directory -> directory" "rsync -a" "$S" \
	"\"$BISO_RECOVER\" files-restore \"$S\" \"\$T\"" "rsync -a \"$S/\" \"\$T/\""
compare ".tar.gz -> directory" "tar -xzf" "$W/src.tar.gz" \
	"\"$BISO_RECOVER\" files-restore \"$W/src.tar.gz\" \"\$T\"" "tar -xzf \"$W/src.tar.gz\" -C \"\$T\""
compare ".tar -> directory" "bsdtar -xf" "$W/src.tar" \
	"\"$BISO_RECOVER\" files-restore \"$W/src.tar\" \"\$T\"" "bsdtar -xf \"$W/src.tar\" -C \"\$T\""
for tree in "wide:$NWIDE x 1,000" "mid:$NMID x 500"; do
	n=${tree%%:*} shape=${tree#*:}
	compare "dir, $shape files" "rsync -a" "$W/$n" \
		"\"$BISO_RECOVER\" files-restore \"$W/$n\" \"\$T\"" "rsync -a \"$W/$n/\" \"\$T/\""
	compare ".tar.gz, $shape files" "tar -xzf" "$W/$n.tar.gz" \
		"\"$BISO_RECOVER\" files-restore \"$W/$n.tar.gz\" \"\$T\"" "tar -xzf \"$W/$n.tar.gz\" -C \"\$T\""
done

# ---- peak RSS with many entries ----
if [ "${BENCH_SKIP_1M:-0}" != 1 ]; then
	H=$W/huge
	if [ ! -f "$W/huge.done" ]; then
		say "making $NHUGE empty files in $H"
		rm -rf "$H"
		perl -e '
			my ($root, $n) = @ARGV;
			for my $i (0 .. $n - 1) {
				my $d = sprintf("%s/h%03d", $root, int($i / 1000));
				unless ($i % 1000) { system("mkdir", "-p", $d) == 0 or die; }
				open(my $f, ">", "$d/$i") or die; close($f);
			}' "$H" "$NHUGE"
		(cd "$H" && tar -cf "$W/huge.tar" .)
		touch "$W/huge.done"
	fi
	for src in "$H" "$W/huge.tar"; do
		SRCS=$src
		park "$W/t-huge"
		delete_wait
		set -- $(run huge "$W/t-huge" "$BISO_RECOVER" files-restore "$src" "$W/t-huge")
		kib=$2
		verdict=$(awk -v k="$kib" 'BEGIN { print (k <= 32768 ? "met" : "MISSED") }')
		line=$(printf '| peak RSS, %d entries (%s) | %7.2f s | %6d KiB (%.1f MiB), target 32 MiB: %s |' \
			"$NHUGE" "$( [ -d "$src" ] && echo dir || echo tar)" "$1" "$kib" "$(awk -v k="$kib" 'BEGIN { print k / 1024 }')" "$verdict")
		echo "$line"
		ROWS="$ROWS$line
"
	done
	park "$W/t-huge"
fi
remove "$W/parked"
