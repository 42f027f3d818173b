package plots

import (
	"encoding/binary"
	"slices"

	"github.com/pkg/errors"
	"golang.org/x/image/font/sfnt"
)

// subsetTTF returns a copy of the TrueType font ttf in which only the glyphs
// needed to draw runes keep their outlines (plus .notdef and the components
// of composite glyphs); every other glyph becomes empty. Glyph ids, the
// character map and the metrics are unchanged, so the font still lays out
// text exactly like the original. Glyph names (post) are dropped, and so are
// the OpenType layout tables (GSUB/GPOS/GDEF): a ligature or positioning rule
// could pick a glyph that was emptied, and gonum lays out text from the
// character map and the 'kern' table only, which are kept. The result is what
// SVG exports embed: about a tenth of the full font's size.
func subsetTTF(ttf []byte, runes []rune) ([]byte, error) {
	f, err := sfnt.Parse(ttf)
	if err != nil {
		return nil, errors.Wrap(err, "parsing font")
	}
	tables, err := readTables(ttf)
	if err != nil {
		return nil, err
	}
	head, maxp, loca, glyf := tables["head"], tables["maxp"], tables["loca"], tables["glyf"]
	if len(head) < 54 || len(maxp) < 6 || glyf == nil || loca == nil {
		return nil, errors.New("font has no TrueType outlines (head/maxp/loca/glyf tables)")
	}
	numGlyphs := int(binary.BigEndian.Uint16(maxp[4:]))
	offsets, err := readLoca(loca, numGlyphs, int16(binary.BigEndian.Uint16(head[50:])), len(glyf))
	if err != nil {
		return nil, err
	}

	keep := map[int]bool{0: true}
	var buf sfnt.Buffer
	var todo []int
	for _, r := range runes {
		gi, err := f.GlyphIndex(&buf, r)
		if err != nil {
			return nil, errors.Wrapf(err, "looking up %q", r)
		}
		if !keep[int(gi)] {
			keep[int(gi)] = true
			todo = append(todo, int(gi))
		}
	}
	for len(todo) > 0 { // composite glyphs need their components
		g := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		comps, err := components(glyf[offsets[g]:offsets[g+1]])
		if err != nil {
			return nil, errors.WithMessagef(err, "glyph %d", g)
		}
		for _, c := range comps {
			if c >= numGlyphs {
				return nil, errors.Errorf("glyph %d has component %d, font has %d glyphs", g, c, numGlyphs)
			}
			if !keep[c] {
				keep[c] = true
				todo = append(todo, c)
			}
		}
	}

	var newGlyf []byte
	newLoca := make([]byte, 4*(numGlyphs+1))
	for g := range numGlyphs {
		binary.BigEndian.PutUint32(newLoca[4*g:], uint32(len(newGlyf)))
		if keep[g] {
			newGlyf = append(newGlyf, glyf[offsets[g]:offsets[g+1]]...)
			for len(newGlyf)%4 != 0 {
				newGlyf = append(newGlyf, 0)
			}
		}
	}
	binary.BigEndian.PutUint32(newLoca[4*numGlyphs:], uint32(len(newGlyf)))

	out := map[string][]byte{}
	for tag, data := range tables {
		switch tag {
		case "GSUB", "GPOS", "GDEF", "DSIG":
			continue
		}
		out[tag] = data
	}
	out["glyf"], out["loca"] = newGlyf, newLoca
	newHead := slices.Clone(head)
	binary.BigEndian.PutUint16(newHead[50:], 1) // long loca offsets
	binary.BigEndian.PutUint32(newHead[8:], 0)  // checkSumAdjustment, set below
	out["head"] = newHead
	if post := tables["post"]; len(post) >= 32 {
		p := slices.Clone(post[:32])
		binary.BigEndian.PutUint32(p, 0x00030000) // version 3: no glyph names
		out["post"] = p
	}
	return writeTables(binary.BigEndian.Uint32(ttf), out), nil
}

// readTables returns the tables of an sfnt file by tag.
func readTables(ttf []byte) (map[string][]byte, error) {
	if len(ttf) < 12 {
		return nil, errors.New("font file too short")
	}
	n := int(binary.BigEndian.Uint16(ttf[4:]))
	if len(ttf) < 12+16*n {
		return nil, errors.New("font table directory truncated")
	}
	tables := make(map[string][]byte, n)
	for i := range n {
		rec := ttf[12+16*i:]
		tag := string(rec[:4])
		off, length := int(binary.BigEndian.Uint32(rec[8:])), int(binary.BigEndian.Uint32(rec[12:]))
		if off < 0 || length < 0 || off+length > len(ttf) {
			return nil, errors.Errorf("font table %q lies outside the file", tag)
		}
		tables[tag] = ttf[off : off+length]
	}
	return tables, nil
}

// readLoca decodes the glyph offsets (numGlyphs+1 of them) of the loca table.
func readLoca(loca []byte, numGlyphs int, format int16, glyfLen int) ([]int, error) {
	offsets := make([]int, numGlyphs+1)
	switch format {
	case 0:
		if len(loca) < 2*(numGlyphs+1) {
			return nil, errors.New("font loca table truncated")
		}
		for i := range offsets {
			offsets[i] = 2 * int(binary.BigEndian.Uint16(loca[2*i:]))
		}
	case 1:
		if len(loca) < 4*(numGlyphs+1) {
			return nil, errors.New("font loca table truncated")
		}
		for i := range offsets {
			offsets[i] = int(binary.BigEndian.Uint32(loca[4*i:]))
		}
	default:
		return nil, errors.Errorf("font has unknown loca format %d", format)
	}
	for i := 1; i < len(offsets); i++ {
		if offsets[i] < offsets[i-1] || offsets[i] > glyfLen {
			return nil, errors.Errorf("font loca offset %d is out of order or range", i)
		}
	}
	return offsets, nil
}

// components returns the glyph ids a composite glyph is made of (none for a
// simple or empty glyph), following the TrueType 'glyf' composite format.
func components(g []byte) ([]int, error) {
	if len(g) < 10 || int16(binary.BigEndian.Uint16(g)) >= 0 {
		return nil, nil
	}
	const (
		argsAreWords   = 0x0001
		haveScale      = 0x0008
		moreComponents = 0x0020
		haveXYScale    = 0x0040
		haveTwoByTwo   = 0x0080
	)
	var out []int
	for p := 10; ; {
		if p+4 > len(g) {
			return nil, errors.New("composite glyph truncated")
		}
		flags := binary.BigEndian.Uint16(g[p:])
		out = append(out, int(binary.BigEndian.Uint16(g[p+2:])))
		p += 4
		if flags&argsAreWords != 0 {
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&haveScale != 0:
			p += 2
		case flags&haveXYScale != 0:
			p += 4
		case flags&haveTwoByTwo != 0:
			p += 8
		}
		if flags&moreComponents == 0 {
			return out, nil
		}
	}
}

// writeTables assembles an sfnt file from tables, sorted by tag and 4-byte
// aligned, with the checksums the format requires.
func writeTables(version uint32, tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	n := len(tags)
	entrySelector := 0
	for 1<<(entrySelector+1) <= n {
		entrySelector++
	}
	searchRange := 16 << entrySelector
	out := make([]byte, 12+16*n)
	binary.BigEndian.PutUint32(out, version)
	binary.BigEndian.PutUint16(out[4:], uint16(n))
	binary.BigEndian.PutUint16(out[6:], uint16(searchRange))
	binary.BigEndian.PutUint16(out[8:], uint16(entrySelector))
	binary.BigEndian.PutUint16(out[10:], uint16(16*n-searchRange))
	headAt := -1
	for i, t := range tags {
		data := tables[t]
		if t == "head" {
			headAt = len(out)
		}
		rec := out[12+16*i:]
		copy(rec, t)
		binary.BigEndian.PutUint32(rec[4:], tableChecksum(data))
		binary.BigEndian.PutUint32(rec[8:], uint32(len(out)))
		binary.BigEndian.PutUint32(rec[12:], uint32(len(data)))
		out = append(out, data...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	if headAt >= 0 {
		binary.BigEndian.PutUint32(out[headAt+8:], 0xB1B0AFBA-tableChecksum(out))
	}
	return out
}

// tableChecksum is the sfnt checksum: the sum of big-endian uint32 words,
// the data padded with zeros to a multiple of 4 bytes.
func tableChecksum(data []byte) uint32 {
	var sum uint32
	for i := 0; i < len(data); i += 4 {
		var w [4]byte
		copy(w[:], data[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}
