//! Organizations mode: the management role lists the organization's accounts
//! (`organizations:ListAccounts`), the member role is assumed in each allowed member, its
//! regions come from `aws.allow_list_regions` or `ec2:DescribeRegions`, and each account ×
//! region is one registry. The management account's own registries are left out (its
//! registries are scanned, if wanted, by a single-account configuration of their own).
//!
//! A member that refuses (no such role, the trust policy denies, ECR disabled in a region) is
//! logged once, recorded in its [`AccountStatus`], and skipped; the others go on.

use aws_config::SdkConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};

use crate::ecr::{AccountStatus, AwsConfig, Resolution, open_registry, regions};
use crate::{Error, Result};

const SESSION_NAME: &str = "plimsoll-registry-scan";

/// Assumes `role_arn` from `source`; the provider renews its session as it nears expiry.
/// The first credentials are fetched here, so a refusal is reported now, not at first use.
async fn assume(source: &SdkConfig, role_arn: &str) -> Result<SharedCredentialsProvider, String> {
    let provider = AssumeRoleProvider::builder(role_arn)
        .session_name(SESSION_NAME)
        .configure(source)
        .build()
        .await;
    provider
        .provide_credentials()
        .await
        .map_err(|e| crate::ecr::describe(&e))?;
    Ok(SharedCredentialsProvider::new(provider))
}

/// `http` sends `DescribeRegions` (the SDK's calls use `base`'s client).
pub(crate) async fn resolve(
    aws: &AwsConfig,
    base: &SdkConfig,
    http: &reqwest::Client,
) -> Result<Resolution> {
    let management_arn = aws
        .management_account_role_arn
        .as_deref()
        .unwrap_or_default();
    let home_region = base
        .region()
        .map(ToString::to_string)
        .or_else(|| aws.allow_list_regions.first().cloned())
        .ok_or_else(|| Error::AwsConfig {
            reason: "no AWS region for the Organizations calls: set aws.region or AWS_REGION"
                .into(),
        })?;
    let management = assume(base, management_arn)
        .await
        .map_err(|reason| Error::Aws {
            target: management_arn.to_owned(),
            action: "sts:AssumeRole (management account)",
            reason,
        })?;
    let management_config = base
        .to_builder()
        .credentials_provider(management.clone())
        .region(aws_config::Region::new(home_region.clone()))
        .build();
    let organizations = aws_sdk_organizations::Client::new(&management_config);
    let org_error = |action: &'static str, reason: String| Error::Aws {
        target: "AWS Organizations".into(),
        action,
        reason,
    };
    let organization = organizations
        .describe_organization()
        .send()
        .await
        .map_err(|e| {
            org_error(
                "organizations:DescribeOrganization",
                crate::ecr::describe(&e),
            )
        })?;
    let management_id = organization
        .organization()
        .and_then(|o| o.master_account_id())
        .unwrap_or_default()
        .to_owned();
    let mut pages = organizations.list_accounts().into_paginator().send();
    let mut members = Vec::new();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| org_error("organizations:ListAccounts", crate::ecr::describe(&e)))?;
        for account in page.accounts() {
            let Some(id) = account.id() else { continue };
            let active = account
                .state()
                .is_none_or(|s| *s == aws_sdk_organizations::types::AccountState::Active);
            if id == management_id || !active {
                continue;
            }
            if !aws.allow_list_member_account_ids.is_empty()
                && !aws.allow_list_member_account_ids.iter().any(|a| a == id)
            {
                continue;
            }
            members.push((id.to_owned(), account.name().map(str::to_owned)));
        }
    }
    members.sort();
    tracing::info!(
        management = %management_id,
        members = members.len(),
        "organization listed"
    );
    // ARN partition (`aws`, `aws-cn`, `aws-us-gov`) of the member roles: the management role's.
    let partition = management_arn.split(':').nth(1).unwrap_or("aws");
    let mut accounts = Vec::new();
    let mut registries = Vec::new();
    for (id, name) in members {
        let mut status = AccountStatus {
            id: id.clone(),
            name,
            regions: Vec::new(),
            error: None,
        };
        let role = format!("arn:{partition}:iam::{id}:role/{}", aws.member_role());
        let member = match assume(&management_config, &role).await {
            Ok(member) => member,
            Err(reason) => {
                tracing::warn!(account = %id, %role, "cannot assume the member role; skipping the account: {reason}");
                status.error = Some(format!("cannot assume {role}: {reason}"));
                accounts.push(status);
                continue;
            }
        };
        let regions = if aws.allow_list_regions.is_empty() {
            match regions::describe_regions(http, base, &member, &home_region, &id).await {
                // Credentials of one partition reach only its regions; an answer listing
                // others (emulators do) must not make every account look broken.
                Ok(regions) => regions
                    .into_iter()
                    .filter(|r| regions::in_partition(r, partition))
                    .collect(),
                Err(e) => {
                    tracing::warn!(account = %id, "skipping the account: {e}");
                    status.error = Some(e.to_string());
                    accounts.push(status);
                    continue;
                }
            }
        } else {
            aws.allow_list_regions.clone()
        };
        for region in &regions {
            match open_registry(aws, base, member.clone(), &id, region).await {
                Ok(registry) => registries.push(registry),
                Err(e) => {
                    tracing::warn!(account = %id, %region, "skipping the region: {e}");
                    let note = format!("{region}: {e}");
                    status.error = Some(match status.error.take() {
                        Some(before) => format!("{before}; {note}"),
                        None => note,
                    });
                }
            }
        }
        status.regions = regions;
        accounts.push(status);
    }
    Ok(Resolution {
        accounts,
        registries,
    })
}
