//! SARIF 2.1.0 (OASIS Standard with errata 01) for code-scanning tools, one `run` per report.
//!
//! SARIF was made for source analysers, so an image scan has to be mapped onto it. The choices,
//! each made so GitHub code scanning accepts the log and keeps its alerts stable across scans
//! (its "SARIF support for code scanning" page lists what it reads):
//!
//! - **Rules are vulnerabilities.** `tool.driver.rules` has one `reportingDescriptor` per
//!   distinct advisory id in the run, so an alert's title, help and severity come from the
//!   advisory; `results` has one `result` per finding, pointing at its rule by `ruleId` and
//!   `ruleIndex`. When findings of one id disagree on severity, the rule takes the worst.
//! - **Severity twice.** `level` (SARIF §3.27.10) is what every viewer understands: CRITICAL and
//!   HIGH are `error`, MEDIUM is `warning`, LOW and UNKNOWN are `note`. The rule's
//!   `properties.security-severity` is GitHub's convention for security alerts: a CVSS-like score
//!   as a string, which GitHub buckets into critical/high/medium/low the same way CVSS v3.1 §5
//!   does. It is the finding's CVSS score when that score's bucket is the finding's severity, and
//!   otherwise a score inside the severity's bucket, so GitHub never shows a different severity
//!   from Plimsoll's (the severity may come from a distro database that overrides NVD's CVSS).
//!   UNKNOWN has none, and GitHub falls back to `level`.
//! - **Locations are files in the image.** `artifactLocation.uri` is the package's `found_in`
//!   path, made relative (`var/lib/dpkg/status`) and percent-encoded, with `uriBaseId`
//!   `ROOTPATH`, which `run.originalUriBaseIds` defines as `file:///`, the root of the image's
//!   filesystem. GitHub requires relative or `file:` URIs and places the alert on that path
//!   (usually not a file of the repository, which GitHub accepts). A location also needs
//!   `region.startLine`; the inventory does not record where in the file a package's entry is,
//!   so it is 1, meaning "this file".
//! - **Fingerprints without line hashes.** GitHub matches alerts across scans by
//!   `partialFingerprints`, and cannot compute its line hash for a file outside the repository.
//!   `plimsoll/v1` is `id|kind|package|found_in`: the same vulnerability in the same
//!   installation stays one alert when the image is rebuilt, even if the package is upgraded
//!   to another vulnerable version.
//! - **One category per image and platform.** GitHub rejects a log with two runs of one tool in
//!   one category, and a scan of a multi-platform index writes a run per platform. Each run's
//!   `automationDetails.id` is `<repository>/<platform>/` (the trailing `/` makes the whole id
//!   the category): without the tag, so a new tag of the same image replaces the previous
//!   analysis rather than adding to it.
//! - **Secrets and configuration findings are results too.** A secret's rule is
//!   `secret/<rule>` (`secret/aws-access-key-id`), located at its file in the image and line
//!   (`region.startLine`, 1 when the scanner gives no line); its message and properties carry
//!   only the redacted match, never more. A configuration finding's rule is its stable id
//!   (`PLM-CFG-001`). Both are about the image as a whole when they have no file (a
//!   configuration finding, a secret in the configuration's `Env`): their location is the image
//!   itself, `artifactLocation.uri` being the image name (`docker.io/library/debian`, encoded
//!   like a path) without a `uriBaseId`, since no file of the image's filesystem is meant. Their
//!   rules follow the vulnerability rules in `tool.driver.rules`, and their results the
//!   vulnerability results, so a log without secrets or configuration findings is unchanged.
//! - **Everything else in property bags**: purl, layer, fix state and versions on each result;
//!   aliases and CVSS on each rule; image, digests, platform, OS, database build time and the
//!   number of suppressed findings on each run.
//!
//! `$schema` is the errata 01 schema's own id, the schema `tests/it` validates every log against.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde::Serialize;

use plimsoll_types::{
    ConfigFinding, Cvss, Digest, Finding, FixState, ImageInventory, PackageKind, Secret, Severity,
    SeveritySource, VulnerabilityReport,
};

use crate::json::TOOL;
use crate::{image, text};

/// The `$schema` of every log: the OASIS SARIF 2.1.0 errata 01 JSON schema.
pub(crate) const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The `uriBaseId` of every location: the image's root directory.
const ROOT: &str = "ROOTPATH";

/// The `partialFingerprints` key; its value's layout is versioned in the name.
const FINGERPRINT: &str = "plimsoll/v1";

#[derive(Serialize)]
pub(crate) struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    automation_details: AutomationDetails,
    original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    results: Vec<SarifResult<'a>>,
    properties: RunProperties<'a>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: Cow<'a, str>,
    short_description: Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<&'a str>,
    help: Message,
    default_configuration: Configuration,
    properties: RuleProperties<'a>,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties<'a> {
    tags: [&'static str; 3],
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<String>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    aliases: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    cvss: Option<&'a Cvss>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: Cow<'a, str>,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: [Location; 1],
    partial_fingerprints: BTreeMap<&'static str, String>,
    properties: ResultProperties<'a>,
}

/// A result's property bag: what kind of result it is decides the fields.
#[derive(Serialize)]
#[serde(untagged)]
enum ResultProperties<'a> {
    Vulnerability(VulnerabilityProperties<'a>),
    Secret(SecretProperties<'a>),
    Config(ConfigProperties<'a>),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SecretProperties<'a> {
    rule: &'a str,
    category: &'a str,
    severity: Severity,
    /// The absolute path, or `config:ENV`, as in the JSON; the location's URI is encoded.
    path: &'a str,
    line: u32,
    /// The scanner's redacted form: the only form of the secret a report ever holds.
    redacted: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    layer_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    layer_digest: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    layer_diff_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted_in_layer: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfigProperties<'a> {
    severity: Severity,
    detail: &'a str,
    config_digest: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VulnerabilityProperties<'a> {
    package: &'a str,
    kind: PackageKind,
    installed_version: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    fixed_versions: &'a [String],
    status: FixState,
    severity: Severity,
    severity_source: SeveritySource,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<&'a str>,
    /// The absolute path, as in the JSON; the location's URI is encoded.
    found_in: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    layer_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    layer_digest: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    layer_diff_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties<'a> {
    image: String,
    manifest_digest: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    index_digest: Option<&'a str>,
    platform: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    os: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    db_built_at: Option<&'a str>,
    suppressed: usize,
}

/// The log for `reports`, one run each, in order. No timestamps: the same reports give the same
/// bytes.
pub(crate) fn log(reports: &[VulnerabilityReport]) -> Log<'_> {
    Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: reports.iter().map(run).collect(),
    }
}

fn run(report: &VulnerabilityReport) -> Run<'_> {
    let image = &report.image;
    // Per rule, in first-seen order: the worst finding of its id, and the first summary any
    // finding of the id has (a summary beats none).
    let mut worst: Vec<(&Finding, Option<&str>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut results = Vec::with_capacity(report.findings.len());
    for finding in &report.findings {
        let rule_index = *index.entry(finding.id.as_str()).or_insert_with(|| {
            worst.push((finding, None));
            worst.len() - 1
        });
        let (rule_finding, summary) = &mut worst[rule_index];
        if finding.severity > rule_finding.severity {
            *rule_finding = finding;
        }
        if summary.is_none() {
            *summary = finding.summary.as_deref();
        }
        results.push(result(finding, rule_index));
    }
    let mut rules: Vec<Rule<'_>> = worst
        .into_iter()
        .map(|(finding, summary)| rule(finding, summary))
        .collect();

    // Secrets: one rule per scanner rule, at the severity of its worst secret.
    let mut worst_secret: Vec<&Secret> = Vec::new();
    let mut secret_index: HashMap<&str, usize> = HashMap::new();
    for secret in &image.secrets {
        let i = *secret_index.entry(secret.rule.as_str()).or_insert_with(|| {
            worst_secret.push(secret);
            worst_secret.len() - 1
        });
        if secret.severity > worst_secret[i].severity {
            worst_secret[i] = secret;
        }
        results.push(secret_result(image, secret, rules.len() + i));
    }
    rules.extend(worst_secret.into_iter().map(secret_rule));

    // Configuration findings: one rule per id, likewise.
    let mut worst_config: Vec<&ConfigFinding> = Vec::new();
    let mut config_index: HashMap<&str, usize> = HashMap::new();
    for finding in &report.config_findings {
        let i = *config_index.entry(finding.id.as_str()).or_insert_with(|| {
            worst_config.push(finding);
            worst_config.len() - 1
        });
        if finding.severity > worst_config[i].severity {
            worst_config[i] = finding;
        }
        results.push(config_result(image, finding, rules.len() + i));
    }
    rules.extend(worst_config.into_iter().map(config_rule));
    Run {
        tool: Tool {
            driver: Driver {
                name: TOOL.name,
                version: TOOL.version,
                rules,
            },
        },
        automation_details: AutomationDetails {
            id: format!("{}/{}/", image::name(image), image.platform),
        },
        original_uri_base_ids: BTreeMap::from([(
            ROOT,
            ArtifactLocation {
                uri: "file:///".to_owned(),
                uri_base_id: None,
                description: Some(Message {
                    text: "The root directory of the image's filesystem".to_owned(),
                }),
            },
        )]),
        results,
        properties: RunProperties {
            image: image.source.display_name(),
            manifest_digest: image.manifest_digest.as_str(),
            index_digest: image.index_digest.as_ref().map(Digest::as_str),
            platform: image.platform.to_string(),
            os: image.os.is_some().then(|| text::os_name(image)),
            db_built_at: report.db_built_at.as_deref(),
            suppressed: report.suppressed,
        },
    }
}

fn rule<'a>(finding: &'a Finding, summary: Option<&'a str>) -> Rule<'a> {
    let description = summary.unwrap_or(&finding.id);
    let mut help = description.to_owned();
    if !finding.aliases.is_empty() {
        help.push_str("\n\nAliases: ");
        help.push_str(&finding.aliases.join(", "));
    }
    help.push_str("\n\nSeverity: ");
    help.push_str(finding.severity.as_str());
    if let Some(cvss) = &finding.cvss {
        // Infallible: writing to a String.
        let _ = write!(help, " (score {}, {})", cvss.score, cvss.vector);
    }
    if !finding.references.is_empty() {
        help.push_str("\n\nReferences:");
        for reference in &finding.references {
            help.push_str("\n- ");
            help.push_str(reference);
        }
    }
    Rule {
        id: Cow::Borrowed(&finding.id),
        short_description: Message {
            text: description.to_owned(),
        },
        help_uri: finding
            .references
            .iter()
            .map(String::as_str)
            .find(|r| is_plain_url(r)),
        help: Message { text: help },
        default_configuration: Configuration {
            level: level(finding.severity),
        },
        properties: RuleProperties {
            tags: ["security", "vulnerability", finding.severity.as_str()],
            security_severity: security_severity(finding.severity, finding.cvss.as_ref()),
            aliases: &finding.aliases,
            cvss: finding.cvss.as_ref(),
        },
    }
}

fn result(finding: &Finding, rule_index: usize) -> SarifResult<'_> {
    let layer = finding.layer.as_ref();
    SarifResult {
        rule_id: Cow::Borrowed(&finding.id),
        rule_index,
        level: level(finding.severity),
        message: Message {
            text: message(finding),
        },
        locations: [file_location(&finding.found_in, 1)],
        partial_fingerprints: BTreeMap::from([(
            FINGERPRINT,
            format!(
                "{}|{}|{}|{}",
                finding.id,
                finding.kind.as_str(),
                finding.package,
                finding.found_in
            ),
        )]),
        properties: ResultProperties::Vulnerability(VulnerabilityProperties {
            package: &finding.package,
            kind: finding.kind,
            installed_version: &finding.installed,
            fixed_versions: &finding.fixed_versions,
            status: finding.status,
            severity: finding.severity,
            severity_source: finding.severity_source,
            purl: finding.purl.as_deref(),
            found_in: &finding.found_in,
            layer_index: layer.map(|l| l.index),
            layer_digest: layer.map(|l| l.digest.as_str()),
            layer_diff_id: layer.map(|l| l.diff_id.as_str()),
        }),
    }
}

fn secret_rule(secret: &Secret) -> Rule<'_> {
    let help = format!(
        "{} ({} credential, rule {}).\n\nSeverity: {}\n\nA credential stored in an image can be \
         read by anyone who can pull the image, also when a later layer deletes the file: the \
         layer that added it still holds it. Pass it at build or run time instead (build secrets, \
         a secret store), and rotate the credential.",
        secret.title, secret.category, secret.rule, secret.severity
    );
    Rule {
        id: Cow::Owned(format!("secret/{}", secret.rule)),
        short_description: Message {
            text: secret.title.clone(),
        },
        help_uri: None,
        help: Message { text: help },
        default_configuration: Configuration {
            level: level(secret.severity),
        },
        properties: RuleProperties {
            tags: ["security", "secret", secret.severity.as_str()],
            security_severity: security_severity(secret.severity, None),
            aliases: &[],
            cvss: None,
        },
    }
}

fn secret_result<'a>(
    image: &'a ImageInventory,
    secret: &'a Secret,
    rule_index: usize,
) -> SarifResult<'a> {
    let layer = secret.layer.as_ref();
    let mut text = format!("{} in {}", secret.title, secret.path);
    if secret.line > 0 {
        // Infallible: writing to a String.
        let _ = write!(text, " line {}", secret.line);
    }
    let _ = write!(text, ": {}", secret.redacted);
    if let Some(deleted) = secret.deleted_in_layer {
        let _ = write!(
            text,
            "; layer {deleted} deletes the file, but the image's layer blob still holds it"
        );
    }
    SarifResult {
        rule_id: Cow::Owned(format!("secret/{}", secret.rule)),
        rule_index,
        level: level(secret.severity),
        message: Message { text },
        locations: [if secret.path.starts_with('/') {
            file_location(&secret.path, secret.line.max(1))
        } else {
            image_location(image)
        }],
        partial_fingerprints: BTreeMap::from([(
            FINGERPRINT,
            format!(
                "secret/{}|{}|{}|{}",
                secret.rule, secret.path, secret.line, secret.redacted
            ),
        )]),
        properties: ResultProperties::Secret(SecretProperties {
            rule: &secret.rule,
            category: &secret.category,
            severity: secret.severity,
            path: &secret.path,
            line: secret.line,
            redacted: &secret.redacted,
            layer_index: layer.map(|l| l.index),
            layer_digest: layer.map(|l| l.digest.as_str()),
            layer_diff_id: layer.map(|l| l.diff_id.as_str()),
            deleted_in_layer: secret.deleted_in_layer,
        }),
    }
}

fn config_rule(finding: &ConfigFinding) -> Rule<'_> {
    Rule {
        id: Cow::Borrowed(&finding.id),
        short_description: Message {
            text: finding.title.clone(),
        },
        help_uri: None,
        help: Message {
            text: format!(
                "{}\n\nSeverity: {}\n\nA weakness of the image's configuration (Plimsoll check \
                 {}); the result says what this image sets.",
                finding.title, finding.severity, finding.id
            ),
        },
        default_configuration: Configuration {
            level: level(finding.severity),
        },
        properties: RuleProperties {
            tags: ["security", "configuration", finding.severity.as_str()],
            security_severity: security_severity(finding.severity, None),
            aliases: &[],
            cvss: None,
        },
    }
}

fn config_result<'a>(
    image: &'a ImageInventory,
    finding: &'a ConfigFinding,
    rule_index: usize,
) -> SarifResult<'a> {
    SarifResult {
        rule_id: Cow::Borrowed(&finding.id),
        rule_index,
        level: level(finding.severity),
        message: Message {
            text: format!("{}: {}", finding.title, finding.detail),
        },
        locations: [image_location(image)],
        partial_fingerprints: BTreeMap::from([(
            FINGERPRINT,
            format!("{}|{}", finding.id, image::name(image)),
        )]),
        properties: ResultProperties::Config(ConfigProperties {
            severity: finding.severity,
            detail: &finding.detail,
            config_digest: image.config_digest.as_str(),
        }),
    }
}

/// A file of the image's filesystem, under [`ROOT`].
fn file_location(path: &str, start_line: u32) -> Location {
    Location {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: relative_uri(path),
                uri_base_id: Some(ROOT),
                description: None,
            },
            region: Region { start_line },
        },
    }
}

/// The image as a whole (see the module docs).
fn image_location(image: &ImageInventory) -> Location {
    Location {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: relative_uri(&image::name(image)),
                uri_base_id: None,
                description: Some(Message {
                    text: format!("The image {}", image.source.display_name()),
                }),
            },
            region: Region { start_line: 1 },
        },
    }
}

/// SARIF §3.27.10 `level`: `error` for what should block a release, `warning` for what should
/// be planned, `note` for the rest.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}

/// GitHub's `security-severity`, one decimal, as a string (see the module docs).
fn security_severity(severity: Severity, cvss: Option<&Cvss>) -> Option<String> {
    let inside_bucket = match severity {
        Severity::Critical => 9.5,
        Severity::High => 8.0,
        Severity::Medium => 5.5,
        Severity::Low => 2.0,
        Severity::Unknown => return None,
    };
    let score = match cvss {
        Some(cvss) if cvss.score.is_finite() && Severity::from_score(cvss.score) == severity => {
            cvss.score
        }
        _ => inside_bucket,
    };
    Some(format!("{score:.1}"))
}

/// `Package X version Y is affected by ID (SEVERITY); fixed in Z`, with the other fix states
/// said in words.
fn message(finding: &Finding) -> String {
    let fix = match finding.status {
        FixState::Fixed if finding.fixed_versions.is_empty() => "a fix is available".to_owned(),
        FixState::Fixed => format!("fixed in {}", finding.fixed_versions.join(", ")),
        FixState::Unfixed => "no fix is available".to_owned(),
        FixState::WontFix => "the distribution will not fix it".to_owned(),
    };
    format!(
        "Package {} version {} is affected by {} ({}); {fix}",
        finding.package, finding.installed, finding.id, finding.severity
    )
}

/// `path` without its leading `/`, percent-encoded as an RFC 3986 relative reference.
///
/// Everything but unreserved characters, sub-delims, `@` and `/` is encoded, `:` included:
/// a colon in the first segment would make the reference parse as a URI scheme (RFC 3986
/// §4.2), and encoding it everywhere keeps one rule.
fn relative_uri(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for &byte in path.trim_start_matches('/').as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@/".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            let _ = write!(uri, "%{byte:02X}");
        }
    }
    uri
}

/// Whether `reference` can be a `helpUri` (an absolute URI, SARIF §3.49.12) as it stands:
/// `http(s)`, ASCII, and none of the characters RFC 3986 never allows unencoded. Advisory
/// references are free text in some databases; one that is not is skipped rather than
/// repaired.
fn is_plain_url(reference: &str) -> bool {
    (reference.starts_with("https://") || reference.starts_with("http://"))
        && reference
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"\"<>\\^`{|}".contains(&b))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::testutil;

    fn render(reports: &[VulnerabilityReport]) -> Value {
        serde_json::to_value(log(reports)).unwrap()
    }

    #[test]
    fn levels_follow_severity() {
        let levels = Severity::ALL.map(level);
        assert_eq!(levels, ["note", "note", "warning", "error", "error"]);
        let log = render(&[testutil::report()]);
        for (result, finding) in log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&testutil::report().findings)
        {
            assert_eq!(result["level"], level(finding.severity), "{}", finding.id);
            assert_eq!(result["ruleId"], finding.id.as_str());
        }
    }

    #[test]
    fn one_rule_per_vulnerability_id_with_the_worst_severity() {
        let mut report = testutil::report();
        // The same advisory against a second package, and once more less severe.
        let mut again = report.findings[0].clone();
        again.package = "libc-bin".into();
        report.findings.push(again);
        let mut milder = report.findings[0].clone();
        milder.severity = Severity::Medium;
        milder.package = "libc-dev-bin".into();
        report.findings.insert(0, milder);
        let log = render(&[report.clone()]);
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        let mut distinct = ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(ids.len(), distinct.len(), "{ids:?}");
        assert_eq!(ids.len(), 8);
        assert_eq!(ids[0], "CVE-2026-0001");
        assert_eq!(rules[0]["defaultConfiguration"]["level"], "error");
        assert_eq!(rules[0]["properties"]["security-severity"], "9.8");

        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), report.findings.len());
        for result in results {
            let index = usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap();
            assert_eq!(rules[index]["id"], result["ruleId"]);
        }
        assert_eq!(
            results
                .iter()
                .filter(|r| r["ruleId"] == "CVE-2026-0001")
                .count(),
            3
        );
        assert_eq!(results[0]["level"], "warning");
    }

    #[test]
    fn rules_carry_description_help_and_github_severity() {
        let log = render(&[testutil::report()]);
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        let rule = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap();

        let ghsa = rule("GHSA-9wx4-h78v-vm56");
        assert_eq!(
            ghsa["shortDescription"]["text"],
            "Requests `Session` object does not verify requests after making first request with verify=False"
        );
        assert_eq!(
            ghsa["helpUri"],
            "https://github.com/psf/requests/security/advisories/GHSA-9wx4-h78v-vm56"
        );
        assert_eq!(
            ghsa["properties"],
            json!({
                "tags": ["security", "vulnerability", "MEDIUM"],
                "security-severity": "5.6",
                "aliases": ["CVE-2024-35195"],
                "cvss": {
                    "kind": "CVSS_V3",
                    "vector": "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N",
                    "score": 5.6
                }
            })
        );
        let help = ghsa["help"]["text"].as_str().unwrap();
        assert!(help.contains("Aliases: CVE-2024-35195"), "{help}");
        assert!(
            help.contains("Severity: MEDIUM (score 5.6, CVSS:3.1/AV:L/"),
            "{help}"
        );
        assert!(
            help.ends_with(
                "\n- https://github.com/psf/requests/security/advisories/GHSA-9wx4-h78v-vm56"
            ),
            "{help}"
        );

        // No summary, no reference, no score.
        let bare = rule("GHSA-c2qf-rxjj-qqgw");
        assert_eq!(bare["shortDescription"]["text"], "GHSA-c2qf-rxjj-qqgw");
        assert!(bare.get("helpUri").is_none());
        assert!(bare["properties"].get("security-severity").is_none());
        assert_eq!(bare["defaultConfiguration"]["level"], "note");
        // HIGH from a database, no CVSS: a score inside GitHub's "high" bucket.
        assert_eq!(
            rule("CVE-2026-0002")["properties"]["security-severity"],
            "8.0"
        );
    }

    #[test]
    fn security_severity_never_contradicts_the_severity() {
        let report = testutil::report();
        let mut finding = report.findings[0].clone();
        assert_eq!(
            security_severity(finding.severity, finding.cvss.as_ref()).as_deref(),
            Some("9.8")
        );
        // A distro rates it LOW despite NVD's 9.8: GitHub must say low too.
        finding.severity = Severity::Low;
        assert_eq!(
            security_severity(finding.severity, finding.cvss.as_ref()).as_deref(),
            Some("2.0")
        );
        finding.severity = Severity::Critical;
        finding.cvss.as_mut().unwrap().score = f64::NAN;
        assert_eq!(
            security_severity(finding.severity, finding.cvss.as_ref()).as_deref(),
            Some("9.5")
        );
        for severity in Severity::ALL {
            finding.severity = severity;
            finding.cvss = None;
            let score = security_severity(finding.severity, finding.cvss.as_ref())
                .map(|s| s.parse::<f64>().unwrap());
            match score {
                Some(score) => assert_eq!(Severity::from_score(score), severity),
                None => assert_eq!(severity, Severity::Unknown),
            }
        }
    }

    #[test]
    fn results_point_at_the_file_in_the_image() {
        let log = render(&[testutil::report()]);
        let run = &log["runs"][0];
        assert_eq!(run["originalUriBaseIds"]["ROOTPATH"]["uri"], "file:///");
        let result = &run["results"][5];
        assert_eq!(result["ruleId"], "GHSA-9wx4-h78v-vm56");
        let layer = testutil::layer(1);
        assert_eq!(
            result["locations"],
            json!([{"physicalLocation": {
                "artifactLocation": {
                    "uri": "usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
                    "uriBaseId": "ROOTPATH"
                },
                "region": {"startLine": 1}
            }}])
        );
        assert_eq!(
            result["message"]["text"],
            "Package requests version 2.31.0 is affected by GHSA-9wx4-h78v-vm56 (MEDIUM); fixed in 2.32.0"
        );
        assert_eq!(
            result["partialFingerprints"],
            json!({"plimsoll/v1": "GHSA-9wx4-h78v-vm56|python|requests|/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA"})
        );
        assert_eq!(
            result["properties"],
            json!({
                "package": "requests",
                "kind": "python",
                "installedVersion": "2.31.0",
                "fixedVersions": ["2.32.0"],
                "status": "fixed",
                "severity": "MEDIUM",
                "severitySource": "cvss-v3",
                "purl": "pkg:pypi/requests@2.31.0",
                "foundIn": "/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
                "layerIndex": 1,
                "layerDigest": layer.digest.as_str(),
                "layerDiffId": layer.diff_id.as_str()
            })
        );
    }

    #[test]
    fn secrets_and_configuration_findings_are_results_with_rules() {
        let report = testutil::full_report();
        let log = render(std::slice::from_ref(&report));
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids[8..],
            [
                "secret/aws-access-key-id",
                "secret/generic-password",
                "PLM-CFG-001",
                "PLM-CFG-002"
            ]
        );
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 8 + 2 + 2);
        for result in results {
            let index = usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap();
            assert_eq!(rules[index]["id"], result["ruleId"]);
        }

        let aws = &results[8];
        assert_eq!(aws["level"], "error");
        assert_eq!(
            aws["locations"][0]["physicalLocation"],
            json!({
                "artifactLocation": {"uri": "app/.env", "uriBaseId": "ROOTPATH"},
                "region": {"startLine": 3}
            })
        );
        assert_eq!(
            aws["message"]["text"],
            "AWS access key ID in /app/.env line 3: AKIA****************; layer 2 deletes the file, but the image's layer blob still holds it"
        );
        assert_eq!(aws["properties"]["redacted"], "AKIA****************");
        assert_eq!(aws["properties"]["deletedInLayer"], 2);
        assert_eq!(aws["properties"]["layerIndex"], 1);
        assert_eq!(
            aws["partialFingerprints"]["plimsoll/v1"],
            "secret/aws-access-key-id|/app/.env|3|AKIA****************"
        );
        let aws_rule = &rules[8];
        assert_eq!(aws_rule["shortDescription"]["text"], "AWS access key ID");
        assert_eq!(aws_rule["properties"]["security-severity"], "9.5");
        assert_eq!(
            aws_rule["properties"]["tags"],
            json!(["security", "secret", "CRITICAL"])
        );
        assert!(
            aws_rule["help"]["text"]
                .as_str()
                .unwrap()
                .contains("rotate the credential")
        );

        // No file: the image itself, line 1.
        let image_location = json!({
            "artifactLocation": {
                "uri": "docker.io/library/debian",
                "description": {"text": "The image docker.io/library/debian:12"}
            },
            "region": {"startLine": 1}
        });
        let env = &results[9];
        assert_eq!(env["locations"][0]["physicalLocation"], image_location);
        assert_eq!(
            env["message"]["text"],
            "Password in configuration in config:ENV: DB_PASSWORD=hu*****"
        );
        let root = &results[10];
        assert_eq!(root["ruleId"], "PLM-CFG-001");
        assert_eq!(root["level"], "error");
        assert_eq!(root["locations"][0]["physicalLocation"], image_location);
        assert_eq!(
            root["message"]["text"],
            "Image runs as root: User is \"\" (root)"
        );
        assert_eq!(
            root["properties"],
            json!({
                "severity": "HIGH",
                "detail": "User is \"\" (root)",
                "configDigest": report.image.config_digest.as_str()
            })
        );
        assert_eq!(rules[10]["shortDescription"]["text"], "Image runs as root");
        assert_eq!(
            rules[11]["properties"]["tags"],
            json!(["security", "configuration", "LOW"])
        );
    }

    #[test]
    fn a_secret_rule_takes_its_worst_secret() {
        let mut report = testutil::full_report();
        let mut milder = report.image.secrets[0].clone();
        milder.severity = Severity::Low;
        milder.path = "/etc/other".into();
        report.image.secrets.insert(0, milder);
        let log = render(&[report]);
        let run = &log["runs"][0];
        assert_eq!(
            run["tool"]["driver"]["rules"][8]["defaultConfiguration"]["level"],
            "error"
        );
        assert_eq!(run["results"][8]["level"], "note");
        assert_eq!(run["results"][9]["ruleIndex"], 8);
    }

    #[test]
    fn messages_say_how_to_fix() {
        let report = testutil::report();
        let text = |id: &str| message(report.findings.iter().find(|f| f.id == id).unwrap());
        assert_eq!(
            text("GHSA-67hx-6x53-jw92"),
            "Package @babel/core version 7.23.0 is affected by GHSA-67hx-6x53-jw92 (HIGH); fixed in 7.23.2, 8.0.0-alpha.4"
        );
        assert_eq!(
            text("CVE-2026-0002"),
            "Package libc6 version 2.36-9+deb12u4 is affected by CVE-2026-0002 (HIGH); no fix is available"
        );
        assert_eq!(
            text("CVE-2019-8457"),
            "Package libdb5.3 version 5.3.28+dfsg2-1+b1 is affected by CVE-2019-8457 (LOW); the distribution will not fix it"
        );
    }

    #[test]
    fn uris_are_relative_and_encoded() {
        assert_eq!(relative_uri("/var/lib/dpkg/status"), "var/lib/dpkg/status");
        assert_eq!(
            relative_uri("/app/node_modules/@babel/core/package.json"),
            "app/node_modules/@babel/core/package.json"
        );
        assert_eq!(
            relative_uri("/c:/my app/100%/é\n"),
            "c%3A/my%20app/100%25/%C3%A9%0A"
        );
        assert!(is_plain_url(
            "https://nvd.nist.gov/vuln/detail/CVE-2026-0001"
        ));
        assert!(!is_plain_url("see https://example.com"));
        assert!(!is_plain_url("https://example.com/a b"));
        assert!(!is_plain_url("ftp://example.com/"));
        assert!(!is_plain_url("https://example.com/{x}"));
    }

    #[test]
    fn runs_have_distinct_categories_and_image_properties() {
        let amd64 = testutil::report();
        let mut arm64 = testutil::report();
        arm64.image.platform = "linux/arm64/v8".parse().unwrap();
        arm64.image.os = None;
        arm64.db_built_at = None;
        let log = render(&[amd64.clone(), arm64]);
        assert_eq!(log["$schema"], SCHEMA_URI);
        assert_eq!(log["version"], "2.1.0");
        let runs = log["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(
            runs[0]["automationDetails"]["id"],
            "docker.io/library/debian/linux/amd64/"
        );
        assert_eq!(
            runs[1]["automationDetails"]["id"],
            "docker.io/library/debian/linux/arm64/v8/"
        );
        assert_eq!(runs[0]["tool"]["driver"]["name"], "plimsoll");
        assert_eq!(
            runs[0]["tool"]["driver"]["version"],
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(
            runs[0]["properties"],
            json!({
                "image": "docker.io/library/debian:12",
                "manifestDigest": amd64.image.manifest_digest.as_str(),
                "platform": "linux/amd64",
                "os": "Debian GNU/Linux 12 (bookworm)",
                "dbBuiltAt": "2026-11-25T06:00:00Z",
                "suppressed": 2
            })
        );
        assert!(runs[1]["properties"].get("os").is_none());
        assert!(runs[1]["properties"].get("dbBuiltAt").is_none());
        assert_eq!(render(&[])["runs"], json!([]));
    }
}
