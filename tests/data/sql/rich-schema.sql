-- A source database with every object kind pg_dump writes, used by
-- tests/integration/replay-vs-psql.sh: it is loaded with psql, dumped with
-- pg_dump, and the dump is restored with psql and with replay_run().
CREATE SCHEMA app;
CREATE SCHEMA "Odd Schema; ""x""";
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy; very');
CREATE DOMAIN app.posint AS integer CHECK (VALUE > 0);
CREATE TYPE app.pair AS (a integer, b text);
CREATE TYPE app.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE SEQUENCE app.counter START 42;

CREATE TABLE app.person (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    note text,
    mood app.mood DEFAULT 'ok',
    age app.posint,
    photo bytea,
    born timestamp with time zone,
    name_len integer GENERATED ALWAYS AS (length(name)) STORED,
    "Größe" numeric(5,2),
    "semi;colon" text
);
COMMENT ON TABLE app.person IS 'People; with ''quotes'' and $$dollars$$';
COMMENT ON COLUMN app.person.note IS E'multi\nline';

INSERT INTO app.person (name, note, mood, age, photo, born, "Größe", "semi;colon") VALUES
 ('Müller', E'tab\there\nnewline', 'happy; very', 30, '\x00ff10'::bytea, '2001-02-03 04:05:06+01', 1.80, 'a;b'),
 ('O''Brien', E'back\\slash \\N not null', 'sad', 41, NULL, NULL, NULL, E'\\.'),
 ('', NULL, NULL, NULL, '\x'::bytea, NULL, 0, ''),
 ('漢字 and emoji 😀', E'\\.\n\\.', 'ok', 7, decode(repeat('ab', 5000), 'hex'), now(), 2, '\N');

CREATE TABLE app.visit (
    id bigserial PRIMARY KEY,
    person_id integer NOT NULL REFERENCES app.person(id) ON DELETE CASCADE,
    at tsrange,
    pair app.pair,
    tags text[],
    info jsonb,
    r app.floatrange
);
INSERT INTO app.visit (person_id, at, pair, tags, info, r)
SELECT 1 + (g % 3), tsrange('2020-01-01'::timestamp + g * interval '1 day', NULL), ROW(g, 'p' || g)::app.pair,
       ARRAY['x;y', 'z\w', NULL], jsonb_build_object('g', g, 's', E'a\tb'), app.floatrange(g, g + 1)
FROM generate_series(1, 500) g;
CREATE INDEX visit_person_idx ON app.visit (person_id);
CREATE UNIQUE INDEX visit_expr_idx ON app.visit ((lower(tags[1])), id) WHERE id > 0;

CREATE TABLE app.parted (k integer, v text) PARTITION BY RANGE (k);
CREATE TABLE app.parted_1 PARTITION OF app.parted FOR VALUES FROM (0) TO (100);
CREATE TABLE app.parted_2 PARTITION OF app.parted FOR VALUES FROM (100) TO (200);
INSERT INTO app.parted SELECT g, 'v' || g FROM generate_series(0, 199) g;
CREATE TABLE app.base (id integer, t text);
CREATE TABLE app.child (extra integer) INHERITS (app.base);
INSERT INTO app.child VALUES (1, 'inherited', 2);

CREATE TABLE "Odd Schema; ""x"""."Table; ""quoted"" $x$" ("col;1" integer, "$$" text);
INSERT INTO "Odd Schema; ""x"""."Table; ""quoted"" $x$" VALUES (1, '$$;$$');

CREATE FUNCTION app.plus(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
  SELECT CASE WHEN a IS NULL THEN b ELSE a + b END;
END;
CREATE FUNCTION app.classify(x integer) RETURNS text LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN x < 0 THEN 'neg' WHEN x = 0 THEN 'zero' ELSE 'pos' END;
  SELECT 'unused; semicolon';
END;
CREATE PROCEDURE app.bump(n integer) LANGUAGE sql
BEGIN ATOMIC
  UPDATE app.person SET age = age + n WHERE age IS NOT NULL;
END;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  NEW.note := coalesce(NEW.note, '') || ';touched $$';
  RETURN NEW;
END;
$body$;
CREATE FUNCTION app.sum_state(integer, integer) RETURNS integer LANGUAGE sql AS 'SELECT $1 + $2';
CREATE AGGREGATE app.mysum(integer) (SFUNC = app.sum_state, STYPE = integer, INITCOND = '0');
CREATE FUNCTION app.pair_eq(app.pair, app.pair) RETURNS boolean LANGUAGE sql AS 'SELECT $1.a = $2.a';
CREATE OPERATOR app.=== (LEFTARG = app.pair, RIGHTARG = app.pair, FUNCTION = app.pair_eq);
CREATE FUNCTION app.mood_to_int(app.mood) RETURNS integer LANGUAGE sql AS $$SELECT 1$$;
CREATE CAST (app.mood AS integer) WITH FUNCTION app.mood_to_int(app.mood);

CREATE TRIGGER person_touch BEFORE INSERT ON app.person FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE VIEW app.adults AS SELECT id, name FROM app.person WHERE age >= 18;
CREATE MATERIALIZED VIEW app.visit_counts AS SELECT person_id, count(*) AS n FROM app.visit GROUP BY person_id;
CREATE TABLE app.log (msg text);
CREATE RULE person_log AS ON UPDATE TO app.person DO ALSO (INSERT INTO app.log VALUES ('u;1'); INSERT INTO app.log VALUES ('u;2'));
ALTER TABLE app.person ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON app.person USING (name <> 'secret; policy');
CREATE TABLE app.nulls (a text, b text);
INSERT INTO app.nulls VALUES (NULL, ''), ('\N', E'\\N'), (E'\r', E'x\ry'), (E'end\\', '\.');
CREATE TABLE app.empty (a int);
SELECT lo_from_bytea(0, convert_to('large object; data', 'UTF8'));
SELECT setval('app.counter', 77);
