module github.com/zeval/zeval

go 1.26
