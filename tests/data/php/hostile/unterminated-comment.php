<?php
Config::set('env', 'PROD');
/* the database
Config::set('datadir', '/srv/biso-data');
