<?php
// BISO 3 configuration, old style with array().
# Config::set('env', 'COMMENTED-OUT');

\Biso\Core\Config::set('env', 'PROD');
Config::set('datadir', '/srv/biso-data');
Config::set('gaia.db', array(
    'host' => '/run/postgresql',
    'dbname' => 'biso',
    'user' => 'biso',
    'password' => 'it\'s',
));
Config::set('languages', array('de', 'fr', 'it'));
if (file_exists(__DIR__ . '/config.local.php')) {
    require __DIR__ . '/config.local.php';
}
