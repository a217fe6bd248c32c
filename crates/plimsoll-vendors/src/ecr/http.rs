//! How the AWS calls reach AWS: the registry's `ca_cert` (trusted besides the system's roots)
//! and `proxy` (else `HTTPS_PROXY`/`NO_PROXY`), applied both to the SDK's HTTP client and to
//! the reqwest client that sends the one call signed by hand (`DescribeRegions`).
//!
//! The SDK's default client (aws-smithy-http-client 1.5) reads no proxy from the environment
//! and trusts only the system's roots, so Plimsoll always gives the SDK a client of its own:
//! the default's connector (rustls with aws-lc, as the SDK builds it) plus the proxy and the
//! trust store. `Builder::build_with_connector_fn` is the crate's public (if doc-hidden) way to
//! do that while keeping its per-settings connector cache; its documented `Builder` cannot set
//! a proxy.

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, Connector};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use plimsoll_registry::Credentials;
use url::Url;

use crate::{Error, Network, Result};

/// The clients of the AWS calls of one configured ECR registry.
#[derive(Clone, Debug)]
pub(crate) struct AwsHttp {
    /// For the SDK (`SdkConfig::http_client`).
    pub(crate) sdk: SharedHttpClient,
    /// For `DescribeRegions`.
    pub(crate) plain: reqwest::Client,
}

impl AwsHttp {
    /// Reads `network.ca_cert` (a missing file or one without a certificate is an error naming
    /// the key) and builds both clients.
    pub(crate) fn new(network: &Network) -> Result<Self> {
        let mut plain = reqwest::Client::builder()
            .user_agent(concat!("plimsoll/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(std::time::Duration::from_secs(15));
        let mut trust = TrustStore::default();
        if let Some(path) = &network.ca_cert {
            let config_error = |reason: String| Error::AwsConfig {
                reason: format!("ca_cert {}: {reason}", path.display()),
            };
            let pem = fs_err::read(path).map_err(|e| config_error(e.to_string()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| config_error(e.to_string()))?;
            if certs.is_empty() {
                return Err(config_error("no PEM certificate in the file".into()));
            }
            for cert in certs {
                plain = plain.add_root_certificate(cert);
            }
            trust = trust.with_pem_certificate(pem);
        }
        let proxy = match &network.proxy {
            Some(url) => {
                let mut proxy =
                    reqwest::Proxy::all(url.as_str()).map_err(|e| Error::AwsConfig {
                        reason: format!("proxy {url}: {e}"),
                    })?;
                if let Some(credentials) = &network.proxy_credentials {
                    proxy = proxy.basic_auth(credentials.username(), credentials.password());
                }
                plain = plain.proxy(proxy);
                sdk_proxy(url, network.proxy_credentials.as_ref())?
            }
            None => ProxyConfig::from_env(),
        };
        let tls = TlsContext::builder()
            .with_trust_store(trust)
            .build()
            .map_err(|e| Error::AwsConfig {
                reason: format!("TLS settings of the AWS client: {e}"),
            })?;
        let sdk = Builder::new().build_with_connector_fn(move |settings, components| {
            let mut builder = Connector::builder().proxy_config(proxy.clone());
            if let Some(settings) = settings {
                builder = builder.connector_settings(settings.clone());
            }
            if let Some(components) = components {
                builder.set_sleep_impl(components.sleep_impl());
            }
            builder
                .tls_provider(tls::Provider::Rustls(
                    tls::rustls_provider::CryptoMode::AwsLc,
                ))
                .tls_context(tls.clone())
                .build()
        });
        Ok(AwsHttp {
            sdk,
            plain: plain.build().map_err(|e| Error::AwsConfig {
                reason: format!("the HTTP client of the AWS calls: {e}"),
            })?,
        })
    }
}

/// The instance metadata service (both address families) and the ECS/EKS container
/// credentials endpoints.
const CREDENTIAL_ENDPOINTS: &str = "169.254.169.254,fd00:ec2::254,169.254.170.2,169.254.170.23";

/// The SDK's form of the proxy.
fn sdk_proxy(url: &Url, credentials: Option<&Credentials>) -> Result<ProxyConfig> {
    // The instance-metadata and container-credentials endpoints answer on link-local
    // addresses a proxy cannot reach: the credentials chain asks them directly.
    let config = ProxyConfig::all(url.as_str())
        .map_err(|e| Error::AwsConfig {
            reason: format!("proxy {url}: {e}"),
        })?
        .no_proxy(CREDENTIAL_ENDPOINTS);
    Ok(match credentials {
        Some(c) => config.with_basic_auth(c.username(), c.password()),
        None => config,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_without_a_certificate_is_refused_by_name() {
        let dir = std::env::temp_dir().join(format!("plimsoll-aws-ca-{}", std::process::id()));
        fs_err::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        fs_err::write(&empty, "not a certificate\n").unwrap();
        let network = Network {
            ca_cert: Some(empty.clone()),
            ..Network::default()
        };
        let e = AwsHttp::new(&network).unwrap_err().to_string();
        assert!(e.contains("ca_cert") && e.contains("empty.pem"), "{e}");
        let missing = Network {
            ca_cert: Some(dir.join("missing.pem")),
            ..Network::default()
        };
        let e = AwsHttp::new(&missing).unwrap_err().to_string();
        assert!(e.contains("missing.pem"), "{e}");
        fs_err::remove_dir_all(&dir).unwrap();
    }
}
