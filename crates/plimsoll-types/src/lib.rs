//! Shared models of Plimsoll, the data every pipeline stage speaks.
//!
//! The pipeline is `registry → layer → catalog → inventory → report`; each stage is its own
//! crate and they exchange only the types defined here, so no stage depends on another:
//!
//! - [`Digest`]: a content address (`sha256:<hex>`), the key of everything cached.
//! - [`Platform`]: `os/arch[/variant]` of one image in an index.
//! - [`Package`]: one installed package, as a cataloger found it in one file.
//! - [`OsRelease`]: the distribution named by `/etc/os-release`.
//! - [`LayerFacts`]: what one layer contains, a pure function of the layer's digest and the
//!   cataloger versions ([`AnalyzerVersion`]); cached and re-used across images.
//! - [`ImageInventory`]: the layers folded into the image view, each package with the layer
//!   that introduced it.
//!
//! This crate depends on no other Plimsoll crate.
//!
//! ```
//! use plimsoll_types::{Digest, Platform};
//! let d: Digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".parse().unwrap();
//! assert_eq!(d, Digest::sha256_of(b""));
//! let p: Platform = "linux/arm64/v8".parse().unwrap();
//! assert_eq!(p.to_string(), "linux/arm64/v8");
//! ```

mod digest;
mod error;
mod finding;
mod image_config;
mod inventory;
mod layer;
mod os;
mod package;
mod platform;
mod secret;

pub use crate::digest::Digest;
pub use crate::error::{Error, Result};
pub use crate::finding::{Cvss, Finding, FixState, Severity, SeveritySource, VulnerabilityReport};
pub use crate::image_config::{ConfigFinding, ImageConfigFacts};
pub use crate::inventory::{
    ImageInventory, ImageSource, LayerChanges, LayerSummary, PackageId, VersionChange,
};
pub use crate::layer::{AnalyzerVersion, FileFacts, LayerFacts};
pub use crate::os::OsRelease;
pub use crate::package::{LayerRef, Package, PackageKind, SourcePackage};
pub use crate::platform::Platform;
pub use crate::secret::Secret;
