//! The error of the pure layers (`domain` and `engine`): a value that breaks its rule.

/// A value that breaks its rule: the field it came from and what is wrong with it. It knows
/// nothing of HTTP; the edge answers it with a 422 `validation-failed` naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct Invalid {
    /// Path of the field in the request or configuration, e.g. `levels[2].name`.
    pub field: String,
    /// What is wrong with it, naming the field.
    pub detail: String,
}

impl Invalid {
    /// The field `field` is wrong, as `detail` says.
    pub fn new(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Invalid {
            field: field.into(),
            detail: detail.into(),
        }
    }
}
