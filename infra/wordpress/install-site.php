<?php
/**
 * Installs one test site into an empty database through WordPress's own functions (the
 * machine has no wp-cli). Run by `infra/wordpress/site.sh start`, with IGNY8_WP_ROOT,
 * IGNY8_WP_DB, IGNY8_WP_MYSQL_SOCKET and IGNY8_WP_URL in the environment:
 *
 *   php install-site.php TITLE pretty|plain
 *
 * Prints one JSON object with the users' passwords.
 */

[, $title, $permalinks] = $argv + [null, 'IGNY8 test site', 'pretty'];

$url = getenv('IGNY8_WP_URL');
$_SERVER['HTTP_HOST'] = parse_url($url, PHP_URL_HOST) . ':' . parse_url($url, PHP_URL_PORT);
$_SERVER['REQUEST_URI'] = '/';
define('WP_INSTALLING', true);
require getenv('IGNY8_WP_ROOT') . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

// No mail server here; and wp_install would probe the site over HTTP to pick permalinks
// unless it finds some already set: we set them ourselves below.
add_filter('pre_wp_mail', '__return_false');
$probe_skip = function () { return '/%postname%/'; };
add_filter('pre_option_permalink_structure', $probe_skip);

$admin_password = wp_generate_password(24, false);
$installed = wp_install($title, 'admin', 'admin@example.com', true, '', $admin_password);
remove_filter('pre_option_permalink_structure', $probe_skip);
$admin_id = $installed['user_id'];
wp_set_current_user($admin_id);

[$app_password] = WP_Application_Passwords::create_new_application_password($admin_id, ['name' => 'igny8-tests']);

$contributor_id = wp_create_user('author1', wp_generate_password(24, false), 'author1@example.com');
if (is_wp_error($contributor_id)) {
    fwrite(STDERR, $contributor_id->get_error_message() . "\n");
    exit(1);
}
(new WP_User($contributor_id))->set_role('contributor');
[$contributor_app_password] = WP_Application_Passwords::create_new_application_password($contributor_id, ['name' => 'igny8-tests']);

// The product's plugin, when the repository has it (wordpress/igny8-bridge, linked in).
foreach (array_keys(get_plugins('/igny8-bridge')) as $file) {
    $activated = activate_plugin('igny8-bridge/' . $file);
    if (is_wp_error($activated)) {
        fwrite(STDERR, "igny8-bridge: " . $activated->get_error_message() . "\n");
        exit(1);
    }
}

// Pretty permalinks (/wp-json/... works) unless the test wants plain ones (?rest_route= only).
update_option('permalink_structure', $permalinks === 'plain' ? '' : '/%postname%/');
$GLOBALS['wp_rewrite']->init();
flush_rewrite_rules(false);

echo json_encode([
    'admin_password' => $admin_password,
    'app_password' => $app_password,
    'contributor_app_password' => $contributor_app_password,
]), "\n";
