<?php
Config::set('env', 'PROD');
Config::set('gaia.db', [
    'host' => 'localhost',
    'password' => getenv('X'),
]);
