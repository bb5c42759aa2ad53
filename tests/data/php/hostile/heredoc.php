<?php
Config::set('env', 'PROD');
Config::set('datadir', <<<EOT
    /srv/biso-data
    EOT);
