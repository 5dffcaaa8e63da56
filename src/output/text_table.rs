//! Tables of text cells for people, fitted to a width (see [`TextTable`]).

use super::fit::{clip, one_line, text_width, wrap};

/// How readily a column gives up width when its table must fit a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shrink {
    /// Free text (user agents, ARNs, titles, lists of names): cut first.
    First,
    /// Names a row stands for and short lists: cut once the free text is narrow.
    Later,
    /// Times, counts, ids, addresses: cut only when nothing else is left to cut.
    Last,
}

/// Width a column keeps while its table is not cramped.
const ROOMY: usize = 10;
/// Width a column keeps in a cramped table: two characters and the ellipsis.
const NARROW: usize = 3;

/// A table of text cells for people. Without a width every value is shown in full. With one, the table
/// fits it: columns give up width in the order of their [`Shrink`], the widest first (so long free text
/// such as user agents and ARNs is cut before times and ids), cut values end with `…`, and every row
/// stays on one line. A table is cramped when some column gets less than the width it wants (10
/// characters unless [`TextTable::want`] says otherwise) or a [`Shrink::Last`] column is cut: then the
/// columns with one value in every row may be said once above it ([`TextTable::hoist_constant`]), and
/// the columns named [`TextTable::droppable`] are left out one by one (those with no value first), with a
/// line under the table naming them. A table too wide to fit even with narrow columns (and, when asked, one
/// that stays cramped) is shown as records instead: one `column │ value` line per column, like psql's
/// expanded display.
#[derive(Debug, Clone)]
pub struct TextTable {
    header: Vec<String>,
    shrink: Vec<Shrink>,
    want: Vec<usize>,
    /// Columns that may be left out to fit, in the order they go.
    droppable: Vec<usize>,
    rows: Vec<Vec<String>>,
    preset: &'static str,
    records_when_cramped: bool,
    hoist_constant: bool,
}

/// What a width allows a table.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
    /// A table with these column widths, `cramped` or not.
    Table { widths: Vec<usize>, cramped: bool },
    /// Not even narrow columns fit.
    Records,
}

/// Lowers the widths of the columns of one class, the widest first, until the table fits `budget` or
/// each is down to its floor (or its natural width, when less). Returns whether it fits.
fn water_fill(widths: &mut [usize], class: &[bool], floor: &[usize], budget: usize) -> bool {
    let total = |w: &[usize]| w.iter().sum::<usize>();
    if total(widths) <= budget {
        return true;
    }
    let capped = |cap: usize| -> Vec<usize> {
        widths
            .iter()
            .zip(class)
            .zip(floor)
            .map(|((w, c), f)| if *c { (*w).min(cap).max((*f).min(*w)) } else { *w })
            .collect()
    };
    let lowest = capped(0);
    if total(&lowest) > budget {
        widths.copy_from_slice(&lowest);
        return false;
    }
    // The largest cap that fits, then the columns at the cap share what is left, left to right.
    let (mut lo, mut hi) = (0, widths.iter().copied().max().unwrap_or(0));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if total(&capped(mid)) <= budget {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut best = capped(lo);
    let mut left = budget - total(&best);
    for i in 0..best.len() {
        if left == 0 {
            break;
        }
        if class[i] && best[i] < widths[i] {
            best[i] += 1;
            left -= 1;
        }
    }
    widths.copy_from_slice(&best);
    true
}

/// The column widths that fit `budget` characters of content (see [`TextTable`]).
fn plan(natural: &[usize], shrink: &[Shrink], want: &[usize], budget: usize) -> Plan {
    let mut widths = natural.to_vec();
    let of = |s: Shrink| shrink.iter().map(|x| *x == s).collect::<Vec<_>>();
    let (first, later, last) = (of(Shrink::First), of(Shrink::Later), of(Shrink::Last));
    let narrow = vec![NARROW; natural.len()];
    for class in [&first, &later] {
        if water_fill(&mut widths, class, want, budget) {
            return Plan::Table {
                widths,
                cramped: false,
            };
        }
    }
    let passes = [
        (&first, &narrow),
        (&later, &narrow),
        (&last, &want.to_vec()),
        (&last, &narrow),
    ];
    for (class, floor) in passes {
        if water_fill(&mut widths, class, floor, budget) {
            return Plan::Table {
                widths,
                cramped: true,
            };
        }
    }
    Plan::Records
}

/// Whether a column holds no value in any row (blank or `-`).
fn no_value(rows: &[Vec<String>], column: usize) -> bool {
    rows.iter()
        .all(|r| matches!(r.get(column).map(|c| c.trim()), None | Some("" | "-")))
}

impl TextTable {
    /// A table with these columns, drawn like hunt's and summary's tables.
    pub fn new<S: Into<String>>(columns: impl IntoIterator<Item = (S, Shrink)>) -> TextTable {
        let (header, shrink): (Vec<String>, Vec<Shrink>) =
            columns.into_iter().map(|(h, s)| (h.into(), s)).unzip();
        TextTable {
            want: vec![ROOMY; header.len()],
            header,
            shrink,
            droppable: Vec::new(),
            rows: Vec::new(),
            preset: comfy_table::presets::UTF8_FULL_CONDENSED,
            records_when_cramped: false,
            hoist_constant: false,
        }
    }

    /// Drawn with another comfy-table preset.
    pub fn preset(mut self, preset: &'static str) -> TextTable {
        self.preset = preset;
        self
    }

    /// The width below which `column` makes the table cramped (10 by default).
    pub fn want(mut self, column: &str, width: usize) -> TextTable {
        if let Some(i) = self.header.iter().position(|h| h == column) {
            self.want[i] = width;
        }
        self
    }

    /// Columns that may be left out of a cramped table, in the order they go.
    pub fn droppable(mut self, columns: &[&str]) -> TextTable {
        self.droppable = columns
            .iter()
            .filter_map(|c| self.header.iter().position(|h| h == c))
            .collect();
        self
    }

    /// When cramped, columns with the same value in every row are said once above the table instead of
    /// on every row (for long tables of one subject, such as a credential's timeline).
    pub fn hoist_constant(mut self) -> TextTable {
        self.hoist_constant = true;
        self
    }

    /// Shown as records when the table would be cramped (for tables of few rows, where records read
    /// better than columns a few characters wide).
    pub fn records_when_cramped(mut self) -> TextTable {
        self.records_when_cramped = true;
        self
    }

    /// Adds a row (missing cells are blank, extra ones dropped).
    pub fn add_row(&mut self, mut cells: Vec<String>) {
        cells.resize(self.header.len(), String::new());
        self.rows.push(cells);
    }

    /// The table for `width` characters a line, or with every value in full (`None`); no trailing line
    /// break.
    pub fn render(&self, width: Option<usize>) -> String {
        let Some(width) = width else {
            return self.comfy(&self.header, &self.rows).to_string();
        };
        let header: Vec<String> = self.header.iter().map(|h| one_line(h)).collect();
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(|c| one_line(c)).collect())
            .collect();
        let mut natural: Vec<usize> = header.iter().map(|h| text_width(h)).collect();
        for r in &rows {
            for (n, c) in natural.iter_mut().zip(r) {
                *n = (*n).max(text_width(c));
            }
        }
        let mut shown: Vec<usize> = (0..header.len()).collect();
        let mut hidden: Vec<&str> = Vec::new();
        // Columns with one value in every row, said once above the table when it is cramped.
        let mut hoisted: Vec<String> = Vec::new();
        let mut hoist = self.hoist_constant && rows.len() > 1;
        let plan = loop {
            let pick = |v: &[usize]| shown.iter().map(|i| v[*i]).collect::<Vec<_>>();
            let shrink: Vec<Shrink> = shown.iter().map(|i| self.shrink[*i]).collect();
            let budget = width.saturating_sub(3 * shown.len() + 1);
            let plan = plan(&pick(&natural), &shrink, &pick(&self.want), budget);
            if matches!(plan, Plan::Table { cramped: false, .. }) {
                break plan;
            }
            if std::mem::take(&mut hoist) {
                let constant: Vec<usize> = shown
                    .iter()
                    .copied()
                    .filter(|i| rows.iter().all(|r| r[*i] == rows[0][*i]))
                    .collect();
                if !constant.is_empty() && constant.len() < shown.len() {
                    for i in &constant {
                        let v = rows[0][*i].trim();
                        hoisted.push(format!("{} {}", header[*i], if v.is_empty() { "-" } else { v }));
                    }
                    shown.retain(|i| !constant.contains(i));
                    continue;
                }
            }
            let left: Vec<usize> = self
                .droppable
                .iter()
                .copied()
                .filter(|i| shown.contains(i))
                .collect();
            let Some(next) = left
                .iter()
                .copied()
                .find(|i| no_value(&rows, *i))
                .or(left.first().copied())
            else {
                break plan;
            };
            shown.retain(|i| *i != next);
            if !no_value(&rows, next) {
                hidden.push(&self.header[next]);
            }
        };
        match plan {
            Plan::Table { widths, cramped } if !(cramped && self.records_when_cramped) || rows.is_empty() => {
                let cut = |cells: &[String]| -> Vec<String> {
                    shown
                        .iter()
                        .zip(&widths)
                        .map(|(i, w)| clip(&cells[*i], *w))
                        .collect()
                };
                let mut text = String::new();
                if !hoisted.is_empty() {
                    let note = format!("(in every row: {})", hoisted.join("; "));
                    for l in wrap(&note, width, 1) {
                        text.push_str(&l);
                        text.push('\n');
                    }
                }
                text.push_str(
                    &self
                        .comfy(&cut(&header), &rows.iter().map(|r| cut(r)).collect::<Vec<_>>())
                        .to_string(),
                );
                if !hidden.is_empty() {
                    let note = format!(
                        "(not shown at this width: {}; --wide shows every column)",
                        hidden.join(", ")
                    );
                    for l in wrap(&note, width, 1) {
                        text.push('\n');
                        text.push_str(&l);
                    }
                }
                text
            }
            _ => self.records(&header, &rows, width),
        }
    }

    fn comfy(&self, header: &[String], rows: &[Vec<String>]) -> comfy_table::Table {
        let mut t = comfy_table::Table::new();
        t.load_preset(self.preset)
            .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
            .set_header(header.to_vec());
        for r in rows {
            t.add_row(r.clone());
        }
        t
    }

    /// One block per row: a `─[ row N ]` line, then `column │ value` for each column, cut to `width`.
    fn records(&self, header: &[String], rows: &[Vec<String>], width: usize) -> String {
        let ascii = self.preset.is_ascii();
        let (bar, rule) = if ascii { ('|', '-') } else { ('│', '─') };
        let label = header
            .iter()
            .map(|h| text_width(h))
            .max()
            .unwrap_or(0)
            .min(width / 3)
            .max(1);
        let room = width.saturating_sub(label + 3).max(1);
        let blocks: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                header
                    .iter()
                    .zip(r)
                    .map(|(h, c)| {
                        let h = clip(h, label);
                        let pad = label - text_width(&h);
                        let line = format!("{h}{} {bar} {}", " ".repeat(pad), clip(c, room));
                        line.trim_end().to_string()
                    })
                    .collect()
            })
            .collect();
        let longest = blocks
            .iter()
            .flatten()
            .map(|l| text_width(l))
            .max()
            .unwrap_or(0)
            .min(width);
        let mut out = Vec::new();
        for (i, block) in blocks.into_iter().enumerate() {
            let title = format!("{rule}[ row {} ]", i + 1);
            let fill = longest.saturating_sub(text_width(&title));
            out.push(format!("{title}{}", rule.to_string().repeat(fill)));
            out.extend(block);
        }
        if out.is_empty() {
            out.push("(no rows)".into());
        }
        out.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_gives_up_width_before_times() {
        let natural = [20, 60, 40, 12];
        let shrink = [Shrink::Last, Shrink::First, Shrink::First, Shrink::Last];
        // 70 characters of content: the two text columns share what the time and the id leave.
        let want = [10; 4];
        match plan(&natural, &shrink, &want, 70) {
            Plan::Table { widths, cramped } => {
                assert_eq!(widths, vec![20, 19, 19, 12]);
                assert!(!cramped);
            }
            p => panic!("{p:?}"),
        }
        // With room for the widest only the widest is cut.
        match plan(&natural, &shrink, &want, 122) {
            Plan::Table { widths, .. } => assert_eq!(widths, vec![20, 50, 40, 12]),
            p => panic!("{p:?}"),
        }
        assert_eq!(plan(&natural, &shrink, &want, 5), Plan::Records);
    }

    #[test]
    fn a_cramped_table_says_once_what_every_row_holds() {
        let mut t = TextTable::new([
            ("time", Shrink::Last),
            ("key", Shrink::Later),
            ("event", Shrink::Later),
        ])
        .hoist_constant();
        for i in 0..3 {
            t.add_row(vec![
                format!("2026-03-0{i}T10:00:00Z"),
                "AKIAMALLORYEXAMPLE01".into(),
                format!("secretsmanager:GetSecretValue{i}"),
            ]);
        }
        let text = t.render(Some(40));
        assert!(text.lines().all(|l| l.chars().count() <= 40), "{text}");
        assert!(
            text.starts_with("(in every row: key AKIAMALLORYEXAMPLE01)"),
            "{text}"
        );
        assert_eq!(text.matches("AKIAMALLORYEXAMPLE01").count(), 1, "{text}");
        // With room for every column nothing moves.
        assert_eq!(t.render(Some(200)), {
            let mut w = t.clone();
            w.hoist_constant = false;
            w.render(Some(200))
        });
    }

    #[test]
    fn a_cramped_table_leaves_out_its_droppable_columns_and_says_so() {
        let mut t = TextTable::new([
            ("time", Shrink::Last),
            ("event", Shrink::First),
            ("actor", Shrink::First),
            ("error", Shrink::First),
        ])
        .want("event", 20)
        .want("actor", 20)
        .droppable(&["actor", "error"]);
        t.add_row(vec![
            "2026-03-01T18:00:00Z".into(),
            "AttachUserPolicy (1)".into(),
            "IAMUser arn:aws:iam::111122223333:user/mallory".into(),
            "-".into(),
        ]);
        let text = t.render(Some(50));
        assert!(text.lines().all(|l| l.chars().count() <= 50), "{text}");
        assert!(text.contains("AttachUserPolicy (1)"), "{text}");
        assert!(!text.contains("IAMUser"), "{text}");
        // The error column had no value: it goes without a word.
        assert!(text.contains("not shown at this width: actor;"), "{text}");
        let full = t.render(None);
        assert!(
            full.contains("IAMUser arn:aws:iam::111122223333:user/mallory"),
            "{full}"
        );
    }

    #[test]
    fn a_fitted_table_has_no_line_longer_than_the_width() {
        let mut t = TextTable::new([
            ("time", Shrink::Last),
            ("userAgent", Shrink::First),
            ("arn", Shrink::Later),
        ]);
        for i in 0..3 {
            t.add_row(vec![
                format!("2026-03-0{i}T10:00:00Z"),
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)\nnext".into(),
                "arn:aws:iam::111122223333:role/some-rather-long-role-name".into(),
            ]);
        }
        let text = t.render(Some(80));
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        assert_eq!(text.lines().count(), 3 + 3 + 1, "{text}");
        assert!(text.contains("2026-03-01T10:00:00Z"), "{text}");
        // The user agent (free text) gives up width before the ARN does.
        assert!(text.contains("Mozilla/5…"), "{text}");
        assert!(text.contains("arn:aws:iam::111122223333:role/"), "{text}");
        assert!(text.contains('…'), "{text}");
        let full = t.render(None);
        assert!(full.contains("some-rather-long-role-name"), "{full}");
        // Too narrow for columns: records.
        let narrow = t.render(Some(14));
        assert!(narrow.lines().all(|l| l.chars().count() <= 14), "{narrow}");
        assert!(narrow.contains("[ row 1 ]"), "{narrow}");
    }
}
