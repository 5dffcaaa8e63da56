//! The one Arrow schema every CloudTrail record is decoded into, defined once as a tree that drives both the
//! Arrow schema and the column builders. Column names are CloudTrail's own JSON names, so SQL and rules read
//! like the raw logs.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

/// How a field's JSON value becomes an Arrow value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string; numbers and booleans keep their JSON text, objects and arrays their compact JSON.
    Str,
    /// A boolean; the strings `"true"`/`"false"` are accepted as CloudTrail sometimes writes them.
    Bool,
    /// An RFC 3339 instant as a UTC timestamp in microseconds.
    Time,
    /// A free-form value kept as compact JSON text, queried with JSON functions.
    Json,
    /// An object with known members.
    Struct(&'static [Spec]),
    /// An array of objects with known members.
    ListOfStruct(&'static [Spec]),
}

/// One named field of the schema tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The JSON member name, also the column or struct field name.
    pub name: &'static str,
    /// How the value is stored.
    pub kind: Kind,
}

const fn s(name: &'static str) -> Spec {
    Spec {
        name,
        kind: Kind::Str,
    }
}
const fn b(name: &'static str) -> Spec {
    Spec {
        name,
        kind: Kind::Bool,
    }
}
const fn j(name: &'static str) -> Spec {
    Spec {
        name,
        kind: Kind::Json,
    }
}

const SESSION_ISSUER: &[Spec] = &[
    s("type"),
    s("principalId"),
    s("arn"),
    s("accountId"),
    s("userName"),
];
const ATTRIBUTES: &[Spec] = &[s("creationDate"), s("mfaAuthenticated")];
const SESSION_CONTEXT: &[Spec] = &[
    Spec {
        name: "attributes",
        kind: Kind::Struct(ATTRIBUTES),
    },
    Spec {
        name: "sessionIssuer",
        kind: Kind::Struct(SESSION_ISSUER),
    },
    j("webIdFederationData"),
    s("sourceIdentity"),
    s("ec2RoleDelivery"),
    s("ec2IssuedInVPC"),
    s("assumedRoot"),
];
const ON_BEHALF_OF: &[Spec] = &[s("userId"), s("identityStoreArn")];
const USER_IDENTITY: &[Spec] = &[
    s("type"),
    s("principalId"),
    s("arn"),
    s("accountId"),
    s("accessKeyId"),
    s("userName"),
    s("invokedBy"),
    s("identityProvider"),
    s("credentialId"),
    Spec {
        name: "sessionContext",
        kind: Kind::Struct(SESSION_CONTEXT),
    },
    Spec {
        name: "onBehalfOf",
        kind: Kind::Struct(ON_BEHALF_OF),
    },
    j("inScopeOf"),
];
const RESOURCE: &[Spec] = &[s("ARN"), s("accountId"), s("type")];
const TLS_DETAILS: &[Spec] = &[s("tlsVersion"), s("cipherSuite"), s("clientProvidedHostHeader")];

/// The members of a CloudTrail record that have a column of their own, in column order.
pub const RECORD: &[Spec] = &[
    Spec {
        name: "eventTime",
        kind: Kind::Time,
    },
    s("eventVersion"),
    s("eventSource"),
    s("eventName"),
    s("awsRegion"),
    s("sourceIPAddress"),
    s("userAgent"),
    s("errorCode"),
    s("errorMessage"),
    s("requestID"),
    s("eventID"),
    s("eventType"),
    s("apiVersion"),
    b("readOnly"),
    b("managementEvent"),
    s("eventCategory"),
    s("recipientAccountId"),
    s("sharedEventID"),
    s("vpcEndpointId"),
    s("vpcEndpointAccountId"),
    b("sessionCredentialFromConsole"),
    Spec {
        name: "userIdentity",
        kind: Kind::Struct(USER_IDENTITY),
    },
    Spec {
        name: "resources",
        kind: Kind::ListOfStruct(RESOURCE),
    },
    Spec {
        name: "tlsDetails",
        kind: Kind::Struct(TLS_DETAILS),
    },
    j("requestParameters"),
    j("responseElements"),
    j("additionalEventData"),
    j("serviceEventDetails"),
    j("insightDetails"),
    j("addendum"),
    j("edgeDeviceDetails"),
];

/// Column holding, as a JSON object, every record member the schema does not name, so nothing is lost.
pub const EXTRAS: &str = "extras";
/// Column holding the path or key of the object a row came from.
pub const OBJECT_KEY: &str = "objectKey";
/// Column holding the account id from the object's path.
pub const OBJECT_ACCOUNT: &str = "objectAccount";
/// Column holding the region from the object's path.
pub const OBJECT_REGION: &str = "objectRegion";
/// Column holding the delivery day from the object's path.
pub const OBJECT_DAY: &str = "objectDay";
/// Column holding the event time.
pub const EVENT_TIME: &str = "eventTime";
/// Column name of the event's id, half of what makes one event (see [`crate::events::dedup`]).
pub const EVENT_ID: &str = "eventID";
/// Column name of the account the record was delivered to, the other half.
pub const RECIPIENT_ACCOUNT: &str = "recipientAccountId";

/// Index of the first column after the record members: extras, then provenance.
pub const EXTRAS_INDEX: usize = RECORD.len();
/// Number of columns in the full schema.
pub const COLUMN_COUNT: usize = RECORD.len() + 5;

/// The Arrow type of the event-time column.
pub fn time_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn fields_of(specs: &[Spec]) -> Fields {
    specs.iter().map(field_of).collect()
}

/// The Arrow field for one spec (all fields are nullable: any member may be absent).
pub fn field_of(spec: &Spec) -> Field {
    let dt = match spec.kind {
        Kind::Str | Kind::Json => DataType::Utf8,
        Kind::Bool => DataType::Boolean,
        Kind::Time => time_type(),
        Kind::Struct(children) => DataType::Struct(fields_of(children)),
        Kind::ListOfStruct(children) => DataType::List(Arc::new(Field::new(
            "item",
            DataType::Struct(fields_of(children)),
            true,
        ))),
    };
    Field::new(spec.name, dt, true)
}

/// The events schema, a constant built once from the spec tree.
static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let mut fields: Vec<Field> = RECORD.iter().map(field_of).collect();
    fields.push(Field::new(EXTRAS, DataType::Utf8, true));
    fields.push(Field::new(OBJECT_KEY, DataType::Utf8, false));
    fields.push(Field::new(OBJECT_ACCOUNT, DataType::Utf8, true));
    fields.push(Field::new(OBJECT_REGION, DataType::Utf8, true));
    fields.push(Field::new(OBJECT_DAY, DataType::Date32, true));
    Arc::new(Schema::new(fields))
});

/// The schema of the `events` table, the same on raw archives and on Parquet lakes.
pub fn events_schema() -> SchemaRef {
    SCHEMA.clone()
}

/// Index of a top-level column by name.
pub fn column_index(name: &str) -> Option<usize> {
    SCHEMA.index_of(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_has_cloudtrail_names_and_provenance() {
        let schema = events_schema();
        assert_eq!(schema.fields().len(), COLUMN_COUNT);
        assert_eq!(schema.field(0).name(), "eventTime");
        assert_eq!(schema.field(EXTRAS_INDEX).name(), EXTRAS);
        for name in [
            "eventName",
            "userIdentity",
            "requestParameters",
            OBJECT_DAY,
            OBJECT_KEY,
        ] {
            assert!(column_index(name).is_some(), "{name}");
        }
        let DataType::Struct(ui) = schema.field_with_name("userIdentity").unwrap().data_type() else {
            panic!("userIdentity is a struct")
        };
        let DataType::Struct(sc) = ui.find("sessionContext").unwrap().1.data_type() else {
            panic!("sessionContext is a struct")
        };
        assert!(sc.find("sessionIssuer").is_some());
    }

    #[test]
    fn names_are_unique_at_each_level() {
        fn check(specs: &[Spec]) {
            let mut names: Vec<_> = specs.iter().map(|s| s.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), specs.len());
            for s in specs {
                if let Kind::Struct(c) | Kind::ListOfStruct(c) = s.kind {
                    check(c);
                }
            }
        }
        check(RECORD);
    }
}
