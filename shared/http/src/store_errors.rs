//! The one place where what the store reports becomes the API's answer, so handlers
//! write `?` on store calls. A handler still matches a `StoreError` first where it has
//! more to say (the plan's name in a plan-limit message, say).

use http::StatusCode;
use igny8_store::{Conflict, StoreError};

use crate::error::ApiError;

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Condition(conflict) => conflict_error(conflict),
            StoreError::Busy(detail) => {
                tracing::warn!(%detail, "the store stayed busy through its retries");
                ApiError::unavailable("The service is busy; try again in a moment.")
            }
            error @ (StoreError::Corrupt(_) | StoreError::Aws(_)) => ApiError::internal(error),
        }
    }
}

fn with_field(mut error: ApiError, field: &str) -> ApiError {
    error.errors.insert(field.to_owned(), vec![error.message.clone()]);
    error
}

/// The answer for a condition that did not hold.
pub fn conflict_error(conflict: Conflict) -> ApiError {
    use Conflict::*;
    match conflict {
        Missing | Gone => ApiError::not_found("Object"),
        AccountMissing => ApiError::not_found("Account"),
        UserMissing => ApiError::not_found("User"),
        SessionMissing => ApiError::not_found("Session"),
        SiteMissing => ApiError::not_found("Site"),
        SectorMissing => ApiError::not_found("Sector"),
        ClusterMissing => ApiError::not_found("Cluster"),
        GuidanceMissing => ApiError::not_found("Guidance"),
        PlanLimit => ApiError::plan_limit("The account's plan does not allow more of these."),
        SectorLimit => {
            with_field(ApiError::bad_request("SECTOR_LIMIT", "A site can have at most 5 active sectors."), "is_active")
        }
        InsufficientCredits => {
            ApiError::new(StatusCode::PAYMENT_REQUIRED, "INSUFFICIENT_CREDITS", "The balance cannot pay for this.")
        }
        EmailTaken => with_field(ApiError::conflict("EMAIL_TAKEN", "A user with this email already exists."), "email"),
        SectorNameTaken => with_field(
            ApiError::conflict("SECTOR_NAME_TAKEN", "This site already has a sector with that name."),
            "name",
        ),
        Duplicate => {
            with_field(ApiError::conflict("DUPLICATE_KEYWORD", "This sector already has that keyword."), "keyword")
        }
        AlreadyQueued => ApiError::conflict("ALREADY_QUEUED", "This is already queued."),
        NotEmpty | SiteNotEmpty | SectorNotEmpty | SiteHasSectors => {
            ApiError::conflict("NOT_EMPTY", "It still holds other objects; remove or move them first.")
        }
        Exists | AccountExists | UserExists | SessionExists | SiteExists | SectorExists | KeyExists | Stale
        | Changed | IdeaMoved | DripMoved | RunMoved | BalanceChanged | NotCurrent | State | Busy | Released
        | Filled | ImageDrawn | JobTaken | UnitSaved | LeaseLost | RunActive | Never => {
            ApiError::conflict("CONFLICT", "It was changed by another request at the same time; reload and try again.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_become_answers() {
        let answer = |e: StoreError| {
            let api = ApiError::from(e);
            (api.status.as_u16(), api.code)
        };
        assert_eq!(answer(StoreError::Condition(Conflict::SiteMissing)), (404, "NOT_FOUND"));
        assert_eq!(answer(StoreError::Condition(Conflict::PlanLimit)), (403, "PLAN_LIMIT"));
        assert_eq!(answer(StoreError::Condition(Conflict::InsufficientCredits)), (402, "INSUFFICIENT_CREDITS"));
        assert_eq!(answer(StoreError::Condition(Conflict::Stale)), (409, "CONFLICT"));
        assert_eq!(answer(StoreError::Busy("throttled".into())), (503, "SERVICE_UNAVAILABLE"));
        assert_eq!(answer(StoreError::Aws("boom".into())), (500, "INTERNAL_ERROR"));
        let taken = ApiError::from(StoreError::Condition(Conflict::EmailTaken));
        assert_eq!(taken.errors["email"], ["A user with this email already exists."]);
        assert_eq!(ApiError::from(StoreError::Busy("x".into())).retry_after_secs, Some(1));
    }
}
