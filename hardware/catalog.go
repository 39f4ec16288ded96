// Package hardware is the hardware catalog: per-GPU specs (memory,
// bandwidths, compute, power) and default prices. It is pure data with no
// dependencies beyond the standard library, so the roofline model
// (sim/perf) links no NVML, histogram or YAML code; the NVML sampler lives
// in package gpu.
package hardware

import (
	"fmt"
	"slices"
	"strings"
)

// Units used by the catalog, so the table below reads like the datasheets.
const (
	giga = 1e9
	tera = 1e12
	// gbit is one gigabit per second expressed in bytes per second.
	gbit = 1e9 / 8
)

// DefaultNICBandwidth is the per-GPU inter-node bandwidth assumed when a
// catalog entry gives none: 400 Gb/s, the usual one NIC per GPU on H100/H200
// clusters (8 × 400 Gb/s per node; docs/catalog.md "Inter-node").
const DefaultNICBandwidth = 400 * gbit

// DefaultNodeGPUs is the GPUs per server when an entry gives none: the
// 8-GPU HGX/DGX board.
const DefaultNodeGPUs = 8

// Node returns the GPUs per server, DefaultNodeGPUs when unset.
func (s Spec) Node() int {
	if s.NodeGPUs > 0 {
		return s.NodeGPUs
	}
	return DefaultNodeGPUs
}

// Domain returns the scale-up (NVLink) domain size in GPUs: ScaleUpDomain,
// or the node size when unset.
func (s Spec) Domain() int {
	if s.ScaleUpDomain > 0 {
		return s.ScaleUpDomain
	}
	return s.Node()
}

// Spec describes one GPU model. Bandwidths are bytes per second, compute is
// dense (no sparsity) FLOP/s, memory is bytes. Prices are defaults that a
// scenario or flag may override.
type Spec struct {
	// ID is the catalog key, e.g. "h100".
	ID string
	// Name is the human-readable product name.
	Name string
	// HBMBytes is device memory in bytes.
	HBMBytes float64
	// HBMBandwidth is peak device-memory bandwidth in B/s.
	HBMBandwidth float64
	// BF16FLOPS is peak dense BF16 tensor throughput in FLOP/s.
	BF16FLOPS float64
	// FP8FLOPS is peak dense FP8 tensor throughput in FLOP/s; 0 if the GPU
	// has no FP8 tensor cores.
	FP8FLOPS float64
	// FA2FLOPS is the throughput a FlashAttention-2-class attention kernel
	// (BF16, head dim 128, long sequences) reaches on this GPU, in FLOP/s;
	// 0 when unknown, meaning "limited only by tensor-core efficiency".
	// Hopper runs FA2 far below its tensor peak because FA2 does not use
	// the Hopper-only wgmma instructions; video pipelines (xDiT) use FA2.
	FA2FLOPS float64
	// ScaleUpBandwidth is the per-GPU scale-up (NVLink, HCCS) bandwidth in
	// B/s, both directions together as datasheets quote it.
	ScaleUpBandwidth float64
	// NICBandwidth is per-GPU scale-out bandwidth in B/s (default 400 Gb/s).
	NICBandwidth float64
	// NodeGPUs is how many GPUs one server (or compute tray) holds; 0
	// means DefaultNodeGPUs.
	NodeGPUs int
	// ScaleUpDomain is how many GPUs share one scale-up (NVLink) fabric:
	// collectives and all-to-alls among at most this many GPUs stay on
	// ScaleUpBandwidth, larger groups cross the NICs. 8 for HGX boards,
	// 72 for a GB200 NVL72 rack; 0 means NodeGPUs.
	ScaleUpDomain int
	// TDPWatts is the board power limit.
	TDPWatts float64
	// USDPerHour is the default rental price per GPU-hour in US dollars.
	USDPerHour float64
	// Unverified names the fields whose values are best guesses
	// (marked [unverified] in docs/catalog.md); output should say so.
	Unverified []string
	// Source says where the figures come from.
	Source string
}

// catalog is the hardware table. Every figure comes from docs/catalog.md
// (shared team catalog) unless its comment says otherwise.
var catalog = map[string]Spec{
	// NVIDIA H100 SXM datasheet; price: RunPod list Mar 2026.
	"h100": {
		ID: "h100", Name: "NVIDIA H100 SXM 80GB",
		HBMBytes: 80 * giga, HBMBandwidth: 3.35 * tera,
		BF16FLOPS: 989 * tera, FP8FLOPS: 1979 * tera,
		// FA2 forward on H100 reaches ~330-350 TFLOPS at head dim 128
		// (FlashAttention-3 paper, Shah et al. 2024, FA2 baseline curves).
		FA2FLOPS:         335 * tera,
		ScaleUpBandwidth: 900 * giga, NICBandwidth: DefaultNICBandwidth,
		TDPWatts: 700, USDPerHour: 2.69,
		Unverified: []string{"FA2FLOPS"},
		Source:     "NVIDIA H100 datasheet; RunPod list price Mar 2026",
	},
	// NVIDIA H200 datasheet; same GH100 compute as H100, more and faster HBM.
	// HGX H200: 8 GPUs per board on NVLink4, one 400 Gb/s NIC per GPU.
	"h200": {
		ID: "h200", Name: "NVIDIA H200 SXM 141GB",
		HBMBytes: 141 * giga, HBMBandwidth: 4.8 * tera,
		BF16FLOPS: 989 * tera, FP8FLOPS: 1979 * tera,
		FA2FLOPS:         335 * tera, // same SMs and clocks as H100
		ScaleUpBandwidth: 900 * giga, NICBandwidth: DefaultNICBandwidth,
		NodeGPUs: 8, ScaleUpDomain: 8,
		TDPWatts: 700, USDPerHour: 3.59,
		Unverified: []string{"FA2FLOPS"},
		Source:     "NVIDIA H200 datasheet; RunPod list price",
	},
	// Same silicon as H100 with NVLink cut to 400 GB/s; $2/h is DeepSeek's
	// own cost assumption (DeepSeek-V3 report). System: 8 GPUs per node on
	// one NVLink board, one CX7 400 Gb/s InfiniBand NIC per GPU (DeepEP
	// README test setup; DeepSeek-V3 report section 3.1).
	"h800": {
		ID: "h800", Name: "NVIDIA H800 SXM 80GB",
		HBMBytes: 80 * giga, HBMBandwidth: 3.35 * tera,
		BF16FLOPS: 989 * tera, FP8FLOPS: 1979 * tera,
		FA2FLOPS:         335 * tera, // same SMs and clocks as H100
		ScaleUpBandwidth: 400 * giga, NICBandwidth: DefaultNICBandwidth,
		NodeGPUs: 8, ScaleUpDomain: 8,
		TDPWatts: 700, USDPerHour: 2.00,
		Unverified: []string{"FA2FLOPS"},
		Source:     "H100 silicon with reduced NVLink; price per DeepSeek-V3 report",
	},
	// Vendor spec pages. FP8 and price are best guesses. HGX H20: 8 GPUs
	// per board on NVLink4 (900 GB/s), one 400 Gb/s NIC per GPU.
	"h20": {
		ID: "h20", Name: "NVIDIA H20 96GB",
		HBMBytes: 96 * giga, HBMBandwidth: 4.0 * tera,
		BF16FLOPS: 148 * tera, FP8FLOPS: 296 * tera,
		ScaleUpBandwidth: 900 * giga, NICBandwidth: DefaultNICBandwidth,
		NodeGPUs: 8, ScaleUpDomain: 8,
		TDPWatts: 400, USDPerHour: 1.20,
		Unverified: []string{"FP8FLOPS", "USDPerHour"},
		Source:     "vendor spec pages",
	},
	// NVIDIA HGX B200 (per GPU): 8 GPUs per board on NVLink5 (1.8 TB/s),
	// one 400 Gb/s ConnectX-7 NIC per GPU; price: RunPod list.
	"b200": {
		ID: "b200", Name: "NVIDIA B200 192GB",
		HBMBytes: 192 * giga, HBMBandwidth: 8.0 * tera,
		BF16FLOPS: 2250 * tera, FP8FLOPS: 4500 * tera,
		ScaleUpBandwidth: 1800 * giga, NICBandwidth: DefaultNICBandwidth,
		NodeGPUs: 8, ScaleUpDomain: 8,
		TDPWatts: 1000, USDPerHour: 5.98,
		Source: "NVIDIA HGX B200 datasheet; RunPod list price",
	},
	// NVIDIA GB200 NVL72 (per GPU): 72 Blackwell GPUs in one NVLink5 domain
	// (1.8 TB/s per GPU), 4 GPUs per compute tray, 13.4 TB HBM3e per rack
	// (186 GB per GPU), 576 TB/s per rack (8 TB/s per GPU), 360/720 PFLOPS
	// dense FP16/FP8 per rack (2.5/5 PFLOPS per GPU), one 400 Gb/s NIC per
	// GPU for scale-out. Board power and price are best guesses.
	"gb200": {
		ID: "gb200", Name: "NVIDIA GB200 NVL72 (per GPU)",
		HBMBytes: 186 * giga, HBMBandwidth: 8.0 * tera,
		BF16FLOPS: 2500 * tera, FP8FLOPS: 5000 * tera,
		ScaleUpBandwidth: 1800 * giga, NICBandwidth: DefaultNICBandwidth,
		NodeGPUs: 4, ScaleUpDomain: 72,
		TDPWatts: 1200, USDPerHour: 6.50,
		Unverified: []string{"TDPWatts", "USDPerHour"},
		Source:     "NVIDIA GB200 NVL72 datasheet (rack figures divided by 72); price a guess above HGX B200",
	},
	// NVIDIA A100 80GB SXM datasheet; no FP8 tensor cores.
	"a100": {
		ID: "a100", Name: "NVIDIA A100 SXM 80GB",
		HBMBytes: 80 * giga, HBMBandwidth: 2.039 * tera,
		BF16FLOPS: 312 * tera, FP8FLOPS: 0,
		// FA2 paper (Dao 2023): forward reaches up to ~70% of A100 peak,
		// i.e. the tensor-core efficiency bound already covers it.
		ScaleUpBandwidth: 600 * giga, NICBandwidth: DefaultNICBandwidth,
		TDPWatts: 400, USDPerHour: 1.39,
		Source: "NVIDIA A100 datasheet; RunPod list price",
	},
	// Vendor pages. PCIe card: no NVLink, so scale-up is PCIe Gen4 x16
	// (64 GB/s both directions), which docs/catalog.md lists only as "PCIe".
	"l40s": {
		ID: "l40s", Name: "NVIDIA L40S 48GB",
		HBMBytes: 48 * giga, HBMBandwidth: 0.864 * tera,
		BF16FLOPS: 366 * tera, FP8FLOPS: 733 * tera,
		ScaleUpBandwidth: 64 * giga, NICBandwidth: DefaultNICBandwidth,
		TDPWatts: 350, USDPerHour: 0.90,
		Unverified: []string{"HBMBandwidth", "USDPerHour", "ScaleUpBandwidth"},
		Source:     "vendor pages; scale-up is PCIe Gen4 x16",
	},
	// Huawei Ascend 910B: mixed public sources (HBM 1.2-1.6 TB/s, ~320
	// TFLOPS FP16 used as the BF16 figure). No public list price: the
	// default is a guess at roughly A100 rental parity.
	"910b": {
		ID: "910b", Name: "Huawei Ascend 910B 64GB",
		HBMBytes: 64 * giga, HBMBandwidth: 1.6 * tera,
		BF16FLOPS: 320 * tera, FP8FLOPS: 0,
		ScaleUpBandwidth: 392 * giga, NICBandwidth: DefaultNICBandwidth,
		TDPWatts: 400, USDPerHour: 1.40,
		Unverified: []string{"HBMBandwidth", "BF16FLOPS", "ScaleUpBandwidth", "USDPerHour"},
		Source:     "mixed public sources; treat as uncertain",
	},
}

// IDs returns the catalog keys in sorted order.
func IDs() []string {
	ids := make([]string, 0, len(catalog))
	for id := range catalog {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Lookup returns the spec for id (case-insensitive, surrounding spaces
// ignored). The error lists the known ids. The returned Spec is a copy; its
// Unverified slice is fresh, so callers may modify it.
func Lookup(id string) (Spec, error) {
	key := strings.ToLower(strings.TrimSpace(id))
	s, ok := catalog[key]
	if !ok {
		return Spec{}, fmt.Errorf("unknown GPU %q: known GPUs are %s", id, strings.Join(IDs(), ", "))
	}
	s.Unverified = slices.Clone(s.Unverified)
	return s, nil
}
