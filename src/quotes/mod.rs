//! The quotes stage: direct, mixed and reported speech with cue and speaker (docs/quotes.md).
//!
//! [`extract`] is the entry point. [`marks`] pairs quotation marks, [`cues`] holds the lexicon
//! of reporting verbs, [`attribution`] reads frames (cue + speaker) and decides what each one
//! reports, and [`speaker`] finds speaker mentions and resolves them to names and entities.

mod attribution;
mod cues;
mod marks;
pub mod select;
mod speaker;
pub mod tagger;
mod words;

use crate::document::{CharSpan, Document, Quote, QuoteKind, Speaker};
use crate::output::round_score;
use crate::segment;
use attribution::Found;
use select::{Atom, Choice, SpeakerModel, Via};
use speaker::{MentionKind, Names};

/// Fills `doc.quotes`, sorted by start, with the built-in speaker model. Uses the sentences and
/// paragraphs (segmenting first if that has not run) and the entities when NER has run.
pub fn extract(doc: &mut Document) {
    extract_with(doc, SpeakerModel::builtin());
}

/// [`extract`] with a given speaker model.
pub fn extract_with(doc: &mut Document, model: &SpeakerModel) {
    extract_full(doc, model, None);
}

/// Score of an attribution only the tagger found (docs/quotes.md, "Scores").
pub const TAGGER_SCORE: f32 = 0.4;

/// [`extract_with`], plus, with a `tagger` and the NER encoder's `word_states` (which this
/// consumes), the attributions the tagger finds whose content overlaps no quote of the rules
/// and no quotation marks: reported speech, with the tagger's cue and the speaker read from its
/// source. Without either, the rules alone.
pub fn extract_full(doc: &mut Document, model: &SpeakerModel, tagger: Option<&tagger::Tagger>) {
    if doc.paragraphs.is_empty() {
        segment::segment(doc);
    }
    let states = doc.word_states.take();
    let a = Analysis::new(doc);
    let choices = select::choices(doc, &a.tokens, &a.quoted, &a.found, &a.names, Some(model));
    let (found, via) = apply(&a, &choices);
    let mut quotes: Vec<Quote> = found.iter().zip(via).map(|(f, via)| quote(doc, &a, f, via)).collect();
    if let (Some(tagger), Some(states)) = (tagger, states) {
        // A tagger error (states of another width) leaves the rules' quotes: the model files
        // do not match, which `Tagger::load`'s caller reports once for the run.
        let tagged = tagger.attributions(&states, &doc.sentences).unwrap_or_default();
        let taken: Vec<CharSpan> = found.iter().map(|f| f.content).chain(a.quoted.iter().map(|q| q.content)).collect();
        for t in tagged {
            if taken.iter().any(|c| c.overlaps(&t.content)) || t.content.len() < 2 {
                continue;
            }
            let speaker = t.source.map(|s| (s, tagged_mention_kind(doc, &a.tokens, s)));
            let f = Found { content: t.content, kind: QuoteKind::Indirect, cue: t.cue, speaker, carried: false, unclosed: false };
            let mut q = quote(doc, &a, &f, Via::Frame);
            q.score = TAGGER_SCORE;
            quotes.push(q);
        }
        quotes.sort_by_key(|q| (q.start, q.end));
    }
    doc.quotes = quotes;
}

/// What a source span the tagger found is: one pronoun, a name (it overlaps a PER or ORG
/// entity, or opens with a capital past its determiner), or else a description.
fn tagged_mention_kind(doc: &Document, tokens: &[words::Token], span: CharSpan) -> MentionKind {
    // Tokens and entities are sorted by start: look only at those that can touch the span, so
    // that the cost does not grow with the article's length.
    let first = tokens.partition_point(|t| t.span.start < span.start);
    let inside: Vec<&words::Token> = tokens[first..].iter().take_while(|t| t.span.start < span.end).filter(|t| span.contains(&t.span)).collect();
    if inside.len() == 1 && (attribution::SUBJECT_PRONOUNS.contains(&inside[0].lower.as_str()) || inside[0].lower == "you") {
        return MentionKind::Pronoun;
    }
    let ends_before = doc.entities.partition_point(|e| e.end <= span.start);
    if doc.entities[ends_before..]
        .iter()
        .take_while(|e| e.start < span.end)
        .any(|e| matches!(e.label.as_str(), "PER" | "ORG") && e.span().overlaps(&span))
    {
        return MentionKind::Name;
    }
    MentionKind::Description
}

/// The direct quotes of a segmented document with their candidate speakers, for training the
/// speaker model: chosen by `model`, or by the rules without one.
pub fn speaker_choices(doc: &Document, model: Option<&SpeakerModel>) -> Vec<Choice> {
    let a = Analysis::new(doc);
    select::choices(doc, &a.tokens, &a.quoted, &a.found, &a.names, model)
}

/// What the rules find in a document: tokens, quoted spans, quotes with the rules' speakers, and
/// the names for resolving them.
struct Analysis {
    tokens: Vec<words::Token>,
    quoted: Vec<marks::Quoted>,
    found: Vec<Found>,
    names: Names,
}

impl Analysis {
    fn new(doc: &Document) -> Analysis {
        let chars: Vec<char> = doc.text.chars().collect();
        let tokens = words::tokenize(&chars);
        let quoted = marks::quoted_spans(&chars, &doc.paragraphs);
        let found = attribution::attribute(&chars, &tokens, &quoted, &doc.sentences, &doc.paragraphs);
        // Names inside quotation marks are not what a pronoun outside them refers to.
        let mut in_quotes = vec![false; chars.len()];
        for q in &quoted {
            in_quotes[q.content.start..q.content.end].fill(true);
        }
        let speaker_names: Vec<CharSpan> =
            found.iter().filter_map(|f| f.speaker).filter(|(_, kind)| *kind == MentionKind::Name).map(|(span, _)| span).collect();
        let names = Names::collect(doc, &tokens, &in_quotes, &speaker_names);
        Analysis { tokens, quoted, found, names }
    }
}

/// The quotes with the selector's speakers in place of the rules' for direct quotes, and how
/// each speaker was found.
fn apply(a: &Analysis, choices: &[Choice]) -> (Vec<Found>, Vec<Via>) {
    let mut found = a.found.clone();
    let mut via = vec![Via::Frame; found.len()];
    let in_quotes = select::tokens_in_quotes(&a.tokens, &a.quoted);
    let in_quote = |i: usize| in_quotes[i];
    for c in choices {
        let rule = &a.found[c.found];
        let f = &mut found[c.found];
        let Some(chosen) = c.chosen.map(|i| &c.candidates[i]) else {
            f.speaker = None;
            f.carried = false;
            continue;
        };
        let v = chosen.via();
        let by_rule = rule.speaker.is_some_and(|(span, _)| span.overlaps(&chosen.span));
        if !by_rule {
            f.cue = match v {
                // Speech carried back from the quote after it in the paragraph goes with that
                // quote's cue (`“A.” … “B,” he said.` is one utterance); carried forward, it has
                // none of its own.
                Via::Continuation if chosen.atoms.contains(&Atom::NextSpeaker) => {
                    a.found.iter().find(|n| n.content.start >= rule.content.end && n.speaker.is_some_and(|(s, _)| s == chosen.span)).and_then(|n| n.cue)
                }
                // Named in an earlier sentence: no cue of its own beside the quote.
                Via::Continuation | Via::Context => None,
                Via::Frame => select::cue_beside(&a.tokens, chosen, in_quote).or(rule.cue),
            };
        }
        f.speaker = Some((chosen.span, chosen.kind));
        f.carried = v == Via::Continuation;
        via[c.found] = v;
    }
    (found, via)
}

fn quote(doc: &Document, a: &Analysis, f: &Found, via: Via) -> Quote {
    let speaker = f.speaker.map(|(span, kind)| {
        let resolved = match kind {
            // A written source speaks for its owner: `her statement`, `a statement from X`.
            MentionKind::Description => {
                let first = a.tokens.partition_point(|t| t.span.start < span.start);
                let end = a.tokens.partition_point(|t| t.span.start < span.end);
                select::document_owner(&a.tokens, first, end).and_then(|(s, e, k)| a.names.resolve(doc, CharSpan::new(a.tokens[s].span.start, a.tokens[e - 1].span.end), k))
            }
            _ => a.names.resolve(doc, span, kind),
        };
        Speaker {
            start: span.start,
            end: span.end,
            text: doc.slice(span).to_string(),
            name: resolved.as_ref().map(|r| r.name.clone()),
            entity: resolved.and_then(|r| r.entity),
            kb_id: None,
            id: None,
            via: Some(via.name().to_string()),
        }
    });
    let content = doc.text_span(f.content);
    Quote {
        start: content.start,
        end: content.end,
        text: content.text,
        kind: f.kind,
        cue: f.cue.map(|c| doc.text_span(c)),
        score: round_score(score(f, speaker.as_ref())),
        speaker,
    }
}

/// Confidence by how the quote was found (docs/quotes.md, "Scores").
fn score(f: &Found, speaker: Option<&Speaker>) -> f32 {
    let base = match (f.kind, speaker) {
        (QuoteKind::Direct, Some(s)) if s.name.is_some() && !f.carried => 0.9,
        (QuoteKind::Direct, Some(_)) if !f.carried => 0.8,
        (QuoteKind::Direct, Some(_)) => 0.7,
        (QuoteKind::Direct, None) => 0.5,
        (QuoteKind::Mixed, _) => 0.75,
        (QuoteKind::Indirect, _) => 0.6,
    };
    if f.unclosed {
        base - 0.2
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Entity;

    fn annotate(text: &str) -> Document {
        let mut doc = Document::new("t", text);
        segment::segment(&mut doc);
        extract(&mut doc);
        doc.check_offsets().unwrap();
        doc
    }

    /// (kind, content, cue, speaker mention, resolved name) of each quote.
    type Summary = (QuoteKind, String, Option<String>, Option<String>, Option<String>);

    fn summary(doc: &Document) -> Vec<Summary> {
        doc.quotes
            .iter()
            .map(|q| {
                (
                    q.kind,
                    q.text.clone(),
                    q.cue.as_ref().map(|c| c.text.clone()),
                    q.speaker.as_ref().map(|s| s.text.clone()),
                    q.speaker.as_ref().and_then(|s| s.name.clone()),
                )
            })
            .collect()
    }

    fn one(text: &str) -> Summary {
        let doc = annotate(text);
        let s = summary(&doc);
        assert_eq!(s.len(), 1, "{s:?}");
        s.into_iter().next().unwrap()
    }

    fn q(kind: QuoteKind, text: &str, cue: &str, speaker: &str, name: Option<&str>) -> Summary {
        (kind, text.into(), Some(cue.into()), Some(speaker.into()), name.map(str::to_string))
    }

    #[test]
    fn seed_article_quotes_and_no_scare_quotes() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/corpora/sample/csto-article.txt")).unwrap();
        let doc = annotate(&text);
        let got: Vec<(QuoteKind, String, Option<String>, Option<String>, Option<String>)> = summary(&doc)
            .into_iter()
            .map(|(k, t, c, s, n)| (k, t.chars().take(40).collect(), c, s, n))
            .collect();
        use QuoteKind::*;
        let badalyan = Some("Hakob Badalyan");
        let zharikhin = Some("Vladimir Zharikhin");
        assert_eq!(
            got,
            vec![
                (Indirect, "Moscow’s hold over a region it considers".into(), Some("appears".into()), None, None),
                q(Indirect, "to maintain and advance its geopolitical", "seeks", "it", None),
                q(Mixed, "the bloc is struggling with “serious iss", "told", "Hakob Badalyan", badalyan),
                // The aside between dashes stays in the clause.
                q(Indirect, "the CSTO — and therefore Moscow — of aba", "accuses", "It", None),
                q(Indirect, "those developments as connected", "sees", "Badalyan", badalyan),
                q(Direct, "At war with Ukraine, Russia has far fewe", "said", "he", badalyan),
                q(Indirect, "The CSTO still has a role to play in the", "suggested", "others", None),
                // An impression with its complement, after the relative `that`.
                (Indirect, "now seems impossible to replicate".into(), Some("seems".into()), None, None),
                q(Mixed, "the group has helped by “ensuring the st", "According to", "Vladimir Zharikhin", zharikhin),
                q(Direct, "If there haven’t been any serious confli", "said", "he", zharikhin),
                q(Direct, "By holding these exercises, we show the ", "said", "Gennady Lepeshko", Some("Gennady Lepeshko")),
                (Indirect, "the alliance appears split even on the d".into(), Some("appears".into()), None, None),
                q(Indirect, "the West as an existential threat", "sees", "Russia", Some("Russia")),
                q(Indirect, "Moscow’s war on Ukraine", "backed", "none", None),
                q(Indirect, "to invest in energy and transport infras", "urged", "his hosts", None),
                q(Direct, "The time has come to begin a broad discu", "said", "he", Some("Vladimir Putin")),
            ]
        );
        // Whole contents: no quote marks around direct quotes, no handover comma.
        assert_eq!(doc.quotes[5].text, "At war with Ukraine, Russia has far fewer resources to fully play its role as the CSTO’s military-technical leader");
        assert_eq!(doc.quotes[2].text, "the bloc is struggling with “serious issues of competitiveness and viability,”");
        for scare in ["Russian NATO", "peacekeeping forces", "enemies", "limitless friendship"] {
            assert!(doc.quotes.iter().all(|q| !q.text.starts_with(scare)), "{scare} came out as a quote");
        }
    }

    #[test]
    fn straight_marks_and_a_pronoun_resolved_to_a_person_named_before() {
        let s = one("Maria Lopez, a city official, spoke on Monday.\n\n\"We are ready,\" she said.");
        assert_eq!(s, q(QuoteKind::Direct, "We are ready", "said", "she", Some("Maria Lopez")));
    }

    #[test]
    fn guillemets_with_the_speaker_after_the_cue() {
        let s = one("«We are ready», said minister Jean Dupont.");
        assert_eq!(s, q(QuoteKind::Direct, "We are ready", "said", "Jean Dupont", Some("Jean Dupont")));
    }

    #[test]
    fn nested_single_quotes_and_apostrophes_stay_in_the_quote() {
        let s = one("“He told me ‘never again’ and we haven’t forgotten Moscow’s role,” Jo Smith said.");
        assert_eq!(s, q(QuoteKind::Direct, "He told me ‘never again’ and we haven’t forgotten Moscow’s role", "said", "Jo Smith", Some("Jo Smith")));
    }

    #[test]
    fn a_quote_across_paragraphs_is_one_quote() {
        let s = one("Mayor Jo Smith spoke at length.\n\n“The first part goes on.\n\n“The second part ends here,” she said.");
        assert_eq!(s, q(QuoteKind::Direct, "The first part goes on.\n\n“The second part ends here", "said", "she", Some("Jo Smith")));
    }

    #[test]
    fn speaker_before_the_quote_with_a_colon() {
        let s = one("Senator Ann Lee said: “We will vote no.”");
        assert_eq!(s, q(QuoteKind::Direct, "We will vote no.", "said", "Ann Lee", Some("Ann Lee")));
        let s = one("Senator Ann Lee said:\n\n“We will vote no.”");
        assert_eq!(s, q(QuoteKind::Direct, "We will vote no.", "said", "Ann Lee", Some("Ann Lee")));
    }

    #[test]
    fn dash_trailer_names_the_speaker() {
        let s = one("“Nothing will change for us.” — Ann Lee, mayor");
        assert_eq!(s, q(QuoteKind::Direct, "Nothing will change for us.", "—", "Ann Lee", Some("Ann Lee")));
    }

    #[test]
    fn scare_quotes_and_titles_are_not_speech() {
        let doc = annotate(
            "The plan, dubbed “Project Sun”, failed. Nobody knows who those “enemies” are. \
             Drills were held under the banner of “limitless friendship.” He read ‘War and Peace’ twice.",
        );
        assert_eq!(summary(&doc), vec![]);
    }

    #[test]
    fn an_unclosed_quote_degrades_only_itself() {
        let doc = annotate("“We will win the vote today, she told them.\n\nThe vote is today.\n\n“Fine,” Bo Chan said.");
        let s = summary(&doc);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(doc.quotes[0].text, "We will win the vote today, she told them.");
        assert!(doc.quotes[0].score < 0.5);
        assert_eq!(s[1], q(QuoteKind::Direct, "Fine", "said", "Bo Chan", Some("Bo Chan")));
    }

    #[test]
    fn reported_speech_before_and_after_the_cue() {
        use QuoteKind::Indirect;
        assert_eq!(one("Others suggested that the deal would collapse."), q(Indirect, "that the deal would collapse", "suggested", "Others", None));
        assert_eq!(one("The deal will collapse next year, analysts said."), q(Indirect, "The deal will collapse next year", "said", "analysts", None));
        assert_eq!(
            one("According to Ann Lee, the deal will collapse."),
            q(Indirect, "the deal will collapse", "According to", "Ann Lee", Some("Ann Lee"))
        );
    }

    #[test]
    fn a_surname_resolves_to_the_full_name_used_earlier() {
        let doc = annotate("Belarusian official Gennady Lepeshko arrived first. Later Lepeshko said the drills had gone well.");
        assert_eq!(summary(&doc), vec![q(QuoteKind::Indirect, "the drills had gone well", "said", "Lepeshko", Some("Gennady Lepeshko"))]);
    }

    #[test]
    fn speakers_resolve_to_entities_when_ner_ran() {
        let speakers = speakers_with_entities(
            "“We are ready,” Hakob Badalyan told AFP. “So are they,” he said.",
            &[(16, 30, "PER"), (36, 39, "ORG")],
        );
        assert_eq!(speakers, vec![(Some("Hakob Badalyan".into()), Some(0)), (Some("Hakob Badalyan".into()), Some(0))]);
    }

    /// Quotes of `text` with these entities (as NER would give them): each speaker's name and
    /// entity.
    fn speakers_with_entities(text: &str, entities: &[(usize, usize, &str)]) -> Vec<(Option<String>, Option<usize>)> {
        let mut doc = Document::new("t", text);
        segment::segment(&mut doc);
        doc.entities = entities
            .iter()
            .map(|&(start, end, label)| Entity {
                start,
                end,
                text: text.chars().skip(start).take(end - start).collect(),
                label: label.into(),
                score: 1.0,
                link: None,
                id: None,
            })
            .collect();
        extract(&mut doc);
        doc.check_offsets().unwrap();
        doc.quotes.iter().map(|q| q.speaker.as_ref().map(|s| (s.name.clone(), s.entity)).unwrap()).collect()
    }

    #[test]
    fn a_name_that_ner_cut_in_pieces_resolves_to_the_whole_name_and_its_person() {
        // `Ivan` taken for an organisation, `Petrov` for a person.
        let speakers = speakers_with_entities(
            "“We are ready,” official Ivan Petrov said. “So are they,” he said.",
            &[(25, 29, "ORG"), (30, 36, "PER")],
        );
        assert_eq!(speakers, vec![(Some("Ivan Petrov".into()), Some(1)), (Some("Ivan Petrov".into()), Some(1))]);
    }

    #[test]
    fn unnamed_sources_keep_their_mention_without_a_name() {
        let s = one("“It is over,” a spokesperson said.");
        assert_eq!(s, q(QuoteKind::Direct, "It is over", "said", "a spokesperson", None));
        assert!(annotate("“It is over,” a spokesperson said.").quotes[0].speaker.as_ref().unwrap().entity.is_none());
    }

    #[test]
    fn an_interrupted_quote_keeps_its_speaker_on_both_parts() {
        let doc = annotate("Mayor Ann Lee spoke. “We are ready,” she said, “and we will win.”");
        let s = summary(&doc);
        assert_eq!(
            s,
            vec![
                q(QuoteKind::Direct, "We are ready", "said", "she", Some("Ann Lee")),
                q(QuoteKind::Direct, "and we will win.", "said", "she", Some("Ann Lee")),
            ]
        );
    }

    #[test]
    fn odd_texts_give_valid_offsets() {
        for text in [
            "", "“", "”", "\"", "''", "''''", "said", "he said", "According to", "“said”", "— Ann Lee",
            "“Unclosed at the very end, she said", ", said", "Said:", "“A” “B” “C”", "«»", "‘’ ’‘", "\n\n“\n\n”\n",
            "Ann Lee, (", "He smiled and said", "and said “x”", "who said", "“x,” said, “y”", "👍 “👍 👍 👍 👍,” 👍 said.",
        ] {
            annotate(text);
        }
    }

    #[test]
    fn participles_and_coordinated_cues_find_the_clause_subject() {
        let s = one("In a speech on Monday, Ann Lee spoke about the plan, saying, “It will cost us dearly.”");
        assert_eq!(s, q(QuoteKind::Direct, "It will cost us dearly.", "saying", "Ann Lee", Some("Ann Lee")));
        let s = one("Ann Lee spoke about the plan, saying he “has failed every family in the city.”");
        assert_eq!(s, q(QuoteKind::Mixed, "he “has failed every family in the city.”", "saying", "Ann Lee", Some("Ann Lee")));
        let s = one("Mayor Ann Lee spoke. Then she smiled and said, “It will not happen.”");
        assert_eq!(s, q(QuoteKind::Direct, "It will not happen.", "said", "she", Some("Ann Lee")));
    }

    #[test]
    fn speech_after_its_frame_takes_the_speaker_of_the_quote_before() {
        let doc = annotate("“We are ready,” Ann Lee said. “The vote is tomorrow and we will win it.”");
        let s = summary(&doc);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[1], (QuoteKind::Direct, "The vote is tomorrow and we will win it.".into(), None, Some("Ann Lee".into()), Some("Ann Lee".into())));
        assert_eq!(doc.quotes[1].speaker.as_ref().map(|s| s.start), doc.quotes[0].speaker.as_ref().map(|s| s.start));
    }

    #[test]
    fn reported_clauses_start_at_that_and_end_at_a_new_frame() {
        use QuoteKind::Indirect;
        let doc = annotate("Mayor Ann Lee said on Tuesday that the budget was balanced, adding that taxes would fall.");
        assert_eq!(
            summary(&doc),
            vec![
                q(Indirect, "that the budget was balanced", "said", "Ann Lee", Some("Ann Lee")),
                q(Indirect, "that taxes would fall", "adding", "Ann Lee", Some("Ann Lee")),
            ]
        );
        // `and` before another cue verb ends the clause; a conditional's main clause does not.
        let doc = annotate("Ann Lee said the vote would fail and urged the council to wait.");
        assert_eq!(summary(&doc)[0].1, "the vote would fail");
        let s = one("Ann Lee said if the vote fails, she would resign at once.");
        assert_eq!(s.1, "if the vote fails, she would resign at once");
    }

    #[test]
    fn a_parenthetical_frame_splits_the_clause_in_two_parts() {
        let doc = annotate("The plan, Ann Lee said, will cost far too much money.");
        let s = summary(&doc);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!((s[0].1.as_str(), s[1].1.as_str()), ("The plan", "will cost far too much money"));
        assert_eq!(doc.quotes[0].speaker.as_ref().map(|s| s.start), doc.quotes[1].speaker.as_ref().map(|s| s.start));
    }

    #[test]
    fn according_to_after_the_clause_and_its_whole_source() {
        use QuoteKind::Indirect;
        let s = one("Taxes will rise next year, according to budget documents reviewed by the council.");
        assert_eq!(s, (Indirect, "Taxes will rise next year".into(), Some("according to".into()), Some("budget documents reviewed by the council".into()), None));
        let s = one("Bo Chan leads by nine points according to a count by the city.");
        assert_eq!((s.1.as_str(), s.3.as_deref()), ("Bo Chan leads by nine points", Some("a count")));
    }

    #[test]
    fn quantities_relative_pronouns_and_coordinated_cues_are_subjects() {
        let s = one("Almost half said they wanted a nominee from outside the party.");
        assert_eq!(s.3.as_deref(), Some("Almost half"));
        let s = one("Voters who said they were undecided stayed home.");
        assert_eq!((s.1.as_str(), s.3.as_deref()), ("they were undecided stayed home", Some("who")));
        let s = one("Ann Lee was angered by the deal and predicted it would fail within a year.");
        assert_eq!((s.1.as_str(), s.3.as_deref()), ("it would fail within a year", Some("Ann Lee")));
    }

    #[test]
    fn findings_impressions_stances_and_colon_sources() {
        use QuoteKind::Indirect;
        let s = one("A new poll showed a slimmer lead for the mayor.");
        assert_eq!(s, (Indirect, "a slimmer lead for the mayor".into(), Some("showed".into()), Some("A new poll".into()), None));
        // Impersonal: the subject and the infinitive, no source.
        assert_eq!(one("The plan seems to have little support."), (Indirect, "The plan seems to have little support".into(), Some("seems".into()), None, None));
        assert_eq!(one("The bank is expected to raise rates in June.").1, "The bank is expected to raise rates in June");
        assert_eq!(one("Ann Lee praised the new budget.").1, "the new budget");
        assert_eq!(one("Ann Lee pointed out that the budget was late.").2.as_deref(), Some("pointed out"));
        let s = one("Bo Chan: We will not give up on this fight.");
        assert_eq!(s, q(Indirect, "We will not give up on this fight", ":", "Bo Chan", Some("Bo Chan")));
        // A label is not a source; a swing `state` is not a cue.
        assert_eq!(summary(&annotate("Update: The road will reopen on Monday. Ohio is a swing state for them.")), vec![]);
    }

    #[test]
    fn a_quote_ending_the_sentence_before_is_not_taken_by_a_new_reported_frame() {
        let doc = annotate("He read “The Long Road.” Ann Lee noted that the council had voted against it.");
        assert_eq!(summary(&doc), vec![q(QuoteKind::Indirect, "that the council had voted against it", "noted", "Ann Lee", Some("Ann Lee"))]);
    }

    #[test]
    fn a_stance_verb_leaves_the_quote_to_the_participle_after_it() {
        let doc = annotate("Ann Lee attacked the plan, saying, “It will cost us dearly.”");
        assert_eq!(
            summary(&doc),
            vec![
                q(QuoteKind::Indirect, "the plan", "attacked", "Ann Lee", Some("Ann Lee")),
                q(QuoteKind::Direct, "It will cost us dearly.", "saying", "Ann Lee", Some("Ann Lee")),
            ]
        );
    }

    #[test]
    fn a_long_subject_phrase_opening_the_clause_is_the_speaker() {
        let s = one("Her advisers and allies say she will spend the summer raising money.");
        assert_eq!((s.1.as_str(), s.3.as_deref()), ("she will spend the summer raising money", Some("Her advisers and allies")));
        let s = one("The dam is old, but local party leaders say it will hold for years.");
        assert_eq!(s.3.as_deref(), Some("local party leaders"));
        let s = one("Polls there show the mayor is trailing her rival.");
        assert_eq!((s.1.as_str(), s.3.as_deref()), ("the mayor is trailing her rival", Some("Polls there")));
        // An adverbial opening with a preposition is no source.
        assert_eq!(summary(&annotate("In one report last week the road was closed.")), vec![]);
    }

    #[test]
    fn stance_verbs_report_their_object_up_to_a_time_or_a_subordinate_clause() {
        use QuoteKind::Indirect;
        assert_eq!(one("Most farmers opposed the new water tax on Monday.").1, "the new water tax");
        assert_eq!(one("Ann Lee endorsed Bo Chan last week, saying little.").1, "Bo Chan");
        assert_eq!(one("Ann Lee backed the mayor as the vote neared.").1, "the mayor");
        // `see`, `view`, `regard` need `as`, which their object keeps.
        let s = one("Bo Chan sees the new bridge as a waste of money.");
        assert_eq!(s, q(Indirect, "the new bridge as a waste of money", "sees", "Bo Chan", Some("Bo Chan")));
        // Nouns, modifiers, passives and phrasal verbs are no stances.
        let none = "We saw the bridge. Local support is strong. A group supporting Lee met. The plan was backed by Lee. Lee backed away.";
        assert_eq!(summary(&annotate(none)), vec![]);
    }

    #[test]
    fn call_reports_when_a_quote_follows_its_object() {
        let s = one("Ann Lee called the old bridge “a danger to everyone.”");
        assert_eq!((s.0, s.1.as_str(), s.2.as_deref()), (QuoteKind::Mixed, "the old bridge “a danger to everyone.”", Some("called")));
        assert_eq!(summary(&annotate("A group called the Friends of the Bridge met.")), vec![]);
    }

    #[test]
    fn reported_speech_inside_another_quote_is_not_a_quote_of_its_own() {
        // `polls show` is part of what Ann Lee said.
        let s = one("Ann Lee said that polls show the mayor is trailing her rival.");
        assert_eq!((s.1.as_str(), s.2.as_deref()), ("that polls show the mayor is trailing her rival", Some("said")));
    }

    #[test]
    fn nouns_and_adjectives_of_saying_or_belief_report_their_that_clause() {
        use QuoteKind::Indirect;
        let s = one("The mayor stood by his claim that the budget was balanced last year.");
        assert_eq!(s, (Indirect, "that the budget was balanced last year".into(), Some("claim".into()), Some("his".into()), None));
        let s = one("Ann Lee is confident that the council will approve the plan.");
        assert_eq!((s.1.as_str(), s.2.as_deref(), s.3.as_deref()), ("that the council will approve the plan", Some("confident"), Some("Ann Lee")));
        // Not a report: a noun outside the class, or too short a clause.
        assert_eq!(summary(&annotate("The message that the mayor sent was short.")), vec![]);
    }

    #[test]
    fn findings_after_their_source_also_in_noun_like_forms() {
        let s = one("The poll shows both Lee and Kim beating the mayor by five points.");
        assert_eq!((s.1.as_str(), s.3.as_deref()), ("both Lee and Kim beating the mayor by five points", Some("The poll")));
        let s = one("A poll from the state university released Wednesday found the mayor leading by 15 points.");
        assert_eq!(s.1, "the mayor leading by 15 points");
        // `shows` without a source of findings stays a noun.
        assert_eq!(summary(&annotate("The TV shows the mayor likes are mostly old.")), vec![]);
    }

    #[test]
    fn ask_reports_its_question_from_the_question_word() {
        let s = one("She asked the council why it had not published the minutes.");
        assert_eq!((s.1.as_str(), s.3.as_deref()), ("why it had not published the minutes", Some("She")));
        // A sentence opening with a passive `Asked`: the question, with no asker.
        let doc = annotate("Asked by a student whether the plan still stands, Lee smiled.");
        assert_eq!(summary(&doc), vec![(QuoteKind::Indirect, "whether the plan still stands".into(), Some("Asked".into()), None, None)]);
    }

    #[test]
    fn reported_clause_extent_relative_after_a_short_subject_and_final_appositive() {
        // A relative clause after a short subject stays in the reported clause.
        let s = one("Ann Lee said the ruling, which the court issued in May, proves the need for new judges.");
        assert_eq!(s.1, "the ruling, which the court issued in May, proves the need for new judges");
        // A final appositive with `a` comments on the clause.
        let s = one("Ann Lee said the library would stay open all summer, a jab at her rival.");
        assert_eq!(s.1, "the library would stay open all summer");
    }

    #[test]
    fn speakers_of_closing_frames_and_of_frames_after_an_appositive() {
        // The phrase between a comma and a closing cue is its speaker.
        let s = one("The deal has won over many skeptics in the party, aides said.");
        assert_eq!((s.1.as_str(), s.3.as_deref()), ("The deal has won over many skeptics in the party", Some("aides")));
        // After a long appositive, the name before it is the speaker, not the clause's subject.
        let s = one("Ann Park, a veteran of the agency who retired in 2010, said the new approach put forward by the mayor is too timid.");
        assert_eq!((s.1.as_str(), s.3.as_deref()), ("the new approach put forward by the mayor is too timid", Some("Ann Park")));
    }

    #[test]
    fn seem_and_appear_with_a_complement_are_impersonal() {
        let s = one("The northern district seems unlikely to change hands.");
        assert_eq!((s.1.as_str(), s.2.as_deref(), s.3.as_deref()), ("The northern district seems unlikely to change hands", Some("seems"), None));
        // `appeared in court` is no impression.
        assert_eq!(summary(&annotate("The mayor appeared in court on Monday.")), vec![]);
    }

    /// (content, speaker mention) of the quote with cue `cue`.
    fn by_cue(text: &str, cue: &str) -> (String, Option<String>) {
        let s = summary(&annotate(text));
        let found = s.iter().find(|q| q.2.as_deref() == Some(cue)).unwrap_or_else(|| panic!("no `{cue}` in {s:?}"));
        (found.1.clone(), found.3.clone())
    }

    #[test]
    fn closing_frame_with_modifiers_before_its_speaker() {
        // The comma stands a few words before the speaker mention.
        let (content, _) = by_cue("The bridge will reopen in the spring, city transport officials said.", "said");
        assert_eq!(content, "The bridge will reopen in the spring");
        let (content, speaker) = by_cue("The tunnel was never at risk of flooding, harbour authority engineer Mara Quist said Friday.", "said");
        assert_eq!((content.as_str(), speaker.as_deref()), ("The tunnel was never at risk of flooding", Some("Mara Quist")));
        // A name before the comma opens an appositive; the clause before it is not reported.
        let s = summary(&annotate("The mayor met Ann Vale, a former aide, said the plan was fine."));
        assert!(s.iter().all(|q| q.1 != "The mayor met Ann Vale"), "{s:?}");
    }

    #[test]
    fn closing_frame_followed_by_a_time_or_place() {
        let (content, speaker) = by_cue("The budget is balanced for the first time in a decade, she said in an interview on Monday.", "said");
        assert_eq!((content.as_str(), speaker.as_deref()), ("The budget is balanced for the first time in a decade", Some("she")));
        let (content, _) = by_cue("The dam will hold through the winter, Lee said Tuesday in Oslo, noting that repairs were done.", "said");
        assert_eq!(content, "The dam will hold through the winter");
    }

    #[test]
    fn cue_coordinated_with_but() {
        let (content, speaker) = by_cue("Ann Lee admitted the error in the report, but said the figures would be corrected by Friday.", "said");
        assert_eq!((content.as_str(), speaker.as_deref()), ("the figures would be corrected by Friday", Some("Ann Lee")));
    }

    #[test]
    fn poll_named_in_an_opening_or_closing_phrase() {
        let (content, speaker) = by_cue("In a Harbor Daily poll released Monday, 52 percent of voters chose Lee over Park.", "In");
        assert_eq!((content.as_str(), speaker.as_deref()), ("52 percent of voters chose Lee over Park", Some("a Harbor Daily poll released Monday")));
        let (content, speaker) = by_cue("Lee holds a narrow lead over Park in the latest statewide poll.", "in");
        assert_eq!((content.as_str(), speaker.as_deref()), ("Lee holds a narrow lead over Park", Some("the latest statewide poll")));
        // A phrase that names no poll is no source.
        assert_eq!(summary(&annotate("In the spring of that year, the river flooded the lower town.")), vec![]);
    }

    #[test]
    fn a_new_frame_after_and_ends_the_reported_clause() {
        let (content, _) = by_cue("Most residents said the park should stay open, and nearly half said it needed more lighting.", "said");
        assert_eq!(content, "the park should stay open");
    }

    #[test]
    fn a_name_before_its_relative_clause_is_the_speaker() {
        let (content, speaker) = by_cue("Ann Lee, who chairs the housing council, said Mr. Park had misread the report.", "said");
        assert_eq!((content.as_str(), speaker.as_deref()), ("Mr. Park had misread the report", Some("Ann Lee")));
    }

    #[test]
    fn that_clause_after_a_longer_time_or_place_phrase() {
        let (content, _) = by_cue("Lee said Thursday during a visit to the harbor in Portsmouth, that the port would expand next year.", "said");
        assert_eq!(content, "that the port would expand next year");
    }

    #[test]
    fn a_mixed_quote_ends_where_its_clause_ends() {
        let (content, _) = by_cue("Lee said the harbor plan was “a gift to developers,” adding that the council had ignored the fishermen.", "said");
        assert_eq!(content, "the harbor plan was “a gift to developers,”");
        let (content, _) = by_cue("Park said the new bridge was “long overdue” and praised the engineers who designed it.", "said");
        assert_eq!(content, "the new bridge was “long overdue”");
        // A comma inside the closing mark ends a reported clause like one outside it.
        let (content, _) = by_cue("The mayor said that the budget was “nearly balanced,” noting that taxes would not rise.", "said");
        assert_eq!(content, "that the budget was “nearly balanced,”");
    }

    #[test]
    fn what_follows_a_closing_frame_describes_the_speaker_or_the_speaking() {
        let (content, speaker) = by_cue("The ferry will run again by spring, said Ann Lee, a planner who has studied the route for years.", "said");
        assert_eq!((content.as_str(), speaker.as_deref()), ("The ferry will run again by spring", Some("Ann Lee")));
        let (content, _) = by_cue("Nobody in the office had read the memo, he said, shaking his head.", "said");
        assert_eq!(content, "Nobody in the office had read the memo");
        let (content, _) = by_cue("The board had already chosen a buyer, she said, on condition of anonymity.", "said");
        assert_eq!(content, "The board had already chosen a buyer");
    }

    #[test]
    fn intention_forms_like_nouns_after_a_name_or_an_institution() {
        let (content, speaker) = by_cue("Lee plans to open a second clinic in the valley next spring.", "plans");
        assert_eq!((content.as_str(), speaker.as_deref()), ("to open a second clinic in the valley next spring", Some("Lee")));
        let (content, _) = by_cue("The council hopes to finish the new library before the winter.", "hopes");
        assert_eq!(content, "to finish the new library before the winter");
        // Still nouns after a determiner or a possessive.
        assert_eq!(summary(&annotate("Her plans to rebuild the pier were shelved.")), vec![]);
    }

    #[test]
    fn an_aside_between_dashes_and_a_second_that_clause_stay_in_the_reported_clause() {
        let (content, _) = by_cue("Lee said the old mill — a landmark since the flood of 1910 — would be sold in May.", "said");
        assert_eq!(content, "the old mill — a landmark since the flood of 1910 — would be sold in May");
        let (content, _) = by_cue("Park said that the fund was solvent, but that its managers had taken too many risks.", "said");
        assert_eq!(content, "that the fund was solvent, but that its managers had taken too many risks");
        // A single dash still ends the clause.
        let (content, _) = by_cue("Lee said the mill would be sold — a sad day for the town.", "said");
        assert_eq!(content, "the mill would be sold");
    }

    #[test]
    fn quantities_with_more_than_and_pledged_delegates() {
        let (content, speaker) = by_cue("More than seven in 10 said the ferry should keep running.", "said");
        assert_eq!((content.as_str(), speaker.as_deref()), ("the ferry should keep running", Some("More than seven in 10")));
        // `pledged delegates` is a count, not a pledge.
        assert_eq!(summary(&annotate("The count gave Lee 120 pledged delegates by the end of May.")), vec![]);
    }

    #[test]
    fn interview_answers_and_headline_labels_before_a_colon_are_no_sources() {
        assert_eq!(summary(&annotate("A: I went back to the farm after the war and stayed there.")), vec![]);
        assert_eq!(summary(&annotate("Breaking: The river has flooded the lower town again.")), vec![]);
        let (content, speaker) = by_cue("Ann Lee: We will rebuild the pier before the summer.", ":");
        assert_eq!((content.as_str(), speaker.as_deref()), ("We will rebuild the pier before the summer", Some("Ann Lee")));
    }

    #[test]
    fn speech_carrying_on_past_another_quote_takes_its_frame_cue() {
        let s = summary(&annotate("“The pier is rotten,” Lee said, noting that the repairs had stalled. “We need a new one before the spring storms.”"));
        let last = s.last().unwrap();
        assert_eq!((last.1.as_str(), last.2.as_deref(), last.3.as_deref()), ("We need a new one before the spring storms.", Some("said"), Some("Lee")));
        // With nothing in between it keeps no cue of its own.
        let s = summary(&annotate("“The pier is rotten,” Lee said. “We need a new one before the spring storms.”"));
        assert_eq!((s[1].2.as_deref(), s[1].3.as_deref()), (None, Some("Lee")));
    }

    #[test]
    fn a_double_hyphen_aside_stays_in_the_reported_clause() {
        let (content, _) = by_cue("Lee said the old mill -- a landmark since 1910 -- would be sold in May.", "said");
        assert_eq!(content, "the old mill -- a landmark since 1910 -- would be sold in May");
    }

    #[test]
    fn a_pronoun_frame_and_a_comparison_end_the_reported_clause() {
        let (content, _) = by_cue("Lee said the harbor was too shallow for the new ferries and she urged the council to dredge it.", "said");
        assert_eq!(content, "the harbor was too shallow for the new ferries");
        let (content, _) = by_cue("Most residents said the park was safe, compared with a third who said so last year.", "said");
        assert_eq!(content, "the park was safe");
    }

    #[test]
    fn subjects_of_participles_after_with_or_an_earlier_cue() {
        let (content, speaker) = by_cue("Most residents liked the new park, with four in 10 saying it needed more benches.", "saying");
        assert_eq!((content.as_str(), speaker.as_deref()), ("it needed more benches", Some("four in 10")));
        let (content, speaker) = by_cue("A spokeswoman for the harbor board declined to comment, saying that the matter was before a court.", "saying");
        assert_eq!((content.as_str(), speaker.as_deref()), ("that the matter was before a court", Some("A spokeswoman for the harbor board")));
    }

    #[test]
    fn a_refusal_reports_its_two_words() {
        let (content, speaker) = by_cue("A spokesman for the harbor board declined to comment.", "declined");
        assert_eq!((content.as_str(), speaker.as_deref()), ("to comment", Some("A spokesman for the harbor board")));
    }

    #[test]
    fn short_answers_after_say() {
        let (content, speaker) = by_cue("Asked if the pier should be rebuilt, 52 percent of residents said yes, but most wanted a cheaper plan.", "said");
        assert_eq!((content.as_str(), speaker.as_deref()), ("yes", Some("residents")));
        let (content, _) = by_cue("Last spring, a third of the members said the same.", "said");
        assert_eq!(content, "the same");
    }

    #[test]
    fn an_opening_question_runs_past_a_title() {
        let (content, speaker) = by_cue("Asked on Monday whether Mr. Lee would chair the board, Ms. Park shook her head.", "Asked");
        assert_eq!((content.as_str(), speaker), ("whether Mr. Lee would chair the board", None));
    }

    #[test]
    fn a_passive_asked_reports_its_question_without_a_speaker() {
        let (content, speaker) = by_cue("“Not this year,” Lee said when asked whether she would run again in the fall.", "asked");
        assert_eq!((content.as_str(), speaker), ("whether she would run again in the fall", None));
    }

    #[test]
    fn an_opening_question_may_end_inside_a_closing_mark() {
        let s = summary(&annotate("Asked whether the mayor “still has the energy for the job,” 61 percent of residents said no."));
        let asked = s.iter().find(|q| q.2.as_deref() == Some("Asked")).unwrap();
        assert_eq!((asked.0, asked.1.as_str()), (QuoteKind::Mixed, "whether the mayor “still has the energy for the job,”"));
    }

    #[test]
    fn a_stance_object_ends_before_its_medium() {
        let (content, _) = by_cue("Lee praised the new harbor plan in a tweet on Sunday.", "praised");
        assert_eq!(content, "the new harbor plan");
        let (content, _) = by_cue("Park mocked the council on Twitter after the vote.", "mocked");
        assert_eq!(content, "the council");
    }

    /// (speaker mention, resolved name, via, cue) of the direct quote whose content starts with
    /// `start`.
    fn speaker_of(doc: &Document, start: &str) -> (Option<String>, Option<String>, Option<String>, Option<String>) {
        let q = doc.quotes.iter().find(|q| q.kind == QuoteKind::Direct && q.text.starts_with(start)).unwrap_or_else(|| panic!("no direct quote `{start}…` in {:?}", summary(doc)));
        let s = q.speaker.as_ref();
        (s.map(|s| s.text.clone()), s.and_then(|s| s.name.clone()), s.and_then(|s| s.via.clone()), q.cue.as_ref().map(|c| c.text.clone()))
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn a_long_descriptor_before_the_name_after_the_quote() {
        let doc = annotate("“The ferry is the only link we have,” Harbor Watch volunteer outreach coordinator Lena Dorsey said.");
        assert_eq!(speaker_of(&doc, "The ferry"), (some("Lena Dorsey"), some("Lena Dorsey"), some("frame"), some("said")));
        let doc = annotate("“Nobody listens to us anymore,” said retired steel worker Anton Belsky.");
        assert_eq!(speaker_of(&doc, "Nobody"), (some("Anton Belsky"), some("Anton Belsky"), some("frame"), some("said")));
    }

    #[test]
    fn a_quote_only_paragraph_continues_the_quote_before() {
        let doc = annotate("“The pier will be rebuilt,” Mayor Ann Lee said on Monday.\n\n“We owe that to the fishermen who kept this town alive for a century.”");
        assert_eq!(speaker_of(&doc, "We owe"), (some("Ann Lee"), some("Ann Lee"), some("continuation"), None));
        // Another speaker introduced in between: the convention does not hold.
        let doc = annotate("“The pier will be rebuilt,” Mayor Ann Lee said on Monday.\n\nCouncillor Boris Chan rose to speak against the plan.\n\n“We cannot afford it this year.”");
        assert_ne!(speaker_of(&doc, "We cannot").1, some("Ann Lee"));
    }

    #[test]
    fn a_quote_before_an_attributed_one_in_its_paragraph_takes_its_speaker() {
        let doc = annotate("Ann Lee runs the harbor board.\n\n“The pier is rotten through.” The board met twice in May. “We need a new one before the storms,” she said.");
        assert_eq!(speaker_of(&doc, "The pier is").0, some("she"));
        assert_eq!(speaker_of(&doc, "The pier is").2, some("continuation"));
        assert_eq!(speaker_of(&doc, "We need").0, some("she"));
    }

    #[test]
    fn present_tense_and_written_sources() {
        let doc = annotate("Harbor master Pavel Ostrom says: “The channel has not been dredged in ten years.”");
        assert_eq!(speaker_of(&doc, "The channel").0, some("Pavel Ostrom"));
        let doc = annotate("The library closed its doors on Monday. “The doors will stay closed until further notice,” the post read.");
        assert_eq!(speaker_of(&doc, "The doors"), (some("the post"), None, some("frame"), some("read")));
        let doc = annotate("Councillor Ann Lee did not attend the hearing. “I will not take part in a hearing held behind closed doors,” her statement read.");
        assert_eq!(speaker_of(&doc, "I will not"), (some("her statement"), some("Ann Lee"), some("frame"), some("read")));
        let doc = annotate("Chief executive Rolf Amsel confirmed the news on Friday. “The merger is off,” he wrote in an e-mailed statement.");
        assert_eq!(speaker_of(&doc, "The merger"), (some("he"), some("Rolf Amsel"), some("frame"), some("wrote")));
        let doc = annotate("“We regret the delay and apologise to every passenger,” according to a statement from the Harbor Authority.");
        assert_eq!(speaker_of(&doc, "We regret"), (some("a statement from the Harbor Authority"), some("Harbor Authority"), some("frame"), some("according to")));
    }

    /// Prints what the speaker model weighed for each direct quote of BYLINE_EXPLAIN's text:
    /// `BYLINE_EXPLAIN='…' cargo test --release --lib explain_speakers -- --nocapture --ignored`.
    #[test]
    #[ignore]
    fn explain_speakers() {
        let text = std::env::var("BYLINE_EXPLAIN").unwrap_or_default();
        let mut doc = Document::new("t", text);
        segment::segment(&mut doc);
        let model = SpeakerModel::builtin();
        for c in speaker_choices(&doc, Some(model)) {
            println!("{:?}\n{}", doc.slice(c.content), select::explain(model, &c, &doc));
        }
    }

    #[test]
    fn a_quote_after_a_colon_with_its_speaker_two_sentences_before() {
        let doc = annotate("Harbor master Pavel Ostrom has worked the docks for 40 years. The flood of 1993 is still on his mind. In his words: “We were not ready then, and we are not ready now.”");
        assert_eq!(speaker_of(&doc, "We were not").1, some("Pavel Ostrom"));
    }

    #[test]
    fn a_pronoun_speaker_with_its_antecedent_in_the_previous_paragraph() {
        let doc = annotate("Ann Lee has run the harbor board since 2019.\n\n“We are ready for the storm season,” she said.");
        assert_eq!(speaker_of(&doc, "We are ready"), (some("she"), some("Ann Lee"), some("frame"), some("said")));
    }

    #[test]
    fn she_with_two_people_named() {
        // First names tell: `she` is Ann Lee, `he` John Park.
        let doc = annotate("Ann Lee met John Park at the harbor on Monday.\n\n“The pier cannot wait,” she said. “It can,” he said.");
        assert_eq!(speaker_of(&doc, "The pier").1, some("Ann Lee"));
        assert_eq!(speaker_of(&doc, "It can").1, some("John Park"));
        // They do not (NER tells the people): the most recent subject.
        let mut doc = Document::new("t", "Taylor Quinn met Sasha Reyes at the harbor on Monday.\n\n“The pier cannot wait,” she said.");
        segment::segment(&mut doc);
        doc.entities = [(0, 12, "Taylor Quinn"), (17, 28, "Sasha Reyes")]
            .iter()
            .map(|&(start, end, text)| Entity { start, end, text: text.into(), label: "PER".into(), score: 1.0, link: None, id: None })
            .collect();
        extract(&mut doc);
        assert_eq!(speaker_of(&doc, "The pier").1, some("Taylor Quinn"));
        // No one fits: no name.
        let doc = annotate("John Park met Peter Holm at the harbor on Monday.\n\n“The pier cannot wait,” she said.");
        assert_eq!(speaker_of(&doc, "The pier"), (some("she"), None, some("frame"), some("said")));
    }

    #[test]
    fn paragraphs_of_scraped_text_separated_by_dot_lines() {
        let doc = annotate("“The pier will be rebuilt,” Mayor Ann Lee said on Monday.\n .\n“We owe that to the fishermen who kept this town alive for a century.”\n \n .\nThe council votes in June.");
        assert_eq!(doc.paragraphs.len(), 3);
        assert_eq!(speaker_of(&doc, "We owe"), (some("Ann Lee"), some("Ann Lee"), some("continuation"), None));
    }
}
