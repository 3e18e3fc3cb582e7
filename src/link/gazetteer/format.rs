//! The compiled gazetteer file: a magic line, then a gzip stream of length-prefixed records.
//! A hand-rolled layout keeps loading a single pass over bytes with no schema machinery, and
//! gzip keeps the committed artefact small.
//!
//! ```text
//! "BYLINE-GAZETTEER 1\n"
//! gzip( count:varint, then per entry:
//!       id:str name:str kind:u8 prior:f32le
//!       context:varint×str terms:varint×(start:varint end:varint) aliases:varint×(key:str via:u8) )
//! str = byte length as varint, then UTF-8
//! ```

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

use super::{Entry, Gazetteer, Kind, Term, Via};

const MAGIC: &[u8] = b"BYLINE-GAZETTEER 1\n";

pub fn write(path: &Path, entries: &[Entry]) -> Result<()> {
    let file = File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut out = BufWriter::new(file);
    out.write_all(MAGIC)?;
    let mut buf = Vec::new();
    varint(&mut buf, entries.len() as u64);
    for e in entries {
        string(&mut buf, &e.id);
        string(&mut buf, &e.name);
        buf.push(Kind::ALL.iter().position(|k| *k == e.kind).expect("every kind is listed") as u8);
        buf.extend_from_slice(&e.prior.to_le_bytes());
        varint(&mut buf, e.context.len() as u64);
        for c in &e.context {
            string(&mut buf, c);
        }
        varint(&mut buf, e.terms.len() as u64);
        for t in &e.terms {
            varint(&mut buf, t.start as u64);
            varint(&mut buf, t.end as u64);
        }
        varint(&mut buf, e.aliases.len() as u64);
        for (key, via) in &e.aliases {
            string(&mut buf, key);
            buf.push(*via as u8);
        }
    }
    let mut gz = GzEncoder::new(out, Compression::best());
    gz.write_all(&buf)?;
    gz.finish()?.flush()?;
    Ok(())
}

pub fn read(path: &Path) -> Result<Gazetteer> {
    let mut bytes = Vec::new();
    File::open(path)
        .with_context(|| format!("cannot open the gazetteer {}", path.display()))?
        .read_to_end(&mut bytes)?;
    let Some(body) = bytes.strip_prefix(MAGIC) else {
        bail!("{} is not a byline gazetteer (or was built by another version)", path.display());
    };
    let mut buf = Vec::with_capacity(body.len() * 4);
    GzDecoder::new(body).read_to_end(&mut buf).with_context(|| format!("{} is damaged", path.display()))?;
    decode(&buf).with_context(|| format!("{} is damaged", path.display()))
}

fn decode(buf: &[u8]) -> Result<Gazetteer> {
    let mut r = Reader { buf, pos: 0 };
    let n = r.varint()? as usize;
    let mut entries = Vec::with_capacity(n);
    for _ in 0..n {
        let id = r.string()?;
        let name = r.string()?;
        let kind = *Kind::ALL.get(r.byte()? as usize).context("unknown kind")?;
        let prior = f32::from_le_bytes(r.take(4)?.try_into().expect("4 bytes"));
        let context = (0..r.varint()?).map(|_| r.string()).collect::<Result<_>>()?;
        let terms = (0..r.varint()?)
            .map(|_| Ok(Term { start: r.varint()? as u32, end: r.varint()? as u32 }))
            .collect::<Result<_>>()?;
        let aliases = (0..r.varint()?)
            .map(|_| Ok((r.string()?, Via::from_u8(r.byte()?).context("unknown alias kind")?)))
            .collect::<Result<_>>()?;
        entries.push(Entry { id, name, kind, prior, context, terms, aliases });
    }
    if r.pos != buf.len() {
        bail!("trailing bytes after {n} entries");
    }
    Ok(Gazetteer::new(entries))
}

fn varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn string(buf: &mut Vec<u8>, s: &str) {
    varint(buf, s.len() as u64);
    buf.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len()).context("truncated")?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn byte(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn varint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= ((b & 0x7f) as u64) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        bail!("overlong number")
    }
    fn string(&mut self) -> Result<String> {
        let n = self.varint()? as usize;
        Ok(std::str::from_utf8(self.take(n)?)?.to_string())
    }
}
