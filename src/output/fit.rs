//! Text measured and cut for a terminal: display widths, clipping with `…`, word wrapping, and the
//! [`Fit`] a run's tables get.

/// How a run lays out tables: chosen once it knows where results go, and handed to whatever draws them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fit {
    /// Most characters a line of a table may take; `None`: no limit, every value in full.
    pub width: Option<usize>,
    /// `--wide`: every column (hunt) and no value cut, however wide the lines.
    pub wide: bool,
}

impl Fit {
    /// The layout of output that goes to a terminal or not, with or without `--wide`: only a terminal
    /// limits the width.
    pub fn new(to_terminal: bool, wide: bool) -> Fit {
        Fit {
            width: if wide || !to_terminal {
                None
            } else {
                terminal_width()
            },
            wide,
        }
    }

    /// `line` cut to the width with `…` (whole when there is no width).
    pub fn clip(&self, line: &str) -> String {
        match self.width {
            Some(w) => clip(line, w),
            None => line.to_string(),
        }
    }
}

/// The width of the terminal: `COLUMNS` when it holds a number (as many tools do), else the size the
/// terminal reports (through comfy-table's terminal support). `None` when neither says.
pub fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .or_else(|| {
            comfy_table::Table::new()
                .width()
                .map(usize::from)
                .filter(|n| *n > 0)
        })
}

/// Display width of one character: 0 for combining marks and zero-width characters, 2 for East Asian
/// wide and fullwidth characters and most emoji, 1 otherwise.
fn char_width(c: char) -> usize {
    match c as u32 {
        0x0300..=0x036F | 0x200B..=0x200F | 0x20D0..=0x20FF | 0xFE00..=0xFE0F => 0,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

/// Display width of a line of text.
pub fn text_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// `s` cut to at most `width` columns, ending with `…` when anything was cut.
pub fn clip(s: &str, width: usize) -> String {
    if text_width(s) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// Words of `text` in lines of at most `width` columns, every line after the first indented by
/// `indent` spaces (a word longer than a line is cut).
pub fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let room = if lines.is_empty() {
            width
        } else {
            width.saturating_sub(indent)
        };
        if !line.is_empty() && text_width(&line) + 1 + text_width(word) > room {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                clip(&l, width)
            } else {
                format!("{}{}", " ".repeat(indent), clip(&l, width.saturating_sub(indent)))
            }
        })
        .collect()
}

/// A cell on one line: control characters (line breaks, tabs, escapes) become spaces.
pub fn one_line(s: &str) -> String {
    if s.chars().any(char::is_control) {
        s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_counts_columns_and_ends_with_an_ellipsis() {
        assert_eq!(clip("abcdef", 6), "abcdef");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abcdef", 1), "…");
        assert_eq!(clip("日本語テキスト", 7), "日本語…");
        assert!(text_width(&clip("日本語テキスト", 6)) <= 6);
    }

    #[test]
    fn wrapping_keeps_words_and_indents() {
        assert_eq!(
            wrap("one two three four", 9, 2),
            vec!["one two".to_string(), "  three".into(), "  four".into()]
        );
        assert_eq!(wrap("", 10, 0), vec![String::new()]);
    }
}
