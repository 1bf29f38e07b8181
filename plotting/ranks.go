package plotting

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// RankLine is one feature of a [Ranks] chart: its rank in each week, 1 for
// the most important, 0 for no record (a gap in the line).
type RankLine struct {
	Name  string
	Ranks []int
}

// Ranks draws a bump chart: the rank of a few features across weeks, rank 1
// at the top. Each line is labelled with its feature's name at its right
// end, next to the line, so no legend has to be matched by colour; a line
// that stops before the last week says which week it was last seen.
func Ranks(w io.Writer, format Format, title string, weeks []string, lines []RankLine) error {
	const chart = "ranks"
	if err := checkFormat(format); err != nil {
		return err
	}
	if err := checkWeeks(chart, weeks); err != nil {
		return err
	}
	if len(lines) == 0 {
		return fmt.Errorf("%s: no features given; pass one line per feature: %w", chart, ErrNoData)
	}
	maxRank := 0
	for _, l := range lines {
		if len(l.Ranks) != len(weeks) {
			return fmt.Errorf("%s: feature %q has %d ranks for %d weeks; give one per week, 0 where a week has no record: %w",
				chart, l.Name, len(l.Ranks), len(weeks), ErrLength)
		}
		for i, r := range l.Ranks {
			if r < 0 {
				return fmt.Errorf("%s: feature %q has rank %d in week %s; ranks start at 1 (0 = no record): %w", chart, l.Name, r, weeks[i], ErrValue)
			}
			maxRank = max(maxRank, r)
		}
	}
	if maxRank == 0 {
		return fmt.Errorf("%s: every rank is 0 (no week has a record); run the experiments first: %w", chart, ErrNoData)
	}

	p := newPlot("week", "rank (1 = most important)")
	p.Y.Scale = plot.InvertedScale{Normalizer: plot.LinearScale{}}
	p.Y.Tick.Marker = rankTicks{}
	p.Add(gridLines{})
	labels := make([]endLabel, 0, len(lines))
	drawn := make([]plot.Plotter, len(lines))
	markAll := len(weeks) <= 26
	for i, l := range lines {
		ys := make([]float64, len(l.Ranks))
		last := -1
		for j, r := range l.Ranks {
			ys[j] = math.NaN()
			if r > 0 {
				ys[j], last = float64(r), j
			}
		}
		col, glyph, dash := lineStyle(i)
		// Earlier lines, usually the leaders, are drawn last, on top.
		drawn[len(lines)-1-i] = &gapLine{ys: ys, color: col, glyph: glyph, dashes: dash, markAll: markAll}
		if last < 0 {
			continue // never ranked: nothing to label
		}
		text := shorten(l.Name, maxNameRunes)
		if last < len(weeks)-1 {
			text += " (last " + weeks[last] + ")"
		}
		labels = append(labels, endLabel{
			item: legendItem{name: text, color: col, glyph: glyph, dashes: dash},
			rank: l.Ranks[last], ends: last == len(weeks)-1, order: i,
		})
	}
	p.Add(drawn...)
	p.X.Min, p.X.Max = 0, float64(len(weeks)-1)
	p.Y.Min, p.Y.Max = 1, float64(max(maxRank, 2))

	sty := textStyle(sans, tickSize+1)
	sty.YAlign = draw.YCenter
	var labelW vg.Length
	for _, l := range labels {
		labelW = max(labelW, sty.Width(l.item.name))
	}
	labelW += swatchWidth + vg.Points(16)
	width := 10*vg.Inch + labelW
	height := max(6*vg.Inch, vg.Length(len(labels))*sty.Height("Xg")*1.2+vg.Points(180))
	return render(w, format, width, height, func(c draw.Canvas) {
		c = header(c, title, nil)
		pc := draw.Crop(c, 0, -labelW, 0, 0)
		setWeekAxis(p, weeks, dataWidth(p, pc))
		p.Draw(pc)
		drawEndLabels(c, p, p.DataCanvas(pc), labels, sty)
	})
}

// endLabel names a line at the right edge of a bump chart.
type endLabel struct {
	item  legendItem
	rank  int  // last known rank
	ends  bool // present in the last week
	order int
	y     vg.Length
}

// drawEndLabels writes the names to the right of the data area at the
// height of each line's last rank, pushed apart where they would overlap.
func drawEndLabels(c draw.Canvas, p *plot.Plot, dc draw.Canvas, labels []endLabel, sty draw.TextStyle) {
	_, trY := p.Transforms(&dc)
	slices.SortStableFunc(labels, func(a, b endLabel) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.order, b.order))
	})
	gap := sty.Height("Xg") * 1.15
	for i := range labels {
		labels[i].y = trY(float64(labels[i].rank))
		if i > 0 && labels[i].y > labels[i-1].y-gap {
			labels[i].y = labels[i-1].y - gap
		}
	}
	// If the stack ran off the bottom, push it back up from there.
	if n := len(labels); n > 0 && labels[n-1].y < dc.Min.Y {
		labels[n-1].y = dc.Min.Y
		for i := n - 2; i >= 0; i-- {
			labels[i].y = max(labels[i].y, labels[i+1].y+gap)
		}
	}
	x := dc.Max.X + vg.Points(14)
	for _, l := range labels {
		if l.ends {
			// A thin leader from the line's end to its label, in case the
			// label was pushed off the line's height.
			y0 := trY(float64(l.rank))
			c.StrokeLine2(draw.LineStyle{Color: l.item.color, Width: vg.Points(0.8)}, dc.Max.X+vg.Points(4), y0, x-vg.Points(2), l.y)
		}
		l.item.drawSwatch(c, x, l.y)
		c.FillText(sty, vg.Point{X: x + swatchWidth + vg.Points(5), Y: l.y}, l.item.name)
	}
}

// rankTicks labels every rank up to 20 and round ranks beyond, always
// including rank 1.
type rankTicks struct{}

func (rankTicks) Ticks(min, max float64) []plot.Tick {
	step := 1
	if span := max - min; span > 20 {
		step = int(niceStep(span / 10))
	}
	ticks := []plot.Tick{{Value: 1, Label: "1"}}
	for r := step; float64(r) <= max; r += step {
		if r > 1 && float64(r) >= min {
			ticks = append(ticks, plot.Tick{Value: float64(r), Label: strconv.Itoa(r)})
		}
	}
	return ticks
}
