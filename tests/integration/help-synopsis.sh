#!/bin/bash
# help-synopsis.sh: every command's synopsis says the same in the global
# --help, the man page's SYNOPSIS (English and German) and README's command
# table (newcomer 8.27: the man page's db-restore lacked --no-check,
# backup-verify [OPTIONS], backup-prune [OPTIONS], which --help named).
# Compared: the set of options (--name) and whether [OPTIONS] (the instance
# options) is there.  A command whose synopsis has no [OPTIONS] must name
# every option its own --help lists.  README: the row that shows the
# command's synopsis (not the rows that show an example).
set -uo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}
failed=0
fail() { echo "FAIL: $*"; failed=1; }
export LANG=C LC_ALL=C LANGUAGE=
# tokens: the options and OPTIONS of stdin, sorted, on one line
tokens() { sed 's/\\-/-/g; s/OPTIONEN/OPTIONS/g' | grep -o -- '--[a-z][a-z-]*\|OPTIONS' | sort -u | tr '\n' ' '; }
help=$("$BISO_RECOVER" --help)
# global CMD: the synopsis lines of CMD in the global --help
global() {
	printf '%s\n' "$help" | awk -v cmd="$1" '
		$0 ~ "^(Usage: |       )biso-recover " cmd "( |$)" { on = 1; print; next }
		on && /^                    / { print; next }
		{ on = 0 }'
}
# man PAGE CMD: the SYNOPSIS entries of CMD (from .B biso-recover CMD to .br)
man_syn() {
	awk -v cmd="$2" '
		/^\.SH/ { syn = ($0 ~ /^\.SH (SYNOPSIS|ÜBERSICHT)/); on = 0; next }
		!syn { next }
		/^\.br/ { on = 0; next }
		$0 ~ "^\\.B biso-recover " cmd "( |$)" { on = 1 }
		on' "$1"
}
# readme CMD: the first cell of README's table row that shows CMD's synopsis
readme() {
	grep -o "^| \`biso-recover $1 [^|]*\(\\\\|[^|]*\)*|" "$top_srcdir/README.md" |
		sed 's/\\|/ /g' | awk '{ print length($0) "\t" $0 }' | sort -rn | head -n 1 | cut -f2-
}
for cmd in wizard restore rollback db-restore db-inspect cleanup status files-restore \
	files-verify backup backup-verify backup-list backup-prune refresh drill; do
	g=$(global "$cmd" | tokens)
	[ -n "$(global "$cmd")" ] || { fail "$cmd: no synopsis in the global --help"; continue; }
	m=$(man_syn "$top_srcdir/share/biso-recover.1" "$cmd" | tokens)
	d=$(man_syn "$top_srcdir/share/man/de/biso-recover.1" "$cmd" | tokens)
	[ "$m" = "$g" ] || fail "$cmd: the man page's SYNOPSIS has '$m', --help '$g'"
	[ "$d" = "$g" ] || fail "$cmd: the German man page's ÜBERSICHT has '$d', --help '$g'"
	case $cmd in
	# README's rows show examples of these, not the synopsis
	wizard|restore|db-inspect|files-restore) ;;
	*)	r=$(readme "$cmd" | tokens)
		[ "$r" = "$g" ] || fail "$cmd: README's command table has '$r', --help '$g'" ;;
	esac
	if [[ " $g " != *" OPTIONS "* ]]; then
		# the synopsis is the whole list: each option the help lists
		for o in $("$BISO_RECOVER" "$cmd" --help | grep -- '^  -' | tokens); do
			[ "$o" = --help ] && continue
			[[ " $g " == *" $o "* ]] || fail "$cmd: --help lists $o, its synopsis does not (nor [OPTIONS])"
		done
	fi
done
[ $failed = 0 ] && echo "ok: the synopses of --help, the man pages and README agree"
exit $failed
