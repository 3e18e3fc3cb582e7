//! One table written twice as it streams: CSV row by row, Parquet a row group at a time.
//!
//! Parquet goes through the `parquet` crate's own column writers, without Arrow (which would
//! add a dozen crates to the build for nothing the tables need). Columns are UTF-8 strings,
//! 64-bit integers and dates (Parquet DATE: days since 1970-01-01), with Snappy compression,
//! which DuckDB, Polars, pandas and Spark all read.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use bytes::Bytes;
use parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

/// Rows buffered per Parquet row group, and the text bytes that close one early (long quotes).
const ROW_GROUP_ROWS: usize = 100_000;
const ROW_GROUP_BYTES: usize = 16 << 20;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Text or null (an empty CSV field).
    OptText,
    Int,
    /// A date or null, given as `yyyymmdd`; ISO `yyyy-mm-dd` in CSV.
    Date,
}

/// One value of a row, in the order of the table's columns.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    Text(&'a str),
    OptText(Option<&'a str>),
    Int(u64),
    Date(Option<u32>),
}

/// A column's values of the row group being filled, with null flags (definition levels). Text
/// is kept in one buffer with the end of each value, so that a row costs no allocation.
enum Values {
    Text { data: Vec<u8>, ends: Vec<usize> },
    Int(Vec<i64>),
    Date(Vec<i32>),
}

struct Column {
    kind: Kind,
    values: Values,
    defined: Vec<i16>,
}

pub struct TableWriter {
    csv: csv::Writer<BufWriter<File>>,
    parquet: SerializedFileWriter<BufWriter<File>>,
    columns: Vec<Column>,
    rows: usize,
    buffered_rows: usize,
    paths: [PathBuf; 2],
}

impl TableWriter {
    /// Creates `DIR/NAME.csv` and `DIR/NAME.parquet` with the given columns.
    pub fn create(dir: &Path, name: &str, columns: &[(&str, Kind)]) -> Result<TableWriter> {
        let csv_path = dir.join(format!("{name}.csv"));
        let parquet_path = dir.join(format!("{name}.parquet"));
        let create = |p: &Path| File::create(p).map(|f| BufWriter::with_capacity(1 << 20, f)).with_context(|| format!("cannot write {}", p.display()));
        let mut csv = csv::Writer::from_writer(create(&csv_path)?);
        csv.write_record(columns.iter().map(|(n, _)| n))?;
        let fields = columns.iter().map(|&(n, kind)| Arc::new(parquet_field(n, kind))).collect();
        let schema = Arc::new(Type::group_type_builder(name).with_fields(fields).build()?);
        let props = Arc::new(WriterProperties::builder().set_compression(Compression::SNAPPY).set_created_by(format!("byline {}", env!("CARGO_PKG_VERSION"))).build());
        let parquet = SerializedFileWriter::new(create(&parquet_path)?, schema, props)?;
        let columns = columns
            .iter()
            .map(|&(_, kind)| Column {
                kind,
                values: match kind {
                    Kind::Text | Kind::OptText => Values::Text { data: Vec::new(), ends: Vec::new() },
                    Kind::Int => Values::Int(Vec::new()),
                    Kind::Date => Values::Date(Vec::new()),
                },
                defined: Vec::new(),
            })
            .collect();
        Ok(TableWriter { csv, parquet, columns, rows: 0, buffered_rows: 0, paths: [csv_path, parquet_path] })
    }

    /// Appends a row; its cells must match the columns in number and kind.
    pub fn row(&mut self, cells: &[Cell]) -> Result<()> {
        assert_eq!(cells.len(), self.columns.len(), "a row of the wrong width");
        for (cell, column) in cells.iter().zip(&mut self.columns) {
            match (*cell, &mut column.values) {
                (Cell::Text(s), Values::Text { data, ends }) => {
                    self.csv.write_field(s)?;
                    data.extend_from_slice(s.as_bytes());
                    ends.push(data.len());
                }
                (Cell::OptText(s), Values::Text { data, ends }) => {
                    self.csv.write_field(s.unwrap_or(""))?;
                    column.defined.push(s.is_some() as i16);
                    if let Some(s) = s {
                        data.extend_from_slice(s.as_bytes());
                        ends.push(data.len());
                    }
                }
                (Cell::Int(n), Values::Int(v)) => {
                    self.csv.write_field(n.to_string())?;
                    v.push(n as i64);
                }
                (Cell::Date(d), Values::Date(v)) => {
                    let days = d.and_then(epoch_days);
                    self.csv.write_field(d.filter(|_| days.is_some()).map(iso_date).unwrap_or_default())?;
                    column.defined.push(days.is_some() as i16);
                    v.extend(days);
                }
                (cell, _) => panic!("cell {cell:?} does not fit a {:?} column", column.kind),
            }
        }
        self.csv.write_record(None::<&[u8]>)?;
        self.rows += 1;
        self.buffered_rows += 1;
        let buffered_bytes: usize = self.columns.iter().map(|c| if let Values::Text { data, .. } = &c.values { data.len() } else { 0 }).sum();
        if self.buffered_rows >= ROW_GROUP_ROWS || buffered_bytes >= ROW_GROUP_BYTES {
            self.flush_row_group()?;
        }
        Ok(())
    }

    fn flush_row_group(&mut self) -> Result<()> {
        if self.buffered_rows == 0 {
            return Ok(());
        }
        let mut group = self.parquet.next_row_group()?;
        let mut columns = self.columns.iter_mut();
        while let Some(mut writer) = group.next_column()? {
            let column = columns.next().expect("one buffer per schema column");
            let defined = (column.kind != Kind::Text && column.kind != Kind::Int).then_some(column.defined.as_slice());
            match &mut column.values {
                Values::Text { data, ends } => {
                    // Slices of one shared buffer: the values are not copied again.
                    let all = Bytes::from(std::mem::take(data));
                    let values: Vec<ByteArray> = ends.iter().scan(0, |start, &end| Some(ByteArray::from(all.slice(std::mem::replace(start, end)..end)))).collect();
                    writer.typed::<ByteArrayType>().write_batch(&values, defined, None)?;
                    ends.clear();
                }
                Values::Int(v) => {
                    writer.typed::<Int64Type>().write_batch(v, defined, None)?;
                    v.clear();
                }
                Values::Date(v) => {
                    writer.typed::<Int32Type>().write_batch(v, defined, None)?;
                    v.clear();
                }
            };
            writer.close()?;
            column.defined.clear();
        }
        group.close()?;
        self.buffered_rows = 0;
        Ok(())
    }

    /// Writes what is buffered and closes both files; returns the number of rows.
    pub fn finish(mut self) -> Result<usize> {
        self.flush_row_group()?;
        self.csv.flush().with_context(|| format!("cannot write {}", self.paths[0].display()))?;
        self.parquet.close().with_context(|| format!("cannot write {}", self.paths[1].display()))?;
        Ok(self.rows)
    }
}

fn parquet_field(name: &str, kind: Kind) -> Type {
    let (physical, logical, repetition) = match kind {
        Kind::Text => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String), Repetition::REQUIRED),
        Kind::OptText => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String), Repetition::OPTIONAL),
        Kind::Int => (PhysicalType::INT64, None, Repetition::REQUIRED),
        Kind::Date => (PhysicalType::INT32, Some(LogicalType::Date), Repetition::OPTIONAL),
    };
    Type::primitive_type_builder(name, physical).with_logical_type(logical).with_repetition(repetition).build().expect("a valid column type")
}

/// `yyyymmdd` as `yyyy-mm-dd`.
pub fn iso_date(d: u32) -> String {
    format!("{:04}-{:02}-{:02}", d / 10_000, d / 100 % 100, d % 100)
}

/// Days from 1970-01-01 to the date `yyyymmdd`, or `None` when it is no calendar date.
pub fn epoch_days(d: u32) -> Option<i32> {
    let (y, m, day) = ((d / 10_000) as i64, (d / 100 % 100) as i64, (d % 100) as i64);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || day < 1 || day > month_days[m as usize - 1] {
        return None;
    }
    // Days from civil (proleptic Gregorian), counting years from March so leap days fall last.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((m + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    i32::try_from(era * 146_097 + day_of_era - 719_468).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_convert_to_days_since_the_epoch() {
        assert_eq!(epoch_days(19700101), Some(0));
        assert_eq!(epoch_days(20000301), Some(11017));
        assert_eq!(epoch_days(20240229), Some(19782));
        assert_eq!(epoch_days(19691231), Some(-1));
        assert_eq!(epoch_days(20230229), None);
        assert_eq!(epoch_days(20231301), None);
        assert_eq!(epoch_days(20230100), None);
        assert_eq!(iso_date(20240229), "2024-02-29");
    }
}
