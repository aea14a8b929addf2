<?php
/**
 * Plugin Name:       IGNY8 Bridge
 * Description:       Connects this site to IGNY8: receives signed publishing requests (posts, media, terms, SEO meta) and reports changes made in WordPress back to IGNY8.
 * Version:           1.0.0
 * Requires at least: 6.0
 * Requires PHP:      7.4
 * Author:            IGNY8
 * License:           GPLv2 or later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       igny8-bridge
 *
 * @package Igny8_Bridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'IGNY8_BRIDGE_VERSION', '1.0.0' );
define( 'IGNY8_BRIDGE_FILE', __FILE__ );
define( 'IGNY8_BRIDGE_DIR', plugin_dir_path( __FILE__ ) );

require_once IGNY8_BRIDGE_DIR . 'includes/class-igny8-bridge-connection.php';
require_once IGNY8_BRIDGE_DIR . 'includes/class-igny8-bridge-publisher.php';
require_once IGNY8_BRIDGE_DIR . 'includes/class-igny8-bridge-rest.php';
require_once IGNY8_BRIDGE_DIR . 'includes/class-igny8-bridge-webhooks.php';
require_once IGNY8_BRIDGE_DIR . 'includes/class-igny8-bridge-settings.php';

Igny8_Bridge_Publisher::init();
Igny8_Bridge_Rest::init();
Igny8_Bridge_Webhooks::init();
Igny8_Bridge_Connection::init();

if ( is_admin() ) {
	Igny8_Bridge_Settings::init();
}

register_activation_hook( __FILE__, array( 'Igny8_Bridge_Connection', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'Igny8_Bridge_Connection', 'deactivate' ) );
