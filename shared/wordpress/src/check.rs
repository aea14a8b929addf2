//! The connection checklist (`integrations/{id}/test-connection/`): each thing that has
//! to hold for publishing to work, whether it does, and what the user can do when it
//! does not. Checks that depend on an earlier one that failed say so instead of
//! guessing.

use igny8_store::{RestStyle, WpMode};
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use crate::client::{Body, Credentials, WpClient, WpError};

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = ConnectionCheck)]
pub struct Check {
    pub id: &'static str,
    pub ok: bool,
    pub message: String,
    /// What the user can do; empty when the check passed.
    pub fix: String,
}

fn pass(id: &'static str, message: impl Into<String>) -> Check {
    Check { id, ok: true, message: message.into(), fix: String::new() }
}

fn fail(id: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Check {
    Check { id, ok: false, message: message.into(), fix: fix.into() }
}

fn skipped(id: &'static str, because: &str) -> Check {
    fail(id, format!("Not checked: {because}."), "Fix the checks above first.")
}

/// What the checklist found, besides the checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Findings {
    /// How the REST API answered, to remember on the integration.
    pub rest_style: Option<RestStyle>,
    /// Where the site redirects to, when it does.
    pub redirect_to: Option<String>,
    pub bridge_version: Option<String>,
}

/// Runs the checklist against `client` (whose credentials are the integration's).
pub async fn run(client: &WpClient, mode: WpMode) -> (Vec<Check>, Findings) {
    let mut checks = Vec::new();
    let mut findings = Findings::default();

    // 1. Reachable, and not redirecting elsewhere.
    let home = format!("{}/", client.site_url());
    match client.get_page("check site", &home).await {
        Ok((status, headers, _)) if (300..400).contains(&status) => {
            let location = headers.get("location").and_then(|l| l.to_str().ok()).unwrap_or("").to_owned();
            checks.push(pass("reachable", format!("The site answered ({status}).")));
            let target = location.trim_end_matches('/').to_owned();
            checks.push(fail(
                "redirect",
                format!("The site redirects to {location}."),
                format!("Use {target} as the site URL (publishing never follows redirects)."),
            ));
            findings.redirect_to = Some(target);
        }
        Ok((status, _, _)) if status < 500 => {
            checks.push(pass("reachable", format!("The site answered ({status}).")));
            checks.push(pass("redirect", "The site does not redirect."));
        }
        Ok((status, _, _)) => {
            checks.push(fail(
                "reachable",
                format!("The site answered with a server error ({status})."),
                "Check the site works in a browser; ask the host about server errors.",
            ));
            return finish(checks, findings, "the site is not reachable");
        }
        Err(e) => {
            checks.push(fail(
                "reachable",
                e.reason(),
                "Check the address (with https://) and that the site is online and reachable from the internet.",
            ));
            return finish(checks, findings, "the site is not reachable");
        }
    }

    // 2. The REST API, with pretty permalinks or through ?rest_route=.
    let anonymous = |style| client.with(style, Credentials::Anonymous);
    let mut index = None;
    for style in [RestStyle::Pretty, RestStyle::Plain] {
        if let Ok(answer) = anonymous(style).call("check REST API", Method::GET, "/", &[], Body::Empty).await
            && answer.body.get("namespaces").is_some()
        {
            index = Some((style, answer.body));
            break;
        }
    }
    let Some((style, index)) = index else {
        checks.push(fail(
            "rest_api",
            "The WordPress REST API does not answer (neither /wp-json/ nor ?rest_route=/).",
            "Enable the REST API: a security plugin or the host may block it; allow /wp-json/ for IGNY8.",
        ));
        return finish(checks, findings, "the REST API does not answer");
    };
    findings.rest_style = Some(style);
    checks.push(pass(
        "rest_api",
        match style {
            RestStyle::Pretty => "The REST API answers at /wp-json/.",
            RestStyle::Plain => {
                "The REST API answers through ?rest_route= (pretty permalinks are off); it will be used that way."
            }
        },
    ));
    let namespaces: Vec<&str> =
        index["namespaces"].as_array().map(|n| n.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let client = client.with(style, client.credentials().clone());

    // 3. Application passwords offered by the site.
    if index.pointer("/authentication/application-passwords").is_some() {
        checks.push(pass("application_passwords", "Application passwords are available."));
    } else if mode == WpMode::Rest {
        checks.push(fail(
            "application_passwords",
            "The site does not offer application passwords.",
            "Application passwords need WordPress 5.6+ over HTTPS; a security plugin may have turned them off.",
        ));
    } else {
        checks.push(pass("application_passwords", "Not needed in bridge mode."));
    }

    // 4–6. Credentials, the Authorization header, capabilities.
    match mode {
        WpMode::Rest => check_user(&client, &mut checks).await,
        WpMode::Bridge => check_bridge(&client, &mut checks, &mut findings).await,
    }

    // 7. The bridge plugin.
    if namespaces.contains(&"igny8/v1") {
        let version = findings.bridge_version.clone().map(|v| format!(" (version {v})")).unwrap_or_default();
        checks.push(pass("bridge_plugin", format!("The IGNY8 Bridge plugin is active{version}.")));
    } else {
        let message = "The IGNY8 Bridge plugin is not active.";
        let fix = "Install and activate the IGNY8 Bridge plugin: it reports changes made in WordPress back to IGNY8 and lets SEO fields be written.";
        // Core REST publishes without it: then it is advice, not a failure.
        let ok = mode != WpMode::Bridge;
        checks.push(Check { id: "bridge_plugin", ok, message: message.into(), fix: fix.into() });
    }

    // 8. An SEO plugin, and whether its fields can be written.
    checks.push(check_seo(&client, &namespaces).await);
    (checks, findings)
}

/// The remaining checks, marked as not run.
fn finish(mut checks: Vec<Check>, findings: Findings, because: &str) -> (Vec<Check>, Findings) {
    for id in [
        "redirect",
        "rest_api",
        "application_passwords",
        "credentials",
        "authorization_header",
        "capabilities",
        "bridge_plugin",
        "seo_plugin",
    ] {
        if !checks.iter().any(|c| c.id == id) {
            checks.push(skipped(id, because));
        }
    }
    (checks, findings)
}

async fn check_user(client: &WpClient, checks: &mut Vec<Check>) {
    let query = [("context", "edit".to_owned())];
    let me = client.call("check credentials", Method::GET, "/wp/v2/users/me", &query, Body::Empty).await;
    match me {
        Ok(answer) => {
            let name = answer.body["name"].as_str().unwrap_or("the user").to_owned();
            checks.push(pass("credentials", format!("Signed in as {name}.")));
            checks.push(pass("authorization_header", "The Authorization header reaches WordPress."));
            let caps = &answer.body["capabilities"];
            let missing: Vec<&str> = ["publish_posts", "upload_files", "manage_categories"]
                .into_iter()
                .filter(|cap| caps[*cap].as_bool() != Some(true))
                .collect();
            if missing.is_empty() {
                checks.push(pass("capabilities", "The user can publish posts, upload files and manage categories."));
            } else {
                checks.push(fail(
                    "capabilities",
                    format!("The user lacks: {}.", missing.join(", ")),
                    "Give the user the Editor or Administrator role.",
                ));
            }
        }
        // WordPress answers a wrong application password exactly as a request that
        // carries none (`rest_not_logged_in`), and so it answers when the server drops
        // the Authorization header: both causes are named.
        Err(e) if e.code() == Some("rest_not_logged_in") => {
            checks.push(fail(
                "credentials",
                "WordPress answered as if no credentials were sent.",
                "Check the username and the application password (Users → Profile → Application Passwords).",
            ));
            checks.push(fail(
                "authorization_header",
                "Not confirmed: a wrong password and a dropped Authorization header look alike to WordPress.",
                "If the credentials are right, the server drops the header: on Apache with CGI/FastCGI add to \
                 .htaccess `SetEnvIf Authorization \"(.*)\" HTTP_AUTHORIZATION=$1`, or use the bridge mode.",
            ));
            checks.push(skipped("capabilities", "the user is not signed in"));
        }
        Err(e) => {
            checks.push(fail(
                "credentials",
                e.reason(),
                "Create an application password under Users → Profile in WordPress and enter it with the username.",
            ));
            // WordPress reacted to the credentials, so they arrived.
            checks.push(pass("authorization_header", "The Authorization header reaches WordPress."));
            checks.push(skipped("capabilities", "the user is not signed in"));
        }
    }
}

async fn check_bridge(client: &WpClient, checks: &mut Vec<Check>, findings: &mut Findings) {
    match client.call("check bridge", Method::GET, "/igny8/v1/site", &[], Body::Empty).await {
        Ok(answer) => {
            findings.bridge_version = answer.body["plugin_version"].as_str().map(str::to_owned);
            checks.push(pass("credentials", "The bridge plugin accepted our signed request."));
            checks.push(pass("authorization_header", "Not needed in bridge mode (requests are signed)."));
            checks.push(pass("capabilities", "The plugin publishes as the site's own WordPress."));
        }
        Err(e) => {
            let fix = match &e {
                WpError::Status { status: 401 | 409, .. } => {
                    "Press Connect in the plugin's settings (Settings → IGNY8 Bridge) again."
                }
                _ => "Check the IGNY8 Bridge plugin is installed, active and connected.",
            };
            checks.push(fail("credentials", e.reason(), fix));
            checks.push(skipped("authorization_header", "the plugin did not accept our request"));
            checks.push(skipped("capabilities", "the plugin did not accept our request"));
        }
    }
}

async fn check_seo(client: &WpClient, namespaces: &[&str]) -> Check {
    let plugin = if namespaces.contains(&"yoast/v1") {
        Some(("Yoast SEO", "_yoast_wpseo_title"))
    } else if namespaces.iter().any(|n| n.starts_with("rankmath/")) {
        Some(("Rank Math", "rank_math_title"))
    } else {
        None
    };
    let Some((name, key)) = plugin else {
        return pass(
            "seo_plugin",
            "No SEO plugin (Yoast SEO, Rank Math) found; SEO titles and descriptions are kept in IGNY8 only.",
        );
    };
    // Writable when the key is registered for REST: it shows in the posts schema.
    let schema = client.call("check SEO meta", Method::OPTIONS, "/wp/v2/posts", &[], Body::Empty).await;
    let writable = schema.is_ok_and(|a| a.body.pointer(&format!("/schema/properties/meta/properties/{key}")).is_some());
    if writable {
        pass("seo_plugin", format!("{name} is active and its fields can be written."))
    } else {
        fail(
            "seo_plugin",
            format!("{name} is active, but its fields cannot be written over the REST API."),
            "Install the IGNY8 Bridge plugin: it makes the SEO fields writable.",
        )
    }
}
