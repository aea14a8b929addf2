//! Helpers every test module shares: an account with a site and a sector, building
//! request bodies, reading list replies, and asserting error replies.

use crate::{Reply, Session, TestApp};
use serde_json::Value;

/// An account with one site and one sector.
pub struct Workspace {
    pub owner: Session,
    pub site: igny8_store::SiteId,
    pub sector: igny8_store::SectorId,
}

pub async fn workspace(app: &TestApp, label: &str) -> Workspace {
    let owner = app.register(label).await;
    let site = app.create_site(&owner.access, &format!("{label} site")).await;
    let sector = app.create_sector(&owner.access, &site, &format!("{label} sector")).await;
    Workspace { owner, site: site.into(), sector: sector.into() }
}

/// `base` with `extra`'s fields merged in.
pub fn merged(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        base.extend(extra.clone());
    }
    base
}

pub fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap_or_else(|| panic!("no id in {value}")).to_owned()
}

pub fn results(reply: &Reply) -> &Vec<Value> {
    reply.body["results"].as_array().unwrap_or_else(|| panic!("not a list: {}", reply.body))
}

/// One string field of every result of a list reply, in order.
pub fn column(reply: &Reply, field: &str) -> Vec<String> {
    results(reply).iter().map(|r| r[field].as_str().unwrap_or_else(|| panic!("no {field} in {r}")).to_owned()).collect()
}

/// The field names of an error reply's `errors`.
pub fn error_fields(reply: &Reply) -> Vec<String> {
    reply.body["errors"].as_object().map(|e| e.keys().cloned().collect()).unwrap_or_default()
}

/// Asserts a 400 validation reply that names `field` (and says something about it).
#[track_caller]
pub fn assert_field_error(reply: &Reply, field: &str) {
    assert_eq!(reply.status, 400, "expected 400 naming {field}; body: {}", reply.body);
    assert_eq!(reply.code(), "VALIDATION_ERROR", "{}", reply.body);
    assert_eq!(reply.body["success"], false, "{}", reply.body);
    let messages = reply.body["errors"][field].as_array();
    assert!(
        messages.is_some_and(|m| !m.is_empty() && m.iter().all(|s| s.as_str().is_some_and(|s| !s.is_empty()))),
        "expected errors.{field}; body: {}",
        reply.body
    );
}

/// Asserts a 404 NOT_FOUND reply.
#[track_caller]
pub fn assert_not_found(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 404, "{what}: expected 404; body: {}", reply.body);
    assert_eq!(reply.code(), "NOT_FOUND", "{what}: {}", reply.body);
}

/// Asserts a 403 FORBIDDEN reply.
#[track_caller]
pub fn assert_forbidden(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 403, "{what}: expected 403; body: {}", reply.body);
    assert_eq!(reply.code(), "FORBIDDEN", "{what}: {}", reply.body);
}

/// How many items the store read for the request (its `Server-Timing`).
pub fn items_read(reply: &Reply) -> u64 {
    store_figure(reply, "items")
}

/// The bytes the store read for the request, from its `Server-Timing`.
pub fn bytes_read(reply: &Reply) -> u64 {
    store_figure(reply, "bytes")
}

fn store_figure(reply: &Reply, name: &str) -> u64 {
    let timing = reply.headers["server-timing"].to_str().expect("server-timing is text");
    let prefix = format!("{name};");
    let part = timing.split(", ").find(|p| p.starts_with(&prefix)).unwrap_or_else(|| panic!("no {name} in {timing}"));
    part.rsplit('=').next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no figure in {timing}"))
}
