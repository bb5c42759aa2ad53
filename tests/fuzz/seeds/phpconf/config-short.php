<?php
/*
 * BISO 3 configuration (short array syntax, 'database'/'username' aliases).
 */
declare(strict_types=1);

use Biso\Core\Config;

require_once __DIR__ . '/vendor/autoload.php';

Config::set('env', 'PROD');
Config::set('datadir', __DIR__ . '/data');

Config::set('gaia.db', [
    'driver'   => 'pgsql',
    'host'     => 'db.example.ch',
    'port'     => 5432,
    'database' => 'biso',
    'username' => 'biso_app',
    'password' => "s3cr\x65t",
    'options'  => [
        'sslmode' => 'require',
        'timeouts' => [5, 10, ],
    ],
]);

Config::set('mail.transport', getenv('MAIL_TRANSPORT')); // not ours: skipped
