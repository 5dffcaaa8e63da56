//! Issuing events: the CloudTrail records that hand out a credential (the new key id is in their
//! `responseElements`), read into [`Issuance`]s that link a new key to the credential or identity that
//! obtained it.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

use super::kind::Kind;

/// The event names that can issue a credential (only successful calls do).
pub const ISSUING_EVENTS: &[&str] = &[
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "GetSessionToken",
    "GetFederationToken",
    "GetRoleCredentials",
    "CreateAccessKey",
];

/// Who called the issuing event, as its `userIdentity` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// `userIdentity.type`.
    pub kind: Option<String>,
    /// `userIdentity.arn`.
    pub arn: Option<String>,
    /// `userIdentity.accountId`.
    pub account: Option<String>,
    /// `userIdentity.accessKeyId`: the parent credential.
    pub key: Option<String>,
    /// `userIdentity.principalId`.
    pub principal_id: Option<String>,
    /// `userIdentity.userName`.
    pub user_name: Option<String>,
    /// `userIdentity.invokedBy`: the service, for `AWSService` callers.
    pub invoked_by: Option<String>,
    /// `userIdentity.identityProvider`.
    pub provider: Option<String>,
    /// `userIdentity.onBehalfOf.userId` (Identity Center).
    pub on_behalf_of: Option<String>,
    /// `userIdentity.sessionContext.attributes.mfaAuthenticated`.
    pub mfa: Option<String>,
}

/// One issuing event's facts about the credential it issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuance {
    /// The new key id.
    pub key: String,
    /// What kind of credential it is.
    pub kind: Kind,
    /// `eventTime`, microseconds since the epoch.
    pub at: i64,
    /// When the credential expires (`responseElements.credentials.expiration`), if it says.
    pub expires: Option<i64>,
    /// `eventName`.
    pub event_name: String,
    /// `eventID`.
    pub event_id: String,
    /// `sharedEventID`, set on the other account's copy of a cross-account call.
    pub shared_event_id: Option<String>,
    /// `recipientAccountId` of this copy.
    pub recipient: Option<String>,
    /// `sourceIPAddress`.
    pub ip: Option<String>,
    /// `userAgent`.
    pub user_agent: Option<String>,
    /// Whether MFA was used (`mfaAuthenticated` of the caller's session, or `additionalEventData.MFAUsed`).
    pub mfa: Option<String>,
    /// The caller.
    pub caller: Caller,
    /// `requestParameters.roleArn`.
    pub role_arn: Option<String>,
    /// `requestParameters.roleSessionName` (or the federated user's name).
    pub session_name: Option<String>,
    /// `requestParameters.sourceIdentity`.
    pub source_identity: Option<String>,
    /// The ARN the new credential acts as (assumed-role, federated-user or IAM user ARN).
    pub arn: Option<String>,
    /// For federated sign-ins (SAML, web identity, Identity Center): the origin identity's type and its
    /// provider-qualified subject; the chain ends here.
    pub federated: Option<(&'static str, String)>,
}

/// The raw columns of one issuing event.
#[derive(Debug, Default)]
pub struct IssuingRow<'a> {
    /// `eventTime` in microseconds.
    pub at: i64,
    /// `eventName`.
    pub event_name: &'a str,
    /// `eventID`.
    pub event_id: &'a str,
    /// `sharedEventID`.
    pub shared_event_id: Option<&'a str>,
    /// `recipientAccountId`.
    pub recipient: Option<&'a str>,
    /// `sourceIPAddress`.
    pub ip: Option<&'a str>,
    /// `userAgent`.
    pub user_agent: Option<&'a str>,
    /// The caller.
    pub caller: Caller,
    /// `requestParameters` JSON text.
    pub request: Option<&'a str>,
    /// `responseElements` JSON text.
    pub response: Option<&'a str>,
    /// `additionalEventData` JSON text.
    pub additional: Option<&'a str>,
}

fn text(v: &Value, path: &[&str]) -> Option<String> {
    let mut v = v;
    for p in path {
        v = v.get(p)?;
    }
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses the expiration forms CloudTrail writes: `Nov 28, 2018, 11:31:59 PM`, `Nov 29, 2018 4:31:59 AM`
/// (both UTC), RFC 3339, or epoch milliseconds.
pub fn parse_expiration(v: &Value) -> Option<i64> {
    if let Some(ms) = v.as_i64() {
        return Some(ms * 1000);
    }
    let s = v.as_str()?.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_micros());
    }
    ["%b %d, %Y, %I:%M:%S %p", "%b %d, %Y %I:%M:%S %p"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc().timestamp_micros())
}

fn is_identity_center(provider: Option<&str>) -> bool {
    provider.is_some_and(|p| p.contains(":saml-provider/AWSSSO_"))
}

impl Issuance {
    /// Drops what only the `sessions` rows show (addresses, agents, MFA, the role and session asked for,
    /// the new ARN), keeping what chains are walked by and which copy of the issuance is kept.
    pub fn keep_only_what_names_actors(&mut self) {
        for field in [
            &mut self.shared_event_id,
            &mut self.ip,
            &mut self.user_agent,
            &mut self.mfa,
            &mut self.role_arn,
            &mut self.session_name,
            &mut self.source_identity,
            &mut self.arn,
            &mut self.caller.user_name,
            &mut self.caller.provider,
            &mut self.caller.on_behalf_of,
            &mut self.caller.mfa,
        ] {
            *field = None;
        }
    }
}

impl Issuance {
    /// The issuance an event records, or `None` when it names no new key (a failed call, a redacted
    /// response, an event that issues nothing).
    pub fn from_row(row: IssuingRow<'_>) -> Option<Issuance> {
        let parse = |t: Option<&str>| t.and_then(|t| serde_json::from_str::<Value>(t).ok());
        let req = parse(row.request).unwrap_or(Value::Null);
        let resp = parse(row.response)?;
        let extra = parse(row.additional).unwrap_or(Value::Null);
        let creds = resp.get("credentials");
        let (key, kind) = match row.event_name {
            "CreateAccessKey" => (text(&resp, &["accessKey", "accessKeyId"])?, Kind::LongTermKey),
            "GetRoleCredentials" => (
                text(&resp, &["roleCredentials", "accessKeyId"])?,
                Kind::SsoRoleCredentials,
            ),
            name => {
                let key = text(&resp, &["credentials", "accessKeyId"])?;
                let kind = match name {
                    "GetSessionToken" => Kind::SessionToken,
                    "GetFederationToken" => Kind::FederationToken,
                    "AssumeRoleWithSAML" if is_identity_center(text(&req, &["principalArn"]).as_deref()) => {
                        Kind::SsoRoleCredentials
                    }
                    "AssumeRoleWithSAML" | "AssumeRoleWithWebIdentity" => Kind::RoleSession,
                    "AssumeRole" if row.caller.kind.as_deref() == Some("AWSService") => {
                        if row.caller.invoked_by.as_deref() == Some("ec2.amazonaws.com") {
                            Kind::InstanceRole
                        } else {
                            Kind::ServiceIssued
                        }
                    }
                    "AssumeRole" => Kind::RoleSession,
                    _ => return None,
                };
                (key, kind)
            }
        };
        let expires = creds
            .and_then(|c| c.get("expiration"))
            .or_else(|| resp.get("roleCredentials").and_then(|c| c.get("expiration")))
            .and_then(parse_expiration);
        let federated = federated_origin(row.event_name, &row.caller, &req, &resp);
        let arn = text(&resp, &["assumedRoleUser", "arn"])
            .or_else(|| text(&resp, &["federatedUser", "arn"]))
            .or_else(|| match row.event_name {
                "GetSessionToken" => row.caller.arn.clone(),
                "CreateAccessKey" => {
                    let user = text(&resp, &["accessKey", "userName"])?;
                    let account = row.caller.account.clone().or(row.recipient.map(String::from))?;
                    Some(format!("arn:aws:iam::{account}:user/{user}"))
                }
                _ => None,
            });
        let session_name = text(&req, &["roleSessionName"]).or_else(|| match row.event_name {
            "GetFederationToken" => text(&req, &["name"]),
            _ => None,
        });
        let mfa = row.caller.mfa.clone().or_else(|| text(&extra, &["MFAUsed"]));
        Some(Issuance {
            key,
            kind,
            at: row.at,
            expires,
            event_name: row.event_name.to_string(),
            event_id: row.event_id.to_string(),
            shared_event_id: row.shared_event_id.map(String::from),
            recipient: row.recipient.map(String::from),
            ip: row.ip.map(String::from),
            user_agent: row.user_agent.map(String::from),
            mfa,
            role_arn: text(&req, &["roleArn"]).or_else(|| match row.event_name {
                "GetRoleCredentials" => {
                    let account = text(&req, &["accountId"])?;
                    Some(format!(
                        "arn:aws:iam::{account}:role/{}",
                        text(&req, &["roleName"])?
                    ))
                }
                _ => None,
            }),
            session_name,
            source_identity: text(&req, &["sourceIdentity"]),
            arn,
            federated,
            caller: row.caller,
        })
    }

    /// Whether this copy of the event is the one logged in the caller's own account (a cross-account
    /// call is logged in both accounts).
    pub fn in_callers_account(&self) -> bool {
        self.caller.account.is_some() && self.caller.account == self.recipient
    }
}

/// The origin a federated sign-in names: `SAMLUser` / `IdentityCenterUser` / `WebIdentityUser` and the
/// provider-qualified subject, or `None` for calls made with a credential.
fn federated_origin(
    event: &str,
    caller: &Caller,
    req: &Value,
    resp: &Value,
) -> Option<(&'static str, String)> {
    match event {
        "AssumeRoleWithSAML" => {
            let provider = text(req, &["principalArn"]).or_else(|| caller.provider.clone());
            let subject = text(resp, &["subject"]).or_else(|| caller.user_name.clone());
            let kind = if is_identity_center(provider.as_deref()) {
                "IdentityCenterUser"
            } else {
                "SAMLUser"
            };
            Some((kind, qualified(provider, subject, caller)))
        }
        "AssumeRoleWithWebIdentity" => {
            let provider = text(resp, &["provider"]).or_else(|| caller.provider.clone());
            let subject = text(resp, &["subjectFromWebIdentityToken"]).or_else(|| caller.user_name.clone());
            Some(("WebIdentityUser", qualified(provider, subject, caller)))
        }
        "GetRoleCredentials" => {
            let who = caller
                .on_behalf_of
                .clone()
                .or_else(|| caller.user_name.clone())
                .or_else(|| caller.principal_id.clone())
                .unwrap_or_default();
            Some(("IdentityCenterUser", who))
        }
        _ => None,
    }
}

fn qualified(provider: Option<String>, subject: Option<String>, caller: &Caller) -> String {
    match (provider, subject) {
        (Some(p), Some(s)) => format!("{p}:{s}"),
        (p, s) => p
            .or(s)
            .or_else(|| caller.principal_id.clone())
            .unwrap_or_default(),
    }
}

/// Microseconds since the epoch of an RFC 3339 time (`sessionContext.attributes.creationDate`).
pub fn parse_time(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc).timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expirations_in_cloudtrails_forms() {
        let want = Some(1_543_447_919_000_000);
        assert_eq!(parse_expiration(&"Nov 28, 2018, 11:31:59 PM".into()), want);
        assert_eq!(parse_expiration(&"Nov 28, 2018 11:31:59 PM".into()), want);
        assert_eq!(parse_expiration(&"2018-11-28T23:31:59Z".into()), want);
        assert_eq!(parse_expiration(&Value::from(1_543_447_919_000_i64)), want);
        assert_eq!(parse_expiration(&"soon".into()), None);
    }

    fn row<'a>(name: &'a str, caller: Caller, req: &'a str, resp: &'a str) -> IssuingRow<'a> {
        IssuingRow {
            at: 1,
            event_name: name,
            event_id: "e",
            recipient: Some("111111111111"),
            caller,
            request: Some(req),
            response: Some(resp),
            ..IssuingRow::default()
        }
    }

    #[test]
    fn kinds_follow_the_issuing_call() {
        let service = Caller {
            kind: Some("AWSService".into()),
            invoked_by: Some("ec2.amazonaws.com".into()),
            ..Caller::default()
        };
        let resp = r#"{"credentials":{"accessKeyId":"ASIAONE","expiration":"Sep 14, 2020, 6:51:49 AM"}}"#;
        let i = Issuance::from_row(row(
            "AssumeRole",
            service,
            r#"{"roleArn":"arn:aws:iam::1:role/r"}"#,
            resp,
        ))
        .unwrap();
        assert_eq!((i.key.as_str(), i.kind), ("ASIAONE", Kind::InstanceRole));
        assert_eq!(i.role_arn.as_deref(), Some("arn:aws:iam::1:role/r"));
        let saml = r#"{"principalArn":"arn:aws:iam::1:saml-provider/AWSSSO_ab_DO_NOT_DELETE","roleArn":"arn:aws:iam::1:role/x"}"#;
        let resp = r#"{"credentials":{"accessKeyId":"ASIATWO"},"subject":"alice@example.com"}"#;
        let i = Issuance::from_row(row("AssumeRoleWithSAML", Caller::default(), saml, resp)).unwrap();
        assert_eq!(i.kind, Kind::SsoRoleCredentials);
        assert_eq!(
            i.federated,
            Some((
                "IdentityCenterUser",
                "arn:aws:iam::1:saml-provider/AWSSSO_ab_DO_NOT_DELETE:alice@example.com".into()
            ))
        );
        let user = Caller {
            kind: Some("IAMUser".into()),
            account: Some("111111111111".into()),
            ..Caller::default()
        };
        let resp = r#"{"accessKey":{"accessKeyId":"AKIANEW","userName":"bob"}}"#;
        let i = Issuance::from_row(row("CreateAccessKey", user, "{}", resp)).unwrap();
        assert_eq!(i.kind, Kind::LongTermKey);
        assert_eq!(i.arn.as_deref(), Some("arn:aws:iam::111111111111:user/bob"));
        assert!(Issuance::from_row(row("AssumeRole", Caller::default(), "{}", "null")).is_none());
    }
}
