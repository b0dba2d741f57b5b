package daemon

import (
	"strconv"
	"sync"

	"github.com/enspace-sync/enspace-sync/internal/app"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics is the daemon's Prometheus registry. No label holds a URL or a
// secret: workspace names, kinds, statuses and HTTP codes only.
type metrics struct {
	reg *prometheus.Registry

	runs        *prometheus.CounterVec   // workspace, status
	duration    *prometheus.HistogramVec // workspace
	objects     *prometheus.GaugeVec     // workspace, kind
	requests    *prometheus.CounterVec   // workspace, code
	retries     *prometheus.CounterVec   // workspace
	throttled   *prometheus.CounterVec   // workspace
	pauses      *prometheus.CounterVec   // workspace
	pausedFor   *prometheus.CounterVec   // workspace
	lastSuccess *prometheus.GaugeVec     // workspace
	snapshots   *prometheus.GaugeVec     // workspace
	pruned      prometheus.Counter

	scrubRuns    *prometheus.CounterVec // status
	scrubLast    prometheus.Gauge
	scrubDamaged *prometheus.GaugeVec // kind: content, structural
	scrubBytes   prometheus.Counter

	mu    sync.Mutex
	named map[string]bool // workspaces that have series in the gauges
}

func newMetrics(d *Daemon) *metrics {
	const ns = "enspace_sync"
	m := &metrics{
		reg: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "runs_total",
			Help: "Backup runs finished, by workspace and status (complete, partial, failed, aborted)."}, []string{"workspace", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "run_duration_seconds",
			Help:    "Duration of backup runs.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200}}, []string{"workspace"}),
		objects: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "objects",
			Help: "Objects in the newest snapshot, by workspace and kind."}, []string{"workspace", "kind"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "api_requests_total",
			Help: "API request attempts by workspace and HTTP status code (\"none\": no complete answer)."}, []string{"workspace", "code"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "api_retries_total",
			Help: "API request attempts that repeated a failed one."}, []string{"workspace"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "api_throttled_total",
			Help: "API answers 429 Too Many Requests."}, []string{"workspace"}),
		pauses: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "api_pauses_total",
			Help: "Pauses of the environment's client by a server's Retry-After (every new request held until it ran out)."}, []string{"workspace"}),
		pausedFor: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "api_paused_seconds_total",
			Help: "Time the environment's client spent paused by a server's Retry-After."}, []string{"workspace"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "last_success_timestamp_seconds",
			Help: "When the last complete backup of the workspace finished (Unix time)."}, []string{"workspace"}),
		snapshots: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "snapshots",
			Help: "Snapshots stored, by workspace."}, []string{"workspace"}),
		pruned: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "pruned_bytes_total",
			Help: "Bytes of stored objects freed by the prunes after runs."}),
		scrubRuns: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "scrub_runs_total",
			Help: "Scrubs finished, by status (complete: nothing damaged; failed: damage found or the database unreadable; aborted)."}, []string{"status"}),
		scrubLast: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "scrub_last_run_timestamp_seconds",
			Help: "When the last scrub finished (Unix time), damage found or not."}),
		scrubDamaged: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "scrub_damaged",
			Help: "What the last scrub found damaged: content (objects the next backup that fetches them stores afresh) and structural (problems that make backups refuse the database)."}, []string{"kind"}),
		scrubBytes: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "scrub_read_bytes_total",
			Help: "Bytes the scrubs read back from the database."}),
		named: map[string]bool{},
	}
	m.reg.MustRegister(m.scrubRuns, m.scrubLast, m.scrubDamaged, m.scrubBytes)
	m.reg.MustRegister(m.runs, m.duration, m.objects, m.requests, m.retries, m.throttled, m.pauses, m.pausedFor, m.lastSuccess, m.snapshots, m.pruned,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "database_bytes",
		Help: "Size of the database file."}, func() float64 {
		n, err := d.opts.DB.Size()
		if err != nil {
			return -1
		}
		return float64(n)
	}))
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "build_info",
		Help: "Always 1; the version of the running build."}, []string{"version"})
	build.WithLabelValues(d.opts.Version).Set(1)
	m.reg.MustRegister(build, &skipCollector{d: d, m: m})
	return m
}

// history sets the gauges that come from the database.
func (m *metrics) history(name string, h History) {
	if _, ok := app.IsOffsiteJob(name); ok {
		return // enspace_sync_offsite_* (offsiteWatch)
	}
	if name == app.ScrubJob {
		if r := h.LastRun; r != nil && !r.FinishedAt.IsZero() {
			m.scrubLast.Set(float64(r.FinishedAt.UnixMilli()) / 1000)
		}
		return
	}
	m.mu.Lock()
	m.named[name] = true
	m.mu.Unlock()
	m.snapshots.WithLabelValues(name).Set(float64(h.Snapshots))
	if !h.LastOK.IsZero() {
		m.lastSuccess.WithLabelValues(name).Set(float64(h.LastOK.UnixMilli()) / 1000)
	}
	if h.Counts != nil {
		m.setObjects(name, h.Counts)
	}
}

// setObjects replaces the object counts of a workspace.
func (m *metrics) setObjects(name string, counts map[string]int) {
	m.objects.DeletePartialMatch(prometheus.Labels{"workspace": name})
	for kind, n := range counts {
		m.objects.WithLabelValues(name, kind).Set(float64(n))
	}
}

// run counts a finished run.
func (m *metrics) run(r Result, pruned int64) {
	name := r.Workspace
	m.runs.WithLabelValues(name, string(r.Status)).Inc()
	if (r.Status == StatusComplete || r.Status == StatusPartial) && r.Counts != nil {
		m.setObjects(name, r.Counts)
	}
	if !r.StartedAt.IsZero() && !r.FinishedAt.IsZero() {
		m.duration.WithLabelValues(name).Observe(r.FinishedAt.Sub(r.StartedAt).Seconds())
	}
	for code, n := range r.API.ByStatus {
		label := strconv.Itoa(code)
		if code == 0 {
			label = "none"
		}
		m.requests.WithLabelValues(name, label).Add(float64(n))
	}
	m.retries.WithLabelValues(name).Add(float64(r.API.Retries))
	m.throttled.WithLabelValues(name).Add(float64(r.API.ByStatus[429]))
	m.pauses.WithLabelValues(name).Add(float64(r.API.Pauses))
	m.pausedFor.WithLabelValues(name).Add(r.API.PausedFor.Seconds())
	if pruned > 0 {
		m.pruned.Add(float64(pruned))
	}
}

// scrub counts a finished scrub.
func (m *metrics) scrub(r Result) {
	m.scrubRuns.WithLabelValues(string(r.Status)).Inc()
	if r.Scrub == nil || r.Status == StatusAborted {
		return
	}
	m.scrubBytes.Add(float64(r.Scrub.BytesRead))
	if r.Status == StatusComplete || r.Scrub.Damaged+r.Scrub.Structural > 0 {
		m.scrubLast.Set(float64(r.FinishedAt.UnixMilli()) / 1000)
		m.scrubDamaged.WithLabelValues("content").Set(float64(r.Scrub.Damaged))
		m.scrubDamaged.WithLabelValues("structural").Set(float64(r.Scrub.Structural))
	}
}

// forgetRemoved drops the series of workspaces that a reload removed.
func (m *metrics) forgetRemoved(s Settings) {
	keep := map[string]bool{}
	for _, ws := range s.Workspaces {
		keep[ws.Name] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for name := range m.named {
		if keep[name] {
			continue
		}
		for _, vec := range []*prometheus.GaugeVec{m.objects, m.lastSuccess, m.snapshots} {
			vec.DeletePartialMatch(prometheus.Labels{"workspace": name})
		}
		delete(m.named, name)
	}
}

// skipCollector reports enspace_sync_scheduler_skipped_total: the skips of
// the current scheduler and of those a reload replaced (they share one
// scheduler.Guard, the only overlap check).
type skipCollector struct {
	d *Daemon
	m *metrics
}

var skipDesc = prometheus.NewDesc("enspace_sync_scheduler_skipped_total",
	"Scheduled or triggered starts skipped because the workspace's previous run was still in progress.",
	[]string{"workspace"}, nil)

func (c *skipCollector) Describe(ch chan<- *prometheus.Desc) { ch <- skipDesc }

func (c *skipCollector) Collect(ch chan<- prometheus.Metric) {
	d := c.d
	d.mu.Lock()
	counts := map[string]float64{}
	for _, ws := range d.settings.Workspaces {
		counts[ws.Name] = float64(d.retired[ws.Name])
	}
	if d.sched != nil {
		for _, js := range d.sched.Status() {
			counts[js.Name] += float64(js.Skips)
		}
	}
	d.mu.Unlock()
	for name, n := range counts {
		ch <- prometheus.MustNewConstMetric(skipDesc, prometheus.CounterValue, n, name)
	}
}
