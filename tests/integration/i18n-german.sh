#!/bin/bash
# i18n-german.sh: the German user interface (issue 15, src/core/i18n.h).
# LANG=de_CH.UTF-8 (and de_DE, de_AT) prints the cleanup list, its counts
# (ngettext: 1 Kopie, 2 Kopien) and an error with its hint in German;
# LANG=C, en_US and a language without a catalogue (fr_FR, its locale
# installed) print English; and the run log of the German run stays English
# (the error's English text, strerror in English too).  The catalogue is po/de.po as it
# is, compiled here and found through BISO_RECOVER_LOCALEDIR.  No database
# server: the conninfo names a socket directory that does not exist.
set -euo pipefail
top_srcdir=$(cd "${top_srcdir:-$(dirname "$0")/../..}" && pwd)
top_builddir=$(cd "${top_builddir:-.}" && pwd)
B=${BISO_RECOVER:-$top_builddir/biso-recover}
fail() { echo "FAIL: $*"; exit 1; }
. "$top_srcdir/tests/lib/match.sh" # text_has
[ -x "$B" ] || fail "$B not built"
command -v msgfmt >/dev/null || fail "msgfmt not installed (gettext)"
text_has "$(locale -a)" -ix 'de_CH.utf-\?8' || fail "the de_CH.UTF-8 locale is missing (tools/deps.sh generates it)"
T=$(mktemp -d /tmp/i18n-german.XXXXXX)
trap 'rm -rf "$T"' EXIT

mkdir -p "$T/locale/de/LC_MESSAGES" "$T/log"
msgfmt -o "$T/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po"
export BISO_RECOVER_LOCALEDIR=$T/locale
W=$T/live/webroot
mkdir -p "$W" "$W.pre-restore-20250101_000000" "$W.pre-restore-20250102_000000" "$W.pre-restore-20250103_000000"
printf 'webroot = "%s";\nlog_dir = "%s";\n' "$W" "$T/log" > "$T/conf"
inst=(--config "$T/conf" --datadir "$W/data" --dbname "host=$T/nosuchdir dbname=biso user=biso")

# run LANG CMD...: biso-recover with only LANG choosing the language
run() {
	local lang=$1
	shift
	env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG="$lang" "$B" "$@"
}

# 1. cleanup --dry-run: the list and the count, German and English
# (every locale must exist: glibc leaves a missing one at C, which would
# pass for English without testing anything; tools/deps.sh generates them)
for lang in de_DE.UTF-8 de_AT.UTF-8 en_US.UTF-8 fr_FR.UTF-8; do
	text_has "$(locale -a)" -ix "${lang%.UTF-8}.utf-\?8" || fail "the $lang locale is missing (tools/deps.sh generates it)"
done
for lang in de_CH.UTF-8 de_DE.UTF-8 de_AT.UTF-8; do
	run "$lang" cleanup --dry-run "${inst[@]}" 3 > "$T/one.out" 2>&1 || { cat "$T/one.out"; fail "$lang: cleanup 3 failed"; }
	run "$lang" cleanup --dry-run "${inst[@]}" all > "$T/all.out" 2>&1 || { cat "$T/all.out"; fail "$lang: cleanup all failed"; }
	grep -q '^  #  Kopie von  .*erstellt  .*Alter  .*Grösse$' "$T/one.out" &&
		grep -q '(neueste: bleibt)$' "$T/one.out" && grep -q '^Würde 1 Kopie entfernen (' "$T/one.out" &&
		grep -q '^Würde 2 Kopien entfernen (' "$T/all.out" && grep -q '^--dry-run: nichts wurde entfernt$' "$T/all.out" ||
		{ cat "$T/one.out" "$T/all.out"; fail "$lang: the cleanup list and counts are not German"; }
	echo "ok: $lang: cleanup in German (1 Kopie, 2 Kopien)"
done
for lang in C C.UTF-8 en_US.UTF-8 fr_FR.UTF-8; do
	run "$lang" cleanup --dry-run "${inst[@]}" all > "$T/all.out" 2>&1 || { cat "$T/all.out"; fail "$lang: cleanup all failed"; }
	grep -q '^  #  copy of  .*taken  .*age  .*size$' "$T/all.out" && grep -q '^Would remove 2 copies (' "$T/all.out" &&
		! grep -q 'Kopie' "$T/all.out" || { cat "$T/all.out"; fail "$lang: cleanup is not English"; }
	echo "ok: $lang: cleanup in English"
done

# 2. An error with its hint: German on the terminal, English in the run log.
rm -f "$T/log/"*
if run de_CH.UTF-8 restore --yes "${inst[@]}" --backup-root "$T/nobackup" > "$T/de.out" 2>&1; then
	cat "$T/de.out"; fail "restore from a missing backup root succeeded"
fi
grep -q "das Sicherungs-Wurzelverzeichnis $T/nobackup kann nicht gelesen werden" "$T/de.out" &&
	grep -q '^HINWEIS: das Verzeichnis angeben, das webroot/, data/ und db/ enthält (--backup-root)$' "$T/de.out" ||
	{ cat "$T/de.out"; fail "the error of the German run is not German"; }
log=$(ls "$T/log/"biso-recover-*.log)
grep -q "ERROR cannot read backup root $T/nobackup: No such file or directory$" "$log" ||
	{ cat "$log"; fail "the run log does not have the English error"; }
! grep -Eq 'kann nicht|HINWEIS|Verzeichnis angeben|nicht gefunden|Sicherung' "$log" ||
	{ cat "$log"; fail "German in the run log of a German run"; }
echo "ok: an error in German on the terminal, in English in the run log"
run C restore --yes "${inst[@]}" --backup-root "$T/nobackup" > "$T/c.out" 2>&1 || true
grep -q "cannot read backup root $T/nobackup: No such file or directory" "$T/c.out" &&
	grep -q '^HINT: give the directory that holds webroot/, data/ and db/ (--backup-root)$' "$T/c.out" ||
	{ cat "$T/c.out"; fail "the error of the LANG=C run is not English"; }
echo "ok: the same error in English with LANG=C"

# 3. A configuration error (libconfig file, src/instance/conf.c) in German.
printf 'webroot = "%s";\nno_such_key = 1;\n' "$W" > "$T/bad.conf"
run de_CH.UTF-8 cleanup --dry-run --config "$T/bad.conf" > "$T/conf.out" 2>&1 && fail "an unknown key was accepted"
grep -q 'no_such_key: unbekannter Schlüssel$' "$T/conf.out" &&
	grep -q '^HINWEIS: Schlüssel der obersten Ebene: ' "$T/conf.out" ||
	{ cat "$T/conf.out"; fail "the configuration error is not German"; }
echo "ok: a configuration error in German"

# 4. --help (the global usage of the dispatcher) and a usage error: German
#    within 80 columns, English with LANG=C.
run de_CH.UTF-8 --help > "$T/help.de"
run C --help > "$T/help.c"
text_has "$(head -n 1 "$T/help.de")" -x 'Aufruf:' && grep -q '^Optionen:$' "$T/help.de" &&
	grep -q '^  --dry-run              Plan und Befehle für die Handarbeit ausgeben, nichts$' "$T/help.de" ||
	{ cat "$T/help.de"; fail "--help is not German"; }
grep -q '^Usage: biso-recover' "$T/help.c" && grep -q '^Options:$' "$T/help.c" ||
	{ cat "$T/help.c"; fail "--help with LANG=C is not English"; }
width=$(LC_ALL=C.UTF-8 wc -L < "$T/help.de")
[ "$width" -le 80 ] || { cat "$T/help.de"; fail "the German --help is $width columns wide, not 80"; }
run de_CH.UTF-8 restore --jobs x > "$T/usage.de" 2>&1 && fail "--jobs x was accepted"
grep -qx "biso-recover: --jobs nimmt eine Zahl von 0 (alle Kerne) bis 64, nicht 'x'" "$T/usage.de" &&
	grep -qx "Mehr dazu: 'biso-recover restore --help'." "$T/usage.de" ||
	{ cat "$T/usage.de"; fail "the usage error is not German"; }
run de_CH.UTF-8 cleanup --help > "$T/chelp.de"
text_has "$(head -n 1 "$T/chelp.de")" '^Aufruf: biso-recover cleanup ' && grep -q '^  KOPIE  ' "$T/chelp.de" ||
	{ cat "$T/chelp.de"; fail "cleanup --help is not German"; }
width=$(LC_ALL=C.UTF-8 wc -L < "$T/chelp.de")
[ "$width" -le 80 ] || fail "the German cleanup --help is $width columns wide, not 80"
echo "ok: --help, cleanup --help and a usage error in German, --help in English with LANG=C"
# Every command of the global usage has its own --help in German, within
# 80 columns; and no explanation of a command in the global usage stays
# English (the command tables' texts are msgids: N_() in ui/cmd_*.c).
cmds=$(sed -n 's/^\(Usage:\)\{0,1\} *biso-recover \([a-z][a-z-]*\).*/\2/p' "$T/help.c" | sort -u)
[ -n "$cmds" ] || { cat "$T/help.c"; fail "no command found in --help"; }
for cmd in $cmds; do
	run de_CH.UTF-8 "$cmd" --help > "$T/cmd.de" 2>&1 || { cat "$T/cmd.de"; fail "$cmd --help failed"; }
	run C "$cmd" --help > "$T/cmd.c" 2>&1 || { cat "$T/cmd.c"; fail "$cmd --help failed with LANG=C"; }
	text_has "$(head -n 1 "$T/cmd.de")" "^Aufruf: biso-recover $cmd" || { cat "$T/cmd.de"; fail "$cmd --help is not German"; }
	text_has "$(head -n 1 "$T/cmd.c")" "^Usage: biso-recover $cmd" || { cat "$T/cmd.c"; fail "$cmd --help is not English with LANG=C"; }
	# a line of prose (three words or more) the same in both is untranslated
	same=$(grep -Fxf "$T/cmd.c" "$T/cmd.de" | grep -E '[a-z]{3,} [a-z]{2,} [a-z]{2,}' | grep -v '^ *--' || true)
	[ -z "$same" ] || fail "$cmd --help: English lines in the German help: $same"
	width=$(LC_ALL=C.UTF-8 wc -L < "$T/cmd.de")
	[ "$width" -le 80 ] || { cat "$T/cmd.de"; fail "the German $cmd --help is $width columns wide, not 80"; }
done
same=$(grep -Fxf "$T/help.c" "$T/help.de" | grep '^ *(' || true)
[ -z "$same" ] || fail "English explanations in the German --help: $same"
echo "ok: the --help of every command in German ($(echo $cmds | wc -w) commands), within 80 columns"
# 5. The restore flow (src/engine, src/flows): the plan of a dry run and a
#    run's step lines and summary in German on the terminal; the run log
#    of the German run English (report_log(): the log gets the English line,
#    the screen its translation; the summary for the log built in English).
BK=$T/bk
mkdir -p "$BK/webroot/20250101_000000" "$BK/data/20250101_000000" "$BK/db"
echo '<?php' > "$BK/webroot/20250101_000000/biso-cli"
echo '<?php' > "$W/biso-cli"
run de_CH.UTF-8 restore --dry-run --only webroot "${inst[@]}" --backup-root "$BK" > "$T/plan.de" 2>&1 ||
	{ cat "$T/plan.de"; fail "the German dry run failed"; }
grep -q '^Wiederherstellungsplan (.*), nichts wurde angetastet:$' "$T/plan.de" &&
	grep -q '^1\. Webroot wiederherstellen$' "$T/plan.de" && grep -q '^   Quelle: ' "$T/plan.de" &&
	grep -q '^   ersetzt .* (aufbewahrt als .*\.pre-restore-' "$T/plan.de" &&
	grep -q '^   von Hand:$' "$T/plan.de" || { cat "$T/plan.de"; fail "the plan of the dry run is not German"; }
rm -f "$T/log/"*
run de_CH.UTF-8 restore --yes --only webroot "${inst[@]}" --backup-root "$BK" > "$T/run.de" 2>&1 ||
	{ cat "$T/run.de"; fail "the German restore of the webroot failed"; }
grep -q '^Schritt webroot: Webroot wiederherstellen$' "$T/run.de" &&
	grep -q '^geprüft: der wiederhergestellte Baum stimmt mit der Sicherung ' "$T/run.de" &&
	grep -q '^Schritt  *Status  *Zeit  Ergebnis$' "$T/run.de" && grep -q '^webroot  *fertig  .* 1 Datei, 1 Verzeichnis, ' "$T/run.de" &&
	grep -q '^aufbewahrt: ' "$T/run.de" || { cat "$T/run.de"; fail "the restore's screen is not German"; }
log=$(ls "$T/log/"biso-recover-*.log)
grep -q 'INFO  step webroot: Restore the webroot$' "$log" && grep -q 'INFO  verified: the restored tree matches' "$log" &&
	grep -q 'INFO  step  *state  *time  result$' "$log" && grep -q 'INFO  webroot  *done  .* 1 file, 1 directory, ' "$log" &&
	grep -q 'INFO  finished (exit 0)$' "$log" || { cat "$log"; fail "the run log of the German restore is not English"; }
! grep -Eq 'Schritt|fertig|aufbewahrt|geprüft|wiederherstellen' "$log" || { cat "$log"; fail "German in the run log"; }
run C restore --dry-run --only webroot "${inst[@]}" --backup-root "$BK" > "$T/plan.c" 2>&1 || true
grep -q '^Restore plan (' "$T/plan.c" && grep -q '^1\. Restore the webroot$' "$T/plan.c" ||
	{ cat "$T/plan.c"; fail "the plan with LANG=C is not English"; }
echo "ok: the restore's plan, step lines and summary in German, its run log in English"
# What config.php leaves out and where the conninfo comes from are words of
# the operator's language too, and so is an error inside a warning (the
# kept databases cannot be listed: no server): a backup whose config.php
# sets no env and no database name, a server that does not answer (the
# plan fails in its preflight, after printing the plan).
BK2=$T/bk2
chmod 755 "$T" # the web user reaches the webroot below it
mkdir -p "$BK2/webroot/20250101_000000" "$BK2/data/20250101_000000" "$BK2/db"
echo '<?php' > "$BK2/webroot/20250101_000000/biso-cli"
printf "<?php\nConfig::set('gaia.db', ['host' => '%s/nosuchdir', 'user' => 'biso']);\n" "$T" > "$BK2/webroot/20250101_000000/config.php"
printf -- '--\n-- PostgreSQL database dump\n--\nSET x = 1;\n--\n-- PostgreSQL database dump complete\n--\n' | gzip > "$BK2/db/biso_20250101_000000.sql.gz"
run de_CH.UTF-8 restore --dry-run --only config "${inst[@]}" --backup-root "$BK2" > "$T/words.de" 2>&1 ||
	{ cat "$T/words.de"; fail "the plan of the config step failed"; }
run de_CH.UTF-8 restore --dry-run "${inst[@]}" --backup-root "$BK2" >> "$T/words.de" 2>&1 && { cat "$T/words.de"; fail "the plan passed without a server"; }
grep -q '^config.php: env (nicht gesetzt), ' "$T/words.de" && grep -q '^   env: *(unbekannt)$' "$T/words.de" &&
	grep -q '^HINWEIS: An diesem Host und Port antwortet kein Datenbankserver: .* --dbname oder database\.conninfo korrigieren\.$' "$T/words.de" &&
	grep -q '^Warnung: die aufbewahrten Datenbanken können nicht aufgelistet werden: keine Verbindung zur Datenbank "postgres" ' "$T/words.de" ||
	{ cat "$T/words.de"; fail "the words for what config.php leaves out are not German"; }
! grep -Eq '\((unknown|not set)\)| or database\.conninfo|default host|cannot connect' "$T/words.de" ||
	{ cat "$T/words.de"; fail "English words in the German plan"; }
run C restore --dry-run --only config "${inst[@]}" --backup-root "$BK2" > "$T/words.c" 2>&1 || true
run C restore --dry-run "${inst[@]}" --backup-root "$BK2" >> "$T/words.c" 2>&1 || true
grep -q '^config.php: env (not set), ' "$T/words.c" && grep -q '^   env: *(unknown)$' "$T/words.c" &&
	grep -q '^HINT: No database server answers at that host and port: .* correct --dbname or database\.conninfo\.$' "$T/words.c" ||
	{ cat "$T/words.c"; fail "the words for what config.php leaves out are not English with LANG=C"; }
# a conninfo libpq cannot parse: the error names where it came from in German
run de_CH.UTF-8 restore --dry-run --config "$T/conf" --datadir "$W/data" --dbname "dbname='x" \
	--backup-root "$BK2" > "$T/ci.de" 2>&1 && { cat "$T/ci.de"; fail "a malformed conninfo was accepted"; }
grep -q -- "--dbname oder database.conninfo ist keine libpq-Verbindungsangabe: " "$T/ci.de" ||
	{ cat "$T/ci.de"; fail "the malformed conninfo's error is not German"; }
echo "ok: (unbekannt), (nicht gesetzt), where the conninfo comes from and an error in a warning in German"
# A lock held by another program (flock(1) writes no holder line): the
# refusal names the holder in German too.
lockpath=$(run C restore --dry-run --only webroot "${inst[@]}" --backup-root "$BK" 2>/dev/null |
	sed -n 's/^locks: webroot \([^;]*\);.*/\1/p')
[ -n "$lockpath" ] || fail "the plan names no webroot lock"
flock -o "$lockpath" sleep 5 &
holder=$!
sleep 0.5
run de_CH.UTF-8 restore --yes --again --only webroot "${inst[@]}" --backup-root "$BK" > "$T/locked.de" 2>&1 &&
	{ cat "$T/locked.de"; fail "a restore ran beside a held lock"; }
kill $holder 2>/dev/null || true
wait $holder 2>/dev/null || true
grep -q '^biso-recover: nichts wurde angetastet: ein anderes biso-recover (sein Halter ist noch nicht verzeichnet) arbeitet an webroot ' "$T/locked.de" ||
	{ cat "$T/locked.de"; fail "the lock's refusal is not German"; }
echo "ok: a held lock's refusal in German, its holder too"
# 6. db-inspect (ui/cmd_db.c) in German, within 80 columns in its --help.
run de_CH.UTF-8 db-inspect "$top_srcdir/tests/data/sql/begin-function.sql" > "$T/inspect.de" 2>&1 && fail "a cut dump passed db-inspect"
grep -q '^vollständig:     NEIN (abgeschnitten bei Zeile ' "$T/inspect.de" && grep -q '^Tabellen mit Daten: 1$' "$T/inspect.de" ||
	{ cat "$T/inspect.de"; fail "db-inspect is not German"; }
run de_CH.UTF-8 db-restore --help > "$T/dbhelp.de"
text_has "$(head -n 1 "$T/dbhelp.de")" '^Aufruf: biso-recover db-restore ' || { cat "$T/dbhelp.de"; fail "db-restore --help is not German"; }
width=$(LC_ALL=C.UTF-8 wc -L < "$T/dbhelp.de")
[ "$width" -le 80 ] || fail "the German db-restore --help is $width columns wide, not 80"
echo "ok: db-inspect and db-restore --help in German"
# files-verify's differences (src/files/fsrestore_verify.c): German lines,
# the file types with their article, English with LANG=C.
mkdir -p "$T/fv/src/d" "$T/fv/dst"
printf 'a' > "$T/fv/src/size"; printf 'ab' > "$T/fv/dst/size"
printf 'x' > "$T/fv/dst/d"; printf 'x' > "$T/fv/dst/extra"
run de_CH.UTF-8 files-verify "$T/fv/src" "$T/fv/dst" > "$T/fv.de" 2>&1 && fail "files-verify found no difference"
grep -qx 'd: eine Datei, Quelle ein Verzeichnis' "$T/fv.de" && grep -qx 'extra: nicht in der Quelle (eine Datei)' "$T/fv.de" &&
	grep -q '^size: .*Grösse 2, Quelle 1' "$T/fv.de" && grep -q '^Vergleich: ' "$T/fv.de" &&
	grep -q ' verglichen (Typ, Grösse, Modus, mtime, Linkziel): [0-9]* Unterschiede$' "$T/fv.de" ||
	{ cat "$T/fv.de"; fail "files-verify's differences are not German"; }
run C files-verify "$T/fv/src" "$T/fv/dst" > "$T/fv.c" 2>&1 && fail "files-verify found no difference with LANG=C"
grep -qx 'd: a file, source a directory' "$T/fv.c" && grep -qx 'extra: not in the source (a file)' "$T/fv.c" ||
	{ cat "$T/fv.c"; fail "files-verify's differences are not English with LANG=C"; }
echo "ok: files-verify's differences in German, English with LANG=C"
mkdir -p "$T/emptylog"
run de_CH.UTF-8 status --config "$T/conf" --log-dir "$T/emptylog" > "$T/status.de" 2>&1 && fail "status found a run in an empty log directory"
grep -qx "kein Lauf gefunden: $T/emptylog enthält keine Status-Datei" "$T/status.de" || { cat "$T/status.de"; fail "status is not German"; }
echo "ok: status in German"

# libconfig's error text in German, the unterminated string on the line it
# opens (libconfig says line 4), the example configuration by its path (it
# said "syntax error" and "see biso-recover.conf.example")
set +e
run de_CH.UTF-8 restore --dry-run --config "$top_srcdir/tests/data/conf/unterminated-string.conf" > "$T/conf.de" 2>&1
run de_CH.UTF-8 restore --dry-run --config "$top_srcdir/tests/data/conf/syntax-error.conf" >> "$T/conf.de" 2>&1
set -e
grep -q "unterminated-string.conf:3: Syntaxfehler: die Zeichenkette, die in Zeile 3 beginnt, wird in dieser Zeile nicht geschlossen (libconfig hielt in Zeile 4 an)$" "$T/conf.de" &&
	grep -q "syntax-error.conf:3: Syntaxfehler$" "$T/conf.de" &&
	grep -q "jeder Schlüssel steht in /.*biso-recover.conf.example\.$" "$T/conf.de" ||
	{ cat "$T/conf.de"; fail "the configuration's syntax errors are not German or not on the right line"; }
ex=$(sed -n 's/^HINWEIS: .*jeder Schlüssel steht in \(.*\)\.$/\1/p' "$T/conf.de" | head -n 1)
[ -f "$ex" ] || { cat "$T/conf.de"; fail "the hint names $ex, which does not exist"; }
echo "ok: configuration syntax errors in German, on the line the string opens; the example is $ex"

# newcomer 8.6: English sentences on German screens.  The target database
# config.php does not name (the refusal, the plan's warnings), the dump
# check's progress label (a terminal: script(1)) and backup-prune's reasons
# are German.  A throw-away cluster answers here.
if command -v script >/dev/null && . "$top_srcdir/tests/lib/pgcluster.sh" && pgc_bindir >/dev/null 2>&1; then
	trap 'pgc_stop "$T/pg"; rm -rf "$T"' EXIT
	pgc_start "$T/pg" > /dev/null || fail "no throw-away cluster"
	BK3=$T/bk3
	mkdir -p "$BK3/webroot/20250101_000000" "$BK3/data/20250101_000000" "$BK3/db"
	echo '<?php' > "$BK3/webroot/20250101_000000/biso-cli"
	printf "<?php\nConfig::set('gaia.db', ['host' => '%s', 'port' => %s, 'user' => 'postgres', 'dbname' => 'biso']);\n" \
		"$PGHOST" "$PGPORT" > "$BK3/webroot/20250101_000000/config.php"
	# big enough for a progress line while it is checked
	{ printf -- '--\n-- PostgreSQL database dump\n--\nCREATE TABLE t (a text);\nCOPY t (a) FROM stdin;\n'
	  awk 'BEGIN { for (i = 0; i < 800000; i++) print "abcdefghijabcdefghijabcdefghijabcdefghij" }'
	  printf '\\.\n--\n-- PostgreSQL database dump complete\n--\n'; } | gzip > "$BK3/db/biso_20250101_000000.sql.gz"
	de() { script -qec "$(printf '%q ' env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG=de_CH.UTF-8 "$B" "$@")" /dev/null; }
	set +e
	de restore --dry-run --config "$T/conf" --datadir "$W/data" --backup-root "$BK3" --dbname bsio > "$T/db.de" 2>&1
	de restore --dry-run --only webroot,config,datadir,database --config "$T/conf" --datadir "$W/data" \
		--backup-root "$BK3" --dbname bsio >> "$T/db.de" 2>&1
	set -e
	# (line mode wraps a message and the plan between words: their rows
	# joined, the plan's indent squeezed)
	out=$(tr -d '\r' < "$T/db.de" | tr -s '\n ' '  ')
	text_has "$out" -F 'der Plan würde scheitern: die Anwendung liest die Datenbank "biso" (config.php Zeile 2); Ziel ist "bsio": die Migrationen' &&
		text_has "$out" -F '; Warnung: die Anwendung liest die Datenbank "biso"' &&
		text_has "$out" 'Untersuchung: [0-9]' && ! text_has "$out" -e 'the application reads' -e 'inspecting:' ||
		{ cat "$T/db.de"; fail "the other database or the check's progress is English on a German screen"; }
	echo "ok: the other database and the check's progress in German"
	mkdir -p "$BK3/manifest/20250101_000000"
	printf 'format 1\nid 20250101_000000\n' > "$BK3/manifest/20250101_000000/MANIFEST"
	run de_CH.UTF-8 backup-prune --dry-run --keep-last 1 --keep-daily 1 --config "$T/conf" --backup-root "$BK3" > "$T/prune.de" 2>&1 || true
	grep -q '^20250101_000000  behalten (letzte 1, Tag 1)$' "$T/prune.de" ||
		{ cat "$T/prune.de"; fail "backup-prune's reasons are not German"; }
	run C backup-prune --dry-run --keep-last 1 --keep-daily 1 --config "$T/conf" --backup-root "$BK3" > "$T/prune.c" 2>&1 || true
	grep -q '^20250101_000000  keep (last 1, daily 1)$' "$T/prune.c" || { cat "$T/prune.c"; fail "backup-prune's reasons are not English with LANG=C"; }
	echo "ok: backup-prune's reasons in German (behalten (letzte 1, Tag 1)), English with LANG=C"
else
	echo "skipped: the German database and prune lines (no script(1) or no PostgreSQL server)"
fi

# A hint of several sentences is German alone: config.php with a value
# only PHP can compute and no --datadir, for the backup (the live
# config.php) and the restore (the backup's).  Each sentence is a msgid of
# its own, joined by the code; the earlier hint went in English into a
# German "%s%sOhne config.php weiter ...", and the reason's "%s" stayed
# English inside a German sentence.
CP=$T/cp
mkdir -p "$CP/live" "$CP/log" "$CP/bk/webroot/20250101_000000" "$CP/bk/data/20250101_000000" "$CP/bk/db"
printf "<?php\nConfig::set('datadir', getenv('BISO_DATA'));\n" > "$CP/live/config.php"
cp "$CP/live/config.php" "$CP/bk/webroot/20250101_000000/"
printf 'webroot = "%s";\nlog_dir = "%s";\n' "$CP/live" "$CP/log" > "$CP/conf"
for lang in de_CH.UTF-8 C; do
	run "$lang" backup --dry-run --config "$CP/conf" --backup-root "$CP/nobk" > "$T/cp.$lang" 2>&1 &&
		{ cat "$T/cp.$lang"; fail "$lang: a backup without a datadir passed"; }
	run "$lang" restore --dry-run --config "$CP/conf" --backup-root "$CP/bk" >> "$T/cp.$lang" 2>&1 &&
		{ cat "$T/cp.$lang"; fail "$lang: a restore without a datadir passed"; }
done
[ "$(grep -c "^HINWEIS: biso-recover liest config.php, ohne PHP auszuführen, und versteht nur wörtliche Werte (Zeichenketten, Zahlen, Arrays, __DIR__ und '.'); --datadir VERZ angeben oder datadir in biso-recover.conf setzen\. Ohne config.php weiter: --datadir VERZ und --dbname CONNINFO angeben\.$" "$T/cp.de_CH.UTF-8")" = 2 ] ||
	{ cat "$T/cp.de_CH.UTF-8"; fail "the hint about config.php is not German twice (backup, restore)"; }
! grep -Eq 'reads config|without running|understands|literal values|pass --datadir|or set datadir|To go on|give both' "$T/cp.de_CH.UTF-8" ||
	{ cat "$T/cp.de_CH.UTF-8"; fail "English in the German hint about config.php"; }
[ "$(grep -c "^HINT: biso-recover reads config.php without running PHP and only understands literal values (strings, numbers, arrays, __DIR__ and '.'); pass --datadir DIR or set datadir in biso-recover.conf\. To go on without config.php, give both --datadir DIR and --dbname CONNINFO\.$" "$T/cp.C")" = 2 ] ||
	{ cat "$T/cp.C"; fail "the hint about config.php is not English with LANG=C"; }
echo "ok: the hint about a config.php only PHP can read in German alone (backup, restore)"

# The README's build speaks German without `make install` and without
# BISO_RECOVER_LOCALEDIR: `make` compiles the catalogues into locale/ beside
# the binary of the build tree (it printed English before).
if [ "$B" -ef "$top_builddir/biso-recover" ] && [ -d "$top_builddir/locale" ]; then
	env -u BISO_RECOVER_LOCALEDIR -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG=de_CH.UTF-8 \
		"$B" --help > "$T/help.build" 2>&1 || true
	grep -q '^Aufruf:' "$T/help.build" || { head -3 "$T/help.build"; fail "the build tree's binary is not German without BISO_RECOVER_LOCALEDIR"; }
	echo "ok: the build tree's binary finds its catalogue beside it"
else
	echo "skipped: not the build tree's binary"
fi
echo "i18n-german: ok"
