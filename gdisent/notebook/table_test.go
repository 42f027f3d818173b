package notebook

import (
	"strings"
	"testing"
)

func TestTableRendering(t *testing.T) {
	header := []string{"method", "MIG"}
	rows := [][]string{{"SeFa", "0.123"}, {"a<b>", "–"}, {"short"}}
	h := tableHTML(header, rows)
	for _, want := range []string{"<th>method</th><th>MIG</th>", "<td>SeFa</td><td>0.123</td>", "<td>a&lt;b&gt;</td>",
		"<td>short</td><td></td>"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML table lacks %q:\n%s", want, h)
		}
	}
	if strings.Count(h, "<tr>") != 4 {
		t.Errorf("HTML table has %d rows, want 4", strings.Count(h, "<tr>"))
	}
	want := "method  MIG\nSeFa    0.123\na<b>    –\nshort\n"
	if got := tableText(header, rows); got != want {
		t.Errorf("text table:\n%q\nwant\n%q", got, want)
	}
}
