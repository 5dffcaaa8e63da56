//! Which rules can match an event, decided from its `eventName` alone. Most rules name the calls they look
//! at, so a hunt tests each row only against the few rules that name its call, and an archive's decoder
//! builds the costly columns only for rows some rule can match.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, BooleanArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result as DfResult, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::condition::Cond;
use super::detection::{Detection, ItemTest, Selection};
use super::pattern::{Matcher, StrOp};

/// What a detection requires of `eventName`: nothing, or a test every match passes.
#[derive(Debug, Clone)]
pub enum NameGate {
    /// Any name (or none) can match: the rule must see every row.
    Any,
    /// The name passes a Sigma item on `eventName` (alternatives per written value; `all`: every one).
    Test {
        /// One list of alternatives per written value.
        matchers: Vec<Vec<Matcher>>,
        /// Whether every written value must match.
        all: bool,
    },
    /// Every part holds.
    And(Vec<NameGate>),
    /// Some part holds.
    Or(Vec<NameGate>),
}

impl NameGate {
    /// Whether the gate says nothing (the rule must see every row).
    pub fn is_any(&self) -> bool {
        matches!(self, NameGate::Any)
    }

    /// Whether an event with this name may match. An event without a name may match anything.
    pub fn admits(&self, name: Option<&str>) -> bool {
        let Some(name) = name else { return true };
        match self {
            NameGate::Any => true,
            NameGate::Test { matchers, all } => {
                let one = |g: &Vec<Matcher>| g.iter().any(|m| m.matches_any(std::iter::once(name)));
                if *all {
                    matchers.iter().all(one)
                } else {
                    matchers.iter().any(one)
                }
            }
            NameGate::And(parts) => parts.iter().all(|p| p.admits(Some(name))),
            NameGate::Or(parts) => parts.iter().any(|p| p.admits(Some(name))),
        }
    }

    /// A gate admitting exactly this name (case-sensitive, as CloudTrail writes names).
    pub fn exactly(name: &str) -> NameGate {
        NameGate::Test {
            matchers: vec![vec![Matcher::text(StrOp::Equals, name, true)]],
            all: false,
        }
    }

    /// The names this gate admits exactly (lower-cased), as far as it lists them.
    pub fn exact_names(&self, out: &mut std::collections::BTreeSet<String>) {
        match self {
            NameGate::Any => {}
            NameGate::Test { matchers, .. } => {
                for m in matchers.iter().flatten() {
                    if let Matcher::Str {
                        op: StrOp::Equals,
                        needle,
                        ..
                    } = m
                    {
                        out.insert(needle.to_lowercase());
                    }
                }
            }
            NameGate::And(parts) | NameGate::Or(parts) => parts.iter().for_each(|p| p.exact_names(out)),
        }
    }

    /// The gate of a detection: what every event it matches must have as its name.
    pub fn of(d: &Detection) -> NameGate {
        cond_gate(&d.condition, d)
    }
}

fn and(parts: Vec<NameGate>) -> NameGate {
    let mut parts: Vec<NameGate> = parts.into_iter().filter(|p| !p.is_any()).collect();
    match parts.len() {
        0 => NameGate::Any,
        1 => parts.remove(0),
        _ => NameGate::And(parts),
    }
}

fn or(parts: Vec<NameGate>) -> NameGate {
    if parts.is_empty() || parts.iter().any(NameGate::is_any) {
        return NameGate::Any;
    }
    NameGate::Or(parts)
}

fn selection_gate(sel: &Selection) -> NameGate {
    let Selection::Groups(groups) = sel else {
        return NameGate::Any;
    };
    or(groups
        .iter()
        .map(|items| {
            and(items
                .iter()
                .filter(|i| i.field == "eventName")
                .map(|i| match &i.test {
                    // A presence test on the name constrains nothing useful.
                    ItemTest::Values { matchers, all, .. }
                        if !matchers.iter().flatten().any(Matcher::is_presence) =>
                    {
                        NameGate::Test {
                            matchers: matchers.clone(),
                            all: *all,
                        }
                    }
                    _ => NameGate::Any,
                })
                .collect())
        })
        .collect())
}

fn cond_gate(c: &Cond, d: &Detection) -> NameGate {
    match c {
        Cond::Sel(name) => d.selections.get(name).map_or(NameGate::Any, selection_gate),
        Cond::Not(_) => NameGate::Any,
        Cond::And(parts) => and(parts.iter().map(|p| cond_gate(p, d)).collect()),
        Cond::Or(parts) => or(parts.iter().map(|p| cond_gate(p, d)).collect()),
        Cond::AtLeast(0, _) => NameGate::Any,
        Cond::AtLeast(_, parts) => or(parts.iter().map(|p| cond_gate(p, d)).collect()),
    }
}

/// The gates of a rule set, with the answer for each name seen so far remembered (an archive holds a few
/// hundred distinct names among millions of rows).
#[derive(Debug, Clone)]
pub struct NameIndex {
    gates: Arc<Vec<NameGate>>,
    cache: HashMap<String, Arc<[u32]>>,
    unnamed: Arc<[u32]>,
}

impl NameIndex {
    /// An index over these gates; rules whose gate is [`NameGate::Any`] are never listed (they see every row).
    pub fn new(gates: Arc<Vec<NameGate>>) -> NameIndex {
        let unnamed = (0..gates.len() as u32)
            .filter(|&i| !gates[i as usize].is_any())
            .collect();
        NameIndex {
            gates,
            cache: HashMap::new(),
            unnamed,
        }
    }

    /// The gated rules that may match an event with this name.
    pub fn rules(&mut self, name: Option<&str>) -> Arc<[u32]> {
        let Some(name) = name else {
            return self.unnamed.clone();
        };
        if let Some(hit) = self.cache.get(name) {
            return hit.clone();
        }
        let list: Arc<[u32]> = (0..self.gates.len() as u32)
            .filter(|&i| {
                let g = &self.gates[i as usize];
                !g.is_any() && g.admits(Some(name))
            })
            .collect();
        self.cache.insert(name.to_string(), list.clone());
        list
    }

    /// Whether some gated rule may match an event with this name: the rows whose every column is needed.
    pub fn wanted(&mut self, name: Option<&str>) -> bool {
        !self.rules(name).is_empty()
    }
}

impl crate::decode::gate::WantedNames for NameIndex {
    fn wanted(&mut self, name: Option<&str>) -> bool {
        NameIndex::wanted(self, name)
    }

    fn clone_box(&self) -> Box<dyn crate::decode::gate::WantedNames> {
        Box::new(self.clone())
    }

    fn recipe(&self) -> Option<crate::decode::gate::NamesRecipe> {
        let udf = ScalarUDF::new_from_impl(NamedByRules::new(NameIndex::new(self.gates.clone())));
        let parameters = super::wire::encode_udf(&udf).ok().flatten()?;
        Some(crate::decode::gate::NamesRecipe::Function {
            name: udf.name().to_string(),
            parameters,
        })
    }
}

/// `ctscan_named_by_rules(eventName)`: whether some gated rule may match an event with this name. A lake
/// read filters on it (with the rules that look at every event), so the Parquet reader decodes the other
/// columns only for rows a rule can match.
#[derive(Debug)]
pub struct NamedByRules {
    index: Mutex<NameIndex>,
    signature: Signature,
}

impl NamedByRules {
    /// The gates behind the function.
    pub fn gates(&self) -> Arc<Vec<NameGate>> {
        self.index.lock().unwrap_or_else(|e| e.into_inner()).gates.clone()
    }

    /// The index the function answers from, for a reader that gates rows with it.
    pub fn index(&self) -> NameIndex {
        let index = self.index.lock().unwrap_or_else(|e| e.into_inner());
        NameIndex::new(index.gates.clone())
    }

    /// The function over these gates.
    pub fn new(index: NameIndex) -> NamedByRules {
        NamedByRules {
            index: Mutex::new(index),
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl PartialEq for NamedByRules {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}
impl Eq for NamedByRules {}
impl Hash for NamedByRules {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self as *const Self as usize).hash(state);
    }
}

impl ScalarUDFImpl for NamedByRules {
    fn name(&self) -> &str {
        "ctscan_named_by_rules"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let n = args.number_rows;
        let array = match &args.args[..] {
            [a] => a.to_array(n)?,
            _ => return exec_err!("ctscan_named_by_rules takes one argument"),
        };
        let names = cast(&array, &DataType::Utf8)?;
        let Some(names) = names.as_any().downcast_ref::<StringArray>() else {
            return exec_err!("ctscan_named_by_rules needs strings");
        };
        let mut index = self.index.lock().unwrap_or_else(|e| e.into_inner());
        let out: BooleanArray = (0..n)
            .map(|i| Some(index.wanted(names.is_valid(i).then(|| names.value(i)))))
            .collect();
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(yaml: &str) -> NameGate {
        let d = Detection::parse(&serde_norway::from_str(yaml).unwrap()).unwrap();
        NameGate::of(&d)
    }

    #[test]
    fn names_and_their_combinations() {
        let g = gate("sel:\n  eventName: [StopLogging, DeleteTrail]\ncondition: sel");
        assert!(g.admits(Some("stoplogging")) && g.admits(Some("DeleteTrail")));
        assert!(!g.admits(Some("StartLogging")));
        assert!(g.admits(None));
        let p = gate("sel:\n  eventName|startswith: UpdateFunctionCode\ncondition: sel");
        assert!(p.admits(Some("UpdateFunctionCode20150331v2")) && !p.admits(Some("Invoke")));
        let and = gate(
            "a:\n  eventName: PutBucketPolicy\nb:\n  requestParameters.bucketName: x\ncondition: a and not b",
        );
        assert!(and.admits(Some("PutBucketPolicy")) && !and.admits(Some("GetObject")));
        let or_any = gate("a:\n  eventName: X\nb:\n  userAgent|contains: kali\ncondition: a or b");
        assert!(or_any.is_any());
        let negated = gate("a:\n  eventName: X\ncondition: not a");
        assert!(negated.is_any());
        let groups = gate("a:\n  - eventName: X\n  - eventName: Y\n    errorCode: Z\ncondition: a");
        assert!(groups.admits(Some("Y")) && !groups.admits(Some("Z")));
        let open_group = gate("a:\n  - eventName: X\n  - errorCode: Z\ncondition: a");
        assert!(open_group.is_any());
        let exists = gate("a:\n  eventName|exists: true\ncondition: a");
        assert!(exists.is_any());
    }

    #[test]
    fn the_index_lists_only_gated_rules() {
        let gates = Arc::new(vec![
            gate("a:\n  eventName: X\ncondition: a"),
            gate("a:\n  userAgent: kali\ncondition: a"),
            gate("a:\n  eventName: [X, Y]\ncondition: a"),
        ]);
        let mut idx = NameIndex::new(gates);
        assert_eq!(&*idx.rules(Some("x")), &[0, 2]);
        assert_eq!(&*idx.rules(Some("Y")), &[2]);
        assert!(!idx.wanted(Some("Z")));
        assert_eq!(&*idx.rules(None), &[0, 2]);
    }

    #[test]
    fn few_built_in_rules_look_at_every_event() {
        let (rules, _) = crate::sigma::builtin::load();
        let every: Vec<String> = rules
            .iter()
            .filter_map(|r| match &r.kind {
                crate::sigma::RuleKind::Detection(d) if NameGate::of(d).is_any() => {
                    Some(r.name.clone().unwrap_or_else(|| r.id.clone()))
                }
                _ => None,
            })
            .collect();
        // Each of these is evaluated on every row: keep the list short and deliberate.
        assert_eq!(
            every,
            [
                "access_denied",
                "instance_role_call",
                "instance_credentials_workstation_agent",
                "offensive_user_agent",
                "root_api_activity",
            ],
            "{every:?}"
        );
    }
}
