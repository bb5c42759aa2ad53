#!/bin/bash
# wizard-preflight.sh: the wizard's flows are refused by the same preflight
# as line mode, in an 80x24 tmux pane (TERM=vt100 NO_COLOR=1):
#   readonly: `wizard backup --backup-root RO` (a read-only tmpfs, else
#           chattr +i): the dialog "Refused before the first step" names
#           the directory it cannot write into, its hint says what to do;
#           maintenance mode never went on (before: "Backup STOPPED" after
#           maintenance-on, at the dump);
#   password: LANG=de_CH.UTF-8 `wizard restore --dbname '... user=pwuser
#           password=wrong'` (pwuser logs in with a password, pg_hba.conf):
#           the dialog names the login as "pwuser" to database "biso", in
#           German, and the database "postgres" only as where it was
#           checked (before: 'keine Verbindung zur Datenbank "postgres"').
# Skips (77) without tmux, php, rsync, a PostgreSQL server or root.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
. "$top_srcdir/tests/lib/tmux.sh"
tmux_demo_setup wizpre # CONF, TMUX_CMD; both gone on exit
unset PGPASSWORD PGPASSFILE

RO=$T/ro
mkdir -p "$RO" "$T/locale/de/LC_MESSAGES"
msgfmt -o "$T/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po" || fail "msgfmt po/de.po failed"
trap 'ro_dir_undo "$RO"; $TMUX_CMD kill-server >/dev/null 2>&1; demo_test_cleanup' EXIT
ro_dir "$RO"

start() { # LABEL LANG ARGS...
	local label=$1 lang=$2
	shift 2
	rm -f "$T/exit-$label"
	$TMUX_CMD kill-server >/dev/null 2>&1 && sleep 0.5
	$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
		"env TERM=vt100 NO_COLOR=1 LANG=$lang LANGUAGE= LC_ALL= LC_MESSAGES= BISO_RECOVER_LOCALEDIR='$T/locale' '$BISO_RECOVER' --config '$CONF' $*; echo \$? >'$T/exit-$label'; sleep 600" ||
		fail "tmux new-session failed"
}
# the text inside the dialog's box, its wrapped lines joined, into $dialog
dialog() {
	sleep 0.5 # its frame is drawn before its lines
	cap
	dialog=$(printf '%s\n' "$last_screen" | cut -c7-74 | tr '\n' ' ' | tr -s ' ')
}
has() { text_has "$dialog" -F -- "$1"; }

# ---- readonly -------------------------------------------------------------
applog=$DEMO_DATADIR/biso.log
on0=$(grep -c "INFO maintenance mode on" "$applog" || true)
start readonly C.UTF-8 wizard backup --backup-root "'$RO'"
wait_for "Refused before the first step" 60 "[readonly] the refusal's dialog"
dialog
has "the backup cannot write into $RO: $why" ||
	failscreen "[readonly] the dialog does not name $RO and why"
has "HINT: Give --backup-root DIR on a disk that can be written" ||
	failscreen "[readonly] the dialog's hint does not say what to do"
[ "$(grep -c "INFO maintenance mode on" "$applog" || true)" = "$on0" ] ||
	failscreen "[readonly] maintenance mode went on"
[ ! -e "$DEMO_DATADIR/maintenance.on" ] || failscreen "[readonly] maintenance.on is there"
keys q
echo "ok: [readonly] wizard backup into a read-only root: refused before the first step"

# ---- password -------------------------------------------------------------
hba=$(psql -qXAt -c "SHOW hba_file")
psql -qX -v ON_ERROR_STOP=1 -c "SET password_encryption = 'scram-sha-256'" \
	-c "CREATE ROLE pwuser LOGIN PASSWORD 'right'" >/dev/null
{ echo "local all pwuser scram-sha-256"; cat "$hba"; } > "$T/hba" && cat "$T/hba" > "$hba"
psql -qXAt -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
start password de_CH.UTF-8 wizard restore --dbname "'host=$PGHOST port=$PGPORT dbname=biso user=pwuser password=wrong'"
wait_for "Vor dem ersten Schritt abgelehnt" 60 "[password] the refusal's dialog"
dialog
has 'die Anmeldung als "pwuser" an die Datenbank "biso" funktioniert auf dem Server nicht (geprüft an der Datenbank "postgres")' ||
	failscreen "[password] the dialog does not name the login as pwuser to database biso"
has 'Verbindung zur Datenbank "postgres"' && failscreen "[password] the dialog blames the database postgres"
keys q
echo "ok: [password] wizard restore, German: the login as pwuser to database biso, checked on postgres"
