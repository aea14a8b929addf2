//! Keyword CSV import (spreadsheet quirks, bad rows with exact row numbers, refused
//! files, multipart uploads, 10 000 rows at once) and export (filters, round trip).

use igny8_e2e::{Reply, TestApp};
use serde_json::{Value, json};

use crate::planner_keywords::{KEYWORDS, add_keyword, texts};
use igny8_e2e::common::{assert_field_error, results, workspace};

const EXPORT: &str = "/api/v1/planner/keywords/export_csv/";
const HEADER: &str = "keyword,volume,difficulty,intent";

fn import_path(site: &str, sector: &str) -> String {
    format!("/api/v1/planner/keywords/import_csv/?site_id={site}&sector_id={sector}")
}

/// `[(row, keyword)]` of a report's duplicates, by row.
fn duplicate_rows(reply: &Reply) -> Vec<(u64, String)> {
    let mut rows: Vec<(u64, String)> = reply.data()["duplicates"]
        .as_array()
        .unwrap_or_else(|| panic!("no duplicates in {}", reply.body))
        .iter()
        .map(|d| (d["row"].as_u64().unwrap(), d["keyword"].as_str().unwrap().to_owned()))
        .collect();
    rows.sort();
    rows
}

/// `[(row, [fields])]` of a report's errors, by row.
fn error_rows(reply: &Reply) -> Vec<(u64, Vec<String>)> {
    let mut rows: Vec<(u64, Vec<String>)> = reply.data()["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {}", reply.body))
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["errors"].as_object().unwrap().keys().cloned().collect()))
        .collect();
    rows.sort();
    rows
}

/// `(keyword, volume, difficulty, intent)` of each result.
fn rows_of(reply: &Reply) -> Vec<(String, u64, u64, String)> {
    results(reply)
        .iter()
        .map(|k| {
            (
                k["keyword"].as_str().unwrap().to_owned(),
                k["volume"].as_u64().unwrap(),
                k["difficulty"].as_u64().unwrap(),
                k["intent"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn row(keyword: &str, volume: u64, difficulty: u64, intent: &str) -> (String, u64, u64, String) {
    (keyword.to_owned(), volume, difficulty, intent.to_owned())
}

#[tokio::test]
async fn import_csv_tolerates_spreadsheet_quirks() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "csvquirks").await;
    let t = &ws.owner.access;
    // BOM, CRLF, another column order, an extra column, quoted fields (with a comma, with
    // quotes, a number with a thousands separator), an empty intent, a short row, a
    // blank line, and no line end at the end.
    let file = "\u{feff}Intent , Keyword,Notes,Volume,DIFFICULTY\r\n\
                commercial,\"running shoes, red\",ignore me,\"1,200\",40\r\n\
                ,plain,,,\r\n\
                \r\n\
                TRANSACTIONAL,\"quoted \"\"best\"\" boots\",x,7,100\r\n\
                navigational,  short   row  \r\n\
                informational,last one,,12,3";
    let reply = app.post_csv(&import_path(&ws.site, &ws.sector), t, file).await.expect(201);
    let data = reply.data();
    assert_eq!((data["rows"].clone(), data["created"].clone()), (json!(5), json!(5)), "{}", reply.body);
    assert_eq!((data["duplicates"].clone(), data["errors"].clone()), (json!([]), json!([])));

    let list = app.get(&format!("{KEYWORDS}?site_id={}&ordering=keyword", ws.site), t).await.expect(200);
    assert_eq!(
        rows_of(&list),
        vec![
            row("last one", 12, 3, "informational"),
            row("plain", 0, 0, "informational"),
            row("quoted \"best\" boots", 7, 100, "transactional"),
            row("running shoes, red", 1200, 40, "commercial"),
            row("short row", 0, 0, "navigational"),
        ]
    );
    assert!(results(&list).iter().all(|k| k["sector_id"] == json!(ws.sector) && k["status"] == "active"));
}

#[tokio::test]
async fn bad_rows_are_reported_with_their_row_numbers_and_good_rows_kept() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "csvbad").await;
    let t = &ws.owner.access;
    add_keyword(&app, t, &ws.site, &ws.sector, "Existing", json!({"volume": 99})).await;
    let file = [
        "keyword,volume,difficulty,intent",    // 1
        "good one,100,10,commercial",          // 2
        ",50,5,",                              // 3: no keyword
        "bad volume,lots,5,",                  // 4
        "too hard,10,101,",                    // 5
        "odd intent,10,5,curious",             // 6
        "Good One,1,1,",                       // 7: repeats row 2
        "existing,5,5,",                       // 8: already in the sector
        "good two,\"2,500\",55,transactional", // 9
        "negative,-5,5,",                      // 10
        "  spaced   out  ,1,2,Commercial",     // 11
        "all wrong,x,y,z",                     // 12
    ]
    .join("\n");
    let reply = app.post_csv(&import_path(&ws.site, &ws.sector), t, &file).await.expect(201);
    assert_eq!(reply.data()["rows"], 11, "{}", reply.body);
    assert_eq!(reply.data()["created"], 3, "{}", reply.body);
    assert_eq!(duplicate_rows(&reply), vec![(7, "Good One".to_owned()), (8, "existing".to_owned())]);
    let s = |fields: &[&str]| fields.iter().map(|f| f.to_string()).collect::<Vec<_>>();
    assert_eq!(
        error_rows(&reply),
        vec![
            (3, s(&["keyword"])),
            (4, s(&["volume"])),
            (5, s(&["difficulty"])),
            (6, s(&["intent"])),
            (10, s(&["volume"])),
            (12, s(&["difficulty", "intent", "volume"])),
        ]
    );

    // The good rows are kept; the existing keyword is untouched.
    let list = app.get(&format!("{KEYWORDS}?site_id={}&ordering=keyword", ws.site), t).await.expect(200);
    assert_eq!(
        rows_of(&list),
        vec![
            row("Existing", 99, 0, "informational"),
            row("good one", 100, 10, "commercial"),
            row("good two", 2500, 55, "transactional"),
            row("spaced out", 1, 2, "commercial"),
        ]
    );
}

/// A spreadsheet user counts every line: a blank line is a row too, so the rows after it
/// must be reported with the line number they have in the file.
#[tokio::test]
async fn row_numbers_count_blank_lines() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "csvblank").await;
    let t = &ws.owner.access;
    let file = "keyword,volume\nfirst,1\n\nsecond,2\n,3\nthird,x\n";
    let reply = app.post_csv(&import_path(&ws.site, &ws.sector), t, file).await.expect(201);
    assert_eq!(reply.data()["created"], 2);
    let rows: Vec<u64> = error_rows(&reply).into_iter().map(|(row, _)| row).collect();
    assert_eq!(rows, vec![5, 6], "lines 5 (no keyword) and 6 (bad volume) of the file: {}", reply.body);

    // With a BOM, CRLF, a blank line, a quoted line break and a line of spaces.
    let file = "\u{feff}keyword,volume\r\n\r\n\"two\nlines\",1\r\n,2\r\n   \r\nx,y\r\nlast,3\r\n";
    let reply = app.post_csv(&import_path(&ws.site, &ws.sector), t, file).await.expect(201);
    assert_eq!(reply.data()["created"], 2, "{}", reply.body);
    let rows: Vec<u64> = error_rows(&reply).into_iter().map(|(row, _)| row).collect();
    assert_eq!(rows, vec![5, 7], "lines 5 (no keyword) and 7 (bad volume) of the file: {}", reply.body);
    let list = app.get(&format!("{KEYWORDS}?site_id={}&search=lines", ws.site), t).await.expect(200);
    assert_eq!(texts(&list), ["two lines"]);
}

#[tokio::test]
async fn files_that_are_not_keyword_csvs_are_refused() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "csvrefused").await;
    let t = &ws.owner.access;
    let path = import_path(&ws.site, &ws.sector);

    let refused: [(&str, Vec<u8>); 5] = [
        ("no keyword column", b"term,volume\nshoes,1\n".to_vec()),
        ("header only", b"keyword,volume,difficulty,intent\n".to_vec()),
        ("empty", Vec::new()),
        ("not UTF-8", b"keyword,volume\ncaf\xe9,1\n".to_vec()),
        ("every row bad", b"keyword,difficulty\n,1\nx,500\ny,-1\n".to_vec()),
    ];
    for (what, body) in refused {
        let reply = app.post_bytes(&path, t, "text/csv", body).await;
        assert_eq!(reply.status, 422, "{what}: {}", reply.body);
        assert_eq!(reply.code(), "INVALID_FILE", "{what}");
    }
    assert_eq!(app.count_kind("keyword").await, 0);

    // Parameters.
    let reply =
        app.post_csv(&format!("/api/v1/planner/keywords/import_csv/?site_id={}", ws.site), t, "keyword\nx\n").await;
    assert_field_error(&reply, "sector_id");
    let reply =
        app.post_csv(&format!("/api/v1/planner/keywords/import_csv/?sector_id={}", ws.sector), t, "keyword\nx\n").await;
    assert_field_error(&reply, "site_id");
    let other_site = app.create_site(t, "Other").await;
    let other_sector = app.create_sector(t, &other_site, "There").await;
    assert_field_error(&app.post_csv(&import_path(&ws.site, &other_sector), t, "keyword\nx\n").await, "sector_id");
    app.post_csv(&import_path(&ws.site, "sec_missing"), t, "keyword\nx\n").await.expect(404);
    assert_eq!(app.count_kind("keyword").await, 0);

    // Nothing new but nothing wrong: 200 with the duplicates.
    let first = app.post_csv(&path, t, "keyword\nalpha\nbeta\n").await.expect(201);
    assert_eq!(first.data()["created"], 2);
    let again = app.post_csv(&path, t, "keyword\nALPHA\n beta \n").await.expect(200);
    assert_eq!(again.data()["created"], 0);
    assert_eq!(duplicate_rows(&again), vec![(2, "ALPHA".to_owned()), (3, "beta".to_owned())]);
    // Duplicates and bad rows, nothing created: still a report, not a refusal.
    let mixed = app.post_csv(&path, t, "keyword,volume\nalpha,1\ngamma,x\n").await.expect(200);
    assert_eq!(duplicate_rows(&mixed), vec![(2, "alpha".to_owned())]);
    assert_eq!(error_rows(&mixed), vec![(3, vec!["volume".to_owned()])]);
    assert_eq!(app.count_kind("keyword").await, 2);
}

fn multipart(field: &str, content: &str) -> (String, Vec<u8>) {
    let boundary = "----igny8-test-boundary-7MA4YWxkTrZu0gW";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nnot the file\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"keywords.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

#[tokio::test]
async fn import_csv_accepts_a_multipart_upload() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "csvform").await;
    let t = &ws.owner.access;
    let path = import_path(&ws.site, &ws.sector);

    let (content_type, body) = multipart("file", "keyword,volume\r\nform one,10\r\nform two,20");
    let reply = app.post_bytes(&path, t, &content_type, body).await.expect(201);
    assert_eq!(reply.data()["created"], 2, "{}", reply.body);
    let list = app.get(&format!("{KEYWORDS}?site_id={}&ordering=volume", ws.site), t).await.expect(200);
    assert_eq!(rows_of(&list), vec![row("form one", 10, 0, "informational"), row("form two", 20, 0, "informational")]);

    let (content_type, body) = multipart("upload", "keyword\nwrong field\n");
    let reply = app.post_bytes(&path, t, &content_type, body).await;
    assert_field_error(&reply, "file");
    assert_eq!(app.count_kind("keyword").await, 2);
}

#[tokio::test]
async fn export_csv_round_trips_through_import() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "csvexport").await;
    let t = &ws.owner.access;
    let copy = app.create_sector(t, &ws.site, "Copy").await;
    let other = app.create_sector(t, &ws.site, "Other").await;
    let originals = [
        ("shoes, red", 1200, 40, "commercial"),
        ("\"quoted\" boots", 7, 100, "transactional"),
        ("café crème", 0, 0, "informational"),
        ("plain", 55, 12, "navigational"),
        ("semi;colon 'single'", 3, 3, "informational"),
        ("1,000 ideas", 1_000_000_000, 99, "commercial"),
    ];
    for (keyword, volume, difficulty, intent) in originals {
        add_keyword(
            &app,
            t,
            &ws.site,
            &ws.sector,
            keyword,
            json!({"volume": volume, "difficulty": difficulty, "intent": intent}),
        )
        .await;
    }
    add_keyword(&app, t, &ws.site, &other, "elsewhere", json!({"volume": 5})).await;

    let exported = app.get_text(&format!("{EXPORT}?site_id={}&sector_id={}", ws.site, ws.sector), t).await.expect(200);
    assert!(exported.content_type().starts_with("text/csv"), "{}", exported.content_type());
    let disposition = exported.headers.get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let lines: Vec<&str> = exported.text.lines().collect();
    assert_eq!(lines[0], HEADER);
    assert_eq!(lines.len(), originals.len() + 1, "{}", exported.text);
    assert!(!exported.text.contains("elsewhere"));

    // Imported into another sector, the export gives the same keywords.
    let reply = app.post_csv(&import_path(&ws.site, &copy), t, &exported.text).await.expect(201);
    assert_eq!(reply.data()["created"], originals.len(), "{}", reply.body);
    assert_eq!((reply.data()["errors"].clone(), reply.data()["duplicates"].clone()), (json!([]), json!([])));
    let sorted = |sector: &str| format!("{KEYWORDS}?site_id={}&sector_id={sector}&ordering=keyword", ws.site);
    let before = app.get(&sorted(&ws.sector), t).await.expect(200);
    let after = app.get(&sorted(&copy), t).await.expect(200);
    assert_eq!(rows_of(&after), rows_of(&before));
    assert_eq!(rows_of(&before).len(), originals.len());
    // Into the same sector, every row is a duplicate.
    let reply = app.post_csv(&import_path(&ws.site, &ws.sector), t, &exported.text).await.expect(200);
    assert_eq!(
        (reply.data()["created"].clone(), reply.data()["duplicates"].as_array().unwrap().len()),
        (json!(0), originals.len())
    );

    // The export takes the list's filters and ordering.
    let export = |query: &str| {
        let path = format!("{EXPORT}?site_id={}&sector_id={}&{query}", ws.site, ws.sector);
        let app = &app;
        async move { app.get_text(&path, t).await.expect(200).text }
    };
    let commercial = export("intent=commercial&ordering=volume").await;
    assert_eq!(
        commercial,
        format!("{HEADER}\n\"shoes, red\",1200,40,commercial\n\"1,000 ideas\",1000000000,99,commercial\n")
    );
    let by_volume = export("ordering=-volume&volume_max=100").await;
    let keywords: Vec<&str> = by_volume.lines().skip(1).map(|l| l.rsplitn(4, ',').last().unwrap()).collect();
    assert_eq!(keywords, vec!["plain", "\"\"\"quoted\"\" boots\"", "semi;colon 'single'", "café crème"]);
    assert_eq!(export("search=nothing").await, format!("{HEADER}\n"));
    // Site-wide without a sector.
    let site_wide = app.get_text(&format!("{EXPORT}?site_id={}", ws.site), t).await.expect(200);
    assert_eq!(site_wide.text.lines().count(), 1 + 2 * originals.len() + 1);
    // Parameters are checked as for the list.
    let missing = app.get_text(EXPORT, t).await;
    assert_eq!(missing.status, 400, "{}", missing.text);
    let parsed: Value = serde_json::from_str(&missing.text).expect("a JSON error");
    assert!(parsed["errors"]["site_id"].is_array(), "{parsed}");
    assert_eq!(app.get_text(&format!("{EXPORT}?site_id={}&ordering=secret", ws.site), t).await.status, 400);
}

#[tokio::test]
async fn ten_thousand_rows_import_in_one_call() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "csvbig").await;
    let t = &ws.owner.access;
    // Enough room for 10 000 keywords, whether or not the plan limits them.
    app.move_to_plan(&ws.owner.account_id, "starter").await;
    let intents = ["informational", "commercial", "transactional", "navigational"];
    let mut file = String::from("keyword,volume,difficulty,intent\r\n");
    for i in 0..10_000u64 {
        file.push_str(&format!("keyword {i:05},{},{},{}\r\n", i * 3, i % 101, intents[(i % 4) as usize]));
    }
    let reply = app.post_csv(&import_path(&ws.site, &ws.sector), t, &file).await.expect(201);
    let data = reply.data();
    assert_eq!(data["created"], 10_000, "{}", data["errors"]);
    assert_eq!(data["rows"], 10_000);
    assert_eq!((data["duplicates"].clone(), data["errors"].clone()), (json!([]), json!([])));

    let list =
        app.get(&format!("{KEYWORDS}?site_id={}&sector_id={}&page_size=1", ws.site, ws.sector), t).await.expect(200);
    assert_eq!(list.body["count"], 10_000);
    // (Each list of 10 000 keywords reads them all, so the checks stay few.)
    let top = app.get(&format!("{KEYWORDS}?site_id={}&ordering=-volume&page_size=2", ws.site), t).await.expect(200);
    assert_eq!(
        rows_of(&top),
        vec![row("keyword 09999", 29_997, 0, "navigational"), row("keyword 09998", 29_994, 100, "transactional")]
    );
}
