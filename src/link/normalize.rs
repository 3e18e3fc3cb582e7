//! Name normalisation shared by the gazetteer build and the linker, so that an alias and a
//! mention meet in the same form: case, diacritics, punctuation, a leading `the` and a
//! possessive `'s` are all folded away.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The lookup key of a name: lower case, no diacritics, punctuation folded to single spaces
/// (dots and apostrophes inside a word vanish, so `U.S.` and `US` meet), `-isation` spelt
/// `-ization`, no leading `the`. Possessives are cut from mentions by [`mention_key`].
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_space = false;
    for c in name.nfkd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else if matches!(c, '.' | '\'' | '’' | '‘' | 'ʼ' | '`') {
            // inside-word marks: `U.S.`, `O'Brien`, `Côte d’Ivoire` keep their letters together
        } else {
            pending_space = true;
        }
    }
    // British and American spellings meet: `Organisation` → `organization`.
    let out = out.replace("isation", "ization");
    match out.strip_prefix("the ") {
        Some(rest) => rest.to_string(),
        None => out,
    }
}

/// The name without a possessive ending (`Moscow’s` → `Moscow`), or `None` when it has none.
pub fn possessive_base(name: &str) -> Option<&str> {
    let trimmed = name.trim_end();
    for suffix in ["’s", "'s", "‘s", "’", "'"] {
        if let Some(base) = trimmed.strip_suffix(suffix) {
            if !base.is_empty() && (suffix.len() > 1 || base.ends_with('s')) {
                return Some(base);
            }
        }
    }
    None
}

/// The key of a mention: its normal form, with a possessive ending removed first.
pub fn mention_key(text: &str) -> String {
    normalize(possessive_base(text).unwrap_or(text))
}

/// Whether a surface form looks like an acronym: 2–8 letters or digits, mostly upper case
/// (`CSTO`, `EU`, `G20`, `U.S.`).
pub fn is_acronym(text: &str) -> bool {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    (2..=8).contains(&letters.len())
        && upper * 4 >= letters.len() * 3
        && text.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '&' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_diacritics_punctuation_and_the() {
        assert_eq!(normalize("The Kremlin"), "kremlin");
        assert_eq!(normalize("São Paulo"), "sao paulo");
        assert_eq!(normalize("U.S."), "us");
        assert_eq!(normalize("Kassym-Jomart  Tokayev"), "kassym jomart tokayev");
        assert_eq!(normalize("Côte d’Ivoire"), "cote divoire");
        assert_eq!(normalize("Theodore"), "theodore");
        assert_eq!(normalize("Shanghai Cooperation Organisation"), normalize("Shanghai Cooperation Organization"));
    }

    #[test]
    fn mention_keys_drop_possessives() {
        assert_eq!(mention_key("Moscow’s"), "moscow");
        assert_eq!(mention_key("Russia's"), "russia");
        assert_eq!(mention_key("the CSTO’s"), "csto");
        assert_eq!(mention_key("Paris"), "paris");
        assert_eq!(possessive_base("Brussels’"), Some("Brussels"));
    }

    #[test]
    fn recognises_acronyms() {
        assert!(is_acronym("CSTO"));
        assert!(is_acronym("U.S."));
        assert!(!is_acronym("Moscow"));
        assert!(!is_acronym("A"));
    }
}
