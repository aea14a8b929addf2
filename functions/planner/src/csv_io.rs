//! CSV import and export of keywords: `keyword,volume,difficulty,intent`.
//!
//! Import is tolerant of what spreadsheets produce: any column order, extra columns, a
//! UTF-8 byte-order mark, CRLF line ends, quoted fields, blank lines. Each row is checked
//! on its own: good rows are kept, bad rows are reported with their row number (the
//! header is row 1), duplicates (in the sector or earlier in the file) are reported.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use igny8_http::openapi::{Envelope, ErrorEnvelope};
use igny8_http::{ApiError, ApiResult, FieldErrors, QueryParams, Success, validation_messages};
use igny8_store::{Intent, Keyword, KeywordChange, now};
use igny8_store::{SectorId, SiteId};
use igny8_tenancy::{Access, Tenancy, Tenant};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::PlannerState;
use crate::keywords::{KeywordFields, KeywordFilter, new_keyword};

pub const COLUMNS: [&str; 4] = ["keyword", "volume", "difficulty", "intent"];

/// The sector the keywords go into. Both are required (checked after the caller's
/// role, so they are optional to the parser).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportTarget {
    #[param(required = true, value_type = String)]
    site_id: Option<SiteId>,
    #[param(required = true, value_type = String)]
    sector_id: Option<SectorId>,
}

/// The form of a multipart upload.
#[derive(ToSchema)]
pub struct CsvUpload {
    /// The CSV file: a header row naming `keyword` (and any of `volume`, `difficulty`,
    /// `intent`), then one keyword a row.
    #[schema(value_type = String, content_media_type = "text/csv")]
    #[expect(dead_code, reason = "it only describes the form; the handler reads the field's bytes")]
    file: Vec<u8>,
}

/// What an import did with each row of the file.
#[derive(Debug, Serialize, ToSchema)]
pub struct CsvImportReport {
    /// Data rows read (blank lines not counted).
    pub rows: usize,
    /// Keywords created.
    pub created: usize,
    /// Rows whose keyword the sector already had, or that repeat an earlier row.
    pub duplicates: Vec<CsvDuplicate>,
    /// Rows that are not valid keywords.
    pub errors: Vec<CsvRowErrors>,
}

/// A row that was a duplicate.
#[derive(Debug, Serialize, ToSchema)]
pub struct CsvDuplicate {
    /// The line in the file (the header is 1).
    pub row: usize,
    pub keyword: String,
}

/// A row that was not valid.
#[derive(Debug, Serialize, ToSchema)]
pub struct CsvRowErrors {
    /// The line in the file (the header is 1).
    pub row: usize,
    /// Field name → messages (`row` for a line that cannot be read at all).
    #[schema(value_type = BTreeMap<String, Vec<String>>)]
    pub errors: FieldErrors,
}

/// One data row: its row number and either the fields or what is wrong with it.
type ParsedRow = (usize, Result<KeywordFields, FieldErrors>);

fn intent_from(text: &str) -> Option<Intent> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "informational" => Some(Intent::Informational),
        "commercial" => Some(Intent::Commercial),
        "transactional" => Some(Intent::Transactional),
        "navigational" => Some(Intent::Navigational),
        _ => None,
    }
}

fn number<T: std::str::FromStr + Default>(text: &str, field: &str, errors: &mut FieldErrors) -> T {
    let cleaned: String = text.trim().chars().filter(|c| *c != ',' && *c != '_').collect();
    if cleaned.is_empty() {
        return T::default();
    }
    cleaned.parse().unwrap_or_else(|_| {
        errors.entry(field.into()).or_default().push(format!("{:?} is not a whole number.", text.trim()));
        T::default()
    })
}

/// Imports an account may start a minute (each can write 20 000 keywords).
pub const IMPORTS_PER_MINUTE: u32 = 10;

/// Rows one import takes (a 5 MiB file of short keywords could hold far more; each row
/// becomes items and writes, so the bound is stated rather than left to the body size).
pub const MAX_IMPORT_ROWS: usize = 20_000;

/// Parses a CSV file into rows. Errors only for a file that is not a keyword CSV at all.
pub fn parse(bytes: &[u8]) -> Result<Vec<ParsedRow>, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|_| unprocessable("The file is not UTF-8 text."))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| unprocessable(format!("The header row cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let keyword_column = column("keyword").ok_or_else(|| unprocessable("The header row has no `keyword` column."))?;
    let (volume, difficulty, intent) = (column("volume"), column("difficulty"), column("intent"));

    let mut rows = Vec::new();
    // Row numbers are physical lines (the header is 1), counted from each record's byte
    // offset, so blank lines and quoted line breaks keep them true.
    let (mut counted_to, mut line) = (0usize, 1usize);
    let mut line_at = |byte: usize| {
        let byte = byte.min(text.len());
        if byte > counted_to {
            line += text.as_bytes()[counted_to..byte].iter().filter(|b| **b == b'\n').count();
            counted_to = byte;
        }
        line
    };
    for record in reader.records() {
        if rows.len() == MAX_IMPORT_ROWS {
            return Err(unprocessable(format!(
                "The file has more than {MAX_IMPORT_ROWS} rows; split it into files of at most {MAX_IMPORT_ROWS}."
            )));
        }
        let start = match &record {
            Ok(record) => record.position().map(|p| p.byte()),
            Err(e) => e.position().map(|p| p.byte()),
        };
        // Parsing starts where the previous record ended: skip the blank lines before it.
        let mut start = start.map_or(text.len(), |b| b as usize).min(text.len());
        while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let row = line_at(start);
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let mut errors = FieldErrors::new();
                errors.insert("row".into(), vec![format!("Unreadable row: {e}")]);
                rows.push((row, Err(errors)));
                continue;
            }
        };
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let cell = |column: Option<usize>| column.and_then(|c| record.get(c)).unwrap_or("");
        let mut errors = FieldErrors::new();
        let fields = KeywordFields {
            keyword: from_spreadsheet(cell(Some(keyword_column))).to_owned(),
            volume: number(cell(volume), "volume", &mut errors),
            difficulty: number(cell(difficulty), "difficulty", &mut errors),
            intent: intent_from(cell(intent)).unwrap_or_else(|| {
                errors
                    .entry("intent".into())
                    .or_default()
                    .push("Must be informational, commercial, transactional or navigational.".into());
                Intent::Informational
            }),
        };
        if let Err(invalid) = fields.validate() {
            for (field, messages) in validation_messages(&invalid) {
                errors.entry(field).or_default().extend(messages);
            }
        }
        rows.push((row, if errors.is_empty() { Ok(fields) } else { Err(errors) }));
    }
    Ok(rows)
}

fn unprocessable(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_FILE", message)
}

/// The file's bytes: the body itself (`text/csv`), or the `file` part of a multipart form.
async fn file_bytes(request: Request) -> ApiResult<Bytes> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    let too_large = |status: StatusCode| {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large()
        } else {
            unprocessable("The upload cannot be read.")
        }
    };
    if !is_multipart {
        return Bytes::from_request(request, &()).await.map_err(|e| too_large(e.status()));
    }
    let mut form = Multipart::from_request(request, &()).await.map_err(|e| too_large(e.status()))?;
    while let Some(field) = form.next_field().await.map_err(|e| too_large(e.status()))? {
        if field.name() == Some("file") {
            return field.bytes().await.map_err(|e| too_large(e.status()));
        }
    }
    Err(ApiError::field("file", "Attach the CSV as the form field `file`."))
}

#[utoipa::path(post, path = "/api/v1/planner/keywords/import_csv", tag = "planner", params(ImportTarget),
    request_body(description = "The CSV file, as the body itself or as the `file` field of a form; up to 5 MiB and 20 000 rows.",
        content((inline(CsvUpload) = "multipart/form-data"), (String = "text/csv"))),
    responses(
        (status = 201, description = "At least one keyword was imported; duplicate and invalid rows are listed.", body = Envelope<CsvImportReport>),
        (status = 200, description = "No keyword was imported: every row was a duplicate (or some were, and the others invalid).", body = Envelope<CsvImportReport>),
        (status = 422, description = "`INVALID_FILE`: the file is not a keyword CSV (not UTF-8, no `keyword` column, no data rows, more than 20 000 rows, an unreadable upload), or no row of it could be imported (`errors.rows` lists each row's errors).", body = ErrorEnvelope),
    ))]
pub async fn import(
    State(planner): State<PlannerState>,
    tenant: Tenant,
    QueryParams(target): QueryParams<ImportTarget>,
    request: Request,
) -> ApiResult<Success<CsvImportReport>> {
    tenant.require(Access::Write)?;
    let state = &planner.tenancy;
    let site_id = target.site_id.ok_or_else(|| ApiError::field("site_id", "This parameter is required."))?;
    let sector_id = target.sector_id.ok_or_else(|| ApiError::field("sector_id", "This parameter is required."))?;
    let (site, sector) = state.resolve_sector(&tenant, &site_id, &sector_id).await?;
    let rows = parse(&file_bytes(request).await?)?;
    if rows.is_empty() {
        return Err(unprocessable("The file has no data rows."));
    }
    // Counted once a file is known to be importable: the writes are what costs.
    igny8_tenancy::throttle::per_account(&state.store, &tenant, "CSV imports", IMPORTS_PER_MINUTE).await?;

    let stamp = now();
    let mut errors = Vec::new();
    let mut candidates: Vec<(usize, Keyword)> = Vec::new();
    for (row, parsed) in rows.iter().cloned() {
        match parsed {
            Ok(fields) => candidates.push((row, new_keyword(&tenant, &site.id, &sector.id, fields, &stamp))),
            Err(field_errors) => errors.push(CsvRowErrors { row, errors: field_errors }),
        }
    }
    let changes: Vec<KeywordChange> =
        candidates.iter().map(|(_, k)| KeywordChange { before: None, after: Some(k.clone()) }).collect();
    let plan = tenant.plan()?;
    let outcome = state.store.apply_keyword_changes(&changes, plan.max_keywords).await?;
    if outcome.applied.is_empty() && !outcome.plan_limited.is_empty() {
        return Err(crate::keywords::plan_limit(plan));
    }
    if outcome.applied.is_empty() && !outcome.sector_full.is_empty() {
        return Err(crate::keywords::sector_full());
    }
    errors.extend(
        outcome.plan_limited.iter().chain(&outcome.sector_full).map(|&i| CsvRowErrors {
            row: candidates[i].0,
            errors: crate::keywords::no_room_errors(&outcome, i, plan),
        }),
    );
    errors.sort_by_key(|e| e.row);
    let duplicates: Vec<CsvDuplicate> = outcome
        .duplicates
        .iter()
        .map(|&i| CsvDuplicate { row: candidates[i].0, keyword: candidates[i].1.keyword.clone() })
        .collect();
    let created = outcome.applied.len();
    let message =
        format!("{created} keywords imported, {} duplicates, {} rows with errors.", duplicates.len(), errors.len());
    if created == 0 && !errors.is_empty() && duplicates.is_empty() {
        let mut failure = unprocessable("No row of the file could be imported.");
        failure.errors.insert("rows".into(), errors.iter().map(row_errors_text).collect());
        return Err(failure);
    }
    let report = CsvImportReport { rows: rows.len(), created, duplicates, errors };
    if created > 0 {
        // After the import is saved: rules triggered by imports take it from here.
        planner.keywords_imported(tenant.account_id(), &site.id, &sector.id).await;
    }
    Ok(if created > 0 { Success::created(report) } else { Success::ok(report) }.with_message(message))
}

/// A row's errors as one message: the row as JSON, keys in alphabetical order.
fn row_errors_text(errors: &CsvRowErrors) -> String {
    serde_json::to_value(errors).map(|value| value.to_string()).unwrap_or_default()
}

/// Characters that make a spreadsheet read a cell as a formula (CSV injection).
const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// A cell a spreadsheet shows as text: one starting like a formula gets a leading `'`,
/// which spreadsheets hide and [`from_spreadsheet`] removes on import.
fn spreadsheet_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) { format!("'{text}").into() } else { text.into() }
}

/// Undoes [`spreadsheet_safe`], so an exported file imports as the same keywords.
fn from_spreadsheet(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

/// Writes keywords as CSV (same columns `import` reads).
pub fn write(keywords: &[Keyword]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(keywords.len() * 40 + 64));
    writer.write_record(COLUMNS)?;
    for k in keywords {
        let intent =
            serde_json::to_value(k.intent).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let keyword = spreadsheet_safe(&k.keyword);
        writer.write_record([keyword.as_ref(), &k.volume.to_string(), &k.difficulty.to_string(), &intent])?;
    }
    writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[utoipa::path(get, path = "/api/v1/planner/keywords/export_csv", tag = "planner", params(KeywordFilter),
    responses((status = 200, description = "The keywords that pass the filters, in the requested order, as a CSV file with the columns `keyword,volume,difficulty,intent`; a keyword that would start a spreadsheet formula is prefixed with `'`.",
        body = String, content_type = "text/csv",
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"keywords.csv\"`")))))]
pub async fn export(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(filter): QueryParams<KeywordFilter>,
) -> ApiResult<Response> {
    tenant.require(Access::Read)?;
    let keywords = state.select(&tenant, &filter).await?;
    let body = write(&keywords).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"keywords.csv\""),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_over_the_row_cap_are_refused_whole() {
        let rows = |n: usize| format!("keyword\n{}", (0..n).map(|i| format!("k{i}\n")).collect::<String>());
        assert_eq!(parse(rows(MAX_IMPORT_ROWS).as_bytes()).unwrap().len(), MAX_IMPORT_ROWS);
        let error = parse(rows(MAX_IMPORT_ROWS + 1).as_bytes()).unwrap_err();
        assert_eq!((error.status.as_u16(), error.code), (422, "INVALID_FILE"));
        assert!(error.message.contains("20000"), "{}", error.message);
    }

    #[test]
    fn tolerant_of_bom_crlf_quotes_and_column_order() {
        let file = "\u{feff}Intent,Keyword,Volume,Difficulty\r\ncommercial,\"running shoes, red\",\"1,200\",40\r\n\r\n,plain,,\r\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        let (row, first) = &rows[0];
        let first = first.as_ref().unwrap();
        assert_eq!(
            (*row, first.keyword.as_str(), first.volume, first.difficulty, first.intent),
            (2, "running shoes, red", 1200, 40, Intent::Commercial)
        );
        assert_eq!(rows[1].0, 4, "row numbers count the blank line");
        assert_eq!(rows[1].1.as_ref().unwrap().intent, Intent::Informational);
    }

    #[test]
    fn bad_rows_are_reported_per_field() {
        let rows = parse(b"keyword,volume,difficulty,intent\n,10,5,\nok,lots,101,curious\n").unwrap();
        let first = rows[0].1.as_ref().unwrap_err();
        assert!(first.contains_key("keyword"));
        let second = rows[1].1.as_ref().unwrap_err();
        assert!(
            second.contains_key("volume") && second.contains_key("difficulty") && second.contains_key("intent"),
            "{second:?}"
        );
    }

    #[test]
    fn row_errors_read_as_the_row_in_json() {
        let mut errors = FieldErrors::new();
        errors.insert("volume".into(), vec!["\"lots\" is not a whole number.".into()]);
        let text = row_errors_text(&CsvRowErrors { row: 3, errors });
        assert_eq!(text, r#"{"errors":{"volume":["\"lots\" is not a whole number."]},"row":3}"#);
    }

    #[test]
    fn a_file_without_a_keyword_column_is_refused() {
        assert!(parse(b"term,volume\nx,1\n").is_err());
    }

    #[test]
    fn formulas_export_as_text_and_import_back_unchanged() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("-10 tips"), "'-10 tips");
        assert_eq!(spreadsheet_safe("plain words"), "plain words");
        for text in ["=1+1", "+cmd", "@sum", "plain", "'quoted already"] {
            assert_eq!(from_spreadsheet(&spreadsheet_safe(text)), text);
        }
    }
}
