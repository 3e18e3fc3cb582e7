//! Spans over a text as nested HTML elements.
//!
//! Entities, quotes, cues and speaker mentions overlap in every way: an entity inside a quote, a
//! speaker mention that is also an entity, the same mention speaking two quotes, and (from other
//! tools) spans that cross. HTML elements can only nest, so a span that crosses another is cut into
//! fragments, each a complete element; every fragment of a span carries the same attributes, so a
//! page finds all of a span's pieces by them. Offsets are Unicode scalar values, converted to byte
//! offsets here, so what a browser sees (UTF-16 strings) never enters the arithmetic.

use std::cmp::Reverse;
use std::fmt::Write;

use crate::document::CharIndex;

/// One span to draw: `<span class="CLASS" ATTRS>` around `text[start..end]` (chars).
#[derive(Debug, Clone)]
pub struct Mark {
    pub start: usize,
    pub end: usize,
    /// Nesting order among spans of one range: the lower layer goes outside.
    pub layer: u8,
    /// Class names, space-separated.
    pub class: String,
    /// Further attributes, already escaped: ` data-e="3" title="…"` (leading space included).
    pub attrs: String,
}

enum Event {
    Text(usize, usize),
    Open(usize),
    Close,
}

/// `text` as HTML with every mark drawn. Marks must lie within the text (`end` ≤ its char
/// length); empty marks are not drawn. A mark cut into fragments has the class `more` on every
/// fragment but its last and `cont` on every fragment but its first.
pub fn render(text: &str, marks: &[Mark]) -> String {
    let index = CharIndex::new(text);
    let len = index.char_len(text);
    let mut order: Vec<usize> = (0..marks.len()).filter(|&m| marks[m].start < marks[m].end && marks[m].end <= len).collect();
    order.sort_by_key(|&m| (marks[m].start, Reverse(marks[m].end), marks[m].layer, m));
    let mut bounds: Vec<usize> = order.iter().flat_map(|&m| [marks[m].start, marks[m].end]).chain([len]).collect();
    bounds.sort_unstable();
    bounds.dedup();

    // The order outer-first for marks that open together: longest first, then by layer.
    let nesting = |m: &usize| (Reverse(marks[*m].end), marks[*m].layer, *m);
    let mut events = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let (mut pos, mut next) = (0, 0);
    for p in bounds {
        if p > pos {
            events.push(Event::Text(pos, p));
            pos = p;
        }
        // Close what ends here; what sat inside it and goes on is closed too and reopened.
        let mut opening = Vec::new();
        if let Some(lowest) = stack.iter().position(|&m| marks[m].end == p) {
            for m in stack.drain(lowest..).rev() {
                events.push(Event::Close);
                if marks[m].end > p {
                    opening.push(m);
                }
            }
        }
        while next < order.len() && marks[order[next]].start == p {
            opening.push(order[next]);
            next += 1;
        }
        opening.sort_by_key(nesting);
        for m in opening {
            events.push(Event::Open(m));
            stack.push(m);
        }
    }
    debug_assert!(stack.is_empty());

    let mut fragments = vec![0usize; marks.len()];
    for e in &events {
        if let Event::Open(m) = e {
            fragments[*m] += 1;
        }
    }
    let mut opened = vec![0usize; marks.len()];
    let mut out = String::with_capacity(text.len() + events.len() * 24);
    for e in events {
        match e {
            Event::Text(s, e) => escape_text(&mut out, &text[index.byte(s)..index.byte(e)]),
            Event::Open(m) => {
                let mark = &marks[m];
                let mut class = mark.class.clone();
                if opened[m] > 0 {
                    class.push_str(" cont");
                }
                if opened[m] + 1 < fragments[m] {
                    class.push_str(" more");
                }
                opened[m] += 1;
                let _ = write!(out, "<span class=\"{}\"{}>", escape_attr(&class), mark.attrs);
            }
            Event::Close => out.push_str("</span>"),
        }
    }
    out
}

/// Appends `s` escaped as HTML text. A carriage return is written as `&#13;`: the HTML parser
/// turns a literal one into a line feed, and the page's text must equal the record's.
pub fn escape_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

/// `s` escaped for an attribute value in double quotes.
pub fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(start: usize, end: usize, layer: u8, name: &str) -> Mark {
        Mark { start, end, layer, class: name.to_string(), attrs: format!(" data-t=\"{name}\"") }
    }

    /// Reads rendered HTML back: the text, and each mark's fragments' text joined, by name.
    /// Panics unless the tags nest.
    fn read_back(html: &str) -> (String, std::collections::BTreeMap<String, String>) {
        let mut text = String::new();
        let mut spans: std::collections::BTreeMap<String, String> = Default::default();
        let mut stack: Vec<String> = Vec::new();
        let mut rest = html;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix("</span>") {
                stack.pop().expect("a close tag closes an open one");
                rest = r;
            } else if rest.starts_with("<span") {
                let end = rest.find('>').unwrap();
                let tag = &rest[..end];
                let name = tag.split("data-t=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
                spans.entry(name.clone()).or_default();
                stack.push(name);
                rest = &rest[end + 1..];
            } else {
                let end = rest.find('<').unwrap_or(rest.len());
                let piece = rest[..end].replace("&lt;", "<").replace("&gt;", ">").replace("&#13;", "\r").replace("&amp;", "&");
                text.push_str(&piece);
                for name in &stack {
                    spans.get_mut(name).unwrap().push_str(&piece);
                }
                rest = &rest[end..];
            }
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        (text, spans)
    }

    fn chars(text: &str, start: usize, end: usize) -> String {
        text.chars().skip(start).take(end - start).collect()
    }

    #[test]
    fn an_entity_inside_a_quote_nests() {
        let text = "“Moscow is far,” he said.";
        let html = render(text, &[mark(1, 14, 0, "q"), mark(1, 7, 1, "e")]);
        assert_eq!(html, "“<span class=\"q\" data-t=\"q\"><span class=\"e\" data-t=\"e\">Moscow</span> is far</span>,” he said.");
    }

    #[test]
    fn a_speaker_that_is_an_entity_sits_inside_the_entity() {
        let text = "Badalyan said so.";
        let html = render(text, &[mark(0, 8, 2, "spk"), mark(0, 8, 1, "ent"), mark(9, 13, 3, "cue")]);
        assert_eq!(
            html,
            "<span class=\"ent\" data-t=\"ent\"><span class=\"spk\" data-t=\"spk\">Badalyan</span></span> <span class=\"cue\" data-t=\"cue\">said</span> so."
        );
    }

    #[test]
    fn crossing_spans_are_cut_into_fragments() {
        let text = "abcdefghij";
        // q: [0, 6), e: [3, 9): e is cut at 6.
        let html = render(text, &[mark(0, 6, 0, "q"), mark(3, 9, 1, "e")]);
        assert_eq!(
            html,
            "<span class=\"q\" data-t=\"q\">abc<span class=\"e more\" data-t=\"e\">def</span></span><span class=\"e cont\" data-t=\"e\">ghi</span>j"
        );
        let (back, spans) = read_back(&html);
        assert_eq!(back, text);
        assert_eq!(spans["q"], "abcdef");
        assert_eq!(spans["e"], "defghi");
    }

    #[test]
    fn offsets_are_chars_even_beyond_the_basic_plane() {
        let text = "👍🏽 Zürich 🇰🇬 Bishkek e\u{301}\r\n<b>&";
        let at = |word: &str| -> (usize, usize) {
            let b = text.find(word).unwrap();
            let s = text[..b].chars().count();
            (s, s + word.chars().count())
        };
        let names = ["👍🏽", "Zürich", "🇰🇬", "Bishkek", "e\u{301}", "<b>&"];
        let marks: Vec<Mark> = names.iter().enumerate().map(|(i, w)| {
            let (s, e) = at(w);
            mark(s, e, 1, &format!("m{i}"))
        }).collect();
        let html = render(text, &marks);
        assert!(html.contains("&lt;b&gt;&amp;") && html.contains("&#13;\n"), "{html}");
        let (back, spans) = read_back(&html);
        assert_eq!(back, text);
        for (i, w) in names.iter().enumerate() {
            assert_eq!(spans[&format!("m{i}")], *w);
        }
    }

    #[test]
    fn any_set_of_spans_renders_nested_with_every_span_whole() {
        // A deterministic pseudo-random stream of span sets over a text with wide chars.
        let text = "Ab😀 c\u{301}d “ef” 🇰🇬g\nhi jk";
        let n = text.chars().count();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rand = |m: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m as u64) as usize
        };
        for _ in 0..500 {
            let count = 1 + rand(6);
            let marks: Vec<Mark> = (0..count)
                .map(|i| {
                    let a = rand(n + 1);
                    let b = rand(n + 1);
                    mark(a.min(b), a.max(b), rand(4) as u8, &format!("m{i}"))
                })
                .collect();
            let html = render(text, &marks);
            let (back, spans) = read_back(&html);
            assert_eq!(back, text, "{marks:?}");
            for (i, m) in marks.iter().enumerate() {
                let name = format!("m{i}");
                if m.start == m.end {
                    assert!(!spans.contains_key(&name));
                } else {
                    assert_eq!(spans[&name], chars(text, m.start, m.end), "{marks:?}\n{html}");
                }
            }
        }
    }

    #[test]
    fn marks_past_the_end_are_not_drawn() {
        assert_eq!(render("abc", &[mark(1, 9, 0, "x")]), "abc");
    }
}
