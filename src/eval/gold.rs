//! Gold annotations in the formats `byline eval` reads, all brought to one [`GoldDoc`] type.
//!
//! Formats are told apart by content, not by name: a CoNLL column file (`token ... tag` lines,
//! a document-start line between documents), or JSONL in the project's own output schema. Other corpora
//! get a reader here that converts to `GoldDoc`.

use std::io::{BufReader, Read};
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::document::{CharSpan, Document, Entity};
use crate::ner::tags;
use crate::output::Record;

#[derive(Debug, Clone, PartialEq)]
pub struct GoldEntity {
    pub span: CharSpan,
    pub label: String,
    /// Knowledge-base id where the gold links the mention; `None` for unlinked or NIL.
    pub kb_id: Option<String>,
}

/// An attribution: content, source (speaker) and cue spans, each possibly discontinuous.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GoldQuote {
    pub content: Vec<CharSpan>,
    pub source: Vec<CharSpan>,
    pub cue: Vec<CharSpan>,
    /// The source's full name where the gold gives it (byline JSONL: `speaker.name`), so that a
    /// prediction naming the same person through another mention counts as right.
    pub source_name: Option<String>,
    /// Whether the content is a direct quote (inside quotation marks).
    pub direct: bool,
}

#[derive(Debug, Clone, Default)]
pub struct GoldDoc {
    pub id: String,
    pub text: String,
    /// `None` where the format carries no entity annotation (so entity metrics skip it).
    pub entities: Option<Vec<GoldEntity>>,
    pub quotes: Option<Vec<GoldQuote>>,
    /// Whether `entities[].kb_id` is annotated (so linking metrics use it).
    pub has_links: bool,
}

/// Reads a gold file in any supported format.
pub fn read(path: &Path) -> Result<Vec<GoldDoc>> {
    let mut text = String::new();
    open(path)?.read_to_string(&mut text).with_context(|| format!("cannot read {} as UTF-8 text", path.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("gold");
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.trim_start().starts_with('{') {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(n, l)| {
                let v: Value = serde_json::from_str(l).with_context(|| format!("{}:{}: malformed JSON", path.display(), n + 1))?;
                json_doc(v).with_context(|| format!("{}:{}", path.display(), n + 1))
            })
            .collect()
    } else {
        Ok(conll(&text, name))
    }
}

fn open(path: &Path) -> Result<Box<dyn Read>> {
    let f = std::fs::File::open(path).with_context(|| format!("cannot open gold file {}", path.display()))?;
    Ok(if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(f))
    } else {
        Box::new(BufReader::new(f))
    })
}

/// One JSON gold record, in whichever JSON layout it comes.
fn json_doc(v: Value) -> Result<GoldDoc> {
    if v.get("schema_version").is_some() || v.get("entities").is_some() {
        // A gold file of quotes alone (no `entities` key) scores no entities.
        let annotates_entities = v.get("entities").is_some();
        let rec: Record = serde_json::from_value(v).context("not a byline record")?;
        let has_links = rec.entities.iter().any(|e| e.link.is_some());
        let entities = rec
            .entities
            .iter()
            .map(|e| GoldEntity { span: e.span(), label: e.label.clone(), kb_id: e.link.as_ref().map(|l| l.kb_id.clone()) })
            .collect();
        let quotes = attributions(&rec.text, &rec.quotes);
        return Ok(GoldDoc { id: rec.id, text: rec.text, entities: annotates_entities.then_some(entities), quotes: Some(quotes), has_links });
    }
    if v.get("ner").is_some() && v.get("labels").is_some() {
        return aida_doc(&v);
    }
    if v.get("annotations").is_some() {
        return polnear_doc(v);
    }
    bail!("unrecognised gold record: expected the byline output schema (with \"entities\"), AIDA-CoNLL JSONL (with \"ner\" and \"labels\") or PolNeAR (with \"annotations\")")
}

/// The attributions of byline-format quotes. A quote is direct when its kind is `direct` (a mixed
/// quote is a reported clause). Consecutive quotes of one paragraph with the same speaker mention,
/// the later ones with the same cue or none (`“A,” she said, “B.”`, `“A,” she said. “B.”`), are
/// one attribution in pieces, as PolNeAR annotates them and as predictions are grouped
/// (eval/quotes.rs).
fn attributions(text: &str, quotes: &[crate::document::Quote]) -> Vec<GoldQuote> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<GoldQuote> = Vec::new();
    let mut last_speaker: Option<CharSpan> = None;
    for q in quotes {
        let content = CharSpan::new(q.start, q.end);
        let source: Vec<CharSpan> = q.speaker.iter().map(|s| CharSpan::new(s.start, s.end)).collect();
        let cue: Vec<CharSpan> = q.cue.iter().map(|c| CharSpan::new(c.start, c.end)).collect();
        let direct = q.kind == crate::document::QuoteKind::Direct;
        let joins = out.last().is_some_and(|prev: &GoldQuote| {
            let gap_start = prev.content.last().map_or(content.start, |p| p.end).min(content.start);
            let same_paragraph = !chars[gap_start.min(chars.len())..content.start.min(chars.len())].contains(&'\n');
            last_speaker.is_some() && source.first() == last_speaker.as_ref() && same_paragraph && (cue.is_empty() || cue == prev.cue) && prev.direct == direct
        });
        match out.last_mut() {
            Some(prev) if joins => prev.content.push(content),
            _ => {
                let source_name = q.speaker.as_ref().and_then(|s| s.name.clone());
                out.push(GoldQuote { content: vec![content], source, cue, source_name, direct });
            }
        }
        last_speaker = q.speaker.as_ref().map(|s| CharSpan::new(s.start, s.end));
    }
    out
}

/// An AIDA-CoNLL record: `text`, `ner` mentions (`span` in chars, `type`) and `labels` that give
/// some of them a Wikidata id (`entity_id`; `<NIL>` where the mention has none, `<NO_MAPPING>`
/// where its Wikipedia page had no Wikidata item: markers, not ids, so both are unlinked).
fn aida_doc(v: &Value) -> Result<GoldDoc> {
    let span = |x: &Value| -> Option<CharSpan> {
        let s = x.get("span")?.as_array()?;
        Some(CharSpan::new(s.first()?.as_u64()? as usize, s.get(1)?.as_u64()? as usize))
    };
    let ids: std::collections::HashMap<CharSpan, &str> = v["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| Some((span(l)?, l.get("entity_id")?.as_str()?)))
        .filter(|(_, id)| !id.starts_with('<'))
        .collect();
    let entities = v["ner"]
        .as_array()
        .context("\"ner\" is not a list")?
        .iter()
        .map(|m| {
            let span = span(m).context("a mention without a [start, end] span")?;
            let label = m.get("type").and_then(Value::as_str).context("a mention without a type")?.to_string();
            Ok(GoldEntity { span, label, kb_id: ids.get(&span).map(|id| id.to_string()) })
        })
        .collect::<Result<Vec<_>>>()?;
    let id = match &v["id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let text = v.get("text").and_then(Value::as_str).context("no \"text\"")?.to_string();
    Ok(GoldDoc { id, text, entities: Some(entities), quotes: None, has_links: true })
}

/// Puts the gold entity mentions (spans and labels, no links) into a document, so that later
/// stages run on oracle mentions.
pub fn copy_entities(gold: &GoldDoc, doc: &mut Document) {
    doc.entities = gold
        .entities
        .iter()
        .flatten()
        .map(|g| Entity {
            start: g.span.start,
            end: g.span.end,
            text: doc.slice(g.span).to_string(),
            label: g.label.clone(),
            score: 1.0,
            link: None,
            id: None,
        })
        .collect();
    doc.entities.sort_by_key(|e| (e.start, e.end));
}

/// A PolNeAR record: `{id, text, annotations: [{annotator, attributions: [{source, cue,
/// content}]}]}` with `[start, end]` char offsets, possibly several per field. The first
/// annotator's attributions are the gold; a document nobody annotated carries no quote gold.
fn polnear_doc(v: Value) -> Result<GoldDoc> {
    let id = v.get("id").and_then(Value::as_str).context("PolNeAR record without an \"id\"")?.to_string();
    let text = v.get("text").and_then(Value::as_str).context("PolNeAR record without a \"text\"")?.to_string();
    let chars: Vec<char> = text.chars().collect();
    let spans = |a: &Value, field: &str| -> Result<Vec<CharSpan>> {
        let Some(list) = a.get(field).and_then(Value::as_array) else { return Ok(Vec::new()) };
        list.iter()
            .map(|pair| {
                let s = pair.get(0).and_then(Value::as_u64);
                let e = pair.get(1).and_then(Value::as_u64);
                match (s, e) {
                    (Some(s), Some(e)) if s <= e && e as usize <= chars.len() => Ok(CharSpan::new(s as usize, e as usize)),
                    _ => bail!("{field}: {pair} is not a [start, end] range of the text"),
                }
            })
            .collect()
    };
    let first = v.get("annotations").and_then(Value::as_array).and_then(|a| a.first());
    let quotes = match first {
        None => None,
        Some(annotation) => {
            let attributions = annotation.get("attributions").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
            let mut quotes = Vec::new();
            for a in attributions {
                let content = spans(a, "content")?;
                let direct = in_quotation_marks(&chars, &content);
                quotes.push(GoldQuote { content, source: spans(a, "source")?, cue: spans(a, "cue")?, source_name: None, direct });
            }
            Some(quotes)
        }
    };
    Ok(GoldDoc { id, text, entities: None, quotes, has_links: false })
}

/// Whether a content is a direct quote: from its first piece's start to its last piece's end,
/// it opens with a quotation mark and closes with one (trailing punctuation aside).
fn in_quotation_marks(chars: &[char], content: &[CharSpan]) -> bool {
    let (Some(first), Some(last)) = (content.iter().map(|c| c.start).min(), content.iter().map(|c| c.end).max()) else {
        return false;
    };
    let inner: Vec<char> = chars[first..last].iter().copied().filter(|c| !c.is_whitespace()).collect();
    let trimmed: &[char] = {
        let mut end = inner.len();
        while end > 0 && matches!(inner[end - 1], '.' | ',' | ';' | ':' | '!' | '?') {
            end -= 1;
        }
        &inner[..end]
    };
    let mark = |c: &char| matches!(c, '"' | '“' | '”' | '«' | '»' | '‘' | '’' | '\'');
    trimmed.len() > 2 && trimmed.first().is_some_and(mark) && trimmed.last().is_some_and(mark)
}

/// The first column of the line that starts a document in CoNLL column files.
pub const CONLL_DOC_SEPARATOR: &str = "-DOCSTART-";

/// CoNLL-2003 columns: the token first, the IOB tag last; document-start lines separate documents
/// and blank lines sentences. A document's text is its tokens joined by single spaces, one
/// sentence a line (newlines are whitespace to the tokenizer, and keep [`split_lines`] possible).
pub fn conll(content: &str, name: &str) -> Vec<GoldDoc> {
    let mut docs = Vec::new();
    // (token, tag, starts a sentence)
    let mut tokens: Vec<(String, String, bool)> = Vec::new();
    let flush = |tokens: &mut Vec<(String, String, bool)>, docs: &mut Vec<GoldDoc>| {
        if tokens.is_empty() {
            return;
        }
        let mut text = String::new();
        let mut offsets = Vec::new();
        let mut pos = 0;
        for (i, (tok, _, sentence_start)) in tokens.iter().enumerate() {
            if i > 0 {
                text.push(if *sentence_start { '\n' } else { ' ' });
                pos += 1;
            }
            let n = tok.chars().count();
            offsets.push(CharSpan::new(pos, pos + n));
            text.push_str(tok);
            pos += n;
        }
        let tag_list: Vec<&str> = tokens.iter().map(|(_, t, _)| t.as_str()).collect();
        let entities = tags::decode(&tag_list)
            .into_iter()
            .map(|(s, e, label)| GoldEntity { span: CharSpan::new(offsets[s].start, offsets[e - 1].end), label, kb_id: None })
            .collect();
        docs.push(GoldDoc { id: format!("{name}:{}", docs.len() + 1), text, entities: Some(entities), quotes: None, has_links: false });
        tokens.clear();
    };
    let mut sentence_start = true;
    for line in content.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.first() == Some(&CONLL_DOC_SEPARATOR) {
            flush(&mut tokens, &mut docs);
            sentence_start = true;
            continue;
        }
        if cols.len() >= 2 {
            tokens.push((cols[0].to_string(), cols[cols.len() - 1].to_string(), sentence_start));
            sentence_start = false;
        } else if cols.is_empty() {
            sentence_start = true;
        }
    }
    flush(&mut tokens, &mut docs);
    docs
}

/// Each non-blank line of each document as a document of its own (a CoNLL sentence, a JSONL
/// paragraph), entities kept with their offsets moved: the no-document-context ablation.
/// Entities that cross a line break are dropped.
pub fn split_lines(docs: &[GoldDoc]) -> Vec<GoldDoc> {
    let mut out = Vec::new();
    for doc in docs {
        let mut start = 0;
        for (n, line) in doc.text.split('\n').enumerate() {
            let len = line.chars().count();
            let span = CharSpan::new(start, start + len);
            start += len + 1;
            if line.trim().is_empty() {
                continue;
            }
            let entities = doc.entities.as_ref().map(|ents| {
                ents.iter()
                    .filter(|e| e.span.start >= span.start && e.span.end <= span.end)
                    .map(|e| GoldEntity { span: CharSpan::new(e.span.start - span.start, e.span.end - span.start), ..e.clone() })
                    .collect()
            });
            out.push(GoldDoc { id: format!("{}#{}", doc.id, n + 1), text: line.to_string(), entities, quotes: None, has_links: doc.has_links });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aida_records_give_mentions_and_ids() {
        let line = r#"{"id": 7, "text": "Moscow and Kiev met", "ner": [{"span": [0, 6], "type": "LOC"}, {"span": [11, 15], "type": "LOC"}], "labels": [{"span": [0, 6], "entity_id": "Q649"}, {"span": [11, 15], "entity_id": "<NIL>"}]}"#;
        let unmapped = r#"{"id": 8, "text": "Kiev", "ner": [{"span": [0, 4], "type": "LOC"}], "labels": [{"span": [0, 4], "entity_id": "<NO_MAPPING>"}]}"#;
        let doc = aida_doc(&serde_json::from_str(unmapped).unwrap()).unwrap();
        assert_eq!(doc.entities.unwrap()[0].kb_id, None);
        let doc = json_doc(serde_json::from_str(line).unwrap()).unwrap();
        let ents = doc.entities.as_ref().unwrap();
        assert_eq!(ents[0].kb_id.as_deref(), Some("Q649"));
        assert_eq!(ents[1].kb_id, None);
        let mut d = Document::new("7", doc.text.clone());
        copy_entities(&doc, &mut d);
        assert_eq!(d.entities[1].text, "Kiev");
        assert!(d.check_offsets().is_ok());
    }

    #[test]
    fn polnear_records_take_the_first_annotator_and_tell_direct_quotes() {
        // An invented article in PolNeAR's layout.
        let text = "“We will win,” Jo said. Jo said they would win.";
        let v = serde_json::json!({
            "id": "p1",
            "text": text,
            "annotations": [
                {"annotator": "a", "attributions": [
                    {"id": "1", "source": [[15, 17]], "cue": [[18, 22]], "content": [[0, 14]]},
                    {"id": "2", "source": [[24, 26]], "cue": [[27, 31]], "content": [[32, 46]]},
                    {"id": "3"}
                ]},
                {"annotator": "b", "attributions": []}
            ]
        });
        let doc = json_doc(v).unwrap();
        let quotes = doc.quotes.unwrap();
        assert_eq!(quotes.len(), 3);
        assert!(quotes[0].direct);
        assert!(!quotes[1].direct);
        assert!(quotes[2].content.is_empty());
        assert_eq!(quotes[1].source, vec![CharSpan::new(24, 26)]);
        assert!(doc.entities.is_none());
    }

    #[test]
    fn byline_quote_gold_groups_continued_quotes_and_keeps_speaker_names() {
        // “A,” Lee said. “B.”  (new paragraph) “C.”
        let text = "\"Aa,\" Lee said. \"Bb.\"\n\"Cc.\"";
        let lee = serde_json::json!({"start": 6, "end": 9, "text": "Lee", "name": "Ann Lee", "entity": null, "kb_id": null});
        let quote = |s: usize, e: usize, kind: &str| serde_json::json!({"start": s, "end": e, "text": text.chars().skip(s).take(e - s).collect::<String>(), "kind": kind, "cue": null, "speaker": lee, "score": 1.0});
        let v = serde_json::json!({"schema_version": "1.0", "id": "q", "text": text, "quotes": [quote(1, 3, "direct"), quote(17, 20, "direct"), quote(23, 26, "direct")]});
        let doc = json_doc(v).unwrap();
        // No `entities` key: entities are not scored.
        assert!(doc.entities.is_none());
        let quotes = doc.quotes.unwrap();
        // The first two share a paragraph and their speaker mention; the third is a paragraph of its own.
        assert_eq!(quotes.len(), 2);
        assert_eq!(quotes[0].content, vec![CharSpan::new(1, 3), CharSpan::new(17, 20)]);
        assert_eq!(quotes[1].content, vec![CharSpan::new(23, 26)]);
        assert_eq!(quotes[0].source_name.as_deref(), Some("Ann Lee"));
        assert!(quotes.iter().all(|q| q.direct));
        // A mixed quote is no direct one.
        let v = serde_json::json!({"schema_version": "1.0", "id": "q", "text": text, "entities": [], "quotes": [quote(1, 3, "mixed")]});
        let doc = json_doc(v).unwrap();
        assert!(!doc.quotes.unwrap()[0].direct);
        assert_eq!(doc.entities, Some(Vec::new()));
    }

    #[test]
    fn conll_documents_join_tokens_with_spaces_and_sentences_with_newlines() {
        let start = format!("{CONLL_DOC_SEPARATOR} -X- -X- O\n\n");
        let text = format!("{start}Hakob NNP B-NP B-PER\nBadalyan NNP I-NP I-PER\nvisited VBD B-VP O\n\nBalykchy NNP B-NP B-LOC\nTown NNP I-NP I-LOC\n\n{start}It PRP B-NP O\n");
        let docs = conll(&text, "dev.txt");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].id, "dev.txt:1");
        assert_eq!(docs[0].text, "Hakob Badalyan visited\nBalykchy Town");
        let ents = docs[0].entities.as_ref().unwrap();
        assert_eq!(ents.len(), 2);
        assert_eq!(&docs[0].text[ents[1].span.start..ents[1].span.end], "Balykchy Town");
        assert_eq!(ents[0].label, "PER");
        assert_eq!(docs[1].entities.as_ref().unwrap().len(), 0);

        let lines = split_lines(&docs);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1].id, "dev.txt:1#2");
        assert_eq!(lines[1].text, "Balykchy Town");
        let ents = lines[1].entities.as_ref().unwrap();
        assert_eq!((ents[0].span.start, ents[0].span.end, ents[0].label.as_str()), (0, 13, "LOC"));
        assert_eq!(lines[0].entities.as_ref().unwrap().len(), 1);
    }
}
