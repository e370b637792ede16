//! Suggested names: the display form and the dedupe key that decides duplicates.

use unicode_normalization::UnicodeNormalization;

/// The most characters a suggested name may have, after normalisation.
pub const MAX_NAME_CHARS: usize = 80;
/// The most characters a suggestion's note may have.
pub const MAX_NOTE_CHARS: usize = 500;

/// Leading words dropped from the dedupe key ("The Library Blog" = "Library Blog").
const ARTICLES: [&str; 3] = ["the", "a", "an"];

/// A suggested name, valid by construction.
///
/// - display form ([`SuggestionName::as_str`]): trimmed, every run of whitespace
///   collapsed to one space, Unicode NFC; 1–80 characters; no control characters
///   and no bidirectional-override characters;
/// - dedupe key ([`SuggestionName::dedupe_key`]): NFKC, case-folded, punctuation
///   and whitespace removed, a leading article (the/a/an) dropped. Two names with
///   the same key are one candidate: "The Library Blog", "library  blog" and
///   "LIBRARY-BLOG!" all have the key `libraryblog`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuggestionName {
    display: String,
    key: String,
}

impl SuggestionName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if let Some(c) = raw.chars().find(|c| is_forbidden(*c)) {
            return Err(format!(
                "name must not contain control or bidirectional-override characters (found U+{:04X})",
                c as u32
            ));
        }
        let nfc: String = raw.nfc().collect();
        let display = nfc.split_whitespace().collect::<Vec<_>>().join(" ");
        let len = display.chars().count();
        if len == 0 {
            return Err("name must not be empty".into());
        }
        if len > MAX_NAME_CHARS {
            return Err(format!(
                "name must be at most {MAX_NAME_CHARS} characters long (got {len})"
            ));
        }
        let key = dedupe_key(&display);
        if key.is_empty() {
            return Err(
                "name must contain at least one letter, digit or symbol besides punctuation".into(),
            );
        }
        Ok(SuggestionName { display, key })
    }

    /// The name as shown.
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The key that decides duplicates within a contest.
    pub fn dedupe_key(&self) -> &str {
        &self.key
    }

    pub fn into_parts(self) -> (String, String) {
        (self.display, self.key)
    }
}

/// Control characters (Cc), and the bidi embedding/override/isolate characters
/// that can make a name display as something else.
fn is_forbidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Punctuation for the dedupe key: ASCII punctuation and symbols, Latin-1 and
/// general punctuation, CJK punctuation, and invisible formatting characters
/// (zero-width space and joiners, soft hyphen, byte-order mark).
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(
            c,
            '\u{00A1}' | '\u{00A7}' | '\u{00AB}' | '\u{00AD}' | '\u{00B6}' | '\u{00B7}'
                | '\u{00BB}' | '\u{00BF}' | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205E}'
                | '\u{200B}'..='\u{200F}' | '\u{3001}'..='\u{3003}' | '\u{3008}'..='\u{3011}'
                | '\u{3014}'..='\u{301F}' | '\u{30FB}' | '\u{FE10}'..='\u{FE19}'
                | '\u{FE30}'..='\u{FE6B}' | '\u{FEFF}' | '\u{FF01}'..='\u{FF0F}'
                | '\u{FF1A}'..='\u{FF20}' | '\u{FF3B}'..='\u{FF40}' | '\u{FF5B}'..='\u{FF65}'
        )
}

/// Full case folding where it differs from lowercasing for common scripts.
fn fold(c: char, out: &mut String) {
    match c {
        'ß' | 'ẞ' => out.push_str("ss"),
        'ς' => out.push('σ'),
        _ => out.extend(c.to_lowercase()),
    }
}

/// The dedupe key of a (display-normalised) name; see [`SuggestionName`].
pub fn dedupe_key(name: &str) -> String {
    let mut folded = String::with_capacity(name.len());
    for c in name.nfkc() {
        fold(c, &mut folded);
    }
    // Case folding can produce unnormalised text; normalise once more.
    let folded: String = folded.nfkc().collect();
    let words: Vec<&str> = folded
        .split(|c: char| c.is_whitespace() || is_punctuation(c))
        .filter(|w| !w.is_empty())
        .collect();
    let skip = usize::from(words.len() > 1 && ARTICLES.contains(&words[0]));
    // Joining words can put a combining mark after a letter it composes with.
    words[skip..].concat().nfkc().collect()
}

/// An optional note with a suggestion: trimmed, at most 500 characters, no
/// control characters other than newlines and tabs; empty means none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuggestionNote(String);

impl SuggestionNote {
    pub fn parse(raw: &str) -> Result<Option<Self>, String> {
        let text: String = raw.trim().nfc().collect();
        if let Some(c) = text
            .chars()
            .find(|c| (c.is_control() && *c != '\n' && *c != '\t') || is_forbidden_bidi(*c))
        {
            return Err(format!(
                "note must not contain control characters (found U+{:04X})",
                c as u32
            ));
        }
        let len = text.chars().count();
        if len > MAX_NOTE_CHARS {
            return Err(format!(
                "note must be at most {MAX_NOTE_CHARS} characters long (got {len})"
            ));
        }
        Ok((len > 0).then_some(SuggestionNote(text)))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

fn is_forbidden_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(raw: &str) -> String {
        SuggestionName::parse(raw).unwrap().dedupe_key().to_owned()
    }

    #[test]
    fn names_are_trimmed_collapsed_and_nfc() {
        let n = SuggestionName::parse("  The   Library\u{00A0} Blog ").unwrap();
        assert_eq!(n.as_str(), "The Library Blog");
        // "e" + combining acute becomes the precomposed "é" for display.
        let n = SuggestionName::parse("Cafe\u{0301} Corner").unwrap();
        assert_eq!(n.as_str(), "Caf\u{00E9} Corner");
    }

    #[test]
    fn the_documented_variants_share_one_key() {
        assert_eq!(key("The Library Blog"), "libraryblog");
        assert_eq!(key("library  blog"), "libraryblog");
        assert_eq!(key("LIBRARY-BLOG!"), "libraryblog");
        assert_eq!(key("a library blog"), "libraryblog");
        assert_eq!(key("An Library, Blog."), "libraryblog");
        assert_eq!(key("ＬＩＢＲＡＲＹ ＢＬＯＧ"), "libraryblog");
        assert_eq!(key("Library\u{200B}Blog"), "libraryblog");
        assert_eq!(key("Reader's Corner"), key("Readers Corner"));
    }

    #[test]
    fn articles_are_dropped_only_as_leading_words() {
        assert_eq!(key("Theatre Blog"), "theatreblog");
        assert_eq!(key("Blog the Library"), "blogthelibrary");
        assert_eq!(key("The"), "the");
        assert_eq!(key("A"), "a");
        assert_ne!(key("Another Blog"), key("Blog"));
    }

    #[test]
    fn case_folding_goes_beyond_lowercase() {
        assert_eq!(key("STRASSE"), key("Straße"));
        assert_eq!(key("ΣΟΦΟΣ"), key("σοφος"));
        assert_eq!(key("Ｃａｆé"), key("CAFÉ"));
        assert_eq!(key("Cafe\u{0301}"), key("Café"));
    }

    #[test]
    fn symbols_and_scripts_are_kept() {
        assert_eq!(key("🚀 Launchpad"), "🚀launchpad");
        assert_ne!(key("🚀"), key("🛸"));
        assert_eq!(key("図書館ブログ"), "図書館ブログ");
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(SuggestionName::parse("   ").is_err());
        assert!(SuggestionName::parse("").is_err());
        assert!(SuggestionName::parse("!!!").is_err());
        assert!(SuggestionName::parse("bell\u{7}").is_err());
        assert!(SuggestionName::parse("two\nlines").is_err());
        assert!(SuggestionName::parse("evil\u{202E}txt").is_err());
        assert!(SuggestionName::parse(&"é".repeat(80)).is_ok());
        assert!(SuggestionName::parse(&"é".repeat(81)).is_err());
        // Length counts after collapsing whitespace.
        assert!(SuggestionName::parse(&format!("{}   {}", "a".repeat(39), "b".repeat(40))).is_ok());
    }

    proptest::proptest! {
        /// The display form is a fixed point, and it keeps the dedupe key.
        #[test]
        fn normalising_twice_changes_nothing(raw in "\\PC{0,60}") {
            if let Ok(name) = SuggestionName::parse(&raw) {
                let again = SuggestionName::parse(name.as_str()).unwrap();
                proptest::prop_assert_eq!(again.as_str(), name.as_str());
                proptest::prop_assert_eq!(again.dedupe_key(), name.dedupe_key());
                proptest::prop_assert!(!name.dedupe_key().is_empty());
                proptest::prop_assert_eq!(dedupe_key(name.dedupe_key()), name.dedupe_key());
            }
        }

        /// Case, spacing and punctuation around the words never matter.
        #[test]
        fn case_spacing_and_punctuation_do_not_matter(words in proptest::collection::vec("[a-zA-Z0-9]{1,8}", 1..5)) {
            let plain = words.join(" ");
            let shouted = words.iter().map(|w| w.to_uppercase()).collect::<Vec<_>>().join("  -  ");
            let a = SuggestionName::parse(&plain).unwrap();
            let b = SuggestionName::parse(&format!("  {shouted}!! ")).unwrap();
            proptest::prop_assert_eq!(a.dedupe_key(), b.dedupe_key());
        }
    }

    #[test]
    fn notes_are_optional_and_bounded() {
        assert_eq!(SuggestionNote::parse("  ").unwrap(), None);
        assert_eq!(
            SuggestionNote::parse(" because\nbooks ")
                .unwrap()
                .unwrap()
                .into_inner(),
            "because\nbooks"
        );
        assert!(SuggestionNote::parse(&"x".repeat(501)).is_err());
        assert!(SuggestionNote::parse("bell\u{7}").is_err());
    }
}
