//! The actor of an event: the origin of the credential that signed it (or, for calls signed by no key,
//! the identity itself). A run resolves its chains once and hands the map to its [`Actors`], which the
//! rules (`group-by: actor`), findings and summaries of that run share, so they all see the same actor.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use datafusion::arrow::array::{Array, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result as DfResult;
use datafusion::functions::core::expr_fn::get_field;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::ident;

use super::build::Sessions;
use super::chain::{Evidence, Origin, from_identity};
use crate::text_column::TextColumn;

/// Key → origin and hops, for every credential of the run. It travels inside cluster plans, so that
/// executors name the same actors as the client.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ActorMap {
    by_key: HashMap<String, (Origin, u32)>,
    /// Federated sign-ins (signed by no key) by eventID: the origin they themselves establish.
    by_event: HashMap<String, Origin>,
}

impl ActorMap {
    /// The map of a run's chains (keys used in the window and their ancestors).
    pub fn of(sessions: &Sessions) -> ActorMap {
        ActorMap::of_evidence(&sessions.evidence)
    }

    /// The map straight from the evidence, without the `sessions` rows (which copy each key's issuance and
    /// use, and which a hunt does not build): every key used, issued in the window or issuing another, with
    /// its origin and hops.
    pub fn of_evidence(evidence: &Evidence) -> ActorMap {
        let by_key = evidence
            .usage
            .keys()
            .chain(evidence.issued_in_window.iter())
            .chain(evidence.issuances.keys())
            .map(|k| (k.clone(), evidence.origin(k)))
            .collect();
        let by_event = evidence
            .issuances
            .values()
            .filter_map(|i| {
                let (kind, arn) = i.federated.as_ref()?;
                Some((i.event_id.clone(), Origin::new(kind, Some(arn))))
            })
            .collect();
        ActorMap { by_key, by_event }
    }

    /// The actor of a call from its `userIdentity` members.
    pub fn actor(&self, id: &Identity<'_>) -> Option<(Origin, u32)> {
        if let Some(k) = id.key
            && let Some(hit) = self.by_key.get(k)
        {
            return Some(hit.clone());
        }
        if id.key.is_none()
            && let Some(o) = id.event_id.and_then(|e| self.by_event.get(e))
        {
            return Some((o.clone(), 0));
        }
        let who = match id.kind {
            Some("AWSService") => id.invoked_by.or(id.arn),
            Some("AWSAccount") => id.account.or(id.arn),
            Some(k @ ("SAMLUser" | "WebIdentityUser" | "IdentityCenterUser")) => {
                return Some((Origin::new(k, id.principal_id.or(id.arn)), 0));
            }
            _ => id.arn,
        };
        if id.kind.is_none() && who.is_none() {
            return None;
        }
        Some(from_identity(id.kind, who, id.key.unwrap_or_default()))
    }
}

/// The `userIdentity` members an actor is read from.
#[derive(Debug, Default, Clone, Copy)]
pub struct Identity<'a> {
    /// `type`.
    pub kind: Option<&'a str>,
    /// `arn`.
    pub arn: Option<&'a str>,
    /// `accessKeyId`.
    pub key: Option<&'a str>,
    /// `invokedBy`.
    pub invoked_by: Option<&'a str>,
    /// `accountId`.
    pub account: Option<&'a str>,
    /// `principalId`.
    pub principal_id: Option<&'a str>,
    /// The event's `eventID` (a federated sign-in's actor is found by it).
    pub event_id: Option<&'a str>,
}

impl<'a> Identity<'a> {
    /// The members of a JSON event's `userIdentity`.
    pub fn of_event(event: &'a serde_json::Value) -> Identity<'a> {
        let u = &event["userIdentity"];
        let s = |k: &str| u.get(k).and_then(|v| v.as_str()).filter(|v| !v.is_empty());
        Identity {
            kind: s("type"),
            arn: s("arn"),
            key: s("accessKeyId"),
            invoked_by: s("invokedBy"),
            account: s("accountId"),
            principal_id: s("principalId"),
            event_id: event["eventID"].as_str(),
        }
    }
}

/// One run's actors. Rules are compiled before the run has read its chains, so the functions and
/// findings of the run hold this handle and the run fills it once the chains are known; until then (and in
/// a run that never resolves chains) every actor comes from the identity alone. Clones share the map.
#[derive(Debug, Clone, Default)]
pub struct Actors(Arc<RwLock<Arc<ActorMap>>>);

impl Actors {
    /// Actors from this map.
    pub fn of(map: ActorMap) -> Actors {
        Actors(Arc::new(RwLock::new(Arc::new(map))))
    }

    /// Makes `map` the actors of everyone holding this handle.
    pub fn set(&self, map: ActorMap) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(map);
    }

    /// The map as it is now.
    pub fn map(&self) -> Arc<ActorMap> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether two handles share one map.
    fn same(&self, other: &Actors) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// The `actor` field of rules: `ctscan_actor(userIdentity.type, .arn, .accessKeyId, .invokedBy,
/// .accountId, .principalId, eventID)`, the actor's `TYPE ARN` as `actors` has it.
pub fn actor_expr(actors: &Actors) -> Expr {
    let f = |m: &str| get_field(ident("userIdentity"), m);
    actor_udf(actors.clone()).call(vec![
        f("type"),
        f("arn"),
        f("accessKeyId"),
        f("invokedBy"),
        f("accountId"),
        f("principalId"),
        ident("eventID"),
    ])
}

/// `expr` with every actor function answering from `actors`: expressions are built before a run knows its
/// chains, then bound to the run's handle.
pub fn bind_actors(expr: Expr, actors: &Actors) -> Expr {
    use datafusion::common::tree_node::{Transformed, TreeNode};
    use datafusion::logical_expr::expr::ScalarFunction;
    expr.transform_up(|e| match e {
        Expr::ScalarFunction(f) if is_actor_udf(&f.func) => Ok(Transformed::yes(Expr::ScalarFunction(
            ScalarFunction::new_udf(Arc::new(actor_udf(actors.clone())), f.args),
        ))),
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
    .expect("rebinding a function cannot fail")
}

/// The SQL call of the actor function over `events`.
pub const ACTOR_SQL: &str = "ctscan_actor(userIdentity.type, userIdentity.arn, userIdentity.accessKeyId, \
userIdentity.invokedBy, userIdentity.accountId, userIdentity.principalId, eventID)";

/// The name of the actor function in SQL and plans.
pub const ACTOR_FUNCTION: &str = "ctscan_actor";

/// `ctscan_actor(...)` for SQL (see [`ACTOR_SQL`]), answering from `actors`.
pub fn actor_udf(actors: Actors) -> ScalarUDF {
    ScalarUDF::new_from_impl(ActorUdf {
        signature: Signature::any(7, Volatility::Stable),
        actors,
    })
}

/// The actors an actor function answers from, or `None` for any other function.
pub fn actors_of_udf(udf: &ScalarUDF) -> Option<Actors> {
    udf.inner().downcast_ref::<ActorUdf>().map(|f| f.actors.clone())
}

/// Whether `udf` is the actor function (of any run).
pub fn is_actor_udf(udf: &ScalarUDF) -> bool {
    udf.inner().downcast_ref::<ActorUdf>().is_some()
}

/// The scalar function behind [`actor_expr`].
#[derive(Debug)]
struct ActorUdf {
    signature: Signature,
    actors: Actors,
}

impl PartialEq for ActorUdf {
    fn eq(&self, other: &Self) -> bool {
        self.actors.same(&other.actors)
    }
}

impl Eq for ActorUdf {}

impl std::hash::Hash for ActorUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        ACTOR_FUNCTION.hash(state);
    }
}

impl ScalarUDFImpl for ActorUdf {
    fn name(&self) -> &str {
        ACTOR_FUNCTION
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let cols = arrays
            .iter()
            .map(|a| TextColumn::of(a.as_ref()))
            .collect::<DfResult<Vec<_>>>()?;
        let map = self.actors.map();
        let mut out = StringBuilder::new();
        for i in 0..arrays[0].len() {
            let id = Identity {
                kind: cols[0].get(i),
                arn: cols[1].get(i),
                key: cols[2].get(i),
                invoked_by: cols[3].get(i),
                account: cols[4].get(i),
                principal_id: cols[5].get(i),
                event_id: cols[6].get(i),
            };
            out.append_option(map.actor(&id).map(|(o, _)| o.label()));
        }
        Ok(ColumnarValue::Array(std::sync::Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_without_a_key_are_their_own_actor() {
        let map = ActorMap::default();
        let svc = Identity {
            kind: Some("AWSService"),
            invoked_by: Some("ec2.amazonaws.com"),
            ..Identity::default()
        };
        assert_eq!(map.actor(&svc).unwrap().0.label(), "AWSService ec2.amazonaws.com");
        assert!(map.actor(&Identity::default()).is_none());
        let saml = Identity {
            kind: Some("SAMLUser"),
            principal_id: Some("idp:alice@example.com"),
            ..Identity::default()
        };
        assert_eq!(
            map.actor(&saml).unwrap().0.label(),
            "SAMLUser idp:alice@example.com"
        );
    }

    #[test]
    fn a_federated_sign_in_is_the_origin_it_establishes() {
        use crate::attribution::chain::Evidence;
        use crate::attribution::issuance::{Issuance, IssuingRow};
        let row = IssuingRow {
            at: 1,
            event_name: "AssumeRoleWithSAML",
            event_id: "ev-saml",
            request: Some(
                r#"{"principalArn":"arn:aws:iam::1:saml-provider/Okta","roleArn":"arn:aws:iam::1:role/r"}"#,
            ),
            response: Some(r#"{"credentials":{"accessKeyId":"ASIAS"},"subject":"bob@example.com"}"#),
            ..IssuingRow::default()
        };
        let mut ev = Evidence::default();
        ev.issued(Issuance::from_row(row).unwrap(), true);
        // A key used whose issuance is not in the data, and the session's own use.
        for (key, arn) in [
            ("ASIAS", "arn:aws:sts::1:assumed-role/r/bob"),
            ("ASIAX", "arn:aws:iam::1:user/eve"),
        ] {
            let call = super::super::usage::Call {
                at: 2,
                identity: Identity {
                    kind: Some("AssumedRole"),
                    arn: Some(arn),
                    key: Some(key),
                    ..Identity::default()
                },
                ..Default::default()
            };
            ev.usage.entry(key.to_string()).or_default().add(&call);
        }
        let sessions = Sessions::from_evidence(ev);
        let map = ActorMap::of(&sessions);
        // Every `sessions` row's origin and hops are what the map gives its key.
        assert_eq!(sessions.credentials.len(), 2);
        for c in &sessions.credentials {
            assert_eq!(
                map.by_key.get(&c.key),
                Some(&(c.origin.clone(), c.hops)),
                "{}",
                c.key
            );
        }
        let call = Identity {
            kind: Some("SAMLUser"),
            principal_id: Some("idp:bob@example.com"),
            event_id: Some("ev-saml"),
            ..Identity::default()
        };
        let want = "SAMLUser arn:aws:iam::1:saml-provider/Okta:bob@example.com";
        assert_eq!(map.actor(&call).unwrap().0.label(), want);
        let session = Identity {
            kind: Some("AssumedRole"),
            key: Some("ASIAS"),
            ..Identity::default()
        };
        assert_eq!(map.actor(&session).unwrap().0.label(), want);
    }
}
