//! Identity across articles: every entity and every named quote speaker gets an `id`, the same
//! for the same name in any article, shard or run (docs/output.md, "Identity").
//!
//! A linked entity takes its KB id. Any other takes a corpus-local id made of its label and its
//! canonical name, `byline:per:hakob-badalyan`: the fullest name the article gives it — a person
//! named in part (`Badalyan`) takes the fuller name used elsewhere in the article, as the linker
//! groups them, or the name the quotes stage resolved a speaker mention of it to — in the
//! linker's normal form (case, diacritics, punctuation and a possessive folded away). The id is a
//! function of the record alone, so shards, Spark tasks and `byline report` over old output all
//! agree without sharing state.

use std::collections::HashMap;

use crate::document::{Document, Entity, Quote};
use crate::link::linker::partial_name_antecedents;
use crate::link::normalize::{mention_key, possessive_base};

/// What every corpus-local id starts with; anything else is a KB id.
pub const LOCAL_PREFIX: &str = "byline:";

/// Who or what a mention names.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub id: String,
    /// The gazetteer's name when linked, else the canonical name as the article writes it.
    pub name: String,
    /// The NER label most of the article's mentions of it carry; PER for a speaker named
    /// without an entity.
    pub label: String,
    pub kb_id: Option<String>,
}

/// The identities of a document's entities (one each) and of its quotes' speakers (`None` for
/// a quote without a speaker or with an unnamed one: `a spokesperson`, an unresolved `he`).
#[derive(Debug, Clone, PartialEq)]
pub struct Identities {
    pub entities: Vec<Identity>,
    pub speakers: Vec<Option<Identity>>,
}

/// Fills `id` on every entity and every quote speaker. Runs after linking, whatever stages ran.
pub fn assign(doc: &mut Document) {
    let found = resolve(&doc.entities, &doc.quotes);
    for (entity, identity) in doc.entities.iter_mut().zip(found.entities) {
        entity.id = Some(identity.id);
    }
    for (quote, identity) in doc.quotes.iter_mut().zip(found.speakers) {
        if let Some(speaker) = &mut quote.speaker {
            speaker.id = identity.map(|i| i.id);
        }
    }
}

/// The mentions of one article that share a canonical name.
struct Group {
    /// Normal form of the canonical name.
    key: String,
    /// The canonical name as written.
    name: String,
    members: Vec<usize>,
}

/// Identities of one article's entities and speakers; reads only the annotations, not the text.
pub fn resolve(entities: &[Entity], quotes: &[Quote]) -> Identities {
    let partial = partial_name_antecedents(entities);
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of = Vec::with_capacity(entities.len());
    let mut by_key: HashMap<String, usize> = HashMap::new();
    // Repeated mentions (`CSTO` seven times) are normalised once.
    let mut by_text: HashMap<&str, usize> = HashMap::new();
    for i in 0..entities.len() {
        let source = partial.get(&i).copied().unwrap_or(i);
        let text = entities[source].text.as_str();
        let g = match by_text.get(text) {
            Some(&g) => g,
            None => {
                let name = written_name(text);
                let key = name_key(&name);
                let g = *by_key.entry(key.clone()).or_insert_with(|| {
                    groups.push(Group { key, name, members: Vec::new() });
                    groups.len() - 1
                });
                by_text.insert(text, g);
                g
            }
        };
        groups[g].members.push(i);
        group_of.push(g);
    }
    // A speaker's resolved name completes the name of its entity's group when it extends it
    // (`Lepeshko` said by `Gennady Lepeshko`, a name NER cut in pieces); the longest wins.
    for speaker in quotes.iter().filter_map(|q| q.speaker.as_ref()) {
        let (Some(i), Some(name)) = (speaker.entity, &speaker.name) else { continue };
        let Some(&g) = group_of.get(i) else { continue };
        let key = name_key(name);
        if extends(&key, &groups[g].key) {
            groups[g] = Group { key, name: written_name(name), members: std::mem::take(&mut groups[g].members) };
        }
    }
    let labels: Vec<String> = groups.iter().map(|g| majority_label(g.members.iter().map(|&i| entities[i].label.as_str()))).collect();
    let entity_ids: Vec<Identity> = entities
        .iter()
        .zip(&group_of)
        .map(|(e, &g)| match &e.link {
            Some(link) => Identity { id: link.kb_id.clone(), name: link.name.clone(), label: labels[g].clone(), kb_id: Some(link.kb_id.clone()) },
            None => Identity { id: local_id(&labels[g], &groups[g].key), name: groups[g].name.clone(), label: labels[g].clone(), kb_id: None },
        })
        .collect();
    let final_keys: HashMap<&str, usize> = groups.iter().enumerate().rev().map(|(g, group)| (group.key.as_str(), g)).collect();
    let speakers = quotes
        .iter()
        .map(|q| {
            let speaker = q.speaker.as_ref()?;
            if let Some(identity) = speaker.entity.and_then(|i| entity_ids.get(i)) {
                return Some(identity.clone());
            }
            // A name no entity covers: the entity of that name elsewhere in the article, else a
            // person (named speakers are people far more often than not).
            let name = speaker.name.as_deref()?;
            let key = name_key(name);
            match final_keys.get(key.as_str()) {
                Some(&g) => Some(entity_ids[groups[g].members[0]].clone()),
                None => Some(Identity { id: local_id("PER", &key), name: written_name(name), label: "PER".into(), kb_id: None }),
            }
        })
        .collect();
    Identities { entities: entity_ids, speakers }
}

/// The corpus-local id of a name: `byline:<label>:<words of its normal form joined by ->`.
pub fn local_id(label: &str, key: &str) -> String {
    let label: String = label.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    format!("{LOCAL_PREFIX}{}:{}", if label.is_empty() { "x" } else { &label }, key.replace(' ', "-"))
}

/// A name as written, without a possessive ending and with its whitespace collapsed.
fn written_name(text: &str) -> String {
    possessive_base(text).unwrap_or(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The normal form a name is compared in; a name of punctuation alone keeps its characters.
fn name_key(name: &str) -> String {
    let key = mention_key(name);
    if key.is_empty() {
        name.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
    } else {
        key
    }
}

/// Whether name key `longer` has more words than `shorter` and ends or begins with all of them.
fn extends(longer: &str, shorter: &str) -> bool {
    let (l, s): (Vec<&str>, Vec<&str>) = (longer.split(' ').collect(), shorter.split(' ').collect());
    l.len() > s.len() && (l.ends_with(&s) || l.starts_with(&s))
}

/// The most frequent label; of equally frequent ones, the first used.
fn majority_label<'a>(labels: impl Iterator<Item = &'a str>) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for label in labels {
        match counts.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n += 1,
            None => counts.push((label, 1)),
        }
    }
    // `max_by_key` keeps the last maximum; reversed, that is the first used.
    counts.into_iter().rev().max_by_key(|&(_, n)| n).map_or_else(String::new, |(l, _)| l.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Link, QuoteKind, Speaker};

    fn entity(text: &str, label: &str, kb: Option<&str>) -> Entity {
        let link = kb.map(|id| Link { kb_id: id.into(), name: format!("{text} (gazetteer)"), kind: "person".into(), via: "name".into(), score: 1.0, candidates: None });
        Entity { start: 0, end: 0, text: text.into(), label: label.into(), score: 1.0, link, id: None }
    }

    fn quote(speaker: Option<(&str, Option<&str>, Option<usize>)>) -> Quote {
        Quote {
            start: 0,
            end: 0,
            text: String::new(),
            kind: QuoteKind::Direct,
            cue: None,
            speaker: speaker.map(|(text, name, entity)| Speaker { start: 0, end: 0, text: text.into(), name: name.map(str::to_string), entity, kb_id: None, id: None, via: None }),
            score: 1.0,
        }
    }

    fn ids(entities: &[Entity], quotes: &[Quote]) -> (Vec<String>, Vec<Option<String>>) {
        let found = resolve(entities, quotes);
        (found.entities.into_iter().map(|i| i.id).collect(), found.speakers.into_iter().map(|s| s.map(|i| i.id)).collect())
    }

    #[test]
    fn a_surname_takes_the_full_name_used_in_the_article() {
        let entities = [entity("Hakob Badalyan", "PER", None), entity("CSTO", "ORG", None), entity("Badalyan", "PER", None), entity("Badalyan’s", "PER", None)];
        let (e, _) = ids(&entities, &[]);
        assert_eq!(e, ["byline:per:hakob-badalyan", "byline:org:csto", "byline:per:hakob-badalyan", "byline:per:hakob-badalyan"]);
        // Alone in another article, the surname is a name of its own.
        assert_eq!(ids(&[entity("Badalyan", "PER", None)], &[]).0, ["byline:per:badalyan"]);
    }

    #[test]
    fn case_diacritics_whitespace_and_possessives_fold() {
        let one = |text: &str| ids(&[entity(text, "PER", None)], &[]).0.remove(0);
        assert_eq!(one("José  Müller"), "byline:per:jose-muller");
        assert_eq!(one("JOSE MULLER"), "byline:per:jose-muller");
        assert_eq!(one("José Müller's"), "byline:per:jose-muller");
        assert_eq!(one("Jean-Luc O’Neill"), "byline:per:jean-luc-oneill");
        assert_eq!(ids(&[entity("the Kremlin", "ORG", None)], &[]).0[0], "byline:org:kremlin");
    }

    #[test]
    fn linked_entities_take_their_kb_id_and_labels_keep_namesakes_apart() {
        let entities = [entity("Vladimir Putin", "PER", Some("Q7747")), entity("Georgia", "LOC", None), entity("Georgia", "ORG", None), entity("Georgia", "LOC", None)];
        let found = resolve(&entities, &[]);
        assert_eq!(found.entities[0].id, "Q7747");
        assert_eq!(found.entities[0].kb_id.as_deref(), Some("Q7747"));
        assert_eq!(found.entities[0].name, "Vladimir Putin (gazetteer)");
        // One name in one article is one thing: the label most of its mentions carry decides.
        assert!(found.entities[1..].iter().all(|i| i.id == "byline:loc:georgia" && i.label == "LOC"));
        // Across articles, a person and an organisation of one name stay apart.
        assert_ne!(ids(&[entity("Jordan", "PER", None)], &[]).0, ids(&[entity("Jordan", "ORG", None)], &[]).0);
    }

    #[test]
    fn speakers_take_their_entity_or_their_name() {
        let entities = [entity("Lepeshko", "PER", None), entity("Reuters", "ORG", None)];
        let quotes = [
            quote(Some(("he", Some("Gennady Lepeshko"), Some(0)))),
            quote(Some(("Reuters", Some("Reuters"), Some(1)))),
            quote(Some(("Ann Lee", Some("Ann Lee"), None))),
            quote(Some(("a spokesperson", None, None))),
            quote(None),
            quote(Some(("Lepeshko", Some("Gennady Lepeshko"), None))),
        ];
        let (e, s) = ids(&entities, &quotes);
        // The speaker's resolved full name completes its entity's name.
        assert_eq!(e, ["byline:per:gennady-lepeshko", "byline:org:reuters"]);
        let s: Vec<Option<&str>> = s.iter().map(Option::as_deref).collect();
        assert_eq!(s, [Some("byline:per:gennady-lepeshko"), Some("byline:org:reuters"), Some("byline:per:ann-lee"), None, None, Some("byline:per:gennady-lepeshko")]);
    }

    #[test]
    fn assign_fills_the_document_and_is_deterministic() {
        let mut doc = Document::new("a", "");
        doc.entities = vec![entity("Hakob Badalyan", "PER", None), entity("Badalyan", "PER", None)];
        doc.quotes = vec![quote(Some(("Badalyan", Some("Hakob Badalyan"), Some(1))))];
        let mut again = doc.clone();
        assign(&mut doc);
        assign(&mut again);
        assert_eq!(doc.entities, again.entities);
        assert_eq!(doc.entities[1].id.as_deref(), Some("byline:per:hakob-badalyan"));
        assert_eq!(doc.quotes[0].speaker.as_ref().unwrap().id.as_deref(), Some("byline:per:hakob-badalyan"));
    }

    #[test]
    fn names_without_letters_still_get_an_id() {
        let (e, _) = ids(&[entity("’s", "MISC", None), entity("—", "MISC", None)], &[]);
        assert!(e.iter().all(|id| id.len() > "byline:misc:".len()), "{e:?}");
        assert_ne!(e[0], e[1]);
    }

    #[test]
    fn local_ids_are_readable_and_carry_the_label() {
        assert_eq!(local_id("PER", "hakob badalyan"), "byline:per:hakob-badalyan");
        assert_eq!(local_id("ORG", "владимир путин"), "byline:org:владимир-путин");
        assert_eq!(local_id("", "x"), "byline:x:x");
    }
}
