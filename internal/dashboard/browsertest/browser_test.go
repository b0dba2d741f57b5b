package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds a Chromium or Chrome binary; "" when none is installed.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is one headless Chromium tab and the console messages of the
// pages it loaded.
type browser struct {
	t   *testing.T
	ctx context.Context
	dir string // screenshots

	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
}

// newBrowser starts Chromium for the test; it skips the test when there
// is none, unless ENSPACE_REQUIRE_BROWSER=1.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium()
	if path == "" {
		if os.Getenv("ENSPACE_REQUIRE_BROWSER") == "1" {
			t.Fatal("no chromium found and ENSPACE_REQUIRE_BROWSER=1: apt-get install chromium")
		}
		t.Skip("no chromium found (set ENSPACE_REQUIRE_BROWSER=1 to fail instead)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("user-data-dir", t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// ENSPACE_SCREENSHOTS keeps the screenshots in a directory to look at.
	dir := os.Getenv("ENSPACE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	b := &browser{t: t, ctx: ctx, dir: dir}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.messages = append(b.messages, m)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() { b.noConsoleErrors(t) })
	return b
}

// load opens url, waits for the page, and saves a screenshot as name.png.
func (b *browser) load(url, name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady("body")); err != nil {
		b.t.Fatalf("load %s: %v", url, err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot of %s: %v", url, err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, name+".png"), shot, 0o600); err != nil {
		b.t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression on the page.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// noConsoleErrors fails the test for every error or warning a page wrote
// to the console (a Content-Security-Policy violation is one).
func (b *browser) noConsoleErrors(t *testing.T) {
	time.Sleep(100 * time.Millisecond) // let the last page's messages arrive
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.messages {
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException || m.Type == chromedp.ConsoleWarning {
			t.Errorf("console %s at %s", m, m.URL)
		}
	}
}

// fitsAtDoubleZoom checks that the page, in a viewport half as wide (what
// 200% zoom leaves of a 1280-pixel window), scrolls no wider than it.
func (b *browser) fitsAtDoubleZoom(url, name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(640, 450)); err != nil {
		b.t.Fatal(err)
	}
	defer func() { _ = chromedp.Do(b.ctx, chromedp.EmulateViewport(1280, 900)) }()
	b.load(url, name+"-zoom200")
	if over := eval[int](b, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
		b.t.Errorf("%s at 200%% zoom is %d pixels wider than the window", name, over)
	}
}

func join(s []string) string { return strings.Join(s, "\n") }

// chromedpTab presses Tab once on the page.
func chromedpTab(b *browser) error {
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	return chromedp.Do(ctx, chromedp.KeyEvent("\t"))
}
