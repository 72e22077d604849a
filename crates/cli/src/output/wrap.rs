//! Python's `textwrap.fill(line, width)`, which PrettyTable applies to a cell's lines that
//! are wider than their column: greedy filling, whitespace dropped where lines break, words
//! split after the hyphen of a hyphenated word, and words longer than a line cut.

use super::table::text_width;

fn is_letter(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// Python's `textwrap` chunks: runs of whitespace, and words, split after the hyphen of a
/// hyphenated word (`block-` `storage`).
fn chunks(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let at = |i: usize| chars.get(i).copied();
    for (i, &c) in chars.iter().enumerate() {
        let space = c == ' ';
        if !cur.is_empty() && cur.starts_with(' ') != space {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c);
        if c == '-' && i >= 2 {
            let before = (is_letter(chars[i - 1]) && is_letter(chars[i - 2]))
                || (i >= 3
                    && is_letter(chars[i - 1])
                    && chars[i - 2] == '-'
                    && is_letter(chars[i - 3]));
            let after = at(i + 1).is_some_and(is_letter)
                && (at(i + 2).is_some_and(is_letter)
                    || (at(i + 2) == Some('-') && at(i + 3).is_some_and(is_letter)));
            if before && after {
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// One line wrapped to `width` as `textwrap.fill(line, width)`: greedy, whitespace dropped
/// at the ends of lines, words longer than a line broken (after a hyphen when one fits).
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut text = String::new();
    for c in line.chars() {
        match c {
            '\t' => {
                let n = 8 - text_width(&text) % 8;
                text.push_str(&" ".repeat(n));
            }
            '\n' | '\x0b' | '\x0c' | '\r' => text.push(' '),
            c => text.push(c),
        }
    }
    let mut stack: Vec<String> = chunks(&text);
    stack.reverse();
    let mut lines: Vec<String> = Vec::new();
    while !stack.is_empty() {
        let mut cur: Vec<String> = Vec::new();
        let mut len = 0;
        if !lines.is_empty() && stack.last().is_some_and(|c| c.trim().is_empty()) {
            stack.pop();
        }
        while let Some(c) = stack.last() {
            if len + text_width(c) <= width {
                len += text_width(c);
                cur.extend(stack.pop());
            } else {
                break;
            }
        }
        if let Some(long) = stack.last_mut() {
            if text_width(long) > width {
                let space_left = width - len;
                let chars: Vec<char> = long.chars().collect();
                let mut end = space_left;
                if let Some(h) = chars[..space_left].iter().rposition(|&c| c == '-') {
                    if h > 0 && chars[..h].iter().any(|&c| c != '-') {
                        end = h + 1;
                    }
                }
                cur.push(chars[..end].iter().collect());
                *long = chars[end..].iter().collect();
            }
        }
        if cur.last().is_some_and(|c| c.trim().is_empty()) {
            cur.pop();
        }
        if !cur.is_empty() {
            lines.push(cur.concat());
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_as_textwrap() {
        assert_eq!(
            wrap("one one one one one", 10),
            ["one one", "one one", "one"]
        );
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        // Whitespace is dropped at line ends, kept at the very start.
        assert_eq!(wrap("  ab   cd", 4), ["  ab", "cd"]);
        // Hyphenated words break after the hyphen.
        assert_eq!(
            wrap("block-storage service", 8),
            ["block-", "storage", "service"]
        );
        assert_eq!(
            wrap("a long-hyphenated-word", 12),
            ["a long-", "hyphenated-", "word"]
        );
        // A word too long for any line breaks after a hyphen inside the line when it can.
        assert_eq!(wrap("12-34567890", 5), ["12-", "34567", "890"]);
        // It fills the rest of the line it starts on.
        assert_eq!(wrap("xx-yyyyyyyy", 5), ["xx-yy", "yyyyy", "y"]);
        assert_eq!(
            wrap("http://127.0.0.1:5000/v3", 10),
            ["http://127", ".0.0.1:500", "0/v3"]
        );
        assert_eq!(wrap("a\tb", 20), ["a       b"]);
        assert_eq!(wrap("", 3), Vec::<String>::new());
    }
}
