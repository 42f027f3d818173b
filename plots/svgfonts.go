package plots

import (
	"bytes"
	"encoding/base64"
	"html"
	"io"
	"regexp"

	"gonum.org/v1/plot/vg/vgsvg"
)

// svgCanvas is a vgsvg canvas (with embedded fonts) whose output is tidied
// for portability: each embedded font is reduced to the glyphs the figure
// uses (see [subsetTTF]; a full Liberation font adds about 0.5 MB per
// figure), and text names metric-compatible fallback families, in case a
// viewer ignores the embedded font.
type svgCanvas struct{ *vgsvg.Canvas }

var (
	svgFontData = regexp.MustCompile(`url\(data:font/ttf;charset=utf-8;base64,([A-Za-z0-9+/=]+)\)`)
	svgTextElem = regexp.MustCompile(`(?s)<text\b[^>]*>(.*?)</text>`)
	svgFamily   = regexp.MustCompile(`font-family:([^;"]+);`)
)

// fallbackFamilies lists fonts with the same metrics as the Liberation
// families (which were designed as metric-compatible replacements for them),
// then the generic family.
var fallbackFamilies = map[string]string{
	"Liberation Sans":  "Arial,Helvetica,sans-serif",
	"Liberation Serif": "'Times New Roman',Times,serif",
	"Liberation Mono":  "'Courier New',Courier,monospace",
}

// WriteTo implements io.WriterTo.
func (c svgCanvas) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	if _, err := c.Canvas.WriteTo(&buf); err != nil {
		return 0, err
	}
	n, err := w.Write(tidySVG(buf.Bytes()))
	return int64(n), err
}

// tidySVG subsets the fonts embedded in svg to the characters of its text
// elements and adds fallback families to the text styles.
func tidySVG(svg []byte) []byte {
	seen := map[rune]bool{}
	var runes []rune
	for _, m := range svgTextElem.FindAllSubmatch(svg, -1) {
		for _, r := range html.UnescapeString(string(m[1])) {
			if !seen[r] {
				seen[r] = true
				runes = append(runes, r)
			}
		}
	}
	svg = svgFontData.ReplaceAllFunc(svg, func(m []byte) []byte {
		enc := svgFontData.FindSubmatch(m)[1]
		ttf, err := base64.StdEncoding.DecodeString(string(enc))
		if err != nil {
			return m
		}
		sub, err := subsetTTF(ttf, runes)
		if err != nil {
			return m // keep the full font: larger, still correct
		}
		return []byte("url(data:font/ttf;base64," + base64.StdEncoding.EncodeToString(sub) + ")")
	})
	return svgFamily.ReplaceAllFunc(svg, func(m []byte) []byte {
		family := string(svgFamily.FindSubmatch(m)[1])
		fb, ok := fallbackFamilies[family]
		if !ok {
			return m
		}
		return []byte("font-family:'" + family + "'," + fb + ";")
	})
}
