<?php
Config::set('env', 'PROD');
Config::set('datadir', "/srv/\0biso");
