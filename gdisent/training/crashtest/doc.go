// Package crashtest holds gdisent's crash tests for training.Loop: a test that trains a small model in a child
// process, kills it with SIGKILL at random moments (mid-step, while a checkpoint's temporary file is being
// written, right after a checkpoint is renamed into place), restarts it until it finishes, and checks that the
// final parameters, optimiser and RNG state and the loss history are bit-for-bit those of an uninterrupted run.
//
// Run it with
//
//	go test -count=1 -run TestSIGKILLResume -v ./gdisent/training/crashtest/
//
// The package has no API; it exists for its tests.
package crashtest
