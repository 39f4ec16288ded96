package econ

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMarkupAndMargin(t *testing.T) {
	// Revenue 150 on cost 100: 50 profit is 50% of cost, 33.3% of revenue.
	m, ok := MarkupPct(150, 100)
	assert.True(t, ok)
	assert.InDelta(t, 50, m, 1e-12)
	g, ok := MarginPct(150, 100)
	assert.True(t, ok)
	assert.InDelta(t, 100.0/3, g, 1e-12)
	// A loss: revenue 80 on cost 100 is -20% markup, -25% margin.
	m, _ = MarkupPct(80, 100)
	g, _ = MarginPct(80, 100)
	assert.InDelta(t, -20, m, 1e-12)
	assert.InDelta(t, -25, g, 1e-12)
	_, ok = MarkupPct(10, 0)
	assert.False(t, ok, "no cost: markup undefined")
	_, ok = MarginPct(0, 10)
	assert.False(t, ok, "no revenue: margin undefined")
}

// book is the worked example of docs/economics.md: 40 Mtok input of which
// 30 cached (hit rate 0.75), 5 Mtok output, list 0.6 / 0.15 / 4 per Mtok.
// Revenue 6 + 4.5 + 20 = 30.5; cost 30, of which 12 charged to input.
func book() Book {
	return Book{
		Components: []Component{
			{Name: "input_per_mtok", Price: 0.6, Volume: 10, Amount: 6},
			{Name: "cached_input_per_mtok", Price: 0.15, Volume: 30, Amount: 4.5},
			{Name: "output_per_mtok", Price: 4, Volume: 5, Amount: 20},
		},
		Cost: 30, CostInput: 12, CachedWeight: 0.1, InputTokens: 40e6, HitRate: 0.75, Utilization: 0.6,
	}
}

func TestBreakEvenPrices(t *testing.T) {
	b := book()
	assert.InDelta(t, 30.5, b.Revenue(), 1e-12)
	// Output: (30 - (6 + 4.5)) / 5 Mtok = 3.9 per Mtok.
	s := b.BreakEvenPrice("output_per_mtok")
	require.True(t, s.OK)
	assert.InDelta(t, 3.9, s.BreakEven, 1e-12)
	assert.Equal(t, 4.0, s.Current)
	// Input: (30 - 24.5) / 10 Mtok = 0.55.
	s = b.BreakEvenPrice("input_per_mtok")
	assert.InDelta(t, 0.55, s.BreakEven, 1e-12)
	// Cached: (30 - 26) / 30 Mtok = 0.13333.
	s = b.BreakEvenPrice("cached_input_per_mtok")
	assert.InDelta(t, 4.0/30, s.BreakEven, 1e-12)
	// Not on the list.
	s = b.BreakEvenPrice("per_task")
	assert.False(t, s.OK)
	// The other lines cover the cost: 0 with a note.
	b.Cost = 5
	s = b.BreakEvenPrice("output_per_mtok")
	assert.True(t, s.OK)
	assert.Zero(t, s.BreakEven)
	assert.NotEmpty(t, s.Note)
}

func TestBreakEvenTieredLine(t *testing.T) {
	// A tiered output line: first-tier price 8, billed 5 Mtok for 60
	// (some at 16): effective volume 60/8 = 7.5 Mtok at the first tier's
	// price; break-even first-tier price = (30 - 0) / 7.5 = 4.
	b := Book{Components: []Component{{Name: "output_per_mtok", Price: 8, Volume: 5, Amount: 60}}, Cost: 30}
	s := b.BreakEvenPrice("output_per_mtok")
	assert.InDelta(t, 4, s.BreakEven, 1e-12)
}

func TestBreakEvenGPUTrafficUtilization(t *testing.T) {
	b := book()
	// $/GPU-h: 2.5 x 30.5 / 30 = 2.541667.
	s := b.BreakEvenGPUPrice(2.5)
	require.True(t, s.OK)
	assert.InDelta(t, 2.5*30.5/30, s.BreakEven, 1e-12)
	assert.Equal(t, "max", s.Bound)
	// Traffic on the same fleet: 30 / 30.5.
	s = b.BreakEvenTraffic()
	assert.InDelta(t, 30/30.5, s.BreakEven, 1e-12)
	// Utilization: 0.6 x 30 / 30.5.
	s = b.BreakEvenUtilization()
	assert.True(t, s.OK)
	assert.InDelta(t, 0.6*30/30.5, s.BreakEven, 1e-12)
	b.Cost = 100 // needs 0.6 x 100/30.5 = 197%: out of this fleet's reach
	s = b.BreakEvenUtilization()
	assert.False(t, s.OK)
	assert.Contains(t, s.Note, "needs 197% utilization at this fleet's batch sizes")
	// A traffic break-even of 100/30.5 = 3.28x is an answer whatever the
	// busy share (it was refused above 1/u = 1.67x: busy share is not
	// capacity, cmd/TestPriceTrafficBreakEvenIsNotCappedByBusyShare), with
	// the note that one run does not measure the capacity.
	s = b.BreakEvenTraffic()
	assert.True(t, s.OK)
	assert.InDelta(t, 100/30.5, s.BreakEven, 1e-12)
	assert.Equal(t, CapacityNote, s.Note)
	b.Utilization = 0 // not measured (an endpoint): the same
	s = b.BreakEvenTraffic()
	assert.True(t, s.OK)
	assert.Equal(t, CapacityNote, s.Note)
}

func TestBreakEvenHitRate(t *testing.T) {
	// f(h) = (1-h) + 0.1h; f(0.75) = 0.325, so input cost per unit of work
	// is 12/0.325 = 480/13. profit(h) = 20 + 40(0.6 - 0.45h) - 18 -
	// (480/13)(1 - 0.9h) = -142/13 + (198/13)h, so h* = 142/198 = 0.71717.
	s := book().BreakEvenHitRate()
	require.True(t, s.OK, s.Note)
	assert.InDelta(t, 142.0/198, s.BreakEven, 1e-12)
	assert.Equal(t, "min", s.Bound, "a higher hit rate saves more cost than it loses revenue")
	// Check by evaluating the profit at h*: zero.
	h := s.BreakEven
	rev := 20 + 40*((1-h)*0.6+h*0.15)
	cost := 18 + 480.0/13*((1-h)+h*0.1)
	assert.InDelta(t, rev, cost, 1e-9)
	// A book that loses at any hit rate.
	b := book()
	b.Cost = 60
	s = b.BreakEvenHitRate()
	assert.False(t, s.OK)
	assert.Contains(t, s.Note, "loses money")
}

func TestPlanLognormal(t *testing.T) {
	// Fee 20 a month; usage lognormal mean 300 median 120 tasks; $0.05 per
	// task. Mean cost 15: margin 25%, markup 33.3%. A subscriber loses
	// money above 20/0.05 = 400 tasks: sigma = sqrt(2 ln 2.5) = 1.353729,
	// z = ln(400/120)/sigma = 0.889375, P(N > 400) = 1 - Phi(z) = 0.186901.
	p, err := ParsePlan("name=pro,fee=20,mean=300,median=120")
	require.NoError(t, err)
	e, err := p.Evaluate(0.05)
	require.NoError(t, err)
	assert.InDelta(t, 15, e.MeanCost, 1e-12)
	assert.InDelta(t, 25, e.MarginPct, 1e-12)
	assert.InDelta(t, 100.0/3, e.MarkupPct, 1e-12)
	assert.InDelta(t, 400, e.LossTasks, 1e-9)
	assert.InDelta(t, 0.186901, e.LossShare, 1e-6)
	// They use Phi((mu + sigma^2 - ln 400)/sigma) = 67.88% of all tasks.
	assert.InDelta(t, 0.678803, e.LossCostShare, 1e-6)
	assert.InDelta(t, 2798.21, e.P99Tasks, 0.01)
	assert.InDelta(t, 15, e.BreakEvenFee, 1e-12)
	assert.InDelta(t, 20.0/300, e.BreakEvenCostPerTask, 1e-12)
}

func TestPlanPareto(t *testing.T) {
	// Pareto min 40, alpha 1.5: mean 120 tasks; at $0.10 a task the mean
	// cost is 12 against a fee of 20: margin 40%. Loss above 200 tasks:
	// (40/200)^1.5 = 0.089443 of subscribers, (40/200)^0.5 = 0.447214 of
	// the tasks.
	p, err := ParsePlan("fee=20,dist=pareto,min=40,alpha=1.5")
	require.NoError(t, err)
	e, err := p.Evaluate(0.1)
	require.NoError(t, err)
	assert.InDelta(t, 120, e.MeanTasks, 1e-9)
	assert.InDelta(t, 40, e.MarginPct, 1e-9)
	assert.InDelta(t, math.Pow(0.2, 1.5), e.LossShare, 1e-12)
	assert.InDelta(t, math.Sqrt(0.2), e.LossCostShare, 1e-12)
}

func TestParsePlanErrors(t *testing.T) {
	for _, s := range []string{"", "mean=3,median=2", "fee=-1,mean=3,median=2", "fee=2,mean=1,median=2",
		"fee=2,dist=pareto,min=1,alpha=1", "fee=2,bogus=1", "fee=x", "fee=1,fee=2", "fee=2,dist=zipf"} {
		_, err := ParsePlan(s)
		assert.Error(t, err, s)
	}
}

func TestParseCut(t *testing.T) {
	c, err := ParseCut("output=-50%")
	require.NoError(t, err)
	assert.Equal(t, Cut{Target: "output", Factor: 0.5}, c)
	assert.Equal(t, "output=-50%", c.String())
	c, err = ParseCut("all=-0.3")
	require.NoError(t, err)
	assert.InDelta(t, 0.7, c.Factor, 1e-12)
	assert.True(t, c.Applies("cached"))
	for _, s := range []string{"output", "gpu=-5%", "output=-150%", "output=abc", "output=1e9"} {
		_, err := ParseCut(s)
		assert.Error(t, err, s)
	}
}

func FuzzParseCutAndPlan(f *testing.F) {
	f.Add("output=-50%")
	f.Add("fee=20,mean=300,median=120")
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := ParseCut(s); err == nil && (c.Factor < 0 || math.IsNaN(c.Factor)) {
			t.Fatalf("%q: factor %v", s, c.Factor)
		}
		if p, err := ParsePlan(s); err == nil {
			if _, err := p.Evaluate(0.01); err != nil {
				t.Fatalf("%q parsed but does not evaluate: %v", s, err)
			}
		}
	})
}

// A plan's loss-making subscribers of a heavy tail are few but costly:
// 0.0021% of subscribers causing 2.78% of the cost printed "0.00% of
// subscribers", as if there were none.
func TestSmallSharesKeepTheirDigits(t *testing.T) {
	assert.Equal(t, "0.0021%", sharePct(0.000021))
	assert.Equal(t, "0.00%", sharePct(0))
	assert.Equal(t, "2.78%", sharePct(0.0278))
	assert.Equal(t, "0.01%", sharePct(0.0001))
	assert.Equal(t, "0.0000033%", sharePct(0.000000033))
}

// A cut names itself as it was given: `price chat --cut all=-30%` printed
// "chat after all=-30.000000000000004%" (and its JSON cuts and label),
// (0.7 - 1) x 100 in binary floating point.
func TestCutStringHasNoFloatNoise(t *testing.T) {
	for in, want := range map[string]string{
		"all=-30%": "all=-30%", "output=-0.3": "output=-30%", "input=+12.5%": "input=+12.5%",
		"cached=-10%": "cached=-10%", "task=7%": "task=+7%", "video=-100%": "video=-100%",
		"output=-33.333%": "output=-33.333%",
	} {
		c, err := ParseCut(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, c.String(), in)
	}
}

// A plan's inputs have limits (the repo contract: every input has a
// documented limit): --plan fee=5,mean=1e30,median=1 printed "p99
// subscriber: 7.50311e+11 tasks" and "break-even fee 3.28432e+27
// USD/month". Tasks per subscriber per month are at most 1e9 (about 380
// a second), the fee at most 1e6 USD, alpha at most 100.
func TestPlanLimits(t *testing.T) {
	for _, s := range []string{"fee=5,mean=1e30,median=1", "fee=5,mean=2e9,median=1e9", "fee=2e6,mean=3,median=1",
		"fee=5,dist=pareto,min=2e9,alpha=2", "fee=5,dist=pareto,min=1,alpha=1000"} {
		_, err := ParsePlan(s)
		require.Error(t, err, s)
		require.Contains(t, err.Error(), "at most", s)
	}
	for _, s := range []string{"fee=1e6,mean=1e9,median=1e9", "fee=5,dist=pareto,min=1e9,alpha=100"} {
		_, err := ParsePlan(s)
		require.NoError(t, err, s)
	}
}
