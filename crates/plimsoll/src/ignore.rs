//! `.plimsollignore`: advisory ids a team has decided to accept, each optionally until a date
//! and with a reason. The syntax follows `.trivyignore` so files carry over:
//!
//! ```text
//! # comment
//! CVE-2021-44906  exp:2027-01-31  # minimist only parses our own arguments
//! GHSA-xvch-5gv4-984h
//! ```

use std::path::Path;

use anyhow::{Context as _, bail};
use time::Date;
use time::macros::format_description;

use plimsoll_types::Finding;

/// One accepted vulnerability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IgnoreRule {
    pub(crate) id: String,
    pub(crate) expires: Option<Date>,
    pub(crate) reason: Option<String>,
}

/// The rules of an ignore file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IgnoreList {
    rules: Vec<IgnoreRule>,
}

impl IgnoreList {
    /// Reads `path`; a malformed line is an error naming the file and line, since silently
    /// dropping an ignore would fail builds and silently widening one would hide findings.
    pub(crate) fn load(path: &Path) -> anyhow::Result<IgnoreList> {
        let text = fs_err::read_to_string(path)?;
        IgnoreList::parse(&text).with_context(|| format!("ignore file {}", path.display()))
    }

    pub(crate) fn parse(text: &str) -> anyhow::Result<IgnoreList> {
        let mut rules = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let (body, reason) = match line.split_once('#') {
                Some((body, reason)) => (
                    body,
                    Some(reason.trim().to_owned()).filter(|r| !r.is_empty()),
                ),
                None => (line, None),
            };
            let mut words = body.split_whitespace();
            let Some(id) = words.next() else { continue };
            let mut expires = None;
            for word in words {
                let Some(date) = word.strip_prefix("exp:") else {
                    bail!(
                        "line {}: unexpected `{word}` (expected `exp:YYYY-MM-DD` or `# reason`)",
                        number + 1
                    );
                };
                let parsed = Date::parse(date, format_description!("[year]-[month]-[day]"))
                    .with_context(|| {
                        format!("line {}: `{date}` is not a YYYY-MM-DD date", number + 1)
                    })?;
                expires = Some(parsed);
            }
            rules.push(IgnoreRule {
                id: id.to_owned(),
                expires,
                reason,
            });
        }
        Ok(IgnoreList { rules })
    }

    /// The rule that suppresses `finding` on `today`, matching its id or any alias. Expired
    /// rules suppress nothing.
    pub(crate) fn suppressing(&self, finding: &Finding, today: Date) -> Option<&IgnoreRule> {
        self.rules.iter().find(|rule| {
            rule.expires.is_none_or(|d| today <= d)
                && (rule.id == finding.id || finding.aliases.contains(&rule.id))
        })
    }

    /// The live rule naming `id` exactly: configuration findings (`PLM-CFG-001`) and secret
    /// rules (`aws-access-key-id`) are ignored by their ids too.
    pub(crate) fn suppressing_id(&self, id: &str, today: Date) -> Option<&IgnoreRule> {
        self.rules
            .iter()
            .find(|rule| rule.expires.is_none_or(|d| today <= d) && rule.id == id)
    }

    /// Rules past their date, to warn about.
    pub(crate) fn expired(&self, today: Date) -> impl Iterator<Item = &IgnoreRule> {
        self.rules
            .iter()
            .filter(move |r| r.expires.is_some_and(|d| today > d))
    }
}

#[cfg(test)]
mod tests {
    use plimsoll_types::{FixState, PackageKind, Severity, SeveritySource};
    use time::macros::date;

    use super::*;

    fn finding(id: &str, aliases: &[&str]) -> Finding {
        Finding {
            id: id.into(),
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            summary: None,
            package: "minimist".into(),
            kind: PackageKind::Npm,
            installed: "1.2.5".into(),
            purl: None,
            matched_ecosystem: "npm".into(),
            matched_name: "minimist".into(),
            fixed_versions: vec!["1.2.6".into()],
            status: FixState::Fixed,
            severity: Severity::Critical,
            severity_source: SeveritySource::CvssV3,
            cvss: None,
            found_in: "/app/node_modules/minimist/package.json".into(),
            layer: None,
            references: vec![],
        }
    }

    #[test]
    fn ids_aliases_expiry_and_reasons() {
        let list = IgnoreList::parse("# accepted\nCVE-2021-44906  exp:2027-01-31  # parses our own args\n\nGHSA-aaaa-bbbb-cccc exp:2020-01-01\n").unwrap();
        let today = date!(2026 - 11 - 26);
        let by_alias = list
            .suppressing(&finding("GHSA-xvch-5gv4-984h", &["CVE-2021-44906"]), today)
            .unwrap();
        assert_eq!(by_alias.reason.as_deref(), Some("parses our own args"));
        assert!(
            list.suppressing(
                &finding("GHSA-xvch-5gv4-984h", &["CVE-2021-44906"]),
                date!(2027 - 02 - 01)
            )
            .is_none(),
            "expired"
        );
        assert!(
            list.suppressing(&finding("GHSA-aaaa-bbbb-cccc", &[]), today)
                .is_none(),
            "expired in 2020"
        );
        assert_eq!(list.expired(today).count(), 1);
    }

    #[test]
    fn malformed_lines_name_the_line() {
        let err = IgnoreList::parse("CVE-1\nCVE-2 until:2027\n").unwrap_err();
        assert!(format!("{err:#}").contains("line 2"), "{err:#}");
        let err = IgnoreList::parse("CVE-1 exp:2027-13-01\n").unwrap_err();
        assert!(
            format!("{err:#}").contains("not a YYYY-MM-DD date"),
            "{err:#}"
        );
    }
}
