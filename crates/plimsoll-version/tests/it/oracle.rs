//! Oracle tests: this crate's ordering against the reference implementations, on thousands of
//! generated pairs plus real versions from this machine.
//!
//! | scheme  | oracle                                   | needs                              |
//! |---------|------------------------------------------|------------------------------------|
//! | dpkg    | `dpkg --compare-versions`                | dpkg (every Debian machine)        |
//! | pep440  | Python `packaging.version.Version`       | `PLIMSOLL_TOOLS_PYTHON`            |
//! | semver  | node `semver.compare`                    | `PLIMSOLL_TOOLS_NODE_PATH`         |
//! | maven   | Maven's `ComparableVersion` (`java`)     | Debian's `maven` package           |
//! | rpm     | `rpm.vercmp` (rpm's Lua interface)       | Debian's `rpm` package             |
//! | composer | composer/semver `VersionParser::normalize` + PHP `version_compare` | `PLIMSOLL_TOOLS_PHP`, `PLIMSOLL_TOOLS_COMPOSER_SEMVER` |
//!
//! `scripts/test-tools.sh` installs the Python and node tools and prints the variables. A
//! missing tool skips its test with a note on stderr, except under CI (`CI` set, not `0` or
//! `false`), where a missing dpkg, Python or node oracle fails the test. Maven, rpm and
//! Composer are optional everywhere.
//!
//! A pair counts as compared when both sides read both versions. Versions the tool rejects are
//! skipped (this crate may be more lenient, e.g. a `v` prefix for `SemVer`); versions this crate
//! rejects but the tool accepts are failures, like different orders.

use std::cmp::Ordering;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use plimsoll_version::{Composer, Dpkg, Maven, Pep440, Rpm, Semver, VersionScheme};

use crate::generate::{self, Rng};

/// Each oracle must compare at least this many pairs.
const MIN_COMPARED: usize = 2000;

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Returns whether the test can run; without the tool, skips (or fails under CI if `required`).
fn tool_available(test: &str, what: &str, available: bool, required: bool) -> bool {
    if available {
        return true;
    }
    assert!(
        !(required && ci()),
        "{test}: {what} is required under CI (run scripts/test-tools.sh)"
    );
    eprintln!("SKIP {test}: {what} not available (run scripts/test-tools.sh)");
    false
}

/// Runs `command` with `input` on stdin and returns its stdout, writing from a thread so a
/// full stdout pipe cannot deadlock the writer.
fn filter(mut command: Command, input: String) -> String {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {command:?}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        output.status
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The tool's verdict for one pair: an order, or a rejection of either version.
fn verdict(line: &str) -> Option<Ordering> {
    match line.trim() {
        "-1" => Some(Ordering::Less),
        "0" => Some(Ordering::Equal),
        "1" => Some(Ordering::Greater),
        "E" => None,
        other => panic!("unexpected oracle output {other:?}"),
    }
}

/// Compares this crate's order with the tool's for every pair and fails with the differences.
fn judge(
    test: &str,
    scheme: &dyn VersionScheme,
    pairs: &[(String, String)],
    tool: &[Option<Ordering>],
) {
    assert_eq!(
        pairs.len(),
        tool.len(),
        "{test}: oracle answered a different number of pairs"
    );
    let mut compared = 0;
    let mut tool_rejected = 0;
    let mut problems = Vec::new();
    for ((a, b), &want) in pairs.iter().zip(tool) {
        let ours = scheme.compare(a, b);
        match (want, ours) {
            (Some(want), Ok(got)) if want == got => compared += 1,
            (Some(want), Ok(got)) => {
                compared += 1;
                problems.push(format!("{a:?} vs {b:?}: tool {want:?}, ours {got:?}"));
            }
            (Some(want), Err(e)) => {
                problems.push(format!("{a:?} vs {b:?}: tool {want:?}, ours rejects: {e}"));
            }
            (None, _) => tool_rejected += 1,
        }
    }
    eprintln!(
        "{test}: {compared} pairs compared, {tool_rejected} skipped (rejected by the tool), \
         {} problems",
        problems.len()
    );
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "{test}: {} disagreements with the oracle:\n{}",
        problems.len(),
        problems
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        compared >= MIN_COMPARED,
        "{test}: only {compared} pairs compared"
    );
}

fn lines(output: &str) -> Vec<Option<Ordering>> {
    output
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(verdict)
        .collect()
}

// ---- dpkg ---------------------------------------------------------------------------------

/// `dpkg --compare-versions` for each pair: `lt`, then `gt` (exit 1 = false, 2 = bad syntax).
/// The pairs are split over two shells, one per core.
fn dpkg_oracle(pairs: &[(String, String)]) -> Vec<Option<Ordering>> {
    const SCRIPT: &str = r#"
        while read -r a b; do
          dpkg --compare-versions "$a" lt "$b" 2>/dev/null
          case $? in
            0) echo -1 ;;
            1) if dpkg --compare-versions "$a" gt "$b" 2>/dev/null; then echo 1; else echo 0; fi ;;
            *) echo E ;;
          esac
        done"#;
    let half = pairs.len() / 2;
    let run = |chunk: &[(String, String)]| {
        let input: String = chunk
            .iter()
            .map(|(a, b)| [a, " ", b, "\n"].concat())
            .collect();
        let mut command = Command::new("sh");
        command.args(["-c", SCRIPT]);
        lines(&filter(command, input))
    };
    std::thread::scope(|scope| {
        let first = scope.spawn(|| run(&pairs[..half]));
        let mut second = run(&pairs[half..]);
        let mut all = first.join().unwrap();
        all.append(&mut second);
        all
    })
}

fn installed_dpkg_versions() -> Vec<String> {
    let output = Command::new("dpkg-query")
        .args(["-W", "-f", "${Version}\n"])
        .output()
        .expect("dpkg-query");
    let mut versions: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    versions.sort();
    versions.dedup();
    versions
}

#[test]
fn dpkg_agrees_with_dpkg_compare_versions() {
    let test = "dpkg_agrees_with_dpkg_compare_versions";
    let dpkg_runs = Command::new("dpkg")
        .args(["--compare-versions", "1.0", "lt", "1.1"])
        .status()
        .is_ok_and(|s| s.success());
    if !tool_available(test, "dpkg", dpkg_runs, true) {
        return;
    }
    let real = installed_dpkg_versions();
    assert!(!real.is_empty(), "dpkg-query listed no installed versions");
    let mut rng = Rng::new(0x00d9_c0de);
    let mut pairs = generate::pairs(&mut rng, 2300, &real, generate::dpkg, generate::dpkg_mutate);
    // Every installed version against its neighbour in sorted order: real, close calls.
    pairs.extend(real.windows(2).map(|w| (w[0].clone(), w[1].clone())));
    let tool = dpkg_oracle(&pairs);
    judge(test, &Dpkg, &pairs, &tool);
}

// ---- PEP 440 ------------------------------------------------------------------------------

const PYTHON_ORACLE: &str = r#"
import sys
from packaging.version import Version, InvalidVersion
out = []
for line in sys.stdin.read().split("\n"):
    if not line:
        continue
    a, b = line.split("\t")
    try:
        va, vb = Version(a), Version(b)
    except InvalidVersion:
        out.append("E")
        continue
    out.append("-1" if va < vb else "1" if va > vb else "0")
sys.stdout.write("\n".join(out) + "\n")
"#;

/// Whether every digit run of `v` fits in a `u64`.
fn fits_u64(v: &str) -> bool {
    v.split(|c: char| !c.is_ascii_digit())
        .all(|run| run.is_empty() || run.parse::<u64>().is_ok())
}

fn tab_separated(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(a, b)| [a, "\t", b, "\n"].concat())
        .collect()
}

#[test]
fn pep440_agrees_with_python_packaging() {
    let test = "pep440_agrees_with_python_packaging";
    let python = std::env::var_os("PLIMSOLL_TOOLS_PYTHON")
        .map(PathBuf::from)
        .filter(|p| p.exists());
    let what = "PLIMSOLL_TOOLS_PYTHON (a python with packaging)";
    if !tool_available(test, what, python.is_some(), true) {
        return;
    }
    let python = python.unwrap();
    // Real versions: the tool venv's own distributions plus well-known PyPI releases.
    let listing = Command::new(&python)
        .args([
            "-c",
            "import importlib.metadata as m\nfor d in m.distributions(): print(d.version)",
        ])
        .output()
        .expect("listing the venv's distributions");
    let mut real: Vec<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    real.extend(generate::PYPI_REAL.iter().map(|v| (*v).to_owned()));

    let mut rng = Rng::new(0x0050_2440);
    let mut pairs = generate::pairs(
        &mut rng,
        3000,
        &real,
        generate::pep440,
        generate::pep440_mutate,
    );
    // pep440_rs reads numbers as u64 and rejects larger ones, where packaging takes any size:
    // a documented limit of the pep440 scheme, so such pairs are not judged.
    let before = pairs.len();
    pairs.retain(|(a, b)| fits_u64(a) && fits_u64(b));
    eprintln!(
        "{test}: {} pairs with numbers beyond u64 left out",
        before - pairs.len()
    );
    let mut sorted = real.clone();
    sorted.sort();
    pairs.extend(sorted.windows(2).map(|w| (w[0].clone(), w[1].clone())));

    let mut command = Command::new(&python);
    command.args(["-c", PYTHON_ORACLE]);
    let tool = lines(&filter(command, tab_separated(&pairs)));
    judge(test, &Pep440, &pairs, &tool);
}

// ---- SemVer (node-semver) -----------------------------------------------------------------

const NODE_ORACLE: &str = r"
const semver = require('semver');
const input = require('fs').readFileSync(0, 'utf8');
const out = [];
for (const line of input.split('\n')) {
  if (!line) continue;
  const [a, b] = line.split('\t');
  try { out.push(String(semver.compare(a, b))); } catch (e) { out.push('E'); }
}
process.stdout.write(out.join('\n') + '\n');
";

/// `version` fields of the `package.json` files up to `depth` directories below `dir`.
fn package_json_versions(dir: &Path, depth: usize, into: &mut Vec<String>) {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && depth > 0 {
            package_json_versions(&path, depth - 1, into);
        } else if path.file_name().is_some_and(|n| n == "package.json")
            && let Ok(text) = fs_err::read_to_string(&path)
            && let Some(rest) = text.split("\"version\"").nth(1)
            && let Some(value) = rest.split('"').nth(1)
        {
            into.push(value.to_owned());
        }
    }
}

#[test]
fn semver_agrees_with_node_semver() {
    let test = "semver_agrees_with_node_semver";
    let node_path = std::env::var_os("PLIMSOLL_TOOLS_NODE_PATH")
        .map(PathBuf::from)
        .filter(|p| p.join("semver").exists());
    let what = "PLIMSOLL_TOOLS_NODE_PATH (node_modules with semver)";
    if !tool_available(test, what, node_path.is_some(), true) {
        return;
    }
    let node_path = node_path.unwrap();
    // Real versions: the packages bundled with node and npm on this machine.
    let mut real = Vec::new();
    for dir in [node_path.clone(), PathBuf::from("/usr/lib/node_modules")] {
        package_json_versions(&dir, 4, &mut real);
    }
    real.sort();
    real.dedup();

    let mut rng = Rng::new(0x5e3e_5e3e);
    let mut pairs = generate::pairs(
        &mut rng,
        4500,
        &real,
        generate::semver,
        generate::semver_mutate,
    );
    pairs.extend(real.windows(2).map(|w| (w[0].clone(), w[1].clone())));

    let mut command = Command::new("node");
    command
        .args(["-e", NODE_ORACLE])
        .env("NODE_PATH", &node_path);
    let tool = lines(&filter(command, tab_separated(&pairs)));
    judge(test, &Semver, &pairs, &tool);
}

// ---- Maven --------------------------------------------------------------------------------

const JAVA_ORACLE: &str = r#"
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class MavenOracle {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        for (String line; (line = in.readLine()) != null; ) {
            if (line.isEmpty()) continue;
            String[] pair = line.split("\t", -1);
            int c = new ComparableVersion(pair[0]).compareTo(new ComparableVersion(pair[1]));
            out.append(Integer.signum(c)).append('\n');
        }
        System.out.print(out);
    }
}
"#;

#[test]
fn maven_agrees_with_comparable_version() {
    let test = "maven_agrees_with_comparable_version";
    let jar = [
        "/usr/share/java/maven-artifact-3.x.jar",
        "/usr/share/maven/lib/maven-artifact-3.x.jar",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists());
    let java_runs = Command::new("java")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    let (Some(jar), true) = (jar, java_runs) else {
        tool_available(test, "java and Debian's maven-artifact jar", false, false);
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("MavenOracle.java");
    fs_err::write(&source, JAVA_ORACLE).unwrap();

    let mut rng = Rng::new(0x006d_6176);
    let pairs = generate::pairs(&mut rng, 2500, &[], generate::maven, generate::maven_mutate);
    let mut command = Command::new("java");
    command.arg("-cp").arg(&jar).arg(&source);
    let tool = lines(&filter(command, tab_separated(&pairs)));
    judge(test, &Maven, &pairs, &tool);
}

// ---- RPM ----------------------------------------------------------------------------------

/// Reads the tab-separated pairs from the file named by the `pairs` macro and prints
/// `rpm.vercmp` of each (`E` when rpm raises an error).
const RPM_ORACLE: &str = r#"%{lua:
for line in io.lines(rpm.expand("%{pairs}")) do
  local a, b = line:match("^(.-)\t(.*)$")
  local ok, c = pcall(rpm.vercmp, a, b)
  -- rpm's print appends to the expansion without a newline.
  if ok then print(c .. "\n") else print("E\n") end
end
}"#;

#[test]
fn rpm_agrees_with_rpm_vercmp() {
    let test = "rpm_agrees_with_rpm_vercmp";
    let rpm_runs = Command::new("rpm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !tool_available(test, "rpm", rpm_runs, false) {
        return;
    }
    let mut rng = Rng::new(0x0072_706d);
    let mut pairs = generate::pairs(&mut rng, 2500, &[], generate::rpm, generate::rpm_mutate);
    // rpm reads `1:` as epoch 1 with an empty version; this crate rejects an empty version by
    // design (a defect, not a version), so such pairs are not judged.
    let empty_version = |v: &str| {
        v.split_once(':').is_some_and(|(e, rest)| {
            e.bytes().all(|b| b.is_ascii_digit()) && rest.split('-').next() == Some("")
        })
    };
    let before = pairs.len();
    pairs.retain(|(a, b)| !empty_version(a) && !empty_version(b));
    eprintln!(
        "{test}: {} pairs with an empty version left out",
        before - pairs.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pairs.tsv");
    fs_err::write(&file, tab_separated(&pairs)).unwrap();
    let output = Command::new("rpm")
        .arg("--define")
        .arg(format!("pairs {}", file.display()))
        .args(["--eval", RPM_ORACLE])
        .output()
        .unwrap();
    assert!(output.status.success(), "rpm --eval failed: {output:?}");
    let tool = lines(&String::from_utf8(output.stdout).unwrap());
    judge(test, &Rpm, &pairs, &tool);
}

// ---- Composer -----------------------------------------------------------------------------

/// Composer's own view: `VersionParser::normalize` on both, then `version_compare`. A
/// normalisation error, or a `dev-` branch (which Composer's comparator never orders), is `E`.
const PHP_ORACLE: &str = r#"
require getenv('COMPOSER_SEMVER_AUTOLOAD');
$parser = new Composer\Semver\VersionParser();
$norm = function ($v) use ($parser) {
    try { $n = $parser->normalize($v); } catch (Exception $e) { return null; }
    return strpos($n, 'dev-') === 0 ? null : $n;
};
$out = '';
foreach (explode("\n", stream_get_contents(STDIN)) as $line) {
    if ($line === '') continue;
    [$a, $b] = explode("\t", $line);
    $na = $norm($a); $nb = $norm($b);
    $out .= ($na === null || $nb === null) ? "E\n" : version_compare($na, $nb) . "\n";
}
echo $out;
"#;

/// Every version string in the Packagist OSV records under `dir`.
fn packagist_corpus_versions(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = fs_err::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let Ok(text) = fs_err::read_to_string(entry.path()) else {
            continue;
        };
        for key in ["\"introduced\"", "\"fixed\"", "\"last_affected\""] {
            for rest in text.split(key).skip(1) {
                if let Some(value) = rest.split('"').nth(1) {
                    out.push(value.to_owned());
                }
            }
        }
    }
    out.retain(|v| v != "0");
    out.sort();
    out.dedup();
    out
}

#[test]
fn composer_agrees_with_composer_semver() {
    let test = "composer_agrees_with_composer_semver";
    let autoload = std::env::var_os("PLIMSOLL_TOOLS_COMPOSER_SEMVER")
        .map(PathBuf::from)
        .filter(|p| p.exists());
    let php = std::env::var_os("PLIMSOLL_TOOLS_PHP")
        .map(PathBuf::from)
        .filter(|p| p.exists());
    let what = "PLIMSOLL_TOOLS_PHP and PLIMSOLL_TOOLS_COMPOSER_SEMVER (scripts/tools/composer.sh)";
    let (Some(php), Some(autoload)) = (php, autoload) else {
        tool_available(test, what, false, false);
        return;
    };
    // Real versions: the Packagist advisories of the shared corpus, when present, and
    // well-known Packagist tags.
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/advisories/packagist");
    let mut real = packagist_corpus_versions(&corpus);
    eprintln!("{test}: {} versions from {}", real.len(), corpus.display());
    real.extend(generate::PACKAGIST_REAL.iter().map(|v| (*v).to_owned()));
    let mut rng = Rng::new(0x00c0_3905);
    let mut pairs = generate::pairs(
        &mut rng,
        4000,
        &real,
        generate::composer,
        generate::composer_mutate,
    );
    let mut sorted = real.clone();
    sorted.sort();
    pairs.extend(sorted.windows(2).map(|w| (w[0].clone(), w[1].clone())));
    let mut command = Command::new(php);
    command
        .args(["-r", PHP_ORACLE])
        .env("COMPOSER_SEMVER_AUTOLOAD", autoload);
    let tool = lines(&filter(command, tab_separated(&pairs)));
    judge(test, &Composer, &pairs, &tool);
}
