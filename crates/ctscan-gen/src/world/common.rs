//! Building blocks every actor of the realistic world shares: stable hashing (so a principal keeps its ids
//! whichever file or thread writes it), identifiers in AWS's alphabets, CloudTrail's time formats, and the
//! record envelope that turns "who called what" into one CloudTrail record.

use chrono::{DateTime, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

/// SplitMix64's finalizer: spreads the bits of one integer over the whole word.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable hash of several integers: derives every per-principal id from who the principal is.
pub fn key(parts: &[u64]) -> u64 {
    parts.iter().fold(0x51_7CC1_B727_220A, |h, p| mix(h ^ p))
}

/// A stable hash of a string (FNV-1a), to fold names into [`key`]s.
pub fn text(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A generator seeded from a [`key`]: the same parts always give the same sequence.
pub fn rng_of(parts: &[u64]) -> SmallRng {
    SmallRng::seed_from_u64(key(parts))
}

/// An AWS-style id: `prefix` then `len` characters of the upper-case base-32 alphabet IAM uses.
pub fn id(rng: &mut SmallRng, prefix: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut s = String::with_capacity(prefix.len() + len);
    s.push_str(prefix);
    s.extend((0..len).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char));
    s
}

/// `len` lower-case hex digits.
pub fn hex(rng: &mut SmallRng, len: usize) -> String {
    (0..len)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// `len` characters of `[A-Za-z0-9]`, the shape of secret-name suffixes and S3 request ids' cousins.
pub fn alnum(rng: &mut SmallRng, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A random element of a non-empty slice.
pub fn pick<'a, T>(rng: &mut SmallRng, from: &'a [T]) -> &'a T {
    &from[rng.random_range(0..from.len())]
}

/// A random element of a non-empty slice of `(item, weight)`, by weight.
pub fn weighted<'a, T>(rng: &mut SmallRng, from: &'a [(T, u32)]) -> &'a T {
    let total: u32 = from.iter().map(|w| w.1).sum();
    let mut n = rng.random_range(0..total.max(1));
    for (item, w) in from {
        if n < *w {
            return item;
        }
        n -= w;
    }
    &from[0].0
}

/// `eventTime` and `creationDate` as CloudTrail writes them.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    crate::rfc3339(t)
}

/// STS's `expiration` format: `Mar 3, 2026, 11:00:00 AM`.
pub fn expiration(t: DateTime<Utc>) -> String {
    t.format("%b %-d, %Y, %-I:%M:%S %p").to_string()
}

/// A version-4 UUID.
pub fn uuid(rng: &mut SmallRng) -> String {
    crate::uuid(rng)
}

/// A session token as STS returns it (base64-looking, a few hundred characters).
pub fn session_token(rng: &mut SmallRng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::from("IQoJb3JpZ2luX2VjE");
    s.extend((0..180).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char));
    s.push_str("==");
    s
}

/// An API call: (`eventSource`, `eventName`).
pub type Call = (&'static str, &'static str);

/// Who makes a call: the `userIdentity` object and where the request comes from.
#[derive(Debug, Clone)]
pub struct Who {
    /// The `userIdentity` JSON object.
    pub identity: Value,
    /// `sourceIPAddress`: an address, or a service principal for calls AWS makes.
    pub ip: String,
    /// `userAgent`.
    pub agent: String,
    /// The gateway VPC endpoint the request went through, if any.
    pub vpce: Option<String>,
    /// Whether the credentials come from a console session (`sessionCredentialFromConsole`).
    pub console: bool,
    /// Whether an AWS service makes the call from inside AWS: no TLS details of a client, no client errors.
    pub service: bool,
}

/// One API call: what is called and the service-specific parts of its record.
#[derive(Debug, Clone)]
pub struct Api {
    /// `eventSource`.
    pub source: &'static str,
    /// `eventName`.
    pub name: &'static str,
    /// `readOnly`.
    pub read_only: bool,
    /// Whether it is a data event (`eventCategory: Data`, `managementEvent: false`).
    pub data: bool,
    /// `requestParameters`.
    pub params: Value,
    /// `responseElements`.
    pub response: Value,
    /// `resources` (left out when null).
    pub resources: Value,
    /// `additionalEventData` (left out when null).
    pub extra: Value,
    /// `eventType` (`AwsApiCall` unless set).
    pub event_type: &'static str,
}

impl Api {
    /// A call with no parameters, response or resources yet.
    pub fn new(source: &'static str, name: &'static str, read_only: bool) -> Api {
        Api {
            source,
            name,
            read_only,
            data: false,
            params: Value::Null,
            response: Value::Null,
            resources: Value::Null,
            extra: Value::Null,
            event_type: "AwsApiCall",
        }
    }

    /// Sets `requestParameters`.
    pub fn params(mut self, v: Value) -> Api {
        self.params = v;
        self
    }

    /// Sets `responseElements`.
    pub fn response(mut self, v: Value) -> Api {
        self.response = v;
        self
    }

    /// Sets `resources`.
    pub fn resources(mut self, v: Value) -> Api {
        self.resources = v;
        self
    }

    /// Sets `additionalEventData`.
    pub fn extra(mut self, v: Value) -> Api {
        self.extra = v;
        self
    }

    /// Marks it a data event.
    pub fn data(mut self) -> Api {
        self.data = true;
        self
    }
}

/// The `eventVersion` a service writes today (services move to new versions at their own pace).
fn version(rng: &mut SmallRng, source: &str, data: bool) -> &'static str {
    let base = match source {
        "s3.amazonaws.com" if data => ["1.09", "1.10", "1.11"],
        "s3.amazonaws.com" | "kms.amazonaws.com" | "secretsmanager.amazonaws.com" => ["1.10", "1.10", "1.11"],
        "sso.amazonaws.com" | "config.amazonaws.com" | "sts.amazonaws.com" => ["1.11", "1.11", "1.08"],
        "ec2.amazonaws.com" | "monitoring.amazonaws.com" => ["1.10", "1.11", "1.09"],
        "signin.amazonaws.com" | "cloudformation.amazonaws.com" => ["1.09", "1.09", "1.08"],
        _ => ["1.08", "1.09", "1.08"],
    };
    base[rng.random_range(0..3)]
}

/// The endpoint host a client names in TLS for `source` in `region`.
fn host(source: &str, region: &str, params: &Value) -> String {
    let service = source.trim_end_matches(".amazonaws.com");
    match service {
        "iam" | "organizations" | "route53" | "cloudfront" => format!("{service}.amazonaws.com"),
        "s3" => match params.get("bucketName").and_then(Value::as_str) {
            Some(b) => format!("{b}.s3.{region}.amazonaws.com"),
            None => format!("s3.{region}.amazonaws.com"),
        },
        "signin" => "signin.aws.amazon.com".to_string(),
        "sso" => format!("portal.sso.{region}.amazonaws.com"),
        _ => format!("{service}.{region}.amazonaws.com"),
    }
}

/// Builds one CloudTrail record of `who` calling `api` at `time` in `account`/`region`.
pub fn record(
    rng: &mut SmallRng,
    time: DateTime<Utc>,
    account: &str,
    region: &str,
    who: &Who,
    api: Api,
) -> Value {
    let version = version(rng, api.source, api.data);
    let minor: u32 = version[2..].parse().unwrap_or(0);
    let s3 = api.source == "s3.amazonaws.com";
    let request_id = if s3 {
        hex(rng, 16).to_uppercase()
    } else {
        uuid(rng)
    };
    let mut e = Map::new();
    e.insert("eventVersion".into(), version.into());
    e.insert("userIdentity".into(), who.identity.clone());
    e.insert("eventTime".into(), rfc3339(time).into());
    e.insert("eventSource".into(), api.source.into());
    e.insert("eventName".into(), api.name.into());
    e.insert("awsRegion".into(), region.into());
    e.insert("sourceIPAddress".into(), who.ip.clone().into());
    e.insert("userAgent".into(), who.agent.clone().into());
    let tls_host = (!who.service).then(|| host(api.source, region, &api.params));
    e.insert("requestParameters".into(), api.params);
    e.insert("responseElements".into(), api.response);
    if !api.extra.is_null() {
        e.insert("additionalEventData".into(), api.extra);
    }
    e.insert("requestID".into(), request_id.into());
    e.insert("eventID".into(), uuid(rng).into());
    e.insert("readOnly".into(), api.read_only.into());
    if !api.resources.is_null() {
        e.insert("resources".into(), api.resources);
    }
    e.insert("eventType".into(), api.event_type.into());
    e.insert("managementEvent".into(), (!api.data).into());
    e.insert("recipientAccountId".into(), account.into());
    if api.data {
        e.insert("sharedEventID".into(), uuid(rng).into());
    }
    if let Some(vpce) = &who.vpce {
        e.insert("vpcEndpointId".into(), vpce.clone().into());
        if minor >= 10 {
            e.insert("vpcEndpointAccountId".into(), account.into());
        }
    }
    e.insert(
        "eventCategory".into(),
        if api.data { "Data" } else { "Management" }.into(),
    );
    if let Some(h) = tls_host {
        let (tls, cipher) = if who.agent.contains("aws-sdk-java/1.") {
            ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256")
        } else if rng.random_bool(0.15) {
            ("TLSv1.3", "TLS_AES_256_GCM_SHA384")
        } else {
            ("TLSv1.3", "TLS_AES_128_GCM_SHA256")
        };
        e.insert(
            "tlsDetails".into(),
            json!({"tlsVersion": tls, "cipherSuite": cipher, "clientProvidedHostHeader": h}),
        );
    }
    if who.console {
        e.insert("sessionCredentialFromConsole".into(), "true".into());
    }
    Value::Object(e)
}

/// The `sessionContext` of a role session issued at `created`.
pub fn role_context(issuer: Value, created: DateTime<Utc>, mfa: bool) -> Value {
    json!({
        "sessionIssuer": issuer,
        "webIdFederationData": {},
        "attributes": {"creationDate": rfc3339(created), "mfaAuthenticated": if mfa { "true" } else { "false" }},
    })
}

/// The `sessionIssuer` of a role (`path` is the role's IAM path, `/` for most).
pub fn role_issuer(account: &str, path: &str, role: &str, role_id: &str) -> Value {
    json!({
        "type": "Role",
        "principalId": role_id,
        "arn": format!("arn:aws:iam::{account}:role{path}{role}"),
        "accountId": account,
        "userName": role,
    })
}

/// The `userIdentity` of an assumed-role session.
pub fn assumed_role(
    account: &str,
    role: &str,
    role_id: &str,
    session: &str,
    key: &str,
    context: Value,
) -> Value {
    json!({
        "type": "AssumedRole",
        "principalId": format!("{role_id}:{session}"),
        "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"),
        "accountId": account,
        "accessKeyId": key,
        "sessionContext": context,
    })
}

/// The S3 `resources` of an object call.
pub fn s3_object_resources(account: &str, bucket: &str, key: &str) -> Value {
    json!([
        {"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/{key}")},
        {"accountId": account, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")},
    ])
}

/// The `additionalEventData` S3 writes on object calls.
pub fn s3_extra(rng: &mut SmallRng, bytes_in: u64, bytes_out: u64, auth: bool) -> Value {
    let mut x = json!({
        "SignatureVersion": "SigV4",
        "CipherSuite": "TLS_AES_128_GCM_SHA256",
        "bytesTransferredIn": bytes_in,
        "bytesTransferredOut": bytes_out,
        "x-amz-id-2": format!("{}/{}=", alnum(rng, 40), alnum(rng, 32)),
    });
    if auth {
        x["AuthenticationMethod"] = "AuthHeader".into();
    } else {
        if let Some(o) = x.as_object_mut() {
            o.remove("SignatureVersion");
        }
    }
    x
}
