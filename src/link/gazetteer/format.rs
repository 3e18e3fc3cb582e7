//! The compiled gazetteer: one flat little-endian file that is used in place, memory-mapped,
//! so that loading costs no decoding and the pages are shared by every process on the
//! machine (shards, parallel runs). Git holds it xz-compressed (`gazetteer.bin.xz`; a `.gz` from
//! earlier builds is read too); the first load unpacks it beside itself as
//! `gazetteer.<crc><len>.bin`, named by the compressed file's CRC-32 and length (or, where that
//! folder is read-only, under the user's cache), and later loads map that file.
//!
//! ```text
//! "BYLINE-GAZETTEER 2\n" padded to 24 bytes
//! n_entries n_contexts n_terms n_aliases strings_len 0          6 × u32
//! entries   n_entries × (id:str name:str prior:f32 kind:u32
//!                        contexts:range terms:range aliases:range)   48 bytes each
//! contexts  n_contexts × str
//! terms     n_terms × (start:u32 end:u32)
//! aliases   n_aliases × (key:str via:u32)
//! index     n_aliases × (hash:u64 entry:u32 alias:u32), sorted by hash
//! strings   strings_len bytes of UTF-8
//! str = (offset:u32 length:u32) into strings; range = (first:u32 count:u32)
//! ```
//!
//! The index hash is FNV-1a over the alias key, so that it is the same on every build.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use flate2::read::GzDecoder;
use xz2::read::XzDecoder;
use xz2::stream::{Check, Filters, LzmaOptions, Stream};
use xz2::write::XzEncoder;

use super::{Entry, Kind, Term, Via};

const MAGIC: &[u8] = b"BYLINE-GAZETTEER 2\n";
const HEADER: usize = 48;
const ENTRY: usize = 48;
const STR: usize = 8;
const TERM: usize = 8;
const ALIAS: usize = 12;
const INDEX: usize = 16;

/// FNV-1a, 64 bits: a hash that does not change between builds or Rust versions.
pub fn key_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Lays entries out in the file format.
pub fn encode(entries: &[Entry]) -> Vec<u8> {
    let mut strings: Vec<u8> = Vec::new();
    let mut interned: HashMap<&str, (u32, u32)> = HashMap::new();
    let (mut ent, mut ctx, mut terms, mut aliases, mut index) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut n_ctx, mut n_terms, mut n_aliases) = (0u32, 0u32, 0u32);
    for (i, e) in entries.iter().enumerate() {
        let id = intern(&mut interned, &mut strings, &e.id);
        let name = intern(&mut interned, &mut strings, &e.name);
        for v in [id.0, id.1, name.0, name.1] {
            ent.extend_from_slice(&v.to_le_bytes());
        }
        ent.extend_from_slice(&e.prior.to_le_bytes());
        ent.extend_from_slice(
            &(Kind::ALL
                .iter()
                .position(|k| *k == e.kind)
                .expect("every kind is listed") as u32)
                .to_le_bytes(),
        );
        for (first, count) in [
            (n_ctx, e.context.len()),
            (n_terms, e.terms.len()),
            (n_aliases, e.aliases.len()),
        ] {
            ent.extend_from_slice(&first.to_le_bytes());
            ent.extend_from_slice(&(count as u32).to_le_bytes());
        }
        for c in &e.context {
            let s = intern(&mut interned, &mut strings, c);
            ctx.extend_from_slice(&s.0.to_le_bytes());
            ctx.extend_from_slice(&s.1.to_le_bytes());
        }
        for t in &e.terms {
            terms.extend_from_slice(&t.start.to_le_bytes());
            terms.extend_from_slice(&t.end.to_le_bytes());
        }
        for (a, (key, via)) in e.aliases.iter().enumerate() {
            let s = intern(&mut interned, &mut strings, key);
            aliases.extend_from_slice(&s.0.to_le_bytes());
            aliases.extend_from_slice(&s.1.to_le_bytes());
            aliases.extend_from_slice(&(*via as u32).to_le_bytes());
            index.push((key_hash(key), i as u32, a as u32));
        }
        n_ctx += e.context.len() as u32;
        n_terms += e.terms.len() as u32;
        n_aliases += e.aliases.len() as u32;
    }
    index.sort_unstable();
    let mut out = Vec::with_capacity(
        HEADER
            + ent.len()
            + ctx.len()
            + terms.len()
            + aliases.len()
            + index.len() * INDEX
            + strings.len(),
    );
    out.extend_from_slice(MAGIC);
    out.resize(24, 0);
    for v in [
        entries.len() as u32,
        n_ctx,
        n_terms,
        n_aliases,
        strings.len() as u32,
        0,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for section in [&ent, &ctx, &terms, &aliases] {
        out.extend_from_slice(section);
    }
    for (h, e, a) in index {
        out.extend_from_slice(&h.to_le_bytes());
        out.extend_from_slice(&e.to_le_bytes());
        out.extend_from_slice(&a.to_le_bytes());
    }
    out.extend_from_slice(&strings);
    out
}

/// A string's place in the strings section, each distinct string stored once (context ids
/// such as `Q30` recur thousands of times).
fn intern<'a>(
    interned: &mut HashMap<&'a str, (u32, u32)>,
    strings: &mut Vec<u8>,
    s: &'a str,
) -> (u32, u32) {
    *interned.entry(s).or_insert_with(|| {
        let at = strings.len() as u32;
        strings.extend_from_slice(s.as_bytes());
        (at, s.len() as u32)
    })
}

/// The bytes of a compiled gazetteer: in memory (just built, or unpacked where no file could
/// be written) or mapped from a file.
pub enum Bytes {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(m) => m,
        }
    }
}

/// Section offsets of a checked file.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub n_entries: usize,
    pub n_aliases: usize,
    pub entries: usize,
    pub contexts: usize,
    pub terms: usize,
    pub aliases: usize,
    pub index: usize,
    pub strings: usize,
    pub strings_len: usize,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

impl Layout {
    /// The length a file must have by its header (which is all `b` needs to hold), or `None`
    /// where `b` does not start with this version's header.
    fn sections_len(b: &[u8]) -> Option<usize> {
        if b.len() < HEADER || &b[..MAGIC.len()] != MAGIC {
            return None;
        }
        let n = |i: usize| u32_at(b, 24 + 4 * i) as usize;
        let (n_entries, n_contexts, n_terms, n_aliases, strings_len) = (n(0), n(1), n(2), n(3), n(4));
        Some(HEADER + n_entries * ENTRY + n_contexts * STR + n_terms * TERM + n_aliases * (ALIAS + INDEX) + strings_len)
    }

    /// Checks the header, the section sizes against the file's length and every reference
    /// into another section, so that reading the file later cannot go out of bounds.
    pub fn check(b: &[u8]) -> Result<Layout> {
        let Some(total) = Self::sections_len(b) else {
            bail!("not a byline gazetteer (or one built by another version: rebuild it with `byline gazetteer build`)");
        };
        if total != b.len() {
            bail!("damaged: its sections do not add up to its length");
        }
        let n = |i: usize| u32_at(b, 24 + 4 * i) as usize;
        let (n_entries, n_contexts, n_terms, n_aliases, strings_len) =
            (n(0), n(1), n(2), n(3), n(4));
        let entries = HEADER;
        let contexts = entries + n_entries * ENTRY;
        let terms = contexts + n_contexts * STR;
        let aliases = terms + n_terms * TERM;
        let index = aliases + n_aliases * ALIAS;
        let strings = index + n_aliases * INDEX;
        let layout = Layout {
            n_entries,
            n_aliases,
            entries,
            contexts,
            terms,
            aliases,
            index,
            strings,
            strings_len,
        };
        let text = std::str::from_utf8(&b[strings..])
            .map_err(|_| anyhow::anyhow!("damaged: its strings are not UTF-8"))?;
        let str_ok = |at: usize| {
            let (o, l) = (u32_at(b, at) as usize, u32_at(b, at + 4) as usize);
            o.checked_add(l).is_some_and(|end| {
                end <= strings_len && text.is_char_boundary(o) && text.is_char_boundary(end)
            })
        };
        for i in 0..n_entries {
            let e = entries + i * ENTRY;
            let range_ok = |at: usize, total: usize| {
                (u32_at(b, at) as usize)
                    .checked_add(u32_at(b, at + 4) as usize)
                    .is_some_and(|end| end <= total)
            };
            if !(str_ok(e) && str_ok(e + 8) && (u32_at(b, e + 20) as usize) < Kind::ALL.len())
                || !(range_ok(e + 24, n_contexts)
                    && range_ok(e + 32, n_terms)
                    && range_ok(e + 40, n_aliases))
            {
                bail!("damaged: entry {i} points outside the file");
            }
        }
        for i in 0..n_contexts {
            if !str_ok(contexts + i * STR) {
                bail!("damaged: context {i} points outside the file");
            }
        }
        for i in 0..n_aliases {
            let a = aliases + i * ALIAS;
            if !str_ok(a) || (u32_at(b, a + 8) as usize) >= Via::ALL.len() {
                bail!("damaged: alias {i} points outside the file");
            }
            let x = index + i * INDEX;
            let (entry, alias) = (u32_at(b, x + 8) as usize, u32_at(b, x + 12) as usize);
            if entry >= n_entries || alias >= u32_at(b, entries + entry * ENTRY + 44) as usize {
                bail!("damaged: index row {i} points outside the file");
            }
        }
        Ok(layout)
    }

    pub fn str<'a>(&self, b: &'a [u8], at: usize) -> &'a str {
        let (o, l) = (u32_at(b, at) as usize, u32_at(b, at + 4) as usize);
        let s = &b[self.strings + o..self.strings + o + l];
        // `check` proved every string reference valid UTF-8 on character boundaries.
        std::str::from_utf8(s).unwrap_or_default()
    }

    fn entry_at(&self, i: u32) -> usize {
        self.entries + i as usize * ENTRY
    }

    pub fn id<'a>(&self, b: &'a [u8], i: u32) -> &'a str {
        self.str(b, self.entry_at(i))
    }

    pub fn kind(&self, b: &[u8], i: u32) -> Kind {
        Kind::ALL[u32_at(b, self.entry_at(i) + 20) as usize]
    }

    /// The entry's alias number `a` (its key, and how it names the entry).
    fn alias(&self, b: &[u8], i: u32, a: u32) -> (usize, Via) {
        let first = u32_at(b, self.entry_at(i) + 40) as usize;
        let at = self.aliases + (first + a as usize) * ALIAS;
        (at, Via::ALL[u32_at(b, at + 8) as usize])
    }

    /// Decodes one entry.
    pub fn entry(&self, b: &[u8], i: u32) -> Entry {
        let e = self.entry_at(i);
        let range = |at: usize| (u32_at(b, at) as usize, u32_at(b, at + 4) as usize);
        let (c0, cn) = range(e + 24);
        let (t0, tn) = range(e + 32);
        let (a0, an) = range(e + 40);
        Entry {
            id: self.str(b, e).to_string(),
            name: self.str(b, e + 8).to_string(),
            kind: self.kind(b, i),
            prior: f32::from_le_bytes(b[e + 16..e + 20].try_into().expect("4 bytes")),
            context: (c0..c0 + cn)
                .map(|c| self.str(b, self.contexts + c * STR).to_string())
                .collect(),
            terms: (t0..t0 + tn)
                .map(|t| Term {
                    start: u32_at(b, self.terms + t * TERM),
                    end: u32_at(b, self.terms + t * TERM + 4),
                })
                .collect(),
            aliases: (a0..a0 + an)
                .map(|a| {
                    let at = self.aliases + a * ALIAS;
                    (
                        self.str(b, at).to_string(),
                        Via::ALL[u32_at(b, at + 8) as usize],
                    )
                })
                .collect(),
        }
    }

    /// The entries an alias key names, with how each is named.
    pub fn lookup(&self, b: &[u8], key: &str) -> Vec<(u32, Via)> {
        let h = key_hash(key);
        let hash_at = |row: usize| {
            u64::from_le_bytes(
                b[self.index + row * INDEX..self.index + row * INDEX + 8]
                    .try_into()
                    .expect("8 bytes"),
            )
        };
        let (mut lo, mut hi) = (0, self.n_aliases);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if hash_at(mid) < h {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let mut out = Vec::new();
        for row in (lo..self.n_aliases).take_while(|&r| hash_at(r) == h) {
            let x = self.index + row * INDEX;
            let (entry, alias) = (u32_at(b, x + 8), u32_at(b, x + 12));
            let (at, via) = self.alias(b, entry, alias);
            if self.str(b, at) == key {
                out.push((entry, via));
            }
        }
        out
    }
}

/// Writes the xz-compressed file that git holds: xz's strongest preset (lzma2, level 9) with a
/// dictionary the size of the input rather than 64 MiB, which compresses the same and needs
/// memory in proportion to the gazetteer, here and when unpacking. Deterministic: liblzma is
/// built from the xz2 crate's own source, and runs on one thread.
pub fn write_compressed(path: &Path, bytes: &[u8]) -> Result<()> {
    let dict = bytes.len().clamp(4096, 64 << 20) as u32;
    let mut options = LzmaOptions::new_preset(9)?;
    options.dict_size(dict);
    let mut filters = Filters::new();
    filters.lzma2(&options);
    let stream = Stream::new_stream_encoder(&filters, Check::Crc64)?;
    let file = File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut xz = XzEncoder::new_stream(std::io::BufWriter::new(file), stream);
    xz.write_all(bytes)?;
    xz.finish()?.flush()?;
    Ok(())
}

/// The name of the unpacked copy of a compressed file: the CRC-32 and length of the compressed
/// file tell one build from another.
fn unpacked_name(compressed: &Path) -> Result<String> {
    let mut file = File::open(compressed)
        .with_context(|| format!("cannot open the gazetteer {}", compressed.display()))?;
    let (mut crc, mut len, mut buf) = (crc32fast::Hasher::new(), 0u64, vec![0u8; 1 << 16]);
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        crc.update(&buf[..n]);
        len += n as u64;
    }
    Ok(format!("gazetteer.{:08x}{:08x}.bin", crc.finalize(), len as u32))
}

/// Whether an unpacked copy is whole: its header's sections add up to its length (a disk
/// that filled up leaves a shorter file).
fn is_whole(path: &Path) -> bool {
    let mut header = [0u8; HEADER];
    let Ok(len) = std::fs::metadata(path).map(|m| m.len()) else {
        return false;
    };
    File::open(path).and_then(|mut f| f.read_exact(&mut header)).is_ok()
        && Layout::sections_len(&header).is_some_and(|n| n as u64 == len)
}

fn map(path: &Path) -> Result<Bytes> {
    let file = File::open(path)
        .with_context(|| format!("cannot open the gazetteer {}", path.display()))?;
    // SAFETY: the file is only ever replaced by renaming a new one over it, never written in
    // place, so the mapped pages do not change under the reader.
    let map = unsafe { memmap2::Mmap::map(&file) }
        .with_context(|| format!("cannot map {}", path.display()))?;
    Ok(Bytes::Mapped(map))
}

/// Writes `bytes` to `path` through a temporary file and a rename, so that a reader never sees
/// half a file and parallel first loads do not disturb each other.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|_| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    Ok(written?)
}

/// Opens a compiled gazetteer: a compressed `.xz` or `.gz` (mapped from its unpacked copy,
/// made on first use) or an uncompressed file (mapped directly).
pub fn open(path: &Path) -> Result<Bytes> {
    let xz = path.extension().is_some_and(|e| e == "xz");
    if !xz && path.extension().is_none_or(|e| e != "gz") {
        return map(path);
    }
    let name = unpacked_name(path)?;
    let beside = path.with_file_name(&name);
    let cache = std::env::var_os("BYLINE_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/byline")))
        .map(|c| c.join("gazetteers").join(&name));
    // A copy that is not whole is unpacked again.
    for candidate in std::iter::once(beside.clone()).chain(cache.clone()) {
        if is_whole(&candidate) {
            return map(&candidate);
        }
    }
    let file = File::open(path)
        .with_context(|| format!("cannot open the gazetteer {}", path.display()))?;
    let mut decoder: Box<dyn Read> =
        if xz { Box::new(XzDecoder::new(file)) } else { Box::new(GzDecoder::new(file)) };
    let mut bytes = Vec::new();
    decoder
        .read_to_end(&mut bytes)
        .with_context(|| format!("{} is damaged", path.display()))?;
    // Beside the compressed file (dropping copies of older builds there), else in the cache,
    // else kept in memory.
    if write_atomically(&beside, &bytes).is_ok() {
        remove_stale(path, &name);
        return map(&beside);
    }
    if let Some(cache) = cache {
        if cache
            .parent()
            .is_some_and(|d| std::fs::create_dir_all(d).is_ok())
            && write_atomically(&cache, &bytes).is_ok()
        {
            return map(&cache);
        }
    }
    Ok(Bytes::Owned(bytes))
}

/// Removes unpacked copies of earlier builds beside `compressed`.
fn remove_stale(compressed: &Path, keep: &str) {
    let Some(dir) = compressed.parent() else { return };
    let Ok(listing) = std::fs::read_dir(dir) else {
        return;
    };
    for f in listing.flatten() {
        let n = f.file_name().to_string_lossy().to_string();
        if n != keep
            && n.starts_with("gazetteer.")
            && n.ends_with(".bin")
            && n.len() == "gazetteer.".len() + 16 + ".bin".len()
        {
            let _ = std::fs::remove_file(f.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_hash_is_fnv1a() {
        assert_eq!(key_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(key_hash("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn a_damaged_file_is_refused_not_read() {
        let mut e = Entry::new("Q1", "Freedonia", Kind::Country, 0.9);
        e.add_context("Q2");
        let good = encode(&[e]);
        assert!(Layout::check(&good).is_ok());
        assert!(Layout::check(&good[..good.len() - 1]).is_err(), "truncated");
        let mut bad = good.clone();
        bad[HEADER] = 0xff; // the id's offset now points past the strings
        assert!(Layout::check(&bad).is_err());
        assert!(
            Layout::check(b"BYLINE-GAZETTEER 1\n").is_err(),
            "an older format"
        );
    }

    #[test]
    fn the_compressed_file_is_unpacked_once_and_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let xz = dir.path().join("gazetteer.bin.xz");
        let bytes = encode(&[Entry::new("Q1", "Freedonia", Kind::Country, 0.9)]);
        write_compressed(&xz, &bytes).unwrap();
        assert_eq!(&std::fs::read(&xz).unwrap()[..6], b"\xfd7zXZ\0", "a standard .xz file");
        std::fs::write(
            dir.path().join("gazetteer.0000000000000000.bin"),
            b"an older build",
        )
        .unwrap();
        let first = open(&xz).unwrap();
        assert!(matches!(first, Bytes::Mapped(_)));
        assert_eq!(&first[..], &bytes[..]);
        let unpacked: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|f| f.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".bin"))
            .collect();
        assert_eq!(
            unpacked,
            vec![unpacked_name(&xz).unwrap()],
            "one unpacked copy, the older one removed"
        );
        assert_eq!(&open(&xz).unwrap()[..], &bytes[..]);
        // A cut-off copy is unpacked again.
        let copy = dir.path().join(unpacked_name(&xz).unwrap());
        std::fs::write(&copy, &bytes[..bytes.len() - 1]).unwrap();
        assert!(!is_whole(&copy));
        assert_eq!(&open(&xz).unwrap()[..], &bytes[..]);
        assert!(is_whole(&copy));
        // Another build gets another name.
        let other = encode(&[Entry::new("Q2", "Sylvania", Kind::Country, 0.8)]);
        write_compressed(&xz, &other).unwrap();
        assert_ne!(unpacked_name(&xz).unwrap(), unpacked.concat());
        assert_eq!(&open(&xz).unwrap()[..], &other[..]);
    }

    #[test]
    fn a_gzip_file_of_an_earlier_build_is_read_and_a_cut_off_one_refused() {
        use flate2::{write::GzEncoder, Compression};
        let dir = tempfile::tempdir().unwrap();
        let bytes = encode(&[Entry::new("Q1", "Freedonia", Kind::Country, 0.9)]);
        let gz = dir.path().join("gazetteer.bin.gz");
        let mut enc = GzEncoder::new(File::create(&gz).unwrap(), Compression::best());
        enc.write_all(&bytes).unwrap();
        enc.finish().unwrap();
        assert_eq!(&open(&gz).unwrap()[..], &bytes[..]);
        let xz = dir.path().join("gazetteer.bin.xz");
        write_compressed(&xz, &bytes).unwrap();
        let packed = std::fs::read(&xz).unwrap();
        std::fs::write(&xz, &packed[..packed.len() / 2]).unwrap();
        let err = open(&xz).err().unwrap().to_string();
        assert!(err.contains("is damaged"), "{err}");
    }
}
