#!/bin/sh
# man-de.sh: the German man page (share/man/de/biso-recover.1) keeps up with
# the English one (share/biso-recover.1): every section and subsection of
# the English page has its German counterpart (the table below names it;
# a new English section without a row here fails too), every command of the
# English synopsis is in the German one, and every option the English
# OPTIONS and section texts list as a .TP item is a .TP item of the German
# page.  Both pages format without warnings.
set -eu
src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
en=$src/share/biso-recover.1
de=$src/share/man/de/biso-recover.1
fail=0
bad() { echo "man-de: FAIL: $*"; fail=1; }

# English heading|German heading, one per line
map='NAME|BEZEICHNUNG
SYNOPSIS|ÜBERSICHT
DESCRIPTION|BESCHREIBUNG
STEPS|SCHRITTE
KEPT COPIES|AUFBEWAHRTE KOPIEN
RESUME|FORTSETZEN
STATUS|STATUS
FILE TREES|DATEIBÄUME
DRILLS|ÜBUNGEN
BACKUPS|SICHERUNGEN
Scheduling|Zeitplan
REFRESH|TESTSYSTEM AUFFRISCHEN
ROLLBACK|ZURÜCKROLLEN
DETACHED RUNS|ABGEKOPPELTE LÄUFE
OPTIONS|OPTIONEN
Options of each command|Optionen der einzelnen Befehle
EXIT STATUS|EXIT-STATUS
FILES|DATEIEN
PASSWORDS|PASSWÖRTER
ENVIRONMENT|UMGEBUNG
SIGNALS|SIGNALE
SEE ALSO|SIEHE AUCH'

headings() { sed -n 's/^\.S[HS] *//p' "$1" | sed 's/^"\(.*\)"$/\1/'; }
headings "$en" > "${TMPDIR:-/tmp}/man-de.en.$$"
headings "$de" > "${TMPDIR:-/tmp}/man-de.de.$$"
trap 'rm -f "${TMPDIR:-/tmp}/man-de."*".$$"' EXIT
while IFS= read -r h; do
	g=$(printf '%s\n' "$map" | awk -F'|' -v h="$h" '$1 == h { print $2 }')
	if [ -z "$g" ]; then
		bad "the English section \"$h\" has no German name in man-de.sh's table (add it, and the section to $de)"
	elif ! grep -qxF "$g" "${TMPDIR:-/tmp}/man-de.de.$$"; then
		bad "the English section \"$h\" has no German counterpart \"$g\" in the German page"
	fi
done < "${TMPDIR:-/tmp}/man-de.en.$$"

# the commands of the synopsis: ".B biso-recover WORD"
cmds() { sed -n '/^\.SH \(SYNOPSIS\|ÜBERSICHT\)/,/^\.SH/p' "$1" | sed -n 's/^\.B biso-recover \([a-z][a-z-]*\).*/\1/p' | sort -u; }
for c in $(cmds "$en"); do
	cmds "$de" | grep -qx "$c" || bad "the command $c of the English synopsis is not in the German one"
done

# options as .TP items: the line after .TP starts with .B(R) \-\-NAME
opts() { awk '/^\.TP/ { getline; print }' "$1" | grep -o '^\.BR\? \\-\\-[a-z\\-]*' | sed 's/^\.BR\? //; s/\\//g' | sort -u; }
for o in $(opts "$en"); do
	opts "$de" | grep -qx -- "$o" || bad "the option $o of the English page is not an item of the German one"
done

command -v man >/dev/null || { echo "man-de: FAIL: man (man-db) is not installed"; exit 1; }
# in UTF-8, and as man renders them without a locale (LANG unset: ASCII, as
# in the package test's fresh root, where a \[u2026] had no glyph)
for p in "$en" "$de"; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$p" 2>&1 >/dev/null || true)
	[ -z "$w" ] || bad "$p: man --warnings: $w"
	w=$(env -u LANG -u LANGUAGE -u LC_CTYPE LC_ALL=C MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null || true)
	[ -z "$w" ] || bad "$p: man --warnings (LC_ALL=C): $w"
done
[ "$fail" = 0 ] && echo "man-de: ok"
exit "$fail"
