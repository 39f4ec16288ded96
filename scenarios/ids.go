package scenarios

// Block and request identity.
//
// A block id is Mix64(key) where key packs (class index, purpose, counter)
// into disjoint bit ranges: class in bits 52..63, purpose in bits 48..51 and
// a 48-bit counter. mix64 is a bijection on uint64, so distinct keys never
// give the same id: blocks of different classes, or a pool system prompt and
// a user message, cannot collide. Counters that come from a hash (sub-agent
// sessions, whose identity is a path rather than a sequence number) can
// collide with each other with probability ~n²/2⁴⁹, but only within their
// own class and purpose.

// Block purposes (4 bits).
const (
	purposePool        uint64 = 1  // chat system prompt pool entry
	purposeChatUser    uint64 = 2  // chat user message
	purposeAgentPrefix uint64 = 3  // agent shared prefix (system prompt + tools)
	purposeSubPrefix   uint64 = 4  // sub-agent shared prefix, counter = depth
	purposeFirst       uint64 = 5  // agent turn-0 user message
	purposeOutput      uint64 = 6  // assistant output of a turn
	purposeAppend      uint64 = 7  // tool result or user message of turn k > 0
	purposeToolResult  uint64 = 8  // a sub-agent's final output, in its parent
	purposeSubTask     uint64 = 9  // task block handed to a sub-agent
	purposeTrace       uint64 = 10 // Mooncake hash-id block
	purposeTraceFresh  uint64 = 11 // Azure (no hash ids) single block
	purposeSubSession  uint64 = 12 // any block of a sub-agent session (hashed counter)
)

const counterMask = 1<<48 - 1

// Mix64 is the splitmix64 finalizer: a bijection on uint64 with good
// avalanche, so sequential keys give well-spread ids.
func Mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hash2 combines two values into one well-mixed value (not a bijection).
func hash2(a, b uint64) uint64 { return Mix64(a ^ Mix64(b+0x9e3779b97f4a7c15)) }

// blockID is the id of block `counter` of purpose in class.
func blockID(class int, purpose, counter uint64) uint64 {
	return Mix64(uint64(class)<<52 | purpose<<48 | counter&counterMask)
}

// followupBit marks request ids made by hashing (follow-up turns, closed-loop
// requests), so they never equal the sequential ids Next hands out.
const followupBit = 1 << 63

// followupID is the id of request n of the task/session with key.
func followupID(key, n uint64) uint64 { return hash2(key, n) | followupBit }
