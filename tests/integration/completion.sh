#!/bin/bash
# Bash completion (share/bash-completion/biso-recover): sources it into this
# shell, fills COMP_WORDS/COMP_CWORD as bash does for a command line, calls
# the completion function and compares COMPREPLY with what must be offered:
# commands, options per command, --only's comma list of step names (also
# as --only=...), option values, files and directories.  Then, for every
# command, the options offered must be exactly those its --help text lists
# (plus --help), the commands those of the global --help, and the step
# names of --only those of each command's flow (restore --help, and the
# program's own list), so a command, option or step added without a
# completion fails here.
set -uo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}
failed=0
fail() { echo "FAIL: $*"; failed=1; }
. "$top_srcdir/tests/lib/match.sh" # text_has

# shellcheck source=/dev/null
. "$top_srcdir/share/bash-completion/biso-recover" || { echo "FAIL: cannot source the completion"; exit 1; }
[ "$(complete -p biso-recover 2>/dev/null)" = "complete -F _biso_recover biso-recover" ] ||
	fail "complete -p biso-recover: '$(complete -p biso-recover 2>&1)'"

# comp LINE: words split at blanks and around "=" as bash's default
# COMP_WORDBREAKS does; a LINE ending in a blank completes an empty word.
# Prints COMPREPLY sorted, one per line.
comp() {
	local line=${1//=/ = }
	read -r -a COMP_WORDS <<<"$line"
	[[ $1 == *' ' || $1 == *= ]] && COMP_WORDS+=('')
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$1 COMP_POINT=${#1}
	COMPREPLY=()
	_biso_recover biso-recover "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}" | sort
}

# expect LINE WORD...: COMPREPLY is exactly WORD... (in any order)
expect() {
	local line=$1 want got
	shift
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
	got=$(comp "$line")
	[ "$got" = "$want" ] || fail "'$line': offered [$(echo $got)], expected [$(echo $want)]"
}

expect 'biso-recover ' backup backup-list backup-prune backup-verify cleanup db-inspect db-restore drill files-restore files-verify refresh restore rollback status wizard
expect 'biso-recover db-' db-inspect db-restore
expect 'biso-recover --config /x res' restore
expect 'biso-recover --config /x restore --dr' --dry-run
expect 'biso-recover restore --only ' config database datadir migrations verify webroot
expect 'biso-recover restore --only webroot,da' webroot,database webroot,datadir
expect 'biso-recover restore --only webroot,database,' webroot,database,config webroot,database,datadir \
	webroot,database,migrations webroot,database,verify
expect 'biso-recover restore --only=ver' verify
expect 'biso-recover restore --only=webroot --y' --yes
expect 'biso-recover --on-error c' continue
expect 'biso-recover db-restore --on-error=s' stop
expect 'biso-recover files-restore --ke' --keep-special-modes
expect 'biso-recover files-verify --ch' --checksum
expect 'biso-recover db-inspect --' --help
expect 'biso-recover restore extra' # restore takes no arguments
expect 'biso-recover cleanup al' all
expect 'biso-recover --jobs ' # a number: nothing to offer
expect 'biso-recover refresh --attachments p' placeholder
expect 'biso-recover wizard re' refresh restore
expect 'biso-recover wizard backup ' # one flow

# Paths, in a directory of our own (names with blanks stay one word).
T=$(mktemp -d /tmp/br-compl.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir "$T/sub dir" "$T/subway"
: >"$T/dump 1.sql.gz"
: >"$T/sub.conf"
cd "$T" || exit 1
expect 'biso-recover db-inspect du' 'dump 1.sql.gz'
expect 'biso-recover db-restore --dbname dbname=x d' 'dump 1.sql.gz'
expect 'biso-recover --config su' 'sub dir' sub.conf subway
expect 'biso-recover --webroot su' 'sub dir' subway
expect 'biso-recover restore --backup-root=su' 'sub dir' subway
expect 'biso-recover files-restore --exclude su su' 'sub dir' sub.conf subway
cd / || exit 1

# Options offered == options in each command's --help (and --help).
help_opts() { grep -o -- '--[a-z][a-z-]*' | sort -u; }
# The commands offered == those the global usage lists (ui/main.c's table).
commands=$(LC_ALL=C "$BISO_RECOVER" --help | sed -n 's/^\(Usage:\)\{0,1\} *biso-recover \([a-z][a-z-]*\).*/\2/p' | sort -u)
got=$(comp 'biso-recover ')
[ -n "$commands" ] && [ "$got" = "$commands" ] ||
	fail "'biso-recover ' offers [$(echo $got)], --help lists [$(echo $commands)]"
for cmd in '' $commands; do
	if [ -z "$cmd" ]; then
		# the global help: its Options section (the usage lines above it
		# name every command's options)
		want=$("$BISO_RECOVER" --help | sed -n '/^Options:/,$p' | help_opts)
	else
		want=$({ "$BISO_RECOVER" "$cmd" --help; echo --help; } | help_opts)
	fi
	[ -n "$want" ] || { fail "no options in 'biso-recover $cmd --help'"; continue; }
	got=$(comp "biso-recover ${cmd:+$cmd }--")
	if [ "$got" != "$want" ]; then
		fail "'biso-recover ${cmd:+$cmd }--' offers what its --help does not list, or misses some (- help, + completion):"
		diff <(echo "$want") <(echo "$got") | grep '^[<>]' | sed 's/^</  -/;s/^>/  +/'
	fi
done

# The step names offered for --only == those restore --help names.
want=$("$BISO_RECOVER" restore --help | tr '\n' ' ' |
	sed -n 's/.*run only these steps (\([^)]*\)).*/\1/p' | tr -s ', ' '\n\n' | sed '/^$/d' | sort)
got=$(comp 'biso-recover restore --only ')
[ -n "$want" ] && [ "$got" = "$want" ] ||
	fail "--only offers [$(echo $got)], restore --help names [$(echo $want)]"
# and for every command with --only, the steps of its flow, as the program
# names them when it refuses an unknown one ("Steps are a, b, c.")
# (the wizard's --only: the steps of the flow named after it)
for cmd in $commands 'wizard restore' 'wizard refresh' 'wizard backup'; do
	[ "$cmd" = wizard ] && continue
	text_has "$("$BISO_RECOVER" ${cmd#wizard } --help)" -- '--only' || continue
	want=$(LC_ALL=C "$BISO_RECOVER" ${cmd#wizard } --dry-run --only no-such-step --config /dev/null 2>&1 |
		sed -n 's/^HINT: Steps are \(.*\)\.$/\1/p' | tr -s ', ' '\n\n' | sed '/^$/d' | sort)
	got=$(comp "biso-recover $cmd --only ")
	[ -n "$want" ] && [ "$got" = "$want" ] ||
		fail "'biso-recover $cmd --only ' offers [$(echo $got)], its flow's steps are [$(echo $want)]"
done

[ "$failed" = 0 ] && echo "completion: all checks passed"
exit "$failed"
