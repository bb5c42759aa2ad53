<?php
Config::set('env', 'PROD');
if (file_exists('/etc/biso-staging')) {
    Config::set('datadir', '/srv/staging-data');
}
