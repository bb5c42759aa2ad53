#!/bin/sh
# bench/files.sh: the file restore engine against rsync, tar and bsdtar
# (issue 4).  Run by `make bench` (bench/run.sh) with BISO_RECOVER set to
# the built binary.
#
# A throw-away tree is made here: 100,000 small files (0.5-8 KiB) in nested
# folders and 20 files of 100 MB of random data (BENCH_QUICK=1: 10,000 and
# 4 x 20 MB).  Each comparison runs ours and theirs alternately
# (BENCH_RUNS times each, default 3), into a fresh target on the same disk,
# after `sync`; the ratio is median(ours) / median(theirs), target <= 1.00.
# Peak RSS comes from /usr/bin/time -f %M.  Finally the peak RSS of a
# directory restore of 1,000,000 empty files (BENCH_QUICK: 100,000) is
# measured against the 32 MiB target.
#
# Environment: BISO_RECOVER, BENCH_DIR (default: a new directory under
# /var/tmp, removed at the end), BENCH_QUICK, BENCH_RUNS, BENCH_SKIP_1M=1.
set -eu
: "${BISO_RECOVER:?set BISO_RECOVER to the biso-recover binary}"
QUICK=${BENCH_QUICK:-0}
RUNS=${BENCH_RUNS:-3}
for t in rsync tar bsdtar perl /usr/bin/time gzip; do
	command -v "$t" >/dev/null 2>&1 || { echo "files bench: SKIP, $t not installed"; exit 0; }
done
if [ "$QUICK" = 1 ]; then NSMALL=10000 NBIG=4 BIGMB=20 NHUGE=100000
else NSMALL=100000 NBIG=20 BIGMB=100 NHUGE=1000000; fi
W=${BENCH_DIR:-$(mktemp -d /var/tmp/biso-bench-files.XXXXXX)}
mkdir -p "$W"
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$W"' EXIT
LC_ALL=C.UTF-8; export LC_ALL

say() { echo "files bench: $*"; }

# ---- the tree ----
S=$W/src
if [ ! -f "$W/src.done" ]; then
	rm -rf "$S"; mkdir -p "$S"
	say "making $NSMALL small files and $NBIG files of $BIGMB MB in $S"
	perl -e '
		my ($root, $n) = @ARGV; srand(42);
		my $buf = join("", map { chr(32 + int(rand(95))) } 1 .. 8192);
		for my $i (0 .. $n - 1) {
			my $d = sprintf("%s/d%02d/e%02d", $root, $i % 50, int($i / 50) % 40);
			unless (-d $d) { system("mkdir", "-p", $d) == 0 or die; }
			open(my $f, ">", "$d/f$i.txt") or die "$d/f$i.txt: $!";
			print $f substr($buf, $i % 4096, 512 + ($i * 7919) % 7680);
			close($f);
		}' "$S/small" "$NSMALL"
	mkdir -p "$S/big"
	i=0
	while [ $i -lt "$NBIG" ]; do
		head -c "${BIGMB}M" /dev/urandom > "$S/big/att$i.bin"
		i=$((i + 1))
	done
	(cd "$S" && tar -cf "$W/src.tar" . && gzip -1 -c "$W/src.tar" > "$W/src.tar.gz")
	touch "$W/src.done"
fi
say "source: $(du -sh "$S" | cut -f1), $(find "$S" | wc -l) entries; tar $(du -h "$W/src.tar" | cut -f1), tar.gz $(du -h "$W/src.tar.gz" | cut -f1)"

# run NAME TARGET CMD...: one timed run into a fresh TARGET; prints "SECONDS KIB"
run() {
	name=$1 tgt=$2; shift 2
	rm -rf "$tgt" "$tgt".pre-restore-* "$tgt".restoring
	sync
	if ! /usr/bin/time -f "%e %M" -o "$W/time.$name" "$@" > "$W/out.$name" 2>&1; then
		say "$name failed:" >&2; tail -5 "$W/out.$name" >&2; echo "999 0"; return
	fi
	cat "$W/time.$name"
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ROWS=""
compare() { # LABEL THEIRS-NAME "OURS CMD" "THEIRS CMD"  (commands use $T as target)
	label=$1 tname=$2 ours=$3 theirs=$4
	: > "$W/ours.t"; : > "$W/theirs.t"; : > "$W/ours.m"; : > "$W/theirs.m"
	k=0
	while [ $k -lt "$RUNS" ]; do
		T=$W/t-ours; export T
		set -- $(run ours "$T" sh -c "$ours"); echo "$1" >> "$W/ours.t"; echo "$2" >> "$W/ours.m"
		T=$W/t-theirs; mkdir -p "$T"; export T
		set -- $(run theirs "$T" sh -c "mkdir -p \"\$T\" && $theirs"); echo "$1" >> "$W/theirs.t"; echo "$2" >> "$W/theirs.m"
		k=$((k + 1))
	done
	mo=$(median < "$W/ours.t"); mt=$(median < "$W/theirs.t")
	ro=$(sort -n "$W/ours.m" | tail -1); rt=$(sort -n "$W/theirs.m" | tail -1)
	ratio=$(awk -v a="$mo" -v b="$mt" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	verdict=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.00 ? "met" : "MISSED") }')
	line=$(printf '| %-28s | %-9s | %7.2f s | %7.2f s | %5s | %-6s | %6d KiB | %6d KiB |' \
		"$label" "$tname" "$mo" "$mt" "$ratio" "$verdict" "$ro" "$rt")
	echo "$line"
	ROWS="$ROWS$line
"
	rm -rf "$W/t-ours" "$W/t-theirs"
}

echo "| comparison                   | theirs    | ours      | theirs    | ratio | target | ours RSS   | their RSS  |"
echo "|------------------------------|-----------|-----------|-----------|-------|--------|------------|------------|"
compare "directory -> directory" "rsync -a" \
	"\"$BISO_RECOVER\" files-restore \"$S\" \"\$T\"" "rsync -a \"$S/\" \"\$T/\""
compare ".tar.gz -> directory" "tar -xzf" \
	"\"$BISO_RECOVER\" files-restore \"$W/src.tar.gz\" \"\$T\"" "tar -xzf \"$W/src.tar.gz\" -C \"\$T\""
compare ".tar -> directory" "bsdtar -xf" \
	"\"$BISO_RECOVER\" files-restore \"$W/src.tar\" \"\$T\"" "bsdtar -xf \"$W/src.tar\" -C \"\$T\""

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
		set -- $(run huge "$W/t-huge" "$BISO_RECOVER" files-restore "$src" "$W/t-huge")
		kib=$2
		verdict=$(awk -v k="$kib" 'BEGIN { print (k <= 32768 ? "met" : "MISSED") }')
		line=$(printf '| peak RSS, %d entries (%s) | %7.2f s | %6d KiB (%.1f MiB), target 32 MiB: %s |' \
			"$NHUGE" "$( [ -d "$src" ] && echo dir || echo tar)" "$1" "$kib" "$(awk -v k="$kib" 'BEGIN { print k / 1024 }')" "$verdict")
		echo "$line"
		ROWS="$ROWS$line
"
	done
	rm -rf "$W/t-huge"
fi
