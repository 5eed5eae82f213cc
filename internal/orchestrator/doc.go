// Package orchestrator evaluates Wikifunctions function calls (Z7) the way upstream's
// function-orchestrator does: it resolves the function (a reference or a literal Z8), keeps
// arguments lazy in frames, runs compositions (Z14K2 with Z18 argument references) and the
// built-in functions itself, hands code implementations (Z14K3) to an Evaluator, checks
// argument and return types, bounds nesting depth and time, and answers a Z22 envelope whose
// metadata map carries upstream's keys (orchestration times, CPU, memory, host,
// implementationId, implementationType, errors).
//
// It owns: the built-in definitions (core types, built-in functions and implementations, in
// Go, available with no store), the evaluation rules, upstream's static doValidate checks,
// and the consumer-side interfaces it needs: Resolver (fetch a persistent object by ZID),
// Evaluator (run code), Selector (order implementations).
//
// It must not know: where objects are stored (store), kernels or how code runs (evaluator,
// jupyter), HTTP (api), or JSON beyond what zobject provides. Evaluation works on parsed
// zobject.Objects; nothing on the hot path re-parses JSON.
package orchestrator
