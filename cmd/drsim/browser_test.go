package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds a Chromium to drive. Outside CI a machine without one
// skips the browser test, saying so; in CI (CI set) its absence fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium on PATH (looked for chromium, chromium-browser, google-chrome): install Debian's chromium (apt-get install -y chromium) to run the HTML report's browser test"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// The HTML evidence report, opened in headless Chromium, shows the failing
// attribute and the email itself: its text part, and its HTML part rendered
// in the sandboxed frame. With DRSIM_SCREENSHOT=file.png it saves a
// screenshot of the rendered report.
func TestHTMLReportInChromium(t *testing.T) {
	exe := chromiumPath(t)
	dir := demoWithDefect(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.WindowSize(1280, 2000),
		// Keep the sandboxed email frame in the page's process, where the
		// page's DOM (FromNode) reaches it.
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,IsolateSandboxedIframes,site-per-process"),
		chromedp.Flag("disable-site-isolation-trials", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // start the browser without a deadline
		t.Fatalf("start Chromium %s: %v", exe, err)
	}
	tctx, tcancel := context.WithTimeout(ctx, 60*time.Second)
	defer tcancel()
	url := "file://" + filepath.Join(dir, "report.html")
	if err := chromedp.Do(tctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("checklist"))); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	summary, err := chromedp.Run(tctx, chromedp.Text(chromedp.ID("summary")))
	if err != nil {
		t.Fatal(err)
	}
	summary = strings.ToLower(summary) // badges are upper case on screen
	if !strings.Contains(summary, "not certified") || !strings.Contains(summary, "3 failed") {
		t.Errorf("summary reads %q, want not certified with 3 failed", summary)
	}
	checklist, err := chromedp.Run(tctx, chromedp.Text(chromedp.ID("checklist")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(checklist, "Order confirmation") || !strings.Contains(checklist, "failed") {
		t.Errorf("checklist reads %q, want Order confirmation failed", checklist)
	}
	// Failures come first: the first scenario is open and is the failure.
	first, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS("details.scenario")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"failed", "order confirmation", "totaltax", "not found", "thank you for your order"} {
		if !strings.Contains(strings.ToLower(first), want) {
			t.Errorf("the first scenario's rendered text lacks %q:\n%s", want, first)
		}
	}
	missing, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS("details.scenario table.attributes tr.missing")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(missing, "totalTax") || !strings.Contains(missing, "not found") {
		t.Errorf("the highlighted attribute row reads %q, want totalTax not found", missing)
	}
	frames, err := chromedp.Run(tctx, chromedp.Nodes(chromedp.CSSAll("details.scenario iframe")))
	if err != nil || len(frames) == 0 {
		t.Fatalf("no email frame in the first scenario: %v", err)
	}
	if frames[0].AttributeValue("sandbox") != "" {
		t.Errorf("the email frame's sandbox is %q, want the most restrictive (empty)", frames[0].AttributeValue("sandbox"))
	}
	fctx, fcancel := context.WithTimeout(tctx, 10*time.Second)
	defer fcancel()
	inFrame, err := chromedp.Run(fctx, chromedp.Text(chromedp.CSS("body"), chromedp.FromNode(frames[0])))
	if err != nil {
		t.Fatalf("read the email frame: %v", err)
	}
	if !strings.Contains(inFrame, "Order number") {
		t.Errorf("the email's HTML part renders as %q, want the order number shown", inFrame)
	}
	if path := os.Getenv("DRSIM_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(tctx, chromedp.CaptureScreenshot()) // the first 1280×2000 pixels, as PNG
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
