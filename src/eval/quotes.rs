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

/// Null speakers on matched quotes whose gold names a source: the stage found the quote but
/// not who said it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct NullSpeakers {
    /// Matched quotes predicted without a speaker.
    pub null: usize,
    /// Matched quotes in all.
    pub found: usize,
    /// Of those, matched quotes whose gold has a source, and the ones predicted null among them.
    pub gold_named: usize,
    pub null_where_named: usize,
    /// `null_where_named / gold_named`.
    pub rate_where_named: f64,
}

impl std::fmt::Display for NullSpeakers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:6.2}  ({} of {} found quotes whose gold names a speaker; {} of {} found quotes in all)",
            100.0 * self.rate_where_named,
            self.null_where_named,
            self.gold_named,
            self.null,
            self.found
        )
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct QuoteReport {
    /// Predicted `direct` quotes against gold contents enclosed in quotation marks.
    pub direct: Prf,
    pub direct_speaker: Accuracy,
    pub direct_null_speakers: NullSpeakers,
    /// Every predicted quote against every gold attribution.
    pub all: Prf,
    pub all_speaker: Accuracy,
    /// With `--errors`: each direct quote whose speaker is wrong, each missed and each spurious
    /// direct quote, with context.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<QuoteError>,
}

/// What went wrong with one direct quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// Matched, with the wrong speaker (or none where the gold names one).
    Speaker,
    /// A gold direct quote no prediction matches.
    Missed,
    /// A predicted direct quote that matches no gold one.
    Spurious,
}

/// One error, with enough context to see what failed.
#[derive(Debug, Clone, Serialize)]
pub struct QuoteError {
    pub kind: ErrorKind,
    pub doc: String,
    /// The quote's content (the gold's where there is one), shortened.
    pub quote: String,
    /// The text around the quote, shortened: from the sentence before to the one after.
    pub context: String,
    /// Predicted speaker mention and its resolved name.
    pub predicted: Option<String>,
    /// Gold source text (empty where the gold has none).
    pub gold: Option<String>,
}

impl std::fmt::Display for QuoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            ErrorKind::Speaker => "speaker",
            ErrorKind::Missed => "missed",
            ErrorKind::Spurious => "spurious",
        };
        writeln!(f, "[{kind}] {}: “{}”", self.doc, self.quote)?;
        if self.kind == ErrorKind::Speaker {
            writeln!(f, "    predicted: {}", self.predicted.as_deref().unwrap_or("(none)"))?;
            writeln!(f, "    gold:      {}", self.gold.as_deref().unwrap_or("(none)"))?;
        }
        writeln!(f, "    context:   {}", self.context)
    }
}

#[derive(Debug, Default)]
struct Tally {
    tp: usize,
    predicted: usize,
    gold: usize,
    speaker_right: usize,
    null: NullSpeakers,
}

impl Tally {
    fn prf(&self) -> Prf {
        Prf::new(self.tp, self.predicted, self.gold)
    }
    fn speaker(&self) -> Accuracy {
        Accuracy::new(self.speaker_right, self.tp)
    }
    fn null_speakers(&self) -> NullSpeakers {
        NullSpeakers { rate_where_named: ratio(self.null.null_where_named, self.null.gold_named), ..self.null }
    }
}

#[derive(Debug, Default)]
pub struct QuoteCounter {
    direct: Tally,
    all: Tally,
    /// Whether to keep the errors of direct quotes.
    keep_errors: bool,
    errors: Vec<QuoteError>,
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
    /// A counter that also lists the errors of direct quotes (`byline eval --errors`).
    pub fn with_errors() -> QuoteCounter {
        QuoteCounter { keep_errors: true, ..QuoteCounter::default() }
    }

    /// Adds one document; `text` is its text, for the gold sources' names and the errors'
    /// context.
    pub fn add(&mut self, id: &str, text: &str, gold: &[GoldQuote], pred: &[Quote]) {
        let gold: Vec<&GoldQuote> = gold.iter().filter(|g| !g.content.is_empty()).collect();
        let direct_gold: Vec<&GoldQuote> = gold.iter().copied().filter(|g| g.direct).collect();
        let mut sorted: Vec<&Quote> = pred.iter().collect();
        sorted.sort_by_key(|q| (q.start, q.end));
        let direct_pred = group(text, sorted.iter().copied().filter(|q| q.kind == QuoteKind::Direct));
        let all_pred = group(text, sorted.iter().copied());
        let matches = tally(&mut self.direct, text, &direct_gold, &direct_pred);
        tally(&mut self.all, text, &gold, &all_pred);
        if self.keep_errors {
            self.errors.extend(direct_errors(id, text, &direct_gold, &direct_pred, &matches));
        }
    }

    pub fn report(&self) -> QuoteReport {
        QuoteReport {
            direct: self.direct.prf(),
            direct_speaker: self.direct.speaker(),
            direct_null_speakers: self.direct.null_speakers(),
            all: self.all.prf(),
            all_speaker: self.all.speaker(),
            errors: self.errors.clone(),
        }
    }
}

/// Scores one document's predictions; returns the matches `(gold, pred)`.
fn tally(t: &mut Tally, text: &str, gold: &[&GoldQuote], pred: &[Predicted]) -> Vec<(usize, usize)> {
    t.predicted += pred.len();
    t.gold += gold.len();
    let matches = match_quotes(gold, pred);
    for &(g, p) in &matches {
        t.tp += 1;
        t.speaker_right += speaker_right(text, gold[g], pred[p].quote) as usize;
        let null = pred[p].quote.speaker.is_none();
        t.null.found += 1;
        t.null.null += null as usize;
        if !gold[g].source.is_empty() {
            t.null.gold_named += 1;
            t.null.null_where_named += null as usize;
        }
    }
    matches
}

/// Characters of context on each side of a quote in an error listing.
const CONTEXT_CHARS: usize = 160;
/// Characters of a quote's content shown in an error listing.
const QUOTE_CHARS: usize = 100;

/// The errors of one document's direct quotes: wrong speakers, missed and spurious quotes.
fn direct_errors(id: &str, text: &str, gold: &[&GoldQuote], pred: &[Predicted], matches: &[(usize, usize)]) -> Vec<QuoteError> {
    let chars: Vec<char> = text.chars().collect();
    let slice = |s: CharSpan| -> String { chars[s.start.min(chars.len())..s.end.min(chars.len())].iter().collect() };
    let joined = |spans: &[CharSpan]| -> Option<String> { (!spans.is_empty()).then(|| spans.iter().map(|&s| slice(s)).collect::<Vec<_>>().join(" … ")) };
    let extent = |spans: &[CharSpan]| CharSpan::new(spans.iter().map(|s| s.start).min().unwrap_or(0), spans.iter().map(|s| s.end).max().unwrap_or(0));
    let context = |around: CharSpan| -> String {
        let start = around.start.saturating_sub(CONTEXT_CHARS);
        let end = (around.end + CONTEXT_CHARS).min(chars.len());
        let body: String = slice(CharSpan::new(start, end)).split_whitespace().collect::<Vec<_>>().join(" ");
        format!("{}{body}{}", if start > 0 { "…" } else { "" }, if end < chars.len() { "…" } else { "" })
    };
    let short = |s: String| -> String {
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.chars().count() > QUOTE_CHARS { s.chars().take(QUOTE_CHARS).collect::<String>() + "…" } else { s }
    };
    let speaker = |q: &Quote| {
        q.speaker.as_ref().map(|s| match &s.name {
            Some(name) if *name != s.text => format!("{} → {name}", s.text),
            _ => s.text.clone(),
        })
    };
    let mut out = Vec::new();
    for &(g, p) in matches {
        if speaker_right(text, gold[g], pred[p].quote) {
            continue;
        }
        let around = extent(&gold[g].content);
        out.push(QuoteError { kind: ErrorKind::Speaker, doc: id.into(), quote: short(slice(around)), context: context(around), predicted: speaker(pred[p].quote), gold: joined(&gold[g].source) });
    }
    for (_, gq) in gold.iter().enumerate().filter(|(g, _)| !matches.iter().any(|m| m.0 == *g)) {
        let around = extent(&gq.content);
        out.push(QuoteError { kind: ErrorKind::Missed, doc: id.into(), quote: short(slice(around)), context: context(around), predicted: None, gold: joined(&gq.source) });
    }
    for (_, pq) in pred.iter().enumerate().filter(|(p, _)| !matches.iter().any(|m| m.1 == *p)) {
        let around = extent(&pq.pieces);
        out.push(QuoteError { kind: ErrorKind::Spurious, doc: id.into(), quote: short(slice(around)), context: context(around), predicted: speaker(pq.quote), gold: None });
    }
    out.sort_by_key(|e| e.kind as u8);
    out
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
    let name = name_words(name);
    let same = |source: &[String]| !source.is_empty() && (name.ends_with(source) || source.windows(name.len()).any(|w| w == name.as_slice()));
    let source: Vec<String> = gold.source.iter().flat_map(|s| name_words(&char_slice(text, *s))).collect();
    same(&source) || gold.source_name.as_deref().is_some_and(|n| same(&name_words(n)))
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
        let d = &self.direct;
        writeln!(f, "             found {}, missed {}, spurious {}", d.tp, d.gold - d.tp, d.predicted - d.tp)?;
        writeln!(f, "  speaker    {}", self.direct_speaker)?;
        writeln!(f, "  null       {}", self.direct_null_speakers)?;
        writeln!(f, "  all        {}", self.all)?;
        writeln!(f, "  speaker    {}", self.all_speaker)?;
        if !self.errors.is_empty() {
            writeln!(f, "direct-quote errors ({}):", self.errors.len())?;
            for e in &self.errors {
                write!(f, "{e}")?;
            }
        }
        Ok(())
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
            speaker: speaker.map(|(s, e, name)| Speaker { start: s, end: e, text: String::new(), name: name.map(str::to_string), entity: None, kb_id: None, id: None, via: None }),
            score: 1.0,
        }
    }

    fn gold(content: &[(usize, usize)], source: &[(usize, usize)], direct: bool) -> GoldQuote {
        let spans = |v: &[(usize, usize)]| v.iter().map(|&(s, e)| CharSpan::new(s, e)).collect();
        GoldQuote { content: spans(content), source: spans(source), cue: Vec::new(), source_name: None, direct }
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
        c.add("d", text, &g, &p);
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
        c.add("d", &"x".repeat(60), &g, &p);
        assert_eq!(c.report().all.tp, 0);
        // Exactly half of a discontinuous gold (20 + 20 chars) matches.
        let g = [gold(&[(0, 20), (30, 50)], &[], false)];
        let p = [pred(0, 20, QuoteKind::Indirect, None)];
        let mut c = QuoteCounter::default();
        c.add("d", &"x".repeat(60), &g, &p);
        assert_eq!(c.report().all.tp, 1);
    }

    #[test]
    fn quotes_sharing_a_speaker_mention_score_as_one_discontinuous_attribution() {
        // “Here it is,” she said. “Take it.” — gold: one attribution, content [0,13) + [24,34).
        let g = [gold(&[(0, 13), (24, 34)], &[(14, 17)], true)];
        let she = Some((14, 17, None));
        let parts = [pred(1, 11, QuoteKind::Direct, she), pred(25, 33, QuoteKind::Direct, she)];
        let mut c = QuoteCounter::default();
        c.add("d", &"x".repeat(40), &g, &parts);
        let r = c.report();
        // 18 shared chars of 23 gold: one match, one prediction.
        assert_eq!((r.direct.tp, r.direct.predicted, r.direct.gold), (1, 1, 1));
        // Different speaker mentions stay two predictions: the first alone (10 of 23) misses.
        let other = [pred(1, 11, QuoteKind::Direct, she), pred(25, 33, QuoteKind::Direct, Some((35, 37, None)))];
        let mut c = QuoteCounter::default();
        c.add("d", &"x".repeat(40), &g, &other);
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
            c.add("d", text, &g, p);
            assert_eq!(c.report().direct_speaker.correct, expected);
        }
    }

    #[test]
    fn null_speakers_and_errors_of_direct_quotes() {
        let text = "\"We will win,\" Lee said. \"Not this year.\" Park spoke. \"Never.\"";
        // Gold: the first two quotes by Lee (the second carried over), the third with no speaker.
        let g = [gold(&[(1, 12)], &[(15, 18)], true), gold(&[(26, 40)], &[(15, 18)], true), gold(&[(55, 61)], &[], true)];
        let lee = Some((15, 18, Some("Ann Lee")));
        let p = [
            pred(1, 12, QuoteKind::Direct, lee),
            // Found, with no speaker where the gold names Lee: a null error.
            pred(26, 40, QuoteKind::Direct, None),
            // Found, with a speaker where the gold has none: wrong, but not null.
            pred(55, 61, QuoteKind::Direct, Some((43, 47, Some("Park")))),
        ];
        let mut c = QuoteCounter::with_errors();
        c.add("d", text, &g, &p);
        let r = c.report();
        assert_eq!((r.direct_speaker.correct, r.direct_speaker.total), (1, 3));
        let n = r.direct_null_speakers;
        assert_eq!((n.null, n.found, n.null_where_named, n.gold_named), (1, 3, 1, 2));
        assert!((n.rate_where_named - 0.5).abs() < 1e-12);
        let kinds: Vec<(ErrorKind, bool, Option<&str>)> = r.errors.iter().map(|e| (e.kind, e.predicted.as_deref().is_some_and(|p| p.ends_with("Park")), e.gold.as_deref())).collect();
        assert_eq!(kinds, vec![(ErrorKind::Speaker, false, Some("Lee")), (ErrorKind::Speaker, true, None)]);
        assert!(r.errors[0].context.contains("Not this year"));
        // Without `with_errors`, nothing is listed.
        let mut c = QuoteCounter::default();
        c.add("d", text, &g, &p);
        assert!(c.report().errors.is_empty());
    }

    #[test]
    fn a_gold_source_name_accepts_another_mention_of_the_same_person() {
        let text = "Ann Lee spoke. \"Fine,\" he said.";
        let mut g = gold(&[(15, 22)], &[(24, 26)], true);
        g.source_name = Some("Ann Lee".into());
        // `Lee` elsewhere, resolved to Ann Lee: right through the gold's name.
        let p = [pred(16, 20, QuoteKind::Direct, Some((4, 7, Some("Ann Lee"))))];
        let mut c = QuoteCounter::default();
        c.add("d", text, &[g], &p);
        assert_eq!(c.report().direct_speaker.correct, 1);
    }
}
