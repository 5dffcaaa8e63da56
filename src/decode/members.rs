//! The members of a struct column a reader needs on the rows it does not want whole. A hunt reads a few
//! members of `userIdentity` on every event (the actor's type, ARN and key, what a rule that looks at every
//! event names), and the whole record only of the events some rule may match; building every member of every
//! row would cost most of the decoding.

use crate::schema::{Kind, Spec};

/// Which parts of one value to build.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Members {
    /// The whole value.
    All,
    /// Only some members of an object, one entry per member of its spec, in spec order (`None`: left NULL).
    Some(Vec<Option<Members>>),
}

impl Members {
    /// The parts of a value of `spec` that `paths` name, each path the member names below the value
    /// (`["sessionContext", "sessionIssuer", "arn"]`); an empty path names the whole value. A path naming a
    /// member the spec does not know selects nothing (such a member is never built).
    pub fn of(spec: &Spec, paths: &[Vec<&str>]) -> Members {
        let specs = match spec.kind {
            Kind::Struct(specs) => specs,
            _ => return Members::All,
        };
        if paths.iter().any(Vec::is_empty) {
            return Members::All;
        }
        let children = specs
            .iter()
            .map(|child| {
                let tails: Vec<Vec<&str>> = paths
                    .iter()
                    .filter(|p| p[0] == child.name)
                    .map(|p| p[1..].to_vec())
                    .collect();
                (!tails.is_empty()).then(|| Members::of(child, &tails))
            })
            .collect::<Vec<_>>();
        if children.iter().all(|c| *c == Some(Members::All)) {
            return Members::All;
        }
        Members::Some(children)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::RECORD;

    fn column(name: &str) -> &'static Spec {
        RECORD.iter().find(|s| s.name == name).unwrap()
    }

    #[test]
    fn only_the_named_members_are_selected() {
        let identity = column("userIdentity");
        let Members::Some(members) = Members::of(
            identity,
            &[vec!["arn"], vec!["sessionContext", "sessionIssuer", "arn"]],
        ) else {
            panic!("a few members are not the whole struct");
        };
        let Kind::Struct(specs) = identity.kind else {
            unreachable!()
        };
        for (spec, m) in specs.iter().zip(&members) {
            match spec.name {
                "arn" => assert_eq!(*m, Some(Members::All)),
                "sessionContext" => {
                    let Some(Members::Some(context)) = m else {
                        panic!("{m:?}")
                    };
                    assert_eq!(context.iter().filter(|c| c.is_some()).count(), 1);
                }
                _ => assert_eq!(*m, None, "{}", spec.name),
            }
        }
    }

    #[test]
    fn the_whole_value_when_it_is_named_or_not_a_struct() {
        let identity = column("userIdentity");
        assert_eq!(Members::of(identity, &[vec!["arn"], vec![]]), Members::All);
        assert_eq!(Members::of(column("eventName"), &[vec!["x"]]), Members::All);
        assert_eq!(Members::of(column("resources"), &[vec!["ARN"]]), Members::All);
        let Members::Some(none) = Members::of(identity, &[vec!["noSuchMember"]]) else {
            panic!("an unknown member is not the whole struct");
        };
        assert!(none.iter().all(Option::is_none));
    }
}
