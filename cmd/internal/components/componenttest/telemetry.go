package componenttest

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// SpanSink is an OTLP/HTTP trace receiver on loopback that keeps the spans it gets; a
// binary started with --otlp-endpoint=URL exports to it.
type SpanSink struct {
	*httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
}

// NewSpanSink starts a SpanSink until the test ends.
func NewSpanSink(t *testing.T) *SpanSink {
	t.Helper()
	s := &SpanSink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				s.spans = append(s.spans, ss.GetSpans()...)
			}
		}
		s.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(s.Close)
	return s
}

// Wait polls until a span called name of the trace traceID (hex) has arrived, and
// returns it. The exporter batches, so this can take the batch delay (5 s by default).
func (s *SpanSink) Wait(t *testing.T, name, traceID string) *tracepb.Span {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s.mu.Lock()
		for _, sp := range s.spans {
			if sp.GetName() == name && hex.EncodeToString(sp.GetTraceId()) == traceID {
				s.mu.Unlock()
				return sp
			}
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %s span of trace %s arrived", name, traceID)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, with a deadline
	}
}

// Scrape gets http://addr/metrics and parses it with the Prometheus text parser.
func Scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// Series returns the series of family name whose labels include every pair of kv
// (name, value, name, value, ...), or nil.
func Series(mfs map[string]*dto.MetricFamily, name string, kv ...string) *dto.Metric {
	mf := mfs[name]
	if mf == nil {
		return nil
	}
next:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if v, ok := labels[kv[i]]; !ok || v != kv[i+1] {
				continue next
			}
		}
		return m
	}
	return nil
}
