<?php
/**
 * Router for PHP's built-in web server (`php -S 127.0.0.1:PORT -t ROOT router.php`),
 * copied into the shared WordPress tree by ensure_wordpress (infra/wordpress/lib.sh).
 * It does what Apache's mod_rewrite and WordPress's .htaccess do on a real host.
 */

$igny8_path = rawurldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?: '/');

// IGNY8_WP_REST_DISABLED=1 (site.sh start --rest-disabled) plays a host that blocks the
// REST API: both the pretty (/wp-json/...) and the plain (?rest_route=...) forms get 404.
if (getenv('IGNY8_WP_REST_DISABLED')
    && (preg_match('#^(/index\.php)?/wp-json(/|$)#', $igny8_path)
        || isset($_GET['rest_route']) || isset($_POST['rest_route']))) {
    http_response_code(404);
    header('Content-Type: text/plain; charset=utf-8');
    echo "Not Found\n";
    return true;
}

// Existing files (images, scripts, uploads, wp-login.php, wp-admin/*.php) and folders with
// an index.php: the built-in server serves them itself, running .php files as PHP.
$igny8_file = __DIR__ . $igny8_path;
if (strpos($igny8_path, '..') === false
    && (is_file($igny8_file) || is_file(rtrim($igny8_file, '/') . '/index.php'))) {
    return false;
}

// Everything else (pretty permalinks, /wp-json/...) goes to WordPress's front controller,
// as the .htaccess rewrite would send it.
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['PHP_SELF'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = __DIR__ . '/index.php';
chdir(__DIR__);
require __DIR__ . '/index.php';
