//! End-to-end tests of the `plimsoll` binary.
