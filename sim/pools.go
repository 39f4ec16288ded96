package sim

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/fleetbench/fleetbench/results"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim/kvcache"
	"github.com/fleetbench/fleetbench/sim/models"
	"github.com/fleetbench/fleetbench/sim/perf"
)

// pool is a group of identical instances with one role.
type pool struct {
	spec   PoolSpec
	gpu    hardware.Spec
	model  *perf.Model
	insts  []*instance
	router *router
	prefix *kvcache.Index // prefix index for cache-aware routing, or nil
	tier   *kvcache.Tier

	// maxSeqs and maxBatchTokens bound one instance step: the per-rank
	// limits times the attention DP ranks.
	maxSeqs, maxBatchTokens int
	// capDecode makes a decode pool admit transfers only while its batch
	// (running + landing) is under maxSeqs: wide decode pools cap the
	// batch per rank (DeepEP's low-latency buffers are sized for it), as
	// do pools that set max_seqs themselves. Classic decode instances
	// admit by KV space alone.
	capDecode bool

	busyNs int64 // instance time spent in steps, summed over instances
	// steps, prefillTokens and decodeTokens count the pool's forward steps
	// and the tokens they computed (whole run, like busyNs).
	steps, prefillTokens, decodeTokens int64
	classBusy                          []float64 // ns of that busy time attributable to each class

	index int32       // position in fleet.pools
	live  []*instance // routable (up) instances, by index
	// slab holds the pool's instances in one array (insts[i] is
	// &slab[i]; first is slab[0]'s fleet index), so that the event loop
	// and the router find an instance by address arithmetic rather than
	// through a pointer array, itself cache-cold at thousands of
	// instances (fleet.inst, router.sample).
	slab        []instance
	first       int32
	parked      deque // requests waiting for any instance of the pool to be up
	provisioned int   // instances paid for (every state but off)
	scaler      *scaler
	history     []provisionPoint // elastic pools: paid-for count after each change
}

// fleet is the whole simulated deployment.
type fleet struct {
	cfg       Config
	modelID   string
	spec      FleetSpec
	pools     []*pool
	instances []*instance
	entry     *pool  // colocated or prefill pool: where requests arrive
	decode    *pool  // decode pool in disaggregated mode
	links     []link // by decode instance (link)
	video     *videoPool
	failRng   *rand.Rand
	incidents []*incident
	e         *engine
	// contextTokens is the served model's context length (0: unknown).
	contextTokens int
}

// buildFleet checks the configuration against the catalogs and the
// scenario and builds every pool. Errors say what to change.
func buildFleet(cfg Config, sc *scenarios.Scenario) (*fleet, error) {
	spec, err := ParseFleet(cfg.Fleet)
	if err != nil {
		return nil, err
	}
	f := &fleet{cfg: cfg, spec: spec, modelID: cfg.Model}
	var needLLM, needVideo bool
	for _, c := range sc.Classes {
		if c.Kind == scenarios.KindVideo {
			needVideo = true
		} else {
			needLLM = true
		}
	}
	var llmPools []PoolSpec
	for _, ps := range spec.Pools {
		if ps.Role == RoleVideo {
			if f.video != nil {
				return nil, fmt.Errorf("fleet %q has more than one video pool; merge them into one V term", cfg.Fleet)
			}
			g := cfg.VideoGPU
			if ps.GPU != "" {
				g = ps.GPU
			}
			sp := cfg.VideoSP
			if ps.TP > 0 {
				sp = ps.TP
			}
			vp, err := newVideoPool(ps.Count, g, sp, cfg.VideoModel)
			if err != nil {
				return nil, err
			}
			f.video = vp
			continue
		}
		llmPools = append(llmPools, ps)
	}
	if needLLM && len(llmPools) == 0 {
		return nil, fmt.Errorf("scenario %q has LLM classes but fleet %q has no LLM pool (add e.g. \"4P8D\" or \"8C\")", sc.Name, cfg.Fleet)
	}
	if needVideo && f.video == nil {
		return nil, fmt.Errorf("scenario %q has video classes but fleet %q has no video pool (add e.g. \"+8V\")", sc.Name, cfg.Fleet)
	}
	if len(llmPools) > 0 {
		m, err := f.lookupModel()
		if err != nil {
			return nil, err
		}
		f.contextTokens = m.ContextTokens
		if err := fitsContext(sc, m); err != nil {
			return nil, err
		}
		for _, ps := range llmPools {
			p, err := f.newPool(ps, m)
			if err != nil {
				return nil, err
			}
			switch ps.Role {
			case RoleColocated, RolePrefill:
				if f.entry != nil {
					return nil, fmt.Errorf("fleet %q has more than one %s pool; this simulator supports one", cfg.Fleet, ps.Role)
				}
				f.entry = p
			case RoleDecode:
				if f.decode != nil {
					return nil, fmt.Errorf("fleet %q has more than one decode pool; this simulator supports one", cfg.Fleet)
				}
				f.decode = p
			}
		}
	}
	if f.entry != nil {
		f.entry.router = newRouter(cfg.Routing, f.entry, cfg)
	}
	if f.decode != nil {
		f.decode.router = newRouter(cfg.DecodeRouting, f.decode, cfg)
		f.links = make([]link, len(f.decode.insts))
		for i, in := range f.decode.insts {
			bw := cfg.LinkBandwidth
			if bw <= 0 {
				bw = f.decode.gpu.NICBandwidth
			}
			l := &f.links[i]
			*l = link{idx: int32(i), bw: bw * float64(f.decode.model.GPUs()), latency: int64(cfg.LinkLatency), dst: in}
			in.link = l
		}
	}
	return f, nil
}

// fitsContext refuses a class whose every request is longer than the
// model's context (scenario validation does the same against the
// scenario's own model, with the file position; this catches --model):
// a server refuses each of them (HTTP 400). Requests only some of which
// are over are counted in the result instead (results.OverContext).
func fitsContext(sc *scenarios.Scenario, m models.Model) error {
	if m.ContextTokens <= 0 {
		return nil
	}
	for i := range sc.Classes {
		c := &sc.Classes[i]
		if n := c.MinRequestTokens(); n > m.ContextTokens {
			return fmt.Errorf("class %q: every request has at least %d tokens (prompt + output), over the %d-token context of model %s: a server refuses each of them (HTTP 400); shorten the class's lengths in the scenario, or pick a model with a longer context (--model)",
				c.Name, n, m.ContextTokens, m.ID)
		}
	}
	return nil
}

// lookupModel resolves the served model: a config.json (ModelConfig) or
// a catalog id. A config's weight precision becomes the fleet's DType
// unless one was given.
func (f *fleet) lookupModel() (models.Model, error) {
	cfg := &f.cfg
	if cfg.ModelConfig == "" {
		if cfg.Model == "" {
			return models.Model{}, fmt.Errorf("no model given for the LLM pools (use --model, e.g. llama-3.1-8b, or --model-config config.json; known: %v)", models.IDs())
		}
		return models.Lookup(cfg.Model)
	}
	m, dtype, err := models.LoadHFConfig(cfg.ModelConfig)
	if err != nil {
		return m, err
	}
	if cfg.Model != "" {
		m.ID = cfg.Model
	}
	f.modelID = m.ID
	if cfg.DType == "" {
		if dtype == "int4" {
			return m, fmt.Errorf("model config %s: 4-bit weights are not modelled; choose the precision to plan at with --dtype fp8 (or bf16)", cfg.ModelConfig)
		}
		cfg.DType = dtype
	}
	return m, nil
}

func (f *fleet) newPool(ps PoolSpec, m models.Model) (*pool, error) {
	gid := f.cfg.GPU
	if ps.GPU != "" {
		gid = ps.GPU
	}
	g, err := hardware.Lookup(gid)
	if err != nil {
		return nil, err
	}
	tp := f.cfg.TP
	if ps.TP > 0 {
		tp = ps.TP
	}
	pm, err := perf.New(m, g, f.cfg.perfConfig(ps, tp))
	if err != nil {
		return nil, fmt.Errorf("%s pool: %w", ps.Role, err)
	}
	dp := pm.Config().DP
	kvTokens := pm.KVCapacityTokens()
	if f.cfg.KVTokens > 0 {
		kvTokens = f.cfg.KVTokens
	}
	blocks := int(kvTokens / int64(f.cfg.BlockTokens))
	if blocks < 1 {
		return nil, fmt.Errorf("%s pool: %s at TP%d on %s leaves no room for KV cache; raise TP or use a larger GPU", ps.Role, m.ID, tp, g.ID)
	}
	o := f.cfg.options(ps.Role)
	p := &pool{spec: ps, gpu: g, model: pm,
		maxSeqs: pick(o.MaxSeqs, f.cfg.MaxSeqs) * dp, maxBatchTokens: pick(o.MaxBatchTokens, f.cfg.MaxBatchTokens) * dp,
		capDecode: ps.Role == RoleDecode && (dp > 1 || o.MaxSeqs > 0)}
	p.spec.GPU, p.spec.TP = g.ID, tp
	if f.cfg.TierBlocks > 0 {
		p.tier = kvcache.NewTier(f.cfg.TierBlocks)
	}
	needIndex := ps.Role != RoleDecode && (f.cfg.Routing == "cache-aware" || f.cfg.Routing == "session") ||
		ps.Role == RoleDecode && f.cfg.DecodeRouting == "cache-aware"
	if needIndex {
		p.prefix = kvcache.NewIndex()
	}
	total := ps.Count
	for _, a := range f.cfg.Autoscale {
		if a.Pool == ps.Role.String() {
			if p.scaler != nil {
				return nil, fmt.Errorf("two autoscalers for the %s pool", a.Pool)
			}
			p.scaler = &scaler{spec: a}
			total = max(a.Max, 1)
		}
	}
	start := total
	if p.scaler != nil {
		start = min(max(ps.Count, p.scaler.spec.Min), p.scaler.spec.Max)
	}
	// The pool's caches share one Seq pool: an Admit gets the Seq some
	// cache released last, still in the CPU caches (kvcache/seqpool.go).
	// One per pool, not per fleet: prefill Seqs keep the span arrays
	// their prompts grew, decode Seqs (anonymous caches) need none.
	seqs := kvcache.NewSeqPool()
	p.slab, p.first = make([]instance, total), int32(len(f.instances))
	for i := 0; i < total; i++ {
		in := &p.slab[i]
		*in = instance{idx: int32(len(f.instances)), pool: p, model: pm, cache: kvcache.New(blocks, f.cfg.BlockTokens),
			name: fmt.Sprintf("%s-%d", ps.Role.String(), i)}
		in.cache.SetSeqPool(seqs)
		if i < start {
			p.live = append(p.live, in)
			p.provisioned++
		} else {
			in.state = stOff
		}
		if ps.Role == RoleDecode && f.cfg.NoDecodePrefixCache {
			// Nothing is ever published here (startTransfer admits without
			// hashes, transferDone and finish do not publish): the cache is
			// a block count, kept without per-block state (kvcache/anon.go).
			in.cache.SetAnonymous()
		}
		if p.tier != nil {
			in.cache.SetTier(p.tier)
		}
		if p.prefix != nil {
			idx, x, every := in.idx, p.prefix, uint64(f.cfg.IndexEvery)
			in.cache.SetHooks(
				func(h uint64) {
					if indexed(h, every) {
						x.Add(h, idx)
					}
				},
				func(h uint64) {
					if indexed(h, every) {
						x.Remove(h, idx)
					}
				})
			in.cache.SetTouchHook(func(hs []uint64) { x.Touch(hs, every) })
		}
		p.insts = append(p.insts, in)
		f.instances = append(f.instances, in)
	}
	if p.prefix != nil {
		p.prefix.SetInstances(len(p.insts))
	}
	p.index = int32(len(f.pools))
	f.pools = append(f.pools, p)
	return p, nil
}

// inst returns instance idx, found through its pool's slab: no read of
// f.instances, whose lines are cache misses at thousands of instances.
func (f *fleet) inst(idx int32) *instance {
	for _, p := range f.pools { // in fleet index order
		if k := idx - p.first; k < int32(len(p.slab)) {
			return &p.slab[k]
		}
	}
	return f.instances[idx]
}

// indexed reports whether the prefix index records block hash h: one
// hash in every, chosen by value (Config.IndexEvery). every is a power of
// two by default (4), and a mask then replaces a 64-bit division, which
// these per-block hooks would otherwise pay on every cached block.
func indexed(h, every uint64) bool {
	if every&(every-1) == 0 {
		return h&(every-1) == 0
	}
	return h%every == 0
}

// attach lets pools size per-class scratch space once the engine exists.
func (f *fleet) attach(e *engine) {
	f.e = e
	for _, in := range f.instances {
		in.dec.bs = int64(f.cfg.BlockTokens)
		in.dec.resid = make([]int64, f.cfg.BlockTokens)
		in.dec.cls = make([]int64, len(e.classNames))
		in.dec.free = &e.itlFree
		in.dec.gapFree = &e.gapFree
	}
	for _, p := range f.pools {
		p.classBusy = make([]float64, len(e.classNames))
		if p.scaler != nil {
			p.history = []provisionPoint{{0, p.provisioned}}
		}
	}
	if f.video != nil {
		f.video.classBusy = make([]float64, len(e.classNames))
	}
}

// route sends a new LLM request to an instance of the entry pool.
func (f *fleet) route(e *engine, s *seqState) {
	in := f.entry.router.pick(e, s)
	s.expectHit = f.entry.router.hit
	if in == nil {
		f.entry.parked.pushBack(s) // no instance serving: wait for one
		return
	}
	in.enqueue(e, s)
}

// handOff moves a prefilled sequence from prefill instance p towards a
// decode instance: the decode side reserves KV first (backpressure: the
// prefill side keeps its KV pinned meanwhile), then the link moves only the
// blocks the decode instance does not already hold.
func (f *fleet) handOff(e *engine, p *instance, s *seqState) {
	s.prefillInst, s.prefillKV, s.kv = p, s.kv, nil
	f.assignDecode(e, s)
}

// assignDecode picks the decode instance for a prefilled sequence and
// starts (or queues) its transfer.
func (f *fleet) assignDecode(e *engine, s *seqState) {
	p := s.prefillInst
	d := f.decode.router.pick(e, s)
	if d == nil {
		f.decode.parked.pushBack(s)
		return
	}
	if d.cache.BlocksFor(s.prefillTarget) > d.cache.Capacity() || !d.canFinish(s) {
		// The decode instance could never hold this context (prompt and
		// output): refused before its second token.
		p.cache.Release(s.prefillKV)
		s.prefillInst, s.prefillKV = nil, nil
		e.finish(s, "too_long")
		return
	}
	d.incoming++
	if d.xfers.len() > 0 || !f.startTransfer(e, d, s) {
		d.xfers.pushBack(s)
	}
}

// startTransfer admits s's prompt KV on decode instance d and starts the
// transfer; false when d has no room yet.
func (f *fleet) startTransfer(e *engine, d *instance, s *seqState) bool {
	hashes := s.hashes
	if e.cfg.NoDecodePrefixCache {
		hashes = nil // Mooncake-style decode: every transfer moves the whole prompt
	}
	if d.pool.capDecode && d.active()+len(d.link.active) >= d.pool.maxSeqs {
		return false // the batch is full: wait for a sequence to finish
	}
	adm, ok := d.cache.Admit(hashes, s.prefillTarget)
	if !ok {
		return false
	}
	s.kv = adm.Seq
	have := min((adm.HitBlocks+adm.TierBlocks)*e.cfg.BlockTokens, s.prefillTarget)
	bytes := float64(s.prefillTarget-have) * float64(d.model.KVBytesPerToken())
	s.xferStart = e.now
	e.stats.Transfers++
	d.link.add(e, s, bytes)
	return true
}

// transferDone lands s on its decode instance.
func (f *fleet) transferDone(e *engine, d *instance, s *seqState) {
	p := s.prefillInst
	p.cache.Release(s.prefillKV)
	s.prefillInst, s.prefillKV = nil, nil
	if !p.busy {
		p.schedule(e)
	}
	d.incoming--
	n := min(s.prefillTarget/e.cfg.BlockTokens, len(s.hashes))
	if n > 0 && !e.cfg.NoDecodePrefixCache {
		d.cache.Publish(s.kv, s.hashes[:n])
	}
	if d.busy {
		// The batch is mid-step: the sequence joins when the step (or the
		// span, cut short by kick) ends, not before.
		s.inst = d
		d.joining = append(d.joining, s)
		d.kick(e)
		return
	}
	d.join(e, s)
	d.schedule(e)
}

// describe is the fleet section of the result file.
func (f *fleet) describe() *results.FleetInfo {
	fi := &results.FleetInfo{Spec: f.spec.String(), Mode: f.spec.Mode(), Model: f.modelID}
	if len(f.pools) > 0 {
		// LLM serving knobs; a video-only fleet has none of them.
		fi.Routing, fi.BlockTokens = f.cfg.Routing, f.cfg.BlockTokens
		fi.MaxBatchTokens, fi.MaxSeqs = f.cfg.MaxBatchTokens, f.cfg.MaxSeqs
	}
	for _, p := range f.pools {
		if p.spec.Role == RoleDecode {
			fi.DecodeRouting = f.cfg.DecodeRouting // only a PD fleet chooses a decode instance
		}
		pi := results.PoolInfo{
			Role: p.spec.Role.String(), Instances: p.provisioned, GPU: p.gpu.ID, GPUsPerInstance: p.model.GPUs(),
			GPUs: p.provisioned * p.model.GPUs(), KVCapacityTokens: int64(p.insts[0].cache.Capacity() * f.cfg.BlockTokens),
			USDPerGPUHour: p.gpu.USDPerHour, TDPWatts: p.gpu.TDPWatts, BusySeconds: float64(p.busyNs) / 1e9,
		}
		if c := p.model.Config(); p.spec.Parallel() || c.DP > 1 || c.Spec.Draft > 0 {
			pi.Layout = fmt.Sprintf("tp%d dp%d ep%d", c.TP, c.DP, c.EP)
			if c.Spec.Draft > 0 {
				pi.Layout += fmt.Sprintf(" spec%d@%.2f", c.Spec.Draft, c.Spec.Accept)
			}
			pi.NodeGPUs = p.gpu.Node() // the engine explains the window's throughput
		}
		if p.scaler != nil {
			// Elastic: cost follows the GPUs actually provisioned over the
			// window (filled in by the engine once the window is known).
			pi.GPUSeconds = -1
		}
		fi.GPUs += pi.GPUs
		fi.Pools = append(fi.Pools, pi)
	}
	if v := f.video; v != nil {
		n := len(v.insts) * v.sp
		fi.GPUs += n
		fi.Pools = append(fi.Pools, results.PoolInfo{Role: "video", Instances: len(v.insts), GPU: v.gpu.ID,
			GPUsPerInstance: v.sp, GPUs: n, USDPerGPUHour: v.gpu.USDPerHour, TDPWatts: v.gpu.TDPWatts,
			BusySeconds: float64(v.busyNs) / 1e9})
	}
	return fi
}

// explain fills the throughput explanation of a wide pool from its
// window counts (steps, prompt tokens, decode tokens) and busy seconds.
func (p *pool) explain(pi *results.PoolInfo, c perf.Config, n [3]int64, busyS, windowS float64) {
	steps, pre, dec := n[0], n[1], n[2]
	pi.Steps = steps
	if steps <= 0 || busyS <= 0 {
		return
	}
	pi.MeanStepMs = busyS * 1e3 / float64(steps)
	tokens, limit := pre, p.maxBatchTokens/c.DP
	switch p.spec.Role {
	case RoleDecode:
		tokens, limit = dec, p.maxSeqs/c.DP
	case RoleColocated:
		tokens += dec
	}
	pi.RankBatch = math.Round(float64(tokens)/float64(steps)/float64(c.DP)*100) / 100
	pi.RankBatchLimit = limit
	if p.spec.Role == RoleDecode && c.Spec.Draft > 0 {
		// A speculative step yields ExpectedTokens per sequence; the
		// engine runs it as that many shorter steps of the same batch.
		pi.MeanStepMs *= c.Spec.ExpectedTokens()
	}
	pi.MeanStepMs = math.Round(pi.MeanStepMs*1e3) / 1e3
	perNode := float64(pi.NodeGPUs) / float64(c.GPUs) / float64(max(pi.Instances, 1))
	pi.BusyTokensPerNode = math.Round(float64(tokens)/busyS*perNode*float64(max(pi.Instances, 1))*10) / 10
	if windowS > 0 {
		pi.WindowTokensPerNode = math.Round(float64(tokens)/windowS*perNode*10) / 10
	}
}

// unpark routes requests that found no serving instance in p.
func (f *fleet) unpark(e *engine, p *pool) {
	for p.parked.len() > 0 && len(p.live) > 0 {
		s := p.parked.popFront()
		if p == f.decode {
			f.assignDecode(e, s)
		} else {
			f.route(e, s)
		}
	}
}

func (f *fleet) poolByRole(role string) *pool {
	for _, p := range f.pools {
		if p.spec.Role.String() == role {
			return p
		}
	}
	return nil
}
