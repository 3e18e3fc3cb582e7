//! The sport-report signal: in sport copy, country, city and region names mostly denote teams
//! (`Australia beat England by five wickets`, `Chicago 5 Houston 3`), which the gazetteer does
//! not hold. The linker uses two things from here: how strongly an article reads as a sport
//! report ([`sport_signal`], in [0, 1]), and whether a mention stands where a place, not a
//! team, is named ([`place_position`]: a nationality in brackets after a player, a dateline,
//! `in Melbourne`).

/// Words of sport copy, matched lower-cased as whole words. Each distinct word counts once.
const SPORT_WORDS: &[&str] = &[
    "soccer", "football", "cricket", "tennis", "golf", "rugby", "baseball", "basketball", "boxing", "athletics",
    "cycling", "hockey", "squash", "skiing", "motor", "racing", "match", "matches", "innings", "wicket",
    "wickets", "goal", "goals", "cup", "league", "seeded", "seed", "beat", "draw", "drew", "striker",
    "midfielder", "defender", "goalkeeper", "coach", "championship", "tournament", "semifinal", "semi-final",
    "quarter-final", "quarterfinal", "final", "round", "halftime", "half-time", "scorers", "scored", "score",
    "points", "runs", "overs", "bowled", "batting", "test", "division", "standings", "played", "won", "lost",
    "drawn", "title", "champion", "olympic", "medal", "inning", "pitcher", "homer", "homers", "shortstop", "outfielder",
    "qualifier", "qualifiers", "squad", "batsman", "bowler", "hat-trick", "quarterback", "touchdown", "playoff",
    "playoffs", "unbeaten", "halftime", "stadium",
];

/// Names of sports, as a wire slug gives them before the headline (`SOCCER - …`, `MOTOR
/// RACING - …`, `Cricket - …`).
const SPORT_NAMES: &[&str] = &[
    "soccer", "football", "cricket", "tennis", "golf", "rugby", "baseball", "basketball", "boxing", "athletics",
    "cycling", "hockey", "squash", "skiing", "racing", "motorcycling", "swimming", "rowing", "yachting", "sailing",
    "badminton", "volleyball", "handball", "snooker", "darts", "judo", "wrestling", "gymnastics", "triathlon",
    "nfl", "nba", "nhl", "olympics", "equestrianism", "speedway", "motorsport", "sport", "sports",
];

/// How strongly the article reads as a sport report, in [0, 1]: distinct sport words (four
/// or more give full weight) scaled by score lines (`2-1`, `6-3 6-4`, `111-104`; two or more
/// give full weight). Sport vocabulary alone gives at most 0.5: news about a cup of tea or a
/// political match should not silence place names.
pub fn sport_signal(text: &str) -> f32 {
    if sport_slug(text) {
        return 1.0;
    }
    let mut distinct = std::collections::HashSet::new();
    for w in text.split(|c: char| !(c.is_alphanumeric() || c == '-')) {
        let lower = w.to_lowercase();
        if let Some(s) = SPORT_WORDS.iter().find(|s| **s == lower) {
            distinct.insert(*s);
        }
    }
    let vocab = (distinct.len() as f32 / 4.0).min(1.0);
    let scores = (score_lines(text) as f32 / 2.0).min(1.0);
    vocab * (0.5 + 0.5 * scores)
}

/// Whether the text opens with a wire slug naming a sport: a few words before ` - ` at the
/// very start, one of them a sport's name (`SOCCER - ENGLAND NAME CAPTAIN`, `Cricket - …`).
pub fn sport_slug(text: &str) -> bool {
    let Some((slug, _)) = text.trim_start().split_once(" - ") else { return false };
    let words: Vec<String> = slug.split_whitespace().map(str::to_lowercase).collect();
    slug.len() <= 40 && (1..=4).contains(&words.len()) && words.iter().any(|w| SPORT_NAMES.contains(&w.as_str()))
}

/// Tokens shaped like a score: 1–3 digits, a hyphen, 1–3 digits, not part of a date
/// (`1996-08-30`) or a longer number.
fn score_lines(text: &str) -> usize {
    text.split_whitespace()
        .filter(|t| {
            let t = t.trim_end_matches([',', ';', '.', ')']).trim_start_matches('(');
            let Some((a, b)) = t.split_once('-') else { return false };
            let short = |s: &str| (1..=3).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_digit());
            short(a) && short(b)
        })
        .count()
}

/// Whether the mention at bytes `start..end` of `text` stands where sport copy names a place:
/// in brackets (`Pete Sampras (U.S.)`, a player's nationality), after `in`, `from` or `of`, or
/// as a dateline (in capitals and followed by a date, `SYDNEY 1996-08-30`, `LONDON, Aug 30`),
/// or as a dateline's country (followed by the date: `HARBOURTON, Norway 1996-08-30`).
pub fn place_position(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].trim_end();
    if before.ends_with('(') {
        return true;
    }
    let prev = before.rsplit(char::is_whitespace).next().unwrap_or("").to_lowercase();
    if ["in", "from", "of", "near"].contains(&prev.as_str()) {
        return true;
    }
    // The country of a dateline (`NICE, France 1996-08-30`) is followed by the date itself.
    if starts_with_date(text[end..].trim_start()) {
        return true;
    }
    let surface = &text[start..end];
    let capitals = surface.chars().filter(|c| c.is_alphabetic()).count() >= 3 && !surface.chars().any(char::is_lowercase);
    capitals && is_dateline_tail(&text[end..])
}

/// After a capitalised place: an optional `, Country` then a date (`1996-08-30`, `Aug 30`).
fn is_dateline_tail(after: &str) -> bool {
    let rest = after.trim_start();
    if starts_with_date(rest) {
        return true;
    }
    // `SYDNEY, Australia 1996-08-30`: a date at one of the next few words after a comma.
    let Some(r) = rest.strip_prefix(',') else { return false };
    r.split_whitespace().take(4).any(|w| starts_with_date(&r[w.as_ptr() as usize - r.as_ptr() as usize..]))
}

fn starts_with_date(s: &str) -> bool {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let b = s.as_bytes();
    if b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-' {
        return true;
    }
    let lower = s.get(..3).map(str::to_lowercase);
    lower.is_some_and(|m| MONTHS.contains(&m.as_str())) && s.split_whitespace().nth(1).is_some_and(|d| d.trim_end_matches(',').parse::<u8>().is_ok_and(|d| (1..=31).contains(&d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_lines_and_vocabulary_make_a_sport_report() {
        let sport = "SOCCER - RIVERTON BEAT HARBOUR CITY 2-1 . Riverton beat Harbour City 2-1 in the league on Saturday , their striker scoring twice . Other results : Northtown 0 Southvale 3 , Eastfield 1-1 Westbury .";
        assert!(sport_signal(sport) >= 0.99, "{}", sport_signal(sport));
        let politics = "The minister met her counterpart on 1996-08-30 to discuss a trade deal worth 3.5 billion dollars .";
        assert_eq!(sport_signal(politics), 0.0);
        let tea = "A cup of tea was served at the match factory before the final vote .";
        assert!(sport_signal(tea) <= 0.5);
        assert_eq!(score_lines("won 6-3 6-4 (7-5) on 1996-08-30 with 12.5-13 points"), 3);
    }

    #[test]
    fn a_sport_slug_makes_a_sport_report_without_scores() {
        let slug = "CRICKET - RIVERTON NAME NEW CAPTAIN . HARBOURTON 1996-08-30 Riverton named their captain on Friday .";
        assert!(sport_slug(slug));
        assert_eq!(sport_signal(slug), 1.0);
        assert!(sport_slug("Motor racing - Team changes driver for next race"));
        assert!(!sport_slug("POLITICS - MINISTER RESIGNS"));
        assert!(!sport_slug("The minister said the football - and the cup - were his passion"));
    }

    #[test]
    fn brackets_prepositions_and_datelines_are_place_positions() {
        let at = |text: &str, m: &str| {
            let s = text.find(m).unwrap();
            place_position(text, s, s + m.len())
        };
        assert!(at("1. Anna Berg ( Norway ) 2:01.3", "Norway"));
        assert!(at("The tournament in Melbourne opens today", "Melbourne"));
        assert!(at("HARBOURTON 1996-08-30 Results", "HARBOURTON"));
        assert!(at("HARBOURTON, Norway Aug 30 - Results", "HARBOURTON"));
        assert!(at("HARBOURTON, Norway Aug 30 - Results", "Norway"));
        assert!(!at("Norway Augmented its lead", "Norway"));
        assert!(!at("Norway beat Sweden 2-1", "Norway"));
        assert!(!at("Norway beat Sweden 2-1", "Sweden"));
        assert!(!at("NORWAY BEAT SWEDEN", "NORWAY"));
    }
}
