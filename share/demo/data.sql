-- BISO 3 demo data: generated, deterministic (only arithmetic on
-- generate_series, no random()), so every build makes the same rows.
-- Fake people; any likeness is chance.
-- What it covers: names with umlauts and apostrophes, multi-line text with
-- tabs, CR LF, backslashes, a literal "\." line and a literal "\N", NULLs,
-- empty strings, bytea with every kind of byte, timestamps, jsonb (trigger).

SET client_encoding = 'UTF8';
SET TIME ZONE 'Europe/Zurich';

INSERT INTO params (kunde, name, wert) VALUES
    ('default', 'session.timeout', '3600'),
    ('default', 'pfad.vorlagen', E'C:\\Vorlagen\\BISO'),
    ('default', 'signatur', E'Freundliche Grüsse\n\tIhr BISO-Team'),
    ('default', 'leer', ''),
    ('default', 'unbekannt', NULL),
    ('zweitmandant', 'mandant.name', 'Fachstelle Gößmann & Zürcher'),
    ('zweitmandant', 'session.timeout', '1800');

-- 400 persons
INSERT INTO person (id, vorname, nachname, geburtsdatum, geschlecht, email, telefon, adresse, erstellt_am)
SELECT i,
       (ARRAY['Anna','Jürg','Chloé','Beat','Käthi','Sören','Zoë','Ruedi','Marie-Louise','Élodie',
              'Hans-Peter','Ümit','Björn','Françoise','Nadja','Luca','Gülşen','Mattia','Ørjan','Verena'])[1 + (i * 7) % 20],
       (ARRAY['Müller','Gößmann','Zürcher','Meier','Schnyder','Bärtschi','Rüegg','Häfliger',
              'Nüesch','O''Brien','Keller','Grüniger','Wyss','Früh','Jäggi','Stöckli',
              'Dubois','Rossi','Lüthi','Tschäppät','von Känel','Çelik','Straßer','Ähnlich'])[1 + (i * 13) % 24],
       CASE WHEN i % 11 = 0 THEN NULL ELSE date '1940-01-01' + (i * 397) % 25000 END,
       CASE i % 9 WHEN 0 THEN NULL WHEN 1 THEN 'd' ELSE (ARRAY['w','m'])[1 + i % 2] END,
       CASE WHEN i % 4 = 0 THEN NULL ELSE 'klient' || i || '@example.invalid' END,
       CASE WHEN i % 5 = 0 THEN NULL
            ELSE '+41 44 ' || lpad(((i * 7919) % 1000)::text, 3, '0') || ' ' || lpad(((i * 104729) % 10000)::text, 4, '0') END,
       CASE WHEN i % 13 = 0 THEN ''
            ELSE (ARRAY['Seestrasse','Bahnhofstrasse','Rötelstrasse','Hönggerstrasse','Langstrasse'])[1 + i % 5]
                 || ' ' || (1 + i % 120) || E'\n' || (8000 + (i * 3) % 100) || ' Zürich' END,
       timestamptz '2023-01-02 08:00:00+01' + i * interval '7 hours 13 minutes'
FROM generate_series(1, 400) AS i
ORDER BY i;

-- 600 cases; the trigger logs each insert into bf_log
INSERT INTO beratungsfall (id, fallnummer, person_id, status, thema, betreuer, eroeffnet, abgeschlossen, geaendert_am)
SELECT j,
       'BF-' || lpad((999 + j)::text, 6, '0'),
       1 + (j * 37) % 400,
       'offen',
       (ARRAY['Wohnen','Arbeit & Lohn','Schulden','Familie','Gesundheit','Aufenthalt',
              'Sozialversicherung','Trennung/Scheidung'])[1 + (j * 5) % 8],
       CASE WHEN j % 10 = 0 THEN NULL
            ELSE (ARRAY['R. Zürcher','M. Gößmann','S. Müller','L. Rüegg'])[1 + j % 4] END,
       date '2023-01-09' + (j * 3) % 540,
       NULL,
       (date '2023-01-09' + (j * 3) % 540) + time '09:00'
FROM generate_series(1, 600) AS j
ORDER BY j;

-- status changes (logged by the trigger again)
UPDATE beratungsfall
SET status = CASE WHEN id % 3 = 1 THEN 'in_bearbeitung'::fall_status ELSE 'abgeschlossen'::fall_status END,
    abgeschlossen = CASE WHEN id % 3 = 2 THEN eroeffnet + (30 + id % 200)::integer END,
    geaendert_am = eroeffnet + 14 + time '16:30'
WHERE id % 3 <> 0;

-- 2000 appointments
INSERT INTO bf_termin (id, beratungsfall_id, beginn, ende, ort, art)
SELECT k,
       1 + (k * 7) % 600,
       b,
       CASE WHEN k % 17 = 0 THEN NULL ELSE b + (ARRAY[interval '50 minutes', interval '90 minutes', interval '25 minutes'])[1 + k % 3] END,
       (ARRAY['Büro 2.14', 'Telefon', NULL, 'Hausbesuch', 'Sitzungszimmer «See»'])[1 + k % 5],
       (ARRAY['Gespräch', 'Telefonat', 'Hausbesuch', 'Begleitung'])[1 + (k * 3) % 4]
FROM generate_series(1, 2000) AS k,
     LATERAL (SELECT timestamptz '2023-01-09 08:00:00+01' + ((k * 5) % 540) * interval '1 day'
                     + (k % 9) * interval '1 hour' + (k % 4) * interval '15 minutes' AS b) AS t
ORDER BY k;

-- 1500 minutes of appointments, some with an attachment and its thumbnail
INSERT INTO bf_termin_protokoll (id, bf_termin_id, text, anhang_pfad, anhang_thumb, erstellt_von, erstellt_am)
SELECT m,
       1 + (m * 3) % 2000,
       CASE
         WHEN m % 50 = 0 THEN
           E'Sonderzeichen-Test ' || m || E':\n\\.\nund \\N als Text, "Anführungszeichen" und ''Hochkomma''\r\nTab:\t|Backslash am Ende:\\'
         WHEN m % 7 = 0 THEN
           E'Kurz: Termin verschoben.'
         ELSE
           'Protokoll ' || m || E'\nAnwesend:\tKlient:in, Beratung\nThemen:\n\t- '
           || (ARRAY['Miete zu hoch','Kündigung erhalten','Betreibung','Krankenkasse','Stipendium'])[1 + m % 5]
           || E'\n\t- Budget (CHF ' || (m * 37) % 5000 || E'.–)\nAblage: C:\\BISO\\Fälle\\'
           || m || E'\\\nNächster Schritt: Unterlagen nachreichen.'
       END,
       CASE WHEN m % 5 = 0 THEN
           (ARRAY['attachments/2024/03/Protokoll Gespräch 1.pdf',
                  'attachments/2024/03/Protokoll Gespräch 2.pdf',
                  'attachments/2024/03/Überweisung Ärztin.pdf',
                  'attachments/2023/11/scan 0001.jpg',
                  'attachments/2024/04/Budget Müller.xlsx',
                  'attachments/2024/04/Brief an Hr. O''Brien.odt'])[1 + (m / 5) % 6]
       END,
       CASE WHEN m % 5 = 0 THEN
           '\x89504e470d0a1a0a'::bytea
           || decode(repeat(md5(m::text) || '005c090a0d2c5c4e00ff', 1 + m % 8), 'hex')
            WHEN m = 7 THEN '\x'::bytea
       END,
       (ARRAY['R. Zürcher','M. Gößmann','S. Müller','L. Rüegg'])[1 + m % 4],
       timestamptz '2023-01-10 17:00:00+01' + ((m * 5) % 540) * interval '1 day'
FROM generate_series(1, 1500) AS m
ORDER BY m;

-- 1200 notes
INSERT INTO bf_notiz (id, beratungsfall_id, titel, text, vertraulich, erstellt_am)
SELECT n,
       1 + (n * 11) % 600,
       CASE WHEN n % 6 = 0 THEN NULL
            ELSE (ARRAY['Telefonnotiz','Aktennotiz','Rückruf','E-Mail von Klient:in','Übergabe'])[1 + n % 5] END,
       CASE WHEN n % 9 = 0 THEN
              E'Zeile 1\nZeile 2\twith tab\nZeile 3 mit Umlauten: äöü ÄÖÜ ß é\n'
            ELSE
              'Notiz ' || n || E' zum Fall.\n'
              || CASE WHEN n % 4 = 0 THEN E'Vertraulich: nicht an Dritte weitergeben.\n' ELSE '' END
              || E'Pfad\\zur\\Datei; Semikolon; und -- kein Kommentar'
       END,
       n % 4 = 0,
       timestamptz '2023-01-11 11:45:00+01' + ((n * 7) % 540) * interval '1 day' + n * interval '1 second'
FROM generate_series(1, 1200) AS n
ORDER BY n;

-- identities and sequences continue after the generated ids
SELECT setval(pg_get_serial_sequence('person', 'id'), (SELECT max(id) FROM person));
SELECT setval(pg_get_serial_sequence('beratungsfall', 'id'), (SELECT max(id) FROM beratungsfall));
SELECT setval('beratungsfall_nr_seq', 999 + (SELECT max(id) FROM beratungsfall));
SELECT setval(pg_get_serial_sequence('bf_termin', 'id'), (SELECT max(id) FROM bf_termin));
SELECT setval(pg_get_serial_sequence('bf_termin_protokoll', 'id'), (SELECT max(id) FROM bf_termin_protokoll));
SELECT setval(pg_get_serial_sequence('bf_notiz', 'id'), (SELECT max(id) FROM bf_notiz));

