<?php
$base = '/srv';
Config::set('env', 'PROD');
Config::set('datadir', $base . '/data');
