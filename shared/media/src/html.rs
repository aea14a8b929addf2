//! Article HTML: sanitised on every write, and measured.

/// Keeps an allow-list of tags and attributes (ammonia's defaults: headings, paragraphs,
/// lists, tables, links, images, emphasis …) and drops everything else — `<script>`,
/// `<style>`, event-handler attributes, `javascript:` and other non-web URLs. Links get
/// `rel="noopener noreferrer"`.
pub fn sanitise(html: &str) -> String {
    ammonia::Builder::default().clean(html).to_string()
}

/// Words of the text of `html` (tags do not count, entities count as text).
pub fn word_count(html: &str) -> u32 {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_javascript_urls_are_removed() {
        let dirty = r#"<h2 onclick="steal()">Title</h2><script>alert(1)</script><p>Hi <a href="javascript:alert(1)">x</a> <a href="https://example.com">ok</a></p><img src="x.png" onerror="bad()">"#;
        let clean = sanitise(dirty);
        assert!(!clean.contains("script") && !clean.contains("onclick") && !clean.contains("onerror"), "{clean}");
        assert!(!clean.contains("javascript:"), "{clean}");
        assert!(clean.contains("<h2>Title</h2>") && clean.contains(r#"href="https://example.com""#), "{clean}");
    }

    #[test]
    fn words_are_counted_from_text_only() {
        assert_eq!(word_count("<h1>Two words</h1><p>and <b>three</b> more</p>"), 5);
        assert_eq!(word_count("<p>a - b</p>"), 2);
        assert_eq!(word_count(""), 0);
    }
}
