//! The embedded font, cut down to the glyphs a page or a chart uses.
//!
//! Charts and the report embed DejaVu Sans so their text renders the same on
//! any machine; the whole font is about 1 MB in base64. A subset keeps only
//! the glyphs of the characters that occur (and the components of composite
//! glyphs), renumbered from 0, with a fresh `cmap`, no hinting, no layout
//! tables (`GSUB`, `GPOS`, `kern`) and no glyph names. The outlines and
//! advances are the original ones, so the text looks and measures the same.
//! A font that cannot be read that way is embedded whole.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;

/// The characters of an SVG's or a page's text: everything outside tags,
/// with character references decoded. Markup that is not text (attribute
/// values) is left out, so the set is no larger than needed.
pub fn text_chars(markup: &str) -> BTreeSet<char> {
    let mut chars = BTreeSet::new();
    let mut rest = markup;
    while !rest.is_empty() {
        // Skip a tag (and style or script bodies, which are not drawn).
        if let Some(after) = rest.strip_prefix('<') {
            let raw = ["style", "script"].into_iter().find(|t| {
                after
                    .as_bytes()
                    .get(..t.len())
                    .is_some_and(|b| b.eq_ignore_ascii_case(t.as_bytes()))
            });
            let end = match raw {
                Some(t) => after.find(&format!("</{t}")).map(|i| i + 1),
                None => Some(0),
            };
            rest = end
                .and_then(|e| after[e..].find('>').map(|j| &after[e + j + 1..]))
                .unwrap_or("");
            continue;
        }
        let end = rest.find('<').unwrap_or(rest.len());
        decode_into(&rest[..end], &mut chars);
        rest = &rest[end..];
    }
    chars
}

/// Adds the characters of `text` (XML character data) to `chars`.
fn decode_into(text: &str, chars: &mut BTreeSet<char>) {
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '&'
            && let Some(semi) = rest[1..].find(';').filter(|&i| i <= 10)
        {
            let name = &rest[1..=semi];
            let decoded = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            if let Some(d) = decoded {
                chars.insert(d);
                rest = &rest[semi + 2..];
                continue;
            }
        }
        if !c.is_whitespace() || c == ' ' || c == '\u{a0}' {
            chars.insert(c);
        }
        rest = &rest[c.len_utf8()..];
    }
}

/// A CSS `@font-face` rule for `family` with the regular DejaVu Sans cut
/// down to `chars`, as a data URI.
pub fn face(family: &str, chars: &BTreeSet<char>) -> String {
    let full = dejavu::sans::regular();
    let bytes = subset(full, chars).unwrap_or_else(|| full.to_vec());
    format!(
        "@font-face {{ font-family: {family}; src: url(data:font/ttf;base64,{}) format(\"truetype\"); }}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The TrueType tables of a font file by tag.
fn tables(font: &[u8]) -> Option<BTreeMap<[u8; 4], &[u8]>> {
    let n = usize::from(u16_at(font, 4)?);
    (0..n)
        .map(|i| {
            let rec = 12 + 16 * i;
            let tag: [u8; 4] = font.get(rec..rec + 4)?.try_into().ok()?;
            let offset = u32_at(font, rec + 8)? as usize;
            let len = u32_at(font, rec + 12)? as usize;
            Some((tag, font.get(offset..offset.checked_add(len)?)?))
        })
        .collect()
}

/// The glyph of `c` through a format 4 (BMP) Unicode subtable of `cmap`.
fn glyph_of(cmap: &[u8], c: char) -> Option<u16> {
    let code = u16::try_from(u32::from(c)).ok()?;
    let sub = (0..usize::from(u16_at(cmap, 2)?)).find_map(|i| {
        let (platform, encoding) = (u16_at(cmap, 4 + 8 * i)?, u16_at(cmap, 6 + 8 * i)?);
        let at = u32_at(cmap, 8 + 8 * i)? as usize;
        ((platform == 3 && encoding == 1 || platform == 0) && u16_at(cmap, at)? == 4).then_some(at)
    })?;
    let segs = usize::from(u16_at(cmap, sub + 6)? / 2);
    let ends = sub + 14;
    let starts = ends + 2 * segs + 2;
    let deltas = starts + 2 * segs;
    let ranges = deltas + 2 * segs;
    for s in 0..segs {
        if u16_at(cmap, ends + 2 * s)? < code {
            continue;
        }
        let start = u16_at(cmap, starts + 2 * s)?;
        if start > code {
            return None;
        }
        let delta = u16_at(cmap, deltas + 2 * s)?;
        let range = u16_at(cmap, ranges + 2 * s)?;
        if range == 0 {
            return Some(code.wrapping_add(delta));
        }
        let at = ranges + 2 * s + usize::from(range) + 2 * usize::from(code - start);
        let g = u16_at(cmap, at)?;
        return Some(if g == 0 { 0 } else { g.wrapping_add(delta) });
    }
    None
}

// Composite glyph component flags.
const ARG_WORDS: u16 = 0x1;
const HAS_SCALE: u16 = 0x8;
const MORE: u16 = 0x20;
const XY_SCALE: u16 = 0x40;
const TWO_BY_TWO: u16 = 0x80;
const HAS_INSTRUCTIONS: u16 = 0x100;

/// The components of a composite glyph: (offset of the glyph index in
/// `glyph`, that index), and the end of the component records.
fn components(glyph: &[u8]) -> Option<(Vec<(usize, u16)>, usize)> {
    let mut out = Vec::new();
    let mut at = 10;
    loop {
        let flags = u16_at(glyph, at)?;
        out.push((at + 2, u16_at(glyph, at + 2)?));
        at += 4 + if flags & ARG_WORDS != 0 { 4 } else { 2 };
        at += if flags & TWO_BY_TWO != 0 {
            8
        } else if flags & XY_SCALE != 0 {
            4
        } else if flags & HAS_SCALE != 0 {
            2
        } else {
            0
        };
        if flags & MORE == 0 {
            return Some((out, at));
        }
    }
}

/// A glyph without its hinting instructions, composite components renumbered
/// through `map`.
fn strip_glyph(glyph: &[u8], map: &BTreeMap<u16, u16>) -> Option<Vec<u8>> {
    if glyph.is_empty() {
        return Some(Vec::new());
    }
    let contours = u16_at(glyph, 0)? as i16;
    if contours >= 0 {
        let n = usize::from(contours as u16);
        let len_at = 10 + 2 * n;
        let instructions = usize::from(u16_at(glyph, len_at)?);
        let rest = glyph.get(len_at + 2 + instructions..)?;
        let mut out = glyph.get(..len_at)?.to_vec();
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(rest);
        return Some(out);
    }
    let (parts, end) = components(glyph)?;
    let mut out = glyph.get(..end)?.to_vec();
    let mut flags_at = 10;
    for (index_at, old) in parts {
        let flags = u16_at(&out, flags_at)? & !HAS_INSTRUCTIONS;
        out[flags_at..flags_at + 2].copy_from_slice(&flags.to_be_bytes());
        out[index_at..index_at + 2].copy_from_slice(&map.get(&old)?.to_be_bytes());
        // The next record starts where this one's arguments and scale end.
        let mut next = index_at + 2 + if flags & ARG_WORDS != 0 { 4 } else { 2 };
        next += if flags & TWO_BY_TWO != 0 {
            8
        } else if flags & XY_SCALE != 0 {
            4
        } else if flags & HAS_SCALE != 0 {
            2
        } else {
            0
        };
        flags_at = next;
    }
    Some(out)
}

/// The checksum of a table (big-endian u32 words, zero-padded).
fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, w| {
        let mut word = [0u8; 4];
        word[..w.len()].copy_from_slice(w);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

/// A TrueType font reduced to the glyphs of `chars`; `None` when `font` is
/// not a TrueType-outline font this can read.
pub fn subset(font: &[u8], chars: &BTreeSet<char>) -> Option<Vec<u8>> {
    let t = tables(font)?;
    let get = |tag: &[u8; 4]| t.get(tag).copied();
    let (head, hhea, maxp, hmtx) = (get(b"head")?, get(b"hhea")?, get(b"maxp")?, get(b"hmtx")?);
    let (loca, glyf, cmap) = (get(b"loca")?, get(b"glyf")?, get(b"cmap")?);
    let long_loca = u16_at(head, 50)? == 1;
    let glyphs = usize::from(u16_at(maxp, 4)?);
    let metrics = usize::from(u16_at(hhea, 34)?).max(1);
    let glyph = |g: u16| -> Option<&[u8]> {
        let g = usize::from(g);
        if g >= glyphs {
            return None;
        }
        let (a, b) = if long_loca {
            (u32_at(loca, 4 * g)? as usize, u32_at(loca, 4 * g + 4)? as usize)
        } else {
            (
                2 * usize::from(u16_at(loca, 2 * g)?),
                2 * usize::from(u16_at(loca, 2 * g + 2)?),
            )
        };
        glyf.get(a..b)
    };
    let metric = |g: u16| -> Option<(u16, u16)> {
        let g = usize::from(g);
        if g < metrics {
            Some((u16_at(hmtx, 4 * g)?, u16_at(hmtx, 4 * g + 2)?))
        } else {
            Some((
                u16_at(hmtx, 4 * (metrics - 1))?,
                u16_at(hmtx, 4 * metrics + 2 * (g - metrics))?,
            ))
        }
    };

    // The glyphs: .notdef, those of the characters, and their components.
    let mapped: Vec<(u16, u16)> = chars
        .iter()
        .filter_map(|&c| Some((u16::try_from(u32::from(c)).ok()?, glyph_of(cmap, c)?)))
        .filter(|&(_, g)| g != 0 && usize::from(g) < glyphs)
        .collect();
    let mut keep: BTreeSet<u16> = mapped.iter().map(|&(_, g)| g).collect();
    keep.insert(0);
    let mut todo: Vec<u16> = keep.iter().copied().collect();
    while let Some(g) = todo.pop() {
        let data = glyph(g)?;
        if data.len() >= 10 && (u16_at(data, 0)? as i16) < 0 {
            for (_, part) in components(data)?.0 {
                if usize::from(part) < glyphs && keep.insert(part) {
                    todo.push(part);
                }
            }
        }
    }
    let map: BTreeMap<u16, u16> = keep
        .iter()
        .enumerate()
        .map(|(new, &old)| (old, new as u16))
        .collect();
    let n = u16::try_from(keep.len()).ok()?;

    let mut new_glyf = Vec::new();
    let mut new_loca = Vec::new();
    let mut new_hmtx = Vec::new();
    for &old in &keep {
        new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
        new_glyf.extend(strip_glyph(glyph(old)?, &map)?);
        while new_glyf.len() % 4 != 0 {
            new_glyf.push(0);
        }
        let (advance, lsb) = metric(old)?;
        new_hmtx.extend_from_slice(&advance.to_be_bytes());
        new_hmtx.extend_from_slice(&lsb.to_be_bytes());
    }
    new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());

    // cmap: one format 4 subtable, a segment per character.
    let mut seg: Vec<(u16, u16)> = mapped.iter().map(|&(c, g)| (c, map[&g])).collect();
    seg.push((0xFFFF, 0));
    let count = seg.len() as u16;
    let power = 1u16 << (15 - count.leading_zeros().min(15));
    let mut sub = Vec::new();
    for v in [
        4,
        16 + 8 * count,
        0,
        2 * count,
        2 * power,
        power.trailing_zeros() as u16,
        2 * count - 2 * power,
    ] {
        sub.extend_from_slice(&v.to_be_bytes());
    }
    seg.iter()
        .for_each(|&(c, _)| sub.extend_from_slice(&c.to_be_bytes()));
    sub.extend_from_slice(&[0, 0]);
    seg.iter()
        .for_each(|&(c, _)| sub.extend_from_slice(&c.to_be_bytes()));
    seg.iter().for_each(|&(c, g)| {
        let delta = if c == 0xFFFF { 1 } else { g.wrapping_sub(c) };
        sub.extend_from_slice(&delta.to_be_bytes());
    });
    seg.iter().for_each(|_| sub.extend_from_slice(&[0, 0]));
    let mut new_cmap = vec![0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 12];
    new_cmap.extend(sub);

    let mut new_head = head.to_vec();
    new_head.get_mut(8..12)?.fill(0);
    new_head.get_mut(50..52)?.copy_from_slice(&1u16.to_be_bytes());
    let mut new_hhea = hhea.to_vec();
    new_hhea.get_mut(34..36)?.copy_from_slice(&n.to_be_bytes());
    let mut new_maxp = maxp.to_vec();
    new_maxp.get_mut(4..6)?.copy_from_slice(&n.to_be_bytes());
    // post version 3: no glyph names.
    let mut new_post = get(b"post")?.get(..32)?.to_vec();
    new_post[..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());

    let mut out_tables: BTreeMap<[u8; 4], Vec<u8>> = BTreeMap::new();
    out_tables.insert(*b"cmap", new_cmap);
    out_tables.insert(*b"glyf", new_glyf);
    out_tables.insert(*b"head", new_head);
    out_tables.insert(*b"hhea", new_hhea);
    out_tables.insert(*b"hmtx", new_hmtx);
    out_tables.insert(*b"loca", new_loca);
    out_tables.insert(*b"maxp", new_maxp);
    out_tables.insert(*b"post", new_post);
    out_tables.insert(*b"name", name_table(get(b"name")?)?);
    if let Some(os2) = get(b"OS/2") {
        out_tables.insert(*b"OS/2", os2.to_vec());
    }

    let count = out_tables.len() as u16;
    let power = 1u16 << (15 - count.leading_zeros().min(15));
    let mut out = Vec::new();
    for v in [
        0x0001u16,
        0x0000,
        count,
        16 * power,
        power.trailing_zeros() as u16,
        16 * count - 16 * power,
    ] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let mut offset = 12 + 16 * out_tables.len();
    for (tag, data) in &out_tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        offset += data.len().div_ceil(4) * 4;
    }
    let mut head_at = 0;
    for (tag, data) in &out_tables {
        if tag == b"head" {
            head_at = out.len();
        }
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    let adjust = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    out.get_mut(head_at + 8..head_at + 12)?
        .copy_from_slice(&adjust.to_be_bytes());
    Some(out)
}

/// The `name` table with only the short records (copyright, names,
/// version, licence URL) of the Windows platform: the licence text itself
/// is long and is linked by its URL.
fn name_table(name: &[u8]) -> Option<Vec<u8>> {
    let count = usize::from(u16_at(name, 2)?);
    let strings = usize::from(u16_at(name, 4)?);
    let mut records = Vec::new();
    let mut data = Vec::new();
    for i in 0..count {
        let rec = 6 + 12 * i;
        let (platform, id) = (u16_at(name, rec)?, u16_at(name, rec + 6)?);
        if platform != 3 || ![0, 1, 2, 3, 4, 5, 6, 14].contains(&id) {
            continue;
        }
        let len = usize::from(u16_at(name, rec + 8)?);
        let at = strings + usize::from(u16_at(name, rec + 10)?);
        records.extend_from_slice(name.get(rec..rec + 8)?);
        records.extend_from_slice(&(len as u16).to_be_bytes());
        records.extend_from_slice(&(data.len() as u16).to_be_bytes());
        data.extend_from_slice(name.get(at..at + len)?);
    }
    let kept = records.len() / 12;
    let mut out = Vec::new();
    for v in [0u16, kept as u16, (6 + records.len()) as u16] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend(records);
    out.extend(data);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_chars_reads_text_and_references_not_markup() {
        let c = text_chars("<svg><style>x{}</style><text x=\"1\">A&amp;&#8722;&#x2013;</text></svg>");
        assert_eq!(c, ['A', '&', '\u{2212}', '\u{2013}'].into_iter().collect());
    }

    #[test]
    fn a_subset_keeps_the_glyphs_and_advances_of_its_characters() {
        let full = dejavu::sans::regular();
        let chars: BTreeSet<char> = "Wins −91% é".chars().collect();
        let small = subset(full, &chars).expect("DejaVu Sans is TrueType");
        assert!(small.len() < 20_000, "{} bytes", small.len());
        let (t_full, t_small) = (tables(full).unwrap(), tables(&small).unwrap());
        let advance = |t: &BTreeMap<[u8; 4], &[u8]>, c: char| {
            let g = glyph_of(t[b"cmap"], c).unwrap();
            let metrics = usize::from(u16_at(t[b"hhea"], 34).unwrap());
            u16_at(t[b"hmtx"], 4 * usize::from(g).min(metrics - 1)).unwrap()
        };
        for c in chars {
            assert_ne!(glyph_of(t_small[b"cmap"], c), Some(0), "{c}");
            assert_eq!(advance(&t_small, c), advance(&t_full, c), "{c}");
        }
        assert_eq!(glyph_of(t_small[b"cmap"], 'Z'), None);
        assert_eq!(checksum(&small), 0xB1B0_AFBA, "checkSumAdjustment");
    }
}
