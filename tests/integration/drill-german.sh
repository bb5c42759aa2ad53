#!/bin/sh
# drill-german.sh: the drill scenarios in the operator's language (issues 14
# and 15).  With LANG=de_CH.UTF-8 `drill --list` shows every shipped
# scenario's title in German, and a drill (02, the cut-off dump) tells its
# story, task, hints and debrief in German; with LANG=C the same in English;
# a scenario file of the site's own is shown as written.  Every line fits 80
# columns in both languages.  The catalogue is
# po/de.po as it is (compiled here, BISO_RECOVER_LOCALEDIR); the drill runs
# under script(1), which gives it the terminal it asks on, with the keys
# h, h, q.  Skips (77) without root, php, a PostgreSQL server or script.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
B=${BISO_RECOVER:-$top_builddir/biso-recover}
. "$top_srcdir/tests/lib/drill.sh"
drill_setup de # the installed layout in $T/share
command -v msgfmt >/dev/null 2>&1 || fail "msgfmt not installed (gettext)"
locale -a | grep -qix 'de_CH.utf-\?8' || fail "the de_CH.UTF-8 locale is missing (tools/deps.sh generates it)"
# the catalogue compiled
mkdir -p "$T/locale/de/LC_MESSAGES"
msgfmt -o "$T/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po"
export BISO_RECOVER_LOCALEDIR="$T/locale"

# br LANG ARGS...: biso-recover with only LANG choosing the language
br() {
	lang=$1
	shift
	env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG="$lang" "$B" "$@"
}
# drill LANG SCENARIO OUT: the drill with the keys h, h, q in a terminal (its
# CR LF line ends made LF)
drill() {
	rm -rf "$T/sb"
	printf 'h\nh\nq\n' | env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG="$1" \
		script -qec "'$B' drill --sandbox '$T/sb' '$2'" /dev/null 2>&1 | tr -d '\r' > "$3"
	grep -q 'q ' "$3" || { cat "$3"; fail "$1: drill $2 did not reach its menu"; }
}

# 1. --list: every title German, the English ones with LANG=C
br de_CH.UTF-8 drill --list > "$T/list.de" 2>&1 || { cat "$T/list.de"; fail "drill --list failed"; }
br C drill --list > "$T/list.c" 2>&1 || { cat "$T/list.c"; fail "drill --list failed with LANG=C"; }
head -n 1 "$T/list.de" | grep -q '^Szenarien ' || { cat "$T/list.de"; fail "drill --list is not German"; }
grep -q '^   1  01-walkthrough  *Einfache Wiederherstellung nach Totalausfall (der Rundgang)$' "$T/list.de" &&
	grep -q '^   2  02-cut-dump  *Der neueste Dump ist abgeschnitten$' "$T/list.de" ||
	{ cat "$T/list.de"; fail "the scenarios' titles are not German"; }
for f in "$top_srcdir"/share/drills/*.conf; do
	name=$(basename "$f" .conf)
	de=$(grep " $name " "$T/list.de")
	en=$(grep " $name " "$T/list.c")
	[ -n "$de" ] && [ -n "$en" ] || { cat "$T/list.de" "$T/list.c"; fail "$name is not listed"; }
	[ "$de" != "$en" ] || fail "the title of $name is English in German: $de"
done
grep -q '^   2  02-cut-dump  *The newest dump is cut off$' "$T/list.c" || { cat "$T/list.c"; fail "the titles are not English with LANG=C"; }
echo "ok: drill --list shows every scenario's title in German, in English with LANG=C"

# 2. a drill: story, task, hints and debrief in German
drill de_CH.UTF-8 02 "$T/02.de"
for want in '^Der neueste Dump ist abgeschnitten$' \
	'^Die nächtliche Sicherung lief, während die Sicherungsplatte voll wurde: der$' \
	'^Aufgabe: Die Datenbank aus dem letzten vollständigen Dump wiederherstellen (und$' \
	'Hinweis 1: Wiederherstellung mit --dry-run: der Plan listet die Dumps, neueste$' \
	"Hinweis 2: Dem neuesten Dump fehlt 'dump complete' am Schluss: abgeschnitten,$" \
	'^Ein von einer vollen Platte abgeschnittener Dump lässt sich bis zum Schnitt$' \
	'^Handbuch Sicherung: prüfen, dass der neueste Dump'; do
	grep -q "$want" "$T/02.de" || { cat "$T/02.de"; fail "no line matching '$want' in the German drill"; }
done
! grep -qE 'The nightly backup|Run a restore with|trailer|Backup manual' "$T/02.de" ||
	{ cat "$T/02.de"; fail "English scenario text in the German drill"; }
debrief=$(ls "$T"/sb/debrief-02-cut-dump*.txt 2>/dev/null | head -n 1)
[ -n "$debrief" ] && grep -q '^Ein von einer vollen Platte abgeschnittener Dump' "$debrief" ||
	fail "the debrief file is not German"
# every line fits 80 columns: the header (banner, title and clock were one
# line), the hints and the translations (longer) are broken between words.
# (The keys come from a pipe, not typed: no echo, no line end after the
# prompt "> ", so the answer's first line follows it; a terminal starts it
# on a line of its own.  A line naming a path of this test's directory is
# as long as the path.)
lines() { sed 's/^>  *//' "$1" | grep -vF "$T/"; }
width() { lines "$1" | LC_ALL=C.UTF-8 wc -L; }
width=$(width "$T/02.de")
[ "$width" -le 80 ] || { lines "$T/02.de"; fail "the German drill prints lines of $width columns, not 80"; }
echo "ok: the drill's story, task, hints and debrief in German"
drill C 02 "$T/02.c"
grep -q '^The nightly backup ran while the backup disk filled up: the newest dump$' "$T/02.c" &&
	grep -q "Hint 1: Run a restore with --dry-run: the plan lists the dumps, newest first\.$" "$T/02.c" &&
	grep -q "^A dump cut off by a full disk still gunzips up to the cut" "$T/02.c" ||
	{ cat "$T/02.c"; fail "the drill is not English with LANG=C"; }
width=$(width "$T/02.c")
[ "$width" -le 80 ] || { lines "$T/02.c"; fail "the drill prints lines of $width columns, not 80"; }
echo "ok: the same drill in English with LANG=C"

# 3. a scenario of the site's own: no translation, shown as written
cat > "$T/own.conf" <<'EOF'
title = "Our own drill";
story = "Written by the site's admin, in the words they chose.";
goal = "Quit.";
checks = ( { action = "maintenance-off"; why = "maintenance mode is on"; } );
hints = ( "Press q." );
EOF
drill de_CH.UTF-8 "$T/own.conf" "$T/own.de"
grep -q "^Written by the site's admin, in the words they chose\.$" "$T/own.de" &&
	grep -q 'Hinweis 1: Press q\.$' "$T/own.de" || { cat "$T/own.de"; fail "the site's own scenario is not shown as written"; }
echo "ok: a scenario of the site's own is shown as written"
echo "drill-german: ok"
