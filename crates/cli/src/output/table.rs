//! The table format, as cliff draws it with PrettyTable: a box around a header row and the
//! rows, cells of several lines, numbers aligned right, and a width limit (`--max-width`,
//! `--fit-width`, `CLIFF_MAX_TERM_WIDTH`, `CLIFF_FIT_WIDTH`) met by narrowing the widest
//! columns and wrapping their cells as Python's `textwrap.fill` does ([`super::wrap`]).
//!
//! [`draw`] writes a table row by row, from rows it visits twice (widths, then lines): a
//! list of a large catalog is never all in memory, as cells or as text.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

use super::wrap::wrap;

/// Narrowest a shrunk column of a list gets (cliff: 8).
pub const LIST_MIN_WIDTH: usize = 8;
/// Narrowest a shrunk column of a record (`Field`, `Value`) gets (cliff: 16).
pub const RECORD_MIN_WIDTH: usize = 16;

/// A table to draw, its cells in memory (records, tests).
#[derive(Debug)]
pub struct Table<'a> {
    /// The header row.
    pub headers: &'a [&'a str],
    /// The cells' text, row by row.
    pub rows: Vec<Vec<String>>,
    /// Columns aligned right (cliff: those whose first row holds a number).
    pub right: Vec<bool>,
}

/// A table's rows, visited in order: each time, the same cells.
pub trait Cells {
    /// Call `f` with each row's cells, in order; the first error stops the visit.
    fn each(&self, f: &mut dyn FnMut(&[&str]) -> io::Result<()>) -> io::Result<()>;
}

impl Cells for Vec<Vec<String>> {
    fn each(&self, f: &mut dyn FnMut(&[&str]) -> io::Result<()>) -> io::Result<()> {
        for row in self {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            f(&cells)?;
        }
        Ok(())
    }
}

/// Columns a text takes: one per character, as Python counts them.
pub fn text_width(s: &str) -> usize {
    s.chars().count()
}

/// The widest line of a cell.
fn cell_width(s: &str) -> usize {
    s.split('\n').map(text_width).max().unwrap_or(0)
}

/// cliff's clean-up of a cell: `\r\n` is a line break, a lone `\r` a space.
pub fn clean(s: &str) -> String {
    clean_cow(s).into_owned()
}

/// [`clean`], borrowing `s` when there is nothing to clean.
pub fn clean_cow(s: &str) -> Cow<'_, str> {
    if s.contains('\r') {
        Cow::Owned(s.replace("\r\n", "\n").replace('\r', " "))
    } else {
        Cow::Borrowed(s)
    }
}

impl Table<'_> {
    /// The table within `max_width` columns when given (as far as `min_width` per column
    /// allows), else as wide as its cells.
    pub fn render(&self, max_width: Option<usize>, min_width: usize) -> String {
        let mut out = Vec::new();
        // Writing into a Vec cannot fail, and every cell is text.
        let _ = draw(
            &mut out,
            self.headers,
            &self.right,
            &self.rows,
            max_width,
            min_width,
        );
        String::from_utf8(out).unwrap_or_default()
    }
}

/// Draw a table into `out`: within `max_width` columns when given (as far as `min_width`
/// per column allows), else as wide as its cells. Each row is written as it is drawn.
pub fn draw(
    out: &mut dyn io::Write,
    headers: &[&str],
    right: &[bool],
    cells: &dyn Cells,
    max_width: Option<usize>,
    min_width: usize,
) -> io::Result<()> {
    let n = headers.len();
    // Each column's width without a limit: its header's or widest cell line's.
    let mut natural: Vec<usize> = headers.iter().map(|h| cell_width(h)).collect();
    cells.each(&mut |row| {
        for (i, cell) in row.iter().enumerate().take(n) {
            natural[i] = natural[i].max(cell_width(cell));
        }
        Ok(())
    })?;
    let limits = max_width.and_then(|m| column_limits(&natural, m, min_width));
    // As PrettyTable: a column is as wide as its header, and its cells up to the limit.
    let widths: Vec<usize> = match &limits {
        None => natural,
        Some(limits) => {
            let mut w: Vec<usize> = headers.iter().map(|h| cell_width(h)).collect();
            cells.each(&mut |row| {
                for (i, cell) in row.iter().enumerate().take(n) {
                    w[i] = w[i].max(cell_width(cell).min(limits[i]));
                }
                Ok(())
            })?;
            w
        }
    };
    let sep = {
        let mut s = String::from("+");
        for w in &widths {
            s.push_str(&"-".repeat(w + 2));
            s.push('+');
        }
        s.push('\n');
        s
    };
    let line = |out: &mut String, cells: &[&str]| {
        out.push('|');
        for (i, w) in widths.iter().enumerate() {
            let c = cells.get(i).copied().unwrap_or("");
            let pad = " ".repeat(w.saturating_sub(text_width(c)));
            if right.get(i).copied().unwrap_or(false) {
                let _ = write!(out, " {pad}{c} |");
            } else {
                let _ = write!(out, " {c}{pad} |");
            }
        }
        out.push('\n');
    };
    let mut text = sep.clone();
    line(&mut text, headers);
    text.push_str(&sep);
    out.write_all(text.as_bytes())?;
    cells.each(&mut |row| {
        let split: Vec<Vec<String>> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                c.split('\n')
                    .flat_map(|l| {
                        if text_width(l) <= *w {
                            return vec![l.to_owned()];
                        }
                        // A line of spaces wraps to nothing: one empty line, as
                        // `textwrap.fill` gives.
                        let lines = wrap(l, *w);
                        if lines.is_empty() {
                            vec![String::new()]
                        } else {
                            lines
                        }
                    })
                    .collect()
            })
            .collect();
        let height = split.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let mut text = String::new();
        for i in 0..height {
            let cells: Vec<&str> = split
                .iter()
                .map(|l| l.get(i).map(String::as_str).unwrap_or(""))
                .collect();
            line(&mut text, &cells);
        }
        out.write_all(text.as_bytes())
    })?;
    out.write_all(sep.as_bytes())
}

/// cliff's `_assign_max_widths`: `None` when the table already fits in `max_width`;
/// otherwise each column's limit. The columns wider than an equal share are shrunk to share
/// what the others leave, none below `min_width`; the last of them gets the rest.
pub fn column_limits(widths: &[usize], max_width: usize, min_width: usize) -> Option<Vec<usize>> {
    let n = widths.len();
    let total = 1 + widths.iter().map(|w| w + 3).sum::<usize>();
    if n == 0 || total <= max_width {
        return None;
    }
    let usable = max_width.saturating_sub(1 + 3 * n);
    let equal = usable / n;
    let shrink: Vec<usize> = (0..n).filter(|&i| widths[i] > equal).collect();
    let mut remaining = i64::try_from(usable).unwrap_or(i64::MAX)
        - (0..n)
            .filter(|&i| widths[i] <= equal)
            .map(|i| i64::try_from(widths[i]).unwrap_or(i64::MAX))
            .sum::<i64>();
    let (last, rest) = shrink.split_last()?;
    let share = remaining.div_euclid(i64::try_from(shrink.len()).unwrap_or(1));
    let min = i64::try_from(min_width).unwrap_or(i64::MAX);
    let as_width = |w: i64| usize::try_from(w.max(min)).unwrap_or(min_width);
    let mut limits: Vec<usize> = widths.to_vec();
    for &i in rest {
        limits[i] = as_width(share);
        remaining -= share;
    }
    limits[*last] = as_width(remaining);
    Some(limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[(&str, &str)], max_width: Option<usize>) -> String {
        let t = Table {
            headers: &["Field", "Value"],
            rows: fields
                .iter()
                .map(|(k, v)| vec![clean(k), clean(v)])
                .collect(),
            right: vec![false, false],
        };
        t.render(max_width, RECORD_MIN_WIDTH)
    }

    fn list(max_width: Option<usize>) -> String {
        let t = Table {
            headers: &["one", "two", "three"],
            rows: vec![vec![
                "one one one one one".into(),
                "two two two two".into(),
                "three three".into(),
            ]],
            right: vec![false; 3],
        };
        t.render(max_width, LIST_MIN_WIDTH)
    }

    fn lines(s: &str) -> String {
        s.lines()
            .map(|l| l.trim_start().to_owned() + "\n")
            .collect()
    }

    // The expectations below are cliff's (its test_formatters_table.py), drawn the same way.
    #[test]
    fn carriage_returns() {
        let d = [("a", "A"), ("d", "test\rcarriage\r\nreturn")];
        assert_eq!(
            record(&d, None),
            lines(
                "+-------+---------------+
                 | Field | Value         |
                 +-------+---------------+
                 | a     | A             |
                 | d     | test carriage |
                 |       | return        |
                 +-------+---------------+"
            )
        );
    }

    #[test]
    fn a_long_value_is_cut_where_there_is_no_space() {
        let long = "d".repeat(77);
        let d = [("a", "A"), ("b", "B"), ("c", "C"), ("d", long.as_str())];
        let t = record(&d, Some(42));
        assert_eq!(
            t,
            lines(
                "+-------+--------------------------------+
                 | Field | Value                          |
                 +-------+--------------------------------+
                 | a     | A                              |
                 | b     | B                              |
                 | c     | C                              |
                 | d     | dddddddddddddddddddddddddddddd |
                 |       | dddddddddddddddddddddddddddddd |
                 |       | ddddddddddddddddd              |
                 +-------+--------------------------------+"
            )
        );
        let t80 = record(&d, Some(80));
        assert!(t80.lines().all(|l| l.chars().count() == 80), "{t80}");
        assert!(record(&d, None).lines().all(|l| l.chars().count() == 89));
    }

    #[test]
    fn records_shrink_the_value_then_both_columns_but_not_below_16() {
        let d = [
            ("field_name", "the value"),
            (
                "a_really_long_field_name",
                "a value significantly longer than the field",
            ),
        ];
        assert_eq!(record(&d, Some(80)), record(&d, None));
        assert_eq!(
            record(&d, Some(70)),
            lines(
                "+--------------------------+-----------------------------------------+
                 | Field                    | Value                                   |
                 +--------------------------+-----------------------------------------+
                 | field_name               | the value                               |
                 | a_really_long_field_name | a value significantly longer than the   |
                 |                          | field                                   |
                 +--------------------------+-----------------------------------------+"
            )
        );
        assert_eq!(
            record(&d, Some(50)),
            lines(
                "+-----------------------+------------------------+
                 | Field                 | Value                  |
                 +-----------------------+------------------------+
                 | field_name            | the value              |
                 | a_really_long_field_n | a value significantly  |
                 | ame                   | longer than the field  |
                 +-----------------------+------------------------+"
            )
        );
        assert_eq!(
            record(&d, Some(10)),
            lines(
                "+------------------+------------------+
                 | Field            | Value            |
                 +------------------+------------------+
                 | field_name       | the value        |
                 | a_really_long_fi | a value          |
                 | eld_name         | significantly    |
                 |                  | longer than the  |
                 |                  | field            |
                 +------------------+------------------+"
            )
        );
    }

    #[test]
    fn lists_shrink_the_widest_columns_first() {
        let full = lines(
            "+---------------------+-----------------+-------------+
             | one                 | two             | three       |
             +---------------------+-----------------+-------------+
             | one one one one one | two two two two | three three |
             +---------------------+-----------------+-------------+",
        );
        assert_eq!(list(None), full);
        assert_eq!(list(Some(80)), full);
        assert_eq!(
            list(Some(50)),
            lines(
                "+----------------+-----------------+-------------+
                 | one            | two             | three       |
                 +----------------+-----------------+-------------+
                 | one one one    | two two two two | three three |
                 | one one        |                 |             |
                 +----------------+-----------------+-------------+"
            )
        );
        assert_eq!(
            list(Some(47)),
            lines(
                "+---------------+---------------+-------------+
                 | one           | two           | three       |
                 +---------------+---------------+-------------+
                 | one one one   | two two two   | three three |
                 | one one       | two           |             |
                 +---------------+---------------+-------------+"
            )
        );
        assert_eq!(
            list(Some(40)),
            lines(
                "+------------+------------+------------+
                 | one        | two        | three      |
                 +------------+------------+------------+
                 | one one    | two two    | three      |
                 | one one    | two two    | three      |
                 | one        |            |            |
                 +------------+------------+------------+"
            )
        );
        let tiny = list(Some(10));
        assert_eq!(
            tiny,
            lines(
                "+----------+----------+----------+
                 | one      | two      | three    |
                 +----------+----------+----------+
                 | one one  | two two  | three    |
                 | one one  | two two  | three    |
                 | one      |          |          |
                 +----------+----------+----------+"
            )
        );
        for w in [40, 45, 47, 50] {
            assert_eq!(list(Some(w)).lines().next().unwrap().len(), w);
        }
    }

    #[test]
    fn numbers_align_right() {
        let t = Table {
            headers: &["Name", "Size"],
            rows: vec![
                vec!["a".into(), "1".into()],
                vec!["bb".into(), "100".into()],
            ],
            right: vec![false, true],
        };
        assert_eq!(
            t.render(None, LIST_MIN_WIDTH),
            lines(
                "+------+------+
                 | Name | Size |
                 +------+------+
                 | a    |    1 |
                 | bb   |  100 |
                 +------+------+"
            )
        );
    }

    #[test]
    fn limits_as_cliff_computes_them() {
        assert_eq!(column_limits(&[1, 2, 3], 80, 8), None);
        // Only the columns wider than an equal share shrink.
        assert_eq!(column_limits(&[19, 15, 11], 50, 8), Some(vec![14, 15, 11]));
        assert_eq!(column_limits(&[19, 15, 11], 40, 8), Some(vec![10, 10, 10]));
        assert_eq!(column_limits(&[19, 15, 11], 10, 8), Some(vec![8, 8, 8]));
    }
}
