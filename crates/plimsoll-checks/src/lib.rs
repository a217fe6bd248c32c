//! Image configuration checks (skeleton).
