//! What a hunt found, as an ATT&CK Navigator layer (the JSON the MITRE ATT&CK Navigator opens): one entry per
//! ATT&CK technique some rule with findings is tagged with, scored by its findings, naming the rules and the
//! Stratus Red Team techniques that reproduce them. A responder lays it over the matrix to see at a glance
//! which stages of an attack the archive shows.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::rule::Rule;

/// The layer format written (Navigator 4.5+ reads it).
const LAYER_VERSION: &str = "4.5";
/// Where Stratus Red Team documents a technique; a rule reference under it names the technique.
const STRATUS_PAGES: &str = "stratus-red-team.cloud/attack-techniques/AWS/";

/// The ATT&CK technique ids of a rule's tags (`attack.t1562.008` → `T1562.008`), in tag order.
pub fn techniques(rule: &Rule) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in &rule.tags {
        let Some(t) = tag
            .trim()
            .to_ascii_lowercase()
            .strip_prefix("attack.t")
            .map(str::to_string)
        else {
            continue;
        };
        let (main, sub) = t.split_once('.').unwrap_or((t.as_str(), ""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(main) || !(sub.is_empty() || digits(sub)) {
            continue;
        }
        let id = if sub.is_empty() {
            format!("T{main}")
        } else {
            format!("T{main}.{sub}")
        };
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// The AWS Threat Technique Catalog techniques a rule is tagged with (`aws-ttc.t1562.a001` → `T1562.A001`):
/// the AWS-specific sub-techniques AWS's incident responders name, which ATT&CK lacks.
pub fn aws_ttc_techniques(rule: &Rule) -> Vec<String> {
    rule.tags
        .iter()
        .filter_map(|t| {
            t.trim()
                .to_ascii_lowercase()
                .strip_prefix("aws-ttc.")
                .map(str::to_ascii_uppercase)
        })
        .collect()
}

/// The Stratus Red Team techniques a rule's references name (`aws.defense-evasion.cloudtrail-stop`): the
/// detonations that should make it fire.
pub fn stratus_techniques(rule: &Rule) -> Vec<String> {
    rule.references
        .iter()
        .filter_map(|r| r.split_once(STRATUS_PAGES))
        .map(|(_, rest)| rest.trim_end_matches('/').to_string())
        .filter(|id| id.starts_with("aws.") && !id.contains('/'))
        .collect()
}

/// The layer of `fired`: each rule with its number of findings. Techniques are scored by the findings of the
/// rules tagged with them; rules without an ATT&CK technique tag are listed in the layer's description.
pub fn layer(name: &str, fired: &[(&Rule, u64)]) -> Value {
    let mut by_technique: BTreeMap<String, Vec<(&Rule, u64)>> = BTreeMap::new();
    let mut untagged = Vec::new();
    for &(rule, findings) in fired.iter().filter(|(_, n)| *n > 0) {
        let ids = techniques(rule);
        if ids.is_empty() {
            untagged.push(format!("{} ({findings})", rule.title));
        }
        for id in ids {
            by_technique.entry(id).or_default().push((rule, findings));
        }
    }
    let max = by_technique
        .values()
        .map(|rules| rules.iter().map(|(_, n)| n).sum::<u64>())
        .max()
        .unwrap_or(0);
    let techniques: Vec<Value> = by_technique
        .iter()
        .map(|(id, rules)| {
            let score: u64 = rules.iter().map(|(_, n)| n).sum();
            let mut metadata = Vec::new();
            for (rule, n) in rules {
                metadata.push(json!({"name": "rule", "value": format!("{} ({}): {n} finding{}", rule.title, rule.id, if *n == 1 { "" } else { "s" })}));
                for s in stratus_techniques(rule) {
                    metadata.push(json!({"name": "stratus", "value": s}));
                }
                for t in aws_ttc_techniques(rule) {
                    metadata.push(json!({"name": "aws-ttc", "value": t}));
                }
            }
            json!({
                "techniqueID": id,
                "score": score,
                "comment": rules.iter().map(|(r, _)| r.title.as_str()).collect::<Vec<_>>().join("; "),
                "enabled": true,
                "metadata": metadata,
                "showSubtechniques": true,
            })
        })
        .collect();
    let mut description = format!(
        "ctscan hunt: {} technique{} seen in findings; score = findings",
        techniques.len(),
        if techniques.len() == 1 { "" } else { "s" }
    );
    if !untagged.is_empty() {
        description.push_str(&format!(
            "; rules with findings but no ATT&CK technique tag: {}",
            untagged.join(", ")
        ));
    }
    json!({
        "name": name,
        "versions": {"layer": LAYER_VERSION, "navigator": "5.1.0"},
        "domain": "enterprise-attack",
        "description": description,
        "filters": {"platforms": ["IaaS", "SaaS", "Identity Provider", "Office Suite"]},
        "sorting": 3,
        "hideDisabled": false,
        "techniques": techniques,
        "gradient": {"colors": ["#fff3b0", "#ff6666"], "minValue": 0, "maxValue": max.max(1)},
        "legendItems": [],
        "metadata": [],
        "showTacticRowBackground": false,
        "selectTechniquesAcrossTactics": true,
        "selectSubtechniquesWithParent": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::rule::parse_text;

    fn rule(title: &str, tags: &str, references: &str) -> Rule {
        let yaml = format!(
            "title: {title}\nid: {title}\ntags: [{tags}]\nreferences: [{references}]\n\
logsource: {{product: aws, service: cloudtrail}}\ndetection:\n  s: {{eventName: X}}\n  condition: s\n"
        );
        parse_text(&yaml, "test").0.remove(0)
    }

    #[test]
    fn techniques_come_from_attack_tags_only() {
        let r = rule(
            "r",
            "attack.defense-evasion, attack.t1562.008, attack.T1078, attack.t1562.008, attack.g0016, cve.2021-1",
            "https://stratus-red-team.cloud/attack-techniques/AWS/aws.defense-evasion.cloudtrail-stop/, https://example.com/x",
        );
        assert_eq!(techniques(&r), ["T1562.008", "T1078"]);
        assert_eq!(stratus_techniques(&r), ["aws.defense-evasion.cloudtrail-stop"]);
        assert!(aws_ttc_techniques(&r).is_empty());
        let g = rule("g", "attack.t1562.001, aws-ttc.t1562.a001", "");
        assert_eq!(techniques(&g), ["T1562.001"]);
        assert_eq!(aws_ttc_techniques(&g), ["T1562.A001"]);
        let layer = layer("hunt", &[(&g, 1)]);
        let metadata = &layer["techniques"][0]["metadata"];
        assert_eq!(metadata[1], json!({"name": "aws-ttc", "value": "T1562.A001"}));
    }

    #[test]
    fn a_technique_is_scored_by_the_findings_of_every_rule_tagged_with_it() {
        let stop = rule("Stop", "attack.t1562.008", "");
        let delete = rule("Delete", "attack.t1562.008, attack.t1485", "");
        let bare = rule("Bare", "attack.impact", "");
        let silent = rule("Silent", "attack.t1098", "");
        let layer = layer("hunt", &[(&stop, 2), (&delete, 3), (&bare, 1), (&silent, 0)]);
        let t = layer["techniques"].as_array().unwrap();
        let ids: Vec<&str> = t.iter().map(|t| t["techniqueID"].as_str().unwrap()).collect();
        assert_eq!(ids, ["T1485", "T1562.008"]);
        assert_eq!(
            (t[0]["score"].as_u64(), t[1]["score"].as_u64()),
            (Some(3), Some(5))
        );
        assert_eq!(t[1]["comment"], "Stop; Delete");
        assert_eq!(layer["gradient"]["maxValue"], 5);
        assert_eq!(layer["versions"]["layer"], LAYER_VERSION);
        assert!(
            layer["description"]
                .as_str()
                .unwrap()
                .contains("no ATT&CK technique tag: Bare (1)")
        );
    }
}
