// Package jupyter is a client of the Jupyter messaging protocol (v5.3): the wire codec, kernelspec
// discovery, launching kernels, and requests over the five channels (shell, iopub, stdin, control,
// heartbeat).
//
// It owns kernels as processes and connections; it knows nothing of ZObjects, functions or pools.
//
// The codec (wire.go) is pure: Signer.Encode and Signer.Decode turn messages into frames and back,
// checking HMAC-SHA256 signatures, and report bad input with wrapped sentinel errors (ErrNoDelimiter,
// ErrTruncated, ErrBadSignature, ErrBadJSON, ErrBadHeader).
//
// A Kernel is ready when it has answered kernel_info and its IOPub channel has delivered a message
// (PUB/SUB drops what is published before the subscription joins); kernel_info_request is resent
// every 20 ms until both hold, so readiness needs no sleeps. A request is complete when its reply
// and the IOPub status "idle" with its parent id have both arrived, in either order.
//
// A kernel's death is noticed at once when zeval started it (the process exits) and within the
// heartbeat timeout otherwise; every pending request then fails with a *DiedError (errors.Is
// ErrKernelDied) that carries the exit status and the last lines of the kernel's stderr.
//
// ZeroMQ: we use github.com/go-zeromq/zmq4 (pure Go), so zeval stays one static binary with no
// libzmq. Its pitfalls, and what we do about them: its Dial gives up after 10 tries 250 ms apart,
// so sockets dial with 10 ms retries and no limit, cancelled by the start timeout or the process's
// exit; it does not reconnect, so a restart creates all sockets anew; shell, control and stdin
// share one identity, or ipykernel's input_request is routed nowhere; and a timed-out heartbeat
// leaves the REQ socket unusable, so a missed heartbeat is final. pebbe/zmq4 (cgo, libzmq) would
// reconnect by itself but needs libzmq at build and run time.
package jupyter
