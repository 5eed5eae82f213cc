package api

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/zeval/zeval/internal/orchestrator"
)

// BenchmarkHTTPEvaluateEcho measures a Z801 echo call through the API over loopback: the
// request, the orchestrator, the envelope and its JSON.
func BenchmarkHTTPEvaluateEcho(b *testing.B) {
	srv := httptest.NewServer(New(orchestrator.New(nil)))
	defer srv.Close()
	body := []byte(`{"zobject":{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":"hello"}}`)
	client := srv.Client()
	b.ReportAllocs()
	var lat []time.Duration
	for b.Loop() {
		t0 := time.Now()
		resp, err := client.Post(srv.URL+"/1/v1/evaluate/", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}
