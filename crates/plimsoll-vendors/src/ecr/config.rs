//! The `[registries.aws]` table of a registry with `type = "ecr"`. The vendor module owns it;
//! `plimsoll-worker` only carries it.

use secrecy::SecretString;
use serde::Deserialize;

/// The role assumed in each member account when nothing else is configured: the one AWS
/// Organizations creates in accounts it creates.
pub const DEFAULT_MEMBER_ROLE: &str = "OrganizationAccountAccessRole";

/// How to reach Amazon ECR: one account and region, or every member account of an AWS
/// Organization (`management_account_role_arn` set).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    /// The region of single-account mode, and of the STS/Organizations calls (default: the
    /// standard chain's `AWS_REGION` / profile region).
    #[serde(default)]
    pub region: Option<String>,
    /// An access key; without it the standard chain (environment, profile, IRSA web
    /// identity, instance role) supplies credentials.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// The secret of `access_key_id`.
    #[serde(default)]
    pub secret_access_key: Option<SecretString>,
    /// Organizations mode: this role (in the management account) lists the member accounts.
    #[serde(default)]
    pub management_account_role_arn: Option<String>,
    /// Organizations mode: the role assumed in each member account (default
    /// `OrganizationAccountAccessRole`).
    #[serde(default)]
    pub member_accounts_role_name: Option<String>,
    /// Only these regions (else every region `ec2:DescribeRegions` lists for the account).
    #[serde(default)]
    pub allow_list_regions: Vec<String>,
    /// Organizations mode: only these member accounts.
    #[serde(default)]
    pub allow_list_member_account_ids: Vec<String>,
    /// Pull through this host instead of `<account>.dkr.ecr.<region>.amazonaws.com` (a VPC
    /// endpoint, a pull-through mirror): `https://host[:port]`, `http://host:port` or
    /// `host[:port]`; `{account_id}` and `{region}` are replaced per registry. Discovery still
    /// asks the ECR API; images are named after this host.
    #[serde(default)]
    pub registry_endpoint: Option<String>,
}

impl AwsConfig {
    /// The member role name.
    pub fn member_role(&self) -> &str {
        self.member_accounts_role_name
            .as_deref()
            .unwrap_or(DEFAULT_MEMBER_ROLE)
    }

    /// Checks what can be checked without asking AWS.
    pub fn validate(&self) -> Result<(), String> {
        if self.access_key_id.is_some() != self.secret_access_key.is_some() {
            return Err("aws: set both access_key_id and secret_access_key, or neither".into());
        }
        if let Some(arn) = &self.management_account_role_arn
            && (!arn.starts_with("arn:") || !arn.contains(":role/"))
        {
            return Err(format!(
                "aws.management_account_role_arn `{arn}` is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
            ));
        }
        for id in &self.allow_list_member_account_ids {
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "aws.allow_list_member_account_ids: `{id}` is not a 12-digit account id"
                ));
            }
        }
        if self.management_account_role_arn.is_none()
            && !self.allow_list_member_account_ids.is_empty()
        {
            return Err(
                "aws.allow_list_member_account_ids needs aws.management_account_role_arn".into(),
            );
        }
        if let Some(endpoint) = &self.registry_endpoint {
            let host = endpoint_host(endpoint);
            if host.is_empty() || host.contains('/') || host.contains('@') {
                return Err(format!(
                    "aws.registry_endpoint `{endpoint}` must be scheme://host[:port] with no path"
                ));
            }
        }
        Ok(())
    }
}

/// `host[:port]` of an endpoint written as a URL or a bare host.
pub(crate) fn endpoint_host(endpoint: &str) -> &str {
    endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"))
        .unwrap_or(endpoint)
        .trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_half_keys_are_refused() {
        let err = toml_like(r#"{"regoin": "eu-west-1"}"#).unwrap_err();
        assert!(err.contains("unknown field `regoin`"), "{err}");
        let c = toml_like(r#"{"access_key_id": "AKIA"}"#).unwrap();
        assert!(c.validate().unwrap_err().contains("both access_key_id"));
        let c = toml_like(r#"{"management_account_role_arn": "OrgRole"}"#).unwrap();
        assert!(c.validate().unwrap_err().contains("not a role ARN"));
        let c = toml_like(r#"{"allow_list_member_account_ids": ["123"]}"#).unwrap();
        assert!(c.validate().unwrap_err().contains("12-digit"));
        let c = toml_like(r#"{"registry_endpoint": "http://h:5000/v2/"}"#).unwrap();
        assert!(c.validate().unwrap_err().contains("no path"));
        let c = toml_like(r#"{"secret_access_key": "wJalr-very-secret", "access_key_id": "A"}"#)
            .unwrap();
        c.validate().unwrap();
        assert!(!format!("{c:?}").contains("wJalr-very-secret"));
        assert_eq!(c.member_role(), DEFAULT_MEMBER_ROLE);
    }

    fn toml_like(json: &str) -> Result<AwsConfig, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }
}
