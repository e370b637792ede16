//! Suggested names: the display form and the dedupe key that decides duplicates.

use unicode_normalization::UnicodeNormalization;

/// The version of [`dedupe_key`]'s rules. Stored with every suggestion's key;
/// when the rules change, this goes up and stored keys are recomputed (see
/// `db::suggestions::rekey`).
pub const DEDUPE_KEY_VERSION: i16 = 2;

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
/// - dedupe key ([`SuggestionName::dedupe_key`]): NFKC, case-folded, invisible
///   characters (Unicode's default-ignorable code points: zero-width and
///   joiner characters, variation selectors, tags, bidi marks) and emoji
///   modifiers dropped, punctuation and whitespace removed, a leading article
///   (the/a/an) dropped, then every character replaced by its UTS #39
///   confusable prototype (the *skeleton*), so names that look alike are one
///   candidate. "The Library Blog", "library  blog", "LIBRARY-BLOG!" and
///   "Librаry Blog" (Cyrillic а) all have one key. The skeleton also makes
///   look-alike Latin spellings one name ("rn" and "m", "l" and "1"): on a
///   ballot they would be confused just the same.
///
/// Refused: control characters, bidirectional embeddings, overrides and
/// isolates (they can make a name display as something else), and Unicode
/// noncharacters (never meant for interchange).
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
        if let Some(c) = raw.chars().find(|c| is_noncharacter(*c)) {
            return Err(format!(
                "name must not contain Unicode noncharacters (found U+{:04X})",
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

/// Unicode noncharacters: U+FDD0–U+FDEF and the last two code points of every
/// plane.
fn is_noncharacter(c: char) -> bool {
    let n = c as u32;
    (0xFDD0..=0xFDEF).contains(&n) || (n & 0xFFFE) == 0xFFFE
}

/// Characters that change nothing a reader sees in a name: Unicode's
/// Default_Ignorable_Code_Point (DerivedCoreProperties.txt: soft hyphen,
/// combining grapheme joiner, Arabic letter mark, fillers, zero-width and
/// joiner characters, bidi marks, invisible operators, variation selectors,
/// tags) and the emoji skin-tone modifiers (U+1F3FB–U+1F3FF).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{1F3FB}'..='\u{1F3FF}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
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
    for c in name.nfkc().filter(|c| !is_invisible(*c)) {
        fold(c, &mut folded);
    }
    // Case folding can produce unnormalised text; normalise once more.
    let folded: String = folded.nfkc().collect();
    let words: Vec<&str> = folded
        .split(|c: char| c.is_whitespace() || is_punctuation(c))
        .filter(|w| !w.is_empty())
        .collect();
    // An article is recognised by its look too ("Тhe" with a Cyrillic Т).
    let is_article = |w: &str| {
        let look: String = unicode_security::skeleton(w).nfc().collect();
        ARTICLES.contains(&look.as_str())
    };
    let skip = usize::from(words.len() > 1 && is_article(words[0]));
    // Look-alikes become one: the UTS #39 skeleton (NFD, each character's
    // confusable prototype), then NFC so the stored key is compact. Joining the
    // words can also put a combining mark after a letter it composes with.
    // A prototype may be upper case ("¥" is drawn as "Y̵"), so fold and take
    // the skeleton again until nothing changes: the key is a fixed point, and
    // the key of a key is itself.
    let mut key: String = unicode_security::skeleton(&words[skip..].concat())
        .nfc()
        .collect();
    for _ in 0..4 {
        let mut refolded = String::with_capacity(key.len());
        for c in key.nfkc().filter(|c| !is_invisible(*c)) {
            fold(c, &mut refolded);
        }
        let refolded: String = refolded
            .nfkc()
            .filter(|c| !c.is_whitespace() && !is_punctuation(*c))
            .collect();
        let next: String = unicode_security::skeleton(&refolded).nfc().collect();
        if next == key {
            break;
        }
        key = next;
    }
    key
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
        assert_eq!(key("図書館ブログ"), key("図書館 ブログ"));
        assert_ne!(key("図書館ブログ"), key("図書館"));
    }

    #[test]
    fn look_alikes_and_invisible_characters_are_one_name() {
        // The names of the security review's report, all shown as "Shelf Life".
        let shelf = key("Shelf Life");
        for twin in [
            "Sh\u{0435}lf Life",               // Cyrillic е
            "\u{0405}helf Life",               // Cyrillic Ѕ
            "Shelf Life\u{FE0F}",              // variation selector 16
            "Shelf Life\u{E0041}",             // tag latin capital A
            "Shelf Life\u{1F3FD}",             // skin-tone modifier
            "\u{061C}Shelf Life",              // Arabic letter mark
            "Shelf\u{2060} Life",              // word joiner
            "Shelf Li\u{00AD}fe",              // soft hyphen
            "\u{0405}h\u{0435}lf L\u{0456}fe", // three scripts mixed
        ] {
            assert_eq!(key(twin), shelf, "{twin:?}");
        }
        assert_ne!(key("Shelf Life"), key("Shelf Lite"));
    }

    #[test]
    fn noncharacters_are_refused() {
        for bad in [
            "Shelf Life\u{FFFE}",
            "Shelf Life\u{FFFF}",
            "Shelf\u{10FFFF}",
            "x\u{FDD0}",
        ] {
            assert!(SuggestionName::parse(bad).is_err(), "{bad:?}");
        }
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

        /// Inserting an invisible character or swapping a letter for a look-alike
        /// of another script never makes a new name.
        #[test]
        fn look_alikes_and_invisibles_never_make_a_new_name(
            words in proptest::collection::vec("[a-z]{1,8}", 1..4),
            at in 0usize..40,
            pick in 0usize..64,
        ) {
            const INVISIBLE: [char; 10] = [
                '\u{200B}', '\u{200D}', '\u{2060}', '\u{FE0F}', '\u{FE00}', '\u{E0041}',
                '\u{1F3FB}', '\u{061C}', '\u{00AD}', '\u{FEFF}',
            ];
            // Latin letter → a Cyrillic or Greek letter drawn the same.
            const TWINS: [(char, char); 8] = [
                ('a', '\u{0430}'), ('e', '\u{0435}'), ('o', '\u{043E}'), ('p', '\u{0440}'),
                ('c', '\u{0441}'), ('x', '\u{0445}'), ('i', '\u{0456}'), ('o', '\u{03BF}'),
            ];
            let plain = words.join(" ");
            let original = SuggestionName::parse(&plain).unwrap();
            let chars: Vec<char> = plain.chars().collect();
            let at = at % (chars.len() + 1);
            let mut hidden: Vec<char> = chars.clone();
            hidden.insert(at, INVISIBLE[pick % INVISIBLE.len()]);
            let hidden: String = hidden.into_iter().collect();
            let (from, to) = TWINS[pick % TWINS.len()];
            let swapped: String = chars.iter().map(|&c| if c == from { to } else { c }).collect();
            for variant in [hidden, swapped] {
                let name = SuggestionName::parse(&variant).unwrap();
                proptest::prop_assert_eq!(name.dedupe_key(), original.dedupe_key(), "{:?}", variant);
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
