//! Request parameters, response elements, resources and additional data of the calls the realistic world
//! makes, shaped like the services write them and naming the organization's own resources ([`Org`]), so
//! that an instance describes itself, an app reads its own table and secrets, and a scanner walks the
//! account's real buckets and keys.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use super::apps::App;
use super::common::{Api, alnum, hex, pick, s3_extra, s3_object_resources, uuid};
use super::org::{BUCKETS, Org, STACKS, TABLES};

/// What a call is about: where it happens and who (which instance, which app) makes it.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The organization.
    pub org: &'a Org,
    /// Account index.
    pub a: usize,
    /// Region index.
    pub r: usize,
    /// The calling instance, for calls about itself.
    pub instance: Option<&'a str>,
    /// The calling application, for its own table, bucket, secrets and parameters.
    pub app: Option<&'static App>,
}

impl Ctx<'_> {
    fn account(&self) -> &str {
        &self.org.accounts[self.a]
    }

    fn region(&self) -> &str {
        &self.org.regions[self.r]
    }

    fn bucket(&self, rng: &mut SmallRng) -> (String, &'static str) {
        let kind = match self.app {
            Some(app) if rng.random_bool(0.85) => app.bucket,
            _ => *pick(rng, BUCKETS),
        };
        (self.org.bucket(self.a, self.r, kind), kind)
    }

    fn table(&self, rng: &mut SmallRng) -> &'static str {
        self.app.map(|a| a.table).unwrap_or_else(|| *pick(rng, TABLES))
    }

    fn instance_id(&self, rng: &mut SmallRng) -> String {
        match self.instance {
            Some(i) => i.to_string(),
            None => pick(rng, &self.org.fleets[self.a][self.r]).id.clone(),
        }
    }

    fn zone(&self, rng: &mut SmallRng) -> String {
        format!("{}{}", self.region(), ['a', 'b', 'c'][rng.random_range(0..3)])
    }
}

/// Whether CloudTrail marks `name` read-only.
pub fn read_only(name: &str) -> bool {
    const READS: &[&str] = &[
        "Describe",
        "List",
        "Get",
        "Head",
        "Lookup",
        "Filter",
        "BatchGet",
        "BatchCheck",
        "Query",
        "Decrypt",
        "GenerateDataKey",
        "AssumeRole",
        "Federate",
    ];
    READS.iter().any(|p| name.starts_with(p))
}

/// Whether `source`/`name` is a data event.
fn data_event(source: &str, name: &str) -> bool {
    matches!(
        (source, name),
        (
            "s3.amazonaws.com",
            "GetObject" | "PutObject" | "HeadObject" | "ListObjects"
        ) | ("dynamodb.amazonaws.com", "GetItem" | "PutItem" | "Query")
            | ("lambda.amazonaws.com", "Invoke")
    )
}

fn s3_key(rng: &mut SmallRng, kind: &str) -> String {
    match kind {
        "data-lake" => format!(
            "raw/orders/dt=2026-03-{:02}/part-{:05}-{}.snappy.parquet",
            rng.random_range(1..29),
            rng.random_range(0..400),
            hex(rng, 8)
        ),
        "artifacts" => format!(
            "builds/{}/{}.zip",
            pick(rng, &["orders-api", "checkout-web", "image-resize"]),
            hex(rng, 40)
        ),
        "backups" => format!(
            "db/{}/2026-03-{:02}/{}.sql.gz",
            pick(rng, TABLES),
            rng.random_range(1..29),
            hex(rng, 8)
        ),
        "logs" => format!("alb/{}/{}.log.gz", rng.random_range(0..24), hex(rng, 16)),
        _ => format!(
            "static/{}/{}.{}",
            pick(rng, &["img", "css", "js", "fonts"]),
            hex(rng, 12),
            pick(rng, &["webp", "css", "js", "woff2"])
        ),
    }
}

fn filter(name: &str, value: &str) -> Value {
    json!({"items": [{"name": name, "valueSet": {"items": [{"value": value}]}}]})
}

fn s3_bucket_call(rng: &mut SmallRng, ctx: &Ctx, name: &'static str, sub: &str) -> Api {
    let (bucket, _) = ctx.bucket(rng);
    let mut params =
        json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{}.amazonaws.com", ctx.region())});
    if !sub.is_empty() {
        params[sub] = "".into();
    }
    let bytes = rng.random_range(200..2000);
    Api::new("s3.amazonaws.com", name, name.starts_with("Get") || name.starts_with("List"))
        .params(params)
        .resources(json!([{"accountId": ctx.account(), "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}]))
        .extra(s3_extra(rng, 0, bytes, true))
}

fn kms(rng: &mut SmallRng, ctx: &Ctx, name: &'static str) -> Api {
    let key = ctx.org.kms_key(ctx.a, ctx.r, rng.random_range(0..3));
    let context = match ctx.app {
        Some(app) if rng.random_bool(0.5) => {
            json!({"aws:dynamodb:tableName": app.table, "aws:dynamodb:subscriberId": ctx.account()})
        }
        _ => {
            let (bucket, kind) = ctx.bucket(rng);
            json!({"aws:s3:arn": format!("arn:aws:s3:::{bucket}/{}", s3_key(rng, kind))})
        }
    };
    let params = match name {
        "Decrypt" => json!({"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": context}),
        "GenerateDataKey" => json!({"keyId": key, "keySpec": "AES_256", "encryptionContext": context}),
        "ListKeys" => json!({"limit": 1000}),
        "ListAliases" => json!({"limit": 100}),
        "GetKeyPolicy" => json!({"keyId": key, "policyName": "default"}),
        _ => json!({"keyId": key}),
    };
    let api = Api::new("kms.amazonaws.com", name, name != "CreateGrant").params(params);
    if name.starts_with("List") {
        api
    } else {
        api.resources(json!([{"accountId": ctx.account(), "type": "AWS::KMS::Key", "ARN": key}]))
    }
}

fn lambda_config(ctx: &Ctx, rng: &mut SmallRng, function: &str, version: &str) -> Value {
    let arn = ctx.org.function_arn(ctx.a, ctx.r, function);
    json!({
        "functionName": function,
        "functionArn": if version == "$LATEST" { arn.clone() } else { format!("{arn}:{version}") },
        "runtime": "python3.12",
        "role": ctx.org.role_arn(ctx.a, "/", &format!("{function}-role")),
        "handler": "app.handler",
        "codeSize": rng.random_range(200_000..9_000_000),
        "description": "",
        "timeout": 30,
        "memorySize": 512,
        "lastModified": "2026-03-02T10:14:33.000+0000",
        "codeSha256": format!("{}=", alnum(rng, 43)),
        "version": version,
        "tracingConfig": {"mode": "PassThrough"},
        "revisionId": uuid(rng),
        "state": "Active",
        "lastUpdateStatus": if version == "$LATEST" { "InProgress" } else { "Successful" },
        "packageType": "Zip",
        "architectures": ["arm64"],
        "ephemeralStorage": {"size": 512},
        "snapStart": {"applyOn": "None", "optimizationStatus": "Off"},
        "loggingConfig": {"logFormat": "Text", "logGroup": format!("/aws/lambda/{function}")},
    })
}

/// The parts of one call by `ctx`'s caller: parameters, response, resources, additional data.
/// A call the caller cannot make (an app without secrets reading one) becomes a nearby call it can make.
pub fn api(rng: &mut SmallRng, ctx: &Ctx, source: &'static str, name: &'static str) -> Api {
    let account = ctx.account().to_string();
    let region = ctx.region().to_string();
    let api = match (source, name) {
        ("s3.amazonaws.com", "GetObject" | "PutObject" | "HeadObject") => {
            let (bucket, kind) = ctx.bucket(rng);
            let key = s3_key(rng, kind);
            let mut params = json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{region}.amazonaws.com"), "key": key});
            let (bytes_in, bytes_out) = match name {
                "PutObject" => {
                    params["x-amz-server-side-encryption"] = "aws:kms".into();
                    (rng.random_range(1_000..20_000_000), 0)
                }
                "GetObject" => (0, rng.random_range(300..30_000_000)),
                _ => (0, 0),
            };
            Api::new(source, name, name != "PutObject")
                .params(params)
                .resources(s3_object_resources(&account, &bucket, &key))
                .extra(s3_extra(rng, bytes_in, bytes_out, true))
        }
        ("s3.amazonaws.com", "ListObjects") => {
            let (bucket, _) = ctx.bucket(rng);
            let bytes = rng.random_range(400..90_000);
            Api::new(source, name, true)
                .params(json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{region}.amazonaws.com"),
                    "list-type": "2", "prefix": pick(rng, &["raw/", "static/", "builds/", "db/"]), "encoding-type": "url"}))
                .resources(json!([{"accountId": account, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}]))
                .extra(s3_extra(rng, 0, bytes, true))
        }
        ("s3.amazonaws.com", "ListBuckets") => {
            let bytes = rng.random_range(400..6000);
            Api::new(source, name, true)
                .params(json!({"Host": format!("s3.{region}.amazonaws.com")}))
                .extra(s3_extra(rng, 0, bytes, true))
        }
        ("s3.amazonaws.com", _) => {
            let sub = match name {
                "GetBucketAcl" => "acl",
                "GetBucketPolicy" => "policy",
                "GetBucketVersioning" => "versioning",
                "GetBucketEncryption" => "encryption",
                "GetBucketLogging" => "logging",
                "GetBucketTagging" => "tagging",
                "GetBucketPublicAccessBlock" => "publicAccessBlock",
                "GetBucketPolicyStatus" => "policyStatus",
                "GetBucketLocation" => "location",
                _ => "",
            };
            s3_bucket_call(rng, ctx, name, sub)
        }
        ("kms.amazonaws.com", _) => kms(rng, ctx, name),
        ("dynamodb.amazonaws.com", "GetItem" | "PutItem" | "Query") => {
            let table = ctx.table(rng);
            let params = match name {
                "Query" => json!({"tableName": table, "indexName": format!("{table}-by-customer"),
                    "keyConditionExpression": "customerId = :c", "limit": 50, "scanIndexForward": false}),
                _ => json!({"tableName": table, "key": {"pk": {"S": format!("{table}#{}", rng.random_range(1..5_000_000))},
                    "sk": {"S": "META"}}, "consistentRead": name == "GetItem" && rng.random_bool(0.3)}),
            };
            Api::new(source, name, name != "PutItem").params(params).resources(json!([{
                "accountId": account, "type": "AWS::DynamoDB::Table",
                "ARN": format!("arn:aws:dynamodb:{region}:{account}:table/{table}")}]))
        }
        ("dynamodb.amazonaws.com", _) => Api::new(source, name, true).params(json!({"tableName": ctx.table(rng)})),
        ("secretsmanager.amazonaws.com", "GetSecretValue" | "DescribeSecret") => match ctx.app {
            Some(app) if !app.secrets.is_empty() => {
                let name_ = app.secrets[rng.random_range(0..app.secrets.len())];
                let secret = ctx.org.secret_arn(ctx.a, ctx.r, name_);
                Api::new(source, name, true).params(json!({"secretId": secret}))
            }
            Some(app) if !app.params.is_empty() => return api(rng, ctx, "ssm.amazonaws.com", "GetParameter"),
            _ => return api(rng, ctx, "dynamodb.amazonaws.com", "GetItem"),
        },
        ("secretsmanager.amazonaws.com", "GetResourcePolicy") => {
            let app = pick(rng, super::apps::APPS);
            let name_ = app.secrets.first().copied().unwrap_or("prod/shared/api-key");
            Api::new(source, name, true).params(json!({"secretId": ctx.org.secret_arn(ctx.a, ctx.r, name_)}))
        }
        ("secretsmanager.amazonaws.com", _) => Api::new(source, name, true).params(json!({"maxResults": 100})),
        ("ssm.amazonaws.com", "GetParameter" | "GetParameters") => match ctx.app {
            Some(app) if !app.params.is_empty() => {
                let p = pick(rng, app.params);
                let params = if name == "GetParameters" {
                    json!({"names": app.params, "withDecryption": true})
                } else {
                    json!({"name": p, "withDecryption": p.ends_with("db-host") || p.ends_with("config")})
                };
                Api::new(source, name, true).params(params)
            }
            Some(app) if !app.secrets.is_empty() => {
                return api(rng, ctx, "secretsmanager.amazonaws.com", "GetSecretValue");
            }
            _ => Api::new(source, "GetParameter", true).params(json!({
                "name": "/aws/service/eks/optimized-ami/1.29/amazon-linux-2/recommended/image_id"})),
        },
        ("ssm.amazonaws.com", "UpdateInstanceInformation") => {
            let instance = ctx.instance_id(rng);
            let ip = ctx
                .org
                .instance(ctx.a, ctx.r, &instance)
                .map(|i| i.private_ip.clone())
                .unwrap_or_else(|| "10.16.1.10".to_string());
            Api::new(source, name, false).params(json!({
                "instanceId": instance, "agentVersion": "3.3.40.0", "agentStatus": "Active",
                "platformType": "Linux", "platformName": "Amazon Linux", "platformVersion": "2023",
                "iPAddress": ip, "computerName": format!("ip-{}.ec2.internal", ip.replace('.', "-")),
                "agentName": "amazon-ssm-agent", "availabilityZone": ctx.zone(rng)}))
        }
        ("ssm.amazonaws.com", "StartSession") => {
            let instance = ctx.instance_id(rng);
            Api::new(source, name, false).params(json!({"target": instance})).response(json!({
                "sessionId": format!("session-{}", hex(rng, 17)),
                "tokenValue": "Value hidden due to security reasons.",
                "streamUrl": format!("wss://ssmmessages.{region}.amazonaws.com/v1/data-channel/{}?role=publish_subscribe", hex(rng, 17))}))
        }
        ("ssm.amazonaws.com", _) => {
            let instance = ctx.instance_id(rng);
            Api::new(source, name, true).params(json!({"instanceId": instance, "maxResults": 50}))
        }
        ("sts.amazonaws.com", "GetCallerIdentity") => Api::new(source, name, true),
        ("ec2.amazonaws.com", _) => ec2(rng, ctx, name),
        ("logs.amazonaws.com", _) => {
            let group = match ctx.app {
                Some(app) => format!("/aws/{}/{}", if app.host == super::apps::Host::Lambda { "lambda" } else { "ec2" }, app.name),
                None => format!("/aws/{}", pick(rng, &["eks/prod-eks/cluster", "lambda/orders-worker", "ssm/commands", "vpc/flow-logs"])),
            };
            let params = match name {
                "CreateLogStream" => json!({"logGroupName": group, "logStreamName": format!("{}/{}", ctx.instance_id(rng), hex(rng, 8))}),
                "DescribeLogStreams" => json!({"logGroupName": group, "orderBy": "LastEventTime", "descending": true, "limit": 1}),
                "DescribeLogGroups" => json!({"logGroupNamePrefix": "/aws/", "limit": 50}),
                "FilterLogEvents" => json!({"logGroupName": group, "startTime": 1_772_400_000_000u64 + rng.random_range(0..5_000_000_000u64),
                    "filterPattern": pick(rng, &["ERROR", "?Exception ?Timeout", "\"status=500\""]), "interleaved": true, "limit": 100}),
                "StartQuery" => json!({"logGroupNames": [group], "startTime": 1_772_400_000u64 + rng.random_range(0..5_000_000u64),
                    "endTime": 1_772_500_000u64, "queryString": "fields @timestamp, @message | filter @message like /ERROR/ | sort @timestamp desc | limit 100"}),
                _ => json!({"logGroupName": group}),
            };
            let response = if name == "StartQuery" { json!({"queryId": uuid(rng)}) } else { Value::Null };
            Api::new(source, name, read_only(name)).params(params).response(response)
        }
        ("monitoring.amazonaws.com", "GetMetricData") => {
            let instance = ctx.instance_id(rng);
            Api::new(source, name, true).params(json!({
                "metricDataQueries": [{"id": "m1", "metricStat": {"metric": {"namespace": "AWS/EC2", "metricName": pick(rng, &["CPUUtilization", "NetworkIn", "StatusCheckFailed"]),
                    "dimensions": [{"name": "InstanceId", "value": instance}]}, "period": 300, "stat": "Average"}, "returnData": true}],
                "startTime": "Mar 2, 2026, 9:00:00 AM", "endTime": "Mar 2, 2026, 12:00:00 PM", "scanBy": "TimestampDescending"}))
        }
        ("monitoring.amazonaws.com", _) => Api::new(source, name, true).params(json!({"maxRecords": 100,
            "stateValue": pick(rng, &["ALARM", "OK", "INSUFFICIENT_DATA"])})),
        ("lambda.amazonaws.com", _) => {
            let f = match ctx.app {
                Some(app) => app.name,
                None => pick(rng, &["orders-worker", "invoice-cron", "image-resize", "audit-forwarder"]),
            };
            match name {
                "ListFunctions20150331" => Api::new(source, name, true).params(json!({"maxItems": 50})),
                "UpdateFunctionCode20150331v2" => {
                    let bucket = ctx.org.bucket(ctx.a, ctx.r, "artifacts");
                    let cfg = lambda_config(ctx, rng, f, "$LATEST");
                    Api::new(source, name, false)
                        .params(json!({"functionName": f, "s3Bucket": bucket, "s3Key": format!("builds/{f}/{}.zip", hex(rng, 40)), "publish": false, "dryRun": false}))
                        .response(cfg)
                }
                "UpdateFunctionConfiguration20150331v2" => {
                    let cfg = lambda_config(ctx, rng, f, "$LATEST");
                    Api::new(source, name, false)
                        .params(json!({"functionName": f, "environment": {}, "timeout": 30, "memorySize": 512}))
                        .response(cfg)
                }
                "PublishVersion20150331" => {
                    let v = rng.random_range(12..90).to_string();
                    let cfg = lambda_config(ctx, rng, f, &v);
                    Api::new(source, name, false)
                        .params(json!({"functionName": f, "codeSha256": cfg["codeSha256"], "description": ""}))
                        .response(cfg)
                }
                "UpdateAlias20150331" => {
                    let v = rng.random_range(12..90).to_string();
                    let arn = ctx.org.function_arn(ctx.a, ctx.r, f);
                    Api::new(source, name, false)
                        .params(json!({"functionName": f, "name": "live", "functionVersion": v}))
                        .response(json!({"aliasArn": format!("{arn}:live"), "name": "live", "functionVersion": v, "description": "", "revisionId": uuid(rng)}))
                }
                _ => Api::new(source, name, true).params(json!({"functionName": f})),
            }
        }
        ("cloudformation.amazonaws.com", _) => {
            let stack = match ctx.app {
                Some(app) if STACKS.contains(&app.name) => app.name,
                _ => pick(rng, STACKS),
            };
            let arn = ctx.org.stack_arn(ctx.a, ctx.r, stack);
            match name {
                "CreateChangeSet" => {
                    let cs = format!("gha-{}", hex(rng, 12));
                    Api::new(source, name, false)
                        .params(json!({"stackName": stack, "changeSetName": cs, "changeSetType": "UPDATE",
                            "templateURL": format!("https://s3.{region}.amazonaws.com/{}/templates/{stack}/{}.yaml", ctx.org.bucket(ctx.a, ctx.r, "artifacts"), hex(rng, 40)),
                            "parameters": [{"parameterKey": "ImageTag", "parameterValue": hex(rng, 12)}, {"parameterKey": "Environment", "parameterValue": "prod"}],
                            "capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
                            "tags": [{"key": "owner", "value": "platform"}, {"key": "repo", "value": format!("acme-corp/{stack}")}]}))
                        .response(json!({"id": arn.replace(":stack/", ":changeSet/").replace(&format!("/{stack}/"), &format!("/{cs}/")), "stackId": arn}))
                }
                "ExecuteChangeSet" | "DescribeChangeSet" => Api::new(source, name, name == "DescribeChangeSet")
                    .params(json!({"stackName": stack, "changeSetName": format!("gha-{}", hex(rng, 12)), "clientRequestToken": uuid(rng)})),
                "UpdateStack" => Api::new(source, name, false)
                    .params(json!({"stackName": stack, "usePreviousTemplate": true, "capabilities": ["CAPABILITY_IAM"],
                        "parameters": [{"parameterKey": "ImageTag", "parameterValue": hex(rng, 12)}, {"parameterKey": "Environment", "usePreviousValue": true}]}))
                    .response(json!({"stackId": arn})),
                "ListStacks" => Api::new(source, name, true).params(json!({"stackStatusFilter": ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"]})),
                _ => Api::new(source, name, true).params(json!({"stackName": arn})),
            }
        }
        ("ecr.amazonaws.com", _) => {
            let repo = match ctx.app {
                Some(app) if app.host == super::apps::Host::Ec2 => app.name,
                _ => pick(rng, &["orders-api", "checkout-web", "batch-etl", "eks/aws-node", "eks/coredns"]),
            };
            let digest = format!("sha256:{}", hex(rng, 64));
            let repo_arn = format!("arn:aws:ecr:{region}:{account}:repository/{repo}");
            let (params, response) = match name {
                "GetAuthorizationToken" => (json!({"registryIds": [account]}), Value::Null),
                "BatchGetImage" => (json!({"registryId": account, "repositoryName": repo, "imageIds": [{"imageTag": format!("v1.{}.{}", rng.random_range(0..40), rng.random_range(0..10))}],
                    "acceptedMediaTypes": ["application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json"]}), Value::Null),
                "GetDownloadUrlForLayer" => (json!({"registryId": account, "repositoryName": repo, "layerDigest": digest}), Value::Null),
                "BatchCheckLayerAvailability" => (json!({"registryId": account, "repositoryName": repo, "layerDigests": [digest, format!("sha256:{}", hex(rng, 64))]}), Value::Null),
                "InitiateLayerUpload" => (json!({"registryId": account, "repositoryName": repo}), json!({"uploadId": uuid(rng), "partSize": 10_485_760})),
                "UploadLayerPart" | "CompleteLayerUpload" => {
                    let upload = uuid(rng);
                    (json!({"registryId": account, "repositoryName": repo, "uploadId": upload, "layerDigests": [digest]}),
                     json!({"registryId": account, "repositoryName": repo, "uploadId": upload, "layerDigest": digest}))
                }
                "PutImage" => {
                    let tag = hex(rng, 12);
                    (json!({"registryId": account, "repositoryName": repo, "imageTag": tag, "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json"}),
                     json!({"image": {"registryId": account, "repositoryName": repo, "imageId": {"imageDigest": digest, "imageTag": tag}, "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json"}}))
                }
                _ => (json!({"registryId": account, "maxResults": 100}), Value::Null),
            };
            let api = Api::new(source, name, read_only(name)).params(params).response(response);
            if name == "GetAuthorizationToken" || name.starts_with("Describe") {
                api
            } else {
                api.resources(json!([{"accountId": account, "ARN": repo_arn}]))
            }
        }
        ("iam.amazonaws.com", _) => {
            let role = pick(rng, &["orders-api-ec2", "checkout-web-ec2", "eks-node-group", "ci-deploy", "orders-worker-role", "cfn-exec-role"]);
            let params = match name {
                "GetRole" | "ListAttachedRolePolicies" | "ListRolePolicies" => json!({"roleName": role}),
                "GetPolicy" => json!({"policyArn": format!("arn:aws:iam::{account}:policy/{role}-policy")}),
                "GetPolicyVersion" => json!({"policyArn": format!("arn:aws:iam::{account}:policy/{role}-policy"), "versionId": format!("v{}", rng.random_range(1..9))}),
                "ListRoles" | "ListPolicies" | "ListUsers" => json!({"maxItems": 1000}),
                "GetUser" => json!({"userName": "federation-broker"}),
                _ => Value::Null,
            };
            Api::new(source, name, read_only(name) || name == "GenerateCredentialReport").params(params)
        }
        ("autoscaling.amazonaws.com", _) => Api::new(source, name, read_only(name)).params(json!({
            "autoScalingGroupNames": [format!("eks-prod-nodes-{}", hex(rng, 8))], "maxRecords": 100})),
        ("elasticloadbalancing.amazonaws.com", _) => Api::new(source, name, read_only(name)).params(json!({
            "targetGroupArn": format!("arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{}/{}", pick(rng, &["orders-api", "checkout-web"]), hex(rng, 16))})),
        ("eks.amazonaws.com", _) => Api::new(source, name, true).params(json!({"name": "prod-eks"})),
        ("sns.amazonaws.com", "Publish") => Api::new(source, name, false)
            .params(json!({"topicArn": format!("arn:aws:sns:{region}:{account}:{}-events", ctx.app.map(|a| a.name).unwrap_or("orders")),
                "messageAttributes": {"type": {"dataType": "String"}}}))
            .response(json!({"messageId": uuid(rng)})),
        ("cloudtrail.amazonaws.com", _) => Api::new(source, name, true).params(match name {
            "DescribeTrails" => json!({"includeShadowTrails": true, "trailNameList": []}),
            _ => json!({"name": format!("arn:aws:cloudtrail:us-east-1:{}:trail/org-trail", ctx.org.accounts[0])}),
        }),
        ("config.amazonaws.com", "PutEvaluations") => {
            let instance = ctx.instance_id(rng);
            Api::new(source, name, false).params(json!({"evaluations": [{"complianceResourceType": "AWS::EC2::Instance",
                "complianceResourceId": instance, "complianceType": pick(rng, &["COMPLIANT", "COMPLIANT", "NON_COMPLIANT"]),
                "orderingTimestamp": "Mar 2, 2026, 10:00:00 AM"}], "resultToken": "", "testMode": false}))
        }
        ("health.amazonaws.com", _) => Api::new(source, name, true).params(json!({"aggregateField": "eventTypeCategory",
            "filter": {"eventStatusCodes": ["open", "upcoming"]}})),
        ("ce.amazonaws.com", _) => Api::new(source, name, true).params(json!({"timePeriod": {"start": "2026-02-01", "end": "2026-03-01"},
            "granularity": "DAILY", "metrics": ["UnblendedCost"], "groupBy": [{"type": "DIMENSION", "key": "SERVICE"}]})),
        _ => Api::new(source, name, read_only(name)).params(json!({
            "maxResults": rng.random_range(1..11) * 50,
            "filters": [{"name": "tag:team", "values": [pick(rng, &["orders", "payments", "platform", "data"])]}],
        })),
    };
    if data_event(api.source, api.name) {
        api.data()
    } else {
        api
    }
}

fn ec2(rng: &mut SmallRng, ctx: &Ctx, name: &'static str) -> Api {
    let account = ctx.account().to_string();
    let instance = ctx.instance_id(rng);
    let vpc = super::net::vpc_id(ctx.org.seed, ctx.a, ctx.r);
    let eni = format!("eni-0{}", hex(rng, 16));
    let sg = format!("sg-0{}", hex(rng, 16));
    let (params, response) = match name {
        "DescribeInstances" if rng.random_bool(0.5) => (
            json!({"instancesSet": {"items": [{"instanceId": instance}]}, "filterSet": {}}),
            Value::Null,
        ),
        "DescribeInstances" => (
            json!({"instancesSet": {}, "filterSet": filter("instance-state-name", "running"), "maxResults": 1000}),
            Value::Null,
        ),
        "DescribeInstanceStatus" => (
            json!({"instancesSet": {"items": [{"instanceId": instance}]}, "filterSet": {}, "includeAllInstances": false}),
            Value::Null,
        ),
        "DescribeTags" => (
            json!({"filterSet": filter("resource-id", &instance)}),
            Value::Null,
        ),
        "DescribeSecurityGroups" => (
            json!({"securityGroupSet": {}, "securityGroupIdSet": {"items": [{"groupId": sg}]}, "filterSet": {}}),
            Value::Null,
        ),
        "DescribeVolumes" => (
            json!({"volumeSet": {}, "filterSet": filter("attachment.instance-id", &instance)}),
            Value::Null,
        ),
        "DescribeSnapshots" => (
            json!({"snapshotSet": {}, "ownersSet": {"items": [{"owner": account}]}, "sharedUsersSet": {}, "filterSet": {}}),
            Value::Null,
        ),
        "DescribeImages" => (
            json!({"executableBySet": {}, "imagesSet": {"items": [{"imageId": format!("ami-0{}", hex(rng, 16))}]},
                   "ownersSet": {}, "includeDeprecated": false, "includeDisabled": false, "filterSet": {}}),
            Value::Null,
        ),
        "DescribeNetworkInterfaces" => (
            json!({"networkInterfaceIdSet": {}, "filterSet": filter("attachment.instance-id", &instance)}),
            Value::Null,
        ),
        "AssignPrivateIpAddresses" => (
            json!({"networkInterfaceId": eni, "secondaryPrivateIpAddressCount": 5}),
            json!({"requestId": uuid(rng), "networkInterfaceId": eni, "assignedPrivateIpAddressesSet": {"assignedPrivateIpAddressSetType":
                (0..5).map(|i| json!({"privateIpAddress": format!("10.{}.{}.{}", super::net::vpc_octet(ctx.a, ctx.r), 32 + i, rng.random_range(10..250))})).collect::<Vec<_>>()}, "_return": true}),
        ),
        "CreateNetworkInterface" => {
            let subnet = format!("subnet-0{}", hex(rng, 16));
            (
                json!({"subnetId": subnet, "description": format!("aws-K8S-{instance}"), "groupSet": {"items": [{"groupId": sg}]},
                       "privateIpAddressesSet": {}, "ipv6AddressCount": 0}),
                json!({"requestId": uuid(rng), "networkInterface": {"networkInterfaceId": eni, "subnetId": subnet, "vpcId": vpc,
                    "availabilityZone": ctx.zone(rng), "description": format!("aws-K8S-{instance}"), "ownerId": account,
                    "requesterManaged": false, "status": "pending", "macAddress": format!("0e:{}:{}:{}:{}:{}", hex(rng, 2), hex(rng, 2), hex(rng, 2), hex(rng, 2), hex(rng, 2)),
                    "privateIpAddress": format!("10.{}.{}.{}", super::net::vpc_octet(ctx.a, ctx.r), rng.random_range(1..48), rng.random_range(10..250)),
                    "sourceDestCheck": true, "interfaceType": "interface", "groupSet": {"items": [{"groupId": sg, "groupName": "eks-cluster-sg"}]},
                    "tagSet": {}}}),
            )
        }
        "AttachNetworkInterface" => (
            json!({"networkInterfaceId": eni, "instanceId": instance, "deviceIndex": rng.random_range(1..3), "networkCardIndex": 0}),
            json!({"requestId": uuid(rng), "attachmentId": format!("eni-attach-0{}", hex(rng, 16)), "networkCardIndex": 0}),
        ),
        "CreateTags" => (
            json!({"resourcesSet": {"items": [{"resourceId": instance}]}, "tagSet": {"items": [{"key": "patch-group", "value": "prod"}]}}),
            json!({"requestId": uuid(rng), "_return": true}),
        ),
        "RunInstances" => {
            let new = format!("i-0{}", hex(rng, 16));
            (
                json!({"instancesSet": {"items": [{"minCount": 1, "maxCount": 1}]},
                       "launchTemplate": {"launchTemplateId": format!("lt-0{}", hex(rng, 16)), "version": "7"},
                       "subnetId": format!("subnet-0{}", hex(rng, 16)), "clientToken": uuid(rng),
                       "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": [{"key": "aws:autoscaling:groupName", "value": "eks-prod-nodes"}]}]}}),
                json!({"requestId": uuid(rng), "reservationId": format!("r-0{}", hex(rng, 16)), "ownerId": account,
                       "instancesSet": {"items": [{"instanceId": new, "imageId": format!("ami-0{}", hex(rng, 16)),
                       "currentState": {"code": 0, "name": "pending"}, "instanceType": "m6i.large", "placement": {"availabilityZone": ctx.zone(rng), "tenancy": "default"},
                       "monitoring": {"state": "disabled"}, "sourceDestCheck": true, "architecture": "x86_64", "rootDeviceType": "ebs"}]}}),
            )
        }
        "TerminateInstances" => (
            json!({"instancesSet": {"items": [{"instanceId": instance}]}}),
            json!({"requestId": uuid(rng), "instancesSet": {"items": [{"instanceId": instance,
                "currentState": {"code": 32, "name": "shutting-down"}, "previousState": {"code": 16, "name": "running"}}]}}),
        ),
        "RebootInstances" => (
            json!({"instancesSet": {"items": [{"instanceId": instance}]}}),
            json!({"requestId": uuid(rng), "_return": true}),
        ),
        _ => (
            json!({"filterSet": filter("vpc-id", &vpc), "maxResults": 200}),
            Value::Null,
        ),
    };
    Api::new("ec2.amazonaws.com", name, read_only(name))
        .params(params)
        .response(response)
}
