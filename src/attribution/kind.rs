//! What kind of credential a key is: the `kind` column of `sessions`.

/// The kinds of credential CloudTrail shows, named as the `sessions` table writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// An IAM user's (or root's) access key, `AKIA...`.
    LongTermKey,
    /// Credentials of an assumed role (`AssumeRole`, `AssumeRoleWithSAML`, `AssumeRoleWithWebIdentity`).
    RoleSession,
    /// `GetFederationToken` credentials of a federated user.
    FederationToken,
    /// `GetSessionToken` (or console) credentials of an IAM user or root.
    SessionToken,
    /// IAM Identity Center role credentials.
    SsoRoleCredentials,
    /// An EC2 instance profile's credentials.
    InstanceRole,
    /// A role session an AWS service obtained (Lambda, ECS tasks, ...).
    ServiceIssued,
}

impl Kind {
    /// The name in the `sessions` table and in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::LongTermKey => "long-term-key",
            Kind::RoleSession => "role-session",
            Kind::FederationToken => "federation-token",
            Kind::SessionToken => "session-token",
            Kind::SsoRoleCredentials => "sso-role-credentials",
            Kind::InstanceRole => "instance-role",
            Kind::ServiceIssued => "service-issued",
        }
    }

    /// The kind a key's use shows (its identity type, its role's ARN and name) when no issuing event for it is in the data.
    pub fn from_use(
        key: &str,
        identity_type: Option<&str>,
        role: (Option<&str>, Option<&str>),
        ec2_delivery: bool,
    ) -> Kind {
        let (role_arn, role_name) = role;
        let sso = role_name.is_some_and(|n| n.starts_with("AWSReservedSSO_"))
            || role_arn.is_some_and(|r| r.contains("/AWSReservedSSO_"));
        if key.starts_with("AKIA") {
            return Kind::LongTermKey;
        }
        match identity_type {
            Some("IAMUser" | "Root") => Kind::SessionToken,
            Some("FederatedUser") => Kind::FederationToken,
            _ if ec2_delivery => Kind::InstanceRole,
            _ if sso => Kind::SsoRoleCredentials,
            _ => Kind::RoleSession,
        }
    }
}
