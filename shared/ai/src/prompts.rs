//! The built-in prompt of each AI function. An account may replace any of them
//! (`/api/v1/system/prompts/`); the engine fills the `{placeholders}` and appends the
//! author profile and strategy when a job names them.
//!
//! Text functions ask for one JSON object of an exact shape, which the engine validates
//! before anything is saved.

/// The AI functions, in pipeline order.
pub const FUNCTIONS: [&str; 5] =
    ["auto_cluster", "generate_ideas", "generate_content", "generate_image_prompts", "generate_images"];

const AUTO_CLUSTER: &str = r#"You are an SEO strategist. Group the keywords below into topic clusters: each cluster is one topic a single pillar page and its supporting articles could rank for, and the keywords in it share search intent.

Rules:
- Every keyword belongs to exactly one cluster; leave none out and invent none.
- Copy each keyword exactly as it is written below (same spelling, case and spacing).
- Name each cluster in 2 to 6 words; describe it in one or two sentences.
- Prefer fewer, coherent clusters over many tiny ones; a keyword that fits nowhere may form its own cluster.

Keywords (one per line):
{keywords}

Answer with one JSON object and nothing else, in exactly this shape:
{"clusters":[{"name":"Cluster name","description":"What the cluster covers and the intent behind it.","keywords":["exact keyword text","another exact keyword text"]}]}"#;

const GENERATE_IDEAS: &str = r#"You are an SEO content strategist. Propose {count} distinct content ideas for the topic cluster below. Each idea must target keywords of the cluster, answer a real search intent, and not overlap with the other ideas.

Cluster: {cluster}
Keywords of the cluster:
{keywords}

For each idea give a compelling title, a description of the angle and what the article covers (2 to 4 sentences), the content type (post, page or product), the content structure (article, guide, listicle, how_to, comparison or review), the target keywords taken from the list above, and an estimated word count.

Answer with one JSON object and nothing else, in exactly this shape:
{"ideas":[{"title":"Idea title","description":"The angle and what the article covers.","content_type":"post","content_structure":"article","target_keywords":["keyword from the list"],"estimated_word_count":1200}]}"#;

const GENERATE_CONTENT: &str = r#"You are an expert SEO writer. Write a complete, original article.

Title: {title}
Brief: {description}
Keywords: {keywords}
Length: about {word_count} words
Structure: {structure}

Rules:
- Use the primary keyword in the first paragraph, in at least one heading and in the meta title; use the other keywords naturally, never stuffed.
- Organise the article with <h2> and <h3> headings; write paragraphs (<p>), lists (<ul>, <ol>, <li>) and emphasis (<strong>, <em>) where they help the reader.
- The html holds the article body only: no <h1>, <html>, <head>, <body>, scripts, styles or images.
- Meta title at most 60 characters; meta description at most 160 characters; slug in lower case with hyphens.

Answer with one JSON object and nothing else, in exactly this shape:
{"title":"Article title","meta_title":"Meta title","meta_description":"Meta description","slug":"article-slug","primary_keyword":"primary keyword","secondary_keywords":["secondary keyword"],"html":"<h2>…</h2><p>…</p>"}"#;

const GENERATE_IMAGE_PROMPTS: &str = r#"You are an art director. Write image-generation prompts for the article below: one featured image and {count} in-article images that illustrate its main sections.

Title: {title}
Outline:
{outline}

Each prompt describes one concrete scene (subject, setting, composition, lighting, style) in one to three sentences, with no text, letters or logos in the image. Give each image alt text that describes it for screen readers (at most 125 characters) and a short caption.

Answer with one JSON object and nothing else, in exactly this shape:
{"featured":{"prompt":"Image prompt","alt_text":"Alt text","caption":"Caption"},"in_article":[{"prompt":"Image prompt","alt_text":"Alt text","caption":"Caption"}]}"#;

const GENERATE_IMAGES: &str = "{prompt}

Style: {style}. High quality, well composed, natural colours; no text, letters, watermarks or logos.";

/// The built-in prompt of `function`; `None` for a name that is not an AI function.
pub fn default_prompt(function: &str) -> Option<&'static str> {
    match function {
        "auto_cluster" => Some(AUTO_CLUSTER),
        "generate_ideas" => Some(GENERATE_IDEAS),
        "generate_content" => Some(GENERATE_CONTENT),
        "generate_image_prompts" => Some(GENERATE_IMAGE_PROMPTS),
        "generate_images" => Some(GENERATE_IMAGES),
        _ => None,
    }
}

/// The placeholders the engine fills in `function`'s prompt.
pub fn placeholders(function: &str) -> &'static [&'static str] {
    match function {
        "auto_cluster" => &["keywords"],
        "generate_ideas" => &["cluster", "keywords", "count"],
        "generate_content" => &["title", "description", "keywords", "word_count", "structure"],
        "generate_image_prompts" => &["title", "outline", "count"],
        "generate_images" => &["prompt", "style"],
        _ => &[],
    }
}

/// `template` with each `{name}` of `values` replaced in one pass (a value containing
/// `{name}` is not expanded again); other braces are left alone.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let value =
            values.iter().find(|(name, _)| rest[1..].strip_prefix(name).is_some_and(|after| after.starts_with('}')));
        match value {
            Some((name, value)) => {
                out.push_str(value);
                rest = &rest[name.len() + 2..];
            }
            None => {
                out.push('{');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `{word}` token of a text (JSON braces are not words).
    fn tokens(text: &str) -> Vec<&str> {
        let mut found = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            rest = &rest[start + 1..];
            if let Some(end) = rest.find('}') {
                let word = &rest[..end];
                if !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                    found.push(word);
                }
            }
        }
        found
    }

    #[test]
    fn every_function_has_a_default_with_exactly_its_placeholders() {
        for function in FUNCTIONS {
            let text = default_prompt(function).unwrap();
            let mut used = tokens(text);
            used.sort();
            used.dedup();
            let mut expected = placeholders(function).to_vec();
            expected.sort();
            assert_eq!(used, expected, "{function}");
        }
        assert!(default_prompt("drop_tables").is_none());
    }

    #[test]
    fn text_prompts_state_their_json_shape() {
        let shapes = [
            ("auto_cluster", r#"{"clusters":[{"name":"#),
            ("generate_ideas", r#""estimated_word_count":1200"#),
            ("generate_content", r#""html":"<h2>…</h2><p>…</p>"}"#),
            ("generate_image_prompts", r#"{"featured":{"prompt":"#),
        ];
        for (function, shape) in shapes {
            assert!(default_prompt(function).unwrap().contains(shape), "{function}");
        }
    }

    #[test]
    fn filling_leaves_the_json_shape_intact() {
        let text = fill(default_prompt("auto_cluster").unwrap(), &[("keywords", "running shoes\ntrail shoes")]);
        assert!(text.contains("running shoes\ntrail shoes"));
        assert!(!text.contains("{keywords}"));
        assert!(text.contains(r#"{"clusters":[{"name":"#));
        let text = fill("{a} and {b} {c", &[("a", "{b}"), ("b", "β")]);
        assert_eq!(text, "{b} and β {c");
    }
}
