<?php
/**
 * The signed routes under /igny8/v1 and their signature check.
 *
 * @package Igny8_Bridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * IGNY8 → plugin: routes, each guarded by an HMAC-SHA256 signature made with the signing
 * secret IGNY8 gave at connect.
 */
class Igny8_Bridge_Rest {

	const NAMESPACE_V1 = 'igny8/v1';

	/**
	 * How far (seconds) a request's timestamp may be from this server's clock.
	 */
	const WINDOW = 300;

	/**
	 * True while serving a correctly signed request: our own writes are not reported back.
	 *
	 * @var bool
	 */
	private static $serving_signed_request = false;

	/**
	 * Hooks.
	 */
	public static function init() {
		add_action( 'rest_api_init', array( __CLASS__, 'register_routes' ) );
	}

	/**
	 * Whether the current request is one of IGNY8's signed requests.
	 *
	 * @return bool
	 */
	public static function is_serving_signed_request() {
		return self::$serving_signed_request;
	}

	/**
	 * Registers the routes.
	 */
	public static function register_routes() {
		$check = array( __CLASS__, 'check_signature' );

		register_rest_route(
			self::NAMESPACE_V1,
			'/site',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'callback'            => array( __CLASS__, 'get_site' ),
				'permission_callback' => $check,
			)
		);
		register_rest_route(
			self::NAMESPACE_V1,
			'/media',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => array( __CLASS__, 'post_media' ),
				'permission_callback' => $check,
			)
		);
		register_rest_route(
			self::NAMESPACE_V1,
			'/posts',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => array( __CLASS__, 'post_posts' ),
				'permission_callback' => $check,
			)
		);
		register_rest_route(
			self::NAMESPACE_V1,
			'/posts/by-content/(?P<content_id>[A-Za-z0-9_-]+)',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'callback'            => array( __CLASS__, 'get_post_by_content' ),
				'permission_callback' => $check,
			)
		);
	}

	/**
	 * The string that is signed: METHOD \n ROUTE \n TIMESTAMP \n hex(sha256(body)).
	 *
	 * @param string $method    HTTP method.
	 * @param string $route     REST route without query string, e.g. /igny8/v1/posts.
	 * @param string $timestamp Unix seconds as sent.
	 * @param string $body      Raw body.
	 * @return string
	 */
	public static function string_to_sign( $method, $route, $timestamp, $body ) {
		return strtoupper( $method ) . "\n" . $route . "\n" . $timestamp . "\n" . hash( 'sha256', (string) $body );
	}

	/**
	 * Permission callback of every route: verifies X-IGNY8-Timestamp and X-IGNY8-Signature.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error 409 igny8_not_connected without a secret; 401 igny8_bad_signature.
	 */
	public static function check_signature( $request ) {
		$secret = Igny8_Bridge_Connection::signing_secret();
		if ( '' === $secret ) {
			return new WP_Error(
				'igny8_not_connected',
				__( 'This site is not connected to IGNY8.', 'igny8-bridge' ),
				array( 'status' => 409 )
			);
		}

		$timestamp = trim( (string) $request->get_header( 'X-IGNY8-Timestamp' ) );
		$signature = strtolower( trim( (string) $request->get_header( 'X-IGNY8-Signature' ) ) );

		if ( '' === $signature || ! preg_match( '/^[0-9]{1,12}$/', $timestamp ) ) {
			return self::bad_signature( __( 'Missing or malformed signature headers.', 'igny8-bridge' ) );
		}
		if ( abs( time() - (int) $timestamp ) > self::WINDOW ) {
			return self::bad_signature( __( 'The request timestamp is too far from this site\'s clock.', 'igny8-bridge' ) );
		}

		$expected = hash_hmac(
			'sha256',
			self::string_to_sign( $request->get_method(), $request->get_route(), $timestamp, $request->get_body() ),
			$secret
		);
		if ( ! hash_equals( $expected, $signature ) ) {
			return self::bad_signature( __( 'Wrong signature.', 'igny8-bridge' ) );
		}

		self::$serving_signed_request = true;
		return true;
	}

	/**
	 * GET /igny8/v1/site.
	 *
	 * @return WP_REST_Response
	 */
	public static function get_site() {
		return rest_ensure_response( Igny8_Bridge_Publisher::site_info() );
	}

	/**
	 * POST /igny8/v1/media: the body is the image.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public static function post_media( $request ) {
		$alt     = $request->get_header( 'X-IGNY8-Alt' );
		$caption = $request->get_header( 'X-IGNY8-Caption' );

		$result = Igny8_Bridge_Publisher::store_media(
			$request->get_body(),
			(string) $request->get_header( 'Content-Type' ),
			(string) $request->get_header( 'Content-Disposition' ),
			(string) $request->get_header( 'X-IGNY8-Image-Id' ),
			null === $alt ? null : urldecode( $alt ),
			null === $caption ? null : urldecode( $caption )
		);
		return self::respond( $result );
	}

	/**
	 * POST /igny8/v1/posts.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public static function post_posts( $request ) {
		$input = json_decode( $request->get_body(), true );
		return self::respond( Igny8_Bridge_Publisher::upsert_post( $input ) );
	}

	/**
	 * GET /igny8/v1/posts/by-content/<content_id>.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public static function get_post_by_content( $request ) {
		$summary = Igny8_Bridge_Publisher::post_summary( (string) $request['content_id'] );
		if ( null === $summary ) {
			return new WP_Error(
				'igny8_not_found',
				__( 'No post carries this content id.', 'igny8-bridge' ),
				array( 'status' => 404 )
			);
		}
		return rest_ensure_response( $summary );
	}

	/**
	 * 201 for a created object, 200 otherwise; errors as they are.
	 *
	 * @param array|WP_Error $result Result.
	 * @return WP_REST_Response|WP_Error
	 */
	private static function respond( $result ) {
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		return new WP_REST_Response( $result, empty( $result['created'] ) ? 200 : 201 );
	}

	/**
	 * A 401 igny8_bad_signature.
	 *
	 * @param string $message Message.
	 * @return WP_Error
	 */
	private static function bad_signature( $message ) {
		return new WP_Error( 'igny8_bad_signature', $message, array( 'status' => 401 ) );
	}
}
