//! The fixed cast of the credential chains: their IAM users, roles, keys and session names, where they call
//! from and with which clients. Nothing here is random, so that the ground truth can name it.

/// The IAM users of the chains: (name, `AIDA...` id, long-term `AKIA...` key).
pub(super) const ANA: (&str, &str, &str) = ("ana.ribeiro", "AIDACHAINANARIBEIRO2Q", "AKIACHAINANARIBEIRO2");
pub(super) const PRIYA: (&str, &str, &str) = ("priya.shah", "AIDACHAINPRIYASHAH234", "AKIACHAINPRIYASHAH23");
pub(super) const BUILD_AGENT: (&str, &str, &str) =
    ("build-agent", "AIDACHAINBUILDAGENT23", "AKIACHAINBUILDAGENT2");
pub(super) const LI: (&str, &str, &str) = ("li.wei", "AIDACHAINLIWEI234567Q", "AKIACHAINLIWEIUSER23");

/// Roles: (name, IAM path, `AROA...` id).
pub(super) const DEPLOY_HUB: (&str, &str, &str) = ("deploy-hub", "/", "AROACHAINDEPLOYHUB234");
pub(super) const XACCT: (&str, &str, &str) = ("cross-account-deployer", "/", "AROACHAINXACCTDEPLOY2");
pub(super) const SSO: (&str, &str, &str) = (
    "AWSReservedSSO_DataScientist_3f6a9c2e8b1d4705",
    "/aws-reserved/sso.amazonaws.com/",
    "AROACHAINSSODATASCI23",
);
pub(super) const OKTA: (&str, &str, &str) = ("okta-analyst", "/", "AROACHAINOKTAANALYST2");
pub(super) const EC2: (&str, &str, &str) = ("reporting-ec2", "/", "AROACHAINREPORTINGEC2");
pub(super) const PUBLISHER: (&str, &str, &str) = ("artifact-publisher", "/", "AROACHAINARTIFACTPUB2");
pub(super) const BILLING: (&str, &str, &str) = ("billing-admin", "/", "AROACHAINBILLINGADMIN");
pub(super) const LEGACY: (&str, &str, &str) = ("legacy-batch", "/", "AROACHAINLEGACYBATCH2");

/// Temporary keys the chains hand out.
pub(super) const DEPLOY_HUB_KEY: &str = "ASIACHAINDEPLOYHUB23";
pub(super) const XACCT_KEY: &str = "ASIACHAINXACCTDEPLOY";
pub(super) const SSO_KEY: &str = "ASIACHAINSSOMAYAOKAF";
pub(super) const OKTA_KEY: &str = "ASIACHAINOKTATOMASB2";
pub(super) const EC2_KEY: &str = "ASIACHAINREPORTEC2IN";
pub(super) const PUBLISHER_KEY: &str = "ASIACHAINARTIFACTPUB";
pub(super) const TOKEN_KEY: &str = "ASIACHAINLIWEITOKEN2";
pub(super) const BILLING_KEY: &str = "ASIACHAINBILLINGADMN";
pub(super) const LEGACY_KEY: &str = "ASIACHAINLEGACYBATCH";

pub(super) const SSO_USER: &str = "maya.okafor@acme.example";
pub(super) const SSO_PROVIDER: &str = "AWSSSO_7d3c9a1e5b2f4068_DO_NOT_DELETE";
pub(super) const OKTA_USER: &str = "tomas.berg@acme.example";
pub(super) const INSTANCE: &str = "i-0c4a1e2b3d5f60718";
pub(super) const XACCT_SESSION: &str = "ana.ribeiro-release";
pub(super) const PUBLISHER_SESSION: &str = "build-agent-4711";
pub(super) const LEGACY_SESSION: &str = "nightly-sync";

/// Where the chains' calls come from.
pub(super) mod net {
    /// The office `ana.ribeiro` and `priya.shah` work from.
    pub const OFFICE: &str = "91.204.166.35";
    /// `maya.okafor`'s home.
    pub const MAYA: &str = "86.12.204.77";
    /// `tomas.berg`'s home.
    pub const TOMAS: &str = "92.118.10.54";
    /// IAM Identity Center calling STS for the SSO user (AWS-owned).
    pub const IDENTITY_CENTER: &str = "3.219.55.140";
    /// The instance's address in us-east-1 and elsewhere (AWS-owned EC2 ranges).
    pub const INSTANCE_US: &str = "44.202.17.93";
    pub const INSTANCE_EU: &str = "52.51.187.40";
    /// The laptop outside AWS the instance key is used from.
    pub const LAPTOP: &str = "71.198.44.203";
    /// The CI server `build-agent`'s key lives on.
    pub const CI: &str = "20.42.9.118";
    /// `li.wei`'s home.
    pub const LI: &str = "82.132.219.6";
    /// Where the batch job whose session has no issuance runs (AWS-owned).
    pub const BATCH: &str = "54.78.13.201";
}

/// The clients the chains' principals call with.
pub(super) const CLI_LINUX: &str = "aws-cli/2.15.38 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-28-generic md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off";
pub(super) const CLI_MACOS: &str = "aws-cli/2.15.40 md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off";
pub(super) const CLI_WINDOWS: &str = "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/windows#10 md/arch#amd64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off";
pub(super) const SAML2AWS: &str = "aws-sdk-go/1.51.21 (go1.22.2; darwin; arm64) saml2aws/2.36.15";
pub(super) const IDC_AGENT: &str = "aws-sdk-java/2.25.40 md/io#sync md/http#Apache md/internal ua/2.1 api/STS#2.25.x os/Linux#5.10.215-203.850.amzn2int.x86_64 lang/java#17.0.11 md/OpenJDK_64-Bit_Server_VM#17.0.11+9-LTS md/vendor#Amazon.com_Inc. md/en_US m/E,N";
pub(super) const INSTANCE_AGENT: &str = "aws-sdk-java/2.25.40 Linux/6.1.84-99.169.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.3+9-LTS Java/21.0.3 vendor/Amazon.com_Inc. md/internal io/sync http/Apache cfg/retry-mode/legacy";
pub(super) const BOTO3: &str = "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#5.15.0-1057-azure md/arch#x86_64 lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.84";
pub(super) const BATCH_AGENT: &str =
    "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64 api/s3#1.53.1";
