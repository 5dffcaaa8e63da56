//! Rule files: YAML documents holding Sigma detection rules and correlation rules, with their metadata.
//! Loading never stops at a bad rule: each failure is returned with its file and reason.

use std::fmt;
use std::path::Path;

use serde_norway::Value as Yaml;

use super::correlation::{CorrType, Correlation};
use super::detection::Detection;
use super::error::{SigmaError, invalid};

/// Severity of a rule, in Sigma's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Level {
    /// Context, not an alert.
    Informational,
    /// Worth a look.
    Low,
    /// Suspicious.
    Medium,
    /// Likely malicious.
    High,
    /// Act now.
    Critical,
}

impl Level {
    /// Parses a Sigma level name.
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.to_ascii_lowercase().as_str() {
            "informational" | "info" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }

    /// The Sigma name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule evaluates.
#[derive(Debug, Clone)]
pub enum RuleKind {
    /// Conditions on single events.
    Detection(Detection),
    /// Counts or sequences over the events other rules matched.
    Correlation(Correlation),
}

/// A loaded rule with its metadata.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `id` (a UUID in SigmaHQ rules; the file and title when absent).
    pub id: String,
    /// `name`, by which correlation rules may refer to it.
    pub name: Option<String>,
    /// `title`.
    pub title: String,
    /// `status`.
    pub status: Option<String>,
    /// `level` (medium when absent).
    pub level: Level,
    /// `description`.
    pub description: Option<String>,
    /// `author` (kept in every finding, as the Sigma rule licence asks).
    pub author: Option<String>,
    /// `date`.
    pub date: Option<String>,
    /// `tags` (`attack.t1562.008`, ...).
    pub tags: Vec<String>,
    /// `falsepositives`.
    pub falsepositives: Vec<String>,
    /// `references`.
    pub references: Vec<String>,
    /// The file the rule came from (`builtin:rules/x.yml` for the embedded pack).
    pub source: String,
    /// The detection or correlation.
    pub kind: RuleKind,
    /// Whether the rule's own matches are findings (false for base rules used only by a correlation that
    /// does not ask them to generate).
    pub generate: bool,
}

/// A rule file (or document) that could not be loaded.
#[derive(Debug, Clone)]
pub struct LoadFailure {
    /// The file, with `#n` for the n-th document of a multi-document file.
    pub file: String,
    /// Why.
    pub reason: String,
}

fn text(doc: &Yaml, key: &str) -> Option<String> {
    match doc.get(key)? {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        Yaml::Tagged(t) => match &t.value {
            Yaml::String(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn list(doc: &Yaml, key: &str) -> Vec<String> {
    match doc.get(key) {
        Some(Yaml::Sequence(seq)) => seq
            .iter()
            .filter_map(|v| match v {
                Yaml::String(s) => Some(s.clone()),
                Yaml::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Yaml::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn check_logsource(doc: &Yaml) -> Result<(), SigmaError> {
    let Some(ls) = doc.get("logsource") else {
        return Err(invalid("no logsource"));
    };
    let product = ls.get("product").and_then(Yaml::as_str).unwrap_or_default();
    let service = ls.get("service").and_then(Yaml::as_str).unwrap_or_default();
    if !product.eq_ignore_ascii_case("aws")
        || !(service.is_empty() || service.eq_ignore_ascii_case("cloudtrail"))
    {
        return Err(SigmaError::Unsupported(format!(
            "logsource product {product:?} service {service:?}: this engine reads AWS CloudTrail (product: aws, service: cloudtrail)"
        )));
    }
    Ok(())
}

/// Parses a time span (`30s`, `5m`, `1h`, `2d`) into milliseconds.
pub fn parse_timespan(s: &str) -> Result<i64, SigmaError> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num.parse().map_err(|_| invalid(format!("bad timespan {s:?}")))?;
    let mult = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        "M" => 30 * 86_400_000,
        "y" => 365 * 86_400_000,
        _ => return Err(invalid(format!("bad timespan unit in {s:?}"))),
    };
    Ok(n * mult)
}

fn metadata(doc: &Yaml, source: &str, kind: RuleKind) -> Result<Rule, SigmaError> {
    let title = text(doc, "title").ok_or_else(|| invalid("no title"))?;
    let level = match text(doc, "level") {
        Some(l) => Level::parse(&l).ok_or_else(|| invalid(format!("unknown level {l:?}")))?,
        None => Level::Medium,
    };
    Ok(Rule {
        id: text(doc, "id").unwrap_or_else(|| format!("{source}:{title}")),
        name: text(doc, "name"),
        title,
        status: text(doc, "status"),
        level,
        description: text(doc, "description"),
        author: text(doc, "author"),
        date: text(doc, "date"),
        tags: list(doc, "tags"),
        falsepositives: list(doc, "falsepositives"),
        references: list(doc, "references"),
        source: source.to_string(),
        kind,
        generate: true,
    })
}

/// Parses one YAML document into rules (two when a Sigma 1 aggregation becomes a base rule plus a
/// correlation).
pub fn parse_document(doc: &Yaml, source: &str) -> Result<Vec<Rule>, SigmaError> {
    if !doc.is_mapping() {
        return Err(invalid("a rule is a YAML mapping"));
    }
    if let Some(action) = text(doc, "action") {
        return Err(SigmaError::Unsupported(format!(
            "rule collections (action: {action})"
        )));
    }
    if let Some(c) = doc.get("correlation") {
        let corr = Correlation::parse(c)?;
        return Ok(vec![metadata(doc, source, RuleKind::Correlation(corr))?]);
    }
    check_logsource(doc)?;
    let detection = Detection::parse(doc.get("detection").ok_or_else(|| invalid("no detection"))?)?;
    let Some(agg) = detection.aggregation.clone() else {
        return Ok(vec![metadata(doc, source, RuleKind::Detection(detection))?]);
    };
    // Sigma 1: `selection | count() by x > n` with `timeframe`. The detection becomes a hidden base rule and
    // the rule itself an event_count (or value_count) correlation over it.
    let timeframe = text(doc, "timeframe")
        .or_else(|| doc.get("detection").and_then(|d| text(d, "timeframe")))
        .map(|t| parse_timespan(&t))
        .transpose()?;
    let mut base = metadata(doc, source, RuleKind::Detection(detection))?;
    base.id = format!("{}/base", base.id);
    base.name = None;
    base.generate = false;
    let corr = Correlation {
        kind: if agg.field.is_some() {
            CorrType::ValueCount
        } else {
            CorrType::EventCount
        },
        rules: vec![base.id.clone()],
        group_by: agg.group_by.clone(),
        timespan_ms: timeframe,
        condition: vec![(agg.op, agg.threshold)],
        field: agg.field.clone(),
        aliases: Default::default(),
        generate: false,
        baseline_ms: 0,
        activity: Default::default(),
        rarity: Default::default(),
    };
    let rule = metadata(doc, source, RuleKind::Correlation(corr))?;
    Ok(vec![base, rule])
}

/// Parses every document of a rule file's text.
pub fn parse_text(text: &str, source: &str) -> (Vec<Rule>, Vec<LoadFailure>) {
    let mut rules = Vec::new();
    let mut failures = Vec::new();
    let mut docs: Vec<Result<Yaml, String>> = Vec::new();
    for d in serde_norway::Deserializer::from_str(text) {
        let doc = serde::Deserialize::deserialize(d).map_err(|e: serde_norway::Error| e.to_string());
        let failed = doc.is_err();
        docs.push(doc);
        if failed {
            // After a syntax error the document stream cannot be resynchronised.
            break;
        }
    }
    let many = docs.len() > 1;
    for (i, doc) in docs.into_iter().enumerate() {
        let file = if many {
            format!("{source}#{}", i + 1)
        } else {
            source.to_string()
        };
        match doc.map_err(SigmaError::Yaml).and_then(|d| {
            if d.is_null() {
                Ok(Vec::new())
            } else {
                parse_document(&d, source)
            }
        }) {
            Ok(r) => rules.extend(r),
            Err(e) => failures.push(LoadFailure {
                file,
                reason: e.to_string(),
            }),
        }
    }
    (rules, failures)
}

/// Loads a rule file, or every `.yml`/`.yaml` file under a directory.
pub fn load_path(path: &Path) -> (Vec<Rule>, Vec<LoadFailure>) {
    let mut rules = Vec::new();
    let mut failures = Vec::new();
    let files: Vec<std::path::PathBuf> = if path.is_dir() {
        let mut v: Vec<_> = walkdir::WalkDir::new(path)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")))
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    for f in files {
        let source = f.display().to_string();
        match std::fs::read_to_string(&f) {
            Ok(t) => {
                let (r, e) = parse_text(&t, &source);
                rules.extend(r);
                failures.extend(e);
            }
            Err(e) => failures.push(LoadFailure {
                file: source,
                reason: e.to_string(),
            }),
        }
    }
    (rules, failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_failures() {
        let text = "title: Stop\nid: r1\nlevel: high\ntags: [attack.t1562]\nlogsource: {product: aws, service: cloudtrail}\n\
detection:\n  sel:\n    eventName: StopLogging\n  condition: sel\n---\ntitle: Bad\nlogsource: {product: windows}\ndetection: {sel: {a: b}, condition: sel}\n";
        let (rules, failures) = parse_text(text, "x.yml");
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].level, Level::High);
        assert_eq!(rules[0].tags, vec!["attack.t1562"]);
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].file, "x.yml#2");
        assert!(failures[0].reason.contains("logsource"), "{}", failures[0].reason);
        let (_, f) = parse_text("title: [unclosed", "y.yml");
        assert!(f[0].reason.contains("YAML"));
    }

    #[test]
    fn sigma1_aggregation_becomes_a_correlation() {
        let text = "title: Many\nid: agg\nlogsource: {product: aws, service: cloudtrail}\ntimeframe: 5m\n\
detection:\n  sel:\n    eventName: GetSecretValue\n  condition: sel | count() by userIdentity.arn > 20\n";
        let (rules, failures) = parse_text(text, "a.yml");
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(rules.len(), 2);
        assert!(!rules[0].generate);
        let RuleKind::Correlation(c) = &rules[1].kind else {
            panic!()
        };
        assert_eq!(c.timespan_ms, Some(300_000));
        assert_eq!(c.rules, vec!["agg/base"]);
    }

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("30s").unwrap(), 30_000);
        assert_eq!(parse_timespan("2h").unwrap(), 7_200_000);
        assert!(parse_timespan("5x").is_err());
    }
}
