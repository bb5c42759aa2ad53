# tests/lib/match.sh: does a text match, without a pipe (sourced; POSIX sh).
#
#   text_has TEXT GREP-ARG...    grep -q GREP-ARG... over TEXT, e.g.
#                                text_has "$last_screen" -E -- 'Step [0-9]+ of 6'
#                                text_has "$(locale -a)" -ix 'de_CH.utf-\?8'
#
# Not `printf '%s\n' "$text" | grep -q PATTERN`: grep -q quits at its first
# match, the producer's next write then dies of SIGPIPE (exit 141), and
# under `set -o pipefail` that exit status is the pipeline's: a match taken
# for none, now and then.  A here-document has no producer that can outlive
# grep.  A command's output is matched as "$(command)".  (Not named `has`:
# a test's own function of that name would replace it unseen.)

text_has() {
	_text_has=$1
	shift
	grep -q "$@" <<EOF
$_text_has
EOF
}
