use serde::{Deserialize, Serialize};

/// A user's role. Stored with the user and carried in tokens; what each role may do is
/// decided in the tenancy crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Editor,
    Admin,
    Owner,
    /// Internal staff.
    Developer,
    /// A site's WordPress bridge, authenticated by the site API key.
    SystemBot,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
            Role::Owner => "owner",
            Role::Developer => "developer",
            Role::SystemBot => "system_bot",
        }
    }
}
