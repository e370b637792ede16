//! Validated text fields.

/// Trims `raw`, rejects control characters and checks its length in characters
/// (Unicode scalar values), counted after trimming.
fn bounded_text(raw: &str, what: &str, min: usize, max: usize) -> Result<String, String> {
    let trimmed = raw.trim();
    if let Some(c) = trimmed
        .chars()
        .find(|c| c.is_control() && *c != '\n' && *c != '\t')
    {
        return Err(format!(
            "{what} must not contain control characters (found U+{:04X})",
            c as u32
        ));
    }
    let len = trimmed.chars().count();
    if len < min {
        return Err(if min == 1 {
            format!("{what} must not be empty")
        } else {
            format!("{what} must be at least {min} characters long")
        });
    }
    if len > max {
        return Err(format!(
            "{what} must be at most {max} characters long (got {len})"
        ));
    }
    Ok(trimmed.to_owned())
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $min:expr, $max:expr, single_line = $single:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, String> {
                let text = bounded_text(raw, $what, $min, $max)?;
                if $single && text.contains(['\n', '\t']) {
                    return Err(format!("{} must be a single line", $what));
                }
                Ok($name(text))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_type!(
    /// A contest's title: 1–200 characters, one line.
    ContestTitle, "title", 1, 200, single_line = true
);
text_type!(
    /// A contest's description: up to 5,000 characters, may be empty.
    Description, "description", 0, 5_000, single_line = false
);
text_type!(
    /// An organisation's or API key's name: 1–200 characters, one line.
    DisplayName, "name", 1, 200, single_line = true
);

/// A contest slug: `[a-z0-9-]{1,64}`, unique within its organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() || raw.len() > 64 {
            return Err("slug must be 1–64 characters long".into());
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err("slug may contain only a-z, 0-9 and '-'".into());
        }
        Ok(Slug(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded_in_characters_not_bytes() {
        assert_eq!(
            ContestTitle::parse("  Name the blog ").unwrap().as_str(),
            "Name the blog"
        );
        assert!(ContestTitle::parse("   ").is_err());
        assert!(ContestTitle::parse(&"é".repeat(200)).is_ok());
        assert!(ContestTitle::parse(&"é".repeat(201)).is_err());
        assert!(ContestTitle::parse("two\nlines").is_err());
        assert!(ContestTitle::parse("bell\u{7}").is_err());
    }

    #[test]
    fn slugs_follow_the_documented_pattern() {
        assert!(Slug::parse("blog-2026").is_ok());
        assert!(Slug::parse("Blog").is_err());
        assert!(Slug::parse("").is_err());
        assert!(Slug::parse(&"a".repeat(65)).is_err());
        assert!(Slug::parse("naïve").is_err());
    }
}
