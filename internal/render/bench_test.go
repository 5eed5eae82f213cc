package render

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParse parses a page of 2,000 calls of the shape bench/render renders, some with
// escapes and nested calls.
func BenchmarkParse(b *testing.B) {
	var page strings.Builder
	page.WriteString("<h1>Benchmark page</h1>\n<ul>\n")
	for i := 0; i < 2000; i++ {
		switch i % 10 {
		case 0:
			fmt.Fprintf(&page, "<li>{{#function:Z%d| a\\|b %d }}</li>\n", 20001+i%40, i)
		case 1:
			fmt.Fprintf(&page, "<li>{{#function:Z%d|{{#function:Z20002|w%d}}}}</li>\n", 20001+i%40, i)
		default:
			fmt.Fprintf(&page, "<li>{{#function:Z%d|w%d}}</li>\n", 20001+i%40, i)
		}
	}
	page.WriteString("</ul>\n")
	markup := page.String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(markup, 0); err != nil {
			b.Fatal(err)
		}
	}
}
