//! The organization the realistic world simulates: its accounts and regions, the time span, and the named
//! resources (buckets, KMS keys, tables, stacks, log groups) every actor refers to, so that the same
//! bucket or key shows up across fleets, pipelines, people and AWS services.

use chrono::{DateTime, Duration, Utc};

use super::common::{key, rng_of, text};
use super::fleet::{self, Instance};
use super::people::{self, Person, Session};
use crate::{GenOptions, account_ids, region_names};

/// The kinds of bucket every account has in every region.
pub const BUCKETS: &[&str] = &["app-assets", "data-lake", "artifacts", "backups", "logs"];

/// The DynamoDB tables of every account and region.
pub const TABLES: &[&str] = &["orders", "sessions", "inventory", "invoices"];

/// The CloudFormation stacks of every account and region (what the pipelines update).
pub const STACKS: &[&str] = &[
    "orders-api",
    "checkout-web",
    "network",
    "data-platform",
    "image-resize",
];

/// Everything the actors of one generated archive share, built once and read by every thread.
#[derive(Debug)]
pub struct Org {
    /// The generation seed.
    pub seed: u64,
    /// Account ids, in [`account_ids`] order.
    pub accounts: Vec<String>,
    /// Region names, in [`region_names`] order (index 0 is always `us-east-1`, where global services log).
    pub regions: Vec<String>,
    /// The first instant of the archive.
    pub start: DateTime<Utc>,
    /// Length of the archive in days.
    pub days: u32,
    /// EC2 fleets by account, then region.
    pub fleets: Vec<Vec<Vec<Instance>>>,
    /// The people of the organization.
    pub people: Vec<Person>,
    /// People's working sessions by account, sorted by start (filled by the plan, which may thin them).
    pub sessions: Vec<Vec<Session>>,
    /// The Auto Scaling group's workers by account, then region, sorted by launch (filled by the plan,
    /// which launches them as the event budget allows).
    pub workers: Vec<Vec<Vec<Worker>>>,
}

/// One short-lived Auto Scaling worker: the instance and the span it runs.
#[derive(Debug, Clone)]
pub struct Worker {
    /// The instance.
    pub inst: Instance,
    /// When Auto Scaling launched it.
    pub start: DateTime<Utc>,
    /// When Auto Scaling terminated it (10 to 60 minutes later).
    pub end: DateTime<Utc>,
}

impl Org {
    /// Builds the organization of `opts` (without sessions: the plan schedules those).
    pub fn new(opts: &GenOptions) -> Org {
        let accounts = account_ids(opts.accounts.max(1));
        let regions = region_names(opts.regions.max(1));
        let seed = opts.seed;
        let days = opts.days.max(1);
        let fleets = (0..accounts.len())
            .map(|a| {
                (0..regions.len())
                    .map(|r| fleet::build(seed, a, r, days))
                    .collect()
            })
            .collect();
        Org {
            seed,
            people: people::roster(seed, accounts.len()),
            sessions: vec![Vec::new(); accounts.len()],
            workers: vec![vec![Vec::new(); regions.len()]; accounts.len()],
            accounts,
            regions,
            start: opts.start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
            days,
            fleets,
        }
    }

    /// The instant after the archive's last second.
    pub fn end(&self) -> DateTime<Utc> {
        self.start + Duration::days(i64::from(self.days))
    }

    /// The instance of account `a` in region `r` with id `id`: a fleet instance or a worker.
    pub fn instance(&self, a: usize, r: usize, id: &str) -> Option<&Instance> {
        let fleet = self.fleets[a][r].iter();
        fleet
            .chain(self.workers[a][r].iter().map(|w| &w.inst))
            .find(|i| i.id == id)
    }

    /// The account holding the organization's CloudTrail log bucket (the last one: a log archive account
    /// apart from the others, when there are several).
    pub fn log_account(&self) -> usize {
        self.accounts.len() - 1
    }

    /// The organization trail's log bucket (in `us-east-1` of [`Org::log_account`]), named like many real
    /// ones without "trail", "log" or "audit" in the name.
    pub fn log_bucket(&self) -> String {
        format!("acme-org-evidence-{}", self.accounts[self.log_account()])
    }

    /// The organization's deliberately public bucket (open data and static assets anyone may read), in the
    /// first account's first region.
    pub fn public_bucket(&self) -> String {
        format!("acme-open-data-{}", self.accounts[0])
    }

    /// Bucket `kind` of account `a` in region `r`.
    pub fn bucket(&self, a: usize, r: usize, kind: &str) -> String {
        let acct = &self.accounts[a];
        format!("acme-{}-{kind}-{}", &acct[acct.len() - 4..], self.regions[r])
    }

    /// The ARN of KMS key `n` (0..3) of account `a` in region `r`.
    pub fn kms_key(&self, a: usize, r: usize, n: usize) -> String {
        let h = key(&[self.seed, 31, a as u64, r as u64, n as u64 % 3]);
        let h2 = key(&[h, 1]);
        format!(
            "arn:aws:kms:{}:{}:key/{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            self.regions[r],
            self.accounts[a],
            h >> 32,
            (h >> 16) & 0xffff,
            h & 0xfff,
            (h2 >> 52) & 0xfff,
            h2 & 0xffff_ffff_ffff
        )
    }

    /// The ARN of `role` in account `a` (under `path`, `/` for most roles).
    pub fn role_arn(&self, a: usize, path: &str, role: &str) -> String {
        format!("arn:aws:iam::{}:role{path}{role}", self.accounts[a])
    }

    /// The stable `AROA...` id of `role` in account `a`.
    pub fn role_id(&self, a: usize, role: &str) -> String {
        let mut rng = rng_of(&[self.seed, 37, a as u64, text(role)]);
        super::common::id(&mut rng, "AROA", 17)
    }

    /// The stable `AIDA...` id of IAM user `user` in account `a`.
    pub fn user_id(&self, a: usize, user: &str) -> String {
        let mut rng = rng_of(&[self.seed, 41, a as u64, text(user)]);
        super::common::id(&mut rng, "AIDA", 17)
    }

    /// The ARN of Lambda function `name` of account `a` in region `r`.
    pub fn function_arn(&self, a: usize, r: usize, name: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{name}",
            self.regions[r], self.accounts[a]
        )
    }

    /// The ARN of secret `name` of account `a` in region `r` (with the random suffix Secrets Manager adds).
    pub fn secret_arn(&self, a: usize, r: usize, name: &str) -> String {
        let mut rng = rng_of(&[self.seed, 43, a as u64, r as u64, text(name)]);
        format!(
            "arn:aws:secretsmanager:{}:{}:secret:{name}-{}",
            self.regions[r],
            self.accounts[a],
            super::common::alnum(&mut rng, 6)
        )
    }

    /// The ARN of stack `name` of account `a` in region `r`.
    pub fn stack_arn(&self, a: usize, r: usize, name: &str) -> String {
        let h = key(&[self.seed, 47, a as u64, r as u64, text(name)]);
        format!(
            "arn:aws:cloudformation:{}:{}:stack/{name}/{:08x}-{:04x}-11ee-{:04x}-{:012x}",
            self.regions[r],
            self.accounts[a],
            h >> 32,
            (h >> 16) & 0xffff,
            h & 0xffff,
            key(&[h]) & 0xffff_ffff_ffff
        )
    }

    /// The ECR registry host of account `a` in region `r`.
    pub fn registry(&self, a: usize, r: usize) -> String {
        format!("{}.dkr.ecr.{}.amazonaws.com", self.accounts[a], self.regions[r])
    }
}
