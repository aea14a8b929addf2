//! The API document against the code (`docs/api-contract.md`): the committed
//! `docs/openapi.json` is what the routes' descriptions generate, the system function
//! serves it, every documented operation is routed, and no documented path takes a
//! method the document does not name. (A route cannot be added without a description:
//! `igny8_http::ApiRouter` takes only described routes.)

use igny8_e2e::TestApp;
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn committed_path() -> String {
    format!("{}/../docs/openapi.json", env!("CARGO_MANIFEST_DIR"))
}

fn generated() -> String {
    let document = igny8_local::contract::openapi_document().unwrap_or_else(|e| panic!("{e}"));
    let mut text = serde_json::to_string_pretty(&document).expect("the document serialises");
    text.push('\n');
    text
}

#[test]
fn openapi_document_is_current() {
    let generated = generated();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(committed_path(), &generated).expect("docs/openapi.json is writable");
        return;
    }
    let committed = std::fs::read_to_string(committed_path()).expect("docs/openapi.json");
    assert!(
        committed == generated,
        "docs/openapi.json is not what the code describes: run `UPDATE_OPENAPI=1 cargo nextest run -E 'test(openapi_document_is_current)'` and commit it"
    );
}

/// A concrete path for a templated one: every `{param}` becomes a made-up id.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push_str("probe_0");
            }
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_nothing_else_on_its_path() {
    let app = TestApp::spawn().await;
    let http = reqwest::Client::new();
    let served: Value = http.get(format!("{}/api/v1/schema/", app.base)).send().await.unwrap().json().await.unwrap();
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(committed_path()).unwrap()).unwrap();
    assert_eq!(served, committed, "the system function serves docs/openapi.json");
    assert_eq!(served["openapi"], "3.1.0");

    let paths = served["paths"].as_object().expect("paths");
    assert!(paths.len() > 60, "every function's routes are described ({} paths)", paths.len());
    let mut checked = 0;
    for (path, item) in paths {
        let url = format!("{}{}", app.base, concrete(path));
        for method in METHODS {
            let documented = item.get(method).is_some();
            let request = http.request(method.to_uppercase().parse().unwrap(), &url);
            let response = request.header("content-type", "application/json").body("{}").send().await.unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            let unrouted = status == 404 && body["error"] == "No such endpoint.";
            if documented {
                assert!(
                    !unrouted && status != 405,
                    "{} {path} is documented but not routed ({status})",
                    method.to_uppercase()
                );
                checked += 1;
            } else {
                assert!(
                    unrouted || status == 405,
                    "{} {path} is routed but not documented ({status})",
                    method.to_uppercase()
                );
            }
        }
    }
    assert!(checked > 100, "{checked} operations checked");
}

#[tokio::test]
async fn the_docs_page_and_its_assets_are_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let http = reqwest::Client::new();
    let page = http.get(format!("{}/api/v1/docs/", app.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
    let html = page.text().await.unwrap();
    for asset in ["/api/v1/docs/swagger-ui.css", "/api/v1/docs/swagger-ui-bundle.js", "/api/v1/docs/start.js"] {
        assert!(html.contains(asset), "the page loads {asset}");
        let response = http.get(format!("{}{asset}", app.base)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        assert!(response.bytes().await.unwrap().len() > 100, "{asset} has content");
    }
    assert!(!html.contains("http://") && !html.contains("https://"), "nothing comes from another host");
}
