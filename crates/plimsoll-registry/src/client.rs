//! The HTTP side: scheme choice, the 401 → challenge → token dance, retries with backoff.
//!
//! Hand-written over reqwest rather than `oci-client` because Plimsoll needs three things that
//! crate does not give: retries with `Retry-After` on every request, credentials strictly
//! scoped per host (`oci-client` takes one auth per call), and errors that name the registry
//! and repository so one failing image is reported precisely.

use std::collections::HashMap;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt, TryStreamExt};
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{Method, Response, StatusCode};
use serde::Deserialize;

use plimsoll_types::Digest;

use crate::auth::{Challenge, CredentialStore, Credentials, parse_challenge};
use crate::manifest::{self, FetchedManifest};
use crate::reference::{api_host, is_loopback_host};
use crate::{Error, Reference, Result};

/// Manifests above this size are refused (Distribution's own limit is 4 `MiB`).
const MAX_MANIFEST_BYTES: u64 = 8 << 20;

/// A stream of blob bytes (unverified: the consumer hashes as it reads).
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// Builds a [`RegistryClient`]; see its fields for defaults.
#[derive(Debug)]
pub struct RegistryClientBuilder {
    credentials: CredentialStore,
    ca_certs: Vec<PathBuf>,
    insecure: bool,
    plain_http: bool,
    proxy: Option<url::Url>,
    proxy_credentials: Option<Credentials>,
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    timeout: Duration,
}

impl Default for RegistryClientBuilder {
    fn default() -> Self {
        RegistryClientBuilder {
            credentials: CredentialStore::new(),
            ca_certs: Vec::new(),
            insecure: false,
            plain_http: false,
            proxy: None,
            proxy_credentials: None,
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            timeout: Duration::from_secs(30),
        }
    }
}

impl RegistryClientBuilder {
    /// Credentials per registry host.
    #[must_use]
    pub fn credentials(mut self, credentials: CredentialStore) -> Self {
        self.credentials = credentials;
        self
    }

    /// Trusts an extra PEM CA certificate (private registries).
    #[must_use]
    pub fn ca_cert(mut self, path: PathBuf) -> Self {
        self.ca_certs.push(path);
        self
    }

    /// Accepts any TLS certificate. For lab registries only.
    #[must_use]
    pub fn insecure(mut self, insecure: bool) -> Self {
        self.insecure = insecure;
        self
    }

    /// Speaks plain HTTP to every registry (loopback registries fall back to it anyway).
    #[must_use]
    pub fn plain_http(mut self, plain_http: bool) -> Self {
        self.plain_http = plain_http;
        self
    }

    /// Sends every request (registry, token realm, vendor API) through this HTTP(S) proxy
    /// instead of the one `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` name.
    #[must_use]
    pub fn proxy(mut self, proxy: Option<url::Url>) -> Self {
        self.proxy = proxy;
        self
    }

    /// Authenticates to the [`proxy`](Self::proxy) with HTTP Basic (`Proxy-Authorization`,
    /// sent to the proxy only, in the `CONNECT` of HTTPS requests). The proxy URL itself must
    /// carry no credentials: they would show wherever the URL does.
    #[must_use]
    pub fn proxy_credentials(mut self, credentials: Option<Credentials>) -> Self {
        self.proxy_credentials = credentials;
        self
    }

    /// Attempts per request on 429/5xx/connection errors (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// First backoff delay; doubles per retry up to the maximum.
    #[must_use]
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<RegistryClient> {
        let mut http = reqwest::Client::builder()
            .user_agent(concat!("plimsoll/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(15))
            .read_timeout(self.timeout)
            .danger_accept_invalid_certs(self.insecure);
        // Vendor APIs get a client that never follows redirects by itself: their credentials
        // travel in headers reqwest does not know to drop (`PRIVATE-TOKEN`), so `api_get`
        // follows same-host redirects only, by hand.
        let mut api_http = reqwest::Client::builder()
            .user_agent(concat!("plimsoll/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(15))
            .read_timeout(self.timeout)
            .danger_accept_invalid_certs(self.insecure)
            .redirect(reqwest::redirect::Policy::none());
        if let Some(proxy) = &self.proxy {
            let proxy = || {
                // No `no_proxy`: a configured proxy takes every request, loopback included.
                let proxy = reqwest::Proxy::all(proxy.as_str()).map_err(|e| Error::Proxy {
                    reason: e.to_string(),
                })?;
                Ok::<_, Error>(match &self.proxy_credentials {
                    Some(c) => proxy.basic_auth(c.username(), c.password()),
                    None => proxy,
                })
            };
            http = http.proxy(proxy()?);
            api_http = api_http.proxy(proxy()?);
        }
        for path in &self.ca_certs {
            let pem = fs_err::read(path).map_err(|e| Error::CaCert {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| Error::CaCert {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            if certs.is_empty() {
                return Err(Error::CaCert {
                    path: path.clone(),
                    reason: "no PEM certificate in file".into(),
                });
            }
            for cert in certs {
                http = http.add_root_certificate(cert.clone());
                api_http = api_http.add_root_certificate(cert);
            }
        }
        Ok(RegistryClient {
            http: http.build().map_err(Error::Client)?,
            api_http: api_http.build().map_err(Error::Client)?,
            credentials: self.credentials,
            plain_http: self.plain_http,
            proxied: self.proxy.is_some(),
            max_attempts: self.max_attempts,
            base_delay: self.base_delay,
            max_delay: self.max_delay,
            hosts: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
        })
    }
}

/// What we learnt about one registry host.
#[derive(Clone, Debug, Default)]
struct HostState {
    /// `http` once an `https` attempt to a loopback host failed and `http` worked.
    http: bool,
    /// The last authentication challenge it sent.
    challenge: Option<Challenge>,
    /// Pulls left in its rate-limit window, from its last `ratelimit-remaining` header
    /// (Docker Hub: `76;w=21600`).
    pulls_remaining: Option<u64>,
}

#[derive(Clone)]
struct Token {
    value: String,
    expires: Instant,
}

/// An OCI Distribution v2 client shared by all pulls of a run. Cheap to share by reference;
/// token and scheme caches are internal.
pub struct RegistryClient {
    http: reqwest::Client,
    /// For vendor APIs: same TLS settings, no automatic redirects.
    pub(crate) api_http: reqwest::Client,
    credentials: CredentialStore,
    plain_http: bool,
    /// Whether requests go through a configured proxy.
    proxied: bool,
    pub(crate) max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    hosts: Mutex<HashMap<String, HostState>>,
    /// Bearer tokens keyed by (realm, service, scope).
    tokens: Mutex<HashMap<(String, String, String), Token>>,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("plain_http", &self.plain_http)
            .finish_non_exhaustive()
    }
}

/// `url` without its query (blob storage's may hold a pre-signed signature), for messages.
fn without_query(url: &str) -> String {
    url.split_once('?').map_or(url, |(u, _)| u).to_owned()
}

/// The manifest media types we accept, most preferred first. Schema 1 is listed so a
/// registry holding only schema 1 answers with it and we can say so clearly.
const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json, \
application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.1, \
application/vnd.docker.distribution.manifest.v1+json;q=0.1";

impl RegistryClient {
    /// A builder with defaults: anonymous, HTTPS (plain HTTP fallback on loopback), 5 attempts.
    pub fn builder() -> RegistryClientBuilder {
        RegistryClientBuilder::default()
    }

    /// A client with this one's transport (TLS settings, proxy, retries) and `credentials`
    /// instead of its own, with empty token caches: for vendors whose pull credentials are
    /// issued at run time and needed by discovery too (Google's access tokens).
    #[must_use]
    pub fn with_credentials(&self, credentials: CredentialStore) -> RegistryClient {
        RegistryClient {
            http: self.http.clone(),
            api_http: self.api_http.clone(),
            credentials,
            plain_http: self.plain_http,
            proxied: self.proxied,
            max_attempts: self.max_attempts,
            base_delay: self.base_delay,
            max_delay: self.max_delay,
            hosts: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// Fetches and parses the manifest `reference` names, verifying its digest.
    pub async fn fetch_manifest(&self, reference: &Reference) -> Result<FetchedManifest> {
        let path = format!(
            "/v2/{}/manifests/{}",
            reference.repository(),
            reference.manifest_reference()
        );
        let what = format!("manifest `{}`", reference.manifest_reference());
        let response = self
            .get(reference, &path, Some(MANIFEST_ACCEPT), &what)
            .await?;
        let content_type = media_type(response.headers());
        let header_digest = header_digest(response.headers());
        let bytes = read_limited(response, MAX_MANIFEST_BYTES, &what).await?;
        // Schema 1 digests cover the payload without its JWS signatures, so a plain sha256
        // would not match; say what it is before checking.
        if content_type.as_deref().is_some_and(is_schema1) {
            return Err(Error::Schema1 {
                reference: reference.to_string(),
            });
        }
        let actual = Digest::sha256_of(&bytes);
        for expected in reference.digest().into_iter().chain(header_digest.as_ref()) {
            if *expected != actual {
                return Err(Error::DigestMismatch {
                    what,
                    expected: expected.clone(),
                    actual,
                });
            }
        }
        manifest::parse(
            &reference.to_string(),
            bytes,
            content_type.as_deref(),
            actual,
        )
    }

    /// The digest of the manifest `reference` names, without downloading it: a `HEAD` with
    /// the same `Accept` list as [`RegistryClient::fetch_manifest`], read from
    /// `Docker-Content-Digest`. A registry that omits the header (or sends a digest that is not
    /// sha256) costs a `GET`, and the digest is the sha256 of the bytes received. For an index
    /// this is the index's digest, not a platform's. A reference pinning a digest must match it.
    pub async fn manifest_digest(&self, reference: &Reference) -> Result<Digest> {
        let path = format!(
            "/v2/{}/manifests/{}",
            reference.repository(),
            reference.manifest_reference()
        );
        let what = format!("manifest `{}`", reference.manifest_reference());
        let mut call = Call {
            method: Method::HEAD,
            registry: reference.registry(),
            resource: Resource::Repository(reference.repository()),
            path: &path,
            accept: Some(MANIFEST_ACCEPT),
            what: &what,
        };
        let response = self.send(&call).await?;
        let digest = if let Some(digest) = header_digest(response.headers()) {
            digest
        } else {
            tracing::debug!(%reference, "no usable Docker-Content-Digest on HEAD; hashing the manifest");
            call.method = Method::GET;
            let response = self.send(&call).await?;
            if media_type(response.headers()).is_some_and(|t| is_schema1(&t)) {
                return Err(Error::Schema1 {
                    reference: reference.to_string(),
                });
            }
            Digest::sha256_of(&read_limited(response, MAX_MANIFEST_BYTES, &what).await?)
        };
        if let Some(pinned) = reference.digest()
            && *pinned != digest
        {
            return Err(Error::DigestMismatch {
                what,
                expected: pinned.clone(),
                actual: digest,
            });
        }
        Ok(digest)
    }

    /// Fetches a small blob (an image config) into memory, verifying its digest.
    pub async fn fetch_blob(
        &self,
        reference: &Reference,
        digest: &Digest,
        max_bytes: u64,
    ) -> Result<Bytes> {
        let what = format!("blob {digest}");
        let response = self
            .get(reference, &blob_path(reference, digest), None, &what)
            .await?;
        let bytes = read_limited(response, max_bytes, &what).await?;
        let actual = Digest::sha256_of(&bytes);
        if actual != *digest {
            return Err(Error::DigestMismatch {
                what,
                expected: digest.clone(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// Opens a blob as a byte stream. The bytes are *not* verified here: the layer walk hashes
    /// them as it consumes them, so the digest check costs no extra pass.
    pub async fn blob_stream(
        &self,
        reference: &Reference,
        digest: &Digest,
    ) -> Result<(Option<u64>, ByteStream)> {
        let what = format!("blob {digest}");
        let response = self
            .get(reference, &blob_path(reference, digest), None, &what)
            .await?;
        let length = response.content_length();
        let stream = response
            .bytes_stream()
            .map_err(|e| std::io::Error::other(e.without_url()));
        Ok((length, Box::pin(stream)))
    }

    /// `GET /v2/` with the registry's authentication flow: whether the registry answers and
    /// accepts the credentials (or anonymous access), for `plimsoll registry check`.
    pub async fn ping(&self, registry: &str) -> Result<()> {
        crate::listing::check_registry(registry)?;
        self.send(&Call {
            method: Method::GET,
            registry,
            resource: Resource::Root,
            path: "/v2/",
            accept: None,
            what: "the API root (`/v2/`)",
        })
        .await
        .map(drop)
    }

    /// GET of something in `reference`'s repository; see [`RegistryClient::send`].
    async fn get(
        &self,
        reference: &Reference,
        path: &str,
        accept: Option<&str>,
        what: &str,
    ) -> Result<Response> {
        self.send(&Call {
            method: Method::GET,
            registry: reference.registry(),
            resource: Resource::Repository(reference.repository()),
            path,
            accept,
            what,
        })
        .await
    }

    /// One request with scheme choice, auth and retries. Non-success statuses become errors.
    pub(crate) async fn send(&self, call: &Call<'_>) -> Result<Response> {
        let host = api_host(call.registry);
        let mut authenticated_after_challenge = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let url = format!("{}://{host}{}", self.scheme(host), call.path);
            let mut request = self.http.request(call.method.clone(), &url);
            if let Some(accept) = call.accept {
                request = request.header(ACCEPT, accept);
            }
            if let Some(value) = self
                .authorization(host, call.registry, call.resource)
                .await?
            {
                request = request.header(AUTHORIZATION, sensitive(&value)?);
            }
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) if e.is_connect() && self.try_plain_http(host) => {
                    tracing::debug!(%host, "https failed on a loopback registry; retrying over plain http");
                    attempt -= 1;
                    continue;
                }
                Err(e)
                    if attempt < self.max_attempts
                        && (e.is_connect() || e.is_timeout() || e.is_request()) =>
                {
                    count_response(host, "error".to_owned());
                    let delay = self.backoff(attempt, None);
                    tracing::warn!(%url, attempt, ?delay, error = %e, "request failed; retrying");
                    tokio::time::sleep(delay).await;
                    continue;
                }
                Err(source) if attempt >= self.max_attempts && attempt > 1 => {
                    count_response(host, "error".to_owned());
                    return Err(Error::RetriesExhausted {
                        url,
                        attempts: attempt,
                        last: source.to_string(),
                    });
                }
                Err(source) => {
                    count_response(host, "error".to_owned());
                    return Err(Error::Transport { url, source });
                }
            };
            let status = response.status();
            count_response(host, status.as_u16().to_string());
            if let Some(refused) = self.proxy_refusal(&url, &response) {
                return Err(refused);
            }
            if let Some(remaining) = pulls_remaining(response.headers()) {
                self.host_state(host, |s| s.pulls_remaining = Some(remaining));
            }
            if status.is_success() {
                return Ok(response);
            }
            if status == StatusCode::UNAUTHORIZED && !authenticated_after_challenge {
                let challenge = response
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_challenge);
                if let Some(challenge) = challenge {
                    self.host_state(host, |s| s.challenge = Some(challenge));
                    authenticated_after_challenge = true;
                    attempt -= 1;
                    continue;
                }
            }
            if is_retryable(status) && attempt < self.max_attempts {
                let delay = self.backoff(attempt, retry_after(response.headers()));
                tracing::warn!(%url, status = status.as_u16(), attempt, ?delay, "registry asked us to back off; retrying");
                tokio::time::sleep(delay).await;
                continue;
            }
            let detail = error_detail(response).await;
            return Err(match status {
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    call.resource.refused(call.registry, status, detail)
                }
                StatusCode::NOT_FOUND => Error::NotFound {
                    what: call.what.to_owned(),
                    detail,
                },
                s if is_retryable(s) => Error::RetriesExhausted {
                    url,
                    attempts: attempt,
                    last: format!("{}{detail}", s.as_u16()),
                },
                s => Error::Status {
                    url,
                    status: s.as_u16(),
                    detail,
                },
            });
        }
    }

    /// The error for a `response` the proxy gave instead of forwarding the request: a 407,
    /// or through a configured proxy a 401 without `Via` to a plain-HTTP URL. A proxy adds
    /// `Via` to every response it forwards (RFC 9110 §7.6.3), so a registry's own 401 has one;
    /// tinyproxy answers a wrong proxy password with a 401 of its own, which has none. (HTTPS
    /// goes through a `CONNECT` tunnel: its 401s are always the registry's.)
    pub(crate) fn proxy_refusal(&self, url: &str, response: &Response) -> Option<Error> {
        let status = response.status();
        let proxy_said_401 = self.proxied
            && status == StatusCode::UNAUTHORIZED
            && url.starts_with("http://")
            && !response.headers().contains_key(reqwest::header::VIA);
        if status != StatusCode::PROXY_AUTHENTICATION_REQUIRED && !proxy_said_401 {
            return None;
        }
        Some(Error::ProxyRefused {
            url: without_query(url),
            status: status.as_u16(),
            what: if proxy_said_401 {
                ""
            } else {
                ": Proxy Authentication Required"
            },
        })
    }

    /// Pulls `registry` said were left in its rate-limit window, in its last answer that had a
    /// `ratelimit-remaining` header (Docker Hub sends one on manifest requests).
    pub fn pulls_remaining(&self, registry: &str) -> Option<u64> {
        self.host_state(api_host(registry), |s| s.pulls_remaining)
    }

    pub(crate) fn scheme(&self, host: &str) -> &'static str {
        if self.plain_http || self.host_state(host, |s| s.http) {
            "http"
        } else {
            "https"
        }
    }

    /// Switches a loopback host to plain HTTP once; false if already done or not loopback.
    fn try_plain_http(&self, host: &str) -> bool {
        if self.plain_http || !is_loopback_host(host) {
            return false;
        }
        self.host_state(host, |s| !std::mem::replace(&mut s.http, true))
    }

    fn host_state<T>(&self, host: &str, f: impl FnOnce(&mut HostState) -> T) -> T {
        // A poisoned lock only means another task panicked mid-update of a cache; the data is
        // still a valid cache, so keep using it.
        let mut hosts = self
            .hosts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(hosts.entry(host.to_owned()).or_default())
    }

    /// The `Authorization` value for a request to `host`, per the last challenge it sent.
    async fn authorization(
        &self,
        host: &str,
        registry: &str,
        resource: Resource<'_>,
    ) -> Result<Option<String>> {
        let credentials = self.credentials.get(registry);
        match self.host_state(host, |s| s.challenge.clone()) {
            None => Ok(None),
            Some(Challenge::Basic) => Ok(credentials.as_ref().map(Credentials::basic_header)),
            Some(Challenge::Bearer { realm, service, .. }) => {
                let token = self
                    .token(
                        &realm,
                        service.as_deref(),
                        resource,
                        host,
                        registry,
                        credentials.as_ref(),
                    )
                    .await?;
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }

    /// A bearer token for `resource`'s scope, from the cache or the realm.
    async fn token(
        &self,
        realm: &str,
        service: Option<&str>,
        resource: Resource<'_>,
        host: &str,
        registry: &str,
        credentials: Option<&Credentials>,
    ) -> Result<String> {
        let scope = resource.scope();
        let key = (
            realm.to_owned(),
            service.unwrap_or_default().to_owned(),
            scope.clone(),
        );
        {
            let tokens = self
                .tokens
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(token) = tokens.get(&key).filter(|t| t.expires > Instant::now()) {
                return Ok(token.value.clone());
            }
        }
        let token_error = |reason: String| Error::Token {
            realm: realm.to_owned(),
            reason,
        };
        let mut url =
            url::Url::parse(realm).map_err(|e| token_error(format!("invalid realm URL: {e}")))?;
        // The registry names its token realm, so sending the registry's own credentials there
        // is the protocol; but never in clear text to a different host.
        let same_host = url
            .host_str()
            .is_some_and(|h| host.split(':').next() == Some(h));
        let credentials = credentials.filter(|_| url.scheme() == "https" || same_host);
        if credentials.is_none() && self.credentials.get(registry).is_some() {
            tracing::warn!(realm = %url, "not sending credentials to a plain-http token realm on another host; requesting an anonymous token");
        }
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = service {
                query.append_pair("service", service);
            }
            if !scope.is_empty() {
                query.append_pair("scope", &scope);
            }
        }
        let mut attempt = 0;
        let response = loop {
            attempt += 1;
            let mut request = self.http.get(url.clone());
            if let Some(c) = credentials {
                request = request.header(AUTHORIZATION, sensitive(&c.basic_header())?);
            }
            match request.send().await {
                Ok(r) if is_retryable(r.status()) && attempt < self.max_attempts => {
                    tokio::time::sleep(self.backoff(attempt, retry_after(r.headers()))).await;
                }
                Ok(r) => break r,
                Err(e) if attempt < self.max_attempts && (e.is_connect() || e.is_timeout()) => {
                    tokio::time::sleep(self.backoff(attempt, None)).await;
                }
                Err(e) => return Err(token_error(e.to_string())),
            }
        };
        let status = response.status();
        if let Some(refused) = self.proxy_refusal(url.as_str(), &response) {
            return Err(refused);
        }
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            let detail = error_detail(response).await;
            // The realm refusing to issue a token is an authentication failure whatever its
            // status: report it as a 401 of the resource.
            return Err(resource.refused(registry, StatusCode::UNAUTHORIZED, detail));
        }
        if !status.is_success() {
            return Err(token_error(format!("status {}", status.as_u16())));
        }
        let body: TokenResponse = response
            .json()
            .await
            .map_err(|e| token_error(format!("malformed token response: {e}")))?;
        let value = body
            .token
            .or(body.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| token_error("response has no token".into()))?;
        // The spec's default lifetime is 60 s; renew 10 s early so a token never expires in flight.
        let lifetime = Duration::from_secs(body.expires_in.unwrap_or(60).max(20) - 10);
        let mut tokens = self
            .tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        tokens.insert(
            key,
            Token {
                value: value.clone(),
                expires: Instant::now() + lifetime,
            },
        );
        Ok(value)
    }

    /// Exponential backoff from the base delay, or the server's `Retry-After`, capped.
    pub(crate) fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exponential = self.base_delay.saturating_mul(1 << (attempt - 1).min(16));
        // Spread retries of parallel workers a little so they do not hit the registry in step.
        let jitter = Duration::from_millis(u64::from(std::process::id() % 7 + attempt) * 13);
        retry_after
            .unwrap_or(exponential + jitter)
            .min(self.max_delay)
    }
}

/// One request: where it goes and what it is for.
pub(crate) struct Call<'a> {
    pub(crate) method: Method,
    /// Registry host as users write it (credentials and messages use this name).
    pub(crate) registry: &'a str,
    pub(crate) resource: Resource<'a>,
    /// Path and query, starting with `/v2/`.
    pub(crate) path: &'a str,
    pub(crate) accept: Option<&'a str>,
    /// What is fetched, for messages (``manifest `1` ``).
    pub(crate) what: &'a str,
}

/// What a request touches: decides the token scope and how a refusal is reported.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Resource<'a> {
    /// Manifests, blobs and tags of one repository (`repository:<name>:pull`).
    Repository(&'a str),
    /// The registry's list of repositories (`registry:catalog:*`).
    Catalog,
    /// The API root `/v2/`: authentication alone, no scope.
    Root,
    /// A vendor extension on the registry host behind the same token service (ACR's
    /// `/acr/v1/…`), with the scope the vendor documents for it.
    Scoped(&'a str),
}

impl Resource<'_> {
    /// The bearer token scope (distribution `token-scope.md`).
    fn scope(self) -> String {
        match self {
            Resource::Repository(name) => format!("repository:{name}:pull"),
            Resource::Catalog => "registry:catalog:*".to_owned(),
            Resource::Root => String::new(),
            Resource::Scoped(scope) => scope.to_owned(),
        }
    }

    /// The error for a 401 or 403 on this resource.
    fn refused(self, registry: &str, status: StatusCode, detail: String) -> Error {
        let registry = registry.to_owned();
        match (self, status) {
            (Resource::Root, status) => Error::Status {
                url: format!("{registry}/v2/"),
                status: status.as_u16(),
                detail,
            },
            (Resource::Scoped(scope), status) => Error::ApiRefused {
                url: format!("{registry} (token scope {scope})"),
                status: status.as_u16(),
                detail,
            },
            (Resource::Catalog, status) => Error::CatalogDenied {
                registry,
                status: status.as_u16(),
                detail,
            },
            (Resource::Repository(repository), StatusCode::FORBIDDEN) => Error::Denied {
                registry,
                repository: repository.to_owned(),
                detail,
            },
            (Resource::Repository(repository), _) => Error::Unauthorized {
                registry,
                repository: repository.to_owned(),
                detail,
            },
        }
    }
}

/// The media type of a response, without parameters.
fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned())
}

fn is_schema1(media_type: &str) -> bool {
    media_type.starts_with("application/vnd.docker.distribution.manifest.v1")
}

/// `Docker-Content-Digest`, if present and a sha256 digest.
fn header_digest(headers: &HeaderMap) -> Option<Digest> {
    headers
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<Digest>().ok())
}

/// The token endpoint's answer (distribution `token.md`; `access_token` is the `OAuth2` spelling).
#[derive(Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

/// A header value marked sensitive, so neither hyper's nor reqwest's logging ever prints it.
pub(crate) fn sensitive(value: &str) -> Result<reqwest::header::HeaderValue> {
    let mut header = reqwest::header::HeaderValue::from_str(value).map_err(|_| Error::Token {
        realm: String::new(),
        reason: "credentials contain characters not allowed in an HTTP header".into(),
    })?;
    header.set_sensitive(true);
    Ok(header)
}

fn blob_path(reference: &Reference, digest: &Digest) -> String {
    format!("/v2/{}/blobs/{digest}", reference.repository())
}

pub(crate) fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || matches!(status.as_u16(), 500 | 502 | 503 | 504)
}

/// Counts one answer (or `error`: no answer) of a registry for Prometheus; a no-op unless
/// `plimsoll serve` installed a recorder. Retried attempts count each, so a 429 storm shows.
pub(crate) fn count_response(host: &str, status: String) {
    metrics::counter!("plimsoll_registry_requests_total", "registry" => host.to_owned(), "status" => status)
        .increment(1);
}

/// `ratelimit-remaining: 76;w=21600` → 76.
fn pulls_remaining(headers: &HeaderMap) -> Option<u64> {
    headers
        .get("ratelimit-remaining")?
        .to_str()
        .ok()?
        .split(';')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// `Retry-After` as delta-seconds (the HTTP-date form is rare from registries and treated as absent).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// `: CODE: message` from an OCI error body, or empty.
pub(crate) async fn error_detail(response: Response) -> String {
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<ErrorEntry>,
    }
    #[derive(Deserialize)]
    struct ErrorEntry {
        code: Option<String>,
        message: Option<String>,
    }
    let Ok(body) = read_limited(response, 64 * 1024, "error body").await else {
        return String::new();
    };
    match serde_json::from_slice::<Errors>(&body) {
        Ok(e) => e
            .errors
            .first()
            .map(|e| {
                format!(
                    ": {}: {}",
                    e.code.as_deref().unwrap_or("UNKNOWN"),
                    e.message.as_deref().unwrap_or("")
                )
            })
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

pub(crate) async fn read_limited(response: Response, limit: u64, what: &str) -> Result<Bytes> {
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(Error::TooLarge {
            what: what.to_owned(),
            limit,
        });
    }
    // After a redirect this is blob storage, whose query may hold a pre-signed signature:
    // keep it out of messages.
    let mut url = response.url().clone();
    url.set_query(None);
    let url = url.to_string();
    let mut body = BytesMut::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|source| Error::Transport {
            url: url.clone(),
            source: source.without_url(),
        })?;
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(Error::TooLarge {
                what: what.to_owned(),
                limit,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
