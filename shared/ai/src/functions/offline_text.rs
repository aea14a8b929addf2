//! What the offline provider writes: plain, deterministic drafts in the exact JSON
//! shapes the prompts ask a model for. They read as placeholders, not as finished
//! copy, and every article says it was written offline.

use serde_json::{Value, json};

/// Picks one of `options` by a stable hash of `seed`.
fn pick<'a>(options: &[&'a str], seed: &str, salt: usize) -> &'a str {
    let hash =
        seed.bytes().fold(salt as u64 + 1469598103934665603, |h, b| (h ^ u64::from(b)).wrapping_mul(1099511628211));
    options[(hash % options.len() as u64) as usize]
}

const IDEA_PATTERNS: &[(&str, &str, &str)] = &[
    (
        "The Complete Guide to {topic}",
        "guide",
        "Everything a reader needs to understand {topic}, from the basics to advanced choices.",
    ),
    (
        "{topic}: 10 Things to Know Before You Start",
        "listicle",
        "A practical list of what matters most about {topic} and the mistakes to avoid.",
    ),
    (
        "How to Choose the Right {topic}",
        "how_to",
        "A step-by-step method for choosing well, with the criteria that matter.",
    ),
    (
        "{topic} Compared: Which Option Is Best?",
        "comparison",
        "A side-by-side comparison of the main options, with a recommendation per need.",
    ),
    (
        "{topic} Explained for Beginners",
        "article",
        "A plain-language introduction to {topic} for readers who are new to it.",
    ),
    (
        "Is {topic} Worth It? An Honest Review",
        "review",
        "A balanced review of {topic}: strengths, weaknesses and who it suits.",
    ),
];

/// `count` ideas for a cluster named `topic` with `keywords` (most searched first).
pub fn ideas(topic: &str, keywords: &[String], count: usize) -> String {
    let ideas: Vec<Value> = (0..count)
        .map(|i| {
            let (title, structure, description) = IDEA_PATTERNS[i % IDEA_PATTERNS.len()];
            let targets: Vec<&String> = keywords
                .iter()
                .skip(i % keywords.len().max(1))
                .chain(keywords.iter())
                .take(3.min(keywords.len()))
                .collect();
            json!({
                "title": title.replace("{topic}", topic),
                "description": description.replace("{topic}", &topic.to_lowercase()),
                "content_type": "post",
                "content_structure": structure,
                "target_keywords": targets,
                "estimated_word_count": 800 + 200 * (i % 4),
            })
        })
        .collect();
    json!({ "ideas": ideas }).to_string()
}

const SECTION_HEADINGS: &[&str] = &[
    "What {k} means",
    "Why {k} matters",
    "How to get started with {k}",
    "Common mistakes with {k}",
    "Choosing the right {k}",
    "Tips from experience",
    "Frequently asked questions",
];

const SENTENCES: &[&str] = &[
    "Readers looking into {k} usually want clear answers they can act on straight away.",
    "A good starting point is to be precise about the goal, because {k} means different things to different people.",
    "Small, consistent choices tend to matter more than any single decision about {k}.",
    "It helps to compare a few options side by side before settling on one.",
    "Budget, time and experience all shape which approach to {k} fits best.",
    "Many people find that the simplest option covers most of what they need.",
    "When in doubt, test on a small scale first and keep notes on what works.",
    "Quality information from several sources gives a more balanced picture of {k}.",
];

/// An article of about `words` words on `title` around `keywords`.
pub fn article(title: &str, keywords: &[String], words: u32) -> String {
    let primary = keywords.first().cloned().unwrap_or_else(|| title.to_lowercase());
    let mut html = format!(
        "<p><em>Draft written by the offline provider (no AI model was used); replace it with your own copy or \
         regenerate it with an AI provider.</em></p><p>This article covers {primary}: what it is, why it matters \
         and how to make good choices about it.</p>"
    );
    let mut count = 40u32;
    let mut section = 0usize;
    while count < words {
        let keyword = keywords.get(section % keywords.len().max(1)).cloned().unwrap_or_else(|| primary.clone());
        let heading = SECTION_HEADINGS[section % SECTION_HEADINGS.len()].replace("{k}", &keyword);
        html.push_str(&format!("<h2>{}</h2>", capitalise(&heading)));
        for paragraph in 0..3 {
            let mut text = Vec::new();
            for sentence in 0..4 {
                let s = pick(SENTENCES, &format!("{title}{section}{paragraph}"), sentence).replace("{k}", &keyword);
                count += s.split_whitespace().count() as u32;
                text.push(s);
            }
            html.push_str(&format!("<p>{}</p>", text.join(" ")));
        }
        section += 1;
    }
    html.push_str(&format!(
        "<h2>Conclusion</h2><p>With these points in mind, {primary} becomes much easier to get right.</p>"
    ));
    let slug = crate::functions::generate_content::slug_of(title);
    json!({
        "title": title,
        "meta_title": title.chars().take(60).collect::<String>(),
        "meta_description": format!("A practical guide to {primary}: what it is, why it matters and how to choose well.")
            .chars().take(160).collect::<String>(),
        "slug": slug,
        "primary_keyword": primary,
        "secondary_keywords": keywords.iter().skip(1).take(5).collect::<Vec<_>>(),
        "html": html,
    })
    .to_string()
}

/// A featured and `count` in-article image prompts for an article and its headings.
pub fn image_prompts(title: &str, headings: &[String], count: usize) -> String {
    let scene = |subject: &str| {
        format!("Editorial photograph illustrating \"{subject}\", natural light, clean composition, no text")
    };
    let in_article: Vec<Value> = (0..count)
        .map(|i| {
            let subject = headings.get(i).cloned().unwrap_or_else(|| format!("{title}, detail {}", i + 1));
            json!({"prompt": scene(&subject), "alt_text": capitalise(&subject), "caption": capitalise(&subject)})
        })
        .collect();
    json!({
        "featured": {"prompt": scene(title), "alt_text": title, "caption": title},
        "in_article": in_article,
    })
    .to_string()
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_reach_the_asked_length_and_say_they_are_offline() {
        let draft = article("Trail Running Shoes", &["trail running shoes".into(), "best trail shoes".into()], 1200);
        let value: Value = serde_json::from_str(&draft).unwrap();
        let words = igny8_media::html::word_count(value["html"].as_str().unwrap());
        assert!((1200..1500).contains(&words), "{words} words");
        assert!(value["html"].as_str().unwrap().contains("offline provider"));
        assert_eq!(
            draft,
            article("Trail Running Shoes", &["trail running shoes".into(), "best trail shoes".into()], 1200)
        );
    }
}
