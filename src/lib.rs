//! byline: batch annotation of news text.
//!
//! The data flows one way, one module per stage over the shared [`document::Document`]:
//!
//! ```text
//! ingest → segment → ner → quotes → link → identity → output
//! ```
//!
//! [`pipeline`] strings the stages together for `byline annotate`; [`eval`] scores output
//! against gold annotations; [`train`] fine-tunes the NER model; [`report`] turns a corpus's
//! output into tables; [`view`] draws output as an HTML page.

pub mod document;
pub mod eval;
pub mod identity;
pub mod ingest;
pub mod link;
pub mod ner;
pub mod output;
pub mod pipeline;
pub mod quotes;
pub mod report;
pub mod segment;
pub mod train;
pub mod view;
