//! Which image sizes and qualities each image provider and model accepts, so settings
//! that a provider would refuse are refused when saved, not when a job runs.

use super::runware;

/// Sizes OpenAI's image models take (other models at OpenAI-compatible endpoints: any).
fn openai_sizes(model: &str) -> Option<&'static [&'static str]> {
    match model {
        "dall-e-3" => Some(&["1024x1024", "1792x1024", "1024x1792"]),
        "dall-e-2" => Some(&["256x256", "512x512", "1024x1024"]),
        m if m.starts_with("gpt-image-1") => Some(&["1024x1024", "1536x1024", "1024x1536"]),
        _ => None,
    }
}

/// Err(field, message) when `provider`/`model` do not take `width`×`height` at `quality`.
pub fn check(
    provider: &str,
    model: &str,
    width: u32,
    height: u32,
    quality: &str,
) -> Result<(), (&'static str, String)> {
    let size = format!("{width}x{height}");
    match provider {
        "openai" => {
            if let Some(sizes) = openai_sizes(model)
                && !sizes.contains(&size.as_str())
            {
                return Err(("image_size", format!("{model} makes images of {}; not {size}.", sizes.join(", "))));
            }
            if model == "dall-e-2" && quality == "hd" {
                return Err(("image_quality", "dall-e-2 has no hd quality; use standard.".into()));
            }
            Ok(())
        }
        "runware" => {
            let (min, max, step) = (runware::MIN_SIDE, runware::MAX_SIDE, runware::SIDE_STEP);
            let fits = |side: u32| (min..=max).contains(&side) && side.is_multiple_of(step);
            if fits(width) && fits(height) {
                Ok(())
            } else {
                Err((
                    "image_size",
                    format!("Runware takes sides from {min} to {max} pixels in steps of {step}; not {size}."),
                ))
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_qualities_per_model() {
        assert!(check("openai", "dall-e-3", 1792, 1024, "hd").is_ok());
        assert_eq!(check("openai", "dall-e-3", 512, 512, "standard").unwrap_err().0, "image_size");
        assert!(check("openai", "gpt-image-1", 1536, 1024, "hd").is_ok());
        assert!(check("openai", "gpt-image-1", 1792, 1024, "hd").is_err());
        assert_eq!(check("openai", "dall-e-2", 512, 512, "hd").unwrap_err().0, "image_quality");
        assert!(check("openai", "my-local-diffusion", 768, 768, "hd").is_ok());
        assert!(check("runware", "runware:100@1", 1024, 768, "standard").is_ok());
        assert!(check("runware", "runware:100@1", 1000, 768, "standard").is_err());
        assert!(check("offline", "", 300, 300, "hd").is_ok());
    }
}
