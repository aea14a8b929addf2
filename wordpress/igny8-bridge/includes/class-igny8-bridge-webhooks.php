<?php
/**
 * Reports changes made in WordPress to IGNY8, with an outbox for failed sends.
 *
 * @package Igny8_Bridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Events are collected during a request (at most one per post, the most telling one) and
 * sent once at shutdown. Only posts carrying _igny8_content_id are reported, and nothing
 * is reported while serving IGNY8's own signed requests.
 */
class Igny8_Bridge_Webhooks {

	const OPTION_OUTBOX     = 'igny8_bridge_outbox';
	const CRON_FLUSH_OUTBOX = 'igny8_bridge_flush_outbox';
	const OUTBOX_MAX        = 100;
	const RETRY_DELAY       = 300;
	const TIMEOUT           = 3;

	/**
	 * Sends tried directly in one request; the rest go to the outbox.
	 */
	const MAX_SENDS_PER_REQUEST = 10;

	/**
	 * Which event wins when a post has several in one request.
	 */
	const RANK = array(
		'post_updated'        => 1,
		'post_status_changed' => 2,
		'post_deleted'        => 3,
	);

	/**
	 * Pending events of this request, by post id: array( 'event' => ..., 'payload' => array|null ).
	 *
	 * @var array
	 */
	private static $pending = array();

	/**
	 * Whether the shutdown sender is hooked.
	 *
	 * @var bool
	 */
	private static $hooked = false;

	/**
	 * Hooks.
	 */
	public static function init() {
		add_action( 'transition_post_status', array( __CLASS__, 'on_transition_post_status' ), 10, 3 );
		add_action( 'post_updated', array( __CLASS__, 'on_post_updated' ), 10, 1 );
		add_action( 'trashed_post', array( __CLASS__, 'on_trashed_post' ), 10, 1 );
		add_action( 'before_delete_post', array( __CLASS__, 'on_before_delete_post' ), 10, 1 );
		add_action( self::CRON_FLUSH_OUTBOX, array( __CLASS__, 'flush_outbox' ) );
	}

	/**
	 * A post changed status.
	 *
	 * @param string  $new_status New status.
	 * @param string  $old_status Old status.
	 * @param WP_Post $post       Post.
	 */
	public static function on_transition_post_status( $new_status, $old_status, $post ) {
		if ( $new_status !== $old_status && $post instanceof WP_Post ) {
			self::queue( $post->ID, 'post_status_changed' );
		}
	}

	/**
	 * A post was saved (status unchanged or not).
	 *
	 * @param int $post_id Post id.
	 */
	public static function on_post_updated( $post_id ) {
		self::queue( $post_id, 'post_updated' );
	}

	/**
	 * A post went to the trash (also seen as a status change; kept for safety).
	 *
	 * @param int $post_id Post id.
	 */
	public static function on_trashed_post( $post_id ) {
		self::queue( $post_id, 'post_status_changed' );
	}

	/**
	 * A post is about to be deleted: its meta and permalink are read now.
	 *
	 * @param int $post_id Post id.
	 */
	public static function on_before_delete_post( $post_id ) {
		self::queue( $post_id, 'post_deleted' );
	}

	/**
	 * Keeps the most telling event of a post for the shutdown send.
	 *
	 * @param int    $post_id Post id.
	 * @param string $event   Event name.
	 */
	private static function queue( $post_id, $event ) {
		$post_id = (int) $post_id;
		if ( ! $post_id || Igny8_Bridge_Rest::is_serving_signed_request() ) {
			return;
		}
		if ( wp_is_post_revision( $post_id ) || wp_is_post_autosave( $post_id ) ) {
			return;
		}
		if ( '' === (string) get_post_meta( $post_id, Igny8_Bridge_Publisher::META_CONTENT_ID, true ) ) {
			return;
		}
		if ( '' === Igny8_Bridge_Connection::api_url() || '' === Igny8_Bridge_Connection::api_key() ) {
			return;
		}
		if ( isset( self::$pending[ $post_id ] ) && self::RANK[ self::$pending[ $post_id ]['event'] ] >= self::RANK[ $event ] ) {
			return;
		}

		self::$pending[ $post_id ] = array(
			'event'   => $event,
			// A deleted post is gone by shutdown: describe it now.
			'payload' => 'post_deleted' === $event ? self::payload( $post_id, $event ) : null,
		);

		if ( ! self::$hooked ) {
			self::$hooked = true;
			add_action( 'shutdown', array( __CLASS__, 'send_pending' ) );
		}
	}

	/**
	 * The webhook body {event, content_id, post_id, url, status, modified_gmt}.
	 *
	 * @param int    $post_id Post id.
	 * @param string $event   Event name.
	 * @return array|null Null when the post is gone or carries no content id.
	 */
	public static function payload( $post_id, $event ) {
		$post = get_post( $post_id );
		if ( ! $post ) {
			return null;
		}
		$content_id = (string) get_post_meta( $post->ID, Igny8_Bridge_Publisher::META_CONTENT_ID, true );
		if ( '' === $content_id ) {
			return null;
		}
		return array(
			'event'        => $event,
			'content_id'   => $content_id,
			'post_id'      => (int) $post->ID,
			'url'          => (string) get_permalink( $post ),
			'status'       => $post->post_status,
			'modified_gmt' => Igny8_Bridge_Publisher::format_gmt( $post->post_modified_gmt ),
		);
	}

	/**
	 * Shutdown: sends this request's events; failures go to the outbox.
	 */
	public static function send_pending() {
		$pending       = self::$pending;
		self::$pending = array();
		self::$hooked  = false;

		$sent        = 0;
		$unreachable = false;
		foreach ( $pending as $post_id => $item ) {
			$payload = null !== $item['payload'] ? $item['payload'] : self::payload( $post_id, $item['event'] );
			if ( ! $payload ) {
				continue;
			}
			// The newest state of a post supersedes what the outbox holds for it.
			self::drop_from_outbox( $payload['post_id'] );

			if ( $unreachable || $sent >= self::MAX_SENDS_PER_REQUEST ) {
				self::add_to_outbox( $payload );
				continue;
			}
			++$sent;
			$result = self::send( $payload );
			if ( true !== $result ) {
				$unreachable = 'unreachable' === $result;
				self::add_to_outbox( $payload );
			}
		}
	}

	/**
	 * Sends one event.
	 *
	 * @param array $payload Webhook body.
	 * @return true|string True when IGNY8 took it (2xx) or does not know the content (404,
	 *                     nothing to retry); 'unreachable' or 'failed' otherwise.
	 */
	public static function send( $payload ) {
		$answer = Igny8_Bridge_Connection::post( Igny8_Bridge_Connection::PATH_WEBHOOK, $payload, self::TIMEOUT );
		if ( ! is_wp_error( $answer ) ) {
			return true;
		}
		$data   = $answer->get_error_data();
		$status = ( is_array( $data ) && isset( $data['status'] ) ) ? (int) $data['status'] : 0;
		if ( 404 === $status ) {
			return true;
		}
		return 0 === $status ? 'unreachable' : 'failed';
	}

	/**
	 * The outbox: array of array( 'payload' => ..., 'attempts' => n, 'queued_at' => unix ).
	 *
	 * @return array
	 */
	public static function outbox() {
		$outbox = get_option( self::OPTION_OUTBOX, array() );
		return is_array( $outbox ) ? array_values( $outbox ) : array();
	}

	/**
	 * Appends an event (oldest dropped past OUTBOX_MAX) and schedules a retry.
	 *
	 * @param array $payload  Webhook body.
	 * @param int   $attempts Sends tried so far.
	 */
	private static function add_to_outbox( $payload, $attempts = 1 ) {
		$outbox   = self::outbox();
		$outbox[] = array(
			'payload'   => $payload,
			'attempts'  => (int) $attempts,
			'queued_at' => time(),
		);
		if ( count( $outbox ) > self::OUTBOX_MAX ) {
			$outbox = array_slice( $outbox, -self::OUTBOX_MAX );
		}
		update_option( self::OPTION_OUTBOX, $outbox, false );
		self::schedule_flush();
	}

	/**
	 * Removes the outbox's events about a post.
	 *
	 * @param int $post_id Post id.
	 */
	private static function drop_from_outbox( $post_id ) {
		$outbox = self::outbox();
		$kept   = array();
		foreach ( $outbox as $item ) {
			if ( ! isset( $item['payload']['post_id'] ) || (int) $item['payload']['post_id'] !== (int) $post_id ) {
				$kept[] = $item;
			}
		}
		if ( count( $kept ) !== count( $outbox ) ) {
			update_option( self::OPTION_OUTBOX, $kept, false );
		}
	}

	/**
	 * Schedules the outbox flush in RETRY_DELAY seconds unless one is scheduled.
	 */
	private static function schedule_flush() {
		if ( ! wp_next_scheduled( self::CRON_FLUSH_OUTBOX ) ) {
			wp_schedule_single_event( time() + self::RETRY_DELAY, self::CRON_FLUSH_OUTBOX );
		}
	}

	/**
	 * Cron: resends the outbox in order; stops at the first unreachable answer; reschedules
	 * while events remain.
	 */
	public static function flush_outbox() {
		$outbox = self::outbox();
		if ( ! $outbox ) {
			return;
		}

		$done        = array();
		$failed      = array();
		$unreachable = false;
		foreach ( $outbox as $item ) {
			$key = self::item_key( $item );
			if ( ! isset( $item['payload'] ) || ! is_array( $item['payload'] ) ) {
				$done[ $key ] = true;
				continue;
			}
			if ( $unreachable ) {
				break;
			}
			$result = self::send( $item['payload'] );
			if ( true === $result ) {
				$done[ $key ] = true;
			} else {
				$failed[ $key ] = true;
				$unreachable    = 'unreachable' === $result;
			}
		}

		// Re-read: other requests may have changed the outbox while this one was sending.
		$kept = array();
		foreach ( self::outbox() as $item ) {
			$key = self::item_key( $item );
			if ( isset( $done[ $key ] ) ) {
				continue;
			}
			if ( isset( $failed[ $key ] ) ) {
				$item['attempts'] = ( isset( $item['attempts'] ) ? (int) $item['attempts'] : 0 ) + 1;
			}
			$kept[] = $item;
		}
		update_option( self::OPTION_OUTBOX, $kept, false );

		if ( $kept ) {
			self::schedule_flush();
		}
	}

	/**
	 * Identifies an outbox item across re-reads.
	 *
	 * @param mixed $item Outbox item.
	 * @return string
	 */
	private static function item_key( $item ) {
		$payload = ( is_array( $item ) && isset( $item['payload'] ) ) ? $item['payload'] : $item;
		$queued  = ( is_array( $item ) && isset( $item['queued_at'] ) ) ? $item['queued_at'] : '';
		return md5( wp_json_encode( $payload ) . '|' . $queued );
	}
}
