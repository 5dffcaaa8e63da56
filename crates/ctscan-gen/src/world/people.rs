//! The people of the realistic world: who they are (IAM Identity Center users, SAML users of an external
//! IdP, contractors an identity broker federates), where they work from (their office, shared with
//! colleagues, or their home, one of the two per day) and their working sessions.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde_json::Value;

use super::common::{Who, rng_of};
use super::net;

/// How a person reaches the accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// IAM Identity Center (SSO): permission-set roles.
    Sso,
    /// An external SAML IdP federated into IAM roles.
    Saml,
    /// Federated by the identity broker with `GetFederationToken`.
    Federated,
}

/// One person.
#[derive(Debug, Clone)]
pub struct Person {
    /// `first.last`.
    pub name: &'static str,
    /// How they get in.
    pub kind: Kind,
    /// Their permission set (SSO) or role (SAML); what the broker grants (federated).
    pub access: &'static str,
    /// The office they work from.
    pub office: usize,
    /// Their home address, if they work from home some days.
    pub home: Option<String>,
    /// The accounts they work in.
    pub accounts: Vec<usize>,
    /// Hour (UTC) their day starts.
    pub start_hour: u32,
    /// Share of their sessions in the console rather than the CLI.
    pub console: f64,
    /// Their browser.
    pub browser: &'static str,
    /// Their laptop's CLI prefix (`aws-cli/... <os>`).
    pub cli: &'static str,
}

impl Person {
    /// Their e-mail address (SSO and SAML session names).
    pub fn email(&self) -> String {
        format!("{}@acme.example", self.name)
    }
}

const ROSTER: &[(&str, Kind, &str)] = &[
    ("alice.nguyen", Kind::Sso, "AdministratorAccess"),
    ("bob.martin", Kind::Sso, "PowerUserAccess"),
    ("carol.diaz", Kind::Sso, "PowerUserAccess"),
    ("dave.kowalski", Kind::Sso, "AdministratorAccess"),
    ("erin.walsh", Kind::Sso, "ReadOnlyAccess"),
    ("frank.osei", Kind::Sso, "PowerUserAccess"),
    ("grace.lee", Kind::Sso, "ReadOnlyAccess"),
    ("heidi.schmidt", Kind::Sso, "DataEngineer"),
    ("ivan.petrov", Kind::Saml, "okta-admin"),
    ("judy.chen", Kind::Saml, "okta-developer"),
    ("ken.adams", Kind::Saml, "okta-readonly"),
    ("lena.fischer", Kind::Federated, "contractor-readonly"),
    ("omar.haddad", Kind::Federated, "contractor-deploy"),
];

const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
];

const CLIS: &[&str] = &[
    "aws-cli/2.15.40 md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off",
    "aws-cli/2.15.38 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-28-generic md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off",
    "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/windows#10 md/arch#amd64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off",
];

/// The organization's people, each working in a few of the accounts.
pub fn roster(seed: u64, accounts: usize) -> Vec<Person> {
    ROSTER
        .iter()
        .enumerate()
        .map(|(p, &(name, kind, access))| {
            let mut rng = rng_of(&[seed, 97, p as u64]);
            let mut mine: Vec<usize> = (0..accounts).filter(|_| rng.random_bool(0.6)).collect();
            // The first person administers the first account: its administrator role is always in use.
            if mine.is_empty() || (p == 0 && mine[0] != 0) {
                mine.insert(0, p % accounts);
            }
            Person {
                name,
                kind,
                access,
                office: p % net::OFFICES.len(),
                home: rng.random_bool(0.7).then(|| net::home_ip(seed, p)),
                accounts: mine,
                start_hour: rng.random_range(7..=10),
                console: if kind == Kind::Federated {
                    0.5
                } else {
                    rng.random_range(0.2..0.8)
                },
                browser: BROWSERS[rng.random_range(0..BROWSERS.len())],
                cli: CLIS[rng.random_range(0..CLIS.len())],
            }
        })
        .collect()
}

/// One working session of one person (or of the broker's nightly export) in one account.
#[derive(Debug, Clone)]
pub struct Session {
    /// Index into the roster; `None` for the broker's automation.
    pub person: Option<usize>,
    /// Account index.
    pub a: usize,
    /// Region index where most of its calls go.
    pub r: usize,
    /// When it starts (its login events).
    pub start: DateTime<Utc>,
    /// When it ends.
    pub end: DateTime<Utc>,
    /// Where its calls come from.
    pub ip: String,
    /// Whether it is a console session.
    pub console: bool,
    /// The `userIdentity` of its calls.
    pub identity: Value,
    /// Its user agent (a browser or a CLI prefix).
    pub agent: String,
    /// Whether it may write (not read-only access).
    pub writes: bool,
}

impl Session {
    /// Whether it is working at `t`.
    pub fn active(&self, t: DateTime<Utc>) -> bool {
        self.start + Duration::seconds(15) <= t && t < self.end
    }

    /// Who the session is when it calls `source`/`name` (the CLI names its command in the user agent).
    pub fn who(&self, source: &str, name: &str) -> Who {
        let agent = if self.console || self.person.is_none() {
            self.agent.clone()
        } else {
            format!(
                "{} command/{}.{}",
                self.agent,
                source.trim_end_matches(".amazonaws.com"),
                kebab(name)
            )
        };
        Who {
            identity: self.identity.clone(),
            ip: self.ip.clone(),
            agent,
            vpce: None,
            console: self.console,
            service: false,
        }
    }
}

/// `GetFunction20150331v2` → `get-function`, as the CLI names commands.
pub fn kebab(name: &str) -> String {
    let base = name
        .trim_end_matches("v2")
        .trim_end_matches(|c: char| c.is_ascii_digit());
    let mut out = String::with_capacity(base.len() + 4);
    for (i, c) in base.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}
