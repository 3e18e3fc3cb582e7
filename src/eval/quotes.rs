//! Quote metrics: P/R/F1 of quote contents, for direct quotes alone and for all attributions,
//! and speaker accuracy on the matched quotes.
//!
//! Match rule: a predicted quote matches a gold content when the characters they share are at
//! least half of the longer of the two (gold length: the sum of its pieces, which may be
//! discontinuous). Each gold content and each prediction matches at most once; pairs are taken
//! in order of decreasing overlap. A matched quote's speaker is right when the predicted speaker
//! mention overlaps a gold source piece, or its resolved name is the gold source's name (the
//! gold source's words end the name, `Badalyan` in `Hakob Badalyan`, or the name's words occur
//! in the gold source, `Hakob Badalyan` in `analyst Hakob Badalyan`); where the gold has no
//! source, it is right when the prediction has no speaker either.
//!
//! Gold contents may be discontinuous (`“A,” she said. “B.”` is one attribution with two
//! pieces), while a predicted quote is one span. So consecutive predicted quotes of one
//! paragraph (no line break between them) that share their speaker mention and their cue (or
//! carry on with no cue) — one frame attributes them all, as with an interrupted quote, reported
//! speech around its frame, or speech that carries on after its frame — are scored as one
//! attribution whose pieces are their contents. A part with a cue of its own (`“…,” Lee said,
//! adding that …`) is an attribution of its own.

use serde::Serialize;

use super::metrics::{ratio, Prf};
use crate::document::{CharSpan, Quote, QuoteKind};
use crate::eval::gold::GoldQuote;

/// Speaker accuracy on matched quotes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Accuracy {
    pub correct: usize,
    pub total: usize,
    pub accuracy: f64,
}

impl Accuracy {
    fn new(correct: usize, total: usize) -> Accuracy {
        Accuracy { correct, total, accuracy: ratio(correct, total) }
    }
}

impl std::fmt::Display for Accuracy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:6.2}  ({} of {} matched quotes)", 100.0 * self.accuracy, self.correct, self.total)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct QuoteReport {
    /// Predicted `direct` quotes against gold contents enclosed in quotation marks.
    pub direct: Prf,
    pub direct_speaker: Accuracy,
    /// Every predicted quote against every gold attribution.
    pub all: Prf,
    pub all_speaker: Accuracy,
}

#[derive(Debug, Default)]
struct Tally {
    tp: usize,
    predicted: usize,
    gold: usize,
    speaker_right: usize,
}

impl Tally {
    fn prf(&self) -> Prf {
        Prf::new(self.tp, self.predicted, self.gold)
    }
    fn speaker(&self) -> Accuracy {
        Accuracy::new(self.speaker_right, self.tp)
    }
}

#[derive(Debug, Default)]
pub struct QuoteCounter {
    direct: Tally,
    all: Tally,
}

/// A predicted attribution: the contents of consecutive quotes with one speaker mention.
struct Predicted<'a> {
    pieces: Vec<CharSpan>,
    /// The first quote, whose speaker they share.
    quote: &'a Quote,
}

fn group<'a>(text: &str, quotes: impl Iterator<Item = &'a Quote>) -> Vec<Predicted<'a>> {
    let mut out: Vec<Predicted> = Vec::new();
    for q in quotes {
        let span = CharSpan::new(q.start, q.end);
        let mention = |q: &Quote| q.speaker.as_ref().map(|s| (s.start, s.end));
        let same_paragraph = |last: &Predicted| {
            let gap = CharSpan::new(last.pieces.last().map_or(q.start, |p| p.end).min(q.start), q.start);
            !char_slice(text, gap).contains('\n')
        };
        // A later part has the first one's cue, or none (speech carrying on after its frame); a
        // cue of its own makes it an attribution of its own (`“…,” Lee said, adding that …`).
        let same_cue = |last: &Predicted| q.cue.is_none() || q.cue.as_ref().map(|c| c.start) == last.quote.cue.as_ref().map(|c| c.start);
        match out.last_mut() {
            Some(last) if mention(q).is_some() && mention(q) == mention(last.quote) && same_paragraph(last) && same_cue(last) => last.pieces.push(span),
            _ => out.push(Predicted { pieces: vec![span], quote: q }),
        }
    }
    out
}

impl QuoteCounter {
    /// Adds one document; `text` is its text, for the gold sources' names.
    pub fn add(&mut self, text: &str, gold: &[GoldQuote], pred: &[Quote]) {
        let gold: Vec<&GoldQuote> = gold.iter().filter(|g| !g.content.is_empty()).collect();
        let direct_gold: Vec<&GoldQuote> = gold.iter().copied().filter(|g| g.direct).collect();
        let mut sorted: Vec<&Quote> = pred.iter().collect();
        sorted.sort_by_key(|q| (q.start, q.end));
        let direct_pred = group(text, sorted.iter().copied().filter(|q| q.kind == QuoteKind::Direct));
        let all_pred = group(text, sorted.iter().copied());
        tally(&mut self.direct, text, &direct_gold, &direct_pred);
        tally(&mut self.all, text, &gold, &all_pred);
    }

    pub fn report(&self) -> QuoteReport {
        QuoteReport {
            direct: self.direct.prf(),
            direct_speaker: self.direct.speaker(),
            all: self.all.prf(),
            all_speaker: self.all.speaker(),
        }
    }
}

fn tally(t: &mut Tally, text: &str, gold: &[&GoldQuote], pred: &[Predicted]) {
    t.predicted += pred.len();
    t.gold += gold.len();
    for (g, p) in match_quotes(gold, pred) {
        t.tp += 1;
        t.speaker_right += speaker_right(text, gold[g], pred[p].quote) as usize;
    }
}

/// Chars of `span` covered by the pieces.
fn shared(pieces: &[CharSpan], span: CharSpan) -> usize {
    pieces.iter().map(|p| p.overlap_len(&span)).sum()
}

/// One-to-one matches `(gold, pred)` under the match rule, by decreasing overlap.
fn match_quotes(gold: &[&GoldQuote], pred: &[Predicted]) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    for (gi, g) in gold.iter().enumerate() {
        let gold_len: usize = g.content.iter().map(CharSpan::len).sum();
        for (pi, p) in pred.iter().enumerate() {
            let pred_len: usize = p.pieces.iter().map(CharSpan::len).sum();
            let overlap: usize = p.pieces.iter().map(|&piece| shared(&g.content, piece)).sum();
            if overlap > 0 && 2 * overlap >= gold_len.max(pred_len) {
                pairs.push((overlap, gi, pi));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let (mut gold_done, mut pred_done) = (vec![false; gold.len()], vec![false; pred.len()]);
    let mut out = Vec::new();
    for (_, g, p) in pairs {
        if !gold_done[g] && !pred_done[p] {
            gold_done[g] = true;
            pred_done[p] = true;
            out.push((g, p));
        }
    }
    out
}

fn speaker_right(text: &str, gold: &GoldQuote, pred: &Quote) -> bool {
    let Some(speaker) = &pred.speaker else { return gold.source.is_empty() };
    if shared(&gold.source, CharSpan::new(speaker.start, speaker.end)) > 0 {
        return true;
    }
    let Some(name) = &speaker.name else { return false };
    let source: Vec<String> = gold.source.iter().flat_map(|s| name_words(&char_slice(text, *s))).collect();
    let name = name_words(name);
    !source.is_empty() && (name.ends_with(&source) || source.windows(name.len()).any(|w| w == name.as_slice()))
}

fn char_slice(text: &str, span: CharSpan) -> String {
    text.chars().skip(span.start).take(span.len()).collect()
}

fn name_words(s: &str) -> Vec<String> {
    s.split_whitespace()
        .map(|w| w.trim_end_matches("’s").trim_end_matches("'s").trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

impl std::fmt::Display for QuoteReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "quotes (match: shared chars ≥ 50% of the longer of predicted and gold content):")?;
        writeln!(f, "  direct     {}", self.direct)?;
        writeln!(f, "  speaker    {}", self.direct_speaker)?;
        writeln!(f, "  all        {}", self.all)?;
        writeln!(f, "  speaker    {}", self.all_speaker)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Speaker;

    fn pred(s: usize, e: usize, kind: QuoteKind, speaker: Option<(usize, usize, Option<&str>)>) -> Quote {
        Quote {
            start: s,
            end: e,
            text: String::new(),
            kind,
            cue: None,
            speaker: speaker.map(|(s, e, name)| Speaker { start: s, end: e, text: String::new(), name: name.map(str::to_string), entity: None, kb_id: None, id: None }),
            score: 1.0,
        }
    }

    fn gold(content: &[(usize, usize)], source: &[(usize, usize)], direct: bool) -> GoldQuote {
        let spans = |v: &[(usize, usize)]| v.iter().map(|&(s, e)| CharSpan::new(s, e)).collect();
        GoldQuote { content: spans(content), source: spans(source), cue: Vec::new(), direct }
    }

    #[test]
    fn hand_computed_matches_and_speakers() {
        let text = "\"We will win the vote,\" Hakob Badalyan said. He added that they would. Jo said so.";
        let g = [
            gold(&[(0, 23)], &[(24, 38)], true),  // the direct quote with its marks
            gold(&[(54, 69)], &[(45, 47)], false), // "that they would", reported
            gold(&[(71, 73)], &[], false),         // a content no prediction matches
        ];
        let p = [
            // 21 chars inside the 23-char gold: a match, speaker span overlaps the source.
            pred(1, 21, QuoteKind::Direct, Some((24, 38, Some("Hakob Badalyan")))),
            // "they would": 10 shared chars, the longer (gold) has 15: 10 ≥ 7.5, a match; the
            // speaker span misses the gold "He" and is not resolved: wrong.
            pred(59, 69, QuoteKind::Indirect, Some((0, 2, None))),
            // Overlaps nothing.
            pred(75, 82, QuoteKind::Indirect, None),
        ];
        let mut c = QuoteCounter::default();
        c.add(text, &g, &p);
        let r = c.report();
        assert_eq!((r.direct.tp, r.direct.predicted, r.direct.gold), (1, 1, 1));
        assert_eq!((r.direct_speaker.correct, r.direct_speaker.total), (1, 1));
        assert_eq!((r.all.tp, r.all.predicted, r.all.gold), (2, 3, 3));
        assert!((r.all.f1 - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!((r.all_speaker.correct, r.all_speaker.total), (1, 2));
    }

    #[test]
    fn less_than_half_of_the_longer_is_no_match() {
        let g = [gold(&[(0, 40)], &[], false)];
        // 19 of 40 chars: under half of the gold.
        let p = [pred(0, 19, QuoteKind::Indirect, None)];
        let mut c = QuoteCounter::default();
        c.add(&"x".repeat(60), &g, &p);
        assert_eq!(c.report().all.tp, 0);
        // Exactly half of a discontinuous gold (20 + 20 chars) matches.
        let g = [gold(&[(0, 20), (30, 50)], &[], false)];
        let p = [pred(0, 20, QuoteKind::Indirect, None)];
        let mut c = QuoteCounter::default();
        c.add(&"x".repeat(60), &g, &p);
        assert_eq!(c.report().all.tp, 1);
    }

    #[test]
    fn quotes_sharing_a_speaker_mention_score_as_one_discontinuous_attribution() {
        // “Here it is,” she said. “Take it.” — gold: one attribution, content [0,13) + [24,34).
        let g = [gold(&[(0, 13), (24, 34)], &[(14, 17)], true)];
        let she = Some((14, 17, None));
        let parts = [pred(1, 11, QuoteKind::Direct, she), pred(25, 33, QuoteKind::Direct, she)];
        let mut c = QuoteCounter::default();
        c.add(&"x".repeat(40), &g, &parts);
        let r = c.report();
        // 18 shared chars of 23 gold: one match, one prediction.
        assert_eq!((r.direct.tp, r.direct.predicted, r.direct.gold), (1, 1, 1));
        // Different speaker mentions stay two predictions: the first alone (10 of 23) misses.
        let other = [pred(1, 11, QuoteKind::Direct, she), pred(25, 33, QuoteKind::Direct, Some((35, 37, None)))];
        let mut c = QuoteCounter::default();
        c.add(&"x".repeat(40), &g, &other);
        let r = c.report();
        assert_eq!((r.direct.tp, r.direct.predicted, r.direct.gold), (0, 2, 1));
    }

    #[test]
    fn a_resolved_name_matches_a_gold_surname_elsewhere() {
        let text = "Badalyan spoke. \"Fine,\" he said.";
        let g = [gold(&[(16, 23)], &[(0, 8)], true)];
        let right = [pred(17, 21, QuoteKind::Direct, Some((24, 26, Some("Hakob Badalyan"))))];
        let wrong = [pred(17, 21, QuoteKind::Direct, Some((24, 26, Some("Vladimir Putin"))))];
        for (p, expected) in [(&right, 1), (&wrong, 0)] {
            let mut c = QuoteCounter::default();
            c.add(text, &g, p);
            assert_eq!(c.report().direct_speaker.correct, expected);
        }
    }
}
