<?php
Config::set('env', 'PROD');
$x = <<<EOT
never closed
Config::set('datadir', '/srv/biso-data');
