<?php
/**
 * Uninstall: removes the plugin's options and scheduled events. Posts, attachments and
 * their meta (_igny8_*, SEO keys) stay.
 *
 * @package Igny8_Bridge
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

/**
 * Removes this plugin's options and cron events from the current site.
 */
function igny8_bridge_uninstall_site() {
	$options = array(
		'igny8_bridge_api_url',
		'igny8_bridge_api_key',
		'igny8_bridge_signing_secret',
		'igny8_bridge_connection',
		'igny8_bridge_outbox',
	);
	foreach ( $options as $option ) {
		delete_option( $option );
	}
	wp_clear_scheduled_hook( 'igny8_bridge_push_structure' );
	wp_clear_scheduled_hook( 'igny8_bridge_flush_outbox' );
}

if ( is_multisite() ) {
	foreach ( get_sites( array( 'fields' => 'ids', 'number' => 0 ) ) as $igny8_bridge_site_id ) {
		switch_to_blog( $igny8_bridge_site_id );
		igny8_bridge_uninstall_site();
		restore_current_blog();
	}
} else {
	igny8_bridge_uninstall_site();
}
