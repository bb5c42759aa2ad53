#!/bin/bash
# usage-width.sh: a usage error on a 80x24 terminal (script(1) gives one)
# is wrapped to it like every line-mode text (frontend_wrap()): no row wider
# than 79 columns but a path's, which stays whole on a row of its own, in
# English and in German (LANG=de_CH.UTF-8, po/de.po compiled).  The errors:
# backup-prune without a retention policy (a long sentence) and
# files-restore from a source that does not exist (a long path).  Without a
# terminal the text is as written, one line.
set -euo pipefail
top_srcdir=$(cd "${top_srcdir:-$(dirname "$0")/../..}" && pwd)
top_builddir=$(cd "${top_builddir:-.}" && pwd)
B=${BISO_RECOVER:-$top_builddir/biso-recover}
fail() { echo "FAIL: $*"; exit 1; }
command -v script >/dev/null || { echo "SKIP: script(1) not installed"; exit 77; }
command -v msgfmt >/dev/null || fail "msgfmt not installed (gettext)"
[ -x "$B" ] || fail "$B not built"
locale -a | grep -qix 'de_CH.utf-\?8' || fail "the de_CH.UTF-8 locale is missing (tools/deps.sh generates it)"
T=$(mktemp -d /tmp/usage-width.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/locale/de/LC_MESSAGES" "$T/backups"
msgfmt -o "$T/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po"
: > "$T/empty.conf"
missing=$T/Beratungsfaelle-2024-mit-einem-sehr-langen-Ordnernamen/archiv.tgz

# on_tty LANG ARGS...: biso-recover ARGS on a 80x24 terminal, its rows
# (the terminal's \r\n made \n) in $T/tty
on_tty() {
	local lang=$1 rc=0
	shift
	env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG="$lang" BISO_RECOVER_LOCALEDIR="$T/locale" \
		TERM=vt100 NO_COLOR=1 script -qec "stty cols 80 rows 24; $(printf '%q ' "$B" "$@")" \
		/dev/null < /dev/null > "$T/raw" 2>&1 || rc=$?
	tr -d '\r' < "$T/raw" > "$T/tty"
	[ "$rc" = 2 ] || { cat "$T/tty"; fail "biso-recover $*: exit $rc, expected 2 (a usage error)"; }
}
# fits CASE: no row of $T/tty wider than 79 columns but one that is a path
fits() {
	local long
	long=$(awk 'length($0) > 79 && $0 !~ /^\/[^ ]*$/' "$T/tty")
	[ -z "$long" ] || { cat "$T/tty"; fail "$1: rows wider than 79 columns: $long"; }
}

for lang in C.UTF-8 de_CH.UTF-8; do
	on_tty "$lang" backup-prune --config "$T/empty.conf" --backup-root "$T/backups"
	case $lang in
	C.*) grep -q "^biso-recover: no retention policy: give --keep-last" "$T/tty" &&
		grep -q "^Try 'biso-recover backup-prune --help'.$" "$T/tty" ;;
	*) grep -q "^biso-recover: keine Aufbewahrungsregel" "$T/tty" &&
		grep -q "^Mehr dazu: 'biso-recover backup-prune --help'.$" "$T/tty" ;;
	esac || { cat "$T/tty"; fail "[$lang] backup-prune: not the usage error expected"; }
	fits "[$lang] backup-prune"
	[ "$(wc -l < "$T/tty")" -gt 2 ] || { cat "$T/tty"; fail "[$lang] backup-prune: not wrapped"; }
	echo "ok: [$lang] backup-prune's usage error is wrapped to 79 columns"

	on_tty "$lang" files-restore "$missing" "$T/dst"
	grep -qx -- "$missing:\\? *" "$T/tty" || grep -qx -- "$missing" "$T/tty" ||
		{ cat "$T/tty"; fail "[$lang] files-restore: the source's path is not whole on a row of its own"; }
	fits "[$lang] files-restore"
	echo "ok: [$lang] files-restore's usage error keeps the path whole on a row, the rest within 79 columns"
done

# no terminal: one line, as written
rc=0
"$B" backup-prune --config "$T/empty.conf" --backup-root "$T/backups" > "$T/pipe" 2>&1 < /dev/null || rc=$?
[ "$rc" = 2 ] && [ "$(wc -l < "$T/pipe")" = 2 ] &&
	grep -q "^biso-recover: no retention policy: give .* or set retention in the configuration$" "$T/pipe" ||
	{ cat "$T/pipe"; fail "without a terminal: exit $rc, or the usage error is not one line and its Try line"; }
echo "ok: without a terminal the usage error is one line and its Try line"
