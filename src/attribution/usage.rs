//! What each key did in the window: the usage half of a `sessions` row, and the identity its calls
//! show (which is all there is to go on when no issuing event for the key is in the data).

use std::collections::BTreeSet;

use super::actor::Identity;

/// One key's calls in the window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// First call, microseconds since the epoch.
    pub first: i64,
    /// Last call.
    pub last: i64,
    /// Calls (each event once).
    pub calls: u64,
    /// `recipientAccountId`s of the calls.
    pub accounts: BTreeSet<String>,
    /// `awsRegion`s of the calls.
    pub regions: BTreeSet<String>,
    /// `sourceIPAddress`es of the calls.
    pub ips: BTreeSet<String>,
    /// `userIdentity.type` the calls show.
    pub identity_type: Option<String>,
    /// `userIdentity.arn`.
    pub arn: Option<String>,
    /// `userIdentity.accountId`.
    pub account: Option<String>,
    /// `sessionContext.sessionIssuer.arn`: the role of a role session.
    pub role_arn: Option<String>,
    /// `sessionContext.sessionIssuer.userName`: the role's name.
    pub role_name: Option<String>,
    /// `sessionContext.attributes.creationDate`: when the session began, microseconds.
    pub created: Option<i64>,
    /// `sessionContext.ec2RoleDelivery` was set: instance profile credentials.
    pub ec2_delivery: bool,
    /// The `creationDate` text last parsed: a session's calls repeat it, so it is parsed once.
    pub created_text: Option<String>,
    /// `sessionContext.sourceIdentity`.
    pub source_identity: Option<String>,
}

/// One call's identity columns.
#[derive(Debug, Default)]
pub struct Call<'a> {
    /// `eventTime`, microseconds.
    pub at: i64,
    /// `recipientAccountId`.
    pub recipient: Option<&'a str>,
    /// `awsRegion`.
    pub region: Option<&'a str>,
    /// `sourceIPAddress`.
    pub ip: Option<&'a str>,
    /// The `userIdentity` members that name the caller (type, ARN, account, key).
    pub identity: Identity<'a>,
    /// `sessionContext.sessionIssuer.arn`.
    pub role_arn: Option<&'a str>,
    /// `sessionContext.sessionIssuer.userName`.
    pub role_name: Option<&'a str>,
    /// `sessionContext.attributes.creationDate` as written.
    pub created: Option<&'a str>,
    /// `sessionContext.ec2RoleDelivery` is set.
    pub ec2_delivery: bool,
    /// `sessionContext.sourceIdentity`.
    pub source_identity: Option<&'a str>,
}

fn add(set: &mut BTreeSet<String>, v: Option<&str>) {
    if let Some(v) = v.filter(|v| !v.is_empty())
        && !set.contains(v)
    {
        set.insert(v.to_string());
    }
}

/// Keeps the least value seen, so the result never depends on the order partitions read the calls in
/// (a key's calls normally all show one identity).
fn keep(slot: &mut Option<String>, v: Option<&str>) {
    if let Some(v) = v.filter(|v| !v.is_empty())
        && slot.as_deref().is_none_or(|s| v < s)
    {
        *slot = Some(v.to_string());
    }
}

fn least(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Usage {
    /// Counts one call.
    pub fn add(&mut self, c: &Call<'_>) {
        self.add_identity(c);
        add(&mut self.accounts, c.recipient);
        add(&mut self.regions, c.region);
        add(&mut self.ips, c.ip);
        keep(&mut self.account, c.identity.account);
        keep(&mut self.role_arn, c.role_arn);
        keep(&mut self.role_name, c.role_name);
        keep(&mut self.source_identity, c.source_identity);
        self.ec2_delivery |= c.ec2_delivery;
        if let Some(text) = c.created
            && self.created_text.as_deref() != Some(text)
        {
            let t = super::issuance::parse_time(text);
            self.created = match (self.created, t) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.created_text = Some(text.to_string());
        }
    }

    /// Counts one call, keeping only what names the key's actor when no issuing event does: the times,
    /// the count, the identity type and the ARN.
    pub fn add_identity(&mut self, c: &Call<'_>) {
        if self.calls == 0 || c.at < self.first {
            self.first = c.at;
        }
        if self.calls == 0 || c.at > self.last {
            self.last = c.at;
        }
        self.calls += 1;
        keep(&mut self.identity_type, c.identity.kind);
        keep(&mut self.arn, c.identity.arn);
    }

    /// Folds another partition's count of the same key in.
    pub fn merge(&mut self, o: Usage) {
        if o.calls == 0 {
            return;
        }
        if self.calls == 0 {
            *self = o;
            return;
        }
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
        self.calls += o.calls;
        self.accounts.extend(o.accounts);
        self.regions.extend(o.regions);
        self.ips.extend(o.ips);
        self.identity_type = least(self.identity_type.take(), o.identity_type);
        self.arn = least(self.arn.take(), o.arn);
        self.account = least(self.account.take(), o.account);
        self.role_arn = least(self.role_arn.take(), o.role_arn);
        self.role_name = least(self.role_name.take(), o.role_name);
        self.source_identity = least(self.source_identity.take(), o.source_identity);
        self.ec2_delivery |= o.ec2_delivery;
        self.created = match (self.created, o.created) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}
