//! A row gate for hunts: the costly columns of a row are built only when someone downstream can use the
//! row, as told by its `eventName`; the columns every row needs are always built. A gated row's other
//! columns are NULL. The decoder owns the question ([`WantedNames`]); rule engines and the credential-chain
//! build answer it, so decoding knows nothing about what asks.

use std::collections::HashSet;
use std::fmt::Debug;
use std::sync::Arc;

use super::members::Members;
use crate::schema::{COLUMN_COUNT, RECORD, events_schema};

/// Which event names a reader wants whole. Called once per row, so implementations remember answers.
pub trait WantedNames: Debug + Send + Sync {
    /// Whether a row with this `eventName` (or none) gets every column.
    fn wanted(&mut self, name: Option<&str>) -> bool;
    /// A fresh copy for another decoding thread.
    fn clone_box(&self) -> Box<dyn WantedNames>;
    /// The names in a form another machine can rebuild them from (a cluster's executors decode with the
    /// client's gate); `None` when they cannot travel.
    fn recipe(&self) -> Option<NamesRecipe> {
        None
    }
}

/// Which names a gate wants, as it travels inside a plan: listed, or a function of whoever asks (a rule
/// pack's name gates) carried as that function's own encoding and rebuilt by the same asker there.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum NamesRecipe {
    /// Exactly these names ([`NameSet`]).
    Exactly(Vec<String>),
    /// The names some function wants: its name and its encoded parameters.
    Function {
        /// The function's name, which tells who rebuilds it.
        name: String,
        /// Its parameters, as its owner encodes them.
        parameters: Vec<u8>,
    },
    /// The names any of these wants ([`AnyOf`]).
    AnyOf(Vec<NamesRecipe>),
}

/// Rebuilds the names of a [`NamesRecipe::Function`] from its name and parameters (`None`: unknown).
pub type RebuildNames = dyn Fn(&str, &[u8]) -> Option<Box<dyn WantedNames>>;

/// A [`RowGate`] as it travels inside a plan.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GateRecipe {
    names: NamesRecipe,
    always: Vec<bool>,
    members: Vec<Option<Members>>,
}

/// Exactly these names (case-sensitive, as CloudTrail writes them), e.g. the events that issue credentials.
/// A row without a name cannot be ruled out, so it is wanted.
#[derive(Debug, Clone)]
pub struct NameSet(Arc<HashSet<String>>);

impl NameSet {
    /// The set of `names`.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> NameSet {
        NameSet(Arc::new(names.into_iter().map(str::to_string).collect()))
    }
}

impl WantedNames for NameSet {
    fn wanted(&mut self, name: Option<&str>) -> bool {
        name.is_none_or(|n| self.0.contains(n))
    }

    fn clone_box(&self) -> Box<dyn WantedNames> {
        Box::new(self.clone())
    }

    fn recipe(&self) -> Option<NamesRecipe> {
        let mut names: Vec<String> = self.0.iter().cloned().collect();
        names.sort_unstable();
        Some(NamesRecipe::Exactly(names))
    }
}

/// The rows any of several sets wants: a hunt's rules, and the issuing events its credential chains read.
#[derive(Debug)]
pub struct AnyOf(pub Vec<Box<dyn WantedNames>>);

impl WantedNames for AnyOf {
    fn wanted(&mut self, name: Option<&str>) -> bool {
        self.0.iter_mut().any(|w| w.wanted(name))
    }

    fn clone_box(&self) -> Box<dyn WantedNames> {
        Box::new(AnyOf(self.0.iter().map(|w| w.clone_box()).collect()))
    }

    fn recipe(&self) -> Option<NamesRecipe> {
        self.0
            .iter()
            .map(|w| w.recipe())
            .collect::<Option<_>>()
            .map(NamesRecipe::AnyOf)
    }
}

/// Which rows get every column, and which columns (or members of them) every row gets.
#[derive(Debug)]
pub struct RowGate {
    /// The names whose rows are built whole.
    pub names: Box<dyn WantedNames>,
    /// Per events-schema column: built for every row.
    pub always: Vec<bool>,
    /// Per record column built for every row: the members the rows not built whole get (`None`: all).
    pub members: Vec<Option<Members>>,
}

impl Clone for RowGate {
    fn clone(&self) -> Self {
        RowGate {
            names: self.names.clone_box(),
            always: self.always.clone(),
            members: self.members.clone(),
        }
    }
}

impl RowGate {
    /// A gate building `always` columns for every row and the rest only for rows `names` wants.
    pub fn new(names: Box<dyn WantedNames>, always_columns: &[usize]) -> RowGate {
        let mut always = vec![false; COLUMN_COUNT];
        for &c in always_columns {
            if let Some(slot) = always.get_mut(c) {
                *slot = true;
            }
        }
        RowGate {
            names,
            always,
            members: vec![None; RECORD.len()],
        }
    }

    /// The gate as it travels inside a plan, or `None` when its names cannot travel.
    pub fn recipe(&self) -> Option<GateRecipe> {
        Some(GateRecipe {
            names: self.names.recipe()?,
            always: self.always.clone(),
            members: self.members.clone(),
        })
    }

    /// The gate a recipe describes; `function` rebuilds the names of a [`NamesRecipe::Function`] (`None`
    /// when it knows no such function). Fails when the recipe does not fit this build's schema.
    pub fn of_recipe(recipe: &GateRecipe, function: &RebuildNames) -> Result<RowGate, String> {
        fn names(r: &NamesRecipe, function: &RebuildNames) -> Result<Box<dyn WantedNames>, String> {
            Ok(match r {
                NamesRecipe::Exactly(list) => Box::new(NameSet::new(list.iter().map(String::as_str))),
                NamesRecipe::Function { name, parameters } => function(name, parameters)
                    .ok_or_else(|| format!("a row gate names an unknown function {name}"))?,
                NamesRecipe::AnyOf(parts) => Box::new(AnyOf(
                    parts
                        .iter()
                        .map(|p| names(p, function))
                        .collect::<Result<_, _>>()?,
                )),
            })
        }
        if recipe.always.len() != COLUMN_COUNT || recipe.members.len() != RECORD.len() {
            return Err("a row gate was made for another schema".into());
        }
        Ok(RowGate {
            names: names(&recipe.names, function)?,
            always: recipe.always.clone(),
            members: recipe.members.clone(),
        })
    }

    /// A gate building, on every row, what `paths` name: columns (`eventName`) or members of them
    /// (`userIdentity.arn`); the rest only for rows `names` wants. Paths outside the schema are ignored.
    pub fn of_paths<S: AsRef<str>>(names: Box<dyn WantedNames>, paths: &[S]) -> RowGate {
        let schema = events_schema();
        let mut below: Vec<Vec<Vec<&str>>> = vec![Vec::new(); COLUMN_COUNT];
        for path in paths {
            let mut parts = path.as_ref().split('.');
            let top = parts.next().unwrap_or_default();
            if let Ok(i) = schema.index_of(top) {
                below[i].push(parts.collect());
            }
        }
        let columns: Vec<usize> = (0..COLUMN_COUNT).filter(|&i| !below[i].is_empty()).collect();
        let mut gate = RowGate::new(names, &columns);
        for (i, spec) in RECORD.iter().enumerate() {
            if !below[i].is_empty() {
                gate.members[i] = match Members::of(spec, &below[i]) {
                    Members::All => None,
                    some => Some(some),
                };
            }
        }
        gate
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Array, AsArray, StringArray};

    use super::*;
    use crate::decode::{BatchBuilder, Provenance, decode_object};
    use crate::schema::events_schema;
    use crate::source::window::Scope;

    #[test]
    fn rows_no_rule_names_get_only_the_always_built_columns() {
        let schema = events_schema();
        let always = [schema.index_of("eventName").unwrap()];
        let gate = RowGate::new(Box::new(NameSet::new(["StopLogging"])), &always);
        let mut builder = BatchBuilder::new(None, Scope::default()).with_gate(Some(gate));
        let doc = br#"{"Records":[
            {"eventTime":"2026-03-03T10:00:00Z","eventName":"StopLogging","userAgent":"cli","x":1},
            {"eventTime":"2026-03-03T10:00:01Z","eventName":"ListBuckets","userAgent":"cli","x":2}]}"#;
        let prov = Provenance { key: "k", log: None };
        decode_object(doc.to_vec(), &prov, &mut builder, 1 << 20).unwrap();
        let batch = builder.finish().unwrap();
        let text = |name: &str| {
            let c = batch.column_by_name(name).unwrap();
            let c = c.as_any().downcast_ref::<StringArray>().unwrap().clone();
            (0..c.len())
                .map(|i| (!c.is_null(i)).then(|| c.value(i).to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            text("eventName"),
            [Some("StopLogging".into()), Some("ListBuckets".into())]
        );
        assert_eq!(text("userAgent"), [Some("cli".into()), None]);
        assert_eq!(text("extras"), [Some(r#"{"x":1}"#.into()), None]);
        assert_eq!(text("objectKey"), [Some("k".into()), Some("k".into())]);
    }

    #[test]
    fn rows_not_built_whole_get_only_the_named_members() {
        let paths = [
            "eventName",
            "userIdentity.arn",
            "userIdentity.sessionContext.sessionIssuer.arn",
        ];
        let gate = RowGate::of_paths(Box::new(NameSet::new(["StopLogging"])), &paths);
        let mut builder = BatchBuilder::new(None, Scope::default()).with_gate(Some(gate));
        let identity = r#""userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s",
            "sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/r","userName":"r"},
            "attributes":{"mfaAuthenticated":"false"}},"surprise":1}"#;
        let doc = format!(
            r#"{{"Records":[
            {{"eventTime":"2026-03-03T10:00:00Z","eventName":"StopLogging",{identity}}},
            {{"eventTime":"2026-03-03T10:00:01Z","eventName":"ListBuckets",{identity}}},
            {{"eventTime":"2026-03-03T10:00:02Z","eventName":"ListBuckets","userIdentity":"odd"}},
            {{"eventTime":"2026-03-03T10:00:03Z","eventName":"ListBuckets"}}]}}"#
        );
        let prov = Provenance { key: "k", log: None };
        decode_object(doc.into_bytes(), &prov, &mut builder, 1 << 20).unwrap();
        let batch = builder.finish().unwrap();
        let identity = batch.column_by_name("userIdentity").unwrap().as_struct();
        let member = |path: &[&str]| -> Vec<Option<String>> {
            let mut s = identity.clone();
            for p in &path[..path.len() - 1] {
                s = s.column_by_name(p).unwrap().as_struct().clone();
            }
            let c = s.column_by_name(path[path.len() - 1]).unwrap().as_string::<i32>();
            (0..c.len())
                .map(|i| (!c.is_null(i)).then(|| c.value(i).to_string()))
                .collect()
        };
        let arn = Some("arn:aws:sts::1:assumed-role/r/s".to_string());
        let role = Some("arn:aws:iam::1:role/r".to_string());
        // Whole rows get every member (the unknown one in the extras); the others only the named ones. A
        // value that is not an object, and none, come out as without a selection.
        assert_eq!(member(&["arn"]), [arn.clone(), arn, None, None]);
        assert_eq!(member(&["type"]), [Some("AssumedRole".into()), None, None, None]);
        assert_eq!(
            member(&["sessionContext", "sessionIssuer", "arn"]),
            [role.clone(), role, None, None]
        );
        assert_eq!(
            member(&["sessionContext", "sessionIssuer", "userName"]),
            [Some("r".into()), None, None, None]
        );
        assert_eq!(
            member(&["sessionContext", "attributes", "mfaAuthenticated"]),
            [Some("false".into()), None, None, None]
        );
        let valid: Vec<bool> = (0..4).map(|i| identity.is_valid(i)).collect();
        assert_eq!(valid, [true, true, false, false]);
        let extras = batch.column_by_name("extras").unwrap().as_string::<i32>();
        assert_eq!(extras.value(0), r#"{"userIdentity.surprise":1}"#);
        assert!(extras.is_null(1) && extras.is_null(2) && extras.is_null(3));
    }
}
