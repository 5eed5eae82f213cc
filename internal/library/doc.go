// Package library is zeval's demo library: 58 functions of the kind an article uses (number
// formatting, English ordinals, plurals and articles, lists in prose, dates, unit conversion,
// sentences, HTML tables and lists), with their implementations and testers, as persistent
// ZObjects (Z2) in the shape Wikifunctions stores them, and a demo page that calls them.
//
// It owns: the objects, one canonical Z*.json file each in demo/ (embedded; FS returns them
// in the form store.Import reads, Load imports them), and the page (Page, wikitext with
// {{#function:ZID|arg|...}} calls, nested calls included), and ScaledPage(n), a page of n
// different calls spread over 54 of the functions, for the rendering benchmark.
//
// ZIDs: functions Z10001–Z10058, implementations from Z11001, testers from Z12001, in the
// private range Z10000–Z19999; plus upstream's Z600 (JavaScript) and Z610 (Python), which the
// code implementations name in Z16K1, so the library needs nothing else in a store.
//
// Values are what Wikifunctions uses: strings (Z6, numbers travel as decimal strings), Booleans
// (Z40), lists of strings (Z881(Z6)), and for the HTML table and list zeval's HTML fragment
// type Z990089 (see package render), which a page inserts unescaped.
//
// Implementations are Python (Z14K3, Z16K1 Z610), JavaScript (Z16K1 Z600) and compositions
// (Z14K2) of built-ins (If, String equality, list functions, Value by key) and other library
// functions; 29 functions have two or three, so ranking them means something. A few call other
// functions from code (W.Call) or recursively (Count list items). Every function has at least
// two testers (Z20): the call in Z20K2, a validator call in Z20K3 that takes the result as its
// first argument — String equality (Z866), Boolean equality (Z844), List equality (Z889) or,
// for HTML, the library's own "HTML fragment equals markup".
//
// The files are generated: the functions are declared in gen.go (run `go generate
// ./internal/library`); new functions go at the end so that existing ZIDs stay as they are.
// The tests check that the files are canonical and consistent, that every tester passes
// against every implementation in real kernels (package tester), and that the demo page
// renders without errors (package render).
//
// It must not know how calls are evaluated or rendered; it is data.
package library
