#!/bin/sh
# Failure tests of the SQL replay engine (issue 3): each broken dump must
# fail (or warn) with a clear message naming the dump line, and nothing in
# skipped COPY data may run.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
DRIVER=${REPLAY_DRIVER:-$top_builddir/tests/integration/replay-driver}
. "$top_srcdir/tests/lib/pgcluster.sh"
pgc_bindir >/dev/null || { echo "SKIP: no PostgreSQL server installed"; exit 77; }
[ -x "$DRIVER" ] || { echo "FAIL: $DRIVER not built"; exit 1; }

T=$(mktemp -d /tmp/replay-failures.XXXXXX)
chmod 755 "$T"
trap 'pgc_stop "$T/pg"; rm -rf "$T"' EXIT
fails=0
fail() { printf 'FAIL: %s\n' "$*"; fails=$((fails + 1)); }
ok() { printf 'ok: %s\n' "$*"; }
pgc_start "$T/pg" || exit 1
unset PGDATABASE
n=0
# run [driver options] DUMP: replays into a fresh database $db; output in $T/out
run() {
	n=$((n + 1)); db=db$n
	psql -X -q -d postgres -c "CREATE DATABASE $db" >/dev/null
	"$DRIVER" "$@" "host=$PGHOST port=$PGPORT user=postgres dbname=$db" "$dump" > "$T/out" 2>&1
	rc=$?
}
q() { psql -X -At -d "$db" -c "$1" 2>/dev/null; }
expect() { # expect RC PATTERN WHAT
	if [ "$rc" = "$1" ] && grep -q -- "$2" "$T/out"; then ok "$3"; else
		fail "$3 (exit $rc, want $1 and /$2/):"; sed 's/^/    /' "$T/out" | head -20; fi
}

# ---- failing COPY header: data rows with \N and ; are skipped, never run ----
dump=$T/copyfail.sql
printf 'CREATE TABLE keep (a int);\nCOPY missing (a) FROM stdin;\n\\N\nx;DROP TABLE keep;\n1\t;DROP TABLE keep;\n\\.\nINSERT INTO keep VALUES (1);\n' > "$dump"
run --continue
expect 1 'copyfail.sql:2: relation "missing" does not exist' "failed COPY header reported at its line"
[ "$(q 'select count(*) from keep')" = 1 ] && grep -q 'skipped_rows=3' "$T/out" &&
	ok "failed COPY: 3 data rows skipped, nothing in them ran, the dump went on" ||
	fail "failed COPY data: keep table: $(q 'select count(*) from keep')"
run
expect 1 'statements=2 ' "stop mode stops at the failed COPY"
[ "$(q 'select count(*) from keep')" = 0 ] && ok "stop mode: nothing after the error ran" || fail "stop mode ran on"

# ---- error message: TOC entry, statement, server detail/hint ----
dump=$T/toc.sql
cat > "$dump" <<'EOF'
--
-- Name: t; Type: TABLE; Schema: public; Owner: x
--

CREATE TABLE t (a int
    CONSTRAINT c CHECK (a > 0));
INSERT INTO t VALUES (-1);
EOF
run
expect 1 'toc.sql:7: new row for relation "t" violates check constraint "c"' "server error names the dump line"
expect 1 'TOC entry: Name: t; Type: TABLE; Schema: public; Owner: x; statement: INSERT INTO t VALUES (-1);' "error names the TOC entry and statement"
expect 1 'Failing row contains' "error carries the server's detail"

# ---- COPY data error mapped to the dump line of the row ----
dump=$T/copyrow.sql
printf 'CREATE TABLE n (a int);\nCOPY n (a) FROM stdin;\n1\n2\nthree\n4\n\\.\n' > "$dump"
run
expect 1 'copyrow.sql:5: invalid input syntax for type integer' "bad COPY row reported at its own dump line"

# ---- truncated COPY block ----
dump=$T/trunc.sql
printf 'CREATE TABLE n (a int);\nSELECT 1;\nCOPY n (a) FROM stdin;\n1\n2\n' > "$dump"
run --continue
expect 1 'trunc.sql:3: the COPY data that began at line 4 is not terminated' "truncated COPY block names where it began"
[ "$(q 'select count(*) from n')" = 0 ] && ok "truncated COPY block loads nothing" || fail "truncated COPY loaded rows"

# ---- truncated gzip ----
dump=$T/big.sql.gz
{ printf 'CREATE TABLE g (a text);\nCOPY g (a) FROM stdin;\n'; seq 1 200000 | sed 's/$/ some text to compress/'; printf '\\.\n'; } | gzip > "$T/full.gz"
size=$(wc -c < "$T/full.gz")
head -c $((size / 2)) "$T/full.gz" > "$dump"
run
expect 1 'big.sql.gz:[0-9]* (byte [0-9]*): gzip stream is truncated' "truncated gzip is an error"
expect 1 "offset $((size / 2))\|byte $((size / 2))" "truncated gzip error names the compressed offset ($((size / 2)))"

# ---- trailing garbage after gzip ----
dump=$T/garbage.sql.gz
printf 'SELECT 1;\n' | gzip > "$dump"; printf 'junk' >> "$dump"
run
expect 0 'trailing garbage' "trailing garbage after the last gzip member is a warning"

# ---- NUL byte ----
dump=$T/nul.sql
printf 'SELECT 1;\nSELECT 2\000;\n' > "$dump"
run
expect 1 'nul.sql:2 (byte 18): NUL byte at offset 18' "NUL byte is an error with its offset"

# ---- unknown meta-command: never run ----
dump=$T/meta.sql
printf 'SELECT 1;\n\\! touch %s/shell-ran\n\\set ON_ERROR_STOP off\n\\copy x from y\nSELECT 2;\n' "$T" > "$dump"
run
expect 1 'meta.sql:2: unsupported meta-command \\!' "unknown meta-command is an error naming its line"
[ -e "$T/shell-ran" ] && fail "a meta-command ran a shell" || ok "nothing ran through a shell"
run --continue
expect 1 'errors=2 ' "continue mode reports every bad meta-command"

# ---- \restrict keys ----
dump=$T/restrict.sql
printf '\\restrict abc\nSELECT 1;\n\\connect db1\n\\unrestrict abd\n' > "$dump"
run --continue
expect 1 'not allowed while restricted' "meta-commands refused while restricted"
expect 1 'key does not match' "\\unrestrict with the wrong key refused"

# ---- \connect, \encoding, unknown SET parameter, ON_ERROR_STOP ----
psql -X -q -d postgres -c 'CREATE DATABASE "other db"' >/dev/null
dump=$T/connect.sql
cat > "$dump" <<'EOF'
SET transaction_timeout = 0;
\encoding LATIN1
CREATE TABLE enc (t text);
INSERT INTO enc VALUES ('cafXE9');
\connect -reuse-previous=on "dbname='other db'"
CREATE TABLE here (a int);
\set ON_ERROR_STOP off
SELECT broken;
SELECT 1;
EOF
LC_ALL=C sed -i "s/XE9/$(printf '\351')/" "$dump"
run
expect 1 'unrecognized configuration parameter' "unknown SET parameter reported as a warning"
grep -q 'WARN:.*transaction_timeout' "$T/out" && grep -q 'errors=1 ' "$T/out" &&
	ok "unknown SET parameter is a warning; \\set ON_ERROR_STOP off continued past one error" ||
	{ fail "SET warning / ON_ERROR_STOP"; cat "$T/out"; }
[ "$(q "select t from enc")" = "café" ] && ok "\\encoding LATIN1 converted the data" || fail "\\encoding: $(q 'select t from enc')"
[ "$(psql -X -At -d 'other db' -c "select count(*) from pg_class where relname = 'here'")" = 1 ] &&
	ok "\\connect -reuse-previous=on \"dbname='other db'\" reconnected" || fail "\\connect"

# ---- issue 9.6: meta-command arguments lose a trailing ; as psql's do ----
# (the Chinook sample scripts say `\c chinook;`); compared with psql on the
# same script
psql -X -q -d postgres -c 'CREATE DATABASE semi' -c 'CREATE DATABASE semi_psql' >/dev/null
for target in semi semi_psql; do
	printf '\\c %s;\n\\encoding LATIN1;\nCREATE TABLE t (a text);\nINSERT INTO t SELECT current_setting($$client_encoding$$);\n' \
		"$target" > "$T/semi-$target.sql"
done
dump=$T/semi-semi.sql
run
psql -X -q -d postgres -f "$T/semi-semi_psql.sql" > "$T/psql.out" 2>&1
ours=$(psql -X -At -d semi -c "select a from t" 2>&1)
theirs=$(psql -X -At -d semi_psql -c "select a from t" 2>&1)
if [ "$rc" = 0 ] && [ "$ours" = LATIN1 ] && [ "$theirs" = LATIN1 ]; then
	ok "\\c semi; connected to semi and \\encoding LATIN1; set LATIN1, as psql does"
else
	fail "\\c DB; / \\encoding X;: exit $rc, ours '$ours', psql '$theirs'"; sed 's/^/    /' "$T/out" | head
fi
# a quoted "x;" keeps its semicolon (psql: database "semi;" does not exist)
printf '\\c "semi;"\nCREATE TABLE u (a int);\n' > "$T/semiq.sql"
dump=$T/semiq.sql
run
expect 1 'database "semi;" does not exist' "\\c \"semi;\" keeps the quoted semicolon"

# \connect keeps an unquoted name's case as psql does (OT_SQLIDHACK: no
# downcasing): with "MixedCase" and "mixedcase" both there, \c MixedCase goes
# to "MixedCase" for psql and for us
psql -X -q -d postgres -c 'CREATE DATABASE "MixedCase"' -c 'CREATE DATABASE mixedcase' >/dev/null
for who in ours psql; do
	printf '\\c MixedCase\nCREATE TABLE mc_%s (a int);\n' "$who" > "$T/mixed-$who.sql"
done
dump=$T/mixed-ours.sql
run
psql -X -q -d postgres -f "$T/mixed-psql.sql" > "$T/psql.out" 2>&1
in_mixed=$(psql -X -At -d MixedCase -c "select string_agg(relname, ',' order by relname) from pg_class where relname like 'mc\_%'" 2>&1)
in_lower=$(psql -X -At -d mixedcase -c "select count(*) from pg_class where relname like 'mc\_%'" 2>&1)
if [ "$rc" = 0 ] && [ "$in_mixed" = mc_ours,mc_psql ] && [ "$in_lower" = 0 ]; then
	ok "\\c MixedCase connected to \"MixedCase\", as psql does"
else
	fail "\\c MixedCase: exit $rc, in \"MixedCase\": '$in_mixed', in mixedcase: $in_lower"; sed 's/^/    /' "$T/out" | head
fi

# -reuse-previous=off is taken as on, with a warning: the replay never
# leaves the server it was given for libpq's defaults
dump=$T/reuseoff.sql
cat > "$dump" <<'EOF'
\connect -reuse-previous=off "dbname='other db'"
CREATE TABLE off_here (a int);
EOF
n=$((n + 1)); db=db$n
psql -X -q -d postgres -c "CREATE DATABASE $db" >/dev/null
PGHOST=/nonexistent "$DRIVER" "host=$PGHOST port=$PGPORT user=postgres dbname=$db" "$dump" > "$T/out" 2>&1
rc=$?
expect 0 'reuseoff.sql:1: .connect -reuse-previous=off is taken as -reuse-previous=on' "-reuse-previous=off warned"
[ "$(psql -X -At -d 'other db' -c "select count(*) from pg_class where relname = 'off_here'")" = 1 ] &&
	ok "-reuse-previous=off reconnected to the given server (PGHOST pointed elsewhere)" ||
	{ fail "-reuse-previous=off"; cat "$T/out"; }

# ---- an empty dump, a dump cut off: psql exits 0, the replay fails ----
dump=$T/empty.sql
: > "$dump"
run
expect 1 'empty.sql: the dump is empty: nothing was restored' "an empty dump is an error, not a silent success"
# a real pg_dump cut at a statement boundary before its constraints: what
# was before the cut is restored (as psql would), and the exit says failed
psql -X -q -d postgres -c "CREATE DATABASE cutsrc" >/dev/null
psql -X -q -d cutsrc -c "CREATE TABLE c (id int PRIMARY KEY, v text)" -c "INSERT INTO c VALUES (1, 'a'), (2, 'b')" >/dev/null
pg_dump -d cutsrc > "$T/full.sql"
dump=$T/cut.sql
sed -n '1,/^-- Name: c c_pkey/p' "$T/full.sql" > "$dump"
run
expect 1 'cut.sql:[0-9]*: the dump has no "dump complete" trailer: it was cut off here' "a dump cut before its constraints fails"
[ "$(q 'select count(*) from c')" = 2 ] && [ "$(q "select count(*) from pg_constraint where conname = 'c_pkey'")" = 0 ] &&
	ok "the cut dump: the rows before the cut restored, no constraint" || fail "cut dump state"
run --single-transaction
expect 1 'it was cut off here.*all of it was rolled back' "--single-transaction: a cut dump is rolled back"
[ "$(q "select count(*) from pg_class where relname = 'c'")" = 0 ] && ok "--single-transaction: nothing of the cut dump stayed" ||
	fail "--single-transaction kept part of a cut dump"
# cut inside a statement: named as cut off, the half statement never sent
dump=$T/midcut.sql
sed -n '1,/^CREATE TABLE public.c (/p' "$T/full.sql" > "$dump"
run
expect 1 'midcut.sql:[0-9]*: the dump was cut off inside the statement that starts here; it was not sent' "a dump cut inside a statement"
dump=$T/full.sql
run
expect 0 'errors=0 ' "the same dump whole restores without an error"

# ---- \connect DBNAME USER HOST PORT: kept for the --jobs connections too ----
psql -X -q -d postgres -c 'CREATE ROLE "Role Two" LOGIN' -c 'CREATE DATABASE connpos OWNER "Role Two"' >/dev/null
dump=$T/connpos.sql
cat > "$dump" <<EOF
\\connect connpos "Role Two" - $PGPORT
CREATE TABLE public.w (a int, who text DEFAULT current_user);

--
-- Data for Name: w; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.w (a) FROM stdin;
1
2
\\.
EOF
run --jobs 2
[ "$rc" = 0 ] && [ "$(psql -X -At -d connpos -c "select tableowner from pg_tables where tablename = 'w'")" = "Role Two" ] &&
	[ "$(psql -X -At -d connpos -c "select string_agg(distinct who, ',') from w")" = "Role Two" ] &&
	ok "\\connect DBNAME USER - PORT: the new user made the table and ran the COPY job on another connection" ||
	{ fail "\\connect with positional arguments (exit $rc): owner $(psql -X -At -d connpos -c "select tableowner from pg_tables where tablename = 'w'"), who $(psql -X -At -d connpos -c "select string_agg(distinct who, ',') from w")"; cat "$T/out"; }
printf 'SELECT 1;\n\\connect a b c d e\n' > "$dump"
run
expect 1 'connpos.sql:2: too many arguments to \\connect' "\\connect with five arguments is an error naming the line"

# ---- standard_conforming_strings off, tracked from the server ----
dump=$T/scs.sql
printf "SET standard_conforming_strings = off;\nSET escape_string_warning = off;\nCREATE TABLE s (t text);\nINSERT INTO s VALUES ('a\\\\';b');\nSET standard_conforming_strings = on;\nINSERT INTO s VALUES ('c\\\\');\n" > "$dump"
run
[ "$rc" = 0 ] && [ "$(q "select string_agg(t, '|' order by t) from s")" = "a';b|c\\" ] &&
	ok "standard_conforming_strings off/on followed from the server" || { fail "scs"; cat "$T/out"; }

# ---- BOM, CRLF, \. without final newline ----
dump=$T/bom.sql
printf '\357\273\277SET client_min_messages = warning;\r\nCREATE TABLE b (a int, t text);\r\nCOPY b (a, t) FROM stdin;\r\n1\tx\r\n2\ty\r\n\\.' > "$dump"
run
expect 0 'without a newline' "BOM and CRLF accepted, \\. without final newline warned about"
[ "$(q 'select count(*) from b')" = 2 ] && [ "$(q "select t from b where a = 2")" = y ] &&
	ok "CRLF COPY data loaded" || fail "CRLF COPY data: $(q 'select * from b')"

# ---- stop mode with pipeline batches: statement k fails, k+1 must not take effect ----
dump=$T/stopk.sql
cat > "$dump" <<'EOF'
CREATE TABLE before1 (a int);
INSERT INTO before1 VALUES (1);
SET search_path = public;
INSERT INTO missing VALUES (1);
CREATE TABLE after1 (a int);
INSERT INTO before1 VALUES (2);
EOF
run
expect 1 'stopk.sql:4: relation "missing" does not exist' "stop mode: the failed statement of a batch is named"
[ "$(q "select count(*) from pg_class where relname = 'after1'")" = 0 ] && [ "$(q 'select count(*) from before1')" = 1 ] &&
	ok "stop mode: statements before the failed one took effect, the table created after it does not exist" ||
	fail "stop mode: after1 exists or before1 lost rows ($(q 'select count(*) from before1'))"
run --continue
[ "$(q "select count(*) from pg_class where relname = 'after1'")" = 1 ] && [ "$(q 'select count(*) from before1')" = 2 ] &&
	grep -q 'errors=1 ' "$T/out" && ok "continue mode: every statement but the failed one took effect" ||
	fail "continue mode after a failed statement in a batch"

# ---- a batch is one transaction; its rerun gives psql's own-transaction semantics ----
dump=$T/enum.sql
cat > "$dump" <<'EOF'
CREATE TYPE mood AS ENUM ('sad');
ALTER TYPE mood ADD VALUE 'happy';
CREATE TABLE person (m mood DEFAULT 'happy');
INSERT INTO person DEFAULT VALUES;
EOF
run
[ "$rc" = 0 ] && [ "$(q 'select m from person')" = happy ] &&
	ok "an enum value added and used in the next statements works as in psql" || { fail "enum value use"; cat "$T/out"; }

# ---- --jobs 2 in stop mode: jobs commit in dump order, nothing after a failed one ----
dump=$T/jobs.sql
cat > "$dump" <<'EOF'
--
-- Name: a; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.a (x int);
CREATE TABLE public.b (x int);
CREATE TABLE public.c (x int);

--
-- Data for Name: a; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.a (x) FROM stdin;
1
bad
\.

--
-- Data for Name: b; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.b (x) FROM stdin;
1
2
\.

--
-- Data for Name: c; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.c (x) FROM stdin;
1
1
\.

--
-- Name: c_u; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX c_u ON public.c USING btree (x);

--
-- Name: c_i; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX c_i ON public.c USING btree (x);
EOF
run --jobs 2
expect 1 'jobs.sql:15: invalid input syntax for type integer' "--jobs 2: a failed COPY row is named"
[ "$(q 'select count(*) from b')" = 0 ] && [ "$(q 'select count(*) from c')" = 0 ] &&
	ok "--jobs 2 stop mode: no COPY after the failed one took effect" ||
	fail "--jobs 2 stop mode: b has $(q 'select count(*) from b') rows, c $(q 'select count(*) from c')"
run --jobs 2 --continue
[ "$(q 'select count(*) from b')" = 2 ] && [ "$(q "select count(*) from pg_class where relname = 'c_i'")" = 1 ] &&
	grep -q 'errors=2 ' "$T/out" && ok "--jobs 2 continue mode: two errors, the rest restored" ||
	{ fail "--jobs 2 continue mode"; cat "$T/out"; }
sed -i 's/^bad$/2/' "$dump"
run --jobs 2
expect 1 'jobs.sql:4[0-9]: could not create unique index "c_u"' "--jobs 2: a failed index build is named"
[ "$(q "select count(*) from pg_class where relname in ('c_u', 'c_i')")" = 0 ] && [ "$(q 'select count(*) from b')" = 2 ] &&
	ok "--jobs 2 stop mode: the index after the failed one was rolled back, the data before it kept" ||
	fail "--jobs 2 stop mode after a failed index: $(q "select string_agg(relname, ',') from pg_class where relname like 'c\_%'")"

# ---- --jobs 2: COPY data spooled and fed by a thread; cut off, or no spool dir ----
dump=$T/spool.sql
{ printf 'CREATE TABLE public.s1 (a int);\nCREATE TABLE public.s2 (a int);\n'
  printf '\n--\n-- Data for Name: s1; Type: TABLE DATA; Schema: public; Owner: -\n--\n\nCOPY public.s1 (a) FROM stdin;\n'
  seq 1 100000; printf '\\.\n'
  printf '\n--\n-- Data for Name: s2; Type: TABLE DATA; Schema: public; Owner: -\n--\n\nCOPY public.s2 (a) FROM stdin;\n'
  seq 1 50000; } > "$dump"
run --jobs 2
expect 1 'spool.sql:100015: the COPY data that began at line 100016 is not terminated' "--jobs 2: a COPY cut off by the end of the file is named"
[ "$(q 'select count(*) from s1')" = 100000 ] && [ "$(q 'select count(*) from s2')" = 0 ] &&
	ok "--jobs 2: the complete COPY before it loaded, the cut-off one loaded nothing" ||
	fail "--jobs 2 cut-off COPY: s1 $(q 'select count(*) from s1'), s2 $(q 'select count(*) from s2')"
printf '\\.\n' >> "$dump"
TMPDIR=$T/no-such-dir run --jobs 2
[ "$rc" = 0 ] && [ "$(q 'select sum(a) from s1') $(q 'select sum(a) from s2')" = "5000050000 1250025000" ] &&
	ok "--jobs 2 without a usable spool directory streams directly" ||
	{ fail "--jobs 2 without spool dir (exit $rc)"; cat "$T/out"; }

# a post-data job that starts while the last COPY runs is rolled back when that COPY fails
dump=$T/overlap.sql
{ printf 'CREATE TABLE public.s1 (a int);\nCREATE TABLE public.s2 (a int);\n'
  printf '\n--\n-- Data for Name: s1; Type: TABLE DATA; Schema: public; Owner: -\n--\n\nCOPY public.s1 (a) FROM stdin;\n'
  seq 1 1000; printf '\\.\n'
  printf '\n--\n-- Data for Name: s2; Type: TABLE DATA; Schema: public; Owner: -\n--\n\nCOPY public.s2 (a) FROM stdin;\n'
  seq 1 200000; printf 'bad\n\\.\n'
  printf '\n--\n-- Name: s1_a; Type: INDEX; Schema: public; Owner: -\n--\n\nCREATE INDEX s1_a ON public.s1 USING btree (a);\n'; } > "$dump"
run --jobs 2
expect 1 'overlap.sql:201016: invalid input syntax for type integer' "--jobs 2: the failed row of the last COPY is named"
[ "$(q 'select count(*) from s1')" = 1000 ] && [ "$(q "select count(*) from pg_class where relname = 's1_a'")" = 0 ] &&
	ok "--jobs 2 stop mode: the COPY before the failed one kept, the index after it rolled back" ||
	fail "--jobs 2 overlap: s1 $(q 'select count(*) from s1') rows, s1_a $(q "select count(*) from pg_class where relname = 's1_a'")"
sed -i 's/^bad$/200001/' "$dump"
run --jobs 2
[ "$rc" = 0 ] && [ "$(q "select count(*) from pg_indexes where indexname = 's1_a'") $(q 'select count(*) from s2')" = "1 200001" ] &&
	ok "--jobs 2: the index and both tables restored" || { fail "--jobs 2 overlap, good dump (exit $rc)"; cat "$T/out"; }

# ---- --jobs 2 splits PRIMARY KEY/UNIQUE into an index build and USING INDEX ----
# The index builds run as jobs, the ALTER ... USING INDEX at the next
# barrier; the result and the errors must be psql's.
dump=$T/split.sql
cat > "$dump" <<'EOF'
CREATE TABLE public.p (id int NOT NULL, v text);
CREATE TABLE public.u (a int, b text);
CREATE TABLE public.n (id int);
CREATE TABLE public.q ("Odd Col" int NOT NULL);
CREATE TABLE public.r (a int);

--
-- Data for Name: p; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.p (id, v) FROM stdin;
1	x
2	y
2	z
\.
COPY public.u (a, b) FROM stdin;
1	x
\N	y
\N	y
\.
COPY public.n (id) FROM stdin;
1
\N
\.
COPY public.q ("Odd Col") FROM stdin;
1
2
\.
COPY public.r (a) FROM stdin;
2
\.

--
-- Name: p p_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.p
    ADD CONSTRAINT p_pkey PRIMARY KEY (id);

--
-- Name: u u_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.u
    ADD CONSTRAINT u_key UNIQUE (a, b);

--
-- Name: n n_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.n
    ADD CONSTRAINT n_pkey PRIMARY KEY (id);

--
-- Name: q q_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.q
    ADD CONSTRAINT q_pkey PRIMARY KEY ("Odd Col");

--
-- Name: p_v; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX p_v ON public.p USING btree (v);

--
-- Name: r r_fk; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.r
    ADD CONSTRAINT r_fk FOREIGN KEY (a) REFERENCES public.q("Odd Col");
EOF
psql -X -q -d postgres -c "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.2
run --jobs 2 --continue
psql -X -q -d postgres -c "CREATE DATABASE psql_split" >/dev/null
psql -X -q -d psql_split -f "$dump" > /dev/null 2> "$T/psql.err"
psql -X -q -d postgres -c "ALTER SYSTEM RESET log_statement" -c "SELECT pg_reload_conf()" >/dev/null
pg_dump -d "$db" | grep -v '^\\\(un\)\{0,1\}restrict ' > "$T/ours.dump"
pg_dump -d psql_split | grep -v '^\\\(un\)\{0,1\}restrict ' > "$T/psql.dump"
if cmp -s "$T/ours.dump" "$T/psql.dump" && grep -q 'q_pkey PRIMARY KEY' "$T/ours.dump"; then
	ok "--jobs 2 split constraints: pg_dump equals psql's restore (failed PK, UNIQUE with NULLs, nullable PK, quoted column, FK after)"
else
	fail "--jobs 2 split constraints: pg_dump differs from psql's:"; diff "$T/psql.dump" "$T/ours.dump" | head -20
fi
perr=$(grep -c 'ERROR:' "$T/psql.err")
grep -q "errors=$perr " "$T/out" && [ "$perr" = 2 ] && ok "--jobs 2 split constraints: the same $perr errors as psql" ||
	{ fail "--jobs 2 split constraints: psql had $perr errors"; cat "$T/out" "$T/psql.err"; }
expect 1 'split.sql:37: could not create unique index "p_pkey"' "a failed split PK is named at the dump's ALTER TABLE line"
expect 1 'statement: ALTER TABLE ONLY public.p' "the error quotes the dump's statement, not the split one"
grep -q 'CREATE UNIQUE INDEX q_pkey ON public.q USING btree ("Odd Col")' "$T/pg/server.log" &&
	grep -q 'ADD CONSTRAINT q_pkey PRIMARY KEY USING INDEX q_pkey' "$T/pg/server.log" &&
	grep -q 'ADD CONSTRAINT u_key UNIQUE USING INDEX u_key' "$T/pg/server.log" &&
	! grep -q 'CREATE UNIQUE INDEX n_pkey' "$T/pg/server.log" &&
	ok "PK/UNIQUE split into CREATE UNIQUE INDEX + USING INDEX; not for a PK on a nullable column" ||
	fail "the server log does not show the split as expected: $(grep -c 'UNIQUE INDEX' "$T/pg/server.log") index statements"
run --jobs 2
expect 1 'split.sql:37: could not create unique index "p_pkey"' "--jobs 2 stop mode: the failed split PK stops the replay"
[ "$(q "select count(*) from pg_class where relname in ('p_pkey', 'u_key', 'q_pkey', 'p_v')")" = 0 ] &&
	ok "--jobs 2 stop mode: no index or constraint after the failed PK took effect" ||
	fail "--jobs 2 stop mode after a failed split PK: $(q "select string_agg(relname, ',') from pg_class where relname in ('p_pkey', 'u_key', 'q_pkey', 'p_v')")"

# ---- --jobs with fewer connections than asked: warn and go on ----
dump=$T/limit.sql
for t in 1 2 3 4; do
	printf 'CREATE TABLE public.l%s (x int NOT NULL);\n' $t
done > "$dump"
for t in 1 2 3 4; do
	printf '\n--\n-- Data for Name: l%s; Type: TABLE DATA; Schema: public; Owner: -\n--\n\nCOPY public.l%s (x) FROM stdin;\n' $t $t
	# the first table is big: its jobs are still running when the next come
	if [ $t = 1 ]; then seq 1 300000; else seq 1 2000; fi; printf '\\.\n'
done >> "$dump"
for t in 1 2 3 4; do
	printf '\n--\n-- Name: l%s l%s_pkey; Type: CONSTRAINT; Schema: public; Owner: -\n--\n\nALTER TABLE ONLY public.l%s\n    ADD CONSTRAINT l%s_pkey PRIMARY KEY (x);\n' $t $t $t $t
done >> "$dump"
# (a superuser is not held to a role's connection limit)
psql -X -q -d postgres -c "CREATE ROLE lim LOGIN CONNECTION LIMIT 2" >/dev/null
n=$((n + 1)); db=db$n
psql -X -q -d postgres -c "CREATE DATABASE $db OWNER lim" >/dev/null
"$DRIVER" --jobs 4 "host=$PGHOST port=$PGPORT user=lim dbname=$db" "$dump" > "$T/out" 2>&1
rc=$?
expect 0 'could not open database connection 3 for --jobs 4, going on with 2' "--jobs 4 with a connection limit of 2: a warning, not a failure"
[ "$(q "select count(*) from pg_constraint where conname like 'l%_pkey'")" = 4 ] &&
	[ "$(q 'select sum(x) from l1') $(q 'select count(*) from l4')" = "45000150000 2000" ] &&
	ok "--jobs 4 with two connections restored every table and constraint" ||
	fail "--jobs 4 with two connections: $(q "select count(*) from pg_constraint where conname like 'l%_pkey'") constraints"

# ---- index builds: a parallel worker, or the sort memory of one merge pass ----
# A real pg_dump of a 20 MiB table with a PK and an index on text.  With
# trace_sort the server logs how it sorted, at DEBUG1 how many parallel
# workers it planned for each build.  A build that can get a worker (alone
# on its connection, the server's 64 MB and its default 2 workers) keeps
# the session's maintenance_work_mem: with less the server plans none.  A
# build that gets none (--jobs 2 turns them off, or
# max_parallel_maintenance_workers = 0) gets the least memory that sorts in
# one merge pass: the builds must be external sorts whose only merge pass
# is the final merge (a sort short of memory logs "starting merge pass"
# once per pass), under a maintenance_work_mem below the server's 64 MB
# that --jobs 1 sets back after each build.
psql -X -q -d postgres -c "CREATE DATABASE sortsrc" >/dev/null
psql -X -q -d sortsrc >/dev/null <<'EOF2'
CREATE TABLE s (id int PRIMARY KEY, t text);
INSERT INTO s SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 200000) g;
CREATE INDEX s_t ON s (t);
EOF2
dump=$T/sortmem.sql
pg_dump -d sortsrc > "$dump"
heap_kb=$(psql -X -At -d sortsrc -c "select pg_relation_size('s') / 1024")
log_from() { tail -n +"$1" "$T/pg/server.log"; }
from=$(($(wc -l < "$T/pg/server.log") + 1))
PGOPTIONS="-c log_min_messages=debug1 -c log_statement=all" run --jobs 1
log_from $from > "$T/sort.log"
expect 0 'errors=0 ' "sort memory: --jobs 1 restores the dump with parallel workers allowed"
sets=$(grep -c "maintenance_work_mem = '[0-9]*kB'" "$T/sort.log")
par=$(grep -c 'building index "s_[a-z]*" on table "s" with request for 1 parallel workers' "$T/sort.log")
if [ "$sets" = 0 ] && [ "$par" = 2 ]; then
	ok "sort memory: --jobs 1 keeps the server's 64 MB, both builds get a parallel worker (heap ${heap_kb}kB)"
else
	fail "sort memory: --jobs 1: $sets SETs of maintenance_work_mem, $par builds with a worker:"
	grep -E 'maintenance_work_mem|building index|CREATE INDEX|ADD CONSTRAINT' "$T/sort.log" | head -20
fi
for j in 1 2; do
	from=$(($(wc -l < "$T/pg/server.log") + 1))
	opt="-c trace_sort=on -c log_statement=all -c log_min_messages=debug1"
	# the build alone on its connection gets a worker unless the server gives none
	[ $j = 1 ] && opt="$opt -c max_parallel_maintenance_workers=0"
	PGOPTIONS="$opt" run --jobs $j
	log_from $from > "$T/sort.log"
	expect 0 'errors=0 ' "sort memory: --jobs $j restores the dump without parallel workers"
	if [ $j = 1 ]; then set_re="SET maintenance_work_mem = '[0-9]*kB'"; else set_re="SET LOCAL maintenance_work_mem = '[0-9]*kB'"; fi
	kb=$(grep -o "$set_re" "$T/sort.log" | head -n 1 | tr -dc 0-9)
	sets=$(grep -c "$set_re" "$T/sort.log")
	serial=$(grep -c 'building index "s_[a-z]*" on table "s" serially' "$T/sort.log")
	merges=$(grep -c 'final merge' "$T/sort.log")
	passes=$(grep -c 'starting merge pass' "$T/sort.log")
	if [ -n "$kb" ] && [ "$kb" -lt 65536 ] && [ "$kb" -ge 1024 ] && [ "$sets" -ge 2 ] &&
	   [ "$serial" = 2 ] && [ "$merges" -ge 2 ] && [ "$passes" = "$merges" ] &&
	   [ $((2 * heap_kb / kb)) -le $((kb / 272)) ]; then
		ok "sort memory: --jobs $j builds both indexes serially with ${kb}kB, one merge pass each ($merges final merges, heap ${heap_kb}kB)"
	else
		fail "sort memory: --jobs $j: set ${kb:-nothing} ($sets times), $serial serial builds, $merges final merges, $passes merge passes, heap ${heap_kb}kB:"
		grep -E 'maintenance_work_mem|building index|merge|CREATE INDEX|ADD CONSTRAINT' "$T/sort.log" | head -20
	fi
done
# --jobs 2 with the dump's TOC counts (--info, as after the dump check): the
# last build of the dump, with no other left for the second connection,
# runs with the server's workers and its 64 MB; the one before it without
from=$(($(wc -l < "$T/pg/server.log") + 1))
PGOPTIONS="-c log_min_messages=debug1 -c log_statement=all" run --jobs 2 --info
log_from $from > "$T/sort.log"
expect 0 'errors=0 ' "sort memory: --jobs 2 --info restores the dump"
if grep -q 'building index "s_pkey" on table "s" serially' "$T/sort.log" &&
   grep -q "SET LOCAL maintenance_work_mem = '[0-9]*kB';CREATE UNIQUE INDEX s_pkey" "$T/sort.log" &&
   grep -q 'building index "s_t" on table "s" with request for 1 parallel workers' "$T/sort.log" &&
   grep -q "statement: BEGIN;CREATE INDEX s_t ON" "$T/sort.log"; then
	ok "sort memory: --jobs 2, the dump's last build gets a parallel worker and the session's memory, the one before it none"
else
	fail "sort memory: --jobs 2 --info, the builds:"
	grep -E 'maintenance_work_mem|building index "s_|CREATE INDEX|CREATE UNIQUE INDEX' "$T/sort.log" | grep -v pg_relation_size | head -20
fi
# --jobs 1 sets the session's value back after each build
from=$(($(wc -l < "$T/pg/server.log") + 1))
PGOPTIONS="-c log_statement=all -c max_parallel_maintenance_workers=0" run --jobs 1
log_from $from | grep -E "maintenance_work_mem|CREATE INDEX s_t|ADD CONSTRAINT s_pkey" |
	grep -v pg_relation_size | sed 's/.*statement: //' > "$T/sort.log"
if [ "$(sed -n 1p "$T/sort.log" | cut -c1-26)" = "SET maintenance_work_mem =" ] &&
   [ "$(sed -n 3p "$T/sort.log")" = "SET maintenance_work_mem = '65536kB'" ] &&
   [ "$(sed -n 4p "$T/sort.log" | cut -c1-26)" = "SET maintenance_work_mem =" ] &&
   [ "$(sed -n 5p "$T/sort.log")" = "CREATE INDEX s_t ON public.s USING btree (t);" ] &&
   [ "$(sed -n 6p "$T/sort.log")" = "SET maintenance_work_mem = '65536kB'" ]; then
	ok "sort memory: --jobs 1 sets the old value back after each build"
else
	fail "sort memory: --jobs 1 statements:"; cat "$T/sort.log"
fi
# a lower value in the dump itself is never raised
dump=$T/sortmem-low.sql
{ echo "SET maintenance_work_mem = '1MB';"; cat "$T/sortmem.sql"; } > "$dump"
for j in 1 2; do
	from=$(($(wc -l < "$T/pg/server.log") + 1))
	PGOPTIONS="-c log_statement=all" run --jobs $j
	expect 0 'errors=0 ' "sort memory: --jobs $j restores a dump that sets 1MB"
	c=$(log_from $from | grep -c "maintenance_work_mem = '[0-9]*kB'")
	[ "$c" = 0 ] && ok "sort memory: --jobs $j keeps the dump's lower maintenance_work_mem" ||
		{ fail "sort memory: --jobs $j changed the dump's 1MB:"; log_from $from | grep maintenance_work_mem; }
done

# ---- one big COPY block reports progress while it is read ----
# 128 rows of 100 KiB go out without the COPY buffer; before, no progress
# came between the COPY command and its end (line mode stood still), nor
# while the data of a failed COPY was skipped
dump=$T/bigcopy.sql
row=$(head -c 102400 /dev/zero | tr '\0' x)
{ printf -- '--\n-- Data for Name: big; Type: TABLE DATA; Schema: public; Owner: x\n--\n\n'
  printf 'CREATE TABLE big (a text);\nCOPY big (a) FROM stdin;\n'
  yes "$row" | head -n 128; printf '\\.\n'
  printf 'COPY nosuch (a) FROM stdin;\n'; yes "$row" | head -n 128; printf '\\.\n'; } > "$dump"
run --continue --progress
c=$(grep '^PROGRESS .* table public\.big$' "$T/out" | sort -u | wc -l)
[ "$rc" = 1 ] && [ "$(q 'select count(*) from big')" = 128 ] && [ "$c" -ge 80 ] &&
	ok "a 25 MiB COPY block (loaded and skipped): $c progress reports while it is read" ||
	{ fail "big COPY block: exit $rc, $c progress reports (want >= 80: one per 128 KiB)"; cut -c1-100 "$T/out" | uniq -c | head -20; }

# ---- server killed mid-replay ----
dump=$T/slow.sql
printf 'CREATE TABLE k (a int);\nSELECT pg_sleep(30);\nINSERT INTO k VALUES (1);\n' > "$dump"
n=$((n + 1)); db=db$n
psql -X -q -d postgres -c "CREATE DATABASE $db" >/dev/null
"$DRIVER" "host=$PGHOST port=$PGPORT user=postgres dbname=$db" "$dump" > "$T/out" 2>&1 &
pid=$!
# stop the server while line 2 runs, not before (a loaded machine may take
# longer than any fixed sleep to get there)
for _ in $(seq 300); do
	[ "$(psql -XAt -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'")" = 1 ] && break
	sleep 0.1
done
pgc_as_owner "$(pgc_bindir)/pg_ctl" -D "$T/pg/pgdata" -m immediate -w stop >/dev/null 2>&1
wait $pid
rc=$?
expect 1 'slow.sql:2: the server closed the connection: the replay stopped here' "server killed mid-replay: clear error at the line, exit 1"

echo "$fails failure(s)"
[ "$fails" = 0 ]
