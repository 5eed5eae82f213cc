// Package js runs JavaScript function implementations in process, in the pure-Go engine goja:
// one VM per (session, function), values converted as upstream's JavaScript executor does,
// W.Call for nested calls, and per-call time and memory limits.
package js
