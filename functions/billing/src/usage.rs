//! The usage log (one record per AI operation: credits, tokens, our cost in dollars,
//! provider and model) and its summary by operation and by day. Owner only.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::Uri;
use chrono::NaiveDate;
use igny8_http::openapi::{Envelope, Page, PageQuery};
use igny8_http::{ApiError, ApiResult, ListResponse, PageParams, QueryParams, Success};
use igny8_store::{JobFunction, UsageRecord};
use igny8_tenancy::{Access, Tenancy, Tenant};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageFilter {
    operation: Option<JobFunction>,
    /// `YYYY-MM-DD` (UTC), inclusive.
    date_from: Option<String>,
    /// `YYYY-MM-DD` (UTC), inclusive.
    date_to: Option<String>,
}

/// A usage record with its cost in dollars.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageView {
    #[serde(flatten)]
    record: UsageRecord,
    cost_usd: Option<f64>,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct OperationTotal {
    /// Empty in the totals.
    #[serde(skip_serializing_if = "String::is_empty")]
    operation: String,
    count: u64,
    credits: i64,
    tokens_in: u64,
    tokens_out: u64,
    #[serde(skip)]
    cost_micros: i64,
    /// Of the priced operations only; `unpriced` counts those without a price.
    cost_usd: f64,
    unpriced: u64,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct DayTotal {
    date: String,
    count: u64,
    credits: i64,
    #[serde(skip)]
    cost_micros: i64,
    cost_usd: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Summary {
    date_from: Option<String>,
    date_to: Option<String>,
    by_operation: Vec<OperationTotal>,
    by_day: Vec<DayTotal>,
    totals: OperationTotal,
}

/// Millionths of a dollar as dollars (exact to the sixth decimal).
fn usd(micros: i64) -> f64 {
    micros as f64 / 1_000_000.0
}

fn parse_date(field: &str, value: Option<&str>) -> ApiResult<Option<String>> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        Ok(date) if value.len() == 10 => Ok(Some(date.format("%Y-%m-%d").to_string())),
        _ => Err(ApiError::field(field, "Use a date as YYYY-MM-DD.")),
    }
}

/// The records that pass the filter, newest first.
async fn filtered(state: &Tenancy, tenant: &Tenant, filter: &UsageFilter) -> ApiResult<Vec<UsageRecord>> {
    let from = parse_date("date_from", filter.date_from.as_deref())?;
    let to = parse_date("date_to", filter.date_to.as_deref())?;
    if let (Some(from), Some(to)) = (&from, &to)
        && from > to
    {
        return Err(ApiError::field("date_to", "Must not be before date_from."));
    }
    let operation = filter.operation.map(JobFunction::as_str);
    let all = state.store.usage_records(tenant.account_id()).await?;
    Ok(all
        .into_iter()
        .filter(|r| {
            let day = day_of(r);
            operation.is_none_or(|o| r.operation == o)
                && from.as_deref().is_none_or(|f| day >= f)
                && to.as_deref().is_none_or(|t| day <= t)
        })
        .collect())
}

/// The UTC date of a record (`created_at` is RFC 3339 in UTC).
fn day_of(record: &UsageRecord) -> &str {
    record.created_at.get(..10).unwrap_or(&record.created_at)
}

#[utoipa::path(get, path = "/api/v1/billing/usage", tag = "billing", params(PageQuery, UsageFilter),
    responses((status = 200, description = "The usage log, newest first, with each operation's cost in dollars (null when unpriced).", body = Page<UsageView>)))]
pub async fn list(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<UsageFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<UsageView>> {
    tenant.require(Access::Owner)?;
    page.check()?;
    let records = filtered(&state, &tenant, &filter).await?;
    // An operation without a price shows no cost (null, with the record's `cost_note`),
    // never a made-up 0.
    let views = records
        .into_iter()
        .map(|record| UsageView { cost_usd: record.cost_note.is_none().then(|| usd(record.cost_micros)), record })
        .collect();
    Ok(ListResponse::paginate(views, &page, &uri))
}

#[utoipa::path(get, path = "/api/v1/billing/usage/summary", tag = "billing", params(UsageFilter),
    responses((status = 200, description = "Usage totals by operation and by day.", body = Envelope<Summary>)))]
pub async fn summary(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(filter): QueryParams<UsageFilter>,
) -> ApiResult<Success<Summary>> {
    tenant.require(Access::Owner)?;
    let records = filtered(&state, &tenant, &filter).await?;
    Ok(Success::ok(summarise(
        &records,
        parse_date("date_from", filter.date_from.as_deref())?,
        parse_date("date_to", filter.date_to.as_deref())?,
    )))
}

fn summarise(records: &[UsageRecord], date_from: Option<String>, date_to: Option<String>) -> Summary {
    let mut by_operation: BTreeMap<&str, OperationTotal> = BTreeMap::new();
    let mut by_day: BTreeMap<&str, DayTotal> = BTreeMap::new();
    let mut totals = OperationTotal::default();
    for record in records {
        let op = by_operation
            .entry(&record.operation)
            .or_insert_with(|| OperationTotal { operation: record.operation.clone(), ..Default::default() });
        for total in [op, &mut totals] {
            total.count += 1;
            total.credits += record.credits;
            total.tokens_in += record.tokens_in;
            total.tokens_out += record.tokens_out;
            total.cost_micros += record.cost_micros;
            total.unpriced += u64::from(record.cost_note.is_some());
        }
        let day = by_day
            .entry(day_of(record))
            .or_insert_with(|| DayTotal { date: day_of(record).to_owned(), ..Default::default() });
        day.count += 1;
        day.credits += record.credits;
        day.cost_micros += record.cost_micros;
    }
    let finish = |mut t: OperationTotal| {
        t.cost_usd = usd(t.cost_micros);
        t
    };
    Summary {
        date_from,
        date_to,
        by_operation: by_operation.into_values().map(finish).collect(),
        by_day: by_day
            .into_values()
            .map(|mut d| {
                d.cost_usd = usd(d.cost_micros);
                d
            })
            .collect(),
        totals: finish(totals),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(operation: &str, day: &str, credits: i64, cost_micros: i64) -> UsageRecord {
        UsageRecord {
            id: format!("use_{operation}_{day}"),
            account_id: "acc_1".into(),
            site_id: None,
            operation: operation.into(),
            credits,
            tokens_in: 100,
            tokens_out: 50,
            cost_micros,
            cost_note: None,
            provider: "openai".into(),
            model: "gpt-4o-mini".into(),
            job_id: None,
            created_at: format!("{day}T10:00:00.000Z"),
        }
    }

    #[test]
    fn sums_by_operation_and_day() {
        let records = [
            record("generate_content", "2026-03-02", 3, 1_500),
            record("auto_cluster", "2026-03-01", 10, 250),
            record("generate_content", "2026-03-01", 2, 1_000),
        ];
        let summary = summarise(&records, None, None);
        let ops: Vec<_> = summary.by_operation.iter().map(|o| (o.operation.as_str(), o.count, o.credits)).collect();
        assert_eq!(ops, [("auto_cluster", 1, 10), ("generate_content", 2, 5)]);
        assert_eq!(summary.by_operation[1].tokens_in, 200);
        assert_eq!(summary.by_operation[1].cost_usd, 0.0025);
        let days: Vec<_> = summary.by_day.iter().map(|d| (d.date.as_str(), d.count, d.credits)).collect();
        assert_eq!(days, [("2026-03-01", 2, 12), ("2026-03-02", 1, 3)]);
        assert_eq!((summary.totals.count, summary.totals.credits, summary.totals.cost_usd), (3, 15, 0.00275));
    }

    #[test]
    fn dates_are_strict() {
        assert_eq!(parse_date("d", Some("2026-03-01")).unwrap().as_deref(), Some("2026-03-01"));
        assert_eq!(parse_date("d", Some(" ")).unwrap(), None);
        for bad in ["2026-3-1", "2026-02-30", "01/03/2026", "2026-03-01T00:00:00Z"] {
            assert!(parse_date("d", Some(bad)).is_err(), "{bad}");
        }
    }
}
