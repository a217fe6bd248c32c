//! JSON GETs to a registry vendor's own HTTP API (Harbor `/api/v2.0`, Quay `/api/v1`, Docker
//! Hub `hub.docker.com/v2`), for `plimsoll-vendors`' discovery. Same TLS settings and retries
//! as the registry requests; the caller says which credentials to send, and they go to the
//! URL's host only: redirects are followed by hand and only to the same scheme, host and port,
//! and `Link` next pages likewise.

use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, LOCATION,
};
use serde::de::DeserializeOwned;
use url::Url;

use crate::client::{
    Call, Resource, count_response, error_detail, is_retryable, read_limited, retry_after,
    sensitive,
};
use crate::listing::next_link;
use crate::{Credentials, Error, RegistryClient, Result};

/// Cap on one API answer's body.
const MAX_API_BYTES: u64 = 32 << 20;

/// Redirects followed per request (all on the same host).
const MAX_REDIRECTS: usize = 5;

/// How a request to a vendor API authenticates.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum ApiAuth<'a> {
    /// No credentials.
    Anonymous,
    /// HTTP Basic with user and password (Harbor robot accounts).
    Basic(&'a Credentials),
    /// `Authorization: Bearer <token>` (Quay `OAuth` tokens, Docker Hub JWTs).
    Bearer(&'a str),
    /// A token in a header of its own (GitLab's `PRIVATE-TOKEN`).
    Header(&'static str, &'a str),
}

/// One answer of a vendor API.
#[derive(Debug)]
pub struct ApiResponse {
    url: Url,
    headers: HeaderMap,
    body: Bytes,
}

impl ApiResponse {
    /// The URL that answered (after same-host redirects).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// A response header as text, if present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body parsed as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| Error::InvalidResponse {
            url: without_query(&self.url),
            reason: e.to_string(),
        })
    }

    /// The `Link: <…>; rel="next"` target resolved against this page, when it stays on the
    /// same scheme, host and port (a link elsewhere is an error: following it would carry the
    /// API's credentials there).
    pub fn next_page(&self) -> Result<Option<Url>> {
        let Some(link) = next_link(&self.headers) else {
            return Ok(None);
        };
        self.same_origin_link(&link).map(Some)
    }

    /// `link` (a next page named in the body, as Docker Hub's `next`) resolved against this
    /// page, refused unless on the same scheme, host and port.
    pub fn same_origin_link(&self, link: &str) -> Result<Url> {
        let link = link.to_owned();
        let refused = |reason: &str| Error::PageLink {
            url: without_query(&self.url),
            link: link.clone(),
            reason: reason.to_owned(),
        };
        let next = self
            .url
            .join(&link)
            .map_err(|_| refused("it is not a valid URL"))?;
        if !same_origin(&self.url, &next) {
            return Err(refused("it points to another host"));
        }
        if !next.username().is_empty() || next.password().is_some() {
            return Err(refused("it carries credentials"));
        }
        Ok(next)
    }
}

impl RegistryClient {
    /// POSTs `body` as JSON to `url` (a vendor API's login, as Docker Hub's `/v2/auth/token`):
    /// no credentials in headers (they are in the body the caller built for this URL), no
    /// redirect followed, no retry but on 429/5xx and connection errors. 401/403 are
    /// [`Error::ApiRefused`].
    pub async fn api_post_json(&self, url: &Url, body: &serde_json::Value) -> Result<ApiResponse> {
        self.api_post(url, "application/json", body.to_string().into_bytes(), &[])
            .await
    }

    /// POSTs `fields` form-encoded to `url` (a token service's grant, as IBM Cloud IAM's
    /// `/identity/token`), with the same rules as [`RegistryClient::api_post_json`]; a 400 is
    /// a refusal too (IAM's answer to an unknown or revoked API key).
    pub async fn api_post_form(&self, url: &Url, fields: &[(&str, &str)]) -> Result<ApiResponse> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.api_post(
            url,
            "application/x-www-form-urlencoded",
            body.into_bytes(),
            &[StatusCode::BAD_REQUEST],
        )
        .await
    }

    /// The POST both of the above send: `body` of `content_type`, retried on connection
    /// errors and 429/5xx; 401, 403 and `refusals` are [`Error::ApiRefused`].
    async fn api_post(
        &self,
        url: &Url,
        content_type: &'static str,
        body: Vec<u8>,
        refusals: &[StatusCode],
    ) -> Result<ApiResponse> {
        let shown = without_query(url);
        let host = host_port(url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = self
                .api_http
                .post(url.clone())
                .header(ACCEPT, "application/json")
                .header(CONTENT_TYPE, content_type)
                .body(body.clone());
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) if attempt < self.max_attempts && (e.is_connect() || e.is_timeout()) => {
                    count_response(&host, "error".to_owned());
                    tokio::time::sleep(self.backoff(attempt, None)).await;
                    continue;
                }
                Err(e) => {
                    count_response(&host, "error".to_owned());
                    return Err(Error::Transport {
                        url: shown,
                        source: e.without_url(),
                    });
                }
            };
            let status = response.status();
            count_response(&host, status.as_u16().to_string());
            tracing::trace!(url = %shown, status = status.as_u16(), "API answer");
            if let Some(refused) = self.proxy_refusal(url.as_str(), &response) {
                return Err(refused);
            }
            if status.is_success() {
                let headers = response.headers().clone();
                let body = read_limited(response, MAX_API_BYTES, &shown).await?;
                return Ok(ApiResponse {
                    url: url.clone(),
                    headers,
                    body,
                });
            }
            if is_retryable(status) && attempt < self.max_attempts {
                tokio::time::sleep(self.backoff(attempt, retry_after(response.headers()))).await;
                continue;
            }
            let detail = error_detail(response).await;
            let refused = matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
                || refusals.contains(&status);
            return Err(if refused {
                Error::ApiRefused {
                    url: shown,
                    status: status.as_u16(),
                    detail,
                }
            } else {
                Error::Status {
                    url: shown,
                    status: status.as_u16(),
                    detail,
                }
            });
        }
    }

    /// GETs `path` (with its query) from `registry` itself, for a vendor extension served
    /// beside `/v2/` behind the same token service (ACR's `/acr/v1/_catalog`): the registry's
    /// scheme, its credentials and its `WWW-Authenticate` flow, with a bearer token asked for
    /// `scope`. Retries as registry requests do. A refusal is [`Error::ApiRefused`].
    pub async fn registry_api_get(
        &self,
        registry: &str,
        path: &str,
        scope: &str,
        what: &str,
    ) -> Result<ApiResponse> {
        crate::listing::check_registry(registry)?;
        let response = self
            .send(&Call {
                method: reqwest::Method::GET,
                registry,
                resource: Resource::Scoped(scope),
                path,
                accept: Some("application/json"),
                what,
            })
            .await?;
        let host = crate::reference::api_host(registry);
        let url = Url::parse(&format!("{}://{host}{path}", self.scheme(host))).map_err(|e| {
            Error::InvalidResponse {
                url: format!("{registry}{path}"),
                reason: e.to_string(),
            }
        })?;
        let headers = response.headers().clone();
        let body = read_limited(response, MAX_API_BYTES, what).await?;
        Ok(ApiResponse { url, headers, body })
    }

    /// GETs `url` from a vendor API with `auth`, retrying 429/5xx and connection errors as
    /// registry requests do. 401/403 are [`Error::ApiRefused`]; a redirect to another origin
    /// is [`Error::ApiRedirect`] (never followed).
    pub async fn api_get(&self, url: &Url, auth: ApiAuth<'_>) -> Result<ApiResponse> {
        self.api_get_with_headers(url, auth, &[]).await
    }

    /// [`RegistryClient::api_get`] with extra request headers that are not secrets (IBM
    /// Cloud's `Account: <id>`), sent with every request of the call. Header names are
    /// lowercase constants (a name that is not is a programming error and panics).
    pub async fn api_get_with_headers(
        &self,
        url: &Url,
        auth: ApiAuth<'_>,
        headers: &[(&'static str, &str)],
    ) -> Result<ApiResponse> {
        let extra = headers
            .iter()
            .map(|(name, value)| {
                let name = HeaderName::from_static(name);
                let value = HeaderValue::from_str(value).map_err(|_| Error::InvalidName {
                    what: "header value",
                    name: name.to_string(),
                })?;
                Ok((name, value))
            })
            .collect::<Result<Vec<_>>>()?;
        let authorization = match auth {
            ApiAuth::Anonymous => None,
            ApiAuth::Basic(c) => Some((AUTHORIZATION, sensitive(&c.basic_header())?)),
            ApiAuth::Bearer(token) => Some((AUTHORIZATION, sensitive(&format!("Bearer {token}"))?)),
            ApiAuth::Header(name, value) => Some((
                HeaderName::from_bytes(name.as_bytes()).map_err(|_| Error::InvalidName {
                    what: "header name",
                    name: name.to_owned(),
                })?,
                sensitive(value)?,
            )),
        };
        let origin = url.clone();
        let mut url = url.clone();
        let mut redirects = 0;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let host = host_port(&url);
            let mut request = self
                .api_http
                .get(url.clone())
                .header(ACCEPT, "application/json");
            if let Some((name, value)) = &authorization {
                request = request.header(name.clone(), value.clone());
            }
            for (name, value) in &extra {
                request = request.header(name.clone(), value.clone());
            }
            let shown = without_query(&url);
            let response = match request.send().await {
                Ok(r) => r,
                Err(e)
                    if attempt < self.max_attempts
                        && (e.is_connect() || e.is_timeout() || e.is_request()) =>
                {
                    count_response(&host, "error".to_owned());
                    let delay = self.backoff(attempt, None);
                    tracing::warn!(url = %shown, attempt, ?delay, error = %e.without_url(), "API request failed; retrying");
                    tokio::time::sleep(delay).await;
                    continue;
                }
                Err(e) => {
                    count_response(&host, "error".to_owned());
                    return Err(Error::Transport {
                        url: shown,
                        source: e.without_url(),
                    });
                }
            };
            let status = response.status();
            count_response(&host, status.as_u16().to_string());
            tracing::trace!(url = %shown, status = status.as_u16(), "API answer");
            if let Some(refused) = self.proxy_refusal(url.as_str(), &response) {
                return Err(refused);
            }
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| url.join(l).ok());
                match location {
                    Some(next) if same_origin(&origin, &next) && redirects < MAX_REDIRECTS => {
                        redirects += 1;
                        url = next;
                        attempt -= 1;
                        continue;
                    }
                    Some(next) if !same_origin(&origin, &next) => {
                        return Err(Error::ApiRedirect {
                            url: shown,
                            to: format!("{}://{}", next.scheme(), host_port(&next)),
                        });
                    }
                    _ => {
                        return Err(Error::Status {
                            url: shown,
                            status: status.as_u16(),
                            detail: ": redirect without a usable Location, or too many".into(),
                        });
                    }
                }
            }
            if status.is_success() {
                let headers = response.headers().clone();
                let body = read_limited(response, MAX_API_BYTES, &shown).await?;
                return Ok(ApiResponse { url, headers, body });
            }
            if is_retryable(status) && attempt < self.max_attempts {
                let delay = self.backoff(attempt, retry_after(response.headers()));
                tracing::warn!(url = %shown, status = status.as_u16(), attempt, ?delay, "API asked us to back off; retrying");
                tokio::time::sleep(delay).await;
                continue;
            }
            let detail = error_detail(response).await;
            return Err(match status {
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::ApiRefused {
                    url: shown,
                    status: status.as_u16(),
                    detail,
                },
                StatusCode::NOT_FOUND => Error::NotFound {
                    what: shown,
                    detail,
                },
                s if is_retryable(s) => Error::RetriesExhausted {
                    url: shown,
                    attempts: attempt,
                    last: format!("{}{detail}", s.as_u16()),
                },
                s => Error::Status {
                    url: shown,
                    status: s.as_u16(),
                    detail,
                },
            });
        }
    }

    /// The delay before retry `attempt` (for vendors that read their own rate-limit headers).
    pub fn retry_delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        self.backoff(attempt.max(1), retry_after)
    }
}

/// `host[:port]` of a URL (the port only when not the scheme's default).
fn host_port(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => String::new(),
    }
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The URL without its query, for messages.
fn without_query(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let a = Url::parse("https://harbor.example/api/v2.0/projects").unwrap();
        for (b, same) in [
            ("https://harbor.example:443/x", true),
            ("https://harbor.example/api/v2.0/projects?page=2", true),
            ("http://harbor.example/x", false),
            ("https://harbor.example:8443/x", false),
            ("https://evil.example/x", false),
        ] {
            assert_eq!(same_origin(&a, &Url::parse(b).unwrap()), same, "{b}");
        }
    }

    #[test]
    fn next_pages_stay_on_the_host() {
        let page = |link: &str| ApiResponse {
            url: Url::parse("http://127.0.0.1:9/api/v2.0/projects?page=1&page_size=2").unwrap(),
            headers: {
                let mut h = HeaderMap::new();
                h.insert(reqwest::header::LINK, link.parse().unwrap());
                h
            },
            body: Bytes::new(),
        };
        assert_eq!(
            page(r#"</api/v2.0/projects?page=2&page_size=2>; rel="next""#)
                .next_page()
                .unwrap()
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/api/v2.0/projects?page=2&page_size=2"
        );
        assert!(
            page(r#"<http://127.0.0.1:10/api/v2.0/projects?page=2>; rel="next""#)
                .next_page()
                .is_err()
        );
        assert!(page(r#"</x>; rel="prev""#).next_page().unwrap().is_none());
    }
}
