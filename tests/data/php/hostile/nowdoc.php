<?php
Config::set('env', 'PROD');
$motd = <<<'TXT'
    Config::set('datadir', '/not/this');
    TXT;
Config::set('datadir', '/srv/biso-data');
Config::set('gaia.db', ['dbname' => <<<'DB'
    biso
    DB]);
