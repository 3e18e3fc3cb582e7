//! `byline view` end to end, and in a real browser: headless Chromium loads the page for the
//! seed article (plus a record with characters beyond the Basic Multilingual Plane and an error
//! record), runs its script, and the DOM it dumps must hold exactly the record's spans.
//! Skips, saying so, where Chromium is missing (`scripts/setup_browser.sh` installs it).

mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use byline::output::Record;
use serde_json::{json, Value};

/// Chromium: $BYLINE_CHROMIUM, else the first of the usual names on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("BYLINE_CHROMIUM") {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "BYLINE_CHROMIUM={} is not a file: point it at a Chromium binary, or unset it", p.display());
        return Some(p);
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// The DOM of `page` (at `#hash`) after its script ran, as Chromium serialises it.
fn dump_dom(chromium: &Path, page: &Path, hash: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}#{hash}", page.canonicalize().unwrap().display());
    let mut child = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut out).unwrap();
        out
    });
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(90) {
            child.kill().unwrap();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

/// An element of the dumped DOM.
#[derive(Debug, Default)]
struct Element {
    tag: String,
    attrs: BTreeMap<String, String>,
    children: Vec<Child>,
}

#[derive(Debug)]
enum Child {
    Element(Element),
    Text(String),
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }
    fn has_class(&self, class: &str) -> bool {
        self.attr("class").is_some_and(|c| c.split_whitespace().any(|x| x == class))
    }
    fn text(&self) -> String {
        let mut out = String::new();
        for c in &self.children {
            match c {
                Child::Text(t) => out.push_str(t),
                Child::Element(e) if e.tag == "script" || e.tag == "style" => {}
                Child::Element(e) => out.push_str(&e.text()),
            }
        }
        out
    }
    /// Every element below (depth first, document order) that `keep` accepts.
    fn find<'a>(&'a self, keep: &dyn Fn(&Element) -> bool, out: &mut Vec<&'a Element>) {
        for c in &self.children {
            if let Child::Element(e) = c {
                if keep(e) {
                    out.push(e);
                }
                e.find(keep, out);
            }
        }
    }
    fn all(&self, keep: impl Fn(&Element) -> bool) -> Vec<&Element> {
        let mut out = Vec::new();
        self.find(&keep, &mut out);
        out
    }
    fn one(&self, keep: impl Fn(&Element) -> bool) -> &Element {
        let found = self.all(keep);
        assert_eq!(found.len(), 1, "expected one element");
        found[0]
    }
}

fn decode(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').map(|e| i + e).expect("entity ends with ;");
        let name = &rest[i + 1..end];
        match name {
            "amp" => out.push('&'),
            "lt" => out.push('<'),
            "gt" => out.push('>'),
            "quot" => out.push('"'),
            "nbsp" => out.push('\u{a0}'),
            n if n.starts_with('#') => out.push(char::from_u32(n[1..].parse().unwrap()).unwrap()),
            n => panic!("unknown entity &{n};"),
        }
        rest = &rest[end + 1..];
    }
    out + rest
}

/// Reads Chromium's serialisation (well-formed by construction: every element closed, attributes
/// quoted) into a tree.
fn parse_dom(html: &str) -> Element {
    const VOID: &[&str] = &["meta", "input", "br", "img", "link", "hr", "wbr"];
    let mut stack = vec![Element { tag: "#document".into(), ..Default::default() }];
    let mut rest = html;
    while !rest.is_empty() {
        if rest.starts_with("<!") {
            rest = &rest[rest.find('>').unwrap() + 1..];
        } else if let Some(r) = rest.strip_prefix("</") {
            let end = r.find('>').unwrap();
            let tag = &r[..end];
            let e = stack.pop().unwrap();
            assert_eq!(e.tag, tag, "mismatched close tag");
            stack.last_mut().unwrap().children.push(Child::Element(e));
            rest = &r[end + 1..];
        } else if rest.starts_with('<') {
            let (e, r) = open_tag(&rest[1..]);
            rest = r;
            if VOID.contains(&e.tag.as_str()) {
                stack.last_mut().unwrap().children.push(Child::Element(e));
            } else if e.tag == "script" || e.tag == "style" {
                let close = format!("</{}>", e.tag);
                let end = rest.find(&close).unwrap();
                let mut e = e;
                e.children.push(Child::Text(rest[..end].to_string()));
                stack.last_mut().unwrap().children.push(Child::Element(e));
                rest = &rest[end + close.len()..];
            } else {
                stack.push(e);
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            stack.last_mut().unwrap().children.push(Child::Text(decode(&rest[..end])));
            rest = &rest[end..];
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    stack.pop().unwrap()
}

fn open_tag(s: &str) -> (Element, &str) {
    let name_end = s.find(|c: char| c.is_whitespace() || c == '>' || c == '/').unwrap();
    let mut e = Element { tag: s[..name_end].to_ascii_lowercase(), ..Default::default() };
    let mut rest = s[name_end..].trim_start();
    loop {
        if let Some(r) = rest.strip_prefix('>') {
            return (e, r);
        }
        if let Some(r) = rest.strip_prefix("/>") {
            return (e, r);
        }
        let name_end = rest.find(|c: char| c == '=' || c == '>' || c.is_whitespace()).unwrap();
        let name = rest[..name_end].to_string();
        rest = &rest[name_end..];
        let value = if let Some(r) = rest.strip_prefix("=\"") {
            let end = r.find('"').unwrap();
            rest = &r[end + 1..];
            decode(&r[..end])
        } else {
            String::new()
        };
        e.attrs.insert(name, value);
        rest = rest.trim_start();
    }
}

/// Chars `[start, end)` of the first occurrence of `word` in `text`.
fn at(text: &str, word: &str) -> (usize, usize) {
    let b = text.find(word).unwrap_or_else(|| panic!("{word} not in text"));
    let s = text[..b].chars().count();
    (s, s + word.chars().count())
}

/// A record whose spans all come after characters outside the Basic Multilingual Plane (two
/// UTF-16 units each in the browser), with a CRLF line end and fields byline does not write.
fn wide_record() -> Value {
    let text = "👍🏽 Zürich 🇰🇬: “Bishkek is 𝒻ar,” said Ŝtefan.\r\nNext: Ñoño in 你好.";
    let ent = |word: &str, label: &str, link: Value, extra: Value| {
        let (s, e) = at(text, word);
        let mut v = json!({"start": s, "end": e, "text": word, "label": label, "score": 0.9, "link": link});
        if let Value::Object(x) = extra {
            v.as_object_mut().unwrap().extend(x);
        }
        v
    };
    let link = |id: &str, name: &str| json!({"kb_id": id, "name": name, "type": "city", "via": "name", "score": 1.0});
    let entities = vec![
        ent("Zürich", "LOC", link("Q72", "Zürich"), json!({"id": "Q72"})),
        ent("Bishkek", "LOC", link("geonames:1528675", "Bishkek"), json!({})),
        ent("Ŝtefan", "PER", Value::Null, json!({"id": "per:stefan-novak"})),
        ent("Ñoño", "PER", Value::Null, json!({})),
        ent("你好", "MISC", Value::Null, json!({})),
    ];
    let (qs, qe) = at(text, "Bishkek is 𝒻ar,");
    let (cs, ce) = at(text, "said");
    let (ss, se) = at(text, "Ŝtefan");
    json!({"schema_version": "1.0", "id": "wide", "title": "Wide 👍🏽", "text": text, "entities": entities,
        "quotes": [{"start": qs, "end": qe, "text": "Bishkek is 𝒻ar,", "kind": "direct",
            "cue": {"start": cs, "end": ce, "text": "said"},
            "speaker": {"start": ss, "end": se, "text": "Ŝtefan", "name": "Ŝtefan Novak", "entity": 2, "kb_id": null,
                "id": "per:stefan-novak", "speaker_via": "entity"}, "score": 0.9}]})
}

/// Annotates the seed article with the shipped model (the tiny test model where the shipped one
/// is absent, as in a clone without its weights).
fn annotate_seed(dir: &Path) -> Record {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped = root.join("models/ner-default");
    let tiny = tiny_model();
    let model = if shipped.join("model.safetensors.zst").is_file() { shipped } else { tiny.path().to_path_buf() };
    let stages = if root.join("models/gazetteer-default").is_dir() { "ner,quotes,link" } else { "ner,quotes" };
    let out = dir.join("seed.jsonl");
    let res = byline(
        &["annotate", root.join("corpora/sample/csto-article.txt").to_str().unwrap(), "-o", out.to_str().unwrap(),
          "--model", model.to_str().unwrap(), "--stages", stages],
        None,
    );
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    records(&out).remove(0)
}

/// The text of each span of a class below `root`, fragments joined, keyed by its `key` attribute.
fn spans_by(root: &Element, class: &str, key: &str) -> BTreeMap<usize, String> {
    let mut out: BTreeMap<usize, String> = BTreeMap::new();
    for e in root.all(|e| e.tag == "span" && e.has_class(class)) {
        let k: usize = e.attr(key).unwrap_or_else(|| panic!("{class} without {key}")).parse().unwrap();
        out.entry(k).or_default().push_str(&e.text());
    }
    out
}

fn check_article(dom: &Element, rec: &Record) {
    let text = dom.one(|e| e.has_class("text"));
    assert_eq!(text.text(), rec.text, "the page's text is the record's, char for char");

    let entities = spans_by(text, "ent", "data-e");
    assert_eq!(entities.len(), rec.entities.len(), "one highlighted entity a record entity");
    for (i, e) in rec.entities.iter().enumerate() {
        assert_eq!(entities[&i], e.text, "entity {i}");
    }
    for el in text.all(|e| e.has_class("ent")) {
        let i: usize = el.attr("data-e").unwrap().parse().unwrap();
        assert!(el.has_class(&rec.entities[i].label), "entity {i} coloured by its label");
    }
    let quotes = spans_by(text, "q", "data-q");
    assert_eq!(quotes.len(), rec.quotes.len());
    for (i, q) in rec.quotes.iter().enumerate() {
        assert_eq!(quotes[&i], q.text, "quote {i}");
    }
    let cues = spans_by(text, "cue", "data-q");
    let want: BTreeMap<usize, String> = rec.quotes.iter().enumerate().filter_map(|(i, q)| Some((i, q.cue.as_ref()?.text.clone()))).collect();
    assert_eq!(cues, want);
    let speakers = spans_by(text, "spk", "data-q");
    let want: BTreeMap<usize, String> = rec.quotes.iter().enumerate().filter_map(|(i, q)| Some((i, q.speaker.as_ref()?.text.clone()))).collect();
    assert_eq!(speakers, want);

    // Every QID is a Wikidata link.
    let side = dom.one(|e| e.has_class("side"));
    let links: BTreeSet<String> = side.all(|e| e.tag == "a").iter().filter_map(|a| a.attr("href")).filter(|h| h.contains("wikidata")).map(str::to_string).collect();
    let qids: BTreeSet<String> = rec
        .entities
        .iter()
        .filter_map(|e| e.link.as_ref().map(|l| l.kb_id.clone()))
        .chain(rec.quotes.iter().filter_map(|q| q.speaker.as_ref()?.kb_id.clone()))
        .filter(|id| id.starts_with('Q'))
        .map(|id| format!("https://www.wikidata.org/wiki/{id}"))
        .collect();
    assert_eq!(links, qids);
}

#[test]
fn the_page_shows_the_seed_articles_spans_in_chromium() {
    let Some(chromium) = chromium() else {
        eprintln!("chromium not found: browser test of `byline view` skipped (scripts/setup_browser.sh installs it; or set BYLINE_CHROMIUM)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let seed = annotate_seed(dir.path());
    assert!(seed.entities.len() > 10 && !seed.quotes.is_empty(), "the seed article has entities and quotes");
    let wide: Record = serde_json::from_value(wide_record()).unwrap();
    let error = json!({"schema_version": "1.0", "id": "in.jsonl:3", "text": "", "entities": [], "quotes": [], "error": "malformed JSON: EOF while parsing"});
    let input = dir.path().join("view.jsonl");
    let lines = [serde_json::to_string(&seed).unwrap(), wide_record().to_string(), error.to_string()];
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let page = dir.path().join("page.html");
    let res = byline(&["view", input.to_str().unwrap(), "-o", page.to_str().unwrap()], None);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));

    // The seed article, first on the page.
    let dom = parse_dom(&dump_dom(&chromium, &page, "1"));
    let list = dom.one(|e| e.attr("id") == Some("list"));
    assert_eq!(list.all(|e| e.tag == "li").len(), 3, "the index lists every record");
    let main = dom.one(|e| e.attr("id") == Some("article"));
    assert_eq!(main.one(|e| e.has_class("pos")).text(), "1 / 3", "the script ran");
    assert_eq!(main.one(|e| e.tag == "h2").text(), seed.title.clone().unwrap());
    check_article(main, &seed);

    // A quote picked in the address (as a click picks it) lights its cue and speaker, and the
    // entity the speaker resolves to.
    let (q, quote) = seed.quotes.iter().enumerate().find(|(_, q)| q.cue.is_some() && q.speaker.as_ref().is_some_and(|s| s.entity.is_some())).unwrap();
    let dom = parse_dom(&dump_dom(&chromium, &page, &format!("1/q{q}")));
    let text = dom.one(|e| e.has_class("text"));
    let lit = text.all(|e| e.has_class("on"));
    let mut lit_kinds = BTreeSet::new();
    for e in &lit {
        let kind = ["q", "cue", "spk", "ent"].into_iter().find(|c| e.has_class(c)).unwrap();
        lit_kinds.insert(kind);
        match kind {
            "ent" => assert_eq!(e.attr("data-e"), Some(quote.speaker.as_ref().unwrap().entity.unwrap().to_string().as_str())),
            _ => assert_eq!(e.attr("data-q"), Some(q.to_string().as_str())),
        }
    }
    assert_eq!(lit_kinds, BTreeSet::from(["q", "cue", "spk", "ent"]), "{lit:?}");
    let item = dom.one(|e| e.tag == "li" && e.has_class("on"));
    assert!(item.text().contains(quote.speaker.as_ref().unwrap().name.as_deref().unwrap()), "the speaker's name is shown");

    // Spans after emoji, flags and mathematical letters land on the right characters.
    let dom = parse_dom(&dump_dom(&chromium, &page, "2"));
    let main = dom.one(|e| e.attr("id") == Some("article"));
    check_article(main, &wide);
    let side = main.one(|e| e.has_class("side"));
    assert!(side.all(|e| e.tag == "a").iter().any(|a| a.attr("href") == Some("https://www.geonames.org/1528675")));
    let speaker = main.one(|e| e.has_class("spk"));
    let tip = speaker.attr("title").unwrap();
    assert!(tip.contains("id: per:stefan-novak") && tip.contains("speaker_via: entity"), "unknown fields in the tooltip: {tip}");

    // The error record shows its error.
    let dom = parse_dom(&dump_dom(&chromium, &page, "3"));
    let main = dom.one(|e| e.attr("id") == Some("article"));
    assert!(main.one(|e| e.has_class("error")).text().contains("malformed JSON: EOF while parsing"));
    assert!(dom.all(|e| e.tag == "li" && e.has_class("err")).len() == 1);
}

#[test]
fn view_reads_stdin_and_pages_through_a_corpus() {
    let lines: String = (0..5).map(|i| json!({"id": format!("d{i}"), "text": format!("Text {i}."), "entities": [], "quotes": []}).to_string() + "\n").collect();
    let res = byline(&["view", "-", "--skip", "1", "--max-articles", "3"], Some(lines.as_bytes()));
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let page = String::from_utf8(res.stdout).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("records 2–4 of 5"));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(stderr.contains("view of 3 of 5 records") && stderr.contains("--skip"), "{stderr}");
    // Self-contained: nothing is fetched.
    for attr in ["src=", "href=\"http", "@import", "url("] {
        assert!(!page.contains(attr), "{attr}");
    }
}

#[test]
fn a_missing_input_is_a_clear_error() {
    let res = byline(&["view", "/nonexistent/out.jsonl"], None);
    assert_eq!(res.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&res.stderr).contains("cannot open /nonexistent/out.jsonl"));
}
