<?php
Config::set('env', 'PROD');
include __DIR__ . '/config.local.php';
Config::set('datadir', include __DIR__ . '/datadir.php');
