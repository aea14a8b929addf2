<?php
/**
 * Settings → IGNY8 Bridge.
 *
 * @package Igny8_Bridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The settings page: API URL, site API key, Connect, connection status.
 */
class Igny8_Bridge_Settings {

	const PAGE   = 'igny8-bridge';
	const ACTION = 'igny8_bridge_settings';
	const NONCE  = 'igny8_bridge_settings';

	/**
	 * Hooks.
	 */
	public static function init() {
		add_action( 'admin_menu', array( __CLASS__, 'add_page' ) );
		add_action( 'admin_post_' . self::ACTION, array( __CLASS__, 'handle_post' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( IGNY8_BRIDGE_FILE ), array( __CLASS__, 'action_links' ) );
	}

	/**
	 * Adds the page under Settings.
	 */
	public static function add_page() {
		add_options_page(
			__( 'IGNY8 Bridge', 'igny8-bridge' ),
			__( 'IGNY8 Bridge', 'igny8-bridge' ),
			'manage_options',
			self::PAGE,
			array( __CLASS__, 'render' )
		);
	}

	/**
	 * "Settings" link on the Plugins screen.
	 *
	 * @param array $links Links.
	 * @return array
	 */
	public static function action_links( $links ) {
		array_unshift(
			$links,
			'<a href="' . esc_url( self::page_url() ) . '">' . esc_html__( 'Settings', 'igny8-bridge' ) . '</a>'
		);
		return $links;
	}

	/**
	 * URL of the settings page.
	 *
	 * @return string
	 */
	private static function page_url() {
		return admin_url( 'options-general.php?page=' . self::PAGE );
	}

	/**
	 * Saves the form; connects or disconnects when asked; back to the page with a notice.
	 */
	public static function handle_post() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to change these settings.', 'igny8-bridge' ), 403 );
		}
		check_admin_referer( self::NONCE );

		$do = isset( $_POST['igny8_bridge_do'] ) ? sanitize_key( wp_unslash( $_POST['igny8_bridge_do'] ) ) : 'save';

		if ( 'disconnect' === $do ) {
			Igny8_Bridge_Connection::disconnect();
			self::notice( 'success', __( 'Disconnected. IGNY8 can no longer publish to this site until you connect again.', 'igny8-bridge' ) );
			wp_safe_redirect( self::page_url() );
			exit;
		}

		$raw_url = isset( $_POST['igny8_bridge_api_url'] ) ? sanitize_text_field( wp_unslash( $_POST['igny8_bridge_api_url'] ) ) : '';
		$api_url = Igny8_Bridge_Connection::normalize_api_url( esc_url_raw( $raw_url ) );
		$api_key = isset( $_POST['igny8_bridge_api_key'] ) ? trim( sanitize_text_field( wp_unslash( $_POST['igny8_bridge_api_key'] ) ) ) : '';
		if ( '' === $api_key ) {
			// The key is never shown again: an empty field keeps the saved one.
			$api_key = Igny8_Bridge_Connection::api_key();
		}

		if ( '' !== $raw_url && '' === $api_url ) {
			self::notice( 'error', __( 'The IGNY8 API URL must be an http:// or https:// address.', 'igny8-bridge' ) );
			wp_safe_redirect( self::page_url() );
			exit;
		}

		update_option( Igny8_Bridge_Connection::OPTION_API_URL, $api_url, false );
		update_option( Igny8_Bridge_Connection::OPTION_API_KEY, $api_key, false );

		if ( 'connect' === $do ) {
			$result = Igny8_Bridge_Connection::connect( $api_url, $api_key );
			if ( is_wp_error( $result ) ) {
				/* translators: %s: error message from IGNY8 or from the connection. */
				self::notice( 'error', sprintf( __( 'Could not connect: %s', 'igny8-bridge' ), $result->get_error_message() ) );
			} else {
				$status = Igny8_Bridge_Connection::status();
				if ( '' !== $status['last_push_error'] ) {
					/* translators: %s: error message. */
					self::notice( 'warning', sprintf( __( 'Connected to IGNY8, but sending the site structure failed: %s', 'igny8-bridge' ), $status['last_push_error'] ) );
				} else {
					self::notice( 'success', __( 'Connected to IGNY8. The site structure, categories and tags were sent.', 'igny8-bridge' ) );
				}
			}
		} else {
			self::notice( 'success', __( 'Settings saved.', 'igny8-bridge' ) );
		}

		wp_safe_redirect( self::page_url() );
		exit;
	}

	/**
	 * Keeps a notice for the current user's next page view.
	 *
	 * @param string $type    success|warning|error.
	 * @param string $message Text.
	 */
	private static function notice( $type, $message ) {
		set_transient(
			'igny8_bridge_notice_' . get_current_user_id(),
			array(
				'type'    => $type,
				'message' => $message,
			),
			MINUTE_IN_SECONDS
		);
	}

	/**
	 * The key shown masked: bullets and its last four characters.
	 *
	 * @param string $key Key.
	 * @return string
	 */
	private static function mask( $key ) {
		if ( '' === $key ) {
			return '';
		}
		return str_repeat( '•', 8 ) . substr( $key, -4 );
	}

	/**
	 * Renders the page.
	 */
	public static function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}

		$notice_key = 'igny8_bridge_notice_' . get_current_user_id();
		$notice     = get_transient( $notice_key );
		if ( $notice ) {
			delete_transient( $notice_key );
		}

		$api_url   = Igny8_Bridge_Connection::api_url();
		$api_key   = Igny8_Bridge_Connection::api_key();
		$connected = '' !== Igny8_Bridge_Connection::signing_secret();
		$status    = Igny8_Bridge_Connection::status();
		$outbox    = count( Igny8_Bridge_Webhooks::outbox() );
		$date_fmt  = get_option( 'date_format' ) . ' ' . get_option( 'time_format' );
		?>
		<div class="wrap">
			<h1><?php echo esc_html__( 'IGNY8 Bridge', 'igny8-bridge' ); ?></h1>

			<?php if ( is_array( $notice ) && isset( $notice['type'], $notice['message'] ) ) : ?>
				<div class="notice notice-<?php echo esc_attr( $notice['type'] ); ?> is-dismissible">
					<p><?php echo esc_html( $notice['message'] ); ?></p>
				</div>
			<?php endif; ?>

			<h2><?php echo esc_html__( 'Connection', 'igny8-bridge' ); ?></h2>
			<table class="form-table" role="presentation">
				<tr>
					<th scope="row"><?php echo esc_html__( 'Status', 'igny8-bridge' ); ?></th>
					<td>
						<?php if ( $connected ) : ?>
							<strong><?php echo esc_html__( 'Connected', 'igny8-bridge' ); ?></strong>
							<?php if ( $status['connected_at'] ) : ?>
								<?php
								/* translators: %s: date and time. */
								echo esc_html( sprintf( __( 'since %s', 'igny8-bridge' ), wp_date( $date_fmt, (int) $status['connected_at'] ) ) );
								?>
							<?php endif; ?>
						<?php else : ?>
							<strong><?php echo esc_html__( 'Not connected', 'igny8-bridge' ); ?></strong>
						<?php endif; ?>
						<?php if ( '' !== $status['last_error'] ) : ?>
							<p class="description">
								<?php
								/* translators: %s: error message. */
								echo esc_html( sprintf( __( 'Last error: %s', 'igny8-bridge' ), $status['last_error'] ) );
								?>
							</p>
						<?php endif; ?>
					</td>
				</tr>
				<?php if ( $connected && '' !== $status['site_id'] ) : ?>
					<tr>
						<th scope="row"><?php echo esc_html__( 'IGNY8 site', 'igny8-bridge' ); ?></th>
						<td><code><?php echo esc_html( $status['site_id'] ); ?></code></td>
					</tr>
				<?php endif; ?>
				<?php if ( $status['last_push'] ) : ?>
					<tr>
						<th scope="row"><?php echo esc_html__( 'Site structure sent', 'igny8-bridge' ); ?></th>
						<td>
							<?php echo esc_html( wp_date( $date_fmt, (int) $status['last_push'] ) ); ?>
							<?php if ( '' !== $status['last_push_error'] ) : ?>
								<?php
								/* translators: %s: error message. */
								echo esc_html( sprintf( __( '(failed: %s)', 'igny8-bridge' ), $status['last_push_error'] ) );
								?>
							<?php endif; ?>
						</td>
					</tr>
				<?php endif; ?>
				<?php if ( $outbox ) : ?>
					<tr>
						<th scope="row"><?php echo esc_html__( 'Updates waiting', 'igny8-bridge' ); ?></th>
						<td>
							<?php
							/* translators: %d: number of events. */
							echo esc_html( sprintf( _n( '%d change not yet delivered to IGNY8; retried every 5 minutes.', '%d changes not yet delivered to IGNY8; retried every 5 minutes.', $outbox, 'igny8-bridge' ), $outbox ) );
							?>
						</td>
					</tr>
				<?php endif; ?>
			</table>

			<h2><?php echo esc_html__( 'Settings', 'igny8-bridge' ); ?></h2>
			<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
				<input type="hidden" name="action" value="<?php echo esc_attr( self::ACTION ); ?>" />
				<?php wp_nonce_field( self::NONCE ); ?>
				<table class="form-table" role="presentation">
					<tr>
						<th scope="row"><label for="igny8_bridge_api_url"><?php echo esc_html__( 'IGNY8 API URL', 'igny8-bridge' ); ?></label></th>
						<td>
							<input type="url" class="regular-text code" id="igny8_bridge_api_url" name="igny8_bridge_api_url" value="<?php echo esc_attr( $api_url ); ?>" placeholder="https://" />
							<p class="description"><?php echo esc_html__( 'The address shown in IGNY8 next to your site API key.', 'igny8-bridge' ); ?></p>
						</td>
					</tr>
					<tr>
						<th scope="row"><label for="igny8_bridge_api_key"><?php echo esc_html__( 'Site API key', 'igny8-bridge' ); ?></label></th>
						<td>
							<input type="password" class="regular-text code" id="igny8_bridge_api_key" name="igny8_bridge_api_key" value="" autocomplete="off" placeholder="<?php echo esc_attr( self::mask( $api_key ) ); ?>" />
							<?php if ( '' !== $api_key ) : ?>
								<p class="description">
									<?php
									/* translators: %s: the masked key. */
									echo esc_html( sprintf( __( 'Saved: %s. Leave empty to keep it.', 'igny8-bridge' ), self::mask( $api_key ) ) );
									?>
								</p>
							<?php endif; ?>
						</td>
					</tr>
				</table>
				<p class="submit">
					<button type="submit" class="button button-primary" name="igny8_bridge_do" value="connect"><?php echo esc_html__( 'Connect', 'igny8-bridge' ); ?></button>
					<button type="submit" class="button" name="igny8_bridge_do" value="save"><?php echo esc_html__( 'Save without connecting', 'igny8-bridge' ); ?></button>
					<?php if ( $connected ) : ?>
						<button type="submit" class="button button-link-delete" name="igny8_bridge_do" value="disconnect"><?php echo esc_html__( 'Disconnect', 'igny8-bridge' ); ?></button>
					<?php endif; ?>
				</p>
			</form>
		</div>
		<?php
	}
}
