//! Case classes: the casing signal an uncased tokenizer throws away, fed back to the model as
//! `token_type_ids` (see MODEL_CARD.md of the default model for what it is worth).

/// Number of case classes; a model with the case feature has at least this many token types.
pub const CASE_CLASSES: usize = 5;

/// 0: no letters (and special tokens), 1: lower, 2: Title, 3: UPPER, 4: mixed (`iPhone`, `McDonald`).
pub fn case_class(word: &str) -> i64 {
    let mut letters = word.chars().filter(|c| c.is_alphabetic());
    let Some(first) = letters.next() else { return 0 };
    let rest: Vec<char> = letters.collect();
    let rest_upper = rest.iter().filter(|c| c.is_uppercase()).count();
    let rest_lower = rest.iter().filter(|c| c.is_lowercase()).count();
    if first.is_lowercase() {
        if rest_upper == 0 {
            1
        } else {
            4
        }
    } else if rest.is_empty() {
        // A single capital: an initial or `I`, closest to Title case.
        2
    } else if rest_lower == 0 {
        3
    } else if rest_upper == 0 {
        2
    } else {
        4
    }
}

#[cfg(test)]
mod tests {
    use super::case_class;

    #[test]
    fn classes() {
        assert_eq!(case_class("1992"), 0);
        assert_eq!(case_class("“"), 0);
        assert_eq!(case_class("alliance"), 1);
        assert_eq!(case_class("Moscow"), 2);
        assert_eq!(case_class("CSTO"), 3);
        assert_eq!(case_class("McDonald"), 4);
        assert_eq!(case_class("Élysée"), 2);
        assert_eq!(case_class("A"), 2);
    }
}
