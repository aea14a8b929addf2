//! Where an article's HTML is kept: in the content item while it is small, else in
//! the media bucket, one object per write (never overwritten, so every version stays
//! readable). Reads fetch it back, so clients never see the difference.

use igny8_store::{Content, new_id};

use crate::html::word_count;
use crate::{Media, MediaError};

/// DynamoDB items hold at most 400 KB; past this the body goes to S3.
pub const INLINE_HTML_LIMIT: usize = 300 * 1024;

/// Places sanitised `html` as `content`'s body (inline or in S3) and counts its words.
pub async fn place_html(media: &Media, content: &mut Content, html: String) -> Result<(), MediaError> {
    content.word_count = word_count(&html);
    if html.len() <= INLINE_HTML_LIMIT {
        content.html = html;
        content.html_s3_key = None;
        return Ok(());
    }
    // A key of its own per write, not per version number: concurrent updates of one
    // version each write an object, and only the one whose transaction wins is referenced.
    let key = format!("content/{}/{}/v{}-{}.html", content.account_id, content.id, content.version, new_id("w"));
    media.put(&key, html.into_bytes(), "text/html; charset=utf-8").await?;
    content.html = String::new();
    content.html_s3_key = Some(key);
    Ok(())
}
