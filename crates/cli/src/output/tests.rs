//! The formats, on records and lists.

use super::csv::Quote;
use super::*;
use serde_json::json;

fn record(format: RecordFormat) -> RecordOutput {
    RecordOutput {
        format,
        ..Default::default()
    }
}

fn list(format: ListFormat) -> ListOutput {
    ListOutput {
        format,
        ..Default::default()
    }
}

fn token() -> Vec<(&'static str, Value)> {
    vec![
        ("expires", json!("2030-01-01T00:00:00+0000")),
        ("id", json!("t\"k$x")),
        ("project_id", json!("p")),
    ]
}

#[test]
fn record_formats() {
    let f = token();
    assert_eq!(
        record(RecordFormat::Table).render(&f).unwrap(),
        "\
+------------+--------------------------+
| Field      | Value                    |
+------------+--------------------------+
| expires    | 2030-01-01T00:00:00+0000 |
| id         | t\"k$x                    |
| project_id | p                        |
+------------+--------------------------+
"
    );
    assert_eq!(
        record(RecordFormat::Value).render(&f).unwrap(),
        "2030-01-01T00:00:00+0000\nt\"k$x\np\n"
    );
    assert_eq!(
        record(RecordFormat::Shell).render(&f).unwrap(),
        "expires=\"2030-01-01T00:00:00+0000\"\nid=\"t\\\"k\\$x\"\nproject_id=\"p\"\n"
    );
    let j: Value = serde_json::from_str(&record(RecordFormat::Json).render(&f).unwrap()).unwrap();
    assert_eq!(j["id"], "t\"k$x");
    let y = record(RecordFormat::Yaml).render(&f).unwrap();
    assert_eq!(
        y,
        "expires: '2030-01-01T00:00:00+0000'\nid: t\"k$x\nproject_id: p\n"
    );
}

#[test]
fn columns_are_picked_in_the_commands_order() {
    let f = token();
    let mut out = record(RecordFormat::Value);
    out.common.columns = vec!["id".into()];
    assert_eq!(out.render(&f).unwrap(), "t\"k$x\n");
    out.common.columns = vec!["project_id".into(), "nope".into(), "expires".into()];
    assert_eq!(out.render(&f).unwrap(), "2030-01-01T00:00:00+0000\np\n");
    out.common.columns = vec!["nope".into(), "ID".into()];
    let Err(Failure::Usage(e)) = out.render(&f) else {
        panic!("no error")
    };
    assert_eq!(
        e,
        "No recognized column names in ['nope', 'ID']. Recognized columns are \
         ['expires', 'id', 'project_id']."
    );
    let mut l = list(ListFormat::Value);
    l.common.columns = vec!["Type".into()];
    let rows = vec![vec![json!("keystone"), json!("identity")]];
    assert_eq!(l.render(&["Name", "Type"], &rows).unwrap(), "identity\n");
    l.common.columns = vec!["type".into()];
    assert!(l.render(&["Name", "Type"], &rows).is_err());
}

#[test]
fn shell_prefix_and_variables() {
    let f = vec![
        ("Region Name", json!("RegionOne")),
        ("max-micro:version", Value::Null),
        ("enabled", json!(true)),
    ];
    let mut out = record(RecordFormat::Shell);
    out.prefix = "os_".into();
    assert_eq!(
        out.render(&f).unwrap(),
        "os_region_name=\"RegionOne\"\nos_max_micro_version=\"None\"\nos_enabled=\"True\"\n"
    );
    out.variables = vec!["region_name".into()];
    assert_eq!(out.render(&f).unwrap(), "os_region_name=\"RegionOne\"\n");
}

#[test]
fn list_formats() {
    let rows = vec![
        vec![json!("keystone"), json!("identity"), json!(1), Value::Null],
        vec![json!("a, \"b\""), json!("x"), json!(22), json!(false)],
    ];
    let h = ["Name", "Type", "N", "On"];
    assert_eq!(
        list(ListFormat::Value).render(&h, &rows).unwrap(),
        "keystone identity 1 None\na, \"b\" x 22 False\n"
    );
    assert_eq!(
        list(ListFormat::Csv).render(&h, &rows).unwrap(),
        "\"Name\",\"Type\",\"N\",\"On\"\n\"keystone\",\"identity\",1,\"\"\n\"a, \"\"b\"\"\",\"x\",22,False\n"
    );
    let mut minimal = list(ListFormat::Csv);
    minimal.quote = Quote::Minimal;
    assert_eq!(
        minimal.render(&h, &rows).unwrap(),
        "Name,Type,N,On\nkeystone,identity,1,\n\"a, \"\"b\"\"\",x,22,False\n"
    );
    assert_eq!(
        list(ListFormat::Table).render(&h, &rows).unwrap(),
        "\
+----------+----------+----+-------+
| Name     | Type     |  N | On    |
+----------+----------+----+-------+
| keystone | identity |  1 | None  |
| a, \"b\"   | x        | 22 | False |
+----------+----------+----+-------+
"
    );
    let j = list(ListFormat::Json).render(&h, &rows).unwrap();
    assert!(
        j.starts_with("[\n  {\n    \"Name\": \"keystone\",\n    \"Type\""),
        "{j}"
    );
    let mut flat = list(ListFormat::Json);
    flat.common.noindent = true;
    flat.common.columns = vec!["Type".into(), "Name".into()];
    assert_eq!(
        flat.render(&h, &rows).unwrap(),
        "[{\"Name\": \"keystone\", \"Type\": \"identity\"}, {\"Name\": \"a, \\\"b\\\"\", \"Type\": \"x\"}]\n"
    );
    let y = list(ListFormat::Yaml).render(&h, &rows).unwrap();
    let back: Value = serde_saphyr::from_str(&y).unwrap();
    assert_eq!(back[1]["Name"], "a, \"b\"");
    assert_eq!(back[1]["On"], false);
}

#[test]
fn empty_lists() {
    assert_eq!(
        list(ListFormat::Table).render(&["A", "B"], &[]).unwrap(),
        "\n"
    );
    let mut out = list(ListFormat::Table);
    out.common.print_empty = true;
    assert_eq!(
        out.render(&["A", "B"], &[]).unwrap(),
        "+---+---+\n| A | B |\n+---+---+\n+---+---+\n"
    );
    assert_eq!(list(ListFormat::Json).render(&["A"], &[]).unwrap(), "[]\n");
    assert_eq!(list(ListFormat::Yaml).render(&["A"], &[]).unwrap(), "[]\n");
    assert_eq!(
        list(ListFormat::Csv).render(&["A"], &[]).unwrap(),
        "\"A\"\n"
    );
    assert_eq!(list(ListFormat::Value).render(&["A"], &[]).unwrap(), "");
}

#[test]
fn max_width_fits_the_table() {
    let mut out = record(RecordFormat::Table);
    out.common.max_width = Some(30);
    let t = out.render(&token()).unwrap();
    assert!(t.lines().all(|l| l.chars().count() <= 36), "{t}");
    assert!(t.lines().count() > 7, "{t}");
    out.common.max_width = Some(0);
    assert_eq!(
        out.render(&token()).unwrap(),
        record(RecordFormat::Table).render(&token()).unwrap()
    );
}

#[test]
fn control_characters_are_escaped_in_text_and_json() {
    let hostile = json!("a\u{1b}[2J\rb\u{9b}c\u{7f}\nd");
    let rows = vec![vec![hostile.clone()]];
    // Text formats: escaped, line breaks kept (a table cell's CR is cliff's space).
    let value = list(ListFormat::Value).render(&["N"], &rows).unwrap();
    assert_eq!(value, "a\\u{1b}[2J\\rb\\u{9b}c\\u{7f}\nd\n");
    let table = list(ListFormat::Table).render(&["N"], &rows).unwrap();
    assert!(
        table.contains("| a\\u{1b}[2J b\\u{9b}c\\u{7f} |"),
        "{table}"
    );
    // json: its own escapes, DEL and C1 included; the same string reads back.
    let text = list(ListFormat::Json).render(&["N"], &rows).unwrap();
    assert!(
        text.contains(r#""a\u001b[2J\rb\u009bc\u007f\nd""#),
        "{text}"
    );
    let back: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back[0]["N"], hostile);
    assert_eq!(shown("plain\ntext"), "plain\ntext");
}
