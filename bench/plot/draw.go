package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// palette gives every system the same colour in both pictures: systems are
// numbered in name order over both inputs.
type palette map[string]int

func newPalette(ds []distribution, ts []throughput) palette {
	seen := map[string]bool{}
	var names []string
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, d := range ds {
		add(d.name)
	}
	for _, t := range ts {
		add(t.system)
	}
	sort.Strings(names)
	p := palette{}
	for i, n := range names {
		p[n] = i
	}
	return p
}

// colours are twelve easily told apart (Tableau's 10 and two more); past
// twelve systems the colours come round again with a dotted line.
var colours = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
	{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
	{188, 189, 34, 255}, {23, 190, 207, 255}, {0, 0, 0, 255}, {0, 0, 128, 255},
}

// style is a system's line: its colour, dashed for the raw floors (names
// starting with "floor"), which are references rather than contenders.
func (p palette) style(name string) draw.LineStyle {
	i := p[name]
	s := draw.LineStyle{Color: colours[i%len(colours)], Width: vg.Points(1.5)}
	switch {
	case strings.HasPrefix(name, "floor"):
		s.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	case i >= len(colours):
		s.Dashes = []vg.Length{vg.Points(1.5), vg.Points(2)}
	}
	return s
}

// percentileTicks marks a log-scaled 1/(1-percentile) axis at 0 %, 90 %,
// 99 %, 99.9 % and so on, the way HdrHistogram's plotter labels it.
type percentileTicks struct{}

func (percentileTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for k := 0; math.Pow(10, float64(k)) <= hi*1.0001; k++ {
		v := math.Pow(10, float64(k))
		label := "0%" // written out: 100*(1-1/v) has rounding errors
		switch {
		case k == 1:
			label = "90%"
		case k >= 2:
			label = "99" + strings.TrimSuffix("."+strings.Repeat("9", k-2), ".") + "%"
		}
		if v >= lo {
			ts = append(ts, plot.Tick{Value: v, Label: label})
		}
		for m := 2; m < 10; m++ {
			if mv := float64(m) * v; mv >= lo && mv <= hi {
				ts = append(ts, plot.Tick{Value: mv})
			}
		}
	}
	return ts
}

// logTicks marks a log-scaled axis at 1, 2 and 5 times each power of ten
// (labelled) and the other integer multiples (unlabelled), so that a range
// narrower than a decade still has labels.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
		base := math.Pow(10, e)
		for m := 1; m < 10; m++ {
			v := float64(m) * base
			if v < lo*0.9999 || v > hi*1.0001 {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = siNumber(v)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// siNumber writes v with a k, M or G suffix: 2000000 is "2M", 0.5 is "0.5".
func siNumber(v float64) string {
	for _, u := range []struct {
		div    float64
		suffix string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if v >= u.div {
			return strconv.FormatFloat(v/u.div, 'g', 4, 64) + u.suffix
		}
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// sizeLabel writes a message size in bytes as "64 B", "1 KiB", "1 MiB".
func sizeLabel(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// savePNG draws the plots side by side, each w × h, into a PNG at path.
func savePNG(path string, w, h vg.Length, plots ...*plot.Plot) error {
	c := vgimg.NewWith(vgimg.UseWH(w*vg.Length(len(plots)), h), vgimg.UseDPI(110), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 6}
	for i, p := range plots {
		p.Draw(tiles.At(dc, i, 0))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// latencyPlot draws each distribution as latency (µs, log scale) against
// 1/(1-percentile) (log scale), HdrHistogram's percentile-distribution
// picture. The final row of each distribution, at percentile 1 (an
// infinite x), is left out: the row before it has the same, maximum, value.
func latencyPlot(ds []distribution, pal palette, subtitle string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Round-trip latency by percentile"
	if subtitle != "" {
		p.Title.Text += "\n" + subtitle
	}
	p.X.Label.Text = "percentile"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = percentileTicks{}
	p.Y.Label.Text = "round trip [µs]"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks{}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = 3*vg.Millimeter, -2*vg.Millimeter
	p.Add(plotter.NewGrid())
	xmax, ymin, ymax := 10.0, math.Inf(1), 0.0
	for _, d := range ds {
		var xys plotter.XYs
		for _, pt := range d.points {
			if pt.fraction >= 1 || pt.value <= 0 {
				continue
			}
			x := 1 / (1 - pt.fraction)
			xys = append(xys, plotter.XY{X: x, Y: pt.value})
			xmax, ymin, ymax = max(xmax, x), min(ymin, pt.value), max(ymax, pt.value)
		}
		if len(xys) == 0 {
			return nil, fmt.Errorf("%s: no finite percentile with a positive value", d.name)
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", d.name, err)
		}
		l.StepStyle = plotter.PostStep // a value holds until the next percentile
		l.LineStyle = pal.style(d.name)
		p.Add(l)
		p.Legend.Add(d.name, l)
	}
	p.X.Min, p.X.Max = 1, math.Pow(10, math.Ceil(math.Log10(xmax)))
	p.Y.Min, p.Y.Max = ymin/1.25, ymax*1.25
	return p, nil
}

// throughputPlots draws msg/s and MB/s (10^6 bytes per second) against
// the message size, one line per system, all axes log-scaled.
func throughputPlots(ts []throughput, pal palette, subtitle string) ([]*plot.Plot, error) {
	bySystem := map[string][]throughput{}
	var systems []string
	sizeSet := map[int]bool{}
	for _, t := range ts {
		if t.size <= 0 || t.rate <= 0 {
			continue // nothing a log scale can show
		}
		if bySystem[t.system] == nil {
			systems = append(systems, t.system)
		}
		bySystem[t.system] = append(bySystem[t.system], t)
		sizeSet[t.size] = true
	}
	if len(systems) == 0 {
		return nil, fmt.Errorf("no row with a positive size and rate")
	}
	sort.Strings(systems)
	var sizes []int
	for s := range sizeSet {
		sizes = append(sizes, s)
	}
	sort.Ints(sizes)
	sizeTicks := plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		var tk []plot.Tick
		for _, s := range sizes {
			tk = append(tk, plot.Tick{Value: float64(s), Label: sizeLabel(s)})
		}
		return tk
	})
	var plots []*plot.Plot
	for _, unit := range []struct {
		title, label string
		y            func(t throughput) float64
	}{
		{"messages", "messages per second", func(t throughput) float64 { return t.rate }},
		{"bytes", "MB/s (10⁶ B/s)", func(t throughput) float64 { return t.rate * float64(t.size) / 1e6 }},
	} {
		p := plot.New()
		p.Title.Text = "Throughput (PUSH/PULL, median): " + unit.title
		if subtitle != "" {
			p.Title.Text += "\n" + subtitle
		}
		p.X.Label.Text = "message size"
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = sizeTicks
		p.X.Min, p.X.Max = float64(sizes[0])/1.5, float64(sizes[len(sizes)-1])*1.5
		p.Y.Label.Text = unit.label
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
		p.Legend.XOffs = 3 * vg.Millimeter
		p.Add(plotter.NewGrid())
		ymin, ymax := math.Inf(1), 0.0
		for _, sys := range systems {
			rows := bySystem[sys]
			sort.Slice(rows, func(i, j int) bool { return rows[i].size < rows[j].size })
			xys := make(plotter.XYs, len(rows))
			for i, t := range rows {
				y := unit.y(t)
				xys[i] = plotter.XY{X: float64(t.size), Y: y}
				ymin, ymax = min(ymin, y), max(ymax, y)
			}
			l, pts, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", sys, err)
			}
			l.LineStyle = pal.style(sys)
			pts.Color = l.LineStyle.Color
			pts.Shape = draw.CircleGlyph{}
			p.Add(l, pts)
			p.Legend.Add(sys, l, pts)
		}
		p.Y.Min, p.Y.Max = ymin/1.5, ymax*1.5
		plots = append(plots, p)
	}
	// Fewer messages per second and more bytes as messages grow: the
	// legend goes where each picture has room.
	plots[0].Legend.Top, plots[0].Legend.Left = false, true
	plots[1].Legend.Top, plots[1].Legend.Left = true, true
	return plots, nil
}
