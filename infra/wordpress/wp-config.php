<?php
/**
 * wp-config.php for the local test WordPress (copied into the shared WordPress tree by
 * ensure_wordpress in infra/wordpress/lib.sh). One tree serves many sites at once: every
 * per-site value comes from the environment that infra/wordpress/site.sh gives php.
 * Not for production.
 */

$igny8_db = getenv('IGNY8_WP_DB');
$igny8_socket = getenv('IGNY8_WP_MYSQL_SOCKET');
if (!$igny8_db || !$igny8_socket) {
    http_response_code(500);
    exit("IGNY8_WP_DB and IGNY8_WP_MYSQL_SOCKET must be set (start sites with infra/wordpress/site.sh)\n");
}

// A private MariaDB reached over its unix socket; root has no password there.
define('DB_NAME', $igny8_db);
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:' . $igny8_socket);
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = 'wp_';

// Fixed salts: these sites hold nothing secret and live for one test.
define('AUTH_KEY',         'igny8-test-auth-key');
define('SECURE_AUTH_KEY',  'igny8-test-secure-auth-key');
define('LOGGED_IN_KEY',    'igny8-test-logged-in-key');
define('NONCE_KEY',        'igny8-test-nonce-key');
define('AUTH_SALT',        'igny8-test-auth-salt');
define('SECURE_AUTH_SALT', 'igny8-test-secure-auth-salt');
define('LOGGED_IN_SALT',   'igny8-test-logged-in-salt');
define('NONCE_SALT',       'igny8-test-nonce-salt');

// "local" lets application passwords work over plain http.
define('WP_ENVIRONMENT_TYPE', 'local');

// The site's address, so one tree can answer on any port.
if ($igny8_url = getenv('IGNY8_WP_URL')) {
    define('WP_HOME', $igny8_url);
    define('WP_SITEURL', $igny8_url);
}

// Each site uploads into its own folder (relative to this directory), so sites that run
// in parallel never share files.
define('UPLOADS', 'wp-content/uploads/' . $igny8_db);

// Cron runs only when a test asks for it; nothing updates itself or calls out to the
// internet (these machines have no network: calls must fail at once instead of hanging).
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_ACCESSIBLE_HOSTS', '127.0.0.1,localhost');
define('FS_METHOD', 'direct');

// Errors never reach a response body; they go to the site's log file (site.sh sets it;
// without it, as in `site.sh eval`, PHP writes them to stderr).
define('WP_DEBUG', false);
ini_set('display_errors', '0');
ini_set('log_errors', '1');
if ($igny8_log = getenv('IGNY8_WP_ERROR_LOG')) {
    ini_set('error_log', $igny8_log);
}

if (!defined('ABSPATH')) {
    define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
