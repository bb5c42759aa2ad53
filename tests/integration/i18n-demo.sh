#!/bin/bash
# i18n-demo.sh: the line mode of every flow in German on the demo instance
# (issue 15): restore --dry-run and --yes, backup --dry-run and a backup,
# backup-verify, backup-prune --dry-run, refresh --dry-run and a refresh,
# rollback --dry-run and a rollback, with LANG=de_CH.UTF-8.  Texts composed
# of parts (plans, step summaries, the verification's lines, the kept
# copies, skip reasons, counts) must come out as German sentences: no line
# of ours holds an English word of the list below (the output of biso-cli,
# pg_dump's TOC names in the progress and the manual commands are not
# ours).  The run logs of the same runs stay English; LANG=C prints the
# English texts.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
demo_test_setup i18n-demo "chown of the datadir to www-data, runuser postgres"
command -v msgfmt >/dev/null || skip "msgfmt not installed (gettext)"
text_has "$(locale -a)" -ix 'de_CH.utf-\?8' || fail "the de_CH.UTF-8 locale is missing (tools/deps.sh generates it)"
mkdir -p "$T/locale/de/LC_MESSAGES"
msgfmt -o "$T/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po"
export BISO_RECOVER_LOCALEDIR=$T/locale

# br LANG CMD...: biso-recover with only LANG choosing the language
br() {
	local lang=$1
	shift
	env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG="$lang" "$BISO_RECOVER" "$@"
}
# all LANG OUT: every command in order, the output of all into OUT
all() {
	local lang=$1 out=$2 c
	: > "$out"
	for c in "restore --dry-run" "restore --yes" "backup --dry-run" "backup" "backup-verify" \
		"backup-prune --dry-run --keep-last 1"; do
		# shellcheck disable=SC2086
		br "$lang" $c --config "$DEMO_CONFIG" >> "$out" 2>&1 || { cat "$out"; fail "$lang: $c failed"; }
	done
	for c in "refresh --dry-run" "refresh --yes"; do
		# shellcheck disable=SC2086
		br "$lang" $c --attachments placeholder --config "$DEMO_TEST_CONFIG" >> "$out" 2>&1 ||
			{ cat "$out"; fail "$lang: $c failed"; }
	done
	# a restore of the webroot alone: the rollback skips the datadir and
	# the database (the skip reasons); --again: it follows the restore
	# above on purpose (restore-again.sh tests the question)
	br "$lang" restore --yes --again --only webroot --config "$DEMO_CONFIG" >> "$out" 2>&1 ||
		{ cat "$out"; fail "$lang: restore --only webroot failed"; }
	for c in "rollback --dry-run" "rollback --yes"; do
		# shellcheck disable=SC2086
		br "$lang" $c --config "$DEMO_CONFIG" >> "$out" 2>&1 || { cat "$out"; fail "$lang: $c failed"; }
	done
}

all de_CH.UTF-8 "$T/de.out"
# Our lines: not biso-cli's (indented by two, capitalised English), not the
# commands shown or run, not pg_dump's TOC names in the progress.
grep -vE '^  ([A-Z][a-z]+ |pending:)|^     |^läuft|^(Einspielen|Sichern|Prüfung|Kopieren|Durchsicht):' \
	"$T/de.out" > "$T/ours" || true
english='the|of|is|with|and|files?|tables?|rows?|source|target|replaces|kept|old|newest|into|directory|directories|step|failed|not|no|put|back|PASS|WARN|FAIL|fetched'
if grep -nwE "$english" "$T/ours" > "$T/english"; then
	cat "$T/english"
	fail "English words in the German output (above)"
fi
for want in '^Sicherungsplan \(' '^der Wartungsmodus ist nur während der Schritte database und datadir an$' \
	'^Schritt maintenance-on fertig in .*: der Wartungsmodus ist an$' '^database  .*fertig .*B SQL, .*B gzip$' \
	'^OK  Datenbank "biso" antwortet$' '^OK  Webroot .* enthält biso-cli und config.php$' \
	'^aufbewahrte Kopie von Webroot: ' '^Auffrischungsplan \(' '^Anhänge: .* Platzhalter-Dateien, kein Byte der Produktion$' \
	'^Plan der Zurücknahme \(' '^Schritt datadir übersprungen: jener Lauf hat das Datenverzeichnis nicht ersetzt$' \
	'^ok: .* Dateien \(.*\) geprüft, 1 vollständiger Dump: '; do
	grep -qE "$want" "$T/de.out" || { cat "$T/de.out"; fail "no line matching '$want' in the German output"; }
done
echo "ok: restore, backup, backup-verify, backup-prune, refresh, rollback in German, no English word of ours"

# A cut dump's hint, built of parts (the newest complete dump, its age), in
# German too.
{ gunzip -c "$DEMO_DUMP" || true; } | head -c 200000 | gzip > "$T/cut.sql.gz" # gunzip: SIGPIPE
br de_CH.UTF-8 restore --dry-run --dump "$T/cut.sql.gz" --config "$DEMO_CONFIG" > "$T/cut.de" 2>&1 &&
	{ cat "$T/cut.de"; fail "a cut dump passed the dry run"; }
grep -q '^HINWEIS: Der neueste vollständige Dump ist .*: --dump .* (nur die Datenbank) oder --at ' "$T/cut.de" ||
	{ cat "$T/cut.de"; fail "the cut dump's hint is not German"; }
echo "ok: the cut dump's hint in German"

# the run logs of the German runs stay English
logs=$(ls "$(dirname "$DEMO_CONFIG")"/log/biso-recover-*.log)
# shellcheck disable=SC2086
if grep -nE 'Schritt|fertig|Wartungsmodus|aufbewahrt|Sicherung|Datenbank|Zurücknahme' $logs > "$T/german"; then
	cat "$T/german"
	fail "German in the run logs of the German runs"
fi
# shellcheck disable=SC2086
grep -qh 'INFO  step maintenance-on done in .*: maintenance mode is on$' $logs &&
	grep -qh 'INFO  PASS  database "biso" answers$' $logs ||
	fail "the run logs do not have the English lines"
echo "ok: the run logs of the German runs are English"

all C "$T/c.out"
for want in '^Backup plan \(' '^step maintenance-on done in .*: maintenance mode is on$' \
	'^PASS  database "biso" answers$' '^kept copy of the webroot: ' '^Rollback plan \(' \
	'^step datadir skipped: that run did not replace the datadir$'; do
	grep -qE "$want" "$T/c.out" || { cat "$T/c.out"; fail "no line matching '$want' with LANG=C"; }
done
! grep -qE 'Sicherung|Wartungsmodus|Schritt' "$T/c.out" || fail "German with LANG=C"
echo "ok: the same in English with LANG=C"

# A newest dump cut off (a nightly dump without a manifest, an hour after
# the last backup): the plan's refusal names the newest complete one and
# how much older it is, in German (the age too).
last=$(ls "$DEMO_BACKUP_ROOT"/db/biso_*.sql.gz | sort | tail -n 1)
stamp=$(date -d '+1 hour' +%Y%m%d_%H%M%S)
{ gunzip -c "$last" || true; } | head -c 200000 | gzip > "$DEMO_BACKUP_ROOT/db/biso_$stamp.sql.gz" # gunzip: SIGPIPE
br de_CH.UTF-8 restore --dry-run --config "$DEMO_CONFIG" > "$T/cutnewest.de" 2>&1 &&
	{ cat "$T/cutnewest.de"; fail "a cut newest dump passed the dry run"; }
grep -q '^HINWEIS: Der neueste vollständige Dump ist .*, .* älter: --dump .* (nur die Datenbank) oder --at ' "$T/cutnewest.de" ||
	{ cat "$T/cutnewest.de"; fail "the refusal of the cut newest dump is not German"; }
! grep -qE 'older|minute|second|hour|day' "$T/cutnewest.de" || { cat "$T/cutnewest.de"; fail "English in the refusal"; }
echo "ok: a cut newest dump's refusal names the older complete one in German"

# A damaged file in the newest backup: the reasons (checksum mismatch) in
# German, in backup-verify's list and in the restore's refusal.
rm "$DEMO_BACKUP_ROOT/db/biso_$stamp.sql.gz"
id=$(ls "$DEMO_BACKUP_ROOT/manifest" | sort | tail -n 1)
f=$(cd "$DEMO_BACKUP_ROOT" && find "data/$id" -type f -name '*.pdf' | sort | head -n 1)
[ -n "$f" ] || fail "no file to damage in data/$id"
cp --remove-destination "$DEMO_BACKUP_ROOT/$f" "$T/copy" && printf 'X' >> "$T/copy" &&
	mv "$T/copy" "$DEMO_BACKUP_ROOT/$f" # a new inode: the older snapshots' hard link stays whole
br de_CH.UTF-8 backup-verify --config "$DEMO_CONFIG" > "$T/bv.de" 2>&1 && { cat "$T/bv.de"; fail "backup-verify passed a damaged backup"; }
grep -q ": Prüfsumme stimmt nicht$" "$T/bv.de" || { cat "$T/bv.de"; fail "backup-verify's reason is not German"; }
br de_CH.UTF-8 restore --dry-run --config "$DEMO_CONFIG" > "$T/dmg.de" 2>&1 && { cat "$T/dmg.de"; fail "a damaged backup passed the dry run"; }
grep -q "ist beschädigt: $f: Prüfsumme stimmt nicht" "$T/dmg.de" || { cat "$T/dmg.de"; fail "the restore's refusal of a damaged backup is not German"; }
! grep -q 'checksum mismatch' "$T/dmg.de" "$T/bv.de" || fail "English reasons in German"
echo "ok: a damaged backup's reasons in German (backup-verify, restore)"
echo "i18n-demo: ok"
