package htmlreport

import (
	"fmt"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry of fleetbench result files (results/hist.go): values
// in microseconds, 1 µs to 1e11 µs, 3 significant digits.
const (
	histLowestUs  = 1
	histHighestUs = 100_000_000_000
	histSigDigits = 3
	// maxHistBytes bounds one encoded histogram: real ones are a few kB, and
	// the decoder allocates in proportion to what the header claims.
	maxHistBytes = 1 << 20
)

// decodeHist decodes one base64 HDR histogram of a result file. The
// library can panic on corrupt input, so a panic becomes an error: a bad
// file must not crash the report.
func decodeHist(enc string) (h *hdr.Histogram, err error) {
	if len(enc) > maxHistBytes {
		return nil, fmt.Errorf("encoded histogram is %d bytes, more than %d", len(enc), maxHistBytes)
	}
	defer func() {
		if p := recover(); p != nil {
			h, err = nil, fmt.Errorf("corrupt histogram: %v", p)
		}
	}()
	h, err = hdr.Decode([]byte(enc))
	if err != nil {
		return nil, fmt.Errorf("corrupt histogram: %w", err)
	}
	if h.LowestTrackableValue() != histLowestUs || h.HighestTrackableValue() != histHighestUs || h.SignificantFigures() != histSigDigits {
		return nil, fmt.Errorf("histogram geometry (lowest %d, highest %d, %d digits) is not fleetbench's (%d, %d, %d)",
			h.LowestTrackableValue(), h.HighestTrackableValue(), h.SignificantFigures(), histLowestUs, histHighestUs, histSigDigits)
	}
	return h, nil
}
