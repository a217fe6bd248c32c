//! What a registry holds: `/v2/_catalog` (repositories) and `/v2/<name>/tags/list`, both
//! paginated with `?n=` and RFC 8288 `Link: <…>; rel="next"` headers.
//!
//! Registries differ: Distribution 2.8 pages `_catalog` (refusing `n` > 1000) but ignores `n`
//! on tags and answers everything at once, unsorted, with `"tags": null` for a repository
//! without tags. Both shapes are handled; results come back in the registry's order.
//!
//! A next link is resolved against the page that sent it (relative or absolute) and followed
//! only to the same host and port, and always over the scheme this client already uses for the
//! registry, so a link can neither send credentials elsewhere nor downgrade to plain HTTP.

use std::collections::HashSet;

use reqwest::Method;
use reqwest::header::{HeaderMap, LINK};
use serde::Deserialize;

use crate::client::{Call, Resource, read_limited};
use crate::reference::{api_host, valid_registry, valid_repository};
use crate::{Error, RegistryClient, Result};

/// The largest page size asked for: Distribution answers 400 `PAGINATION_NUMBER_INVALID`
/// above 1000. Larger `page_size` arguments are lowered to it.
pub const MAX_PAGE_SIZE: usize = 1000;

/// Cap on one page's body (a thousand long names is well under 1 `MiB`).
const MAX_PAGE_BYTES: u64 = 16 << 20;

/// One page of either listing; the unused field is absent.
#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    repositories: Option<Vec<String>>,
    #[serde(default)]
    tags: Option<Vec<String>>,
}

impl RegistryClient {
    /// The repositories of `registry` (`127.0.0.1:5000`, `docker.io`), from `/v2/_catalog`,
    /// `page_size` per request (1..=[`MAX_PAGE_SIZE`]), following next links until the last
    /// page or until `limit` repositories are known (then exactly the first `limit`, in the
    /// registry's order: lexical for Distribution, as the spec asks).
    ///
    /// The bearer scope is `registry:catalog:*`, which many registries grant only to admins; a
    /// refusal is [`Error::CatalogDenied`].
    pub async fn catalog(
        &self,
        registry: &str,
        page_size: usize,
        limit: Option<usize>,
    ) -> Result<Vec<String>> {
        check_registry(registry)?;
        let n = limit
            .map_or(page_size, |l| page_size.min(l))
            .clamp(1, MAX_PAGE_SIZE);
        if limit == Some(0) {
            return Ok(Vec::new());
        }
        let what = format!("the repository catalog (`/v2/_catalog`) of {registry}");
        self.paginate(
            registry,
            Resource::Catalog,
            format!("/v2/_catalog?n={n}"),
            &what,
            limit,
        )
        .await
    }

    /// The tags of `repository` on `registry`, from `/v2/<name>/tags/list`, `page_size` per
    /// request (1..=[`MAX_PAGE_SIZE`]; registries that ignore it answer everything at once),
    /// following next links to the last page. In the registry's order (Distribution: none).
    /// A repository the registry does not know is [`Error::RepositoryUnknown`].
    pub async fn tags(
        &self,
        registry: &str,
        repository: &str,
        page_size: usize,
    ) -> Result<Vec<String>> {
        check_registry(registry)?;
        if !valid_repository(repository) {
            return Err(Error::InvalidName {
                what: "repository name",
                name: repository.to_owned(),
            });
        }
        let n = page_size.clamp(1, MAX_PAGE_SIZE);
        let what = format!("tags of {registry}/{repository}");
        self.paginate(
            registry,
            Resource::Repository(repository),
            format!("/v2/{repository}/tags/list?n={n}"),
            &what,
            None,
        )
        .await
        .map_err(|e| match e {
            Error::NotFound { detail, .. } => Error::RepositoryUnknown {
                registry: registry.to_owned(),
                repository: repository.to_owned(),
                detail,
            },
            e => e,
        })
    }

    /// GETs `path` and every next page, collecting the names of `resource`'s kind.
    async fn paginate(
        &self,
        registry: &str,
        resource: Resource<'_>,
        mut path: String,
        what: &str,
        limit: Option<usize>,
    ) -> Result<Vec<String>> {
        let host = api_host(registry);
        let mut visited = HashSet::from([path.clone()]);
        let mut names = Vec::new();
        loop {
            let response = self
                .send(&Call {
                    method: Method::GET,
                    registry,
                    resource,
                    path: &path,
                    accept: Some("application/json"),
                    what,
                })
                .await?;
            let next = next_link(response.headers());
            // The scheme is known now (a loopback registry may have fallen back to http).
            let page_url = format!("{}://{host}{path}", self.scheme(host));
            let url_for_errors = page_url.split('?').next().unwrap_or_default().to_owned();
            let body = read_limited(response, MAX_PAGE_BYTES, what).await?;
            let page: Page = serde_json::from_slice(&body).map_err(|e| Error::InvalidResponse {
                url: url_for_errors.clone(),
                reason: e.to_string(),
            })?;
            let found = match resource {
                Resource::Catalog => page.repositories,
                Resource::Repository(_) => page.tags,
                Resource::Root | Resource::Scoped(_) => None,
            }
            .unwrap_or_default();
            let empty = found.is_empty();
            names.extend(found);
            if let Some(limit) = limit
                && names.len() >= limit
            {
                names.truncate(limit);
                break;
            }
            let Some(link) = next else { break };
            if empty {
                // Nothing on this page yet more promised: a registry that would page forever.
                tracing::warn!(url = %url_for_errors, %link, "empty page with a next link; stopping");
                break;
            }
            let refused = |reason: &str| Error::PageLink {
                url: url_for_errors.clone(),
                link: link.clone(),
                reason: reason.to_owned(),
            };
            path = resolve_next(&page_url, &link).map_err(refused)?;
            if !visited.insert(path.clone()) {
                return Err(refused("it points to a page already read"));
            }
        }
        Ok(names)
    }
}

pub(crate) fn check_registry(registry: &str) -> Result<()> {
    if valid_registry(registry) {
        Ok(())
    } else {
        Err(Error::InvalidName {
            what: "registry host",
            name: registry.to_owned(),
        })
    }
}

/// The target of the first `rel="next"` link in the `Link` headers, as sent.
pub(crate) fn next_link(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all(LINK) {
        let Ok(mut rest) = value.to_str() else {
            continue;
        };
        // `<target>; param; param, <target>; param…` (parameters hold no `<`).
        while let Some(start) = rest.find('<') {
            let after = &rest[start + 1..];
            let end = after.find('>')?;
            let target = &after[..end];
            let tail = &after[end + 1..];
            let params_end = tail.find('<').unwrap_or(tail.len());
            let is_next = tail[..params_end].split([';', ',']).any(|param| {
                param.split_once('=').is_some_and(|(name, value)| {
                    name.trim().eq_ignore_ascii_case("rel")
                        && value
                            .trim()
                            .trim_matches('"')
                            .split_ascii_whitespace()
                            .any(|rel| rel.eq_ignore_ascii_case("next"))
                })
            });
            if is_next {
                return Some(target.trim().to_owned());
            }
            rest = &tail[params_end..];
        }
    }
    None
}

/// The path and query to request for next link `link` of the page at `page_url`.
fn resolve_next(page_url: &str, link: &str) -> std::result::Result<String, &'static str> {
    let base = url::Url::parse(page_url).map_err(|_| "the page URL does not parse")?;
    let next = base.join(link).map_err(|_| "it is not a valid URL")?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err("it is not an http(s) URL");
    }
    let same_port =
        next.port() == base.port() || next.port_or_known_default() == base.port_or_known_default();
    if next.host_str() != base.host_str() || !same_port {
        return Err("it points to another host");
    }
    if !next.username().is_empty() || next.password().is_some() {
        return Err("it carries credentials");
    }
    if !next.path().starts_with("/v2/") {
        return Err("it leaves the /v2/ API");
    }
    let mut path = next.path().to_owned();
    if let Some(query) = next.query() {
        path.push('?');
        path.push_str(query);
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn links(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(LINK, HeaderValue::from_str(v).unwrap());
        }
        headers
    }

    #[test]
    fn finds_the_next_link() {
        for (values, want) in [
            (
                &[r#"</v2/_catalog?last=b&n=2>; rel="next""#][..],
                Some("/v2/_catalog?last=b&n=2"),
            ),
            (
                &["</v2/x/tags/list?n=2&last=a>; rel=next"],
                Some("/v2/x/tags/list?n=2&last=a"),
            ),
            (
                &[r#"</first>; rel="first", </second>; rel="prev next"; title="x""#],
                Some("/second"),
            ),
            (
                &[r#"</prev>; rel="prev""#, r#"<http://h/v2/n>; REL="Next""#],
                Some("http://h/v2/n"),
            ),
            (&[r#"</prev>; rel="prev""#], None),
            (&["garbage"], None),
            (&[], None),
        ] {
            assert_eq!(next_link(&links(values)).as_deref(), want, "{values:?}");
        }
    }

    #[test]
    fn resolves_only_same_host_links() {
        let page = "http://127.0.0.1:5000/v2/_catalog?n=2";
        for (link, want) in [
            ("/v2/_catalog?last=b&n=2", Ok("/v2/_catalog?last=b&n=2")),
            (
                "http://127.0.0.1:5000/v2/_catalog?last=b",
                Ok("/v2/_catalog?last=b"),
            ),
            // Same host over the other scheme: followed, over this client's scheme.
            (
                "https://127.0.0.1:5000/v2/_catalog?last=b",
                Ok("/v2/_catalog?last=b"),
            ),
            ("_catalog?last=c", Ok("/v2/_catalog?last=c")),
            (
                "http://127.0.0.2:5000/v2/_catalog?last=b",
                Err("it points to another host"),
            ),
            (
                "http://127.0.0.1:5001/v2/_catalog?last=b",
                Err("it points to another host"),
            ),
            (
                "//evil.example/v2/_catalog",
                Err("it points to another host"),
            ),
            (
                "http://u:p@127.0.0.1:5000/v2/_catalog",
                Err("it carries credentials"),
            ),
            ("/admin?x=1", Err("it leaves the /v2/ API")),
            ("file:///etc/passwd", Err("it is not an http(s) URL")),
        ] {
            assert_eq!(
                resolve_next(page, link).as_deref().map_err(|e| *e),
                want,
                "{link}"
            );
        }
        // Default ports: https://h and https://h:443 are the same host, https://h:444 is not.
        let page = "https://reg.example/v2/_catalog?n=2";
        assert!(resolve_next(page, "https://reg.example:443/v2/_catalog?last=a").is_ok());
        assert!(resolve_next(page, "http://reg.example/v2/_catalog?last=a").is_ok());
        assert!(resolve_next(page, "https://reg.example:444/v2/_catalog?last=a").is_err());
    }
}
