//! EC2 fleets: a few dozen instances per account and region, each calling AWS with its instance role's
//! session (`assumed-role/<role>/i-...`, `ec2RoleDelivery` 2.0, credentials that change every few hours),
//! and the short-lived workers Auto Scaling launches beside them ([`worker`]). Where an instance's calls
//! leave from ([`super::egress`]): its own public address (a few web and tooling hosts; about a quarter of
//! them get a new one when stopped and started during the archive), or one of its zone's NAT gateway
//! Elastic IPs (most instances, each EIP shared with every private instance of the zone); its own IPv6
//! address in dual-stack VPCs for some services; its private 10.x address through the VPC's interface
//! endpoints, or through the S3 gateway endpoint its subnet routes S3 to.

use rand::Rng;

use super::common::{Call, key, rng_of, weighted};
use super::{net, vpc};

/// One instance role: the app its instances run, how many of a fleet have it, and what they call.
#[derive(Debug)]
pub struct FleetRole {
    /// The IAM role name (the instance profile's role).
    pub name: &'static str,
    /// The app its instances run, if any.
    pub app: Option<&'static str>,
    /// Relative share of a fleet.
    pub share: u32,
    /// Share of its instances in public subnets with their own address.
    pub public: f64,
    /// What its instances call, by weight.
    pub calls: &'static [(Call, u32)],
    /// The SDK user agent of its workload.
    pub agent: &'static str,
}

/// The instance roles of every fleet.
pub const ROLES: &[FleetRole] = &[
    FleetRole {
        name: "orders-api-ec2",
        app: Some("orders-api"),
        share: 30,
        public: 0.0,
        calls: &[
            (("dynamodb.amazonaws.com", "GetItem"), 14),
            (("dynamodb.amazonaws.com", "PutItem"), 8),
            (("dynamodb.amazonaws.com", "Query"), 6),
            (("s3.amazonaws.com", "GetObject"), 10),
            (("s3.amazonaws.com", "PutObject"), 6),
            (("s3.amazonaws.com", "HeadObject"), 4),
            (("kms.amazonaws.com", "Decrypt"), 8),
            (("kms.amazonaws.com", "GenerateDataKey"), 3),
            (("ssm.amazonaws.com", "UpdateInstanceInformation"), 4),
            (("ssm.amazonaws.com", "ListInstanceAssociations"), 2),
            (("secretsmanager.amazonaws.com", "GetSecretValue"), 2),
            (("ssm.amazonaws.com", "GetParameter"), 2),
            (("sts.amazonaws.com", "GetCallerIdentity"), 1),
            (("logs.amazonaws.com", "DescribeLogStreams"), 2),
            (("ec2.amazonaws.com", "DescribeTags"), 2),
        ],
        agent: "aws-sdk-java/2.25.40 Linux/6.1.84-99.169.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.3+9-LTS Java/21.0.3 vendor/Amazon.com_Inc. md/internal io/sync http/Apache cfg/retry-mode/legacy",
    },
    FleetRole {
        name: "checkout-web-ec2",
        app: Some("checkout-web"),
        share: 16,
        public: 0.6,
        calls: &[
            (("dynamodb.amazonaws.com", "GetItem"), 16),
            (("dynamodb.amazonaws.com", "PutItem"), 10),
            (("s3.amazonaws.com", "GetObject"), 12),
            (("s3.amazonaws.com", "HeadObject"), 5),
            (("kms.amazonaws.com", "Decrypt"), 6),
            (("ssm.amazonaws.com", "UpdateInstanceInformation"), 4),
            (("ssm.amazonaws.com", "GetParameter"), 2),
            (("secretsmanager.amazonaws.com", "GetSecretValue"), 1),
            (("ec2.amazonaws.com", "DescribeTags"), 2),
            (("logs.amazonaws.com", "DescribeLogStreams"), 1),
        ],
        agent: "aws-sdk-java/2.25.40 Linux/6.1.84-99.169.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.3+9-LTS Java/21.0.3 vendor/Amazon.com_Inc. md/internal io/sync http/Apache cfg/retry-mode/legacy",
    },
    FleetRole {
        name: "batch-etl-ec2",
        app: Some("batch-etl"),
        share: 14,
        public: 0.0,
        calls: &[
            (("s3.amazonaws.com", "GetObject"), 20),
            (("s3.amazonaws.com", "PutObject"), 14),
            (("s3.amazonaws.com", "ListObjects"), 8),
            (("s3.amazonaws.com", "HeadObject"), 6),
            (("kms.amazonaws.com", "Decrypt"), 6),
            (("kms.amazonaws.com", "GenerateDataKey"), 6),
            (("ssm.amazonaws.com", "UpdateInstanceInformation"), 3),
            (("secretsmanager.amazonaws.com", "GetSecretValue"), 1),
            (("ssm.amazonaws.com", "GetParameter"), 1),
        ],
        agent: "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64 api/s3#1.53.1",
    },
    FleetRole {
        name: "eks-node-group",
        app: None,
        share: 30,
        public: 0.0,
        calls: &[
            (("ec2.amazonaws.com", "DescribeInstances"), 8),
            (("ec2.amazonaws.com", "DescribeNetworkInterfaces"), 6),
            (("ec2.amazonaws.com", "AssignPrivateIpAddresses"), 2),
            (("ec2.amazonaws.com", "CreateNetworkInterface"), 1),
            (("ec2.amazonaws.com", "AttachNetworkInterface"), 1),
            (("ec2.amazonaws.com", "DescribeTags"), 3),
            (("ecr.amazonaws.com", "GetAuthorizationToken"), 4),
            (("ecr.amazonaws.com", "BatchGetImage"), 5),
            (("ecr.amazonaws.com", "GetDownloadUrlForLayer"), 6),
            (("autoscaling.amazonaws.com", "DescribeAutoScalingGroups"), 2),
            (("eks.amazonaws.com", "DescribeCluster"), 2),
            (("sts.amazonaws.com", "GetCallerIdentity"), 2),
            (("s3.amazonaws.com", "GetObject"), 3),
        ],
        agent: "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.21.8 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.149.1 aws-node/v1.18.1",
    },
    FleetRole {
        name: "ops-tools-ec2",
        app: None,
        share: 10,
        public: 0.5,
        calls: &[
            (("ssm.amazonaws.com", "UpdateInstanceInformation"), 6),
            (("ssm.amazonaws.com", "ListInstanceAssociations"), 3),
            (("ec2.amazonaws.com", "DescribeInstances"), 4),
            (("ec2.amazonaws.com", "DescribeInstanceStatus"), 2),
            (("monitoring.amazonaws.com", "GetMetricData"), 5),
            (("monitoring.amazonaws.com", "DescribeAlarms"), 3),
            (("s3.amazonaws.com", "GetObject"), 3),
            (("s3.amazonaws.com", "PutObject"), 2),
            (("logs.amazonaws.com", "CreateLogStream"), 2),
            (("logs.amazonaws.com", "DescribeLogStreams"), 2),
        ],
        agent: "aws-cli/2.15.40 Python/3.11.8 Linux/6.1.84-99.169.amzn2023.x86_64 source/x86_64.amzn.2023 prompt/off command/cloudwatch.get-metric-data",
    },
    FleetRole {
        name: WORKER_ROLE,
        app: Some("batch-etl"),
        share: 0,
        public: 0.0,
        calls: &[
            (("s3.amazonaws.com", "GetObject"), 16),
            (("s3.amazonaws.com", "PutObject"), 10),
            (("s3.amazonaws.com", "HeadObject"), 4),
            (("dynamodb.amazonaws.com", "GetItem"), 6),
            (("dynamodb.amazonaws.com", "PutItem"), 6),
            (("kms.amazonaws.com", "Decrypt"), 5),
            (("kms.amazonaws.com", "GenerateDataKey"), 4),
            (("sts.amazonaws.com", "GetCallerIdentity"), 1),
            (("ssm.amazonaws.com", "UpdateInstanceInformation"), 2),
            (("logs.amazonaws.com", "CreateLogStream"), 2),
            (("ec2.amazonaws.com", "DescribeTags"), 2),
        ],
        agent: "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64 api/s3#1.53.1 batch-worker/3.8.2",
    },
];

/// The instance role of the Auto Scaling group's workers (never part of a fleet).
pub const WORKER_ROLE: &str = "batch-worker-asg";

/// One instance: its id, role, network placement and credential rotation.
#[derive(Debug, Clone)]
pub struct Instance {
    /// `i-0` and 16 hex digits (17 hex characters, like real ids).
    pub id: String,
    /// Index into [`ROLES`].
    pub role: usize,
    /// Availability zone (0..[`net::ZONES`]).
    pub zone: usize,
    /// Account index.
    pub a: usize,
    /// Region index.
    pub r: usize,
    /// Private address in the VPC.
    pub private_ip: String,
    /// Whether it is in a public subnet with an address of its own rather than behind a NAT gateway.
    pub public: bool,
    /// Its own public address (public instances only).
    pub public_ip: Option<String>,
    /// For some public instances: when (seconds after the archive's start) a stop and start gave it a new
    /// public address, and that address (its own too).
    pub moved: Option<(i64, String)>,
    /// The Elastic IPs of its zone's NAT gateway (private instances only).
    pub nat: Vec<String>,
    /// Its own IPv6 address, in dual-stack VPCs.
    pub ipv6: Option<String>,
    /// Percentage (20 to 40) of its calls to dual-stack endpoints that go over IPv6.
    pub ipv6_percent: u64,
    /// The S3 gateway endpoint its subnet routes S3 through, if any.
    pub endpoint: Option<String>,
    /// The VPC the instance runs in.
    pub vpc: String,
    /// How long one set of its role credentials is used, in seconds.
    pub period: i64,
    /// Offset of its credential rotation, in seconds.
    pub phase: i64,
}

impl Instance {
    /// Its role.
    pub fn fleet_role(&self) -> &'static FleetRole {
        &ROLES[self.role]
    }
}

/// Where an instance sits in its VPC: what [`place`] needs to give it its addresses.
struct Placement {
    seed: u64,
    a: usize,
    r: usize,
    /// Its number among the VPC's instances (fleet instances first, then the workers).
    n: usize,
    zone: usize,
    public: bool,
}

/// An instance of `role` at `p` with id `id`, its addresses and credential rotation drawn from `rng`
/// (not yet moved).
fn place(rng: &mut impl Rng, p: &Placement, id: String, role: usize) -> Instance {
    let &Placement {
        seed,
        a,
        r,
        n,
        zone,
        public,
    } = p;
    let endpoint = (!public && rng.random_bool(0.7)).then(|| net::s3_endpoint(seed, a, r));
    let period = rng.random_range(3 * 3600..=6 * 3600);
    let phase = rng.random_range(0..period);
    let ipv6 = vpc::dual_stack(seed, a, r).then(|| vpc::ipv6_address(seed, a, r, zone, &id));
    Instance {
        role,
        zone,
        a,
        r,
        private_ip: net::private_ip(a, r, zone, n),
        public,
        public_ip: public.then(|| net::instance_public_ip(seed, a, r, n)),
        moved: None,
        nat: if public {
            Vec::new()
        } else {
            net::nat_ips(seed, a, r, zone)
        },
        ipv6,
        ipv6_percent: rng.random_range(20..=40),
        endpoint,
        vpc: net::vpc_id(seed, a, r),
        period,
        phase,
        id,
    }
}

/// The fleet of account `a` in region `r` in an archive of `days` days: 24 to 48 instances.
pub fn build(seed: u64, a: usize, r: usize, days: u32) -> Vec<Instance> {
    let mut rng = rng_of(&[seed, 61, a as u64, r as u64]);
    let n = rng.random_range(24..=48);
    let shares: Vec<(usize, u32)> = ROLES
        .iter()
        .enumerate()
        .map(|(i, role)| (i, role.share))
        .collect();
    let span = i64::from(days.max(1)) * 86_400;
    (0..n)
        .map(|i| {
            let role = *weighted(&mut rng, &shares);
            let zone = rng.random_range(0..net::ZONES);
            let public = rng.random_bool(ROLES[role].public);
            let id = format!("i-0{:016x}", key(&[seed, 67, a as u64, r as u64, i as u64]) >> 4);
            let p = Placement {
                seed,
                a,
                r,
                n: i,
                zone,
                public,
            };
            let mut inst = place(&mut rng, &p, id, role);
            if public && rng.random_bool(0.25) {
                let at = rng.random_range(span * 15 / 100..span * 85 / 100);
                inst.moved = Some((at, net::instance_new_public_ip(seed, a, r, i)));
            }
            inst
        })
        .collect()
}

/// Worker `k` of the Auto Scaling group of account `a` in region `r`: a private instance of
/// [`WORKER_ROLE`] in one of the zones, behind that zone's NAT gateway.
pub fn worker(seed: u64, a: usize, r: usize, k: usize) -> Instance {
    let mut rng = rng_of(&[seed, 211, a as u64, r as u64, k as u64]);
    let id = format!("i-0{:016x}", key(&[seed, 213, a as u64, r as u64, k as u64]) >> 4);
    let role = ROLES.iter().position(|x| x.name == WORKER_ROLE).unwrap_or(0);
    let p = Placement {
        seed,
        a,
        r,
        n: 200 + k % 2800,
        zone: k % net::ZONES,
        public: false,
    };
    place(&mut rng, &p, id, role)
}
