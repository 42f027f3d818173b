package notebook

import (
	"fmt"
	"html"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/janpfeifer/gonb/gonbui"
)

// ShowTable displays a table of text cells: as HTML in a notebook, as aligned plain text on stdout elsewhere.
// Rows shorter than the header are padded with empty cells.
func ShowTable(header []string, rows [][]string) {
	if gonbui.IsNotebook {
		gonbui.DisplayHTML(tableHTML(header, rows))
		return
	}
	fmt.Fprint(os.Stdout, tableText(header, rows))
}

// tableHTML renders the table as one HTML <table>, numbers (and everything else) escaped.
func tableHTML(header []string, rows [][]string) string {
	var b strings.Builder
	b.WriteString(`<table style="font-family:monospace;font-size:12px"><tr>`)
	for _, h := range header {
		fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(h))
	}
	b.WriteString("</tr>")
	for _, r := range rows {
		b.WriteString("<tr>")
		for i := range max(len(header), len(r)) {
			c := ""
			if i < len(r) {
				c = r[i]
			}
			fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(c))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
	return b.String()
}

// tableText renders the table as columns padded to their widest cell, separated by two spaces.
func tableText(header []string, rows [][]string) string {
	all := append([][]string{header}, rows...)
	widths := []int{}
	for _, r := range all {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range all {
		line := make([]string, len(widths))
		for i := range widths {
			c := ""
			if i < len(r) {
				c = r[i]
			}
			line[i] = c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
		}
		b.WriteString(strings.TrimRight(strings.Join(line, "  "), " ") + "\n")
	}
	return b.String()
}
