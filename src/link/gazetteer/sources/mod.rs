//! Source readers, one per file family, and the order and cross-checks that join them.
//!
//! `byline gazetteer build SOURCES…` takes files or folders; each file is recognised by its
//! name ([`Family::of`]) and read by its family's reader. Any other `.tsv` or `.jsonl` whose
//! header (or first record) has `id`, `name` and `type` is read as user entries ([`user`]).
//! Readers run in dependency order: countries first (other families point at them), then
//! subdivisions, cities, people and organisations; every reader adds [`Entry`]s to one
//! [`GazetteerBuilder`], which merges entries that share an id.
//!
//! Id policy: the Wikidata QID a source gives, where the source is curated (countries,
//! subdivisions, office holders, parties, organisations, US places and newspapers). City QIDs
//! in the GeoNames table were joined by name and coordinates and are checked
//! ([`places::choose_city_id`]: shared QIDs, QIDs held by something else, QIDs implausibly
//! recent for a capital or a city of 100,000 people or more, [`places::plausible_city_qid`]);
//! a doubtful one falls back to `geonames:ID`. US-cities QIDs get the same size check. Companies have no
//! QID and use `isin:` ids. Archigos leaders get a QID only through an exact Wikipedia-title
//! match and are skipped otherwise.

pub mod organisations;
pub mod people;
pub mod places;
pub mod user;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

use super::{Gazetteer, GazetteerBuilder, Kind};

/// The file families the build recognises, in the order they are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Countries,
    CountryLabels,
    CountryVariants,
    IsoCountries,
    Subdivisions,
    UsStates,
    Cities,
    UsCities,
    Dr5hnCities,
    WorldRegions,
    HistoricalStates,
    TitleMap,
    Positions,
    Officeholders,
    PositionHistories,
    Legislators,
    WorldLeaders,
    InternationalPosts,
    ForeignMinisters,
    UsLegislators,
    Archigos,
    InternationalOrgs,
    Parties,
    PartyNames,
    NewsAgencies,
    Newspapers,
    Companies,
    User,
}

impl Family {
    /// The family of a source file, from its name; `None` for files the build does not use.
    pub fn of(path: &Path) -> Option<Family> {
        let name = path.file_name()?.to_str()?;
        let family = match name {
            "countries_dr5hn.jsonl" => Family::Countries,
            "country_aliases_wikidata_2017.csv" => Family::CountryLabels,
            "countrynames_variants.yaml" => Family::CountryVariants,
            "pycountry_iso3166-1.json" => Family::IsoCountries,
            "states_dr5hn.csv" => Family::Subdivisions,
            "wikidata-us-states.tsv" => Family::UsStates,
            "cities15000_geonames.tsv" => Family::Cities,
            "wikidata-us-cities.tsv" => Family::UsCities,
            "dr5hn_cities.json" => Family::Dr5hnCities,
            "dr5hn_regions.json" | "dr5hn_subregions.json" => Family::WorldRegions,
            "histwardb_crosswalk.csv" => Family::HistoricalStates,
            "positions.tsv" => Family::Positions,
            n if n.starts_with("position_histories") && n.ends_with(".tsv") => Family::PositionHistories,
            n if n.starts_with("legislators_part") && n.ends_with(".tsv") => Family::Legislators,
            "html_legislators.csv" => Family::Legislators,
            "enwiki_title_qid_from_gazetteer2.tsv" | "enwiki_title_qid.tsv" | "persons_bio.tsv" => Family::TitleMap,
            n if n.starts_with("officeholders_2000on") && n.ends_with(".tsv") => Family::Officeholders,
            "heads_of_state_gov_wikidata.csv" => Family::WorldLeaders,
            "html_holders21.csv" => Family::InternationalPosts,
            "sources_foreign_wikidata.csv" => Family::ForeignMinisters,
            "us_legislators_current.jsonl" => Family::UsLegislators,
            "archigos41_leaders.tsv" => Family::Archigos,
            "intl_orgs_supraverden.jsonl" => Family::InternationalOrgs,
            "partyfacts_wikidata.csv" => Family::Parties,
            "partyfacts_core_parties.csv" => Family::PartyNames,
            "news_agencies_impresso.tsv" => Family::NewsAgencies,
            "wikipedia-us-newspapers.tsv" => Family::Newspapers,
            "index_constituents.tsv" => Family::Companies,
            _ if user::looks_like_user_file(path) => Family::User,
            _ => return None,
        };
        Some(family)
    }
}

/// Lookups that later families need from earlier ones.
#[derive(Debug, Default)]
pub struct Shared {
    /// ISO 3166-1 alpha-2 and alpha-3 codes, and normalised English names, → country QID.
    pub country_by_code: HashMap<String, String>,
    pub country_by_name: HashMap<String, String>,
    /// Country QID → its capital's name as the countries file gives it.
    pub capitals: HashMap<String, String>,
    /// Subdivisions by (country alpha-2, code): ISO 3166-2 suffix and FIPS code → QID.
    pub subdivision_by_code: HashMap<(String, String), String>,
    /// City-type subdivisions by (country alpha-2, normalised name).
    pub city_subdivisions: HashMap<(String, String), Vec<places::CitySubdivision>>,
    /// US state postal abbreviation → QID.
    pub us_states: HashMap<String, String>,
    /// English Wikipedia title → QID, from the tables that pair them.
    pub title_qid: HashMap<String, String>,
    /// Population of each GeoNames city entry, by entry id (the US-cities check reads it).
    pub city_population: HashMap<String, f64>,
    /// Country and coordinates of each GeoNames city entry, by entry id (the dr5hn check).
    pub city_rows: HashMap<String, places::CityRow>,
    /// dr5hn subdivision row id → QID (the dr5hn cities table names its region by row id).
    pub subdivision_by_row_id: HashMap<String, String>,
    /// Position QID → its label (the position histories name offices by QID).
    pub position_labels: HashMap<String, String>,
    /// Positions the office-holder table ranks as heads of state or government.
    pub head_positions: std::collections::HashSet<String>,
    /// Party Facts id → QID, so the core-parties names can join the Wikidata table.
    pub party_qid: HashMap<String, String>,
    /// Demonym-shaped words the broad country-variant list gives a country (country QID,
    /// word), which the subdivisions check: some belong to a part of the country (`English`).
    pub broad_demonyms: Vec<(String, String)>,
    /// Variants the country-variant list gives under a subdivision's ISO 3166-2 code (`GB-SCT`).
    pub subdivision_variants: Vec<(String, String)>,
    /// Keys of the demonyms the countries file itself gives (country QID, key): curated, kept.
    pub nationalities: std::collections::HashSet<(String, String)>,
}

/// What a build did, for the log and the card.
#[derive(Debug, Default)]
pub struct BuildLog {
    pub files: Vec<(PathBuf, Family)>,
    pub skipped: Vec<PathBuf>,
    /// Free-form counters ("city QIDs replaced by a subdivision's", ...).
    pub notes: BTreeMap<String, usize>,
}

impl BuildLog {
    pub fn note(&mut self, what: &str, n: usize) {
        *self.notes.entry(what.to_string()).or_default() += n;
    }
}

/// Prior added for each source family beyond the first that lists an entity
/// ([`GazetteerBuilder::add_source_count_prior`]); docs/linking.md has the ablation.
pub const PRIOR_PER_SOURCE: f32 = 0.05;

/// Builds a gazetteer from source files and folders, with the default prior per source.
pub fn build(sources: &[PathBuf]) -> Result<(Gazetteer, BuildLog)> {
    build_with(sources, PRIOR_PER_SOURCE)
}

/// Builds a gazetteer, adding `prior_per_source` to an entity's prior for every further
/// source family that lists it.
pub fn build_with(sources: &[PathBuf], prior_per_source: f32) -> Result<(Gazetteer, BuildLog)> {
    let mut log = BuildLog::default();
    let mut files = Vec::new();
    for s in sources {
        collect(s, &mut files, &mut log)?;
    }
    files.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut shared = Shared::default();
    let mut gaz = GazetteerBuilder::default();
    for (path, family) in &files {
        gaz.set_source(*family as u32);
        read_family(*family, path, &mut shared, &mut gaz, &mut log).with_context(|| format!("cannot read {}", path.display()))?;
    }
    // A person with no name in the Latin script cannot be named in English news; kept, the
    // entry would only count as coverage.
    let unnamable: Vec<String> = gaz.entries().filter(|e| e.kind == Kind::Person && !e.aliases.iter().any(|(a, _)| is_latin(a))).map(|e| e.id.clone()).collect();
    log.note("people without a Latin-script name, left out", unnamable.len());
    for id in unnamable {
        gaz.remove(&id);
    }
    gaz.add_source_count_prior(prior_per_source);
    log.files = files;
    Ok((gaz.finish(), log))
}

fn collect(path: &Path, files: &mut Vec<(PathBuf, Family)>, log: &mut BuildLog) -> Result<()> {
    if path.is_dir() {
        let mut children: Vec<_> = std::fs::read_dir(path)
            .with_context(|| format!("cannot list {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        children.sort();
        for c in children {
            collect(&c, files, log)?;
        }
    } else if !path.exists() {
        anyhow::bail!("source {} does not exist", path.display());
    } else {
        match Family::of(path) {
            Some(f) => files.push((path.to_path_buf(), f)),
            None => log.skipped.push(path.to_path_buf()),
        }
    }
    Ok(())
}

fn read_family(family: Family, path: &Path, shared: &mut Shared, gaz: &mut GazetteerBuilder, log: &mut BuildLog) -> Result<()> {
    match family {
        Family::Countries => places::countries(path, shared, gaz),
        Family::CountryLabels => places::country_labels(path, shared, gaz),
        Family::CountryVariants => places::country_variants(path, shared, gaz),
        Family::IsoCountries => places::iso_countries(path, shared, gaz),
        Family::Subdivisions => places::subdivisions(path, shared, gaz, log),
        Family::UsStates => places::us_states(path, shared, gaz),
        Family::Cities => places::cities(path, shared, gaz, log),
        Family::UsCities => places::us_cities(path, shared, gaz, log),
        Family::Dr5hnCities => places::dr5hn_cities(path, shared, gaz, log),
        Family::WorldRegions => places::world_regions(path, gaz),
        Family::HistoricalStates => places::historical_states(path, gaz, log),
        Family::Positions => people::positions(path, shared),
        Family::PositionHistories => people::position_histories(path, shared, gaz),
        Family::Legislators => people::legislators(path, gaz),
        Family::TitleMap => people::title_map(path, shared),
        Family::Officeholders => people::officeholders(path, shared, gaz),
        Family::WorldLeaders => people::world_leaders(path, gaz),
        Family::InternationalPosts => people::international_posts(path, gaz),
        Family::ForeignMinisters => people::foreign_ministers(path, gaz),
        Family::UsLegislators => people::us_legislators(path, shared, gaz),
        Family::Archigos => people::archigos(path, shared, gaz, log),
        Family::InternationalOrgs => organisations::international(path, gaz),
        Family::Parties => organisations::parties(path, shared, gaz),
        Family::PartyNames => organisations::party_names(path, shared, gaz),
        Family::NewsAgencies => organisations::news_agencies(path, gaz),
        Family::Newspapers => organisations::newspapers(path, shared, gaz),
        Family::Companies => organisations::companies(path, shared, gaz),
        Family::User => user::read(path, gaz),
    }
}

/// Rows of a CSV or TSV file with a header, as maps from column name to value.
pub fn table(path: &Path) -> Result<Vec<HashMap<String, String>>> {
    let tsv = path.extension().is_some_and(|e| e == "tsv");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(if tsv { b'\t' } else { b',' })
        .quoting(!tsv)
        .flexible(true)
        .from_reader(BufReader::new(File::open(path)?));
    let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    reader
        .records()
        .map(|r| {
            let r = r?;
            Ok(header.iter().cloned().zip(r.iter().map(|v| v.trim().to_string())).collect())
        })
        .collect()
}

/// Records of a JSONL file.
pub fn jsonl(path: &Path) -> Result<Vec<Value>> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, l)| serde_json::from_str(l).with_context(|| format!("line {}", n + 1)))
        .collect()
}

/// A row's value for `col`, or "" when absent.
pub fn col<'a>(row: &'a HashMap<String, String>, col: &str) -> &'a str {
    row.get(col).map(String::as_str).unwrap_or("")
}

/// A JSON field as a string, or "" when absent or not a string.
pub fn field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Whether a text is written in the Latin script (with digits, spaces and punctuation), so
/// that it can name something in English-language news.
pub fn is_latin(text: &str) -> bool {
    text.chars().all(|c| !c.is_alphabetic() || (c as u32) < 0x250 || ('\u{1E00}'..='\u{1EFF}').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::gazetteer::{Entry, Kind, Via};

    #[test]
    fn builds_user_entries_and_round_trips_the_artefact() {
        let dir = tempfile::tempdir().unwrap();
        let tsv = dir.path().join("my-places.tsv");
        std::fs::write(
            &tsv,
            "id\tname\ttype\taliases\tprior\tcontext\n\
             Q1\tFreedonia\tcountry\tRepublic of Freedonia|FRD\t0.9\t\n\
             acme:7\tSylvania City\tcity\tSylvania\t\tQ1\n",
        )
        .unwrap();
        let jsonl = dir.path().join("people.jsonl");
        std::fs::write(
            &jsonl,
            r#"{"id": "Q2", "name": "Rufus T. Firefly", "type": "person", "aliases": ["Firefly"], "demonyms": [], "context": ["Q1"], "start": "1933-01-01"}
{"id": "Q1", "name": "Freedonia", "type": "country", "demonyms": ["Freedonian"]}
"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a source").unwrap();
        let (gaz, log) = build(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(log.files.len(), 2);
        assert_eq!(log.skipped.len(), 1);
        let out = dir.path().join("out");
        gaz.save(&out).unwrap();
        let loaded = Gazetteer::load(&out).unwrap();
        assert_eq!(loaded.entries().collect::<Vec<_>>(), gaz.entries().collect::<Vec<_>>());
        let freedonia = loaded.lookup("freedonia");
        assert_eq!(freedonia.len(), 1);
        let e = loaded.entry(freedonia[0].0);
        assert_eq!((e.id.as_str(), e.kind, e.prior), ("Q1", Kind::Country, 0.9));
        assert_eq!(loaded.lookup("frd")[0].1, Via::Acronym);
        assert_eq!(loaded.lookup("freedonian")[0].1, Via::Demonym, "the JSONL record merged into the TSV one");
        let firefly = loaded.entry(loaded.lookup("firefly")[0].0);
        assert_eq!((firefly.context.as_slice(), firefly.terms.len()), (&["Q1".to_string()][..], 1));
        assert_eq!(loaded.entry(loaded.lookup("sylvania")[0].0).id, "acme:7");
    }

    #[test]
    fn people_need_a_latin_script_name_and_show_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("people.tsv"), "id\tname\ttype\nQ5\tВолков\tperson\nQ6\tВасилий\tperson\nQ6\tVasily\tperson\n").unwrap();
        let (gaz, _) = build(&[dir.path().to_path_buf()]).unwrap();
        assert!(!gaz.ids().contains("Q5"), "no name English news could use");
        let vasily = gaz.entry(gaz.lookup("vasily")[0].0);
        assert_eq!((vasily.id.as_str(), vasily.name.as_str()), ("Q6", "Vasily"));
    }

    #[test]
    fn a_user_entry_with_an_unknown_type_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bad.tsv"), "id\tname\ttype\nQ1\tX\tplanet\n").unwrap();
        let err = build(&[dir.path().to_path_buf()]).unwrap_err();
        assert!(format!("{err:#}").contains("unknown type"), "{err:#}");
    }

    /// Invented countries, subdivisions and cities in the source families' own file formats.
    fn write_place_sources(dir: &Path) {
        std::fs::write(
            dir.join("countries_dr5hn.jsonl"),
            r#"{"qid": "Q1", "name": "Freedonia", "iso2": "FD", "iso3": "FRD", "nationality": "Freedonian", "capital": "Riverton", "population": 5000000}
{"qid": "Q2", "name": "Porto Bello", "iso2": "PB", "iso3": "PBL", "nationality": "Porto Bellan", "capital": "Porto Bello", "population": 500000}
"#,
        )
        .unwrap();
        std::fs::write(
            dir.join("states_dr5hn.csv"),
            "id,name,country_id,country_code,country_name,iso2,iso3166_2,fips_code,type,level,parent_id,native,latitude,longitude,timezone,wikiDataId,population\n\
             1,Englund,1,FD,Freedonia,ENG,FD-ENG,,country,,,,50.0,1.0,,Q10,\n\
             2,Scotia,1,FD,Freedonia,SCO,FD-SCO,,country,,,,56.0,-4.0,,Q11,\n\
             3,DKI Riverton,1,FD,Freedonia,RV,FD-RV,,capital district,,,,10.0,20.0,,Q12,\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("cities15000_geonames.tsv"),
            "geonameid\tname\tcountry\tadmin1\tpopulation\tlat\tlon\twikidata\tlatin_alternate_names\n\
             100\tRiverton\tFD\tRV\t2000000\t10.1\t20.1\t\t\n\
             101\tJambton\tFD\t\t50000\t30.0\t30.0\tQ12\t\n\
             102\tPorto Bello\tPB\t\t400000\t5.0\t5.0\t\t\n\
             103\tFreedonia City\tFD\t\t30000\t40.0\t40.0\t\t\n",
        )
        .unwrap();
        std::fs::write(dir.join("countrynames_variants.yaml"), "FD:\n  - Englese\n  - Freedonish\nFD-SCO:\n  - Scotish\n  - Lothian\n").unwrap();
    }

    #[test]
    fn place_sources_give_capital_districts_city_states_and_part_demonyms_their_ids() {
        let dir = tempfile::tempdir().unwrap();
        write_place_sources(dir.path());
        let (gaz, _) = build(&[dir.path().to_path_buf()]).unwrap();
        let ids = |key: &str| -> Vec<(String, Via)> { gaz.lookup(key).into_iter().map(|(e, via)| (gaz.entry(e).id.clone(), via)).collect() };
        // A capital district is the capital: Riverton takes the QID of `DKI Riverton`, and the
        // smaller town whose joined QID was that one falls back to its GeoNames id.
        assert!(ids("riverton").contains(&("Q12".to_string(), Via::Name)), "{:?}", ids("riverton"));
        assert_eq!(ids("jambton"), vec![("geonames:101".to_string(), Via::Name)]);
        // A city-state without a QID of its own is its country's entry.
        assert_eq!(ids("porto bello"), vec![("Q2".to_string(), Via::Name)]);
        // `Freedonia City` is not written `Freedonia`: that is the country.
        assert_eq!(ids("freedonia"), vec![("Q1".to_string(), Via::Name)]);
        // A broad-list demonym whose stem names one part of the country is that part's; one
        // that shares the country's name stays with it.
        assert_eq!(ids("englese"), vec![("Q10".to_string(), Via::Demonym)]);
        assert_eq!(ids("freedonish"), vec![("Q1".to_string(), Via::Demonym)]);
        // Demonyms listed under a subdivision's ISO code go to it; district names do not.
        assert_eq!(ids("scotish"), vec![("Q11".to_string(), Via::Demonym)]);
        assert!(ids("lothian").is_empty());
    }

    #[test]
    fn package_sources_give_cities_continents_and_past_states_qids() {
        let dir = tempfile::tempdir().unwrap();
        write_place_sources(dir.path());
        // dr5hn cities: Freedonia City gets Q30 (same country, name and spot); the two rows
        // sharing Q31 give Jambton nothing; Hamlet is a small place of its own with its region
        // as context.
        std::fs::write(
            dir.path().join("dr5hn_cities.json"),
            r#"[{"name": "Freedonia City", "state_id": 1, "country_code": "FD", "latitude": "40.1", "longitude": "40.1", "wikiDataId": "Q30"},
                {"name": "Jambton", "state_id": 1, "country_code": "FD", "latitude": "30.0", "longitude": "30.0", "wikiDataId": "Q31"},
                {"name": "Jambton East", "state_id": 1, "country_code": "FD", "latitude": "31.0", "longitude": "30.0", "wikiDataId": "Q31"},
                {"name": "Hamlet", "state_id": 2, "country_code": "FD", "latitude": "56.0", "longitude": "-4.0", "wikiDataId": "Q32"}]"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("dr5hn_regions.json"), r#"[{"id": 1, "name": "Europa", "wikiDataId": "Q46"}]"#).unwrap();
        std::fs::write(dir.path().join("dr5hn_subregions.json"), r#"[{"id": 2, "name": "Central Europa", "wikiDataId": "Q27"}]"#).unwrap();
        std::fs::write(
            dir.path().join("histwardb_crosswalk.csv"),
            "country_qid,country,cow_code,cow_name,gw_code,match,note
Q1,Freedonia,1,Freedonia,1,name,
Q40,Old Freedonia,1,Freedonia,1,manual,
Q41,Freedonia,,,,,
",
        )
        .unwrap();
        let (gaz, _) = build_with(&[dir.path().to_path_buf()], 0.0).unwrap();
        let ids = |key: &str| -> Vec<String> { gaz.lookup(key).into_iter().map(|(e, _)| gaz.entry(e).id.clone()).collect() };
        assert_eq!(ids("freedonia city"), vec!["Q30".to_string()]);
        assert_eq!(ids("jambton"), vec!["geonames:101".to_string()]);
        let hamlet = gaz.entry(gaz.lookup("hamlet")[0].0);
        assert_eq!((hamlet.id.as_str(), hamlet.context.as_slice()), ("Q32", &["Q1".to_string(), "Q11".to_string()][..]));
        assert_eq!((ids("europa"), ids("central europa")), (vec!["Q46".to_string()], vec!["Q27".to_string()]));
        // A past state joins; one named as a present country does not shadow it.
        assert_eq!(ids("old freedonia"), vec!["Q40".to_string()]);
        assert_eq!(ids("freedonia"), vec!["Q1".to_string()]);
    }

    #[test]
    fn more_sources_raise_a_prior_without_reaching_one() {
        let mut b = GazetteerBuilder::default();
        b.set_source(0);
        b.add(Entry::new("Q1", "Big", Kind::Country, 1.0));
        b.add(Entry::new("Q2", "Listed twice", Kind::City, 0.5));
        b.add(Entry::new("Q3", "Listed once", Kind::City, 0.5));
        b.set_source(1);
        b.add(Entry::new("Q1", "Big", Kind::Country, 1.0));
        b.add(Entry::new("Q2", "Listed twice", Kind::City, 0.5));
        b.add(Entry::new("Q2", "Listed twice", Kind::City, 0.5));
        b.add_source_count_prior(0.1);
        let g = b.finish();
        let prior = |key: &str| g.entry(g.lookup(key)[0].0).prior;
        assert_eq!(prior("big"), 1.0);
        assert!((prior("listed twice") - 0.55).abs() < 1e-6, "one more source family, however many rows");
        assert_eq!(prior("listed once"), 0.5);
    }

    #[test]
    fn city_designators_and_demonym_stems() {
        assert_eq!(places::without_city_designator("minsk city"), "minsk");
        assert_eq!(places::without_city_designator("bogota dc"), "bogota");
        assert_eq!(places::without_city_designator("dki jakarta"), "jakarta");
        assert_eq!(places::without_city_designator("kansas"), "kansas");
    }

    #[test]
    fn city_ids_fall_back_when_the_joined_qid_is_doubtful() {
        use places::{choose_city_id, CityId};
        // A sound QID is kept, even where a subdivision shares the name (City of London).
        assert_eq!(choose_city_id("2643743", "Q84", 8_961_989.0, true, Some("Q23311"), false), ("Q84".into(), CityId::Table));
        // A capital with an implausibly recent QID takes its city subdivision's (Yerevan).
        assert_eq!(choose_city_id("616052", "Q2222448", 1_093_485.0, true, Some("Q1953"), false), ("Q1953".into(), CityId::Subdivision));
        // ... or the GeoNames id when there is none.
        assert_eq!(choose_city_id("703448", "Q517568", 2_797_553.0, true, None, false), ("geonames:703448".into(), CityId::GeoNames));
        // A QID a more populous row also has is not this city's.
        assert_eq!(choose_city_id("611694", "Q2474275", 20_000.0, false, None, true), ("geonames:611694".into(), CityId::GeoNames));
        assert_eq!(choose_city_id("524901", "", 10_381_222.0, true, Some("Q649"), false), ("Q649".into(), CityId::Subdivision));
        assert_eq!(choose_city_id("1", "", 20_000.0, false, None, false), ("geonames:1".into(), CityId::Missing));
        // A city of 100,000 or more with an item made after Wikidata's first import was joined to
        // another thing at the same spot (a borough, a bot article from GeoNames): GeoNames id.
        assert_eq!(choose_city_id("7", "Q21000001", 250_000.0, false, None, false), ("geonames:7".into(), CityId::GeoNames));
        assert_eq!(choose_city_id("7", "Q9999999", 250_000.0, false, None, false), ("Q9999999".into(), CityId::Table));
        // A small town's recent item is not judged: small places got items late.
        assert_eq!(choose_city_id("8", "Q21000001", 40_000.0, false, None, false), ("Q21000001".into(), CityId::Table));
    }

    #[test]
    fn city_qid_plausibility_by_size() {
        use places::{plausible_city_qid, MAJOR_US_CITY_QID_PLAUSIBLE_BELOW};
        assert!(plausible_city_qid("Q99999", 50_000.0, true, 10_000_000));
        assert!(!plausible_city_qid("Q100000", 50_000.0, true, 10_000_000));
        assert!(plausible_city_qid("Q3000000", 500_000.0, false, 10_000_000));
        assert!(!plausible_city_qid("Q3000000", 500_000.0, false, MAJOR_US_CITY_QID_PLAUSIBLE_BELOW));
        assert!(plausible_city_qid("Q3000000", 99_999.0, false, MAJOR_US_CITY_QID_PLAUSIBLE_BELOW));
        assert!(!plausible_city_qid("geonames:1", 10.0, false, 10_000_000));
    }
}
