# pgcluster.sh: a throw-away PostgreSQL cluster for tests, demo and bench.
#
# Source this file, then:
#   pgc_start DIR   initdb (as user postgres when running as root, via
#                   runuser) into DIR/pgdata and start it listening only on a
#                   Unix socket in DIR; exports PGHOST, PGPORT, PGUSER=postgres,
#                   PGDATABASE=postgres so psql/pg_dump/biso-recover find it.
#   pgc_resume DIR PORT  start a cluster pgc_start made (and pgc_stop
#                   stopped) again, on the same socket directory DIR and
#                   PORT; exports as pgc_start does.
#   pgc_stop DIR    stop it (fast mode); the caller removes DIR.
#   pgc_conninfo [DB]  print a libpq conninfo for the cluster.
# The cluster uses UTF-8 and the C locale (PGC_ENCODING and PGC_LOCALE
# choose others, e.g. SQL_ASCII and C); databases that need de_CH.utf8
# ask for it in CREATE DATABASE, as biso-recover does.
# No TCP port is opened and no system service is touched.

pgc_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return; fi
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$d" ]; then
		echo "pgcluster: no PostgreSQL server found (apt-get install postgresql)" >&2
		return 1
	fi
	echo "$d"
}

pgc_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pgc_start() {
	dir=$1
	bindir=$(pgc_bindir) || return 1
	mkdir -p "$dir" || return 1
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$dir" || return 1
		# the server runs as postgres: every parent must let it through
		runuser -u postgres -- test -x "$dir" || {
			echo "pgcluster: the postgres user cannot reach $dir (a parent directory such as /root is not searchable by others); choose a directory postgres can reach, e.g. below /var/lib or /var/tmp" >&2
			return 1; }
	fi
	# A port number only names the socket file; pick one from the pid.
	PGPORT=$(( 20000 + ($$ % 20000) ))
	pgc_as_owner "$bindir/initdb" -D "$dir/pgdata" -U postgres -E "${PGC_ENCODING:-UTF8}" \
		--locale="${PGC_LOCALE:-C.UTF-8}" -A trust >"$dir/initdb.log" 2>&1 || {
		echo "pgcluster: initdb failed, see $dir/initdb.log" >&2; cat "$dir/initdb.log" >&2; return 1; }
	pgc_resume "$dir" "$PGPORT"
}

pgc_resume() {
	dir=$1 PGPORT=$2
	bindir=$(pgc_bindir) || return 1
	pgc_as_owner "$bindir/pg_ctl" -D "$dir/pgdata" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses='' -c unix_socket_directories='$dir' -p $PGPORT -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=40 ${PGC_OPTS:-}" \
		start >/dev/null || {
		echo "pgcluster: server did not start, see $dir/server.log" >&2; cat "$dir/server.log" >&2; return 1; }
	PGHOST=$dir PGUSER=postgres PGDATABASE=postgres
	export PGHOST PGPORT PGUSER PGDATABASE
}

pgc_stop() {
	dir=$1
	bindir=$(pgc_bindir) || return 1
	[ -d "$dir/pgdata" ] || return 0
	pgc_as_owner "$bindir/pg_ctl" -D "$dir/pgdata" -m fast -w stop >/dev/null 2>&1 || true
}

pgc_conninfo() {
	echo "host=$PGHOST port=$PGPORT user=postgres dbname=${1:-postgres}"
}
