//! Article bodies and image bytes, shared by the writer function (what customers edit)
//! and the AI worker (what the AI writes): one sanitiser, one word count, one bucket.

mod article;
mod bucket;
pub mod html;
mod image_type;

pub use article::{INLINE_HTML_LIMIT, place_html};
pub use bucket::{Media, MediaError, SIGNED_URL_TTL, client as s3_client};
pub use image_type::image_type;
