<?php
/**
 * Writing to WordPress for IGNY8: posts, media, terms, SEO meta; the site description.
 *
 * @package Igny8_Bridge
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Does the work behind the signed routes. Input is validated here; the signature is
 * checked before (Igny8_Bridge_Rest).
 */
class Igny8_Bridge_Publisher {

	const META_CONTENT_ID  = '_igny8_content_id';
	const META_TASK_ID     = '_igny8_task_id';
	const META_LAST_SYNCED = '_igny8_last_synced';
	const META_IMAGE_ID    = '_igny8_image_id';

	/**
	 * SEO plugins' meta keys, by our field name.
	 */
	const YOAST_KEYS = array(
		'title'         => '_yoast_wpseo_title',
		'description'   => '_yoast_wpseo_metadesc',
		'focus_keyword' => '_yoast_wpseo_focuskw',
	);

	const RANKMATH_KEYS = array(
		'title'         => 'rank_math_title',
		'description'   => 'rank_math_description',
		'focus_keyword' => 'rank_math_focus_keyword',
	);

	/**
	 * Image types accepted by the media route: extension pattern => mime type.
	 */
	const IMAGE_MIMES = array(
		'jpg|jpeg|jpe' => 'image/jpeg',
		'png'          => 'image/png',
		'gif'          => 'image/gif',
		'webp'         => 'image/webp',
	);

	/**
	 * Hooks.
	 */
	public static function init() {
		add_action( 'init', array( __CLASS__, 'register_meta' ) );
	}

	/**
	 * Registers our meta keys and the SEO plugins' keys for post and page, visible and
	 * writable through core REST by users who can edit the post.
	 */
	public static function register_meta() {
		$keys = array_merge(
			array( self::META_CONTENT_ID, self::META_TASK_ID, self::META_LAST_SYNCED ),
			array_values( self::YOAST_KEYS ),
			array_values( self::RANKMATH_KEYS )
		);
		foreach ( array( 'post', 'page' ) as $post_type ) {
			foreach ( $keys as $key ) {
				register_post_meta(
					$post_type,
					$key,
					array(
						'type'          => 'string',
						'single'        => true,
						'show_in_rest'  => true,
						'auth_callback' => array( __CLASS__, 'can_edit_meta' ),
					)
				);
			}
		}
	}

	/**
	 * Meta auth callback: the user must be able to edit the post.
	 *
	 * @param bool   $allowed  Whether allowed so far.
	 * @param string $meta_key Meta key.
	 * @param int    $post_id  Post id.
	 * @param int    $user_id  User id.
	 * @return bool
	 */
	public static function can_edit_meta( $allowed, $meta_key, $post_id, $user_id = 0 ) {
		return user_can( $user_id ? $user_id : get_current_user_id(), 'edit_post', $post_id );
	}

	/**
	 * Which SEO plugin is active: 'yoast', 'rankmath' or null.
	 *
	 * @return string|null
	 */
	public static function seo_plugin() {
		if ( defined( 'WPSEO_VERSION' ) ) {
			return 'yoast';
		}
		if ( class_exists( 'RankMath' ) ) {
			return 'rankmath';
		}
		return null;
	}

	/**
	 * The answer of GET /igny8/v1/site, also pushed to IGNY8 as the site structure.
	 *
	 * @return array
	 */
	public static function site_info() {
		$post_types = array();
		$counts     = array();
		foreach ( get_post_types( array( 'public' => true ), 'objects' ) as $type ) {
			if ( 'attachment' === $type->name ) {
				continue;
			}
			$post_types[] = array(
				'name'         => $type->name,
				'label'        => $type->label,
				'rest_base'    => self::rest_base( $type ),
				'hierarchical' => (bool) $type->hierarchical,
			);
			$count                 = wp_count_posts( $type->name );
			$counts[ $type->name ] = isset( $count->publish ) ? (int) $count->publish : 0;
		}

		$taxonomies = array();
		foreach ( get_taxonomies( array( 'public' => true ), 'objects' ) as $taxonomy ) {
			$taxonomies[] = array(
				'name'         => $taxonomy->name,
				'label'        => $taxonomy->label,
				'rest_base'    => self::rest_base( $taxonomy ),
				'object_types' => array_values( (array) $taxonomy->object_type ),
				'hierarchical' => (bool) $taxonomy->hierarchical,
			);
		}

		return array(
			'plugin_version' => IGNY8_BRIDGE_VERSION,
			'wp_version'     => get_bloginfo( 'version' ),
			'php_version'    => PHP_VERSION,
			'site_url'       => site_url(),
			'home_url'       => home_url(),
			'rest_url'       => get_rest_url(),
			'permalinks'     => get_option( 'permalink_structure' ) ? 'pretty' : 'plain',
			'seo_plugin'     => self::seo_plugin(),
			'post_types'     => $post_types,
			'taxonomies'     => $taxonomies,
			'counts'         => (object) $counts,
			'terms'          => array(
				'category' => self::terms( 'category' ),
				'post_tag' => self::terms( 'post_tag' ),
			),
		);
	}

	/**
	 * REST base of a post type or taxonomy, null when it is not in REST.
	 *
	 * @param WP_Post_Type|WP_Taxonomy $object Post type or taxonomy.
	 * @return string|null
	 */
	private static function rest_base( $object ) {
		if ( empty( $object->show_in_rest ) ) {
			return null;
		}
		return ! empty( $object->rest_base ) ? (string) $object->rest_base : $object->name;
	}

	/**
	 * All terms of a taxonomy as [{id, name, slug, parent}].
	 *
	 * @param string $taxonomy Taxonomy name.
	 * @return array
	 */
	public static function terms( $taxonomy ) {
		if ( ! taxonomy_exists( $taxonomy ) ) {
			return array();
		}
		$terms = get_terms(
			array(
				'taxonomy'   => $taxonomy,
				'hide_empty' => false,
				'orderby'    => 'term_id',
			)
		);
		if ( is_wp_error( $terms ) ) {
			return array();
		}
		$out = array();
		foreach ( $terms as $term ) {
			$out[] = array(
				'id'     => (int) $term->term_id,
				'name'   => html_entity_decode( $term->name, ENT_QUOTES, 'UTF-8' ),
				'slug'   => $term->slug,
				'parent' => (int) $term->parent,
			);
		}
		return $out;
	}

	/**
	 * The post carrying a content id, in any status (trash included), or null.
	 *
	 * @param string $content_id Our content id.
	 * @return WP_Post|null
	 */
	public static function find_post_by_content_id( $content_id ) {
		$post_types = array_values( array_diff( get_post_types( array( 'public' => true ) ), array( 'attachment' ) ) );
		$post_types = array_values( array_unique( array_merge( $post_types, array( 'post', 'page' ) ) ) );
		return self::find_by_meta( $post_types, array( 'any', 'trash' ), self::META_CONTENT_ID, $content_id );
	}

	/**
	 * The attachment carrying an IGNY8 image id, or null.
	 *
	 * @param string $image_id Our image id.
	 * @return WP_Post|null
	 */
	public static function find_attachment_by_image_id( $image_id ) {
		return self::find_by_meta( 'attachment', 'any', self::META_IMAGE_ID, $image_id );
	}

	/**
	 * The oldest post of the given types and statuses whose meta key holds the value.
	 *
	 * @param string|array $post_types Post types.
	 * @param string|array $statuses   Post statuses.
	 * @param string       $key        Meta key.
	 * @param string       $value      Meta value.
	 * @return WP_Post|null
	 */
	private static function find_by_meta( $post_types, $statuses, $key, $value ) {
		$ids = get_posts(
			array(
				'post_type'        => $post_types,
				'post_status'      => $statuses,
				'meta_key'         => $key, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_key
				'meta_value'       => (string) $value, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_value
				'fields'           => 'ids',
				'posts_per_page'   => 1,
				'orderby'          => 'ID',
				'order'            => 'ASC',
				'no_found_rows'    => true,
				'suppress_filters' => true,
			)
		);
		return empty( $ids ) ? null : get_post( (int) $ids[0] );
	}

	/**
	 * Creates or updates the post of a content id (POST /igny8/v1/posts).
	 *
	 * @param array $input Decoded JSON body.
	 * @return array|WP_Error {post_id, url, status, created}
	 */
	public static function upsert_post( $input ) {
		if ( ! is_array( $input ) ) {
			return self::bad_request( __( 'The body must be a JSON object.', 'igny8-bridge' ) );
		}

		$content_id = self::string_field( $input, 'content_id' );
		if ( '' === $content_id || strlen( $content_id ) > 191 ) {
			return self::bad_request( __( 'content_id is required.', 'igny8-bridge' ) );
		}
		$title = self::string_field( $input, 'title' );
		if ( '' === $title ) {
			return self::bad_request( __( 'title is required.', 'igny8-bridge' ) );
		}

		$status = self::string_field( $input, 'status', 'draft' );
		if ( ! in_array( $status, array( 'draft', 'publish', 'future' ), true ) ) {
			return self::bad_request( __( 'status must be draft, publish or future.', 'igny8-bridge' ) );
		}

		$post_type_given = isset( $input['post_type'] ) && '' !== self::string_field( $input, 'post_type' );
		$post_type       = $post_type_given ? self::string_field( $input, 'post_type' ) : 'post';
		$type_object     = get_post_type_object( $post_type );
		if ( ! $type_object || 'attachment' === $post_type || ( ! $type_object->public && ! in_array( $post_type, array( 'post', 'page' ), true ) ) ) {
			return self::bad_request( __( 'post_type is not a public post type of this site.', 'igny8-bridge' ) );
		}

		$date_gmt = null;
		if ( isset( $input['date_gmt'] ) && '' !== self::string_field( $input, 'date_gmt' ) ) {
			$date_gmt = self::parse_date_gmt( self::string_field( $input, 'date_gmt' ) );
			if ( null === $date_gmt ) {
				return self::bad_request( __( 'date_gmt must look like YYYY-MM-DDTHH:MM:SS.', 'igny8-bridge' ) );
			}
		}
		if ( 'future' === $status && null === $date_gmt ) {
			return self::bad_request( __( 'date_gmt is required when status is future.', 'igny8-bridge' ) );
		}

		$author = 0;
		if ( isset( $input['author'] ) && null !== $input['author'] && '' !== $input['author'] ) {
			$author = absint( $input['author'] );
			if ( ! $author || ! get_userdata( $author ) ) {
				return self::bad_request( __( 'author is not a user of this site.', 'igny8-bridge' ) );
			}
		}

		$featured_media = null;
		if ( array_key_exists( 'featured_media', $input ) && null !== $input['featured_media'] ) {
			$featured_media = absint( $input['featured_media'] );
			if ( $featured_media && 'attachment' !== get_post_type( $featured_media ) ) {
				return self::bad_request( __( 'featured_media is not an attachment of this site.', 'igny8-bridge' ) );
			}
		}

		$category_names = self::names_field( $input, 'categories' );
		$tag_names      = self::names_field( $input, 'tags' );
		if ( false === $category_names || false === $tag_names ) {
			return self::bad_request( __( 'categories and tags must be lists of names.', 'igny8-bridge' ) );
		}

		$seo = array();
		if ( isset( $input['seo'] ) ) {
			if ( ! is_array( $input['seo'] ) ) {
				return self::bad_request( __( 'seo must be an object.', 'igny8-bridge' ) );
			}
			foreach ( array( 'title', 'description', 'focus_keyword' ) as $field ) {
				if ( isset( $input['seo'][ $field ] ) && is_scalar( $input['seo'][ $field ] ) ) {
					$seo[ $field ] = sanitize_text_field( (string) $input['seo'][ $field ] );
				}
			}
		}

		$existing = self::find_post_by_content_id( $content_id );
		$created  = null === $existing;
		$type_now = ( $created || $post_type_given ) ? $post_type : $existing->post_type;

		// Terms first: a failure here leaves the post untouched.
		$category_ids = null;
		if ( null !== $category_names && is_object_in_taxonomy( $type_now, 'category' ) ) {
			$category_ids = self::resolve_terms( $category_names, 'category' );
			if ( is_wp_error( $category_ids ) ) {
				return $category_ids;
			}
		}
		$tag_ids = null;
		if ( null !== $tag_names && is_object_in_taxonomy( $type_now, 'post_tag' ) ) {
			$tag_ids = self::resolve_terms( $tag_names, 'post_tag' );
			if ( is_wp_error( $tag_ids ) ) {
				return $tag_ids;
			}
		}

		if ( $existing && 'trash' === $existing->post_status ) {
			wp_untrash_post( $existing->ID );
		}

		$postarr = array(
			'post_title'  => $title,
			'post_status' => $status,
		);
		foreach ( array( 'content' => 'post_content', 'excerpt' => 'post_excerpt' ) as $field => $column ) {
			if ( $created || array_key_exists( $field, $input ) ) {
				$postarr[ $column ] = self::string_field( $input, $field );
			}
		}
		if ( isset( $input['slug'] ) && '' !== self::string_field( $input, 'slug' ) ) {
			$postarr['post_name'] = sanitize_title( self::string_field( $input, 'slug' ) );
		}
		if ( $created || $post_type_given ) {
			$postarr['post_type'] = $post_type;
		}
		if ( $author ) {
			$postarr['post_author'] = $author;
		} elseif ( $created ) {
			$postarr['post_author'] = self::default_author();
		}
		if ( null !== $date_gmt ) {
			$postarr['post_date_gmt'] = $date_gmt;
			$postarr['post_date']     = get_date_from_gmt( $date_gmt );
			$postarr['edit_date']     = true;
		} elseif ( ! $created && 'publish' === $status && 'future' === $existing->post_status ) {
			// Publishing a scheduled post now: without a new date WordPress would keep it scheduled.
			$postarr['post_date_gmt'] = current_time( 'mysql', true );
			$postarr['post_date']     = current_time( 'mysql' );
			$postarr['edit_date']     = true;
		}

		if ( $created ) {
			$post_id = wp_insert_post( wp_slash( $postarr ), true );
		} else {
			$postarr['ID'] = $existing->ID;
			$post_id       = wp_update_post( wp_slash( $postarr ), true );
		}
		if ( is_wp_error( $post_id ) ) {
			return new WP_Error( 'igny8_write_failed', $post_id->get_error_message(), array( 'status' => 500 ) );
		}
		$post_id = (int) $post_id;

		if ( null !== $category_ids ) {
			wp_set_post_categories( $post_id, $category_ids );
		}
		if ( null !== $tag_ids ) {
			wp_set_post_terms( $post_id, $tag_ids, 'post_tag' );
		}

		if ( null !== $featured_media ) {
			if ( $featured_media ) {
				set_post_thumbnail( $post_id, $featured_media );
			} else {
				delete_post_thumbnail( $post_id );
			}
		}

		if ( $seo ) {
			self::write_seo( $post_id, $seo );
		}

		update_post_meta( $post_id, self::META_CONTENT_ID, wp_slash( $content_id ) );
		if ( isset( $input['task_id'] ) && null !== $input['task_id'] ) {
			update_post_meta( $post_id, self::META_TASK_ID, wp_slash( self::string_field( $input, 'task_id' ) ) );
		}
		update_post_meta( $post_id, self::META_LAST_SYNCED, gmdate( 'Y-m-d\TH:i:s\Z' ) );

		return array(
			'post_id' => $post_id,
			'url'     => (string) get_permalink( $post_id ),
			'status'  => (string) get_post_status( $post_id ),
			'created' => $created,
		);
	}

	/**
	 * Writes SEO fields to the active SEO plugin's keys (both when both are active); with
	 * no SEO plugin active, to the Yoast keys.
	 *
	 * @param int   $post_id Post id.
	 * @param array $seo     Field => value (title, description, focus_keyword).
	 */
	private static function write_seo( $post_id, $seo ) {
		$key_sets = array();
		if ( defined( 'WPSEO_VERSION' ) ) {
			$key_sets[] = self::YOAST_KEYS;
		}
		if ( class_exists( 'RankMath' ) ) {
			$key_sets[] = self::RANKMATH_KEYS;
		}
		if ( ! $key_sets ) {
			$key_sets[] = self::YOAST_KEYS;
		}
		foreach ( $key_sets as $keys ) {
			foreach ( $seo as $field => $value ) {
				update_post_meta( $post_id, $keys[ $field ], wp_slash( $value ) );
			}
		}
	}

	/**
	 * Term ids for names, creating the missing terms.
	 *
	 * @param string[] $names    Term names.
	 * @param string   $taxonomy Taxonomy.
	 * @return int[]|WP_Error
	 */
	public static function resolve_terms( $names, $taxonomy ) {
		$ids = array();
		foreach ( $names as $name ) {
			$term = get_term_by( 'name', $name, $taxonomy );
			if ( $term ) {
				$ids[] = (int) $term->term_id;
				continue;
			}
			$found = term_exists( $name, $taxonomy );
			if ( $found ) {
				$ids[] = (int) ( is_array( $found ) ? $found['term_id'] : $found );
				continue;
			}
			$made = wp_insert_term( $name, $taxonomy );
			if ( is_wp_error( $made ) ) {
				$existing = $made->get_error_data( 'term_exists' );
				if ( 'term_exists' === $made->get_error_code() && $existing ) {
					$ids[] = (int) ( is_array( $existing ) ? $existing['term_id'] : $existing );
					continue;
				}
				return new WP_Error( 'igny8_write_failed', $made->get_error_message(), array( 'status' => 500 ) );
			}
			$ids[] = (int) $made['term_id'];
		}
		return array_values( array_unique( $ids ) );
	}

	/**
	 * Stores an uploaded image (POST /igny8/v1/media), once per IGNY8 image id.
	 *
	 * @param string $bytes        Raw request body.
	 * @param string $content_type Content-Type header.
	 * @param string $disposition  Content-Disposition header.
	 * @param string $image_id     X-IGNY8-Image-Id header.
	 * @param string $alt          Alt text (already URL-decoded), null when not sent.
	 * @param string $caption      Caption (already URL-decoded), null when not sent.
	 * @return array|WP_Error {media_id, url, created}
	 */
	public static function store_media( $bytes, $content_type, $disposition, $image_id, $alt, $caption ) {
		$image_id = sanitize_text_field( (string) $image_id );
		if ( '' === $image_id ) {
			return self::bad_request( __( 'The X-IGNY8-Image-Id header is required.', 'igny8-bridge' ) );
		}

		$existing = self::find_attachment_by_image_id( $image_id );
		if ( $existing ) {
			self::write_attachment_text( $existing->ID, $alt, $caption );
			return array(
				'media_id' => (int) $existing->ID,
				'url'      => (string) wp_get_attachment_url( $existing->ID ),
				'created'  => false,
			);
		}

		if ( '' === (string) $bytes ) {
			return self::bad_request( __( 'The body must be the image bytes.', 'igny8-bridge' ) );
		}
		if ( strlen( $bytes ) > wp_max_upload_size() ) {
			return new WP_Error( 'igny8_too_large', __( 'The image is larger than this site accepts.', 'igny8-bridge' ), array( 'status' => 413 ) );
		}

		$declared = strtolower( trim( strtok( (string) $content_type, ';' ) ) );
		if ( ! in_array( $declared, self::IMAGE_MIMES, true ) ) {
			return self::bad_request( __( 'Only PNG, JPEG, GIF and WebP images are accepted.', 'igny8-bridge' ) );
		}

		require_once ABSPATH . 'wp-admin/includes/file.php';
		require_once ABSPATH . 'wp-admin/includes/media.php';
		require_once ABSPATH . 'wp-admin/includes/image.php';

		$tmp = wp_tempnam( 'igny8-image' );
		if ( ! $tmp || false === file_put_contents( $tmp, $bytes ) ) { // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_file_put_contents
			return new WP_Error( 'igny8_write_failed', __( 'Could not write a temporary file.', 'igny8-bridge' ), array( 'status' => 500 ) );
		}

		// The bytes decide the type, not the headers.
		$actual = wp_get_image_mime( $tmp );
		if ( ! $actual || ! in_array( $actual, self::IMAGE_MIMES, true ) ) {
			wp_delete_file( $tmp );
			return self::bad_request( __( 'Only PNG, JPEG, GIF and WebP images are accepted.', 'igny8-bridge' ) );
		}

		$filename = self::filename_for( $disposition, $image_id, $actual );

		$attachment_id = media_handle_sideload(
			array(
				'name'     => $filename,
				'tmp_name' => $tmp,
			),
			0,
			null,
			wp_slash(
				array(
					'post_excerpt' => null === $caption ? '' : sanitize_textarea_field( $caption ),
					'post_author'  => self::default_author(),
				)
			)
		);
		if ( is_wp_error( $attachment_id ) ) {
			if ( file_exists( $tmp ) ) {
				wp_delete_file( $tmp );
			}
			return new WP_Error( 'igny8_write_failed', $attachment_id->get_error_message(), array( 'status' => 500 ) );
		}

		update_post_meta( $attachment_id, self::META_IMAGE_ID, wp_slash( $image_id ) );
		self::write_attachment_text( $attachment_id, $alt, null );

		return array(
			'media_id' => (int) $attachment_id,
			'url'      => (string) wp_get_attachment_url( $attachment_id ),
			'created'  => true,
		);
	}

	/**
	 * Sets an attachment's alt text and caption when given.
	 *
	 * @param int         $attachment_id Attachment id.
	 * @param string|null $alt           Alt text.
	 * @param string|null $caption       Caption.
	 */
	private static function write_attachment_text( $attachment_id, $alt, $caption ) {
		if ( null !== $alt ) {
			update_post_meta( $attachment_id, '_wp_attachment_image_alt', wp_slash( sanitize_text_field( $alt ) ) );
		}
		if ( null !== $caption ) {
			wp_update_post(
				wp_slash(
					array(
						'ID'           => $attachment_id,
						'post_excerpt' => sanitize_textarea_field( $caption ),
					)
				)
			);
		}
	}

	/**
	 * A safe file name from Content-Disposition, with the extension of the actual type.
	 *
	 * @param string $disposition Content-Disposition header.
	 * @param string $image_id    Fallback base name.
	 * @param string $mime        Actual mime type.
	 * @return string
	 */
	private static function filename_for( $disposition, $image_id, $mime ) {
		$name = '';
		if ( preg_match( "/filename\\*\\s*=\\s*(?:UTF-8|utf-8)''([^;]+)/", (string) $disposition, $m ) ) {
			$name = rawurldecode( trim( $m[1] ) );
		} elseif ( preg_match( '/filename\s*=\s*"([^"]*)"/', (string) $disposition, $m ) ) {
			$name = $m[1];
		} elseif ( preg_match( '/filename\s*=\s*([^;\s]+)/', (string) $disposition, $m ) ) {
			$name = $m[1];
		}
		$name = sanitize_file_name( wp_basename( $name ) );

		$extensions = array(
			'image/jpeg' => 'jpg',
			'image/png'  => 'png',
			'image/gif'  => 'gif',
			'image/webp' => 'webp',
		);
		$base = pathinfo( $name, PATHINFO_FILENAME );
		if ( '' === $base ) {
			$base = sanitize_file_name( 'igny8-' . $image_id );
		}
		$ext = strtolower( (string) pathinfo( $name, PATHINFO_EXTENSION ) );
		$ok  = wp_check_filetype( 'x.' . $ext, self::IMAGE_MIMES );
		if ( $ok['type'] !== $mime ) {
			$ext = $extensions[ $mime ];
		}
		return $base . '.' . $ext;
	}

	/**
	 * The post of a content id as {post_id, url, status, modified_gmt}, or null.
	 *
	 * @param string $content_id Our content id.
	 * @return array|null
	 */
	public static function post_summary( $content_id ) {
		$post = self::find_post_by_content_id( $content_id );
		if ( ! $post ) {
			return null;
		}
		return array(
			'post_id'      => (int) $post->ID,
			'url'          => (string) get_permalink( $post ),
			'status'       => $post->post_status,
			'modified_gmt' => self::format_gmt( $post->post_modified_gmt ),
		);
	}

	/**
	 * A MySQL GMT datetime as YYYY-MM-DDTHH:MM:SS (as WordPress REST shows dates), or null.
	 *
	 * @param string $mysql 'Y-m-d H:i:s'.
	 * @return string|null
	 */
	public static function format_gmt( $mysql ) {
		if ( ! $mysql || '0000-00-00 00:00:00' === $mysql ) {
			return null;
		}
		return str_replace( ' ', 'T', $mysql );
	}

	/**
	 * The author of posts created without one: the first administrator.
	 *
	 * @return int
	 */
	private static function default_author() {
		$current = get_current_user_id();
		if ( $current ) {
			return $current;
		}
		$admins = get_users(
			array(
				'role'    => 'administrator',
				'orderby' => 'ID',
				'order'   => 'ASC',
				'number'  => 1,
				'fields'  => 'ID',
			)
		);
		return empty( $admins ) ? 0 : (int) $admins[0];
	}

	/**
	 * 'YYYY-MM-DDTHH:MM:SS' (optionally with Z, +00:00 or fractions) as MySQL GMT.
	 *
	 * @param string $value As sent.
	 * @return string|null
	 */
	private static function parse_date_gmt( $value ) {
		if ( ! preg_match( '/^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-]00:?00)?$/', trim( $value ), $m ) ) {
			return null;
		}
		if ( ! checkdate( (int) $m[2], (int) $m[3], (int) $m[1] ) || (int) $m[4] > 23 || (int) $m[5] > 59 || (int) $m[6] > 59 ) {
			return null;
		}
		return sprintf( '%s-%s-%s %s:%s:%s', $m[1], $m[2], $m[3], $m[4], $m[5], $m[6] );
	}

	/**
	 * A scalar field as a string ('' or $default when absent).
	 *
	 * @param array  $input   Body.
	 * @param string $key     Field.
	 * @param string $default Default.
	 * @return string
	 */
	private static function string_field( $input, $key, $default = '' ) {
		if ( ! isset( $input[ $key ] ) || ! is_scalar( $input[ $key ] ) ) {
			return $default;
		}
		return trim( (string) $input[ $key ] );
	}

	/**
	 * A list of names: null when absent, false when malformed.
	 *
	 * @param array  $input Body.
	 * @param string $key   Field.
	 * @return string[]|null|false
	 */
	private static function names_field( $input, $key ) {
		if ( ! isset( $input[ $key ] ) ) {
			return null;
		}
		if ( ! is_array( $input[ $key ] ) ) {
			return false;
		}
		$names = array();
		foreach ( $input[ $key ] as $name ) {
			if ( ! is_scalar( $name ) ) {
				return false;
			}
			$name = sanitize_text_field( (string) $name );
			if ( '' !== $name ) {
				$names[] = $name;
			}
		}
		return array_values( array_unique( $names ) );
	}

	/**
	 * A 400 error.
	 *
	 * @param string $message Message.
	 * @return WP_Error
	 */
	private static function bad_request( $message ) {
		return new WP_Error( 'igny8_bad_request', $message, array( 'status' => 400 ) );
	}
}
