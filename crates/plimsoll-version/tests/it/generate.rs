//! Deterministic version-pair generators for the oracle tests.
//!
//! Each scheme gets a generator that glues together fragments chosen for the edge cases of its
//! rules (epochs, `~`, `+`, letters, pre-release tags, long numbers, leading zeros), some of
//! them deliberately invalid so that rejection is compared too. Pairs are made three ways:
//! two independent versions (mostly decided early), a version and a small mutation of it
//! (decided late, where the subtle rules live), and a version with itself.

/// `SplitMix64`: tiny, seedable, and the same sequence on every machine.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }

    /// True with probability `percent`/100.
    pub(crate) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Builds `n` pairs: a third independent, half mutations, the rest identical or from `real`.
pub(crate) fn pairs(
    rng: &mut Rng,
    n: usize,
    real: &[String],
    generate: fn(&mut Rng) -> String,
    mutate: fn(&mut Rng, &str) -> String,
) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let source = |rng: &mut Rng| {
            if !real.is_empty() && rng.chance(30) {
                real[rng.below(real.len())].clone()
            } else {
                generate(rng)
            }
        };
        let a = source(rng);
        let b = match rng.below(10) {
            0..=2 => source(rng),
            3..=8 => mutate(rng, &a),
            _ => a.clone(),
        };
        if rng.chance(50) {
            out.push((a, b));
        } else {
            out.push((b, a));
        }
    }
    out
}

/// Replaces one digit run, inserts a fragment or truncates: small changes near the end of the
/// comparison.
fn mutate_with(rng: &mut Rng, v: &str, fragments: &[&str]) -> String {
    let mut s = v.to_owned();
    match rng.below(5) {
        1 => {
            let at = floor_char_boundary(&s, rng.below(s.len() + 1));
            s.insert_str(at, rng.pick(fragments));
        }
        2 => {
            // Bump, zero-pad or drop the last digit.
            if let Some(pos) = s.rfind(|c: char| c.is_ascii_digit()) {
                let digit = s.as_bytes()[pos];
                let replacement = match rng.below(3) {
                    0 if digit < b'9' => char::from(digit + 1).to_string(),
                    1 => format!("0{}", char::from(digit)),
                    _ => String::new(),
                };
                s.replace_range(pos..=pos, &replacement);
            }
        }
        3 if s.len() > 1 => {
            let at = floor_char_boundary(&s, 1 + rng.below(s.len() - 1));
            s.truncate(at);
        }
        _ => s.push_str(rng.pick(fragments)),
    }
    if s.is_empty() { v.to_owned() } else { s }
}

fn floor_char_boundary(s: &str, mut at: usize) -> usize {
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn number(rng: &mut Rng) -> &'static str {
    rng.pick(&[
        "0",
        "0",
        "1",
        "1",
        "2",
        "3",
        "9",
        "10",
        "11",
        "12",
        "20",
        "99",
        "100",
        "01",
        "007",
        "2024",
        "20240101",
        "123456789012345678901234567890",
    ])
}

// ---- dpkg ---------------------------------------------------------------------------------

const DPKG_FRAGMENTS: &[&str] = &[
    ".",
    ".",
    "~",
    "~~",
    "+",
    "a",
    "b",
    "z",
    "A",
    "Z",
    "rc",
    "~rc1",
    "~beta2",
    "dfsg",
    "+dfsg",
    "+b1",
    ".0",
    "0",
    "1",
    "9",
    "10",
    "01",
    "00",
    "ubuntu",
    "+git20240101",
    "~bpo",
    ":",
    "-1",
];

pub(crate) fn dpkg(rng: &mut Rng) -> String {
    let mut s = String::new();
    let epoch = rng.chance(25);
    if epoch {
        s.push_str(rng.pick(&["0:", "1:", "2:", "10:", "01:"]));
    }
    s.push_str(number(rng));
    for _ in 0..rng.below(6) {
        let fragment = rng.pick(DPKG_FRAGMENTS);
        // A colon needs an epoch before it, and a hyphen a revision after it.
        if (fragment == ":" && !epoch) || fragment == "-1" {
            continue;
        }
        s.push_str(fragment);
    }
    if rng.chance(60) {
        s.push('-');
        s.push_str(rng.pick(&[
            "1",
            "0",
            "2",
            "10",
            "1ubuntu1",
            "1ubuntu0.1",
            "1+deb12u1",
            "1~bpo11+1",
            "0.1",
            "a",
            "1~",
            "1.1~rc",
            "1build1",
            "3+b2",
            "~",
        ]));
    }
    s
}

pub(crate) fn dpkg_mutate(rng: &mut Rng, v: &str) -> String {
    mutate_with(rng, v, DPKG_FRAGMENTS)
}

// ---- PEP 440 ------------------------------------------------------------------------------

const PEP440_FRAGMENTS: &[&str] = &[
    ".0", ".1", "a1", "b2", "rc1", "c1", ".post1", ".dev0", "+local", "+1", "-1", "a", "1", "0",
    ".x", "alpha", "-dev", "!", "+",
];

/// Numbers for PEP 440 stay within `u64`: `pep440_rs` rejects larger ones (documented).
fn small_number(rng: &mut Rng) -> &'static str {
    rng.pick(&[
        "0",
        "0",
        "1",
        "1",
        "2",
        "3",
        "9",
        "10",
        "11",
        "20",
        "99",
        "01",
        "007",
        "2024",
        "20240101",
        "18446744073709551615",
    ])
}

pub(crate) fn pep440(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(5) {
        s.push_str(rng.pick(&["v", "V", " "]));
    }
    if rng.chance(10) {
        s.push_str(rng.pick(&["0!", "1!", "2!"]));
    }
    s.push_str(small_number(rng));
    for _ in 0..rng.below(4) {
        s.push('.');
        s.push_str(small_number(rng));
    }
    if rng.chance(35) {
        s.push_str(rng.pick(&["", "", ".", "-", "_"]));
        s.push_str(rng.pick(&[
            "a", "b", "rc", "c", "alpha", "beta", "pre", "preview", "A", "RC", "Beta",
        ]));
        if rng.chance(80) {
            s.push_str(rng.pick(&["", "", ".", "-", "_"]));
            s.push_str(small_number(rng));
        }
    }
    if rng.chance(25) {
        s.push_str(rng.pick(&[
            ".post1", "-1", ".post", "post2", "_r3", ".rev4", "-post5", ".POST0", "-0",
        ]));
    }
    if rng.chance(25) {
        s.push_str(rng.pick(&[".dev0", ".dev", "dev3", "-dev2", "_DEV9", ".dev10"]));
    }
    if rng.chance(20) {
        s.push('+');
        s.push_str(rng.pick(&["abc", "1", "ubuntu", "5", "x.y", "01", "Z9", "deadbeef"]));
        if rng.chance(50) {
            s.push_str(rng.pick(&[".", "-", "_"]));
            s.push_str(rng.pick(&["abc", "1", "2", "10", "a1"]));
        }
    }
    if rng.chance(4) {
        s.push_str(rng.pick(&[".x", "+", "..", "-", " 1"]));
    }
    s
}

pub(crate) fn pep440_mutate(rng: &mut Rng, v: &str) -> String {
    mutate_with(rng, v, PEP440_FRAGMENTS)
}

/// Versions as they appear on PyPI, across the shapes PEP 440 allows.
pub(crate) const PYPI_REAL: &[&str] = &[
    "2.31.0",
    "2.32.3",
    "1.26.18",
    "1.26.20",
    "2.2.3",
    "2023.7.22",
    "2024.8.30",
    "3.4",
    "3.10",
    "0.0.1",
    "0.1.0a1",
    "1.0.0b3",
    "1.0.0rc1",
    "2.0.0.dev1",
    "1.0.post1",
    "2!1.0",
    "1.0+cpu",
    "2.1.0+cu121",
    "1.13.1+cpu",
    "24.2",
    "69.5.1",
    "75.1.0",
    "0.43.0",
    "3.1.4",
    "3.1.5",
    "1.24.4",
    "1.26.4",
    "2.0.0",
    "2.1.1",
    "0.20.0",
    "0.20.0rc2",
    "4.66.5",
    "8.1.7",
    "6.0.1",
    "6.0.2",
    "42.0.8",
    "43.0.1",
    "1.16.0",
    "2.9.0.post0",
    "2.8.2",
    "1.0.0a0",
    "5.0b1",
    "3.0.0.post1",
    "1.9.0.dev20230101",
    "0.9.9",
    "1.10.0",
    "19.3.1",
    "22.0.4",
    "23.1.2",
];

// ---- SemVer (npm) -------------------------------------------------------------------------

const SEMVER_FRAGMENTS: &[&str] = &[
    "-alpha", "-beta.2", "-rc.1", ".alpha", ".1", ".10", ".2", "-0", "+build", "+b.1", "-x-y", "a",
    "1", "9", "-", "-Alpha", "-01", ".0",
];

pub(crate) fn semver(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(5) {
        s.push('v');
    }
    // Mostly what node-semver accepts (three parts, no leading zeros), with a few
    // deliberately invalid versions so that rejection is exercised too.
    let parts = match rng.below(40) {
        0 => 2,
        1 => 4,
        _ => 3,
    };
    for i in 0..parts {
        if i > 0 {
            s.push('.');
        }
        let invalid = rng.chance(3);
        s.push_str(if invalid {
            rng.pick(&["00", "01"])
        } else {
            rng.pick(&["0", "0", "1", "1", "2", "3", "9", "10", "11", "123", "2024"])
        });
    }
    if rng.chance(45) {
        s.push('-');
        for i in 0..=rng.below(3) {
            if i > 0 {
                s.push('.');
            }
            s.push_str(rng.pick(&[
                "alpha",
                "beta",
                "rc",
                "0",
                "1",
                "2",
                "10",
                "11",
                "a-b",
                "-",
                "Alpha",
                "BETA",
                "123456789",
                "x1",
                "1x",
                "z",
                "pre",
                "0a",
                "--",
            ]));
        }
    }
    if rng.chance(20) {
        s.push('+');
        s.push_str(rng.pick(&["build", "001", "sha.5114f85", "exp-1", "20240101"]));
    }
    s
}

pub(crate) fn semver_mutate(rng: &mut Rng, v: &str) -> String {
    mutate_with(rng, v, SEMVER_FRAGMENTS)
}

// ---- Maven --------------------------------------------------------------------------------

const MAVEN_FRAGMENTS: &[&str] = &[
    ".0",
    ".1",
    "-SNAPSHOT",
    "-alpha-1",
    "-beta-2",
    "-rc1",
    ".RC2",
    "-M1",
    ".Final",
    ".RELEASE",
    "-sp1",
    "-jre",
    "-android",
    "-1",
    ".10",
    "-ga",
    ".0.0",
    "-alpha",
    "-beta",
    "-rc-1",
    ".Beta1",
    "-CR1",
    "-2",
];

/// Realistic Maven versions: Maven's implementation has refined the specification's rules
/// over releases for contrived strings, so the Maven oracle sticks to the shapes that
/// artifacts actually use.
pub(crate) fn maven(rng: &mut Rng) -> String {
    let mut s = rng
        .pick(&["0", "1", "2", "3", "4", "5", "10", "31", "2024"])
        .to_owned();
    for _ in 0..rng.below(4) {
        s.push('.');
        s.push_str(rng.pick(&["0", "0", "1", "2", "3", "9", "10", "15", "100"]));
    }
    if rng.chance(50) {
        s.push_str(rng.pick(&[
            "-SNAPSHOT",
            "-alpha-1",
            "-alpha1",
            "-beta-2",
            "-b3",
            "-rc1",
            "-RC2",
            "-CR1",
            "-M1",
            "-milestone-2",
            ".Final",
            ".RELEASE",
            "-sp1",
            "-jre",
            "-android",
            "-1",
            "-2",
            ".GA",
            "-incubating",
            "-ga",
            ".Beta1",
            ".CR2",
        ]));
    }
    s
}

/// Cuts the version at a separator and appends a realistic tail, or bumps a number: mutations
/// that keep the shapes of real artifacts.
pub(crate) fn maven_mutate(rng: &mut Rng, v: &str) -> String {
    let cuts: Vec<usize> = v.match_indices(['.', '-']).map(|(i, _)| i).collect();
    let mut s = if cuts.is_empty() || rng.chance(30) {
        v.to_owned()
    } else {
        v[..cuts[rng.below(cuts.len())]].to_owned()
    };
    if rng.chance(20) {
        // Another value for one number (never zero, which Maven's nesting treats specially
        // before a qualifier: see the maven module doc).
        let runs: Vec<(usize, usize)> = digit_runs(v);
        if !runs.is_empty() {
            let (start, end) = runs[rng.below(runs.len())];
            let mut bumped = v.to_owned();
            bumped.replace_range(start..end, rng.pick(&["1", "2", "9", "10", "100"]));
            return bumped;
        }
    }
    s.push_str(rng.pick(MAVEN_FRAGMENTS));
    s
}

fn digit_runs(v: &str) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, c) in v.char_indices().chain([(v.len(), ' ')]) {
        match (c.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    runs
}

// ---- RPM ----------------------------------------------------------------------------------

const RPM_FRAGMENTS: &[&str] = &[
    ".",
    ".",
    "~",
    "~rc1",
    "^",
    "^git1",
    "^20240101",
    "_",
    "+",
    "a",
    "b",
    "z",
    "A",
    "Z",
    "rc",
    "p1",
    "0",
    "1",
    "9",
    "10",
    "01",
    "00",
    ".el8",
    ".el9_2",
    "~~",
    "-1",
];

pub(crate) fn rpm(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(25) {
        s.push_str(rng.pick(&["0:", "1:", "2:", "10:", "01:"]));
    }
    s.push_str(number(rng));
    for _ in 0..rng.below(6) {
        let fragment = rng.pick(RPM_FRAGMENTS);
        if fragment != "-1" {
            s.push_str(fragment);
        }
    }
    if rng.chance(70) {
        s.push('-');
        s.push_str(rng.pick(&[
            "1",
            "0",
            "2",
            "10",
            "1.el8",
            "1.el9",
            "3.el9_2.1",
            "150400.3.5.1",
            "1.fc39",
            "0.rc1",
            "1~beta",
            "1^git",
            "a",
        ]));
    }
    s
}

pub(crate) fn rpm_mutate(rng: &mut Rng, v: &str) -> String {
    mutate_with(rng, v, RPM_FRAGMENTS)
}

const COMPOSER_FRAGMENTS: &[&str] = &[
    "-dev",
    ".dev",
    "dev",
    "-alpha",
    "-alpha1",
    "-a2",
    "a",
    "-beta",
    "-beta.2",
    "-b3",
    "beta10",
    "-RC1",
    "-rc.2",
    "RC",
    "-rc-3",
    "-pl1",
    "-p2",
    "-patch",
    "patch3",
    "-stable",
    "-STABLE",
    "-Beta1",
    "-RC1-dev",
    "-beta2.1",
    ".x-dev",
    ".*-dev",
    "@beta",
    "@dev",
    "+build.5",
    " as 2.0.0",
    "-foo",
    ".0",
    ".10",
    "-1",
    "_2",
];

/// Composer versions: Packagist tags (`v` prefixes, up to four numbers, date versions) and
/// every stability modifier spelling `VersionParser` knows, plus some it rejects.
pub(crate) fn composer(rng: &mut Rng) -> String {
    if rng.chance(5) {
        return rng
            .pick(&[
                "2023-01-01",
                "20230101",
                "2023.01.01.1",
                "2023-01-01-beta",
                "dev-main",
                "master",
                "1.x-dev",
                "2.1.*-dev",
                "v3.X-dev",
                "123456",
                "1.2.3.4.5",
                "abc",
            ])
            .to_owned();
    }
    let mut s = String::new();
    if rng.chance(20) {
        s.push_str(rng.pick(&["v", "V"]));
    }
    s.push_str(rng.pick(&["0", "1", "1", "2", "3", "5", "7", "10", "01", "99999"]));
    for _ in 0..rng.below(4) {
        s.push('.');
        s.push_str(rng.pick(&["0", "0", "1", "2", "4", "9", "10", "21", "007"]));
    }
    if rng.chance(40) {
        s.push_str(rng.pick(COMPOSER_FRAGMENTS));
    }
    s
}

pub(crate) fn composer_mutate(rng: &mut Rng, v: &str) -> String {
    mutate_with(rng, v, COMPOSER_FRAGMENTS)
}

/// Versions as Packagist packages tag them (Symfony, Laravel, Guzzle, Drupal, `PHPUnit`).
pub(crate) const PACKAGIST_REAL: &[&str] = &[
    "v5.4.21",
    "v6.2.7",
    "v6.3.0-BETA1",
    "v6.3.0-RC2",
    "7.4.5",
    "6.5.8",
    "7.0.0-beta.1",
    "7.0.0-rc.2",
    "10.48.4",
    "11.0.0",
    "9.5.28",
    "10.0.0-beta2",
    "8.9.x-dev",
    "2.0.0-alpha",
    "1.0.0-RC1",
    "1.0.0-patch1",
    "3.0.0-p1",
    "1.2.3.4",
    "2.4.0.1",
    "0.9.1",
];
