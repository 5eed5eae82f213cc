// Package api is zeval's HTTP interface: the Wikifunctions orchestrator API
// (POST /{domain}/v1/evaluate/ and /{domain}/v2/evaluate/ with {"zobject": Z7,
// "doValidate": bool}, answered with the Z22 envelope as upstream writes it;
// GET /{domain}/v1/supported-programming-languages/), the object store API
// (/v1/objects/..., objects.go; its bulk routes POST /v1/objects:batch and
// GET /v1/objects:export, batch.go), the library API (/v1/functions, /v1/functions/{zid},
// POST /v1/functions/{zid}/test, library.go), page rendering (POST /v1/render, render.go) and
// the OpenAPI document of all of them (/openapi.json, openapi.go, checked against the handlers).
//
// It owns: routing, request decoding and size limits, status codes and JSON error bodies,
// and keeping the server serving when a handler fails.
//
// It must not know: how calls are evaluated (orchestrator), how objects are stored (store),
// kernels, or the ZObject model beyond parsing and writing JSON with zobject.
package api
