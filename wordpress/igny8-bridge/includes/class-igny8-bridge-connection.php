<?php
/**
 * Calls from the plugin to IGNY8: connect, site structure, taxonomy terms.
 *
 * @package Igny8_Bridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The plugin's side of "Plugin → IGNY8" in the bridge protocol.
 */
class Igny8_Bridge_Connection {

	const OPTION_API_URL = 'igny8_bridge_api_url';
	const OPTION_API_KEY = 'igny8_bridge_api_key';
	const OPTION_SECRET  = 'igny8_bridge_signing_secret';
	const OPTION_STATUS  = 'igny8_bridge_connection';

	const CRON_PUSH_STRUCTURE = 'igny8_bridge_push_structure';

	const PATH_CONNECT    = '/api/v1/integration/bridge/connect/';
	const PATH_STRUCTURE  = '/api/v1/integration/bridge/structure/';
	const PATH_TAXONOMIES = '/api/v1/integration/bridge/taxonomies/';
	const PATH_WEBHOOK    = '/api/v1/integration/webhooks/wordpress/';

	/**
	 * Hooks.
	 */
	public static function init() {
		add_action( self::CRON_PUSH_STRUCTURE, array( __CLASS__, 'cron_push_structure' ) );
	}

	/**
	 * Activation: schedule the daily structure push.
	 */
	public static function activate() {
		self::schedule_structure_push();
	}

	/**
	 * Deactivation: remove the plugin's scheduled events.
	 */
	public static function deactivate() {
		wp_clear_scheduled_hook( self::CRON_PUSH_STRUCTURE );
		wp_clear_scheduled_hook( Igny8_Bridge_Webhooks::CRON_FLUSH_OUTBOX );
	}

	/**
	 * Schedules the daily structure push unless it is already scheduled.
	 */
	public static function schedule_structure_push() {
		if ( ! wp_next_scheduled( self::CRON_PUSH_STRUCTURE ) ) {
			wp_schedule_event( time() + HOUR_IN_SECONDS, 'daily', self::CRON_PUSH_STRUCTURE );
		}
	}

	/**
	 * Connects this site to IGNY8: sends the site's addresses with the site API key, stores
	 * the signing secret IGNY8 answers, then pushes the site structure and the category and
	 * tag terms. The API URL and key are saved (not autoloaded) before the call.
	 *
	 * @param string $api_url Base URL of the IGNY8 API (without /api/v1/...).
	 * @param string $api_key The site's API key.
	 * @return true|WP_Error True when IGNY8 accepted the connection.
	 */
	public static function connect( $api_url, $api_key ) {
		$api_url = self::normalize_api_url( $api_url );
		$api_key = trim( sanitize_text_field( (string) $api_key ) );

		if ( '' === $api_url ) {
			return new WP_Error( 'igny8_bridge_bad_url', __( 'Enter the IGNY8 API URL (http:// or https://).', 'igny8-bridge' ) );
		}
		if ( '' === $api_key ) {
			return new WP_Error( 'igny8_bridge_no_key', __( 'Enter the site API key from IGNY8.', 'igny8-bridge' ) );
		}

		update_option( self::OPTION_API_URL, $api_url, false );
		update_option( self::OPTION_API_KEY, $api_key, false );

		// site_url is the public address (home URL): WordPress serves /wp-json under it, also
		// when WordPress itself lives in a subfolder.
		$answer = self::post(
			self::PATH_CONNECT,
			array(
				'site_url'       => home_url(),
				'rest_url'       => get_rest_url(),
				'plugin_version' => IGNY8_BRIDGE_VERSION,
				'wp_version'     => get_bloginfo( 'version' ),
			),
			15
		);

		if ( is_wp_error( $answer ) ) {
			self::update_status( array( 'last_error' => $answer->get_error_message() ) );
			return $answer;
		}

		$data   = ( isset( $answer['data'] ) && is_array( $answer['data'] ) ) ? $answer['data'] : array();
		$secret = ( isset( $data['signing_secret'] ) && is_string( $data['signing_secret'] ) ) ? trim( $data['signing_secret'] ) : '';
		if ( '' === $secret ) {
			$error = new WP_Error( 'igny8_bridge_bad_answer', __( 'IGNY8 answered without a signing secret.', 'igny8-bridge' ) );
			self::update_status( array( 'last_error' => $error->get_error_message() ) );
			return $error;
		}

		update_option( self::OPTION_SECRET, $secret, false );
		self::update_status(
			array(
				'connected_at'   => time(),
				'site_id'        => isset( $data['site_id'] ) ? sanitize_text_field( (string) $data['site_id'] ) : '',
				'integration_id' => isset( $data['integration_id'] ) ? sanitize_text_field( (string) $data['integration_id'] ) : '',
				'last_error'     => '',
			)
		);

		self::schedule_structure_push();
		self::push_all();

		return true;
	}

	/**
	 * Forgets the signing secret (signed requests then answer 409 igny8_not_connected).
	 */
	public static function disconnect() {
		delete_option( self::OPTION_SECRET );
		delete_option( self::OPTION_STATUS );
	}

	/**
	 * Pushes the site structure and the category and tag terms; records the outcome.
	 *
	 * @return true|WP_Error The first error met, if any.
	 */
	public static function push_all() {
		$result = self::push_structure();
		if ( ! is_wp_error( $result ) ) {
			$result = self::push_taxonomies();
		}
		self::update_status(
			array(
				'last_push'       => time(),
				'last_push_error' => is_wp_error( $result ) ? $result->get_error_message() : '',
			)
		);
		return $result;
	}

	/**
	 * Sends the same body as GET /igny8/v1/site to IGNY8.
	 *
	 * @return true|WP_Error
	 */
	public static function push_structure() {
		$answer = self::post( self::PATH_STRUCTURE, Igny8_Bridge_Publisher::site_info(), 15 );
		return is_wp_error( $answer ) ? $answer : true;
	}

	/**
	 * Sends the category and tag terms to IGNY8, one request per taxonomy.
	 *
	 * @return true|WP_Error
	 */
	public static function push_taxonomies() {
		foreach ( array( 'category', 'post_tag' ) as $taxonomy ) {
			if ( ! taxonomy_exists( $taxonomy ) ) {
				continue;
			}
			$answer = self::post(
				self::PATH_TAXONOMIES,
				array(
					'taxonomy' => $taxonomy,
					'terms'    => Igny8_Bridge_Publisher::terms( $taxonomy ),
				),
				15
			);
			if ( is_wp_error( $answer ) ) {
				return $answer;
			}
		}
		return true;
	}

	/**
	 * Daily cron: push the structure when the site is connected.
	 */
	public static function cron_push_structure() {
		if ( self::is_connected() ) {
			self::push_all();
		}
	}

	/**
	 * POSTs a JSON body to IGNY8 with the site API key.
	 *
	 * @param string $path    Path below the API URL, e.g. /api/v1/integration/bridge/connect/.
	 * @param array  $body    JSON body.
	 * @param int    $timeout Seconds.
	 * @return array|WP_Error The decoded answer on 2xx; a WP_Error carrying IGNY8's error
	 *                        message and code (data: status) otherwise.
	 */
	public static function post( $path, $body, $timeout ) {
		$api_url = self::api_url();
		$api_key = self::api_key();
		if ( '' === $api_url || '' === $api_key ) {
			return new WP_Error( 'igny8_bridge_not_configured', __( 'The IGNY8 API URL and site API key are not set.', 'igny8-bridge' ) );
		}

		$response = wp_remote_post(
			$api_url . $path,
			array(
				'timeout'     => $timeout,
				'redirection' => 0,
				'headers'     => array(
					'Content-Type'    => 'application/json',
					'Accept'          => 'application/json',
					'X-IGNY8-API-Key' => $api_key,
				),
				'body'        => wp_json_encode( $body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ),
				'data_format' => 'body',
				'user-agent'  => 'IGNY8-Bridge/' . IGNY8_BRIDGE_VERSION . '; ' . home_url( '/' ),
			)
		);

		if ( is_wp_error( $response ) ) {
			return new WP_Error(
				'igny8_bridge_unreachable',
				/* translators: %s: the transport error. */
				sprintf( __( 'Could not reach IGNY8: %s', 'igny8-bridge' ), $response->get_error_message() ),
				array( 'status' => 0 )
			);
		}

		$status = (int) wp_remote_retrieve_response_code( $response );
		$data   = json_decode( wp_remote_retrieve_body( $response ), true );

		if ( $status < 200 || $status >= 300 ) {
			$message = ( is_array( $data ) && ! empty( $data['error'] ) && is_string( $data['error'] ) )
				? $data['error']
				/* translators: %d: HTTP status code. */
				: sprintf( __( 'IGNY8 answered HTTP %d.', 'igny8-bridge' ), $status );
			$code    = ( is_array( $data ) && ! empty( $data['error_code'] ) && is_string( $data['error_code'] ) )
				? $data['error_code']
				: 'igny8_bridge_http_' . $status;
			return new WP_Error( $code, $message, array( 'status' => $status ) );
		}

		return is_array( $data ) ? $data : array();
	}

	/**
	 * Trims, keeps only http(s) URLs, drops a trailing slash and a pasted /api/v1 suffix.
	 *
	 * @param string $url As typed.
	 * @return string '' when not a usable URL.
	 */
	public static function normalize_api_url( $url ) {
		$url = esc_url_raw( trim( (string) $url ), array( 'http', 'https' ) );
		if ( '' === $url || ! wp_parse_url( $url, PHP_URL_HOST ) ) {
			return '';
		}
		$url = untrailingslashit( $url );
		$url = preg_replace( '#/api/v1(/integration)?$#', '', $url );
		return untrailingslashit( $url );
	}

	/**
	 * Saved API URL ('' when none).
	 *
	 * @return string
	 */
	public static function api_url() {
		return (string) get_option( self::OPTION_API_URL, '' );
	}

	/**
	 * Saved site API key ('' when none).
	 *
	 * @return string
	 */
	public static function api_key() {
		return (string) get_option( self::OPTION_API_KEY, '' );
	}

	/**
	 * The signing secret IGNY8 gave at connect ('' when none).
	 *
	 * @return string
	 */
	public static function signing_secret() {
		$secret = get_option( self::OPTION_SECRET, '' );
		return is_string( $secret ) ? $secret : '';
	}

	/**
	 * Whether the plugin can talk to IGNY8 both ways.
	 *
	 * @return bool
	 */
	public static function is_connected() {
		return '' !== self::signing_secret() && '' !== self::api_url() && '' !== self::api_key();
	}

	/**
	 * Connection details shown on the settings page.
	 *
	 * @return array
	 */
	public static function status() {
		$status = get_option( self::OPTION_STATUS, array() );
		return wp_parse_args(
			is_array( $status ) ? $status : array(),
			array(
				'connected_at'    => 0,
				'site_id'         => '',
				'integration_id'  => '',
				'last_error'      => '',
				'last_push'       => 0,
				'last_push_error' => '',
			)
		);
	}

	/**
	 * Merges fields into the stored connection status.
	 *
	 * @param array $fields Fields to set.
	 */
	private static function update_status( $fields ) {
		update_option( self::OPTION_STATUS, array_merge( self::status(), $fields ), false );
	}
}
