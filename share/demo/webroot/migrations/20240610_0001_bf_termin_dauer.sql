-- Appointment length in minutes, filled from begin/end.
ALTER TABLE bf_termin ADD COLUMN dauer_min integer;
UPDATE bf_termin SET dauer_min = (extract(epoch FROM ende - beginn) / 60)::integer WHERE ende IS NOT NULL;
COMMENT ON COLUMN bf_termin.dauer_min IS 'Dauer in Minuten; NULL wenn offen';
