<?php
Config::set('env', 'PROD');
Config::set('datadir', '/srv/biso-data');
Config::set('gaia.db', ['dbname' => 'biso']);
