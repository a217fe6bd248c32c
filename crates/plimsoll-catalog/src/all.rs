use crate::Cataloger;

/// Every enabled cataloger, in a fixed order. Adding a cataloger is one module plus one line here.
pub fn all() -> Vec<Box<dyn Cataloger>> {
    vec![]
}
