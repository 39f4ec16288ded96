//go:build !linux

package thp

// Start does nothing off Linux: huge pages are a Linux THP feature here.
func Start() (stop func()) { return func() {} }

// Check does nothing off Linux.
func Check() {}
