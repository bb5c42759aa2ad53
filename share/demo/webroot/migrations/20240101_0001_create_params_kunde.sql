-- Parameters of the default customer ("kunde") of this installation.
INSERT INTO params (kunde, name, wert) VALUES
    ('demo', 'mandant.name', 'Beratungsstelle Zürichsee (Demo)'),
    ('demo', 'mandant.ort', 'Zürich'),
    ('demo', 'termin.dauer_default', '50'),
    ('demo', 'brief.vorlage', 'templates/current/brief_standard.odt')
ON CONFLICT (kunde, name) DO NOTHING;
