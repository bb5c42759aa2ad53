<?php
/*
 * Config: the registry that BISO's config.php fills with Config::set().
 * biso-cli and index.php require this file first, then config.php.
 */
final class Config
{
    /** @var array<string, mixed> */
    private static array $values = [];

    public static function set(string $key, mixed $value): void
    {
        self::$values[$key] = $value;
    }

    public static function get(string $key, mixed $default = null): mixed
    {
        return array_key_exists($key, self::$values) ? self::$values[$key] : $default;
    }
}
