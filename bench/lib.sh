# bench/lib.sh: what the benchmarks share (sourced; POSIX sh, perl).
#   bench_tree DIR N   N small files (512 B to 8 KiB of printable bytes, the
#                      same every time: srand 42) in DIR/dNN/eNN, 50 x 40
#                      directories: an attachments tree for seal.sh,
#                      backup.sh and files.sh

bench_tree() {
	perl -e '
		my ($root, $n) = @ARGV; srand(42);
		my $buf = join("", map { chr(32 + int(rand(95))) } 1 .. 8192);
		for my $i (0 .. $n - 1) {
			my $d = sprintf("%s/d%02d/e%02d", $root, $i % 50, int($i / 50) % 40);
			unless (-d $d) { system("mkdir", "-p", $d) == 0 or die; }
			open(my $f, ">", "$d/f$i.txt") or die "$d/f$i.txt: $!";
			print $f substr($buf, $i % 4096, 512 + ($i * 7919) % 7680);
			close($f);
		}' "$1" "$2"
}
