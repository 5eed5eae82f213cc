// Package render turns page markup that calls functions into HTML: the WikiLambda
// parser-function syntax {{#function:Z10001|arg1|arg2}} inside wikitext, Markdown or HTML.
//
// It owns: the markup parser (Parse: a pure function from text to a Document of text and
// call nodes with positions; escapes, nesting limit, errors naming line:column), the
// conversion of text arguments to the declared argument types of the called function, the
// render (one evaluator session per page, calls evaluated concurrently by a bounded set of
// workers, identical calls evaluated once, results of deterministic functions kept in a
// cache.Cache), and the HTML written for results and failed calls.
//
// It must not know: how calls are evaluated (the orchestrator, seen as a Runner), how code
// runs (the evaluator, seen only as the source of sessions), where functions are stored (a
// Resolver, and optionally a Versioner for revision IDs), or HTTP.
//
// # Markup
//
// Inside a call, | separates arguments and }} ends the call; {{!}} is a literal |, and a
// backslash escapes |, {, } and itself (\| \{ \} \\). An argument may be a call, or text with
// calls inside it. Other {{ ... }} groups inside an argument (a template, say) are kept as
// literal text and may hold |. The ZID and every argument are trimmed of surrounding
// whitespace, as MediaWiki trims parser-function arguments. Calls nest up to DefaultMaxDepth
// (32) levels. Text outside calls is never changed; a }} or {{ outside a call is just text.
//
// # Arguments
//
// The function's Z8K1 declares each argument's type (Z17K1). Text becomes: Z6 (and Z1) a
// string; Z40 a Boolean from exactly "true" or "false"; Z13518 a natural number from digits;
// Z881 a list of any of those, items separated by ';' (ListSeparator; items trimmed, \; for a
// literal semicolon, the empty text is the empty list). Other types are an error of the call.
// An argument that is exactly one call passes the call's value on as it is when its type is
// the declared one; otherwise (and for text with calls inside) the values are read as text
// first. The number of arguments must match the declaration.
//
// # Output
//
// Result.HTML is the page with each call replaced by its result, in the page's own format:
// for html that is HTML; for wikitext and Markdown it is still wikitext or Markdown, with the
// results as inline HTML that both languages accept (the page's own text is not converted —
// a wiki or a Markdown renderer does that, as it would for any page). Results are escaped
// for the format: HTML-escaped in html, and in wikitext and Markdown every character that
// language would interpret is written as a numeric character reference, so a result can
// neither inject HTML nor start a link, a template, a heading or a list. Values read as text:
// strings as they are, Booleans as true/false, lists joined with ", ", records that wrap one
// string (a natural number) as that string, anything else as canonical JSON.
//
// The exception is HTMLType (Z990089, key Z990089K1, in zeval's private range Z990000–Z999999):
// the result of a function whose Z8K2 is that type is inserted as it is.
//
// A failed call (unknown function, wrong argument count, an argument of the wrong form, an
// error or time-limit overrun in the function) becomes an inline marker
//
//	<span class="zeval-error" data-function="Z10001" data-error="Z507" title="message">Error in Z10001</span>
//
// and an entry of Result.Errors with its Z5; the rest of the page renders. Only bad markup
// (*SyntaxError), an unknown format and too many calls fail the whole render.
//
// # Sessions, concurrency, identical calls
//
// A render opens one evaluator session (WithSessions) and closes it at the end: every call of
// the page to a function shares that function's kernel. The top-level calls are handed to
// WithWorkers workers (default 16 per CPU): first one call of each function, so that the
// kernels are leased side by side, then the rest grouped by function: a function's kernel then
// gets its calls back to back instead of one at a time between other kernels' (on two CPUs a
// 2,000-call page rendered in ~0.5 of the time). The calls inside a call's arguments are
// evaluated first, by the same worker. Calls with the same function and the same canonical arguments
// are evaluated once per page; the others wait for that evaluation and share its result.
//
// # Cache
//
// With WithCache, a successful result of a deterministic function is stored under a key made
// of the function's fingerprint (the revisions of the function, its implementations and,
// transitively, the user-defined objects they mention — see page.fingerprint) and the
// canonical call. Editing any of those changes the key. A function is non-deterministic, and
// never cached, when its persistent object has the alias NonDeterministicAlias
// ("zeval:nondeterministic") in any language. Failures are never cached. Only the page's
// calls are cached, not the calls a composition or code makes inside them.
package render
