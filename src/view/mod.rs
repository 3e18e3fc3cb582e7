//! `byline view`: one self-contained HTML page (inline CSS and JavaScript, nothing fetched) to look
//! at annotated articles: entities coloured by label, quotes joined to their cue and speaker,
//! Wikidata links, error records with their error, and an index to move between articles.
//!
//! Each article is drawn here, in Rust ([`spans::render`]), so offsets in Unicode scalar values
//! never meet the browser's UTF-16 strings. The page keeps every article as an HTML string in one
//! JSON block and its script puts one at a time into the document, so a page of thousands of
//! articles opens quickly: the browser builds elements only for the article on screen. Records
//! are read leniently: fields byline does not know (an `id` on an entity or a speaker, a
//! speaker's `speaker_via`, …) are shown in the tooltips, and a line that is not a byline record
//! is shown as an error.

pub mod spans;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;

use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::document::CharIndex;
use crate::ingest;
use spans::{escape_attr, escape_text, Mark};

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// Records a page holds unless told otherwise: a page stays a few tens of MB and opens in
/// seconds (docs/view.md).
pub const DEFAULT_MAX_ARTICLES: usize = 2000;

pub struct ViewOptions {
    /// Records before the first one shown.
    pub skip: usize,
    /// Records shown at most, from `skip` on.
    pub max_articles: usize,
}

/// What a page holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ViewSummary {
    /// Records (non-blank lines) in the inputs.
    pub records: usize,
    /// Records on the page.
    pub shown: usize,
    /// Records on the page that carry an error (or are not byline records).
    pub errors: usize,
    /// Spans whose offsets do not fit their article's text, left undrawn (and said so on the page).
    pub bad_spans: usize,
}

/// Reads byline JSONL from `inputs` (files, `.gz`, or `-`) and writes the page to `out`.
/// Only the page's records are kept in memory, each as its HTML.
pub fn write_page(inputs: &[String], opts: &ViewOptions, out: &mut dyn Write) -> Result<ViewSummary> {
    let mut summary = ViewSummary::default();
    let mut index = String::new();
    out.write_all(b"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")?;
    out.write_all(b"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")?;
    let mut title = String::new();
    escape_text(&mut title, &inputs.join(" "));
    writeln!(out, "<title>byline view: {title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>")?;
    // Articles first, as they are read; the index and header, which need the counts, after.
    out.write_all(b"<script type=\"application/json\" id=\"byline-articles\">[")?;
    let last = opts.skip.saturating_add(opts.max_articles);
    for input in inputs {
        let lines = ingest::open_jsonl(input).with_context(|| format!("cannot open {input}"))?;
        for (where_, value) in lines {
            let n = summary.records;
            summary.records += 1;
            if n < opts.skip || n >= last {
                continue;
            }
            let article = Article::from_json(value, &where_);
            summary.shown += 1;
            summary.errors += article.error.is_some() as usize;
            let (html, bad) = article.html();
            summary.bad_spans += bad;
            if summary.shown > 1 {
                out.write_all(b",\n")?;
            }
            out.write_all(script_safe_json(&html).as_bytes())?;
            article.index_entry(&mut index, summary.shown);
        }
    }
    out.write_all(b"]</script>\n")?;
    write_header(out, inputs, opts, &summary)?;
    writeln!(out, "<div id=\"layout\">\n<nav id=\"index\"><input id=\"filter\" type=\"search\" placeholder=\"filter by id or title\" aria-label=\"filter articles\">")?;
    writeln!(out, "<ol id=\"list\">\n{index}</ol></nav>")?;
    writeln!(out, "<main id=\"article\"><noscript>This page shows articles with JavaScript; it fetches nothing.</noscript></main>\n</div>")?;
    writeln!(out, "<script>\n{SCRIPT}</script>\n</body>\n</html>")?;
    out.flush()?;
    Ok(summary)
}

/// A JSON string for a `<script>` element: `</` and `<!` would end or change its content there.
fn script_safe_json(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises").replace("</", "<\\/").replace("<!", "\\u003c!")
}

fn write_header(out: &mut dyn Write, inputs: &[String], opts: &ViewOptions, s: &ViewSummary) -> Result<()> {
    let mut h = String::from("<header>\n<h1>byline view</h1>\n<p class=\"counts\">");
    escape_text(&mut h, &inputs.join(", "));
    if s.shown == s.records {
        let _ = write!(h, ": {} record{}", s.records, plural(s.records));
    } else if s.shown == 0 {
        let _ = write!(h, ": none of {} records (--skip {})", s.records, opts.skip);
    } else {
        let _ = write!(h, ": records {}–{} of {}", opts.skip + 1, opts.skip + s.shown, s.records);
    }
    if s.errors > 0 {
        let _ = write!(h, ", {} with errors", s.errors);
    }
    let next = opts.skip + s.shown;
    if next < s.records {
        let _ = write!(h, " <span class=\"more-records\">(the next page: <code>byline view … --skip {next}</code>)</span>");
    }
    h.push_str("</p>\n<p class=\"legend\">");
    for label in ["PER", "ORG", "LOC", "MISC"] {
        let _ = write!(h, "<span class=\"ent {label}\" data-l=\"{label}\">{label}</span> ");
    }
    h.push_str("<span class=\"q\">quote</span> <span class=\"cue\">cue</span> <span class=\"spk\">speaker</span>");
    h.push_str(" <span class=\"keys\">← → articles · click a quote</span></p>\n</header>\n");
    out.write_all(h.as_bytes())?;
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A record as the page reads it: byline's fields, and whatever else it holds.
#[derive(Debug, Default, Deserialize)]
struct Record {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    meta: Option<Map<String, Value>>,
    #[serde(default)]
    entities: Vec<EntityRec>,
    #[serde(default)]
    quotes: Vec<QuoteRec>,
    #[serde(default)]
    error: Option<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
struct EntityRec {
    start: usize,
    end: usize,
    #[serde(default)]
    text: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    score: Option<f64>,
    #[serde(default)]
    link: Option<LinkRec>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
struct LinkRec {
    kb_id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    via: Option<String>,
    #[serde(default)]
    score: Option<f64>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
struct QuoteRec {
    start: usize,
    end: usize,
    #[serde(default)]
    text: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    score: Option<f64>,
    #[serde(default)]
    cue: Option<SpanRec>,
    #[serde(default)]
    speaker: Option<SpeakerRec>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
struct SpanRec {
    start: usize,
    end: usize,
    #[serde(default)]
    text: String,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
struct SpeakerRec {
    start: usize,
    end: usize,
    #[serde(default)]
    text: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    entity: Option<usize>,
    #[serde(default)]
    kb_id: Option<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// One record of the page.
struct Article {
    id: String,
    record: Record,
    /// The record's error, or why the line is not a record.
    error: Option<String>,
}

impl Article {
    fn from_json(value: Result<Value, String>, where_: &str) -> Article {
        let parsed = value.and_then(|v| match v {
            Value::Object(_) => serde_json::from_value::<Record>(v).map_err(|e| format!("not a byline record: {e}")),
            _ => Err("not a byline record: a record is a JSON object".to_string()),
        });
        match parsed {
            Ok(record) => {
                let id = match &record.id {
                    Some(Value::String(s)) if !s.is_empty() => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => where_.to_string(),
                };
                Article { id, error: record.error.clone(), record }
            }
            Err(e) => Article { id: where_.to_string(), record: Record::default(), error: Some(e) },
        }
    }

    fn title(&self) -> &str {
        self.record.title.as_deref().filter(|t| !t.trim().is_empty()).unwrap_or(&self.id)
    }

    /// The index's line for this article (`n` counts from 1).
    fn index_entry(&self, out: &mut String, n: usize) {
        let class = if self.error.is_some() { " class=\"err\"" } else { "" };
        let _ = write!(out, "<li{class}><a href=\"#{n}\" title=\"{}\">", escape_attr(&self.id));
        escape_text(out, self.title());
        out.push_str("</a></li>\n");
    }

    /// The article's HTML, and how many spans did not fit its text.
    fn html(&self) -> (String, usize) {
        let r = &self.record;
        let (marks, bad) = self.marks();
        let mut h = String::with_capacity(r.text.len() * 2 + marks.len() * 160 + 1024);
        h.push_str("<div class=\"head\">\n<h2>");
        escape_text(&mut h, self.title());
        h.push_str("</h2>\n<p class=\"id\">");
        escape_text(&mut h, &self.id);
        let _ = write!(
            h,
            " · {} entit{} · {} quote{}</p>\n",
            r.entities.len(),
            if r.entities.len() == 1 { "y" } else { "ies" },
            r.quotes.len(),
            plural(r.quotes.len())
        );
        let fields: Vec<(&String, &Value)> = r
            .meta
            .iter()
            .flat_map(|m| m.iter())
            .chain(r.extra.iter().filter(|(k, _)| k.as_str() != "schema_version"))
            .collect();
        if !fields.is_empty() {
            h.push_str("<dl class=\"meta\">");
            for (k, v) in fields {
                h.push_str("<dt>");
                escape_text(&mut h, k);
                h.push_str("</dt><dd>");
                escape_text(&mut h, &shorten(&value_text(v), 300));
                h.push_str("</dd>");
            }
            h.push_str("</dl>\n");
        }
        if let Some(e) = &self.error {
            h.push_str("<p class=\"error\"><b>error:</b> ");
            escape_text(&mut h, e);
            h.push_str("</p>\n");
        }
        if bad > 0 {
            let _ = writeln!(h, "<p class=\"warn\">{bad} span{} do not fit the text and are not drawn.</p>", plural(bad));
        }
        h.push_str("</div>\n<div class=\"cols\">\n<div class=\"text\">");
        h.push_str(&spans::render(&r.text, &marks));
        h.push_str("</div>\n<aside class=\"side\">\n");
        self.quote_list(&mut h);
        self.entity_list(&mut h);
        h.push_str("</aside>\n</div>\n");
        (h, bad)
    }

    /// The spans to draw, and how many were left out because they do not fit the text.
    fn marks(&self) -> (Vec<Mark>, usize) {
        let r = &self.record;
        let index = CharIndex::new(&r.text);
        let len = index.char_len(&r.text);
        let fits = |start: usize, end: usize, text: &str| {
            start <= end && end <= len && (text.is_empty() || &r.text[index.byte(start)..index.byte(end)] == text)
        };
        let mut marks = Vec::new();
        let mut bad = 0;
        let mut add = |ok: bool, mark: Mark| {
            if ok {
                marks.push(mark);
            } else {
                bad += 1;
            }
        };
        for (i, e) in r.entities.iter().enumerate() {
            let label = label_class(&e.label);
            let attrs = format!(" data-e=\"{i}\" data-l=\"{}\" title=\"{}\"", escape_attr(&e.label), escape_attr(&entity_tooltip(e)));
            add(fits(e.start, e.end, &e.text), Mark { start: e.start, end: e.end, layer: 1, class: format!("ent {label}"), attrs });
        }
        for (i, q) in r.quotes.iter().enumerate() {
            let who = self.speaker_name(q);
            let tip = format!(
                "{} quote {}{}{}{}",
                if q.kind.is_empty() { "a" } else { &q.kind },
                i + 1,
                who.as_ref().map_or(String::new(), |w| format!(" · {w}")),
                q.cue.as_ref().map_or(String::new(), |c| format!(" · {}", c.text)),
                q.score.map_or(String::new(), |s| format!(" · score {s}")),
            ) + &extra_lines(&q.extra);
            let class = format!("q q-{}", label_class(&q.kind).to_lowercase());
            add(fits(q.start, q.end, &q.text), Mark { start: q.start, end: q.end, layer: 0, class, attrs: format!(" data-q=\"{i}\" title=\"{}\"", escape_attr(&tip)) });
            if let Some(c) = &q.cue {
                let tip = format!("cue of quote {}", i + 1) + &extra_lines(&c.extra);
                add(fits(c.start, c.end, &c.text), Mark { start: c.start, end: c.end, layer: 3, class: "cue".into(), attrs: format!(" data-q=\"{i}\" title=\"{}\"", escape_attr(&tip)) });
            }
            if let Some(s) = &q.speaker {
                let mut tip = format!("speaker of quote {}", i + 1);
                if let Some(w) = &who {
                    let _ = write!(tip, ": {w}");
                }
                if let Some(kb) = &s.kb_id {
                    let _ = write!(tip, " ({kb})");
                }
                tip += &extra_lines(&s.extra);
                // The name the mention stands for, shown beside it when its quote is selected.
                let name = match who.as_deref() {
                    Some(w) if w != s.text => format!(" data-name=\"{}\"", escape_attr(w)),
                    _ => String::new(),
                };
                let attrs = format!(" data-q=\"{i}\"{name} title=\"{}\"", escape_attr(&tip));
                add(fits(s.start, s.end, &s.text), Mark { start: s.start, end: s.end, layer: 2, class: "spk".into(), attrs });
            }
        }
        (marks, bad)
    }

    /// Who said a quote, in words: the speaker's name, else the mention (`a spokesperson`).
    fn speaker_name(&self, q: &QuoteRec) -> Option<String> {
        let s = q.speaker.as_ref()?;
        Some(s.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| s.text.clone()))
    }

    fn quote_list(&self, h: &mut String) {
        let quotes = &self.record.quotes;
        if quotes.is_empty() {
            return;
        }
        let _ = writeln!(h, "<h3>Quotes ({})</h3>\n<ol class=\"quotes\">", quotes.len());
        for (i, q) in quotes.iter().enumerate() {
            let mut hl = format!("q{i}");
            let speaker_entity = q.speaker.as_ref().and_then(|s| s.entity).filter(|&e| e < self.record.entities.len());
            if let Some(e) = speaker_entity {
                let _ = write!(hl, " e{e}");
            }
            let mut tip = String::new();
            if let Some(s) = &q.speaker {
                tip = format!("speaker mention: {}", s.text) + &extra_lines(&s.extra);
            }
            let _ = write!(h, "<li data-q=\"{i}\" data-hl=\"{hl}\" title=\"{}\">", escape_attr(&tip));
            match (&q.speaker, self.speaker_name(q)) {
                (Some(s), Some(name)) => {
                    let class = if s.name.is_some() { "who" } else { "who unnamed" };
                    let _ = write!(h, "<span class=\"{class}\">");
                    escape_text(h, &name);
                    h.push_str("</span>");
                    if let Some(kb) = &s.kb_id {
                        h.push(' ');
                        kb_link(h, kb);
                    }
                }
                _ => h.push_str("<span class=\"who none\">unattributed</span>"),
            }
            if let Some(c) = &q.cue {
                h.push_str(" <span class=\"how\">");
                escape_text(h, &c.text);
                h.push_str("</span>");
            }
            let _ = write!(h, " <span class=\"kind\">{}</span> <span class=\"qt\">", escape_attr(&q.kind));
            escape_text(h, &shorten(&q.text, 200));
            h.push_str("</span></li>\n");
        }
        h.push_str("</ol>\n");
    }

    /// Entities grouped by what they are (the linked id, else label and text), in order of first
    /// mention, with their mentions' count and link.
    fn entity_list(&self, h: &mut String) {
        let entities = &self.record.entities;
        if entities.is_empty() {
            return;
        }
        let mut groups: Vec<(&EntityRec, Vec<usize>)> = Vec::new();
        let mut by_key: HashMap<(String, String), usize> = HashMap::new();
        for (i, e) in entities.iter().enumerate() {
            let key = match &e.link {
                Some(l) => (String::new(), l.kb_id.clone()),
                None => (e.label.clone(), e.text.clone()),
            };
            match by_key.get(&key) {
                Some(&g) => groups[g].1.push(i),
                None => {
                    by_key.insert(key, groups.len());
                    groups.push((e, vec![i]));
                }
            }
        }
        let _ = writeln!(h, "<h3>Entities ({} in {} mention{})</h3>\n<ul class=\"entities\">", groups.len(), entities.len(), plural(entities.len()));
        for (e, mentions) in groups {
            let hl: Vec<String> = mentions.iter().map(|m| format!("e{m}")).collect();
            let _ = write!(h, "<li data-hl=\"{}\" title=\"{}\"><span class=\"ent {}\" data-l=\"{}\">", hl.join(" "), escape_attr(&entity_tooltip(e)), label_class(&e.label), escape_attr(&e.label));
            let name = e.link.as_ref().and_then(|l| l.name.as_deref()).unwrap_or(&e.text);
            escape_text(h, name);
            h.push_str("</span>");
            if mentions.len() > 1 {
                let _ = write!(h, " <span class=\"n\">×{}</span>", mentions.len());
            }
            if let Some(l) = &e.link {
                h.push(' ');
                kb_link(h, &l.kb_id);
            }
            h.push_str("</li>\n");
        }
        h.push_str("</ul>\n");
    }
}

/// A class name for a label: the label itself when it is a plain word, else `other`.
fn label_class(label: &str) -> &str {
    if !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        label
    } else {
        "other"
    }
}

/// The URL of a knowledge-base id: Wikidata for QIDs, GeoNames for `geonames:` ids; None for
/// the others (`isin:…`, user ids), which are shown as text.
pub fn kb_url(kb_id: &str) -> Option<String> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(n) = kb_id.strip_prefix('Q').filter(|n| digits(n)) {
        return Some(format!("https://www.wikidata.org/wiki/Q{n}"));
    }
    if let Some(n) = kb_id.strip_prefix("geonames:").filter(|n| digits(n)) {
        return Some(format!("https://www.geonames.org/{n}"));
    }
    None
}

fn kb_link(h: &mut String, kb_id: &str) {
    match kb_url(kb_id) {
        Some(url) => {
            let _ = write!(h, "<a class=\"kb\" href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">{}</a>", escape_attr(&url), escape_attr(kb_id));
        }
        None => {
            let _ = write!(h, "<span class=\"kb\">{}</span>", escape_attr(kb_id));
        }
    }
}

fn entity_tooltip(e: &EntityRec) -> String {
    let mut tip = e.label.clone();
    if let Some(s) = e.score {
        let _ = write!(tip, " · score {s}");
    }
    if let Some(l) = &e.link {
        let _ = write!(tip, "\n{} · {}", l.name.as_deref().unwrap_or("?"), l.kb_id);
        if let Some(k) = &l.kind {
            let _ = write!(tip, " · {k}");
        }
        if let Some(v) = &l.via {
            let _ = write!(tip, " · via {v}");
        }
        if let Some(s) = l.score {
            let _ = write!(tip, " · score {s}");
        }
        tip += &extra_lines(&l.extra);
    }
    tip + &extra_lines(&e.extra)
}

/// Fields a reader does not know, one `key: value` line each (a list as its length).
fn extra_lines(extra: &Map<String, Value>) -> String {
    let mut out = String::new();
    for (k, v) in extra {
        let v = match v {
            Value::Array(a) => format!("{} items", a.len()),
            v => shorten(&value_text(v), 120),
        };
        let _ = write!(out, "\n{k}: {v}");
    }
    out
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// `s` cut to `max` chars, with `…` where it was cut.
fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((b, _)) => format!("{}…", &s[..b]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(lines: &[Value]) -> (String, ViewSummary) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        let body: String = lines.iter().map(|l| l.to_string() + "\n").collect();
        std::fs::write(&path, body).unwrap();
        let mut out = Vec::new();
        let s = write_page(&[path.to_string_lossy().into_owned()], &ViewOptions { skip: 0, max_articles: 100 }, &mut out).unwrap();
        (String::from_utf8(out).unwrap(), s)
    }

    /// The articles' HTML strings, as the page's script reads them.
    fn articles(page: &str) -> Vec<String> {
        let start = page.find("id=\"byline-articles\">").unwrap() + "id=\"byline-articles\">".len();
        let end = start + page[start..].find("</script>").unwrap();
        serde_json::from_str(&page[start..end]).unwrap()
    }

    fn seed_like() -> Value {
        json!({"schema_version": "1.0", "id": "a1", "title": "Talks", "text": "“Russia is weak,” said Badalyan in Yerevan.",
            "entities": [
                {"start": 1, "end": 7, "text": "Russia", "label": "LOC", "score": 0.99, "link": {"kb_id": "Q159", "name": "Russia", "type": "country", "via": "name", "score": 1.0}, "id": "Q159"},
                {"start": 23, "end": 31, "text": "Badalyan", "label": "PER", "score": 0.98, "link": null, "id": "per:badalyan"},
                {"start": 35, "end": 42, "text": "Yerevan", "label": "LOC", "score": 0.97, "link": {"kb_id": "geonames:616052", "name": "Yerevan", "type": "city", "via": "name", "score": 0.9}}],
            "quotes": [{"start": 1, "end": 15, "text": "Russia is weak", "kind": "direct", "cue": {"start": 18, "end": 22, "text": "said"},
                "speaker": {"start": 23, "end": 31, "text": "Badalyan", "name": "Hakob Badalyan", "entity": 1, "kb_id": null, "id": "per:hakob-badalyan", "speaker_via": "entity"}, "score": 0.9}]})
    }

    #[test]
    fn an_article_draws_entities_quotes_cues_speakers_and_links() {
        let (page, summary) = page(&[seed_like()]);
        assert_eq!(summary, ViewSummary { records: 1, shown: 1, errors: 0, bad_spans: 0 });
        let html = &articles(&page)[0];
        // The quote holds the entity; the speaker mention sits inside its entity.
        assert!(html.contains("“<span class=\"q q-direct\" data-q=\"0\""), "{html}");
        assert!(html.contains("><span class=\"ent LOC\" data-e=\"0\" data-l=\"LOC\" title=\"LOC · score 0.99\nRussia · Q159 · country · via name · score 1\nid: Q159\">Russia</span> is weak</span>"), "{html}");
        assert!(html.contains("<span class=\"cue\" data-q=\"0\" title=\"cue of quote 1\">said</span>"), "{html}");
        assert!(html.contains("<span class=\"ent PER\" data-e=\"1\" data-l=\"PER\" title=\"PER · score 0.98\nid: per:badalyan\"><span class=\"spk\" data-q=\"0\" data-name=\"Hakob Badalyan\" title=\"speaker of quote 1: Hakob Badalyan\nid: per:hakob-badalyan\nspeaker_via: entity\">Badalyan</span></span>"), "{html}");
        // Links: a QID to Wikidata, a GeoNames id to GeoNames.
        assert!(html.contains("<a class=\"kb\" href=\"https://www.wikidata.org/wiki/Q159\""), "{html}");
        assert!(html.contains("<a class=\"kb\" href=\"https://www.geonames.org/616052\""), "{html}");
        // The quote list names the speaker and points at the speaker's entity.
        assert!(html.contains("<li data-q=\"0\" data-hl=\"q0 e1\""), "{html}");
        assert!(html.contains("<span class=\"who\">Hakob Badalyan</span> <span class=\"how\">said</span>"), "{html}");
        assert!(page.contains("<li><a href=\"#1\" title=\"a1\">Talks</a></li>"));
    }

    #[test]
    fn errors_bad_lines_and_bad_spans_are_shown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        let lines = [
            json!({"schema_version": "1.0", "id": "e1", "text": "", "entities": [], "quotes": [], "error": "not valid UTF-8 (first bad byte at offset 3)"}).to_string(),
            "{broken".to_string(),
            json!({"id": "s", "text": "abc", "entities": [{"start": 1, "end": 9, "text": "bc", "label": "PER", "score": 1.0}, {"start": 0, "end": 1, "text": "x", "label": "PER", "score": 1.0}]}).to_string(),
            "[1]".to_string(),
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let mut out = Vec::new();
        let s = write_page(&[path.to_string_lossy().into_owned()], &ViewOptions { skip: 0, max_articles: 100 }, &mut out).unwrap();
        assert_eq!(s, ViewSummary { records: 4, shown: 4, errors: 3, bad_spans: 2 });
        let page = String::from_utf8(out).unwrap();
        let a = articles(&page);
        assert!(a[0].contains("<b>error:</b> not valid UTF-8"));
        assert!(a[1].contains("in.jsonl:2") && a[1].contains("malformed JSON"), "{}", a[1]);
        assert!(a[2].contains("2 spans do not fit the text"));
        assert!(a[3].contains("not a byline record"));
        assert!(page.contains("<li class=\"err\"><a href=\"#2\""));
    }

    #[test]
    fn everything_from_the_record_is_escaped() {
        let rec = json!({"id": "<x id=\"1\">", "title": "</script><script>alert(1)</script>", "text": "a <b>&</b> c\r\nd",
            "meta": {"src": "<!-- x -->"}, "entities": [{"start": 2, "end": 5, "text": "<b>", "label": "\"><i", "score": 1.0}], "quotes": []});
        let (page, _) = page(&[rec]);
        assert_eq!(page.matches("<script").count(), 2, "only the page's own scripts");
        assert!(!page.contains("<!-- x"));
        let html = &articles(&page)[0];
        assert!(html.contains("<h2>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</h2>"), "{html}");
        assert!(html.contains("a <span class=\"ent other\" data-e=\"0\" data-l=\"&quot;&gt;&lt;i\""), "{html}");
        assert!(html.contains("\">&lt;b&gt;</span>&amp;&lt;/b&gt; c&#13;\nd"), "{html}");
    }

    #[test]
    fn skip_and_max_articles_pick_a_page_and_the_page_is_deterministic() {
        let lines: Vec<Value> = (0..5).map(|i| json!({"id": format!("d{i}"), "text": format!("Text {i}.")})).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        std::fs::write(&path, lines.iter().map(|l| l.to_string() + "\n").collect::<String>()).unwrap();
        let render = |skip, max| {
            let mut out = Vec::new();
            let s = write_page(&[path.to_string_lossy().into_owned()], &ViewOptions { skip, max_articles: max }, &mut out).unwrap();
            (String::from_utf8(out).unwrap(), s)
        };
        let (p, s) = render(1, 2);
        assert_eq!(s, ViewSummary { records: 5, shown: 2, errors: 0, bad_spans: 0 });
        assert_eq!(articles(&p).len(), 2);
        assert!(articles(&p)[0].contains("d1") && articles(&p)[1].contains("d2"));
        assert!(p.contains("records 2–3 of 5") && p.contains("--skip 3"), "{p}");
        assert_eq!(render(1, 2).0, p, "byte-identical for the same input");
        let (p, s) = render(0, 10);
        assert_eq!(s.shown, 5);
        assert!(p.contains(": 5 records") && !p.contains("--skip"));
    }

    #[test]
    fn kb_ids_link_where_they_have_a_home() {
        assert_eq!(kb_url("Q649").as_deref(), Some("https://www.wikidata.org/wiki/Q649"));
        assert_eq!(kb_url("geonames:524901").as_deref(), Some("https://www.geonames.org/524901"));
        assert_eq!(kb_url("isin:US0378331005"), None);
        assert_eq!(kb_url("Qx"), None);
        assert_eq!(kb_url("Q"), None);
    }
}
