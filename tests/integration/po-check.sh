#!/bin/sh
# po-check.sh: every catalogue of po/LINGUAS is complete for the sources as
# they are (issue 15): the messages of po/POTFILES.in are extracted afresh
# with po/Makevars' XGETTEXT_OPTIONS, each catalogue merged with them, and
# `msgfmt --check --statistics` must report no untranslated and no fuzzy
# message (nor a format that differs from its msgid's), and no obsolete
# one (a translation whose msgid no source has); po/drill-strings.c is
# up to date with the drill scenarios.  Also, for the
# Swiss standard German of de.po: no "ß", and every line of a translation
# fits 80 columns wherever the English line does; no file of src/ or ui/
# with messages is missing from po/POTFILES.in; and no front end (ui/)
# hands an unmarked text to an output call.
set -eu
src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

opts=$(sed -n '/^XGETTEXT_OPTIONS[[:space:]]*=/,/[^\\]$/p' "$src/po/Makevars" |
	sed 's/^XGETTEXT_OPTIONS[[:space:]]*=//; s/\\$//' | tr '\n' ' ')
files=$(sed 's/#.*//' "$src/po/POTFILES.in" | grep -v '^[[:space:]]*$')
# shellcheck disable=SC2086
(cd "$src" && xgettext --default-domain=biso-recover $opts -o "$tmp/messages.pot" $files)
[ -s "$tmp/messages.pot" ] || { echo "po-check: xgettext found no message"; exit 1; }

# The drill scenarios' texts (share/drills/*.conf) reach the catalogue
# through po/drill-strings.c, which tools/drill-strings writes (make
# update-drill-strings): it must be what the scenarios say now.
gen=${top_builddir:-.}/tools/drill-strings
if [ -x "$gen" ]; then
	if ! "$gen" "$src"/share/drills/*.conf > "$tmp/drill-strings.c"; then
		echo "po-check: FAIL: tools/drill-strings cannot read the scenarios"
		fail=1
	elif ! cmp -s "$tmp/drill-strings.c" "$src/po/drill-strings.c"; then
		echo "po-check: FAIL: po/drill-strings.c is not what share/drills/*.conf say" \
			"(make update-drill-strings, then translate the new texts):"
		diff "$src/po/drill-strings.c" "$tmp/drill-strings.c" | head -n 20
		fail=1
	fi
else
	echo "po-check: FAIL: $gen is not built (make check builds it)"
	fail=1
fi

for lang in $(sed 's/#.*//' "$src/po/LINGUAS"); do
	po=$src/po/$lang.po
	msgmerge --quiet --no-wrap --no-fuzzy-matching -o "$tmp/$lang.po" "$po" "$tmp/messages.pot"
	if ! msgfmt --check --statistics -o /dev/null "$tmp/$lang.po" >"$tmp/stats" 2>&1; then
		echo "po-check: FAIL: msgfmt --check on po/$lang.po:"
		cat "$tmp/stats"
		fail=1
		continue
	fi
	stats=$(cat "$tmp/stats")
	echo "po-check: po/$lang.po: $stats"
	case $stats in
	*untranslated* | *fuzzy*)
		echo "po-check: FAIL: po/$lang.po is not complete; these need a translation:"
		msgattrib --no-wrap --untranslated "$tmp/$lang.po" | grep '^msgid ' | sed 1d
		msgattrib --no-wrap --only-fuzzy "$tmp/$lang.po" | grep '^msgid ' | sed 1d
		echo "po-check: (make -C po update-po merges the new messages into po/$lang.po)"
		fail=1
		;;
	esac
	# a translation no source uses any more: its msgid changed, or a text
	# lost its marking (then the operator reads it in English again)
	if grep -q '^#~ msgid' "$tmp/$lang.po"; then
		echo "po-check: FAIL: po/$lang.po translates messages no source has (changed, or no longer marked):"
		grep '^#~ msgid' "$tmp/$lang.po"
		fail=1
	fi
	python3 - "$tmp/$lang.po" "$lang" <<'PY' || fail=1
import sys

def entries(path):
    """(msgid lines, [msgstr texts]) of each translated entry, C escapes
    undone; the header and obsolete entries left out."""
    cur, key, out = {}, None, []
    def flush():
        if cur.get('msgid'):
            strs = [v for k, v in cur.items() if k.startswith('msgstr')]
            ids = [cur['msgid']] + ([cur['msgid_plural']] if 'msgid_plural' in cur else [])
            out.append((ids, strs))
    for line in open(path, encoding='utf-8'):
        line = line.rstrip('\n')
        if line.startswith('#') or not line.strip():
            if key is not None and not line.startswith('#~'):
                flush(); cur, key = {}, None
            continue
        if line.startswith('"'):
            cur[key] += line[1:-1]
            continue
        key, _, rest = line.partition(' ')
        cur[key] = rest[1:-1]
    flush()
    return [(list(map(unesc, i)), list(map(unesc, s))) for i, s in out]

def unesc(s):
    return (s.replace('\\\\', '\0').replace('\\n', '\n').replace('\\t', '\t')
            .replace('\\"', '"').replace('\0', '\\'))

bad = 0
path, lang = sys.argv[1], sys.argv[2]
for ids, strs in entries(path):
    en_width = max(len(l) for i in ids for l in i.split('\n'))
    for s in strs:
        if lang == 'de' and '\u00df' in s:
            print('po-check: FAIL: "\u00df" in a Swiss German translation (write "ss"): %r' % s)
            bad = 1
        if en_width <= 80:
            for l in s.split('\n'):
                if len(l) > 80:
                    print('po-check: FAIL: %d columns where the English fits 80: %r' % (len(l), l))
                    bad = 1
sys.exit(bad)
PY
done
# The wizard's key-hint lines (ui/wizard*.c: struct help_key tables, drawn
# on the bottom line "KEY label  KEY label ...") fit 80 columns in English
# and in every catalogue's language, at least without the labels' closing
# explanations in parentheses (which draw_help() drops first): a hint that
# does not fit is not shown.
# shellcheck disable=SC2046 # one word per language
python3 - "$src" $(sed 's/#.*//' "$src/po/LINGUAS") <<'PY' || fail=1
import glob, re, sys
src, langs = sys.argv[1], sys.argv[2:]
def catalogue(path):
    t, cur = {}, None
    for line in open(path, encoding='utf-8'):
        m = re.match(r'(msgid|msgstr) "(.*)"$', line)
        if m and m.group(1) == 'msgid':
            cur = m.group(2)
        elif m and cur is not None:
            t[cur] = m.group(2)
            cur = None
    return t
cats = [('en', {})] + [(l, catalogue('%s/po/%s.po' % (src, l))) for l in langs]
item = re.compile(r'\{\s*(N_\()?"((?:[^"\\]|\\.)*)"\)?\s*,\s*N_\("((?:[^"\\]|\\.)*)"\)\s*\}')
bad = 0
for f in sorted(glob.glob(src + '/ui/wizard*.c')):
    text = open(f, encoding='utf-8').read()
    for m in re.finditer(r'struct help_key (\w+)\[\] = \{(.*?)\};', text, re.S):
        items = item.findall(m.group(2))
        for lang, t in cats:
            # draw_help() drops a label's closing " (...)" when the line is
            # too long: what must fit is the line without them
            w = sum(len(t.get(k, k) if n else k) + 1 + len(re.sub(r' \(.*\)$', '', t.get(l, l)))
                    for n, k, l in items)
            w += 2 * (len(items) - 1)
            if w > 80:
                print('po-check: FAIL: %s: the key hints %s are %d columns in %s, not 80: %s' % (
                    f[len(src) + 1:], m.group(1), w, lang,
                    '  '.join('%s %s' % (t.get(k, k) if n else k, t.get(l, l)) for n, k, l in items)))
                bad = 1
sys.exit(bad)
PY

# A step's title stands in the wizard's heading "Step 5 of 6: TITLE" at the
# top of its right pane, 54 columns at 80x24 (ui/wizard_draw.c:
# layout_compute(), right_x 26); a longer one is cut off at the edge.  Every
# step title of src/flows (.title = N_("...") of a step_def) fits there in
# English and in every catalogue's language, the heading's words
# translated too.
# shellcheck disable=SC2046 # one word per language
python3 - "$src" $(sed 's/#.*//' "$src/po/LINGUAS") <<'PY' || fail=1
import glob, re, sys
src, langs = sys.argv[1], sys.argv[2:]
def catalogue(path):
    t, cur = {}, None
    for line in open(path, encoding='utf-8'):
        m = re.match(r'(msgid|msgstr) "(.*)"$', line)
        if m and m.group(1) == 'msgid':
            cur = m.group(2)
        elif m and cur is not None:
            t[cur] = m.group(2)
            cur = None
    return t
cats = [('en', {})] + [(l, catalogue('%s/po/%s.po' % (src, l))) for l in langs]
head, width = 'Step %d of %d: %s', 54
titles = set()
for f in sorted(glob.glob(src + '/src/flows/*.c')):
    text = open(f, encoding='utf-8').read()
    for m in re.finditer(r'struct step_def \w+ = \{(.*?)\};', text, re.S):
        t = re.search(r'\.title\s*=\s*N_\("((?:[^"\\]|\\.)*)"\)', m.group(1))
        if t:
            titles.add(t.group(1))
bad = 0 if titles else 1
if not titles:
    print('po-check: FAIL: no step title found in src/flows (.title = N_("..."))')
for title in sorted(titles):
    for lang, t in cats:
        line = t.get(head, head).replace('%d', '9', 2).replace('%s', t.get(title, title))
        if len(line) > width:
            print('po-check: FAIL: the wizard heading %r is %d columns in %s, not %d' % (
                line, len(line), lang, width))
            bad = 1
sys.exit(bad)
PY

# A text written twice is translated twice and drifts apart: the restore's
# two hints for a damaged backup end with one text, the backup-verify that
# names every damaged file (restore_preflight.c: verify_hint()), one msgid.
n=$(msgcat --no-wrap "$tmp/messages.pot" | grep -c 'backup-verify%s %s names every damaged file' || true)
if [ "$n" != 1 ]; then
	echo "po-check: FAIL: the backup-verify hint of a damaged backup is in $n msgids, not 1:"
	msgcat --no-wrap "$tmp/messages.pot" | grep 'backup-verify%s %s names every damaged file'
	fail=1
fi

# Every source file with a message (a marked text, an error setter's
# format) is listed in po/POTFILES.in, or its texts stay English without
# anybody noticing: xgettext with the same keywords over each file that is
# not listed finds none.
unlisted=$(cd "$src" && find src ui -name '*.[ch]' | LC_ALL=C sort |
	while IFS= read -r f; do echo "$files" | grep -qxF "$f" || echo "$f"; done)
for f in $unlisted; do
	rm -f "$tmp/unlisted.pot"
	# shellcheck disable=SC2086
	(cd "$src" && xgettext --default-domain=biso-recover $opts -o "$tmp/unlisted.pot" "$f")
	if [ -s "$tmp/unlisted.pot" ]; then
		echo "po-check: FAIL: $f has messages for the catalogue but is not in po/POTFILES.in:"
		msgattrib --no-wrap "$tmp/unlisted.pot" | grep '^msgid ' | sed 1d | head -n 5
		fail=1
	fi
done
# The front ends (ui/, every file, listed or not) print no unmarked text:
# xgettext with the output calls (stdio, and the wizard's tui_put(),
# tui_wrap(), tui_rule()) as its only keywords finds the literals
# handed to them directly (a marked text is a call of _() there, not a
# literal); one with a letter in it is a text the operator reads untranslated.
ui=$(cd "$src" && find ui -name '*.c' | LC_ALL=C sort)
if [ -n "$ui" ]; then
	# shellcheck disable=SC2086
	(cd "$src" && xgettext -k --keyword=printf:1 --keyword=fprintf:2 --keyword=puts:1 \
		--keyword=fputs:1 --keyword=dprintf:2 --keyword=frontend_ask:1 \
		--keyword=tui_put:5 --keyword=tui_wrap:1 --keyword=tui_wrap_hanging:1 --keyword=tui_rule:5 --no-wrap \
		-o "$tmp/unmarked.pot" $ui)
	# words left once escapes, conversions (%s, %3zu ...) and the program's
	# name are taken out
	# and terminal escape sequences (ESC [ K: clear to the end of the line)
	esc=$(printf '\033')
	words() { sed -E "s/$esc\[[0-9;]*[A-Za-z]//g"'; s/\\[ntr"]//g; s/%[-+ #0-9.*]*(hh|h|ll|l|z|j|t|L)?[diouxXeEfgGcsp%]//g; s/biso-recover//g'; }
	if [ -f "$tmp/unmarked.pot" ]; then
		msgattrib --no-wrap "$tmp/unmarked.pot" | grep -E '^(#:|msgid ")' | sed 1d |
			while IFS= read -r line; do
				case $line in
				'#:'*) at=$line ;;
				*) ! printf '%s\n' "${line#msgid }" | words | grep -q '[A-Za-z]' || printf '%s %s\n' "$at" "$line" ;;
				esac
			done >"$tmp/unmarked"
		if [ -s "$tmp/unmarked" ]; then
			echo "po-check: FAIL: unmarked texts in output calls of the front ends (mark them with _() or P_()):"
			cat "$tmp/unmarked"
			fail=1
		fi
	fi
fi

[ "$fail" = 0 ] && echo "po-check: ok"
exit "$fail"
