package telemetry_test

import (
	"fmt"
	"regexp"
	"sort"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exposedSeries is what a query may name: every series name appconnector exposes
// (histograms with their _bucket, _sum and _count), its labels and its type.
type exposedSeries map[string]seriesInfo

type seriesInfo struct {
	labels map[string]bool // job and instance included: the scrape adds them
	typ    dto.MetricType  // of the family: a histogram's _count is HISTOGRAM too
}

// exposed gathers a registry on which every metric has been recorded (exercised).
func exposed(t *testing.T) exposedSeries {
	t.Helper()
	mfs, err := exercised(t).Registry.Gather()
	require.NoError(t, err)
	out := exposedSeries{}
	for _, mf := range mfs {
		ls := map[string]bool{"job": true, "instance": true}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				ls[lp.GetName()] = true
			}
		}
		name := mf.GetName()
		out[name] = seriesInfo{labels: ls, typ: mf.GetType()}
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			bucket := map[string]bool{"le": true}
			for l := range ls {
				bucket[l] = true
			}
			out[name+"_bucket"] = seriesInfo{labels: bucket, typ: dto.MetricType_HISTOGRAM}
			out[name+"_sum"] = seriesInfo{labels: ls, typ: dto.MetricType_HISTOGRAM}
			out[name+"_count"] = seriesInfo{labels: ls, typ: dto.MetricType_HISTOGRAM}
		}
	}
	return out
}

// queryChecker checks PromQL written for appconnector's metrics: the alert rules and
// the dashboard's queries.
type queryChecker struct {
	series exposedSeries
	// vars are the dashboard's template variables; a query using any other is wrong.
	vars map[string]bool
}

var (
	templateVar = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]`)
	// Grafana's built-in interval variables, replaced by a duration of the same shape.
	intervalVars = map[string]bool{"__rate_interval": true, "__interval": true, "__range": true}
	labelValues  = regexp.MustCompile(`^\s*label_values\(\s*(?:(.*),\s*)?(\w+)\s*\)\s*$`)
	promql       = parser.NewParser(parser.Options{})
)

// substitute replaces Grafana's template variables as Grafana would before sending the
// query: intervals by a duration, the dashboard's own variables by a value (they are
// only used inside regex matchers).
func (c queryChecker) substitute(q string) (string, []error) {
	var errs []error
	out := templateVar.ReplaceAllStringFunc(q, func(m string) string {
		sm := templateVar.FindStringSubmatch(m)
		name := sm[1] + sm[2] + sm[3]
		switch {
		case intervalVars[name]:
			return "5m"
		case c.vars[name]:
			return "x"
		}
		errs = append(errs, fmt.Errorf("undefined template variable $%s", name))
		return m
	})
	return out, errs
}

// check parses q as PromQL and returns every problem: a syntax error, a metric that is
// not exposed, a label matcher, grouping or vector matching on a label the metrics
// under it do not have, rate() over a gauge.
func (c queryChecker) check(q string) (parser.Expr, []error) {
	q, errs := c.substitute(q)
	if len(errs) > 0 {
		return nil, errs
	}
	expr, err := promql.ParseExpr(q)
	if err != nil {
		return nil, []error{fmt.Errorf("parse %q: %w", q, err)}
	}
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		switch n := node.(type) {
		case *parser.VectorSelector:
			errs = append(errs, c.checkSelector(n.Name, n.LabelMatchers)...)
		case *parser.AggregateExpr:
			have := c.labelsOf(n.Expr)
			for _, l := range n.Grouping {
				if !have[l] {
					errs = append(errs, fmt.Errorf("%s by/without (%s): no such label under it (%v)", n.Op, l, sorted(have)))
				}
			}
		case *parser.BinaryExpr:
			if vm := n.VectorMatching; vm != nil && n.LHS.Type() == parser.ValueTypeVector && n.RHS.Type() == parser.ValueTypeVector {
				have := c.labelsOf(n.LHS)
				for l := range c.labelsOf(n.RHS) {
					have[l] = true
				}
				for _, l := range append(append([]string(nil), vm.MatchingLabels...), vm.Include...) {
					if !have[l] {
						errs = append(errs, fmt.Errorf("vector matching on %s: no such label on either side", l))
					}
				}
			}
		case *parser.Call:
			switch n.Func.Name {
			case "rate", "irate", "increase":
				for _, vs := range selectors(n.Args[0]) {
					if info, ok := c.series[vs.Name]; ok && info.typ != dto.MetricType_COUNTER && info.typ != dto.MetricType_HISTOGRAM {
						errs = append(errs, fmt.Errorf("%s(%s): a %s is not a counter", n.Func.Name, vs.Name, info.typ))
					}
				}
			}
		}
		return nil
	})
	return expr, errs
}

func (c queryChecker) checkSelector(name string, matchers []*labels.Matcher) []error {
	if name == "" {
		for _, m := range matchers {
			if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
				name = m.Value
			}
		}
	}
	info, ok := c.series[name]
	if !ok {
		return []error{fmt.Errorf("metric %q is not exposed", name)}
	}
	var errs []error
	for _, m := range matchers {
		if m.Name != labels.MetricName && !info.labels[m.Name] {
			errs = append(errs, fmt.Errorf("%s has no label %q", name, m.Name))
		}
	}
	return errs
}

// checkLabelValues checks a Grafana variable query, label_values([selector,] label).
func (c queryChecker) checkLabelValues(q string) []error {
	m := labelValues.FindStringSubmatch(q)
	if m == nil {
		return []error{fmt.Errorf("variable query %q is not label_values(selector, label)", q)}
	}
	if m[1] == "" {
		return []error{fmt.Errorf("label_values(%s) without a selector searches every job's metrics", m[2])}
	}
	sel, errs := c.substitute(m[1])
	if len(errs) > 0 {
		return errs
	}
	matchers, err := promql.ParseMetricSelector(sel)
	if err != nil {
		return []error{fmt.Errorf("parse %q: %w", sel, err)}
	}
	errs = c.checkSelector("", matchers)
	for _, mm := range matchers {
		if mm.Name == labels.MetricName && !c.series[mm.Value].labels[m[2]] {
			errs = append(errs, fmt.Errorf("%s has no label %q", mm.Value, m[2]))
		}
	}
	return errs
}

// labelsOf is the set of labels the result of e has, following PromQL's evaluation:
// aggregations keep their grouping, one-to-one matching with on() keeps the matched
// labels, histogram_quantile drops le, scalars have none.
func (c queryChecker) labelsOf(e parser.Expr) map[string]bool {
	switch n := e.(type) {
	case *parser.VectorSelector:
		out := map[string]bool{}
		name := n.Name
		if name == "" {
			for _, m := range n.LabelMatchers {
				if m.Name == labels.MetricName {
					name = m.Value
				}
			}
		}
		for l := range c.series[name].labels {
			out[l] = true
		}
		return out
	case *parser.MatrixSelector:
		return c.labelsOf(n.VectorSelector)
	case *parser.SubqueryExpr:
		return c.labelsOf(n.Expr)
	case *parser.ParenExpr:
		return c.labelsOf(n.Expr)
	case *parser.UnaryExpr:
		return c.labelsOf(n.Expr)
	case *parser.StepInvariantExpr:
		return c.labelsOf(n.Expr)
	case *parser.AggregateExpr:
		switch n.Op {
		case parser.TOPK, parser.BOTTOMK, parser.LIMITK, parser.LIMIT_RATIO:
			return c.labelsOf(n.Expr)
		}
		if n.Without {
			out := c.labelsOf(n.Expr)
			for _, l := range n.Grouping {
				delete(out, l)
			}
			return out
		}
		out := map[string]bool{}
		for _, l := range n.Grouping {
			out[l] = true
		}
		return out
	case *parser.Call:
		if n.Func.ReturnType != parser.ValueTypeVector {
			return map[string]bool{}
		}
		switch n.Func.Name {
		case "histogram_quantile":
			out := c.labelsOf(n.Args[1])
			delete(out, "le")
			return out
		case "label_replace":
			out := c.labelsOf(n.Args[0])
			out[n.Args[1].(*parser.StringLiteral).Val] = true
			return out
		}
		for _, a := range n.Args {
			if t := a.Type(); t == parser.ValueTypeVector || t == parser.ValueTypeMatrix {
				return c.labelsOf(a)
			}
		}
		return map[string]bool{}
	case *parser.BinaryExpr:
		lt, rt := n.LHS.Type(), n.RHS.Type()
		switch {
		case lt == parser.ValueTypeVector && rt == parser.ValueTypeVector:
			vm := n.VectorMatching
			var out map[string]bool
			switch vm.Card {
			case parser.CardOneToMany:
				out = c.labelsOf(n.RHS)
			case parser.CardManyToMany:
				out = c.labelsOf(n.LHS)
				if n.Op == parser.LOR {
					for l := range c.labelsOf(n.RHS) {
						out[l] = true
					}
				}
				return out
			default:
				out = c.labelsOf(n.LHS)
			}
			if vm.Card == parser.CardOneToOne {
				if vm.On {
					keep := map[string]bool{}
					for _, l := range vm.MatchingLabels {
						keep[l] = out[l]
					}
					out = keep
				} else {
					for _, l := range vm.MatchingLabels {
						delete(out, l)
					}
				}
			}
			for _, l := range vm.Include {
				out[l] = true
			}
			return out
		case lt == parser.ValueTypeVector:
			return c.labelsOf(n.LHS)
		case rt == parser.ValueTypeVector:
			return c.labelsOf(n.RHS)
		}
	}
	return map[string]bool{}
}

func selectors(e parser.Expr) []*parser.VectorSelector {
	var out []*parser.VectorSelector
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			out = append(out, vs)
		}
		return nil
	})
	return out
}

func sorted(m map[string]bool) []string {
	var out []string
	for k, ok := range m {
		if ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// TestQueryCheckerFindsMistakes proves the checker used on the rules and the dashboard
// can fail, one mistake at a time, and accepts what is right.
func TestQueryCheckerFindsMistakes(t *testing.T) {
	c := queryChecker{series: exposed(t), vars: map[string]bool{"job": true, "application": true}}
	for q, want := range map[string]string{
		`sum(rate(appconnector_gateway_requests_total[5m])`:                                                                     "parse",
		`rate(appconnector_gateway_request_total[5m])`:                                                                          `"appconnector_gateway_request_total" is not exposed`,
		`rate(appconnector_gateway_requests_total{app="shop"}[5m])`:                                                             `no label "app"`,
		`sum by (reason) (rate(appconnector_gateway_requests_total[5m]))`:                                                       "sum by/without (reason)",
		`rate(appconnector_gateway_requests_total{service=~"$service"}[5m])`:                                                    "undefined template variable $service",
		`rate(appconnector_gateway_request_duration_seconds{le="0.1"}[5m])`:                                                     `no label "le"`,
		`rate(appconnector_gateway_in_flight_requests[5m])`:                                                                     "is not a counter",
		`sum by (outcome) (appconnector_events_forwarded_total) / on (api) group_left sum(appconnector_events_forwarded_total)`: "vector matching on api",
		`appconnector_gateway_routes_bucket`:                                                                                    `"appconnector_gateway_routes_bucket" is not exposed`,
		`{__name__="appconnector_nope"}`:                                                                                        "is not exposed",
	} {
		_, errs := c.check(q)
		if assert.NotEmpty(t, errs, q) {
			assert.ErrorContains(t, errs[0], want, q)
		}
	}
	for _, q := range []string{
		`histogram_quantile(0.95, sum by (application, service, le) (rate(appconnector_gateway_request_duration_seconds_bucket{job=~"$job",application=~"$application"}[$__rate_interval])))`,
		`appconnector_certificate_expiry_timestamp_seconds - time() < 14 * 24 * 3600`,
		`sum(rate(appconnector_events_forwarded_total{outcome!="ok"}[5m])) by (outcome) / scalar(sum(rate(appconnector_events_forwarded_total[5m])))`,
	} {
		_, errs := c.check(q)
		assert.Empty(t, errs, q)
	}

	expr, errs := c.check(`sum by (application, service) (rate(appconnector_gateway_upstream_responses_total{code="5xx"}[5m])) / sum by (application, service) (rate(appconnector_gateway_upstream_responses_total[5m])) > 0.05`)
	require.Empty(t, errs)
	assert.Equal(t, []string{"application", "service"}, sorted(c.labelsOf(expr)))
	expr, errs = c.check(`(appconnector_certificate_expiry_timestamp_seconds - time()) < 2 * 24 * 3600`)
	require.Empty(t, errs)
	assert.Equal(t, []string{"certificate", "instance", "job"}, sorted(c.labelsOf(expr)))
	expr, errs = c.check(`histogram_quantile(0.5, sum by (kind, le) (rate(appconnector_gateway_token_fetch_duration_seconds_bucket[5m])))`)
	require.Empty(t, errs)
	assert.Equal(t, []string{"kind"}, sorted(c.labelsOf(expr)))

	assert.Empty(t, c.checkLabelValues(`label_values(appconnector_gateway_requests_total{job=~"$job"}, application)`))
	assert.NotEmpty(t, c.checkLabelValues(`label_values(appconnector_gateway_requests_total, kind)`))
	assert.NotEmpty(t, c.checkLabelValues(`label_values(application)`))
	assert.NotEmpty(t, c.checkLabelValues(`query_result(up)`))
}
