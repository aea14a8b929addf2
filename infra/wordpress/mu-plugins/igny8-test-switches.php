<?php
/**
 * Plugin Name: IGNY8 test switches (TEST ONLY)
 * Description: Fault injection for IGNY8's end-to-end tests. Never install it on a real site.
 *
 * Copied into wp-content/mu-plugins of the local test WordPress by infra/wordpress/lib.sh.
 * A test sets options through `infra/wordpress/site.sh eval NAME 'PHP'`:
 *   update_option('igny8_test_fail_next', 2);      // the next 2 REST requests fail...
 *   update_option('igny8_test_fail_status', 503);  // ...with this status (default 500)
 */

add_filter('rest_pre_dispatch', function ($result, $server, $request) {
    global $wpdb;
    // One atomic UPDATE, so parallel requests never consume the same failure twice.
    $taken = $wpdb->query(
        "UPDATE {$wpdb->options} SET option_value = CAST(option_value AS SIGNED) - 1"
        . " WHERE option_name = 'igny8_test_fail_next' AND CAST(option_value AS SIGNED) > 0"
    );
    if (!$taken) {
        return $result;
    }
    wp_cache_delete('alloptions', 'options');
    wp_cache_delete('igny8_test_fail_next', 'options');
    $status = (int) get_option('igny8_test_fail_status', 500) ?: 500;
    return new WP_Error('igny8_test_failure', 'Failure injected by igny8-test-switches', ['status' => $status]);
}, 0, 3);
