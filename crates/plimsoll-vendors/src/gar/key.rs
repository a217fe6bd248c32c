//! A Google service-account key: the JSON file IAM hands out
//! (<https://cloud.google.com/iam/docs/keys-create-delete>), as a file, in a variable or
//! inline, raw or base64-encoded (Kubernetes secrets and CI variables often hold it so).
//!
//! Nothing here ever shows the key: `Debug` names the account only, and parse errors give a
//! position and a category, never serde's text (which quotes offending values).

use std::fmt;

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

/// A parsed service-account key.
#[derive(Clone)]
pub struct ServiceAccountKey {
    /// The JSON text, as Google wrote it: the `_json_key` password and `gcp_auth`'s input.
    json: SecretString,
    client_email: String,
    project_id: Option<String>,
    token_uri: Url,
}

#[derive(Deserialize)]
struct Fields {
    #[serde(rename = "type")]
    kind: Option<String>,
    client_email: Option<String>,
    project_id: Option<String>,
    private_key: Option<SecretString>,
    token_uri: Option<String>,
}

impl ServiceAccountKey {
    /// The key from its JSON text or base64 of it (standard or URL-safe alphabet, padded or
    /// not, line breaks allowed). The error says what is wrong without quoting the key.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let json = if text.starts_with('{') {
            text.to_owned()
        } else {
            decode_base64(text).ok_or(
                "not a service-account key: neither JSON (`{…}`) nor base64 of it".to_owned(),
            )?
        };
        let fields: Fields = serde_json::from_str(&json).map_err(|e| {
            format!(
                "the service-account key is not valid JSON ({:?} error at line {}, column {})",
                e.classify(),
                e.line(),
                e.column()
            )
        })?;
        match fields.kind.as_deref() {
            Some("service_account") => {}
            Some(other) => {
                return Err(format!(
                    "the key's `type` is `{}`, not `service_account` (user credentials and workload identity configurations are not supported)",
                    other.escape_debug()
                ));
            }
            None => return Err("the key has no `type` (expected `service_account`)".into()),
        }
        let client_email = fields
            .client_email
            .filter(|e| !e.trim().is_empty())
            .ok_or("the key has no `client_email`")?;
        let private_key = fields.private_key.ok_or("the key has no `private_key`")?;
        if !private_key
            .expose_secret()
            .contains("-----BEGIN PRIVATE KEY-----")
        {
            return Err("the key's `private_key` is not a PEM PKCS#8 private key".into());
        }
        let token_uri = fields.token_uri.ok_or("the key has no `token_uri`")?;
        let token_uri = check_token_uri(&token_uri)?;
        Ok(ServiceAccountKey {
            json: SecretString::from(json),
            client_email,
            project_id: fields.project_id,
            token_uri,
        })
    }

    /// The service account's e-mail address (not secret: logs and messages name it).
    pub fn client_email(&self) -> &str {
        &self.client_email
    }

    /// The project the key belongs to, if it says.
    pub fn project_id(&self) -> Option<&str> {
        self.project_id.as_deref()
    }

    /// Where access tokens are granted (`https://oauth2.googleapis.com/token`).
    pub fn token_uri(&self) -> &Url {
        &self.token_uri
    }

    /// The key's JSON text. A secret: for the `_json_key` password and the token grant only.
    pub(crate) fn json(&self) -> &str {
        self.json.expose_secret()
    }
}

impl fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri.as_str())
            .finish_non_exhaustive()
    }
}

/// Base64 of a JSON object, whichever alphabet and padding; `None` unless it decodes to
/// UTF-8 text starting with `{`.
fn decode_base64(text: &str) -> Option<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(&compact).ok())?;
    let json = String::from_utf8(bytes).ok()?;
    json.trim_start().starts_with('{').then_some(json)
}

/// `https://…`, or `http://` to a loopback host (a test stand-in): the signed assertion and
/// the access token that comes back never cross a network in clear text.
fn check_token_uri(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("the key's `token_uri` is not a URL: {e}"))?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !scheme_ok || !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "the key's `token_uri` must be an https URL without credentials (http only on loopback), not `{}`",
            url.scheme()
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----\n";

    fn key_json(token_uri: &str) -> String {
        serde_json::json!({
            "type": "service_account",
            "project_id": "lab-project",
            "private_key_id": "0123abcd",
            "private_key": PEM,
            "client_email": "scanner@lab-project.iam.gserviceaccount.com",
            "client_id": "1234567890",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
        })
        .to_string()
    }

    #[test]
    fn json_and_base64_keys_parse_alike() {
        let json = key_json("https://oauth2.googleapis.com/token");
        let b64 = base64::engine::general_purpose::STANDARD.encode(&json);
        // As `base64` (coreutils) writes it: wrapped at 76 columns, trailing newline.
        let mut wrapped = String::new();
        for chunk in b64.as_bytes().chunks(76) {
            wrapped.push_str(std::str::from_utf8(chunk).unwrap());
            wrapped.push('\n');
        }
        let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&json);
        for text in [json.clone(), format!("  {json}\n"), b64, wrapped, url_safe] {
            let key = ServiceAccountKey::parse(&text).unwrap();
            assert_eq!(
                key.client_email(),
                "scanner@lab-project.iam.gserviceaccount.com"
            );
            assert_eq!(key.project_id(), Some("lab-project"));
            assert_eq!(
                key.token_uri().as_str(),
                "https://oauth2.googleapis.com/token"
            );
            // The `_json_key` password is the JSON itself, whatever encoding it came in.
            assert_eq!(key.json(), json);
        }
    }

    #[test]
    fn bad_keys_are_refused_precisely_without_quoting_them() {
        let json = key_json("https://oauth2.googleapis.com/token");
        let without = |field: &str| {
            let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
            v.as_object_mut().unwrap().remove(field);
            v.to_string()
        };
        let with = |field: &str, value: serde_json::Value| {
            let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
            v[field] = value;
            v.to_string()
        };
        for (text, want) in [
            ("secret-password-123".to_owned(), "neither JSON"),
            (
                "{\"type\": \"service_account\", \"private_key\": \"secret-pem-material\""
                    .to_owned(),
                "not valid JSON (Eof error at line 1",
            ),
            (
                with("private_key", serde_json::json!(42)),
                "not valid JSON (Data error",
            ),
            (without("type"), "no `type`"),
            (
                with("type", "authorized_user".into()),
                "`authorized_user`, not `service_account`",
            ),
            (without("client_email"), "no `client_email`"),
            (without("private_key"), "no `private_key`"),
            (
                with("private_key", "-----BEGIN RSA PRIVATE KEY-----".into()),
                "not a PEM PKCS#8",
            ),
            (without("token_uri"), "no `token_uri`"),
            (
                with("token_uri", "http://oauth2.example/token".into()),
                "must be an https URL",
            ),
            (
                with("token_uri", "https://u:p@oauth2.example/token".into()),
                "without credentials",
            ),
        ] {
            let err = ServiceAccountKey::parse(&text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
            assert!(!err.contains("secret") && !err.contains("MIIE"), "{err}");
        }
        // Loopback stand-ins may be plain HTTP.
        for uri in [
            "http://127.0.0.1:9/token",
            "http://[::1]:9/token",
            "http://localhost/t",
        ] {
            ServiceAccountKey::parse(&key_json(uri)).unwrap();
        }
    }

    #[test]
    fn debug_shows_the_account_not_the_key() {
        let key =
            ServiceAccountKey::parse(&key_json("https://oauth2.googleapis.com/token")).unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains("scanner@lab-project"), "{shown}");
        assert!(
            !shown.contains("PRIVATE KEY") && !shown.contains("MIIE"),
            "{shown}"
        );
    }
}
