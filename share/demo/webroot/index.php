<?php
// BISO 3 demo: a stub of the web front end. It only shows that the
// configuration loads, the datadir is there and the database answers.
require_once __DIR__ . '/lib/bootstrap.php';

header('Content-Type: text/html; charset=utf-8');
try {
    biso_load_config(__DIR__);
    $datadir = biso_datadir();
    if (file_exists($datadir . '/maintenance.on')) {
        http_response_code(503);
        echo "<!doctype html><title>BISO</title><p>Wartungsarbeiten – bitte später wieder versuchen.</p>\n";
        exit;
    }
    $n = biso_db()->query('SELECT count(*) AS n FROM beratungsfall')->fetch()['n'];
    $title = htmlspecialchars((string)Config::get('app.title', 'BISO'));
    echo "<!doctype html><title>$title</title><link rel=stylesheet href=public/css/app.css>\n";
    echo "<h1>$title</h1><p>" . (int)$n . " Beratungsfälle.</p>\n";
} catch (Throwable $e) {
    http_response_code(500);
    echo "<!doctype html><title>BISO</title><p>Fehler: " . htmlspecialchars($e->getMessage()) . "</p>\n";
}
