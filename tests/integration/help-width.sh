#!/bin/sh
# help-width.sh: every command's --help (and the global one) fits a
# 80-column terminal: no line is longer than 79 columns.  The commands are
# those the global usage names, so a new command is checked too.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}
failed=0

cmds=$("$BISO_RECOVER" --help | sed -n 's/^ *\(Usage: \)\{0,1\}biso-recover \([a-z][a-z-]*\).*/\2/p' | sort -u)
[ -n "$cmds" ] || { echo "FAIL: no commands in biso-recover --help"; exit 1; }
for cmd in '' $cmds; do
	out=$("$BISO_RECOVER" $cmd --help 2>&1) || { echo "FAIL: biso-recover $cmd --help failed"; failed=1; continue; }
	long=$(printf '%s\n' "$out" | awk 'length($0) > 79 { printf "  %d columns: %s\n", length($0), $0 }')
	if [ -n "$long" ]; then
		echo "FAIL: biso-recover ${cmd:+$cmd }--help has lines longer than 79 columns:"
		printf '%s\n' "$long"
		failed=1
	else
		echo "ok: biso-recover ${cmd:+$cmd }--help fits 79 columns"
	fi
done
exit $failed
