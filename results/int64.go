package results

import "math"

// Token counts travel as int from the scenario to the result, summed into
// int64 totals: int must be 64 bits (it is on every platform fleetbench is
// built for). This constant fails to compile where int is 32 bits, rather
// than letting a 3-billion-token count wrap negative.
const _ uint64 = math.MaxInt - (1<<63 - 1)
