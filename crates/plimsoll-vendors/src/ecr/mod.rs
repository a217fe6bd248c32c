//! Amazon ECR: discovery through the ECR API (`DescribeRepositories`, `DescribeImages`, both
//! paginated), pulls through the registry host with the password `GetAuthorizationToken`
//! issues (valid 12 hours, refreshed in the background before it expires).
//!
//! One configured ECR registry may stand for many registry hosts: in Organizations mode
//! ([`org`]) every member account × region is one `<account>.dkr.ecr.<region>.amazonaws.com`.
//! [`resolve`] turns the configuration into those hosts ([`EcrRegistry`], one [`Discovery`]
//! each) plus a per-account account of what happened ([`AccountStatus`]), which
//! `plimsoll registry check` prints.
//!
//! The official AWS SDK does the AWS side (credentials chain, `SigV4`, retries, endpoints,
//! `AWS_ENDPOINT_URL`); the one EC2 call, `DescribeRegions`, is signed with `aws-sigv4`
//! ([`regions`]) because `aws-sdk-ec2` costs minutes of compile for it.

mod config;
mod http;
mod org;
mod regions;
mod token;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_ecr::types::{ImageDetail, TagStatus};
use plimsoll_registry::SharedCredentials;
use time::OffsetDateTime;

use crate::{BoxFuture, Discovery, Error, ListedTag, Network, Result, Vendor};

use crate::ecr::http::AwsHttp;

use crate::ecr::config::endpoint_host;
pub use crate::ecr::config::{AwsConfig, DEFAULT_MEMBER_ROLE};
pub use crate::renewal::RefreshTask;

/// One member account as Organizations mode saw it (single-account mode: the caller's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountStatus {
    /// 12-digit account id.
    pub id: String,
    /// Its name in the organization, when listed.
    pub name: Option<String>,
    /// The regions looked at (empty when the account could not be entered).
    pub regions: Vec<String>,
    /// Why it was skipped (the role could not be assumed, regions not listed), if it was.
    pub error: Option<String>,
}

/// What an ECR configuration resolved to.
pub struct Resolution {
    /// Every account considered.
    pub accounts: Vec<AccountStatus>,
    /// One registry per reachable account × region.
    pub registries: Vec<EcrRegistry>,
}

/// One ECR registry: one account in one region.
pub struct EcrRegistry {
    account_id: String,
    region: String,
    /// The host images are pulled from and named after.
    host: String,
    plain_http: bool,
    ecr: aws_sdk_ecr::Client,
    credentials: SharedCredentials,
    _refresh: RefreshTask,
}

impl std::fmt::Debug for EcrRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcrRegistry")
            .field("account_id", &self.account_id)
            .field("region", &self.region)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl EcrRegistry {
    /// The account id.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Whether pulls go over plain HTTP (a `http://` `registry_endpoint`).
    pub fn plain_http(&self) -> bool {
        self.plain_http
    }

    /// The pull password (`AWS` + the authorization token), scoped by the caller to
    /// [`Discovery::registry`] alone and kept current while this registry lives.
    pub fn credentials(&self) -> SharedCredentials {
        self.credentials.clone()
    }

    fn aws_error(&self, action: &'static str, e: impl std::error::Error + 'static) -> Error {
        Error::Aws {
            target: format!("{} ({}, {})", self.host, self.account_id, self.region),
            action,
            reason: crate::ecr::describe(&e),
        }
    }

    async fn list_repositories(&self, limit: Option<usize>) -> Result<Vec<String>> {
        let mut pages = self
            .ecr
            .describe_repositories()
            .registry_id(&self.account_id)
            .into_paginator()
            .send();
        let mut names = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.aws_error("DescribeRepositories", e))?;
            names.extend(
                page.repositories()
                    .iter()
                    .filter_map(|r| r.repository_name().map(str::to_owned)),
            );
        }
        // ECR lists in no documented order: sort everything, then cap.
        names.sort_unstable();
        names.dedup();
        if let Some(limit) = limit {
            names.truncate(limit);
        }
        Ok(names)
    }

    async fn list_tags(&self, repository: &str) -> Result<Vec<ListedTag>> {
        let mut pages = self
            .ecr
            .describe_images()
            .registry_id(&self.account_id)
            .repository_name(repository)
            .filter(
                aws_sdk_ecr::types::DescribeImagesFilter::builder()
                    .tag_status(TagStatus::Tagged)
                    .build(),
            )
            .into_paginator()
            .send();
        let mut tags = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.aws_error("DescribeImages", e))?;
            for image in page.image_details() {
                tags.extend(listed_tags(image));
            }
        }
        tags.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        tags.dedup_by(|a, b| a.name == b.name);
        Ok(tags)
    }
}

/// One [`ListedTag`] per tag of an image detail: its digest and push time come along.
fn listed_tags(image: &ImageDetail) -> Vec<ListedTag> {
    let digest = image.image_digest().and_then(|d| d.parse().ok());
    let pushed_at = image
        .image_pushed_at()
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t.secs()).ok());
    image
        .image_tags()
        .iter()
        .map(|tag| ListedTag {
            name: tag.clone(),
            digest: digest.clone(),
            pushed_at,
        })
        .collect()
}

impl Discovery for EcrRegistry {
    fn vendor(&self) -> Vendor {
        Vendor::Ecr
    }

    fn registry(&self) -> &str {
        &self.host
    }

    fn repositories(&self, limit: Option<usize>) -> BoxFuture<'_, Result<Vec<String>>> {
        Box::pin(self.list_repositories(limit))
    }

    fn tags<'a>(&'a self, repository: &'a str) -> BoxFuture<'a, Result<Vec<ListedTag>>> {
        Box::pin(self.list_tags(repository))
    }
}

/// An SDK error and its causes on one line, `outer: inner: …`. Not the SDK's
/// `DisplayErrorContext`, which appends the whole raw HTTP response in `Debug` form.
pub(crate) fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(error) = next {
        let text = error.to_string();
        if parts.last().is_none_or(|last| !last.contains(&text)) {
            parts.push(text);
        }
        next = error.source();
    }
    parts.join(": ")
}

/// The standard AWS configuration, with the configured region and static keys if any, sent
/// through `http`. `AWS_ENDPOINT_URL` (and per-service variants) is honoured by the SDK itself.
async fn base_config(aws: &AwsConfig, http: &AwsHttp) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http.sdk.clone());
    if let Some(region) = &aws.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let (Some(key), Some(secret)) = (&aws.access_key_id, &aws.secret_access_key) {
        use secrecy::ExposeSecret as _;
        loader = loader.credentials_provider(aws_credential_types::Credentials::new(
            key.clone(),
            secret.expose_secret().to_owned(),
            None,
            None,
            "plimsoll-config",
        ));
    }
    loader.load().await
}

/// `<account>.dkr.ecr.<region>.amazonaws.com` (`.com.cn` in the China regions), or the
/// configured `registry_endpoint` with its placeholders filled in.
fn registry_host(aws: &AwsConfig, account_id: &str, region: &str) -> (String, bool) {
    if let Some(endpoint) = &aws.registry_endpoint {
        let filled = endpoint
            .replace("{account_id}", account_id)
            .replace("{region}", region);
        let plain = filled.starts_with("http://");
        return (endpoint_host(&filled).to_owned(), plain);
    }
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    (format!("{account_id}.dkr.ecr.{region}.{suffix}"), false)
}

/// Builds the registry of `account_id` in `region`, reached with `credentials`: asks for the
/// first authorization token (so an account without ECR access fails here, once) and starts
/// its refresher.
async fn open_registry(
    aws: &AwsConfig,
    base: &SdkConfig,
    credentials: SharedCredentialsProvider,
    account_id: &str,
    region: &str,
) -> Result<EcrRegistry> {
    let config = base
        .to_builder()
        .credentials_provider(credentials)
        .region(aws_config::Region::new(region.to_owned()))
        .build();
    let ecr = aws_sdk_ecr::Client::new(&config);
    let (host, plain_http) = registry_host(aws, account_id, region);
    let (credentials, refresh) = token::start(ecr.clone(), host.clone()).await?;
    Ok(EcrRegistry {
        account_id: account_id.to_owned(),
        region: region.to_owned(),
        host,
        plain_http,
        ecr,
        credentials,
        _refresh: refresh,
    })
}

/// Resolves an ECR configuration into its registries: the caller's own account in
/// `aws.region` (single-account mode), or every allowed member account × region of the
/// organization (`management_account_role_arn` set). Accounts that cannot be entered are
/// reported in [`Resolution::accounts`] and skipped; only a failure that leaves nothing to
/// look at (no credentials, the management role denied) is an error.
///
/// Every AWS call goes through `network`'s proxy (else `HTTPS_PROXY`/`NO_PROXY`) and trusts
/// its CA certificate besides the system's.
pub async fn resolve(aws: &AwsConfig, network: &Network) -> Result<Resolution> {
    aws.validate()
        .map_err(|reason| Error::AwsConfig { reason })?;
    let http = AwsHttp::new(network)?;
    resolve_through(aws, &base_config(aws, &http).await, &http).await
}

/// [`resolve`] with an AWS configuration of the caller's (an endpoint of its own, other
/// credentials, its own HTTP client); `aws`'s region and keys are not applied again.
pub async fn resolve_with(aws: &AwsConfig, base: &SdkConfig) -> Result<Resolution> {
    resolve_through(aws, base, &AwsHttp::new(&Network::default())?).await
}

async fn resolve_through(aws: &AwsConfig, base: &SdkConfig, http: &AwsHttp) -> Result<Resolution> {
    let resolution = if aws.management_account_role_arn.is_some() {
        org::resolve(aws, base, &http.plain).await?
    } else {
        single_account(aws, base).await?
    };
    let mut hosts = std::collections::BTreeSet::new();
    for registry in &resolution.registries {
        if !hosts.insert(registry.host.clone()) {
            return Err(Error::AwsConfig {
                reason: format!(
                    "aws.registry_endpoint gives several registries the host {}; add {{account_id}} and {{region}} to it",
                    registry.host
                ),
            });
        }
    }
    Ok(resolution)
}

async fn single_account(aws: &AwsConfig, base: &SdkConfig) -> Result<Resolution> {
    let provider = base.credentials_provider().ok_or_else(|| Error::AwsConfig {
        reason: "no AWS credentials: set aws.access_key_id/secret_access_key or configure the standard chain (AWS_ACCESS_KEY_ID, AWS_PROFILE, IRSA, instance role)".into(),
    })?;
    let sts = aws_sdk_sts::Client::new(base);
    let identity = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| Error::Aws {
            target: "STS".into(),
            action: "GetCallerIdentity",
            reason: crate::ecr::describe(&e),
        })?;
    let account_id = identity.account().unwrap_or_default().to_owned();
    let regions = if aws.allow_list_regions.is_empty() {
        let region = base.region().ok_or_else(|| Error::AwsConfig {
            reason: "no AWS region: set aws.region, aws.allow_list_regions or AWS_REGION".into(),
        })?;
        vec![region.to_string()]
    } else {
        aws.allow_list_regions.clone()
    };
    let mut registries = Vec::new();
    for region in &regions {
        registries.push(open_registry(aws, base, provider.clone(), &account_id, region).await?);
    }
    Ok(Resolution {
        accounts: vec![AccountStatus {
            id: account_id,
            name: None,
            regions,
            error: None,
        }],
        registries,
    })
}
