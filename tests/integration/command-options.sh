#!/bin/bash
# command-options.sh: the options each command takes (its table, struct
# command.opts) are the options its --help lists, and those the man page's
# "options of each command" lists (English and German): an option in the
# table but in neither, or listed but refused, fails.  What a command takes
# is asked of the program itself: "biso-recover CMD --OPT[=1] --no-such-option"
# ends at the first usage error, "CMD does not take --OPT" when the table
# lacks it, else the unknown option's: nothing runs either way.  The
# options every command takes (--config, --help, --version: the global
# --help lists them) and the runner's internal ones (--runner, --ask-steps,
# --drill-root: in no --help) are left out of the comparison.  The wizard
# (no command) is compared with the global --help's Options.
set -uo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}
failed=0
fail() { echo "FAIL: $*"; failed=1; }
export LANG=C LC_ALL=C LANGUAGE=
left_out='^--(config|help|version|runner|ask-steps|drill-root)$'
opts() { sed 's/\\-/-/g' | grep -o -- '--[a-z][a-z-]*' | grep -Ev -- "$left_out" | sort -u; }

# every long option the program parses: ui/main.c's getopt table, with
# whether it takes a value
table=$(sed -n 's/^\t{ "\([a-z-]*\)", \(no\|required\)_argument,.*/\2 \1/p' "$top_srcdir/ui/main.c")
[ "$(echo "$table" | wc -l)" -gt 40 ] || { echo "FAIL: cannot read ui/main.c's options"; exit 1; }
# taken CMD: the options CMD (empty: the wizard) takes, one per line
taken() {
	local has opt out
	while read -r has opt; do
		if [ "$has" = required ]; then
			out=$("$BISO_RECOVER" ${1:+"$1"} "--$opt=1" --no-such-option 2>&1)
		else
			out=$("$BISO_RECOVER" ${1:+"$1"} "--$opt" --no-such-option 2>&1)
		fi
		[[ $out == *"does not take --$opt"* ]] || echo "--$opt"
	done <<<"$table"
}
# man PAGE CMD: the options the man page's list gives CMD (the line after
# ".B CMD", below the comment that marks the list, up to the next section)
man_opts() {
	awk -v cmd="$2" '
		/biso-recover-options-by-command/ { on = 1; next }
		/^\.S[HS]/ { on = 0 }
		on && want { print; want = 0 }
		on && $0 == ".B " cmd { want = 1 }' "$1" | opts
}

commands=$("$BISO_RECOVER" --help | sed -n 's/^\(Usage:\)\{0,1\} *biso-recover \([a-z][a-z-]*\).*/\2/p' | sort -u)
[ -n "$commands" ] || { echo "FAIL: no commands in --help"; exit 1; }
for cmd in '' $commands; do
	name=${cmd:-biso-recover}
	got=$(taken "$cmd" | opts)
	if [ -z "$cmd" ]; then
		want=$("$BISO_RECOVER" --help | sed -n '/^Options:/,$p' | opts)
	else
		want=$("$BISO_RECOVER" "$cmd" --help | opts)
	fi
	if [ "$got" != "$want" ]; then
		fail "$name: the options it takes are not those its --help lists (- help, + taken):"
		diff <(echo "$want") <(echo "$got") | grep '^[<>]' | sed 's/^</  -/;s/^>/  +/'
	fi
	for page in "$top_srcdir/share/biso-recover.1" "$top_srcdir/share/man/de/biso-recover.1"; do
		m=$(man_opts "$page" "$name")
		if [ "$m" != "$got" ]; then
			fail "$name: ${page#"$top_srcdir"/}'s options of each command differ (- man, + taken):"
			diff <(echo "$m") <(echo "$got") | grep '^[<>]' | sed 's/^</  -/;s/^>/  +/'
		fi
	done
done
# the probe itself: an option a command takes is not refused, and one it
# does not take is
[[ $(taken status) == *--follow* ]] || fail "status --follow is refused"
[[ $(taken db-inspect) != *--dump* ]] || fail "db-inspect --dump is taken"
[ $failed = 0 ] && echo "ok: each command takes exactly the options its --help and the man pages list"
exit $failed
