#!/bin/sh
# deps.sh: install what biso-recover needs to build, test and run its demo on
# Debian 12.  Run as root (or through sudo).  Idempotent: when every package
# is already there and the locales exist it only checks and says so.
#
# It never starts or enables a system service: PostgreSQL's package would
# create and start a "main" cluster on a fresh install; that is prevented by
# create_main_cluster = false (set after postgresql-common and before the
# server package) and by a policy-rc.d that denies service starts while
# apt-get runs.  An existing cluster is left alone.

set -eu

PACKAGES="build-essential autoconf automake pkg-config libncurses-dev libpq-dev
zlib1g-dev libarchive-dev libconfig-dev libcmocka-dev postgresql
postgresql-client php-cli php-pgsql rsync tmux libarchive-tools zstd xz-utils
bzip2 zip pigz locales ca-certificates time procps attr acl python3 clang libclang-rt-14-dev
dpkg-dev debhelper lintian debootstrap debian-archive-keyring man-db bash-completion
gettext autopoint"
LOCALES="de_CH.UTF-8 de_DE.UTF-8 de_AT.UTF-8 en_US.UTF-8 fr_FR.UTF-8"
CCCONF=/etc/postgresql-common/createcluster.conf
POLICY=/usr/sbin/policy-rc.d

say() { echo "deps: $*"; }

if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		say "not root, re-running through sudo"
		exec sudo -- "$0" "$@"
	fi
	echo "deps: must run as root (apt-get install, locale-gen)" >&2
	exit 2
fi

export DEBIAN_FRONTEND=noninteractive
APT_OPTS="-y --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing=""
for p in $PACKAGES; do
	installed "$p" || missing="$missing $p"
done

# policy-rc.d: deny service starts while we install, unless the machine
# already has one (a container usually does); ours is removed on exit.
our_policy=""
cleanup() {
	if [ -n "$our_policy" ]; then
		rm -f "$POLICY"
		say "removed temporary $POLICY"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "$missing" ]; then
	say "missing packages:$missing"
	if [ ! -e "$POLICY" ]; then
		printf '#!/bin/sh\n# biso-recover tools/deps.sh: no service starts during install\nexit 101\n' >"$POLICY"
		chmod 755 "$POLICY"
		our_policy=yes
		say "installed temporary $POLICY (exit 101: no service starts)"
	else
		say "$POLICY already present, left as it is"
	fi

	say "apt-get update"
	apt-get update

	# The server package creates a "main" cluster in its postinst when
	# createcluster.conf allows it: install postgresql-common first, turn
	# that off, then install the rest.  Only on a machine without a server.
	if ! installed postgresql-15; then
		if ! installed postgresql-common; then
			say "apt-get install postgresql-common (first, to configure it)"
			# shellcheck disable=SC2086
			apt-get install $APT_OPTS postgresql-common
		fi
		if [ -f "$CCCONF" ]; then
			if grep -Eq '^[[:space:]]*create_main_cluster[[:space:]]*=[[:space:]]*false' "$CCCONF"; then
				say "$CCCONF already has create_main_cluster = false"
			elif grep -Eq '^[#[:space:]]*create_main_cluster' "$CCCONF"; then
				sed -i -E 's/^[#[:space:]]*create_main_cluster[[:space:]]*=.*/create_main_cluster = false/' "$CCCONF"
				say "set create_main_cluster = false in $CCCONF"
			else
				echo 'create_main_cluster = false' >>"$CCCONF"
				say "appended create_main_cluster = false to $CCCONF"
			fi
		else
			mkdir -p "$(dirname "$CCCONF")"
			echo 'create_main_cluster = false' >"$CCCONF"
			say "wrote $CCCONF with create_main_cluster = false"
		fi
	fi

	say "apt-get install$missing"
	# shellcheck disable=SC2086
	apt-get install $APT_OPTS $missing
else
	say "all packages installed, nothing to do for apt"
fi

# Locales: PostgreSQL needs de_CH.utf8 in the OS for BISO's CREATE DATABASE;
# de_DE and de_AT for the test that they select the German messages, fr_FR
# for the one that a language without a catalogue falls back to English.
have_locales=$(locale -a 2>/dev/null | tr '[:upper:]' '[:lower:]' | sed 's/utf-8/utf8/')
need_gen=""
for l in $LOCALES; do
	norm=$(echo "$l" | tr '[:upper:]' '[:lower:]' | sed 's/utf-8/utf8/')
	if ! echo "$have_locales" | grep -qx "$norm"; then
		need_gen="$need_gen $l"
	fi
done
if [ -n "$need_gen" ]; then
	say "locales missing:$need_gen"
	touch /etc/locale.gen
	for l in $need_gen; do
		line="$l UTF-8"
		if grep -Eq "^[[:space:]]*${l}[[:space:]]+UTF-8" /etc/locale.gen; then
			:
		elif grep -Eq "^#[[:space:]]*${l}[[:space:]]+UTF-8" /etc/locale.gen; then
			sed -i -E "s/^#[[:space:]]*(${l}[[:space:]]+UTF-8.*)/\\1/" /etc/locale.gen
			say "enabled $line in /etc/locale.gen"
		else
			echo "$line" >>/etc/locale.gen
			say "added $line to /etc/locale.gen"
		fi
	done
	say "locale-gen"
	locale-gen
else
	say "locales present:$(for l in $LOCALES; do printf ' %s' "$l"; done)"
fi

say "PostgreSQL server: $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
say "done"
