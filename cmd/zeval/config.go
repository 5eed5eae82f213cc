package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// envPrefix starts the environment variable of every serve flag: --max-body is ZEVAL_MAX_BODY.
const envPrefix = "ZEVAL_"

// envName is the environment variable of a flag. --tokens is the exception: ZEVAL_TOKENS
// holds tokens themselves (quota reads it), so the file's variable is ZEVAL_TOKENS_FILE.
func envName(flagName string) string {
	if flagName == "tokens" {
		return envPrefix + "TOKENS_FILE"
	}
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyConfig fills the flags of fs that the command line did not set: from the environment
// (ZEVAL_*) first, then from the configuration file, if any. So the order of precedence is
// command line, environment, file, default. lookupEnv is os.LookupEnv outside tests.
func applyConfig(fs *flag.FlagSet, file string, lookupEnv func(string) (string, bool)) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var fromFile map[string]string
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("config: %w", err)
		}
		fromFile, err = parseConfig(data)
		if err != nil {
			return fmt.Errorf("config %s: %w", file, err)
		}
		var unknown []string
		for k := range fromFile {
			if fs.Lookup(k) == nil || k == "config" {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			return fmt.Errorf("config %s: unknown setting(s) %s (see zeval serve -h)", file, strings.Join(unknown, ", "))
		}
	}
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || set[f.Name] || f.Name == "config" {
			return
		}
		if v, ok := lookupEnv(envName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", envName(f.Name), v, e)
			}
			return
		}
		if v, ok := fromFile[f.Name]; ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("config %s: %s = %q: %w", file, f.Name, v, e)
			}
		}
	})
	return err
}

// parseConfig reads a configuration file: a JSON object whose keys are flag names (values
// are strings, numbers or booleans), or lines of "name = value" (or "name value") with "#"
// comments and blank lines ignored.
func parseConfig(data []byte) (map[string]string, error) {
	out := map[string]string{}
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		var raw map[string]any
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.UseNumber()
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", err)
		}
		if dec.More() {
			return nil, fmt.Errorf("more than one JSON value")
		}
		for k, v := range raw {
			switch v := v.(type) {
			case string:
				out[k] = v
			case json.Number:
				out[k] = v.String()
			case bool:
				out[k] = strconv.FormatBool(v)
			default:
				return nil, fmt.Errorf("%s: value must be a string, number or boolean", k)
			}
		}
		return out, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			k, v, ok = strings.Cut(line, " ")
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return nil, fmt.Errorf("line %d: want name = value", n)
		}
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			uq, err := strconv.Unquote(v)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			v = uq
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("line %d: %s set twice", n, k)
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
