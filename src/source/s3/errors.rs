//! Turning S3 and STS errors into reasons a responder can act on: which permission is missing, whether an
//! object was deleted or archived, whether the store was unreachable. Messages carry the error code and
//! S3's own message, never credentials, signatures or request headers.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use thiserror::Error;

/// An S3 SOURCE that cannot be used at all; the run stops.
#[derive(Debug, Error)]
pub enum S3Error {
    /// Not `s3://bucket[/prefix]`.
    #[error("{0}: expected s3://bucket[/prefix]")]
    BadUrl(String),
    /// The role given with `--role-arn` could not be assumed.
    #[error("cannot assume role {role}: {reason}")]
    AssumeRole {
        /// The role ARN.
        role: String,
        /// What STS said.
        reason: String,
    },
    /// No usable credentials were found.
    #[error(
        "no AWS credentials: {0} (use --profile, --role-arn, environment variables, or --no-sign-request for a public bucket)"
    )]
    Credentials(String),
    /// The first listing of the SOURCE failed.
    #[error("cannot list {url}: {reason}")]
    List {
        /// `s3://bucket/prefix`.
        url: String,
        /// Why.
        reason: String,
    },
}

/// An error and its sources as one line of their messages (never `Debug` output, which can carry whole
/// requests and responses); repeated messages are dropped.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        // Service errors of any AWS client (STS too) end in their metadata: show its code and message.
        let text = match e.downcast_ref::<aws_sdk_s3::error::ErrorMetadata>() {
            Some(m) => format!(
                "{}: {}",
                m.code().unwrap_or("error"),
                m.message().unwrap_or("no message")
            ),
            None => e.to_string(),
        };
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

/// The text of the first `<tag>` element of an XML error body.
fn xml_tag<'a>(body: &'a str, tag: &str) -> Option<&'a str> {
    let start = body.find(&format!("<{tag}>"))? + tag.len() + 2;
    let len = body[start..].find(&format!("</{tag}>"))?;
    Some(&body[start..start + len])
}

/// Why STS refused to let us assume a role: its error code and message, read from the error body
/// when the SDK could not model it (S3-compatible stores answer in several XML shapes).
pub fn assume_role_reason(err: &(dyn std::error::Error + 'static)) -> String {
    use aws_sdk_sts::operation::assume_role::AssumeRoleError;
    type StsError = SdkError<AssumeRoleError, aws_sdk_s3::config::http::HttpResponse>;
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(sdk) = e.downcast_ref::<StsError>()
            && let Some(raw) = sdk.raw_response()
        {
            let body = raw
                .body()
                .bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            let code = sdk.code().or_else(|| xml_tag(&body, "Code"));
            let message = sdk.message().or_else(|| xml_tag(&body, "Message"));
            if let (Some(code), Some(message)) = (code, message) {
                return format!("{code}: {message}");
            }
        }
        cur = e.source();
    }
    chain(err)
}

/// What went wrong with one request, in a form fit to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// S3's error code (`AccessDenied`, `NoSuchKey`, ...), when the service answered.
    pub code: Option<String>,
    /// HTTP status, when there was a response.
    pub status: Option<u16>,
    /// A one-line explanation.
    pub message: String,
}

impl Problem {
    /// Describes an SDK error without request details.
    pub fn of<E>(err: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> Problem
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        match err {
            SdkError::ServiceError(_) => {
                let code = err.code().map(str::to_string).or_else(|| match status {
                    // HEAD answers carry no body, hence no code.
                    Some(403) => Some("AccessDenied".into()),
                    Some(404) => Some("NotFound".into()),
                    _ => None,
                });
                let text = err.message().unwrap_or("no message");
                let message = match (&code, status) {
                    (Some(c), _) => format!("{c}: {text}"),
                    (None, Some(s)) => format!("HTTP {s}: {text}"),
                    (None, None) => text.to_string(),
                };
                Problem {
                    code,
                    status,
                    message,
                }
            }
            SdkError::TimeoutError(_) => Problem {
                code: None,
                status,
                message: "timed out (after retries)".into(),
            },
            SdkError::DispatchFailure(d) => {
                let why = if d.is_io() {
                    "connection failed"
                } else if d.is_timeout() {
                    "timed out"
                } else {
                    "request failed"
                };
                Problem {
                    code: None,
                    status,
                    message: format!("{why} (after retries): {}", chain(err)),
                }
            }
            _ => Problem {
                code: None,
                status,
                message: chain(err),
            },
        }
    }

    /// Whether S3 refused the request for lack of permission.
    pub fn is_access_denied(&self) -> bool {
        self.code.as_deref() == Some("AccessDenied") || self.status == Some(403)
    }

    /// Whether the credentials themselves are missing or wrong (every request will fail the same way).
    pub fn is_credentials(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some("InvalidAccessKeyId" | "SignatureDoesNotMatch" | "ExpiredToken" | "InvalidToken")
        ) || self.message.contains("no credentials")
            || self.message.contains("failed to load credentials")
    }
}

/// Category and reason for a listing that failed on one prefix.
pub fn list_failure(problem: &Problem, url: &str) -> (&'static str, String) {
    if problem.is_access_denied() {
        (
            "access denied",
            format!(
                "cannot list: access denied: s3:ListBucket is not allowed on {url} ({})",
                problem.message
            ),
        )
    } else {
        ("cannot list", format!("cannot list: {}", problem.message))
    }
}

/// Whether S3's message blames the KMS key rather than the object permission.
fn mentions_kms(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("kms") || m.contains("ciphertext") || m.contains("customer master key")
}

/// Category and reason for a `GetObject` that failed.
pub fn get_failure(problem: &Problem) -> (&'static str, String) {
    let code = problem.code.as_deref().unwrap_or("");
    if code == "InvalidObjectState" {
        return (
            "archived (restore first)",
            format!(
                "in an archive storage class (Glacier or Deep Archive): restore it first (aws s3api restore-object), then re-run ({})",
                problem.message
            ),
        );
    }
    if problem.is_access_denied() {
        return if mentions_kms(&problem.message) {
            (
                "access denied",
                format!(
                    "access denied: kms:Decrypt is not allowed on the trail's KMS key ({})",
                    problem.message
                ),
            )
        } else {
            (
                "access denied",
                format!(
                    "access denied: s3:GetObject is not allowed on this key ({})",
                    problem.message
                ),
            )
        };
    }
    if code == "NoSuchKey" || problem.status == Some(404) {
        return (
            "deleted since listing",
            format!(
                "no longer exists: deleted between listing and reading ({})",
                problem.message
            ),
        );
    }
    if code == "SlowDown" || problem.status == Some(503) {
        return (
            "throttled",
            format!("still throttled after retries ({})", problem.message),
        );
    }
    ("S3 error", problem.message.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(code: &str, status: u16, message: &str) -> Problem {
        Problem {
            code: Some(code.into()),
            status: Some(status),
            message: format!("{code}: {message}"),
        }
    }

    #[test]
    fn reads_xml_error_bodies() {
        let body = "<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>not you</Message></Error></Errors></ErrorResponse>";
        assert_eq!(xml_tag(body, "Code"), Some("AccessDenied"));
        assert_eq!(xml_tag(body, "Message"), Some("not you"));
        assert_eq!(xml_tag(body, "RequestId"), None);
    }

    #[test]
    fn names_the_missing_permission() {
        let (cat, why) = get_failure(&p("AccessDenied", 403, "Access Denied"));
        assert_eq!(cat, "access denied");
        assert!(why.contains("s3:GetObject"), "{why}");
        let (_, why) = get_failure(&p(
            "AccessDenied",
            403,
            "User: arn:aws:sts::111122223333:assumed-role/r/s is not authorized to perform: kms:Decrypt",
        ));
        assert!(
            why.contains("kms:Decrypt") && !why.contains("s3:GetObject"),
            "{why}"
        );
        let (_, why) = get_failure(&p(
            "AccessDenied",
            403,
            "The ciphertext refers to a customer master key that does not exist",
        ));
        assert!(why.contains("kms:Decrypt"), "{why}");
        assert_eq!(
            get_failure(&p("NoSuchKey", 404, "gone")).0,
            "deleted since listing"
        );
        let (cat, why) = get_failure(&p("InvalidObjectState", 403, "archived"));
        assert_eq!(cat, "archived (restore first)");
        assert!(why.contains("restore"), "{why}");
        assert_eq!(get_failure(&p("SlowDown", 503, "Please reduce")).0, "throttled");
        let (cat, why) = list_failure(&p("AccessDenied", 403, "Access Denied"), "s3://b/AWSLogs/1/");
        assert_eq!(cat, "access denied");
        assert!(
            why.contains("s3:ListBucket") && why.contains("s3://b/AWSLogs/1/"),
            "{why}"
        );
    }
}
