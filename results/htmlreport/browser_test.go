package htmlreport

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// errorCapture is injected at the top of <head>: it records uncaught errors,
// rejected promises and console.error calls, and on load writes them into a
// #fb-check element that --dump-dom shows (the element also proves the
// capture ran).
const errorCapture = `<script>(function () {
  var log = [];
  window.addEventListener('error', function (e) { log.push('error: ' + e.message + ' at ' + e.filename + ':' + e.lineno); });
  window.addEventListener('unhandledrejection', function (e) { log.push('unhandled rejection: ' + e.reason); });
  var ce = console.error;
  console.error = function () { log.push('console.error: ' + Array.prototype.join.call(arguments, ' ')); return ce.apply(console, arguments); };
  window.addEventListener('load', function () {
    var n = document.createElement('pre');
    n.id = 'fb-check';
    n.setAttribute('data-errors', String(log.length));
    n.textContent = log.join('\n');
    document.body.appendChild(n);
  });
})();</script>`

// browserCheck is what the headless browser saw.
type browserCheck struct {
	errors int    // errors recorded by errorCapture
	log    string // their text
	charts int    // charts report.js drew (body data-charts)
	svgs   int    // <svg> elements in the DOM
	stderr string
}

// renderInBrowser loads page in headless Chromium and reads the DOM after
// the scripts ran.
func renderInBrowser(t *testing.T, page string) browserCheck {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	page = strings.Replace(page, "<head>", "<head>\n"+errorCapture, 1)
	require.NoError(t, os.WriteFile(path, []byte(page), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromiumPath, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--window-size=1400,2400", "--dump-dom", "file://"+path)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Run(), "chromium failed: %s", errb.String())
	dom := out.String()
	m := regexp.MustCompile(`(?s)<pre id="fb-check" data-errors="(\d+)">(.*?)</pre>`).FindStringSubmatch(dom)
	require.Len(t, m, 3, "the error capture did not run; DOM starts %.300q", dom)
	var c browserCheck
	c.errors, _ = strconv.Atoi(m[1])
	c.log = m[2]
	if d := regexp.MustCompile(`<body[^>]* data-charts="(\d+)"`).FindStringSubmatch(dom); d != nil {
		c.charts, _ = strconv.Atoi(d[1])
	}
	c.svgs = strings.Count(dom, "<svg")
	c.stderr = errb.String()
	return c
}

func skipWithoutChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no %s (apt-get install -y chromium to run the browser check)", chromiumPath)
	}
	if testing.Short() {
		t.Skip("browser check skipped in -short mode")
	}
}

// TestBrowserRendersWithoutErrors loads a full report (two runs side by
// side and two sweeps, the real embedded library) in headless Chromium: no
// script error, and every chart drawn.
func TestBrowserRendersWithoutErrors(t *testing.T) {
	skipWithoutChromium(t)
	var buf bytes.Buffer
	require.NoError(t, Render(&buf, fixtureInput()))
	want := len(pageChartData(t, buf.String()).Charts)
	require.Greater(t, want, 20)
	c := renderInBrowser(t, buf.String())
	require.Zero(t, c.errors, "script errors in the page:\n%s", c.log)
	require.NotContains(t, c.stderr, "Uncaught", "console errors on stderr")
	require.Equal(t, want, c.charts, "report.js drew every chart")
	require.GreaterOrEqual(t, c.svgs, want, "each chart is an SVG in the DOM")
}

// TestBrowserCheckCatchesErrors proves the check above can fail: a page
// whose script throws is reported.
func TestBrowserCheckCatchesErrors(t *testing.T) {
	skipWithoutChromium(t)
	var buf bytes.Buffer
	require.NoError(t, render(&buf, fixtureInput(), "window.echarts = undefined; console.error('stub library');"))
	c := renderInBrowser(t, buf.String())
	require.GreaterOrEqual(t, c.errors, 2, "expected the console.error and the TypeError from report.js")
	require.Contains(t, c.log, "stub library")
	require.Contains(t, c.log, "error: ")
	require.Zero(t, c.charts)
}
