-- Case-insensitive search by family name.
CREATE INDEX IF NOT EXISTS person_nachname_lower_idx ON person (lower(nachname), lower(vorname));
