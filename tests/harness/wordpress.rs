//! A real WordPress for a test: `infra/wordpress/site.sh` installs a fresh site (its own
//! database, uploads and `php -S` server on a free port) with the bridge plugin active,
//! and stops it when the test ends. Every result a test checks is read back from
//! WordPress itself, over its REST API as the administrator.
//!
//! Needs the MariaDB and WordPress tree that `infra/test.sh` prepares
//! (`IGNY8_WP_MYSQL_SOCKET`, `IGNY8_WP_ROOT`).

use std::path::PathBuf;
use std::process::Command;

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
pub struct WordPress {
    /// `http://127.0.0.1:<port>`
    pub url: String,
    pub admin_user: String,
    pub app_password: String,
    pub contributor_user: String,
    pub contributor_app_password: String,
    #[serde(skip)]
    name: String,
    #[serde(skip)]
    http: reqwest::Client,
}

/// How a site is started.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// The host blocks the REST API (404 on /wp-json and ?rest_route=).
    pub rest_disabled: bool,
    pub plain_permalinks: bool,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/wordpress/site.sh")
}

fn run(args: &[&str]) -> String {
    assert!(
        std::env::var_os("IGNY8_WP_MYSQL_SOCKET").is_some(),
        "IGNY8_WP_MYSQL_SOCKET is not set: run the tests with infra/test.sh, which starts WordPress's database"
    );
    let output = Command::new("bash").arg(script()).args(args).output().expect("run site.sh");
    assert!(
        output.status.success(),
        "site.sh {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

impl WordPress {
    pub async fn start(label: &str, options: Options) -> Self {
        let name = format!("{label}_{}", ulid::Ulid::new().to_string().to_lowercase()[16..].to_owned());
        let mut args = vec!["start", name.as_str(), "0"];
        if options.rest_disabled {
            args.push("--rest-disabled");
        }
        if options.plain_permalinks {
            args.push("--plain-permalinks");
        }
        let owned: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let out = tokio::task::spawn_blocking(move || run(&owned.iter().map(String::as_str).collect::<Vec<_>>()))
            .await
            .expect("site.sh start");
        let mut site: WordPress =
            serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("site.sh said {out}: {e}"));
        site.name = name;
        site.http = reqwest::Client::new();
        site
    }

    /// Runs PHP inside the site as its administrator; what it echoes.
    pub async fn eval(&self, php: &str) -> String {
        let (name, php) = (self.name.clone(), php.to_owned());
        tokio::task::spawn_blocking(move || run(&["eval", &name, &php])).await.expect("site.sh eval")
    }

    /// Stops the server (the database stays until `Drop`), as if the site went down.
    pub fn stop_server(&self) {
        let pidfile = std::env::var("IGNY8_WP_STATE")
            .map(|state| PathBuf::from(state).join(format!("{}.pid", self.name)))
            .expect("IGNY8_WP_STATE");
        let pid = std::fs::read_to_string(pidfile).expect("pid file");
        // The server runs in its own process group (setsid): end all of it.
        let _ = Command::new("kill").arg("--").arg(format!("-{}", pid.trim())).status();
    }

    /// GET (or another method) on a REST route as the administrator; (status, body).
    pub async fn rest(&self, method: Method, route: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let response = self
            .http
            // ?rest_route= works whatever the site's permalinks are.
            .request(method, format!("{}/", self.url))
            .query(&[("rest_route", route)])
            .query(query)
            .basic_auth(&self.admin_user, Some(&self.app_password))
            .send()
            .await
            .expect("WordPress answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// A REST route read as the administrator, with `context=edit` (raw fields, meta).
    pub async fn read(&self, route: &str) -> Value {
        let (status, body) = self.rest(Method::GET, route, &[("context", "edit")]).await;
        assert_eq!(status, 200, "GET {route}: {body}");
        body
    }

    /// Every post of any status (trash included) that carries one of our content ids
    /// (WordPress's own sample post is left out), as the administrator.
    pub async fn our_posts(&self) -> Vec<Value> {
        let (status, body) = self
            .rest(
                Method::GET,
                "/wp/v2/posts",
                &[("status", "publish,future,draft,pending,private,trash"), ("context", "edit"), ("per_page", "100")],
            )
            .await;
        assert_eq!(status, 200, "posts: {body}");
        let posts = body.as_array().cloned().unwrap_or_default();
        posts
            .into_iter()
            .filter(|p| p.pointer("/meta/_igny8_content_id").and_then(Value::as_str).is_some_and(|c| !c.is_empty()))
            .collect()
    }

    /// Every media item.
    pub async fn all_media(&self) -> Vec<Value> {
        let (status, body) = self.rest(Method::GET, "/wp/v2/media", &[("context", "edit"), ("per_page", "100")]).await;
        assert_eq!(status, 200, "media: {body}");
        body.as_array().cloned().unwrap_or_default()
    }
}

impl Drop for WordPress {
    fn drop(&mut self) {
        if !self.name.is_empty() {
            let _ = Command::new("bash").arg(script()).args(["stop", &self.name]).output();
        }
    }
}
