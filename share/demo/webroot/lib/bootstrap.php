<?php
// Loads the configuration and opens the database, as BISO's front controller does.
require_once __DIR__ . '/Config.php';

function biso_load_config(string $webroot): void
{
    $file = $webroot . '/config.php';
    if (!is_file($file)) {
        throw new RuntimeException("config.php not found in $webroot");
    }
    require $file;
}

function biso_datadir(): string
{
    $d = Config::get('datadir');
    if (!is_string($d) || $d === '') {
        throw new RuntimeException("config.php does not set 'datadir'");
    }
    return rtrim($d, '/');
}

function biso_db(): PDO
{
    $c = Config::get('gaia.db');
    if (!is_array($c)) {
        throw new RuntimeException("config.php does not set 'gaia.db'");
    }
    $dsn = sprintf('pgsql:host=%s;port=%d;dbname=%s',
        $c['host'] ?? 'localhost', (int)($c['port'] ?? 5432),
        $c['dbname'] ?? $c['database'] ?? 'biso');
    $pdo = new PDO($dsn, $c['user'] ?? $c['username'] ?? null, $c['password'] ?? null, [
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
        PDO::ATTR_DEFAULT_FETCH_MODE => PDO::FETCH_ASSOC,
    ]);
    $pdo->exec("SET application_name = 'biso-cli'");
    return $pdo;
}
