//! Reading the evidence for credential chains out of `events` batches: each signed call counts toward its
//! key's use, each successful issuing event becomes an [`Issuance`].

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{SchemaRef, TimestampMicrosecondType};
use datafusion::datasource::MemTable;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_expr::PhysicalExpr;

use super::actor::Identity;
use super::chain::Evidence;
use super::issuance::{Caller, ISSUING_EVENTS, Issuance, IssuingRow};
use super::usage::Call;
use crate::events::session::Exec;
use crate::text_column::TextColumn;

/// The columns the collector reads, as SQL over `events` (flat names; absent JSON members are NULL).
pub const COLUMNS: &str = "eventTime, eventName, errorCode, eventID, sharedEventID, recipientAccountId, awsRegion, \
sourceIPAddress, userAgent, \
userIdentity.type AS uType, userIdentity.arn AS uArn, userIdentity.accountId AS uAccount, \
userIdentity.accessKeyId AS uKey, userIdentity.principalId AS uPrincipal, userIdentity.userName AS uUser, \
userIdentity.invokedBy AS uInvokedBy, userIdentity.identityProvider AS uProvider, \
userIdentity.onBehalfOf.userId AS uOnBehalfOf, \
userIdentity.sessionContext.attributes.mfaAuthenticated AS uMfa, \
userIdentity.sessionContext.attributes.creationDate AS uCreated, \
userIdentity.sessionContext.sessionIssuer.arn AS uRoleArn, \
userIdentity.sessionContext.sessionIssuer.userName AS uRoleName, \
userIdentity.sessionContext.ec2RoleDelivery AS uEc2, \
userIdentity.sessionContext.sourceIdentity AS uSourceIdentity, \
requestParameters, responseElements, additionalEventData";

/// SQL `IN` list of the issuing event names.
pub fn issuing_names_sql() -> String {
    ISSUING_EVENTS
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

struct Cols<'a> {
    time: &'a datafusion::arrow::array::PrimitiveArray<TimestampMicrosecondType>,
    text: Vec<TextColumn<'a>>,
}

const NAMES: &[&str] = &[
    "eventName",
    "errorCode",
    "eventID",
    "sharedEventID",
    "recipientAccountId",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "uType",
    "uArn",
    "uAccount",
    "uKey",
    "uPrincipal",
    "uUser",
    "uInvokedBy",
    "uProvider",
    "uOnBehalfOf",
    "uMfa",
    "uCreated",
    "uRoleArn",
    "uRoleName",
    "uEc2",
    "uSourceIdentity",
    "requestParameters",
    "responseElements",
    "additionalEventData",
];

#[derive(Clone, Copy)]
enum C {
    Name,
    Error,
    Id,
    Shared,
    Recipient,
    Region,
    Ip,
    Agent,
    Type,
    Arn,
    Account,
    Key,
    Principal,
    User,
    InvokedBy,
    Provider,
    OnBehalfOf,
    Mfa,
    Created,
    RoleArn,
    RoleName,
    Ec2,
    SourceIdentity,
    Request,
    Response,
    Additional,
}

impl<'a> Cols<'a> {
    fn of(batch: &'a RecordBatch) -> Result<Cols<'a>> {
        let time = batch
            .column_by_name("eventTime")
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
            .ok_or_else(|| DataFusionError::Internal("eventTime missing".into()))?;
        let text = NAMES
            .iter()
            .map(|n| match batch.column_by_name(n) {
                Some(c) => TextColumn::of(c.as_ref()),
                None => Ok(TextColumn::Nulls),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Cols { time, text })
    }

    fn get(&self, c: C, i: usize) -> Option<&'a str> {
        self.text[c as usize].get(i)
    }
}

/// What a pass reads from each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// Use and issuances: the window's own pass.
    Everything,
    /// Use and issuances, of each only what names actors (a hunt's pass): the origin of every key is
    /// the same as with [`Take::Everything`], the `sessions` rows could not be built from it.
    Actors,
    /// Use only.
    Use,
    /// Issuances only, inside the window.
    IssuancesInWindow,
    /// Issuances only: the look back before the window (they are not rows of their own).
    Issuances,
}

impl Take {
    fn usage(self) -> bool {
        matches!(self, Take::Everything | Take::Use | Take::Actors)
    }

    fn issuances(self) -> bool {
        self != Take::Use
    }

    fn in_window(self) -> bool {
        matches!(self, Take::Everything | Take::IssuancesInWindow | Take::Actors)
    }
}

/// Adds one batch's calls and issuances to `ev`.
pub fn collect(batch: &RecordBatch, take: Take, ev: &mut Evidence) -> Result<()> {
    let cols = Cols::of(batch)?;
    for i in 0..batch.num_rows() {
        if !cols.time.is_valid(i) {
            continue;
        }
        let at = cols.time.value(i);
        let key = cols.get(C::Key, i);
        if take.usage()
            && let Some(k) = key
        {
            let call = Call {
                at,
                recipient: cols.get(C::Recipient, i),
                region: cols.get(C::Region, i),
                ip: cols.get(C::Ip, i),
                identity: Identity {
                    kind: cols.get(C::Type, i),
                    arn: cols.get(C::Arn, i),
                    account: cols.get(C::Account, i),
                    key,
                    ..Identity::default()
                },
                role_arn: cols.get(C::RoleArn, i),
                role_name: cols.get(C::RoleName, i),
                created: cols.get(C::Created, i),
                ec2_delivery: cols.get(C::Ec2, i).is_some(),
                source_identity: cols.get(C::SourceIdentity, i),
            };
            let u = match ev.usage.get_mut(k) {
                Some(u) => u,
                None => ev.usage.entry(k.to_string()).or_default(),
            };
            if take == Take::Actors {
                u.add_identity(&call);
            } else {
                u.add(&call);
            }
        }
        let Some(name) = cols.get(C::Name, i).filter(|_| take.issuances()) else {
            continue;
        };
        if cols.get(C::Error, i).is_some() || !ISSUING_EVENTS.contains(&name) {
            continue;
        }
        let owned = |c: C| cols.get(c, i).map(String::from);
        let row = IssuingRow {
            at,
            event_name: name,
            event_id: cols.get(C::Id, i).unwrap_or_default(),
            shared_event_id: cols.get(C::Shared, i),
            recipient: cols.get(C::Recipient, i),
            ip: cols.get(C::Ip, i),
            user_agent: cols.get(C::Agent, i),
            caller: Caller {
                kind: owned(C::Type),
                arn: owned(C::Arn),
                account: owned(C::Account),
                key: owned(C::Key),
                principal_id: owned(C::Principal),
                user_name: owned(C::User),
                invoked_by: owned(C::InvokedBy),
                provider: owned(C::Provider),
                on_behalf_of: owned(C::OnBehalfOf),
                mfa: owned(C::Mfa),
            },
            request: cols.get(C::Request, i),
            response: cols.get(C::Response, i),
            additional: cols.get(C::Additional, i),
        };
        if let Some(mut issued) = Issuance::from_row(row) {
            if take == Take::Actors {
                issued.keep_only_what_names_actors();
            }
            ev.issued(issued, take.in_window());
        }
    }
    Ok(())
}

/// Gathers the evidence from batches of the `events` table itself (a hunt's own pass over the window, which
/// takes [`Take::Actors`]), by evaluating [`COLUMNS`] on each batch, so chains need no read of their own.
pub struct EventsCollector {
    take: Take,
    exprs: Vec<Arc<dyn PhysicalExpr>>,
    flat: SchemaRef,
    events: SchemaRef,
}

impl EventsCollector {
    /// A collector for batches of `events` (the events schema), taking `take` of each row.
    pub async fn new(events: SchemaRef, take: Take) -> Result<EventsCollector> {
        let ctx = Exec::local(1)
            .session()
            .map_err(|e| DataFusionError::Internal(format!("{e:#}")))?;
        ctx.register_table(
            "events",
            Arc::new(MemTable::try_new(events.clone(), vec![vec![]])?),
        )?;
        let plan = ctx.sql(&format!("SELECT {COLUMNS} FROM events")).await?;
        let LogicalPlan::Projection(projection) = plan.logical_plan() else {
            return Err(DataFusionError::Internal(
                "the evidence columns are not a projection".into(),
            ));
        };
        let exprs = projection
            .expr
            .iter()
            .map(|e| {
                ctx.state()
                    .create_physical_expr(e.clone(), projection.input.schema())
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(EventsCollector {
            take,
            exprs,
            flat: Arc::new(projection.schema.as_arrow().clone()),
            events,
        })
    }

    /// Adds one `events` batch's calls and issuances to `ev`.
    pub fn collect(&self, batch: &RecordBatch, ev: &mut Evidence) -> Result<()> {
        let names = |s: &SchemaRef| s.fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>();
        if names(&batch.schema()) != names(&self.events) {
            return Err(DataFusionError::Internal(
                "evidence is gathered from batches of the events table only".into(),
            ));
        }
        let columns = self
            .exprs
            .iter()
            .map(|e| e.evaluate(batch)?.into_array(batch.num_rows()))
            .collect::<Result<Vec<_>>>()?;
        collect(&RecordBatch::try_new(self.flat.clone(), columns)?, self.take, ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::attribution::actor::{ActorMap, Identity};
    use crate::decode::{BatchBuilder, Provenance, decode_object};
    use crate::schema::events_schema;
    use crate::source::window::Scope;

    /// A user's long-term key assumes a role, whose session assumes another; both sessions make calls, and
    /// a key issued before the data is used too.
    const CHAIN: &[u8] = br#"{"Records":[
        {"eventTime":"2026-03-03T10:00:00Z","eventName":"AssumeRole","eventID":"i1","recipientAccountId":"111122223333",
         "sourceIPAddress":"203.0.113.5","userAgent":"cli",
         "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAALICE","userName":"alice"},
         "requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/ops","roleSessionName":"alice"},
         "responseElements":{"credentials":{"accessKeyId":"ASIAONE","expiration":"Mar 3, 2026, 11:00:00 AM"},
           "assumedRoleUser":{"arn":"arn:aws:sts::111122223333:assumed-role/ops/alice"}}},
        {"eventTime":"2026-03-03T10:01:00Z","eventName":"AssumeRole","eventID":"i2","recipientAccountId":"111122223333",
         "sourceIPAddress":"203.0.113.5",
         "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/ops/alice","accountId":"111122223333","accessKeyId":"ASIAONE",
           "sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::111122223333:role/ops","userName":"ops"}}},
         "requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/deploy","roleSessionName":"hop"},
         "responseElements":{"credentials":{"accessKeyId":"ASIATWO"},"assumedRoleUser":{"arn":"arn:aws:sts::111122223333:assumed-role/deploy/hop"}}},
        {"eventTime":"2026-03-03T10:02:00Z","eventName":"ListBuckets","eventID":"c1","recipientAccountId":"111122223333",
         "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/deploy/hop","accountId":"111122223333","accessKeyId":"ASIATWO"}},
        {"eventTime":"2026-03-03T10:03:00Z","eventName":"ListUsers","eventID":"c2","recipientAccountId":"111122223333",
         "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/old/x","accountId":"111122223333","accessKeyId":"ASIAOLD"}}]}"#;

    #[tokio::test]
    async fn what_a_hunt_keeps_names_the_same_actors_as_the_whole_evidence() {
        let mut builder = BatchBuilder::new(None, Scope::default());
        let prov = Provenance { key: "k", log: None };
        decode_object(CHAIN.to_vec(), &prov, &mut builder, 1 << 20).unwrap();
        let batch = builder.finish().unwrap();
        let mut maps = Vec::new();
        for take in [Take::Everything, Take::Actors] {
            let mut ev = Evidence::default();
            EventsCollector::new(events_schema(), take)
                .await
                .unwrap()
                .collect(&batch, &mut ev)
                .unwrap();
            assert_eq!(ev.issuances.len(), 2, "{take:?}");
            // What only the `sessions` rows show is kept by the whole evidence alone.
            let ips = &ev.usage["ASIAONE"].ips;
            assert_eq!(ips.is_empty(), take == Take::Actors, "{take:?}: {ips:?}");
            maps.push(ActorMap::of_evidence(&ev));
        }
        assert_eq!(maps[0], maps[1]);
        let two = Identity {
            kind: Some("AssumedRole"),
            key: Some("ASIATWO"),
            ..Identity::default()
        };
        let (origin, hops) = maps[1].actor(&two).unwrap();
        assert_eq!(origin.label(), "IAMUser arn:aws:iam::111122223333:user/alice");
        assert_eq!(hops, 2);
    }

    #[test]
    fn the_column_names_follow_the_enum() {
        assert_eq!(NAMES[C::Additional as usize], "additionalEventData");
        assert_eq!(NAMES[C::Key as usize], "uKey");
        assert_eq!(NAMES.len(), C::Additional as usize + 1);
    }
}
