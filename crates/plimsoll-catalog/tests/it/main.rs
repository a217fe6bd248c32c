//! Tests of the catalogers through the public API, against real files and reference tools.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // test helpers: fail loudly, say why a test skips

mod composer_oracle;
mod gem_oracle;
mod java_oracle;
mod pnpm_oracle;
mod python_lock_oracle;
mod yarn_oracle;
