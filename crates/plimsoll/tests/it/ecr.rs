//! Amazon ECR discovery end to end: a real moto server (`scripts/tools/aws.sh`) answers STS,
//! Organizations, EC2 `DescribeRegions` and ECR; moto has no `/v2/`, so the images themselves
//! live in the harness's real registry and `aws.registry_endpoint` pulls through it. The
//! images registered in moto's ECR carry the real manifests and digests of the pushed ones.
//!
//! - `ecr_scan_discovers_filters_pulls_and_stores`: discovery → filter → pull → inventory,
//!   results in the store, and no credential in any log line at `trace`.
//! - `ecr_check_lists_an_organization`: `plimsoll registry check` over an organization: its
//!   accounts, regions and registries, the management account excluded, and a member whose
//!   role cannot be assumed named and skipped.
//! - `ecr_api_calls_trust_the_registrys_ca_cert`: moto over HTTPS with a certificate of a
//!   private CA: refused without `ca_cert` (the TLS error named), reached with it.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::registry_scan::{Setup, namespace, push};
use crate::{Harness, stderr};

/// The access key and secret the tests configure: both must never appear in a log.
const ACCESS_KEY: &str = "AKIAPLIMSOLLTESTKEY01";
const SECRET_KEY: &str = "plimsoll-test-secret-sentinel-value";

/// A moto server on a free loopback port, killed when dropped.
struct Moto {
    child: Child,
    url: String,
    python: String,
}

impl Moto {
    /// Started and answering, or `None` (after saying why) without the tool outside CI.
    fn start() -> Option<Moto> {
        Self::start_with(None)
    }

    /// [`Moto::start`], serving HTTPS with `tls` = (certificate, key) PEM files if given.
    fn start_with(tls: Option<(&std::path::Path, &std::path::Path)>) -> Option<Moto> {
        let (Ok(server), Ok(python)) = (
            std::env::var("PLIMSOLL_TOOLS_MOTO_SERVER"),
            std::env::var("PLIMSOLL_TOOLS_AWS_PYTHON"),
        ) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but PLIMSOLL_TOOLS_MOTO_SERVER is not: eval \"$(scripts/test-tools.sh)\""
            );
            eprintln!(
                "skipping: PLIMSOLL_TOOLS_MOTO_SERVER not set (eval \"$(scripts/test-tools.sh)\")"
            );
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new(&server);
        command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        if let Some((cert, key)) = tls {
            command.arg("-c").arg(cert).arg("-k").arg(key);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let moto = Moto {
            child,
            url: format!(
                "{}://127.0.0.1:{port}",
                if tls.is_some() { "https" } else { "http" }
            ),
            python,
        };
        let deadline = Instant::now() + Duration::from_mins(1);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }

    /// Runs a boto3 script against the server (`ENDPOINT` is its URL); returns its stdout.
    fn boto3(&self, script: &str) -> String {
        let output = Command::new(&self.python)
            .args(["-c", script])
            .env("ENDPOINT", &self.url)
            .env("AWS_ACCESS_KEY_ID", "setup")
            .env("AWS_SECRET_ACCESS_KEY", "setup")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .output()
            .expect("run boto3");
        assert!(
            output.status.success(),
            "boto3 script failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// `plimsoll` with `args`, pointed at this server, no AWS settings of the machine.
    fn plimsoll(&self, args: &[&str]) -> std::process::Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_plimsoll"));
        command.args(args);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("AWS_") {
                command.env_remove(name);
            }
        }
        command
            .env_remove("RUST_LOG")
            .env("DOCKER_CONFIG", "/nonexistent-plimsoll-test")
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent-plimsoll-test")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent-plimsoll-test")
            .output()
            .expect("run plimsoll")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Registers each pushed `repo:tag` in moto's ECR with the manifest and digest the real
/// registry holds, in the caller's account (123456789012, moto's default).
fn register_images(moto: &Moto, h: &Harness, images: &[(String, String, String)]) {
    let listing: Vec<Value> = images
        .iter()
        .map(|(repo, tag, digest)| serde_json::json!([repo, tag, digest]))
        .collect();
    let script = format!(
        r#"
import json, os, urllib.request, boto3
ecr = boto3.client("ecr", endpoint_url=os.environ["ENDPOINT"])
accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json"
for repo, tag, digest in json.loads({listing:?}):
    try:
        ecr.create_repository(repositoryName=repo)
    except ecr.exceptions.RepositoryAlreadyExistsException:
        pass
    req = urllib.request.Request("http://{registry}/v2/%s/manifests/%s" % (repo, digest), headers={{"Accept": accept}})
    with urllib.request.urlopen(req) as resp:
        manifest = resp.read().decode()
        media_type = resp.headers["Content-Type"]
    ecr.put_image(repositoryName=repo, imageManifest=manifest, imageManifestMediaType=media_type, imageTag=tag, imageDigest=digest)
"#,
        listing = serde_json::to_string(&listing).unwrap(),
        registry = h.registry,
    );
    moto.boto3(&script);
}

/// Every log line of `output` and its stdout, checked for the secrets a run handled.
fn assert_no_secret(output: &std::process::Output, secrets: &[&str]) {
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for secret in secrets {
        let leaks: Vec<String> = text
            .lines()
            .filter(|l| l.contains(secret))
            .map(|l| {
                l.replace(secret, "<CREDENTIAL>")
                    .chars()
                    .take(600)
                    .collect()
            })
            .collect();
        assert!(
            leaks.is_empty(),
            "a credential reached {} output line(s):\n{}",
            leaks.len(),
            leaks.join("\n")
        );
    }
}

#[test]
fn ecr_scan_discovers_filters_pulls_and_stores() {
    let Some(h) = Harness::get() else { return };
    let Some(moto) = Moto::start() else { return };
    let ns = namespace("ecr");
    let app = format!("{ns}/app");
    let old = format!("{ns}/old");
    let fresh = push(
        &h,
        "lab/debian:12",
        &app,
        &["--tags", "2", "--unique-layer"],
    );
    let aged = push(
        &h,
        "lab/debian:12",
        &old,
        &["--tags", "1", "--unique-layer", "--age-days", "400"],
    );
    let mut images = Vec::new();
    for (repo, tags) in [(&app, &fresh), (&old, &aged)] {
        for (tag, digest) in tags {
            images.push((repo.clone(), tag.clone(), digest.clone()));
        }
    }
    register_images(&moto, &h, &images);

    let setup = Setup::new();
    let config = setup.dir().join("ecr.toml");
    fs_err::write(
        &config,
        format!(
            r#"
[filter]
max_age_days = 30

[[registries]]
name = "aws"
type = "ecr"

[registries.aws]
region = "us-east-1"
access_key_id = "{ACCESS_KEY}"
secret_access_key = "{SECRET_KEY}"
registry_endpoint = "http://{registry}"
"#,
            registry = h.registry
        ),
    )
    .unwrap();
    let output = moto.plimsoll(&[
        "--log-level",
        "trace",
        "--log-format",
        "json",
        "registry",
        "scan",
        "--config",
        config.to_str().unwrap(),
        "--store",
        setup.store().to_str().unwrap(),
        "--db-dir",
        setup.db_dir().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let logs: Vec<Value> = stderr(&output)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let filters = logs
        .iter()
        .find(|l| l["message"] == "filters applied")
        .expect("a `filters applied` line");
    assert_eq!(
        (&filters["discovered"], &filters["selected"]),
        (&Value::from(3), &Value::from(2)),
        "three tags discovered through ECR, the 400-day one filtered out: {filters}"
    );
    assert!(
        stderr(&output).contains("Total: 2 = Success: 2 + Failed: 0 + Skipped: 0"),
        "{}",
        stderr(&output).lines().last().unwrap_or_default()
    );
    // moto's token for the default account; its password and base64 form must not be logged.
    let password = "123456789012-auth-token";
    let token = moto
        .boto3(
            r#"
import os, boto3
print(boto3.client("ecr", endpoint_url=os.environ["ENDPOINT"]).get_authorization_token()["authorizationData"][0]["authorizationToken"])
"#,
        )
        .trim()
        .to_owned();
    assert_no_secret(&output, &[SECRET_KEY, password, &token]);

    let results = moto.plimsoll(&[
        "results",
        "list",
        "--format",
        "json",
        "--repository",
        &ns,
        "--store",
        setup.store().to_str().unwrap(),
    ]);
    assert!(results.status.success(), "{}", stderr(&results));
    let rows: Vec<Value> = serde_json::from_slice(&results.stdout).unwrap();
    let mut seen: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["repository"].as_str().unwrap().to_owned(),
                r["tag"].as_str().unwrap().to_owned(),
                r["digest"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let mut wanted: Vec<(String, String, String)> = fresh
        .iter()
        .map(|(t, d)| (app.clone(), t.clone(), d.clone()))
        .collect();
    wanted.sort();
    assert_eq!(
        seen, wanted,
        "the fresh tags, scanned; the 400-day one filtered out"
    );
    for row in &rows {
        assert_eq!(row["registry"], h.registry.as_str(), "{row}");
        assert_eq!(row["status"], "scanned", "{row}");
        assert_eq!(
            row["os"], "Debian GNU/Linux 12 (bookworm)",
            "the layers were pulled and read: {row}"
        );
    }
}

#[test]
fn ecr_check_lists_an_organization() {
    let Some(_h) = Harness::get() else { return };
    let Some(moto) = Moto::start() else { return };
    // The organization: the management account (moto's default, 123456789012) plus three
    // members; a repository in the management account (must not be listed) and some in two
    // members. moto lets any role be assumed, so the refusal is made real with moto's IAM
    // enforcement: the scanner's user and roles exist with policies, the management role may
    // not assume the `locked` member's role, and enforcement is switched on after the setup.
    let created = moto.boto3(
        r#"
import os, json, boto3, urllib.request
endpoint = os.environ["ENDPOINT"]
org = boto3.client("organizations", endpoint_url=endpoint)
org.create_organization(FeatureSet="ALL")
ids = {}
for name in ["dev", "prod", "locked"]:
    status = org.create_account(Email=name + "@example.com", AccountName=name)["CreateAccountStatus"]
    ids[name] = status["AccountId"]
allow_all = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
iam = boto3.client("iam", endpoint_url=endpoint)
iam.create_user(UserName="scanner")
iam.put_user_policy(UserName="scanner", PolicyName="all", PolicyDocument=allow_all)
key = iam.create_access_key(UserName="scanner")["AccessKey"]
iam.create_role(RoleName="PlimsollOrgReader", AssumeRolePolicyDocument=trust)
iam.put_role_policy(RoleName="PlimsollOrgReader", PolicyName="all", PolicyDocument=allow_all)
iam.put_role_policy(RoleName="PlimsollOrgReader", PolicyName="not-locked", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sts:AssumeRole",
     "Resource": "arn:aws:iam::%s:role/OrganizationAccountAccessRole" % ids["locked"]}]}))
sts = boto3.client("sts", endpoint_url=endpoint)
def session(account):
    creds = sts.assume_role(RoleArn="arn:aws:iam::%s:role/OrganizationAccountAccessRole" % account, RoleSessionName="setup")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
for name in ["dev", "prod", "locked"]:
    member_iam = session(ids[name]).client("iam", endpoint_url=endpoint)
    # moto's CreateAccount makes the role, as Organizations does; give it a policy.
    member_iam.update_assume_role_policy(RoleName="OrganizationAccountAccessRole", PolicyDocument=trust)
    member_iam.put_role_policy(RoleName="OrganizationAccountAccessRole", PolicyName="all", PolicyDocument=allow_all)
boto3.client("ecr", endpoint_url=endpoint).create_repository(repositoryName="management-only")
session(ids["dev"]).client("ecr", endpoint_url=endpoint, region_name="us-east-1").create_repository(repositoryName="team/dev-app")
for repo in ["team/dev-eu", "team/dev-eu-2"]:
    session(ids["dev"]).client("ecr", endpoint_url=endpoint, region_name="eu-west-1").create_repository(repositoryName=repo)
session(ids["prod"]).client("ecr", endpoint_url=endpoint, region_name="us-east-1").create_repository(repositoryName="team/prod-app")
urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"})).read()
ids["key"] = key["AccessKeyId"]
ids["secret"] = key["SecretAccessKey"]
print(json.dumps(ids))
"#,
    );
    let ids: Value = serde_json::from_str(created.trim()).unwrap();
    let (dev, prod, locked) = (
        ids["dev"].as_str().unwrap(),
        ids["prod"].as_str().unwrap(),
        ids["locked"].as_str().unwrap(),
    );
    let (key, secret) = (
        ids["key"].as_str().unwrap(),
        ids["secret"].as_str().unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("org.toml");
    fs_err::write(
        &config,
        format!(
            r#"
[[registries]]
name = "org"
type = "ecr"

[registries.aws]
region = "us-east-1"
access_key_id = "{key}"
secret_access_key = "{secret}"
management_account_role_arn = "arn:aws:iam::123456789012:role/PlimsollOrgReader"
allow_list_regions = ["us-east-1", "eu-west-1"]
"#
        ),
    )
    .unwrap();
    let output = moto.plimsoll(&[
        "--log-level",
        "trace",
        "registry",
        "check",
        "--config",
        config.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}\n{}",
        stderr(&output)
    );
    assert!(
        stdout.contains("registry `org` (type ecr): 1 problem(s)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "account {dev} (dev): assumed; regions: us-east-1, eu-west-1"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("account {prod} (prod): assumed")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("account {locked} (locked): NOT ASSUMED")),
        "the member whose role cannot be assumed is named: {stdout}"
    );
    for (account, region, count) in [
        (dev, "us-east-1", 1),
        (dev, "eu-west-1", 2),
        (prod, "us-east-1", 1),
        (prod, "eu-west-1", 0),
    ] {
        let line = format!(
            "registry {account}.dkr.ecr.{region}.amazonaws.com (account {account}, {region}): {count} repositories"
        );
        assert!(stdout.contains(&line), "missing `{line}` in\n{stdout}");
    }
    assert!(
        !stdout.contains("registry 123456789012.") && !stdout.contains("account 123456789012"),
        "the management account's registries are excluded: {stdout}"
    );
    assert!(
        stdout.contains("arn:aws:iam::") && stdout.contains(":role/OrganizationAccountAccessRole"),
        "the refused role is named: {stdout}"
    );
    assert_no_secret(&output, &[secret]);

    // Without a region allow-list, each member's regions come from ec2:DescribeRegions (signed
    // with aws-sigv4; moto checks the signature while its IAM enforcement is on).
    fs_err::write(
        &config,
        format!(
            r#"
[[registries]]
name = "org"
type = "ecr"

[registries.aws]
region = "us-east-1"
access_key_id = "{key}"
secret_access_key = "{secret}"
management_account_role_arn = "arn:aws:iam::123456789012:role/PlimsollOrgReader"
allow_list_member_account_ids = ["{dev}"]
"#
        ),
    )
    .unwrap();
    let output = moto.plimsoll(&["registry", "check", "--config", config.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let regions = stdout
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix(&format!("account {dev} (dev): assumed; regions: "))
        })
        .unwrap_or_else(|| panic!("dev's regions listed: {stdout}\n{}", stderr(&output)))
        .split(", ")
        .collect::<Vec<_>>();
    assert!(
        regions.len() > 2 && regions.contains(&"us-east-1") && regions.contains(&"eu-west-1"),
        "{regions:?}"
    );
    assert!(
        !stdout.contains(prod) && !stdout.contains(locked),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "registry {dev}.dkr.ecr.eu-west-1.amazonaws.com (account {dev}, eu-west-1): 2 repositories"
        )),
        "{stdout}"
    );
}

/// The pull credentials ECR issues (`GetAuthorizationToken`: user `AWS`, the token as
/// password) go to the registry host alone: a registry endpoint that redirects manifests and
/// blobs to another host name (`localhost` for `127.0.0.1`, the same port) never sees them
/// there (`vendors/redirects.rs` describes the loopback pair).
#[test]
fn ecr_pull_credentials_never_follow_a_redirect_to_another_host() {
    use crate::vendors::redirects::{Auth, basic_of, redirecting};
    let Some(h) = Harness::get() else { return };
    let Some(moto) = Moto::start() else { return };
    let ns = namespace("ecr-redirect");
    let app = format!("{ns}/app");
    let pushed = push(
        &h,
        "lab/debian:12",
        &app,
        &["--tags", "1", "--unique-layer"],
    );
    let images: Vec<(String, String, String)> = pushed
        .iter()
        .map(|(t, d)| (app.clone(), t.clone(), d.clone()))
        .collect();
    register_images(&moto, &h, &images);
    // moto's token for its default account (see `ecr_scan_discovers_filters_pulls_and_stores`).
    let password = "123456789012-auth-token";
    let basic = basic_of("AWS", password);
    let server = redirecting(
        Auth::Basic,
        basic.clone(),
        h.registry.clone(),
        app.clone(),
        pushed.keys().cloned().collect(),
    );
    let setup = Setup::new();
    let config = setup.dir().join("ecr.toml");
    fs_err::write(
        &config,
        format!(
            r#"
[[registries]]
name = "aws"
type = "ecr"

[registries.aws]
region = "us-east-1"
access_key_id = "{ACCESS_KEY}"
secret_access_key = "{SECRET_KEY}"
registry_endpoint = "http://{endpoint}"
"#,
            endpoint = server.addr
        ),
    )
    .unwrap();
    let output = moto.plimsoll(&[
        "--log-level",
        "trace",
        "registry",
        "scan",
        "--config",
        config.to_str().unwrap(),
        "--store",
        setup.store().to_str().unwrap(),
        "--db-dir",
        setup.db_dir().to_str().unwrap(),
        "--include",
        &format!("{}/{ns}/*", server.addr),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("Total: 1 = Success: 1 + Failed: 0 + Skipped: 0"),
        "{}",
        stderr(&output)
    );
    let seen = server.seen();
    let (elsewhere, at_registry): (Vec<_>, Vec<_>) = seen.iter().partition(|s| {
        s.host
            .as_deref()
            .is_some_and(|h| h.starts_with("localhost:"))
    });
    assert!(
        at_registry.iter().any(|s| s.target.contains("/manifests/")
            && s.authorization.as_deref() == Some(basic.as_str())),
        "the ECR token was used at the registry: {seen:#?}"
    );
    assert!(
        elsewhere
            .iter()
            .filter(|s| s.target.contains("/blobs/"))
            .count()
            >= 2
            && elsewhere.iter().all(|s| s.authorization.is_none()),
        "the ECR token reached the other host: {elsewhere:#?}"
    );
    assert_no_secret(&output, &[SECRET_KEY, password, &basic[6..]]);
}

/// A private CA and a certificate it signed for `127.0.0.1`, made with openssl in `dir`:
/// (CA certificate, server certificate, server key).
fn private_ca(
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let run = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run openssl");
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            stderr(&output)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Plimsoll test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    fs_err::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.pem",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}

#[test]
fn ecr_api_calls_trust_the_registrys_ca_cert() {
    let Some(_h) = Harness::get() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = private_ca(dir.path());
    let Some(moto) = Moto::start_with(Some((&cert, &key))) else {
        return;
    };
    let config = |ca_cert: Option<&std::path::Path>| {
        let path = dir.path().join("ecr.toml");
        let ca_line = ca_cert
            .map(|p| format!("ca_cert = \"{}\"\n", p.display()))
            .unwrap_or_default();
        fs_err::write(
            &path,
            format!(
                r#"
[[registries]]
name = "tls"
type = "ecr"
{ca_line}
[registries.aws]
region = "us-east-1"
access_key_id = "{ACCESS_KEY}"
secret_access_key = "{SECRET_KEY}"
"#
            ),
        )
        .unwrap();
        path
    };
    let check = |path: &std::path::Path| {
        moto.plimsoll(&["registry", "check", "--config", path.to_str().unwrap()])
    };

    let refused = check(&config(None));
    let stdout = String::from_utf8_lossy(&refused.stdout).into_owned();
    assert_eq!(
        refused.status.code(),
        Some(1),
        "{stdout}\n{}",
        stderr(&refused)
    );
    assert!(
        stdout.contains("registry `tls` (type ecr): 1 problem(s)")
            && stdout.contains("GetCallerIdentity failed")
            && stdout.contains("invalid peer certificate: UnknownIssuer"),
        "an untrusted certificate must be named: {stdout}"
    );

    let trusted = check(&config(Some(&ca)));
    let stdout = String::from_utf8_lossy(&trusted.stdout).into_owned();
    assert_eq!(
        trusted.status.code(),
        Some(0),
        "{stdout}\n{}",
        stderr(&trusted)
    );
    assert!(
        stdout.contains("account 123456789012: assumed; regions: us-east-1")
            && stdout.contains("registry 123456789012.dkr.ecr.us-east-1.amazonaws.com"),
        "{stdout}"
    );
}
