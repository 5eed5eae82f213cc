package runtime

import _ "embed"

// PythonChannel is the source of zeval_channel.py: the kernel side of the fast call channel,
// which serves calls of the loaded function over a Unix socket (or, as a fallback, one call per
// execute_request).
//
//go:embed python/zeval_channel.py
var PythonChannel string
