package results

import (
	"errors"
	"syscall"
)

// isUnsupportedSync: fsync on a device or pipe (/dev/stdout, a FIFO) fails
// with EINVAL/ENOTSUP, which says nothing about the records written.
func isUnsupportedSync(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP)
}
