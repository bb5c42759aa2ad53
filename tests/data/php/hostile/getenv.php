<?php
Config::set('env', 'PROD');

Config::set('datadir', getenv('BISO_DATADIR'));
