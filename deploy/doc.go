// Package deploy is the operator kit of zeval: a Grafana dashboard (grafana/zeval.json),
// Prometheus alert rules with promtool unit tests (prometheus/), a runbook (RUNBOOK.md) and
// how to configure and run the server (README.md). It has no Go code; its tests check that
// the rules pass promtool, that every dashboard query parses and names only metrics zeval
// exports, and that every alert has a runbook section.
package deploy
