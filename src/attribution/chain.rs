//! Resolving credential chains: from each key, through the issuing events of its parents, to the
//! identity AWS vouches for (the origin). Nothing is guessed: a chain whose next issuing event is not in
//! the data ends `unresolved` at its last known hop.

use std::collections::{BTreeSet, HashMap};

use super::issuance::Issuance;
use super::kind::Kind;
use super::usage::Usage;

/// The `originType` of a chain whose issuing event is missing.
pub const UNRESOLVED: &str = "unresolved";

/// The root of a credential chain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Origin {
    /// CloudTrail's `userIdentity.type` name of the origin (`IAMUser`, `Root`, `SAMLUser`,
    /// `WebIdentityUser`, `AWSService`, `AWSAccount`, `IdentityCenterUser`) or `unresolved`.
    pub kind: String,
    /// The origin's ARN (a service principal for `AWSService`, the provider-qualified subject for
    /// federated users, the last known hop's ARN when unresolved).
    pub arn: String,
}

impl Origin {
    /// An origin of this type and ARN (empty when unknown).
    pub fn new(kind: &str, arn: Option<&str>) -> Origin {
        Origin {
            kind: kind.to_string(),
            arn: arn.unwrap_or_default().to_string(),
        }
    }

    /// `TYPE ARN`, as findings and summaries show it.
    pub fn label(&self) -> String {
        if self.arn.is_empty() {
            return self.kind.clone();
        }
        format!("{} {}", self.kind, self.arn)
    }

    /// Whether the chain reached an identity AWS vouches for.
    pub fn resolved(&self) -> bool {
        self.kind != UNRESOLVED
    }
}

/// One row of the `sessions` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The key id.
    pub key: String,
    /// What kind of credential it is.
    pub kind: Kind,
    /// The ARN it acts as.
    pub arn: Option<String>,
    /// The issuing event, when it is in the data.
    pub issuance: Option<Issuance>,
    /// The role (of a role session).
    pub role_arn: Option<String>,
    /// The role session name.
    pub session_name: Option<String>,
    /// The source identity set on the session.
    pub source_identity: Option<String>,
    /// The root of its chain.
    pub origin: Origin,
    /// Issuing events from the origin to this key.
    pub hops: u32,
    /// What it did in the window (none when it was only issued).
    pub usage: Option<Usage>,
}

/// What the data says about credentials: issuing events by the key they issued, and use by key.
#[derive(Debug, Default)]
pub struct Evidence {
    /// One issuance per new key (the copy in the caller's account preferred).
    pub issuances: HashMap<String, Issuance>,
    /// Keys issued inside the window (issuances found by looking back are not rows of their own).
    pub issued_in_window: BTreeSet<String>,
    /// Use in the window, by key.
    pub usage: HashMap<String, Usage>,
}

impl Evidence {
    /// Records an issuance; a second copy of the same issuance (the other account's) only replaces
    /// the first when it is the caller's account's copy.
    pub fn issued(&mut self, i: Issuance, in_window: bool) {
        if in_window {
            self.issued_in_window.insert(i.key.clone());
        }
        match self.issuances.get(&i.key) {
            Some(old) if old.in_callers_account() || !i.in_callers_account() => {}
            _ => {
                self.issuances.insert(i.key.clone(), i);
            }
        }
    }

    /// Folds another partition's evidence in.
    pub fn merge(&mut self, o: Evidence) {
        self.issued_in_window.extend(o.issued_in_window);
        for (_, i) in o.issuances {
            self.issued(i, false);
        }
        for (k, u) in o.usage {
            self.usage.entry(k).or_default().merge(u);
        }
    }

    /// Keys the chains need an issuing event for and do not have: temporary keys (a long-term key's
    /// `CreateAccessKey` may be years old and its user is an origin anyway).
    pub fn missing_links(&self) -> BTreeSet<String> {
        let mut missing = BTreeSet::new();
        let mut check = |k: &str| {
            if !k.starts_with("AKIA") && !self.issuances.contains_key(k) {
                missing.insert(k.to_string());
            }
        };
        for k in self.usage.keys() {
            check(k);
        }
        for i in self.issuances.values() {
            if let Some(p) = &i.caller.key {
                check(p);
            }
        }
        missing
    }

    /// The origin of `key` and the hops from it.
    pub fn origin(&self, key: &str) -> (Origin, u32) {
        let mut seen = Vec::new();
        self.walk(key, &mut seen)
    }

    fn walk(&self, key: &str, seen: &mut Vec<String>) -> (Origin, u32) {
        let Some(i) = self.issuances.get(key) else {
            let u = self.usage.get(key);
            return from_identity(
                u.and_then(|u| u.identity_type.as_deref()),
                u.and_then(|u| u.arn.as_deref()),
                key,
            );
        };
        if let Some((kind, subject)) = &i.federated {
            return (Origin::new(kind, Some(subject)), 1);
        }
        let c = &i.caller;
        match c.kind.as_deref() {
            Some("AWSService") => {
                let who = c.invoked_by.as_deref().or(c.principal_id.as_deref());
                return (Origin::new("AWSService", who), 1);
            }
            Some("AWSAccount") => {
                let who = c.account.as_deref().or(c.principal_id.as_deref());
                return (Origin::new("AWSAccount", who), 1);
            }
            _ => {}
        }
        seen.push(key.to_string());
        let (origin, hops) = match c.key.as_deref() {
            Some(parent) if self.issuances.contains_key(parent) && !seen.iter().any(|s| s == parent) => {
                self.walk(parent, seen)
            }
            parent => from_identity(c.kind.as_deref(), c.arn.as_deref(), parent.unwrap_or_default()),
        };
        (origin, hops + 1)
    }

    /// The keys from the first known credential of `key`'s chain down to `key` itself.
    pub fn lineage(&self, key: &str) -> Vec<String> {
        let mut out = vec![key.to_string()];
        while let Some(p) = self
            .issuances
            .get(out.last().map(String::as_str).unwrap_or_default())
            .and_then(|i| i.caller.key.clone())
        {
            if out.contains(&p) {
                break;
            }
            out.push(p);
        }
        out.reverse();
        out
    }

    /// Every `sessions` row: keys used in the window and keys issued in it, sorted by key.
    pub fn credentials(&self) -> Vec<Credential> {
        let keys: BTreeSet<&String> = self.usage.keys().chain(self.issued_in_window.iter()).collect();
        keys.into_iter().map(|k| self.credential(k)).collect()
    }

    fn credential(&self, key: &str) -> Credential {
        let (origin, hops) = self.origin(key);
        let i = self.issuances.get(key);
        let u = self.usage.get(key);
        let kind = match i {
            Some(i) => i.kind,
            None => Kind::from_use(
                key,
                u.and_then(|u| u.identity_type.as_deref()),
                (
                    u.and_then(|u| u.role_arn.as_deref()),
                    u.and_then(|u| u.role_name.as_deref()),
                ),
                u.is_some_and(|u| u.ec2_delivery),
            ),
        };
        let used_arn = u.and_then(|u| u.arn.clone());
        let session_name = i.and_then(|i| i.session_name.clone()).or_else(|| {
            used_arn
                .as_deref()
                .filter(|a| a.contains(":assumed-role/") || a.contains(":federated-user/"))
                .and_then(|a| a.rsplit('/').next())
                .map(String::from)
        });
        Credential {
            key: key.to_string(),
            kind,
            arn: used_arn.or_else(|| i.and_then(|i| i.arn.clone())),
            issuance: i.cloned(),
            role_arn: i
                .and_then(|i| i.role_arn.clone())
                .or_else(|| u.and_then(|u| u.role_arn.clone()))
                .filter(|a| a.contains(":role/")),
            session_name,
            source_identity: i
                .and_then(|i| i.source_identity.clone())
                .or_else(|| u.and_then(|u| u.source_identity.clone())),
            origin,
            hops,
            usage: u.cloned(),
        }
    }
}

/// The origin a credential's own identity shows when no issuing event for it is known: an IAM user or
/// root is its own origin (hops 0 for a long-term key, 1 for a temporary one it obtained); an AWS
/// service signs as itself; anything else ends unresolved at this credential.
pub fn from_identity(kind: Option<&str>, arn: Option<&str>, key: &str) -> (Origin, u32) {
    match kind {
        Some(k @ ("IAMUser" | "Root")) => (Origin::new(k, arn), u32::from(!key.starts_with("AKIA"))),
        Some(k @ ("AWSService" | "AWSAccount")) => (Origin::new(k, arn), 0),
        _ => (
            Origin::new(UNRESOLVED, arn.or(Some(key).filter(|k| !k.is_empty()))),
            0,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribution::issuance::Caller;

    fn issue(key: &str, kind: Kind, caller: Caller) -> Issuance {
        Issuance {
            key: key.into(),
            kind,
            at: 0,
            expires: None,
            event_name: "AssumeRole".into(),
            event_id: format!("ev-{key}"),
            shared_event_id: None,
            recipient: caller.account.clone(),
            ip: None,
            user_agent: None,
            mfa: None,
            caller,
            role_arn: None,
            session_name: None,
            source_identity: None,
            arn: Some(format!("arn:aws:sts::1:assumed-role/r/{key}")),
            federated: None,
        }
    }

    fn by(kind: &str, arn: &str, key: Option<&str>) -> Caller {
        Caller {
            kind: Some(kind.into()),
            arn: Some(arn.into()),
            account: Some("111111111111".into()),
            key: key.map(String::from),
            ..Caller::default()
        }
    }

    #[test]
    fn a_chain_across_two_roles_ends_at_the_user() {
        let mut e = Evidence::default();
        let alice = "arn:aws:iam::1:user/alice";
        e.issued(
            issue(
                "ASIAA",
                Kind::RoleSession,
                by("IAMUser", alice, Some("AKIAALICE")),
            ),
            true,
        );
        e.issued(
            issue(
                "ASIAB",
                Kind::RoleSession,
                by(
                    "AssumedRole",
                    "arn:aws:sts::1:assumed-role/r/ASIAA",
                    Some("ASIAA"),
                ),
            ),
            true,
        );
        assert_eq!(e.origin("ASIAB"), (Origin::new("IAMUser", Some(alice)), 2));
        assert_eq!(e.origin("ASIAA").1, 1);
        assert_eq!(e.lineage("ASIAB"), vec!["AKIAALICE", "ASIAA", "ASIAB"]);
        assert!(e.missing_links().is_empty());
    }

    #[test]
    fn a_missing_issuing_event_leaves_the_chain_unresolved_at_the_last_known_hop() {
        let mut e = Evidence::default();
        let parent = "arn:aws:sts::1:assumed-role/ops/x";
        e.issued(
            issue(
                "ASIAC",
                Kind::RoleSession,
                by("AssumedRole", parent, Some("ASIAP")),
            ),
            true,
        );
        assert_eq!(e.origin("ASIAC"), (Origin::new(UNRESOLVED, Some(parent)), 1));
        assert_eq!(e.missing_links().into_iter().collect::<Vec<_>>(), vec!["ASIAP"]);
        // Only used: nothing is known above it.
        e.usage.insert(
            "ASIAU".into(),
            Usage {
                calls: 1,
                identity_type: Some("AssumedRole".into()),
                arn: Some("arn:aws:sts::1:assumed-role/r/u".into()),
                ..Usage::default()
            },
        );
        assert_eq!(
            e.origin("ASIAU"),
            (
                Origin::new(UNRESOLVED, Some("arn:aws:sts::1:assumed-role/r/u")),
                0
            )
        );
    }

    #[test]
    fn services_and_own_keys_are_origins() {
        let mut e = Evidence::default();
        let ec2 = Caller {
            kind: Some("AWSService".into()),
            invoked_by: Some("ec2.amazonaws.com".into()),
            ..Caller::default()
        };
        e.issued(issue("ASIAI", Kind::InstanceRole, ec2), true);
        assert_eq!(
            e.origin("ASIAI"),
            (Origin::new("AWSService", Some("ec2.amazonaws.com")), 1)
        );
        e.usage.insert(
            "AKIAOWN".into(),
            Usage {
                calls: 3,
                identity_type: Some("IAMUser".into()),
                arn: Some("arn:aws:iam::1:user/bob".into()),
                ..Usage::default()
            },
        );
        assert_eq!(
            e.origin("AKIAOWN"),
            (Origin::new("IAMUser", Some("arn:aws:iam::1:user/bob")), 0)
        );
    }

    #[test]
    fn the_callers_account_copy_of_a_cross_account_call_is_kept() {
        let mut e = Evidence::default();
        let mut theirs = issue("ASIAX", Kind::RoleSession, by("AssumedRole", "a", Some("ASIAA")));
        theirs.recipient = Some("222222222222".into());
        theirs.event_id = "theirs".into();
        let mine = issue("ASIAX", Kind::RoleSession, by("AssumedRole", "a", Some("ASIAA")));
        e.issued(theirs.clone(), true);
        e.issued(mine, true);
        e.issued(theirs, true);
        assert_eq!(e.issuances["ASIAX"].event_id, "ev-ASIAX");
    }

    #[test]
    fn a_loop_in_the_data_ends() {
        let mut e = Evidence::default();
        e.issued(
            issue(
                "ASIA1",
                Kind::RoleSession,
                by("AssumedRole", "one", Some("ASIA2")),
            ),
            true,
        );
        e.issued(
            issue(
                "ASIA2",
                Kind::RoleSession,
                by("AssumedRole", "two", Some("ASIA1")),
            ),
            true,
        );
        assert_eq!(e.origin("ASIA1").0.kind, UNRESOLVED);
        assert_eq!(e.lineage("ASIA1").len(), 2);
    }
}
