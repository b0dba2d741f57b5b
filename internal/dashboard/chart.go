package dashboard

import (
	"fmt"
	"html/template"
	"strings"
	"time"
)

// point is one value of a chart: Label says what and when, for the
// tooltip; Value is drawn and written in data-value.
type point struct {
	Label string
	Value int64
	Href  string // where the point links to; "" for none
}

// series is one line of a chart.
type series struct {
	Name   string
	Points []point
}

// palette holds colours a reader with a common colour-vision deficiency
// can still tell apart (Okabe-Ito); lines are also named in a legend.
var palette = []string{"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"}

// chart is an SVG line chart of series over the same x positions (one per
// snapshot, in order), with a y axis from 0 to the largest value. Each
// point is a circle with data-value equal to its value and a <title>. It
// scales with its container (viewBox), so it stays readable when zoomed.
type chart struct {
	Title  string
	Unit   func(int64) string // y-axis and tooltip text; nil for plain numbers
	Series []series
	Height int // in viewBox units; 0 means 220
	Spark  bool
}

const chartWidth = 720

// render writes the chart as an inline SVG element.
func (c chart) render() template.HTML {
	h := c.Height
	if h == 0 {
		h = 220
	}
	unit := c.Unit
	if unit == nil {
		unit = func(v int64) string { return fmt.Sprint(v) }
	}
	left, right, top, bottom := 64.0, 12.0, 12.0, 24.0
	if c.Spark {
		left, right, top, bottom = 3, 3, 3, 3
	}
	w := float64(chartWidth)
	if c.Spark {
		w = 160
	}
	var max int64
	n := 0
	for _, s := range c.Series {
		n = maxInt(n, len(s.Points))
		for _, p := range s.Points {
			if p.Value > max {
				max = p.Value
			}
		}
	}
	plotW, plotH := w-left-right, float64(h)-top-bottom
	x := func(i int) float64 {
		if n <= 1 {
			return left + plotW/2
		}
		return left + plotW*float64(i)/float64(n-1)
	}
	y := func(v int64) float64 {
		if max == 0 {
			return top + plotH
		}
		return top + plotH*(1-float64(v)/float64(max))
	}
	var b strings.Builder
	class := "chart"
	if c.Spark {
		class = "spark"
	}
	fmt.Fprintf(&b, `<svg class="%s" viewBox="0 0 %.0f %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		class, w, h, template.HTMLEscapeString(c.Title))
	fmt.Fprintf(&b, `<title>%s</title>`, template.HTMLEscapeString(c.Title))
	if !c.Spark {
		fmt.Fprintf(&b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, left, top+plotH, w-right, top+plotH)
		fmt.Fprintf(&b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, left, top, left, top+plotH)
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, left-6, top+8, template.HTMLEscapeString(unit(max)))
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="end">0</text>`, left-6, top+plotH)
	}
	// Circles cost a DOM node each: beyond a few hundred points a chart
	// draws them small, and a sparkline smaller still.
	r := 3.5
	switch {
	case c.Spark:
		r = 1.5
	case n > 200:
		r = 1.5
	}
	for si, s := range c.Series {
		colour := palette[si%len(palette)]
		var line strings.Builder
		for i, p := range s.Points {
			fmt.Fprintf(&line, "%.1f,%.1f ", x(i), y(p.Value))
		}
		fmt.Fprintf(&b, `<g class="series" data-series="%s"><polyline fill="none" stroke="%s" stroke-width="%s"%s points="%s"/>`,
			template.HTMLEscapeString(s.Name), colour, strokeWidth(c.Spark), dash(si), strings.TrimSpace(line.String()))
		for i, p := range s.Points {
			tip := template.HTMLEscapeString(p.Label + ": " + unit(p.Value))
			fmt.Fprintf(&b, `<circle class="point" cx="%.1f" cy="%.1f" r="%.1f" fill="%s" data-value="%d"><title>%s</title></circle>`,
				x(i), y(p.Value), r, colour, p.Value, tip)
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	if !c.Spark && len(c.Series) > 1 {
		b.WriteString(`<ul class="legend">`)
		for si, s := range c.Series {
			fmt.Fprintf(&b, `<li><svg class="swatch" viewBox="0 0 24 8" aria-hidden="true"><line x1="0" y1="4" x2="24" y2="4" stroke="%s" stroke-width="3"%s/></svg>%s</li>`,
				palette[si%len(palette)], dash(si), template.HTMLEscapeString(s.Name))
		}
		b.WriteString(`</ul>`)
	}
	return template.HTML(b.String())
}

// dash tells apart, by their dashes, the series that reuse a colour.
func dash(i int) string {
	switch i / len(palette) {
	case 0:
		return ""
	case 1:
		return ` stroke-dasharray="6 3"`
	}
	return ` stroke-dasharray="2 2"`
}

func strokeWidth(spark bool) string {
	if spark {
		return "1.5"
	}
	return "2"
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// pointLabel names a snapshot's point: its short id and start time.
func pointLabel(id string, t time.Time, loc *time.Location) string {
	return shortID(id) + " " + t.In(loc).Format("2006-01-02 15:04")
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
