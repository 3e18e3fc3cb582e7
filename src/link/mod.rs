//! Entity linking: each entity mention gets the gazetteer entry it names, or stays unlinked.
//!
//! [`gazetteer`] builds and loads the Wikidata-keyed gazetteer; [`linker::Linker`] links one
//! document at a time; [`normalize`] is the name normal form both share.

pub mod gazetteer;
pub mod linker;
pub mod normalize;
pub mod sport;

pub use gazetteer::Gazetteer;
pub use linker::Linker;
