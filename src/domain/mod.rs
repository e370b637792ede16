//! Validated domain types: a value of one of these types is valid by construction
//! (parse, don't validate). Request bodies convert into them before any handler
//! logic runs.

mod api_key;
mod contest;
mod ids;
mod origin;
mod ranking;
mod settings;
mod suggestion_name;
mod text;

pub use api_key::*;
pub use contest::*;
pub use ids::*;
pub use origin::*;
pub use ranking::*;
pub use settings::*;
pub use suggestion_name::*;
pub use text::*;

/// One field that failed validation, as reported in a problem+json `errors` list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Collects field errors while a request body is parsed into domain types, so a
/// client learns about every bad field in one response.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the error of `result` under `field`; returns the value if it parsed.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.errors.push(FieldError::new(field, message));
                None
            }
        }
    }

    /// Whether `field` has failed already.
    pub fn has(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// Ends validation: `Ok(())` when no field failed.
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}
